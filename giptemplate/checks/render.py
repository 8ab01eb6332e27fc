"""Rendering of check results: rows for a terminal table, JSON, CSV and an xlsx workbook.

The checks produce :class:`~giptemplate.checks.checker.FileReport` objects; this module only lays them out. Every text
that came from a submitted file (unit names, typed values, messages quoting them) is written as text: ``write_string``
in xlsx, and neutralised against formula injection in CSV.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from giptemplate import __version__
from giptemplate.checks.checker import FileReport
from giptemplate.files import atomic
from giptemplate.files.inputs import FINDINGS_KIND, FINDINGS_TITLE, FIXED_CREATED
from giptemplate.findings import SEVERITY_LABELS, FileStatus, Finding, finding_columns, finding_row
from giptemplate.workbook.textstrings import TextWorkbook

# (key, header) of one row per finding, in output order: the file's status, then columns of findings.FINDING_ROW.
FINDING_COLUMNS: tuple[tuple[str, str], ...] = (
    *finding_columns("file", "unit_name", "unit_code"),
    ("status", "文件状态"),
    *finding_columns("severity", "code", "title", "location", "rule", "message", "expected", "actual", "diff"),
)
# (key, header) of one row per file.
SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file", "文件"),
    ("unit_name", "单位名称"),
    ("unit_code", "单位代码"),
    ("status", "状态"),
    ("error", "错误"),
    ("explain", "需说明"),
    ("warning", "警告"),
    ("info", "提示"),
    ("relations", "关系校验"),
    ("verdict", "结论"),
)
MAX_CELL_CHARS = 32767  # Excel's limit; xlsxwriter refuses longer strings

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def neutralise(text: str) -> str:
    """A CSV cell that no spreadsheet will run as a formula: a leading = + - @ TAB or CR gets a ' prefix.

    Plain numbers such as ``-3`` stay as they are (they cannot be formulas)."""
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _finding_row(report: FileReport, finding: Finding | None) -> dict[str, str]:
    row = {
        "file": report.file,
        "unit_name": report.unit_name,
        "unit_code": report.unit_code,
        "status": report.status,
    }
    if finding is None:
        row.update(dict.fromkeys(("severity", "code", "title", "location", "rule", "expected", "actual", "diff"), ""))
        row["message"] = report.verdict()
        return row
    full = finding_row(finding)
    row.update({key: full[key] for key, _ in FINDING_COLUMNS if key in full and key != "file"})
    row["unit_name"] = finding.unit_name or report.unit_name
    row["unit_code"] = finding.unit_code or report.unit_code
    return row


def finding_rows(reports: Sequence[FileReport], *, include_clean: bool = True) -> list[dict[str, str]]:
    """One row per finding, keyed like :data:`FINDING_COLUMNS`; a file without findings gets one row with its
    verdict (so every input file appears) unless ``include_clean`` is False."""
    rows: list[dict[str, str]] = []
    for report in reports:
        if not report.findings:
            if include_clean:
                rows.append(_finding_row(report, None))
            continue
        rows.extend(_finding_row(report, f) for f in report.findings)
    return rows


def summary_rows(reports: Sequence[FileReport]) -> list[dict[str, str]]:
    """One row per file, keyed like :data:`SUMMARY_COLUMNS`."""
    rows = []
    for report in reports:
        counts = report.counts()
        row = {
            "file": report.file,
            "unit_name": report.unit_name,
            "unit_code": report.unit_code,
            "status": report.status,
            "relations": report.tally.line() if report.tally else "",
            "verdict": report.verdict(),
        }
        for severity in SEVERITY_LABELS:
            row[severity] = str(counts[severity])
        rows.append(row)
    return rows


def table_rows(report: FileReport) -> list[tuple[str, str, str, str]]:
    """(级别, 代码, 位置, 说明) per finding, for a terminal table."""
    return [(f.severity_label, f.code, f.location, f.message) for f in report.findings]


# ---------------------------------------------------------------------------------------------- JSON


def to_json(reports: Sequence[FileReport]) -> str:
    """A JSON document: per file its status, counts, relation summary and findings (with all their fields)."""

    def file_entry(report: FileReport) -> dict[str, Any]:
        tally = report.tally
        return {
            "file": report.file,
            "unit_name": report.unit_name,
            "unit_code": report.unit_code,
            "status": report.status,
            "readable": report.readable,
            "counts": report.counts(),
            "relations": (
                None
                if tally is None
                else {"passed": tally.passed, "failed": tally.failed, "not_assessable": tally.not_assessable}
            ),
            "verdict": report.verdict(),
            "findings": [f.as_dict() for f in report.findings],
        }

    document = {
        "generator": f"giptemplate {__version__}",
        "files": [file_entry(r) for r in reports],
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n"


# ---------------------------------------------------------------------------------------------- CSV


def to_csv(reports: Sequence[FileReport]) -> str:
    """Findings as CSV (header in Chinese), every cell neutralised against formula injection.

    Write it with ``encoding="utf-8-sig"`` so Excel recognises the encoding."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for _, header in FINDING_COLUMNS])
    for row in finding_rows(reports):
        writer.writerow([neutralise(row[key]) for key, _ in FINDING_COLUMNS])
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------- xlsx


_WIDTHS = {
    "file": 28,
    "unit_name": 24,
    "unit_code": 21,
    "status": 9,
    "severity": 7,
    "code": 7,
    "title": 20,
    "location": 14,
    "rule": 22,
    "message": 70,
    "expected": 10,
    "actual": 10,
    "diff": 8,
    "error": 6,
    "explain": 7,
    "warning": 6,
    "info": 6,
    "relations": 40,
    "verdict": 60,
}


def to_xlsx(reports: Sequence[FileReport], target: str | Path | IO[bytes] | None = None) -> bytes:
    """A workbook with a 文件汇总 sheet (one row per file) and a 问题清单 sheet (one row per finding); headers
    frozen, autofilter on, every text written with ``write_string``. Returns the bytes (and writes ``target``)."""
    buffer = io.BytesIO()
    workbook = TextWorkbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    workbook.set_properties({"title": FINDINGS_TITLE, "author": "giptemplate", "created": FIXED_CREATED})
    # Marks the file as ours, so a later check or merge of the same folder skips it instead of reading it.
    workbook.set_custom_property("giptemplate.kind", FINDINGS_KIND)
    header = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True})
    text = workbook.add_format({"valign": "top", "text_wrap": True})
    number = workbook.add_format({"valign": "top"})
    colours = {
        "错误": workbook.add_format({"valign": "top", "font_color": "#9C0006", "bg_color": "#FFC7CE"}),
        "需说明": workbook.add_format({"valign": "top", "font_color": "#9C5700", "bg_color": "#FFEB9C"}),
        FileStatus.HAS_ERRORS: workbook.add_format({"valign": "top", "font_color": "#9C0006", "bg_color": "#FFC7CE"}),
        FileStatus.UNREADABLE: workbook.add_format({"valign": "top", "font_color": "#9C0006", "bg_color": "#FFC7CE"}),
        FileStatus.PASSED: workbook.add_format({"valign": "top", "font_color": "#006100", "bg_color": "#C6EFCE"}),
        FileStatus.SKIPPED: workbook.add_format({"valign": "top", "font_color": "#7F7F7F"}),
    }

    def sheet_of(name: str, columns: tuple[tuple[str, str], ...], rows: list[dict[str, str]]) -> None:
        sheet = workbook.add_worksheet(name)
        for col, (key, title) in enumerate(columns):
            sheet.set_column(col, col, _WIDTHS.get(key, 12))
            sheet.write_string(0, col, title, header)
        for r, row in enumerate(rows, start=1):
            for col, (key, _) in enumerate(columns):
                value = row[key]
                if key in SEVERITY_LABELS and value.isdigit():
                    sheet.write_number(r, col, int(value), number)
                else:
                    sheet.write_string(r, col, value[:MAX_CELL_CHARS], colours.get(value, text))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)

    sheet_of("文件汇总", SUMMARY_COLUMNS, summary_rows(reports))
    sheet_of("问题清单", FINDING_COLUMNS, finding_rows(reports, include_clean=False))
    workbook.close()
    data = buffer.getvalue()
    if isinstance(target, (str, Path)):
        atomic.write_bytes(target, data)
    elif target is not None:
        target.write(data)
    return data


__all__ = [
    "FINDING_COLUMNS",
    "SUMMARY_COLUMNS",
    "finding_rows",
    "neutralise",
    "summary_rows",
    "table_rows",
    "to_csv",
    "to_json",
    "to_xlsx",
]
