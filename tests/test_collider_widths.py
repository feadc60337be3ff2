"""lqmodel.collider.widths against an independent evaluation: explicit 4x4 Dirac matrices and spinors,
the spin sum of |M|^2 done numerically, and the two-body phase space integrated from the delta function
(energy root and Jacobian found numerically, angles by quadrature). Also: widths sum to the total, BRs
sum to one, the coupling -> channel map of the Lagrangian, the batch against scalar points, the
broad-width warning."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from lqmodel.collider.widths import (
    FIELDS,
    BroadWidthWarning,
    decay_widths,
    fermion_masses,
    two_body_width,
)
from lqmodel.models import voloshin
from lqmodel.point import Point, vary
from observables.parameters import ckm_matrix, value

# ---------------------------------------------------------------- explicit Dirac algebra (Dirac rep.)
I2, Z2 = np.eye(2), np.zeros((2, 2))
SIG = [np.array([[0, 1], [1, 0]], complex), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]], complex)]
G0 = np.block([[I2, Z2], [Z2, -I2]]).astype(complex)
G = [np.block([[Z2, s], [-s, Z2]]) for s in SIG]
G5 = 1j * G0 @ G[0] @ G[1] @ G[2]
PL, PR = (np.eye(4) - G5) / 2, (np.eye(4) + G5) / 2


def _u(p3, m, s):
    E = math.sqrt(p3 @ p3 + m * m)
    chi = np.eye(2)[s].astype(complex)
    sp = sum(p3[k] * SIG[k] for k in range(3))
    return math.sqrt(E + m) * np.concatenate([chi, sp @ chi / (E + m)])


def _v(p3, m, s):
    E = math.sqrt(p3 @ p3 + m * m)
    eta = np.eye(2)[s].astype(complex)
    sp = sum(p3[k] * SIG[k] for k in range(3))
    return math.sqrt(E + m) * np.concatenate([sp @ eta / (E + m), eta])


def _spin_sum(p3, m1, m2, l, r):
    """sum over spins of |ubar(p1) (l PL + r PR) v(p2)|^2 with p1 = p3, p2 = -p3."""
    vertex = l * PL + r * PR
    tot = 0.0
    for s1 in range(2):
        ub = _u(p3, m1, s1).conj() @ G0
        for s2 in range(2):
            tot += abs(ub @ vertex @ _v(-p3, m2, s2)) ** 2
    return tot


def _width_numeric(m, m1, m2, l, r, n_cos=6, n_phi=5):
    """Gamma = 1/(2m) Int dPhi_2 sum|M|^2, dPhi_2 from the delta function done numerically."""
    if m <= m1 + m2:
        return 0.0
    energy = lambda p: math.sqrt(p * p + m1 * m1) + math.sqrt(p * p + m2 * m2) - m  # noqa: E731
    p = brentq(energy, 0.0, m, xtol=1e-14 * m, rtol=1e-15)
    h = 1e-6 * m
    dE_dp = (energy(p + h) - energy(p - h)) / (2 * h)
    E1, E2 = math.sqrt(p * p + m1 * m1), math.sqrt(p * p + m2 * m2)
    # (2pi)^4 delta^4 d^3p1/((2pi)^3 2E1) d^3p2/((2pi)^3 2E2) -> p^2 dOmega / (4 E1 E2 (2pi)^2 |dE/dp|)
    dphi_domega = p * p / (4 * E1 * E2 * (2 * math.pi) ** 2 * dE_dp)
    x, wx = np.polynomial.legendre.leggauss(n_cos)
    total = 0.0
    for c, wc in zip(x, wx, strict=True):
        st = math.sqrt(1 - c * c)
        for k in range(n_phi):
            ph = 2 * math.pi * (k + 0.5) / n_phi
            p3 = p * np.array([st * math.cos(ph), st * math.sin(ph), c])
            total += wc * (2 * math.pi / n_phi) * _spin_sum(p3, m1, m2, l, r)
    return total * dphi_domega / (2 * m)


M_T = value("m_t_pole")
CASES = [  # (m, m1, m2, l, r)
    (1000.0, M_T, value("m_mu"), 0.7 + 0.2j, -0.4 + 0.9j),   # S1 -> t mu, both chiralities, interference
    (1500.0, M_T, 300.0, 0.0, 1.1 - 0.3j),                    # R2~(2/3) -> t N, massive N
    (800.0, value("m_b_pole"), 250.0, 0.0, 0.5),              # bN with heavy N
    (400.0, M_T, 200.0, 1.3, 0.8j),                           # near threshold, complex phases
    (350.0, M_T, 170.0, 1.0, -1.0),                           # just above threshold, destructive Re(l r*)
    (2000.0, 0.0, 0.0, 0.3, 0.0),                             # massless limit
]


@pytest.mark.parametrize("m, m1, m2, l, r", CASES)
def test_two_body_width_matches_explicit_dirac_spinors(m, m1, m2, l, r):
    expected = _width_numeric(m, m1, m2, l, r)
    got = float(two_body_width(m, m1, m2, l, r))
    assert got == pytest.approx(expected, rel=1e-9)


def test_massless_limit_and_threshold():
    # massless: m (|l|^2 + |r|^2) / (16 pi) (arXiv:1603.04993, leptoquark decays)
    assert float(two_body_width(1234.0, 0.0, 0.0, 0.6, 0.8)) == pytest.approx(1234.0 * 1.0 / (16 * math.pi), rel=1e-14)
    assert float(two_body_width(300.0, M_T, 200.0, 1.0, 1.0)) == 0.0  # closed
    # broadcasting over masses
    g = two_body_width(np.array([500.0, 1000.0, 2000.0]), M_T, 0.0, 1.0, 0.0)
    assert g.shape == (3,) and np.all(np.diff(g) > 0)


def _s1_point(**kw):
    return Point(m_S1=kw.pop("m", 1000.0), m_R2=1000.0, model="general", **kw)


def test_couplings_to_channels_follow_the_lagrangian():
    fm = fermion_masses()
    V = ckm_matrix()
    # y_LL[b, tau] = 0.8 (down basis): S1 -> u_i tau with V*_{ib} 0.8, and b nu with 0.8 (l couplings)
    y = np.zeros((3, 3), complex)
    y[2, 2] = 0.8
    w = decay_widths(_s1_point(y_LL=y, m=1200.0))
    for i, q in enumerate("uct"):
        exp = _width_numeric(1200.0, fm[q], fm["tau"], np.conj(V[i, 2]) * 0.8, 0.0)
        assert float(w.partial["S1"][f"{q} tau"]) == pytest.approx(exp, rel=1e-9)
    assert float(w.partial["S1"]["b nu"]) == pytest.approx(_width_numeric(1200.0, fm["b"], 0.0, 0.8, 0.0), rel=1e-9)
    assert float(w.partial["S1"]["s nu"]) == 0.0
    # ybar_RR[s, N2] with M_N = 150 GeV: S1 -> s N2 (r coupling); R2~ untouched
    yb = np.zeros((3, 3), complex)
    yb[1, 1] = 0.3
    w = decay_widths(Point(m_S1=900.0, m_R2=1000.0, ybar_RR=yb, M_N=150.0))
    assert float(w.partial["S1"]["s N2"]) == pytest.approx(_width_numeric(900.0, fm["s"], 150.0, 0.0, 0.3), rel=1e-9)
    assert float(w.total["R2t(2/3)"]) == 0.0 and float(w.total["R2t(-1/3)"]) == 0.0
    # yt_LR[b, N1] = 1 (down basis): R2~(2/3) -> u_i N1 with (V yt)_{i0} = V_ib, R2~(-1/3) -> b N1
    # yt_RL[b, mu] = 0.05: R2~(2/3) -> b mu (r2_d_eL = -yt_RL), R2~(-1/3) -> b nu
    yl = np.zeros((3, 3), complex)
    yl[2, 0] = 1.0
    yr = np.zeros((3, 3), complex)
    yr[2, 1] = 0.05
    w = decay_widths(Point(m_S1=1000.0, m_R2=1100.0, m_R2_23=1300.0, yt_LR=yl, yt_RL=yr, M_N=20.0))
    assert float(w.partial["R2t(2/3)"]["t N1"]) == pytest.approx(
        _width_numeric(1300.0, fm["t"], 20.0, 0.0, V[2, 2]), rel=1e-9)
    assert float(w.partial["R2t(2/3)"]["b mu"]) == pytest.approx(
        _width_numeric(1300.0, fm["b"], fm["mu"], 0.05, 0.0), rel=1e-9)
    assert float(w.partial["R2t(-1/3)"]["b N1"]) == pytest.approx(
        _width_numeric(1100.0, fm["b"], 20.0, 0.0, 1.0), rel=1e-9)
    assert float(w.partial["R2t(-1/3)"]["b nu"]) == pytest.approx(
        _width_numeric(1100.0, fm["b"], 0.0, 0.05, 0.0), rel=1e-9)
    assert float(w.total["S1"]) == 0.0


def test_s1_top_interference_with_both_chiralities():
    # y_LL[t-row via V] and y_RR[t, mu] together: the u-channel has l and r; compare with the spinor sum
    fm = fermion_masses()
    V = ckm_matrix()
    yll = np.zeros((3, 3), complex)
    yll[2, 1] = 1.2 + 0.5j
    yrr = np.zeros((3, 3), complex)
    yrr[2, 1] = -0.9 + 0.4j
    w = decay_widths(_s1_point(y_LL=yll, y_RR=yrr, m=700.0))
    l = (V.conj() @ yll)[2, 1]
    assert float(w.partial["S1"]["t mu"]) == pytest.approx(
        _width_numeric(700.0, fm["t"], fm["mu"], l, yrr[2, 1]), rel=1e-9)


def test_widths_sum_to_total_and_brs_to_one():
    rng = np.random.default_rng(7)
    mats = {k: 0.3 * (rng.normal(size=(5, 3, 3)) + 1j * rng.normal(size=(5, 3, 3)))
            for k in ("y_LL", "y_RR", "ybar_RR", "yt_RL", "yt_LR")}
    p = Point(m_S1=np.linspace(400, 2500, 5), m_R2=1500.0, m_R2_23=np.full(5, 900.0), M_N=60.0, **mats)
    w = decay_widths(p, warn=False)  # random O(1) matrices: Gamma/m ~ 0.2
    brs = w.branching_ratios()
    for f in FIELDS:
        parts = np.sum(list(w.partial[f].values()), axis=0)
        np.testing.assert_allclose(parts, w.total[f], rtol=1e-13)
        np.testing.assert_allclose(np.sum(list(brs[f].values()), axis=0), 1.0, rtol=1e-13)
        assert w.total[f].shape == (5,)


def test_batch_equals_scalar_points():
    base = voloshin(1000.0, 0.05, 1.0, "mu")
    p = vary(base, {"m_LQ": np.array([800.0, 1000.0, 2000.0]), "y2": np.array([0.5, 1.0, 1.5])})
    w = decay_widths(p)
    for k in range(3):
        wk = decay_widths(p[k])
        for f in FIELDS:
            assert float(w.total[f][k]) == pytest.approx(float(wk.total[f]), rel=1e-14)
            for c in w.partial[f]:
                assert float(w.partial[f][c][k]) == pytest.approx(float(wk.partial[f][c]), rel=1e-14, abs=0)


def test_bp2_branching_ratios():
    # BP2: y1 = 0.05 (ybar_RR[b,N1], yt_RL[b,mu] = -0.05), y2 = 1 (y_LL[b,mu], yt_LR[b,N1] = -1), 1 TeV
    fm = fermion_masses()
    V = ckm_matrix()
    w = decay_widths(voloshin(1000.0, 0.05, 1.0, "mu"))
    br = w.branching_ratios()
    # independent: the spinor-sum widths of the three open S1 channel groups
    g_tmu = sum(_width_numeric(1000.0, fm[q], fm["mu"], np.conj(V[i, 2]), 0.0) for i, q in enumerate("uct"))
    g_bnu = _width_numeric(1000.0, fm["b"], 0.0, 1.0, 0.0)
    g_bN = _width_numeric(1000.0, fm["b"], 0.0, 0.0, 0.05)
    assert float(w.total["S1"]) == pytest.approx(g_tmu + g_bnu + g_bN, rel=1e-9)
    assert float(br["S1"]["b N1"]) == pytest.approx(g_bN / (g_tmu + g_bnu + g_bN), rel=1e-9)
    assert float(br["R2t(2/3)"]["t N1"]) > 0.99 and float(br["R2t(-1/3)"]["b N1"]) > 0.99


def test_broad_width_warning():
    y = np.zeros((3, 3))
    y[2, 1] = 3.0  # Gamma/m ~ 2 * 9/(16 pi) ~ 0.36
    with pytest.warns(BroadWidthWarning, match="Gamma/m"):
        w = decay_widths(_s1_point(y_LL=y))
    assert float(w.gamma_over_m()["S1"]) > 0.1
    y[2, 1] = 1.0
    decay_widths(_s1_point(y_LL=y))  # no warning (warnings are errors in the test run)
