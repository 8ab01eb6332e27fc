"""The report in one of its formats: Word (:mod:`.docx`), Markdown or HTML (:mod:`.text`), all from one
:class:`~giptemplate.report.model.ReportData`."""

from __future__ import annotations

from giptemplate.report.docx import render_docx
from giptemplate.report.mark import mark_docx, mark_text
from giptemplate.report.model import ReportData, ReportFormat
from giptemplate.report.text import render_html, render_markdown


def render(data: ReportData, fmt: ReportFormat, *, draft: bool = False) -> bytes:
    """The report in one format, as bytes (UTF-8 for the text formats), marked as ours
    (:mod:`giptemplate.report.mark`: ``giptemplate report`` re-writes it later, but not once someone edited it)."""
    if fmt == "docx":
        return mark_docx(render_docx(data, draft=draft))
    if fmt == "md":
        return mark_text(render_markdown(data, draft=draft).encode("utf-8"))
    if fmt == "html":
        return mark_text(render_html(data, draft=draft).encode("utf-8"))
    raise ValueError(f"unknown report format {fmt!r}")


__all__ = ["render"]
