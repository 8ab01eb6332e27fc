"""Findings: what the checks say about a file, each with a stable code, a severity, a place and a Chinese message.

The catalogue (:data:`CODES`) declares every code as an :class:`ErrorCode`: its default severity, its short title
and its message template(s), each a :meth:`str.format` template with named fields (a code has a few named variants
only where the sentence really differs). A check never writes a sentence: it calls :func:`make` with the code, the
variant and the field values, which renders the template and raises :class:`TemplateFieldsError` at once when a
field is missing or extra. The finding keeps the rendered message and, in ``extra``, the fields and variant. The
workbook's live 校验 sheet renders the same templates with placeholders (:func:`render`), so it shows the sentence
`check` prints. Relation codes a spec declares (:func:`declare_code`) take :data:`RELATION_TEMPLATES`.

Findings are plain data; rendering them (table, JSON, CSV, xlsx) is the job of :mod:`giptemplate.checks.render`
and the CLI. Codes follow ../shared/reference/checks.md and are never renumbered or reused.
"""

from __future__ import annotations

import dataclasses
import functools
import string
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

Severity = Literal["error", "explain", "warning", "info"]

SEVERITY_LABELS: dict[Severity, str] = {"error": "错误", "explain": "需说明", "warning": "警告", "info": "提示"}
SEVERITY_ORDER: dict[Severity, int] = {"error": 0, "explain": 1, "warning": 2, "info": 3}


class FileStatus(StrEnum):
    """What became of one input file (checks.md §3), as every command and page shows it. A member compares equal
    to its Chinese text."""

    PASSED = "通过"
    HAS_ERRORS = "有错误"
    UNREADABLE = "无法读取"
    DUPLICATE = "重复报送"  # merge: an older copy of a unit's file
    OFF_ROSTER = "名单外"  # merge: a unit not on the roster
    MISSING = "未报送"  # merge: a roster unit without a file
    GENERATED = "已跳过（本工具生成）"  # one of this tool's own outputs as written
    SKIPPED = "已跳过"  # a lock, hidden or system file, a second link to a file, an unpacked archive


BLANK_ADVICE = "没有发生的请填 0，不得留空，也不要填“—”“/”“无”。"

# A failed relation instance (A30x and the relations a spec declares), by operator. ``lhs_name`` names the left side
# (a cell, or the instance and the side's title), ``rhs_title`` the right side's title from the relation's title;
# "≥ constant" is a floor with no cells on the right (its title says the number).
RELATION_TEMPLATES: dict[str, str] = {
    "=": "{lhs_name}为 {lhs}，{rhs_title}为 {rhs}，相差 {gap}。",
    "≥": "{lhs_name}为 {lhs}，小于{rhs_title}（{rhs}），少 {gap}，请核对。",
    "≥ constant": "{lhs_name}为 {lhs}，小于{rhs_title}，少 {gap}，请核对。",
}

_M404 = "汇总数据「{relation}」在「{instance}」不成立：左边 {lhs}，右边 {rhs}，相差 {gap}。"
_M404_FAILING = "本项不成立的单位：{failing}"
_M404_UNKNOWN = "本项无法判断（有单元格未填写或非数字）的单位：{unknown}"
_M407 = (
    "汇总的{cell}为 {now}，上年汇总的“{meaning}”（{column}）为 {before}，相差 {gap}"
    "（上年 {previous_units} 个单位，本年 {units} 个单位）。"
)
_M407_GONE = "上年报送、本年未计入的单位：{gone}"
_M407_NEW = "本年新增的单位：{new}"
# M412 by what disagrees: a roster says the code is another unit's, or (without a roster) two files share a code
# under different names or a name under different codes; "+others" names the other files of the code or name.
_M412_HEADS = {
    "roster": "{file} 的单位代码 {code} 属于名单中的“{listed}”，单位名称却是名单中的另一单位“{other}”（{other_code}）",
    "same_code": "{file} 与 {other_file} 单位代码 {code} 相同而单位名称不同（“{name}”与“{other_name}”）",
    "same_name": "{file} 与 {other_file} 单位名称“{name}”相同而单位代码不同（{code} 与 {other_code}）",
}
_M412 = "。可能是用了其他单位的模板，或填错了单位名称或代码；本文件未计入汇总，也不替代其他文件，请核实后重新报送。"
# S112 by how many cells compete and whether one is hidden under a merge (doubled braces stay the template's fields).
_S112 = "{{cell}}无法确定：{{values}}{which}，{why}未读取。请按模板只在 {{home}} 填写一个数值。"
_S112_HIDDEN = "{hidden} 被合并单元格遮住、不显示，"
_V206 = "应写入文字部分；数字单元格只填数字，请确认并说明。"
_S106 = "{cell}文件中显示为 {shown}，按各项重新计算为 {recomputed}：{how}。汇总时将使用重新计算的值。"


# A file refused before it is read (F0xx, P801/P802), by why. The refusing code (giptemplate.files.intake, the
# reader, giptemplate.published) raises an IntakeError with the code, the variant and the fields; the exception's
# one-line message is the file's name, this sentence and an English detail.
# F001 by the kind of file it is (giptemplate.files.intake.FOREIGN_FORMATS): the sentence of each kind.
_FOREIGN = {
    "pdf": "这是 PDF 文件，请报送 Excel 模板",
    "word": "这是 Word 文档，请报送 Excel 模板",
    "html": "是网页文件（HTML），不是 Excel 工作簿，请用 Excel 或 WPS 另存为 .xlsx 后重新报送",
    "xml": "是 XML 文件（如 Excel 2003 XML），不是 .xlsx 工作簿，请另存为 .xlsx 后重新报送",
    "image": "这是图片文件，请报送 Excel 模板",
    "xlsb": "是 Excel 二进制工作簿（.xlsb），本程序不读取这种格式，请在 Excel 中另存为 .xlsx 后重新报送",
    "numbers": "是 Apple Numbers 表格，本程序不读取这种格式，请在 Numbers 中导出、另存为 .xlsx 后重新报送",
    "et": "是 WPS 表格专用格式（.et），本程序不读取这种格式，请在 WPS 中另存为 .xlsx 后重新报送",
    "opendocument": "是其他类型的文档，不是电子表格",
    "archive": "是压缩包，但不是 Excel 工作簿；请解压后报送其中的 Excel 模板",
    "ole": "是其他 Office 文件，不是 Excel 工作簿，请报送 Excel 模板",
    "": "不是电子表格文件（无法识别文件类型）",  # an unknown kind of file
}
# A document read as a published report that holds none (giptemplate.published.not_a_report): its kind's sentence,
# then why, as "{kind}+{why}" (a plain text copy is a kind of its own here).
_NOT_A_REPORT_KINDS = {"html": _FOREIGN["html"], "pdf": _FOREIGN["pdf"], "word": _FOREIGN["word"]}
_NOT_A_REPORT_KINDS["text"] = "是文本文件，不是 Excel 工作簿"
_NOT_A_REPORT_WHY = {
    "unparsable": "；其内容无法解析（{error}）",
    "no_tables": "；其中也未找到政府信息公开工作年度报告的统计表格",
}
_F001 = {
    **_FOREIGN,
    **{
        f"{kind}+{why}": head + tail
        for kind, head in _NOT_A_REPORT_KINDS.items()
        for why, tail in _NOT_A_REPORT_WHY.items()
    },
    "no_report_table": "文档中未找到年度报告的统计表格",
}
_PASSWORD = "请取消密码后重新报送"
_F002 = {"": f"文件设置了打开密码，{_PASSWORD}", "encrypted_zip": f"文件设置了密码（加密压缩），{_PASSWORD}"}
_ZIP_BOMB = "疑似压缩炸弹"
_EXTENT = "的内容延伸到 {corner}（{rows} 行 × {cols} 列），远超报表范围，已拒绝；请删除多余的行列后重新报送"
_F003 = {
    "too_many_entries": "压缩包条目过多（{count} 个），拒绝处理",
    "unsafe_path": "压缩包含不安全的路径 {name}",
    "ratio": f"压缩比异常（{{part}}），{_ZIP_BOMB}",
    "inflated_size": f"解压后体积过大，{_ZIP_BOMB}",
    "file_size": "文件过大（{mib} MiB），拒绝处理",
    "file_limit": "文件过大（超过 {mib} MiB），拒绝处理",
    "sheet_extent": "工作表“{sheet}”" + _EXTENT,
    "book_extent": "工作簿" + _EXTENT,
}
_XML_BOMB = "已拒绝（XML 炸弹防护）"
_F004 = {"": f"文件含有 XML 实体定义，{_XML_BOMB}", "doctype": f"文件含有 XML 实体或 DOCTYPE 定义，{_XML_BOMB}"}
# The stages of the pipeline an unexpected failure is reported for (giptemplate.pipeline.internal_refusal)
_STAGES = {"read": "读取", "check": "校验", "read_lower": "读取下级汇总"}
_F005 = {
    "": "文件不完整或已损坏",
    "empty": "文件为空（0 字节）",
    "zip": "文件不完整或已损坏（压缩包无法打开）",
    "bad_part": "文件已损坏（{part} 编码错误）",
    "part_header": "文件已损坏（{part} 无法读取）",
    "part_inflate": "文件已损坏（{part} 无法解压）",
    "part_crc": "文件不完整或已损坏（{part} 校验失败）",
    "xml": "文件内容已损坏（XML 错误）",
    "unparsable": "文件无法解析，可能已损坏",
    "unparsable_type": "文件无法解析，可能已损坏（{error}）",
    "not_regular": "不是普通文件（文件夹、管道、设备或失效的链接），未读取",
    "not_regular_now": "不是普通文件，未读取",
    "os_error": "无法读取文件：{error}",
    # an unexpected failure (a bug, logged), by the stage it happened in: the exception's type, never its text
    **{f"internal_{stage}": f"{said}时发生内部错误（{{error}}）" for stage, said in _STAGES.items()},
    "crashed": "读取该文件的进程异常退出（可能文件损坏或过于复杂）",
    # a check that failed unexpectedly on a readable file: the internal error's line, the findings incomplete
    "internal": "{error}，结果不完整",
}
_USE_TEMPLATE = "请使用下发的模板填报"
_F006 = {
    "no_identity": f"不是本模板的工作簿（没有模板标识，也找不到报告格式的表头），{_USE_TEMPLATE}",
    "ambiguous": (
        "无法确定报告格式：表头与 {format} 年格式（{share}）和 {other_format} 年格式（{other_share}）同样接近，"
        + _USE_TEMPLATE
    ),
}
_MIXED = "的表格或表头（如{seen}），不是完整的 {format} 年格式，请使用 {format} 年格式的模板填报"
# F006 of a lower level's long data (a merge input named explicitly) that this tool did not write as such
_LONG = "无法作为下级汇总读取"
_F006_LONG = {
    "long_unreadable": "不是本工具写出的长表数据（{error}），无法读取",
    "long_no_metadata": f"缺少本工具写入的格式或报送情况信息，{_LONG}",
    "long_no_column": f"缺少长表的 {{column}} 列，{_LONG}",
    "long_unknown_cell": "含有{title}中没有的单元格 {key}，无法读取",
    "long_bad_number": "其中的数值“{text}”无法识别",
}
_F007 = {
    "template_version": "模板版本“{template_id}”不受支持（本程序支持 {supported}；请使用本年度下发的新模板）",
    "format_version": "格式版本“{version}”不受支持（本程序支持 {supported}）",
    "mixed": "混用了{other_formats}" + _MIXED,
    "mixed_unnamed": "混用了其他格式版本" + _MIXED,  # a spec that does not name the format its tell-tales are from
    "year": "{year} 年度的报告格式尚不支持",
}
_P801 = {
    "": "文档没有文字层（扫描件或图片），无法读取，请提供可复制文字的 PDF、Word 或网页版本",
    "image_tables": "文档中的表格是图片或没有文字层，无法读取表格数据",
}
_P802 = "PDF 中的表格没有框线，无法按单元格可靠读取，请提供 Word、网页版本或带框线的 PDF"


class TemplateFieldsError(ValueError):
    """A finding rendered with fields its template does not name, or without one it does: a bug at the call site."""


@dataclass(frozen=True)
class ErrorCode:
    """One code of the catalogue: its default severity, its short title and the sentence(s) of its findings.

    ``templates`` maps a variant to a :meth:`str.format` template with named fields; "" is the variant used when
    none is given. A code has several variants only where the sentence really differs (a relation's operator, a
    blank cell against a typed one); the values of the fields are text already formatted (names of cells, numbers
    as the messages show them), supplied by the checks (:mod:`giptemplate.format.wording` names cells and phrases).
    """

    code: str
    severity: Severity
    title: str
    templates: Mapping[str, str]

    def template(self, variant: str = "") -> str:
        try:
            return self.templates[variant]
        except KeyError:
            raise TemplateFieldsError(
                f"{self.code} has no message variant {variant!r} (it has {sorted(self.templates)})"
            ) from None

    def fields(self, variant: str = "") -> frozenset[str]:
        """The names of the fields of one variant's template."""
        return template_fields(self.template(variant))

    def render(self, variant: str = "", /, **fields: object) -> str:
        """The message of ``variant`` with ``fields``; raises :class:`TemplateFieldsError` when a field is missing
        or extra."""
        template = self.template(variant)
        wanted = template_fields(template)
        if wanted != fields.keys():
            missing, extra = sorted(wanted - fields.keys()), sorted(fields.keys() - wanted)
            raise TemplateFieldsError(f"{self.code}[{variant!r}]: fields missing {missing}, extra {extra}")
        return template.format_map({name: str(value) for name, value in fields.items()})


@functools.cache
def template_fields(template: str) -> frozenset[str]:
    """The named fields of a template (positional or attribute fields are refused: a template names its fields)."""
    names = set()
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise TemplateFieldsError(f"template field {name!r} must be a plain name: {template!r}")
        names.add(name)
    return frozenset(names)


def _code(code: str, severity: Severity, title: str, messages: str | Mapping[str, str]) -> ErrorCode:
    return ErrorCode(code, severity, title, {"": messages} if isinstance(messages, str) else dict(messages))


# The catalogue of every code giptemplate emits: severity, title and message templates.
CODES: dict[str, ErrorCode] = {
    entry.code: entry
    for entry in (
        # Intake (F0xx): a file refused before it is read, by why
        _code("F001", "error", "不是电子表格文件", _F001),
        _code("F002", "error", "文件有打开密码", _F002),
        _code("F003", "error", "压缩包不安全", _F003),
        _code("F004", "error", "XML 实体扩展被拒绝", _F004),
        _code("F005", "error", "文件为空、不完整或已损坏", _F005),
        _code("F006", "error", "不是本模板", {**_F006, **_F006_LONG}),
        _code("F007", "error", "不支持的格式版本或年度", _F007),
        # Structure (S1xx)
        _code(
            "S101",
            "error",
            "缺少表格工作表",
            {
                "": "缺少工作表“{sheet}”，其中的数据无法读取。",
                "table": "缺少工作表“{sheet}”（{table}），其中的数据无法读取。",
            },
        ),
        _code(
            "S102",
            "info",
            "工作表被改名或增加",
            {
                "renamed": "工作表“{original}”被改名为“{found}”，已按模板标识找到。",
                "added": "增加了工作表“{sheet}”，其内容不读取。",
            },
        ),
        _code(
            "S103",
            "error",
            "行列被插入或删除",
            {
                "lost": "{sheet}的行列被插入或删除，无法定位表格，其中的数据未能读取。",
                "moved": "{sheet}的行列被插入或删除：表格整体{shift}，已按表头找到并从新位置读取。",
            },
        ),
        _code(
            "S104",
            "error",
            "固定表头被修改",
            {
                "missing": "固定表头“{expected}”被删除。",
                "altered": "固定表头被修改：应为“{expected}”，现为“{found}”。",
            },
        ),
        _code(
            "S105",
            "error",
            "合计公式被改为数值",
            {
                "": "{cell}的合计公式{how}；{tail}汇总时将使用重新计算的值；请恢复公式（使用新模板填写）。",
                # in a return copy, whose formulas are back (giptemplate.workbook.review)
                "restored": "{cell}合计栏原填 {typed}，已恢复公式，请核对明细。",
                "restored_computed": "{cell}合计栏原填 {typed}，按明细计算为 {computed}，已恢复公式，请核对明细。",
            },
        ),
        _code(
            "S106",
            "warning",
            "文件未重新计算",
            {
                "": _S106.replace("{how}", "文件未重新计算"),
                "format": _S106.replace("{how}", "文件未重新计算或合计被改为数值（该文件格式无法区分）"),
            },
        ),
        _code(
            "S107",
            "error",
            "混用了其他格式版本的表格或表头",
            "使用了{other}的表头“{found}”（{version} 年格式为“{expected}”），请改用本格式的模板。",
        ),
        _code("S108", "warning", "表头有错字", "表头“{found}”有错字，应为“{expected}”，已按“{expected}”读取。"),
        _code("S109", "info", "表头为允许的地方变体", "表头“{found}”为允许的地方写法（标准为“{expected}”）。"),
        _code("S110", "info", "工作表保护被取消", "工作表“{sheet}”的保护被取消。"),
        _code(
            "S111",
            "info",
            "数值单元格的合并或位置与模板不同",
            "{sheet}「{row}」行的数值单元格与模板布局不同（{seen}），{how}。",
        ),
        _code(
            "S112",
            "error",
            "数值位置不明确，未读取",
            {
                "": _S112.format(which="都可能是它的数值，无法判断取哪一个", why=""),
                "+one": _S112.format(which="可能是它的数值", why=""),
                "hidden": _S112.format(which="都可能是它的数值，无法判断取哪一个", why=_S112_HIDDEN),
                "hidden+one": _S112.format(which="可能是它的数值", why=_S112_HIDDEN),
            },
        ),
        # Cover (C7xx)
        _code("C701", "error", "缺少填报单位", "封面“{label}”未填写。"),
        _code(
            "C702",
            "error",
            "报告年度缺失或与模板不符",
            {"": "封面“{label}”{what}。", "format": "封面“{label}”为 {year}，不适用{document}格式。"},
        ),
        _code("C703", "error", "统一社会信用代码校验位错误", "封面“{label}”{code} {why}，请核对。"),
        _code(
            "C704",
            "warning",
            "未选择统计口径",
            {
                "": "封面“{label}”未选择，应为{choices}之一（汇总时需要）。",
                "typed": "封面“{label}”填写为“{raw}”，应为{choices}之一（汇总时需要）。",
            },
        ),
        _code("C705", "info", "缺少填报人或联系电话", "封面“{label}”未填写。"),
        # Values (V2xx)
        _code(
            "V201",
            "error",
            "不是数字",
            {"": "{cell}填写为“{raw}”，不是数字。", "spelled": "{cell}填写为“{raw}”，不是有效数字。"},
        ),
        _code("V202", "error", "件数为负数", "{cell}为 {shown}，{what}不能为负数。"),
        _code("V203", "error", "单元格未填写", "{cell}未填写{typed}；" + BLANK_ADVICE),
        _code("V204", "error", "件数不是整数", "{cell}为 {shown}，件数须为整数。"),
        _code("V205", "info", "输入已规范化", "{cell}填写为“{raw}”（{how}），已按 {value} 读取。"),
        _code(
            "V206",
            "explain",
            "数字单元格内有注释",
            {
                "": "{cell}填写为“{raw}”，已按 {value} 读取" + _V206,
                "note": "{cell}填写为“{raw}”，已按 {value} 读取，其中的说明“{note}”" + _V206,
            },
        ),
        _code(
            "V207",
            "explain",
            "单元格带单位",
            {
                "converted": "{cell}填写为“{raw}”，已换算为 {value} {unit}；本栏单位为{unit}，请确认金额。",
                "matches": "{cell}填写为“{raw}”，已按 {value} 读取（单位相符）。",
            },
        ),
        _code(
            "V208",
            "warning",
            "金额超过 4 位小数",
            "{cell}为 {value}，超过 {places} 位小数（单位为{unit}）；已按原值保存，请核对。",
        ),
        _code("V209", "error", "单元格为错误值", "{cell}为错误值 {raw}，不能按 0 或空白处理；请填写数字。"),
        _code(
            "V210",
            "info",
            "本级以下单位的规章数不为 0",
            "{cell}为 {value}：{row}只由省级和设区的市级人民政府制定，统计口径为“{scope}”的单位一般应为 0，"
            "请核对是否误填了其他行的数字。",
        ),
        _code(
            "V212",
            "error",
            "数值超出模板允许范围",
            "{cell}为 {value}，超过模板允许的上限 {top}（数据有效性被绕过，如粘贴），不能使用，请核对后重新填写。",
        ),
        # Relations (A3xx)
        _code("A301", "error", "总计不等于各类申请人之和", RELATION_TEMPLATES),
        _code("A302", "error", "（七）总计不等于各项之和", RELATION_TEMPLATES),
        _code("A303", "error", "一+二 不等于 （七）+四", RELATION_TEMPLATES),
        _code("A304", "error", "表四总计不等于各项之和", RELATION_TEMPLATES),
        _code(
            "A390",
            "warning",
            "关系无法判断",
            {
                "": "{instance}「{relation}」无法判断：{cells} 未填写或不是有效数字（见各单元格的问题）。",
                "table": "{sheet}未能读取，其中 {count} 处勾稽关系（{code}）均无法判断。",
                "aggregate": "汇总数据「{relation}」在「{instance}」无法判断：{cells} 没有任何单位填写数字。",
            },
        ),
        # Across years (Y5xx)
        _code(
            "Y501",
            "error",
            "上年结转与上年度结转下年度不一致",
            "{cell}为 {now}，{previous}报告{previous_cell}为 {before}，相差 {gap}（如因重新统计或机构改革，请说明）。",
        ),
        _code(
            "Y502",
            "warning",
            "行政规范性文件存量不连续",
            "{cell}为 {now}，按{previous}现行有效 {before} + 本年制发 {issued} − 本年废止 {repealed} 应为 {expected}，"
            "相差 {gap}（{row}清理、修订或联合发文可能造成差异，请核对）。",
        ),
        _code(
            "Y503",
            "warning",
            "收费金额与上年相差约一万倍",
            {
                direction: f"{{cell}}为 {{now}} {{unit}}，{{previous}}为 {{before}} {{unit}}，{word}约 {{factor}} 倍："
                "可能把“元”当作“万元”填写（或相反），请核对。"
                for direction, word in (("up", "增大"), ("down", "缩小"))
            },
        ),
        _code(
            "Y505",
            "warning",
            "表格数据与上年完全相同",
            "表格数据与{previous}报告完全相同（{count} 个填报单元格），疑似照抄上年，请核对。",
        ),
        _code(
            "Y590",
            "info",
            "无上年数据，跨年度检查未进行",
            "未找到本单位上年度的报告，上年结转、存量连续性、收费变化和文字雷同等跨年度检查未进行。",
        ),
        _code(
            "Y592",
            "info",
            "上年格式不同，跨年度检查未进行",
            {
                "": "{previous}报告使用《{title}》（{document}），其中没有与本年含义相同的“{meaning}”，"
                "{code} 跨年度检查未进行。",
                "aggregate": "上年度文件使用{format}，其中没有“{meaning}”，汇总的上年结转未核对。",
            },
        ),
        _code(
            "Y591",
            "info",
            "跨年度检查无法判断（相关单元格未填写）",
            "{code} 跨年度检查有 {count} 处无法判断：本年或{previous}相关单元格未填写（{cells}）。",
        ),
        # Narrative (N6xx)
        _code(
            "N601",
            "error",
            "文字部分缺失或过短",
            {
                "blank": "“{heading}”未填写。",
                "blank_word": "“{heading}”仅填写“{raw}”，须按要求写明具体内容。",
                "short": "“{heading}”只有 {length} 个字，内容过短（至少 {minimum} 个字）。",
            },
        ),
        _code("N602", "warning", "第六部分未说明信息处理费情况", "“{title}”{what}。{hint}"),
        _code(
            "N603",
            "info",
            "总体情况缺少部分小标题",
            {
                "missing": "“{heading}”缺少“{part}”部分的内容。",
                "long": "“{heading}”共 {length} 个字，超过约 {limit} 字的常见篇幅要求，可精简。",
            },
        ),
        _code(
            "N604",
            "warning",
            "文字部分与上年雷同",
            "“{heading}”与{previous}报告高度相似（相似度 {similarity}），疑似照抄上年，请按本年度情况撰写。",
        ),
        _code(
            "N605",
            "warning",
            "文字部分与其他单位雷同",
            "「{part}」与本批其他单位雷同（相似度 {similarity}）：{others}。",
        ),
        _code(
            "N607",
            "info",
            "信息处理费的说明与表格不符",
            {
                "": "“{part}”中“{sentence}”称{claim}{amount}，{says}（{cells}为 {total}），请核对。",
                "zero": "“{part}”中“{sentence}”称{claim}为 0，{says}（{cells}为 {total}），请核对。",
            },
        ),
        # Merge (M4xx)
        _code(
            "M401",
            "info",
            "重复报送",
            {
                "same": "{file} 与 {chosen} 内容完全相同，只计入一次。",
                "unfit": "{file} 较新，但{why}，采用 {chosen}。",
                "scope": "{file} 的统计口径为“{scope}”，采用本机关口径的 {chosen}。",
                "older": "{file} 报送了多份文件，采用最新的 {chosen}；本文件（保存时间 {saved}）未计入汇总。",
            },
        ),
        _code(
            "M402",
            "error",
            "名单内单位未报送",
            {
                "": "名单内单位 {unit}（{code}）未报送，汇总不完整。",
                "unreadable": "名单内单位 {unit}（{code}）未报送（文件 {file} 无法读取），汇总不完整。",
            },
        ),
        _code(
            "M403",
            "error",
            "汇总中混有不同格式版本",
            "{file} 使用{format}，本次汇总为{merge_format}：一次汇总只能是一种格式，未计入汇总。",
        ),
        _code(
            "M404",
            "error",
            "汇总数据不满足勾稽关系",
            {
                "": _M404,
                "failing": f"{_M404}{_M404_FAILING}。",
                "unknown": f"{_M404}{_M404_UNKNOWN}。",
                "both": f"{_M404}{_M404_FAILING}；{_M404_UNKNOWN}。",
            },
        ),
        _code(
            "M405",
            "error",
            "汇总口径混用",
            "{file} 的统计口径为“{scope}”，已包含各部门数据，与 {count} 个“本机关”报送一起相加会重复计算，未计入汇总。"
            "请确认该文件是否应为本机关口径。",
        ),
        _code(
            "M406",
            "info",
            "汇总单元格不宜直接相加",
            "汇总单元格 {cell} 为各单位直接相加（{value}）：{reason}，请核实。",
        ),
        _code(
            "M407",
            "warning",
            "汇总上年结转与上年汇总不一致",
            {
                "no_previous": "上年度（{year}）文件中没有可用的报告，汇总的上年结转无法与上年汇总核对。",
                "": f"{_M407}各单位与上年相同，请核对各单位的上年结转（Y501）。",
                "gone": f"{_M407}{_M407_GONE}。",
                "new": f"{_M407}{_M407_NEW}。",
                "both": f"{_M407}{_M407_GONE}；{_M407_NEW}。",
            },
        ),
        _code(
            "M408",
            "warning",
            "名单外单位",
            {
                "": "{file}（{code}）不在单位名单中，未计入汇总。如为新增单位，请补入名单后重新汇总。",
                "no_code": "{file}（无单位代码）不在单位名单中，未计入汇总。如为新增单位，请补入名单后重新汇总。",
            },
        ),
        _code(
            "M409",
            "warning",
            "汇总单元格部分单位缺数",
            "汇总单元格 {cell} 只含 {count} 个单位的数据，{lacking} 个单位未填写或非数字：{units}。",
        ),
        _code(
            "M411",
            "error",
            "报告年度与本次汇总不同",
            "{file} 的报告年度为 {year}，本次汇总为 {merge_year} 年度，未计入汇总。",
        ),
        _code(
            "M412",
            "error",
            "单位名称与单位代码不一致",
            {
                **{kind: head + _M412 for kind, head in _M412_HEADS.items()},
                **{
                    f"{kind}+others": f"{head}；同一代码或名称的其他文件：{{others}}{_M412}"
                    for kind, head in _M412_HEADS.items()
                },
            },
        ),
        # Published reports (Word, PDF, web page) and their text against their tables (issue 11).
        _code("P801", "error", "文档为扫描件或表格为图片，无法读取", _P801),
        _code("P802", "error", "PDF 表格没有框线，无法可靠读取", _P802),
        _code(
            "P803",
            "warning",
            "文档中的数字无法确定，已留空",
            "{place}：文档中此处的数字无法确定（{readings}），已留空，请核对原文后填写。",
        ),
        _code(
            "T901",
            "explain",
            "文字部分与表格数字不一致",
            "“{part}”中“{sentence}”称{claim} {number}，{cells}为 {total}，两处应一致，请核对后说明。",
        ),
        _code(
            "T902",
            "info",
            "文字部分所述范围与表格不同",
            "“{part}”中“{sentence}”称{claim} {number}，{cells}为 {total}（该句所述范围与本表不同，请确认）。",
        ),
    )
}

# A finding of a published document placed where the document prints its number ("表三第 2 行"): the place, then
# the finding's own message.
DOCUMENT_PLACE_TEMPLATE = "{place}：{message}"

# Relation codes a spec file declares beyond the catalogue (a new format's own relations), with the relation
# templates.
DECLARED: dict[str, ErrorCode] = {}


def declare_code(code: str, severity: Severity, title: str) -> None:
    """Let a spec's relation code be emitted: catalogue codes keep their entry, a new one gets the spec's severity
    and title and the relation templates (:data:`RELATION_TEMPLATES`, by operator)."""
    if code not in CODES:
        DECLARED.setdefault(code, ErrorCode(code, severity, title, RELATION_TEMPLATES))


def error_code(code: str) -> ErrorCode:
    """The catalogue entry of ``code`` (a spec-declared one included); KeyError for an unknown code."""
    return CODES.get(code) or DECLARED[code]


def code_title(code: str) -> str:
    """The short Chinese title of a code ('' for an unknown one)."""
    entry = CODES.get(code) or DECLARED.get(code)
    return entry.title if entry else ""


def render(code: str, variant: str = "", /, **fields: object) -> str:
    """The message of ``code`` (its ``variant``) with ``fields``: what `check` prints and, with placeholders for
    fields, what the workbook's 校验 sheet shows (:mod:`giptemplate.workbook.live`)."""
    return error_code(code).render(variant, **fields)


@dataclass(frozen=True)
class Finding:
    """One problem (or remark) about one file, unit or aggregate, located as precisely as possible."""

    code: str
    severity: Severity
    message: str
    file: str = ""
    sheet: str | None = None
    cell: str | None = None  # A1 address on ``sheet``
    cell_key: str | None = None  # the spec's key ("t3.R1.c1") when the finding is about a data cell
    rule: str | None = None  # rule instance, e.g. "t3_balance[c1]"
    unit_name: str = ""
    unit_code: str = ""
    expected: str | None = None
    actual: str | None = None
    diff: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[self.severity]

    @property
    def location(self) -> str:
        if self.sheet and self.cell:
            return f"'{self.sheet}'!{self.cell}"
        return self.sheet or ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity_label"] = self.severity_label
        data["location"] = self.location
        return data


# One row per finding, (key, heading), in output order: the one definition behind check's JSON, CSV and xlsx, the
# terminal table, the merge summary's 校验问题 sheet and the reading back of a lower level's summary. Each output
# takes the columns it shows, by key (:func:`finding_columns`), with these headings.
FINDING_ROW: tuple[tuple[str, str], ...] = (
    ("unit_name", "单位名称"),
    ("unit_code", "单位代码"),
    ("file", "文件"),
    ("sheet", "工作表"),
    ("cell", "单元格"),
    ("location", "位置"),
    ("severity", "严重程度"),
    ("code", "代码"),
    ("title", "问题类型"),
    ("rule", "规则"),
    ("message", "说明"),
    ("expected", "应为"),
    ("actual", "实际"),
    ("diff", "差额"),
)
_FINDING_HEADINGS = dict(FINDING_ROW)


def finding_columns(*keys: str) -> tuple[tuple[str, str], ...]:
    """(key, heading) of the finding-row columns ``keys``, in the order given."""
    return tuple((key, _FINDING_HEADINGS[key]) for key in keys)


def finding_row(finding: Finding) -> dict[str, str]:
    """Every column of :data:`FINDING_ROW` for one finding, as text."""
    return {
        "unit_name": finding.unit_name,
        "unit_code": finding.unit_code,
        "file": finding.file,
        "sheet": finding.sheet or "",
        "cell": finding.cell or "",
        "location": finding.location,
        "severity": finding.severity_label,
        "code": finding.code,
        "title": code_title(finding.code),
        "rule": finding.rule or "",
        "message": finding.message,
        "expected": finding.expected or "",
        "actual": finding.actual or "",
        "diff": finding.diff or "",
    }


def make(
    code: str,
    fields: Mapping[str, object] | None = None,
    *,
    variant: str = "",
    severity: Severity | None = None,
    **where: Any,
) -> Finding:
    """A finding of ``code``: its message rendered from the catalogue's template ``variant`` with ``fields`` (a
    missing or extra field raises :class:`TemplateFieldsError` at once), the catalogue's default severity unless
    ``severity`` is given, and ``where`` (file, sheet, cell, unit, expected, actual, extra ...). The fields, as
    text, and the variant are kept in ``extra["fields"]`` and ``extra["variant"]``, so that JSON output carries
    them and the message can be rendered again."""
    entry = error_code(code)
    values = {name: str(value) for name, value in (fields or {}).items()}
    message = entry.render(variant, **values)
    extra = {**(where.pop("extra", None) or {}), "fields": values, "variant": variant}
    return Finding(code=code, severity=severity or entry.severity, message=message, extra=extra, **where)


def rendered_again(finding: Finding, fields: Mapping[str, object], *, variant: str = "") -> Finding:
    """``finding`` with its message rendered from another variant of its code's templates (a return copy says
    what it did to the cell)."""
    again = make(finding.code, fields, variant=variant)
    return dataclasses.replace(finding, message=again.message, extra={**finding.extra, **again.extra})


def at_document_place(finding: Finding, place: str) -> Finding:
    """``finding`` placed where a published document prints the number it is about (:data:`DOCUMENT_PLACE_TEMPLATE`)."""
    message = DOCUMENT_PLACE_TEMPLATE.format_map({"place": place, "message": finding.message})
    return dataclasses.replace(finding, message=message, extra={**finding.extra, "document_place": place})


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.file, SEVERITY_ORDER[f.severity], f.code, f.sheet or "", f.cell or ""))


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)
