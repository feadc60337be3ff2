"""Executors for scans: serial, local processes (spawn start method, no reliance on fork) and dask.

:func:`make_executor` is a context manager yielding a :class:`concurrent.futures.Executor` (or ``None``
for serial evaluation in the calling process). Any user-supplied Executor can be passed to
:func:`lqmodel.scan.run_scan` directly instead.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor

__all__ = ["make_executor", "START_METHOD", "effective_workers", "usable_cpus", "choose_executor",
           "SERIAL_BELOW_POINTS", "blas_threads", "tune_allocator"]

#: seconds between a worker's checks that its parent process is still alive
WATCHDOG_INTERVAL_S = 0.5


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one, else ``os.cpu_count()``)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        return max(os.cpu_count() or 1, 1)


def effective_workers(config, executor=None, n_todo: int | None = None) -> int:
    """Workers actually started: ``config.workers``, for local processes at most the usable CPUs and the
    number of chunks to compute (more processes than cores only add start-up time and memory). A dask
    scheduler address is a remote cluster: not capped."""
    workers = max(int(config.workers), 1)
    kind = executor if isinstance(executor, str) else (config.executor if executor is None else None)
    if kind == "process" or (kind == "dask" and not config.dask_address):
        workers = min(workers, usable_cpus())
    if n_todo is not None and n_todo > 0:
        workers = min(workers, n_todo)
    return workers


#: A config's ``executor: process`` runs serially when fewer points than this are to be computed (or fewer
#: than two chunks): starting spawned workers costs more than they save on a small map. Where processes
#: pay: N > S / (c (1 - 1/s)) with S the start-up of the pool (interpreters, imports, each worker's first
#: call loading the on-disk caches), c the serial cost per point and s the speed-up of the workers. Measured
#: with benchmarks/bench_scan.py (PointEvaluator of the built-in maps, 219 columns, 2 workers, 2 shared
#: cores, 2026-12-02): S = 7 s at load 5 (23 s at load 7), c = 60-190 us/point, s <= 1.8, hence N ~ 2e5.
#: The environment variable ``LQMODEL_SERIAL_BELOW_POINTS`` overrides it (0: always start the workers).
SERIAL_BELOW_POINTS = 200_000


def choose_executor(kind: str, n_points_todo: int, n_chunks_todo: int) -> tuple[str, str | None]:
    """The executor a run uses for the config's ``kind``: "process" becomes "serial" for a small map
    (:data:`SERIAL_BELOW_POINTS`, or a single chunk to compute); returns (kind, note for the run record or
    None). Only a config's choice is adjusted; an executor passed to :func:`lqmodel.scan.run_scan` is used
    as given."""
    if kind != "process":
        return kind, None
    threshold = SERIAL_BELOW_POINTS
    env = os.environ.get("LQMODEL_SERIAL_BELOW_POINTS")
    if env is not None:
        try:
            threshold = int(env)
        except ValueError:
            from lqmodel.errors import InputError

            raise InputError(f"LQMODEL_SERIAL_BELOW_POINTS must be an integer number of points, got {env!r}") from None
    if n_chunks_todo < 2 or n_points_todo < threshold:
        return "serial", (f"process -> serial: {n_points_todo} points in {n_chunks_todo} chunks to compute, "
                          f"below {threshold} points or 2 chunks workers cost more than they save")
    return kind, None


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(WATCHDOG_INTERVAL_S)
        if os.getppid() != parent_pid:  # the parent died (kill -9): re-parented to init/a subreaper
            os._exit(1)


def limit_blas_threads(n: int = 1) -> list[str]:
    """Set the thread count of every OpenBLAS loaded in this process (numpy's bundled one included) to
    ``n``; returns the libraries changed. A worker process is one core's worth of work: threaded BLAS on the
    evaluator's skinny matrix products (points x coefficients) only oversubscribes the cores the other
    workers use. Linux (``/proc/self/maps``); elsewhere nothing is changed."""
    import ctypes

    changed = []
    for lib in _openblas_libraries():
        for symbol in _SETTERS:
            setter = getattr(lib, symbol, None)
            if setter is not None:
                setter(ctypes.c_int(n))
                changed.append(lib._name)
                break
    return changed


#: OpenBLAS's thread-count setters and getters under the names its builds export (numpy's, scipy's, 64-bit)
_SETTERS = ("openblas_set_num_threads", "openblas_set_num_threads64_", "scipy_openblas_set_num_threads64_",
            "scipy_openblas_set_num_threads")
_GETTERS = tuple(name.replace("_set_", "_get_") for name in _SETTERS)


def _openblas_libraries() -> list:
    """ctypes handles of every OpenBLAS loaded in this process (Linux; [] elsewhere)."""
    import ctypes

    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            paths = sorted({line.split()[-1] for line in fh if "openblas" in line.lower() and "/" in line})
    except OSError:  # pragma: no cover - not Linux
        return []
    libs = []
    for path in paths:
        try:
            libs.append(ctypes.CDLL(path))
        except OSError:  # pragma: no cover
            continue
    return libs


@contextlib.contextmanager
def blas_threads(n: int = 1) -> Iterator[None]:
    """Run the block with ``n`` OpenBLAS threads, then restore each library's previous count: the serial
    scan path, whose matrix products are skinny (points x a few coefficients), runs faster on one thread
    than on threads that compete with each other and with other processes (measured on the Drell–Yan
    products of a 32768-point batch on the shared 2-core machine: 1.4 vs 6.5 µs/point)."""
    import ctypes

    import numpy  # noqa: F401 - loads numpy's OpenBLAS

    saved = []
    for lib in _openblas_libraries():
        for get, set_ in zip(_GETTERS, _SETTERS, strict=True):
            getter, setter = getattr(lib, get, None), getattr(lib, set_, None)
            if getter is not None and setter is not None:
                saved.append((setter, int(getter())))
                setter(ctypes.c_int(n))
                break
    try:
        yield
    finally:
        for setter, k in saved:
            setter(ctypes.c_int(k))


#: glibc mallopt parameters (malloc.h): M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: allocations up to this size come from the heap (glibc's largest allowed mmap threshold, 32 MiB on 64 bit)
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
#: freed memory at the top of the heap is returned to the OS only beyond this
TRIM_THRESHOLD_BYTES = 1 << 30


def tune_allocator() -> bool:
    """Keep the memory of a process that evaluates batch after batch: glibc malloc serves blocks up to
    :data:`MMAP_THRESHOLD_BYTES` from its heap and keeps up to :data:`TRIM_THRESHOLD_BYTES` of freed heap,
    instead of returning the temporaries of every sub-batch (a few MB each: (N, 3, 3) couplings, Wilson
    coefficients) to the OS and faulting fresh pages in for the next one. Measured on the 2-core machine
    (2026-12-02, a 32,768-point sub-batch of the default map): 21,000 page faults and 0.05–0.12 s of system
    time per call before, 800 and ~0 s after; peak memory unchanged (it is the largest sub-batch's either
    way). Process-wide and not undoable (glibc has no getter), so it is called only in processes lqmodel
    owns: local workers (:func:`_worker_init`) and the ``lqmodel`` command line. Returns whether it was
    applied (False where the C library is not glibc)."""
    import ctypes
    import ctypes.util

    if not hasattr(os, "confstr") or "glibc" not in (os.confstr("CS_GNU_LIBC_VERSION") or "").lower():
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:  # pragma: no cover
        return False
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:  # pragma: no cover
        return False
    mmap_ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    return mmap_ok & bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))


def _worker_init(parent_pid: int) -> None:
    """Initializer of every local worker process: ignore SIGINT (Ctrl-C reaches the whole process group;
    the parent decides and stops the workers), exit when the parent process dies, one BLAS thread
    (:func:`limit_blas_threads`; the workers are the parallelism), the allocator kept warm between
    sub-batches (:func:`tune_allocator`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tune_allocator()
    import numpy  # noqa: F401 - loads numpy's OpenBLAS so that its thread count can be set

    limit_blas_threads(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="lqmodel-parent-watchdog").start()


def _stop_workers(ex: ProcessPoolExecutor) -> None:
    """Stop a process pool now: cancel what has not started and terminate running workers (their chunks
    are recomputed on the rerun). Uses the executor's process table (``_processes``, CPython)."""
    processes = list((getattr(ex, "_processes", None) or {}).values())
    ex.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=5)
        if proc.is_alive():  # pragma: no cover - ignored SIGTERM
            proc.kill()
            proc.join(timeout=5)

#: start method of local worker processes: "spawn" (fresh interpreters; works the same on Linux, macOS
#: and Windows and never inherits threads or locks of the parent as fork would)
START_METHOD = "spawn"


@contextlib.contextmanager
def make_executor(kind: str, workers: int = 2, dask_address: str | None = None) -> Iterator[Executor | None]:
    """``kind`` = "serial" (yields None), "process" (ProcessPoolExecutor, spawn context) or "dask"
    (``Client(dask_address).get_executor()``; with no address a ``LocalCluster(n_workers=workers,
    processes=True, threads_per_worker=1)`` is started and shut down afterwards)."""
    if kind == "serial":
        with blas_threads(1):
            yield None
    elif kind == "process":
        ctx = multiprocessing.get_context(START_METHOD)
        ex = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                                 initargs=(os.getpid(),))
        try:
            yield ex
        except BaseException:  # interrupted or failed: do not wait for running chunks
            _stop_workers(ex)
            raise
        ex.shutdown(wait=True)
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
