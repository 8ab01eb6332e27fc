"""Text that fits: a 5,000-character narrative shows and prints to its last character.

LibreOffice renders the workbooks to PDF and pdftotext reads the pages back: a marker at the very end of the text
must be there. Our own writer sizes the rows from the text; a filler who types a long text into the template may
resize the rows (the sheet's protection allows it) and then sees it all too. The control: the same text in rows
left at the template's height does not print to its end, so the test can tell.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from soffice import convert

from giptemplate.format.layout import NARRATIVE_PART_ROWS, layout_for
from giptemplate.format.spec import spec_for_year
from giptemplate.workbook.writer import write_template

pytestmark = pytest.mark.soffice

SPEC = spec_for_year(2024)
MARKER = "【全文结束ZQ】"
SENTENCE = "本机关坚持以公开为常态、不公开为例外，全面推进决策、执行、管理、服务、结果公开。"
LONG = (SENTENCE * 200)[: 5000 - len(MARKER)] + MARKER


def pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the rendered pages")
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout


def squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("long")
    part = SPEC.parts[0]
    place = layout_for(SPEC).parts[part.key]
    written = folder / "written.xlsx"
    write_template(written, year=2024, unit_name="测试局", texts={part.key: LONG}, spec=SPEC)
    typed: dict[str, Path] = {}
    for name, height in (("resized", 409.0), ("unresized", None)):
        path = folder / f"{name}.xlsx"
        write_template(path, year=2024, unit_name="测试局", spec=SPEC)
        book = openpyxl.load_workbook(path)
        sheet = book[SPEC.narrative_sheet]
        assert sheet.protection.formatRows is False  # False means "not prohibited": the filler may resize rows
        sheet.cell(place.row + 1, place.col + 1).value = LONG
        if height is not None:
            for row in range(place.row, place.row + NARRATIVE_PART_ROWS):
                sheet.row_dimensions[row + 1].height = height
        book.save(path)
        typed[name] = path
    pdfs = convert([written, *typed.values()], folder / "pdf", "pdf")
    return {p.stem: squeezed(pdf_text(p)) for p in pdfs}


def test_written_text_prints_to_its_last_character(rendered: dict[str, str]) -> None:
    assert MARKER in rendered["written"]


def test_typed_text_prints_in_full_once_the_filler_resizes_the_rows(rendered: dict[str, str]) -> None:
    assert MARKER in rendered["resized"]
    assert MARKER not in rendered["unresized"]  # the control: the rows really had to grow
