"""The summary workbook of a merge.

The official tables are written by the template's own :class:`TemplateWriter` (same layout, formulas with the
right cached values, live checks), filled with the totals, scope 本级政府汇总 and every cell locked; then come
报送情况 (every file and roster unit), 校验问题 (every finding), 分单位明细 (one column per unit, one row per data
cell, printed under the units' names beside the labels), 分组小计 (the same per group, when the roster has groups)
and 指标. Everything a unit typed (names, file names, messages quoting cells) is written with
``write_string``, never as a formula. The two sheets that grow with the number of units stream their rows to disk
(xlsxwriter's constant-memory mode, per sheet), so ten thousand units fit in little memory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from giptemplate.errors import WriterError
from giptemplate.findings import SEVERITY_LABELS, FileStatus, finding_row
from giptemplate.format.arithmetic import Number
from giptemplate.format.layout import layout_for
from giptemplate.format.spec import SUMMARY_SCOPE, Cell, Indicator, Spec
from giptemplate.merge import INCLUDED, INCLUDED_TEXT, STATUSES, MergeResult
from giptemplate.merge.aggregate import AGGREGATE_UNIT, IndicatorValue, aggregate, cell_title, indicator_value
from giptemplate.merge.heap import collector_paused
from giptemplate.merge.lower import FINDING_HEADER, STATUS_HEADER
from giptemplate.merge.times import beijing_time
from giptemplate.workbook.textwidth import fitted_height, lines_height, row_lines, wrapped_lines
from giptemplate.workbook.writer import Fill, TemplateWriter
from giptemplate.workbook.writer import _check as writer_check

MAX_CELL_CHARS = 32767  # Excel's limit for the text of one cell
# What xlsxwriter would escape in a string: XML specials, control characters, and text that looks like its escapes.
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
TEXT_MEMO = 65536  # texts a sheet of many rows keeps made and measured (a few MiB)
STATUS_SHEET = "报送情况"
FINDINGS_SHEET = "校验问题"
DETAIL_SHEET = "分单位明细"
GROUP_SHEET = "分组小计"
INDICATOR_SHEET = "指标"
SMALL_SAMPLE = 30  # below this denominator an indicator is shown but neither coloured nor ranked (checks.md §5)
INDICATOR_NAME_WIDTH, INDICATOR_WIDTH = 28, 12
# The per-unit sheets of more units than one page holds print at this scale, across pages under repeated labels
# (fitting them to one page would make the numbers unreadable).
WIDE_PRINT_SCALE = 65
WIDE_PAGE_UNITS = 150  # column width units LibreOffice fits on a landscape A4 page at that scale (measured)
TALL_PAGE_UNITS = 102  # and on a portrait one
FIT_MIN_SCALE = 55  # the smallest scale a per-unit sheet is shrunk to so that its units fit one page width
CHART_UNITS = 30
BY_CELL_LABEL_WIDTHS = (5, 34, 30)  # 表, 项目 (row label), 栏目 (column label) of the per-unit sheets
UNIT_WIDTH = 8  # a unit's column of the per-unit sheets: seven digits, or a name in lines of four characters
MAX_COLUMNS = 16384  # columns of an Excel sheet
FINDING_WIDTHS = (26, 20, 30, 10, 8, 7, 9, 30, 84)
STATUS_WIDTHS = (6, 28, 22, 10, 9, 9, 40, 36, 6, 7, 6, 6, 22, 20)
# Colour thresholds seen in one reviewer dashboard (checks.md §5), by indicator key of the spec:
# (direction, red, yellow). Indicators not listed are shown without colours.


class _StreamingWorksheet(Worksheet):  # type: ignore[misc]
    """A worksheet in xlsxwriter's constant-memory mode inside an in-memory workbook, with a fast row writer.

    Rows go to a temporary file as soon as a later row is written, so rows must be written in order. xlsxwriter
    decides this mode per worksheet when packaging, which is what makes it usable for single sheets. (It derives
    from xlsxwriter's own worksheet: the template writer's fast cell writer assumes shared strings.) Writing a
    cell through xlsxwriter's public calls costs some microseconds of bookkeeping; a unit's row has some two
    hundred cells, so :meth:`write_cells` writes a whole row of plain cells as XML in one go (the same XML
    xlsxwriter writes for inline strings, numbers and formatted blanks).
    """

    def _initialize(self, init_data: dict[str, Any]) -> None:
        super()._initialize({**init_data, "constant_memory": True})
        self._column_names: list[str] = []
        self._styles: dict[int, str] = {}

    def style(self, fmt: Format) -> str:
        """The cell attribute that applies ``fmt`` (resolved once per format)."""
        found = self._styles.get(id(fmt))
        if found is None:
            xf = fmt._get_xf_index()
            found = self._styles[id(fmt)] = f' s="{xf}"' if xf else ""
        return found

    def write_cells(
        self,
        row: int,
        first_col: int,
        cells: Sequence[tuple[str | int | float | None, Format]],
        numbers: Sequence[int | Decimal | None] = (),
        number_styles: Sequence[str] = (),
        height: float | None = None,
    ) -> None:
        """Write ``cells`` (value, format) from ``first_col`` on, then ``numbers`` with ``number_styles`` (from
        :meth:`style`): text as text (never a formula), numbers, and None as a formatted blank. ``height`` sets
        the row's height in points."""
        contents = []
        for value, fmt in cells:
            style = self.style(fmt)
            if value is None:
                contents.append(f"{style}/>")
            elif isinstance(value, str):
                contents.append(style + self.text_content(value))
            else:
                contents.append(f"{style}><v>{value:.16G}</v></c>")
        for number, style in zip(numbers, number_styles, strict=True):
            if number is None:
                contents.append(f"{style}/>")
            elif type(number) is int:
                contents.append(f"{style}><v>{number}</v></c>")
            else:
                contents.append(f"{style}><v>{float(number):.16G}</v></c>")
        self.write_contents(row, first_col, contents, height)

    def text_content(self, value: str) -> str:
        """A text cell's XML after its reference and style: an inline string, as text (never a formula)."""
        text = value[:MAX_CELL_CHARS]
        if _NEEDS_ESCAPE.search(text):
            text = self._escape_data(self._escape_control_characters(text))
        space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'

    def write_contents(self, row: int, first_col: int, contents: Sequence[str], height: float | None) -> None:
        """Write one row of cells from ``first_col`` on, each given as its XML after ``<c r="A1"`` (its style and
        content, as :meth:`write_cells` makes them). ``height`` sets the row's height in points."""
        if not contents:
            return
        last_col = first_col + len(contents) - 1
        previous: int = self.previous_row  # type: ignore[has-type]
        if (
            row < previous
            or self.table.get(row)
            or self._check_dimensions(row, first_col)
            or self._check_dimensions(row, last_col)
        ):
            raise WriterError(f"{self.name}: row {row + 1} cannot be written (rows go in order, each in one call)")
        if row > previous:
            self._write_single_row(row)  # flush the row xlsxwriter still holds
        names = self._column_names
        while len(names) <= last_col:
            names.append(xl_col_to_name(len(names)))
        ref = str(row + 1)
        parts = [f'<row r="{ref}" ht="{height:g}" customHeight="1">' if height else f'<row r="{ref}">']
        parts += [
            f'<c r="{name}{ref}"{content}'
            for name, content in zip(names[first_col : last_col + 1], contents, strict=True)
        ]
        parts.append("</row>")
        self.fh.write("".join(parts))
        # The row is written: the next call (ours or xlsxwriter's) must not flush it again.
        self.previous_row = row + 1
        self.table.clear()


class _TextRows:
    """Rows of wrapped texts in fixed columns, for a sheet of tens of thousands of rows whose texts repeat (the
    findings: units, files, codes, and one message for many units). The texts are shared strings, each stored once
    in the workbook (an inline string repeats it in every cell: the findings of ten thousand units that copy texts
    were 77 MB of XML to write and compress, a third of that as shared strings), and each distinct text of a
    column is measured once. The memo is emptied when it grows past :data:`TEXT_MEMO`, so it stays small whatever
    the number of rows."""

    def __init__(self, sheet: _StreamingWorksheet, widths: Sequence[float]) -> None:
        self.sheet = sheet
        self.strings = sheet.str_table  # the workbook's (writes each string as text: TextWorkbook)
        self.widths = [width - 1 for width in widths]  # the text's room: a column less its padding
        self.memo: dict[tuple[int, str, str], tuple[str, int]] = {}  # (column, style, text) -> cell XML, lines

    def write(self, row: int, texts: Sequence[str], styles: Sequence[str]) -> None:
        """Write one row of ``texts`` with ``styles`` (:meth:`_StreamingWorksheet.style`) from the first column."""
        memo, lines, reused = self.memo, 1, 0
        contents = []
        for col, (text, style) in enumerate(zip(texts, styles, strict=True)):
            known = memo.get((col, style, text))
            if known is None:
                if len(memo) >= TEXT_MEMO:
                    memo.clear()
                index = self.strings._get_shared_string_index(text[:MAX_CELL_CHARS])
                content = f'{style} t="s"><v>{index}</v></c>'
                known = memo[col, style, text] = (content, wrapped_lines(text, self.widths[col]))
            else:
                reused += 1
            contents.append(known[0])
            if known[1] > lines:
                lines = known[1]
        self.strings.count += reused  # the table counts every cell that shows a string
        self.sheet.write_contents(row, 0, contents, None if lines == 1 else lines_height(lines))


def _height(texts: Sequence[tuple[str, float]]) -> float | None:
    """The height a row needs for wrapped texts in columns of the given widths (None: one line is enough)."""
    return None if row_lines(texts) == 1 else fitted_height(texts)


def _streaming(writer: TemplateWriter, name: str) -> _StreamingWorksheet:
    sheet: _StreamingWorksheet = writer.workbook.add_worksheet(name, worksheet_class=_StreamingWorksheet)
    _print_setup(sheet)
    return sheet


def _print_setup(sheet: Worksheet, *, fit_width: bool = True) -> None:
    """A4 landscape, as wide as one page (the per-unit detail is too wide for that and prints as it is)."""
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    if fit_width:
        sheet.fit_to_pages(1, 0)


def _banner(sheet: Worksheet, row: int, text: str, fmt: Format, widths: Sequence[float]) -> None:
    """A title or note across the first columns, as high as its wrapped text needs (never clipped)."""
    _check(sheet.merge_range(row, 0, row, len(widths) - 1, text, fmt), "banner")
    sheet.set_row(row, max(fitted_height([(text, sum(widths) - 2)]), 18.0))


def _check(result: Any, what: str) -> None:
    writer_check(result, what)


class _Formats:
    def __init__(self, writer: TemplateWriter, spec: Spec) -> None:
        add = writer.workbook.add_format
        places = spec.amount_decimals
        fee = "0." + "0" * places if places > 0 else "0"
        border = {"border": 1, "valign": "vcenter"}
        self.title = add({"bold": True, "font_size": 14, "valign": "vcenter"})
        self.note = add({"font_size": 10, "text_wrap": True, "valign": "top"})
        self.header = add({**border, "bold": True, "bg_color": "#D9E1F2", "text_wrap": True, "align": "center"})
        self.header_derived = add({**border, "bold": True, "bg_color": "#BDD7EE", "text_wrap": True, "align": "center"})
        self.text = add({**border})
        self.text_wrap_label = add({**border, "text_wrap": True})
        self.text_wrap_repeat = add({**border, "text_wrap": True, "font_color": "#A6A6A6"})
        self.center = add({**border, "align": "center"})
        self.total_center = add({**border, "bold": True, "bg_color": "#F2F2F2", "align": "center"})
        self.wrap = add({**border, "text_wrap": True})
        self.count = add({**border, "num_format": "0"})
        self.fee = add({**border, "num_format": fee})
        self.percent = add({**border, "num_format": "0.0%"})
        self.total_text = add({**border, "bold": True, "bg_color": "#F2F2F2"})
        self.total_count = add({**border, "bold": True, "bg_color": "#F2F2F2", "num_format": "0"})
        self.total_fee = add({**border, "bold": True, "bg_color": "#F2F2F2", "num_format": fee})
        self.total_percent = add({**border, "bold": True, "bg_color": "#F2F2F2", "num_format": "0.0%"})
        self.red = add({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.yellow = add({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
        self.severity = {
            "error": add({**border, "bg_color": "#FFC7CE", "font_color": "#9C0006"}),
            "explain": add({**border, "bg_color": "#FCE4D6"}),
            "warning": add({**border, "bg_color": "#FFEB9C"}),
            "info": add({**border}),
        }


def _number(value: Number | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _write_value(sheet: Worksheet, row: int, col: int, value: Number | None, cell: Cell, f: _Formats) -> None:
    fmt = f.count if cell.type.integral else f.fee
    number = _number(value)
    if number is None:
        _check(sheet.write_blank(row, col, None, fmt), "blank")
    else:
        _check(sheet.write_number(row, col, number, fmt), cell.key)


def write_summary(result: MergeResult, path: str | Path) -> bytes:
    # Tens of thousands of rows written amid every unit's values and findings: see heap.
    with collector_paused():
        return _write_summary(result, path)


def _write_summary(result: MergeResult, path: str | Path) -> bytes:
    spec = result.spec
    target = Path(path)
    writer = TemplateWriter(target, spec)
    values = {c.key: result.aggregate.values.get(c.key) for c in spec.input_cells}
    office = result.office.strip() or AGGREGATE_UNIT
    year = result.year if result.year is not None else spec.first_year
    fill = Fill(
        year=year,
        unit_name=office,
        scope=SUMMARY_SCOPE,
        values=values,
        instructions=_summary_instructions(result, office, year),
        instructions_title="汇总说明",
        cover_title=spec.report_title.format(unit=office, year=year) + "（汇总表）",
    )
    writer.write(fill, kind="summary")
    _lock_inputs(writer)
    _cover_line(writer, result)
    f = _Formats(writer, spec)
    _status_sheet(writer, result, f)
    _findings_sheet(writer, result, f)
    _detail_sheet(writer, result, f)
    if result.has_groups:
        _group_sheet(writer, result, f)
    _indicator_sheet(writer, result, f)
    # Pack from temporary files rather than from strings in memory: the detail sheet of ten thousand units is
    # hundreds of megabytes of XML. The zip itself still goes to the writer's buffer, so close() works as usual.
    writer.workbook.in_memory = False
    return writer.close()


def _summary_instructions(result: MergeResult, office: str, year: int) -> tuple[str, ...]:
    """The summary's cover describes the summary (the template's cover instructs a filler)."""
    spec = result.spec
    tables = "、".join(t.sheet for t in spec.tables)
    lines = [
        f"本工作簿为{office}{year}年度政府信息公开工作年度报告汇总表，由各单位报送的填报表汇总生成。",
        f"{tables}为计入汇总的各单位数据之和，已锁定；合计栏由各项重新计算，“校验”工作表为汇总数据的勾稽关系校验。",
        f"“{STATUS_SHEET}”列出每个文件和名单内每个单位的状态，“{FINDINGS_SHEET}”列出全部校验问题，"
        f"“{DETAIL_SHEET}”列出计入汇总的各单位数据，“{INDICATOR_SHEET}”列出主要指标。",
        f"“{spec.narrative_sheet}”为本级年度报告的文字部分，请汇总单位填写（未锁定，校验规则与各单位相同），"
        "然后生成年度报告：giptemplate report 汇总.xlsx -o 年度报告.docx。",
    ]
    if result.has_groups:
        lines.insert(3, f"“{GROUP_SHEET}”按名单的分组列出小计。")
    return tuple(lines)


def _lock_inputs(writer: TemplateWriter) -> None:
    # A summary is a result, not a form: the template's input formats are locked before the workbook is packed
    # (xlsxwriter resolves formats only when it closes), so the totals cannot be typed over.
    f = writer.formats
    for fmt in (f.count_input, f.fee_input, f.count_marked, f.fee_marked):
        fmt.set_locked(True)
    for fmt in (f.field_input, f.field_marked):
        fmt.set_locked(True)


def _cover_line(writer: TemplateWriter, result: MergeResult) -> None:
    spec, layout = writer.spec, writer.layout
    sheet = writer.workbook.get_worksheet_by_name(spec.cover_sheet)
    row = max(p.row for p in layout.fields.values()) + 1  # the empty row between the fields and the instructions
    counts = result.counts
    text = (
        f"{SUMMARY_SCOPE}：本表为 {len(result.included)} 个单位的汇总"
        f"（通过 {counts['通过']} 个，有错误 {sum(1 for r in result.entries if r.included and r.status == '有错误')} 个"
        f"计入）；未报送 {counts['未报送']} 个，无法读取 {counts['无法读取']} 个，"
        f"重复报送 {counts['重复报送']} 份，名单外 {counts['名单外']} 个，均不计入。详见“{STATUS_SHEET}”。"
    )
    fmt = writer.workbook.add_format({"bold": True, "text_wrap": True, "valign": "vcenter", "font_color": "#1F4E79"})
    _check(sheet.merge_range(row, 0, row, 2, text, fmt), "cover summary line")
    sheet.set_row(row, 36)


# ---------------------------------------------------------------------------------------------- 报送情况


def _status_sheet(writer: TemplateWriter, result: MergeResult, f: _Formats) -> None:
    sheet = _streaming(writer, STATUS_SHEET)
    _banner(sheet, 0, f"报送情况（{result.year or ''} 年度）", f.title, STATUS_WIDTHS[:9])
    _banner(sheet, 1, INCLUDED_TEXT, f.note, STATUS_WIDTHS[:9])
    # the counts sit in the wide name and code columns, so every status reads in full
    _check(sheet.write_string(3, 1, "状态", f.header), "h")
    _check(sheet.write_string(3, 2, "数量", f.header), "h")
    _check(sheet.write_string(3, 3, "计入汇总", f.header), "h")
    counts = result.counts
    for i, status in enumerate(STATUSES, start=4):
        _check(sheet.write_string(i, 1, status, f.text), status)
        _check(sheet.write_number(i, 2, counts[status], f.count), status)
        _check(sheet.write_string(i, 3, "是" if status in INCLUDED else "否", f.center), status)
    total_row = 4 + len(STATUSES)
    _check(
        sheet.write_string(total_row, 1, f"合计（行数），计入汇总 {len(result.included)} 个单位", f.total_text), "total"
    )
    _check(sheet.write_number(total_row, 2, len(result.entries), f.total_count), "total")
    _check(sheet.write_blank(total_row, 3, None, f.total_text), "total")
    notes = []
    if result.previous_files is not None:
        unreadable = result.previous_unreadable
        notes.append(
            f"上年度文件 {result.previous_files} 个，用于跨年度检查和上年结转核对"
            + (f"；其中 {len(unreadable)} 个无法读取：{'、'.join(unreadable[:10])}" if unreadable else "")
            + "。"
        )
    if result.skipped:
        notes.append(
            f"输入文件夹中另有 {len(result.skipped)} 个非电子表格文件未读取："
            + "、".join(p.name for p in result.skipped[:20])
            + ("等" if len(result.skipped) > 20 else "")
        )
    first = total_row + 2
    for note in notes:
        _banner(sheet, first, note, f.note, STATUS_WIDTHS[:9])
        first += 1
    header = [label for _, label in STATUS_HEADER]
    top = first + 1
    for col, text in enumerate(header):
        _check(sheet.write_string(top, col, text, f.header), text)
    for i, e in enumerate(result.entries, start=1):
        mark = (
            f.severity["error"]
            if e.status in (FileStatus.HAS_ERRORS, FileStatus.UNREADABLE, FileStatus.MISSING)
            else f.text
        )
        cells: dict[str, tuple[str | int | float | None, Format]] = {
            "index": (i, f.count),
            "unit_name": (e.unit_name, f.wrap),
            "unit_code": (e.unit_code, f.text),
            "group": (e.group, f.text),
            "status": (e.status, mark),
            "included": ("是" if e.included else "否", f.text),
            "reason": (e.reason, f.wrap),
            "file": (e.file, f.wrap),
            "errors": (e.errors, f.count),
            "explains": (e.explains, f.count),
            "warnings": (e.warnings, f.count),
            "infos": (e.infos, f.count),
            "saved_at": (beijing_time(e.saved_at) if e.saved_at else "", f.center),
            "sha256": (e.sha256, f.text),
        }
        sheet.write_cells(
            top + i,
            0,
            [cells[field] for field, _ in STATUS_HEADER],
            height=_height(
                [(e.reason, STATUS_WIDTHS[6]), (e.unit_name, STATUS_WIDTHS[1]), (e.file, STATUS_WIDTHS[7] - 1)]
            ),
        )
    last = top + len(result.entries)
    sheet.repeat_rows(top)
    sheet.autofilter(top, 0, max(last, top), len(header) - 1)
    sheet.freeze_panes(top + 1, 2)
    for col, width in enumerate(STATUS_WIDTHS):
        sheet.set_column(col, col, width)
    sheet.print_area(0, 0, max(last, top), len(header) - 2)  # the hash is for tracing, not for paper


# ---------------------------------------------------------------------------------------------- 校验问题


def _findings_sheet(writer: TemplateWriter, result: MergeResult, f: _Formats) -> None:
    sheet = _streaming(writer, FINDINGS_SHEET)
    counts = {s: 0 for s in SEVERITY_LABELS}
    for finding in result.finding_list:
        counts[finding.severity] += 1
    summary = "，".join(f"{SEVERITY_LABELS[s]} {n} 条" for s, n in counts.items())
    _banner(sheet, 0, f"校验问题（共 {len(result.finding_list)} 条：{summary}）", f.title, FINDING_WIDTHS[:7])
    _banner(
        sheet,
        1,
        f"按严重程度排序；单位为“{AGGREGATE_UNIT}”的是汇总数据本身的问题（位置指本工作簿的汇总表）。",
        f.note,
        FINDING_WIDTHS[:7],
    )
    header = [label for _, label in FINDING_HEADER]
    top = 3
    for col, text in enumerate(header):
        _check(sheet.write_string(top, col, text, f.header), text)
    rows = _TextRows(sheet, FINDING_WIDTHS)
    styles = {
        severity: [sheet.style(f.severity[severity] if k == "severity" else f.wrap) for k, _ in FINDING_HEADER]
        for severity in SEVERITY_LABELS
    }
    for i, finding in enumerate(result.finding_list, start=top + 1):
        row = finding_row(finding)
        row["title"] = row["title"] or finding.code
        rows.write(i, [row[key] for key, _ in FINDING_HEADER], styles[finding.severity])
    last = top + len(result.finding_list)
    sheet.repeat_rows(top)
    sheet.autofilter(top, 0, max(last, top), len(header) - 1)
    sheet.freeze_panes(top + 1, 0)
    for col, width in enumerate(FINDING_WIDTHS):
        sheet.set_column(col, col, width)


# ---------------------------------------------------------------------------------------------- 分单位明细


def _detail_sheet(writer: TemplateWriter, result: MergeResult, f: _Formats) -> None:
    spec = result.spec
    status_of = {e.path: e.status for e in result.entries}
    units = list(zip(result.included, result.aggregate.units, result.groups, strict=True))
    columns = [
        _Column(
            name=r.unit_name,
            values=unit.values,
            meta=(str(i + 1), r.unit_code, group, status_of.get(r.path, "")),
        )
        for i, (r, unit, group) in enumerate(units)
    ]
    _by_cell_sheet(
        writer,
        DETAIL_SHEET,
        spec,
        f"分单位明细：计入汇总的 {len(result.included)} 个单位，每列一个单位，每行一个数据单元格（深色行为合计栏，"
        "由各项重新计算）；空白表示该单位未填写或不是有效数字。各单位的文件见“报送情况”。",
        ("序号", "单位代码", "分组", "状态"),
        columns,
        f,
    )


# ---------------------------------------------------------------------------------------------- 分组小计


def _group_sheet(writer: TemplateWriter, result: MergeResult, f: _Formats) -> None:
    spec = result.spec
    order: list[str] = []
    for entry in result.roster or []:
        if entry.group and entry.group not in order:
            order.append(entry.group)
    for group in result.groups:
        if group not in order:
            order.append(group)
    columns = []
    for group in order:
        members = [u for u, g in zip(result.aggregate.units, result.groups, strict=True) if g == group]
        sub = aggregate(spec, members)
        columns.append(_Column(name=group, values=[sub.values.get(k) for k in spec.cells], meta=(str(len(members)),)))
    totals = [result.aggregate.values.get(k) for k in spec.cells]
    columns.append(_Column(name="合计", values=totals, meta=(str(len(result.included)),), total=True))
    _by_cell_sheet(
        writer,
        GROUP_SHEET,
        spec,
        "分组小计：按名单“分组”列对计入汇总的单位分别合计，每列一个分组，每行一个数据单元格。",
        ("单位数",),
        columns,
        f,
    )


# ---------------------------------------------------------------------------------------------- by cell


@dataclass(frozen=True)
class _Column:
    """One unit (or group) of a per-unit sheet: its name, its values in the spec's cell order, its facts."""

    name: str
    values: Sequence[Number | None]
    meta: tuple[str, ...]
    total: bool = False


def _by_cell_sheet(
    writer: TemplateWriter,
    name: str,
    spec: Spec,
    banner: str,
    meta: Sequence[str],
    columns: Sequence[_Column],
    f: _Formats,
) -> None:
    """A per-unit sheet as an office prints it: one column per unit under its name, one row per data cell beside
    its table, row and column labels. The label columns and the row of names repeat on every printed page, so
    no page is numbers without names; as many units as fit go across one page (a county's dozen on one page
    width, more across further pages); and the rows run down the pages, a few dozen data cells a page.

    The sheet streams: one row per data cell, written in order. Columns stop at Excel's limit; a larger set of
    units (a province's, which docs/scale.md merges as a merge of merges) continues in bands below."""
    sheet = _streaming(writer, name)
    cells = list(spec.cells.values())
    label_widths = BY_CELL_LABEL_WIDTHS
    first_col = len(label_widths)
    band = max(1, min(MAX_COLUMNS - first_col, len(columns)))
    fitted = WIDE_PAGE_UNITS * WIDE_PRINT_SCALE / FIT_MIN_SCALE
    across = max(1, int((WIDE_PAGE_UNITS - sum(label_widths)) // UNIT_WIDTH))
    if len(columns) <= (fitted - sum(label_widths)) // UNIT_WIDTH:
        sheet.fit_to_pages(1, 0)  # a county's units fit one page width: printed as large as that allows
        if sum(label_widths) + UNIT_WIDTH * len(columns) <= TALL_PAGE_UNITS:
            sheet.set_portrait()  # a few groups: more rows a page
    else:
        # more units go across further pages, under the repeated labels (the columns are equal: no manual breaks)
        sheet.set_print_scale(WIDE_PRINT_SCALE)
    _banner(sheet, 0, banner, f.note, (*label_widths, *([UNIT_WIDTH] * min(len(columns), across))))
    styles = {
        (integral, total): sheet.style(
            (f.total_count if integral else f.total_fee) if total else (f.count if integral else f.fee)
        )
        for integral in (True, False)
        for total in (True, False)
    }
    row = 1
    for start in range(0, len(columns), band):
        chunk = columns[start : start + band]
        names_height = fitted_height([(c.name, UNIT_WIDTH - 1) for c in chunk] + [("栏目", label_widths[2])])
        sheet.write_cells(
            row,
            0,
            [("表", f.header), ("项目", f.header), ("栏目", f.header), *((c.name, f.header) for c in chunk)],
            height=names_height,
        )
        if start == 0:
            sheet.repeat_rows(row)
        row += 1
        for m, label in enumerate(meta):
            texts = [c.meta[m] if m < len(c.meta) else "" for c in chunk]
            height = _height([(t, UNIT_WIDTH - 1) for t in texts])
            sheet.write_cells(
                row,
                0,
                [(None, f.text), (label, f.text), (None, f.text), *((t or None, f.wrap) for t in texts)],
                height=height,
            )
            row += 1
        previous_row_key = None
        for j, cell in enumerate(cells):
            table = spec.table(cell.table)
            column_label = f"{cell.column.group}·{cell.column.label}" if cell.column.group else cell.column.label
            # every row names its table row, so a page that begins inside one is labelled; after the first of
            # its columns the label is grey, so each table row still reads as one block
            row_label = cell.row.label
            repeat_fmt = f.text_wrap_label if cell.row.key != previous_row_key else f.text_wrap_repeat
            previous_row_key = cell.row.key
            label_fmt = f.header_derived if cell.derived else f.text_wrap_label
            height = _height([(row_label, label_widths[1] - 1), (column_label, label_widths[2] - 1)])
            sheet.write_cells(
                row,
                0,
                [
                    (table.sheet, label_fmt),
                    (row_label, label_fmt if cell.derived else repeat_fmt),
                    (column_label, label_fmt),
                ],
                [c.values[j] for c in chunk],
                [styles[cell.type.integral, c.total] for c in chunk],
                height=height,
            )
            row += 1
    sheet.repeat_columns(0, first_col - 1)
    sheet.autofilter(1, 0, 1 + len(meta) + len(cells), first_col + min(band, len(columns)) - 1)  # by table, label
    sheet.freeze_panes(2 + len(meta), first_col)
    for col, width in enumerate(label_widths):
        sheet.set_column(col, col, width)
    sheet.set_column(first_col, first_col + band - 1, UNIT_WIDTH)


# ---------------------------------------------------------------------------------------------- 指标


def _indicator_sheet(writer: TemplateWriter, result: MergeResult, f: _Formats) -> None:
    spec = result.spec
    sheet = writer.add_worksheet(INDICATOR_SHEET)
    _print_setup(sheet)
    indicators = list(spec.indicators)
    note_widths = (INDICATOR_NAME_WIDTH, 10, *([INDICATOR_WIDTH] * 6))
    _banner(
        sheet,
        0,
        f"指标：分母为 0 时显示“—”（无法计算）；分母小于 {SMALL_SAMPLE} 的比率只显示、不标色。"
        "标色阈值为审阅中常用的参考值，仅供参考。",
        f.note,
        note_widths,
    )
    for i, ind in enumerate(indicators, start=1):
        text = f"{ind.title}：{ind.formula or ' + '.join(cell_title(spec, k) for k in ind.numerator)}"
        if ind.threshold is not None:
            word = "高于" if ind.threshold.direction == "above" else "低于"
            text += f"（{word} {ind.threshold.red:.0%} 标红，{word} {ind.threshold.yellow:.0%} 标黄）"
        _banner(sheet, i, text, f.note, note_widths)
    top = len(indicators) + 2
    header: list[tuple[str, Indicator | None, str]] = [("单位名称", None, ""), ("分组", None, "")]
    for ind in indicators:
        if ind.denominator:
            header += [(f"{ind.title}·分子", ind, "num"), (f"{ind.title}·分母", ind, "den"), (ind.title, ind, "rate")]
        else:
            header.append((ind.title, ind, "num"))
    for col, (text, _, _) in enumerate(header):
        _check(sheet.write_string(top, col, text, f.header), text)
    keys = list(spec.cells)
    rows: list[tuple[str, str, dict[str, IndicatorValue]]] = []
    for unit, group in zip(result.aggregate.units, result.groups, strict=True):
        values = dict(zip(keys, unit.values, strict=True))
        rows.append((unit.name, group, {ind.key: indicator_value(ind, values) for ind in indicators}))
    # Rank by the first indicator (new applications): the chart shows the largest units.
    lead = indicators[0].key if indicators else ""
    rows.sort(key=lambda r: -(_number(r[2][lead].numerator) or 0) if lead else 0)
    total = (
        AGGREGATE_UNIT,
        "",
        {ind.key: indicator_value(ind, result.aggregate.values) for ind in indicators},
    )
    for i, (name, group, found) in enumerate([total, *rows], start=top + 1):
        is_total = i == top + 1
        _check(sheet.write_string(i, 0, name, f.total_text if is_total else f.text), "unit")
        _check(sheet.write_string(i, 1, group, f.total_text if is_total else f.text), "group")
        for col, (_, of, part) in enumerate(header[2:], start=2):
            assert of is not None
            _write_indicator(sheet, i, col, found[of.key], part, is_total, f)
    first, last = top + 2, top + 1 + len(rows)
    for col, (_, of, part) in enumerate(header[2:], start=2):
        if part != "rate" or of is None or of.threshold is None or not rows:
            continue
        direction, red, yellow = of.threshold.direction, of.threshold.red, of.threshold.yellow
        rate = xl_rowcol_to_cell(first, col, col_abs=True)
        den = xl_rowcol_to_cell(first, col - 1, col_abs=True)
        op = ">" if direction == "above" else "<"
        for fmt, bound in ((f.red, red), (f.yellow, yellow)):
            criteria = f"=AND(ISNUMBER({rate}),N({den})>={SMALL_SAMPLE},{rate}{op}{bound})"
            _check(
                sheet.conditional_format(
                    first,
                    col,
                    last,
                    col,
                    {"type": "formula", "criteria": criteria, "format": fmt, "stop_if_true": True},
                ),
                "indicator colour",
            )
    sheet.autofilter(top, 0, max(last, top), len(header) - 1)
    sheet.freeze_panes(top + 1, 1)
    sheet.set_row(top, fitted_height([(text, INDICATOR_WIDTH - 1) for text, _, _ in header]))
    sheet.repeat_rows(top)
    sheet.set_column(0, 0, INDICATOR_NAME_WIDTH)
    sheet.set_column(1, 1, 10)
    sheet.set_column(2, len(header) - 1, INDICATOR_WIDTH)
    if rows and indicators:
        _chart(writer, sheet, indicators[0], first, min(last, first + CHART_UNITS - 1), len(header) + 1, top)


def _write_indicator(
    sheet: Worksheet, row: int, col: int, value: IndicatorValue, part: str, is_total: bool, f: _Formats
) -> None:
    count_fmt = f.total_count if is_total else f.count
    if part == "rate":
        if value.rate is None:
            _check(sheet.write_string(row, col, "—", f.total_center if is_total else f.center), "rate")
        else:
            _check(sheet.write_number(row, col, value.rate, f.total_percent if is_total else f.percent), "rate")
        return
    number = _number(value.numerator if part == "num" else value.denominator)
    if number is None:
        _check(sheet.write_string(row, col, "—", f.total_center if is_total else f.center), "indicator")
    else:
        _check(sheet.write_number(row, col, number, count_fmt), "indicator")


def _chart(
    writer: TemplateWriter, sheet: Worksheet, indicator: Indicator, first: int, last: int, at_col: int, at_row: int
) -> None:
    chart = writer.workbook.add_chart({"type": "bar"})
    name = sheet.get_name()
    chart.add_series(
        {
            "name": indicator.title,
            "categories": [name, first, 0, last, 0],
            "values": [name, first, 2, last, 2],
            "fill": {"color": "#4472C4"},
        }
    )
    shown = last - first + 1
    chart.set_title({"name": f"{indicator.title}（前 {shown} 个单位）", "name_font": {"size": 11}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"reverse": True})
    chart.set_size({"width": 640, "height": max(320, 18 * shown + 80)})
    _check(sheet.insert_chart(at_row, at_col, chart), "chart")


def cover_free_row(spec: Spec) -> int:
    """The cover row the summary line goes to (kept free by the template's cover layout)."""
    return max(p.row for p in layout_for(spec).fields.values()) + 1


def values_by_key(spec: Spec, values: Sequence[Number | None]) -> Mapping[str, Number | None]:
    return dict(zip(spec.cells, values, strict=True))


__all__ = ["DETAIL_SHEET", "FINDINGS_SHEET", "GROUP_SHEET", "INDICATOR_SHEET", "STATUS_SHEET", "write_summary"]
