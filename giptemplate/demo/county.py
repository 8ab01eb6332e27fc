"""The demo: one year of a sample county's 政务公开办, end to end, on built-in data.

A roster of a dozen units of 郑县 (县直部门, 乡镇, 街道) gets personalised templates; the units fill them the way
departments do (openpyxl on our template, which keeps protection and validation and drops cached values), most
of them correctly and some with the usual slips; one file arrives corrupt, one unit never answers, one resubmits
a corrected file later, one unit outside the roster sends a file anyway. The office then checks every file,
writes return-for-correction copies, merges, and renders the county report. 郑县教育体育局 carries the figures
and texts of the published 2021 report in shared/seed/ (行政许可 627, every other cell 0).
"""

from __future__ import annotations

import csv
import datetime
import itertools
import random
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from giptemplate.checks.checker import check_file
from giptemplate.demo.texts import POOLS, S6_EXTRAS, S6_MISSING, S6_NO_FEE, SEED_TEXTS, SEED_UNIT, SEED_VALUES
from giptemplate.errors import IntakeError
from giptemplate.files import atomic
from giptemplate.files.paths import unit_filename
from giptemplate.format import uscc
from giptemplate.format.arithmetic import Number, arithmetic_for
from giptemplate.format.layout import layout_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import DEFAULT_SCOPE, Relation, Spec, spec_for_year
from giptemplate.merge import merge, write_long, write_summary
from giptemplate.report.model import ReportData
from giptemplate.report.render import render
from giptemplate.report.texts_file import read_texts
from giptemplate.roster import RosterEntry, write_roster_templates
from giptemplate.web import workspace
from giptemplate.web.workspace import Workspace
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.review import write_return_copy
from giptemplate.workbook.writer import write_template

YEAR = 2021  # the year of the seed report the demo is built around
COUNTY = "郑县"
OFFICE = "郑县人民政府"
COUNTY_TEXTS = "文字内容.md"  # the county narrative the demo writes beside the summary
REGION = "419900"  # a made-up administrative division code for the sample county
RETURN_SUFFIX = workspace.RETURN_SUFFIX

Step = Callable[[str], None]


@dataclass(frozen=True)
class DemoUnit:
    name: str
    group: str
    focus: str
    scenario: str = "ok"  # ok, seed, typed_total, broken_balance, text_number, no_fee_statement, blanks,
    # corrupt, missing, resubmit, copies, off_roster
    site: str = ""


UNITS: tuple[DemoUnit, ...] = (
    DemoUnit(SEED_UNIT, "县直部门", "教育管理政策、招生考试", "seed"),
    DemoUnit("郑县财政局", "县直部门", "预决算公开、财政资金直达基层"),
    DemoUnit("郑县自然资源局", "县直部门", "国土空间规划、征地补偿", "typed_total"),
    DemoUnit("郑县卫生健康委员会", "县直部门", "医疗服务、公共卫生", "broken_balance"),
    DemoUnit("郑县市场监督管理局", "县直部门", "食品安全抽检、“双随机、一公开”监管", "text_number"),
    DemoUnit("郑县公安局", "县直部门", "户政服务、交通管理", "no_fee_statement"),
    DemoUnit("郑县住房和城乡建设局", "县直部门", "保障性住房、老旧小区改造", "blanks"),
    DemoUnit("郑县城关镇人民政府", "乡镇", "惠民惠农补贴、村务公开", "corrupt"),
    DemoUnit("郑县白沙镇人民政府", "乡镇", "乡村振兴项目、惠农补贴", "missing"),
    DemoUnit("郑县官渡镇人民政府", "乡镇", "农村人居环境整治、救助帮扶", "resubmit"),
    DemoUnit("郑县东风路街道办事处", "街道", "社区服务、民生实事", "copies"),
    DemoUnit("郑县新华路街道办事处", "街道", "社区治理、养老服务"),
)
OFF_ROSTER = DemoUnit("郑县退役军人事务局", "县直部门", "优抚政策、退役军人就业", "off_roster")

FILLERS = ("王静", "李明", "张伟", "刘洋", "陈晨", "杨帆", "赵磊", "黄丽", "周敏", "吴刚", "徐亮", "孙悦", "马骏")


@dataclass
class DemoResult:
    out_dir: Path
    roster: Path
    templates: Path
    returned: Path
    returns: Path
    summary: Path
    long: Path
    reports: list[Path] = field(default_factory=list)
    returned_files: list[Path] = field(default_factory=list)
    return_copies: list[Path] = field(default_factory=list)
    check_lines: list[tuple[str, str]] = field(default_factory=list)  # (file, verdict)
    merge: Any = None  # the MergeResult
    scenarios: dict[str, str] = field(default_factory=dict)  # unit -> what it demonstrates


def unit_code(index: int) -> str:
    """A valid 统一社会信用代码 of a 机关 (category 1, type 1) in the sample county."""
    body = f"11{REGION}{7000000 + index * 137:09d}"
    return body + uscc.check_digit(body)


def roster_entries() -> list[RosterEntry]:
    return [RosterEntry(u.name, unit_code(i), u.group, i + 2) for i, u in enumerate(UNITS)]


# ---------------------------------------------------------------------------------------------- fills


def _site(unit: DemoUnit) -> str:
    short = unit.name.removeprefix(COUNTY).removesuffix("人民政府").removesuffix("办事处")
    return unit.site or f"{COUNTY}{short}政务公开专栏"


def narrative(
    spec: Spec, unit: DemoUnit, values: Mapping[str, Number | None], rng: random.Random, index: int = 0
) -> dict[str, str]:
    """The texts a department writes: a combination of pool sentences of its own (``index`` picks it, so two
    units never write the same pair), its own figures quoted in 一（二）."""
    if unit.scenario == "seed":
        return dict(SEED_TEXTS)
    fields = {
        "unit": unit.name,
        "year": YEAR,
        "focus": unit.focus,
        "site": _site(unit),
        "a": rng.randint(60, 900),
        "b": rng.randint(10, 60),
        "c": rng.randint(3, 40),
        "d": rng.randint(1, 6),
        "e": rng.randint(40, 600),
        "f": rng.randint(2, 6),
    }

    def pick(pool: str, size: int, step: int = 1) -> list[str]:
        sentences = POOLS[pool]
        combos = list(itertools.combinations(range(len(sentences)), size))
        chosen = list(combos[(index * step) % len(combos)])
        rng.shuffle(chosen)
        return [sentences[i].format(**fields) for i in chosen]

    texts: dict[str, str] = {}
    for part in spec.parts:
        if part.key in POOLS:
            texts[part.key] = "".join(pick(part.key, 2))
    # 一（二） quotes the unit's own table 三 figures, as reviewers expect them to match.
    new, carried, pending = (values.get(k) for k in _total_column_keys(spec))
    if "s1_2" in texts:
        texts["s1_2"] = (
            f"{YEAR}年，{unit.name}共收到政府信息公开申请{new}件，上年结转{carried}件，"
            f"结转下年度继续办理{pending}件。" + texts["s1_2"]
        )
    problems, measures = pick("problems", 3, 3), pick("measures", 3, 5)
    texts["s5"] = (
        "本单位政府信息公开工作还存在一些不足："
        + "；".join(f"{n}是{p}" for n, p in zip("一二三", problems, strict=False))
        + "。下一步，我们将"
        + "，".join(measures)
        + "，推动政府信息公开工作提质增效。"
    )
    extra = rng.choice(S6_EXTRAS).format(**fields)
    texts["s6"] = S6_MISSING if unit.scenario == "no_fee_statement" else S6_NO_FEE.format(**fields, extra=extra)
    return texts


def _balance(spec: Spec) -> list[Relation]:
    """The instances of the official balance (一 + 二 = （七） + 四): the check-only relation with two cells a side."""
    first = next(r for r in spec.relations if r.derives is None and len(r.lhs) == 2 and len(r.rhs) == 2)
    return [r for r in spec.relations if r.key == first.key]


def _total_column_keys(spec: Spec) -> tuple[str, str, str]:
    """(新收, 上年结转, 结转下年度) in the table's last (总计) column."""
    last = _balance(spec)[-1]
    return last.lhs[0], last.lhs[1], last.rhs[-1]


def _typed_total_key(spec: Spec) -> str:
    """A total a filler types over: the first cell a per-column relation derives (（七）总计 of the first column)."""
    return next(r.derives for r in spec.relations if r.derives and r.foreach == "col")


def _decision_cells(spec: Spec) -> list[str]:
    """Count cells alone on their row (merged across the table): the 本年处理决定数量 of table 二."""
    if spec.cross_year.fee is None:
        return []
    fee_table = spec.cells[spec.cross_year.fee].table
    return [
        c.key
        for c in spec.table(fee_table).input_cells
        if c.type.integral and len(spec.row_cells(f"{c.table}.{c.row.key}")) == 1
    ]


def unit_values(spec: Spec, unit: DemoUnit, rng: random.Random) -> dict[str, Number | None]:
    """Input values as the unit would report them: consistent, sparse, 规章 0 (a county does not make any)."""
    values: dict[str, Number | None]
    if unit.scenario == "seed":
        values = {c.key: (0 if c.type.integral else Decimal(0)) for c in spec.input_cells}
        values.update(SEED_VALUES)
        return values
    values = dict(consistent_values(spec, rng, density=rng.uniform(0.08, 0.25), scale=rng.choice([4, 12, 30])))
    for cell in spec.row_cells(spec.department_zero_row or ""):
        values[cell.key] = 0
    if spec.cross_year.fee is not None:
        values[spec.cross_year.fee] = Decimal(rng.choice([0, 0, 0, 1235, 48620])) / Decimal(10000)
    for key in _decision_cells(spec):
        values[key] = rng.choice([0, rng.randint(5, 120), rng.randint(200, 3000)])
    return values


def _set_saved(wb: Any, moment: datetime.datetime, who: str) -> None:
    wb.properties.modified = moment
    wb.properties.lastModifiedBy = who


def fill_template(
    spec: Spec,
    template: Path,
    target: Path,
    *,
    values: Mapping[str, Number | None],
    texts: Mapping[str, str],
    meta: Mapping[str, str],
    saved: datetime.datetime,
    raw: Mapping[str, str | int] | None = None,
) -> None:
    """Fill a template as a department does, with openpyxl, and save it with ``saved`` as its save time.

    ``raw`` puts what a person typed into cells as is: text such as "12件", or a number over a total's formula.
    """
    import openpyxl  # lazy: openpyxl only for the demo file saved by another program
    from openpyxl.writer.excel import ExcelWriter

    # openpyxl parses through defusedxml when it is installed; it must never parse a workbook without it.
    assert openpyxl.DEFUSEDXML, "defusedxml must be installed (XML entity bombs)"

    layout = layout_for(spec)
    wb = openpyxl.load_workbook(template)
    for key, value in values.items():
        place = layout.cells[key]
        number: int | float | None = float(value) if isinstance(value, Decimal) else value
        wb[place.sheet].cell(place.row + 1, place.col + 1).value = number
    for key, typed in (raw or {}).items():
        place = layout.cells[key]
        wb[place.sheet].cell(place.row + 1, place.col + 1).value = typed
    for key, text in meta.items():
        place = layout.fields[key]
        wb[place.sheet].cell(place.row + 1, place.col + 1).value = text
    for key, text in texts.items():
        place = layout.parts[key]
        wb[place.sheet].cell(place.row + 1, place.col + 1).value = text
    _set_saved(wb, saved, meta.get("filler", ""))
    # openpyxl's save() stamps "now" as the save time; its writer keeps the time the demo unit saved at.
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()


# ---------------------------------------------------------------------------------------------- the demo


def run_demo(out_dir: str | Path, *, on_step: Step | None = None, jobs: int | None = None) -> DemoResult:
    """Run the whole workflow into ``out_dir`` and say what was done through ``on_step``."""

    def step(text: str) -> None:
        if on_step is not None:
            on_step(text)

    out = Path(out_dir)
    spec = spec_for_year(YEAR)
    arithmetic = arithmetic_for(spec)
    # The folder is a workspace of the web page: `giptemplate serve --workspace DIR` opens on it.
    space = Workspace(out)
    space.create(year=YEAR, office=OFFICE)
    result = DemoResult(
        out_dir=out,
        roster=space.folder(workspace.ROSTER) / f"{workspace.ROSTER_STEM}.csv",
        templates=space.folder(workspace.TEMPLATES),
        returned=space.folder(workspace.RETURNED),
        returns=space.folder(workspace.RETURNS),
        summary=space.folder(workspace.SUMMARY) / workspace.SUMMARY_FILE,
        long=space.folder(workspace.SUMMARY) / f"{workspace.LONG_STEM}.csv",
    )
    for stale in (*result.returned.glob("*"), *result.returns.glob("*")):
        if stale.is_file():
            stale.unlink()

    entries = roster_entries()
    with result.roster.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["单位名称", "单位代码", "分组"])
        for e in entries:
            writer.writerow([e.name, e.code, e.group])
    step(f"单位名单：{len(entries)} 个单位（县直部门、乡镇、街道）→ {result.roster}")

    templates = write_roster_templates(entries, YEAR, result.templates, spec=spec)
    step(f"生成模板：{len(templates)} 个，单位名称和代码已锁定 → {result.templates}")

    base = datetime.datetime(YEAR + 1, 1, 10, 9, 30)
    copied_s5 = ""
    fills: list[tuple[int, DemoUnit, Path]] = [(i, u, t) for i, (u, t) in enumerate(zip(UNITS, templates, strict=True))]
    # The unit that copies goes after the one it copies from.
    fills.sort(key=lambda f: f[1].scenario == "copies")
    off_template = result.templates / "_名单外" / unit_filename(unit_code(99), OFF_ROSTER.name)
    off_template.parent.mkdir(exist_ok=True)
    write_template(off_template, year=YEAR, unit_name=OFF_ROSTER.name, unit_code=unit_code(99), scope="", spec=spec)
    fills.append((99, OFF_ROSTER, off_template))
    for i, unit, template in fills:
        rng = random.Random(f"{unit.name}-{YEAR}")
        result.scenarios[unit.name] = _SCENARIO_TEXT[unit.scenario]
        if unit.scenario == "missing":
            continue
        values = unit_values(spec, unit, rng)
        all_values = {**values, **arithmetic.derive(values)}
        texts = narrative(spec, unit, all_values, rng, index=min(i, len(UNITS)))
        if unit.scenario == "copies" and copied_s5:
            texts["s5"] = copied_s5
        elif unit.scenario == "ok" and unit.group == "街道":
            copied_s5 = texts["s5"]
        meta = {
            "scope": DEFAULT_SCOPE,
            "filler": FILLERS[i % len(FILLERS)],
            "phone": f"0371-6{rng.randint(1000000, 9999999)}",
            "date": (base + datetime.timedelta(days=i)).date().isoformat(),
        }
        saved = base + datetime.timedelta(days=i, hours=rng.randint(0, 8))
        raw: dict[str, str | int] = {}
        filled = dict(values)
        if unit.scenario == "typed_total":
            # Someone typed over （七）总计: the formula is gone, the number is off by 2.
            key = _typed_total_key(spec)
            raw[key] = int(all_values[key] or 0) + 2
        elif unit.scenario in ("broken_balance", "resubmit"):
            pending = _balance(spec)[0].rhs[-1]  # 四、结转下年度 in the first column
            filled[pending] = int(values[pending] or 0) + 1
        elif unit.scenario == "text_number":
            typed_key = next((k for k, v in values.items() if isinstance(v, int) and v > 0), None)
            if typed_key is not None:
                raw[typed_key] = f"{values[typed_key]}件"
        elif unit.scenario == "blanks":
            # The legal-person columns of the 不予处理 and 其他处理 rows left empty instead of 0.
            for cell in spec.input_cells:
                group = cell.row.group or ""
                if cell.column.group and ("不予处理" in group or "其他处理" in group):
                    filled[cell.key] = None
        target = result.returned / template.name
        fill_template(spec, template, target, values=filled, texts=texts, meta=meta, saved=saved, raw=raw)
        if unit.scenario == "corrupt":
            data = target.read_bytes()
            target.write_bytes(data[: len(data) // 3])  # a broken download
        if unit.scenario == "resubmit":
            result.returned_files.append(target)
            # After the office returned it, the unit corrects the balance and sends a new file two weeks later.
            target = result.returned / template.name.replace(".xlsx", "（修改后）.xlsx")
            fill_template(
                spec,
                template,
                target,
                values=values,
                texts=texts,
                meta={**meta, "date": (base + datetime.timedelta(days=i + 14)).date().isoformat()},
                saved=saved + datetime.timedelta(days=14),
            )
        result.returned_files.append(target)
    step(f"模拟填报：收回 {len(result.returned_files)} 个文件（含常见错误、损坏、重复报送和名单外）→ {result.returned}")

    for path in sorted(result.returned_files):
        try:
            submission = read_workbook(path)
        except IntakeError as exc:
            result.check_lines.append((path.name, f"无法读取：{exc.message}"))
            continue
        report = check_file(submission)
        result.check_lines.append((path.name, report.verdict()))
        if report.needs_return:
            copy = result.returns / (path.stem + RETURN_SUFFIX)
            write_return_copy(submission, report.findings, copy, summary=report.verdict())
            result.return_copies.append(copy)
    step(f"校验：{len(result.check_lines)} 个文件，{len(result.return_copies)} 个退回修改件 → {result.returns}")

    merged = merge([result.returned], roster=entries, jobs=jobs, office=OFFICE)
    write_summary(merged, result.summary)
    write_long(merged, result.long)
    result.merge = merged
    counts = "，".join(f"{k} {v}" for k, v in merged.counts.items() if v)
    step(f"汇总：{counts}；计入 {len(merged.included)} 个单位 → {result.summary}")

    reports = space.folder(workspace.REPORTS)
    result.reports = _reports(spec, merged, reports, result)
    if result.reports:
        step(f"年度报告：{'、'.join(p.name for p in result.reports)} → {reports}")
    return result


def _reports(spec: Spec, merged: Any, folder: Path, result: DemoResult) -> list[Path]:
    """The seed department's own report (it passed the checks) and the county's total, a draft while the merge
    still has 错误."""
    written = []
    seed_file = next((p for p in result.returned_files if SEED_UNIT in p.name), None)
    if seed_file is not None:
        data = ReportData.from_submission(read_workbook(seed_file))
        for fmt in ("docx", "md"):
            target = folder / f"{SEED_UNIT}{YEAR}年政府信息公开工作年度报告.{fmt}"
            atomic.write_bytes(target, render(data, fmt))
            written.append(target)
    # The county's narrative as an office writes it, in a document beside the summary; the report is made from
    # the summary and that document the way `giptemplate report 汇总.xlsx --texts 文字内容.md` makes it.
    texts_file = result.summary.parent / COUNTY_TEXTS
    atomic.write_text(texts_file, _texts_document(spec, _county_texts(spec, merged)))
    summary = read_workbook(result.summary)
    summary.texts = read_texts(texts_file, spec)
    county = ReportData.from_submission(summary)
    target = folder / f"{OFFICE}{YEAR}年政府信息公开工作年度报告（汇总）.docx"
    atomic.write_bytes(target, render(county, "docx", draft=merged.exit_code != 0))
    written.append(target)
    return written


def _texts_document(spec: Spec, texts: dict[str, str]) -> str:
    """A narrative as a Markdown document with the report's headings (what `report --texts` reads)."""
    lines = [f"# {OFFICE}{YEAR}年政府信息公开工作年度报告", ""]
    for section in spec.sections:
        lines += [f"## {section.heading}", ""]
        for part in section.parts:
            if part.title:
                lines += [f"### {part.title}", ""]
            lines += [texts.get(part.key, ""), ""]
    return "\n".join(lines)


def _county_texts(spec: Spec, merged: Any) -> dict[str, str]:
    n = len(merged.included)
    new, carried, pending = (merged.aggregate.values.get(k) for k in _total_column_keys(spec))
    texts = {
        "s1_1": f"{YEAR}年，{COUNTY}各级行政机关认真贯彻《中华人民共和国政府信息公开条例》，全县 {n} 个报送单位"
        "通过政府门户网站、政务新媒体等渠道主动公开政府信息，重点领域信息公开进一步深化。",
        "s1_2": f"全县共收到政府信息公开申请{new}件，上年结转{carried}件，结转下年度继续办理{pending}件，"
        "均按法定程序和时限办理。",
        "s1_3": "严格落实保密审查制度，开展行政规范性文件清理，建立公开属性源头认定机制。",
        "s1_4": "持续加强县政府门户网站政府信息公开专栏和政务新媒体建设，规范平台管理。",
        "s1_5": "将政务公开工作纳入县直部门和乡镇（街道）年度目标考核，组织开展业务培训和专项检查，"
        "全年未发生因政府信息公开工作被责任追究的情况。",
        "s5": "全县政府信息公开工作仍存在部分单位公开内容不够全面、年度报告质量参差不齐等问题。下一步，"
        "将加强业务指导和督促检查，完善年度报告审核机制，推动政务公开标准化规范化建设。",
        "s6": f"{YEAR}年，全县各行政机关依申请公开政府信息均未收取信息处理费。",
    }
    return {p.key: texts[p.key] for p in spec.parts if p.key in texts}


_SCENARIO_TEXT = {
    "seed": "已公开的 2021 年度报告（行政许可 627，其余为 0），校验通过",
    "ok": "正确填报",
    "typed_total": "手工改写了（七）总计（公式被数值覆盖，且与各项之和不符）",
    "broken_balance": "收办不平衡：一+二 ≠ （七）+四",
    "text_number": "数字带单位“件”（按文本输入，已规范化）",
    "no_fee_statement": "第六部分未说明信息处理费情况",
    "blanks": "部分单元格留空（应填 0）",
    "corrupt": "文件损坏（下载不完整）",
    "missing": "未报送",
    "resubmit": "首次报送收办不平衡，两周后报送修改后的文件（较新者计入汇总）",
    "copies": "第五部分照抄其他单位",
    "off_roster": "不在单位名单中",
}
