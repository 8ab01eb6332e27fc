"""The narrative parts of a published report, found by their headings (gip-format.md C2 "Sections").

Level-1 headings are lines numbered 一、…六、 (or 第一部分); each is matched to the spec's sections by keywords in
spec order, and by its number when its own title names none of them (a report that retitles its sections).
Inside 一、总体情况 the sub-heads （一）…（五） are matched to the spec's parts by keywords. Text under 二、三、四
(the tables' lead sentences and captions) is not narrative. A trailing signature (the unit's name, a date) is
dropped from 六.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from giptemplate.format.spec import Section, Spec
from giptemplate.published.model import Paragraph
from giptemplate.workbook.normalise import label_key

_NUMERALS = "一二三四五六七八九十"
_LEVEL1 = re.compile(rf"^\s*(?:第([{_NUMERALS}]+)部分|([{_NUMERALS}]{{1,2}})\s*[、.．,，])\s*(.*)$")
_LEVEL2 = re.compile(rf"^\s*[（(]\s*([{_NUMERALS}]{{1,2}})\s*[）)]\s*(.*)$")
_DATE_LINE = re.compile(r"^\s*(?:\d{4}|[〇○零一二三四五六七八九十]{4})\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")
# A table row printed as a line ("四、结转下年度继续办理 0 0 0 0 0 0 0", a PDF table without rules) is no heading.
_ROW_NUMBERS = re.compile(r"(?:\s\d+){2,}\s*$")
MAX_HEADING_CHARS = 40
SUBHEAD_CHARS = 16  # the sub-head's keywords are looked for in its first characters only


@dataclass(frozen=True, slots=True)
class Heading:
    section: str  # spec section key
    text: str  # as printed
    index: int  # paragraph index


def _numeral(text: str) -> int:
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _NUMERALS.index(text[1]) + 1
    return _NUMERALS.index(text[0]) + 1


def find_headings(paragraphs: Sequence[Paragraph], spec: Spec) -> list[Heading]:
    """The level-1 headings that open a spec section, in order."""
    sections = list(spec.sections)
    found: list[Heading] = []
    taken: set[str] = set()
    for i, para in enumerate(paragraphs):
        text = para.text.strip()
        matched = _LEVEL1.match(text)
        if matched is None or len(text) > MAX_HEADING_CHARS or _ROW_NUMBERS.search(text):
            continue
        number = _numeral(matched.group(1) or matched.group(2))
        section = _by_keywords(text, sections, taken) or _by_number(number, sections, taken, text)
        if section is not None:
            taken.add(section.key)
            found.append(Heading(section.key, text, i))
    return found


def _by_keywords(text: str, sections: Sequence[Section], taken: set[str]) -> Section | None:
    for section in sections:
        if section.key not in taken and any(k in text for k in section.keywords):
            return section
    return None


def _by_number(number: int, sections: Sequence[Section], taken: set[str], text: str) -> Section | None:
    # A retitled heading: trusted by its number only where the text is not a sentence (no full stop inside).
    if not 1 <= number <= len(sections) or "。" in text:
        return None
    section = sections[number - 1]
    return section if section.key not in taken else None


def narrative_texts(
    paragraphs: Sequence[Paragraph], spec: Spec, unit_name: str = ""
) -> tuple[dict[str, str], list[Heading]]:
    """The text of each spec part (s1_1…s1_5, s5, s6) and the headings found."""
    headings = find_headings(paragraphs, spec)
    texts = {p.key: "" for p in spec.parts}
    bounds = [h.index for h in headings] + [
        _signature_end(paragraphs, headings[-1].index if headings else 0, unit_name)
    ]
    for h, end in zip(headings, bounds[1:], strict=True):
        section = next(s for s in spec.sections if s.key == h.section)
        body = [p.text for p in paragraphs[h.index + 1 : end]]
        if not section.parts:
            continue
        if len(section.parts) == 1:
            texts[section.parts[0].key] = "\n".join(_without_signature(body, unit_name))
            continue
        for key, lines in _split_parts(body, section).items():
            texts[key] = "\n".join(lines)
    return texts, headings


def _split_parts(body: Sequence[str], section: Section) -> dict[str, list[str]]:
    """Each line of a section under the part its sub-head opens. A sub-head names a part by the part's keywords
    in its own title (up to its first full stop); a part is opened once, so a second sub-head that names it again
    stays with the part before it. Lines before any sub-head (the section's lead paragraph) go to the first part
    but do not open it: a later sub-head that names the first part still does."""
    parts = section.parts
    out: dict[str, list[str]] = {p.key: [] for p in parts}
    opened: set[str] = set()
    current = parts[0].key
    for line in body:
        sub = _LEVEL2.match(line)
        if sub is not None:
            title = re.split(r"[。：:；;]", sub.group(2), maxsplit=1)[0][:SUBHEAD_CHARS]
            for part in parts:
                if part.key not in opened and any(k in title for k in part.keywords):
                    current = part.key
                    opened.add(current)
                    break
        out[current].append(line)
    return out


def _signature_end(paragraphs: Sequence[Paragraph], start: int, unit_name: str) -> int:
    """Where the report ends: at its signature (the unit's name or a date on a line of its own) after the last
    heading, so that a web page's footer is not read as part 六."""
    unit = label_key(unit_name)
    for i in range(start + 1, len(paragraphs)):
        text = paragraphs[i].text
        if _DATE_LINE.match(text) or (unit and label_key(text) == unit):
            return i
    return len(paragraphs)


def _without_signature(lines: Iterable[str], unit_name: str) -> list[str]:
    kept = list(lines)
    unit = label_key(unit_name)
    while kept and (_DATE_LINE.match(kept[-1]) or (unit and label_key(kept[-1]) == unit)):
        kept.pop()
    return kept
