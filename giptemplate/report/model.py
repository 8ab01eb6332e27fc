"""The publishable annual report: its data, the generic table grid, and the entry point of the three renderers.

Everything printed in a table comes from the spec: :func:`build_grid` turns one spec table and a set of values into
a rectangle of anchored cells (labels with their merges, row labels, column headers, data cells). The Word,
Markdown and HTML renderers only draw that grid; none of them knows a label or a row.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from giptemplate.errors import InputError
from giptemplate.format.arithmetic import Number, arithmetic_for
from giptemplate.format.spec import CellType, GridRange, Spec, Table
from giptemplate.workbook.textwidth import display_width

if TYPE_CHECKING:
    from giptemplate.workbook.submission import Submission

ReportFormat = Literal["docx", "md", "html"]
FORMATS: tuple[ReportFormat, ...] = ("docx", "md", "html")
SUFFIXES: dict[ReportFormat, str] = {"docx": ".docx", "md": ".md", "html": ".html"}

DRAFT_MARK = "草稿（未通过校验）"
MISSING_VALUE = "未填"  # printed in a data cell without a value (only ever in a draft)
MISSING_TEXT = "（未填写）"  # printed for an empty narrative part (only ever in a draft)
MISSING_UNIT = "（单位名称未填写）"
PATH_SEPARATOR = "·"  # joins the texts of a flattened header or label path

CellRole = Literal["caption", "header", "note", "group", "row_label", "column_header", "value", "blank"]
HEADING_ROLES: frozenset[str] = frozenset({"caption", "header", "note", "column_header"})
_LABEL_ROLES: dict[str, CellRole] = {"caption": "caption", "header": "header", "note": "note", "group": "group"}

# Characters XML 1.0 cannot carry (python-docx refuses them) and that no report needs.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_DATE = re.compile(r"^\s*(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?\s*$")


_COUNT_WORDS = {4: "四", 5: "五", 6: "六", 7: "七", 8: "八"}


def clean_text(text: str) -> str:
    """Submitted text without characters a document cannot hold; line structure kept."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def paragraphs(text: str) -> list[str]:
    """The paragraphs of a narrative text: one per non-empty line, without the filler's own indentation."""
    return [line.strip(" \t\u3000\u00a0") for line in clean_text(text).split("\n") if line.strip(" \t\u3000\u00a0")]


def format_date(text: str) -> str:
    """A typed date as official documents print it ("2022年1月20日"); anything unparseable is kept as typed."""
    match = _DATE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        try:
            datetime.date(year, month, day)
        except ValueError:
            return text.strip()
        return f"{year}年{month}月{day}日"
    return text.strip()


def format_value(value: Number | None, cell_type: CellType) -> str:
    """A data cell as printed: counts as integers, an amount with the decimals it has (0 is 0, 1.5 is 1.5), never
    rounded and never in exponent form."""
    if value is None:
        return MISSING_VALUE
    if not cell_type.integral:
        amount = Decimal(value)
        if amount == amount.to_integral_value():
            return str(int(amount))
        return format(amount.normalize(), "f")
    return str(value)


# ---------------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class ReportData:
    """What one report prints: who, which year, the narrative texts and every data cell's value."""

    spec: Spec
    unit_name: str
    year: int
    date: str  # as printed at the end ("2022年1月20日")
    scope: str = ""
    texts: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Number | None] = field(default_factory=dict)  # every cell key, totals included
    unit_code: str = ""
    phone: str = ""  # the contact number printed in the opening paragraph

    def __post_init__(self) -> None:
        # Submitted text may hold characters no document format can carry; every renderer gets clean text.
        for name in ("unit_name", "date", "scope", "unit_code", "phone"):
            object.__setattr__(self, name, clean_text(getattr(self, name)).strip())
        object.__setattr__(self, "texts", {k: clean_text(v) for k, v in self.texts.items()})

    @property
    def title(self) -> str:
        return self.spec.report_title.format(unit=self.unit_name or MISSING_UNIT, year=self.year)

    def title_parts(self) -> list[str]:
        """The title in the pieces a line may break between: the unit's name and the rest (GB/T 9704 asks that a
        title break between words, never inside one)."""
        head, sep, rest = self.spec.report_title.partition("{unit}")
        if not sep or head or not rest:
            return [self.title]
        return [self.unit_name or MISSING_UNIT, rest.format(year=self.year)]

    def title_lines(self, per_line: int) -> list[str]:
        """The title broken for a line of ``per_line`` full-width characters (one line when it fits)."""
        return [self.title] if display_width(self.title) <= per_line * 2 else self.title_parts()

    @property
    def preamble(self) -> str:
        """The customary opening paragraph: the basis, what the report holds, the statistical period, where it is
        published and whom to ask."""
        spec, unit = self.spec, self.unit_name or MISSING_UNIT
        parts = "、".join(s.heading.split("、", 1)[-1] for s in spec.sections)
        contact = f"（联系电话：{self.phone}）" if self.phone else ""
        return (
            f"本报告根据《中华人民共和国政府信息公开条例》和《{spec.title}》（{spec.document}）要求编制，"
            f"包括{parts}{_COUNT_WORDS.get(len(spec.sections), str(len(spec.sections)))}个部分。"
            f"本报告所列数据的统计期限自{self.year}年1月1日起至{self.year}年12月31日止。"
            f"本报告电子版在{unit}门户网站政府信息公开专栏公布。如对本报告有疑问，请与{unit}联系{contact}。"
        )

    @property
    def missing_values(self) -> tuple[str, ...]:
        return tuple(key for key in self.spec.cells if self.values.get(key) is None)

    @classmethod
    def from_inputs(
        cls,
        spec: Spec,
        *,
        unit_name: str,
        year: int,
        date: str,
        inputs: Mapping[str, Number | None],
        texts: Mapping[str, str] | None = None,
        scope: str = "",
        unit_code: str = "",
    ) -> ReportData:
        """Report data from input cells only; every total is computed from them."""
        own = {c.key: inputs.get(c.key) for c in spec.input_cells}
        values = {**own, **arithmetic_for(spec).derive(own)}
        return cls(spec, unit_name, year, date, scope, dict(texts or {}), values, unit_code)

    @classmethod
    def from_submission(cls, sub: Submission, *, today: datetime.date | None = None) -> ReportData:
        """Report data from a read workbook: recomputed totals, the texts, and the cover's unit, year and date.

        Without a typed date the report is dated ``today`` (the day it is rendered).
        """
        year = sub.year
        if year is None:
            identity_year = sub.meta.get("report_year", "")
            year = int(identity_year) if identity_year.isdigit() else None
        if year is None:
            raise InputError(f"{sub.file}：报告年度缺失，无法生成报告 (report year missing)")
        typed = clean_text(sub.meta.get("date", "")).strip()
        day = today or datetime.date.today()
        date = format_date(typed) if typed else f"{day.year}年{day.month}月{day.day}日"
        return cls(
            spec=sub.spec,
            unit_name=sub.unit_name,
            year=year,
            date=date,
            scope=sub.meta.get("scope", ""),
            texts=dict(sub.texts),
            values=dict(sub.values),
            unit_code=sub.unit_code,
            phone=sub.meta.get("phone", ""),
        )


# ---------------------------------------------------------------------------------------------- grid


@dataclass(frozen=True)
class GridCell:
    """One printed cell of a table, anchored at its top-left grid position."""

    row: int
    col: int
    rowspan: int
    colspan: int
    text: str
    role: CellRole
    key: str | None = None  # the spec's cell key for a data cell
    missing: bool = False  # a data cell without a value

    @property
    def last_row(self) -> int:
        return self.row + self.rowspan - 1

    @property
    def last_col(self) -> int:
        return self.col + self.colspan - 1

    @property
    def is_heading(self) -> bool:
        """Header-like cells, shaded in print."""
        return self.role in HEADING_ROLES


@dataclass(frozen=True)
class Band:
    """A run of header rows and the data rows under them, flattened for formats without merged cells.

    ``captions`` are header texts spanning the whole width; ``label_header`` and ``column_headers`` are the
    joined header paths of the label column and of each distinct data column; each row is a label path and one
    text per data column.
    """

    captions: tuple[str, ...]
    label_header: str | None  # None when the table has no label column
    column_headers: tuple[str, ...]
    rows: tuple[tuple[str | None, tuple[str, ...]], ...]
    value_cells: tuple[tuple[GridCell, ...], ...]  # per row, the data cells in column order


@dataclass(frozen=True)
class Grid:
    """A spec table drawn as the official grid: rows × columns with merged spans and texts."""

    key: str
    title: str
    orientation: Literal["portrait", "landscape"]
    n_rows: int
    n_cols: int
    header_rows: int
    label_cols: int
    col_weights: tuple[float, ...]
    cells: tuple[GridCell, ...]  # anchors, row-major

    def covering(self, row: int, col: int) -> GridCell:
        return self._cover[(row, col)]

    @functools.cached_property
    def _cover(self) -> dict[tuple[int, int], GridCell]:
        cover: dict[tuple[int, int], GridCell] = {}
        for cell in self.cells:
            for r in range(cell.row, cell.last_row + 1):
                for c in range(cell.col, cell.last_col + 1):
                    cover[(r, c)] = cell
        return cover

    def row_cells(self, row: int) -> list[GridCell]:
        """The distinct cells touching one grid row, left to right."""
        seen: list[GridCell] = []
        for c in range(self.n_cols):
            cell = self.covering(row, c)
            if not seen or seen[-1] is not cell:
                seen.append(cell)
        return seen

    def is_data_row(self, row: int) -> bool:
        return any(self.covering(row, c).role == "value" for c in range(self.n_cols))

    def bands(self) -> list[Band]:
        bands: list[Band] = []
        row = 0
        while row < self.n_rows:
            header = []
            while row < self.n_rows and not self.is_data_row(row):
                header.append(row)
                row += 1
            data = []
            while row < self.n_rows and self.is_data_row(row):
                data.append(row)
                row += 1
            bands.append(self._band(header, data))
        return bands

    def _path(self, rows: list[int], cols: range | list[int]) -> str:
        picked: list[GridCell] = []
        for r in rows:
            for c in cols:
                cell = self.covering(r, c)
                if cell.text and all(cell is not p for p in picked):
                    picked.append(cell)
        return PATH_SEPARATOR.join(p.text for p in picked)

    def _band(self, header: list[int], data: list[int]) -> Band:
        captions: list[str] = []
        inner: list[int] = []
        for r in header:
            cells = self.row_cells(r)
            if len(cells) == 1 and cells[0].colspan == self.n_cols and cells[0].row == r:
                captions.append(cells[0].text)
            elif not (len(cells) == 1 and cells[0].colspan == self.n_cols):
                inner.append(r)
        spans: list[tuple[int, int]] = []
        for r in data:
            for cell in self.row_cells(r):
                if cell.role == "value" and (cell.col, cell.last_col) not in spans:
                    spans.append((cell.col, cell.last_col))
        spans.sort()
        labels = range(self.label_cols)
        rows: list[tuple[str | None, tuple[str, ...]]] = []
        value_cells: list[tuple[GridCell, ...]] = []
        for r in data:
            found = tuple(self.covering(r, first) for first, _ in spans)
            label = self._path([r], labels) if self.label_cols else None
            rows.append((label, tuple(c.text if c.role == "value" else "" for c in found)))
            value_cells.append(found)
        return Band(
            captions=tuple(captions),
            label_header=self._path(inner, labels) if self.label_cols else None,
            column_headers=tuple(self._path(inner, [first]) for first, _ in spans),
            rows=tuple(rows),
            value_cells=tuple(value_cells),
        )


def build_grid(spec: Spec, table: Table, values: Mapping[str, Number | None]) -> Grid:
    """The official grid of one table, every printed text and data cell placed; gaps become blank cells."""
    anchors: dict[tuple[int, int], GridCell] = {}

    def put(at: GridRange, text: str, role: CellRole, key: str | None = None, missing: bool = False) -> None:
        rowspan, colspan = at.last_row - at.first_row + 1, at.last_col - at.first_col + 1
        anchors[(at.first_row, at.first_col)] = GridCell(
            at.first_row, at.first_col, rowspan, colspan, text, role, key, missing
        )

    for label in table.labels:
        put(label.at, label.text, _LABEL_ROLES.get(label.role, "header"))
    for row in table.rows:
        if row.label_at is not None:
            put(row.label_at, row.label, "row_label")
    for column in table.columns:
        if column.header_at is not None:
            put(column.header_at, column.label, "column_header")
    for data in table.cells:
        value = values.get(data.key)
        put(data.at, format_value(value, data.type), "value", data.key, value is None)
    covered: set[tuple[int, int]] = set()
    for cell in anchors.values():
        covered.update((r, c) for r in range(cell.row, cell.last_row + 1) for c in range(cell.col, cell.last_col + 1))
    for r in range(table.height):
        for c in range(table.width):
            if (r, c) not in covered:
                put(GridRange(r, c, r, c), "", "blank")
    return Grid(
        key=table.key,
        title=table.title,
        orientation=table.orientation,
        n_rows=table.height,
        n_cols=table.width,
        header_rows=table.header_rows,
        label_cols=table.label_cols,
        col_weights=table.col_widths,
        cells=tuple(anchors[k] for k in sorted(anchors)),
    )


def grids(data: ReportData) -> dict[str, Grid]:
    """The grid of every table of the report's spec, by table key."""
    return {t.key: build_grid(data.spec, t, data.values) for t in data.spec.tables}


# ---------------------------------------------------------------------------------------------- rendering


def render(data: ReportData, fmt: ReportFormat, *, draft: bool = False) -> bytes:
    """The report in one format, as bytes (UTF-8 for the text formats), marked as ours
    (:mod:`giptemplate.report.mark`: ``giptemplate report`` re-writes it later, but not once someone edited it)."""
    from giptemplate.report.mark import mark_docx, mark_text

    if fmt == "docx":
        from giptemplate.report.docx import render_docx

        return mark_docx(render_docx(data, draft=draft))
    from giptemplate.report.text import render_html, render_markdown

    if fmt == "md":
        return mark_text(render_markdown(data, draft=draft).encode("utf-8"))
    if fmt == "html":
        return mark_text(render_html(data, draft=draft).encode("utf-8"))
    raise ValueError(f"unknown report format {fmt!r}")
