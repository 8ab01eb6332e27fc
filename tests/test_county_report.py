"""The office's own report: the summary workbook's 文字内容 sheet is the county's to fill (unlocked, checked like a
unit's), and `report --texts FILE` takes the narrative from a .docx, .md or .txt instead."""

from __future__ import annotations

import random
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from docx import Document

from giptemplate.cli import main
from giptemplate.errors import InputError
from giptemplate.format.layout import layout_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec
from giptemplate.merge import merge, write_summary
from giptemplate.report.texts_file import read_texts
from giptemplate.workbook.writer import write_template

PART_TEXT = "本县政府信息公开工作稳步推进，各项制度进一步健全，公开质量持续提升，依申请公开办理规范。"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["report", *map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def summary(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("county")
    texts = {p.key: PART_TEXT + ("未收取信息处理费。" if p.require_any else "") for p in spec.parts}
    paths = []
    for i, name in enumerate(("郑县财政局", "郑县公安局")):
        path = folder / f"{name}.xlsx"
        values = consistent_values(spec, random.Random(i))
        write_template(path, year=2021, unit_name=name, scope="本机关", values=values, texts=texts, spec=spec)
        paths.append(path)
    target = folder / "汇总.xlsx"
    write_summary(merge(paths, jobs=1), target)
    return target


def document_lines(spec: Spec) -> list[str]:
    lines = ["郑县人民政府2021年政府信息公开工作年度报告", ""]
    for section in spec.sections:
        lines.append(section.heading)
        for part in section.parts:
            if part.title:
                lines.append(f"{part.title}。{PART_TEXT}{part.key}")  # text on the title's line counts
            else:
                lines.append(PART_TEXT + part.key + ("未收取信息处理费。" if part.require_any else ""))
    return lines


def test_summary_narrative_is_editable_and_checked_like_a_units(spec: Spec, summary: Path, tmp_path: Path) -> None:
    layout = layout_for(spec)
    book = openpyxl.load_workbook(summary)
    sheet = book[spec.narrative_sheet]
    for part in spec.parts:
        place = layout.parts[part.key]
        cell = sheet.cell(place.row + 1, place.col + 1)
        assert cell.protection.locked is False, part.key
    # the numbers stay locked: a summary is a result
    table_cell = layout.cells[spec.input_cells[0].key]
    assert book[table_cell.sheet].cell(table_cell.row + 1, table_cell.col + 1).protection.locked is True
    # unfilled, the county report is refused for its narrative (N601) ...
    out = tmp_path / "年度报告.docx"
    refused = run(summary, "-o", out)
    assert refused.exit_code == 1 and "N601" in refused.stderr and not out.exists()
    # ... and once the office writes it, the same command gives the final report
    for part in spec.parts:
        place = layout.parts[part.key]
        sheet.cell(place.row + 1, place.col + 1).value = PART_TEXT + ("未收取信息处理费。" if part.require_any else "")
    filled = tmp_path / "汇总（已填文字）.xlsx"
    book.save(filled)
    done = run(filled, "-o", out)
    assert done.exit_code == 0, done.output + done.stderr
    paragraphs = [p.text for p in Document(str(out)).paragraphs]
    assert PART_TEXT in paragraphs and "草稿" not in "".join(paragraphs)


@pytest.mark.parametrize("suffix", [".md", ".txt", ".docx"])
def test_report_texts_file_supplies_the_narrative(spec: Spec, summary: Path, tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"文字内容{suffix}"
    lines = document_lines(spec)
    if suffix == ".docx":
        document = Document()
        for line in lines:
            document.add_paragraph(line)
        document.save(str(source))
    elif suffix == ".md":
        source.write_text("\n".join(f"## {x}" if x in {s.heading for s in spec.sections} else x for x in lines))
    else:
        source.write_bytes("\n".join(lines).encode("gb18030"))  # as Notepad on Chinese Windows may save it
    texts = read_texts(source, spec)
    for part in spec.parts:
        assert texts[part.key].startswith(PART_TEXT) and part.key in texts[part.key], part.key
    out = tmp_path / "年度报告.docx"
    result = run(summary, "--texts", source, "-o", out)
    assert result.exit_code == 0, result.output + result.stderr
    paragraphs = [p.text for p in Document(str(out)).paragraphs]
    for part in spec.parts:
        assert any(p.startswith(PART_TEXT) and part.key in p for p in paragraphs), part.key


def test_texts_file_without_the_headings_is_refused_in_one_line(spec: Spec, summary: Path, tmp_path: Path) -> None:
    source = tmp_path / "文字.txt"
    source.write_text("一、总体情况\n本县工作稳步推进。\n", encoding="utf-8")
    with pytest.raises(InputError, match="缺少标题"):
        read_texts(source, spec)
    result = run(summary, "--texts", source, "-o", tmp_path / "r.docx")
    assert result.exit_code == 2 and "五、存在的主要问题及改进情况" in result.stderr
    assert "Traceback" not in result.stderr
