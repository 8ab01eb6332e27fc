"""Benchmark: the web page against the command line on the same returned workbooks.

  web      ``giptemplate serve`` in its own process; N workbooks uploaded over HTTP in batches (as the page's
           script sends them), from the first request until the last file is checked; then the summary
           workbook generated from the page (POST /summary/generate)
  cli      ``giptemplate merge FOLDER -o 汇总.xlsx`` on the same files (read, check, statuses, summary workbook)
  render   GET /returned on the server holding the N checked units (one row each), best and median of 7

Prints files per second and the ratio web / cli (target: within 1.3×), and the page's response time (target: under
300 ms). Workbooks are generated once by bench_merge.py's generator (distinct units, codes, figures and texts).

    python scripts/bench_web.py            # 1000 workbooks
    python scripts/bench_web.py --n 200
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx
from bench_merge import generate

HERE = Path(__file__).resolve().parent
GIPTEMPLATE = [str(Path(sys.executable).with_name("giptemplate"))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(files: Path, out: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run([*GIPTEMPLATE, "merge", str(files), "-o", str(out)], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"merge failed ({done.returncode}): {done.stderr}")
    return elapsed


def start_server(workspace: Path, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [*GIPTEMPLATE, "serve", "--workspace", str(workspace), "--port", str(port), "--no-browser"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def run_web(
    paths: list[Path], workspace: Path, batch: int
) -> tuple[float, float, httpx.Client, subprocess.Popen[bytes]]:
    port = free_port()
    server = start_server(workspace, port)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600)
    token_match = re.search(r'data-csrf="([^"]+)"', client.get("/").text)
    assert token_match is not None, "no CSRF token on the page"
    headers = {"X-CSRF-Token": token_match.group(1)}
    started = time.perf_counter()
    for i in range(0, len(paths), batch):
        files = [("files", (p.name, p.read_bytes())) for p in paths[i : i + batch]]
        response = client.post("/returned/upload", files=files, headers=headers)
        response.raise_for_status()
    uploaded = time.perf_counter() - started
    print(f"web: {len(paths)} files uploaded in {uploaded:.1f} s ({len(paths) / uploaded:.0f} files/s)")
    while True:
        progress = client.get("/returned/progress").text
        if "data-done" in progress and f"{len(paths)} 个文件" in progress:
            break
        time.sleep(0.1)
    checked = time.perf_counter() - started
    client.post("/summary/generate", headers=headers).raise_for_status()
    with_summary = time.perf_counter() - started
    return checked, with_summary, client, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="number of workbooks (default 1000)")
    parser.add_argument("--batch", type=int, default=50, help="files per upload request (the page sends 50)")
    parser.add_argument("--cache", type=Path, default=None, help="folder of generated workbooks")
    parser.add_argument("--repeat", type=int, default=1, help="run each measurement this often, keep the fastest")
    args = parser.parse_args()
    cache = args.cache or Path(".bench-cache") / f"merge-{args.n}"
    paths = generate(cache, args.n)
    print(f"{len(paths)} workbooks ready ({cache})")
    cli = checked = with_summary = float("inf")
    times: list[float] = []
    for run in range(args.repeat):
        # Interleaved, so that both sides see the same load on a shared machine.
        with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
            root = Path(tmp)
            cli = min(cli, run_cli(cache, root / "cli.xlsx"))
            web_checked, web_summary, client, server = run_web(paths, root / "ws", args.batch)
            checked, with_summary = min(checked, web_checked), min(with_summary, web_summary)
            try:
                for _ in range(7):
                    started = time.perf_counter()
                    page = client.get("/returned")
                    times.append(time.perf_counter() - started)
                    page.raise_for_status()
                rows = page.text.count("<tr class=")
            finally:
                client.close()
                server.terminate()
                server.wait(30)
        print(f"run {run + 1}: cli {cli:.1f} s, web {web_checked:.1f} s checked, {web_summary:.1f} s with the summary")
    n = len(paths)
    print(f"cli merge (read, check, summary)      {cli:7.1f} s  {n / cli:6.1f} files/s")
    print(f"web upload + background check         {checked:7.1f} s  {n / checked:6.1f} files/s")
    print(f"web upload + check + summary workbook {with_summary:7.1f} s  {n / with_summary:6.1f} files/s")
    ratio, checking = with_summary / cli, checked / cli
    print(f"ratio web / cli: {ratio:.2f}x with the summary, {checking:.2f}x checking only (target <= 1.3)")
    print(
        f"收回 page with {rows} rows: best {min(times) * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms"
        " (target < 300 ms)"
    )


if __name__ == "__main__":
    main()
