"""Table rows of a plain-text copy, where the cell boundaries were lost.

A web page copied as text prints a table row as its label and its numbers on one line, and the copy often runs
the numbers together ("二、上年结转政府信息公开申请数量 230 000023"). A line whose start is a spec row's label is read
as that row; its numbers go to the row's cells in the spec's column order (the only order a text copy keeps),
as printed when there are as many numbers as cells.
When the numbers are fewer than the cells, every way of cutting the digit runs into the row's cells is tried
(never cutting a number with a leading zero, never joining across a space the copy kept), and a way is kept only
when it is the one way that satisfies the format's relations within the row. Otherwise the row is left blank and
the ways that fit are recorded as the cells' candidates: the extractor never guesses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from giptemplate.format.spec import Cell, Relation, Spec
from giptemplate.published.match import Matched, OddLabel, Printed
from giptemplate.published.model import Paragraph
from giptemplate.workbook.normalise import is_near_miss, label_key, similarity

_TAIL = re.compile(r"^(?P<label>.*?[^\d\s.,])\s*(?P<nums>(?:\d+\s*)+)$")
MAX_SPLITS = 20000  # ways tried per row: a longer run is left blank as undecidable


@dataclass
class TextRows:
    matched: Matched = field(default_factory=Matched)
    uncertain: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _row_cells(spec: Spec) -> dict[str, tuple[str, list[Cell]]]:
    """label key -> (table key, the row's cells in column order) for every labelled row of the spec."""
    rows: dict[str, tuple[str, list[Cell]]] = {}
    for table in spec.tables:
        for row in table.rows:
            if row.label_at is not None:
                cells = [c for c in table.cells if c.row.key == row.key]
                rows[label_key(row.label)] = (table.key, cells)
    return rows


def _splits(tokens: Sequence[str], n: int) -> Iterator[list[str]]:
    """Every way of cutting the tokens into exactly ``n`` numbers without leading zeros."""

    def cut(token: str, parts: int) -> Iterator[list[str]]:
        if parts == 1:
            if token == "0" or not token.startswith("0"):
                yield [token]
            return
        for i in range(1, len(token) - parts + 2):
            head = token[:i]
            if head != "0" and head.startswith("0"):
                break
            for rest in cut(token[i:], parts - 1):
                yield [head, *rest]

    def walk(i: int, left: int) -> Iterator[list[str]]:
        if i == len(tokens):
            if left == 0:
                yield []
            return
        remaining = len(tokens) - i - 1
        for parts in range(1, min(len(tokens[i]), left - remaining) + 1):
            for head in cut(tokens[i], parts):
                for rest in walk(i + 1, left - parts):
                    yield head + rest

    yield from walk(0, n)


def _holds(relations: Sequence[Relation], values: dict[str, int]) -> bool:
    for relation in relations:
        lhs = sum((Decimal(values[k]) for k in relation.lhs), Decimal(0))
        rhs = sum((Decimal(values[k]) for k in relation.rhs), Decimal(0))
        if lhs != rhs:
            return False
    return True


def _split_line(text: str) -> tuple[list[str], list[str]] | None:
    """(label parts, number tokens) of a row line: "label 1 0 2" or a pipe row "| | label | | 1 | 0 | 2 |"."""
    if "|" in text:
        parts = [p.strip() for p in text.strip().strip("|").split("|")]
        numbers = [p for p in parts if p and re.fullmatch(r"[\d\s]+", p)]
        labels = [p for p in parts if p and p not in numbers]
        tokens = [t for n in numbers for t in n.split()]
        return (labels, tokens) if labels and tokens else None
    found = _TAIL.match(text)
    return ([found.group("label").strip()], found.group("nums").split()) if found else None


def _which_row(labels: Sequence[str], rows: dict[str, tuple[str, list[Cell]]]) -> tuple[str, str, bool]:
    """(row label key, printed label) for a line's label parts: the last part that is a spec row's label, exactly
    or mis-typed (gip-format.md C3), else the parts joined."""
    candidates = [*reversed(labels), "".join(labels)]
    for text in candidates:
        if label_key(text) in rows:
            return label_key(text), text, False
    for text in candidates:
        key = label_key(text)
        near = [k for k in rows if is_near_miss(key, k)]
        if near:
            return max(near, key=lambda k: similarity(key, k)), text, True
    return "", "", False


@dataclass(frozen=True, slots=True)
class TextLine:
    """A line that may be a table row: its text and where it is (table 0: the n-th paragraph of the text)."""

    text: str
    table: int
    row: int
    page: int | None = None


def lines_of(paragraphs: Sequence[Paragraph]) -> list[TextLine]:
    return [TextLine(p.text, 0, i, p.page) for i, p in enumerate(paragraphs, start=1)]


def read_text_rows(lines: Sequence[TextLine], spec: Spec) -> TextRows:
    rows = _row_cells(spec)
    unlabelled = [
        (t.key, [c for c in t.cells if c.row.key == r.key]) for t in spec.tables for r in t.rows if r.label_at is None
    ]
    out = TextRows()
    for line in lines:
        split = _split_line(line.text)
        if split is None:
            whole = line.text.replace("|", " ").split()
            # A row without a label (表四's one row of counts): a line of exactly its numbers, once.
            fits = [u for u in unlabelled if whole and all(t.isdigit() for t in whole) and len(whole) == len(u[1])]
            if not fits or fits[0][1][0].key in out.matched.printed:
                continue
            split = ([""], whole)
            key, label = "", ""
            table_key, cells = fits[0]
        else:
            key, label, typo = _which_row(split[0], rows)
            if not key:
                continue
            table_key, cells = rows[key]
            if typo:
                row = cells[0].row
                out.matched.odd.append(
                    OddLabel(table_key, row.label, label, "typo", line.table, line.row, line.page, row.key)
                )
        tokens = split[1]
        keys = {c.key for c in cells}
        relations = [r for r in spec.relations if set(r.lhs) | set(r.rhs) <= keys]
        ways: list[list[str]] = []
        if len(tokens) == len(cells):  # every boundary printed: the values as printed, judged by the checks
            ways = [tokens]
        for i, way in enumerate(() if ways else _splits(tokens, len(cells))):
            if i >= MAX_SPLITS:
                ways = []
                break
            if _holds(relations, {c.key: int(v) for c, v in zip(cells, way, strict=True)}):
                ways.append(way)
        for j, cell in enumerate(cells):
            text = ways[0][j] if len(ways) == 1 else ""
            out.matched.printed.setdefault(
                cell.key, Printed(cell.key, text, line.table, line.row, j + 1, line.page, label, cell.column.label)
            )
        if len(ways) != 1:
            printed = " ".join(tokens)
            readings = [f"可读作 {' '.join(w)}" for w in ways[:12]] or ["没有一种拆分满足本行的勾稽关系"]
            out.uncertain[cells[0].key] = (f"本行数字连写为“{printed}”", *readings)
        out.matched.tables_found.add(table_key)
    return out
