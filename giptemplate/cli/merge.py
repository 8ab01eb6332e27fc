"""giptemplate merge: read and check every returned file, account for every unit, write the summary workbook."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from giptemplate.cli._common import console, engine_options, err_console, reporting
from giptemplate.errors import InputError
from giptemplate.files.inputs import SUMMARY_KIND, check_output, find_inputs, named_files
from giptemplate.findings import SEVERITY_LABELS
from giptemplate.merge import INCLUDED_TEXT, PASSED, STATUSES, MergeResult, write_dataset, write_long, write_summary
from giptemplate.merge import merge as run_merge

SHOWN_PROBLEMS = 20


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="汇总工作簿（.xlsx）。")
@click.option(
    "--roster",
    type=click.Path(path_type=Path),
    default=None,
    help="单位名单（CSV 或 XLSX，列：单位名称、单位代码、分组），用于核对未报送和名单外单位。",
)
@click.option(
    "--previous",
    type=click.Path(path_type=Path),
    multiple=True,
    help="上年度报送的文件或文件夹（跨年度检查）；可重复。",
)
@click.option(
    "--long",
    "long_output",
    type=click.Path(path_type=Path),
    default=None,
    help="另存全部单位的长表数据（.parquet 或 .csv）。",
)
@click.option(
    "--dataset",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="把长表数据加入按年度、地区分区的 Parquet 数据集文件夹（同年度同地区的旧数据被替换，其他保留，逐年累积）。",
)
@click.option("--region", default="", help="数据集中的地区名（默认为 --office）。")
@engine_options
@click.option("--office", default="", help="汇总单位名称（写在汇总表封面，默认“汇总”）。")
def merge(
    inputs: tuple[Path, ...],
    output: Path,
    roster: Path | None,
    previous: tuple[Path, ...],
    long_output: Path | None,
    dataset: Path | None,
    region: str,
    jobs: int | None,
    engine: str,
    scheduler: str | None,
    office: str,
) -> None:
    """汇总收回的报表 (merge returned workbooks: statuses, checks, totals, summary workbook).

    INPUT 可以是文件或文件夹（递归查找），可混合多个。计入汇总的是状态为“通过”和“有错误”的单位。

    \b
    退出码 (exit codes)：
      0  汇总完成，没有错误
      1  汇总完成，但有错误或名单内单位未报送
      2  用法错误，或没有可以汇总的文件
    """
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        raise InputError(f"找不到输入：{'、'.join(missing)} (input not found)")
    if output.suffix.lower() != ".xlsx":
        raise InputError(f"输出文件应以 .xlsx 结尾：{output} (output must end in .xlsx)")
    if not output.parent.exists():
        raise InputError(f"文件夹不存在：{output.parent} (folder does not exist)")
    if long_output is not None:
        if long_output.suffix.lower() not in (".parquet", ".csv"):
            raise InputError(f"--long 只支持 .parquet 或 .csv：{long_output} (long output must be .parquet or .csv)")
        if not long_output.parent.exists():
            raise InputError(f"文件夹不存在：{long_output.parent} (folder does not exist)")
    if roster is not None and not roster.exists():
        raise InputError(f"找不到单位名单：{roster} (roster not found)")

    # Outputs never replace a file we read, nor any file we did not write (a unit's workbook named by mistake).
    read = [*find_inputs(inputs)[0], *find_inputs(previous)[0]]
    named = named_files((*inputs, *previous))
    check_output(output, read, named, kind=SUMMARY_KIND)
    if long_output is not None:
        check_output(long_output, read, named, kind=None)
    with reporting("读取并校验") as advance:
        result = run_merge(
            inputs,
            roster=roster,
            previous=list(previous) or None,
            jobs=jobs,
            on_progress=advance,
            office=office,
            engine=engine,
            scheduler=scheduler,
        )
    try:
        write_summary(result, output)
        if long_output is not None:
            write_long(result, long_output)
        if dataset is not None:
            write_dataset(result, dataset, region=region)
    except OSError as exc:
        raise InputError(f"无法写入输出文件：{exc.filename or output}：{exc.strerror} (cannot write output)") from None
    _print(result, output, long_output)
    if dataset is not None:
        console.print(Text(f"长表数据集 → {dataset}"))
    sys.exit(result.exit_code)


def _print(result: MergeResult, output: Path, long_output: Path | None) -> None:
    counts = result.counts
    line = "，".join(f"{s} {counts[s]}" for s in STATUSES if counts[s])
    console.print(f"共 {len(result.entries)} 行（{line}）；计入汇总 {len(result.included)} 个单位。")
    console.print(INCLUDED_TEXT)
    if result.previous_files is not None:
        unreadable = len(result.previous_unreadable)
        console.print(
            f"上年度文件 {result.previous_files} 个"
            + (f"（{unreadable} 个无法读取）" if unreadable else "")
            + "，已做跨年度检查。"
        )
    problems = [e for e in result.entries if e.status != PASSED or not e.included]
    if problems:
        table = Table(show_header=True, header_style="bold", box=None)
        for title in ("状态", "单位", "文件", "说明"):
            table.add_column(title, overflow="fold")
        for e in problems[:SHOWN_PROBLEMS]:
            reason = e.reason or f"{e.errors} 个错误"
            # Unit and file names are untrusted: Text objects, so "[...]" in them is never read as markup.
            cells = (Text(e.status), Text(e.unit_name or "—"), Text(e.file or "—"), Text(reason))
            table.add_row(*cells, style="red" if e.errors else None)
        console.print(table)
        if len(problems) > SHOWN_PROBLEMS:
            console.print(f"……另有 {len(problems) - SHOWN_PROBLEMS} 行，见汇总工作簿“报送情况”。")
    by_severity = {s: 0 for s in SEVERITY_LABELS}
    for f in result.finding_list:
        by_severity[f.severity] += 1
    console.print("校验问题：" + "，".join(f"{SEVERITY_LABELS[s]} {n} 条" for s, n in by_severity.items()))
    # a file of another format is never merged: say which (M403), as the sums that fail (M404)
    for f in [f for f in result.finding_list if f.code in ("M403", "M404")][:5]:
        console.print(Text.assemble((f.code, "red"), " ", f.message))
    console.print(Text(f"汇总工作簿 → {output}"))
    if long_output is not None:
        console.print(Text(f"长表数据 → {long_output}"))
    if result.exit_code == 2:
        err_console.print("[red]错误[/red]：没有可以计入汇总的文件 (nothing could be merged)", markup=True)
