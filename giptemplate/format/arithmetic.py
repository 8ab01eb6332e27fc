"""The one source of arithmetic: each relation of the spec, evaluated on values and rendered as Excel formulas.

The writer asks this module for every formula it writes (derived totals, live status cells, blank counts) and
for the values to cache in them; the checks ask it to evaluate the same relations on what a file holds. Keeping
both here is what makes "LibreOffice computes what Python computes" a property of one piece of code.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from xlsxwriter.utility import xl_rowcol_to_cell

from giptemplate.format.spec import Relation, Spec

Number = int | Decimal
Values = Mapping[str, Number | None]
# (row, col) of a cell on its sheet, zero-based
Position = tuple[int, int]

PASS_MARK = "✓"
FAIL_MARK = "✗"
NOT_ASSESSABLE = "无法判断"


class Outcome(enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    NOT_ASSESSABLE = "not_assessable"


@dataclass(frozen=True)
class Evaluation:
    relation: Relation
    outcome: Outcome
    lhs: Number | None
    rhs: Number | None
    missing: tuple[str, ...]  # input cells that made the instance not assessable

    @property
    def diff(self) -> Number | None:
        if self.lhs is None or self.rhs is None:
            return None
        return self.lhs - self.rhs

    @property
    def status_text(self) -> str:
        """Exactly what the live status cell shows for the same values."""
        if self.outcome is Outcome.NOT_ASSESSABLE:
            return NOT_ASSESSABLE
        if self.outcome is Outcome.PASS:
            return PASS_MARK
        return f"{FAIL_MARK} 差{self.diff}"


EXCEL_OPERATOR = {"=": "=", "≥": ">="}


def holds(relation: Relation, lhs: Number, rhs: Number) -> bool:
    """Whether the two sums satisfy the relation's operator."""
    return lhs >= rhs if relation.op == "≥" else lhs == rhs


def _sum(values: Iterable[Number]) -> Number:
    total: Number = 0
    for v in values:
        total = total + v
    return total


def _side(keys: Sequence[str], values: Values) -> Number | None:
    """The sum of one side of a relation; None when any of its cells is blank."""
    total: Number = 0
    for key in keys:
        value = values.get(key)
        if value is None:
            return None
        total = total + value
    return total


class Arithmetic:
    """Derivation order, dependency closures and evaluation for one spec."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.formula_of: dict[str, Relation] = {r.derives: r for r in spec.relations if r.derives}
        self.order: tuple[str, ...] = self._topological()
        self._input_order = {c.key: i for i, c in enumerate(spec.input_cells)}
        self._cell_order = {key: i for i, key in enumerate(spec.cells)}

    def _topological(self) -> tuple[str, ...]:
        done: list[str] = []
        seen: set[str] = set()

        def visit(key: str) -> None:
            if key in seen:
                return
            seen.add(key)
            for dep in self.formula_of[key].rhs:
                if dep in self.formula_of:
                    visit(dep)
            done.append(key)

        for key in self.formula_of:
            visit(key)
        return tuple(done)

    @functools.cache  # noqa: B019 - one Arithmetic per spec, kept for the process
    def inputs_of(self, key: str) -> frozenset[str]:
        """The input cells a cell's value depends on (itself, when it is an input)."""
        relation = self.formula_of.get(key)
        if relation is None:
            return frozenset((key,))
        return frozenset().union(*(self.inputs_of(dep) for dep in relation.rhs))

    @functools.cache  # noqa: B019
    def relation_inputs(self, relation: Relation) -> tuple[str, ...]:
        keys: frozenset[str] = frozenset().union(*(self.inputs_of(k) for k in relation.cells))
        return tuple(sorted(keys, key=self._input_order.__getitem__))

    def derive(
        self,
        inputs: Values,
        *,
        blank_as_zero: bool = False,
        typed: Mapping[str, Number | None] | None = None,
    ) -> dict[str, Number | None]:
        """Values of every derived cell. Strict by default: a total over a missing cell is missing.

        ``blank_as_zero`` mirrors Excel's SUM, for the values cached in formulas we write. ``typed`` holds totals
        whose formula a filler replaced by a number: they keep that number, and the formulas above them add it,
        as the recalculated workbook shows it.
        """
        values: dict[str, Number | None] = dict(inputs)
        derived: dict[str, Number | None] = {}
        for key in self.order:
            if typed is not None and key in typed:
                values[key] = derived[key] = typed[key]
                continue
            total: Number | None = 0
            for dep in self.formula_of[key].rhs:
                part = values.get(dep)
                if part is not None:
                    total = total + part  # type: ignore[operator]
                elif not blank_as_zero:
                    total = None
                    break
            values[key] = derived[key] = total
        return derived

    def evaluate(self, relation: Relation, values: Values, *, depend_on_inputs: bool = True) -> Evaluation:
        """Evaluate one instance. ``values`` holds inputs and derived cells alike.

        With ``depend_on_inputs`` an instance is not assessable when any input it depends on (through derived
        cells too) is missing, as the live status cell judges it. Otherwise only its own cells count, as a
        reviewer reads a filed table (a typed total stands for itself); a blank total then names the blank
        inputs behind it.
        """
        lhs, rhs = _side(relation.lhs, values), _side(relation.rhs, values)
        missing: tuple[str, ...] = ()
        if depend_on_inputs:
            missing = tuple(k for k in self.relation_inputs(relation) if values.get(k) is None)
        if lhs is None or rhs is None:
            missing = missing or self._blank_causes(relation, values)
        if missing or lhs is None or rhs is None:
            return Evaluation(relation, Outcome.NOT_ASSESSABLE, None, None, missing)
        return Evaluation(relation, Outcome.PASS if holds(relation, lhs, rhs) else Outcome.FAIL, lhs, rhs, ())

    def _blank_causes(self, relation: Relation, values: Values) -> tuple[str, ...]:
        """The blank cells an instance reads, each blank total replaced by the blank inputs behind it."""
        causes: list[str] = []
        for key in relation.cells:
            if values.get(key) is not None:
                continue
            behind = [k for k in self.inputs_of(key) if k != key and values.get(k) is None]
            for cause in behind or [key]:
                if cause not in causes:
                    causes.append(cause)
        return tuple(sorted(causes, key=lambda k: self._cell_order.get(k, 0)))

    def evaluate_all(self, values: Values) -> list[Evaluation]:
        return [self.evaluate(r, values) for r in self.spec.relations]

    # ------------------------------------------------------------------------------------ Excel rendering

    @functools.cache  # noqa: B019 - formulas repeat in every workbook of a roster
    def sum_formula(self, keys: Sequence[str], position: Callable[[str], Position]) -> str:
        """A SUM over the cells (same sheet), with contiguous runs written as ranges."""
        return _sum_expression([position(k) for k in keys])

    @functools.cache  # noqa: B019
    def derived_formula(self, key: str, position: Callable[[str], Position]) -> str:
        return "=" + self.sum_formula(self.formula_of[key].rhs, position)

    @functools.cache  # noqa: B019
    def status_formula(self, relation: Relation, position: Callable[[str], Position]) -> str:
        inputs = self.relation_inputs(relation)
        left = self.sum_formula(relation.lhs, position)
        right = self.sum_formula(relation.rhs, position)
        counted = ",".join(a1_ranges([position(k) for k in inputs]))
        return (
            f'=IF(COUNT({counted})<{len(inputs)},"{NOT_ASSESSABLE}",'
            f'IF({left}{EXCEL_OPERATOR[relation.op]}{right},"{PASS_MARK}","{FAIL_MARK} 差"&({left}-({right}))))'
        )

    @functools.cache  # noqa: B019
    def strict_formula(self, key: str, position: Callable[[str], Position]) -> str:
        """A derived cell as :meth:`derive` computes it without ``blank_as_zero``: "" when a part is blank."""
        rhs = self.formula_of[key].rhs
        counted = ",".join(a1_ranges([position(k) for k in rhs]))
        return f'IF(COUNT({counted})<{len(rhs)},"",{self.sum_formula(rhs, position)})'

    @functools.cache  # noqa: B019
    def filed_status_formula(self, relation: Relation, position: Callable[[str], Position]) -> str:
        """The status of an instance as :meth:`evaluate` with ``depend_on_inputs=False`` judges it (its own cells
        only), over cells that hold the values as filed (derived strictly, typed totals as typed)."""
        left = self.sum_formula(relation.lhs, position)
        right = self.sum_formula(relation.rhs, position)
        counted = ",".join(a1_ranges([position(k) for k in relation.cells]))
        return (
            f'=IF(COUNT({counted})<{len(relation.cells)},"{NOT_ASSESSABLE}",'
            f'IF({left}{EXCEL_OPERATOR[relation.op]}{right},"{PASS_MARK}","{FAIL_MARK} 差"&({left}-({right}))))'
        )


def a1_ranges(positions: list[Position]) -> list[str]:
    """Cover the cells with few A1 ranges: horizontal runs per row, stacked when rows repeat the same run."""
    by_row: dict[int, list[int]] = {}
    for r, c in positions:
        by_row.setdefault(r, []).append(c)
    runs: list[tuple[int, int, int]] = []  # row, first col, last col
    for r in sorted(by_row):
        cols = sorted(set(by_row[r]))
        start = prev = cols[0]
        for c in cols[1:]:
            if c != prev + 1:
                runs.append((r, start, prev))
                start = c
            prev = c
        runs.append((r, start, prev))
    blocks: list[list[int]] = []  # first row, last row, first col, last col
    for r, c0, c1 in runs:
        for block in blocks:
            if block[1] == r - 1 and block[2] == c0 and block[3] == c1:
                block[1] = r
                break
        else:
            blocks.append([r, r, c0, c1])
    out = []
    for r0, r1, c0, c1 in blocks:
        first = xl_rowcol_to_cell(r0, c0)
        out.append(first if (r0, c0) == (r1, c1) else f"{first}:{xl_rowcol_to_cell(r1, c1)}")
    return out


def _sum_expression(positions: list[Position]) -> str:
    if not positions:
        return "0"  # an empty side (上一年项目数量 + 本年增/减 ≥ 0)
    ranges = a1_ranges(positions)
    if len(ranges) == 1 and ":" not in ranges[0]:
        return ranges[0]
    return f"SUM({','.join(ranges)})"


@functools.cache
def arithmetic_for(spec: Spec) -> Arithmetic:
    return Arithmetic(spec)
