"""What the pages show, computed from a merge result and the spec: rows, finding groups, grids and charts.

No checking happens here: findings, statuses and values come from the merge's per-file pipeline.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from giptemplate.findings import SEVERITY_ORDER, Finding
from giptemplate.format.spec import Indicator, Spec
from giptemplate.merge import MISSING, STATUSES, UNGROUPED, MergeResult, StatusEntry
from giptemplate.merge.aggregate import aggregate, cell_title, indicator_value
from giptemplate.merge.collect import FileResult
from giptemplate.report.model import Grid, GridCell, build_grid, format_value
from giptemplate.workbook.review import MARKED_SEVERITIES

SHOWN_STATUSES = STATUSES[:6]  # 通过 … 未报送; our own outputs are listed only when present
CHART_UNITS = 30
FOLD_OVER = 3  # more findings of one code in one table than this are shown as one row
PLACES_SHOWN = 8


def status_counts(result: MergeResult | None) -> dict[str, int]:
    if result is None:
        return {s: 0 for s in SHOWN_STATUSES}
    counts = result.counts
    return {s: n for s, n in counts.items() if s in SHOWN_STATUSES or n}


def filter_entries(entries: Iterable[StatusEntry], *, status: str, group: str, query: str) -> list[StatusEntry]:
    words = query.strip().casefold()
    out = []
    for e in entries:
        if status and e.status != status:
            continue
        if group and (e.group or UNGROUPED) != group:
            continue
        if words and not any(words in t.casefold() for t in (e.unit_name, e.unit_code, e.file)):
            continue
        out.append(e)
    return out


def groups_of(result: MergeResult | None) -> list[str]:
    if result is None:
        return []
    seen: list[str] = []
    for e in result.entries:
        g = e.group or UNGROUPED
        if g not in seen:
            seen.append(g)
    return seen if len(seen) > 1 or seen != [UNGROUPED] else []


def local_time(saved_at: str) -> str:
    """A workbook's save time (ISO, usually UTC) as the clerk's clock shows it: ``2022-01-12 20:30``."""
    try:
        moment = datetime.datetime.fromisoformat(saved_at.replace("Z", "+00:00"))
    except ValueError:
        return saved_at
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------------------------------- one unit


@dataclass(frozen=True)
class FindingView:
    severity: str
    severity_label: str
    code: str
    message: str
    place: str  # the table, row and column in words
    location: str  # sheet!cell as the file has it
    count: int = 1  # findings of one code folded into this row


@dataclass(frozen=True)
class FindingGroup:
    title: str
    findings: tuple[FindingView, ...]


def finding_place(spec: Spec, finding: Finding) -> str:
    if finding.cell_key and finding.cell_key in spec.cells:
        return cell_title(spec, finding.cell_key)
    field = finding.extra.get("field")
    for cover in spec.cover_fields:
        if cover.key == field:
            return f"{spec.cover_sheet}「{cover.label}」"
    part = finding.extra.get("part")
    for p in spec.parts:
        if p.key == part:
            return f"{spec.narrative_sheet}「{p.display_title}」"
    return finding.sheet or "整个文件"


def _group_title(spec: Spec, finding: Finding) -> str:
    if finding.cell_key and finding.cell_key in spec.cells:
        table = spec.table(spec.cells[finding.cell_key].table)
        return f"{table.sheet}　{table.title}"
    for table in spec.tables:
        if finding.sheet == table.sheet:
            return f"{table.sheet}　{table.title}"
    if finding.extra.get("field") or finding.sheet == spec.cover_sheet:
        return spec.cover_sheet
    if finding.extra.get("part") or finding.sheet == spec.narrative_sheet:
        return spec.narrative_sheet
    return "整个文件"


def finding_groups(spec: Spec, findings: Sequence[Finding]) -> list[FindingGroup]:
    """Findings grouped by the table (or cover, narrative, file) they are about, in the order of the workbook."""
    order = [spec.cover_sheet, *(f"{t.sheet}　{t.title}" for t in spec.tables), spec.narrative_sheet, "整个文件"]
    grouped: dict[str, dict[str, list[Finding]]] = {}
    for f in sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.code)):
        grouped.setdefault(_group_title(spec, f), {}).setdefault(f.code, []).append(f)
    titles = sorted(grouped, key=lambda t: order.index(t) if t in order else len(order))
    out = []
    for title in titles:
        rows: list[FindingView] = []
        for same in grouped[title].values():
            first = same[0]
            if len(same) <= FOLD_OVER:
                rows += [
                    FindingView(f.severity, f.severity_label, f.code, f.message, finding_place(spec, f), f.location)
                    for f in same
                ]
                continue
            # Forty cells left blank are one problem to the reader: one row naming every place.
            places = [finding_place(spec, f) for f in same]
            shown = "、".join(places[:PLACES_SHOWN]) + (f" 等 {len(places)} 处" if len(places) > PLACES_SHOWN else "")
            message = f"{first.message}（同类问题共 {len(same)} 处，单元格已在下面的表格中标黄）"
            rows.append(FindingView(first.severity, first.severity_label, first.code, message, shown, "", len(same)))
        out.append(FindingGroup(title, tuple(rows)))
    return out


def marked_cells(spec: Spec, findings: Iterable[Finding]) -> dict[str, list[str]]:
    """Data cells a finding names, with the messages: the cells the return copy highlights too."""
    out: dict[str, list[str]] = {}
    for f in findings:
        if f.cell_key and f.cell_key in spec.cells and f.severity in MARKED_SEVERITIES:
            out.setdefault(f.cell_key, []).append(f"【{f.severity_label} {f.code}】{f.message}")
    return out


@dataclass(frozen=True)
class GridRow:
    cells: tuple[GridCell, ...]


def unit_grids(spec: Spec, result: FileResult) -> list[tuple[Grid, list[GridRow]]]:
    """表二/三/四 of one file in the official layout, with the values the merge trusts."""
    values = dict(zip(spec.cells, result.values, strict=False))
    out = []
    for table in spec.tables:
        grid = build_grid(spec, table, values)
        rows = [GridRow(tuple(c for c in grid.cells if c.row == r)) for r in range(grid.n_rows)]
        out.append((grid, rows))
    return out


@dataclass(frozen=True)
class History:
    """A unit's indicators this year and in last year's file."""

    previous_file: str
    previous_year: int | None
    rows: tuple[tuple[str, str, str], ...]  # (indicator, last year, this year)


def history(spec: Spec, current: FileResult, earlier: Sequence[FileResult] | None) -> History | None:
    """The unit's file of last year (same code, else same name), when last year's files are loaded."""
    if not earlier:
        return None
    same = [r for r in earlier if r.readable and r.spec_id == current.spec_id]
    match = [r for r in same if current.unit_code and r.unit_code == current.unit_code] or [
        r for r in same if current.unit_name and r.unit_name == current.unit_name
    ]
    if not match:
        return None
    previous = max(match, key=lambda r: (r.saved_at, r.mtime))
    keys = list(spec.cells)
    rows = []
    for ind in spec.indicators:
        before = indicator_value(ind, dict(zip(keys, previous.values, strict=False)))
        now = indicator_value(ind, dict(zip(keys, current.values, strict=False)))
        rows.append((ind.title, _shown(before.rate, ind, before.numerator), _shown(now.rate, ind, now.numerator)))
    return History(previous.name, previous.year, tuple(rows))


def entry_for(result: MergeResult, *, file: str = "", code: str = "") -> StatusEntry | None:
    """The status row a unit page shows: the file's, or the roster unit's by its code. A unit's 未报送 link stays
    valid once its file has arrived (a clerk's open tab or bookmark): it then shows the row of that file."""
    if file:
        return next((e for e in result.entries if e.file == file), None)
    if not code:
        return None
    of_unit = [e for e in result.entries if e.unit_code == code]
    return next((e for e in of_unit if e.status == MISSING), of_unit[0] if of_unit else None)


def file_result(result: MergeResult, name: str) -> FileResult | None:
    """The file a status row lists as ``name`` (its path relative to 收回)."""
    return next((r for r in result.files if r.listed == name), None)


# ---------------------------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    note: str = ""

    @property
    def top(self) -> float:
        return max((b.value for b in self.bars), default=0.0) or 1.0


def _shown(value: float | None, indicator: Indicator, number: object) -> str:
    if indicator.denominator:
        return "—" if value is None else f"{value:.1%}"
    return "—" if number is None else str(number)


@dataclass(frozen=True)
class IndicatorRow:
    title: str
    formula: str
    value: str


def indicator_rows(result: MergeResult) -> list[IndicatorRow]:
    rows = []
    for ind in result.spec.indicators:
        v = indicator_value(ind, result.aggregate.values)
        rows.append(IndicatorRow(ind.title, ind.formula, _shown(v.rate, ind, v.numerator)))
    return rows


def charts(result: MergeResult) -> list[Chart]:
    """Applications per unit (the largest units), and each rate by group."""
    spec = result.spec
    keys = list(spec.cells)
    indicators = list(spec.indicators)
    out: list[Chart] = []
    if not indicators or not result.aggregate.units:
        return out
    lead = indicators[0]
    per_unit = []
    for unit in result.aggregate.units:
        v = indicator_value(lead, unit.mapping(keys))
        number = float(v.numerator) if v.numerator is not None else 0.0
        per_unit.append(
            Bar(
                unit.name or unit.code or "（未填单位名称）",
                number,
                format_value(v.numerator, spec.cell_types["count"]),
            )
        )
    per_unit.sort(key=lambda b: -b.value)
    note = f"按数量排列的前 {CHART_UNITS} 个单位" if len(per_unit) > CHART_UNITS else ""
    out.append(Chart(f"{lead.title}（分单位）", tuple(per_unit[:CHART_UNITS]), note))
    groups: list[str] = []
    for g in result.groups:
        if g not in groups:
            groups.append(g)
    for ind in indicators[1:]:
        if not ind.denominator:
            continue
        bars = []
        for g in groups:
            members = [u for u, ug in zip(result.aggregate.units, result.groups, strict=True) if ug == g]
            v = indicator_value(ind, aggregate(spec, members).values)
            bars.append(Bar(g, v.rate or 0.0, _shown(v.rate, ind, v.numerator)))
        v = indicator_value(ind, result.aggregate.values)
        bars.append(Bar("合计", v.rate or 0.0, _shown(v.rate, ind, v.numerator)))
        out.append(Chart(f"{ind.title}（分组）", tuple(bars), ind.formula))
    return out
