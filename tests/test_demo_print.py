"""What the demo's clerk prints, printed by LibreOffice and read back page by page with pdftotext: the unit and
county reports have no page holding only a table and no last page holding only the last part and the signature;
the summary workbook prints on a sensible number of pages, every page of its per-unit detail naming every unit."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from docx import Document
from soffice import convert
from test_summary_print import detail_pages, printed_pages

from giptemplate.demo.county import DemoResult, run_demo
from giptemplate.report.model import DRAFT_MARK

pytestmark = [pytest.mark.soffice, pytest.mark.slow]

SUMMARY_PAGES = 30  # the bound for 12 units; the 71 pages it replaced were mostly numbers without names
BODY_LINE = 6  # a printed line of at least this many characters from a body paragraph is text, not a table


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    return [page for page in text.split("\f") if page.strip()]


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, dict[Path, list[str]]]:
    folder = tmp_path_factory.mktemp("demo_print")
    result = run_demo(folder / "demo")
    documents = [p for p in result.reports if p.suffix == ".docx"]
    # plain ASCII names for soffice's output files
    sources = []
    for i, path in enumerate([*documents, result.summary]):
        copy = folder / f"doc{i}{path.suffix}"
        copy.write_bytes(path.read_bytes())
        sources.append(copy)
    pdfs = convert(sources, folder / "pdf", "pdf")
    pages = {original: pdf_pages(pdf) for original, pdf in zip(documents, pdfs[:-1], strict=True)}
    pages[result.summary] = printed_pages(pdfs[-1])
    return result, pages


def test_reports_have_no_lone_table_and_no_lone_signature(
    printed: tuple[DemoResult, dict[Path, list[str]]],
) -> None:
    _, pages_of = printed
    reports = [p for p in pages_of if p.suffix == ".docx"]
    assert len(reports) == 2  # the seed unit's and the county's
    for path in reports:
        document = Document(str(path))
        body = [squeezed(p.text) for p in document.paragraphs if p.text.strip() and p.text != DRAFT_MARK]
        cells = {squeezed(c.text) for t in document.tables for row in t.rows for c in row.cells if c.text.strip()}

        def is_text(line: str, body: list[str] = body, cells: set[str] = cells) -> bool:
            return (
                len(line) >= BODY_LINE
                and any(line in paragraph for paragraph in body)
                and not any(line in cell for cell in cells)
            )

        pages = pages_of[path]
        for number, page in enumerate(pages, 1):
            lines = [squeezed(line) for line in page.splitlines()]
            assert any(is_text(line) for line in lines), (path.name, number, "a page holding only a table")
        # the last page: the signature, with more than the last part (六) above it
        unit_name, date = body[-2], body[-1]
        last = squeezed(pages[-1])
        assert last.index(unit_name) < last.index(date)
        six = body.index(next(b for b in body if b.startswith("六、")))
        rest = last
        for text in [*body[six:], DRAFT_MARK]:
            rest = rest.replace(text, "")
        rest = re.sub(r"—\d+—", "", rest)
        assert len(rest) >= BODY_LINE, (path.name, "the last page holds only 六 and the signature", last)
        # the end of the part before 六 is there: the text of the last page begins before 六
        assert last.index(body[six]) > 0, path.name


def test_summary_prints_on_few_pages_each_detail_page_naming_every_unit(
    printed: tuple[DemoResult, dict[Path, list[str]]],
) -> None:
    result, pages_of = printed
    pages = pages_of[result.summary]
    assert len(pages) < SUMMARY_PAGES, len(pages)
    units = [u.unit_name for u in result.merge.included]
    assert len(units) >= 10
    detail = detail_pages(pages)
    assert detail
    for page in detail:
        missing = [u for u in units if squeezed(u) not in page]
        assert not missing, (missing, page[:120])
