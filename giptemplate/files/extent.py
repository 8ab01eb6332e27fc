"""How large a grid calamine would lay out for a sheet, found in the file's own bytes before calamine sees it.

python-calamine reads a sheet into a dense grid from its first to its last used cell: one cell typed at
XFD1048576 asks for 17 billion cells and aborts the process (a Rust allocation failure, not an exception).
For .xls and .ods it lays out every sheet while opening the workbook. So the extent of each sheet is measured
here, from cell references (.xlsx), BIFF cell records (.xls) or repeated rows and cells (.ods), and a sheet too
large for a report template is refused before calamine is asked to read it.

The measures are upper bounds of what calamine lays out, never below it: a cell without a reference counts as
if each one took a new column, an empty but repeated .ods cell as content.
"""

from __future__ import annotations

import itertools
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

MAX_SHEET_CELLS: Final = 1_000_000  # rows × columns of one sheet (the tables need about 2,000)
MAX_BOOK_CELLS: Final = 3_000_000  # all sheets of a workbook laid out at once (.xls, .ods)
MAX_CANDIDATE_CELLS: Final = 100_000  # a sheet searched for a renamed table or cover is never larger than this

__all__ = [
    "MAX_BOOK_CELLS",
    "MAX_CANDIDATE_CELLS",
    "MAX_SHEET_CELLS",
    "Extent",
    "ods_extents",
    "xls_boolean_formulas",
    "xls_extents",
    "xlsx_extent",
]


@dataclass(frozen=True)
class Extent:
    """Rows and columns from A1 to the farthest cell of a sheet."""

    rows: int
    cols: int

    @property
    def cells(self) -> int:
        return self.rows * self.cols

    @property
    def corner(self) -> str:
        """The farthest cell in A1 notation ("XFD1048576")."""
        letters, c = "", max(self.cols, 1)
        while c:
            c, rem = divmod(c - 1, 26)
            letters = chr(65 + rem) + letters
        return f"{letters}{max(self.rows, 1)}"


EMPTY: Final = Extent(0, 0)

# ---------------------------------------------------------------------------------------------- xlsx

_REF: Final = re.compile(rb'\br="([A-Z]{0,3})([0-9]{1,7})"')
_CELL_TAG: Final = re.compile(rb"<(?:\w+:)?c[\s>/]")
_ROW_TAG: Final = re.compile(rb"<(?:\w+:)?row[\s>/]")


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


_WIDE: Final = re.compile(rb'<c r="[A-Z][A-Z]')
_LONG: Final = re.compile(rb' r="[A-Z]*[0-9]{4}')
SMALL: Final = Extent(999, 26)  # an upper bound, all a sheet without wide columns or long rows needs
_PLAIN_COLUMNS: Final = re.compile(rb'<c r="([A-Z]+)[0-9]')
_PLAIN_ROWS: Final = re.compile(rb'<(?:c r="[A-Z]+|row r=")([0-9]+)"')


def _largest(numbers: set[bytes]) -> int:
    return int(max(numbers, key=lambda n: (len(n.lstrip(b"0")), n.lstrip(b"0")))) if numbers else 0


def xlsx_extent(xml: bytes) -> Extent:
    """The extent of one worksheet part: the largest row and column referenced by ``<row r>`` and ``<c r>``.

    Cells or rows without a reference are placed by calamine one after the other, so their count bounds them.
    Parts written the usual way (unprefixed, ``r`` first) are measured by fast byte searches; others by a
    general pattern.
    """
    cells = xml.count(b"<c ") + xml.count(b"<c>")
    if b"<sheetData" in xml and xml.count(b'<c r="') == cells:
        if _WIDE.search(xml) is None and _LONG.search(xml) is None:
            return SMALL  # the usual sheet of a template: no column past Z, no row past 999
        rows = _largest(set(_PLAIN_ROWS.findall(xml)))
        columns = set(_PLAIN_COLUMNS.findall(xml))
        cols = max((_column(letters) for letters in columns), default=0)
        return Extent(rows, cols)
    rows = cols = refs = 0
    column_letters: set[bytes] = set()
    for letters, number in _REF.findall(xml):
        row = int(number)
        if row > rows:
            rows = row
        if letters:
            refs += 1
            column_letters.add(letters)
    if column_letters:
        cols = max(_column(letters) for letters in column_letters)
    cells = len(_CELL_TAG.findall(xml))
    if cells > refs:  # some cells have no reference: each may take the next column
        cols = max(cols, cells)
        rows = max(rows, len(_ROW_TAG.findall(xml)))
    return Extent(rows, cols)


# ---------------------------------------------------------------------------------------------- xls (BIFF8)

_EOF: Final = 0x000A
_DIMENSIONS: Final = 0x0200
_MULTI: Final = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: row, first column, ..., last column
_CELLS: Final = frozenset({0x0006, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6, 0x0406})


_BOUNDSHEET: Final = 0x0085


def xls_extents(stream: bytes) -> list[Extent]:
    """The extent of each sheet of a BIFF workbook stream.

    Sheets are found as calamine finds them: by the offsets that the workbook globals' BOUNDSHEET records give,
    each read from its BOF to its EOF; the globals themselves and a stream without BOUNDSHEET records are
    scanned from the start as well, so that no cell record escapes the count.
    """
    offsets = [0]
    for kind, body, length in _records(stream, 0):
        if kind == _BOUNDSHEET and length >= 4:
            offsets.append(struct.unpack_from("<I", stream, body)[0])
        elif kind == _EOF:
            break
    out = []
    for offset in offsets:
        rows = cols = 0
        for kind, body, length in _records(stream, offset):
            if kind in _CELLS and length >= 4:
                row, col = struct.unpack_from("<HH", stream, body)
                rows, cols = max(rows, row + 1), max(cols, col + 1)
            elif kind in _MULTI and length >= 6:
                row = struct.unpack_from("<H", stream, body)[0]
                last = struct.unpack_from("<H", stream, body + length - 2)[0]
                rows, cols = max(rows, row + 1), max(cols, last + 1)
            elif kind == _DIMENSIONS and length >= 12:
                # calamine sizes the sheet from both ends: a first row beyond the last is as far as a far cell
                row_start, row_end, col_start, col_end = struct.unpack_from("<IIHH", stream, body)
                rows, cols = max(rows, row_start + 1, row_end), max(cols, col_start + 1, col_end)
            elif kind == _EOF:
                break
        if rows or cols:
            out.append(Extent(rows, cols))
    return out


_FORMULA: Final = 0x0006
_PTG_BOOL: Final = 0x1D


def _sheet_name(stream: bytes, body: int, length: int) -> str:
    """The name in a BOUNDSHEET record (a ShortXLUnicodeString after the offset and two state bytes)."""
    if length < 8:
        return ""
    count, flags = stream[body + 6], stream[body + 7]
    start = body + 8
    if flags & 0x01:
        return stream[start : min(start + 2 * count, body + length)].decode("utf-16-le", "replace")
    return stream[start : min(start + count, body + length)].decode("latin-1")


def xls_boolean_formulas(stream: bytes) -> dict[str, frozenset[tuple[int, int]]]:
    """(row, column) of each cell whose formula is a lone TRUE or FALSE, per sheet name, in a BIFF workbook stream.

    LibreOffice keeps a TRUE typed in Calc as the formula =TRUE(), and in .xls stores its result as the number 1
    when the cell has a number format (a boolean result only in a General cell): the formula's tokens are all
    that tells such a cell from a typed 1. One pass over the records, as bounded as :func:`xls_extents`.
    """
    sheets: list[tuple[str, int]] = []
    for kind, body, length in _records(stream, 0):
        if kind == _BOUNDSHEET and length >= 8:
            sheets.append((_sheet_name(stream, body, length), struct.unpack_from("<I", stream, body)[0]))
        elif kind == _EOF:
            break
    out: dict[str, frozenset[tuple[int, int]]] = {}
    for name, offset in sheets:
        found = set()
        for kind, body, length in _records(stream, offset):
            # FORMULA: row, column, XF, result (8), flags (2), chn (4), cce (2), then cce bytes of tokens
            if kind == _FORMULA and length >= 24:
                size = struct.unpack_from("<H", stream, body + 20)[0]
                if size == 2 and stream[body + 22] == _PTG_BOOL:
                    found.add(struct.unpack_from("<HH", stream, body))
            elif kind == _EOF:
                break
        if found:
            out[name] = frozenset(found)
    return out


def _records(stream: bytes, at: int) -> Iterator[tuple[int, int, int]]:
    """(type, offset of the body, length) of each record from ``at``, up to one that runs past the end."""
    end = len(stream)
    while at >= 0 and at + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, at)
        body = at + 4
        if body + length > end:
            return
        yield kind, body, length
        at = body + length


# ---------------------------------------------------------------------------------------------- ods

_TABLE: Final = re.compile(rb"<table:table[\s>]")
_ROW: Final = re.compile(rb"<table:table-row\b([^>]*?)(/?)>")
_ODS_CELL: Final = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*?)(/?)>")
_ROWS_REPEATED: Final = re.compile(rb'table:number-rows-repeated="([0-9]+)"')
_COLS_REPEATED: Final = re.compile(rb'table:number-columns-repeated="([0-9]+)"')
_VALUE: Final = re.compile(rb"office:value-type=")


def _repeat(pattern: re.Pattern[bytes], attrs: bytes) -> int:
    found = pattern.search(attrs)
    return int(found.group(1)) if found else 1


def ods_extents(content: bytes) -> list[Extent]:
    """The extent of each table of an ODS content.xml, counting repeated rows and cells.

    Rows and cells that hold a value, text or a repeated cell count; a row of only empty, unrepeated cells
    does not move the last row (LibreOffice ends tables with huge repeated empty rows, which calamine skips).
    """
    out: list[Extent] = []
    starts = [m.start() for m in _TABLE.finditer(content)] + [len(content)]
    for start, stop in itertools.pairwise(starts):
        rows = cols = row_at = 0
        for row in _ROW.finditer(content, start, stop):
            repeat = _repeat(_ROWS_REPEATED, row.group(1))
            last_col = 0
            if not row.group(2):  # <table:table-row …> with cells
                close = content.find(b"</table:table-row>", row.end(), stop)
                close = stop if close < 0 else close
                col_at = 0
                for cell in _ODS_CELL.finditer(content, row.end(), close):
                    span = _repeat(_COLS_REPEATED, cell.group(1))
                    filled = not cell.group(2) or _VALUE.search(cell.group(1)) is not None
                    col_at += span
                    if filled:
                        last_col = col_at
            if last_col:
                rows, cols = row_at + repeat, max(cols, last_col)
            row_at += repeat
        out.append(Extent(rows, cols))
    return out
