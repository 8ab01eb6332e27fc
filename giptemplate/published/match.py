"""Match a loaded document's tables to a spec by labels, never by positions: which printed cell is which spec cell.

Header rows are recognised by the spec's column and header labels (compared through
:func:`~giptemplate.workbook.normalise.label_key`, gip-format.md C2), and each grid column takes the spec column
whose label and groups its header stack names; data rows by their label cells. A table that goes on over a page break
(without or with its header repeated) continues with the column map it had. What was found, and what was odd
about it (a mis-typed or old label, a 2019-style single row), is recorded; nothing is judged here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from giptemplate.format.spec import Column, Spec, Table
from giptemplate.published.model import DocCell, DocTable, Document
from giptemplate.workbook.normalise import is_near_miss, label_key, parse_text, similarity

LabelKind = Literal["typo", "obsolete", "variant", "single_row"]
How = Literal["", "exact", "variant", "prefix", "typo", "obsolete"]  # how a printed label matched a spec label


@dataclass(frozen=True, slots=True)
class Printed:
    """One spec cell as the document prints it, with where."""

    key: str  # spec cell key, "t3.R24.c1"
    text: str  # as printed ("" when the document prints nothing there)
    table: int  # 1-based table index in the document
    row: int  # 1-based grid row
    col: int  # 1-based grid column
    page: int | None
    row_label: str
    col_label: str
    yuan: bool = False  # the header says the amount is in 元 (the spec's fee is in 万元)


@dataclass(frozen=True, slots=True)
class OddLabel:
    """A printed label that is not the spec's: mis-typed, from the 2019 format, a tolerated variant, or a group
    printed as one row where the spec has sub-rows."""

    table_key: str
    expected: str
    found: str
    kind: LabelKind
    table: int
    row: int
    page: int | None
    row_key: str = ""  # the spec row (or group's first row) concerned
    col_key: str = ""  # the spec column, for a header label


@dataclass
class Matched:
    """Every spec cell the document prints, with the odd labels met on the way."""

    printed: dict[str, Printed] = field(default_factory=dict)
    odd: list[OddLabel] = field(default_factory=list)
    conflicts: dict[str, list[Printed]] = field(default_factory=dict)  # printed twice, differently
    tables_found: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Keyed:
    key: str  # label key
    text: str


def _col_groups(column: Column) -> tuple[str, ...]:
    return tuple(label_key(g) for g in (column.group or "").split("·") if g)


class _TableLabels:
    """The comparison keys of one spec table's labels."""

    def __init__(self, table: Table, tell_tales: Sequence[str]) -> None:
        self.table = table
        self.header_keys = {label_key(lb.text) for lb in table.labels if lb.role in ("header", "caption", "note")}
        for lb in table.labels:
            self.header_keys |= {label_key(v) for v in lb.variants}
        self.group_keys = {label_key(lb.text): lb.text for lb in table.labels if lb.role == "group"}
        self.columns = [(c, label_key(c.label), _col_groups(c)) for c in table.columns]
        self.column_variants: dict[str, set[str]] = {}
        for lb in table.labels:
            for c in table.columns:
                if label_key(lb.text) == label_key(c.label):
                    self.column_variants.setdefault(c.key, set()).update(label_key(v) for v in lb.variants)
        self.rows = [(r, label_key(r.label)) for r in table.rows]
        self.tell_tales = {label_key(t) for t in tell_tales}
        self.cells = {(c.row.key, c.column.key): c.key for c in table.cells}

    def names_column(self, key: str) -> bool:
        return any(_label_match(key, ck, self.column_variants.get(c.key, set())) for c, ck, _ in self.columns)

    def is_header_text(self, key: str) -> bool:
        return key in self.header_keys or self.names_column(key) or any(is_near_miss(key, h) for h in self.header_keys)


def _label_match(found: str, expected: str, variants: set[str] | frozenset[str] = frozenset()) -> How:
    """ "exact", "variant", "prefix" (the label with a note after it), "typo" or "" (no match)."""
    if not found or not expected:
        return ""
    if found == expected:
        return "exact"
    if found in variants:
        return "variant"
    if found.startswith(expected) and found[len(expected)] in "(（:：,，":
        return "prefix"
    if is_near_miss(found, expected):
        return "typo"
    return ""


def _is_value_text(text: str) -> bool:
    stripped = text.strip()
    if not stripped:
        return False
    parsed = parse_text(stripped)
    return (parsed.state in ("ok", "invalid") and parsed.number is not None) or parsed.state == "blank"


class _ColumnMap:
    """Grid column -> spec column of one spec table, from a stack of header rows."""

    def __init__(self, labels: _TableLabels, by_col: dict[int, tuple[Column, str, str]], width: int) -> None:
        self.labels = labels
        self.by_col = by_col  # grid col -> (column, how matched, header text as printed)
        self.width = width

    @property
    def table(self) -> Table:
        return self.labels.table


def _stack_at(table: DocTable, rows: Sequence[int], col: int) -> list[_Keyed]:
    out: list[_Keyed] = []
    for r in rows:
        cell = table.grid[r][col] if col < len(table.grid[r]) else None
        if cell is not None:
            k = label_key(cell.text)
            if k and (not out or out[-1].key != k):
                out.append(_Keyed(k, cell.text))
    return out


def _map_columns(labels: _TableLabels, table: DocTable, header_rows: Sequence[int]) -> _ColumnMap:
    by_col: dict[int, tuple[Column, str, str]] = {}
    for j in range(table.width):
        stack = _stack_at(table, header_rows, j)
        best: tuple[int, int, Column, str, str] | None = None
        for column, ck, groups in labels.columns:
            hows = [(_label_match(s.key, ck, labels.column_variants.get(column.key, set())), s) for s in stack]
            hit = next(((h, s) for h, s in reversed(hows) if h), None)
            if hit is None:
                continue
            if any(not any(s.key == g or is_near_miss(s.key, g) for s in stack) for g in groups):
                continue
            rank = (len(groups), 2 if hit[0] in ("exact", "variant", "prefix") else 1)
            if best is None or rank > best[:2]:
                best = (rank[0], rank[1], column, hit[0], hit[1].text)
        if best is not None:
            by_col[j] = (best[2], best[3], best[4])
    return _ColumnMap(labels, by_col, table.width)


def _row_label_cells(table: DocTable, r: int, value_cols: set[int]) -> list[DocCell]:
    cells: list[DocCell] = []
    for j, cell in enumerate(table.grid[r]):
        if cell is None or j in value_cols or any(cell is c for c in cells):
            continue
        cells.append(cell)
    return cells


def match_document(document: Document, spec: Spec) -> Matched:
    """Find every spec cell the document prints."""
    all_labels = [_TableLabels(t, spec.tell_tales) for t in spec.tables]
    out = Matched()
    current: _ColumnMap | None = None
    for table in document.tables:
        current = _match_table(table, all_labels, current, out)
    return out


def _header_table(table: DocTable, r: int, all_labels: Sequence[_TableLabels]) -> _TableLabels | None:
    """The spec table whose header labels row ``r`` prints (None when it is not a header row)."""
    cells = table.row_cells(r)
    if not cells or any(_is_value_text(c.text) for c in cells if c.text.strip()):
        return None
    best: tuple[int, _TableLabels] | None = None
    for labels in all_labels:
        score = sum(1 for c in cells if labels.is_header_text(label_key(c.text)))
        if score and (best is None or score > best[0]):
            best = (score, labels)
    return best[1] if best else None


def _match_table(
    table: DocTable, all_labels: Sequence[_TableLabels], carried: _ColumnMap | None, out: Matched
) -> _ColumnMap | None:
    # A table that opens without a header row continues the previous one (a page break in a PDF or Word file).
    current = carried if carried is not None and carried.by_col and table.width == carried.width else None
    header: list[int] = []
    unlabelled_done: set[str] = set()
    for r in range(len(table.grid)):
        labels = _header_table(table, r, all_labels)
        if labels is not None:
            header = [*header, r] if header and r == header[-1] + 1 else [r]
            candidates = [_map_columns(lb, table, header) for lb in all_labels]
            best = max(candidates, key=lambda m: len({c.key for c, _, _ in m.by_col.values()}))
            if best.by_col:
                current = best
                out.tables_found.add(best.table.key)
                _note_header_typos(best, table, r, out)
            continue
        if current is None:
            continue
        _match_row(table, r, current, out, unlabelled_done)
    return current


def _note_header_typos(colmap: _ColumnMap, table: DocTable, r: int, out: Matched) -> None:
    seen = {(o.table_key, o.col_key) for o in out.odd}
    for column, how, text in colmap.by_col.values():
        key = (colmap.table.key, column.key)
        if how == "typo" and key not in seen:
            seen.add(key)
            page = next((c.page for c in table.row_cells(r)), None)
            out.odd.append(OddLabel(key[0], column.label, text, "typo", table.index, r + 1, page, col_key=column.key))


def _match_row(table: DocTable, r: int, colmap: _ColumnMap, out: Matched, unlabelled_done: set[str]) -> None:
    labels = colmap.labels
    spec_table = labels.table
    value_cols = set(colmap.by_col)
    label_cells = [c for c in _row_label_cells(table, r, value_cols) if label_key(c.text)]
    row_key, how, printed_label = _which_row(labels, label_cells)
    first_page = next((c.page for c in table.row_cells(r) if c.page is not None), None)
    if not row_key:
        if label_cells:
            group = label_key(label_cells[-1].text)
            if group in labels.group_keys:
                first = next(row for row, _ in labels.rows if row.group == labels.group_keys[group])
                out.odd.append(
                    OddLabel(
                        spec_table.key,
                        labels.group_keys[group],
                        label_cells[-1].text,
                        "single_row",
                        table.index,
                        r + 1,
                        first_page,
                        first.key,
                    )
                )
            return
        unlabelled = [row for row, _ in labels.rows if row.label_at is None and row.key not in unlabelled_done]
        if not unlabelled or not any((cell := table.grid[r][j]) is not None and cell.text.strip() for j in value_cols):
            return
        row_key, printed_label = unlabelled[0].key, ""
        unlabelled_done.add(row_key)
    elif how == "typo" or how == "obsolete" or how == "variant":
        expected = next(row.label for row, _ in labels.rows if row.key == row_key)
        out.odd.append(OddLabel(spec_table.key, expected, printed_label, how, table.index, r + 1, first_page, row_key))
    seen_cols: dict[str, list[tuple[int, DocCell | None, str, str]]] = {}
    for j, (column, col_how, col_text) in sorted(colmap.by_col.items()):
        cell = table.grid[r][j] if j < len(table.grid[r]) else None
        seen_cols.setdefault(column.key, []).append((j, cell, col_how, col_text))
    for col_key, slots in seen_cols.items():
        key = labels.cells.get((row_key, col_key))
        if key is None:
            continue
        distinct: list[tuple[int, DocCell]] = []
        for j, cell, _, _ in slots:
            if cell is not None and not any(cell is d for _, d in distinct):
                distinct.append((j, cell))
        filled = [(j, c) for j, c in distinct if c.text.strip()]
        if len(filled) > 1:
            # A cell that straddles into another column's span (a Word paste's colSpan off by one) belongs to
            # that other column; the cell wholly under this header is this column's value.
            own = [(j, c) for j, c in filled if _columns_of(table, r, c, colmap) == {col_key}]
            filled = own if len(own) == 1 else filled
        options: list[tuple[int, DocCell | None]] = [*filled] or [*distinct] or [(slots[0][0], None)]
        j, cell = options[0]
        col_text = slots[0][3]
        header_says_yuan = "元" in col_text and "万元" not in col_text
        printed = Printed(
            key,
            cell.text.strip() if cell is not None else "",
            table.index,
            r + 1,
            j + 1,
            cell.page if cell is not None else first_page,
            printed_label,
            col_text.strip(),
            header_says_yuan,
        )
        if len({label_key(c.text) for _, c in filled}) > 1:
            out.conflicts.setdefault(key, []).extend(
                Printed(key, c.text.strip(), table.index, r + 1, jj + 1, c.page, printed_label, col_text)
                for jj, c in filled
            )
        previous = out.printed.get(key)
        if previous is not None and label_key(previous.text) != label_key(printed.text):
            out.conflicts.setdefault(key, [previous]).append(printed)
        if previous is None:
            out.printed[key] = printed


def _columns_of(table: DocTable, r: int, cell: DocCell, colmap: _ColumnMap) -> set[str]:
    return {colmap.by_col[j][0].key for j, c in enumerate(table.grid[r]) if c is cell and j in colmap.by_col}


def _which_row(labels: _TableLabels, cells: Sequence[DocCell]) -> tuple[str, How, str]:
    """(spec row key, how matched, printed label) for a row's label cells; ("", "", "") when none matches."""
    candidates = [(label_key(c.text), c.text) for c in cells]
    if len(cells) > 1:
        candidates.append((label_key("".join(c.text for c in cells)), "".join(c.text for c in cells)))
    best: tuple[float, str, How, str] | None = None
    for found, text in reversed(candidates):
        for row, rk in labels.rows:
            how = _label_match(found, rk)
            if not how:
                continue
            if how == "typo" and found in labels.tell_tales:
                how = "obsolete"
            score = 2.0 if how in ("exact", "prefix") else similarity(found, rk)
            if best is None or score > best[0]:
                best = (score, row.key, how, text.strip())
        if best is not None and best[0] >= 2.0:
            break
    if best is None:
        return "", "", ""
    return best[1], best[2], best[3]
