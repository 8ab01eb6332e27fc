"""A roster's personalised templates, written from one prototype workbook instead of one by one."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from giptemplate.files import atomic
from giptemplate.format import uscc
from giptemplate.format.spec import Spec
from giptemplate.workbook.writer import DEFAULT_PASSWORD, Fill, default_file_id, property_text, write_template

# Marks written in place of a unit's name, code and file id in a roster's prototype workbook. Private-use
# characters never occur in real names and are valid XML, so xlsxwriter writes them through unchanged.
_NAME_MARK = "\ue000unit_name\ue001"
_FILE_ID_MARK = "\ue000file_id\ue001"
_VALID_CODE_MARK = "Q" * 17 + uscc.check_digit("Q" * 17)  # a valid code: its cached check shows ✓
_CODE_MARKS: dict[uscc.Verdict, str] = {"ok": _VALID_CODE_MARK, "not_uscc": "\ue000unit_code\ue001"}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # what xlsxwriter stamps on every part in in_memory mode
_XLSX_ESCAPED = re.compile(r"[&<>\"']|_x[0-9a-fA-F]{4}_")


@dataclass(frozen=True)
class _Member:
    """One part of the prototype's zip, with the header fields zipfile wrote for it."""

    info: zipfile.ZipInfo  # versions, system, attributes and time, reused verbatim
    data: bytes  # uncompressed XML
    marked: bool


@dataclass(frozen=True)
class _Prototype:
    code_mark: str
    members: tuple[_Member, ...]  # in xlsxwriter's order
    shared_strings: bytes


def _zip(members: Sequence[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    """Zip the parts with the prototype's own headers, as xlsxwriter's zipfile did (so the bytes are identical)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


class TemplateStamp:
    """Personalised templates for a roster, written from one prototype per roster instead of one by one.

    Across a roster only the unit's name, code and file id change. The prototype is written once by
    :class:`TemplateWriter` (so every xlsxwriter return code is checked there) with marks in their place; each
    unit's copy replaces the marks in the few XML parts that hold them and zips the parts as xlsxwriter does.
    The result is byte-identical to :func:`write_template` with the same arguments (the tests compare them);
    a unit whose name or code xlsxwriter would escape, or which equals a fixed text of the workbook (so the
    shared-string table would differ), is written by :func:`write_template` itself.
    """

    def __init__(self, spec: Spec, *, year: int, scope: str = "", password: str = DEFAULT_PASSWORD) -> None:
        self.spec = spec
        self.year = year
        self.scope = scope
        self.password = password
        self._prototypes: dict[uscc.Verdict, _Prototype] = {}
        self.stamped = 0  # units written from the prototype (the rest went through write_template)

    def write(self, target: str | Path | IO[bytes], *, unit_name: str, unit_code: str) -> bytes:
        file_id = default_file_id(self.spec, Fill(year=self.year, unit_name=unit_name, unit_code=unit_code), "template")
        prototype = self._prototype(uscc.verify(unit_code)) if self._plain(unit_name, unit_code, file_id) else None
        if prototype is None or not self._fits(prototype, unit_name, unit_code, file_id):
            return write_template(
                target,
                year=self.year,
                unit_name=unit_name,
                unit_code=unit_code,
                scope=self.scope,
                password=self.password,
                spec=self.spec,
            )
        marks = (
            (_NAME_MARK.encode(), unit_name.encode()),
            (prototype.code_mark.encode(), unit_code.encode()),
            (_FILE_ID_MARK.encode(), file_id.encode()),
        )
        members = []
        for member in prototype.members:
            if member.marked:
                part = member.data
                for mark, value in marks:
                    part = part.replace(mark, value)
                members.append((member.info, part))
            else:
                members.append((member.info, member.data))
        data = _zip(members)
        if isinstance(target, (str, Path)):
            atomic.write_bytes(target, data)
        else:
            target.write(data)
        self.stamped += 1
        return data

    @staticmethod
    def _plain(*texts: str) -> bool:
        """Texts that every part of the workbook stores verbatim (no XML or _xHHHH_ escaping, no xml:space)."""
        return all(t and t.isprintable() and t == t.strip() and not _XLSX_ESCAPED.search(t) for t in texts)

    @staticmethod
    def _fits(prototype: _Prototype, unit_name: str, unit_code: str, file_id: str) -> bool:
        """The unit's texts take the marks' places in the shared-string table: new, distinct strings."""
        texts = (unit_name, unit_code, file_id)
        if any(property_text(t) != t for t in texts):  # clipped in the document properties: not a plain swap
            return False
        return len(set(texts)) == 3 and not any(f"<t>{t}</t>".encode() in prototype.shared_strings for t in texts)

    def _prototype(self, verdict: uscc.Verdict) -> _Prototype | None:
        if verdict not in _CODE_MARKS:
            return None
        if verdict not in self._prototypes:
            code_mark = _CODE_MARKS[verdict]
            data = write_template(
                io.BytesIO(),
                year=self.year,
                unit_name=_NAME_MARK,
                unit_code=code_mark,
                scope=self.scope,
                password=self.password,
                file_id=_FILE_ID_MARK,
                spec=self.spec,
                lock_unit=True,
            )
            marks = (_NAME_MARK.encode(), code_mark.encode(), _FILE_ID_MARK.encode())
            members = []
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    part = archive.read(info)
                    members.append(_Member(info, part, any(m in part for m in marks)))
            shared = next((m.data for m in members if m.info.filename == "xl/sharedStrings.xml"), b"")
            self._prototypes[verdict] = _Prototype(code_mark, tuple(members), shared)
        return self._prototypes[verdict]


__all__ = ["TemplateStamp"]
