"""The summary workbook prints like an office document: LibreOffice renders every sheet to PDF and pdftotext
finds every title, label and file name in full; every page of the wide per-unit sheets names its units; times
are Beijing time; codes come with their Chinese meaning and no internal key or outside file is shown; the cover
describes the summary."""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from soffice import convert

from giptemplate.findings import CODES
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec
from giptemplate.merge import merge, write_summary
from giptemplate.merge.summary import DETAIL_SHEET, GROUP_SHEET, INDICATOR_SHEET, beijing_time
from giptemplate.workbook.writer import write_template

UNITS = ("郑县财政局", "郑县公安局", "郑县住房和城乡建设局（含人民防空办公室）")


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def stacked_texts(pdf: Path) -> list[list[str]]:
    """Per page, the texts of wrapped cells put back together: words that stand one under the other in the same
    column (x ranges overlapping, lines adjacent) joined top to bottom. pdftotext's own text interleaves the lines
    of neighbouring narrow cells (a unit's name wrapped over two lines under its column)."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    pages = []
    for page in xml.split("<page ")[1:]:
        words = sorted(
            ((float(y0), float(x0), float(x1), float(y1), text) for x0, y0, x1, y1, text in _WORD.findall(page)),
        )
        chains: list[list[tuple[float, float, float, float, str]]] = []
        for word in words:
            y0, x0, x1, _, _ = word
            for chain in chains:
                _, lx0, lx1, ly1, _ = chain[-1]
                if x0 < lx1 and x1 > lx0 and 0 <= y0 - ly1 + 2 < (ly1 - chain[-1][0]):
                    chain.append(word)
                    break
            else:
                chains.append([word])
        pages.append(["".join(w[4] for w in chain) for chain in chains])
    return pages


def printed_pages(pdf: Path) -> list[str]:
    """Each non-empty page's text, squeezed, followed by its wrapped cells' texts put back together."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    stacked = stacked_texts(pdf)
    return [squeezed(p) + "|" + "|".join(stacked[i]) for i, p in enumerate(text.split("\f")) if p.strip()]


def detail_pages(pages: list[str]) -> list[str]:
    """The printed pages of 分单位明细 (squeezed): from its banner to the next sheet's (分组小计 or 指标)."""
    start = next(i for i, p in enumerate(pages) if p.startswith(DETAIL_SHEET))
    end = next(i for i, p in enumerate(pages) if i > start and p.startswith((GROUP_SHEET, INDICATOR_SHEET)))
    return pages[start:end]


def test_saved_times_are_beijing_time() -> None:
    assert beijing_time("2022-01-10T12:30:00Z") == "2022-01-10 20:30"
    assert beijing_time("2022-01-10T12:30:00") == "2022-01-10 20:30"  # a stamp without a zone is UTC
    assert beijing_time("2022-01-10T20:30:00+08:00") == "2022-01-10 20:30"
    assert beijing_time("昨天") == "昨天"


@pytest.fixture(scope="module")
def printed(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], list[str]]:
    folder = tmp_path_factory.mktemp("summary")
    year = 2021 if spec.covers_year(2021) else spec.last_year or spec.first_year  # 2019 试行: 2020
    paths = []
    for i, name in enumerate(UNITS):
        path = folder / f"9141990000700{i:04d}_{name}_{year}年政府信息公开工作年度报告填报表（第二次修改）.xlsx"
        values = consistent_values(spec, random.Random(i))
        if i == 1:
            values["t3.R1.c1"] = int(values["t3.R1.c1"]) + 5  # an A303 error, so 校验问题 has rows
        write_template(path, year=year, unit_name=name, scope="本机关", values=values, spec=spec)
        paths.append(path)
    target = folder / "汇总.xlsx"
    write_summary(merge(paths, jobs=1), target)
    (pdf,) = convert([target], folder / "pdf", "pdf")
    return target, printed_pages(pdf), [p.name for p in paths]


@pytest.mark.soffice
def test_every_label_title_and_file_name_prints_in_full(spec: Spec, printed: tuple[Path, list[str], list[str]]) -> None:
    target, pages, names = printed
    whole = "".join(pages)
    for table in spec.tables:
        assert squeezed(table.title) in whole, table.title
        for cell in table.cells:
            assert squeezed(cell.row.label) in whole, cell.row.label
            assert squeezed(cell.column.label) in whole, cell.column.label
    for name in names:
        assert squeezed(name) in whole, name  # in 报送情况 and 分单位明细, wrapped but whole
    book = openpyxl.load_workbook(target)
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible":
            continue
        title = sheet.cell(1, 1).value
        if isinstance(title, str) and not title.startswith("="):
            assert squeezed(title) in whole, (sheet.title, title)


@pytest.mark.soffice
def test_every_page_of_the_wide_sheets_names_its_units(printed: tuple[Path, list[str], list[str]]) -> None:
    _, pages, _ = printed
    detail = detail_pages(pages)
    assert len(detail) >= 3
    for page in detail:
        assert all(squeezed(unit) in page for unit in UNITS), page[:80]


@pytest.mark.soffice
def test_no_internal_keys_and_codes_with_their_meaning(spec: Spec, printed: tuple[Path, list[str], list[str]]) -> None:
    _, pages, _ = printed
    whole = "".join(pages)
    assert "checks.md" not in whole and "§" not in whole
    for relation in spec.relations:
        assert relation.key not in whole and relation.rule_id not in whole
    # where findings are listed by code (校验, 校验问题), each code stands with its catalogue meaning
    listing = "".join(p for p in pages if p.startswith(("校验结果", "校验问题")))
    assert listing
    for code, entry in CODES.items():
        if re.search(rf"(?<![A-Za-z0-9]){code}(?![0-9])", listing):
            assert squeezed(entry.title) in listing, code
    assert "A303" in whole and squeezed(CODES["A303"].title) in whole
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", whole)  # no ISO stamps


def test_cover_describes_the_summary(spec: Spec, printed: tuple[Path, list[str], list[str]]) -> None:
    target, _, _ = printed
    cover = openpyxl.load_workbook(target)[spec.cover_sheet]
    texts = [str(c.value) for row in cover.iter_rows() for c in row if isinstance(c.value, str)]
    assert "汇总说明" in texts and "填报说明" not in texts
    assert not any(instruction in text for instruction in spec.instructions for text in texts)
    assert cover.cell(1, 1).value.endswith("年政府信息公开工作年度报告（汇总表）")
    assert spec.cover_title not in texts
