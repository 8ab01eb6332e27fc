"""Our own reports, recognised: ``giptemplate report`` re-writes a report it wrote, never one someone edited.

Every report carries the SHA-256 of its own content: a .docx in its core properties' identifier (the digest of
every part but docProps/core.xml, which Word rewrites on any save), a .md or .html in a comment on its last
line (the digest of the text before it). A file whose digest no longer matches was changed after we wrote it, by
hand or by another program, and is never overwritten without --force.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Final

from giptemplate.errors import IntakeError
from giptemplate.files.intake import admit, read_bounded

MARK: Final = "giptemplate-report"
_CORE: Final = "docProps/core.xml"
_PLACEHOLDER: Final = "0" * 64
_TEXT_MARK: Final = re.compile(rb"\n<!-- " + MARK.encode() + rb" sha256=([0-9a-f]{64}) -->\n\Z")
_DOCX_MARK: Final = re.compile(rb"<dc:identifier>" + MARK.encode() + rb" sha256=([0-9a-f]{64})</dc:identifier>")

_MARK_LINE: Final = re.compile(r"<!-- " + MARK + r" sha256=[0-9a-f]{64} -->")

__all__ = ["MARK", "docx_identifier", "is_mark_line", "is_own_report", "mark_docx", "mark_text"]


def is_mark_line(line: str) -> bool:
    """Whether a line of a .md/.html is our mark (never narrative text when a report is read back as texts)."""
    return _MARK_LINE.fullmatch(line.strip()) is not None


def docx_identifier() -> str:
    """The identifier a .docx is rendered with; :func:`mark_docx` puts the digest in."""
    return f"{MARK} sha256={_PLACEHOLDER}"


def mark_text(text: bytes) -> bytes:
    """A .md or .html report with its digest on a last line of its own (an HTML comment, shown by neither)."""
    body = text if text.endswith(b"\n") else text + b"\n"
    return body + f"<!-- {MARK} sha256={hashlib.sha256(body).hexdigest()} -->\n".encode()


def _digest(parts: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, body in sorted(parts):
        if name != _CORE:
            digest.update(name.encode() + b"\0" + len(body).to_bytes(8, "big") + body)
    return digest.hexdigest()


def mark_docx(data: bytes) -> bytes:
    """A rendered .docx (with :func:`docx_identifier`) with the digest of its parts in its core properties."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    digest = _digest([(info.filename, body) for info, body in parts])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, body in parts:
            if info.filename == _CORE:
                body = body.replace(docx_identifier().encode(), f"{MARK} sha256={digest}".encode(), 1)
            archive.writestr(info, body)
    return out.getvalue()


def is_own_report(path: Path) -> bool:
    """Whether ``path`` is a report this tool wrote, unchanged since (read bounded, like any untrusted file)."""
    try:
        if path.suffix.lower() == ".docx":
            intake = admit(path, documents=True)
            if intake.file_format != "docx":
                return False
            found = _DOCX_MARK.search(intake.part(_CORE) or b"")
            if found is None:
                return False
            parts = [(name, intake.part(name) or b"") for name in intake.members if not name.endswith("/")]
            return _digest(parts) == found.group(1).decode()
        data = read_bounded(path)
    except (IntakeError, OSError):
        return False
    found = _TEXT_MARK.search(data)
    if found is None:
        return False
    return hashlib.sha256(data[: found.start() + 1]).hexdigest() == found.group(1).decode()
