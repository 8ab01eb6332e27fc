"""Time the reader against python-calamine's bare load (and pandas+openpyxl) on generated workbooks.

    python scripts/profile_read.py [N] [--pandas] [--check] [--profile]

Writes N filled workbooks to a temporary folder (consistent random values), then reports CPU ms/file, best of 3:
python-calamine opening each file and loading every sheet, giptemplate.reader.read_workbook, optionally the
reader plus the checks, and optionally pandas.read_excel(sheet_name=None, engine="openpyxl"), with the ratios
the issue sets (read+check ≤ 3× calamine, ≥ 8× faster than pandas+openpyxl).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import python_calamine

from giptemplate.reader import read_workbook
from giptemplate.sample import consistent_values
from giptemplate.spec import spec_for_year
from giptemplate.writer import write_template


def _make(folder: Path, n: int) -> list[Path]:
    spec = spec_for_year(2024)
    paths = []
    for i in range(n):
        path = folder / f"unit{i:05d}.xlsx"
        write_template(
            path,
            year=2024,
            unit_name=f"测试单位{i}",
            scope="本机关",
            values=consistent_values(spec, random.Random(i)),
            texts={"s1_1": "主动公开情况。" * 20, "s5": "存在的问题及改进措施。" * 10, "s6": "未收取信息处理费。"},
            filler="张三",
            phone="12345678",
            date="2025-01-15",
        )
        paths.append(path)
    return paths


def _bare_calamine(path: Path) -> None:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python(skip_empty_area=False)


def _pandas_openpyxl(path: Path) -> None:
    import pandas as pd

    pd.read_excel(path, sheet_name=None, engine="openpyxl")


def _read_and_check(path: Path) -> None:
    from giptemplate.checks import check_file

    check_file(read_workbook(path))


def _time(fns: dict[str, Callable[[Path], object]], paths: list[Path], rounds: int = 5) -> dict[str, float]:
    """CPU ms per file of each function, interleaved file by file so that load from other processes on the
    machine falls on all of them alike; the best of ``rounds`` passes over the files."""
    clock = time.process_time
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        spent = dict.fromkeys(fns, 0.0)
        for path in paths:
            for name, fn in fns.items():
                start = clock()
                fn(path)
                spent[name] += clock() - start
        for name in fns:
            best[name] = min(best[name], spent[name] / len(paths) * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=500)
    parser.add_argument("--pandas", action="store_true", help="also time pandas.read_excel with openpyxl (slow)")
    parser.add_argument("--check", action="store_true", help="also time reading plus giptemplate.checks")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the reader")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = _make(Path(tmp), args.n)
        for path in paths[:20]:  # warm the per-spec caches and the OS file cache
            read_workbook(path)
        fns: dict[str, Callable[[Path], object]] = {"bare": _bare_calamine, "read": read_workbook}
        if args.check:
            fns["check"] = _read_and_check
        ms = _time(fns, paths)
        bare = ms["bare"]
        print(f"{len(paths)} files, CPU ms per file (best of 5 interleaved passes)")
        print(f"python-calamine, every sheet : {bare:7.3f}")
        print(f"read_workbook                : {ms['read']:7.3f}  ({ms['read'] / bare:.2f}× calamine)")
        if args.check:
            print(f"read_workbook + checks       : {ms['check']:7.3f}  ({ms['check'] / bare:.2f}× calamine)")
        if args.pandas:
            sample = paths[: min(len(paths), 200)]
            slow = _time({"pandas": _pandas_openpyxl, "read": read_workbook}, sample, rounds=1)
            print(
                f"pandas.read_excel(openpyxl)  : {slow['pandas']:7.3f}  "
                f"(read_workbook is {slow['pandas'] / slow['read']:.1f}× faster"
                + (f"; read + checks {slow['pandas'] / ms['check']:.1f}× faster)" if args.check else ")")
            )
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for path in paths:
                read_workbook(path)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
