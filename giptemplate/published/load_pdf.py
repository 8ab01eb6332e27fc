"""Load a PDF with a text layer into a :class:`Document` through pdfplumber.

Each page's ruled tables are found by their lines (what Word, WPS and LibreOffice exports and browser prints of
bordered tables draw); a merged cell is one cell, whatever columns or rows it covers. The text outside the
tables becomes paragraphs, one per printed line, in reading order with the tables. A table cut by a page break
is two tables here; :mod:`giptemplate.published.match` continues the first with the second. A PDF with no
characters at all is a scan (refused by the caller).
"""

from __future__ import annotations

import io
import itertools
import logging
import re
import unicodedata
from typing import Any

import pdfplumber

from giptemplate.published.load_html import clean
from giptemplate.published.model import DocCell, DocTable, Document, LooseLine, Paragraph

MAX_PAGES = 300
# pdfminer warns on every odd font descriptor (Chromium's CJK subsets): noise for a reader of many files.
logging.getLogger("pdfminer").setLevel(logging.ERROR)
# Chromium and some PDF writers map common ideographs to CJK/Kangxi radicals (⼀ U+2F00 for 一, ⼆ for 二): the
# text layer then differs from what the page shows. NFKC folds them back.
_RADICALS = re.compile("[\u2e80-\u2fdf]")
_NUMBER = re.compile(r"^[\d.,，\s%-]+$")
# A number and its unit word come from two fonts (Latin digits, CJK unit) whose advance widths leave a gap that
# the text layer reads as a space ("2 笔" where the page prints "2笔").
# Latin digits set in another font than the CJK text around them sit up to ~5 pt lower on the line (DejaVu
# beside Noto CJK in a browser's print): within this many points, characters are on one line.
_Y_TOLERANCE = 5
_UNIT_GAP = re.compile(r"(?<=\d)\s+(?=[\u4e00-\u9fff])")


def _text(text: str) -> str:
    return clean(_RADICALS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text))


_TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines", "intersection_tolerance": 4}


def _cell_texts(table: Any) -> dict[tuple[float, ...], str]:
    """Each cell box's text (pdfplumber assigns characters to cells by their centre)."""
    texts: dict[tuple[float, ...], str] = {}
    for row, row_texts in zip(table.rows, table.extract(x_tolerance=1.5), strict=False):
        for bbox, text in zip(row.cells, row_texts, strict=False):
            if bbox is not None:
                # Lines inside a cell are one label or number broken by the cell width ("（二）部分公开（区分…").
                texts[tuple(bbox)] = _UNIT_GAP.sub("", _text((text or "").replace("\n", "")))
    return texts


def _grid(table: Any, page_no: int) -> tuple[list[list[DocCell | None]], tuple[float, ...]]:
    """The table's grid with each merged cell placed in every slot its box covers, and its column edges."""
    texts = _cell_texts(table)
    xs = sorted({round(x, 1) for cell in table.cells for x in (cell[0], cell[2])})
    ys = sorted({round(y, 1) for cell in table.cells for y in (cell[1], cell[3])})
    cols = _edges(xs)
    rows = _edges(ys)
    grid: list[list[DocCell | None]] = [[None] * (len(cols) - 1) for _ in range(len(rows) - 1)]
    for box in table.cells:
        c0, c1 = _index(cols, box[0]), _index(cols, box[2])
        r0, r1 = _index(rows, box[1]), _index(rows, box[3])
        if c1 <= c0 or r1 <= r0:
            continue
        cell = DocCell(texts.get(tuple(box), ""), r0, c0, page_no)
        for r in range(r0, r1):
            for c in range(c0, c1):
                grid[r][c] = cell
    return grid, tuple(cols)


def _loose_lines(page: Any, page_no: int) -> list[LooseLine]:
    """The page's words outside its ruled tables, in printed lines (words whose tops are within 3 pt)."""
    words = sorted(page.extract_words(x_tolerance=1.5, y_tolerance=3), key=lambda w: (w["top"], w["x0"]))
    lines: list[list[dict[str, Any]]] = []
    for word in words:
        if lines and abs(word["top"] - lines[-1][0]["top"]) <= _Y_TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [
        LooseLine(
            page_no,
            i,
            min(w["top"] for w in line),
            max(w["bottom"] for w in line),
            tuple((w["x0"], w["x1"], _text(w["text"])) for w in sorted(line, key=lambda w: w["x0"])),
        )
        for i, line in enumerate(lines, start=1)
    ]


def _open_bottom(page: Any, table: Any, found: DocTable) -> tuple[float, float, float, float] | None:
    """Fill the last row's cells that a page break left open: a browser stops a tall cell's side rules at the
    page's end and draws no rule below it, so no cell box is found there, and the cell's text runs on below the
    table. The open cells are told apart by their side rules; each holds the characters printed in it down to the
    page's end, and its column is marked cut (the cell goes on at the top of the next page). Returns the box those
    characters take, to keep them out of the paragraphs."""
    grid = found.grid
    if len(grid) < 2 or not found.x_edges or all(cell is not None for cell in grid[-1]):
        return None
    bottom = table.bbox[3]
    row_top = min((b[1] for b in table.cells if abs(b[3] - bottom) < 2), default=bottom)
    open_x = [
        (found.x_edges[c], found.x_edges[c + 1]) for c, cell in enumerate(grid[-1]) if cell is None
    ]  # fmt: skip
    sides = {
        round(e["x0"], 1)
        for e in page.vertical_edges
        if e["top"] < bottom - 1 and e["bottom"] > row_top + 1 and any(a < e["x0"] < b for a, b in open_x)
    }
    edges = tuple(_edges(sorted(set(found.x_edges) | sides)))
    if len(edges) != len(found.x_edges):
        _widen(found, edges)
    r = len(found.grid) - 1
    cut: set[int] = set()
    bottoms: list[float] = []
    spans: list[float] = []
    for c, cell in enumerate(found.grid[r]):
        if cell is not None:
            continue
        left, right = found.x_edges[c], found.x_edges[c + 1]
        chars = [
            ch
            for ch in page.chars
            if left <= (ch["x0"] + ch["x1"]) / 2 <= right
            and row_top - 1 <= ch["top"] <= bottom + 3 * max(ch["size"], 1.0)
        ]
        chars.sort(key=lambda ch: (round(ch["top"]), ch["x0"]))
        found.grid[r][c] = DocCell(_text("".join(ch["text"] for ch in chars)), r, c, found.pages[0])
        cut.add(c)
        if chars:
            bottoms.append(max(ch["bottom"] for ch in chars))
            spans += [left, right]
    found.cut_cols = frozenset(cut)
    return (min(spans), row_top, max(spans), max(bottoms) + 0.5) if bottoms else None


def _edges(values: list[float], tolerance: float = 2.0) -> list[float]:
    edges: list[float] = []
    for v in values:
        if not edges or v - edges[-1] > tolerance:
            edges.append(v)
    return edges


def _index(edges: list[float], value: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - value))


def _find_tables(page: Any) -> list[Any]:
    """The page's ruled tables, closed where a page break left them open: browsers and WPS draw no rule above
    the first row of a table continued on a new page (or below its last row), and without it that row is lost.
    Where a table's vertical rules run on past its top or bottom, a rule is added at their end."""
    tables = page.find_tables(_TABLE_SETTINGS)
    extra: list[float] = []
    for table in tables:
        x0, top, x1, bottom = table.bbox
        edges = [e for e in page.vertical_edges if x0 - 1 <= e["x0"] <= x1 + 1]
        above = [e["top"] for e in edges if e["top"] < top - 1 and e["bottom"] >= top - 1]
        below = [e["bottom"] for e in edges if e["bottom"] > bottom + 1 and e["top"] <= bottom + 1]
        extra += [min(above)] if above else []
        extra += [max(below)] if below else []
    if not extra:
        return list(tables)
    return list(page.find_tables({**_TABLE_SETTINGS, "explicit_horizontal_lines": extra}))


def load_pdf(data: bytes) -> Document:
    document = Document("pdf")
    index = 0
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        document.pages = len(pdf.pages)
        document.title = clean(str((pdf.metadata or {}).get("Title", "") or ""))
        for page_no, page in enumerate(pdf.pages[:MAX_PAGES], start=1):
            if not page.chars:
                continue
            tables = _find_tables(page)
            boxes = [t.bbox for t in tables]

            def outside(obj: dict[str, Any], boxes: list[tuple[float, float, float, float]] = boxes) -> bool:
                x = (obj["x0"] + obj["x1"]) / 2
                y = (obj["top"] + obj["bottom"]) / 2
                return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

            tables_found: list[DocTable] = []
            for table in tables:
                index += 1
                grid, edges = _grid(table, page_no)
                found = DocTable(index, grid, (page_no,), edges)
                box = _open_bottom(page, table, found)
                if box is not None:
                    boxes.append(box)
                tables_found.append(found)

            items: list[tuple[float, Paragraph | DocTable]] = []
            loose = page.filter(outside)
            # A page that holds a ruled table grid has its tables read from that grid: its loose lines (words
            # with positions, the costly part) are only gathered where no table is ruled.
            if not any(len(t.grid) >= 2 and t.width >= 2 for t in tables_found):
                document.loose_lines.extend(_loose_lines(loose, page_no))
            for line in loose.extract_text_lines(x_tolerance=1.5, y_tolerance=_Y_TOLERANCE):
                text = _text(line["text"])
                if text:
                    items.append((line["top"], Paragraph(text, page_no)))
            for table, found in zip(tables, tables_found, strict=True):
                items.append((table.bbox[1], found))
            items.sort(key=lambda item: item[0])
            document.blocks.extend(block for _, block in items)
            page.flush_cache()
    _join_split_rows(document)
    _renumber(document)
    return document


def _align_columns(before: DocTable, after: DocTable) -> None:
    """Give the two parts of a table cut by a page break the same columns: a browser draws no rule where a
    merged cell covers a column boundary on that page, so one part may show fewer columns than the other."""
    if not before.x_edges or not after.x_edges:
        return
    union = tuple(_edges(sorted({*before.x_edges, *after.x_edges})))
    if len(union) == len(before.x_edges) == len(after.x_edges):
        return
    # Each part may lack a boundary the other has (a group cell open on both sides of the break hides its left
    # rule on the next page, while the previous page had no row splitting the label columns): when the parts
    # share all but a couple of boundaries, both take the union.
    subset = len(union) == max(len(before.x_edges), len(after.x_edges))
    if not subset and len(union) - min(len(before.x_edges), len(after.x_edges)) > 2:
        return
    for table in (before, after):
        if len(table.x_edges) != len(union):
            _widen(table, union)


def _widen(table: DocTable, edges: tuple[float, ...], tolerance: float = 2.0) -> None:
    index = []
    for x in table.x_edges:
        found = [i for i, e in enumerate(edges) if abs(e - x) <= tolerance]
        if not found:
            return
        index.append(found[0])
    width = len(edges) - 1
    grid: list[list[DocCell | None]] = []
    for row in table.grid:
        wide: list[DocCell | None] = [None] * width
        for j, cell in enumerate(row):
            for k in range(index[j], index[j + 1]):
                wide[k] = cell
        grid.append(wide)
    table.grid = grid
    table.x_edges = edges


def _columns(row: list[DocCell | None], cell: DocCell | None) -> list[int]:
    return [j for j, c in enumerate(row) if c is cell]


def _join_split_rows(document: Document) -> None:
    """Rejoin table rows that a page break cut in two (Word and WPS let a row break across pages by default).

    The next page's table then opens with a fragment: text only under cells that have text too (the rest of a
    long label or header), never a number, and blank where the cut row printed its short values. Its texts are
    appended to the cells above and the fragment row is dropped.
    """
    tables = document.tables
    for before, after in itertools.pairwise(tables):
        if not before.pages or not after.pages or after.pages[0] != before.pages[-1] + 1:
            continue
        _align_columns(before, after)
        if not before.grid or not after.grid or before.width != after.width:
            continue
        first = after.grid[0]
        last = before.grid[-1]
        pairs = list(zip(last, first, strict=True))
        continues = [(a, b) for a, b in pairs if b is not None and b.text]
        if before.cut_cols and _continue_cut_cells(before, after):
            # The cut row was a header row: its parts name the columns only together, so the two parts are one
            # table from here on.
            before.grid.extend(after.grid)
            before.pages = (*before.pages, *after.pages)
            after.grid = []
            continue
        # Text continues text: every printed fragment cell sits under a cell with text, and neither is a number.
        if not continues or any(a is None or not a.text or _NUMBER.match(a.text) for a, _ in continues):
            continue
        if any(_NUMBER.match(b.text) for _, b in continues):
            continue
        # A cut cell keeps its columns on the next page; a new row under a wider cell (a caption) does not.
        if any(_columns(last, a) != _columns(first, b) for a, b in continues):
            continue
        done: list[DocCell] = []
        for a, b in continues:
            if a is not None and not any(a is d for d in done):
                a.text += b.text
                done.append(a)
        after.grid.pop(0)
    document.blocks = [b for b in document.blocks if not isinstance(b, DocTable) or b.grid]


def _continue_cut_cells(before: DocTable, after: DocTable) -> bool:
    """A row cut by a page break whose cells were left open at the page's end (see :func:`_open_bottom`) while its
    other cells closed there: the next page's first row holds the rest of the open cells (text under text, in
    the same columns) beside a new row's cells. The rest is appended to each open cell, which then covers both
    rows, as a cell spanning them does in the HTML table; the new row's cells stay."""
    last, first = before.grid[-1], after.grid[0]
    pairs: list[tuple[DocCell, DocCell]] = []
    for c in sorted(before.cut_cols):
        a, b = last[c], first[c]
        if a is None or b is None or any(a is x for x, _ in pairs):
            continue
        if _columns(last, a) != _columns(first, b) or _NUMBER.match(a.text) or (b.text and _NUMBER.match(b.text)):
            return False
        pairs.append((a, b))
    if not pairs:
        return False
    for a, b in pairs:
        a.text += b.text
        for c in _columns(first, b):
            first[c] = a
    return True


def _renumber(document: Document) -> None:
    for i, table in enumerate(document.tables, start=1):
        table.index = i
