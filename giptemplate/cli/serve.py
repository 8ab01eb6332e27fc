"""giptemplate serve: the local web page over a workspace folder."""

from __future__ import annotations

import socket
import threading
import webbrowser
from pathlib import Path

import click
from rich.text import Text

from giptemplate.cli._common import console
from giptemplate.errors import InputError


@click.command()
@click.option(
    "--workspace",
    type=click.Path(path_type=Path),
    default=Path("giptemplate-工作区"),
    show_default=True,
    help="工作区文件夹（每个报告年度一个；不存在时创建）。",
)
@click.option("--year", type=int, default=None, help="报告年度（新建工作区时记录；默认上一年）。")
@click.option("--office", default="", help="汇总单位名称（如“某某县人民政府”）。")
@click.option("--previous", type=click.Path(path_type=Path), default=None, help="上年度的收回文件夹（跨年度检查）。")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="端口。")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="监听地址；0.0.0.0 供局域网内同事访问（需要启动时显示的访问码）。",
)
@click.option("--no-browser", is_flag=True, help="不自动打开浏览器。")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="校验用的进程数（默认：全部 CPU 核心）。")
def serve(
    workspace: Path,
    year: int | None,
    office: str,
    previous: Path | None,
    port: int,
    host: str,
    no_browser: bool,
    jobs: int | None,
) -> None:
    """在浏览器中完成整个年报工作：名单、模板、收回校验、退回、汇总、报告 (the local web page).

    按 Ctrl+C 停止。工作区中的文件与命令行共用：
    giptemplate merge 工作区/收回 --roster 工作区/名单/单位名单.csv 得到相同结果。
    """
    import uvicorn  # lazy: the web stack loads only when serving, not for --help

    from giptemplate.web.app import create_app  # lazy: the web app loads only when serving
    from giptemplate.web.security import is_loopback, new_access_code
    from giptemplate.web.workspace import Workspace

    if year is not None and not 2000 <= year <= 2100:
        raise InputError(f"报告年度不正确：{year} (bad year)")
    space = Workspace(workspace)
    space.create(year=year, office=office, previous=previous.resolve() if previous else None)
    loopback = is_loopback(host)
    code = None if loopback else new_access_code()
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind((host, port))
    except OSError as exc:
        raise InputError(f"无法在 {host}:{port} 启动：{exc.strerror}（端口可能已被占用，请换一个 --port）") from None
    app = create_app(space, access_code=code, loopback_only=loopback, jobs=jobs)
    shown = "127.0.0.1" if loopback else host
    url = f"http://{shown}:{port}/"
    console.print(Text(f"工作区：{space.root.resolve()}（{space.year} 年度）"))
    console.print(Text(f"页面地址：{url}    按 Ctrl+C 停止"))
    if code is not None:
        console.print(Text(f"访问码：{code}（局域网内的同事打开页面时需要输入）"))
    if not no_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
