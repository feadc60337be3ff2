"""WCxf export keeps the right-handed-neutrino operators: the sidecar next to the WCxf file.

References: ``WilsonCoefficients.right_handed_nu`` (what must be written), wilson 2.5.2 itself (it reads the
WCxf file back, and its WET flavio basis file shows that none of the N_R names fits a WCxf basis), and the
operator list of the ``lqmodel.matching`` docstring (definitions written in the test independently).
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from lqmodel.matching import match
from lqmodel.models import s1_only, voloshin
from lqmodel.point import Point
from lqmodel.right_handed_nu import operator_definition, read_sidecar, sidecar_path


def _point_with_n():
    """S1 with y1 = ybar_RR[b, N1] and charm/tau couplings: C^N_VR, C^N_SR, C^N_T all non-zero, complex."""
    rng = np.random.default_rng(5)
    m = lambda: (rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))) * 0.2  # noqa: E731
    return Point(m_S1=1300.0, m_R2=1600.0, y_LL=m(), y_RR=m(), ybar_RR=m(), yt_RL=m(), yt_LR=m())


@pytest.mark.parametrize("fname", ["wc.json", "wc.yaml"])
def test_sidecar_holds_the_right_handed_nu_coefficients_exactly(tmp_path, capsys, fname):
    from wilson import Wilson

    wc = match(_point_with_n())
    path = tmp_path / fname
    side = wc.to_wcxf(path)
    assert side == str(tmp_path / "wc.right_handed_nu.json") == sidecar_path(path)
    err = capsys.readouterr().err
    assert "right-handed-neutrino" in err and side in err  # said on stderr

    scale, values = read_sidecar(side)
    assert scale == float(wc.scale)
    ref = {k: complex(v) for k, v in wc.right_handed_nu.items()}
    assert len(values) > 20 and any(v.imag != 0 for v in values.values())
    for k, v in ref.items():  # exact: written and read as JSON floats
        assert values.get(k, 0j) == v
    assert set(values) == {k for k, v in ref.items() if v != 0}

    with open(side, encoding="utf-8") as fh:
        doc = json.load(fh)
    assert doc["scale_unit"] == "GeV" and doc["eft"] == "WET" and "h.c." in doc["convention"]
    assert all(isinstance(x, float) for v in doc["values"].values() for x in v) and set(doc["operators"]) == set(values)

    # the WCxf file itself still round-trips through wilson
    with open(path, encoding="utf-8") as fh:
        w = Wilson.load_wc(fh)
    assert w.wc.eft == "WET" and w.wc.basis == "flavio" and w.wc.scale == pytest.approx(float(wc.scale))
    assert set(w.wc.dict) == set(wc.nonzero())
    for k, v in wc.nonzero().items():
        assert complex(w.wc.dict[k]) == pytest.approx(v, rel=1e-12)
    assert not set(values) & set(w.wc.dict)


def test_no_n_r_name_is_in_the_wcxf_basis():
    from wilson import wcxf

    basis = set(wcxf.Basis["WET", "flavio"].all_wcs)
    names = set(match(_point_with_n()).right_handed_nu)
    assert names and not names & basis  # hence the sidecar


def test_operator_definitions_follow_the_matching_docstring():
    # typed from the lqmodel.matching module docstring (unbarred field named first)
    assert operator_definition("CVR_bctauN1") == "(cbar gamma^mu P_R b)(taubar gamma_mu P_R N1)"
    assert operator_definition("CSR_bcmuN2") == "(cbar P_R b)(mubar P_R N2)"
    assert (operator_definition("CT_bcetaN1".replace("eta", "tau"))
            == "(cbar sigma^munu P_R b)(taubar sigma_munu P_R N1)")
    assert operator_definition("CL_bsN1N2") == "(sbar_L gamma^mu b_L)(N2bar gamma_mu (1+gamma5) N1)"
    assert operator_definition("CSR_bsN1nutau") == "(sbar P_R b)(nu_taubar P_R N1)"
    assert operator_definition("CTL_bdnumuN3") == "(dbar sigma^munu P_L b)(N3bar sigma_munu P_L nu_mu)"
    for name in match(_point_with_n()).right_handed_nu:  # every name the matching produces is defined
        assert operator_definition(name)
    with pytest.raises(KeyError, match="not an N_R operator"):
        operator_definition("CVL_bctaunutau")


def test_no_sidecar_without_n_r_couplings(tmp_path, capsys):
    wc = match(voloshin(1000.0, 0.0, 0.3, "tau"))  # y1 = 0: no coupling to N
    assert wc.to_wcxf(tmp_path / "wc.json") is None
    assert not (tmp_path / "wc.right_handed_nu.json").exists() and capsys.readouterr().err == ""


def test_quiet_and_bad_sidecar(tmp_path, capsys):
    wc = match(s1_only(1000.0, 0.5, 0.3, "tau", y1p=0.2))
    side = wc.to_wcxf(tmp_path / "a.yml", quiet=True)
    assert side and capsys.readouterr().err == ""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "something else", "values": {}}))
    with pytest.raises(ValueError, match="not an lqmodel right-handed-nu sidecar"):
        read_sidecar(bad)
    with open(side, encoding="utf-8") as fh:
        doc = json.load(fh)
    doc["values"]["CVR_bctauN1"] = "0.1"
    bad.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=r"must be \[re, im\]"):
        read_sidecar(bad)
