"""The text-against-table recogniser on real sentences (from the fixtures' narratives and the seed report), and the
T901/T902 checks on returned workbooks' 文字内容 as on published documents."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from giptemplate.checks.checker import check_file
from giptemplate.checks.textclaims import Claims, _screen, chinese_number, claim_findings, claims_for, read_claims
from giptemplate.format.spec import Spec, spec_by_id
from tests.published_cases import FIXTURES
from tests.submission_factory import build, good_texts

CLAIMS = claims_for("gip2021")

# (sentence as printed in a real report, expected readings {claim: number}); {} means: says nothing about a cell.
SENTENCES: list[tuple[str, dict[str, int]]] = [
    # pingtan_gaj_2022
    (
        "2022年，我局收到政府信息公开申请1件，已按照相关法规，逐级审查办理，区分可以公开和不予公开部分内容后，作出答复",
        {"new": 1},
    ),
    ("结转上年度政府信息公开申请1件，因申请人无正当理由逾期不补正，不再处理其政府信息公开申请", {"carried": 1}),
    (
        "全年没有应公开而不予公开的情况，没有因政府信息公开针对区公安局申请行政复议或行政诉讼的事项",
        {"review": 0, "litigation": 0},
    ),
    ("全年累计主动公开公安政府信息179条，全文电子化达100%", {}),
    ("2022年，无收取信息处理费情况", {"processing_fee": 0}),
    ("年内，制发《平潭综合实验区公安局关于进一步规范政府信息公开工作的通知》", {}),
    # pingtan_zrzyyshjj_2023
    ("全年政府信息主动公开52条，其中政策及规范性文件类3条，国土资源城乡建设环保能源类信息 45，其他类4条", {}),
    ("办理依申请公开19件", {"closed": 19}),
    # pingtan_jinjing_pianqu_2024
    ("2024年共收到依申请公开8件，均已按期答复办结", {"new": 8}),
    ("全年未发生因政府信息公开工作被申请行政复议或提起行政诉讼的情况", {"review": 0, "litigation": 0}),
    ("严格按照政府信息公开的相关规定要求，2024年累计主动公开政府信息37条，其中重大建设项目的批准和实施情况1条", {}),
    # pingtan_shsyj_2025
    ("全年受理依申请公开3件，均在法定时限内办结，答复准确率100%", {"new": 3}),
    ("（一） 信息制作与管理：全年制发公文类政府信息383条，其中主动公开54条、依申请公开316条、不予公开13条", {}),
    ("2025年度我局无向申请人收取政府信息公开费用的情况，无因政府信息公开工作被追责问责的情况", {"processing_fee": 0}),
    ("政务新媒体（微信公众号）发布推文787篇，累计阅读量3241654万次", {}),
    # pingtan_haitan_pianqu_2023
    ("2023年我局未收到依申请公开事宜", {"new": 0}),
    (
        "按照《国务院办公厅关于印发<政府信息公开信息处理费管理办法>的通知》国办函〔2020〕109号）规定的按件、按量收费标准，"
        "本年度没有产生信息公开处理费",
        {"processing_fee": 0},
    ),
    ("2023年共推送主题教育、文明创建、平安建设等文章877余篇", {}),
    # pingtan_jinjing_pianqu_2021
    ("本年度收到依申请公开事项0项", {"new": 0}),
    ("全年公开公文类政府信息共118条，其中行政法规、规章和规范性文件1条", {}),
    # the seed report (教体局 2021)
    ("全年我局未收到依申请公开件", {"new": 0}),
    ("截至2021年底，郑县教育体育局官方微信公共号关注用户达到15298人次，全年官方微信公众号公布共146期教育领域信息", {}),
    (
        "按照《国务院办公厅关于印发政府信息公开信息处理费管理办法的通知》（国办函〔2020〕109号）规定，"
        "2021年郑县教育体育局依申请公开政府信息未收费",
        {"processing_fee": 0},
    ),
    # 信息处理费 charged, as published reports state it (quoted in public report-parsing code)
    ("依据《政府信息公开信息处理费管理办法》规定，2025年全市实际收取信息处理费共计400元", {"processing_fee": 400}),
    ("2025 年有 1 件政府信息公开申请案件收取信息处理费 380 元", {"processing_fee": 380, "processing_fee_cases": 1}),
    # the examples of contradictions
    ("本年共收到申请75件", {"new": 75}),
    ("现行有效行政规范性文件393件", {"norm_in_force": 393}),
    ("区政府办代表区政府受理政府信息公开申请17件", {"new": 17}),
    (
        "本年度共受理政府信息公开申请二十一件，上年结转3件，结转下年度继续办理2件",
        {"new": 21, "carried": 3, "carry_forward": 2},
    ),
]


@pytest.mark.parametrize(("sentence", "expected"), SENTENCES, ids=[s[:16] for s, _ in SENTENCES])
def test_real_sentences_are_read(sentence: str, expected: dict[str, int]) -> None:
    readings = read_claims(sentence, CLAIMS)
    assert {r.claim: r.number for r in readings} == expected


def test_at_least_twenty_real_sentences() -> None:
    assert len(SENTENCES) >= 20 and sum(1 for _, e in SENTENCES if e) >= 15


def test_scope_words_mark_another_scope() -> None:
    (reading,) = read_claims("区政府办代表区政府受理政府信息公开申请17件", CLAIMS)
    assert reading.other_scope
    (own,) = read_claims("本年共收到申请75件", CLAIMS)
    assert not own.other_scope


def _unscreened(claims: Claims) -> Claims:
    return dataclasses.replace(claims, claims=tuple(dataclasses.replace(c, screens=None) for c in claims.claims))


UNSCREENED = _unscreened(CLAIMS)
# Pieces of the real sentences (cut where a claim's lookaround or gap looks across them) and the delimiters between
# sentences, to assemble texts whose sentence boundaries fall anywhere.
PIECES = [p for s, _ in SENTENCES for p in re.split(r"(?<=[件项，])", s) if p] + ["。", "；", "\n", "！", " ", "结转"]


def _published_texts() -> list[str]:
    texts = []
    for page in sorted(FIXTURES.glob("*.html")):
        text = re.sub(r"<[^>]+>|&nbsp;", "\n", page.read_text(encoding="utf-8"))
        texts.append(re.sub(r"\n\s*", "\n", text))
    return texts


def test_screens_read_what_every_sentence_reads() -> None:
    texts = ["。".join(s for s, _ in SENTENCES), *(s for s, _ in SENTENCES), *_published_texts()]
    assert len(texts) > len(SENTENCES) + 5
    for text in texts:
        assert read_claims(text, CLAIMS) == read_claims(text, UNSCREENED)
    # And the screens do skip: a sentence that states nothing about the tables tries no claim.
    assert not [c.key for c in CLAIMS.claims if c.possible("全年累计主动公开公安政府信息179条，全文电子化达100%")]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_screens_read_what_every_sentence_reads_in_any_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert read_claims(text, CLAIMS) == read_claims(text, UNSCREENED)


def test_screen_drops_lookarounds_and_refuses_anchors() -> None:
    screen = _screen("(?<!部分)(?<![不])予以公开(?!.{0,4}结转)(?P<n>\\d+)")
    assert screen is not None and screen.pattern == "予以公开(?P<n>\\d+)"
    assert _screen("[(?!]x") is not None and _screen("[(?!]x").pattern == "[(?!]x"  # type: ignore[union-attr]
    assert _screen("^收到") is None and _screen("收到\\b") is None and _screen("a(?=b)*") is None


@pytest.mark.parametrize(
    ("text", "number"), [("19", 19), ("十二", 12), ("二十一", 21), ("零", 0), ("两", 2), ("一百零五", 105)]
)
def test_chinese_numbers(text: str, number: int) -> None:
    assert chinese_number(text) == number


def _values(spec: Spec, **cells: Any) -> dict[str, Any]:
    values: dict[str, Any] = {c.key: 0 for c in spec.cells.values()}
    values.update({k.replace("__", "."): v for k, v in cells.items()})
    return values


def test_contradiction_is_explain_and_other_scope_is_info() -> None:
    spec = spec_by_id("gip2021")
    shown = _values(spec, t3__R1__c7=74, t2__norm__in_force=470)
    texts = {"s1_2": "本年共收到申请75件。现行有效行政规范性文件393件。区政府办代表区政府受理政府信息公开申请17件。"}
    findings = claim_findings(spec, texts, shown)
    by_code = sorted((f.code, f.actual, f.expected) for f in findings)
    assert by_code == [("T901", "393", "470"), ("T901", "75", "74"), ("T902", "17", "74")]
    t901 = next(f for f in findings if f.actual == "75")
    assert (
        t901.severity == "explain"
        and "本年共收到申请75件" in t901.message
        and "表三「一、本年新收政府信息公开申请数量」「总计」为 74" in t901.message
    )
    assert not claim_findings(spec, {"s1_2": "本年共收到申请74件。"}, shown)


def test_returned_workbook_narrative_is_checked(spec: Spec) -> None:
    values = {c.key: 0 for c in spec.input_cells} | {"t3.R1.c1": 5, "t3.R3.c1": 5}

    def texts(sentence: str) -> dict[str, str]:
        return good_texts(spec) | {"s1_2": sentence}

    consistent = build(spec, values, texts=texts("本年共收到政府信息公开申请5件，均已办结。"))
    assert not [f for f in check_file(consistent).findings if f.code.startswith("T9")]
    wrong = build(spec, values, texts=texts("本年共收到政府信息公开申请7件，均已办结。"))
    t901 = [f for f in check_file(wrong).findings if f.code == "T901"]
    assert len(t901) == 1 and t901[0].actual == "7" and t901[0].expected == "5"
    assert t901[0].sheet is None or t901[0].file == wrong.file


@pytest.mark.spec_ids("gip2019")  # 2019 only: its single （六）其他处理 row, and no 信息处理费 in the format (B2, B4)
def test_2019_narrative_against_tables_three_and_four(spec: Spec) -> None:
    shown = _values(spec, t3__R1__c7=3, t3__other__c7=2, t3__R24__c7=3, t4__cases__k5=1)
    said = "本年共收到政府信息公开申请3件，其他处理2件，行政复议1件。"
    assert not claim_findings(spec, {"s1_2": said}, shown)
    findings = claim_findings(spec, {"s1_2": "本年共收到申请5件，其他处理4件。"}, shown)
    assert sorted((f.code, f.actual, f.expected) for f in findings) == [("T901", "4", "2"), ("T901", "5", "3")]
    other = next(f for f in findings if f.actual == "4")
    assert "（六）其他处理" in other.message and other.cell_key == "t3.other.c7"
    # no fee regime yet: a fee sentence reads no claim and checks nothing against table 二
    fee = {"s6": "2020 年有 1 件政府信息公开申请案件收取信息处理费 380 元。"}
    assert not claim_findings(spec, fee, _values(spec, t2__fees__change=380))


FEE_CHARGED = "2025 年有 1 件政府信息公开申请案件收取信息处理费 380 元。"


@pytest.mark.parametrize(
    ("sentence", "cells", "fee_check"),
    [
        # charged, but no application at all in table 三
        (FEE_CHARGED, {}, "charged_without_applications"),
        # charged, and the same amount in the 行政事业性收费 cell (in 万元: 0.038, or the 元 figure as is)
        (FEE_CHARGED, {"t3__R1__c1": 1, "t2__fees__amount": Decimal("0.038")}, "counted_as_administrative_fee"),
        (FEE_CHARGED, {"t3__R1__c1": 1, "t2__fees__amount": 380}, "counted_as_administrative_fee"),
        # no fee notice issued, but an application closed for not paying after one
        ("本年度未发出收费通知，未收取信息处理费。", {"t3__R1__c1": 2, "t3__R22__c7": 1}, "notices_denied"),
        # consistent statements: nothing
        (FEE_CHARGED, {"t3__R1__c1": 1, "t3__R1__c7": 1}, None),
        ("2022年，无收取信息处理费情况。", {}, None),
        ("本年度未发出收费通知。", {"t3__R1__c1": 2}, None),
    ],
)
def test_processing_fee_against_the_tables(sentence: str, cells: dict[str, Any], fee_check: str | None) -> None:
    spec = spec_by_id("gip2021")
    shown = _values(spec, **cells)
    if "t3__R1__c1" in cells:
        shown["t3.R1.c7"] = cells["t3__R1__c1"]
    findings = claim_findings(spec, {"s6": sentence}, shown)
    n607 = [f for f in findings if f.code == "N607"]
    assert [f.extra["fee_check"] for f in n607] == ([fee_check] if fee_check else [])
    assert not [f for f in findings if f.code.startswith("T9")]
    if n607:
        assert n607[0].severity == "info" and sentence.rstrip("。") in n607[0].message
