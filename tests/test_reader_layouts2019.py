"""2019 试行 table 二's 第二十条第（八）项 and （九）项: two values over three grid columns, in the layouts people use.

The spec merges the second value across two columns (B, C:D); real files merge the first (B:C, D), leave all three
unmerged with the second value in C or in D, or move the headers above with them. Each layout is built here from the
project's own template (written by the writer, rearranged with openpyxl, some resaved by LibreOffice), read back, and
its values, the places they were read from and the findings asserted. Rows, columns and labels come from the spec
and the layout, never typed in here.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from soffice import convert

from giptemplate.checks.checker import check_file
from giptemplate.files.intake import admit
from giptemplate.findings import Finding
from giptemplate.format.arithmetic import Number
from giptemplate.format.layout import layout_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Cell, Spec, spec_by_id
from giptemplate.published import extract
from giptemplate.published.workbook import write_extraction
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.spans import Reading, header_segments, resolve, segments_of
from giptemplate.workbook.submission import Submission
from tests.published_cases import FIXTURES
from tests.submission_factory import write_filled

SPEC = spec_by_id("gip2019")


# ---------------------------------------------------------------------------------------------- the rows, from the spec


@dataclass(frozen=True)
class Row:
    """One row of two values over three columns, as the template lays it out (1-based sheet rows and columns)."""

    key: str
    first: Cell  # the single-column value (上一年项目数量, 采购项目数量)
    second: Cell  # the value merged across two columns (本年增/减, 采购总金额)
    row: int
    header_row: int
    b: int  # the three value columns
    c: int
    d: int

    def a1(self, col: int, row: int | None = None) -> str:
        return f"{get_column_letter(col)}{row or self.row}"


def _rows(spec: Spec) -> list[Row]:
    """Every data row of a table whose input cells cover more columns than they are, with the header row above."""
    layout = layout_for(spec)
    out = []
    for table in spec.tables:
        top, left = layout.tables[table.key].top, layout.tables[table.key].left
        for row in table.rows:
            cells = sorted((c for c in table.cells if c.row.key == row.key), key=lambda c: c.at.first_col)
            if len(cells) != 2 or cells[1].at.last_col == cells[1].at.first_col:
                continue
            first, second = cells
            headers = [
                at.first_row
                for at, text, _ in table.fixed_texts()
                if text == second.column.label
                and (at.first_col, at.last_col) == (second.at.first_col, second.at.last_col)
            ]
            header = max(r for r in headers if r < row.row)
            out.append(
                Row(
                    row.key,
                    first,
                    second,
                    top + row.row + 1,
                    top + header + 1,
                    left + first.at.first_col + 1,
                    left + second.at.first_col + 1,
                    left + second.at.last_col + 1,
                )
            )
    return out


ROWS = _rows(SPEC)


def test_the_2019_spec_has_the_two_rows_of_the_issue() -> None:
    # 第二十条第（八）项 行政事业性收费 and 第二十条第（九）项 政府集中采购, the second value merged across C:D
    assert [r.key for r in ROWS] == ["fees", "procurement"]
    assert all(r.d == r.c + 1 == r.b + 2 for r in ROWS)


# ---------------------------------------------------------------------------------------------- the workbooks


def _values() -> dict[str, Number]:
    """Distinct values in the four cells, so that a value read from the wrong place shows."""
    values = consistent_values(SPEC, random.Random(19), density=0.9)
    fees, procurement = ROWS
    values[fees.first.key], values[fees.second.key] = 12, -3  # 本年增/减 is signed
    values[procurement.first.key], values[procurement.second.key] = 4, Decimal("147230.5")
    return values


VALUES = _values()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_filled(tmp_path_factory.mktemp("layouts") / "template.xlsx", SPEC, VALUES)


Change = Callable[[Worksheet, Row], None]


def _clear(ws: Worksheet, row: int, *cols: int) -> None:
    for col in cols:
        ws.cell(row, col).value = None


def unmerged(ws: Worksheet, r: Row) -> None:
    """Value cells B, C and D unmerged, the second value left in C (D empty)."""
    ws.unmerge_cells(f"{r.a1(r.c)}:{r.a1(r.d)}")


def second_in_d(ws: Worksheet, r: Row) -> None:
    """Unmerged, the second value typed in D, C left empty."""
    ws.unmerge_cells(f"{r.a1(r.c)}:{r.a1(r.d)}")
    ws.cell(r.row, r.d).value = ws.cell(r.row, r.c).value
    _clear(ws, r.row, r.c)


def first_merged(ws: Worksheet, r: Row) -> None:
    """B:C merged for the first value, the second in D (the values' row only)."""
    second = ws.cell(r.row, r.c).value
    ws.unmerge_cells(f"{r.a1(r.c)}:{r.a1(r.d)}")
    _clear(ws, r.row, r.c)
    ws.merge_cells(f"{r.a1(r.b)}:{r.a1(r.c)}")
    ws.cell(r.row, r.d).value = second


def first_merged_with_headers(ws: Worksheet, r: Row) -> None:
    """B:C merged for the first value and its header, the second value and its header in D."""
    first_merged(ws, r)
    h = r.header_row
    ws.unmerge_cells(f"{r.a1(r.c, h)}:{r.a1(r.d, h)}")
    _clear(ws, h, r.c)
    ws.merge_cells(f"{r.a1(r.b, h)}:{r.a1(r.c, h)}")
    ws.cell(h, r.d).value = r.second.column.label


def headers_right(ws: Worksheet, r: Row) -> None:
    """Nothing under B; the two headers and values in C and D, unmerged."""
    h = r.header_row
    first, second = ws.cell(r.row, r.b).value, ws.cell(r.row, r.c).value
    ws.unmerge_cells(f"{r.a1(r.c)}:{r.a1(r.d)}")
    ws.unmerge_cells(f"{r.a1(r.c, h)}:{r.a1(r.d, h)}")
    _clear(ws, h, r.b)
    _clear(ws, r.row, r.b)
    ws.cell(h, r.c).value, ws.cell(h, r.d).value = r.first.column.label, r.second.column.label
    ws.cell(r.row, r.c).value, ws.cell(r.row, r.d).value = first, second


def three_values(ws: Worksheet, r: Row) -> None:
    """Unmerged, a third number typed in D beside the second in C: which one is the second value?"""
    ws.unmerge_cells(f"{r.a1(r.c)}:{r.a1(r.d)}")
    ws.cell(r.row, r.d).value = 7


def two_under_the_second(ws: Worksheet, r: Row) -> None:
    """Unmerged, nothing in B, numbers in C and D: both stand in the second value's columns (C:D)."""
    ws.unmerge_cells(f"{r.a1(r.c)}:{r.a1(r.d)}")
    ws.cell(r.row, r.c).value = ws.cell(r.row, r.b).value
    ws.cell(r.row, r.d).value = 7
    _clear(ws, r.row, r.b)


def two_under_the_first_header(ws: Worksheet, r: Row) -> None:
    """The first header merged over B:C and the second in D, but the values typed in B and C (D empty)."""
    h = r.header_row
    ws.unmerge_cells(f"{r.a1(r.c)}:{r.a1(r.d)}")
    ws.unmerge_cells(f"{r.a1(r.c, h)}:{r.a1(r.d, h)}")
    _clear(ws, h, r.c)
    ws.merge_cells(f"{r.a1(r.b, h)}:{r.a1(r.c, h)}")
    ws.cell(h, r.d).value = r.second.column.label


def hidden_under_the_merge(ws: Worksheet, r: Row) -> None:
    """C:D still merged, C emptied, a number kept in D under the merge (LibreOffice's "keep the contents of hidden
    cells"): the file holds it, nobody sees it."""
    _clear(ws, r.row, r.c)
    ws._cells[(r.row, r.d)] = SheetCell(ws, row=r.row, column=r.d, value=7)


def _build(template: Path, target: Path, change: Change | None) -> Path:
    wb = openpyxl.load_workbook(template)
    if change is not None:
        for r in ROWS:
            change(wb["表二"], r)
    wb.save(target)
    return target


def _findings(sub: Submission, code: str) -> list[Finding]:
    return [f for f in check_file(sub).findings if f.code == code]


def _read(sub: Submission, key: str) -> tuple[str, Number | None, str]:
    cv = sub.cells[key]
    return cv.place.a1, cv.value, cv.state


# ---------------------------------------------------------------------------------------------- layouts read


def test_the_template_layout_records_nothing(template: Path) -> None:
    sub = read_workbook(template)
    assert sub.value_layouts == []
    for r in ROWS:
        assert _read(sub, r.first.key) == (r.a1(r.b), VALUES[r.first.key], "ok")
        assert _read(sub, r.second.key) == (r.a1(r.c), VALUES[r.second.key], "ok")
    assert not [f for f in check_file(sub).findings if f.code in ("S111", "S112")]


# name, change, the column each value is read from ("b"/"c"/"d"), the file's cells, the headers when moved
READABLE: list[tuple[str, Change, tuple[str, str], tuple[str, ...], tuple[str, ...] | None]] = [
    ("unmerged", unmerged, ("b", "c"), ("b", "c", "d"), None),
    ("second_in_d", second_in_d, ("b", "d"), ("b", "c", "d"), None),
    ("first_merged", first_merged, ("b", "d"), ("b:c", "d"), None),
    ("first_merged_with_headers", first_merged_with_headers, ("b", "d"), ("b:c", "d"), ("b:c", "d")),
    ("headers_right", headers_right, ("c", "d"), ("b", "c", "d"), ("c", "d")),
]


def _cells(r: Row, columns: str, row: int | None = None) -> str:
    """The cell or range that columns such as "b:c" name in the row's sheet row (or in ``row``): "B17:C17"."""
    return ":".join(r.a1(getattr(r, part), row) for part in columns.split(":"))


@pytest.mark.parametrize(("name", "change", "columns", "found", "headers"), READABLE, ids=[c[0] for c in READABLE])
def test_each_layout_is_read_and_recorded(
    template: Path,
    tmp_path: Path,
    name: str,
    change: Change,
    columns: tuple[str, str],
    found: tuple[str, ...],
    headers: tuple[str, ...] | None,
) -> None:
    sub = read_workbook(_build(template, tmp_path / f"{name}.xlsx", change))
    layouts = {lay.row: lay for lay in sub.value_layouts}
    assert set(layouts) == {r.key for r in ROWS}
    s111 = {f.cell: f for f in _findings(sub, "S111")}
    assert not _findings(sub, "S112") and not _findings(sub, "S104")
    for r in ROWS:
        at_first, at_second = (_cells(r, c) for c in columns)
        assert _read(sub, r.first.key) == (at_first, VALUES[r.first.key], "ok")
        assert _read(sub, r.second.key) == (at_second, VALUES[r.second.key], "ok")
        lay = layouts[r.key]
        assert lay.template == (r.a1(r.b), f"{r.a1(r.c)}:{r.a1(r.d)}")
        assert lay.found == tuple(_cells(r, f) for f in found)
        assert lay.headers == (None if headers is None else tuple(_cells(r, h, r.header_row) for h in headers))
        homes = layout_for(SPEC).cells
        expected_from = {k: a for k, a in ((r.first.key, at_first), (r.second.key, at_second)) if a != homes[k].a1}
        assert dict(lay.read_from) == expected_from
        assert lay.ambiguous == ()
        finding = s111[r.a1(r.b)]
        assert finding.severity == "info" and finding.sheet == "表二"
        assert f"模板为 {r.a1(r.b)}、{r.a1(r.c)}:{r.a1(r.d)}" in finding.message
        if lay.found != lay.template:
            assert f"文件中为 {'、'.join(lay.found)}" in finding.message
        for key, cell in expected_from.items():
            assert f"“{SPEC.cells[key].column.label}”取自 {cell}" in finding.message
        if not expected_from:
            assert "数值仍从模板的位置读取" in finding.message
    # every value read is a value of the template: no blank, nothing skewed
    assert not [f for f in check_file(sub).findings if f.code.startswith("V2") and f.cell_key in _keys()]


def _keys() -> set[str]:
    return {k for r in ROWS for k in (r.first.key, r.second.key)}


# name, change, cells left unread with the cells competing for them, cells then read blank
AMBIGUOUS: list[tuple[str, Change, dict[str, tuple[str, ...]], dict[str, str]]] = [
    ("three_values", three_values, {"second": ("c", "d")}, {}),
    ("two_under_the_second", two_under_the_second, {"second": ("c", "d")}, {"first": "b"}),
    ("two_under_the_first_header", two_under_the_first_header, {"first": ("b", "c")}, {"second": "d"}),
    ("hidden_under_the_merge", hidden_under_the_merge, {"second": ("d",)}, {}),
]


@pytest.mark.parametrize(("name", "change", "unread", "blank"), AMBIGUOUS, ids=[c[0] for c in AMBIGUOUS])
def test_ambiguous_placements_are_refused_at_the_cell(
    template: Path,
    tmp_path: Path,
    name: str,
    change: Change,
    unread: dict[str, tuple[str, ...]],
    blank: dict[str, str],
) -> None:
    sub = read_workbook(_build(template, tmp_path / f"{name}.xlsx", change))
    findings = check_file(sub).findings
    s112 = {f.cell_key: f for f in findings if f.code == "S112"}
    for r in ROWS:
        cells = {"first": r.first, "second": r.second}
        for which, competing in unread.items():
            cell = cells[which]
            home = r.a1(r.b) if which == "first" else r.a1(r.c)
            assert _read(sub, cell.key) == (home, None, "ambiguous")
            assert sub.values[cell.key] is None  # never a guess
            finding = s112[cell.key]
            assert finding.severity == "error" and (finding.sheet, finding.cell) == ("表二", home)
            for col in competing:
                assert _cells(r, col) in finding.message
            assert finding.extra["cells"] == [_cells(r, col) for col in competing]
            lay = next(lay for lay in sub.value_layouts if lay.row == r.key)
            assert [(k, list(c)) for k, c, _ in lay.ambiguous] == [(cell.key, finding.extra["cells"])]
            # the unread cell is S112's alone: not also "未填写" or "不是数字"
            assert not [f for f in findings if f.cell_key == cell.key and f.code.startswith("V2")]
        for which, col in blank.items():
            cell = cells[which]
            assert _read(sub, cell.key) == (_cells(r, col), None, "blank")
            assert [f.cell for f in findings if f.cell_key == cell.key and f.code == "V203"] == [_cells(r, col)]
        readable = [c for w, c in cells.items() if w not in unread and w not in blank]
        for cell in readable:
            assert sub.cells[cell.key].value == VALUES[cell.key]
    if name == "hidden_under_the_merge":
        assert all("被合并单元格遮住" in f.message for f in s112.values())


def test_a_value_moved_within_its_merged_columns_is_read_there(spec: Spec, tmp_path: Path) -> None:
    """Every format: a value typed in the last column of its merged cells (unmerged) is read there and recorded
    (2021's 本年处理决定数量 and 本年收费金额 span B:D; 2019's second values C:D)."""
    layout = layout_for(spec)
    source = write_filled(tmp_path / "filled.xlsx", spec, consistent_values(spec, random.Random(5), density=1.0))
    spanning = [c for c in spec.input_cells if c.at.last_col > c.at.first_col]
    assert spanning
    wb = openpyxl.load_workbook(source)
    moved: dict[str, str] = {}
    for cell in spanning:
        place = layout.cells[cell.key]
        ws = wb[place.sheet]
        last = place.col + cell.at.last_col - cell.at.first_col
        ws.unmerge_cells(
            start_row=place.row + 1, start_column=place.col + 1, end_row=place.row + 1, end_column=last + 1
        )
        ws.cell(place.row + 1, last + 1).value = ws.cell(place.row + 1, place.col + 1).value
        ws.cell(place.row + 1, place.col + 1).value = None
        moved[cell.key] = f"{get_column_letter(last + 1)}{place.row + 1}"
    wb.save(tmp_path / "moved.xlsx")
    before, after = read_workbook(source), read_workbook(tmp_path / "moved.xlsx")
    assert {k: after.cells[k].place.a1 for k in moved} == moved
    assert after.values == before.values
    assert {k for lay in after.value_layouts for k, _ in lay.read_from} == set(moved)
    assert len(_findings(after, "S111")) == len({spec.cells[k].row.key for k in moved})


# ---------------------------------------------------------------------------------------------- LibreOffice


ENGINE_CASES: list[tuple[str, Change | None]] = [
    ("template", None),
    ("second_in_d", second_in_d),
    ("first_merged", first_merged),
    ("headers_right", headers_right),
    ("three_values", three_values),
]


@pytest.fixture(scope="module")
def resaved(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """{format: {name: path}}: each layout resaved by LibreOffice as xlsx, xls and ods (one run per format)."""
    folder = tmp_path_factory.mktemp("resaved")
    inputs = [_build(template, folder / f"{name}.xlsx", change) for name, change in ENGINE_CASES]
    return {fmt: {p.stem: p for p in convert(inputs, folder / fmt, fmt)} for fmt in ("xlsx", "xls", "ods")}


@pytest.mark.soffice
@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
@pytest.mark.parametrize("name", [c[0] for c in ENGINE_CASES])
def test_layouts_resaved_by_libreoffice_read_the_same(
    template: Path, resaved: dict[str, dict[str, Path]], tmp_path: Path, fmt: str, name: str
) -> None:
    change = dict(ENGINE_CASES)[name]
    original = read_workbook(_build(template, tmp_path / f"{name}.xlsx", change))
    again = read_workbook(resaved[fmt][name])
    assert again.file_format == fmt
    for key in _keys():
        assert (again.cells[key].place.a1, again.cells[key].value, again.cells[key].state) == (
            original.cells[key].place.a1,
            original.cells[key].value,
            original.cells[key].state,
        ), key
    assert {(lay.row, lay.read_from, lay.ambiguous) for lay in again.value_layouts} == {
        (lay.row, lay.read_from, lay.ambiguous) for lay in original.value_layouts
    }
    for lay in again.value_layouts:
        # xlsx and xls tell their merges (LibreOffice keeps them); python-calamine reads none from ods
        expected = next(o.found for o in original.value_layouts if o.row == lay.row)
        assert lay.found == (None if fmt == "ods" else expected)


# ---------------------------------------------------------------------------------------------- the resolution alone


def test_resolution_rules() -> None:
    template = ((0, 0), (1, 2))

    def at(p: int) -> Reading:
        return Reading("at", (p,))

    assert segments_of([(1, 2)], 3) == template and segments_of([(0, 1)], 3) == ((0, 1), (2, 2))
    assert segments_of([], 3) == ((0, 0), (1, 1), (2, 2))
    assert header_segments([0, 2], 3) == ((0, 1), (2, 2)) and header_segments([1, 2], 3) == ((0, 1), (2, 2))
    assert header_segments([2, 1], 3) is None and header_segments([1, 1], 3) is None
    # the template's columns when the file shows none that fit (three unmerged cells, no headers found)
    assert resolve(template, [((0, 0), (1, 1), (2, 2))], [True, False, True]) == [at(0), at(2)]
    # the file's merges and headers agree: B:C then D
    assert resolve(template, [((0, 1), (2, 2)), ((0, 1), (2, 2))], [True, False, True]) == [at(0), at(2)]
    # a blank value keeps its template place when that lies in its columns, else the first of them
    assert resolve(template, [template], [True, False, False]) == [at(0), Reading("blank", (1,))]
    assert resolve(template, [((0, 1), (2, 2))], [True, False, False]) == [at(0), Reading("blank", (2,))]
    # a piece of the file holding two values is ambiguous, and so is a value two readings place differently
    assert resolve(template, [((0, 0), (1, 2)), ((0, 1), (2, 2))], [True, True, False]) == [
        Reading("ambiguous", (0, 1)),
        Reading("ambiguous", (1,)),
    ]
    assert resolve(template, [((0, 0), (1, 2)), ((0, 1), (2, 2))], [False, True, False]) == [
        Reading("ambiguous", (1,)),
        Reading("ambiguous", (1,)),
    ]
    # a value hidden under a merged range is never taken, even alone
    assert resolve(template, [template], [False, False, True], [False, False, True]) == [
        Reading("blank", (0,)),
        Reading("ambiguous", (2,)),
    ]


# ---------------------------------------------------------------------------------------------- published reports


# Transcribed by reading the fixtures' HTML: 第二十条第（八）项 and （九）项 rows, each value cell as printed.
# pingtan_jinjing_pianqu_2019.html: a 4-column grid, the second value a colspan=2 cell ("0"; "147230元" followed by an
# empty <p>&nbsp;</p>). pingtan_czjrj_2020.html: a 5-column grid, both values colSpan=2 ("0" "0"; "2笔" "984361元").
PRINTED = {
    "pingtan_jinjing_pianqu_2019": {"fees": (0, 0), "procurement": (3, Decimal("147230"))},
    "pingtan_czjrj_2020": {"fees": (0, 0), "procurement": (2, Decimal("984361"))},
}


@pytest.mark.parametrize("name", sorted(PRINTED))
def test_published_2019_pages_read_both_rows_into_the_same_frames(name: str, tmp_path: Path) -> None:
    extraction = extract(admit(FIXTURES / f"{name}.html", documents=True))
    document = extraction.submission
    assert document.spec.id == SPEC.id
    frame = document.table_frame("t2")
    for r in ROWS:
        row = frame.xs(r.key, level="row_key")
        got = (
            row[(r.first.column.key, r.first.column.label)].iloc[0],
            row[(r.second.column.key, r.second.column.label)].iloc[0],
        )
        assert got == PRINTED[name][r.key], (name, r.key, got)
    # the extract command's workbook reads back into the same frame, in the template's layout
    target = tmp_path / f"{name}.xlsx"
    write_extraction(extraction, target)
    workbook = read_workbook(target)
    assert workbook.value_layouts == []
    assert workbook.table_frame("t2").equals(frame)


def _caption(r: Row) -> str:
    """The caption of a row's block (第二十条第（八）项 for 行政事业性收费)."""
    table = SPEC.table("t2")
    row = next(x for x in table.rows if x.key == r.key).row
    captions = [label for label in table.labels if label.role == "caption" and label.at.first_row < row]
    return max(captions, key=lambda label: label.at.first_row).text


def _relaid(page: str, layout: Callable[[list[str]], list[str]]) -> str:
    """The page with the rows of 第二十条第（八）项 and （九）项 (its caption to the table's end) laid out again: each
    row of three cells (label, first, second) replaced by ``layout`` of its cells, spans as given there."""
    start = page.index(_caption(ROWS[0]))
    end = page.index("</table>", start)
    rows = page[start:end].split("<tr>")
    for i, row in enumerate(rows):
        cells = re.findall(r"<td[^>]*>.*?</td>", row, flags=re.S)
        if len(cells) == 3:
            rows[i] = row[: row.index(cells[0])] + "".join(layout(cells)) + row[row.index(cells[2]) + len(cells[2]) :]
    return page[:start] + "<tr>".join(rows) + page[end:]


def _span(cell: str, colspan: int) -> str:
    plain = re.sub(r'\s+colspan="?\d+"?', "", cell, flags=re.I)
    return plain if colspan == 1 else plain.replace("<td", f'<td colspan="{colspan}"', 1)


def _emptied(cell: str) -> str:
    return re.sub(r"<p>.*?</p>(<p>.*?</p>)*", "<p>&nbsp;</p>", _span(cell, 1), flags=re.S)


PAGE_LAYOUTS: dict[str, Callable[[list[str]], list[str]]] = {
    "first_merged": lambda c: [c[0], _span(c[1], 2), _span(c[2], 1)],
    "second_in_d": lambda c: [c[0], c[1], _emptied(c[2]), _span(c[2], 1)],
    "unmerged": lambda c: [c[0], c[1], _span(c[2], 1), _emptied(c[2])],
}


@pytest.mark.parametrize("layout", sorted(PAGE_LAYOUTS))
def test_published_page_in_other_layouts_reads_the_same(layout: str, tmp_path: Path) -> None:
    """The 2019 page of 金井片区 with its （八）/（九） rows (headers and values) laid out as workbooks have them."""
    name = "pingtan_jinjing_pianqu_2019"
    page = (FIXTURES / f"{name}.html").read_text(encoding="utf-8")
    relaid = _relaid(page, PAGE_LAYOUTS[layout])
    assert relaid != page
    target = tmp_path / f"{layout}.html"
    target.write_text(relaid, encoding="utf-8")
    document = extract(admit(target, documents=True)).submission
    assert not document.uncertain
    for r in ROWS:
        assert (document.values[r.first.key], document.values[r.second.key]) == PRINTED[name][r.key], r.key


def test_a_table_not_found_records_no_layout(template: Path, tmp_path: Path) -> None:
    """表二 with every printed text gone is not located: nothing is said about how its rows are laid out."""
    wb = openpyxl.load_workbook(template)
    ws = wb["表二"]
    table, top = SPEC.table("t2"), layout_for(SPEC).tables["t2"].top
    for at, _, _ in table.fixed_texts():
        ws.cell(top + at.first_row + 1, at.first_col + 1).value = None
    for r in ROWS:
        second_in_d(ws, r)
    wb.save(tmp_path / "lost.xlsx")
    sub = read_workbook(tmp_path / "lost.xlsx")
    assert [(m.table, m.located) for m in sub.moves] == [("t2", False)]
    assert sub.value_layouts == []
    assert not [f for f in check_file(sub).findings if f.code in ("S111", "S112")]


def test_a_moved_table_is_read_in_its_layout_at_its_new_place(template: Path, tmp_path: Path) -> None:
    """Rows inserted above 表二 (merges moved with the cells) and B:C merged then D: values from the new place."""
    down = 2
    wb = openpyxl.load_workbook(template)
    ws = wb["表二"]
    for r in ROWS:
        first_merged(ws, r)
    merged = [m.coord for m in ws.merged_cells.ranges]
    for coord in merged:
        ws.unmerge_cells(coord)
    ws.move_range(f"A1:{get_column_letter(ws.max_column)}{ws.max_row}", rows=down)
    for coord in merged:
        first, last = coord.split(":")
        ws.merge_cells(":".join(re.sub(r"\d+", lambda m: str(int(m.group()) + down), c) for c in (first, last)))
    wb.save(tmp_path / "moved.xlsx")
    sub = read_workbook(tmp_path / "moved.xlsx")
    assert [(m.table, m.row_offset, m.located) for m in sub.moves] == [("t2", down, True)]
    for r in ROWS:
        assert _read(sub, r.first.key) == (r.a1(r.b, r.row + down), VALUES[r.first.key], "ok")
        assert _read(sub, r.second.key) == (r.a1(r.d, r.row + down), VALUES[r.second.key], "ok")
        lay = next(lay for lay in sub.value_layouts if lay.row == r.key)
        assert lay.found == (f"{r.a1(r.b, r.row + down)}:{r.a1(r.c, r.row + down)}", r.a1(r.d, r.row + down))
        assert lay.template == (r.a1(r.b, r.row + down), f"{r.a1(r.c, r.row + down)}:{r.a1(r.d, r.row + down)}")
