"""``lqmodel point --collider``: the JSON contract of issue 9, the text output, the benchmarks' LHC verdict,
the API facade (``import lqmodel; lqmodel.collider``) and the scan columns."""
from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

import lqmodel
from lqmodel.cli import main

FIELDS = ("S1", "R2t(2/3)", "R2t(-1/3)")


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_contract_bp2(capsys, tmp_path):
    with resources.as_file(resources.files("lqmodel").joinpath("data/points/bp2.yaml")) as f:
        code, out, _ = run(capsys, "point", str(f), "--json", "--collider")
    assert code == 0
    d = json.loads(out)
    for key in ("mu_nu_muB", "m_nuN_GeV", "inputs", "units"):  # existing keys kept
        assert key in d
    assert set(d["widths_GeV"]) == set(FIELDS) and set(d["branching_ratios"]) == set(FIELDS)
    assert d["widths_GeV"]["S1"] > 0
    for f in FIELDS:
        assert sum(d["branching_ratios"][f].values()) == pytest.approx(1.0, rel=1e-12)
        pp = d["pair_production"][f]
        assert isinstance(pp["excluded"], bool) and pp["m_limit_GeV"] > 1000.0
    assert "t mu" in d["branching_ratios"]["S1"] and "b nu" in d["branching_ratios"]["S1"]
    assert "t N1" in d["branching_ratios"]["R2t(2/3)"] and "b N1" in d["branching_ratios"]["R2t(-1/3)"]
    # BP2 (1 TeV) is below the LHC limits: S1 -> t mu (B ~ 0.48), R2~ -> t N / b N (B ~ 1)
    assert d["excluded"] is True
    assert d["pair_production"]["S1"]["channel"] == "t mu"
    assert isinstance(d["drell_yan"], dict)
    assert d["collider_verdict"].startswith("excluded by LHC pair production")


def test_2tev_same_couplings_not_excluded(capsys, tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("model: voloshin\nlepton: mu\nm_LQ: 2000\ny1: 0.05\ny2: 1.0\n")
    code, out, _ = run(capsys, "point", str(p), "--json", "--collider")
    d = json.loads(out)
    assert code == 0
    assert not any(v["excluded"] for v in d["pair_production"].values())
    assert d["collider_verdict"].startswith("not excluded")


def test_no_collider_coupling_prints_the_object(capsys, tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("m_S1: 1000\nm_R2: 1000\n")
    code, out, _ = run(capsys, "point", str(p), "--json", "--collider")
    d = json.loads(out)
    assert code == 0 and d["excluded"] is False
    assert d["widths_GeV"] == dict.fromkeys(FIELDS, 0.0)
    assert all(v["channel"] is None for v in d["pair_production"].values())


def test_benchmark_text_output_says_what_the_lhc_says(capsys):
    code, out, _ = run(capsys, "point", "--benchmark", "BP2")
    assert code == 0 and "LHC: excluded by LHC pair production" in out
    code, out, _ = run(capsys, "point", "--benchmark", "Voloshin_2TeV", "--collider")
    assert code == 0 and "LHC: not excluded" in out and "Gamma/m" in out


def test_api_facade():
    s = lqmodel.collider.collider_summary(lqmodel.voloshin(1000.0, 0.05, 1.0, "mu"))
    assert s["excluded"] is True
    with pytest.raises(ValueError, match="scalar point"):
        lqmodel.collider.collider_summary(lqmodel.vary(lqmodel.voloshin(1000.0, 0.05, 1.0, "mu"),
                                                       {"m_LQ": np.array([1e3, 2e3])}))


def test_scan_columns_match_summary():
    from lqmodel.collider.summary import collider_columns, column_units

    base = lqmodel.voloshin(1000.0, 0.05, 1.0, "mu")
    masses = np.array([1000.0, 1500.0, 2000.0, 4000.0])
    cols = collider_columns(lqmodel.vary(base, {"m_LQ": masses}))
    assert set(cols) == set(column_units())
    assert cols["excluded_pair"].tolist() == [True, False, False, False]
    for k, m in enumerate(masses):
        s = lqmodel.collider.collider_summary(lqmodel.vary(base, {"m_LQ": m}))
        assert cols["width_S1_GeV"][k] == pytest.approx(s["widths_GeV"]["S1"], rel=1e-14)
        assert cols["m_limit_pair_S1_GeV"][k] == pytest.approx(s["pair_production"]["S1"]["m_limit_GeV"], rel=1e-14)
        assert bool(cols["excluded_pair_S1"][k]) == s["pair_production"]["S1"]["excluded"]


def test_evaluator_columns_and_verdict():
    from lqmodel.errors import InputError
    from lqmodel.evaluate import PointEvaluator

    base = {"model": "voloshin", "m_S1": 1000.0, "m_R2": 1000.0, "y1": 0.05, "y2": 1.0, "lepton": "mu", "m_b": 4.18}
    ev = PointEvaluator(observables=None, neutrino=False)
    cols = ev(base, {"m_LQ": np.array([1000.0, 1250.0, 2000.0])})
    assert set(cols) <= set(ev.units) and ev.units["width_S1_GeV"] == "GeV" and ev.units["m_limit_pair_S1_GeV"] == "GeV"
    assert cols["excluded_pair"].tolist() == [True, True, False]
    assert cols["viable"].tolist() == [False, False, True]
    assert "LHC pair production" in cols["verdict"][0] and cols["verdict"][2] == "viable"
    assert cols["BR_S1_t_mu"][0] == pytest.approx(0.4834, abs=1e-3)
    off = PointEvaluator(observables=None, neutrino=False, collider=False)
    assert "excluded_pair" not in off(base, {"m_LQ": np.array([1000.0])}) and "excluded_pair" not in off.units
    assert PointEvaluator.from_options({"collider": False}).collider is False
    with pytest.raises(InputError, match="collider must be true or false"):
        PointEvaluator.from_options({"collider": "yes"})


def test_map_has_lhc_layer(tmp_path):
    pd = pytest.importorskip("pandas")
    from lqmodel.collider.summary import collider_columns
    from lqmodel.plotting.maps import plot_map

    base = lqmodel.voloshin(1000.0, 0.05, 1.0, "mu")
    M, Y = np.meshgrid(np.geomspace(1000.0, 3000.0, 12), np.geomspace(0.05, 1.5, 10), indexing="ij")
    cols = collider_columns(lqmodel.vary(base, {"m_LQ": M.ravel(), "y2": Y.ravel()}))
    df = pd.DataFrame({"m_LQ": M.ravel(), "y2": Y.ravel(), **cols})
    assert df["excluded_pair"].any() and (~df["excluded_pair"]).any()
    # the margin field agrees with the boolean verdict
    assert ((df["pair_margin"] > 0) == df["excluded_pair"]).all()
    fig = plot_map(df, "m_LQ", "y2", out=tmp_path / "lhc")
    labels = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert "LHC (pair production) excl." in labels
    assert (tmp_path / "lhc.png").stat().st_size > 10_000
    # a plane where nothing is excluded says so
    df2 = df[df["m_LQ"] > 1500.0]
    fig2 = plot_map(df2, "m_LQ", "y2")
    labels2 = [t.get_text() for leg in fig2.legends for t in leg.get_texts()]
    assert "no exclusion here: LHC (pair production)" in labels2


@pytest.mark.parametrize("name", ["voloshin_mLQ1to5TeV_y1y2", "voloshin_2to3TeV_y1y2"])
def test_new_builtin_maps_are_valid(name):
    from lqmodel.evaluate import PointEvaluator, resolve_base
    from lqmodel.scan.benchmarks import list_map_benchmarks, map_benchmark

    assert name in list_map_benchmarks()
    cfg = map_benchmark(name)
    point = resolve_base(cfg.base)
    assert point.model == "voloshin" and point.lepton == "mu"
    ev = PointEvaluator.from_options(cfg.evaluation)
    assert ev.collider is True
    assert cfg.plot["x"] in cfg.parameter_names and cfg.plot["y"] in cfg.parameter_names
