"""Regression tests for issue 8: no returned file can stop, crash or silently skew a batch.

Each test is one case a careful tester found (a file that stopped the merge, hung the reader, aborted the process,
was left out of the accounting or misattributed); each ran against the code before the fix and failed there.
Cases that could kill or hang the test process itself run `giptemplate` in a subprocess with a timeout and
resource limits.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hostile import add_sheet, input_ref, members, rewrite, rezip, set_cell, sheet_part
from submission_factory import good_texts

from giptemplate.cli import main
from giptemplate.errors import IntakeError, RosterError
from giptemplate.files.paths import safe_component
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec
from giptemplate.format.uscc import check_digit
from giptemplate.merge import DUPLICATE, HAS_ERRORS, PASSED, SKIPPED, UNREADABLE, merge, write_long, write_summary
from giptemplate.roster import RosterEntry, parse_roster, read_roster
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.writer import write_template

YEAR = 2024
# The report year of each spec's files: a 2019 试行 workbook is for 2019 or 2020, not for YEAR.
REPORT_YEAR = {"gip2021": YEAR, "gip2019": 2020}
MEMORY_LIMIT = 512 * 2**20


def code(i: int) -> str:
    body = f"11419900{8000000 + i:09d}"
    return body + check_digit(body)


def unit_bytes(spec: Spec, i: int, name: str | None = None, unit_code: str | None = None) -> bytes:
    values = dict(consistent_values(spec, random.Random(i), density=0.3, scale=40))
    year = REPORT_YEAR[spec.id]
    return write_template(
        io.BytesIO(),
        year=year,
        unit_name=name or f"测试局{i}",
        unit_code=unit_code if unit_code is not None else code(i),
        scope="本机关",
        values=values,
        texts=good_texts(spec, year, i),
        filler="张三",
        phone="0371-12345678",
        date=f"{year + 1}-01-15",
        spec=spec,
    )


@pytest.fixture(scope="module")
def valid(spec: Spec) -> bytes:
    return unit_bytes(spec, 1)


def run_cli(*args: str, timeout: float = 60, memory: int = MEMORY_LIMIT) -> subprocess.CompletedProcess[str]:
    """`giptemplate ARGS` in a child process with an address-space limit: an abort or a hang fails the test, not
    the test run."""
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))\n"
        "from giptemplate.cli import main\n"
        "sys.argv = ['giptemplate', *sys.argv[1:]]\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


# ---------------------------------------------------------------------------------------------- values


def amount_type(spec: Spec) -> str:
    """The cell type of the format's money cell: 2021's fee in 万元, 2019's 采购总金额 in 元."""
    (key,) = {c.type.key for c in spec.input_cells if not c.type.integral}
    return key


def huge_values(spec: Spec, data: bytes) -> bytes:
    """A count typed as a 401-digit string, an amount and a count of 1E+308."""
    sheet, ref, _ = input_ref(spec, "count", 3)
    data = set_cell(data, sheet, ref, f'<c r="{ref}" t="inlineStr"><is><t>{"9" * 401}</t></is></c>')
    sheet, ref, _ = input_ref(spec, amount_type(spec), 0)
    data = set_cell(data, sheet, ref, f'<c r="{ref}"><v>1E+308</v></c>')
    sheet, ref, _ = input_ref(spec, "count", 4)
    return set_cell(data, sheet, ref, f'<c r="{ref}"><v>1E+308</v></c>')


def test_values_beyond_the_limits_are_errors_and_never_reach_a_writer(spec: Spec, valid: bytes, tmp_path: Path) -> None:
    folder = tmp_path / "收回"
    folder.mkdir()
    (folder / "huge.xlsx").write_bytes(huge_values(spec, unit_bytes(spec, 2)))
    (folder / "ok.xlsx").write_bytes(valid)
    submission = read_workbook(folder / "huge.xlsx")
    _, _, key = input_ref(spec, "count", 3)
    assert submission.cells[key].value is None and submission.cells[key].state == "invalid"
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(folder / "huge.xlsx"), "--format", "json"])
    assert checked.exit_code == 1, checked.output
    found = json.loads(checked.stdout)["files"]
    v212 = [f for f in found[0]["findings"] if f["code"] == "V212"]
    assert len(v212) == 3 and {f["severity"] for f in v212} == {"error"}
    result = merge([folder], jobs=1)
    assert {e.file: e.status for e in result.entries} == {"huge.xlsx": HAS_ERRORS, "ok.xlsx": PASSED}
    write_summary(result, tmp_path / "汇总.xlsx")  # OverflowError before the fix
    write_long(result, tmp_path / "long.csv")
    write_long(result, tmp_path / "long.parquet")
    for value in result.totals_values.values():
        assert value is None or value < 10**12


def test_fees_are_the_decimal_excel_displays(spec: Spec, tmp_path: Path) -> None:
    sheet, ref, key = input_ref(spec, amount_type(spec), 0)
    data = set_cell(unit_bytes(spec, 3), sheet, ref, f'<c r="{ref}"><v>0.30000000000000004</v></c>')
    path = tmp_path / "fee.xlsx"
    path.write_bytes(data)
    assert read_workbook(path).values[key] == Decimal("0.3")
    result = merge([path], jobs=1)
    write_long(result, tmp_path / "long.csv")
    text = (tmp_path / "long.csv").read_text(encoding="utf-8-sig")
    assert "0.30000000000000004" not in text and "0.3" in text


def test_true_in_a_count_cell_is_not_a_number(spec: Spec, tmp_path: Path) -> None:
    sheet, ref, _ = input_ref(spec, "count", 0)
    path = tmp_path / "bool.xlsx"
    path.write_bytes(set_cell(unit_bytes(spec, 4), sheet, ref, f'<c r="{ref}" t="b"><v>1</v></c>'))
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(path), "--format", "json"])
    found = json.loads(checked.stdout)["files"][0]["findings"]
    assert any(f["code"] == "V201" and f["cell"] == ref for f in found)


# ---------------------------------------------------------------------------------------------- bounded reading


@pytest.mark.parametrize("corner", ["XFD1048576", "A1048576", "ZZ60000"])
def test_a_far_cell_is_refused_in_bounded_memory_and_time(
    spec: Spec, valid: bytes, tmp_path: Path, corner: str
) -> None:
    row = "".join(ch for ch in corner if ch.isdigit())
    sheet = spec.tables[0].sheet
    data = rewrite(
        valid,
        sheet_part(valid, sheet),
        lambda xml: xml.replace(
            b"</sheetData>",
            f'<row r="{row}"><c r="{corner}" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'.encode(),
        ),
    )
    path = tmp_path / "far.xlsx"
    path.write_bytes(data)
    done = run_cli("check", str(path), timeout=30)  # rc 134 (a Rust allocation abort) before the fix
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert f"{row}（{row} 行" in done.stdout and "无法读取" in done.stdout
    # merge reads in-process for a handful of files: the other file still counts
    (tmp_path / "ok.xlsx").write_bytes(valid)
    merged = run_cli("merge", str(path), str(tmp_path / "ok.xlsx"), "-o", str(tmp_path / "汇总.xlsx"), timeout=60)
    assert merged.returncode == 1, merged.stderr[-2000:]
    assert (tmp_path / "汇总.xlsx").exists()


def test_a_declared_dimension_costs_nothing(spec: Spec, valid: bytes, tmp_path: Path) -> None:
    sheet = spec.tables[0].sheet
    path = tmp_path / "dim.xlsx"
    path.write_bytes(
        rewrite(
            valid,
            sheet_part(valid, sheet),
            lambda xml: xml.replace(b'<dimension ref="', b'<dimension ref="A1:XFD1048576" x="'),
        )
    )
    done = run_cli("check", str(path), timeout=30)
    assert done.returncode in (0, 1), done.stderr[-2000:]


def test_a_large_extra_sheet_is_not_searched(
    spec: Spec, valid: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renamed sheets make the reader search the others for the tables; a big data sheet added to the workbook
    cannot be one of them and is never laid out (seconds per file before the fix)."""
    import giptemplate.workbook.reader as reader

    parts = members(valid)
    workbook = parts["xl/workbook.xml"].decode()
    for table in spec.tables:
        workbook = workbook.replace(f'name="{table.sheet}"', f'name="{table.sheet}（改名）"')
    parts["xl/workbook.xml"] = workbook.encode()
    row = "".join(f'<c r="{c}{{r}}"><v>1</v></c>' for c in "ABCDEFGHIJ")
    rows = "".join(f'<row r="{r}">' + row.format(r=r) + "</row>" for r in range(1, 20001))
    path = tmp_path / "renamed.xlsx"
    path.write_bytes(add_sheet(rezip(parts), "数据", rows.encode()))
    laid_out: list[str] = []
    real = reader._Book.grid

    def grid(book: reader._Book, name: str) -> reader.Grid:
        laid_out.append(name)
        return real(book, name)

    monkeypatch.setattr(reader._Book, "grid", grid)
    submission = read_workbook(path)
    assert submission.renamed_sheets and len(submission.cells) == len(spec.input_cells)
    assert "数据" not in laid_out


def test_fifo_and_devices_are_never_read(valid: bytes, tmp_path: Path) -> None:
    folder = tmp_path / "收回"
    folder.mkdir()
    (folder / "ok.xlsx").write_bytes(valid)
    os.mkfifo(folder / "管道.xlsx")
    (folder / "零.xlsx").symlink_to("/dev/zero")
    checked = run_cli("check", str(folder), timeout=30)  # hung on the FIFO before the fix
    assert checked.returncode == 2, checked.stderr[-2000:]
    assert "不是普通文件" in checked.stdout
    merged = run_cli("merge", str(folder), "-o", str(tmp_path / "汇总.xlsx"), timeout=60)
    assert merged.returncode in (0, 1), merged.stderr[-2000:]
    statuses = _status_rows(tmp_path / "汇总.xlsx")
    assert statuses["管道.xlsx"] == UNREADABLE and statuses["零.xlsx"] == UNREADABLE and statuses["ok.xlsx"] == PASSED


def _status_rows(summary: Path) -> dict[str, str]:
    """File -> status, read back from the summary's 报送情况 sheet."""
    from giptemplate.merge.summary import STATUS_SHEET

    workbook = openpyxl.load_workbook(summary, read_only=True)
    try:
        rows = [list(r) for r in workbook[STATUS_SHEET].iter_rows(values_only=True)]
    finally:
        workbook.close()
    header_at = next(i for i, r in enumerate(rows) if "文件" in r and "状态" in r)
    header = rows[header_at]
    file_at, status_at = header.index("文件"), header.index("状态")
    return {str(r[file_at]): str(r[status_at]) for r in rows[header_at + 1 :] if r[file_at]}


# ---------------------------------------------------------------------------------------------- names


def test_gbk_file_names_never_stop_a_writer(valid: bytes, tmp_path: Path) -> None:
    folder = tmp_path / "收回"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/" + "教育局报表.xlsx".encode("gbk")
    with open(raw, "wb") as fh:
        fh.write(valid)
    (folder / "ok.xlsx").write_bytes(unit_bytes_default())
    runner = CliRunner()
    for fmt in ("csv", "json", "xlsx"):
        out = tmp_path / f"结果.{fmt}"
        done = runner.invoke(main, ["check", str(folder), "--format", fmt, "-o", str(out)])
        assert done.exit_code in (0, 1), done.output  # UnicodeEncodeError (rc 3) before the fix
        if fmt != "xlsx":
            assert "教育局报表.xlsx" in out.read_text(encoding="utf-8-sig")
    done = runner.invoke(main, ["merge", str(folder), "-o", str(tmp_path / "汇总.xlsx")])
    assert done.exit_code in (0, 1), done.output
    assert "教育局报表.xlsx" in _status_rows(tmp_path / "汇总.xlsx")


_DEFAULT: dict[str, bytes] = {}


def unit_bytes_default() -> bytes:
    from giptemplate.format.spec import spec_for_year

    if "b" not in _DEFAULT:
        _DEFAULT["b"] = unit_bytes(spec_for_year(YEAR), 9)
    return _DEFAULT["b"]


def test_bidi_controls_never_reach_a_file_name() -> None:
    assert "\u202e" not in safe_component("甲局\u202exslx.exe")
    assert "\u2066" not in safe_component("甲\u2066局")


# ---------------------------------------------------------------------------------------------- identity


def test_another_units_file_never_replaces_a_unit(spec: Spec, tmp_path: Path) -> None:
    """乙局's data in a file carrying 甲局's code: both files are named in an 错误, neither is a duplicate."""
    folder = tmp_path / "收回"
    folder.mkdir()
    (folder / "甲局.xlsx").write_bytes(unit_bytes(spec, 11, name="甲局", unit_code=code(11)))
    (folder / "乙局用了甲局的模板.xlsx").write_bytes(unit_bytes(spec, 12, name="乙局", unit_code=code(11)))
    (folder / "丁局.xlsx").write_bytes(unit_bytes(spec, 14, name="丁局", unit_code=code(14)))
    result = merge([folder], jobs=1)
    statuses = {e.file: e.status for e in result.entries}
    assert DUPLICATE not in statuses.values()  # 重复报送 (and exit 0) before the fix
    m412 = [f for f in result.finding_list if f.code == "M412"]
    assert m412 and all(f.severity == "error" for f in m412)
    assert any("甲局.xlsx" in f.message and "乙局" in f.message and "甲局" in f.message for f in m412)
    assert result.exit_code == 1
    # with a roster, the unit whose name and code agree counts; the other file is named, not counted
    roster = [RosterEntry("甲局", code(11), "", 2), RosterEntry("乙局", code(12), "", 3)]
    roster.append(RosterEntry("丁局", code(14), "", 4))
    with_roster = merge([folder], roster=roster, jobs=1)
    included = {r.name for r in with_roster.included}
    assert included == {"甲局.xlsx", "丁局.xlsx"}
    assert any(f.code == "M412" and f.file == "乙局用了甲局的模板.xlsx" for f in with_roster.finding_list)
    assert with_roster.exit_code == 1


def test_same_unit_twice_is_still_a_duplicate(spec: Spec, tmp_path: Path) -> None:
    folder = tmp_path / "收回"
    folder.mkdir()
    data = unit_bytes(spec, 13, name="丙局", unit_code=code(13))
    (folder / "a.xlsx").write_bytes(data)
    (folder / "b.xlsx").write_bytes(data)
    result = merge([folder], jobs=1)
    assert sorted(e.status for e in result.entries) == sorted([PASSED, DUPLICATE])
    assert not [f for f in result.finding_list if f.code == "M412"]


# ---------------------------------------------------------------------------------------------- accounting


def test_every_file_in_the_folder_is_listed_once(valid: bytes, spec: Spec, tmp_path: Path) -> None:
    folder = tmp_path / "收回"
    (folder / "乡镇A").mkdir(parents=True)
    (folder / "乡镇B").mkdir()
    (folder / "乡镇A" / "报表.xlsx").write_bytes(valid)
    (folder / "乡镇B" / "报表.xlsx").write_bytes(unit_bytes(spec, 21))
    (folder / "年报.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    (folder / "~$报表.xlsx").write_bytes(b"\x00lock")
    (folder / ".hidden.xlsx").write_bytes(valid)
    (folder / "链接.xlsx").symlink_to(folder / "乡镇A" / "报表.xlsx")
    archive = folder / "乡镇报表.zip"
    nested = io.BytesIO()
    with zipfile.ZipFile(nested, "w") as z:
        z.writestr("c/y.xlsx", valid)
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a/x.xlsx", unit_bytes(spec, 22))
        z.writestr("b/嵌套.zip", nested.getvalue())
    result = merge([folder], jobs=1)
    by_file = {e.file: e for e in result.entries}
    assert sorted(by_file) == sorted(
        [
            "乡镇A/报表.xlsx",
            "乡镇B/报表.xlsx",
            "年报.pdf",
            "~$报表.xlsx",
            ".hidden.xlsx",
            "链接.xlsx",
            "乡镇报表.zip",
            "乡镇报表.zip/a/x.xlsx",
            "乡镇报表.zip/b/嵌套.zip",
        ]
    )
    assert len(result.entries) == len(by_file)  # each once
    assert by_file["年报.pdf"].status == UNREADABLE and "这是 PDF 文件，请报送 Excel 模板" in by_file["年报.pdf"].reason
    assert by_file["~$报表.xlsx"].status == SKIPPED and "锁文件" in by_file["~$报表.xlsx"].reason
    assert by_file[".hidden.xlsx"].status == SKIPPED
    assert by_file["链接.xlsx"].status == SKIPPED and "乡镇A/报表.xlsx" in by_file["链接.xlsx"].reason
    assert by_file["乡镇报表.zip"].status == SKIPPED and "2 个文件" in by_file["乡镇报表.zip"].reason
    assert by_file["乡镇报表.zip/a/x.xlsx"].status == PASSED  # a zip of submissions is opened, member by member
    assert by_file["乡镇报表.zip/b/嵌套.zip"].status == UNREADABLE  # a zip inside it is not
    assert {by_file["乡镇A/报表.xlsx"].status, by_file["乡镇B/报表.xlsx"].status} == {PASSED}
    runner = CliRunner()
    done = runner.invoke(main, ["merge", str(folder), "-o", str(tmp_path / "汇总.xlsx")])
    assert "无法读取 2" in done.output and "已跳过 4" in done.output, done.output
    listed = _status_rows(tmp_path / "汇总.xlsx")
    assert "乡镇A/报表.xlsx" in listed and "乡镇B/报表.xlsx" in listed  # two 报表.xlsx told apart


# ---------------------------------------------------------------------------------------------- formats


def test_formats_people_send_are_named(valid: bytes, tmp_path: Path) -> None:
    xlsb = tmp_path / "报表.xlsb"
    xlsb.write_bytes(rezip({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01\x00"}))
    numbers = tmp_path / "报表.numbers"
    numbers.write_bytes(rezip({"Index/Document.iwa": b"\x00", "Metadata/Properties.plist": b""}))
    for path, word in ((xlsb, ".xlsb"), (numbers, "Numbers")):
        with pytest.raises(IntakeError) as caught:
            read_workbook(path)
        assert caught.value.code == "F001" and word in caught.value.message and "另存为 .xlsx" in caught.value.message
    ods = tmp_path / "加密.ods"
    manifest = (
        b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument'
        b':xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data '
        b'manifest:checksum-type="SHA1/1K"/></manifest:file-entry></manifest:manifest>'
    )
    ods.write_bytes(
        rezip(
            {
                "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                "META-INF/manifest.xml": manifest,
                "content.xml": os.urandom(256),
            }
        )
    )
    with pytest.raises(IntakeError) as caught:
        read_workbook(ods)
    assert caught.value.code == "F002"  # "corrupt" (F005) before the fix


@pytest.mark.parametrize(
    ("part", "padding"),
    [("xl/styles.xml", b""), ("[Content_Types].xml", b""), ("xl/theme/theme1.xml", b"<!--" + b"x" * 20000 + b"-->")],
)
def test_doctype_in_any_part_is_refused(valid: bytes, tmp_path: Path, part: str, padding: bytes) -> None:
    path = tmp_path / "doctype.xlsx"
    declaration = padding + b"<!DOCTYPE x [<!ELEMENT x ANY>]>"  # a prolog padded past the first kilobytes too
    path.write_bytes(rewrite(valid, part, lambda xml: xml.replace(b"?>", b"?>" + declaration, 1)))
    with pytest.raises(IntakeError) as caught:
        read_workbook(path)
    assert caught.value.code == "F004"


# ---------------------------------------------------------------------------------------------- roster


@pytest.mark.parametrize("typed", ["9.11100001000079E+17", "9.11100001000079e+17"])
def test_excel_mangled_roster_codes_are_refused(typed: str) -> None:
    with pytest.raises(RosterError) as caught:
        parse_roster([["单位名称", "单位代码"], ["甲局", typed]])
    assert "第 2 行" in str(caught.value) and "请将单位代码列设为文本格式后重新保存" in str(caught.value)


def test_an_18_digit_code_in_a_number_cell_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "名单.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["单位名称", "单位代码"])
    sheet.append(["甲局", 911100001000079000])
    workbook.save(path)
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    assert "文本格式" in str(caught.value) and "校验位" not in str(caught.value)


def test_full_width_roster_codes_are_folded() -> None:
    body = "11419900800000001"
    full = (body + check_digit(body)).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"})
    [entry] = parse_roster([["单位名称", "单位代码"], ["甲局", full]])
    assert entry.code == body + check_digit(body)


# ---------------------------------------------------------------------------------------------- outputs


def test_an_interrupted_long_output_leaves_no_file(
    valid: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import giptemplate.merge.longframe as longframe

    (tmp_path / "u.xlsx").write_bytes(valid)
    result = merge([tmp_path / "u.xlsx"], jobs=1)
    real = longframe.long_records

    def interrupted(result: object) -> object:
        for i, record in enumerate(real(result)):  # type: ignore[arg-type]
            if i == 50:
                raise KeyboardInterrupt
            yield record

    monkeypatch.setattr(longframe, "long_records", interrupted)
    for name in ("long.csv", "long.parquet"):
        with pytest.raises(KeyboardInterrupt):
            write_long(result, tmp_path / name)
        assert not (tmp_path / name).exists()  # a truncated CSV / an empty Parquet before the fix
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_report_never_overwrites_a_file_it_did_not_write(valid: bytes, tmp_path: Path) -> None:
    source = tmp_path / "u.xlsx"
    source.write_bytes(valid)
    target = tmp_path / "年度报告.md"
    target.write_text("手工修改过的报告", encoding="utf-8")
    runner = CliRunner()
    done = runner.invoke(main, ["report", str(source), "-o", str(target)])
    assert target.read_text(encoding="utf-8") == "手工修改过的报告"
    assert "拒绝覆盖" in done.output
    forced = runner.invoke(main, ["report", str(source), "-o", str(target), "--force"])
    assert forced.exit_code in (0, 1), forced.output
    assert target.read_text(encoding="utf-8") != "手工修改过的报告"


def test_check_csv_output_is_whole(valid: bytes, tmp_path: Path) -> None:
    (tmp_path / "u.xlsx").write_bytes(valid)
    out = tmp_path / "r.csv"
    CliRunner().invoke(main, ["check", str(tmp_path / "u.xlsx"), "-o", str(out)])
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows and len(rows[0]) > 3


def test_a_biff_record_cut_short_is_no_internal_error() -> None:
    """Found by the fuzzer (an .xls whose last DIMENSIONS record runs past the end of the stream)."""
    import struct

    from giptemplate.files.extent import xls_extents

    stream = struct.pack("<HHHH", 0x0809, 4, 0x0600, 0x0010) + struct.pack("<HH", 0x0200, 14) + b"\x00" * 4
    assert xls_extents(stream) == []
    cell = struct.pack("<HHHHH", 0x0203, 14, 3, 7, 0) + b"\x00" * 8
    assert [(e.rows, e.cols) for e in xls_extents(stream[:8] + cell)] == [(4, 8)]


@pytest.mark.parametrize(
    "name",
    [
        "fuzz_dimensions_first_row.xls",  # DIMENSIONS with its first row above its last: a 634 GB allocation abort
        "fuzz_cfb_panic.xls",  # a damaged OLE directory: a Rust panic (a BaseException) out of calamine
        "fuzz_boundsheet_far.xls",  # far cells in a sheet reached only through its BOUNDSHEET offset: 22 GB
    ],
)
def test_fuzzer_finds_are_refused(name: str, tmp_path: Path) -> None:
    """Mutants of a LibreOffice .xls found by scripts/fuzz.py; each aborted or killed the process before."""
    path = tmp_path / name
    path.write_bytes((Path(__file__).parent / "data" / name).read_bytes())
    done = run_cli("check", str(path), timeout=60)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "无法读取" in done.stdout and "Traceback" not in done.stderr


def test_a_zip_with_unsafe_paths_is_not_unpacked(valid: bytes, tmp_path: Path) -> None:
    folder = tmp_path / "收回"
    folder.mkdir()
    with zipfile.ZipFile(folder / "报表.zip", "w") as z:
        z.writestr("../../逃逸.xlsx", valid)
    # member names without the UTF-8 flag, as Chinese Windows archives write them, are read as GBK
    from giptemplate.files.intake import _legacy_name

    assert _legacy_name("乡镇/甲.xlsx".encode("gbk")) == "乡镇/甲.xlsx"
    (folder / "ok.xlsx").write_bytes(valid)
    result = merge([folder], jobs=1)
    by_file = {e.file: e for e in result.entries}
    assert sorted(by_file) == ["ok.xlsx", "报表.zip"]
    assert by_file["报表.zip"].status == UNREADABLE and "不安全" in by_file["报表.zip"].reason
    assert not (tmp_path.parent / "逃逸.xlsx").exists() and not list(tmp_path.rglob("逃逸.xlsx"))
