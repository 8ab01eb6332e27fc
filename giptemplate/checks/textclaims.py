"""Text against tables: the numbers a report's narrative states about its own tables, read and compared.

The recogniser is data (templates/claims/<spec id>.toml): each claim names the cells whose sum a sentence states
and the patterns that read the number. A sentence that contradicts the tables gives T901 (需说明) quoting both
places; one whose scope differs (全区, 代表区政府…) gives T902 (提示); what it says about the 信息处理费 against
the fee cells gives N607. Runs on the 文字内容 of returned workbooks
and on the narrative of published reports alike.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from giptemplate.checks.common import Context, Family
from giptemplate.findings import Finding, make
from giptemplate.format.arithmetic import Number
from giptemplate.format.spec import Spec, templates_dir

_FRAGMENTS = {
    "{N}": r"(?P<n>\d+|[零〇一二两三四五六七八九十百千]+)",
    "{A}": r"\s*(?P<n>\d+(?:\.\d+)?)\s*",
    "{U}": r"\s*(?:件|项|个|宗|份|起|次)",
    "{G}": r"[^0-9０-９。；;，,零〇一二两三四五六七八九十百千]{0,16}?",
}
_SENTENCE = re.compile(r"[^。；;！!？?\n]+")
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}


@dataclass(frozen=True)
class Claim:
    key: str
    title: str
    cells: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    zero_patterns: tuple[re.Pattern[str], ...]
    # The patterns without their lookarounds, searched once over a whole text: where none matches, no sentence of
    # the text can match the claim, and its sentences are not tried (None: some pattern cannot be screened).
    screens: tuple[re.Pattern[str], ...] | None = None

    def possible(self, text: str) -> bool:
        """False only when no sentence of ``text`` can match the claim (see :func:`_screen`)."""
        return self.screens is None or any(p.search(text) for p in self.screens)


@dataclass(frozen=True)
class FeeCheck:
    """A statement about the 信息处理费 against what the tables imply (see templates/claims/*.toml)."""

    key: str
    claims: tuple[str, ...]
    when: str  # "charged" (read as more than 0) or "none" (read as 0)
    cells: tuple[str, ...]
    test: str  # "zero", "nonzero" or "equals_amount"
    says: str
    factors: tuple[Decimal, ...] = ()


@dataclass(frozen=True)
class Claims:
    claims: tuple[Claim, ...]
    scope_words: tuple[str, ...]
    fee_checks: tuple[FeeCheck, ...] = ()


@dataclass(frozen=True, slots=True)
class Reading:
    """One number a sentence states: which claim, the number, the sentence, and whether its scope differs."""

    claim: str
    number: int | Decimal
    sentence: str
    other_scope: bool = False


def chinese_number(text: str) -> int | None:
    """ "19" -> 19, "十二" -> 12, "二十一" -> 21, "零" -> 0; None for anything else."""
    if text.isdigit():
        return int(text)
    total, digit = 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            total += (digit if digit is not None else 1) * _UNITS[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def _expand(pattern: str) -> str:
    for name, fragment in _FRAGMENTS.items():
        pattern = pattern.replace(name, fragment)
    return pattern


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(_expand(pattern))


_LOOKAROUNDS = ("(?=", "(?!", "(?<=", "(?<!")
_ANCHORS = frozenset("bBAZ")


def _screen(pattern: str) -> re.Pattern[str] | None:
    """``pattern`` without its lookarounds, or None when it has anchors (^, $, \\b, ...) or a construct this
    does not follow. A regular expression without lookarounds and anchors matches a stretch of text by its
    characters alone, and dropping a lookaround only lets it match more: so where the screen finds nothing in a
    text, the pattern matches in none of the text's sentences (each a stretch of it)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if pattern[i + 1 : i + 2] in _ANCHORS:
                return None
            out.append(pattern[i : i + 2])
            i += 2
        elif ch == "[":
            end = _class_end(pattern, i)
            out.append(pattern[i:end])
            i = end
        elif pattern.startswith(_LOOKAROUNDS, i):
            i = _group_end(pattern, i)
            if pattern[i : i + 1] in ("?", "*", "+", "{"):
                return None  # a quantified lookaround: not followed
        elif ch in "^$" or pattern.startswith("(?(", i):
            return None
        else:
            out.append(ch)
            i += 1
    try:
        return re.compile("".join(out))
    except re.error:
        return None


def _class_end(pattern: str, start: int) -> int:
    """The index just past the character class opening at ``start``."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":  # a ']' first in a class is one of its characters
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def _group_end(pattern: str, start: int) -> int:
    """The index just past the group opening at ``start``."""
    depth, i = 0, start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(pattern, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def _screens(patterns: Sequence[str]) -> tuple[re.Pattern[str], ...] | None:
    screens = [_screen(_expand(p)) for p in patterns]
    return None if any(p is None for p in screens) else tuple(p for p in screens if p is not None)


@functools.lru_cache(maxsize=8)
def claims_for(spec_id: str) -> Claims:
    """The claims of a format (no claims when the format has no claims file)."""
    path: Path = templates_dir() / "claims" / f"{spec_id}.toml"
    if not path.is_file():
        return Claims((), ())
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    claims = tuple(
        Claim(
            key=c["key"],
            title=c["title"],
            cells=tuple(c.get("cells", ())),
            patterns=tuple(_compile(p) for p in c.get("patterns", ())),
            zero_patterns=tuple(_compile(p) for p in c.get("zero_patterns", ())),
            screens=_screens([*c.get("patterns", ()), *c.get("zero_patterns", ())]),
        )
        for c in data.get("claims", ())
    )
    fee_checks = tuple(
        FeeCheck(
            key=f["key"],
            claims=tuple(f["claims"]),
            when=f["when"],
            cells=tuple(f["cells"]),
            test=f["test"],
            says=f["says"],
            factors=tuple(Decimal(x) for x in f.get("factors", ())),
        )
        for f in data.get("fee_checks", ())
    )
    return Claims(claims, tuple(data.get("scope_words", ())), fee_checks)


def read_claims(text: str, claims: Claims) -> list[Reading]:
    """Every number the text states about a claim, sentence by sentence (the first reading of a claim in a
    sentence; a number in a scope other than the unit's own is marked)."""
    readings: list[Reading] = []
    # Most sentences state no number about the tables: each claim is first looked for in the whole text, and only
    # the claims it may hold are tried sentence by sentence (the same readings, a fraction of the searches).
    possible = [claim for claim in claims.claims if claim.possible(text)]
    if not possible:
        return readings
    for found in _SENTENCE.finditer(text):
        sentence = found.group(0).strip()
        if not sentence:
            continue
        taken: list[tuple[int, int]] = []
        for claim in possible:
            reading = _read_one(claim, sentence, taken)
            if reading is not None:
                other_scope = any(w in sentence for w in claims.scope_words)
                readings.append(Reading(claim.key, reading, sentence, other_scope))
    return readings


def _read_one(claim: Claim, sentence: str, taken: list[tuple[int, int]]) -> int | Decimal | None:
    for pattern in claim.patterns:
        for m in pattern.finditer(sentence):
            span = m.span("n")
            if any(a <= span[0] < b for a, b in taken):
                continue
            text = m.group("n")
            number: int | Decimal | None = Decimal(text) if "." in text else chinese_number(text)
            if number is not None:
                taken.append(span)
                return number
    if any(p.search(sentence) for p in claim.zero_patterns):
        return 0
    return None


def claim_findings(
    spec: Spec,
    texts: Mapping[str, str],
    shown: Mapping[str, Number | None],
    *,
    places: Mapping[str, str] | None = None,
    where: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """T901/T902 for every sentence of the narrative whose number differs from the tables' (as printed)."""
    claims = claims_for(spec.id)
    if not claims.claims:
        return []
    by_key = {c.key: c for c in claims.claims}
    findings: list[Finding] = []
    parts = {p.key: p.display_title for p in spec.parts}
    readings = {part_key: read_claims(text or "", claims) for part_key, text in texts.items()}  # read once
    for part_key, part_readings in readings.items():
        for reading in part_readings:
            claim = by_key[reading.claim]
            if not claim.cells:
                continue
            values = [shown.get(k) for k in claim.cells]
            if any(v is None for v in values):
                continue
            table_value = sum((Decimal(v) for v in values if v is not None), Decimal(0))
            if table_value == reading.number:
                continue
            cells = _cells_words(spec, claim.cells, places)
            code = "T902" if reading.other_scope else "T901"
            findings.append(
                make(
                    code,
                    {
                        "part": parts.get(part_key, part_key),
                        "sentence": reading.sentence,
                        "claim": claim.title,
                        "number": reading.number,
                        "cells": cells,
                        "total": _fmt(table_value),
                    },
                    cell_key=claim.cells[0],
                    expected=_fmt(table_value),
                    actual=str(reading.number),
                    diff=_fmt(Decimal(reading.number) - table_value),
                    extra={"claim": claim.key, "sentence": reading.sentence, "part": part_key},
                    **(where or {}),
                )
            )
    findings += _fee_findings(spec, claims, readings, shown, places, where)
    return findings


def _fee_findings(
    spec: Spec,
    claims: Claims,
    by_part: Mapping[str, list[Reading]],
    shown: Mapping[str, Number | None],
    places: Mapping[str, str] | None,
    where: Mapping[str, Any] | None,
) -> list[Finding]:
    """N607: what the narrative says about the 信息处理费 against what the tables imply (one finding per check);
    ``by_part``: each part's readings (:func:`read_claims`)."""
    if not claims.fee_checks:
        return []
    parts = {p.key: p.display_title for p in spec.parts}
    titles = {c.key: c.title for c in claims.claims}
    readings = [(part_key, r) for part_key, part_readings in by_part.items() for r in part_readings]
    findings: list[Finding] = []
    for check in claims.fee_checks:
        values = [shown.get(k) for k in check.cells]
        if not check.cells or any(v is None for v in values):
            continue
        total = sum((Decimal(v) for v in values if v is not None), Decimal(0))
        for part_key, reading in readings:
            if reading.claim not in check.claims:
                continue
            if (check.when == "charged") != (reading.number > 0):
                continue
            amount = Decimal(reading.number)
            hit = (
                (check.test == "zero" and total == 0)
                or (check.test == "nonzero" and total != 0)
                or (check.test == "equals_amount" and total != 0 and any(amount * f == total for f in check.factors))
            )
            if not hit:
                continue
            cells = _cells_words(spec, check.cells, places)
            fields = {
                "part": parts.get(part_key, part_key),
                "sentence": reading.sentence,
                "claim": titles[reading.claim],
                "says": check.says,
                "cells": cells,
                "total": _fmt(total),
            }
            findings.append(
                make(
                    "N607",
                    fields if reading.number == 0 else {**fields, "amount": _fmt(amount)},
                    variant="zero" if reading.number == 0 else "",
                    cell_key=check.cells[0],
                    expected=_fmt(total),
                    actual=_fmt(amount),
                    extra={"fee_check": check.key, "sentence": reading.sentence, "part": part_key},
                    **(where or {}),
                )
            )
            break
    return findings


def _cells_words(spec: Spec, keys: Sequence[str], places: Mapping[str, str] | None) -> str:
    first = keys[0]
    if places and first in places:
        return places[first] if len(keys) == 1 else f"{places[first]}等 {len(keys)} 项合计"
    cell = spec.cells[first]
    table = spec.table(cell.table)
    what = cell.row.group if len(keys) > 1 and cell.row.group else cell.row.label
    return f"{table.sheet}「{what}」「{cell.column.label}」"


def _fmt(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else str(value.normalize())


def _run(ctx: Context) -> None:
    sub = ctx.sub
    ctx.findings.extend(claim_findings(sub.spec, sub.texts, ctx.shown, places=sub.provenance, where=ctx.where))


FAMILY = Family("textclaims", frozenset({"T901", "T902", "N607"}), _run)
