"""Every format version through the whole chain: write, read, check, merge, report; comparisons across the format
change through shared meanings; recognising a workbook's format; and a third format that is one spec file.

The 2019 grids below are spelled out by hand from ../shared/reference/gip-format.md Part B (B1–B4), not from the
spec, as OFFICIAL in test_writer.py is for 2021.
"""

from __future__ import annotations

import csv
import random
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pandas as pd
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner, Result
from openpyxl.packaging.custom import CustomPropertyList
from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook.workbook import Workbook
from soffice import convert
from submission_factory import good_texts, unit_code
from workbook_expect import Case, Typed, mismatches, read_back, sheet_values
from workbook_expect import expected_cells as expected

from giptemplate.checks.checker import check_file
from giptemplate.cli import main
from giptemplate.errors import IntakeError
from giptemplate.findings import code_title
from giptemplate.format.arithmetic import FAIL_MARK, Number, arithmetic_for
from giptemplate.format.layout import CHECK_SHEET, IDENTITY_SHEET, layout_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import DEFAULT_SCOPE, SPECS_ENV, SUMMARY_SCOPE, Spec, spec_for_year, templates_dir
from giptemplate.merge import merge
from giptemplate.merge.longframe import long_frame, write_long
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.writer import write_template

UNIT = "某县交通运输局"

# ---------------------------------------------------------------------------------------------- 2019, by hand

# gip-format.md B1: 表二 in five blocks; （八） and （九） have two value columns, the second merged C:D.
OFFICIAL_2019_T2: list[tuple[str, str]] = [
    ("A1:D1", "第二十条第（一）项"),
    ("A2", "信息内容"),
    ("B2", "本年新制作数量"),
    ("C2", "本年新公开数量"),
    ("D2", "对外公开总数量"),
    ("A3", "规章"),
    ("A4", "规范性文件"),
    ("A5:D5", "第二十条第（五）项"),
    ("A6", "信息内容"),
    ("B6", "上一年项目数量"),
    ("C6", "本年增/减"),
    ("D6", "处理决定数量"),
    ("A7", "行政许可"),
    ("A8", "其他对外管理服务事项"),
    ("A9:D9", "第二十条第（六）项"),
    ("A10", "信息内容"),
    ("B10", "上一年项目数量"),
    ("C10", "本年增/减"),
    ("D10", "处理决定数量"),
    ("A11", "行政处罚"),
    ("A12", "行政强制"),
    ("A13:D13", "第二十条第（八）项"),
    ("A14", "信息内容"),
    ("B14", "上一年项目数量"),
    ("C14:D14", "本年增/减"),
    ("A15", "行政事业性收费"),
    ("A16:D16", "第二十条第（九）项"),
    ("A17", "信息内容"),
    ("B17", "采购项目数量"),
    ("C17:D17", "采购总金额"),
    ("A18", "政府集中采购"),
]
OFFICIAL_2019_T2_DATA = [
    *[f"{c}{r}" for r in (3, 4, 7, 8, 11, 12) for c in "BCD"],
    "B15",
    "C15:D15",
    "B18",
    "C18:D18",
]
# B2: the 2021 表三 except （六）其他处理, a single row merged B:C; A6:A25 merged; 23 data rows.
OFFICIAL_2019_T3: list[tuple[str, str]] = [
    ("A1:C3", "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"),
    ("D1:J1", "申请人情况"),
    ("D2:D3", "自然人"),
    ("E2:I2", "法人或其他组织"),
    ("J2:J3", "总计"),
    ("E3", "商业企业"),
    ("F3", "科研机构"),
    ("G3", "社会公益组织"),
    ("H3", "法律服务机构"),
    ("I3", "其他"),
    ("A4:C4", "一、本年新收政府信息公开申请数量"),
    ("A5:C5", "二、上年结转政府信息公开申请数量"),
    ("A6:A25", "三、本年度办理结果"),
    ("B6:C6", "（一）予以公开"),
    ("B7:C7", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("B8:B15", "（三）不予公开"),
    ("C8", "1.属于国家秘密"),
    ("C9", "2.其他法律行政法规禁止公开"),
    ("C10", "3.危及\u201c三安全一稳定\u201d"),
    ("C11", "4.保护第三方合法权益"),
    ("C12", "5.属于三类内部事务信息"),
    ("C13", "6.属于四类过程性信息"),
    ("C14", "7.属于行政执法案卷"),
    ("C15", "8.属于行政查询事项"),
    ("B16:B18", "（四）无法提供"),
    ("C16", "1.本机关不掌握相关政府信息"),
    ("C17", "2.没有现成信息需要另行制作"),
    ("C18", "3.补正后申请内容仍不明确"),
    ("B19:B23", "（五）不予处理"),
    ("C19", "1.信访举报投诉类申请"),
    ("C20", "2.重复申请"),
    ("C21", "3.要求提供公开出版物"),
    ("C22", "4.无正当理由大量反复申请"),
    ("C23", "5.要求行政机关确认或重新出具已获取信息"),
    ("B24:C24", "（六）其他处理"),
    ("B25:C25", "（七）总计"),
    ("A26:C26", "四、结转下年度继续办理"),
]
OFFICIAL_2019_T3_DATA = [f"{c}{r}" for r in range(4, 27) for c in "DEFGHIJ"]
T4_HEADS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
# B3: identical to 2021.
OFFICIAL_2019_T4: list[tuple[str, str]] = [
    ("A1:E1", "行政复议"),
    ("F1:O1", "行政诉讼"),
    ("F2:J2", "未经复议直接起诉"),
    ("K2:O2", "复议后起诉"),
    *[(f"{c}2:{c}3", t) for c, t in zip("ABCDE", T4_HEADS, strict=True)],
    *[(f"{c}3", t) for c, t in zip("FGHIJ", T4_HEADS, strict=True)],
    *[(f"{c}3", t) for c, t in zip("KLMNO", T4_HEADS, strict=True)],
]
# sheet -> (labels, data cells, totals computed by formula, grid width × height)
OFFICIAL_2019 = {
    "表二": (OFFICIAL_2019_T2, OFFICIAL_2019_T2_DATA, set(), (4, 18)),
    "表三": (
        OFFICIAL_2019_T3,
        OFFICIAL_2019_T3_DATA,
        {f"J{r}" for r in range(4, 27)} | {f"{c}25" for c in "DEFGHI"},
        (10, 26),
    ),
    "表四": (OFFICIAL_2019_T4, [f"{c}4" for c in "ABCDEFGHIJKLMNO"], {"E4", "J4", "O4"}, (15, 4)),
}


def _grid(ref: str, top: int) -> tuple[int, int, int, int]:
    """An official A1 range as 1-based (min_row, min_col, max_row, max_col) on the sheet, the grid at ``top``."""
    c0, r0, c1, r1 = range_boundaries(ref)
    assert r0 is not None and c0 is not None and r1 is not None and c1 is not None
    return r0 + top, c0, r1 + top, c1


# ---------------------------------------------------------------------------------------------- helpers


def report_year(spec: Spec) -> int:
    return spec.last_year or spec.first_year + 3


def fill(
    path: Path, spec: Spec, *, seed: int = 0, year: int | None = None, unit_name: str = UNIT, **values: Number
) -> Path:
    """A template filled as a careful unit returns it (consistent values, narrative, cover complete); ``values``
    override cells, named with "__" for "." (t2__fees__items)."""
    year = year or report_year(spec)
    filled: dict[str, Number | None] = dict(consistent_values(spec, random.Random(seed), density=0.6))
    filled.update({key.replace("__", "."): v for key, v in values.items()})
    write_template(
        path,
        year=year,
        unit_name=unit_name,
        unit_code=unit_code(f"11410100MB{seed:07d}"),
        scope="本机关",
        values=filled,
        texts=good_texts(spec, year, seed),
        filler="张三",
        phone="0371-12345678",
        date=f"{year + 1}-01-15",
        spec=spec,
    )
    return path


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def codes(findings: Any) -> list[str]:
    return [f.code for f in findings]


def drop_identity(src: Path, dst: Path, keep: tuple[str, ...] | None = None) -> Path:
    wb: Workbook = openpyxl.load_workbook(src)
    del wb[IDENTITY_SHEET]
    wb.custom_doc_props = CustomPropertyList()  # type: ignore[attr-defined]
    for name in list(wb.sheetnames):
        if keep is not None and name not in keep:
            del wb[name]
    wb.save(dst)
    return dst


# ---------------------------------------------------------------------------------------------- the 2019 grid


@pytest.mark.parametrize("sheet", list(OFFICIAL_2019))
def test_2019_template_draws_the_official_grid(tmp_path: Path, sheet: str) -> None:
    path = tmp_path / "t2020.xlsx"
    write_template(path, year=2020, spec=spec_for_year(2020))
    ws = openpyxl.load_workbook(path)[sheet]
    top = layout_for(spec_for_year(2020)).tables["t2"].top
    labels, data, totals, (width, height) = OFFICIAL_2019[sheet]
    merges = {(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges}
    for ref, text in labels:
        r0, c0, r1, c1 = _grid(ref, top)
        assert ws.cell(r0, c0).value == text, ref
        assert ((r0, c0) != (r1, c1)) == ((r0, c0, r1, c1) in merges), ref
    for ref in data:
        r0, c0, r1, c1 = _grid(ref, top)
        if (r0, c0) != (r1, c1):
            assert (r0, c0, r1, c1) in merges, ref
        is_formula = str(ws.cell(r0, c0).value or "").startswith("=")
        assert (ref in totals) == is_formula == ws.cell(r0, c0).protection.locked, ref
    texts = {_grid(ref, top)[:2] for ref, _ in labels}
    cells = {_grid(ref, top)[:2] for ref in data}
    covered = {
        (r, c) for r0, c0, r1, c1 in merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1) if (r, c) != (r0, c0)
    }
    for r in range(top + 1, top + height + 1):
        for c in range(1, width + 1):
            if (r, c) not in texts | cells | covered:
                assert ws.cell(r, c).value is None, ws.cell(r, c).coordinate


def test_2019_spec_counts_and_types() -> None:
    spec = spec_for_year(2019)
    assert (spec.id, spec.document, spec.first_year, spec.last_year) == (
        "gip2019",
        "国办公开办函〔2019〕60号",
        2019,
        2020,
    )
    assert {t.key: len(t.cells) for t in spec.tables} == {"t2": 22, "t3": 161, "t4": 15}  # B1, B2, B3
    assert len(spec.table("t3").rows) == 23
    changes = {c.key for c in spec.cells.values() if c.type.signed}
    assert changes == {f"t2.{r}.change" for r in ("licensing", "services", "penalty", "coercion", "fees")}
    amount = spec.cells["t2.procurement.amount"].type
    assert (amount.unit, amount.integral) == ("元", False)
    # 表三 （七）总计 sums the 19 leaf result rows, （六） as one row (B2)
    result = next(r for r in spec.relations if r.rule_id == "t3_result_total[c1]")
    assert len(result.rhs) == 19 and "t3.other.c1" in result.rhs


# ---------------------------------------------------------------------------------------------- every format


def test_every_format_offers_the_two_scopes_merge_tells_apart(any_spec: Spec) -> None:
    """Merge counts a 本级政府汇总 report only where no unit's own report does (M405): the constants it compares
    with are the cover's 统计口径 choices of every format."""
    [scope] = [f for f in any_spec.cover_fields if f.key == "scope"]
    assert scope.choices == (DEFAULT_SCOPE, SUMMARY_SCOPE)


def test_filled_template_reads_back_and_passes(any_spec: Spec, tmp_path: Path) -> None:
    path = fill(tmp_path / "filled.xlsx", any_spec, seed=3)
    sub = read_workbook(path)
    assert sub.spec is any_spec and sub.year == report_year(any_spec)
    expected = consistent_values(any_spec, random.Random(3), density=0.6)
    assert {k: sub.values[k] for k in expected} == expected
    report = check_file(sub)
    assert [f for f in report.findings if f.severity == "error"] == []
    assert report.tally is not None and report.tally.passed == len(any_spec.relations)


def test_format_is_recognised_by_its_labels_without_identity(any_spec: Spec, tmp_path: Path) -> None:
    path = drop_identity(fill(tmp_path / "f.xlsx", any_spec), tmp_path / "bare.xlsx")
    sub = read_workbook(path)
    assert sub.spec is any_spec and sub.identified_by != "identity"


def test_two_formats_equally_close_are_not_guessed(tmp_path: Path) -> None:
    # 表四 is the same in both formats: a workbook holding only it cannot say which one it is.
    only_t4 = drop_identity(fill(tmp_path / "f.xlsx", spec_for_year(2024)), tmp_path / "t4.xlsx", keep=("表四",))
    with pytest.raises(IntakeError) as caught:
        read_workbook(only_t4)
    assert caught.value.code == "F006"
    assert "无法确定报告格式" in caught.value.message and "2019" in caught.value.message


# ---------------------------------------------------------------------------------------------- 2019 checks


def test_2019_values_are_checked_by_their_own_types_and_relations(tmp_path: Path) -> None:
    spec = spec_for_year(2020)
    path = fill(
        tmp_path / "t.xlsx",
        spec,
        t2__licensing__items=5,
        t2__licensing__change=-8,  # 5 − 8 < 0: A306
        t2__penalty__items=10,
        t2__penalty__change=-3,  # a catalogue that shrinks: no finding
        t2__norm__published=7,
        t2__norm__total=4,  # fewer in total than published this year: A305
        t2__procurement__amount=Decimal("1234567.89"),
    )
    found = check_file(read_workbook(path)).findings
    by_code = {f.code: f for f in found}
    assert by_code["A306"].severity == "warning" and by_code["A306"].cell == "B9"
    assert "小于0" in by_code["A306"].message and "少 3" in by_code["A306"].message
    assert by_code["A305"].severity == "warning" and by_code["A305"].cell == "D6"
    assert "本年新公开数量（7）" in by_code["A305"].message
    assert code_title("A305") == "对外公开总数量小于本年新公开数量"
    assert not {"V202", "V204", "V208"} & set(by_code)  # −3 and −8 are allowed, 2 places of 元 are fine
    sub = read_workbook(path)
    assert sub.values["t2.penalty.change"] == -3 and sub.values["t2.procurement.amount"] == Decimal("1234567.89")


def test_2019_typed_units_and_negative_items(tmp_path: Path) -> None:
    spec = spec_for_year(2020)
    layout = layout_for(spec)
    path = fill(tmp_path / "t.xlsx", spec)
    wb = openpyxl.load_workbook(path)
    for key, typed in (("t2.procurement.amount", "12.3万元"), ("t2.fees.items", -2), ("t2.fees.change", "-1.5")):
        place = layout.cells[key]
        wb[place.sheet].cell(place.row + 1, place.col + 1).value = typed
    wb.save(path)
    sub = read_workbook(path)
    assert sub.values["t2.procurement.amount"] == Decimal(123000)
    found = {(f.code, f.cell_key) for f in check_file(sub).findings}
    assert ("V207", "t2.procurement.amount") in found  # converted from 万元 to the cell's 元, and said so
    assert ("V202", "t2.fees.items") in found  # 上一年项目数量 is not signed
    assert ("V204", "t2.fees.change") in found  # signed, but still whole
    message = next(f.message for f in check_file(sub).findings if f.code == "V207")
    assert "123000 元" in message and "本栏单位为元" in message


# ---------------------------------------------------------------------------------------------- across the change


def _pair(tmp_path: Path, carry_offset: int) -> tuple[Path, Path]:
    old_spec, new_spec = spec_for_year(2020), spec_for_year(2021)
    before = fill(tmp_path / "2020.xlsx", old_spec, seed=5, year=2020)
    carried = read_workbook(before).values
    values = {f"t3__R2__c{i}": carried[f"t3.R25.c{i}"] for i in range(1, 7)}
    values["t3__R2__c1"] = (carried["t3.R25.c1"] or 0) + carry_offset
    raw = consistent_values(new_spec, random.Random(6), density=0.6)
    # keep the 2021 file balanced: whatever 上年结转 adds is carried on to 结转下年度
    for i in range(1, 7):
        raw_key = f"t3.R2.c{i}"
        delta = values[f"t3__R2__c{i}"] - raw[raw_key]
        values[f"t3__R25__c{i}"] = raw[f"t3.R25.c{i}"] + delta
    now = fill(tmp_path / "2021.xlsx", new_spec, seed=6, year=2021, **values)
    return now, before


def test_previous_year_in_the_2019_format_is_compared_through_shared_meanings(tmp_path: Path) -> None:
    now, before = _pair(tmp_path, carry_offset=0)
    report = check_file(read_workbook(now), read_workbook(before))
    assert "Y501" not in codes(report.findings) and not report.counts()["error"]
    skipped = [f for f in report.findings if f.code == "Y592"]
    # 2019 has no 现行有效件数 (对外公开总数量 is another thing): the stock rules are skipped, saying why
    assert {f.extra["meaning"] for f in skipped} == {"行政规范性文件现行有效件数", "规章现行有效件数"}
    assert all(f.severity == "info" and "国办公开办函〔2019〕60号" in f.message for f in skipped)
    assert "Y505" not in codes(report.findings)


def test_check_previous_catches_a_carry_that_differs(tmp_path: Path) -> None:
    now, before = _pair(tmp_path, carry_offset=2)
    report = check_file(read_workbook(now), read_workbook(before))
    carry = {f.cell_key: f for f in report.findings if f.code == "Y501"}
    assert set(carry) == {"t3.R2.c1", "t3.R2.c7"}  # 自然人 and the row's 总计
    place = layout_for(spec_for_year(2021)).cells["t3.R2.c1"]
    first = carry["t3.R2.c1"]
    assert (first.severity, first.sheet, first.cell, first.diff) == ("error", place.sheet, place.a1, "2")
    result = cli("check", now, "--previous", before)
    assert result.exit_code == 1 and "Y501" in result.stdout and place.a1 in result.stdout
    (tmp_path / "ok").mkdir()
    clean = cli("check", *_pair(tmp_path / "ok", carry_offset=0)[:1], "--previous", tmp_path / "ok" / "2020.xlsx")
    assert clean.exit_code == 0, clean.stdout
    assert "Y501" not in clean.stdout and "Y592" in clean.stdout


# ---------------------------------------------------------------------------------------------- merge and report


def test_merge_of_2020_files_and_mixing_refused(tmp_path: Path) -> None:
    folder = tmp_path / "收回"
    folder.mkdir()
    spec = spec_for_year(2020)
    for i in range(3):
        fill(folder / f"u{i}.xlsx", spec, seed=10 + i, unit_name=f"单位{i}")
    summary = tmp_path / "汇总.xlsx"
    result = cli("merge", folder, "-o", summary, "--jobs", "1")
    assert result.exit_code == 0, result.stdout
    t2 = openpyxl.load_workbook(summary)["表二"]
    assert "政府集中采购" in {c.value for row in t2.iter_rows() for c in row}
    fill(folder / "new.xlsx", spec_for_year(2021), seed=20, year=2020, unit_name="新格式单位")
    mixed = cli("merge", folder, "-o", tmp_path / "混合.xlsx", "--jobs", "1")
    assert mixed.exit_code == 1
    assert "new.xlsx" in mixed.stdout and "M403" in mixed.stdout


def test_report_of_a_2020_file_prints_the_2019_tables(tmp_path: Path) -> None:
    path = fill(tmp_path / "t.xlsx", spec_for_year(2020), seed=30, t2__procurement__amount=Decimal("2500.5"))
    out = tmp_path / "报告.docx"
    result = cli("report", path, "-o", out)
    assert result.exit_code == 0, result.stdout
    document = docx.Document(str(out))
    texts = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {"（六）其他处理", "政府集中采购", "采购总金额", "本年增/减", "2500.5"} <= texts
    assert "3.其他" not in texts


# ---------------------------------------------------------------------------------------------- a third format


def _third_spec(folder: Path) -> Path:
    """A copy of the 2021 spec with one extra row of 表二 and one extra relation of a code no catalogue knows."""
    text = (templates_dir() / "gip2021.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    assert raw["id"] == "gip2021"
    text = (
        text.replace('id = "gip2021"', 'id = "gip2099"', 1)
        .replace('format_version = "2021"', 'format_version = "2099"', 1)
        .replace('template_id = "giptemplate/gip2021"', 'template_id = "giptemplate/gip2099"', 1)
        .replace("height = 14\n", "height = 15\n", 1)
        .replace(
            '  { key = "fees", label = "行政事业性收费", row = 14, label_at = "A14", type = "fee" },\n',
            '  { key = "fees", label = "行政事业性收费", row = 14, label_at = "A14", type = "fee" },\n'
            '  { key = "other_docs", label = "其他主动公开文件", row = 15, label_at = "A15" },\n',
            1,
        )
        .replace(
            '  { row = "fees", col = "amount", at = "B14:D14" },\n',
            '  { row = "fees", col = "amount", at = "B14:D14" },\n'
            '  { row = "other_docs", col = "issued" },\n'
            '  { row = "other_docs", col = "repealed" },\n'
            '  { row = "other_docs", col = "in_force" },\n',
            1,
        )
    )
    text += """
[[relations]]
key = "t2_other_stock"
code = "A350"
table = "t2"
foreach = "row"
only = ["other_docs"]
op = "≥"
lhs = ["{row}.in_force"]
rhs = ["{row}.issued"]
derive = false
severity = "error"
basis = "implied"
title = "现行有效件数 ≥ 本年制发件数"
code_title = "其他主动公开文件现行有效件数小于本年制发件数"
"""
    target = folder / "gip2099.toml"
    target.write_text(text, encoding="utf-8")
    return target


@pytest.mark.slow
def test_a_third_format_is_one_spec_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    _third_spec(specs)
    monkeypatch.setenv(SPECS_ENV, str(specs))
    spec = spec_for_year(2024)
    assert spec.id == "gip2099" and "t2.other_docs.in_force" in spec.cells

    work = tmp_path / "work"
    work.mkdir()
    layout = layout_for(spec)
    made = []
    for i, (issued, in_force) in enumerate(((3, 10), (5, 1))):
        path = work / f"unit{i}.xlsx"
        new = cli("new", "--year", "2024", "--unit", f"单位{i}", "--scope", "本机关", "-o", path)
        assert new.exit_code == 0, new.stdout
        # the department fills the blank template (as Excel would, with no cached totals)
        wb = openpyxl.load_workbook(path)
        values: dict[str, Number] = dict(consistent_values(spec, random.Random(40 + i), density=0.5))
        values["t2.other_docs.issued"], values["t2.other_docs.in_force"] = issued, in_force
        for key, value in values.items():
            place = layout.cells[key]
            wb[place.sheet].cell(place.row + 1, place.col + 1).value = value
        for key, text in good_texts(spec, 2024, i).items():
            place = layout.parts[key]
            wb[place.sheet].cell(place.row + 1, place.col + 1).value = text
        for key, text in (("filler", "李四"), ("phone", "0371-1234567")):
            place = layout.fields[key]
            wb[place.sheet].cell(place.row + 1, place.col + 1).value = text
        wb.save(path)
        made.append(path)
        derived = arithmetic_for(spec).derive({c.key: values.get(c.key) for c in spec.input_cells})
        assert read_workbook(path).values["t3.R24.c7"] == derived["t3.R24.c7"]

    good = cli("check", made[0])
    assert good.exit_code == 0, good.stdout
    bad = cli("check", made[1])
    assert bad.exit_code == 1 and "A350" in bad.stdout
    assert "小于本年制发件数（5），少4" in "".join(bad.stdout.split())

    summary = tmp_path / "汇总.xlsx"
    merged = cli("merge", work, "-o", summary, "--jobs", "1")
    assert merged.exit_code == 1, merged.stdout  # unit1's A350 is an error
    t2 = openpyxl.load_workbook(summary)["表二"]
    total = layout.cells["t2.other_docs.issued"]
    assert t2.cell(total.row + 1, 1).value == "其他主动公开文件"
    assert t2.cell(total.row + 1, total.col + 1).value == 8

    out = tmp_path / "报告.docx"
    report = cli("report", made[0], "-o", out)
    assert report.exit_code == 0, report.stdout
    texts = {cell.text for table in docx.Document(str(out)).tables for row in table.rows for cell in row.cells}
    assert "其他主动公开文件" in texts


@pytest.mark.soffice
def test_2020_template_resaved_by_libreoffice_reads_and_checks(tmp_path: Path) -> None:

    spec = spec_for_year(2020)
    source = fill(tmp_path / "2020.xlsx", spec, seed=50, t2__licensing__change=-4, t2__licensing__items=9)
    expected = read_workbook(source).values
    for fmt in ("xlsx", "xls", "ods"):
        (saved,) = convert([source], tmp_path / fmt, fmt)
        sub = read_workbook(saved)
        assert (sub.spec, sub.file_format, sub.year) == (spec, fmt, 2020)
        assert sub.values == expected, fmt
        report = check_file(sub)
        assert not report.counts()["error"], [f.message for f in report.findings if f.severity == "error"]
        assert report.tally is not None and report.tally.passed == len(spec.relations)


@pytest.mark.parametrize("offset", [0, 3])
def test_merge_previous_in_the_2019_format_compares_the_carry(tmp_path: Path, offset: int) -> None:

    now, before = _pair(tmp_path, carry_offset=offset)
    result = merge([now], previous=[before], jobs=1)
    carry = [f for f in result.finding_list if f.code == "M407"]
    per_file = [f for f in result.finding_list if f.code == "Y501"]
    if offset:
        assert {f.cell_key for f in carry} == {"t3.R2.c1", "t3.R2.c7"} and carry[0].diff == str(offset)
        assert "结转下年度" in carry[0].message and per_file
    else:
        assert carry == [] and per_file == []
    assert any(f.code == "Y592" for f in result.finding_list)  # the stock rules have nothing to compare with


@pytest.mark.soffice
def test_libreoffice_computes_the_2019_checks_as_python_does(tmp_path: Path) -> None:
    """The 2019 template's own formulas (signed 本年增/减, the ≥ relations, （六） as one row) recalculated by
    LibreOffice give the statuses, totals and missing counts the Python side computes."""

    spec = spec_for_year(2020)
    layout = layout_for(spec)
    cases: dict[str, tuple[Case, tuple[str, ...]]] = {}
    base: dict[str, Typed] = dict(consistent_values(spec, random.Random(60), density=0.7))
    cases["consistent"] = (Case(base, year=2020), ())
    broken: dict[str, Typed] = dict(consistent_values(spec, random.Random(61), density=0.7))
    broken.update({"t2.coercion.items": 3, "t2.coercion.change": -7, "t2.reg.published": 9, "t2.reg.total": 2})
    broken["t3.other.c2"] = int(broken["t3.other.c2"] or 0) + 4  # （六） feeds （七）总计: the balance breaks
    broken["t2.services.change"] = None
    cases["broken"] = (
        Case(broken, year=2020),
        ("t2_items_change[coercion]", "t2_total_published[reg]", "t3_balance[c2]", "t3_balance[c7]"),
    )
    paths = []
    for name, (case, _) in cases.items():
        path = tmp_path / f"{name}.xlsx"
        write_template(path, year=2020, unit_name=case.unit_name, scope=case.scope, spec=spec)
        wb = openpyxl.load_workbook(path)
        for key, value in case.inputs.items():
            place = layout.cells[key]
            wb[place.sheet].cell(place.row + 1, place.col + 1).value = (
                float(value) if isinstance(value, Decimal) else value
            )
        wb.save(path)
        paths.append(path)
    recalculated = {p.stem: p for p in convert(paths, tmp_path / "lo", "xlsx")}
    relations = {r.rule_id: r for r in spec.relations}
    for name, (case, failing) in cases.items():
        read = read_back(recalculated[name], expected(spec, case))
        assert mismatches(spec, case, read) == [], name
        statuses = {
            rule_id: read[(p.sheet, p.row, p.col)]
            for rule_id, p in ((r, layout.status_of(relations[r])) for r in relations)
        }
        shown_failing = {r for r, v in statuses.items() if str(v).startswith(FAIL_MARK)}
        assert shown_failing == set(failing), name
    assert sheet_values(spec, cases["broken"][0])["t2.coercion.change"] == -7


def test_return_copy_of_a_2020_file_is_a_2019_format_workbook(tmp_path: Path) -> None:
    spec = spec_for_year(2020)
    path = fill(tmp_path / "u.xlsx", spec, seed=70, t3__R1__c1=999)  # breaks 一 + 二 = （七） + 四
    result = cli("check", path, "--return-dir", tmp_path / "退回")
    assert result.exit_code == 1 and "A303" in result.stdout
    (copy,) = (tmp_path / "退回").iterdir()
    back = read_workbook(copy)
    assert back.spec is spec and back.meta["kind"] == "return" and back.year == 2020
    assert back.values["t2.procurement.amount"] == read_workbook(path).values["t2.procurement.amount"]
    book = openpyxl.load_workbook(copy)
    assert "政府集中采购" in {c.value for row in book["表二"].iter_rows() for c in row}


def test_long_frames_of_both_formats_line_up_on_shared_meanings(tmp_path: Path) -> None:
    """A multi-year series across the format change: select by meaning and column, never by format keys."""

    frames = []
    notes = []
    for year, seed in ((2020, 80), (2021, 81)):
        spec = spec_for_year(year)
        path = fill(tmp_path / f"{year}.xlsx", spec, seed=seed, year=year)
        result = merge([path], jobs=1)
        write_long(result, tmp_path / f"{year}.parquet")
        notes.append(pq.read_schema(tmp_path / f"{year}.parquet").metadata[b"value"].decode())
        frame = long_frame(result)
        expected = read_workbook(path).values[next(iter(spec.meaning_cells("新收").values()))]
        assert frame.loc[frame["meaning"] == "新收", "value"].iloc[0] == expected
        frames.append(frame)
    both = pd.concat(frames)
    series = both[(both["meaning"] == "新收") & (both["col_label"] == "总计")].set_index("year")["value"]
    assert list(series.index) == [2020, 2021] and all(v is not None for v in series)
    # 表二 has no shared meaning in 2019 (B4: not comparable column for column)
    assert set(both[(both["year"] == 2020) & (both["table"] == "t2")]["meaning"]) == {""}
    # the Parquet metadata says which unit the amounts of each format are in
    assert "yuan amounts in 元" in notes[0] and "万元" not in notes[0]
    assert "fee amounts in 万元" in notes[1]


def test_2019_validation_follows_each_cell_type(tmp_path: Path) -> None:
    """Excel's own validation: counts 0..max, 本年增/减 may be negative, 采购总金额 an amount in 元."""
    spec = spec_for_year(2020)
    path = tmp_path / "t.xlsx"
    write_template(path, year=2020, spec=spec)
    ws = openpyxl.load_workbook(path)["表二"]
    layout = layout_for(spec)
    rules = {}
    for dv in ws.data_validations.dataValidation:
        for ref in str(dv.sqref).split():
            c0, r0, c1, r1 = range_boundaries(ref)
            assert r0 is not None and c0 is not None and r1 is not None and c1 is not None
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    assert (r, c) not in rules, "validated twice"
                    rules[r, c] = dv
    for cell in spec.table("t2").input_cells:
        place = layout.cells[cell.key]
        dv = rules[place.row + 1, place.col + 1]
        if cell.key.endswith(".change"):
            assert (dv.type, dv.formula1, dv.formula2) == ("whole", "-99999999", "99999999") and "-8" in dv.prompt
        elif cell.key == "t2.procurement.amount":
            assert dv.type == "decimal" and dv.formula1 == "0" and "单位：元" in dv.prompt and "2 位小数" in dv.prompt
        else:
            assert (dv.type, dv.formula1, dv.formula2) == ("whole", "0", "99999999")
    assert len(rules) == len(spec.table("t2").input_cells)


def test_a_code_the_spec_declares_has_its_title_in_every_output(tmp_path: Path) -> None:
    spec = spec_for_year(2020)
    path = fill(tmp_path / "u.xlsx", spec, seed=71, t2__reg__published=6, t2__reg__total=1)
    out = tmp_path / "f.csv"
    assert cli("check", path, "--format", "csv", "-o", out).exit_code == 0
    with out.open(encoding="utf-8-sig") as fh:
        rows = [r for r in csv.DictReader(fh) if r["代码"] == "A305"]
    assert len(rows) == 1 and rows[0]["问题类型"] == "对外公开总数量小于本年新公开数量"
    summary = tmp_path / "汇总.xlsx"
    cli("merge", path, "-o", summary)
    book = openpyxl.load_workbook(summary, read_only=True)
    try:
        merged = [[str(v or "") for v in r] for r in book["校验问题"].iter_rows(values_only=True)]
    finally:
        book.close()
    header = next(r for r in merged if "问题类型" in r)
    titles = [r[header.index("问题类型")] for r in merged if r[header.index("代码")] == "A305"]
    assert titles == ["对外公开总数量小于本年新公开数量"]
    rules = [str(c.value) for r in openpyxl.load_workbook(path)[CHECK_SHEET].iter_rows() for c in r]
    assert "A305 对外公开总数量小于本年新公开数量" in rules  # the workbook's own 校验 sheet names it too
