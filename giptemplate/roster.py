"""The office's roster of reporting units (CSV or XLSX with 单位名称, 单位代码 and an optional 分组)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from giptemplate.errors import IntakeError, RosterError
from giptemplate.files.intake import open_workbook
from giptemplate.files.paths import unit_filename
from giptemplate.format import uscc
from giptemplate.format.spec import DEFAULT_SCOPE, Spec, spec_for_year
from giptemplate.workbook.stamp import TemplateStamp
from giptemplate.workbook.writer import DEFAULT_PASSWORD

NAME_COLUMN = "单位名称"
CODE_COLUMN = "单位代码"
GROUP_COLUMN = "分组"
# Headers offices actually use for the same columns (first match wins).
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    NAME_COLUMN: (NAME_COLUMN, "单位全称", "机关名称", "单位"),
    CODE_COLUMN: (CODE_COLUMN, "统一社会信用代码", "社会信用代码", "信用代码", "机构代码"),
    # Without a 分组 column, the level above (a province's roster of every unit with its county) groups the
    # subtotals: totals by the roster's hierarchy.
    GROUP_COLUMN: (GROUP_COLUMN, "类别", "单位类别", "上级", "上级单位", "所属地区"),
}
MAX_ROSTER_BYTES = 20 * 2**20
MAX_NAME_CHARS = 100  # the longest real unit names have about 40 characters
HEADER_SEARCH_ROWS = 10  # a title line or two above the header is common in office rosters
_SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
_SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


@dataclass(frozen=True)
class RosterEntry:
    name: str
    code: str
    group: str
    line: int  # row number in the roster file (header = 1)


def _rows_from_csv(data: bytes, name: str) -> list[list[str]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode 文本": UTF-16, tab-separated
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data[:4096]:
        raise RosterError(f"名单文件 {name} 不是 CSV 文本或 Excel 工作簿 (roster is neither CSV text nor a workbook)")
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterError(f"名单文件 {name} 编码无法识别，请另存为 UTF-8 CSV (roster encoding not recognised)")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _rows_from_sheet(path: Path) -> list[list[str]]:
    workbook = open_workbook(path)
    sheet = workbook.get_sheet_by_index(0)
    rows = sheet.to_python(skip_empty_area=False)
    return [[_cell_text(v) for v in row] for row in rows]


EXACT_FLOAT_DIGITS = 2**53  # below this a whole number stored as a float keeps every digit


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        # A code typed into a number cell: short ones keep every digit; an 18-digit one has lost its last digits
        # (and its letters never were), so it is shown as Excel shows it and refused by check_unit.
        return str(int(value)) if abs(value) < EXACT_FLOAT_DIGITS else format(value, ".15G")
    return "" if value is None else str(value)


# What Excel makes of a long code in a number cell ("9.11100001000079E+17"), also once saved back to a CSV.
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]*)?E\+?[0-9]+")


def read_roster(path: str | Path) -> list[RosterEntry]:
    """Read and validate a roster; any problem raises :class:`RosterError` naming the row."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_ROSTER_BYTES:
            raise RosterError(f"名单文件过大：{path.name} (roster larger than {MAX_ROSTER_BYTES >> 20} MiB)")
        data = path.read_bytes()
        # The content decides, not the name: a workbook saved as .csv, or a CSV renamed .xlsx, both happen.
        if data.startswith(_SPREADSHEET_MAGIC) or path.suffix.lower() in _SPREADSHEET_SUFFIXES:
            rows = _rows_from_sheet(path)
        else:
            rows = _rows_from_csv(data, path.name)
    except RosterError:
        raise
    except IntakeError as exc:  # its message already names the file
        raise RosterError(f"无法读取名单文件 {exc} (cannot read roster)") from None
    except OSError as exc:
        raise RosterError(f"无法读取名单文件 {path.name}：{exc.strerror} (cannot read roster)") from None
    except Exception as exc:  # a damaged workbook: the intake error says why
        raise RosterError(f"无法读取名单文件 {path.name}：{exc} (cannot read roster)") from None
    return parse_roster(rows, path.name)


def _column(header: Sequence[str], column: str) -> int | None:
    for name in COLUMN_SYNONYMS[column]:
        if name in header:
            return header.index(name)
    return None


def check_unit(name: str, code: str, where: str) -> tuple[str, str]:
    """A unit's name and code made canonical, or a :class:`RosterError` saying what is wrong at ``where``."""
    name, code = name.strip(), unicodedata.normalize("NFKC", code).strip().upper()  # full-width letters and digits
    if _SCIENTIFIC.fullmatch(code):
        raise RosterError(
            f"{where}：{name} 的单位代码 {code} 已被 Excel 改成科学计数法，原代码无法恢复；"
            "请将单位代码列设为文本格式后重新保存 (unit code mangled by Excel: format the column as text)"
        )
    if not name:
        raise RosterError(f"{where}：单位名称为空 (empty unit name)")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name + code):
        raise RosterError(f"{where}：单位名称或代码含换行或控制字符，请删除后重试 (line break or control character)")
    if len(name) > MAX_NAME_CHARS:
        raise RosterError(f"{where}：单位名称过长（{len(name)} 字，最多 {MAX_NAME_CHARS} 字） (unit name too long)")
    if len(code) > MAX_NAME_CHARS:
        raise RosterError(f"{where}：单位代码过长 (unit code too long)")
    verdict = uscc.verify(code)
    if verdict in ("bad_check_digit", "bad_character"):
        raise RosterError(
            f"{where}：{name} 的统一社会信用代码 {code} {uscc.STATUS_TEXT[verdict].lstrip('✗ ')}"
            " (invalid unified social credit code)"
        )
    return name, code


def parse_roster(rows: Sequence[Sequence[str]], source: str = "名单") -> list[RosterEntry]:
    rows = [[c.strip() for c in row] for row in rows]
    filled = [i for i, row in enumerate(rows) if any(row)]
    if not filled:
        raise RosterError(f"{source}：名单为空 (empty roster)")
    header_at = next(
        (
            i
            for i in filled[:HEADER_SEARCH_ROWS]
            if _column(rows[i], NAME_COLUMN) is not None and _column(rows[i], CODE_COLUMN) is not None
        ),
        filled[0],
    )
    header = rows[header_at]
    name_at, code_at = _column(header, NAME_COLUMN), _column(header, CODE_COLUMN)
    for needed, at in ((NAME_COLUMN, name_at), (CODE_COLUMN, code_at)):
        if at is None:
            raise RosterError(
                f"{source}：缺少“{needed}”列 (missing column {needed}); 表头为：{'、'.join(h for h in header if h)}"
            )
    group_at = _column(header, GROUP_COLUMN)
    entries: list[RosterEntry] = []
    codes: dict[str, int] = {}
    names: dict[str, int] = {}
    for line, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(row):
            continue

        def cell(i: int | None, row: Sequence[str] = row) -> str:
            return row[i] if i is not None and i < len(row) else ""

        where = f"{source} 第 {line} 行"
        if not cell(code_at) and cell(name_at):
            raise RosterError(f"{where}：{cell(name_at)} 的单位代码为空 (row {line}: empty unit code)")
        name, code = check_unit(cell(name_at), cell(code_at), where)
        if code in codes:
            raise RosterError(f"{where}：单位代码 {code} 与第 {codes[code]} 行重复 (row {line}: duplicate code)")
        if name in names:
            raise RosterError(f"{where}：单位名称 {name} 与第 {names[name]} 行重复 (row {line}: duplicate unit name)")
        codes[code], names[name] = line, line
        entries.append(RosterEntry(name, code, cell(group_at), line))
    if not entries:
        raise RosterError(f"{source}：名单没有单位 (roster lists no unit)")
    return entries


def write_roster_templates(
    entries: Iterable[RosterEntry],
    year: int,
    out_dir: str | Path,
    *,
    password: str = DEFAULT_PASSWORD,
    scope: str = DEFAULT_SCOPE,
    spec: Spec | None = None,
    on_written: Callable[[Path], None] | None = None,
) -> list[Path]:
    """One personalised template per unit (name and code filled in and locked); returns the paths written."""
    spec = spec or spec_for_year(year)
    out = Path(out_dir)
    entries = list(entries)
    names: dict[str, RosterEntry] = {}
    for entry in entries:
        # Case-insensitive, as on Windows and macOS: two units must never share (and overwrite) one file.
        key = unit_filename(entry.code, entry.name).casefold()
        if key in names:
            first = names[key]
            raise RosterError(
                f"第 {entry.line} 行与第 {first.line} 行的单位会生成同名文件 {unit_filename(entry.code, entry.name)}"
                f" (rows {first.line} and {entry.line} map to the same file name)"
            )
        names[key] = entry
    out.mkdir(parents=True, exist_ok=True)
    stamp = TemplateStamp(spec, year=year, scope=scope, password=password)
    written = []
    for entry in entries:
        target = out / unit_filename(entry.code, entry.name)
        stamp.write(target, unit_name=entry.name, unit_code=entry.code)
        written.append(target)
        if on_written is not None:
            on_written(target)
    return written
