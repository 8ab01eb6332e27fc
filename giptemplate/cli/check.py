"""giptemplate check: read and check returned workbooks, print the findings per file, write return copies."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from giptemplate.checks.checker import FileReport, unreadable_report
from giptemplate.checks.previous import PreviousRef
from giptemplate.cli._common import console, engine_options, err_console, reporting
from giptemplate.errors import GipError, InputError
from giptemplate.files import atomic
from giptemplate.files.inputs import (
    FINDINGS_KIND,
    RETURN_KIND,
    check_output,
    discover,
    find_inputs,
    free_name,
    generated_file,
    named_files,
)
from giptemplate.files.paths import display_text, safe_component, unit_filename
from giptemplate.findings import CODES, FileStatus, finding_columns
from giptemplate.merge.collect import FileResult, collect
from giptemplate.workbook.reader import read_workbook

EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2
FORMATS = ("table", "json", "csv", "xlsx")
RETURN_SUFFIX = "_退回修改.xlsx"
SEVERITY_STYLE = {"错误": "bold red", "需说明": "yellow", "警告": "magenta", "提示": "dim"}
STATUS_STYLE = {
    FileStatus.PASSED: "green",
    FileStatus.HAS_ERRORS: "bold red",
    FileStatus.UNREADABLE: "bold red",
    FileStatus.SKIPPED: "dim",
}


def _format_for(fmt: str | None, output: Path | None) -> str:
    if fmt is not None:
        chosen = fmt
    elif output is not None and output.suffix.lower().lstrip(".") in FORMATS[1:]:
        chosen = output.suffix.lower().lstrip(".")
    elif output is not None:
        raise InputError(
            f"无法从文件名判断输出格式：{output}，请用 --format json|csv|xlsx (cannot tell the output format)"
        )
    else:
        chosen = "table"
    if chosen == "table" and output is not None:
        raise InputError(
            "表格格式只显示在终端；写入文件请用 --format json|csv|xlsx (table output goes to the terminal)"
        )
    if fmt is not None and output is not None and output.suffix.lower() != f".{chosen}":
        raise InputError(
            f"输出文件 {output} 的扩展名应为 .{chosen}（与 --format {chosen} 一致）"
            " (the output's suffix must match --format)"
        )
    if chosen == "xlsx" and output is None:
        raise InputError("xlsx 格式需要用 -o 指定输出文件 (xlsx output needs -o FILE)")
    if output is not None and not output.parent.exists():
        raise InputError(f"文件夹不存在：{output.parent} (folder does not exist)")
    return chosen


def _report(result: FileResult, display: str) -> FileReport:
    """The checks' report of one file read by the per-file pipeline (the submission is read again only when a
    return copy is written)."""
    if not result.readable:
        code = result.error_code if result.error_code in CODES else "F005"
        return unreadable_report(display, code, result.error_message, result.error_variant, dict(result.error_fields))
    return FileReport(
        file=display,
        findings=result.findings,
        tally=result.tally,
        unit_name=result.unit_name,
        unit_code=result.unit_code,
    )


def _print_table(reports: list[FileReport]) -> None:
    for report in reports:
        title = Text(report.file, style="bold underline")
        if report.unit_name:
            title.append(f"　{report.unit_name}", style="bold")
        console.print()
        console.print(title)
        if report.readable and report.findings:
            table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
            for key, heading in finding_columns("severity", "code", "location", "message"):
                if key == "message":
                    table.add_column(heading, overflow="fold")
                else:
                    table.add_column(heading, no_wrap=True)
            for f in report.findings:
                # Messages quote submitted text: Text objects, so "[...]" in them is never read as markup.
                table.add_row(
                    Text(f.severity_label, style=SEVERITY_STYLE.get(f.severity_label, "")),
                    Text(f.code),
                    Text(f.location),
                    Text(f.message),
                )
            console.print(table)
        _print_verdict(report, console)


def _print_verdict(report: FileReport, where: Console) -> None:
    line = Text()
    line.append(report.status, style=STATUS_STYLE.get(report.status, ""))
    line.append(f"　{report.file}　")
    line.append(report.detail())
    where.print(line)


def _write_returns(reports: list[FileReport], sources: list[Path], folder: Path) -> tuple[int, list[str]]:
    from giptemplate.workbook.review import write_return_copy  # lazy: xlsxwriter loads only when copies are asked

    written, failures = 0, []
    used: set[str] = set()
    for report, source in zip(reports, sources, strict=True):
        if not report.needs_return:
            continue
        try:
            sub = report.submission or read_workbook(source)
        except (GipError, OSError) as exc:
            failures.append(f"{report.file}：无法生成退回修改件（{exc}）")
            continue
        if sub.unit_name.strip() or sub.unit_code.strip():
            name = unit_filename(sub.unit_code, sub.unit_name, RETURN_SUFFIX)
        else:
            name = safe_component(Path(report.file).stem) + RETURN_SUFFIX
        # Never over a file someone else saved there (a unit's corrected copy keeps this name); ours are renewed.
        name = free_name(folder, name, RETURN_SUFFIX, used, replaceable=lambda p: generated_file(p) == RETURN_KIND)
        try:
            write_return_copy(sub, report.findings, folder / name, summary=report.verdict())
        except (GipError, OSError) as exc:
            failures.append(f"{report.file}：无法生成退回修改件（{exc}）")
            continue
        written += 1
    return written, failures


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="FILE_OR_DIR...", type=click.Path(path_type=Path))
@click.option(
    "--previous",
    type=click.Path(path_type=Path),
    multiple=True,
    help="上年度报送的文件或文件夹（跨年度检查：上年结转、存量、收费、文字雷同）；可重复。",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="输出格式（默认 table，终端表格）。")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="输出文件（json/csv/xlsx）。")
@click.option(
    "--return-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="为有错误或需说明的文件生成退回修改件（预填原数据、标注问题单元格、附退回意见）的文件夹。",
)
@engine_options
def check(
    inputs: tuple[Path, ...],
    previous: tuple[Path, ...],
    fmt: str | None,
    output: Path | None,
    return_dir: Path | None,
    jobs: int | None,
    engine: str,
    scheduler: str | None,
) -> None:
    """校验收回的报表 (check returned workbooks and list the findings per file).

    FILE_OR_DIR 可以是文件或文件夹（递归查找），可混合多个。文件夹中的每个文件都列出：
    报表逐个校验；其他文件（PDF、Word 等）列为“无法读取”并说明原因；Office 锁文件、隐藏文件、
    重复的链接列为“已跳过”；.zip 压缩包解压后逐个校验其中的文件。

    \b
    退出码：0 无错误，1 有错误，2 有文件无法读取或用法错误。
    """
    missing = [str(p) for p in (*inputs, *previous) if not p.exists()]
    if missing:
        raise InputError(f"找不到输入：{'、'.join(missing)} (input not found)")
    with tempfile.TemporaryDirectory(prefix="giptemplate-unzip-") as scratch:
        _check(inputs, previous, _format_for(fmt, output), output, return_dir, jobs, engine, scheduler, Path(scratch))


def _check(
    inputs: tuple[Path, ...],
    previous: tuple[Path, ...],
    chosen: str,
    output: Path | None,
    return_dir: Path | None,
    jobs: int | None,
    engine: str,
    scheduler: str | None,
    scratch: Path,
) -> None:
    from giptemplate.checks.render import to_csv, to_json, to_xlsx  # lazy: xlsxwriter, only to write a report

    # Every file found is accounted for as merge accounts for it (the same discovery): read, or listed as
    # 已跳过 with the reason; a .zip of returns is opened and its files checked one by one.
    found = discover(inputs, unpack_into=scratch)
    files = [f.path for f in found if not f.skip]
    if output is not None:
        kind = FINDINGS_KIND if chosen == "xlsx" else None
        read = [f.path for f in found if not f.origin]
        check_output(output, [*read, *find_inputs(previous)[0]], named_files((*inputs, *previous)), kind=kind)
    if not files:
        raise InputError("没有找到要校验的文件（.xlsx/.xlsm/.xls/.ods）(no workbook found)")
    if return_dir is not None:
        if return_dir.exists() and not return_dir.is_dir():
            raise InputError(f"{return_dir} 已存在且不是文件夹 (--return-dir must be a folder)")
        try:
            return_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"无法创建文件夹 {return_dir}：{exc.strerror} (cannot create folder)") from None

    refs: list[PreviousRef] | None = None
    if previous:
        with reporting("读取上年度文件") as advance:
            earlier = collect(
                find_inputs(previous)[0],
                check=False,
                explicit=named_files(previous),
                on_progress=advance,
                jobs=jobs,
                engine=engine,
                scheduler=scheduler,
            )
        for r in earlier:
            if r.error_code:
                err_console.print(Text(f"上年度文件无法读取：{r.error_message}"))
        refs = [PreviousRef.of(r) for r in earlier if r.readable]
        if not refs:
            raise InputError("--previous 中没有可读取的上年度文件 (no readable previous-year file)")

    reports: list[FileReport] = []
    sources: list[Path] = []  # the file each report is about (its display name may differ)
    generated = 0
    skipped = 0
    with reporting("读取并校验") as advance:
        results = collect(
            files,
            previous=refs,
            explicit=named_files(inputs),
            fingerprints=False,
            on_progress=advance,
            jobs=jobs,
            engine=engine,
            scheduler=scheduler,
        )
    by_path = dict(zip(files, results, strict=True))
    for entry in found:
        # A GBK name from an unzipped archive must not stop the csv/json/xlsx writer: shown decoded.
        display = entry.origin or display_text(str(entry.path))
        if entry.skip:
            skipped += 1
            reports.append(FileReport(file=display, findings=(), skipped=entry.skip))
            sources.append(entry.path)
            continue
        result = by_path[entry.path]
        if result.generated:
            generated += 1
        else:
            reports.append(_report(result, display))
            sources.append(entry.path)
    if len(reports) == skipped:
        raise InputError(f"没有要校验的报送：{generated} 个文件都是本工具生成的文件 (only our own outputs found)")

    if chosen == "table":
        _print_table(reports)
    else:
        text = ""
        if chosen == "json":
            text = to_json(reports)
        elif chosen == "csv":
            text = to_csv(reports)
        try:
            if chosen == "xlsx":
                assert output is not None
                to_xlsx(reports, output)
            elif output is not None:
                atomic.write_text(output, text, encoding="utf-8-sig" if chosen == "csv" else "utf-8")
            else:
                click.echo(text, nl=False)
        except OSError as exc:
            raise InputError(f"无法写入输出文件：{output}：{exc.strerror} (cannot write output)") from None
        for report in reports:
            _print_verdict(report, console if output is not None else err_console)

    summary_console = console if chosen == "table" or output is not None else err_console
    if return_dir is not None:
        written, failures = _write_returns(reports, sources, return_dir)
        for line in failures:
            err_console.print(Text(line, style="red"))
        summary_console.print(Text(f"已生成 {written} 个退回修改件 → {return_dir}"))
    statuses = [r.status for r in reports]
    shown = (FileStatus.PASSED, FileStatus.HAS_ERRORS, FileStatus.UNREADABLE, FileStatus.SKIPPED)
    counts = "，".join(f"{s} {statuses.count(s)}" for s in shown if statuses.count(s))
    line = f"共 {len(reports)} 个文件：{counts}"
    if generated:
        line += f"；本工具生成的文件，未读取：{generated}"
    if output is not None:
        line += f"；结果 → {output}"
    summary_console.print(Text(line))
    if any(r.status == FileStatus.UNREADABLE for r in reports):
        sys.exit(EXIT_UNREADABLE)
    sys.exit(EXIT_FINDINGS if any(r.status == FileStatus.HAS_ERRORS for r in reports) else EXIT_OK)
