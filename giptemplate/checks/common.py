"""What every family of checks shares: the context of one check (:class:`Context`), how messages name cells
and numbers, the relation tally, and :class:`Family`, the registration of one family of checks.

A family is one module of :mod:`giptemplate.checks` with a ``FAMILY``: its name, the finding codes it may emit
(plus, for the families whose codes a spec declares, a function naming those), and the function that runs it on a
:class:`Context`. :mod:`.checker` runs the registered families in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from giptemplate.findings import Finding, make
from giptemplate.format.arithmetic import Number, Outcome
from giptemplate.format.layout import Place, layout_for
from giptemplate.format.spec import Spec
from giptemplate.format.wording import cell_name, instance_name
from giptemplate.workbook.submission import Submission

MAX_LISTED_CELLS = 6
MAX_RAW_CHARS = 40

PlaceOf = Callable[[str], Place | None]

# Re-exported: the families name cells as the wording of the 校验 sheet does.
__all__ = [
    "Context",
    "Family",
    "PlaceOf",
    "RelationTally",
    "absolute",
    "cell_name",
    "fmt",
    "instance_name",
    "list_cells",
    "optional_text",
    "raw_text",
]


# ---------------------------------------------------------------------------------------------- naming


def fmt(value: Number | None) -> str:
    """A number as a message shows it: exact, never in exponent notation."""
    if value is None:
        return "（空）"
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    return str(value)


def absolute(value: Number) -> Number:
    return -value if value < 0 else value


def optional_text(value: Number | None) -> str | None:
    return None if value is None else fmt(value)


def raw_text(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).replace("\n", " ").strip()
    return text if len(text) <= MAX_RAW_CHARS else text[:MAX_RAW_CHARS] + "…"


def list_cells(keys: Sequence[str], place_of: PlaceOf, home_sheet: str) -> str:
    shown = []
    for key in keys[:MAX_LISTED_CELLS]:
        place = place_of(key)
        if place is None:
            continue
        shown.append(place.a1 if place.sheet == home_sheet else place.display)
    text = "、".join(shown)
    if len(keys) > MAX_LISTED_CELLS:
        text += f" 等 {len(keys)} 个单元格"
    return text


# ---------------------------------------------------------------------------------------------- the context


@dataclass
class RelationTally:
    """Outcomes of every relation instance of one file (or aggregate)."""

    passed: int = 0
    failed: int = 0
    not_assessable: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.not_assessable

    def line(self) -> str:
        return f"关系校验：{self.passed} 条通过，{self.failed} 条未通过，{self.not_assessable} 条无法判断"

    def count(self, outcome: Outcome, n: int = 1) -> None:
        if outcome is Outcome.PASS:
            self.passed += n
        elif outcome is Outcome.FAIL:
            self.failed += n
        else:
            self.not_assessable += n


class Context:
    """One pass over one submission: what every family reads (the submission, its values trusted and as shown,
    the layout, last year's file) and where findings go, each with the file's and unit's identity."""

    def __init__(
        self, submission: Submission, previous: Submission | None = None, *, previous_expected: bool = False
    ) -> None:
        self.sub = submission
        self.previous = previous
        self.previous_expected = previous_expected
        self.spec = submission.spec
        # trusted (every total recomputed) and as shown (typed totals count, as the workbook displays them)
        self.trusted = submission.values
        self.shown = submission.as_filed
        self.layout = layout_for(self.spec)
        self.findings: list[Finding] = []
        self.tally = RelationTally()
        self.where: dict[str, Any] = {
            "file": submission.file,
            "unit_name": submission.unit_name,
            "unit_code": submission.unit_code,
        }
        missing = set(submission.missing_sheets)
        lost = {m.table for m in submission.moves if not m.located}
        self.absent_tables = {t.key for t in self.spec.tables if t.sheet in missing or t.key in lost}

    # -------------------------------------------------------------------------------------- helpers

    def sheet(self, name: str) -> str:
        return self.sub.renamed_sheets.get(name, name)

    def place(self, key: str) -> Place | None:
        if key in self.sub.cells:
            return self.sub.cells[key].place
        if key in self.sub.stored:
            return self.sub.stored[key].place
        fallback = self.layout.cells.get(key)
        if fallback is None:
            return None
        return Place(self.sheet(fallback.sheet), fallback.row, fallback.col)

    def add(
        self,
        code: str,
        fields: Mapping[str, object] | None = None,
        *,
        variant: str = "",
        key: str | None = None,
        at: Place | None = None,
        **more: Any,
    ) -> None:
        """A finding of ``code``, its message the catalogue's template ``variant`` with ``fields``, placed at ``at``
        (or at the data cell ``key``)."""
        if at is None and key is not None:
            at = self.place(key)
        sheet, cell = more.pop("sheet", None), more.pop("cell", None)
        if at is not None:
            sheet, cell = at.sheet, at.a1
        self.findings.append(
            make(code, fields, variant=variant, sheet=sheet, cell=cell, cell_key=key, **self.where, **more)
        )

    def field_place(self, key: str) -> Place:
        p = self.layout.fields[key]
        return Place(self.sheet(p.sheet), p.row, p.col)

    def part_place(self, key: str) -> Place:
        p = self.layout.parts[key]
        return Place(self.sheet(p.sheet), p.row, p.col)


# ---------------------------------------------------------------------------------------------- families


@dataclass(frozen=True)
class Family:
    """One family of checks: the codes it may emit and how it runs. ``spec_codes`` names the codes a spec file
    declares for it (a relation's code, a cross-year rule's), which it emits too."""

    name: str
    codes: frozenset[str]
    run: Callable[[Context], None]
    spec_codes: Callable[[Spec], Iterable[str]] = field(default=lambda spec: ())

    def emits(self, spec: Spec) -> frozenset[str]:
        """Every code this family may emit on a file of ``spec``."""
        return self.codes | frozenset(self.spec_codes(spec))
