"""The extract command's output: a filled template workbook of the document's format, plus a 来源 sheet.

The workbook is the ordinary template (same writer, same checks) holding every value as read, the narrative
parts, the unit and year from the title; the 来源 sheet lists, for each value, where the document prints it and
the text as printed, so an office can correct what the extraction could not know and go on with check and merge.
"""

from __future__ import annotations

import io
from pathlib import Path

from giptemplate.atomic import write_bytes
from giptemplate.layout import layout_for
from giptemplate.published.build import Extraction
from giptemplate.writer import Fill, TemplateWriter

SOURCE_SHEET = "来源"
EXTRACTED_KIND = "extracted"
_HEADER = ("单元格", "表格", "行", "列", "数值", "原文位置", "原文印为")


def write_extraction(extraction: Extraction, target: Path) -> bytes:
    submission = extraction.submission
    spec = submission.spec
    fill = Fill(
        year=submission.year or spec.first_year,
        unit_name=submission.unit_name,
        values=submission.inputs,
        texts={k: v for k, v in submission.texts.items() if v},
    )
    writer = TemplateWriter(io.BytesIO(), spec)
    writer.write(fill, kind=EXTRACTED_KIND, lock_unit=False)
    sheet = writer.add_worksheet(SOURCE_SHEET)
    bold = writer.workbook.add_format({"bold": True})
    for c, title in enumerate(_HEADER):
        sheet.write_string(0, c, title, bold)
    layout = layout_for(spec)
    r = 1
    for key, cell in spec.cells.items():
        place = layout.cells[key]
        printed = extraction.matched.printed.get(key)
        value = submission.values.get(key)
        sheet.write_string(r, 0, f"{place.sheet}!{place.a1}")
        sheet.write_string(r, 1, spec.table(cell.table).sheet)
        sheet.write_string(r, 2, cell.row.label)
        sheet.write_string(r, 3, cell.column.label)
        sheet.write_string(r, 4, "" if value is None else str(value))
        sheet.write_string(r, 5, submission.provenance.get(key, "文档中未印出"))
        sheet.write_string(r, 6, printed.text if printed else "")
        r += 1
    sheet.set_column(0, 0, 10)
    sheet.set_column(2, 2, 36)
    sheet.set_column(5, 5, 70)
    data = writer.close()
    write_bytes(target, data)
    return data
