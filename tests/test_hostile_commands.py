"""Issue 8, the commands other than merge: report's own outputs, check's accounting of a whole folder, and no
writer warning on stderr whatever a returned file holds.

Each test ran against the code before the change and failed there (report refused to re-write its own report
without --force; check listed neither a PDF nor a lock file found in a folder; a return copy of a unit whose name
was over 255 characters printed xlsxwriter's UserWarning).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from test_hostile import amount_type, code, unit_bytes

from giptemplate.cli import main
from giptemplate.format.spec import Spec

# ---------------------------------------------------------------------------------------------- report


def _report(*args: str | Path) -> tuple[int, str]:
    done = CliRunner().invoke(main, ["report", *map(str, args)])
    return done.exit_code, done.output


@pytest.mark.parametrize("suffix", [".docx", ".md", ".html"])
def test_report_rewrites_its_own_output(spec: Spec, tmp_path: Path, suffix: str) -> None:
    source = tmp_path / "u.xlsx"
    source.write_bytes(unit_bytes(spec, 31))
    target = tmp_path / f"年度报告{suffix}"
    first, output = _report(source, "-o", target)
    assert first == 0, output
    written = target.read_bytes()
    target.write_bytes(written)  # the same bytes, a new modification time: still ours
    source.write_bytes(unit_bytes(spec, 32))  # another unit's figures: the report must change
    again, output = _report(source, "-o", target)
    assert again == 0, output  # no --force needed, and so no draft
    assert "拒绝覆盖" not in output
    assert target.read_bytes() != written


def test_report_refuses_an_edited_docx(spec: Spec, tmp_path: Path) -> None:
    source = tmp_path / "u.xlsx"
    source.write_bytes(unit_bytes(spec, 33))
    target = tmp_path / "年度报告.docx"
    assert _report(source, "-o", target)[0] == 0
    document = Document(str(target))
    document.add_paragraph("办公室补充的说明")  # hand-edited in Word: the core properties still name us
    document.save(str(target))
    edited = target.read_bytes()
    status, output = _report(source, "-o", target)
    assert status == 1 and "拒绝覆盖" in output
    assert target.read_bytes() == edited
    assert _report(source, "-o", target, "--force")[0] == 0
    assert target.read_bytes() != edited


@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_report_refuses_an_edited_text_report(spec: Spec, tmp_path: Path, suffix: str) -> None:
    source = tmp_path / "u.xlsx"
    source.write_bytes(unit_bytes(spec, 34))
    target = tmp_path / f"年度报告{suffix}"
    assert _report(source, "-o", target)[0] == 0
    text = target.read_text(encoding="utf-8")
    edited = text.replace("。", "；", 1)  # one character changed, the marker kept
    assert edited != text
    target.write_text(edited, encoding="utf-8")
    status, output = _report(source, "-o", target)
    assert status == 1 and "拒绝覆盖" in output
    assert target.read_text(encoding="utf-8") == edited


def test_report_folder_runs_twice(spec: Spec, tmp_path: Path) -> None:
    inputs = tmp_path / "收回"
    inputs.mkdir()
    for i in (35, 36):
        (inputs / f"u{i}.xlsx").write_bytes(unit_bytes(spec, i))
    out = tmp_path / "报告"
    assert _report(inputs, "-o", out)[0] == 0
    names = sorted(p.name for p in out.iterdir())
    status, output = _report(inputs, "-o", out)
    assert status == 0, output
    assert sorted(p.name for p in out.iterdir()) == names  # the same files re-written, no 报告_2


# ---------------------------------------------------------------------------------------------- check


def _folder(spec: Spec, root: Path) -> Path:
    """What a mail folder holds besides workbooks (the case of merge's accounting test)."""
    valid = unit_bytes(spec, 41)
    folder = root / "收回"
    (folder / "乡镇A").mkdir(parents=True)
    (folder / "乡镇B").mkdir()
    (folder / "乡镇A" / "报表.xlsx").write_bytes(valid)
    (folder / "乡镇B" / "报表.xlsx").write_bytes(unit_bytes(spec, 42))
    (folder / "年报.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    (folder / "说明.txt").write_text("请查收", encoding="utf-8")
    (folder / "~$报表.xlsx").write_bytes(b"\x00lock")
    (folder / ".hidden.xlsx").write_bytes(valid)
    (folder / "链接.xlsx").symlink_to(folder / "乡镇A" / "报表.xlsx")
    nested = io.BytesIO()
    with zipfile.ZipFile(nested, "w") as z:
        z.writestr("c/y.xlsx", valid)
    with zipfile.ZipFile(folder / "乡镇报表.zip", "w") as z:
        z.writestr("a/x.xlsx", unit_bytes(spec, 43))
        z.writestr("b/嵌套.zip", nested.getvalue())
    return folder


def test_check_accounts_for_every_file_in_a_folder(spec: Spec, tmp_path: Path) -> None:
    from giptemplate.merge import merge

    folder = _folder(spec, tmp_path)
    done = CliRunner().invoke(main, ["check", str(folder), "--format", "json"])
    assert done.exit_code == 2, done.output  # the PDF, the text note and the nested zip cannot be read
    files = json.loads(done.stdout)["files"]
    by_file = {f["file"]: f for f in files}
    assert len(by_file) == len(files)  # each once
    # The same files as merge lists, found by the same discovery.
    merged = merge([folder], jobs=1)
    assert sorted(by_file) == sorted(str(folder / e.file) for e in merged.entries if e.file)

    def status(name: str) -> str:
        return str(by_file[str(folder / name)]["status"])

    def reason(name: str) -> str:
        return str(by_file[str(folder / name)]["verdict"])

    assert status("年报.pdf") == "无法读取" and "这是 PDF 文件，请报送 Excel 模板" in reason("年报.pdf")
    assert status("说明.txt") == "无法读取"
    assert status("~$报表.xlsx") == "已跳过" and "锁文件" in reason("~$报表.xlsx")
    assert status(".hidden.xlsx") == "已跳过"
    assert status("链接.xlsx") == "已跳过" and "乡镇A/报表.xlsx" in reason("链接.xlsx")
    assert status("乡镇报表.zip") == "已跳过" and "2 个文件" in reason("乡镇报表.zip")
    assert status("乡镇报表.zip/a/x.xlsx") == "通过"  # a zip of submissions is opened, member by member
    assert status("乡镇报表.zip/b/嵌套.zip") == "无法读取"
    assert status("乡镇A/报表.xlsx") == status("乡镇B/报表.xlsx") == "通过"
    assert "已跳过 4" in done.stderr and "无法读取 3" in done.stderr and "通过 3" in done.stderr, done.stderr


def test_check_table_lists_skipped_files_with_the_reason(spec: Spec, tmp_path: Path) -> None:
    folder = _folder(spec, tmp_path)
    done = CliRunner().invoke(main, ["check", str(folder)])
    assert done.exit_code == 2
    lines = done.stdout.splitlines()
    lock = [line for line in lines if "~$报表.xlsx" in line]
    assert lock and lock[-1].startswith("已跳过") and "锁文件" in lock[-1]
    assert any(line.startswith("无法读取") and "说明.txt" in line for line in lines)
    assert "已跳过 4" in done.stdout


def test_check_csv_and_xlsx_list_skipped_files(spec: Spec, tmp_path: Path) -> None:
    import openpyxl

    folder = _folder(spec, tmp_path)
    out = tmp_path / "结果.csv"
    CliRunner().invoke(main, ["check", str(folder), "-o", str(out)])
    text = out.read_text(encoding="utf-8-sig")
    assert "~$报表.xlsx" in text and "已跳过" in text and "年报.pdf" in text
    book = tmp_path / "结果.xlsx"
    CliRunner().invoke(main, ["check", str(folder), "-o", str(book)])
    cells = {str(c.value) for ws in openpyxl.load_workbook(book).worksheets for row in ws.iter_rows() for c in row}
    assert any("~$报表.xlsx" in c for c in cells) and "已跳过" in cells


# ---------------------------------------------------------------------------------------------- warnings


LONG_NAME = "很长的单位名称" * 60
URL_NAME = "https://example.com/" + "a" * 3000


def _with_error(spec: Spec, data: bytes) -> bytes:
    """A count typed as text: an error, so the file gets a return copy written from its values."""
    from hostile import input_ref, set_cell

    sheet, ref, _ = input_ref(spec, "count", 1)
    return set_cell(data, sheet, ref, f'<c r="{ref}" t="inlineStr"><is><t>若干</t></is></c>')


def _hostile_folder(spec: Spec, root: Path) -> Path:
    folder = root / "收回"
    folder.mkdir()
    (folder / "长名称.xlsx").write_bytes(_with_error(spec, unit_bytes(spec, 51, name=LONG_NAME)))
    (folder / "长代码.xlsx").write_bytes(_with_error(spec, unit_bytes(spec, 52, unit_code="9" * 300)))
    (folder / "网址.xlsx").write_bytes(_with_error(spec, unit_bytes(spec, 53, name=URL_NAME)))
    (folder / "正常.xlsx").write_bytes(unit_bytes(spec, 54, unit_code=code(54)))
    return folder


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from giptemplate.cli import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_no_writer_warning_reaches_stderr(spec: Spec, tmp_path: Path) -> None:
    folder = _hostile_folder(spec, tmp_path)
    runs = [
        _run("check", folder, "--return-dir", tmp_path / "退回"),
        _run("check", folder, "-o", tmp_path / "结果.xlsx"),
        _run("merge", folder, "-o", tmp_path / "汇总.xlsx", "--long", tmp_path / "long.csv", "--jobs", "1"),
        _run("report", folder, "-o", tmp_path / "报告", "--force"),
        _run("report", tmp_path / "汇总.xlsx", "-o", tmp_path / "汇总报告.docx", "--force"),
    ]
    for done in runs:
        assert done.returncode in (0, 1), done.args[3:5]
        assert "Warning" not in done.stderr and "Traceback" not in done.stderr, done.stderr[-2000:]
    copies = sorted((tmp_path / "退回").iterdir())
    assert len(copies) == 3  # the hostile files did get return copies, so the writer did run on their values


# ---------------------------------------------------------------------------------------------- booleans in .xls


def _bool_cell(spec: Spec, data: bytes, keep_style: bool) -> tuple[bytes, str]:
    """TRUE typed in the first count cell, with the template's number style kept or not."""
    import re

    from hostile import input_ref, members, set_cell, sheet_part

    sheet, ref, _ = input_ref(spec, "count", 0)
    cell = re.search(rb'<c r="' + ref.encode() + rb'"[^>]*>', members(data)[sheet_part(data, sheet)])
    assert cell is not None
    style = re.search(rb's="(\d+)"', cell.group(0))
    attrs = f' s="{style.group(1).decode()}"' if keep_style and style else ""
    return set_cell(data, sheet, ref, f'<c r="{ref}"{attrs} t="b"><v>1</v></c>'), ref


@pytest.mark.soffice
def test_true_in_a_count_cell_of_an_xls_saved_by_libreoffice_is_not_a_number(spec: Spec, tmp_path: Path) -> None:
    """LibreOffice keeps a TRUE as the formula =TRUE(); in .xls it stores the result as the number 1 when the
    cell has the template's number format (as a boolean only in a General cell, which calamine reads as one)."""
    from soffice import convert

    from giptemplate.workbook.reader import read_workbook

    sources = []
    for keep in (True, False):
        data, ref = _bool_cell(spec, unit_bytes(spec, 61), keep)
        path = tmp_path / f"{'styled' if keep else 'general'}.xlsx"
        path.write_bytes(data)
        sources.append(path)
    for xls in convert(sources, tmp_path / "xls", "xls"):
        submission = read_workbook(xls)
        done = CliRunner().invoke(main, ["check", str(xls), "--format", "json"])
        found = json.loads(done.stdout)["files"][0]["findings"]
        assert any(f["code"] == "V201" and f["cell"] == ref for f in found), (xls.name, submission.file_format)


# ---------------------------------------------------------------------------------------------- extract


def test_extract_accounts_for_every_file_in_a_folder(spec: Spec, tmp_path: Path) -> None:
    from giptemplate.report.model import ReportData
    from giptemplate.report.render import render
    from giptemplate.workbook.reader import read_workbook

    folder = tmp_path / "报告"
    folder.mkdir()
    unit = tmp_path / "u.xlsx"
    unit.write_bytes(unit_bytes(spec, 71))
    (folder / "年度报告.docx").write_bytes(render(ReportData.from_submission(read_workbook(unit)), "docx"))
    (folder / "说明.txt").write_text("请查收", encoding="utf-8")
    (folder / "~$年度报告.docx").write_bytes(b"\x00lock")
    (folder / "照片.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    done = CliRunner().invoke(main, ["extract", str(folder), "-o", str(tmp_path / "提取")])
    lines = done.output.splitlines()
    for name in ("年度报告.docx", "说明.txt", "~$年度报告.docx", "照片.jpg"):
        assert any(name in line for line in lines), name
    lock = next(line for line in lines if "~$年度报告.docx" in line)
    assert "锁文件" in lock
    photo = next(line for line in lines if "照片.jpg" in line)
    assert "图片" in photo
    assert "提取 1 份" in lines[-1] and "另有 1 个文件已跳过" in lines[-1], lines[-1]


# ---------------------------------------------------------------------------------------------- bounded prologs


def test_a_doctype_behind_empty_deflate_blocks_is_refused(spec: Spec, tmp_path: Path) -> None:
    """The prolog check inflates a member a slice at a time: a stream of empty blocks before the XML must not end
    the look before the declaration comes."""
    import zlib

    from giptemplate.errors import IntakeError
    from giptemplate.workbook.reader import read_workbook

    with zipfile.ZipFile(io.BytesIO(unit_bytes(spec, 81))) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts["xl/styles.xml"] = parts["xl/styles.xml"].replace(b"?>", b"?><!DOCTYPE x [<!ELEMENT x ANY>]>", 1)
    streams = {}
    for name, body in parts.items():
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        # before the styles, 40 KB of empty stored blocks (not final, type 00, length 0 and its complement)
        empty = b"\x00\x00\x00\xff\xff" * 8000 if name == "xl/styles.xml" else b""
        streams[name] = empty + packer.compress(body) + packer.flush()
    path = tmp_path / "padded.xlsx"
    path.write_bytes(_zip_of_streams(parts, streams))
    assert zlib.decompress(streams["xl/styles.xml"], -15) == parts["xl/styles.xml"]
    with pytest.raises(IntakeError) as caught:
        read_workbook(path)
    assert caught.value.code == "F004" and "DOCTYPE" in caught.value.message  # intake's refusal, not calamine's


def _zip_of_streams(parts: dict[str, bytes], streams: dict[str, bytes]) -> bytes:
    """A zip whose members hold the given raw deflate streams (zipfile cannot be told what stream to store)."""
    import struct
    import zlib

    local, central = io.BytesIO(), io.BytesIO()
    for name, body in parts.items():
        raw, encoded, offset = streams[name], name.encode(), local.tell()
        fields = (20, 0x800, 8, 0, 0x21, zlib.crc32(body), len(raw), len(body), len(encoded))
        local.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", *fields, 0) + encoded + raw)
        central.write(struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset) + encoded)
    count, size, start = len(parts), central.tell(), local.tell()
    return (
        local.getvalue()
        + central.getvalue()
        + struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, count, count, size, start, 0)
    )


def test_a_fee_cached_with_binary_noise_prints_as_excel_shows_it(spec: Spec, tmp_path: Path) -> None:
    from hostile import input_ref, set_cell

    sheet, ref, _ = input_ref(spec, amount_type(spec), 0)  # 2021's fee in 万元, 2019's 采购总金额 in 元
    source = tmp_path / "fee.xlsx"
    source.write_bytes(set_cell(unit_bytes(spec, 91), sheet, ref, f'<c r="{ref}"><v>0.30000000000000004</v></c>'))
    for suffix in (".md", ".html"):
        target = tmp_path / f"报告{suffix}"
        status, output = _report(source, "-o", target, "--force")
        assert status in (0, 1), output
        text = target.read_text(encoding="utf-8")
        assert "0.30000000000000004" not in text and "0.3" in text


def test_a_report_of_ours_read_back_as_texts_leaves_its_mark_out(spec: Spec, tmp_path: Path) -> None:
    from giptemplate.report.texts_file import read_texts

    source = tmp_path / "u.xlsx"
    source.write_bytes(unit_bytes(spec, 92))
    target = tmp_path / "报告.md"
    assert _report(source, "-o", target)[0] == 0
    assert "giptemplate-report sha256=" in target.read_text(encoding="utf-8")
    texts = read_texts(target, spec)
    assert texts and not any("giptemplate-report" in t for t in texts.values())
