"""The office's roster of reporting units (CSV or XLSX with 单位名称, 单位代码 and an optional 分组)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from giptemplate import uscc
from giptemplate.errors import RosterError
from giptemplate.paths import unit_filename
from giptemplate.spec import Spec, spec_for_year
from giptemplate.writer import DEFAULT_PASSWORD, DEFAULT_SCOPE, write_template

NAME_COLUMN = "单位名称"
CODE_COLUMN = "单位代码"
GROUP_COLUMN = "分组"
MAX_ROSTER_BYTES = 20 * 2**20


@dataclass(frozen=True)
class RosterEntry:
    name: str
    code: str
    group: str
    line: int  # row number in the roster file (header = 1)


def _rows_from_csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterError("名单文件编码无法识别，请另存为 UTF-8 CSV (roster encoding not recognised)")
    return [list(row) for row in csv.reader(io.StringIO(text))]


def _rows_from_sheet(path: Path) -> list[list[str]]:
    from giptemplate.intake import open_workbook

    workbook = open_workbook(path)
    sheet = workbook.get_sheet_by_index(0)
    rows = sheet.to_python(skip_empty_area=False)
    return [[_cell_text(v) for v in row] for row in rows]


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def read_roster(path: str | Path) -> list[RosterEntry]:
    """Read and validate a roster; any problem raises :class:`RosterError` naming the row."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_ROSTER_BYTES:
            raise RosterError(f"名单文件过大：{path.name} (roster larger than {MAX_ROSTER_BYTES >> 20} MiB)")
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
            rows = _rows_from_sheet(path)
        else:
            rows = _rows_from_csv(path.read_bytes())
    except RosterError:
        raise
    except OSError as exc:
        raise RosterError(f"无法读取名单文件 {path.name}：{exc.strerror} (cannot read roster)") from None
    except Exception as exc:  # a damaged workbook: the intake error says why
        raise RosterError(f"无法读取名单文件 {path.name}：{exc} (cannot read roster)") from None
    return parse_roster(rows, path.name)


def parse_roster(rows: Sequence[Sequence[str]], source: str = "名单") -> list[RosterEntry]:
    rows = [[c.strip() for c in row] for row in rows]
    while rows and not any(rows[0]):
        rows = rows[1:]
    if not rows:
        raise RosterError(f"{source}：名单为空 (empty roster)")
    header = rows[0]
    for needed in (NAME_COLUMN, CODE_COLUMN):
        if needed not in header:
            raise RosterError(
                f"{source}：缺少“{needed}”列 (missing column {needed}); 表头为：{'、'.join(h for h in header if h)}"
            )
    name_at, code_at = header.index(NAME_COLUMN), header.index(CODE_COLUMN)
    group_at = header.index(GROUP_COLUMN) if GROUP_COLUMN in header else None
    entries: list[RosterEntry] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue

        def cell(i: int | None, row: Sequence[str] = row) -> str:
            return row[i] if i is not None and i < len(row) else ""

        name, code = cell(name_at), cell(code_at).upper()
        if not name:
            raise RosterError(f"{source} 第 {line} 行：单位名称为空 (row {line}: empty unit name)")
        if not code:
            raise RosterError(f"{source} 第 {line} 行：{name} 的单位代码为空 (row {line}: empty unit code)")
        verdict = uscc.verify(code)
        if verdict in ("bad_check_digit", "bad_character"):
            raise RosterError(
                f"{source} 第 {line} 行：{name} 的统一社会信用代码 {code} {uscc.STATUS_TEXT[verdict].lstrip('✗ ')}"
                f" (row {line}: invalid unified social credit code)"
            )
        if code in seen:
            raise RosterError(
                f"{source} 第 {line} 行：单位代码 {code} 与第 {seen[code]} 行重复 (row {line}: duplicate code)"
            )
        seen[code] = line
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
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in entries:
        target = out / unit_filename(entry.code, entry.name)
        write_template(
            target, year=year, unit_name=entry.name, unit_code=entry.code, scope=scope, password=password, spec=spec
        )
        written.append(target)
        if on_written is not None:
            on_written(target)
    return written
