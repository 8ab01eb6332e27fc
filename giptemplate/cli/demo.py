"""giptemplate demo: the whole workflow of a county office on built-in sample data."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.text import Text

from giptemplate.cli._common import console
from giptemplate.errors import InputError


@click.command()
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path),
    default=Path("giptemplate-demo"),
    show_default=True,
    help="输出文件夹。",
)
def demo(output: Path) -> None:
    """示例：名单、模板、模拟填报、校验、退回、汇总、报告 (run the whole workflow on a sample county)."""
    from giptemplate.demo.county import run_demo

    if output.exists() and not output.is_dir():
        raise InputError(f"{output} 已存在且不是文件夹 (output must be a folder)")
    started = time.perf_counter()
    console.print(Text(f"示例县：郑县，{len(_units())} 个单位；输出到 {output}"))
    result = run_demo(output, on_step=lambda line: console.print(Text("• " + line)))
    console.print()
    console.print("各单位情况：")
    for unit, scenario in result.scenarios.items():
        console.print(Text(f"  {unit}：{scenario}"))
    console.print()
    console.print("逐个校验（每个文件单独检查；与其他单位雷同、名单外、重复报送、未报送要到汇总时才能发现）：")
    for name, verdict in result.check_lines:
        console.print(Text(f"  {name}：{verdict}"))
    merged = result.merge
    console.print()
    console.print(
        Text(
            f"汇总退出码 {merged.exit_code}（有错误或未报送单位时为 1）；"
            f"用时 {time.perf_counter() - started:.1f} 秒。打开 {result.summary} 查看汇总表、报送情况和校验问题。"
        )
    )
    console.print()
    console.print(Text(f"在浏览器中查看（示例文件夹就是一个工作区）：giptemplate serve --workspace {output}"))


def _units() -> tuple[object, ...]:
    from giptemplate.demo.county import UNITS

    return UNITS
