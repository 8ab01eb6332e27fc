"""The reader on generated workbooks and on a corpus of damaged ones built here (openpyxl edits, zip rewrites).

Every damaged file is either read correctly (values asserted) or refused with its F0xx code and one line.
Positions come from the layout and labels from the spec, never typed in here.
"""

from __future__ import annotations

import random
import re
import zipfile
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.packaging.custom import CustomPropertyList
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from giptemplate.errors import IntakeError
from giptemplate.format.arithmetic import Number, arithmetic_for
from giptemplate.format.layout import CHECK_SHEET, IDENTITY_SHEET, layout_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.submission import Submission
from giptemplate.workbook.writer import write_template

UNIT = "某县人民政府办公室"
TEXTS = {"s1_1": "本年度主动公开政府信息若干条。", "s5": "存在的主要问题是公开不够及时，改进措施是加强审核。"}


# ---------------------------------------------------------------------------------------------- helpers


def _values(spec: Spec, seed: int = 7) -> dict[str, Number]:
    values = consistent_values(spec, random.Random(seed), density=0.9)
    for key in _amount_keys(spec):  # every decimal place the type allows (2021 万元: 12.3456; 2019 元: 1234.56)
        values[key] = Decimal(123456).scaleb(-spec.cells[key].type.decimals)
    return values


def _amount_keys(spec: Spec) -> list[str]:
    """The money cells (2021 本年收费金额, 2019 采购总金额): the only inputs that are not integers."""
    keys = [c.key for c in spec.input_cells if not c.type.integral]
    assert keys
    return keys


def _write(path: Path, spec: Spec, values: Mapping[str, Number | None], **kwargs: Any) -> Path:
    write_template(
        path,
        year=2024,
        unit_name=UNIT,
        scope="本机关",
        values=values,
        texts=TEXTS,
        filler="张三",
        phone="0123-4567890",
        date="2025-01-20",
        spec=spec,
        **kwargs,
    )
    return path


def _edit(src: Path, dst: Path, change: Callable[[Workbook], None]) -> Path:
    """Open with openpyxl (which drops every cached formula value), change, save."""
    wb = openpyxl.load_workbook(src)
    change(wb)
    wb.save(dst)
    return dst


def _rewrite(src: Path, dst: Path, changes: Mapping[str, Callable[[bytes], bytes] | None]) -> Path:
    """Copy a zip, transforming (or, with None, dropping) the named members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename in changes:
                change = changes[info.filename]
                if change is None:
                    continue
                data = change(data)
            zout.writestr(info.filename, data)
    return dst


def _sheet_part(path: Path, sheet: str) -> str:
    """The worksheet part of a sheet, from workbook.xml and its rels."""
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet name="{sheet}"[^>]*r:id="([^"]+)"', workbook)
    assert rid is not None
    target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels)
    assert target is not None
    return "xl/" + target.group(1)


def _cell(ws: Worksheet, spec: Spec, key: str) -> Any:
    place = layout_for(spec).cells[key]
    return ws.cell(place.row + 1, place.col + 1)


def _label_cell(ws: Worksheet, spec: Spec, table: str, text: str) -> Any:
    tl = layout_for(spec).tables[table]
    at = next(at for at, label, _ in spec.table(table).fixed_texts() if label == text)
    return ws.cell(tl.top + at.first_row + 1, tl.left + at.first_col + 1)


def _row_above_total(spec: Spec, n: int = 1) -> str:
    """The result row ``n`` rows above （七）总计 (R24)."""
    keys = [r.key for r in spec.table("t3").rows]
    return keys[keys.index("R24") - n]


def _expected(spec: Spec, values: Mapping[str, Number | None]) -> dict[str, Number | None]:
    inputs = {c.key: values.get(c.key) for c in spec.input_cells}
    return {**inputs, **arithmetic_for(spec).derive(inputs)}


def _assert_values(sub: Submission, spec: Spec, values: Mapping[str, Number | None]) -> None:
    expected = _expected(spec, values)
    assert sub.values == expected
    for key, value in values.items():
        cv = sub.cells[key]
        assert cv.value == value and cv.state == "ok", key


def _drop_identity(wb: Workbook) -> None:
    del wb[IDENTITY_SHEET]
    wb.custom_doc_props = CustomPropertyList()  # type: ignore[attr-defined]


def _set_identity(wb: Workbook, key: str, value: str) -> None:
    ws = wb[IDENTITY_SHEET]
    for row in ws.iter_rows():
        if row[0].value == key:
            row[1].value = value
    wb.custom_doc_props[f"giptemplate.{key}"].value = value  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def values(spec: Spec) -> dict[str, Number]:
    return _values(spec)


@pytest.fixture(scope="module")
def filled(spec: Spec, values: dict[str, Number], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("filled") / "filled.xlsx", spec, values)


# ---------------------------------------------------------------------------------------------- intact files


def test_reads_a_generated_workbook(spec: Spec, values: dict[str, Number], filled: Path) -> None:
    sub = read_workbook(filled)
    assert sub.identified_by == "identity"
    assert sub.file_format == "xlsx"
    _assert_values(sub, spec, values)
    derived = _expected(spec, values)
    for cell in spec.derived_cells:
        total = sub.stored[cell.key]
        assert total.has_formula is True and total.shown == derived[cell.key] and total.state == "ok"
    assert set(sub.cells) == {c.key for c in spec.input_cells}
    assert all(isinstance(sub.cells[key].value, Decimal) for key in _amount_keys(spec))
    assert all(isinstance(sub.cells[c.key].value, int) for c in spec.input_cells if c.type.integral)
    assert sub.meta["unit_name"] == UNIT and sub.meta["scope"] == "本机关" and sub.meta["filler"] == "张三"
    assert sub.meta["phone"] == "0123-4567890" and sub.meta["date"] == "2025-01-20"
    assert sub.year == 2024 and sub.meta["year"] == "2024"
    assert sub.meta["template_id"] == spec.template_id and sub.meta["format_version"] == spec.format_version
    assert sub.meta["spec_digest"] == spec.digest and sub.meta["report_year"] == "2024"
    assert sub.meta["kind"] == "template" and sub.meta["file_id"] and sub.meta["generator_version"]
    assert sub.application == "Microsoft Excel"  # what xlsxwriter writes into app.xml
    assert sub.saved_at.startswith("2000-01-01")
    assert sub.texts["s1_1"] == TEXTS["s1_1"] and sub.texts["s5"] == TEXTS["s5"] and sub.texts["s6"] == ""
    assert sub.label_mismatches == [] and sub.moves == []
    assert sub.renamed_sheets == {} and sub.missing_sheets == () and sub.unprotected_sheets == ()
    assert CHECK_SHEET in sub.sheet_names and IDENTITY_SHEET in sub.sheet_names
    place = layout_for(spec).cells["t3.R1.c1"]
    assert sub.cells["t3.R1.c1"].place == place


def test_blank_template_reads_blank_cells(spec: Spec, tmp_path: Path) -> None:
    sub = read_workbook(_write(tmp_path / "blank.xlsx", spec, {}))
    assert all(cv.state == "blank" and cv.value is None and cv.raw is None for cv in sub.cells.values())
    assert all(v is None for v in sub.values.values())
    # the template caches 0 in its totals (Excel's SUM of blanks); the reader keeps what is shown
    assert all(t.shown == 0 and t.has_formula for t in sub.stored.values())


def test_extension_does_not_matter(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "saved-as.xls"
    renamed.write_bytes(filled.read_bytes())
    sub = read_workbook(renamed)
    assert sub.file_format == "xlsx"
    _assert_values(sub, spec, values)


# ---------------------------------------------------------------------------------------------- damaged but readable


def test_openpyxl_save_drops_cached_totals(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    sub = read_workbook(_edit(filled, tmp_path / "openpyxl.xlsx", lambda wb: None))
    _assert_values(sub, spec, values)
    assert all(t.shown is None and t.has_formula is True for t in sub.stored.values())
    assert sub.application.startswith("Microsoft Excel Compatible / Openpyxl")


def test_total_typed_over(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    def change(wb: Workbook) -> None:
        _cell(wb["表三"], spec, "t3.R24.c1").value = 999
        _cell(wb["表四"], spec, "t4.cases.k5").value = "12件"

    sub = read_workbook(_edit(filled, tmp_path / "typed-over.xlsx", change))
    assert sub.stored["t3.R24.c1"].has_formula is False and sub.stored["t3.R24.c1"].shown == 999
    assert sub.stored["t4.cases.k5"].has_formula is False and sub.stored["t4.cases.k5"].shown == 12
    assert sub.stored["t3.R24.c2"].has_formula is True
    assert sub.values["t3.R24.c1"] == _expected(spec, values)["t3.R24.c1"]  # totals are recomputed, not trusted
    assert sub.as_filed["t3.R24.c1"] == 999


def test_row_inserted_in_the_middle_of_table_three(
    spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path
) -> None:
    r24 = layout_for(spec).cells["t3.R24.c1"].row
    above = f"t3.{_row_above_total(spec)}.c1"
    sub = read_workbook(_edit(filled, tmp_path / "row.xlsx", lambda wb: wb["表三"].insert_rows(r24 + 1)))
    _assert_values(sub, spec, values)
    assert sub.moves == [sub.moves[0]] and sub.moves[0].table == "t3" and sub.moves[0].located
    assert (sub.moves[0].row_offset, sub.moves[0].col_offset) == (1, 0)
    assert sub.cells["t3.R25.c1"].place.row == layout_for(spec).cells["t3.R25.c1"].row + 1
    assert sub.cells[above].place == layout_for(spec).cells[above]
    assert sub.stored["t3.R24.c1"].place.row == r24 + 1 and sub.stored["t3.R24.c1"].has_formula is True
    assert sub.label_mismatches == []


def _insert_rows_as_excel(ws: Any, idx: int, amount: int) -> None:
    """Insert rows and move the merged ranges below with them, as Excel and WPS do (openpyxl's insert_rows leaves
    the merges where they were, which would hide 2019's last value row under the note row's merge)."""
    ranges = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
    for min_row, min_col, max_row, max_col in ranges:
        ws.unmerge_cells(start_row=min_row, start_column=min_col, end_row=max_row, end_column=max_col)
    ws.insert_rows(idx, amount)
    for min_row, min_col, max_row, max_col in ranges:
        shift = amount if min_row >= idx else 0
        ws.merge_cells(start_row=min_row + shift, start_column=min_col, end_row=max_row + shift, end_column=max_col)


def test_rows_inserted_above_table_two(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    sub = read_workbook(_edit(filled, tmp_path / "top.xlsx", lambda wb: _insert_rows_as_excel(wb["表二"], 1, 2)))
    _assert_values(sub, spec, values)
    assert [(m.table, m.row_offset, m.col_offset, m.located) for m in sub.moves] == [("t2", 2, 0, True)]
    last = spec.table("t2").input_cells[-1].key  # the bottom block: 2021 （八） 收费, 2019 （九） 采购
    assert sub.cells[last].place.row == layout_for(spec).cells[last].row + 2


def test_column_inserted_in_table_three(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    c2 = layout_for(spec).cells["t3.R1.c2"].col
    sub = read_workbook(_edit(filled, tmp_path / "col.xlsx", lambda wb: wb["表三"].insert_cols(c2 + 1)))
    _assert_values(sub, spec, values)
    assert [(m.table, m.row_offset, m.col_offset) for m in sub.moves] == [("t3", 0, 1)]
    assert sub.cells["t3.R1.c1"].place.col == c2 - 1 and sub.cells["t3.R1.c2"].place.col == c2 + 1


def test_row_deleted_from_table_three(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    above = _row_above_total(spec)  # 2021 3.其他, 2019 the single （六）其他处理
    r23 = layout_for(spec).cells[f"t3.{above}.c1"].row
    sub = read_workbook(_edit(filled, tmp_path / "deleted.xlsx", lambda wb: wb["表三"].delete_rows(r23 + 1)))
    assert [(m.table, m.row_offset) for m in sub.moves] == [("t3", -1)]
    label = next(r.label for r in spec.table("t3").rows if r.key == above)
    assert [(m.expected, m.kind) for m in sub.label_mismatches] == [(label, "missing")]
    for cell in spec.row_cells(f"t3.{above}"):
        if not cell.derived:
            assert sub.cells[cell.key].state == "blank" and sub.cells[cell.key].raw is None
    for key in ("t3.R25.c1", f"t3.{_row_above_total(spec, 2)}.c3", "t3.R1.c7"):
        if key in sub.cells:
            assert sub.cells[key].value == values[key]
    assert sub.stored["t3.R24.c1"].place.row == layout_for(spec).cells["t3.R24.c1"].row - 1


def test_column_inserted_among_repeated_headers(
    spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path
) -> None:
    """表四 repeats 结果维持…总计 three times: each header must be matched to its own group."""
    k3 = layout_for(spec).cells["t4.cases.k3"].col
    sub = read_workbook(_edit(filled, tmp_path / "t4.xlsx", lambda wb: wb["表四"].insert_cols(k3 + 1)))
    _assert_values(sub, spec, values)
    assert [(m.table, m.row_offset, m.col_offset) for m in sub.moves] == [("t4", 0, 1)]
    assert sub.stored["t4.cases.k15"].place.col == layout_for(spec).cells["t4.cases.k15"].col + 1


def test_column_deleted_from_table_three(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    c4 = layout_for(spec).cells["t3.R1.c4"].col
    sub = read_workbook(_edit(filled, tmp_path / "no-c4.xlsx", lambda wb: wb["表三"].delete_cols(c4 + 1)))
    assert [(m.expected, m.kind) for m in sub.label_mismatches] == [("社会公益组织", "missing")]
    for cell in spec.table("t3").input_cells:
        if cell.column.key == "c4":
            assert sub.cells[cell.key].value is None and sub.cells[cell.key].state == "blank"
        else:
            assert sub.cells[cell.key].value == values[cell.key], cell.key
    assert sub.stored["t3.R24.c4"].shown is None


def test_moved_table_without_identity(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    def change(wb: Workbook) -> None:
        _drop_identity(wb)
        wb["表三"].insert_rows(1, 2)
        wb["表三"].insert_cols(1)

    sub = read_workbook(_edit(filled, tmp_path / "moved-no-identity.xlsx", change))
    assert sub.identified_by == "labels"
    assert [(m.table, m.row_offset, m.col_offset) for m in sub.moves] == [("t3", 2, 1)]
    _assert_values(sub, spec, values)


def test_renamed_sheet_is_found(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    def change(wb: Workbook) -> None:
        wb["表三"].title = "Sheet3"
        wb["封面"].title = "首页"

    sub = read_workbook(_edit(filled, tmp_path / "renamed.xlsx", change))
    assert sub.renamed_sheets == {"表三": "Sheet3", "封面": "首页"}
    _assert_values(sub, spec, values)
    assert sub.cells["t3.R1.c1"].place.sheet == "Sheet3" and sub.meta["unit_name"] == UNIT
    assert sub.missing_sheets == ()


def test_deleted_sheet_is_missing(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    def change(wb: Workbook) -> None:
        del wb["表四"]

    sub = read_workbook(_edit(filled, tmp_path / "deleted-sheet.xlsx", change))
    assert sub.missing_sheets == ("表四",)
    assert not any(key.startswith("t4.") for key in [*sub.cells, *sub.stored])
    assert all(v is None for k, v in sub.values.items() if k.startswith("t4."))
    assert sub.cells["t3.R1.c1"].value == values["t3.R1.c1"]


def test_unprotected_and_extra_sheets(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    def change(wb: Workbook) -> None:
        wb["表二"].protection.sheet = False
        wb.create_sheet("说明")
        wb.move_sheet("表四", offset=-3)

    sub = read_workbook(_edit(filled, tmp_path / "unprotected.xlsx", change))
    assert sub.unprotected_sheets == ("表二",)
    assert "说明" in sub.sheet_names and sub.renamed_sheets == {}
    _assert_values(sub, spec, values)


def _assert_label_mismatch(
    spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path, case: tuple[str, str, str, str | None]
) -> None:
    table, official, typed, kind = case
    sheet = spec.table(table).sheet

    def change(wb: Workbook) -> None:
        _label_cell(wb[sheet], spec, table, official).value = typed or None

    sub = read_workbook(_edit(filled, tmp_path / "label.xlsx", change))
    found = [(m.expected, m.found, m.kind) for m in sub.label_mismatches]
    assert found == ([] if kind is None else [(official, typed, kind)])
    assert sub.moves == []
    _assert_values(sub, spec, values)


# (table, official label, what was typed, mismatch kind): labels both formats print
LABEL_CASES: list[tuple[str, str, str, str | None]] = [
    ("t3", "社会公益组织", "社会组织", "typo"),
    ("t3", "2.其他法律行政法规禁止公开", "2.其他法律法规禁止公开", "typo"),
    ("t3", "3.危及“三安全一稳定”", '3、危及"三安全一稳定"', None),  # equal after normalisation
    ("t3", "（一）予以公开", "(一) 予以公开", None),
    ("t2", "规章", "规章（设区的市、自治州人民政府应提供相关数据）", "variant"),
    ("t2", "行政许可", "行政审批事项", "altered"),
    ("t2", "第二十条第（五）项", "第二十条第（一）项", "altered"),  # one character off, but another label
    ("t4", "复议后起诉", "", "missing"),
]


@pytest.mark.parametrize("case", LABEL_CASES, ids=[f"{c[0]}-{c[2] or 'blank'}" for c in LABEL_CASES])
def test_label_mismatches(
    spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path, case: tuple[str, str, str, str | None]
) -> None:
    _assert_label_mismatch(spec, values, filled, tmp_path, case)


LABEL_CASES_2021: list[tuple[str, str, str, str | None]] = [
    ("t2", "本年收费金额（单位：万元）", "本年收费金额（单位：万元，保留4位小数）", "variant"),
    ("t2", "行政规范性文件", "规范性文件", "obsolete"),  # the 2019 label
]


@pytest.mark.parametrize("case", LABEL_CASES_2021, ids=[c[2] for c in LABEL_CASES_2021])
@pytest.mark.spec_ids("gip2021")  # 2021 only: 本年收费金额 and 行政规范性文件 are 2021 labels (2019's below)
def test_label_mismatches_2021(
    spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path, case: tuple[str, str, str, str | None]
) -> None:
    _assert_label_mismatch(spec, values, filled, tmp_path, case)


LABEL_CASES_2019: list[tuple[str, str, str, str | None]] = [
    ("t2", "采购总金额", "采购总金额（元）", "variant"),  # B1: no printed unit, reports add 元
    ("t2", "规范性文件", "行政规范性文件", "obsolete"),  # the 2021 label, a tell-tale of the other format
    ("t2", "本年增/减", "本年增减", "typo"),
]


@pytest.mark.parametrize("case", LABEL_CASES_2019, ids=[c[2] for c in LABEL_CASES_2019])
@pytest.mark.spec_ids("gip2019")  # 2019 only: 采购总金额, 规范性文件 and 本年增/减 are 2019 labels
def test_label_mismatches_2019(
    spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path, case: tuple[str, str, str, str | None]
) -> None:
    _assert_label_mismatch(spec, values, filled, tmp_path, case)


def test_error_value_in_an_input_cell(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    part = _sheet_part(filled, "表三")
    ref = layout_for(spec).cells["t3.R2.c1"].a1

    def to_error(xml: bytes) -> bytes:
        out, n = re.subn(
            rf'<c r="{ref}"( s="\d+")?>.*?</c>'.encode(),
            rf'<c r="{ref}"\1 t="e"><f>1/0</f><v>#DIV/0!</v></c>'.encode(),
            xml,
        )
        assert n == 1
        return out

    sub = read_workbook(_rewrite(filled, tmp_path / "error.xlsx", {part: to_error}))
    cv = sub.cells["t3.R2.c1"]
    assert cv.state == "error" and cv.value is None and cv.raw == "#DIV/0!"
    assert sub.values["t3.R2.c7"] is None  # a total over an error is not computed
    assert sub.cells["t3.R1.c1"].value == values["t3.R1.c1"]


Typed = tuple[str, object, Number | None, str, tuple[str, ...], str]  # key, raw, value, state, norms, note

# cells both formats have
TYPED: list[Typed] = [
    ("t3.R1.c1", "１２", 12, "ok", ("text_number", "full_width"), ""),
    ("t3.R1.c2", " 12 ", 12, "ok", ("text_number", "spaces"), ""),
    ("t3.R1.c3", "1,234", 1234, "ok", ("text_number", "thousands"), ""),
    ("t3.R1.c4", "12件", 12, "ok", ("text_number", "unit_word"), ""),
    ("t3.R1.c5", "12（其中修订5件）", 12, "ok", ("text_number", "annotation"), "其中修订5件"),
    ("t3.R2.c1", "—", None, "blank", ("blank_word",), ""),
    ("t3.R2.c2", "无", None, "blank", ("blank_word",), ""),
    ("t3.R2.c3", "5.5", None, "invalid", ("text_number",), ""),
    ("t3.R2.c4", -3, None, "invalid", (), ""),
    ("t3.R2.c5", "见附件", None, "invalid", (), ""),
    ("t3.R2.c6", 7.0, 7, "ok", (), ""),
    ("t2.licensing.decisions", "\u3000", None, "blank", ("blank_word",), ""),
]
# 2021: the fee amount is in 万元, an amount typed in 元 is converted (C2)
TYPED_2021: list[Typed] = [
    ("t2.fees.amount", "250元", Decimal("0.025"), "ok", ("text_number", "unit_converted"), ""),
]
# 2019 (B1): 本年增/减 is signed ("减用负值表示，如-8"); 采购总金额 has no printed unit and reports write 元 inline
TYPED_2019: list[Typed] = [
    ("t2.licensing.change", -8, -8, "ok", (), ""),
    ("t2.services.change", "-8", -8, "ok", ("text_number",), ""),
    ("t2.penalty.change", "-8件", -8, "ok", ("text_number", "unit_word"), ""),
    ("t2.coercion.items", -8, None, "invalid", (), ""),  # 上一年项目数量 is an ordinary count
    ("t2.procurement.amount", "1234567.89元", Decimal("1234567.89"), "ok", ("text_number", "unit_matches"), ""),
    ("t2.fees.change", "1.5", None, "invalid", ("text_number",), ""),  # signed, but still a whole count
]
TYPED_OF_SPEC = {"gip2021": TYPED_2021, "gip2019": TYPED_2019}


@pytest.fixture(scope="module")
def typed_submission(spec: Spec, filled: Path, tmp_path_factory: pytest.TempPathFactory) -> Submission:
    def change(wb: Workbook) -> None:
        for key, raw, *_ in [*TYPED, *TYPED_OF_SPEC[spec.id]]:
            ws = wb[spec.table(spec.cells[key].table).sheet]
            _cell(ws, spec, key).value = raw

    return read_workbook(_edit(filled, tmp_path_factory.mktemp("typed") / "typed.xlsx", change))


def _assert_typed(sub: Submission, case: Typed) -> None:
    key, raw, value, state, norms, note = case
    cv = sub.cells[key]
    assert (cv.value, cv.state, cv.normalisations, cv.note) == (value, state, norms, note)
    assert cv.raw == raw
    assert type(cv.value) is type(value)


@pytest.mark.parametrize("case", TYPED, ids=[t[0] for t in TYPED])
def test_typed_values_through_the_reader(typed_submission: Submission, case: Typed) -> None:
    _assert_typed(typed_submission, case)


@pytest.mark.parametrize("case", TYPED_2021, ids=[t[0] for t in TYPED_2021])
@pytest.mark.spec_ids("gip2021")  # 2021 only: 本年收费金额 in 万元 (2019's 元 amount and signed counts below)
def test_typed_values_of_2021_cells(typed_submission: Submission, case: Typed) -> None:
    _assert_typed(typed_submission, case)


@pytest.mark.parametrize("case", TYPED_2019, ids=[t[0] for t in TYPED_2019])
@pytest.mark.spec_ids("gip2019")  # 2019 only: signed 本年增/减 and 采购总金额 in 元
def test_typed_values_of_2019_cells(typed_submission: Submission, case: Typed) -> None:
    _assert_typed(typed_submission, case)


def test_identity_missing_identified_by_labels(
    spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path
) -> None:
    sub = read_workbook(_edit(filled, tmp_path / "no-identity.xlsx", _drop_identity))
    assert sub.identified_by == "labels" and sub.spec is spec
    assert sub.meta["template_id"] == "" and sub.meta["unit_name"] == UNIT
    _assert_values(sub, spec, values)


def test_identity_damaged_identified_by_labels(
    spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path
) -> None:
    sub = read_workbook(_edit(filled, tmp_path / "damaged.xlsx", lambda wb: _set_identity(wb, "template_id", "#REF!")))
    assert sub.identified_by == "labels"
    _assert_values(sub, spec, values)


def test_identity_in_properties_only(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    sub = read_workbook(_edit(filled, tmp_path / "props-only.xlsx", lambda wb: wb.remove(wb[IDENTITY_SHEET])))
    assert sub.identified_by == "identity" and sub.meta["template_id"] == spec.template_id
    _assert_values(sub, spec, values)


def test_identity_in_sheet_only(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    def change(wb: Workbook) -> None:
        wb.custom_doc_props = CustomPropertyList()  # type: ignore[attr-defined]

    sub = read_workbook(_edit(filled, tmp_path / "sheet-only.xlsx", change))
    assert sub.identified_by == "identity" and sub.meta["file_id"] and sub.meta["spec_digest"] == spec.digest
    _assert_values(sub, spec, values)


def test_wps_and_wrong_dimension(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    prop = (
        b'<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="99" name="KSOProductBuildVer">'
        b"<vt:lpwstr>2052-11.1.0.14309</vt:lpwstr></property></Properties>"
    )
    part = _sheet_part(filled, "表三")
    sub = read_workbook(
        _rewrite(
            filled,
            tmp_path / "wps.xlsx",
            {
                "docProps/custom.xml": lambda x: x.replace(b"</Properties>", prop),
                part: lambda x: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', x),
            },
        )
    )
    assert sub.application == "WPS"
    _assert_values(sub, spec, values)


def test_macro_enabled_workbook(spec: Spec, values: dict[str, Number], filled: Path, tmp_path: Path) -> None:
    main = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    xlsm = _rewrite(
        filled,
        tmp_path / "macro.xlsm",
        {"[Content_Types].xml": lambda x: x.replace(main, b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")},
    )
    sub = read_workbook(xlsm)
    assert sub.file_format == "xlsm"
    _assert_values(sub, spec, values)


# ---------------------------------------------------------------------------------------------- refused


def _refused(path: Path) -> IntakeError:
    with pytest.raises(IntakeError) as caught:
        read_workbook(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(path.name)
    return caught.value


def test_unknown_format_version_is_refused(filled: Path, tmp_path: Path) -> None:
    path = _edit(filled, tmp_path / "future.xlsx", lambda wb: _set_identity(wb, "format_version", "2030"))
    error = _refused(path)
    assert error.code == "F007" and "2030" in error.message


def test_unknown_template_version_is_refused(filled: Path, tmp_path: Path) -> None:
    path = _edit(filled, tmp_path / "old.xlsx", lambda wb: _set_identity(wb, "template_id", "giptemplate/gip2017"))
    assert _refused(path).code == "F007"


# The other format's 表二 labels put where a spec prints its own (B4), and that other format's year.
OTHER_FORMAT_LABELS = {
    "gip2021": (
        {"行政规范性文件": "规范性文件", "本年制发件数": "本年新制作数量", "本年废止件数": "本年新公开数量"},
        "2019",
    ),
    "gip2019": (
        {"规范性文件": "行政规范性文件", "本年新制作数量": "本年制发件数", "本年新公开数量": "本年废止件数"},
        "2021",
    ),
}


def test_other_format_workbook_is_refused(spec: Spec, filled: Path, tmp_path: Path) -> None:
    swaps, other_year = OTHER_FORMAT_LABELS[spec.id]

    def change(wb: Workbook) -> None:
        _drop_identity(wb)
        ws = wb["表二"]
        for official, other in swaps.items():
            _label_cell(ws, spec, "t2", official).value = other

    error = _refused(_edit(filled, tmp_path / "other-format.xlsx", change))
    assert error.code == "F007" and other_year in error.message
    assert all(f"“{other}”" in error.message for other in swaps.values())  # named as seen


@pytest.mark.spec_ids("gip2021")  # 2021 only: collapses 2021's three （六） sub-rows (2019's reverse case below)
def test_2019_single_other_row_is_refused(spec: Spec, filled: Path, tmp_path: Path) -> None:
    rows = [r for r in spec.table("t3").rows if r.group == "（六）其他处理"]
    first = layout_for(spec).cells[f"t3.{rows[0].key}.c1"].row

    def change(wb: Workbook) -> None:
        _drop_identity(wb)
        ws = wb["表三"]
        ws.delete_rows(first + 2, len(rows) - 1)  # keep one row of （六）, as the 2019 table has
        _label_cell(ws, spec, "t3", rows[0].label).value = None

    error = _refused(_edit(filled, tmp_path / "single-six.xlsx", change))
    assert error.code == "F007" and "单行的“（六）其他处理”" in error.message


@pytest.mark.spec_ids("gip2019")  # 2019 only: its single （六）其他处理 row split into 2021's sub-rows
def test_2021_other_sub_rows_are_refused(spec: Spec, filled: Path, tmp_path: Path) -> None:
    other = layout_for(spec).cells["t3.other.c1"].row  # zero-based: openpyxl's row other + 1
    label_col = layout_for(spec).tables["t3"].left + 3  # column C of the grid, one-based
    sub_rows = (  # 国办公开办函〔2021〕30号, 表三 （六）其他处理
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    )

    def change(wb: Workbook) -> None:
        _drop_identity(wb)
        ws = wb["表三"]
        ws.insert_rows(other + 2, len(sub_rows))
        for i, label in enumerate(sub_rows):
            ws.cell(other + 2 + i, label_col).value = label

    error = _refused(_edit(filled, tmp_path / "six-split.xlsx", change))
    assert error.code == "F007" and "2021" in error.message and f"“{sub_rows[0]}”" in error.message
    assert "旧" not in error.message  # 2021's labels are the newer ones


def test_other_workbook_is_refused(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "部门", "金额"])
    ws.append(["张三", "办公室", 12])
    wb.save(tmp_path / "other.xlsx")
    assert _refused(tmp_path / "other.xlsx").code == "F006"


def test_entity_declaration_in_a_part_we_parse(filled: Path, tmp_path: Path) -> None:
    doctype = b'<!DOCTYPE Properties [<!ENTITY a "giptemplate">]>'
    path = _rewrite(
        filled,
        tmp_path / "entity.xlsx",
        {"docProps/custom.xml": lambda x: x.replace(b"?>", b"?>" + doctype, 1)},
    )
    assert _refused(path).code == "F004"


def test_entity_bomb_in_shared_strings(filled: Path, tmp_path: Path) -> None:
    entities = '<!ENTITY a "lol">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(6)
    )
    bomb = f"<!DOCTYPE sst [{entities}]>".encode()

    def add_bomb(xml: bytes) -> bytes:
        xml = xml.replace(b"?>", b"?>" + bomb, 1)
        return re.sub(rb"<t>[^<]*</t>", b"<t>&g;</t>", xml, count=1)

    assert _refused(_rewrite(filled, tmp_path / "bomb.xlsx", {"xl/sharedStrings.xml": add_bomb})).code == "F004"


def test_missing_worksheet_part_is_refused(filled: Path, tmp_path: Path) -> None:
    path = _rewrite(filled, tmp_path / "no-part.xlsx", {_sheet_part(filled, "表三"): None})
    assert _refused(path).code == "F005"
