"""The report as Markdown and as a self-contained HTML page, both drawn from the generic grid of :mod:`report`.

Submitted text is never markup: Markdown escapes every punctuation mark that could start a construct, HTML escapes
everything. Markdown has no merged cells, so each table is flattened band by band (see :class:`report.Band`), and
the source is padded by display width (CJK characters count 2) so the columns line up in a text editor too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from giptemplate.format.spec import Part, Section
from giptemplate.report.model import (
    DRAFT_MARK,
    MISSING_TEXT,
    Band,
    Grid,
    GridCell,
    ReportData,
    grids,
    paragraphs,
)
from giptemplate.workbook.textwidth import display_width

# ---------------------------------------------------------------------------------------------- Markdown

_MD_INLINE = re.compile(r"([\\`*_\[\]<>#|~&!])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+(?=[.)]))")


def md_escape_inline(text: str) -> str:
    """Text inside a line (a table cell) that Markdown shows literally: no emphasis, links, code or HTML."""
    return _MD_INLINE.sub(r"\\\1", text)


def md_escape(text: str) -> str:
    """One line of text that Markdown shows literally (no emphasis, links, HTML, lists or headings)."""
    escaped = md_escape_inline(text)
    match = _MD_LINE_START.match(escaped)
    if match:
        lead, token = match.groups()
        rest = escaped[match.end() :]
        if token.isdigit():
            return f"{lead}{token}\\{rest}"  # "1." -> "1\." keeps it out of an ordered list
        return f"{lead}\\{token}{rest}"
    return escaped


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def markdown_table(header: list[str], rows: list[list[str]], numeric: list[bool]) -> list[str]:
    """A pipe table whose source columns line up: every cell padded to its column's display width."""
    cells = [[md_escape_inline(c) for c in header]] + [[md_escape_inline(c) for c in row] for row in rows]
    widths = [max(3, *(display_width(row[i]) for row in cells)) for i in range(len(header))]
    lines = ["| " + " | ".join(_pad(c, widths[i], False) for i, c in enumerate(cells[0])) + " |"]
    rule = [("-" * (w - 1) + ":") if numeric[i] else (":" + "-" * (w - 1)) for i, w in enumerate(widths)]
    lines.append("| " + " | ".join(rule) + " |")
    for row in cells[1:]:
        lines.append("| " + " | ".join(_pad(c, widths[i], numeric[i]) for i, c in enumerate(row)) + " |")
    return lines


def _md_band(band: Band) -> list[str]:
    out: list[str] = []
    for caption in band.captions:
        out += [f"**{md_escape(caption)}**", ""]
    header = ([band.label_header] if band.label_header is not None else []) + list(band.column_headers)
    numeric = ([False] if band.label_header is not None else []) + [True] * len(band.column_headers)
    rows = [([label] if band.label_header is not None else []) + list(values) for label, values in band.rows]
    out += markdown_table([h or " " for h in header], [[c if c is not None else "" for c in r] for r in rows], numeric)
    return [*out, ""]


def _md_parts(section: Section, data: ReportData) -> Iterator[str]:
    for part in section.parts:
        if part.title:
            yield f"### {md_escape(part.title)}"
            yield ""
        for text in _texts(part, data):
            yield md_escape(text)
            yield ""


def _texts(part: Part, data: ReportData) -> list[str]:
    return paragraphs(data.texts.get(part.key, "")) or [MISSING_TEXT]


def render_markdown(data: ReportData, *, draft: bool = False) -> str:
    lines: list[str] = []
    if draft:
        lines += [f"> **{DRAFT_MARK}**", ""]
    lines += [f"# {md_escape(data.title)}", "", md_escape(data.preamble), ""]
    tables = grids(data)
    for section in data.spec.sections:
        lines += [f"## {md_escape(section.heading)}", ""]
        if section.table is not None:
            for band in tables[section.table].bands():
                lines += _md_band(band)
        lines += list(_md_parts(section, data))
    lines += [md_escape(data.unit_name), "", md_escape(data.date), ""]
    if draft:
        lines += [f"> **{DRAFT_MARK}**", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- HTML

_CSS = """
@page { size: A4 portrait; margin: 37mm 26mm 35mm 28mm;
  @bottom-center { content: "— " counter(page) " —"; font: 14pt "宋体", "SimSun", serif; } }
@page wide { size: A4 landscape; margin: 20mm 22mm 18mm; }
html { background: #f2f2f2; }
body { margin: 0; color: #000; font: 16pt/1.75 "仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "STFangsong",
  "Noto Serif CJK SC", "Source Han Serif SC", serif; }
main { box-sizing: border-box; max-width: 210mm; margin: 0 auto; padding: 25mm 26mm 25mm 28mm; background: #fff; }
h1 { margin: 0 0 1.2em; text-align: center; font: 22pt/1.4 "方正小标宋简体", "FZXiaoBiaoSong-B05S", "小标宋",
  "黑体", "SimHei", "Heiti SC", "Noto Sans CJK SC", sans-serif; }
h2 { margin: 0; text-indent: 2em; font: 16pt/1.75 "黑体", "SimHei", "Heiti SC", "Noto Sans CJK SC", sans-serif;
  break-after: avoid; }
h3 { margin: 0; text-indent: 2em; font: 16pt/1.75 "楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi", "STKaiti", serif;
  break-after: avoid; }
h1 .title-part { display: inline-block; }
p { margin: 0; text-indent: 2em; text-align: justify; }
p.signature { text-align: right; text-indent: 0; padding-right: 2em; }
p.signature.first { margin-top: 1.75em; break-before: avoid; }
table { width: 100%; border-collapse: collapse; margin: 0.2em 0 0.8em; font-size: 12pt; line-height: 1.3; }
section.wide table { font-size: 10pt; line-height: 1.25; }
th, td { border: 1px solid #000; padding: 1px 2px; text-align: center; vertical-align: middle; }
th { font-weight: normal; }
th.heading { background: #e7e6e6; font-family: "黑体", "SimHei", "Heiti SC", "Noto Sans CJK SC", sans-serif; }
td.missing { color: #c00; }
tr { break-inside: avoid; }
thead { display: table-header-group; }
.draft-banner { position: sticky; top: 0; z-index: 2; padding: 4px; text-align: center; color: #fff;
  background: #c00; font: bold 14pt sans-serif; }
.watermark { position: fixed; top: 40%; left: 0; right: 0; z-index: 1; text-align: center; pointer-events: none;
  color: rgba(204, 0, 0, 0.14); font: bold 64pt sans-serif; transform: rotate(-30deg); }
@media print {
  html { background: none; }
  main { max-width: none; padding: 0; }
  section.wide { page: wide; break-before: page; }
  section.wide + section.text { break-before: page; }
  .draft-banner { position: static; margin-bottom: 1em; }
}
"""
# Only in a draft: the mark in the top margin of every printed page (engines without margin boxes still show the
# banner on the first page and the fixed watermark on every page).
_DRAFT_CSS = '@page { @top-center { content: "%s"; color: #c00; font: bold 12pt sans-serif; } }'


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _html_cell(cell: GridCell) -> str:
    attrs = ""
    if cell.rowspan > 1:
        attrs += f' rowspan="{cell.rowspan}"'
    if cell.colspan > 1:
        attrs += f' colspan="{cell.colspan}"'
    if cell.role == "value":
        cls = ' class="missing"' if cell.missing else ""
        return f'<td data-key="{_esc(cell.key or "")}"{attrs}{cls}>{_esc(cell.text)}</td>'
    if cell.role == "blank":
        return f"<td{attrs}></td>"
    cls = "heading" if cell.is_heading else "label"
    scope = ' scope="row"' if cell.role in ("row_label", "group") else ""
    return f'<th class="{cls}"{scope}{attrs}>{_esc(cell.text)}</th>'


def html_table(grid: Grid) -> str:
    total = sum(grid.col_weights) or 1.0
    out = [f'<table data-table="{_esc(grid.key)}">', "<colgroup>"]
    out += [f'<col style="width:{w / total * 100:.2f}%">' for w in grid.col_weights]
    out.append("</colgroup>")
    by_row: dict[int, list[GridCell]] = {}
    for cell in grid.cells:
        by_row.setdefault(cell.row, []).append(cell)
    for r in range(grid.n_rows):
        if r == 0 and grid.header_rows:
            out.append("<thead>")
        if r == grid.header_rows:
            out.append("<tbody>")
        out.append("<tr>" + "".join(_html_cell(c) for c in sorted(by_row.get(r, []), key=lambda c: c.col)) + "</tr>")
        if r == grid.header_rows - 1:
            out.append("</thead>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def render_html(data: ReportData, *, draft: bool = False) -> str:
    title = _esc(data.title)
    body: list[str] = []
    if draft:
        body += [
            f'<div class="draft-banner" role="alert">{_esc(DRAFT_MARK)}</div>',
            f'<div class="watermark" aria-hidden="true">{_esc(DRAFT_MARK)}</div>',
        ]
    pieces = "".join(f'<span class="title-part">{_esc(part)}</span>' for part in data.title_parts())
    body += ["<main>", f"<h1>{pieces}</h1>", f"<p>{_esc(data.preamble)}</p>"]
    tables = grids(data)
    for section in data.spec.sections:
        wide = section.table is not None and tables[section.table].orientation == "landscape"
        body.append(f'<section class="{"wide" if wide else "text"}" data-section="{_esc(section.key)}">')
        body.append(f"<h2>{_esc(section.heading)}</h2>")
        if section.table is not None:
            body.append(html_table(tables[section.table]))
        for part in section.parts:
            if part.title:
                body.append(f"<h3>{_esc(part.title)}</h3>")
            body += [f"<p>{_esc(text)}</p>" for text in _texts(part, data)]
        body.append("</section>")
    body += [
        f'<p class="signature first">{_esc(data.unit_name)}</p>',
        f'<p class="signature">{_esc(data.date)}</p>',
        "</main>",
    ]
    head = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="giptemplate">',
        f"<title>{title}</title>",
        f"<style>{_CSS}{_DRAFT_CSS % DRAFT_MARK if draft else ''}</style>",
        "</head>",
        f'<body class="{"draft" if draft else "final"}">',
    ]
    return "\n".join([*head, *body, "</body>", "</html>", ""])
