"""``lqmodel point FILE --json --flavour`` end to end (issue 3 §4).

Checked against docs/theory.md §c.2: for BP2 (only Q_3 couplings, down basis, y2 = 1 on the muon) the
b -> c mu nu coefficient is C_VL = |y2|^2/(4 sqrt2 G_F m_S1^2) at the matching scale m_S1.

This file sorts after tests/test_flavour.py on purpose: the flavour surrogates at m_LQ = 1 TeV are then
already in the session cache (LQMODEL_CACHE_DIR) and this test takes seconds; run alone on a cold cache it
builds them from flavio (minutes on the shared 2-core machine).
"""
from __future__ import annotations

import json
import math
from importlib import resources

import pytest

from lqmodel.cli import main
from observables.parameters import value

pytestmark = [
    pytest.mark.flavio,
    pytest.mark.slow,
]


def test_bp2_flavour_json(capsys):
    with resources.as_file(resources.files("lqmodel").joinpath("data/points/bp2.yaml")) as f:
        code = main(["point", str(f), "--json", "--flavour"])
    out = capsys.readouterr()
    assert code == 0, out.err
    d = json.loads(out.out)
    assert {"observables", "chi2", "wilson_coefficients", "mu_nu_muB", "m_nuN_GeV", "inputs"} <= set(d)
    assert "total" in d["chi2"] and math.isfinite(d["chi2"]["total"])
    assert "Rtaul(B->D*lnu)" in d["observables"]
    wc = d["wilson_coefficients"]
    assert wc["scale"] == 1000.0 and wc["eft"] == "WET" and wc["basis"] == "flavio"
    c_vl = 1.0 / (4 * math.sqrt(2) * value("G_F") * 1000.0**2)  # docs/theory.md §c.2, |y2| = 1
    assert wc["values"]["CVL_bcmunumu"] == pytest.approx(c_vl, rel=1e-12)
    assert d["mu_nu_muB"]["mu"] == pytest.approx(2.69314e-11, rel=2e-5)  # docs/theory.md §b.5
