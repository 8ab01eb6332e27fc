"""The local web application: Starlette routes over a workspace, Jinja2 pages (autoescaped), vendored htmx.

Every action calls the same public functions as the command line: ``write_roster_templates`` for templates, the
merge's ``collect``/``build_result`` (through :class:`~giptemplate.web.checking.Checker`) for checking and
statuses, ``write_return_copy`` for return copies, ``write_summary``/``write_long`` for the summary, and
``report.render`` for the county report.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import multiprocessing
import threading
import zipfile
from collections.abc import AsyncIterator
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from giptemplate.errors import GipError, IntakeError
from giptemplate.files.atomic import write_bytes, write_with
from giptemplate.files.paths import safe_component
from giptemplate.findings import SEVERITY_LABELS
from giptemplate.format.spec import SUMMARY_SCOPE
from giptemplate.merge import (
    HAS_ERRORS,
    INCLUDED_TEXT,
    MISSING,
    PASSED,
    MergeResult,
    write_long,
    write_summary,
)
from giptemplate.report.model import ReportData
from giptemplate.report.render import render
from giptemplate.roster import write_roster_templates
from giptemplate.web import views
from giptemplate.web.checking import Checker, State
from giptemplate.web.security import ACCESS_COOKIE, Guard, GuardMiddleware
from giptemplate.web.workspace import (
    LONG_STEM,
    REPORTS,
    RETURN_SUFFIX,
    RETURNED,
    RETURNS,
    RETURNS_ZIP,
    SUMMARY,
    SUMMARY_FILE,
    TEMPLATES,
    TEMPLATES_ZIP,
    Stored,
    Workspace,
)
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.review import write_return_copy

HERE = Path(__file__).parent
MAX_FILE_BYTES = 20 * 2**20  # a filled workbook is 30–200 KB; 20 MB is generous and bounds memory
MAX_FILES_PER_REQUEST = 500
MAX_REQUEST_BYTES = 200 * 2**20
ZIP_MEDIA = "application/zip"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class App:
    """The state of one server: the workspace, its checker, and the lock that serialises writes."""

    def __init__(self, workspace: Workspace, guard: Guard, *, jobs: int | None = None) -> None:
        self.workspace = workspace
        self.guard = guard
        self.checker = Checker(workspace, jobs=jobs)
        self.write_lock = threading.Lock()
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=StrictUndefined,
        )
        self.env.filters["local_time"] = views.local_time
        self.env.globals.update(severity_labels=SEVERITY_LABELS, passed=PASSED, has_errors=HAS_ERRORS)

    # ------------------------------------------------------------------------------------------ rendering

    def page(self, request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        template = self.env.get_template(name)
        for optional in ("message", "reason"):
            context.setdefault(optional, "")
        context.setdefault("needs_return", False)
        context.setdefault("history", None)
        html = template.render(
            csrf_token=self.guard.csrf_token,
            path=request.url.path,
            year=self.workspace.year,
            office=self.workspace.office,
            locked=self.guard.access_code is not None and not self.guard.has_access(request),
            **context,
        )
        return HTMLResponse(html, status_code=status_code)

    def error_page(self, request: Request, status_code: int, message: str) -> Response:
        return self.page(request, "error.html", status_code=status_code, message=message)

    def state(self) -> State:
        self.checker.scan()
        return self.checker.state()

    # ------------------------------------------------------------------------------------------ 工作台

    async def home(self, request: Request) -> Response:
        state = await run_in_threadpool(self.state)
        result = state.result
        steps = _next_steps(self.workspace, state)
        return self.page(
            request,
            "home.html",
            counts=views.status_counts(result),
            state=state,
            steps=steps,
            files=len(self.workspace.returned_files()),
        )

    # ------------------------------------------------------------------------------------------ 名单与模板

    async def roster(self, request: Request) -> Response:
        state = await run_in_threadpool(self.state)
        return self.page(request, "roster.html", **self._roster_context(state))

    def _roster_context(self, state: State, **extra: Any) -> dict[str, Any]:
        path = self.workspace.roster_path
        return {
            "roster_file": path.name if path else "",
            "roster": state.roster or [],
            "roster_error": state.roster_error,
            "templates": [p.name for p in self.workspace.templates()],
            **extra,
        }

    async def roster_upload(self, request: Request) -> Response:
        async with request.form(max_files=1, max_fields=5) as form:
            upload = form.get("roster")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise HTTPException(400, "请选择单位名单文件（CSV 或 XLSX）。")
            name, data = upload.filename, await _read_limited(upload)
        try:
            with self.write_lock:
                self.workspace.save_roster(name, data)
        except GipError as exc:
            raise HTTPException(400, str(exc)) from None
        state = await run_in_threadpool(self.state)
        return self.page(request, "_roster.html", **self._roster_context(state))

    async def templates_generate(self, request: Request) -> Response:
        state = await run_in_threadpool(self.state)
        if not state.roster:
            raise HTTPException(400, "请先上传没有错误的单位名单。")

        def write() -> int:
            with self.write_lock:
                return len(
                    write_roster_templates(state.roster or [], self.workspace.year, self.workspace.folder(TEMPLATES))
                )

        try:
            written = await run_in_threadpool(write)
        except GipError as exc:
            raise HTTPException(400, str(exc)) from None
        context = self._roster_context(state, message=f"已生成 {written} 个模板。")
        return self.page(request, "_roster.html", **context)

    async def templates_zip(self, request: Request) -> Response:
        paths = self.workspace.templates()
        if not paths:
            raise HTTPException(404, "还没有生成模板。")
        data = await run_in_threadpool(_zip, paths)
        return _download(data, TEMPLATES_ZIP, ZIP_MEDIA)

    async def folder_file(self, request: Request) -> Response:
        folder = {"templates": TEMPLATES, "summary": SUMMARY, "reports": REPORTS, "returns": RETURNS}.get(
            request.path_params["folder"]
        )
        path = self.workspace.file_in(folder, request.query_params.get("name", "")) if folder else None
        if path is None:
            raise HTTPException(404, "找不到该文件。")
        return FileResponse(path, filename=path.name)

    # ------------------------------------------------------------------------------------------ 收回

    def _returned_context(self, request: Request, state: State) -> dict[str, Any]:
        q = request.query_params
        status, group, query = q.get("status", ""), q.get("group", ""), q.get("q", "")
        result = state.result
        entries = result.entries if result else []
        return {
            "state": state,
            "progress": state.progress,
            "counts": views.status_counts(result),
            "groups": views.groups_of(result),
            "rows": views.filter_entries(entries, status=status, group=group, query=query),
            "total_rows": len(entries),
            "status": status,
            "group": group,
            "query": query,
            "included_text": INCLUDED_TEXT,
        }

    async def returned(self, request: Request) -> Response:
        state = await run_in_threadpool(self.state)
        return self.page(request, "returned.html", **self._returned_context(request, state))

    async def returned_table(self, request: Request) -> Response:
        state = await run_in_threadpool(self.state)
        return self.page(request, "_returned_table.html", **self._returned_context(request, state))

    async def progress(self, request: Request) -> Response:
        progress = self.checker.progress()
        response = self.page(request, "_progress.html", progress=progress)
        if not progress.running:
            response.headers["HX-Trigger"] = "checked"
        return response

    async def upload(self, request: Request) -> Response:
        length = int(request.headers.get("content-length") or 0)
        if length > MAX_REQUEST_BYTES:
            raise HTTPException(413, f"一次上传的文件总大小不能超过 {MAX_REQUEST_BYTES // 2**20} MB，请分批上传。")
        received: list[tuple[str, bytes | str]] = []  # (name, content or why it was refused)
        async with request.form(max_files=MAX_FILES_PER_REQUEST, max_fields=10) as form:
            uploads = [u for u in form.getlist("files") if isinstance(u, UploadFile) and u.filename]
            if not uploads:
                raise HTTPException(400, "请选择要上传的文件。")
            for upload in uploads:
                try:
                    received.append((upload.filename or "", await _read_limited(upload)))
                except HTTPException as exc:
                    received.append((upload.filename or "", str(exc.detail)))
        stored = await run_in_threadpool(self._store, received)
        self.checker.scan()
        response = self.page(request, "_uploaded.html", stored=stored, progress=self.checker.progress())
        return response

    def _store(self, received: list[tuple[str, bytes | str]]) -> list[Stored]:
        """Each file saved (or why not) before the response acknowledges it."""
        with self.write_lock:
            files = [(name, data) for name, data in received if isinstance(data, bytes)]
            saved = iter(self.workspace.store_uploads(files, self.checker.known_hashes()))
            return [
                next(saved) if isinstance(data, bytes) else Stored(name, "", "未保存", data) for name, data in received
            ]

    # ------------------------------------------------------------------------------------------ 单位

    async def unit(self, request: Request) -> Response:
        state = await run_in_threadpool(self.state)
        result = state.result
        name, code = request.query_params.get("file", ""), request.query_params.get("code", "")
        entry = views.entry_for(result, file=name, code=code) if result else None
        if result is None or entry is None:
            raise HTTPException(404, "找不到该单位或文件，可能尚未校验完成。")
        file = views.file_result(result, entry.file) if entry.file else None
        context: dict[str, Any] = {"entry": entry, "file": file, "result": result}
        if file is not None and file.readable:
            spec = file.spec
            context.update(
                groups=views.finding_groups(spec, file.findings),
                marked=views.marked_cells(spec, file.findings),
                grids=views.unit_grids(spec, file),
                needs_return=bool(entry.errors or entry.explains),
                history=views.history(spec, file, self.checker.earlier),
            )
        elif file is not None:
            context.update(reason=file.error_message)
        return self.page(request, "unit.html", **context)

    def _return_copy(self, result: MergeResult, name: str) -> Path:
        file = views.file_result(result, name)
        if file is None or not file.readable:
            raise HTTPException(404, "该文件无法读取，不能生成退回修改件。")
        try:
            submission = read_workbook(file.path)
        except IntakeError as exc:
            raise HTTPException(400, exc.message) from None
        target = self.workspace.folder(RETURNS) / (safe_component(Path(name).stem) + RETURN_SUFFIX)
        target.parent.mkdir(parents=True, exist_ok=True)

        with self.write_lock:
            write_with(target, lambda p: write_return_copy(submission, file.findings, p))
        return target

    async def return_copy(self, request: Request) -> Response:
        state = await run_in_threadpool(self.state)
        if state.result is None:
            raise HTTPException(404, "还没有收回的文件。")
        result = state.result
        path = await run_in_threadpool(self._return_copy, result, request.query_params.get("file", ""))
        return FileResponse(path, filename=path.name, media_type=XLSX_MEDIA)

    async def returns_zip(self, request: Request) -> Response:
        state = await run_in_threadpool(self.state)
        result = state.result
        names = [e.file for e in (result.entries if result else []) if e.file and (e.errors or e.explains)]
        names = [n for n in names if result and (f := views.file_result(result, n)) and f.readable]
        if result is None or not names:
            raise HTTPException(404, "没有需要退回修改的文件。")

        def build() -> bytes:
            return _zip([self._return_copy(result, n) for n in names])

        return _download(await run_in_threadpool(build), RETURNS_ZIP, ZIP_MEDIA)

    # ------------------------------------------------------------------------------------------ 汇总

    def _summary_context(self, state: State, **extra: Any) -> dict[str, Any]:
        result = state.result
        spec = result.spec if result else None
        saved = self.workspace.narrative()
        outputs = sorted(p.name for p in self.workspace.folder(SUMMARY).glob("*") if p.is_file())
        reports = sorted(p.name for p in self.workspace.folder(REPORTS).glob("*") if p.suffix in (".docx", ".html"))
        return {
            "state": state,
            "result": result,
            "indicators": views.indicator_rows(result) if result and result.included else [],
            "charts": views.charts(result) if result and result.included else [],
            "parts": [(p, saved.get(p.key, "")) for p in spec.parts] if spec else [],
            "outputs": outputs,
            "reports": reports,
            "running": state.progress.running,
            **extra,
        }

    async def summary(self, request: Request) -> Response:
        state = await run_in_threadpool(self.state)
        return self.page(request, "summary.html", **self._summary_context(state))

    async def summary_generate(self, request: Request) -> Response:
        """The summary workbook (as ``merge -o``), or with ``?what=long`` the long data (as ``merge --long``)."""
        state = await run_in_threadpool(self.state)
        result = state.result
        if result is None or not result.included:
            raise HTTPException(400, "没有可以计入汇总的文件。")
        folder = self.workspace.folder(SUMMARY)
        long = request.query_params.get("what") == "long"

        def write() -> None:
            folder.mkdir(parents=True, exist_ok=True)
            with self.write_lock:
                if long:
                    write_long(result, folder / f"{LONG_STEM}.csv")
                    write_long(result, folder / f"{LONG_STEM}.parquet")
                else:
                    write_summary(result, folder / SUMMARY_FILE)

        await run_in_threadpool(write)
        message = "长表数据已生成。" if long else "汇总工作簿已生成。"
        return self.page(request, "_outputs.html", **self._summary_context(state, message=message))

    async def report(self, request: Request) -> Response:
        state = await run_in_threadpool(self.state)
        result = state.result
        if result is None or not result.included:
            raise HTTPException(400, "没有可以计入汇总的文件，不能生成报告。")
        spec = result.spec
        async with request.form(max_files=0, max_fields=50, max_part_size=256 * 1024) as form:
            texts = {p.key: str(form.get(p.key, "")).replace("\r\n", "\n") for p in spec.parts}

        def write() -> None:
            with self.write_lock:
                self.workspace.save_narrative(texts)
                _write_reports(self.workspace, result, texts)

        await run_in_threadpool(write)
        return self.page(request, "_reports.html", **self._summary_context(state, message="报告已生成。"))

    # ------------------------------------------------------------------------------------------ access

    async def login(self, request: Request) -> Response:
        if request.method == "POST":
            async with request.form(max_files=0, max_fields=3) as form:
                typed = str(form.get("code", ""))
            if self.guard.code_matches(typed):
                response = RedirectResponse("/", status_code=303)
                response.set_cookie(ACCESS_COOKIE, self.guard.access_cookie(), httponly=True, samesite="strict")
                return response
            return self.page(request, "login.html", status_code=401, message="访问码不正确。")
        return self.page(request, "login.html")


def _next_steps(workspace: Workspace, state: State) -> list[tuple[str, str, str]]:
    """(what to do, link, link text), in the order of the season."""
    steps: list[tuple[str, str, str]] = []
    result = state.result
    if workspace.roster_path is None or state.roster_error:
        steps.append(("上传单位名单（CSV 或 XLSX）", "/roster", "名单与模板"))
    elif not workspace.templates():
        steps.append(("为名单中的单位生成模板，发给各单位填报", "/roster", "名单与模板"))
    if state.progress.running:
        steps.append((f"正在校验：{state.progress.done}/{state.progress.total}", "/returned", "收回"))
    if result is None or not result.files:
        steps.append(("把各单位报送的文件拖到“收回”页面", "/returned", "收回"))
        return steps
    counts = result.counts
    if counts[HAS_ERRORS]:
        steps.append(
            (f"{counts[HAS_ERRORS]} 个单位有错误：下载退回修改件，退回单位修改", "/returned?status=有错误", "查看")
        )
    if counts[MISSING]:
        steps.append((f"{counts[MISSING]} 个单位未报送：催报", "/returned?status=未报送", "查看"))
    if result.included:
        steps.append(("生成汇总工作簿，填写全县文字内容，生成年度报告", "/summary", "汇总"))
    return steps


def _write_reports(workspace: Workspace, result: MergeResult, texts: dict[str, str]) -> list[Path]:
    spec = result.spec
    year = result.year or workspace.year
    today = datetime.date.today()
    data = ReportData.from_inputs(
        spec,
        unit_name=workspace.office,
        year=year,
        date=f"{today.year}年{today.month}月{today.day}日",
        inputs={c.key: result.aggregate.values.get(c.key) for c in spec.input_cells},
        texts=texts,
        scope=SUMMARY_SCOPE,
    )
    draft = result.exit_code != 0
    stem = safe_component(f"{workspace.office}{year}年政府信息公开工作年度报告（汇总）")
    written = []
    for fmt in ("docx", "html"):
        target = workspace.folder(REPORTS) / f"{stem}.{fmt}"
        write_bytes(target, render(data, fmt, draft=draft))
        written.append(target)
    return written


async def _read_limited(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise HTTPException(413, f"文件超过 {MAX_FILE_BYTES // 2**20} MB，未保存")
    return data


def _zip(paths: list[Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, path.name)
    return buffer.getvalue()


def _download(data: bytes, name: str, media: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})


def create_app(
    workspace: Workspace, *, access_code: str | None = None, loopback_only: bool = True, jobs: int | None = None
) -> Starlette:
    """The application over ``workspace``; ``access_code`` guards every page (for a LAN address)."""
    guard = Guard(access_code=access_code, loopback_only=loopback_only)
    app = App(workspace, guard, jobs=jobs)

    def refuse(request: Request, status_code: int, message: str) -> Response:
        return app.error_page(request, status_code, message)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        messages = {404: "找不到该页面。", 405: "不支持该请求方式。"}
        detail = exc.detail if exc.detail and exc.detail != _default_phrase(exc.status_code) else ""
        return refuse(request, exc.status_code, detail or messages.get(exc.status_code, "请求有误。"))

    async def server_error(request: Request, exc: Exception) -> Response:
        return refuse(request, 500, f"处理请求时发生内部错误（{type(exc).__name__}），请重试或联系维护人员。")

    routes = [
        Route("/", app.home),
        Route("/roster", app.roster),
        Route("/roster/upload", app.roster_upload, methods=["POST"]),
        Route("/templates/generate", app.templates_generate, methods=["POST"]),
        Route("/templates/all.zip", app.templates_zip),
        Route("/files/{folder}", app.folder_file),
        Route("/returned", app.returned),
        Route("/returned/table", app.returned_table),
        Route("/returned/progress", app.progress),
        Route("/returned/upload", app.upload, methods=["POST"]),
        Route("/unit", app.unit),
        Route("/unit/return", app.return_copy),
        Route("/returns/all.zip", app.returns_zip),
        Route("/summary", app.summary),
        Route("/summary/generate", app.summary_generate, methods=["POST"]),
        Route("/report", app.report, methods=["POST"]),
        Route("/login", app.login, methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        # Stopping the page (Ctrl+C, or the service manager's SIGTERM) must not leave checking workers behind.
        app.checker.stop()
        for child in multiprocessing.active_children():
            child.terminate()

    starlette = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    starlette.add_middleware(GuardMiddleware, guard=guard, refuse=refuse)
    starlette.state.app = app
    return starlette


def _default_phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return ""


__all__ = ["RETURNED", "App", "create_app"]
