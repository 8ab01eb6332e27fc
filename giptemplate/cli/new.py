"""giptemplate new: write a blank template, or one personalised template per roster unit."""

from __future__ import annotations

import datetime
from pathlib import Path

import click

from giptemplate.cli._common import console, progress
from giptemplate.errors import InputError
from giptemplate.format.spec import DEFAULT_SCOPE, SUMMARY_SCOPE, spec_for_year
from giptemplate.roster import check_unit, read_roster, write_roster_templates
from giptemplate.workbook.writer import DEFAULT_PASSWORD, write_template


@click.command()
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(path_type=Path),
    help="输出文件（.xlsx）；与 --roster 同用时为输出文件夹。",
)
@click.option("--year", type=int, default=None, help="报告年度（默认为上一年）。")
@click.option("--unit", default="", help="填报单位名称（填写后锁定）。")
@click.option("--code", default="", help="统一社会信用代码。")
@click.option("--scope", type=click.Choice([DEFAULT_SCOPE, SUMMARY_SCOPE]), default=None, help="统计口径。")
@click.option("--password", default=DEFAULT_PASSWORD, show_default=True, help="工作表保护密码。")
@click.option(
    "--roster",
    type=click.Path(path_type=Path),
    default=None,
    help="单位名单（CSV 或 XLSX，列：单位名称、单位代码、分组）。",
)
def new(
    output: Path, year: int | None, unit: str, code: str, scope: str | None, password: str, roster: Path | None
) -> None:
    """生成填报模板 (write a blank or personalised template workbook)."""
    this_year = datetime.date.today().year
    year = year if year is not None else this_year - 1
    if year > this_year:
        raise InputError(f"报告年度 {year} 尚未开始 (report year {year} lies in the future)")
    spec = spec_for_year(year)
    if roster is not None:
        if unit or code:
            raise InputError("--roster 不能与 --unit/--code 同时使用 (--roster excludes --unit/--code)")
        entries = read_roster(roster)
        if output.exists() and not output.is_dir():
            raise InputError(f"{output} 已存在且不是文件夹 (output must be a folder with --roster)")
        try:
            with progress("生成模板") as bar:
                task = bar.add_task("", total=len(entries))
                written = write_roster_templates(
                    entries,
                    year,
                    output,
                    password=password,
                    scope=scope or DEFAULT_SCOPE,
                    spec=spec,
                    on_written=lambda _: bar.advance(task),
                )
        except OSError as exc:
            raise InputError(f"无法写入 {exc.filename or output}：{exc.strerror} (cannot write)") from None
        console.print(f"已生成 {len(written)} 个模板 → {output}")
        return
    if unit.strip() or code.strip():
        unit, code = check_unit(unit or "（未填写）", code, "--unit/--code")
        unit = "" if unit == "（未填写）" else unit
    if output.suffix.lower() != ".xlsx":
        raise InputError(f"输出文件应以 .xlsx 结尾：{output} (output must end in .xlsx)")
    if not output.parent.is_dir():
        raise InputError(f"文件夹不存在：{output.parent} (folder does not exist)")
    if output.is_dir():
        raise InputError(f"{output} 是文件夹，不是文件 (output is a folder)")
    try:
        write_template(
            output, year=year, unit_name=unit.strip(), unit_code=code, scope=scope or "", password=password, spec=spec
        )
    except OSError as exc:
        raise InputError(f"无法写入 {output}：{exc.strerror} (cannot write)") from None
    console.print(f"已生成模板 → {output}（{year} 年度，{spec.document}）")
