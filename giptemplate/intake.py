"""Intake: decide whether a returned file may be parsed at all, before any parser sees it.

Sniffs the bytes (never the extension), bounds zip archives (size, entries, ratio, entry names), tells
password-protected files apart, and opens the workbook with python-calamine. Each refusal is an
:class:`IntakeError` with its F0xx code and one line in Chinese with English.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import openpyxl
import python_calamine

from giptemplate.errors import IntakeError

# openpyxl parses through defusedxml when it is installed; a template reader must never run without it.
assert openpyxl.DEFUSEDXML, "defusedxml must be installed (XML entity bombs)"

MAX_FILE_BYTES = 20 * 2**20
MAX_ENTRIES = 500
MAX_INFLATED_BYTES = 100 * 2**20
MAX_RATIO = 100
RATIO_FLOOR = 100 * 2**10  # the ratio test applies to entries larger than this

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"

FileFormat = Literal["xlsx", "xlsm", "xls", "ods"]
ENTITY_DECLARATION = b"<!ENTITY"


@dataclass(frozen=True)
class ZipMember:
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
        data = self.data
        start = member.offset
        if data[start : start + 4] != ZIP_MAGIC:
            raise _refuse("F005", self.path, f"文件已损坏（{name} 无法读取）", "corrupt zip member header")
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
        except (zlib.error, zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
            raise _refuse("F005", self.path, f"文件已损坏（{name} 无法解压）", "corrupt zip member") from None
        if len(out) != member.size or zlib.crc32(out) != member.crc:
            raise _refuse("F005", self.path, f"文件不完整或已损坏（{name} 校验失败）", "zip member fails its CRC")
        if out.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                out = out.decode("utf-16").encode("utf-8")
            except UnicodeDecodeError:
                raise _refuse("F005", self.path, f"文件已损坏（{name} 编码错误）", "bad UTF-16 part") from None
        if ENTITY_DECLARATION in out:
            raise _refuse(
                "F004", self.path, "文件含有 XML 实体定义，已拒绝（XML 炸弹防护）", "XML entity declaration refused"
            )
        return out


def _refuse(code: str, path: Path, chinese: str, english: str) -> IntakeError:
    return IntakeError(code, f"{path.name}：{chinese} ({english})")


def _sniff_text(path: Path, head: bytes) -> IntakeError:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<html", b"<!doctype", b"mime-version:")) or b"<html" in text[:512]:
        return _refuse(
            "F001",
            path,
            "是网页文件（HTML），不是 Excel 工作簿，请用 Excel 或 WPS 另存为 .xlsx 后重新报送",
            "an HTML page saved with a spreadsheet name",
        )
    if text.startswith(b"<?xml"):
        return _refuse(
            "F001",
            path,
            "是 XML 文件（如 Excel 2003 XML），不是 .xlsx 工作簿，请另存为 .xlsx 后重新报送",
            "an XML file, not an xlsx workbook",
        )
    if head.startswith(b"%PDF"):
        return _refuse("F001", path, "是 PDF 文件，不是 Excel 工作簿", "a PDF, not a spreadsheet")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        return _refuse("F001", path, "是图片文件，不是 Excel 工作簿", "an image, not a spreadsheet")
    return _refuse("F001", path, "不是电子表格文件（无法识别文件类型）", "not a spreadsheet: unknown file type")


def _check_zip(path: Path, data: bytes) -> tuple[FileFormat, dict[str, ZipMember]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _refuse("F005", path, "文件不完整或已损坏（压缩包无法打开）", "truncated or corrupt zip") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise _refuse("F003", path, f"压缩包条目过多（{len(infos)} 个），拒绝处理", "too many zip entries")
        total = 0
        members: dict[str, ZipMember] = {}
        for info in infos:
            name = info.filename
            if info.flag_bits & 0x1:
                raise _refuse("F002", path, "文件设置了密码（加密压缩），请取消密码后重新报送", "encrypted zip entries")
            members[name] = ZipMember(
                info.header_offset, info.compress_size, info.file_size, info.compress_type, info.CRC
            )
            if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
                raise _refuse("F003", path, f"压缩包含不安全的路径 {name!r}", "unsafe zip entry name")
            total += info.file_size
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise _refuse(
                    "F003", path, f"压缩比异常（{name}），疑似压缩炸弹", "suspicious compression ratio: zip bomb"
                )
        if total > MAX_INFLATED_BYTES:
            raise _refuse("F003", path, "解压后体积过大，疑似压缩炸弹", "uncompressed size too large: zip bomb")
        names = set(members)
        if "mimetype" in names:
            try:
                mimetype = archive.read("mimetype")
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError):
                raise _refuse("F005", path, "文件不完整或已损坏", "corrupt zip member") from None
            if mimetype.strip() == ODS_MIME:
                return "ods", members
            raise _refuse(
                "F001", path, "是其他类型的文档，不是电子表格", "an OpenDocument file that is not a spreadsheet"
            )
        if "xl/workbook.xml" in names:
            content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
            return ("xlsm" if b"macroEnabled" in content_types else "xlsx"), members
        if "word/document.xml" in names:
            raise _refuse("F001", path, "是 Word 文档，不是 Excel 工作簿", "a Word document, not a spreadsheet")
        raise _refuse("F001", path, "是压缩包，但不是 Excel 工作簿", "a zip archive that is not a workbook")


def _check_ole(path: Path, data: bytes) -> FileFormat:
    import msoffcrypto
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
        raise _refuse("F002", path, "文件设置了打开密码，请取消密码后重新报送", "the file is protected by a password")
    return "xls"


def admit(path: str | Path) -> Intake:
    """Read a file's bytes and decide whether it may be parsed; raises :class:`IntakeError` otherwise."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _refuse("F003", path, f"文件过大（{size >> 20} MiB），拒绝处理", "file too large")
        data = path.read_bytes()
    except OSError as exc:
        raise _refuse("F005", path, f"无法读取文件：{exc.strerror}", "cannot read the file") from None
    if not data:
        raise _refuse("F005", path, "文件为空（0 字节）", "empty file")
    head = data[:1024]
    members: dict[str, ZipMember] = {}
    if head.startswith(ZIP_MAGIC):
        file_format, members = _check_zip(path, data)
    elif head.startswith(OLE_MAGIC):
        file_format = _check_ole(path, data)
    elif head.startswith(b"PK"):
        raise _refuse("F005", path, "文件不完整或已损坏", "corrupt zip")
    else:
        raise _sniff_text(path, head)
    return Intake(path, data, hashlib.sha256(data).hexdigest(), file_format, members)


def open_calamine(intake: Intake) -> python_calamine.CalamineWorkbook:
    """Open an admitted file with calamine, turning its failures into intake refusals."""
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(intake.data))
    except Exception as exc:
        refusal = calamine_refusal(intake.path, exc)
        if refusal.code == "F005":
            # calamine tries every format in turn and reports only "Cannot detect file format", which hides
            # an entity it refused in shared strings or styles: look for the declaration ourselves.
            for name in intake.members:
                if name.endswith((".xml", ".rels")):
                    intake.part(name)  # raises F004 on an entity declaration
        raise refusal from None


def calamine_refusal(path: Path, exc: Exception) -> IntakeError:
    """The intake refusal for a python-calamine failure (opening the workbook or reading one of its sheets)."""
    if isinstance(exc, python_calamine.PasswordError):
        return _refuse("F002", path, "文件设置了打开密码，请取消密码后重新报送", "the file is protected by a password")
    if isinstance(exc, python_calamine.XmlError):
        if "entity" in str(exc).lower():
            return _refuse(
                "F004", path, "文件含有 XML 实体定义，已拒绝（XML 炸弹防护）", "XML entity expansion refused"
            )
        return _refuse("F005", path, "文件内容已损坏（XML 错误）", "corrupt workbook XML")
    if isinstance(exc, python_calamine.ZipError):
        return _refuse("F005", path, "文件不完整或已损坏", "truncated or corrupt workbook")
    if isinstance(exc, python_calamine.CalamineError):
        return _refuse("F005", path, "文件无法解析，可能已损坏", "the workbook cannot be parsed")
    return _refuse("F005", path, f"文件无法解析，可能已损坏（{type(exc).__name__}）", "the workbook cannot be parsed")


def open_workbook(path: str | Path) -> python_calamine.CalamineWorkbook:
    return open_calamine(admit(path))
