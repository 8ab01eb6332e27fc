"""Load a PDF with a text layer into a :class:`Document` through pdfplumber.

Each page's ruled tables are found by their lines (what Word, WPS and LibreOffice exports and browser prints of
bordered tables draw); a merged cell is one cell, whatever columns or rows it covers. The text outside the
tables becomes paragraphs, one per printed line, in reading order with the tables. A table cut by a page break
is two tables here; :mod:`giptemplate.published.match` continues the first with the second. A PDF with no
characters at all is a scan (refused by the caller).
"""

from __future__ import annotations

import io
from typing import Any

import pdfplumber

from giptemplate.published.load_html import clean
from giptemplate.published.model import DocCell, DocTable, Document, Paragraph

MAX_PAGES = 300
_TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines", "intersection_tolerance": 4}


def _cell_text(page: Any, bbox: tuple[float, float, float, float]) -> str:
    text = page.crop(bbox, strict=False).extract_text(x_tolerance=1.5) or ""
    # Lines inside a cell are one label or number broken by the cell width ("（二）部分公开（区分处理的，只计这一" …).
    return clean(text.replace("\n", ""))


def _grid(page: Any, table: Any, page_no: int) -> list[list[DocCell | None]]:
    """The table's grid with each merged cell placed in every slot its box covers."""
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
        cell = DocCell(_cell_text(page, box), r0, c0, page_no)
        for r in range(r0, r1):
            for c in range(c0, c1):
                grid[r][c] = cell
    return grid


def _edges(values: list[float], tolerance: float = 2.0) -> list[float]:
    edges: list[float] = []
    for v in values:
        if not edges or v - edges[-1] > tolerance:
            edges.append(v)
    return edges


def _index(edges: list[float], value: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - value))


def load_pdf(data: bytes) -> Document:
    document = Document("pdf")
    index = 0
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        document.pages = len(pdf.pages)
        document.title = clean(str((pdf.metadata or {}).get("Title", "") or ""))
        for page_no, page in enumerate(pdf.pages[:MAX_PAGES], start=1):
            if not page.chars:
                continue
            tables = page.find_tables(_TABLE_SETTINGS)
            boxes = [t.bbox for t in tables]

            def outside(obj: dict[str, Any], boxes: list[tuple[float, float, float, float]] = boxes) -> bool:
                x = (obj["x0"] + obj["x1"]) / 2
                y = (obj["top"] + obj["bottom"]) / 2
                return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

            items: list[tuple[float, Paragraph | DocTable]] = []
            for line in page.filter(outside).extract_text_lines(x_tolerance=1.5):
                text = clean(line["text"])
                if text:
                    items.append((line["top"], Paragraph(text, page_no)))
            for table in tables:
                index += 1
                items.append((table.bbox[1], DocTable(index, _grid(page, table, page_no), (page_no,))))
            items.sort(key=lambda item: item[0])
            document.blocks.extend(block for _, block in items)
            page.flush_cache()
    _renumber(document)
    return document


def _renumber(document: Document) -> None:
    for i, table in enumerate(document.tables, start=1):
        table.index = i
