"""统一社会信用代码 (GB 32100-2015): the check digit, in Python and as the live formula on the cover sheet."""

from __future__ import annotations

from typing import Literal

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18

Verdict = Literal["ok", "bad_check_digit", "bad_character", "not_uscc", "empty"]

STATUS_TEXT: dict[Verdict, str] = {
    "ok": "✓",
    "bad_check_digit": "✗ 校验位错误",
    "bad_character": "✗ 含非法字符",
    "not_uscc": "（非18位，未校验）",
    "empty": "",
}


def check_digit(first17: str) -> str:
    total = sum(CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _spreadsheet_text(code: str) -> str:
    """The code as UPPER(TRIM(cell)) sees it.

    TRIM drops only ASCII spaces at the ends and shrinks inner runs of them to one; tabs, U+3000 and U+00A0 stay.
    UPPER maps letters one to one (no "ß" -> "SS"), which for the check-digit alphabet means ASCII only.
    Lengths count code points, as LibreOffice does (Excel counts a character outside the BMP twice; no real
    code contains one).
    """
    return " ".join(part for part in code.split(" ") if part).translate(_ASCII_UPPER)


def verify(code: str) -> Verdict:
    """Judge a code exactly as the cover sheet's live formula does (same trimming, upper-casing and length)."""
    text = _spreadsheet_text(code)
    if not text:
        return "empty"
    if len(text) != LENGTH:
        return "not_uscc"
    if any(ch not in CHARSET for ch in text[:17]):
        return "bad_character"
    return "ok" if check_digit(text[:17]) == text[17] else "bad_check_digit"


def status_formula(cell: str) -> str:
    """Excel formula mirroring :func:`verify` for the code in ``cell`` (e.g. ``$B$4``)."""
    code = f"UPPER(TRIM({cell}))"
    positions = "{" + ",".join(str(i) for i in range(1, 18)) + "}"
    weights = "{" + ",".join(str(w) for w in WEIGHTS) + "}"
    weighted = f'SUMPRODUCT((FIND(MID({code},{positions},1),"{CHARSET}")-1)*{weights})'
    expected = f'MID("{CHARSET}",MOD(31-MOD({weighted},31),31)+1,1)'
    return (
        f'=IF(LEN({code})=0,"{STATUS_TEXT["empty"]}",IF(LEN({code})<>{LENGTH},"{STATUS_TEXT["not_uscc"]}",'
        f'IFERROR(IF({expected}=RIGHT({code},1),"{STATUS_TEXT["ok"]}","{STATUS_TEXT["bad_check_digit"]}"),'
        f'"{STATUS_TEXT["bad_character"]}")))'
    )
