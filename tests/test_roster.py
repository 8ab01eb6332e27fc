"""Rosters of reporting units: reading CSV (UTF-8, GBK, UTF-16) and workbooks, refusing bad rows with one line
naming the row, and turning unit names into safe file names."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from giptemplate.errors import RosterError
from giptemplate.files.paths import MAX_NAME_BYTES, safe_component, unit_filename
from giptemplate.format import uscc
from giptemplate.roster import MAX_NAME_CHARS, RosterEntry, parse_roster, read_roster, write_roster_templates


def code(body: str) -> str:
    return body + uscc.check_digit(body)


A = code("11350100MB0000001")
B = code("11350100MB0000002")
C = code("11350100MB0000003")
ROWS = [
    ["单位名称", "单位代码", "分组"],
    ["某某县教育局", A, "部门"],
    ["某某县财政局", B, "部门"],
    ["某某镇人民政府", C, "乡镇"],
]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter).writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_roster(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("名单")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return path


EXPECTED = [
    RosterEntry("某某县教育局", A, "部门", 2),
    RosterEntry("某某县财政局", B, "部门", 3),
    RosterEntry("某某镇人民政府", C, "乡镇", 4),
]


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8-sig", ","), ("utf-8", ","), ("gbk", ","), ("gb18030", ","), ("utf-16", "\t")]
)
def test_csv_in_the_encodings_offices_save(tmp_path: Path, encoding: str, delimiter: str) -> None:
    path = tmp_path / "名单.csv"
    path.write_bytes(csv_bytes(ROWS, encoding, delimiter))
    assert read_roster(path) == EXPECTED


def test_xlsx_roster_with_a_title_line_and_numbers(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [
        ["某某县 2025 年度政府信息公开年报报送单位名单"],
        [],
        *ROWS,
        ["某某街道办事处", 123456789],
    ]
    entries = read_roster(xlsx_roster(tmp_path / "名单.xlsx", rows))
    assert [(e.name, e.code, e.line) for e in entries] == [
        *[(e.name, e.code, e.line + 2) for e in EXPECTED],
        ("某某街道办事处", "123456789", 7),
    ]


def test_content_decides_the_reader(tmp_path: Path) -> None:
    """A workbook saved with a .csv name is read as a workbook."""
    disguised = xlsx_roster(tmp_path / "名单.xlsx", list(ROWS)).rename(tmp_path / "名单.csv")
    assert read_roster(disguised) == EXPECTED


def test_codes_are_upper_cased_and_blank_lines_skipped() -> None:
    rows = [ROWS[0], [" 某某县教育局 ", A.lower(), ""], ["", "", ""], ROWS[2]]
    entries = parse_roster(rows, "名单.csv")
    assert [(e.name, e.code, e.line) for e in entries] == [("某某县教育局", A, 2), ("某某县财政局", B, 4)]


BAD_ROWS: dict[str, tuple[list[list[str]], str]] = {
    "missing name column": ([["名称", "单位代码"], ["甲", A]], r"名单\.csv：缺少“单位名称”列.*表头为：名称、单位代码"),
    "missing code column": ([["单位名称", "代码"], ["甲", A]], r"名单\.csv：缺少“单位代码”列"),
    "empty name": ([ROWS[0], ROWS[1], ["", B, ""]], r"名单\.csv 第 3 行：单位名称为空"),
    "empty code": ([ROWS[0], ["某某县审计局", "", ""]], r"名单\.csv 第 2 行：某某县审计局 的单位代码为空"),
    "duplicate code": ([ROWS[0], ROWS[1], ROWS[2], ["另一单位", A.lower(), ""]], r"第 4 行：单位代码 .* 与第 2 行重复"),
    "bad check digit": (
        [ROWS[0], ROWS[1], ["某某县统计局", A[:17] + ("0" if A[17] != "0" else "1"), ""]],
        r"名单\.csv 第 3 行：某某县统计局 的统一社会信用代码 .* 校验位错误",
    ),
    "bad character": ([ROWS[0], ["某某县统计局", "11350100MB00000I12", ""]], r"第 2 行：.*含非法字符"),
    "control character": ([ROWS[0], ["某某县\n教育局", A, ""]], r"第 2 行：单位名称或代码含换行或控制字符"),
    "name too long": ([ROWS[0], ["局" * 101, A, ""]], r"第 2 行：单位名称过长（101 字，最多 100 字）"),
    "no unit": ([ROWS[0], ["", "", ""]], r"名单\.csv：名单没有单位"),
    "empty file": ([], r"名单\.csv：名单为空"),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_bad_roster_is_refused_naming_the_row(tmp_path: Path, case: str) -> None:
    rows, message = BAD_ROWS[case]
    path = tmp_path / "名单.csv"
    path.write_bytes(csv_bytes(rows))
    with pytest.raises(RosterError, match=message) as info:
        read_roster(path)
    assert "\n" not in str(info.value)


def test_unreadable_and_foreign_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match=r"无法读取名单文件 none\.csv"):
        read_roster(tmp_path / "none.csv")
    with pytest.raises(RosterError, match="无法读取名单文件"):
        read_roster(tmp_path)  # a folder
    pdf = tmp_path / "名单.xlsx"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    with pytest.raises(RosterError, match=r"无法读取名单文件 名单\.xlsx.*PDF"):
        read_roster(pdf)
    image = tmp_path / "名单.csv"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    with pytest.raises(RosterError, match="不是 CSV 文本或 Excel 工作簿"):
        read_roster(image)
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04" + bytes(40))
    with pytest.raises(RosterError, match=r"无法读取名单文件 坏\.xlsx"):
        read_roster(broken)


# ---------------------------------------------------------------------------------------------- file names

UNSAFE = [
    "../../etc/passwd",
    "/",
    "\\\\server\\share",
    "a\x00b",
    "CON",
    "con.txt",
    "LPT1",
    "单" * 300,
    "a" * 300,
    "...",
    ". .",
    "",
    '名称/子单位\\科室:<>|?*"',
    "名称\u200b隐藏",
    " 前后空格 .",
]


@pytest.mark.parametrize("name", UNSAFE)
@pytest.mark.parametrize("prefix", ["", A])
def test_unit_file_names_are_safe(tmp_path: Path, name: str, prefix: str) -> None:
    file_name = unit_filename(prefix, name)
    stem = file_name.removesuffix(".xlsx")
    assert file_name.endswith(".xlsx") and stem
    assert not set(stem) & set('/\\\x00:<>|?*"')
    assert stem.strip(" .") == stem and stem not in (".", "..")
    assert stem.split(".")[0].upper() not in ("CON", "PRN", "AUX", "NUL", "LPT1", "COM1")
    assert len(stem.encode("utf-8")) <= MAX_NAME_BYTES
    target = (tmp_path / file_name).resolve()
    assert target.parent == tmp_path.resolve()
    target.write_bytes(b"")  # the file system accepts it
    assert target.exists()


def test_safe_names_keep_ordinary_names_readable() -> None:
    assert unit_filename(A, "某某县人民政府办公室") == f"{A}_某某县人民政府办公室.xlsx"
    assert safe_component("某某县（区）教育局") == "某某县（区）教育局"
    assert safe_component("...") == "未命名"
    assert len(safe_component("单" * 300).encode()) == MAX_NAME_BYTES  # cut on a character boundary


def test_written_templates_stay_inside_the_folder(tmp_path: Path) -> None:
    names = [name[:MAX_NAME_CHARS] for name in UNSAFE]  # the roster refuses longer names
    entries = [RosterEntry(name, f"CODE{i}", "", i + 2) for i, name in enumerate(names)]
    out = tmp_path / "out"
    written = write_roster_templates(entries, 2024, out)
    assert len(written) == len(names) == len({p.name for p in written})
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.parent != out]
    for path, name in zip(written, names, strict=True):
        if name.isprintable():  # openpyxl does not decode Excel's _x0000_ escapes
            assert openpyxl.load_workbook(path)["封面"]["B3"].value == (name or None), path.name


def test_colliding_file_names_are_refused_before_writing(tmp_path: Path) -> None:
    entries = [RosterEntry("甲/乙", "X1", "", 2), RosterEntry("甲_乙", "x1", "", 5)]
    with pytest.raises(RosterError, match="第 5 行与第 2 行的单位会生成同名文件"):
        write_roster_templates(entries, 2024, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_roster_templates_carry_the_unit(tmp_path: Path) -> None:
    written = write_roster_templates(EXPECTED, 2024, tmp_path, scope="本机关")
    for entry, path in zip(EXPECTED, written, strict=True):
        book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
        cover = book["封面"]
        assert (cover["B3"].value, cover["B4"].value, cover["B6"].value) == (entry.name, entry.code, "本机关")
        assert cover["B3"].protection.locked and cover["B4"].protection.locked


def test_roster_accepts_the_column_names_offices_use() -> None:
    entries = parse_roster([["序号", "单位全称", "统一社会信用代码", "类别"], ["1", "郑县财政局", A, "县直部门"]])
    assert [(e.name, e.code, e.group) for e in entries] == [("郑县财政局", A, "县直部门")]


def test_roster_refuses_the_same_unit_name_twice() -> None:
    rows = [["单位名称", "单位代码"], ["郑县财政局", A], ["郑县财政局", B]]
    with pytest.raises(RosterError, match="第 3 行：单位名称 郑县财政局 与第 2 行重复"):
        parse_roster(rows)
