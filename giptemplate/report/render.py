"""The report in one of its formats: Word (:mod:`.docx`), Markdown or HTML (:mod:`.text`), all from one
:class:`~giptemplate.report.model.ReportData`."""

from __future__ import annotations

from giptemplate.report.docx import render_docx
from giptemplate.report.model import ReportData, ReportFormat
from giptemplate.report.text import render_html, render_markdown


def render(data: ReportData, fmt: ReportFormat, *, draft: bool = False) -> bytes:
    """The report in one format, as bytes (UTF-8 for the text formats)."""
    if fmt == "docx":
        return render_docx(data, draft=draft)
    if fmt == "md":
        return render_markdown(data, draft=draft).encode("utf-8")
    if fmt == "html":
        return render_html(data, draft=draft).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}")


__all__ = ["render"]
