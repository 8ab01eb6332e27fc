"""What the reader saw in one returned workbook: metadata, input cells, stored totals, texts, observations.

The reader records; the checks judge. A :class:`Submission` holds no verdicts, only facts with their places,
and the recomputed totals (never the stored ones) as the trusted values. pandas frames are built on demand, so
reading thousands of files does not pay for frames nobody asks for.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from giptemplate.files.intake import DOCUMENT_FORMATS, FileFormat
from giptemplate.files.paths import display_name
from giptemplate.format.arithmetic import Number, arithmetic_for
from giptemplate.format.layout import Place
from giptemplate.format.spec import Spec

if TYPE_CHECKING:
    import pandas as pd  # lazy: pandas loads only for the long table, not for a quick check

# "ambiguous": two values stand where the file's layout gives the cell one place (see ValueLayout); not read.
CellState = Literal["ok", "blank", "invalid", "error", "ambiguous"]
# What was done to a typed value to read it as a number (each becomes a V205/V206/V207 finding).
Normalisation = Literal[
    "text_number",  # a number stored as text
    "full_width",  # full-width digits
    "spaces",  # surrounding spaces
    "thousands",  # thousands separators
    "unit_word",  # a unit word such as 件 (V205)
    "unit_matches",  # "1.2万元" in a 万元 cell (V207, info)
    "unit_converted",  # "250元" in a 万元 cell, divided by 10 000 (V207, needs explanation)
    "annotation",  # "12（其中修订5件）": the leading number kept, the note in ``CellValue.note`` (V206)
    "blank_word",  # "—", "/", "无"... read as blank (V203)
]


@dataclass(frozen=True)
class CellValue:
    """One input cell as read: the raw content, the number it stands for, and how it was obtained."""

    key: str
    place: Place  # where it was read (after any relocation of a moved table)
    raw: object  # as the file holds it: None, int, float, str
    value: Number | None  # None when blank or not a usable number
    state: CellState
    normalisations: tuple[Normalisation, ...] = ()
    note: str = ""  # annotation text kept from the cell


@dataclass(frozen=True)
class StoredTotal:
    """A derived cell as filed: what it showed, and whether its formula was still there."""

    key: str
    place: Place
    shown: Number | None  # cached value or typed constant; None when absent (e.g. after an openpyxl save)
    has_formula: bool | None  # None when the file format does not tell (xls, ods)
    state: CellState = "ok"


@dataclass(frozen=True)
class LabelMismatch:
    """A fixed text of the grid that is not what the spec prints at that place."""

    sheet: str
    cell: str
    expected: str
    found: str
    kind: Literal["altered", "typo", "variant", "obsolete", "missing"]


@dataclass(frozen=True)
class ValueLayout:
    """A row whose value cells the file lays out otherwise than the template: merged or split differently, their
    headers moved, or a value in another column of the row (2019's （八）/（九）: two values over three grid columns).

    Each value was read from where the file puts it; a cell for which two values compete was not read (its
    :class:`CellValue` is "ambiguous"). Cells are named as the file has them (after any move of the table).
    """

    table: str
    row: str  # the spec's row key
    sheet: str
    cells: tuple[str, ...]  # the row's cell keys, left to right
    template: tuple[str, ...]  # where the template puts each of them ("B17", "C17:D17")
    found: tuple[str, ...] | None  # the file's cells across the same columns; None when its format hides merges
    headers: tuple[str, ...] | None  # where the file prints the values' headers, when not where the template does
    read_from: tuple[tuple[str, str], ...]  # (cell key, the cell it was read from) for each value read elsewhere
    ambiguous: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]  # (cell key, competing cells, their texts)
    hidden: tuple[str, ...] = ()  # cells holding a value under a merged range, which the file does not show


@dataclass(frozen=True)
class TableMove:
    """A table found by its labels away from the layout's place (rows or columns inserted or deleted)."""

    table: str
    sheet: str
    row_offset: int
    col_offset: int
    located: bool  # False when the table could not be found at all


@dataclass
class Submission:
    path: Path
    sha256: str
    spec: Spec
    file_format: FileFormat
    # unit_name, unit_code, year, scope, filler, phone, date (as typed, stripped) and identity data:
    # template_id, format_version, spec_digest, file_id, generator_version, kind, report_year (identity year)
    meta: dict[str, str] = field(default_factory=dict)
    year: int | None = None  # the year typed on the cover, when it is a year
    identified_by: Literal["identity", "labels"] = "identity"
    application: str = ""  # the program that last saved the file, when known
    saved_at: str = ""  # docProps/core.xml modified time (ISO), when present
    cells: dict[str, CellValue] = field(default_factory=dict)
    stored: dict[str, StoredTotal] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    sheet_names: tuple[str, ...] = ()
    renamed_sheets: dict[str, str] = field(default_factory=dict)  # spec sheet -> name found
    missing_sheets: tuple[str, ...] = ()
    unprotected_sheets: tuple[str, ...] = ()
    label_mismatches: list[LabelMismatch] = field(default_factory=list)
    moves: list[TableMove] = field(default_factory=list)
    value_layouts: list[ValueLayout] = field(default_factory=list)
    # A published document (giptemplate.published): where each cell key was printed, in words, and the cells
    # whose number could not be known (cell key -> the readings that fit, as printed); empty for workbooks.
    provenance: dict[str, str] = field(default_factory=dict)
    uncertain: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def is_document(self) -> bool:
        return self.file_format in DOCUMENT_FORMATS

    @property
    def file(self) -> str:
        return display_name(self.path)

    @property
    def unit_name(self) -> str:
        return self.meta.get("unit_name", "")

    def report_year(self) -> int | None:
        """The one rule for the year a submission reports on, used by check, merge, report, return copies and the
        web page (through :func:`giptemplate.pipeline.check_path`): the year typed on the cover, when the file's
        format covers it (what the unit says it reports on, and what last year's file is matched by); else the year
        its template was made for (the identity sheet), when the format covers it; else None. A cover year that
        differs from the template's is the checks' C702; a blank one does not drop the unit from the year's
        totals."""
        identity = self.meta.get("report_year", "").strip()
        for year in (self.year, int(identity) if identity.isdigit() else None):
            if year is not None and self.spec.covers_year(year):
                return year
        return None

    @property
    def unit_code(self) -> str:
        return self.meta.get("unit_code", "")

    @functools.cached_property
    def inputs(self) -> dict[str, Number | None]:
        return {c.key: (self.cells[c.key].value if c.key in self.cells else None) for c in self.spec.input_cells}

    @functools.cached_property
    def values(self) -> dict[str, Number | None]:
        """Trusted values: inputs as read, every total recomputed from them (None where an input is missing)."""
        return {**self.inputs, **arithmetic_for(self.spec).derive(self.inputs)}

    @functools.cached_property
    def typed_totals(self) -> dict[str, Number | None]:
        """Totals whose formula is gone (or unknown, in formats that do not tell) with the number they show."""
        return {
            key: total.shown
            for key, total in self.stored.items()
            if total.has_formula is False or (total.has_formula is None and total.shown is not None)
        }

    @functools.cached_property
    def as_filed(self) -> dict[str, Number | None]:
        """The values a reviewer sees in the recalculated workbook.

        A total typed over its formula counts with the typed number, and so do the intact formulas that add it up
        (a typed （七）总计·自然人 changes （七）总计·总计 too). Intact formulas are recomputed strictly, never taken
        from the cache.
        """
        if not self.typed_totals:
            return self.values
        return {**self.inputs, **arithmetic_for(self.spec).derive(self.inputs, typed=self.typed_totals)}

    def place_of(self, key: str) -> Place:
        if key in self.cells:
            return self.cells[key].place
        return self.stored[key].place

    # ------------------------------------------------------------------------------------------ frames

    def table_frame(self, table_key: str) -> pd.DataFrame:
        """One official table: rows and columns labelled with the official labels, values recomputed."""
        import pandas as pd  # lazy: pandas loads only for the long table, not for a quick check

        table = self.spec.table(table_key)
        rows = [r.key for r in table.rows]
        cols = [c.key for c in table.columns]
        data: dict[str, list[object]] = {c: [None] * len(rows) for c in cols}
        for cell in table.cells:
            data[cell.column.key][rows.index(cell.row.key)] = self.values.get(cell.key)
        index = pd.MultiIndex.from_arrays([rows, [r.label for r in table.rows]], names=["row_key", "row_label"])
        columns = pd.MultiIndex.from_arrays([cols, [c.label for c in table.columns]], names=["col_key", "col_label"])
        frame = pd.DataFrame({(k, c.label): data[k] for k, c in zip(cols, table.columns, strict=True)}, index=index)
        frame.columns = columns
        used = {(c.row.key, c.column.key) for c in table.cells}
        keep_cols = [k for k in cols if any((r, k) in used for r in rows)]
        return frame.loc[:, frame.columns.get_level_values(0).isin(keep_cols)]

    def tables(self) -> dict[str, pd.DataFrame]:
        return {t.key: self.table_frame(t.key) for t in self.spec.tables}

    def long_records(self) -> list[dict[str, Any]]:
        year = self.year
        records = []
        for table in self.spec.tables:
            for cell in table.cells:
                place = self.place_of(cell.key) if (cell.key in self.cells or cell.key in self.stored) else None
                value = self.values.get(cell.key)
                records.append(
                    {
                        "unit_code": self.unit_code,
                        "unit_name": self.unit_name,
                        "year": year,
                        "table": table.key,
                        "cell_key": cell.key,
                        "row_key": cell.row.key,
                        "row_label": cell.row.label,
                        "col_key": cell.column.key,
                        "col_label": cell.column.label,
                        "value": value,
                        "derived": cell.derived,
                        "sheet": place.sheet if place else table.sheet,
                        "cell": place.a1 if place else "",
                        "file": self.file,
                        "sha256": self.sha256,
                    }
                )
        return records

    def long_frame(self) -> pd.DataFrame:
        """One row per data cell: unit, year, table, row and column keys and labels, value, sheet and cell."""
        return long_frame_from_records(self.long_records())


def long_frame_from_records(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The long frame of many cells; values stay exact (int and Decimal objects, None for missing)."""
    import pandas as pd  # lazy: pandas loads only for the long table, not for a quick check

    frame = pd.DataFrame.from_records(records)
    if not frame.empty:
        frame["value"] = frame["value"].astype(object)
    return frame


def decimal_or_int(value: object) -> Number | None:
    """A number from a frame cell back to int/Decimal (None stays None)."""
    if value is None:
        return None
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else Decimal(str(value))
    raise TypeError(f"not a number: {value!r}")
