"""How the merge's workers start and what a dying worker costs.

A process running one thread forks its workers (they start with what it has loaded); any other thread sends them
through the fork server. Both give the same results, and a worker that dies takes only its file with it."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from submission_factory import unit_code, write_filled

from giptemplate.format.spec import Spec
from giptemplate.merge.collect import _context, collect
from giptemplate.pipeline import INTERNAL_ERROR

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork and /proc/self/task: Linux")

# Run in a fresh interpreter (one thread, as the command line is): collect the files named on the command line with
# two workers, the file named "die" killing its worker (every time: the retries fork from this process too, so they
# have the patch), and pickle the start method and the results.
SINGLE_THREADED = """
import os, pickle, sys
from giptemplate.merge.collect import _context, collect

collect_module = sys.modules["giptemplate.merge.collect"]  # giptemplate.merge's attribute "collect" is the function

real = collect_module.process_file

def dying(path):
    if "die" in os.path.basename(str(path)):
        os._exit(70)  # as a parser's segfault would: no exception, no result
    return real(path)

collect_module.process_file = dying  # workers forked afterwards inherit it
method = _context().get_start_method()
results = collect([*sys.argv[2:]], jobs=2)
with open(sys.argv[1], "wb") as out:
    pickle.dump((method, results), out)
"""


def _files(spec: Spec, folder: Path, n: int) -> list[Path]:
    return [
        write_filled(
            folder / f"u{i}.xlsx", spec, seed=i, unit_name=f"某某县第{i}局", unit_code=unit_code(f"1141010{i}MB0000001")
        )
        for i in range(n)
    ]


def test_a_single_threaded_process_forks_its_workers_and_a_dying_one_costs_only_its_file(
    spec: Spec, tmp_path: Path
) -> None:
    files = _files(spec, tmp_path, 6)
    doomed = tmp_path / "die.xlsx"
    doomed.write_bytes(files[0].read_bytes())
    order = [*files[:3], doomed, *files[3:]]
    out = tmp_path / "results.pickle"
    done = subprocess.run(
        [sys.executable, "-c", SINGLE_THREADED, str(out), *map(str, order)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with out.open("rb") as fh:
        method, results = pickle.load(fh)
    assert method == "fork"
    assert [r.path for r in results] == [str(p) for p in order]  # input order, every file once
    dead = results[3]
    assert dead.error_code == INTERNAL_ERROR and dead.error_variant == "crashed" and not dead.readable
    assert all(r.readable and r.values for i, r in enumerate(results) if i != 3), [
        (r.path, r.error_code, r.error_message) for r in results
    ]
    # The same files read by workers from the fork server (this process runs another thread) give the same results.
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        assert len(os.listdir("/proc/self/task")) > 1
        assert _context().get_start_method() == "forkserver"
        served = collect([*files[:3], *files[3:]], jobs=2)
    finally:
        stop.set()
        other.join()
    # FileResult is a frozen dataclass: equal when every field is (values, findings, fingerprints, tally …).
    assert served == [r for i, r in enumerate(results) if i != 3]
