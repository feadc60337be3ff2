"""One-loop b -> s l l' and b -> s gamma of lqmodel.oneloop_bsll against independent references.

(i) R_xi gauge-parameter independence of the W/G-S1 box sum; (ii) the gauge-less (Goldstone) limit
against the closed form m_t^2 |y|^2/(16 pi alpha M^2) and the Dirac/Fierz identities used in the derivation
(explicit gamma matrices); (iii) the logarithms of m_S1 against wilson's one-loop SMEFT anomalous
dimensions (wilson.run.smeft.beta); the integrals against mpmath quadrature; the issue-8 example through
flavio.
"""
from __future__ import annotations

import math
import warnings

import mpmath as mp
import numpy as np
import pytest

from loops.vacuum import euclid_integral, euclid_integral_fixed
from lqmodel.oneloop_bsll import box_constants, w_lq_box_coefficients
from observables.parameters import ckm_matrix, value


def _rand(seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))


@pytest.mark.parametrize("n,a", [
    (2, (4.6e-6, 26406.0, 6459.0, 1e6)), (2, (26406.0, 26406.0, 6459.0, 1e6)),
    (1, (26406.0, 26406.0, 6459.0, 1e8)), (0, (6459.0, 1e6)), (3, (2.5, 2.5, 6459.0, 3000.0, 1e6)),
    (2, (4.6e-6, 4.6e-6, 6459.0, 1e6)), (1, (3.0, 3.0, 3.0, 10.0)),
])
def test_euclid_integral_against_quadrature(n, a):
    ref = mp.quad(lambda t: t**n / mp.fprod([t + x for x in a]),
                  [0, 1e-6, 1e-3, 1, 1e2, 1e4, 1e6, 1e8, mp.inf])
    assert float(euclid_integral(n, *a)) == pytest.approx(float(ref), rel=1e-9)


@pytest.mark.parametrize("n,fixed", [
    (2, (4.6e-6, 26406.0, 6459.0)), (2, (26406.0, 26406.0, 6459.0)), (1, (26406.0, 26406.0, 6459.0)),
    (0, (6459.0,)), (3, (2.5, 2.5, 6459.0, 3000.0)), (1, (4.6e-6, 6459.0)),
])
def test_euclid_integral_fixed_against_quadrature(n, fixed):
    x = np.array([3.0e4, 1.0e6, 1.0e8, 26406.0 * (1 + 1e-9), 6459.0])
    got = euclid_integral_fixed(n, fixed, x)
    for xv, g in zip(x, got, strict=True):
        a = fixed + (float(xv),)
        ref = mp.quad(lambda t, a=a: t**n / mp.fprod([t + v for v in a]),
                      [0, 1e-6, 1e-3, 1, 1e2, 1e4, 1e6, 1e8, mp.inf])
        assert float(g) == pytest.approx(float(ref), rel=1e-9)


def test_euclid_integral_rejects_divergent():
    with pytest.raises(ValueError, match="n <= K-2"):
        euclid_integral(2, 1.0, 2.0, 3.0)


def _gammas():
    I2, Z = np.eye(2), np.zeros((2, 2))
    s = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
    G = [np.block([[Z, I2], [I2, Z]]).astype(complex)] + [np.block([[Z, x], [-x, Z]]) for x in s]
    g5 = 1j * G[0] @ G[1] @ G[2] @ G[3]
    eta = [1, -1, -1, -1]
    return G, [eta[m] * G[m] for m in range(4)], (np.eye(4) - g5) / 2, (np.eye(4) + g5) / 2


def test_dirac_identities_used_in_the_derivation():
    """gamma^a gamma^n P_L (x) gamma_n gamma_a P_R = gamma^n gamma^a P_L (x) gamma_n gamma_a P_R = 4 P_L (x) P_R,
    and the Fierz (1 P_L 2)(3 P_R 4) = -1/2 (1 g^mu P_R 4)(3 g_mu P_L 2) for anticommuting fields."""
    G, Gl, PL, PR = _gammas()
    S = np.einsum("ij,kl->ijkl", PL, PR)
    rev = sum(np.einsum("ij,kl->ijkl", G[a] @ G[n] @ PL, Gl[n] @ Gl[a] @ PR) for a in range(4) for n in range(4))
    same = sum(np.einsum("ij,kl->ijkl", G[n] @ G[a] @ PL, Gl[n] @ Gl[a] @ PR) for a in range(4) for n in range(4))
    assert np.allclose(rev, 4 * S) and np.allclose(same, 4 * S)
    F = sum(np.einsum("il,kj->ijkl", G[m] @ PR, Gl[m] @ PL) for m in range(4))
    assert np.allclose(S, 0.5 * F)  # commuting numbers: +1/2; Grassmann fields: -1/2


def test_gauge_parameter_independence():
    """(i) the W + Goldstone + all four box topologies in R_xi: identical for xi = 0.3, 1, 3, 10."""
    V = ckm_matrix()
    y, yR = _rand(1), _rand(2)
    A, B = V.conj() @ y, -y
    M2 = np.array([1e6, 4e6])
    ref = w_lq_box_coefficients(A, B, yR, M2, 1, xi=1.0)
    for xi in (0.3, 3.0, 10.0):
        got = w_lq_box_coefficients(A, B, yR, M2, 1, xi=xi)
        for r, g in zip(ref, got, strict=True):
            assert np.allclose(g, r, rtol=1e-9, atol=1e-12 * np.max(np.abs(r)))
    # the xi-dependent pieces are not small individually: with only topology A (B = 0) it fails
    a1 = w_lq_box_coefficients(A, 0 * B, yR, M2, 1, xi=1.0)[0]
    a3 = w_lq_box_coefficients(A, 0 * B, yR, M2, 1, xi=3.0)[0]
    assert not np.allclose(a1, a3, rtol=1e-2, atol=0)


def test_gaugeless_limit_mt2_term():
    """(ii) b-only couplings, g -> 0 at fixed y_t = g m_t/(sqrt2 m_W): C9 = -C10 -> m_t^2 |y|^2/(16 pi alpha M^2).

    The Goldstone box; the same Feynman rules reproduce the m_t^2 growth X0 -> x_t/8 of the SM Z penguin
    (docs/matching.md). Bauer-Neubert (arXiv:1511.01900) quote m_t^2/(8 pi alpha M^2): twice this value."""
    k = dict(box_constants())
    eps = 1e-6
    k["g2"], k["mW"] = k["g2"] * eps, k["mW"] * math.sqrt(eps)
    V = k["V"]
    y = np.zeros((3, 3), complex)
    y[2, 1] = 1.3
    M = 2.0e4
    cL, cR = w_lq_box_coefficients(V.conj() @ y, -y, 0 * y, M**2, 1, consts=k)
    GF, alpha = value("G_F"), value("alpha_e_flavio_4p8GeV")
    N = 4 * GF / math.sqrt(2) * V[2, 2] * np.conj(V[2, 1]) * alpha / (4 * math.pi)
    C9 = cL[1, 1] / (2 * N)
    mt = k["m_up"][2]
    expect = mt**2 * abs(y[2, 1]) ** 2 / (16 * math.pi * alpha * M**2) * abs(V[2, 2]) ** 2
    assert C9.real == pytest.approx(expect, rel=2e-3)
    assert abs(cR).max() == 0


def _slope(fn, M1=4.0e4, M2=8.0e4):
    """d(M^2 X)/d ln M from two large masses (power corrections ~ m_t^2/M^2 < 2e-5)."""
    return (M2**2 * fn(M2) - M1**2 * fn(M1)) / math.log(M2 / M1)


def _smeft_beta(entries: dict, g: float, gp: float, yt: float):
    from wilson.run.smeft import beta
    from wilson.util import smeftutil

    C = {k: (np.zeros(s, dtype=complex) if s != 1 else 0.0) for k, s in smeftutil.C_keys_shape.items()}
    C.update(g=g, gp=gp, gs=1.2, Lambda=0.26, m2=8000.0)
    C["Gu"] = np.diag([0, 0, yt]).astype(complex)
    C["Gd"] = np.zeros((3, 3), complex)
    C["Ge"] = np.zeros((3, 3), complex)
    for (name, idx), v in entries.items():
        C[name][idx] = v
    return beta.beta(C)


def test_logs_against_smeft_rge_yukawa():
    """(iii) the ln m_S1 of the right-handed-coupling Goldstone box = the top-Yukawa mixing of C_eu into
    C_qe in wilson's one-loop SMEFT RGE (beta_qe = -y_t^2 C_eu); S1 tree level C_eu = |y^RR|^2/(2M^2)."""
    k = box_constants()
    V = k["V"]
    yt = math.sqrt(k["g2"]) * k["m_up"][2] / (math.sqrt(2) * k["mW"])
    R = np.zeros((3, 3), complex)
    R[2, 1] = 0.7
    z = np.zeros((3, 3), complex)
    ours = _slope(lambda M: w_lq_box_coefficients(z, z, R, M**2, 1)[1][1, 1])
    b = _smeft_beta({("eu", (1, 1, 2, 2)): 1.0}, 0.0, 0.0, yt)
    # C_qe(low) = C_qe(M) + beta/(16 pi^2) ln(mu/M): d(M^2 C_qe)/d ln M = -beta/(16pi^2) M^2 C_eu
    expect = -b["qe"][2, 2, 1, 1] / (16 * math.pi**2) * abs(R[2, 1]) ** 2 / 2 * V[2, 2] * np.conj(V[2, 1])
    assert ours == pytest.approx(expect, rel=2e-3)


def test_logs_against_smeft_rge_gauge_and_lefthanded():
    """(iii) left-handed couplings: wilson's one-loop RGE gives (a) no top-Yukawa log in C_lq1 + C_lq3 (the
    combination entering C9 = -C10) and (b) a lepton-universal gauge log whose low-energy sum
    (ψ⁴ + Z exchange from C_phiq) vanishes; ours has no log of M in either (slope < 1e-3 of one topology)."""
    k = box_constants()
    V = k["V"]
    g = math.sqrt(k["g2"])
    gp = g * math.sqrt(0.2312 / (1 - 0.2312))
    s2 = gp**2 / (g**2 + gp**2)
    # (a) gauge-less wilson: no Yukawa log for C1 + C3 = 0
    b = _smeft_beta({("lq1", (1, 1, 2, 2)): 1.0, ("lq3", (1, 1, 2, 2)): -1.0}, 0.0, 0.0, 0.9)
    assert abs(b["lq1"][1, 1, 2, 2] + b["lq3"][1, 1, 2, 2]) < 1e-12
    # (b) gauge logs of (y_b, y_s): non-universal part zero, universal low-energy combination zero
    ent = {}
    for idx in ((1, 1, 1, 2), (1, 1, 2, 1)):
        ent[("lq1", idx)] = 1.0
        ent[("lq3", idx)] = -1.0
    b = _smeft_beta(ent, g, gp, 0.0)
    C13 = [b["lq1"][l, l, 1, 2] + b["lq3"][l, l, 1, 2] for l in (0, 1)]
    assert abs(C13[1] - C13[0]) < 1e-12 * abs(C13[0])
    phiq = b["phiq1"][1, 2] + b["phiq3"][1, 2]
    eL, eR = C13[1] + 2 * phiq * (-0.5 + s2), b["qe"][1, 2, 1, 1] + 2 * phiq * s2
    assert abs(eL) < 1e-10 and abs(eR) < 1e-10
    # ours
    y = np.zeros((3, 3), complex)
    y[2, 1], y[1, 1] = 0.4, 0.3
    A, B = V.conj() @ y, -y
    one_topology = k["g2"] / (64 * math.pi**2) * abs(y[2, 1] * y[1, 1]) * 2
    ours = _slope(lambda M: w_lq_box_coefficients(A, B, 0 * y, M**2, 1)[0][1, 1])
    assert abs(ours) < 1e-3 * one_topology
    yb = np.zeros((3, 3), complex)
    yb[2, 1] = 1.0
    fin = 4e4**2 * w_lq_box_coefficients(V.conj() @ yb, -yb, 0 * yb, 4e4**2, 1)[0][1, 1]
    ours_b = _slope(lambda M: w_lq_box_coefficients(V.conj() @ yb, -yb, 0 * yb, M**2, 1)[0][1, 1])
    assert abs(ours_b) < 2e-3 * abs(fin)


def test_lepton_flavour_structure_and_names():
    """LFV: c_ab multiplies (l_b-bar ... l_a); C9_bs{a}{b} names the unbarred lepton first."""
    from lqmodel.matching import match
    from lqmodel.point import Point

    y = np.zeros((3, 3), complex)
    y[2, 1], y[2, 2] = 0.8, 0.5  # b-mu and b-tau
    wc = match(Point(m_S1=1500.0, m_R2=1500.0, y_LL=y))
    v = {k: complex(x) for k, x in wc.values.items()}
    # |C9_bsmutau| = |C9_bstaumu| (hermitian lepton structure for real couplings), both = sqrt(mumu*tautau)
    assert abs(v["C9_bsmutau"]) == pytest.approx(abs(v["C9_bstaumu"]), rel=1e-12)
    assert abs(v["C9_bsmutau"]) ** 2 == pytest.approx(abs(v["C9_bsmumu"] * v["C9_bstautau"]), rel=1e-9)
    assert v["C9_bsmumu"] == pytest.approx(-v["C10_bsmumu"], rel=1e-12)
    assert abs(v.get("C9_bsee", 0)) == 0  # no photon penguin without an s coupling


@pytest.mark.flavio
@pytest.mark.slow
def test_issue8_example_through_flavio():
    """Voloshin, 1 TeV, mu, y1 = 0.05, y2 = 2: R_K[1.1,6] and BR(Bs->mumu) move away from the SM, in the
    direction and of the size the Goldstone term C9 = -C10 ~ m_t^2|y2|^2/(16 pi alpha M^2) implies."""
    import flavio

    from lqmodel.matching import match
    from lqmodel.models import voloshin

    warnings.simplefilter("ignore")
    wc = match(voloshin(1000.0, 0.05, 2.0, "mu"))
    c9, c10 = complex(wc.values["C9_bsmumu"]), complex(wc.values["C10_bsmumu"])
    assert c9 == pytest.approx(-c10, rel=1e-9)
    lead = value("m_t_MSbar") ** 2 * 4 / (16 * math.pi * value("alpha_e_flavio_4p8GeV") * 1e6)
    assert 0.8 * lead < c9.real < 1.0 * lead  # the W parts reduce the Goldstone term by ~8%
    w = wc.to_wilson()
    rk = flavio.np_prediction("<Rmue>(B+->Kll)", w, 1.1, 6.0)
    bs = flavio.np_prediction("BR(Bs->mumu)", w)
    assert 1.10 < rk < 1.16
    assert 3.95e-9 < bs < 4.2e-9


def test_photon_penguin_feynman_integral():
    """q^2 coefficient of the scalar-emission vertex: int_simplex xy/(x+y) dx dy = 1/18 (massless fermion)."""
    val = mp.quad(lambda x: mp.quad(lambda y: x * y / (x + y), [0, 1 - x]), [0, 1])
    assert float(val) == pytest.approx(1 / 18, rel=1e-12)


def test_dipoles_equal_generic_scalar_fermion_dipole():
    """C7_bs from the S1 nu loop = the generic dipole of lqmodel.matching (loops engine, tested on g-2) with
    external d quarks, F = nu^C (Q_F = 0), Q_phi = -1/3, N_c = 1, converted to flavio's O7 = (e m_b/16pi^2)..."""
    from lqmodel.matching import _generic_dipole
    from lqmodel.oneloop_bsll import bsll_oneloop
    from lqmodel.point import Point

    y = np.zeros((3, 3), complex)
    y[2, 1], y[1, 1], y[2, 2], y[1, 2] = 0.7, 0.3 + 0.1j, 0.2, -0.4
    M = 1800.0
    p = Point(m_S1=M, m_R2=M, y_LL=y)
    mb = p.mass_basis()
    e = 0.3
    m_d = np.array([4.7e-3, 0.093, 4.18])
    nu_masses = np.full(3, 1e-9)  # massless neutrinos (x -> 0)
    C = _generic_dipole(mb.s1_dc_nuL.T, np.zeros((3, 3)), nu_masses, 0.0, -1 / 3, M**2, 1, m_d, e)
    V, GF = ckm_matrix(), value("G_F")
    n7 = 4 * GF / math.sqrt(2) * V[2, 2] * np.conj(V[2, 1]) * e * m_d[2] / (16 * math.pi**2)
    got = bsll_oneloop(p)
    assert complex(got["C7_bs"]) == pytest.approx(C[1, 2] / n7, rel=1e-6)


def test_match_path_equals_box_coefficients():
    """The sparse per-lepton-pair evaluation inside match equals w_lq_box_coefficients (the function the
    gauge, limit and RGE tests check), for random complex couplings, a batch of masses, both q."""
    from lqmodel.oneloop_bsll import bsll_oneloop
    from lqmodel.point import Point

    y, yR = 0.3 * _rand(5), 0.3 * _rand(6)
    M = np.array([900.0, 2500.0])
    p = Point(m_S1=M, m_R2=M, y_LL=y, y_RR=yR)
    mb = p.mass_basis()
    got = bsll_oneloop(p)
    GF, alpha = value("G_F"), value("alpha_e_flavio_4p8GeV")
    V = ckm_matrix()
    lep = ("e", "mu", "tau")
    for q, tq in ((1, "bs"), (0, "bd")):
        cL, cR = w_lq_box_coefficients(mb.s1_uc_eL, mb.s1_dc_nuL, mb.s1_uc_eR, M**2, q)
        N = 4 * GF / math.sqrt(2) * V[2, 2] * np.conj(V[2, q]) * alpha / (4 * math.pi)
        for a in range(3):
            for b in range(3):
                c10 = (cR[:, a, b] - cL[:, a, b]) / (2 * N)
                assert np.allclose(got[f"C10_{tq}{lep[a]}{lep[b]}"], c10, rtol=1e-12, atol=0)
