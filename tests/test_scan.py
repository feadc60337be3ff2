"""The scan engine (lqmodel.scan): sampling, determinism, Parquet units, resume, executors, bad configs.

The evaluators here are small analytic functions defined in this module (top level, so spawned
processes and dask workers can import them); the references are independent closed forms evaluated in
the test (numpy), the definition of a Latin hypercube, and an uninterrupted run of the same scan.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from lqmodel.scan import (
    ScanConfig,
    ScanConfigError,
    ScanMismatchError,
    load_config,
    read_units,
    run_scan,
)

BASE = {"model": "voloshin", "m_S1": 1000.0, "m_R2": 1000.0, "y1": 0.1, "y2": 0.5, "lepton": "mu"}


# ---- toy evaluators (top level: picklable by reference) ----------------------------------------------
def toy(base, a):
    """f = y1 * y2 / m_LQ^2 [GeV^-2] and a flag; the base point supplies defaults."""
    y1 = a.get("y1", base["y1"])
    y2 = a.get("y2", base["y2"])
    m = a.get("m_LQ", base["m_S1"])
    y1, y2, m = np.broadcast_arrays(y1, y2, m)
    f = y1 * y2 / m**2
    return {"f_GeVm2": f, "big": f > 1e-7}


toy.units = {"f_GeVm2": "GeV^-2", "big": ""}


class FailingToy:
    """Same table as ``toy`` (same fingerprint), but raises on points with y1 above ``fail_above``:
    the 'interrupted first run'."""

    units = toy.units

    def __init__(self, fail_above):
        self.fail_above = fail_above

    def spec(self):
        return {"callable": f"{toy.__module__}.{toy.__qualname__}"}

    def __call__(self, base, a):
        if np.any(np.asarray(a["y1"]) > self.fail_above):
            raise RuntimeError("simulated crash")
        return toy(base, a)


class SlowToy:
    """``toy`` with a delay per chunk (for the kill -9 test); same fingerprint as ``toy``."""

    units = toy.units

    def spec(self):
        return {"callable": f"{toy.__module__}.{toy.__qualname__}"}

    def __call__(self, base, a):
        time.sleep(0.25)
        return toy(base, a)


def _cfg(**over):
    d = {
        "base": BASE,
        "parameters": {"y1": {"min": 0.01, "max": 1.0, "n": 7, "scale": "log"},
                       "m_LQ": {"min": 500.0, "max": 3000.0, "n": 5}},
        "chunk_size": 4,
        "executor": "serial",
    }
    d.update(over)
    return ScanConfig.from_dict(d)


def _table(path):
    return pq.read_table(Path(path) / "map.parquet")


# ---- sampling ----------------------------------------------------------------------------------------
def test_grid_values_and_order(tmp_path):
    res = run_scan(_cfg(), tmp_path / "a", toy)
    t = res.table().to_pandas()
    assert res.n_points == 35 and res.n_chunks == 9 and len(t) == 35
    y1 = np.logspace(-2, 0, 7)
    m = np.linspace(500.0, 3000.0, 5)
    Y1, M = np.meshgrid(y1, m, indexing="ij")  # last parameter fastest
    np.testing.assert_allclose(t["y1"], Y1.ravel(), rtol=1e-15)
    np.testing.assert_allclose(t["m_LQ"], M.ravel(), rtol=1e-15)
    np.testing.assert_array_equal(t["point"], np.arange(35))
    # evaluator columns: the closed form, independently
    np.testing.assert_allclose(t["f_GeVm2"], Y1.ravel() * 0.5 / M.ravel() ** 2, rtol=1e-15)


@pytest.mark.parametrize("sampling", ["random", "lhs"])
def test_random_and_lhs_are_deterministic_for_a_seed(tmp_path, sampling):
    kw = dict(sampling=sampling, n_samples=50, seed=7,
              parameters={"y1": {"min": 0.01, "max": 1.0, "scale": "log"}, "m_LQ": {"min": 500.0, "max": 3000.0}})
    a = run_scan(_cfg(**kw), tmp_path / "a", toy).table()
    b = run_scan(_cfg(**kw), tmp_path / "b", toy).table()
    c = run_scan(_cfg(**{**kw, "seed": 8}), tmp_path / "c", toy).table()
    assert a.equals(b)
    assert not np.array_equal(a["y1"].to_numpy(), c["y1"].to_numpy())
    y1, m = a["y1"].to_numpy(), a["m_LQ"].to_numpy()
    assert np.all((y1 >= 0.01) & (y1 <= 1.0)) and np.all((m >= 500) & (m <= 3000))
    if sampling == "lhs":
        # definition of a Latin hypercube: each of the n equal strata of each axis holds exactly one point
        for u in (np.log10(y1 / 0.01) / 2.0, (m - 500.0) / 2500.0):
            assert sorted(np.floor(u * 50).astype(int)) == list(range(50))


def test_M_N_keV_parameter():
    from lqmodel.scan.config import parameter_unit, to_assignments

    assert parameter_unit("M_N_keV") == "keV"
    np.testing.assert_allclose(to_assignments({"M_N_keV": np.array([0.0, 50.0])})["M_N"], [0.0, 5e-5], rtol=1e-15)


def test_y1y2_product_parameter(tmp_path):
    cfg = _cfg(parameters={"y1y2": {"values": [0.01, 0.04]}, "m_LQ": {"values": [1000.0]}}, y1_over_y2=4.0)
    t = run_scan(cfg, tmp_path / "p", toy).table().to_pandas()
    # y1 = sqrt(4 p), y2 = sqrt(p / 4): the toy sees the product p / m^2
    np.testing.assert_allclose(t["f_GeVm2"], np.array([0.01, 0.04]) / 1000.0**2, rtol=1e-15)


# ---- Parquet metadata ----------------------------------------------------------------------------
def test_parquet_schema_has_units_and_folder_has_config_and_manifest(tmp_path):
    res = run_scan(_cfg(), tmp_path / "a", toy)
    units = read_units(res.table_path)
    assert units == {"point": "", "y1": "1", "m_LQ": "GeV", "f_GeVm2": "GeV^-2", "big": ""}
    schema = pq.read_schema(res.table_path)
    assert schema.field("m_LQ").metadata[b"unit"] == b"GeV"
    cfg_back = load_config(tmp_path / "a" / "config.yaml")
    assert cfg_back == _cfg()
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["n_points"] == 35
    assert manifest["versions"]["numpy"] == np.__version__
    assert manifest["columns"]["m_LQ"] == "GeV"


# ---- resume --------------------------------------------------------------------------------------
def test_interrupted_scan_resumes_to_the_identical_table(tmp_path):
    ref = run_scan(_cfg(), tmp_path / "ref", toy).table()
    out = tmp_path / "resumed"
    # first run crashes at y1 = 10^(-2 + 2*4/6) (grid row 4, i.e. point 20, chunk 5)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_scan(_cfg(), out, FailingToy(fail_above=0.2))
    chunks = sorted(p.name for p in (out / "chunks").iterdir())
    assert chunks == [f"chunk-{i:06d}.parquet" for i in range(5)]
    assert not (out / "map.parquet").exists()
    # a partially written chunk left by a killed writer must not count
    (out / "chunks" / ".chunk-000005.parquet.abc.tmp").write_bytes(b"PAR1 garbage")
    res = run_scan(_cfg(), out, toy)
    assert (res.skipped_chunks, res.computed_chunks) == (5, 4)
    assert res.table().equals(ref)
    assert not any(p.name.endswith(".tmp") for p in (out / "chunks").iterdir())
    # a third run has nothing to do and gives the same table
    again = run_scan(_cfg(), out, toy)
    assert again.computed_chunks == 0 and again.table().equals(ref)


def test_kill_minus_nine_then_resume(tmp_path):
    """A real abrupt interruption: a subprocess running the scan is SIGKILLed mid-way."""
    out = tmp_path / "killed"
    cfg = _cfg().to_dict()
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_scan import SlowToy
        from lqmodel.scan import run_scan
        run_scan({cfg!r}, {str(out)!r}, SlowToy(), executor="serial", progress=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (out / "chunks").exists() and len(list((out / "chunks").glob("chunk-*.parquet"))) >= 3:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    n_before = len(list((out / "chunks").glob("chunk-*.parquet")))
    assert 3 <= n_before < 9
    res = run_scan(_cfg(), out, toy)
    assert res.skipped_chunks == n_before
    assert res.table().equals(run_scan(_cfg(), tmp_path / "ref", toy).table())


def test_other_config_in_same_folder_is_refused(tmp_path):
    run_scan(_cfg(), tmp_path / "a", toy)
    with pytest.raises(ScanMismatchError, match="holds a different scan") as exc:
        run_scan(_cfg(seed=3), tmp_path / "a", toy)
    assert "\n" not in str(exc.value)
    # a different evaluator is a different scan too
    with pytest.raises(ScanMismatchError):
        run_scan(_cfg(), tmp_path / "a", FailingToy.__call__)
    # the executor is not part of the scan's identity: resuming elsewhere is allowed
    assert run_scan(_cfg(executor="process"), tmp_path / "a", toy).computed_chunks == 0


# ---- executors -----------------------------------------------------------------------------------
def test_process_pool_gives_the_serial_table(tmp_path):
    serial = run_scan(_cfg(), tmp_path / "s", toy).table()
    par = run_scan(_cfg(executor="process", workers=2), tmp_path / "p", toy, executor="process").table()
    assert par.equals(serial)


def test_user_executor_and_error_propagation(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as ex:
        t = run_scan(_cfg(), tmp_path / "t", toy, executor=ex).table()
        assert t.equals(run_scan(_cfg(), tmp_path / "s", toy).table())
        with pytest.raises(RuntimeError, match="simulated crash"):
            run_scan(_cfg(), tmp_path / "f", FailingToy(fail_above=0.2), executor=ex)


@pytest.mark.dask
def test_dask_local_cluster_gives_the_local_table(tmp_path):
    pytest.importorskip("dask.distributed")
    local = run_scan(_cfg(executor="process"), tmp_path / "local", toy).table()
    dask_t = run_scan(_cfg(executor="dask", workers=2), tmp_path / "dask", toy).table()
    assert dask_t.equals(local)


def test_progress_bar_is_off_when_stderr_is_not_a_terminal(tmp_path, capsys):
    run_scan(_cfg(), tmp_path / "a", toy)
    assert capsys.readouterr().err == ""


# ---- bad configurations ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "over, match",
    [
        ({"parameters": {"y_3": {"min": 0, "max": 1, "n": 2}}}, "unknown scan parameter 'y_3'"),
        ({"parameters": {"m_lq": {"min": 1, "max": 2, "n": 2}}}, "did you mean 'm_LQ'"),
        ({"parameters": {"y_LL[3,1]": {"min": 0, "max": 1, "n": 2}}}, "0-based indices 0..2"),
        ({"parameters": {"m_LQ": {"min": -100.0, "max": 2000.0, "n": 3}}}, "is a mass: its range must be positive"),
        ({"parameters": {"M_N": {"min": -1e-6, "max": 1e-4, "n": 3}}}, "must be non-negative"),
        ({"parameters": {"y1": {"min": 0.0, "max": 1.0, "n": 3, "scale": "log"}}}, "log scale needs a positive"),
        ({"parameters": {"y1": {"min": 1.0, "max": 0.5, "n": 3}}}, "need min < max"),
        ({"parameters": {"y1": {"min": 0.1, "max": 1.0}}}, "grid sampling needs 'n'"),
        ({"sampling": "sobol"}, "sampling must be one of"),
        ({"sampling": "random"}, "needs a positive integer n_samples"),
        ({"executor": "mpi"}, "executor must be one of"),
        ({"chunk_sise": 10}, "did you mean 'chunk_size'"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_bad_configs_give_one_line_errors(over, match):
    d = {"base": BASE, "parameters": {"y1": {"min": 0.1, "max": 1.0, "n": 3}}, **over}
    with pytest.raises(ScanConfigError, match=match) as exc:
        ScanConfig.from_dict(d)
    assert "\n" not in str(exc.value)


def test_malformed_yaml_is_one_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("base: voloshin\nparameters:\n  y1: {min: 0.1, max: 1.0, n: 3\n  y2: [\n")
    with pytest.raises(ScanConfigError, match=r"malformed YAML in .*bad.yaml.* at line \d+") as exc:
        load_config(p)
    assert "\n" not in str(exc.value)
    with pytest.raises(ScanConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")


def test_nonempty_foreign_folder_is_refused(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "thesis.tex").write_text("precious")
    with pytest.raises(ScanMismatchError, match="not empty"):
        run_scan(_cfg(), tmp_path / "x", toy)


def test_progress_bar_when_asked(tmp_path, capsys):
    run_scan(_cfg(), tmp_path / "a", toy, progress=True)
    err = capsys.readouterr().err
    assert "lqmodel scan" in err and "9/9" in err
