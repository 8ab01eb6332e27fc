"""Structure: sheets missing, renamed or added, tables moved, fixed labels altered, totals' formulas replaced or not
recalculated, sheet protection removed, value cells laid out otherwise than the template (S1xx)."""

from __future__ import annotations

from collections.abc import Mapping

from giptemplate.checks.common import Context, Family, cell_name, fmt, optional_text
from giptemplate.findings import make
from giptemplate.format import wording
from giptemplate.format.arithmetic import Number
from giptemplate.format.layout import CHECK_SHEET, IDENTITY_SHEET, REVIEW_SHEET
from giptemplate.workbook.submission import ValueLayout


def structure(ctx: Context) -> None:
    spec = ctx.spec
    for name in ctx.sub.missing_sheets:
        table = next((t for t in spec.tables if t.sheet == name), None)
        what = f"（{table.title}）" if table else ""
        ctx.add("S101", f"缺少工作表“{name}”{what}，其中的数据无法读取。", sheet=name)
    for original, found in ctx.sub.renamed_sheets.items():
        ctx.add("S102", f"工作表“{original}”被改名为“{found}”，已按模板标识找到。", sheet=found)
    known = {spec.cover_sheet, spec.narrative_sheet, CHECK_SHEET, IDENTITY_SHEET, REVIEW_SHEET}
    known |= {t.sheet for t in spec.tables} | set(ctx.sub.renamed_sheets.values())
    for name in ctx.sub.sheet_names:
        if name not in known:
            ctx.add("S102", f"增加了工作表“{name}”，其内容不读取。", sheet=name)
    for move in ctx.sub.moves:
        table = spec.table(move.table)
        if not move.located:
            ctx.add("S103", f"{table.sheet}的行列被插入或删除，无法定位表格，其中的数据未能读取。", sheet=move.sheet)
            continue
        shifts = []
        if move.row_offset:
            shifts.append(f"下移 {move.row_offset} 行" if move.row_offset > 0 else f"上移 {-move.row_offset} 行")
        if move.col_offset:
            shifts.append(f"右移 {move.col_offset} 列" if move.col_offset > 0 else f"左移 {-move.col_offset} 列")
        ctx.add(
            "S103",
            f"{table.sheet}的行列被插入或删除：表格整体{'、'.join(shifts) or '位置改变'}，已按表头找到并从新位置读取。",
            severity="warning",
            sheet=move.sheet,
            extra={"row_offset": move.row_offset, "col_offset": move.col_offset},
        )
    codes = {"altered": "S104", "missing": "S104", "obsolete": "S107", "typo": "S108", "variant": "S109"}
    for m in ctx.sub.label_mismatches:
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
        ctx.findings.append(
            make(
                codes[m.kind],
                message,
                sheet=m.sheet,
                cell=m.cell,
                expected=m.expected,
                actual=m.found,
                **ctx.where,
            )
        )
    for name in ctx.sub.unprotected_sheets:
        ctx.add("S110", f"工作表“{name}”的保护被取消。", sheet=name)
    for layout in ctx.sub.value_layouts:
        value_layout(ctx, layout)


def value_layout(ctx: Context, layout: ValueLayout) -> None:
    """A row whose value cells are merged, split or placed otherwise than the template's (S111, what was read from
    where), and each of its cells left unread because two values compete for it (S112)."""
    spec = ctx.spec
    table = spec.table(layout.table)
    row = next(r for r in table.rows if r.key == layout.row)
    labels = {c.key: c.column.label for c in table.cells if c.row.key == layout.row}
    seen = [f"模板为 {'、'.join(layout.template)}"]
    if layout.found is not None and layout.found != layout.template:
        seen.append(f"文件中为 {'、'.join(layout.found)}")
    if layout.headers is not None:
        seen.append(f"表头在 {'、'.join(layout.headers)}")
    read = "，".join(f"“{labels[key]}”取自 {cell}" for key, cell in layout.read_from)
    unread = "、".join(f"“{labels[key]}”" for key, *_ in layout.ambiguous)
    if read:
        how = f"已按文件的布局读取：{read}" + (f"；{unread}无法确定，未读取" if unread else "")
    elif unread:
        others = len(layout.ambiguous) < len(layout.cells)
        how = f"{unread}无法确定，未读取" + ("，其余数值从模板的位置读取" if others else "")
    else:
        how = "数值仍从模板的位置读取"
    ctx.add(
        "S111",
        f"{table.sheet}「{row.label}」行的数值单元格与模板布局不同（{'；'.join(seen)}），{how}。",
        sheet=layout.sheet,
        cell=layout.template[0].split(":")[0],
        expected="、".join(layout.template),
        actual="、".join(layout.found) if layout.found is not None else None,
        extra={"read_from": dict(layout.read_from)},
    )
    for key, cells, texts in layout.ambiguous:
        values = "、".join(f"{cell}（{text}）" for cell, text in zip(cells, texts, strict=True))
        home = layout.template[layout.cells.index(key)]
        under = [cell for cell in cells if cell in layout.hidden]
        why = f"{'、'.join(under)} 被合并单元格遮住、不显示，" if under else ""
        which = "都可能是它的数值，无法判断取哪一个" if len(cells) > 1 else "可能是它的数值"
        ctx.add(
            "S112",
            f"{cell_name(spec, key)}无法确定：{values}{which}，{why}未读取。请按模板只在 {home} 填写一个数值。",
            key=key,
            actual="、".join(texts),
            extra={"cells": list(cells)},
        )


def stored_totals(ctx: Context, shown: Mapping[str, Number | None]) -> None:
    values = ctx.trusted
    for key, total in ctx.sub.stored.items():
        if ctx.spec.cells[key].table in ctx.absent_tables:
            continue
        recomputed = values.get(key)
        name = cell_name(ctx.spec, key)
        if total.has_formula is False:
            kind = "blank" if total.shown is None and total.state == "blank" else "number"
            how = wording.typed_total_how("error" if total.state == "error" else kind, fmt(total.shown))
            tail = wording.typed_total_tail(fmt(recomputed)) if recomputed is not None else ""
            ctx.add(
                "S105",
                wording.typed_total(name, how, tail),
                key=key,
                at=total.place,
                expected=optional_text(recomputed),
                actual=optional_text(total.shown),
                diff=optional_text(total.shown - recomputed)
                if total.shown is not None and recomputed is not None
                else None,
            )
            continue
        if total.has_formula:
            # What the intact formula gives on the values as shown (a typed total upstream included).
            recomputed = shown.get(key)
        if total.shown is not None and recomputed is not None and total.shown != recomputed:
            how = "文件未重新计算" if total.has_formula else "文件未重新计算或合计被改为数值（该文件格式无法区分）"
            ctx.add(
                "S106",
                f"{name}文件中显示为 {fmt(total.shown)}，按各项重新计算为 {fmt(recomputed)}：{how}。"
                "汇总时将使用重新计算的值。",
                key=key,
                at=total.place,
                expected=fmt(recomputed),
                actual=fmt(total.shown),
                diff=fmt(total.shown - recomputed),
            )


def run(ctx: Context) -> None:
    structure(ctx)
    stored_totals(ctx, ctx.shown)


FAMILY = Family(
    "structure",
    frozenset({"S101", "S102", "S103", "S104", "S105", "S106", "S107", "S108", "S109", "S110", "S111", "S112"}),
    run,
)
