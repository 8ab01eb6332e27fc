"""One verdict everywhere: the 校验 sheet, recalculated by LibreOffice, says 全部校验通过 exactly when `check`
finds no 错误 in the same file, names the same error codes, and spells each failing relation, value, typed total
and narrative check in the very sentence `check` prints for it.

Hundreds of seeded random fills, typed in with openpyxl the way a filler's workbook reaches us: consistent
tables, then values pasted past the validation (negative, fractional, beyond the limit, numbers as text, words,
blank words), totals typed over their formulas, cover fields left blank or mistyped, and narrative texts of
every length from nothing to over 5,000 characters. LibreOffice recalculates them all in a few runs; each
recalculated file then goes through the same per-file pipeline as `check` and `merge`
(:func:`giptemplate.merge.collect.process_file`).
"""

from __future__ import annotations

import os
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from soffice import convert
from submission_factory import year_for

from giptemplate.format import uscc
from giptemplate.format.arithmetic import FAIL_MARK
from giptemplate.format.layout import CHECK_SHEET, layout_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec
from giptemplate.merge.collect import process_file
from giptemplate.workbook import live
from giptemplate.workbook.writer import write_template

pytestmark = [pytest.mark.soffice, pytest.mark.slow]

SEED = 20240109
FILLS = int(os.environ.get("GIP_LIVE_FILLS", "200"))
BATCH = 100  # files per LibreOffice run
VALID = "91350100M000100Y4" + uscc.check_digit("91350100M000100Y4")
WRONG_DIGIT = VALID[:17] + next(c for c in uscc.CHARSET if c != VALID[17])

# What a paste past the validation leaves in a number cell.
PASTED: tuple[Any, ...] = (
    -1,
    -2,
    1.5,
    0.25,
    10**9,
    "12",
    " 7 ",
    "1,234",
    "-3",
    "2.5",
    "abc",
    "十二",
    "—",
    "无",
    "/",
    None,
)
SENTENCE = "本机关坚持以公开为常态、不公开为例外，全面推进决策、执行、管理、服务、结果公开。"
FILLER_WORDS = ("无", "暂无", "", "  ", "\n", "信息处理费", "未收取信息处理费。")


def random_text(rng: random.Random) -> str:
    """A narrative of any length, sometimes with whitespace that does not count as characters."""
    choice = rng.random()
    if choice < 0.15:
        return rng.choice(FILLER_WORDS)
    length = rng.choice((rng.randint(1, 30), rng.randint(15, 25), rng.randint(30, 900), rng.randint(900, 5200)))
    text = (SENTENCE * (length // len(SENTENCE) + 1))[:length]
    if rng.random() < 0.3:
        at = rng.randint(0, len(text))
        text = text[:at] + rng.choice((" ", "\n", "\u3000", "\u00a0", "  \n")) + text[at:]
    if rng.random() < 0.3:
        text = text + rng.choice(("信息处理费", "本年度未收取信息处理费。"))
    return text


def fill(spec: Spec, index: int, rng: random.Random, book: openpyxl.Workbook, folder: Path) -> Path:
    """One random fill of the template loaded in ``book``, saved under ``folder``; ``book`` is restored after."""
    layout = layout_for(spec)
    values: dict[str, Any] = {
        k: float(v) if isinstance(v, Decimal) else v for k, v in consistent_values(spec, rng).items()
    }
    keys = list(values)
    clean = rng.random() < 0.4  # nothing that `check` calls an error, but numbers pasted as text
    for key in rng.sample(keys, rng.choice((1, 3, 10))):
        number = values[key]
        if isinstance(number, int):
            values[key] = rng.choice((str(number), f" {number} ", f"{number:,}"))
    for key in rng.sample(keys, 0 if clean else rng.choice((0, 0, 1, 1, 2, 4))):
        values[key] = rng.choice(PASTED)
    overrides: dict[str, Any] = {}
    if not clean and rng.random() < 0.15:
        key = rng.choice([c.key for c in spec.derived_cells])
        overrides[key] = rng.choice((0, 3, 43, None))
    typed: dict[tuple[str, int, int], Any] = {}
    for key, value in {**values, **overrides}.items():
        place = layout.cells[key]
        typed[place.sheet, place.row, place.col] = value
    cover = {
        "unit_name": "测试局" if clean else rng.choice(("测试局", "测试局", "测试局", "", "  ")),
        "unit_code": rng.choice((VALID, "", "12345") if clean else (VALID, VALID, WRONG_DIGIT, "", "12345")),
        "scope": rng.choice(("本机关", "本机关", "")),
        "filler": rng.choice(("张三", "")),
        "phone": rng.choice(("0591-1234567", "")),
    }
    for key, text in cover.items():
        place = layout.fields[key]
        typed[place.sheet, place.row, place.col] = text or None
    full = clean or rng.random() < 0.5  # most files come back with every part written
    for part in spec.parts:
        place = layout.parts[part.key]
        text = random_text(rng) if full or rng.random() < 0.7 else ""
        if full and part.require_any and rng.random() < 0.8:
            text = "本年度未收取信息处理费。"
        if full and not part.require_any and rng.random() < 0.7:
            text = (SENTENCE * rng.randint(1, 4)) if rng.random() < 0.8 else text
        typed[place.sheet, place.row, place.col] = text or None
    path = folder / f"fill{index:03d}.xlsx"
    before = {}
    for (sheet, row, col), value in typed.items():
        cell = book[sheet].cell(row + 1, col + 1)
        before[cell] = cell.value
        cell.value = value
    book.save(path)
    for cell, value in before.items():
        cell.value = value
    return path


def sheet_verdict(path: Path, spec: Spec) -> tuple[str, set[str], set[str]]:
    """The overall cell, and the codes of error rows and of warning rows showing a failure."""
    layout = layout_for(spec)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(CHECK_SHEET).to_python()
    overall = rows[layout.check_overall.row][layout.check_overall.col]
    errors, warnings = set(), set()
    for _, row in layout.check_rules:
        code = str(rows[row][1]).split()[0]
        if str(rows[row][4]).startswith(FAIL_MARK):
            (errors if live.severity(code) == "error" else warnings).add(code)
    return str(overall), errors, warnings


@pytest.fixture(scope="module")
def fills(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("fills")
    template = folder / "template.xlsx"
    write_template(template, year=year_for(spec), spec=spec)
    rng = random.Random(SEED)
    book = openpyxl.load_workbook(template)
    paths = [fill(spec, i, rng, book, folder) for i in range(FILLS)]
    out_dir = tmp_path_factory.mktemp("recalculated")
    outputs: list[Path] = []
    for start in range(0, len(paths), BATCH):
        outputs += convert(paths[start : start + BATCH], out_dir, "xlsx", timeout=600)
    return outputs


# Codes of cells whose every finding the sheet spells out (besides relations, the narrative's N601 and N602 and
# the cover's C701 and C703).
SPELLED = ("V201", "V202", "V203", "V204", "V209", "V212", "S105")


def sheet_sentences(path: Path, spec: Spec) -> dict[str, str]:
    """The hidden sentence list: entry id -> sentence, for entries that show a failure."""
    layout = layout_for(spec)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(CHECK_SHEET).to_python()
    col = layout.sentence_col
    out = {}
    for entry, r in layout.sentence_rows.items():
        row = rows[r] if r < len(rows) else []
        tag = row[col["tag"]] if col["tag"] < len(row) else ""
        if tag:
            out[entry] = str(row[col["sentence"]])
    return out


def entry_of(spec: Spec, finding: Any) -> str | None:
    """The sentence-list entry a finding of `check` belongs to (None: a finding the sheet does not spell)."""
    if finding.code in {r.code for r in spec.relations} and finding.rule:
        return f"rel:{finding.rule}"
    if finding.code == "N602":
        return f"require:{finding.extra['part']}"
    if finding.code == "N601":
        part = finding.extra["part"]
        return "text:" + next(s.key for s in spec.sections if any(p.key == part for p in s.parts))
    if finding.code in ("C701", "C703"):
        return f"cover:{finding.extra['field']}"
    if finding.code in SPELLED and finding.cell_key and finding.severity == "error":
        return f"cell:{finding.cell_key}"
    return None


@pytest.fixture(scope="module")
def checked(fills: list[Path]) -> dict[Path, Any]:
    """`check`'s result for each recalculated fill, computed once for both tests."""
    return {path: process_file(path) for path in fills}


def test_sheet_sentences_are_checks_sentences(spec: Spec, fills: list[Path], checked: dict[Path, Any]) -> None:
    """Every relation, value, typed-total and narrative finding of `check` is on the sheet in the same words, and
    the sheet shows no such failure that `check` does not report."""
    disagreements = []
    compared = 0
    kinds: set[str] = set()
    for path in fills:
        on_sheet = sheet_sentences(path, spec)
        result = checked[path]
        expected = {}
        for finding in result.findings:
            entry = entry_of(spec, finding)
            if entry is not None:
                expected[entry] = finding.message
        spelled = {e: s for e, s in on_sheet.items() if e != "cover:year"}  # the year is locked in a template
        for entry in sorted(set(spelled) | set(expected)):
            if spelled.get(entry) != expected.get(entry):
                sheet, checked = spelled.get(entry), expected.get(entry)
                disagreements.append(f"{path.name} {entry}: sheet {sheet!r}; check {checked!r}")
        compared += len(expected)
        kinds.update(e.split(":")[0] for e in expected)
        kinds.update(f.code for f in result.findings if entry_of(spec, f) is not None)
    assert disagreements == [], "\n".join(disagreements[:40])
    # the fills fail in every way often enough for the agreement to mean something
    assert compared >= len(fills), compared
    every = {"rel", "text", "require", "cover", "A301", "A302", "A303", "V201", "V202", "V203", "V204"}
    if not any(part.require_any for part in spec.parts):  # 2019: no part must name the 信息处理费
        every.discard("require")
    if len(fills) >= 100:  # a short run (GIP_LIVE_FILLS) need not meet every kind
        assert every <= kinds, kinds


def test_sheet_verdict_is_checks_verdict(spec: Spec, fills: list[Path], checked: dict[Path, Any]) -> None:
    disagreements = []
    passed = failed = 0
    for path in fills:
        overall, sheet_errors, _ = sheet_verdict(path, spec)
        result = checked[path]
        assert not result.error_code, (path.name, result.error_message)
        check_errors = {f.code for f in result.findings if f.severity == "error"}
        sheet_passes = overall.startswith(live.overall_status(0))
        if sheet_passes != (not check_errors) or sheet_errors != check_errors:
            disagreements.append(f"{path.name}: sheet {overall!r} {sorted(sheet_errors)}; check {sorted(check_errors)}")
        passed += sheet_passes
        failed += not sheet_passes
    assert disagreements == [], "\n".join(disagreements)
    # the fills reach both verdicts often enough for the agreement to mean something
    assert passed >= len(fills) // 5 and failed >= len(fills) // 5, (passed, failed)
