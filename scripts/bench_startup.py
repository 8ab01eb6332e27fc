"""Benchmark: a one-file ``giptemplate check`` as a whole process against the floor ``python -c "import
python_calamine"`` (the reader's engine), both in fresh processes, interleaved; prints the medians and the
difference (target: within 0.25 s).

    python scripts/bench_startup.py [FILE] [--runs 15]

With PYTHONDONTWRITEBYTECODE set (as in some sandboxes) every run compiles giptemplate's sources again, which an
installed copy never does: the script says so; unset it to measure what users see.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path, default=None, help="a workbook (default: a new filled template)")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.file
        if path is None:
            import random

            from giptemplate.format.sample import consistent_values
            from giptemplate.format.spec import spec_for_year
            from giptemplate.workbook.writer import write_template

            spec = spec_for_year(2024)
            path = Path(folder) / "one.xlsx"
            write_template(path, year=2024, unit_name="某局", values=consistent_values(spec, random.Random(1)))
        floor_command = [sys.executable, "-c", "import python_calamine"]
        check_command = [str(Path(sys.executable).parent / "giptemplate"), "check", str(path)]
        floor, check = [], []
        for _ in range(args.runs):
            floor.append(timed(floor_command))
            check.append(timed(check_command))
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("PYTHONDONTWRITEBYTECODE is set: every run compiles the sources (unset it to measure what users see)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; medians of {args.runs} runs, wall / CPU")
    for title, runs in (("import python_calamine", floor), ("giptemplate check FILE", check)):
        wall, cpu = (statistics.median(r[i] for r in runs) for i in (0, 1))
        print(f"{title:24} {wall * 1000:7.0f} ms / {cpu * 1000:5.0f} ms")
    for i, kind in ((0, "wall"), (1, "CPU")):
        gap = statistics.median(r[i] for r in check) - statistics.median(r[i] for r in floor)
        print(f"difference ({kind:4})        {gap * 1000:7.0f} ms (target <= 250)  {'ok' if gap <= 0.25 else 'MISSED'}")


if __name__ == "__main__":
    main()
