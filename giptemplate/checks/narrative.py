"""Narrative: each section written, long enough, not a placeholder, with its sub-heads, and the statements a part
must make (N601–N603)."""

from __future__ import annotations

from collections.abc import Mapping

from giptemplate.checks.common import Context, Family, raw_text
from giptemplate.format import wording
from giptemplate.format.spec import Part, Section, Spec

# A part with ``require_any`` that mentions none of its words (六 without the 信息处理费 statement).
REQUIRE_CODE = "N602"
# Some city notices cap 一、总体情况 at about 1,000 characters (checks.md, N603).
SECTION_LONG_CHARS = 1000


def narrative(ctx: Context) -> None:
    spec = ctx.spec
    for section in spec.sections:
        if not section.parts:
            continue
        required = [p for p in section.parts if p.require_any]
        for part in required:
            required_words(ctx, part)
        if required:
            continue
        texts = {p.key: ctx.sub.texts.get(p.key, "").strip() for p in section.parts}
        whole = "\n".join(t for t in texts.values() if t)
        first = section.parts[0]
        if all(p.optional for p in section.parts):
            continue  # may be blank or "无"
        if not whole:
            ctx.add(
                "N601",
                {"heading": section.heading},
                variant="blank",
                at=ctx.part_place(first.key),
                extra={"part": first.key},
            )
            continue
        if _is_blank_text(whole, spec):
            ctx.add(
                "N601",
                {"heading": section.heading, "raw": raw_text(whole)},
                variant="blank_word",
                at=ctx.part_place(first.key),
                extra={"part": first.key},
            )
            continue
        length = _text_length(whole)
        if length < spec.narrative_min_chars:
            ctx.add(
                "N601",
                {"heading": section.heading, "length": length, "minimum": spec.narrative_min_chars},
                variant="short",
                at=ctx.part_place(first.key),
                actual=str(length),
                expected=f"≥ {spec.narrative_min_chars}",
                extra={"part": first.key},
            )
            continue
        if len(section.parts) > 1:
            sub_heads(ctx, section, texts, length)


def sub_heads(ctx: Context, section: Section, texts: Mapping[str, str], length: int) -> None:
    for part in section.parts:
        text = texts[part.key]
        if not text or _is_blank_text(text, ctx.spec):
            ctx.add(
                "N603",
                {"heading": section.heading, "part": part.title},
                variant="missing",
                at=ctx.part_place(part.key),
                extra={"part": part.key},
            )
    if length > SECTION_LONG_CHARS:
        first = section.parts[0]
        ctx.add(
            "N603",
            {"heading": section.heading, "length": length, "limit": SECTION_LONG_CHARS},
            variant="long",
            at=ctx.part_place(first.key),
            actual=str(length),
            extra={"part": first.key},
        )


def required_words(ctx: Context, part: Part) -> None:
    text = ctx.sub.texts.get(part.key, "").strip()
    if any(word in text for word in part.require_any):
        return
    what = wording.required_words_missing(part.require_any, blank=not text)
    ctx.add(
        REQUIRE_CODE,
        {"title": part.display_title, "what": what, "hint": part.hint},
        at=ctx.part_place(part.key),
        extra={"part": part.key},
    )


def _text_length(text: str) -> int:
    return len("".join(text.split()))


def _is_blank_text(text: str, spec: Spec) -> bool:
    squeezed = "".join(text.split())
    return squeezed in spec.blank_words or squeezed.rstrip("。.") in spec.blank_words


FAMILY = Family("narrative", frozenset({"N601", REQUIRE_CODE, "N603"}), narrative)
