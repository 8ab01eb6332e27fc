"""Report data for the report tests: the published seed report's figures and texts, and a fixed random sample."""

from __future__ import annotations

import random
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from giptemplate.format.arithmetic import Number
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec
from giptemplate.report.model import ReportData, format_date

DATA = Path(__file__).parent / "data"
SEED_FILE = DATA / "seed_report_2021.toml"
GOLDEN_SEED = 2021


def seed_fixture() -> dict[str, Any]:
    with SEED_FILE.open("rb") as fh:
        return tomllib.load(fh)


def zero_inputs(spec: Spec) -> dict[str, Number | None]:
    return {c.key: (0 if c.type.integral else Decimal(0)) for c in spec.input_cells}


def seed_inputs(spec: Spec) -> dict[str, Number | None]:
    """The seed report's figures: 627 行政许可, every other cell 0."""
    inputs = zero_inputs(spec)
    for key, value in seed_fixture()["values"].items():
        assert key in inputs, key
        inputs[key] = value
    return inputs


def seed_report(spec: Spec) -> ReportData:
    seed = seed_fixture()
    return ReportData.from_inputs(
        spec,
        unit_name=seed["unit_name"],
        year=seed["year"],
        date=format_date(seed["date"]),
        inputs=seed_inputs(spec),
        texts=seed["texts"],
        scope=seed["scope"],
    )


def sample_inputs(spec: Spec, seed: int = GOLDEN_SEED) -> dict[str, Number | None]:
    """A consistent random fill with an amount that shows all its decimals (the fee's four)."""
    inputs: dict[str, Number | None] = dict(consistent_values(spec, random.Random(seed), density=0.4, scale=900))
    amount = next(c for c in spec.input_cells if not c.type.integral)
    inputs[amount.key] = Decimal("12.3456") if amount.type.decimals >= 4 else Decimal("12.34")
    return inputs


def sample_report(spec: Spec, seed: int = GOLDEN_SEED) -> ReportData:
    """A county government's report for 2021, or for the last year of a format that ended before (2019 试行: 2020)."""
    fixture = seed_fixture()
    year = 2021 if spec.covers_year(2021) else spec.last_year or spec.first_year
    return ReportData.from_inputs(
        spec,
        unit_name="郑县人民政府",
        year=year,
        date=f"{year + 1}年1月20日",
        inputs=sample_inputs(spec, seed),
        texts=fixture["texts"],
        scope="本级政府汇总",
    )
