"""Published reports read cell for cell against the hand transcriptions (tests/data/published/), as web pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from giptemplate.checks import check_file
from giptemplate.errors import IntakeError
from giptemplate.intake import admit
from giptemplate.published import extract
from giptemplate.reader import read_workbook
from giptemplate.spec import spec_by_id
from giptemplate.submission import Submission
from tests.published_cases import FIXTURES, expected_cells, transcriptions

SPEC = spec_by_id("gip2021")
CASES = transcriptions("2021")


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
    expected = expected_cells(SPEC, case)
    for key in SPEC.cells:
        got = printed_text(submission, key)
        want = expected.get(key)
        assert got == want, (case["name"], key, got, want)
        value = submission.values.get(key) if key in submission.cells else None
        if key in submission.cells and want:
            assert value == int(want), (case["name"], key)
        if key in submission.cells and not want:
            assert value is None, (case["name"], key)  # blank stays blank, never 0


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_web_page_cell_for_cell(case: dict[str, Any]) -> None:
    extraction = extract(admit(FIXTURES / case["source"], documents=True))
    submission = extraction.submission
    assert (submission.unit_name, submission.year, submission.file_format) == (case["unit"], case["year"], "html")
    assert_cells(submission, case)
    assert [h.text for h in extraction.headings] == case["headings"]
    assert [h.section for h in extraction.headings] == [s.key for s in SPEC.sections]
    for key in ("s5", "s6"):
        assert submission.texts[key], (case["name"], key)
    # 六 ends at the signature: the page's footer is not narrative
    assert "版权所有" not in submission.texts["s6"] and len(submission.texts["s6"]) < 200


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
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


def test_single_other_row_and_old_labels_are_reported() -> None:
    submission = read_workbook(FIXTURES / "pingtan_haitan_pianqu_2023.html")
    findings = check_file(submission).findings
    s107 = [f.actual for f in findings if f.code == "S107"]
    assert s107 == ["（六）其他处理", "规范性文件"] or sorted(s107) == sorted(["（六）其他处理", "规范性文件"])
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


def test_scanned_pdf_is_refused_with_one_line(tmp_path: Path) -> None:
    # A page with only a drawing (what a scan's image page is to a text extractor): no characters at all.
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
    path = tmp_path / "scan.pdf"
    path.write_bytes(out)
    with pytest.raises(IntakeError) as caught:
        read_workbook(path)
    assert caught.value.code == "P801"
    assert "\n" not in caught.value.message and "扫描件" in caught.value.message
