"""Workbooks recalculated and saved by LibreOffice as .xlsx, .xls and .ods read back with identical values.

All inputs of the module go through one soffice run per target format (``convert`` takes one format per run).
"""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from soffice import convert

from giptemplate.format.arithmetic import Number, arithmetic_for
from giptemplate.format.layout import layout_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec, all_specs, spec_by_id
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.writer import write_template

pytestmark = pytest.mark.soffice

FORMATS = ("xlsx", "xls", "ods")
UNIT = "某市某区人民政府办公室"
TEXTS = {"s1_1": "主动公开政府信息一百二十条。", "s6": "本年度未收取信息处理费。"}
TYPED_OVER = 999


def _amount_key(spec: Spec) -> str:
    """The format's amount cell (2021: the fee in 万元; 2019: 采购总金额 in 元)."""
    return next(c.key for c in spec.input_cells if not c.type.integral)


def _year(spec: Spec) -> int:
    return 2024 if spec.covers_year(2024) else spec.first_year


def _values(spec: Spec) -> dict[str, Number]:
    values = consistent_values(spec, random.Random(2024), density=0.8)
    key = _amount_key(spec)
    values[key] = Decimal("3.1416") if spec.cells[key].type.decimals >= 4 else Decimal("1234.56")
    return values


@pytest.fixture(scope="module", params=[s.id for s in all_specs()])
def format_spec(request: pytest.FixtureRequest) -> Spec:
    """Each format version (2019 试行 and 2021) goes through LibreOffice."""
    return spec_by_id(request.param)


@pytest.fixture(scope="module")
def converted(format_spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """{format: {name: path}} for: a filled template; a blank one filled with openpyxl (no cached totals);
    one with a total typed over and an error formula in an input cell."""
    spec = format_spec
    folder = tmp_path_factory.mktemp("soffice")
    values = _values(spec)
    layout = layout_for(spec)
    common = {"year": _year(spec), "unit_name": UNIT, "scope": "本机关", "texts": TEXTS, "spec": spec}
    filled = folder / "filled.xlsx"
    write_template(filled, values=values, **common)  # type: ignore[arg-type]
    blank = folder / "blank.xlsx"
    write_template(blank, **common)  # type: ignore[arg-type]
    wb = openpyxl.load_workbook(blank)
    for key, value in values.items():
        place = layout.cells[key]
        wb[place.sheet].cell(place.row + 1, place.col + 1).value = value
    by_openpyxl = folder / "openpyxl.xlsx"
    wb.save(by_openpyxl)
    wb = openpyxl.load_workbook(filled)
    total, error = layout.cells["t3.R24.c1"], layout.cells["t3.R2.c1"]
    wb[total.sheet].cell(total.row + 1, total.col + 1).value = TYPED_OVER
    wb[error.sheet].cell(error.row + 1, error.col + 1).value = "=1/0"
    edited = folder / "edited.xlsx"
    wb.save(edited)
    inputs = [filled, by_openpyxl, edited]
    out: dict[str, dict[str, Path]] = {}
    for fmt in FORMATS:
        paths = convert(inputs, folder / fmt, fmt)
        out[fmt] = {p.stem: p for p in paths}
    return out


def _expected(spec: Spec, values: dict[str, Number]) -> dict[str, Number | None]:
    inputs = {c.key: values.get(c.key) for c in spec.input_cells}
    return {**inputs, **arithmetic_for(spec).derive(inputs)}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["filled", "openpyxl"])
def test_round_trip_keeps_values(format_spec: Spec, converted: dict[str, dict[str, Path]], fmt: str, name: str) -> None:
    spec = format_spec
    values = _values(spec)
    sub = read_workbook(converted[fmt][name])
    assert sub.file_format == fmt
    assert sub.identified_by == "identity"  # the identity sheet survives (LibreOffice makes it merely hidden)
    assert sub.meta["unit_name"] == UNIT and sub.year == _year(spec) and sub.meta["template_id"] == spec.template_id
    expected = _expected(spec, values)
    assert sub.values == expected
    for key, value in values.items():
        assert (sub.cells[key].value, sub.cells[key].state) == (value, "ok"), key
    assert isinstance(sub.cells[_amount_key(spec)].value, Decimal)
    # LibreOffice recalculated: every stored total now shows the recomputed value
    assert {k: t.shown for k, t in sub.stored.items()} == {c.key: expected[c.key] for c in spec.derived_cells}
    assert all(t.has_formula is (True if fmt == "xlsx" else None) for t in sub.stored.values())
    assert sub.texts["s1_1"] == TEXTS["s1_1"] and sub.texts["s6"] == TEXTS["s6"]
    assert sub.label_mismatches == [] and sub.moves == [] and sub.missing_sheets == ()
    assert sub.unprotected_sheets == ()
    if fmt != "xls":
        assert sub.application.startswith("LibreOffice") and sub.saved_at


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_of_typed_over_total_and_error(
    format_spec: Spec, converted: dict[str, dict[str, Path]], fmt: str
) -> None:
    values = _values(format_spec)
    sub = read_workbook(converted[fmt]["edited"])
    total = sub.stored["t3.R24.c1"]
    assert total.shown == TYPED_OVER
    assert total.has_formula is (False if fmt == "xlsx" else None)
    error = sub.cells["t3.R2.c1"]
    assert error.value is None and sub.values["t3.R2.c7"] is None
    if fmt == "xlsx":  # only the xlsx XML marks error cells; calamine reads them as empty elsewhere
        assert (error.state, error.raw) == ("error", "#DIV/0!")
        assert sub.stored["t3.R2.c7"].state == "error"
    assert sub.cells["t3.R1.c1"].value == values["t3.R1.c1"]
