"""Benchmark: merge N returned workbooks (summary workbook included) against reading and checking them alone.

Generates N filled workbooks once into a cache folder (every one a distinct unit with its own code, figures and
narrative, so nothing collapses into 重复报送 or into one copied text), then runs each measurement in a fresh
Python process so that memory figures are not mixed up:

  read+check   giptemplate.merge.collect (parallel read + check, nothing else), all cores
  merge        giptemplate.merge.merge + write_summary, all cores
  1 job/2 jobs read+check of a subset with one process and with two

and prints wall time, ms per file, peak memory and the ratios against their targets:
merge <= 1.5x read+check; 2 jobs >= 1.6x faster than 1; peak memory < 400 MiB.

Peak memory: ``resource.getrusage`` gives each process's own peak (RUSAGE_SELF in the measuring process,
RUSAGE_CHILDREN here for the measuring process as a child); worker processes started by multiprocessing's fork
server are not children of the measuring process and getrusage cannot see them. A sampler process therefore also
reads /proc every 50 ms and reports the largest sums of RSS and of PSS over itself and all its
descendants (PSS splits the pages forked workers share with the fork server; it is what the machine had to hold
at once, and the figure compared with the target).

    python scripts/bench_merge.py            # 10 000 workbooks
    python scripts/bench_merge.py --n 2000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import select
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from giptemplate.format.arithmetic import arithmetic_for
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec, spec_for_year
from giptemplate.format.uscc import check_digit
from giptemplate.workbook.writer import write_template

YEAR = 2024
MIB = 2**20
PLACES = "东南西北中上下前后新老大小金银石河山林田桥湾塘岭沟坪园"
KINDS = ("局", "委员会", "办公室", "中心", "镇人民政府", "乡人民政府", "街道办事处")
SUBJECTS = (
    "本单位",
    "我们",
    "办公室",
    "各业务股室",
    "信息公开工作小组",
    "分管领导",
    "政务公开专员",
    "机关各科室",
)
ACTIONS = (
    "严格落实保密审查制度",
    "及时更新网站栏目内容",
    "认真办理依申请公开事项",
    "加强政策解读工作",
    "规范政务新媒体管理",
    "开展业务培训",
    "梳理主动公开事项清单",
    "完善信息发布流程",
    "清理行政规范性文件",
    "推进决策公开",
    "做好建议提案办理结果公开",
    "健全公开属性认定机制",
)
OUTCOMES = (
    "群众满意度明显提升",
    "信息发布更加及时准确",
    "未发生泄密事件",
    "答复质量进一步提高",
    "公开内容更加全面",
    "工作机制逐步健全",
    "社会关切得到及时回应",
    "公开平台运行平稳",
    "工作人员业务能力得到提升",
    "公开质量稳步提高",
)


def unit_code(i: int) -> str:
    body = f"11{410000 + i % 90000:06d}{i:09d}"
    return body + check_digit(body)


def unit_name(rng: random.Random) -> str:
    return f"{''.join(rng.sample(PLACES, 2))}县{''.join(rng.sample(PLACES, 2))}{rng.choice(KINDS)}"


def text(rng: random.Random, sentences: int) -> str:
    return "".join(
        f"{rng.choice(SUBJECTS)}{rng.choice(ACTIONS)}，{rng.choice(ACTIONS)}，{rng.choice(OUTCOMES)}。"
        for _ in range(sentences)
    )


def _generate_chunk(folder: str, indexes: list[int]) -> int:
    spec = spec_for_year(YEAR)
    arithmetic_for(spec)
    for i in indexes:
        path = Path(folder) / f"unit{i:05d}.xlsx"
        if path.exists():
            continue
        rng = random.Random(i)
        texts = {p.key: text(rng, rng.randint(2, 4)) for p in spec.parts}
        texts["s6"] += "本年度未收取信息处理费。"
        write_unit(path, i, rng, spec, texts)
    return len(indexes)


def write_unit(path: Path, i: int, rng: random.Random, spec: Spec, texts: dict[str, str]) -> None:
    """Unit ``i``'s workbook with varied values and the given texts; written aside and renamed, so that an
    interrupted run never leaves a half-written workbook in the cache."""
    values = consistent_values(spec, rng, density=rng.uniform(0.05, 0.5), scale=rng.choice([5, 50, 500]))
    partial = path.with_suffix(".tmp")
    write_template(
        partial,
        year=YEAR,
        unit_name=unit_name(rng),
        unit_code=unit_code(i),
        scope="本机关",
        values=values,
        texts=texts,
        filler="张三",
        phone="0371-12345678",
        date=f"{YEAR + 1}-01-15",
        spec=spec,
    )
    partial.rename(path)


def generate(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    missing = [i for i in range(n) if not (folder / f"unit{i:05d}.xlsx").exists()]
    if missing:
        print(f"generating {len(missing)} workbooks into {folder} (once; reruns reuse them) ...", flush=True)
        chunks = [missing[i : i + 200] for i in range(0, len(missing), 200)]
        with ProcessPoolExecutor() as pool:
            for _ in pool.map(_generate_chunk, [str(folder)] * len(chunks), chunks):
                pass
    return [folder / f"unit{i:05d}.xlsx" for i in range(n)]


# ---------------------------------------------------------------------------------------------- measuring


class TreeMemory:
    """Samples the memory of this process and all its descendants (Linux /proc): the largest sum of RSS, and the
    largest sum of PSS (shared pages, such as those of forked workers, counted once across processes).

    The sampling runs in a separate process (this script with ``--sample-tree PID``), not in a thread: a second
    thread would change how the merge starts its workers (giptemplate.merge.collect forks them only from a process
    running one thread, as the command line's is)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.rss = 0
        self.pss = 0
        self.cpu_seconds = 0.0
        self.available = Path("/proc/self/stat").exists()
        self._sampler: subprocess.Popen[str] | None = None

    def __enter__(self) -> TreeMemory:
        if self.available:
            command = [sys.executable, __file__, "--sample-tree", str(os.getpid()), "--interval", str(self.interval)]
            self._sampler = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            assert self._sampler.stdout is not None
            self._sampler.stdout.readline()  # "ready": sampling has begun
        return self

    def __exit__(self, *exc: object) -> None:
        if self._sampler is not None:
            out, _ = self._sampler.communicate("")  # closing its stdin ends the sampling
            seen = json.loads(out.strip().splitlines()[-1])
            self.rss, self.pss, self.cpu_seconds = seen["rss"], seen["pss"], seen["cpu"]

    @property
    def descendants_cpu(self) -> float:
        """CPU seconds of the descendants (up to the last sample before each exited)."""
        return self.cpu_seconds


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def sample_tree(root: int, interval: float) -> None:
    """Until stdin closes: sample the process tree under ``root`` (without this sampler); then print the peaks and
    the descendants' CPU seconds as one JSON line."""
    page, me = os.sysconf("SC_PAGE_SIZE"), os.getpid()
    peak_rss = peak_pss = 0
    cpu_ticks: dict[int, int] = {}  # descendants' CPU time as last seen
    print("ready", flush=True)
    while True:
        parents: dict[int, int] = {}
        rss: dict[int, int] = {}
        cpu: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) == me:
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            pid = int(entry.name)
            parents[pid] = int(fields[1])
            rss[pid] = int(fields[21]) * page
            cpu[pid] = int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        tree = []
        for pid in rss:
            p = pid
            while p and p != root and p in parents:
                p = parents[p]
            if p == root:
                tree.append(pid)
        for pid in tree:
            if pid != root:
                cpu_ticks[pid] = cpu[pid]
        peak_rss = max(peak_rss, sum(rss[p] for p in tree))
        peak_pss = max(peak_pss, sum(_pss(p) for p in tree))
        if select.select([sys.stdin], [], [], interval)[0]:
            sys.stdin.read()
            break
    cpu_seconds = sum(cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")
    print(json.dumps({"rss": peak_rss, "pss": peak_pss, "cpu": cpu_seconds}), flush=True)


def phase(args: argparse.Namespace) -> None:
    """One measurement, in this (fresh) process; prints one JSON line."""
    from giptemplate.merge import merge, write_summary
    from giptemplate.merge.collect import collect

    paths = sorted(args.cache.glob("unit*.xlsx"))[: args.limit or None]
    out: dict[str, Any] = {"files": len(paths), "jobs": args.jobs}
    with TreeMemory() as memory:
        start = time.perf_counter()
        if args.phase == "readcheck":
            results = collect(paths, jobs=args.jobs)
            out["unreadable"] = sum(not r.readable for r in results)
        else:
            marks: dict[str, float] = {}

            def progress(done: int, total: int) -> None:
                if done == total:
                    marks["collected"] = time.perf_counter()

            result = merge(paths, jobs=args.jobs, on_progress=progress)
            marks["built"] = time.perf_counter()
            write_summary(result, args.output)
            out["collect"] = marks["collected"] - start
            out["build"] = marks["built"] - marks["collected"]
            out["summary"] = time.perf_counter() - marks["built"]
            out["summary_mib"] = args.output.stat().st_size / MIB
            out["statuses"] = result.counts
            out["findings"] = len(result.finding_list)
        out["wall"] = time.perf_counter() - start
    out["self_peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    own = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu"] = own.ru_utime + own.ru_stime + memory.descendants_cpu
    out["tree_rss_mib"] = memory.rss / MIB if memory.available else None
    out["tree_pss_mib"] = memory.pss / MIB if memory.available else None
    print(json.dumps(out), flush=True)


def run_phase(name: str, cache: Path, jobs: int, limit: int = 0, output: Path | None = None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--phase", name, "--cache", str(cache), "--jobs", str(jobs)]
    command += ["--limit", str(limit)]
    if output is not None:
        command += ["--output", str(output)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"phase {name} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["child_peak_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10000, help="number of workbooks (default 10000)")
    parser.add_argument("--cache", type=Path, default=None, help="folder of generated workbooks")
    parser.add_argument("--jobs", type=int, default=0, help="processes for the full runs (default: all cores)")
    parser.add_argument("--speedup-n", type=int, default=2000, help="files for the 1-vs-2-jobs comparison")
    parser.add_argument("--repeat", type=int, default=1, help="run each measurement this often, keep the fastest")
    parser.add_argument("--phase", choices=("readcheck", "merge"), help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--sample-tree", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--interval", type=float, default=0.05, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sample_tree:
        sample_tree(args.sample_tree, args.interval)
        return
    if args.phase:
        args.jobs = args.jobs or None
        phase(args)
        return
    from giptemplate.merge.collect import default_jobs

    cache = args.cache or Path(".bench-cache") / f"merge-{args.n}"
    jobs = args.jobs or default_jobs()
    started = time.perf_counter()
    paths = generate(cache, args.n)
    print(f"{len(paths)} workbooks ready in {time.perf_counter() - started:.1f} s ({cache}); {jobs} jobs")
    output = cache.parent / f"merge-{args.n}-summary.xlsx"

    load_before = os.getloadavg()[0]
    subset = min(args.speedup_n, len(paths))
    runs: dict[str, list[dict[str, Any]]] = {"rc": [], "merge": [], "one": [], "two": []}
    for _ in range(max(1, args.repeat)):
        # Interleaved, so that a burst of load on a shared machine hits every measurement alike.
        runs["rc"].append(run_phase("readcheck", cache, jobs))
        runs["merge"].append(run_phase("merge", cache, jobs, output=output))
        runs["one"].append(run_phase("readcheck", cache, 1, limit=subset))
        runs["two"].append(run_phase("readcheck", cache, 2, limit=subset))
    rc, merged, one, two = (min(runs[k], key=lambda r: r["wall"]) for k in ("rc", "merge", "one", "two"))

    n = len(paths)
    print()
    print(f"load average before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} CPUs")
    print(
        f"read+check alone   {rc['wall']:8.1f} s  {rc['wall'] * 1000 / n:7.2f} ms/file  ({n} files, {jobs} jobs)"
        f"  CPU {rc['cpu']:.1f} s"
    )
    print(
        f"merge + summary    {merged['wall']:8.1f} s  {merged['wall'] * 1000 / n:7.2f} ms/file"
        f"  (read+check {merged['collect']:.1f} s, statuses/totals/checks {merged['build']:.1f} s,"
        f" summary workbook {merged['summary']:.1f} s, {merged['summary_mib']:.1f} MiB)  CPU {merged['cpu']:.1f} s"
    )
    print(f"  statuses {merged['statuses']}, {merged['findings']} findings")
    print(
        f"peak memory        merge process {merged['self_peak_mib']:.0f} MiB (RUSAGE_SELF; "
        f"{merged['child_peak_mib']:.0f} MiB as RUSAGE_CHILDREN here); whole process tree with the workers "
        f"(sampled /proc): {merged['tree_pss_mib'] or 0:.0f} MiB PSS, {merged['tree_rss_mib'] or 0:.0f} MiB RSS "
        "(RSS counts the pages workers share with the fork server once per process)"
    )
    print(f"1 job / 2 jobs     {one['wall']:.1f} s / {two['wall']:.1f} s on {subset} files")
    ratio = merged["wall"] / rc["wall"]
    cpu_ratio = merged["cpu"] / rc["cpu"]
    speedup = one["wall"] / two["wall"]
    peak = max(merged["tree_pss_mib"] or 0, merged["self_peak_mib"])
    print()
    print(f"merge / read+check = {ratio:.2f}x   (target <= 1.5)  {'ok' if ratio <= 1.5 else 'MISSED'}")
    print(f"  same, in CPU time  {cpu_ratio:.2f}x   (less sensitive to other load on the machine)")
    print(f"2 jobs speed-up    = {speedup:.2f}x   (target >= 1.6)  {'ok' if speedup >= 1.6 else 'MISSED'}")
    print(f"peak memory (PSS)  = {peak:.0f} MiB (target < 400)  {'ok' if peak < 400 else 'MISSED'}")


if __name__ == "__main__":
    main()
