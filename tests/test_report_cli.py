"""giptemplate report, end to end: workbooks written by the writer, read and checked, rendered and read back."""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from docx import Document
from report_samples import sample_inputs, seed_fixture, seed_inputs

from giptemplate.cli import main
from giptemplate.format.arithmetic import Number, arithmetic_for
from giptemplate.format.spec import SUMMARY_SCOPE, Spec
from giptemplate.report.model import DRAFT_MARK, format_value
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.writer import write_template


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["report", *map(str, args)], catch_exceptions=False)


def _year(spec: Spec) -> int:
    """The report year of the workbooks: 2021, or the last year of a format that ended before (2019 试行: 2020)."""
    return 2021 if spec.covers_year(2021) else spec.last_year or spec.first_year


def _write(
    path: Path,
    spec: Spec,
    inputs: Mapping[str, Number | None],
    *,
    unit_name: str = "郑县教育体育局",
    date: str | None = None,
    year: int | None = None,
    **kwargs: object,
) -> Path:
    texts = seed_fixture()["texts"]
    year = year or _year(spec)
    write_template(
        path,
        year=year,
        unit_name=unit_name,
        scope=str(kwargs.pop("scope", "本机关")),
        values=inputs,
        texts=texts,
        date=f"{year + 1}-01-20" if date is None else date,
        filler="张三",
        phone="0371-12345678",
        spec=spec,
        **kwargs,  # type: ignore[arg-type]
    )
    return path


def _docx_values(path: Path, spec: Spec) -> dict[str, str]:
    document = Document(str(path))
    assert len(document.tables) == len(spec.tables)
    found = {}
    for table, docx_table in zip(spec.tables, document.tables, strict=True):
        cells, width = docx_table._cells, len(docx_table.columns)
        for cell in table.cells:
            found[cell.key] = cells[cell.at.first_row * width + cell.at.first_col].text
    return found


def test_one_workbook_to_docx_every_cell_matches_the_workbook(any_spec: Spec, tmp_path: Path) -> None:
    spec = any_spec
    inputs = sample_inputs(spec)
    year = spec.last_year or spec.first_year
    workbook = _write(tmp_path / "郑县教育体育局.xlsx", spec, inputs, year=year, date=f"{year + 1}-01-20")
    out = tmp_path / "报告.docx"
    result = run(workbook, "-o", out)
    assert result.exit_code == 0, result.output
    assert "已生成" in result.stdout and out.exists()
    shown = _docx_values(out, spec)
    # against what the reader sees in the workbook, and against what was written into it
    read = read_workbook(workbook).values
    written = {**inputs, **arithmetic_for(spec).derive(inputs)}
    for key, cell in spec.cells.items():
        assert shown[key] == format_value(read[key], cell.type), key
        assert shown[key] == format_value(written[key], cell.type), key
    paragraphs = [p.text for p in Document(str(out)).paragraphs]
    assert paragraphs[-2:] == ["郑县教育体育局", f"{year + 1}年1月20日"]
    assert not any(DRAFT_MARK in p for p in paragraphs)


@pytest.mark.spec_ids("gip2021")  # 2021 only: a published 2021 report's figures and its 本年收费金额 row
def test_seed_figures_end_to_end_in_markdown(spec: Spec, tmp_path: Path) -> None:
    workbook = _write(tmp_path / "seed.xlsx", spec, seed_inputs(spec))
    out = tmp_path / "seed.md"
    result = run(workbook, "-o", out)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# 郑县教育体育局2021年政府信息公开工作年度报告\n")
    assert "| 行政许可 |              627 |" in text
    assert re.search(r"\| 行政事业性收费 \| +0 \|", text)
    for paragraph in seed_fixture()["texts"]["s6"].splitlines():
        assert paragraph in text


def test_html_by_format_option_into_a_folder(spec: Spec, tmp_path: Path) -> None:
    workbook = _write(tmp_path / "a.xlsx", spec, sample_inputs(spec), unit_name="郑县/教育..局")
    result = run(workbook, "-o", tmp_path / "out", "--format", "html")
    assert result.exit_code == 0, result.output
    (page,) = (tmp_path / "out").iterdir()
    assert page.suffix == ".html" and "/" not in page.name and ".." not in page.name
    assert page.parent == tmp_path / "out"
    html = page.read_text(encoding="utf-8")
    assert f"<title>郑县/教育..局{_year(spec)}年政府信息公开工作年度报告</title>" in html


def test_format_and_output_disagreeing_is_a_usage_error(spec: Spec, tmp_path: Path) -> None:
    workbook = _write(tmp_path / "a.xlsx", spec, sample_inputs(spec))
    result = run(workbook, "-o", tmp_path / "x.md", "--format", "docx")
    assert result.exit_code == 2 and "不一致" in result.stderr
    assert run(tmp_path / "missing.xlsx", "-o", tmp_path / "x.md").exit_code == 2
    assert run(workbook, "-o", tmp_path / "no_such_folder" / "x.md").exit_code == 2


def test_workbook_with_errors_is_refused_unless_forced(spec: Spec, tmp_path: Path) -> None:
    inputs = sample_inputs(spec)
    inputs["t3.R1.c1"] = None  # a blank count: V203 错误
    workbook = _write(tmp_path / "bad.xlsx", spec, inputs)
    out = tmp_path / "bad.docx"
    refused = run(workbook, "-o", out)
    assert refused.exit_code == 1
    assert not out.exists()
    assert "未生成" in refused.stderr and "V203" in refused.stderr and "'表三'!" in refused.stderr

    forced = run(workbook, "-o", out, "--force")
    assert forced.exit_code == 1  # the workbook still has 错误; the report is a marked draft
    assert "草稿" in forced.stdout and out.exists()
    document = Document(str(out))
    for section in document.sections:
        assert DRAFT_MARK in "".join(p.text for p in section.header.paragraphs)
    md = tmp_path / "bad.md"
    assert run(workbook, "-o", md, "--force").exit_code == 1
    assert md.read_text(encoding="utf-8").startswith(f"> **{DRAFT_MARK}**")


def test_folder_one_report_per_workbook_and_unreadable_files_continue(spec: Spec, tmp_path: Path) -> None:
    source = tmp_path / "收回"
    source.mkdir()
    _write(source / "1.xlsx", spec, sample_inputs(spec, 1), unit_name="郑县教育体育局")
    _write(source / "2.xlsx", spec, sample_inputs(spec, 2), unit_name="郑县教育体育局")  # the same unit twice
    _write(source / "3.xlsx", spec, sample_inputs(spec, 3), unit_name="郑县公安局")
    (source / "fake.xlsx").write_text("不是表格", encoding="utf-8")
    (source / "说明.txt").write_text("请查收", encoding="utf-8")
    out = tmp_path / "报告"
    result = run(source, "-o", out, "--format", "md")
    assert result.exit_code == 2  # one file could not be read
    names = sorted(p.name for p in out.iterdir())
    year = _year(spec)
    assert names == [
        f"郑县公安局{year}年政府信息公开工作年度报告.md",
        f"郑县教育体育局{year}年政府信息公开工作年度报告.md",
        f"郑县教育体育局{year}年政府信息公开工作年度报告_2.md",
    ]
    unreadable = [line for line in result.stderr.splitlines() if "fake.xlsx" in line]
    assert len(unreadable) == 1 and "无法读取" in unreadable[0]
    assert "共 4 个文件：已生成 3，无法读取 1（文件夹中另有 1 个非报表文件未读取）" in result.stdout


def test_several_workbooks_need_a_folder(spec: Spec, tmp_path: Path) -> None:
    a = _write(tmp_path / "a.xlsx", spec, sample_inputs(spec, 1))
    b = _write(tmp_path / "b.xlsx", spec, sample_inputs(spec, 2), unit_name="郑县公安局")
    result = run(a, b, "-o", tmp_path / "x.docx")
    assert result.exit_code == 2 and "文件夹" in result.stderr


def test_summary_workbook_renders_the_county_report(spec: Spec, tmp_path: Path) -> None:
    workbook = _write(
        tmp_path / "汇总.xlsx",
        spec,
        sample_inputs(spec),
        unit_name="郑县人民政府",
        date="",
        scope=SUMMARY_SCOPE,
        kind="summary",
    )
    out = tmp_path / "县报告.docx"
    result = run(workbook, "-o", out)
    assert result.exit_code == 0, result.output
    paragraphs = [p.text for p in Document(str(out)).paragraphs]
    assert any(p.replace("\n", "") == f"郑县人民政府{_year(spec)}年政府信息公开工作年度报告" for p in paragraphs)
    today = datetime.date.today()
    assert paragraphs[-1] == f"{today.year}年{today.month}月{today.day}日"  # no date on the cover: today's


@pytest.mark.parametrize("fmt", ["docx", "md", "html"])
def test_every_format_writes_a_non_empty_report(spec: Spec, tmp_path: Path, fmt: str) -> None:
    workbook = _write(tmp_path / "a.xlsx", spec, sample_inputs(spec))
    out = tmp_path / f"a.{fmt}"
    assert run(workbook, "-o", out).exit_code == 0
    data = out.read_bytes()
    if fmt == "docx":
        assert len(Document(io.BytesIO(data)).tables) == len(spec.tables)
    else:
        assert f"郑县教育体育局{_year(spec)}年政府信息公开工作年度报告" in data.decode("utf-8")
