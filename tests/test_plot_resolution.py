"""The coupling map's cost is bounded by the figure (lqmodel.plotting.maps.MapData, issue 10): which nodes a
grid is drawn on, that the table's row order does not matter, that only the drawn layers' columns are read
from Parquet, and that random tables with NaN fields still draw.

References are independent of the plotting code: a field linear in the plotted coordinates (bilinear
interpolation and linear contouring are exact on it), the closed-form Voloshin-limit moment
mu/mu_B = m_e m_b y1 y2 g(x)/(4 pi^2 m^2), g(x) = (x - 1 - ln x)/(x - 1)^2 (docs/theory.md §b.2, written
out here), and the table's own values at the grid nodes.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lqmodel.plotting import maps
from lqmodel.plotting.maps import MapData, plot_map

M_E, M_B = 0.51099895e-3, 4.18
NT = 1.6e-11


def _mu(y1, y2, m=1000.0):
    x = M_B**2 / m**2
    g = (x - 1 - np.log(x)) / (x - 1) ** 2
    return M_E * M_B * y1 * y2 * g / (4 * math.pi**2 * m**2)


def _grid(n, m=None):
    a = np.linspace(0.0, 1.0, n)
    b = np.linspace(0.0, 1.0, m or n)
    A, B = (v.ravel() for v in np.meshgrid(a, b, indexing="ij"))  # the scan's order: first parameter slowest
    return A, B


@pytest.mark.parametrize(("n", "shape"), [(40, 39 * 4 + 1), (600, 600)])
def test_small_grids_are_refined_large_ones_drawn_on_their_nodes(n, shape):
    """Up to 275 nodes per axis: REFINE x refined (bilinear: exact on a linear field); above: the scan's own
    nodes, each drawn value the table's value at that node."""
    A, B = _grid(n)
    d = MapData(pd.DataFrame({"a": A, "b": B}), "a", "b", False, False)
    Z = d.field(2 * A + 3 * B)
    assert Z.shape == (shape, shape)
    assert np.allclose(Z, 2 * d.X + 3 * d.Y, atol=1e-12)
    if shape == n:  # no interpolation at all: the node values themselves
        nodes = np.linspace(0.0, 1.0, n)
        assert np.array_equal(d.X[0], nodes) and np.array_equal(d.Y[:, 0], nodes)
        assert np.array_equal(Z, 2 * d.X + 3 * d.Y)


def test_refinement_is_scipys_bilinear_interpolation_bit_for_bit():
    """The REFINE x refinement of small grids (maps._bilinear, no scipy import) against scipy's
    RegularGridInterpolator, on uneven and log-spaced nodes with NaN and inf corners."""
    from scipy.interpolate import RegularGridInterpolator

    rng = np.random.default_rng(11)
    for trial in range(40):
        n0, n1 = (int(k) for k in rng.integers(2, 40, 2))
        t0 = np.log10(np.geomspace(1e3, 5e3, n0)) if trial % 2 else np.cumsum(rng.uniform(0.1, 1.0, n0))
        t1 = np.linspace(-3.0, math.log10(3.0), n1) if trial % 3 else np.cumsum(rng.uniform(0.1, 1.0, n1))
        Z = rng.normal(size=(n0, n1)) * 10 ** rng.uniform(-12, 5)
        Z[rng.random(Z.shape) < (0.1 if trial % 4 == 0 else 0.0)] = np.nan
        Z[rng.random(Z.shape) < (0.05 if trial % 5 == 0 else 0.0)] = np.inf
        f0, f1 = (np.linspace(t[0], t[-1], (len(t) - 1) * MapData.REFINE + 1) for t in (t0, t1))
        fine = np.stack(np.meshgrid(f0, f1, indexing="ij"), axis=-1)
        with np.errstate(invalid="ignore"):
            ref = RegularGridInterpolator((t0, t1), Z.copy(), method="linear")(fine)
        got = maps._bilinear(t0, t1, Z, f0, f1, rows=5)
        nan = np.isnan(ref)
        assert np.array_equal(np.isnan(got), nan), trial  # the same NaN cells (payloads may differ)
        assert np.array_equal(got[~nan].view(np.int64), ref[~nan].view(np.int64)), trial  # the same bits


def test_grids_above_the_pixel_grid_use_every_kth_node_and_the_last():
    n = 2 * MapData.RASTER + 7
    A, B = _grid(n, 30)  # one axis above RASTER, the other refined
    d = MapData(pd.DataFrame({"a": A, "b": B}), "a", "b", False, False)
    Z = d.field(A - 5 * B)
    assert Z.shape[0] == 29 * MapData.REFINE + 1
    assert Z.shape[1] <= MapData.RASTER
    xs = d.X[0]
    assert xs[0] == 0.0 and xs[-1] == 1.0  # the edges of the scanned range are kept
    assert np.all(np.diff(xs) > 0)
    assert np.allclose(Z, d.X - 5 * d.Y, atol=1e-12)


def test_the_row_order_of_the_table_does_not_matter():
    """Any permutation of the rows of a grid table gives the same field (the scan writes the first
    parameter slowest; a table may come sorted the other way, or shuffled)."""
    A, B = _grid(300, 320)
    v = np.sin(7 * A) * np.exp(B)
    ref = MapData(pd.DataFrame({"a": A, "b": B}), "a", "b", False, False).field(v)
    rng = np.random.default_rng(3)
    for order in (np.lexsort((A, B)), rng.permutation(len(A))):
        d = MapData(pd.DataFrame({"a": A[order], "b": B[order]}), "a", "b", False, False)
        assert np.array_equal(d.field(v[order]), ref)


def test_native_grid_edges_at_the_closed_form_position():
    """XENONnT edge mu = NT on a 600 x 600 log grid: y2 = NT / (unit y1), a straight line in log-log, which
    contouring the nodes (linear along cell edges in log coordinates) reproduces to rounding."""
    import contourpy

    y1, y2 = np.geomspace(1e-3, 1.0, 600), np.geomspace(1e-2, 3.0, 600)
    Y1, Y2 = (v.ravel() for v in np.meshgrid(y1, y2, indexing="ij"))
    d = MapData(pd.DataFrame({"y1": Y1, "y2": Y2}), "y1", "y2", True, True)
    Z = d.field(np.log10(_mu(Y1, Y2) / NT))
    assert Z.shape == (600, 600)
    lines = contourpy.contour_generator(np.log10(d.X), np.log10(d.Y), Z).lines(0.0)
    pts = np.concatenate(lines)
    unit = _mu(1.0, 1.0)
    assert len(pts) > 100
    assert np.allclose(pts[:, 1], np.log10(NT / unit) - pts[:, 0], atol=1e-9)


def test_parquet_reads_only_the_drawn_layers_columns(tmp_path):
    y = np.logspace(-2, 0, 20)
    Y1, Y2 = (v.ravel() for v in np.meshgrid(y, y, indexing="ij"))
    df = pd.DataFrame({"y1": Y1, "y2": Y2, "mu_mu_N1_muB": _mu(Y1, Y2), "mu_e_N1_muB": 0 * Y1,
                       "mu_tau_N1_muB": 0 * Y1, "xenonnt_limit_muB": NT, "dchi2_total": Y1 * 10,
                       "excluded_b_s_ll": Y1 > 0.5, "width_S1_GeV": Y1, "BR_S1_t_mu": Y1})
    df.to_parquet(tmp_path / "t.parquet")
    read = maps._as_dataframe(tmp_path / "t.parquet", keep=("y1", "y2"), lepton="mu", layers=["xenonnt"])
    assert sorted(read.columns) == ["mu_mu_N1_muB", "xenonnt_limit_muB", "y1", "y2"]
    assert read.attrs["all_columns"] == tuple(df.columns)
    # lepton not given: every lepton's moment (plot_map picks the brightest from them)
    read = maps._as_dataframe(tmp_path / "t.parquet", keep=("y1", "y2"), layers=["xenonnt"])
    assert {"mu_e_N1_muB", "mu_mu_N1_muB", "mu_tau_N1_muB"} <= set(read.columns)
    fig = plot_map(tmp_path / "t.parquet", "y1", "y2", lepton="mu", layers=["xenonnt", "flavour_total"])
    assert any("XENONnT" in t.get_text() for t in fig.legends[0].get_texts())


@pytest.mark.parametrize("row_group_size", [1, 2, 3, 5])
def test_parquet_columns_read_as_pyarrow_converts_them(tmp_path, row_group_size):
    """The plot's Parquet reader (row group by row group, constant columns as one broadcast value, no
    pandas) gives the values, bits and dtypes of pyarrow's own Table.to_pandas: nulls, NaN, signed zeros, a
    column constant except in its last row group, float32, flags, integers with nulls; the limit names
    counted as pandas counts them, and a row selection."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.table({"x": pa.array([1.0, None, 3.0, 4.0, 5.0]), "k": [-0.0, -0.0, 0.0, 0.0, 0.0],
                  "nan": [math.nan] * 5, "null": pa.array([None] * 5, pa.float64()), "c": [NT] * 5,
                  "late": [2.0, 2.0, 2.0, 2.0, 7.0], "f32": pa.array([1, 2, None, 3, 1], pa.float32()),
                  "flag": [True, False, False, True, True], "i": pa.array([1, None, 2, 3, 4]),
                  "j": pa.array([1, 2, 3, 4, 5], pa.int32()), "nflag": pa.array([True, None, False, True, None]),
                  "limit_name": pa.array(["b", "a", None, "b", "a"]), "lab_limit_name": ["", "", "", "z", "y"]})
    pq.write_table(t, tmp_path / "t.parquet", row_group_size=row_group_size)
    names = ["late", "x", "k", "nan", "null", "c", "f32", "flag", "i", "j", "nflag", "limit_name", "lab_limit_name"]
    read = maps._read_parquet(tmp_path / "t.parquet", names)
    ref = pq.ParquetFile(tmp_path / "t.parquet", read_dictionary=["limit_name"]).read(columns=names).to_pandas()
    assert read.columns == names and len(read) == len(ref)
    for name in names[:-2]:
        a, b = read[name].to_numpy(), ref[name].to_numpy()
        assert a.dtype == b.dtype, name
        if b.dtype.kind == "f":
            assert np.array_equal(a.view(f"i{a.itemsize}"), b.view(f"i{b.itemsize}")), name  # bit for bit
        else:
            assert a.tolist() == b.tolist(), name
    for name in ("limit_name", "lab_limit_name"):
        assert maps._mode(read, name) == maps._mode(ref, name)
    assert maps._mode(read, "limit_name") == "a"  # two a, two b: the smallest
    assert maps._mode(read, "lab_limit_name") == "y"  # empty names do not count
    assert read["c"].to_numpy().strides == (0,)  # a constant column holds no memory per row
    rows = np.array([True, False, True, True, False])
    sub = read[rows]
    assert len(sub) == 3 and np.array_equal(sub["late"].to_numpy(), ref["late"].to_numpy()[rows])
    assert maps._mode(sub, "lab_limit_name") == "z"
    empty = tmp_path / "e.parquet"
    pq.write_table(t.slice(0, 0), empty)
    read = maps._read_parquet(empty, names)
    assert len(read) == 0 and all(len(read[n].to_numpy()) == 0 for n in names)


def test_arrow_arrays_to_numpy_from_their_buffers():
    """maps._arrow_to_numpy (read from the buffers) against pyarrow's own conversion, on slices (non-zero
    offsets, also inside a validity byte) with and without nulls."""
    import pyarrow as pa

    arrays = [pa.array([1.5, None, -0.0, math.nan, 4.0, None, 7.0, 8.0, 9.0, 10.0]),
              pa.array(np.arange(10.0, dtype=np.float32)), pa.array([1, 2, None, 4, 5, 6, 7, None, 9, 10]),
              pa.array(np.arange(10, dtype=np.int16)), pa.array([True, False, True, True, False] * 2),
              pa.array([True, None, False, True, None, False, False, True, None, True])]
    for arr in arrays:
        for start, stop in ((0, 10), (3, 10), (1, 6), (9, 10), (4, 4)):
            part = arr.slice(start, stop - start)
            got, ref = maps._arrow_to_numpy(part), part.to_pandas().to_numpy()
            assert got.dtype == ref.dtype, (arr.type, start)
            assert got.tolist() == ref.tolist() or np.array_equal(got, ref, equal_nan=True), (arr.type, start)


def test_plot_from_parquet_imports_neither_pandas_nor_scipy(tmp_path):
    """A map drawn from a Parquet file needs neither pandas nor scipy (each about half a second or more to
    import in a fresh process): a fresh interpreter draws one and checks what it imported."""
    import subprocess
    import sys

    A, B = (10 ** v for v in _grid(30))
    pd.DataFrame({"y1": A, "y2": B, "mu_mu_N1_muB": _mu(A, B), "xenonnt_limit_muB": NT,
                  "lab_limit_muB": NT, "lab_limit_name": "XENONnT"}).to_parquet(tmp_path / "t.parquet")
    code = ("import sys; from lqmodel.plotting.maps import plot_map; "
            f"plot_map({str(tmp_path / 't.parquet')!r}, 'y1', 'y2', lepton='mu', out={str(tmp_path / 'm')!r}); "
            "print(sorted(m for m in ('pandas', 'scipy') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "m.png").exists() and (tmp_path / "m.pdf").exists()


def test_label_of_the_most_frequent_limit_from_categories():
    s = pd.Categorical(["", "", "", "B limit", "A limit", "B limit", "A limit"])
    assert maps._mode(pd.DataFrame({"n": s}), "n") == "A limit"  # tie: the smallest, as pandas' mode
    assert maps._mode(pd.DataFrame({"n": pd.Categorical(["", ""])}), "n") == "limit"
    assert maps._mode(pd.DataFrame({"n": ["x", "y", "y", ""]}), "n") == "y"


def test_random_table_with_nan_fields_is_drawn(tmp_path):
    """Triangulated (random) tables: a field NaN in part of the plane is contoured where it is finite
    (matplotlib refuses NaN inside a triangulation)."""
    rng = np.random.default_rng(5)
    n = 900
    y1, y2 = 10 ** rng.uniform(-3, 0, n), 10 ** rng.uniform(-2, 0.5, n)
    tuning = 10 ** (np.log10(y1 * y2) + 3.5)
    tuning[y1 < 3e-3] = np.nan
    df = pd.DataFrame({"y1": y1, "y2": y2, "mu_mu_N1_muB": _mu(y1, y2), "tuning": tuning})
    fig = plot_map(df, "y1", "y2", lepton="mu", out=tmp_path / "r", layers=["mu_isolines", "tuning"])
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any(r"tuning $\Delta$ = 1" in s for s in labels)
    lines = [c for c in fig.axes[0].collections if getattr(c, "levels", None) is not None
             and len(c.levels) and c.levels[0] == 0.0]  # the Delta = 1 contour
    assert lines
    xy = np.concatenate([p.vertices for p in lines[0].get_paths() if len(p.vertices)])
    assert xy[:, 0].min() >= 3e-3 * 0.99  # nothing drawn where the field is NaN
    assert (tmp_path / "r.png").exists() and (tmp_path / "r.pdf").exists()
