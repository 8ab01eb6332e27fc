"""The 校验 sheet: one row per rule `check` applies to the file alone, its live status, and the verdict.

Its hidden columns hold each table cell as the checks read it, the code it earns and every relation's status on
those values (see :mod:`giptemplate.workbook.live`, which makes every formula).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from xlsxwriter.utility import quote_sheetname
from xlsxwriter.worksheet import Worksheet

from giptemplate.findings import SEVERITY_LABELS
from giptemplate.format import uscc
from giptemplate.format.arithmetic import FAIL_MARK, Position, a1_ranges, arithmetic_for
from giptemplate.format.layout import (
    CHECK_FIRST_RULE,
    CHECK_NUMBER_COL,
    CHECK_RULE_COL,
    CHECK_SHEET,
    CHECK_STATUS_COL,
    CHECK_TEXT_COL,
    CHECK_WHERE_COL,
    MIRROR_LEFT,
    TITLE_ROW,
    Layout,
)
from giptemplate.workbook import live
from giptemplate.workbook.drawing import ROW_HEIGHT, Canvas, check
from giptemplate.workbook.tables import code_block, excel_number
from giptemplate.workbook.textwidth import fitted_height

if TYPE_CHECKING:
    from giptemplate.workbook.writer import Fill

WIDTHS = {CHECK_NUMBER_COL: 6, CHECK_RULE_COL: 32, CHECK_TEXT_COL: 60, CHECK_WHERE_COL: 24, CHECK_STATUS_COL: 22}
HEADERS = {
    CHECK_NUMBER_COL: "序号",
    CHECK_RULE_COL: "规则",
    CHECK_TEXT_COL: "检查内容",
    CHECK_WHERE_COL: "位置",
    CHECK_STATUS_COL: "状态",
}


@functools.cache
def _mirror_position(layout: Layout) -> Callable[[str], Position]:
    """Where each cell's value as filed sits on the 校验 sheet (one function per layout, so formulas cache)."""

    def position(key: str) -> Position:
        place = layout.mirror[key]
        return place.row, place.col

    return position


def draw_checks(c: Canvas, fill: Fill, status_texts: Mapping[str, str]) -> None:
    """The 校验 sheet: one row per rule `check` applies to the file alone, with its live status, and the verdict.

    Its hidden columns hold the cells as the checks read them (see :mod:`giptemplate.workbook.live`).
    """
    spec, f, layout = c.spec, c.formats, c.layout
    sheet = c.sheet(CHECK_SHEET)
    for col, width in WIDTHS.items():
        sheet.set_column(col, col, width)
    last = max(WIDTHS)
    check(sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, last, "校验结果", f.title), "check title")
    sheet.set_row(TITLE_ROW, 28)
    check(sheet.write_string(layout.check_overall.row, CHECK_NUMBER_COL, "总体", f.field_label), "overall label")
    for col, text in HEADERS.items():
        check(sheet.write_string(CHECK_FIRST_RULE - 1, col, text, f.header), "check header")
    codes = _mirror(c, sheet, fill, status_texts)
    blocks = [code_block(c, tl) for tl in layout.tables.values()]
    failing = warnings = 0
    error_rows: list[int] = []
    warning_rows: list[int] = []
    for number, (rule, row) in enumerate(layout.check_rules, start=1):
        kind, key = rule.split(":", 1)
        if kind == "rel":
            instances = [r for r in spec.relations if r.key == key]
            statuses = [layout.status_of(r) for r in instances]
            cached = live.rule_status([status_texts[r.rule_id] for r in instances])
            sheet_name = statuses[0].sheet
            ranges = a1_ranges([(p.row, p.col) for p in statuses])
            formula = live.rule_status_formula([f"{quote_sheetname(sheet_name)}!{r}" for r in ranges])
            code, severity = instances[0].code, instances[0].severity
            description = f"{sheet_name}：{live.rule_group_title(instances)}（{len(instances)} 处）"
            where = f"'{sheet_name}'!" + ",".join(ranges)
        elif kind in ("value", "typed"):
            code, severity = key, live.severity(key)
            formula = live.count_status_formula(live.code_count(blocks, code))
            cached = live.count_status(sum(1 for x in codes.values() if x == code))
            cells = "填报单元格" if kind == "value" else "合计单元格（应为公式）"
            blank = code == "V203"
            description = "、".join(tl.sheet for tl in layout.tables.values()) + f"的{cells}"
            description += "（空白处；没有发生的填 0）" if blank else "（标红处）"
            where = "各表空白的填报单元格" if blank else "各表标红的单元格"
        elif kind == "cover":
            code = live.COVER_CODES[key]
            severity = live.severity(code)
            status = layout.cover_status[key]
            cached = (
                uscc.STATUS_TEXT[uscc.verify(str(fill.unit_code))]
                if key in layout.field_status
                else live.cover_status(key, fill.meta(key), fill.year)
            )
            formula = f"={status.ref}"
            description, where = f"{spec.cover_sheet}：{spec.field(key).label}", status.display
        else:
            code = live.TEXT_CODE if kind == "text" else live.REQUIRE_CODE
            severity = live.severity(code)
            status = layout.text_status[key] if kind == "text" else layout.require_status[key]
            if kind == "text":
                section = next(s for s in spec.sections if s.key == key)
                title = section.heading
                texts = [fill.texts.get(p.key, "") for p in section.parts]
                cached = live.section_status(spec, texts)
            else:
                part = next(p for p in spec.parts if p.key == key)
                title = part.display_title
                cached = live.require_status(part.require_any, fill.texts.get(key, ""))
            formula = f"={status.ref}"
            description, where = f"{spec.narrative_sheet}：{title}", status.display
        if severity == "error":
            error_rows.append(row)
            failing += cached.startswith(FAIL_MARK)
        else:
            warning_rows.append(row)
            warnings += cached.startswith(FAIL_MARK)
        title = live.rule_title(code)
        check(sheet.write_number(row, CHECK_NUMBER_COL, number, f.check_number), "number")
        check(sheet.write_string(row, CHECK_RULE_COL, title, f.check_cell), "rule")
        text = f"【{SEVERITY_LABELS[severity]}】{description}"
        check(sheet.write_string(row, CHECK_TEXT_COL, text, f.check_cell), "description")
        check(sheet.write_string(row, CHECK_WHERE_COL, where, f.check_cell), "place")
        check(sheet.write_formula(row, CHECK_STATUS_COL, formula, f.status, cached), "status")
        sheet.set_row(
            row,
            fitted_height(
                [(title, WIDTHS[CHECK_RULE_COL]), (text, WIDTHS[CHECK_TEXT_COL]), (where, WIDTHS[CHECK_WHERE_COL])],
                ROW_HEIGHT,
            ),
        )

    place = layout.check_overall
    check(sheet.merge_range(place.row, place.col, place.row, last, "", f.status), "overall")
    check(
        sheet.write_formula(
            place.row,
            place.col,
            live.overall_formula(
                live.failures_formula(CHECK_STATUS_COL, error_rows),
                live.failures_formula(CHECK_STATUS_COL, warning_rows),
            ),
            f.status,
            live.overall_status(failing, warnings),
        ),
        "overall",
    )
    sheet.set_row(place.row, 24)
    check(
        sheet.conditional_format(
            place.row,
            place.col,
            place.row,
            place.col,
            {"type": "text", "criteria": "not containing", "value": live.overall_status(0), "format": f.bad},
        ),
        "overall highlight",
    )
    last_row = max(r for _, r in layout.check_rules)
    c.conditional_bad(sheet, live.column_range(CHECK_STATUS_COL, (CHECK_FIRST_RULE, last_row)))
    later = live.later_text()
    check(sheet.merge_range(layout.later_row, 0, layout.later_row, last, later, f.hint), "later checks")
    sheet.set_row(layout.later_row, fitted_height([(later, sum(WIDTHS.values()))]))
    hint = "各表中每条关系旁的校验单元格显示具体位置和差额；填报单元格有问题时标红。"
    check(sheet.merge_range(layout.check_hint_row, 0, layout.check_hint_row, last, hint, f.hint), "check hint")
    sheet.set_column(MIRROR_LEFT - 1, max(p.col for p in layout.mirror_status.values()), None, None, {"hidden": True})
    sheet.print_area(TITLE_ROW, 0, layout.check_hint_row, last)
    sheet.freeze_panes(CHECK_FIRST_RULE, 0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    c.protect(sheet)


def _mirror(c: Canvas, sheet: Worksheet, fill: Fill, status_texts: Mapping[str, str]) -> dict[str, str]:
    """Each table cell as the checks read it, the code it earns, and every relation's status on those values.

    Returns the cached codes, by cell key.
    """
    spec, layout = c.spec, c.layout
    inputs = tuple(fill.values.get(c.key) for c in spec.input_cells)
    strict = live.strict_values(spec, inputs)
    position = _mirror_position(layout)
    codes: dict[str, str] = {}
    for cell in spec.cells.values():
        ref = layout.cells[cell.key].ref.replace("$", "")
        mirror, code_place = layout.mirror[cell.key], layout.codes[cell.key]
        value = strict.get(cell.key)
        parsed = live.parsed_expression(ref)
        if cell.derived:
            formula = f"=IF(_xlfn.ISFORMULA({ref}),{arithmetic_for(spec).strict_formula(cell.key, position)},{parsed})"
            code_formula, codes[cell.key] = "=" + live.typed_expression(ref), ""
        else:
            formula = "=" + live.usable_expression(spec, cell, parsed)
            code_formula = "=" + live.code_expression(spec, cell, ref, parsed)
            codes[cell.key] = "V201" if cell.key in fill.typed else live.value_code(spec, cell, value)
            value = live.usable(spec, cell, value)
        cached: str | int | float = "" if value is None else excel_number(value)
        check(sheet.write_formula(mirror.row, mirror.col, formula, None, cached), f"mirror of {cell.key}")
        check(
            sheet.write_formula(code_place.row, code_place.col, code_formula, None, codes[cell.key]),
            f"code of {cell.key}",
        )
    for relation in spec.relations:
        place = layout.mirror_status[relation.rule_id]
        formula = arithmetic_for(spec).filed_status_formula(relation, position)
        check(
            sheet.write_formula(place.row, place.col, formula, None, status_texts[relation.rule_id]),
            f"mirror status of {relation.rule_id}",
        )
    return codes
