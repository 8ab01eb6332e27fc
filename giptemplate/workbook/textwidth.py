"""How wide Chinese text is, and how tall a wrapped spreadsheet row must be to show it in full.

xlsxwriter cannot autofit, and Excel does not refit rows of files it did not write itself, so every sheet we
write sizes its wrapped rows from these estimates (Excel column width units: a CJK character counts 2).
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Sequence

POINTS_PER_LINE = 15.0
MAX_ROW_POINTS = 409.0  # Excel's limit


class _CharWidths(dict[str, int]):
    """Each character's columns, looked up once per character (a summary sizes the rows of tens of thousands of
    messages, made of a few hundred distinct characters)."""

    def __missing__(self, ch: str) -> int:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            width = 0
        else:
            width = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        self[ch] = width
        return width


_WIDTHS = _CharWidths()


def display_width(text: str) -> int:
    """Columns a monospace editor gives the text: wide and full-width characters 2, combining marks 0."""
    if text.isascii():  # no ASCII character is wide or combining or a format character
        return len(text)
    return sum(map(_WIDTHS.__getitem__, text))


@functools.lru_cache(maxsize=4096)
def wrapped_lines(text: str, width: float) -> int:
    """Lines the text takes when wrapped in a column (or merged columns) of the given width."""
    usable = max(width - 1.5, 1.0)
    return max(1, sum(math.ceil(max(display_width(line), 1) / usable) for line in text.split("\n")))


def row_lines(cells: Sequence[tuple[str, float]]) -> int:
    return max((wrapped_lines(text, width) for text, width in cells), default=1)


def fitted_height(cells: Sequence[tuple[str, float]], minimum: float = 0.0) -> float:
    """A row height (points) that shows every (text, column width) of the row in full when wrapped."""
    return lines_height(row_lines(cells), minimum)


def lines_height(lines: int, minimum: float = 0.0) -> float:
    """A row height (points) that shows ``lines`` lines of text."""
    return min(MAX_ROW_POINTS, max(minimum, POINTS_PER_LINE * lines + 4))
