"""Finding input files, recognising this tool's own outputs, and choosing output names: the lowest layer of every
command that takes files or folders (check, merge, report, extract, the web page's 收回 folder).

Nothing here parses a sheet: an output of ours is recognised from its document properties alone. May import
:mod:`giptemplate.errors` and the other modules of :mod:`giptemplate.files`; nothing here imports upwards.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from giptemplate.errors import InputError, IntakeError
from giptemplate.files.intake import admit, unpack_archive
from giptemplate.files.paths import display_name, display_text, safe_component

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".et"})
# Published reports, read by giptemplate.published (text copies are read only when named).
DOCUMENT_SUFFIXES = frozenset({".docx", ".pdf", ".html", ".htm", ".mhtml", ".mht"})
# The creation time every workbook this tool writes carries: a return copy whose save time is still this one has
# not been saved by anyone since.
FIXED_CREATED = datetime(2000, 1, 1)
# Kinds stamped in the giptemplate.kind document property of the workbooks this tool writes.
TEMPLATE_KIND = "template"
RETURN_KIND = "return"
SUMMARY_KIND = "summary"
FINDINGS_KIND = "findings"  # the check command's xlsx report (render.to_xlsx)
LONG_KIND = "long"  # long Parquet data of a merge
FINDINGS_TITLE = "校验结果"  # render.to_xlsx's document title, the marker of reports written without a kind property
GENERATED_TEXT = "本工具生成的文件（退回修改件、汇总表或校验结果），不是报送，未读取"
_KIND_PROPERTY = re.compile(rb'name="giptemplate\.kind"[^>]*>\s*<vt:lpwstr>([^<]*)<')
_CORE_TITLE = re.compile(rb"<dc:title>([^<]*)</dc:title>")
_CORE_CREATOR = re.compile(rb"<dc:creator>([^<]*)</dc:creator>")
_CORE_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]*)</dcterms:modified>")


def is_generated(kind: str, saved_at: str) -> bool:
    """Whether a workbook is one of this tool's own outputs as written, never a unit's submission.

    Summaries and check reports always are. A return-for-correction copy is only until someone saves it: the unit
    corrects that copy and sends it back, and then it is their submission (Excel, WPS and LibreOffice all stamp
    the save time, which the writer leaves at its fixed creation time).
    """
    if kind in (SUMMARY_KIND, FINDINGS_KIND):
        return True
    return kind == RETURN_KIND and _never_saved(saved_at)


def _never_saved(saved_at: str) -> bool:
    try:
        moment = datetime.fromisoformat(saved_at.replace("Z", "+00:00"))
    except ValueError:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment == FIXED_CREATED.replace(tzinfo=UTC)


def _doc_properties(path: str | Path) -> tuple[str, str]:
    """The kind this tool stamped on a workbook and its save time, from the document properties alone (no sheet
    is parsed): ``findings`` for a check report; ("", "") for anything else or unreadable."""
    try:
        intake = admit(path)
        custom = intake.part("docProps/custom.xml") or b""
        core = intake.part("docProps/core.xml") or b""
    except (IntakeError, OSError):
        return "", ""
    modified = _CORE_MODIFIED.search(core)
    saved_at = modified.group(1).decode("ascii", "replace") if modified else ""
    found = _KIND_PROPERTY.search(custom)
    if found:
        return found.group(1).decode("utf-8", "replace").strip(), saved_at
    title, creator = _CORE_TITLE.search(core), _CORE_CREATOR.search(core)
    if title and creator and creator.group(1) == b"giptemplate" and title.group(1) == FINDINGS_TITLE.encode():
        return FINDINGS_KIND, saved_at
    return "", saved_at


def generated_file(path: str | Path) -> str:
    """The kind of a file that is one of this tool's own outputs as written (:func:`is_generated`), else ""."""
    kind, saved_at = _doc_properties(path)
    return kind if is_generated(kind, saved_at) else ""


def looks_like_spreadsheet(path: Path) -> bool:
    """A spreadsheet by name or by its first bytes (zip or OLE container): never to be overwritten by a text file."""
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return False
    return head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"))


def check_output(output: Path, inputs: Iterable[Path], named: Iterable[Path], *, kind: str | None) -> None:
    """Refuse (:class:`InputError`) to write ``output`` over an input file, or over an existing file that is not
    an output of ours: with ``kind`` (an xlsx output) only a file of that kind may be replaced, without it (text
    output) no spreadsheet may. Our own earlier output found in an input folder is skipped when reading, so it
    may be replaced; not when it was named as an input."""
    target = output.resolve()
    exists = output.exists()
    if exists and output.is_dir():
        raise InputError(f"输出路径 {output} 是文件夹 (output is a folder)")
    ours = exists and kind is not None and generated_file(output) == kind
    if any(target == p.resolve() for p in named) or (not ours and any(target == p.resolve() for p in inputs)):
        raise InputError(f"输出文件 {output} 是要读取的文件之一，拒绝覆盖 (output is one of the input files)")
    if not exists:
        return
    if kind is not None and not ours:
        raise InputError(
            f"{output} 已存在且不是本工具生成的同类文件，拒绝覆盖；请换一个文件名"
            " (refusing to overwrite a file we did not write)"
        )
    if kind is None and looks_like_spreadsheet(output):
        raise InputError(f"{output} 已存在且是电子表格，拒绝覆盖；请换一个文件名 (refusing to overwrite a spreadsheet)")


@dataclass(frozen=True)
class Found:
    """One file found under the inputs: where it is, how it is shown, and why it is not read (empty: it is)."""

    path: Path
    shown: str
    skip: str = ""
    origin: str = ""  # for a file taken out of a .zip: the archive's path and the member's name


LOCK_PREFIX = "~$"
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})


def discover(inputs: Iterable[str | Path], unpack_into: Path | None = None) -> list[Found]:
    """Every file under the inputs, each once, in a stable order: what a merge must account for.

    Unlike :func:`find_inputs`, files of any type are taken (a PDF sent instead of the workbook must be listed
    as 无法读取, not vanish); Office lock files, hidden and system files are listed as skipped with the reason, and
    so is a second path to a file already found (a link, or the file named twice). Links are followed only to
    what they point to: the reader refuses anything that is not a regular file.

    With ``unpack_into`` (a scratch folder), a .zip of submissions is opened (bounded like any returned file, no
    path traversal) and each of its files listed as ``乡镇报表.zip/a/xx.xlsx``; a zip inside it is not opened (it
    is read, and refused, as it is). An archive that cannot be opened is read, and refused, as a file.
    """
    found: list[Found] = []
    first: dict[tuple[int, int], str] = {}

    def add(path: Path, shown: str) -> None:
        name = path.name
        if name.startswith(LOCK_PREFIX):
            found.append(Found(path, shown, "Office 锁文件（文件在 Excel/WPS 中打开时生成），不是报送"))
            return
        if name.startswith(".") or name.lower() in SYSTEM_FILES:
            found.append(Found(path, shown, "隐藏文件或系统文件，未读取"))
            return
        try:
            info = path.stat()
        except OSError:
            found.append(Found(path, shown))  # a broken link: the reader says why it cannot be read
            return
        if stat.S_ISDIR(info.st_mode):
            found.append(Found(path, shown, "是指向文件夹的链接，未进入读取"))
            return
        key = (info.st_dev, info.st_ino)
        if key in first:
            found.append(Found(path, shown, f"与 {first[key]} 是同一个文件（链接或重复指定），只读取一次"))
            return
        first[key] = shown
        if unpack_into is not None and name.lower().endswith(".zip") and unpack(path, shown):
            return
        found.append(Found(path, shown))

    def unpack(path: Path, shown: str) -> bool:
        try:
            files = unpack_archive(path)
        except IntakeError:
            return False
        assert unpack_into is not None
        folder = unpack_into / str(len(found))
        folder.mkdir(parents=True)
        found.append(Found(path, shown, f"压缩包，已解压：其中 {len(files)} 个文件逐个列出"))
        for i, (member, data) in enumerate(files):
            target = folder / str(i) / safe_component(Path(member).name)  # its own name, in messages too
            target.parent.mkdir()
            target.write_bytes(data)
            inside = f"{shown}/{member}"
            found.append(Found(target, display_text(inside), origin=display_text(f"{path}/{member}")))
        return True

    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for child in sorted(_walk(path, links=True)):
                add(child, display_text(child.relative_to(path).as_posix()))
        else:
            add(path, display_name(path))
    return found


def named_files(inputs: Iterable[str | Path]) -> list[Path]:
    """The inputs that name a file rather than a folder."""
    return [Path(p) for p in inputs if not Path(p).is_dir()]


def find_inputs(inputs: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """The files to read among what :func:`discover` finds (the one search of input folders), and the others.

    For commands that read only workbooks and published reports (``report``, ``--previous``): a file named
    explicitly is always read (a PDF renamed .xls must show up as 无法读取); inside folders only spreadsheet and
    report names are taken, and what :func:`discover` skips (lock, hidden and system files, a second path to a
    file) is skipped. Each file counts once, however often it is named.
    """
    files: list[Path] = []
    skipped: list[Path] = []
    seen: set[Path] = set()
    wanted = SPREADSHEET_SUFFIXES | DOCUMENT_SUFFIXES
    for item in inputs:
        path = Path(item)
        found = discover([path]) if path.is_dir() else [Found(path, display_name(path))]
        for entry in found:
            key = entry.path.resolve()
            if key in seen:
                continue
            seen.add(key)
            if path.is_dir() and (entry.skip or entry.path.suffix.lower() not in wanted):
                skipped.append(entry.path)
            else:
                files.append(entry.path)
    return files, skipped


def _walk(folder: Path, *, links: bool = False) -> Iterator[Path]:
    """Files under a folder (hidden folders left out); with ``links``, also links to folders, which are listed
    but never entered (a link back up the tree would never end)."""
    for root, dirs, names in os.walk(folder):
        if links:
            names = [*names, *(d for d in dirs if os.path.islink(os.path.join(root, d)))]
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(root, d)))
        for name in names:
            yield Path(root) / name


def free_name(
    folder: Path, name: str, suffix: str, used: set[str], *, replaceable: Callable[[Path], bool] | None = None
) -> str:
    """``name`` (ending in ``suffix``), or ``stem_2``, ``stem_3`` … : the first not yet ``used`` in this run (compared
    case-blind, as Windows does) and, unless ``replaceable`` says an existing file there may be replaced, not on disk.
    The chosen name is added to ``used``."""
    stem, n = name.removesuffix(suffix), 2
    while name.lower() in used or (
        replaceable is not None and (folder / name).exists() and not replaceable(folder / name)
    ):
        name = f"{stem}_{n}{suffix}"
        n += 1
    used.add(name.lower())
    return name
