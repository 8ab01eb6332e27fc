"""Cell-by-cell totals over units, with the bookkeeping that keeps "blank is not 0" honest.

Counts are summed as ``int`` and the fee as ``Decimal``; a cell that some units left blank (or filled with
something that is not a number) is summed over the units that have it, and the units that do not are kept, so
the summary can say how many units each total covers (M409). Totals are recomputed from the summed inputs with
the spec's arithmetic and every relation is run on them; an aggregate failure is traced back to the units whose
own instance of the same rule fails or cannot be judged (M404): every relation is linear, so there is always one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from giptemplate.checks.checker import fmt
from giptemplate.findings import Finding, make
from giptemplate.format.arithmetic import Evaluation, Number, Outcome, arithmetic_for
from giptemplate.format.layout import layout_for
from giptemplate.format.spec import Indicator, Relation, Spec

AGGREGATE_UNIT = "汇总"
LISTED_UNITS = 20  # names quoted in a message; the finding's extra keeps them all


@dataclass(frozen=True)
class UnitValues:
    """One contributing unit: its name and code, and its trusted values in ``spec.cells`` order."""

    name: str
    code: str
    values: tuple[Number | None, ...]

    def mapping(self, keys: Sequence[str]) -> dict[str, Number | None]:
        return dict(zip(keys, self.values, strict=True))


@dataclass
class Aggregate:
    """Totals of one spec over some units."""

    spec: Spec
    units: list[UnitValues]
    values: dict[str, Number | None]  # inputs summed, derived recomputed (strictly) from them
    contributing: dict[str, int]  # input cell -> number of units with a number there
    missing: dict[str, list[int]] = field(default_factory=dict)  # input cell -> indexes of units without one
    evaluations: list[Evaluation] = field(default_factory=list)

    @property
    def unit_count(self) -> int:
        return len(self.units)

    def cell_units(self, key: str) -> tuple[int, int]:
        """(units contributing, units missing) for any data cell; a derived cell counts its inputs' worst case."""
        inputs = arithmetic_for(self.spec).inputs_of(key)
        missing = {i for k in inputs for i in self.missing.get(k, [])}
        return self.unit_count - len(missing), len(missing)


def cell_keys(spec: Spec) -> tuple[str, ...]:
    """The order of every per-unit value vector: all data cells (inputs and derived) as the spec lists them."""
    return tuple(spec.cells)


def aggregate(spec: Spec, units: Sequence[UnitValues]) -> Aggregate:
    keys = cell_keys(spec)
    index = {k: i for i, k in enumerate(keys)}
    arithmetic = arithmetic_for(spec)
    totals: dict[str, Number | None] = {}
    contributing: dict[str, int] = {}
    missing: dict[str, list[int]] = {}
    for cell in spec.input_cells:
        i = index[cell.key]
        total: Number = 0 if cell.type.integral else Decimal(0)
        count = 0
        lacking: list[int] = []
        for u, unit in enumerate(units):
            value = unit.values[i]
            if value is None:
                lacking.append(u)
            else:
                total += value
                count += 1
        totals[cell.key] = total if count else None
        contributing[cell.key] = count
        if lacking:
            missing[cell.key] = lacking
    values = {**totals, **arithmetic.derive(totals)}
    result = Aggregate(spec, list(units), values, contributing, missing)
    result.evaluations = arithmetic.evaluate_all(values)
    return result


# ---------------------------------------------------------------------------------------------- findings


def instance_label(spec: Spec, relation: Relation) -> str:
    """How a reviewer names one instance: the row or column label, or the group of a named instance."""
    table = spec.table(relation.table)
    if relation.foreach == "row":
        return next(r.label for r in table.rows if r.key == relation.instance)
    if relation.foreach == "col":
        return next(c.label for c in table.columns if c.key == relation.instance)
    return spec.cells[relation.lhs[0]].column.group or relation.instance


def cell_title(spec: Spec, key: str) -> str:
    """``表三「一、本年新收政府信息公开申请数量」「自然人」``: the official labels of a data cell."""
    cell = spec.cells[key]
    table = spec.table(cell.table)
    column = f"{cell.column.group}·{cell.column.label}" if cell.column.group else cell.column.label
    return f"{table.sheet}「{cell.row.label}」「{column}」"


def _names(names: Sequence[str]) -> str:
    shown = "、".join(names[:LISTED_UNITS])
    return shown + (f" 等 {len(names)} 个单位" if len(names) > LISTED_UNITS else "")


def _unit_label(unit: UnitValues) -> str:
    return unit.name or unit.code or "（未填单位名称）"


def _magnitude(value: Number) -> Number:
    return -value if value < 0 else value


def _fmt(value: Number | None) -> str:
    return "" if value is None else fmt(value)


def aggregate_findings(agg: Aggregate) -> list[Finding]:
    """M404 for every failing aggregate instance (with the units to blame), A390 for the ones that cannot be
    judged, M409 for partial cells and M406 for cells that should not be summed blindly."""
    spec, layout = agg.spec, layout_for(agg.spec)
    arithmetic = arithmetic_for(spec)
    keys = cell_keys(spec)
    findings: list[Finding] = []
    unit_maps: list[dict[str, Number | None]] | None = None
    for evaluation in agg.evaluations:
        relation = evaluation.relation
        target = layout.cells[relation.lhs[0]]
        where: dict[str, Any] = {
            "sheet": target.sheet,
            "cell": target.a1,
            "cell_key": relation.lhs[0],
            "rule": relation.rule_id,
            "unit_name": AGGREGATE_UNIT,
        }
        label = instance_label(spec, relation)
        if evaluation.outcome is Outcome.FAIL:
            if unit_maps is None:
                unit_maps = [u.mapping(keys) for u in agg.units]
            failing: list[str] = []
            unknown: list[str] = []
            for unit, values in zip(agg.units, unit_maps, strict=True):
                own = arithmetic.evaluate(relation, values, depend_on_inputs=False)  # as the unit's own check judges it
                if own.outcome is Outcome.FAIL:
                    failing.append(f"{_unit_label(unit)}（差{fmt(own.diff)}）")
                elif own.outcome is Outcome.NOT_ASSESSABLE:
                    unknown.append(_unit_label(unit))
            fields = {
                "relation": relation.title,
                "instance": label,
                "lhs": fmt(evaluation.lhs),
                "rhs": fmt(evaluation.rhs),
                "gap": fmt(_magnitude(evaluation.diff or 0)),
            }
            if failing:
                fields["failing"] = _names(failing)
            if unknown:
                fields["unknown"] = _names(unknown)
            findings.append(
                make(
                    "M404",
                    fields,
                    # the variant names the lists of units the message carries
                    variant="both" if failing and unknown else "failing" if failing else "unknown" if unknown else "",
                    expected=_fmt(evaluation.rhs),
                    actual=_fmt(evaluation.lhs),
                    diff=_fmt(evaluation.diff),
                    extra={"failing_units": failing, "not_assessable_units": unknown},
                    **where,
                )
            )
        elif evaluation.outcome is Outcome.NOT_ASSESSABLE:
            cells = "、".join(cell_title(spec, k) for k in evaluation.missing[:5])
            findings.append(
                make(
                    "A390",
                    {"relation": relation.title, "instance": label, "cells": cells},
                    variant="aggregate",
                    extra={"missing": list(evaluation.missing)},
                    **where,
                )
            )
    for cell in spec.input_cells:
        lacking = agg.missing.get(cell.key)
        if not lacking or not agg.contributing[cell.key]:
            continue
        names = [_unit_label(agg.units[i]) for i in lacking]
        place = layout.cells[cell.key]
        findings.append(
            make(
                "M409",
                {
                    "cell": cell_title(spec, cell.key),
                    "count": agg.contributing[cell.key],
                    "lacking": len(lacking),
                    "units": _names(names),
                },
                sheet=place.sheet,
                cell=place.a1,
                cell_key=cell.key,
                unit_name=AGGREGATE_UNIT,
                expected=str(agg.unit_count),
                actual=str(agg.contributing[cell.key]),
                extra={"units_missing": names},
            )
        )
    findings.extend(_blind_sum_findings(agg))
    return findings


def blind_sum_cells(spec: Spec) -> dict[str, str]:
    """Cells whose sum over units is not a meaningful total, with the reason (checks.md §3 rule 5), as the
    spec's ``blind_sums`` declare them (the first reason given for a cell stands)."""
    out: dict[str, str] = {}
    for blind in spec.blind_sums:
        for key in blind.cells:
            out.setdefault(key, blind.reason)
    return out


def _blind_sum_findings(agg: Aggregate) -> list[Finding]:
    spec, layout = agg.spec, layout_for(agg.spec)
    findings = []
    for key, reason in blind_sum_cells(spec).items():
        value = agg.values.get(key)
        if not value:
            continue
        place = layout.cells[key]
        findings.append(
            make(
                "M406",
                {"cell": cell_title(spec, key), "value": fmt(value), "reason": reason},
                sheet=place.sheet,
                cell=place.a1,
                cell_key=key,
                unit_name=AGGREGATE_UNIT,
                actual=fmt(value),
            )
        )
    return findings


# ---------------------------------------------------------------------------------------------- indicators


@dataclass(frozen=True)
class IndicatorValue:
    numerator: Number | None
    denominator: Number | None  # None for a plain count, or when a cell is missing
    rate: float | None  # None when not assessable (denominator 0 or a cell missing) or a plain count

    @property
    def assessable(self) -> bool:
        return self.rate is not None


def indicator_value(indicator: Indicator, values: Mapping[str, Number | None]) -> IndicatorValue:
    def total(keys: Sequence[str]) -> Number | None:
        parts = [values.get(k) for k in keys]
        if any(p is None for p in parts):
            return None
        out: Number = 0
        for p in parts:
            out += p  # type: ignore[operator]
        return out

    numerator = total(indicator.numerator)
    if not indicator.denominator:
        return IndicatorValue(numerator, None, None)
    denominator = total(indicator.denominator)
    if numerator is None or denominator is None or denominator == 0:
        return IndicatorValue(numerator, denominator, None)
    return IndicatorValue(numerator, denominator, float(Decimal(numerator) / Decimal(denominator)))
