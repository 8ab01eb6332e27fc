"""Benchmark at scale: merge of N distinct workbooks whose narratives copy model texts in clusters.

Generates (once, cached under .bench-cache/scale/) N filled workbooks, every one a distinct unit with its own code
and figures, in two variants with the same figures:

  clustered   units copy a model text in clusters of 10-50, each unit editing one sentence of every part
  own         every unit writes its own text

Each measurement then runs in a fresh Python process (bench_merge's TreeMemory samples the PSS of the whole
process tree, workers included) and prints ms per file for read+check, the whole merge, the copy check N605
alone and the summary workbook, with the peak memory:

    python scripts/bench_scale.py --sizes 1000,3000,10000            # clustered vs own texts, local pool
    python scripts/bench_scale.py --sizes 100000 --variants clustered --engines local,dask --jobs 2
    python scripts/bench_scale.py --generate 100000                  # only fill the cache (nice it)

The target (issue 13): time per file within 15% across sizes and between the variants, N605 under 0.5 s at 10k.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_merge import MIB, OUTCOMES, YEAR, TreeMemory, text, write_unit

from giptemplate.format.arithmetic import arithmetic_for
from giptemplate.format.spec import spec_for_year

CACHE = Path(".bench-cache") / "scale"
VARIANTS = ("clustered", "own")
MODEL_SENTENCES = 8  # a model text long enough that editing one sentence leaves a copy (similarity >= 80%)


def cluster_of(i: int) -> tuple[int, int]:
    """The cluster of unit ``i`` and its place in it: clusters of 10-50 consecutive units (deterministic)."""
    rng = random.Random(7)
    start, cluster = 0, 0
    # Cheap enough for 100k: clusters average 30 units, so about 3,300 draws at most.
    while True:
        size = rng.randint(10, 50)
        if i < start + size:
            return cluster, i - start
        start += size
        cluster += 1


def clustered_texts(part_keys: list[str], cluster: int, member: int) -> dict[str, str]:
    """The cluster's model text for each part, with one sentence edited by this member."""
    texts = {}
    for n, key in enumerate(part_keys):
        model = random.Random(f"{cluster}-{n}")
        sentences = [text(model, 1) for _ in range(MODEL_SENTENCES)]
        edit = random.Random(f"{cluster}-{n}-{member}")
        at = edit.randrange(len(sentences))
        sentences[at] = sentences[at][:-1] + "，" + edit.choice(OUTCOMES) + "。"
        texts[key] = "".join(sentences)
    return texts


def own_texts(part_keys: list[str], i: int) -> dict[str, str]:
    """Texts of the same length as the clustered ones, every unit writing its own."""
    texts = {}
    for n, key in enumerate(part_keys):
        rng = random.Random(f"own-{i}-{n}")
        sentences = [text(rng, 1) for _ in range(MODEL_SENTENCES)]
        at = rng.randrange(len(sentences))
        sentences[at] = sentences[at][:-1] + "，" + rng.choice(OUTCOMES) + "。"
        texts[key] = "".join(sentences)
    return texts


def _generate_chunk(folder: str, variant: str, indexes: list[int]) -> int:
    spec = spec_for_year(YEAR)
    arithmetic_for(spec)
    keys = [p.key for p in spec.parts]
    for i in indexes:
        path = Path(folder) / f"unit{i:06d}.xlsx"
        if path.exists():
            continue
        rng = random.Random(i)
        short = {k: text(rng, rng.randint(2, 4)) for k in keys}  # drawn in both variants: the same figures follow
        texts = own_texts(keys, i) if variant == "own" else clustered_texts(keys, *cluster_of(i))
        texts["s6"] = short["s6"] + "本年度未收取信息处理费。"
        write_unit(path, i, rng, spec, texts)
    return len(indexes)


def generate(variant: str, n: int, jobs: int | None = None) -> list[Path]:
    folder = CACHE / variant
    folder.mkdir(parents=True, exist_ok=True)
    missing = [i for i in range(n) if not (folder / f"unit{i:06d}.xlsx").exists()]
    if missing:
        print(f"generating {len(missing)} {variant} workbooks into {folder} ...", flush=True)
        chunks = [missing[i : i + 200] for i in range(0, len(missing), 200)]
        with ProcessPoolExecutor(jobs) as pool:
            for done, _ in enumerate(
                pool.map(_generate_chunk, [str(folder)] * len(chunks), [variant] * len(chunks), chunks)
            ):
                if done % 25 == 0:
                    print(f"  {variant}: {min(len(missing), (done + 1) * 200)}/{len(missing)}", flush=True)
    return [folder / f"unit{i:06d}.xlsx" for i in range(n)]


def phase(args: argparse.Namespace) -> None:
    """One merge in this (fresh) process; prints one JSON line."""
    from giptemplate.merge import build_result, write_summary
    from giptemplate.merge.collect import collect
    from giptemplate.merge.copies import copy_findings

    paths = generate(args.variant, args.n)
    out: dict[str, Any] = {"files": len(paths), "variant": args.variant, "engine": args.engine, "jobs": args.jobs}
    with TreeMemory() as memory:
        start = time.perf_counter()
        results = collect(paths, jobs=args.jobs, engine=args.engine)
        collected = time.perf_counter()
        result = build_result(results)
        built = time.perf_counter()
        write_summary(result, args.output)
        written = time.perf_counter()
        # The copy check alone, once more on the same units (it is part of building the result above).
        copies = copy_findings(result.spec, result.included)
        out["n605"] = time.perf_counter() - written
        out["n605_findings"] = len(copies)
        out["collect"] = collected - start
        out["build"] = built - collected
        out["summary"] = written - built
        out["wall"] = written - start
        out["statuses"] = {k: v for k, v in result.counts.items() if v}
    own = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu"] = own.ru_utime + own.ru_stime + memory.descendants_cpu
    out["self_peak_mib"] = own.ru_maxrss / 1024
    out["tree_pss_mib"] = memory.pss / MIB if memory.available else None
    print(json.dumps(out), flush=True)


def run_phase(variant: str, n: int, engine: str, jobs: int, output: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--phase", "--variants", variant, "--sizes", str(n)]
    command += ["--engines", engine, "--jobs", str(jobs), "--output", str(output)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{variant} {n} {engine} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generate", type=int, default=0, help="only generate this many workbooks (both variants)")
    parser.add_argument("--sizes", default="1000,3000,10000", help="numbers of workbooks, comma-separated")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--engines", default="local", help="local and/or dask, comma-separated")
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (default: all cores)")
    parser.add_argument("--phase", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=CACHE / "summary.xlsx", help=argparse.SUPPRESS)
    args = parser.parse_args()
    variants, engines = args.variants.split(","), args.engines.split(",")
    sizes = [int(n) for n in args.sizes.split(",")]
    if args.generate:
        for variant in variants:
            generate(variant, args.generate, args.jobs or None)
        return
    if args.phase:
        args.variant, args.n, args.engine = variants[0], sizes[0], engines[0]
        args.jobs = args.jobs or None
        phase(args)
        return
    from giptemplate.merge.collect import default_jobs

    jobs = args.jobs or default_jobs()
    for variant in variants:
        generate(variant, max(sizes), jobs)
    load_before = os.getloadavg()[0]
    rows = []
    for n in sizes:
        for engine in engines:
            for variant in variants:
                rows.append(run_phase(variant, n, engine, jobs, CACHE / f"summary-{variant}-{n}-{engine}.xlsx"))
                r = rows[-1]
                print(
                    f"{r['files']:>7} {variant:9} {engine:5} {jobs} jobs | ms/file: read+check "
                    f"{r['collect'] * 1000 / r['files']:6.2f}  merge {r['wall'] * 1000 / r['files']:6.2f} "
                    f"(statuses/totals/N605 {r['build'] * 1000 / r['files']:5.2f}, summary "
                    f"{r['summary'] * 1000 / r['files']:5.2f})  CPU {r['cpu'] * 1000 / r['files']:6.2f} | "
                    f"N605 {r['n605']:6.2f} s ({r['n605_findings']} findings) | wall {r['wall']:7.1f} s | "
                    f"peak PSS {r['tree_pss_mib'] or 0:6.0f} MiB",
                    flush=True,
                )
    print(f"load average before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} CPUs")
    merged = {(r["files"], r["variant"], r["engine"]): r["wall"] / r["files"] for r in rows}
    for engine in engines:
        per_file = {key: v for key, v in merged.items() if key[2] == engine}
        if len(per_file) > 1:
            spread = max(per_file.values()) / min(per_file.values())
            print(f"{engine}: merge ms/file max/min over sizes and variants = {spread:.2f} (target <= 1.15)")
    if "local" in engines and "dask" in engines:
        for n in sizes:
            for variant in variants:
                local, dask = merged.get((n, variant, "local")), merged.get((n, variant, "dask"))
                if local and dask:
                    print(f"{n} {variant}: dask / local merge time = {dask / local:.2f}")


if __name__ == "__main__":
    main()
