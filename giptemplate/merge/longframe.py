"""The long frame of a merge: one row per data cell of every included unit, with its provenance.

Every value carries the unit, the file name and hash, and the sheet and cell it was read from, so any total can
be traced back (数据反查). Values stay exact: ``int`` counts and ``Decimal`` fees in the frame, text in Parquet
(never float), and CSV cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from giptemplate import atomic
from giptemplate.errors import InputError
from giptemplate.layout import layout_for
from giptemplate.render import neutralise

if TYPE_CHECKING:
    import pandas as pd

    from giptemplate.merge import MergeResult

COLUMNS = (
    "unit_code",
    "unit_name",
    "group",
    "year",
    "table",
    "cell_key",
    "row_key",
    "row_label",
    "col_key",
    "col_label",
    "type",
    "derived",
    "value",
    "sheet",
    "cell",
    "file",
    "sha256",
)
BATCH_UNITS = 500


def long_records(result: MergeResult) -> Iterator[dict[str, Any]]:
    spec = result.spec
    layout = layout_for(spec)
    cells = [spec.cells[k] for k in spec.cells]
    places = [layout.cells[c.key] for c in cells]
    for r, group in zip(result.included, result.groups, strict=True):
        moved = {key: (sheet, a1) for key, sheet, a1 in r.moved}
        for cell, place, value in zip(cells, places, r.values, strict=True):
            sheet, a1 = moved.get(cell.key, (place.sheet, place.a1))
            yield {
                "unit_code": r.unit_code,
                "unit_name": r.unit_name,
                "group": group,
                "year": r.year,
                "table": cell.table,
                "cell_key": cell.key,
                "row_key": cell.row.key,
                "row_label": cell.row.label,
                "col_key": cell.column.key,
                "col_label": cell.column.label,
                "type": cell.type,
                "derived": cell.derived,
                "value": value,
                "sheet": sheet,
                "cell": a1,
                "file": r.name,
                "sha256": r.sha256,
            }


def long_frame(result: MergeResult) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame.from_records(list(long_records(result)), columns=list(COLUMNS))
    frame["value"] = frame["value"].astype(object)
    return frame


def write_long(result: MergeResult, path: str | Path) -> None:
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".parquet":
        _write_parquet(result, target)
    elif suffix == ".csv":
        _write_csv(result, target)
    else:
        raise InputError(f"--long 只支持 .parquet 或 .csv：{target.name} (long output must be .parquet or .csv)")


def _text_value(value: object) -> str | None:
    return None if value is None else str(value)


def _write_csv(result: MergeResult, target: Path) -> None:
    # utf-8-sig: Excel on Chinese Windows reads a BOM-less CSV as GBK and garbles it.
    with atomic.atomic_path(target) as temporary, temporary.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for record in long_records(result):
            row = []
            for column in COLUMNS:
                value = record[column]
                if column == "value":
                    row.append("" if value is None else str(value))  # a number we computed: never a formula
                elif isinstance(value, bool):
                    row.append("1" if value else "0")
                elif value is None:
                    row.append("")
                else:
                    row.append(neutralise(str(value)))
            writer.writerow(row)


def _write_parquet(result: MergeResult, target: Path) -> None:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    schema = pa.schema(
        [(c, pa.bool_() if c == "derived" else pa.int32() if c == "year" else pa.string()) for c in COLUMNS],
        metadata={
            b"value": "exact decimal text: integer counts, 行政事业性收费 in 万元 (never a float)".encode(),
            b"giptemplate.spec": result.spec.id.encode(),
        },
    )
    with atomic.atomic_path(target) as temporary, pq.ParquetWriter(temporary, schema) as writer:
        batch: dict[str, list[Any]] = {c: [] for c in COLUMNS}
        count = 0
        for record in long_records(result):
            for c in COLUMNS:
                value = record[c]
                batch[c].append(_text_value(value) if c == "value" else value)
            count += 1
            if count >= BATCH_UNITS * len(result.spec.cells):
                writer.write_table(pa.table(batch, schema=schema))
                batch = {c: [] for c in COLUMNS}
                count = 0
        if count or not result.included:
            writer.write_table(pa.table(batch, schema=schema))
