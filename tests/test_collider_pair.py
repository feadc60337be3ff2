"""Pair production and the recast of published mass limits (observables.collider.pair, lqmodel.collider.pair).

References: each published limit itself (B = 1 must give back m_lim), and one published mixed-BR limit:
CMS, second-generation scalar leptoquarks, 35.9 fb^-1, Phys. Rev. D 99 (2019) 032014 (abstract):
1530 GeV at beta = 1 and 1285 GeV at beta = B(mu q) = 0.5."""
from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from lqmodel.collider.pair import pair_production
from lqmodel.models import voloshin
from lqmodel.point import vary
from observables.collider.pair import (
    XSEC_FILE,
    MassOutsideTableError,
    PairLimit,
    effective_branching,
    mass_for_cross_section,
    mass_range,
    pair_cross_section,
    pair_limits,
    recast,
    sigma_upper_limit,
)


def _raw_table():
    raw = json.loads(resources.files("observables").joinpath(f"data/collider/{XSEC_FILE}").read_text())
    return {float(k): (v["xsec_pb"], v["unc_pb"]) for k, v in raw["data"].items()}


def test_cross_section_reproduces_table_and_interpolates_in_log():
    tab = _raw_table()
    ms = np.array(sorted(tab))
    s, u = pair_cross_section(ms)
    # the table has three significant digits: the smoothing spline stays within one unit of the last digit
    for got, col in ((s, 0), (u, 1)):
        want = np.array([tab[m][col] for m in ms])
        ulp = 10.0 ** (np.floor(np.log10(want)) - 2)
        assert np.all(np.abs(got - want) <= ulp)
    # smooth across the nodes: the slope of ln sigma has no jumps (linear interpolation of the rounded
    # entries jumps by the chord difference, 1e-4 to 1e-3 per GeV here), and its curvature is small
    for lo in (300.0, 1000.0, 1805.0, 2500.0):
        h = 1e-4
        left = (np.log(pair_cross_section(lo)[0]) - np.log(pair_cross_section(lo - h)[0])) / h
        right = (np.log(pair_cross_section(lo + h)[0]) - np.log(pair_cross_section(lo)[0])) / h
        chord_l = np.log(tab[lo][0] / tab[lo - 5.0][0]) / 5.0
        chord_r = np.log(tab[lo + 5.0][0] / tab[lo][0]) / 5.0
        assert abs(chord_r - chord_l) > 1e-4 and abs(float(right - left)) < 1e-6
    # strictly falling; inverse round-trips
    fine = np.linspace(100, 3000, 2001)
    assert np.all(np.diff(pair_cross_section(fine)[0]) < 0)
    np.testing.assert_allclose(mass_for_cross_section(pair_cross_section(fine)[0]), fine, rtol=1e-9)
    assert mass_range() == (100.0, 3000.0)


def test_cross_section_refuses_masses_outside_table():
    with pytest.raises(MassOutsideTableError, match="100-3000 GeV"):
        pair_cross_section(3500.0)
    with pytest.raises(MassOutsideTableError):
        pair_cross_section([50.0, 1000.0])
    s, _ = pair_cross_section([50.0, 1000.0, 4000.0], outside="nan")
    assert np.isnan(s[0]) and np.isnan(s[2]) and s[1] > 0
    with pytest.raises(ValueError, match="outside"):
        pair_cross_section(1000.0, outside="clip")


def test_limits_file_is_complete():
    lims = pair_limits()
    assert len(lims) >= 15
    for lim in lims:
        assert lim.experiment in ("ATLAS", "CMS")
        assert lim.luminosity_fb > 30 and lim.reference and lim.assumption and lim.verified
        assert lim.arxiv is None or len(lim.arxiv.split(".")) == 2
        if "MET" in lim.label:
            assert lim.max_invisible_mass_GeV is not None
    labels = {lim.label for lim in lims}
    for needed in ("t mu", "b mu", "t tau", "b tau", "b MET", "t MET", "j mu", "j e", "j MET"):
        assert needed in labels
    with pytest.raises(ValueError, match="vintage"):
        pair_limits("1999-01")


@pytest.mark.parametrize("lim", pair_limits(), ids=lambda l: l.name)
def test_branching_one_reproduces_published_limit(lim):
    a, b = lim.final_state
    br = {a: 1.0} if a == b else {a: 0.5, b: 0.5}
    if a != b:
        pytest.skip("mixed final state: no B = 1 point")
    excluded, m_lim = recast(lim, np.array([lim.m_limit_GeV - 1.0, lim.m_limit_GeV + 1.0]), br)
    np.testing.assert_allclose(m_lim, lim.m_limit_GeV, rtol=1e-9)
    assert excluded.tolist() == [True, False]


def test_recast_is_monotonic_in_branching_ratio():
    lim = next(l for l in pair_limits() if l.name == "ATLAS_comb_2024_tmu")
    B = np.linspace(0.0, 1.0, 201)
    excluded, m_lim = recast(lim, 1200.0, {"t mu": B})
    assert m_lim[0] == 0.0
    assert np.all(np.diff(m_lim[np.isfinite(m_lim) & (m_lim > 0)]) > 0)
    # exclusion switches on once, at the B where m_lim(B) crosses 1200 GeV
    assert np.count_nonzero(np.diff(excluded.astype(int))) == 1
    b_star = B[np.argmax(excluded)]
    assert np.interp(b_star, B, m_lim) == pytest.approx(1200.0, abs=25.0)
    # sigma(m_limit(B)) * B^2 = sigma(m_lim) wherever a limit exists
    ok = m_lim > 0
    np.testing.assert_allclose(pair_cross_section(m_lim[ok])[0] * B[ok] ** 2, sigma_upper_limit(lim), rtol=1e-9)


def test_mixed_branching_published_cms_beta_half():
    # CMS PRD 99 (2019) 032014 (35.9 fb^-1): mu mu j j + mu nu j j, 1530 GeV at beta = 1, 1285 GeV at
    # beta = 0.5. The flat-sigma_UL recast of the beta = 1 limit with the mu mu j j channel alone
    # (sigma B^2) gives 1305 GeV: 1.6% above the published combination; tolerance 3%.
    cms = PairLimit(name="CMS_2019_2nd_gen", final_state=("j mu", "j mu"), m_limit_GeV=1530.0, experiment="CMS",
                    arxiv=None, reference="PRD 99 (2019) 032014", luminosity_fb=35.9, assumption="beta = 1",
                    verified="abstract")
    _, m_half = recast(cms, 1000.0, {"j mu": 0.5})
    assert float(m_half) == pytest.approx(1285.0, rel=0.03)


def test_mixed_channel_and_curve():
    mixed = PairLimit(name="x", final_state=("t mu", "b MET"), m_limit_GeV=1300.0, experiment="ATLAS", arxiv=None,
                      reference="r", luminosity_fb=139, assumption="a", verified="v")
    assert float(effective_branching(mixed, {"t mu": 0.5, "b MET": 0.5})) == 0.5
    assert float(effective_branching(mixed, {"t mu": 1.0})) == 0.0
    curve = PairLimit(name="c", final_state=("b tau", "b tau"), m_limit_GeV=1400.0, experiment="ATLAS", arxiv=None,
                      reference="r", luminosity_fb=139, assumption="a", verified="v",
                      curve=((0.2, 900.0), (0.5, 1200.0), (1.0, 1400.0)))
    exc, ml = recast(curve, 1000.0, {"b tau": np.array([0.1, 0.2, 0.35, 1.0])})
    np.testing.assert_allclose(ml, [0.0, 900.0, 1050.0, 1400.0])
    assert exc.tolist() == [False, False, True, True]


def test_masses_above_table_are_not_excluded_and_below_refused():
    lim = next(l for l in pair_limits() if l.name == "ATLAS_comb_2024_tmu")
    exc, _ = recast(lim, np.array([2500.0, 3000.0, 4500.0]), {"t mu": 1.0})
    assert not exc.any()
    with pytest.raises(MassOutsideTableError):
        recast(lim, 80.0, {"t mu": 1.0})


def test_bp2_excluded_and_2tev_not():
    bp2 = voloshin(1000.0, 0.05, 1.0, "mu")
    res = pair_production(bp2)
    assert all(bool(r.excluded) for r in res.values())
    assert res["S1"].channel == "t mu" and float(res["S1"].m_limit_GeV) > 1300
    assert res["R2t(2/3)"].channel == "t MET" and res["R2t(-1/3)"].channel == "b MET"
    same_at_2tev = vary(bp2, {"m_LQ": np.array([2000.0])})
    res2 = pair_production(same_at_2tev)
    assert not any(bool(r.excluded[0]) for r in res2.values())
    # batch over masses: exclusion switches off between 1.3 and 1.4 TeV for S1 (t mu, B ~ 0.5)
    scan = pair_production(vary(bp2, {"m_LQ": np.array([1000.0, 1300.0, 1400.0, 5000.0])}))
    assert scan["S1"].excluded.tolist() == [True, True, False, False]


def test_heavy_N_is_not_missing_energy():
    bp2 = voloshin(1000.0, 0.05, 1.0, "mu")
    heavy = bp2.replace(M_N=300.0)
    res = pair_production(heavy)
    # R2~(-1/3) -> b N1 is ~100%: with a 300 GeV N no MET search covers it
    assert not bool(res["R2t(-1/3)"].excluded)
    assert bool(res["S1"].excluded)  # t mu still there


def test_uncoupled_point():
    from lqmodel.point import Point
    res = pair_production(Point(m_S1=500.0, m_R2=500.0))
    for r in res.values():
        assert not bool(r.excluded) and r.channel == "" and float(r.m_limit_GeV) == 0.0


def test_shipped_spline_pieces_are_the_live_fit():
    """The shipped pieces (tools/build_pair_splines.py) belong to the shipped table and equal scipy's
    smoothing splines fitted live, for ln sigma and ln Delta sigma, on a fine grid and at every knot."""
    from observables.collider import pair as xs

    shipped = xs._shipped_pieces()
    assert shipped is not None, "the shipped spline file does not match the cross-section table: rebuild it"
    lo, hi = xs.mass_range()
    for key, live in zip(("ln_sigma", "ln_delta_sigma"), xs.fitted_splines(), strict=True):
        pc = shipped[key]
        m = np.concatenate([np.linspace(lo, hi, 20001), pc.x])
        np.testing.assert_allclose(pc(m), live(m), rtol=0, atol=1e-12)
        np.testing.assert_allclose(pc.x, live.get_knots(), rtol=1e-15, atol=0)
    s, u = xs.pair_cross_section(np.array([500.0, 1000.0, 2000.0]))
    ls, lu = xs.fitted_splines()
    np.testing.assert_allclose(s, np.exp(ls([500.0, 1000.0, 2000.0])), rtol=1e-12)
    np.testing.assert_allclose(u, np.exp(lu([500.0, 1000.0, 2000.0])), rtol=1e-12)


def test_spline_file_of_another_table_is_not_used(monkeypatch):
    """A spline file whose table checksum differs is ignored (the splines are fitted live)."""
    from observables.collider import pair as xs

    monkeypatch.setattr(xs, "_table_sha256", lambda: "0" * 64)
    assert xs._shipped_pieces() is None


def test_cross_section_needs_no_scipy():
    """Evaluating and inverting sigma(m) in a fresh process imports neither scipy.interpolate nor scipy."""
    import subprocess
    import sys

    code = ("import sys; from observables.collider import pair as xs; xs.pair_cross_section(1234.0); "
            "xs.mass_for_cross_section(1e-3); print('scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"
