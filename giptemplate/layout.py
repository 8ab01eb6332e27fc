"""The one source of coordinates: where every table, cell, label, status and field of a spec sits in the workbook.

The writer draws at these places, the reader reads from them and the checks name them in findings.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

from giptemplate.spec import Cell, GridRange, Relation, Spec, Table

CHECK_SHEET = "校验"
IDENTITY_SHEET = "_giptemplate"
REVIEW_SHEET = "退回意见"

# Rows above each table grid: its title and the unit line.
GRID_TOP = 2
COVER_FIRST_FIELD = 2
NARRATIVE_FIRST_PART = 2
CHECK_OVERALL_ROW = 1
CHECK_FIRST_RULE = 4
# Width (in Excel character units) the label of a table's missing-count cell needs on one line.
MISSING_LABEL_WIDTH = 30.0

# Keys of the identity sheet, in order.
IDENTITY_KEYS = (
    "template_id",
    "format_version",
    "spec_id",
    "spec_digest",
    "report_year",
    "unit_name",
    "unit_code",
    "generator",
    "generator_version",
    "file_id",
    "kind",
)


@dataclass(frozen=True)
class Place:
    sheet: str
    row: int
    col: int

    @property
    def a1(self) -> str:
        return str(xl_rowcol_to_cell(self.row, self.col))

    @property
    def ref(self) -> str:
        """Absolute reference usable from another sheet."""
        return f"{quote_sheetname(self.sheet)}!{xl_rowcol_to_cell(self.row, self.col, True, True)}"

    @property
    def display(self) -> str:
        return f"'{self.sheet}'!{self.a1}"


@dataclass(frozen=True)
class StatusRow:
    """A row below a table holding the status cells of one relation's per-column instances."""

    row: int
    relation_key: str
    title: str


@dataclass(frozen=True, eq=False)
class TableLayout:
    table: Table
    top: int
    left: int
    status_col: int | None  # a column right of the grid for per-row relations
    status_rows: tuple[StatusRow, ...]
    status: dict[str, Place]  # rule_id -> status cell
    missing_count: Place
    note_row: int

    @property
    def sheet(self) -> str:
        return self.table.sheet

    def at(self, grid: GridRange) -> tuple[int, int, int, int]:
        return (
            self.top + grid.first_row,
            self.left + grid.first_col,
            self.top + grid.last_row,
            self.left + grid.last_col,
        )

    def place(self, cell: Cell) -> Place:
        return Place(self.sheet, self.top + cell.at.first_row, self.left + cell.at.first_col)

    @property
    def last_col(self) -> int:
        return self.left + self.table.width - 1 + (1 if self.status_col is not None else 0)

    @property
    def header_rows(self) -> tuple[int, int]:
        return self.top, self.top + self.table.header_rows - 1


@dataclass(frozen=True, eq=False)  # one per spec, compared by identity
class Layout:
    spec: Spec
    tables: dict[str, TableLayout]
    cells: dict[str, Place]
    fields: dict[str, Place]
    field_status: dict[str, Place]
    parts: dict[str, Place]
    check_rules: tuple[tuple[str, int], ...]  # ("rel:<relation key>" / "missing:<table>" / "field:<key>", row)
    check_overall: Place
    identity: dict[str, Place]

    def position(self, key: str) -> tuple[int, int]:
        place = self.cells[key]
        return place.row, place.col

    def table_of(self, key: str) -> TableLayout:
        return self.tables[self.spec.cells[key].table]

    def status_of(self, relation: Relation) -> Place:
        return self.tables[relation.table].status[relation.rule_id]


@functools.cache
def layout_for(spec: Spec) -> Layout:
    tables: dict[str, TableLayout] = {}
    cells: dict[str, Place] = {}
    for table in spec.tables:
        relations = [r for r in spec.relations if r.table == table.key]
        has_row_relations = any(r.foreach == "row" for r in relations)
        status_col = table.width if has_row_relations else None
        below = GRID_TOP + table.height
        status_rows: list[StatusRow] = []
        status: dict[str, Place] = {}
        grid_cell = {c.key: c for c in table.cells}
        for relation in relations:
            target = grid_cell[relation.lhs[0]]
            if relation.foreach == "row":
                status[relation.rule_id] = Place(table.sheet, GRID_TOP + target.at.first_row, status_col or 0)
                continue
            row = next((s.row for s in status_rows if s.relation_key == relation.key), None)
            if row is None and relation.foreach is None:
                # Named instances (表四's three groups) share one row, each under its own target cell.
                row = next((s.row for s in status_rows if s.relation_key.startswith("*")), None)
            if row is None:
                row = below + len(status_rows)
                key = relation.key if relation.foreach == "col" else f"*{relation.key}"
                status_rows.append(StatusRow(row, key, relation.title))
            status[relation.rule_id] = Place(table.sheet, row, target.at.first_col)
        missing_row = below + len(status_rows)
        # The count sits right of a label wide enough to read; under the label columns when they suffice.
        missing_col = max(table.label_cols, 1)
        while missing_col < table.width - 1 and sum(table.col_widths[:missing_col]) < MISSING_LABEL_WIDTH:
            missing_col += 1
        layout = TableLayout(
            table=table,
            top=GRID_TOP,
            left=0,
            status_col=status_col,
            status_rows=tuple(status_rows),
            status=status,
            missing_count=Place(table.sheet, missing_row, missing_col),
            note_row=missing_row + 1,
        )
        tables[table.key] = layout
        for cell in table.cells:
            cells[cell.key] = layout.place(cell)

    fields = {f.key: Place(spec.cover_sheet, COVER_FIRST_FIELD + i, 1) for i, f in enumerate(spec.cover_fields)}
    field_status = {f.key: Place(spec.cover_sheet, fields[f.key].row, 2) for f in spec.cover_fields if f.kind == "uscc"}
    parts = {p.key: Place(spec.narrative_sheet, NARRATIVE_FIRST_PART + i, 1) for i, p in enumerate(spec.parts)}

    check_rules: list[tuple[str, int]] = []
    row = CHECK_FIRST_RULE
    for relation_key in dict.fromkeys(r.key for r in spec.relations):
        check_rules.append((f"rel:{relation_key}", row))
        row += 1
    for table in spec.tables:
        check_rules.append((f"missing:{table.key}", row))
        row += 1
    for key in field_status:
        check_rules.append((f"field:{key}", row))
        row += 1
    identity = {key: Place(IDENTITY_SHEET, i, 1) for i, key in enumerate(IDENTITY_KEYS)}
    return Layout(
        spec=spec,
        tables=tables,
        cells=cells,
        fields=fields,
        field_status=field_status,
        parts=parts,
        check_rules=tuple(check_rules),
        check_overall=Place(CHECK_SHEET, CHECK_OVERALL_ROW, 1),
        identity=identity,
    )
