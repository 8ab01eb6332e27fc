"""Aggregation over units built directly (no files): exact sums, blank is not 0, localisation, statuses."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from giptemplate.errors import IntakeError
from giptemplate.format.arithmetic import Number, Outcome, arithmetic_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import SUMMARY_SCOPE, Spec
from giptemplate.format.uscc import check_digit
from giptemplate.merge import (
    DUPLICATE,
    HAS_ERRORS,
    MISSING,
    OFF_ROSTER,
    PASSED,
    UNREADABLE,
    build_result,
)
from giptemplate.merge.aggregate import UnitValues, aggregate, aggregate_findings, blind_sum_cells, cell_keys
from giptemplate.merge.collect import FileResult, refused_result
from giptemplate.merge.copies import fingerprint
from giptemplate.roster import RosterEntry

YEAR = 2024


def code(i: int) -> str:
    body = f"11{i:015d}"[:17]
    return body + check_digit(body)


def full(spec: Spec, inputs: dict[str, Number | None]) -> tuple[Number | None, ...]:
    values = {**inputs, **arithmetic_for(spec).derive(inputs)}
    return tuple(values.get(k) for k in cell_keys(spec))


def unit(spec: Spec, i: int, inputs: dict[str, Number | None] | None = None) -> UnitValues:
    return UnitValues(f"单位{i}", code(i), full(spec, inputs if inputs is not None else sample(spec, i)))


def sample(spec: Spec, seed: int) -> dict[str, Number | None]:
    return dict(consistent_values(spec, random.Random(seed)))


def result(spec: Spec, i: int, **changes: object) -> FileResult:
    inputs = changes.pop("inputs", None) or sample(spec, i)
    base: dict[str, object] = {
        "path": f"/in/u{i}.xlsx",
        "size": 1000,
        "mtime": 1000.0 + i,
        "sha256": f"{i:064x}",
        "spec_id": spec.id,
        "unit_name": f"单位{i}",
        "unit_code": code(i),
        "scope": "本机关",
        "year": YEAR,
        "saved_at": f"2025-01-{10 + i:02d}T08:00:00Z",
        "values": full(spec, inputs),  # type: ignore[arg-type]
    }
    base.update(changes)
    return FileResult(**base)  # type: ignore[arg-type]


def amount_key(spec: Spec) -> str:
    """The format's amount cell: 2021's fee in 万元, 2019's 采购总金额 in 元."""
    return next(c.key for c in spec.input_cells if not c.type.integral)


def test_sums_are_exact_and_totals_recomputed(spec: Spec) -> None:
    fee = amount_key(spec)
    last = "12.3456"[: 3 + spec.cells[fee].type.decimals]  # as many places as the cell takes
    units = []
    for i, amount in enumerate(("0.1", "0.2", last)):
        inputs = sample(spec, i)
        inputs[fee] = Decimal(amount)
        units.append(unit(spec, i, inputs))
    agg = aggregate(spec, units)
    assert agg.values[fee] == Decimal(last) + Decimal("0.3")  # 0.1 + 0.2 in float would not be 0.3
    keys = cell_keys(spec)
    for cell in spec.input_cells:
        i = keys.index(cell.key)
        assert agg.values[cell.key] == sum(u.values[i] for u in units)  # type: ignore[misc]
        assert agg.contributing[cell.key] == 3
    derived = arithmetic_for(spec).derive({c.key: agg.values[c.key] for c in spec.input_cells})
    assert all(agg.values[k] == v for k, v in derived.items())
    assert all(e.outcome is Outcome.PASS for e in agg.evaluations)


@pytest.mark.spec_ids("gip2019")  # 2019 only: 本年增/减 is the one signed count (gip-format.md B1)
def test_signed_changes_sum_with_their_sign(spec: Spec) -> None:
    """减用负值表示: -8, +3 and -2 of three units' 行政许可 本年增/减 total -7, beside 上一年项目数量 20 + 10 + 5."""
    units = []
    for i, (items, change) in enumerate(((20, -8), (10, 3), (5, -2))):
        inputs = sample(spec, i) | {"t2.licensing.items": items, "t2.licensing.change": change}
        units.append(unit(spec, i, inputs))
    agg = aggregate(spec, units)
    assert (agg.values["t2.licensing.items"], agg.values["t2.licensing.change"]) == (35, -7)
    assert agg.contributing["t2.licensing.change"] == 3
    merged = build_result([result(spec, i, inputs=sample(spec, i) | {"t2.licensing.change": -4}) for i in range(2)])
    assert merged.totals.set_index("cell_key").loc["t2.licensing.change", "display"] == "-8"
    check = next(e for e in agg.evaluations if e.relation.rule_id == "t2_items_change[licensing]")
    assert check.outcome is Outcome.PASS and check.lhs == 28  # 35 + (-7) items at year end, no M404


def test_blank_is_not_zero(spec: Spec) -> None:
    arithmetic = arithmetic_for(spec)
    checked = [c.key for c in spec.input_cells if any(c.key in arithmetic.relation_inputs(r) for r in spec.relations)]
    cell = checked[10]  # a cell some relation reads, so a blank makes it not assessable
    inputs = sample(spec, 1)
    inputs[cell] = None
    units = [unit(spec, 0), unit(spec, 1, inputs), unit(spec, 2)]
    agg = aggregate(spec, units)
    assert agg.contributing[cell] == 2
    assert agg.missing[cell] == [1]
    i = cell_keys(spec).index(cell)
    assert agg.values[cell] == units[0].values[i] + units[2].values[i]  # type: ignore[operator]
    partial = [f for f in aggregate_findings(agg) if f.code == "M409"]
    assert len(partial) == 1
    assert partial[0].cell_key == cell and "单位1" in partial[0].message
    assert agg.cell_units(cell) == (2, 1)
    # A cell no unit filled stays blank in the totals, and its relations are not assessable there.
    nobody = aggregate(spec, [unit(spec, 1, inputs)])
    assert nobody.values[cell] is None
    assert any(f.code == "A390" for f in aggregate_findings(nobody))


def test_aggregate_failure_names_the_units(spec: Spec) -> None:
    balance = next(r for r in spec.relations if r.derives is None and len(r.lhs) == 2 and r.op == "=")
    broken = sample(spec, 3)
    broken[balance.lhs[0]] = int(broken[balance.lhs[0]] or 0) + 5  # type: ignore[arg-type]
    blank = sample(spec, 4)
    blank[balance.lhs[1]] = None
    agg = aggregate(spec, [unit(spec, 1), unit(spec, 2), unit(spec, 3, broken), unit(spec, 4, blank)])
    m404 = [f for f in aggregate_findings(agg) if f.code == "M404" and f.rule == balance.rule_id]
    assert len(m404) == 1
    finding = m404[0]
    assert finding.extra["failing_units"] == ["单位3（差5）"]
    assert finding.extra["not_assessable_units"] == ["单位4"]
    assert "单位1" not in finding.message and "单位3" in finding.message


@settings(max_examples=25, deadline=None)
@given(seeds=st.lists(st.integers(0, 10**6), min_size=1, max_size=6), victim=st.integers(0, 5), delta=st.integers(1, 9))
def test_linear_relations_localise_to_the_changed_unit(spec: Spec, seeds: list[int], victim: int, delta: int) -> None:
    units = [unit(spec, i, sample(spec, s)) for i, s in enumerate(seeds)]
    assert not [f for f in aggregate_findings(aggregate(spec, units)) if f.code in ("M404", "A390", "M409")]
    victim %= len(units)
    balance = next(r for r in spec.relations if r.derives is None and len(r.lhs) == 2 and r.op == "=")
    changed = sample(spec, seeds[victim])
    changed[balance.rhs[-1]] = int(changed[balance.rhs[-1]] or 0) + delta  # type: ignore[arg-type]
    units[victim] = unit(spec, victim, changed)
    failures = [f for f in aggregate_findings(aggregate(spec, units)) if f.code == "M404"]
    assert failures
    for f in failures:
        assert f.extra["failing_units"] == [f"单位{victim}（差{-delta}）"]
        assert f.extra["not_assessable_units"] == []


def test_blind_sums_are_flagged(any_spec: Spec) -> None:
    spec = any_spec
    cells = blind_sum_cells(spec)
    assert all(rule.in_force in cells for rule in spec.cross_year.stock)
    inputs = sample(spec, 5)
    for key in cells:
        inputs[key] = 1
    flagged = {f.cell_key for f in aggregate_findings(aggregate(spec, [unit(spec, 5, inputs)])) if f.code == "M406"}
    assert flagged == set(cells)


def test_every_file_and_roster_unit_once(any_spec: Spec) -> None:
    spec = any_spec
    roster = [RosterEntry(f"单位{i}", code(i), "乡镇" if i % 2 else "县直部门", i + 2) for i in range(6)]
    results = [
        result(spec, 0),
        result(spec, 1, saved_at="2025-01-20T08:00:00Z", mtime=1.0),  # newer by saved time, older by mtime
        result(spec, 1, path="/in/u1-old.xlsx", saved_at="2025-01-02T08:00:00Z", mtime=9999.0),
        result(spec, 2, unit_code="", path="/in/by-name.xlsx"),  # matched by name
        result(spec, 3, findings=()),
        refused_result("/in/broken.xlsx", 10, 1.0, IntakeError("F005", "zip", {}, name="broken.xlsx")),
        result(spec, 42),  # not in the roster
    ]
    merged = build_result(results, roster=roster)
    by_path = [e.path for e in merged.entries if e.path]
    assert sorted(by_path) == sorted(r.path for r in results)
    current = [e.unit_code for e in merged.entries if e.status in (PASSED, HAS_ERRORS, MISSING)]
    assert sorted(current) == sorted(e.code for e in roster)
    status = {e.path or e.unit_code: e.status for e in merged.entries}
    assert status["/in/u1-old.xlsx"] == DUPLICATE
    assert status["/in/u1.xlsx"] == PASSED
    assert status["/in/by-name.xlsx"] == PASSED
    assert status["/in/broken.xlsx"] == UNREADABLE
    (broken,) = [f for f in merged.finding_list if f.file == "broken.xlsx"]
    assert broken.code == "F005" and broken.message == "文件不完整或已损坏（压缩包无法打开）"
    assert broken.extra["variant"] == "zip"
    assert status["/in/u42.xlsx"] == OFF_ROSTER
    assert status[code(4)] == MISSING and status[code(5)] == MISSING
    codes = [f.code for f in merged.finding_list]
    assert codes.count("M401") == 1 and codes.count("M402") == 2 and codes.count("M408") == 1
    assert codes.count("F005") == 1
    assert [r.path for r in merged.included] == ["/in/u0.xlsx", "/in/u1.xlsx", "/in/by-name.xlsx", "/in/u3.xlsx"]
    assert merged.exit_code == 1  # units missing
    assert merged.counts[MISSING] == 2
    assert merged.units.shape[0] == 4


def test_scope_mix_and_year_are_never_summed_silently(spec: Spec) -> None:
    results = [
        result(spec, 0),
        result(spec, 1),
        result(spec, 2, scope=SUMMARY_SCOPE),
        result(spec, 3, year=YEAR - 1),
    ]
    merged = build_result(results)
    assert [r.path for r in merged.included] == ["/in/u0.xlsx", "/in/u1.xlsx"]
    excluded = {e.path: e for e in merged.entries if not e.included}
    assert "本级政府汇总" in excluded["/in/u2.xlsx"].reason
    assert "2023" in excluded["/in/u3.xlsx"].reason
    assert {f.code for f in merged.finding_list} >= {"M405", "M411"}
    # Several 本级政府汇总 reports alone (a city adding its counties) are summed.
    alone = build_result([result(spec, 0, scope=SUMMARY_SCOPE), result(spec, 1, scope=SUMMARY_SCOPE)])
    assert len(alone.included) == 2 and "M405" not in {f.code for f in alone.finding_list}


def test_nothing_merged_is_exit_2(spec: Spec) -> None:
    merged = build_result([refused_result("/in/x.xlsx", 1, 1.0, IntakeError("F001", "", {}, name="x.xlsx"))])
    assert merged.exit_code == 2
    assert merged.entries[0].status == UNREADABLE
    assert all(v is None for v in merged.aggregate.values.values())


def test_copies_between_units(spec: Spec) -> None:
    part = next(p.key for p in spec.parts if p.key != "s6")
    text = (
        "本单位政府信息公开工作还存在一些不足，公开内容的深度和广度有待拓展。"
        "政策解读形式较为单一，图解和视频等解读产品偏少。"
        "依申请公开答复的规范化水平仍需提升，个别答复未告知救济途径。"
        "下一步将加强业务培训，完善工作机制，推动公开工作提质增效。"
    )
    own = "我们将加强培训，规范答复文书，完善网站栏目，按季度开展自查，及时整改发现的问题，全年未发生泄密事件。" * 2
    near = text.replace("推动公开工作提质增效", "推动政务公开工作提质增效")
    results = [
        result(spec, 0, texts=(fingerprint(part, text),)),
        result(spec, 1, texts=(fingerprint(part, text.replace("。", "。\n") + "  "),)),  # same letters
        result(spec, 2, texts=(fingerprint(part, own),)),
        result(spec, 3, texts=(fingerprint(part, near),)),  # one sentence reworded
    ]
    assert fingerprint(part, "无") is None  # too short to compare
    merged = build_result(results)
    copies = {f.unit_name: f for f in merged.finding_list if f.code == "N605"}
    assert sorted(copies) == ["单位0", "单位1", "单位3"]
    assert copies["单位0"].extra["units"] == 2 and copies["单位0"].extra["similarity"] == 1.0
    assert 0.8 <= copies["单位3"].extra["similarity"] < 1.0
    assert "单位0、单位1" in copies["单位3"].message


def test_fee_display_is_never_rounded_and_follows_the_spec(spec: Spec, tmp_path: Path) -> None:
    import dataclasses

    import openpyxl

    from giptemplate.merge import write_summary

    fee = amount_key(spec)
    a = sample(spec, 0) | {fee: Decimal("1.00005")}
    b = sample(spec, 1) | {fee: Decimal("2.1")}
    merged = build_result([result(spec, 0, inputs=a), result(spec, 1, inputs=b)])
    display = merged.totals.set_index("cell_key").loc[fee, "display"]
    assert display == "3.10005"  # five places typed: all shown, none rounded away
    whole = build_result([result(spec, 0, inputs=sample(spec, 0) | {fee: Decimal(3)})])
    assert whole.totals.set_index("cell_key").loc[fee, "display"] == "3"  # as the report prints it
    # The summary's number format for amounts comes from the spec's cell types, not hard-coded places.
    kind = spec.cells[fee].type
    types = {**spec.cell_types, kind.key: dataclasses.replace(kind, decimals=3)}
    three = dataclasses.replace(merged, spec=dataclasses.replace(spec, cell_types=types))
    write_summary(three, tmp_path / "s.xlsx")
    book = openpyxl.load_workbook(tmp_path / "s.xlsx")
    try:
        formats = {c.number_format for ws in book.worksheets for row in ws.iter_rows() for c in row}
    finally:
        book.close()
    assert "0.000" in formats and "0." + "0" * kind.decimals not in formats


def test_numbers_in_messages_are_never_in_exponent_notation(spec: Spec) -> None:
    blind = next(iter(blind_sum_cells(spec)))
    keys = cell_keys(spec)
    # str(Decimal) of a small value reads "1E-7"; a message must show the plain digits.
    values = tuple(Decimal("1E-7") if k == blind else v for k, v in zip(keys, result(spec, 0).values, strict=True))
    merged = build_result([result(spec, 0, values=values)])
    m406 = [f for f in merged.finding_list if f.code == "M406" and f.cell_key == blind]
    assert m406 and "（0.0000001）" in m406[0].message and "E-" not in m406[0].message
    assert m406[0].actual == "0.0000001"


def test_identical_duplicate_says_so(spec: Spec) -> None:
    same = "ab" * 32
    merged = build_result(
        [
            result(spec, 0, sha256=same),
            result(spec, 0, path="/in/u0-copy.xlsx", sha256=same, saved_at="2025-01-01T08:00:00Z"),
        ]
    )
    duplicate = next(e for e in merged.entries if e.status == DUPLICATE)
    assert duplicate.path == "/in/u0-copy.xlsx"
    assert "与 u0.xlsx 内容完全相同" in duplicate.reason and "较新" not in duplicate.reason


def test_long_csv_neutralises_text_but_not_plain_numbers(spec: Spec, tmp_path: Path) -> None:
    import csv

    from giptemplate.merge import write_long

    merged = build_result([result(spec, 0, unit_name="-3"), result(spec, 1, unit_name="=1+1", unit_code="")])
    write_long(merged, tmp_path / "l.csv")
    with (tmp_path / "l.csv").open(encoding="utf-8-sig", newline="") as fh:
        names = {r["unit_name"] for r in csv.DictReader(fh)}
    assert names == {"-3", "'=1+1"}


def test_a_newer_ineligible_file_never_knocks_out_the_right_one(spec: Spec) -> None:
    """Eligibility (year, format, scope) is decided before the newest file of a unit is chosen."""
    late = "2025-03-01T08:00:00Z"
    results = [
        result(spec, 0),
        result(spec, 0, path="/in/u0-2023.xlsx", year=YEAR - 1, saved_at=late, sha256="e" * 64),  # newer, wrong year
        result(spec, 1),
        result(spec, 1, path="/in/u1-scope.xlsx", scope=SUMMARY_SCOPE, saved_at=late, sha256="f" * 64),  # wrong scope
        result(spec, 2),
        result(spec, 3),
    ]
    merged = build_result(results)
    assert sorted(r.path for r in merged.included) == ["/in/u0.xlsx", "/in/u1.xlsx", "/in/u2.xlsx", "/in/u3.xlsx"]
    status = {e.path: e for e in merged.entries}
    assert len(status) == len(results)
    wrong_year = status["/in/u0-2023.xlsx"]
    assert wrong_year.status == DUPLICATE and not wrong_year.included
    assert "报告年度为 2023" in wrong_year.reason and "u0.xlsx" in wrong_year.reason
    assert status["/in/u0.xlsx"].status == PASSED and status["/in/u0.xlsx"].included
    assert status["/in/u1-scope.xlsx"].status == DUPLICATE and "本级政府汇总" in status["/in/u1-scope.xlsx"].reason
    assert status["/in/u1.xlsx"].included
    assert "M411" in {f.code for f in merged.finding_list if f.file == "u0-2023.xlsx"}
