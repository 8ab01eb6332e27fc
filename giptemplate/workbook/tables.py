"""A table's sheet: the official grid with its labels, input and total cells, and the live checks around it."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from giptemplate.format.arithmetic import FAIL_MARK, NOT_ASSESSABLE, Number, a1_ranges, arithmetic_for
from giptemplate.format.layout import CHECK_SHEET, TITLE_ROW, UNIT_LINE_ROW, Layout, Place, TableLayout
from giptemplate.format.spec import CellType, Relation
from giptemplate.workbook import live
from giptemplate.workbook.drawing import A4, ROW_HEIGHT, Canvas, bounds, check
from giptemplate.workbook.textwidth import fitted_height

if TYPE_CHECKING:
    from giptemplate.workbook.writer import Fill

_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
STATUS_WIDTH = 11  # the status column right of a table with per-row relations


def draw_table(
    c: Canvas,
    tl: TableLayout,
    fill: Fill,
    values: Mapping[str, Number | None],
    marked: Mapping[tuple[str, int, int], str],
    status_texts: Mapping[str, str],
) -> None:
    _spec, f, table = c.spec, c.formats, tl.table
    sheet = c.sheet(table.sheet)
    for i, width in enumerate(table.col_widths):
        sheet.set_column(tl.left + i, tl.left + i, width)
    if tl.status_col is not None:
        sheet.set_column(tl.left + tl.status_col, tl.left + tl.status_col, STATUS_WIDTH)
    last = tl.last_col
    check(sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, last, table.title, f.title), "table title")
    sheet.set_row(TITLE_ROW, 28)
    # xlsxwriter escapes control characters in shared strings but not in a formula's cached text.
    cached_unit = _XML_INVALID.sub("", live.unit_line(fill.unit_name, fill.year, fill.scope))
    check(sheet.merge_range(UNIT_LINE_ROW, 0, UNIT_LINE_ROW, last, "", f.subtitle), "unit line")
    check(sheet.write_formula(UNIT_LINE_ROW, 0, live.unit_line_formula(c.layout), f.subtitle, cached_unit), "unit line")

    plan = _table_plan(c.layout, table.key)
    for r0, c0, r1, c1, text, role in plan.texts:
        fmt = getattr(f, role)
        if (r0, c0) == (r1, c1):
            check(sheet.write_string(r0, c0, text, fmt), text)
        else:
            check(sheet.merge_range(r0, c0, r1, c1, text, fmt), text)
    marked_here = {(r, c) for s, r, c in marked if s == table.sheet}
    for key, (r0, c0, r1, c1), cell_type, formula in plan.cells:
        value = values.get(key)
        if formula is not None:
            fmt = f.derived
        elif (r0, c0) in marked_here:
            fmt = f.count_marked if cell_type.integral else f.fee_marked
        else:
            fmt = f.count_input if cell_type.integral else f.fee_input
        if (r0, c0) != (r1, c1):
            check(sheet.merge_range(r0, c0, r1, c1, "", fmt), key)
        if formula is not None:
            check(sheet.write_formula(r0, c0, formula, fmt, excel_number(value)), key)
        elif value is None and key in fill.typed:
            check(sheet.write_string(r0, c0, fill.typed[key], fmt), key)
        elif value is None:
            check(sheet.write_blank(r0, c0, None, fmt), key)
        else:
            check(sheet.write_number(r0, c0, excel_number(value), fmt), key)
    for (r0, c0, r1, c1), options in plan.validations:
        check(sheet.data_validation(r0, c0, r1, c1, options), f"validation of {table.sheet}")

    _statuses(c, sheet, tl, values, status_texts)
    for r, height in plan.heights:
        sheet.set_row(r, height)

    first_header, last_header = tl.header_rows
    sheet.freeze_panes(first_header + table.header_rows, table.label_cols)
    if table.orientation == "landscape":
        sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 1)
    sheet.repeat_rows(TITLE_ROW, last_header)
    sheet.center_horizontally()
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.print_area(TITLE_ROW, 0, tl.note_row, last)
    c.protect(sheet)


def _statuses(
    c: Canvas,
    sheet: Worksheet,
    tl: TableLayout,
    values: Mapping[str, Number | None],
    status_texts: Mapping[str, str],
) -> None:
    f, table = c.formats, tl.table
    if tl.status_col is not None:
        first, last = tl.header_rows
        col = tl.left + tl.status_col
        if first == last:
            check(sheet.write_string(first, col, "校验", f.header), "status header")
        else:
            check(sheet.merge_range(first, col, last, col, "校验", f.header), "status header")
    for status_row in tl.status_rows:
        cols = [p.col for p in tl.status.values() if p.row == status_row.row]
        label_end = min(cols) - 1 if cols else table.width - 1
        text = "校验：" + (status_row.title if not status_row.relation_key.startswith("*") else "各组总计")
        if label_end > 0:
            check(sheet.merge_range(status_row.row, 0, status_row.row, label_end, text, f.status_label), text)
        elif label_end == 0:
            check(sheet.write_string(status_row.row, 0, text, f.status_label), text)
        label_width = sum(table.col_widths[: max(label_end, 0) + 1])
        sheet.set_row(status_row.row, fitted_height([(text, label_width)], ROW_HEIGHT))
    relations = [r for r in c.spec.relations if r.table == table.key]
    for relation in relations:
        place = tl.status[relation.rule_id]
        formula = f"={c.layout.mirror_status[relation.rule_id].ref}"
        check(
            sheet.write_formula(place.row, place.col, formula, f.status, status_texts[relation.rule_id]),
            relation.rule_id,
        )
    if relations:
        c.conditional_bad(sheet, " ".join(p.a1 for p in tl.status.values()))
        for target_range, formula in _target_highlights(c.layout, tuple(relations)):
            _formula_highlight(sheet, target_range, formula, f.bad, "relation highlight")
    _value_highlights(c, sheet, tl)
    missing = sum(1 for c in table.input_cells if values.get(c.key) is None)
    mc = tl.missing_count
    label = "未填写或非数字的填报单元格数"
    if mc.col > 1:
        check(sheet.merge_range(mc.row, 0, mc.row, mc.col - 1, label, f.status_label), label)
    else:
        check(sheet.write_string(mc.row, 0, label, f.status_label), label)
    label_width = sum(table.col_widths[: mc.col])
    sheet.set_row(mc.row, fitted_height([(label, label_width)], ROW_HEIGHT))
    check(sheet.write_formula(mc.row, mc.col, _unusable_count_formula(c, tl), f.status, missing), label)
    check(
        sheet.conditional_format(
            mc.row, mc.col, mc.row, mc.col, {"type": "cell", "criteria": ">", "value": 0, "format": f.bad}
        ),
        "missing count highlight",
    )
    note = (
        "白色单元格为填报区，请填写数字，没有的填 0；灰色单元格自动计算。"
        f"校验栏“✓”为通过，“{FAIL_MARK} 差N”为不平衡（标红），“{NOT_ASSESSABLE}”为有单元格未填写。"
    )
    check(sheet.merge_range(tl.note_row, 0, tl.note_row, tl.last_col, note, f.hint), "note")
    total_width = sum(table.col_widths) + (STATUS_WIDTH if tl.status_col is not None else 0)
    sheet.set_row(tl.note_row, fitted_height([(note, total_width)]))


def code_block(c: Canvas, tl: TableLayout) -> str:
    """The 校验 range holding the codes of a table's cells."""
    places = [c.layout.codes[cell.key] for cell in tl.table.cells]
    first = xl_rowcol_to_cell(min(p.row for p in places), min(p.col for p in places), True, True)
    last = xl_rowcol_to_cell(max(p.row for p in places), max(p.col for p in places), True, True)
    return f"{quote_sheetname(CHECK_SHEET)}!{first}:{last}"


def _unusable_count_formula(c: Canvas, tl: TableLayout) -> str:
    """Input cells that hold no usable number: blank, not a number, or an error value."""
    return live.unusable_count_formula(code_block(c, tl))


def _value_highlights(c: Canvas, sheet: Worksheet, tl: TableLayout) -> None:
    """Input cells that earn a code (other than blank) and typed-over totals turn red, live."""
    spec = c.spec
    groups: dict[str, list[tuple[int, int]]] = {}
    for cell in tl.table.cells:
        kind: str = "typed" if cell.derived else cell.type.key
        groups.setdefault(kind, []).append(c.layout.position(cell.key))
    for kind, positions in groups.items():
        for cell_range in a1_ranges(positions):
            first = cell_range.split(":")[0]
            if kind == "typed":
                criteria = f'={live.typed_expression(first)}<>""'
            else:
                cell = next(x for x in tl.table.input_cells if x.type.key == kind)
                code = live.code_expression(spec, cell, first, live.parsed_expression(first))
                criteria = f'=AND({code}<>"",{code}<>"V203")'
            _formula_highlight(sheet, cell_range, criteria, c.formats.bad, "value highlight")


def _formula_highlight(sheet: Worksheet, cell_range: str, criteria: str, fmt: Any, what: str) -> None:
    """One formula rule on one rectangular range, its relative references anchored at the range's top-left cell.

    A rule over several ranges is anchored differently by Excel (the first range listed) and LibreOffice (the
    top-left of all of them), so a relative formula shared by ranges marks the wrong cells in one of them: the
    表三 总计 column showed red on an untouched template in LibreOffice.
    """
    r0, c0, r1, c1 = bounds(cell_range.split(":"))
    check(sheet.conditional_format(r0, c0, r1, c1, {"type": "formula", "criteria": criteria, "format": fmt}), what)


@dataclass(frozen=True)
class _TablePlan:
    """Everything of a table's sheet that depends on the spec only, worked out once per spec."""

    texts: tuple[tuple[int, int, int, int, str, str], ...]  # range, text, Formats attribute
    heights: tuple[tuple[int, float], ...]  # rows holding single-row labels, and their heights
    cells: tuple[tuple[str, tuple[int, int, int, int], CellType, str | None], ...]  # key, range, type, formula
    validations: tuple[tuple[tuple[int, int, int, int], dict[str, Any]], ...]


@functools.cache
def _table_plan(layout: Layout, table_key: str) -> _TablePlan:
    tl = layout.tables[table_key]
    table, arithmetic = tl.table, arithmetic_for(layout.spec)
    texts: list[tuple[int, int, int, int, str, str]] = []
    role_format = {"caption": "caption", "header": "header", "note": "note", "group": "group"}
    for label in table.labels:
        texts.append((*tl.at(label.at), label.text, role_format.get(label.role, "label")))
    texts += [(*tl.at(r.label_at), r.label, "label") for r in table.rows if r.label_at is not None]
    texts += [(*tl.at(c.header_at), c.label, "header") for c in table.columns if c.header_at is not None]
    heights: dict[int, float] = {}
    for r0, c0, r1, c1, text, _ in texts:
        if r0 == r1:
            width = sum(table.col_widths[c - tl.left] for c in range(c0, c1 + 1))
            heights[r0] = max(heights.get(r0, ROW_HEIGHT), fitted_height([(text, width)]))
    cells = tuple(
        (
            cell.key,
            tl.at(cell.at),
            cell.type,
            arithmetic.derived_formula(cell.key, layout.position) if cell.derived else None,
        )
        for cell in table.cells
    )
    validations = []
    for cell_type in dict.fromkeys(c.type for c in table.input_cells):
        positions = [layout.position(c.key) for c in table.input_cells if c.type == cell_type]
        ranges = a1_ranges(positions)
        options = _validation(cell_type)
        options["multi_range"] = " ".join(ranges)
        validations.append((bounds(ranges[0].split(":")), options))
    return _TablePlan(tuple(texts), tuple(heights.items()), cells, tuple(validations))


def _validation(cell_type: CellType) -> dict[str, Any]:
    """Excel's data validation of one cell type: whole numbers (signed or not) or an amount in its unit."""
    top = cell_type.maximum
    if cell_type.integral and cell_type.signed:
        return {
            "validate": "integer",
            "criteria": "between",
            "minimum": -top,
            "maximum": top,
            "input_title": "填写增减数",
            "input_message": "填整数，减少用负值表示，如 -8；没有变化的填 0，不要留空。",
            "error_title": "须为整数",
            "error_message": f"请输入 -{top} 到 {top} 之间的整数，不能填小数或文字。",
        }
    if cell_type.integral:
        return {
            "validate": "integer",
            "criteria": "between",
            "minimum": 0,
            "maximum": top,
            "input_title": "填写件数",
            "input_message": f"填 0 或正整数（最大 {top}）；没有发生的填 0，不要留空。",
            "error_title": "件数须为整数",
            "error_message": f"请输入 0 到 {top} 之间的整数，不能填小数、负数或文字。",
        }
    unit = cell_type.unit
    return {
        "validate": "decimal",
        "criteria": "between",
        "minimum": -top if cell_type.signed else 0,
        "maximum": top,
        "input_title": f"填写金额（{unit}）",
        "input_message": f"单位：{unit}，最多保留 {cell_type.decimals} 位小数；没有发生的填 0。",
        "error_title": "金额须为数字" if cell_type.signed else "金额须为非负数",
        "error_message": f"请输入以{unit}为单位的{'' if cell_type.signed else '非负'}数字，不要带“元”“万元”等文字。",
    }


@functools.cache
def _target_highlights(layout: Layout, relations: tuple[Relation, ...]) -> list[tuple[str, str]]:
    """Conditional formats that turn each relation's target cell red while its status shows a failure.

    Instances of one relation sit at the same offset from their status cells, so one rule with a relative
    reference covers each rectangular run of them.
    """
    groups: dict[tuple[str, int, int], list[tuple[Place, Place]]] = {}
    for relation in relations:
        target = layout.cells[relation.lhs[0]]
        status = layout.status_of(relation)
        groups.setdefault((relation.key, status.row - target.row, status.col - target.col), []).append((target, status))
    out = []
    for (_, d_row, d_col), pairs in groups.items():
        for target_range in a1_ranges([(t.row, t.col) for t, _ in pairs]):
            row, col = bounds(target_range.split(":"))[:2]
            status = xl_rowcol_to_cell(row + d_row, col + d_col)
            out.append((target_range, f'=LEFT({status},1)="{FAIL_MARK}"'))
    return out


def excel_number(value: Number | None) -> float | int:
    """A value as a cell caches it (a blank total caches 0, as SUM gives)."""
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
