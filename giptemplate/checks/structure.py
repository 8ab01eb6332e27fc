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
        if table:
            ctx.add("S101", {"sheet": name, "table": table.title}, variant="table", sheet=name)
        else:
            ctx.add("S101", {"sheet": name}, sheet=name)
    for original, found in ctx.sub.renamed_sheets.items():
        ctx.add("S102", {"original": original, "found": found}, variant="renamed", sheet=found)
    known = {spec.cover_sheet, spec.narrative_sheet, CHECK_SHEET, IDENTITY_SHEET, REVIEW_SHEET}
    known |= {t.sheet for t in spec.tables} | set(ctx.sub.renamed_sheets.values())
    for name in ctx.sub.sheet_names:
        if name not in known:
            ctx.add("S102", {"sheet": name}, variant="added", sheet=name)
    for move in ctx.sub.moves:
        table = spec.table(move.table)
        if not move.located:
            ctx.add("S103", {"sheet": table.sheet}, variant="lost", sheet=move.sheet)
            continue
        ctx.add(
            "S103",
            {"sheet": table.sheet, "shift": wording.table_shift(move.row_offset, move.col_offset)},
            variant="moved",
            severity="warning",
            sheet=move.sheet,
            extra={"row_offset": move.row_offset, "col_offset": move.col_offset},
        )
    codes = {"altered": "S104", "missing": "S104", "obsolete": "S107", "typo": "S108", "variant": "S109"}
    for m in ctx.sub.label_mismatches:
        fields: dict[str, object] = {"expected": m.expected, "found": m.found}
        if m.kind == "missing":
            del fields["found"]
        elif m.kind == "obsolete":
            fields |= {"other": spec.tell_tales_of, "version": spec.format_version}
        ctx.findings.append(
            make(
                codes[m.kind],
                fields,
                variant=m.kind if codes[m.kind] == "S104" else "",
                sheet=m.sheet,
                cell=m.cell,
                expected=m.expected,
                actual=m.found,
                **ctx.where,
            )
        )
    for name in ctx.sub.unprotected_sheets:
        ctx.add("S110", {"sheet": name}, sheet=name)
    for layout in ctx.sub.value_layouts:
        value_layout(ctx, layout)


def value_layout(ctx: Context, layout: ValueLayout) -> None:
    """A row whose value cells are merged, split or placed otherwise than the template's (S111, what was read from
    where), and each of its cells left unread because two values compete for it (S112)."""
    spec = ctx.spec
    table = spec.table(layout.table)
    row = next(r for r in table.rows if r.key == layout.row)
    labels = {c.key: c.column.label for c in table.cells if c.row.key == layout.row}
    ctx.add(
        "S111",
        {
            "sheet": table.sheet,
            "row": row.label,
            "seen": wording.layout_seen(layout.template, layout.found, layout.headers),
            "how": wording.layout_read(
                [(labels[key], cell) for key, cell in layout.read_from],
                [labels[key] for key, *_ in layout.ambiguous],
                others_read=len(layout.ambiguous) < len(layout.cells),
            ),
        },
        sheet=layout.sheet,
        cell=layout.template[0].split(":")[0],
        expected="、".join(layout.template),
        actual="、".join(layout.found) if layout.found is not None else None,
        extra={"read_from": dict(layout.read_from)},
    )
    for key, cells, texts in layout.ambiguous:
        under = [cell for cell in cells if cell in layout.hidden]
        ctx.add(
            "S112",
            {
                "cell": cell_name(spec, key),
                "values": wording.competing_values(cells, texts),
                "home": layout.template[layout.cells.index(key)],
                **({"hidden": wording.listing(under)} if under else {}),
            },
            variant=("hidden" if under else "") + ("" if len(cells) > 1 else "+one"),
            key=key,
            actual="、".join(texts),
            extra={"cells": list(cells), "hidden": under},
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
                {"cell": name, "how": how, "tail": tail},
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
            ctx.add(
                "S106",
                {"cell": name, "shown": fmt(total.shown), "recomputed": fmt(recomputed)},
                # a file of a format that keeps no formulas cannot tell a stale total from a typed one
                variant="" if total.has_formula else "format",
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
