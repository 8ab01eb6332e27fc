"""From a loaded document to the same :class:`Submission` a returned workbook gives, with every value's place.

Values are read as printed (gip-format.md C2): blank stays blank, "—" and "/" are blank words, annotations are
split off, a fee whose header says 元 is converted to the spec's 万元. Printed totals become the stored totals
(the document cannot say whether they were computed), so the relation checks judge them as typed. A value the
document prints twice, differently, is left blank and listed as uncertain with its readings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from giptemplate.errors import IntakeError
from giptemplate.files.intake import Intake
from giptemplate.format.layout import layout_for
from giptemplate.format.spec import Spec, all_specs, spec_for_year
from giptemplate.published.digits import TextLine, lines_of, read_text_rows
from giptemplate.published.match import Matched, Printed, match_document
from giptemplate.published.model import Document, Paragraph
from giptemplate.published.narrative import Heading, narrative_texts
from giptemplate.published.title import unit_and_year
from giptemplate.published.unruled import UNRULED_TABLE, read_unruled
from giptemplate.workbook.normalise import MONEY_UNITS, label_key, parse_text
from giptemplate.workbook.submission import CellValue, LabelMismatch, StoredTotal, Submission

_TABLE_NAMES = "一二三四五六七八九十"
_ALWAYS_IN_DOCUMENTS = frozenset({"text_number", "spaces"})


@dataclass
class Extraction:
    """A published document read against a spec: the submission, and what the extract command writes beside it."""

    submission: Submission
    document: Document
    matched: Matched
    headings: list[Heading] = field(default_factory=list)

    @property
    def spec(self) -> Spec:
        return self.submission.spec


def table_name(spec: Spec, table_key: str) -> str:
    """ "表三" for the table printed under 三、 (its title's numeral)."""
    title = spec.table(table_key).title
    return f"表{title[0]}" if title and title[0] in _TABLE_NAMES else spec.table(table_key).sheet


def column_name(spec: Spec, key: str) -> str:
    column = spec.cells[key].column
    return (
        f"{column.group}·{column.label}"
        if column.group and spec.table(spec.cells[key].table).label_cols == 0
        else column.label
    )


def place_words(spec: Spec, p: Printed) -> str:
    """Where a value is printed, in words: "第3页 表三（文中第2个表格第27行）「（七）总计」行「自然人」列"."""
    cell = spec.cells[p.key]
    page = f"第{p.page}页 " if p.page else ""
    row = p.row_label or cell.row.label
    table = table_name(spec, cell.table)
    if p.table == 0:  # a row of a plain-text copy: its paragraph
        return f"{table}（文本第{p.row}段）「{row}」行「{column_name(spec, p.key)}」列"
    if p.table == UNRULED_TABLE:  # a row of a PDF table without rules: its line on the page
        return f"{page}{table}（无框线表格，本页第{p.row}行文字）「{row}」行「{column_name(spec, p.key)}」列"
    return f"{page}{table}（文中第{p.table}个表格第{p.row}行）「{row}」行「{column_name(spec, p.key)}」列"


def _refuse(code: str, variant: str, path: Path, english: str, **fields: object) -> IntakeError:
    """The refusal ``code`` of ``path``: the catalogue's sentence ``variant`` with ``fields``, and an English
    detail."""
    return IntakeError(code, variant, fields, name=path.name, english=english)


def _choose_spec(document: Document, year: int | None, path: Path) -> tuple[Spec, Matched]:
    if year is not None:
        try:
            spec = spec_for_year(year)
        except Exception:
            raise _refuse("F007", "year", path, "no format spec for this report year", year=year) from None
        return spec, match_document(document, spec)
    tried = [(s, match_document(document, s)) for s in all_specs()]
    return max(tried, key=lambda sm: len(sm[1].printed))


def _prints_table_labels(paragraphs: list[Paragraph], spec: Spec) -> bool:
    """Whether the text prints the tables' header labels (the tables are there as text, only not ruled)."""
    keys = {label_key(label.text) for table in spec.tables for label in table.labels if label.role == "header"}
    text = label_key("".join(p.text for p in paragraphs))
    return sum(1 for k in keys if k and k in text) >= 3


def _row_lines(document: Document) -> list[TextLine]:
    """The rows of a text copy's pipe tables as lines: a copy whose columns slid out of line with its header is
    read row by row, by label (see :mod:`giptemplate.published.digits`)."""
    return [
        TextLine(" | ".join(c.text for c in table.row_cells(r)), table.index, r + 1)
        for table in document.tables
        for r in range(len(table.grid))
    ]


def submission_from_document(document: Document, intake: Intake) -> Extraction:
    """The submission of a published report; raises :class:`IntakeError` when it holds no report table."""
    path = intake.path
    paragraphs = list(document.paragraphs)
    unit, year = unit_and_year([document.title, *(p.text for p in paragraphs[:12])])
    if document.kind == "pdf" and not document.tables and not any(p.text for p in paragraphs):
        raise _refuse("P801", "", path, "no text layer: a scanned document or images")
    spec, matched = _choose_spec(document, year, path)
    text_rows = (
        read_text_rows([*lines_of(paragraphs), *_row_lines(document)], spec) if document.kind == "text" else None
    )
    if text_rows is not None:
        for key, printed in text_rows.matched.printed.items():
            matched.printed.setdefault(key, printed)
        matched.tables_found |= text_rows.matched.tables_found
        matched.odd.extend(o for o in text_rows.matched.odd if o.row_key not in {x.row_key for x in matched.odd})
    if document.kind == "pdf" and document.loose_lines:
        # Tables drawn without rules: read from the printed lines, for the spec tables no ruled table gave.
        loose = read_unruled(document.loose_lines, spec, set(matched.tables_found))
        for key, printed in loose.matched.printed.items():
            matched.printed.setdefault(key, printed)
        matched.tables_found |= loose.matched.tables_found
        matched.odd.extend(loose.matched.odd)
        text_rows = loose
    if not matched.printed:
        if document.kind == "pdf" and not document.tables and _prints_table_labels(paragraphs, spec):
            raise _refuse("P802", "", path, "the tables have no rules: cells cannot be told apart reliably")
        if document.kind == "pdf" and not document.tables:
            raise _refuse("P801", "image_tables", path, "the tables are images, not text")
        raise _refuse("F001", "no_report_table", path, "no report table found")
    texts, headings = narrative_texts(paragraphs, spec, unit)
    layout = layout_for(spec)
    submission = Submission(
        path=path,
        sha256=intake.sha256,
        spec=spec,
        file_format=document.kind,
        meta={"unit_name": unit, "year": str(year or ""), "kind": "published"},
        year=year,
        identified_by="labels",
        texts=texts,
        sheet_names=(),
    )
    if text_rows is not None:
        submission.uncertain.update(text_rows.uncertain)
    for key, printed in matched.printed.items():
        cell = spec.cells[key]
        parsed = parse_text(printed.text, cell.type)
        # Everything a document prints is text with spaces around it: only the other liberties are worth a remark.
        value = parsed.value
        norms = tuple(n for n in parsed.normalisations if n not in _ALWAYS_IN_DOCUMENTS)
        # A header in 元 over a cell the spec keeps in another money unit (2021's 万元): converted to the cell's.
        cell_worth = dict(MONEY_UNITS).get(cell.type.unit, Decimal(1))
        if printed.yuan and value is not None and cell_worth != 1 and "unit_converted" not in norms:
            value = Decimal(value) / cell_worth
            norms = (*norms, "unit_converted")
        if key in matched.conflicts:
            submission.uncertain[key] = tuple(dict.fromkeys(p.text for p in matched.conflicts[key]))
            value = None
        place = layout.cells[key]
        submission.provenance[key] = place_words(spec, printed)
        if cell.derived:
            submission.stored[key] = StoredTotal(
                key, place, value, None, parsed.state if value is not None or not printed.text else "invalid"
            )
        else:
            state = parsed.state if key not in submission.uncertain else "blank"
            submission.cells[key] = CellValue(key, place, printed.text, value, state, norms, parsed.note)
    for odd in matched.odd:
        cells = spec.table(odd.table_key).cells
        first = next((c for c in cells if c.row.key == odd.row_key or c.column.key == odd.col_key), None)
        where = layout.cells[first.key] if first else None
        kind = "obsolete" if odd.kind == "single_row" else odd.kind
        expected = odd.expected
        if odd.kind == "single_row":
            subs = [r.label for r in spec.table(odd.table_key).rows if r.group == odd.expected]
            expected = f"{odd.expected}下分 {'、'.join(subs)}"
        submission.label_mismatches.append(
            LabelMismatch(where.sheet if where else "", where.a1 if where else "", expected, odd.found, kind)
        )
    return Extraction(submission, document, matched, headings)
