"""The narrative of a report from a document the office wrote: a .docx, .md or .txt with the report's section
headings (一、总体情况 … 六、其他需要报告的事项), for `giptemplate report --texts FILE`.

Each text part of the spec takes the lines between its heading and the next one; a part with its own title
(（一）主动公开) starts at a line that begins with that title, and text on the same line after the title counts.
The sections that are tables (二、三、四) may be present with any content; it is ignored, as the tables come from
the workbook.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from giptemplate.errors import InputError
from giptemplate.format.spec import Spec
from giptemplate.report.mark import is_mark_line

SUFFIXES = (".docx", ".md", ".txt")
MAX_BYTES = 20 * 1024 * 1024  # a narrative document; anything larger is not one
_MARKUP = re.compile(r"^[#>*\-\s]+|[*_\s]+$")
_AFTER_TITLE = "。：:，,、 \u3000"


def _key(line: str) -> str:
    """A line as headings are compared: NFKC, without markdown marks and spaces."""
    text = unicodedata.normalize("NFKC", _MARKUP.sub("", line))
    return "".join(text.split())


def _lines(path: Path) -> list[str]:
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"{path.name}：文字内容文件应为 .docx、.md 或 .txt (texts file must be .docx, .md or .txt)")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path.name}：无法读取（{exc.strerror}）(cannot read texts file)") from None
    if size > MAX_BYTES:
        raise InputError(f"{path.name}：文件过大（{size // 1024 // 1024} MB），不是文字内容文件 (texts file too large)")
    if path.suffix.lower() == ".docx":
        from docx import Document  # lazy: python-docx only for a .docx texts file

        try:
            return [p.text for p in Document(str(path)).paragraphs]
        except Exception as exc:  # python-docx raises many kinds for a file that is not a Word document
            raise InputError(f"{path.name}：不是有效的 Word 文档（{type(exc).__name__}）(not a .docx)") from None
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding).splitlines()
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path.name}：无法识别文字编码，请另存为 UTF-8 (unknown text encoding)")


def read_texts(path: Path, spec: Spec) -> dict[str, str]:
    """The text of every part of ``spec`` from the document at ``path``; a missing heading is an InputError."""
    headings = {_key(s.heading): s for s in spec.sections}
    found: set[str] = set()
    texts: dict[str, list[str]] = {p.key: [] for p in spec.parts}
    current: str | None = None  # the part whose text the following lines are
    section_parts: dict[str, str] = {}  # part titles of the current section -> part key
    for raw in _lines(path):
        line = raw.strip()
        if is_mark_line(line):  # a report of ours given as the texts file
            continue
        key = _key(line)
        if not key:
            if current is not None and texts[current]:
                texts[current].append("")
            continue
        section = next((s for k, s in headings.items() if key == k or key == _key(s.heading.split("、", 1)[-1])), None)
        if section is not None:
            found.add(section.key)
            titled = [p for p in section.parts if p.title]
            section_parts = {_key(p.title): p.key for p in titled}
            untitled = [p for p in section.parts if not p.title]
            current = untitled[0].key if untitled else None
            continue
        title = next((t for t in section_parts if key.startswith(t)), None)
        if title is not None:
            current = section_parts[title]
            end = next((i for i in range(len(line) + 1) if _key(line[:i]) == title), len(line))
            rest = line[end:].lstrip(_AFTER_TITLE)
            if rest:
                texts[current].append(rest)
            continue
        if current is not None:
            texts[current].append(line)
    missing = [s.heading for s in spec.sections if s.key not in found]
    if missing:
        raise InputError(
            f"{path.name}：缺少标题 {'、'.join(missing)}；文字内容文件须按报告的六个部分标题分段 "
            "(texts file lacks section headings)"
        )
    return {key: "\n".join(lines).strip() for key, lines in texts.items()}
