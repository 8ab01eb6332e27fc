"""Intake: decide whether a returned file may be parsed at all, before any parser sees it.

Sniffs the bytes (never the extension), bounds zip archives (size, entries, ratio, entry names), tells
password-protected files apart, and opens the workbook with python-calamine. Each refusal is an
:class:`IntakeError` with its F0xx code and its sentence as a variant of the code's templates in the catalogue
(:mod:`giptemplate.findings`) with named fields; its one line is the file's name, that sentence and an English
detail.

The admitted file keeps its bytes and member table, so the reader inflates the few parts it parses itself
(:meth:`Intake.part`: bounded, CRC-checked, entity declarations refused) without reopening the archive.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, NamedTuple

import python_calamine

from giptemplate.errors import IntakeError
from giptemplate.files.extent import (
    MAX_BOOK_CELLS,
    MAX_SHEET_CELLS,
    Extent,
    ods_extents,
    xls_boolean_formulas,
    xls_extents,
)
from giptemplate.files.paths import display_name

MAX_FILE_BYTES = 20 * 2**20
MAX_ENTRIES = 500
MAX_INFLATED_BYTES = 100 * 2**20
MAX_RATIO = 100
RATIO_FLOOR = 100 * 2**10  # the ratio test applies to entries larger than this

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"

FileFormat = Literal["xlsx", "xlsm", "xls", "ods", "docx", "pdf", "html", "text"]
DOCUMENT_FORMATS: frozenset[str] = frozenset({"docx", "pdf", "html", "text"})  # published reports (published/)
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
ENTITY_DECLARATION = b"<!ENTITY"


class ZipMember(NamedTuple):
    """Where one archive member sits in the bytes, from the central directory that intake already checked."""

    offset: int  # of its local header
    compressed: int
    size: int
    method: int
    crc: int


@dataclass(frozen=True)
class Intake:
    """A file that passed intake: its bytes, digest, sniffed format and (for zip formats) its member table."""

    path: Path
    data: bytes
    sha256: str
    file_format: FileFormat
    members: Mapping[str, ZipMember] = field(default_factory=dict)

    def part(self, name: str) -> bytes | None:
        """One archive member, inflated in memory (None when absent).

        Inflation is bounded by the size intake accepted and verified by CRC; a member that declares an XML
        entity is refused (F004), because entities are never expanded here, and a damaged one is F005.
        """
        member = self.members.get(name)
        if member is None:
            return None
        out = _inflate(self.path, self.data, name, member)
        if out.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                out = out.decode("utf-16").encode("utf-8")
            except UnicodeDecodeError:
                raise _refuse("F005", "bad_part", self.path, "bad UTF-16 part", part=name) from None
        if ENTITY_DECLARATION in out:
            raise _refuse("F004", "", self.path, "XML entity declaration refused")
        return out


def _refuse(code: str, variant: str, path: Path, english: str, **fields: object) -> IntakeError:
    """The refusal ``code`` of ``path``: the catalogue's sentence ``variant`` with ``fields``, and an English
    detail."""
    return IntakeError(code, variant, fields, name=display_name(path), english=english)


def _inflate(path: Path, data: bytes, name: str, member: ZipMember) -> bytes:
    """A member's bytes, inflated at most to its declared size and checked against its CRC."""
    start = member.offset
    if data[start : start + 4] != ZIP_MAGIC:
        raise _refuse("F005", "part_header", path, "corrupt zip member header", part=name)
    name_len, extra_len = struct.unpack_from("<HH", data, start + 26)
    start += 30 + name_len + extra_len
    raw = data[start : start + member.compressed]
    try:
        if member.method == zipfile.ZIP_STORED:
            out = raw
        elif member.method == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-15)
            out = inflater.decompress(raw, member.size)
            if inflater.unconsumed_tail:
                raise zlib.error("member larger than declared")
        else:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                out = archive.read(name)
    except (zlib.error, zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError, KeyError):
        raise _refuse("F005", "part_inflate", path, "corrupt zip member", part=name) from None
    if len(out) != member.size or zlib.crc32(out) != member.crc:
        raise _refuse("F005", "part_crc", path, "zip member fails its CRC", part=name)
    return out


_EOCD = b"PK\x05\x06"
_CENTRAL = b"PK\x01\x02"
_CENTRAL_HEADER = struct.Struct("<8xHHHHIIIHHHHHII")  # 46 bytes after which come name, extra, comment
_ZIP64 = 0xFFFFFFFF


def _central_directory(data: bytes) -> list[tuple[str, int, ZipMember]] | None:
    """(name, flags, member) of every entry, straight from the central directory.

    About five times faster than :class:`zipfile.ZipFile` on a small workbook. Anything unusual (zip64, data
    before the archive, a spanned archive) returns None, and the caller falls back to :mod:`zipfile`.
    """
    eocd = data.rfind(_EOCD, max(0, len(data) - 22 - 0xFFFF))
    if eocd < 0 or eocd + 22 > len(data) or data[eocd - 20 : eocd - 16] == b"PK\x06\x07":
        return None
    disk, cd_disk, on_disk, total, cd_size, cd_offset = struct.unpack_from("<HHHHII", data, eocd + 4)
    if disk or cd_disk or on_disk != total or cd_offset + cd_size != eocd or total == 0xFFFF:
        return None
    entries = []
    at = cd_offset
    for _ in range(total):
        if not data.startswith(_CENTRAL, at) or at + 46 > eocd:
            return None
        flags, method, _, _, crc, compressed, size, name_len, extra_len, comment_len, _, _, _, offset = (
            _CENTRAL_HEADER.unpack_from(data, at)
        )
        if _ZIP64 in (compressed, size, offset):
            return None
        raw_name = data[at + 46 : at + 46 + name_len]
        name = raw_name.decode("utf-8", "replace") if flags & 0x800 else _legacy_name(raw_name)
        entries.append((name, flags, ZipMember(offset, compressed, size, method, crc)))
        at += 46 + name_len + extra_len + comment_len
    return entries


def _legacy_name(raw: bytes) -> str:
    """A member name without the UTF-8 flag: GBK from archives made on Chinese Windows, else cp437 (the zip
    standard's own code page)."""
    if raw.isascii():
        return raw.decode("ascii")
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("cp437")


def _zipfile_directory(path: Path, data: bytes) -> list[tuple[str, int, ZipMember]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise _refuse("F005", "zip", path, "truncated or corrupt zip") from None
    return [
        (i.filename, i.flag_bits, ZipMember(i.header_offset, i.compress_size, i.file_size, i.compress_type, i.CRC))
        for i in infos
    ]


# What a file is when it is not a workbook we read: its code and an English detail by kind; the Chinese sentence
# of each kind is the code's variant of that name in the catalogue (giptemplate.findings; "unknown" is F001's
# default variant), so readers of other formats (published reports) can take some of them over.
FOREIGN_FORMATS: Final[Mapping[str, tuple[str, str]]] = {
    "pdf": ("F001", "a PDF, not the workbook"),
    "word": ("F001", "a Word document, not the workbook"),
    "html": ("F001", "an HTML page saved with a spreadsheet name"),
    "xml": ("F001", "an XML file, not an xlsx workbook"),
    "image": ("F001", "an image, not the workbook"),
    "xlsb": ("F001", "an .xlsb workbook: please re-save as .xlsx"),
    "numbers": ("F001", "a Numbers file: please export as .xlsx"),
    "et": ("F001", "a WPS .et file: please re-save as .xlsx"),
    "opendocument": ("F001", "an OpenDocument file that is not a spreadsheet"),
    "archive": ("F001", "a zip archive that is not a workbook"),
    "ole": ("F001", "an Office file that is not a workbook"),
    "unknown": ("F001", "not a spreadsheet: unknown file type"),
}


def foreign(path: Path, kind: str) -> IntakeError:
    """The refusal of a file of another format (a key of :data:`FOREIGN_FORMATS`)."""
    code, english = FOREIGN_FORMATS[kind]
    return _refuse(code, "" if kind == "unknown" else kind, path, english)


def _sniff_text(path: Path, head: bytes) -> IntakeError:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<html", b"<!doctype", b"mime-version:")) or b"<html" in text[:512]:
        return foreign(path, "html")
    if text.startswith(b"<?xml"):
        return foreign(path, "xml")
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return foreign(path, "pdf")
    if head.startswith((b"{\\rtf",)):
        return foreign(path, "word")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        return foreign(path, "image")
    return foreign(path, "unknown")


def _check_zip(path: Path, data: bytes, documents: bool = False) -> tuple[FileFormat, dict[str, ZipMember]]:
    members = _bounded_members(path, data)
    return _zip_format(path, data, members, documents), members


def _bounded_members(path: Path, data: bytes) -> dict[str, ZipMember]:
    """The member table of a zip, refused when it is encrypted, too large, too compressed or names unsafe paths."""
    entries = _central_directory(data)
    if entries is None:
        entries = _zipfile_directory(path, data)
    if len(entries) > MAX_ENTRIES:
        raise _refuse("F003", "too_many_entries", path, "too many zip entries", count=len(entries))
    total = 0
    members: dict[str, ZipMember] = {}
    for name, flags, member in entries:
        if flags & 0x1:
            raise _refuse("F002", "encrypted_zip", path, "encrypted zip entries")
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
            raise _refuse("F003", "unsafe_path", path, "unsafe zip entry name", name=repr(name))
        if member.offset + 30 > len(data):
            raise _refuse("F005", "", path, "zip member outside the file")
        total += member.size
        if member.size > RATIO_FLOOR and member.size > MAX_RATIO * max(member.compressed, 1):
            raise _refuse("F003", "ratio", path, "suspicious compression ratio: zip bomb", part=name)
        members[name] = member
    if total > MAX_INFLATED_BYTES:
        raise _refuse("F003", "inflated_size", path, "uncompressed size too large: zip bomb")
    return members


def _zip_format(path: Path, data: bytes, members: dict[str, ZipMember], documents: bool = False) -> FileFormat:
    _refuse_declarations(path, data, members)
    if "mimetype" in members:
        if _inflate(path, data, "mimetype", members["mimetype"]).strip() != ODS_MIME:
            raise foreign(path, "opendocument")
        manifest = members.get("META-INF/manifest.xml")
        if manifest is not None and b"encryption-data" in _inflate(path, data, "META-INF/manifest.xml", manifest):
            raise _refuse("F002", "", path, "the file is protected by a password")
        return "ods"
    if "xl/workbook.xml" in members:
        types = members.get("[Content_Types].xml")
        content_types = _inflate(path, data, "[Content_Types].xml", types) if types is not None else b""
        return "xlsm" if b"macroEnabled" in content_types else "xlsx"
    if "xl/workbook.bin" in members:
        raise foreign(path, "xlsb")
    if "word/document.xml" in members and documents:
        return "docx"
    if "word/document.xml" in members:
        raise foreign(path, "word")
    if "Index/Document.iwa" in members or "Index.zip" in members:
        raise foreign(path, "numbers")
    raise foreign(path, "archive")


PROLOG_BYTES = 256  # read first; more only when the root element has not started yet (a padded prolog)
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
_ROOT_START = re.compile(rb"<[A-Za-z_]")


def _refuse_declarations(path: Path, data: bytes, members: Mapping[str, ZipMember]) -> None:
    """F004 for any XML part of the archive that declares a DOCTYPE or an entity, whoever parses it later
    (calamine parses styles and content types that the reader never inflates itself). A DOCTYPE can only stand
    in the prolog, before the root element, so only that much of each part is inflated."""
    for name, member in members.items():
        if not name.lower().endswith((".xml", ".rels", ".vml")):
            continue
        prolog = _prolog(data, member)
        if b"<!" in prolog and any(mark in prolog for mark in _DECLARATIONS):
            raise _refuse(
                "F004",
                "doctype",
                path,
                "XML DOCTYPE or entity refused",
            )


def _prolog(data: bytes, member: ZipMember) -> bytes:
    """What comes before the root element of an XML member (as UTF-8 for a UTF-16 part)."""
    size = PROLOG_BYTES
    while True:
        head = _inflate_head(data, member, size)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            head = head.decode("utf-16", "ignore").encode("utf-8")
        root = _ROOT_START.search(head)
        if root is not None or size >= member.size:
            return head[: root.start()] if root is not None else head
        size *= 8


def _inflate_head(data: bytes, member: ZipMember, size: int) -> bytes:
    """The first ``size`` bytes of a member (b"" when they cannot be read: the full read later says why)."""
    start = member.offset
    if data[start : start + 4] != ZIP_MAGIC:
        return b""
    name_len, extra_len = struct.unpack_from("<HH", data, start + 26)
    start += 30 + name_len + extra_len
    if member.method == zipfile.ZIP_STORED:
        return data[start : start + min(member.compressed, size)]
    if member.method != zipfile.ZIP_DEFLATED:
        return b""
    # Fed a slice at a time: a deflate stream gives ``size`` bytes from little more than ``size`` bytes of input
    # (a stored or Huffman-coded literal costs at most two), so the whole member is neither copied nor scanned;
    # a stream that gives less (empty blocks) is fed on to its end.
    view = memoryview(data)[start : start + member.compressed]
    step = 2 * size + 1024
    inflater = zlib.decompressobj(-15)
    out = b""
    try:
        for at in range(0, len(view), step):
            out += inflater.decompress(view[at : at + step], size - len(out))
            if len(out) >= size or inflater.eof:
                break
    except zlib.error:
        return b""
    return out


_OLE_WORKBOOK_STREAMS = frozenset({"workbook", "book"})


def _ole_kind(data: bytes) -> str:
    """ "xls" for a legacy workbook, "word" for a Word document, "ole" for another OLE file; "" when unknown."""
    import olefile  # type: ignore[import-untyped]  # lazy: olefile only for legacy .xls/.et containers

    try:
        with olefile.OleFileIO(data) as ole:
            streams = {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=False)}
    except Exception:  # a damaged container: calamine's refusal says it better
        return ""
    if streams & _OLE_WORKBOOK_STREAMS or "encryptedpackage" in streams:
        return "xls"
    if "worddocument" in streams:
        return "word"
    return "ole"


def _check_ole(path: Path, data: bytes) -> FileFormat:
    import msoffcrypto  # lazy: msoffcrypto only when a file looks encrypted
    from msoffcrypto.exceptions import FileFormatError

    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        encrypted = office.is_encrypted()
    except FileFormatError:
        encrypted = False
    except Exception:
        # msoffcrypto cannot parse every legacy file; an unreadable container is caught by the parser below.
        encrypted = False
    if encrypted:
        raise _refuse("F002", "", path, "the file is protected by a password")
    kind = _ole_kind(data)
    if kind in ("word", "ole"):
        raise foreign(path, kind)
    return "xls"


def unpack_archive(path: Path) -> list[tuple[str, bytes]]:
    """The files of a .zip of submissions (what an office receives from a town collecting its units' returns),
    bounded and checked as any returned file (size, entries, ratio, CRC, no absolute or ``..`` paths); folders
    are left out. Raises :class:`IntakeError` for an archive that cannot be opened so."""
    data = read_bounded(path)
    if not data.startswith(ZIP_MAGIC):
        raise foreign(path, "unknown")
    members = _bounded_members(path, data)
    return [(name, _inflate(path, data, name, member)) for name, member in members.items() if not name.endswith("/")]


def _document_format(path: Path, head: bytes) -> FileFormat | None:
    """A published report's format sniffed from its first bytes: web page (HTML, MHTML), PDF, or a text copy."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<html", b"<!doctype", b"mime-version:")) or b"<html" in text[:512]:
        return "html"
    if b"mime-version:" in text and b"multipart/related" in text:  # MHTML as browsers save it ("From: <Saved…")
        return "html"
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "pdf"
    if path.suffix.lower() in TEXT_SUFFIXES and b"\x00" not in head:
        return "text"
    return None


def read_bounded(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES`; anything else is refused, never opened in a
    way that could block (a FIFO), or read past the limit (a link to /dev/zero, a file that grows)."""
    try:
        info = path.stat()  # follows links: a link is read when it points to a regular file
        if not stat.S_ISREG(info.st_mode):
            raise _refuse("F005", "not_regular", path, "not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise _refuse("F003", "file_size", path, "file too large", mib=info.st_size >> 20)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags)
        with os.fdopen(fd, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):  # swapped since the stat above
                raise _refuse("F005", "not_regular_now", path, "not a regular file")
            # Ask for what the file holds (plus one byte to see it grow), not for the limit: a read of the
            # limit allocates 20 MiB for every file, however small.
            data = stream.read(min(info.st_size, MAX_FILE_BYTES) + 1)
            if len(data) > info.st_size:  # it grew since the stat: read on, up to the limit
                data += stream.read(MAX_FILE_BYTES + 1 - len(data))
    except OSError as exc:
        raise _refuse("F005", "os_error", path, "cannot read the file", error=exc.strerror or exc) from None
    if len(data) > MAX_FILE_BYTES:
        raise _refuse("F003", "file_limit", path, "file too large", mib=MAX_FILE_BYTES >> 20)
    return data


def admit(path: str | Path, *, documents: bool = False) -> Intake:
    """Read a file's bytes and decide whether it may be parsed; raises :class:`IntakeError` otherwise.

    With ``documents``, published reports (Word, PDF, web page, text copy) are admitted too, as formats of
    :data:`DOCUMENT_FORMATS` for :mod:`giptemplate.published`."""
    path = Path(path)
    data = read_bounded(path)
    if not data:
        raise _refuse("F005", "empty", path, "empty file")
    head = data[:1024]
    members: dict[str, ZipMember] = {}
    if head.startswith(ZIP_MAGIC):
        file_format, members = _check_zip(path, data, documents)
    elif head.startswith(OLE_MAGIC):
        file_format = _check_ole(path, data)
    elif head.startswith(b"PK"):
        raise _refuse("F005", "", path, "corrupt zip")
    else:
        document = _document_format(path, head) if documents else None
        if document is None:
            raise _sniff_text(path, head)
        file_format = document
    return Intake(path, data, hashlib.sha256(data).hexdigest(), file_format, members)


def too_large(path: Path, sheet: str, extent: Extent) -> IntakeError:
    """The refusal of a sheet whose cells reach too far for calamine to lay out (see :mod:`.extent`)."""
    english = "a sheet reaches too far to be read"
    reach = {"corner": extent.corner, "rows": extent.rows, "cols": extent.cols}
    if sheet:
        return _refuse("F003", "sheet_extent", path, english, sheet=sheet, **reach)
    return _refuse("F003", "book_extent", path, english, **reach)


def _bound_layout(intake: Intake) -> None:
    """Refuse an .xls or .ods whose sheets calamine would lay out too large: it lays them all out while opening."""
    if intake.file_format == "ods":
        content = intake.part("content.xml") or b""
        extents = ods_extents(content)
    elif intake.file_format == "xls":
        extents = xls_extents(_biff_stream(intake.data))
    else:
        return  # .xlsx sheets are laid out one by one, and bounded by the reader before each
    total = 0
    for extent in extents:
        total += extent.cells
        if extent.cells > MAX_SHEET_CELLS or total > MAX_BOOK_CELLS:
            raise too_large(intake.path, "", extent)


def boolean_formulas(intake: Intake) -> dict[str, frozenset[tuple[int, int]]]:
    """(row, column) of the cells of an .xls whose formula is =TRUE() or =FALSE(), per sheet name (see
    :func:`giptemplate.files.extent.xls_boolean_formulas`); nothing for other formats, which keep the type."""
    if intake.file_format != "xls":
        return {}
    return xls_boolean_formulas(_biff_stream(intake.data))


def _biff_stream(data: bytes) -> bytes:
    import olefile  # lazy: olefile only for legacy .xls/.et containers

    try:
        with olefile.OleFileIO(data) as ole:
            for name in ("Workbook", "Book"):
                if ole.exists(name):
                    return bytes(ole.openstream(name).read())
    except Exception:  # a damaged container: calamine's refusal says it better
        return b""
    return b""


def is_parser_panic(exc: BaseException) -> bool:
    """A Rust panic inside calamine (pyo3's PanicException derives from BaseException, not Exception): a damaged
    file, to be refused like any other, never a reason to stop the process."""
    return type(exc).__name__ == "PanicException"


def open_calamine(intake: Intake) -> python_calamine.CalamineWorkbook:
    """Open an admitted file with calamine, turning its failures into intake refusals."""
    _bound_layout(intake)
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(intake.data))
    except BaseException as exc:
        if not isinstance(exc, Exception) and not is_parser_panic(exc):
            raise
        refusal = calamine_refusal(intake.path, exc)
        if refusal.code == "F005" and intake.path.suffix.lower() == ".et":
            raise foreign(intake.path, "et") from None
        if refusal.code == "F005":
            # calamine tries every format in turn and reports only "Cannot detect file format", which hides
            # an entity it refused in shared strings or styles: look for the declaration ourselves.
            for name in intake.members:
                if name.endswith((".xml", ".rels")):
                    intake.part(name)  # raises F004 on an entity declaration
        raise refusal from None


def calamine_refusal(path: Path, exc: BaseException) -> IntakeError:
    """The intake refusal for a python-calamine failure (opening the workbook or reading one of its sheets)."""
    if isinstance(exc, python_calamine.PasswordError):
        return _refuse("F002", "", path, "the file is protected by a password")
    if isinstance(exc, python_calamine.XmlError):
        if "entity" in str(exc).lower():
            return _refuse("F004", "", path, "XML entity expansion refused")
        return _refuse("F005", "xml", path, "corrupt workbook XML")
    if isinstance(exc, python_calamine.ZipError):
        return _refuse("F005", "", path, "truncated or corrupt workbook")
    if isinstance(exc, python_calamine.CalamineError):
        return _refuse("F005", "unparsable", path, "the workbook cannot be parsed")
    return _refuse("F005", "unparsable_type", path, "the workbook cannot be parsed", error=type(exc).__name__)


def open_workbook(path: str | Path) -> python_calamine.CalamineWorkbook:
    return open_calamine(admit(path))
