"""Benchmark: write N personalised templates on one core, as `giptemplate new --roster` does.

    python scripts/bench_write.py            # 1,000 units (the issue's target: at most 10 s)
    python scripts/bench_write.py 200 --single --profile

Prints workbooks per second, milliseconds per workbook and the ratio to the target. ``--single`` also times the
general writer (write_template, one workbook at a time: what a return-for-correction copy or a summary costs).
``--profile`` prints the top functions of a cProfile run of the roster path.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from giptemplate.format import uscc
from giptemplate.format.spec import spec_for_year
from giptemplate.roster import RosterEntry, write_roster_templates
from giptemplate.workbook.writer import write_template

TARGET_SECONDS_PER_1000 = 10.0
KINDS = ("教育局", "财政局", "人民政府办公室", "自然资源和规划局", "市场监督管理局", "镇人民政府", "街道办事处")


def roster(n: int) -> list[RosterEntry]:
    entries = []
    for i in range(n):
        body = f"11350100MB{i:07d}"
        entries.append(RosterEntry(f"某某县第{i + 1}{KINDS[i % len(KINDS)]}", body + uscc.check_digit(body), "", i + 2))
    return entries


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity on this system)"


def report(label: str, n: int, wall: float, cpu: float) -> None:
    """Wall and CPU time: on a shared machine the CPU time of this one-core process is the fair figure."""
    target = TARGET_SECONDS_PER_1000 / 1000 * n
    for what, seconds in (("wall", wall), ("cpu", cpu)):
        print(
            f"{label:<26} {what:<4} {n:>5} workbooks {seconds:7.2f} s {n / seconds:7.1f} workbooks/s"
            f" {seconds / n * 1000:6.2f} ms each ({seconds / target:.2f}× the {target:.1f} s budget)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", nargs="?", type=int, default=1000, help="number of units (default 1000)")
    parser.add_argument("--single", action="store_true", help="also time write_template one by one")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary of the roster path")
    args = parser.parse_args()

    print(f"giptemplate write benchmark, {pin_to_one_core()}, Python {sys.version.split()[0]}")
    spec = spec_for_year(2024)
    entries = roster(args.n)
    write_template(io.BytesIO(), year=2024, unit_name="预热", spec=spec)  # spec, layout and caches loaded once

    with tempfile.TemporaryDirectory() as folder:
        start, cpu = time.perf_counter(), time.process_time()
        written = write_roster_templates(entries, 2024, folder, spec=spec)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = sum(p.stat().st_size for p in written) / len(written)
    report("roster (new --roster)", args.n, wall, cpu)
    print(f"{'':<31} average file size {size / 1024:.1f} KiB")

    if args.single:
        start, cpu = time.perf_counter(), time.process_time()
        for entry in entries:
            write_template(
                io.BytesIO(), year=2024, unit_name=entry.name, unit_code=entry.code, scope="本机关", spec=spec
            )
        report("write_template one by one", args.n, time.perf_counter() - start, time.process_time() - cpu)

    if args.profile:
        with tempfile.TemporaryDirectory() as folder:
            profiler = cProfile.Profile()
            profiler.enable()
            write_roster_templates(entries, 2024, folder, spec=spec)
            profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
