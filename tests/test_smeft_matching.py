"""Tree-level SMEFT matching (lqmodel.smeft_matching) against wilson's own SMEFT -> WET tree matching.

The independent reference is wilson 2.5.2: its SMEFT (Warsaw) -> WET (flavio basis) tree-level matching
code, run with the matching scale set to the leptoquark mass (no SMEFT running), must reproduce every
tree-level WET coefficient of lqmodel.matching.match, which was derived separately from the WET side
(docs/matching.md §2-§3). wilson is given the project's CKM inputs, G_F and the alpha_e that
lqmodel.matching uses in the b -> s nu nu / b -> s l l normalisation.
"""
from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pytest

from lqmodel.matching import match
from lqmodel.point import Point
from lqmodel.smeft_matching import SMEFT_CLASSES, match_smeft, stored_indices, to_wcxf_smeft

M = 1500.0


def _general_point(quark_basis: str = "down") -> Point:
    yLL = np.zeros((3, 3), complex)
    yLL[2, 2], yLL[1, 2], yLL[2, 1], yLL[1, 1] = 0.8, 0.1 + 0.05j, 0.3, -0.2
    yRR = np.zeros((3, 3), complex)
    yRR[1, 2], yRR[2, 2], yRR[1, 1] = 0.4, 0.2j, 0.1
    ytRL = np.zeros((3, 3), complex)
    ytRL[2, 1], ytRL[1, 1], ytRL[2, 2] = 0.5, 0.3 - 0.1j, 0.2
    ybar = np.zeros((3, 3), complex)
    ybar[2, 0] = 0.3
    p = Point(m_S1=M, m_R2=M, y_LL=yLL, y_RR=yRR, yt_RL=ytRL, ybar_RR=ybar)
    return p if quark_basis == "down" else p.to_quark_basis("up")


@lru_cache(maxsize=1)
def _wilson_wet():
    """One wilson call: SMEFT at m_LQ matched at tree level to WET (flavio basis) at m_LQ."""
    import warnings

    from observables.parameters import value

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = match_smeft(_general_point(), oneloop=False).to_wilson()  # tree against tree
        w.set_option("smeft_matchingscale", M)
        w.set_option("parameters", {"Vus": value("Vus"), "Vub": value("Vub"), "Vcb": value("Vcb"),
                                    "gamma": value("gamma_CKM"), "GF": value("G_F"),
                                    "alpha_e": value("alpha_e_flavio_4p8GeV")})
        return dict(w.match_run(M, "WET", "flavio").dict)


# tree-level WET sectors of lqmodel.matching (charged currents, b -> q nu nu, primed b -> q l l)
_TREE_PREFIXES = ("CVL_", "CVR_", "CSL_", "CSR_", "CT_", "CL_bs", "CR_bs", "CL_bd", "CR_bd",
                  "C9p_bs", "C10p_bs", "C9p_bd", "C10p_bd")


def _is_tree_sector(name: str) -> bool:
    return name.startswith(_TREE_PREFIXES) and name[name.index("_") + 1] in "bs"


def test_wilson_tree_matching_reproduces_wet_coefficients():
    # the one-loop b -> s l l pieces (lqmodel.oneloop_bsll: photon penguins feed C9', universal in the
    # lepton) are not tree level; they are subtracted so that the comparison is tree against tree
    from lqmodel.oneloop_bsll import bsll_oneloop

    loop = {k: complex(v) for k, v in bsll_oneloop(_general_point()).items()}
    ours = {k: complex(v) - loop.get(k, 0j) for k, v in match(_general_point()).values.items() if _is_tree_sector(k)}
    theirs = {k: complex(v) for k, v in _wilson_wet().items() if _is_tree_sector(k)}
    nz = {k for k, v in ours.items() if v != 0} | {k for k, v in theirs.items() if abs(v) > 0}
    assert len(nz) > 30  # CVL, CSL, CT (b->c, b->u, s->c, s->u), CL/CR b->s nu nu, C9'/C10' all present
    for k in sorted(nz):
        a, b = ours.get(k, 0j), theirs.get(k, 0j)
        # 1e-12 absolute: wilson's CKM rotations leave ~1e-14 rounding in sectors that vanish exactly here
        assert abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-12, (k, a, b)


def test_quark_basis_independent():
    a = match_smeft(_general_point("down")).nonzero()
    b = match_smeft(_general_point("up")).nonzero(tol=1e-20)
    assert set(a) <= set(b)
    for k, v in b.items():
        assert abs(v - a.get(k, 0)) <= 1e-12 * max(abs(x) for x in a.values()), k


def test_stored_entries_are_the_wcxf_basis_entries():
    from wilson import wcxf

    basis = set(wcxf.Basis["SMEFT", "Warsaw"].all_wcs)
    for cls in SMEFT_CLASSES:
        ours = {f"{cls}_{''.join(str(i + 1) for i in idx)}" for idx in stored_indices(cls)}
        theirs = {n for n in basis if n.split("_")[0] == cls}
        assert ours == theirs, cls


def test_known_s1_and_r2_relations():
    """C_lq1 = -C_lq3 = y* y / 4m^2, C_lequ1 = -4 C_lequ3 (S1); C_ld = -|y|^2/2m^2 (R2~), arXiv:1603.04993."""
    c = match_smeft(_general_point()).nonzero()
    assert c["lq1_3333"] == pytest.approx(0.8**2 / (4 * M**2), rel=1e-14)
    assert c["lq3_3333"] == pytest.approx(-0.8**2 / (4 * M**2), rel=1e-14)
    assert c["lequ1_3332"] == pytest.approx(0.8 * 0.4 / (2 * M**2), rel=1e-14)   # l_tau e_tau q_3 u_2=c
    assert c["lequ3_3332"] == pytest.approx(-c["lequ1_3332"] / 4, rel=1e-14)
    assert c["ld_2233"] == pytest.approx(-0.5**2 / (2 * M**2), rel=1e-14)        # yt[b, mu] = 0.5
    assert c["eu_3322"] == pytest.approx(0.4**2 / (2 * M**2), rel=1e-14)


def test_batch_matches_scalar_points():
    p0 = _general_point()
    batch = Point(m_S1=np.array([M, 2 * M]), m_R2=np.array([M, 2 * M]), y_LL=p0.y_LL, y_RR=p0.y_RR,
                  yt_RL=p0.yt_RL)
    cb = match_smeft(batch)
    for i, m in enumerate((M, 2 * M)):
        ci = match_smeft(Point(m_S1=m, m_R2=m, y_LL=p0.y_LL, y_RR=p0.y_RR, yt_RL=p0.yt_RL)).nonzero()
        for k, v in ci.items():
            assert complex(cb.values[k][i]) == pytest.approx(v, rel=1e-14)
    with pytest.raises(ValueError, match="scalar point"):
        cb.nonzero()


def test_wcxf_round_trip_and_right_handed_nu_sidecar(tmp_path, capsys):
    from wilson import Wilson

    p = _general_point()
    path = tmp_path / "point.smeft.yaml"
    side = to_wcxf_smeft(p, path)
    with open(path, encoding="utf-8") as fh:
        w = Wilson.load_wc(fh)
    assert w.wc.eft == "SMEFT" and w.wc.basis == "Warsaw" and w.wc.scale == M
    ours = match_smeft(p).nonzero()
    back = {k: complex(v) for k, v in w.wc.dict.items()}
    assert set(back) == set(ours)
    for k, v in ours.items():
        assert back[k] == pytest.approx(v, rel=1e-15, abs=0)
    # ybar_RR != 0: N_R operators go to the sidecar, with a note on stderr
    assert side is not None and side.endswith(".right_handed_nu.json")
    with open(side, encoding="utf-8") as fh:
        doc = json.load(fh)
    assert doc["scale"] == M and doc["values"]
    # the same format as the WET export's sidecar: read back exactly by lqmodel.right_handed_nu
    from lqmodel.matching import match
    from lqmodel.right_handed_nu import read_sidecar

    scale, values = read_sidecar(side)
    assert scale == M
    assert values == {k: complex(v) for k, v in match(p).right_handed_nu.items() if complex(v) != 0}
    assert "right-handed-neutrino" in capsys.readouterr().err


def test_cli_point_writes_the_smeft_wcxf_file(tmp_path, capsys):
    from wilson import Wilson

    from lqmodel import benchmarks
    from lqmodel.cli import main

    out = tmp_path / "bp2.smeft.json"
    assert main(["point", "--benchmark", "BP2", "--json", "--wcxf-smeft", str(out)]) == 0
    assert "SMEFT (Warsaw) WCxf file written" in capsys.readouterr().err
    with open(out, encoding="utf-8") as fh:
        w = Wilson.load_wc(fh)
    ours = match_smeft(benchmarks.get("BP2")).nonzero()
    assert {k: complex(v) for k, v in w.wc.dict.items()} == pytest.approx(ours, rel=1e-15)
    assert (tmp_path / "bp2.smeft.right_handed_nu.json").exists()  # Voloshin: y1 couples N_R
