"""Merges of merges: what a lower level's summary workbook carries up besides its totals.

A city merges its counties' summary workbooks (汇总.xlsx), a province its cities'. Each lower summary is read as one
submission for its totals (the official tables), and, here, for its own 报送情况 (every unit and file of the lower
merge, with its status) and 校验问题 (every finding): a county's 未报送 unit stays visible at the city and the
province. Rows are found by the header labels the summary writes, never by position.

The checks a unit's own workbook needs about its cover, narrative and extra sheets say nothing about a summary this
tool wrote: only the checks of the figures (:data:`SUMMARY_CHECKED`) are kept for a lower summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from giptemplate.files.intake import open_workbook
from giptemplate.findings import CODES, DECLARED, SEVERITY_LABELS, Finding, Severity, finding_columns

SUMMARY_CHECKED = ("A", "V", "Y")  # finding code prefixes kept for a lower summary: arithmetic, values, cross-year
STATUS_SHEET = "报送情况"
FINDINGS_SHEET = "校验问题"
# The headings of the summary's 报送情况 and 校验问题, by field, in the sheets' order: the summary writes them
# (:mod:`giptemplate.merge.summary`) and the level above finds its rows by them. The 校验问题 columns are those of
# the one finding row (findings.FINDING_ROW).
STATUS_HEADER: tuple[tuple[str, str], ...] = (
    ("index", "序号"),
    ("unit_name", "单位名称"),
    ("unit_code", "单位代码"),
    ("group", "分组"),
    ("status", "状态"),
    ("included", "计入汇总"),
    ("reason", "说明"),
    ("file", "文件"),
    ("errors", "错误"),
    ("explains", "需说明"),
    ("warnings", "警告"),
    ("infos", "提示"),
    ("saved_at", "保存时间（北京时间）"),
    ("sha256", "SHA-256"),
)
FINDING_HEADER: tuple[tuple[str, str], ...] = finding_columns(
    "unit_name", "unit_code", "file", "sheet", "cell", "code", "severity", "title", "message"
)
STATUS_COLUMNS = {field: label for field, label in STATUS_HEADER if field != "index"}  # what is read back
FINDING_COLUMNS = {field: label for field, label in FINDING_HEADER if field != "title"}
_SEVERITY_BY_LABEL: dict[str, Severity] = {label: s for s, label in SEVERITY_LABELS.items()}


@dataclass(frozen=True, slots=True)
class LowerEntry:
    """One row of a lower summary's 报送情况."""

    status: str
    unit_name: str
    unit_code: str
    group: str
    included: bool
    reason: str
    file: str
    errors: int
    explains: int
    warnings: int
    infos: int
    saved_at: str
    sha256: str


@dataclass(frozen=True, slots=True)
class LowerSummary:
    """What a lower level's summary workbook says about its own units and files."""

    entries: tuple[LowerEntry, ...]
    findings: tuple[Finding, ...]


def kept_for_summary(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """The findings of a lower summary's own checks that concern its figures."""
    return tuple(f for f in findings if f.code.startswith(SUMMARY_CHECKED))


def _rows(book: Any, sheet: str, header: dict[str, str]) -> list[dict[str, Any]]:
    """The rows under the sheet's header row (the first row holding every label of ``header``), by field."""
    if sheet not in book.sheet_names:
        return []
    rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    for top, row in enumerate(rows):
        labels = [str(v).strip() for v in row]
        if all(label in labels for label in header.values()):
            where = {field: labels.index(label) for field, label in header.items()}
            out = []
            for values in rows[top + 1 :]:
                if not any(str(v).strip() for v in values):
                    continue
                out.append({f: values[i] if i < len(values) else "" for f, i in where.items()})
            return out
    return []


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else ""


def _count(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def read_lower(path: str | Path) -> LowerSummary:
    """The 报送情况 and 校验问题 of a summary workbook this tool wrote (empty when a sheet is not there)."""
    book = open_workbook(path)
    entries = tuple(
        LowerEntry(
            status=_text(row["status"]),
            unit_name=_text(row["unit_name"]),
            unit_code=_text(row["unit_code"]),
            group=_text(row["group"]),
            included=_text(row["included"]) == "是",
            reason=_text(row["reason"]),
            file=_text(row["file"]),
            errors=_count(row["errors"]),
            explains=_count(row["explains"]),
            warnings=_count(row["warnings"]),
            infos=_count(row["infos"]),
            saved_at=_text(row["saved_at"]),
            sha256=_text(row["sha256"]),
        )
        for row in _rows(book, STATUS_SHEET, STATUS_COLUMNS)
        if _text(row["status"])
    )
    findings = []
    for row in _rows(book, FINDINGS_SHEET, FINDING_COLUMNS):
        code = _text(row["code"])
        known = CODES.get(code) or DECLARED.get(code)  # a relation code the lower level's spec declared
        if known is None:
            continue
        findings.append(
            Finding(
                code=code,
                severity=_SEVERITY_BY_LABEL.get(_text(row["severity"]), known.severity),
                message=_text(row["message"]),
                file=_text(row["file"]),
                sheet=_text(row["sheet"]) or None,
                cell=_text(row["cell"]) or None,
                unit_name=_text(row["unit_name"]),
                unit_code=_text(row["unit_code"]),
            )
        )
    return LowerSummary(entries, tuple(findings))
