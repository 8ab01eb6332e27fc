"""A season of returned files for the web page's tests, and a live server over a workspace.

Thirty uploads: good returns, returns with errors, unreadable files, a unit's older second file (重复报送), a
unit off the roster, and one file sent twice byte for byte (recognised at upload, stored once).
"""

from __future__ import annotations

import csv
import random
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from submission_factory import write_filled, year_for

from giptemplate.demo.county import unit_code
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec
from giptemplate.web.app import create_app
from giptemplate.web.workspace import Workspace

YEAR = 2024
OFFICE = "某某县人民政府"
GROUPS = ("县直部门", "乡镇", "街道")


@dataclass
class Season:
    roster: Path  # the roster CSV
    names: list[str]  # roster unit names, in order
    uploads: list[Path]  # the thirty files, in upload order
    with_errors: list[Path]
    identical: Path  # the second copy of a file (same bytes)
    year: int  # the report year of the files: YEAR, or the last year of a format that ended before it


def write_roster(path: Path, units: list[tuple[str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["单位名称", "单位代码", "分组"])
        out.writerows(units)
    return path


def make_season(spec: Spec, folder: Path) -> Season:
    folder.mkdir(parents=True, exist_ok=True)
    year = YEAR if spec.covers_year(YEAR) else year_for(spec)
    units = [(f"某某县第{i + 1}局", unit_code(i), GROUPS[i % 3]) for i in range(26)]
    roster = write_roster(folder / "单位名单.csv", units)
    files = folder / "files"
    files.mkdir()
    uploads: list[Path] = []
    with_errors: list[Path] = []
    good = 22
    for i, (name, code, _) in enumerate(units[:good]):
        values = consistent_values(spec, random.Random(i))
        path = files / f"{code}_{name}.xlsx"
        if i in (3, 7, 11):  # 收办不平衡: one more 结转下年度 than the balance allows
            pending = next(r for r in spec.relations if r.key == "t3_balance").rhs[-1]
            values = {**values, pending: int(values.get(pending) or 0) + 1}
            with_errors.append(path)
        write_filled(path, spec, values, seed=i, unit_name=name, unit_code=code, year=year)
        uploads.append(path)
    # The same unit twice: an older file with another content (重复报送 of merge).
    name, code, _ = units[0]
    older = write_filled(
        files / f"{code}_{name}（第一次）.xlsx", spec, seed=99, unit_name=name, unit_code=code, year=year
    )
    older_time = time.time() - 86400
    import os

    os.utime(older, (older_time, older_time))
    uploads.append(older)
    # Off the roster.
    stranger = {"unit_name": "某某县第99局", "unit_code": unit_code(99)}
    uploads.append(write_filled(files / "名单外.xlsx", spec, seed=5, year=year, **stranger))
    # Unreadable: a truncated workbook, a text file named .xlsx, an empty file.
    broken = files / "损坏的文件.xlsx"
    broken.write_bytes(uploads[1].read_bytes()[:2000])
    text = files / "其实是文本.xlsx"
    text.write_text("这不是工作簿", encoding="utf-8")
    empty = files / "空文件.xls"
    empty.write_bytes(b"")
    uploads += [broken, text, empty]
    # The same bytes sent again under another name.
    identical = files / "again" / uploads[2].name
    identical.parent.mkdir()
    shutil.copyfile(uploads[2], identical)
    uploads.append(identical)
    # Two more roster units did not report (units[22:24] and onward are missing).
    for i, (name, code, _) in enumerate(units[good : good + 2], start=good):
        uploads.append(write_filled(files / f"{code}.xlsx", spec, seed=i, unit_name=name, unit_code=code, year=year))
    assert len(uploads) == 30, len(uploads)
    return Season(roster, [u[0] for u in units], uploads, with_errors, identical, year)


@contextmanager
def live_server(workspace: Workspace, **options: object) -> Iterator[tuple[str, object]]:
    """The application on a free loopback port in a thread; yields (base URL, the App)."""
    import uvicorn

    app = create_app(workspace, jobs=1, **options)  # type: ignore[arg-type]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app.state.app
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.app.checker.stop()
