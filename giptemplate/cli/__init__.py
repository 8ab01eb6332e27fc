"""The giptemplate command line. It only wires the public API together, and it is the only place that prints."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from giptemplate import __version__
from giptemplate.cli._common import console, err_console
from giptemplate.errors import GipError, InputError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


# Each subcommand is imported only when it runs (or when help lists them): a one-file check must not pay for the
# modules of merge, report or new (xlsxwriter, pandas, the roster).
COMMANDS = {
    "new": "giptemplate.cli.new",
    "check": "giptemplate.cli.check",
    "merge": "giptemplate.cli.merge",
    "report": "giptemplate.cli.report",
    "demo": "giptemplate.cli.demo",
    "serve": "giptemplate.cli.serve",
    "extract": "giptemplate.cli.extract",
}


class _Group(click.Group):
    """Loads subcommands lazily; turns every expected failure into one line on stderr and exit code 2, never a
    traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module = importlib.import_module(COMMANDS[cmd_name])
            self.add_command(getattr(module, cmd_name))
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except InputError as exc:
            err_console.print(f"[red]错误[/red]：{exc}", highlight=False, markup=True)
            sys.exit(EXIT_USAGE)
        except GipError as exc:
            err_console.print(f"[red]错误[/red]：{exc}", highlight=False)
            sys.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            err_console.print("已中断 (interrupted)")
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("GIPTEMPLATE_DEBUG"):
                raise
            err_console.print(
                f"[red]内部错误[/red] (internal error): {type(exc).__name__}: {exc}；"
                "设置 GIPTEMPLATE_DEBUG=1 可查看详细信息",
                highlight=False,
            )
            sys.exit(3)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="giptemplate")
def main() -> None:
    """政府信息公开工作年度报告：生成模板、读取校验、汇总、生成报告。

    Templates, checks, merge and report for the annual government information disclosure reports.
    """


__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "console", "err_console", "main"]
