"""``lqmodel map``: listing, built-in configs, and one-line errors for bad input (exit status 2)."""
from __future__ import annotations

import numpy as np
import pytest

from lqmodel.cli import main
from lqmodel.scan.benchmarks import DEFAULT, list_map_benchmarks, map_benchmark


def _run(capsys, *argv):
    code = main(["map", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_benchmarks(capsys):
    code, out, err = _run(capsys, "--list-benchmarks")
    assert code == 0 and err == ""
    lines = out.strip().splitlines()
    assert any(line.startswith(f"{DEFAULT}  (default):") for line in lines)
    names = [line.split(":")[0].split()[0] for line in lines]
    assert names == list_map_benchmarks()
    # the minimum: the Voloshin pair at 1 and 2 TeV in (y1, y2), and the (m_LQ, y1*y2) plane
    assert {"voloshin_1TeV_y1y2", "voloshin_2TeV_y1y2", "voloshin_mLQ_y1y2"} <= set(names)


@pytest.mark.parametrize("name", ["default", "voloshin_1TeV_y1y2", "voloshin_2TeV_y1y2", "voloshin_mLQ_y1y2"])
def test_builtin_configs_are_valid_and_use_real_benchmark_points(name):
    from lqmodel.evaluate import PointEvaluator, resolve_base

    cfg = map_benchmark(name)
    point = resolve_base(cfg.base)
    assert point.model == "voloshin" and point.lepton == "mu"
    PointEvaluator.from_options(cfg.evaluation)
    assert cfg.plot["x"] in cfg.parameter_names and cfg.plot["y"] in cfg.parameter_names


@pytest.mark.parametrize(
    "text, message",
    [
        ("base: BP2\nparameters:\n  y1: {min: 0.1, max: 1.0, n: 3\n", "malformed YAML"),
        ("base: BP2\nparameters:\n  yy1: {min: 0.1, max: 1.0, n: 3}\n", "unknown scan parameter 'yy1'"),
        ("base: BP2\nparameters:\n  m_LQ: {min: -1000.0, max: 2000.0, n: 3}\n", "is a mass"),
        ("base: BP3\nparameters:\n  y1: {min: 0.1, max: 1.0, n: 3}\n", "BP3"),
        ("base: BP2\nparameters:\n  y1: {min: 0.1, max: 1.0, n: 3}\nevaluation: {colour: red}\n",
         "unknown evaluation option 'colour'"),
        ("base: BP2\nparameters:\n  m_LQ: {min: 500, max: 2000}\nsampling: lhs\nn_samples: 100\n"
         "evaluation: {masses: exact}\n", "use masses: interpolated or auto"),
        ("base: BP2\nparameters:\n  m_LQ: {min: 500, max: 2000, n: 65}\nevaluation: {masses: exact}\n",
         "65 grid leptoquark masses with evaluation.masses: exact"),
        ("base: BP2\nparameters:\n  y1: {min: 0.1, max: 1.0, n: 3}\nevaluation: {masses: nearest}\n",
         "evaluation.masses must be one of"),
    ],
)
def test_bad_configs_exit_2_with_one_line(tmp_path, capsys, text, message):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    code, _out, err = _run(capsys, str(cfg), "--out", str(tmp_path / "out"))
    assert code == 2
    assert err.startswith("lqmodel map: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing is created for a config that cannot run


def test_usage_errors(tmp_path, capsys):
    code, _, err = _run(capsys, "--benchmark", "default")
    assert code == 2 and "--out DIR is required" in err
    code, _, err = _run(capsys, "--out", str(tmp_path))
    assert code == 2 and "give either a CONFIG file or --benchmark NAME" in err
    code, _, err = _run(capsys, "--benchmark", "voloshin_1TeV", "--out", str(tmp_path / "o"))
    assert code == 2 and "unknown map benchmark 'voloshin_1TeV'" in err and "did you mean" in err


@pytest.mark.flavio
@pytest.mark.slow
@pytest.mark.dask
def test_small_map_end_to_end_resume_and_executors(tmp_path, capsys):
    """The whole pipeline on a 4x3 grid (one flavour observable to keep the surrogate build short):
    files, units, resume, and identical tables from serial, process (spawn) and dask executors."""
    pytest.importorskip("dask.distributed")
    import json

    import pyarrow.parquet as pq

    from lqmodel.scan import read_units, tables_identical

    cfg = tmp_path / "small.yaml"
    cfg.write_text(
        "title: small test map\n"
        "base: BP2\n"
        "parameters:\n"
        "  y1: {min: 0.01, max: 1.0, n: 4, scale: log}\n"
        "  y2: {min: 0.1, max: 2.0, n: 3, scale: log}\n"
        "chunk_size: 5\nexecutor: serial\n"
        "evaluation: {observables: [Delta_a_mu]}\n"
    )
    out = tmp_path / "out"
    code, stdout, err = _run(capsys, str(cfg), "--out", str(out))
    assert code == 0, err
    assert "12 points in 3 chunks" in stdout
    for name in ("map.parquet", "map.png", "map.pdf", "config.yaml", "manifest.json"):
        assert (out / name).stat().st_size > 0, name
    t = pq.read_table(out / "map.parquet").to_pandas()
    assert len(t) == 12
    units = read_units(out / "map.parquet")
    assert units["mu_mu_N1_muB"] == "mu_B" and units["xenon1t_low_muB"] == "mu_B" and units["y1"] == "1"
    # mu grows with y1*y2 along the grid; the verdict column agrees with the flags
    prod = (t["y1"] * t["y2"]).to_numpy()
    order = np.argsort(prod)
    assert np.all(np.diff(t["mu_mu_N1_muB"].to_numpy()[order]) > 0)
    assert ((t["verdict"] == "viable") == t["viable"]).all()
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    from lqmodel.scan import load_config

    stored = load_config(out / "config.yaml")  # the benchmark point itself is recorded, not only its name
    assert stored.base["label"] == "BP2" and stored.base["y2"] == 1.0 and stored.base["m_S1"] == 1000.0
    before = pq.read_table(out / "map.parquet")
    code, stdout, _ = _run(capsys, str(cfg), "--out", str(out), "--no-plot")
    assert code == 0 and "3 chunks resumed from disk" in stdout
    assert tables_identical(pq.read_table(out / "map.parquet"), before)
    # the same map through spawned local processes and through a real local dask cluster
    for executor in ("process", "dask"):
        other = tmp_path / executor
        code, _, err = _run(capsys, str(cfg), "--out", str(other), "--executor", executor, "--no-plot")
        assert code == 0, err
        assert tables_identical(pq.read_table(other / "map.parquet"), before), executor


def test_plot_warm_up_only_beside_process_workers():
    """lqmodel map warms the plotting stack in a background thread only when local workers compute the
    chunks (a serial scan would compete with it for the interpreter); the warm-up builds mathtext's grammar."""
    from lqmodel.plotting.scan_map import _warm_plotting_during
    from lqmodel.scan import ScanConfig

    def cfg(executor, n):
        return ScanConfig.from_dict({"base": "BP2", "executor": executor, "chunk_size": 1000,
                                     "parameters": {"m_LQ": {"min": 1000.0, "max": 3000.0, "n": n},
                                                    "y1y2": {"min": 1e-3, "max": 1.0, "n": 1000}}})

    assert _warm_plotting_during(cfg("serial", 500)) is None
    assert _warm_plotting_during(cfg("process", 2)) is None  # 2000 points: the run itself goes serial
    thread = _warm_plotting_during(cfg("process", 500))
    assert thread is not None
    thread.join(timeout=120)
    assert not thread.is_alive()
    from matplotlib.mathtext import MathTextParser

    assert MathTextParser._parser is not None  # the grammar was built by the warm-up (or an earlier plot)
