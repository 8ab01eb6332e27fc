"""Real-engine proof: LibreOffice recalculates the template's formulas and gets what Python gets.

Every workbook of this module is filled (with openpyxl, which drops every cached value, or pre-filled by the
writer), then recalculated and saved by ONE LibreOffice run per spec (the same scenarios for both formats).
Every derived cell, relation status, missing count, 校验 rule status, overall verdict, unit line and code check
is compared with the Python side (arithmetic, writer.rule_status / overall_status / unit_line, uscc.verify)
through tests/workbook_expect.py.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from soffice import convert
from workbook_expect import Case, Typed, expected_cells, mismatches, read_back, sheet_values

from giptemplate.format import uscc
from giptemplate.format.arithmetic import FAIL_MARK, NOT_ASSESSABLE, Number, arithmetic_for
from giptemplate.format.layout import layout_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec, all_specs
from giptemplate.workbook.writer import write_template

pytestmark = pytest.mark.soffice

VALID = "91350100M000100Y4" + uscc.check_digit("91350100M000100Y4")
OTHER_VALID = "11350100MB0123456" + uscc.check_digit("11350100MB0123456")
WRONG_DIGIT = VALID[:17] + next(c for c in uscc.CHARSET if c != VALID[17])
# The report year each spec's workbooks are written for (2019 试行: 2019–2020; 2021: 2021 on).
REPORT_YEAR = {"gip2021": 2024, "gip2019": 2020}
# 2019's 表二 soft relations (B1), broken in its prefilled scenario: 对外公开总数量 below 本年新公开数量, and a
# catalogue that shrinks below zero (本年增/减 is signed). 2021's 表二 has no relation.
T2_BREAKS: dict[str, tuple[dict[str, Typed], tuple[str, ...]]] = {
    "gip2021": ({}, ()),
    "gip2019": (
        {"t2.reg.published": 9, "t2.reg.total": 2, "t2.coercion.items": 3, "t2.coercion.change": -7},
        ("t2_total_published[reg]", "t2_items_change[coercion]"),
    ),
}


@dataclass(frozen=True)
class Scenario:
    case: Case
    prefilled: bool = False  # written with values by the writer (else typed in with openpyxl)
    expect_fail: tuple[str, ...] = ()  # rule ids LibreOffice must show as failing


def scenarios(spec: Spec) -> dict[str, Scenario]:
    """The same scenarios for every spec, on the cells the formats share (表三, 表四) or named from the spec
    (its amount cells, its first 表二 cell)."""
    year = REPORT_YEAR[spec.id]
    amounts = [c.key for c in spec.input_cells if not c.type.integral]  # 2021 万元 fee, 2019 元 采购总金额
    first_t2 = spec.table("t2").input_cells[0].key

    def case(inputs: Mapping[str, Typed], **kwargs: Any) -> Case:
        return Case(inputs, year=year, **kwargs)

    def sample(seed: int) -> dict[str, Typed]:
        return dict(consistent_values(spec, random.Random(seed)))

    def derived(inputs: Mapping[str, Typed], key: str) -> Number:
        value = sheet_values(spec, case(inputs))[key]
        assert value is not None
        return value

    out: dict[str, Scenario] = {}
    out["consistent"] = Scenario(case(sample(11), unit_code=VALID))
    prefilled = sample(12)
    for key in amounts:  # every decimal place the amount allows
        prefilled[key] = Decimal(123456).scaleb(-spec.cells[key].type.decimals)
    out["consistent_prefilled"] = Scenario(case(prefilled, unit_name="预填单位", unit_code=VALID), prefilled=True)

    # One fill per relation key that breaks it. Derived cells can only disagree when typed over (the sheet is
    # locked, but a returned file may have been unprotected), so those relations are broken that way.
    values = sample(13)
    total = derived(values, "t3.R5.c7")
    out["break_t3_row_total"] = Scenario(
        case(values, overrides={"t3.R5.c7": total + 2}, unit_code=WRONG_DIGIT), expect_fail=("t3_row_total[R5]",)
    )
    values = sample(14)
    total = derived(values, "t3.R24.c2")
    out["break_t3_result_total"] = Scenario(
        case(values, overrides={"t3.R24.c2": total - 4}, unit_code="9135I100M000100Y43"),
        expect_fail=("t3_result_total[c2]",),
    )
    values = sample(15)
    values["t3.R1.c3"] = int(values["t3.R1.c3"] or 0) + 5
    values["t3.R25.c4"] = int(values["t3.R25.c4"] or 0) + 2
    out["break_t3_balance"] = Scenario(
        case(values, unit_code=VALID[:17]), expect_fail=("t3_balance[c3]", "t3_balance[c4]", "t3_balance[c7]")
    )
    values = sample(16)
    out["break_t4_group_total"] = Scenario(
        case(
            values,
            overrides={"t4.cases.k10": derived(values, "t4.cases.k10") + 7, "t4.cases.k5": 1000},
            unit_code=f"  {OTHER_VALID.lower()} ",
        ),
        expect_fail=("t4_group_total[direct]", "t4_group_total[review]"),
    )
    broken_prefilled = sample(17)
    broken_prefilled["t3.R16.c1"] = int(broken_prefilled["t3.R16.c1"] or 0) + 3
    broken_prefilled["t3.R2.c5"] = None
    t2_values, t2_failing = T2_BREAKS[spec.id]
    broken_prefilled.update(t2_values)
    out["broken_prefilled"] = Scenario(
        case(broken_prefilled, unit_code=WRONG_DIGIT, scope="本级政府汇总"),
        prefilled=True,
        expect_fail=("t3_balance[c1]", *t2_failing),
    )

    # Blanks and text that slipped past validation: not assessable, counted as missing.
    values = sample(18)
    values["t3.R7.c2"] = None
    values["t3.R20.c7"] = None  # a derived cell: typing nothing there changes nothing
    values["t4.cases.k3"] = None
    values[first_t2] = "无"
    values["t3.R25.c6"] = "12"
    values.update(dict.fromkeys(amounts))
    out["blanks_and_text"] = Scenario(case({k: v for k, v in values.items() if k != "t3.R20.c7"}, unit_code=""))
    out["untouched"] = Scenario(case({}, unit_code=VALID), prefilled=True)

    # Codes as a filler may type them: the live check must agree with uscc.verify character for character.
    for name, code in {
        "code_inner_spaces": VALID[:6] + "  " + VALID[6:],
        "code_ideographic_space": VALID + "\u3000",
        "code_tab": VALID + "\t",
        "code_fullwidth": "９" + VALID[1:],
        "code_sharp_s": VALID[:17] + "ß",
        "code_spaces_to_18": VALID[:8] + "  " + VALID[8:17],  # TRIM leaves 18 characters, one a space
        "code_astral": VALID[:16] + "\U0001f600",  # 17 code points, 18 UTF-16 units
    }.items():
        out[name] = Scenario(case({}, unit_code=code))
    return out


SCENARIOS = {spec.id: scenarios(spec) for spec in all_specs()}
NAMES = list(next(iter(SCENARIOS.values())))
assert all(list(s) == NAMES for s in SCENARIOS.values())  # the tests are parametrised by these names


def build(spec: Spec, name: str, scenario: Scenario, folder: Path) -> Path:
    case = scenario.case
    path = folder / f"{name}.xlsx"
    if scenario.prefilled:
        numbers = {k: v for k, v in case.inputs.items() if not isinstance(v, str)}
        write_template(
            path,
            year=case.year,
            unit_name=case.unit_name,
            unit_code=case.unit_code,
            scope=case.scope,
            values=numbers,
            spec=spec,
        )
        return path
    write_template(path, year=case.year, unit_name=case.unit_name, scope=case.scope, spec=spec)
    layout = layout_for(spec)
    workbook = openpyxl.load_workbook(path)
    for key, value in {**case.inputs, **case.overrides}.items():
        place = layout.cells[key]
        cell_value: Any = float(value) if isinstance(value, Decimal) else value
        workbook[place.sheet].cell(place.row + 1, place.col + 1).value = cell_value
    code = layout.fields["unit_code"]
    workbook[code.sheet].cell(code.row + 1, code.col + 1).value = case.unit_code or None
    workbook.save(path)
    return path


@pytest.fixture(scope="module")
def recalculated(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("filled")
    paths = [build(spec, name, scenario, folder) for name, scenario in SCENARIOS[spec.id].items()]
    outputs = convert(paths, tmp_path_factory.mktemp("recalculated"), "xlsx")
    return {p.stem: p for p in outputs}


@pytest.mark.parametrize("name", NAMES)
def test_libreoffice_computes_what_python_computes(spec: Spec, name: str, recalculated: dict[str, Path]) -> None:
    case = SCENARIOS[spec.id][name].case
    read = read_back(recalculated[name], expected_cells(spec, case))
    assert mismatches(spec, case, read) == []


@pytest.mark.parametrize("name", [n for n in NAMES if SCENARIOS["gip2021"][n].expect_fail])
def test_broken_relations_show_as_failing(name: str, recalculated: dict[str, Path], spec: Spec) -> None:
    """The fills really break what they mean to break (so the comparison above is not all ✓)."""
    layout = layout_for(spec)
    relations = {r.rule_id: r for r in spec.relations}
    failing = SCENARIOS[spec.id][name].expect_fail
    places = [layout.status_of(relations[rule_id]) for rule_id in failing]
    read = read_back(recalculated[name], [(p.sheet, p.row, p.col) for p in places])
    assert all(str(v).startswith(FAIL_MARK) for v in read.values()), read


def test_every_relation_key_is_broken_somewhere(spec: Spec) -> None:
    broken = {rule_id.split("[")[0] for s in SCENARIOS[spec.id].values() for rule_id in s.expect_fail}
    assert broken == {r.key for r in spec.relations}


def test_outcomes_cover_pass_fail_and_not_assessable(spec: Spec, recalculated: dict[str, Path]) -> None:
    arithmetic = arithmetic_for(spec)
    seen = set()
    for scenario in SCENARIOS[spec.id].values():
        values = sheet_values(spec, scenario.case)
        seen |= {arithmetic.evaluate(r, values).status_text[:1] for r in spec.relations}
    assert {"✓", FAIL_MARK, NOT_ASSESSABLE[:1]} <= seen
    verdicts = {uscc.verify(s.case.unit_code) for s in SCENARIOS[spec.id].values()}
    assert verdicts == {"ok", "bad_check_digit", "bad_character", "not_uscc", "empty"}
