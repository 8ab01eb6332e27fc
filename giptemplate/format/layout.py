"""The one source of coordinates: where every table, cell, label, status and field of a spec sits in the workbook.

The writer draws at these places, the reader reads from them and the checks name them in findings.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

from giptemplate.format.spec import Cell, GridRange, Relation, Spec, Table

CHECK_SHEET = "校验"
IDENTITY_SHEET = "_giptemplate"
REVIEW_SHEET = "退回意见"

# Every sheet's title sits in its first row, merged across the sheet's columns.
TITLE_ROW = 0
# Rows above each table grid: its title and the unit line.
UNIT_LINE_ROW = 1
GRID_TOP = 2
# The cover: the format line under the title, then one row per field (label, value, live check), then the
# instructions one row below the last field.
COVER_FORMAT_ROW = 1
COVER_FIRST_FIELD = 2
COVER_LABEL_COL, COVER_VALUE_COL, COVER_STATUS_COL = 0, 1, 2
# The narrative sheet: a header row, then each part (title, text, hint, live check).
NARRATIVE_HEADER_ROW = 1
NARRATIVE_FIRST_PART = 2
NARRATIVE_TITLE_COL, NARRATIVE_TEXT_COL, NARRATIVE_HINT_COL, NARRATIVE_STATUS_COL = 0, 1, 2, 3
# The 校验 sheet: the verdict, a header row, then one row per rule in these columns.
CHECK_OVERALL_ROW = 1
CHECK_FIRST_RULE = 4
CHECK_NUMBER_COL, CHECK_RULE_COL, CHECK_TEXT_COL, CHECK_WHERE_COL, CHECK_STATUS_COL, CHECK_DETAIL_COL = range(6)
# The return copy's 退回意见 sheet: title, unit line, verdict, guide, then a header row and one row per finding
# in these columns (序号, 级别, 代码, 问题类型, 位置, 说明).
REVIEW_UNIT_ROW, REVIEW_SUMMARY_ROW, REVIEW_GUIDE_ROW, REVIEW_HEADER_ROW = 1, 2, 3, 5
# The 校验 sheet's hidden working area starts at this column: each table's cells as the checks read them
# (numbers parsed, totals strict, typed totals kept), the code each cell earns, and each relation's status.
MIRROR_LEFT = 8
# Right of the relations' statuses, the 校验 sheet's hidden list of sentences: one row per thing `check` judges
# in the file alone (each relation instance, data cell, checked cover field, narrative section and required
# part), with the rule it fails ("" when fine), that rule and its rank among its failures ("rel:t3_total#2"),
# where it is, the sentence `check` prints for it, and two working cells (the number a data cell holds, and its
# text as `check` quotes it).
SENTENCE_COLUMNS = ("tag", "key", "where", "sentence", "parsed", "raw")
# Rows each narrative part spans (merged), so that a filler can make room for 5,000 characters and more: one
# row is at most 409 points high in Excel.
NARRATIVE_PART_ROWS = 6
# Width (in Excel character units) the label of a table's missing-count cell needs on one line.
MISSING_LABEL_WIDTH = 30.0

# Codes of the 校验 sheet's value rows, in order, and of its typed-total row (see giptemplate.workbook.live).
VALUE_RULES = ("V203", "V201", "V202", "V204", "V209", "V212")
TYPED_RULE = "S105"
# Cover fields with a live check beside them: the unit (C701), the year (C702) and the code (C703).
COVER_CHECKED = ("unit_name", "year", "unit_code")

# The identity sheet: one row per key, the key in the first column and its value in the next.
IDENTITY_KEY_COL, IDENTITY_VALUE_COL = 0, 1
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
    # ("rel:<relation key>" / "value:<code>" / "typed:S105" / "cover:<field key>" / "text:<section key>" /
    # "require:<part key>", row)
    check_rules: tuple[tuple[str, int], ...]
    check_overall: Place
    identity: dict[str, Place]
    mirror: dict[str, Place]  # cell key -> its value as the checks read it (校验 sheet, hidden)
    codes: dict[str, Place]  # cell key -> the code it earns ("" when fine)
    mirror_status: dict[str, Place]  # rule_id -> the relation's status on those values
    cover_status: dict[str, Place]  # cover field key -> its live check, beside it
    text_status: dict[str, Place]  # section key -> its live length check (N601), beside its first part
    require_status: dict[str, Place]  # part key -> its live required-words check (N602), beside it
    # entry id ("rel:<rule_id>", "cell:<key>", "cover:<field>", "text:<section>", "require:<part>") -> its row of
    # the sentence list; sentence_col[name] the list's columns (see SENTENCE_COLUMNS)
    sentence_rows: dict[str, int]
    sentence_col: dict[str, int]
    later_row: int  # the 校验 row naming what the office checks after collecting
    check_hint_row: int  # the 校验 row saying where the details are
    cover_instructions_row: int  # the cover's instructions heading; one row per instruction below it

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

    fields = {
        f.key: Place(spec.cover_sheet, COVER_FIRST_FIELD + i, COVER_VALUE_COL) for i, f in enumerate(spec.cover_fields)
    }
    field_status = {
        f.key: Place(spec.cover_sheet, fields[f.key].row, COVER_STATUS_COL)
        for f in spec.cover_fields
        if f.kind == "uscc"
    }
    parts = {
        p.key: Place(spec.narrative_sheet, NARRATIVE_FIRST_PART + i * NARRATIVE_PART_ROWS, NARRATIVE_TEXT_COL)
        for i, p in enumerate(spec.parts)
    }
    cover_status = {
        f.key: Place(spec.cover_sheet, fields[f.key].row, COVER_STATUS_COL)
        for f in spec.cover_fields
        if f.key in COVER_CHECKED
    }
    text_status: dict[str, Place] = {}
    require_status: dict[str, Place] = {}
    for section in spec.sections:
        required = [p for p in section.parts if p.require_any]
        for part in required:
            require_status[part.key] = Place(spec.narrative_sheet, parts[part.key].row, NARRATIVE_STATUS_COL)
        if section.parts and not required and not all(p.optional for p in section.parts):
            # a section that may be left blank (2019's 六) has no length check, in `check` or here
            text_status[section.key] = Place(
                spec.narrative_sheet, parts[section.parts[0].key].row, NARRATIVE_STATUS_COL
            )

    mirror: dict[str, Place] = {}
    codes: dict[str, Place] = {}
    left = MIRROR_LEFT
    for table in spec.tables:
        for cell in table.cells:
            place = cells[cell.key]
            mirror[cell.key] = Place(CHECK_SHEET, place.row, left + place.col)
            codes[cell.key] = Place(CHECK_SHEET, place.row, left + table.width + place.col)
        left += 2 * table.width + 1
    mirror_status = {r.rule_id: Place(CHECK_SHEET, GRID_TOP + i, left) for i, r in enumerate(spec.relations)}

    entries = [f"rel:{r.rule_id}" for r in spec.relations] + [f"cell:{key}" for key in spec.cells]
    entries += [f"cover:{key}" for key in cover_status]
    entries += [f"text:{key}" for key in text_status] + [f"require:{key}" for key in require_status]
    sentence_rows = {entry: GRID_TOP + i for i, entry in enumerate(entries)}
    sentence_col = {name: left + 1 + i for i, name in enumerate(SENTENCE_COLUMNS)}

    check_rules: list[tuple[str, int]] = []
    rules = [f"rel:{key}" for key in dict.fromkeys(r.key for r in spec.relations)]
    rules += [f"value:{code}" for code in VALUE_RULES]
    rules += [f"typed:{TYPED_RULE}"]
    rules += [f"cover:{key}" for key in cover_status]
    rules += [f"text:{key}" for key in text_status] + [f"require:{key}" for key in require_status]
    for row, rule in enumerate(rules, start=CHECK_FIRST_RULE):
        check_rules.append((rule, row))
    identity = {key: Place(IDENTITY_SHEET, i, IDENTITY_VALUE_COL) for i, key in enumerate(IDENTITY_KEYS)}
    return Layout(
        spec=spec,
        tables=tables,
        cells=cells,
        fields=fields,
        field_status=field_status,
        parts=parts,
        check_rules=tuple(check_rules),
        check_overall=Place(CHECK_SHEET, CHECK_OVERALL_ROW, CHECK_RULE_COL),
        identity=identity,
        mirror=mirror,
        codes=codes,
        mirror_status=mirror_status,
        cover_status=cover_status,
        text_status=text_status,
        require_status=require_status,
        sentence_rows=sentence_rows,
        sentence_col=sentence_col,
        later_row=CHECK_FIRST_RULE + len(rules) + 1,
        check_hint_row=CHECK_FIRST_RULE + len(rules) + 2,
        cover_instructions_row=max((p.row for p in fields.values()), default=COVER_FIRST_FIELD) + 2,
    )
