"""The long frame of a merge: one row per data cell of every included unit, with its provenance.

Every value carries the unit, the file name and hash, and the sheet and cell it was read from, so any total can
be traced back (数据反查). Values stay exact: ``int`` counts and ``Decimal`` fees in the frame, text in Parquet
(never float), and CSV cells that a spreadsheet would run as a formula are neutralised.

A Parquet file also carries, in its metadata, the merge's office and its accounts: every row of its 报送情况 and
of its 校验问题, so that the level above can merge it as it merges a summary workbook
(:func:`read_long_lower`): the units a county counted, and the ones it did not (未报送 included), stay visible.
"""

from __future__ import annotations

import base64
import csv
import json
import zlib
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from giptemplate.checks.render import neutralise
from giptemplate.errors import InputError, IntakeError
from giptemplate.files import atomic
from giptemplate.files.paths import safe_component
from giptemplate.findings import CODES, DECLARED, Finding
from giptemplate.format.layout import layout_for
from giptemplate.format.spec import Spec, spec_by_id
from giptemplate.merge.aggregate import UnitValues
from giptemplate.merge.lower import LowerEntry, LowerSummary

if TYPE_CHECKING:
    import pandas as pd  # lazy: pandas loads only for the long table, not for a quick check

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
    "meaning",
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
                "meaning": spec.meaning_of.get(cell.key, ""),
                "type": cell.type.key,
                "derived": cell.derived,
                "value": value,
                "sheet": sheet,
                "cell": a1,
                "file": r.name,
                "sha256": r.sha256,
            }


def _value_note(spec: Spec) -> str:
    """What the value column holds, from the spec's cell types (units differ between format versions)."""
    amounts = "; ".join(
        f"{t.key} amounts in {t.unit}" for t in spec.cell_types.values() if not t.integral and t.key in _used(spec)
    )
    return "exact decimal text: integer counts" + (f", {amounts}" if amounts else "") + " (never a float)"


def _used(spec: Spec) -> set[str]:
    return {c.type.key for c in spec.cells.values()}


def long_frame(result: MergeResult) -> pd.DataFrame:
    import pandas as pd  # lazy: pandas loads only for the long table, not for a quick check

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


def _schema(result: MergeResult) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped]  # lazy: pyarrow only to write Parquet

    return pa.schema(
        [(c, pa.bool_() if c == "derived" else pa.int32() if c == "year" else pa.string()) for c in COLUMNS],
        metadata={
            b"value": _value_note(result.spec).encode(),
            SPEC_KEY: result.spec.id.encode(),
            OFFICE_KEY: result.office.encode(),
            ACCOUNTS_KEY: _accounts(result),
        },
    )


SPEC_KEY = b"giptemplate.spec"
_SPEC_KEYS = (SPEC_KEY, b"giptemplate.format.spec")  # the second written for a while by mistake: read both
OFFICE_KEY = b"giptemplate.office"
ACCOUNTS_KEY = b"giptemplate.accounts"  # base64 of zlib-compressed JSON: {"entries": [...], "findings": [...]}
_ENTRY_FIELDS: tuple[str, ...] = ("status", "unit_name", "unit_code", "group", "included", "reason", "file")
_ENTRY_FIELDS += ("errors", "explains", "warnings", "infos", "saved_at", "sha256")
_FINDING_FIELDS = ("code", "severity", "message", "file", "sheet", "cell", "unit_name", "unit_code")


def _accounts(result: MergeResult) -> bytes:
    """The merge's 报送情况 and findings, as the level above reads them back (compressed: a province has many)."""
    data = {
        "entries": [[getattr(e, f) for f in _ENTRY_FIELDS] for e in result.entries],
        "findings": [[getattr(f, name) for name in _FINDING_FIELDS] for f in result.finding_list],
    }
    return base64.b64encode(zlib.compress(json.dumps(data, ensure_ascii=False).encode(), 6))


def read_long_lower(path: str | Path) -> tuple[str, str, int | None, list[Any], LowerSummary]:
    """A lower level's long Parquet data: its spec id, its office, its year and its units' values (in the spec's
    cell order), and its 报送情况 and findings. Raises :class:`IntakeError` (F006) when the file is not long data
    this tool wrote."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]  # lazy: pyarrow only to read Parquet

    name = Path(path).name
    try:
        schema = pq.read_schema(path)
        metadata = schema.metadata or {}
        # A file of a dataset (write_dataset) holds no year column: its folder (year=2024) does.
        wanted = [c for c in ("unit_code", "unit_name", "year", "cell_key", "value") if c in schema.names]
        table = pq.read_table(path, columns=wanted)
    except Exception as exc:  # pyarrow's errors differ by version; the file is simply not ours
        raise IntakeError("F006", "long_unreadable", {"error": type(exc).__name__}, name=name) from None
    try:
        spec = spec_by_id(next(metadata[k] for k in _SPEC_KEYS if k in metadata).decode())
        accounts = json.loads(zlib.decompress(base64.b64decode(metadata[ACCOUNTS_KEY])))
    except (KeyError, ValueError, StopIteration, zlib.error):
        raise IntakeError("F006", "long_no_metadata", {}, name=name) from None
    office = metadata.get(OFFICE_KEY, b"").decode() or Path(path).stem
    columns = table.to_pydict()
    if "year" not in columns:
        folder = next((p for p in Path(path).parts[::-1] if p.startswith("year=")), "year=")
        year_of_folder = int(folder[5:]) if folder[5:].isdigit() else None
        columns["year"] = [year_of_folder] * table.num_rows
    for column in ("unit_code", "unit_name", "cell_key", "value"):
        if column not in columns:
            raise IntakeError("F006", "long_no_column", {"column": column}, name=name)
    keys = list(spec.cells)
    index = {k: i for i, k in enumerate(keys)}
    units: dict[tuple[str, str], list[Any]] = {}
    years = set()
    for code, unit_name, year, key, value in zip(
        columns["unit_code"], columns["unit_name"], columns["year"], columns["cell_key"], columns["value"], strict=True
    ):
        at = index.get(key)
        if at is None:
            raise IntakeError("F006", "long_unknown_cell", {"title": spec.title, "key": key}, name=name)
        values = units.setdefault((code or "", unit_name or ""), [None] * len(keys))
        values[at] = _number(value, spec.cells[key].type.integral, name)
        years.add(year)
    entries = tuple(LowerEntry(*row) for row in accounts["entries"])
    findings = []
    for code, severity, message, file, sheet, cell, unit_name, unit_code in accounts["findings"]:
        if code in CODES or code in DECLARED:
            findings.append(
                Finding(
                    code=code,
                    severity=severity,
                    message=message,
                    file=file,
                    sheet=sheet,
                    cell=cell,
                    unit_name=unit_name,
                    unit_code=unit_code,
                )
            )
    year = next(iter(years)) if len(years) == 1 else None
    rows = [UnitValues(n, c, tuple(v)) for (c, n), v in units.items()]
    return spec.id, office, year, rows, LowerSummary(entries, tuple(findings))


def is_long_data(path: str | Path) -> bool:
    """Whether a file is long Parquet data this tool wrote (its metadata names a spec)."""
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]  # lazy: pyarrow only for Parquet

        return any(k in (pq.read_schema(path).metadata or {}) for k in _SPEC_KEYS)
    except Exception:  # not Parquet at all, or pyarrow missing
        return False


def _number(text: str | None, integral: bool, name: str) -> Any:
    if text is None:
        return None
    try:
        return int(text) if integral else Decimal(text)
    except (ValueError, InvalidOperation):
        raise IntakeError("F006", "long_bad_number", {"text": text[:20]}, name=name) from None


def _batches(result: MergeResult, schema: Any) -> Iterator[Any]:
    """The long records as Arrow tables of :data:`BATCH_UNITS` units (at least one table, maybe empty)."""
    import pyarrow as pa  # lazy: pyarrow only to write Parquet

    batch: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    count = 0
    for record in long_records(result):
        for c in COLUMNS:
            value = record[c]
            batch[c].append(_text_value(value) if c == "value" else value)
        count += 1
        if count >= BATCH_UNITS * len(result.spec.cells):
            yield pa.table(batch, schema=schema)
            batch = {c: [] for c in COLUMNS}
            count = 0
    if count or not result.included:
        yield pa.table(batch, schema=schema)


def _write_parquet(result: MergeResult, target: Path) -> None:
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]  # lazy: pyarrow only to write Parquet

    schema = _schema(result)
    with atomic.atomic_path(target) as temporary, pq.ParquetWriter(temporary, schema) as writer:
        for table in _batches(result, schema):
            writer.write_table(table)


def write_dataset(result: MergeResult, folder: str | Path, *, region: str) -> None:
    """Add this merge's long data to a Parquet dataset partitioned by year and region (``year=2024/region=…/``).

    The partition of this merge's year and region is replaced and every other one kept, so one folder grows year
    by year and across regions, and a multi-year series is one query:
    ``pandas.read_parquet(folder, filters=[("region", "==", "某县")])``.
    """
    import pyarrow as pa  # lazy: pyarrow only to write Parquet
    import pyarrow.dataset as ds  # type: ignore[import-untyped]

    place = safe_component(region)
    schema = _schema(result).append(pa.field("region", pa.string()))

    def tagged() -> Iterator[Any]:
        for table in _batches(result, _schema(result)):
            yield table.append_column("region", pa.array([place] * table.num_rows, pa.string())).to_batches()

    def batches() -> Iterator[Any]:
        for group in tagged():
            yield from group

    ds.write_dataset(
        batches(),
        Path(folder),
        schema=schema,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("year", pa.int32()), ("region", pa.string())]), flavor="hive"),
        existing_data_behavior="delete_matching",
        basename_template=f"{safe_component(result.spec.id)}-{{i}}.parquet",
    )
