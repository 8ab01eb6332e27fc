"""The spec file: what it holds (checked against gip-format.md), how a malformed copy is refused, and the
layout and arithmetic derived from it."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from giptemplate.errors import SpecError, UnsupportedYearError
from giptemplate.format.arithmetic import FAIL_MARK, NOT_ASSESSABLE, PASS_MARK, Outcome, arithmetic_for
from giptemplate.format.layout import layout_for
from giptemplate.format.spec import Spec, load_spec, parse_spec, spec_by_id, spec_for_year, templates_dir

SOURCE = templates_dir() / "gip2021.toml"


@pytest.fixture()
def raw() -> dict[str, Any]:
    return tomllib.loads(SOURCE.read_text(encoding="utf-8"))


def table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in raw["tables"] if t["key"] == key)
    return found


# ---------------------------------------------------------------------------------------------- content


# Hand-written from gip-format.md (A3 / B2): the result rows （一）…（六） that （七）总计 (R24) adds up.
RESULT_ROWS = {
    "gip2021": [f"R{i}" for i in range(3, 24)],  # （六） has three sub-rows R21–R23
    "gip2019": [*(f"R{i}" for i in range(3, 21)), "other"],  # （六）其他处理 is a single row
}
# data cells (A1–A4: 10 + 175 + 15; B1–B3: 22 + 161 + 15) and the cell types other than a plain count
SHAPES: dict[str, tuple[int, dict[str, str]]] = {
    "gip2021": (200, {"t2.fees.amount": "fee"}),
    "gip2019": (
        198,
        {f"t2.{row}.change": "signed_count" for row in ("licensing", "services", "penalty", "coercion", "fees")}
        | {"t2.procurement.amount": "yuan"},
    ),
}


def test_cells_rows_and_columns(spec: Spec) -> None:
    cells, types = SHAPES[spec.id]
    assert [t.key for t in spec.tables] == ["t2", "t3", "t4"]
    t3 = spec.table("t3")
    rows = ["R1", "R2", *RESULT_ROWS[spec.id], "R24", "R25"]
    assert [r.key for r in t3.rows] == rows
    assert [c.key for c in t3.columns] == [f"c{i}" for i in range(1, 8)]
    assert len(spec.cells) == cells
    derived = (
        {f"t3.{row}.c7" for row in rows}
        | {f"t3.R24.c{i}" for i in range(1, 7)}
        | {"t4.cases.k5", "t4.cases.k10", "t4.cases.k15"}
    )
    assert {c.key for c in spec.derived_cells} == derived
    assert len(spec.input_cells) == cells - len(derived)
    assert {k: c.type.key for k, c in spec.cells.items() if c.type.key != "count"} == types
    assert [c.key for c in spec.row_cells("t3.R2")] == [f"t3.R2.c{i}" for i in range(1, 8)]


def test_official_labels_verbatim(spec: Spec) -> None:
    """Spot checks against gip-format.md (character by character: full-width brackets, U+201C/D quotes)."""
    t2, t3 = spec.table("t2"), spec.table("t3")
    texts = {text for _, text, _ in t3.fixed_texts()} | {text for _, text, _ in t2.fixed_texts()}
    assert "社会公益组织" in texts and "社会组织" not in texts
    assert "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）" in texts
    labels = {r.key: r.label for r in t3.rows}
    assert labels["R7"] == "3.危及\u201c三安全一稳定\u201d"
    assert labels["R4"] == "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"


@pytest.mark.spec_ids("gip2021")  # 2021 only: its own labels (2019's in the next test)
def test_official_labels_verbatim_2021(spec: Spec) -> None:
    t2, t3 = spec.table("t2"), spec.table("t3")
    texts = {text for _, text, _ in t2.fixed_texts()}
    assert "本年收费金额（单位：万元）" in texts
    labels = {r.key: r.label for r in t3.rows}
    assert labels["R21"] == "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"
    assert labels["R22"] == "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"
    assert {r.key: r.label for r in t2.rows}["norm"] == "行政规范性文件"
    fee_header = next(label for label in t2.labels if label.text.startswith("本年收费金额"))
    assert fee_header.variants == ("本年收费金额（单位：万元，保留4位小数）",)
    assert "规范性文件" in spec.tell_tales and "政府集中采购" in spec.tell_tales


@pytest.mark.spec_ids("gip2019")  # 2019 only: the 试行 labels of B1/B2
def test_official_labels_verbatim_2019(spec: Spec) -> None:
    t2, t3 = spec.table("t2"), spec.table("t3")
    texts = {text for _, text, _ in t2.fixed_texts()}
    assert {"本年新制作数量", "本年新公开数量", "对外公开总数量"} <= texts
    assert {"上一年项目数量", "本年增/减", "处理决定数量"} <= texts
    assert {"第二十条第（九）项", "采购项目数量", "采购总金额"} <= texts
    assert not any(text.startswith("本年收费金额") for text in texts)
    assert {r.key: r.label for r in t2.rows} == {
        "reg": "规章",
        "norm": "规范性文件",
        "licensing": "行政许可",
        "services": "其他对外管理服务事项",
        "penalty": "行政处罚",
        "coercion": "行政强制",
        "fees": "行政事业性收费",
        "procurement": "政府集中采购",
    }
    assert {r.key: r.label for r in t3.rows}["other"] == "（六）其他处理"
    assert "行政规范性文件" in spec.tell_tales and "本年收费金额（单位：万元）" in spec.tell_tales


def test_relations_expand_to_explicit_cells(spec: Spec) -> None:
    by_id = {r.rule_id: r for r in spec.relations}
    result_rows = RESULT_ROWS[spec.id]
    t2_relations = {"gip2021": 0, "gip2019": 2 + 5}[spec.id]  # B1's soft relations: 总数量 ≥ 新公开, 项目数量
    assert len(by_id) == t2_relations + (len(result_rows) + 4) + 7 + 7 + 3
    result = by_id["t3_result_total[c1]"]
    assert result.lhs == ("t3.R24.c1",) and result.rhs == tuple(f"t3.{row}.c1" for row in result_rows)
    assert result.derives == "t3.R24.c1" and result.code == "A302" and result.severity == "error"
    balance = by_id["t3_balance[c7]"]
    assert balance.lhs == ("t3.R1.c7", "t3.R2.c7") and balance.rhs == ("t3.R24.c7", "t3.R25.c7")
    assert balance.derives is None and balance.basis == "official"
    # R24.c7 is derived by its row total first; the column relation only checks it
    assert by_id["t3_row_total[R24]"].derives == "t3.R24.c7" and by_id["t3_result_total[c7]"].derives is None
    assert by_id["t4_group_total[direct]"].rhs == tuple(f"t4.cases.k{i}" for i in range(6, 10))


def test_years_and_ids() -> None:
    assert spec_for_year(2021) is spec_for_year(2035) is spec_by_id("gip2021") is spec_by_id("giptemplate/gip2021")
    assert spec_for_year(2019) is spec_for_year(2020) is spec_by_id("gip2019")
    with pytest.raises(UnsupportedYearError, match="2018"):
        spec_for_year(2018)
    with pytest.raises(KeyError):
        spec_by_id("gip1999")


def test_digest_follows_the_content(spec: Spec) -> None:
    raw = tomllib.loads((templates_dir() / spec.source).read_text(encoding="utf-8"))
    assert parse_spec(copy.deepcopy(raw)).digest == spec.digest
    raw["tables"][0]["title"] += "（改）"
    assert parse_spec(raw).digest != spec.digest


# ---------------------------------------------------------------------------------------------- refusals

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(raw: dict[str, Any]) -> None:
        node: Any = raw
        *parents, last = path.split("/")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(raw: dict[str, Any]) -> None:
        node: Any = raw
        *parents, last = path.split("/")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return mutate


def _append(path: str, item: Any) -> Mutation:
    def mutate(raw: dict[str, Any]) -> None:
        node: Any = raw
        for part in path.split("/"):
            node = node[int(part)] if isinstance(node, list) else node[part]
        node.append(item)

    return mutate


def _cycle(raw: dict[str, Any]) -> None:
    raw["relations"].append(
        {
            "key": "loop",
            "code": "A389",
            "table": "t3",
            "foreach": "col",
            "lhs": ["R3.{col}"],
            "rhs": ["R24.{col}"],
            "derive": True,
            "severity": "error",
            "basis": "implied",
            "title": "循环",
        }
    )


def _duplicate_relation(raw: dict[str, Any]) -> None:
    raw["relations"].append(copy.deepcopy(raw["relations"][-1]))


BROKEN: dict[str, tuple[Mutation, str]] = {
    "unknown row in a relation": (
        _set("relations/1/rhs", ["R3..R99.{col}"]),
        r"relations\[1\]\.rhs: .*unknown row 'R99'",
    ),
    "unknown column in a relation": (
        _set("relations/0/rhs", ["{row}.c1..c9"]),
        r"relations\[0\]\.rhs: .*unknown column",
    ),
    "overlapping label": (
        _append("tables/1/labels", {"at": "C8", "text": "重复", "role": "header"}),
        r"tables\[1\]\.(rows\[4\]\.label_at|labels\[8\]\.at): .*overlaps",
    ),
    "label over a data cell": (
        _append("tables/0/labels", {"at": "B3", "text": "多余", "role": "header"}),
        r"tables\[0\]\.cells\[0\]\.at: cell t2\.reg\.issued overlaps label '多余'",
    ),
    "range outside the grid": (
        _set("tables/0/labels/0/at", "A1:E1"),
        r"tables\[0\]\.labels\[0\]\.at: .*outside the table's 4×14 grid",
    ),
    "row outside the grid": (_set("tables/2/rows/0/row", 5), r"tables\[2\]\.rows\[0\]\.row: row 5 lies outside"),
    "column outside the grid": (
        _set("tables/0/columns/0/col", "E"),
        r"tables\[0\]\.columns\[0\]\.col: column E lies outside",
    ),
    "not an A1 range": (_set("tables/0/labels/0/at", "A0:D1"), r"tables\[0\]\.labels\[0\]\.at: 'A0:D1' is not an A1"),
    "range running backwards": (
        _set("tables/0/labels/0/at", "D1:A1"),
        r"tables\[0\]\.labels\[0\]\.at: 'D1:A1' runs backwards",
    ),
    "duplicate row key": (_set("tables/1/rows/3/key", "R1"), r"tables\[1\]\.rows\[3\]\.key: duplicate row key 'R1'"),
    "duplicate table key": (_set("tables/2/key", "t3"), r"tables\[2\]\.key: duplicate table key 't3'"),
    "duplicate cover field": (
        _set("cover/fields/4/key", "phone"),
        r"cover\.fields\[5\]\.key: duplicate cover field key 'phone'",
    ),
    "duplicate section": (_set("sections/1/key", "s1"), r"sections\[1\]\.key: duplicate section key 's1'"),
    "duplicate rule id": (_duplicate_relation, r"relations: duplicate rule ids"),
    "bad severity": (_set("relations/2/severity", "fatal"), r"relations\[2\]\.severity: unknown severity 'fatal'"),
    "cycle of derived cells": (
        _cycle,
        r"relations: derived cells form a cycle: t3\.R3\.c1 -> t3\.R24\.c1 -> t3\.R3\.c1$",
    ),
    "cell on both sides": (
        _set("relations/2/rhs", ["R1.{col}"]),
        r"relations\[2\]\.rhs: instance c1: a cell stands on both sides",
    ),
    "deriving relation with two targets": (
        _set("relations/0/lhs", ["{row}.c7", "{row}.c6"]),
        r"relations\[0\]\.lhs: a deriving relation needs exactly one lhs cell",
    ),
    "unknown table in a relation": (_set("relations/0/table", "t9"), r"relations\[0\]\.table: unknown table 't9'"),
    "unknown table in a section": (_set("sections/1/table", "t9"), r"sections\[1\]\.table: unknown table 't9'"),
    "bad foreach": (_set("relations/0/foreach", "cell"), r"relations\[0\]\.foreach: must be row or col"),
    "missing title": (_delete("tables/0/title"), r"tables\[0\]\.title: missing"),
    "empty label": (_set("tables/1/rows/0/label", " "), r"tables\[1\]\.rows\[0\]\.label: must not be empty"),
    "wrong type": (_set("tables/0/width", "4"), r"tables\[0\]\.width: expected int, got str"),
    "bool for an int": (_set("tables/0/height", True), r"tables\[0\]\.height: expected int, got bool"),
    "unknown cell type": (_set("tables/0/rows/5/type", "money"), r"tables\[0\]\.rows\[5\]\.type: unknown cell type"),
    "cell away from its crossing": (
        _set("tables/0/cells/6/at", "C7:D7"),
        r"tables\[0\]\.cells\[6\]\.at: must start at the crossing",
    ),
    "widths do not match": (_set("tables/1/col_widths", [10, 10]), r"tables\[1\]\.col_widths: needs 10 widths, has 2"),
    "bad orientation": (_set("tables/1/orientation", "sideways"), r"tables\[1\]\.orientation: must be portrait"),
    "schema": (_set("schema", 2), r"schema: unsupported spec schema"),
    "same sheet twice": (_set("tables/1/sheet", "表二"), r"tables: sheet names must be unique"),
    "choice without choices": (_delete("cover/fields/3/choices"), r"cover\.fields\[3\]\.choices: a choice field needs"),
    "required field missing": (_set("cover/fields/1/key", "code"), r"cover\.fields: needs a field 'unit_code'"),
    "unknown stock cell": (_set("cross_year/stock/0/issued", "t2.norm.made"), r"cross_year\.stock: unknown cell"),
    "unknown indicator cell": (
        _set("indicators/new_applications/numerator", ["t3.R0.c7"]),
        r"indicators\.new_applications\.numerator: unknown cell 't3\.R0\.c7'",
    ),
    "section without content": (_delete("sections/4/parts"), r"sections\[4\]\.parts: a section needs a table or"),
    "unknown operator": (_set("relations/2/op", "<"), r"relations\[2\]\.op: unknown operator '<'"),
    "not a relation code": (_set("relations/0/code", "Y501"), r"relations\[0\]\.code: 'Y501' is not a relation code"),
    "reserved relation code": (_set("relations/0/code", "A390"), r"relations\[0\]\.code: 'A390' is not a relation"),
    "deriving inequality": (_set("relations/0/op", "≥"), r"relations\[0\]\.derive: only an equality can derive"),
    "only names no row": (_set("relations/0/only", ["R99"]), r"relations\[0\]\.only: names no row"),
    "unknown meaning cell": (_set("meanings/新收", "t3.R99"), r"meanings\.新收: unknown cell or row 't3\.R99'"),
    "a table is no meaning": (_set("meanings/新收", "t3"), r"meanings\.新收: unknown cell or row 't3'"),
    "carry of no meaning": (
        _set("cross_year/carry/previous", "结转"),
        r"cross_year\.carry\.previous: '结转' is not a meaning",
    ),
    "unknown cell type of a cell": (
        _set("tables/0/cells/0/type", "money"),
        r"tables\[0\]\.cells\[0\]\.type: unknown cell type 'money'",
    ),
    "cell type without maximum": (_set("cell_types/count/max", 0), r"cell_types\.count\.max: must be positive"),
    "threshold direction": (
        _set("indicators/disclosure_rate/threshold/direction", "up"),
        r"indicators\.disclosure_rate\.threshold\.direction: must be above or below",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_malformed_spec_is_refused_naming_the_place(raw: dict[str, Any], case: str) -> None:
    mutate, message = BROKEN[case]
    mutate(raw)
    with pytest.raises(SpecError, match=message) as info:
        parse_spec(raw, "gip2021.toml")
    assert str(info.value).startswith("gip2021.toml: ")
    assert "\n" not in str(info.value)


def test_load_spec_refuses_unreadable_and_invalid_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("schema = 1\n[cover\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"bad\.toml: not valid TOML"):
        load_spec(bad)
    with pytest.raises(SpecError, match=r"missing\.toml: cannot be read"):
        load_spec(tmp_path / "missing.toml")
    assert load_spec(SOURCE).digest == spec_for_year(2024).digest


# ---------------------------------------------------------------------------------------------- layout


def test_layout_places_do_not_collide(any_spec: Spec) -> None:
    spec = any_spec
    layout = layout_for(spec)
    taken: dict[tuple[str, int, int], str] = {}

    def take(sheet: str, row: int, col: int, what: str) -> None:
        assert (sheet, row, col) not in taken, f"{what} collides with {taken[sheet, row, col]}"
        taken[sheet, row, col] = what

    for table in spec.tables:
        tl = layout.tables[table.key]
        for grid_range, text, _ in table.fixed_texts():
            r0, c0, r1, c1 = tl.at(grid_range)
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    take(tl.sheet, r, c, text)
        for cell in table.cells:
            r0, c0, r1, c1 = tl.at(cell.at)
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    take(tl.sheet, r, c, cell.key)
        for rule_id, place in tl.status.items():
            take(place.sheet, place.row, place.col, rule_id)
            assert place.row >= tl.top + table.height or place.col >= tl.left + table.width
        take(tl.sheet, tl.missing_count.row, tl.missing_count.col, "missing")
        assert tl.note_row > tl.missing_count.row > max((s.row for s in tl.status_rows), default=0)
    for key, place in {**layout.fields, **layout.parts}.items():
        take(place.sheet, place.row, place.col, key)
    assert len({row for _, row in layout.check_rules}) == len(layout.check_rules)


def test_missing_count_label_has_room(any_spec: Spec) -> None:
    spec = any_spec
    for table in spec.tables:
        tl = layout_for(spec).tables[table.key]
        assert sum(table.col_widths[: tl.missing_count.col]) >= 30
        assert tl.missing_count.col < table.width


def test_place_references(spec: Spec) -> None:
    place = layout_for(spec).cells["t3.R1.c1"]
    assert (place.a1, place.ref, place.display) == ("D6", "表三!$D$6", "'表三'!D6")


# ---------------------------------------------------------------------------------------------- arithmetic


def test_derive_is_strict_unless_asked(spec: Spec) -> None:
    arithmetic = arithmetic_for(spec)
    n = len(RESULT_ROWS[spec.id])
    inputs: dict[str, int | Decimal | None] = {c.key: 1 for c in spec.input_cells}
    inputs["t3.R5.c1"] = None
    strict = arithmetic.derive(inputs)
    assert strict["t3.R5.c7"] is None and strict["t3.R24.c1"] is None and strict["t3.R24.c7"] is None
    assert strict["t3.R6.c7"] == 6 and strict["t3.R24.c2"] == n
    loose = arithmetic.derive(inputs, blank_as_zero=True)
    assert loose["t3.R5.c7"] == 5 and loose["t3.R24.c1"] == n - 1 and loose["t3.R24.c7"] == n - 1 + 5 * n


def test_evaluate_outcomes_and_texts(spec: Spec) -> None:
    arithmetic = arithmetic_for(spec)
    balance = next(r for r in spec.relations if r.rule_id == "t3_balance[c1]")
    inputs: dict[str, int | Decimal | None] = {c.key: 0 for c in spec.input_cells}
    inputs.update({"t3.R1.c1": 5, "t3.R2.c1": 1, "t3.R3.c1": 4, "t3.R25.c1": 2})
    values = {**inputs, **arithmetic.derive(inputs)}
    assert arithmetic.evaluate(balance, values).status_text == PASS_MARK
    values["t3.R25.c1"] = 5
    failed = arithmetic.evaluate(balance, values)
    assert (failed.outcome, failed.diff, failed.status_text) == (Outcome.FAIL, -3, f"{FAIL_MARK} 差-3")
    inputs["t3.R9.c1"] = None  # feeds R24.c1 through the derived total
    values = {**inputs, **arithmetic.derive(inputs)}
    unknown = arithmetic.evaluate(balance, values)
    assert unknown.outcome is Outcome.NOT_ASSESSABLE and unknown.status_text == NOT_ASSESSABLE
    assert unknown.missing[0] == "t3.R9.c1"
    result_inputs = {f"t3.{row}.c1" for row in RESULT_ROWS[spec.id]}
    assert set(arithmetic.relation_inputs(balance)) == {"t3.R1.c1", "t3.R2.c1", "t3.R25.c1", *result_inputs}


def test_optional_blocks_may_be_left_out(raw: dict[str, Any]) -> None:
    for block in ("cross_year", "level_hints", "tell_tales", "indicators", "blind_sums", "meanings"):
        del raw[block]
    spec = parse_spec(raw)
    assert spec.cross_year.carry_code is None and spec.cross_year.stock == () and spec.cross_year.fee is None
    assert (spec.department_zero_row, spec.tell_tales, spec.indicators, spec.blind_sums) == (None, (), (), ())
    assert spec.meaning_cells("上年结转") == {}


def test_a_new_relation_code_is_declared_by_the_spec_and_emitted(raw: dict[str, Any]) -> None:
    from giptemplate.checks.checker import check_relations
    from giptemplate.findings import code_title

    raw["relations"].append(
        {
            "key": "t4_review_vs_direct",
            "code": "A361",
            "table": "t4",
            "instance": "x",
            "op": "≥",
            "lhs": ["cases.k5"],
            "rhs": ["cases.k10"],
            "derive": False,
            "severity": "warning",
            "basis": "implied",
            "title": "行政复议总计 ≥ 直接起诉总计",
            "code_title": "复议少于直接起诉",
        }
    )
    spec = parse_spec(raw)
    values = {c.key: 0 for c in spec.input_cells} | {"t4.cases.k6": 2}
    values |= arithmetic_for(spec).derive(values)
    (finding,) = check_relations(spec, values)
    assert (finding.code, finding.severity, finding.cell_key) == ("A361", "warning", "t4.cases.k5")
    assert code_title("A361") == "复议少于直接起诉" and "少 2" in finding.message


def test_shared_meanings_pair_cells_by_column(spec: Spec) -> None:
    old = spec_for_year(2020)
    now_cells, old_cells = spec.meaning_cells("上年结转"), old.meaning_cells("结转下年度")
    assert set(now_cells) == set(old_cells) and len(now_cells) == 7
    assert now_cells[("", "自然人")] == "t3.R2.c1" and old_cells[("", "自然人")] == "t3.R25.c1"
    assert old.meaning_cells("行政规范性文件现行有效件数") == {}  # 对外公开总数量 is not the same thing
    assert spec.meaning_of["t3.R24.c3"] == old.meaning_of["t3.R24.c3"] == "办理结果总计"
    assert "t3.other.c1" not in old.meaning_of  # 2019's single （六） has no 2021 counterpart


def test_spec_folder_is_chosen_by_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from giptemplate.format.spec import SPECS_ENV, all_specs

    monkeypatch.setenv(SPECS_ENV, str(tmp_path / "none"))
    with pytest.raises(SpecError, match="not a folder"):
        all_specs()
    (tmp_path / "a.toml").write_text(SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "b.toml").write_text(
        SOURCE.read_text(encoding="utf-8").replace('id = "gip2021"', 'id = "gip2022"', 1), encoding="utf-8"
    )
    monkeypatch.setenv(SPECS_ENV, str(tmp_path))
    with pytest.raises(SpecError, match="both cover 2021"):
        all_specs()
