"""One file from path to findings: the single pipeline behind ``check``, ``merge`` (in its workers), ``report``,
``--previous`` and the web page.

:func:`check_path` sniffs and reads a file (a workbook, or a published Word/PDF/web report, through
:func:`giptemplate.workbook.reader.read_workbook`), recognises this tool's own outputs, and checks what it read. It
never raises for a bad file:

- a file refused at intake (not a spreadsheet, a password, a zip bomb …) is UNREADABLE with its F0xx code and the
  intake's one Chinese line;
- anything unexpected (a bug of ours, a parser's crash) follows one policy: the file gets code ``X000`` (while
  reading) or an F005 finding (while checking) with one Chinese line naming the stage and the exception's type,
  never its text or a traceback, and the traceback is logged for developers on the ``giptemplate`` logger;
- the report year is :meth:`Submission.report_year <giptemplate.workbook.submission.Submission.report_year>`
  (the cover year when the format covers it, else the template's), the one rule every command uses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from giptemplate.checks.checker import FileReport, RelationTally, check_file, unreadable_report
from giptemplate.checks.previous import PreviousIndex, PreviousRef, previous_for
from giptemplate.checks.textclaims import claims_for
from giptemplate.errors import IntakeError
from giptemplate.files.inputs import generated_file, is_generated
from giptemplate.files.paths import display_name, display_text
from giptemplate.findings import CODES, FileStatus, Finding, make
from giptemplate.format.layout import layout_for
from giptemplate.format.spec import Spec, all_specs
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.submission import Submission

logger = logging.getLogger("giptemplate")

INTERNAL_ERROR = "X000"  # not a finding code: reading the file failed unexpectedly

# Last year's files: read (``--previous`` in one process) or only located (the merge's workers read the one they need).
Previous = PreviousIndex[Submission | PreviousRef]
Texts = Callable[[Spec], Mapping[str, str]]  # narrative texts that replace a workbook's own (report --texts)


@dataclass(frozen=True)
class CheckedSubmission:
    """One file after the pipeline: what was read, what the checks found, or why there is nothing to check."""

    path: Path
    submission: Submission | None = None  # None when unreadable or one of our own outputs
    findings: tuple[Finding, ...] = ()
    tally: RelationTally | None = None  # None when not checked (or the checks failed)
    error_code: str = ""  # F0xx (intake) or X000 (unexpected) when unreadable
    error_message: str = ""  # the refusal's one line (IntakeError.message)
    error_variant: str = ""  # the refusal's sentence in the catalogue: its variant and fields (IntakeError)
    error_fields: tuple[tuple[str, str], ...] = ()
    kind: str = ""  # identity kind ("template", "return", "summary"; "findings" for a check report)
    generated: bool = False  # one of this tool's own outputs as written: listed, never taken as a submission

    @property
    def readable(self) -> bool:
        return self.submission is not None

    @property
    def year(self) -> int | None:
        return self.submission.report_year() if self.submission is not None else None

    @property
    def status(self) -> FileStatus:
        if self.generated:
            return FileStatus.GENERATED
        if self.submission is None:
            return FileStatus.UNREADABLE
        return FileStatus.HAS_ERRORS if any(f.severity == "error" for f in self.findings) else FileStatus.PASSED

    def report(self, display: str | None = None) -> FileReport:
        """The checks' report of this file, shown as ``display`` (default: the file's name)."""
        shown = display if display is not None else display_name(self.path)
        if self.submission is None:
            code = self.error_code if self.error_code in CODES else "F005"
            return unreadable_report(shown, code, self.error_message, self.error_variant, dict(self.error_fields))
        return FileReport(
            file=shown,
            findings=self.findings,
            tally=self.tally,
            unit_name=self.submission.unit_name,
            unit_code=self.submission.unit_code,
            submission=self.submission,
        )


Stage = Literal["read", "check", "read_lower"]


def internal_refusal(path: str | Path, stage: Stage, exc: BaseException) -> IntakeError:
    """The refusal for an unexpected failure ``exc`` while ``stage`` (reading, checking …) ``path`` (F005's
    variant "internal_{stage}"): the stage and the exception's type, never its text (which may quote anything);
    the traceback is logged for developers."""
    logger.error("internal error while %s %s", stage, path, exc_info=exc)
    fields = {"error": display_text(type(exc).__name__)}
    return IntakeError("F005", f"internal_{stage}", fields, name=display_name(path))


def internal_error(path: str | Path, stage: Stage, exc: BaseException) -> str:
    """The one line shown for an unexpected failure (:func:`internal_refusal`)."""
    return internal_refusal(path, stage, exc).message


def refused(path: Path, exc: IntakeError, code: str = "") -> CheckedSubmission:
    """An unreadable file: its refusal's code (or ``code``), one line, and the catalogue's variant and fields."""
    fields = tuple(exc.fields.items())
    return CheckedSubmission(
        path, error_code=code or exc.code, error_message=exc.message, error_variant=exc.variant, error_fields=fields
    )


def load_formats() -> None:
    """Load what checking any file needs once per process: every format's spec, layout and text claims (about
    0.05-0.1 s). Processes forked afterwards start with them loaded."""
    for spec in all_specs():
        layout_for(spec)
        claims_for(spec.id)


def read_path(path: str | Path, *, own_outputs: bool = False) -> CheckedSubmission:
    """Sniff and read one file, unchecked (last year's files, a merge that only reads). ``own_outputs``: the file
    was named explicitly, so one of our own outputs is read as a submission (a city merging its counties'
    summaries names them); otherwise it comes back ``generated`` and unread."""
    path = Path(path)
    try:
        submission = read_workbook(path)
    except IntakeError as exc:
        kind = "" if own_outputs else generated_file(path)
        if kind:
            return CheckedSubmission(path, kind=kind, generated=True)
        return refused(path, exc)
    except Exception as exc:  # a reader bug must not stop a batch: the file is listed with one line, the bug logged
        return refused(path, internal_refusal(path, "read", exc), INTERNAL_ERROR)
    kind = submission.meta.get("kind", "")
    if not own_outputs and is_generated(kind, submission.saved_at):
        return CheckedSubmission(path, kind=kind, generated=True)
    return CheckedSubmission(path, submission, kind=kind)


def last_year(previous: Previous, submission: Submission) -> Submission | None:
    """Last year's submission of the unit (:func:`previous_for`), read now when the index only says where it is;
    a file that cannot be read (any more) counts as absent."""
    found = previous_for(previous, submission)
    if found is None or isinstance(found, Submission):
        return found
    return read_path(found.path, own_outputs=True).submission


def check_path(
    path: str | Path,
    *,
    previous: Previous | None = None,
    check: bool = True,
    own_outputs: bool = False,
    texts: Texts | None = None,
) -> CheckedSubmission:
    """Read and check one file: the whole way from a path to findings (see the module's docstring).

    ``previous``: last year's files (an empty index still asks for the cross-year checks, which then say the year
    is missing); ``check`` False only reads; ``own_outputs`` as :func:`read_path`; ``texts`` replaces the
    narrative read from the file before it is checked (``report --texts``)."""
    read = read_path(path, own_outputs=own_outputs)
    submission = read.submission
    if submission is None or not check:
        return read
    if texts is not None:
        submission.texts = dict(texts(submission.spec))
    try:
        earlier = last_year(previous, submission) if previous is not None else None
        report = check_file(submission, earlier, previous_expected=previous is not None)
    except Exception as exc:  # a checker bug: the file keeps its reading, the findings say they are incomplete
        error = internal_error(path, "check", exc)
        finding = make("F005", {"error": error}, variant="internal", severity="error", file=display_name(path))
        return CheckedSubmission(read.path, submission, (finding,), kind=read.kind)
    return CheckedSubmission(read.path, submission, tuple(report.findings), report.tally, kind=read.kind)


__all__ = [
    "INTERNAL_ERROR",
    "CheckedSubmission",
    "check_path",
    "internal_error",
    "internal_refusal",
    "last_year",
    "read_path",
    "refused",
]
