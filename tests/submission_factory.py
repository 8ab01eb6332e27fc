"""Build :class:`Submission` objects directly (as the reader would fill them), for testing the checks alone."""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from giptemplate.format.arithmetic import Number, arithmetic_for
from giptemplate.format.layout import layout_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import SUMMARY_SCOPE, Spec
from giptemplate.format.uscc import check_digit
from giptemplate.workbook.submission import CellValue, StoredTotal, Submission

YEAR = 2024


def unit_code(body: str = "11410100MB1234567") -> str:
    return body + check_digit(body)


def year_for(spec: Spec) -> int:
    """The report year of the factory's files: 2024, or the last year of a format that ended before it."""
    return YEAR if spec.covers_year(YEAR) else spec.last_year or spec.first_year


def good_texts(spec: Spec, year: int | None = None, seed: int = 0) -> dict[str, str]:
    """Narrative texts that pass every narrative check (long enough, 六 states the fee)."""
    year = year or year_for(spec)
    rng = random.Random(seed)
    texts = {}
    for part in spec.parts:
        words = "、".join(rng.sample(["网站", "新媒体", "公开栏", "政策解读", "培训", "考核", "清理", "保密审查"], 4))
        text = f"{part.title or part.heading}：{year}年本单位围绕{words}等方面开展工作，落实条例要求，取得了实效。"
        if part.require_any:
            text += f"本年度{part.require_any[0]}情况：未收取。"
        texts[part.key] = text
    return texts


def good_meta(spec: Spec, year: int | None = None) -> dict[str, str]:
    year = year or year_for(spec)
    return {
        "unit_name": "测试县教育体育局",
        "unit_code": unit_code(),
        "year": str(year),
        "scope": SUMMARY_SCOPE,
        "filler": "张三",
        "phone": "0371-12345678",
        "date": f"{year + 1}-01-15",
        "template_id": spec.template_id,
        "format_version": spec.format_version,
        "report_year": str(year),
        "file_id": "00000000-0000-0000-0000-000000000001",
        "kind": "template",
    }


def excel_raw(value: Number | None) -> object:
    """What calamine gives for a number cell (a float for xlsx)."""
    if value is None:
        return None
    return float(value)


def stored_totals(
    spec: Spec, values: Mapping[str, Number | None], typed: Mapping[str, StoredTotal] | None = None
) -> dict[str, StoredTotal]:
    """Totals as Excel caches them after a recalculation: SUM treats blanks as 0, and a total typed over its
    formula (``typed``) feeds the formulas above it with the typed number."""
    layout = layout_for(spec)
    arithmetic = arithmetic_for(spec)
    typed = typed or {}
    shown: dict[str, Number | None] = {c.key: values.get(c.key) for c in spec.input_cells}
    out: dict[str, StoredTotal] = {}
    for key in arithmetic.order:
        if key in typed and typed[key].has_formula is False:
            shown[key] = typed[key].shown
            continue
        total: Number = 0
        for dep in arithmetic.formula_of[key].rhs:
            total = total + (shown.get(dep) or 0)
        shown[key] = total
        out[key] = StoredTotal(key, layout.cells[key], total, True)
    out.update(typed)
    return out


def build(
    spec: Spec,
    values: Mapping[str, Number | None] | None = None,
    *,
    seed: int = 0,
    cells: Mapping[str, CellValue] | None = None,
    stored: Mapping[str, StoredTotal] | None = None,
    texts: Mapping[str, str] | None = None,
    meta: Mapping[str, str] | None = None,
    file: str = "测试县教育体育局.xlsx",
    **more: Any,
) -> Submission:
    """A submission as read from a clean, recalculated template holding ``values`` (default: a consistent fill).

    ``cells``/``stored`` replace individual entries; ``meta`` entries update the defaults (an empty string clears).
    """
    layout = layout_for(spec)
    if values is None:
        values = consistent_values(spec, random.Random(seed))
    full_meta = good_meta(spec)
    full_meta.update(meta or {})
    read_cells = {}
    for cell in spec.input_cells:
        v = values.get(cell.key)
        read_cells[cell.key] = CellValue(
            cell.key, layout.cells[cell.key], excel_raw(v), v, "ok" if v is not None else "blank"
        )
    read_cells.update(cells or {})
    totals = stored_totals(spec, values, stored)
    year_text = full_meta.get("year", "")
    return Submission(
        path=Path("/tmp") / file,
        sha256="0" * 64,
        spec=spec,
        file_format="xlsx",
        meta=full_meta,
        year=int(year_text) if year_text.isdigit() else None,
        cells=read_cells,
        stored=totals,
        texts=dict(good_texts(spec) if texts is None else texts),
        **more,
    )


def cell_value(
    spec: Spec, key: str, raw: object, value: Number | None, state: str, *norms: str, note: str = ""
) -> CellValue:
    return CellValue(key, layout_for(spec).cells[key], raw, value, state, tuple(norms), note)  # type: ignore[arg-type]


def typed_total(spec: Spec, key: str, shown: Number | None, state: str = "ok") -> StoredTotal:
    """A total whose formula was replaced by a constant (or cleared, with ``shown`` None)."""
    return StoredTotal(key, layout_for(spec).cells[key], shown, False, state)  # type: ignore[arg-type]


def with_value(values: Mapping[str, Number], key: str, value: Number) -> dict[str, Number]:
    out = dict(values)
    out[key] = value
    return out


def fee(text: str) -> Decimal:
    return Decimal(text)


def write_filled(
    path: Path,
    spec: Spec,
    values: Mapping[str, Number | None] | None = None,
    *,
    seed: int = 0,
    year: int | None = None,
    texts: Mapping[str, str] | None = None,
    **meta: str,
) -> Path:
    """A template filled as a careful unit would return it (written by our writer, so the caches are right); the
    year defaults to the factory's year for the spec (:func:`year_for`)."""
    from giptemplate.workbook.writer import write_template

    year = year if year is not None else year_for(spec)
    defaults = good_meta(spec, year)
    defaults.update(meta)
    write_template(
        path,
        year=year,
        values=consistent_values(spec, random.Random(seed)) if values is None else values,
        texts=good_texts(spec, year, seed) if texts is None else texts,
        spec=spec,
        unit_name=defaults["unit_name"],
        unit_code=defaults["unit_code"],
        scope=defaults["scope"],
        filler=defaults["filler"],
        phone=defaults["phone"],
        date=defaults["date"],
    )
    return path
