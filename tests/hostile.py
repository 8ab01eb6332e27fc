"""Hostile and messy variants of a valid returned workbook, built by editing its parts: the regression tests, the
300-file merge and the fuzzer all start from these."""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from giptemplate.format.layout import layout_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec, spec_for_year
from giptemplate.format.uscc import check_digit
from giptemplate.workbook.writer import write_template

YEAR = 2024


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return out.getvalue()


def rewrite(data: bytes, name: str, edit: Callable[[bytes], bytes]) -> bytes:
    """The workbook with one member edited."""
    parts = members(data)
    parts[name] = edit(parts[name])
    return rezip(parts)


def sheet_part(data: bytes, sheet: str) -> str:
    """The worksheet part of a sheet of an xlsx."""
    parts = members(data)
    rid = re.search(rb'<sheet name="' + re.escape(sheet.encode()) + rb'"[^>]*r:id="(rId\d+)"', parts["xl/workbook.xml"])
    assert rid is not None
    target = re.search(rb'Id="' + rid.group(1) + rb'"[^>]*Target="([^"]+)"', parts["xl/_rels/workbook.xml.rels"])
    if target is None:
        target = re.search(rb'Target="([^"]+)"[^>]*Id="' + rid.group(1) + rb'"', parts["xl/_rels/workbook.xml.rels"])
    assert target is not None
    return "xl/" + target.group(1).decode().lstrip("/").removeprefix("xl/")


def set_cell(data: bytes, sheet: str, ref: str, cell_xml: str) -> bytes:
    """Replace (or add to its row) the cell ``ref`` of ``sheet`` by ``cell_xml`` (a whole ``<c>`` element)."""
    name = sheet_part(data, sheet)

    def edit(xml: bytes) -> bytes:
        existing = re.compile(rb'<c r="' + ref.encode() + rb'"(?:[^>]*/>|[^>]*>.*?</c>)', re.S)
        if existing.search(xml):
            return existing.sub(lambda _: cell_xml.encode(), xml, count=1)
        row = re.search(rb"\d+", ref.encode())
        assert row is not None
        return xml.replace(b"</sheetData>", f'<row r="{row.group(0).decode()}">{cell_xml}</row></sheetData>'.encode())

    return rewrite(data, name, edit)


def input_ref(spec: Spec, cell_type: str = "count", index: int = 0) -> tuple[str, str, str]:
    """(sheet, A1, key) of an input cell of the given type."""
    cells = [c for c in spec.input_cells if c.type.key == cell_type]
    place = layout_for(spec).cells[cells[index].key]
    return place.sheet, place.a1, cells[index].key


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def unit_code(i: int) -> str:
    body = f"11419900{8000000 + i:09d}"
    return body + check_digit(body)


def unit_file(
    path: Path,
    i: int,
    *,
    name: str | None = None,
    code: str | None = None,
    sparse: bool = False,
    spec: Spec | None = None,
) -> Path:
    """A valid return of unit ``i`` (passes every check): consistent values, narrative, cover filled."""
    from submission_factory import good_texts

    spec = spec or spec_for_year(YEAR)
    values = dict(consistent_values(spec, random.Random(i), density=0.1 if sparse else 0.3, scale=40))
    write_template(
        path,
        year=YEAR,
        unit_name=name or f"测试局{i}",
        unit_code=code if code is not None else unit_code(i),
        scope="本机关",
        values=values,
        texts=good_texts(spec, YEAR, i),
        filler="张三",
        phone="0371-12345678",
        date=f"{YEAR + 1}-01-15",
        spec=spec,
    )
    return path


def add_sheet(data: bytes, name: str, sheet_data: bytes) -> bytes:
    """The workbook with one more worksheet ``name`` holding ``sheet_data`` (the content of ``<sheetData>``)."""
    parts = members(data)
    part = f"xl/worksheets/extra{len(parts)}.xml"
    parts[part] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + sheet_data
        + b"</sheetData></worksheet>"
    )
    rid = f"rIdExtra{len(parts)}"
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="{rid}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'worksheet" Target="{part.removeprefix("xl/")}"/></Relationships>'.encode(),
    )
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"</sheets>", f'<sheet name="{name}" sheetId="{len(parts) + 50}" r:id="{rid}"/></sheets>'.encode()
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        f'<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-officedocument.'
        f'spreadsheetml.worksheet+xml"/></Types>'.encode(),
    )
    return rezip(parts)
