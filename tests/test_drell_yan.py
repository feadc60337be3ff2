"""Drell–Yan tails (observables.collider.drell_yan, lqmodel.collider.drell_yan).

References used here, none of them the code's own earlier output:
* the published ATLAS di-tau table (arXiv:2002.12223, HEPData ins1782650 Table 3: observed events, background,
  background uncertainty per m_T^tot bin) against the shipped search data;
* HighPT's own Monte Carlo cross sections (the XSEC column of its efficiency files, folded with the same
  efficiencies by tools/highpt_convert.py) against the analytic per-bin cross sections behind the kernels;
* HighPT's tabulated 1.3 TeV kernel (R2~ -> b b~ -> tau tau) against the 1/m^2 interpolation from 1 and 2 TeV,
  and the tabulated 2 and 3 TeV kernels against interpolations that leave them out;
* symmetries and limits: the SM point, coupling^4 scaling without interference, quark-basis independence,
  the batch equals the loop.
"""
from __future__ import annotations

import dataclasses
from importlib import resources

import numpy as np
import pytest

from lqmodel.collider.drell_yan import drell_yan, drell_yan_coefficients
from lqmodel.point import Point
from observables.collider.drell_yan import DCHI2_95CL, SEARCHES, load_search

DITAU = "di-tau_ATLAS_2002_12223"


def _data(name):
    return np.load(resources.files("observables") / "data" / "collider" / "highpt" / name, allow_pickle=False)


def test_ditau_data_is_the_published_atlas_table():
    # arXiv:2002.12223, HEPData Table 3 (b-veto, tau_had tau_had, m_T^tot 150..1500 GeV): observed, background,
    # total background error; sigma = background error (+) sqrt(observed) as HighPT adds it
    obs = [1167, 1568, 1409, 1455, 1292, 650, 377, 288, 92, 57, 27, 14, 11, 13]
    bkg = [1125.2, 1498.3, 1434.54, 1495.3, 1276.9, 656.11, 353.42, 327.85, 123.3, 61.49, 33.42, 17.43, 11.97, 10.65]
    dbkg = [23.498, 34.027, 41.018, 65.696, 86.665, 56.709, 34.591, 35.381, 15.622, 7.913, 4.377, 2.471, 1.926, 2.104]
    s = load_search(DITAU)
    np.testing.assert_array_equal(s.observed, obs)
    np.testing.assert_allclose(s.background, bkg, rtol=1e-9)
    np.testing.assert_allclose(s.sigma, np.hypot(dbkg, np.sqrt(obs)), rtol=2e-3)
    assert s.luminosity_fb == 139.0
    np.testing.assert_allclose(s.bin_edges_GeV[[0, -1]], [150.0, 1500.0])
    # chi2 of the SM by hand
    assert s.chi2_sm == pytest.approx(float(np.sum(((np.array(obs) - bkg) / s.sigma) ** 2)), rel=1e-12)


def test_kernels_follow_highpt_monte_carlo_cross_sections():
    """The analytic sigma_i reproduce the shape of HighPT's MadGraph cross sections bin by bin (to 1 %);
    the normalisation is the MC's unit coupling, |c|^2 = 1/4 (pure), within the 10 % spread of the MC
    samples' settings, and the interference signs are those of the coupling map: c = -|y|^2/2 for S1 in
    u u~ -> tau tau (destructive with the photon), +|y|^2/2 for R2~ in b b~, +|y|^2/2 for S1 with the W in
    u d~ -> tau nu (HighPT's charged-current rule)."""
    v = _data("validation_mc_xsec.npz")
    expected = {"S1|V": 0.25, "R2t|V": 0.25, "S1|A": -0.5, "R2t|A": 0.5, "S1|W": 0.5}
    for i, key in enumerate(v["keys"]):
        search, med, kind, qq, mass = str(key).split("|")
        s = load_search(search)
        k = s.kernels[s.term_index(f"{med}|{kind}|{qq}"), list(s.masses_GeV).index(float(mass))]
        ok = np.abs(k) > 0.01 * np.abs(k).max()
        ratio = v[f"k{i}"][ok] / k[ok]
        assert np.ptp(ratio) < 0.01 * np.abs(ratio).mean(), (key, ratio)
        assert abs(ratio.mean() / expected[f"{med}|{kind}"] - 1) < 0.12, (key, ratio.mean())


def test_interpolation_in_inverse_mass_squared_against_tabulated_kernels():
    """HighPT tabulates R2~ (b b~ -> tau tau) also at 1.3 TeV. Interpolated from the 1 and 2 TeV tables the
    total yield per term is 15-18 % low; the error is HighPT's 2 TeV b b~ sample, whose efficiencies are ~35 %
    below those of the 1, 1.3 and 3 TeV samples (which agree within 5 %; the same holds for every di-tau sample
    with a b quark at 2 TeV, presumably the b-veto of the search applied differently): interpolated from 1 and 3 TeV the
    same kernels agree within 8 %. Leave-one-out on the whole grid (2 TeV from 1 and 3 TeV; 3 TeV from 2 TeV and
    the contact limit) bounds the scheme elsewhere."""
    s = load_search(DITAU)
    v = _data("validation_di-tau_1300GeV.npz")

    def total_error(search, keep):
        red = dataclasses.replace(search, masses_GeV=search.masses_GeV[keep], kernels=search.kernels[:, keep])
        k = red.kernels_at(1300.0)
        return {str(n): k[search.term_index(str(n))].sum() / tab.sum() - 1
                for n, tab in zip(v["term_names"], v["kernels"], strict=True)}

    e12 = total_error(s, [0, 1, 2])
    assert all(-0.20 < e < -0.10 for e in e12.values()), e12
    e13 = total_error(s, [0, 2])
    assert all(abs(e) < 0.10 for e in e13.values()), e13
    # leave-one-out over all searches and terms, on the total yield of each term
    for name in SEARCHES:
        t = load_search(name)
        for drop, bound in ((1, 0.16), (2, 0.13)):
            keep = [i for i in range(len(t.masses_GeV)) if i != drop]
            red = dataclasses.replace(t, masses_GeV=t.masses_GeV[keep], kernels=t.kernels[:, keep])
            tab = t.kernels[:, drop].sum(axis=1)
            k = red.kernels_at(t.masses_GeV[drop]).sum(axis=1)
            ok = np.abs(tab) > 0
            if name == DITAU and drop == 1:  # the 2 TeV di-tau samples with a b quark, as above
                ok &= np.array(["b" not in n.split("|")[2] for n in t.term_names])
            err = np.abs(k[ok] / tab[ok] - 1)
            assert err.max() < bound and np.median(err) < 0.08, (name, drop, err.max())


def test_tabulated_masses_are_reproduced_and_light_mediators_refused():
    s = load_search(DITAU)
    for im, m in enumerate(s.masses_GeV):
        np.testing.assert_allclose(s.kernels_at(m), s.kernels[:, im], rtol=1e-12, atol=1e-12)
    # large mass: the contact limit times M^-2p
    big = s.kernels_at(1e6)
    np.testing.assert_allclose(big * (1e3) ** (2 * s.power[:, None]), s.kernels_contact, rtol=1e-4)  # O(x = 1e-6)
    with pytest.raises(ValueError, match="outside the range"):
        s.kernels_at(900.0)
    y_ll = np.zeros((3, 3))
    y_ll[0, 2] = 1.0
    p = Point(m_S1=800.0, m_R2=2000.0, y_LL=y_ll)
    r = drell_yan(p)
    assert np.isnan(r[DITAU]["chi2"]) and r[DITAU]["excluded"] is False


def test_sm_point_has_zero_delta_chi2():
    r = drell_yan(Point(m_S1=1500.0, m_R2=2500.0))
    assert set(r) == set(SEARCHES)
    for name, d in r.items():
        assert d["chi2"] == 0.0 and d["excluded"] is False, name


def _s1_lfv_point(y, mass=2000.0):
    y_ll = np.zeros((3, 3))
    y_ll[0, 1] = y_ll[0, 2] = y  # S1 to u mu and u tau (down basis: also d nu_mu, d nu_tau)
    return Point(m_S1=mass, m_R2=3000.0, quark_basis="up", y_LL=y_ll)


def test_pure_new_physics_yields_scale_as_coupling_to_the_fourth():
    s = load_search("muon-tau_CMS_2205_06709")  # no SM interference in a lepton-flavour-violating final state
    yields = []
    for y in (0.3, 0.6, 1.2):
        m, c = drell_yan_coefficients(_s1_lfv_point(y), s.name)
        yields.append(s.yields(m, c)[0])
    np.testing.assert_allclose(yields[1], 16 * yields[0], rtol=1e-12)
    np.testing.assert_allclose(yields[2], 256 * yields[0], rtol=1e-12)
    assert yields[0].sum() > 0


def test_interference_makes_the_ditau_yield_non_quartic():
    s = load_search(DITAU)
    n = []
    for y in (0.5, 1.0):
        y_ll = np.zeros((3, 3))
        y_ll[0, 2] = y
        m, c = drell_yan_coefficients(Point(m_S1=2000.0, m_R2=2000.0, quark_basis="up", y_LL=y_ll), DITAU)
        n.append(s.yields(m, c)[0].sum())
    # N = a y^2 + b y^4: a (SM interference, destructive for S1 in u u~ -> tau tau) is non-zero
    a = (16 * n[0] - n[1]) / (16 * 0.25 - 1.0)
    assert a < 0


def test_quark_basis_does_not_change_the_physics():
    y = np.zeros((3, 3), complex)
    y[2, 2], y[1, 2], y[1, 1] = 1.3, 0.4 - 0.2j, 0.7
    yt = np.zeros((3, 3))
    yt[2, 2], yt[0, 1] = 1.5, 0.8
    p = Point(m_S1=1700.0, m_R2=2300.0, y_LL=y, yt_RL=yt, yt_LR=np.eye(3) * 0.5, ybar_RR=np.eye(3) * 0.3)
    a, b = drell_yan(p), drell_yan(p.to_quark_basis("up"))
    for name in SEARCHES:
        assert a[name]["chi2"] == pytest.approx(b[name]["chi2"], rel=1e-9, abs=1e-9)


def test_batch_equals_loop():
    rng = np.random.default_rng(7)
    n = 12
    y = rng.normal(scale=0.8, size=(n, 3, 3)) + 1j * rng.normal(scale=0.3, size=(n, 3, 3))
    yt = rng.normal(scale=0.8, size=(n, 3, 3))
    ylr = rng.normal(scale=0.5, size=(n, 3, 3))
    p = Point(m_S1=rng.uniform(1000, 4500, n), m_R2=rng.uniform(1000, 4500, n), y_LL=y, yt_RL=yt, yt_LR=ylr,
              ybar_RR=np.swapaxes(ylr, -1, -2).copy(), y_RR=0.5 * yt)
    batch = drell_yan(p)
    for i in range(n):
        one = drell_yan(p[i])
        for name in SEARCHES:
            assert batch[name]["chi2"][i] == pytest.approx(float(one[name]["chi2"]), rel=1e-10, abs=1e-10)
            assert bool(batch[name]["excluded"][i]) == one[name]["excluded"]
            assert one[name]["excluded"] == (float(one[name]["chi2"]) > DCHI2_95CL)
