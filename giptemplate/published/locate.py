"""Findings about a published document, placed in the document: page, table, row and column in words.

A finding about a cell gets the place where the document prints it and the text as printed ("第3页 表三（文中第2个
表格第27行）「（七）总计」行「自然人」列（印为 20）"); the A1 cell it names stays that of the extracted workbook.
Findings that only make sense for a workbook are dropped: S106 (a document cannot say whether a total was
computed) and the cover's C704/C705 (a published report has no 统计口径, 填报人 or 联系电话 fields). Cells the
document printed twice, differently, give P803 with the readings.
"""

from __future__ import annotations

from collections.abc import Iterable

from giptemplate.findings import Finding, at_document_place, make
from giptemplate.workbook.submission import Submission

WORKBOOK_ONLY = frozenset({"S106", "C704", "C705"})


def _printed(submission: Submission, key: str) -> str:
    if key in submission.cells:
        raw = submission.cells[key].raw
    elif key in submission.stored:
        shown = submission.stored[key].shown
        raw = "" if shown is None else shown
    else:
        return ""
    text = "" if raw is None else str(raw)
    return f"（印为 {text}）" if text else "（空白）"


def located_in_document(findings: Iterable[Finding], submission: Submission) -> list[Finding]:
    out: list[Finding] = []
    for finding in findings:
        if finding.code in WORKBOOK_ONLY:
            continue
        key = finding.cell_key
        place = submission.provenance.get(key) if key else None
        if place and finding.code not in ("T901", "T902"):
            finding = at_document_place(finding, f"{place}{_printed(submission, key or '')}")
        out.append(finding)
    for key, readings in submission.uncertain.items():
        place = submission.provenance.get(key, key)
        out.append(
            make(
                "P803",
                {"place": place, "readings": "；".join(readings)},
                file=submission.file,
                cell_key=key,
                sheet=submission.spec.cells[key].table
                and submission.spec.table(submission.spec.cells[key].table).sheet,
                extra={"candidates": list(readings), "document_place": place},
            )
        )
    return out
