"""The demo runs end to end, quickly, and each sample unit ends where its story says it does."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from giptemplate.cli import main
from giptemplate.demo.county import OFF_ROSTER, UNITS, DemoResult, run_demo, unit_code
from giptemplate.demo.texts import SEED_TEXTS, SEED_UNIT, SEED_VALUES
from giptemplate.merge import DUPLICATE, HAS_ERRORS, MISSING, PASSED, UNREADABLE
from giptemplate.merge import OFF_ROSTER as OFF
from giptemplate.workbook.reader import read_workbook

EXPECTED = {
    "seed": PASSED,
    "ok": PASSED,
    "typed_total": HAS_ERRORS,
    "broken_balance": HAS_ERRORS,
    "text_number": PASSED,
    "no_fee_statement": PASSED,
    "blanks": HAS_ERRORS,
    "copies": PASSED,
    "resubmit": PASSED,
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, float]:
    started = time.perf_counter()
    result = run_demo(tmp_path_factory.mktemp("demo") / "out")
    return result, time.perf_counter() - started


def test_demo_is_fast(demo: tuple[DemoResult, float]) -> None:
    assert demo[1] < 60


def test_outputs_exist(demo: tuple[DemoResult, float]) -> None:
    result = demo[0]
    for path in (result.roster, result.summary, result.long, *result.reports, *result.return_copies):
        assert path.is_file() and path.stat().st_size > 0, path
    assert len(list(result.templates.glob("*.xlsx"))) == len(UNITS)
    assert any(p.suffix == ".docx" for p in result.reports)


def test_each_unit_ends_as_its_story_says(demo: tuple[DemoResult, float]) -> None:
    merged = demo[0].merge
    by_code: dict[str, list[str]] = {}
    for entry in merged.entries:
        by_code.setdefault(entry.unit_code, []).append(entry.status)
    for i, unit in enumerate(UNITS):
        statuses = by_code.get(unit_code(i), [])
        if unit.scenario == "missing":
            assert statuses == [MISSING]
        elif unit.scenario == "corrupt":
            assert statuses == [MISSING]  # its only file could not be read
        elif unit.scenario == "resubmit":
            assert sorted(statuses) == sorted([PASSED, DUPLICATE])
        else:
            assert statuses == [EXPECTED[unit.scenario]], (unit.name, statuses)
    assert by_code[unit_code(99)] == [OFF]
    assert merged.counts[UNREADABLE] == 1
    codes = {f.code for f in merged.finding_list}
    assert {"M401", "M402", "M404", "M408", "M409", "N605", "N602", "S105", "A303", "V205", "V203"} <= codes
    copies = {f.unit_name for f in merged.finding_list if f.code == "N605"}
    assert copies == {u.name for u in UNITS if u.scenario == "copies"} | {"郑县新华路街道办事处"}
    assert merged.exit_code == 1
    assert OFF_ROSTER.name not in {r.unit_name for r in merged.included}


def test_seed_unit_carries_the_published_report(demo: tuple[DemoResult, float]) -> None:
    result = demo[0]
    seed = next(p for p in result.returned_files if SEED_UNIT in p.name)
    sub = read_workbook(seed)
    assert sub.texts == SEED_TEXTS
    for key, value in SEED_VALUES.items():
        assert sub.values[key] == value
    assert all(v == 0 for k, v in sub.values.items() if k not in SEED_VALUES)
    merged = result.merge
    row = merged.units[merged.units["unit_name"] == SEED_UNIT]
    assert len(row) == 1 and all(row[k].iloc[0] == v for k, v in SEED_VALUES.items())


def test_return_copies_for_units_with_errors(demo: tuple[DemoResult, float]) -> None:
    result = demo[0]
    names = sorted(p.name for p in result.return_copies)
    needing = [n for n, verdict in result.check_lines if verdict.startswith(HAS_ERRORS)]
    assert len(names) >= len(needing) > 0
    for name in needing:
        assert any(n.startswith(Path(name).stem) for n in names)


def test_summary_totals_include_the_seed_figures(demo: tuple[DemoResult, float]) -> None:
    result = demo[0]
    merged = result.merge
    summary = read_workbook(result.summary)
    for key in SEED_VALUES:
        column = [v for v in merged.units[key] if v is not None]
        assert summary.values[key] == sum(column) == merged.totals_values[key]


def test_cli_demo(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "汇总" in result.output and str(out) in result.output
    assert (out / "汇总" / "汇总.xlsx").is_file()
    file = tmp_path / "file"
    file.write_text("x")
    refused = CliRunner().invoke(main, ["demo", "-o", str(file)])
    assert refused.exit_code == 2
