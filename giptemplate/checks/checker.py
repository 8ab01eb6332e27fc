"""The reviewer's checks of one submission: a small runner over the registered families.

Every check is generated from the spec (relations, cells, parts, cover fields, cross-year rules, level hints);
nothing here names a label, a row or a sum. Each family is one module with a ``FAMILY`` (:class:`Family`) that
declares the codes it emits: :mod:`.structure` (S1xx), :mod:`.values` (V2xx), :mod:`.relations` (A3xx and the
spec's relation codes), :mod:`.cover` (C7xx), :mod:`.narrative` (N601–N603), :mod:`.textclaims` (T9xx, N607) and
:mod:`.crossyear` (Y5xx, N604). Adding a check is adding a family (and its tests) to :data:`FAMILIES`.

Relations are evaluated on the values *as filed* (a total typed over its formula counts with the typed number,
as a reviewer sees it); a relation that reads a blank, invalid or error cell is "not assessable" (``A390``),
never a silent pass, and the cause gets its own ``V2xx`` finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from giptemplate.checks import cover, crossyear, narrative, relations, structure, textclaims, values
from giptemplate.checks.common import (
    Context,
    Family,
    RelationTally,
    cell_name,
    fmt,
    instance_name,
)
from giptemplate.checks.crossyear import COPY_THRESHOLD, SHINGLE_SIZE, text_similarity
from giptemplate.checks.relations import check_relations
from giptemplate.findings import SEVERITY_LABELS, SEVERITY_ORDER, FileStatus, Finding, Severity, make, sort_findings
from giptemplate.format.arithmetic import Number
from giptemplate.workbook.submission import Submission


def _locate_in_document(ctx: Context) -> None:
    """Not a family: a published document's findings are placed at what it printed, before the cross-year checks
    (which compare with last year's file, not with this document's places)."""
    if ctx.sub.is_document:
        # lazy: the published-document reader's modules, not for a workbook (a one-file check's start-up)
        from giptemplate.published.locate import located_in_document

        ctx.findings[:] = located_in_document(ctx.findings, ctx.sub)


# The families in the order they run; each declares the codes it emits (tests/test_catalogue.py).
FAMILIES: tuple[Family, ...] = (
    structure.FAMILY,
    values.FAMILY,
    relations.FAMILY,
    cover.FAMILY,
    narrative.FAMILY,
    textclaims.FAMILY,
    crossyear.FAMILY,
)
_STEPS = (*(f.run for f in FAMILIES[:-1]), _locate_in_document, FAMILIES[-1].run)


# ---------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FileReport:
    """The checks' result for one input file: its findings and relation counts, or why it could not be read."""

    file: str  # the file as the user named it (relative path or name)
    findings: tuple[Finding, ...]
    tally: RelationTally | None = None  # None when the file could not be read
    unit_name: str = ""
    unit_code: str = ""
    submission: Submission | None = field(default=None, compare=False, repr=False)
    skipped: str = ""  # why a file found in a folder was not read (a lock file, a second link to a file)
    refusal: str = ""  # why the file could not be read: the refusal's one line (name, sentence, English detail)

    @property
    def readable(self) -> bool:
        return self.tally is not None

    def counts(self) -> dict[Severity, int]:
        out: dict[Severity, int] = dict.fromkeys(SEVERITY_LABELS, 0)
        for f in self.findings:
            out[f.severity] += 1
        return out

    @property
    def status(self) -> FileStatus:
        """通过 / 有错误 / 无法读取 (checks.md §3); 已跳过 for a file found but not read, as merge lists it."""
        if self.skipped:
            return FileStatus.SKIPPED
        if not self.readable:
            return FileStatus.UNREADABLE
        return FileStatus.HAS_ERRORS if self.counts()["error"] else FileStatus.PASSED

    @property
    def needs_return(self) -> bool:
        """Whether the unit must correct or explain something (错误 or 需说明)."""
        counts = self.counts()
        return self.readable and (counts["error"] > 0 or counts["explain"] > 0)

    def detail(self) -> str:
        """The verdict without the status: counts by severity and the relation summary, or why it is unreadable."""
        if self.skipped:
            return self.skipped
        if self.tally is None:
            return self.refusal or (self.findings[0].message if self.findings else "")
        counts = self.counts()
        parts = [f"{n} 个{SEVERITY_LABELS[s]}" for s, n in counts.items() if n]
        return f"{'，'.join(parts) if parts else '无问题'}；{self.tally.line()}"

    def verdict(self) -> str:
        """One line: status, counts by severity and the relation summary (or the reason it could not be read)."""
        return f"{self.status}：{self.detail()}"


def unreadable_report(
    file: str, code: str, message: str, variant: str = "", fields: Mapping[str, str] | None = None
) -> FileReport:
    """The report of a file refused at intake: an F0xx finding made from the refusal's ``variant`` and ``fields``
    (:class:`giptemplate.errors.IntakeError`) and nothing else; ``message``, the refusal's one line, is the
    verdict's reason."""
    return FileReport(file=file, findings=(make(code, fields, variant=variant, file=file),), refusal=message)


# ---------------------------------------------------------------------------------------------- entry points


def check_file(
    submission: Submission, previous: Submission | None = None, *, previous_expected: bool = False
) -> FileReport:
    """All checks of one submission, with the relation counts; ``previous`` is last year's submission of the same
    unit. ``previous_expected`` says the caller asked for previous-year checks (then a missing one gives Y590)."""
    ctx = Context(submission, previous, previous_expected=previous_expected)
    for step in _STEPS:
        step(ctx)
    return FileReport(
        file=submission.file,
        findings=tuple(sort_findings(ctx.findings)),
        tally=ctx.tally,
        unit_name=submission.unit_name,
        unit_code=submission.unit_code,
        submission=submission,
    )


def values_as_shown(submission: Submission) -> dict[str, Number | None]:
    """The values a reviewer sees in the recalculated workbook (see :attr:`Submission.as_filed`)."""
    return submission.as_filed


def check(
    submission: Submission, previous: Submission | None = None, *, previous_expected: bool = False
) -> list[Finding]:
    """Every finding about one submission (sorted: severity, code, place)."""
    return list(check_file(submission, previous, previous_expected=previous_expected).findings)


def worst(findings: Iterable[Finding]) -> Severity | None:
    """The most severe severity among findings (None when there are none)."""
    severities: list[Severity] = [f.severity for f in findings]
    if not severities:
        return None
    return min(severities, key=lambda s: SEVERITY_ORDER[s])


__all__ = [
    "COPY_THRESHOLD",
    "FAMILIES",
    "SHINGLE_SIZE",
    "FileReport",
    "RelationTally",
    "cell_name",
    "check",
    "check_file",
    "check_relations",
    "fmt",
    "instance_name",
    "text_similarity",
    "unreadable_report",
    "values_as_shown",
    "worst",
]
