r"""Decay widths of observables.neutrino.decays against: the docs/theory.md §d.2 example (mu = 1e-11 mu_B,
M_N = 100 keV: Gamma = 1.7466e-31 GeV, tau = 3.77e6 s Dirac / 1.88e6 s Majorana), the standard Dirac
diagonal-moment plasmon width mu^2 K^3/(24 pi) (Haft, Raffelt & Weiss 1994), and explicit spin traces of
the dipole operator (mu/2) nubar_L sigma^{mu nu} N_R F_{mu nu} + h.c. computed here with 4x4 Dirac matrices."""
from __future__ import annotations

import math

import numpy as np
import pytest

from observables.neutrino import decays

ME = 0.51099895e-3
ALPHA = 1 / 137.035999084
MUB = math.sqrt(4 * math.pi * ALPHA) / (2 * ME)
HBAR = 6.582119569e-25  # GeV s

_I2, _Z2 = np.eye(2), np.zeros((2, 2))
_PAULI = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
G = [np.block([[_I2, _Z2], [_Z2, -_I2]]).astype(complex)] + [
    np.block([[_Z2, s], [-s, _Z2]]).astype(complex) for s in _PAULI]
G5 = 1j * G[0] @ G[1] @ G[2] @ G[3]
PL, PR = (np.eye(4) - G5) / 2, (np.eye(4) + G5) / 2
ETA = np.diag([1.0, -1.0, -1.0, -1.0])


def slash(p):
    return sum(ETA[m, m] * p[m] * G[m] for m in range(4))


def sig_k(k):
    return [sum(0.5j * (G[m] @ G[n] - G[n] @ G[m]) * ETA[n, n] * k[n] for n in range(4)) for m in range(4)]


def _pol_sum(k, massive):
    K2 = k[0] ** 2 - k[1:] @ k[1:]
    return [[-ETA[m, r] + (ETA[m, m] * k[m] * ETA[r, r] * k[r] / K2 if massive else 0.0) for r in range(4)]
            for m in range(4)]


def _contract_lower(T, P):
    # T^{mu rho} with lower-index polarisation sum P_{mu rho}
    return sum(T[m][r] * P[m][r] for m in range(4) for r in range(4))


def test_physics_md_example():
    g = decays.width_N_to_nu_gamma(100e-6, 1e-11, "dirac")
    assert float(g) == pytest.approx(1.7466e-31, rel=1e-4)
    assert float(decays.lifetime_s(g)) == pytest.approx(3.77e6, rel=2e-3)
    gm = decays.width_N_to_nu_gamma(100e-6, 1e-11, "majorana")
    assert float(gm) == pytest.approx(2 * float(g), rel=1e-14)
    assert float(decays.lifetime_s(gm)) == pytest.approx(1.88e6, rel=3e-3)


def test_independent_arithmetic_and_d_convention():
    mu = 3e-12
    M = 0.37e-3
    want = (mu * MUB) ** 2 * M**3 / (16 * math.pi)
    assert float(decays.width_N_to_nu_gamma(M, mu)) == pytest.approx(want, rel=1e-10)
    # d-normalisation: Gamma_Dirac = d^2 M^3 / (4 pi) with d = mu/2 (Magill et al. 1803.03262 convention)
    d = float(decays.d_from_mu(mu)) * MUB
    assert float(decays.width_N_to_nu_gamma(M, mu)) == pytest.approx(d**2 * M**3 / (4 * math.pi), rel=1e-10)
    assert float(decays.mu_from_d(decays.d_from_mu(mu))) == pytest.approx(mu)
    assert float(decays.lifetime_s(1e-24)) == pytest.approx(HBAR / 1e-24)


def test_N_to_nu_gamma_from_traces():
    """Gamma = |p|/(8 pi M^2) * (1/2) sum |M|^2 with M = mu ubar_nu sigma^{mu nu} k_nu P_R u_N eps*_mu."""
    M = 0.25e-3
    mu = 1.0 * MUB
    p = M / 2
    k = np.array([p, 0.3 * p, -0.4 * p, math.sqrt(1 - 0.25) * p])
    k[3] = math.sqrt(p * p - k[1] ** 2 - k[2] ** 2)
    pN = np.array([M, 0, 0, 0])
    pnu = pN - k
    sk = sig_k(k)
    A = slash(pN) + M * np.eye(4)
    T = [[np.trace(slash(pnu) @ sk[m] @ PR @ A @ PL @ sk[r]) for r in range(4)] for m in range(4)]
    msq = 0.5 * mu**2 * _contract_lower(T, _pol_sum(k, massive=False)).real
    width = p / (8 * math.pi * M**2) * msq
    assert float(decays.width_N_to_nu_gamma(M, 1.0, "dirac")) == pytest.approx(width, rel=1e-10)


@pytest.mark.parametrize("ratio", [0.0, 0.2, 0.6, 0.95])
def test_plasmon_width_from_traces(ratio):
    """Massive photon K at rest -> nu Nbar: Gamma = |p|/(8 pi K^2) (1/3) sum_pol |M|^2."""
    K = 20e-6
    M = ratio * K
    p = (K * K - M * M) / (2 * K)
    n = np.array([0.48, -0.6, 0.64])
    n /= np.linalg.norm(n)
    k = np.array([K, 0, 0, 0])
    pnu = np.concatenate([[p], p * n])
    pN = k - pnu
    sk = sig_k(k)
    B = slash(pN) - M * np.eye(4)
    T = [[np.trace(slash(pnu) @ sk[m] @ PR @ B @ PL @ sk[r]) for r in range(4)] for m in range(4)]
    msq = MUB**2 * _contract_lower(T, _pol_sum(k, massive=True)).real / 3
    width = p / (8 * math.pi * K * K) * msq
    assert float(decays.width_plasmon_to_nu_N(K, M, 1.0)) == pytest.approx(width, rel=1e-10)


def test_plasmon_diagonal_dirac_limit():
    K = 15e-6
    mu = 2e-12
    standard = (mu * MUB) ** 2 * K**3 / (24 * math.pi)   # Haft, Raffelt & Weiss 1994
    assert float(decays.width_plasmon_diagonal_dirac(K, mu)) == pytest.approx(standard, rel=1e-12)
    assert 2 * float(decays.width_plasmon_to_nu_N(K, 0.0, mu)) == pytest.approx(standard, rel=1e-12)
    assert float(decays.width_plasmon_to_nu_N(K, 1.01 * K, mu)) == 0.0


def test_bad_input():
    with pytest.raises(ValueError, match="N_type"):
        decays.width_N_to_nu_gamma(1e-4, 1e-11, "weyl")
    with pytest.raises(ValueError, match="M_N"):
        decays.width_N_to_nu_gamma(-1e-4, 1e-11)
