"""Normalisation of what people type (gip-format.md C2): comparison keys for labels, numbers for values.

Labels are never rewritten, only compared through :func:`label_key`, applied to both sides. Values are parsed
by :func:`parse_value`, which records every liberty it took (``Normalisation`` codes of the submission model)
so the checks can report it; it never raises on odd input.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from giptemplate.format.arithmetic import Number
from giptemplate.format.spec import COUNT, CellType
from giptemplate.workbook.submission import CellState, Normalisation

# ---------------------------------------------------------------------------------------------- labels

# NFKC folds full-width digits, brackets, ．，： and U+3000/U+00A0; these it leaves alone (C2).
_LABEL_MAP: Final = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "‘": '"',
        "’": '"',
        "'": '"',
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "〝": '"',
        "〞": '"',
        "、": ".",
        "〔": "(",
        "〕": ")",
        "【": "(",
        "】": ")",
        "[": "(",
        "]": ")",
        "\u2212": "-",
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)
_SPACES: Final = re.compile(r"\s+")
TYPO_RATIO: Final = 0.75  # SequenceMatcher ratio from which a differing label counts as a mis-typed one


def label_key(text: object) -> str:
    """The comparison key of a label: NFKC, quotes/、/brackets unified, every kind of space and line break removed."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", text if isinstance(text, str) else str(text)).translate(_LABEL_MAP)
    return _SPACES.sub("", folded).lower()


def similarity(found_key: str, expected_key: str) -> float:
    """How alike two label keys are (0–1): a dropped or swapped character keeps it high."""
    if not found_key or not expected_key:
        return 0.0
    return difflib.SequenceMatcher(None, found_key, expected_key, autojunk=False).ratio()


def is_near_miss(found_key: str, expected_key: str) -> bool:
    """A mis-typed version of ``expected_key`` (not equal, but close enough to be the same label)."""
    return found_key != expected_key and similarity(found_key, expected_key) >= TYPO_RATIO


# ---------------------------------------------------------------------------------------------- values

# Typed words that mean "nothing" (C2); compared after NFKC and stripping. Read as blank, never as 0.
BLANK_WORDS: Final = frozenset({"—", "——", "-", "--", "–", "/", "无", "空", "\\"})
# Unit words that may follow a count ("12件"; "2笔" for the purchases of 政府集中采购).
COUNT_UNITS: Final = ("人次", "件", "个", "项", "次", "条", "份", "宗", "起", "例", "人", "家", "篇", "部", "笔")
# Money unit words and their worth in 元: an amount typed with another unit than its cell's is converted.
MONEY_UNITS: Final = (("万元", Decimal(10000)), ("万", Decimal(10000)), ("元", Decimal(1)))
_NOTE_OPENERS: Final = ("(", "（", "[", "【", "〔", "<", "《", ",", ";", "，", "；", ":", "：")
_NOTE_WORDS: Final = ("其中", "含", "包括", "包含", "另", "注", "备注", "内含")
_NOTE_BRACKETS: Final = "()（）[]【】〔〕<>《》,;，；:： "
_INVISIBLE: Final = str.maketrans({"\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None})
_NUMBER: Final = re.compile(r"([+-]?)(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d+))?")
_FULL_WIDTH: Final = re.compile(r"[\uff10-\uff19\uff0e]")  # full-width digits and ．
_ERROR_TEXT: Final = re.compile(r"#(?:DIV/0!|N/A|NAME\?|NULL!|NUM!|REF!|VALUE!|GETTING_DATA|SPILL!|CALC!)|Err:\d+")

Problem = str  # "not_number" / "negative" / "not_whole" / "not_finite" / "too_large", "" when fine
# Beyond anything a report holds, and beyond what a spreadsheet stores exactly (15 significant digits): a number
# larger than this is never used, whatever the cell (the spec's own limits are tighter for typed cells).
ABSURD: Final = 10**15


@dataclass(frozen=True, slots=True)
class Parsed:
    """The reading of one typed value."""

    value: Number | None  # usable number (None when blank, invalid or an error)
    state: CellState
    normalisations: tuple[Normalisation, ...] = ()
    note: str = ""
    number: Number | None = None  # the number the text spells even when it is not usable (-3, 3.5)
    problem: Problem = ""


BLANK: Final = Parsed(None, "blank")
_NOT_NUMBER: Final = Parsed(None, "invalid", problem="not_number")


def _fee_from_float(x: float) -> Decimal:
    # Excel and WPS show at most 15 significant digits: 0.1 + 0.2 is displayed, and meant, as 0.3, not as the
    # binary 0.30000000000000004 that the file stores.
    return Decimal(format(x, ".15g"))


def _finish(
    number: Decimal | int,
    cell_type: CellType,
    norms: tuple[Normalisation, ...],
    note: str,
    maximum: int = ABSURD,
) -> Parsed:
    """Type a parsed number for its cell: counts become int (integral only), amounts Decimal; negatives (unless
    the type is signed) and numbers beyond ``maximum`` invalid."""
    if number > maximum or (cell_type.signed and -number > maximum):
        return Parsed(None, "invalid", norms, note, number, "too_large")
    if not cell_type.integral:
        amount = number if isinstance(number, Decimal) else Decimal(number)
        if amount < 0 and not cell_type.signed:
            return Parsed(None, "invalid", norms, note, amount, "negative")
        return Parsed(amount, "ok", norms, note, amount)
    if isinstance(number, Decimal):
        if number != number.to_integral_value():
            return Parsed(None, "invalid", norms, note, number, "not_whole")
        number = int(number)
    if number < 0 and not cell_type.signed:
        return Parsed(None, "invalid", norms, note, number, "negative")
    return Parsed(number, "ok", norms, note, number)


def parse_value(raw: object, cell_type: CellType = COUNT, maximum: int = ABSURD) -> Parsed:
    """Read one cell's content as the number it stands for, recording each normalisation applied.

    ``raw`` is what the spreadsheet reader returned: None or "" (empty), int, float, str, bool, a date. A number
    above ``maximum`` (the template's limit for the cell) is read as invalid (``too_large``), never as a value.
    """
    if raw is None or raw == "":
        return BLANK
    kind = type(raw)
    if kind is float:
        x: float = raw  # type: ignore[assignment]
        if not math.isfinite(x):
            return Parsed(None, "invalid", problem="not_finite")
        if x > maximum or (cell_type.signed and -x > maximum):
            return Parsed(None, "invalid", number=_fee_from_float(x), problem="too_large")
        if not cell_type.integral:
            return _finish(_fee_from_float(x), cell_type, (), "", maximum)
        if x.is_integer():
            return _finish(int(x), cell_type, (), "", maximum)
        return _finish(_fee_from_float(x), cell_type, (), "", maximum)
    if kind is int:
        return _finish(raw, cell_type, (), "", maximum)  # type: ignore[arg-type]
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            return Parsed(None, "invalid", problem="not_finite")
        return _finish(raw, cell_type, (), "", maximum)
    if isinstance(raw, str):
        return parse_text(raw, cell_type, maximum)
    # bool, dates and times: "1-2" typed into a cell becomes a date, never a count
    return _NOT_NUMBER


def parse_text(text: str, cell_type: CellType = COUNT, maximum: int = ABSURD) -> Parsed:
    """Read a number typed as text (C2): spaces, full-width forms, separators, unit words, annotations."""
    norms: list[Normalisation] = []
    cleaned = text.translate(_INVISIBLE)
    stripped = cleaned.strip()
    if not stripped:
        return Parsed(None, "blank", ("blank_word",))
    if _ERROR_TEXT.fullmatch(stripped):
        return Parsed(None, "error")
    folded = unicodedata.normalize("NFKC", stripped).replace("\u2212", "-")
    if folded in BLANK_WORDS or (len(folded) > 1 and set(folded) <= {"—", "-", "–", "_"}):
        return Parsed(None, "blank", ("blank_word",))
    full_width = _FULL_WIDTH.search(stripped) is not None
    match = _NUMBER.match(folded)
    if match is None or not (match.group(2) or match.group(3)):
        return _NOT_NUMBER
    sign, whole, fraction = match.groups()
    rest = folded[match.end() :].strip()
    if rest[:1].isdigit() or rest[:1] == "." or (rest[:1] == "," and rest[1:2].isdigit()):
        return _NOT_NUMBER  # "1.2.3", "12 34", "1,23"
    norms.append("text_number")
    if cleaned != stripped:
        norms.append("spaces")
    if full_width:
        norms.append("full_width")
    if "," in whole:
        norms.append("thousands")
    digits = whole.replace(",", "") or "0"
    try:
        number = Decimal(f"{sign}{digits}.{fraction}") if fraction else Decimal(f"{sign}{digits}")
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        return _NOT_NUMBER
    if not rest:
        return _finish(number, cell_type, tuple(norms), "", maximum)
    note = ""
    unit, rest = _split_unit(rest, cell_type)
    if isinstance(unit, Decimal):
        number = number * unit
        norms.append("unit_converted")
    elif unit == "same":
        norms.append("unit_matches")
    elif unit == "count":
        norms.append("unit_word")
    if rest:
        if not rest.startswith(_NOTE_OPENERS + _NOTE_WORDS):
            return Parsed(None, "invalid", tuple(norms), "", number, "not_number")
        note = rest.strip(_NOTE_BRACKETS)
        norms.append("annotation")
    return _finish(number, cell_type, tuple(norms), note, maximum)


def _split_unit(rest: str, cell_type: CellType) -> tuple[str | Decimal, str]:
    """The unit word at the start of ``rest`` and what follows it: "count" / "same" / "" or, for an amount in
    another money unit than its cell's, the factor that converts it ("250元" in a 万元 cell: 1/10000)."""
    if not cell_type.integral:
        cell_worth = next((worth for word, worth in MONEY_UNITS if word == cell_type.unit), None)
        for word, worth in MONEY_UNITS:
            if rest.startswith(word):
                after = rest[len(word) :].strip()
                if cell_worth is None or worth == cell_worth:
                    return "same", after
                return worth / cell_worth, after
        return "", rest
    for word in COUNT_UNITS:
        if rest.startswith(word):
            return "count", rest[len(word) :].strip()
    return "", rest


def is_error_text(text: str) -> bool:
    """A spreadsheet error value as text (#DIV/0!, #REF!, LibreOffice's Err:502...)."""
    return _ERROR_TEXT.fullmatch(text.strip()) is not None


# ---------------------------------------------------------------------------------------------- text fields


def field_text(raw: object) -> str:
    """A cover field or narrative text as typed: stripped text; whole numbers without ".0"; dates as ISO."""
    if raw is None or raw == "":
        return ""
    if isinstance(raw, str):
        return raw.translate(_INVISIBLE).strip()
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, _dt.datetime):
        return raw.date().isoformat() if raw.time() == _dt.time() else raw.isoformat(sep=" ")
    if isinstance(raw, (_dt.date, _dt.time)):
        return raw.isoformat()
    return str(raw)


_YEAR: Final = re.compile(r"(\d{4})(?:年度?)?")


def parse_year(text: str) -> int | None:
    """The report year a cover cell spells ("2024", "２０２４年"), or None."""
    match = _YEAR.fullmatch(label_key(text))
    return int(match.group(1)) if match else None
