"""What every computed cell of a template must show for given inputs, computed with the Python side only.

Shared by the cached-value tests (what xlsxwriter stores for non-calculating viewers) and the real-engine tests
(what LibreOffice computes). Excel semantics where they differ from the strict checks: a derived total is a SUM,
which skips blank and text cells; a status cell is "not assessable" while any input it depends on holds no number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from giptemplate import uscc
from giptemplate.arithmetic import FAIL_MARK, Number, arithmetic_for
from giptemplate.layout import layout_for
from giptemplate.spec import Spec
from giptemplate.writer import overall_status, rule_status, unit_line

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


def expected_cells(spec: Spec, case: Case) -> dict[tuple[str, int, int], Any]:
    """(sheet, row, col) -> the value every computed cell must show."""
    layout = layout_for(spec)
    arithmetic = arithmetic_for(spec)
    values = sheet_values(spec, case)
    out: dict[tuple[str, int, int], Any] = {}
    for cell in spec.derived_cells:
        place = layout.cells[cell.key]
        out[place.sheet, place.row, place.col] = values[cell.key]
    texts: dict[str, str] = {}
    for relation in spec.relations:
        place = layout.status_of(relation)
        texts[relation.rule_id] = arithmetic.evaluate(relation, values).status_text
        out[place.sheet, place.row, place.col] = texts[relation.rule_id]
    missing: dict[str, int] = {}
    for table in spec.tables:
        tl = layout.tables[table.key]
        missing[table.key] = sum(1 for c in table.input_cells if values.get(c.key) is None)
        out[tl.sheet, tl.missing_count.row, tl.missing_count.col] = missing[table.key]
        out[tl.sheet, 1, 0] = unit_line(case.unit_name, case.year, case.scope)
    code_status = uscc.STATUS_TEXT[uscc.verify(case.unit_code)]
    for key, place in layout.field_status.items():
        assert key == "unit_code"
        out[place.sheet, place.row, place.col] = code_status
    failing = missing_total = 0
    for rule, row in layout.check_rules:
        kind, key = rule.split(":", 1)
        status: str | int
        if kind == "rel":
            status = rule_status([texts[r.rule_id] for r in spec.relations if r.key == key])
        elif kind == "missing":
            status = missing[key]
            missing_total += status
        else:
            status = code_status
        if isinstance(status, str) and status.startswith(FAIL_MARK):
            failing += 1
        out[layout.check_overall.sheet, row, 4] = status
    place = layout.check_overall
    out[place.sheet, place.row, place.col] = overall_status(failing, missing_total)
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
