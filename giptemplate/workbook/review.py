"""Return-for-correction copies (退回修改件): a fresh locked template pre-filled with what the unit sent.

The copy is written by :mod:`giptemplate.workbook.writer`, so it has the same formulas, validations, live checks and
protection as the template the unit first received. It tells one story: the unit's values as filed (a negative
count stays negative, a word typed into a number cell stays there), so the live checks show the same ✗ that the
退回意见 sheet lists; a total typed over its formula gets its formula back, and the sheet says so with both
numbers instead of listing the imbalance the typed number caused. Exactly the cells the findings name are
highlighted, with a comment; repeated findings of one kind are one line listing their cells; the 退回意见 sheet
comes first and is the only sheet selected.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO

from xlsxwriter.worksheet import Worksheet

from giptemplate.checks.checker import cell_name, fmt
from giptemplate.errors import InputError, WriterError
from giptemplate.files.inputs import RETURN_KIND
from giptemplate.findings import SEVERITY_LABELS, Finding, code_title, rendered_again, sort_findings
from giptemplate.format.arithmetic import Number, Outcome, arithmetic_for
from giptemplate.format.layout import (
    REVIEW_GUIDE_ROW,
    REVIEW_HEADER_ROW,
    REVIEW_SHEET,
    REVIEW_SUMMARY_ROW,
    REVIEW_UNIT_ROW,
    TITLE_ROW,
    Layout,
    Place,
    layout_for,
)
from giptemplate.workbook.normalise import parse_value
from giptemplate.workbook.submission import Submission
from giptemplate.workbook.textwidth import fitted_height
from giptemplate.workbook.writer import DEFAULT_PASSWORD, Fill, Note, TemplateWriter

# Findings of these severities are marked in the cells; all findings are listed on the 退回意见 sheet.
MARKED_SEVERITIES = ("error", "explain", "warning")
MAX_CELL_CHARS = 32767  # Excel's limit for one cell
MAX_COMMENT_CHARS = 2000  # a comment box stays readable
# Findings of one code at more cells than this are one line on the 退回意见 sheet, listing the cells.
GROUP_FROM = 3
# Consequences, not causes: a relation that cannot be judged names blank cells that carry their own finding.
UNMARKED_CODES = ("A390",)


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


def filed_values(submission: Submission) -> tuple[dict[str, Number | None], dict[str, str]]:
    """The unit's numbers as filed (negative and fractional ones included) and the text it typed into number
    cells; blanks, blank words ("—") and error values stay blank."""
    values: dict[str, Number | None] = {}
    typed: dict[str, str] = {}
    for cell in submission.spec.input_cells:
        read = submission.cells.get(cell.key)
        values[cell.key] = None
        if read is None or read.state in ("blank", "error"):
            continue
        if read.value is not None:
            values[cell.key] = read.value
        elif read.state == "invalid":
            spelled = parse_value(read.raw, cell.type).number
            if spelled is not None:
                values[cell.key] = spelled
            elif isinstance(read.raw, str) and read.raw.strip():
                typed[cell.key] = read.raw[:MAX_CELL_CHARS]
    return values, typed


def copy_findings(submission: Submission, findings: Sequence[Finding]) -> list[Finding]:
    """The findings as the copy shows them: a typed-over total explained with both numbers (its formula is back);
    an imbalance that only the typed number caused, in that total or in a total adding it up, is gone with it."""
    spec = submission.spec
    arithmetic = arithmetic_for(spec)
    # The copy has every formula back, so each total it shows is recomputed: a typed total, and every total
    # adding it up (a typed （七）总计·自然人 raised （七）总计·总计 as filed), may read differently there.
    filed, recomputed = submission.as_filed, submission.values
    restored = {key for key in arithmetic.formula_of if filed.get(key) != recomputed.get(key)}
    out = []
    for finding in findings:
        if finding.code == "S105" and finding.cell_key:
            fields = {
                "cell": cell_name(spec, finding.cell_key),
                "typed": fmt(None) if finding.actual is None else finding.actual,
            }
            if finding.expected is None:
                out.append(rendered_again(finding, fields, variant="restored"))
            else:
                out.append(
                    rendered_again(finding, {**fields, "computed": finding.expected}, variant="restored_computed")
                )
            continue
        relation = next((r for r in spec.relations if r.rule_id == finding.rule), None)
        if relation is not None and restored & set(relation.cells) and finding.code != "A390":
            # judged again on the restored formulas: an imbalance the typed number alone caused is explained above
            evaluation = arithmetic.evaluate(relation, recomputed, depend_on_inputs=False)
            if evaluation.outcome is Outcome.PASS:
                continue
        out.append(finding)
    return out


def _report_year(submission: Submission) -> int:
    year = submission.report_year()
    if year is not None:
        return year
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
    findings = sort_findings(copy_findings(submission, findings))
    meta = submission.meta
    values, typed = filed_values(submission)
    about_unit = any(f.extra.get("field") in ("unit_name", "unit_code") for f in findings)
    fill = Fill(
        year=_report_year(submission),
        unit_name=meta.get("unit_name", "")[:MAX_CELL_CHARS],
        unit_code=meta.get("unit_code", "")[:MAX_CELL_CHARS],
        scope=meta.get("scope", "")[:MAX_CELL_CHARS],
        filler=meta.get("filler", "")[:MAX_CELL_CHARS],
        phone=meta.get("phone", "")[:MAX_CELL_CHARS],
        date=meta.get("date", "")[:MAX_CELL_CHARS],
        values=values,
        texts={p.key: submission.texts.get(p.key, "")[:MAX_CELL_CHARS] for p in spec.parts},
        typed=typed,
    )
    by_place: dict[Place, list[Finding]] = {}
    for finding in findings:
        place = place_of_finding(layout, finding)
        if place is not None and finding.severity in MARKED_SEVERITIES and finding.code not in UNMARKED_CODES:
            by_place.setdefault(place, []).append(finding)
    notes = [Note(p.sheet, p.row, p.col, _note_text(fs)) for p, fs in by_place.items()]

    writer = TemplateWriter(target, spec, password=password)
    review = writer.add_worksheet(REVIEW_SHEET)  # first, so that it is what the unit sees on opening
    writer.write(
        fill,
        kind=RETURN_KIND,
        file_id=meta.get("file_id") or None,
        lock_unit=bool(fill.unit_name) and not about_unit,
        notes=notes,
        title_suffix="（退回修改）",
    )
    _write_review_sheet(writer, review, submission, findings, by_place, summary)
    return writer.close()


# Widths of the 退回意见 columns (序号, 级别, 代码, 问题类型, 位置, 说明).
REVIEW_WIDTHS = (6, 8, 7, 20, 26, 72)


def _write_review_sheet(
    writer: TemplateWriter,
    sheet: Worksheet,
    submission: Submission,
    findings: Sequence[Finding],
    by_place: dict[Place, list[Finding]],
    summary: str,
) -> None:
    f = writer.formats
    widths = REVIEW_WIDTHS
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    last = len(widths) - 1
    _ok(sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, last, "退回修改意见", f.title), "merge_range")
    sheet.set_row(TITLE_ROW, 30)
    unit = submission.unit_name or "（未填写单位名称）"
    _ok(sheet.merge_range(REVIEW_UNIT_ROW, 0, REVIEW_UNIT_ROW, last, "", f.subtitle), "merge_range")
    line = f"填报单位：{unit}　　原文件：{submission.file}（SHA-256 {submission.sha256[:12]}）"
    _ok(sheet.write_string(REVIEW_UNIT_ROW, 0, line[:MAX_CELL_CHARS], f.subtitle), "write_string")
    if not summary:
        counts = {s: sum(1 for x in findings if x.severity == s) for s in SEVERITY_LABELS}
        summary = "，".join(f"{n} 个{SEVERITY_LABELS[s]}" for s, n in counts.items() if n) or "无问题"
    _ok(sheet.merge_range(REVIEW_SUMMARY_ROW, 0, REVIEW_SUMMARY_ROW, last, "", f.subtitle), "merge_range")
    verdict = f"原文件校验结论：{summary}"[:MAX_CELL_CHARS]
    _ok(sheet.write_string(REVIEW_SUMMARY_ROW, 0, verdict, f.subtitle), "write_string")
    guide = (
        "请按下列意见修改标注的单元格（鼠标移到单元格上可查看批注）。各表的校验栏和“校验”工作表随修改即时更新，"
        "显示“全部校验通过”后再报送；“需说明”的问题请随报送附书面说明。"
    )
    _ok(sheet.merge_range(REVIEW_GUIDE_ROW, 0, REVIEW_GUIDE_ROW, last, "", f.plain), "merge_range")
    _ok(sheet.write_string(REVIEW_GUIDE_ROW, 0, guide, f.plain), "write_string")
    sheet.set_row(REVIEW_GUIDE_ROW, 36)
    header_row = REVIEW_HEADER_ROW
    for col, text in enumerate(("序号", "级别", "代码", "问题类型", "位置", "说明")):
        _ok(sheet.write_string(header_row, col, text, f.table_header), "write_string")
    marked = {id(x): p for p, xs in by_place.items() for x in xs}
    for i, (first, group) in enumerate(_grouped(findings), start=1):
        row = header_row + i
        places = [marked.get(id(x)) for x in group]
        if len(group) == 1:
            where, message = places[0].display if places[0] is not None else first.location, first.message
        else:
            where = _cell_list(group)
            noted = "（已在各单元格标注）" if all(p is not None for p in places) else ""
            message = f"共 {len(group)} 处{noted}。例如：{first.message}"
        kind = code_title(first.code)
        _ok(sheet.write_number(row, 0, i, f.cell), "write_number")
        _ok(sheet.write_string(row, 1, first.severity_label, f.cell), "write_string")
        _ok(sheet.write_string(row, 2, first.code, f.cell), "write_string")
        _ok(sheet.write_string(row, 3, kind, f.cell), "write_string")
        _ok(sheet.write_string(row, 4, where[:MAX_CELL_CHARS], f.cell), "write_string")
        _ok(sheet.write_string(row, 5, message[:MAX_CELL_CHARS], f.cell), "write_string")
        sheet.set_row(row, fitted_height([(kind, widths[3]), (where, widths[4]), (message, widths[5])]))
    if not findings:
        _ok(sheet.write_string(header_row + 1, last, "无问题", f.cell), "write_string")
    sheet.freeze_panes(header_row + 1, 0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    sheet.protect(writer.password, {"select_locked_cells": True, "select_unlocked_cells": True})
    for other in writer.workbook.worksheets():
        other.selected = 0  # one selected sheet: several would open in Excel's group mode, typing into all
    sheet.activate()
    sheet.set_first_sheet()


def _grouped(findings: Sequence[Finding]) -> list[tuple[Finding, list[Finding]]]:
    """Findings in order, those of one code and severity at more than GROUP_FROM cells as one group."""
    by_code: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        by_code.setdefault((finding.code, finding.severity), []).append(finding)
    out: list[tuple[Finding, list[Finding]]] = []
    done: set[tuple[str, str]] = set()
    for finding in findings:
        key = (finding.code, finding.severity)
        group = by_code[key]
        if len(group) <= GROUP_FROM:
            out.append((finding, [finding]))
        elif key not in done:
            done.add(key)
            out.append((finding, group))
    return out


def _cell_list(findings: Sequence[Finding]) -> str:
    """The findings' cells by sheet: 表三 C7、C8、D9；表四 B6."""
    by_sheet: dict[str, list[str]] = {}
    for finding in findings:
        by_sheet.setdefault(finding.sheet or "", []).append(finding.cell or "")
    return "；".join(
        f"{sheet} {'、'.join(c for c in dict.fromkeys(cells) if c)}".strip() for sheet, cells in by_sheet.items()
    )


__all__ = ["copy_findings", "filed_values", "place_of_finding", "write_return_copy"]
