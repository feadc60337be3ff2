"""lqmodel.moments against independent references: the docs/theory.md §b.5 benchmark table (BP2, BP2', the
|y1y2| needed for 3e-11 mu_B), mpmath at 50 digits, direct quadrature of the B0 Feynman integrand,
symmetries (SU(2)_H limit, quark-basis independence, rephasing), and the UV-divergence statements.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from loops import highprec
from lqmodel.models import s1_only, voloshin, voloshin_mismatch, voloshin_split
from lqmodel.moments import (
    KappaNotIncludedWarning,
    compute_moments,
    coupling_products,
    m_nuN_GeV,
    mu_nu_muB,
)
from lqmodel.point import vary

MU, N1 = 1, 0


@pytest.mark.parametrize("m_b,expected", [(4.18, 2.69314e-11), (2.4133, 1.72642e-11)])
def test_bp2_and_bp2prime(m_b, expected):
    m = compute_moments(voloshin(1000.0, 0.05, 1.0, "mu", m_b=m_b))
    assert m.mu_muB[MU, N1].real == pytest.approx(expected, rel=2e-6)
    assert m.mu_muB[MU, N1].imag == 0.0
    assert m.m_nuN_GeV[MU, N1] == 0.0 and not m.uv_divergent[MU, N1]
    # only the mu-N1 entry is non-zero
    mask = np.ones((3, 3), bool)
    mask[MU, N1] = False
    assert np.all(m.mu_muB[mask] == 0)


@pytest.mark.parametrize("m_tev,y1y2", [(1.0, 0.0557), (1.5, 0.116), (2.0, 0.196)])
def test_couplings_needed_for_3e_11(m_tev, y1y2):
    # docs/theory.md §b.5: |y1 y2| for a pair mu_nu = 3e-11 mu_B at m_b = 4.18 GeV (3 significant figures)
    mu1 = compute_moments(voloshin(1000.0 * m_tev, 1.0, 1.0, "mu")).mu_muB[MU, N1].real
    assert 3e-11 / mu1 == pytest.approx(y1y2, rel=5e-3)


def test_pair_is_twice_s1_only_and_s1_mass_is_divergent():
    pair = compute_moments(voloshin(1000.0, 0.05, 1.0, "tau"))
    single = compute_moments(s1_only(1000.0, 0.05, 1.0, "tau"))
    assert pair.mu_muB[2, N1] == pytest.approx(2 * single.mu_muB[2, N1], rel=1e-14)
    # S1 alone: m_nuN ~ c_S B0 is UV-divergent (needs a counterterm): flagged, NaN
    assert single.uv_divergent[2, N1] and np.isnan(single.m_nuN_GeV[2, N1])


def test_mismatch_is_flagged():
    m = compute_moments(voloshin_mismatch(1000.0, 0.05, 1.0, "mu", c_ratio=0.9))
    assert m.uv_divergent[MU, N1] and np.isnan(m.m_nuN_GeV[MU, N1])
    assert np.isfinite(m.mu_muB[MU, N1]) and not m.uv_divergent[0, 0]
    # mu is still the sum of the two loops: (1 + 0.9)/2 of the symmetric pair
    sym = compute_moments(voloshin(1000.0, 0.05, 1.0, "mu"))
    assert m.mu_muB[MU, N1].real == pytest.approx(0.95 * sym.mu_muB[MU, N1].real, rel=1e-13)


@pytest.mark.parametrize("rel", [1e-9, 1e-6, 1e-2, 0.5])
def test_near_degenerate_mass_vs_quadrature(rel):
    # m_nuN = -(3 c m_b / 16 pi^2)(F(m_S) - F(m_R)) = -(3 c m_b/16 pi^2)(B0_R - B0_S); reference: mpmath quad
    mS, mR = 1000.0, 1000.0 * (1 + rel)
    m = compute_moments(voloshin_split(mS, mR, 0.05, 1.0, "mu")).m_nuN_GeV[MU, N1]
    with mpmath.workdps(40):
        ref = -3 * 0.05 * 4.18 / (16 * mpmath.pi**2) * highprec.quad_B0_difference(4.18, mR, mS, dps=40)
    assert m.real == pytest.approx(float(ref), rel=1e-12)
    assert m.imag == 0.0
    # leading-log size check: ~ (3 c m_b / 16 pi^2) ln(m_R^2/m_S^2)
    assert m.real == pytest.approx(3 * 0.05 * 4.18 / (16 * math.pi**2) * math.log((mR / mS) ** 2), rel=5e-4)


def test_double_vs_mp_50_digits_random_complex_points():
    rng = np.random.default_rng(7)
    y1 = rng.normal(size=4) + 1j * rng.normal(size=4)
    y2 = rng.normal(size=4) + 1j * rng.normal(size=4)
    mS = np.array([100.0, 950.0, 3e4, 1e5])
    mR = mS * (1 + np.array([0.0, 1e-9, -3e-7, 0.4]))
    p = voloshin_split(mS, mR, y1, y2, "e", m_b=np.array([1.0, 4.18, 2.41, 5.0]))
    a = compute_moments(p)
    b = compute_moments(p, precision="mp", dps=50)
    np.testing.assert_allclose(a.mu_muB, b.mu_muB, rtol=1e-13, atol=0)
    np.testing.assert_allclose(a.m_nuN_GeV, b.m_nuN_GeV, rtol=1e-12, atol=0)
    assert np.array_equal(a.uv_divergent, b.uv_divergent)
    assert a.mu_muB.shape == (4, 3, 3)


def test_phase_convention_mu_is_proportional_to_conj_c():
    # rephasing N -> e^{i theta} N multiplies c by e^{i theta}; the coefficient of nubar N must get e^{-i theta}
    base = compute_moments(voloshin(1000.0, 0.05, 1.0, "mu")).mu_muB[MU, N1]
    ph = np.exp(0.7j)
    rot = compute_moments(voloshin(1000.0, 0.05 * np.conj(ph), 1.0, "mu"))  # c = y1^* y2 -> c e^{+0.7i}
    c_S, _ = coupling_products(voloshin(1000.0, 0.05 * np.conj(ph), 1.0, "mu"))
    assert np.angle(c_S[2, MU, N1]) == pytest.approx(0.7)
    assert rot.mu_muB[MU, N1] == pytest.approx(base * np.conj(ph), rel=1e-14)


def test_quark_basis_independence():
    p = voloshin_split(1200.0, 1300.0, 0.3 + 0.1j, 0.8, "tau")
    up = p.to_quark_basis("up")
    a, b = compute_moments(p), compute_moments(up)
    np.testing.assert_allclose(a.mu_muB, b.mu_muB, rtol=1e-12, atol=1e-30)
    np.testing.assert_allclose(a.m_nuN_GeV, b.m_nuN_GeV, rtol=1e-10, atol=1e-25)


def test_flavour_sum_includes_light_quarks():
    # a coupling through the s quark only: mu uses m_s and g(m_s^2/m^2)
    p = voloshin(1000.0, 0.05, 1.0, "mu")
    y_LL = np.zeros((3, 3), complex)
    ybar = np.zeros((3, 3), complex)
    y_LL[1, MU], ybar[1, N1] = 1.0, 0.05
    from lqmodel.point import Point

    q = Point(m_S1=1000.0, m_R2=1000.0, y_LL=y_LL, ybar_RR=ybar)
    mu = compute_moments(q).mu_muB[MU, N1]
    from observables.parameters import value

    ms = value("m_s_MSbar_2GeV")
    assert mu.real == pytest.approx(float(mu_nu_muB(0.05, 0.0, ms, 1000.0, 1000.0).real), rel=1e-14)
    assert mu.real / compute_moments(p).mu_muB[MU, N1].real == pytest.approx(
        ms * highprec.loop_function("g", (ms / 1e3) ** 2) / (4.18 * highprec.loop_function("g", (4.18 / 1e3) ** 2)) / 2,
        rel=1e-12,
    )


def test_batched_points_and_vary():
    base = voloshin(1000.0, 0.05, 1.0, "mu")
    pts = vary(base, {"m_LQ": np.geomspace(100.0, 1e5, 11), "y1": np.linspace(0.01, 0.1, 11)})
    m = compute_moments(pts)
    assert m.mu_muB.shape == (11, 3, 3) and m.abs_mu_muB.shape == (11, 3, 3)
    for i in (0, 5, 10):
        single = compute_moments(pts[i])
        assert m.mu_muB[i, MU, N1] == pytest.approx(single.mu_muB[MU, N1], rel=1e-15)
    assert np.all(m.m_nuN_GeV[:, MU, N1] == 0.0)


def test_low_level_functions_vectorised():
    c = np.linspace(0.01, 0.1, 5)
    out = mu_nu_muB(c, c, 4.18, 1000.0, 1000.0)
    assert out.shape == (5,)
    m, div = m_nuN_GeV(c, 1.5 * c, 4.18, 1000.0, 1000.0)
    assert np.all(div) and np.all(np.isnan(m))
    m, div = m_nuN_GeV(c, c, 4.18, 1000.0, 1000.0)
    assert not np.any(div) and np.all(m == 0)
    with pytest.raises(ValueError, match="m_S1 must be positive"):
        mu_nu_muB(0.1, 0.1, 4.18, -1.0, 1000.0)


def test_kappa_warns_and_bad_precision():
    p = voloshin(1000.0, 0.05, 1.0, "mu", kappa=10.0)
    with pytest.warns(KappaNotIncludedWarning, match="Majorana"):
        compute_moments(p)
    with pytest.raises(ValueError, match="unknown precision"):
        compute_moments(voloshin(1000.0, 0.05, 1.0, "mu"), precision="quad")
    with pytest.raises(ValueError, match="kappa too large"):
        compute_moments(voloshin(1000.0, 0.05, 1.0, "mu", kappa=6000.0))


def _brute_force_kappa(mS, mR, kappa, c, m_b=4.18):
    """Independent route: numpy eigh of the 2x2 mass matrix, then mpmath sums of the propagator-weighted
    loop functions (mu) and of the weighted B0's (m_nuN; the pole cancels for c_R = c_S)."""
    from observables.parameters import value

    v = (math.sqrt(2) * value("G_F")) ** -0.5
    lam, U = np.linalg.eigh(np.array([[mS**2, kappa * v / math.sqrt(2)], [kappa * v / math.sqrt(2), mR**2]]))
    wS, wR = U[0] ** 2, U[1] ** 2
    with mpmath.workdps(50):
        me = mpmath.mpf(value("m_e"))
        mu = me * m_b / (8 * mpmath.pi**2) * c * sum(
            (wS[i] + wR[i]) * highprec.loop_function("g", m_b**2 / mpmath.mpf(lam[i])) / lam[i] for i in range(2))
        b0 = [1 - highprec.F(m_b, mpmath.sqrt(lam[i])) for i in range(2)]
        m = -3 * m_b / (16 * mpmath.pi**2) * c * sum((wR[i] - wS[i]) * b0[i] for i in range(2))
    return float(mu), float(m)


@pytest.mark.parametrize("mS,mR,kappa", [(1000.0, 1100.0, 200.0), (1100.0, 1000.0, -300.0), (1500.0, 1500.0, 100.0),
                                         (800.0, 2000.0, 1000.0)])
def test_kappa_mixing_vs_brute_force_diagonalisation(mS, mR, kappa):
    p = voloshin_split(mS, mR, 0.05, 1.0, "mu", kappa=kappa)
    with pytest.warns(KappaNotIncludedWarning):
        got = compute_moments(p)
    mu_ref, m_ref = _brute_force_kappa(mS, mR, kappa, 0.05)
    assert got.mu_muB[MU, N1].real == pytest.approx(mu_ref, rel=1e-12)
    if mS == mR:
        # SU(2)_H-symmetric diagonal masses: kappa alone (the T^+- spurion) gives no Dirac nu-N mass
        assert got.m_nuN_GeV[MU, N1] == 0.0
        assert abs(m_ref) < 1e-25
    else:
        assert got.m_nuN_GeV[MU, N1].real == pytest.approx(m_ref, rel=1e-10)
    with pytest.warns(KappaNotIncludedWarning):
        mp = compute_moments(p, precision="mp")
    np.testing.assert_allclose(mp.mu_muB, got.mu_muB, rtol=1e-13, atol=0)
    np.testing.assert_allclose(mp.m_nuN_GeV, got.m_nuN_GeV, rtol=1e-12, atol=1e-40)


def test_kappa_to_zero_is_continuous():
    base = compute_moments(voloshin_split(1000.0, 1000.0 * (1 + 1e-7), 0.05, 1.0, "mu"))
    with pytest.warns(KappaNotIncludedWarning):
        small = compute_moments(voloshin_split(1000.0, 1000.0 * (1 + 1e-7), 0.05, 1.0, "mu", kappa=1e-9))
    assert small.mu_muB[MU, N1] == pytest.approx(base.mu_muB[MU, N1], rel=1e-13)
    assert small.m_nuN_GeV[MU, N1] == pytest.approx(base.m_nuN_GeV[MU, N1], rel=1e-6)
