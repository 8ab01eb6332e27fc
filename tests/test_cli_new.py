"""giptemplate new: exit codes, default year, one clear line for every bad input, nothing written on refusal."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from giptemplate.cli import EXIT_OK, EXIT_USAGE, main
from giptemplate.format import uscc
from giptemplate.format.layout import IDENTITY_SHEET, layout_for
from giptemplate.format.spec import spec_for_year

A = "11350100MB0000001" + uscc.check_digit("11350100MB0000001")
B = "11350100MB0000002" + uscc.check_digit("11350100MB0000002")
BAD = A[:17] + ("0" if A[17] != "0" else "1")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["new", *args], catch_exceptions=False)


def one_error_line(result: Result) -> str:
    assert result.exit_code == EXIT_USAGE, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def identity(path: Path) -> dict[str, str]:
    layout = layout_for(spec_for_year(2024))
    sheet = openpyxl.load_workbook(path)[IDENTITY_SHEET]
    return {k: str(sheet.cell(p.row + 1, p.col + 1).value or "") for k, p in layout.identity.items()}


def roster_file(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def test_blank_template_defaults_to_last_year(tmp_path: Path) -> None:
    out = tmp_path / "模板.xlsx"
    result = run("-o", str(out))
    assert result.exit_code == EXIT_OK, result.output
    last_year = datetime.date.today().year - 1
    assert identity(out)["report_year"] == str(last_year)
    assert f"{last_year} 年度" in result.stdout and "国办公开办函〔2021〕30号" in result.stdout
    cover = openpyxl.load_workbook(out)["封面"]
    assert cover["B3"].protection.locked is False  # no unit given: the filler types it


def test_personal_template_locks_the_unit(tmp_path: Path) -> None:
    out = tmp_path / "单位.xlsx"
    result = run("-o", str(out), "--year", "2024", "--unit", " 某某县教育局 ", "--code", A.lower(), "--scope", "本机关")
    assert result.exit_code == EXIT_OK, result.output
    ident = identity(out)
    assert (ident["unit_name"], ident["unit_code"], ident["report_year"]) == ("某某县教育局", A, "2024")
    cover = openpyxl.load_workbook(out)["封面"]
    assert cover["B3"].protection.locked and cover["B4"].protection.locked
    assert cover["B6"].value == "本机关"


@pytest.mark.parametrize(("year", "document"), [(2019, "国办公开办函〔2019〕60号"), (2020, "国办公开办函〔2019〕60号")])
def test_years_of_the_2019_format_give_a_template_titled_trial(tmp_path: Path, year: int, document: str) -> None:
    out = tmp_path / "t.xlsx"
    result = run("-o", str(out), "--year", str(year))
    assert result.exit_code == EXIT_OK, result.output
    assert document in result.output
    ident = identity(out)
    assert (ident["template_id"], ident["format_version"], ident["report_year"]) == (
        "giptemplate/gip2019",
        "2019",
        str(year),
    )
    book = openpyxl.load_workbook(out)
    cover = book["封面"]
    assert cover["A1"].value == "政府信息公开工作年度报告填报表（试行格式）"
    assert "格式（试行）" in cover["A2"].value and document in cover["A2"].value


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2018"], "报告年度 2018 无适用的报告格式"),
        (["--code", BAD], f"统一社会信用代码 {BAD} 校验位错误"),
        (["--code", "11350100MB00000I12"], "含非法字符"),
        (["--unit", "局" * 101], "单位名称过长"),
    ],
)
def test_bad_arguments_give_one_line_and_no_file(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "t.xlsx"
    line = one_error_line(run("-o", str(out), *args))
    assert message in line
    assert not out.exists()


def test_bad_output_paths(tmp_path: Path) -> None:
    assert "应以 .xlsx 结尾" in one_error_line(run("-o", str(tmp_path / "t.xls")))
    assert "文件夹不存在" in one_error_line(run("-o", str(tmp_path / "无" / "t.xlsx")))
    folder = tmp_path / "x.xlsx"
    folder.mkdir()
    assert "是文件夹" in one_error_line(run("-o", str(folder)))
    assert list(tmp_path.rglob("*.xlsx")) == [folder]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs a folder nobody may write to")
def test_unwritable_target_is_a_clear_error() -> None:
    assert "无法写入" in one_error_line(run("-o", "/proc/giptemplate-test.xlsx"))


def test_bad_scope_is_a_usage_error(tmp_path: Path) -> None:
    result = run("-o", str(tmp_path / "t.xlsx"), "--scope", "全县")
    assert result.exit_code == EXIT_USAGE and "全县" in result.output
    assert not (tmp_path / "t.xlsx").exists()


# ---------------------------------------------------------------------------------------------- rosters


def test_roster_writes_one_template_per_unit(tmp_path: Path) -> None:
    roster = roster_file(
        tmp_path / "名单.csv", [["单位名称", "单位代码"], ["某某县教育局", A], ["某某/财政局", B]], "gbk"
    )
    out = tmp_path / "模板"
    result = run("-o", str(out), "--year", "2024", "--roster", str(roster))
    assert result.exit_code == EXIT_OK, result.output
    assert "已生成 2 个模板" in result.stdout
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted([f"{A}_某某县教育局.xlsx", f"{B}_某某_财政局.xlsx"])
    ident = identity(out / f"{B}_某某_财政局.xlsx")
    assert (ident["unit_name"], ident["unit_code"]) == ("某某/财政局", B)
    assert openpyxl.load_workbook(out / files[0])["封面"]["B6"].value == "本机关"


def test_roster_from_a_workbook(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "名单.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    rows: list[list[object]] = [["序号", "单位名称", "单位代码", "分组"], [1, "某某乡人民政府", A, "乡镇"]]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    out = tmp_path / "out"
    result = run("-o", str(out), "--year", "2024", "--roster", str(path), "--scope", "本级政府汇总")
    assert result.exit_code == EXIT_OK, result.output
    (written,) = out.iterdir()
    assert openpyxl.load_workbook(written)["封面"]["B6"].value == "本级政府汇总"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["名称", "单位代码"], ["甲", A]], "缺少“单位名称”列"),
        ([["单位名称", "单位代码"], ["甲", A], ["", B]], "第 3 行：单位名称为空"),
        ([["单位名称", "单位代码"], ["甲", A], ["乙", A]], "第 3 行：单位代码"),
        ([["单位名称", "单位代码"], ["甲", A], ["乙", BAD]], "第 3 行：乙 的统一社会信用代码"),
    ],
)
def test_malformed_roster_writes_nothing(tmp_path: Path, rows: list[list[str]], message: str) -> None:
    roster = roster_file(tmp_path / "名单.csv", rows)
    out = tmp_path / "out"
    line = one_error_line(run("-o", str(out), "--roster", str(roster)))
    assert message in line and "名单.csv" in line
    assert not out.exists()


def test_roster_file_problems(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert "无法读取名单文件" in one_error_line(run("-o", str(out), "--roster", str(tmp_path / "无.csv")))
    fake = tmp_path / "名单.xlsx"
    fake.write_bytes(b"%PDF-1.7\n" + bytes(100))
    assert "PDF" in one_error_line(run("-o", str(out), "--roster", str(fake)))
    roster = roster_file(tmp_path / "名单.csv", [["单位名称", "单位代码"], ["甲", A]])
    assert "不能与 --unit/--code 同时使用" in one_error_line(
        run("-o", str(out), "--roster", str(roster), "--unit", "乙")
    )
    occupied = tmp_path / "occupied.xlsx"
    occupied.write_bytes(b"")
    assert "不是文件夹" in one_error_line(run("-o", str(occupied), "--roster", str(roster)))
    assert not out.exists()


def test_unit_with_a_line_break_or_a_future_year_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert "控制字符" in one_error_line(run("-o", str(out), "--unit", "郑县\n财政局"))
    assert "尚未开始" in one_error_line(run("-o", str(out), "--year", "99999"))
    assert not out.exists()
