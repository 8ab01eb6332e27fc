"""What every sheet of our workbooks is drawn with: the cell formats, the checked xlsxwriter calls and protection.

Every xlsxwriter call that reports failure through a return code goes through :func:`check`, so a validation or
merge that xlsxwriter silently skipped becomes a :class:`WriterError`. Coordinates are never made up here: the
sheets' drawing modules take them from :mod:`giptemplate.format.layout`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xlsxwriter.utility import xl_cell_to_rowcol
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from giptemplate.errors import WriterError
from giptemplate.format.arithmetic import FAIL_MARK
from giptemplate.format.layout import Layout
from giptemplate.format.spec import Spec

ROW_HEIGHT = 18.0  # minimum height of a table row, in points
A4 = 9  # xlsxwriter's paper code


def check(result: Any, what: str) -> None:
    """Raise when xlsxwriter refused a call (too-long validation texts, overlapping merges...)."""
    if isinstance(result, int) and not isinstance(result, bool) and result < 0:
        raise WriterError(f"xlsxwriter refused {what} (code {result})")


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


@dataclass(frozen=True)
class Canvas:
    """One workbook being drawn for one spec: what each sheet's drawing needs besides the fill."""

    workbook: Workbook
    spec: Spec
    layout: Layout
    formats: Formats
    password: str
    worksheet_class: type[Worksheet]

    def sheet(self, name: str) -> Worksheet:
        """A new A4 sheet without gridlines."""
        sheet = self.workbook.add_worksheet(name, worksheet_class=self.worksheet_class)
        sheet.set_paper(A4)
        sheet.hide_gridlines(2)
        return sheet

    def protect(self, sheet: Worksheet, *, rows_resizable: bool = False) -> None:
        options = {"select_locked_cells": True, "select_unlocked_cells": True, "format_rows": rows_resizable}
        sheet.protect(self.password, options)

    def conditional_bad(self, sheet: Worksheet, ranges: str) -> None:
        """Cells of ``ranges`` (space-separated A1 ranges) turn red while they show a failure mark."""
        r0, c0, r1, c1 = bounds(ranges.split()[0].split(":"))
        check(
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


def bounds(parts: Sequence[str]) -> tuple[int, int, int, int]:
    """Rows and columns of an A1 range given as its first and last cell."""
    r0, c0 = xl_cell_to_rowcol(parts[0])
    r1, c1 = xl_cell_to_rowcol(parts[-1])
    return r0, c0, r1, c1
