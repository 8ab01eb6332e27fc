"""A workspace: one folder per report year, shared by the command line and the page.

The folder holds 名单 (the roster), 模板 (personalised templates), 收回 (returned files), 退回 (return copies),
汇总 (summary workbook and long data) and 报告 (the county report and its narrative), plus a small settings file
naming the year, the office and last year's folder. Everything the page knows is in these files: restarting it,
or running ``giptemplate merge 收回/ --roster 名单/单位名单.csv`` beside it, sees the same state.

This module imports nothing of the web stack, so the demo can lay out its folder as a workspace.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from giptemplate.errors import InputError
from giptemplate.files.atomic import write_bytes, write_text
from giptemplate.files.paths import safe_component
from giptemplate.merge.collect import SPREADSHEET_SUFFIXES

ROSTER = "名单"
TEMPLATES = "模板"
RETURNED = "收回"
RETURNS = "退回"
SUMMARY = "汇总"
REPORTS = "报告"
FOLDERS = (ROSTER, TEMPLATES, RETURNED, RETURNS, SUMMARY, REPORTS)
SETTINGS_FILE = "工作区.json"
ROSTER_STEM = "单位名单"
ROSTER_SUFFIXES = (".csv", ".xlsx")
SUMMARY_FILE = "汇总.xlsx"
LONG_STEM = "汇总长表"
NARRATIVE_FILE = "文字内容.json"
RETURN_SUFFIX = "_退回修改.xlsx"
TEMPLATES_ZIP = "全部模板.zip"
RETURNS_ZIP = "全部退回修改件.zip"
WRITERS = 8  # uploads written at once: each mostly waits for its fsync


def default_year(today: datetime.date | None = None) -> int:
    """Reports are written in the first months of the year after the one they cover."""
    return (today or datetime.date.today()).year - 1


@dataclass(frozen=True)
class Stored:
    """What happened to one uploaded file."""

    name: str  # as the browser sent it (shown, never used as a path)
    saved_as: str  # the safe name in 收回, or "" when not stored
    status: str  # 已保存 / 已上传过 / 未保存
    detail: str = ""


class Workspace:
    """The folders of one report year and the few settings the page keeps beside them."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    # ------------------------------------------------------------------------------------------ layout

    def folder(self, name: str) -> Path:
        return self.root / name

    @property
    def returned(self) -> Path:
        return self.folder(RETURNED)

    @property
    def settings_path(self) -> Path:
        return self.root / SETTINGS_FILE

    def create(self, *, year: int | None = None, office: str = "", previous: str | Path | None = None) -> None:
        """Make the folders (existing files are kept) and record the settings given."""
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"{self.root} 已存在且不是文件夹 (workspace must be a folder)")
        for name in FOLDERS:
            self.folder(name).mkdir(parents=True, exist_ok=True)
        settings = self.settings()
        if year is not None:
            settings["year"] = year
        settings.setdefault("year", default_year())
        if office:
            settings["office"] = office
        if previous is not None:
            settings["previous"] = str(previous)
        write_text(self.settings_path, json.dumps(settings, ensure_ascii=False, indent=2) + "\n")

    def settings(self) -> dict[str, object]:
        try:
            data = json.loads(self.settings_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @property
    def year(self) -> int:
        value = self.settings().get("year")
        return value if isinstance(value, int) else default_year()

    @property
    def office(self) -> str:
        value = self.settings().get("office")
        return value if isinstance(value, str) and value.strip() else "汇总"

    @property
    def previous(self) -> Path | None:
        value = self.settings().get("previous")
        if not isinstance(value, str) or not value:
            return None
        path = Path(value)
        return path if path.is_absolute() else self.root / path

    # ------------------------------------------------------------------------------------------ roster

    @property
    def roster_path(self) -> Path | None:
        found = [self.folder(ROSTER) / (ROSTER_STEM + s) for s in ROSTER_SUFFIXES]
        found = [p for p in found if p.is_file()]
        return max(found, key=lambda p: p.stat().st_mtime) if found else None

    def save_roster(self, name: str, data: bytes) -> Path:
        """Store an uploaded roster as 名单/单位名单.csv or .xlsx (the other one is removed)."""
        suffix = Path(name.replace("\\", "/")).suffix.lower()
        if suffix not in ROSTER_SUFFIXES:
            raise InputError("单位名单应为 CSV 或 XLSX 文件 (roster must be .csv or .xlsx)")
        target = self.folder(ROSTER) / (ROSTER_STEM + suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(target, data)
        for other in ROSTER_SUFFIXES:
            stale = self.folder(ROSTER) / (ROSTER_STEM + other)
            if other != suffix and stale.is_file():
                stale.unlink()
        return target

    # ------------------------------------------------------------------------------------------ files

    def templates(self) -> list[Path]:
        folder = self.folder(TEMPLATES)
        return sorted(p for p in folder.glob("*.xlsx") if p.is_file()) if folder.is_dir() else []

    def returned_files(self) -> list[Path]:
        folder = self.returned
        return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []

    def file_in(self, folder: str, name: str) -> Path | None:
        """A file of one workspace folder by its listed name; None for anything else (names never become paths)."""
        base = self.folder(folder)
        if not base.is_dir():
            return None
        for path in base.iterdir():
            if path.name == name and path.is_file():
                return path
        return None

    def store_uploads(self, files: Sequence[tuple[str, bytes]], known: dict[str, str]) -> list[Stored]:
        """Save returned files into 收回 under safe names, each atomically; returns what happened to each.

        ``known`` maps the SHA-256 of every file already in 收回 to its name; a file with the same content is
        recognised and not stored twice (stored files are added to it). Names are decided one by one, in order;
        the writes then run side by side, since each waits for its own fsync.
        """
        out: list[Stored] = []
        writes: list[tuple[Path, bytes]] = []
        taken: set[str] = set()
        for name, data in files:
            base = name.replace("\\", "/").rsplit("/", 1)[-1]
            suffix = Path(base).suffix.lower()
            if suffix not in SPREADSHEET_SUFFIXES:
                out.append(Stored(name, "", "未保存", "不是表格文件（.xlsx/.xlsm/.xls/.ods/.et），未保存"))
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest in known:
                out.append(Stored(name, known[digest], "已上传过", f"与已收到的 {known[digest]} 内容相同，未重复保存"))
                continue
            stem = safe_component(Path(base).stem)
            target = self.returned / f"{stem}{suffix}"
            n = 2
            while target.name.casefold() in taken or target.exists():
                target = self.returned / f"{stem}（{n}）{suffix}"
                n += 1
            taken.add(target.name.casefold())
            known[digest] = target.name
            writes.append((target, data))
            out.append(Stored(name, target.name, "已保存"))
        self.returned.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            list(pool.map(lambda item: write_bytes(*item), writes))
        return out

    # ------------------------------------------------------------------------------------------ narrative

    def narrative(self) -> dict[str, str]:
        try:
            data = json.loads((self.folder(REPORTS) / NARRATIVE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def save_narrative(self, texts: dict[str, str]) -> None:
        self.folder(REPORTS).mkdir(parents=True, exist_ok=True)
        write_text(self.folder(REPORTS) / NARRATIVE_FILE, json.dumps(texts, ensure_ascii=False, indent=2) + "\n")


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
