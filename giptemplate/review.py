"""Return-for-correction copies (退回修改件): a fresh locked template pre-filled with what the unit sent.

The copy is written by :mod:`giptemplate.writer`, so it has the same formulas, validations, live checks and
protection as the template the unit first received. The unit's valid values and texts are filled in; cells with a
problem are highlighted and carry a comment with the finding; a 退回意见 sheet lists every finding. Values that are
not valid numbers are left blank (highlighted), so the copy never carries an invalid value forward.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO

from giptemplate.arithmetic import Number
from giptemplate.errors import InputError, WriterError
from giptemplate.findings import SEVERITY_LABELS, Finding, code_title, sort_findings
from giptemplate.layout import REVIEW_SHEET, Layout, Place, layout_for
from giptemplate.submission import Submission
from giptemplate.textwidth import fitted_height
from giptemplate.writer import DEFAULT_PASSWORD, Fill, Note, TemplateWriter

# Findings of these severities are marked in the cells; all findings are listed on the 退回意见 sheet.
MARKED_SEVERITIES = ("error", "explain", "warning")
MAX_CELL_CHARS = 32767  # Excel's limit for one cell
MAX_COMMENT_CHARS = 2000  # a comment box stays readable
RETURN_KIND = "return"


def _ok(result: object, what: str) -> None:
    # xlsxwriter reports refusals as negative return codes, not exceptions
    if isinstance(result, int) and not isinstance(result, bool) and result < 0:
        raise WriterError(f"xlsxwriter refused {what} on the review sheet (code {result})")


def place_of_finding(layout: Layout, finding: Finding) -> Place | None:
    """Where a finding belongs in a fresh template: its data cell, cover field or narrative part (None for
    findings about the file as a whole, such as an altered label that the fresh template prints correctly)."""
    if finding.cell_key and finding.cell_key in layout.cells:
        return layout.cells[finding.cell_key]
    field = finding.extra.get("field")
    if isinstance(field, str) and field in layout.fields:
        return layout.fields[field]
    part = finding.extra.get("part")
    if isinstance(part, str) and part in layout.parts:
        return layout.parts[part]
    return None


def valid_values(submission: Submission, findings: Sequence[Finding]) -> dict[str, Number | None]:
    """The input values worth carrying into the copy: numbers read without an error finding at their cell."""
    rejected = {f.cell_key for f in findings if f.severity == "error" and f.code.startswith("V") and f.cell_key}
    out: dict[str, Number | None] = {}
    for cell in submission.spec.input_cells:
        read = submission.cells.get(cell.key)
        if read is None or read.state != "ok" or read.value is None or cell.key in rejected:
            out[cell.key] = None
        else:
            out[cell.key] = read.value
    return out


def _report_year(submission: Submission) -> int:
    for text in (submission.meta.get("report_year", ""), str(submission.year or "")):
        if text.strip().isdigit() and submission.spec.covers_year(int(text)):
            return int(text)
    raise InputError(f"{submission.file}：无法确定报告年度，不能生成退回修改件 (report year unknown)")


def _note_text(findings: Sequence[Finding]) -> str:
    lines = [f"【{f.severity_label} {f.code}】{f.message}" for f in findings]
    text = "\n".join(lines)
    return text if len(text) <= MAX_COMMENT_CHARS else text[: MAX_COMMENT_CHARS - 1] + "…"


def write_return_copy(
    submission: Submission,
    findings: Sequence[Finding],
    target: str | Path | IO[bytes],
    *,
    password: str = DEFAULT_PASSWORD,
    summary: str = "",
) -> bytes:
    """Write the return-for-correction copy of ``submission`` with ``findings`` to ``target``; returns the bytes.

    Same unit, year, scope and file id as the original (identity kind ``return``); valid values and texts
    pre-filled; each problem cell highlighted with a comment; a 退回意见 sheet listing the findings.
    ``summary`` is an optional verdict line shown at the top of that sheet.
    """
    spec = submission.spec
    layout = layout_for(spec)
    findings = sort_findings(findings)
    meta = submission.meta
    about_unit = any(f.extra.get("field") in ("unit_name", "unit_code") for f in findings)
    fill = Fill(
        year=_report_year(submission),
        unit_name=meta.get("unit_name", "")[:MAX_CELL_CHARS],
        unit_code=meta.get("unit_code", "")[:MAX_CELL_CHARS],
        scope=meta.get("scope", "")[:MAX_CELL_CHARS],
        filler=meta.get("filler", "")[:MAX_CELL_CHARS],
        phone=meta.get("phone", "")[:MAX_CELL_CHARS],
        date=meta.get("date", "")[:MAX_CELL_CHARS],
        values=valid_values(submission, findings),
        texts={p.key: submission.texts.get(p.key, "")[:MAX_CELL_CHARS] for p in spec.parts},
    )
    by_place: dict[Place, list[Finding]] = {}
    for finding in findings:
        place = place_of_finding(layout, finding)
        if place is not None and finding.severity in MARKED_SEVERITIES:
            by_place.setdefault(place, []).append(finding)
    notes = [Note(p.sheet, p.row, p.col, _note_text(fs)) for p, fs in by_place.items()]

    writer = TemplateWriter(target, spec, password=password)
    writer.write(
        fill,
        kind=RETURN_KIND,
        file_id=meta.get("file_id") or None,
        lock_unit=bool(fill.unit_name) and not about_unit,
        notes=notes,
        title_suffix="（退回修改）",
    )
    _write_review_sheet(writer, submission, findings, by_place, summary)
    return writer.close()


def _write_review_sheet(
    writer: TemplateWriter,
    submission: Submission,
    findings: Sequence[Finding],
    by_place: dict[Place, list[Finding]],
    summary: str,
) -> None:
    f = writer.formats
    sheet = writer.add_worksheet(REVIEW_SHEET)
    widths = (6, 8, 7, 22, 16, 80)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    last = len(widths) - 1
    _ok(sheet.merge_range(0, 0, 0, last, "退回修改意见", f.title), "merge_range")
    sheet.set_row(0, 30)
    unit = submission.unit_name or "（未填写单位名称）"
    _ok(sheet.merge_range(1, 0, 1, last, "", f.subtitle), "merge_range")
    line = f"填报单位：{unit}　　原文件：{submission.file}（SHA-256 {submission.sha256[:12]}）"
    _ok(sheet.write_string(1, 0, line[:MAX_CELL_CHARS], f.subtitle), "write_string")
    if not summary:
        counts = {s: sum(1 for x in findings if x.severity == s) for s in SEVERITY_LABELS}
        summary = "，".join(f"{n} 个{SEVERITY_LABELS[s]}" for s, n in counts.items() if n) or "无问题"
    _ok(sheet.merge_range(2, 0, 2, last, "", f.subtitle), "merge_range")
    _ok(sheet.write_string(2, 0, f"校验结论：{summary}"[:MAX_CELL_CHARS], f.subtitle), "write_string")
    guide = (
        "请按下列意见修改本工作簿中黄色标注的单元格（鼠标移到单元格上可查看批注），修改后重新报送；"
        "“需说明”的问题请随报送附书面说明。未能读取为有效数字的单元格已留空，请重新填写。"
    )
    _ok(sheet.merge_range(3, 0, 3, last, "", f.plain), "merge_range")
    _ok(sheet.write_string(3, 0, guide, f.plain), "write_string")
    sheet.set_row(3, 36)
    header_row = 5
    for col, text in enumerate(("序号", "级别", "代码", "问题类型", "位置", "说明")):
        _ok(sheet.write_string(header_row, col, text, f.table_header), "write_string")
    marked = {id(x): p for p, xs in by_place.items() for x in xs}
    for i, finding in enumerate(findings, start=1):
        row = header_row + i
        place = marked.get(id(finding))
        where = place.display if place is not None else finding.location
        _ok(sheet.write_number(row, 0, i, f.cell), "write_number")
        _ok(sheet.write_string(row, 1, finding.severity_label, f.cell), "write_string")
        _ok(sheet.write_string(row, 2, finding.code, f.cell), "write_string")
        _ok(sheet.write_string(row, 3, code_title(finding.code), f.cell), "write_string")
        _ok(sheet.write_string(row, 4, where, f.cell), "write_string")
        _ok(sheet.write_string(row, 5, finding.message[:MAX_CELL_CHARS], f.cell), "write_string")
        kind = code_title(finding.code)
        sheet.set_row(row, fitted_height([(kind, widths[3]), (where, widths[4]), (finding.message, widths[5])]))
    if not findings:
        _ok(sheet.write_string(header_row + 1, 5, "无问题", f.cell), "write_string")
    sheet.freeze_panes(header_row + 1, 0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    sheet.protect(writer.password, {"select_locked_cells": True, "select_unlocked_cells": True})
    sheet.activate()


__all__ = ["place_of_finding", "valid_values", "write_return_copy"]
