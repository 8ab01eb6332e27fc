"""The local web page driven in Chromium (Playwright): the office's flows end to end, with screenshots.

Screenshots of every page are kept at 1366×768 and at 200% zoom (683×384 CSS pixels at device scale 2, which
is what a 1366×768 screen shows at 200%) under GIPTEMPLATE_SCREENSHOTS or the test's tmp folder.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from browser import expect, launch, sync_playwright
from web_season import OFFICE, YEAR, Season, live_server, make_season, write_roster

from giptemplate.checks.checker import check_file
from giptemplate.format.spec import Spec
from giptemplate.merge import STATUSES
from giptemplate.merge import merge as run_merge
from giptemplate.web.workspace import RETURNED, Workspace
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.review import MARKED_SEVERITIES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ZOOMS = {"1366x768": ({"width": 1366, "height": 768}, 1), "200pct": ({"width": 683, "height": 384}, 2)}


@pytest.fixture(scope="module")
def season(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> Season:
    return make_season(spec, tmp_path_factory.mktemp("season"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("GIPTEMPLATE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def workspace_at(folder: Path, year: int = YEAR) -> Workspace:
    space = Workspace(folder)
    space.create(year=year, office=OFFICE)
    return space


def screenshot_everywhere(browser: Any, url: str, folder: Path, name: str) -> None:
    """The page at 1366×768 (full length) and at 200% zoom."""
    for tag, (viewport, scale) in ZOOMS.items():
        context = browser.new_context(viewport=viewport, device_scale_factor=scale, accept_downloads=True)
        page = context.new_page()
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(folder / f"{name}-{tag}.png"), full_page=True)
        # Nothing may be wider than the window (tables scroll inside their own box).
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} at {tag} is {overflow}px wider than the window"
        context.close()


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport=ZOOMS["1366x768"][0], accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    return page


def upload_all(page: Any, base: str, app: Any, files: list[Path]) -> None:
    page.goto(base + "/returned")
    page.set_input_files("#pick-files", [str(p) for p in files])
    expect(page.locator("#upload-log li")).to_have_count(len(files), timeout=60_000)
    # The server has checked every file (the progress bar's "done" can be the idle bar shown before checking
    # began: on a loaded machine the page then showed the counts of no file checked yet).
    assert app.checker.wait(120)
    page.wait_for_selector("#progress[data-done]", timeout=120_000)
    page.wait_for_timeout(300)  # the table refreshes on the "checked" event


def page_counts(page: Any) -> dict[str, int]:
    counts = {}
    for item in page.query_selector_all("#returned-table .counts li"):
        counts[item.query_selector(".label").inner_text()] = int(item.query_selector(".n").inner_text())
    return counts


def test_roster_to_templates_zip(browser: Any, spec: Spec, season: Season, tmp_path: Path, shots: Path) -> None:
    space = workspace_at(tmp_path / "ws", season.year)
    with live_server(space) as (base, _):
        page = new_page(browser)
        page.goto(base + "/roster")
        page.set_input_files("input[name=roster]", str(season.roster))
        page.click("text=上传名单")
        page.wait_for_selector("#roster-table")
        assert page.locator("#roster-table tbody tr").count() == len(season.names)
        page.click("text=生成模板")
        page.wait_for_selector("text=已生成 26 个模板")
        with page.expect_download() as info:
            page.click("text=下载全部模板（zip）")
        data = Path(info.value.path()).read_bytes()
        screenshot_everywhere(browser, base + "/roster", shots, "roster")
        assert not page.console_errors
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
        assert len(names) == len(season.names)
        seen = set()
        for member in names:
            wb = openpyxl.load_workbook(io.BytesIO(archive.read(member)))
            seen.update(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value in season.names)
    assert seen == set(season.names)
    # The page wrote the same files the command line uses, in the format of the workspace's year (2020: 2019 试行).
    assert sorted(p.name for p in space.templates()) == names
    assert {read_workbook(p).spec.id for p in space.templates()} == {spec.id}


def test_thirty_files_counts_equal_merge(browser: Any, season: Season, tmp_path: Path, shots: Path) -> None:
    space = workspace_at(tmp_path / "ws", season.year)
    space.save_roster("单位名单.csv", season.roster.read_bytes())
    with live_server(space) as (base, app):
        page = new_page(browser)
        upload_all(page, base, app, season.uploads)
        log = page.inner_text("#upload-log")
        assert log.count("已上传过") == 1 and "内容相同" in log
        # The counts as the server holds them once checking is done (a reload, as a clerk would press F5): the live
        # refresh after the last "checked" event can lag behind on a loaded machine.
        page.reload()
        page.wait_for_selector("#returned-table .counts li")
        shown = page_counts(page)
        screenshot_everywhere(browser, base + "/returned", shots, "returned")
        screenshot_everywhere(browser, base + "/", shots, "home")
        # Filter and search run on the server.
        page.select_option("select[name=status]", "无法读取")
        expect(page.locator(".status-table tbody tr")).to_have_count(3)
        page.fill("#q", "第2局")
        page.select_option("select[name=status]", "")
        expect(page.locator(".status-table tbody tr")).to_have_count(1)
        assert not page.console_errors
    stored = list((space.root / RETURNED).iterdir())
    assert len(stored) == 29  # the identical copy was recognised and not stored
    merged = run_merge([space.root / RETURNED], roster=season.roster, jobs=1)
    expected = {s: n for s, n in merged.counts.items() if s in STATUSES[:6]}
    assert shown == expected
    assert expected["无法读取"] == 3 and expected["重复报送"] == 1 and expected["名单外"] == 1
    assert expected["有错误"] == 3 and expected["未报送"] == 2


def test_unit_highlights_the_cells_check_names(browser: Any, season: Season, tmp_path: Path, shots: Path) -> None:
    space = workspace_at(tmp_path / "ws", season.year)
    target = season.with_errors[0]
    with live_server(space) as (base, app):
        page = new_page(browser)
        upload_all(page, base, app, [target, season.uploads[0]])
        page.click(f".status-table a:text-is('{read_workbook(target).unit_name}')")
        page.wait_for_selector("table.grid")
        marked = {td.get_attribute("data-key") for td in page.query_selector_all("table.grid td.marked")}
        words = page.inner_text("table.findings")
        with page.expect_download() as info:
            page.click("text=下载退回修改件")
        copy = Path(info.value.path()).read_bytes()
        assert info.value.suggested_filename.endswith("_退回修改.xlsx")
        screenshot_everywhere(browser, page.url, shots, "unit")
        assert not page.console_errors
    report = check_file(read_workbook(target))
    named = {f.cell_key for f in report.findings if f.cell_key and f.severity in MARKED_SEVERITIES}
    assert named and marked == named
    # Findings name the table, row and column in words.
    assert "表三「" in words and "」「" in words
    wb = openpyxl.load_workbook(io.BytesIO(copy))
    assert "退回意见" in wb.sheetnames


def test_summary_equals_cli_and_narrative_makes_report(
    browser: Any, season: Season, tmp_path: Path, shots: Path
) -> None:
    from click.testing import CliRunner
    from docx import Document

    from giptemplate.cli import main

    space = workspace_at(tmp_path / "ws", season.year)
    space.save_roster("单位名单.csv", season.roster.read_bytes())
    with live_server(space) as (base, app):
        page = new_page(browser)
        upload_all(page, base, app, season.uploads[:12])
        page.goto(base + "/summary")
        page.click("text=生成汇总工作簿")
        page.wait_for_selector("#outputs a:text('汇总.xlsx')")
        with page.expect_download() as info:
            page.click("#outputs a:text('汇总.xlsx')")
        from_page = Path(info.value.path()).read_bytes()
        assert page.locator("figure.chart svg rect").count() > 0
        texts = {}
        for i, area in enumerate(page.query_selector_all("form.narrative textarea")):
            texts[area.get_attribute("name")] = f"第{i + 1}段：全县<b>政务公开</b>工作稳步推进。"
            area.fill(texts[area.get_attribute("name")])
        page.click("text=保存文字内容并生成报告")
        page.wait_for_selector("#reports a:text('.docx')")
        with page.expect_download() as info:
            page.click("#reports a:text('.docx')")
        docx = Document(info.value.path())
        screenshot_everywhere(browser, base + "/summary", shots, "summary")
        assert not page.console_errors
    cli_out = tmp_path / "cli.xlsx"
    result = CliRunner().invoke(
        main,
        [
            "merge",
            str((space.root / RETURNED).resolve()),
            "--roster",
            str(space.roster_path),
            "-o",
            str(cli_out),
            "--office",
            OFFICE,
            "--jobs",
            "1",
        ],
    )
    assert result.exit_code in (0, 1), result.output
    assert from_page == cli_out.read_bytes()  # byte for byte the command line's summary
    assert sheets(from_page)["报送情况"]
    body = "\n".join(p.text for p in docx.paragraphs)
    for text in texts.values():
        assert text in body  # markup typed into the form stays text
    assert json.loads((space.root / "报告" / "文字内容.json").read_text(encoding="utf-8")) == texts


def sheets(data: bytes) -> dict[str, list[tuple[object, ...]]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


def test_escaping_in_the_browser(browser: Any, spec: Spec, tmp_path: Path) -> None:
    """A unit named like a script stays text on every page it appears on."""
    from submission_factory import write_filled, year_for

    from giptemplate.demo.county import unit_code

    year = year_for(spec)
    space = workspace_at(tmp_path / "ws", year)
    name = "<img src=x onerror=alert(1)>局"
    roster = write_roster(tmp_path / "r.csv", [(name, unit_code(1), "乡镇")])
    space.save_roster("r.csv", roster.read_bytes())
    hostile = write_filled(tmp_path / "h.xlsx", spec, seed=1, unit_name=name, unit_code=unit_code(1), year=year)
    with live_server(space) as (base, app):
        page = new_page(browser)
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        upload_all(page, base, app, [hostile])
        # the table as the server holds it once checking is done: the live refresh can lag on a loaded machine, and
        # the roster's 未报送 row for the unit (a link by code) then stands where the checked file's row belongs
        page.reload()
        assert name in page.inner_text(".status-table")
        page.click(".status-table a")
        page.wait_for_selector("h1")
        assert name in page.inner_text("h1")
        page.goto(base + "/roster")
        assert name in page.inner_text("#roster-table")
        assert page.query_selector("img[src=x]") is None
        assert not dialogs
