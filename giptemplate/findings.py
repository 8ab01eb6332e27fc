"""Findings: what the checks say about a file, each with a stable code, a severity, a place and a Chinese message.

Findings are plain data; rendering them (table, JSON, CSV, xlsx) is the job of :mod:`giptemplate.checks.render`
and the CLI. Codes follow ../shared/reference/checks.md and are never renumbered or reused.
"""

from __future__ import annotations

from collections.abc import Iterable
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


# code -> (default severity, short Chinese title). The catalogue of every code giptemplate emits.
CODES: dict[str, tuple[Severity, str]] = {
    "F001": ("error", "不是电子表格文件"),
    "F002": ("error", "文件有打开密码"),
    "F003": ("error", "压缩包不安全"),
    "F004": ("error", "XML 实体扩展被拒绝"),
    "F005": ("error", "文件为空、不完整或已损坏"),
    "F006": ("error", "不是本模板"),
    "F007": ("error", "不支持的格式版本或年度"),
    "S101": ("error", "缺少表格工作表"),
    "S102": ("info", "工作表被改名或增加"),
    "S103": ("error", "行列被插入或删除"),
    "S104": ("error", "固定表头被修改"),
    "S105": ("error", "合计公式被改为数值"),
    "S106": ("warning", "文件未重新计算"),
    "S107": ("error", "混用了其他格式版本的表格或表头"),
    "S108": ("warning", "表头有错字"),
    "S109": ("info", "表头为允许的地方变体"),
    "S110": ("info", "工作表保护被取消"),
    "S111": ("info", "数值单元格的合并或位置与模板不同"),
    "S112": ("error", "数值位置不明确，未读取"),
    "C701": ("error", "缺少填报单位"),
    "C702": ("error", "报告年度缺失或与模板不符"),
    "C703": ("error", "统一社会信用代码校验位错误"),
    "C704": ("warning", "未选择统计口径"),
    "C705": ("info", "缺少填报人或联系电话"),
    "V201": ("error", "不是数字"),
    "V202": ("error", "件数为负数"),
    "V203": ("error", "单元格未填写"),
    "V204": ("error", "件数不是整数"),
    "V205": ("info", "输入已规范化"),
    "V206": ("explain", "数字单元格内有注释"),
    "V207": ("explain", "单元格带单位"),
    "V208": ("warning", "金额超过 4 位小数"),
    "V209": ("error", "单元格为错误值"),
    "V210": ("info", "本级以下单位的规章数不为 0"),
    "V212": ("error", "数值超出模板允许范围"),
    "A301": ("error", "总计不等于各类申请人之和"),
    "A302": ("error", "（七）总计不等于各项之和"),
    "A303": ("error", "一+二 不等于 （七）+四"),
    "A304": ("error", "表四总计不等于各项之和"),
    "A390": ("warning", "关系无法判断"),
    "Y501": ("error", "上年结转与上年度结转下年度不一致"),
    "Y502": ("warning", "行政规范性文件存量不连续"),
    "Y503": ("warning", "收费金额与上年相差约一万倍"),
    "Y505": ("warning", "表格数据与上年完全相同"),
    "Y590": ("info", "无上年数据，跨年度检查未进行"),
    "Y592": ("info", "上年格式不同，跨年度检查未进行"),
    "Y591": ("info", "跨年度检查无法判断（相关单元格未填写）"),
    "N601": ("error", "文字部分缺失或过短"),
    "N602": ("warning", "第六部分未说明信息处理费情况"),
    "N603": ("info", "总体情况缺少部分小标题"),
    "N604": ("warning", "文字部分与上年雷同"),
    "N605": ("warning", "文字部分与其他单位雷同"),
    "N607": ("info", "信息处理费的说明与表格不符"),
    "M401": ("info", "重复报送"),
    "M402": ("error", "名单内单位未报送"),
    "M403": ("error", "汇总中混有不同格式版本"),
    "M404": ("error", "汇总数据不满足勾稽关系"),
    "M405": ("error", "汇总口径混用"),
    "M406": ("info", "汇总单元格不宜直接相加"),
    "M407": ("warning", "汇总上年结转与上年汇总不一致"),
    "M408": ("warning", "名单外单位"),
    "M409": ("warning", "汇总单元格部分单位缺数"),
    "M411": ("error", "报告年度与本次汇总不同"),
    "M412": ("error", "单位名称与单位代码不一致"),
    # Published reports (Word, PDF, web page) and their text against their tables (issue 11).
    "P801": ("error", "文档为扫描件或表格为图片，无法读取"),
    "P802": ("error", "PDF 表格没有框线，无法可靠读取"),
    "P803": ("warning", "文档中的数字无法确定，已留空"),
    "T901": ("explain", "文字部分与表格数字不一致"),
    "T902": ("info", "文字部分所述范围与表格不同"),
}


# Relation codes a spec file declares beyond the catalogue (a new format's own relations): code -> (severity, title).
DECLARED: dict[str, tuple[Severity, str]] = {}


def declare_code(code: str, severity: Severity, title: str) -> None:
    """Let a spec's relation code be emitted: catalogue codes keep their entry, a new one gets the spec's."""
    if code not in CODES:
        DECLARED.setdefault(code, (severity, title))


def code_title(code: str) -> str:
    """The short Chinese title of a code ('' for an unknown one)."""
    return (CODES.get(code) or DECLARED.get(code) or ("", ""))[1]


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


def make(code: str, message: str, *, severity: Severity | None = None, **where: Any) -> Finding:
    """A finding with the catalogue's default severity for ``code``."""
    default, _ = CODES.get(code) or DECLARED[code]
    return Finding(code=code, severity=severity or default, message=message, **where)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.file, SEVERITY_ORDER[f.severity], f.code, f.sheet or "", f.cell or ""))


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)
