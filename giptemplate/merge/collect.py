"""Read and check many returned files in parallel, each into a compact, picklable :class:`FileResult`.

Workers are processes (reading is CPU-bound Python); they receive chunks of paths and send back only what the
merge needs: identity, trusted values as a tuple in ``spec.cells`` order, findings and the narrative texts used
for the copy check, never whole :class:`Submission` objects. One bad file never stops the merge: whatever goes
wrong while reading it becomes its 无法读取 reason.
"""

from __future__ import annotations

import hashlib
import importlib
import multiprocessing
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from giptemplate.errors import InputError, IntakeError
from giptemplate.files.paths import display_name, display_text, safe_component
from giptemplate.findings import Finding, make
from giptemplate.format.arithmetic import Number
from giptemplate.format.spec import Spec, spec_by_id
from giptemplate.merge.copies import TextPrint, copy_checked_parts, fingerprint
from giptemplate.merge.lower import SUMMARY_KIND, LowerSummary, kept_for_summary, read_lower

if TYPE_CHECKING:
    from giptemplate.checks.checker import RelationTally
    from giptemplate.workbook.submission import Submission

LONG_KIND = "long"  # long Parquet data of a merge
SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".et"})
# Published reports, read by giptemplate.published (text copies are read only when named).
DOCUMENT_SUFFIXES = frozenset({".docx", ".pdf", ".html", ".htm", ".mhtml", ".mht"})
INTERNAL_ERROR = "X000"  # not a finding code: the reader failed unexpectedly on this file
SMALL_BATCH = 8  # below this many files, starting worker processes costs more than it saves
FINDINGS_KIND = "findings"  # the check command's xlsx report (render.to_xlsx)
FINDINGS_TITLE = "校验结果"  # render.to_xlsx's document title, the marker of reports written without a kind property
GENERATED_TEXT = "本工具生成的文件（退回修改件、汇总表或校验结果），不是报送，未读取"
_KIND_PROPERTY = re.compile(rb'name="giptemplate\.kind"[^>]*>\s*<vt:lpwstr>([^<]*)<')
_CORE_TITLE = re.compile(rb"<dc:title>([^<]*)</dc:title>")
_CORE_CREATOR = re.compile(rb"<dc:creator>([^<]*)</dc:creator>")
_CORE_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]*)</dcterms:modified>")

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class FileResult:
    """What the merge keeps of one input file."""

    path: str
    size: int
    mtime: float
    sha256: str = ""
    error_code: str = ""  # F0xx when the file could not be read (X000: unexpected failure)
    error_message: str = ""
    spec_id: str = ""
    unit_name: str = ""
    unit_code: str = ""
    scope: str = ""
    year: int | None = None
    saved_at: str = ""
    application: str = ""
    values: tuple[Number | None, ...] = ()  # trusted values in ``spec.cells`` order
    moved: tuple[tuple[str, str, str], ...] = ()  # (cell key, sheet, A1) where the file differs from the layout
    findings: tuple[Finding, ...] = ()
    texts: tuple[TextPrint, ...] = field(default=(), repr=False)  # the copy-checked parts (N605)
    tally: RelationTally | None = None  # outcomes of the relation checks (None when not checked)
    lower: LowerSummary | None = field(default=None, repr=False)  # a lower level's summary: its statuses, findings
    kind: str = ""  # identity kind ("template", "return", "summary"; "findings" for a check report)
    generated: bool = False  # one of this tool's own outputs as written: listed, never taken as a submission
    shown: str = ""  # the path as people see it: relative to its input folder, always valid UTF-8
    origin: str = ""  # where a file taken out of a .zip came from (its path is then a scratch copy)
    skipped: str = ""  # why the file was not read at all (a lock file, a hidden file, a second link to a file)

    @property
    def readable(self) -> bool:
        """Read as a submission (a generated or skipped file is neither readable nor 无法读取)."""
        return not self.error_code and not self.generated and not self.skipped

    @property
    def name(self) -> str:
        """The file's name as messages show it (never text a writer cannot store)."""
        return display_name(self.origin or self.path)

    @property
    def listed(self) -> str:
        """How the status table lists the file: its path relative to the input folder, so that two 报表.xlsx from
        different subfolders stay apart."""
        return self.shown or self.name

    @property
    def spec(self) -> Spec:
        return spec_by_id(self.spec_id)

    def severity_counts(self) -> dict[str, int]:
        out = {"error": 0, "explain": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity] += 1
        return out


# ---------------------------------------------------------------------------------------------- inputs


def is_generated(kind: str, saved_at: str) -> bool:
    """Whether a workbook is one of this tool's own outputs as written, never a unit's submission.

    Summaries and check reports always are. A return-for-correction copy is only until someone saves it: the unit
    corrects that copy and sends it back, and then it is their submission (Excel, WPS and LibreOffice all stamp
    the save time, which the writer leaves at its fixed creation time).
    """
    if kind in ("summary", FINDINGS_KIND):
        return True
    return kind == "return" and _never_saved(saved_at)


def _never_saved(saved_at: str) -> bool:
    from giptemplate.workbook.writer import FIXED_CREATED

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
    from giptemplate.files.intake import admit

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
    from giptemplate.errors import InputError

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
        from giptemplate.files.intake import unpack_archive

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


# ---------------------------------------------------------------------------------------------- one file


@dataclass(frozen=True, slots=True)
class PreviousRef:
    """Where last year's file of a unit is, and who it is: what a worker needs to find it (matched as
    :func:`giptemplate.checks.previous.previous_for` does) and read it when the unit's file comes up."""

    path: str
    file: str
    unit_code: str
    unit_name: str
    year: int | None
    sha256: str
    saved_at: str

    @classmethod
    def of(cls, result: FileResult) -> PreviousRef:
        return cls(
            result.path, result.name, result.unit_code, result.unit_name, result.year, result.sha256, result.saved_at
        )


# Per worker process, set by the pool initializer: whether to check and to fingerprint the texts for N605, and last
# year's files by unit.
_check = True
_fingerprints = True
_previous: Any = None
_previous_expected = False
_explicit: frozenset[str] = frozenset()

Setup = tuple[bool, "list[PreviousRef] | None", frozenset[str], bool]


def _init_worker(
    check: bool,
    previous: Sequence[PreviousRef] | None,
    explicit: frozenset[str] = frozenset(),
    fingerprints: bool = True,
) -> None:
    global _check, _fingerprints, _previous, _previous_expected, _explicit
    _check = check
    _fingerprints = fingerprints
    _explicit = explicit
    _previous_expected = previous is not None
    _previous = None
    if previous is not None:
        index = _previous_module().PreviousIndex()
        for ref in previous:
            index.add(ref)  # matched on the same attributes a Submission has
        _previous = index


def _previous_module() -> Any:
    return importlib.import_module("giptemplate.checks.previous")


def _previous_for(submission: Submission) -> Submission | None:
    """Last year's submission of the unit, read now (a file that cannot be read counts as absent)."""
    if _previous is None:
        return None
    from giptemplate.workbook.reader import read_workbook

    ref: PreviousRef | None = _previous_module().previous_for(_previous, submission)
    if ref is None:
        return None
    try:
        return read_workbook(ref.path)
    except Exception:  # read once already; a file that changed since is simply not there
        return None


def _stat(path: Path) -> tuple[int, float]:
    """Size and modification time (0 when the file has gone: it is then listed as 无法读取 anyway)."""
    try:
        stat = path.stat()
    except OSError:
        return 0, 0.0
    return stat.st_size, stat.st_mtime


def process_file(path: str | Path) -> FileResult:
    """Read and (unless the worker only reads) check one file; never raises for a bad file.

    A file of this tool's own making (:func:`is_generated`) comes back marked ``generated`` and unchecked, unless
    it was named explicitly (a city merging its counties' summaries names them)."""
    from giptemplate.checks.checker import check_file
    from giptemplate.format.layout import layout_for
    from giptemplate.workbook.reader import read_workbook

    path = Path(path)
    size, mtime = _stat(path)
    if path.suffix.lower() == ".parquet":
        if str(path) in _explicit:
            return _long_lower(path, size, mtime)
        if _is_long_data(path):  # our own long output left in an input folder: never counted twice
            return FileResult(str(path), size, mtime, kind=LONG_KIND, generated=True)
    try:
        submission = read_workbook(path)
        kind = submission.meta.get("kind", "")
        if str(path) not in _explicit and is_generated(kind, submission.saved_at):
            # Not checked: an output of ours left among the returns is listed as such, not read as a submission.
            return FileResult(
                str(path),
                size,
                mtime,
                sha256=submission.sha256,
                kind=kind,
                saved_at=submission.saved_at,
                generated=True,
            )
    except IntakeError as exc:
        kind = generated_file(path) if str(path) not in _explicit else ""
        if kind:
            return FileResult(str(path), size, mtime, kind=kind, generated=True)
        return FileResult(str(path), size, mtime, error_code=exc.code, error_message=exc.message)
    except Exception as exc:  # a reader bug must not stop the merge; the file is listed with the reason
        message = display_text(f"{display_name(path)}：读取时发生内部错误（{type(exc).__name__}: {exc}）")
        return FileResult(str(path), size, mtime, error_code=INTERNAL_ERROR, error_message=message)
    try:
        findings: tuple[Finding, ...] = ()
        tally = None
        lower = None
        if _check:
            report = check_file(submission, _previous_for(submission), previous_expected=_previous_expected)
            findings = tuple(report.findings)
            tally = report.tally
        lower = None
        if submission.meta.get("kind", "") == SUMMARY_KIND:  # a lower level's summary, named to be merged
            findings = kept_for_summary(findings)
            lower = read_lower(path)
    except Exception as exc:
        findings = (
            make(
                "F005",
                display_text(f"{display_name(path)}：校验时发生内部错误（{type(exc).__name__}: {exc}），结果不完整"),
                severity="error",
                file=display_name(path),
            ),
        )
    spec = submission.spec
    layout = layout_for(spec)
    values = submission.values
    moved = []
    for key, place in layout.cells.items():
        if key in submission.cells or key in submission.stored:
            actual = submission.place_of(key)
            if actual != place:
                moved.append((key, actual.sheet, actual.a1))
    texts: tuple[TextPrint, ...] = ()
    if _check and _fingerprints:
        prints = (fingerprint(k, submission.texts[k]) for k in copy_checked_parts(spec) if submission.texts.get(k))
        texts = tuple(p for p in prints if p is not None)
    return FileResult(
        path=str(path),
        size=size,
        mtime=mtime,
        sha256=submission.sha256,
        spec_id=spec.id,
        unit_name=submission.unit_name.strip(),
        unit_code=submission.unit_code.strip().upper(),
        scope=submission.meta.get("scope", "").strip(),
        year=_report_year(submission),
        saved_at=submission.saved_at,
        application=submission.application,
        kind=submission.meta.get("kind", ""),
        values=tuple(values.get(k) for k in spec.cells),
        moved=tuple(moved),
        findings=findings,
        texts=texts,
        tally=tally,
        lower=lower,
    )


def _is_long_data(path: Path) -> bool:
    from giptemplate.merge.longframe import is_long_data

    return is_long_data(path)


def _long_lower(path: Path, size: int, mtime: float) -> FileResult:
    """A lower level's long Parquet data (named explicitly), taken as its summary workbook would be: its units'
    totals as the values, its 报送情况 and findings carried up."""
    from giptemplate.format.spec import spec_by_id
    from giptemplate.merge.aggregate import aggregate
    from giptemplate.merge.longframe import read_long_lower
    from giptemplate.workbook.writer import SUMMARY_SCOPE

    try:
        spec_id, office, year, units, lower = read_long_lower(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except InputError as exc:
        return FileResult(str(path), size, mtime, error_code="F006", error_message=str(exc))
    except OSError as exc:
        return FileResult(str(path), size, mtime, error_code="F005", error_message=f"{display_name(path)}：{exc}")
    spec = spec_by_id(spec_id)
    totals = aggregate(spec, units).values
    return FileResult(
        path=str(path),
        size=size,
        mtime=mtime,
        sha256=digest,
        spec_id=spec_id,
        unit_name=office,
        scope=SUMMARY_SCOPE,
        year=year,
        kind=SUMMARY_KIND,
        values=tuple(totals.get(k) for k in spec.cells),
        lower=lower,  # its findings are carried up with its 报送情况
    )


def _report_year(submission: Submission) -> int | None:
    """The year typed on the cover, else the year the template was made for (a blank cover year is the checks'
    C702; it must not drop the unit from the year's totals)."""
    if submission.year is not None:
        return submission.year
    identity = submission.meta.get("report_year", "")
    return int(identity) if identity.isdigit() else None


def _process_chunk(paths: Sequence[str]) -> list[FileResult]:
    return [process_file(p) for p in paths]


def process_chunk_with(setup: Setup, paths: Sequence[str]) -> list[FileResult]:
    """:func:`process_file` over ``paths`` in a worker set up as ``setup`` says: one task of another engine (Dask),
    where no pool initializer runs."""
    _init_worker(*setup)
    return _process_chunk(paths)


# ---------------------------------------------------------------------------------------------- many files


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _context() -> multiprocessing.context.BaseContext:
    # fork would copy the parent's threads (progress bar, pyarrow pools) in an undefined state; forkserver forks
    # from a clean server that has already imported the reader, so workers start fast.
    if sys.platform.startswith("linux") and "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(
            ["giptemplate.merge.collect", "giptemplate.workbook.reader", "giptemplate.checks.checker", "datasketch"]
        )
        return context
    return multiprocessing.get_context("spawn")


def _chunks(items: Sequence[str], jobs: int) -> list[list[str]]:
    # Small enough for a smooth progress bar and balanced workers, large enough to amortise the round trips.
    size = max(1, min(32, len(items) // (jobs * 8) or 1))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def collect(
    paths: Sequence[Path],
    *,
    jobs: int | None = None,
    previous: Sequence[PreviousRef] | None = None,
    check: bool = True,
    on_progress: Progress | None = None,
    explicit: Iterable[str | Path] = (),
    fingerprints: bool = True,
    engine: str = "local",
    scheduler: str | None = None,
) -> list[FileResult]:
    """Read and check every file (in input order); with ``check`` False only read it.

    ``explicit``: the files named one by one (not found in a folder), read even when they are our own outputs.
    ``previous`` lists last year's files (an empty list still asks for the cross-year checks, which then say
    the year is missing); ``jobs`` None: all cores, in-process for a handful of files. ``fingerprints`` False
    skips what only the merge's copy check needs. ``engine`` "dask" maps the same per-file pipeline over a Dask
    cluster (:mod:`giptemplate.merge.engines`): the one at ``scheduler``, else a LocalCluster of ``jobs`` workers.
    """
    names = [str(p) for p in paths]
    total = len(names)
    previous_list = list(previous) if previous is not None else None
    setup: Setup = (check, previous_list, frozenset(str(p) for p in explicit), fingerprints)
    if engine == "dask":
        from giptemplate.merge.engines import collect_dask

        return collect_dask(names, setup, jobs=jobs, scheduler=scheduler, on_progress=on_progress)
    workers = jobs if jobs is not None else (default_jobs() if total >= SMALL_BATCH else 1)
    workers = max(1, min(workers, total or 1))
    if workers == 1:
        _init_worker(*setup)
        try:
            results = []
            for i, name in enumerate(names, start=1):
                results.append(process_file(name))
                if on_progress is not None:
                    on_progress(i, total)
            return results
        finally:
            _init_worker(True, None)
    results_by_path: dict[str, FileResult] = {}
    progress = _Counter(total, on_progress)
    failed = _run_pool(_chunks(names, workers), workers, setup, results_by_path, progress)
    while failed:
        # A worker died (a crash inside a parser, or out of memory) and took the pool with it: retry the files
        # that did not come back, one per task. When a round saves none, go on with one worker, in order: then a
        # round that saves none was stopped by its first file, which alone is listed as 无法读取.
        retry = _run_pool([[n] for n in failed], workers, setup, results_by_path, progress)
        if len(retry) == len(failed):
            if workers > 1:
                workers = 1
            else:
                results_by_path[retry[0]] = _crashed(retry[0])
                progress.advance(1)
                retry = retry[1:]
        failed = retry
    return [results_by_path[n] for n in names]


class _Counter:
    def __init__(self, total: int, on_progress: Progress | None) -> None:
        self.total, self.done, self.on_progress = total, 0, on_progress

    def advance(self, n: int) -> None:
        self.done += n
        if self.on_progress is not None:
            self.on_progress(self.done, self.total)


def _run_pool(
    chunks: list[list[str]],
    workers: int,
    setup: Setup,
    into: dict[str, FileResult],
    progress: _Counter,
) -> list[str]:
    """Run chunks in a process pool; returns the files of chunks that did not come back."""
    failed: list[str] = []
    with ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)),
        mp_context=_context(),
        initializer=_init_worker,
        initargs=setup,
    ) as pool:
        pending: dict[Future[list[FileResult]], list[str]] = {pool.submit(_process_chunk, c): c for c in chunks}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                chunk = pending.pop(future)
                try:
                    results = future.result()
                except Exception:  # BrokenProcessPool and anything a worker could not send back
                    failed.extend(chunk)
                    continue
                for result in results:
                    into[result.path] = result
                progress.advance(len(results))
    return failed


def _crashed(name: str) -> FileResult:
    path = Path(name)
    size, mtime = _stat(path)
    message = f"{display_name(path)}：读取该文件的进程异常退出（可能文件损坏或过于复杂）"
    return FileResult(name, size, mtime, error_code=INTERNAL_ERROR, error_message=message)
