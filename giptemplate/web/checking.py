"""Background checking of the files in 收回, through the merge's own per-file pipeline.

Every file is read and checked by :func:`giptemplate.merge.collect.collect` (which calls ``process_file`` in worker
processes, exactly as ``giptemplate merge`` does); statuses come from :func:`giptemplate.merge.build_result` on
those results. A file is checked again when its size or modification time changes, so files the command line
puts into 收回 are picked up too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from giptemplate.checks.previous import PreviousRef
from giptemplate.errors import GipError
from giptemplate.files.inputs import Found, discover, find_inputs
from giptemplate.merge import MergeResult, build_result
from giptemplate.merge.collect import FileResult, collect, refused_result
from giptemplate.pipeline import INTERNAL_ERROR, internal_refusal
from giptemplate.roster import RosterEntry, read_roster
from giptemplate.web.workspace import Workspace, file_hash

logger = logging.getLogger("giptemplate.web")
BATCH = 256  # files handed to one collect() call: large enough to keep the workers busy


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def running(self) -> bool:
        return self.done < self.total


@dataclass(frozen=True)
class State:
    """What the page shows: the merge's decision on the files checked so far, or why there is none."""

    result: MergeResult | None
    roster: list[RosterEntry] | None
    roster_error: str
    progress: Progress
    version: int


class Checker:
    """Keeps one checked result per file of 收回, checking new and changed files in a background thread."""

    def __init__(self, workspace: Workspace, *, jobs: int | None = None) -> None:
        self.workspace = workspace
        self.jobs = jobs
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._results: dict[str, tuple[tuple[int, float], FileResult]] = {}
        self._hashes: dict[str, tuple[tuple[int, float], str]] = {}
        self._pending: dict[str, tuple[int, float]] = {}
        self._done_in_round = 0
        self._round_total = 0
        self._version = 0
        self._state: State | None = None
        self._listed: tuple[object, list[Found]] | None = None
        self._earlier: list[FileResult] | None = None  # last year's files as read (None: no previous year)
        self._refs: list[PreviousRef] | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="giptemplate-checker", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------------------------------ files

    def _listing(self) -> list[Found]:
        """Every file merge would account for in 收回 (:func:`discover`), again only when a folder changed."""
        folder = self.workspace.returned
        if not folder.is_dir():
            return []
        stamp = []
        for root, dirs, names in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            # The names too, not only the folder's mtime: the clock behind mtime is coarse (a few ms), so files
            # saved by two uploads within one tick left the listing stale and were never queued.
            with contextlib.suppress(OSError):
                stamp.append((root, os.stat(root).st_mtime_ns, tuple(sorted(names))))
        key = tuple(stamp)
        if self._listed is None or self._listed[0] != key:
            self._listed = (key, discover([folder.resolve()]))
        return self._listed[1]

    def scan(self) -> None:
        """Queue every file of 收回 that is new or changed since it was checked; forget files that are gone."""
        files = [f.path for f in self._listing() if not f.skip]
        with self._lock:
            present = set()
            for path in files:
                key = str(path)
                present.add(key)
                try:
                    stat = path.stat()
                except OSError:
                    continue
                stamp = (stat.st_size, stat.st_mtime)
                known = self._results.get(key)
                if (known is None or known[0] != stamp) and self._pending.get(key) != stamp:
                    if not self._pending:
                        self._done_in_round, self._round_total = 0, 0
                    self._pending[key] = stamp
                    self._round_total += 1
            for key in list(self._results):
                if key not in present:
                    del self._results[key]
                    self._version += 1
            self._wake.notify_all()

    def known_hashes(self) -> dict[str, str]:
        """SHA-256 → name of every file now in 收回 (computed once per file version)."""
        out: dict[str, str] = {}
        for path in self.workspace.returned_files():
            try:
                stat = path.stat()
            except OSError:
                continue
            stamp = (stat.st_size, stat.st_mtime)
            key = str(path)
            cached = self._hashes.get(key)
            if cached is None or cached[0] != stamp:
                cached = (stamp, file_hash(path))
                self._hashes[key] = cached
            out.setdefault(cached[1], path.name)
        return out

    def progress(self) -> Progress:
        with self._lock:
            return Progress(self._done_in_round, self._round_total)

    def wait(self, timeout: float = 600.0) -> bool:
        """Block until nothing is pending (tests and the benchmark); False on timeout."""
        with self._lock:
            return self._wake.wait_for(lambda: not self._pending and self._round_total == self._done_in_round, timeout)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._wake.notify_all()

    # ------------------------------------------------------------------------------------------ worker

    def _read_previous(self) -> None:
        """Last year's files, read once (values only), as ``merge --previous`` does before the current files."""
        folder = self.workspace.previous
        if folder is None or not folder.exists():
            return
        files, _ = find_inputs([folder.resolve()])
        if not files:
            return
        earlier = collect(files, jobs=self.jobs, check=False, explicit=[] if folder.is_dir() else files)
        with self._lock:
            self._earlier = earlier
            self._refs = [PreviousRef.of(r) for r in earlier if r.readable]
            self._version += 1

    @property
    def earlier(self) -> list[FileResult] | None:
        with self._lock:
            return self._earlier

    def _run(self) -> None:
        self._read_previous()
        while True:
            with self._lock:
                self._wake.wait_for(lambda: self._stopping or bool(self._pending))
                if self._stopping:
                    return
                batch = list(self._pending.items())[:BATCH]
                base = self._done_in_round
            paths = [Path(p) for p, _ in batch]
            progress = functools.partial(self._advance, base)
            try:
                results = collect(paths, jobs=self.jobs, previous=self._refs, on_progress=progress)
            except Exception as exc:  # the checker must go on: the files are listed as 无法读取 with the reason
                results = [
                    refused_result(str(p), 0, 0.0, internal_refusal(p, "check", exc), INTERNAL_ERROR) for p in paths
                ]
            with self._lock:
                for (key, stamp), result in zip(batch, results, strict=True):
                    self._results[key] = (stamp, result)
                    if self._pending.get(key) == stamp:
                        del self._pending[key]
                self._done_in_round = min(self._round_total, base + len(batch))
                self._version += 1
                self._wake.notify_all()

    def _advance(self, base: int, done: int, _total: int) -> None:
        with self._lock:
            self._done_in_round = min(self._round_total, base + done)

    # ------------------------------------------------------------------------------------------ state

    def state(self) -> State:
        """The merge's statuses over the checked files (built again only when a file or the roster changed)."""
        roster_path = self.workspace.roster_path
        roster_stamp = roster_path.stat().st_mtime if roster_path is not None else None
        found = self._listing()
        listed = self._listed[0] if self._listed is not None else None
        results = []
        with self._lock:
            version = self._version
            for f in found:
                # As merge does: skipped files are listed with the reason, the others as read, shown by their
                # path relative to 收回.
                if f.skip:
                    results.append(FileResult(str(f.path), 0, 0.0, shown=f.shown, skipped=f.skip))
                elif str(f.path) in self._results:
                    results.append(dataclasses.replace(self._results[str(f.path)][1], shown=f.shown))
            progress = Progress(self._done_in_round, self._round_total)
            cached = self._state
            earlier = self._earlier
        key = hash((version, listed, roster_stamp, str(roster_path)))
        if cached is not None and cached.version == key:
            return State(cached.result, cached.roster, cached.roster_error, progress, key)
        roster: list[RosterEntry] | None = None
        roster_error = ""
        if roster_path is not None:
            try:
                roster = read_roster(roster_path)
            except GipError as exc:
                roster_error = str(exc)
        result = _build(results, roster, self.workspace.office, earlier)
        state = State(result, roster, roster_error, progress, key)
        with self._lock:
            self._state = state
        return state


def _build(
    results: Sequence[FileResult],
    roster: list[RosterEntry] | None,
    office: str,
    earlier: list[FileResult] | None,
) -> MergeResult | None:
    if not results and roster is None:
        return None
    return build_result(results, roster=roster, office=office, previous=earlier)
