r"""Cross sections of observables.neutrino.cross_sections against independent references:

* the massless limit (pi alpha^2/m_e^2)(mu/mu_B)^2 (1/E_r - 1/E_nu), pi alpha^2/m_e^2 = 2.4947e-25 cm^2, and
  the docs/theory.md §d.1 test value 8.25321e-48 cm^2/keV;
* the squared matrix element computed here from explicit 4x4 Dirac matrices and spin traces (numpy), for
  the dipole operator (mu/2) nubar_L sigma^{mu nu} N_R F_{mu nu} + h.c. with a massive N, at points inside
  the physical region including both kinematic endpoints;
* the total cross section obtained by integrating that |M|^2 over the centre-of-mass angle
  (Gauss-Legendre) versus scipy.quad of the closed formula over E_r;
* the SM nu e cross section against the same trace machinery with the four-fermion amplitude.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from observables.neutrino import cross_sections as cs
from observables.neutrino import kinematics as kin

ME = 0.51099895e-3
ALPHA = 1 / 137.035999084
MUB = math.sqrt(4 * math.pi * ALPHA) / (2 * ME)   # GeV^-1
GF = 1.1663788e-5
KEV = 1e-6

# ---- explicit Dirac algebra (Dirac representation), metric (+,-,-,-) -------------------------------
_I2 = np.eye(2)
_Z2 = np.zeros((2, 2))
_PAULI = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
G = [np.block([[_I2, _Z2], [_Z2, -_I2]]).astype(complex)] + [
    np.block([[_Z2, s], [-s, _Z2]]).astype(complex) for s in _PAULI]
G5 = 1j * G[0] @ G[1] @ G[2] @ G[3]
PL, PR = (np.eye(4) - G5) / 2, (np.eye(4) + G5) / 2
ETA = np.diag([1.0, -1.0, -1.0, -1.0])
SIG = [[0.5j * (G[m] @ G[n] - G[n] @ G[m]) for n in range(4)] for m in range(4)]


def slash(p):
    return sum(ETA[m, m] * p[m] * G[m] for m in range(4))


def sig_q(q):
    """sigma^{mu nu} q_nu for mu = 0..3."""
    return [sum(SIG[m][n] * ETA[n, n] * q[n] for n in range(4)) for m in range(4)]


def contract(A, B):
    """A^{mu rho} B^{mu' rho'} g_{mu mu'} g_{rho rho'}."""
    return sum(ETA[m, m] * ETA[r, r] * A[m][r] * B[m][r] for m in range(4) for r in range(4))


def lab_momenta(E, Er, M):
    """nu(E) e(rest) -> N e'(m+Er) in the lab; electron angle from energy-momentum conservation."""
    pe = math.sqrt(Er**2 + 2 * ME * Er)
    c = (2 * E * Er + 2 * ME * Er + M**2) / (2 * E * pe)
    c = min(1.0, c)
    s = math.sqrt(max(0.0, 1 - c * c))
    p_nu = np.array([E, 0, 0, E])
    p_e = np.array([ME, 0, 0, 0])
    p_e2 = np.array([ME + Er, pe * s, 0, pe * c])
    p_N = p_nu + p_e - p_e2
    return p_nu, p_e, p_e2, p_N


def msq_moment(p_nu, p_e, p_e2, p_N, M, mu_nat):
    """Spin-summed |M|^2 (nu_L spin not averaged, electron spin averaged) for the dipole exchange."""
    q = p_nu - p_N
    t = q[0] ** 2 - q[1:] @ q[1:]
    e = math.sqrt(4 * math.pi * ALPHA)
    sq = sig_q(q)
    A = slash(p_N) + M * np.eye(4)
    LN = [[np.trace(A @ sq[m] @ PL @ slash(p_nu) @ PR @ sq[r]) for r in range(4)] for m in range(4)]
    B1, B2 = slash(p_e2) + ME * np.eye(4), slash(p_e) + ME * np.eye(4)
    Le = [[0.5 * np.trace(B1 @ G[m] @ B2 @ G[r]) for r in range(4)] for m in range(4)]
    val = (e * mu_nat) ** 2 / t**2 * contract(LN, Le)
    assert abs(val.imag) < 1e-9 * abs(val.real)
    return val.real


def msq_sm(p_nu, p_e, p_e2, p_nu2, gL, gR):
    """|M|^2 of nu e -> nu e with M = 2 sqrt2 G_F [u' g^mu P_L u][e' g_mu (gL P_L + gR P_R) e]."""
    Ln = [[np.trace(slash(p_nu2) @ G[m] @ PL @ slash(p_nu) @ PR @ G[r]) for r in range(4)] for m in range(4)]
    C = gL * PL + gR * PR
    Cb = gL * PR + gR * PL
    B1, B2 = slash(p_e2) + ME * np.eye(4), slash(p_e) + ME * np.eye(4)
    Le = [[0.5 * np.trace(B1 @ G[m] @ C @ B2 @ Cb @ G[r]) for r in range(4)] for m in range(4)]
    return (8 * GF**2 * contract(Ln, Le)).real


def trace_dsigma(E, Er, M, mu_muB):
    """d sigma/dE_r = |M|^2 / (32 pi m_e E^2) from the traces (GeV^-3)."""
    p = lab_momenta(E, Er, M)
    pN = p[3]
    assert pN[0] ** 2 - pN[1:] @ pN[1:] == pytest.approx(M**2, abs=1e-14)
    return msq_moment(*p, M, mu_muB * MUB) / (32 * math.pi * ME * E**2)


# ---- massless limit and the docs/theory.md test value -----------------------------------------------------

def test_massless_prefactor():
    assert cs.massless_moment_prefactor_cm2() == pytest.approx(2.4947e-25, rel=2e-5)


def test_physics_md_test_value():
    x = cs.to_cm2_per_keV(cs.dsigma_dEr_moment(400 * KEV, 3 * KEV, 0.0, 1e-11))
    assert float(x) == pytest.approx(8.25321e-48, rel=1e-5)


def test_massless_limit_formula():
    E = np.array([20, 100, 400, 862, 1442, 10000.0]) * KEV
    for Er_keV in (0.5, 1.0, 3.0, 10.0):
        Er = Er_keV * KEV
        ok = kin.in_physical_region(E, Er, 0.0)
        want = 2.4947e-25 * (1e-11) ** 2 * (1 / Er - 1 / E) * 1e-6   # cm^2 / keV
        got = cs.to_cm2_per_keV(cs.dsigma_dEr_moment(E, Er, 0.0, 1e-11))
        np.testing.assert_allclose(got[ok], want[ok], rtol=2e-5)
        assert np.all(got[~ok] == 0)


def test_tiny_mass_is_continuous():
    E, Er = 400 * KEV, np.array([0.5, 3.0, 30.0]) * KEV
    a = cs.dsigma_dEr_moment(E, Er, 0.0, 1.0)
    b = cs.dsigma_dEr_moment(E, Er, 0.01 * KEV, 1.0)
    np.testing.assert_allclose(a, b, rtol=1e-6)


# ---- explicit traces with massive N -------------------------------------------------------------------

@pytest.mark.parametrize(("E_keV", "M_keV"), [(400, 0.0), (400, 100.0), (420, 300.0), (862, 200.0), (5000, 1500.0)])
def test_formula_equals_explicit_traces(E_keV, M_keV):
    E, M = E_keV * KEV, M_keV * KEV
    lo, hi = (float(v) for v in kin.recoil_range(E, M))
    lo = max(lo, 1e-4 * KEV)
    pts = [lo, lo + 0.3 * (hi - lo), 0.5 * (lo + hi), hi * (1 - 1e-12)]
    for Er in pts:
        want = trace_dsigma(E, Er, M, 1.0)
        got = float(cs.dsigma_dEr_moment(E, Er, M, 1.0))
        assert got == pytest.approx(want, rel=1e-8), (Er, got, want)
        assert got > 0          # finite and positive at both kinematic endpoints (no helicity zero)


def test_positive_inside_zero_outside():
    E = np.geomspace(5, 20000, 80)[:, None] * KEV
    Er = np.geomspace(1e-3, 5000, 200)[None, :] * KEV
    for M_keV in (0.0, 20.0, 100.0, 300.0, 1000.0):
        M = M_keV * KEV
        inside = kin.in_physical_region(E, Er, M)
        # unclipped polynomial inside the region
        c0, c1, c2 = cs.moment_coefficients(np.broadcast_to(Er, inside.shape), M)
        raw = c0 + c1 / E + c2 / E**2
        assert np.all(raw[inside] >= -1e-9 * np.abs(c0[inside]))
        val = cs.dsigma_dEr_moment(E, Er, M, 1e-11)
        assert np.all(val[~inside] == 0)


@pytest.mark.parametrize(("E_keV", "M_keV"), [(420, 150.0), (862, 300.0), (5000, 1500.0)])
def test_total_cross_section_from_angular_integration(E_keV, M_keV):
    """sigma = (1/(32 pi s)) (p_f/p_i) int dcos theta* |M|^2 in the CM frame (traces, adaptive quadrature)
    versus int dE_r of the closed formula between the kinematic limits (massive N: both finite)."""
    E, M = E_keV * KEV, M_keV * KEV
    s = ME**2 + 2 * ME * E
    rs = math.sqrt(s)
    pi_ = (s - ME**2) / (2 * rs)
    pf = math.sqrt((s - (ME + M) ** 2) * (s - (ME - M) ** 2)) / (2 * rs)

    def integrand(c):
        sn = math.sqrt(max(0.0, 1 - c * c))
        p_nu = np.array([pi_, 0, 0, pi_])
        p_e = np.array([math.sqrt(pi_**2 + ME**2), 0, 0, -pi_])
        p_N = np.array([math.sqrt(pf**2 + M**2), pf * sn, 0, pf * c])
        p_e2 = np.array([math.sqrt(pf**2 + ME**2), -pf * sn, 0, -pf * c])
        return msq_moment(p_nu, p_e, p_e2, p_N, M, MUB)

    sigma_angles = quad(integrand, -1, 1, epsabs=0, epsrel=1e-10, limit=400)[0] * pf / pi_ / (32 * math.pi * s)
    lo, hi = (float(v) for v in kin.recoil_range(E, M))

    def f(Er):
        return float(cs.dsigma_dEr_moment(E, Er, M, 1.0))

    sigma_formula = quad(f, lo, hi, epsabs=0, epsrel=1e-10, limit=400)[0]
    assert sigma_angles == pytest.approx(sigma_formula, rel=1e-7)


# ---- Standard-Model nu e -------------------------------------------------------------------------------

@pytest.mark.parametrize("flavour", ["e", "mu", "tau"])
def test_sm_formula_equals_traces(flavour):
    gL, gR = cs.sm_couplings(flavour)
    assert gR == pytest.approx(0.23121)
    assert gL == pytest.approx((0.5 if flavour == "e" else -0.5) + 0.23121)
    for E_keV in (300.0, 862.0, 10000.0):
        E = E_keV * KEV
        _, hi = kin.recoil_range(E, 0.0)
        for Er in (0.01 * float(hi), 0.5 * float(hi), float(hi) * (1 - 1e-12)):
            p = lab_momenta(E, Er, 0.0)
            want = msq_sm(*p, gL, gR) / (32 * math.pi * ME * E**2)
            got = float(cs.dsigma_dEr_sm(E, Er, flavour))
            assert got == pytest.approx(want, rel=1e-8)


def test_sm_high_energy_total_cross_section():
    """sigma -> (2 G_F^2 m_e E/pi)(g_L^2 + g_R^2/3) for E >> m_e ('t Hooft 1971)."""
    E = 10.0  # GeV
    for fl in ("e", "mu"):
        gL, gR = cs.sm_couplings(fl)
        _, hi = kin.recoil_range(E, 0.0)
        sig = quad(lambda Er, fl=fl: float(cs.dsigma_dEr_sm(E, Er, fl)), 0, float(hi), epsrel=1e-10)[0]
        want = 2 * GF**2 * ME * E / math.pi * (gL**2 + gR**2 / 3)
        assert sig == pytest.approx(want, rel=2e-4)


def test_bad_flavour():
    with pytest.raises(ValueError, match="flavour"):
        cs.sm_couplings("sterile")
