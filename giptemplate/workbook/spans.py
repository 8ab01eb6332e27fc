"""Rows whose value cells share the grid's columns unevenly, and the layouts people give them.

2019's 第二十条第（八）项 and （九）项 print two values in a grid of three value columns: the spec merges the second
across two (B, C:D). Real files differ: some merge the first (B:C, D), some leave all three unmerged with the
second value in C or in D, some move the headers above to match. The spec decides the template's grid; this module
decides, for one such row of a file, which cell each value belongs to, or that it cannot be told.

The rule: a value belongs to the cell whose columns it stands in. The columns come from what the file shows: its
merges across the row (when they cut the row into as many pieces as it has values) and the headers above it (when
each value's header is found in the header row); the template's own columns only when the file shows neither.
A piece holding two values, a value hidden under a merged range (kept by LibreOffice's "keep the contents of hidden
cells" when merging: the file holds it, nobody sees it), or two readings of the file that disagree, is ambiguous:
that cell is not read.

Pure positions, no workbook: a row's span is numbered 0..width-1 from its first grid column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from giptemplate.format.spec import GridRange, Table

Segment = tuple[int, int]  # first and last position of one cell within a span, inclusive
Outcome = Literal["at", "blank", "ambiguous"]


@dataclass(frozen=True)
class SpanRow:
    """A data row of a table whose input cells cover more grid columns than they are cells."""

    row_key: str
    row: int  # grid row of the values
    first: int  # the grid columns the values span
    last: int
    cells: tuple[str, ...]  # cell keys, left to right
    template: tuple[Segment, ...]  # each cell's columns in the template
    headers: tuple[GridRange, ...] | None  # the header naming each cell, all in one row above (None: not printed)

    @property
    def width(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class Reading:
    """Where one cell's value is: at one position, blank (its first position), or ambiguous between positions."""

    outcome: Outcome
    positions: tuple[int, ...]


def span_rows(table: Table) -> tuple[SpanRow, ...]:
    """The rows of a table whose input cells span more columns than they are, cells side by side with no gap."""
    by_row: dict[str, list[GridRange]] = {}
    keys: dict[str, list[str]] = {}
    columns: dict[str, str] = {}
    derived_rows = {c.row.key for c in table.cells if c.derived}
    for cell in sorted(table.cells, key=lambda c: c.at.first_col):
        by_row.setdefault(cell.row.key, []).append(cell.at)
        keys.setdefault(cell.row.key, []).append(cell.key)
        columns[cell.key] = cell.column.label
    out = []
    for row in table.rows:
        ats = by_row.get(row.key, [])
        if row.key in derived_rows or not any(at.first_col != at.last_col for at in ats):
            continue
        if any(b.first_col != a.last_col + 1 for a, b in pairwise(ats)):
            continue  # cells with a gap between them: not one span
        first, last = ats[0].first_col, ats[-1].last_col
        template = tuple((at.first_col - first, at.last_col - first) for at in ats)
        out.append(
            SpanRow(
                row.key,
                row.row,
                first,
                last,
                tuple(keys[row.key]),
                template,
                _headers(table, row.row, ats, [columns[k] for k in keys[row.key]]),
            )
        )
    return tuple(out)


def _headers(table: Table, row: int, ats: Sequence[GridRange], labels: Sequence[str]) -> tuple[GridRange, ...] | None:
    """The printed header of each cell: its column's label over exactly its columns, in the nearest row above that
    has one for every cell."""
    printed = [(h, text) for h, text, _ in table.fixed_texts()]
    for above in range(row - 1, -1, -1):
        found = []
        for at, label in zip(ats, labels, strict=True):
            match = next(
                (
                    h
                    for h, text in printed
                    if (h.first_row, h.first_col, h.last_col) == (above, at.first_col, at.last_col) and text == label
                ),
                None,
            )
            if match is None:
                break
            found.append(match)
        else:
            return tuple(found)
    return None


def segments_of(merged: Iterable[Segment], width: int) -> tuple[Segment, ...]:
    """The pieces a row's span is cut into by merged ranges (clipped to the span); each other position alone."""
    covered: dict[int, Segment] = {}
    for a, b in merged:
        a, b = max(a, 0), min(b, width - 1)
        if a <= b:
            for p in range(a, b + 1):
                covered[p] = (a, b)
    out: list[Segment] = []
    p = 0
    while p < width:
        piece = covered.get(p, (p, p))
        out.append(piece)
        p = piece[1] + 1
    return tuple(out)


def header_segments(starts: Sequence[int], width: int) -> tuple[Segment, ...] | None:
    """Each cell's columns as its header shows them: from its header's column to the next header's; the first from
    the span's start, the last to its end. None unless the headers stand left to right in distinct columns."""
    if any(b <= a for a, b in pairwise(starts)) or not starts:
        return None
    if starts[0] < 0 or starts[-1] >= width:
        return None
    ends = [s - 1 for s in starts[1:]] + [width - 1]
    return tuple((0 if i == 0 else s, e) for i, (s, e) in enumerate(zip(starts, ends, strict=True)))


def assign(segments: Sequence[Segment], filled: Sequence[bool], hidden: Sequence[bool] = ()) -> list[Reading]:
    """One reading of the row: each cell's value is the one filled position within its columns (never a hidden one)."""
    out = []
    for a, b in segments:
        inside = tuple(p for p in range(a, b + 1) if filled[p])
        if not inside:
            out.append(Reading("blank", (a,)))
        elif len(inside) == 1 and not (hidden and hidden[inside[0]]):
            out.append(Reading("at", inside))
        else:
            out.append(Reading("ambiguous", inside))
    return out


def hidden_positions(merged: Iterable[Segment], width: int) -> list[bool]:
    """The positions a merged range covers without showing them (all but its first)."""
    out = [False] * width
    for a, b in merged:
        for p in range(max(a + 1, 0), min(b, width - 1) + 1):
            out[p] = True
    return out


def resolve(
    template: Sequence[Segment],
    observed: Sequence[Sequence[Segment]],
    filled: Sequence[bool],
    hidden: Sequence[bool] = (),
) -> list[Reading]:
    """Each cell's reading: by what the file shows (``observed``: its merges, its headers), by the template when it
    shows nothing. A cell that any reading finds ambiguous, or that two readings place differently, is ambiguous
    between the filled positions they name."""
    sources = [s for s in observed if len(s) == len(template)] or [template]
    readings = [assign(s, filled, hidden) for s in sources]
    out = []
    for i, home in enumerate(template):
        seen = [r[i] for r in readings]
        if all(r.outcome == "blank" for r in seen):
            # a blank cell keeps its template place when that lies within its columns as the file shows them
            inside = all(s[i][0] <= home[0] <= s[i][1] for s in sources)
            out.append(Reading("blank", (home[0],)) if inside else seen[0])
        elif all(r == seen[0] for r in seen) and seen[0].outcome == "at":
            out.append(seen[0])
        else:
            positions = sorted({p for r in seen for p in r.positions if filled[p]})
            out.append(Reading("ambiguous", tuple(positions)))
    return out
