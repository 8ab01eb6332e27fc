"""Run the returned-file fuzzer for a while and print what it found.

    .venv/bin/python scripts/fuzz.py [--minutes 10] [--seed N] [--no-libreoffice] [--no-documents] [--keep DIR]

Mutants of valid returns (giptemplate's own, and LibreOffice's .xlsx/.xls/.ods) and of published reports (the
.docx, .html and, through LibreOffice, .pdf that `giptemplate report` renders) are read and checked one by one
in a child process limited to 512 MiB; any mutant that crashes, aborts, hangs or gives an internal error is
copied to --keep (default ./fuzz-failures) with its description. Prints mutants per second and the verdicts.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzzing import check_files, mutants, seed_files, write_mutants

BATCH = 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--no-libreoffice", action="store_true")
    parser.add_argument("--no-documents", action="store_true", help="mutate returned workbooks only")
    parser.add_argument("--keep", type=Path, default=Path("fuzz-failures"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        seeds = seed_files(root / "seeds", libreoffice=not args.no_libreoffice, documents=not args.no_documents)
        print(f"seeds: {', '.join(name for name, _ in seeds)}; seed {args.seed}; {args.minutes:g} min", flush=True)
        stream = mutants(seeds, args.seed)
        verdicts: collections.Counter[str] = collections.Counter()
        found = 0
        done = 0
        slowest = peak = 0.0
        slowest_what = ""
        started = time.perf_counter()
        deadline = started + args.minutes * 60
        while time.perf_counter() < deadline:
            folder = root / f"batch{done}"
            files = write_mutants(folder, stream, BATCH)
            for outcome in check_files(files):
                done += 1
                verdicts[outcome.verdict or "FAILED"] += 1
                if outcome.seconds > slowest:
                    slowest, slowest_what = outcome.seconds, f"{outcome.name}: {outcome.how}"
                peak = max(peak, outcome.peak_mib)
                if outcome.failure:
                    found += 1
                    args.keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(folder / outcome.name, args.keep / outcome.name)
                    (args.keep / f"{outcome.name}.txt").write_text(f"{outcome.how}\n{outcome.failure}\n", "utf-8")
                    print(f"FAILURE {outcome.name}: {outcome.failure} ({outcome.how})", flush=True)
            shutil.rmtree(folder)
            elapsed = time.perf_counter() - started
            print(f"{done} mutants in {elapsed:.0f} s: {done / elapsed:.1f} mutants/s; failures {found}", flush=True)
        elapsed = time.perf_counter() - started
        print(
            f"total: {done} mutants in {elapsed:.0f} s ({done / elapsed:.1f} mutants/s), slowest {slowest:.2f} s "
            f"({slowest_what[:160]}), "
            f"peak memory of a reading process {peak:.0f} MiB (limit 512 MiB of address space)"
        )
        print("verdicts: " + ", ".join(f"{k} {v}" for k, v in verdicts.most_common()))
        print(f"failures: {found}" + (f" (kept in {args.keep})" if found else ""))
        return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
