"""Relations: every sum and inequality the spec declares, on the values as filed (A30x, or the spec's own codes),
and A390 where a relation reads a blank or invalid cell."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from giptemplate.checks.common import (
    Context,
    Family,
    PlaceOf,
    RelationTally,
    absolute,
    fmt,
    instance_name,
    list_cells,
    optional_text,
)
from giptemplate.findings import Finding, make
from giptemplate.format import wording
from giptemplate.format.arithmetic import Number, Outcome, arithmetic_for
from giptemplate.format.layout import layout_for
from giptemplate.format.spec import Relation, Spec


def check_relations(
    spec: Spec,
    values: Mapping[str, Number | None],
    *,
    file: str = "",
    unit_name: str = "",
    unit_code: str = "",
    place: PlaceOf | None = None,
    tally: RelationTally | None = None,
    skip_tables: Iterable[str] = (),
) -> list[Finding]:
    """Findings of every relation instance of ``spec`` on ``values`` (inputs and totals alike).

    A failed instance gives its A30x finding at the instance's first lhs cell; an instance that reads a blank cell
    gives ``A390`` naming the cells. ``place`` maps a cell key to where it stands (default: the template layout);
    ``tally`` collects the outcomes. Relations of ``skip_tables`` (a table missing from the file) are counted as
    not assessable and reported once per relation.
    """
    layout = layout_for(spec)
    arithmetic = arithmetic_for(spec)
    place_of: PlaceOf = place or (lambda key: layout.cells.get(key))
    tally = tally if tally is not None else RelationTally()
    skipped = set(skip_tables)
    findings: list[Finding] = []
    where: dict[str, Any] = {"file": file, "unit_name": unit_name, "unit_code": unit_code}
    collapsed: dict[str, list[Relation]] = {}
    for relation in spec.relations:
        if relation.table in skipped:
            collapsed.setdefault(relation.key, []).append(relation)
            tally.count(Outcome.NOT_ASSESSABLE)
            continue
        evaluation = arithmetic.evaluate(relation, values, depend_on_inputs=False)
        if evaluation.outcome is Outcome.PASS:
            tally.passed += 1
            continue
        if evaluation.outcome is Outcome.FAIL:
            tally.failed += 1
        missing, lhs, rhs = evaluation.missing, evaluation.lhs, evaluation.rhs
        target = relation.lhs[0]
        at = place_of(target)
        loc: dict[str, Any] = {
            **where,
            "sheet": at.sheet if at else None,
            "cell": at.a1 if at else None,
            "cell_key": target,
            "rule": relation.rule_id,
        }
        if missing:
            tally.count(Outcome.NOT_ASSESSABLE)
            home = at.sheet if at else ""
            context = instance_name(spec, relation)
            findings.append(
                make(
                    "A390",
                    {"instance": context, "relation": relation.title, "cells": list_cells(missing, place_of, home)},
                    **loc,
                    extra={"missing": list(missing), "relation": relation.key, "code_of_rule": relation.code},
                )
            )
            continue
        assert lhs is not None and rhs is not None
        diff = lhs - rhs
        variant, fields = wording.relation_fields(spec, relation, fmt(lhs), fmt(rhs), fmt(absolute(diff)))
        findings.append(
            make(
                relation.code,
                fields,
                variant=variant,
                severity=relation.severity,
                expected=optional_text(rhs),
                actual=optional_text(lhs),
                diff=optional_text(diff),
                **loc,
                extra={"relation": relation.key, "cells": list(relation.cells)},
            )
        )
    for key, relations in collapsed.items():
        first = relations[0]
        table = spec.table(first.table)
        findings.append(
            make(
                "A390",
                {"sheet": table.sheet, "count": len(relations), "code": first.code},
                variant="table",
                **where,
                sheet=table.sheet,
                rule=f"{key}[*]",
                extra={"relation": key, "instances": [r.instance for r in relations]},
            )
        )
    return findings


def run(ctx: Context) -> None:
    sub = ctx.sub
    ctx.findings.extend(
        check_relations(
            ctx.spec,
            ctx.shown,
            file=sub.file,
            unit_name=sub.unit_name,
            unit_code=sub.unit_code,
            place=ctx.place,
            tally=ctx.tally,
            skip_tables=ctx.absent_tables,
        )
    )


FAMILY = Family("relations", frozenset({"A390"}), run, lambda spec: {r.code for r in spec.relations})
