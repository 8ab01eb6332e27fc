"""Published reports (Word, PDF, web page, text copy) read into the same :class:`Submission` as a workbook.

:func:`read_document` is what the reader calls for a file that intake sniffed as a document; :func:`extract`
also returns what the extract command writes (the provenance of every value and the headings found).
"""

from __future__ import annotations

from giptemplate.errors import IntakeError
from giptemplate.intake import Intake
from giptemplate.published.build import Extraction, submission_from_document
from giptemplate.published.model import Document
from giptemplate.submission import Submission

KIND_WORDS = {"html": "是网页文件（HTML）", "pdf": "是 PDF 文件", "docx": "是 Word 文档", "text": "是文本文件"}


def load(intake: Intake) -> Document:
    """The document's paragraphs and tables; a file its parser cannot open is refused (F001, one line)."""
    from giptemplate.published.load_docx import load_docx
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
        raise IntakeError(
            "F001",
            f"{intake.path.name}：{KIND_WORDS[kind]}，无法解析其内容（{type(exc).__name__}），也不是 Excel 工作簿"
            f" (a {kind} document that cannot be parsed)",
        ) from None


def extract(intake: Intake) -> Extraction:
    """Read a published report against its spec; raises :class:`IntakeError` when it holds no report table."""
    document = load(intake)
    try:
        return submission_from_document(document, intake)
    except IntakeError as exc:
        if exc.code != "F001":
            raise
        raise IntakeError(
            "F001",
            f"{intake.path.name}：{KIND_WORDS[intake.file_format]}，其中未找到政府信息公开工作年度报告的统计表格，"
            f"也不是 Excel 工作簿 (a {intake.file_format} document without report tables)",
        ) from None


def read_document(intake: Intake) -> Submission:
    return extract(intake).submission


__all__ = ["Extraction", "extract", "load", "read_document"]
