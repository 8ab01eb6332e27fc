"""The template as written: structure, formulas, validation, protection, print setup, identity, determinism.

Everything is read back with openpyxl, an independent reader; positions come from the layout, and the official
grid positions and texts of gip-format.md are spelled out here so the spec itself is checked against them.
"""

from __future__ import annotations

import io
import random
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.workbook.workbook import Workbook as OpenpyxlWorkbook
from openpyxl.worksheet.worksheet import Worksheet as OpenpyxlWorksheet
from test_formats import (
    OFFICIAL_2019_T2,
    OFFICIAL_2019_T2_DATA,
    OFFICIAL_2019_T3,
    OFFICIAL_2019_T3_DATA,
    OFFICIAL_2019_T4,
)
from workbook_expect import Case, expected_cells, mismatches, read_back

from giptemplate.errors import WriterError
from giptemplate.format import uscc
from giptemplate.format.arithmetic import arithmetic_for
from giptemplate.format.layout import CHECK_SHEET, IDENTITY_KEYS, IDENTITY_SHEET, NARRATIVE_PART_ROWS, layout_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.stamp import TemplateStamp
from giptemplate.workbook.writer import (
    DEFAULT_PASSWORD,
    Fill,
    Note,
    TemplateWriter,
    _check,
    default_file_id,
    write_template,
)

UNIT = "某某县人民政府办公室"
CODE = "11350100MB0123456" + uscc.check_digit("11350100MB0123456")

Cells = set[tuple[int, int]]


def expand(refs: str) -> Cells:
    """Zero-based (row, col) of every cell named by A1 refs separated by spaces or commas."""
    out: Cells = set()
    for ref in re.split(r"[ ,]+", refs.strip()):
        ref = ref.replace("$", "").split("!")[-1]
        c0, r0, c1, r1 = range_boundaries(ref)
        assert c0 is not None and r0 is not None and c1 is not None and r1 is not None
        out |= {(r - 1, c - 1) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    return out


def a1(grid: str, top: int, left: int) -> tuple[int, int, int, int]:
    """An official grid range moved to the sheet: zero-based first row, first col, last row, last col."""
    c0, r0, c1, r1 = range_boundaries(grid)
    assert c0 is not None and r0 is not None and c1 is not None and r1 is not None
    return top + r0 - 1, left + c0 - 1, top + r1 - 1, left + c1 - 1


def value(ws: OpenpyxlWorksheet, row: int, col: int) -> Any:
    """The value at zero-based (row, col)."""
    return ws.cell(row + 1, col + 1).value


def props(workbook: OpenpyxlWorkbook) -> dict[str, Any]:
    return {p.name: p.value for p in workbook.custom_doc_props.props}  # type: ignore[attr-defined]


def merged(ws: OpenpyxlWorksheet) -> set[tuple[int, int, int, int]]:
    return {(r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1) for r in ws.merged_cells.ranges}


# The report year each spec's templates are written for here (2019 试行: 2019–2020; 2021: 2021 on).
REPORT_YEAR = {"gip2021": 2024, "gip2019": 2020}


def write(tmp_path: Path, name: str = "t.xlsx", **kwargs: Any) -> Path:
    path = tmp_path / name
    write_template(path, year=kwargs.pop("year", 2024), **kwargs)
    return path


@pytest.fixture(scope="module")
def personal(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A personalised template of the spec: the unit's name and code given, so locked."""
    year = REPORT_YEAR[spec.id]
    return write(tmp_path_factory.mktemp("personal"), year=year, unit_name=UNIT, unit_code=CODE, scope="本机关")


@pytest.fixture(scope="module")
def wb(personal: Path) -> Iterator[OpenpyxlWorkbook]:
    workbook = openpyxl.load_workbook(personal)
    yield workbook
    workbook.close()


@pytest.fixture(scope="module")
def blank(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenpyxlWorkbook]:
    """A blank template of the spec: nothing given, every free field open."""
    workbook = openpyxl.load_workbook(write(tmp_path_factory.mktemp("blank"), year=REPORT_YEAR[spec.id]))
    yield workbook
    workbook.close()


# ---------------------------------------------------------------------------------------------- structure

# The official grids of gip-format.md A2–A4, verbatim, in each table's own coordinates.
OFFICIAL: dict[str, list[tuple[str, str]]] = {
    "t2": [
        ("A1:D1", "第二十条第（一）项"),
        ("A2", "信息内容"),
        ("B2", "本年制发件数"),
        ("C2", "本年废止件数"),
        ("D2", "现行有效件数"),
        ("A3", "规章"),
        ("A4", "行政规范性文件"),
        ("A5:D5", "第二十条第（五）项"),
        ("A6", "信息内容"),
        ("B6:D6", "本年处理决定数量"),
        ("A7", "行政许可"),
        ("A8:D8", "第二十条第（六）项"),
        ("A9", "信息内容"),
        ("B9:D9", "本年处理决定数量"),
        ("A10", "行政处罚"),
        ("A11", "行政强制"),
        ("A12:D12", "第二十条第（八）项"),
        ("A13", "信息内容"),
        ("B13:D13", "本年收费金额（单位：万元）"),
        ("A14", "行政事业性收费"),
    ],
    "t3": [
        ("A1:C3", "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"),
        ("D1:J1", "申请人情况"),
        ("D2:D3", "自然人"),
        ("E2:I2", "法人或其他组织"),
        ("J2:J3", "总计"),
        ("E3", "商业企业"),
        ("F3", "科研机构"),
        ("G3", "社会公益组织"),
        ("H3", "法律服务机构"),
        ("I3", "其他"),
        ("A4:C4", "一、本年新收政府信息公开申请数量"),
        ("A5:C5", "二、上年结转政府信息公开申请数量"),
        ("A6:A27", "三、本年度办理结果"),
        ("B6:C6", "（一）予以公开"),
        ("B7:C7", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
        ("B8:B15", "（三）不予公开"),
        ("C8", "1.属于国家秘密"),
        ("C9", "2.其他法律行政法规禁止公开"),
        ("C10", "3.危及\u201c三安全一稳定\u201d"),
        ("C11", "4.保护第三方合法权益"),
        ("C12", "5.属于三类内部事务信息"),
        ("C13", "6.属于四类过程性信息"),
        ("C14", "7.属于行政执法案卷"),
        ("C15", "8.属于行政查询事项"),
        ("B16:B18", "（四）无法提供"),
        ("C16", "1.本机关不掌握相关政府信息"),
        ("C17", "2.没有现成信息需要另行制作"),
        ("C18", "3.补正后申请内容仍不明确"),
        ("B19:B23", "（五）不予处理"),
        ("C19", "1.信访举报投诉类申请"),
        ("C20", "2.重复申请"),
        ("C21", "3.要求提供公开出版物"),
        ("C22", "4.无正当理由大量反复申请"),
        ("C23", "5.要求行政机关确认或重新出具已获取信息"),
        ("B24:B26", "（六）其他处理"),
        ("C24", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
        ("C25", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
        ("C26", "3.其他"),
        ("B27:C27", "（七）总计"),
        ("A28:C28", "四、结转下年度继续办理"),
    ],
    "t4": [
        ("A1:E1", "行政复议"),
        ("F1:O1", "行政诉讼"),
        ("F2:J2", "未经复议直接起诉"),
        ("K2:O2", "复议后起诉"),
        *[
            (f"{c}2:{c}3", t)
            for c, t in zip("ABCDE", ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"), strict=True)
        ],
        *[(f"{c}3", t) for c, t in zip("FGHIJ", ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"), strict=True)],
        *[(f"{c}3", t) for c, t in zip("KLMNO", ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"), strict=True)],
    ],
}
# Official data-cell ranges (merged where the grid merges them).
OFFICIAL_DATA = {
    "t2": ["B3", "C3", "D3", "B4", "C4", "D4", "B7:D7", "B10:D10", "B11:D11", "B14:D14"],
    "t3": [f"{c}{r}" for r in range(4, 29) for c in "DEFGHIJ"],
    "t4": [f"{c}4" for c in "ABCDEFGHIJKLMNO"],
}
# The 2019 grids of gip-format.md B1–B3, spelled out by hand in test_formats.py.
OFFICIAL_OF_SPEC = {
    "gip2021": (OFFICIAL, OFFICIAL_DATA),
    "gip2019": (
        {"t2": OFFICIAL_2019_T2, "t3": OFFICIAL_2019_T3, "t4": OFFICIAL_2019_T4},
        {"t2": OFFICIAL_2019_T2_DATA, "t3": OFFICIAL_2019_T3_DATA, "t4": OFFICIAL_DATA["t4"]},
    ),
}


@pytest.mark.parametrize("table_key", ["t2", "t3", "t4"])
def test_official_labels_and_merges_at_the_layout_offset(spec: Spec, wb: OpenpyxlWorkbook, table_key: str) -> None:
    official, official_data = OFFICIAL_OF_SPEC[spec.id]
    tl = layout_for(spec).tables[table_key]
    ws = wb[tl.sheet]
    merges = merged(ws)
    for grid, text in official[table_key]:
        r0, c0, r1, c1 = a1(grid, tl.top, tl.left)
        assert ws.cell(r0 + 1, c0 + 1).value == text, grid
        if (r0, c0) != (r1, c1):
            assert (r0, c0, r1, c1) in merges, f"{grid} is not merged"
    for grid in official_data[table_key]:
        r0, c0, r1, c1 = a1(grid, tl.top, tl.left)
        if (r0, c0) != (r1, c1):
            assert (r0, c0, r1, c1) in merges, f"data cell {grid} is not merged"
    grid_cells = {
        (r, c) for r in range(tl.top, tl.top + tl.table.height) for c in range(tl.left, tl.left + tl.table.width)
    }
    texts = {a1(g, tl.top, tl.left)[:2] for g, _ in official[table_key]}
    data = {a1(g, tl.top, tl.left)[:2] for g in official_data[table_key]}
    # No extra text inside the official grid: what is not a label is a data cell or covered by a merge.
    covered = {
        (r, c) for r0, c0, r1, c1 in merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1) if (r, c) != (r0, c0)
    }
    for r, c in grid_cells - texts - data - covered:
        assert ws.cell(r + 1, c + 1).value is None, f"unexpected text at {ws.cell(r + 1, c + 1).coordinate}"


def test_grid_matches_the_spec(spec: Spec, wb: OpenpyxlWorkbook) -> None:
    layout = layout_for(spec)
    for table in spec.tables:
        tl = layout.tables[table.key]
        ws = wb[tl.sheet]
        merges = merged(ws)
        for grid_range, text, _variants in table.fixed_texts():
            r0, c0, r1, c1 = tl.at(grid_range)
            assert ws.cell(r0 + 1, c0 + 1).value == text
            assert ((r0, c0, r1, c1) in merges) == grid_range.is_merged
        assert ws.cell(tl.top - 1, 1).value == table.title


# data cells per table (A2–A4; B1–B3) and derived cells: 总计 column, （七）总计 row, three 表四 totals
DATA_CELLS = {
    "gip2021": ({"t2": 10, "t3": 175, "t4": 15}, 25 + 6 + 3),
    "gip2019": ({"t2": 22, "t3": 161, "t4": 15}, 23 + 6 + 3),
}


def test_data_cell_counts_match_the_format(spec: Spec) -> None:
    per_table, derived = DATA_CELLS[spec.id]
    assert {t.key: len(t.cells) for t in spec.tables} == per_table
    assert len(spec.derived_cells) == derived


def test_sheets_order_and_identity(spec: Spec, wb: OpenpyxlWorkbook, personal: Path) -> None:
    assert wb.sheetnames == [
        spec.cover_sheet,
        spec.narrative_sheet,
        "表二",
        "表三",
        "表四",
        CHECK_SHEET,
        IDENTITY_SHEET,
    ]
    assert [ws.sheet_state for ws in wb] == ["visible"] * 6 + ["veryHidden"]
    ident = wb[IDENTITY_SHEET]
    layout = layout_for(spec)
    values = {}
    for key in IDENTITY_KEYS:
        place = layout.identity[key]
        assert ident.cell(place.row + 1, 1).value == key
        values[key] = ident.cell(place.row + 1, place.col + 1).value
    year = REPORT_YEAR[spec.id]
    assert values["template_id"] == spec.template_id == f"giptemplate/{spec.id}"
    assert values["format_version"] == {"gip2021": "2021", "gip2019": "2019"}[spec.id]
    assert values["spec_digest"] == spec.digest
    assert values["report_year"] == str(year)
    assert (values["unit_name"], values["unit_code"]) == (UNIT, CODE)
    assert values["kind"] == "template"
    fill = Fill(year=year, unit_name=UNIT, unit_code=CODE, scope="本机关")
    assert values["file_id"] == default_file_id(spec, fill, "template")
    assert props(wb) == {f"giptemplate.{k}": v for k, v in values.items()}
    assert wb.properties.title == f"{UNIT}{year}年政府信息公开工作年度报告"


def test_blank_template_identity_marks_empty_values(spec: Spec, blank: OpenpyxlWorkbook) -> None:
    assert props(blank)["giptemplate.unit_name"] == "-"  # xlsxwriter refuses empty custom properties
    place = layout_for(spec).identity["unit_name"]
    assert blank[IDENTITY_SHEET].cell(place.row + 1, place.col + 1).value in (None, "")


# ---------------------------------------------------------------------------------------------- formulas


def test_derived_cells_sum_exactly_their_parts(spec: Spec, wb: OpenpyxlWorkbook) -> None:
    layout, arithmetic = layout_for(spec), arithmetic_for(spec)
    for cell in spec.derived_cells:
        place = layout.cells[cell.key]
        formula = value(wb[place.sheet], place.row, place.col)
        match = re.fullmatch(r"=(?:SUM\((.+)\)|([A-Z]+[0-9]+))", formula)
        assert match, formula
        parts = {layout.position(k) for k in arithmetic.formula_of[cell.key].rhs}
        assert expand(match.group(1) or match.group(2)) == parts, cell.key


def unsum(expression: str) -> str:
    return re.sub(r"^SUM\((.*)\)$", r"\1", expression)


STATUS = re.compile(
    r'=IF\(COUNT\((?P<counted>[^)]+)\)<(?P<n>\d+),"无法判断",'
    r'IF\((?P<lhs>.+?)(?P<op>>=|=)(?P<rhs>.+?),"✓","✗ 差"&\(.+\)\)\)'
)
EXCEL_OP = {"=": "=", "≥": ">="}


def test_status_cells_show_the_relation_on_the_values_as_filed(spec: Spec, wb: OpenpyxlWorkbook) -> None:
    """Each status cell shows its relation judged on the 校验 sheet's hidden copy of the table: its own cells
    counted (as `check` reads a filed table), each side summed from the copy."""
    layout = layout_for(spec)
    mirror = {key: (p.row, p.col) for key, p in layout.mirror.items()}
    for relation in spec.relations:
        place = layout.status_of(relation)
        assert value(wb[place.sheet], place.row, place.col) == f"={layout.mirror_status[relation.rule_id].ref}"
        hidden = layout.mirror_status[relation.rule_id]
        formula = value(wb[CHECK_SHEET], hidden.row, hidden.col)
        match = STATUS.fullmatch(formula)
        assert match, formula
        assert expand(match["counted"]) == {mirror[k] for k in relation.cells}
        assert int(match["n"]) == len(relation.cells)
        assert match["op"] == EXCEL_OP[relation.op]
        assert expand(unsum(match["lhs"])) == {mirror[k] for k in relation.lhs}
        if relation.rhs:
            assert expand(unsum(match["rhs"])) == {mirror[k] for k in relation.rhs}
        else:  # 2019's 上一年项目数量 + 本年增/减 ≥ 0
            assert match["rhs"] == "0"


def test_missing_count_cells_count_every_input(spec: Spec, wb: OpenpyxlWorkbook) -> None:
    layout = layout_for(spec)
    for table in spec.tables:
        tl = layout.tables[table.key]
        ws = wb[tl.sheet]
        formula = value(ws, tl.missing_count.row, tl.missing_count.col)
        counted = re.findall(r'COUNTIF\(校验!(\$[A-Z]+\$\d+:\$[A-Z]+\$\d+),"(V\d+)"\)', formula)
        assert sorted(code for _, code in counted) == ["V201", "V203", "V209"], formula
        block = expand(counted[0][0].replace("$", ""))
        assert {(p.row, p.col) for k, p in layout.codes.items() if spec.cells[k].table == table.key} <= block
        label = ws.cell(tl.missing_count.row + 1, 1).value
        assert label == "未填写或非数字的填报单元格数"
        # the label has room: it spans every column left of the count
        assert (tl.missing_count.row, 0, tl.missing_count.row, tl.missing_count.col - 1) in merged(ws)


def test_unit_line_and_code_check_read_the_cover(spec: Spec, wb: OpenpyxlWorkbook) -> None:
    layout = layout_for(spec)
    code = layout.fields["unit_code"]
    status = layout.field_status["unit_code"]
    assert wb[spec.cover_sheet].cell(status.row + 1, status.col + 1).value == uscc.status_formula(f"$B${code.row + 1}")
    for table in spec.tables:
        line = value(wb[table.sheet], 1, 0)
        for key in ("unit_name", "year", "scope"):
            assert layout.fields[key].ref in line


# The 校验 sheet's rules: 表二's soft relations (2019 only, B1), then those of both formats, then what each format
# asks of the narrative (2021: 六 must state the 信息处理费; 2019: 六 may be blank, so no check at all).
COMMON_RULES = [
    "A301 总计不等于各类申请人之和",
    "A302 （七）总计不等于各项之和",
    "A303 一+二 不等于 （七）+四",
    "A304 表四总计不等于各项之和",
    "V203 单元格未填写",
    "V201 不是数字",
    "V202 件数为负数",
    "V204 件数不是整数",
    "V209 单元格为错误值",
    "V212 数值超出模板允许范围",
    "S105 合计公式被改为数值",
    "C701 缺少填报单位",
    "C703 统一社会信用代码校验位错误",
    "C702 报告年度缺失或与模板不符",
    "N601 文字部分缺失或过短",  # 一、总体情况
    "N601 文字部分缺失或过短",  # 五、存在的主要问题及改进情况
]
CHECK_RULES = {
    "gip2021": [*COMMON_RULES, "N602 第六部分未说明信息处理费情况"],
    "gip2019": ["A305 对外公开总数量小于本年新公开数量", "A306 本年增/减后的项目数量为负数", *COMMON_RULES],
}
# checked by the office after collecting; 2019 has no 存量 rule (对外公开总数量 is no stock) and no fee amount
LATER = {
    "gip2021": ["Y501", "Y502", "Y503", "Y505", "N604", "N605", "M401"],
    "gip2019": ["Y501", "Y505", "N604", "N605", "M401"],
}


def test_check_sheet_lists_every_rule(spec: Spec, wb: OpenpyxlWorkbook) -> None:
    layout = layout_for(spec)
    ws = wb[CHECK_SHEET]
    rules = [ws.cell(row + 1, 2).value for _, row in layout.check_rules]
    assert rules == CHECK_RULES[spec.id]
    # every rule is named with its severity, and what only the office can judge is named as checked later
    assert all(str(ws.cell(row + 1, 3).value).startswith("【") for _, row in layout.check_rules)
    later = ws.cell(layout.later_row + 1, 1).value
    assert "Y501 上年结转与上年度结转下年度不一致" in later and "N605 文字部分与其他单位雷同" in later
    assert re.findall(r"[A-Z]\d{3}", later) == LATER[spec.id]
    # each rule row points at the status cells of its table, at its hidden codes, or at the live check beside it
    for rule, row in layout.check_rules:
        formula = value(ws, row, 4)
        kind, key = rule.split(":", 1)
        if kind in ("value", "typed"):
            assert formula.count(f'"{key}")') == 2 * len(spec.tables), formula  # tested, then shown
        elif kind == "cover":
            assert formula == f"={layout.cover_status[key].ref}"
        elif kind == "text":
            assert formula == f"={layout.text_status[key].ref}"
        elif kind == "require":
            assert formula == f"={layout.require_status[key].ref}"
        else:
            statuses = {(p.row, p.col) for r in spec.relations if r.key == key for p in [layout.status_of(r)]}
            refs = set(re.findall(r"LEFT\('?[^'!]+'?!([A-Z]+\d+(?::[A-Z]+\d+)?),1\)", formula))
            assert set().union(*(expand(r) for r in refs)) == statuses


# ---------------------------------------------------------------------------------------------- cached values


def amount_keys(spec: Spec) -> list[str]:
    """The money cells (2021 本年收费金额 in 万元, 2019 采购总金额 in 元): the inputs that are not integers."""
    keys = [c.key for c in spec.input_cells if not c.type.integral]
    assert keys
    return keys


def test_blank_template_caches_what_a_calculating_app_shows(spec: Spec, personal: Path) -> None:
    case = Case(inputs={}, unit_name=UNIT, unit_code=CODE, year=REPORT_YEAR[spec.id])
    read = read_back(personal, expected_cells(spec, case))
    assert mismatches(spec, case, read) == []
    layout = layout_for(spec)
    # every number cell blank (V203), 一 and 五 unwritten (N601 twice); 六 unwritten is a warning (2021's N602)
    # or nothing (2019's 六 may be blank)
    overall = read[CHECK_SHEET, layout.check_overall.row, layout.check_overall.col]
    assert overall == "3 项错误未通过，请按下表标 ✗ 的行修改"


def test_prefilled_template_caches_python_results(spec: Spec, tmp_path: Path) -> None:
    values: dict[str, Any] = dict(consistent_values(spec, random.Random(7)))
    values["t3.R1.c3"] += 5  # t3_balance[c3] and [c7] fail
    values["t3.R9.c2"] = None  # blank: relations through it not assessable
    for key in amount_keys(spec):  # every decimal place the amount allows
        values[key] = Decimal(123456).scaleb(-spec.cells[key].type.decimals)
    year = REPORT_YEAR[spec.id]
    case = Case(inputs=values, unit_name="测试局", unit_code="91350100M000100Y4X", scope="本级政府汇总", year=year)
    path = write(
        tmp_path, year=year, values=values, unit_name=case.unit_name, unit_code=case.unit_code, scope=case.scope
    )
    read = read_back(path, expected_cells(spec, case))
    assert mismatches(spec, case, read) == []
    statuses = set(read.values())
    assert "✗ 差5" in statuses and "无法判断" in statuses and "✓" in statuses


# ---------------------------------------------------------------------------------------------- validation


# What Excel lets a filler type, per cell type: (validation, minimum, maximum), and the amount's number format.
VALIDATION = {
    "gip2021": {"count": ("whole", "0", "99999999"), "fee": ("decimal", "0", "99999999")},
    "gip2019": {
        "count": ("whole", "0", "99999999"),
        "signed_count": ("whole", "-99999999", "99999999"),  # 本年增/减: "减用负值表示"
        "yuan": ("decimal", "0", "999999999999"),
    },
}
AMOUNT_FORMAT = {"gip2021": "0.0000", "gip2019": "0.00"}  # 万元 to 4 places; 元 to the 分


def test_every_input_cell_is_validated_once(spec: Spec, wb: OpenpyxlWorkbook) -> None:
    layout = layout_for(spec)
    for table in spec.tables:
        ws = wb[table.sheet]
        seen: dict[tuple[int, int], Any] = {}
        for dv in ws.data_validations.dataValidation:
            cells = expand(str(dv.sqref))
            assert not (set(seen) & cells)
            seen |= dict.fromkeys(cells, dv)
            assert dv.operator in (None, "between")  # between is the default
            assert dv.showErrorMessage and dv.showInputMessage
            assert re.search(r"[\u4e00-\u9fff]", dv.promptTitle) and re.search(r"[\u4e00-\u9fff]", dv.prompt)
            assert re.search(r"[\u4e00-\u9fff]", dv.error) and dv.errorTitle
        assert set(seen) == {layout.position(c.key) for c in table.input_cells}
        for cell in table.input_cells:
            dv = seen[layout.position(cell.key)]
            assert (dv.type, dv.formula1, dv.formula2) == VALIDATION[spec.id][cell.type.key], cell.key
    for key in amount_keys(spec):
        amount = layout.cells[key]
        assert wb[amount.sheet].cell(amount.row + 1, amount.col + 1).number_format == AMOUNT_FORMAT[spec.id]
    count = layout.cells["t3.R1.c1"]
    assert wb[count.sheet].cell(count.row + 1, count.col + 1).number_format == "0"


def test_cover_validations(spec: Spec, blank: OpenpyxlWorkbook) -> None:
    layout = layout_for(spec)
    ws = blank[spec.cover_sheet]
    by_cell = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    for f in spec.cover_fields:
        place = layout.fields[f.key]
        dv = by_cell.get(place.a1)
        if f.kind == "year":
            assert dv is None
            continue
        assert dv is not None and dv.prompt == f.prompt and dv.promptTitle == f.label[:32]
        if f.kind == "choice":
            assert dv.type == "list" and dv.formula1 == '"' + ",".join(f.choices) + '"'


# ---------------------------------------------------------------------------------------------- protection


def unlocked(workbook: OpenpyxlWorkbook) -> dict[str, Cells]:
    out: dict[str, Cells] = {}
    for ws in workbook:
        out[ws.title] = {
            (int(c.row or 0) - 1, int(c.column or 0) - 1)
            for row in ws.iter_rows()
            for c in row
            if c.protection.locked is False
        }
    return out


def expected_unlocked(spec: Spec, locked_fields: set[str]) -> dict[str, Cells]:
    layout = layout_for(spec)
    out: dict[str, Cells] = {s: set() for s in (spec.cover_sheet, spec.narrative_sheet, CHECK_SHEET, IDENTITY_SHEET)}
    for f in spec.cover_fields:
        if f.kind != "year" and f.key not in locked_fields:
            out[spec.cover_sheet].add((layout.fields[f.key].row, layout.fields[f.key].col))
    out[spec.narrative_sheet] = {(p.row + i, p.col) for p in layout.parts.values() for i in range(NARRATIVE_PART_ROWS)}
    for table in spec.tables:
        tl = layout.tables[table.key]
        out[table.sheet] = set()
        for cell in table.input_cells:
            r0, c0, r1, c1 = tl.at(cell.at)
            out[table.sheet] |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    return out


def test_only_input_cells_are_unlocked_and_unit_is_locked(spec: Spec, wb: OpenpyxlWorkbook) -> None:
    assert unlocked(wb) == expected_unlocked(spec, {"unit_name", "unit_code"})


def test_blank_template_leaves_unit_fields_open(spec: Spec, blank: OpenpyxlWorkbook) -> None:
    assert unlocked(blank) == expected_unlocked(spec, set())


def test_every_sheet_is_protected(wb: OpenpyxlWorkbook) -> None:
    from openpyxl.utils.protection import hash_password

    for ws in wb:
        assert ws.protection.sheet is True, ws.title
        assert ws.protection.password == hash_password(DEFAULT_PASSWORD)
        # filler may select but not format, insert or delete
        assert ws.protection.formatCells and ws.protection.insertRows and ws.protection.deleteRows


def test_password_is_configurable(tmp_path: Path) -> None:
    from openpyxl.utils.protection import hash_password

    workbook = openpyxl.load_workbook(write(tmp_path, password="另一个密码"))
    assert {ws.protection.password for ws in workbook} == {hash_password("另一个密码")}


# ---------------------------------------------------------------------------------------------- print setup


def test_print_setup(spec: Spec, wb: OpenpyxlWorkbook) -> None:
    layout = layout_for(spec)
    for table in spec.tables:
        ws = wb[table.sheet]
        tl = layout.tables[table.key]
        assert ws.page_setup.paperSize == 9  # A4
        assert ws.page_setup.orientation == table.orientation
        assert ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
        assert (ws.page_setup.fitToWidth or 1) == 1 and (ws.page_setup.fitToHeight or 1) == 1
        assert ws.print_title_rows == f"$1:${tl.header_rows[1] + 1}"
        last = get_column_letter(tl.last_col + 1)
        assert ws.print_area == f"'{table.sheet}'!$A$1:${last}${tl.note_row + 1}"
        first_data = tl.top + table.header_rows
        assert ws.freeze_panes == f"{get_column_letter(table.label_cols + 1)}{first_data + 1}"
    assert [wb[t.sheet].page_setup.orientation for t in spec.tables] == ["portrait", "landscape", "landscape"]
    assert wb[spec.narrative_sheet].freeze_panes == "A3"
    assert wb[CHECK_SHEET].freeze_panes == "A5"
    for name in (spec.cover_sheet, spec.narrative_sheet, CHECK_SHEET):
        setup = wb[name].sheet_properties.pageSetUpPr
        assert wb[name].page_setup.paperSize == 9 and setup is not None and setup.fitToPage


# ---------------------------------------------------------------------------------------------- determinism


def test_same_inputs_give_identical_bytes(spec: Spec) -> None:
    values = consistent_values(spec, random.Random(3))
    kwargs: dict[str, Any] = {"year": 2024, "unit_name": UNIT, "unit_code": CODE, "scope": "本机关", "values": values}
    first, second = io.BytesIO(), io.BytesIO()
    a = write_template(first, **kwargs)
    b = write_template(second, **kwargs)
    assert a == b == first.getvalue() == second.getvalue()


def file_id(data: bytes) -> str:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return str(props(workbook)["giptemplate.file_id"])


def test_file_id_differs_per_unit_and_kind() -> None:
    base = write_template(io.BytesIO(), year=2024, unit_name=UNIT, unit_code=CODE)
    ids = {
        file_id(base),
        file_id(write_template(io.BytesIO(), year=2024, unit_name="另一单位", unit_code=CODE)),
        file_id(write_template(io.BytesIO(), year=2024, unit_name=UNIT, unit_code="")),
        file_id(write_template(io.BytesIO(), year=2025, unit_name=UNIT, unit_code=CODE)),
        file_id(write_template(io.BytesIO(), year=2024, unit_name=UNIT, unit_code=CODE, kind="summary")),
    }
    assert len(ids) == 5
    pinned = write_template(io.BytesIO(), year=2024, unit_name=UNIT, unit_code=CODE, file_id="fixed-id")
    assert file_id(pinned) == "fixed-id"


# ---------------------------------------------------------------------------------------------- refusals


def test_check_raises_on_a_refused_call() -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    sheet = book.add_worksheet()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # xlsxwriter warns, then returns -2
        code = sheet.data_validation(0, 0, 0, 0, {"validate": "any", "input_title": "标" * 33})
    assert code == -2
    with pytest.raises(WriterError, match="refused"):
        _check(code, "a validation")
    _check(0, "fine")
    _check(None, "fine")
    book.close()


def test_refused_validation_raises_and_writes_nothing(spec: Spec, tmp_path: Path) -> None:
    # A choice list longer than Excel's 255-character limit for a literal list is refused by xlsxwriter.
    choices = tuple(f"选项{i:03d}很长很长的统计口径名称" for i in range(30))
    fields = tuple(replace(f, choices=choices) if f.kind == "choice" else f for f in spec.cover_fields)
    broken = replace(spec, cover_fields=fields)
    target = tmp_path / "never.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(WriterError, match="统计口径"):
            write_template(target, year=2024, spec=broken)
    assert not target.exists()


def test_too_long_prompt_is_cut_to_the_excel_limit(spec: Spec, tmp_path: Path) -> None:
    fields = tuple(
        replace(f, prompt="说明" * 200, label="很长的字段名称" * 8) if f.key == "filler" else f
        for f in spec.cover_fields
    )
    path = tmp_path / "long.xlsx"
    write_template(path, year=2024, spec=replace(spec, cover_fields=fields))
    ws = openpyxl.load_workbook(path)[spec.cover_sheet]
    place = layout_for(spec).fields["filler"]
    dv = next(d for d in ws.data_validations.dataValidation if str(d.sqref) == place.a1)
    assert len(dv.prompt) == 255 and len(dv.promptTitle) == 32


# ---------------------------------------------------------------------------------------------- notes


def test_notes_highlight_and_comment_cells(spec: Spec, tmp_path: Path) -> None:
    layout = layout_for(spec)
    cell = layout.cells["t3.R1.c1"]
    part = layout.parts["s5"]
    field = layout.fields["phone"]
    notes = [
        Note(cell.sheet, cell.row, cell.col, "与上年结转不一致，请核实。"),
        Note(part.sheet, part.row, part.col, "请写明改进措施。"),
        Note(field.sheet, field.row, field.col, "请填写联系电话。"),
    ]
    path = tmp_path / "return.xlsx"
    writer = TemplateWriter(path, spec)
    writer.write(Fill(year=2024, unit_name=UNIT), kind="return", notes=notes, lock_unit=True)
    writer.close()
    workbook = openpyxl.load_workbook(path)
    for note in notes:
        c = workbook[note.sheet].cell(note.row + 1, note.col + 1)
        assert c.comment is not None and c.comment.text == note.text
        assert c.fill.fgColor.rgb.endswith("FFEB9C")
        assert c.protection.locked is False
    other = layout.cells["t3.R1.c2"]
    assert workbook[other.sheet].cell(other.row + 1, other.col + 1).comment is None


def test_added_sheets_come_before_the_identity_sheet(spec: Spec, tmp_path: Path) -> None:
    path = tmp_path / "extra.xlsx"
    writer = TemplateWriter(path, spec)
    writer.write(Fill(year=2024))
    extra = writer.add_worksheet("退回意见")
    extra.write_string(0, 0, "意见")
    writer.close()
    assert openpyxl.load_workbook(path).sheetnames[-2:] == ["退回意见", IDENTITY_SHEET]


def test_formula_text_in_inputs_stays_text(spec: Spec, tmp_path: Path) -> None:
    path = write(tmp_path, unit_name='=HYPERLINK("http://x")', texts={"s6": "=1+1"})
    workbook = openpyxl.load_workbook(path)
    layout = layout_for(spec)
    name = layout.fields["unit_name"]
    assert workbook[name.sheet].cell(name.row + 1, name.col + 1).data_type == "s"
    part = layout.parts["s6"]
    assert workbook[part.sheet].cell(part.row + 1, part.col + 1).value == "=1+1"
    assert workbook[part.sheet].cell(part.row + 1, part.col + 1).data_type == "s"


RICH_TEXT_XML = "<r><rPr><b/></rPr><t>粗体</t></r></si><si><t>另一条</t></r>"


@pytest.mark.parametrize("fast", [True, False])
def test_text_in_the_form_of_rich_text_xml_stays_text(spec: Spec, tmp_path: Path, fast: bool) -> None:
    """xlsxwriter writes a shared string that starts with <r> and ends with </r> as raw XML (its rich strings);
    a unit's name or text of that form is written as the text it is."""
    path = tmp_path / "rich.xlsx"
    write_template(path, year=2024, unit_name=RICH_TEXT_XML, texts={"s6": RICH_TEXT_XML}, spec=spec, fast=fast)
    with zipfile.ZipFile(path) as archive:
        strings = archive.read("xl/sharedStrings.xml").decode()
    assert "<t>另一条</t>" not in strings and strings.count("<si>") == int(
        re.findall(r'uniqueCount="(\d+)"', strings)[0]
    )
    workbook = openpyxl.load_workbook(path)
    layout = layout_for(spec)
    for place in (layout.fields["unit_name"], layout.parts["s6"]):
        assert workbook[place.sheet].cell(place.row + 1, place.col + 1).value == RICH_TEXT_XML
    read = read_workbook(path)
    assert read.meta["unit_name"] == RICH_TEXT_XML and read.texts["s6"] == RICH_TEXT_XML


def test_spec_changes_reach_the_workbook(spec: Spec, tmp_path: Path) -> None:
    """Nothing is hard-coded: a relabelled cover field shows its new label."""
    fields = tuple(replace(f, label="填报机关") if f.key == "unit_name" else f for f in spec.cover_fields)
    path = tmp_path / "relabelled.xlsx"
    write_template(path, year=2024, spec=replace(spec, cover_fields=fields))
    ws = openpyxl.load_workbook(path)[spec.cover_sheet]
    place = layout_for(spec).fields["unit_name"]
    assert ws.cell(place.row + 1, 1).value == "填报机关"


# ---------------------------------------------------------------------------------------------- roster stamp

STAMP_UNITS = [
    ("某某县教育局", CODE),
    ("某某县人民政府办公室", "11350100MB0000001" + uscc.check_digit("11350100MB0000001")),
    ("局", "9" * 17 + uscc.check_digit("9" * 17)),
    ("某" * 100, "1" * 17 + uscc.check_digit("1" * 17)),
    ("Bureau of Statistics (county)", "91350100M000100Y4" + uscc.check_digit("91350100M000100Y4")),
    ("某某街道办事处", "123456789"),  # not a 统一社会信用代码: another prototype
    ("某某乡", "A1"),
    ("某某县审计局", CODE.lower()),  # still a valid code for the live check
    # written by write_template itself: escaped by xlsxwriter, or equal to a fixed text of the workbook
    ("规划&自然资源局", CODE),
    ("<局>", CODE),
    ("某某_x0041_局", CODE),
    ("其他", CODE),
    ("本机关", CODE),
    ("总计", "总计"),
    ("同名", "同名"),
    ("某某县　教育局", CODE),  # U+3000 inside
    ("某某局", CODE[:17] + ("0" if CODE[17] != "0" else "1")),  # bad check digit: no prototype
    ("某某局", ""),
]


def first_difference(a: bytes, b: bytes) -> str:
    """The first part in which two workbooks differ. pytest's own diff of two ~100 KB byte strings takes minutes
    per case under -vv: a failing byte comparison is reported through this instead."""
    with zipfile.ZipFile(io.BytesIO(a)) as za, zipfile.ZipFile(io.BytesIO(b)) as zb:
        names_a, names_b = za.namelist(), zb.namelist()
        if names_a != names_b:
            return f"parts differ: {names_a} != {names_b}"
        for name in names_a:
            pa, pb = za.read(name), zb.read(name)
            if pa != pb:
                at = next((i for i, (x, y) in enumerate(zip(pa, pb, strict=False)) if x != y), min(len(pa), len(pb)))
                return f"{name} differs at byte {at}: {pa[at - 60 : at + 60]!r} != {pb[at - 60 : at + 60]!r}"
    return "same parts, different zip bytes (headers or order)"


@pytest.mark.parametrize(("name", "code"), STAMP_UNITS)
def test_stamped_copy_is_byte_identical_to_the_writer(spec: Spec, name: str, code: str) -> None:
    year = REPORT_YEAR[spec.id]
    stamp = TemplateStamp(spec, year=year, scope="本机关", password="pw")
    target = io.BytesIO()
    stamped = stamp.write(target, unit_name=name, unit_code=code)
    written = write_template(
        io.BytesIO(), year=year, unit_name=name, unit_code=code, scope="本机关", password="pw", spec=spec
    )
    identical = stamped == written == target.getvalue()  # a bool: see first_difference
    assert identical, first_difference(stamped, written)


# a year of the format other than REPORT_YEAR: the stamp writes the year it was given
STAMP_YEAR = {"gip2021": 2025, "gip2019": 2019}


def test_stamp_uses_its_prototypes_for_ordinary_units(spec: Spec, tmp_path: Path) -> None:
    stamp = TemplateStamp(spec, year=STAMP_YEAR[spec.id], scope="本机关")
    for i, (name, code) in enumerate(STAMP_UNITS[:8]):
        stamp.write(tmp_path / f"{i}.xlsx", unit_name=name, unit_code=code)
    assert stamp.stamped == 8
    for name, code in STAMP_UNITS[8:]:
        stamp.write(io.BytesIO(), unit_name=name, unit_code=code)
    assert stamp.stamped == 8  # the others went through write_template
    workbook = openpyxl.load_workbook(tmp_path / "1.xlsx")
    assert props(workbook)["giptemplate.unit_name"] == STAMP_UNITS[1][0]
    assert props(workbook)["giptemplate.report_year"] == str(STAMP_YEAR[spec.id])
    assert props(workbook)["giptemplate.template_id"] == spec.template_id


def _contents(data: bytes) -> dict[str, Any]:
    """Everything openpyxl reads back: each sheet's cells (values and formulas), merges, validations,
    conditional formats and the document's custom properties."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    out: dict[str, Any] = {"properties": props(book)}
    for sheet in book.worksheets:
        out[sheet.title] = {
            "cells": {c.coordinate: c.value for row in sheet.iter_rows() for c in row if c.value is not None},
            "merged": sorted(str(r) for r in sheet.merged_cells.ranges),
            "validations": sorted(str(v.sqref) for v in sheet.data_validations.dataValidation),
            "conditional": sorted(str(r.sqref) for r in sheet.conditional_formatting),
            "state": sheet.sheet_state,
        }
    return out


def test_fallback_without_shortcuts_writes_the_same_workbook(spec: Spec) -> None:
    """The stock xlsxwriter worksheet (used under an untested xlsxwriter version) writes what the shortcuts write:
    the same content read back by openpyxl, and in fact the same bytes."""
    values: dict[str, Any] = dict(consistent_values(spec, random.Random(5)))
    values["t3.R4.c4"] = None
    for key in amount_keys(spec):
        values[key] = Decimal(1234).scaleb(-spec.cells[key].type.decimals)
    kwargs: dict[str, Any] = {
        "year": REPORT_YEAR[spec.id],
        "unit_name": UNIT,
        "unit_code": CODE,
        "scope": "本机关",
        "values": values,
        "texts": {"s1_1": "本年度主动公开政府信息 120 条。", "s6": "未收取信息处理费。"},
        "notes": [Note("表三", 5, 3, "请核实")],
        "spec": spec,
    }
    fast = write_template(io.BytesIO(), fast=True, **kwargs)
    stock = write_template(io.BytesIO(), fast=False, **kwargs)
    assert _contents(stock) == _contents(fast)
    assert len(_contents(fast)["表三"]["cells"]) > 100
    assert stock == fast


@pytest.mark.parametrize(
    "formula",
    [
        '=IF(ISNUMBER(B5),"","未填写")',
        "{=SUM(B5:B9)}",
        "=FILTER(A1:A9,B1:B9>0)",  # a dynamic-array function: substituted
        "=XSINGLE(A1)+SINGLE(B1)",  # xlsxwriter's pattern for SINGLE is \SINGLE\( (any non-space before it)
        "=BETA.DIST(1,2,3,TRUE)+BETAxDIST(1)",  # future functions, "." matching any character
        "=_xlfn.STDEV.S(A1:A9)",  # already expanded
        '="XLOOKUP(在文本里)"&LEN(A1)',
        "=ACOT(1)",
    ],
)
@pytest.mark.parametrize("use_future", [False, True])
@pytest.mark.parametrize("expand_future", [False, True])
def test_memoised_formula_preparation_equals_xlsxwriters(formula: str, use_future: bool, expand_future: bool) -> None:
    """The shortcut's screen (one search for all of xlsxwriter's substitutions) prepares every formula exactly as
    the stock method does, whether or not a substitution applies."""
    from xlsxwriter.worksheet import Worksheet

    from giptemplate.workbook import xlsxwriter_speed as speed

    stock_sheet = Worksheet()
    stock_sheet.use_future_functions = use_future
    stock = stock_sheet._prepare_formula(formula, expand_future)
    assert speed._prepared_formula(formula, expand_future, use_future) == stock
    screen = speed._any_substitution()
    assert screen is not None and screen.pattern.count("|") >= 150  # all of the stock method's patterns


def test_shortcuts_only_under_tested_xlsxwriter_versions() -> None:
    """The private-method shortcuts are used under the tested releases only, and pyproject's xlsxwriter range
    includes them."""
    import tomllib

    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

    from giptemplate.workbook import xlsxwriter_speed as speed

    assert speed.supported("3.3.1") and speed.supported("3.3")
    assert not speed.supported("4.0.0") and not speed.supported("3.1.9") and not speed.supported("nonsense")
    assert speed.worksheet_class(False) is Worksheet and speed.worksheet_class(True) is speed.FastWorksheet
    expected = speed.FastWorksheet if speed.supported(xlsxwriter.__version__) else Worksheet
    assert speed.worksheet_class() is expected
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    requirement = next(d for d in pyproject["project"]["dependencies"] if d.startswith("xlsxwriter"))
    lowest = re.search(r">=\s*(\d+)\.(\d+)", requirement)
    assert lowest is not None and (int(lowest[1]), int(lowest[2])) <= min(speed.TESTED), requirement


# ---------------------------------------------------------------------------------------------- golden parts

GOLDEN_OF_SPEC = {
    "gip2021": Path(__file__).parent / "golden" / "template",
    "gip2019": Path(__file__).parent / "golden" / "template-gip2019",
}
GOLDEN_PARTS = (
    "xl/workbook.xml",
    "xl/worksheets/sheet1.xml",
    "xl/worksheets/sheet3.xml",
    "xl/worksheets/sheet4.xml",
    "xl/worksheets/sheet5.xml",
    "xl/worksheets/sheet6.xml",
    "xl/sharedStrings.xml",
    "xl/styles.xml",
    "docProps/custom.xml",
)


def readable(xml: bytes) -> str:
    """One element per line, so a changed golden part reviews as a readable diff."""
    return xml.decode("utf-8").replace("><", ">\n<") + "\n"


def test_golden_parts(spec: Spec) -> None:
    """The XML of a fixed personalised template, part by part.

    After an intended change of the template, regenerate and review the diff:
        GIPTEMPLATE_REGENERATE_GOLDEN=1 python -m pytest tests/test_writer.py -k golden
    The files hold xlsxwriter's output, so they are compared only under the xlsxwriter version that wrote them.
    """
    import os

    import xlsxwriter

    golden = GOLDEN_OF_SPEC[spec.id]
    data = write_template(
        io.BytesIO(),
        year=REPORT_YEAR[spec.id],
        unit_name=UNIT,
        unit_code=CODE,
        scope="本机关",
        file_id="golden",
        spec=spec,
    )
    parts = {name: readable(zipfile.ZipFile(io.BytesIO(data)).read(name)) for name in GOLDEN_PARTS}
    version_file = golden / "xlsxwriter-version.txt"
    if os.environ.get("GIPTEMPLATE_REGENERATE_GOLDEN"):
        for name, text in parts.items():
            target = golden / name.replace("/", "__")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        version_file.write_text(xlsxwriter.__version__ + "\n", encoding="utf-8")
    recorded = version_file.read_text(encoding="utf-8").strip()
    if recorded != xlsxwriter.__version__:
        pytest.skip(f"golden parts were written by xlsxwriter {recorded}, this is {xlsxwriter.__version__}")
    for name, text in parts.items():
        expected = (golden / name.replace("/", "__")).read_text(encoding="utf-8")
        assert text == expected, f"{name} differs from {golden} (regenerate and review if intended)"


def test_formula_highlights_each_cover_one_range_anchored_at_its_top_left(wb: OpenpyxlWorkbook) -> None:
    """A relative formula rule over several ranges is anchored differently by Excel and LibreOffice; one range per
    rule leaves no doubt. Regression: the 表三 总计 column was red on an untouched template in LibreOffice, its
    typed-total rule over "J6:J28 D29:J29 J30" being read from D6."""
    seen = 0
    for ws in wb.worksheets:
        for formatting in ws.conditional_formatting:
            for rule in formatting.rules:
                if rule.type != "expression":
                    continue
                seen += 1
                ranges = str(formatting.sqref).split()
                assert len(ranges) == 1, f"{ws.title}: one rule over {ranges}"
                min_col, min_row, _, _ = range_boundaries(ranges[0])
                top_left = f"{get_column_letter(min_col)}{min_row}"
                refs = re.findall(r"(?<![$A-Z])([A-Z]{1,3}[0-9]+)\b", rule.formula[0])
                assert refs, rule.formula
                if "LEFT(" not in rule.formula[0]:  # value and typed-total rules read the cell itself
                    assert refs[0] == top_left, f"{ws.title}!{ranges[0]}: {rule.formula[0]}"
    assert seen > 0


def test_a_sections_check_stands_beside_all_its_parts(spec: Spec, wb: OpenpyxlWorkbook) -> None:
    """一、总体情况 has five parts and one length check: its cell spans the five, with no gap in the grid below it
    (seen in a render: parts (二)–(五) had no check cell and no border)."""
    layout = layout_for(spec)
    ws = wb[spec.narrative_sheet]
    spans = merged(ws)
    for section in spec.sections:
        status = layout.text_status.get(section.key)
        if status is None or len(section.parts) < 2:
            continue
        bottom = layout.parts[section.parts[-1].key].row + NARRATIVE_PART_ROWS
        assert (status.row, status.col, bottom - 1, status.col) in spans, section.key
