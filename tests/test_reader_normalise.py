"""Normalisation of typed values and of labels (gip-format.md C2), case by case."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from giptemplate.format.spec import CellType, Spec, all_specs
from giptemplate.workbook.normalise import (
    field_text,
    is_near_miss,
    label_key,
    parse_value,
    parse_year,
)

# every cell type any format declares (2021's count and fee; 2019's signed count and 元 amount)
TYPES: dict[str, CellType] = {key: t for spec in all_specs() for key, t in spec.cell_types.items()}

# raw, cell type, value, state, normalisations, note
CASES: list[tuple[object, str, object, str, tuple[str, ...], str]] = [
    (None, "count", None, "blank", (), ""),
    ("", "count", None, "blank", (), ""),
    (0.0, "count", 0, "ok", (), ""),
    (0, "count", 0, "ok", (), ""),
    (5.0, "count", 5, "ok", (), ""),
    (123456789.0, "count", 123456789, "ok", (), ""),
    ("0", "count", 0, "ok", ("text_number",), ""),
    ("12", "count", 12, "ok", ("text_number",), ""),
    (" 12 ", "count", 12, "ok", ("text_number", "spaces"), ""),
    ("\u300012\u3000", "count", 12, "ok", ("text_number", "spaces"), ""),
    ("１２", "count", 12, "ok", ("text_number", "full_width"), ""),
    ("1,234", "count", 1234, "ok", ("text_number", "thousands"), ""),
    ("1，234", "count", 1234, "ok", ("text_number", "thousands"), ""),
    ("1,234,567", "count", 1234567, "ok", ("text_number", "thousands"), ""),
    ("12件", "count", 12, "ok", ("text_number", "unit_word"), ""),
    ("12 件", "count", 12, "ok", ("text_number", "unit_word"), ""),
    ("5.0", "count", 5, "ok", ("text_number",), ""),
    ("12（其中修订5件）", "count", 12, "ok", ("text_number", "annotation"), "其中修订5件"),
    ("30（含自然失效8件）", "count", 30, "ok", ("text_number", "annotation"), "含自然失效8件"),
    ("12件(含转办3件)", "count", 12, "ok", ("text_number", "unit_word", "annotation"), "含转办3件"),
    ("—", "count", None, "blank", ("blank_word",), ""),
    ("——", "count", None, "blank", ("blank_word",), ""),
    ("－", "count", None, "blank", ("blank_word",), ""),
    ("-", "count", None, "blank", ("blank_word",), ""),
    ("–", "count", None, "blank", ("blank_word",), ""),
    ("/", "count", None, "blank", ("blank_word",), ""),
    ("／", "count", None, "blank", ("blank_word",), ""),
    ("无", "count", None, "blank", ("blank_word",), ""),
    ("   ", "count", None, "blank", ("blank_word",), ""),
    ("\u3000", "count", None, "blank", ("blank_word",), ""),
    ("\u200b", "count", None, "blank", ("blank_word",), ""),
    (5.5, "count", None, "invalid", (), ""),
    ("5.5", "count", None, "invalid", ("text_number",), ""),
    (-3.0, "count", None, "invalid", (), ""),
    ("-3", "count", None, "invalid", ("text_number",), ""),
    ("\u22123", "count", None, "invalid", ("text_number",), ""),
    ("见附件", "count", None, "invalid", (), ""),
    ("若干", "count", None, "invalid", (), ""),
    ("约12", "count", None, "invalid", (), ""),
    ("1,23", "count", None, "invalid", (), ""),
    ("1.2.3", "count", None, "invalid", (), ""),
    ("12abc", "count", None, "invalid", ("text_number",), ""),
    (True, "count", None, "invalid", (), ""),
    (datetime.datetime(2024, 1, 2), "count", None, "invalid", (), ""),
    ("#DIV/0!", "count", None, "error", (), ""),
    ("#REF!", "count", None, "error", (), ""),
    ("Err:502", "count", None, "error", (), ""),
    (0.1234, "fee", Decimal("0.1234"), "ok", (), ""),
    (12.345678, "fee", Decimal("12.345678"), "ok", (), ""),
    (3, "fee", Decimal(3), "ok", (), ""),
    (0.1, "fee", Decimal("0.1"), "ok", (), ""),
    ("12.5", "fee", Decimal("12.5"), "ok", ("text_number",), ""),
    ("250元", "fee", Decimal("0.025"), "ok", ("text_number", "unit_converted"), ""),
    ("1,250 元", "fee", Decimal("0.125"), "ok", ("text_number", "thousands", "unit_converted"), ""),
    ("1.2万元", "fee", Decimal("1.2"), "ok", ("text_number", "unit_matches"), ""),
    ("1.2万", "fee", Decimal("1.2"), "ok", ("text_number", "unit_matches"), ""),
    ("-1.5", "fee", None, "invalid", ("text_number",), ""),
    ("无", "fee", None, "blank", ("blank_word",), ""),
    ("12件", "fee", None, "invalid", ("text_number",), ""),
    # 2019: 本年增/减 is signed ("减用负值表示，如-8"), 采购总金额 is in 元
    ("-8", "signed_count", -8, "ok", ("text_number",), ""),
    (-8.0, "signed_count", -8, "ok", (), ""),
    ("−8", "signed_count", -8, "ok", ("text_number",), ""),
    ("-8.5", "signed_count", None, "invalid", ("text_number",), ""),
    ("1234567.89元", "yuan", Decimal("1234567.89"), "ok", ("text_number", "unit_matches"), ""),
    ("12.3万元", "yuan", Decimal("123000"), "ok", ("text_number", "unit_converted"), ""),
    ("-5", "yuan", None, "invalid", ("text_number",), ""),
]


@pytest.mark.parametrize(
    ("raw", "cell_type", "value", "state", "norms", "note"), CASES, ids=[repr(c[:2]) for c in CASES]
)
def test_parse_value(raw: object, cell_type: str, value: object, state: str, norms: tuple[str, ...], note: str) -> None:
    parsed = parse_value(raw, TYPES[cell_type])
    assert (parsed.value, parsed.state, parsed.normalisations, parsed.note) == (value, state, norms, note)
    assert type(parsed.value) is type(value)  # int for counts, Decimal for the fee, never float


@pytest.mark.parametrize(
    ("raw", "cell_type", "number", "problem"),
    [
        ("-3", "count", -3, "negative"),
        (-3.0, "count", -3, "negative"),
        ("5.5", "count", Decimal("5.5"), "not_whole"),
        (5.5, "count", Decimal("5.5"), "not_whole"),
        ("见附件", "count", None, "not_number"),
        ("-1.5", "fee", Decimal("-1.5"), "negative"),
    ],
)
def test_invalid_values_keep_the_number_they_spell(raw: object, cell_type: str, number: object, problem: str) -> None:
    parsed = parse_value(raw, TYPES[cell_type])
    assert parsed.state == "invalid" and parsed.value is None
    assert (parsed.number, parsed.problem) == (number, problem)


def test_fee_from_float_is_the_decimal_excel_displays() -> None:
    # the cell stores the binary 0.30000000000000004; Excel and WPS show (and the filler meant) 0.3
    parsed = parse_value(0.1 + 0.2, TYPES["fee"])
    assert parsed.value == Decimal("0.3")
    assert parse_value(12345.6789, TYPES["fee"]).value == Decimal("12345.6789")
    assert parse_value(1 / 3, TYPES["fee"]).value == Decimal("0.333333333333333")  # 15 significant digits, then V208


@pytest.mark.parametrize(
    ("raw", "cell_type", "maximum"),
    [
        ("9" * 401, "count", 99_999_999),
        (1e308, "fee", 99_999_999),
        (100_000_000, "count", 99_999_999),
        ("100000000", "count", 99_999_999),
        (1e16, "count", 10**15),
        (-100_000_000, "signed_count", 99_999_999),  # a signed count is bounded both ways
    ],
)
def test_numbers_beyond_the_limit_are_never_values(raw: object, cell_type: str, maximum: int) -> None:
    parsed = parse_value(raw, TYPES[cell_type], maximum)
    assert (parsed.state, parsed.value, parsed.problem) == ("invalid", None, "too_large")
    assert parsed.number is not None and abs(parsed.number) > maximum
    assert parse_value(maximum, TYPES[cell_type], maximum).value == maximum


@pytest.mark.parametrize("raw", [True, False])
def test_booleans_are_not_numbers(raw: bool) -> None:
    assert parse_value(raw, TYPES["count"]).state == "invalid"


@pytest.mark.parametrize(
    ("typed", "official"),
    [
        ("(一)予以公开", "（一）予以公开"),
        ("( 一 ) 予以公开", "（一）予以公开"),
        ("1、属于国家秘密", "1.属于国家秘密"),
        ("1．属于国家秘密", "1.属于国家秘密"),
        ("1 . 属于国家秘密", "1.属于国家秘密"),
        ('3.危及"三安全一稳定"', "3.危及“三安全一稳定”"),
        ("3.危及「三安全一稳定」", "3.危及“三安全一稳定”"),
        ("3.危及『三安全一稳定』", "3.危及“三安全一稳定”"),
        ("自然\n人", "自然人"),
        ("\u3000自然人\u00a0", "自然人"),
        ("自\u200b然人", "自然人"),
        ("（本列数据的勾稽关系为:第一项加第二项之和, 等于第三项加第四项之和)", None),
        ("第二十条第(一)项", "第二十条第（一）项"),
        ("第二十条第（１）项", "第二十条第（1）项"),
        ("本年增／减", "本年增/减"),  # 2019's header typed with a full-width slash
    ],
)
def test_label_keys(spec: Spec, typed: str, official: str | None) -> None:
    if official is None:
        official = spec.table("t3").labels[0].text
    assert label_key(typed) == label_key(official)


@pytest.mark.parametrize(
    ("found", "official", "near"),
    [
        ("社会组织", "社会公益组织", True),
        ("2.其他法律法规禁止公开", "2.其他法律行政法规禁止公开", True),
        ("行政规范文件", "行政规范性文件", True),
        ("结果纠正", "结果维持", False),
        ("本年废止件数", "本年制发件数", False),
        ("行政处罚", "行政许可", False),
        ("自然人", "自然人", False),  # equal is not a near miss
    ],
)
def test_near_misses(found: str, official: str, near: bool) -> None:
    assert is_near_miss(label_key(found), label_key(official)) is near


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (None, ""),
        ("", ""),
        ("  某局 ", "某局"),
        (2024.0, "2024"),
        (2024, "2024"),
        (13800138000.0, "13800138000"),
        (datetime.datetime(2025, 1, 20), "2025-01-20"),
        (datetime.date(2025, 1, 20), "2025-01-20"),
    ],
)
def test_field_text(raw: object, text: str) -> None:
    assert field_text(raw) == text


@pytest.mark.parametrize(
    ("text", "year"), [("2024", 2024), ("２０２４", 2024), ("2024年", 2024), ("2024年度", 2024), ("去年", None)]
)
def test_parse_year(text: str, year: int | None) -> None:
    assert parse_year(text) == year
