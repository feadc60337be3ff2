r"""Publication-quality 2D coupling maps from a scan table (matplotlib, Agg backend).

:func:`plot_map` draws, in any two scanned parameters ``x`` and ``y`` (log axes where the scan is log;
masses shown in TeV, M_N in keV):

* iso-lines of the transition moment :math:`|\mu_{\alpha N_1}|` (thin grey, labelled in mu_B);
* the XENON1T-level band, ``xenon1t_low_muB <= mu <= xenon1t_high_muB`` (filled green);
* the R(D*) 1σ and 2σ regions, :math:`\chi^2_{R(D^*)} \le 1, 4` (filled blue; one observable, 1 dof);
* exclusions (hatched, at :math:`\Delta\chi^2 > 4` against the SM, i.e. 2σ for one parameter): all
  flavour observables together (``dchi2_total``), R(K(*)) (sum over the R_K / R_K* bins),
  :math:`(g-2)_\mu`, B→Kνν̄ (B→K(*)νν̄ branching ratios) — each drawn only where it excludes something;
* direct-detection exclusions, hatched: ``mu > xenonnt_limit_muB`` (XENONnT) and ``mu > lab_limit_muB``
  (the strongest applicable laboratory limit, named in the legend); the strongest bound of any kind
  (``limit_muB``, e.g. stellar cooling) as a dash-dotted boundary, so it does not hide the rest;
* fine tuning of the neutrino mass (docs/neutrino_mass.md): contours of Δ = |m_loop|/m_D^max at 1, 10, 10²,
  10³ (solid purple, ``tuning``), and of the same Δ for S1 alone at the same μ_ν (dashed, every decade,
  ``tuning_S1_same_mu``) when those columns are in the table;
* "LHC (pair production)": shaded and cross-hatched where the published pair-production limits recast to
  the point's branching ratios exclude it (``pair_margin`` > 0, else ``excluded_pair``;
  :mod:`lqmodel.collider`), and "LHC (Drell-Yan)" from ``excluded_drell_yan`` when that is in the table.

LAYERS. Each layer is a named function (:data:`LAYER_FUNCTIONS`) whose columns are declared in the column
schema, :data:`lqmodel.columns.MAP_LAYERS`. By default a layer is drawn when one of its trigger columns is
in the table (so the same function plots partial tables); given ``layers`` (what
:func:`lqmodel.columns.expected_layers` says the evaluator's table has, as ``lqmodel map`` does), exactly
those are drawn. Either way a drawn layer with a missing column is a
:class:`~lqmodel.columns.MissingColumnError` naming the layer and the column, not a silent omission.
Adding a layer: its columns in ``MAP_LAYERS``, its function here, in the same order.

RESOLUTION. Regions are contours of smooth fields (log ratios, χ²) interpolated on the scan grid (grid
scans) or on a Delaunay triangulation (random / Latin-hypercube scans), at most at the figure's pixel
resolution (:class:`MapData`): the plot's cost does not grow with the number of points beyond that.
Saved as PNG (200 dpi) and PDF.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lqmodel.columns import MAP_LAYERS, MissingColumnError, layer_columns
from lqmodel.errors import InputError
from lqmodel.scan.storage import _arrow_values
from lqmodel.vocabulary import LEPTON_LATEX as _LATEX_LEPTON
from lqmodel.vocabulary import LEPTONS, display_value, is_coupling, latex_label, parse_matrix_entry

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.typing import RcKeyType

__all__ = ["plot_map", "axis_label", "base_coordinates", "MapData", "active_layers", "LAYER_FUNCTIONS",
           "MapContext", "MissingColumnError"]

# colours (colour-blind-safe Okabe-Ito palette)
C_BAND = "#009E73"
C_RDS = "#0072B2"
C_RK = "#D55E00"
C_GM2 = "#E69F00"
C_KNN = "#CC79A7"
C_NT = "0.25"
C_FLAV = "#8B0000"
C_LIM = "0.45"
C_LHC = "#5B3A29"
C_DY = "#6A3D9A"


#: what the shorthand couplings are (lqmodel.pointfile / lqmodel.models): coupling and its field content
#: (\ell: the point's lepton flavour)
COUPLING_DEFINITIONS = {
    "y1": ("y_1", r"\bar y^{RR}_{bN}", r"$\bar b_R^c N_R S_1$"),
    "y2": ("y_2", r"y^{LL}_{b\ell}", r"$\bar Q_3^c L_\ell S_1$"),
    "y1p": ("y_1'", r"y^{RR}_{t\ell}", r"$\bar t_R^c \ell_R S_1$"),
}
#: perturbativity: |y| > sqrt(4 pi) is shaded on coupling axes (|y1 y2| > 4 pi on a product axis)
PERTURBATIVE_MAX = math.sqrt(4 * math.pi)


def axis_label(name: str, lepton: str | None = None) -> str:
    r"""Axis label with unit for a scan parameter (masses in TeV, M_N in keV); the shorthand couplings
    y1, y2, y1p say which coupling they are (``lepton``: the flavour of y2 and y1p, else a generic ell).

    >>> print(axis_label("m_LQ"), axis_label("y_LL[2,1]"))
    $m_{\rm LQ}$ [TeV] $y^{LL}_{21}$
    >>> print(axis_label("y2", "mu"))
    $y_2 = y^{LL}_{b\mu}$  ($\bar Q_3^c L_\mu S_1$)
    """
    ell = _LATEX_LEPTON.get(lepton or "", r"\ell")
    if name in COUPLING_DEFINITIONS:
        short, sym, fields = COUPLING_DEFINITIONS[name]
        return f"${short} = {sym}$  ({fields})".replace(r"\ell", ell)
    if name == "y1y2":
        return rf"$y_1 y_2 = \bar y^{{RR}}_{{bN}}\, y^{{LL}}_{{b{ell}}}$"
    label = latex_label(name)  # lqmodel.vocabulary: symbol and displayed unit
    return name if label is None else label


def _display(name: str, v: np.ndarray) -> np.ndarray:
    """Values of ``name`` in the unit plots show (LQ masses in TeV, M_N in keV; lqmodel.vocabulary)."""
    return display_value(name, v)


class MapData:
    """Fields of a table on the (x, y) plane: a regular grid if possible, else a triangulation; the cost
    of a field is bounded by the figure's resolution, not by the number of points.

    Grid scans, per axis: a grid of up to (RASTER - 1) / REFINE + 1 = 275 values is refined REFINE times
    (contours interpolated linearly in the plotted, log or lin, coordinates: straight edges where the
    fields are smooth in log coordinates); a finer one is drawn on its own nodes, without interpolation
    (a cell is then at most about 4 pixels of the saved figure, and contouring the nodes puts each edge
    on the same straight segment per cell as the REFINE x interpolation, to well below a pixel); one of
    more than RASTER nodes (about the axes' width in pixels at the saved 200 dpi) is drawn on every k-th
    node (k the smallest stride giving at most RASTER, and the last node). So the drawn grid never
    exceeds RASTER x RASTER nodes, and a field costs one reordering of the table's column plus, for
    small grids, the interpolation. Random / Latin-hypercube scans: a Delaunay triangulation up to
    MAX_TRIANGULATED points (triangles with a non-finite corner left out of a field's contours); above
    that the points are binned onto a BINS x BINS grid of the plotting coordinates (mean per cell, empty
    cells masked) and drawn as a grid of BINS nodes per axis.
    """

    REFINE = 4
    RASTER = 1100
    MAX_TRIANGULATED = 40_000
    BINS = 400

    def __init__(self, df, x: str, y: str, log_x: bool, log_y: bool):
        self.x, self.y = x, y
        xv, yv = df[x].to_numpy(float), df[y].to_numpy(float)
        self.binned = False
        self.log_x, self.log_y = log_x, log_y
        self._order: np.ndarray | None = None  # table row of each grid node (C order), None: the identity
        self._transposed = False  # the table runs over y fastest: a node grid is values.reshape(nx, ny).T
        ordered = _ordered_grid(yv, xv)  # a scan's order: the first parameter (x) slowest
        if ordered is not None:
            uy, ux = ordered
            self._transposed = True
        elif (ordered := _ordered_grid(xv, yv)) is not None:
            ux, uy = ordered
        else:
            ux, uy = np.unique(xv), np.unique(yv)
        self.grid = len(ux) * len(uy) == len(df) and len(ux) > 1 and len(uy) > 1
        if self.grid and ordered is None:
            nx, ny = len(ux), len(uy)
            flat = np.searchsorted(uy, yv) * nx + np.searchsorted(ux, xv)
            if np.array_equal(flat, np.arange(len(flat))):
                pass
            elif np.array_equal(flat, (np.arange(len(flat)) % ny) * nx + np.arange(len(flat)) // ny):
                self._transposed = True
            else:
                self._order = np.empty(len(flat), dtype=np.intp)
                self._order[flat] = np.arange(len(flat))
        if self.grid:
            self._shape = (len(uy), len(ux))
            self._tx = np.log10(ux) if log_x else ux
            self._ty = np.log10(uy) if log_y else uy
        elif len(df) > self.MAX_TRIANGULATED:
            self.grid = self.binned = True
            tx = np.log10(xv) if log_x else xv
            ty = np.log10(yv) if log_y else yv
            ex = np.linspace(tx.min(), tx.max(), self.BINS + 1)
            ey = np.linspace(ty.min(), ty.max(), self.BINS + 1)
            ix = np.clip(np.searchsorted(ex, tx, side="right") - 1, 0, self.BINS - 1)
            iy = np.clip(np.searchsorted(ey, ty, side="right") - 1, 0, self.BINS - 1)
            self._flat = iy * self.BINS + ix
            self._shape = (self.BINS, self.BINS)
            self._tx, self._ty = 0.5 * (ex[1:] + ex[:-1]), 0.5 * (ey[1:] + ey[:-1])
        else:
            import matplotlib.tri as mtri

            tx = np.log10(xv) if log_x else xv
            ty = np.log10(yv) if log_y else yv
            # triangulate in the (scaled) plotting coordinates, draw in data coordinates
            sx = (tx - tx.min()) / max(np.ptp(tx), 1e-300)
            sy = (ty - ty.min()) / max(np.ptp(ty), 1e-300)
            tri = mtri.Triangulation(sx, sy)
            self.tri = mtri.Triangulation(_display(x, xv), _display(y, yv), tri.triangles)
        if self.grid:
            self._fx, self._sx = self._axis(self._tx)
            self._fy, self._sy = self._axis(self._ty)
            dx = self._tx[self._sx] if self._fx is None else self._fx
            dy = self._ty[self._sy] if self._fy is None else self._fy
            fxd = 10**dx if log_x else dx
            fyd = 10**dy if log_y else dy
            self.X, self.Y = np.meshgrid(_display(x, fxd), _display(y, fyd))
        self.df = df

    @classmethod
    def _axis(cls, t: np.ndarray) -> tuple[np.ndarray | None, slice | np.ndarray]:
        """The drawn nodes of one axis with node coordinates ``t``: (refined coordinates, None) for a small
        grid; (None, the nodes used: all, or every k-th and the last) otherwise."""
        n = len(t)
        if (n - 1) * cls.REFINE + 1 <= cls.RASTER:
            return np.linspace(t[0], t[-1], (n - 1) * cls.REFINE + 1), slice(None)
        if n <= cls.RASTER:
            return None, slice(None)
        k = -(-(n - 1) // (cls.RASTER - 1))
        sel = np.arange(0, n, k)
        return None, sel if sel[-1] == n - 1 else np.append(sel, n - 1)

    def nodes(self, values: np.ndarray) -> np.ndarray:
        """``values`` (one per table row) on the grid's nodes, shape (ny, nx) (grid and binned tables)."""
        values = np.asarray(values, dtype=float)
        if self.binned:
            n = self._shape[0] * self._shape[1]
            ok = np.isfinite(values)
            s = np.bincount(self._flat[ok], weights=values[ok], minlength=n)
            c = np.bincount(self._flat[ok], minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(c > 0, s / c, np.nan).reshape(self._shape)
        ny, nx = self._shape
        if self._transposed:
            return values.reshape(nx, ny).T
        return (values if self._order is None else values[self._order]).reshape(ny, nx)

    def field(self, values: np.ndarray) -> np.ndarray:
        """``values`` (one per table row) as the field that is contoured (the drawn grid, or the values
        at the triangulation's points)."""
        if not self.grid:
            return np.asarray(values, dtype=float)
        Z = self.nodes(values)
        if not isinstance(self._sy, slice):
            Z = Z[self._sy]
        if not isinstance(self._sx, slice):
            Z = Z[:, self._sx]
        if self._fx is not None and self._fy is not None:
            # both axes refined: the REFINE x bilinear interpolation (_bilinear: scipy's, without importing
            # scipy; _interp_axis twice agrees to rounding, which moves a few antialiased pixels)
            return _bilinear(self._ty, self._tx, Z, self._fy, self._fx)
        if self._fy is not None:
            Z = _interp_axis(self._ty, Z, self._fy, axis=0)
        if self._fx is not None:
            Z = _interp_axis(self._tx, Z, self._fx, axis=1)
        return np.ascontiguousarray(Z)

    def _tri_for(self, Z):
        """The triangulation without the triangles that touch a non-finite value of ``Z`` (matplotlib
        refuses non-finite values inside a triangulation), and Z with those values set to 0 (unused)."""
        bad = ~np.isfinite(Z)
        if not bad.any():
            return self.tri, Z
        import matplotlib.tri as mtri

        mask = bad[self.tri.triangles].any(axis=1)
        return (mtri.Triangulation(self.tri.x, self.tri.y, self.tri.triangles, mask=mask),
                np.where(bad, 0.0, Z))

    def contourf(self, ax, Z, like=None, **kw):
        """Filled contours of the field ``Z``. ``like``: a ContourSet drawn from the same field, whose
        contour generator matplotlib then reuses (the same regions, without another pass over the grid's
        masks and copies)."""
        if like is not None:
            return (ax.contourf if self.grid else ax.tricontourf)(like, **kw)
        if self.grid:
            return ax.contourf(self.X, self.Y, Z, **kw)
        return ax.tricontourf(*self._tri_for(Z), **kw)

    def contour(self, ax, Z, like=None, **kw):
        """Contour lines of the field ``Z``; ``like`` as in :meth:`contourf`, used when every level lies
        strictly inside the field's range (else matplotlib's own handling of levels outside the data, with
        its warning, exactly as without it)."""
        levels = kw.get("levels")
        if like is not None and levels is not None and all(like.zmin < lv < like.zmax for lv in levels):
            return (ax.contour if self.grid else ax.tricontour)(like, **kw)
        if self.grid:
            return ax.contour(self.X, self.Y, Z, **kw)
        return ax.tricontour(*self._tri_for(Z), **kw)


def _bilinear(t0: np.ndarray, t1: np.ndarray, Z: np.ndarray, f0: np.ndarray, f1: np.ndarray,
              rows: int = 128) -> np.ndarray:
    """Bilinear interpolation of ``Z`` (nodes ``t0`` x ``t1``, both increasing) to the nodes ``f0`` x ``f1``,
    bit for bit what ``scipy.interpolate.RegularGridInterpolator(method="linear")`` returns for a writeable
    float64 ``Z`` (its 2-D loop): the cell of a point is the last node at or below it (the last cell at the
    upper edge), and each value is v00 (1-y0)(1-y1) + v01 (1-y0) y1 + v10 y0 (1-y1) + v11 y0 y1, summed in
    that order (a NaN corner makes its cell NaN, even at weight 0). Without importing scipy (about a second
    in a fresh process); in blocks of ``rows`` output rows, so no temporary is larger than a block."""
    i0 = np.clip(np.searchsorted(t0, f0, side="right") - 1, 0, len(t0) - 2)
    i1 = np.clip(np.searchsorted(t1, f1, side="right") - 1, 0, len(t1) - 2)
    y0 = (f0 - t0[i0]) / (t0[i0 + 1] - t0[i0])
    y1 = (f1 - t1[i1]) / (t1[i1 + 1] - t1[i1])
    a0, b0 = (1 - y0)[:, None], y0[:, None]
    a1, b1 = 1 - y1, y1
    out = np.empty((len(f0), len(f1)))
    with np.errstate(invalid="ignore"):  # inf x 0 is NaN, as in scipy
        for s in range(0, len(f0), rows):
            r = slice(s, s + rows)
            lo, hi = Z[i0[r]], Z[i0[r] + 1]
            out[r] = (lo[:, i1] * a0[r] * a1 + lo[:, i1 + 1] * a0[r] * b1 + hi[:, i1] * b0[r] * a1
                      + hi[:, i1 + 1] * b0[r] * b1)
    return out


def _ordered_grid(fast: np.ndarray, slow: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(fast nodes, slow nodes) when the rows are a full grid with ``fast`` running fastest, both in
    increasing order (as a scan writes its grid), else None: then the nodes are ``np.unique`` of each
    column, found without sorting the table (every row is checked against its node)."""
    n = len(fast)
    if n < 4 or not (fast[1] > fast[0]):
        return None
    k = int(np.argmax(fast[1:] <= fast[:-1])) + 1 if np.any(fast[1:] <= fast[:-1]) else n
    if k < 2 or n % k or n // k < 2:
        return None
    f_nodes, s_nodes = fast[:k], slow[::k]
    if not (np.all(np.diff(f_nodes) > 0) and np.all(np.diff(s_nodes) > 0)):
        return None
    if not (np.array_equal(fast.reshape(-1, k), np.broadcast_to(f_nodes, (n // k, k)))
            and np.array_equal(slow.reshape(-1, k), np.broadcast_to(s_nodes[:, None], (n // k, k)))):
        return None
    return f_nodes.copy(), s_nodes.copy()


def _interp_axis(t, Z, f, axis: int) -> np.ndarray:
    """Linear interpolation of ``Z`` along one axis from the nodes ``t`` to ``f``, with scipy's cells
    (``searchsorted`` left: a fine node on a grid node lies in the cell below it) and NaN rule (a NaN node
    makes its cell NaN, even at weight 0); along both axes in turn this is bilinear interpolation."""
    i = np.clip(np.searchsorted(t, f) - 1, 0, len(t) - 2)
    w = (f - t[i]) / (t[i + 1] - t[i])
    if axis == 0:
        return Z[i] * (1 - w)[:, None] + Z[i + 1] * w[:, None]
    return Z[:, i] * (1 - w) + Z[:, i + 1] * w


def _select_plane(df, x: str, y: str, parameters: Sequence[str], fix: Mapping[str, float]):
    """Rows with the other scanned parameters at fixed values (given, or the value closest to their
    median) — the (x, y) slice of a higher-dimensional grid."""
    others = [p for p in parameters if p not in (x, y)]
    mask = np.ones(len(df), dtype=bool)
    chosen: dict[str, float] = {}
    for p in others:
        vals = np.unique(df[p].to_numpy(float))
        if len(vals) > 0.5 * len(df):  # continuous sampling: no slice possible, project
            continue
        target = float(fix[p]) if p in fix else float(np.median(vals))
        v = vals[np.argmin(np.abs(vals - target))]
        chosen[p] = v
        mask &= df[p].to_numpy(float) == v
    if mask.all():
        return df, chosen
    return df[mask].reset_index(drop=True), chosen


def _safe_log_ratio(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(np.asarray(a, float) / np.asarray(b, float))


#: one colour / hatch per constraint group (observables.registry.GROUPS order; Okabe-Ito + greys)
_GROUP_STYLE = (("#0072B2", "--"), ("#009E73", "++"), ("#D55E00", "xx"), ("#CC79A7", "||"), ("#56B4E9", "oo"),
                ("#E69F00", "//"), ("#F0E442", "\\\\"), ("#000000", "**"), ("#E69F00", "\\\\\\"),
                ("#999999", "OO"), ("#882255", ".."), ("#117733", "-\\"))


def _max(v) -> float:
    """Largest value of a field ignoring NaN (+inf counts; NaN when there is none), without numpy's
    all-NaN warning: np.nanmax's value, in one pass."""
    v = np.asarray(v, dtype=float)
    return float(np.fmax.reduce(v, axis=None)) if v.size else math.nan


def _finite_max(v) -> float:
    """Largest finite value (NaN when there is none)."""
    m = _max(v)
    if m == math.inf:
        v = np.asarray(v, dtype=float)
        m = _max(v[np.isfinite(v)])
    return m


def _hatched(data: MapData, ax, Z, level: float, color, hatch: str, regions: list | None = None, like=None):
    """Region Z > level: hatched, with a solid boundary line; the filled ContourSet is appended to
    ``regions`` (contour labels are placed outside them). ``like``: a ContourSet drawn from the same
    field (its contour generator is reused, :meth:`MapData.contourf`)."""
    fmax = _finite_max(Z)
    if not _max(Z) > level or math.isnan(fmax):  # nothing above the level, or nothing finite
        return False
    top = max(fmax, level) * 2 + 1.0
    cs = data.contourf(ax, Z, like=like, levels=[level, top], colors="none", hatches=[hatch], extend="max",
                       zorder=Z_HATCH)
    cs.set_edgecolor(color)
    cs.set_linewidth(0.0)
    data.contour(ax, Z, like=cs, levels=[level], colors=[color], linewidths=1.4, zorder=Z_EDGE)
    if regions is not None:
        regions.append(cs)
    return True


# ---------------------------------------------------------------------- which layers a table has
def _legacy_observable_layers() -> tuple[tuple[str, tuple[str, ...], str, str, str], ...]:
    """Tables without group columns (older scans): (name, dchi2 columns, colour, hatch, label) of the
    R_K(*), (g-2)_mu and B -> K(*) nu nu layers, the observables taken from the registry."""
    from observables.registry import OBSERVABLES

    names = tuple(OBSERVABLES)
    return (
        ("R_K", tuple(f"dchi2_{o}" for o in names if o.startswith("R_K")), C_RK, "xx",
         r"$R_{K^{(*)}}$ excl. ($2\sigma$)"),
        ("a_mu", ("dchi2_Delta_a_mu", "dchi2_a_mu"), C_GM2, "\\\\\\", r"$(g-2)_\mu$ excl. ($2\sigma$)"),
        ("Knunu", tuple(f"dchi2_{o}" for o in names if "nunu" in o.lower()), C_KNN, "||",
         r"$B\to K^{(*)}\nu\bar\nu$ excl. ($2\sigma$)"),
    )


def _present_groups(df) -> list[str]:
    """Slugs of the constraint groups (observables.registry.GROUPS order) with a column in ``df``."""
    from observables.registry import GROUPS, group_slug

    cols = set(df.columns)
    return [group_slug(g) for g in GROUPS
            if f"excluded_{group_slug(g)}" in cols or f"dchi2_group_{group_slug(g)}" in cols]


def _missing(layer: str, column: str, df, why: str) -> MissingColumnError:
    shown = ", ".join(list(df.columns)[:12])
    return MissingColumnError(f"map layer '{layer}': column {column} missing ({why}; the table has {shown}"
                              f"{', ...' if len(df.columns) > 12 else ''}); see lqmodel.columns.MAP_LAYERS")


def active_layers(df, lepton: str | None, layers: Sequence[str] | None = None) -> list[str]:
    """The layers of :data:`lqmodel.columns.MAP_LAYERS` drawn for ``df``, in drawing order.

    ``layers=None``: every layer one of whose trigger columns is in the table; ``layers`` given: exactly
    those (e.g. :func:`lqmodel.columns.expected_layers` of the evaluator that wrote the table). Either way
    a drawn layer whose required columns are not all there is a :class:`~lqmodel.columns.MissingColumnError`
    naming the layer and the column — never a layer silently left out."""
    cols = set(df.columns)
    if layers is not None:
        unknown = [n for n in layers if n not in MAP_LAYERS]
        if unknown:
            from lqmodel.vocabulary import did_you_mean

            raise InputError(f"unknown map layer {unknown[0]!r}.{did_you_mean(unknown[0], MAP_LAYERS)} "
                             f"Allowed: {', '.join(MAP_LAYERS)}")
    out = []
    for name, spec in MAP_LAYERS.items():
        if layers is not None:
            if name not in layers:
                continue
            why = "the layer is expected for this table"
        else:
            if not _triggered(name, spec, df, lepton):
                continue
            why = "the layer's other columns are there"
        if spec.per_group:
            groups = _present_groups(df)
            if not groups:
                raise _missing(name, "dchi2_group_<group>", df, why)
            for g in groups:
                for c in layer_columns(name, group=g):
                    if c not in cols:
                        raise _missing(name, c, df, f"excluded_{g} is present")
        elif name == "flavour_observables":
            pass  # any of its optional columns (never required)
        else:
            need = spec.requires
            if any("{lepton}" in c for c in need) and lepton is None:
                raise _missing(name, "mu_<lepton>_N1_muB", df, why + "; no moment column to draw it against")
            for c in layer_columns(name, lepton=lepton):
                alt = spec.alternatives.get(c)
                if c not in cols and not (layers is None and alt in cols):
                    raise _missing(name, c, df, why)
        out.append(name)
    return out


def _triggered(name: str, spec, df, lepton: str | None) -> bool:
    cols = set(df.columns)
    if spec.per_group:
        return bool(_present_groups(df))
    if name == "flavour_observables":
        return not _present_groups(df) and any(c in cols for _, cs, *_ in _legacy_observable_layers() for c in cs)
    trig = [t.replace("{lepton}", lepton) if lepton else t for t in spec.trigger_columns()]
    hits = [t in cols for t in trig if "{" not in t]
    return bool(hits) and (all(hits) if spec.trigger_all else any(hits))


def plot_map(
    table: Any,
    x: str,
    y: str,
    *,
    lepton: str | None = None,
    scales: Mapping[str, str] | None = None,
    parameters: Sequence[str] | None = None,
    fix: Mapping[str, float] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    out: str | Path | None = None,
    mu_levels: Sequence[float] | None = None,
    benchmark: Mapping[str, Any] | None = None,
    layers: Sequence[str] | None = None,
):
    """Draw the coupling map of ``table`` (pandas DataFrame, pyarrow Table, or a Parquet path / scan
    folder) in the plane (``x``, ``y``); save ``out.png`` and ``out.pdf`` when ``out`` (a path without
    or with suffix) is given. ``lepton``: flavour of the moment shown (default: the one with the largest
    moment). ``scales``: {parameter: "lin" | "log"} (default: log when the values span > 1.5 decades and
    are positive). ``parameters``/``fix``: other scanned parameters and the values to slice them at.
    ``benchmark``: ``{x: value, y: value, "label": name}`` in scan units (GeV, couplings) — the base or
    benchmark point, marked with a star (:func:`base_coordinates` gives it for a Point).
    ``layers``: the layers to draw (names of :data:`lqmodel.columns.MAP_LAYERS`; default: those whose
    columns the table has); a drawn layer with a missing column is a
    :class:`~lqmodel.columns.MissingColumnError` (:func:`active_layers`).
    Returns the matplotlib Figure; PDF fonts are embedded as TrueType (Type 42)."""
    import matplotlib

    parameters = list(parameters or [x, y])
    df = _as_dataframe(table, keep=(x, y, *parameters), lepton=lepton, layers=layers)
    for p in (x, y):
        if p not in df.columns:
            raise KeyError(f"{p!r} is not a column of the scan table (columns: {', '.join(df.columns[:12])}, ...)")
    df, chosen = _select_plane(df, x, y, parameters, fix or {})
    scales = dict(scales or {})
    for p in (x, y):
        if p not in scales:
            v = df[p].to_numpy(float)
            scales[p] = "log" if (v.min() > 0 and v.max() / v.min() > 10**1.5) else "lin"
    data = MapData(df, x, y, scales[x] == "log", scales[y] == "log")
    lepton = lepton if lepton is not None else _brightest_lepton(df)
    drawn = active_layers(df, lepton, layers)
    with matplotlib.rc_context(_STYLE):
        ctx = _new_map(df, data, x, y, scales, lepton)
        ctx.mu_levels = mu_levels
        for name in drawn:
            if name not in _FLAVOUR_LAYERS:
                _flush_unconstraining(ctx)
            LAYER_FUNCTIONS[name](ctx)
            _release_contour_generators(ctx.ax)
        _flush_unconstraining(ctx)
        _perturbativity_and_benchmark(ctx, benchmark)
        fig = _finish(ctx, chosen, title, subtitle)
        # laid out as the PNG is saved (Agg canvas at PNG_DPI): the PNG reuses this layout
        laid_out = ctx.place_labels(dpi=PNG_DPI if out is not None else None)
        if out is not None:
            out = Path(out)
            stem = out.with_suffix("") if out.suffix in (".png", ".pdf") else out
            stem.parent.mkdir(parents=True, exist_ok=True)
            _save(fig, stem, png_laid_out=laid_out)
    return fig


#: resolution of the saved PNG
PNG_DPI = 200
#: zlib level of the PNG (Pillow's default is 6): the same pixels, about a third less encoding time for a
#: file about 2% larger
PNG_PIL = {"compress_level": 3}


def _save(fig, stem: Path, png_laid_out: bool = False) -> None:
    """``stem``.png (PNG_DPI) and ``stem``.pdf, each with the layout savefig computes for it, without
    savefig's pre-draw pass (with a layout engine, savefig draws every artist once with drawing disabled,
    only to run the layout, then draws again). Here the layout engine runs on the renderer that savefig's
    layout would use — the Agg canvas at PNG_DPI for the PNG, a PDF canvas (PDF font metrics) for the PDF
    — and the file is saved with the engine switched off for that one draw: the same files, one full
    draw each instead of two. ``png_laid_out``: the engine has just run on the figure as it is, on its
    Agg canvas at PNG_DPI (:meth:`MapContext.place_labels`), so the PNG is drawn with that layout."""
    from matplotlib.backends.backend_pdf import FigureCanvasPdf

    engine = fig.get_layout_engine()
    if engine is None:
        fig.savefig(stem.with_suffix(".png"), dpi=PNG_DPI, pil_kwargs=PNG_PIL)
        fig.savefig(stem.with_suffix(".pdf"))
        return
    canvas, dpi = fig.canvas, fig.dpi
    try:
        fig.dpi = PNG_DPI
        if not png_laid_out:
            engine.execute(fig)
        fig.set_layout_engine("none")
        fig.savefig(stem.with_suffix(".png"), dpi=PNG_DPI, pil_kwargs=PNG_PIL)
        fig.set_layout_engine(engine)
        fig.dpi = dpi
        if not _save_pdf(fig, stem.with_suffix(".pdf"), engine):
            FigureCanvasPdf(fig)  # the figure's canvas while the PDF is laid out and saved
            engine.execute(fig)
            fig.set_layout_engine("none")
            fig.savefig(stem.with_suffix(".pdf"))
    finally:
        fig.set_layout_engine(engine)
        fig.set_canvas(canvas)
        fig.dpi = dpi


def _save_pdf(fig, path: Path, engine) -> bool:
    """The PDF laid out and drawn with one renderer: what ``savefig`` writes (the same bytes, apart from
    the creation date), but the layout engine measures the text with the renderer the page is then drawn
    with, so every text's metrics and mathtext parse (kept per renderer) are computed once, not once
    for the layout's throw-away renderer and again for the page (about 0.25 s). The steps are those of
    ``FigureCanvasPdf.print_pdf`` (a page of the figure's size in points, a mixed-mode renderer at the
    figure's dpi); the canvas hands that renderer to the layout engine. False (nothing written) when this
    matplotlib lacks the pieces, and the caller saves with ``savefig``."""
    try:
        from matplotlib.backends.backend_mixed import MixedModeRenderer
        from matplotlib.backends.backend_pdf import FigureCanvasPdf, PdfFile, RendererPdf
    except ImportError:  # pragma: no cover  (another matplotlib)
        return False

    class _Canvas(FigureCanvasPdf):
        renderer: Any = None
        _is_saving: bool  # FigureCanvasBase's flag (not in matplotlib's stubs)

        def get_renderer(self):  # what Figure._get_renderer asks the canvas for (the layout's renderer)
            return self.renderer

    canvas = _Canvas(fig)
    dpi = fig.dpi
    try:
        fig.dpi = 72  # PDF points
        width, height = fig.get_size_inches()
        file = PdfFile(path)
        try:
            file.newPage(width, height)
            canvas.renderer = MixedModeRenderer(fig, width, height, dpi, RendererPdf(file, dpi, height, width))
            engine.execute(fig)
            fig.set_layout_engine("none")
            canvas._is_saving = True  # as savefig draws (animated artists included)
            fig.draw(canvas.renderer)
            canvas.renderer.finalize()
            file.finalize()
        finally:
            file.close()
    finally:
        fig.set_layout_engine(engine)
        fig.dpi = dpi
    return True


def _release_contour_generators(ax) -> None:
    """Drop the contour generators of the axes' ContourSets once a layer is drawn: each holds the field
    and its mask (about 9 MB at 10^6 nodes) only for later queries (reuse by the same layer, nearest
    contour), while drawing needs only the paths. Private matplotlib attribute, hence the guard: without
    it (another matplotlib) nothing is released and nothing else changes."""
    from matplotlib.contour import ContourSet

    for artist in ax.collections:
        if isinstance(artist, ContourSet) and getattr(artist, "_contour_generator", None) is not None:
            setattr(artist, "_contour_generator", None)  # noqa: B010  (private, not in matplotlib's stubs)


def _brightest_lepton(df) -> str | None:
    """The flavour with the largest moment in the table (None without moment columns)."""
    mu_cols = {l: f"mu_{l}_N1_muB" for l in LEPTONS if f"mu_{l}_N1_muB" in df.columns}
    if not mu_cols:
        return None
    return max(mu_cols, key=lambda l: float(np.nanmax(df[mu_cols[l]].to_numpy(float))))


_STYLE: dict[RcKeyType, Any] = {
    "font.family": "serif", "font.serif": ["STIXGeneral", "DejaVu Serif"], "mathtext.fontset": "stix",
    "font.size": 11, "axes.labelsize": 13, "legend.fontsize": 9, "hatch.linewidth": 0.6,
    "xtick.labelsize": 11, "ytick.labelsize": 11,
    # embedded TrueType (Type 42) fonts in PDF/PS, not Type 3 (what journals and slide software want)
    "pdf.fonttype": 42, "ps.fonttype": 42,
    # contourpy's serial algorithm: the same contours as matplotlib's default mpl2014 (PNG pixels identical;
    # the PDF lists the same polygons in another order), about twice as fast on a 10^6-node field
    "contour.algorithm": "serial",
}

# one drawing order in every plane (matplotlib zorder): fills < band < hatched exclusions < boundary lines
# < iso-lines < labels < benchmark marker
Z_FILL, Z_BAND, Z_HATCH, Z_EDGE, Z_ISO, Z_LABEL, Z_MARK = 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 6.0


@dataclass
class MapContext:
    """What the layer functions draw on and add to: the axes, the table's plane, the moment of ``lepton``
    (None without it), the legend handles and the hatched/shaded regions (contour labels avoid them)."""

    fig: Any
    ax: Any
    df: Any
    data: MapData
    x: str
    y: str
    lepton: str | None
    mu: np.ndarray | None
    mu_levels: Sequence[float] | None = None
    handles: list = field(default_factory=list)
    regions: list = field(default_factory=list)
    unconstraining: list = field(default_factory=list)
    #: contour labels to place once the figure is laid out (:meth:`place_labels`): (ContourSet, texts, the
    #: regions drawn before it)
    labels: list = field(default_factory=list)

    def label_lines(self, cs, texts: Sequence[str]) -> None:
        """Label the levels of the ContourSet ``cs`` off the hatched regions drawn so far
        (:func:`_label_lines`), placed by :meth:`place_labels`."""
        self.labels.append((cs, list(texts), list(self.regions)))

    def place_labels(self, dpi: float | None = None) -> bool:
        """Place the contour labels on the figure as it is saved: the layout engine run once on the finished
        figure (legend and final size included) at ``dpi`` (default the figure's), so that the labels follow
        the lines as drawn; the labels themselves are clipped to the axes and change no layout. Returns
        whether the figure was laid out (there were labels to place)."""
        if not self.labels:
            return False
        fig, old = self.fig, self.fig.dpi
        try:
            fig.dpi = old if dpi is None else dpi
            engine = fig.get_layout_engine()
            if engine is not None:
                engine.execute(fig)
            for cs, texts, avoid in self.labels:
                _label_lines(self.ax, cs, texts, avoid=avoid, layout=False)
        finally:
            fig.dpi = old
        self.labels.clear()
        return True

    def col(self, name: str) -> np.ndarray:
        return self.df[name].to_numpy(float)

    def moment(self) -> tuple[str, np.ndarray]:
        """``lepton`` and its moment, for the layers drawn from them (active_layers picks those only for a
        table with the moment columns of a lepton)."""
        if self.lepton is None or self.mu is None:
            raise InputError("this map layer needs the moment of a lepton flavour (lepton=...)")
        return self.lepton, self.mu


def _new_map(df, data: MapData, x: str, y: str, scales: Mapping[str, str], lepton: str | None) -> MapContext:
    """A Figure on its own Agg canvas (not a pyplot figure: no backend switch, nothing left open in
    pyplot) with the axes, labels, limits and ticks of the plane."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 5.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_xscale("log" if scales[x] == "log" else "linear")
    ax.set_yscale("log" if scales[y] == "log" else "linear")
    ax.set_xlabel(axis_label(x, lepton))
    ax.set_ylabel(axis_label(y, lepton))
    xd, yd = _display(x, df[x].to_numpy(float)), _display(y, df[y].to_numpy(float))
    ax.set_xlim(xd.min(), xd.max())
    ax.set_ylim(yd.min(), yd.max())
    for axis, vals, scale in ((ax.xaxis, xd, scales[x]), (ax.yaxis, yd, scales[y])):
        if scale == "log" and vals.max() / vals.min() < 10**2.2:
            _plain_log_ticks(axis)
    col = f"mu_{lepton}_N1_muB"
    mu = df[col].to_numpy(float) if lepton is not None and col in df.columns else None
    return MapContext(fig, ax, df, data, x, y, lepton, mu)


# ---------------------------------------------------------------------- the layers (lqmodel.columns.MAP_LAYERS)
def _layer_rd(c: MapContext) -> None:
    """R(D)-R(D*) 1 sigma / 2 sigma regions: the correlated chi2 of the two measurements (HFLAV average)
    at the 2-dof thresholds 2.30 / 6.18 (68.27% / 95.45%) when both are in the table; R(D*) alone (1 dof:
    1, 4) otherwise. The threshold used is in the legend."""
    from matplotlib.patches import Patch

    chi, name, (t1, t2), dof = _rd_field(c.df)
    Z = c.data.field(chi)
    if np.nanmin(Z) <= t2:
        cs = c.data.contourf(c.ax, Z, levels=[-1.0, t1], colors=[C_RDS], alpha=0.45, zorder=Z_FILL)
        c.data.contourf(c.ax, Z, like=cs, levels=[t1, t2], colors=[C_RDS], alpha=0.18, zorder=Z_FILL)
        f1, f2 = (f"{t:.2f}" if dof == 2 else f"{t:g}" for t in (t1, t2))
        c.handles += [Patch(facecolor=C_RDS, alpha=0.45, label=rf"{name} $1\sigma$ ($\chi^2\leq{f1}$, {dof} dof)"),
                      Patch(facecolor=C_RDS, alpha=0.18, label=rf"{name} $2\sigma$ ($\chi^2\leq{f2}$, {dof} dof)")]
    else:  # say so rather than silently drawing nothing
        c.handles.append(Patch(facecolor="none", edgecolor="none",
                               label=rf"{name} $2\sigma$ not reached (min $\chi^2$ = {np.nanmin(Z):.1f}, {dof} dof)"))


def _layer_xenon1t_band(c: MapContext) -> None:
    """The XENON1T-level band low <= mu <= high, and the same band for mu x (1 +- M_B_SCHEME_SPREAD)."""
    from matplotlib.patches import Patch

    lepton, mu = c.moment()
    data, ax = c.data, c.ax
    low, high = c.col("xenon1t_low_muB"), c.col("xenon1t_high_muB")
    # h = position of log(mu) in the band: -1 at the lower edge, +1 at the upper one (smooth in the
    # couplings, unlike a max() of the two edge conditions)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = _safe_log_ratio(mu, np.sqrt(low * high)) / (0.5 * _safe_log_ratio(high, low))
    # no two-sided band at this point (e.g. large M_N: XENON1T gives only an upper limit): masked, so
    # that no band is interpolated towards it
    h = np.where(np.isfinite(h) & (low > 0) & np.isfinite(high), h, np.nan)
    Z = data.field(h)
    # the moment is linear in m_b: the m_b scheme (m_b(m_b) vs m_b(m_LQ), docs/theory.md §b.4) moves it by
    # about +-30%; the band for mu x (1 +- 0.3) = the band edges widened to [low/1.3, high/0.7]
    with np.errstate(divide="ignore", invalid="ignore"):
        lo_s, hi_s = low / (1 + M_B_SCHEME_SPREAD), high / (1 - M_B_SCHEME_SPREAD)
        hs = _safe_log_ratio(mu, np.sqrt(lo_s * hi_s)) / (0.5 * _safe_log_ratio(hi_s, lo_s))
    Zs = data.field(np.where(np.isfinite(h), hs, np.nan))
    if np.nanmin(np.abs(Zs)) <= 1:
        cs = data.contourf(ax, Zs, levels=[-1.0, 1.0], colors=[C_BAND], alpha=0.16, zorder=Z_BAND)
        data.contour(ax, Zs, like=cs, levels=[-1.0, 1.0], colors=[C_BAND], linewidths=0.8, linestyles="dotted",
                     zorder=Z_EDGE)
        c.handles.append(Patch(facecolor=C_BAND, alpha=0.16, edgecolor=C_BAND, ls=":",
                               label=rf"XENON1T band with $m_b$ scheme $\pm{100 * M_B_SCHEME_SPREAD:.0f}\%$"))
    if np.nanmin(np.abs(Z)) <= 1:
        cs = data.contourf(ax, Z, levels=[-1.0, 1.0], colors=[C_BAND], alpha=0.5, zorder=Z_BAND)
        data.contour(ax, Z, like=cs, levels=[-1.0, 1.0], colors=[C_BAND], linewidths=1.2, linestyles="solid",
                     zorder=Z_EDGE)
    if _constant(low) and _constant(high):
        label = (rf"XENON1T band, $|\mu_{{\nu_{{{_LATEX_LEPTON[lepton]}}} N}}|\in"
                 rf"[{_sci(_constant_value(low))},{_sci(_constant_value(high))}]\,\mu_B$")
    else:
        label = r"XENON1T band ($M_N$-dependent)"
    c.handles.append(Patch(facecolor=C_BAND, alpha=0.5, edgecolor=C_BAND, label=label))


def _flavour_exclusion(c: MapContext, values, color: str, hatch: str, label: str, *, say_none: bool = True) -> None:
    """Hatched Delta chi2 > 4 of the table's ``values``; an evaluated constraint that excludes nothing here
    is listed as such. The field is built only when some value exceeds 4 (no drawn field can exceed the
    largest value: interpolation, node selection and cell means never do)."""
    from matplotlib.patches import Patch

    if _max(values) > 4.0 and _hatched(c.data, c.ax, c.data.field(values), 4.0, color, hatch, c.regions):
        c.handles.append(Patch(facecolor="none", edgecolor=color, hatch=hatch, label=label))
    elif say_none:
        c.unconstraining.append(label.split(" excl.")[0])


def _layer_flavour_total(c: MapContext) -> None:
    """All flavour observables together, Delta chi2_total > 4."""
    _flavour_exclusion(c, c.col("dchi2_total"), C_FLAV, "..", r"flavour, $\Delta\chi^2_{\rm tot} > 4$",
                       say_none=False)


def _layer_flavour_groups(c: MapContext) -> None:
    """One hatched layer per constraint group (dchi2_group_<slug> > 4); the label names the group and its
    first observables in the table."""
    from observables.registry import GROUPS, group_slug, groups

    members = groups()
    present = set(_present_groups(c.df))
    for k, g in enumerate(GROUPS):
        slug = group_slug(g)
        if slug not in present:
            continue
        obs = [o for o in members.get(g, ()) if f"dchi2_{o}" in c.df.attrs.get("all_columns", c.df.columns)]
        names = ", ".join(obs[:3]) + (", ..." if len(obs) > 3 else "")
        color, hatch = _GROUP_STYLE[k % len(_GROUP_STYLE)]
        label = f"{g} excl. ($2\\sigma$)" + (f": {names}" if names else "")
        _flavour_exclusion(c, c.col(f"dchi2_group_{slug}"), color, hatch, label)


def _layer_flavour_observables(c: MapContext) -> None:
    """Older tables without group columns: R_K(*) (sum over its bins), (g-2)_mu, B -> K(*) nu nu."""
    for _, cols, color, hatch, label in _legacy_observable_layers():
        present = [col for col in cols if col in c.df.columns]
        if present:
            _flavour_exclusion(c, np.sum([c.col(col) for col in present], axis=0), color, hatch, label)


def _layer_xenonnt(c: MapContext) -> None:
    """mu > the XENONnT limit, hatched."""
    from matplotlib.patches import Patch

    Z = c.data.field(np.nan_to_num(_safe_log_ratio(c.mu, c.col("xenonnt_limit_muB")), nan=-10, neginf=-10, posinf=10))
    if _hatched(c.data, c.ax, Z, 0.0, C_NT, "//", c.regions):
        ntv = c.col("xenonnt_limit_muB")
        label = rf"XENONnT excl. ($>{_sci(_constant_value(ntv))}\,\mu_B$)" if _constant(ntv) else "XENONnT excl."
        c.handles.append(Patch(facecolor="none", edgecolor=C_NT, hatch="//", label=label))


def _layer_lab_limit(c: MapContext) -> None:
    """mu > the strongest applicable laboratory limit (older tables without it: the strongest limit)."""
    from matplotlib.patches import Patch

    lab_col = "lab_limit_muB" if "lab_limit_muB" in c.df.columns else "limit_muB"
    lim = c.col(lab_col)
    if not np.isfinite(lim).any():
        return
    Z = c.data.field(np.nan_to_num(_safe_log_ratio(c.mu, lim), nan=-10, neginf=-10, posinf=10))
    if _hatched(c.data, c.ax, Z, 0.0, C_LIM, "\\\\", c.regions):
        name = _short(_mode(c.df, lab_col.replace("_muB", "_name")))
        label = (f"{name} excl. ($>{_sci(_constant_value(lim))}\\,\\mu_B$)" if _constant(lim)
                 else f"{name} excl. (where applicable)")
        c.handles.append(Patch(facecolor="none", edgecolor=C_LIM, hatch="\\\\", label=label))


def _layer_strongest_limit(c: MapContext) -> None:
    """The strongest bound of any kind (astrophysics/cosmology), where it differs from the laboratory one:
    shaded lightly above it (it counts in excluded_by_limit and viable) with a dash-dotted boundary, so that
    it does not hide the layers under it."""
    from matplotlib.patches import Patch

    lim = c.col("limit_muB")
    if not np.isfinite(lim).any() or np.array_equal(lim, c.col("lab_limit_muB")):
        return
    Z = c.data.field(np.nan_to_num(_safe_log_ratio(c.mu, lim), nan=-10, neginf=-10, posinf=10))
    if np.nanmax(Z) > 0:
        top = float(np.nanmax(Z)) * 2 + 1.0
        cs = c.data.contourf(c.ax, Z, levels=[0.0, top], colors=["0.5"], alpha=0.22, extend="max", zorder=Z_FILL)
        c.regions.append(cs)
        if np.nanmin(Z) < 0:
            c.data.contour(c.ax, Z, like=cs, levels=[0.0], colors=["k"], linewidths=1.3, linestyles="-.",
                           zorder=Z_EDGE)
        label = (f"{_short(_mode(c.df, 'limit_name'))} excl. ($|\\mu| > {_sci(_constant_value(lim))}\\,\\mu_B$)"
                 if _constant(lim) else "strongest bound incl. astrophysics, excl. ($M_N$-dependent)")
        c.handles.append(Patch(facecolor="0.5", alpha=0.22, edgecolor="k", ls="-.", label=label))


def _lhc(c: MapContext, col: str, label: str, color: str, hatch: str) -> None:
    from matplotlib.patches import Patch

    level = 0.0 if col == "pair_margin" else 0.5
    Z = c.data.field(c.col(col))
    if np.nanmax(Z) > level:
        top = float(np.nanmax(Z)) * 2 + 1.0
        cs = c.data.contourf(c.ax, Z, levels=[level, top], colors=[color], alpha=0.12, extend="max", zorder=Z_FILL)
        _hatched(c.data, c.ax, Z, level, color, hatch, c.regions, like=cs)
        c.handles.append(Patch(facecolor=color, alpha=0.35, edgecolor=color, hatch=hatch, label=label + " excl."))
    elif col != "excluded_drell_yan":  # evaluated, excludes nothing in this plane: say so (the Drell-Yan
        # flag is all False also when those searches were not evaluated, so no claim there)
        c.handles.append(Patch(facecolor="none", edgecolor="none", label=f"no exclusion here: {label}"))


def _layer_lhc_pair(c: MapContext) -> None:
    """LHC pair production: the smooth margin field (older tables: the excluded_pair flag)."""
    _lhc(c, "pair_margin" if "pair_margin" in c.df.columns else "excluded_pair", "LHC (pair production)", C_LHC, "++")


def _layer_lhc_drell_yan(c: MapContext) -> None:
    """LHC Drell-Yan tails (excluded_drell_yan)."""
    _lhc(c, "excluded_drell_yan", "LHC (Drell-Yan)", C_DY, "--")


def _layer_mu_isolines(c: MapContext) -> None:
    """Iso-lines of |mu| (every decade in the plane, or ``mu_levels``), labelled off the hatching."""
    from matplotlib.lines import Line2D

    lepton, mu = c.moment()
    if not np.nanmax(mu) > 0:
        return
    lm = np.log10(np.where(mu > 0, mu, np.nan))
    Z = c.data.field(lm)
    mu_levels = c.mu_levels
    if mu_levels is None:
        lo, hi = math.floor(np.nanmin(lm)), math.ceil(np.nanmax(lm))
        levels = [float(k) for k in range(lo, hi + 1)]
    else:
        levels = [math.log10(v) for v in mu_levels]
    levels = [lv for lv in levels if np.nanmin(lm) < lv < np.nanmax(lm)]
    if levels:
        cs = c.data.contour(c.ax, Z, levels=levels, colors="0.35", linewidths=0.7, linestyles="--", zorder=Z_ISO)
        c.label_lines(cs, [rf"$10^{{{round(v)}}}\,\mu_B$" for v in levels])
        c.handles.append(Line2D([], [], color="0.35", lw=0.7, ls="--",
                                label=rf"$|\mu_{{\nu_{{{_LATEX_LEPTON[lepton]}}} N}}|$ contours"))


def _layer_tuning(c: MapContext) -> None:
    """Contours of the fine tuning Delta = |m_loop|/m_D^max at TUNING_LEVELS (docs/neutrino_mass.md)."""
    c.handles += _tuning_contours(c, "tuning")


def _layer_tuning_s1(c: MapContext) -> None:
    """Delta of S1 alone at the same mu_nu, every decade (dashed)."""
    c.handles += _tuning_contours(c, "tuning_S1_same_mu")


def _layer_viable(c: MapContext) -> None:
    """A plain statement when no point of the plane survives all constraints."""
    if not len(c.df):
        return
    n_ok = int(np.sum(c.df["viable"].to_numpy(bool)))
    if n_ok == 0:
        c.ax.text(0.5, 0.97, f"no point survives all constraints (0 of {len(c.df)} points viable)",
                  transform=c.ax.transAxes, ha="center", va="top", fontsize=10.5, color="#8B0000",
                  zorder=Z_MARK, bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "#8B0000", "alpha": 0.92})


#: layer name (lqmodel.columns.MAP_LAYERS) -> the function that draws it, in drawing order
LAYER_FUNCTIONS: Mapping[str, Callable[[MapContext], None]] = {
    "rd": _layer_rd, "xenon1t_band": _layer_xenon1t_band, "flavour_total": _layer_flavour_total,
    "flavour_groups": _layer_flavour_groups, "flavour_observables": _layer_flavour_observables,
    "xenonnt": _layer_xenonnt, "lab_limit": _layer_lab_limit, "strongest_limit": _layer_strongest_limit,
    "lhc_pair": _layer_lhc_pair, "lhc_drell_yan": _layer_lhc_drell_yan, "mu_isolines": _layer_mu_isolines,
    "tuning": _layer_tuning, "tuning_s1": _layer_tuning_s1, "viable": _layer_viable,
}


_FLAVOUR_LAYERS = ("flavour_total", "flavour_groups", "flavour_observables")


def _flush_unconstraining(c: MapContext) -> None:
    """After the flavour layers: one legend entry naming the constraints evaluated but excluding nothing."""
    from matplotlib.patches import Patch

    if c.unconstraining:
        c.handles.append(Patch(facecolor="none", edgecolor="none",
                               label="no exclusion here: " + ", ".join(c.unconstraining)))
        c.unconstraining.clear()


def _perturbativity_and_benchmark(c: MapContext, benchmark: Mapping[str, Any] | None) -> None:
    """The perturbativity shading and the benchmark marker (after every layer: they need the final axis
    limits)."""
    from matplotlib.lines import Line2D

    c.handles += _perturbativity_layer(c.ax, c.x, c.y)
    if benchmark is not None and c.x in benchmark and c.y in benchmark:
        bx, by = (float(_display(k, np.array(float(benchmark[k])))) for k in (c.x, c.y))
        (x0, x1), (y0, y1) = sorted(c.ax.get_xlim()), sorted(c.ax.get_ylim())
        inside = x0 <= bx <= x1 and y0 <= by <= y1
        if inside:
            c.ax.plot([bx], [by], marker="*", ms=13, mfc="gold", mec="k", mew=0.9, ls="none", zorder=Z_MARK,
                      clip_on=False)
        label = str(benchmark.get("label") or "benchmark point")
        c.handles.append(Line2D([], [], marker="*", ms=11, mfc="gold" if inside else "none", mec="k", ls="none",
                                label=label if inside else f"{label}: outside this plane"))


def _finish(c: MapContext, chosen: Mapping[str, float], title: str | None, subtitle: str | None):
    """Ticks, the title (with the values of the sliced parameters) and the legend below the axes."""
    ax, fig = c.ax, c.fig
    ax.tick_params(which="both", direction="in", top=True, right=True)
    sub = subtitle or ""
    if chosen:
        fixed_txt = ", ".join(f"{axis_label(k).split(' [')[0]} = {_fmt(_display(k, np.array(v)))}"
                              for k, v in chosen.items())
        sub = f"{sub}; {fixed_txt}" if sub else fixed_txt
    heading = "\n".join(t for t in (title, sub) if t)
    if heading:
        ax.set_title(heading, fontsize=10.5, loc="left")
    seen: set[str] = set()  # one legend entry per label (e.g. XENONnT as the experiment and as the lab limit)
    handles = []
    for h in c.handles:
        if h.get_label() not in seen:
            seen.add(h.get_label())
            handles.append(h)
    if handles:
        # two columns for short labels, one when a label would not fit half the width; the figure grows
        # with the legend so that the axes keep their size (and nothing is cut at the figure's edges)
        longest = max(len(re.sub(r"\$|\\[a-zA-Z]+|[{}^_]", "", h.get_label())) for h in handles)
        ncols = 2 if longest <= 44 else 1
        rows = -(-len(handles) // ncols)
        fig.set_size_inches(6.4 if ncols == 2 else 7.0, 4.6 + 0.21 * rows)
        fig.legend(handles=handles, loc="outside lower center", ncols=ncols, frameon=False)
    return fig


#: contour levels of the fine-tuning measure Delta (docs/neutrino_mass.md)
TUNING_LEVELS = (1.0, 10.0, 100.0, 1000.0)
C_TUNE = "#6A0DAD"


_TUNING_STYLE = {"tuning": ("solid", r"tuning $\Delta$ = 1, 10, $10^2$, $10^3$"),
                 "tuning_S1_same_mu": ("dashed", r"$\Delta$ of $S_1$ alone, same $\mu_\nu$ (decades)")}


def _tuning_contours(c: MapContext, col: str) -> list[Any]:
    """Contours of log10(Delta) of ``col``: the point's (``tuning``, solid, at TUNING_LEVELS) or S1 alone at
    the same mu_nu (``tuning_S1_same_mu``, dashed, every decade); Delta = 0 (exact SU(2)_H) is drawn as far
    below every level. Returns the legend handles."""
    from matplotlib.lines import Line2D

    ls, label = _TUNING_STYLE[col]
    v = c.col(col)
    with np.errstate(divide="ignore", invalid="ignore"):
        lt = np.log10(np.where(v > 0, v, 1e-30))
    lt = np.where(np.isfinite(v), lt, np.nan)
    if not np.isfinite(lt).any():
        return []
    Z = c.data.field(lt)
    lo, hi = np.nanmin(Z), np.nanmax(Z)
    if col == "tuning":
        levels = [math.log10(t) for t in TUNING_LEVELS if lo < math.log10(t) < hi]
    else:  # the S1-alone reference is usually far above 10^3: every decade in the plane (at most 8)
        levels = [float(k) for k in range(math.ceil(lo), math.floor(hi) + 1) if lo < k < hi][:8]
    if not levels:  # say where the plane sits instead of drawing nothing
        where = "below 1" if hi <= 0 else f"above {TUNING_LEVELS[-1]:g}" if lo >= 3 else "between levels"
        return [Line2D([], [], color=C_TUNE, lw=1.2, ls=ls, alpha=0.4,
                       label=label.split(" =")[0] + f" {where} everywhere here")]
    cs = c.data.contour(c.ax, Z, levels=levels, colors=[C_TUNE], linewidths=1.3, linestyles=ls, zorder=Z_ISO)
    if ls == "solid":
        c.label_lines(cs, [rf"$\Delta={round(10 ** lv)}$" for lv in levels])
    else:
        c.label_lines(cs, [rf"$S_1$: $10^{{{round(lv)}}}$" for lv in levels])
    return [Line2D([], [], color=C_TUNE, lw=1.3, ls=ls, label=label)]


#: relative spread of the moment from the m_b scheme (mu_nu is linear in m_b; m_b(m_b) = 4.18 GeV against
#: the running mass at the TeV scale, ~2.4-2.9 GeV): the XENON1T band is also drawn for mu x (1 +- 0.3)
M_B_SCHEME_SPREAD = 0.3
#: 2-dof chi2 thresholds of 68.27% / 95.45% (chi2_2 quantiles: -2 ln(1 - p))
CHI2_2DOF = (2.30, 6.18)


def _rd_field(df):
    """(chi2, legend name, (1 sigma, 2 sigma) thresholds, dof) of the R(D)-R(D*) region, or None.

    Both columns: chi2_R_D + chi2_R_Dstar is the correlated chi2 of the two-observable measurement
    (:func:`observables.likelihood.chi2` splits r^T C^-1 r into per-observable terms that sum to it), with
    the 2-dof thresholds :data:`CHI2_2DOF`; R(D*) alone: 1 dof, 1 and 4."""
    if {"chi2_R_D", "chi2_R_Dstar"} <= set(df.columns):
        chi = df["chi2_R_D"].to_numpy(float) + df["chi2_R_Dstar"].to_numpy(float)
        return chi, r"$R(D)$-$R(D^*)$", CHI2_2DOF, 2
    if "chi2_R_Dstar" in df.columns:
        return df["chi2_R_Dstar"].to_numpy(float), r"$R(D^*)$", (1.0, 4.0), 1
    return None


def _coupling_limit(name: str) -> float | None:
    """Perturbativity limit of a plotted parameter: sqrt(4 pi) for a coupling, 4 pi for y1 y2, else None."""
    kind = is_coupling(name)
    if kind == "coupling":
        return PERTURBATIVE_MAX
    if kind == "coupling_product":
        return PERTURBATIVE_MAX**2
    return None


def _perturbativity_layer(ax, x: str, y: str) -> list[Any]:
    """Shade |y| > sqrt(4 pi) (|y1 y2| > 4 pi) on coupling axes where the plotted range reaches it."""
    from matplotlib.patches import Patch

    hit = False
    for name, lims, span in ((x, ax.get_xlim(), ax.axvspan), (y, ax.get_ylim(), ax.axhspan)):
        lim = _coupling_limit(name)
        if lim is not None and max(lims) > lim:
            span(lim, max(lims), facecolor="0.75", alpha=0.5, edgecolor="0.3", hatch="..", lw=0, zorder=Z_HATCH)
            hit = True
    if not hit:
        return []
    return [Patch(facecolor="0.75", alpha=0.5, edgecolor="0.3", hatch="..",
                  label=r"non-perturbative: $|y| > \sqrt{4\pi}$ ($|y_1 y_2| > 4\pi$)")]


def base_coordinates(point: Any, names: Sequence[str]) -> dict[str, float]:
    """Values of the scan parameters ``names`` at a scalar ``point`` (scan units: GeV, couplings), for the
    benchmark marker of :func:`plot_map`; names it cannot read are left out.

    y1 = |ybar_RR[b, N1]|, y2 = |y_LL[b, lepton]|, y1p = |y_RR[t, lepton]| (lqmodel.models), y1y2 their
    product, m_LQ = m_S1, matrix entries ``y_LL[i,j]`` as their modulus."""
    lep = {l: i for i, l in enumerate(LEPTONS)}.get(getattr(point, "lepton", None) or "")
    out: dict[str, float] = {}
    for n in names:
        try:
            if n in ("y1", "y1y2"):
                y1 = abs(complex(np.asarray(point.ybar_RR)[2, 0]))
            if n in ("y2", "y1y2", "y1p") and lep is None:
                continue
            if n == "y1":
                out[n] = y1
            elif n == "y2":
                out[n] = abs(complex(np.asarray(point.y_LL)[2, lep]))
            elif n == "y1p":
                out[n] = abs(complex(np.asarray(point.y_RR)[2, lep]))
            elif n == "y1y2":
                out[n] = y1 * abs(complex(np.asarray(point.y_LL)[2, lep]))
            elif n == "m_LQ":
                out[n] = float(np.asarray(point.m_S1))
            elif n in ("m_S1", "m_R2", "M_N", "kappa", "m_b"):
                out[n] = float(np.asarray(getattr(point, n)))
            else:
                entry = parse_matrix_entry(n)
                if entry is not None:
                    out[n] = abs(complex(np.asarray(getattr(point, entry[0]))[entry[1], entry[2]]))
        except (AttributeError, IndexError, TypeError, ValueError):
            continue
    return out


def _plain_log_ticks(axis) -> None:
    """Log axis spanning about two decades or less: plain numbers (0.5, 1, 2, 5) instead of 10^x."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    def fmt(v, _pos):
        lead = round(v / 10 ** math.floor(math.log10(v) + 1e-9), 6)
        return f"{v:g}" if lead in (1.0, 2.0, 3.0, 5.0) else ""

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(fmt))
    axis.set_minor_locator(LogLocator(base=10, subs=tuple(range(1, 10))))
    axis.set_minor_formatter(FuncFormatter(lambda v, p: ""))


def _label_lines(ax, cs, texts: Sequence[str], avoid: Sequence[Any] = (), layout: bool = True) -> None:
    """Label each contour level on its longest segment at the point nearest the centre of the axes,
    rotated along the line, on a white box (matplotlib's automatic placement tends to clip labels at
    the frame); lines that only clip a corner stay unlabelled. Points inside the filled regions of the
    ContourSets ``avoid`` (hatched exclusions) are not used while the line has a point outside them."""
    fig = ax.figure
    # the axes' place in the figure as a draw would set it (the layout engine alone: the transforms are
    # those of a full draw, without rendering every layer drawn so far)
    # (``layout=False``: the caller has just laid the figure out, MapContext.place_labels)
    engine = fig.get_layout_engine()
    if engine is not None and layout:
        engine.execute(fig)
    # in display coordinates (contains_points applies only the affine part of a log transform)
    covered = [ax.transData.transform_path(p) for c in avoid for p in c.get_paths() if len(p.vertices) > 2]
    for path, text in zip(cs.get_paths(), texts, strict=True):  # one path per level
        if len(path.vertices) < 2:
            continue
        seg = max(path.to_polygons(closed_only=False), key=len)
        if len(seg) < 2:
            continue
        disp = ax.transData.transform(seg)
        # contour paths drop collinear vertices (straight lines in log-log): resample along the line in
        # display coordinates so that every part of it is a candidate place
        arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(disp, axis=0).T))])
        if arc[-1] > 0:
            t = np.linspace(0.0, arc[-1], max(len(seg), 200))
            disp = np.column_stack([np.interp(t, arc, disp[:, 0]), np.interp(t, arc, disp[:, 1])])
            seg = ax.transData.inverted().transform(disp)
        axes_xy = ax.transAxes.inverted().transform(disp)
        cost = np.sum((axes_xy - 0.5) ** 2, axis=1)
        if covered:
            inside = np.zeros(len(seg), dtype=bool)
            for p in covered:
                inside |= p.contains_points(disp)
            inside |= ~((axes_xy > 0.07) & (axes_xy < 0.93)).all(axis=1)
            if not inside.all():
                cost = np.where(inside, np.inf, cost)
        k = int(np.argmin(cost))  # the vertex nearest the centre (outside the hatching when possible)
        if not (0.07 < axes_xy[k, 0] < 0.93 and 0.07 < axes_xy[k, 1] < 0.93):
            continue  # a short line in a corner: no room for a label
        a, b = seg[max(k - 1, 0)], seg[min(k + 1, len(seg) - 1)]
        (xa, ya), (xb, yb) = ax.transData.transform(a), ax.transData.transform(b)
        angle = math.degrees(math.atan2(yb - ya, xb - xa))
        if angle > 90:
            angle -= 180
        elif angle < -90:
            angle += 180
        ax.text(seg[k][0], seg[k][1], text, rotation=angle, rotation_mode="anchor", ha="center", va="center",
                fontsize=8, color="0.3", clip_on=True, zorder=Z_LABEL,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9})


def _short(name: str) -> str:
    """'Red-giant branch tip (omega Cen)' -> 'Red-giant branch tip' (legend space)."""
    return name.split(" (")[0]


def _constant(v) -> bool:
    """Whether the finite values of ``v`` are all equal (and there is one)."""
    v = np.asarray(v, dtype=float)
    if v.ndim == 1 and v.strides == (0,):  # one value broadcast (a constant Parquet column)
        return v.size > 0 and bool(np.isfinite(v[0]))
    finite = np.isfinite(v)
    if not finite.any():
        return False
    return bool(np.min(v, where=finite, initial=np.inf) == np.max(v, where=finite, initial=-np.inf))


def _constant_value(v) -> float:
    """The one finite value of ``v`` where :func:`_constant` holds (its median and minimum), without a pass
    over a broadcast constant column."""
    v = np.asarray(v, dtype=float)
    if v.ndim == 1 and v.strides == (0,):
        return float(v[0])
    return float(v[np.argmax(np.isfinite(v))])


def _mode(df, col: str) -> str:
    """Most frequent non-empty value of a label column (ties: the smallest, as pandas' mode); counted per
    distinct value, not per row, so a categorical column of 10^6 rows costs no string conversion."""
    if col not in df.columns:
        return "limit"
    column = df[col]
    if isinstance(column, _Labels):
        counts = column.counts()
    else:
        vc = column.value_counts(sort=False, dropna=True)
        counts = {}
        for v, k in zip(vc.index, vc.to_numpy(), strict=True):
            counts[str(v)] = counts.get(str(v), 0) + int(k)
    best = [(-k, n) for n, k in counts.items() if k > 0 and n != ""]
    return min(best)[1] if best else "limit"


def _fmt(v) -> str:
    v = float(v)
    return f"{v:.3g}"


def _sci(v: float) -> str:
    """1.4e-11 -> '1.4\\times10^{-11}' (for mathtext)."""
    if not np.isfinite(v) or v == 0:
        return r"\infty" if not np.isfinite(v) else "0"
    e = math.floor(math.log10(abs(v)))
    m = v / 10**e
    return rf"{m:.1f}\times10^{{{e}}}"


def _used_column(name: str, grouped: bool) -> bool:
    """Whether a map layer (lqmodel.columns.MAP_LAYERS) or a label reads the column ``name``; per-observable
    Delta chi2 columns only for tables without group columns (``grouped``: the table has them)."""
    from lqmodel.columns import find

    if name.startswith("dchi2_") and not name.startswith(("dchi2_group_", "dchi2_total")):
        return not grouped
    if name in ("limit_name", "lab_limit_name") or name.startswith(("mu_", "chi2_R_D")):
        return True
    col = find(name)
    if col is None:
        return False
    templates = {t for ly in MAP_LAYERS.values() for t in (*ly.requires, *ly.optional, *ly.triggers,
                                                          *ly.alternatives.values())}
    return col.name in templates


def _drawn_columns(names: Sequence[str], keep: Sequence[str], lepton: str | None,
                   layers: Sequence[str] | None) -> list[str]:
    """Of the table's columns ``names`` (those :func:`_used_column` keeps), the ones the drawn layers read:
    ``keep``, the moment of ``lepton`` (every lepton's when None: the brightest is chosen from them) and
    the required, optional and alternative columns of each layer :func:`active_layers` draws. All of
    ``names`` when the layers cannot be decided from the names alone (the error is then raised by
    :func:`plot_map` on the table read as before)."""
    from lqmodel.columns import placeholder_values

    cols = set(names)
    frame = _ColumnTable(dict.fromkeys(names), 0)  # the column names alone
    leptons = (lepton,) if lepton is not None else tuple(
        lep for lep in placeholder_values()["lepton"] if f"mu_{lep}_N1_muB" in cols) or (None,)
    drawn: set[str] = set()
    try:  # lepton None: plot_map picks the brightest from the data; the layers of each candidate
        for lep in leptons:
            drawn.update(active_layers(frame, lep, layers))
    except InputError:
        return list(names)
    leptons = tuple(lep for lep in leptons if lep is not None)
    groups = _present_groups(frame)
    need = set(keep) | {f"mu_{lep}_N1_muB" for lep in leptons}
    for name in drawn:
        spec = MAP_LAYERS[name]
        for t in (*spec.requires, *spec.optional, *spec.alternatives.values()):
            if t == "excluded_{group}":  # the flags: the layer draws the smooth dchi2_group field
                continue
            filled = [t.replace("{lepton}", lep) for lep in leptons] if "{lepton}" in t else [t]
            if "{group}" in t:
                filled = [f.replace("{group}", g) for f in filled for g in groups]
            if "{obs}" in t:  # the per-observable fallback: every dchi2 column that is not a group's
                filled = [n for n in names if n.startswith("dchi2_") and not n.startswith(("dchi2_group_",
                                                                                             "dchi2_total"))]
            need.update(filled)
        if name in ("lab_limit", "strongest_limit"):
            need.update(("limit_name", "lab_limit_name"))  # the legend names the limit
    return [n for n in names if n in need and n in cols]


class _Column:
    """One column of a :class:`_ColumnTable`: ``to_numpy`` as for a pandas Series."""

    def __init__(self, values: Any):
        self.values = values

    def to_numpy(self, dtype: Any = None) -> np.ndarray:
        return np.asarray(self.values, dtype=dtype)


class _Labels:
    """A label column (limit names) as dictionary codes: ``names`` and per row the index into it (-1: none);
    the counts per name cost no string per row."""

    def __init__(self, codes: np.ndarray, names: Sequence[str]):
        self.codes, self.names = codes, list(names)

    def counts(self) -> dict[str, int]:
        c = np.bincount(self.codes + 1, minlength=len(self.names) + 1)[1:]  # code -1 (no name) in bin 0
        out: dict[str, int] = {}
        for name, k in zip(self.names, c.tolist(), strict=True):
            out[name] = out.get(name, 0) + k
        return out

    def to_numpy(self, dtype: Any = None) -> np.ndarray:
        names = np.array([*self.names, None], dtype=object)
        return np.asarray(names[self.codes], dtype=dtype)  # -1: the None after the names


class _ColumnTable:
    """The columns of a Parquet table the map draws, without pandas (whose import costs about half a second
    in a fresh process): ``columns``, ``len``, ``table[name].to_numpy(dtype)``, ``table[mask]`` (the rows
    of a boolean mask), ``reset_index`` and ``attrs`` — the part of the DataFrame interface the layers use.

    ``load``: reads a column not in ``data`` when it is first asked for; it is kept when it costs no
    memory per row (a constant) or is in ``keep`` (the plotted axes, the moments: read by several
    layers), else read again when asked for again — a layer's column is freed once the layer is drawn, so
    the plot's memory holds a few columns at a time, not the whole table."""

    def __init__(self, data: Mapping[str, Any], n_rows: int, names: Sequence[str] | None = None,
                 load: Callable[[str], Any] | None = None, keep: Sequence[str] = ()):
        self._data = dict(data)
        self._names = list(self._data) if names is None else list(names)
        self._n = n_rows
        self._load, self._keep = load, set(keep)
        self.attrs: dict[str, Any] = {}

    @property
    def columns(self) -> list[str]:
        return list(self._names)

    def __len__(self) -> int:
        return self._n

    def _values(self, name: str) -> Any:
        if name in self._data:
            return self._data[name]
        if name not in self._names or self._load is None:
            raise KeyError(name)
        v = self._load(name)
        if name in self._keep or isinstance(v, _Labels) or (isinstance(v, np.ndarray) and v.strides == (0,)):
            self._data[name] = v
        return v

    def __getitem__(self, key):
        if isinstance(key, str):
            v = self._values(key)
            return v if isinstance(v, _Labels) else _Column(v)
        mask = np.asarray(key, dtype=bool)
        rows = {}
        for n in self._names:
            v = self._values(n)
            rows[n] = _Labels(v.codes[mask], v.names) if isinstance(v, _Labels) else np.asarray(v)[mask]
        out = _ColumnTable(rows, int(mask.sum()))
        out.attrs = dict(self.attrs)
        return out

    def reset_index(self, drop: bool = True) -> _ColumnTable:
        return self


def _arrow_to_numpy(chunk) -> np.ndarray:
    """A pyarrow array as numpy, as ``to_pandas`` converts it: floats with NaN for nulls, integers with
    nulls as float64 with NaN, booleans with nulls as objects with None; other types through pyarrow."""
    import pyarrow as pa

    t = chunk.type
    if not (pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_boolean(t)):
        return chunk.to_numpy(zero_copy_only=False)
    v, valid = _arrow_values(chunk)
    if valid is None:
        return v
    if pa.types.is_boolean(t):
        out = v.astype(object)
        out[~valid] = None
        return out
    out = v.astype(np.float64 if pa.types.is_integer(t) else v.dtype)
    out[~valid] = np.nan
    return out


def _read_parquet(path: Path, columns: Sequence[str], keep: Sequence[str] = ()) -> _ColumnTable:
    """The ``columns`` of a Parquet file as a :class:`_ColumnTable`, each read when a layer first asks for
    it (``keep``: the columns kept once read, see :class:`_ColumnTable`). A floating-point column is
    decoded chunk by chunk straight into its one numpy array (its values copied once; the Arrow buffers
    are released when the column is read); a column whose values are all the same bits (a limit at fixed
    M_N, a constraint that does not depend on the plane) is held as that one value broadcast to the
    table's length (a read-only view), without memory per row. The limit names are dictionary codes
    (:class:`_Labels`); the other columns (flags) are read together, as ``pyarrow`` converts them to numpy.
    The values are those of ``pyarrow.Table.to_pandas`` (nulls of a floating column are NaN)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    labels = [n for n in columns if n.endswith("_name")]
    # ParquetFile, not read_table: the same columns without the dataset layer's start-up (about a second in
    # a fresh process)
    f = pq.ParquetFile(path, read_dictionary=labels)
    schema = f.schema_arrow
    floats = {n for n in columns if pa.types.is_floating(schema.field(n).type)}
    others = [n for n in columns if n not in floats]
    n_rows = f.metadata.num_rows
    table: _ColumnTable

    def read_float(name: str) -> np.ndarray:
        column = f.read(columns=[name]).column(0)
        out: np.ndarray | None = None
        first: np.ndarray | None = None  # the value of a column constant so far (a 1-element array)
        start = 0
        for chunk in column.chunks:
            v = _arrow_to_numpy(chunk)
            if not len(v):
                continue
            if out is None:
                first = v[:1].copy() if first is None else first
                bits = first.view(f"i{first.itemsize}")
                if np.array_equal(v.view(bits.dtype), np.broadcast_to(bits, v.shape)):
                    start += len(v)
                    continue
                out = np.empty(n_rows, dtype=v.dtype)  # not constant: the rows so far are the first value
                out[:start] = first
            out[start:start + len(v)] = v
            start += len(v)
        if out is not None:
            return out
        if first is not None:  # constant: one value for every row
            return np.broadcast_to(first[0], (n_rows,))
        return np.empty(0, dtype=schema.field(name).type.to_pandas_dtype())  # no rows

    def read_others() -> dict[str, Any]:
        rest = f.read(columns=others)
        out: dict[str, Any] = {}
        for name in others:
            column = rest.column(name)
            if pa.types.is_dictionary(column.type):
                codes: list[np.ndarray] = []
                names: list[str] = []
                for chunk in column.chunks:  # each chunk has its own dictionary
                    idx, valid = _arrow_values(chunk.indices)  # the indices carry the nulls
                    idx = idx.astype(np.int32) + np.int32(len(names))
                    if valid is not None:
                        idx[~valid] = -1
                    codes.append(idx)
                    names += [str(v) for v in chunk.dictionary.to_pylist()]
                out[name] = _Labels(np.concatenate(codes) if codes else np.empty(0, np.int32), names)
            else:
                parts = [_arrow_to_numpy(chunk) for chunk in column.chunks]
                out[name] = (parts[0] if len(parts) == 1 else np.concatenate(parts) if parts
                             else np.empty(0, dtype=np.dtype(column.type.to_pandas_dtype())))
        return out

    def load(name: str) -> Any:
        if name in floats:
            return read_float(name)
        rest = read_others()  # flags and names: small, read together and kept
        table._data.update(rest)
        return rest[name]

    table = _ColumnTable({}, n_rows, names=list(columns), load=load, keep=keep)
    return table


def _as_dataframe(table, keep: Sequence[str] = (), lepton: str | None = None,
                  layers: Sequence[str] | None = None):
    """The table as a DataFrame, or for a Parquet file or scan folder as a :class:`_ColumnTable` (no
    pandas) with only the columns the drawn layers read (:func:`_drawn_columns`) plus ``keep``: the plot's
    memory and reading time do not grow with the columns it does not draw; the limit names are read as
    dictionary codes (a few distinct strings)."""
    import sys

    pandas = sys.modules.get("pandas")  # a DataFrame can only be one if pandas is imported
    if pandas is not None and isinstance(table, pandas.DataFrame):
        return table
    if isinstance(table, (str, Path)):
        import pyarrow.parquet as pq

        p = Path(table)
        if p.is_dir():
            p = p / "map.parquet"
        names = pq.read_schema(p).names
        grouped = any(n.startswith("dchi2_group_") for n in names)
        wanted = [n for n in names if n in keep or _used_column(n, grouped)]
        wanted = _drawn_columns(wanted, keep, lepton, layers)
        # kept once read: the axes and scanned parameters, the moments (read by several layers)
        df = _read_parquet(p, wanted, keep=[*keep, *(n for n in wanted if n.startswith("mu_"))])
        df.attrs["all_columns"] = tuple(names)  # the group labels name the observables the table has
        return df
    if hasattr(table, "to_pandas"):
        return table.to_pandas()
    import pandas as pd

    return pd.DataFrame(table)
