"""Published reports read cell for cell against the hand transcriptions (tests/data/published/), as web pages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from giptemplate.checks.checker import check_file
from giptemplate.errors import IntakeError
from giptemplate.files.intake import admit
from giptemplate.format.spec import spec_by_id
from giptemplate.published import extract
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.submission import Submission
from tests.published_cases import FIXTURES, expected_cells, number_of, spec_of, transcriptions

SPEC = spec_by_id("gip2021")
CASES = transcriptions("2021")
ALL_CASES = transcriptions()  # both format versions


def printed_text(submission: Submission, key: str) -> str | None:
    """The text the reader recorded for a cell as printed (None when the document does not print it)."""
    if key in submission.cells:
        raw = submission.cells[key].raw
        return None if raw is None else str(raw)
    if key in submission.stored:
        shown = submission.stored[key].shown
        return "" if shown is None else str(shown)
    return None


def assert_cells(submission: Submission, case: dict[str, Any]) -> None:
    spec = spec_of(case)
    assert submission.spec.id == spec.id, (case["name"], submission.spec.id)
    expected = expected_cells(spec, case)
    for key in spec.cells:
        got = printed_text(submission, key)
        want = expected.get(key)
        assert got == want, (case["name"], key, got, want)
        value = submission.values.get(key) if key in submission.cells else None
        if key in submission.cells and want:
            assert value == number_of(want), (case["name"], key, value)
        if key in submission.cells and not want:
            assert value is None, (case["name"], key)  # blank stays blank, never 0


@pytest.mark.parametrize("case", ALL_CASES, ids=[c["name"] for c in ALL_CASES])
def test_web_page_cell_for_cell(case: dict[str, Any]) -> None:
    extraction = extract(admit(FIXTURES / case["source"], documents=True))
    submission = extraction.submission
    assert (submission.unit_name, submission.year, submission.file_format) == (case["unit"], case["year"], "html")
    assert_cells(submission, case)
    assert [h.text for h in extraction.headings] == case["headings"]
    assert [h.section for h in extraction.headings] == [s.key for s in spec_of(case).sections]
    for key in ("s5", "s6"):
        assert submission.texts[key], (case["name"], key)
    # 六 ends at the signature: the page's footer is not narrative
    assert "版权所有" not in submission.texts["s6"] and len(submission.texts["s6"]) < 200


@pytest.mark.parametrize("case", ALL_CASES, ids=[c["name"] for c in ALL_CASES])
def test_flaws_found_at_their_place(case: dict[str, Any]) -> None:
    submission = read_workbook(FIXTURES / case["source"])
    findings = check_file(submission).findings
    relation_errors = {(f.code, f.cell_key) for f in findings if f.code in ("A301", "A302", "A303", "A304")}
    expected = {(flaw["code"], flaw["cell"]) for flaw in case["flaws"] if flaw["code"] != "A390"}
    # A303 names the first cell of the column's relation (一), the transcription the cell that breaks it.
    located = {(c, k if c != "A303" else k.replace(k.split(".")[1], "R1")) for c, k in expected}
    assert relation_errors == located, (case["name"], relation_errors)
    for f in findings:
        if f.code in ("A301", "A303"):
            assert f.message.startswith("表三（文中第2个表格第"), f.message
            assert "行「" in f.message and "列（印为 " in f.message
    if any(flaw["code"] == "A390" for flaw in case["flaws"]):
        blank = [f for f in findings if f.code == "V203" and f.cell_key == "t3.R25.c2"]
        assert blank and "（空白）" in blank[0].message
        assert any(f.code == "A390" and f.cell_key == "t3.R1.c2" for f in findings)
    assert not [f for f in findings if f.code in ("T901", "T902")], case["name"]  # the narratives agree
    assert not [f for f in findings if f.code == "N602"], case["name"]  # each 六 states the fee situation
    assert not [f for f in findings if f.code == "N607"], case["name"]  # and says none was charged, as the tables


def test_single_other_row_and_old_labels_are_reported() -> None:
    submission = read_workbook(FIXTURES / "pingtan_haitan_pianqu_2023.html")
    findings = check_file(submission).findings
    s107 = [f.actual for f in findings if f.code == "S107"]
    assert sorted(s107) == sorted(["（六）其他处理", "规范性文件"])
    s108 = [(f.actual, f.expected) for f in findings if f.code == "S108"]
    assert s108 == [("先行有效件数", "现行有效件数")]  # the header's typo, read as 现行有效件数
    assert all(submission.values[f"t3.R21.c{i}"] is None for i in range(1, 8))


def test_contradicting_narrative_is_found_with_both_places(tmp_path: Path) -> None:
    page = (FIXTURES / "pingtan_gaj_2022.html").read_text(encoding="utf-8")
    printed = "政府信息公开申请</span>1件，已按照"  # the sentence's number sits after an inline span
    assert page.count(printed) == 1
    changed = tmp_path / "gaj.html"
    changed.write_text(page.replace(printed, printed.replace(">1件", ">75件")), encoding="utf-8")
    findings = check_file(read_workbook(changed)).findings
    t901 = [f for f in findings if f.code == "T901"]
    assert len(t901) == 1
    message = t901[0].message
    assert "收到政府信息公开申请75件" in message and "本年新收申请 75" in message
    assert "表三（文中第2个表格第4行）「一、本年新收政府信息公开申请数量」行「总计」列为 1" in message


def test_gb18030_page_reads_the_same(tmp_path: Path) -> None:
    page = (FIXTURES / "pingtan_zrzyyshjj_2023.html").read_text(encoding="utf-8")
    page = page.replace('charset="utf-8"', 'charset="gb2312"').replace("charset=utf-8", "charset=gb2312")
    if "gb2312" not in page[:4000]:
        page = '<meta charset="gb2312">' + page
    path = tmp_path / "gbk.htm"
    path.write_bytes(page.encode("gb18030"))
    case = next(c for c in CASES if c["name"] == "pingtan_zrzyyshjj_2023")
    assert_cells(read_workbook(path), case)


def scanned_pdf() -> bytes:
    """A one-page PDF holding only a drawing: what a scan's image page is to a text extractor."""
    content = b"0 0 m 300 300 l S"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def test_scanned_pdf_is_refused_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_pdf())
    with pytest.raises(IntakeError) as caught:
        read_workbook(path)
    assert caught.value.code == "P801"
    assert "\n" not in caught.value.message and "扫描件" in caught.value.message


def _text_copy(case: dict[str, Any], runs: dict[str, str]) -> str:
    """A report copied from its web page as plain text: a title, headings, and each table row as one line."""
    spec_rows = {(t.key, r.key): r.label for t in SPEC.tables for r in t.rows}
    lines = [f"{case['unit']}{case['year']}年政府信息公开工作年度报告", case["headings"][0], case["texts"]["s1"]]
    for heading, table in zip(case["headings"][1:4], ("t2", "t3", "t4"), strict=True):
        lines.append(heading)
        for row_key, printed in case[table].items():
            if (table, row_key) in spec_rows and table != "t4":
                lines.append(f"{spec_rows[(table, row_key)]} {runs.get(row_key, printed)}")
    lines += [case["headings"][4], case["texts"]["s5"], case["headings"][5], case["texts"]["s6"]]
    return "\n".join(lines) + "\n"


def test_text_copy_with_digits_run_together(tmp_path: Path) -> None:
    case = next(c for c in CASES if c["name"] == "pingtan_zrzyyshjj_2023")
    path = tmp_path / "copy.txt"
    # 一 run together as "19 00000 19": one way fits (19 = 19 + 0…); （一）予以公开 "6 0000 06"-like runs are
    # split the same way; 行政规范性文件 "2 135" (2, 1, 35 or 2, 13, 5: no relation decides) stays blank.
    runs = {"R1": "19 00000 19", "R3": "600000 6", "norm": "2 135"}
    path.write_text(_text_copy(case, runs), encoding="gb18030")
    submission = read_workbook(path)
    assert submission.file_format == "text" and submission.unit_name == case["unit"]
    assert [submission.values[f"t3.R1.c{i}"] for i in range(1, 8)] == [19, 0, 0, 0, 0, 0, 19]
    assert [submission.values[f"t3.R3.c{i}"] for i in range(1, 8)] == [6, 0, 0, 0, 0, 0, 6]
    assert submission.values["t3.R13.c1"] == 4 and submission.values["t2.licensing.decisions"] == 315
    assert [submission.values[f"t2.norm.{c}"] for c in ("issued", "repealed", "in_force")] == [None, None, None]
    p803 = [f for f in check_file(submission).findings if f.code == "P803"]
    assert len(p803) == 1 and p803[0].cell_key == "t2.norm.issued"
    assert "可读作 2 1 35" in p803[0].message and "可读作 2 13 5" in p803[0].message
    assert "表二（文本第" in p803[0].message and "段）「行政规范性文件」行" in p803[0].message


def test_issue_example_run_splits_only_one_way() -> None:
    from giptemplate.published.digits import lines_of, read_text_rows
    from giptemplate.published.model import Paragraph

    rows = read_text_rows(lines_of([Paragraph("二、上年结转政府信息公开申请数量 230 000023")]), SPEC)
    assert [rows.matched.printed[f"t3.R2.c{i}"].text for i in range(1, 8)] == ["23", "0", "0", "0", "0", "0", "23"]
    assert not rows.uncertain


def test_values_as_printed_in_a_web_page(tmp_path: Path) -> None:
    from tests.published_cases import draft_html

    headings = [s.heading for s in SPEC.sections]
    texts = {
        "s1": "（二）依申请公开。本年共收到政府信息公开申请75件。",
        "s5": "问题与改进。",
        "s6": "未收取信息处理费。",
    }
    values = {
        "t2.norm.issued": "22（其中修订16件）",  # annotation split off
        "t2.norm.repealed": "&nbsp;",  # blank stays blank
        "t2.norm.in_force": "/",  # a blank word, recorded as printed
        "t2.fees.amount": "251000元",  # 元 in a 万元 cell: converted
        "t3.R1.c1": "74",
        "t3.R1.c7": "74",
        "t3.R3.c1": "—",
    }
    page = draft_html(SPEC, values, title="某县某局2024年政府信息公开工作年度报告", headings=headings, texts=texts)
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    submission = read_workbook(path)
    assert (submission.unit_name, submission.year) == ("某县某局", 2024)
    cells = submission.cells
    assert cells["t2.norm.issued"].value == 22 and "修订16件" in cells["t2.norm.issued"].note
    assert cells["t2.norm.repealed"].value is None and cells["t2.norm.repealed"].state == "blank"
    assert cells["t2.norm.in_force"].value is None and cells["t2.norm.in_force"].raw == "/"
    assert (
        cells["t2.fees.amount"].value == Decimal("25.1") and "unit_converted" in cells["t2.fees.amount"].normalisations
    )
    assert cells["t3.R3.c1"].value is None and cells["t3.R3.c1"].raw == "—"
    assert submission.values["t2.licensing.decisions"] == 0  # a merged B:D value cell counted once
    findings = check_file(submission).findings
    t901 = [f for f in findings if f.code == "T901"]
    assert len(t901) == 1 and "75" in t901[0].message and "为 74" in t901[0].message
    v206 = [f for f in findings if f.code == "V206" and f.cell_key == "t2.norm.issued"]
    assert v206 and v206[0].message.startswith("表二（文中第")


def test_a_header_in_yuan_converts_the_fee(tmp_path: Path) -> None:
    from tests.published_cases import draft_html

    headings = [s.heading for s in SPEC.sections]
    texts = {"s1": "总体情况。", "s5": "问题。", "s6": "未收取信息处理费。"}
    values = {"t2.fees.amount": "75394432.52"}
    page = draft_html(SPEC, values, title="某局2024年政府信息公开工作年度报告", headings=headings, texts=texts)
    page = page.replace("本年收费金额（单位：万元）", "本年收费金额（单位：元）")
    path = tmp_path / "yuan.html"
    path.write_text(page, encoding="utf-8")
    submission = read_workbook(path)
    assert str(submission.cells["t2.fees.amount"].value) == "7539.443252"


def test_word_file_with_an_entity_declaration_is_refused(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>')
    with pytest.raises(IntakeError) as caught:
        read_workbook(path)
    assert caught.value.code == "F004"


def test_mhtml_saved_by_a_browser(tmp_path: Path) -> None:
    import quopri

    case = next(c for c in CASES if c["name"] == "pingtan_shsyj_2025")
    html = quopri.encodestring((FIXTURES / case["source"]).read_bytes())
    # As Chromium's "Save as… single file" writes it: a mail header, then the page quoted-printable.
    head = (
        b"From: <Saved by Blink>\r\nSnapshot-Content-Location: https://example.gov.cn/a.htm\r\nSubject: report\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n\ttype="text/html";\r\n'
        b'\tboundary="----MultipartBoundary--x--"\r\n\r\n------MultipartBoundary--x--\r\n'
        b"Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    path = tmp_path / "saved.mhtml"
    path.write_bytes(head + html + b"\r\n------MultipartBoundary--x----\r\n")
    submission = read_workbook(path)
    assert submission.file_format == "html"
    assert_cells(submission, case)


def test_retitled_and_renumbered_sections_are_found() -> None:
    from giptemplate.published.model import Paragraph
    from giptemplate.published.narrative import narrative_texts

    lines = [
        "某局2024年政府信息公开工作年度报告",
        "一、2024年政府信息公开工作概述",  # retitled: found by its number
        "（一）主动公开情况。全年主动公开政府信息120条。",
        "（二）依申请公开情况。全年收到申请3件。",
        "二、主动公开政府信息情况",
        "第二十条第（一）项",  # a table caption: not narrative
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进措施",
        "问题是……改进是……",
        "六、其他需要报告的事项",
        "本年度未收取信息处理费。",
        "某局",
        "2025年1月20日",
        "网站地图 | 联系我们",  # the page's footer after the signature
    ]
    texts, headings = narrative_texts([Paragraph(t) for t in lines], SPEC, "某局")
    assert [h.section for h in headings] == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert texts["s1_1"] == "（一）主动公开情况。全年主动公开政府信息120条。"
    assert texts["s1_2"] == "（二）依申请公开情况。全年收到申请3件。"
    assert texts["s5"] == "问题是……改进是……"
    assert texts["s6"] == "本年度未收取信息处理费。"
    assert all("第二十条" not in t for t in texts.values())


SEED = FIXTURES.parent.parent / "seed" / "000_8a5c167a3bf215e4.txt"


def test_seed_text_copy_with_columns_out_of_line() -> None:
    """The seed report is a text copy whose Markdown tables lost their merges and slid their columns out of line
    with the header (rows of 表三 after the page break start one or two cells later); read by hand: every count 0
    except 行政许可 627, and 表三's row 2.其他法律法规禁止公开 mis-typed."""
    submission = read_workbook(SEED)
    assert (submission.unit_name, submission.year, submission.file_format) == ("教体局", 2021, "text")
    expected = {key: 0 for key in SPEC.cells} | {"t2.licensing.decisions": 627}
    assert {k: submission.values[k] for k in SPEC.cells} == expected
    findings = check_file(submission).findings
    assert [(f.code, f.actual) for f in findings if f.code.startswith(("S", "A", "V2", "T9", "P8"))] == [
        ("S108", "2.其他法律法规禁止公开")
    ]
    assert (
        submission.texts["s1_2"].startswith("(二) 依申请公开办理情况")
        or "未收到依申请公开件" in submission.texts["s1_2"]
    )


def test_sub_heads_go_to_the_parts_they_name() -> None:
    """The 公安局 report's own sub-heads of 一: (一) has no part's words and stays under the lead paragraph's part;
    (二) names 管理, (三) its channels (渠道), (四) 监督. None of them speaks of 依申请 on its own."""
    texts = read_workbook(FIXTURES / "pingtan_gaj_2022.html").texts
    firsts = {k: [line[:7] for line in texts[k].splitlines() if line.startswith("（")] for k in texts}
    assert firsts["s1_1"] == ["（一）突出重点"] and texts["s1_1"].startswith("2022年，在区管委会办公室")
    assert (firsts["s1_2"], firsts["s1_3"], firsts["s1_4"], firsts["s1_5"]) == (
        [],
        ["（二）规范管理"],
        ["（三）拓宽渠道"],
        ["（四）严格审查"],
    )
    # A sub-head that names a part already opened stays where it is (the 社会事业局's （二） names 主动公开).
    texts = read_workbook(FIXTURES / "pingtan_shsyj_2025.html").texts
    assert "（二） 主动公开渠道优化" in texts["s1_1"] and "（一） 信息制作与管理" in texts["s1_3"]
    assert "（三） 依申请公开规范办理" in texts["s1_2"] and "（四）监督与能力建设" in texts["s1_5"]


def test_2019_page_with_a_negative_change_and_an_amount_in_yuan(tmp_path: Path) -> None:
    from tests.published_cases import draft_html

    spec = spec_by_id("gip2019")
    headings = [s.heading for s in spec.sections]
    texts = {"s1": "总体情况。", "s5": "存在的问题和改进情况。", "s6": "无。"}
    values = {
        "t2.licensing.items": "12",
        "t2.licensing.change": "-8",  # 本年增/减: a decrease is printed negative
        "t2.fees.change": "－2",  # full-width minus
        "t2.procurement.purchases": "5",
        "t2.procurement.amount": "75394432.52元",  # the cell is in 元: kept as printed, not converted
    }
    page = draft_html(spec, values, title="某县某局2020年政府信息公开工作年度报告", headings=headings, texts=texts)
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    submission = read_workbook(path)
    assert submission.spec.id == "gip2019" and submission.year == 2020
    assert submission.values["t2.licensing.change"] == -8 and submission.values["t2.fees.change"] == -2
    assert submission.values["t2.procurement.amount"] == Decimal("75394432.52")
    findings = check_file(submission).findings
    assert not [f for f in findings if f.code in ("V201", "V202")]  # a change may be negative
    # 12 - 8 ≥ 0 holds; 0 items and a change of -2 does not (A306 at that row's first cell, located in the page)
    a306 = [f for f in findings if f.code == "A306"]
    assert [f.cell_key for f in a306] == ["t2.fees.items"] and a306[0].message.startswith("表二（文中第1个表格第15行）")
