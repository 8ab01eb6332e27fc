"""Sample data: consistent fills of a spec, for the demo, the benchmarks and property tests."""

from __future__ import annotations

import random
from decimal import Decimal

from giptemplate.format.arithmetic import Number, Outcome, arithmetic_for
from giptemplate.format.spec import Spec


def consistent_values(spec: Spec, rng: random.Random, *, density: float = 0.3, scale: int = 50) -> dict[str, Number]:
    """Random input values (sparse, like real reports) that satisfy every relation of the spec.

    Inputs are drawn first; then each check-only relation instance that fails is balanced by moving one of its
    own input cells (the lhs side first, as 上年结转 or 新收 would be recounted). Derived cells are left to the
    arithmetic.
    """
    arithmetic = arithmetic_for(spec)
    values: dict[str, Number] = {}
    for cell in spec.input_cells:
        places = cell.type.decimals
        if rng.random() >= density:
            values[cell.key] = 0 if cell.type.integral else Decimal("0")
        elif not cell.type.integral:
            values[cell.key] = Decimal(rng.randint(0, 10**6)) / Decimal(10**places)
        elif cell.type.signed:
            values[cell.key] = rng.randint(-scale, scale)  # 本年增/减: a catalogue shrinks as often as it grows
        else:
            values[cell.key] = rng.randint(1, scale)
    inputs = {c.key for c in spec.input_cells}
    for relation in spec.relations:
        if relation.derives is not None:
            continue
        evaluation = arithmetic.evaluate(relation, {**values, **arithmetic.derive(values)})
        if evaluation.outcome is Outcome.PASS:
            continue
        assert evaluation.diff is not None
        lhs_inputs = [k for k in relation.lhs if k in inputs]
        rhs_inputs = [k for k in relation.rhs if k in inputs]
        if evaluation.diff < 0 and lhs_inputs:
            values[lhs_inputs[0]] = values[lhs_inputs[0]] - evaluation.diff
        elif evaluation.diff > 0 and rhs_inputs:
            values[rhs_inputs[-1]] = values[rhs_inputs[-1]] + evaluation.diff
        elif lhs_inputs and values[lhs_inputs[0]] - evaluation.diff >= 0:
            values[lhs_inputs[0]] = values[lhs_inputs[0]] - evaluation.diff
    final = {**values, **arithmetic.derive(values)}
    broken = [e.relation.rule_id for e in arithmetic.evaluate_all(final) if e.outcome is not Outcome.PASS]
    if broken:
        raise AssertionError(f"could not balance {broken}")
    return values
