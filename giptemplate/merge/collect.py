"""Read and check many returned files in parallel, each into a compact, picklable :class:`FileResult`.

Workers are processes (reading is CPU-bound Python); they receive chunks of paths and send back only what the
merge needs: identity, trusted values as a tuple in ``spec.cells`` order, findings and the narrative texts used
for the copy check, never whole :class:`Submission` objects. One bad file never stops the merge: whatever goes
wrong while reading it becomes its 无法读取 reason.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from giptemplate.checks.checker import RelationTally
from giptemplate.checks.previous import PreviousIndex, PreviousRef
from giptemplate.errors import IntakeError
from giptemplate.files.inputs import LONG_KIND, SUMMARY_KIND
from giptemplate.files.paths import display_name
from giptemplate.findings import Finding, make
from giptemplate.format.arithmetic import Number
from giptemplate.format.layout import layout_for
from giptemplate.format.spec import SUMMARY_SCOPE, Spec, spec_by_id
from giptemplate.merge.aggregate import aggregate
from giptemplate.merge.copies import TextPrint, copy_checked_parts, fingerprint
from giptemplate.merge.engines import dask_client
from giptemplate.merge.lower import LowerSummary, kept_for_summary, read_lower
from giptemplate.pipeline import INTERNAL_ERROR, Previous, check_path, internal_error, load_formats

SMALL_BATCH = 8  # below this many files, starting worker processes costs more than it saves
RETRY_SETTLE = 0.05  # seconds a retry allows the threads of the pool that just broke to leave (see _context)

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class FileResult:
    """What the merge keeps of one input file."""

    path: str
    size: int
    mtime: float
    sha256: str = ""
    error_code: str = ""  # F0xx when the file could not be read (X000: unexpected failure)
    error_message: str = ""  # the refusal's one line (IntakeError.message)
    error_variant: str = ""  # the refusal's sentence in the catalogue: its variant and fields (IntakeError)
    error_fields: tuple[tuple[str, str], ...] = ()
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


# ---------------------------------------------------------------------------------------------- one file


# Per worker process, set by the pool initializer: whether to check and to fingerprint the texts for N605, and last
# year's files by unit.
_check = True
_fingerprints = True
_previous: Previous | None = None
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
        index: Previous = PreviousIndex()
        for ref in previous:
            index.add(ref)
        _previous = index


def _stat(path: Path) -> tuple[int, float]:
    """Size and modification time (0 when the file has gone: it is then listed as 无法读取 anyway)."""
    try:
        stat = path.stat()
    except OSError:
        return 0, 0.0
    return stat.st_size, stat.st_mtime


def process_file(path: str | Path) -> FileResult:
    """Read and (unless the worker only reads) check one file through :func:`giptemplate.pipeline.check_path`;
    never raises for a bad file. Keeps what the merge needs of it.

    A file of this tool's own making (:func:`giptemplate.files.inputs.is_generated`) comes back marked
    ``generated`` and unchecked, unless it was named explicitly (a city merging its counties' summaries names
    them)."""
    path = Path(path)
    size, mtime = _stat(path)
    if path.suffix.lower() == ".parquet":
        from giptemplate.merge.longframe import is_long_data  # lazy: pyarrow's reader, only for .parquet files

        if str(path) in _explicit:
            return _long_lower(path, size, mtime)
        if is_long_data(path):  # our own long output left in an input folder: never counted twice
            return FileResult(str(path), size, mtime, kind=LONG_KIND, generated=True)
    checked = check_path(
        path,
        previous=_previous if _previous_expected else None,
        check=_check,
        own_outputs=str(path) in _explicit,
    )
    if checked.generated:
        # Not checked: an output of ours left among the returns is listed as such, not read as a submission.
        sub = checked.submission
        return FileResult(
            str(path),
            size,
            mtime,
            sha256=sub.sha256 if sub is not None else "",
            kind=checked.kind,
            saved_at=sub.saved_at if sub is not None else "",
            generated=True,
        )
    submission = checked.submission
    if submission is None:
        return FileResult(
            str(path),
            size,
            mtime,
            error_code=checked.error_code,
            error_message=checked.error_message,
            error_variant=checked.error_variant,
            error_fields=checked.error_fields,
        )
    findings = checked.findings
    lower = None
    if checked.kind == SUMMARY_KIND:  # a lower level's summary, named to be merged
        findings = kept_for_summary(findings)
        try:
            lower = read_lower(path)
        except Exception as exc:  # the one policy for internal errors (pipeline.internal_error)
            error = internal_error(path, "read_lower", exc)
            incomplete = make("F005", {"error": error}, variant="internal", severity="error", file=display_name(path))
            findings = (*findings, incomplete)
    spec = submission.spec
    layout = layout_for(spec)
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
        year=submission.report_year(),
        saved_at=submission.saved_at,
        application=submission.application,
        kind=checked.kind,
        values=tuple(submission.values.get(k) for k in spec.cells),
        moved=tuple(moved),
        findings=findings,
        texts=texts,
        tally=checked.tally,
        lower=lower,
    )


def _long_lower(path: Path, size: int, mtime: float) -> FileResult:
    """A lower level's long Parquet data (named explicitly), taken as its summary workbook would be: its units'
    totals as the values, its 报送情况 and findings carried up."""
    from giptemplate.merge.longframe import read_long_lower  # lazy: as in process_file

    try:
        spec_id, office, year, units, lower = read_long_lower(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except IntakeError as exc:
        return refused_result(str(path), size, mtime, exc)
    except OSError as exc:
        refusal = IntakeError("F005", "os_error", {"error": exc.strerror or exc}, name=display_name(path))
        return refused_result(str(path), size, mtime, refusal)
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


def _single_threaded(settle: float = 0.0) -> bool:
    """Whether this process runs one thread, counted by the OS (Python's and native ones alike); False where it
    cannot tell. ``settle``: seconds to allow a thread Python has already joined (a finished pool's) to leave the
    OS's list, which it does a moment after the join."""
    if threading.active_count() != 1:
        return False
    deadline = time.monotonic() + settle
    while True:
        try:
            if len(os.listdir("/proc/self/task")) == 1:
                return True
        except OSError:
            return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)


def _context(settle: float = 0.0) -> multiprocessing.context.BaseContext:
    """How the workers start.

    Forked from this process when it runs a single thread: they start at once with everything it has imported and
    loaded (the formats, which the merge needs afterwards anyway), where a fork server first spends about 0.3 s
    importing the reader, once per process, and each worker loads the formats on its first file. With more threads
    (a progress bar's, the page's checker, the BLAS pool numpy starts on import) a fork could copy a lock another
    thread holds in an undefined state, so the workers fork from a clean server that has already imported the
    reader (forkserver). Spawn where neither exists. ``settle``: see :func:`_single_threaded` (a pool has just
    closed)."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and _single_threaded(settle):
        load_formats()
        return multiprocessing.get_context("fork")
    if sys.platform.startswith("linux") and "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(
            ["giptemplate.merge.collect", "giptemplate.workbook.reader", "giptemplate.checks.checker", "numpy"]
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
        retry = _run_pool([[n] for n in failed], workers, setup, results_by_path, progress, settle=RETRY_SETTLE)
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
    settle: float = 0.0,
) -> list[str]:
    """Run chunks in a process pool; returns the files of chunks that did not come back, in the chunks' order (with
    one worker, the first of them is the file that stopped it)."""
    failed: list[int] = []
    with ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)),
        mp_context=_context(settle),
        initializer=_init_worker,
        initargs=setup,
    ) as pool:
        pending: dict[Future[list[FileResult]], int] = {}
        for i, chunk in enumerate(chunks):
            try:
                pending[pool.submit(_process_chunk, chunk)] = i
            except BrokenProcessPool:  # a worker died while the chunks were still being handed out
                failed.extend(range(i, len(chunks)))
                break
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                index = pending.pop(future)
                try:
                    results = future.result()
                except Exception:  # BrokenProcessPool and anything a worker could not send back
                    failed.append(index)
                    continue
                for result in results:
                    into[result.path] = result
                progress.advance(len(results))
    return [name for index in sorted(failed) for name in chunks[index]]


def _crashed(name: str) -> FileResult:
    path = Path(name)
    size, mtime = _stat(path)
    refusal = IntakeError("F005", "crashed", {}, name=display_name(path))
    return refused_result(name, size, mtime, refusal, INTERNAL_ERROR)


def refused_result(path: str, size: int, mtime: float, exc: IntakeError, code: str = "") -> FileResult:
    """An unreadable file: its refusal's code (or ``code``), one line, and the catalogue's variant and fields."""
    return FileResult(
        path,
        size,
        mtime,
        error_code=code or exc.code,
        error_message=exc.message,
        error_variant=exc.variant,
        error_fields=tuple(exc.fields.items()),
    )


def collect_dask(
    names: Sequence[str],
    setup: Setup,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    on_progress: Progress | None = None,
) -> list[FileResult]:
    """:func:`collect` on Dask (:mod:`giptemplate.merge.engines`): the results in input order."""
    from dask.distributed import as_completed  # lazy: Dask is an optional extra, loaded when asked

    client, cluster = dask_client(jobs or default_jobs(), scheduler)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})) or (jobs or default_jobs()))
        [shared] = client.scatter([setup], broadcast=True)  # last year's refs travel to each worker once
        chunks = _chunks(list(names), workers)
        futures = client.map(process_chunk_with, [shared] * len(chunks), chunks, pure=False)
        pending = {f.key: chunk for f, chunk in zip(futures, chunks, strict=True)}
        into: dict[str, FileResult] = {}
        done = 0
        failed: list[str] = []
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            chunk = pending.pop(future.key)
            try:
                results: list[FileResult] = future.result()
            except Exception:  # KilledWorker and anything a worker could not send back
                failed.extend(chunk)
                continue
            finally:
                future.release()
            for result in results:
                into[result.path] = result
            done += len(results)
            if on_progress is not None:
                on_progress(done, len(names))
        for name in failed:
            try:
                into[name] = client.submit(process_chunk_with, shared, [name], pure=False).result()[0]
            except Exception:
                into[name] = _crashed(name)
            done += 1
            if on_progress is not None:
                on_progress(done, len(names))
        return [into[n] for n in names]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
