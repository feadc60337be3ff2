"""Model constructors: the SU(2)_H relation of docs/theory.md §a.4 checked by an explicit SU(2)_H rotation of
the doublets Psi = (nu, n), Phi = (S1^*, R), and c_S, c_R recomputed from the mass-basis couplings."""
from __future__ import annotations

import numpy as np
import pytest

import lqmodel.models as models
from lqmodel.models import couplings_cS_cR, s1_only, voloshin, voloshin_mismatch, voloshin_split
from lqmodel.point import LEPTON_INDEX, PointError

RNG = np.random.default_rng(7)
B = 2  # b quark: down index 2


def random_su2():
    a = RNG.normal(size=4)
    a /= np.linalg.norm(a)
    return np.array([[a[0] + 1j * a[1], a[2] + 1j * a[3]], [-a[2] + 1j * a[3], a[0] - 1j * a[1]]])


def two_component_couplings(point, lepton):
    """lambda_R, lambda_S, kappa_S, kappa_R of §a.4 read off the MASS-basis couplings of the b quark:
    b^c(lambda_R nu R + lambda_S n S1^*) + b(kappa_S nu S1 + kappa_R n R^*)."""
    l = LEPTON_INDEX[lepton]
    mb = point.mass_basis()
    lam_R = mb.r2_d_nuL[B, l]              # dbar_R nu_L R  ->  b^c nu R
    lam_S = np.conj(mb.s1_dc_NR[B, 0])     # (dbar^C_R N_R S1)^dagger -> b^c n S1^*
    kap_S = mb.s1_dc_nuL[B, l]             # dbar^C_L nu_L S1 -> b nu S1
    kap_R = np.conj(mb.r2_d_NR[B, 0])      # (dbar_L N_R R)^dagger -> b n R^*
    return lam_R, lam_S, kap_S, kap_R


def su2h_invariant(point, lepton) -> bool:
    """b^c Psi^T A Phi with A = [[0, lam_R], [lam_S, 0]] and b Phi^dagger K Psi with K = diag(kap_S, kap_R)
    are invariant under Psi -> U Psi, Phi -> U Phi for all U in SU(2) iff A ∝ eps and K ∝ 1."""
    lam_R, lam_S, kap_S, kap_R = two_component_couplings(point, lepton)
    A = np.array([[0, lam_R], [lam_S, 0]])
    K = np.diag([kap_S, kap_R])
    ok = True
    for _ in range(5):
        U = random_su2()
        ok &= np.allclose(U.T @ A @ U, A, atol=1e-14) and np.allclose(U.conj().T @ K @ U, K, atol=1e-14)
    return bool(ok)


@pytest.mark.parametrize("lepton", ["e", "mu", "tau"])
@pytest.mark.parametrize("basis", ["down", "up"])
def test_voloshin_is_su2h_invariant_and_cR_equals_cS(lepton, basis):
    y1 = 0.3 * np.exp(0.7j)
    y2 = 0.8 * np.exp(-2.1j)
    p = voloshin(1500.0, y1, y2, lepton, quark_basis=basis)
    assert su2h_invariant(p, lepton)
    lam_R, lam_S, kap_S, kap_R = two_component_couplings(p, lepton)
    # the definitions of §a.4: c_S = -lambda_S kappa_S, c_R = lambda_R kappa_R
    c_S, c_R = -lam_S * kap_S, lam_R * kap_R
    assert c_R == pytest.approx(c_S, rel=1e-14)
    cS, cR = couplings_cS_cR(p)
    l = LEPTON_INDEX[lepton]
    assert cS[l, 0] == pytest.approx(c_S, rel=1e-14) and cR[l, 0] == pytest.approx(c_R, rel=1e-14)
    if basis == "down":
        assert abs(c_S) == pytest.approx(abs(y1 * y2), rel=1e-14)  # |c_S| = |y1 y2|
        assert c_S == pytest.approx(np.conj(y1) * y2, rel=1e-14)
    # only (lepton, N1) is populated
    mask = np.zeros((3, 3), bool)
    mask[l, 0] = True
    assert np.all(cS[~mask] == 0) and np.all(cR[~mask] == 0)


def test_broken_relations_are_not_invariant():
    assert not su2h_invariant(voloshin_mismatch(1000.0, 0.05, 1.0, "mu", c_ratio=0.9), "mu")
    assert not su2h_invariant(s1_only(1000.0, 0.05, 1.0, "mu"), "mu")


def test_s1_only():
    p = s1_only(1000.0, 0.05, 1.0, "mu", y1p=0.2)
    cS, cR = couplings_cS_cR(p)
    assert cS[1, 0] == pytest.approx(0.05) and np.all(cR == 0)
    assert p.y_RR[2, 1] == 0.2 and p.model == "s1" and p.lepton == "mu"
    assert np.count_nonzero(p.y_LL) == np.count_nonzero(p.ybar_RR) == np.count_nonzero(p.y_RR) == 1


def test_split_and_mismatch():
    p = voloshin_split(1000.0, 1100.0, 0.05, 1.0, "tau")
    cS, cR = couplings_cS_cR(p)
    assert (p.m_S1, p.m_R2, p.model) == (1000.0, 1100.0, "voloshin") and cR[2, 0] == cS[2, 0]
    q = voloshin_mismatch(1000.0, 0.05, 1.0, "mu", c_ratio=0.9 + 0.1j)
    cS, cR = couplings_cS_cR(q)
    assert cR[1, 0] / cS[1, 0] == pytest.approx(0.9 + 0.1j, rel=1e-14)
    assert q.model == "general" and q.lepton == "mu"
    doc = " ".join(models.voloshin_mismatch.__doc__.split())
    assert "UV-divergent" in doc and "counterterm" in doc


def test_constructors_broadcast_and_take_scheme():
    y1 = np.linspace(0.01, 0.1, 4)
    p = voloshin(np.array([[1000.0], [2000.0]]), y1, 1.0, "mu")
    assert p.batch_shape == (2, 4)
    cS, cR = couplings_cS_cR(p)
    np.testing.assert_array_equal(cS, cR)
    assert voloshin(1000.0, 0.05, 1.0, "mu", m_b_scheme="MSbar(1TeV)").m_b == 2.4133
    assert voloshin(1000.0, 0.05, 1.0, "mu").m_b == 4.18
    with pytest.raises(PointError, match="set by this constructor"):
        voloshin(1000.0, 0.05, 1.0, "mu", y_LL=np.eye(3))
