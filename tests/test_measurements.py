"""observables.measurements: the dated vintage, unit conversion and limit conventions, checked against
the published numbers (HFLAV spring25 page, WP25 abstract, Belle 2021 abstract, LHCb Delta m_s)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from observables.measurements import available_vintages, default_vintage, load
from observables.parameters import value


def test_vintage_listing():
    assert "2026-11" in available_vintages()
    assert default_vintage() == available_vintages()[-1]
    with pytest.raises(KeyError, match="available"):
        load("1999-01")


def test_every_entry_is_sourced_and_dated():
    for c in load().constraints:
        assert c.source and c.date and isinstance(c.verified, bool)
        assert np.all(np.linalg.eigvalsh(c.covariance) > 0)


def test_hflav_spring25_rd_rdstar():
    c = load().constraint_for("R_D")
    assert c.observables == ("R_D", "R_Dstar")
    assert np.allclose(c.values, [0.347, 0.288])
    corr = c.covariance[0, 1] / math.sqrt(c.covariance[0, 0] * c.covariance[1, 1])
    assert corr == pytest.approx(-0.39)


def test_delta_a_mu_matches_wp25_difference():
    # WP25 abstract (arXiv:2505.21476): a_exp - a_SM = 38(63) x 1e-11
    c = load().constraint_for("Delta_a_mu")
    assert c.values[0] == pytest.approx(38e-11, abs=1e-11)
    assert c.uncertainties[0] == pytest.approx(63e-11, abs=1e-11)


def test_upper_limit_is_half_gaussian_with_90cl_width():
    c = load().constraint_for("BR_tau_mugamma")
    assert c.kind == "upper_limit" and c.limit == 4.2e-8
    assert c.uncertainties[0] == pytest.approx(4.2e-8 / 1.6448536, rel=1e-6)


def test_delta_ms_converted_to_gev():
    c = load().constraint_for("DeltaM_s")
    # 17.7656 ps^-1 = 17.7656e12 s^-1 * hbar
    assert c.values[0] == pytest.approx(17.7656e12 * value("hbar"), rel=1e-12)
    assert c.values[0] == pytest.approx(1.1694e-11, rel=1e-3)


def test_asymmetric_errors_symmetrised():
    c = load().constraint_for("BR_B+_Knunu")
    up, down = math.hypot(0.5e-5, 0.5e-5), math.hypot(0.5e-5, 0.4e-5)
    assert c.uncertainties[0] == pytest.approx(0.5 * (up + down))


# --- the individual R(D(*)) inputs (vintage option RD=individual) ------------------------------------------
#: HFLAV Spring 2025 average of these inputs (hflav-eos .../spring25/html/RDsDsstar/RDRDs.html)
_HFLAV_RD, _HFLAV_RDS, _HFLAV_SIG_RD, _HFLAV_SIG_RDS = 0.347, 0.288, 0.025, 0.012
_HFLAV_RHO, _HFLAV_CHI2 = -0.39, 13.435


def _individual():
    c = load("2026-12:RD=individual").constraint_for("R_D")
    assert c.name.startswith("R(D), R(D*): the nine inputs")
    return c


def _gls_average(c):
    """Generalised-least-squares average (R(D), R(D*)) of the rows, reading Rtaumu as R(D(*)) like HFLAV."""
    x = np.array([[1.0, 0.0] if o in ("R_D", "Rtaumu_D") else [0.0, 1.0] for o in c.observables])
    w = np.linalg.inv(c.covariance)
    v = np.linalg.inv(x.T @ w @ x)
    mu = v @ x.T @ w @ c.values
    r = c.values - x @ mu
    return mu, v, float(r @ w @ r), x


def test_individual_rd_inputs_reproduce_the_hflav_average():
    c = _individual()
    assert len(c.observables) == 15 and len(c.labels) == 15
    assert set(c.observables) == {"R_D", "R_Dstar", "Rtaumu_D", "Rtaumu_Dstar"}
    # LHCb rows are muon-normalised, the B-factory rows (e + mu)-normalised
    assert all(o.startswith("Rtaumu") == lab.startswith("LHCb") for o, lab in zip(c.observables, c.labels, strict=True))
    assert load("2026-12").constraint_for("R_D").observables == ("R_D", "R_Dstar")  # the default is the average
    mu, v, chi2_min, _ = _gls_average(c)
    sig = np.sqrt(np.diag(v))
    # HFLAV correlates some systematics between experiments, which the inputs here do not: the central values
    # agree to a small fraction of the error, the errors within 15% (ours smaller), chi2 within one unit
    assert abs(mu[0] - _HFLAV_RD) < 0.1 * _HFLAV_SIG_RD and abs(mu[1] - _HFLAV_RDS) < 0.1 * _HFLAV_SIG_RDS
    assert 0.85 < sig[0] / _HFLAV_SIG_RD <= 1.0 and 0.85 < sig[1] / _HFLAV_SIG_RDS <= 1.0
    assert abs(v[0, 1] / (sig[0] * sig[1]) - _HFLAV_RHO) < 0.07
    assert abs(chi2_min - _HFLAV_CHI2) < 1.0


def test_individual_rd_chi2_sums_rows_and_matches_the_gls_identity():
    from observables.likelihood import chi2, pulls

    c = _individual()
    mu, v, chi2_min, _ = _gls_average(c)
    # predictions with R_tau/mu = R_tau/l: chi2(pred) = chi2_min + (pred - mu)^T V^-1 (pred - mu) exactly
    pred = np.array([0.30, 0.26])
    preds = {"R_D": pred[0], "Rtaumu_D": pred[0], "R_Dstar": pred[1], "Rtaumu_Dstar": pred[1]}
    out = chi2(preds, "2026-12:RD=individual", theory=False)
    d = pred - mu
    assert float(out["total"]) == pytest.approx(chi2_min + d @ np.linalg.inv(v) @ d, rel=1e-10)
    assert float(out["R_D"] + out["R_Dstar"] + out["Rtaumu_D"] + out["Rtaumu_Dstar"]) == pytest.approx(
        float(out["total"]), rel=1e-12)
    p = pulls(preds, "2026-12:RD=individual", theory=False)
    assert len(p) == 15 and "R_D [BaBar 2012]" in p and "Rtaumu_Dstar [LHCb 2023 hadronic tau]" in p
    assert float(p["R_D [BaBar 2012]"]) == pytest.approx((0.30 - 0.440) / math.hypot(0.058, 0.042))


def test_duplicate_rows_need_labels():
    from observables.measurements import _parse

    e = {"name": "x", "observables": ["R_D", "R_D"], "kind": "gaussian", "values": [0.3, 0.3],
         "uncertainties": [0.1, 0.1], "correlation": [[1, 0], [0, 1]], "theory": "none", "source": "s",
         "date": "2026", "verified": False}
    with pytest.raises(ValueError, match="more than once"):
        _parse(e)
    with pytest.raises(ValueError, match="unique"):
        _parse({**e, "labels": ["a", "a"]})
    assert _parse({**e, "labels": ["a", "b"]}).row_names() == ("R_D [a]", "R_D [b]")


def test_individual_rd_theory_covariance_is_shared_between_rows():
    from observables.likelihood import chi2, theory_covariance

    c = _individual()
    t = theory_covariance(c.observables, N=c.theory_samples)  # shipped entry of the four distinct observables
    assert t.shape == (15, 15)
    i, j = c.observables.index("R_D"), c.observables.index("R_D", 2)
    assert t[i, j] == pytest.approx(t[i, i]) and t[i, i] > 0  # the same SM number: fully correlated rows
    assert np.linalg.matrix_rank(t) <= 4
    preds = {"R_D": 0.297, "Rtaumu_D": 0.296, "R_Dstar": 0.250, "Rtaumu_Dstar": 0.249}
    with_th = float(chi2(preds, "2026-12:RD=individual")["total"])
    without = float(chi2(preds, "2026-12:RD=individual", theory=False)["total"])
    assert 0 < with_th < without


def test_two_sided_z_against_scipy():
    """The upper limits' Gaussian quantile (stdlib AS 241) against scipy.stats.norm.ppf."""
    from scipy.stats import norm

    from observables.measurements import _two_sided_z

    for cl in (0.5, 0.68, 0.9, 0.95, 0.99, 0.9973):
        assert _two_sided_z(cl) == pytest.approx(norm.ppf(0.5 * (1 + cl)), rel=1e-15)
    assert _two_sided_z(0.9) == pytest.approx(1.6448536269514722, rel=1e-15)  # textbook 90% CL two-sided z
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        _two_sided_z(1.0)
