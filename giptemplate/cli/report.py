"""giptemplate report: render the publishable annual report of each workbook (a unit's, or the merged summary)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click
from rich.text import Text

from giptemplate.cli._common import console, err_console, progress
from giptemplate.errors import GipError, InputError
from giptemplate.files import atomic
from giptemplate.files.inputs import find_inputs, free_name
from giptemplate.files.paths import display_name, safe_component, unit_filename
from giptemplate.findings import FileStatus, Finding
from giptemplate.format.spec import Spec
from giptemplate.pipeline import check_path
from giptemplate.report.mark import is_own_report
from giptemplate.report.model import DRAFT_MARK, FORMATS, SUFFIXES, ReportData, ReportFormat
from giptemplate.report.render import render
from giptemplate.report.texts_file import read_texts

EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2
MAX_LISTED = 20  # error findings listed per refused workbook


@dataclass
class _Outcome:
    path: Path
    status: str  # 已生成 / 草稿 / 未生成 / 无法读取
    target: Path | None = None
    reason: str = ""
    errors: tuple[Finding, ...] = ()


def _format_for(fmt: str | None, output: Path) -> ReportFormat:
    by_suffix = {suffix: f for f, suffix in SUFFIXES.items()}
    from_name = by_suffix.get(output.suffix.lower()) if not output.is_dir() else None
    if fmt is not None and from_name is not None and fmt != from_name:
        raise InputError(
            f"输出文件扩展名 {output.suffix} 与 --format {fmt} 不一致 (output suffix and --format disagree)"
        )
    chosen = fmt or from_name or "docx"
    assert chosen in FORMATS
    return chosen


def _file_name(data: ReportData, source: Path, suffix: str, used: set[str]) -> str:
    if data.unit_name or data.unit_code:
        name = unit_filename(data.unit_code, data.title, suffix)
    else:
        name = safe_component(f"{source.stem}_{data.title}") + suffix
    return free_name(source.parent, name, suffix, used)


def _one(
    path: Path,
    fmt: ReportFormat,
    force: bool,
    target: Path | None,
    folder: Path,
    used: set[str],
    texts: Path | None = None,
) -> _Outcome:
    """Read, check and render one workbook; never raises for a bad file (the outcome says why). ``texts`` is a
    document whose narrative replaces the workbook's (checked like it)."""

    def replaced(spec: Spec) -> dict[str, str]:
        assert texts is not None
        return read_texts(texts, spec)

    checked = check_path(path, own_outputs=True, texts=replaced if texts is not None else None)
    submission = checked.submission
    if submission is None:
        reason = checked.error_message.removeprefix(f"{display_name(path)}：")
        return _Outcome(path, FileStatus.UNREADABLE, reason=reason)
    errors = tuple(f for f in checked.findings if f.severity == "error")
    if errors and not force:
        return _Outcome(path, "未生成", reason=f"校验有 {len(errors)} 个错误，未生成报告", errors=errors)
    try:
        data = ReportData.from_submission(submission)
        content = render(data, fmt, draft=bool(errors))
    except GipError as exc:
        return _Outcome(path, "未生成", reason=str(exc), errors=errors)
    except Exception as exc:  # a renderer bug must not stop the batch either
        return _Outcome(path, "未生成", reason=f"生成报告时发生内部错误（{type(exc).__name__}）", errors=errors)
    out = target if target is not None else folder / _file_name(data, path, SUFFIXES[fmt], used)
    # Our own earlier report is re-written; a file we did not write, or one edited since, never without --force.
    if (out.exists() or out.is_symlink()) and not force and not is_own_report(out):
        return _Outcome(
            path,
            "未生成",
            reason=f"{out} 已存在且不是本工具生成后未经修改的报告，拒绝覆盖（可能是手工修改过的报告）；"
            "请换一个文件名，或加 --force 覆盖",
            errors=errors,
        )
    try:
        atomic.write_bytes(out, content)
    except OSError as exc:
        return _Outcome(path, "未生成", reason=f"无法写入 {out}：{exc.strerror}", errors=errors)
    return _Outcome(path, "草稿" if errors else "已生成", target=out, errors=errors)


def _print(outcome: _Outcome) -> None:
    line = Text()
    if outcome.status in ("已生成", "草稿"):
        line.append(outcome.status, style="green" if outcome.status == "已生成" else "bold yellow")
        line.append(f"　{outcome.path} → {outcome.target}")
        if outcome.status == "草稿":
            line.append(f"（{DRAFT_MARK}，{len(outcome.errors)} 个错误）")
        console.print(line)
        return
    line.append(outcome.status, style="bold red")
    line.append(f"　{outcome.path}：{outcome.reason}")
    err_console.print(line)
    for finding in outcome.errors[:MAX_LISTED]:
        where = f"{finding.location}　" if finding.location else ""
        err_console.print(Text(f"　　{finding.severity_label} {finding.code}　{where}{finding.message}"))
    if len(outcome.errors) > MAX_LISTED:
        err_console.print(Text(f"　　……另有 {len(outcome.errors) - MAX_LISTED} 个错误，请用 giptemplate check 查看"))


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="输出文件（一个工作簿时）或文件夹（多个工作簿或文件夹时，每个工作簿一份报告）。",
)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default=None, help="报告格式（默认按输出文件扩展名，否则 docx）。"
)
@click.option(
    "--force",
    is_flag=True,
    help=(
        f"校验有错误时仍生成报告（每页标注“{DRAFT_MARK}”），并允许覆盖已存在的其他文件"
        "（本工具生成后未经修改的报告不加 --force 也会被更新）。"
    ),
)
@click.option(
    "--texts",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=(
        "文字内容文件（.docx、.md 或 .txt，按报告六个部分的标题分段），代替工作簿“文字内容”表的文字；只用于一个工作簿。"
    ),
)
def report(inputs: tuple[Path, ...], output: Path, fmt: str | None, force: bool, texts: Path | None) -> None:
    """生成政府信息公开工作年度报告 (render the publishable annual report: Word, Markdown or HTML).

    FILE_OR_DIR 为单位报表或汇总报表（本级政府汇总），可为文件或文件夹（递归查找 .xlsx/.xlsm/.xls/.ods）。
    校验有错误的报表不生成报告并列出错误，除非使用 --force（生成草稿）。
    退出码：0 全部生成，1 有报表校验有错误，2 有文件无法读取或用法错误。
    """
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        raise InputError(f"找不到输入：{'、'.join(missing)} (input not found)")
    chosen = _format_for(fmt, output)
    files, skipped = find_inputs(inputs)
    if not files:
        raise InputError("没有找到报表文件（.xlsx/.xlsm/.xls/.ods）(no workbook found)")
    single = len(files) == 1 and not any(p.is_dir() for p in inputs) and not output.is_dir()
    single = single and output.suffix.lower() in SUFFIXES.values()
    if texts is not None:
        if len(files) != 1:
            raise InputError("--texts 只能用于一个工作簿 (--texts needs exactly one workbook)")
        if not texts.is_file():
            raise InputError(f"找不到文字内容文件：{texts} (texts file not found)")
    if single:
        if not output.parent.exists():
            raise InputError(f"文件夹不存在：{output.parent} (folder does not exist)")
        folder, target = output.parent, output
    else:
        if output.exists() and not output.is_dir():
            raise InputError(f"{output} 已存在且不是文件夹；多个报表时 -o 应为文件夹 (-o must be a folder)")
        if output.suffix.lower() in SUFFIXES.values():
            raise InputError(
                f"多个报表时 -o 应为文件夹，而不是 {output.name} (-o must be a folder for several workbooks)"
            )
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"无法创建文件夹 {output}：{exc.strerror} (cannot create folder)") from None
        folder, target = output, None

    outcomes: list[_Outcome] = []
    used: set[str] = set()
    with progress("生成报告") as bar:
        task = bar.add_task("", total=len(files))
        for path in files:
            outcomes.append(_one(path, chosen, force, target, folder, used, texts))
            bar.advance(task)
    for outcome in outcomes:
        _print(outcome)

    statuses = [o.status for o in outcomes]
    counts = "，".join(
        f"{s} {statuses.count(s)}" for s in ("已生成", "草稿", "未生成", FileStatus.UNREADABLE) if statuses.count(s)
    )
    line = f"共 {len(outcomes)} 个文件：{counts}"
    if skipped:
        line += f"（文件夹中另有 {len(skipped)} 个非报表文件未读取）"
    console.print(Text(line))
    if FileStatus.UNREADABLE in statuses:
        sys.exit(EXIT_UNREADABLE)
    sys.exit(EXIT_FINDINGS if any(o.errors or o.status == "未生成" for o in outcomes) else EXIT_OK)
