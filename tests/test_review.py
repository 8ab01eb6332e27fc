"""Return-for-correction copies: valid values and texts carried over, problem cells marked, a 退回意见 sheet,
the workbook still locked and self-checking; reading the copy back gives the same values."""

from __future__ import annotations

import io
import random
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from soffice import convert
from submission_factory import build, cell_value, good_texts, typed_total, unit_code

from giptemplate.checks.checker import check_file
from giptemplate.errors import InputError
from giptemplate.findings import Finding
from giptemplate.format.arithmetic import arithmetic_for
from giptemplate.format.layout import REVIEW_SHEET, layout_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec
from giptemplate.workbook import live
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.review import (
    GROUP_FROM,
    MARKED_SEVERITIES,
    UNMARKED_CODES,
    copy_findings,
    filed_values,
    place_of_finding,
    write_return_copy,
)
from giptemplate.workbook.submission import StoredTotal, Submission

FORMULA_TEXT = '=HYPERLINK("http://example.invalid","点击")'


def norm_key(spec: Spec) -> str:
    """The first value of the (行政)规范性文件 row: 2021 本年制发件数, 2019 本年新制作数量."""
    return spec.row_cells("t2.norm")[0].key


def faulty(spec: Spec) -> Submission:
    """A submission with one problem of each kind a return copy has to carry."""
    values = consistent_values(spec, random.Random(7))
    values["t3.R1.c1"] = values["t3.R1.c1"] + 3  # A303
    right = build(spec, values).values["t4.cases.k5"]
    assert right is not None
    multi = next(s for s in spec.sections if len(s.parts) > 1)
    free = next(s for s in spec.sections if len(s.parts) == 1 and not s.parts[0].require_any)
    texts = good_texts(spec)
    texts[multi.parts[0].key] = FORMULA_TEXT + "，本年度主动公开工作按计划推进，取得实效。"
    texts[free.parts[0].key] = "无"  # N601
    bad_code = unit_code()[:-1] + ("0" if unit_code()[-1] != "0" else "1")
    return build(
        spec,
        values,
        cells={
            "t3.R8.c2": cell_value(spec, "t3.R8.c2", "若干", None, "invalid"),  # V201
            "t3.R9.c3": cell_value(spec, "t3.R9.c3", -2.0, None, "invalid"),  # V202
            "t3.R10.c4": cell_value(spec, "t3.R10.c4", "—", None, "blank", "blank_word"),  # V203
            norm_key(spec): cell_value(
                spec, norm_key(spec), "12（其中修订5件）", 12, "ok", "annotation", note="其中修订5件"
            ),
        },
        stored={"t4.cases.k5": typed_total(spec, "t4.cases.k5", right + 4)},  # S105 + A304
        texts=texts,
        meta={"unit_code": bad_code, "phone": "", "unit_name": "郑县=测试局"},
    )


@pytest.fixture(scope="module")
def copy(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> tuple[Submission, list[Finding], Path]:
    submission = faulty(spec)
    report = check_file(submission)
    target = tmp_path_factory.mktemp("review") / "copy.xlsx"
    write_return_copy(submission, report.findings, target, summary=report.verdict())
    return submission, list(report.findings), target


def test_values_are_carried_as_filed(spec: Spec, copy: tuple[Submission, list[Finding], Path]) -> None:
    submission, _, _ = copy
    values, typed = filed_values(submission)
    assert typed == {"t3.R8.c2": "若干"}  # a word typed into a number cell stays there, as text
    assert values["t3.R9.c3"] == -2  # a negative count stays negative: the live check shows V202 like 退回意见
    assert values["t3.R10.c4"] is None  # a blank word is blank
    assert values[norm_key(spec)] == 12
    # 2019's signed 本年增/减 ("减用负值表示"): a negative change is carried as filed
    signed = [c.key for c in spec.input_cells if c.type.signed]
    assert [values[k] for k in signed] == [submission.cells[k].value for k in signed]
    kept = {k for k, v in values.items() if v is not None}
    assert kept == {k for k, c in submission.cells.items() if c.state == "ok"} | {"t3.R9.c3"}


def test_reading_the_copy_back_gives_the_same_values_and_texts(
    spec: Spec, copy: tuple[Submission, list[Finding], Path]
) -> None:
    submission, findings, target = copy
    back = read_workbook(target)
    assert back.inputs == {k: v for k, v in filed_values(submission)[0].items() if k != "t3.R9.c3"} | {"t3.R9.c3": None}
    assert back.cells["t3.R9.c3"].raw == -2 and back.cells["t3.R8.c2"].raw == "若干"
    assert back.texts == {p.key: submission.texts.get(p.key, "") for p in spec.parts if submission.texts.get(p.key)}
    for key in ("unit_name", "unit_code", "scope", "filler", "year", "file_id"):
        assert back.meta.get(key, "") == submission.meta.get(key, ""), key
    assert back.meta["kind"] == "return"
    # the structure is intact again (formulas restored): no S finding; the arithmetic problems remain
    again = check_file(back)
    assert not [f for f in again.findings if f.code.startswith("S")]
    assert {(f.code, f.rule) for f in again.findings if f.code == "A303"} == {
        (f.code, f.rule) for f in findings if f.code == "A303"
    }
    assert not [f for f in again.findings if f.code == "A304"]  # the typed total is a formula again
    # the copy's own errors are the errors its 退回意见 lists
    listed = {(f.code, f.cell_key) for f in copy_findings(submission, findings) if f.severity == "error"}
    assert {(f.code, f.cell_key) for f in again.findings if f.severity == "error"} == listed - {
        (f.code, f.cell_key) for f in findings if f.code == "S105"
    }


def test_typed_total_is_explained_not_listed_as_an_imbalance(
    spec: Spec, copy: tuple[Submission, list[Finding], Path]
) -> None:
    submission, findings, target = copy
    assert [f.code for f in findings if f.rule and f.rule.startswith("t4_group_total")] == ["A304"]
    shown = copy_findings(submission, findings)
    assert not [f for f in shown if f.code == "A304"]
    (typed,) = [f for f in shown if f.code == "S105"]
    assert "合计栏原填" in typed.message and "已恢复公式，请核对明细" in typed.message
    review = openpyxl.load_workbook(target)[REVIEW_SHEET]
    messages = [row[5] for row in review.iter_rows(min_row=7, values_only=True) if row[0] is not None]
    assert typed.message in messages


def test_problem_cells_are_marked_with_comments(spec: Spec, copy: tuple[Submission, list[Finding], Path]) -> None:
    submission, findings, target = copy
    findings = copy_findings(submission, findings)
    layout = layout_for(spec)
    workbook = openpyxl.load_workbook(target)
    marked: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        place = place_of_finding(layout, f)
        if place is not None and f.severity in MARKED_SEVERITIES and f.code not in UNMARKED_CODES:
            marked.setdefault((place.sheet, place.a1), []).append(f)
    assert len(marked) >= 7
    for (sheet, cell), fs in marked.items():
        comment = workbook[sheet][cell].comment
        assert comment is not None, (sheet, cell)
        for f in fs:
            assert f.code in comment.text and f.message[:20] in comment.text
    # an input cell with a problem is highlighted, a clean one is not
    bad = workbook["表三"][layout.cells["t3.R8.c2"].a1]
    clean = workbook["表三"][layout.cells["t3.R3.c1"].a1]
    assert bad.fill.fgColor.rgb != clean.fill.fgColor.rgb
    assert clean.comment is None
    for cell in spec.input_cells:  # 2019's negative 本年增/减 is no problem: never marked
        if cell.type.signed and (submission.cells[cell.key].value or 0) < 0:
            place = layout.cells[cell.key]
            assert workbook[place.sheet][place.a1].comment is None, cell.key
    # exactly the cells the findings name carry a comment
    commented = {
        (ws.title, c.coordinate) for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.comment
    }
    assert commented == set(marked)
    # only findings about the file as a whole have no place
    unplaced = [f for f in findings if place_of_finding(layout, f) is None]
    assert all(f.cell_key is None for f in unplaced)


def test_copy_stays_locked_and_text_stays_text(spec: Spec, copy: tuple[Submission, list[Finding], Path]) -> None:
    submission, findings, target = copy
    findings = copy_findings(submission, findings)
    layout = layout_for(spec)
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames[0] == REVIEW_SHEET and workbook.sheetnames[-1] == "_giptemplate"
    assert [ws.title for ws in workbook.worksheets if ws.sheet_view.tabSelected] == [REVIEW_SHEET]
    assert workbook.active.title == REVIEW_SHEET
    for ws in workbook.worksheets:
        assert ws.protection.sheet, ws.title
    part = next(s for s in spec.sections if len(s.parts) > 1).parts[0]
    text_cell = workbook[spec.narrative_sheet][layout.parts[part.key].a1]
    assert text_cell.data_type == "s" and text_cell.value.startswith(FORMULA_TEXT)
    derived = workbook["表四"][layout.cells["t4.cases.k5"].a1]
    assert derived.data_type == "f"  # the typed-over total is a formula again
    code_field = workbook[spec.cover_sheet][layout.fields["unit_code"].a1]
    assert code_field.protection.locked is False  # a wrong code must stay correctable
    review = workbook[REVIEW_SHEET]
    listed = [row for row in review.iter_rows(min_row=7, values_only=True) if row[0] is not None]
    # one line per finding, except a kind repeated at more than GROUP_FROM cells: one line listing its cells
    counts = Counter((f.severity_label, f.code) for f in findings)
    rows = Counter((r[1], r[2]) for r in listed)
    assert set(rows) == set(counts)
    for key, n in counts.items():
        assert rows[key] == (1 if n > GROUP_FROM else n), key
    assert any(n > GROUP_FROM for n in counts.values())  # the fixture has a repeated kind (A390)
    for r in listed:
        if counts[r[1], r[2]] > GROUP_FROM:
            assert f"共 {counts[r[1], r[2]]} 处" in r[5]
    assert all(
        isinstance(c.value, (str, int)) and c.data_type != "f" for row in review.iter_rows() for c in row if c.value
    )


def test_clean_unit_is_locked_and_has_no_comment(spec: Spec) -> None:
    submission = build(spec)
    buffer = io.BytesIO()
    write_return_copy(submission, [], buffer)
    workbook = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    layout = layout_for(spec)
    assert workbook[spec.cover_sheet][layout.fields["unit_name"].a1].protection.locked is True
    assert not [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.comment]


def test_unknown_year_is_refused(spec: Spec) -> None:
    submission = build(spec, meta={"year": "", "report_year": ""})
    with pytest.raises(InputError, match="报告年度"):
        write_return_copy(submission, [], io.BytesIO())


@pytest.mark.soffice
def test_libreoffice_recalculates_the_copy_to_the_same_checks(
    spec: Spec, copy: tuple[Submission, list[Finding], Path], tmp_path: Path
) -> None:
    """The copy is self-checking: LibreOffice's recalculated totals and live statuses agree with Python."""
    _, _, target = copy
    (converted,) = convert([target], tmp_path, "xlsx")
    back = read_workbook(converted)
    original = read_workbook(target)
    assert back.inputs == original.inputs
    assert not [f for f in check_file(back).findings if f.code in ("S105", "S106")]
    layout = layout_for(spec)
    arithmetic = arithmetic_for(spec)
    shown = openpyxl.load_workbook(converted, data_only=True)
    for relation in spec.relations:
        status = layout.status_of(relation)
        expected = arithmetic.evaluate(relation, back.values).status_text
        assert shown[status.sheet][status.a1].value == expected, relation.rule_id
    # the copy's own 校验 sheet shows exactly the errors its 退回意见 lists (a typed total is restored, not listed)
    submission, findings, _ = copy
    listed = {f.code for f in copy_findings(submission, findings) if f.severity == "error"} - {"S105"}
    check_sheet = shown["校验"]
    failing = set()
    for _, row in layout.check_rules:
        code = str(check_sheet.cell(row + 1, 2).value).split()[0]
        if str(check_sheet.cell(row + 1, 5).value).startswith("✗") and live.severity(code) == "error":
            failing.add(code)
    assert failing == listed
    overall = check_sheet.cell(layout.check_overall.row + 1, layout.check_overall.col + 1).value
    assert overall.startswith(f"{len(listed)} 项错误未通过")


def test_a_typed_total_feeding_another_total_leaves_no_imbalance_the_copy_does_not_show(
    spec: Spec, tmp_path: Path
) -> None:
    """A total typed over (43 for 41) also raises the total computed from it (J29 = SUM(D29:I29) shows 167 for 165).
    The copy restores every formula, so its live checks show ✓ for both: 退回意见 must not list an imbalance that
    only the typed number caused, wherever it surfaced (seen in a demo return copy: A302 at J29 listed beside ✓)."""
    arithmetic = arithmetic_for(spec)
    layout = layout_for(spec)
    feeding = [
        (key, later)
        for later, relation in arithmetic.formula_of.items()
        for key in relation.rhs
        if key in arithmetic.formula_of and key.startswith("t3.")
    ]
    typed_key, later_key = feeding[0]
    values = consistent_values(spec, random.Random(11))
    clean = build(spec, values).values
    right, later_right = clean[typed_key], clean[later_key]
    assert right is not None and later_right is not None
    submission = build(
        spec,
        values,
        stored={
            typed_key: typed_total(spec, typed_key, right + 2),
            later_key: StoredTotal(later_key, layout.cells[later_key], later_right + 2, True),
        },
    )
    findings = list(check_file(submission).findings)
    assert any(f.code.startswith("A") and f.cell_key != typed_key for f in findings)  # the knock-on imbalance
    target = tmp_path / "copy.xlsx"
    write_return_copy(submission, findings, target)
    own = {(f.code, f.cell_key) for f in check_file(read_workbook(target)).findings if f.severity == "error"}
    listed = {(f.code, f.cell_key) for f in copy_findings(submission, findings) if f.severity == "error"}
    assert listed - {(f.code, f.cell_key) for f in findings if f.code == "S105"} == own
    assert [f.code for f in copy_findings(submission, findings) if f.severity == "error"] == ["S105"]
    # the verdict at the top is the original file's (its 5 errors), said as such beside the one line listed
    review = openpyxl.load_workbook(target)[REVIEW_SHEET]
    assert any(str(row[0]).startswith("原文件校验结论：") for row in review.iter_rows(max_row=6, values_only=True))
