"""Shared console objects and helpers of the CLI commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

FC = TypeVar("FC", bound=Callable[..., Any])

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def progress(description: str) -> Progress:
    """A progress bar on stderr, so stdout stays clean for piped output."""
    return Progress(
        TextColumn(description),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


@contextmanager
def reporting(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress callback (done, total) whose bar appears with the first report. The bar's refresh thread starts
    only then, after the workers have started: a process with one thread forks them at once
    (:func:`giptemplate.merge.collect.collect`), where a second thread sends them through a fork server."""
    bar = progress(description)
    task: list[Any] = []

    def report(done: int, total: int) -> None:
        if not task:
            bar.start()
            task.append(bar.add_task("", total=total))
        bar.update(task[0], completed=done, total=total)

    try:
        yield report
    finally:
        if task:
            bar.stop()


def engine_options(command: FC) -> FC:
    """--jobs, --engine and --scheduler: how the per-file pipeline is run over many files."""
    options = (
        click.option("--jobs", type=click.IntRange(min=1), default=None, help="并行进程数（默认：全部 CPU 核心）。"),
        click.option(
            "--engine",
            type=click.Choice(("local", "dask")),
            default="local",
            show_default=True,
            help="local：本机进程池；dask：Dask 集群（需 pip install 'giptemplate[dask]'）。",
        ),
        click.option(
            "--scheduler",
            default=None,
            metavar="ADDRESS",
            help="Dask 调度器地址（如 tcp://10.0.0.5:8786）；不指定时在本机启动 LocalCluster。",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command
