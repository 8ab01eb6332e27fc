"""Intake: decide whether a returned file may be parsed at all, before any parser sees it.

Sniffs the bytes (never the extension), bounds zip archives (size, entries, ratio, entry names), tells
password-protected files apart, and opens the workbook with python-calamine. Each refusal is an
:class:`IntakeError` with its F0xx code and one line in Chinese with English.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Intake:
    """A file that passed intake: its bytes, digest and sniffed format."""

    path: Path
    data: bytes
    sha256: str
    file_format: FileFormat


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


def _check_zip(path: Path, data: bytes) -> FileFormat:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _refuse("F005", path, "文件不完整或已损坏（压缩包无法打开）", "truncated or corrupt zip") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise _refuse("F003", path, f"压缩包条目过多（{len(infos)} 个），拒绝处理", "too many zip entries")
        total = 0
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
                raise _refuse("F003", path, f"压缩包含不安全的路径 {name!r}", "unsafe zip entry name")
            total += info.file_size
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise _refuse(
                    "F003", path, f"压缩比异常（{name}），疑似压缩炸弹", "suspicious compression ratio: zip bomb"
                )
        if total > MAX_INFLATED_BYTES:
            raise _refuse("F003", path, "解压后体积过大，疑似压缩炸弹", "uncompressed size too large: zip bomb")
        names = {i.filename for i in infos}
        if "mimetype" in names:
            if archive.read("mimetype").strip() == ODS_MIME:
                return "ods"
            raise _refuse(
                "F001", path, "是其他类型的文档，不是电子表格", "an OpenDocument file that is not a spreadsheet"
            )
        if "xl/workbook.xml" in names:
            content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
            return "xlsm" if b"macroEnabled" in content_types else "xlsx"
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
    if head.startswith(ZIP_MAGIC):
        file_format = _check_zip(path, data)
    elif head.startswith(OLE_MAGIC):
        file_format = _check_ole(path, data)
    elif head.startswith(b"PK"):
        raise _refuse("F005", path, "文件不完整或已损坏", "corrupt zip")
    else:
        raise _sniff_text(path, head)
    return Intake(path, data, hashlib.sha256(data).hexdigest(), file_format)


def open_calamine(intake: Intake) -> python_calamine.CalamineWorkbook:
    """Open an admitted file with calamine, turning its failures into intake refusals."""
    path = intake.path
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(intake.data))
    except python_calamine.PasswordError:
        raise _refuse(
            "F002", path, "文件设置了打开密码，请取消密码后重新报送", "the file is protected by a password"
        ) from None
    except python_calamine.XmlError as exc:
        if "entity" in str(exc).lower():
            raise _refuse(
                "F004", path, "文件含有 XML 实体定义，已拒绝（XML 炸弹防护）", "XML entity expansion refused"
            ) from None
        raise _refuse("F005", path, "文件内容已损坏（XML 错误）", "corrupt workbook XML") from None
    except python_calamine.ZipError:
        raise _refuse("F005", path, "文件不完整或已损坏", "truncated or corrupt workbook") from None
    except python_calamine.CalamineError:
        raise _refuse("F005", path, "文件无法解析，可能已损坏", "the workbook cannot be parsed") from None
    except Exception as exc:
        raise _refuse(
            "F005", path, f"文件无法解析，可能已损坏（{type(exc).__name__}）", "the workbook cannot be parsed"
        ) from None


def open_workbook(path: str | Path) -> python_calamine.CalamineWorkbook:
    return open_calamine(admit(path))
