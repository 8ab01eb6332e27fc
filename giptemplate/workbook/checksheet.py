"""The 校验 sheet: one row per rule `check` applies to the file alone, its live status, and the verdict.

Its hidden columns hold each table cell as the checks read it, the code it earns and every relation's status on
those values (see :mod:`giptemplate.workbook.live`, which makes every formula).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from giptemplate.findings import SEVERITY_LABELS
from giptemplate.format import uscc
from giptemplate.format.arithmetic import FAIL_MARK, Position, a1_ranges, arithmetic_for
from giptemplate.format.layout import (
    CHECK_DETAIL_COL,
    CHECK_FIRST_RULE,
    CHECK_NUMBER_COL,
    CHECK_RULE_COL,
    CHECK_SHEET,
    CHECK_STATUS_COL,
    CHECK_TEXT_COL,
    CHECK_WHERE_COL,
    MIRROR_LEFT,
    TITLE_ROW,
    TYPED_RULE,
    Layout,
)
from giptemplate.workbook import live
from giptemplate.workbook.drawing import ROW_HEIGHT, Canvas, check
from giptemplate.workbook.tables import code_block, excel_number
from giptemplate.workbook.textwidth import fitted_height

if TYPE_CHECKING:
    from giptemplate.workbook.writer import Fill

WIDTHS = {
    CHECK_NUMBER_COL: 6,
    CHECK_RULE_COL: 26,
    CHECK_TEXT_COL: 40,
    CHECK_WHERE_COL: 20,
    CHECK_STATUS_COL: 16,
    CHECK_DETAIL_COL: 70,
}
HEADERS = {
    CHECK_NUMBER_COL: "序号",
    CHECK_RULE_COL: "规则",
    CHECK_TEXT_COL: "检查内容",
    CHECK_WHERE_COL: "位置",
    CHECK_STATUS_COL: "状态",
    CHECK_DETAIL_COL: "问题说明（与校验结果一致）",
}
DETAIL_LINES_HIGH = 3  # lines of room a rule row keeps for its problems, however few it shows when written


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
    failures = _sentences(c, sheet, fill, codes, status_texts)
    list_col, list_rows = layout.sentence_col, layout.sentence_rows.values()

    def column(name: str) -> str:
        top = xl_rowcol_to_cell(min(list_rows), list_col[name], True, True)
        return f"{top}:{xl_rowcol_to_cell(max(list_rows), list_col[name], True, True)}"

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
        detail = live.detail(failures.get(rule, []))
        detail_formula = live.detail_formula(rule, column("tag"), column("key"), column("where"), column("sentence"))
        check(sheet.write_formula(row, CHECK_DETAIL_COL, detail_formula, f.check_cell, detail), "detail")
        sheet.set_row(
            row,
            fitted_height(
                [
                    (title, WIDTHS[CHECK_RULE_COL]),
                    (text, WIDTHS[CHECK_TEXT_COL]),
                    (where, WIDTHS[CHECK_WHERE_COL]),
                    (detail, WIDTHS[CHECK_DETAIL_COL]),
                    ("\n" * (DETAIL_LINES_HIGH - 1), WIDTHS[CHECK_DETAIL_COL]),
                ],
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
    later = live.later_text(spec)
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
            # the code of the value as written (strict values drop unusable numbers, which earn their own code)
            codes[cell.key] = (
                "V201" if cell.key in fill.typed else live.value_code(spec, cell, fill.values.get(cell.key))
            )
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


def _sentences(
    c: Canvas, sheet: Worksheet, fill: Fill, codes: Mapping[str, str], status_texts: Mapping[str, str]
) -> dict[str, list[tuple[str, str]]]:
    """The hidden list of everything `check` judges in the file alone, with the sentence it prints on failure.

    Returns the cached failures (place, sentence) by 校验 rule, in list order.
    """
    spec, layout = c.spec, c.layout
    col = layout.sentence_col
    rows = layout.sentence_rows
    first_row = min(rows.values())
    first_tag = xl_rowcol_to_cell(first_row, col["tag"], True, True)
    position = _mirror_position(layout)
    arithmetic = arithmetic_for(spec)
    strict = live.strict_values(spec, tuple(fill.values.get(x.key) for x in spec.input_cells))
    failures: dict[str, list[tuple[str, str]]] = {}

    def here(name: str, row: int) -> str:
        return str(xl_rowcol_to_cell(row, col[name]))

    for entry, row in rows.items():
        kind, key = entry.split(":", 1)
        if kind == "rel":
            relation = next(r for r in spec.relations if r.rule_id == key)
            status = layout.mirror_status[key].a1
            rule = f"rel:{relation.key}"
            tag = f'=IF(LEFT({status},1)="{FAIL_MARK}","{rule}","")'
            lhs = arithmetic.sum_formula(relation.lhs, position)
            rhs = arithmetic.sum_formula(relation.rhs, position)
            formula = live.relation_sentence_formula(spec, relation, status, lhs, rhs)
            evaluation = arithmetic.evaluate(relation, strict, depend_on_inputs=False)
            failed = status_texts[key].startswith(FAIL_MARK)
            cached = live.relation_sentence(spec, relation, evaluation.lhs, evaluation.rhs) if failed else ""
            where = layout.cells[relation.lhs[0]]
        elif kind == "cell":
            cell = spec.cells[key]
            where = layout.cells[key]
            ref = where.ref.replace("$", "")
            code = layout.codes[key].a1
            if cell.derived:
                rule = f"typed:{TYPED_RULE}"
                tag = f'=IF({code}="","","{rule}")'
                leaves = sorted(arithmetic.inputs_of(key), key=lambda k: position(k))
                leaf_ranges = ",".join(a1_ranges([position(k) for k in leaves]))
                formula = live.typed_sentence_formula(spec, key, ref, code, leaf_ranges, len(leaves))
                cached = ""  # our writer always writes a total's formula
            else:
                rule = f"value:{codes[key]}"
                tag = f'=IF({code}="","","value:"&{code})'
                parsed = here("parsed", row)
                check(
                    sheet.write_formula(row, col["parsed"], "=" + live.parsed_expression(ref), None, ""),
                    f"parsed {key}",
                )
                raw = here("raw", row)
                check(sheet.write_formula(row, col["raw"], "=" + live.raw_expression(ref), None, ""), f"raw {key}")
                formula = live.cell_sentence_formula(spec, cell, ref, code, parsed, raw)
                cached = live.cell_sentence(spec, cell, codes[key], fill.values.get(key), fill.typed.get(key))
        elif kind == "cover":
            where = layout.fields[key]
            status = layout.cover_status[key].ref
            rule = entry
            tag = f'=IF(LEFT({status},1)="{FAIL_MARK}","{rule}","")'
            formula = live.cover_sentence_formula(spec, key, where.ref, status, fill.year)
            cached = live.cover_sentence(spec, key, fill.meta(key), fill.year)
        elif kind == "text":
            section = next(x for x in spec.sections if x.key == key)
            where = layout.parts[section.parts[0].key]
            status = layout.text_status[key].ref
            rule = entry
            tag = f'=IF(LEFT({status},1)="{FAIL_MARK}","{rule}","")'
            refs = [layout.parts[p.key].ref for p in section.parts]
            formula = live.section_sentence_formula(spec, section, refs, status)
            cached = live.section_sentence(spec, section, [fill.texts.get(p.key, "") for p in section.parts])
        else:
            part = next(x for x in spec.parts if x.key == key)
            where = layout.parts[key]
            status = layout.require_status[key].ref
            rule = entry
            tag = f'=IF(LEFT({status},1)="{FAIL_MARK}","{rule}","")'
            formula = live.require_sentence_formula(part, where.ref, status)
            cached = live.require_sentence(part, fill.texts.get(key, ""))
        shown_at = f"{where.sheet}!{where.a1}"
        cached_tag = rule if cached else ""
        if cached:
            failures.setdefault(rule, []).append((shown_at, cached))
        rank = f"{rule}#{len(failures.get(rule, []))}" if cached else ""
        check(sheet.write_formula(row, col["tag"], tag, None, cached_tag), f"tag of {entry}")
        check(
            sheet.write_formula(row, col["key"], live.key_formula(here("tag", row), first_tag), None, rank),
            f"key of {entry}",
        )
        check(sheet.write_string(row, col["where"], shown_at), f"place of {entry}")
        check(sheet.write_formula(row, col["sentence"], formula, None, cached), f"sentence of {entry}")
    return failures
