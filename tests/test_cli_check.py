"""giptemplate check: files and folders, every file accounted for, output formats, return copies, exit codes."""

from __future__ import annotations

import csv
import datetime
import io
import json
import random
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from submission_factory import good_texts, unit_code, write_filled

from giptemplate.cli import main
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec
from giptemplate.workbook.reader import read_workbook


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["check", *map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def batch(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder as an office receives it: a good file, a faulty one, an HTML page named .xls, a note, a lock file."""
    folder = tmp_path_factory.mktemp("returns")
    write_filled(
        folder / "good.xlsx", spec, seed=1, unit_name="郑县教育体育局", unit_code=unit_code("11410100MB1234567")
    )
    values = consistent_values(spec, random.Random(2))
    values["t3.R1.c2"] = values["t3.R1.c2"] + 4
    write_filled(folder / "bad.xlsx", spec, values, unit_name="郑县公安局", unit_code=unit_code("11410100MB7654321"))
    (folder / "sub").mkdir()
    (folder / "sub" / "fake.xls").write_text("<html><body>报表</body></html>", encoding="utf-8")
    (folder / "说明.txt").write_text("请查收", encoding="utf-8")
    (folder / "~$good.xlsx").write_bytes(b"\x00" * 165)
    return folder


def test_folder_accounts_for_every_file(batch: Path, tmp_path: Path) -> None:
    result = run(batch, "--return-dir", tmp_path / "退回")
    assert result.exit_code == 2  # one file could not be read at all
    out = result.stdout
    for name in ("good.xlsx", "bad.xlsx", "fake.xls"):
        assert name in out
    assert "无法读取" in out and "网页文件" in out
    assert "A303" in out and "相差 4" in out
    # every file of the folder is listed, as merge lists it: the note cannot be read, the lock file is skipped
    assert "共 5 个文件：通过 1，有错误 1，无法读取 2，已跳过 1" in out
    copies = sorted(p.name for p in (tmp_path / "退回").iterdir())
    assert copies == [f"{unit_code('11410100MB7654321')}_郑县公安局_退回修改.xlsx"]
    back = read_workbook(tmp_path / "退回" / copies[0])
    assert back.meta["kind"] == "return" and back.unit_name == "郑县公安局"
    assert "已生成 1 个退回修改件" in out


def test_exit_codes(spec: Spec, batch: Path) -> None:
    assert run(batch / "good.xlsx").exit_code == 0
    ok = run(batch / "good.xlsx")
    assert "通过" in ok.stdout and f"关系校验：{len(spec.relations)} 条通过，0 条未通过" in ok.stdout
    assert run(batch / "good.xlsx", batch / "bad.xlsx").exit_code == 1
    refused = run(batch / "说明.txt")  # named explicitly: sniffed and refused with its line
    assert refused.exit_code == 2 and "说明.txt" in refused.stdout and "无法读取" in refused.stdout


def test_same_file_twice_counts_once(batch: Path) -> None:
    result = run(batch / "good.xlsx", batch / "." / "good.xlsx", batch / "good.xlsx")
    assert "共 3 个文件：通过 1，已跳过 2" in result.stdout  # read once; the other two names listed as the same file
    assert result.stdout.count("与 good.xlsx 是同一个文件") == 2


def test_json_to_stdout_keeps_verdicts_on_stderr(batch: Path) -> None:
    result = run(batch, "--format", "json")
    document = json.loads(result.stdout)
    by_name = {Path(f["file"]).name: f for f in document["files"]}
    assert set(by_name) == {"good.xlsx", "bad.xlsx", "fake.xls", "说明.txt", "~$good.xlsx"}
    assert by_name["~$good.xlsx"]["status"] == "已跳过" and "锁文件" in by_name["~$good.xlsx"]["verdict"]
    assert by_name["说明.txt"]["status"] == "无法读取"
    assert by_name["fake.xls"]["status"] == "无法读取" and by_name["fake.xls"]["findings"][0]["code"] == "F001"
    codes = {f["code"] for f in by_name["bad.xlsx"]["findings"]}
    assert "A303" in codes
    assert "bad.xlsx" in result.stderr and "共 5 个文件" in result.stderr


def test_csv_and_xlsx_files(batch: Path, tmp_path: Path) -> None:
    out_csv = tmp_path / "结果.csv"
    assert run(batch / "bad.xlsx", "-o", out_csv).exit_code == 1  # format from the suffix
    raw = out_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel recognises UTF-8 with a BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:2] == ["文件", "单位名称"] and any("A303" in r for r in rows[1:])
    out_xlsx = tmp_path / "结果.xlsx"
    result = run(batch, "--format", "xlsx", "-o", out_xlsx)
    assert result.exit_code == 2 and f"结果 → {out_xlsx}" in result.stdout
    workbook = openpyxl.load_workbook(out_xlsx)
    assert workbook["文件汇总"].max_row == 6  # a row for each of the five files found


def test_output_inside_the_input_folder_is_not_read_back(spec: Spec, tmp_path: Path) -> None:
    write_filled(tmp_path / "unit.xlsx", spec, seed=5)
    out = tmp_path / "结果.xlsx"
    assert run(tmp_path, "-o", out).exit_code == 0
    second = run(tmp_path, "-o", out)
    assert second.exit_code == 0 and "共 1 个文件" in second.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--format", "xlsx"),  # xlsx needs -o
        ("-o", "out.txt"),  # format unknown from the suffix
        ("--format", "table", "-o", "out.json"),
    ],
)
def test_bad_usage_is_exit_2(batch: Path, args: tuple[str, ...]) -> None:
    result = run(batch / "good.xlsx", *args)
    assert result.exit_code == 2 and "错误" in result.stderr


def test_missing_input_is_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path / "nowhere.xlsx")
    assert result.exit_code == 2 and "找不到输入" in result.stderr
    empty = run(tmp_path)
    assert empty.exit_code == 2 and "没有找到要校验的文件" in empty.stderr


def test_previous_year_checks(spec: Spec, tmp_path: Path) -> None:
    last_year, this_year = tmp_path / "2023", tmp_path / "2024"
    last_year.mkdir()
    this_year.mkdir()
    before = consistent_values(spec, random.Random(31))
    write_filled(
        last_year / "教育.xlsx", spec, before, year=2023, texts=good_texts(spec, 2023, 9), unit_name="郑县教育体育局"
    )
    now = consistent_values(spec, random.Random(32))
    write_filled(this_year / "教育.xlsx", spec, now, unit_name="郑县教育体育局")
    write_filled(this_year / "新单位.xlsx", spec, now, unit_name="郑县新设局", unit_code=unit_code("11410100MB0000001"))
    result = run(this_year, "--previous", last_year, "--format", "json")
    files = {Path(f["file"]).name: f for f in json.loads(result.stdout)["files"]}
    carried = [f for f in files["教育.xlsx"]["findings"] if f["code"] == "Y501"]
    cross = spec.cross_year
    differing = [
        c.column.key
        for c in [spec.cells[k] for k in spec.meaning_cells(cross.carry_current).values()]
        if not c.derived
        and now[c.key]
        != before[
            next(
                p.key
                for p in [spec.cells[k] for k in spec.meaning_cells(cross.carry_previous).values()]
                if p.column == c.column
            )
        ]
    ]
    assert differing and {f["rule"] for f in carried} >= {f"xy_carry[{k}]" for k in differing}
    assert [f["code"] for f in files["新单位.xlsx"]["findings"]].count("Y590") == 1
    assert not [f for f in files["教育.xlsx"]["findings"] if f["code"] == "Y590"]


def test_previous_without_readable_files_is_bad_usage(batch: Path, tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "x.xls").write_text("<html></html>", encoding="utf-8")
    result = run(batch / "good.xlsx", "--previous", tmp_path / "old")
    assert result.exit_code == 2 and "上年度" in result.stderr


def test_markup_in_submitted_text_is_printed_literally(spec: Spec, tmp_path: Path) -> None:
    path = write_filled(tmp_path / "x.xlsx", spec, unit_name="[bold red]郑县[/bold red]局", phone="")
    result = run(path)
    assert result.exit_code == 0
    assert "[bold red]郑县[/bold red]局" in result.stdout


def test_return_copies_get_distinct_safe_names(spec: Spec, tmp_path: Path) -> None:
    values = consistent_values(spec, random.Random(8))
    values["t3.R2.c1"] = values["t3.R2.c1"] + 1
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.xlsx", "b.xlsx"):  # the same unit twice
        write_filled(folder / name, spec, values, unit_name="郑县/../局", unit_code="")
    result = run(folder, "--return-dir", tmp_path / "out")
    assert result.exit_code == 1
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 2 and names[0].endswith("_2_退回修改.xlsx") and names[1].endswith("局_退回修改.xlsx")
    assert all("/" not in n and ".." not in n and n.startswith("郑县") for n in names)
    assert not list(tmp_path.glob("局*"))  # nothing escaped the folder


def _bad_unit(spec: Spec, path: Path) -> Path:
    values = consistent_values(spec, random.Random(2))
    values["t3.R1.c2"] = values["t3.R1.c2"] + 4
    return write_filled(path, spec, values, unit_name="郑县公安局", unit_code=unit_code("11410100MB7654321"))


def test_output_never_overwrites_a_unit_file(spec: Spec, tmp_path: Path) -> None:
    good = write_filled(tmp_path / "ok.xlsx", spec, seed=1)
    _bad_unit(spec, tmp_path / "bad.xlsx")
    original = good.read_bytes()
    mismatch = run(tmp_path / "bad.xlsx", "--format", "csv", "-o", good)  # suffix does not match --format
    assert mismatch.exit_code == 2 and ".csv" in mismatch.stderr
    inside = run(tmp_path, "--format", "xlsx", "-o", good)  # one of the inputs
    assert inside.exit_code == 2 and "拒绝覆盖" in inside.stderr
    other = tmp_path / "other"
    other.mkdir()
    foreign = write_filled(other / "unit.xlsx", spec, seed=3)  # exists, but is not a check report of ours
    kept = foreign.read_bytes()
    assert run(tmp_path / "bad.xlsx", "-o", foreign).exit_code == 2
    disguised = other / "unit.csv"
    disguised.write_bytes(kept)  # a workbook under a text name
    assert run(tmp_path / "bad.xlsx", "-o", disguised).exit_code == 2
    assert good.read_bytes() == original and foreign.read_bytes() == kept and disguised.read_bytes() == kept
    assert "拒绝覆盖" in run(tmp_path / "bad.xlsx", "-o", disguised).stderr
    report = other / "结果.xlsx"
    assert run(tmp_path / "bad.xlsx", "-o", report).exit_code == 1
    assert run(tmp_path / "bad.xlsx", "-o", report).exit_code == 1  # our own report is replaced


def test_return_dir_inside_the_input_folder(spec: Spec, tmp_path: Path) -> None:
    """Inputs inside --return-dir are checked; our return copies and reports there are counted, not read; a copy
    the unit corrected and saved is their submission again."""
    from giptemplate.demo.county import fill_template
    from giptemplate.workbook.review import RETURN_KIND

    folder = tmp_path / "收回"
    folder.mkdir()
    write_filled(folder / "ok.xlsx", spec, seed=1)
    _bad_unit(spec, folder / "bad.xlsx")
    first = run(folder, "--return-dir", folder, "--format", "xlsx", "-o", folder / "结果.xlsx")
    assert first.exit_code == 1 and "共 2 个文件：通过 1，有错误 1" in first.stdout
    copies = [p for p in folder.iterdir() if p.name.endswith("_退回修改.xlsx")]
    assert len(copies) == 1 and read_workbook(copies[0]).meta["kind"] == RETURN_KIND
    second = run(folder, "--return-dir", folder)
    assert second.exit_code == 1, second.stdout
    assert "共 2 个文件" in second.stdout and "本工具生成的文件，未读取：2" in second.stdout
    assert "无法读取" not in second.stdout
    # The unit corrects the return copy in place and saves it; it is read, and never overwritten by a new copy.
    fixed = copies[0]
    fill_template(
        spec, fixed, fixed, values=consistent_values(spec, random.Random(2)), texts={}, meta={},
        saved=datetime.datetime(2025, 2, 1, 9, 0),
    )  # fmt: skip
    saved = fixed.read_bytes()
    third = run(folder, "--return-dir", folder)
    assert "共 3 个文件" in third.stdout and "本工具生成的文件，未读取：1" in third.stdout
    assert fixed.read_bytes() == saved
