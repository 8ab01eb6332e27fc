"""Write the locked, self-checking workbook of a spec with xlsxwriter.

This module puts the sheets together: the cover and narrative (:mod:`.cover`), one sheet per table
(:mod:`.tables`), the 校验 sheet (:mod:`.checksheet`) and the hidden identity sheet. They take every coordinate
from :mod:`giptemplate.format.layout`, every formula and cached value from :mod:`giptemplate.format.arithmetic` and
:mod:`.live`; :mod:`.xlsxwriter_speed` makes writing fast under the xlsxwriter versions it is tested on, and
:mod:`.stamp` writes a roster's copies from one prototype.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from xlsxwriter.worksheet import Worksheet

from giptemplate import __version__
from giptemplate.files import atomic
from giptemplate.files.inputs import FIXED_CREATED
from giptemplate.format.arithmetic import Number
from giptemplate.format.layout import (
    GRID_TOP,
    IDENTITY_KEY_COL,
    IDENTITY_KEYS,
    IDENTITY_SHEET,
    Layout,
    Place,
    layout_for,
)
from giptemplate.format.spec import Spec, spec_for_year
from giptemplate.workbook import live, xlsxwriter_speed
from giptemplate.workbook.checksheet import draw_checks
from giptemplate.workbook.cover import draw_cover, draw_narrative
from giptemplate.workbook.drawing import Canvas, Formats, check
from giptemplate.workbook.tables import draw_table
from giptemplate.workbook.textstrings import TextWorkbook

DEFAULT_PASSWORD = "gip2021"
_check = check  # the name other modules of the package used before the writer was split


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


class TemplateWriter:
    """Builds one workbook: the standard sheets of a spec, plus any sheets the caller adds before closing.

    ``fast`` chooses the worksheet class: xlsxwriter's shortcuts (:mod:`.xlsxwriter_speed`) or the stock one; by
    default the shortcuts when the installed xlsxwriter is one they are tested on. Both write the same workbook.
    """

    def __init__(
        self,
        target: str | Path | IO[bytes],
        spec: Spec,
        *,
        password: str = DEFAULT_PASSWORD,
        fast: bool | None = None,
    ) -> None:
        self.spec = spec
        self.layout: Layout = layout_for(spec)
        self.password = password
        self._target = target
        self._buffer = io.BytesIO()
        self.workbook = TextWorkbook(
            self._buffer,
            {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
        )
        self.formats = Formats(self.workbook, spec)
        self.canvas = Canvas(
            self.workbook, spec, self.layout, self.formats, password, xlsxwriter_speed.worksheet_class(fast)
        )
        self._identity: dict[str, str] = {}

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
        spec, c = self.spec, self.canvas
        all_values, status_texts = live.computed(spec, tuple(fill.values.get(x.key) for x in spec.input_cells))
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
        draw_cover(c, fill, lock_unit, marked)
        draw_narrative(c, fill, marked)
        for table in spec.tables:
            draw_table(c, self.layout.tables[table.key], fill, all_values, marked, status_texts)
        draw_checks(c, fill, status_texts)
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
            check(self.workbook.set_custom_property(f"giptemplate.{key}", value), key)
        for (sheet, row, col), text in marked.items():
            check(
                self.workbook.get_worksheet_by_name(sheet).write_comment(
                    row, col, text, {"author": "giptemplate", "x_scale": 2.5, "y_scale": 2}
                ),
                f"a comment at {sheet}!{row},{col}",
            )

    def add_worksheet(self, name: str) -> Worksheet:
        return self.workbook.add_worksheet(name, worksheet_class=self.canvas.worksheet_class)

    def close(self) -> bytes:
        """Add the identity sheet last, close the workbook and write it to the target; returns the bytes."""
        sheet = self.add_worksheet(IDENTITY_SHEET)
        for key in IDENTITY_KEYS:
            place = self.layout.identity[key]
            check(sheet.write_string(place.row, IDENTITY_KEY_COL, key), "identity key")
            check(sheet.write_string(place.row, place.col, self._identity.get(key, "")), "identity value")
        sheet.very_hidden()
        self.canvas.protect(sheet)
        self.workbook.close()
        data = self._buffer.getvalue()
        if isinstance(self._target, (str, Path)):
            atomic.write_bytes(self._target, data)
        else:
            self._target.write(data)
        return data


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
    fast: bool | None = None,
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
    writer = TemplateWriter(target, spec, password=password, fast=fast)
    writer.write(
        fill, kind=kind, file_id=file_id, lock_unit=bool(unit_name) if lock_unit is None else lock_unit, notes=notes
    )
    return writer.close()


__all__ = [
    "DEFAULT_PASSWORD",
    "GRID_TOP",
    "Fill",
    "Note",
    "Place",
    "TemplateWriter",
    "write_template",
]
