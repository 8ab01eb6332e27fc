"""The extract command's output: a filled template workbook of the document's format, plus a 来源 sheet.

The workbook is the ordinary template (same writer, same checks) holding every value as read, the narrative
parts, the unit and year from the title; the 来源 sheet lists, for each value, where the document prints it and
the text as printed, so an office can correct what the extraction could not know and go on with check and merge.
"""

from __future__ import annotations

import io
from pathlib import Path

from giptemplate.files.atomic import write_bytes
from giptemplate.format.layout import layout_for
from giptemplate.published.build import Extraction
from giptemplate.workbook.textwidth import fitted_height
from giptemplate.workbook.writer import Fill, TemplateWriter

SOURCE_SHEET = "来源"
EXTRACTED_KIND = "extracted"
_HEADER = ("单元格", "表格", "行", "列", "数值", "原文位置", "原文印为")
_WIDTHS = (10.0, 6.0, 30.0, 14.0, 9.0, 58.0, 12.0)


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
    bold = writer.workbook.add_format({"bold": True, "border": 1, "bg_color": "#D9D9D9", "text_wrap": True})
    wrap = writer.workbook.add_format({"text_wrap": True, "valign": "top", "border": 1})
    for c, title in enumerate(_HEADER):
        sheet.write_string(0, c, title, bold)
    layout = layout_for(spec)
    r = 1
    for key, cell in spec.cells.items():
        place = layout.cells[key]
        printed = extraction.matched.printed.get(key)
        value = submission.values.get(key)
        texts = (
            f"{place.sheet}!{place.a1}",
            spec.table(cell.table).sheet,
            cell.row.label,
            cell.column.label,
            "" if value is None else str(value),
            submission.provenance.get(key, "文档中未印出"),
            printed.text if printed else "",
        )
        for c, text in enumerate(texts):
            sheet.write_string(r, c, text, wrap)
        sheet.set_row(r, fitted_height(list(zip(texts, _WIDTHS, strict=True))))
        r += 1
    # One page wide in landscape, header repeated: the clerk prints it beside the document to compare.
    for c, width in enumerate(_WIDTHS):
        sheet.set_column(c, c, width)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.freeze_panes(1, 0)
    data = writer.close()
    write_bytes(target, data)
    return data
