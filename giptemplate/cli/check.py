"""giptemplate check: read and check returned workbooks, print the findings per file, write return copies."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from giptemplate import atomic
from giptemplate.checks import FileReport, check_file, unreadable_report
from giptemplate.cli._common import console, err_console, progress
from giptemplate.errors import GipError, InputError, IntakeError
from giptemplate.paths import display_text, safe_component, unit_filename
from giptemplate.previous import PreviousIndex, load_previous, previous_for

EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2
FORMATS = ("table", "json", "csv", "xlsx")
RETURN_SUFFIX = "_退回修改.xlsx"
SEVERITY_STYLE = {"错误": "bold red", "需说明": "yellow", "警告": "magenta", "提示": "dim"}
STATUS_STYLE = {"通过": "green", "有错误": "bold red", "无法读取": "bold red"}


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


def _check_one(path: Path, previous: PreviousIndex | None, previous_expected: bool, named: bool) -> FileReport | None:
    """Read and check one file; never raises for a bad file (the report says why it could not be read).

    None for one of our own outputs found in a folder (an unsaved return copy, a summary, a check report): it is
    counted, not checked as a submission. A file named explicitly is always checked."""
    from giptemplate.merge.collect import generated_file, is_generated
    from giptemplate.reader import read_workbook

    display = display_text(str(path))  # a GBK name from an unzipped archive must not stop the csv/json/xlsx writer
    try:
        submission = read_workbook(path)
    except IntakeError as exc:
        if not named and generated_file(path):
            return None
        return unreadable_report(display, exc.code, exc.message)
    except Exception as exc:  # a reader bug must not stop the batch; the file is listed with the reason
        return unreadable_report(display, "F005", f"{path.name}：读取时发生内部错误（{type(exc).__name__}: {exc}）")
    if not named and is_generated(submission.meta.get("kind", ""), submission.saved_at):
        return None
    last_year = previous_for(previous, submission) if previous is not None else None
    report = check_file(submission, last_year, previous_expected=previous_expected)
    return dataclasses.replace(report, file=display)


def _print_table(reports: list[FileReport]) -> None:
    for report in reports:
        title = Text(report.file, style="bold underline")
        if report.unit_name:
            title.append(f"　{report.unit_name}", style="bold")
        console.print()
        console.print(title)
        if report.readable and report.findings:
            table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
            table.add_column("级别", no_wrap=True)
            table.add_column("代码", no_wrap=True)
            table.add_column("位置", no_wrap=True)
            table.add_column("说明", overflow="fold")
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


def _write_returns(reports: list[FileReport], folder: Path) -> tuple[int, list[str]]:
    from giptemplate.merge.collect import generated_file
    from giptemplate.review import RETURN_KIND, write_return_copy

    written, failures = 0, []
    used: set[str] = set()
    for report in reports:
        sub = report.submission
        if sub is None or not report.needs_return:
            continue
        if sub.unit_name.strip() or sub.unit_code.strip():
            name = unit_filename(sub.unit_code, sub.unit_name, RETURN_SUFFIX)
        else:
            name = safe_component(Path(report.file).stem) + RETURN_SUFFIX
        stem = name.removesuffix(RETURN_SUFFIX)
        n = 2
        # Never over a file someone else saved there (a unit's corrected copy keeps this name); ours are renewed.
        while name in used or ((folder / name).exists() and generated_file(folder / name) != RETURN_KIND):
            name = f"{stem}_{n}{RETURN_SUFFIX}"
            n += 1
        used.add(name)
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
def check(
    inputs: tuple[Path, ...], previous: tuple[Path, ...], fmt: str | None, output: Path | None, return_dir: Path | None
) -> None:
    """校验收回的报表 (check returned workbooks and list the findings per file).

    FILE_OR_DIR 可以是文件或文件夹（递归查找 .xlsx/.xlsm/.xls/.ods），可混合多个。

    \b
    退出码：0 无错误，1 有错误，2 有文件无法读取或用法错误。
    """
    from giptemplate.merge.collect import FINDINGS_KIND, check_output, find_inputs, named_files
    from giptemplate.render import to_csv, to_json, to_xlsx

    missing = [str(p) for p in (*inputs, *previous) if not p.exists()]
    if missing:
        raise InputError(f"找不到输入：{'、'.join(missing)} (input not found)")
    chosen = _format_for(fmt, output)
    files, skipped = find_inputs(inputs)
    if output is not None:
        kind = FINDINGS_KIND if chosen == "xlsx" else None
        check_output(output, [*files, *find_inputs(previous)[0]], named_files((*inputs, *previous)), kind=kind)
    if not files:
        raise InputError("没有找到要校验的文件（.xlsx/.xlsm/.xls/.ods）(no workbook found)")
    if return_dir is not None:
        if return_dir.exists() and not return_dir.is_dir():
            raise InputError(f"{return_dir} 已存在且不是文件夹 (--return-dir must be a folder)")
        try:
            return_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"无法创建文件夹 {return_dir}：{exc.strerror} (cannot create folder)") from None

    index: PreviousIndex | None = None
    if previous:
        with progress("读取上年度文件") as bar:
            task = bar.add_task("", total=None)
            index = load_previous(previous, on_file=lambda _: bar.advance(task))
        for _, reason in index.refused:
            err_console.print(Text(f"上年度文件无法读取：{reason}"))
        if not len(index):
            raise InputError("--previous 中没有可读取的上年度文件 (no readable previous-year file)")

    named = {p.resolve() for p in named_files(inputs)}
    reports: list[FileReport] = []
    generated = 0
    with progress("读取并校验") as bar:
        task = bar.add_task("", total=len(files))
        for path in files:
            report = _check_one(path, index, bool(previous), path.resolve() in named)
            if report is None:
                generated += 1
            else:
                reports.append(report)
            bar.advance(task)
    if not reports:
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
        written, failures = _write_returns(reports, return_dir)
        for line in failures:
            err_console.print(Text(line, style="red"))
        summary_console.print(Text(f"已生成 {written} 个退回修改件 → {return_dir}"))
    statuses = [r.status for r in reports]
    counts = "，".join(f"{s} {statuses.count(s)}" for s in ("通过", "有错误", "无法读取") if statuses.count(s))
    line = f"共 {len(reports)} 个文件：{counts}"
    if skipped:
        line += f"（文件夹中另有 {len(skipped)} 个非报表文件未读取）"
    if generated:
        line += f"；本工具生成的文件，未读取：{generated}"
    if output is not None:
        line += f"；结果 → {output}"
    summary_console.print(Text(line))
    if any(not r.readable for r in reports):
        sys.exit(EXIT_UNREADABLE)
    sys.exit(EXIT_FINDINGS if any(r.status == "有错误" for r in reports) else EXIT_OK)
