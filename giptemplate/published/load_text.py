"""Load a plain-text or Markdown copy of a report: lines are paragraphs, Markdown pipe tables are tables.

A table row copied from a web page as plain text ("一、本年新收政府信息公开申请数量 1 0 0 0 0 0 1") stays a
paragraph here; :mod:`giptemplate.published.digits` reads such lines against the spec's row labels (and splits
digits that the copy ran together only when the format's relations leave exactly one way).
"""

from __future__ import annotations

import re

from giptemplate.published.load_html import clean, decode_html
from giptemplate.published.model import DocTable, Document, Paragraph, Span, build_grid

_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")


def load_text(data: bytes) -> Document:
    document = Document("text")
    lines = decode_html(data).splitlines()
    rows: list[list[Span]] = []

    def flush() -> None:
        if rows:
            document.blocks.append(DocTable(len(document.tables) + 1, build_grid(rows)))
            rows.clear()

    for line in lines:
        if _PIPE_ROW.match(line):
            if not _PIPE_RULE.match(line.strip().strip("|")):
                rows.append([(clean(c), 1, 1) for c in line.strip().strip("|").split("|")])
            continue
        flush()
        text = clean(line.lstrip("#").strip())
        if text:
            document.blocks.append(Paragraph(text))
    flush()
    return document
