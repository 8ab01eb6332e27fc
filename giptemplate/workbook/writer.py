"""Write the locked, self-checking workbook of a spec with xlsxwriter.

Every coordinate comes from :mod:`giptemplate.format.layout`, every formula and every cached value from
:mod:`giptemplate.format.arithmetic`; this module only draws. Every xlsxwriter call that reports failure through a
return code is checked, so a validation or merge that xlsxwriter silently skipped becomes a :class:`WriterError`.
"""

from __future__ import annotations

import functools
import io
import re
import uuid
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.utility import quote_sheetname, xl_cell_to_rowcol, xl_rowcol_to_cell, xl_rowcol_to_cell_fast
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, Worksheet

from giptemplate import __version__
from giptemplate.errors import WriterError
from giptemplate.files import atomic
from giptemplate.findings import SEVERITY_LABELS
from giptemplate.format import uscc
from giptemplate.format.arithmetic import (
    FAIL_MARK,
    NOT_ASSESSABLE,
    PASS_MARK,
    Number,
    Position,
    a1_ranges,
    arithmetic_for,
)
from giptemplate.format.layout import (
    CHECK_FIRST_RULE,
    CHECK_SHEET,
    GRID_TOP,
    IDENTITY_KEYS,
    IDENTITY_SHEET,
    MIRROR_LEFT,
    NARRATIVE_PART_ROWS,
    Layout,
    Place,
    TableLayout,
    layout_for,
)
from giptemplate.format.spec import CellType, Relation, Spec, spec_for_year
from giptemplate.workbook import live
from giptemplate.workbook.textwidth import POINTS_PER_LINE, fitted_height, wrapped_lines

DEFAULT_PASSWORD = "gip2021"
DEFAULT_SCOPE = "本机关"
SUMMARY_SCOPE = "本级政府汇总"
FIXED_CREATED = datetime(2000, 1, 1)
ROW_HEIGHT = 18.0  # minimum height of a table row, in points


@dataclass(frozen=True)
class Note:
    """A remark attached to a cell of a return-for-correction copy: highlighted, with a comment."""

    sheet: str
    row: int
    col: int
    text: str


@dataclass(frozen=True)
class Fill:
    """What goes into the workbook besides the fixed format: metadata, input values and texts."""

    year: int
    unit_name: str = ""
    unit_code: str = ""
    scope: str = ""
    filler: str = ""
    phone: str = ""
    date: str = ""
    values: Mapping[str, Number | None] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)
    # text a unit typed into number cells, written back as text in a return copy (so its live checks see it)
    typed: Mapping[str, str] = field(default_factory=dict)
    # the cover's notes: the spec's instructions to a filler unless the workbook is something else (a summary)
    instructions: tuple[str, ...] | None = None
    instructions_title: str = "填报说明"
    cover_title: str = ""  # the spec's cover title unless the workbook is something else (a summary)

    def meta(self, key: str) -> str | int:
        value: str | int = getattr(self, key)
        return value


MAX_PROPERTY_UNITS = 255  # Excel's limit on a custom document property's text, in UTF-16 code units


def property_text(value: str) -> str:
    """A custom document property's text within Excel's limit (a unit's name typed 300 characters long would
    otherwise make xlsxwriter warn on stderr and Excel repair the file); the identity sheet keeps it whole."""
    encoded = value.encode("utf-16-le", "surrogatepass")
    if len(encoded) <= 2 * MAX_PROPERTY_UNITS:
        return value
    return encoded[: 2 * MAX_PROPERTY_UNITS].decode("utf-16-le", "ignore")  # never half a surrogate pair


def default_file_id(spec: Spec, fill: Fill, kind: str) -> str:
    """A stable id for the same inputs (so output is reproducible) and a different one for any other inputs."""
    seed = "|".join((spec.template_id, spec.digest, str(fill.year), fill.unit_code, fill.unit_name, kind))
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed))


_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@functools.lru_cache(maxsize=64)
def _computed(spec: Spec, inputs: tuple[Number | None, ...]) -> tuple[dict[str, Number | None], dict[str, str]]:
    """Input and derived values (as the sheet's SUMs compute them) and every status text, for one fill.

    Cached: a roster's templates, or a batch of returned copies, mostly share their values. Callers must not
    mutate the results.
    """
    arithmetic = arithmetic_for(spec)
    values: dict[str, Number | None] = dict(zip((c.key for c in spec.input_cells), inputs, strict=True))
    strict = _strict(spec, inputs)
    values.update(arithmetic.derive(values, blank_as_zero=True))
    texts = {r.rule_id: arithmetic.evaluate(r, strict, depend_on_inputs=False).status_text for r in spec.relations}
    return values, texts


@functools.lru_cache(maxsize=64)
def _strict(spec: Spec, inputs: tuple[Number | None, ...]) -> dict[str, Number | None]:
    """Inputs and derived values as the checks read them: an unusable input (negative, a fraction in a count) is
    none, and a total over none is none."""
    values = {c.key: live.usable(spec, c, v) for c, v in zip(spec.input_cells, inputs, strict=True)}
    return {**values, **arithmetic_for(spec).derive(values)}


@functools.cache
def _mirror_position(layout: Layout) -> Callable[[str], Position]:
    """Where each cell's value as filed sits on the 校验 sheet (one function per layout, so formulas cache)."""

    def position(key: str) -> Position:
        place = layout.mirror[key]
        return place.row, place.col

    return position


def _check(result: Any, what: str) -> None:
    # xlsxwriter reports refusals (too-long validation texts, overlapping merges...) as negative codes.
    if isinstance(result, int) and not isinstance(result, bool) and result < 0:
        raise WriterError(f"xlsxwriter refused {what} (code {result})")


@functools.lru_cache(maxsize=4096)
def _prepared_formula(formula: str, expand_future_functions: bool, use_future_functions: bool) -> str:
    worksheet = Worksheet()
    worksheet.use_future_functions = use_future_functions
    return str(Worksheet._prepare_formula(worksheet, formula, expand_future_functions))


_FAST_CELLS = frozenset((CellBlankTuple, CellStringTuple, CellNumberTuple))


class _Worksheet(Worksheet):  # type: ignore[misc]
    """A worksheet that memoises formula preparation.

    xlsxwriter runs ~30 regular expressions over every formula; a template repeats the same ~130 formulas in
    every personalised copy, so caching them makes writing a roster about five times faster.
    """

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        return _prepared_formula(formula, expand_future_functions, bool(self.use_future_functions))

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        # Saving's innermost loop. Formatted blanks, strings and numbers are ~90% of a template's cells; write
        # them directly, exactly as xlsxwriter would (tests compare the bytes with the stock method).
        kind = type(cell)
        if kind in _FAST_CELLS and cell.format is not None:
            head = f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{cell.format._get_xf_index()}"'
            if kind is CellBlankTuple:
                self.fh.write(f"{head}/>")
            elif kind is CellStringTuple:
                self.fh.write(f'{head} t="s"><v>{cell.string}</v></c>')
            else:
                self.fh.write(f"{head}><v>{cell.number:.16G}</v></c>")
            return
        super()._write_cell(row, col, cell)


class Formats:
    """The workbook's cell formats, created once per workbook."""

    def __init__(self, workbook: Workbook, spec: Spec) -> None:
        border = {"border": 1, "valign": "vcenter", "text_wrap": True}
        add = workbook.add_format
        self.title = add({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        self.subtitle = add({"font_size": 10, "align": "left", "valign": "vcenter"})
        self.header = add({**border, "bold": True, "align": "center", "bg_color": "#D9E1F2"})
        self.caption = add({**border, "bold": True, "align": "left", "bg_color": "#EDEDED"})
        self.label = add({**border, "align": "left"})
        self.group = add({**border, "align": "center"})
        self.note = add({**border, "align": "center", "font_size": 9})
        self.count_input = add({**border, "align": "center", "num_format": "0", "locked": False})
        self.fee_input = add(
            {**border, "align": "center", "num_format": "0." + "0" * spec.amount_decimals, "locked": False}
        )
        self.count_marked = add(
            {**border, "align": "center", "num_format": "0", "locked": False, "bg_color": "#FFEB9C"}
        )
        self.fee_marked = add(
            {
                **border,
                "align": "center",
                "num_format": "0." + "0" * spec.amount_decimals,
                "locked": False,
                "bg_color": "#FFEB9C",
            }
        )
        self.derived = add({**border, "align": "center", "num_format": "0", "bg_color": "#F2F2F2", "bold": True})
        self.status = add({**border, "align": "center", "font_size": 10, "bg_color": "#F2F2F2"})
        self.status_label = add({**border, "align": "right", "font_size": 10, "bg_color": "#F2F2F2"})
        self.hint = add({"font_size": 9, "font_color": "#595959", "text_wrap": True, "valign": "top"})
        self.hint_cell = add({"border": 1, "font_size": 9, "font_color": "#595959", "text_wrap": True, "valign": "top"})
        self.text_input = add({"border": 1, "text_wrap": True, "valign": "top", "locked": False})
        self.text_marked = add(
            {"border": 1, "text_wrap": True, "valign": "top", "locked": False, "bg_color": "#FFEB9C"}
        )
        self.field_label = add({**border, "bold": True, "bg_color": "#D9E1F2"})
        self.field_input = add({**border, "align": "left", "locked": False})
        self.field_marked = add({**border, "align": "left", "locked": False, "bg_color": "#FFEB9C"})
        self.field_fixed = add({**border, "align": "left", "bg_color": "#F2F2F2"})
        self.bad = add({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.good = add({"font_color": "#006100"})
        self.plain = add({"text_wrap": True, "valign": "top"})
        self.bold = add({"bold": True})
        self.table_header = add(
            {"bold": True, "border": 1, "bg_color": "#D9E1F2", "text_wrap": True, "valign": "vcenter"}
        )
        self.cell = add({"border": 1, "valign": "top", "text_wrap": True})
        self.check_cell = add({"border": 1, "valign": "vcenter", "text_wrap": True})
        self.check_number = add({"border": 1, "valign": "vcenter", "align": "center"})
        self.number = add({"border": 1, "num_format": "0"})
        self.decimal4 = add({"border": 1, "num_format": "0.0000"})
        self.percent = add({"border": 1, "num_format": "0.0%"})


class TemplateWriter:
    """Builds one workbook: the standard sheets of a spec, plus any sheets the caller adds before closing."""

    def __init__(self, target: str | Path | IO[bytes], spec: Spec, *, password: str = DEFAULT_PASSWORD) -> None:
        self.spec = spec
        self.layout: Layout = layout_for(spec)
        self.arithmetic = arithmetic_for(spec)
        self.password = password
        self._target = target
        self._buffer = io.BytesIO()
        self.workbook = xlsxwriter.Workbook(
            self._buffer,
            {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
        )
        self.formats = Formats(self.workbook, spec)
        self._identity: dict[str, str] = {}
        self._status_texts: dict[str, str] = {}

    # ------------------------------------------------------------------------------------------ public

    def write(
        self,
        fill: Fill,
        *,
        kind: str = "template",
        file_id: str | None = None,
        lock_unit: bool = False,
        notes: Sequence[Note] = (),
        title_suffix: str = "",
    ) -> None:
        """Write cover, narrative, tables and checks for ``fill``."""
        spec = self.spec
        all_values, self._status_texts = _computed(spec, tuple(fill.values.get(c.key) for c in spec.input_cells))
        marked = {(n.sheet, n.row, n.col): n.text for n in notes}
        self.workbook.set_properties(
            {
                "title": spec.report_title.format(unit=fill.unit_name, year=fill.year) + title_suffix,
                "subject": spec.title,
                "author": "giptemplate",
                "company": "",
                "comments": f"{spec.document}; giptemplate {__version__}",
                "created": FIXED_CREATED,
            }
        )
        self._write_cover(fill, lock_unit, marked)
        self._write_narrative(fill, marked)
        for table in spec.tables:
            self._write_table(self.layout.tables[table.key], fill, all_values, marked)
        self._write_checks(fill, all_values)
        self._identity = {
            "template_id": spec.template_id,
            "format_version": spec.format_version,
            "spec_id": spec.id,
            "spec_digest": spec.digest,
            "report_year": str(fill.year),
            "unit_name": fill.unit_name,
            "unit_code": fill.unit_code,
            "generator": "giptemplate",
            "generator_version": __version__,
            "file_id": file_id or default_file_id(spec, fill, kind),
            "kind": kind,
        }
        for key in IDENTITY_KEYS:
            value = property_text(self._identity[key] or "-")
            _check(self.workbook.set_custom_property(f"giptemplate.{key}", value), key)
        for (sheet, row, col), text in marked.items():
            _check(
                self.workbook.get_worksheet_by_name(sheet).write_comment(
                    row, col, text, {"author": "giptemplate", "x_scale": 2.5, "y_scale": 2}
                ),
                f"a comment at {sheet}!{row},{col}",
            )

    def add_worksheet(self, name: str) -> Worksheet:
        return self.workbook.add_worksheet(name, worksheet_class=_Worksheet)

    def close(self) -> bytes:
        """Add the identity sheet last, close the workbook and write it to the target; returns the bytes."""
        sheet = self.add_worksheet(IDENTITY_SHEET)
        for key in IDENTITY_KEYS:
            place = self.layout.identity[key]
            _check(sheet.write_string(place.row, 0, key), "identity key")
            _check(sheet.write_string(place.row, place.col, self._identity.get(key, "")), "identity value")
        sheet.very_hidden()
        self._protect(sheet)
        self.workbook.close()
        data = self._buffer.getvalue()
        if isinstance(self._target, (str, Path)):
            atomic.write_bytes(self._target, data)
        else:
            self._target.write(data)
        return data

    # ------------------------------------------------------------------------------------------ sheets

    def _protect(self, sheet: Worksheet, *, rows_resizable: bool = False) -> None:
        options = {"select_locked_cells": True, "select_unlocked_cells": True, "format_rows": rows_resizable}
        sheet.protect(self.password, options)

    def _sheet(self, name: str) -> Worksheet:
        sheet = self.add_worksheet(name)
        sheet.set_paper(9)  # A4
        sheet.hide_gridlines(2)
        return sheet

    def _write_cover(self, fill: Fill, lock_unit: bool, marked: Mapping[tuple[str, int, int], str]) -> None:
        spec, f = self.spec, self.formats
        sheet = self._sheet(spec.cover_sheet)
        sheet.set_column(0, 0, 30)
        sheet.set_column(1, 1, 48)
        sheet.set_column(2, 2, 24)
        _check(sheet.merge_range(0, 0, 0, 2, fill.cover_title or spec.cover_title, f.title), "cover title")
        sheet.set_row(0, 30)
        _check(sheet.write_string(1, 0, f"报告格式：{spec.title}（{spec.document}）", f.subtitle), "cover format line")
        for spec_field in spec.cover_fields:
            place = self.layout.fields[spec_field.key]
            _check(sheet.write_string(place.row, 0, spec_field.label, f.field_label), spec_field.label)
            value = fill.meta(spec_field.key)
            fixed = spec_field.kind == "year" or (lock_unit and spec_field.key in ("unit_name", "unit_code"))
            fmt = f.field_fixed if fixed else f.field_input
            if (place.sheet, place.row, place.col) in marked and not fixed:
                fmt = f.field_marked
            if spec_field.kind == "year":
                _check(sheet.write_number(place.row, place.col, int(value), fmt), "year")
            elif value:
                _check(sheet.write_string(place.row, place.col, str(value), fmt), spec_field.label)
            else:
                _check(sheet.write_blank(place.row, place.col, None, fmt), spec_field.label)
            sheet.set_row(place.row, 22)
            if not fixed:
                options: dict[str, Any] = {
                    "input_title": spec_field.label[:32],
                    "input_message": spec_field.prompt[:255],
                }
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
                _check(sheet.data_validation(place.row, place.col, place.row, place.col, options), spec_field.label)
            live_place = self.layout.cover_status.get(spec_field.key)
            if live_place is not None and spec_field.key not in self.layout.field_status:
                _check(
                    sheet.write_formula(
                        live_place.row,
                        live_place.col,
                        live.cover_status_formula(spec_field.key, place.a1, fill.year),
                        f.status,
                        live.cover_status(spec_field.key, value, fill.year),
                    ),
                    f"{spec_field.label} check",
                )
                self._conditional_bad(sheet, live_place.a1)
            if spec_field.key in self.layout.field_status:
                status = self.layout.field_status[spec_field.key]
                cached = uscc.STATUS_TEXT[uscc.verify(str(value))]
                _check(
                    sheet.write_formula(
                        status.row, status.col, uscc.status_formula(place.ref.split("!")[1]), f.status, cached
                    ),
                    "code check",
                )
                self._conditional_bad(sheet, f"{status.a1}")
        row = max(p.row for p in self.layout.fields.values()) + 2
        _check(sheet.write_string(row, 0, fill.instructions_title, f.bold), "instructions heading")
        instructions = spec.instructions if fill.instructions is None else fill.instructions
        for i, line in enumerate(instructions, start=1):
            _check(sheet.merge_range(row + i, 0, row + i, 2, f"{i}. {line}", f.plain), "instruction")
            sheet.set_row(row + i, fitted_height([(f"{i}. {line}", 30 + 48 + 24 - 2)]))
        sheet.print_area(0, 0, row + len(instructions), 2)
        sheet.fit_to_pages(1, 0)
        sheet.activate()
        self._protect(sheet)

    def _write_narrative(self, fill: Fill, marked: Mapping[tuple[str, int, int], str]) -> None:
        spec, f, layout = self.spec, self.formats, self.layout
        sheet = self._sheet(spec.narrative_sheet)
        widths = (22, 90, 34, 16)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        last = len(widths) - 1
        _check(sheet.merge_range(0, 0, 0, last, spec.narrative_title, f.title), "narrative title")
        sheet.set_row(0, 30)
        for i, text in enumerate(("部分", "内容（在此填写）", "填写提示", "校验")):
            _check(sheet.write_string(1, i, text, f.header), "narrative header")
        span = NARRATIVE_PART_ROWS - 1
        for part in spec.parts:
            place = layout.parts[part.key]
            top, bottom = place.row, place.row + span
            _check(sheet.merge_range(top, 0, bottom, 0, part.display_title, f.field_label), part.key)
            text = fill.texts.get(part.key, "")
            fmt = f.text_marked if (place.sheet, place.row, place.col) in marked else f.text_input
            _check(sheet.merge_range(top, place.col, bottom, place.col, "", fmt), part.key)
            if text:
                _check(sheet.write_string(top, place.col, text, fmt), part.key)
            _check(sheet.merge_range(top, 2, bottom, 2, part.hint, f.hint_cell), part.key)
            # Room for the text (one row holds at most 409 points); the filler may resize the rows.
            needed = max(120.0, POINTS_PER_LINE * wrapped_lines(text, widths[1]) + 6)
            for row in range(top, bottom + 1):
                sheet.set_row(row, min(409.0, needed / NARRATIVE_PART_ROWS))
        for section in spec.sections:
            status = layout.text_status.get(section.key)
            if status is None:
                continue
            refs = [layout.parts[p.key].a1 for p in section.parts]
            texts = [fill.texts.get(p.key, "") for p in section.parts]
            self._narrative_status(
                sheet, status, live.section_status_formula(spec, refs), live.section_status(spec, texts)
            )
        for part in spec.parts:
            status = layout.require_status.get(part.key)
            if status is None:
                continue
            ref = layout.parts[part.key].a1
            text = fill.texts.get(part.key, "")
            self._narrative_status(
                sheet,
                status,
                live.require_status_formula(part.require_any, ref),
                live.require_status(part.require_any, text),
            )
        sheet.freeze_panes(2, 0)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(1)
        self._protect(sheet, rows_resizable=True)

    def _narrative_status(self, sheet: Worksheet, place: Place, formula: str, cached: str) -> None:
        span = NARRATIVE_PART_ROWS - 1
        f = self.formats
        _check(sheet.merge_range(place.row, place.col, place.row + span, place.col, "", f.status), "text check")
        _check(sheet.write_formula(place.row, place.col, formula, f.status, cached), "text check")
        self._conditional_bad(sheet, place.a1)

    def _write_table(
        self,
        tl: TableLayout,
        fill: Fill,
        values: Mapping[str, Number | None],
        marked: Mapping[tuple[str, int, int], str],
    ) -> None:
        _spec, f, table = self.spec, self.formats, tl.table
        sheet = self._sheet(table.sheet)
        for i, width in enumerate(table.col_widths):
            sheet.set_column(tl.left + i, tl.left + i, width)
        if tl.status_col is not None:
            sheet.set_column(tl.left + tl.status_col, tl.left + tl.status_col, 11)
        last = tl.last_col
        _check(sheet.merge_range(0, 0, 0, last, table.title, f.title), "table title")
        sheet.set_row(0, 28)
        cover = self.layout.fields
        line_formula = (
            f'="填报单位："&{cover["unit_name"].ref}&"　　报告年度："&{cover["year"].ref}'
            f'&"　　统计口径："&{cover["scope"].ref}'
        )
        # xlsxwriter escapes control characters in shared strings but not in a formula's cached text.
        cached_unit = _XML_INVALID.sub("", unit_line(fill.unit_name, fill.year, fill.scope))
        _check(sheet.merge_range(1, 0, 1, last, "", f.subtitle), "unit line")
        _check(sheet.write_formula(1, 0, line_formula, f.subtitle, cached_unit), "unit line")

        plan = _table_plan(self.layout, table.key)
        for r0, c0, r1, c1, text, role in plan.texts:
            fmt = getattr(f, role)
            if (r0, c0) == (r1, c1):
                _check(sheet.write_string(r0, c0, text, fmt), text)
            else:
                _check(sheet.merge_range(r0, c0, r1, c1, text, fmt), text)
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
                _check(sheet.merge_range(r0, c0, r1, c1, "", fmt), key)
            if formula is not None:
                _check(sheet.write_formula(r0, c0, formula, fmt, _excel_number(value)), key)
            elif value is None and key in fill.typed:
                _check(sheet.write_string(r0, c0, fill.typed[key], fmt), key)
            elif value is None:
                _check(sheet.write_blank(r0, c0, None, fmt), key)
            else:
                _check(sheet.write_number(r0, c0, _excel_number(value), fmt), key)
        for (r0, c0, r1, c1), options in plan.validations:
            _check(sheet.data_validation(r0, c0, r1, c1, options), f"validation of {table.sheet}")

        self._write_statuses(sheet, tl, values)
        for r, height in plan.heights:
            sheet.set_row(r, height)

        first_header, last_header = tl.header_rows
        sheet.freeze_panes(first_header + table.header_rows, table.label_cols)
        if table.orientation == "landscape":
            sheet.set_landscape()
        sheet.set_paper(9)
        sheet.fit_to_pages(1, 1)
        sheet.repeat_rows(0, last_header)
        sheet.center_horizontally()
        sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        sheet.print_area(0, 0, tl.note_row, last)
        self._protect(sheet)

    def _write_statuses(self, sheet: Worksheet, tl: TableLayout, values: Mapping[str, Number | None]) -> None:
        f, table = self.formats, tl.table
        if tl.status_col is not None:
            first, last = tl.header_rows
            col = tl.left + tl.status_col
            if first == last:
                _check(sheet.write_string(first, col, "校验", f.header), "status header")
            else:
                _check(sheet.merge_range(first, col, last, col, "校验", f.header), "status header")
        for status_row in tl.status_rows:
            cols = [p.col for p in tl.status.values() if p.row == status_row.row]
            label_end = min(cols) - 1 if cols else table.width - 1
            text = "校验：" + (status_row.title if not status_row.relation_key.startswith("*") else "各组总计")
            if label_end > 0:
                _check(sheet.merge_range(status_row.row, 0, status_row.row, label_end, text, f.status_label), text)
            elif label_end == 0:
                _check(sheet.write_string(status_row.row, 0, text, f.status_label), text)
            label_width = sum(table.col_widths[: max(label_end, 0) + 1])
            sheet.set_row(status_row.row, fitted_height([(text, label_width)], ROW_HEIGHT))
        relations = [r for r in self.spec.relations if r.table == table.key]
        for relation in relations:
            place = tl.status[relation.rule_id]
            formula = f"={self.layout.mirror_status[relation.rule_id].ref}"
            _check(
                sheet.write_formula(place.row, place.col, formula, f.status, self._status_texts[relation.rule_id]),
                relation.rule_id,
            )
        if relations:
            self._conditional_bad(sheet, " ".join(p.a1 for p in tl.status.values()))
            for targets, formula in _target_highlights(self.layout, tuple(relations)):
                r0, c0, r1, c1 = _bounds(targets.split()[0].split(":"))
                _check(
                    sheet.conditional_format(
                        r0,
                        c0,
                        r1,
                        c1,
                        {"type": "formula", "criteria": formula, "format": f.bad, "multi_range": targets},
                    ),
                    "relation highlight",
                )
        self._value_highlights(sheet, tl)
        missing = sum(1 for c in table.input_cells if values.get(c.key) is None)
        mc = tl.missing_count
        label = "未填写或非数字的填报单元格数"
        if mc.col > 1:
            _check(sheet.merge_range(mc.row, 0, mc.row, mc.col - 1, label, f.status_label), label)
        else:
            _check(sheet.write_string(mc.row, 0, label, f.status_label), label)
        label_width = sum(table.col_widths[: mc.col])
        sheet.set_row(mc.row, fitted_height([(label, label_width)], ROW_HEIGHT))
        _check(sheet.write_formula(mc.row, mc.col, self._unusable_count_formula(tl), f.status, missing), label)
        _check(
            sheet.conditional_format(
                mc.row, mc.col, mc.row, mc.col, {"type": "cell", "criteria": ">", "value": 0, "format": f.bad}
            ),
            "missing count highlight",
        )
        note = (
            "白色单元格为填报区，请填写数字，没有的填 0；灰色单元格自动计算。"
            f"校验栏“✓”为通过，“{FAIL_MARK} 差N”为不平衡（标红），“{NOT_ASSESSABLE}”为有单元格未填写。"
        )
        _check(sheet.merge_range(tl.note_row, 0, tl.note_row, tl.last_col, note, f.hint), "note")
        total_width = sum(table.col_widths) + (11 if tl.status_col is not None else 0)
        sheet.set_row(tl.note_row, fitted_height([(note, total_width)]))

    def _code_block(self, tl: TableLayout) -> str:
        """The 校验 range holding the codes of a table's cells."""
        places = [self.layout.codes[c.key] for c in tl.table.cells]
        first = xl_rowcol_to_cell(min(p.row for p in places), min(p.col for p in places), True, True)
        last = xl_rowcol_to_cell(max(p.row for p in places), max(p.col for p in places), True, True)
        return f"{quote_sheetname(CHECK_SHEET)}!{first}:{last}"

    def _unusable_count_formula(self, tl: TableLayout) -> str:
        """Input cells that hold no usable number: blank, not a number, or an error value."""
        block = self._code_block(tl)
        return "=" + "+".join(f'COUNTIF({block},"{code}")' for code in ("V203", "V201", "V209"))

    def _value_highlights(self, sheet: Worksheet, tl: TableLayout) -> None:
        """Input cells that earn a code (other than blank) and typed-over totals turn red, live."""
        spec = self.spec
        groups: dict[str, list[tuple[int, int]]] = {}
        for cell in tl.table.cells:
            kind: str = "typed" if cell.derived else cell.type.key
            groups.setdefault(kind, []).append(self.layout.position(cell.key))
        for kind, positions in groups.items():
            ranges = a1_ranges(positions)
            first = ranges[0].split(":")[0]
            if kind == "typed":
                criteria = f'={live.typed_expression(first)}<>""'
            else:
                cell = next(c for c in tl.table.input_cells if c.type.key == kind)
                code = live.code_expression(spec, cell, first, live.parsed_expression(first))
                criteria = f'=AND({code}<>"",{code}<>"V203")'
            r0, c0, r1, c1 = _bounds(ranges[0].split(":"))
            _check(
                sheet.conditional_format(
                    r0,
                    c0,
                    r1,
                    c1,
                    {
                        "type": "formula",
                        "criteria": criteria,
                        "format": self.formats.bad,
                        "multi_range": " ".join(ranges),
                    },
                ),
                "value highlight",
            )

    def _conditional_bad(self, sheet: Worksheet, ranges: str) -> None:
        first = ranges.split()[0].split(":")
        r0, c0, r1, c1 = _bounds(first)
        _check(
            sheet.conditional_format(
                r0,
                c0,
                r1,
                c1,
                {
                    "type": "text",
                    "criteria": "begins with",
                    "value": FAIL_MARK,
                    "format": self.formats.bad,
                    "multi_range": ranges,
                },
            ),
            "status highlight",
        )

    def _write_checks(self, fill: Fill, values: Mapping[str, Number | None]) -> None:
        """The 校验 sheet: one row per rule `check` applies to the file alone, with its live status, and the verdict.

        Its hidden columns hold the cells as the checks read them (see :mod:`giptemplate.workbook.live`).
        """
        spec, f, layout = self.spec, self.formats, self.layout
        sheet = self._sheet(CHECK_SHEET)
        widths = (6, 32, 60, 24, 22)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        _check(sheet.merge_range(0, 0, 0, 4, "校验结果", f.title), "check title")
        sheet.set_row(0, 28)
        _check(sheet.write_string(layout.check_overall.row, 0, "总体", f.field_label), "overall label")
        for col, text in enumerate(("序号", "规则", "检查内容", "位置", "状态")):
            _check(sheet.write_string(CHECK_FIRST_RULE - 1, col, text, f.header), "check header")
        codes = self._write_mirror(sheet, fill)
        blocks = [self._code_block(tl) for tl in layout.tables.values()]
        failing = warnings = 0
        error_rows: list[int] = []
        warning_rows: list[int] = []
        for number, (rule, row) in enumerate(layout.check_rules, start=1):
            kind, key = rule.split(":", 1)
            if kind == "rel":
                instances = [r for r in spec.relations if r.key == key]
                statuses = [layout.status_of(r) for r in instances]
                cached = rule_status([self._status_texts[r.rule_id] for r in instances])
                sheet_name = statuses[0].sheet
                ranges = a1_ranges([(p.row, p.col) for p in statuses])
                formula = _rule_status_formula([f"{quote_sheetname(sheet_name)}!{r}" for r in ranges])
                code, severity = instances[0].code, instances[0].severity
                description = f"{sheet_name}：{_rule_title(instances)}（{len(instances)} 处）"
                where = f"'{sheet_name}'!" + ",".join(ranges)
            elif kind in ("value", "typed"):
                code, severity = key, live.severity(key)
                count = "+".join(f'COUNTIF({b},"{code}")' for b in blocks)
                formula = live.count_status_formula(count)
                cached = live.count_status(sum(1 for c in codes.values() if c == code))
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
            _check(sheet.write_number(row, 0, number, f.check_number), "number")
            _check(sheet.write_string(row, 1, live.rule_title(code), f.check_cell), "rule")
            text = f"【{SEVERITY_LABELS[severity]}】{description}"
            _check(sheet.write_string(row, 2, text, f.check_cell), "description")
            _check(sheet.write_string(row, 3, where, f.check_cell), "place")
            _check(sheet.write_formula(row, 4, formula, f.status, cached), "status")
            sheet.set_row(
                row,
                fitted_height([(live.rule_title(code), widths[1]), (text, widths[2]), (where, widths[3])], ROW_HEIGHT),
            )

        def failures(rows: list[int]) -> str:
            if not rows:
                return "0"
            return "+".join(f'SUMPRODUCT(--(LEFT({_col_range(4, run)},1)="{FAIL_MARK}"))' for run in _runs(rows))

        place = layout.check_overall
        _check(sheet.merge_range(place.row, place.col, place.row, 4, "", f.status), "overall")
        _check(
            sheet.write_formula(
                place.row,
                place.col,
                live.overall_formula(failures(error_rows), failures(warning_rows)),
                f.status,
                live.overall_status(failing, warnings),
            ),
            "overall",
        )
        sheet.set_row(place.row, 24)
        _check(
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
        self._conditional_bad(sheet, f"E{CHECK_FIRST_RULE + 1}:E{last_row + 1}")
        later = live.later_text()
        _check(sheet.merge_range(layout.later_row, 0, layout.later_row, 4, later, f.hint), "later checks")
        sheet.set_row(layout.later_row, fitted_height([(later, sum(widths))]))
        hint = "各表中每条关系旁的校验单元格显示具体位置和差额；填报单元格有问题时标红。"
        _check(sheet.merge_range(layout.later_row + 1, 0, layout.later_row + 1, 4, hint, f.hint), "check hint")
        sheet.set_column(
            MIRROR_LEFT - 1, max(p.col for p in layout.mirror_status.values()), None, None, {"hidden": True}
        )
        sheet.print_area(0, 0, layout.later_row + 1, 4)
        sheet.freeze_panes(CHECK_FIRST_RULE, 0)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        self._protect(sheet)

    def _write_mirror(self, sheet: Worksheet, fill: Fill) -> dict[str, str]:
        """Each table cell as the checks read it, the code it earns, and every relation's status on those values.

        Returns the cached codes, by cell key.
        """
        spec, layout = self.spec, self.layout
        inputs = tuple(fill.values.get(c.key) for c in spec.input_cells)
        strict = _strict(spec, inputs)
        position = _mirror_position(layout)
        codes: dict[str, str] = {}
        for cell in spec.cells.values():
            ref = layout.cells[cell.key].ref.replace("$", "")
            mirror, code_place = layout.mirror[cell.key], layout.codes[cell.key]
            value = strict.get(cell.key)
            parsed = live.parsed_expression(ref)
            if cell.derived:
                formula = f"=IF(_xlfn.ISFORMULA({ref}),{self.arithmetic.strict_formula(cell.key, position)},{parsed})"
                code_formula, codes[cell.key] = "=" + live.typed_expression(ref), ""
            else:
                formula = "=" + live.usable_expression(spec, cell, parsed)
                code_formula = "=" + live.code_expression(spec, cell, ref, parsed)
                codes[cell.key] = "V201" if cell.key in fill.typed else live.value_code(spec, cell, value)
                value = live.usable(spec, cell, value)
            cached: str | int | float = "" if value is None else _excel_number(value)
            _check(sheet.write_formula(mirror.row, mirror.col, formula, None, cached), f"mirror of {cell.key}")
            _check(
                sheet.write_formula(code_place.row, code_place.col, code_formula, None, codes[cell.key]),
                f"code of {cell.key}",
            )
        for relation in spec.relations:
            place = layout.mirror_status[relation.rule_id]
            formula = self.arithmetic.filed_status_formula(relation, position)
            _check(
                sheet.write_formula(place.row, place.col, formula, None, self._status_texts[relation.rule_id]),
                f"mirror status of {relation.rule_id}",
            )
        return codes

    def _instance_label(self, relation: Relation) -> str:
        table = self.spec.table(relation.table)
        if relation.foreach == "row":
            return next(r.label for r in table.rows if r.key == relation.instance)
        if relation.foreach == "col":
            return next(c.label for c in table.columns if c.key == relation.instance)
        return self.spec.cells[relation.lhs[0]].column.group or relation.instance


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
        validations.append((_bounds(ranges[0].split(":")), options))
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
    reference covers them all (few rules keep the file small and fast to write).
    """
    groups: dict[tuple[str, int, int], list[tuple[Place, Place]]] = {}
    for relation in relations:
        target = layout.cells[relation.lhs[0]]
        status = layout.status_of(relation)
        groups.setdefault((relation.key, status.row - target.row, status.col - target.col), []).append((target, status))
    out = []
    for pairs in groups.values():
        pairs.sort(key=lambda p: (p[0].row, p[0].col))
        first_status = pairs[0][1]
        targets = " ".join(a1_ranges([(t.row, t.col) for t, _ in pairs]))
        out.append((targets, f'=LEFT({first_status.a1},1)="{FAIL_MARK}"'))
    return out


def _rule_title(instances: Sequence[Relation]) -> str:
    """One title for all instances of a rule; named instances (表四's groups) have their own titles."""
    titles = list(dict.fromkeys(r.title for r in instances))
    if len(titles) == 1:
        return titles[0]
    common = ""
    for chars in zip(*(reversed(t) for t in titles), strict=False):
        if len(set(chars)) != 1:
            break
        common = chars[0] + common
    return f"各组{common.lstrip()}" if common.strip() else "；".join(titles)


def rule_status(instance_texts: Sequence[str]) -> str:
    """The 校验 sheet's status of one rule from the live statuses of its instances, as its formula computes it."""
    fails = sum(t.startswith(FAIL_MARK) for t in instance_texts)
    unknown = sum(t == NOT_ASSESSABLE for t in instance_texts)
    if fails:
        return f"{FAIL_MARK} {fails} 处不平衡"
    if unknown:
        return f"{NOT_ASSESSABLE}（{unknown} 处）"
    return PASS_MARK


def _rule_status_formula(ranges: Sequence[str]) -> str:
    fails = "+".join(f'SUMPRODUCT(--(LEFT({r},1)="{FAIL_MARK}"))' for r in ranges)
    unknown = "+".join(f'SUMPRODUCT(--({r}="{NOT_ASSESSABLE}"))' for r in ranges)
    return (
        f'=IF({fails}>0,"{FAIL_MARK} "&({fails})&" 处不平衡",'
        f'IF({unknown}>0,"{NOT_ASSESSABLE}（"&({unknown})&" 处）","{PASS_MARK}"))'
    )


def unit_line(unit_name: str, year: int | str, scope: str) -> str:
    """The line above each table naming the unit, as its formula computes it from the cover."""
    return f"填报单位：{unit_name}　　报告年度：{year}　　统计口径：{scope}"


def _excel_number(value: Number | None) -> float | int:
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _bounds(parts: Sequence[str]) -> tuple[int, int, int, int]:
    r0, c0 = xl_cell_to_rowcol(parts[0])
    r1, c1 = xl_cell_to_rowcol(parts[-1])
    return r0, c0, r1, c1


def _runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for r in sorted(rows):
        if runs and runs[-1][1] == r - 1:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    return runs


def _col_range(col: int, rows: tuple[int, int]) -> str:
    return f"{xl_rowcol_to_cell(rows[0], col)}:{xl_rowcol_to_cell(rows[1], col)}"


def write_template(
    target: str | Path | IO[bytes],
    *,
    year: int,
    unit_name: str = "",
    unit_code: str = "",
    scope: str = "",
    password: str = DEFAULT_PASSWORD,
    values: Mapping[str, Number | None] | None = None,
    texts: Mapping[str, str] | None = None,
    filler: str = "",
    phone: str = "",
    date: str = "",
    file_id: str | None = None,
    spec: Spec | None = None,
    kind: str = "template",
    lock_unit: bool | None = None,
    notes: Sequence[Note] = (),
) -> bytes:
    """Write one workbook (a blank or pre-filled template) and return its bytes.

    The unit's name and code are locked when given (``lock_unit`` overrides). The same arguments always give
    byte-identical output.
    """
    spec = spec or spec_for_year(year)
    fill = Fill(
        year=year,
        unit_name=unit_name,
        unit_code=unit_code,
        scope=scope,
        filler=filler,
        phone=phone,
        date=date,
        values=values or {},
        texts=texts or {},
    )
    writer = TemplateWriter(target, spec, password=password)
    writer.write(
        fill, kind=kind, file_id=file_id, lock_unit=bool(unit_name) if lock_unit is None else lock_unit, notes=notes
    )
    return writer.close()


# ---------------------------------------------------------------------------------------------- rosters

# Marks written in place of a unit's name, code and file id in a roster's prototype workbook. Private-use
# characters never occur in real names and are valid XML, so xlsxwriter writes them through unchanged.
_NAME_MARK = "\ue000unit_name\ue001"
_FILE_ID_MARK = "\ue000file_id\ue001"
_VALID_CODE_MARK = "Q" * 17 + uscc.check_digit("Q" * 17)  # a valid code: its cached check shows ✓
_CODE_MARKS: dict[uscc.Verdict, str] = {"ok": _VALID_CODE_MARK, "not_uscc": "\ue000unit_code\ue001"}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # what xlsxwriter stamps on every part in in_memory mode
_XLSX_ESCAPED = re.compile(r"[&<>\"']|_x[0-9a-fA-F]{4}_")


@dataclass(frozen=True)
class _Member:
    """One part of the prototype's zip, with the header fields zipfile wrote for it."""

    info: zipfile.ZipInfo  # versions, system, attributes and time, reused verbatim
    data: bytes  # uncompressed XML
    marked: bool


@dataclass(frozen=True)
class _Prototype:
    code_mark: str
    members: tuple[_Member, ...]  # in xlsxwriter's order
    shared_strings: bytes


def _zip(members: Sequence[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    """Zip the parts with the prototype's own headers, as xlsxwriter's zipfile did (so the bytes are identical)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


class TemplateStamp:
    """Personalised templates for a roster, written from one prototype per roster instead of one by one.

    Across a roster only the unit's name, code and file id change. The prototype is written once by
    :class:`TemplateWriter` (so every xlsxwriter return code is checked there) with marks in their place; each
    unit's copy replaces the marks in the few XML parts that hold them and zips the parts as xlsxwriter does.
    The result is byte-identical to :func:`write_template` with the same arguments (the tests compare them);
    a unit whose name or code xlsxwriter would escape, or which equals a fixed text of the workbook (so the
    shared-string table would differ), is written by :func:`write_template` itself.
    """

    def __init__(self, spec: Spec, *, year: int, scope: str = "", password: str = DEFAULT_PASSWORD) -> None:
        self.spec = spec
        self.year = year
        self.scope = scope
        self.password = password
        self._prototypes: dict[uscc.Verdict, _Prototype] = {}
        self.stamped = 0  # units written from the prototype (the rest went through write_template)

    def write(self, target: str | Path | IO[bytes], *, unit_name: str, unit_code: str) -> bytes:
        file_id = default_file_id(self.spec, Fill(year=self.year, unit_name=unit_name, unit_code=unit_code), "template")
        prototype = self._prototype(uscc.verify(unit_code)) if self._plain(unit_name, unit_code, file_id) else None
        if prototype is None or not self._fits(prototype, unit_name, unit_code, file_id):
            return write_template(
                target,
                year=self.year,
                unit_name=unit_name,
                unit_code=unit_code,
                scope=self.scope,
                password=self.password,
                spec=self.spec,
            )
        marks = (
            (_NAME_MARK.encode(), unit_name.encode()),
            (prototype.code_mark.encode(), unit_code.encode()),
            (_FILE_ID_MARK.encode(), file_id.encode()),
        )
        members = []
        for member in prototype.members:
            if member.marked:
                part = member.data
                for mark, value in marks:
                    part = part.replace(mark, value)
                members.append((member.info, part))
            else:
                members.append((member.info, member.data))
        data = _zip(members)
        if isinstance(target, (str, Path)):
            atomic.write_bytes(target, data)
        else:
            target.write(data)
        self.stamped += 1
        return data

    @staticmethod
    def _plain(*texts: str) -> bool:
        """Texts that every part of the workbook stores verbatim (no XML or _xHHHH_ escaping, no xml:space)."""
        return all(t and t.isprintable() and t == t.strip() and not _XLSX_ESCAPED.search(t) for t in texts)

    @staticmethod
    def _fits(prototype: _Prototype, unit_name: str, unit_code: str, file_id: str) -> bool:
        """The unit's texts take the marks' places in the shared-string table: new, distinct strings."""
        texts = (unit_name, unit_code, file_id)
        if any(property_text(t) != t for t in texts):  # clipped in the document properties: not a plain swap
            return False
        return len(set(texts)) == 3 and not any(f"<t>{t}</t>".encode() in prototype.shared_strings for t in texts)

    def _prototype(self, verdict: uscc.Verdict) -> _Prototype | None:
        if verdict not in _CODE_MARKS:
            return None
        if verdict not in self._prototypes:
            code_mark = _CODE_MARKS[verdict]
            data = write_template(
                io.BytesIO(),
                year=self.year,
                unit_name=_NAME_MARK,
                unit_code=code_mark,
                scope=self.scope,
                password=self.password,
                file_id=_FILE_ID_MARK,
                spec=self.spec,
                lock_unit=True,
            )
            marks = (_NAME_MARK.encode(), code_mark.encode(), _FILE_ID_MARK.encode())
            members = []
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    part = archive.read(info)
                    members.append(_Member(info, part, any(m in part for m in marks)))
            shared = next((m.data for m in members if m.info.filename == "xl/sharedStrings.xml"), b"")
            self._prototypes[verdict] = _Prototype(code_mark, tuple(members), shared)
        return self._prototypes[verdict]


__all__ = [
    "DEFAULT_PASSWORD",
    "GRID_TOP",
    "Fill",
    "Note",
    "Place",
    "TemplateStamp",
    "TemplateWriter",
    "write_template",
]
