"""The per-point pipeline of the coupling maps (lqmodel.evaluate.PointEvaluator).

References: the closed-form Voloshin-limit moment of docs/theory.md §b.2 written out here
(mu/mu_B = m_e m_b y1 y2 g(x)/(4 pi^2 m^2), g(x) = (x - 1 - ln x)/(x - 1)^2, x = m_b^2/m^2) and its
vanishing Dirac mass; the SU(2)_H structure (only the lepton carrying y2 gets a moment); the physics
statement of docs/theory.md §d.5 that XENONnT excludes the XENON1T-preferred band (so no band point survives
it); flavio itself for the flavour columns.
"""
from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from lqmodel.evaluate import PointEvaluator, resolve_base
from observables.parameters import value

BASE = {"model": "voloshin", "m_S1": 1000.0, "m_R2": 1000.0, "y1": 0.05, "y2": 1.0, "lepton": "mu", "m_b": 4.18}


def _grid(n=5):
    y1, y2 = np.meshgrid(np.logspace(-3, 0, n), np.logspace(-2, 0.4, n), indexing="ij")
    return {"y1": y1.ravel(), "y2": y2.ravel()}


def _mu_closed_form(y1y2, m, m_b=4.18):
    x = m_b**2 / m**2
    g = (x - 1 - math.log(x)) / (x - 1) ** 2
    return value("m_e") * m_b * y1y2 * g / (4 * math.pi**2 * m**2)


def test_moment_columns_match_the_closed_form():
    ev = PointEvaluator(observables=None, neutrino=False)
    a = _grid()
    cols = ev(BASE, a)
    np.testing.assert_allclose(cols["mu_mu_N1_muB"], _mu_closed_form(a["y1"] * a["y2"], 1000.0), rtol=1e-9)
    assert np.all(cols["mu_e_N1_muB"] == 0) and np.all(cols["mu_tau_N1_muB"] == 0)
    # SU(2)_H limit: the one-loop Dirac mass cancels (docs/theory.md §b.2)
    assert np.all(np.abs(cols["m_nuN_mu_N1_GeV"]) < 1e-12 * np.abs(a["y1"] * a["y2"]) * 4.18)
    assert set(cols) <= set(ev.units) and ev.units["mu_mu_N1_muB"] == "mu_B"


def test_evaluator_pickles_and_has_a_stable_spec():
    ev = PointEvaluator(observables=None, cl=0.9)
    back = pickle.loads(pickle.dumps(ev))
    assert back == ev and back.spec() == ev.spec()
    assert PointEvaluator(observables=None, cl=0.95).spec() != ev.spec()


def test_bad_options_are_one_line_errors():
    with pytest.raises(ValueError, match="unknown evaluation option 'colour'"):
        PointEvaluator.from_options({"colour": "red"})
    with pytest.raises(ValueError, match="cl must be in"):
        PointEvaluator(cl=1.5)
    with pytest.raises(ValueError, match="lepton must be one of"):
        PointEvaluator(lepton="nu")


def test_neutrino_verdicts():
    from observables.neutrino import fit

    ev = PointEvaluator(observables=None, neutrino=True, collider=False)  # the LHC verdict: test_collider_cli.py
    a = _grid(7)
    cols = ev(BASE, a)
    b1 = fit.band("xenon1t", "mu", [0.0], 0.9)
    nt = fit.band("xenonnt", "mu", [0.0], 0.9)["high_muB"][0]
    mu = cols["mu_mu_N1_muB"]
    np.testing.assert_array_equal(cols["in_xenon1t_band"], (mu >= b1["low_muB"][0]) & (mu <= b1["high_muB"][0]))
    np.testing.assert_array_equal(cols["excluded_xenonnt"], mu > nt)
    assert cols["in_xenon1t_band"].any() and (~cols["in_xenon1t_band"]).any()
    # docs/theory.md §d.5: XENONnT excludes the XENON1T-preferred band, so nothing in the band is viable
    assert not np.any(cols["in_xenon1t_band"] & ~cols["excluded_xenonnt"])
    assert not cols["viable"].any()
    assert set(np.unique(cols["verdict"])) >= {"below XENON1T band"}
    assert all(v == "viable" or "XENON" in v or "limits" in v for v in cols["verdict"])


@pytest.mark.flavio
@pytest.mark.slow
def test_flavour_columns_agree_with_flavio():
    from lqmodel.flavour import predict
    from lqmodel.point import vary

    # a subset keeps the surrogate building (cold cache per test session) within the test budget
    ev = PointEvaluator(observables=("R_D", "Delta_a_mu"), neutrino=False)
    a = {"y1": np.array([0.05, 0.3]), "y2": np.array([1.0, 0.2])}
    cols = ev(BASE, a)
    base = resolve_base(BASE)
    names = ev.observable_names()
    for k in range(2):
        direct = predict(vary(base, {"y1": a["y1"][k], "y2": a["y2"][k]}), list(names), method="flavio")
        for n in names:
            assert cols[n][k] == pytest.approx(float(np.asarray(direct[n])), rel=1e-4, abs=1e-15), n
    assert np.all(np.isfinite(cols["chi2_total"]))
    # Delta chi2 against the SM vanishes as the couplings do
    tiny = ev(BASE, {"y1": np.array([1e-9]), "y2": np.array([1e-9])})
    assert abs(tiny["dchi2_total"][0]) < 1e-6


def test_random_mass_scans_warm_exactly_the_lattice_nodes_they_need():
    """prepare() of a random/LHS scan warms the interpolation nodes of its mass range: every node with a
    non-zero stencil weight for some mass in the range, and no other (an unshipped extra node costs a build)."""
    from observables.surrogate import interpolation_stencil, lattice_nodes, node_scale

    for lo, hi in ((1000.0, 5000.0), (1200.0, 2100.0), (1495.3, 1495.4)):
        m = np.concatenate([[lo, hi], 10 ** np.random.default_rng(7).uniform(np.log10(lo), np.log10(hi), 20000)])
        first, w = interpolation_stencil(m)
        need = {node_scale(int(i) + j) for i, ww in zip(first, w, strict=True) for j in range(4) if ww[j] != 0.0}
        assert set(lattice_nodes(lo, hi)) == need


def _scan(parameters, sampling="grid", **extra):
    from lqmodel.scan import ScanConfig

    return ScanConfig.from_dict({"base": "BP2", "parameters": parameters, "sampling": sampling, **extra})


def test_masses_auto_is_resolved_once_per_scan():
    """masses: auto becomes 'exact' for a grid of few leptoquark masses and 'interpolated' for more grid
    masses or random / Latin-hypercube ones (PointEvaluator.for_config); explicit choices are kept, and
    'exact' with masses it cannot serve is refused before anything runs."""
    from lqmodel.errors import InputError
    from lqmodel.evaluate import EXACT_SCAN_MASSES
    from lqmodel.scan.benchmarks import map_benchmark

    ev = PointEvaluator()
    default = map_benchmark("default")
    assert ev.for_config(default).masses == "exact"  # 9 masses, each shipped
    few = _scan({"m_LQ": {"min": 1000.0, "max": 2000.0, "n": EXACT_SCAN_MASSES}, "y1": {"min": 0.1, "max": 1, "n": 2}})
    many = _scan({"m_LQ": {"min": 1000.0, "max": 2000.0, "n": EXACT_SCAN_MASSES + 1}})
    lhs = _scan({"m_LQ": {"min": 1000.0, "max": 2000.0}}, sampling="lhs", n_samples=10)
    couplings = _scan({"y1": {"min": 0.1, "max": 1.0, "n": 40}})
    assert [ev.for_config(c).masses for c in (few, many, lhs, couplings)] == ["exact", "interpolated",
                                                                               "interpolated", "exact"]
    assert PointEvaluator(masses="interpolated").for_config(few).masses == "interpolated"
    assert PointEvaluator(observables=None).for_config(many).masses == "auto"  # nothing to choose
    with pytest.raises(InputError, match="masses: interpolated or auto"):
        PointEvaluator(masses="exact").check_config(lhs)
    PointEvaluator(masses="exact").check_config(many)  # 17 <= MAX_SCALES: allowed, one surrogate each
    with pytest.raises(InputError, match="masses must be one of"):
        PointEvaluator(masses="nearest")


def test_a_map_does_not_depend_on_its_chunking_when_masses_are_interpolated(tmp_path):
    """With masses: auto decided per chunk, a chunk holding few masses took the exact path and one holding
    many the interpolated one, so the table depended on the chunk size (and the exact path built a new
    surrogate from flavio for every unshipped mass). Resolved once per scan, the same grid gives identical
    tables for any chunking; and a random-mass (LHS) map runs, its flavour columns equal to the point-by-point
    interpolated prediction."""
    import pyarrow.parquet as pq

    from lqmodel.flavour import predict
    from lqmodel.point import vary
    from lqmodel.scan import run_scan

    ev = PointEvaluator(observables=("R_D", "Delta_a_mu", "BR_Bs_mumu"), neutrino=False, collider=False,
                        neutrino_mass=False)
    grid = {"m_LQ": {"min": 1000.0, "max": 5000.0, "n": 20, "scale": "log"},
            "y1y2": {"min": 0.01, "max": 1.0, "n": 2, "scale": "log"}}
    tables = [pq.read_table(run_scan(_scan(grid, chunk_size=k, y1_over_y2=1.0), tmp_path / f"c{k}", ev,
                                     progress=False).table_path) for k in (3, 40)]
    a, b = (t.to_pydict() for t in tables)  # the fingerprints (schema metadata) differ: chunk_size is in them
    assert a.keys() == b.keys()
    for n in a:
        x, y = np.asarray(a[n]), np.asarray(b[n])
        if x.dtype.kind == "f":  # rounding only (a one-point chunk sums in another order): the two mass
            # paths differ by the interpolation error, 1e-10 ... 1e-8 relative
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12, err_msg=n)
        else:
            assert np.array_equal(x, y), n
    lhs = _scan({"m_LQ": {"min": 1000.0, "max": 5000.0, "scale": "log"}, "y1y2": {"min": 0.01, "max": 1.0}},
                sampling="lhs", n_samples=4, seed=3, y1_over_y2=1.0)
    t = pq.read_table(run_scan(lhs, tmp_path / "lhs", ev, progress=False).table_path).to_pydict()
    base = resolve_base("BP2")
    for k in range(4):
        r = math.sqrt(t["y1y2"][k])
        p = vary(base, {"m_LQ": t["m_LQ"][k], "y1": r, "y2": r})
        direct = predict(p, list(ev.observable_names()), masses="interpolated")
        for n in ev.observable_names():
            assert t[n][k] == pytest.approx(float(np.asarray(direct[n])), rel=1e-12), n


def test_columns_map_keeps_what_the_map_draws_within_300_bytes_per_point(tmp_path):
    """columns: map returns the columns the map's layers draw plus the per-constraint verdicts — the same
    values as the full table — in at most 300 bytes per point (10^7 points in one call within 4 GB with the
    bounded sub-batch memory); a list keeps exactly the named columns; unknown names are refused."""
    from lqmodel.errors import InputError
    from lqmodel.evaluate import SUB_BATCH, map_columns
    from lqmodel.plotting.scan_map import run_map
    from lqmodel.scan import ScanConfig

    full, small = PointEvaluator(), PointEvaluator(columns="map")
    n = SUB_BATCH + 7000  # two sub-batches
    rng = np.random.default_rng(5)
    a = {"y1": 10 ** rng.uniform(-3, 0, n), "y2": 10 ** rng.uniform(-2, 0.4, n)}
    got = small("BP2", a)
    assert set(got) == set(map_columns(small)) & set(full.all_units) == set(small.units)
    assert {"viable", "verdict", "dchi2_total", "pair_margin", "excluded_drell_yan", "xenonnt_limit_muB"} <= set(got)
    assert sum(v.nbytes for v in got.values()) / n <= 300
    ref = full("BP2", {k: v[-50:] for k, v in a.items()})
    for k, v in got.items():
        x = np.asarray(v[-50:])
        assert np.array_equal(x, np.asarray(ref[k]), equal_nan=x.dtype.kind == "f"), k
    two = PointEvaluator(columns=["viable", "mu_mu_N1_muB"])("BP2", {k: v[:3] for k, v in a.items()})
    assert set(two) == {"viable", "mu_mu_N1_muB"}
    with pytest.raises(InputError, match="Did you mean 'dchi2_total'"):
        PointEvaluator(columns=["dchi2_totl"]).kept_columns()
    with pytest.raises(InputError, match="columns must be null"):
        PointEvaluator.from_options({"columns": "all of them"})
    cfg = ScanConfig.from_dict({"base": "BP2", "parameters": {"y1": {"min": 0.01, "max": 1.0, "n": 4},
                                                              "y2": {"min": 0.1, "max": 2.0, "n": 4}},
                                "evaluation": {"columns": "map"}})
    run = run_map(cfg, tmp_path / "m", progress=False, subtitle=None)
    assert (tmp_path / "m" / "map.png").stat().st_size > 0
    assert set(run.table().columns) == {"point", "y1", "y2", *small.units}
