"""Executors for scans: serial, local processes (spawn start method, no reliance on fork) and dask.

:func:`make_executor` is a context manager yielding a :class:`concurrent.futures.Executor` (or ``None``
for serial evaluation in the calling process). Any user-supplied Executor can be passed to
:func:`lqmodel.scan.run_scan` directly instead.
"""
from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor

__all__ = ["make_executor", "START_METHOD"]

#: start method of local worker processes: "spawn" (fresh interpreters; works the same on Linux, macOS
#: and Windows and never inherits threads or locks of the parent as fork would)
START_METHOD = "spawn"


@contextlib.contextmanager
def make_executor(kind: str, workers: int = 2, dask_address: str | None = None) -> Iterator[Executor | None]:
    """``kind`` = "serial" (yields None), "process" (ProcessPoolExecutor, spawn context) or "dask"
    (``Client(dask_address).get_executor()``; with no address a ``LocalCluster(n_workers=workers,
    processes=True, threads_per_worker=1)`` is started and shut down afterwards)."""
    if kind == "serial":
        yield None
    elif kind == "process":
        ctx = multiprocessing.get_context(START_METHOD)
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as ex:
            yield ex
    elif kind == "dask":
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask is an optional dependency
            raise ValueError("executor 'dask' needs dask.distributed: pip install 'lqmodel[dask]'") from None
        if dask_address:
            with Client(dask_address) as client:
                yield client.get_executor()
        else:
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=":0") as cluster, Client(cluster) as client:
                yield client.get_executor()
    else:
        raise ValueError(f"unknown executor {kind!r}; allowed: serial, process, dask")
