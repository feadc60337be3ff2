"""One-loop R2~ pieces of b -> q l l and b -> q gamma/g (lqmodel.oneloop_r2) against independent references.

Feynman-parameter integrals against two-dimensional mpmath quadrature over the simplex (the integrands as
they come out of the diagrams, written here independently of the module's one-dimensional reductions and
closed forms); the q = 0 Ward identity (vertex with the boson on the fermion = on the scalar = self-energy
derivative) that makes the photon vertex transverse (no dependence on the photon gauge parameter) and the
Z penguin vanish, with the conservation of Q and T3 at each vertex read from lqmodel.fields; the logarithm
of m_LQ against wilson's one-loop WET QED anomalous dimension; the dipoles against the generic
scalar-fermion dipole; limits (x -> 0, b-only couplings).
"""
from __future__ import annotations

import math
import warnings

import mpmath as mp
import numpy as np
import pytest

from lqmodel.oneloop_r2 import PENGUIN_CHARGED_MATCHED, PENGUIN_FERMION_CONST, penguin_functions, r2_oneloop_values
from observables.parameters import ckm_matrix, value


def _simplex(f):
    """int_0^1 dx1 int_0^{1-x1} dx2 f(x1, x2, 1 - x1 - x2), as x2 = (1 - x1) u (tanh-sinh in both variables)."""
    return mp.quad(lambda a, u: (1 - a) * f(a, (1 - a) * u, (1 - a) * (1 - u)), [0, 1], [0, 1])


@pytest.mark.parametrize("x", [1e-3, 0.05, 0.3, 0.995, 1.0, 2.0, 7.0])
def test_penguin_functions_against_simplex_quadrature(x):
    """F_f: photon on the fermion, numerator x1 x2 (2/D + m^2/D^2), D = (x1+x2) m^2 + x3 M^2 (on-shell massless
    quarks, the q^2 gamma^mu term); F_phi: photon on the scalar, x2 x3 / (x1 m^2 + (x2+x3) M^2). Units M = 1."""
    Ff = _simplex(lambda a, b, c: a * b * (2 / ((a + b) * x + c) + x / ((a + b) * x + c) ** 2))
    Fp = _simplex(lambda a, b, c: b * c / (a * x + b + c))
    gf, gp = penguin_functions(x)
    assert float(gf) == pytest.approx(float(Ff), rel=1e-9)
    assert float(gp) == pytest.approx(float(Fp), rel=1e-9)


@pytest.mark.parametrize("x", [0.01, 0.3, 0.999, 1.0, 2.0, 7.0])
def test_penguin_functions_equal_published_form_factors(x):
    """(ii) the non-dipole photon-penguin form factors A_1 of Hisano, Moroi, Tobe, Yamaguchi, arXiv:hep-ph/9510309
    (PRD 53, 2442): neutralino loop (photon on the scalar) ~ (2 - 9x + 18x^2 - 11x^3 + 6x^3 ln x)/(1-x)^4, chargino
    loop (photon on the fermion) ~ -(16 - 45x + 36x^2 - 7x^3 + 6(2-3x) ln x)/(1-x)^4, both with 1/(576 pi^2 m^2)
    and x -> 1 values 3/2 and -9/2 (as implemented in HEPfit, SUSY/src/SUSYMatching.cpp, AFunctions; the paper
    itself could not be read here): 16 pi^2 m^2 A_1 = F for unit couplings, i.e. F_phi = H_n/36, F_f = -H_c/36."""
    if abs(x - 1) > 0.01:
        Hn = (2 - 9 * x + 18 * x**2 - 11 * x**3 + 6 * x**3 * math.log(x)) / (1 - x) ** 4
        Hc = (16 - 45 * x + 36 * x**2 - 7 * x**3 + 6 * (2 - 3 * x) * math.log(x)) / (1 - x) ** 4
    else:
        Hn, Hc = 1.5, -4.5  # HEPfit's values at x = 1
    Ff, Fp = penguin_functions(x)
    tol = 1e-12 if abs(x - 1) > 0.01 else 2e-3
    assert float(Fp) == pytest.approx(Hn / 36, rel=tol)
    assert float(Ff) == pytest.approx(-Hc / 36, rel=tol)


def test_penguin_limits():
    """x -> 0: F_phi -> 1/18 (the S1 / R2~(-1/3) constant), F_f -> ln(1/x)/3 - 4/9 (the IR log of the
    massless lepton); the matched constant -13/27 = -(Q_f K_f + Q_phi/18), Q_f = -1, Q_phi = 2/3."""
    x = np.array([1e-7, 1e-8])
    Ff, Fp = penguin_functions(x)
    assert np.allclose(Fp, 1 / 18, rtol=1e-5)
    assert np.allclose(Ff - np.log(1 / x) / 3, PENGUIN_FERMION_CONST, atol=1e-5)
    assert PENGUIN_CHARGED_MATCHED == pytest.approx(-13 / 27, rel=1e-15)  # noqa: SIM300 - pytest order: actual == approx
    with pytest.raises(Exception, match="x = m_f"):
        penguin_functions(0.0)


def _ward_pieces(x):
    """Finite parts (MS-bar, units M = 1) of the q = 0 vertex with the boson on the fermion, on the scalar, and of
    the self-energy derivative; the 1/eps poles are -1/(2 eps) for each (both simplex measures are 1/2)."""
    Vf = _simplex(lambda a, b, c: mp.log((a + b) * x + c) + 1 - x / ((a + b) * x + c))
    Vp = _simplex(lambda a, b, c: mp.log(a * x + b + c))
    S = mp.quad(lambda y: y * mp.log((1 - y) * x + y), [0, 1])
    return Vf, Vp, S


@pytest.mark.parametrize("x", [1e-3, 0.2, 1.0, 4.0])
def test_ward_identity_and_z_penguin(x):
    """(i) V_f(0) = V_phi(0) = Sigma'(0): the vertex + self-energies vanish at q = 0 for any coupling conserved at
    the Yukawa vertex. For the photon (Q) this makes the vertex transverse, so the photon gauge parameter drops
    out; for the Z (T3 - s_W^2 Q, conserved at each R2~ vertex: checked with lqmodel.fields) the Z penguin
    vanishes at q^2 = 0 (massless internal fermions)."""
    from lqmodel.fields import component

    Vf, Vp, S = _ward_pieces(x)
    assert float(Vf) == pytest.approx(float(S), abs=1e-12)
    assert float(Vp) == pytest.approx(float(S), abs=1e-12)
    s2 = 0.2312
    for ext, ferm, scal in (("d_R", "e_L", "R2~^(2/3)"), ("d_R", "nu_L", "R2~^(-1/3)"), ("d_L", "N_R", "R2~^(-1/3)")):
        g = {n: float(component(n).T3) - s2 * float(component(n).charge) for n in (ext, ferm, scal)}
        q = {n: float(component(n).charge) for n in (ext, ferm, scal)}
        assert q[ext] == pytest.approx(q[ferm] + q[scal])
        z_penguin = g[ferm] * Vf + g[scal] * Vp - g[ext] * S
        assert abs(float(z_penguin)) < 1e-12
    # not a cancellation of zeros: the pieces are O(1) (finite parts in units M = 1; at x = 1 all logs vanish),
    # and a coupling not conserved at the vertex would leave their 1/eps pole and this finite part
    if x != 1.0:
        assert abs(float(S)) > 1e-3


def _wilson_qed_slope(src: str, dst: str) -> float:
    """d C_dst / d ln mu per unit C_src from wilson's one-loop WET QED ADM (JMS basis, alpha_e of wilson)."""
    from wilson.parameters import p
    from wilson.run.wet import adm, rge
    from wilson.translate import wet

    keys = list(rge.coeffs["sb"])
    A = adm.adm_e_sb(5, 0.002, 0.005, 0.1, 1.3, 4.2, 0.000511, 0.1057, 1.777)
    Cj = wet.flavio_to_JMS({src: 1.0}, 1000.0, p)
    dC = p["alpha_e"] / (4 * math.pi) * A.T @ np.array([Cj.get(k, 0) for k in keys])
    out = wet.JMS_to_flavio({k: v for k, v in zip(keys, dC, strict=True) if v != 0}, 1000.0, p)
    return complex(out.get(dst, 0)).real, p["alpha_e"]


def test_log_against_wilson_qed_running():
    """(iii) the ln M of the R2~(2/3)-charged-lepton photon penguin = wilson's one-loop QED mixing of the tree-level
    C9p_bsmumu into C9p_bsee. Full theory: C9'^{ee} = (F_f - 2/3 F_phi) X_D, X_D = -(alpha/pi) C9'^{mumu}_tree, so
    d C9'^{ee}/d ln M at fixed M^2 X_D = 2 (dF_f/d ln(1/x)) X_D; the EFT gives -gamma C9'_tree."""
    warnings.simplefilter("ignore")
    gamma_w, alpha = _wilson_qed_slope("C9p_bsmumu", "C9p_bsee")
    x1, x2 = 1e-8, 1e-9
    F1, F2 = penguin_functions(np.array([x1, x2]))[0]
    dF = (F2 - F1) / math.log(x1 / x2)           # dF_f / d ln(1/x) -> 1/3
    ours = 2 * dF * (alpha / math.pi)            # = -d C9'^{ee}/d ln M per unit tree C9'^{mumu} with the sign below
    assert ours == pytest.approx(gamma_w, rel=1e-6)
    # C10p (axial lepton current) does not feed the photon penguin, in wilson as in the loop
    assert abs(_wilson_qed_slope("C10p_bsmumu", "C9p_bsee")[0]) < 1e-15


def _point(yRL=None, yLR=None, M=1500.0):
    from lqmodel.point import Point

    z = np.zeros((3, 3), complex)
    return Point(m_S1=M, m_R2=M, yt_RL=z if yRL is None else yRL, yt_LR=z if yLR is None else yLR)


def _n0(q=1):
    V = ckm_matrix()
    return 4 * value("G_F") / math.sqrt(2) * V[2, 2] * np.conj(V[2, q])


def test_match_contains_the_penguins_with_the_tree_flavour_structure():
    """match: C9'^{ee} = (1/54 - 13/27) X_D (nu and charged-lepton loops, yt_RL = -D = D^nu), C9^{ee} = X_N/54
    (yt_LR), with X built here from the Point's couplings; ratio to the tree-level C9'^{mumu} = (25/54) alpha/pi."""
    from lqmodel.matching import match

    yRL = np.zeros((3, 3), complex)
    yRL[2, 1], yRL[1, 1] = 0.6, 0.25 - 0.1j
    yLR = np.zeros((3, 3), complex)
    yLR[2, 0], yLR[1, 0] = 0.4, -0.3
    M = 1500.0
    wc = match(_point(yRL, yLR, M))
    v = {k: complex(x) for k, x in wc.values.items()}
    XD = np.sum(yRL[1] * np.conj(yRL[2])) / (M**2 * _n0())
    XN = np.sum(yLR[1] * np.conj(yLR[2])) / (M**2 * _n0())
    for l in ("e", "mu", "tau"):
        assert v[f"C9_bs{l}{l}"] == pytest.approx(XN / 54, rel=1e-12)
    assert v["C9p_bsee"] == pytest.approx((1 / 54 - 13 / 27) * XD, rel=1e-12)
    assert v["C9p_bstautau"] == pytest.approx(v["C9p_bsee"], rel=1e-12)
    tree = v["C9p_bsmumu"] - v["C9p_bsee"]
    assert v["C9p_bsee"] / tree == pytest.approx(25 / 54 * value("alpha_e_flavio_4p8GeV") / math.pi, rel=1e-9)
    assert v["C7_bs"] == pytest.approx(-XN / 72, rel=1e-12)
    assert v["C8_bs"] == pytest.approx(XN / 24, rel=1e-12)
    assert v.get("C10_bsee", 0) == 0  # photon: vector lepton current only


def test_dipoles_equal_generic_scalar_fermion_dipole():
    """C7 from R2~(-1/3) with N (left-handed quarks) and C7' from R2~(-1/3) with nu (right-handed quarks) = the
    generic dipole of lqmodel.matching (F = N or nu, Q_F = 0, Q_phi = -1/3, N_c = 1, external d quarks)."""
    from lqmodel.matching import _generic_dipole
    from lqmodel.oneloop_bsll import bsll_oneloop

    yRL = np.zeros((3, 3), complex)
    yRL[2, 1], yRL[1, 1], yRL[2, 2] = 0.6, 0.2 + 0.3j, -0.4
    yLR = np.zeros((3, 3), complex)
    yLR[2, 0], yLR[1, 0], yLR[1, 1] = 0.4, -0.3 + 0.1j, 0.2
    M, e = 1800.0, 0.3
    p = _point(yRL, yLR, M)
    mb = p.mass_basis()
    m_d = np.array([4.7e-3, 0.093, 4.18])
    V, GF = ckm_matrix(), value("G_F")
    n7 = 4 * GF / math.sqrt(2) * V[2, 2] * np.conj(V[2, 1]) * e * m_d[2] / (16 * math.pi**2)
    got = bsll_oneloop(p)
    # D^N-bar... : L = D^N d-bar P_R N phi + h.c. = (D^N)* N-bar P_L d phi* + ...: a = conj(D^N).T
    C = _generic_dipole(np.conj(mb.r2_d_NR).T, np.zeros((3, 3)), np.full(3, 1e-9), 0.0, -1 / 3, M**2, 1, m_d, e)
    assert complex(got["C7_bs"]) == pytest.approx(C[1, 2] / n7, rel=1e-6)
    # D^nu: b = conj(D^nu).T; O7' = m_b s_R-bar sigma b_L is the h.c. of b_L-bar sigma s_R: C[2, 1]*
    C = _generic_dipole(np.zeros((3, 3)), np.conj(mb.r2_d_nuL).T, np.full(3, 1e-9), 0.0, -1 / 3, M**2, 1, m_d, e)
    got_nu = bsll_oneloop(_point(yRL, None, M))
    XD = np.sum(mb.r2_d_eL[1] * np.conj(mb.r2_d_eL[2])) / (M**2 * _n0())
    c7p_nu = complex(got_nu["C7p_bs"]) - XD / 9  # remove the charged-lepton loop (Q_F = -1, Q_phi = 2/3)
    assert c7p_nu == pytest.approx(np.conj(C[2, 1]) / n7, rel=1e-6)


def test_b_only_couplings_give_nothing():
    """With couplings to b only (every built-in Voloshin map) the R2~ one-loop pieces vanish identically: the
    b-only maps are unchanged by this module."""
    from lqmodel.matching import _matching_inputs
    from lqmodel.models import voloshin

    p = voloshin(np.array([1000.0, 2000.0]), 0.05, 1.5, "mu")
    sp, _, m132, m232 = _matching_inputs(p)
    values: dict = {}
    r2_oneloop_values(sp, m232, m132, values, lambda n: True)
    assert np.any(sp["Dv"].M[..., 2, :] != 0) and np.any(sp["DN"].M[..., 2, :] != 0)  # R2~ couples to b
    assert values == {}  # nothing added (None terms are skipped)


def test_vectorised_over_points():
    """A batch equals the points one by one (no per-point code path)."""
    from lqmodel.oneloop_bsll import bsll_oneloop
    from lqmodel.point import Point

    rng = np.random.default_rng(3)
    yRL = 0.3 * (rng.normal(size=(4, 3, 3)) + 1j * rng.normal(size=(4, 3, 3)))
    yLR = 0.3 * (rng.normal(size=(4, 3, 3)) + 1j * rng.normal(size=(4, 3, 3)))
    M = np.array([800.0, 1200.0, 2500.0, 4000.0])
    batch = bsll_oneloop(Point(m_S1=M, m_R2=M, yt_RL=yRL, yt_LR=yLR))
    for i in range(4):
        one = bsll_oneloop(Point(m_S1=M[i], m_R2=M[i], yt_RL=yRL[i], yt_LR=yLR[i]))
        for k in ("C9p_bsee", "C9_bdmumu", "C7_bs", "C7p_bd", "C8p_bs"):
            assert complex(batch[k][i]) == pytest.approx(complex(one[k]), rel=1e-12)


@pytest.mark.flavio
@pytest.mark.slow
def test_flavio_example_r2_b_and_s_muons():
    """R2~ coupled to b and s with muons (1.5 TeV, yt_RL[b,mu] = 0.1, yt_RL[s,mu] = 0.03: R_K[1.1,6] = 1.217): the
    tree-level C9' = -C10' moves R_K; the one-loop pieces add C9'^{ee} = (25/54)(alpha/pi) C9'^{mumu}_tree, which
    changes R_K[1.1,6] by a relative amount of order 1e-3 of its NP shift (flavio)."""
    import flavio
    from wilson import Wilson

    from lqmodel.matching import match
    from lqmodel.oneloop_bsll import bsll_oneloop

    warnings.simplefilter("ignore")
    y = np.zeros((3, 3), complex)
    y[2, 1], y[1, 1] = 0.1, 0.03
    p = _point(y, None, 1500.0)
    wc = match(p)
    loop = bsll_oneloop(p)
    full = wc.nonzero()
    tree = {k: v - complex(loop.get(k, 0)) for k, v in full.items()}
    tree = {k: v for k, v in tree.items() if abs(v) > 1e-14}
    assert "C9p_bsee" in full and "C9p_bsee" not in tree
    rk = [flavio.np_prediction("<Rmue>(B+->Kll)", Wilson(c, scale=1500.0, eft="WET", basis="flavio"), 1.1, 6.0)
          for c in (full, tree)]
    shift = rk[1] - flavio.sm_prediction("<Rmue>(B+->Kll)", 1.1, 6.0)
    assert abs(shift) > 1e-3  # the tree-level effect
    assert 0 < abs(rk[0] - rk[1]) < 1e-2 * abs(shift)
