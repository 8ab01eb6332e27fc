"""The Word report: read back with python-docx cell by cell, and printed to PDF by LibreOffice."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm
from report_samples import sample_report, seed_report, zero_inputs
from soffice import convert

from giptemplate.format.spec import Spec
from giptemplate.report.docx import (
    BODY_FONT,
    FONT_TABLE,
    HEADING_FONT,
    STYLE_SIGNATURE,
    STYLE_TITLE,
    SUBHEADING_FONT,
    TITLE_FONT,
    render_docx,
)
from giptemplate.report.model import DRAFT_MARK, ReportData, build_grid, format_value, grids, paragraphs


def _open(data: ReportData, draft: bool = False) -> Any:
    return Document(io.BytesIO(render_docx(data, draft=draft)))


def _grid_of(docx_table: Any) -> Any:
    """A fast ``cell(r, c)``: python-docx recomputes every cell on each call of its own."""
    cells, width = docx_table._cells, len(docx_table.columns)
    return lambda r, c: cells[r * width + c]


def _east_asia(style: Any) -> str | None:
    fonts = style.element.rPr.find(qn("w:rFonts"))
    assert fonts is not None
    for theme in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme"):
        assert fonts.get(qn(theme)) is None, f"{style.name}: theme font overrides the named font"
    value: str | None = fonts.get(qn("w:eastAsia"))
    return value


def test_every_table_cell_matches_the_values_and_the_grid(any_spec: Spec) -> None:
    spec = any_spec
    data = sample_report(spec)
    document = _open(data)
    assert len(document.tables) == len(spec.tables)
    for table, docx_table in zip(spec.tables, document.tables, strict=True):
        grid = build_grid(spec, table, data.values)
        assert len(docx_table.rows) == table.height and len(docx_table.columns) == table.width
        at = _grid_of(docx_table)
        for cell in grid.cells:
            origin = at(cell.row, cell.col)
            assert origin.text == cell.text
            for r in range(cell.row, cell.last_row + 1):
                for c in range(cell.col, cell.last_col + 1):
                    assert at(r, c)._tc is origin._tc, f"{table.key} {cell.text} not merged at {r},{c}"
            shaded = origin._tc.tcPr.find(qn("w:shd")) is not None
            assert shaded == cell.is_heading, cell.text
            assert all(p.alignment == WD_ALIGN_PARAGRAPH.CENTER for p in origin.paragraphs)
        for spec_cell in table.cells:
            text = at(spec_cell.at.first_row, spec_cell.at.first_col).text
            assert text == format_value(data.values[spec_cell.key], spec_cell.type)
            assert text != ""
        # header rows repeat on a continuation page, except in a table with heading rows of its own inside
        # (表二's 第二十条 rows), where the first block's header would mislabel the later blocks
        grid = grids(data)[table.key]
        inner = any(
            all(c.is_heading for c in grid.cells if c.row <= r <= c.last_row)
            for r in range(grid.header_rows, grid.n_rows)
        )
        for r, row in enumerate(docx_table.rows):
            repeated = row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None
            assert repeated == (r < table.header_rows and not inner)


@pytest.mark.spec_ids("gip2021")  # 2021 only: a published 2021 report in the grids of A2–A4 (2019's below)
def test_seed_report_tables_read_back_as_published(spec: Spec) -> None:
    """627 行政许可 and 0 everywhere else, the fee with four decimals, 表四 without a label column."""
    document = _open(seed_report(spec))
    t2, t3, t4 = (_grid_of(t) for t in document.tables)
    assert [t2(6, c).text for c in range(4)] == ["行政许可", "627", "627", "627"]  # B7:D7 merged
    assert t2(6, 1)._tc is t2(6, 3)._tc
    assert t2(13, 1).text == "0"
    numbers = [t3(r, c).text for r in range(3, 28) for c in range(3, 10)]
    assert numbers == ["0"] * 175
    assert [t4(3, c).text for c in range(15)] == ["0"] * 15
    assert t3(5, 0).text == "三、本年度办理结果" and t3(26, 0)._tc is t3(5, 0)._tc


@pytest.mark.spec_ids("gip2019")  # 2019 only: the grids of gip-format.md B1–B3
def test_2019_report_tables_read_back_in_the_official_grid(spec: Spec) -> None:
    """Table 二's three value columns per row, （八）（九）'s last value merged C:D, 161 cells of table 三 with the
    single （六）其他处理 row merged B:C, 三、本年度办理结果 over 20 rows."""
    inputs = zero_inputs(spec) | {"t2.licensing.change": -8, "t2.licensing.decisions": 627}
    data = ReportData.from_inputs(spec, unit_name="某局", year=2020, date="2021年1月20日", inputs=inputs)
    t2, t3, t4 = (_grid_of(t) for t in _open(data).tables)
    assert [t2(6, c).text for c in range(4)] == ["行政许可", "0", "-8", "627"]
    assert t2(6, 2)._tc is not t2(6, 3)._tc
    for row, label in ((14, "行政事业性收费"), (17, "政府集中采购")):
        assert [t2(row, c).text for c in range(4)] == [label, "0", "0", "0"]
        assert t2(row, 2)._tc is t2(row, 3)._tc and t2(row, 1)._tc is not t2(row, 2)._tc
    numbers = [t3(r, c).text for r in range(3, 26) for c in range(3, 10)]
    assert numbers == ["0"] * 161
    assert t3(23, 1).text == "（六）其他处理" and t3(23, 1)._tc is t3(23, 2)._tc
    assert t3(5, 0).text == "三、本年度办理结果" and t3(24, 0)._tc is t3(5, 0)._tc
    assert t3(25, 0).text == "四、结转下年度继续办理"
    assert [t4(3, c).text for c in range(15)] == ["0"] * 15


def test_page_frame_orientation_and_table_width(any_spec: Spec) -> None:
    spec = any_spec
    data = sample_report(spec)
    document = _open(data)
    # every table of the 2021 format fits a portrait page in the smaller table size: one portrait section, the
    # tables flowing with the text as published reports print them
    got = ["landscape" if s.orientation == WD_ORIENT.LANDSCAPE else "portrait" for s in document.sections]
    assert got == ["portrait"]
    for section in document.sections:
        short, long = sorted((section.page_width, section.page_height))
        assert abs(short - Mm(210)) < Mm(0.5) and abs(long - Mm(297)) < Mm(0.5)
        assert (section.page_width > section.page_height) == (section.orientation == WD_ORIENT.LANDSCAPE)
    # each table sits in a section of its orientation and is no wider than that section's text block
    body = document.element.body
    section_index = 0
    tables_seen = 0
    for child in body.iterchildren():
        if child.tag == qn("w:tbl"):
            table = spec.tables[tables_seen]
            section = document.sections[section_index]
            width = sum(int(col.get(qn("w:w"))) for col in child.tblGrid.findall(qn("w:gridCol")))
            text_width = (section.page_width - section.left_margin - section.right_margin) / 635  # EMU -> twips
            assert width <= text_width + 5, table.key
            tables_seen += 1
        if child.tag == qn("w:p") and child.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
            section_index += 1
    assert tables_seen == len(spec.tables)


def test_fonts_are_named_as_east_asian_fonts_with_fallbacks(spec: Spec) -> None:
    document = _open(seed_report(spec))
    styles = document.styles
    assert _east_asia(styles["Normal"]) == BODY_FONT
    assert _east_asia(styles["Heading 1"]) == HEADING_FONT
    assert _east_asia(styles["Heading 2"]) == SUBHEADING_FONT
    assert _east_asia(styles[STYLE_TITLE]) == TITLE_FONT
    assert styles["Heading 1"].font.color.rgb is not None and str(styles["Heading 1"].font.color.rgb) == "000000"
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    part = next(p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    blob = part.blob.decode("utf-8")
    for name, alt, _ in FONT_TABLE:
        assert re.search(f'w:name="{name}">\\s*<w:altName w:val="{alt}"/>', blob), name
    assert (TITLE_FONT, "黑体") in {(n, a) for n, a, _ in FONT_TABLE}


def test_headings_texts_and_signature(spec: Spec) -> None:
    data = seed_report(spec)
    document = _open(data)
    paras = document.paragraphs
    title = next(p for p in paras if p.style.name == STYLE_TITLE)
    assert title.text.replace("\n", "") == data.title
    assert [p.text for p in paras if p.style.name == "Heading 1"] == [s.heading for s in spec.sections]
    assert [p.text for p in paras if p.style.name == "Heading 2"] == [p.title for p in spec.parts if p.title]
    texts = [p.text for p in paras]
    for part in spec.parts:
        for para in paragraphs(data.texts[part.key]):
            assert para in texts
    unit, date = paras[-2], paras[-1]
    assert (unit.text, date.text) == (data.unit_name, data.date)
    assert unit.style.name == date.style.name == STYLE_SIGNATURE
    assert unit.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert DRAFT_MARK not in "".join(texts)
    assert all(DRAFT_MARK not in p.text for s in document.sections for p in s.header.paragraphs)


def test_draft_mark_on_every_section_and_in_the_body(spec: Spec) -> None:
    document = _open(seed_report(spec), draft=True)
    for section in document.sections:
        assert not section.header.is_linked_to_previous
        assert DRAFT_MARK in "".join(p.text for p in section.header.paragraphs)
    assert sum(DRAFT_MARK in p.text for p in document.paragraphs) == 1


def test_control_characters_and_markup_in_submitted_text_are_harmless(spec: Spec) -> None:
    texts = {"s1_1": "含控制符\x01\x0b的文字<w:p/>&amp;", "s6": "未收费。"}
    data = ReportData.from_inputs(
        spec, unit_name="某局\x07", year=2021, date="2022年1月1日", inputs=zero_inputs(spec), texts=texts
    )
    document = _open(data)
    assert "含控制符的文字<w:p/>&amp;" in [p.text for p in document.paragraphs]
    assert document.paragraphs[-2].text == "某局"


# ---------------------------------------------------------------------------------------------- LibreOffice


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory, spec: Spec) -> dict[str, Path]:
    """The seed report (final and draft) and the random sample, printed to PDF in one soffice run."""
    folder = tmp_path_factory.mktemp("report_pdf")
    sources = {
        "seed": (seed_report(spec), False),
        "seed_draft": (seed_report(spec), True),
        "sample": (sample_report(spec), False),
    }
    paths = []
    for name, (data, draft) in sources.items():
        path = folder / f"{name}.docx"
        path.write_bytes(render_docx(data, draft=draft))
        paths.append(path)
    pdfs = convert(paths, folder, "pdf")
    return dict(zip(sources, pdfs, strict=True))


def _poppler(tool: str) -> str:
    """pdftotext / pdfinfo (poppler-utils, installed by CI beside LibreOffice); skipped locally when absent."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} (poppler-utils) is not installed: PDF text not checked"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true requires it)")
        pytest.skip(message)
    return path


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        [_poppler("pdftotext"), "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True
    ).stdout
    return [re.sub(r"\s+", "", page) for page in text.decode("utf-8").split("\f") if page.strip()]


def _sizes(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(
        [_poppler("pdfinfo"), "-f", "1", "-l", "999", str(pdf)], capture_output=True, check=True
    ).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info.decode())]


def _contains_in_order(haystack: str, needle: str, window_factor: int = 4) -> bool:
    """Whether the characters of ``needle`` appear in order within a short stretch (cells wrap their lines)."""
    needle = re.sub(r"\s+", "", needle)
    start = haystack.find(needle[:2])
    while start != -1:
        pos, ok = start, True
        for ch in needle:
            pos = haystack.find(ch, pos)
            if pos == -1 or pos - start > len(needle) * window_factor + 40:
                ok = False
                break
            pos += 1
        if ok:
            return True
        start = haystack.find(needle[:2], start + 1)
    return False


@pytest.mark.soffice
def test_pdf_pages_orientation_and_flowing_tables(printed: dict[str, Path], spec: Spec) -> None:
    for name in ("seed", "sample"):
        pages = _pages(printed[name])
        sizes = _sizes(printed[name])
        assert len(pages) == len(sizes) >= 4
        data = seed_report(spec) if name == "seed" else sample_report(spec)
        tables = grids(data)
        for section in spec.sections:
            if section.table is None:
                continue
            grid = tables[section.table]
            # the heading prints with the table's header and its first body row (never a header alone at the
            # foot of a page); the table ends on that page or the next (it flows with the text, as published)
            (page,) = [i for i, p in enumerate(pages) if re.sub(r"\s+", "", section.heading) in p]
            width, height = sizes[page]
            assert width < height, (name, section.key)  # portrait
            first_body = grid.row_cells(grid.header_rows)
            for cell in [*(c for c in grid.cells if c.row < grid.header_rows), *first_body]:
                assert _contains_in_order(pages[page], cell.text), (name, section.key, cell.text)
            last = grid.row_cells(grid.n_rows - 1)
            last_text = next((c.text for c in last if c.role == "row_label"), last[-1].text)
            span = "".join(pages[page : page + 2])
            assert _contains_in_order(span, last_text), (name, section.key)
            for cell in grid.cells:
                assert _contains_in_order(span, cell.text), (name, section.key, cell.text)
        # the signature is never alone on the last page
        assert data.unit_name in pages[-1] and re.sub(r"\s+", "", data.date) in pages[-1]
        assert any(part_text[:10] in pages[-1] for part_text in paragraphs(data.texts["s6"]))


@pytest.mark.soffice
def test_pdf_draft_mark_on_every_page(printed: dict[str, Path]) -> None:
    pages = _pages(printed["seed_draft"])
    assert pages and all(DRAFT_MARK in page for page in pages)
    assert not any(DRAFT_MARK in page for page in _pages(printed["seed"]))


# Pairs (earlier, later) of property elements in the order the WordprocessingML schema requires; Word refuses a
# document ("unreadable content") whose properties stand out of order.
_SCHEMA_ORDER = {
    "w:pPr": ("w:pStyle", "w:keepNext", "w:widowControl", "w:spacing", "w:ind", "w:jc", "w:rPr", "w:sectPr"),
    "w:rPr": ("w:rStyle", "w:rFonts", "w:b", "w:i", "w:color", "w:sz", "w:szCs", "w:lang"),
    "w:tcPr": ("w:tcW", "w:gridSpan", "w:vMerge", "w:shd", "w:vAlign"),
    "w:tblPr": ("w:tblStyle", "w:tblW", "w:jc", "w:tblLayout", "w:tblCellMar", "w:tblLook"),
    "w:font": ("w:altName", "w:panose1", "w:charset", "w:family", "w:pitch", "w:sig"),
}


def test_property_elements_follow_schema_order(spec: Spec) -> None:
    document = _open(sample_report(spec), draft=True)
    parts = [document.element, document.styles.element]
    parts += [s.header._element for s in document.sections] + [document.sections[0].footer._element]
    font_table = next(p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    parts.append(parse_xml(font_table.blob))
    checked = 0
    for root in parts:
        for parent_tag, order in _SCHEMA_ORDER.items():
            rank = {qn(tag): i for i, tag in enumerate(order)}
            for parent in root.iter(qn(parent_tag)):
                ranks = [rank[child.tag] for child in parent if child.tag in rank]
                assert ranks == sorted(ranks), f"{parent_tag}: {[c.tag.split('}')[1] for c in parent]}"
                checked += len(ranks) > 1
    assert checked > 100
