"""BR(D0 -> l l) (observables.charm) and the tree-level c -> u l l matching (lqmodel.charm_matching).

Independent references:
* the generic P -> l l formula fed flavio's own b -> s mu mu coefficients (SM + NP) and B_s inputs reproduces
  flavio 2.7.1's BR(Bs->mumu) (an independent implementation of the same physics);
* analytic limits of the formula: the helicity suppression m_l^2 beta of the axial term, beta^3 of the scalar
  term, the chiral enhancement m_P^2/(2 m_l) of C_P over C_10, no S-P interference;
* wilson 2.5.2's SMEFT -> WET tree matching of lqmodel.smeft_matching's coefficients for the model side, and a
  hand computation from the S1 Lagrangian (docs/charm.md §3).
"""
from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np
import pytest

from observables import charm
from observables.charm import MesonInputs, pll_branching_ratio

M = 1500.0
_INP = MesonInputs(m_P=1.86484, f_P=0.212, tau_P=6.2344e11, m_heavy=1.0949, m_light=0.00216)
_MMU, _ME = 0.1056583755, 0.51099895e-3


# ----------------------------------------------------------------------------------------- the formula
@lru_cache(maxsize=1)
def _flavio():
    from observables.flavio_backend import _import_flavio

    return _import_flavio()


@pytest.mark.slow
@pytest.mark.parametrize("np_wc", [
    {},
    {"C10_bsmumu": 1.0},
    {"C10_bsmumu": -0.7 + 0.4j, "C10p_bsmumu": 0.3},
    {"CS_bsmumu": 0.05, "CSp_bsmumu": -0.02j},
    {"CP_bsmumu": 0.03 - 0.01j, "CPp_bsmumu": 0.02, "C10_bsmumu": 0.2},
])
def test_generic_formula_reproduces_flavio_bs_mumu(np_wc):
    flavio = _flavio()
    from flavio.physics import ckm
    from flavio.physics.bdecays.wilsoncoefficients import wctot_dict
    from flavio.physics.running import running

    par = flavio.default_parameters.get_central_all()
    scale = flavio.config["renormalization scale"]["bll"]
    w = flavio.WilsonCoefficients()
    w.set_initial(np_wc, scale, eft="WET", basis="flavio")
    wc = wctot_dict(w, "bsmumu", scale, par)  # SM + NP at the B_s scale, exactly what flavio evaluates
    inp = MesonInputs(m_P=par["m_Bs"], f_P=par["f_Bs"], tau_P=par["tau_Bs"],
                      m_heavy=running.get_mb(par, scale, nf_out=5), m_light=running.get_ms(par, scale, nf_out=5),
                      y=par["DeltaGamma/Gamma_Bs"] / 2)
    alpha = running.get_alpha(par, 4.8)["alpha_e"]
    norm = ckm.xi("t", "bs")(par) * 4 * par["GF"] / math.sqrt(2) * alpha / (4 * math.pi)
    ours = pll_branching_ratio(inp, par["m_mu"], norm, **{k: wc[f"{k}_bsmumu"] for k in
                                                          ("C10", "C10p", "CS", "CSp", "CP", "CPp")})
    theirs = flavio.np_prediction("BR(Bs->mumu)", w)
    assert float(ours) == pytest.approx(theirs, rel=1e-10)
    # the time-integration factor is exercised: without it the result moves by O(y_s)
    inst = pll_branching_ratio(inp, par["m_mu"], norm, time_integrated=False,
                               **{k: wc[f"{k}_bsmumu"] for k in ("C10", "C10p", "CS", "CSp", "CP", "CPp")})
    assert abs(float(inst) / theirs - 1) > 1e-3


def test_axial_term_is_helicity_suppressed():
    # |P|^2 = (2 m_l/m_P)^2 |C10|^2 and the phase space beta: BR(ee)/BR(mumu) = m_e^2 beta_e / (m_mu^2 beta_mu)
    b = lambda m: math.sqrt(1 - 4 * m**2 / _INP.m_P**2)  # noqa: E731
    r = pll_branching_ratio(_INP, _ME, 1e-9, C10=1.0) / pll_branching_ratio(_INP, _MMU, 1e-9, C10=1.0)
    assert float(r) == pytest.approx(_ME**2 * b(_ME) / (_MMU**2 * b(_MMU)), rel=1e-12)
    # quadratic in the coefficient and in the normalisation
    assert float(pll_branching_ratio(_INP, _MMU, 2e-9, C10=3.0)) == pytest.approx(
        36 * float(pll_branching_ratio(_INP, _MMU, 1e-9, C10=1.0)), rel=1e-12)


def test_scalar_and_pseudoscalar_weights():
    r = _INP.m_heavy / (_INP.m_heavy + _INP.m_light)
    beta2 = 1 - 4 * _MMU**2 / _INP.m_P**2
    bp = float(pll_branching_ratio(_INP, _MMU, 1e-9, CP=0.01))
    # C_P enters like C_10 scaled by m_P^2 r / (2 m_l) (chiral enhancement, no helicity suppression)
    assert bp == pytest.approx(float(pll_branching_ratio(_INP, _MMU, 1e-9, C10=0.01 * _INP.m_P**2 * r / (2 * _MMU))),
                               rel=1e-12)
    # C_S: the P-wave final state, one more beta^2; independent of m_l otherwise
    assert float(pll_branching_ratio(_INP, _MMU, 1e-9, CS=0.01)) == pytest.approx(beta2 * bp, rel=1e-12)
    # S and P do not interfere; primed = minus unprimed (pseudoscalar meson: only the parity-odd combination)
    both = pll_branching_ratio(_INP, _MMU, 1e-9, C10=0.4, CS=0.01j)
    assert float(both) == pytest.approx(float(pll_branching_ratio(_INP, _MMU, 1e-9, C10=0.4))
                                        + float(pll_branching_ratio(_INP, _MMU, 1e-9, CS=0.01j)), rel=1e-12)
    assert float(pll_branching_ratio(_INP, _MMU, 1e-9, C10=0.3, C10p=0.3, CS=0.2, CSp=0.2, CP=1, CPp=1)) == 0.0
    # C10 and CP interfere: opposite relative sign cancels exactly at C10 = -CP m_P^2 r / (2 m_l)
    assert float(pll_branching_ratio(_INP, _MMU, 1e-9, CP=0.01, C10=-0.01 * _INP.m_P**2 * r / (2 * _MMU))) == \
        pytest.approx(0.0, abs=1e-12 * bp)


def test_vectorised_over_coefficients():
    c10 = np.linspace(-1, 1, 7)[:, None]
    cs = np.array([0.0, 0.01j])[None, :]
    out = pll_branching_ratio(_INP, _MMU, 1e-9, C10=c10, CS=cs)
    assert out.shape == (7, 2)
    for i in range(7):
        for j in range(2):
            assert out[i, j] == pytest.approx(float(pll_branching_ratio(_INP, _MMU, 1e-9, C10=c10[i, 0],
                                                                        CS=cs[0, j])), rel=1e-14)


def test_bad_inputs():
    with pytest.raises(ValueError, match="lepton mass"):
        pll_branching_ratio(_INP, 1.0, 1e-9, C10=1)
    with pytest.raises(ValueError, match="f_P"):
        MesonInputs(m_P=1.86, f_P=-0.2, tau_P=1.0, m_heavy=1.0, m_light=0.0)
    with pytest.raises(ValueError, match="unknown lepton"):
        charm.cu_wc_names("muon")


def test_unitarity_ratio_kaon_value():
    # K_L: BR_abs(mu mu)/BR(gamma gamma) = 1.2e-5 (the classic Sehgal bound; PDG BR(K_L -> gamma gamma) = 5.47e-4
    # gives the quoted unitarity limit ~6.8e-9 on BR(K_L -> mu mu))
    r = charm.two_photon_unitarity_ratio(_MMU, 0.497611, 1 / 137.036)
    assert 5.47e-4 * r == pytest.approx(6.8e-9, rel=0.05)


@pytest.mark.slow
def test_d0_inputs_and_running_route():
    flavio = _flavio()
    inp = charm.d0_inputs()
    par = flavio.default_parameters.get_central_all()
    assert (inp.m_P, inp.f_P, inp.tau_P) == (par["m_D0"], par["f_D0"], par["tau_D0"])
    # hbar / tau_D0 = Gamma_D0: 1.056e-12 GeV for tau = 410.3 fs (PDG)
    assert pytest.approx(1 / inp.tau_P, rel=2e-3) == 6.582119569e-25 / 410.3e-15
    # coefficients given at 2 GeV: the wc-object route equals the direct one (no running)
    wc = {"C10_cumumu": 0.7 - 0.2j, "CS_cumumu": 0.01, "CPp_cumumu": -0.02j}
    w = flavio.WilsonCoefficients()
    w.set_initial(wc, charm.SCALE_D, eft="WET", basis="flavio")
    assert charm.br_d0_ll_from_wc_obj(w) == pytest.approx(float(charm.br_d0_ll(wc)), rel=1e-8)
    # from 1.5 TeV: C10 is a conserved-current coefficient (QED running only, << 1%)
    w = flavio.WilsonCoefficients()
    w.set_initial({"C10_cumumu": 1.0}, M, eft="WET", basis="flavio")
    assert charm.br_d0_ll_from_wc_obj(w) == pytest.approx(float(charm.br_d0_ll({"C10_cumumu": 1.0})), rel=1e-2)


# ----------------------------------------------------------------------------------------- the model side
def _up_point():
    from lqmodel.point import Point

    yLL, yRR = np.zeros((3, 3), complex), np.zeros((3, 3), complex)
    yLL[0, 1], yLL[1, 1], yLL[2, 1], yLL[1, 0] = 0.3 + 0.1j, 0.5, 0.2, 0.1
    yRR[0, 1], yRR[1, 1], yRR[0, 0], yRR[1, 0] = 0.2 - 0.3j, 0.4j, 0.1, 0.3
    return Point(m_S1=M, m_R2=M, y_LL=yLL, y_RR=yRR, quark_basis="up")


@lru_cache(maxsize=1)
def _wilson_cu() -> dict:
    from lqmodel.smeft_matching import match_smeft
    from observables.parameters import value

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = match_smeft(_up_point(), oneloop=False).to_wilson()
        w.set_option("smeft_matchingscale", M)
        w.set_option("parameters", {"Vus": value("Vus"), "Vub": value("Vub"), "Vcb": value("Vcb"),
                                    "gamma": value("gamma_CKM"), "GF": value("G_F"),
                                    "alpha_e": value("alpha_e_flavio_4p8GeV")})
        return {k: complex(v) for k, v in w.match_run(M, "WET", "flavio").dict.items() if "_cu" in k
                and k.split("_")[0] in ("C9", "C10", "C9p", "C10p", "CS", "CSp", "CP", "CPp")}


@pytest.mark.slow
def test_cu_ll_against_wilson_smeft_matching():
    from lqmodel.charm_matching import cu_ll_tree

    ours = {k: complex(v) for k, v in cu_ll_tree(_up_point()).items()}
    theirs = _wilson_cu()
    scale = max(abs(v) for v in theirs.values())
    assert len(ours) == 12  # mumu: all 8; ee: C9p, C10p, CSp, CPp (R_{ue} R_{ce}, R_{ue} A_{ce})
    for k in set(ours) | set(theirs):
        assert ours.get(k, 0) == pytest.approx(theirs.get(k, 0), rel=1e-9, abs=1e-12 * scale), k


def test_cu_ll_by_hand_up_aligned():
    # L = a ubar^C P_L mu S1 + b cbar^C P_L mu S1 + r cbar^C P_R mu S1 + h.c. (up basis: A = y_LL, R = y_RR).
    # X^dag X / m^2 with the anticommuting Fierz identities gives (docs/charm.md §3):
    #   (a* b / 2m^2) (u_L-bar gamma c_L)(mu-bar gamma P_L mu)  ->  N C9 = -N C10 = a* b / (4 m^2)
    #   -(a* r / 2m^2) (u-bar P_R c)(mu-bar P_R mu)             ->  N m_c CS = N m_c CP = -a* r / (4 m^2)
    from lqmodel.charm_matching import cu_ll_tree, m_c_wilson
    from lqmodel.point import Point
    from observables.parameters import ckm_matrix, value

    a, b, r, m = 0.4 - 0.2j, 0.7, 0.3j, 2000.0
    yLL, yRR = np.zeros((3, 3), complex), np.zeros((3, 3), complex)
    yLL[0, 1], yLL[1, 1], yRR[1, 1] = a, b, r
    wc = cu_ll_tree(Point(m_S1=m, m_R2=m, y_LL=yLL, y_RR=yRR, quark_basis="up"))
    V = ckm_matrix()
    N = 4 * value("G_F") / math.sqrt(2) * np.conj(V[1, 2]) * V[0, 2] * value("alpha_e_flavio_4p8GeV") / (4 * math.pi)
    mc = float(m_c_wilson(m))
    assert 0.5 < mc < 0.7  # m_c(2 TeV) in MS-bar
    assert complex(wc["C9_cumumu"]) == pytest.approx(np.conj(a) * b / (4 * m**2 * N), rel=1e-12)
    assert complex(wc["C10_cumumu"]) == pytest.approx(-np.conj(a) * b / (4 * m**2 * N), rel=1e-12)
    assert complex(wc["CS_cumumu"]) == pytest.approx(-np.conj(a) * r / (4 * m**2 * mc * N), rel=1e-12)
    assert complex(wc["CP_cumumu"]) == pytest.approx(-np.conj(a) * r / (4 * m**2 * mc * N), rel=1e-12)
    assert "CSp_cumumu" not in wc and "C9p_cumumu" not in wc  # R_{u mu} = 0


def test_voloshin_b_only_couplings_reach_charm_through_the_ckm():
    # down basis, y_LL only in the b row: A_{q mu} = V*_{qb} y  =>  N C9 = V_ub V*_cb |y|^2 / (4 m^2): the CKM
    # factor of N cancels, C9 = -C10 is real and positive
    from lqmodel.charm_matching import cu_ll_tree
    from lqmodel.models import voloshin

    y2 = np.array([0.5, 1.0, 2.0])
    wc = cu_ll_tree(voloshin(1000.0, 0.05, y2, "mu"))
    assert sorted(wc) == ["C10_cumumu", "C9_cumumu"]
    from observables.parameters import value

    n_abs = 4 * value("G_F") / math.sqrt(2) * value("alpha_e_flavio_4p8GeV") / (4 * math.pi)
    expect = y2**2 / (4 * 1000.0**2) / n_abs
    np.testing.assert_allclose(wc["C9_cumumu"], expect, rtol=1e-12)
    np.testing.assert_allclose(wc["C10_cumumu"], -expect, rtol=1e-12)


def test_cu_ll_vectorised_and_r2_gives_nothing():
    from lqmodel.charm_matching import cu_ll_tree, m_c_wilson
    from lqmodel.point import Point

    p = _up_point()
    batch = Point(m_S1=np.array([M, 2 * M]), m_R2=M, y_LL=p.y_LL, y_RR=p.y_RR, quark_basis="up")
    wb = cu_ll_tree(batch)
    w1 = cu_ll_tree(p)
    for k, v in w1.items():
        assert wb[k].shape == (2,)
        assert complex(wb[k][0]) == pytest.approx(complex(v), rel=1e-13)
        # 1/m^2 (vector, axial) and 1/(m^2 m_c(m)) (scalar, pseudoscalar)
        ratio = 0.25 if k[:2] in ("C9", "C1") else 0.25 * float(m_c_wilson(M) / m_c_wilson(2 * M))
        assert complex(wb[k][1]) == pytest.approx(ratio * complex(v), rel=1e-12)
    yt = np.zeros((3, 3))
    yt[1, 1] = yt[0, 1] = 1.0
    assert cu_ll_tree(Point(m_S1=M, m_R2=M, yt_RL=yt, yt_LR=yt)) == {}


@pytest.mark.slow
def test_rate_is_an_exact_quadratic_form_through_the_running():
    # the registry form "quadratic" (and the exact surrogate) needs BR(C) = C^dag H C after flavio/wilson's running:
    # parallelogram identity BR(a + b) + BR(a - b) = 2 BR(a) + 2 BR(b), with C9 feeding C10 through QED mixing
    flavio = _flavio()

    def br(wc):
        w = flavio.WilsonCoefficients()
        w.set_initial(wc, M, eft="WET", basis="flavio")
        return charm.br_d0_ll_from_wc_obj(w)

    a = {"C9_cumumu": 300.0 + 200j, "C10_cumumu": -300.0 - 200j, "CS_cumumu": 20.0}
    b = {"C9p_cumumu": -150.0j, "C10p_cumumu": -150.0j, "CPp_cumumu": 10.0 - 5j, "C9_cumumu": 50.0}
    plus = {k: a.get(k, 0) + b.get(k, 0) for k in set(a) | set(b)}
    minus = {k: a.get(k, 0) - b.get(k, 0) for k in set(a) | set(b)}
    lhs, rhs = br(plus) + br(minus), 2 * br(a) + 2 * br(b)
    assert lhs == pytest.approx(rhs, rel=1e-9)
    # C9 alone at the matching scale gives a non-zero rate only through the running (QED mixing into C10)
    only9 = br({"C9_cumumu": 1000.0})
    assert 0 < only9 < 0.01 * br({"C10_cumumu": 1000.0})


@pytest.mark.flavio
@pytest.mark.slow
def test_d0_mumu_wired_through_match_registry_and_surrogate():
    """The registered observable: lqmodel.match -> cu coefficients -> the surrogate equals the direct formula
    (through flavio/wilson's running), and the chi2 uses the LHCb limit (default) or CMS (option)."""
    import numpy as np

    from lqmodel.flavour import predict
    from lqmodel.matching import match
    from lqmodel.point import Point
    from observables import flavio_backend as fb
    from observables.likelihood import chi2

    y = np.zeros((3, 3), complex)
    y[0, 1] = y[1, 1] = 0.3  # up basis: S1 couplings of u and c to the muon doublet
    p = Point(m_S1=1500.0, m_R2=1500.0, y_LL=y, quark_basis="up")
    wc = match(p)
    assert abs(complex(wc.values["C9_cumumu"]) + complex(wc.values["C10_cumumu"])) < 1e-9 * abs(
        complex(wc.values["C9_cumumu"]))
    br = float(predict(p, ["BR_D0_mumu"])["BR_D0_mumu"])
    direct = fb.np_prediction("BR_D0_mumu", {k: complex(v) for k, v in wc.values.items()}, float(wc.scale))
    assert br == pytest.approx(direct, rel=1e-9) and 1e-9 < br < 1e-8
    assert fb.sm_prediction("BR_D0_mumu") == 0.0
    # half-Gaussian limit: chi2 = (BR / (limit / z))^2
    from scipy.stats import norm

    assert float(chi2({"BR_D0_mumu": br})["BR_D0_mumu"]) == pytest.approx((br / (3.1e-9 / norm.ppf(0.95))) ** 2)
    assert float(chi2({"BR_D0_mumu": br}, "2026-12:D0mumu=CMS")["BR_D0_mumu"]) == pytest.approx(
        (br / (2.4e-9 / norm.ppf(0.975))) ** 2)
