"""Last year's submissions, for the cross-year checks (Y501–Y505, N604): which one is the same unit's.

``previous_for`` finds, in a :class:`PreviousIndex`, the entry of the same unit: by unit code first, then by unit
name, preferring the report year just before the current one. Entries are anything that says who and when
(:class:`Known`): a read :class:`~giptemplate.workbook.submission.Submission`, or a :class:`PreviousRef` that only
says where last year's file is (what the merge's worker processes receive, to read the one they need).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar


class Known(Protocol):
    """Who a file is about and when it was saved: what matching needs."""

    @property
    def unit_code(self) -> str: ...
    @property
    def unit_name(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def saved_at(self) -> str: ...
    def report_year(self) -> int | None: ...


class _Listed(Protocol):
    """A file as the per-file pipeline left it (merge's FileResult): what a :class:`PreviousRef` is made of."""

    @property
    def path(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def unit_code(self) -> str: ...
    @property
    def unit_name(self) -> str: ...
    @property
    def year(self) -> int | None: ...
    @property
    def sha256(self) -> str: ...
    @property
    def saved_at(self) -> str: ...


K = TypeVar("K", bound=Known)


@dataclass(frozen=True, slots=True)
class PreviousRef:
    """Where last year's file of a unit is, and who it is: what a worker needs to find it and read it when the
    unit's file comes up."""

    path: str
    file: str
    unit_code: str
    unit_name: str
    year: int | None
    sha256: str
    saved_at: str

    def report_year(self) -> int | None:
        return self.year

    @classmethod
    def of(cls, result: _Listed) -> PreviousRef:
        return cls(
            result.path, result.name, result.unit_code, result.unit_name, result.year, result.sha256, result.saved_at
        )


def code_key(code: str) -> str:
    return "".join(code.split()).upper()


def name_key(name: str) -> str:
    """A unit name for matching: NFKC (full-width brackets and digits), no whitespace at all."""
    return "".join(unicodedata.normalize("NFKC", name).split())


@dataclass
class PreviousIndex(Generic[K]):
    """Last year's files, indexed by unit code and unit name."""

    entries: list[K] = field(default_factory=list)
    by_code: dict[str, list[K]] = field(default_factory=dict)
    by_name: dict[str, list[K]] = field(default_factory=dict)

    def add(self, entry: K) -> None:
        self.entries.append(entry)
        code = code_key(entry.unit_code)
        if code:
            self.by_code.setdefault(code, []).append(entry)
        name = name_key(entry.unit_name)
        if name:
            self.by_name.setdefault(name, []).append(entry)

    def __len__(self) -> int:
        return len(self.entries)


def _closeness(year: int | None, theirs: int | None) -> int:
    """Smaller is better: last year's report, then an unknown year, then earlier years."""
    if year is None or theirs is None:
        return 1
    if theirs == year - 1:
        return 0
    return 2 + (year - 1 - theirs)


def previous_for(index: PreviousIndex[K], current: Known) -> K | None:
    """Last year's entry of the same unit (code first, then name), or None.

    A candidate of the same or a later report year is never last year's."""
    year = current.report_year()
    for table, key in (
        (index.by_code, code_key(current.unit_code)),
        (index.by_name, name_key(current.unit_name)),
    ):
        if not key:
            continue
        candidates = [
            c
            for c in table.get(key, [])
            if c is not current
            and c.sha256 != current.sha256
            and (year is None or c.report_year() is None or (c.report_year() or 0) < year)
        ]
        if candidates:
            best = min(_closeness(year, c.report_year()) for c in candidates)
            closest = [c for c in candidates if _closeness(year, c.report_year()) == best]
            # several files of the same unit and year: the one saved last
            return max(closest, key=lambda c: (c.saved_at, c.file))
    return None


__all__ = ["Known", "PreviousIndex", "PreviousRef", "code_key", "name_key", "previous_for"]
