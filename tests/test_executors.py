"""Executors of a scan (issue 10 goal 6): workers write their own chunks, the run holding the folder lock
records them; a config's "process" runs serially on small maps; the table never depends on the executor.

References: the serial run of the same scan (compared with :func:`lqmodel.scan.tables_identical`), the
SHA-256 of the bytes on disk (hashlib, computed here), and the closed form of the toy evaluator.
"""
from __future__ import annotations

import hashlib
import json
import pickle
import sys
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from lqmodel.errors import InputError, ScanFolderError
from lqmodel.scan import ScanConfig, run_scan, tables_identical
from lqmodel.scan.executors import SERIAL_BELOW_POINTS, choose_executor
from lqmodel.scan.runner import ChunkTarget, compute_chunk
from lqmodel.scan.storage import ChunkWritten, ScanStore

BASE = {"model": "voloshin", "m_S1": 1000.0, "m_R2": 1000.0, "y1": 0.1, "y2": 0.5, "lepton": "mu"}
LABELS = ("small", "medium f", "large f; flagged")


def toy(base, a):
    """f = y1 y2 / m^2 [GeV^-2], a flag and a label column (object array of shared str, as PointEvaluator's)."""
    y1 = a.get("y1", base["y1"])
    m = a.get("m_LQ", base["m_S1"])
    y1, m = np.broadcast_arrays(y1, m)
    f = y1 * base["y2"] / m**2
    labels = np.array(LABELS, dtype=object)
    return {"f_GeVm2": f, "big": f > 1e-7, "label": labels[np.digitize(f, [1e-8, 1e-7])]}


toy.units = {"f_GeVm2": "GeV^-2", "big": "", "label": ""}


def _cfg(**over):
    d = {"base": BASE, "chunk_size": 4, "executor": "serial",
         "parameters": {"y1": {"min": 0.01, "max": 1.0, "n": 7, "scale": "log"},
                        "m_LQ": {"min": 500.0, "max": 3000.0, "n": 5}}}
    d.update(over)
    return ScanConfig.from_dict(d)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    return run_scan(_cfg(), tmp_path_factory.mktemp("serial") / "o", toy).table()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_serial_table_is_the_closed_form(serial):
    t = serial.to_pandas()
    y1, m = t["y1"].to_numpy(), t["m_LQ"].to_numpy()
    f = y1 * BASE["y2"] / m**2
    assert np.allclose(t["f_GeVm2"], f, rtol=1e-15, atol=0)
    expected = np.where(f < 1e-8, LABELS[0], np.where(f < 1e-7, LABELS[1], LABELS[2]))
    assert t["label"].tolist() == expected.tolist()
    assert str(serial.schema.field("label").type) == "string"


@pytest.mark.parametrize("executor", ["process", "thread", "other"])
def test_every_executor_gives_the_serial_table_and_checksummed_chunks(tmp_path, serial, executor):
    """process: spawned workers write their chunks; thread: same, in threads; other: an Executor that is
    neither (stands for a remote dask client), whose workers return the columns to the parent."""

    class Other(Executor):  # delegates; not a Process/ThreadPoolExecutor: the columns come back
        def __init__(self):
            self._inner = ThreadPoolExecutor(2)

        def submit(self, fn, *args, **kwargs):
            return self._inner.submit(fn, *args, **kwargs)

        def shutdown(self, wait=True, **kw):
            self._inner.shutdown(wait=wait)

    out = tmp_path / "o"
    if executor == "process":
        res = run_scan(_cfg(executor="process", workers=2), out, toy, executor="process")
    else:
        with (ThreadPoolExecutor(2) if executor == "thread" else Other()) as ex:
            res = run_scan(_cfg(), out, toy, executor=ex)
    assert tables_identical(res.table(), serial)
    manifest = json.loads((out / "manifest.json").read_text())
    files = sorted((out / "chunks").glob("chunk-*.parquet"))
    assert len(files) == res.n_chunks == 9
    for i, path in enumerate(files):
        rec = manifest["chunks"][str(i)]
        assert rec["sha256"] == _sha(path)
        pts = pq.read_table(path).column("point").to_numpy()
        assert ((rec["first"], rec["last"], rec["count"]) == (pts[0], pts[-1], pts.size)
                == (4 * i, 4 * i + pts.size - 1, pts.size))
    assert not list((out / "chunks").glob(".*.tmp")), "temporary chunk files left behind"


def test_a_worker_returns_a_few_numbers_and_only_the_lock_holder_puts_the_chunk_in_place(tmp_path, serial):
    cfg = _cfg()
    store = ScanStore(tmp_path / "o")
    store.open(cfg.to_dict(), cfg.fingerprint(), {})
    values = {"y1": np.full(1000, 0.5), "m_LQ": np.linspace(500.0, 3000.0, 1000)}
    target = ChunkTarget(chunk_dir=str(store.chunk_dir), units_eval=dict(toy.units),
                         meta={"parameters": ["y1", "m_LQ"]})
    w = compute_chunk(toy, BASE, values, 1.0, 3, np.arange(3000, 4000), target)
    assert isinstance(w, ChunkWritten) and (w.first, w.last, w.count) == (3000, 3999, 1000)
    # what travels back is ~ a path and a hash, not 1000 rows of three columns
    assert len(pickle.dumps(w)) < 600 < len(pickle.dumps(toy(BASE, values)))
    tmp = Path(w.tmp_path)
    assert tmp.parent == store.chunk_dir and tmp.name.startswith(".chunk-000003.parquet.")
    assert hashlib.sha256(tmp.read_bytes()).hexdigest() == w.sha256
    assert not store.chunk_path(3).exists() and "3" not in store.manifest()["chunks"]
    store.commit_chunk(w)
    assert not tmp.exists() and _sha(store.chunk_path(3)) == store.manifest()["chunks"]["3"]["sha256"] == w.sha256
    t = pq.read_table(store.chunk_path(3))
    assert t.column("point").to_pylist() == list(range(3000, 4000))
    assert np.allclose(t.column("f_GeVm2").to_numpy(), 0.5 * BASE["y2"] / values["m_LQ"] ** 2, rtol=1e-15, atol=0)
    # a chunk written anywhere else than the scan's chunk folder is refused
    other = compute_chunk(toy, BASE, values, 1.0, 4, np.arange(4000, 5000),
                          ChunkTarget(chunk_dir=str(tmp_path), units_eval={}, meta={}))
    with pytest.raises(ScanFolderError, match="not to"):
        store.commit_chunk(other)


def test_uncommitted_worker_files_are_removed_by_the_next_run(tmp_path, serial):
    out = tmp_path / "o"
    run_scan(_cfg(), out, toy)
    stray = out / "chunks" / ".chunk-000002.parquet.0123456789ab.tmp"
    stray.write_bytes(b"half a chunk from a killed worker")
    (out / "chunks" / "chunk-000002.parquet").unlink()
    res = run_scan(_cfg(), out, toy)
    assert res.computed_chunks == 1 and not stray.exists()
    assert tables_identical(res.table(), serial)


# ---- automatic serial choice ----------------------------------------------------------------------------
def test_choose_executor(monkeypatch):
    monkeypatch.delenv("LQMODEL_SERIAL_BELOW_POINTS", raising=False)
    assert choose_executor("process", SERIAL_BELOW_POINTS, 10) == ("process", None)
    kind, note = choose_executor("process", SERIAL_BELOW_POINTS - 1, 10)
    assert kind == "serial" and "below" in note
    assert choose_executor("process", 10 * SERIAL_BELOW_POINTS, 1)[0] == "serial"  # one chunk: nothing to share
    for other in ("serial", "dask"):
        assert choose_executor(other, 10, 1) == (other, None)
    monkeypatch.setenv("LQMODEL_SERIAL_BELOW_POINTS", "0")
    assert choose_executor("process", 10, 2) == ("process", None)
    monkeypatch.setenv("LQMODEL_SERIAL_BELOW_POINTS", "many")
    with pytest.raises(InputError, match="LQMODEL_SERIAL_BELOW_POINTS must be an integer"):
        choose_executor("process", 10, 2)


def test_a_small_process_map_runs_serially_and_says_so(tmp_path, serial, monkeypatch):
    monkeypatch.delenv("LQMODEL_SERIAL_BELOW_POINTS", raising=False)
    res = run_scan(_cfg(executor="process", workers=2), tmp_path / "o", toy)
    run = json.loads((tmp_path / "o" / "manifest.json").read_text())["runs"][0]
    assert run["executor"] == "serial" and run["workers"] == 1 and "process -> serial" in run["executor_note"]
    assert tables_identical(res.table(), serial)


def _blas_threads() -> list[int]:
    """OpenBLAS thread counts of this process (numpy's bundled library included)."""
    import ctypes

    import numpy  # noqa: F401

    counts = []
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
        paths = sorted({ln.split()[-1] for ln in fh if "openblas" in ln.lower() and "/" in ln})
    for path in paths:
        lib = ctypes.CDLL(path)
        for symbol in ("openblas_get_num_threads", "openblas_get_num_threads64_",
                       "scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads"):
            if hasattr(lib, symbol):
                counts.append(int(getattr(lib, symbol)()))
                break
    return counts


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="Linux only")
def test_process_workers_run_one_blas_thread():
    from lqmodel.scan.executors import make_executor

    if not _blas_threads():
        pytest.skip("numpy is not linked to OpenBLAS here")
    with make_executor("process", 1) as ex:
        # the worker's own libraries: this process may have loaded more (scipy's OpenBLAS, by earlier tests)
        counts = ex.submit(_blas_threads).result(timeout=120)
    assert counts and counts == [1] * len(counts)


def test_blas_threads_sets_and_restores_the_openblas_thread_count():
    """The serial scan path runs with one OpenBLAS thread and gives the process its count back."""
    import numpy  # noqa: F401 - loads numpy's OpenBLAS

    from lqmodel.scan.executors import _GETTERS, _openblas_libraries, blas_threads

    getters = [g for lib in _openblas_libraries() for name in _GETTERS if (g := getattr(lib, name, None))]
    if not getters:
        pytest.skip("no OpenBLAS with a thread-count getter in this process")
    before = [int(g()) for g in getters]
    with blas_threads(1):
        assert [int(g()) for g in getters] == [1] * len(getters)
    assert [int(g()) for g in getters] == before


_FAULTS_SCRIPT = r"""
import resource, sys
import numpy as np
from lqmodel.scan.executors import tune_allocator
applied = tune_allocator() if sys.argv[1] == "tuned" else None
np.ones(1 << 19).sum()  # 4 MiB: sets glibc's dynamic mmap threshold in the untuned process
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    # ten 4 MiB temporaries alive together, then freed: 40 MiB at the top of the heap, more than glibc's
    # dynamic trim threshold (twice the largest block freed): returned to the OS unless the heap keeps it
    parts = [np.ones(1 << 19) for _ in range(10)]
    del parts
print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc (Linux)")
def test_tune_allocator_keeps_freed_heap():
    """tune_allocator: repeated temporaries of a few MB are served from the kept heap (few page faults)
    instead of fresh pages each time (about 5,000 faults per round of 40 MiB untuned)."""
    import subprocess

    out = {}
    for mode in ("default", "tuned"):
        res = subprocess.run([sys.executable, "-c", _FAULTS_SCRIPT, mode], capture_output=True, text=True,
                             check=True, timeout=120)
        applied, faults = res.stdout.split()
        out[mode] = (applied, int(faults))
    if out["tuned"][0] != "True":
        pytest.skip("not glibc")
    # the untuned allocator faults the 40 MiB (10,240 pages) anew in every round: 0.9-1.1e5 faults in 20
    # rounds on the project machine (fault-around and huge pages let the kernel map some pages together)
    assert out["default"][1] > 20 * 2500
    assert out["tuned"][1] < out["default"][1] / 10
