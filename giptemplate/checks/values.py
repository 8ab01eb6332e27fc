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


def values(ctx: Context) -> None:
    spec = ctx.spec
    for cell in spec.input_cells:
        if cell.table in ctx.absent_tables:
            continue
        cv = ctx.sub.cells.get(cell.key)
        if cv is None:
            ctx.add("V203", wording.blank(cell_name(spec, cell.key)), key=cell.key)
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
            wording.error_value(name, raw or "（错误）"),
            key=key,
            at=at,
            actual=raw,
        )
        return
    if cv.state == "blank":
        typed = wording.blank_typed(raw) if "blank_word" in cv.normalisations and raw else ""
        ctx.add(
            "V203",
            wording.blank(name, typed),
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
            ctx.add("V201", wording.not_number(name, raw), key=key, at=at, actual=raw)
        elif number < 0 and not cell.type.signed:
            ctx.add("V202", wording.negative(name, shown(number), what), key=key, at=at, actual=fmt(number))
        elif cell.type.integral and number != number.to_integral_value():
            ctx.add("V204", wording.not_whole(name, shown(number)), key=key, at=at, actual=fmt(number))
        elif absolute(number) > bound(ctx, cell):
            bounds(ctx, cell, number, at)
        else:
            ctx.add("V201", wording.not_number(name, raw, spelled=True), key=key, at=at, actual=raw)
        return
    value = cv.value
    if value is None:
        return
    number = Decimal(value)
    if number < 0 and not cell.type.signed:
        ctx.add("V202", wording.negative(name, shown(value), what), key=key, at=at, actual=fmt(value))
    elif cell.type.integral and number != number.to_integral_value():
        ctx.add("V204", wording.not_whole(name, shown(value)), key=key, at=at, actual=fmt(value))
    if not cell.type.integral and isinstance(value, Decimal):
        exponent = number.normalize().as_tuple().exponent
        places, unit = cell.type.decimals, cell.type.unit
        if isinstance(exponent, int) and -exponent > places:
            ctx.add(
                "V208",
                f"{name}为 {fmt(value)}，超过 {places} 位小数（单位为{unit}）；已按原值保存，请核对。",
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
        wording.beyond(cell_name(ctx.spec, cell.key), fmt(number), fmt(bound(ctx, cell))),
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
        note = f"，其中的说明“{cv.note}”" if cv.note else ""
        ctx.add(
            "V206",
            f"{name}填写为“{raw}”，已按 {value} 读取{note}应写入文字部分；数字单元格只填数字，请确认并说明。",
            key=key,
            at=at,
            actual=raw,
            extra={"note": cv.note},
        )
    if "unit_converted" in cv.normalisations:
        ctx.add(
            "V207",
            f"{name}填写为“{raw}”，已换算为 {value} {cell.type.unit}；本栏单位为{cell.type.unit}，请确认金额。",
            key=key,
            at=at,
            actual=raw,
        )
    elif "unit_matches" in cv.normalisations:
        ctx.add("V207", f"{name}填写为“{raw}”，已按 {value} 读取（单位相符）。", key=key, at=at, severity="info")
    implied = {"text_number"} if {"annotation", "unit_converted", "unit_matches"} & set(cv.normalisations) else set()
    plain = [NORMALISATION_TEXT[n] for n in cv.normalisations if n in NORMALISATION_TEXT and n not in implied]
    if plain:
        ctx.add("V205", f"{name}填写为“{raw}”（{'、'.join(plain)}），已按 {value} 读取。", key=key, at=at, actual=raw)


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
            f"{cell_name(spec, cell.key)}为 {fmt(value)}：{row_label}只由省级和设区的市级人民政府制定，"
            f"统计口径为“{scope_field.choices[UNIT_SCOPE_INDEX]}”的单位一般应为 0，请核对是否误填了其他行的数字。",
            key=cell.key,
            actual=fmt(value),
            expected="0",
        )


FAMILY = Family(
    "values",
    frozenset({"V201", "V202", "V203", "V204", "V205", "V206", "V207", "V208", "V209", "V210", "V212"}),
    values,
)
