"""What every computed cell of a template must show for given inputs, computed with the Python side only.

Shared by the cached-value tests (what xlsxwriter stores for non-calculating viewers) and the real-engine tests
(what LibreOffice computes). A derived total shows Excel's SUM, which skips blank and text cells; the status cells
judge the values as the checks read them (see giptemplate.workbook.live): numbers typed as text count, unusable numbers
(negative, fractional counts) do not, and a total over a blank is blank.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from giptemplate.format import uscc
from giptemplate.format.arithmetic import FAIL_MARK, Number, arithmetic_for
from giptemplate.format.layout import CHECK_STATUS_COL, UNIT_LINE_ROW, layout_for
from giptemplate.format.spec import Spec
from giptemplate.workbook import live
from giptemplate.workbook.live import rule_status, unit_line
from giptemplate.workbook.normalise import BLANK_WORDS

# A typed input: a number, None (blank) or text that slipped past validation (counts as no number).
Typed = Number | str | None


@dataclass(frozen=True)
class Case:
    """One filled workbook: what the filler typed, what was typed over totals, and the cover."""

    inputs: Mapping[str, Typed]
    overrides: Mapping[str, Number] = field(default_factory=dict)  # derived cells replaced by constants
    unit_name: str = "测试单位"
    unit_code: str = ""
    scope: str = "本机关"
    year: int = 2024


def numbers(case: Case) -> dict[str, Number | None]:
    """The inputs as the formulas see them: text is no number."""
    return {k: v if isinstance(v, (int, Decimal)) else None for k, v in case.inputs.items()}


def sheet_values(spec: Spec, case: Case) -> dict[str, Number | None]:
    """Inputs plus every derived cell as the sheet computes it (SUM over numbers; typed-over totals kept)."""
    arithmetic = arithmetic_for(spec)
    inputs = {c.key: numbers(case).get(c.key) for c in spec.input_cells}
    if not case.overrides:
        return {**inputs, **arithmetic.derive(inputs, blank_as_zero=True)}
    values: dict[str, Number | None] = dict(inputs)
    for key in arithmetic.order:
        if key in case.overrides:
            values[key] = case.overrides[key]
            continue
        total: Number = 0
        for dep in arithmetic.formula_of[key].rhs:
            part = values.get(dep)
            if part is not None:
                total = total + part
        values[key] = total
    return values


def sheet_number(value: Typed) -> Number | None:
    """A typed input as the 校验 sheet's hidden columns read it (VALUE of the trimmed text without separators)."""
    if not isinstance(value, str):
        return value
    try:
        return Decimal(value.strip(" ").replace(",", ""))
    except ArithmeticError:
        return None


def value_code(spec: Spec, key: str, value: Typed) -> str:
    cell = spec.cells[key]
    if isinstance(value, str):
        if value.strip(" ") in BLANK_WORDS or not value.strip(" "):
            return "V203"
        if sheet_number(value) is None:
            return "V201"
    return live.value_code(spec, cell, sheet_number(value))


def filed_values(spec: Spec, case: Case) -> dict[str, Number | None]:
    """Inputs and totals as the checks read them: usable numbers only, totals strict, typed totals as typed."""
    inputs = {c.key: live.usable(spec, c, sheet_number(case.inputs.get(c.key))) for c in spec.input_cells}
    return {**inputs, **arithmetic_for(spec).derive(inputs, typed=dict(case.overrides))}


def expected_cells(spec: Spec, case: Case) -> dict[tuple[str, int, int], Any]:
    """(sheet, row, col) -> the value every computed cell must show."""
    layout = layout_for(spec)
    arithmetic = arithmetic_for(spec)
    values = sheet_values(spec, case)
    filed = filed_values(spec, case)
    out: dict[tuple[str, int, int], Any] = {}
    for cell in spec.derived_cells:
        place = layout.cells[cell.key]
        out[place.sheet, place.row, place.col] = values[cell.key]
    texts: dict[str, str] = {}
    for relation in spec.relations:
        place = layout.status_of(relation)
        texts[relation.rule_id] = arithmetic.evaluate(relation, filed, depend_on_inputs=False).status_text
        out[place.sheet, place.row, place.col] = texts[relation.rule_id]
    codes = {c.key: value_code(spec, c.key, case.inputs.get(c.key)) for c in spec.input_cells}
    codes.update(dict.fromkeys(case.overrides, "S105"))
    for table in spec.tables:
        tl = layout.tables[table.key]
        unusable = sum(1 for c in table.input_cells if codes[c.key] in ("V201", "V203", "V209"))
        out[tl.sheet, tl.missing_count.row, tl.missing_count.col] = unusable
        out[tl.sheet, UNIT_LINE_ROW, 0] = unit_line(case.unit_name, case.year, case.scope)
    code_status = uscc.STATUS_TEXT[uscc.verify(case.unit_code)]
    cover = {"unit_name": case.unit_name, "year": case.year}
    for key, place in layout.cover_status.items():
        status = code_status if key == "unit_code" else live.cover_status(key, cover[key], case.year)
        out[place.sheet, place.row, place.col] = status
    failing = warnings = 0
    for rule, row in layout.check_rules:
        kind, key = rule.split(":", 1)
        if kind == "rel":
            status = rule_status([texts[r.rule_id] for r in spec.relations if r.key == key])
            severity = next(r.severity for r in spec.relations if r.key == key)
        elif kind in ("value", "typed"):
            status = live.count_status(sum(1 for c in codes.values() if c == key))
            severity = live.severity(key)
        elif kind == "cover":
            place = layout.cover_status[key]
            status = out[place.sheet, place.row, place.col]
            severity = live.severity(live.COVER_CODES[key])
        elif kind == "text":
            section = next(s for s in spec.sections if s.key == key)
            status = live.section_status(spec, ["" for _ in section.parts])
            severity = live.severity(live.TEXT_CODE)
        else:
            part = next(p for p in spec.parts if p.key == key)
            status = live.require_status(part.require_any, "")
            severity = live.severity(live.REQUIRE_CODE)
        if status.startswith(FAIL_MARK):
            failing += severity == "error"
            warnings += severity != "error"
        out[layout.check_overall.sheet, row, CHECK_STATUS_COL] = status
    place = layout.check_overall
    out[place.sheet, place.row, place.col] = live.overall_status(failing, warnings)
    return out


def read_back(path: Path | str, places: Iterable[tuple[str, int, int]]) -> dict[tuple[str, int, int], Any]:
    """The cached values at ``places`` (zero-based), as openpyxl's data_only mode reads them."""
    workbook = openpyxl.load_workbook(path, data_only=True)
    try:
        return {(s, r, c): workbook[s].cell(r + 1, c + 1).value for s, r, c in places}
    finally:
        workbook.close()


def same(actual: Any, expected: Any) -> bool:
    """Compare a cell as read back (int/float/str/None) with the Python value (int/Decimal/str/None)."""
    if expected is None:
        return actual is None or actual == ""
    if isinstance(expected, Decimal):
        return isinstance(actual, (int, float)) and Decimal(str(actual)) == expected
    if isinstance(expected, str):
        return (actual if actual is not None else "") == expected
    return isinstance(actual, (int, float)) and not isinstance(actual, bool) and actual == expected


def mismatches(spec: Spec, case: Case, read: Mapping[tuple[str, int, int], Any]) -> list[str]:
    """Every computed cell whose read-back value differs from the Python value, as readable lines."""
    out = []
    for (sheet, row, col), expected in expected_cells(spec, case).items():
        actual = read.get((sheet, row, col))
        if not same(actual, expected):
            out.append(f"{sheet}!R{row + 1}C{col + 1}: expected {expected!r}, got {actual!r}")
    return out
