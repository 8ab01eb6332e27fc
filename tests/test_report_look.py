"""A unit report that looks published: the customary opening paragraph, tables flowing with the text on portrait
pages, no page for a lone table or signature, 0 printed as 0, Chinese as the document language; and side by side
with a real published report.

The real report is 平潭综合实验区社会事业局2025年政府信息公开工作年度报告, as published at
https://www.pingtan.gov.cn/zwgk/zfxxgk/dfbmptlj/ptzhsyqbm/ptzhsyqshs/zfxxgknb/202601/t20260123_104794.htm
(stored in the public archive changwu/pingtan-gov-zwgk-archive, commit 16868d19a1d8212230ee4c5df4ce40d00db59a01;
here ../shared/fixtures/published/pingtan_shsyj_2025.html, see SOURCES.md there). Chromium prints it to PDF,
LibreOffice prints ours; both were turned into PNGs and looked at side by side when this was written, and the test
asserts what was compared: the same opening paragraph, the six parts in the same order, portrait pages only, and
ours on no more pages than the published one. A report in the 2019 试行 format is compared in the same way with
平潭综合实验区财政金融局2020年度政府信息公开工作年度报告 (pingtan_czjrj_2020.html, same archive and SOURCES.md): ours
5 pages (表二's five blocks, （八）（九） merged C:D, on page 3), theirs 10, looked at side by side when added.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from published_cases import FIXTURES
from report_samples import seed_report
from soffice import convert

from giptemplate.format.spec import Spec
from giptemplate.report.render import render

# the fixtures folder as the extraction tests find it (beside the clone, or the workplace's shared copy)
PUBLISHED = FIXTURES / "pingtan_shsyj_2025.html"
OPENING = "本报告根据《中华人民共和国政府信息公开条例》"
# Per format: a published report in it, how it opens and three of its headings as it words them. 2019 试行:
# 平潭综合实验区财政金融局2020年度报告 (pingtan_czjrj_2020.html, see SOURCES.md there), Word-pasted.
PUBLISHED_BY_FORMAT = {
    "gip2021": (
        PUBLISHED,
        OPENING,
        ("一、总体情况", "五、政府信息公开工作存在的主要问题", "六、其他需要报告的事项"),
    ),
    "gip2019": (
        FIXTURES / "pingtan_czjrj_2020.html",
        "根据《中华人民共和国政府信息公开条例》",
        ("一、总体情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"),
    ),
}


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    return [squeezed(page) for page in text.split("\f") if page.strip()]


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, check=True, text=True)
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info.stdout)]


def test_every_format_opens_with_the_customary_paragraph(spec: Spec) -> None:
    data = seed_report(spec)
    preamble = data.preamble
    assert preamble.startswith(OPENING) and spec.document in preamble
    assert f"统计期限自{data.year}年1月1日起至{data.year}年12月31日止" in preamble
    assert data.unit_name in preamble
    paragraphs = [p.text for p in Document(io.BytesIO(render(data, "docx"))).paragraphs if p.text.strip()]
    assert paragraphs[1] == preamble  # right after the title
    markdown = render(data, "md").decode("utf-8")
    assert markdown.index(preamble) < markdown.index(spec.sections[0].heading)
    assert preamble in render(data, "html").decode("utf-8")


def test_document_language_is_chinese_and_zero_fee_is_zero(spec: Spec) -> None:
    data = seed_report(spec)
    document = Document(io.BytesIO(render(data, "docx")))
    assert document.core_properties.language == "zh-CN"
    lang = document.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    assert lang is not None and lang.get(qn("w:eastAsia")) == "zh-CN"
    fee = next(c for c in spec.input_cells if not c.type.integral)  # 2021: the fee in 万元; 2019: 采购总金额 in 元
    assert data.values[fee.key] == 0
    texts = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert "0" in texts and not any(re.fullmatch(r"0\.0+", t) for t in texts)


@pytest.mark.soffice
def test_side_by_side_with_a_published_report(spec: Spec, tmp_path: Path) -> None:
    published, their_opening, their_headings = PUBLISHED_BY_FORMAT[spec.id]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None or shutil.which("pdftotext") is None:
        message = "Chromium and poppler are needed to print the published report"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true requires them)")
        pytest.skip(message)
    ours_docx = tmp_path / "ours.docx"
    ours_docx.write_bytes(render(seed_report(spec), "docx"))
    (ours,) = convert([ours_docx], tmp_path, "pdf")
    theirs = tmp_path / "published.pdf"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            # a profile of its own: Chromium started alongside another (xdist, other tests) may otherwise hand the
            # job to that one and exit 0 without writing the PDF (seen once in a full run)
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            f"--print-to-pdf={theirs}",
            published.resolve().as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    our_pages, their_pages = pdf_pages(ours), pdf_pages(theirs)
    whole_ours, whole_theirs = "".join(our_pages), "".join(their_pages)
    # the same opening and the same six parts in the same order
    assert OPENING in our_pages[0] and their_opening in whole_theirs
    positions = [whole_ours.index(squeezed(s.heading)) for s in spec.sections]
    assert positions == sorted(positions)
    # (the 2025 one words its fifth heading its own way: 五、政府信息公开工作存在的主要问题及改进情况)
    theirs_at = [whole_theirs.index(h) for h in their_headings]
    assert theirs_at == sorted(theirs_at)
    # portrait like the published page, and no more pages than it takes
    assert all(w < h for w, h in page_sizes(ours))
    assert len(our_pages) <= len(their_pages), (len(our_pages), len(their_pages))
    # no page holds only a table or only the signature: every page has body text beside its table or signature
    data = seed_report(spec)
    assert squeezed(data.date) in our_pages[-1] and len(our_pages[-1]) > len(squeezed(data.unit_name + data.date)) + 40
