"""Rendering of check results: rows, JSON, CSV (formula injection neutralised) and xlsx (text stays text)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import random

import openpyxl
import pytest
from submission_factory import build

from giptemplate.checks.checker import FileReport, check_file, unreadable_report
from giptemplate.checks.render import (
    FINDING_COLUMNS,
    SUMMARY_COLUMNS,
    finding_rows,
    neutralise,
    summary_rows,
    table_rows,
    to_csv,
    to_json,
    to_xlsx,
)
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec

HOSTILE_UNIT = '=HYPERLINK("http://x","点击")'


@pytest.fixture(scope="module")
def reports(spec: Spec) -> list[FileReport]:
    clean = check_file(build(spec, file="clean.xlsx"))
    values = consistent_values(spec, random.Random(4))
    values["t3.R1.c1"] = values["t3.R1.c1"] + 2
    bad = check_file(build(spec, values, meta={"unit_name": HOSTILE_UNIT, "phone": ""}, file="bad.xlsx"))
    refused = unreadable_report("in/fake.xls", "F001", "fake.xls：是网页文件（HTML），不是 Excel 工作簿")
    return [clean, bad, refused]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-3", "-3"),
        ("-0.25", "-0.25"),
        ("郑县教育局", "郑县教育局"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_neutralise(text: str, expected: str) -> None:
    assert neutralise(text) == expected


def test_rows_account_for_every_file(reports: list[FileReport]) -> None:
    rows = finding_rows(reports)
    assert {r["file"] for r in rows} == {"clean.xlsx", "bad.xlsx", "in/fake.xls"}
    clean = [r for r in rows if r["file"] == "clean.xlsx"]
    assert len(clean) == 1 and clean[0]["code"] == "" and clean[0]["message"].startswith("通过")
    assert len([r for r in rows if r["file"] == "bad.xlsx"]) == len(reports[1].findings)
    assert all(set(r) == {k for k, _ in FINDING_COLUMNS} for r in rows)
    assert not [r for r in finding_rows(reports, include_clean=False) if r["file"] == "clean.xlsx"]
    summary = summary_rows(reports)
    assert [r["status"] for r in summary] == ["通过", "有错误", "无法读取"]
    assert summary[1]["error"] == str(reports[1].counts()["error"])
    assert all(set(r) == {k for k, _ in SUMMARY_COLUMNS} for r in summary)
    assert table_rows(reports[1])[0][:2] == ("错误", "A303")


def test_json_round_trip(reports: list[FileReport]) -> None:
    document = json.loads(to_json(reports))
    files = document["files"]
    assert [f["file"] for f in files] == [r.file for r in reports]
    assert files[0]["relations"] == {"passed": reports[0].tally.passed, "failed": 0, "not_assessable": 0}  # type: ignore[union-attr]
    assert files[2]["readable"] is False and files[2]["relations"] is None
    assert files[2]["findings"][0]["code"] == "F001"
    bad = files[1]
    assert len(bad["findings"]) == len(reports[1].findings)
    first = bad["findings"][0]
    assert first["code"] == "A303" and first["diff"] == "2" and first["location"].startswith("'表三'!")
    assert first["unit_name"] == HOSTILE_UNIT


def test_csv_is_neutralised_and_complete(reports: list[FileReport]) -> None:
    text = to_csv(reports)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [header for _, header in FINDING_COLUMNS]
    body = rows[1:]
    assert len(body) == len(finding_rows(reports))
    assert all(len(r) == len(FINDING_COLUMNS) for r in body)
    unit = [header for _, header in FINDING_COLUMNS].index("单位名称")
    hostile = [r[unit] for r in body if r[unit].endswith('"点击")')]
    assert hostile and all(cell == "'" + HOSTILE_UNIT for cell in hostile)
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")) and (
                not cell.startswith("-") or cell[1:2].isdigit()
            )
    diff = [header for _, header in FINDING_COLUMNS].index("差额")
    assert "2" in {r[diff] for r in body}


def test_xlsx_output(reports: list[FileReport]) -> None:
    data = to_xlsx(reports)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["文件汇总", "问题清单"]
    assert workbook.custom_doc_props["giptemplate.kind"].value == "findings"  # later runs skip it as ours
    summary, problems = workbook["文件汇总"], workbook["问题清单"]
    assert [c.value for c in summary[1]] == [header for _, header in SUMMARY_COLUMNS]
    assert summary.max_row == 1 + len(reports)
    assert summary.freeze_panes == "A2" and problems.freeze_panes == "A2"
    assert summary.auto_filter.ref and problems.auto_filter.ref
    assert problems.max_row == 1 + sum(len(r.findings) for r in reports)
    unit_col = [header for _, header in FINDING_COLUMNS].index("单位名称") + 1
    hostile = [problems.cell(r, unit_col) for r in range(2, problems.max_row + 1)]
    hostile = [c for c in hostile if c.value == HOSTILE_UNIT]
    assert hostile and all(c.data_type == "s" for c in hostile)  # text, never a formula
    error_col = [k for k, _ in SUMMARY_COLUMNS].index("error") + 1
    assert summary.cell(3, error_col).value == reports[1].counts()["error"]
    assert to_xlsx(reports) == data  # deterministic


def test_xlsx_output_keeps_text_shaped_like_rich_text_xml(reports: list[FileReport]) -> None:
    """xlsxwriter writes a shared string of the form <r>…</r> raw into sharedStrings.xml; a file name of that form
    (a finding's message quotes it too) stays the text it is."""
    name = "<r><t>甲</t></r></si><si><t>乙</t></r>"
    renamed = [
        dataclasses.replace(r, file=name, findings=tuple(dataclasses.replace(f, file=name) for f in r.findings))
        for r in reports
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(renamed)))
    texts = [c.value for sheet in workbook.worksheets for row in sheet.iter_rows(min_row=2) for c in row]
    assert texts.count(name) >= len(reports) and "乙" not in texts and "甲" not in texts
