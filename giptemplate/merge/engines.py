"""The Dask engine's cluster: where :func:`giptemplate.merge.collect.collect_dask` maps the same per-file pipeline
(:func:`giptemplate.merge.collect.process_file`) instead of a local process pool, for batches larger than one
machine can read in time.

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
from typing import Any

from giptemplate.errors import InputError

ENGINES = ("local", "dask")


def dask_client(workers: int, scheduler: str | None) -> tuple[Any, Any]:
    """A Dask client on the cluster at ``scheduler``, or on a new LocalCluster of ``workers`` processes (returned
    too, to be closed)."""
    try:
        from dask.distributed import Client, LocalCluster  # lazy: Dask is an optional extra, loaded when asked
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
        n_workers=workers,
        threads_per_worker=1,  # reading is CPU-bound Python: processes, not threads
        processes=True,
        dashboard_address=None,
        # The scheduler's health endpoints bind 8787 even without a dashboard; a second cluster on the machine
        # would then warn (an error under the test suite's warning filter). Port 0 lets the OS choose.
        scheduler_kwargs={"dashboard_address": ":0"},
        silence_logs=logging.ERROR,
    )
    return Client(cluster), cluster  # type: ignore[no-untyped-call]
