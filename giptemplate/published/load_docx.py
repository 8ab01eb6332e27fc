"""Load a Word document (.docx) into a :class:`Document`: paragraphs and tables in body order.

Merged cells are laid out as Word draws them (``gridSpan`` across, ``vMerge`` down) and counted once. The
archive was bounded by intake and python-docx parses without resolving entities.
"""

from __future__ import annotations

import io

import docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml import etree

from giptemplate.published.load_html import clean
from giptemplate.published.model import DocCell, DocTable, Document, Paragraph

_W_P = qn("w:p")
_W_T = qn("w:t")
_W_TAB = qn("w:tab")
_W_BR = qn("w:br")


def _text(element: etree._Element) -> str:
    """Paragraph texts of an element, one line each (nested tables included, as Word prints them)."""
    lines: list[str] = []
    for p in element.iter(_W_P):
        parts = [node.text or "" if node.tag == _W_T else " " for node in p.iter(_W_T, _W_TAB, _W_BR)]
        lines.append("".join(parts))
    return "\n".join(lines)


def _grid(table: Table) -> list[list[DocCell | None]]:
    grid: list[list[DocCell | None]] = []
    for r, tr in enumerate(table._tbl.tr_lst):
        row: list[DocCell | None] = []
        c = 0
        for tc in tr.tc_lst:
            span = max(1, tc.grid_span)
            merged_from_above = tc.vMerge == "continue" and r > 0
            above = grid[r - 1][c] if merged_from_above and c < len(grid[r - 1]) else None
            cell = above if above is not None else DocCell(clean(_text(tc).replace("\n", "")), r, c)
            row.extend([cell] * span)
            c += span
        grid.append(row)
    width = max((len(r) for r in grid), default=0)
    for row in grid:
        row.extend([None] * (width - len(row)))
    return grid


def load_docx(data: bytes) -> Document:
    word = docx.Document(io.BytesIO(data))
    document = Document("docx")
    document.title = clean(word.core_properties.title or "")
    index = 0
    for item in word.iter_inner_content():
        if isinstance(item, DocxParagraph):
            for line in _text(item._p).split("\n"):
                if clean(line):
                    document.blocks.append(Paragraph(clean(line)))
        else:
            index += 1
            document.blocks.append(DocTable(index, _grid(item)))
    return document
