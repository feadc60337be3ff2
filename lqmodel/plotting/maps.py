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

Each layer is drawn only when its columns are in the table, so the same function plots partial
tables. Regions are contours of smooth fields (log ratios, χ²) interpolated on the scan grid (grid
scans) or on a Delaunay triangulation (random / Latin-hypercube scans). Saved as PNG (200 dpi) and PDF.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_map", "axis_label", "base_coordinates", "MapData"]

_MASS_TEV = {"m_LQ", "m_S1", "m_R2", "m_R2_23"}
_LATEX_LEPTON = {"e": "e", "mu": r"\mu", "tau": r"\tau"}
_MATRIX_LATEX = {"y_LL": "y^{LL}", "y_RR": "y^{RR}", "ybar_RR": r"\bar y^{RR}", "yt_RL": r"\tilde y^{RL}",
                 "yt_LR": r"\tilde y^{LR}", "y_nu": r"y_\nu"}

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
    fixed = {
        "m_LQ": r"$m_{\rm LQ}$ [TeV]", "m_S1": r"$m_{S_1}$ [TeV]", "m_R2": r"$m_{\tilde R_2^{-1/3}}$ [TeV]",
        "m_R2_23": r"$m_{\tilde R_2^{2/3}}$ [TeV]", "m_b": r"$m_b$ [GeV]", "M_N": r"$M_N$ [keV]",
        "M_N_keV": r"$M_N$ [keV]",
        "kappa": r"$\kappa$ [GeV]", "y1": r"$y_1$", "y2": r"$y_2$", "y1p": r"$y_1'$", "y1y2": r"$y_1 y_2$",
        "delta_m2": r"$\delta = m_{\tilde R_2}^2/m_{S_1}^2 - 1$",
    }
    if name in fixed:
        return fixed[name]
    m = re.match(r"^(\w+)\[(\d),(\d)\]$", name)
    if m and m.group(1) in _MATRIX_LATEX:
        return f"${_MATRIX_LATEX[m.group(1)]}_{{{m.group(2)}{m.group(3)}}}$"
    return name


def _display(name: str, v: np.ndarray) -> np.ndarray:
    if name in _MASS_TEV:
        return v / 1e3
    if name == "M_N":
        return v * 1e6
    return v


class MapData:
    """Fields of a table on the (x, y) plane: a regular grid if possible, else a triangulation."""

    REFINE = 4

    def __init__(self, df, x: str, y: str, log_x: bool, log_y: bool):
        self.x, self.y = x, y
        xv, yv = df[x].to_numpy(float), df[y].to_numpy(float)
        ux, uy = np.unique(xv), np.unique(yv)
        self.grid = len(ux) * len(uy) == len(df) and len(ux) > 1 and len(uy) > 1
        self.log_x, self.log_y = log_x, log_y
        if self.grid:
            ix, iy = np.searchsorted(ux, xv), np.searchsorted(uy, yv)
            self._ix, self._iy, self._shape = ix, iy, (len(uy), len(ux))
            # contours are interpolated linearly between grid nodes: do it in the plotted (log or lin)
            # coordinates on a grid refined REFINE times, so that edges are straight where the fields are
            # smooth in log coordinates instead of zig-zagging between log-spaced nodes
            self._tx = np.log10(ux) if log_x else ux
            self._ty = np.log10(uy) if log_y else uy
            fx = np.linspace(self._tx[0], self._tx[-1], (len(ux) - 1) * self.REFINE + 1)
            fy = np.linspace(self._ty[0], self._ty[-1], (len(uy) - 1) * self.REFINE + 1)
            self._fine = np.stack(np.meshgrid(fy, fx, indexing="ij"), axis=-1)
            fxd = 10**fx if log_x else fx
            fyd = 10**fy if log_y else fy
            self.X, self.Y = np.meshgrid(_display(x, fxd), _display(y, fyd))
        else:
            import matplotlib.tri as mtri

            tx = np.log10(xv) if log_x else xv
            ty = np.log10(yv) if log_y else yv
            # triangulate in the (scaled) plotting coordinates, draw in data coordinates
            sx = (tx - tx.min()) / max(np.ptp(tx), 1e-300)
            sy = (ty - ty.min()) / max(np.ptp(ty), 1e-300)
            tri = mtri.Triangulation(sx, sy)
            self.tri = mtri.Triangulation(_display(x, xv), _display(y, yv), tri.triangles)
        self.df = df

    def field(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if not self.grid:
            return values
        Z = np.full(self._shape, np.nan)
        Z[self._iy, self._ix] = values
        from scipy.interpolate import RegularGridInterpolator

        return RegularGridInterpolator((self._ty, self._tx), Z, method="linear")(self._fine)

    def contourf(self, ax, Z, **kw):
        if self.grid:
            return ax.contourf(self.X, self.Y, Z, **kw)
        return ax.tricontourf(self.tri, Z, **kw)

    def contour(self, ax, Z, **kw):
        if self.grid:
            return ax.contour(self.X, self.Y, Z, **kw)
        return ax.tricontour(self.tri, Z, **kw)


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
    return df[mask].reset_index(drop=True), chosen


def _pick(df, pattern: str) -> list[str]:
    rx = re.compile(pattern)
    return [c for c in df.columns if rx.search(c)]


def _safe_log_ratio(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(np.asarray(a, float) / np.asarray(b, float))


#: one colour / hatch per constraint group (observables.registry.GROUPS order; Okabe-Ito + greys)
_GROUP_STYLE = (("#0072B2", "--"), ("#009E73", "++"), ("#D55E00", "xx"), ("#CC79A7", "||"), ("#56B4E9", "oo"),
                ("#E69F00", "//"), ("#F0E442", "\\\\"), ("#000000", "**"), ("#E69F00", "\\\\\\"),
                ("#999999", "OO"), ("#882255", ".."), ("#117733", "-\\"))


def _group_layers(df) -> list[tuple[str, str, str, str]]:
    """(column regex, colour, hatch, legend label) of every constraint group with columns in ``df``.

    A group is declared by its ``excluded_<slug>`` column; its ``dchi2_group_<slug>`` field must be there too
    (missing: ``KeyError`` naming the column). The label names the group and its observables.
    """
    from observables.registry import GROUPS, group_slug, groups

    members = groups()
    out = []
    for k, g in enumerate(GROUPS):
        slug = group_slug(g)
        if f"excluded_{slug}" not in df.columns and f"dchi2_group_{slug}" not in df.columns:
            continue
        if f"dchi2_group_{slug}" not in df.columns:
            raise KeyError(f"map layer '{g}': column dchi2_group_{slug} missing (excluded_{slug} is present)")
        obs = [o for o in members.get(g, ()) if f"dchi2_{o}" in df.columns]
        names = ", ".join(obs[:3]) + (", ..." if len(obs) > 3 else "")
        color, hatch = _GROUP_STYLE[k % len(_GROUP_STYLE)]
        label = f"{g} excl. ($2\\sigma$)" + (f": {names}" if names else "")
        out.append((rf"^dchi2_group_{re.escape(slug)}$", color, hatch, label))
    return out


def _hatched(data: MapData, ax, Z, level: float, color, hatch: str, regions: list | None = None):
    """Region Z > level: hatched, with a solid boundary line; the filled ContourSet is appended to
    ``regions`` (contour labels are placed outside them)."""
    finite = np.isfinite(Z)
    if not finite.any() or np.nanmax(Z) <= level:
        return False
    top = max(float(np.nanmax(Z[finite])), level) * 2 + 1.0
    cs = data.contourf(ax, Z, levels=[level, top], colors="none", hatches=[hatch], extend="max", zorder=Z_HATCH)
    cs.set_edgecolor(color)
    cs.set_linewidth(0.0)
    data.contour(ax, Z, levels=[level], colors=[color], linewidths=1.4, zorder=Z_EDGE)
    if regions is not None:
        regions.append(cs)
    return True


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
):
    """Draw the coupling map of ``table`` (pandas DataFrame, pyarrow Table, or a Parquet path / scan
    folder) in the plane (``x``, ``y``); save ``out.png`` and ``out.pdf`` when ``out`` (a path without
    or with suffix) is given. ``lepton``: flavour of the moment shown (default: the one with the largest
    moment). ``scales``: {parameter: "lin" | "log"} (default: log when the values span > 1.5 decades and
    are positive). ``parameters``/``fix``: other scanned parameters and the values to slice them at.
    ``benchmark``: ``{x: value, y: value, "label": name}`` in scan units (GeV, couplings) — the base or
    benchmark point, marked with a star (:func:`base_coordinates` gives it for a Point).
    Returns the matplotlib Figure; PDF fonts are embedded as TrueType (Type 42)."""
    import matplotlib
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    df = _as_dataframe(table)
    for p in (x, y):
        if p not in df.columns:
            raise KeyError(f"{p!r} is not a column of the scan table (columns: {', '.join(df.columns[:12])}, ...)")
    parameters = list(parameters or [x, y])
    df, chosen = _select_plane(df, x, y, parameters, fix or {})
    scales = dict(scales or {})
    for p in (x, y):
        if p not in scales:
            v = df[p].to_numpy(float)
            scales[p] = "log" if (v.min() > 0 and v.max() / v.min() > 10**1.5) else "lin"
    data = MapData(df, x, y, scales[x] == "log", scales[y] == "log")

    mu_cols = {l: f"mu_{l}_N1_muB" for l in ("e", "mu", "tau") if f"mu_{l}_N1_muB" in df.columns}
    if lepton is None and mu_cols:
        lepton = max(mu_cols, key=lambda l: float(np.nanmax(df[mu_cols[l]].to_numpy(float))))

    with matplotlib.rc_context(_STYLE):
        fig = _draw(Patch, Line2D, df, data, x, y, scales, lepton, chosen, title, subtitle, mu_levels, benchmark)
    if out is not None:
        out = Path(out)
        stem = out.with_suffix("") if out.suffix in (".png", ".pdf") else out
        stem.parent.mkdir(parents=True, exist_ok=True)
        with matplotlib.rc_context(_STYLE):
            fig.savefig(stem.with_suffix(".png"), dpi=200)
            fig.savefig(stem.with_suffix(".pdf"))
    return fig


_STYLE = {
    "font.family": "serif", "font.serif": ["STIXGeneral", "DejaVu Serif"], "mathtext.fontset": "stix",
    "font.size": 11, "axes.labelsize": 13, "legend.fontsize": 9, "hatch.linewidth": 0.6,
    "xtick.labelsize": 11, "ytick.labelsize": 11,
    # embedded TrueType (Type 42) fonts in PDF/PS, not Type 3 (what journals and slide software want)
    "pdf.fonttype": 42, "ps.fonttype": 42,
}

# one drawing order in every plane (matplotlib zorder): fills < band < hatched exclusions < boundary lines
# < iso-lines < labels < benchmark marker
Z_FILL, Z_BAND, Z_HATCH, Z_EDGE, Z_ISO, Z_LABEL, Z_MARK = 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 6.0


def _draw(Patch, Line2D, df, data, x, y, scales, lepton, chosen, title, subtitle, mu_levels, benchmark=None):
    # a Figure on its own Agg canvas, not a pyplot figure: no backend switch, nothing left open in pyplot
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    mu_cols = {l: f"mu_{l}_N1_muB" for l in ("e", "mu", "tau") if f"mu_{l}_N1_muB" in df.columns}
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
    handles: list[Any] = []
    regions: list[Any] = []  # hatched/shaded exclusions: contour labels are placed outside them

    mu = df[mu_cols[lepton]].to_numpy(float) if lepton in mu_cols else None
    # 1. R(D)-R(D*) 1 sigma / 2 sigma regions: the correlated chi2 of the two measurements (HFLAV average)
    # at the 2-dof thresholds 2.30 / 6.18 (68.27% / 95.45%) when both are in the table; R(D*) alone
    # (1 dof: 1, 4) otherwise. The threshold used is in the legend.
    rd = _rd_field(df)
    if rd is not None:
        chi, name, (t1, t2), dof = rd
        Z = data.field(chi)
        if np.nanmin(Z) <= t2:
            data.contourf(ax, Z, levels=[-1.0, t1], colors=[C_RDS], alpha=0.45, zorder=Z_FILL)
            data.contourf(ax, Z, levels=[t1, t2], colors=[C_RDS], alpha=0.18, zorder=Z_FILL)
            f1, f2 = (f"{t:.2f}" if dof == 2 else f"{t:g}" for t in (t1, t2))
            handles += [Patch(facecolor=C_RDS, alpha=0.45, label=rf"{name} $1\sigma$ ($\chi^2\leq{f1}$, {dof} dof)"),
                        Patch(facecolor=C_RDS, alpha=0.18, label=rf"{name} $2\sigma$ ($\chi^2\leq{f2}$, {dof} dof)")]
        else:  # say so rather than silently drawing nothing
            handles.append(Patch(facecolor="none", edgecolor="none",
                                 label=rf"{name} $2\sigma$ not reached (min $\chi^2$ = {np.nanmin(Z):.1f}, {dof} dof)"))
    # 2. XENON1T band
    if mu is not None and {"xenon1t_low_muB", "xenon1t_high_muB"} <= set(df.columns):
        low, high = df["xenon1t_low_muB"].to_numpy(float), df["xenon1t_high_muB"].to_numpy(float)
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
            data.contourf(ax, Zs, levels=[-1.0, 1.0], colors=[C_BAND], alpha=0.16, zorder=Z_BAND)
            data.contour(ax, Zs, levels=[-1.0, 1.0], colors=[C_BAND], linewidths=0.8, linestyles="dotted",
                         zorder=Z_EDGE)
            handles.append(Patch(facecolor=C_BAND, alpha=0.16, edgecolor=C_BAND, ls=":",
                                 label=rf"XENON1T band with $m_b$ scheme $\pm{100 * M_B_SCHEME_SPREAD:.0f}\%$"))
        if np.nanmin(np.abs(Z)) <= 1:
            data.contourf(ax, Z, levels=[-1.0, 1.0], colors=[C_BAND], alpha=0.5, zorder=Z_BAND)
            data.contour(ax, Z, levels=[-1.0, 1.0], colors=[C_BAND], linewidths=1.2, linestyles="solid",
                         zorder=Z_EDGE)
        if _constant(low) and _constant(high):
            label = (rf"XENON1T band, $|\mu_{{\nu_{{{_LATEX_LEPTON[lepton]}}} N}}|\in"
                     rf"[{_sci(np.nanmedian(low))},{_sci(np.nanmedian(high))}]\,\mu_B$")
        else:
            label = r"XENON1T band ($M_N$-dependent)"
        handles.append(Patch(facecolor=C_BAND, alpha=0.5, edgecolor=C_BAND, label=label))
    # 3. flavour exclusions (Delta chi2 > 4): the total, then one layer per constraint group when the table
    # has the group columns (lqmodel.evaluate: dchi2_group_<slug>), else the older per-observable layers
    unconstraining: list[str] = []
    group_layers = _group_layers(df)
    legacy = (
        (r"^dchi2_R_K", C_RK, "xx", r"$R_{K^{(*)}}$ excl. ($2\sigma$)"),
        (r"^dchi2_(Delta_)?a_mu$", C_GM2, "\\\\\\", r"$(g-2)_\mu$ excl. ($2\sigma$)"),
        (r"^dchi2_.*[Nn]unu", C_KNN, "||", r"$B\to K^{(*)}\nu\bar\nu$ excl. ($2\sigma$)"),
    )
    for pattern, color, hatch, label in (
        (r"^dchi2_total$", C_FLAV, "..", r"flavour, $\Delta\chi^2_{\rm tot} > 4$"),
        *(group_layers if group_layers else legacy),
    ):
        cols = _pick(df, pattern)
        if cols:
            Z = data.field(np.sum([df[c].to_numpy(float) for c in cols], axis=0))
            if _hatched(data, ax, Z, 4.0, color, hatch, regions):
                handles.append(Patch(facecolor="none", edgecolor=color, hatch=hatch, label=label))
            elif pattern != r"^dchi2_total$":
                unconstraining.append(label.split(" excl.")[0])
    if unconstraining:  # say which constraints were evaluated but exclude nothing in this plane
        handles.append(Patch(facecolor="none", edgecolor="none",
                             label="no exclusion here: " + ", ".join(unconstraining)))
    # 4. direct detection / astrophysics exclusions
    if mu is not None and "xenonnt_limit_muB" in df.columns:
        Z = data.field(np.nan_to_num(_safe_log_ratio(mu, df["xenonnt_limit_muB"]), nan=-10, neginf=-10, posinf=10))
        if _hatched(data, ax, Z, 0.0, C_NT, "//", regions):
            ntv = df["xenonnt_limit_muB"].to_numpy(float)
            label = rf"XENONnT excl. ($>{_sci(np.nanmedian(ntv))}\,\mu_B$)" if _constant(ntv) else "XENONnT excl."
            handles.append(Patch(facecolor="none", edgecolor=C_NT, hatch="//", label=label))
    lab_col = "lab_limit_muB" if "lab_limit_muB" in df.columns else "limit_muB"
    if mu is not None and lab_col in df.columns:
        lim = df[lab_col].to_numpy(float)
        if np.isfinite(lim).any():
            Z = data.field(np.nan_to_num(_safe_log_ratio(mu, lim), nan=-10, neginf=-10, posinf=10))
            if _hatched(data, ax, Z, 0.0, C_LIM, "\\\\", regions):
                name = _short(_mode(df, lab_col.replace("_muB", "_name")))
                label = (f"{name} excl. ($>{_sci(np.nanmin(lim))}\\,\\mu_B$)" if _constant(lim)
                         else f"{name} excl. (where applicable)")
                handles.append(Patch(facecolor="none", edgecolor=C_LIM, hatch="\\\\", label=label))
    if mu is not None and lab_col != "limit_muB" and "limit_muB" in df.columns:
        # the strongest bound of any kind (astrophysics/cosmology): its boundary only, not to hide the rest
        lim = df["limit_muB"].to_numpy(float)
        if np.isfinite(lim).any() and not np.array_equal(lim, df[lab_col].to_numpy(float)):
            Z = data.field(np.nan_to_num(_safe_log_ratio(mu, lim), nan=-10, neginf=-10, posinf=10))
            if np.nanmax(Z) > 0:
                # shaded above the bound (it counts in excluded_by_limit and viable), boundary dash-dotted;
                # light, so that it does not hide the layers under it
                top = float(np.nanmax(Z)) * 2 + 1.0
                regions.append(data.contourf(ax, Z, levels=[0.0, top], colors=["0.5"], alpha=0.22,
                                             extend="max", zorder=Z_FILL))
                if np.nanmin(Z) < 0:
                    data.contour(ax, Z, levels=[0.0], colors=["k"], linewidths=1.3, linestyles="-.", zorder=Z_EDGE)
                label = (f"{_short(_mode(df, 'limit_name'))} excl. ($|\\mu| > {_sci(np.nanmin(lim))}\\,\\mu_B$)"
                         if _constant(lim) else "strongest bound incl. astrophysics, excl. ($M_N$-dependent)")
                handles.append(Patch(facecolor="0.5", alpha=0.22, edgecolor="k", ls="-.", label=label))
    # 5. LHC exclusions (lqmodel.collider): pair production (smooth margin field if present), Drell-Yan
    for cols_, label, color, hatch in ((("pair_margin", "excluded_pair"), "LHC (pair production)", C_LHC, "++"),
                                       (("excluded_drell_yan",), "LHC (Drell-Yan)", C_DY, "--")):
        col = next((c for c in cols_ if c in df.columns), None)
        if col is None:
            continue
        vals = df[col].to_numpy(float)
        level = 0.0 if col == "pair_margin" else 0.5
        Z = data.field(vals)
        if np.nanmax(Z) > level:
            top = float(np.nanmax(Z)) * 2 + 1.0
            data.contourf(ax, Z, levels=[level, top], colors=[color], alpha=0.12, extend="max", zorder=Z_FILL)
            _hatched(data, ax, Z, level, color, hatch, regions)
            handles.append(Patch(facecolor=color, alpha=0.35, edgecolor=color, hatch=hatch, label=label + " excl."))
        elif col != "excluded_drell_yan":  # evaluated, excludes nothing in this plane: say so (the
            # Drell-Yan flag is all False also when those searches were not evaluated, so no claim there)
            handles.append(Patch(facecolor="none", edgecolor="none", label=f"no exclusion here: {label}"))
    # 6. iso-lines of mu
    if mu is not None and np.nanmax(mu) > 0:
        lm = np.log10(np.where(mu > 0, mu, np.nan))
        Z = data.field(lm)
        if mu_levels is None:
            lo, hi = math.floor(np.nanmin(lm)), math.ceil(np.nanmax(lm))
            levels = [float(k) for k in range(lo, hi + 1)]
        else:
            levels = [math.log10(v) for v in mu_levels]
        levels = [lv for lv in levels if np.nanmin(lm) < lv < np.nanmax(lm)]
        if levels:
            cs = data.contour(ax, Z, levels=levels, colors="0.35", linewidths=0.7, linestyles="--", zorder=Z_ISO)
            _label_lines(ax, cs, [rf"$10^{{{int(round(v))}}}\,\mu_B$" for v in levels], avoid=regions)
            handles.append(Line2D([], [], color="0.35", lw=0.7, ls="--",
                                  label=rf"$|\mu_{{\nu_{{{_LATEX_LEPTON[lepton]}}} N}}|$ contours"))

    # 7. fine tuning of the neutrino mass: Delta = |m_loop| / m_D^max (lqmodel.neutrino_mass)
    handles += _tuning_layer(ax, data, df, avoid=regions)
    # 8. perturbativity, the benchmark point, and a plain statement when no point survives
    handles += _perturbativity_layer(ax, x, y)
    if benchmark is not None and x in benchmark and y in benchmark:
        bx, by = (float(_display(k, np.array(float(benchmark[k])))) for k in (x, y))
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        inside = x0 <= bx <= x1 and y0 <= by <= y1
        if inside:
            ax.plot([bx], [by], marker="*", ms=13, mfc="gold", mec="k", mew=0.9, ls="none", zorder=Z_MARK,
                    clip_on=False)
        label = str(benchmark.get("label") or "benchmark point")
        handles.append(Line2D([], [], marker="*", ms=11, mfc="gold" if inside else "none", mec="k", ls="none",
                              label=label if inside else f"{label}: outside this plane"))
    if "viable" in df.columns and len(df):
        n_ok = int(np.sum(df["viable"].to_numpy(bool)))
        if n_ok == 0:
            ax.text(0.5, 0.97, f"no point survives all constraints (0 of {len(df)} points viable)",
                    transform=ax.transAxes, ha="center", va="top", fontsize=10.5, color="#8B0000",
                    zorder=Z_MARK, bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "#8B0000", "alpha": 0.92})

    ax.tick_params(which="both", direction="in", top=True, right=True)
    sub = subtitle or ""
    if chosen:
        fixed_txt = ", ".join(f"{axis_label(k).split(' [')[0]} = {_fmt(_display(k, np.array(v)))}" for k, v in chosen.items())
        sub = f"{sub}; {fixed_txt}" if sub else fixed_txt
    heading = "\n".join(t for t in (title, sub) if t)
    if heading:
        ax.set_title(heading, fontsize=10.5, loc="left")
    seen: set[str] = set()  # one legend entry per label (e.g. XENONnT as the experiment and as the lab limit)
    handles = [h for h in handles if not (h.get_label() in seen or seen.add(h.get_label()))]
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


def _tuning_layer(ax, data: MapData, df, avoid: Sequence[Any] = ()) -> list[Any]:
    """Contours of log10(Delta) at TUNING_LEVELS: the point's (``tuning``, solid) and S1 alone at the same
    mu_nu (``tuning_S1_same_mu``, dashed); Delta = 0 (exact SU(2)_H) is drawn as far below every level."""
    from matplotlib.lines import Line2D

    out: list[Any] = []
    for col, ls, label in (("tuning", "solid", r"tuning $\Delta$ = 1, 10, $10^2$, $10^3$"),
                           ("tuning_S1_same_mu", "dashed", r"$\Delta$ of $S_1$ alone, same $\mu_\nu$ (decades)")):
        if col not in df.columns:
            continue
        v = df[col].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            lt = np.log10(np.where(v > 0, v, 1e-30))
        lt = np.where(np.isfinite(v), lt, np.nan)
        if not np.isfinite(lt).any():
            continue
        Z = data.field(lt)
        lo, hi = np.nanmin(Z), np.nanmax(Z)
        if col == "tuning":
            levels = [math.log10(t) for t in TUNING_LEVELS if lo < math.log10(t) < hi]
        else:  # the S1-alone reference is usually far above 10^3: every decade in the plane (at most 8)
            levels = [float(k) for k in range(math.ceil(lo), math.floor(hi) + 1) if lo < k < hi][:8]
        if not levels:  # say where the plane sits instead of drawing nothing
            where = "below 1" if hi <= 0 else f"above {TUNING_LEVELS[-1]:g}" if lo >= 3 else "between levels"
            out.append(Line2D([], [], color=C_TUNE, lw=1.2, ls=ls, alpha=0.4,
                              label=label.split(" =")[0] + f" {where} everywhere here"))
            continue
        cs = data.contour(ax, Z, levels=levels, colors=[C_TUNE], linewidths=1.3, linestyles=ls, zorder=Z_ISO)
        if ls == "solid":
            _label_lines(ax, cs, [rf"$\Delta={int(round(10 ** lv))}$" for lv in levels], avoid=avoid)
        else:
            _label_lines(ax, cs, [rf"$S_1$: $10^{{{int(round(lv))}}}$" for lv in levels], avoid=avoid)
        out.append(Line2D([], [], color=C_TUNE, lw=1.3, ls=ls, label=label))
    return out


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
    if name in COUPLING_DEFINITIONS or re.match(r"^(y_LL|y_RR|ybar_RR|yt_RL|yt_LR|y_nu)\[\d,\d\]$", name):
        return PERTURBATIVE_MAX
    if name == "y1y2":
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
    lep = {"e": 0, "mu": 1, "tau": 2}.get(getattr(point, "lepton", None) or "", None)
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
                m = re.match(r"^(\w+)\[(\d),(\d)\]$", n)
                if m and m.group(1) in _MATRIX_LATEX:
                    out[n] = abs(complex(np.asarray(getattr(point, m.group(1)))[int(m.group(2)), int(m.group(3))]))
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


def _label_lines(ax, cs, texts: Sequence[str], avoid: Sequence[Any] = ()) -> None:
    """Label each contour level on its longest segment at the point nearest the centre of the axes,
    rotated along the line, on a white box (matplotlib's automatic placement tends to clip labels at
    the frame); lines that only clip a corner stay unlabelled. Points inside the filled regions of the
    ContourSets ``avoid`` (hatched exclusions) are not used while the line has a point outside them."""
    fig = ax.figure
    fig.canvas.draw()  # final limits and transforms
    # in display coordinates (contains_points applies only the affine part of a log transform)
    covered = [ax.transData.transform_path(p) for c in avoid for p in c.get_paths() if len(p.vertices) > 2]
    for path, text in zip(cs.get_paths(), texts):
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
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    return v.size > 0 and bool(np.all(v == v[0]))


def _mode(df, col: str) -> str:
    """Most frequent non-empty value of a label column."""
    if col not in df.columns:
        return "limit"
    vals = df[col][df[col].astype(str) != ""]
    return str(vals.mode().iloc[0]) if len(vals) else "limit"


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


def _as_dataframe(table):
    import pandas as pd

    if isinstance(table, pd.DataFrame):
        return table
    if isinstance(table, (str, Path)):
        import pyarrow.parquet as pq

        p = Path(table)
        if p.is_dir():
            p = p / "map.parquet"
        return pq.read_table(p).to_pandas()
    if hasattr(table, "to_pandas"):
        return table.to_pandas()
    return pd.DataFrame(table)
