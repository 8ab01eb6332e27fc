"""The checks on Submission objects built directly (as the reader fills them): each check fires where it should
and nowhere else; property tests over consistent fills."""

from __future__ import annotations

import io
import random
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from submission_factory import build, cell_value, good_texts, typed_total

from giptemplate.checks.checker import (
    COPY_THRESHOLD,
    FileReport,
    RelationTally,
    check,
    check_file,
    check_relations,
    text_similarity,
    values_as_shown,
)
from giptemplate.findings import CODES, Finding
from giptemplate.format.arithmetic import Number, arithmetic_for
from giptemplate.format.layout import layout_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import DEFAULT_SCOPE, Spec
from giptemplate.workbook.submission import LabelMismatch, StoredTotal, Submission, TableMove

# ---------------------------------------------------------------------------------------------- helpers


def codes(findings: list[Finding]) -> Counter[str]:
    return Counter(f.code for f in findings)


def rules(findings: list[Finding], code: str) -> set[str]:
    return {f.rule for f in findings if f.code == code and f.rule}


def values_of(spec: Spec, seed: int = 0) -> dict[str, Number]:
    return consistent_values(spec, random.Random(seed))


def nonzero_fill(spec: Spec, seed: int = 3) -> dict[str, Number]:
    """A fill where every input is non-zero except the department row, so single-cell changes are meaningful."""
    return consistent_values(spec, random.Random(seed), density=1.0)


def coefficient(spec: Spec, relation_key: str, cell: str) -> int:
    """How often an input cell counts on the lhs minus the rhs of a relation once every total is expanded."""
    arithmetic = arithmetic_for(spec)

    def expand(key: str) -> Counter[str]:
        if key in arithmetic.formula_of:
            out: Counter[str] = Counter()
            for dep in arithmetic.formula_of[key].rhs:
                out.update(expand(dep))
            return out
        return Counter({key: 1})

    relation = next(r for r in spec.relations if r.rule_id == relation_key)
    lhs: Counter[str] = Counter()
    rhs: Counter[str] = Counter()
    for k in relation.lhs:
        lhs.update(expand(k))
    for k in relation.rhs:
        rhs.update(expand(k))
    return lhs[cell] - rhs[cell]


# ---------------------------------------------------------------------------------------------- clean fills


def test_clean_fill_gives_no_finding_at_all(any_spec: Spec) -> None:
    spec = any_spec
    report = check_file(build(spec))
    assert report.findings == ()
    assert report.tally == RelationTally(passed=len(spec.relations), failed=0, not_assessable=0)
    assert report.status == "通过"
    assert report.verdict().startswith("通过：无问题；")
    assert f"{len(spec.relations)} 条通过，0 条未通过，0 条无法判断" in report.verdict()


def test_every_emitted_code_is_catalogued(spec: Spec) -> None:
    values = values_of(spec)
    values["t3.R5.c1"] = values["t3.R5.c1"] + 4
    sub = build(spec, values, meta={"unit_name": "", "scope": "", "phone": ""}, texts={})
    for finding in check(sub):
        assert finding.code in CODES
        assert finding.unit_code == sub.unit_code
        assert finding.file == sub.file


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), density=st.floats(0.0, 1.0))
def test_any_consistent_fill_has_no_error(spec: Spec, seed: int, density: float) -> None:
    values = consistent_values(spec, random.Random(seed), density=density)
    submission = build(spec, values)
    assert values_as_shown(submission) == submission.values  # nothing typed over: as shown = recomputed
    report = check_file(submission)
    assert not [f for f in report.findings if f.severity == "error"]
    assert report.tally is not None and report.tally.failed == 0 and report.tally.not_assessable == 0


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), pick=st.integers(0, 10**6), delta=st.integers(1, 40))
def test_changing_one_input_fails_exactly_the_relations_through_it(
    spec: Spec, seed: int, pick: int, delta: int
) -> None:
    values = consistent_values(spec, random.Random(seed))
    inputs = spec.input_cells
    cell = inputs[pick % len(inputs)]
    changed = dict(values)
    changed[cell.key] = values[cell.key] + delta
    findings = check(build(spec, changed))
    arithmetic = arithmetic_for(spec)
    shown = build(spec, values).values

    def diff_after(relation_key: str) -> int:
        """lhs - rhs once the input moved: the margin it had, moved by delta times the cell's coefficient."""
        relation = next(r for r in spec.relations if r.rule_id == relation_key)
        margin = sum(shown[k] or 0 for k in relation.lhs) - sum(shown[k] or 0 for k in relation.rhs)
        return int(margin) + coefficient(spec, relation_key, cell.key) * delta

    # an equality fails on any move; a soft "≥" (2019's 对外公开总数量 ≥ 本年新公开数量) only when its margin is used up
    expected = {
        (r.code, r.rule_id)
        for r in spec.relations
        if cell.key in arithmetic.relation_inputs(r)
        and coefficient(spec, r.rule_id, cell.key) != 0
        and (r.op == "=" or diff_after(r.rule_id) < 0)
    }
    got = {(f.code, f.rule) for f in findings if f.code.startswith("A")}
    assert got == expected
    # nothing else changes: the only other finding possible is the department-row hint, which the scope excludes
    assert {f.code for f in findings} <= {c for c, _ in expected}
    for f in findings:
        assert f.diff is not None and Decimal(f.diff) == diff_after(f.rule)
        assert abs(Decimal(f.diff)) == delta or next(r for r in spec.relations if r.rule_id == f.rule).op == "≥"


# ---------------------------------------------------------------------------------------------- relations


def test_a303_fails_alone_when_a_new_application_is_added(spec: Spec) -> None:
    values = values_of(spec)
    values["t3.R1.c1"] = values["t3.R1.c1"] + 3
    findings = check(build(spec, values))
    assert codes(findings) == Counter({"A303": 2})
    assert rules(findings, "A303") == {"t3_balance[c1]", "t3_balance[c7]"}
    first = next(f for f in findings if f.rule == "t3_balance[c1]")
    assert first.diff == "3" and first.sheet == "表三" and first.cell == layout_for(spec).cells["t3.R1.c1"].a1
    assert "自然人列" in first.message and "相差 3" in first.message


def test_typed_result_total_fails_a302_while_adjusted_balance_holds(spec: Spec) -> None:
    """checks.md: a typed （七） and an adjusted 四 keep 一+二 = （七）+四 true; A302 must still fail."""
    values = values_of(spec)
    recomputed = build(spec, values).values["t3.R24.c1"]
    assert recomputed is not None
    values["t3.R25.c1"] = values["t3.R25.c1"] + 10  # make room to take 3 away without going negative
    values["t3.R1.c1"] = values["t3.R1.c1"] + 10
    values["t3.R25.c1"] = values["t3.R25.c1"] - 3
    sub = build(spec, values, stored={"t3.R24.c1": typed_total(spec, "t3.R24.c1", recomputed + 3)})
    findings = check(sub)
    assert codes(findings) == Counter({"S105": 1, "A302": 2})
    assert rules(findings, "A302") == {"t3_result_total[c1]", "t3_result_total[c7]"}
    a302 = next(f for f in findings if f.rule == "t3_result_total[c1]")
    assert a302.actual == str(recomputed + 3) and a302.expected == str(recomputed) and a302.diff == "3"
    assert a302.message.startswith("「（七）总计」自然人列为")
    assert "相差 3" in a302.message
    assert a302.cell == layout_for(spec).cells["t3.R24.c1"].a1
    s105 = next(f for f in findings if f.code == "S105")
    assert s105.cell_key == "t3.R24.c1" and s105.expected == str(recomputed)
    # the trusted values stay recomputed; the values as shown carry the typed number into 总计
    assert sub.values["t3.R24.c1"] == recomputed
    shown = values_as_shown(sub)
    assert shown["t3.R24.c1"] == recomputed + 3
    assert shown["t3.R24.c7"] == sub.values["t3.R24.c7"] + 3  # type: ignore[operator]


def test_typed_row_total_fails_a301(spec: Spec) -> None:
    values = values_of(spec)
    right = build(spec, values).values["t3.R3.c7"]
    assert right is not None
    findings = check(build(spec, values, stored={"t3.R3.c7": typed_total(spec, "t3.R3.c7", right + 2)}))
    assert codes(findings) == Counter({"S105": 1, "A301": 1, "A302": 1})
    assert rules(findings, "A301") == {"t3_row_total[R3]"}
    assert rules(findings, "A302") == {"t3_result_total[c7]"}


def test_typed_group_total_fails_a304(spec: Spec) -> None:
    values = values_of(spec)
    findings = check(build(spec, values, stored={"t4.cases.k10": typed_total(spec, "t4.cases.k10", 999)}))
    assert codes(findings) == Counter({"S105": 1, "A304": 1})
    (a304,) = [f for f in findings if f.code == "A304"]
    assert a304.rule == "t4_group_total[direct]" and a304.actual == "999"
    assert a304.sheet == "表四"


def test_typed_total_equal_to_the_sum_is_still_s105_but_no_relation_fails(spec: Spec) -> None:
    values = values_of(spec)
    right = build(spec, values).values["t4.cases.k5"]
    findings = check(build(spec, values, stored={"t4.cases.k5": typed_total(spec, "t4.cases.k5", right)}))
    assert codes(findings) == Counter({"S105": 1})


def test_blank_input_makes_the_relations_through_it_not_assessable(any_spec: Spec) -> None:
    spec = any_spec
    values: dict[str, Number | None] = dict(values_of(spec))
    values["t3.R5.c2"] = None
    report = check_file(build(spec, values))
    findings = list(report.findings)
    arithmetic = arithmetic_for(spec)
    through = {r.rule_id for r in spec.relations if "t3.R5.c2" in arithmetic.relation_inputs(r)}
    assert rules(findings, "A390") == through
    assert codes(findings) == Counter({"A390": len(through), "V203": 1})
    assert report.tally == RelationTally(len(spec.relations) - len(through), 0, len(through))
    a390 = next(f for f in findings if f.rule == "t3_balance[c2]")
    assert layout_for(spec).cells["t3.R5.c2"].a1 in a390.message and a390.severity == "warning"
    assert "无法判断" in report.verdict()


def test_typed_total_over_a_blank_leaf_is_assessed_as_shown(spec: Spec) -> None:
    values: dict[str, Number | None] = dict(values_of(spec))
    values["t3.R5.c1"] = None
    sub = build(spec, values, stored={"t3.R24.c1": typed_total(spec, "t3.R24.c1", 5)})
    findings = check(sub)
    # t3_result_total[c1] reads the blank leaf: not assessable; t3_balance[c1] reads only the typed total
    assert "t3_result_total[c1]" in rules(findings, "A390")
    assert "t3_balance[c1]" not in rules(findings, "A390")


def test_check_relations_on_an_aggregate(any_spec: Spec) -> None:
    spec = any_spec
    arithmetic = arithmetic_for(spec)
    a, b = values_of(spec, 1), values_of(spec, 2)
    summed: dict[str, Number | None] = {k: a[k] + b[k] for k in a}
    summed.update(arithmetic.derive(summed))
    tally = RelationTally()
    assert check_relations(spec, summed, file="汇总", tally=tally) == []
    assert tally.passed == len(spec.relations)
    summed["t3.R2.c3"] = summed["t3.R2.c3"] + 1  # type: ignore[operator]
    summed.update(arithmetic.derive({k: summed[k] for k in a}))
    findings = check_relations(spec, summed, file="汇总", unit_name="全县")
    assert rules(findings, "A303") == {"t3_balance[c3]", "t3_balance[c7]"}
    assert all(f.file == "汇总" and f.unit_name == "全县" for f in findings)
    assert tally.line() == f"关系校验：{len(spec.relations)} 条通过，0 条未通过，0 条无法判断"


def test_missing_table_sheet_is_reported_once_per_relation(any_spec: Spec) -> None:
    spec = any_spec
    sub = build(spec, values_of(spec), missing_sheets=("表四",))
    for key in [c.key for c in spec.table("t4").cells]:
        sub.cells.pop(key, None)
        sub.stored.pop(key, None)
    report = check_file(sub)
    findings = list(report.findings)
    assert codes(findings) == Counter({"S101": 1, "A390": 1})
    assert rules(findings, "A390") == {"t4_group_total[*]"}
    t4_relations = sum(1 for r in spec.relations if r.table == "t4")
    assert report.tally is not None and report.tally.not_assessable == t4_relations


# ---------------------------------------------------------------------------------------------- stored totals


def test_stale_cache_is_s106_and_missing_cache_is_nothing(any_spec: Spec) -> None:
    spec = any_spec
    values = values_of(spec)
    sub = build(spec, values)
    place = layout_for(spec).cells["t3.R24.c3"]
    stale = StoredTotal("t3.R24.c3", place, (sub.values["t3.R24.c3"] or 0) + 7, True)
    assert codes(check(build(spec, values, stored={"t3.R24.c3": stale}))) == Counter({"S106": 1})
    none = {c.key: StoredTotal(c.key, layout_for(spec).cells[c.key], None, True) for c in spec.derived_cells}
    assert check(build(spec, values, stored=none)) == []


def test_cleared_total_is_s105_and_not_assessable(any_spec: Spec) -> None:
    spec = any_spec
    values = values_of(spec)
    cleared = StoredTotal("t4.cases.k5", layout_for(spec).cells["t4.cases.k5"], None, False, "blank")
    findings = check(build(spec, values, stored={"t4.cases.k5": cleared}))
    assert codes(findings) == Counter({"S105": 1, "A390": 1})
    assert "清空" in next(f for f in findings if f.code == "S105").message


def test_format_without_formula_information(spec: Spec) -> None:
    """xls/ods: a total showing another number than its parts is reported once as S106 and fails its relation."""
    values = values_of(spec)
    right = build(spec, values).values["t4.cases.k15"]
    unknown = StoredTotal("t4.cases.k15", layout_for(spec).cells["t4.cases.k15"], (right or 0) + 1, None)
    findings = check(build(spec, values, stored={"t4.cases.k15": unknown}))
    assert codes(findings) == Counter({"S106": 1, "A304": 1})


# ---------------------------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("raw", "value", "state", "norms", "code", "severity"),
    [
        ("若干", None, "invalid", (), "V201", "error"),
        ("见附件", None, "invalid", (), "V201", "error"),
        (-3.0, None, "invalid", (), "V202", "error"),
        (-3.0, -3, "ok", (), "V202", "error"),
        (None, None, "blank", (), "V203", "error"),
        ("—", None, "blank", ("blank_word",), "V203", "error"),
        ("/", None, "blank", ("blank_word",), "V203", "error"),
        (3.5, None, "invalid", (), "V204", "error"),
        ("３.５", None, "invalid", (), "V204", "error"),
        ("１２", 12, "ok", ("text_number", "full_width"), "V205", "info"),
        ("1,234", 1234, "ok", ("text_number", "thousands"), "V205", "info"),
        ("12件", 12, "ok", ("text_number", "unit_word"), "V205", "info"),
        ("#DIV/0!", None, "error", (), "V209", "error"),
        (1e9, 10**9, "ok", (), "V212", "error"),
    ],
)
def test_count_cell_values(
    spec: Spec, raw: object, value: Number | None, state: str, norms: tuple[str, ...], code: str, severity: str
) -> None:
    key = "t3.R8.c1"
    values: dict[str, Number | None] = dict(values_of(spec))
    values[key] = value if state == "ok" else None
    sub = build(spec, values, cells={key: cell_value(spec, key, raw, value, state, *norms)})
    findings = [f for f in check(sub) if not f.code.startswith("A")]
    assert [(f.code, f.severity) for f in findings] == [(code, severity)]
    (finding,) = findings
    assert finding.cell_key == key and finding.cell == layout_for(spec).cells[key].a1 and finding.sheet == "表三"
    if isinstance(raw, str) and state != "blank":
        assert raw in finding.message
    if state != "ok":
        assert rules(check(sub), "A390")  # the relations through it are not assessable
    if raw == "—":
        assert "“—”" in finding.message


def test_annotation_needs_explanation_and_keeps_note(spec: Spec) -> None:
    key = spec.row_cells("t2.norm")[0].key  # 2021 本年制发件数, 2019 本年新制作数量 of (行政)规范性文件
    values: dict[str, Number | None] = dict(values_of(spec))
    values[key] = 12
    cv = cell_value(spec, key, "12（其中修订5件）", 12, "ok", "annotation", note="其中修订5件")
    findings = check(build(spec, values, cells={key: cv}))
    (f,) = findings
    assert (f.code, f.severity) == ("V206", "explain")
    assert "其中修订5件" in f.message and f.extra["note"] == "其中修订5件"


@pytest.mark.parametrize(
    ("raw", "value", "norms", "expected"),
    [
        ("250元", Decimal("0.0250"), ("unit_converted",), [("V207", "explain")]),
        ("1.2万元", Decimal("1.2"), ("unit_matches",), [("V207", "info")]),
        (12.345678, Decimal("12.345678"), (), [("V208", "warning")]),
        (12.3456, Decimal("12.3456"), (), []),
        (1e12, Decimal("1000000000000"), (), [("V212", "error")]),
        (-1.5, Decimal("-1.5"), (), [("V202", "error")]),
    ],
)
@pytest.mark.spec_ids("gip2021")  # 2021 only: the 万元 fee amount (2019's 收费 is an item count; its 元 cell below)
def test_fee_cell_values(
    spec: Spec, raw: object, value: Decimal, norms: tuple[str, ...], expected: list[tuple[str, str]]
) -> None:
    key = spec.cross_year.fee
    values: dict[str, Number | None] = dict(values_of(spec))
    values[key] = value
    findings = check(build(spec, values, cells={key: cell_value(spec, key, raw, value, "ok", *norms)}))
    assert [(f.code, f.severity) for f in findings] == expected


PURCHASES = "t2.procurement.amount"  # 2019's 采购总金额


@pytest.mark.parametrize(
    ("key", "raw", "value", "norms", "expected"),
    [
        # 采购总金额 has no printed unit; reports write 元 inline (gip-format.md B1)
        (PURCHASES, "1234567.89元", Decimal("1234567.89"), ("text_number", "unit_matches"), [("V207", "info")]),
        (PURCHASES, "12.3万元", Decimal("123000"), ("text_number", "unit_converted"), [("V207", "explain")]),
        (PURCHASES, 12.345, Decimal("12.345"), (), [("V208", "warning")]),  # 元 with 2 decimals
        (PURCHASES, -5.0, Decimal("-5"), (), [("V202", "error")]),
        # 本年增/减 is signed ("减用负值表示，如-8"); 上一年项目数量 is not
        ("t2.licensing.change", -8.0, -8, (), []),
        ("t2.licensing.items", -8.0, -8, (), [("V202", "error")]),
    ],
)
@pytest.mark.spec_ids("gip2019")  # 2019 only: 采购总金额 in 元 and the signed 本年增/减
def test_2019_amount_and_signed_change_values(
    spec: Spec, key: str, raw: object, value: Number, norms: tuple[str, ...], expected: list[tuple[str, str]]
) -> None:
    values: dict[str, Number | None] = dict(values_of(spec))
    # room for -8 under 上一年项目数量 + 本年增/减 ≥ 0
    values["t2.licensing.items"], values["t2.licensing.change"] = 20, 0
    values[key] = value
    if key == "t2.licensing.items":
        values["t2.licensing.change"] = 10
    findings = check(build(spec, values, cells={key: cell_value(spec, key, raw, value, "ok", *norms)}))
    assert [(f.code, f.severity) for f in findings] == expected
    assert all(f.cell_key == key for f in findings)


def test_department_row_hint_only_for_unit_scope(spec: Spec) -> None:
    values = values_of(spec)
    row = spec.row_cells(spec.department_zero_row)
    values[row[0].key] = 3
    for cell in row[1:]:
        values[cell.key] = 0
    unit = check(build(spec, values, meta={"scope": DEFAULT_SCOPE}))
    assert [(f.code, f.severity, f.cell_key) for f in unit] == [("V210", "info", row[0].key)]
    assert check(build(spec, values)) == []  # the default scope of the factory is 本级政府汇总
    for cell in row:
        values[cell.key] = 0
    assert check(build(spec, values, meta={"scope": DEFAULT_SCOPE})) == []


# ---------------------------------------------------------------------------------------------- cover


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"unit_name": ""}, [("C701", "unit_name")]),
        ({"year": ""}, [("C702", "year")]),
        ({"year": "二〇二四"}, [("C702", "year")]),
        ({"year": "2023"}, [("C702", "year")]),
        ({"unit_code": "11410100MB12345670"}, [("C703", "unit_code")]),
        ({"unit_code": "11410100MB1234567I"}, [("C703", "unit_code")]),
        ({"unit_code": "12345"}, []),  # not an 18-character code: not checked
        ({"unit_code": ""}, []),
        ({"scope": ""}, [("C704", "scope")]),
        ({"scope": "全县"}, [("C704", "scope")]),
        ({"filler": ""}, [("C705", "filler")]),
        ({"phone": "", "filler": ""}, [("C705", "filler"), ("C705", "phone")]),
    ],
)
def test_cover_fields(spec: Spec, meta: dict[str, str], expected: list[tuple[str, str]]) -> None:
    findings = check(build(spec, meta=meta))
    got = sorted((f.code, f.extra["field"]) for f in findings)
    assert got == sorted(expected)
    layout = layout_for(spec)
    for f in findings:
        assert (f.sheet, f.cell) == (spec.cover_sheet, layout.fields[f.extra["field"]].a1)
        assert f.severity == CODES[f.code].severity


def test_c703_names_the_right_check_digit(spec: Spec) -> None:
    from giptemplate.format.uscc import check_digit

    body = "11410100MB1234567"
    wrong = body + ("0" if check_digit(body) != "0" else "1")
    (f,) = check(build(spec, meta={"unit_code": wrong}))
    assert f.expected == body + check_digit(body)


# ---------------------------------------------------------------------------------------------- narrative


def _texts(spec: Spec, **overrides: str) -> dict[str, str]:
    texts = good_texts(spec)
    texts.update(overrides)
    return texts


def _free_part(spec: Spec) -> str:
    """The first single-part section without required words (五): every format has one."""
    return next(s for s in spec.sections if len(s.parts) == 1 and not s.parts[0].require_any).parts[0].key


def _required_part(spec: Spec) -> str:
    """The part that must name some words (2021's 六: the 信息处理费)."""
    return next(p for p in spec.parts if p.require_any).key


def test_empty_overview_is_one_n601(spec: Spec) -> None:
    multi = next(s for s in spec.sections if len(s.parts) > 1)
    findings = check(build(spec, texts=_texts(spec, **{p.key: "" for p in multi.parts})))
    assert [(f.code, f.extra["part"]) for f in findings] == [("N601", multi.parts[0].key)]
    assert findings[0].cell == layout_for(spec).parts[multi.parts[0].key].a1


@pytest.mark.parametrize("text", ["", "无", "暂无。", " 无 ", "存在一些问题，将改进。"])
def test_problems_section_blank_or_short_is_n601(spec: Spec, text: str) -> None:
    free = _free_part(spec)
    findings = check(build(spec, texts=_texts(spec, **{free: text})))
    assert [(f.code, f.severity, f.extra["part"]) for f in findings] == [("N601", "error", free)]


def test_problems_section_long_enough_passes(spec: Spec) -> None:
    free = _free_part(spec)
    text = "一是政策解读形式较为单一；二是依申请公开答复规范性有待提高。下一步将加强培训，完善制度。"
    assert check(build(spec, texts=_texts(spec, **{free: text}))) == []


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("", True),
        ("无", True),
        ("本年度无其他需要报告的事项。", True),
        ("本机关依申请公开政府信息未收取信息处理费。", False),
        ("本年度未收费。", False),
        # As real published reports put it (the fixtures of tests/data/published/).
        ("2025年度我局无向申请人收取政府信息公开费用的情况，无因政府信息公开工作被追责问责的情况。", False),
        ("按照规定的按件、按量标准，本年度没有产生信息公开处理费。", False),
        ("本年度无因政府信息公开工作被追责问责的情况。", True),
    ],
)
@pytest.mark.spec_ids("gip2021")  # 2021 only: N602; the 信息处理费 regime (国办函〔2020〕109号) postdates 2019's
def test_fee_statement_in_other_matters(spec: Spec, text: str, fires: bool) -> None:
    required = _required_part(spec)
    findings = check(build(spec, texts=_texts(spec, **{required: text})))
    assert [(f.code, f.severity) for f in findings] == ([("N602", "warning")] if fires else [])


@pytest.mark.parametrize("text", ["", "无", "本年度无其他需要报告的事项。", "本年度无被追责问责的情况。"])
@pytest.mark.spec_ids("gip2019")  # 2019 only: before the fee regime a bare 无 in 六 was accepted (gip-format.md A6)
def test_other_matters_may_be_none_in_2019(spec: Spec, text: str) -> None:
    other = next(s for s in spec.sections if len(s.parts) == 1 and s.parts[0].optional)
    assert check(build(spec, texts=_texts(spec, **{other.parts[0].key: text}))) == []


def test_missing_sub_head_and_long_overview_are_n603(spec: Spec) -> None:
    multi = next(s for s in spec.sections if len(s.parts) > 1)
    one_empty = _texts(spec, **{multi.parts[2].key: ""})
    findings = check(build(spec, texts=one_empty))
    assert [(f.code, f.severity, f.extra["part"]) for f in findings] == [("N603", "info", multi.parts[2].key)]
    long = _texts(spec, **{multi.parts[1].key: "依申请公开工作规范有序。" * 100})
    findings = check(build(spec, texts=long))
    assert [(f.code, f.severity) for f in findings] == [("N603", "info")]
    assert "超过" in findings[0].message


# ---------------------------------------------------------------------------------------------- structure


def test_structure_observations(spec: Spec) -> None:
    sub = build(
        spec,
        values_of(spec),
        renamed_sheets={"表三": "Sheet3"},
        sheet_names=(spec.cover_sheet, spec.narrative_sheet, "表二", "Sheet3", "表四", "校验", "说明"),
        unprotected_sheets=("表二",),
        moves=[TableMove("t2", "表二", 1, 0, True)],
        label_mismatches=[
            LabelMismatch("Sheet3", "G5", "社会公益组织", "社会组织", "typo"),
            LabelMismatch("表二", "A6", "行政规范性文件", "规范性文件", "obsolete"),
            LabelMismatch(
                "表二", "B15", "本年收费金额（单位：万元）", "本年收费金额（单位：万元，保留4位小数）", "variant"
            ),
            LabelMismatch("Sheet3", "D4", "自然人", "个人", "altered"),
            LabelMismatch("Sheet3", "J4", "总计", "", "missing"),
        ],
    )
    findings = check(sub)
    got = sorted((f.code, f.severity) for f in findings)
    assert got == sorted(
        [
            ("S102", "info"),  # renamed
            ("S102", "info"),  # added 说明
            ("S103", "warning"),
            ("S104", "error"),
            ("S104", "error"),
            ("S107", "error"),
            ("S108", "warning"),
            ("S109", "info"),
            ("S110", "info"),
        ]
    )
    typo = next(f for f in findings if f.code == "S108")
    assert (typo.sheet, typo.cell, typo.expected, typo.actual) == ("Sheet3", "G5", "社会公益组织", "社会组织")
    assert "下移 1 行" in next(f for f in findings if f.code == "S103").message


def test_unlocated_table_is_s103_error(spec: Spec) -> None:
    sub = build(spec, values_of(spec), moves=[TableMove("t3", "表三", 0, 0, False)])
    findings = check(sub)
    assert ("S103", "error") in {(f.code, f.severity) for f in findings}
    assert not [f for f in findings if f.code.startswith("V")]  # cells of a table never found are not judged
    assert rules(findings, "A390") == {f"{r}[*]" for r in {r.key for r in spec.relations if r.table == "t3"}}


# ---------------------------------------------------------------------------------------------- across years


def _pair(spec: Spec) -> tuple[dict[str, Number], dict[str, Number]]:
    """Last year's fill and this year's, with 上年结转 equal to last year's 结转下年度 and stocks continuous."""
    before = values_of(spec, 11)
    now = values_of(spec, 12)
    cross = spec.cross_year
    now_cells = [c for c in [spec.cells[k] for k in spec.meaning_cells(cross.carry_current).values()] if not c.derived]
    old_cells = {c.column.key: c for c in [spec.cells[k] for k in spec.meaning_cells(cross.carry_previous).values()]}
    for cell in now_cells:
        now[cell.key] = before[old_cells[cell.column.key].key]
    for rule in cross.stock:
        now[rule.in_force] = before[rule.in_force] + now[rule.issued] - now[rule.repealed]
        if now[rule.in_force] < 0:
            now[rule.repealed] = 0
            now[rule.in_force] = before[rule.in_force] + now[rule.issued]
    return before, now


def test_balanced_years_give_no_cross_year_finding(any_spec: Spec) -> None:
    spec = any_spec
    before, now = _pair(spec)
    previous = build(spec, before, meta={"year": "2023", "report_year": "2023"}, texts=good_texts(spec, 2023, 5))
    findings = [f for f in check(build(spec, now), previous) if f.code[0] in "YN"]
    assert findings == []


def test_carry_over_mismatch_is_y501_per_column(any_spec: Spec) -> None:
    spec = any_spec
    before, now = _pair(spec)
    cross = spec.cross_year
    first = next(c for c in [spec.cells[k] for k in spec.meaning_cells(cross.carry_current).values()] if not c.derived)
    now[first.key] = now[first.key] + 2
    previous = build(spec, before, meta={"year": "2023"}, texts=good_texts(spec, 2023, 5))
    findings = [f for f in check(build(spec, now), previous) if f.code[0] in "YN"]
    assert sorted((f.code, f.rule) for f in findings) == [
        ("Y501", f"xy_carry[{first.column.key}]"),
        ("Y501", "xy_carry[c7]"),
    ]
    f = next(f for f in findings if f.rule == f"xy_carry[{first.column.key}]")
    assert f.severity == "error" and f.diff == "2" and "上年度（2023）" in f.message


@pytest.mark.spec_ids("gip2021")  # 2021 only: 现行有效件数 is a stock; 2019 has none (counterpart below)
def test_stock_discontinuity_is_y502_warning(spec: Spec) -> None:
    before, now = _pair(spec)
    rule = spec.cross_year.stock[0]
    now[rule.in_force] = now[rule.in_force] + 5
    previous = build(spec, before, meta={"year": "2023"}, texts=good_texts(spec, 2023, 5))
    findings = [f for f in check(build(spec, now), previous) if f.code[0] in "YN"]
    assert [(f.code, f.severity, f.cell_key, f.diff) for f in findings] == [("Y502", "warning", rule.in_force, "5")]


@pytest.mark.parametrize(
    ("old", "new", "fires"),
    [
        ("1.5", "15000", True),
        ("12000", "1.2", True),
        ("1.5", "12000", True),  # ~8,000x: 元 typed, and the amount moved a little
        ("1.5", "150", False),
        ("0", "15000", False),
    ],
)
@pytest.mark.spec_ids("gip2021")  # 2021 only: the 万元 fee amount; 2019's 收费 is an item count (counterpart below)
def test_fee_jump_is_y503(spec: Spec, old: str, new: str, fires: bool) -> None:
    before, now = _pair(spec)
    key = spec.cross_year.fee
    before[key], now[key] = Decimal(old), Decimal(new)
    previous = build(spec, before, meta={"year": "2023"}, texts=good_texts(spec, 2023, 5))
    findings = [f for f in check(build(spec, now), previous) if f.code[0] in "YN"]
    assert [f.code for f in findings] == (["Y503"] if fires else [])


@pytest.mark.spec_ids("gip2019")  # 2019 only: its 表二 has neither a stock nor a fee amount to compare (B1)
def test_2019_has_no_stock_or_fee_comparison_across_years(spec: Spec) -> None:
    """对外公开总数量 is a running total, not 2021's 现行有效件数, and 行政事业性收费 counts fee items: neither a
    jump in them nor a 10,000-fold item count is a Y502/Y503 finding."""
    from submission_factory import year_for

    assert spec.cross_year.stock == () and spec.cross_year.fee is None
    before, now = _pair(spec)
    now["t2.norm.total"] = now["t2.norm.total"] + now["t2.norm.published"] + 5
    before["t2.fees.items"], now["t2.fees.items"] = 1, 15000
    year = year_for(spec) - 1
    previous = build(spec, before, meta={"year": str(year)}, texts=good_texts(spec, year, 5))
    assert [f for f in check(build(spec, now), previous) if f.code[0] in "YN"] == []


def test_identical_tables_are_y505_and_copied_text_is_n604(spec: Spec) -> None:
    values = values_of(spec, 21)
    cross = spec.cross_year
    for cell in [
        spec.cells[k] for k in spec.meaning_cells(cross.carry_current).values()
    ]:  # identical tables still carry over consistently
        if not cell.derived:
            prev = next(
                c
                for c in [spec.cells[k] for k in spec.meaning_cells(cross.carry_previous).values()]
                if c.column.key == cell.column.key
            )
            values[cell.key] = values[prev.key]
    values = consistent_values_fixed(spec, values)
    texts_2023 = good_texts(spec, 2023, 5)
    previous = build(spec, values, meta={"year": "2023"}, texts=texts_2023)
    # the same texts with the year changed: digits are ignored, so this is a copy
    copied = {k: v.replace("2023", "2024") for k, v in texts_2023.items()}
    findings = [f for f in check(build(spec, values, texts=copied), previous) if f.code[0] in "YN"]
    got = Counter(f.code for f in findings)
    assert got["Y505"] == 1
    assert got["N604"] == len([s for s in spec.sections if s.parts and not any(p.require_any for p in s.parts)])
    n604 = next(f for f in findings if f.code == "N604")
    assert n604.extra["similarity"] >= COPY_THRESHOLD and "相似度" in n604.message


def consistent_values_fixed(spec: Spec, values: dict[str, Number]) -> dict[str, Number]:
    """Rebalance the check-only relations after editing a fill (as sample.consistent_values does)."""
    from giptemplate.format.arithmetic import Outcome

    arithmetic = arithmetic_for(spec)
    for relation in spec.relations:
        if relation.derives is not None:
            continue
        evaluation = arithmetic.evaluate(relation, {**values, **arithmetic.derive(values)})
        if evaluation.outcome is Outcome.FAIL and evaluation.diff is not None:
            rhs_input = next(k for k in reversed(relation.rhs) if k not in arithmetic.formula_of)
            lhs_input = next(k for k in relation.lhs if k not in arithmetic.formula_of)
            if evaluation.diff > 0:
                values[rhs_input] = values[rhs_input] + evaluation.diff
            else:
                values[lhs_input] = values[lhs_input] - evaluation.diff
    return values


def test_blank_cells_across_years_are_y591_not_silent(any_spec: Spec) -> None:
    spec = any_spec
    before, now = _pair(spec)
    previous_values: dict[str, Number | None] = dict(before)
    old = next(
        c for c in [spec.cells[k] for k in spec.meaning_cells(spec.cross_year.carry_previous).values()] if not c.derived
    )
    previous_values[old.key] = None
    previous = build(spec, previous_values, meta={"year": "2023"}, texts=good_texts(spec, 2023, 5))
    findings = [f for f in check(build(spec, now), previous) if f.code[0] in "YN"]
    assert [f.code for f in findings] == ["Y591"]
    assert len(findings[0].extra["cells"]) == 2  # the column and the 总计 it feeds


def test_no_previous_is_silent_unless_asked(any_spec: Spec) -> None:
    spec = any_spec
    sub = build(spec)
    assert check(sub) == []
    findings = check(sub, None, previous_expected=True)
    assert [(f.code, f.severity) for f in findings] == [("Y590", "info")]


# ---------------------------------------------------------------------------------------------- similarity


def test_text_similarity() -> None:
    a = "2023年，本机关主动公开政府信息1200条。加强政策解读，发布解读材料15篇；规范依申请公开办理流程。"
    b = "2024年，本机关主动公开政府信息1500条。加强政策解读，发布解读材料18篇；规范依申请公开办理流程。"
    assert text_similarity(a, a) == 1.0
    assert text_similarity(a, b) == 1.0  # only digits differ
    c = "今年重点推进基层政务公开标准化规范化建设，完善公开目录，开展线下政务公开专区改造。"
    assert text_similarity(a, c) < 0.3
    edited = a.replace("规范依申请公开办理流程", "优化依申请公开答复文书模板")
    assert 0.3 < text_similarity(a, edited) < 1.0
    assert text_similarity("", "") == 0.0


# ---------------------------------------------------------------------------------------------- reports


def test_file_report_status_and_counts(spec: Spec) -> None:
    values = values_of(spec)
    values["t3.R1.c2"] = values["t3.R1.c2"] + 1
    report = check_file(build(spec, values, meta={"phone": ""}))
    assert isinstance(report, FileReport)
    assert report.status == "有错误" and report.needs_return
    assert report.counts()["error"] == 2 and report.counts()["info"] == 1
    assert report.verdict().startswith("有错误：2 个错误，1 个提示；关系校验：")
    assert [f.severity for f in report.findings] == ["error", "error", "info"]  # sorted by severity


# ---------------------------------------------------------------------------------------------- through real files


def _edit(
    path: Path, out: Path, spec: Spec, cells: dict[str, int | Decimal | str], drop_sheet: str | None = None
) -> Path:
    """Type into a returned workbook with openpyxl (which, like many tools, saves without cached totals)."""
    import openpyxl

    layout = layout_for(spec)
    workbook = openpyxl.load_workbook(path)
    for key, value in cells.items():
        place = layout.cells[key]
        workbook[place.sheet].cell(place.row + 1, place.col + 1).value = value
    if drop_sheet:
        del workbook[drop_sheet]
    workbook.save(out)
    return out


def _sheet_xml_name(data: bytes, sheet: str) -> str:
    """The zip member holding ``sheet`` (workbook.xml names it, the relationships point at the part)."""
    import re
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        book = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet name="{re.escape(sheet)}" sheetId="\d+" r:id="(rId\d+)"', book)
    assert rid is not None
    target = re.search(rf'Id="{rid.group(1)}" Type="[^"]+" Target="([^"]+)"', rels)
    assert target is not None
    return "xl/" + target.group(1).removeprefix("/xl/")


def _set_input_keep_caches(path: Path, out: Path, spec: Spec, key: str, value: Number) -> Path:
    """Change one typed number inside the file without recalculating (what a non-calculating tool leaves)."""
    import re
    import zipfile

    data = path.read_bytes()
    place = layout_for(spec).cells[key]
    member = _sheet_xml_name(data, place.sheet)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == member:
                xml = content.decode()
                pattern = rf'(<c r="{place.a1}"[^>]*>)<v>[^<]*</v>'
                xml, n = re.subn(pattern, rf"\g<1><v>{value}</v>", xml)
                assert n == 1
                content = xml.encode()
            dst.writestr(item, content)
    out.write_bytes(buffer.getvalue())
    return out


@pytest.fixture(scope="module")
def returned(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Number]]:
    from submission_factory import write_filled

    values = values_of(spec, 41)
    path = write_filled(tmp_path_factory.mktemp("files") / "unit.xlsx", spec, values)
    return path, values


def test_file_clean_fill_reads_and_checks_clean(returned: tuple[Path, dict[str, Number]]) -> None:
    from giptemplate.workbook.reader import read_workbook

    path, _ = returned
    report = check_file(read_workbook(path))
    assert report.findings == () and report.tally is not None and report.tally.failed == 0


def test_file_typed_total_with_adjusted_balance(
    spec: Spec, returned: tuple[Path, dict[str, Number]], tmp_path: Path
) -> None:
    from giptemplate.workbook.reader import read_workbook

    path, values = returned
    sub = read_workbook(path)
    right = sub.values["t3.R24.c1"]
    assert right is not None
    values = dict(values)
    edited = _edit(
        path,
        tmp_path / "typed.xlsx",
        spec,
        {"t3.R24.c1": right + 3, "t3.R1.c1": values["t3.R1.c1"] + 10, "t3.R25.c1": values["t3.R25.c1"] + 7},
    )
    findings = check(read_workbook(edited))
    assert codes(findings) == Counter({"S105": 1, "A302": 2})
    a302 = next(f for f in findings if f.rule == "t3_result_total[c1]")
    assert (a302.sheet, a302.cell, a302.diff) == ("表三", layout_for(spec).cells["t3.R24.c1"].a1, "3")


def test_file_typed_values(spec: Spec, returned: tuple[Path, dict[str, Number]], tmp_path: Path) -> None:
    from giptemplate.workbook.reader import read_workbook

    path, _ = returned
    norm = spec.row_cells("t2.norm")[0].key
    amount = next(c for c in spec.input_cells if not c.type.integral)  # 2021: the fee in 万元; 2019: 采购总金额 in 元
    other_unit = "250元" if amount.type.unit == "万元" else "2.5万元"  # converted: needs explanation
    edited = _edit(
        path,
        tmp_path / "typed_values.xlsx",
        spec,
        {"t3.R8.c2": "—", norm: "12（其中修订5件）", amount.key: other_unit, "t3.R9.c3": "若干"},
    )
    findings = check(read_workbook(edited))
    by_key = {(f.code, f.cell_key) for f in findings if f.code.startswith("V")}
    assert by_key == {("V203", "t3.R8.c2"), ("V206", norm), ("V207", amount.key), ("V201", "t3.R9.c3")}
    arithmetic = arithmetic_for(spec)
    blocked = {r.rule_id for r in spec.relations if {"t3.R8.c2", "t3.R9.c3"} & set(arithmetic.relation_inputs(r))}
    assert rules(findings, "A390") == blocked


def test_file_missing_sheet(spec: Spec, returned: tuple[Path, dict[str, Number]], tmp_path: Path) -> None:
    from giptemplate.workbook.reader import read_workbook

    path, _ = returned
    table = spec.table("t4")
    edited = _edit(path, tmp_path / "no_t4.xlsx", spec, {}, drop_sheet=table.sheet)
    findings = check(read_workbook(edited))
    assert ("S101", table.sheet) in {(f.code, f.sheet) for f in findings}
    assert not [f for f in findings if f.code.startswith("V")]
    assert not [f for f in findings if f.severity == "error" and f.code != "S101"]


def test_file_not_recalculated_is_s106(spec: Spec, returned: tuple[Path, dict[str, Number]], tmp_path: Path) -> None:
    from giptemplate.workbook.reader import read_workbook

    path, values = returned
    key = "t3.R5.c1"
    edited = _set_input_keep_caches(path, tmp_path / "stale.xlsx", spec, key, values[key] + 5)
    findings = check(read_workbook(edited))
    arithmetic = arithmetic_for(spec)
    stale = {k for k in arithmetic.formula_of if key in arithmetic.inputs_of(k)}
    assert {f.cell_key for f in findings if f.code == "S106"} == stale
    assert all(f.severity == "warning" and "未重新计算" in f.message for f in findings if f.code == "S106")
    assert rules(findings, "A303") == {"t3_balance[c1]", "t3_balance[c7]"}
    assert {f.code for f in findings} == {"S106", "A303"}


# ---------------------------------------------------------------------------------------------- previous year


@pytest.mark.spec_ids("gip2021")  # 2021 only: needs three report years (2022–2024); 2019 spans two, same code path
def test_previous_for_matches_code_then_name_and_prefers_last_year(spec: Spec) -> None:
    from submission_factory import unit_code

    from giptemplate.checks.previous import PreviousIndex, previous_for

    def sub(year: int, name: str, code: str, file: str, saved: str = "") -> Submission:
        s = build(spec, meta={"year": str(year), "unit_name": name, "unit_code": code}, file=file)
        s.saved_at = saved
        s.sha256 = file.ljust(64, "0")
        return s

    code_a, code_b = unit_code("11410100MB0000001"), unit_code("11410100MB0000002")
    index = PreviousIndex()
    older = sub(2022, "郑县教育局", code_a, "a2022.xlsx")
    last = sub(2023, "郑县教育局", code_a, "a2023.xlsx", "2024-01-10T00:00:00Z")
    resent = sub(2023, "郑县教育局", code_a, "a2023b.xlsx", "2024-01-20T00:00:00Z")
    same_year = sub(2024, "郑县教育局", code_a, "a2024.xlsx")
    by_name = sub(2023, "郑县 公安局（本级）", "", "b2023.xlsx")
    for s in (older, last, resent, same_year, by_name):
        index.add(s)
    current = sub(2024, "郑县教育局", code_a.lower(), "now.xlsx")
    assert previous_for(index, current) is resent  # last year, saved last; never the same year
    assert previous_for(index, sub(2024, "郑县公安局(本级)", "", "b.xlsx")) is by_name  # NFKC, no spaces
    assert previous_for(index, sub(2024, "郑县教育局", code_b, "c.xlsx")) is resent  # code unknown: by name
    assert previous_for(index, sub(2024, "别的单位", code_b, "d.xlsx")) is None
    assert previous_for(index, sub(2023, "郑县教育局", code_a, "e.xlsx")) is older
