"""loops: symbolic derivation from the Feynman-parameter representation, checked against independent
references: the published closed forms of arXiv:1603.04993 (as quoted in docs/theory.md §b.1/§c.5), the known
leptoquark g-2 factors 7/4 (S1, top) and 1/4 (R2, top), the SM-Higgs g-2 integrand (Jegerlehner-Nyffeler
arXiv:0902.3360), mpmath quadrature, and standard Passarino-Veltman closed forms (Denner arXiv:0709.1075).
"""
from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp

from loops import dipole, pv, symbolic
from loops.integrands import LOOP_FUNCTIONS, canonical_name, series_coefficients

x = symbolic.X

# Published closed forms (arXiv:1603.04993 as quoted in docs/theory.md §b.1 and §c.5) -- typed independently
PUBLISHED = {
    "g": 1 / (x - 1) - sp.log(x) / (x - 1) ** 2,
    "g_F": (x - 3) / (2 * (x - 1) ** 2) + sp.log(x) / (x - 1) ** 3,
    "f_F": (x**2 - 5 * x - 2) / (12 * (x - 1) ** 3) + x * sp.log(x) / (2 * (x - 1) ** 4),
    "f_S": (x + 1) / (4 * (1 - x) ** 2) + x * sp.log(x) / (2 * (1 - x) ** 3),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_closed_forms_equal_published(name):
    assert sp.simplify(symbolic.loop_function(name) - PUBLISHED[name]) == 0


def test_photon_on_scalar_integral_matches_physics_md():
    # docs/theory.md §b.1: photon on the scalar = int t(1-t)/(t + x(1-t)) dt (t = scalar weight)
    t = sp.Symbol("t", positive=True)
    for xv in (sp.Rational(1, 1000), sp.Rational(1, 3), sp.Integer(7)):
        ref = sp.integrate(t * (1 - t) / (t + xv * (1 - t)), (t, 0, 1))
        assert abs(float(symbolic.loop_function("g_phi", xv) - ref)) < 1e-14


def test_sum_rules():
    f = symbolic.loop_function
    assert sp.simplify(f("g_F") + f("g_phi") - f("g")) == 0
    assert sp.simplify(f("f_F") + f("f_phi") - f("f_S")) == 0


@pytest.mark.parametrize("name", sorted(LOOP_FUNCTIONS))
@pytest.mark.parametrize("xv", ["1e-8", "0.02", "0.7", "3.5"])
def test_closed_form_vs_quadrature(name, xv):
    closed = symbolic.loop_function(name)
    with mpmath.workdps(40):
        val = sp.N(closed.subs(x, sp.Float(xv, 45)), 40)
        p = [mpmath.mpf(c.numerator) / c.denominator for c in LOOP_FUNCTIONS[name]]
        xm = mpmath.mpf(xv)
        ref = mpmath.quad(lambda u: mpmath.polyval(p[::-1], u) / (1 - u + xm * u), [0, 0.5, 0.9, 0.99, 0.999, 1])
        assert abs(mpmath.mpf(str(val)) - ref) < mpmath.mpf(10) ** -25 * abs(ref)


def test_limits_of_physics_md_b1():
    # g(x) -> ln(1/x) - 1, g_F -> ln(1/x) - 3/2, g(1) = 1/2, g(1+e) = 1/2 - e/3 + e^2/4
    assert symbolic.small_x_expansion("g", 1) == -sp.log(x) - 1
    assert symbolic.small_x_expansion("g_F", 1) == -sp.log(x) - sp.Rational(3, 2)
    assert sp.limit(symbolic.small_x_expansion("g_phi", 1), x, 0) == sp.Rational(1, 2)
    eps = sp.Symbol("eps", real=True)
    assert symbolic.expansion_at_one("g", 3) == sp.Rational(1, 2) - eps / 3 + eps**2 / 4
    # the exact rational series coefficients used by the numerics agree with sympy's expansion
    for name in ("g_F", "f_S", "f_phi"):
        ser = sp.Poly(symbolic.expansion_at_one(name, 6), eps).all_coeffs()[::-1]
        assert [sp.Rational(c.numerator, c.denominator) for c in series_coefficients(name, 6)] == ser
    # and the closed form's limit at x = 1 is the series' constant term
    for name in LOOP_FUNCTIONS:
        c0 = series_coefficients(name, 1)[0]
        assert sp.limit(symbolic.loop_function(name), x, 1) == sp.Rational(c0.numerator, c0.denominator)


def _leading_log(Q_F, Q_phi):
    mt, M = sp.symbols("m_t M", positive=True)
    res = dipole.scalar_fermion_dipole(Q_F, Q_phi, 3, mt, M, 1, 1)
    G = res.enhanced.subs(mt, sp.sqrt(x) * M)
    return sp.expand(sp.series(G, x, 0, 1).removeO())


def test_g2_leptoquark_factors_S1_top():
    # mu^- -> t^C (-2/3) + S1^* (-1/3): (2/3)(ln(m^2/m_t^2) - 7/4)  [docs/theory.md §b.1, §c.5; 1603.04993]
    G = _leading_log(sp.Rational(-2, 3), sp.Rational(-1, 3))
    assert sp.simplify(G - (-sp.Rational(2, 3)) * (-sp.log(x) - sp.Rational(7, 4))) == 0


def test_g2_leptoquark_factors_R2_top():
    # mu^- -> t (+2/3) + R2^(-5/3): (2/3)(ln(m^2/m_t^2) - 1/4)
    G = _leading_log(sp.Rational(2, 3), sp.Rational(-5, 3))
    assert sp.simplify(G - sp.Rational(2, 3) * (-sp.log(x) - sp.Rational(1, 4))) == 0


def test_relative_sign_matters():
    # the opposite relative sign of the two diagrams would give 5/4, not 7/4: the test above can fail
    G_wrong = (-sp.Rational(2, 3) * symbolic.small_x_expansion("g_F", 1)
               - sp.Rational(1, 3) * symbolic.small_x_expansion("g_phi", 1))
    assert sp.simplify(G_wrong - (-sp.Rational(2, 3)) * (-sp.log(x) - sp.Rational(5, 4))) == 0


def test_higgs_g2_limit_fixes_enhanced_vs_nonenhanced_sign():
    # Neutral scalar h coupling to the muon itself (a = b = y): textbook one-loop integrand
    # Delta a = y^2/(8 pi^2) int_0^1 dz z^2 (2 - z) / (z^2 + (1 - z) m_h^2/m_mu^2)   [arXiv:0902.3360 Sec. 7]
    # Our heavy-mass formula (m_ext neglected in the denominator) must agree at leading power.
    mmu, mh = 0.1056583755, 125.0
    y = 1.0
    da = dipole.anomalous_moment(-1, -1, 0, 1, mmu, mh, y, y, mmu)
    ref = y**2 / (8 * math.pi**2) * mpmath.quad(lambda z: z**2 * (2 - z) / (z**2 + (1 - z) * (mh / mmu) ** 2), [0, 1])
    assert float(da) == pytest.approx(float(ref), rel=5e-5)  # relative corrections O(m_mu^2/m_h^2 log)


def test_neutrino_moment_from_the_generic_engine_b_in_loop():
    # docs/theory.md §b.1: mu = e N_c Q m_q Re(ab*) g(x)/(16 pi^2 m^2) with N_c |Q_b| = 1
    mb, m = sp.symbols("m_b m", positive=True)
    res = dipole.scalar_fermion_dipole(sp.Rational(1, 3), sp.Rational(-1, 3), 3, mb, m, 1, 1)
    expected = -dipole.E * mb * symbolic.loop_function("g", mb**2 / m**2) / (16 * sp.pi**2 * m**2)
    assert sp.simplify(res.mu - expected) == 0


def test_B0_zero_closed_form_and_feynman_representation():
    m1, m2 = sp.symbols("m1 m2", positive=True)
    b0 = pv.B0_zero(m1, m2)
    assert sp.simplify(b0 - (pv.DELTA + 1 - pv.F_closed(m1, m2) + sp.log(pv.MU**2))) == 0
    # numerically against quadrature of the general-p^2 Feynman form at p^2 = 0
    vals = {m1: 4.18, m2: 1000.0, pv.MU: 91.0, pv.DELTA: 0}
    quad = float(sp.N(pv.B0_feynman(0, m1, m2).subs(vals).doit()))
    assert float(b0.subs(vals)) == pytest.approx(quad, rel=1e-12)


def test_A0():
    m = sp.Symbol("m", positive=True)
    # A0 = m^2 (B0(0; m^2, 0) + ...) identity: A0(m) = m^2 (Delta + 1 - ln(m^2/mu^2))
    assert sp.simplify(sp.diff(pv.A0(m), pv.DELTA) - m**2) == 0
    assert sp.simplify(pv.A0(m).subs({pv.DELTA: 0, pv.MU: m}) - m**2) == 0


@pytest.mark.parametrize("p2", [0.5, 2.0, 3.9])
def test_B0_general_p2_equal_masses(p2):
    # Standard closed form below threshold (0 < p^2 < 4 m^2), e.g. Denner arXiv:0709.1075 (B0 with equal masses):
    # B0 - Delta = 2 - ln(m^2/mu^2) - 2 beta arctan(1/beta), beta = sqrt(4 m^2/p^2 - 1)
    m, mu = 1.0, 1.0
    beta = math.sqrt(4 * m**2 / p2 - 1)
    ref = 2 - math.log(m**2 / mu**2) - 2 * beta * math.atan(1 / beta)
    val = pv.B0_numeric(p2, m, m, mu)
    assert val.real == pytest.approx(ref, rel=1e-12) and abs(val.imag) < 1e-12


def test_B0_above_threshold_imaginary_part():
    # Im B0(p^2; m, m) = pi * sqrt(1 - 4 m^2/p^2) above threshold
    val = pv.B0_numeric(9.0, 1.0, 1.0, 1.0)
    assert val.imag == pytest.approx(math.pi * math.sqrt(1 - 4 / 9.0), rel=1e-8)


@pytest.mark.parametrize("masses", [(1.0, 2.0, 3.0), (4.18, 1000.0, 1200.0), (1.0, 1.0, 1.0), (2.0, 2.0, 5.0),
                                    (1.0, 1.00001, 2.0)])
def test_C0_zero_momenta(masses):
    assert pv.C0_zero_momenta(*masses) == pytest.approx(pv.C0_zero_momenta_quad(*masses), rel=1e-10)


def test_unknown_loop_function():
    with pytest.raises(KeyError, match="Did you mean g_F"):
        canonical_name("gF")
