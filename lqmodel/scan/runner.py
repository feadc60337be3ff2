"""Run a scan: chunks of points through a vectorised evaluator, in parallel, streamed to Parquet.

The evaluator is any picklable callable (top-level function or instance of a top-level class, so that
spawned processes and dask workers can import it)::

    evaluator(base, assignments) -> Mapping[str, array (n,)]

``base`` is the configuration's base point (a benchmark name or an inline point mapping, exactly as in
the config) and ``assignments`` maps :func:`lqmodel.point.vary` names to float arrays of the chunk's
``n`` points. Optional attributes: ``units`` (column -> unit; "1" dimensionless, "" no unit: flags and
labels), ``spec()`` (a JSON-ready description that enters the scan fingerprint — give one whenever the
evaluator has options)
and ``prepare(base, config, executor=None)`` (called once in the calling process before any chunk is
dispatched, with the executor the chunks will use (None: serial), e.g. to build on-disk caches in
parallel that workers then only read).

Each row of the table holds ``point`` (the global point index), the scanned parameter values (columns
named as the parameters) and the evaluator's columns. The table does not depend on the executor, the
number of workers, the order in which chunks finish, or on interruptions: chunks already on disk are
skipped on a rerun.
"""
from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import ScanConfig, parameter_unit, to_assignments
from .executors import choose_executor, effective_workers, make_executor
from .limits import check_resources
from .samplers import Sampler
from .storage import ChunkWritten, FolderLock, ScanStore, TableCombiner, package_versions, write_chunk_temp

__all__ = ["run_scan", "ScanResult", "evaluator_spec", "evaluate_chunk", "compute_chunk"]


@dataclass(frozen=True)
class ScanResult:
    """What :func:`run_scan` did."""

    out_dir: Path
    table_path: Path
    n_points: int
    n_chunks: int
    computed_chunks: int   # evaluated in this call
    skipped_chunks: int    # found complete and verified on disk (resumed)
    elapsed_s: float
    recomputed_chunks: tuple[int, ...] = ()  # chunk files that failed verification (deleted, recomputed)

    def table(self):
        """The combined table (pyarrow.Table)."""
        import pyarrow.parquet as pq

        return pq.read_table(self.table_path)


def evaluator_spec(evaluator: object) -> Any:
    """The evaluator's identity for the fingerprint: ``evaluator.spec()`` if it has one, else its
    qualified name (plus its fields if it is a dataclass)."""
    if hasattr(evaluator, "spec"):
        return evaluator.spec()
    if dataclasses.is_dataclass(evaluator) and not isinstance(evaluator, type):
        return {"callable": f"{type(evaluator).__module__}.{type(evaluator).__qualname__}",
                "fields": dataclasses.asdict(evaluator)}
    if hasattr(evaluator, "__qualname__"):  # a function
        return {"callable": f"{evaluator.__module__}.{evaluator.__qualname__}"}
    return {"callable": f"{type(evaluator).__module__}.{type(evaluator).__qualname__}"}


def evaluate_chunk(evaluator: Callable, base: Any, values: Mapping[str, np.ndarray],
                   y1_over_y2: float) -> dict[str, np.ndarray]:
    """Evaluate one chunk (runs in a worker). Returns the evaluator's columns as 1-d numpy arrays."""
    n = len(next(iter(values.values())))
    out = evaluator(base, to_assignments(values, y1_over_y2))
    cols: dict[str, np.ndarray] = {}
    for name, arr in out.items():
        a = np.asarray(arr)
        if a.shape == ():
            a = np.full(n, a)
        if a.shape != (n,):
            raise ValueError(f"evaluator column {name!r} has shape {a.shape}, expected ({n},)")
        if np.iscomplexobj(a):
            raise ValueError(f"evaluator column {name!r} is complex: "
                             "split it into real columns (Parquet has no complex type)")
        cols[str(name)] = a
    return cols


def _chunk_columns(points: np.ndarray, values: Mapping[str, np.ndarray], cols: Mapping[str, np.ndarray],
                   units_eval: Mapping[str, str]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The columns of a chunk file (``point``, the scanned parameters, the evaluator's) and their units."""
    clash = [c for c in cols if c in values or c == "point"]
    if clash:
        raise ValueError(f"evaluator column {clash[0]!r} clashes with a scanned parameter or 'point'")
    columns = {"point": np.asarray(points), **values, **cols}
    units = {"point": "", **{k: parameter_unit(k) for k in values}}
    units.update({k: units_eval.get(k, "unspecified") for k in cols})
    return columns, units


@dataclass(frozen=True)
class ChunkTarget:
    """Where and how a worker writes the chunk it computed (:func:`compute_chunk`): the chunk folder, the
    evaluator's units and the schema metadata. Small and picklable."""

    chunk_dir: str
    units_eval: dict
    meta: dict


def compute_chunk(evaluator: Callable, base: Any, values: Mapping[str, np.ndarray], y1_over_y2: float,
                  index: int, points: np.ndarray, target: ChunkTarget) -> ChunkWritten:
    """Evaluate chunk ``index`` and write its Parquet file under a temporary name in the chunk folder (runs in
    a worker). Returns only the file's checksum and point range; the run holding the folder lock records them
    in the manifest and renames the file into place (:meth:`lqmodel.scan.storage.ScanStore.commit_chunk`).
    The chunk's columns never travel back to the parent."""
    cols = evaluate_chunk(evaluator, base, values, y1_over_y2)
    columns, units = _chunk_columns(points, values, cols, target.units_eval)
    del cols
    return write_chunk_temp(target.chunk_dir, index, columns, units, target.meta)


def _writes_locally(ex: Executor | None) -> bool:
    """Whether the executor's workers see this machine's file system (then they write their chunks)."""
    return ex is None or isinstance(ex, (ProcessPoolExecutor, ThreadPoolExecutor))


def _progress_bar(total: int, initial: int, enabled: bool | None):
    if enabled is None:
        enabled = sys.stderr.isatty() and total > 1
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="chunk", desc="lqmodel scan", file=sys.stderr)


def run_scan(
    config: ScanConfig | Mapping,
    out_dir: str | Path,
    evaluator: Callable,
    *,
    executor: Executor | str | None = None,
    progress: bool | None = None,
    max_in_flight: int | None = None,
    lock: FolderLock | None = None,
) -> ScanResult:
    """Run (or resume) the scan ``config`` into ``out_dir`` with ``evaluator``.

    ``executor``: an Executor instance (used as given, not shut down), or "serial" | "process" |
    "dask" (default: ``config.executor``, with ``config.workers`` workers, at most the CPUs for local
    processes). ``progress``: tqdm bar on/off (default: on when stderr is a terminal). ``lock``: a
    :class:`~lqmodel.scan.storage.FolderLock` already held on ``out_dir`` (else one is taken for the call;
    another run holding it raises :class:`~lqmodel.errors.LockedError`).

    Before anything runs the size is checked (:func:`lqmodel.scan.limits.check_resources`; refused with
    :class:`~lqmodel.errors.ResourceLimitError` above the limits unless ``allow_large``). Chunks already
    complete in ``out_dir`` whose checksum and point range match the manifest are skipped, any other chunk
    file is recomputed; a folder holding another scan is refused
    (:class:`~lqmodel.scan.storage.ScanMismatchError`). Returns a :class:`ScanResult`; the table is
    ``out_dir/map.parquet``.
    """
    if not isinstance(config, ScanConfig):
        config = ScanConfig.from_dict(config)
    t0 = time.perf_counter()
    if hasattr(evaluator, "for_config"):  # scan-wide choices (PointEvaluator: the flavour surrogates' masses)
        evaluator = evaluator.for_config(config)
    spec = evaluator_spec(evaluator)
    check_resources(config, n_columns=len(getattr(evaluator, "units", {}) or {}) + len(config.parameters) + 1,
                    out_dir=out_dir)
    fingerprint = config.fingerprint(spec)
    store = ScanStore(out_dir)
    store.check_usable()  # before the lock file is created in a folder that is not ours
    own_lock = FolderLock(out_dir).acquire() if lock is None else None  # a lock we took, we release
    try:
        return _run_locked(config, store, evaluator, spec, fingerprint, executor, progress, max_in_flight, t0)
    finally:
        if own_lock is not None:
            own_lock.release()


def _run_locked(config, store, evaluator, spec, fingerprint, executor, progress, max_in_flight, t0) -> ScanResult:
    versions = package_versions()
    store.open(config.to_dict(), fingerprint, versions)
    sampler = Sampler(config)

    def expected(i: int) -> tuple[int, int, int]:
        idx = sampler.indices(i)
        return int(idx[0]), int(idx[-1]), int(idx.size)

    done, damaged = store.verify_chunks(sampler.n_chunks, expected)
    todo = [i for i in range(sampler.n_chunks) if i not in done]
    if todo or damaged:
        store.remove_table()  # built from other chunks: stale
    kind, auto_note = (executor, None) if executor is not None else \
        choose_executor(config.executor, sum(sampler.indices(i).size for i in todo), len(todo))
    workers = effective_workers(config, executor, len(todo)) if kind != "serial" else 1
    store.write_manifest({
        "n_points": sampler.n_points, "n_chunks": sampler.n_chunks, "chunk_size": config.chunk_size,
        "parameters": {r.name: parameter_unit(r.name) for r in config.parameters},
        "evaluator": spec, "status": "running", "error": None,
    })
    run = store.start_run({"computed_chunks": len(todo), "skipped_chunks": len(done),
                           "recomputed_chunks": {str(k): v for k, v in sorted(damaged.items())},
                           "executor": kind if isinstance(kind, str) else type(kind).__name__,
                           "workers": workers, **({"executor_note": auto_note} if auto_note else {})})
    units_eval = dict(getattr(evaluator, "units", {}) or {})
    meta = {"fingerprint": fingerprint, "parameters": list(config.parameter_names)}
    bar = _progress_bar(sampler.n_chunks, len(done), progress)

    target = ChunkTarget(chunk_dir=str(store.chunk_dir), units_eval=units_eval, meta=meta)

    def task(i: int, local: bool) -> tuple[Callable, tuple]:
        """The worker call for chunk i: compute and write (local workers) or compute and return the columns."""
        if local:
            return compute_chunk, (evaluator, config.base, sampler.chunk(i), config.y1_over_y2, i,
                                   sampler.indices(i), target)
        return evaluate_chunk, (evaluator, config.base, sampler.chunk(i), config.y1_over_y2)

    # map.parquet is written while the chunks run: each committed chunk is verified and appended as soon as
    # all chunks before it are in (TableCombiner), instead of re-reading every chunk after the last one
    combiner = TableCombiner(store, sampler.n_chunks, expected)

    def finish(i: int, result: ChunkWritten | dict[str, np.ndarray]) -> None:
        if isinstance(result, ChunkWritten):
            store.commit_chunk(result)
        else:
            columns, units = _chunk_columns(sampler.indices(i), sampler.chunk(i), result, units_eval)
            store.write_chunk(i, columns, units, meta)
        combiner.offer(i)
        if bar is not None:
            bar.update(1)

    timing: dict[str, float] = {}

    def prepare(ex: Executor | None) -> None:
        if hasattr(evaluator, "prepare"):
            t = time.perf_counter()
            evaluator.prepare(config.base, config, executor=ex)
            timing["prepare_s"] = round(time.perf_counter() - t, 3)
            store.write_manifest({"prepare_s": timing["prepare_s"]})
            store.update_run(run, dict(timing))

    try:
        for i in sorted(done):  # chunks kept from an earlier run
            combiner.offer(i)
        if todo:
            if isinstance(executor, Executor):
                prepare(executor)
                _run_parallel(executor, todo, task, finish, max_in_flight or max(2 * workers, 2),
                              _writes_locally(executor))
            else:
                with make_executor(kind, workers, config.dask_address) as ex:
                    prepare(ex)
                    if ex is None:
                        for i in todo:
                            fn, args = task(i, True)
                            finish(i, fn(*args))
                    else:
                        _run_parallel(ex, todo, task, finish, max_in_flight or max(2 * workers, 2),
                                      _writes_locally(ex))
        table_path = combiner.close()
    except BaseException as exc:
        combiner.abort()
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        message = " ".join(str(exc).split())[:500] or type(exc).__name__
        try:
            store.write_manifest({"status": status, "error": message})
            store.update_run(run, {"status": status, "error": message,
                                   "scan_s": round(time.perf_counter() - t0, 3)})
        except Exception:  # noqa: BLE001 - never mask the original error
            pass
        raise
    finally:
        if bar is not None:
            bar.close()
    import pyarrow.parquet as pq

    schema = pq.read_schema(table_path)
    elapsed = time.perf_counter() - t0
    store.write_manifest({
        "status": "complete", "table": table_path.name,
        "columns": {f.name: (f.metadata or {}).get(b"unit", b"").decode() for f in schema},
    })
    store.update_run(run, {"status": "complete", "scan_s": round(elapsed, 3)})
    return ScanResult(
        out_dir=store.dir, table_path=table_path, n_points=sampler.n_points, n_chunks=sampler.n_chunks,
        computed_chunks=len(todo), skipped_chunks=len(done), elapsed_s=elapsed,
        recomputed_chunks=tuple(sorted(damaged)),
    )


def _run_parallel(ex: Executor, todo: list[int], task: Callable[[int, bool], tuple[Callable, tuple]],
                  finish: Callable[[int, Any], None], limit: int, local: bool) -> None:
    """Submit chunks with at most ``limit`` in flight; finish each (commit its file, or write the returned
    columns) as it completes. On the first error, cancel what has not started, let running chunks finish
    (and keep them), then re-raise."""
    pending: dict[Future, int] = {}
    queue = list(todo)
    error: BaseException | None = None
    try:
        while queue or pending:
            while queue and len(pending) < limit and error is None:
                i = queue.pop(0)
                fn, args = task(i, local)
                pending[ex.submit(fn, *args)] = i
            if not pending:
                break
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in finished:
                i = pending.pop(fut)
                if fut.cancelled():
                    continue
                exc = fut.exception()
                if exc is not None:
                    if error is None:
                        error = exc
                        queue.clear()
                        for other in pending:
                            other.cancel()
                    continue
                finish(i, fut.result())
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise
    if error is not None:
        raise error
