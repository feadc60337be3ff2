"""Charged-current lepton-flavour universality R_mu/e(D(*)), R_tau/mu(D(*)) (observables.registry, lqmodel.flavour).

Independent reference: a left-handed vector coefficient rescales the SM amplitude, so for couplings that
generate only C_VL (S1 with y^LL only) BR(B -> D(*) mu nu) = BR_SM (|1 + C_VL^{mu mu}|^2 + sum_{nu != mu}
|C_VL^{mu nu}|^2) exactly (flavio's own SM values give the normalisation; the NP dependence is this formula,
not flavio's code). Measured values: the 2026-12 vintage's inversion of the published R_e/mu.
"""
from __future__ import annotations

import numpy as np
import pytest

from lqmodel.flavour import predict


@pytest.mark.flavio
@pytest.mark.slow
@pytest.mark.parametrize("name", ["Rmue_Dstar", "Rmue_D"])
def test_rmue_is_the_left_handed_rescaling(name):
    """At flavio's b -> c l nu scale (4.8 GeV: no running) the surrogate must equal
    R_SM (|C_SM + C_VL|^2 + |C_VL'|^2) / C_SM^2, C_SM = 1 + alpha/pi ln(m_Z/mu) the short-distance electroweak
    factor of the SM amplitude (Sirlin, Nucl. Phys. B196 (1982) 83), which flavio applies to the SM part only."""
    import math

    from observables import flavio_backend as fb
    from observables.parameters import value
    from observables.surrogate import get_surrogate

    scale = 4.8  # flavio config 'renormalization scale' of bplnu / bvlnu
    c_sm = 1 + value("alpha_e_flavio_4p8GeV") / math.pi * math.log(value("m_Z") / scale)
    cvl = np.array([0.01, 0.03, -0.05 + 0.02j, 0.12])
    s = get_surrogate(name, scale, wc_names=["CVL_bcmunumu", "CVL_bcmunutau"])
    expected = fb.sm_prediction(name) * (np.abs(c_sm + cvl) ** 2 + 0.02**2) / c_sm**2
    got = s({"CVL_bcmunumu": cvl, "CVL_bcmunutau": 0.02})
    np.testing.assert_allclose(got, expected, rtol=2e-5)  # flavio's q^2-integration spread (~1e-6) x margin


@pytest.mark.flavio
@pytest.mark.slow
def test_voloshin_example_surrogate_against_direct_flavio():
    """Issue 8: Voloshin, 1 TeV, mu, y1 = 0.05, y2 = 1, 2 -> R_mu/e(D*) +3% / +13% (surrogate vs flavio)."""
    from lqmodel.models import voloshin

    p = voloshin(1000.0, 0.05, np.array([1.0, 2.0]), "mu")
    sur = predict(p, ["Rmue_Dstar", "Rmue_D"])
    for i in range(2):
        direct = predict(p[i], ["Rmue_Dstar"], method="flavio")["Rmue_Dstar"]
        assert float(sur["Rmue_Dstar"][i]) == pytest.approx(float(direct), rel=2e-5)
    from observables import flavio_backend as fb

    shift = sur["Rmue_Dstar"] / fb.sm_prediction("Rmue_Dstar") - 1
    assert 0.02 < shift[0] < 0.04 and 0.10 < shift[1] < 0.16


def test_measured_values_are_inverted_e_over_mu():
    from observables.measurements import load

    c = load("2026-12").constraint_for("Rmue_Dstar")
    assert c.values[0] == pytest.approx(1 / 1.01, abs=0.001)  # Belle arXiv:1809.03290: R_e/mu = 1.01
    d = load("2026-12").constraint_for("Rmue_D")
    assert d.values[0] == pytest.approx(1 / 1.044, abs=0.001)
    assert d.uncertainties[0] == pytest.approx(np.hypot(0.046, 0.034) / 1.044**2, rel=0.01)


def test_groups_of_the_lfu_observables():
    from observables.registry import get

    assert get("Rmue_Dstar").group == get("Rmue_D").group == "charged-current LFU"
    assert get("Rtaumu_Dstar").flavio_name == "Rtaumu(B->D*lnu)"
    assert get("Rmue(B->D*lnu)").name == "Rmue_Dstar"
