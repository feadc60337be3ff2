"""The vocabulary modules: the parameter table (lqmodel.vocabulary), the column schema and map layers
(lqmodel.columns), and their use by vary, point files, scan configs and plots.

Independent references: the Point dataclass's own fields, the evaluator's actual output on a small map
(not a hard-coded list), keV = 1e-6 GeV, and the module graph read from the source (no import cycle).
"""
from __future__ import annotations

import ast
import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lqmodel import columns, vocabulary
from lqmodel.point import Point, vary

ROOT = Path(__file__).resolve().parents[1]


def test_parameter_table_matches_the_point_fields():
    init = [f.name for f in dataclasses.fields(Point) if f.init]
    for name in vocabulary.SCALAR_FIELDS:
        assert name in init
    assert set(vocabulary.MATRIX_FIELDS) == {n for n in init if n.startswith("y")}
    for name, p in vocabulary.PARAMETERS.items():
        assert p.name == name and p.unit in ("GeV", "keV", "1")
        if p.point_field:
            assert p.field == name


def test_every_vary_name_of_the_table_is_accepted_by_vary():
    from lqmodel.models import voloshin

    base = voloshin(1000.0, 0.05, 1.0, "mu")
    for name in vocabulary.POINT_SHORTHAND + vocabulary.SCALAR_FIELDS:
        value = {"m_b": 4.18, "delta_m2": 0.1, "m_R2_23": 1200.0}.get(name, 1.5e3 if "m" in name[:2] else 0.3)
        if name == "M_N":
            value = 1e-6
        vary(base, {name: np.array([value])})
    for field in vocabulary.MATRIX_FIELDS:
        vary(base, {vocabulary.matrix_entry_name(field, 2, 1): np.array([0.1])})


def test_kev_conversion_is_one_rule_everywhere():
    """M_N_keV in a point file, in a scan and in the table: 1 keV = 1e-6 GeV. Point files divide by 1e6 and
    scans multiply by 1e-6 (both kept bit for bit, so stored tables do not change): equal to one ulp."""
    from lqmodel.pointfile import point_from_mapping
    from lqmodel.scan.config import to_assignments

    v = 7.5
    from_file = point_from_mapping({"m_LQ": 1000.0, "M_N_keV": v}).M_N
    from_scan = float(to_assignments({"M_N_keV": np.array([v])})["M_N"][0])
    assert from_file == vocabulary.keV_to_GeV(v)
    assert from_scan == vocabulary.PARAMETERS["M_N_keV"].to_field(v)
    assert from_file == pytest.approx(7.5e-6, rel=3e-16) and from_scan == pytest.approx(7.5e-6, rel=3e-16)
    assert vocabulary.display_value("M_N", from_file) == pytest.approx(v, rel=1e-15)


def test_scan_config_uses_the_table():
    from lqmodel.scan import config

    assert config.parameter_unit("M_N_keV") == "keV" and config.parameter_unit("kappa") == "GeV"
    assert set(config.SHORTHAND) | set(config.SCALAR_FIELDS) == set(vocabulary.PARAMETERS)
    with pytest.raises(config.ScanConfigError, match="unknown scan parameter"):
        config.check_parameter_name("y_LL[3,1]")  # index out of range, as before


def test_did_you_mean_is_one_function():
    assert vocabulary.did_you_mean("M_S1", ["m_S1", "m_R2"]) == " Did you mean 'm_S1'?"
    assert vocabulary.did_you_mean("zzz", ["m_S1"]) == ""
    assert vocabulary.did_you_mean("sedd", ["seed"], style="paren") == " (did you mean 'seed'?)"
    # the copies it replaced are gone from the modules that had them
    for rel in ("lqmodel/point.py", "lqmodel/pointfile.py", "lqmodel/scan/config.py"):
        assert "get_close_matches" not in (ROOT / rel).read_text(encoding="utf-8"), rel


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_point_does_not_import_pointfile():
    """No point <-> pointfile cycle: vocabulary <- point_codec <- point <- pointfile (anywhere in the file,
    lazy imports included)."""
    assert "lqmodel.pointfile" not in _imports(ROOT / "lqmodel/point.py")
    assert not {"lqmodel.point", "lqmodel.pointfile"} & _imports(ROOT / "lqmodel/point_codec.py")
    assert not {m for m in _imports(ROOT / "lqmodel/vocabulary.py") if m.startswith("lqmodel")} - {"lqmodel.errors"}


# ---------------------------------------------------------------------- column schema
@pytest.fixture(scope="module")
def small_map():
    """The evaluator's actual columns on a 2 x 2 map around the default map's base (every step on; a few
    seconds with the shipped surrogates, minutes when they must be rebuilt from flavio)."""
    from lqmodel.evaluate import PointEvaluator, resolve_base
    from lqmodel.scan.benchmarks import map_benchmark

    cfg = map_benchmark("default")
    ev = PointEvaluator.from_options(cfg.evaluation)
    assert ev.neutrino and ev.collider and ev.neutrino_mass and ev.observables is not None
    cols = ev(resolve_base(cfg.base), {"y1": np.array([0.01, 0.1]), "y2": np.array([0.1, 1.0])})
    return ev, cols


@pytest.mark.flavio
@pytest.mark.slow
def test_every_evaluator_column_is_in_the_schema(small_map):
    ev, cols = small_map
    assert columns.unknown_columns(cols) == []
    assert columns.unknown_columns(ev.units) == []
    for name in cols:  # the schema's unit agrees with the evaluator's (where the schema fixes one)
        unit = columns.find(name).unit
        if unit not in ("(spec)",):
            assert (ev.units[name] or "") in (unit, "", "1") and (unit == ev.units[name] or unit in ("", "1")), name


@pytest.mark.flavio
@pytest.mark.slow
def test_every_expected_layer_has_its_columns(small_map):
    ev, cols = small_map
    expected = columns.expected_layers(ev)
    assert {"xenon1t_band", "flavour_groups", "lhc_pair", "tuning", "mu_isolines"} <= set(expected)
    groups = [c[len("dchi2_group_"):] for c in cols if c.startswith("dchi2_group_")]
    assert groups
    for layer in expected:
        for g in groups if columns.MAP_LAYERS[layer].per_group else [None]:
            for c in columns.layer_columns(layer, lepton="mu", group=g):
                assert c in cols, (layer, c)


def test_layer_functions_are_the_schema_layers_in_order():
    from lqmodel.plotting import maps

    assert list(maps.LAYER_FUNCTIONS) == list(columns.MAP_LAYERS)
    for spec in columns.MAP_LAYERS.values():
        for t in (*spec.requires, *spec.optional, *spec.triggers):
            t = t.replace("{lepton}", "mu").replace("{group}", "b_s_ll").replace("{obs}", "R_Dstar")
            assert columns.find(t) is not None, t


def _toy(n=12):
    y = np.logspace(-2, 0, n)
    Y1, Y2 = (a.ravel() for a in np.meshgrid(y, y, indexing="ij"))
    return pd.DataFrame({"y1": Y1, "y2": Y2, "mu_mu_N1_muB": 1e-11 * Y1 * Y2 / 0.01,
                         "xenonnt_limit_muB": 2e-12, "dchi2_total": (Y1 * Y2 / 0.1) ** 2})


def test_missing_column_of_a_drawn_layer_is_an_error():
    from lqmodel.plotting.maps import MissingColumnError, active_layers, plot_map

    df = _toy()
    assert active_layers(df, "mu") == ["flavour_total", "xenonnt", "mu_isolines"]
    # a layer whose trigger column is there but another of its columns is not
    with pytest.raises(MissingColumnError, match="map layer 'xenon1t_band': column xenon1t_high_muB missing"):
        plot_map(df.assign(xenon1t_low_muB=3e-11), "y1", "y2", lepton="mu")
    # the moment renamed: the XENONnT layer cannot be drawn against it
    with pytest.raises(MissingColumnError, match="map layer 'xenonnt'"):
        plot_map(df.rename(columns={"mu_mu_N1_muB": "mu_mu_N1"}), "y1", "y2", lepton="mu")
    # the layers an evaluator's table must have, given explicitly: a renamed column is an error
    with pytest.raises(MissingColumnError, match="map layer 'flavour_total': column dchi2_total missing"):
        plot_map(df.rename(columns={"dchi2_total": "dchi2_all"}), "y1", "y2", lepton="mu",
                 layers=["flavour_total", "xenonnt"])
    with pytest.raises(Exception, match="unknown map layer 'xenon'"):
        plot_map(df, "y1", "y2", lepton="mu", layers=["xenon"])


def test_large_grid_is_drawn_on_the_pixel_grid():
    """A small grid is refined REFINE x; a larger one is drawn on its own nodes (at most RASTER per
    axis); both give the same region edges (bilinear interpolation of a linear field is exact)."""
    from lqmodel.plotting.maps import MapData

    for n, fine in ((40, 39 * 4 + 1), (600, 600)):
        y = np.linspace(0.0, 1.0, n)
        Y1, Y2 = (a.ravel() for a in np.meshgrid(y, y, indexing="ij"))
        d = MapData(pd.DataFrame({"a": Y1, "b": Y2}), "a", "b", False, False)
        Z = d.field(2 * Y1 + 3 * Y2)
        assert Z.shape == (fine, fine)
        assert np.allclose(Z, 2 * d.X + 3 * d.Y, atol=1e-12)


def test_large_random_scan_is_binned():
    from lqmodel.plotting.maps import MapData

    rng = np.random.default_rng(0)
    n = MapData.MAX_TRIANGULATED + 1
    a, b = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    d = MapData(pd.DataFrame({"a": a, "b": b}), "a", "b", False, False)
    assert d.binned and d.grid
    Z = d.field(a + b)  # cell means of a linear field: the value at the cell centre, up to sampling noise
    assert np.nanmax(np.abs(Z - (d.X + d.Y))) < 2.5 / MapData.BINS + 0.02
    assert math.isfinite(float(np.nanmean(Z)))
