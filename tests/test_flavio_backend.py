"""observables.flavio_backend against flavio itself and against analytic normalisations.

* The LFU-ratio parts (numerator / denominator) reproduce flavio's own <Rmue> and Rtaul identically.
* Delta a_mu per unit C7_mumu equals the tree-level normalisation of the WCxf operator,
  G_F m_mu^2 / (sqrt(2) pi^2), up to the QED running between the input scale and flavio's g-2 scale.
"""
from __future__ import annotations

import math

import pytest

pytestmark = pytest.mark.flavio


def test_ratio_parts_reproduce_flavio_ratios():
    from observables import flavio_backend as fb
    from observables.registry import get

    wc = {"C9_bsmumu": -0.7 + 0.2j, "C10_bsmumu": 0.4, "C9_bsee": 0.1,
          "CVL_bctaunutau": 0.08 - 0.05j, "CSL_bcmunumu": 0.2, "CT_bctaunumu": 0.05}
    w = fb.make_wc(wc, 1000.0)
    for name in ("R_K[1.1,6.0]", "R_Kstar[0.1,1.1]", "R_D", "R_Dstar"):
        spec = get(name)
        ratio = fb.part_value(spec.numerator, w) / fb.part_value(spec.denominator, w)
        assert ratio == pytest.approx(fb.np_prediction(name, wc, 1000.0), rel=1e-13), name


def test_sm_prediction_and_np_at_zero_agree():
    from observables import flavio_backend as fb

    for name in ("R_D", "BR_B+_Knunu", "DeltaM_s"):
        assert fb.np_prediction(name, {}, 1000.0) == pytest.approx(fb.sm_prediction(name), rel=1e-12)
    assert fb.sm_prediction("R_Dstar") == pytest.approx(0.2451, abs=1e-4)  # docs/theory.md §c.6
    assert fb.sm_prediction("Delta_a_mu") == 0.0


def test_delta_a_mu_normalisation():
    from observables import flavio_backend as fb

    flavio = fb._import_flavio()
    par = flavio.default_parameters.get_central_all()
    tree = par["GF"] * par["m_mu"] ** 2 / (math.sqrt(2) * math.pi**2)  # 4 m_mu C / e with the WCxf prefactor
    low = fb.np_prediction("Delta_a_mu", {"C7_mumu": 1.0}, 1.0)
    assert low == pytest.approx(tree, rel=3e-3)  # QED running 1 GeV -> flavio's g-2 scale only
    # flavio 2.7.1, docs/theory.md §c.1
    assert fb.np_prediction("Delta_a_mu", {"C7_mumu": 1.0}, 1000.0) == pytest.approx(8.6418e-9, rel=1e-4)


def test_bad_inputs():
    from observables import flavio_backend as fb

    with pytest.raises(KeyError, match="CVL_bctaunutau"):
        fb.np_prediction("R_D", {"CVL_bctaunutua": 0.1}, 1000.0)
    with pytest.raises(ValueError, match="scale"):
        fb.np_prediction("R_D", {}, -5.0)
    with pytest.raises(KeyError, match="Did you mean"):
        fb.sm_prediction("R_DD")


def test_integration_tolerance_restores_flavio():
    from observables import flavio_backend as fb

    fb._import_flavio()
    import flavio.math.integrate as fi

    original = fi.nintegrate
    with fb.integration_tolerance(0.1):
        assert fi.nintegrate is not original
    assert fi.nintegrate is original
