"""The Dask engine: the same per-file pipeline (:func:`giptemplate.merge.collect.process_file`), mapped over a Dask
cluster instead of a local process pool, for batches larger than one machine can read in time.

Without a scheduler address a LocalCluster of ``jobs`` single-threaded worker processes is started for the call and
closed after it; with one, the tasks go to that cluster, whose workers must have giptemplate (and the input files,
at the same paths) available. Dask is an optional extra: ``pip install giptemplate[dask]``.

Each task is a chunk of paths with the setup of the call (check or only read, last year's files, the files named
explicitly): the worker sets itself up as the local pool's initializer would, then reads the chunk. A chunk whose
worker dies is retried file by file, and a file that still cannot come back is listed as 无法读取, as in the local
engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from giptemplate.errors import InputError
from giptemplate.merge.collect import FileResult, Setup, _chunks, _crashed, default_jobs, process_chunk_with

ENGINES = ("local", "dask")

Progress = Callable[[int, int], None]


def dask_client(jobs: int | None, scheduler: str | None) -> tuple[Any, Any]:
    """A Dask client on the cluster at ``scheduler``, or on a new LocalCluster (returned too, to be closed)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError(
            "--engine dask 需要安装 Dask：pip install 'giptemplate[dask]' (Dask is not installed)"
        ) from None
    if scheduler:
        try:
            return Client(scheduler, timeout="30s"), None  # type: ignore[no-untyped-call]
        except OSError as exc:
            raise InputError(f"无法连接 Dask 调度器 {scheduler}：{exc} (cannot reach the Dask scheduler)") from None
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=jobs or default_jobs(),
        threads_per_worker=1,  # reading is CPU-bound Python: processes, not threads
        processes=True,
        dashboard_address=None,
        # The scheduler's health endpoints bind 8787 even without a dashboard; a second cluster on the machine
        # would then warn (an error under the test suite's warning filter). Port 0 lets the OS choose.
        scheduler_kwargs={"dashboard_address": ":0"},
        silence_logs=logging.ERROR,
    )
    return Client(cluster), cluster  # type: ignore[no-untyped-call]


def collect_dask(
    names: Sequence[str],
    setup: Setup,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    on_progress: Progress | None = None,
) -> list[FileResult]:
    """:func:`giptemplate.merge.collect.collect` on Dask: the results in input order."""
    from dask.distributed import as_completed

    client, cluster = dask_client(jobs, scheduler)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})) or (jobs or default_jobs()))
        [shared] = client.scatter([setup], broadcast=True)  # last year's refs travel to each worker once
        chunks = _chunks(list(names), workers)
        futures = client.map(process_chunk_with, [shared] * len(chunks), chunks, pure=False)
        pending = {f.key: chunk for f, chunk in zip(futures, chunks, strict=True)}
        into: dict[str, FileResult] = {}
        done = 0
        failed: list[str] = []
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            chunk = pending.pop(future.key)
            try:
                results: list[FileResult] = future.result()
            except Exception:  # KilledWorker and anything a worker could not send back
                failed.extend(chunk)
                continue
            finally:
                future.release()
            for result in results:
                into[result.path] = result
            done += len(results)
            if on_progress is not None:
                on_progress(done, len(names))
        for name in failed:
            try:
                into[name] = client.submit(process_chunk_with, shared, [name], pure=False).result()[0]
            except Exception:
                into[name] = _crashed(name)
            done += 1
            if on_progress is not None:
                on_progress(done, len(names))
        return [into[n] for n in names]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
