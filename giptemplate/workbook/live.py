"""The checks a workbook runs on itself: Excel expressions twinned with the Python judgement that `check` makes.

Each expression here decides, from the workbook alone, what :mod:`giptemplate.checks.checker` decides from the file: the
code a number cell earns (V201 not a number, V202 negative, V203 blank, V204 not whole, V209 an error value, V212
beyond the template's limit), whether a total was typed over its formula (S105) and how many characters a
narrative section holds (N601). The writer places them; the Python twins give the values the writer caches and
the tests compare. They work without macros in Excel 2013+, WPS and LibreOffice (ISFORMULA is the newest
function used).

The sheet reads a number typed as text the way ``VALUE`` does (spaces around it, thousands separators); the
reader also accepts full-width digits, unit words and annotations, which the sheet shows as V201 (stricter
than `check`, never laxer).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal

from giptemplate.findings import CODES, Severity, code_title
from giptemplate.format.arithmetic import FAIL_MARK, PASS_MARK, Number
from giptemplate.format.layout import TYPED_RULE
from giptemplate.format.spec import Cell, Section, Spec
from giptemplate.workbook.normalise import BLANK_WORDS

TEXT_CODE = "N601"
REQUIRE_CODE = "N602"
COVER_CODES = {"unit_name": "C701", "year": "C702", "unit_code": "C703"}
# What only the office can judge, after collecting every unit's file and last year's reports.
LATER_CODES = ("Y501", "Y502", "Y503", "Y505", "N604", "N605", "M401")
# Whitespace that Python's str.split() drops and fillers actually type or paste.
_SPACES = ('" "', "CHAR(10)", "CHAR(13)", "CHAR(9)", '"\u3000"', '"\u00a0"')


def rule_title(code: str) -> str:
    """A rule as the sheets name it: the code with its catalogue title."""
    return f"{code} {code_title(code)}"


def severity(code: str) -> Severity:
    return CODES[code][0]


def limit(spec: Spec, cell: Cell) -> int:
    return cell.type.maximum


def parsed_expression(ref: str) -> str:
    """The number a cell holds as the sheet reads it: a number, a number typed as text, or "" (none)."""
    return f'IF(ISNUMBER({ref}),{ref},IFERROR(VALUE(TRIM(SUBSTITUTE({ref},",",""))),""))'


def usable_expression(spec: Spec, cell: Cell, parsed: str) -> str:
    """The number the checks use, "" when the cell earns an error (negative, a fraction in a count, beyond the
    template's limit)."""
    within = f'IF({parsed}>{limit(spec, cell)},"",{parsed})'
    whole = f'IF({parsed}<>INT({parsed}),"",{within})' if cell.type.integral else within
    if cell.type.signed:  # 2019's 本年增/减: a negative is a value, bounded on both sides
        return f'IF(ISNUMBER({parsed}),IF(ABS({parsed})>{limit(spec, cell)},"",{whole}),"")'
    return f'IF(ISNUMBER({parsed}),IF({parsed}<0,"",{whole}),"")'


def usable(spec: Spec, cell: Cell, value: Number | None) -> Number | None:
    """What :func:`usable_expression` gives for a number written by our own writer."""
    return value if value_code(spec, cell, value) == "" else None


def code_expression(spec: Spec, cell: Cell, ref: str, parsed: str) -> str:
    """The code a number cell earns, "" when fine. ``parsed`` is :func:`parsed_expression` of ``ref`` (or a
    reference to a cell holding it)."""
    blank_words = ",".join(f'TRIM({ref})="{w}"' for w in sorted(BLANK_WORDS) if '"' not in w)
    whole = f'IF({parsed}<>INT({parsed}),"V204",' if cell.type.integral else 'IF(FALSE,"",'
    negative = "FALSE" if cell.type.signed else f"{parsed}<0"
    size = f"ABS({parsed})" if cell.type.signed else parsed
    return (
        f'IF(ISERROR({ref}),"V209",IF(OR(ISBLANK({ref}),TRIM({ref})="",{blank_words}),"V203",'
        f'IF(NOT(ISNUMBER({parsed})),"V201",IF({negative},"V202",{whole}'
        f'IF({size}>{limit(spec, cell)},"V212",""))))))'
    )


def value_code(spec: Spec, cell: Cell, value: Number | None) -> str:
    """What :func:`code_expression` gives for a number written by our own writer (or None: blank)."""
    if value is None:
        return "V203"
    if value < 0 and not cell.type.signed:
        return "V202"
    if cell.type.integral and Decimal(value) != Decimal(value).to_integral_value():
        return "V204"
    if (-value if value < 0 else value) > limit(spec, cell):
        return "V212"
    return ""


def typed_expression(ref: str) -> str:
    return f'IF(_xlfn.ISFORMULA({ref}),"","{TYPED_RULE}")'


def squeezed_length(ref: str) -> str:
    """Characters of a text without whitespace, as checks count a narrative."""
    inner = ref
    for space in _SPACES:
        inner = f'SUBSTITUTE({inner},{space},"")'
    return f"LEN({inner})"


def text_length(text: str) -> int:
    return len("".join(text.split()))


@functools.cache
def text_sections(spec: Spec) -> tuple[Section, ...]:
    """Sections whose length `check` judges (N601): free narrative, not the required statements (六)."""
    return tuple(s for s in spec.sections if s.parts and not any(p.require_any for p in s.parts))


def section_status_formula(spec: Spec, refs: Sequence[str]) -> str:
    """The live N601 status of a section whose parts sit at ``refs`` (same sheet).

    A section that holds only a blank word ("无") fails on its length: the spec keeps blank words shorter than
    the minimum (see :func:`giptemplate.format.spec` validation of ``narrative``).
    """
    length = "+".join(squeezed_length(r) for r in refs)
    minimum = spec.narrative_min_chars
    return (
        f'=IF({length}=0,"{FAIL_MARK} 未填写",IF({length}<{minimum},"{FAIL_MARK} 只有 "&({length})&" 个字'
        f'（至少 {minimum} 个字）","{PASS_MARK} "&({length})&" 个字"))'
    )


def section_status(spec: Spec, texts: Sequence[str]) -> str:
    """What :func:`section_status_formula` shows for the texts of a section's parts."""
    length = sum(text_length(t) for t in texts)
    if length == 0:
        return f"{FAIL_MARK} 未填写"
    if length < spec.narrative_min_chars:
        return f"{FAIL_MARK} 只有 {length} 个字（至少 {spec.narrative_min_chars} 个字）"
    return f"{PASS_MARK} {length} 个字"


def require_status_formula(words: Sequence[str], ref: str) -> str:
    found = ",".join(f'ISNUMBER(FIND("{w}",{ref}))' for w in words)
    return f'=IF(OR({found}),"{PASS_MARK}","{FAIL_MARK} 未提及"&"{"、".join(words)}")'


def require_status(words: Sequence[str], text: str) -> str:
    return PASS_MARK if any(w in text for w in words) else f"{FAIL_MARK} 未提及{'、'.join(words)}"


def count_status(n: int) -> str:
    """A 校验 row counting cells with one problem."""
    return f"{FAIL_MARK} {n} 处" if n else PASS_MARK


def count_status_formula(count: str) -> str:
    return f'=IF(({count})>0,"{FAIL_MARK} "&({count})&" 处","{PASS_MARK}")'


def overall_status(failing: int, warnings: int = 0) -> str:
    """The 校验 sheet's verdict: 全部校验通过 exactly when no rule that `check` calls an error fails."""
    if failing:
        return f"{failing} 项错误未通过，请按下表标 {FAIL_MARK} 的行修改"
    if warnings:
        return f"全部校验通过（另有 {warnings} 项提示请核对）"
    return "全部校验通过"


def overall_formula(failing: str, warnings: str) -> str:
    return (
        f'=IF(({failing})>0,({failing})&" 项错误未通过，请按下表标 {FAIL_MARK} 的行修改",'
        f'IF(({warnings})>0,"全部校验通过（另有 "&({warnings})&" 项提示请核对）","全部校验通过"))'
    )


def later_text() -> str:
    """The 校验 row naming what the office checks later, each code with its meaning."""
    listed = "；".join(rule_title(code) for code in LATER_CODES)
    return f"报送后由汇总单位结合上年度报告和其他单位的报告检查（本表无法判断）：{listed}。"


def cover_status(key: str, value: str | int, year: int) -> str:
    """The live check beside a cover field (unit name, year), as its formula computes it."""
    if key == "unit_name":
        return PASS_MARK if str(value).strip(" ") else f"{FAIL_MARK} 未填写"
    return PASS_MARK if str(value) == str(year) else f"{FAIL_MARK} 应为 {year}"


def cover_status_formula(key: str, ref: str, year: int) -> str:
    if key == "unit_name":
        return f'=IF(LEN(TRIM({ref}))=0,"{FAIL_MARK} 未填写","{PASS_MARK}")'
    return f'=IF({ref}={year},"{PASS_MARK}","{FAIL_MARK} 应为 {year}")'
