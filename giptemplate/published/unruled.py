"""Tables a PDF draws without rules (a web page whose table has no borders, printed by a browser; a Word table
in the "Normal Table" style), read from the page's printed lines by their labels.

A line that ends in numbers is a row when its label is a spec row's label. A label wrapped over several lines
(above and below the line of numbers, as a cell centred or aligned at the top prints it) is joined from the lines
around, column by column (words whose extents overlap are one cell), taking the fewest lines that make a spec
label exactly; the last column's text is the row's own label, the ones before it its groups.

A row's numbers go to its cells in the spec's column order when there are as many numbers as cells. When there
are fewer (a cell printed blank), each number is put in the column whose position it takes in the rows of the
same table that print every cell; a row that cannot be placed that way is left blank with a finding (P803),
never guessed.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from giptemplate.format.spec import Cell, Spec
from giptemplate.published.digits import TextRows, _row_cells, _which_row
from giptemplate.published.match import OddLabel, Printed
from giptemplate.published.model import LooseLine
from giptemplate.workbook.normalise import label_key

_NUMBER = re.compile(r"^[-+]?\d[\d,]*(?:\.\d+)?(?:万元|元|笔|件|项|个)?$")
MAX_WRAP = 3  # lines around a row where its stray numbers are looked for
LABEL_LINES = 14  # label lines looked for above and below a row's numbers (a narrow cell wraps a label a lot)
MIN_TYPO_CHARS = 4  # a label read as a mis-typed spec label only when it is this long (short ones match anything)
UNRULED_TABLE = -1  # Printed.table of a value read from a table without rules


@dataclass
class _Anchor:
    line: LooseLine
    labels: list[tuple[float, float, str]]  # the label words
    numbers: list[tuple[float, str]]  # (x centre, text)


def _anchor(line: LooseLine) -> _Anchor | None:
    """The line's label words and trailing numbers (None when it does not end in a number)."""
    words = list(line.words)
    numbers: list[tuple[float, str]] = []
    while words and _NUMBER.match(words[-1][2]):
        x0, x1, text = words.pop()
        numbers.insert(0, ((x0 + x1) / 2, text))
    return _Anchor(line, words, numbers) if numbers else None


def _columns(words: Sequence[tuple[float, float, str, float]]) -> list[str]:
    """Label words (x0, x1, text, line order) grouped into cells by overlapping extents, each read top to bottom."""
    groups: list[list[tuple[float, float, str, float]]] = []
    for word in sorted(words, key=lambda w: w[0]):
        if groups and word[0] < max(w[1] for w in groups[-1]) - 0.5:
            groups[-1].append(word)
        else:
            groups.append([word])
    return ["".join(w[2] for w in sorted(g, key=lambda w: (round(w[3]), w[0]))) for g in groups]


def _label_parts(anchor: _Anchor, above: Sequence[LooseLine], below: Sequence[LooseLine]) -> list[str]:
    """The label cells of a row whose label lines are ``above`` and ``below`` its line of numbers; each word is
    ordered by its line's place in reading order (a label may go on at the top of the next page)."""
    limit = anchor.numbers[0][0] - 1
    words = [(x0, x1, t, float(len(above))) for x0, x1, t in anchor.labels]
    for k, line in enumerate(above):
        words += [(x0, x1, t, float(k)) for x0, x1, t in line.words if x1 <= limit]
    for k, line in enumerate(below, start=len(above) + 1):
        words += [(x0, x1, t, float(k)) for x0, x1, t in line.words if x1 <= limit]
    return _columns(words)


def _exact(parts: Sequence[str], rows: dict[str, tuple[str, list[Cell]]]) -> tuple[str, str] | None:
    for text in [*reversed(parts), "".join(parts)]:
        if label_key(text) in rows:
            return label_key(text), text
    return None


def read_unruled(lines: Sequence[LooseLine], spec: Spec, skip_tables: set[str]) -> TextRows:
    """The spec cells printed in tables without rules (tables in ``skip_tables`` were read from ruled ones)."""
    rows = {k: v for k, v in _row_cells(spec).items() if v[0] not in skip_tables}
    unlabelled = [
        (t.key, [c for c in t.cells if c.row.key == r.key])
        for t in spec.tables
        for r in t.rows
        if r.label_at is None and t.key not in skip_tables
    ]
    out = TextRows()
    anchors: list[tuple[int, _Anchor]] = [(i, a) for i, line in enumerate(lines) if (a := _anchor(line)) is not None]
    found: list[tuple[_Anchor, str, str, list[Cell]]] = []
    taken: set[str] = set()  # the unlabelled rows read (表四's one row of counts: once)
    where_of = {id(a): i for i, a in anchors}
    merged: set[int] = set()  # lines of numbers taken into a row read from another line
    for n, (i, anchor) in enumerate(anchors):
        lo = anchors[n - 1][0] + 1 if n else 0
        hi = anchors[n + 1][0] if n + 1 < len(anchors) else len(lines)
        page = anchor.line.page
        # A label may run on over a page break (the lines of the next page before its next row).
        above = list(lines[max(lo, i - LABEL_LINES) : i])
        below = list(lines[i + 1 : min(hi, i + 1 + LABEL_LINES)])
        match: tuple[str, str] | None = None
        for size in range(len(above) + len(below) + 1):
            for up in range(min(size, len(above)), -1, -1):
                down = size - up
                if down > len(below):
                    continue
                match = _exact(_label_parts(anchor, above[len(above) - up :], below[:down]), rows)
                if match:
                    break
            if match:
                break
        typo = False
        if match is None and not anchor.labels:
            # A line of numbers only: a row whose label sits on the lines around it did not match, so it is
            # the spec's unlabelled row (表四's one row of counts), once, when it has as many numbers.
            whole = [t for _, t in anchor.numbers]
            fits = [u for u in unlabelled if len(whole) == len(u[1]) and u[0] not in taken]
            if fits:
                taken.add(fits[0][0])
                found.append((anchor, "", fits[0][0], fits[0][1]))
            continue
        if match is None:
            own = _label_parts(anchor, [], [])
            if not own or len(label_key(own[-1])) < MIN_TYPO_CHARS:
                continue
            key, text, typo = _which_row(own, rows)
            if not key:
                continue
            match = (key, text)
        table_key, cells = rows[match[0]]
        again = next((f for f in found if f[3] is cells), None)
        if again is not None:
            # The same label read from another line of numbers near it: one row whose cells sit on two lines.
            if abs(where_of[id(again[0])] - i) <= 2 * MAX_WRAP:
                again[0].numbers = sorted([*again[0].numbers, *anchor.numbers])
                merged.add(id(anchor))
            continue
        if typo:
            row = cells[0].row
            out.matched.odd.append(
                OddLabel(table_key, row.label, match[1], "typo", UNRULED_TABLE, anchor.line.line, page, row.key)
            )
        found.append((anchor, match[1], table_key, cells))
    _gather_stray_numbers(lines, [(i, a) for i, a in anchors if id(a) not in merged], found)
    _place_numbers(found, out)
    _unsure_blanks(lines, [(i, a) for i, a in anchors if id(a) not in merged], found, out)
    return out


def _unsure_blanks(
    lines: Sequence[LooseLine],
    anchors: Sequence[tuple[int, _Anchor]],
    found: Sequence[tuple[_Anchor, str, str, list[Cell]]],
    out: TextRows,
) -> None:
    """A cell placed blank while a number the rows did not take is printed near it, under its column: that
    number may be the cell's, so the row is left blank with a finding rather than read with a blank."""
    where = {id(a): i for i, a in anchors}
    used = {id(a) for a, _, _, _ in found}
    loose = [(i, x) for i, a in anchors if id(a) not in used for x, _ in a.numbers]
    for anchor, _, _, cells in found:
        printed = [out.matched.printed.get(c.key) for c in cells]
        blanks = [j for j, p in enumerate(printed) if p is not None and p.text == "" and c_key_known(cells[j], out)]
        if not blanks or cells[0].key in out.uncertain:
            continue
        i = where.get(id(anchor), -MAX_WRAP * 9)
        xs = sorted(x for x, _ in anchor.numbers)
        near = [x for k, x in loose if abs(k - i) <= MAX_WRAP and lines[k].page == anchor.line.page]
        if near and xs:
            numbers = ", ".join(p.text for p in printed if p is not None and p.text)
            out.uncertain[cells[0].key] = (
                f"无框线表格中本行有空白单元格，而附近另有未归属的数字，无法确定空白是否属实（本行读到 {numbers}）",
            )
            for cell in cells:
                old = out.matched.printed[cell.key]
                out.matched.printed[cell.key] = Printed(
                    cell.key, "", old.table, old.row, old.col, old.page, old.row_label, old.col_label
                )


def c_key_known(cell: Cell, out: TextRows) -> bool:
    return cell.key in out.matched.printed


def _gather_stray_numbers(
    lines: Sequence[LooseLine],
    anchors: Sequence[tuple[int, _Anchor]],
    found: Sequence[tuple[_Anchor, str, str, list[Cell]]],
) -> None:
    """Numbers printed on a line of their own next to a row (a cell aligned to its top or bottom while the others
    are centred) belong to the nearest row read: they are added to its numbers, to be placed by position."""
    rows = {id(a) for a, _, _, _ in found}
    where = {id(a): i for i, a in anchors}
    read = [(where[id(a)], a) for a, _, _, _ in found if id(a) in where]
    for i, stray in anchors:
        if id(stray) in rows or stray.labels:
            continue
        near = [(abs(_mid(lines[j]) - _mid(lines[i])), a) for j, a in read if abs(j - i) <= MAX_WRAP]
        near = [n for n in near if lines[i].page == n[1].line.page]
        if near:
            _, row = min(near, key=lambda n: n[0])
            row.numbers = sorted([*row.numbers, *stray.numbers])


def _mid(line: LooseLine) -> float:
    return (line.top + line.bottom) / 2


def _place_numbers(found: Sequence[tuple[_Anchor, str, str, list[Cell]]], out: TextRows) -> None:
    # Where each column's numbers sit, from the rows of a table that print every cell.
    full: dict[tuple[str, int], list[list[float]]] = {}
    for anchor, _, table_key, cells in found:
        if len(anchor.numbers) == len(cells):
            full.setdefault((table_key, len(cells)), []).append([x for x, _ in anchor.numbers])
    centres = {k: [statistics.median(xs) for xs in zip(*v, strict=True)] for k, v in full.items()}
    for anchor, label, table_key, cells in found:
        if cells[0].key in out.matched.printed:
            continue
        texts: list[str] | None = [t for _, t in anchor.numbers] if len(anchor.numbers) == len(cells) else None
        model = centres.get((table_key, len(cells)))
        if model is not None and (texts is None or _misplaced(anchor.numbers, model)):
            texts = _by_position(anchor.numbers, model) if len(anchor.numbers) <= len(cells) else None
        line = anchor.line
        for j, cell in enumerate(cells):
            text = texts[j] if texts is not None else ""
            out.matched.printed[cell.key] = Printed(
                cell.key, text, UNRULED_TABLE, line.line, j + 1, line.page, label, cell.column.label
            )
        if texts is None:
            printed = " ".join(t for _, t in anchor.numbers)
            out.uncertain[cells[0].key] = (
                f"无框线表格中本行印有 {len(anchor.numbers)} 个数字“{printed}”，本行有 {len(cells)} 个单元格，"
                "无法确定各数字所在的列",
            )
        out.matched.tables_found.add(cells[0].table)


def _misplaced(numbers: Sequence[tuple[float, str]], centres: Sequence[float]) -> bool:
    """Whether numbers as many as the cells do not sit one under each column (then they are placed by position)."""
    return len(numbers) == len(centres) and _by_position(numbers, centres) is None


def _by_position(numbers: Sequence[tuple[float, str]], centres: Sequence[float]) -> list[str] | None:
    """Each number in the column whose centre is nearest (within half the gap to the next column); None when two
    numbers fall in one column or one falls between columns."""
    gap = min((b - a for a, b in itertools.pairwise(centres)), default=0.0)
    texts = [""] * len(centres)
    for x, text in numbers:
        j = min(range(len(centres)), key=lambda k: abs(centres[k] - x))
        if texts[j] or (gap and abs(centres[j] - x) > gap / 2):
            return None
        texts[j] = text
    return texts
