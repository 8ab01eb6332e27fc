"""Published reports (Word, PDF, web page, text copy) read into the same :class:`Submission` as a workbook.

:func:`read_document` is what the reader calls for a file that intake sniffed as a document; :func:`extract`
also returns what the extract command writes (the provenance of every value and the headings found).
"""

from __future__ import annotations

from giptemplate.errors import IntakeError
from giptemplate.files.intake import FOREIGN_FORMATS, Intake
from giptemplate.published.build import Extraction, submission_from_document
from giptemplate.published.model import Document
from giptemplate.workbook.submission import Submission

FOREIGN_KINDS = {"html": "html", "pdf": "pdf", "docx": "word"}  # intake's words for a file that is no workbook


def not_a_report(intake: Intake, why: str, english: str, **fields: object) -> IntakeError:
    """F001 for a document that is not a readable report: the catalogue's variant "{kind}+{why}" (intake's
    sentence for that kind of file, a plain text copy's own, and why) with ``fields``."""
    kind = FOREIGN_KINDS.get(intake.file_format)
    code, base_en = FOREIGN_FORMATS[kind] if kind else ("F001", "a text file")
    variant = f"{kind or 'text'}+{why}"
    return IntakeError(code, variant, fields, name=intake.path.name, english=f"{base_en}; {english}")


def load(intake: Intake) -> Document:
    """The document's paragraphs and tables; a file its parser cannot open is refused (F001, one line)."""
    from giptemplate.published.load_docx import (
        load_docx,  # lazy: each parser (PDF, Word, HTML) loads only for its format
    )
    from giptemplate.published.load_html import load_html
    from giptemplate.published.load_pdf import load_pdf
    from giptemplate.published.load_text import load_text

    loaders = {"html": load_html, "docx": load_docx, "pdf": load_pdf, "text": load_text}
    kind = intake.file_format
    if kind == "docx":
        intake.part("word/document.xml")  # refuses an XML entity declaration (F004), as for workbooks
    try:
        return loaders[kind](intake.data)
    except Exception as exc:
        raise not_a_report(intake, "unparsable", "its content cannot be parsed", error=type(exc).__name__) from None


def extract(intake: Intake) -> Extraction:
    """Read a published report against its spec; raises :class:`IntakeError` when it holds no report table."""
    document = load(intake)
    try:
        return submission_from_document(document, intake)
    except IntakeError as exc:
        if exc.code != "F001":
            raise
        raise not_a_report(intake, "no_tables", "no report tables found in it") from None


def read_document(intake: Intake) -> Submission:
    return extract(intake).submission


__all__ = ["Extraction", "extract", "load", "read_document"]
