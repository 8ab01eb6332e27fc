"""The fuzzer in the test command: a fixed-seed run of a few hundred mutants of valid returns (giptemplate's own
and LibreOffice's .xlsx/.xls/.ods), each read and checked in a memory-limited child; then a merge of a folder of
mutants and valid files. scripts/fuzz.py runs the same fuzzer for as long as asked."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from fuzzing import check_files, failures, mutants, seed_files, write_mutants
from hostile import unit_code, unit_file

from giptemplate.merge.summary import STATUS_SHEET

SEED = 20241231
MUTANTS = 300
VALID_IN_MERGE = 12
MUTANTS_IN_MERGE = 60


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, bytes]]:
    return seed_files(tmp_path_factory.mktemp("seeds"))


def test_every_mutant_gets_a_verdict_in_bounded_time_and_memory(seeds: list[tuple[str, bytes]], tmp_path: Path) -> None:
    files = write_mutants(tmp_path / "mutants", mutants(seeds, SEED), MUTANTS)
    started = time.perf_counter()
    outcomes = check_files(files)
    elapsed = time.perf_counter() - started
    bad = failures(outcomes)
    assert not bad, "\n".join(f"{o.name} ({o.how}): {o.failure}" for o in bad)
    verdicts = {o.verdict for o in outcomes}
    assert "ok" in verdicts and len(verdicts) >= 4  # the mutants reach the reader, not only the intake
    assert max(o.seconds for o in outcomes) < 10 and elapsed < 120


def test_merge_of_mutants_and_valid_files_accounts_for_every_file(
    seeds: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    folder = tmp_path / "收回"
    folder.mkdir()
    valid = [unit_file(folder / f"valid{i:02d}.xlsx", 100 + i) for i in range(VALID_IN_MERGE)]
    written = write_mutants(folder / "mutants", mutants(seeds, SEED + 1), MUTANTS_IN_MERGE)
    out = tmp_path / "汇总.xlsx"
    limit = 1536 * 2**20  # the parent and its worker processes each stay under this
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
        "from giptemplate.cli import main\n"
        "sys.argv = ['giptemplate', *sys.argv[1:]]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "merge", str(folder), "-o", str(out), "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    workbook = openpyxl.load_workbook(out, read_only=True)
    rows = [list(r) for r in workbook[STATUS_SHEET].iter_rows(values_only=True)]
    workbook.close()
    header_at = next(i for i, r in enumerate(rows) if "文件" in r and "状态" in r)
    file_at, status_at = rows[header_at].index("文件"), rows[header_at].index("状态")
    listed = [str(r[file_at]) for r in rows[header_at + 1 :] if r[file_at]]
    expected = [p.name for p in valid] + [f"mutants/{p.name}" for p, _ in written]
    assert sorted(listed) == sorted(expected)  # every file exactly once
    status = {str(r[file_at]): r[status_at] for r in rows[header_at + 1 :] if r[file_at]}
    assert all(status[p.name] == "通过" for p in valid)
    codes = {str(r[rows[header_at].index("单位代码")]) for r in rows[header_at + 1 :] if r[status_at] == "通过"}
    assert {unit_code(100 + i) for i in range(VALID_IN_MERGE)} <= codes
