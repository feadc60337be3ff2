"""observables.surrogate: the exact quadratic / rational representation against direct flavio calls at
random points the fit never saw, against analytic results (pure C_VL in R(D*), the tau -> mu gamma rate,
Delta a_mu), and against flavio's own integration spread (measured here: default vs 100x tighter
tolerance at the same points)."""
from __future__ import annotations

import math

import numpy as np
import pytest

pytestmark = pytest.mark.flavio

SCALE = 1000.0
RD_WCS = ["CVL_bctaunutau", "CSL_bctaunutau", "CT_bctaunutau", "CSL_bctaunumu", "CT_bctaunumu", "CVL_bcmunumu"]
RK_WCS = ["C9_bsmumu"]  # one complex coefficient keeps the (slow, tight-tolerance) build short


def _random_wc(rng, names, size=0.15):
    return {n: complex(*rng.normal(0.0, size, 2)) for n in names}


@pytest.fixture(scope="module")
def fb():
    from observables import flavio_backend

    flavio_backend._import_flavio()
    return flavio_backend


def _spread_and_error(fb, sur, name, points):
    """Max relative spread of flavio (default vs the surrogate's build tolerance, 100x tighter) and the
    max relative error of the surrogate against default and against tight flavio."""
    from observables.surrogate import TOLERANCE_FACTOR

    spread, err, err_tight = 0.0, 0.0, 0.0
    for wc in points:
        d = fb.np_prediction(name, wc, SCALE)
        with fb.integration_tolerance(TOLERANCE_FACTOR):
            t = fb.np_prediction(name, wc, SCALE)
        s = float(sur(wc))
        spread = max(spread, abs(d - t) / abs(t))
        err = max(err, abs(s - d) / abs(d))
        err_tight = max(err_tight, abs(s - t) / abs(t))
    return spread, err, err_tight


def _check(spread, err, err_tight):
    # (a) the fit is exact: against flavio at the build tolerance the surrogate agrees far below the
    #     integration spread (the residual is the tight integration's own jitter);
    assert err_tight <= max(0.2 * spread, 2e-8), (err_tight, spread)
    # (b) hence against default flavio it is no worse than flavio's own spread (up to that residual)
    assert err <= spread + err_tight, (err, spread, err_tight)


def test_rdstar_agrees_within_flavio_integration_spread(fb):
    from observables.surrogate import get_surrogate

    sur = get_surrogate("R_Dstar", SCALE, RD_WCS)
    rng = np.random.default_rng(11)
    pts = [_random_wc(rng, RD_WCS) for _ in range(4)]
    spread, err, err_tight = _spread_and_error(fb, sur, "R_Dstar", pts)
    assert 1e-8 < spread < 1e-4  # flavio's own spread between integration settings (~1e-6)
    _check(spread, err, err_tight)


def test_rk_agrees_within_flavio_integration_spread(fb):
    from observables.surrogate import get_surrogate

    sur = get_surrogate("R_K[1.1,6.0]", SCALE, RK_WCS)
    rng = np.random.default_rng(12)
    pts = [_random_wc(rng, RK_WCS, 0.5) for _ in range(3)]
    _check(*_spread_and_error(fb, sur, "R_K[1.1,6.0]", pts))


def test_sm_reproduced_at_zero(fb):
    from observables.surrogate import get_surrogate

    for name, wcs, rtol in (("R_Dstar", RD_WCS, 1e-5), ("R_K[1.1,6.0]", RK_WCS, 1e-6),
                            ("BR_tau_mugamma", None, 0.0), ("Delta_a_mu", None, 0.0)):
        sur = get_surrogate(name, SCALE, wcs)
        assert float(sur({})) == pytest.approx(fb.sm_prediction(name), rel=rtol, abs=1e-300), name


def test_pure_cvl_hand_calculation(fb):
    # A pure C_VL shift rescales the SM amplitude (same operator): at the b-decay scale mu_b = 4.8 GeV,
    # R(D*) = R_SM |C_SM + C_VL|^2 / C_SM^2 with flavio's SM coefficient including the EW correction
    # C_SM = 1 + alpha_e(mu_b)/pi ln(m_Z/mu_b) (flavio 2.7.1 bdecays.wilsoncoefficients.get_CVLSM;
    # docs/theory.md §c.1 "eta_EW ~ 1.0071"). This is independent of the surrogate's fit.
    from observables.surrogate import get_surrogate

    flavio = fb._import_flavio()
    par = flavio.default_parameters.get_central_all()
    mu_b = flavio.config["renormalization scale"]["bvll"]
    alpha_e = flavio.physics.running.running.get_alpha(par, mu_b)["alpha_e"]
    c_sm = 1 + alpha_e / math.pi * math.log(par["m_Z"] / mu_b)
    assert c_sm == pytest.approx(1.0071, abs=2e-4)
    sur = get_surrogate("R_Dstar", mu_b, ["CVL_bctaunutau"])
    r_sm = fb.sm_prediction("R_Dstar")
    c = np.array([0.1, -0.2, 0.05 + 0.3j, -1.0 + 0.1j])
    # rtol: flavio's integration spread of R(D*) (~1e-6, measured in test_rdstar_agrees_...)
    assert np.allclose(sur({"CVL_bctaunutau": c}), r_sm * np.abs(c_sm + c) ** 2 / c_sm**2, rtol=5e-6)
    # the NP-squared part of a pure C_VL shift is R_SM |C_VL|^2 / C_SM^2
    assert np.allclose(sur.quadratic_part({"CVL_bctaunutau": c}), r_sm * np.abs(c) ** 2 / c_sm**2, rtol=5e-6)


def test_positive_cvl_raises_rd_and_rdstar(fb):
    from observables.surrogate import get_surrogate

    for name in ("R_D", "R_Dstar"):
        s = get_surrogate(name, SCALE, ["CVL_bctaunutau"])
        assert float(s({"CVL_bctaunutau": 0.05})) > float(s({})) > float(s({"CVL_bctaunutau": -0.05}))


def test_tau_mugamma_exact_and_analytic(fb):
    # BR = tau_tau m_tau^3 (|C_taumu|^2 + |C_mutau|^2) / (4 pi) up to (m_mu/m_tau)^2 (docs/theory.md §c.1)
    from observables.surrogate import get_surrogate

    flavio = fb._import_flavio()
    par = flavio.default_parameters.get_central_all()
    scale = flavio.config["renormalization scale"]["taudecays"]
    sur = get_surrogate("BR_tau_mugamma", scale)
    r2 = (par["m_mu"] / par["m_tau"]) ** 2
    expected = par["tau_tau"] * par["m_tau"] ** 3 / (4 * math.pi) * (1 - r2) ** 3  # two-body phase space
    assert np.allclose(np.diag(sur.quadratic), expected, rtol=2e-3)
    assert np.all(np.abs(sur.linear) < 1e-12 * expected) and sur.constant == 0.0
    rng = np.random.default_rng(5)
    for _ in range(3):
        wc = {k: v * 1e-9 for k, v in _random_wc(rng, sur.wc_names).items()}
        assert float(sur(wc)) == pytest.approx(fb.np_prediction("BR_tau_mugamma", wc, scale), rel=1e-12)


def test_delta_a_mu_is_linear_in_re_c7(fb):
    from observables.surrogate import get_surrogate

    sur = get_surrogate("Delta_a_mu", SCALE)
    assert sur.linear[0] == pytest.approx(8.6418e-9, rel=1e-4)
    assert abs(sur.linear[1]) < 1e-12 * sur.linear[0]  # Im C7 does not enter a_mu
    assert np.all(np.abs(sur.quadratic) < 1e-15)
    c = np.array([3.0 + 1j, -20.0, 0.5j])
    direct = [fb.np_prediction("Delta_a_mu", {"C7_mumu": x}, SCALE) for x in c]
    assert np.allclose(sur({"C7_mumu": c}), direct, rtol=1e-9, atol=0)


def test_delta_ms_sqrt_quadratic(fb):
    from observables.surrogate import get_surrogate

    wcs = ["CVLL_bsbs", "CVRR_bsbs", "CSLR_bsbs"]
    sur = get_surrogate("DeltaM_s", SCALE, wcs)
    rng = np.random.default_rng(8)
    for _ in range(3):
        wc = {k: v * 1e-11 for k, v in _random_wc(rng, wcs).items()}
        # exact up to the Gamma_12 term of flavio's Delta M (|Gamma12/M12|^2 ~ 1e-5 effects are smaller)
        assert float(sur(wc)) == pytest.approx(fb.np_prediction("DeltaM_s", wc, SCALE), rel=1e-8)


def test_vectorised_and_cached(fb, tmp_path):
    from observables.surrogate import cache_dir, get_surrogate

    sur = get_surrogate("R_Dstar", SCALE, RD_WCS)
    assert any(cache_dir().glob("*.npz"))
    again = get_surrogate("R_Dstar", SCALE, RD_WCS)  # from disk
    assert np.array_equal(again.quadratic, sur.quadratic)
    rng = np.random.default_rng(2)
    vals = {n: rng.normal(0, 0.1, (40, 3)) + 1j * rng.normal(0, 0.1, (40, 3)) for n in RD_WCS}
    out = sur(vals)
    assert out.shape == (40, 3)
    one = sur({n: v[7, 1] for n, v in vals.items()})
    assert out[7, 1] == pytest.approx(float(one), rel=1e-14)


def test_bad_inputs():
    from observables.surrogate import get_surrogate

    with pytest.raises(KeyError, match="do not enter"):
        get_surrogate("R_D", SCALE, ["C9_bsmumu"])
    with pytest.raises(ValueError, match="scale"):
        get_surrogate("R_D", -1.0, ["CVL_bctaunutau"])


def test_incoherent_blocks_and_rational_parts(fb):
    # different neutrino flavours are fitted as separate interference blocks (no cross terms); checked
    # against flavio at points where several blocks are switched on at once
    from observables.surrogate import get_surrogate

    wcs = ["CL_bsnumunumu", "CR_bsnumunumu", "CL_bsnutaunutau", "CL_bsnumunutau"]
    sur = get_surrogate("BR_B+_Knunu", SCALE, wcs)
    rng = np.random.default_rng(21)
    for _ in range(3):
        wc = _random_wc(rng, wcs, 2.0)
        assert float(sur(wc)) == pytest.approx(fb.np_prediction("BR_B+_Knunu", wc, SCALE), rel=1e-6)
    # rational form: value = numerator / denominator, and the incoherent piece uses the given denominator
    rd = get_surrogate("R_D", SCALE, ["CVL_bctaunutau", "CVL_bcmunumu"])
    wc = {"CVL_bctaunutau": 0.1 + 0.05j, "CVL_bcmunumu": -0.05}
    assert float(rd(wc)) == pytest.approx(float(rd.numerator_value(wc) / rd.denominator_value(wc)), rel=1e-14)
    q = rd.quadratic_part({"CVL_bctaunutau": 0.2}, denominator_wc=wc)
    assert float(q) == pytest.approx(float(rd.numerator.quadratic_part(
        np.array([0.2, 0.0, 0.0, 0.0])) / rd.denominator_value(wc)), rel=1e-14)


# ------------------------------------------------------------------------------------ cache key (issue 12)
def test_cache_key_has_no_vintage_and_every_vintage_shares_one_entry(fb, tmp_path, monkeypatch):
    """The build never reads measurements, so the measurement vintage is not in the key: surrogates asked
    for under two vintages are one cache entry (a second build would add files)."""
    from observables import surrogate as sg
    from observables.registry import Term

    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path))
    key = sg._key(Term(1.0, "BR(tau->mugamma)"), ("Cgamma_taumu",), (("Cgamma_taumu",),), SCALE, False)
    assert "vintage" not in key
    a = sg.get_surrogate("BR_tau_mugamma", 1234.5, ["Cgamma_taumu"], vintage="2026-12")
    files = sorted(p.name for p in sg.cache_dir().glob("*.npz"))
    b = sg.get_surrogate("BR_tau_mugamma", 1234.5, ["Cgamma_taumu"], vintage="2026-11")
    assert sorted(p.name for p in sg.cache_dir().glob("*.npz")) == files
    assert np.array_equal(a.quadratic, b.quadratic)


def test_old_cache_entry_with_a_vintage_in_its_key_is_rebuilt(fb, tmp_path, monkeypatch):
    """An entry written under the old key format (with a vintage) is refused even where it sits under
    the new file name (its stored key differs), and the term is rebuilt from flavio."""
    from observables import cache as oc
    from observables import surrogate as sg
    from observables.registry import get

    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(sg, "shipped_term", lambda key, n: None)
    term = get("BR_tau_mugamma").numerator.terms[0]
    names, blocks = ("Cgamma_taumu",), (("Cgamma_taumu",),)
    new = sg._key(term, names, blocks, 1234.5, False)
    old = {**new, "vintage": "2026-12"}
    path = sg.cache_dir() / f"{oc.digest(new)}.npz"
    poisoned = {"info": '{"n_flavio_calls": 0, "build_seconds": 0.0}', "constant": 1.0,
                "linear": np.zeros(2), "quadratic": np.zeros((2, 2))}
    oc.store_arrays(path, old, poisoned)
    form, info = sg._fit_term_cached(term, names, blocks, 1234.5, False)
    assert info["n_flavio_calls"] > 1 and form.constant != 1.0  # rebuilt, not read
    assert oc.load_arrays(path, new, {"info": ("U", ()), "constant": ("f", ()), "linear": ("f", (2,)),
                                      "quadratic": ("f", (2, 2))}) is not None  # and stored under the new key


def test_no_shipped_surrogate_key_holds_a_vintage():
    import json
    from importlib import resources

    files = [f for f in (resources.files("observables") / "data" / "surrogates").iterdir() if f.name.endswith(".npz")]
    assert files
    for f in files:
        with resources.as_file(f) as p, np.load(p, allow_pickle=False) as d:
            assert "vintage" not in json.loads(str(d["__key__"]))
