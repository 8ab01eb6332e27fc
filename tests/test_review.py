"""Return-for-correction copies: valid values and texts carried over, problem cells marked, a 退回意见 sheet,
the workbook still locked and self-checking; reading the copy back gives the same values."""

from __future__ import annotations

import io
import random
from pathlib import Path

import openpyxl
import pytest
from soffice import convert
from submission_factory import build, cell_value, good_texts, typed_total, unit_code

from giptemplate.arithmetic import arithmetic_for
from giptemplate.checks import check_file
from giptemplate.errors import InputError
from giptemplate.findings import Finding
from giptemplate.layout import REVIEW_SHEET, layout_for
from giptemplate.reader import read_workbook
from giptemplate.review import MARKED_SEVERITIES, place_of_finding, valid_values, write_return_copy
from giptemplate.sample import consistent_values
from giptemplate.spec import Spec
from giptemplate.submission import Submission

FORMULA_TEXT = '=HYPERLINK("http://example.invalid","点击")'


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
            "t2.norm.issued": cell_value(
                spec, "t2.norm.issued", "12（其中修订5件）", 12, "ok", "annotation", note="其中修订5件"
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


def test_only_valid_values_are_carried(spec: Spec, copy: tuple[Submission, list[Finding], Path]) -> None:
    submission, findings, _ = copy
    values = valid_values(submission, findings)
    for key in ("t3.R8.c2", "t3.R9.c3", "t3.R10.c4"):
        assert values[key] is None
    assert values["t2.norm.issued"] == 12
    kept = {k for k, v in values.items() if v is not None}
    assert kept == {k for k, c in submission.cells.items() if c.state == "ok"}


def test_reading_the_copy_back_gives_the_same_values_and_texts(
    spec: Spec, copy: tuple[Submission, list[Finding], Path]
) -> None:
    submission, findings, target = copy
    back = read_workbook(target)
    assert back.inputs == valid_values(submission, findings)
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


def test_problem_cells_are_marked_with_comments(spec: Spec, copy: tuple[Submission, list[Finding], Path]) -> None:
    _, findings, target = copy
    layout = layout_for(spec)
    workbook = openpyxl.load_workbook(target)
    marked: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        place = place_of_finding(layout, f)
        if place is not None and f.severity in MARKED_SEVERITIES:
            marked.setdefault((place.sheet, place.a1), []).append(f)
    assert len(marked) >= 8
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
    # only findings about the file as a whole have no place
    unplaced = [f for f in findings if place_of_finding(layout, f) is None]
    assert all(f.cell_key is None for f in unplaced)


def test_copy_stays_locked_and_text_stays_text(spec: Spec, copy: tuple[Submission, list[Finding], Path]) -> None:
    _, findings, target = copy
    layout = layout_for(spec)
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames[-2:] == [REVIEW_SHEET, "_giptemplate"]
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
    assert [(r[1], r[2]) for r in listed] == [(f.severity_label, f.code) for f in findings]
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
