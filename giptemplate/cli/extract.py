"""giptemplate extract: published reports (Word, PDF, web page) into filled template workbooks."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.text import Text

from giptemplate.cli._common import console, err_console, progress
from giptemplate.files.inputs import discover
from giptemplate.merge.collect import default_jobs
from giptemplate.published.batch import extract_all


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="REPORT...", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="输出文件夹。")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="并行进程数（默认：全部 CPU 核心）。")
def extract(inputs: tuple[Path, ...], output: Path, jobs: int | None) -> None:
    """从已发布的年度报告（Word、PDF、网页）提取数据，生成填好的模板工作簿。

    Extract published reports (.docx, .pdf with text, .html/.mhtml, .txt/.md) into filled template workbooks,
    one per report, with a 来源 sheet giving where each value is printed. REPORT may be files or folders.
    """
    # Every file found is accounted for, as merge accounts for it: a lock or hidden file is listed as skipped
    # with the reason, anything else is read and, when it is no report, refused with the reason.
    found = discover(inputs)
    files = [f.path for f in found if not f.skip]
    for entry in found:
        if entry.skip:
            console.print(Text(f"– {entry.shown}：已跳过（{entry.skip}）"))
    if not files:
        err_console.print("没有找到可提取的报告文件 (no report found)")
        sys.exit(2)
    with progress("提取") as bar:
        task = bar.add_task("", total=len(files))

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        results = extract_all(files, output, jobs=jobs or default_jobs(), on_progress=advance)
    refused = 0
    for r in results:
        if r.error:
            refused += 1
            console.print(Text(f"✗ {r.error}"))  # names and messages quote the file: never read as markup
        else:
            line = f"✓ {Path(r.source).name} → {r.output}（{r.unit_name} {r.year or ''}，{r.values} 个数值）"
            console.print(Text(line))
    skipped = len(found) - len(files)
    also = f"另有 {skipped} 个文件已跳过（见上）。" if skipped else ""
    console.print(f"共 {len(results)} 份报告：提取 {len(results) - refused} 份，无法读取 {refused} 份。{also}")
    sys.exit(1 if refused else 0)
