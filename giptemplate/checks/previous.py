"""Last year's submissions, for the cross-year checks (Y501–Y505, N604).

``load_previous`` reads last year's workbooks from files or folders (recursively); ``previous_for`` finds the one of
the same unit: by unit code first, then by unit name, preferring the report year just before the current one. A file
that cannot be read is remembered with its reason, never fatal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from giptemplate.errors import IntakeError
from giptemplate.workbook.submission import Submission


def code_key(code: str) -> str:
    return "".join(code.split()).upper()


def name_key(name: str) -> str:
    """A unit name for matching: NFKC (full-width brackets and digits), no whitespace at all."""
    return "".join(unicodedata.normalize("NFKC", name).split())


@dataclass
class PreviousIndex:
    """Last year's submissions, indexed by unit code and unit name."""

    submissions: list[Submission] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)  # unreadable files with the reason
    by_code: dict[str, list[Submission]] = field(default_factory=dict)
    by_name: dict[str, list[Submission]] = field(default_factory=dict)

    def add(self, submission: Submission) -> None:
        self.submissions.append(submission)
        code = code_key(submission.unit_code)
        if code:
            self.by_code.setdefault(code, []).append(submission)
        name = name_key(submission.unit_name)
        if name:
            self.by_name.setdefault(name, []).append(submission)

    def __len__(self) -> int:
        return len(self.submissions)


def load_previous(paths: Iterable[str | Path], *, on_file: Callable[[Path], None] | None = None) -> PreviousIndex:
    """Read every workbook under ``paths`` (files, or folders searched recursively) into an index."""
    from giptemplate.merge.collect import find_inputs
    from giptemplate.workbook.reader import read_workbook

    files, _ = find_inputs(paths)
    index = PreviousIndex()
    for path in files:
        try:
            index.add(read_workbook(path))
        except IntakeError as exc:
            index.refused.append((path, exc.message))
        except Exception as exc:  # an unreadable old file must not stop this year's checks
            index.refused.append((path, f"{path.name}：读取时发生内部错误（{type(exc).__name__}）"))
        if on_file is not None:
            on_file(path)
    return index


def _closeness(current: Submission, candidate: Submission) -> int:
    """Smaller is better: last year's report, then an unknown year, then earlier years."""
    year, theirs = current.year, candidate.year
    if year is None or theirs is None:
        return 1
    if theirs == year - 1:
        return 0
    return 2 + (year - 1 - theirs)


def previous_for(index: PreviousIndex, submission: Submission) -> Submission | None:
    """Last year's submission of the same unit (code first, then name), or None.

    A candidate of the same or a later report year is never last year's."""
    for table, key in (
        (index.by_code, code_key(submission.unit_code)),
        (index.by_name, name_key(submission.unit_name)),
    ):
        if not key:
            continue
        candidates = [
            c
            for c in table.get(key, [])
            if c is not submission
            and c.sha256 != submission.sha256
            and (submission.year is None or c.year is None or c.year < submission.year)
        ]
        if candidates:
            best = min(_closeness(submission, c) for c in candidates)
            closest = [c for c in candidates if _closeness(submission, c) == best]
            # several files of the same unit and year: the one saved last
            return max(closest, key=lambda c: (c.saved_at, c.file))
    return None


__all__ = ["PreviousIndex", "code_key", "load_previous", "name_key", "previous_for"]
