"""The one file pipeline (giptemplate.pipeline.check_path): from a path to findings, with one policy for internal
errors and one rule for the report year."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from submission_factory import build, unit_code, write_filled, year_for

import giptemplate.pipeline as pipeline
from giptemplate.checks.previous import PreviousIndex, PreviousRef
from giptemplate.findings import FileStatus
from giptemplate.format.spec import Spec
from giptemplate.pipeline import INTERNAL_ERROR, Previous, check_path, read_path


def test_a_good_workbook_passes_with_its_year(spec: Spec, tmp_path: Path) -> None:
    path = write_filled(tmp_path / "a.xlsx", spec, unit_name="某县甲局", unit_code=unit_code())
    checked = check_path(path)
    assert checked.status is FileStatus.PASSED and checked.readable and checked.tally is not None
    assert checked.year == year_for(spec)
    assert checked.report("a.xlsx").status == FileStatus.PASSED


def test_a_file_that_is_not_a_workbook_is_unreadable_with_its_intake_code(tmp_path: Path) -> None:
    path = tmp_path / "报表.xlsx"
    path.write_text("这不是工作簿", encoding="utf-8")
    checked = check_path(path)
    assert checked.status is FileStatus.UNREADABLE and checked.error_code.startswith("F")
    assert "\n" not in checked.error_message
    report = checked.report()
    assert not report.readable and report.findings[0].code == checked.error_code


def test_an_internal_error_is_one_chinese_line_and_logged(
    spec: Spec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_filled(tmp_path / "a.xlsx", spec)

    def broken(_: object) -> None:
        raise KeyError("secret text of the file")

    monkeypatch.setattr(pipeline, "read_workbook", broken)
    with caplog.at_level(logging.ERROR, logger="giptemplate"):
        checked = check_path(path)
    assert checked.status is FileStatus.UNREADABLE and checked.error_code == INTERNAL_ERROR
    assert checked.error_message == "a.xlsx：读取时发生内部错误（KeyError）"
    assert "secret" not in checked.error_message
    (finding,) = checked.report().findings  # X000 is no code: an F005 finding, its stage a variant
    assert finding.code == "F005" and finding.message == "读取时发生内部错误（KeyError）"
    assert finding.extra == {"fields": {"error": "KeyError"}, "variant": "internal_read"}
    assert any(r.exc_info and "secret text" in str(r.exc_info[1]) for r in caplog.records)  # for developers


def test_a_checker_crash_keeps_the_reading_and_says_the_findings_are_incomplete(
    spec: Spec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_filled(tmp_path / "a.xlsx", spec)

    def broken(*_: object, **__: object) -> None:
        raise ValueError("x")

    monkeypatch.setattr(pipeline, "check_file", broken)
    checked = check_path(path)
    assert checked.readable and checked.status is FileStatus.HAS_ERRORS
    [finding] = checked.findings
    assert finding.code == "F005" and finding.message == "a.xlsx：校验时发生内部错误（ValueError），结果不完整"


def test_our_own_return_copy_as_written_is_generated_unless_named(spec: Spec, tmp_path: Path) -> None:
    from giptemplate.workbook.reader import read_workbook
    from giptemplate.workbook.review import write_return_copy

    source = write_filled(tmp_path / "a.xlsx", spec, unit_name="某县甲局", unit_code=unit_code())
    copy = tmp_path / "退回.xlsx"
    write_return_copy(read_workbook(source), [], copy)
    assert check_path(copy).status is FileStatus.GENERATED
    assert read_path(copy, own_outputs=True).readable


def test_last_year_is_found_through_an_index_of_where_files_are(spec: Spec, tmp_path: Path) -> None:
    year = year_for(spec)
    assert spec.covers_year(year - 1)
    old = write_filled(tmp_path / "old.xlsx", spec, year=year - 1, unit_name="某县甲局", unit_code=unit_code())
    now = write_filled(tmp_path / "now.xlsx", spec, unit_name="某县甲局", unit_code=unit_code())
    earlier = read_path(old)
    assert earlier.submission is not None
    index: Previous = PreviousIndex()
    sub = earlier.submission
    index.add(PreviousRef(str(old), sub.file, sub.unit_code, sub.unit_name, earlier.year, sub.sha256, sub.saved_at))
    with_previous = {f.code for f in check_path(now, previous=index).findings}
    assert "Y590" not in with_previous
    assert "Y590" in {f.code for f in check_path(now, previous=PreviousIndex()).findings}


def test_the_report_year_is_the_cover_year_else_the_template_year(spec: Spec) -> None:
    year = year_for(spec)
    assert build(spec).report_year() == year
    blank_cover = build(spec, meta={"year": ""})
    assert blank_cover.year is None and blank_cover.report_year() == year  # the template's year
    beyond = build(spec, meta={"year": "1999"})
    assert beyond.report_year() == year  # a cover year the format does not cover: the template's
    nothing = build(spec, meta={"year": "", "report_year": ""})
    assert nothing.report_year() is None
