"""End-to-end merges of generated returns: statuses, totals, localisation, the summary workbook, outputs, CLI.

One module-scoped batch of files (good ones, typical mistakes, a resubmission, a corrupt file, a web page saved
as .xls, a unit off the roster, unit names and texts that try formula injection) is merged once with two worker
processes; the tests look at that result from every side. The LibreOffice test recalculates the summary in one
soffice run.
"""

from __future__ import annotations

import csv
import datetime
import random
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from soffice import convert
from workbook_expect import Case, mismatches, read_back

from giptemplate.cli import main
from giptemplate.demo.county import DemoUnit, fill_template, narrative
from giptemplate.findings import finding_row
from giptemplate.format.arithmetic import Number, arithmetic_for
from giptemplate.format.layout import layout_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import SUMMARY_SCOPE, spec_for_year
from giptemplate.format.uscc import check_digit
from giptemplate.merge import (
    DUPLICATE,
    HAS_ERRORS,
    MISSING,
    OFF_ROSTER,
    PASSED,
    UNREADABLE,
    MergeResult,
    merge,
    summary,
    write_long,
    write_summary,
)
from giptemplate.merge.aggregate import cell_keys
from giptemplate.merge.lower import FINDING_HEADER
from giptemplate.merge.summary import DETAIL_SHEET, FINDING_WIDTHS, FINDINGS_SHEET, INDICATOR_SHEET, STATUS_SHEET
from giptemplate.roster import RosterEntry
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.textwidth import fitted_height, row_lines
from giptemplate.workbook.writer import write_template

SPEC = spec_for_year(2024)
YEAR = 2024
FORMULAS = ("=cmd|' /C calc'!A0", "+1", "@SUM(1)")
# And text in the form xlsxwriter takes for a rich string's XML (which it writes raw into sharedStrings.xml).
INJECTIONS = (*FORMULAS, "<r><rPr><b/></rPr><t>粗体</t></r>")
GROUPS = ("县直部门", "乡镇", "街道")


def code(i: int) -> str:
    body = f"11419900{7000000 + i:09d}"
    return body + check_digit(body)


@dataclass
class Batch:
    folder: Path
    roster: Path
    entries: list[RosterEntry]
    inputs: dict[str, dict[str, Number | None]] = field(default_factory=dict)  # file name -> inputs as filled
    files: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def unit_name(i: int) -> str:
    return INJECTIONS[i - 3] if 3 <= i < 3 + len(INJECTIONS) else f"郑县测试局{i}"


def inputs_for(i: int) -> dict[str, Number | None]:
    values: dict[str, Number | None] = dict(consistent_values(SPEC, random.Random(i), density=0.3, scale=40))
    values[SPEC.cross_year.fee] = Decimal(i * 1234 + 5) / Decimal(10000)  # exact 4-decimal fees
    return values


def texts_for(i: int, values: dict[str, Number | None]) -> dict[str, str]:
    unit = DemoUnit(f"郑县测试局{i}", "县直部门", f"重点工作{i}")
    texts = narrative(SPEC, unit, values, random.Random(i), index=min(i, 14))
    if 3 <= i < 3 + len(INJECTIONS):
        texts = {k: INJECTIONS[i - 3] + v for k, v in texts.items()}
    return texts


def write_unit(folder: Path, i: int, values: dict[str, Number | None], name: str | None = None) -> Path:
    target = folder / f"unit{i:02d}.xlsx" if name is None else folder / name
    full = {**values, **arithmetic_for(SPEC).derive(values)}
    write_template(
        target,
        year=YEAR,
        unit_name=unit_name(i),
        unit_code=code(i),
        scope="本机关",
        values=values,
        texts=texts_for(i, full),
        filler="张三",
        phone="0371-12345678",
        date="2025-01-15",
        spec=SPEC,
    )
    return target


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    root = tmp_path_factory.mktemp("merge")
    folder = root / "收回"
    (folder / "乡镇").mkdir(parents=True)
    entries = [RosterEntry(unit_name(i), code(i), GROUPS[i % 3], i + 2) for i in range(11)]
    entries.append(RosterEntry("郑县未报送局", code(20), "县直部门", 20))
    roster = root / "名单.csv"
    with roster.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["单位名称", "单位代码", "分组"])
        writer.writerows([e.name, e.code, e.group] for e in entries)
    b = Batch(folder, roster, entries)
    for i in range(11):
        values = inputs_for(i)
        if i == 8:  # broken balance: 四 one too many in the first column
            balance = next(r for r in SPEC.relations if r.derives is None and len(r.lhs) == 2)
            values[balance.rhs[-1]] = int(values[balance.rhs[-1]] or 0) + 1  # type: ignore[arg-type]
        if i == 9:  # one cell left blank
            values[SPEC.input_cells[30].key] = None
        sub = folder / "乡镇" if i % 3 == 1 else folder
        if i == 1:
            # Resubmitted: the newer file by the time saved in the workbook has the OLDER file time.
            template = root / "template01.xlsx"
            write_template(template, year=YEAR, unit_name=unit_name(1), unit_code=code(1), spec=SPEC)
            old_values = dict(values)
            old_values[SPEC.input_cells[0].key] = 999
            full = {**values, **arithmetic_for(SPEC).derive(values)}
            meta = {"scope": "本机关", "filler": "李四", "phone": "0371-1", "date": "2025-01-10"}
            newer, older = sub / "unit01-修改后.xlsx", sub / "unit01.xlsx"
            fill_template(
                SPEC, template, newer, values=values, texts=texts_for(1, full), meta=meta,
                saved=datetime.datetime(2025, 1, 20, 10, 0),
            )  # fmt: skip
            fill_template(
                SPEC, template, older, values=old_values, texts=texts_for(1, full), meta=meta,
                saved=datetime.datetime(2025, 1, 8, 10, 0),
            )  # fmt: skip
            b.files += [newer, older]
            b.inputs[newer.name], b.inputs[older.name] = values, old_values
            continue
        path = write_unit(sub, i, values)
        b.files.append(path)
        b.inputs[path.name] = values
    off = write_unit(folder, 30, inputs_for(30), name="名单外单位.xlsx")
    b.files.append(off)
    b.inputs[off.name] = inputs_for(30)
    corrupt = next(p for p in b.files if p.name == "unit10.xlsx")
    corrupt.write_bytes(corrupt.read_bytes()[:2000])  # unit 10's file arrives truncated
    b.inputs.pop(corrupt.name)
    page = folder / "网页另存.xls"
    page.write_bytes(b"<html><body><table><tr><td>1</td></tr></table></body></html>")
    b.files.append(page)
    note = folder / "说明.txt"
    note.write_text("请查收", encoding="utf-8")
    b.files.append(note)  # not a spreadsheet, yet in the folder: listed as 无法读取, never left out
    return b


@pytest.fixture(scope="module")
def merged(batch: Batch) -> MergeResult:
    progress: list[tuple[int, int]] = []
    result = merge([batch.folder], roster=batch.roster, jobs=2, on_progress=lambda d, t: progress.append((d, t)))
    assert progress and progress[-1][0] == progress[-1][1] == len(batch.files)
    return result


@pytest.fixture(scope="module")
def outputs(merged: MergeResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("out")
    paths = {"xlsx": out / "汇总.xlsx", "csv": out / "long.csv", "parquet": out / "long.parquet"}
    write_summary(merged, paths["xlsx"])
    write_long(merged, paths["csv"])
    write_long(merged, paths["parquet"])
    return paths


def status_of(merged: MergeResult) -> dict[str, str]:
    return {Path(e.file).name if e.file else e.unit_code: e.status for e in merged.entries}


# ---------------------------------------------------------------------------------------------- accounting


def test_every_file_and_roster_unit_exactly_once(batch: Batch, merged: MergeResult) -> None:
    files = sorted(str(p) for p in batch.files)
    assert sorted(e.path for e in merged.entries if e.path) == files
    current = sorted(e.unit_code for e in merged.entries if e.status in (PASSED, HAS_ERRORS, MISSING))
    assert current == sorted(e.code for e in batch.entries)  # unit 10's corrupt file leaves it 未报送
    roster_rows = [e for e in merged.entries if e.unit_code in {x.code for x in batch.entries}]
    for entry in batch.entries:
        own = [e for e in roster_rows if e.unit_code == entry.code and e.status != DUPLICATE]
        assert len(own) == 1, entry
    assert status_of(merged)["说明.txt"] == UNREADABLE


def test_statuses(merged: MergeResult) -> None:
    status = status_of(merged)
    assert status["unit01-修改后.xlsx"] == PASSED
    assert status["unit01.xlsx"] == DUPLICATE
    assert status["unit08.xlsx"] == HAS_ERRORS
    assert status["unit09.xlsx"] == HAS_ERRORS
    assert status["unit10.xlsx"] == UNREADABLE
    assert status["网页另存.xls"] == UNREADABLE
    assert status["名单外单位.xlsx"] == OFF_ROSTER
    assert status[code(20)] == MISSING and status[code(10)] == MISSING
    for i in (0, 2, 3, 4, 5, 6, 7):
        assert status[f"unit{i:02d}.xlsx"] == PASSED, [
            f.message for f in merged.finding_list if f.file == f"unit{i:02d}.xlsx"
        ]
    assert merged.exit_code == 1
    reasons = {Path(e.file).name: e.reason for e in merged.entries}
    assert "unit01-修改后.xlsx" in reasons["unit01.xlsx"]
    assert "HTML" in reasons["网页另存.xls"] or "网页" in reasons["网页另存.xls"]
    codes = [f.code for f in merged.finding_list]
    assert codes.count("M401") == 1 and codes.count("M402") == 2 and codes.count("M408") == 1


def test_totals_are_the_sums_of_the_units(batch: Batch, merged: MergeResult) -> None:
    included = [r.name for r in merged.included]
    assert sorted(included) == sorted(n for n in batch.inputs if n not in ("unit01.xlsx", "名单外单位.xlsx"))
    units = merged.units
    assert list(units["file"]) == included
    for cell in SPEC.input_cells:
        column = [v for v in units[cell.key] if v is not None]
        known = [batch.inputs[n].get(cell.key) for n in included]
        expected = sum((v for v in known if v is not None), Decimal(0) if cell.type.key == "fee" else 0)
        assert sum(column, Decimal(0) if cell.type.key == "fee" else 0) == expected == merged.totals_values[cell.key]
    fee = SPEC.cross_year.fee
    assert isinstance(merged.totals_values[fee], Decimal)
    totals = merged.totals.set_index("cell_key")
    # as the report prints it: the decimals the amount has
    assert totals.loc[fee, "display"] == format(merged.totals_values[fee].normalize(), "f")
    blank = SPEC.input_cells[30].key
    assert totals.loc[blank, "units"] == len(included) - 1 and totals.loc[blank, "missing"] == 1


def test_aggregate_findings_point_at_units(merged: MergeResult) -> None:
    m404 = [f for f in merged.finding_list if f.code == "M404"]
    balance = next(r for r in SPEC.relations if r.derives is None and len(r.lhs) == 2)
    assert balance.rule_id in {f.rule for f in m404}
    for f in m404:
        # Unit 8 broke the balance; unit 9's blank cell leaves the partial total short: nobody else is named.
        failing = [u.split("（")[0] for u in f.extra["failing_units"]]
        assert set(failing) <= {unit_name(8)} and set(f.extra["not_assessable_units"]) <= {unit_name(9)}
        assert failing or f.extra["not_assessable_units"]
        assert f.sheet and f.cell
        if f.rule == balance.rule_id:
            assert failing == [unit_name(8)]
    partial = [f for f in merged.finding_list if f.code == "M409"]
    assert [f.cell_key for f in partial] == [SPEC.input_cells[30].key]
    assert unit_name(9) in partial[0].message


# ---------------------------------------------------------------------------------------------- summary workbook


def test_summary_reads_back_as_the_totals(merged: MergeResult, outputs: dict[str, Path]) -> None:
    sub = read_workbook(outputs["xlsx"])
    assert sub.meta.get("scope") == SUMMARY_SCOPE
    assert sub.meta.get("kind") == "summary"
    assert sub.year == YEAR
    for key in SPEC.cells:
        assert sub.values[key] == merged.totals_values[key], key


def detail_columns(sheet: Any) -> tuple[list[str], list[list[Any]]]:
    """分单位明细 read back: the units' names (the filter's header row) and each unit's column of data cells (the
    rows that name their table; the rows above them are the units' facts)."""
    header_row = int(re.sub(r"\D", "", sheet.auto_filter.ref.split(":")[0]))
    rows = list(sheet.iter_rows(min_row=header_row, values_only=True))
    first = len([c for c in rows[0] if c in ("表", "项目", "栏目")])
    names = [str(c) for c in rows[0][first:] if c is not None]
    data = [r[first : first + len(names)] for r in rows[1:] if r[0] is not None]
    return names, [[row[i] for row in data] for i in range(len(names))]


def test_summary_sheets(merged: MergeResult, outputs: dict[str, Path]) -> None:
    wb = openpyxl.load_workbook(outputs["xlsx"])
    try:
        for name in (STATUS_SHEET, FINDINGS_SHEET, DETAIL_SHEET, INDICATOR_SHEET, "分组小计"):
            assert name in wb.sheetnames
        layout = layout_for(SPEC)
        for key, place in layout.cells.items():
            sheet = wb[place.sheet]
            assert sheet.protection.sheet
            assert sheet.cell(place.row + 1, place.col + 1).protection.locked, key
        cover = wb[SPEC.cover_sheet]
        lines = [c.value for row in cover.iter_rows() for c in row if isinstance(c.value, str)]
        assert any(f"{len(merged.included)} 个单位的汇总" in line for line in lines)
        detail = wb[DETAIL_SHEET]
        assert detail.auto_filter.ref and detail.freeze_panes
        names, columns = detail_columns(detail)
        assert names == [u.unit_name for u in merged.included]
        keys = cell_keys(SPEC)
        for column, unit in zip(columns, merged.aggregate.units, strict=True):
            assert len(column) == len(keys)
            for value, expected in zip(column, unit.values, strict=True):
                assert (value is None and expected is None) or Decimal(str(value)) == expected
        status = wb[STATUS_SHEET]
        top = int(re.sub(r"\D", "", status.auto_filter.ref.split(":")[0]))
        listed = [r for r in status.iter_rows(min_row=top + 1, values_only=True) if r[0] is not None]
        assert len(listed) == len(merged.entries)
        assert any("通过、有错误" in str(c.value) for row in status.iter_rows(max_row=3) for c in row)
        findings = wb[FINDINGS_SHEET]
        top = int(re.sub(r"\D", "", findings.auto_filter.ref.split(":")[0]))
        severities = [r[6] for r in findings.iter_rows(min_row=top + 1, values_only=True) if r[5]]
        assert len(severities) == len(merged.finding_list)
        order = ["错误", "需说明", "警告", "提示"]
        assert severities == sorted(severities, key=order.index)
        indicators = wb[INDICATOR_SHEET]
        assert indicators._charts and indicators.conditional_formatting
    finally:
        wb.close()


def test_findings_sheet_rows_are_the_findings_wrapped_in_full(
    merged: MergeResult, outputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each row of 校验问题 holds its finding's texts, as tall as they need wrapped; the texts made once per
    sheet (a memo emptied when full) give the same sheet however small the memo is."""
    wb = openpyxl.load_workbook(outputs["xlsx"])
    try:
        sheet = wb[FINDINGS_SHEET]
        top = int(re.sub(r"\D", "", sheet.auto_filter.ref.split(":")[0]))
        for row, finding in enumerate(merged.finding_list, start=top + 1):
            texts = finding_row(finding)
            texts["title"] = texts["title"] or finding.code
            expected = [texts[key] for key, _ in FINDING_HEADER]
            assert [c.value or "" for c in sheet[row][: len(expected)]] == expected
            wrapped = [(text, width - 1) for text, width in zip(expected, FINDING_WIDTHS, strict=True)]
            height = None if row_lines(wrapped) == 1 else fitted_height(wrapped)
            assert sheet.row_dimensions[row].height == height, row
        assert any(sheet.row_dimensions[row].height for row in range(top + 1, sheet.max_row + 1))
    finally:
        wb.close()
    monkeypatch.setattr(summary, "TEXT_MEMO", 2)
    write_summary(merged, tmp_path / "small-memo.xlsx")
    assert dict(sheet_xml(outputs["xlsx"])) == dict(sheet_xml(tmp_path / "small-memo.xlsx"))


def sheet_xml(path: Path) -> Iterator[tuple[str, str]]:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                yield name, archive.read(name).decode("utf-8")


def test_injection_stays_text_in_xlsx(merged: MergeResult, outputs: dict[str, Path]) -> None:
    formulas = [f for _, xml in sheet_xml(outputs["xlsx"]) for f in re.findall(r"<f>(.*?)</f>", xml)]
    assert formulas  # the official tables do have formulas
    assert not [f for f in formulas if "cmd" in f or "SUM(1)" in f or f.strip() in ("1", "+1")]
    wb = openpyxl.load_workbook(outputs["xlsx"])
    try:
        seen = set()
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value in INJECTIONS:
                        assert cell.data_type == "s", (ws.title, cell.coordinate)
                        seen.add(cell.value)
        assert seen == set(INJECTIONS)
    finally:
        wb.close()


def test_long_csv_is_neutralised(merged: MergeResult, outputs: dict[str, Path]) -> None:
    with outputs["csv"].open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(merged.included) * len(SPEC.cells)
    names = {r["unit_name"] for r in rows}
    for text in FORMULAS:
        assert text not in names
        assert "'" + text in names
    for row in rows:
        for column, value in row.items():
            if column != "value" and not re.fullmatch(r"-?\d+(\.\d+)?", value):  # plain numbers stay as they are
                assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (column, value)
    fee = SPEC.cross_year.fee
    assert sum(Decimal(r["value"]) for r in rows if r["cell_key"] == fee) == merged.totals_values[fee]
    traced = next(r for r in rows if r["cell_key"] == fee)
    assert traced["sheet"] and traced["cell"] and len(traced["sha256"]) == 64


def test_long_parquet_is_exact(merged: MergeResult, outputs: dict[str, Path]) -> None:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    table = pq.read_table(outputs["parquet"])
    assert str(table.schema.field("value").type) == "string"
    frame = table.to_pandas()
    assert len(frame) == len(merged.included) * len(SPEC.cells)
    fee = SPEC.cross_year.fee
    values = frame.loc[frame["cell_key"] == fee, "value"]
    assert sum(Decimal(v) for v in values) == merged.totals_values[fee]
    assert set(frame["unit_name"]) >= set(INJECTIONS)  # Parquet is data, not a spreadsheet: kept verbatim
    long = merged.long
    assert len(long) == len(frame)
    assert {type(v) for v in long.loc[long["cell_key"] == fee, "value"]} == {Decimal}


@pytest.mark.soffice
def test_libreoffice_recalculates_the_summary(merged: MergeResult, outputs: dict[str, Path], tmp_path: Path) -> None:
    recalculated = convert([outputs["xlsx"]], tmp_path / "lo", "xlsx")[0]
    inputs: dict[str, Any] = {c.key: merged.totals_values.get(c.key) for c in SPEC.input_cells}
    case = Case(inputs=inputs, unit_name="汇总", scope=SUMMARY_SCOPE, year=YEAR)
    from workbook_expect import expected_cells

    read = read_back(recalculated, expected_cells(SPEC, case))
    assert mismatches(SPEC, case, read) == []
    derived = {k: v for k, v in merged.totals_values.items() if SPEC.cells[k].derived}
    layout = layout_for(SPEC)
    again = read_back(recalculated, [(p.sheet, p.row, p.col) for k, p in layout.cells.items() if k in derived])
    for key, value in derived.items():
        place = layout.cells[key]
        assert again[place.sheet, place.row, place.col] == value, key
    # The rows the summary streams as raw XML (status, findings, per-unit detail) open in LibreOffice intact.
    wb = openpyxl.load_workbook(recalculated, data_only=True)
    try:
        names, columns = detail_columns(wb[DETAIL_SHEET])
        assert names == [u.unit_name for u in merged.included]
        assert columns == [[None if v is None else float(v) for v in u.values] for u in merged.aggregate.units]
        messages = [r[8] for r in wb[FINDINGS_SHEET].iter_rows(min_row=5, values_only=True) if r[5]]
        assert messages == [f.message for f in merged.finding_list]
    finally:
        wb.close()


# ---------------------------------------------------------------------------------------------- robustness and CLI


def test_a_reader_failure_never_stops_the_merge(batch: Batch, monkeypatch: pytest.MonkeyPatch) -> None:
    import giptemplate.pipeline as pipeline

    real = pipeline.read_workbook

    def flaky(path: Any) -> Any:
        if Path(path).name == "unit00.xlsx":
            raise RuntimeError("boom")
        return real(path)

    monkeypatch.setattr(pipeline, "read_workbook", flaky)  # the one place every command reads a file
    result = merge([batch.folder / "unit00.xlsx", batch.folder / "unit02.xlsx"], jobs=1)
    entries = {e.file: e for e in result.entries}
    assert entries["unit00.xlsx"].status == UNREADABLE
    assert "RuntimeError" in entries["unit00.xlsx"].reason and "boom" not in entries["unit00.xlsx"].reason
    assert entries["unit02.xlsx"].status == PASSED
    assert result.exit_code == 1


def test_cli_merge(batch: Batch, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "汇总.xlsx"
    args = [
        "merge",
        str(batch.folder),
        "--roster",
        str(batch.roster),
        "-o",
        str(out),
        "--long",
        str(tmp_path / "l.csv"),
    ]
    result = runner.invoke(main, [*args, "--jobs", "1"])
    assert result.exit_code == 1, result.output
    assert out.exists() and (tmp_path / "l.csv").exists()
    assert "未报送" in result.output and "计入汇总" in result.output
    clean = runner.invoke(main, ["merge", str(batch.folder / "unit00.xlsx"), str(batch.folder / "unit02.xlsx"),
                                 "-o", str(tmp_path / "clean.xlsx")])  # fmt: skip
    assert clean.exit_code == 0, clean.output
    nothing = runner.invoke(main, ["merge", str(batch.folder / "网页另存.xls"), "-o", str(tmp_path / "n.xlsx")])
    assert nothing.exit_code == 2
    bad = runner.invoke(main, ["merge", str(batch.folder), "-o", str(tmp_path / "x.csv")])
    assert bad.exit_code == 2 and ".xlsx" in bad.output
    absent = runner.invoke(main, ["merge", str(tmp_path / "nowhere"), "-o", str(tmp_path / "y.xlsx")])
    assert absent.exit_code == 2
    # The summary written into an input folder is never read back as a submission.
    inside = batch.folder / "汇总-本次.xlsx"
    try:
        first = runner.invoke(main, ["merge", str(batch.folder / "unit00.xlsx"), "-o", str(inside)])
        assert first.exit_code == 0 and inside.exists()
        before = inside.read_bytes()
        again = runner.invoke(main, ["merge", str(batch.folder / "unit00.xlsx"), str(inside), "-o", str(inside)])
        assert again.exit_code == 2 and "拒绝覆盖" in again.output  # named as an input: never overwritten
        assert inside.read_bytes() == before
    finally:
        inside.unlink(missing_ok=True)


def test_previous_year(tmp_path: Path) -> None:
    """Cross-year checks run in the workers against last year's file of each unit; the totals' 上年结转 is held
    against last year's totals, naming the units that came and went (M407)."""
    last, this = tmp_path / "2023", tmp_path / "2024"
    last.mkdir()
    this.mkdir()
    for i in (0, 1, 2, 40):  # unit 40 reported last year only
        write_template(
            last / f"u{i}.xlsx", year=YEAR - 1, unit_name=unit_name(i), unit_code=code(i), scope="本机关",
            values=inputs_for(100 + i), texts=texts_for(i, {}), spec=SPEC,
        )  # fmt: skip
    for i in (0, 1, 2, 41):  # unit 41 is new
        write_unit(this, i, inputs_for(i))
    (last / "broken.xlsx").write_bytes(b"PK\x03\x04 not really")
    result = merge([this], previous=[last], jobs=2)
    assert result.previous_files == 5 and result.previous_unreadable == ["broken.xlsx"]
    by_file: dict[str, set[str]] = {}
    for f in result.finding_list:
        by_file.setdefault(f.file, set()).add(f.code)
    for i in (0, 1, 2):
        assert "Y590" not in by_file.get(f"unit{i:02d}.xlsx", set())
        assert "Y501" in by_file[f"unit{i:02d}.xlsx"]  # random figures: last year's 结转 never matches
    assert "Y590" in by_file["unit41.xlsx"]
    carry = [f for f in result.finding_list if f.code == "M407"]
    assert carry
    assert all(f.extra["gone"] == [unit_name(40)] and f.extra["new"] == [unit_name(41)] for f in carry)
    previous_r25 = {
        c.column.key: c.key
        for c in [SPEC.cells[k] for k in SPEC.meaning_cells(SPEC.cross_year.carry_previous).values()]
    }
    first = carry[0]
    key = previous_r25[SPEC.cells[first.cell_key].column.key]
    full = [{**inputs_for(100 + i), **arithmetic_for(SPEC).derive(inputs_for(100 + i))} for i in (0, 1, 2, 40)]
    expected = sum(v[key] or 0 for v in full)  # type: ignore[misc]
    assert first.expected == str(expected)


def test_blank_cover_year_keeps_the_unit_in_the_totals(tmp_path: Path) -> None:
    """A blank 报告年度 is the unit's C702 error, not a reason to drop it: the template's own year counts."""
    import openpyxl as xl

    path = write_unit(tmp_path, 0, inputs_for(0))
    place = layout_for(SPEC).fields["year"]
    wb = xl.load_workbook(path)
    wb[place.sheet].cell(place.row + 1, place.col + 1).value = None
    wb.save(path)
    write_unit(tmp_path, 1, inputs_for(1))
    result = merge([tmp_path], jobs=1)
    assert result.year == YEAR
    assert sorted(r.name for r in result.included) == ["unit00.xlsx", "unit01.xlsx"]
    codes = {f.code for f in result.finding_list if f.file == "unit00.xlsx"}
    assert "C702" in codes and "M411" not in codes


def test_own_outputs_are_listed_not_read_as_submissions(tmp_path: Path) -> None:
    """Return copies, summaries and check reports left among the returns are skipped with their own status; a
    return copy the unit corrected and saved is their submission; a summary named explicitly is read."""
    from giptemplate.checks.checker import check_file
    from giptemplate.checks.render import to_xlsx
    from giptemplate.merge import GENERATED
    from giptemplate.workbook.review import write_return_copy

    folder = tmp_path / "收回"
    (folder / "退回").mkdir(parents=True)
    broken = dict(inputs_for(0))
    balance = next(r for r in SPEC.relations if r.derives is None and len(r.lhs) == 2)
    broken[balance.rhs[-1]] = int(broken[balance.rhs[-1]] or 0) + 1  # type: ignore[arg-type]
    first = write_unit(folder, 0, broken)
    write_unit(folder, 1, inputs_for(1))
    report = check_file(read_workbook(first))
    write_return_copy(report.submission, report.findings, folder / "退回" / "unit00_退回修改.xlsx")  # type: ignore[arg-type]
    to_xlsx([report], folder / "校验结果.xlsx")
    write_summary(merge([folder / "unit01.xlsx"], jobs=1), folder / "汇总.xlsx")
    # Unit 0 corrects the return copy and sends it back.
    meta = {"scope": "本机关", "filler": "张三", "phone": "0371-1", "date": "2025-01-20"}
    fixed = folder / "unit00-改.xlsx"
    fill_template(
        SPEC, folder / "退回" / "unit00_退回修改.xlsx", fixed, values=inputs_for(0), texts={}, meta=meta,
        saved=datetime.datetime(2025, 2, 1, 9, 0),
    )  # fmt: skip

    result = merge([folder], jobs=1)
    by_file = {Path(e.file).name: e for e in result.entries}
    assert by_file["unit00_退回修改.xlsx"].file == "退回/unit00_退回修改.xlsx"  # listed by its path in the folder
    assert len(result.entries) == 6  # every file exactly once
    for name in ("unit00_退回修改.xlsx", "校验结果.xlsx", "汇总.xlsx"):
        assert by_file[name].status == GENERATED and not by_file[name].included, name
    assert by_file["unit00-改.xlsx"].status == PASSED and by_file["unit00-改.xlsx"].included
    assert by_file["unit00.xlsx"].status == DUPLICATE
    assert by_file["unit01.xlsx"].included
    assert result.exit_code == 0
    # A summary named explicitly (a city merging its counties' summaries) is read.
    named = merge([folder / "汇总.xlsx"], jobs=1)
    assert [r.path for r in named.included] == [str(folder / "汇总.xlsx")]


def test_cli_merge_never_overwrites_a_unit_file(tmp_path: Path) -> None:
    """-o naming a unit's workbook (or any spreadsheet we did not write) is refused; our own earlier summary in
    the input folder is skipped when reading and replaced."""
    folder = tmp_path / "mm"
    folder.mkdir()
    for i in (0, 1):
        write_unit(folder, i, inputs_for(i))
    unit = folder / "unit01.xlsx"
    original = unit.read_bytes()
    runner = CliRunner()
    refused = runner.invoke(main, ["merge", str(folder), "-o", str(unit), "--jobs", "1"])
    assert refused.exit_code == 2 and "拒绝覆盖" in refused.output and len(refused.output.strip().splitlines()) == 1
    assert unit.read_bytes() == original
    foreign = tmp_path / "别人的.xlsx"
    write_unit(tmp_path, 5, inputs_for(5), name=foreign.name)
    kept = foreign.read_bytes()
    assert runner.invoke(main, ["merge", str(folder), "-o", str(foreign)]).exit_code == 2
    assert foreign.read_bytes() == kept
    long_over = runner.invoke(main, ["merge", str(folder), "-o", str(tmp_path / "s.xlsx"), "--long", str(unit)])
    assert long_over.exit_code == 2 and unit.read_bytes() == original
    summary = folder / "汇总.xlsx"
    for _ in range(2):
        result = runner.invoke(main, ["merge", str(folder), "-o", str(summary), "--jobs", "1"])
        assert result.exit_code == 0, result.output
    assert "计入汇总 2 个单位" in result.output and "已跳过（本工具生成） 1" in result.output
