"""Values: every input cell is a usable number of its type, within the template's bounds, and how it was read
(V2xx)."""

from __future__ import annotations

from decimal import Decimal

from giptemplate.checks.common import Context, Family, absolute, cell_name, fmt, raw_text
from giptemplate.format import wording
from giptemplate.format.arithmetic import Number
from giptemplate.format.layout import Place
from giptemplate.format.spec import Cell
from giptemplate.workbook.normalise import parse_value
from giptemplate.workbook.submission import CellValue

# The scope value of a single agency (a department, township or street office), first choice of the cover field.
UNIT_SCOPE_INDEX = 0

NORMALISATION_TEXT: dict[str, str] = {
    "text_number": "数字存为文本",
    "full_width": "全角数字",
    "spaces": "含空格",
    "thousands": "含千位分隔符",
    "unit_word": "带单位字",
}
ERROR_SHOWN = "（错误）"  # V209's value when the reader kept no text of the error


def values(ctx: Context) -> None:
    spec = ctx.spec
    for cell in spec.input_cells:
        if cell.table in ctx.absent_tables:
            continue
        cv = ctx.sub.cells.get(cell.key)
        if cv is None:
            ctx.add("V203", {"cell": cell_name(spec, cell.key), "typed": ""}, key=cell.key)
            continue
        value(ctx, cell, cv)
    department_row(ctx)


def value(ctx: Context, cell: Cell, cv: CellValue) -> None:
    spec, key = ctx.spec, cell.key
    plain = cv.value
    if (
        cv.state == "ok"
        and not cv.normalisations
        and type(plain) is int
        and (0 if not cell.type.signed else -cell.type.maximum) <= plain <= cell.type.maximum
    ):
        return  # the common case, kept cheap: a whole number typed as a number
    name = cell_name(spec, key)
    at = cv.place
    raw = raw_text(cv.raw) if cv.raw is not None else ""
    what = cell.type.what

    def shown(number: Number) -> str:
        # the typed text when it differs from the plain number (full-width digits, a unit word...)
        return wording.quoted(raw) if isinstance(cv.raw, str) and raw != fmt(number) else fmt(number)

    if cv.state == "ambiguous":
        return  # two values compete for the cell: structure's S112 says where, nothing was read to judge
    if cv.state == "error":
        ctx.add(
            "V209",
            {"cell": name, "raw": raw or ERROR_SHOWN},
            key=key,
            at=at,
            actual=raw,
        )
        return
    if cv.state == "blank":
        typed = wording.blank_typed(raw) if "blank_word" in cv.normalisations and raw else ""
        ctx.add(
            "V203",
            {"cell": name, "typed": typed},
            key=key,
            at=at,
            actual=raw or None,
        )
        return
    number: Decimal | None
    if cv.state == "invalid":
        # the reader's own parser says what the text spells, even when it is not usable (-3, 3.5)
        spelled = cv.value if cv.value is not None else parse_value(cv.raw, cell.type).number
        number = None if spelled is None else Decimal(spelled)
        if number is None:
            ctx.add("V201", {"cell": name, "raw": raw}, key=key, at=at, actual=raw)
        elif number < 0 and not cell.type.signed:
            ctx.add("V202", {"cell": name, "shown": shown(number), "what": what}, key=key, at=at, actual=fmt(number))
        elif cell.type.integral and number != number.to_integral_value():
            ctx.add("V204", {"cell": name, "shown": shown(number)}, key=key, at=at, actual=fmt(number))
        elif absolute(number) > bound(ctx, cell):
            bounds(ctx, cell, number, at)
        else:
            ctx.add("V201", {"cell": name, "raw": raw}, variant="spelled", key=key, at=at, actual=raw)
        return
    value = cv.value
    if value is None:
        return
    number = Decimal(value)
    if number < 0 and not cell.type.signed:
        ctx.add("V202", {"cell": name, "shown": shown(value), "what": what}, key=key, at=at, actual=fmt(value))
    elif cell.type.integral and number != number.to_integral_value():
        ctx.add("V204", {"cell": name, "shown": shown(value)}, key=key, at=at, actual=fmt(value))
    if not cell.type.integral and isinstance(value, Decimal):
        exponent = number.normalize().as_tuple().exponent
        places, unit = cell.type.decimals, cell.type.unit
        if isinstance(exponent, int) and -exponent > places:
            ctx.add(
                "V208",
                {"cell": name, "value": fmt(value), "places": places, "unit": unit},
                key=key,
                at=at,
                actual=fmt(value),
            )
    if absolute(number) > bound(ctx, cell):
        bounds(ctx, cell, number, at)
    normalisations(ctx, cell, cv)


def bound(ctx: Context, cell: Cell) -> Decimal:
    return Decimal(cell.type.maximum)


def bounds(ctx: Context, cell: Cell, number: Decimal, at: Place) -> None:
    ctx.add(
        "V212",
        {"cell": cell_name(ctx.spec, cell.key), "value": fmt(number), "top": fmt(bound(ctx, cell))},
        key=cell.key,
        at=at,
        actual=fmt(number),
        expected=f"≤ {fmt(bound(ctx, cell))}",
    )


def normalisations(ctx: Context, cell: Cell, cv: CellValue) -> None:
    name, key, at = cell_name(ctx.spec, cell.key), cell.key, cv.place
    raw = raw_text(cv.raw) if cv.raw is not None else ""
    value = fmt(cv.value)
    if "annotation" in cv.normalisations:
        ctx.add(
            "V206",
            {"cell": name, "raw": raw, "value": value, **({"note": cv.note} if cv.note else {})},
            variant="note" if cv.note else "",
            key=key,
            at=at,
            actual=raw,
            extra={"note": cv.note},
        )
    if "unit_converted" in cv.normalisations:
        ctx.add(
            "V207",
            {"cell": name, "raw": raw, "value": value, "unit": cell.type.unit},
            variant="converted",
            key=key,
            at=at,
            actual=raw,
        )
    elif "unit_matches" in cv.normalisations:
        fields = {"cell": name, "raw": raw, "value": value}
        ctx.add("V207", fields, variant="matches", key=key, at=at, severity="info")
    implied = {"text_number"} if {"annotation", "unit_converted", "unit_matches"} & set(cv.normalisations) else set()
    plain = [NORMALISATION_TEXT[n] for n in cv.normalisations if n in NORMALISATION_TEXT and n not in implied]
    if plain:
        fields = {"cell": name, "raw": raw, "how": "、".join(plain), "value": value}
        ctx.add("V205", fields, key=key, at=at, actual=raw)


def department_row(ctx: Context) -> None:
    spec = ctx.spec
    scope_field = spec.field("scope")
    if not scope_field.choices or ctx.sub.meta.get("scope", "").strip() != scope_field.choices[UNIT_SCOPE_INDEX]:
        return
    if spec.department_zero_row is None:
        return
    row_label = None
    for cell in spec.row_cells(spec.department_zero_row):
        value = ctx.trusted.get(cell.key)
        if value is None or value == 0 or cell.table in ctx.absent_tables:
            continue
        row_label = cell.row.label
        ctx.add(
            "V210",
            {
                "cell": cell_name(spec, cell.key),
                "value": fmt(value),
                "row": row_label,
                "scope": scope_field.choices[UNIT_SCOPE_INDEX],
            },
            key=cell.key,
            actual=fmt(value),
            expected="0",
        )


FAMILY = Family(
    "values",
    frozenset({"V201", "V202", "V203", "V204", "V205", "V206", "V207", "V208", "V209", "V210", "V212"}),
    values,
)
