"""Shared console objects and helpers of the CLI commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress

FC = TypeVar("FC", bound=Callable[..., Any])

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def progress(description: str) -> Progress:
    """A progress bar on stderr, so stdout stays clean for piped output."""
    # lazy: importing rich's progress module costs a one-file check's start-up about 10 ms, for a bar it never shows
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
    """A progress callback (done, total) whose bar appears with the first report of a batch of several files (one
    file is done before a bar could say anything). The bar's refresh thread starts only then, after the workers
    have started: a process with one thread forks them at once (:func:`giptemplate.merge.collect.collect`), where a
    second thread sends them through a fork server."""
    shown: list[tuple[Progress, Any]] = []  # the bar and its task, once shown

    def report(done: int, total: int) -> None:
        if not shown:
            if total <= 1:
                return
            bar = progress(description)
            bar.start()
            shown.append((bar, bar.add_task("", total=total)))
        bar, task = shown[0]
        bar.update(task, completed=done, total=total)

    try:
        yield report
    finally:
        if shown:
            shown[0][0].stop()


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
