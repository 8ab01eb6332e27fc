"""The cover and the narrative sheet: the unit's fields and texts, each with its live check beside it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from giptemplate.format import uscc
from giptemplate.format.layout import (
    COVER_FORMAT_ROW,
    COVER_LABEL_COL,
    COVER_STATUS_COL,
    COVER_VALUE_COL,
    NARRATIVE_HEADER_ROW,
    NARRATIVE_HINT_COL,
    NARRATIVE_PART_ROWS,
    NARRATIVE_STATUS_COL,
    NARRATIVE_TEXT_COL,
    NARRATIVE_TITLE_COL,
    TITLE_ROW,
    Place,
)
from giptemplate.workbook import live
from giptemplate.workbook.drawing import Canvas, check
from giptemplate.workbook.textwidth import POINTS_PER_LINE, fitted_height, wrapped_lines

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from giptemplate.workbook.writer import Fill

Marked = Mapping[tuple[str, int, int], str]

# Column widths, in the order of the layout's columns.
COVER_WIDTHS = {COVER_LABEL_COL: 30, COVER_VALUE_COL: 48, COVER_STATUS_COL: 24}
NARRATIVE_WIDTHS = {NARRATIVE_TITLE_COL: 22, NARRATIVE_TEXT_COL: 90, NARRATIVE_HINT_COL: 34, NARRATIVE_STATUS_COL: 16}
NARRATIVE_HEADERS = {
    NARRATIVE_TITLE_COL: "部分",
    NARRATIVE_TEXT_COL: "内容（在此填写）",
    NARRATIVE_HINT_COL: "填写提示",
    NARRATIVE_STATUS_COL: "校验",
}


def draw_cover(c: Canvas, fill: Fill, lock_unit: bool, marked: Marked) -> None:
    spec, f, layout = c.spec, c.formats, c.layout
    sheet = c.sheet(spec.cover_sheet)
    for col, width in COVER_WIDTHS.items():
        sheet.set_column(col, col, width)
    last = max(COVER_WIDTHS)
    check(sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, last, fill.cover_title or spec.cover_title, f.title), "cover")
    sheet.set_row(TITLE_ROW, 30)
    check(
        sheet.write_string(COVER_FORMAT_ROW, 0, f"报告格式：{spec.title}（{spec.document}）", f.subtitle),
        "cover format line",
    )
    for spec_field in spec.cover_fields:
        place = layout.fields[spec_field.key]
        check(sheet.write_string(place.row, COVER_LABEL_COL, spec_field.label, f.field_label), spec_field.label)
        value = fill.meta(spec_field.key)
        fixed = spec_field.kind == "year" or (lock_unit and spec_field.key in ("unit_name", "unit_code"))
        fmt = f.field_fixed if fixed else f.field_input
        if (place.sheet, place.row, place.col) in marked and not fixed:
            fmt = f.field_marked
        if spec_field.kind == "year":
            check(sheet.write_number(place.row, place.col, int(value), fmt), "year")
        elif value:
            check(sheet.write_string(place.row, place.col, str(value), fmt), spec_field.label)
        else:
            check(sheet.write_blank(place.row, place.col, None, fmt), spec_field.label)
        sheet.set_row(place.row, 22)
        if not fixed:
            options: dict[str, Any] = {"input_title": spec_field.label[:32], "input_message": spec_field.prompt[:255]}
            if spec_field.kind == "choice":
                options.update(
                    {
                        "validate": "list",
                        "source": list(spec_field.choices),
                        "error_title": "请从下拉列表选择",
                        "error_message": "只能选择：" + "、".join(spec_field.choices),
                    }
                )
            else:
                options.update({"validate": "any"})
            check(sheet.data_validation(place.row, place.col, place.row, place.col, options), spec_field.label)
        live_place = layout.cover_status.get(spec_field.key)
        if live_place is not None and spec_field.key not in layout.field_status:
            check(
                sheet.write_formula(
                    live_place.row,
                    live_place.col,
                    live.cover_status_formula(spec_field.key, place.a1, fill.year),
                    f.status,
                    live.cover_status(spec_field.key, value, fill.year),
                ),
                f"{spec_field.label} check",
            )
            c.conditional_bad(sheet, live_place.a1)
        if spec_field.key in layout.field_status:
            status = layout.field_status[spec_field.key]
            cached = uscc.STATUS_TEXT[uscc.verify(str(value))]
            check(
                sheet.write_formula(
                    status.row, status.col, uscc.status_formula(place.ref.split("!")[1]), f.status, cached
                ),
                "code check",
            )
            c.conditional_bad(sheet, status.a1)
    row = layout.cover_instructions_row
    check(sheet.write_string(row, COVER_LABEL_COL, fill.instructions_title, f.bold), "instructions heading")
    instructions = spec.instructions if fill.instructions is None else fill.instructions
    width = sum(COVER_WIDTHS.values()) - 2
    for i, line in enumerate(instructions, start=1):
        check(sheet.merge_range(row + i, 0, row + i, last, f"{i}. {line}", f.plain), "instruction")
        sheet.set_row(row + i, fitted_height([(f"{i}. {line}", width)]))
    sheet.print_area(0, 0, row + len(instructions), last)
    sheet.fit_to_pages(1, 0)
    sheet.activate()
    c.protect(sheet)


def draw_narrative(c: Canvas, fill: Fill, marked: Marked) -> None:
    spec, f, layout = c.spec, c.formats, c.layout
    sheet = c.sheet(spec.narrative_sheet)
    for col, width in NARRATIVE_WIDTHS.items():
        sheet.set_column(col, col, width)
    last = max(NARRATIVE_WIDTHS)
    check(sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, last, spec.narrative_title, f.title), "narrative title")
    sheet.set_row(TITLE_ROW, 30)
    for col, text in NARRATIVE_HEADERS.items():
        check(sheet.write_string(NARRATIVE_HEADER_ROW, col, text, f.header), "narrative header")
    span = NARRATIVE_PART_ROWS - 1
    for part in spec.parts:
        place = layout.parts[part.key]
        top, bottom = place.row, place.row + span
        check(
            sheet.merge_range(top, NARRATIVE_TITLE_COL, bottom, NARRATIVE_TITLE_COL, part.display_title, f.field_label),
            part.key,
        )
        text = fill.texts.get(part.key, "")
        fmt = f.text_marked if (place.sheet, place.row, place.col) in marked else f.text_input
        check(sheet.merge_range(top, place.col, bottom, place.col, "", fmt), part.key)
        if text:
            check(sheet.write_string(top, place.col, text, fmt), part.key)
        check(sheet.merge_range(top, NARRATIVE_HINT_COL, bottom, NARRATIVE_HINT_COL, part.hint, f.hint_cell), part.key)
        # Room for the text (one row holds at most 409 points); the filler may resize the rows.
        needed = max(120.0, POINTS_PER_LINE * wrapped_lines(text, NARRATIVE_WIDTHS[NARRATIVE_TEXT_COL]) + 6)
        for row in range(top, bottom + 1):
            sheet.set_row(row, min(409.0, needed / NARRATIVE_PART_ROWS))
    for section in spec.sections:
        status = layout.text_status.get(section.key)
        if status is None:
            continue
        refs = [layout.parts[p.key].a1 for p in section.parts]
        texts = [fill.texts.get(p.key, "") for p in section.parts]
        # The section's one check stands beside all its parts (一 has five), unless a part below has its own.
        owned = any(p.key in layout.require_status for p in section.parts[1:])
        final_part = section.parts[0] if owned else section.parts[-1]
        bottom = layout.parts[final_part.key].row + NARRATIVE_PART_ROWS - 1
        _narrative_status(
            c, sheet, status, live.section_status_formula(spec, refs), live.section_status(spec, texts), bottom
        )
    for part in spec.parts:
        status = layout.require_status.get(part.key)
        if status is None:
            continue
        ref = layout.parts[part.key].a1
        text = fill.texts.get(part.key, "")
        _narrative_status(
            c,
            sheet,
            status,
            live.require_status_formula(part.require_any, ref),
            live.require_status(part.require_any, text),
            status.row + NARRATIVE_PART_ROWS - 1,
        )
    sheet.freeze_panes(NARRATIVE_HEADER_ROW + 1, 0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(NARRATIVE_HEADER_ROW)
    c.protect(sheet, rows_resizable=True)


def _narrative_status(c: Canvas, sheet: Worksheet, place: Place, formula: str, cached: str, bottom: int) -> None:
    f = c.formats
    check(sheet.merge_range(place.row, place.col, bottom, place.col, "", f.status), "text check")
    check(sheet.write_formula(place.row, place.col, formula, f.status, cached), "text check")
    c.conditional_bad(sheet, place.a1)
