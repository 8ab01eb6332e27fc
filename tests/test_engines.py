"""The same per-file pipeline on every engine: check with --jobs, merge on a Dask LocalCluster."""

from __future__ import annotations

import json
import random
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner, Result
from submission_factory import good_texts, unit_code, write_filled

from giptemplate.cli import main
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec

COPIED = (
    "本单位严格落实保密审查制度，及时更新网站栏目内容，认真办理依申请公开事项，"
    "加强政策解读工作，规范政务新媒体管理，开展业务培训，群众满意度明显提升。"
)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)


@pytest.fixture(scope="module")
def returns(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten units (one with an error, one copying another's narrative) and a file that is not a workbook."""
    folder = tmp_path_factory.mktemp("returns")
    for i in range(10):
        values = consistent_values(spec, random.Random(i))
        if i == 3:
            values["t3.R1.c2"] = (values.get("t3.R1.c2") or 0) + 4
        code = unit_code(f"11410100MB{i:07d}")
        texts = good_texts(spec, seed=i)
        if i in (0, 9):  # the same long narrative: N605 for both
            texts = {k: v + COPIED for k, v in good_texts(spec, seed=0).items()}
        write_filled(folder / f"u{i}.xlsx", spec, values, texts=texts, unit_name=f"郑县第{i}局", unit_code=code)
    (folder / "fake.xlsx").write_text("<html>不是报表</html>", encoding="utf-8")
    return folder


def test_check_in_parallel_reports_what_one_process_does(returns: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    first, second = run("check", returns, "--jobs", "1", "-o", one), run("check", returns, "--jobs", "2", "-o", two)
    assert first.exit_code == second.exit_code == 2  # the fake file is unreadable
    assert json.loads(one.read_text("utf-8")) == json.loads(two.read_text("utf-8"))
    files = {r["file"]: r for r in json.loads(two.read_text("utf-8"))["files"]}
    assert files[str(returns / "u3.xlsx")]["status"] == "有错误"
    assert files[str(returns / "fake.xlsx")]["status"] == "无法读取"


def _values(path: Path) -> dict[str, list[list[object]]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    finally:
        book.close()


@pytest.mark.slow
def test_merge_on_dask_writes_what_the_local_engine_writes(returns: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    outputs = {}
    for engine in ("local", "dask"):
        summary, long = tmp_path / f"{engine}.xlsx", tmp_path / f"{engine}.parquet"
        result = run("merge", returns, "-o", summary, "--long", long, "--engine", engine, "--jobs", "2")
        assert result.exit_code == 1, result.output  # one unit has errors, one file is unreadable
        outputs[engine] = (_values(summary), pd.read_parquet(long))
    (local_sheets, local_long), (dask_sheets, dask_long) = outputs["local"], outputs["dask"]
    assert local_sheets == dask_sheets
    pd.testing.assert_frame_equal(local_long, dask_long)
    assert len(local_long) > 0 and "N605" in str(local_sheets)
