"""Scan folders that cannot silently change a number (issue 15 items 4-8, 14; issue 11 items 1, 8).

The reference of every damage/interruption case is an undamaged, uninterrupted run of the same scan in
another folder, compared with :func:`lqmodel.scan.tables_identical` (schema with units + values,
NaN == NaN). Evaluators are small closed forms defined here (top level: spawned workers import them).
"""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import psutil
import pyarrow.parquet as pq
import pytest

from lqmodel.errors import LockedError, ResourceLimitError
from lqmodel.scan import ScanConfig, ScanConfigError, ScanMismatchError, run_scan, tables_identical
from lqmodel.scan.executors import effective_workers, usable_cpus
from lqmodel.scan.storage import LOCK_NAME, FolderLock

BASE = {"model": "voloshin", "m_S1": 1000.0, "m_R2": 1000.0, "y1": 0.1, "y2": 0.5, "lepton": "mu"}


def toy(base, a):
    """f = y1 y2 / m^2 [GeV^-2]."""
    y1 = a.get("y1", base["y1"])
    y2 = a.get("y2", base["y2"])
    m = a.get("m_LQ", base["m_S1"])
    y1, y2, m = np.broadcast_arrays(y1, y2, m)
    return {"f_GeVm2": y1 * y2 / m**2}


toy.units = {"f_GeVm2": "GeV^-2"}


class _SameAsToy:
    units = toy.units

    def spec(self):
        return {"callable": f"{toy.__module__}.{toy.__qualname__}"}


class AlwaysFails(_SameAsToy):
    def __call__(self, base, a):
        raise RuntimeError("evaluator bug")


class KillsItsWorker(_SameAsToy):
    """Kills the worker process it runs in on the chunk holding y1 > 0.2 (a worker OOM-killed)."""

    def __call__(self, base, a):
        if np.any(np.asarray(a["y1"]) > 0.2):
            os.kill(os.getpid(), signal.SIGKILL)
        return toy(base, a)


def _cfg(**over):
    d = {"base": BASE, "chunk_size": 4, "executor": "serial",
         "parameters": {"y1": {"min": 0.01, "max": 1.0, "n": 7, "scale": "log"},
                        "m_LQ": {"min": 500.0, "max": 3000.0, "n": 5}}}
    d.update(over)
    return ScanConfig.from_dict(d)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return run_scan(_cfg(), tmp_path_factory.mktemp("ref") / "ref", toy).table()


def _table(out):
    return pq.read_table(Path(out) / "map.parquet")


# ---- item 4: chunks are verified against the manifest ------------------------------------------------
def _damage_copy(chunks):
    (chunks / "chunk-000003.parquet").write_bytes((chunks / "chunk-000001.parquet").read_bytes())


def _damage_flip(chunks):
    p = chunks / "chunk-000002.parquet"
    data = bytearray(p.read_bytes())
    # 8 bytes inside the first column chunk's values (after the 4-byte magic and page header)
    for k in range(8):
        data[60 + k] ^= 0xFF
    p.write_bytes(bytes(data))


def _damage_truncate(chunks):
    p = chunks / "chunk-000004.parquet"
    p.write_bytes(p.read_bytes()[:200])


@pytest.mark.parametrize("damage", [_damage_copy, _damage_flip, _damage_truncate])
def test_damaged_chunks_are_recomputed_and_the_table_is_unchanged(tmp_path, reference, damage):
    """Before: a copied chunk gave duplicated points, flipped bytes wrong values (exit 0), a truncated
    chunk was reported but neither recomputed nor the old map.parquet removed."""
    out = tmp_path / "o"
    run_scan(_cfg(), out, toy)
    damage(out / "chunks")
    res = run_scan(_cfg(), out, toy)
    assert len(res.recomputed_chunks) == 1 and res.computed_chunks == 1
    assert tables_identical(res.table(), reference)
    runs = json.loads((out / "manifest.json").read_text())["runs"]
    assert len(runs) == 2 and list(runs[1]["recomputed_chunks"]) == [str(res.recomputed_chunks[0])]


def test_manifest_records_checksum_and_point_range(tmp_path):
    import hashlib

    out = tmp_path / "o"
    run_scan(_cfg(), out, toy)
    chunks = json.loads((out / "manifest.json").read_text())["chunks"]
    assert sorted(map(int, chunks)) == list(range(9))  # 35 points in chunks of 4
    last = chunks["8"]
    assert (last["first"], last["last"], last["count"]) == (32, 34, 3)
    data = (out / "chunks" / "chunk-000008.parquet").read_bytes()
    assert last["sha256"] == hashlib.sha256(data).hexdigest()


def test_stale_table_is_removed_when_a_chunk_is_damaged(tmp_path, reference):
    out = tmp_path / "o"
    run_scan(_cfg(), out, toy)
    _damage_truncate(out / "chunks")
    with pytest.raises(RuntimeError, match="evaluator bug"):
        run_scan(_cfg(), out, AlwaysFails())  # the recomputation fails ...
    assert not (out / "map.parquet").exists()  # ... and the table built from the old chunk is gone
    assert tables_identical(run_scan(_cfg(), out, toy).table(), reference)


def test_unrecorded_chunk_file_is_not_trusted(tmp_path, reference):
    out = tmp_path / "o"
    run_scan(_cfg(), out, toy)
    m = json.loads((out / "manifest.json").read_text())
    del m["chunks"]["5"]
    (out / "manifest.json").write_text(json.dumps(m))
    res = run_scan(_cfg(), out, toy)
    assert res.recomputed_chunks == (5,) and tables_identical(res.table(), reference)


# ---- item 5: the folder is locked --------------------------------------------------------------------
def test_second_run_into_a_locked_folder_says_who_holds_it(tmp_path):
    out = tmp_path / "o"
    with FolderLock(out), pytest.raises(LockedError, match=rf"in use by another lqmodel run \(pid {os.getpid()} on "):
        run_scan(_cfg(), out, toy)
    assert run_scan(_cfg(), out, toy).computed_chunks == 9  # released: the next run proceeds


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path, reference):
    out = tmp_path / "o"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / LOCK_NAME).write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename, "started": "x"}))
    assert tables_identical(run_scan(_cfg(), out, toy).table(), reference)


def test_cli_second_concurrent_map_exits_2(tmp_path, capsys):
    from lqmodel.cli import main

    cfg = tmp_path / "c.yaml"
    cfg.write_text(CLI_CONFIG)
    out = tmp_path / "o"
    with FolderLock(out):
        code = main(["map", str(cfg), "--out", str(out), "--no-plot"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "in use by another lqmodel run" in err


# ---- items 6, 7: signals, dead parents, dead workers -------------------------------------------------
CLI_CONFIG = """\
base: {model: voloshin, m_LQ: 1000, y1: 0.05, y2: 1.0, lepton: mu}
parameters:
  y1: {min: 0.01, max: 1.0, n: 16, scale: log}
  y2: {min: 0.01, max: 1.0, n: 16, scale: log}
chunk_size: 8
executor: process
workers: 2
evaluation: {observables: null, neutrino: false, collider: false, neutrino_mass: false}
"""


def _start_map(cfg, out):
    # LQMODEL_SERIAL_BELOW_POINTS=0: start the workers although the map is small (the signals tested here
    # are about worker processes; lqmodel.scan.executors.choose_executor would run 256 points serially)
    env = {**os.environ, "LQMODEL_SERIAL_BELOW_POINTS": "0"}
    return subprocess.Popen([sys.executable, "-m", "lqmodel", "map", str(cfg), "--out", str(out), "--no-plot"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_for_chunks(out, n, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "chunks").exists() and len(list((out / "chunks").glob("chunk-*.parquet"))) >= n:
            return True
        time.sleep(0.02)
    return False


def _descendants(pid):
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _all_gone(procs, timeout=10):
    _gone, alive = psutil.wait_procs(procs, timeout=timeout)
    return alive


@pytest.mark.slow
@pytest.mark.parametrize("sig, whom", [(signal.SIGTERM, "parent"), (signal.SIGKILL, "parent"),
                                       (signal.SIGKILL, "worker")])
def test_signal_leaves_no_orphans_and_the_rerun_is_identical(tmp_path, capsys, cli_reference, sig, whom):
    """Before: kill -9 / SIGTERM left the workers and the resource tracker running (12 orphans after four
    kills), and a worker killed mid-scan gave an 18-line BrokenProcessPool traceback. SIGTERM now exits like
    Ctrl-C (status 143, one line, chunks kept); after kill -9 the workers notice their parent is gone and
    exit; a dead worker is one line (exit 2) saying that the rerun resumes."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CLI_CONFIG)
    out = tmp_path / "o"
    proc = _start_map(cfg, out)
    try:
        assert _wait_for_chunks(out, 2, proc), proc.communicate()
        children = _descendants(proc.pid)
        assert children, "the map should run worker processes"
        if whom == "parent":
            os.kill(proc.pid, sig)
        else:  # a worker (not the resource tracker): the processes started by the pool run spawn_main
            workers = [c for c in children if "spawn_main" in " ".join(c.cmdline())]
            assert workers
            workers[0].send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    if sig == signal.SIGTERM:
        assert proc.returncode == 143 and err.count("\n") == 1 and "rerun the same command to resume" in err
        assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    if whom == "worker":
        assert proc.returncode == 2 and err.count("\n") == 1 and "Traceback" not in err, err
        assert "worker process died" in err and "resume" in err
    assert not _all_gone(children), "orphaned worker processes"
    from lqmodel.cli import main

    assert main(["map", str(cfg), "--out", str(out), "--no-plot", "--executor", "serial"]) == 0
    assert "resumed from disk" in capsys.readouterr().out
    assert tables_identical(_table(out), cli_reference)


@pytest.fixture(scope="module")
def cli_reference(tmp_path_factory):
    """The uninterrupted table of CLI_CONFIG."""
    from lqmodel.cli import main

    d = tmp_path_factory.mktemp("cliref")
    (d / "c.yaml").write_text(CLI_CONFIG)
    assert main(["map", str(d / "c.yaml"), "--out", str(d / "o"), "--no-plot", "--executor", "serial"]) == 0
    return _table(d / "o")


def test_dead_worker_then_rerun_resumes(tmp_path, reference):
    """A worker killed mid-scan: BrokenProcessPool (one line in the CLI, tests/test_hardening_inputs.py);
    the chunks written are kept and the rerun gives the uninterrupted table."""
    out = tmp_path / "o"
    with pytest.raises(BrokenProcessPool):
        # executor passed explicitly: used as given (a config's "process" runs serially on a map this small)
        run_scan(_cfg(executor="process", workers=2), out, KillsItsWorker(), executor="process")
    assert json.loads((out / "manifest.json").read_text())["status"] == "failed"
    assert tables_identical(run_scan(_cfg(), out, toy).table(), reference)


# ---- item 8: bounded work ----------------------------------------------------------------------------
@pytest.mark.parametrize("over", [
    {"sampling": "random", "n_samples": 1e9, "parameters": {"y1": {"min": 0.0, "max": 1.0}}},
    {"parameters": {"y1": {"min": 0.1, "max": 1.0, "n": 10**6}, "y2": {"min": 0.1, "max": 1.0, "n": 10**6}}},
    {"parameters": {"y1": {"min": 0.1, "max": 1.0, "n": 10**9}}},
])
def test_huge_scans_are_refused_up_front_with_the_estimate(tmp_path, over):
    """Before: n_samples 1e9 was OOM-killed, a 1e12 grid asked for 7 TiB, a 1e9 grid just started."""
    t = time.perf_counter()
    with pytest.raises(ResourceLimitError, match=r"points \(limit 1e\+07\), needs about .* of memory and .* of "
                                                 r"disk.*allow_large: true.*--force-large"):
        run_scan(_cfg(**over), tmp_path / "o", toy)
    assert time.perf_counter() - t < 2.0 and not (tmp_path / "o").exists()


def test_force_large_is_accepted_and_kept_out_of_the_fingerprint():
    big = _cfg(allow_large=True)
    assert big.allow_large and big.fingerprint() == _cfg().fingerprint()
    with pytest.raises(ScanConfigError, match="allow_large must be true or false"):
        _cfg(allow_large="yes")


def test_workers_are_capped_at_the_usable_cpus(tmp_path, reference):
    cfg = _cfg(executor="process", workers=1000)
    assert effective_workers(cfg, None, 100) == min(1000, usable_cpus())
    assert effective_workers(cfg, None, 1) == 1
    res = run_scan(cfg, tmp_path / "o", toy, executor="process")
    assert json.loads((tmp_path / "o" / "manifest.json").read_text())["runs"][0]["workers"] <= usable_cpus()
    assert tables_identical(res.table(), reference)


def test_integral_float_counts_are_accepted():
    """YAML 1.2 reads n_samples: 1e3 as a float; it is a count of 1000, not an error."""
    cfg = _cfg(sampling="random", n_samples=1e3, parameters={"y1": {"min": 0.0, "max": 1.0}})
    assert cfg.n_samples == 1000 and isinstance(cfg.n_samples, int)
    with pytest.raises(ScanConfigError):
        _cfg(sampling="random", n_samples=10.5, parameters={"y1": {"min": 0.0, "max": 1.0}})


# ---- item 14: failed runs, stale temp files ----------------------------------------------------------
def test_failed_run_does_not_block_the_corrected_rerun(tmp_path, reference):
    out = tmp_path / "o"
    with pytest.raises(RuntimeError, match="evaluator bug"):
        run_scan(_cfg(seed=5), out, AlwaysFails())
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "failed" and "evaluator bug" in m["error"]
    assert tables_identical(run_scan(_cfg(), out, toy).table(), reference)  # another config: taken over
    with pytest.raises(ScanMismatchError):  # but a folder holding results is still protected
        run_scan(_cfg(seed=5), out, toy)


def test_temp_file_left_by_a_killed_combine_is_removed(tmp_path, reference):
    out = tmp_path / "o"
    run_scan(_cfg(), out, toy)
    for name in (".map.parquet.abc123.tmp", ".manifest.json.x.tmp"):
        (out / name).write_bytes(b"PAR1 half")
    (out / "chunks" / ".chunk-000001.parquet.zz.tmp").write_bytes(b"x")
    res = run_scan(_cfg(), out, toy)
    assert sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp")) == []
    assert not list((out / "chunks").glob("*.tmp"))
    assert tables_identical(res.table(), reference)


# ---- issue 11: file modes and manifest history --------------------------------------------------------
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664)])
def test_output_files_respect_the_umask(tmp_path, umask, mode):
    """Before: every output file was 0600 (tempfile.mkstemp), unreadable by collaborators."""
    old = os.umask(umask)
    try:
        out = tmp_path / "o"
        run_scan(_cfg(), out, toy)
    finally:
        os.umask(old)
    files = [out / "map.parquet", out / "manifest.json", out / "config.yaml", out / "chunks" / "chunk-000000.parquet"]
    assert {oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {oct(mode)}


def test_resumed_run_keeps_the_timing_history(tmp_path):
    out = tmp_path / "o"
    with pytest.raises(RuntimeError):
        run_scan(_cfg(), out, AlwaysFails())
    run_scan(_cfg(), out, toy)
    run_scan(_cfg(), out, toy)
    runs = json.loads((out / "manifest.json").read_text())["runs"]
    assert [r["status"] for r in runs] == ["failed", "complete", "complete"]
    assert [r["computed_chunks"] for r in runs] == [9, 9, 0]
    assert all("scan_s" in r and "started" in r and r["pid"] == os.getpid() for r in runs)


# ---- item 14: scans checked like point files ---------------------------------------------------------
def _map_cli(tmp_path, capsys, text):
    from lqmodel.cli import main

    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    code = main(["map", str(cfg), "--out", str(tmp_path / "o"), "--no-plot"])
    return code, capsys.readouterr().err


def test_m_b_scan_under_a_reference_scheme_is_checked_like_a_point_file(tmp_path, capsys):
    text = ("base: {model: voloshin, m_LQ: 1000, y1: 0.05, y2: 1.0, lepton: mu}\n"
            "parameters:\n  m_b: {min: 2.4, max: 4.78, n: 3}\nevaluation: {observables: null}\n")
    code, err = _map_cli(tmp_path, capsys, text)
    assert code == 2 and "does not match the base point's m_b_scheme 'MSbar(mb)'" in err and "custom" in err
    assert not (tmp_path / "o").exists()
    from lqmodel.evaluate import resolve_base
    from lqmodel.scan.config import check_against_base

    cfg = ScanConfig.from_dict({"base": {**BASE, "m_b_scheme": "custom", "m_b": 4.18},
                                "parameters": {"m_b": {"min": 2.4, "max": 4.78, "n": 3}}})
    check_against_base(cfg, resolve_base(cfg.base))  # custom: any m_b


def test_leptoquark_masses_below_m_b_are_refused_before_the_folder(tmp_path, capsys):
    """Before: m_LQ below m_b was accepted and matched without a word."""
    text = ("base: {model: voloshin, m_LQ: 1000, y1: 0.05, y2: 1.0, lepton: mu}\n"
            "parameters:\n  m_LQ: {min: 1.0, max: 1000.0, n: 3}\nevaluation: {observables: null}\n")
    code, err = _map_cli(tmp_path, capsys, text)
    assert code == 2 and err.count("\n") == 1 and "below m_b = 4.18 GeV" in err
    assert not (tmp_path / "o").exists()


def test_perturbativity_warning_fires_once_per_point():
    import warnings

    from lqmodel.point import PerturbativityWarning
    from lqmodel.pointfile import loads_point

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loads_point("model: voloshin\nm_LQ: 1000\ny1: 4.0\ny2: 1.0\nlepton: mu\n")
    perturb = [w for w in caught if issubclass(w.category, PerturbativityWarning)]
    assert len(perturb) == 1 and "ybar_RR, yt_RL" in str(perturb[0].message)
