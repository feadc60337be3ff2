"""Finite one-loop Z/W coupling terms (lqmodel.ew_oneloop) against independent references.

References:
* mpmath quadrature of the Feynman-parameter / Euclidean integrals that define F and G_W, and the project's
  closed-form zero-momentum integrals (loops.vacuum), which share no code with lqmodel.ew_oneloop;
* the one-loop SMEFT RGE as solved by wilson (leading log): the ln M^2 terms of the full one-loop functions
  must be exactly what wilson generates from the tree-level C_lq / C_eu (no double counting);
* SU(2) of the hard matching: the W-vertex hard part equals the C_Hl3 image of the Z-vertex hard parts;
* flavio's own Z/W coupling shifts (zdecays/smeftew.py) for the normalisation of the coefficients;
* the published statement of Arnan, Becirevic, Mescia, Sumensari arXiv:1901.06315 (abstract): the terms
  beyond the leading log amount to about 20% for leptoquark masses below 1.5 TeV.
"""
from __future__ import annotations

import math
import warnings
from functools import cache

import mpmath as mp
import numpy as np
import pytest

from lqmodel import ew_oneloop as e
from lqmodel.errors import InputError
from lqmodel.models import s1_only
from lqmodel.point import Point
from lqmodel.smeft_matching import match_smeft

M = 1000.0
XS = (1e-6, 1e-3, 0.03, 0.3, 0.9995, 1.0, 1.7, 25.0)


def test_F_against_feynman_parameter_quadrature_and_vacuum_integral():
    from loops.vacuum import euclid_integral

    for x in XS:
        # m^2 int d^4k_E/pi^2 1/((k^2+m^2)^2 (k^2+M^2)) = x int_0^1 z dz/(z x + 1 - z)   (M = 1)
        ref = x * mp.quad(lambda z, x=x: z / (z * x + 1 - z), [0, 1])
        assert float(e.F_z(x)) == pytest.approx(float(ref), rel=1e-12, abs=1e-300)
        assert float(e.F_z(x)) == pytest.approx(x * float(euclid_integral(1, x, x, 1.0)), rel=1e-9)
    assert float(e.F_z(0.0)) == 0.0


def test_G_w_against_quadrature_of_vertex_minus_self_energies():
    """G_W = [vertex(m_u, m_d) - (S(m_u) + S(m_d))/2] with the UV-finite combination
    -1/4 (s1 - s2)^2 int t^2 dt / ((t+s1)^2 (t+s2)^2 (t+1)) - F(s1)/2 - F(s2)/2, at m_d -> 0."""
    for x in XS[1:]:
        s2 = 1e-9 * x
        comb = -0.25 * (x - s2) ** 2 * mp.quad(lambda t, x=x, s2=s2: t**2 / ((t + x) ** 2 * (t + s2) ** 2 * (t + 1)),
                                               [0, s2, x, 1, mp.inf])
        ref = comb - 0.5 * float(e.F_z(x)) - 0.5 * float(e.F_z(s2))
        assert float(e.G_w(x)) == pytest.approx(float(ref), rel=1e-6)


def test_hard_parts_small_x_limits_and_su2():
    x = np.array([1e-6, 1e-5, 1e-4])
    # hard(mu = M) parts: Z per unit s -> -x, W -> +x/2 (no logarithm of m: that is the soft region's)
    np.testing.assert_allclose(e.hard_z(x) / x, -1.0, atol=30 * 1e-4 * abs(math.log(1e-4)))
    np.testing.assert_allclose(e.hard_w(x) / x, 0.5, atol=30 * 1e-4 * abs(math.log(1e-4)))
    # SU(2): S1 with a top loop has s = +1/2 for l_L and no top in the nu loop, so C_Hl1 = C_Hl3 and the
    # W shift v^2 C_Hl3 = -(Z l_L shift): hard_w + hard_z/2 vanishes up to dimension-8 terms O(x^2 ln x)
    resid = e.hard_w(x) + 0.5 * e.hard_z(x)
    assert np.all(np.abs(resid) < 5 * x**2 * np.abs(np.log(x)))
    # soft W differs from the C_Hl3 image of soft Z by -x/4 (what is documented as not included)
    assert float(e.soft_w(0.02, 91.0, 150.0) + 0.5 * e.soft_z(0.02, 91.0, 150.0)) == pytest.approx(-0.005)


def test_bad_input():
    with pytest.raises(InputError):
        e.F_z(-0.1)
    with pytest.raises(InputError):
        e.G_w(float("nan"))


# ------------------------------------------------------------------------------ logs against wilson's RGE
@cache
def _wilson_ll(cls: str, q: int) -> tuple[float, float]:
    """Higgs-current coefficient at m_Z (wilson leading log) from a semileptonic C = c at M on (l3 l3)(q q)."""
    from wilson import Wilson
    from wilson.run.smeft import SMEFT

    c = 1e-6
    wc = {f"lq1_33{q}{q}": c, f"lq3_33{q}{q}": -c} if cls == "lq" else {f"eu_33{q}{q}": c}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = Wilson(wc, scale=M, eft="SMEFT", basis="Warsaw")
        w.set_option("smeft_accuracy", "leadinglog")
        d = w.match_run(91.1876, "SMEFT", "Warsaw").dict
        yt = abs(SMEFT(w.wc).C_in["Gu"][2, 2])
    if cls == "lq":
        return float(np.real(d.get("phil1_33", 0) + d.get("phil3_33", 0))), float(yt)
    return float(np.real(d.get("phie_33", 0))), float(yt)


@pytest.mark.slow
@pytest.mark.parametrize("cls,s,tree", [("lq", +0.5, 2e-6), ("eu", -0.5, 1e-6)])
def test_log_of_the_full_loop_is_wilsons_running(cls, s, tree):
    """The ln(M^2) coefficient of s F(x) is s x; converted to C_H = -(2/v^2) delta g with x = y_t^2 v^2/(2M^2)
    and |lambda|^2 = 2 M^2 (C_lq1 - C_lq3) or 2 M^2 C_eu, it must equal wilson's top-Yukawa leading log
    (isolated as q_3 minus q_1: gauge penguins are quark-flavour universal)."""
    h3, yt = _wilson_ll(cls, 3)
    h1, _ = _wilson_ll(cls, 1)
    lam2 = 2 * M**2 * tree
    v2 = 1 / (math.sqrt(2) * 1.1663788e-5)
    x = yt**2 * v2 / (2 * M**2)
    dg = s * e.NC / (16 * math.pi**2) * lam2 * x * math.log(M**2 / 91.1876**2)
    assert (h3 - h1) == pytest.approx(-2 / v2 * dg, rel=3e-3)
    # the running top mass used for the finite parts agrees with wilson's y_t(M) to a few per cent
    assert float(e.running_mass("m_t_MSbar", M)) * math.sqrt(2 / v2) == pytest.approx(yt, rel=0.05)


# ------------------------------------------------------------------------------ coefficients and flavio
def test_match_smeft_switch_batch_and_mapping():
    p = s1_only(M, 0.0, np.array([0.5, 1.0, 2.0]), "tau")
    on, off = match_smeft(p), match_smeft(p, oneloop=False)
    assert not any(k.startswith("phi") for k in off.values)
    assert {"phil1_33", "phil3_33"} <= set(on.values)
    for i in range(3):
        one = match_smeft(s1_only(M, 0.0, [0.5, 1.0, 2.0][i], "tau")).nonzero()
        for k, v in one.items():
            assert complex(on.values[k][i]) == pytest.approx(v, rel=1e-14)
    # quadratic in the coupling
    assert on.values["phil1_33"][2].real / on.values["phil1_33"][0].real == pytest.approx(16.0)
    d = e.delta_g(p)
    v2 = 1 / (math.sqrt(2) * 1.1663788e-5)
    np.testing.assert_allclose(-v2 / 2 * (on.values["phil1_33"] + on.values["phil3_33"]).real, d["Z_eL"][:, 2])
    # finite terms reduce |delta g_L|: the leading log is positive, the hard + soft remainder negative
    assert np.all(d["Z_eL"][:, 2] < 0)


def test_right_handed_top_coupling_gives_C_He():
    yRR = np.zeros((3, 3))
    yRR[2, 2] = 1.0
    c = match_smeft(Point(m_S1=M, m_R2=5000.0, y_RR=yRR)).nonzero()
    assert {k for k in c if k.startswith("phi")} == {"phie_33"}
    v2 = 1 / (math.sqrt(2) * 1.1663788e-5)
    xm = (float(e.running_mass("m_t_MSbar", M)) / M) ** 2
    mz_t = float(e.running_mass("m_t_MSbar", 91.1876))
    dg = -0.5 * 3 / (16 * math.pi**2) * (float(e.hard_z(xm)) + (mz_t / M) ** 2 * math.log(91.1876**2 / mz_t**2))
    assert c["phie_33"].real == pytest.approx(-2 / v2 * dg, rel=1e-12)
    assert dg > 0  # g_R = s_W^2 > 0: the finite remainder increases it (the leading log decreases it)


@pytest.mark.flavio
@pytest.mark.slow
def test_coefficients_reproduce_the_shifts_in_flavios_conventions():
    """flavio's smeftew d_gV, d_gA, d_gWl at the matching scale (no running) give back delta_g."""
    from collections import defaultdict

    from observables.flavio_backend import _import_flavio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flavio = _import_flavio()
        from flavio.physics.zdecays import smeftew
    par = flavio.default_parameters.get_central_all()
    yLL = np.zeros((3, 3))
    # tau flavour only: C_Hl3_11, C_Hl3_22 would shift G_F (muon decay) and with it every coupling
    yLL[2, 2] = 1.0
    yRR = np.zeros((3, 3))
    yRR[2, 2] = 0.8
    yt = np.zeros((3, 3))
    yt[2, 2] = 0.7
    p = Point(m_S1=M, m_R2=1200.0, y_LL=yLL, y_RR=yRR, yt_RL=yt)
    C = defaultdict(float)
    C.update({k: v for k, v in match_smeft(p).nonzero().items() if k.startswith("phi")})
    d = e.delta_g(p)
    vev2_ratio = par["GF"] / 1.1663788e-5  # flavio's G_F vs the project's (both PDG): v^2 ratio
    for i, (l, nu) in enumerate((("e", "nue"), ("mu", "numu"), ("tau", "nutau"))):
        gL = (smeftew.d_gV(l, l, par, C) + smeftew.d_gA(l, l, par, C)).real
        gR = (smeftew.d_gV(l, l, par, C) - smeftew.d_gA(l, l, par, C)).real
        gnu = (smeftew.d_gV(nu, nu, par, C) + smeftew.d_gA(nu, nu, par, C)).real
        for got, want in ((gL, d["Z_eL"][i]), (gR, d["Z_eR"][i]), (gnu, d["Z_nu"][i])):
            assert got * vev2_ratio == pytest.approx(want, rel=1e-9, abs=1e-15), (l, got, want)
    # W: flavio's d_gWl is relative to g_W = 1/2; the C_Hl3 image is delta g_nu - delta g_l
    gW = 2 * smeftew.d_gWl("tau", "tau", par, C).real * vev2_ratio  # lepton-doublet index pair (3, 3)
    assert gW == pytest.approx(d["Z_nu"][2] - d["Z_eL"][2], rel=1e-9)
    # ... which is the genuine W vertex up to the documented soft remainder -N_c |lambda|^2 x_Z / (64 pi^2)
    # (the rest: dimension-8 terms of the hard parts, O(x ln x) relative, and the b-quark nu loop)
    mz_t = float(e.running_mass("m_t_MSbar", 91.1876))
    lam2 = abs(complex(np.asarray(p.mass_basis().s1_uc_eL)[2, 2])) ** 2
    assert d["W"][2] - gW == pytest.approx(-3 * lam2 * (mz_t / M) ** 2 / (64 * math.pi**2), rel=0.15)


def test_published_size_of_the_finite_terms():
    """arXiv:1901.06315 (abstract): the terms beyond the leading log are about 20% for M below 1.5 TeV.
    Full one-loop (pole m_t, fixed order, q^2 = 0) against the leading log x ln(1/x) of the same loop."""
    from observables.parameters import value

    mt = value("m_t_pole")
    for m in (1000.0, 1250.0, 1500.0):
        x = (mt / m) ** 2
        frac = 1 - float(e.F_z(x)) / (x * math.log(1 / x))
        assert 0.15 < frac < 0.25, (m, frac)
