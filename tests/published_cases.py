"""The hand transcriptions of tests/data/published/ and Word documents drafted from them.

A transcription gives each printed row as the document prints it; :func:`expected_cells` turns it into spec cell
key -> text as printed ("" where the cell prints blank, absent where the row is not printed). The Word document is
drafted the way agencies draft theirs: the official table grids (merged header cells included, taken from the
spec, which is the official template as data) with the transcribed values typed in.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
from docx.shared import Pt
from docx.table import _Cell

from giptemplate.format.spec import Spec, spec_by_id

DATA = Path(__file__).parent / "data" / "published"
FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "published"
if not FIXTURES.is_dir():
    FIXTURES = Path("/work/shared/fixtures/published")


def transcriptions(fmt: str | None = None) -> list[dict[str, Any]]:
    """The hand transcriptions of one format version ("2021", "2019"), or of every format."""
    cases = [tomllib.loads(p.read_text(encoding="utf-8")) | {"name": p.stem} for p in sorted(DATA.glob("*.toml"))]
    return [c for c in cases if fmt is None or c["format"] == fmt]


def spec_of(case: dict[str, Any]) -> Spec:
    """The spec of a transcription's format version."""
    return spec_by_id(f"gip{case['format']}")


def number_of(printed: str) -> Decimal:
    """The number a transcribed cell prints, read by hand's rules: the digits, without a unit word ("2笔", "147230元"
    in a cell that is in 元 itself)."""
    matched = re.fullmatch(r"(-?\d+(?:\.\d+)?)(?:笔|元|件)?", printed)
    assert matched is not None, printed
    return Decimal(matched.group(1))


def expected_cells(spec: Spec, case: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for table in spec.tables:
        printed = case.get(table.key, {})
        for row in table.rows:
            if row.key not in printed:
                continue
            texts = ["" if t == "_" else t for t in printed[row.key].split()]
            cells = [c for c in table.cells if c.row.key == row.key]
            assert len(cells) == len(texts), (case["name"], row.key)
            for cell, text in zip(cells, texts, strict=True):
                out[cell.key] = text
    return out


def draft_docx(spec: Spec, case: dict[str, Any], target: Path) -> Path:
    """A Word report: title, the narrative headings with a sentence each, and the three tables with merged cells."""
    values = expected_cells(spec, case)
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.size = Pt(10)
    document.add_paragraph(f"{case['unit']}{case['year']}年政府信息公开工作年度报告")
    for heading, section in zip(case["headings"], spec.sections, strict=True):
        document.add_paragraph(heading)
        if section.table is None:
            document.add_paragraph(case["texts"][section.key])
            continue
        table = spec.table(section.table)
        grid = document.add_table(rows=table.height, cols=table.width)
        grid.style = "Table Grid"
        placed: list[tuple[Any, str]] = [(label.at, label.text) for label in table.labels]
        placed += [(row.label_at, row.label) for row in table.rows if row.label_at is not None]
        placed += [(col.header_at, col.label) for col in table.columns if col.header_at is not None]
        placed += [(cell.at, values.get(cell.key, "")) for cell in table.cells]
        # The cells are taken once before merging (python-docx's table.cell() re-lays the whole grid per call).
        cells = [[_Cell(tc, grid) for tc in tr.tc_lst] for tr in grid._tbl.tr_lst]
        for at, text in placed:
            first = cells[at.first_row][at.first_col]
            if at.is_merged:
                first = first.merge(cells[at.last_row][at.last_col])
            first.text = text
        # Rows the report does not print (规章 missing, 2019-style single （六）) are removed from the grid.
        for row in reversed(table.rows):
            if row.label_at is not None and not any(k.startswith(f"{table.key}.{row.key}.") for k in values):
                tr = grid.rows[row.row]._tr
                tr.getparent().remove(tr)
    document.save(target)
    return target


def draft_html(spec: Spec, values: dict[str, str], *, title: str, headings: list[str], texts: dict[str, str]) -> str:
    """A web page with the official grids as HTML tables (rowspan/colspan from the spec), each inside a layout
    table as some CMS templates nest them, with the given texts as printed in the cells."""
    parts = [f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>", f"<p>{title}</p>"]
    for heading, section in zip(headings, spec.sections, strict=True):
        parts.append(f"<p>{heading}</p>")
        if section.table is None:
            parts.append(f"<p>{texts[section.key]}</p>")
            continue
        table = spec.table(section.table)
        placed: dict[tuple[int, int], tuple[Any, str]] = {}
        for label in table.labels:
            placed[(label.at.first_row, label.at.first_col)] = (label.at, label.text)
        for row in table.rows:
            if row.label_at is not None:
                placed[(row.label_at.first_row, row.label_at.first_col)] = (row.label_at, row.label)
        for col in table.columns:
            if col.header_at is not None:
                placed[(col.header_at.first_row, col.header_at.first_col)] = (col.header_at, col.label)
        for cell in table.cells:
            placed[(cell.at.first_row, cell.at.first_col)] = (cell.at, values.get(cell.key, "0"))
        rows = []
        for r in range(table.height):
            tds = []
            for c in range(table.width):
                if (r, c) in placed:
                    at, text = placed[(r, c)]
                    span = f" rowspan={at.last_row - at.first_row + 1}" if at.last_row > at.first_row else ""
                    span += f' colspan="{at.last_col - at.first_col + 1}"' if at.last_col > at.first_col else ""
                    tds.append(f"<td{span}><p>{text}</p></td>")
            rows.append("<tr>" + "".join(tds) + "</tr>")
        parts.append("<table border=0><tr><td><table>" + "".join(rows) + "</table></td></tr></table>")
    parts.append("</body></html>")
    return "".join(parts)
