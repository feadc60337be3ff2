"""Flavour predictions of leptoquark points (lqmodel.flavour) against flavio itself and hand calculations.

Independent references: flavio 2.7.1's own SM and NP predictions (direct calls), the hand formula
R/R_SM = (1 + C_VL/eta_EW)^2 for a pure vector shift (flavio's SM term is eta_EW = 1 + alpha/pi ln(m_Z/mu)),
the S1 example table of docs/theory.md §c.6 (C_SL = +-0.1, C_T = -C_SL/4 at 4.8 GeV), the universal
"sterile-neutrino" enhancement R/R_SM = 1 + |C^N_VR|^2/eta_EW^2 of docs/theory.md §c.3 (parity argument, §c.6),
and flavio's a_mu = a_SM + G_F m_mu^2/(sqrt2 pi^2) Re C7_mumu.
Surrogates are cached in the session's LQMODEL_CACHE_DIR; wall time about 1.5-2.5 min (mostly building
surrogates from flavio).
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lqmodel.flavour import chi2, flavour_summary, predict
from lqmodel.matching import delta_a_lepton, match
from lqmodel.models import s1_only
from lqmodel.point import Point
from observables.parameters import value

pytestmark = pytest.mark.flavio

RDX = ["R_D", "R_Dstar"]


def _eta_ew() -> float:
    """flavio 2.7.1's SM coefficient of O_VL in b -> c l nu at 4.8 GeV (bdecays/wilsoncoefficients.get_CVLSM)."""
    return 1 + value("alpha_e_flavio_4p8GeV") / math.pi * math.log(value("m_Z") / 4.8)


@pytest.fixture(scope="module")
def fb():
    from observables import flavio_backend

    return flavio_backend


@pytest.fixture(scope="module")
def sm(fb):
    return {n: fb.sm_prediction(n) for n in RDX + ["BR_Bc_taunu"]}


def _qed_running(m: float) -> float:
    """Leading-log QED running of a semileptonic vector coefficient from m down to 4.8 GeV (the same
    short-distance log as eta_EW, Sirlin 1982): 1 + alpha(m_Z)/pi ln(m/4.8)."""
    return 1 + 0.00781549 / math.pi * math.log(m / 4.8)  # alpha(m_Z) = 1/127.95 (flavio 2.7.1 parameter)


def test_sm_at_zero_couplings(sm):
    p = s1_only(1000.0, 0.0, 0.0, "tau")
    pred = predict(p, RDX + ["BR_Bc_taunu", "Delta_a_mu"])
    for n in RDX + ["BR_Bc_taunu"]:
        # R(D(*)): flavio integrates over q^2 with epsrel 0.005, results jitter at 1e-6..3e-5 (docs/theory.md §c.6)
        assert float(pred[n]) == pytest.approx(sm[n], rel=3e-5 if n in RDX else 1e-9)
    assert float(pred["Delta_a_mu"]) == 0.0
    assert sm["R_D"] == pytest.approx(0.2950, abs=5e-4) and sm["R_Dstar"] == pytest.approx(0.2451, abs=5e-4)


def test_hand_calculation_pure_cvl(fb, sm):
    """At the b scale (no running): R(D(*))/SM = (1 + C_VL/eta_EW)^2 exactly (vector current, same form factors)."""
    C = 0.05
    eta = _eta_ew()
    assert eta == pytest.approx(1.0071, abs=2e-4)  # docs/theory.md §c.1
    for n in RDX:
        r = fb.np_prediction(n, {"CVL_bctaunutau": C}, 4.8) / sm[n]
        assert r == pytest.approx((1 + C / eta) ** 2, rel=2e-5)


def test_positive_cvl_raises_rd_through_matching(sm):
    """S1 with real y2 on the tau: C_VL > 0 at 1 TeV and R(D), R(D*) rise by (1 + k C_VL/eta)^2, with k the
    leading-log QED running of the semileptonic operator to 4.8 GeV (measured: wilson's k is 0.07% above it)."""
    p = s1_only(1000.0, 0.0, 1.8, "tau")
    C = complex(match(p).values["CVL_bctaunutau"]).real
    assert C > 0.04
    pred = predict(p, RDX)
    for n in RDX:
        shift = float(pred[n]) / sm[n] - 1
        hand = (1 + C * _qed_running(1000.0) / _eta_ew()) ** 2 - 1
        assert shift > 0
        assert shift == pytest.approx(hand, rel=5e-3)


@pytest.mark.parametrize("csl, rd, rdst", [(0.1, 1.142, 1.130), (-0.1, 0.880, 0.892)])
def test_s1_example_table(fb, sm, csl, rd, rdst):
    """docs/theory.md §c.6 S1 example: scalar + tensor at 4.8 GeV with C_SL = -4 C_T, recomputed through flavio."""
    wc = {"CSL_bctaunutau": csl, "CT_bctaunutau": -csl / 4}
    assert fb.np_prediction("R_D", wc, 4.8) / sm["R_D"] == pytest.approx(rd, abs=1.5e-3)
    assert fb.np_prediction("R_Dstar", wc, 4.8) / sm["R_Dstar"] == pytest.approx(rdst, abs=1.5e-3)


def _sterile_point(y1=1.0, yr=0.8, m=1200.0):
    """S1 with ybar^RR_{bN1} = y1 and y^RR_{c tau} = yr only: a pure C^N_VR (docs/theory.md §c.3)."""
    ybar = np.zeros((3, 3), complex)
    ybar[2, 0] = y1
    yrr = np.zeros((3, 3), complex)
    yrr[1, 2] = yr
    return Point(m_S1=m, m_R2=m, ybar_RR=ybar, y_RR=yrr)


@pytest.mark.parametrize("method", ["surrogate", "flavio"])
def test_sterile_neutrino_universal_enhancement(sm, method):
    """C^N_VR alone: R(D)/SM = R(D*)/SM = 1 + |C^N_VR|^2/eta^2 (incoherent, parity image of C_VL).

    The images run like the flavio operators (QED leading log, as in the test above)."""
    p = _sterile_point()
    wc = match(p)
    cn = complex(wc.right_handed_nu["CVR_bctauN1"])
    assert abs(cn) > 0.1
    assert all(v == 0 for k, v in wc.values.items() if k.startswith(("CVL_bc", "CSL_bc", "CT_bc")))
    pred = predict(p, RDX, method=method)
    for n in RDX:
        hand = abs(cn) ** 2 * _qed_running(1200.0) ** 2 / _eta_ew() ** 2
        assert float(pred[n]) / sm[n] - 1 == pytest.approx(hand, rel=3e-3)


def test_delta_a_mu_through_flavio(fb):
    """flavio's a_mu from our C7_mumu: the Delta a_mu of the matching at flavio's mu-decay scale (1 GeV), and at the
    matching scale within the QED running of the dipole (-7%, docs/theory.md §c.1: 8.6418e-9 per unit C7 at 1 TeV)."""
    p = s1_only(1000.0, 0.0, 0.1, "mu", y1p=0.1)
    wc = match(p)
    da = float(delta_a_lepton(p)[1])
    c7 = complex(wc.values["C7_mumu"])
    # input in the 5-flavour WET at 1 GeV: wilson's threshold translation to WET-3 shifts it by ~1e-3
    assert fb.np_prediction("Delta_a_mu", {"C7_mumu": c7}, 1.0) == pytest.approx(da, rel=2e-3)
    at_lq = float(predict(p, ["Delta_a_mu"])["Delta_a_mu"])
    assert at_lq == pytest.approx(8.6418e-9 * c7.real, rel=1e-3)
    assert 0.85 < at_lq / da < 1.0


def test_surrogate_equals_flavio_at_random_points():
    """Random general points (S1 and R2~ couplings to c, b, tau, mu, N) at one mass, never seen by the fit:
    surrogate and direct flavio agree within flavio's integration jitter (R(D(*)) are integrated numerically)."""
    rng = np.random.default_rng(2026)
    m = 1200.0
    pts = []
    for _ in range(2):
        yLL = np.zeros((3, 3), complex)
        yRR = np.zeros((3, 3), complex)
        ybar = np.zeros((3, 3), complex)
        ytRL = np.zeros((3, 3), complex)
        ytLR = np.zeros((3, 3), complex)
        yLL[2, 2], yLL[2, 1] = rng.normal(0, 0.8) + 0.3j * rng.normal(), rng.normal(0, 0.3)
        yRR[1, 2], yRR[2, 1], yRR[2, 2] = rng.normal(0, 0.6), rng.normal(0, 0.2), 0.1 * rng.normal()
        ybar[2, 0] = rng.normal(0, 0.8)
        ytRL[2, 2], ytLR[2, 0] = rng.normal(0, 0.5), rng.normal(0, 0.5)
        pts.append(Point(m_S1=m, m_R2=m, y_LL=yLL, y_RR=yRR, ybar_RR=ybar, yt_RL=ytRL, yt_LR=ytLR))
    names = RDX + ["Delta_a_mu", "BR_tau_mugamma", "BR_Bc_taunu"]
    batch = Point(m_S1=m, m_R2=m, **{f: np.stack([getattr(q, f) for q in pts])
                                     for f in ("y_LL", "y_RR", "ybar_RR", "yt_RL", "yt_LR")})
    sur = predict(batch, names)
    for i, q in enumerate(pts):
        fla = predict(q, names, method="flavio")
        for n in names:
            # flavio integrates R(D(*)) adaptively (epsrel 0.005): jitter up to a few 1e-5
            rel = 1e-4 if n in RDX else 1e-8
            assert float(sur[n][i]) == pytest.approx(float(fla[n]), rel=rel, abs=1e-30), n


def test_batched_surrogate_groups_masses(sm):
    masses = np.array([1000.0, 1200.0, 1000.0, 1200.0])
    y2 = np.array([0.5, 1.0, 1.5, 2.0])
    batch = s1_only(masses, 0.0, y2, "tau")
    pred = predict(batch, ["R_Dstar"])
    assert pred["R_Dstar"].shape == (4,)
    for i in range(4):
        single = predict(s1_only(masses[i], 0.0, y2[i], "tau"), ["R_Dstar"])
        assert float(pred["R_Dstar"][i]) == pytest.approx(float(single["R_Dstar"]), rel=1e-12)
    assert np.all(np.diff(pred["R_Dstar"][[0, 2]]) > 0)


def test_errors():
    p = s1_only(1000.0, 0.0, 0.5, "tau")
    with pytest.raises(KeyError, match="R_D"):
        predict(p, ["R_Dstr"])
    with pytest.raises(ValueError, match="surrogate"):
        predict(p, ["R_D"], method="fast")


def test_flavour_summary_json():
    p = _sterile_point(m=1200.0).replace(y_LL=np.diag([0, 0, 0.5]).astype(complex))
    s = flavour_summary(p, RDX + ["Delta_a_mu"], theory=False)  # the SM theory covariance costs ~1 min
    text = json.dumps(s)
    # flavio names -> flavio's full values (a_mu as flavio defines it); the NP shift under its own name
    assert set(s["observables"]) == {"Rtaul(B->Dlnu)", "Rtaul(B->D*lnu)", "a_mu", "Delta_a_mu"}
    assert s["observables"]["a_mu"] == pytest.approx(1.1659e-3, rel=1e-4)
    assert s["observables"]["a_mu"] - s["observables"]["Delta_a_mu"] == pytest.approx(1.1659e-3, rel=1e-4)
    assert s["predictions"]["Delta_a_mu"] == s["observables"]["Delta_a_mu"]
    assert s["chi2"]["group:b->c tau nu"] == pytest.approx(s["chi2"]["R_D"] + s["chi2"]["R_Dstar"])
    assert "total" in s["chi2"] and np.isfinite(s["chi2"]["total"])
    wcs = s["wilson_coefficients"]
    assert wcs["eft"] == "WET" and wcs["basis"] == "flavio" and wcs["scale"] == 1200.0
    assert "CVL_bctaunutau" in wcs["values"] and "CVR_bctauN1" in s["right_handed_nu"]
    assert json.loads(text) == json.loads(json.dumps(s))
    c = chi2({"R_D": np.array([0.30, 0.35])})
    assert c["total"].shape == (2,)


def test_bs_mixing_box_raises_delta_ms(fb):
    """The S1 box adds constructively to the SM B_s mixing amplitude (derived sign, docs/matching.md §4): for
    real b-mu and s-mu couplings of either relative sign, Delta M_s rises by |C_LQ/C_SM| ~ (y_b y_s)^2."""
    y = np.zeros((3, 3), complex)
    y[2, 1] = 1.0
    sm_dms = fb.sm_prediction("DeltaM_s")
    for ys in (-0.05, 0.05):
        y[1, 1] = ys
        wc = match(Point(m_S1=1000.0, m_R2=1000.0, y_LL=y))
        c = complex(wc.values["CVLL_bsbs"])
        assert c.real < 0
        r = fb.np_prediction("DeltaM_s", {"CVLL_bsbs": c}, 1000.0) / sm_dms
        assert r > 1.0


def test_n_scalar_tensor_against_parity_formulas_of_c6():
    """S1 N_R scalar + tensor (C^N_SR = -4 C^N_T) matched at 4.8 GeV (no running) against the explicit
    right-handed-nu formulas of docs/theory.md §c.6 (coefficients 1.115, 0.658 for R(D); 0.053, 17.16 for R(D*),
    in the normalisation with eta_EW divided out)."""
    y = np.zeros((3, 3), complex)
    y[1, 2] = 1e-3  # y^LL_{s tau}: A_{c tau} = V*_cs y (down basis); no b-nu coupling, so no C_VL in b -> c
    ybar = np.zeros((3, 3), complex)
    ybar[2, 0] = 0.013
    p = Point(m_S1=4.8, m_R2=4.8, y_LL=y, ybar_RR=ybar)
    wc = match(p)
    S = complex(wc.right_handed_nu["CSR_bctauN1"]) / _eta_ew()
    T = complex(wc.right_handed_nu["CT_bctauN1"]) / _eta_ew()
    assert pytest.approx(-4.0) == S / T and 0.1 < abs(S) < 0.4
    assert complex(wc.values["CVL_bctaunutau"]) == 0 and complex(wc.right_handed_nu["CVR_bctauN1"]) == 0
    pred = predict(p, RDX, method="flavio")
    from observables import flavio_backend as fb

    rd = float(pred["R_D"]) / fb.sm_prediction("R_D") - 1
    rdst = float(pred["R_Dstar"]) / fb.sm_prediction("R_Dstar") - 1
    assert rd == pytest.approx(1.115 * abs(S) ** 2 + 0.658 * abs(T) ** 2, rel=2e-3)
    assert rdst == pytest.approx(0.053 * abs(S) ** 2 + 17.16 * abs(T) ** 2, rel=5e-3)


# ------------------------------------------------------------------------- Wilson coefficients as input
def test_predict_accepts_wilson_coefficients_and_wcxf_dicts(fb):
    """A matched WilsonCoefficients object, its to_dict() and a WCxf-file-style dict ({'Re', 'Im'} values)
    give what the point gives, and flavio's own prediction for those coefficients (both methods). With
    N_R couplings the object (which carries the N_R operators) still equals the point; a WCxf dict has no
    N_R operators, so the dict comparisons use a point without them."""
    from observables.surrogate import TOLERANCE_FACTOR

    names = ["R_D", "R_Dstar", "BR_Bc_taunu"]
    q = s1_only(1500.0, 0.3, 0.8, "tau")
    assert match(q).right_handed_nu and any(np.any(v != 0) for v in match(q).right_handed_nu.values())
    for n, v in predict(match(q), names).items():
        assert float(v) == float(predict(q, names)[n])
    p = s1_only(1500.0, 0.0, 0.8, "tau")
    wc = match(p)
    by_point = predict(p, names)
    by_object = predict(wc, names)
    d = wc.to_dict()
    by_dict = predict(d, names)
    wcxf_file = {"eft": "WET", "basis": "flavio", "scale": d["scale"],
                 "values": {k: ({"Re": v[0], "Im": v[1]} if isinstance(v, list) else v)
                            for k, v in d["values"].items()}}
    by_file = predict(wcxf_file, names)
    for n in names:
        assert float(by_object[n]) == float(by_point[n]) == float(by_dict[n]) == float(by_file[n])
        C = {k: complex(v) for k, v in wc.nonzero().items()}
        allowed = set(__import__("observables.registry", fromlist=["get"]).get(n).wc_names)
        direct = fb.np_prediction(n, {k: v for k, v in C.items() if k in allowed}, 1500.0)
        with fb.integration_tolerance(TOLERANCE_FACTOR):
            tight = fb.np_prediction(n, {k: v for k, v in C.items() if k in allowed}, 1500.0)
        spread = abs(direct - tight) / abs(tight)
        assert abs(float(by_dict[n]) - direct) / abs(direct) <= spread + 2e-8
    assert float(predict(d, ["R_D"], method="flavio")["R_D"]) == pytest.approx(float(by_dict["R_D"]), rel=3e-5)


def test_predict_batched_dict_and_smeft_coefficients(fb):
    """Batched WCxf-style dict (arrays broadcast with the scale) and SMEFT Warsaw coefficients (a
    SMEFTCoefficients object and its dict) against flavio point by point."""
    from lqmodel.smeft_matching import SMEFTCoefficients
    from observables.surrogate import INTERPOLATION_ERROR

    d = {"eft": "WET", "basis": "flavio", "scale": np.array([1000.0, 2000.0]),
         "values": {"Cgamma_taumu": np.array([1e-9, 2e-9j])}}
    out = predict(d)  # two points at two masses: the interpolated path (masses="auto")
    from observables import registry

    assert set(out) == {n for n in registry.names() if registry.get(n).basis == "WET"}  # its basis only
    for i in range(2):
        ref = fb.np_prediction("BR_tau_mugamma", {"Cgamma_taumu": complex(d["values"]["Cgamma_taumu"][i])},
                               float(d["scale"][i]))
        assert out["BR_tau_mugamma"][i] == pytest.approx(ref, rel=INTERPOLATION_ERROR)
    c = SMEFTCoefficients(1200.0, {"lq3_2233": np.asarray(2e-7 + 0j)})
    got = predict(c, ["BR_tau_mununu"])
    assert float(got["BR_tau_mununu"]) == pytest.approx(fb.np_prediction("BR_tau_mununu", {"lq3_2233": 2e-7}, 1200.0),
                                                        rel=1e-9)
    assert float(predict({"eft": "SMEFT", "scale": 1200.0, "values": {"lq3_2233": 2e-7}},
                         ["BR_tau_mununu"])["BR_tau_mununu"]) == float(got["BR_tau_mununu"])


def test_predict_coefficient_input_errors():
    from lqmodel.errors import InputError

    good = {"eft": "WET", "basis": "flavio", "scale": 1000.0, "values": {"C9_bsmumu": 0.1}}
    with pytest.raises(InputError, match="close matches"):
        predict({**good, "values": {"C9_bsmumuu": 0.1}})
    with pytest.raises(InputError, match="eft 'WET' basis 'flavio'"):
        predict({**good, "basis": "JMS"})
    with pytest.raises(InputError, match="missing"):
        predict({"eft": "WET", "values": {}})
    with pytest.raises(InputError, match="positive"):
        predict({**good, "scale": -5.0})
    with pytest.raises(InputError, match="Re"):
        predict({**good, "values": {"C9_bsmumu": {"real": 1}}})
    with pytest.raises(InputError, match=r"not WET-basis"):
        predict(good, ["R_mu_Z"])
    with pytest.raises(InputError, match="broadcast"):
        predict({**good, "scale": np.array([1e3, 2e3]), "values": {"C9_bsmumu": np.zeros(3)}})
    with pytest.raises(InputError, match="Point"):
        predict(42)
