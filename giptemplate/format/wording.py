"""The sentences of the findings a workbook can also show live: one function per sentence, one source for both.

`check` calls each function with the values it found (formatted as its messages show numbers); the workbook's
live checks (:mod:`giptemplate.workbook.live`) call the same function with placeholders and turn the result
into an Excel string formula, so the 校验 sheet shows, letter for letter, the sentence `check` prints.
Arguments are text already formatted; a function never formats a number itself.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from giptemplate.format.spec import Relation, Spec

BLANK_ADVICE = "没有发生的请填 0，不得留空，也不要填“—”“/”“无”。"


@functools.cache
def _names(spec: Spec) -> dict[str, str]:
    out: dict[str, str] = {}
    for table in spec.tables:
        matrix = len(table.cells) == len(table.rows) * len(table.columns) and len(table.rows) > 1
        for cell in table.cells:
            column = cell.column
            if len(table.rows) == 1:
                out[cell.key] = f"「{column.group}·{column.label}」" if column.group else f"「{column.label}」"
            elif matrix:
                out[cell.key] = f"「{cell.row.label}」{column.label}列"
            else:
                out[cell.key] = f"「{cell.row.label}」{column.label}"
    return out


def cell_name(spec: Spec, key: str) -> str:
    """How a message names a data cell: 「（七）总计」自然人列, 「规章」本年制发件数, 「行政复议·总计」."""
    return _names(spec)[key]


def instance_name(spec: Spec, relation: Relation) -> str:
    """The instance a relation applies to: 「一、本年新收…」 for a row, 自然人列 for a column, '' otherwise."""
    table = spec.table(relation.table)
    if relation.foreach == "row":
        return "「" + next(r.label for r in table.rows if r.key == relation.instance) + "」"
    if relation.foreach == "col":
        return next(c.label for c in table.columns if c.key == relation.instance) + "列"
    return ""


@functools.cache
def relation_sides(relation: Relation) -> tuple[str, str]:
    """The titles of a relation's two sides, from its title ("总计 = 各类申请人之和")."""
    lhs, sep, rhs = relation.title.partition(f" {relation.op} ")
    if not sep:
        return "左边", "右边"
    return lhs.strip(), rhs.strip()


# ---------------------------------------------------------------------------------------------- sentences


def relation_failed(spec: Spec, relation: Relation, lhs: str, rhs: str, gap: str) -> str:
    """A relation instance that does not hold (A30x): its sides' values and the gap between them."""
    lhs_title, rhs_title = relation_sides(relation)
    if len(relation.lhs) == 1:
        lead = f"{cell_name(spec, relation.lhs[0])}为 {lhs}"
    else:
        lead = f"{instance_name(spec, relation)}：{lhs_title}为 {lhs}"
    if relation.op == "≥":
        floor = f"{rhs_title}（{rhs}）" if relation.rhs else rhs_title
        return f"{lead}，小于{floor}，少 {gap}，请核对。"
    return f"{lead}，{rhs_title}为 {rhs}，相差 {gap}。"


def blank_typed(raw: str) -> str:
    """What a blank cell held, when it held a blank word ("无", "—")."""
    return f"（填写为“{raw}”）"


def blank(name: str, typed: str = "") -> str:
    """V203: a number cell left blank (``typed``: :func:`blank_typed` of a blank word, or '')."""
    return f"{name}未填写{typed}；{BLANK_ADVICE}"


def not_number(name: str, raw: str, *, spelled: bool = False) -> str:
    """V201: text that is no number (``spelled``: the reader read a number into it that the cell cannot hold)."""
    return f"{name}填写为“{raw}”，不是{'有效' if spelled else ''}数字。"


def quoted(raw: str) -> str:
    """A number shown as typed, when the typed text differs from the plain number."""
    return f"“{raw}”"


def negative(name: str, shown: str, what: str) -> str:
    """V202: a negative number where the cell type has none."""
    return f"{name}为 {shown}，{what}不能为负数。"


def not_whole(name: str, shown: str) -> str:
    """V204: a fraction in a count."""
    return f"{name}为 {shown}，件数须为整数。"


def error_value(name: str, raw: str) -> str:
    """V209: an error value (#DIV/0!, #REF! ...)."""
    return f"{name}为错误值 {raw}，不能按 0 或空白处理；请填写数字。"


def beyond(name: str, value: str, top: str) -> str:
    """V212: a number past the template's limit."""
    return f"{name}为 {value}，超过模板允许的上限 {top}（数据有效性被绕过，如粘贴），不能使用，请核对后重新填写。"


def typed_total_how(kind: str, shown: str = "") -> str:
    """How a total's formula was replaced: kind "blank", "error" or "number" (``shown``: the number)."""
    return {"blank": "已被清空", "error": "改为错误值"}.get(kind, f"改为数值 {shown}")


def typed_total_tail(recomputed: str) -> str:
    """What the total should be, when its parts give a value."""
    return f"按各项重新计算应为 {recomputed}，"


def typed_total(name: str, how: str, tail: str) -> str:
    """S105: a total typed over its formula (``how`` from :func:`typed_total_how`, ``tail`` from
    :func:`typed_total_tail` or '')."""
    return f"{name}的合计公式{how}；{tail}汇总时将使用重新计算的值；请恢复公式（使用新模板填写）。"


def cover_blank(label: str) -> str:
    """C701 and C705: a cover field left blank."""
    return f"封面“{label}”未填写。"


def cover_year(label: str, what: str) -> str:
    """C702: the cover's year (``what``: one of the ``year_*`` phrases)."""
    return f"封面“{label}”{what}。"


YEAR_BLANK = "未填写"


def year_not_a_year(raw: str) -> str:
    return f"填写为“{raw}”，不是年份"


def year_not_template(year: str, template_year: str) -> str:
    return f"为 {year}，与模板的年度 {template_year} 不符"


CODE_WHY = {"bad_check_digit": "校验位错误", "bad_character": "含有统一社会信用代码不允许的字符"}


def bad_code(label: str, code: str, why: str) -> str:
    """C703: a unit code whose check digit or characters are wrong (``why`` from :data:`CODE_WHY`)."""
    return f"封面“{label}”{code} {why}，请核对。"


def section_blank(heading: str) -> str:
    """N601: a narrative section left blank."""
    return f"“{heading}”未填写。"


def section_blank_word(heading: str, raw: str) -> str:
    """N601: a narrative section holding only a blank word ("无")."""
    return f"“{heading}”仅填写“{raw}”，须按要求写明具体内容。"


def section_short(heading: str, length: str, minimum: str) -> str:
    """N601: a narrative section shorter than the spec's minimum."""
    return f"“{heading}”只有 {length} 个字，内容过短（至少 {minimum} 个字）。"


def required_words_missing(words: Sequence[str], *, blank: bool) -> str:
    """What a part that must mention one of ``words`` (六: 信息处理费) lacks; the live status beside the part
    shows it after the failure mark."""
    return "未填写" if blank else "未提及" + "、".join(f"“{w}”" for w in words)


def required_words(title: str, what: str, hint: str) -> str:
    """N602: the part ``title`` lacks its required words (``what`` from :func:`required_words_missing`)."""
    return f"“{title}”{what}。{hint}"
