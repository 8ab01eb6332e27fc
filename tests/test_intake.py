"""Intake: files refused before any parser sees them, each with its F0xx code and one line; real files admitted."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from giptemplate.errors import IntakeError
from giptemplate.files.intake import MAX_ENTRIES, RATIO_FLOOR, _central_directory, admit, open_calamine
from giptemplate.format.spec import Spec
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.writer import write_template


@pytest.fixture(scope="module")
def template(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("intake") / "template.xlsx"
    write_template(path, year=2024, unit_name="某局", scope="本机关", values={"t3.R1.c1": 3}, spec=spec)
    return path


def _refused(path: Path, code: str) -> str:
    with pytest.raises(IntakeError) as caught:
        read_workbook(path)
    error = caught.value
    assert error.code == code, error.message
    assert "\n" not in error.message and error.message.startswith(path.name + "：")
    return error.message


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("name", "content", "word"),
    [
        ("report.xls", b"<html><head><meta charset='utf-8'></head><body><table></table></body></html>", "HTML"),
        ("report.xls", b"\xef\xbb\xbf  <!DOCTYPE html><html></html>", "HTML"),
        ("report.xls", b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=x\r\n", "HTML"),
        ("report.xls", b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>', "XML"),
        ("report.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
        ("report.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "图片"),
        ("report.xlsx", b"\xff\xd8\xff\xe0\x00\x10JFIF", "图片"),
        ("report.xlsx", "填报单位,某局\n报告年度,2024\n".encode(), "无法识别"),
    ],
)
def test_not_a_spreadsheet(tmp_path: Path, name: str, content: bytes, word: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert word in _refused(path, "F001")


def test_word_and_other_opendocument_files(tmp_path: Path) -> None:
    docx = _zip(tmp_path / "report.xlsx", {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    assert "Word" in _refused(docx, "F001")
    odt = _zip(tmp_path / "report.ods", {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b""})
    _refused(odt, "F001")
    plain = _zip(tmp_path / "archive.xlsx", {"readme.txt": b"hello"})
    _refused(plain, "F001")


def test_empty_and_truncated(template: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    assert "空" in _refused(empty, "F005")
    data = template.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 10):
        truncated = tmp_path / f"cut{cut}.xlsx"
        truncated.write_bytes(data[:cut])
        _refused(truncated, "F005")
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"PK\x05\x06" + b"\x00" * 40)
    _refused(garbage, "F005")


def test_corrupt_member_is_refused(template: Path, tmp_path: Path) -> None:
    data = bytearray(template.read_bytes())
    with zipfile.ZipFile(template) as z:
        info = z.getinfo("docProps/custom.xml")
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0xFF  # flip bits inside the deflated stream
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(bytes(data))
    _refused(broken, "F005")


def test_missing_file(tmp_path: Path) -> None:
    _refused(tmp_path / "nowhere.xlsx", "F005")


def test_password_protected(template: Path, tmp_path: Path) -> None:
    encrypted = tmp_path / "encrypted.xlsx"
    with template.open("rb") as plain, encrypted.open("wb") as out:
        OOXMLFile(plain).encrypt("secret", out)
    assert encrypted.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE container, like an .xls
    assert "密码" in _refused(encrypted, "F002")


def test_zip_bomb(tmp_path: Path) -> None:
    bomb = _zip(
        tmp_path / "bomb.xlsx",
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/sharedStrings.xml": bytes(20 << 20),
        },
    )
    assert bomb.stat().st_size < 100_000
    assert "炸弹" in _refused(bomb, "F003")


def test_ratio_guard_spares_small_members(tmp_path: Path) -> None:
    """Highly compressible but small parts (a sheet of empty cells) are normal."""
    small = bytes(RATIO_FLOOR)
    path = _zip(tmp_path / "small.xlsx", {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": small})
    assert admit(path).file_format == "xlsx"


def test_too_many_entries_and_unsafe_names(tmp_path: Path) -> None:
    many = _zip(tmp_path / "many.xlsx", {f"xl/part{i}.xml": b"" for i in range(MAX_ENTRIES + 1)})
    _refused(many, "F003")
    for name in ("../evil.xml", "/etc/passwd", "xl/../../evil.xml"):
        unsafe = _zip(tmp_path / "unsafe.xlsx", {"xl/workbook.xml": b"<workbook/>", name: b""})
        _refused(unsafe, "F003")


def test_encrypted_zip_entries(tmp_path: Path) -> None:
    path = _zip(tmp_path / "zipcrypto.xlsx", {"xl/workbook.xml": b"<workbook/>"}, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set "encrypted" in both headers
        at = data.find(sig)
        data[at + flag_at] |= 0x1
    path.write_bytes(bytes(data))
    _refused(path, "F002")


def test_admits_real_workbooks_by_their_bytes(template: Path, tmp_path: Path) -> None:
    intake = admit(template)
    assert intake.file_format == "xlsx" and intake.data == template.read_bytes() and len(intake.sha256) == 64
    assert "xl/workbook.xml" in intake.members
    disguised = tmp_path / "report.ods"
    disguised.write_bytes(template.read_bytes())
    assert admit(disguised).file_format == "xlsx"
    assert open_calamine(admit(disguised)).sheet_names[0]


def test_parts_are_read_in_memory(template: Path) -> None:
    intake = admit(template)
    with zipfile.ZipFile(template) as z:
        for name in z.namelist():
            assert intake.part(name) == z.read(name)
    assert intake.part("no/such/part.xml") is None


def test_stored_members_and_entities(tmp_path: Path) -> None:
    stored = _zip(
        tmp_path / "stored.xlsx",
        {"xl/workbook.xml": b"<workbook/>", "docProps/app.xml": b"<Properties/>"},
        zipfile.ZIP_STORED,
    )
    assert admit(stored).part("docProps/app.xml") == b"<Properties/>"
    entity = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><Properties>&e;</Properties>'
    with_entity = _zip(tmp_path / "entity.xlsx", {"xl/workbook.xml": b"<workbook/>", "docProps/app.xml": entity})
    with pytest.raises(IntakeError) as caught:
        admit(with_entity).part("docProps/app.xml")
    assert caught.value.code == "F004"


def test_utf16_parts_are_read_as_utf8(tmp_path: Path) -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><Properties><Application>某软件</Application></Properties>'
    path = _zip(tmp_path / "utf16.xlsx", {"xl/workbook.xml": b"<workbook/>", "docProps/app.xml": text.encode("utf-16")})
    assert "某软件".encode() in (admit(path).part("docProps/app.xml") or b"")


def test_calamine_failures_become_refusals(tmp_path: Path) -> None:
    # a zip that passes intake as an xlsx but whose workbook part is no XML at all
    broken = _zip(
        tmp_path / "broken.xlsx",
        {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": zlib.compress(b"not xml")},
    )
    with pytest.raises(IntakeError) as caught:
        open_calamine(admit(broken))
    assert caught.value.code == "F005"


def _directory_of_zipfile(path: Path) -> dict[str, tuple[int, int, int, int, int, int]]:
    with zipfile.ZipFile(path) as z:
        return {
            i.filename: (i.flag_bits, i.header_offset, i.compress_size, i.file_size, i.compress_type, i.CRC)
            for i in z.infolist()
        }


def test_central_directory_matches_zipfile(template: Path, tmp_path: Path) -> None:
    utf8 = _zip(tmp_path / "names.xlsx", {"xl/workbook.xml": b"<workbook/>", "xl/media/图片 1.png": b"x" * 10})
    stored = _zip(tmp_path / "stored.xlsx", {"xl/workbook.xml": b"<workbook/>"}, zipfile.ZIP_STORED)
    for path in (template, utf8, stored):
        entries = _central_directory(path.read_bytes())
        assert entries is not None
        mine = {n: (f, m.offset, m.compressed, m.size, m.method, m.crc) for n, f, m in entries}
        assert mine == _directory_of_zipfile(path)


def test_unusual_archives_fall_back_to_zipfile(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = template.read_bytes()
    assert _central_directory(data[:-30]) is None  # a damaged end record is left to zipfile (which refuses it)
    commented = tmp_path / "commented.xlsx"
    with zipfile.ZipFile(commented, "w") as z:
        z.writestr("xl/workbook.xml", b"<workbook/>")
        z.comment = "由某软件保存".encode()
    assert _central_directory(commented.read_bytes()) is not None
    assert admit(commented).part("xl/workbook.xml") == b"<workbook/>"
    fast = admit(template).members
    monkeypatch.setattr("giptemplate.files.intake._central_directory", lambda data: None)
    assert admit(template).members == fast
