"""loops.numeric (double) against mpmath at 50 digits (loops.highprec) and against mpmath.quad of the
Feynman-parameter integrals (independent of every closed form), over the whole range users reach:
m_LQ 100 GeV - 100 TeV, m_q 1 - 5 GeV (x down to 1e-10), x -> 1, x > 1, near-degenerate and degenerate masses.
"""
from __future__ import annotations

import mpmath
import numpy as np
import pytest

from loops import highprec, numeric
from loops.integrands import LOOP_FUNCTIONS

NAMES = sorted(LOOP_FUNCTIONS)
X_GRID = [1e-10, 1e-9, 2.5e-7, 1e-4, 0.01, 0.3, 0.49999, 0.5, 0.50001, 0.9, 0.999, 1 - 1e-7, 1 - 1e-13, 1.0,
          1 + 1e-13, 1 + 1e-7, 1.001, 1.2, 1.49999, 1.5, 1.50001, 2.0, 10.0, 1e3, 1e6]


@pytest.mark.parametrize("name", NAMES)
def test_numeric_vs_mpmath_50_digits(name):
    got = numeric.loop_function(name, np.array(X_GRID))
    ref = np.array([float(highprec.loop_function(name, mpmath.mpf(xv), dps=50)) for xv in X_GRID])
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("xv", ["1e-10", "0.5", "1", "1.0000001", "40"])
def test_highprec_vs_quadrature_of_integrand(name, xv):
    a = highprec.loop_function(name, xv, dps=50)
    b = highprec.quad_loop_function(name, xv, dps=50)
    assert abs(a - b) <= mpmath.mpf(10) ** -45 * abs(b)


def test_physical_grid_mLQ_and_mq():
    # m_q 1..5 GeV, m_LQ 100 GeV .. 100 TeV: x from 1e-10 to 2.5e-3
    mq = np.array([1.0, 2.41, 4.18, 5.0])[:, None]
    mlq = np.geomspace(100.0, 1e5, 7)[None, :]
    x = (mq / mlq) ** 2
    got = numeric.g(x)
    ref = np.vectorize(lambda v: float(highprec.loop_function("g", mpmath.mpf(v), 50)))(x)
    np.testing.assert_allclose(got, ref, rtol=1e-14)
    assert got.shape == (4, 7)


def test_bp2_loop_factor():
    # docs/theory.md §b.5: g(x_b) = 9.955253 (m_b = 4.18, m = 1 TeV) and 11.053655 (m_b = 2.4133)
    assert float(numeric.g((4.18 / 1000.0) ** 2)) == pytest.approx(9.955253, abs=5e-7)
    assert float(numeric.g((2.4133 / 1000.0) ** 2)) == pytest.approx(11.053655, abs=5e-7)


def test_both_sides_of_the_series_boundary():
    r = numeric.SERIES_RADIUS
    pts = [1 + s * r * (1 + t) for s in (1, -1) for t in (-1e-12, 0.0, 1e-12)]
    for name in NAMES:
        got = numeric.loop_function(name, np.array(pts))
        ref = [float(highprec.loop_function(name, mpmath.mpf(p), 40)) for p in pts]
        np.testing.assert_allclose(got, ref, rtol=1e-13)


@pytest.mark.parametrize("rel", [0.0, 1e-15, 1e-12, 1e-9, 1e-6, 1e-3, 0.3, 0.6, 3.0, -1e-9, -0.4])
@pytest.mark.parametrize("m_q,M2", [(4.18, 1000.0), (1.0, 1e5), (5.0, 100.0), (4.18, 4.18), (4.18, 4.0)])
def test_delta_F_vs_mpmath(rel, m_q, M2):
    M1 = M2 * (1 + rel)
    got = float(numeric.delta_F(m_q, M1, M2))
    if rel == 0.0:
        assert got == 0.0  # exactly degenerate: exactly zero, no NaN
        return
    # reference with the float inputs taken exactly (the splitting is what the user gave)
    ref = highprec.delta_F(mpmath.mpf(m_q), mpmath.mpf(M1), mpmath.mpf(M2), dps=50)
    assert abs(got - float(ref)) <= 1e-13 * abs(float(ref))


@pytest.mark.parametrize("rel", [1e-9, 1e-4, 0.5])
def test_B0_difference_vs_quadrature(rel):
    # independent of the closed form of F: quadrature of the B0 Feynman-parameter integrand
    M2 = 1000.0
    M1 = M2 * (1 + rel)
    ref = highprec.quad_B0_difference(4.18, M1, M2, dps=40)
    assert float(numeric.B0_zero_difference(4.18, M1, M2)) == pytest.approx(float(ref), rel=1e-13)


def test_B0_finite_part():
    # B0(0; m^2, M^2) - Delta at mu = M: 1 - F + ln M^2
    val = numeric.B0_zero_finite(4.18, 1000.0, 1000.0)
    ref = 1 - highprec.F(4.18, 1000.0) + mpmath.log(mpmath.mpf(1000.0) ** 2)
    assert float(val) == pytest.approx(float(ref), rel=1e-14)
    # F is continuous at M = m: F = ln m^2 + 1
    assert float(numeric.F(3.0, 3.0)) == pytest.approx(np.log(9.0) + 1, rel=1e-15)


def test_h_is_antiderivative_of_g():
    # h' = g (the identity behind the divided difference of delta_F), symbolically
    import sympy as sp

    x = sp.Symbol("x", positive=True)
    h = x * sp.log(x) / (x - 1)
    assert sp.simplify(sp.diff(h, x) - (x - 1 - sp.log(x)) / (x - 1) ** 2) == 0


def test_vectorised_broadcasting_and_no_warnings():
    m = np.geomspace(100.0, 1e5, 50)
    out = numeric.delta_F(4.18, m[:, None], m[None, :])
    assert out.shape == (50, 50)
    assert np.all(np.diag(out) == 0.0)
    np.testing.assert_allclose(out, -out.T, rtol=1e-12, atol=1e-300)
    assert np.all(np.isfinite(numeric.g(np.geomspace(1e-12, 1e6, 1000))))


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_bad_x_is_refused(bad):
    with pytest.raises(ValueError, match="x = m_F"):
        numeric.g(np.array([0.5, bad]))
