"""Leptoquark masses as free fit parameters (issue 13): the config's mass ranges (the collider tables), the
refusal of the fixed-mass fast path, the lattice nodes a mass range needs, the predict option; with flavio:
the free-mass likelihood against the same point with the mass fixed (exact per-mass surrogates), and a
1-D MIGRAD over m_LQ against a direct scan of the same likelihood."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from lqmodel.fit.config import FitConfig, FitConfigError, check_mass_ranges
from lqmodel.fit.likelihood import CombinedLikelihood, build_terms
from lqmodel.fit.prepared import PreparedLikelihood, prepare
from observables.surrogate import node_scale

COLLIDER_DD = {"drell_yan": True, "pair": True, "xenonnt": True}


def _cfg(parameters, likelihood):
    return {"base": "BP2", "parameters": parameters, "likelihood": likelihood}


def _voloshin(m=None):
    from lqmodel.evaluate import resolve_base

    base = resolve_base("Voloshin_1p5TeV")
    return base if m is None else base.replace(m_S1=m, m_R2=m)


def _tables():
    """The collider tables' mass ranges, read from the data themselves (not from the fit code)."""
    from observables.collider.drell_yan import SEARCHES, load_search
    from observables.collider.pair import mass_range

    dy_low = min(float(load_search(s).masses_GeV.min()) for s in SEARCHES)
    return dy_low, mass_range()


# ----------------------------------------------------------------------------------- config
def test_config_accepts_masses_inside_the_collider_tables_and_refuses_them_outside():
    dy_low, (pair_low, pair_high) = _tables()
    assert (dy_low, pair_high) == (1000.0, 3000.0)  # kernels at 1, 2, 3 TeV; sigma table to 3 TeV
    both = {"drell_yan": True, "pair": True}
    cfg = FitConfig.from_dict(_cfg({"m_LQ": {"min": 1200.0, "max": 2000.0}, "y2": {"min": 0, "max": 2}}, both))
    assert cfg.names == ("m_LQ", "y2")
    for name, lo, hi in (("m_LQ", 500.0, 2000.0), ("m_S1", 1200.0, 4000.0), ("m_R2_23", 900.0, 1500.0)):
        with pytest.raises(FitConfigError) as exc:
            FitConfig.from_dict(_cfg({name: {"min": lo, "max": hi}}, both))
        msg = str(exc.value)
        assert f"{name!r} cannot be a free fit parameter over [{lo:g}, {hi:g}] GeV" in msg, msg
        assert f"within [{max(dy_low, pair_low):g}, {pair_high:g}] GeV" in msg and "\n" not in msg
    # only the switched-on terms bound the range: Drell-Yan alone has no upper end, no collider term none
    FitConfig.from_dict(_cfg({"m_LQ": {"min": 1200.0, "max": 6000.0}}, {"drell_yan": True}))
    FitConfig.from_dict(_cfg({"m_S1": {"min": 500.0, "max": 900.0}}, {"xenonnt": True}))
    with pytest.raises(FitConfigError, match=r"within \[100, 3000\] GeV"):
        FitConfig.from_dict(_cfg({"m_LQ": {"min": 1200.0, "max": 3500.0}}, {"pair": True}))
    # M_N stays fixed (the direct-detection tables), with the message of before
    for name in ("M_N", "M_N_keV"):
        with pytest.raises(FitConfigError, match="cannot be a free fit parameter; run one fit per mass"):
            FitConfig.from_dict(_cfg({name: {"min": 0.0, "max": 1e-4}}, {"xenonnt": True}))


def test_delta_m2_is_checked_through_the_masses_it_moves():
    from lqmodel.evaluate import resolve_base

    base = resolve_base("BP2")  # m_S1 = m_R2 = 1 TeV
    ok = FitConfig.from_dict(_cfg({"delta_m2": {"min": 0.0, "max": 3.0}}, COLLIDER_DD))
    check_mass_ranges(ok, base)  # m_R2 = m_S1 sqrt(1 + delta) in [1, 2] TeV
    # m_R2 up to 1 TeV * sqrt(11) = 3.32 TeV: above the pair table
    bad = FitConfig.from_dict(_cfg({"delta_m2": {"min": 0.0, "max": 10.0}}, COLLIDER_DD))
    with pytest.raises(FitConfigError, match=r"moving m_R2\) cannot be a free fit parameter over \[1000, 3316.6"):
        check_mass_ranges(bad, base)


# ------------------------------------------------------------------------ likelihood, no flavio
def test_fast_path_refuses_itself_when_a_mass_moves():
    base = _voloshin()
    records: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    log = logging.getLogger("lqmodel.progress")
    handler = Catch()
    log.addHandler(handler)
    old = log.level
    log.setLevel(logging.INFO)
    try:
        for names, lows, highs in ((["m_LQ", "y1"], [1200.0, 0.0], [2000.0, 0.4]),
                                   (["y1", "delta_m2"], [0.0, -0.2], [0.4, 0.2]),
                                   (["y2", "M_N_keV"], [0.0, 0.0], [2.0, 50.0])):
            records.clear()
            L = CombinedLikelihood(base, names, build_terms(COLLIDER_DD))
            assert prepare(L, lows, highs) is L, names
            assert any("no fixed-mass fast path" in r for r in records), records
        # the same terms at fixed masses do get the fast path (tests/test_fit_prepared.py checks its numbers)
        L = CombinedLikelihood(base, ["y1", "y2"], build_terms(COLLIDER_DD))
        assert isinstance(prepare(L, [0.0, 0.0], [0.4, 2.5]), PreparedLikelihood)
    finally:
        log.removeHandler(handler)
        log.setLevel(old)


def test_lattice_nodes_of_a_mass_range_follow_the_cubic_stencil():
    # a scale strictly between nodes i and i+1 is interpolated from nodes i-1 .. i+2 (four-point Lagrange),
    # a scale at a node from that node alone: so (node 1, node 4) needs nodes 0..5, a range inside one
    # interval four nodes, a fixed mass none
    L = CombinedLikelihood(_voloshin(), ["m_LQ", "y1"], build_terms(COLLIDER_DD))
    assert L.free_masses == ("m_LQ",) and L.predict_masses == "interpolated"
    assert L.node_scales([node_scale(1), 0.0], [node_scale(4), 0.4]) == [node_scale(k) for k in range(6)]
    assert L.node_scales([1300.0, 0.0], [1400.0, 0.4]) == [node_scale(k) for k in range(4)]
    assert L.warm([1300.0, 0.0], [1400.0, 0.4]) == []  # no measurement term: nothing to build
    F = CombinedLikelihood(_voloshin(), ["y1"], build_terms(COLLIDER_DD))
    assert F.free_masses == () and F.predict_masses == "auto" and F.node_scales([0.0], [0.4]) == []


def test_predictions_are_interpolated_only_when_a_mass_is_free(monkeypatch):
    import lqmodel.flavour

    seen: list[str] = []

    def fake_predict(point, names, *, memo=None, masses="auto"):
        seen.append(masses)
        return {n: np.zeros(point.batch_shape) for n in names}

    monkeypatch.setattr(lqmodel.flavour, "predict", fake_predict)
    opts = {"flavour": {"observables": ["Delta_a_mu"]}}
    CombinedLikelihood(_voloshin(), ["m_LQ", "y2"], build_terms(opts)).chi2(np.array([[1700.0, 1.0]]))
    assert seen == ["interpolated"]
    CombinedLikelihood(_voloshin(), ["y2"], build_terms(opts)).chi2(np.array([[1.0]]))
    assert seen == ["interpolated", "auto"]


def test_collider_and_direct_detection_terms_at_a_free_mass_equal_those_at_that_fixed_mass():
    # no interpolation in these terms: the free-mass likelihood is the fixed-mass one at each mass (to
    # rounding), in one batch of several masses
    base = _voloshin()
    L = CombinedLikelihood(base, ["m_LQ", "y1", "y2"], build_terms(COLLIDER_DD))
    rows = np.array([[1100.0, 0.116, 1.0], [1700.0, 0.3, 0.5], [2900.0, 0.05, 2.0]])
    free = L.evaluate(rows)
    for k, (m, y1, y2) in enumerate(rows):
        fixed = CombinedLikelihood(_voloshin(m), ["y1", "y2"], build_terms(COLLIDER_DD)).evaluate(np.array([[y1, y2]]))
        for t in ("drell_yan", "pair", "xenonnt", "total"):
            assert free[t][k] == pytest.approx(fixed[t][0], rel=1e-12, abs=1e-12), (m, t)


def test_pair_term_of_uncoupled_fields_takes_the_base_limit_at_the_points_mass():
    # every coupling zero: no branching ratios; the smooth term is 3.84 sigma(m)/sigma(m_lim) per field with
    # m_lim the recast limit of the base point (lqmodel.collider.pair), sigma the shipped table
    from lqmodel.collider.pair import pair_production
    from observables.collider.pair import pair_cross_section

    base = _voloshin()
    lim = {f: float(r.m_limit_GeV) for f, r in pair_production(base).items()}
    L = CombinedLikelihood(base, ["m_LQ", "y1", "y2"], build_terms({"pair": True}))
    for m in (1500.0, 1900.0):
        want = sum(3.84 * pair_cross_section(m)[0] / pair_cross_section(ml)[0] for ml in lim.values() if ml > 0)
        assert float(L.evaluate(np.array([[m, 0.0, 0.0]]))["pair"][0]) == pytest.approx(float(want), rel=1e-9)


# ---------------------------------------------------------------------------------- with flavio
@pytest.mark.flavio
@pytest.mark.slow
def test_free_mass_likelihood_equals_the_fixed_mass_likelihood():
    """Criterion: every term and the total within 1e-6 of max(|term|, |total|) at a mass between lattice
    nodes (the interpolated surrogates differ from the exact per-mass ones by less than
    observables.surrogate.INTERPOLATION_ERROR = 1e-7 relative per prediction; measured here 3e-11),
    and within 1e-12 at a lattice node (the stencil's weights are exactly (0, 1, 0, 0) there: the node's
    own surrogate). The fixed-mass likelihood uses masses="auto", i.e. the exact surrogate at that mass."""
    from lqmodel.fit import builtin_config

    cfg = builtin_config("voloshin_1p5TeV_y1_y2")
    L = CombinedLikelihood(_voloshin(), ["m_LQ", "y1", "y2"], build_terms(cfg.likelihood))
    couplings = np.array([[0.116, 1.0], [0.25, 0.6]])
    for m, rtol in ((1500.0, 1e-6), (node_scale(2), 1e-12)):
        free = L.evaluate(np.column_stack([np.full(2, m), couplings]))
        F = CombinedLikelihood(_voloshin(m), ["y1", "y2"], build_terms(cfg.likelihood))  # own terms, own memo
        fixed = F.evaluate(couplings)
        assert set(free) == set(fixed)
        for t in fixed:
            scale = np.maximum(np.abs(fixed[t]), np.abs(fixed["total"]))
            assert np.all(np.abs(free[t] - fixed[t]) <= rtol * scale), (m, t, free[t], fixed[t])
    # the free-mass predictions came from lattice nodes only (no surrogate with variables at 1500 GeV)
    memo = next(t._memo for t in L.terms if hasattr(t, "_memo"))
    nodes = {node_scale(k) for k in range(-2, 10)}
    scales = {k[1] for k in memo if isinstance(k, tuple) and len(k) == 3 and k[2]}
    assert scales and scales <= nodes, scales - nodes


@pytest.mark.flavio
@pytest.mark.slow
def test_migrad_over_the_mass_finds_the_minimum_of_a_direct_scan():
    from lqmodel.fit.run import _minuit

    # flavour + EW + LHC + XENON1T at the benchmark couplings: the data pull m_LQ up (flavour, pair) and
    # down (the XENON1T moment ~ y1 y2 / m^2): an interior minimum near 1.9 TeV
    opts = {"flavour": True, "electroweak": True, "drell_yan": True, "pair": True, "xenon1t": {"tritium": "none"}}
    lo, hi = node_scale(1), node_scale(4)
    L = CombinedLikelihood(_voloshin(), ["m_LQ"], build_terms(opts))
    assert prepare(L, [lo], [hi]) is L and L._warmed  # full likelihood, nodes 0..5 warmed once
    grid = np.geomspace(lo, hi, 13)
    scan = L.chi2(grid[:, None])
    k = int(np.argmin(scan))
    assert 0 < k < grid.size - 1, scan  # an interior minimum, else this test says nothing
    m = _minuit(L, [lo + 0.1 * (hi - lo)], [(lo, hi)])
    best = float(m.values[0])
    assert m.valid and grid[k - 1] <= best <= grid[k + 1], (best, grid[k - 1:k + 2])
    assert m.fval <= scan[k] + 1e-9
