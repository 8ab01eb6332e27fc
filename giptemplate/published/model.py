"""What a published report holds once loaded, whatever its file type: paragraphs and tables in reading order.

Loaders (HTML, Word, PDF, plain text) only record what the document prints, with where it prints it (page,
table, row, column); matching it to the spec's labels is :mod:`giptemplate.published.match`'s job.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

DocumentKind = Literal["html", "docx", "pdf", "text"]


@dataclass(eq=False, slots=True)
class DocCell:
    """One printed cell: its text as printed and the top-left slot it occupies in its table's grid.

    A merged cell is one object placed in every grid slot it covers, so it is counted once (compare by identity).
    """

    text: str
    row: int
    col: int
    page: int | None = None


@dataclass(eq=False)
class DocTable:
    """One table of the document as a full grid (merged cells repeated by reference, ``None`` where nothing is)."""

    index: int  # 1-based, in reading order
    grid: list[list[DocCell | None]]
    pages: tuple[int, ...] = ()
    x_edges: tuple[float, ...] = ()  # PDF: the column boundaries on the page, left to right
    # PDF: the columns of the last row whose cells the page's end left open (no rule below them): cut by a page
    # break, they go on at the top of the next page's part of the table.
    cut_cols: frozenset[int] = frozenset()

    @property
    def width(self) -> int:
        return max((len(r) for r in self.grid), default=0)

    def row_cells(self, r: int) -> list[DocCell]:
        """The distinct cells of grid row ``r`` that start or continue on it, left to right."""
        seen: list[DocCell] = []
        for cell in self.grid[r]:
            if cell is not None and not any(cell is s for s in seen):
                seen.append(cell)
        return seen


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    page: int | None = None


Block = Paragraph | DocTable


@dataclass(frozen=True, slots=True)
class LooseLine:
    """PDF: one printed line outside the ruled tables, as words with their left and right x (a table drawn
    without rules is read from these lines by :mod:`giptemplate.published.unruled`)."""

    page: int
    line: int  # 1-based line of the page
    top: float
    bottom: float
    words: tuple[tuple[float, float, str], ...]


@dataclass
class Document:
    """A published report as loaded: its kind, title, the blocks in reading order and the page count (PDF)."""

    kind: DocumentKind
    title: str = ""
    blocks: list[Block] = field(default_factory=list)
    pages: int = 0
    loose_lines: list[LooseLine] = field(default_factory=list)  # PDF: the lines outside the ruled tables

    @property
    def tables(self) -> list[DocTable]:
        return [b for b in self.blocks if isinstance(b, DocTable)]

    @property
    def paragraphs(self) -> Iterator[Paragraph]:
        return (b for b in self.blocks if isinstance(b, Paragraph))


Span = tuple[str, int, int]  # text, rowspan, colspan


def build_grid(rows: Sequence[Sequence[Span]], page: int | None = None) -> list[list[DocCell | None]]:
    """Lay out rows of (text, rowspan, colspan) cells as HTML and Word do: each cell takes the next free slot."""
    grid: list[list[DocCell | None]] = []

    def slot_free(r: int, c: int) -> bool:
        while len(grid) <= r:
            grid.append([])
        return c >= len(grid[r]) or grid[r][c] is None

    def put(r: int, c: int, cell: DocCell) -> None:
        while len(grid) <= r:
            grid.append([])
        row = grid[r]
        while len(row) <= c:
            row.append(None)
        row[c] = cell

    for r, cells in enumerate(rows):
        c = 0
        for text, rowspan, colspan in cells:
            while not slot_free(r, c):
                c += 1
            cell = DocCell(text, r, c, page)
            for dr in range(max(1, rowspan)):
                for dc in range(max(1, colspan)):
                    put(r + dr, c + dc, cell)
            c += max(1, colspan)
        if not cells:
            slot_free(r, 0)
    width = max((len(r) for r in grid), default=0)
    for row in grid:
        row.extend([None] * (width - len(row)))
    return grid
