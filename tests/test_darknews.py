"""DarkNews export (issue 11 §13): ``lqmodel point --darknews PATH`` and :func:`lqmodel.darknews.darknews_kwargs`.

Round trip against DarkNews itself (0.4.8, in the test extras): the exported keyword arguments build a
``DarkNews.model.HNLModel`` whose dipole matrix ``t_aj`` (DarkNews ``model.py``, ``_set_vertices_common``:
``t_aj = 0.5 * mu_tr``) must equal lqmodel's d = mu/2 converted to GeV^-1 with mu_B = e/(2 m_e); and DarkNews's
N -> nu gamma width for that t is compared with lqmodel's (the factor 1/2 found there is recorded in
docs/views_and_interop.md and asserted here, so a change on either side shows up). Without DarkNews these
tests fall back to DarkNews's documented convention: mu_tr in GeV^-1 and t = mu_tr/2.
"""
from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from lqmodel import compute_moments, voloshin
from lqmodel.cli import main
from lqmodel.darknews import darknews_kwargs
from lqmodel.models import voloshin_split
from observables.neutrino.decays import d_from_mu, width_N_to_nu_gamma
from observables.parameters import value


def _darknews():
    with warnings.catch_warnings():  # DarkNews 0.4.8 leaves a data file open at import (ResourceWarning)
        warnings.simplefilter("ignore")
        return pytest.importorskip("DarkNews")


def _mu_B_GeV():
    # independent of lqmodel's helper: e = sqrt(4 pi alpha(0)), m_e from the parameter table
    return math.sqrt(4 * math.pi * value("alpha_0")) / (2 * value("m_e"))


def _point():
    p = voloshin_split(1000.0, 1100.0, 0.05, 1.0, "tau")
    return p.replace(M_N=0.05, N_type="majorana")


def test_keys_units_and_values():
    p = _point()
    d = darknews_kwargs(p)
    kw = d["model_kwargs"]
    assert set(kw) == {"m4", "HNLtype", "mu_tr_e4", "mu_tr_mu4", "mu_tr_tau4"}
    assert kw["m4"] == 0.05 and kw["HNLtype"] == "majorana"
    mu = np.abs(compute_moments(p).mu_muB[:, 0])
    for i, l in enumerate(("e", "mu", "tau")):
        assert kw[f"mu_tr_{l}4"] == pytest.approx(mu[i] * _mu_B_GeV(), rel=1e-14)
    assert kw["mu_tr_tau4"] > 0 and kw["mu_tr_e4"] == 0.0
    # BP2: 2.69314e-11 mu_B (README) = 7.98e-9 GeV^-1
    bp2 = darknews_kwargs(voloshin(1000.0, 0.05, 1.0, "mu"))["model_kwargs"]["mu_tr_mu4"]
    assert bp2 == pytest.approx(2.69314e-11 * _mu_B_GeV(), rel=2e-6)


def test_batched_point_refused():
    from lqmodel import vary

    with pytest.raises(ValueError, match="single point"):
        darknews_kwargs(vary(voloshin(1000.0, 0.05, 1.0, "mu"), {"y1": [0.1, 0.2]}))


def test_round_trip_through_darknews_model():
    dn = _darknews()
    from DarkNews import model as dn_model

    p = _point()
    kw = darknews_kwargs(p)["model_kwargs"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = dn_model.HNLModel(**kw)
        m._set_vertices_common()
    assert dn.__version__ and m.m4 == kw["m4"] and m.HNLtype == "majorana"
    mu = np.abs(compute_moments(p).mu_muB[:, 0])
    d_GeV = d_from_mu(mu) * _mu_B_GeV()          # lqmodel's dipole coefficient d = mu/2, GeV^-1
    np.testing.assert_allclose(m.t_aj[:3, 3], d_GeV, rtol=1e-14, atol=0)
    # and back: mu in mu_B from DarkNews's t
    np.testing.assert_allclose(2 * m.t_aj[:3, 3] / _mu_B_GeV(), mu, rtol=1e-14)


@pytest.mark.parametrize("N_type", ["dirac", "majorana"])
def test_darknews_width_is_half_of_lqmodels(N_type):
    _darknews()
    from DarkNews import decay_rates as dr

    mu_muB, M = 3.0e-11, 1.0e-3
    t = 0.5 * mu_muB * _mu_B_GeV()
    ratio = dr.gamma_Ni_to_Nj_gamma(t, M, 0.0, N_type) / width_N_to_nu_gamma(M, mu_muB, N_type)
    assert ratio == pytest.approx(0.5, rel=1e-12)


def test_cli_writes_file_and_keeps_json(tmp_path, capsys):
    f = tmp_path / "dn.json"
    assert main(["point", "--benchmark", "BP2", "--json", "--darknews", str(f)]) == 0
    out = json.loads(capsys.readouterr().out)
    d = json.loads(f.read_text())
    assert d["model_kwargs"]["mu_tr_mu4"] == pytest.approx(out["mu_nu_muB"]["mu"] * _mu_B_GeV(), rel=1e-14)
    assert d["lqmodel"]["units"]["mu_tr_*"].startswith("GeV^-1")


def test_cli_warns_when_M_N_is_zero(tmp_path, capsys):
    assert main(["point", "--benchmark", "BP2", "--darknews", str(tmp_path / "a.json")]) == 0
    assert "M_N = 0" in capsys.readouterr().err
    f = tmp_path / "p.yaml"
    f.write_text("model: voloshin\nm_LQ: 1000\ny1: 0.05\ny2: 1.0\nlepton: mu\nM_N_keV: 100\n")
    assert main(["point", str(f), "--darknews", str(tmp_path / "b.json")]) == 0
    assert "M_N = 0" not in capsys.readouterr().err
    assert json.loads((tmp_path / "b.json").read_text())["model_kwargs"]["m4"] == pytest.approx(1e-4)
