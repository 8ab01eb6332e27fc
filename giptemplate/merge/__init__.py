"""Merge many returned workbooks: account for every file and every roster unit, total the accepted ones.

``merge(inputs, roster=..., previous=...)`` reads and checks the files in parallel (:mod:`.collect`), decides a
status for each file and roster unit, sums the accepted submissions cell by cell (:mod:`.aggregate`), runs the
relations on the totals and returns a :class:`MergeResult` with pandas frames. :func:`write_summary` writes the
summary workbook (:mod:`.summary`) and :func:`write_long` the long frame (:mod:`.longframe`).

Which statuses contribute to the totals is fixed and stated on every output: 通过 and 有错误 (:data:`INCLUDED`).
"""

from __future__ import annotations

import dataclasses
import functools
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from giptemplate.checks.checker import fmt
from giptemplate.checks.previous import PreviousRef
from giptemplate.errors import InputError
from giptemplate.files.inputs import GENERATED_TEXT, discover, find_inputs, named_files
from giptemplate.files.paths import display_text
from giptemplate.findings import CODES, SEVERITY_LABELS, SEVERITY_ORDER, FileStatus, Finding, make
from giptemplate.format import uscc
from giptemplate.format.arithmetic import Number
from giptemplate.format.layout import layout_for
from giptemplate.format.spec import SUMMARY_SCOPE, CellType, Spec, all_specs, spec_by_id
from giptemplate.merge.aggregate import (
    AGGREGATE_UNIT,
    Aggregate,
    UnitValues,
    aggregate,
    aggregate_findings,
    cell_keys,
    cell_title,
)
from giptemplate.merge.collect import FileResult, _stat, collect
from giptemplate.merge.copies import copy_findings
from giptemplate.merge.lower import LowerSummary
from giptemplate.merge.times import beijing_time

if TYPE_CHECKING:
    import pandas as pd

    from giptemplate.roster import RosterEntry

# The file statuses (findings.FileStatus), by the names the merge has always exported.
PASSED = FileStatus.PASSED
HAS_ERRORS = FileStatus.HAS_ERRORS
UNREADABLE = FileStatus.UNREADABLE
DUPLICATE = FileStatus.DUPLICATE
OFF_ROSTER = FileStatus.OFF_ROSTER
MISSING = FileStatus.MISSING
GENERATED = FileStatus.GENERATED
SKIPPED = FileStatus.SKIPPED
STATUSES = tuple(FileStatus)
STATUS_TEXTS = frozenset(s.value for s in FileStatus)
INCLUDED = (PASSED, HAS_ERRORS)
INCLUDED_TEXT = (
    "计入汇总的状态：通过、有错误（有错误的单位仍计入，请在退回修改后重新汇总）；"
    "无法读取、重复报送（较早的文件）、名单外、未报送、已跳过的文件（本工具生成、锁文件、隐藏文件）均不计入；"
    "单位名称与单位代码不一致的文件（M412）不计入。"
    "统计口径为“本级政府汇总”的报送与本机关报送同时出现时不计入（M405，避免重复计算）；"
    "报告年度与本次汇总不同的报送不计入（M411）。"
)
UNGROUPED = "（未分组）"
NO_YEAR = "（未填写）"  # a file's report year in a message when its cover leaves it blank
LISTED_CHANGES = 10  # units M407 names of those that came or went

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class StatusEntry:
    """One row of the status table: an input file, or a roster unit that sent none."""

    status: FileStatus
    unit_name: str
    unit_code: str
    group: str = ""
    included: bool = False
    reason: str = ""
    file: str = ""
    path: str = ""
    errors: int = 0
    explains: int = 0
    warnings: int = 0
    infos: int = 0
    saved_at: str = ""
    sha256: str = ""
    roster_line: int | None = None


@dataclass
class MergeResult:
    """Everything a merge decided. Frames are built on first use (the long frame can be large)."""

    spec: Spec
    year: int | None
    office: str
    files: list[FileResult]
    entries: list[StatusEntry]
    included: list[FileResult]
    groups: list[str]  # group of each included unit (UNGROUPED when the roster has none for it)
    aggregate: Aggregate
    finding_list: list[Finding]
    roster: list[RosterEntry] | None = None
    skipped: list[Path] = field(default_factory=list)  # files inside input folders that are not spreadsheets
    previous_files: int | None = None  # last year's files given (None: no previous year asked for)
    previous_unreadable: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------------------------------ verdicts

    @property
    def counts(self) -> dict[str, int]:
        counter = Counter(e.status for e in self.entries)
        return {s: counter.get(s, 0) for s in STATUSES}

    @property
    def has_groups(self) -> bool:
        return bool(self.roster) and any(e.group for e in self.roster or [])

    @property
    def error_count(self) -> int:
        return sum(1 for f in self.finding_list if f.severity == "error")

    @property
    def exit_code(self) -> int:
        """0 merged with no 错误; 1 merged with 错误 findings or missing units; 2 nothing could be merged."""
        if not self.included:
            return 2
        if self.error_count or self.counts[MISSING]:
            return 1
        return 0

    @property
    def totals_values(self) -> dict[str, Number | None]:
        return self.aggregate.values

    def unit_values(self) -> list[UnitValues]:
        return self.aggregate.units

    # ------------------------------------------------------------------------------------------ frames

    @functools.cached_property
    def status(self) -> pd.DataFrame:
        import pandas as pd  # lazy: pandas loads only for the long table, not for a quick check

        columns = [
            "status",
            "unit_name",
            "unit_code",
            "group",
            "included",
            "reason",
            "file",
            "path",
            "errors",
            "explains",
            "warnings",
            "infos",
            "saved_at",
            "sha256",
        ]
        return pd.DataFrame([[getattr(e, c) for c in columns] for e in self.entries], columns=columns)

    @functools.cached_property
    def findings(self) -> pd.DataFrame:
        import pandas as pd  # lazy: pandas loads only for the long table, not for a quick check

        columns = [
            "unit_name",
            "unit_code",
            "file",
            "sheet",
            "cell",
            "cell_key",
            "code",
            "severity",
            "severity_label",
            "rule",
            "message",
            "expected",
            "actual",
            "diff",
        ]
        rows = [[getattr(f, c) for c in columns] for f in self.finding_list]
        return pd.DataFrame(rows, columns=columns)

    @functools.cached_property
    def totals(self) -> pd.DataFrame:
        """One row per data cell of the official tables: labels, place in the summary, total, units covered."""
        import pandas as pd  # lazy: pandas loads only for the long table, not for a quick check

        layout = layout_for(self.spec)
        rows = []
        for key, cell in self.spec.cells.items():
            units, missing = self.aggregate.cell_units(key)
            value = self.aggregate.values.get(key)
            table = self.spec.table(cell.table)
            rows.append(
                {
                    "cell_key": key,
                    "table": cell.table,
                    "table_title": table.title,
                    "row_key": cell.row.key,
                    "row_label": cell.row.label,
                    "col_key": cell.column.key,
                    "col_label": cell.column.label,
                    "col_group": cell.column.group or "",
                    "type": cell.type.key,
                    "derived": cell.derived,
                    "value": value,
                    "display": display_value(value, cell.type),
                    "units": units,
                    "missing": missing,
                    "sheet": layout.cells[key].sheet,
                    "cell": layout.cells[key].a1,
                }
            )
        frame = pd.DataFrame(rows)
        frame["value"] = frame["value"].astype(object)
        return frame

    @functools.cached_property
    def units(self) -> pd.DataFrame:
        """One row per included unit (name, code, group, file), one column per data cell key; exact values."""
        import pandas as pd  # lazy: pandas loads only for the long table, not for a quick check

        keys = cell_keys(self.spec)
        meta = [
            {"unit_name": r.unit_name, "unit_code": r.unit_code, "group": g, "file": r.name}
            for r, g in zip(self.included, self.groups, strict=True)
        ]
        values = pd.DataFrame([list(u.values) for u in self.aggregate.units], columns=list(keys), dtype=object)
        return pd.concat([pd.DataFrame(meta, columns=["unit_name", "unit_code", "group", "file"]), values], axis=1)

    @functools.cached_property
    def long(self) -> pd.DataFrame:
        """One row per data cell of every included unit, with provenance (file, hash, sheet, cell)."""
        from giptemplate.merge.longframe import long_frame  # lazy: pandas, only when the long table is asked

        return long_frame(self)


def display_value(value: Number | None, cell_type: CellType) -> str:
    """How a total reads: as the report prints it (an amount with at least its type's places, never rounded);
    blank when there is no value."""
    from giptemplate.report.model import format_value  # lazy: the report's model, not for check (it shares collect)

    return "" if value is None else format_value(value, cell_type)


# ---------------------------------------------------------------------------------------------- merging


def merge(
    inputs: Iterable[str | Path],
    *,
    roster: str | Path | Sequence[RosterEntry] | None = None,
    previous: Iterable[str | Path] | str | Path | None = None,
    jobs: int | None = None,
    on_progress: Progress | None = None,
    office: str = "",
    exclude: Iterable[str | Path] = (),
    engine: str = "local",
    scheduler: str | None = None,
) -> MergeResult:
    """Read, check and merge returned workbooks (files and folders, recursively).

    ``roster`` (a CSV/XLSX path or entries) lists the units expected; ``previous`` (files or folders) holds last
    year's returns, read first, for the cross-year checks and the aggregate carry-over (M407); ``jobs`` is the
    number of processes (default: all cores); ``exclude`` names files never to read (the outputs, when they are
    written into an input folder); ``engine`` "dask" reads on a Dask cluster (the one at ``scheduler``, else a
    LocalCluster of ``jobs`` workers) instead of a local process pool. Raises :class:`InputError` when no input
    file is found.

    Worker processes start the way Windows and macOS always do (and Linux here): a script that calls
    :func:`merge` must guard its top level with ``if __name__ == "__main__":``.
    """
    inputs = list(inputs)
    with tempfile.TemporaryDirectory(prefix="giptemplate-unzip-") as scratch:
        return _merge(inputs, Path(scratch), roster, previous, jobs, on_progress, office, exclude, engine, scheduler)


def _merge(
    inputs: list[str | Path],
    scratch: Path,
    roster: str | Path | Sequence[RosterEntry] | None,
    previous: Iterable[str | Path] | str | Path | None,
    jobs: int | None,
    on_progress: Progress | None,
    office: str,
    exclude: Iterable[str | Path],
    engine: str,
    scheduler: str | None,
) -> MergeResult:
    excluded = {Path(p).resolve() for p in exclude}
    found = [f for f in discover(inputs, unpack_into=scratch) if f.path.resolve() not in excluded]
    files = [f.path for f in found if not f.skip]
    if not files:
        raise InputError("没有找到要汇总的文件 (no input files found)")
    entries = _roster_entries(roster)
    previous_files: list[Path] = []
    previous_named: list[Path] = []
    if previous is not None:
        items = [previous] if isinstance(previous, (str, Path)) else list(previous)
        previous_files, _ = find_inputs(items)
        previous_named = named_files(items)
        if not previous_files:
            raise InputError("--previous 没有找到上年度文件 (no previous-year files found)")
    total = len(previous_files) + len(files)

    def progress(offset: int) -> Progress | None:
        if on_progress is None:
            return None
        report = on_progress
        return lambda done, _: report(offset + done, total)

    earlier: list[FileResult] | None = None
    refs: list[PreviousRef] | None = None
    if previous is not None:
        # Last year's files are read once here (in parallel) for the carry-over of the totals and to tell the
        # workers where each unit's file is; a worker reads only the one file it needs.
        earlier = collect(
            previous_files,
            jobs=jobs,
            check=False,
            on_progress=progress(0),
            explicit=previous_named,
            engine=engine,
            scheduler=scheduler,
        )
        refs = [PreviousRef.of(r) for r in earlier if r.readable]
    read = collect(
        files,
        jobs=jobs,
        previous=refs,
        on_progress=progress(len(previous_files)),
        explicit=named_files(inputs),
        engine=engine,
        scheduler=scheduler,
    )
    by_path = {r.path: r for r in read}
    results = []
    for f in found:
        if f.skip:
            size, mtime = _stat(f.path)
            results.append(FileResult(str(f.path), size, mtime, shown=f.shown, skipped=f.skip))
        else:
            results.append(dataclasses.replace(by_path[str(f.path)], shown=f.shown, origin=f.origin))
    return build_result(results, roster=entries, office=office, previous=earlier)


def _roster_entries(roster: str | Path | Sequence[RosterEntry] | None) -> list[RosterEntry] | None:
    if roster is None:
        return None
    if isinstance(roster, (str, Path)):
        from giptemplate.roster import read_roster  # lazy: the roster module writes templates too (xlsxwriter)

        return read_roster(roster)
    return list(roster)


def _saved_key(result: FileResult) -> tuple[float, float, str]:
    """Newest first: the time saved in the workbook, then the file's modification time, then the name."""
    saved = 0.0
    if result.saved_at:
        try:
            moment = datetime.fromisoformat(result.saved_at.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            saved = moment.timestamp()
        except ValueError:
            saved = 0.0
    return saved, result.mtime, result.path


def _normal_name(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


class _Roster:
    def __init__(self, entries: Sequence[RosterEntry]) -> None:
        self.entries = list(entries)
        self.by_code = {e.code: e for e in self.entries}
        names = Counter(_normal_name(e.name) for e in self.entries)
        self.by_name = {_normal_name(e.name): e for e in self.entries if names[_normal_name(e.name)] == 1}
        self._verify = uscc.verify

    def match(self, result: FileResult) -> RosterEntry | None:
        """By code; by name only when the file's code is absent or invalid (a typo must not hide a unit)."""
        if result.unit_code in self.by_code:
            return self.by_code[result.unit_code]
        if not result.unit_code or self._verify(result.unit_code) not in ("ok", "not_uscc"):
            return self.by_name.get(_normal_name(result.unit_name))
        return None

    def other_unit(self, result: FileResult, entry: RosterEntry) -> RosterEntry | None:
        """The roster unit a file names when its code is ``entry``'s: another unit's data in this unit's template."""
        named = self.by_name.get(_normal_name(result.unit_name))
        return named if named is not None and named.code != entry.code else None


def build_result(
    results: Sequence[FileResult],
    *,
    roster: Sequence[RosterEntry] | None = None,
    office: str = "",
    skipped: Sequence[Path] = (),
    previous: Sequence[FileResult] | None = None,
) -> MergeResult:
    """Decide statuses, pick the accepted submissions and total them (the part of :func:`merge` after reading).

    ``previous``: last year's files as read (values only), for the aggregate carry-over (M407).
    """
    book = _Roster(roster) if roster is not None else None
    findings: list[Finding] = []
    readable = [r for r in results if r.readable]
    matched: dict[str, RosterEntry | None] = {}
    keys: dict[str, str] = {}
    # path -> M412's variant and fields: its unit name and code disagree (not counted)
    conflicts: dict[str, tuple[str, dict[str, str]]] = {}
    for r in readable:
        entry = book.match(r) if book is not None else None
        matched[r.path] = entry
        keys[r.path] = _identity_key(r, entry)
        other = book.other_unit(r, entry) if book is not None and entry is not None else None
        if entry is not None and other is not None:
            keys[r.path] = f"file:{r.path}"
            conflicts[r.path] = (
                "roster",
                {
                    "file": _label(r),
                    "code": r.unit_code,
                    "listed": entry.name,
                    "other": other.name,
                    "other_code": other.code,
                },
            )
    if book is None:
        _unroster_conflicts(readable, keys, conflicts)
    # Files by code and by name, so that naming the others of each conflict stays linear in a large batch.
    by_path = {x.path: x for x in readable}
    position = {x.path: i for i, x in enumerate(readable)}
    same_code: dict[str, list[FileResult]] = {}
    same_name: dict[str, list[FileResult]] = {}
    if conflicts:
        for x in readable:
            if x.unit_code:
                same_code.setdefault(x.unit_code, []).append(x)
            if x.unit_name.strip():
                same_name.setdefault(_normal_name(x.unit_name), []).append(x)
    for path, (kind, fields) in conflicts.items():
        bad = by_path[path]
        near = {x.path for x in same_code.get(bad.unit_code, []) if bad.unit_code}
        near |= {x.path for x in same_name.get(_normal_name(bad.unit_name), []) if bad.unit_name.strip()}
        ranked = sorted(near - {path}, key=position.__getitem__)  # in input order, as before
        others = [by_path[p] for p in ranked if _shares_identity(by_path[p], bad)]
        findings.append(
            make(
                "M412",
                {**fields, "others": "、".join(x.name for x in others)} if others else fields,
                variant=f"{kind}+others" if others else kind,
                **_where(bad, matched),
            )
        )
    by_key: dict[str, list[FileResult]] = {}
    for r in readable:
        by_key.setdefault(keys[r.path], []).append(r)
    # Which format and year this merge is for: by majority over the newest file of each unit.
    spec, year = _merge_spec_and_year([max(group, key=_saved_key) for group in by_key.values()])
    # Why a file cannot count; decided before picking each unit's file, so that a newer file with the wrong year,
    # format or scope never knocks the unit's right one out of the totals.
    unfit: dict[str, tuple[str, str, dict[str, object]]] = {}  # path -> (code, reason, the finding's fields)
    for r in readable:
        if r.spec_id != spec.id:
            unfit[r.path] = (
                "M403",
                f"格式版本（{r.spec_id}）与本次汇总（{spec.id}）不同，不计入",
                {"file": _label(r), "format": _format_name(r.spec_id), "merge_format": _format_name(spec.id)},
            )
        elif year is not None and r.year != year:
            unfit[r.path] = (
                "M411",
                f"报告年度为 {r.year or NO_YEAR}，本次汇总为 {year} 年度，不计入",
                {"file": _label(r), "year": r.year or NO_YEAR, "merge_year": year},
            )
    # 本级政府汇总 reports count only where no 本机关 report does (M405 below); a unit's own report wins over one.
    own_scope = any(r.scope != SUMMARY_SCOPE for r in readable if r.path not in unfit)
    current: dict[str, FileResult] = {}
    superseded: dict[str, FileResult] = {}  # path -> the file that replaces it
    for group in by_key.values():
        ordered = sorted(
            group,
            key=lambda r: (r.path not in unfit, not (own_scope and r.scope == SUMMARY_SCOPE), _saved_key(r)),
            reverse=True,
        )
        chosen = ordered[0]
        current[chosen.path] = chosen
        for later in ordered[1:]:
            superseded[later.path] = chosen

    candidates = [r for r in readable if r.path in current]
    exclusions: dict[str, str] = {p: "单位名称与单位代码不一致（M412），不计入" for p in conflicts}
    for r in candidates:
        if book is not None and matched[r.path] is None:
            continue
        if r.path in unfit:
            code, exclusions[r.path], unfit_fields = unfit[r.path]
            findings.append(make(code, unfit_fields, **_where(r, matched)))
    scoped = [r for r in candidates if r.path not in exclusions and (book is None or matched[r.path] is not None)]
    summaries = [r for r in scoped if r.scope == SUMMARY_SCOPE]
    if summaries and len(summaries) < len(scoped):
        for r in summaries:
            exclusions[r.path] = "统计口径为“本级政府汇总”，与本机关报送混合，不计入（避免重复计算）"
            findings.append(
                make(
                    "M405",
                    {"file": _label(r), "scope": SUMMARY_SCOPE, "count": len(scoped) - len(summaries)},
                    **_where(r, matched),
                )
            )

    entries: list[StatusEntry] = []
    included: list[FileResult] = []
    groups: list[str] = []
    for r in results:
        shown_path = r.origin or display_text(r.path)
        if r.skipped:
            entries.append(StatusEntry(SKIPPED, "", "", reason=r.skipped, file=r.listed, path=shown_path))
            continue
        if r.generated:
            entries.append(StatusEntry(GENERATED, "", "", reason=GENERATED_TEXT, file=r.listed, path=shown_path))
            continue
        if not r.readable:
            code = r.error_code if r.error_code in CODES else "F005"
            findings.append(make(code, dict(r.error_fields), variant=r.error_variant, file=r.name))
            entries.append(
                StatusEntry(UNREADABLE, "", "", reason=r.error_message, file=r.listed, path=shown_path, errors=1)
            )
            continue
        entry = matched.get(r.path)
        counts = r.severity_counts()
        base: dict[str, Any] = {
            "unit_name": entry.name if entry else r.unit_name,
            "unit_code": entry.code if entry else r.unit_code,
            "group": entry.group if entry else "",
            "file": r.listed,
            "path": shown_path,
            "errors": counts["error"] + (1 if r.path in conflicts else 0),
            "explains": counts["explain"],
            "warnings": counts["warning"],
            "infos": counts["info"],
            "saved_at": r.saved_at,
            "sha256": r.sha256,
            "roster_line": entry.line if entry else None,
        }
        if r.path in superseded:
            chosen = superseded[r.path]
            if r.sha256 and r.sha256 == chosen.sha256:
                reason = f"与 {chosen.name} 内容完全相同，不重复计入"
                variant, fields = "same", {"file": _label(r), "chosen": chosen.name}
            elif r.path in unfit and _saved_key(r) > _saved_key(chosen):
                code, why, why_fields = unfit[r.path]
                reason = f"{why}；本单位采用 {chosen.name}"
                why = why.removesuffix("，不计入")
                variant, fields = "unfit", {"file": _label(r), "why": why, "chosen": chosen.name}
                findings.append(make(code, why_fields, **_where(r, matched)))
            elif r.scope == SUMMARY_SCOPE and chosen.scope != SUMMARY_SCOPE and _saved_key(r) > _saved_key(chosen):
                reason = f"统计口径为“{SUMMARY_SCOPE}”，本单位采用本机关口径的 {chosen.name}，不计入"
                variant, fields = "scope", {"file": _label(r), "scope": SUMMARY_SCOPE, "chosen": chosen.name}
            else:
                reason = f"已被较新的文件 {chosen.name}（保存时间 {_saved(chosen)}）替代，不计入"
                variant, fields = "older", {"file": _label(r), "chosen": chosen.name, "saved": _saved(r)}
            findings.append(make("M401", fields, variant=variant, **_where(r, matched)))
            entries.append(StatusEntry(DUPLICATE, reason=reason, **base))
            continue
        findings.extend(r.findings)
        if book is not None and entry is None:
            findings.append(
                make(
                    "M408",
                    {"file": _label(r), "code": r.unit_code} if r.unit_code else {"file": _label(r)},
                    variant="" if r.unit_code else "no_code",
                    **_where(r, matched),
                )
            )
            entries.append(StatusEntry(OFF_ROSTER, reason="不在单位名单中，不计入", **base))
            continue
        status = HAS_ERRORS if base["errors"] else PASSED
        if r.path in exclusions:
            entries.append(StatusEntry(status, included=False, reason=exclusions[r.path], **base))
            continue
        entries.append(StatusEntry(status, included=True, reason="", **base))
        included.append(r)
        groups.append((entry.group if entry else "") or UNGROUPED)
        if r.lower is not None:
            entries.extend(carried_entries(r, r.lower))
            findings.extend(carried_findings(r, r.lower))

    if book is not None:
        present = {matched[r.path].code for r in readable if r.path in current and matched.get(r.path)}  # type: ignore[union-attr]
        unreadable = [r for r in results if not r.readable]
        for e in book.entries:
            if e.code in present:
                continue
            hint = next((r.name for r in unreadable if e.code in r.name or e.name in r.name), "")
            reason = "名单内单位未报送" + (f"；可能对应无法读取的文件 {hint}" if hint else "")
            entries.append(
                StatusEntry(MISSING, e.name, e.code, group=e.group, reason=reason, errors=1, roster_line=e.line)
            )
            findings.append(
                make(
                    "M402",
                    {"unit": e.name, "code": e.code, "file": hint} if hint else {"unit": e.name, "code": e.code},
                    variant="unreadable" if hint else "",
                    unit_name=e.name,
                    unit_code=e.code,
                )
            )

    units = [UnitValues(r.unit_name or r.unit_code or r.name, r.unit_code, r.values) for r in included]
    agg = aggregate(spec, units)
    findings.extend(aggregate_findings(agg))
    findings.extend(copy_findings(spec, included))
    if previous is not None and year is not None:
        findings.extend(carry_findings(spec, year, agg, included, previous))
    entries.sort(key=_entry_order)
    findings = sorted(
        findings,
        key=lambda f: (SEVERITY_ORDER[f.severity], f.unit_name != AGGREGATE_UNIT, f.unit_name, f.file, f.code),
    )
    return MergeResult(
        spec=spec,
        year=year,
        office=office,
        files=list(results),
        entries=entries,
        included=included,
        groups=groups,
        aggregate=agg,
        finding_list=findings,
        roster=list(roster) if roster is not None else None,
        skipped=list(skipped),
        previous_files=len(previous) if previous is not None else None,
        previous_unreadable=[r.name for r in previous or [] if not r.readable],
    )


def carried_entries(r: FileResult, lower: LowerSummary) -> list[StatusEntry]:
    """A lower summary's 报送情况 rows, as rows of this one: grouped under the lower office (its own groups after
    it), the reason saying whose merge decided the status."""
    office = r.unit_name or r.name
    return [
        StatusEntry(
            FileStatus(e.status) if e.status in STATUS_TEXTS else FileStatus.UNREADABLE,
            e.unit_name,
            e.unit_code,
            group=f"{office}／{e.group}" if e.group else office,
            included=e.included,
            reason=f"{office}汇总：{e.reason}" if e.reason else f"{office}汇总",
            file=e.file,
            errors=e.errors,
            explains=e.explains,
            warnings=e.warnings,
            infos=e.infos,
            saved_at=e.saved_at,
            sha256=e.sha256,
        )
        for e in lower.entries
    ]


def carried_findings(r: FileResult, lower: LowerSummary) -> list[Finding]:
    """A lower summary's findings; those about its totals name the lower office instead of 汇总."""
    office = r.unit_name or r.name
    return [
        dataclasses.replace(
            f,
            unit_name=office if f.unit_name == AGGREGATE_UNIT else f.unit_name,
            file=f.file or r.name,
            extra={**f.extra, "via": r.name},
        )
        for f in lower.findings
    ]


def _identity_key(r: FileResult, entry: RosterEntry | None) -> str:
    """Which unit a file is for: its roster row, else its code, else its name, else the file itself (files whose
    code and name disagree with each other's are keyed apart afterwards: :func:`_unroster_conflicts`)."""
    if entry is not None:
        return f"code:{entry.code}"
    if r.unit_code:
        return f"code:{r.unit_code}"
    name = _normal_name(r.unit_name)
    return f"name:{name}" if name else f"file:{r.path}"


def _shares_identity(a: FileResult, b: FileResult) -> bool:
    return bool(
        (a.unit_code and a.unit_code == b.unit_code)
        or (a.unit_name.strip() and _normal_name(a.unit_name) == _normal_name(b.unit_name))
    )


def _unroster_conflicts(
    readable: Sequence[FileResult], keys: dict[str, str], conflicts: dict[str, tuple[str, dict[str, str]]]
) -> None:
    """Without a roster: files that share a unit code under different names, or a name under different codes.

    None of them may replace another as a duplicate (乙局's data in a file carrying 甲局's code must not drop 甲局's
    report), and which one is right cannot be told: each is its own unit, and all of them get M412.

    Linear in the files: each file is compared with the first file of its code that has another name and the first
    of its name that has another code (the first in input order, as the message names it).
    """
    named = [(i, r) for i, r in enumerate(readable) if r.unit_code and r.unit_name]
    # code -> the first file of each of its first two distinct names (and name -> of its first two codes)
    by_code: dict[str, list[tuple[str, int]]] = {}
    by_name: dict[str, list[tuple[str, int]]] = {}
    for i, r in named:
        for index, key, value in (
            (by_code, r.unit_code, _normal_name(r.unit_name)),
            (by_name, _normal_name(r.unit_name), r.unit_code),
        ):
            firsts = index.setdefault(key, [])
            if len(firsts) < 2 and all(seen != value for seen, _ in firsts):
                firsts.append((value, i))
    for _, r in named:
        name = _normal_name(r.unit_name)
        code_clash = next((j for value, j in by_code[r.unit_code] if value != name), None)
        name_clash = next((j for value, j in by_name[name] if value != r.unit_code), None)
        clashes = [j for j in (code_clash, name_clash) if j is not None]
        if not clashes:
            continue
        other = readable[min(clashes)]
        keys[r.path] = f"file:{r.path}"
        fields = {"file": _label(r), "other_file": other.name, "name": r.unit_name, "code": r.unit_code}
        if other.unit_code == r.unit_code:
            conflicts.setdefault(r.path, ("same_code", {**fields, "other_name": other.unit_name}))
        else:
            conflicts.setdefault(r.path, ("same_name", {**fields, "other_code": other.unit_code}))


def _unit_key(r: FileResult) -> str:
    return f"code:{r.unit_code}" if r.unit_code else f"name:{_normal_name(r.unit_name)}"


def carry_findings(
    spec: Spec, year: int, agg: Aggregate, included: Sequence[FileResult], previous: Sequence[FileResult]
) -> list[Finding]:
    """M407: the totals' 上年结转 should equal last year's totals of 结转下年度 (cross_year.carry of the spec).

    Both sides go through the shared meanings, so last year's files may be in another format (2020's 试行
    reports under a 2021 merge). Last year's totals are taken over every unit that reported last year (newest
    file per unit), so the finding names the units that came and went: the usual cause is a roster change
    without a predecessor mapping.
    """
    cross = spec.cross_year
    if cross.carry_code is None:
        return []
    layout = layout_for(spec)
    newest: dict[str, FileResult] = {}
    for r in previous:
        if r.readable and r.year == year - 1:
            key = _unit_key(r)
            if key not in newest or _saved_key(r) > _saved_key(newest[key]):
                newest[key] = r
    if not newest:
        return [
            make(
                "M407",
                {"year": year - 1},
                variant="no_previous",
                unit_name=AGGREGATE_UNIT,
            )
        ]
    last_year, last_spec = _meaning_totals(cross.carry_previous, newest.values())
    if last_spec is not None and not last_year:
        return [
            make(
                "Y592",
                {"format": _format_name(last_spec), "meaning": cross.carry_previous},
                variant="aggregate",
                unit_name=AGGREGATE_UNIT,
                extra={"meaning": cross.carry_previous},
            )
        ]
    current_keys = {_unit_key(r) for r in included}
    gone = [r.unit_name or r.name for k, r in newest.items() if k not in current_keys]
    new = [r.unit_name or r.name for r in included if _unit_key(r) not in newest]
    changes = {}  # M407's variant names the lists it carries
    if gone:
        changes["gone"] = "、".join(gone[:LISTED_CHANGES]) + (
            f" 等 {len(gone)} 个" if len(gone) > LISTED_CHANGES else ""
        )
    if new:
        changes["new"] = "、".join(new[:LISTED_CHANGES]) + (f" 等 {len(new)} 个" if len(new) > LISTED_CHANGES else "")
    findings = []
    for column, current_key in spec.meaning_cells(cross.carry_current).items():
        now, before = agg.values.get(current_key), last_year.get(column)
        if now is None or before is None or now == before:
            continue
        place = layout.cells[current_key]
        findings.append(
            make(
                "M407",
                {
                    "cell": cell_title(spec, current_key),
                    "now": fmt(now),
                    "meaning": cross.carry_previous,
                    "column": column[1] or current_key,
                    "before": fmt(before),
                    "gap": fmt(now - before if now > before else before - now),
                    "previous_units": len(newest),
                    "units": len(included),
                    **changes,
                },
                variant="both" if len(changes) == 2 else next(iter(changes), ""),
                sheet=place.sheet,
                cell=place.a1,
                cell_key=current_key,
                unit_name=AGGREGATE_UNIT,
                expected=fmt(before),
                actual=fmt(now),
                diff=fmt(now - before),
                extra={"gone": gone, "new": new},
            )
        )
    return findings


def _meaning_totals(
    meaning: str, results: Iterable[FileResult]
) -> tuple[dict[tuple[str, str], Number | None], str | None]:
    """The sums over units of a shared meaning's cells, each unit read through its own format; a column that
    any unit left blank (or whose format lacks the meaning) is None. Also the id of a format lacking it."""
    totals: dict[tuple[str, str], Number | None] = {}
    lacking = None
    for r in results:
        own = r.spec
        cells = own.meaning_cells(meaning)
        if not cells:
            lacking = own.id
            continue
        values = dict(zip(own.cells, r.values, strict=True))
        for column, key in cells.items():
            value, total = values.get(key), totals.get(column, 0)
            totals[column] = None if value is None or total is None else total + value
    return totals, lacking


def _entry_order(e: StatusEntry) -> tuple[int, int, int, list[Any]]:
    """Roster units in roster order, then the rest by status and file (numbers in names in numeric order)."""
    in_roster = e.roster_line is not None and e.status != DUPLICATE
    natural = [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", e.file)]
    return (0 if in_roster else 1, e.roster_line or 0, STATUSES.index(e.status), natural)


def _merge_spec_and_year(candidates: Sequence[FileResult]) -> tuple[Spec, int | None]:
    if not candidates:
        return all_specs()[-1], None
    spec_id = Counter(r.spec_id for r in candidates).most_common(1)[0][0]
    years = Counter(r.year for r in candidates if r.spec_id == spec_id and r.year is not None)
    year = max(years, key=lambda y: (years[y], y)) if years else None
    return spec_by_id(spec_id), year


def _format_name(spec_id: str) -> str:
    """A format as a clerk knows it: its title and document (the id when the spec is unknown here)."""
    try:
        found = spec_by_id(spec_id)
    except KeyError:
        return f"格式“{spec_id}”"
    return f"《{found.title}》（{found.document}）"


def _saved(r: FileResult) -> str:
    """A file's saved time in a message: Beijing time, as 报送情况 shows it."""
    return f"{beijing_time(r.saved_at)}（北京时间）" if r.saved_at else "未知"


def _label(r: FileResult) -> str:
    return f"{r.unit_name or '（未填单位名称）'}的文件 {r.name}"


def _where(r: FileResult, matched: Mapping[str, RosterEntry | None]) -> dict[str, Any]:
    entry = matched.get(r.path)
    return {
        "file": r.name,
        "unit_name": entry.name if entry else r.unit_name,
        "unit_code": entry.code if entry else r.unit_code,
    }


# ---------------------------------------------------------------------------------------------- outputs


def write_summary(result: MergeResult, path: str | Path) -> bytes:
    """Write the summary workbook (official tables with the totals, statuses, findings, per-unit detail,
    group subtotals and indicators); returns its bytes."""
    from giptemplate.merge.summary import write_summary as _write  # lazy: xlsxwriter, not for a quick check

    return _write(result, path)


def write_long(result: MergeResult, path: str | Path) -> None:
    """Write the long frame of the included units: Parquet (``.parquet``) or CSV (``.csv``, formula-safe)."""
    from giptemplate.merge.longframe import write_long as _write  # lazy: pandas/pyarrow, only when written

    _write(result, path)


def write_dataset(result: MergeResult, folder: str | Path, *, region: str = "") -> None:
    """Add the long frame to a Parquet dataset partitioned by year and region (this merge's office by default),
    replacing only this year's and region's partition."""
    from giptemplate.merge.longframe import write_dataset as _write  # lazy: pandas/pyarrow, only when written

    _write(result, folder, region=region or result.office or "汇总")


__all__ = [
    "DUPLICATE",
    "GENERATED",
    "HAS_ERRORS",
    "INCLUDED",
    "INCLUDED_TEXT",
    "MISSING",
    "OFF_ROSTER",
    "PASSED",
    "SEVERITY_LABELS",
    "SKIPPED",
    "STATUSES",
    "UNREADABLE",
    "FileResult",
    "MergeResult",
    "StatusEntry",
    "build_result",
    "display_value",
    "merge",
    "write_dataset",
    "write_long",
    "write_summary",
]
