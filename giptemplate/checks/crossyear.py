"""Across years: this year's report against last year's, through the shared meanings of the two formats
(carry-over, stock, fee, identical tables, copied text; Y5xx, N604), or why that comparison is not made."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

from giptemplate.checks.common import Context, Family, absolute, cell_name, fmt, list_cells
from giptemplate.checks.narrative import _text_length
from giptemplate.format import wording
from giptemplate.format.spec import Section, Spec
from giptemplate.workbook.submission import Submission

# N604: similarity above which a section counts as copied from last year (unvalidated; checks.md).
COPY_THRESHOLD = 0.8
SHINGLE_SIZE = 5
# Y503: 元 typed into the 万元 cell makes the fee ~10,000x too large; the real amount drifts too, so anything
# within a factor of two of that (or beyond) is flagged, in either direction.
FEE_JUMP_FACTOR = Decimal(5000)


def across_years(ctx: Context, previous: Submission) -> None:
    """Compare with last year's report through the shared meanings of the two formats (which may differ)."""
    spec, cross = ctx.spec, ctx.spec.cross_year
    now, before = ctx.trusted, previous.values
    prev_label = wording.previous_label(previous.year)
    unassessable: dict[str, list[str]] = {}

    if cross.carry_code is not None:
        current_cells = spec.meaning_cells(cross.carry_current)
        previous_cells = previous.spec.meaning_cells(cross.carry_previous)
        if not previous_cells:
            not_comparable(ctx, previous, prev_label, cross.carry_code, cross.carry_previous)
        for column, key in current_cells.items():
            old_key = previous_cells.get(column)
            if old_key is None:
                continue
            a, b = now.get(key), before.get(old_key)
            if a is None or b is None:
                unassessable.setdefault(cross.carry_code, []).append(key)
                continue
            if a != b:
                ctx.add(
                    cross.carry_code,
                    {
                        "cell": cell_name(spec, key),
                        "now": fmt(a),
                        "previous": prev_label,
                        "previous_cell": cell_name(previous.spec, old_key),
                        "before": fmt(b),
                        "gap": fmt(absolute(a - b)),
                    },
                    key=key,
                    severity=cross.carry_severity,
                    rule=f"xy_carry[{spec.cells[key].column.key}]",
                    expected=fmt(b),
                    actual=fmt(a),
                    diff=fmt(a - b),
                )
    for rule in cross.stock:
        old_stock = list(previous.spec.meaning_cells(rule.previous).values())
        if len(old_stock) != 1:
            not_comparable(ctx, previous, prev_label, rule.code, rule.previous)
            continue
        stock_now, issued, repealed = now.get(rule.in_force), now.get(rule.issued), now.get(rule.repealed)
        stock_before = before.get(old_stock[0])
        if None in (stock_now, issued, repealed, stock_before):
            unassessable.setdefault(rule.code, []).append(rule.in_force)
            continue
        assert stock_now is not None and issued is not None and repealed is not None and stock_before is not None
        expected = stock_before + issued - repealed
        if stock_now != expected:
            row = spec.cells[rule.in_force].row.label
            ctx.add(
                rule.code,
                {
                    "cell": cell_name(spec, rule.in_force),
                    "now": fmt(stock_now),
                    "previous": prev_label,
                    "before": fmt(stock_before),
                    "issued": fmt(issued),
                    "repealed": fmt(repealed),
                    "expected": fmt(expected),
                    "gap": fmt(absolute(stock_now - expected)),
                    "row": row,
                },
                key=rule.in_force,
                severity=rule.severity,
                rule=f"xy_stock[{rule.in_force}]",
                expected=fmt(expected),
                actual=fmt(stock_now),
                diff=fmt(stock_now - expected),
            )
    fee_jump(ctx, previous, prev_label)
    same_tables(ctx, previous, prev_label)
    copied_text(ctx, previous, prev_label)
    for code, keys in unassessable.items():
        home = ctx.place(keys[0])
        listed = list_cells(keys, ctx.place, home.sheet if home else "")
        ctx.add(
            "Y591",
            {"code": code, "count": len(keys), "previous": prev_label, "cells": listed},
            key=keys[0],
            rule=code,
            extra={"cells": keys},
        )


def not_comparable(ctx: Context, previous: Submission, prev_label: str, code: str, meaning: str) -> None:
    """Y592: last year's format has nothing that means the same, so the comparison is skipped (never guessed)."""
    ctx.add(
        "Y592",
        {
            "previous": prev_label,
            "title": previous.spec.title,
            "document": previous.spec.document,
            "meaning": meaning,
            "code": code,
        },
        sheet=None,
        rule=code,
        extra={"meaning": meaning, "previous_format": previous.spec.id},
    )


def fee_jump(ctx: Context, previous: Submission, prev_label: str) -> None:
    key = ctx.spec.cross_year.fee
    if key is None or key not in previous.spec.cells or previous.spec.cells[key].type != ctx.spec.cells[key].type:
        return
    unit = ctx.spec.cells[key].type.unit
    a, b = ctx.trusted.get(key), previous.values.get(key)
    if a is None or b is None or a <= 0 or b <= 0:
        return
    ratio = Decimal(a) / Decimal(b)
    if ratio >= FEE_JUMP_FACTOR or ratio <= 1 / FEE_JUMP_FACTOR:
        factor = ratio if ratio > 1 else 1 / ratio
        ctx.add(
            "Y503",
            {
                "cell": cell_name(ctx.spec, key),
                "now": fmt(a),
                "unit": unit,
                "previous": prev_label,
                "before": fmt(b),
                "factor": f"{factor:,.0f}",
            },
            variant="up" if ratio > 1 else "down",
            key=key,
            actual=fmt(a),
            expected=fmt(b),
            extra={"ratio": float(ratio)},
        )


def same_tables(ctx: Context, previous: Submission, prev_label: str) -> None:
    if previous.spec.id != ctx.spec.id:
        return  # tables of two formats are never "the same"
    keys = [c.key for c in ctx.spec.input_cells if c.key in previous.spec.cells]
    now, before = ctx.trusted, previous.values
    if not keys or any(now.get(k) is None or before.get(k) is None for k in keys):
        return
    if all(now[k] == before[k] for k in keys) and any(now[k] != 0 for k in keys):
        ctx.add(
            "Y505",
            {"previous": prev_label, "count": len(keys)},
            sheet=ctx.sheet(ctx.spec.tables[0].sheet),
        )


def copied_text(ctx: Context, previous: Submission, prev_label: str) -> None:
    for section in _copy_sections(ctx.spec):
        now = "\n".join(ctx.sub.texts.get(p.key, "") for p in section.parts).strip()
        before = "\n".join(previous.texts.get(p.key, "") for p in section.parts).strip()
        if _text_length(now) < ctx.spec.narrative_min_chars or _text_length(before) < ctx.spec.narrative_min_chars:
            continue
        similarity = text_similarity(now, before)
        if similarity >= COPY_THRESHOLD:
            first = section.parts[0]
            ctx.add(
                "N604",
                {"heading": section.heading, "previous": prev_label, "similarity": f"{similarity:.0%}"},
                at=ctx.part_place(first.key),
                actual=f"{similarity:.2f}",
                expected=f"< {COPY_THRESHOLD}",
                extra={"part": first.key, "similarity": similarity},
            )


@functools.cache
def _copy_sections(spec: Spec) -> tuple[Section, ...]:
    """Sections whose text is checked for copying: the free narrative ones (一 and 五), not the required
    statements (六) that are legitimately the same every year."""
    return tuple(s for s in spec.sections if s.parts and not any(p.require_any for p in s.parts))


# ---------------------------------------------------------------------------------------------- similarity


def _clean(text: str) -> str:
    """Drop whitespace, punctuation, symbols and digits (years and counts change when a text is copied)."""
    return "".join(ch for ch in text if not (ch.isspace() or ch.isdigit() or unicodedata.category(ch)[0] in "PSZ"))


_SENTENCE_END = re.compile(r"[。；！？;!?\n]+")


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def text_similarity(a: str, b: str) -> float:
    """How alike two narrative texts are, 0..1: the larger of the Jaccard index over sentences and over
    character 5-gram shingles, after dropping whitespace, punctuation and digits (checks.md, N604/N605)."""
    a, b = unicodedata.normalize("NFKC", a), unicodedata.normalize("NFKC", b)
    sentences_a = {s for s in (_clean(x) for x in _SENTENCE_END.split(a)) if s}
    sentences_b = {s for s in (_clean(x) for x in _SENTENCE_END.split(b)) if s}
    clean_a, clean_b = _clean(a), _clean(b)

    def shingles(text: str) -> set[str]:
        if len(text) <= SHINGLE_SIZE:
            return {text} if text else set()
        return {text[i : i + SHINGLE_SIZE] for i in range(len(text) - SHINGLE_SIZE + 1)}

    return max(_jaccard(sentences_a, sentences_b), _jaccard(shingles(clean_a), shingles(clean_b)))


def run(ctx: Context) -> None:
    if ctx.previous is not None:
        across_years(ctx, ctx.previous)
    elif ctx.previous_expected:
        ctx.add(
            "Y590",
            sheet=None,
        )


def _spec_codes(spec: Spec) -> Iterable[str]:
    """The codes of this format's cross-year rules, declared in its spec file."""
    cross = spec.cross_year
    if cross.carry_code is not None:
        yield cross.carry_code
    for rule in cross.stock:
        yield rule.code


FAMILY = Family("cross-year", frozenset({"Y503", "Y505", "Y590", "Y591", "Y592", "N604"}), run, _spec_codes)
