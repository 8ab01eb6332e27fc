"""The evening before the county total is due: 300 valid returns and one file of each hostile kind in one mail
folder. `merge` must exit 0 or 1, write the summary, list every file exactly once and count every valid unit."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hostile import input_ref, members, rewrite, rezip, set_cell, sheet_part, unit_code, unit_file

from giptemplate.files.paths import display_text
from giptemplate.format.spec import spec_for_year
from giptemplate.merge.summary import STATUS_SHEET

VALID = 300
SPEC = spec_for_year(2024)


def _valid_files(folder: Path) -> list[Path]:
    """300 distinct units: one filled return, re-stamped with each unit's name and code (as the roster does)."""
    first = unit_file(folder / "u000.xlsx", 0, name="批量单位0", code=unit_code(1000))
    parts = members(first.read_bytes())
    paths = [first]
    old_name, old_code = "批量单位0".encode(), unit_code(1000).encode()
    for i in range(1, VALID):
        name, code = f"批量单位{i}".encode(), unit_code(1000 + i).encode()
        edited = {k: v.replace(old_name, name).replace(old_code, code) for k, v in parts.items()}
        path = folder / ("乡镇" if i % 2 else "县直") / f"u{i:03d}.xlsx"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(rezip(edited))
        paths.append(path)
    return paths


def _hostile_files(folder: Path, valid: bytes) -> list[Path]:
    hostile = folder / "各种问题"
    hostile.mkdir()
    made: list[Path] = []

    def put(name: str, data: bytes) -> None:
        (hostile / name).write_bytes(data)
        made.append(hostile / name)

    sheet, ref, _ = input_ref(SPEC, "count", 3)
    put("大数.xlsx", set_cell(valid, sheet, ref, f'<c r="{ref}" t="inlineStr"><is><t>{"9" * 401}</t></is></c>'))
    fee_sheet, fee_ref, _ = input_ref(SPEC, "fee", 0)
    put("大金额.xlsx", set_cell(valid, fee_sheet, fee_ref, f'<c r="{fee_ref}"><v>1E+308</v></c>'))
    raw = os.fsencode(hostile) + b"/" + "教育局报表.xlsx".encode("gbk")
    with open(raw, "wb") as fh:
        fh.write(valid)
    made.append(Path(os.fsdecode(raw)))
    table = SPEC.tables[0].sheet
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    put("远处单元格.xlsx", rewrite(valid, sheet_part(valid, table), lambda x: x.replace(b"</sheetData>", far)))
    put(
        "别人的模板.xlsx",
        rezip({k: v.replace("批量单位0".encode(), "冒名单位".encode()) for k, v in members(valid).items()}),
    )
    buffer = Path(hostile / "乡镇报表.zip")
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("a/甲.xlsx", valid)
        z.writestr("b/乙.xlsx", valid)
    made.append(buffer)
    put("年报.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    put("年报.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    put("报表.xlsb", rezip({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01\x00"}))
    put("DOCTYPE.xlsx", rewrite(valid, "xl/styles.xml", lambda x: x.replace(b"?>", b"?><!DOCTYPE x>", 1)))
    put("~$锁文件.xlsx", b"\x00lock")
    put(".隐藏.xlsx", valid)
    put("截断.xlsx", valid[:3000])
    os.mkfifo(hostile / "管道.xlsx")
    made.append(hostile / "管道.xlsx")
    (hostile / "零.xlsx").symlink_to("/dev/zero")
    made.append(hostile / "零.xlsx")
    (hostile / "链接.xlsx").symlink_to(folder / "u000.xlsx")
    made.append(hostile / "链接.xlsx")
    (hostile / "失效链接.xlsx").symlink_to(hostile / "不存在.xlsx")
    made.append(hostile / "失效链接.xlsx")
    return made


@pytest.mark.slow
def test_merge_of_300_valid_files_and_one_of_each_hostile_kind(tmp_path: Path) -> None:
    folder = tmp_path / "收回"
    folder.mkdir()
    valid = _valid_files(folder)
    hostile = _hostile_files(folder, valid[0].read_bytes())
    out = tmp_path / "汇总.xlsx"
    limit = 2 * 2**30
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
        "from giptemplate.cli import main\n"
        "sys.argv = ['giptemplate', *sys.argv[1:]]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "merge", str(folder), "-o", str(out), "--long", str(tmp_path / "long.csv")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    workbook = openpyxl.load_workbook(out, read_only=True)
    rows = [list(r) for r in workbook[STATUS_SHEET].iter_rows(values_only=True)]
    workbook.close()
    header_at = next(i for i, r in enumerate(rows) if "文件" in r and "状态" in r)
    header = rows[header_at]
    file_at, status_at, code_at = header.index("文件"), header.index("状态"), header.index("单位代码")
    listed = [str(r[file_at]) for r in rows[header_at + 1 :] if r[file_at]]
    expected = [display_text(p.relative_to(folder).as_posix()) for p in [*valid, *hostile]]
    expected += ["各种问题/乡镇报表.zip/a/甲.xlsx", "各种问题/乡镇报表.zip/b/乙.xlsx"]  # each member, as well
    assert "各种问题/教育局报表.xlsx" in expected
    assert sorted(listed) == sorted(expected)  # every file exactly once
    status = {str(r[file_at]): str(r[status_at]) for r in rows[header_at + 1 :] if r[file_at]}
    assert all(status[p.relative_to(folder).as_posix()] == "通过" for p in valid[1:])
    # unit 0's copies carry its code; one of them under another unit's name: M412 names them, none replaces another
    assert status["u000.xlsx"] == "有错误" and status["各种问题/别人的模板.xlsx"] == "有错误"
    passed_codes = {str(r[code_at]) for r in rows[header_at + 1 :] if r[status_at] == "通过"}
    assert {unit_code(1000 + i) for i in range(1, VALID)} <= passed_codes
    for name in (
        "年报.pdf",
        "年报.doc",
        "报表.xlsb",
        "DOCTYPE.xlsx",
        "截断.xlsx",
        "管道.xlsx",
        "零.xlsx",
        "远处单元格.xlsx",
    ):
        assert status[f"各种问题/{name}"] == "无法读取", name
    for name in ("~$锁文件.xlsx", ".隐藏.xlsx", "链接.xlsx", "乡镇报表.zip"):
        assert status[f"各种问题/{name}"] == "已跳过", name
    assert "无法读取" in done.stdout and "已跳过" in done.stdout  # the console gives the counts of each status
