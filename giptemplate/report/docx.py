"""The report as a Word document laid out the way government documents are (GB/T 9704 conventions).

A4 portrait, with a landscape section for every table the spec marks landscape; title in 小标宋, level-1 headings
in 黑体, level-2 in 楷体, body in 仿宋, each named as East Asian font (``w:eastAsia``) and registered in the font
table with an ``altName`` that ordinary Windows machines have (仿宋_GB2312 → 仿宋, 方正小标宋简体 → 黑体 ...), so
a machine without the government fonts still shows Chinese type of the right kind. Tables are drawn from
:class:`report.Grid`: merges via python-docx, header rows shaded and repeated on every page.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.oxml import serialize_part_xml
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Emu, Mm, Pt, RGBColor

from giptemplate.report.mark import docx_identifier
from giptemplate.report.model import DRAFT_MARK, MISSING_TEXT, Grid, GridCell, ReportData, grids, paragraphs

# (font name used in the document, alternative a plain Windows machine has, GB2312 charset, family)
MAX_PROPERTY_CHARS = 255  # python-docx's limit on a core property
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
BODY_FONT = "仿宋_GB2312"
LATIN_FONT = "Times New Roman"
FONT_TABLE: tuple[tuple[str, str, str], ...] = (
    (TITLE_FONT, "黑体", "modern"),
    (HEADING_FONT, "SimHei", "modern"),
    (SUBHEADING_FONT, "楷体", "modern"),
    (BODY_FONT, "仿宋", "modern"),
    ("仿宋", "FangSong", "modern"),
    ("楷体", "KaiTi", "modern"),
    ("宋体", "SimSun", "auto"),
)

TITLE_SIZE = Pt(22)  # 二号
BODY_SIZE = Pt(16)  # 三号
LINE = Pt(28)  # fixed line pitch of the body (22 lines per page in GB/T 9704)
# 五号 for a table of a few columns, 小五 for a dense one (表三, 表四), single-spaced: the sizes published reports'
# Word originals use, which keep 表三 within a page and let it start on the page of the text before it.
TABLE_SIZE = {"portrait": Pt(10.5), "landscape": Pt(9)}
TABLE_LINE = {"portrait": Pt(15), "landscape": Pt(12)}
DENSE_COLUMNS = 6  # tables wider than this print in the smaller size
TABLE_LEAD_ROWS = 1  # body rows that stay on the page of a table's header rows
TABLE_TAIL_ROWS = 2  # rows that go with a table's last row to a new page
HEADING_FILL = "E7E6E6"
DRAFT_RED = RGBColor(0xC0, 0x00, 0x00)

# GB/T 9704: 37 mm top, 35 mm bottom, 28 mm left (binding), 26 mm right. Landscape table pages keep a
# comparable frame but give the width to the table.
MARGINS = {"portrait": (Mm(37), Mm(35), Mm(28), Mm(26)), "landscape": (Mm(20), Mm(18), Mm(22), Mm(22))}
A4 = (Mm(210), Mm(297))

STYLE_TITLE, STYLE_BODY, STYLE_TABLE, STYLE_SIGNATURE, STYLE_DRAFT = (
    "Report Title",
    "Report Body",
    "Report Table",
    "Report Signature",
    "Report Draft",
)


# ---------------------------------------------------------------------------------------------- low-level XML

# Word rejects a document whose property elements stand out of schema order: the successors of what is inserted.
_RPR_AFTER_FONTS = (
    "w:b",
    "w:bCs",
    "w:i",
    "w:iCs",
    "w:caps",
    "w:smallCaps",
    "w:strike",
    "w:dstrike",
    "w:outline",
    "w:shadow",
    "w:emboss",
    "w:imprint",
    "w:noProof",
    "w:snapToGrid",
    "w:vanish",
    "w:webHidden",
    "w:color",
    "w:spacing",
    "w:w",
    "w:kern",
    "w:position",
    "w:sz",
    "w:szCs",
    "w:highlight",
    "w:u",
    "w:effect",
    "w:bdr",
    "w:shd",
    "w:fitText",
    "w:vertAlign",
    "w:rtl",
    "w:cs",
    "w:em",
    "w:lang",
    "w:eastAsianLayout",
    "w:specVanish",
    "w:oMath",
)
_TCPR_AFTER_SHD = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")


def _insert_in_order(parent: Any, child: Any, successors: tuple[str, ...]) -> None:
    """Insert ``child`` before the first of its schema successors present in ``parent`` (else at the end)."""
    tags = {qn(t) for t in successors}
    for existing in parent:
        if existing.tag in tags:
            existing.addprevious(child)
            return
    parent.append(child)


def set_fonts(element: Any, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Name the fonts of a style, run or rPr explicitly, dropping the theme fonts that would override them."""
    rpr = element if element.tag == qn("w:rPr") else element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        _insert_in_order(rpr, fonts, _RPR_AFTER_FONTS)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:hint"), "eastAsia")


def _first_line_chars(ppr: Any, chars: int, size: Pt) -> None:
    """First-line indent in characters (Word's firstLineChars, with the twips for readers that ignore it)."""
    ind = ppr.get_or_add_ind()
    ind.set(qn("w:firstLineChars"), str(chars * 100))
    ind.set(qn("w:firstLine"), str(int(size.pt * chars * 20)))


def _register_fonts(document: Any) -> None:
    part = next(p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    root = parse_xml(part.blob)
    present = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, alt, family in FONT_TABLE:
        if name in present:
            continue
        font = parse_xml(
            f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
            f'<w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>'
        )
        root.append(font)
    part._blob = serialize_part_xml(root)


def _shade(cell: Any, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    _insert_in_order(tcpr, shd, _TCPR_AFTER_SHD)


def _row_flags(row: Any, header: bool) -> None:
    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))
    if header:
        trpr.append(OxmlElement("w:tblHeader"))


def _cell_margins(table: Any, side_mm: float) -> None:
    tblpr = table._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for side, value in (("top", 0), ("left", side_mm), ("bottom", 0), ("right", side_mm)):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(int(value * 56.7)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    _insert_in_order(tblpr, mar, ("w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange"))


def _page_number(paragraph: Any) -> None:
    """ "— N —" with a PAGE field, as official documents number their pages."""
    paragraph.add_run("— ")
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind is not None:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            t = OxmlElement("w:t")
            t.text = text
            run._r.append(t)
    paragraph.add_run(" —")


# ---------------------------------------------------------------------------------------------- styles


def _styles(document: Any) -> None:
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, BODY_FONT)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:val"), "en-US")

    normal = styles["Normal"]
    normal.font.size = BODY_SIZE
    set_fonts(normal.element, BODY_FONT)
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE
    fmt.widow_control = True

    def paragraph_style(name: str, font: str, size: Pt, align: WD_ALIGN_PARAGRAPH | None) -> Any:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.font.size = size
        set_fonts(style.element, font)
        if align is not None:
            style.paragraph_format.alignment = align
        return style

    title = paragraph_style(STYLE_TITLE, TITLE_FONT, TITLE_SIZE, WD_ALIGN_PARAGRAPH.CENTER)
    title.paragraph_format.line_spacing = Pt(36)
    title.paragraph_format.space_after = LINE
    body = paragraph_style(STYLE_BODY, BODY_FONT, BODY_SIZE, WD_ALIGN_PARAGRAPH.JUSTIFY)
    _first_line_chars(body.element.get_or_add_pPr(), 2, BODY_SIZE)
    table = paragraph_style(STYLE_TABLE, BODY_FONT, TABLE_SIZE["portrait"], WD_ALIGN_PARAGRAPH.CENTER)
    table.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    signature = paragraph_style(STYLE_SIGNATURE, BODY_FONT, BODY_SIZE, WD_ALIGN_PARAGRAPH.RIGHT)
    signature.paragraph_format.right_indent = Pt(BODY_SIZE.pt * 2)
    draft = paragraph_style(STYLE_DRAFT, HEADING_FONT, Pt(12), WD_ALIGN_PARAGRAPH.CENTER)
    draft.font.color.rgb = DRAFT_RED
    draft.font.bold = True
    draft.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE

    for name, font in (("Heading 1", HEADING_FONT), ("Heading 2", SUBHEADING_FONT)):
        heading = styles[name]
        heading.font.size = BODY_SIZE
        heading.font.bold = False
        heading.font.italic = False
        heading.font.color.rgb = RGBColor(0, 0, 0)
        set_fonts(heading.element, font)
        hf = heading.paragraph_format
        hf.space_before = hf.space_after = Pt(0)
        hf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        hf.line_spacing = LINE
        hf.keep_with_next = True
        hf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        _first_line_chars(heading.element.get_or_add_pPr(), 2, BODY_SIZE)
    for name in ("Header", "Footer"):
        style = styles[name]
        set_fonts(style.element, "宋体")
        style.font.size = Pt(14)
        style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE


# ---------------------------------------------------------------------------------------------- page frame


def _frame(section: Any, orientation: str, draft: bool) -> None:
    short, long = A4
    if orientation == "landscape":
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = long, short
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = short, long
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = MARGINS[orientation]
    section.header_distance = Mm(10)
    section.footer_distance = Mm(10)
    if draft:
        header = section.header
        header.is_linked_to_previous = False
        paragraph = header.paragraphs[0]
        paragraph.style = STYLE_DRAFT
        paragraph.text = DRAFT_MARK


def _text_width(section: Any) -> int:
    return int(section.page_width - section.left_margin - section.right_margin)


# ---------------------------------------------------------------------------------------------- table


def _orientation(grid: Grid, portrait: Any) -> str:
    """Portrait unless the table cannot fit it: every column must hold two characters of the small table size
    (so 表三 and 表四 flow with the text, as published reports print them)."""
    column = 2 * TABLE_SIZE["landscape"] + Pt(3)
    return "portrait" if grid.n_cols * column <= _text_width(portrait) else "landscape"


def _table_size(grid: Grid, orientation: str) -> tuple[Pt, Pt]:
    """The larger table type for a few columns, the smaller for a wide table (表三, 表四), as published."""
    key = "landscape" if orientation == "landscape" or grid.n_cols > DENSE_COLUMNS else "portrait"
    return TABLE_SIZE[key], TABLE_LINE[key]


def _grid_table(document: Any, grid: Grid, width: int, orientation: str) -> Any:
    table = document.add_table(rows=grid.n_rows, cols=grid.n_cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    total = sum(grid.col_weights) or 1.0
    widths = [Emu(int(width * w / total)) for w in grid.col_weights]
    for i, column in enumerate(table.columns):
        column.width = widths[i]
    before = table._cells  # python-docx recomputes this list on every table.cell(): take it once
    for i, cell in enumerate(before):
        cell.width = widths[i % grid.n_cols]
    _cell_margins(table, 1.0)
    # A table with heading rows inside (表二's 第二十条 rows) repeats no header: its first header would wrongly
    # head the later blocks on a continuation page, whose own heading row says what they are.
    inner = any(r >= grid.header_rows for r in _heading_rows(grid))
    for r, row in enumerate(table.rows):
        _row_flags(row, header=r < grid.header_rows and not inner)
    for spec_cell in grid.cells:
        if spec_cell.rowspan > 1 or spec_cell.colspan > 1:
            last = before[spec_cell.last_row * grid.n_cols + spec_cell.last_col]
            before[spec_cell.row * grid.n_cols + spec_cell.col].merge(last)
    after = table._cells
    style_id = document.styles[STYLE_TABLE].style_id
    size, line = _table_size(grid, orientation)
    keeps = _kept_rows(grid)
    for spec_cell in grid.cells:
        keep = spec_cell.last_row in keeps
        _fill(after[spec_cell.row * grid.n_cols + spec_cell.col], spec_cell, style_id, size, line, keep)
    return table


def _heading_rows(grid: Grid) -> set[int]:
    """Rows made only of heading cells."""
    return {r for r in range(grid.n_rows) if all(c.is_heading for c in grid.cells if c.row <= r <= c.last_row)}


def _kept_rows(grid: Grid) -> frozenset[int]:
    """Rows that keep with the next one. A table flows with the text as published tables do: it may start low on
    a page and break (under its repeated header rows) instead of leaving half a page blank above it; but it
    never leaves its header and first rows alone at the bottom of a page, a heading row inside it (表二's
    第二十条 rows) never ends a page, and its last rows never stand alone at the top of one."""
    last = grid.n_rows - 1
    heading_rows = _heading_rows(grid)
    lead = set(range(min(grid.header_rows + TABLE_LEAD_ROWS, last)))
    tail = set(range(max(last - TABLE_TAIL_ROWS, 0), last))
    return frozenset((lead | tail | heading_rows) - {last})


def _fill(cell: Any, spec_cell: GridCell, style_id: str, size: Pt, line: Pt, keep: bool) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    paragraph._p.get_or_add_pPr().style = style_id
    fmt = paragraph.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    fmt.keep_with_next = keep
    run = paragraph.add_run(spec_cell.text)
    run.font.size = size
    if spec_cell.is_heading:
        _shade(cell, HEADING_FILL)
        set_fonts(run._r, HEADING_FONT)
    if spec_cell.missing:
        run.font.color.rgb = DRAFT_RED


# ---------------------------------------------------------------------------------------------- document


def _body(document: Any, texts: Iterable[str]) -> Any:
    """The paragraphs of one narrative part; returns the last."""
    paragraph = None
    for text in texts:
        paragraph = document.add_paragraph(text, style=STYLE_BODY)
    return paragraph


def _keep_with_next(block: Any) -> None:
    """Keep a paragraph, or a table's last row, on the page of what follows. The end of the part before the
    last goes with the last part and the signature, so that the last page never holds only 六 and the signature."""
    if hasattr(block, "rows"):
        for cell in block.rows[-1].cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True
    else:
        block.paragraph_format.keep_with_next = True


def render_docx(data: ReportData, *, draft: bool = False) -> bytes:
    document = Document()
    _styles(document)
    _register_fonts(document)
    props = document.core_properties
    # python-docx refuses a core property over 255 characters: a unit's name typed that long is clipped there
    # (the document itself prints it whole).
    props.title = data.title[:MAX_PROPERTY_CHARS]
    props.author = data.unit_name[:MAX_PROPERTY_CHARS]
    props.subject = data.spec.document[:MAX_PROPERTY_CHARS]
    props.language = "zh-CN"
    props.category = data.scope[:MAX_PROPERTY_CHARS]
    props.comments = DRAFT_MARK if draft else ""
    props.identifier = docx_identifier()

    section = document.sections[0]
    _frame(section, "portrait", draft)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number(footer)

    if draft:
        mark = document.add_paragraph(DRAFT_MARK, style=STYLE_DRAFT)
        mark.runs[0].font.size = Pt(36)
        mark.runs[0].font.color.rgb = RGBColor(0xE6, 0xB8, 0xB8)
        mark.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        mark.paragraph_format.space_after = Pt(12)
    title = document.add_paragraph(style=STYLE_TITLE)
    for i, line in enumerate(data.title_lines(int(_text_width(section) / Emu(TITLE_SIZE)))):
        if i:
            title.add_run().add_break()
        title.add_run(line)
    document.add_paragraph(data.preamble, style=STYLE_BODY)

    tables = grids(data)
    orientation = "portrait"
    last: Any = None  # the last paragraph or table written
    before_last: Any = None
    for spec_section in data.spec.sections:
        grid = tables[spec_section.table] if spec_section.table is not None else None
        wanted = _orientation(grid, document.sections[0]) if grid is not None else "portrait"
        if wanted != orientation:
            section = document.add_section(WD_SECTION.NEW_PAGE)
            _frame(section, wanted, draft)
            orientation = wanted
        if spec_section is data.spec.sections[-1] and before_last is not None:
            _keep_with_next(before_last)
        document.add_heading(spec_section.heading, level=1)
        if grid is not None:
            last = _grid_table(document, grid, _text_width(section), orientation)
        for part in spec_section.parts:
            if part.title:
                document.add_heading(part.title, level=2)
            last = _body(document, paragraphs(data.texts.get(part.key, "")) or [MISSING_TEXT])
        before_last = last

    if orientation != "portrait":
        section = document.add_section(WD_SECTION.NEW_PAGE)
        _frame(section, "portrait", draft)
    elif last is not None:
        _keep_with_next(last)  # never a page holding only the signature
    first = document.add_paragraph(data.unit_name, style=STYLE_SIGNATURE)
    first.paragraph_format.space_before = LINE
    first.paragraph_format.keep_with_next = True
    document.add_paragraph(data.date, style=STYLE_SIGNATURE)

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
