"""The README's 快速上手 works when typed literally after the demo, and every option of every command is in it.

The commands are taken from the README itself (its first ``sh`` block under 快速上手) and run in a fresh folder
with the installed ``giptemplate`` on PATH, as a newcomer would after ``source .venv/bin/activate``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
from docx import Document

from giptemplate.cli import main

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEV_SH = (ROOT / "scripts" / "dev.sh").read_text(encoding="utf-8")


def quick_start() -> list[str]:
    section = README.split("## 快速上手", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_runs_as_typed(tmp_path: Path) -> None:
    lines = quick_start()
    assert lines[0].startswith("bash scripts/dev.sh demo") and lines[1].startswith("source .venv/bin/activate")
    # dev.sh demo installs, then runs exactly this: the demo into ./giptemplate-demo
    assert 'exec .venv/bin/giptemplate demo -o "${1:-giptemplate-demo}"' in DEV_SH
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    commands = [["giptemplate", "demo", "-o", "giptemplate-demo"]]
    commands += [shlex.split(line, comments=True) for line in lines[2:]]
    for command in commands:
        assert command[0] == "giptemplate", command
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        # check, merge and report say 1 for the demo's planted errors, check 2 for its damaged file
        allowed = (0, 1, 2) if command[1] == "check" else (0, 1)
        assert done.returncode in allowed, (command, done.stdout[-2000:], done.stderr[-2000:])
        assert "Traceback" not in done.stderr, command
    assert (tmp_path / "模板.xlsx").is_file()
    assert len(list((tmp_path / "模板").glob("*.xlsx"))) >= 10
    assert list((tmp_path / "退回").glob("*_退回修改.xlsx"))
    assert (tmp_path / "汇总.xlsx").is_file()
    paragraphs = [p.text for p in Document(str(tmp_path / "年度报告.docx")).paragraphs]
    assert any("郑县人民政府2021年政府信息公开工作年度报告" in p.replace("\n", "") for p in paragraphs)
    narrative = (tmp_path / "giptemplate-demo" / "汇总" / "文字内容.md").read_text(encoding="utf-8")
    assert any(p and p in narrative for p in paragraphs if len(p) > 30)  # the narrative came from --texts


def test_every_option_of_every_command_is_documented() -> None:
    commands = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    assert isinstance(main, click.Group)
    # the subcommands load lazily: ask the group for them as `giptemplate X --help` does (main.commands starts empty)
    ctx = click.Context(main)
    names = main.list_commands(ctx)
    assert {"new", "check", "merge", "report", "serve", "demo", "extract"} <= set(names)
    for name in names:
        command = main.get_command(ctx, name)
        assert command is not None, name
        assert f"`giptemplate {name} " in commands, name
        rows = [line for line in commands.splitlines() if f"`giptemplate {name} " in line]
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                spelled = [re.compile(rf"(?<![\w-]){re.escape(opt)}(?![\w-])") for opt in param.opts]
                assert any(p.search(row) for p in spelled for row in rows), f"{name} {param.opts}"
