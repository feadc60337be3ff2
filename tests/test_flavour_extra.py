"""Issue-8 matching additions (lqmodel.matching): s -> d nu nu (S1, R2~^{-1/3}), tau -> l s s (R2~^{2/3}) and the
D-mixing boxes.

Independent reference for the tree-level coefficients: wilson 2.5.2's own SMEFT (Warsaw) -> WET (flavio basis)
tree matching applied to the SMEFT coefficients of lqmodel.smeft_matching (derived on the SMEFT side, checked
against the S1/R2~ dictionary of arXiv:1603.04993 in tests/test_smeft_matching.py), with the matching scale set
to the leptoquark mass (no running). The D-mixing box is checked against the relabelling symmetry that defines
it (the S1 u^C-lepton couplings have the form of the d^C-neutrino ones) and against flavio's x12_D.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from lqmodel.matching import match
from lqmodel.point import Point

M = 1500.0


def _point() -> Point:
    yLL = np.zeros((3, 3), complex)
    yLL[0, 1], yLL[1, 2], yLL[0, 2], yLL[1, 0] = 0.3 + 0.1j, 0.5, -0.2, 0.15j
    ytRL = np.zeros((3, 3), complex)
    ytRL[1, 2], ytRL[1, 1], ytRL[0, 2], ytRL[0, 0], ytRL[1, 0] = 0.4, 0.3 - 0.1j, 0.25, 0.1, -0.2
    return Point(m_S1=M, m_R2=M, y_LL=yLL, yt_RL=ytRL)


@lru_cache(maxsize=1)
def _wilson_wet() -> dict:
    import warnings

    from lqmodel.smeft_matching import match_smeft
    from observables.parameters import value

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = match_smeft(_point()).to_wilson()
        w.set_option("smeft_matchingscale", M)
        w.set_option("parameters", {"Vus": value("Vus"), "Vub": value("Vub"), "Vcb": value("Vcb"),
                                    "gamma": value("gamma_CKM"), "GF": value("G_F"),
                                    "alpha_e": value("alpha_e_flavio_4p8GeV")})
        return {k: complex(v) for k, v in w.match_run(M, "WET", "flavio").dict.items()}


def _compare(prefixes: tuple[str, ...], n_min: int) -> None:
    ours = {k: complex(v) for k, v in match(_point()).values.items() if k.startswith(prefixes)}
    theirs = {k: v for k, v in _wilson_wet().items() if k.startswith(prefixes)}
    nz = {k for k, v in ours.items() if v != 0} | {k for k, v in theirs.items() if abs(v) > 0}
    assert len(nz) >= n_min, sorted(nz)
    scale = max(abs(v) for v in ours.values())
    for k in sorted(nz):
        a, b = ours.get(k, 0j), theirs.get(k, 0j)
        # absolute floor 1e-12 of the sector's largest entry: wilson's CKM rotations leave rounding there
        assert abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-12 * scale, (k, a, b)


@pytest.mark.slow
def test_s_to_d_nu_nu_against_wilson_smeft_matching():
    _compare(("CL_sd", "CR_sd"), n_min=8)


@pytest.mark.slow
def test_tau_to_l_ss_against_wilson_smeft_matching():
    # CVLR_tau{mu,e}ss: the R2~^{2/3} tree term; wilson also sees the other (ss)(l tau) structures (all zero)
    ours = match(_point()).values
    assert abs(complex(ours["CVLR_taumuss"])) > 0 and abs(complex(ours["CVLR_tauess"])) > 0
    _compare(("CVLR_taumuss", "CVLR_tauess", "CVLR_sstaumu", "CVLL_taumuss", "CVRR_taumuss"), n_min=2)


def test_tau_phi_mu_fierz_sign_by_hand():
    """-D_{s tau} D*_{s mu} / (2 m^2): the Fierz coefficient -1/2 of (P_L)(P_R) -> (gamma P_R)(gamma P_L)
    for anticommuting fields, checked numerically with explicit Dirac matrices (docs/matching.md §9.3)."""
    g0 = np.array([[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]], complex)  # chiral basis
    sig = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
    gs = [g0] + [np.block([[np.zeros((2, 2)), s], [-s, np.zeros((2, 2))]]) for s in sig]
    g5 = 1j * gs[0] @ gs[1] @ gs[2] @ gs[3]
    PL, PR = (np.eye(4) - g5) / 2, (np.eye(4) + g5) / 2
    eta = np.diag([1, -1, -1, -1])
    rng = np.random.default_rng(1)
    u = [rng.normal(size=4) + 1j * rng.normal(size=4) for _ in range(4)]
    bar = lambda x: x.conj() @ g0  # noqa: E731
    lhs = (bar(u[0]) @ PL @ u[1]) * (bar(u[2]) @ PR @ u[3])
    rhs = sum(eta[m, m] * (bar(u[0]) @ gs[m] @ PR @ u[3]) * (bar(u[2]) @ gs[m] @ PL @ u[1]) for m in range(4))
    # commuting spinors: lhs = +1/2 rhs; anticommuting fields add a minus sign -> -1/2
    assert lhs == pytest.approx(0.5 * rhs, rel=1e-12)


def test_d_mixing_box_is_the_relabelled_b_mixing_box():
    """A point whose up-type S1 couplings A (up basis: A = y_LL) equal the down-type B of a second point
    (down basis: B = -y_LL) gives CVLL_ucuc = CVLL with (b, s) -> (u, c): the symmetry the box derivation
    uses (massless internal leptons and neutrinos alike)."""
    Y = np.zeros((3, 3), complex)
    Y[0, 1], Y[1, 1], Y[0, 2], Y[1, 2] = 0.4 + 0.2j, -0.3, 0.2, 0.5j
    up = Point(m_S1=M, m_R2=M, y_LL=Y, quark_basis="up")
    mb = up.mass_basis()
    A = np.asarray(mb.s1_uc_eL)
    # the same matrix as B of a down-basis point, rows (u, c) -> (b, s)
    Ydown = np.zeros((3, 3), complex)
    Ydown[2], Ydown[1] = -A[0], -A[1]
    down = Point(m_S1=M, m_R2=M, y_LL=Ydown)
    assert complex(match(up).values["CVLL_ucuc"]) == pytest.approx(complex(match(down).values["CVLL_bsbs"]), rel=1e-13)


@pytest.mark.flavio
@pytest.mark.slow
def test_d_mixing_box_moves_flavio_x12():
    """flavio's x12_D = 2|M12| tau_D with M12 = M12_SM - C <O>/(2 M_D): the NP shift scales as C, i.e. as
    (A_u A_c*)^2 / m^2 -> doubling both couplings multiplies |Delta M12| by 16 (independent of the box code)."""
    from observables import flavio_backend as fb

    def x12(scale):
        Y = np.zeros((3, 3), complex)
        Y[0, 1], Y[1, 1] = 0.5 * scale, 0.5 * scale
        wc = match(Point(m_S1=M, m_R2=M, y_LL=Y, quark_basis="up")).nonzero()
        return fb.np_prediction("x12_D", {k: v for k, v in wc.items() if k.endswith("ucuc")}, M)

    sm = fb.sm_prediction("x12_D")
    d1, d2 = x12(1.0) - sm, x12(2.0) - sm
    assert abs(d1) > 1e-3 * sm
    # |M12_SM + 16 d| vs |M12_SM + d|: with M12_SM and d nearly parallel (real couplings) the shift is linear
    assert d2 / d1 == pytest.approx(16.0, rel=2e-2)


def test_surrogate_steps_for_a_nearly_linear_observable_with_a_tiny_natural_scale():
    """eps_K-like: f = c + g x + q x^2 with g^2 >> q c (the textbook root of q h^2 + g h = c cancels to 0);
    the extraction must recover g and q exactly (reference: the polynomial itself)."""
    from observables.surrogate import _fit_function

    c, g, q = 2.2e-3, 1.3e12, 4.0e9

    def f(x):
        return c + g * x[0] + q * x[0] ** 2

    c0, lin, quad, steps, _ = _fit_function(f, 1, [(0,)])
    assert steps[0] > 0 and np.isfinite(steps[0])  # was 0 (ZeroDivisionError) with the cancelling root
    assert c0 == c and lin[0] == pytest.approx(g, rel=1e-9)
    # where the NP change is up to 10x the SM value the fit reproduces f (the x^2 term is below rounding there)
    for x in np.linspace(-10, 10, 9) * steps[0]:
        assert c0 + lin[0] * x + quad[0, 0] * x * x == pytest.approx(f([x]), rel=1e-9)
