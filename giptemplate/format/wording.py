"""Field values of the findings' messages: how a message names a data cell, a relation's sides and instance, and
the few phrases that fill a template's field (what a blank cell held, how a total's formula was replaced...).

The sentences themselves are the templates of the catalogue (:data:`giptemplate.findings.CODES`). `check` renders
them with the values it found (formatted as its messages show numbers); the workbook's live checks
(:mod:`giptemplate.workbook.live`) render the same template with placeholders for the fields only the workbook
knows and turn the result into an Excel string formula, so the 校验 sheet shows, letter for letter, the sentence
`check` prints. Arguments are text already formatted; a function never formats a number itself.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from giptemplate.format.spec import Relation, Spec


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


# ---------------------------------------------------------------------------------------------- field values


def relation_fields(spec: Spec, relation: Relation, lhs: str, rhs: str, gap: str) -> tuple[str, dict[str, str]]:
    """The variant and fields of a failed relation instance's message (A30x, :data:`RELATION_TEMPLATES` by
    operator): its sides' values and the gap between them."""
    lhs_title, rhs_title = relation_sides(relation)
    if len(relation.lhs) == 1:
        lhs_name = cell_name(spec, relation.lhs[0])
    else:
        lhs_name = f"{instance_name(spec, relation)}：{lhs_title}"
    fields = {"lhs_name": lhs_name, "lhs": lhs, "rhs_title": rhs_title, "rhs": rhs, "gap": gap}
    if relation.op == "≥" and not relation.rhs:
        del fields["rhs"]
        return "≥ constant", fields
    return relation.op, fields


def blank_typed(raw: str) -> str:
    """V203's ``typed``: what a blank cell held, when it held a blank word ("无", "—")."""
    return f"（填写为“{raw}”）"


def quoted(raw: str) -> str:
    """V202/V204's ``shown``: a number as typed, when the typed text differs from the plain number."""
    return f"“{raw}”"


def single_row(label: str) -> str:
    """F007's ``seen``, one item: a group printed as a single row (2019's （六）其他处理 in a 2021 table)."""
    return f"单行的“{label}”"


def typed_total_how(kind: str, shown: str = "") -> str:
    """S105's ``how``: how a total's formula was replaced, kind "blank", "error" or "number" (``shown``: the
    number)."""
    return {"blank": "已被清空", "error": "改为错误值"}.get(kind, f"改为数值 {shown}")


def typed_total_tail(recomputed: str) -> str:
    """S105's ``tail``: what the total should be, when its parts give a value."""
    return f"按各项重新计算应为 {recomputed}，"


# C702's ``what``: the cover's year left blank, not a year, or another year than the template's.
YEAR_BLANK = "未填写"


def year_not_a_year(raw: str) -> str:
    return f"填写为“{raw}”，不是年份"


def year_not_template(year: str, template_year: str) -> str:
    return f"为 {year}，与模板的年度 {template_year} 不符"


# C703's ``why``, by the verdict of giptemplate.format.uscc.verify.
CODE_WHY = {"bad_check_digit": "校验位错误", "bad_character": "含有统一社会信用代码不允许的字符"}


def required_words_missing(words: Sequence[str], *, blank: bool) -> str:
    """N602's ``what``: what a part that must mention one of ``words`` (六: 信息处理费) lacks; the live status
    beside the part shows it after the failure mark."""
    return "未填写" if blank else "未提及" + "、".join(f"“{w}”" for w in words)


def table_shift(row_offset: int, col_offset: int) -> str:
    """S103's ``shift``: how a table moved (下移 2 行、右移 1 列)."""
    shifts = []
    if row_offset:
        shifts.append(f"下移 {row_offset} 行" if row_offset > 0 else f"上移 {-row_offset} 行")
    if col_offset:
        shifts.append(f"右移 {col_offset} 列" if col_offset > 0 else f"左移 {-col_offset} 列")
    return "、".join(shifts) or "位置改变"


def choices_text(choices: Sequence[str]) -> str:
    """C704's ``choices``: “本机关”或“本级政府汇总”."""
    return "或".join(f"“{c}”" for c in choices)


def previous_label(year: int | None) -> str:
    """Y5xx and N604's ``previous``: last year's report as a message names it."""
    return f"上年度（{year}）" if year else "上年度"


def listing(items: Sequence[str]) -> str:
    """Items named in a row: A17、B17."""
    return "、".join(items)


def layout_seen(template: Sequence[str], found: Sequence[str] | None, headers: Sequence[str] | None) -> str:
    """S111's ``seen``: the template's value cells, the file's and where its headers are."""
    seen = [f"模板为 {listing(template)}"]
    if found is not None and list(found) != list(template):
        seen.append(f"文件中为 {listing(found)}")
    if headers is not None:
        seen.append(f"表头在 {listing(headers)}")
    return "；".join(seen)


def layout_read(read_from: Sequence[tuple[str, str]], unread: Sequence[str], *, others_read: bool) -> str:
    """S111's ``how``: which value (by column label) was read from which cell, and which could not be read."""
    read = "，".join(f"“{label}”取自 {cell}" for label, cell in read_from)
    unread_text = listing([f"“{label}”" for label in unread])
    if read:
        return f"已按文件的布局读取：{read}" + (f"；{unread_text}无法确定，未读取" if unread else "")
    if unread:
        return f"{unread_text}无法确定，未读取" + ("，其余数值从模板的位置读取" if others_read else "")
    return "数值仍从模板的位置读取"


def competing_values(cells: Sequence[str], texts: Sequence[str]) -> str:
    """S112's ``values``: each competing cell with what it holds, C17（4）、D17（-2）."""
    return listing([f"{cell}（{text}）" for cell, text in zip(cells, texts, strict=True)])
