"""The declarative description of one format version, loaded and validated from ``templates/*.toml``.

Nothing here knows a label or a row number: they all come from the spec file. Loading expands the compact
notation of the file (``"R3..R23.{col}"``, ``foreach = "col"``) into plain tuples of cell keys, so every consumer
works on explicit, validated objects.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from xlsxwriter.utility import xl_cell_to_rowcol

from giptemplate.errors import SpecError, UnsupportedYearError
from giptemplate.findings import declare_code

Severity = Literal["error", "explain", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "explain", "warning", "info")
Operator = Literal["=", "≥"]
OPERATORS: dict[str, Operator] = {"=": "=", "≥": "≥", ">=": "≥"}
# The cover's 统计口径 (scope) choices every format offers (its spec lists them): a unit's own report, and an
# office's report totalling its area, which merges count only where no unit's own report does (M405).
DEFAULT_SCOPE = "本机关"
SUMMARY_SCOPE = "本级政府汇总"
# The folder of spec files can be replaced (a test's temporary folder, an office's own formats).
SPECS_ENV = "GIPTEMPLATE_SPECS"
# A relation's finding code: the A3xx family of the catalogue; A390 is reserved for "not assessable".
_RELATION_CODE = re.compile(r"A3[0-8][0-9]")


@dataclass(frozen=True)
class CellType:
    """What a data cell holds: whole numbers (counts, optionally signed) or an amount in a unit (万元, 元)."""

    key: str  # "count", "signed_count", "fee", "yuan"
    unit: str  # "件", "万元", "元"
    signed: bool  # negatives allowed (2019's 本年增/减)
    decimals: int  # 0: whole numbers; otherwise the places an amount may carry
    maximum: int

    @property
    def integral(self) -> bool:
        return self.decimals == 0

    @property
    def what(self) -> str:
        """How a message names the value: 件数 or 金额."""
        return "件数" if self.integral else "金额"


COUNT = CellType("count", "件", signed=False, decimals=0, maximum=99999999)


@dataclass(frozen=True)
class GridRange:
    """A rectangle of the table's own grid, zero-based and inclusive."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int

    @property
    def is_merged(self) -> bool:
        return self.first_row != self.last_row or self.first_col != self.last_col

    def cells(self) -> Iterator[tuple[int, int]]:
        for r in range(self.first_row, self.last_row + 1):
            for c in range(self.first_col, self.last_col + 1):
                yield r, c


@dataclass(frozen=True)
class Label:
    at: GridRange
    text: str
    role: str
    variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    row: int  # zero-based grid row
    label_at: GridRange | None
    group: str | None
    type: CellType


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    col: int  # zero-based grid column
    header_at: GridRange | None
    group: str | None


@dataclass(frozen=True)
class Cell:
    """One data cell of a table: typed by the filler or derived by a relation."""

    key: str  # "t3.R1.c1"
    table: str
    row: Row
    column: Column
    type: CellType
    at: GridRange
    derived: bool


@dataclass(frozen=True)
class Table:
    key: str
    sheet: str
    title: str
    orientation: Literal["portrait", "landscape"]
    width: int
    height: int
    header_rows: int
    label_cols: int
    col_widths: tuple[float, ...]
    labels: tuple[Label, ...]
    rows: tuple[Row, ...]
    columns: tuple[Column, ...]
    cells: tuple[Cell, ...]

    @functools.cached_property
    def input_cells(self) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if not c.derived)

    def fixed_texts(self) -> Iterator[tuple[GridRange, str, tuple[str, ...]]]:
        """Every printed text of the grid with where it stands and its tolerated variants."""
        for label in self.labels:
            yield label.at, label.text, label.variants
        for row in self.rows:
            if row.label_at is not None:
                yield row.label_at, row.label, ()
        for column in self.columns:
            if column.header_at is not None:
                yield column.header_at, column.label, ()


@dataclass(frozen=True)
class Relation:
    """One instance of an arithmetic relation: sum(lhs) = sum(rhs), or sum(lhs) ≥ sum(rhs) for a soft one."""

    key: str  # "t3_balance"
    instance: str  # "c1", "R5", "review"
    code: str
    severity: Severity
    basis: str
    title: str
    table: str
    foreach: Literal["row", "col"] | None
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    derives: str | None  # the lhs cell this instance computes, when it is the formula of a derived cell
    op: Operator = "="

    @property
    def rule_id(self) -> str:
        return f"{self.key}[{self.instance}]"

    @property
    def cells(self) -> tuple[str, ...]:
        return self.lhs + self.rhs


@dataclass(frozen=True)
class CoverField:
    key: str
    label: str
    kind: Literal["text", "uscc", "year", "choice"]
    required: bool
    prompt: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Part:
    """One narrative text the filler writes (a sub-head of 一, or the whole of 五 or 六)."""

    key: str
    section: str
    heading: str
    title: str
    keywords: tuple[str, ...]
    hint: str
    require_any: tuple[str, ...] = ()
    optional: bool = False  # may be left blank or "无" (2019's 六, before the 信息处理费 regime)

    @property
    def display_title(self) -> str:
        return f"{self.heading}{self.title}" if self.title else self.heading


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    keywords: tuple[str, ...]
    table: str | None
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class StockRule:
    """This year's stock = last year's stock (a shared meaning, found in last year's format) + issued − repealed."""

    code: str
    in_force: str
    issued: str
    repealed: str
    severity: Severity
    previous: str  # the shared meaning of last year's stock


@dataclass(frozen=True)
class CrossYear:
    """Comparisons with last year's report; the carry and the stock go through shared meanings, so last year
    may be in another format."""

    carry_code: str | None
    carry_current: str  # shared meaning of this year's cells ("上年结转")
    carry_previous: str  # shared meaning of last year's cells ("结转下年度")
    carry_severity: Severity
    carry_title: str
    stock: tuple[StockRule, ...]
    fee: str | None  # the fee amount cell compared with last year's (Y503), when the format has one


NO_CROSS_YEAR = CrossYear(None, "", "", "info", "", (), None)


@dataclass(frozen=True)
class Threshold:
    """When a rate is coloured in the summary: above/below ``red`` in red, ``yellow`` in yellow."""

    direction: Literal["above", "below"]
    red: float
    yellow: float


@dataclass(frozen=True)
class Indicator:
    key: str
    title: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    formula: str
    threshold: Threshold | None = None


@dataclass(frozen=True)
class BlindSum:
    """Cells whose sum over units is no meaningful total, with the reason shown to the clerk."""

    cells: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Meaning:
    """A concept shared across formats (新收, 上年结转 …): a row of a table (cells keyed by their column's group
    and label) or a single cell."""

    name: str
    ref: str  # "t3.R2" or "t2.norm.in_force"
    cells: tuple[tuple[tuple[str, str], str], ...]  # ((column group, column label), cell key)


@dataclass(frozen=True, eq=False)  # identity: specs are loaded once and used as cache keys
class Spec:
    id: str
    format_version: str
    template_id: str
    title: str
    document: str
    first_year: int
    last_year: int | None
    report_title: str
    cell_types: Mapping[str, CellType]
    cover_sheet: str
    cover_title: str
    instructions: tuple[str, ...]
    cover_fields: tuple[CoverField, ...]
    narrative_sheet: str
    narrative_title: str
    narrative_min_chars: int
    blank_words: tuple[str, ...]
    sections: tuple[Section, ...]
    tables: tuple[Table, ...]
    relations: tuple[Relation, ...]
    cross_year: CrossYear
    department_zero_row: str | None
    tell_tales: tuple[str, ...]
    tell_tales_of: str  # the format the tell-tales come from ("2019 试行格式")
    indicators: tuple[Indicator, ...]
    blind_sums: tuple[BlindSum, ...]
    meanings: Mapping[str, Meaning]
    digest: str
    source: str
    cells: Mapping[str, Cell] = field(repr=False)

    # Cached: the reader and the checks ask for these on every file.
    @functools.cached_property
    def parts(self) -> tuple[Part, ...]:
        return tuple(p for s in self.sections for p in s.parts)

    @functools.cached_property
    def input_cells(self) -> tuple[Cell, ...]:
        return tuple(c for t in self.tables for c in t.cells if not c.derived)

    @functools.cached_property
    def derived_cells(self) -> tuple[Cell, ...]:
        return tuple(c for t in self.tables for c in t.cells if c.derived)

    @functools.cached_property
    def _cells_by_row(self) -> dict[str, tuple[Cell, ...]]:
        rows: dict[str, list[Cell]] = {}
        for cell in self.cells.values():
            rows.setdefault(f"{cell.table}.{cell.row.key}", []).append(cell)
        return {key: tuple(cells) for key, cells in rows.items()}

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def field(self, key: str) -> CoverField:
        for f in self.cover_fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def covers_year(self, year: int) -> bool:
        return year >= self.first_year and (self.last_year is None or year <= self.last_year)

    def row_cells(self, row_ref: str) -> tuple[Cell, ...]:
        """The cells of ``"t3.R2"``, in column order."""
        return self._cells_by_row.get(row_ref, ())

    def meaning_cells(self, name: str) -> dict[tuple[str, str], str]:
        """The cells of a shared meaning keyed by their column (group, label); empty when the format lacks it."""
        meaning = self.meanings.get(name)
        return dict(meaning.cells) if meaning else {}

    @functools.cached_property
    def meaning_of(self) -> dict[str, str]:
        """Cell key -> the shared meaning of its row or of the cell itself."""
        return {key: m.name for m in self.meanings.values() for _, key in m.cells}

    @functools.cached_property
    def amount_decimals(self) -> int:
        """The places amounts are shown with (the most any amount type of this format carries; 0 without one)."""
        return max((t.decimals for t in self.cell_types.values()), default=0)

    @functools.cached_property
    def amount_units(self) -> tuple[str, ...]:
        """The units of the amounts this format holds (万元, 元), for metadata that must say so."""
        return tuple(dict.fromkeys(c.type.unit for c in self.cells.values() if not c.type.integral))


# ---------------------------------------------------------------------------------------------- loading


class _Node:
    """A mapping of the spec file together with its path, so every complaint can name its place."""

    def __init__(self, data: Any, path: str, source: str) -> None:
        if not isinstance(data, dict):
            raise SpecError(f"{source}: {path or '(top)'}: expected a table, got {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.path = path
        self.source = source

    def fail(self, key: str, message: str) -> SpecError:
        where = f"{self.path}.{key}" if self.path else key
        return SpecError(f"{self.source}: {where}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "missing")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, (int, float))):
            raise self.fail(key, f"expected {getattr(kind, '__name__', kind)}, got {type(value).__name__}")
        return value

    def text(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, str, default)
        if isinstance(value, str) and not value.strip() and default is ...:
            raise self.fail(key, "must not be empty")
        return value

    def strings(self, key: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(key, list, default)
        if value is default and default is not ...:
            return tuple(default)
        if not all(isinstance(v, str) for v in value):
            raise self.fail(key, "expected a list of strings")
        return tuple(value)

    def children(self, key: str, default: Any = ...) -> list[_Node]:
        items = self.get(key, list, default)
        prefix = f"{self.path}." if self.path else ""
        return [_Node(item, f"{prefix}{key}[{i}]", self.source) for i, item in enumerate(items)]

    def child(self, key: str) -> _Node:
        prefix = f"{self.path}." if self.path else ""
        return _Node(self.get(key, dict), f"{prefix}{key}", self.source)


def _grid_range(node: _Node, key: str, width: int, height: int) -> GridRange:
    text = node.text(key)
    parts = text.split(":")
    try:
        if len(parts) not in (1, 2):
            raise ValueError
        r0, c0 = xl_cell_to_rowcol(parts[0])
        r1, c1 = xl_cell_to_rowcol(parts[-1])
        if not all(re.fullmatch(r"[A-Z]{1,3}[1-9][0-9]{0,6}", p) for p in (parts[0], parts[-1])):
            raise ValueError
    except (ValueError, AttributeError):
        raise node.fail(key, f"{text!r} is not an A1 cell or range") from None
    if r1 < r0 or c1 < c0:
        raise node.fail(key, f"{text!r} runs backwards")
    if r1 >= height or c1 >= width:
        raise node.fail(key, f"{text!r} lies outside the table's {width}×{height} grid")
    return GridRange(r0, c0, r1, c1)


def _column_index(node: _Node, key: str, width: int) -> int:
    letters = node.text(key)
    if not re.fullmatch(r"[A-Z]{1,3}", letters):
        raise node.fail(key, f"{letters!r} is not a column letter")
    _, col = xl_cell_to_rowcol(f"{letters}1")
    if col >= width:
        raise node.fail(key, f"column {letters} lies outside the table's width {width}")
    return int(col)


def _cell_type(node: _Node, key: str, types: Mapping[str, CellType], default: Any = ...) -> CellType:
    value = node.text(key, default)
    if value not in types:
        raise node.fail(key, f"unknown cell type {value!r} ({' or '.join(types)})")
    return types[value]


def _cell_types(top: _Node) -> dict[str, CellType]:
    """The spec's ``[cell_types]``: each with its unit, sign, decimals and maximum (``count`` when absent)."""
    if "cell_types" not in top.data:
        return {COUNT.key: COUNT}
    node = top.child("cell_types")
    types = {}
    for key in node.data:
        t = node.child(key)
        decimals = t.get("decimals", int, 0)
        if decimals < 0:
            raise t.fail("decimals", "must not be negative")
        maximum = t.get("max", int)
        if maximum <= 0:
            raise t.fail("max", "must be positive")
        types[key] = CellType(key, t.text("unit"), t.get("signed", bool, False), decimals, maximum)
    if not types:
        raise top.fail("cell_types", "needs at least one type")
    return types


def _severity(node: _Node, key: str) -> Severity:
    value = node.text(key)
    if value not in SEVERITIES:
        raise node.fail(key, f"unknown severity {value!r} ({', '.join(SEVERITIES)})")
    return value  # type: ignore[no-any-return]


def _unique(nodes: Sequence[_Node], keys: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for node, key in zip(nodes, keys, strict=True):
        if key in seen:
            raise node.fail("key", f"duplicate {what} key {key!r}")
        seen.add(key)


def _load_table(node: _Node, types: Mapping[str, CellType]) -> Table:
    key = node.text("key")
    width = node.get("width", int)
    height = node.get("height", int)
    default_type = _cell_type(node, "cell_type", types, next(iter(types)))
    labels = tuple(
        Label(_grid_range(n, "at", width, height), n.text("text"), n.text("role"), n.strings("variants", ()))
        for n in node.children("labels")
    )
    row_nodes = node.children("rows")
    rows = []
    for n in row_nodes:
        row = n.get("row", int)
        if not 1 <= row <= height:
            raise n.fail("row", f"row {row} lies outside the table's height {height}")
        rows.append(
            Row(
                key=n.text("key"),
                label=n.text("label"),
                row=row - 1,
                label_at=_grid_range(n, "label_at", width, height) if "label_at" in n.data else None,
                group=n.text("group", None),
                type=_cell_type(n, "type", types, default_type.key),
            )
        )
    _unique(row_nodes, [r.key for r in rows], "row")
    col_nodes = node.children("columns")
    columns = [
        Column(
            key=n.text("key"),
            label=n.text("label"),
            col=_column_index(n, "col", width),
            header_at=_grid_range(n, "header_at", width, height) if "header_at" in n.data else None,
            group=n.text("group", None),
        )
        for n in col_nodes
    ]
    _unique(col_nodes, [c.key for c in columns], "column")
    rows_by_key = {r.key: r for r in rows}
    cols_by_key = {c.key: c for c in columns}

    placements: list[tuple[_Node, Row, Column, GridRange, CellType]] = []
    if node.get("matrix", bool):
        for r in rows:
            for c in columns:
                placements.append((node, r, c, GridRange(r.row, c.col, r.row, c.col), r.type))
    else:
        for n in node.children("cells"):
            r_key, c_key = n.text("row"), n.text("col")
            if r_key not in rows_by_key:
                raise n.fail("row", f"unknown row {r_key!r}")
            if c_key not in cols_by_key:
                raise n.fail("col", f"unknown column {c_key!r}")
            r, c = rows_by_key[r_key], cols_by_key[c_key]
            at = _grid_range(n, "at", width, height) if "at" in n.data else GridRange(r.row, c.col, r.row, c.col)
            if (at.first_row, at.first_col) != (r.row, c.col):
                raise n.fail("at", "must start at the crossing of its row and column")
            placements.append((n, r, c, at, _cell_type(n, "type", types, r.type.key)))

    occupied: dict[tuple[int, int], str] = {}

    def claim(n: _Node, attr: str, at: GridRange, what: str) -> None:
        for rc in at.cells():
            if rc in occupied:
                raise n.fail(attr, f"{what} overlaps {occupied[rc]}")
            occupied[rc] = what

    for n, label in zip(node.children("labels"), labels, strict=True):
        claim(n, "at", label.at, f"label {label.text!r}")
    for n, r in zip(row_nodes, rows, strict=True):
        if r.label_at is not None:
            claim(n, "label_at", r.label_at, f"row label {r.label!r}")
    for n, c in zip(col_nodes, columns, strict=True):
        if c.header_at is not None:
            claim(n, "header_at", c.header_at, f"column header {c.label!r}")
    cells = []
    for n, r, c, at, cell_type in placements:
        cell_key = f"{key}.{r.key}.{c.key}"
        claim(n, "at", at, f"cell {cell_key}")
        cells.append(Cell(cell_key, key, r, c, cell_type, at, derived=False))

    orientation = node.text("orientation")
    if orientation not in ("portrait", "landscape"):
        raise node.fail("orientation", "must be portrait or landscape")
    col_widths = tuple(float(w) for w in node.get("col_widths", list))
    if len(col_widths) != width:
        raise node.fail("col_widths", f"needs {width} widths, has {len(col_widths)}")
    return Table(
        key=key,
        sheet=node.text("sheet"),
        title=node.text("title"),
        orientation=orientation,
        width=width,
        height=height,
        header_rows=node.get("header_rows", int),
        label_cols=node.get("label_cols", int),
        col_widths=col_widths,
        labels=labels,
        rows=tuple(rows),
        columns=tuple(columns),
        cells=tuple(cells),
    )


def _expand(node: _Node, attr: str, ref: str, table: Table, cells: Mapping[str, Cell]) -> list[str]:
    """``"R3..R23.c1"`` -> the cell keys of rows R3 to R23 in column c1."""
    pieces = re.split(r"(?<!\.)\.(?!\.)", ref)
    row_part, col_part = ([*pieces, ""])[:2] if len(pieces) <= 2 else ("", "")
    if not col_part:
        raise node.fail(attr, f"{ref!r} is not of the form row.col")

    def span(part: str, order: Sequence[str], what: str) -> list[str]:
        first, sep, last = part.partition("..")
        for k in (first, last) if sep else (first,):
            if k not in order:
                raise node.fail(attr, f"{ref!r}: unknown {what} {k!r}")
        if not sep:
            return [first]
        i, j = order.index(first), order.index(last)
        if j < i:
            raise node.fail(attr, f"{ref!r}: {what} range runs backwards")
        return list(order[i : j + 1])

    keys = [
        f"{table.key}.{r}.{c}"
        for r in span(row_part, [r.key for r in table.rows], "row")
        for c in span(col_part, [c.key for c in table.columns], "column")
    ]
    for k in keys:
        if k not in cells:
            raise node.fail(attr, f"{ref!r}: {k} is not a data cell")
    return keys


def _load_relations(nodes: list[_Node], tables: Mapping[str, Table], cells: dict[str, Cell]) -> list[Relation]:
    relations: list[Relation] = []
    derived: dict[str, str] = {}
    for n in nodes:
        table_key = n.text("table")
        if table_key not in tables:
            raise n.fail("table", f"unknown table {table_key!r}")
        table = tables[table_key]
        foreach = n.text("foreach", None)
        bindings: list[tuple[str, dict[str, str]]]
        if foreach == "row":
            bindings = [(r.key, {"row": r.key}) for r in table.rows]
        elif foreach == "col":
            bindings = [(c.key, {"col": c.key}) for c in table.columns]
        elif foreach is None:
            bindings = [(n.text("instance"), {})]
        else:
            raise n.fail("foreach", f"must be row or col, not {foreach!r}")
        if "only" in n.data:
            # a relation of some rows (or columns) only: 2019's blocks share a table but not their columns
            only = n.strings("only")
            unknown = [k for k in only if k not in {b[0] for b in bindings}]
            if foreach is None or unknown:
                raise n.fail("only", f"names no {foreach or 'row or column'} of the table: {unknown or only}")
            bindings = [b for b in bindings if b[0] in only]
        op = OPERATORS.get(n.text("op", "="))
        if op is None:
            raise n.fail("op", f"unknown operator {n.data['op']!r} (= or ≥)")
        derive = n.get("derive", bool)
        if derive and op != "=":
            raise n.fail("derive", "only an equality can derive a cell")
        code = n.text("code")
        if not _RELATION_CODE.fullmatch(code):
            raise n.fail("code", f"{code!r} is not a relation code (A300–A389)")
        severity = _severity(n, "severity")
        title = n.text("title")
        declare_code(code, severity, n.text("code_title", f"不满足“{title}”"))
        lhs_refs, rhs_refs = n.strings("lhs"), n.strings("rhs")
        if derive and len(lhs_refs) != 1:
            raise n.fail("lhs", "a deriving relation needs exactly one lhs cell")
        for instance, binding in bindings:
            lhs = [k for ref in lhs_refs for k in _expand(n, "lhs", ref.format(**binding), table, cells)]
            rhs = [k for ref in rhs_refs for k in _expand(n, "rhs", ref.format(**binding), table, cells)]
            if set(lhs) & set(rhs):
                raise n.fail("rhs", f"instance {instance}: a cell stands on both sides")
            derives = None
            if derive and len(lhs) == 1 and lhs[0] not in derived:
                derives = lhs[0]
                derived[derives] = f"{n.path}[{instance}]"
            if not lhs:
                raise n.fail("lhs", f"instance {instance}: needs at least one cell")
            relations.append(
                Relation(
                    key=n.text("key"),
                    instance=instance,
                    code=code,
                    severity=severity,
                    basis=n.text("basis"),
                    title=title,
                    table=table_key,
                    foreach=foreach,
                    lhs=tuple(lhs),
                    rhs=tuple(rhs),
                    derives=derives,
                    op=op,
                )
            )
    for key in derived:
        cells[key] = _replace_derived(cells[key])
    _check_acyclic(relations, nodes[0].source if nodes else "<spec>")
    ids = [r.rule_id for r in relations]
    if len(set(ids)) != len(ids):
        raise SpecError(f"{nodes[0].source}: relations: duplicate rule ids")
    return relations


def _replace_derived(cell: Cell) -> Cell:
    return Cell(cell.key, cell.table, cell.row, cell.column, cell.type, cell.at, derived=True)


def _check_acyclic(relations: Sequence[Relation], source: str) -> None:
    formula = {r.derives: r.rhs for r in relations if r.derives}
    state: dict[str, int] = {}

    def visit(key: str, trail: tuple[str, ...]) -> None:
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            loop = (*trail[trail.index(key) :], key)
            raise SpecError(f"{source}: relations: derived cells form a cycle: {' -> '.join(loop)}")
        state[key] = 1
        for dep in formula.get(key, ()):
            visit(dep, (*trail, key))
        state[key] = 2

    for key in formula:
        visit(key, ())


def _cells_of_ref(node: _Node, attr: str, ref: str, cells: Mapping[str, Cell]) -> list[str]:
    """A cell ("t2.norm.in_force") or a row ("t2.reg") of the spec as cell keys; unknown refs are refused."""
    if ref in cells:
        return [ref]
    keys = [k for k in cells if k.startswith(ref + ".") and k.count(".") == 2] if ref.count(".") == 1 else []
    if not keys:
        raise node.fail(attr, f"unknown cell or row {ref!r}")
    return keys


def _load_meanings(top: _Node, tables: Mapping[str, Table], cells: Mapping[str, Cell]) -> dict[str, Meaning]:
    if "meanings" not in top.data:
        return {}
    node = top.child("meanings")
    meanings = {}
    for name, ref in node.data.items():
        if not isinstance(ref, str):
            raise node.fail(name, "expected a cell or row reference")
        keys = _cells_of_ref(node, name, ref, cells)
        pairs: tuple[tuple[tuple[str, str], str], ...]
        if len(keys) == 1 and ref in cells:
            pairs = ((("", ""), ref),)
        else:
            pairs = tuple(((cells[k].column.group or "", cells[k].column.label), k) for k in keys)
            if len({p[0] for p in pairs}) != len(pairs):
                raise node.fail(name, f"the columns of {ref!r} are not told apart by group and label")
        meanings[name] = Meaning(name, ref, pairs)
    return meanings


def _load_cross_year(top: _Node, cells: Mapping[str, Cell], meanings: Mapping[str, Meaning]) -> CrossYear:
    if "cross_year" not in top.data:
        return NO_CROSS_YEAR
    cross = top.child("cross_year")

    def meaning(node: _Node, key: str) -> str:
        name = node.text(key)
        if name not in meanings:
            raise node.fail(key, f"{name!r} is not a meaning of this spec ([meanings])")
        return str(name)

    carry = cross.child("carry") if "carry" in cross.data else None
    stock = tuple(
        StockRule(
            s.text("code"),
            s.text("in_force"),
            s.text("issued"),
            s.text("repealed"),
            _severity(s, "severity"),
            meaning(s, "previous"),
        )
        for s in cross.children("stock", [])
    )
    for rule in stock:
        for ref in (rule.in_force, rule.issued, rule.repealed):
            if ref not in cells:
                raise cross.fail("stock", f"unknown cell {ref!r}")
    fee = cross.text("fee", None)
    if fee is not None and fee not in cells:
        raise cross.fail("fee", "unknown cell")
    if carry is None:
        return CrossYear(None, "", "", "info", "", stock, fee)
    return CrossYear(
        carry.text("code"),
        meaning(carry, "current"),
        meaning(carry, "previous"),
        _severity(carry, "severity"),
        carry.text("title"),
        stock,
        fee,
    )


def _load_indicators(top: _Node, cells: Mapping[str, Cell]) -> tuple[Indicator, ...]:
    if "indicators" not in top.data:
        return ()
    node = top.child("indicators")
    indicators = []
    for key in node.data:
        ind = node.child(key)
        num, den = ind.strings("numerator"), ind.strings("denominator", ())
        for ref in num + den:
            if ref not in cells:
                raise ind.fail("numerator", f"unknown cell {ref!r}")
        threshold = None
        if "threshold" in ind.data:
            t = ind.child("threshold")
            direction = t.text("direction")
            if direction not in ("above", "below"):
                raise t.fail("direction", "must be above or below")
            if not den:
                raise t.fail("direction", "only a rate (with a denominator) has a threshold")
            threshold = Threshold(direction, float(t.get("red", (int, float))), float(t.get("yellow", (int, float))))
        indicators.append(Indicator(key, ind.text("title"), num, den, ind.text("formula", ""), threshold))
    return tuple(indicators)


def _digest(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_spec(path: str | Path) -> Spec:
    """Load and validate one spec file; a malformed file raises :class:`SpecError` naming the place."""
    path = Path(path)
    source = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise SpecError(f"{source}: cannot be read: {exc.strerror}") from None
    return parse_spec(raw, source)


def parse_spec(raw: Mapping[str, Any], source: str = "<spec>") -> Spec:
    top = _Node(dict(raw), "", source)
    if top.get("schema", int) != 1:
        raise top.fail("schema", "unsupported spec schema (expected 1)")
    types = _cell_types(top)
    cover = top.child("cover")
    field_nodes = cover.children("fields")
    fields = []
    for n in field_nodes:
        kind = n.text("kind")
        if kind not in ("text", "uscc", "year", "choice"):
            raise n.fail("kind", f"unknown field kind {kind!r}")
        choices = n.strings("choices", ())
        if kind == "choice" and not choices:
            raise n.fail("choices", "a choice field needs choices")
        fields.append(
            CoverField(n.text("key"), n.text("label"), kind, n.get("required", bool), n.text("prompt"), choices)
        )
    _unique(field_nodes, [f.key for f in fields], "cover field")
    for needed in ("unit_name", "unit_code", "year", "scope"):
        if needed not in {f.key for f in fields}:
            raise cover.fail("fields", f"needs a field {needed!r}")

    table_nodes = top.children("tables")
    tables = [_load_table(n, types) for n in table_nodes]
    _unique(table_nodes, [t.key for t in tables], "table")
    tables_by_key = {t.key: t for t in tables}
    cells: dict[str, Cell] = {c.key: c for t in tables for c in t.cells}
    relations = _load_relations(top.children("relations"), tables_by_key, cells)
    tables = [
        Table(**{**t.__dict__, "cells": tuple(cells[c.key] for c in t.cells)})  # cells now marked derived
        for t in tables
    ]

    narrative = top.child("narrative")
    sections = []
    section_nodes = top.children("sections")
    for n in section_nodes:
        table_key = n.text("table", None)
        if table_key is not None and table_key not in tables_by_key:
            raise n.fail("table", f"unknown table {table_key!r}")
        heading = n.text("heading")
        parts = tuple(
            Part(
                key=p.text("key"),
                section=n.text("key"),
                heading=heading,
                title=p.text("title", ""),
                keywords=p.strings("keywords"),
                hint=p.text("hint"),
                require_any=p.strings("require_any", ()),
                optional=p.get("optional", bool, False),
            )
            for p in n.children("parts", [])
        )
        if table_key is None and not parts:
            raise n.fail("parts", "a section needs a table or narrative parts")
        sections.append(Section(n.text("key"), heading, n.strings("keywords"), table_key, parts))
    _unique(section_nodes, [s.key for s in sections], "section")
    part_keys = [p.key for s in sections for p in s.parts]
    if len(set(part_keys)) != len(part_keys):
        raise top.fail("sections", "duplicate narrative part keys")

    meanings = _load_meanings(top, tables_by_key, cells)
    cross_year = _load_cross_year(top, cells, meanings)
    indicators = _load_indicators(top, cells)
    level_hints = top.child("level_hints") if "level_hints" in top.data else None
    department_zero_row = level_hints.text("department_zero_row") if level_hints else None
    if department_zero_row is not None and not any(c.startswith(department_zero_row + ".") for c in cells):
        raise top.fail("level_hints.department_zero_row", f"unknown row {department_zero_row!r}")
    blind_sums = []
    for n in top.children("blind_sums", []):
        refs = n.strings("cells")
        keys = [k for ref in refs for k in _cells_of_ref(n, "cells", ref, cells)]
        blind_sums.append(BlindSum(tuple(keys), n.text("reason")))
    tell_node = top.child("tell_tales") if "tell_tales" in top.data else None
    tell_tales = tell_node.strings("labels") if tell_node else ()
    tell_tales_of = tell_node.text("of", "其他格式版本") if tell_node else ""

    spec = Spec(
        id=top.text("id"),
        format_version=top.text("format_version"),
        template_id=top.text("template_id"),
        title=top.text("title"),
        document=top.text("document"),
        first_year=top.get("first_year", int),
        last_year=top.get("last_year", int, None),
        report_title=top.text("report_title"),
        cell_types=types,
        cover_sheet=cover.text("sheet"),
        cover_title=cover.text("title"),
        instructions=cover.strings("instructions"),
        cover_fields=tuple(fields),
        narrative_sheet=narrative.text("sheet"),
        narrative_title=narrative.text("title"),
        narrative_min_chars=narrative.get("min_chars", int),
        blank_words=narrative.strings("blank_words"),
        sections=tuple(sections),
        tables=tuple(tables),
        relations=tuple(relations),
        cross_year=cross_year,
        department_zero_row=department_zero_row,
        tell_tales=tell_tales,
        tell_tales_of=tell_tales_of,
        indicators=indicators,
        blind_sums=tuple(blind_sums),
        meanings=meanings,
        digest=_digest(raw),
        source=source,
        cells=dict(cells),
    )
    sheets = [spec.cover_sheet, spec.narrative_sheet] + [t.sheet for t in spec.tables]
    if len(set(sheets)) != len(sheets):
        raise top.fail("tables", "sheet names must be unique")
    return spec


# ---------------------------------------------------------------------------------------------- registry


def templates_dir() -> Path:
    """The folder of spec files: $GIPTEMPLATE_SPECS when set, else inside the installed package, or the
    project's top-level templates/."""
    chosen = os.environ.get(SPECS_ENV, "").strip()
    if chosen:
        folder = Path(chosen)
        if not folder.is_dir():
            raise SpecError(f"{SPECS_ENV}={chosen}: not a folder of spec files")
        return folder
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "templates", here.parent.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise SpecError("no templates/ folder found next to the giptemplate package")


@functools.cache
def _specs_in(folder: Path) -> tuple[Spec, ...]:
    specs = tuple(sorted((load_spec(p) for p in folder.glob("*.toml")), key=lambda s: s.first_year))
    if not specs:
        raise SpecError(f"{folder}: no spec file (*.toml)")
    for older, newer in itertools.pairwise(specs):
        if older.last_year is None or older.last_year >= newer.first_year:
            raise SpecError(f"{folder}: {older.source} and {newer.source} both cover {newer.first_year}")
    for kind, values in (("id", [s.id for s in specs]), ("template_id", [s.template_id for s in specs])):
        if len(set(values)) != len(values):
            raise SpecError(f"{folder}: two spec files have the same {kind}")
    return specs


def all_specs() -> tuple[Spec, ...]:
    """Every format version of the spec folder (see :func:`templates_dir`), oldest first."""
    return _specs_chosen(os.environ.get(SPECS_ENV, "").strip())


@functools.cache
def _specs_chosen(chosen: str) -> tuple[Spec, ...]:
    # By the folder asked for: finding and resolving the folder costs file system calls, and a merge looks specs up
    # several times for each of its files. (The specs of a folder are read once anyway, by _specs_in.)
    return _specs_in(templates_dir().resolve())


def spec_by_id(spec_id: str) -> Spec:
    for spec in all_specs():
        if spec.id == spec_id or spec.template_id == spec_id:
            return spec
    raise KeyError(spec_id)


def spec_for_year(year: int) -> Spec:
    for spec in all_specs():
        if spec.covers_year(year):
            return spec
    raise UnsupportedYearError(f"报告年度 {year} 无适用的报告格式 (no format for report year {year})")
