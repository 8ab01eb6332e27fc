"""Benchmark: read + check vs what a user would write (pandas + openpyxl) vs the floor (bare python-calamine).

Generates N filled workbooks with varied data (cached in a folder, so reruns measure reading only), then in one run
times, in CPU ms per file:
  (a) giptemplate read_workbook + check,
  (b) pandas.read_excel(path, sheet_name=None, engine="openpyxl"),
  (c) python-calamine loading every sheet (to_python),
and prints ms per file and the ratios b/a and a/c.

    python scripts/bench_read.py --n 2000
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import python_calamine

from giptemplate.checks.checker import check
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import spec_for_year
from giptemplate.format.uscc import check_digit
from giptemplate.workbook.reader import read_workbook
from giptemplate.workbook.writer import write_template

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
        workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)


def cpu_ms_per_file(fns: dict[str, Callable[[Path], None]], paths: list[Path], rounds: int) -> dict[str, float]:
    """CPU ms per file of each function, interleaved file by file (so load from other processes falls on all of
    them alike), the best of ``rounds`` passes."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        gc.collect()
        spent = dict.fromkeys(fns, 0.0)
        for path in paths:
            for name, fn in fns.items():
                start = time.process_time()
                fn(path)
                spent[name] += time.process_time() - start
        for name in fns:
            best[name] = min(best[name], spent[name] * 1000 / len(paths))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="number of workbooks (default 2000)")
    parser.add_argument("--cache", type=Path, default=Path(".bench-cache/read"), help="folder of generated files")
    parser.add_argument("--pandas-sample", type=int, default=200, help="files timed for (b), the slow path")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the files; the best counts")
    parser.add_argument("--fresh", action="store_true", help="regenerate the workbooks")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of read + check")
    args = parser.parse_args()
    if args.fresh and args.cache.exists():
        shutil.rmtree(args.cache)
    start = time.perf_counter()
    paths = generate(args.cache, args.n)
    print(f"{len(paths)} workbooks ready in {time.perf_counter() - start:.1f} s ({args.cache})")
    for path in paths[:20]:  # warm what is built once per process (spec, layout, caches) and the OS file cache
        read_and_check(path)
        calamine_bare(path)
    fast = cpu_ms_per_file({"a": read_and_check, "c": calamine_bare}, paths, args.rounds)
    sample = paths[: min(args.pandas_sample, len(paths))]
    slow = cpu_ms_per_file({"b": pandas_openpyxl}, sample, 1)
    a, b, c = fast["a"], slow["b"], fast["c"]
    print("CPU ms per file (best of interleaved passes)")
    print(f"(a) giptemplate read + check      {a:8.3f} ms/file  ({len(paths)} files)")
    print(f"(b) pandas.read_excel openpyxl    {b:8.3f} ms/file  ({len(sample)} files)")
    print(f"(c) python-calamine bare load     {c:8.3f} ms/file  ({len(paths)} files)")
    print(f"b/a = {b / a:.1f}x  (target >= 8)")
    print(f"a/c = {a / c:.2f}x  (target <= 3)")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for path in paths:
            read_and_check(path)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
