"""The report's data, its grid model and the Markdown and HTML renderers (no workbook needed)."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from report_samples import sample_report, seed_report, zero_inputs

from giptemplate.format.arithmetic import arithmetic_for
from giptemplate.format.spec import Spec
from giptemplate.report.model import (
    DRAFT_MARK,
    MISSING_TEXT,
    MISSING_VALUE,
    PATH_SEPARATOR,
    ReportData,
    build_grid,
    format_date,
    format_value,
    grids,
    paragraphs,
)
from giptemplate.report.render import render
from giptemplate.report.text import md_escape, render_html, render_markdown
from giptemplate.workbook.textwidth import display_width

GOLDEN = Path(__file__).parent / "golden" / "report.md"
REGEN_ENV = "GIPTEMPLATE_REGEN_GOLDEN"


# ---------------------------------------------------------------------------------------------- helpers


def test_format_value_counts_fees_and_missing(spec: Spec) -> None:
    count = spec.cell_types["count"]
    fee = next(c.type for c in spec.input_cells if not c.type.integral)  # 2021: fee in 万元; 2019: 采购总金额 in 元
    assert format_value(0, count) == "0"
    assert format_value(627, count) == "627"
    assert format_value(Decimal("0"), fee) == "0"  # 0 prints as 0, not 0.0000
    assert format_value(Decimal("1.5"), fee) == "1.5"  # the decimals it has
    assert format_value(3, fee) == "3"
    assert format_value(Decimal("0.123456"), fee) == "0.123456"  # more places are shown, never rounded away
    assert format_value(Decimal("1E+2"), fee) == "100"
    assert format_value(None, count) == MISSING_VALUE
    assert format_value(Decimal("1234567.8"), fee) == "1234567.8"
    for kind in spec.cell_types.values():
        if kind.signed:  # 2019's 本年增/减: "减用负值表示，如-8"
            assert format_value(-8, kind) == "-8"


def test_format_date() -> None:
    assert format_date("2022-01-20") == "2022年1月20日"
    assert format_date("2022/1/5") == "2022年1月5日"
    assert format_date("2022.01.05") == "2022年1月5日"
    assert format_date(" 2022年01月20日 ") == "2022年1月20日"
    assert format_date("2022-02-30") == "2022-02-30"  # not a date: kept as typed
    assert format_date("一月下旬") == "一月下旬"


def test_paragraphs_drop_blank_lines_indentation_and_control_characters() -> None:
    text = "\u3000\u3000第一段。\r\n\r\n  第二段\x0b含控制符。\n\u3000\n第三段"
    assert paragraphs(text) == ["第一段。", "第二段含控制符。", "第三段"]


def test_display_width_counts_cjk_as_two() -> None:
    assert display_width("abc") == 3
    assert display_width("申请") == 4
    assert display_width("（一）") == 6
    # Combining marks and format characters take no column, whatever the text around them (the cached
    # per-character widths must not depend on the order characters are first met in).
    assert display_width("e\u0301") == 1 and display_width("申\u200b请") == 4 and display_width("\u0301申") == 2
    assert display_width("ａ１，") == 6 and display_width("½é") == 2
    assert display_width("e\u0301") == 1


def test_title_breaks_after_the_unit_only_when_too_long(spec: Spec) -> None:
    data = seed_report(spec)
    assert data.title == "郑县教育体育局2021年政府信息公开工作年度报告"
    assert data.title_lines(40) == [data.title]
    assert data.title_lines(20) == ["郑县教育体育局", "2021年政府信息公开工作年度报告"]


# ---------------------------------------------------------------------------------------------- grid


def test_grid_covers_every_position_once_and_places_every_spec_text(any_spec: Spec) -> None:
    spec = any_spec
    data = sample_report(spec)
    for table in spec.tables:
        grid = build_grid(spec, table, data.values)
        seen: dict[tuple[int, int], int] = {}
        for cell in grid.cells:
            for r in range(cell.row, cell.last_row + 1):
                for c in range(cell.col, cell.last_col + 1):
                    seen[(r, c)] = seen.get((r, c), 0) + 1
        assert set(seen) == {(r, c) for r in range(table.height) for c in range(table.width)}
        assert set(seen.values()) == {1}
        anchored = {(c.row, c.col, c.last_row, c.last_col): c for c in grid.cells}
        for at, text, _ in table.fixed_texts():
            cell = anchored[(at.first_row, at.first_col, at.last_row, at.last_col)]
            assert cell.text == text
        for spec_cell in table.cells:
            at = spec_cell.at
            cell = anchored[(at.first_row, at.first_col, at.last_row, at.last_col)]
            assert cell.role == "value" and cell.key == spec_cell.key
            assert cell.text == format_value(data.values[spec_cell.key], spec_cell.type)
        assert not [c for c in grid.cells if c.role == "blank"], "the official grids have no empty cell"


@pytest.mark.spec_ids("gip2021")  # 2021 only: a published 2021 report in the grids of A2–A4 (2019's below)
def test_seed_figures_render_into_the_official_layout(spec: Spec) -> None:
    """The sample report's figures (627 行政许可, else 0) in the grids of gip-format.md A2-A4."""
    tables = grids(seed_report(spec))

    def row_texts(key: str, row: int) -> list[str]:
        return [c.text for c in tables[key].row_cells(row)]

    t2 = tables["t2"]
    assert (t2.n_rows, t2.n_cols) == (14, 4)
    assert row_texts("t2", 0) == ["第二十条第（一）项"]
    assert row_texts("t2", 1) == ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
    assert row_texts("t2", 2) == ["规章", "0", "0", "0"]
    assert row_texts("t2", 3) == ["行政规范性文件", "0", "0", "0"]
    assert row_texts("t2", 5) == ["信息内容", "本年处理决定数量"]
    assert row_texts("t2", 6) == ["行政许可", "627"]
    assert t2.covering(6, 1).colspan == 3
    assert row_texts("t2", 9) == ["行政处罚", "0"]
    assert row_texts("t2", 10) == ["行政强制", "0"]
    assert row_texts("t2", 12) == ["信息内容", "本年收费金额（单位：万元）"]
    assert row_texts("t2", 13) == ["行政事业性收费", "0"]

    t3 = tables["t3"]
    assert (t3.n_rows, t3.n_cols) == (28, 10)
    note = t3.covering(0, 0)
    assert (note.rowspan, note.colspan) == (3, 3) and note.text.startswith("（本列数据的勾稽关系为")
    assert (t3.covering(0, 3).text, t3.covering(0, 3).colspan) == ("申请人情况", 7)
    assert (t3.covering(1, 3).text, t3.covering(1, 3).rowspan) == ("自然人", 2)
    assert (t3.covering(1, 4).text, t3.covering(1, 4).colspan) == ("法人或其他组织", 5)
    assert [t3.covering(2, c).text for c in range(4, 9)] == [
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
    ]
    assert (t3.covering(1, 9).text, t3.covering(1, 9).rowspan) == ("总计", 2)
    group = t3.covering(5, 0)
    assert (group.text, group.rowspan) == ("三、本年度办理结果", 22)
    assert [t3.covering(r, 1).rowspan for r in (7, 15, 18, 23)] == [8, 3, 5, 3]
    assert row_texts("t3", 3) == ["一、本年新收政府信息公开申请数量"] + ["0"] * 7
    assert row_texts("t3", 26)[1:] == ["（七）总计"] + ["0"] * 7
    assert row_texts("t3", 27) == ["四、结转下年度继续办理"] + ["0"] * 7
    assert t3.covering(3, 0).colspan == 3 and t3.covering(5, 1).colspan == 2

    t4 = tables["t4"]
    assert (t4.n_rows, t4.n_cols, t4.label_cols) == (4, 15, 0)
    assert [(c.text, c.colspan) for c in t4.row_cells(0)] == [("行政复议", 5), ("行政诉讼", 10)]
    assert [c.text for c in t4.row_cells(3)] == ["0"] * 15  # no label column: the data row is all numbers
    assert all(c.role == "value" for c in t4.row_cells(3))


@pytest.mark.spec_ids("gip2019")  # 2019 only: the grids of gip-format.md B1–B3
def test_2019_figures_render_into_the_official_layout(spec: Spec) -> None:
    """Table 二 in five blocks, （八）（九）'s last value spanning C:D; the single （六）其他处理 row; 表四 as 2021."""
    inputs = zero_inputs(spec) | {
        "t2.licensing.items": 35,
        "t2.licensing.change": -8,
        "t2.licensing.decisions": 627,
        "t2.procurement.amount": Decimal("1234567.89"),
    }
    tables = grids(ReportData.from_inputs(spec, unit_name="某局", year=2020, date="2021年1月20日", inputs=inputs))

    def row_texts(key: str, row: int) -> list[str]:
        return [c.text for c in tables[key].row_cells(row)]

    t2 = tables["t2"]
    assert (t2.n_rows, t2.n_cols) == (18, 4)
    assert [row_texts("t2", r) for r in (0, 4, 8, 12, 15)] == [
        ["第二十条第（一）项"],
        ["第二十条第（五）项"],
        ["第二十条第（六）项"],
        ["第二十条第（八）项"],
        ["第二十条第（九）项"],
    ]
    assert row_texts("t2", 1) == ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"]
    assert row_texts("t2", 3) == ["规范性文件", "0", "0", "0"]
    assert row_texts("t2", 5) == ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"]
    assert row_texts("t2", 6) == ["行政许可", "35", "-8", "627"]  # the signed change as typed
    assert row_texts("t2", 7) == ["其他对外管理服务事项", "0", "0", "0"]
    assert row_texts("t2", 9) == ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"]
    assert row_texts("t2", 11) == ["行政强制", "0", "0", "0"]
    assert row_texts("t2", 13) == ["信息内容", "上一年项目数量", "本年增/减"]
    assert row_texts("t2", 14) == ["行政事业性收费", "0", "0"]
    assert row_texts("t2", 16) == ["信息内容", "采购项目数量", "采购总金额"]
    assert row_texts("t2", 17) == ["政府集中采购", "0", "1234567.89"]
    assert [t2.covering(r, 2).colspan for r in (13, 14, 16, 17)] == [2, 2, 2, 2]

    t3 = tables["t3"]
    assert (t3.n_rows, t3.n_cols) == (26, 10)  # 3 header rows and 23 data rows
    group = t3.covering(5, 0)
    assert (group.text, group.rowspan) == ("三、本年度办理结果", 20)
    assert [t3.covering(r, 1).rowspan for r in (7, 15, 18)] == [8, 3, 5]
    assert row_texts("t3", 23)[1:] == ["（六）其他处理"] + ["0"] * 7
    assert t3.covering(23, 1).colspan == 2  # one row, its label merged B:C
    assert row_texts("t3", 24)[1:] == ["（七）总计"] + ["0"] * 7
    assert row_texts("t3", 25) == ["四、结转下年度继续办理"] + ["0"] * 7

    t4 = tables["t4"]
    assert (t4.n_rows, t4.n_cols, t4.label_cols) == (4, 15, 0)
    assert [(c.text, c.colspan) for c in t4.row_cells(0)] == [("行政复议", 5), ("行政诉讼", 10)]


def test_missing_values_are_marked_never_blank(any_spec: Spec) -> None:
    spec = any_spec
    inputs = zero_inputs(spec)
    inputs["t3.R1.c1"] = None
    data = ReportData.from_inputs(spec, unit_name="某局", year=2021, date="2022年1月1日", inputs=inputs)
    t3 = grids(data)["t3"]
    missing = {c.key for c in t3.cells if c.missing}
    # the blank input and every total computed over it
    assert missing == {"t3.R1.c1", "t3.R1.c7"}
    assert all(c.text == MISSING_VALUE for c in t3.cells if c.missing)
    assert set(data.missing_values) == missing


# Per format (gip-format.md A2/A3, B1/B2): the column headers of table 二's blocks, table 三's data rows and the
# label path of its last result row before （七）总计.
BANDS = {
    "gip2021": (
        [
            ("本年制发件数", "本年废止件数", "现行有效件数"),
            ("本年处理决定数量",),
            ("本年处理决定数量",),
            ("本年收费金额（单位：万元）",),
        ],
        25,
        ["三、本年度办理结果", "（六）其他处理", "3.其他"],
    ),
    "gip2019": (
        [
            ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
            ("上一年项目数量", "本年增/减", "处理决定数量"),
            ("上一年项目数量", "本年增/减", "处理决定数量"),
            ("上一年项目数量", "本年增/减"),
            ("采购项目数量", "采购总金额"),
        ],
        23,
        ["三、本年度办理结果", "（六）其他处理"],
    ),
}


def test_bands_flatten_headers_and_label_paths(spec: Spec) -> None:
    t2_headers, t3_rows, last_result = BANDS[spec.id]
    tables = grids(sample_report(spec))
    bands = tables["t2"].bands()
    assert [b.captions for b in bands] == [(t.text,) for t in tables["t2"].cells if t.role == "caption"]
    assert {b.label_header for b in bands} == {"信息内容"}
    assert [b.column_headers for b in bands] == t2_headers
    (t3,) = tables["t3"].bands()
    assert t3.column_headers[1] == PATH_SEPARATOR.join(["申请人情况", "法人或其他组织", "商业企业"])
    labels = [label for label, _ in t3.rows]
    assert labels[5] == PATH_SEPARATOR.join(["三、本年度办理结果", "（三）不予公开", "2.其他法律行政法规禁止公开"])
    assert labels[-3] == PATH_SEPARATOR.join(last_result)
    assert len(labels) == t3_rows
    (t4,) = tables["t4"].bands()
    assert t4.label_header is None and len(t4.column_headers) == 15
    assert t4.column_headers[14] == PATH_SEPARATOR.join(["行政诉讼", "复议后起诉", "总计"])


# ---------------------------------------------------------------------------------------------- Markdown


def _md_tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """The tables of a Markdown document as parsed by markdown-it (header cells, body rows)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables: list[tuple[list[str], list[list[str]]]] = []
    header: list[str] = []
    rows: list[list[str]] = []
    row: list[str] = []
    in_head = False
    for i, tok in enumerate(tokens):
        if tok.type == "table_open":
            header, rows = [], []
        elif tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            row = []
        elif tok.type in ("th_open", "td_open"):
            row.append(tokens[i + 1].content if tokens[i + 1].type == "inline" else "")
        elif tok.type == "tr_close":
            if in_head:
                header = row
            else:
                rows.append(row)
        elif tok.type == "table_close":
            tables.append((header, rows))
    return tables


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _ends_with(path: str, tail: str) -> bool:
    return path == tail or path.endswith(PATH_SEPARATOR + tail)


def test_markdown_tables_hold_every_value_under_its_own_header(any_spec: Spec) -> None:
    spec = any_spec
    data = sample_report(spec)
    md_tables = _md_tables(render_markdown(data))
    tables = grids(data)
    assert len(md_tables) == sum(len(tables[t.key].bands()) for t in spec.tables)
    for table in spec.tables:
        mine, md_tables = md_tables[: len(tables[table.key].bands())], md_tables[len(tables[table.key].bands()) :]
        for cell in table.cells:
            want = format_value(data.values[cell.key], cell.type)
            column = (
                f"{cell.column.group}{PATH_SEPARATOR}{cell.column.label}" if cell.column.group else cell.column.label
            )
            hits = []
            for header, rows in mine:
                header = [_unescape(h) for h in header]
                cols = [i for i, h in enumerate(header) if _ends_with(h, column)]
                for row in rows:
                    if table.label_cols == 0 or _ends_with(_unescape(row[0]), cell.row.label):
                        hits += [_unescape(row[i]) for i in cols]
            assert hits == [want], cell.key


def _pipe_blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.startswith("|"):
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _pipe_offsets(line: str) -> list[int]:
    """Display columns of the unescaped pipes of one table line."""
    offsets, width, escaped = [], 0, False
    for ch in line:
        if ch == "|" and not escaped:
            offsets.append(width)
        escaped = ch == "\\" and not escaped
        width += display_width(ch)
    return offsets


def test_markdown_source_columns_line_up(spec: Spec) -> None:
    data = sample_report(spec)
    blocks = _pipe_blocks(render_markdown(data))
    assert len(blocks) == sum(len(g.bands()) for g in grids(data).values())
    for block in blocks:
        first = _pipe_offsets(block[0])
        assert len(first) >= 2
        for line in block[1:]:
            assert _pipe_offsets(line) == first, line


def test_markdown_golden(spec: Spec) -> None:
    golden = GOLDEN if spec.id == "gip2021" else GOLDEN.with_name(f"report_{spec.id}.md")
    text = render_markdown(sample_report(spec))
    if os.environ.get(REGEN_ENV):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"golden file missing: run with {REGEN_ENV}=1 to create it"
    assert text == golden.read_text(encoding="utf-8"), f"Markdown changed; if intended, regenerate with {REGEN_ENV}=1"


def test_markdown_structure_and_texts(spec: Spec) -> None:
    data = seed_report(spec)
    text = render_markdown(data)
    lines = text.splitlines()
    assert lines[0] == f"# {data.title}"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == [f"## {s.heading}" for s in spec.sections]
    subheads = [line for line in lines if line.startswith("### ")]
    assert subheads == [f"### {p.title}" for p in spec.parts if p.title]
    for part in spec.parts:
        for para in paragraphs(data.texts[part.key]):
            assert md_escape(para) in lines
    assert lines[-3:] == [data.unit_name, "", data.date]
    assert DRAFT_MARK not in text


def test_markdown_escapes_submitted_text(spec: Spec) -> None:
    texts = {
        "s1_1": "<script>alert(1)</script> **粗体** [链接](http://x) `代码`",
        "s1_2": "# 不是标题",
        "s1_3": "- 不是列表\n1. 不是编号\n---",
        "s5": "a|b _斜_ &amp;",
    }
    data = ReportData.from_inputs(
        spec, unit_name="某局<b>", year=2021, date="2022年1月1日", inputs=zero_inputs(spec), texts=texts
    )
    text = render_markdown(data)
    html = MarkdownIt("commonmark").enable("table").render(text)
    for tag in ("<script", "<em>", "<a ", "<code>", "<b>", "<ul>", "<ol>", "<hr"):
        assert tag not in html, tag
    captions = sum(len(b.captions) for g in grids(data).values() for b in g.bands())
    assert html.count("<strong>") == captions  # only the table captions are bold
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **粗体** [链接](http://x) `代码`" in html
    assert "<p># 不是标题</p>" in html
    assert "&amp;amp;" in html
    assert html.count("<h1>") == 1 and html.count("<h2>") == len(spec.sections)


def test_markdown_draft_banner_and_placeholders(spec: Spec) -> None:
    data = ReportData.from_inputs(spec, unit_name="某局", year=2021, date="2022年1月1日", inputs={})
    text = render_markdown(data, draft=True)
    assert text.splitlines()[0] == f"> **{DRAFT_MARK}**"
    assert text.count(MISSING_TEXT) == len(spec.parts)
    assert MISSING_VALUE in text


# ---------------------------------------------------------------------------------------------- HTML


class _TableGrid(HTMLParser):
    """Rebuilds each HTML table as a grid of (text, tag, attributes), honouring rowspan and colspan."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[tuple[int, int], tuple[str, dict[str, str | None]]]] = []
        self.spans: list[list[tuple[int, int, int, int]]] = []
        self._row = -1
        self._cell: tuple[int, int, dict[str, str | None]] | None = None
        self._text: list[str] = []
        self.other_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append({})
            self.spans.append([])
            self._row = -1
        elif tag == "tr":
            self._row += 1
        elif tag in ("td", "th"):
            grid = self.tables[-1]
            col = 0
            while (self._row, col) in grid:
                col += 1
            a = dict(attrs)
            a["tag"] = tag
            self._cell = (self._row, col, a)
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            row, col, a = self._cell
            rs, cs = int(a.get("rowspan") or 1), int(a.get("colspan") or 1)
            for r in range(row, row + rs):
                for c in range(col, col + cs):
                    self.tables[-1][(r, c)] = ("".join(self._text), a)
            self.spans[-1].append((row, col, rs, cs))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text.append(data)
        else:
            self.other_text.append(data)


def test_html_tables_match_the_grid_cell_by_cell(any_spec: Spec) -> None:
    spec = any_spec
    data = sample_report(spec)
    page = render_html(data)
    parser = _TableGrid()
    parser.feed(page)
    assert len(parser.tables) == len(spec.tables)
    for table, html_grid, spans in zip(spec.tables, parser.tables, parser.spans, strict=True):
        grid = build_grid(spec, table, data.values)
        assert set(html_grid) == {(r, c) for r in range(table.height) for c in range(table.width)}
        assert sorted(spans) == sorted((c.row, c.col, c.rowspan, c.colspan) for c in grid.cells)
        for cell in grid.cells:
            text, attrs = html_grid[(cell.row, cell.col)]
            assert text == cell.text
            if cell.key is not None:
                assert attrs["tag"] == "td" and attrs["data-key"] == cell.key
                spec_cell = spec.cells[cell.key]
                assert text == format_value(data.values[cell.key], spec_cell.type)
            else:
                assert attrs["tag"] == "th"
    assert page.count("<thead>") == sum(1 for t in spec.tables if t.header_rows)


def test_html_is_self_contained_escaped_and_printable(spec: Spec) -> None:
    texts = {"s1_1": '<script>alert("x")</script><img src=x onerror=alert(1)>', "s6": "未收费 & 无"}
    data = ReportData.from_inputs(
        spec, unit_name="<b>某局</b>", year=2021, date="2022年1月1日", inputs=zero_inputs(spec), texts=texts
    )
    page = render_html(data)
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "未收费 &amp; 无" in page
    assert not re.search(r"<[^>]*\s(src|href)=|@import|url\(", page), "no external resource"
    assert "@page" in page and "size: A4" in page
    assert 'lang="zh-CN"' in page and "Content-Security-Policy" in page
    assert DRAFT_MARK not in page
    draft = render_html(data, draft=True)
    assert f'<div class="draft-banner" role="alert">{DRAFT_MARK}</div>' in draft  # on screen, first printed page
    assert f'<div class="watermark" aria-hidden="true">{DRAFT_MARK}</div>' in draft  # fixed: every printed page
    assert re.search(r"@page \{ @top-center \{ content: \"" + DRAFT_MARK, draft)  # the top margin of every page


def test_render_dispatch_and_zero_values(spec: Spec) -> None:
    data = seed_report(spec)  # 627 行政许可 decisions, every other cell 0
    md = render(data, "md").decode("utf-8")
    licensing = [line for line in md.splitlines() if line.startswith("| 行政许可 ")]
    assert [cell.strip() for cell in licensing[0].strip("|").split("|")[1:]] == [
        "627" if c.key == "t2.licensing.decisions" else "0" for c in spec.row_cells("t2.licensing")
    ]
    html = render(data, "html").decode("utf-8")
    span = spec.cells["t2.licensing.decisions"].at.last_col - spec.cells["t2.licensing.decisions"].at.first_col + 1
    colspan = f' colspan="{span}"' if span > 1 else ""
    assert f'<td data-key="t2.licensing.decisions"{colspan}>627</td>' in html
    assert render(data, "docx")[:2] == b"PK"
    with pytest.raises(ValueError):
        render(data, "pdf")  # type: ignore[arg-type]


def test_from_inputs_recomputes_totals(any_spec: Spec) -> None:
    spec = any_spec
    data = sample_report(spec)
    arithmetic = arithmetic_for(spec)
    inputs = {c.key: data.values[c.key] for c in spec.input_cells}
    assert dict(data.values) == {**inputs, **arithmetic.derive(inputs)}
    assert all(e.outcome.value == "pass" for e in arithmetic.evaluate_all(data.values))
