"""The reviewer's checks: turn what the reader recorded in a :class:`Submission` into findings.

Every check is generated from the spec (relations, cells, parts, cover fields, cross-year rules, level hints);
nothing here names a label, a row or a sum. Each finding carries a stable code from :data:`findings.CODES`, a
Chinese message saying what is wrong and by how much, and the place (file, sheet, A1 cell, cell key, rule).

Relations are evaluated on the values *as filed* (a total typed over its formula counts with the typed number,
as a reviewer sees it); a relation that reads a blank, invalid or error cell is "not assessable" (``A390``),
never a silent pass, and the cause gets its own ``V2xx`` finding.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from giptemplate.checks.textclaims import claim_findings
from giptemplate.findings import SEVERITY_LABELS, SEVERITY_ORDER, Finding, Severity, make, sort_findings
from giptemplate.format import uscc, wording
from giptemplate.format.arithmetic import Number, Outcome, arithmetic_for
from giptemplate.format.layout import CHECK_SHEET, IDENTITY_SHEET, REVIEW_SHEET, Place, layout_for
from giptemplate.format.spec import Cell, Part, Relation, Section, Spec
from giptemplate.format.wording import cell_name, instance_name
from giptemplate.published.locate import located_in_document
from giptemplate.workbook.normalise import parse_value
from giptemplate.workbook.submission import CellValue, Submission

# A part with ``require_any`` that mentions none of its words (六 without the 信息处理费 statement).
REQUIRE_CODE = "N602"
# Some city notices cap 一、总体情况 at about 1,000 characters (checks.md, N603).
SECTION_LONG_CHARS = 1000
# N604: similarity above which a section counts as copied from last year (unvalidated; checks.md).
COPY_THRESHOLD = 0.8
SHINGLE_SIZE = 5
# Y503: 元 typed into the 万元 cell makes the fee ~10,000x too large; the real amount drifts too, so anything
# within a factor of two of that (or beyond) is flagged, in either direction.
FEE_JUMP_FACTOR = Decimal(5000)
# The scope value of a single agency (a department, township or street office), first choice of the cover field.
UNIT_SCOPE_INDEX = 0
MAX_LISTED_CELLS = 6
MAX_RAW_CHARS = 40

NORMALISATION_TEXT: dict[str, str] = {
    "text_number": "数字存为文本",
    "full_width": "全角数字",
    "spaces": "含空格",
    "thousands": "含千位分隔符",
    "unit_word": "带单位字",
}


# ---------------------------------------------------------------------------------------------- results


@dataclass
class RelationTally:
    """Outcomes of every relation instance of one file (or aggregate)."""

    passed: int = 0
    failed: int = 0
    not_assessable: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.not_assessable

    def line(self) -> str:
        return f"关系校验：{self.passed} 条通过，{self.failed} 条未通过，{self.not_assessable} 条无法判断"

    def count(self, outcome: Outcome, n: int = 1) -> None:
        if outcome is Outcome.PASS:
            self.passed += n
        elif outcome is Outcome.FAIL:
            self.failed += n
        else:
            self.not_assessable += n


@dataclass(frozen=True)
class FileReport:
    """The checks' result for one input file: its findings and relation counts, or why it could not be read."""

    file: str  # the file as the user named it (relative path or name)
    findings: tuple[Finding, ...]
    tally: RelationTally | None = None  # None when the file could not be read
    unit_name: str = ""
    unit_code: str = ""
    submission: Submission | None = field(default=None, compare=False, repr=False)
    skipped: str = ""  # why a file found in a folder was not read (a lock file, a second link to a file)

    @property
    def readable(self) -> bool:
        return self.tally is not None

    def counts(self) -> dict[Severity, int]:
        out: dict[Severity, int] = dict.fromkeys(SEVERITY_LABELS, 0)
        for f in self.findings:
            out[f.severity] += 1
        return out

    @property
    def status(self) -> str:
        """通过 / 有错误 / 无法读取 (checks.md §3); 已跳过 for a file found but not read, as merge lists it."""
        if self.skipped:
            return "已跳过"
        if not self.readable:
            return "无法读取"
        return "有错误" if self.counts()["error"] else "通过"

    @property
    def needs_return(self) -> bool:
        """Whether the unit must correct or explain something (错误 or 需说明)."""
        counts = self.counts()
        return self.readable and (counts["error"] > 0 or counts["explain"] > 0)

    def detail(self) -> str:
        """The verdict without the status: counts by severity and the relation summary, or why it is unreadable."""
        if self.skipped:
            return self.skipped
        if self.tally is None:
            return self.findings[0].message if self.findings else ""
        counts = self.counts()
        parts = [f"{n} 个{SEVERITY_LABELS[s]}" for s, n in counts.items() if n]
        return f"{'，'.join(parts) if parts else '无问题'}；{self.tally.line()}"

    def verdict(self) -> str:
        """One line: status, counts by severity and the relation summary (or the reason it could not be read)."""
        return f"{self.status}：{self.detail()}"


def unreadable_report(file: str, code: str, message: str) -> FileReport:
    """The report of a file refused at intake (an F0xx finding and nothing else)."""
    return FileReport(file=file, findings=(make(code, message, file=file),))


# ---------------------------------------------------------------------------------------------- naming


def fmt(value: Number | None) -> str:
    """A number as a message shows it: exact, never in exponent notation."""
    if value is None:
        return "（空）"
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    return str(value)


def _abs(value: Number) -> Number:
    return -value if value < 0 else value


def _opt(value: Number | None) -> str | None:
    return None if value is None else fmt(value)


def _raw_text(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).replace("\n", " ").strip()
    return text if len(text) <= MAX_RAW_CHARS else text[:MAX_RAW_CHARS] + "…"


# ---------------------------------------------------------------------------------------------- relations


PlaceOf = Callable[[str], Place | None]


def _list_cells(keys: Sequence[str], place_of: PlaceOf, home_sheet: str) -> str:
    shown = []
    for key in keys[:MAX_LISTED_CELLS]:
        place = place_of(key)
        if place is None:
            continue
        shown.append(place.a1 if place.sheet == home_sheet else place.display)
    text = "、".join(shown)
    if len(keys) > MAX_LISTED_CELLS:
        text += f" 等 {len(keys)} 个单元格"
    return text


def check_relations(
    spec: Spec,
    values: Mapping[str, Number | None],
    *,
    file: str = "",
    unit_name: str = "",
    unit_code: str = "",
    place: PlaceOf | None = None,
    tally: RelationTally | None = None,
    skip_tables: Iterable[str] = (),
) -> list[Finding]:
    """Findings of every relation instance of ``spec`` on ``values`` (inputs and totals alike).

    A failed instance gives its A30x finding at the instance's first lhs cell; an instance that reads a blank cell
    gives ``A390`` naming the cells. ``place`` maps a cell key to where it stands (default: the template layout);
    ``tally`` collects the outcomes. Relations of ``skip_tables`` (a table missing from the file) are counted as
    not assessable and reported once per relation.
    """
    layout = layout_for(spec)
    arithmetic = arithmetic_for(spec)
    place_of: PlaceOf = place or (lambda key: layout.cells.get(key))
    tally = tally if tally is not None else RelationTally()
    skipped = set(skip_tables)
    findings: list[Finding] = []
    where: dict[str, Any] = {"file": file, "unit_name": unit_name, "unit_code": unit_code}
    collapsed: dict[str, list[Relation]] = {}
    for relation in spec.relations:
        if relation.table in skipped:
            collapsed.setdefault(relation.key, []).append(relation)
            tally.count(Outcome.NOT_ASSESSABLE)
            continue
        evaluation = arithmetic.evaluate(relation, values, depend_on_inputs=False)
        if evaluation.outcome is Outcome.PASS:
            tally.passed += 1
            continue
        if evaluation.outcome is Outcome.FAIL:
            tally.failed += 1
        missing, lhs, rhs = evaluation.missing, evaluation.lhs, evaluation.rhs
        target = relation.lhs[0]
        at = place_of(target)
        loc: dict[str, Any] = {
            **where,
            "sheet": at.sheet if at else None,
            "cell": at.a1 if at else None,
            "cell_key": target,
            "rule": relation.rule_id,
        }
        if missing:
            tally.count(Outcome.NOT_ASSESSABLE)
            home = at.sheet if at else ""
            context = instance_name(spec, relation)
            findings.append(
                make(
                    "A390",
                    f"{context}「{relation.title}」无法判断：{_list_cells(missing, place_of, home)} "
                    "未填写或不是有效数字（见各单元格的问题）。",
                    **loc,
                    extra={"missing": list(missing), "relation": relation.key, "code_of_rule": relation.code},
                )
            )
            continue
        assert lhs is not None and rhs is not None
        diff = lhs - rhs
        message = wording.relation_failed(spec, relation, fmt(lhs), fmt(rhs), fmt(_abs(diff)))
        findings.append(
            make(
                relation.code,
                message,
                severity=relation.severity,
                expected=_opt(rhs),
                actual=_opt(lhs),
                diff=_opt(diff),
                **loc,
                extra={"relation": relation.key, "cells": list(relation.cells)},
            )
        )
    for key, relations in collapsed.items():
        first = relations[0]
        table = spec.table(first.table)
        findings.append(
            make(
                "A390",
                f"{table.sheet}未能读取，其中 {len(relations)} 处勾稽关系（{first.code}）均无法判断。",
                **where,
                sheet=table.sheet,
                rule=f"{key}[*]",
                extra={"relation": key, "instances": [r.instance for r in relations]},
            )
        )
    return findings


# ---------------------------------------------------------------------------------------------- the file check


def values_as_shown(submission: Submission) -> dict[str, Number | None]:
    """The values a reviewer sees in the recalculated workbook (see :attr:`Submission.as_filed`)."""
    return submission.as_filed


class _Checker:
    """One pass over one submission; collects findings with the file's and unit's identity."""

    def __init__(self, submission: Submission) -> None:
        self.sub = submission
        self.spec = submission.spec
        # trusted (every total recomputed) and as shown (typed totals count, as the workbook displays them)
        self.trusted = submission.values
        self.shown = submission.as_filed
        self.layout = layout_for(self.spec)
        self.findings: list[Finding] = []
        self.tally = RelationTally()
        self.where: dict[str, Any] = {
            "file": submission.file,
            "unit_name": submission.unit_name,
            "unit_code": submission.unit_code,
        }
        missing = set(submission.missing_sheets)
        lost = {m.table for m in submission.moves if not m.located}
        self.absent_tables = {t.key for t in self.spec.tables if t.sheet in missing or t.key in lost}

    # -------------------------------------------------------------------------------------- helpers

    def sheet(self, name: str) -> str:
        return self.sub.renamed_sheets.get(name, name)

    def place(self, key: str) -> Place | None:
        if key in self.sub.cells:
            return self.sub.cells[key].place
        if key in self.sub.stored:
            return self.sub.stored[key].place
        fallback = self.layout.cells.get(key)
        if fallback is None:
            return None
        return Place(self.sheet(fallback.sheet), fallback.row, fallback.col)

    def add(self, code: str, message: str, *, key: str | None = None, at: Place | None = None, **more: Any) -> None:
        if at is None and key is not None:
            at = self.place(key)
        sheet, cell = more.pop("sheet", None), more.pop("cell", None)
        if at is not None:
            sheet, cell = at.sheet, at.a1
        self.findings.append(make(code, message, sheet=sheet, cell=cell, cell_key=key, **self.where, **more))

    def field_place(self, key: str) -> Place:
        p = self.layout.fields[key]
        return Place(self.sheet(p.sheet), p.row, p.col)

    def part_place(self, key: str) -> Place:
        p = self.layout.parts[key]
        return Place(self.sheet(p.sheet), p.row, p.col)

    # -------------------------------------------------------------------------------------- structure

    def structure(self) -> None:
        spec = self.spec
        for name in self.sub.missing_sheets:
            table = next((t for t in spec.tables if t.sheet == name), None)
            what = f"（{table.title}）" if table else ""
            self.add("S101", f"缺少工作表“{name}”{what}，其中的数据无法读取。", sheet=name)
        for original, found in self.sub.renamed_sheets.items():
            self.add("S102", f"工作表“{original}”被改名为“{found}”，已按模板标识找到。", sheet=found)
        known = {spec.cover_sheet, spec.narrative_sheet, CHECK_SHEET, IDENTITY_SHEET, REVIEW_SHEET}
        known |= {t.sheet for t in spec.tables} | set(self.sub.renamed_sheets.values())
        for name in self.sub.sheet_names:
            if name not in known:
                self.add("S102", f"增加了工作表“{name}”，其内容不读取。", sheet=name)
        for move in self.sub.moves:
            table = spec.table(move.table)
            if not move.located:
                self.add(
                    "S103", f"{table.sheet}的行列被插入或删除，无法定位表格，其中的数据未能读取。", sheet=move.sheet
                )
                continue
            shifts = []
            if move.row_offset:
                shifts.append(f"下移 {move.row_offset} 行" if move.row_offset > 0 else f"上移 {-move.row_offset} 行")
            if move.col_offset:
                shifts.append(f"右移 {move.col_offset} 列" if move.col_offset > 0 else f"左移 {-move.col_offset} 列")
            self.add(
                "S103",
                f"{table.sheet}的行列被插入或删除：表格整体{'、'.join(shifts) or '位置改变'}，"
                "已按表头找到并从新位置读取。",
                severity="warning",
                sheet=move.sheet,
                extra={"row_offset": move.row_offset, "col_offset": move.col_offset},
            )
        codes = {"altered": "S104", "missing": "S104", "obsolete": "S107", "typo": "S108", "variant": "S109"}
        for m in self.sub.label_mismatches:
            if m.kind == "missing":
                message = f"固定表头“{m.expected}”被删除。"
            elif m.kind == "altered":
                message = f"固定表头被修改：应为“{m.expected}”，现为“{m.found}”。"
            elif m.kind == "obsolete":
                message = (
                    f"使用了{spec.tell_tales_of}的表头“{m.found}”（{spec.format_version} 年格式为“{m.expected}”），"
                    "请改用本格式的模板。"
                )
            elif m.kind == "typo":
                message = f"表头“{m.found}”有错字，应为“{m.expected}”，已按“{m.expected}”读取。"
            else:
                message = f"表头“{m.found}”为允许的地方写法（标准为“{m.expected}”）。"
            self.findings.append(
                make(
                    codes[m.kind],
                    message,
                    sheet=m.sheet,
                    cell=m.cell,
                    expected=m.expected,
                    actual=m.found,
                    **self.where,
                )
            )
        for name in self.sub.unprotected_sheets:
            self.add("S110", f"工作表“{name}”的保护被取消。", sheet=name)

    def stored_totals(self, shown: Mapping[str, Number | None]) -> None:
        values = self.trusted
        for key, total in self.sub.stored.items():
            if self.spec.cells[key].table in self.absent_tables:
                continue
            recomputed = values.get(key)
            name = cell_name(self.spec, key)
            if total.has_formula is False:
                kind = "blank" if total.shown is None and total.state == "blank" else "number"
                how = wording.typed_total_how("error" if total.state == "error" else kind, fmt(total.shown))
                tail = wording.typed_total_tail(fmt(recomputed)) if recomputed is not None else ""
                self.add(
                    "S105",
                    wording.typed_total(name, how, tail),
                    key=key,
                    at=total.place,
                    expected=_opt(recomputed),
                    actual=_opt(total.shown),
                    diff=_opt(total.shown - recomputed) if total.shown is not None and recomputed is not None else None,
                )
                continue
            if total.has_formula:
                # What the intact formula gives on the values as shown (a typed total upstream included).
                recomputed = shown.get(key)
            if total.shown is not None and recomputed is not None and total.shown != recomputed:
                how = "文件未重新计算" if total.has_formula else "文件未重新计算或合计被改为数值（该文件格式无法区分）"
                self.add(
                    "S106",
                    f"{name}文件中显示为 {fmt(total.shown)}，按各项重新计算为 {fmt(recomputed)}：{how}。"
                    "汇总时将使用重新计算的值。",
                    key=key,
                    at=total.place,
                    expected=fmt(recomputed),
                    actual=fmt(total.shown),
                    diff=fmt(total.shown - recomputed),
                )

    # -------------------------------------------------------------------------------------- values

    def values(self) -> None:
        spec = self.spec
        for cell in spec.input_cells:
            if cell.table in self.absent_tables:
                continue
            cv = self.sub.cells.get(cell.key)
            if cv is None:
                self.add("V203", wording.blank(cell_name(spec, cell.key)), key=cell.key)
                continue
            self.value(cell, cv)
        self.department_row()

    def value(self, cell: Cell, cv: CellValue) -> None:
        spec, key = self.spec, cell.key
        plain = cv.value
        if (
            cv.state == "ok"
            and not cv.normalisations
            and type(plain) is int
            and (0 if not cell.type.signed else -cell.type.maximum) <= plain <= cell.type.maximum
        ):
            return  # the common case, kept cheap: a whole number typed as a number
        name = cell_name(spec, key)
        at = cv.place
        raw = _raw_text(cv.raw) if cv.raw is not None else ""
        what = cell.type.what

        def shown(number: Number) -> str:
            # the typed text when it differs from the plain number (full-width digits, a unit word...)
            return wording.quoted(raw) if isinstance(cv.raw, str) and raw != fmt(number) else fmt(number)

        if cv.state == "error":
            self.add(
                "V209",
                wording.error_value(name, raw or "（错误）"),
                key=key,
                at=at,
                actual=raw,
            )
            return
        if cv.state == "blank":
            typed = wording.blank_typed(raw) if "blank_word" in cv.normalisations and raw else ""
            self.add(
                "V203",
                wording.blank(name, typed),
                key=key,
                at=at,
                actual=raw or None,
            )
            return
        number: Decimal | None
        if cv.state == "invalid":
            # the reader's own parser says what the text spells, even when it is not usable (-3, 3.5)
            spelled = cv.value if cv.value is not None else parse_value(cv.raw, cell.type).number
            number = None if spelled is None else Decimal(spelled)
            if number is None:
                self.add("V201", wording.not_number(name, raw), key=key, at=at, actual=raw)
            elif number < 0 and not cell.type.signed:
                self.add("V202", wording.negative(name, shown(number), what), key=key, at=at, actual=fmt(number))
            elif cell.type.integral and number != number.to_integral_value():
                self.add("V204", wording.not_whole(name, shown(number)), key=key, at=at, actual=fmt(number))
            elif _abs(number) > self.bound(cell):
                self.bounds(cell, number, at)
            else:
                self.add("V201", wording.not_number(name, raw, spelled=True), key=key, at=at, actual=raw)
            return
        value = cv.value
        if value is None:
            return
        number = Decimal(value)
        if number < 0 and not cell.type.signed:
            self.add("V202", wording.negative(name, shown(value), what), key=key, at=at, actual=fmt(value))
        elif cell.type.integral and number != number.to_integral_value():
            self.add("V204", wording.not_whole(name, shown(value)), key=key, at=at, actual=fmt(value))
        if not cell.type.integral and isinstance(value, Decimal):
            exponent = number.normalize().as_tuple().exponent
            places, unit = cell.type.decimals, cell.type.unit
            if isinstance(exponent, int) and -exponent > places:
                self.add(
                    "V208",
                    f"{name}为 {fmt(value)}，超过 {places} 位小数（单位为{unit}）；已按原值保存，请核对。",
                    key=key,
                    at=at,
                    actual=fmt(value),
                )
        if _abs(number) > self.bound(cell):
            self.bounds(cell, number, at)
        self.normalisations(cell, cv)

    def bound(self, cell: Cell) -> Decimal:
        return Decimal(cell.type.maximum)

    def bounds(self, cell: Cell, number: Decimal, at: Place) -> None:
        self.add(
            "V212",
            wording.beyond(cell_name(self.spec, cell.key), fmt(number), fmt(self.bound(cell))),
            key=cell.key,
            at=at,
            actual=fmt(number),
            expected=f"≤ {fmt(self.bound(cell))}",
        )

    def normalisations(self, cell: Cell, cv: CellValue) -> None:
        name, key, at = cell_name(self.spec, cell.key), cell.key, cv.place
        raw = _raw_text(cv.raw) if cv.raw is not None else ""
        value = fmt(cv.value)
        if "annotation" in cv.normalisations:
            note = f"，其中的说明“{cv.note}”" if cv.note else ""
            self.add(
                "V206",
                f"{name}填写为“{raw}”，已按 {value} 读取{note}应写入文字部分；数字单元格只填数字，请确认并说明。",
                key=key,
                at=at,
                actual=raw,
                extra={"note": cv.note},
            )
        if "unit_converted" in cv.normalisations:
            self.add(
                "V207",
                f"{name}填写为“{raw}”，已换算为 {value} {cell.type.unit}；本栏单位为{cell.type.unit}，请确认金额。",
                key=key,
                at=at,
                actual=raw,
            )
        elif "unit_matches" in cv.normalisations:
            self.add("V207", f"{name}填写为“{raw}”，已按 {value} 读取（单位相符）。", key=key, at=at, severity="info")
        implied = (
            {"text_number"} if {"annotation", "unit_converted", "unit_matches"} & set(cv.normalisations) else set()
        )
        plain = [NORMALISATION_TEXT[n] for n in cv.normalisations if n in NORMALISATION_TEXT and n not in implied]
        if plain:
            self.add(
                "V205", f"{name}填写为“{raw}”（{'、'.join(plain)}），已按 {value} 读取。", key=key, at=at, actual=raw
            )

    def department_row(self) -> None:
        spec = self.spec
        scope_field = spec.field("scope")
        if not scope_field.choices or self.sub.meta.get("scope", "").strip() != scope_field.choices[UNIT_SCOPE_INDEX]:
            return
        if spec.department_zero_row is None:
            return
        row_label = None
        for cell in spec.row_cells(spec.department_zero_row):
            value = self.trusted.get(cell.key)
            if value is None or value == 0 or cell.table in self.absent_tables:
                continue
            row_label = cell.row.label
            self.add(
                "V210",
                f"{cell_name(spec, cell.key)}为 {fmt(value)}：{row_label}只由省级和设区的市级人民政府制定，"
                f"统计口径为“{scope_field.choices[UNIT_SCOPE_INDEX]}”的单位一般应为 0，请核对是否误填了其他行的数字。",
                key=cell.key,
                actual=fmt(value),
                expected="0",
            )

    # -------------------------------------------------------------------------------------- cover

    def cover(self) -> None:
        spec, meta = self.spec, self.sub.meta
        fields = {f.key: f for f in spec.cover_fields}

        def label(key: str) -> str:
            return fields[key].label

        if not meta.get("unit_name", "").strip():
            self.add(
                "C701",
                wording.cover_blank(label("unit_name")),
                at=self.field_place("unit_name"),
                extra={"field": "unit_name"},
            )
        self.cover_year(label("year"))
        code = meta.get("unit_code", "").strip()
        verdict = uscc.verify(code)
        if verdict in ("bad_check_digit", "bad_character"):
            why = wording.CODE_WHY[verdict]
            expected = None
            if verdict == "bad_check_digit":
                expected = code.upper()[:17] + uscc.check_digit(code.upper()[:17])
            self.add(
                "C703",
                wording.bad_code(label("unit_code"), code, why),
                at=self.field_place("unit_code"),
                actual=code,
                expected=expected,
                extra={"field": "unit_code"},
            )
        scope = meta.get("scope", "").strip()
        choices = fields["scope"].choices
        if not scope or (choices and scope not in choices):
            typed = f"填写为“{_raw_text(scope)}”，" if scope else "未选择，"
            self.add(
                "C704",
                f"封面“{label('scope')}”{typed}应为{'或'.join(f'“{c}”' for c in choices)}之一（汇总时需要）。",
                at=self.field_place("scope"),
                actual=scope or None,
                extra={"field": "scope"},
            )
        for key in ("filler", "phone"):
            if key in fields and not meta.get(key, "").strip():
                self.add("C705", wording.cover_blank(label(key)), at=self.field_place(key), extra={"field": key})

    def cover_year(self, label: str) -> None:
        typed = self.sub.meta.get("year", "").strip()
        at = self.field_place("year")
        extra = {"field": "year"}
        year = self.sub.year
        if year is None:
            what = wording.year_not_a_year(_raw_text(typed)) if typed else wording.YEAR_BLANK
            self.add("C702", wording.cover_year(label, what), at=at, actual=typed or None, extra=extra)
            return
        template_year = self.sub.meta.get("report_year", "").strip()
        if template_year.isdigit() and int(template_year) != year:
            self.add(
                "C702",
                wording.cover_year(label, wording.year_not_template(str(year), template_year)),
                at=at,
                actual=str(year),
                expected=template_year,
                extra=extra,
            )
        elif not self.spec.covers_year(year):
            self.add(
                "C702",
                f"封面“{label}”为 {year}，不适用{self.spec.document}格式。",
                at=at,
                actual=str(year),
                extra=extra,
            )

    # -------------------------------------------------------------------------------------- narrative

    def narrative(self) -> None:
        spec = self.spec
        for section in spec.sections:
            if not section.parts:
                continue
            required = [p for p in section.parts if p.require_any]
            for part in required:
                self.required_words(part)
            if required:
                continue
            texts = {p.key: self.sub.texts.get(p.key, "").strip() for p in section.parts}
            whole = "\n".join(t for t in texts.values() if t)
            first = section.parts[0]
            if all(p.optional for p in section.parts):
                continue  # may be blank or "无"
            if not whole:
                self.add(
                    "N601",
                    wording.section_blank(section.heading),
                    at=self.part_place(first.key),
                    extra={"part": first.key},
                )
                continue
            if _is_blank_text(whole, spec):
                self.add(
                    "N601",
                    wording.section_blank_word(section.heading, _raw_text(whole)),
                    at=self.part_place(first.key),
                    extra={"part": first.key},
                )
                continue
            length = _text_length(whole)
            if length < spec.narrative_min_chars:
                self.add(
                    "N601",
                    wording.section_short(section.heading, str(length), str(spec.narrative_min_chars)),
                    at=self.part_place(first.key),
                    actual=str(length),
                    expected=f"≥ {spec.narrative_min_chars}",
                    extra={"part": first.key},
                )
                continue
            if len(section.parts) > 1:
                self.sub_heads(section, texts, length)

    def sub_heads(self, section: Section, texts: Mapping[str, str], length: int) -> None:
        for part in section.parts:
            text = texts[part.key]
            if not text or _is_blank_text(text, self.spec):
                self.add(
                    "N603",
                    f"“{section.heading}”缺少“{part.title}”部分的内容。",
                    at=self.part_place(part.key),
                    extra={"part": part.key},
                )
        if length > SECTION_LONG_CHARS:
            first = section.parts[0]
            self.add(
                "N603",
                f"“{section.heading}”共 {length} 个字，超过约 {SECTION_LONG_CHARS} 字的常见篇幅要求，可精简。",
                at=self.part_place(first.key),
                actual=str(length),
                extra={"part": first.key},
            )

    def required_words(self, part: Part) -> None:
        text = self.sub.texts.get(part.key, "").strip()
        if any(word in text for word in part.require_any):
            return
        what = wording.required_words_missing(part.require_any, blank=not text)
        self.add(
            REQUIRE_CODE,
            wording.required_words(part.display_title, what, part.hint),
            at=self.part_place(part.key),
            extra={"part": part.key},
        )

    # -------------------------------------------------------------------------------------- across years

    def across_years(self, previous: Submission) -> None:
        """Compare with last year's report through the shared meanings of the two formats (which may differ)."""
        spec, cross = self.spec, self.spec.cross_year
        now, before = self.trusted, previous.values
        prev_label = f"上年度（{previous.year}）" if previous.year else "上年度"
        unassessable: dict[str, list[str]] = {}

        if cross.carry_code is not None:
            current_cells = spec.meaning_cells(cross.carry_current)
            previous_cells = previous.spec.meaning_cells(cross.carry_previous)
            if not previous_cells:
                self.not_comparable(previous, prev_label, cross.carry_code, cross.carry_previous)
            for column, key in current_cells.items():
                old_key = previous_cells.get(column)
                if old_key is None:
                    continue
                a, b = now.get(key), before.get(old_key)
                if a is None or b is None:
                    unassessable.setdefault(cross.carry_code, []).append(key)
                    continue
                if a != b:
                    self.add(
                        cross.carry_code,
                        f"{cell_name(spec, key)}为 {fmt(a)}，{prev_label}报告{cell_name(previous.spec, old_key)}"
                        f"为 {fmt(b)}，相差 {fmt(_abs(a - b))}（如因重新统计或机构改革，请说明）。",
                        key=key,
                        severity=cross.carry_severity,
                        rule=f"xy_carry[{spec.cells[key].column.key}]",
                        expected=fmt(b),
                        actual=fmt(a),
                        diff=fmt(a - b),
                    )
        for rule in cross.stock:
            old_stock = list(previous.spec.meaning_cells(rule.previous).values())
            if len(old_stock) != 1:
                self.not_comparable(previous, prev_label, rule.code, rule.previous)
                continue
            stock_now, issued, repealed = now.get(rule.in_force), now.get(rule.issued), now.get(rule.repealed)
            stock_before = before.get(old_stock[0])
            if None in (stock_now, issued, repealed, stock_before):
                unassessable.setdefault(rule.code, []).append(rule.in_force)
                continue
            assert stock_now is not None and issued is not None and repealed is not None and stock_before is not None
            expected = stock_before + issued - repealed
            if stock_now != expected:
                row = spec.cells[rule.in_force].row.label
                self.add(
                    rule.code,
                    f"{cell_name(spec, rule.in_force)}为 {fmt(stock_now)}，按{prev_label}现行有效 {fmt(stock_before)} "
                    f"+ 本年制发 {fmt(issued)} − 本年废止 {fmt(repealed)} 应为 {fmt(expected)}，相差 "
                    f"{fmt(_abs(stock_now - expected))}（{row}清理、修订或联合发文可能造成差异，请核对）。",
                    key=rule.in_force,
                    severity=rule.severity,
                    rule=f"xy_stock[{rule.in_force}]",
                    expected=fmt(expected),
                    actual=fmt(stock_now),
                    diff=fmt(stock_now - expected),
                )
        self.fee_jump(previous, prev_label)
        self.same_tables(previous, prev_label)
        self.copied_text(previous, prev_label)
        for code, keys in unassessable.items():
            home = self.place(keys[0])
            listed = _list_cells(keys, self.place, home.sheet if home else "")
            self.add(
                "Y591",
                f"{code} 跨年度检查有 {len(keys)} 处无法判断：本年或{prev_label}相关单元格未填写（{listed}）。",
                key=keys[0],
                rule=code,
                extra={"cells": keys},
            )

    def not_comparable(self, previous: Submission, prev_label: str, code: str, meaning: str) -> None:
        """Y592: last year's format has nothing that means the same, so the comparison is skipped (never guessed)."""
        self.add(
            "Y592",
            f"{prev_label}报告使用《{previous.spec.title}》（{previous.spec.document}），其中没有与本年含义相同的"
            f"“{meaning}”，{code} 跨年度检查未进行。",
            sheet=None,
            rule=code,
            extra={"meaning": meaning, "previous_format": previous.spec.id},
        )

    def fee_jump(self, previous: Submission, prev_label: str) -> None:
        key = self.spec.cross_year.fee
        if key is None or key not in previous.spec.cells or previous.spec.cells[key].type != self.spec.cells[key].type:
            return
        unit = self.spec.cells[key].type.unit
        a, b = self.trusted.get(key), previous.values.get(key)
        if a is None or b is None or a <= 0 or b <= 0:
            return
        ratio = Decimal(a) / Decimal(b)
        if ratio >= FEE_JUMP_FACTOR or ratio <= 1 / FEE_JUMP_FACTOR:
            direction = "增大" if ratio > 1 else "缩小"
            factor = ratio if ratio > 1 else 1 / ratio
            self.add(
                "Y503",
                f"{cell_name(self.spec, key)}为 {fmt(a)} {unit}，{prev_label}为 {fmt(b)} {unit}，{direction}约 "
                f"{factor:,.0f} 倍：可能把“元”当作“万元”填写（或相反），请核对。",
                key=key,
                actual=fmt(a),
                expected=fmt(b),
                extra={"ratio": float(ratio)},
            )

    def same_tables(self, previous: Submission, prev_label: str) -> None:
        if previous.spec.id != self.spec.id:
            return  # tables of two formats are never "the same"
        keys = [c.key for c in self.spec.input_cells if c.key in previous.spec.cells]
        now, before = self.trusted, previous.values
        if not keys or any(now.get(k) is None or before.get(k) is None for k in keys):
            return
        if all(now[k] == before[k] for k in keys) and any(now[k] != 0 for k in keys):
            self.add(
                "Y505",
                f"表格数据与{prev_label}报告完全相同（{len(keys)} 个填报单元格），疑似照抄上年，请核对。",
                sheet=self.sheet(self.spec.tables[0].sheet),
            )

    def copied_text(self, previous: Submission, prev_label: str) -> None:
        for section in _copy_sections(self.spec):
            now = "\n".join(self.sub.texts.get(p.key, "") for p in section.parts).strip()
            before = "\n".join(previous.texts.get(p.key, "") for p in section.parts).strip()
            if (
                _text_length(now) < self.spec.narrative_min_chars
                or _text_length(before) < self.spec.narrative_min_chars
            ):
                continue
            similarity = text_similarity(now, before)
            if similarity >= COPY_THRESHOLD:
                first = section.parts[0]
                self.add(
                    "N604",
                    f"“{section.heading}”与{prev_label}报告高度相似（相似度 {similarity:.0%}），"
                    "疑似照抄上年，请按本年度情况撰写。",
                    at=self.part_place(first.key),
                    actual=f"{similarity:.2f}",
                    expected=f"< {COPY_THRESHOLD}",
                    extra={"part": first.key, "similarity": similarity},
                )


@functools.cache
def _copy_sections(spec: Spec) -> tuple[Section, ...]:
    """Sections whose text is checked for copying: the free narrative ones (一 and 五), not the required
    statements (六) that are legitimately the same every year."""
    return tuple(s for s in spec.sections if s.parts and not any(p.require_any for p in s.parts))


def _text_length(text: str) -> int:
    return len("".join(text.split()))


def _is_blank_text(text: str, spec: Spec) -> bool:
    squeezed = "".join(text.split())
    return squeezed in spec.blank_words or squeezed.rstrip("。.") in spec.blank_words


# ---------------------------------------------------------------------------------------------- similarity


def _clean(text: str) -> str:
    """Drop whitespace, punctuation, symbols and digits (years and counts change when a text is copied)."""
    return "".join(ch for ch in text if not (ch.isspace() or ch.isdigit() or unicodedata.category(ch)[0] in "PSZ"))


_SENTENCE_END = re.compile(r"[。；！？;!?\n]+")


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def text_similarity(a: str, b: str) -> float:
    """How alike two narrative texts are, 0..1: the larger of the Jaccard index over sentences and over
    character 5-gram shingles, after dropping whitespace, punctuation and digits (checks.md, N604/N605)."""
    a, b = unicodedata.normalize("NFKC", a), unicodedata.normalize("NFKC", b)
    sentences_a = {s for s in (_clean(x) for x in _SENTENCE_END.split(a)) if s}
    sentences_b = {s for s in (_clean(x) for x in _SENTENCE_END.split(b)) if s}
    clean_a, clean_b = _clean(a), _clean(b)

    def shingles(text: str) -> set[str]:
        if len(text) <= SHINGLE_SIZE:
            return {text} if text else set()
        return {text[i : i + SHINGLE_SIZE] for i in range(len(text) - SHINGLE_SIZE + 1)}

    return max(_jaccard(sentences_a, sentences_b), _jaccard(shingles(clean_a), shingles(clean_b)))


# ---------------------------------------------------------------------------------------------- entry points


def check_file(
    submission: Submission, previous: Submission | None = None, *, previous_expected: bool = False
) -> FileReport:
    """All checks of one submission, with the relation counts; ``previous`` is last year's submission of the same
    unit. ``previous_expected`` says the caller asked for previous-year checks (then a missing one gives Y590)."""
    checker = _Checker(submission)
    checker.structure()
    shown = checker.shown
    checker.stored_totals(shown)
    checker.values()
    checker.findings.extend(
        check_relations(
            submission.spec,
            shown,
            file=submission.file,
            unit_name=submission.unit_name,
            unit_code=submission.unit_code,
            place=checker.place,
            tally=checker.tally,
            skip_tables=checker.absent_tables,
        )
    )
    checker.cover()
    checker.narrative()
    checker.findings.extend(
        claim_findings(submission.spec, submission.texts, shown, places=submission.provenance, where=checker.where)
    )
    if submission.is_document:
        checker.findings[:] = located_in_document(checker.findings, submission)
    if previous is not None:
        checker.across_years(previous)
    elif previous_expected:
        checker.add(
            "Y590",
            "未找到本单位上年度的报告，上年结转、存量连续性、收费变化和文字雷同等跨年度检查未进行。",
            sheet=None,
        )
    return FileReport(
        file=submission.file,
        findings=tuple(sort_findings(checker.findings)),
        tally=checker.tally,
        unit_name=submission.unit_name,
        unit_code=submission.unit_code,
        submission=submission,
    )


def check(
    submission: Submission, previous: Submission | None = None, *, previous_expected: bool = False
) -> list[Finding]:
    """Every finding about one submission (sorted: severity, code, place)."""
    return list(check_file(submission, previous, previous_expected=previous_expected).findings)


def worst(findings: Iterable[Finding]) -> Severity | None:
    """The most severe severity among findings (None when there are none)."""
    severities: list[Severity] = [f.severity for f in findings]
    if not severities:
        return None
    return min(severities, key=lambda s: SEVERITY_ORDER[s])


__all__ = [
    "COPY_THRESHOLD",
    "FileReport",
    "RelationTally",
    "cell_name",
    "check",
    "check_file",
    "check_relations",
    "fmt",
    "instance_name",
    "text_similarity",
    "unreadable_report",
    "values_as_shown",
    "worst",
]
