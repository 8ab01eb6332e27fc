"""The web page's safety and workspace rules over HTTP (Starlette's test client, no browser)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from submission_factory import write_filled, year_for
from web_season import OFFICE, YEAR, write_roster

from giptemplate.demo.county import unit_code
from giptemplate.format.spec import Spec
from giptemplate.merge import merge as run_merge
from giptemplate.web import app as web_app
from giptemplate.web.app import create_app
from giptemplate.web.checking import Checker
from giptemplate.web.security import CSP, CSRF_HEADER
from giptemplate.web.workspace import RETURNED, Workspace

BASE = "http://127.0.0.1"


@dataclass
class Client:
    http: TestClient
    token: str
    state: Any

    def post(self, url: str, **kwargs: Any) -> Any:
        headers = {CSRF_HEADER: self.token, **kwargs.pop("headers", {})}
        return self.http.post(url, headers=headers, **kwargs)

    def upload(self, *files: tuple[str, bytes]) -> Any:
        response = self.post("/returned/upload", files=[("files", (name, data)) for name, data in files])
        assert self.state.checker.wait(60)
        return response


@pytest.fixture
def space(tmp_path: Path) -> Workspace:
    workspace = Workspace(tmp_path / "ws")
    workspace.create(year=YEAR, office=OFFICE)
    return workspace


def connect(space: Workspace, **options: Any) -> Iterator[Client]:
    app = create_app(space, jobs=1, **options)
    state = app.state.app
    with TestClient(app, base_url=BASE, follow_redirects=False) as http:
        yield Client(http, state.guard.csrf_token, state)
    state.checker.stop()


@pytest.fixture
def client(space: Workspace) -> Iterator[Client]:
    yield from connect(space)


def workbook(spec: Spec, tmp_path: Path, name: str, index: int, seed: int = 0) -> bytes:
    path = write_filled(tmp_path / f"{index}-{seed}.xlsx", spec, seed=seed, unit_name=name, unit_code=unit_code(index))
    return path.read_bytes()


def test_every_response_carries_the_security_headers(client: Client) -> None:
    for url in ("/", "/roster", "/returned", "/summary", "/static/app.css", "/nowhere"):
        response = client.http.get(url)
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    assert "'unsafe-inline'" not in CSP and "'unsafe-eval'" not in CSP


def test_pages_are_chinese_and_errors_never_show_a_traceback(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = client.http.get("/nowhere")
    assert missing.status_code == 404 and "找不到该页面" in missing.text
    assert client.http.get("/static/").status_code == 404  # no directory listing
    assert client.http.get("/files/templates?name=../工作区.json").status_code == 404
    assert client.http.get("/files/etc?name=passwd").status_code == 404

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(web_app.views, "status_counts", broken)
    response = client.http.get("/")
    assert response.status_code == 500
    assert "内部错误" in response.text and "Traceback" not in response.text and "boom" not in response.text


def test_state_changing_requests_need_the_token_and_this_site(client: Client) -> None:
    without = client.http.post("/templates/generate")
    assert without.status_code == 403 and "安全令牌" in without.text
    cross = client.post("/templates/generate", headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403 and "其他网站" in cross.text
    fetched = client.post("/templates/generate", headers={"Sec-Fetch-Site": "cross-site"})
    assert fetched.status_code == 403
    ok = client.post("/templates/generate", headers={"Origin": BASE})
    assert ok.status_code == 400 and "单位名单" in ok.text  # past the guard: no roster yet


def test_only_loopback_host_names_are_served(client: Client) -> None:
    response = client.http.get("/", headers={"Host": "evil.example:8000"})
    assert response.status_code == 400 and "本机地址" in response.text


def test_lan_address_needs_the_access_code(space: Workspace) -> None:
    for client in connect(space, access_code="24681357", loopback_only=False):
        assert client.http.get("/").headers["location"] == "/login"
        assert client.http.get("/roster").status_code == 303
        wrong = client.http.post("/login", data={"code": "11111111"})
        assert wrong.status_code == 401 and "访问码不正确" in wrong.text
        right = client.http.post("/login", data={"code": "24681357"})
        assert right.status_code == 303
        assert client.http.get("/").status_code == 200


def test_uploads_get_safe_names_and_duplicates_are_recognised(
    client: Client, space: Workspace, spec: Spec, tmp_path: Path
) -> None:
    data = workbook(spec, tmp_path, "某某县第1局", 1)
    other = workbook(spec, tmp_path, "某某县第2局", 2)
    response = client.upload(
        ("../../逃逸.xlsx", data),
        ("folder\\sub\\CON.xlsx", other),
        ("again.xlsx", data),
        ("notes.txt", b"hello"),
    )
    assert response.status_code == 200
    text = response.text
    assert text.count("已保存") == 2 and "已上传过" in text and "与已收到的 逃逸.xlsx 内容相同" in text
    assert "不是表格文件" in text
    stored = sorted(p.name for p in (space.root / RETURNED).iterdir())
    assert stored == sorted(["逃逸.xlsx", "_CON.xlsx"])
    assert not (space.root.parent / "逃逸.xlsx").exists()
    # Another file under a name already taken is kept beside it, not written over it.
    third = workbook(spec, tmp_path, "某某县第3局", 3)
    client.upload(("逃逸.xlsx", third))
    assert (space.root / RETURNED / "逃逸（2）.xlsx").read_bytes() == third


def test_upload_limits(client: Client, space: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_app, "MAX_FILE_BYTES", 100)
    response = client.upload(("big.xlsx", b"PK" + b"0" * 200))
    assert "文件超过" in response.text and "未保存" in response.text
    assert not (space.root / RETURNED / "big.xlsx").exists()
    monkeypatch.setattr(web_app, "MAX_REQUEST_BYTES", 50)
    refused = client.post("/returned/upload", files=[("files", ("a.xlsx", b"x" * 100))])
    assert refused.status_code == 413 and "分批上传" in refused.text


def test_unit_names_are_escaped(client: Client, space: Workspace, spec: Spec, tmp_path: Path) -> None:
    name = "<script>alert(1)</script>局"
    roster = write_roster(tmp_path / "r.csv", [(name, unit_code(1), "<b>组</b>")])
    assert client.post("/roster/upload", files={"roster": ("r.csv", roster.read_bytes())}).status_code == 200
    client.upload(("x.xlsx", workbook(spec, tmp_path, name, 1)))
    for url in ("/roster", "/returned", "/unit?file=x.xlsx"):
        page = client.http.get(url).text
        assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;局" in page, url
        assert "<b>组</b>" not in page


def test_page_and_command_line_share_the_workspace(space: Workspace, spec: Spec, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "r.csv", [(f"某某县第{i}局", unit_code(i), "") for i in range(1, 4)])
    space.save_roster("r.csv", roster.read_bytes())
    for client in connect(space):
        client.upload(("1.xlsx", workbook(spec, tmp_path, "某某县第1局", 1)))
        first = client.state.state().result.counts
    # Files the command line (or Explorer) puts into 收回 are picked up; a restart shows the same state.
    (space.root / RETURNED / "2.xlsx").write_bytes(workbook(spec, tmp_path, "某某县第2局", 2))
    for client in connect(space):
        client.http.get("/returned")
        assert client.state.checker.wait(60)
        again = client.state.state().result.counts
    assert first["通过"] == 1 and first["未报送"] == 2
    merged = run_merge([space.root / RETURNED], roster=space.roster_path, jobs=1).counts
    assert again == merged and again["通过"] == 2 and again["未报送"] == 1


def test_a_units_missing_link_still_opens_once_its_file_arrived(space: Workspace, spec: Spec, tmp_path: Path) -> None:
    """A clerk who kept the 未报送 list open clicks a unit whose file has arrived since: the page shows that file's
    row, not an error."""
    roster = write_roster(tmp_path / "r.csv", [(f"某某县第{i}局", unit_code(i), "") for i in range(1, 3)])
    space.save_roster("r.csv", roster.read_bytes())
    for client in connect(space):
        client.upload(("1.xlsx", workbook(spec, tmp_path, "某某县第1局", 1)))
        before = client.http.get(f"/unit?code={unit_code(2)}")
        client.upload(("2.xlsx", workbook(spec, tmp_path, "某某县第2局", 2)))
        after = client.http.get(f"/unit?code={unit_code(2)}")
        unknown = client.http.get("/unit?code=91110000000000000X")
    assert before.status_code == 200 and "未报送" in before.text and "2.xlsx" not in before.text
    assert after.status_code == 200 and "2.xlsx" in after.text and "某某县第2局" in after.text
    assert unknown.status_code == 404


def test_last_years_files_give_cross_year_checks_and_history(tmp_path: Path, spec: Spec) -> None:
    year = year_for(spec)  # the year of the files workbook() writes: 2024, or 2020 in the 2019 format
    last_year = tmp_path / f"{year - 1}收回"
    last_year.mkdir()
    write_filled(last_year / "a.xlsx", spec, seed=7, unit_name="某某县第1局", unit_code=unit_code(1), year=year - 1)
    space = Workspace(tmp_path / "ws")
    space.create(year=year, office=OFFICE, previous=last_year)
    for client in connect(space):
        client.upload(("1.xlsx", workbook(spec, tmp_path, "某某县第1局", 1)))
        result = client.state.state().result
        page = client.http.get("/unit?file=1.xlsx").text
    merged = run_merge([space.root / RETURNED], previous=[last_year], jobs=1)
    assert result.previous_files == merged.previous_files == 1
    assert [f.code for f in result.finding_list] == [f.code for f in merged.finding_list]
    assert any(f.code.startswith("Y") for f in merged.finding_list)  # the cross-year checks ran
    assert "与上年对比" in page and f"上年（{year - 1}）" in page and "a.xlsx" in page


def test_all_return_copies_as_one_zip(client: Client, space: Workspace, spec: Spec, tmp_path: Path) -> None:
    import io
    import zipfile

    from giptemplate.merge.collect import process_file

    good = workbook(spec, tmp_path, "某某县第1局", 1)
    path = write_filled(tmp_path / "bad.xlsx", spec, seed=2, unit_name="某某县第2局", unit_code=unit_code(2))
    client.upload(("1.xlsx", good))
    assert client.http.get("/returns/all.zip").status_code == 404  # nothing to return yet
    # A unit whose file has an error: the cover's year removed (C702 is an error).
    from openpyxl import load_workbook

    from giptemplate.format.layout import layout_for

    wb = load_workbook(path)
    place = layout_for(spec).fields["year"]
    wb[place.sheet].cell(place.row + 1, place.col + 1).value = None
    target = tmp_path / "2.xlsx"
    wb.save(target)
    assert process_file(target).severity_counts()["error"]
    client.upload(("2.xlsx", target.read_bytes()))
    response = client.http.get("/returns/all.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == ["2_退回修改.xlsx"]
        copy = load_workbook(io.BytesIO(archive.read("2_退回修改.xlsx")))
    assert "退回意见" in copy.sheetnames
    assert (space.root / "退回" / "2_退回修改.xlsx").is_file()


def test_serve_on_the_lan_prints_an_access_code(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = Path(sys.executable).with_name("giptemplate")
    args = [str(command), "serve", "--workspace", str(tmp_path / "ws"), "--host", "0.0.0.0", "--port", str(port)]
    server = subprocess.Popen([*args, "--no-browser"], stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        assert server.stdout is not None
        while not any("访问码" in line for line in lines):
            lines.append(server.stdout.readline())
            assert lines[-1], "serve ended early"
        code = next(line for line in lines if "访问码" in line).split("：")[1][:8]
        assert code.isdigit()
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline
                time.sleep(0.1)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *_: Any) -> None:
                return None

        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(f"http://127.0.0.1:{port}/")
        refused.value.close()
        assert refused.value.code == 303 and refused.value.headers["location"] == "/login"
    finally:
        server.terminate()
        server.wait(10)
        if server.stdout is not None:
            server.stdout.close()
    assert (tmp_path / "ws" / "收回").is_dir() and (tmp_path / "ws" / "工作区.json").is_file()


def test_serve_refuses_a_busy_port_in_one_line(tmp_path: Path) -> None:
    import socket

    from click.testing import CliRunner

    from giptemplate.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--workspace", str(tmp_path / "ws"), "--port", str(port)])
    assert result.exit_code == 2
    assert "无法在 127.0.0.1" in result.output and "Traceback" not in result.output


def test_a_checker_failure_is_listed_not_fatal(
    client: Client, spec: Spec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from giptemplate.web import checking

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("pool died")

    monkeypatch.setattr(checking, "collect", broken)
    client.upload(("1.xlsx", workbook(spec, tmp_path, "某某县第1局", 1)))
    page = client.http.get("/returned").text
    assert "无法读取" in page and "内部错误（RuntimeError）" in page
    monkeypatch.undo()
    client.upload(("2.xlsx", workbook(spec, tmp_path, "某某县第2局", 2)))
    assert client.state.state().result.counts["通过"] == 1  # the checker goes on


def test_files_saved_within_one_clock_tick_are_all_checked(tmp_path: Path) -> None:
    """The 收回 listing is cached by the folder's mtime, whose clock is coarse: a second upload landing in the same
    tick must still be seen (regression: the browser test's counts stayed 未报送 now and then on a loaded machine)."""
    space = Workspace(tmp_path / "ws")
    space.create(year=YEAR, office=OFFICE)
    folder = space.returned
    checker = Checker(space, jobs=1)
    try:
        (folder / "第一份.txt").write_text("不是工作簿", encoding="utf-8")
        checker.scan()
        assert checker.wait(60)
        tick = folder.stat().st_mtime_ns
        (folder / "第二份.txt").write_text("也不是工作簿", encoding="utf-8")
        os.utime(folder, ns=(tick, tick))  # the same tick as the first save
        checker.scan()
        assert checker.wait(60)
        state = checker.state()
        assert state.result is not None
        shown = {Path(row.path).name for row in state.result.files}
        assert {"第一份.txt", "第二份.txt"} <= shown, shown
    finally:
        checker.stop()
