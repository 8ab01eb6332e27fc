"""Cover: who reports, for which year, under which unified social credit code and scope, and who to call (C7xx)."""

from __future__ import annotations

from giptemplate.checks.common import Context, Family, raw_text
from giptemplate.format import uscc, wording


def cover(ctx: Context) -> None:
    spec, meta = ctx.spec, ctx.sub.meta
    fields = {f.key: f for f in spec.cover_fields}

    def label(key: str) -> str:
        return fields[key].label

    if not meta.get("unit_name", "").strip():
        ctx.add(
            "C701",
            {"label": label("unit_name")},
            at=ctx.field_place("unit_name"),
            extra={"field": "unit_name"},
        )
    cover_year(ctx, label("year"))
    code = meta.get("unit_code", "").strip()
    verdict = uscc.verify(code)
    if verdict in ("bad_check_digit", "bad_character"):
        why = wording.CODE_WHY[verdict]
        expected = None
        if verdict == "bad_check_digit":
            expected = code.upper()[:17] + uscc.check_digit(code.upper()[:17])
        ctx.add(
            "C703",
            {"label": label("unit_code"), "code": code, "why": why},
            at=ctx.field_place("unit_code"),
            actual=code,
            expected=expected,
            extra={"field": "unit_code"},
        )
    scope = meta.get("scope", "").strip()
    choices = fields["scope"].choices
    if not scope or (choices and scope not in choices):
        said: dict[str, object] = {"label": label("scope"), "choices": wording.choices_text(choices)}
        ctx.add(
            "C704",
            {**said, "raw": raw_text(scope)} if scope else said,
            variant="typed" if scope else "",
            at=ctx.field_place("scope"),
            actual=scope or None,
            extra={"field": "scope"},
        )
    for key in ("filler", "phone"):
        if key in fields and not meta.get(key, "").strip():
            ctx.add("C705", {"label": label(key)}, at=ctx.field_place(key), extra={"field": key})


def cover_year(ctx: Context, label: str) -> None:
    typed = ctx.sub.meta.get("year", "").strip()
    at = ctx.field_place("year")
    extra = {"field": "year"}
    year = ctx.sub.year
    if year is None:
        what = wording.year_not_a_year(raw_text(typed)) if typed else wording.YEAR_BLANK
        ctx.add("C702", {"label": label, "what": what}, at=at, actual=typed or None, extra=extra)
        return
    template_year = ctx.sub.meta.get("report_year", "").strip()
    if template_year.isdigit() and int(template_year) != year:
        ctx.add(
            "C702",
            {"label": label, "what": wording.year_not_template(str(year), template_year)},
            at=at,
            actual=str(year),
            expected=template_year,
            extra=extra,
        )
    elif not ctx.spec.covers_year(year):
        ctx.add(
            "C702",
            {"label": label, "year": year, "document": ctx.spec.document},
            variant="format",
            at=at,
            actual=str(year),
            extra=extra,
        )


FAMILY = Family("cover", frozenset({"C701", "C702", "C703", "C704", "C705"}), cover)
