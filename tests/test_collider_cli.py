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
    assert d["widths_GeV"] == {f: 0.0 for f in FIELDS}
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
