"""Benchmark: read + check vs what a user would write (pandas + openpyxl) vs the floor (bare python-calamine).

Generates N filled workbooks with varied data (cached in a folder, so reruns measure reading only), then in one run
times, per file:
  (a) giptemplate read_workbook + check,
  (b) pandas.read_excel(path, sheet_name=None, engine="openpyxl"),
  (c) python-calamine loading every sheet (to_python),
and prints ms per file and the ratios b/a and a/c.

    python scripts/bench_read.py --n 2000
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import python_calamine

from giptemplate.checks import check
from giptemplate.reader import read_workbook
from giptemplate.sample import consistent_values
from giptemplate.spec import spec_for_year
from giptemplate.uscc import check_digit
from giptemplate.writer import write_template

YEAR = 2024


def unit_code(i: int) -> str:
    body = f"11{i:015d}"[:17]
    return body + check_digit(body)


def generate(folder: Path, n: int) -> list[Path]:
    spec = spec_for_year(YEAR)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    texts = {
        p.key: f"{p.title or p.heading}：本年度按照条例要求开展相关工作，情况良好，信息处理费未收取。" * 3
        for p in spec.parts
    }
    for i in range(n):
        path = folder / f"unit{i:05d}.xlsx"
        if not path.exists():
            rng = random.Random(i)
            write_template(
                path,
                year=YEAR,
                unit_name=f"测试单位{i:05d}",
                unit_code=unit_code(i),
                scope="本机关",
                values=consistent_values(spec, rng, density=rng.uniform(0.05, 0.6), scale=rng.choice([5, 50, 500])),
                texts=texts,
                filler="张三",
                phone="0371-12345678",
                date=f"{YEAR + 1}-01-15",
            )
        paths.append(path)
    return paths


def read_and_check(path: Path) -> None:
    check(read_workbook(path))


def pandas_openpyxl(path: Path) -> None:
    pd.read_excel(path, sheet_name=None, engine="openpyxl")


def calamine_bare(path: Path) -> None:
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    for name in workbook.sheet_names:
        workbook.get_sheet_by_name(name).to_python()


def timed(fn: Callable[[Path], None], paths: list[Path]) -> float:
    gc.collect()
    start = time.perf_counter()
    for path in paths:
        fn(path)
    return (time.perf_counter() - start) * 1000 / len(paths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="number of workbooks (default 2000)")
    parser.add_argument("--cache", type=Path, default=Path(".bench-cache/read"), help="folder of generated files")
    parser.add_argument("--pandas-sample", type=int, default=300, help="files timed for (b), the slow path")
    parser.add_argument("--fresh", action="store_true", help="regenerate the workbooks")
    args = parser.parse_args()
    if args.fresh and args.cache.exists():
        shutil.rmtree(args.cache)
    start = time.perf_counter()
    paths = generate(args.cache, args.n)
    print(f"{len(paths)} workbooks ready in {time.perf_counter() - start:.1f} s ({args.cache})")
    read_and_check(paths[0])  # warm caches that are built once per process (spec, layout)
    calamine_bare(paths[0])
    a = timed(read_and_check, paths)
    c = timed(calamine_bare, paths)
    sample = paths[: min(args.pandas_sample, len(paths))]
    b = timed(pandas_openpyxl, sample)
    print(f"(a) giptemplate read + check      {a:8.3f} ms/file  ({len(paths)} files)")
    print(f"(b) pandas.read_excel openpyxl    {b:8.3f} ms/file  ({len(sample)} files)")
    print(f"(c) python-calamine bare load     {c:8.3f} ms/file  ({len(paths)} files)")
    print(f"b/a = {b / a:.1f}x  (target >= 8)")
    print(f"a/c = {a / c:.2f}x  (target <= 3)")


if __name__ == "__main__":
    main()
