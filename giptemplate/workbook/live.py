"""The checks a workbook runs on itself: Excel expressions twinned with the Python judgement that `check` makes.

Each expression here decides, from the workbook alone, what :mod:`giptemplate.checks.checker` decides from the file: the
code a number cell earns (V201 not a number, V202 negative, V203 blank, V204 not whole, V209 an error value, V212
beyond the template's limit), whether a total was typed over its formula (S105) and how many characters a
narrative section holds (N601), and the sentence `check` prints for each failure (the catalogue's template that
`check` renders, :data:`giptemplate.findings.CODES`, with placeholders for the fields). The writer places them; the
Python twins give the values the writer caches and the tests compare. They work without macros in Excel 2013+, WPS
and LibreOffice (ISFORMULA is the newest function used).

The sheet reads a number typed as text the way ``VALUE`` does (spaces around it, thousands separators); the
reader also accepts full-width digits, unit words and annotations, which the sheet shows as V201 (stricter
than `check`, never laxer).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from decimal import Decimal

from xlsxwriter.utility import xl_rowcol_to_cell

from giptemplate.findings import CODES, Severity, code_title, render
from giptemplate.format import uscc, wording
from giptemplate.format.arithmetic import FAIL_MARK, NOT_ASSESSABLE, PASS_MARK, Number, arithmetic_for
from giptemplate.format.layout import TYPED_RULE, Layout
from giptemplate.format.spec import Cell, Part, Relation, Section, Spec
from giptemplate.workbook.normalise import BLANK_WORDS

TEXT_CODE = "N601"
REQUIRE_CODE = "N602"
COVER_CODES = {"unit_name": "C701", "year": "C702", "unit_code": "C703"}
# What only the office can judge, after collecting every unit's file and last year's reports: the format's own
# cross-year rules (see :func:`later_codes`), then these, which every format has.
LATER_CODES = ("Y505", "N604", "N605", "M401")
FEE_JUMP_CODE = "Y503"  # the fee compared with last year's, for a format whose spec names a fee cell
# Whitespace that Python's str.split() drops and fillers actually type or paste.
_SPACES = ('" "', "CHAR(10)", "CHAR(13)", "CHAR(9)", '"\u3000"', '"\u00a0"')


def rule_title(code: str) -> str:
    """A rule as the sheets name it: the code with its catalogue title."""
    return f"{code} {code_title(code)}"


def severity(code: str) -> Severity:
    return CODES[code].severity


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


def squeezed_expression(ref: str) -> str:
    """A text without whitespace, as checks compare a narrative with blank words."""
    inner = ref
    for space in _SPACES:
        inner = f'SUBSTITUTE({inner},{space},"")'
    return inner


def squeezed_length(ref: str) -> str:
    """Characters of a text without whitespace, as checks count a narrative."""
    return f"LEN({squeezed_expression(ref)})"


def text_length(text: str) -> int:
    return len("".join(text.split()))


@functools.cache
def text_sections(spec: Spec) -> tuple[Section, ...]:
    """Sections whose length `check` judges (N601): free narrative, not the required statements (2021's 六) nor
    a section that may be left blank (2019's 六)."""
    return tuple(
        s
        for s in spec.sections
        if s.parts and not any(p.require_any for p in s.parts) and not all(p.optional for p in s.parts)
    )


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
    """The live N602 status beside a part that must mention one of ``words``: what it lacks, in `check`'s words."""
    found = ",".join(f'ISNUMBER(FIND("{w}",{ref}))' for w in words)
    blank = f"{FAIL_MARK} {wording.required_words_missing(words, blank=True)}"
    missing = f"{FAIL_MARK} {wording.required_words_missing(words, blank=False)}"
    return f'=IF(OR({found}),"{PASS_MARK}",IF({squeezed_length(ref)}=0,"{blank}","{missing}"))'


def require_status(words: Sequence[str], text: str) -> str:
    if any(w in text for w in words):
        return PASS_MARK
    return f"{FAIL_MARK} {wording.required_words_missing(words, blank=not text.strip())}"


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


def later_codes(spec: Spec) -> tuple[str, ...]:
    """The codes checked after collecting: the carry, stock and fee rules the spec declares (2019 has no stock
    rule and no fee amount), then those of every format."""
    cross = spec.cross_year
    own = [cross.carry_code] if cross.carry_code else []
    own += [rule.code for rule in cross.stock]
    own += [FEE_JUMP_CODE] if cross.fee is not None else []
    return tuple(dict.fromkeys([*own, *LATER_CODES]))


def later_text(spec: Spec) -> str:
    """The 校验 row naming what the office checks later, each code with its meaning."""
    listed = "；".join(rule_title(code) for code in later_codes(spec))
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


# ---------------------------------------------------------------------------------------------- cached values


@functools.lru_cache(maxsize=64)
def computed(spec: Spec, inputs: tuple[Number | None, ...]) -> tuple[dict[str, Number | None], dict[str, str]]:
    """Input and derived values (as the sheet's SUMs compute them) and every relation's status text, for one fill
    of ``spec.input_cells``.

    Cached: a roster's templates, or a batch of returned copies, mostly share their values. Callers must not
    mutate the results.
    """
    arithmetic = arithmetic_for(spec)
    values: dict[str, Number | None] = dict(zip((c.key for c in spec.input_cells), inputs, strict=True))
    strict = strict_values(spec, inputs)
    values.update(arithmetic.derive(values, blank_as_zero=True))
    texts = {r.rule_id: arithmetic.evaluate(r, strict, depend_on_inputs=False).status_text for r in spec.relations}
    return values, texts


@functools.lru_cache(maxsize=64)
def strict_values(spec: Spec, inputs: tuple[Number | None, ...]) -> dict[str, Number | None]:
    """Inputs and derived values as the checks read them: an unusable input (negative, a fraction in a count) is
    none, and a total over none is none."""
    values = {c.key: usable(spec, c, v) for c, v in zip(spec.input_cells, inputs, strict=True)}
    return {**values, **arithmetic_for(spec).derive(values)}


# ---------------------------------------------------------------------------------------------- the 校验 sheet


def rule_group_title(instances: Sequence[Relation]) -> str:
    """One title for all instances of a rule; named instances (表四's groups) have their own titles."""
    titles = list(dict.fromkeys(r.title for r in instances))
    if len(titles) == 1:
        return titles[0]
    common = ""
    for chars in zip(*(reversed(t) for t in titles), strict=False):
        if len(set(chars)) != 1:
            break
        common = chars[0] + common
    return f"各组{common.lstrip()}" if common.strip() else "；".join(titles)


def rule_status(instance_texts: Sequence[str]) -> str:
    """The 校验 sheet's status of one rule from the live statuses of its instances, as its formula computes it."""
    fails = sum(t.startswith(FAIL_MARK) for t in instance_texts)
    unknown = sum(t == NOT_ASSESSABLE for t in instance_texts)
    if fails:
        return f"{FAIL_MARK} {fails} 处不平衡"
    if unknown:
        return f"{NOT_ASSESSABLE}（{unknown} 处）"
    return PASS_MARK


def rule_status_formula(ranges: Sequence[str]) -> str:
    fails = "+".join(f'SUMPRODUCT(--(LEFT({r},1)="{FAIL_MARK}"))' for r in ranges)
    unknown = "+".join(f'SUMPRODUCT(--({r}="{NOT_ASSESSABLE}"))' for r in ranges)
    return (
        f'=IF({fails}>0,"{FAIL_MARK} "&({fails})&" 处不平衡",'
        f'IF({unknown}>0,"{NOT_ASSESSABLE}（"&({unknown})&" 处）","{PASS_MARK}"))'
    )


def code_count(blocks: Sequence[str], code: str) -> str:
    """How many cells of the code blocks earn ``code``."""
    return "+".join(f'COUNTIF({b},"{code}")' for b in blocks)


def unusable_count_formula(block: str) -> str:
    """Input cells that hold no usable number: blank, not a number, or an error value."""
    return "=" + "+".join(f'COUNTIF({block},"{code}")' for code in ("V203", "V201", "V209"))


def column_range(col: int, rows: tuple[int, int]) -> str:
    return f"{xl_rowcol_to_cell(rows[0], col)}:{xl_rowcol_to_cell(rows[1], col)}"


def _runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for r in sorted(rows):
        if runs and runs[-1][1] == r - 1:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    return runs


def failures_formula(col: int, rows: Sequence[int]) -> str:
    """How many of the rule rows ``rows`` show a failure in their status column ``col``."""
    if not rows:
        return "0"
    return "+".join(f'SUMPRODUCT(--(LEFT({column_range(col, run)},1)="{FAIL_MARK}"))' for run in _runs(rows))


def unit_line(unit_name: str, year: int | str, scope: str) -> str:
    """The line above each table naming the unit, as :func:`unit_line_formula` computes it from the cover."""
    return f"填报单位：{unit_name}　　报告年度：{year}　　统计口径：{scope}"


def unit_line_formula(layout: Layout) -> str:
    cover = layout.fields
    return (
        f'="填报单位："&{cover["unit_name"].ref}&"　　报告年度："&{cover["year"].ref}'
        f'&"　　统计口径："&{cover["scope"].ref}'
    )


# ---------------------------------------------------------------------------------------------- sentences
#
# Each sentence is the catalogue's template that `check` renders (giptemplate.findings.render), here rendered with
# placeholders for what only the workbook knows (a number, a typed text); excel_text turns the result into a string
# formula.

_MARK = "\x00"
_LITERAL_MAX = 255  # characters of one string literal in an Excel formula
ERROR_TEXTS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")


def slot(name: str) -> str:
    """A placeholder for :func:`excel_text`."""
    return f"{_MARK}{name}{_MARK}"


def excel_text(text: str, slots: Mapping[str, str]) -> str:
    """An Excel expression giving ``text`` with each :func:`slot` replaced by its expression in ``slots``."""
    pieces = []
    for i, piece in enumerate(text.split(_MARK)):
        if i % 2:
            pieces.append(f"({slots[piece]})")
            continue
        for start in range(0, len(piece), _LITERAL_MAX):
            chunk = piece[start : start + _LITERAL_MAX].replace('"', '""')
            pieces.append(f'"{chunk}"')
    return "&".join(pieces) or '""'


def number_text(value: Number) -> str:
    """A number as Excel turns it into text (and as `check`'s messages show it): exact, no exponent."""
    if isinstance(value, Decimal):
        value = value.normalize()
        return str(int(value)) if value == value.to_integral_value() else format(value, "f")
    return str(value)


def raw_expression(ref: str) -> str:
    """What a cell holds as `check` quotes it: one line, without surrounding spaces, at most 40 characters."""
    one_line = f'TRIM(SUBSTITUTE({ref}&"",CHAR(10)," "))'
    return f'IF(LEN({one_line})>{RAW_CHARS},LEFT({one_line},{RAW_CHARS})&"…",{one_line})'


RAW_CHARS = 40  # as giptemplate.checks.checker.MAX_RAW_CHARS


def _value_sentences(spec: Spec, cell: Cell) -> dict[str, str]:
    """The sentence of each code a number cell can earn, with slots for the typed text, the number and how it
    shows."""
    name = wording.cell_name(spec, cell.key)
    return {
        "V209": render("V209", cell=name, raw=slot("error")),
        "V203": render("V203", cell=name, typed=slot("typed")),
        "V201": render("V201", cell=name, raw=slot("raw")),
        "V202": render("V202", cell=name, shown=slot("shown"), what=cell.type.what),
        "V204": render("V204", cell=name, shown=slot("shown")),
        "V212": render("V212", cell=name, value=slot("number"), top=str(limit(spec, cell))),
    }


def cell_sentence_formula(spec: Spec, cell: Cell, ref: str, code: str, parsed: str, raw: str) -> str:
    """The sentence `check` prints for a number cell at ``ref``, "" when the cell is fine. ``code``, ``parsed`` and
    ``raw`` refer to cells holding its code, its number (:func:`parsed_expression`) and its text as `check` quotes
    it (:func:`raw_expression`)."""
    slots = {
        "error": "CHOOSE(ERROR.TYPE({ref}),{texts})".format(ref=ref, texts=",".join(f'"{t}"' for t in ERROR_TEXTS)),
        "typed": f'IF({raw}="","","{wording.blank_typed(_MARK)}")'.replace(_MARK, f'"&{raw}&"'),
        "raw": raw,
        "shown": f'IF(AND(ISTEXT({ref}),{raw}<>({parsed}&"")),"{wording.quoted(_MARK)}",{parsed}&"")'.replace(
            _MARK, f'"&{raw}&"'
        ),
        "number": f'{parsed}&""',
    }
    sentences = _value_sentences(spec, cell)
    # the sentences share their opening (the cell's name): written once, before the choice
    opening = os.path.commonprefix([t.split(_MARK)[0] for t in sentences.values()])  # noqa: RUF071 - text, not paths
    formula = '""'
    for code_value in reversed(("V209", "V203", "V201", "V202", "V204", "V212")):
        rest = excel_text(sentences[code_value][len(opening) :], slots)
        formula = f'IF({code}="{code_value}",{rest},{formula})'
    return f'=IF({code}="","",{excel_text(opening, {})}&{formula})'


def cell_sentence(spec: Spec, cell: Cell, code: str, value: Number | None, typed: str | None) -> str:
    """What :func:`cell_sentence_formula` shows for a cell our own writer wrote (a number, a blank or, in a return
    copy, the text a unit typed)."""
    if not code:
        return ""
    shown = number_text(value) if value is not None else ""
    raw = " ".join((typed or "").replace("\n", " ").split())
    raw = raw[:RAW_CHARS] + "…" if len(raw) > RAW_CHARS else raw
    fields = {"error": "", "typed": "", "raw": raw, "shown": shown, "number": shown}
    text = _value_sentences(spec, cell)[code]
    return "".join(fields[p] if i % 2 else p for i, p in enumerate(text.split(_MARK)))


def typed_sentence_formula(spec: Spec, key: str, ref: str, code: str, leaves: str, count: int) -> str:
    """S105 for the total at ``ref``: how its formula was replaced, and what its parts (the usable input cells
    ``leaves``, ``count`` of them, "" when any is blank) give."""
    name = wording.cell_name(spec, key)
    how = (
        f'IF(ISERROR({ref}),"{wording.typed_total_how("error")}",IF({ref}="","{wording.typed_total_how("blank")}",'
        f'"{wording.typed_total_how("number", _MARK)}"))'
    ).replace(_MARK, f'"&{ref}&"')
    tail = f'IF(COUNT({leaves})<{count},"","{wording.typed_total_tail(_MARK)}")'.replace(_MARK, f'"&SUM({leaves})&"')
    text = render("S105", cell=name, how=slot("how"), tail=slot("tail"))
    return f'=IF({code}="","",{excel_text(text, {"how": how, "tail": tail})})'


def relation_sentence_formula(spec: Spec, relation: Relation, status: str, lhs: str, rhs: str) -> str:
    """The sentence of a failed relation instance whose status sits at ``status``, its sides being ``lhs`` and
    ``rhs`` (sums over the values as filed)."""
    variant, fields = wording.relation_fields(spec, relation, slot("lhs"), slot("rhs"), slot("gap"))
    text = render(relation.code, variant, **fields)
    slots = {"lhs": lhs, "rhs": rhs, "gap": f"ABS({lhs}-({rhs}))"}
    return f'=IF(LEFT({status},1)="{FAIL_MARK}",{excel_text(text, slots)},"")'


def relation_sentence(spec: Spec, relation: Relation, lhs: Number | None, rhs: Number | None) -> str:
    if lhs is None or rhs is None:
        return ""
    gap = lhs - rhs if lhs >= rhs else rhs - lhs
    variant, fields = wording.relation_fields(spec, relation, number_text(lhs), number_text(rhs), number_text(gap))
    return render(relation.code, variant, **fields)


def failing_formula(status: str, then: str) -> str:
    """``then`` while the status at ``status`` shows a failure, else ""."""
    return f'=IF(LEFT({status},1)="{FAIL_MARK}",{then},"")'


def cover_sentence_formula(spec: Spec, key: str, ref: str, status: str, year: int) -> str:
    label = spec.field(key).label
    if key == "unit_name":
        return failing_formula(status, excel_text(render("C701", label=label), {}))
    if key == "year":
        what = (
            f'IF(LEN(TRIM({ref}&""))=0,"{wording.YEAR_BLANK}",IF(ISNUMBER({ref}),'
            f'"{wording.year_not_template(_MARK, str(year))}","{wording.year_not_a_year(chr(1))}"))'
        )
        what = what.replace(_MARK, f'"&{ref}&"').replace(chr(1), f'"&{raw_expression(ref)}&"')
        return failing_formula(status, excel_text(render("C702", label=label, what=slot("what")), {"what": what}))
    why = (
        f'IF({status}="{uscc.STATUS_TEXT["bad_check_digit"]}","{wording.CODE_WHY["bad_check_digit"]}",'
        f'"{wording.CODE_WHY["bad_character"]}")'
    )
    text = render("C703", label=label, code=slot("code"), why=slot("why"))
    return failing_formula(status, excel_text(text, {"code": f"TRIM({ref})", "why": why}))


def cover_sentence(spec: Spec, key: str, value: str | int, year: int) -> str:
    label = spec.field(key).label
    if key == "unit_code":
        verdict = uscc.verify(str(value))
        return (
            render("C703", label=label, code=str(value).strip(), why=wording.CODE_WHY[verdict])
            if verdict in wording.CODE_WHY
            else ""
        )
    if not cover_status(key, value, year).startswith(FAIL_MARK):
        return ""
    if key == "unit_name":
        return render("C701", label=label)
    what = wording.year_not_template(str(value), str(year)) if value else wording.YEAR_BLANK
    return render("C702", label=label, what=what)


def section_sentence_formula(spec: Spec, section: Section, refs: Sequence[str], status: str) -> str:
    """N601 for a section whose parts sit at ``refs``: blank, only a blank word ("无", "暂无。"), or too short."""
    length = "+".join(squeezed_length(r) for r in refs)
    squeezed = "&".join(squeezed_expression(r) for r in refs)
    words = [w + end for w in spec.blank_words if '"' not in w for end in ("", "。", ".")]
    is_blank_word = "OR(" + ",".join(f'{squeezed}="{w}"' for w in words) + ")" if words else "FALSE"
    joined = '&" "&'.join(f'TRIM(SUBSTITUTE({r},CHAR(10)," "))' for r in refs)
    heading, minimum = section.heading, spec.narrative_min_chars
    blank = excel_text(render("N601", "blank", heading=heading), {})
    blank_word = excel_text(
        render("N601", "blank_word", heading=heading, raw=slot("raw")), {"raw": raw_expression(joined)}
    )
    short = excel_text(render("N601", "short", heading=heading, length=slot("n"), minimum=minimum), {"n": length})
    return failing_formula(status, f"IF({length}=0,{blank},IF({is_blank_word},{blank_word},{short}))")


def section_sentence(spec: Spec, section: Section, texts: Sequence[str]) -> str:
    length = sum(text_length(t) for t in texts)
    if length >= spec.narrative_min_chars:
        return ""
    if length == 0:
        return render("N601", "blank", heading=section.heading)
    squeezed = "".join("".join(t.split()) for t in texts)
    if squeezed in spec.blank_words or squeezed.rstrip("。.") in spec.blank_words:
        raw = " ".join(" ".join(t.replace("\n", " ").split()) for t in texts if t.strip())
        shown = raw[:RAW_CHARS] + "…" if len(raw) > RAW_CHARS else raw
        return render("N601", "blank_word", heading=section.heading, raw=shown)
    return render("N601", "short", heading=section.heading, length=length, minimum=spec.narrative_min_chars)


def require_sentence_formula(part: Part, ref: str, status: str) -> str:
    what = (
        f'IF({squeezed_length(ref)}=0,"{wording.required_words_missing(part.require_any, blank=True)}",'
        f'"{wording.required_words_missing(part.require_any, blank=False)}")'
    )
    return failing_formula(
        status, excel_text(render("N602", title=part.display_title, what=slot("what"), hint=part.hint), {"what": what})
    )


def require_sentence(part: Part, text: str) -> str:
    if any(w in text for w in part.require_any):
        return ""
    what = wording.required_words_missing(part.require_any, blank=not text.strip())
    return render("N602", title=part.display_title, what=what, hint=part.hint)


# ---------------------------------------------------------------------------------------------- 校验 details

DETAIL_LINES = 3  # failures a 校验 row spells out; it counts the rest


def detail_formula(rule: str, tags: str, keys: str, wheres: str, sentences: str) -> str:
    """The first failures of ``rule`` (a 校验 row), each as place and sentence on its own line, and how many more."""
    count = f'COUNTIF({tags},"{rule}")'
    lines = []
    for k in range(1, DETAIL_LINES + 1):
        match = f'MATCH("{rule}#{k}",{keys},0)'
        line = f'INDEX({wheres},{match})&" "&INDEX({sentences},{match})'
        lines.append(line if k == 1 else f'IF({count}>{k - 1},CHAR(10)&{line},"")')
    more = f'IF({count}>{DETAIL_LINES},CHAR(10)&"{detail_more(_MARK)}","")'.replace(
        _MARK, f'"&({count}-{DETAIL_LINES})&"'
    )
    return f'=IF({count}=0,"",{"&".join(lines)}&{more})'


def detail_more(n: str) -> str:
    return f"……另有 {n} 处（见各表标红处）"


def detail(failures: Sequence[tuple[str, str]]) -> str:
    """What :func:`detail_formula` shows for the failures (place, sentence) of one rule, in list order."""
    lines = [f"{where} {sentence}" for where, sentence in failures[:DETAIL_LINES]]
    if len(failures) > DETAIL_LINES:
        lines.append(detail_more(str(len(failures) - DETAIL_LINES)))
    return "\n".join(lines)


def key_formula(tag: str, first_tag: str) -> str:
    """The rule and rank of an entry among the failures of its rule so far in the list."""
    return f'=IF({tag}="","",{tag}&"#"&COUNTIF({first_tag}:{tag},{tag}))'
