r"""One-dimensional views users ask for (issue 11 §12; docs/views_and_interop.md).

* :func:`plot_mu_vs_mass`: :math:`|\mu_{\alpha N_1}|` (μ_B) against the leptoquark mass m_LQ (TeV on the axis,
  GeV in the data) for several coupling products y1·y2 (y1: b_R N_R S1 and its R̃2 partner, y2: Q_3 L_α S1
  and its partner; docs/theory.md), with the XENON1T-level preferred band and the XENONnT upper limit at the
  point's M_N and lepton flavour (:func:`observables.neutrino.fit.band`; docs/direct_detection.md);
* :func:`plot_mnuN_vs_splitting`: the radiative Dirac mass :math:`|m_{\alpha N_1}|` (eV) of the Voloshin pair
  against the relative squared-mass splitting :math:`\delta = m_{R_2}^2/m_{S_1}^2 - 1` (the ``delta_m2`` scan
  shorthand of :func:`lqmodel.point.vary`), with its small-δ limit
  :math:`m_{\nu N} = 3\delta m^2 (\mu_\nu/\mu_B)/(4 g(x_b) m_e)` (docs/normalisation.md §4) and the largest
  Dirac mass the light-neutrino bound allows at that M_N (``m_D_max_eV``, docs/neutrino_mass.md).

Both evaluate :func:`lqmodel.compute_moments` on one batched point (vectorised), return
``(figure, data)`` with ``data`` the plotted arrays (units in the key names), and write ``path``
(``.png``/``.pdf``, or both for a path without suffix; PDF fonts embedded as TrueType, Type 42).
matplotlib is imported lazily.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.typing import RcKeyType

__all__ = ["plot_mu_vs_mass", "plot_mnuN_vs_splitting", "mu_vs_mass_data", "mnuN_vs_splitting_data"]

_STYLE: dict[RcKeyType, Any] = {"pdf.fonttype": 42, "ps.fonttype": 42, "font.size": 10}
_LEPTON_TEX = {"e": "e", "mu": r"\mu", "tau": r"\tau"}
C_BAND = "#009E73"
C_NT = "0.25"
C_LINES = ("#0072B2", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def _check_point(point: Any, what: str) -> None:
    from lqmodel.errors import InputError

    if point.batch_shape != ():
        raise InputError(f"{what} needs a single base point; got batch shape {point.batch_shape}")
    if point.model not in ("voloshin", "s1"):
        raise InputError(f"{what} needs a base point of model 'voloshin' or 's1' (y1, y2 defined); got {point.model!r}")


def _positive_1d(name: str, values: Any) -> np.ndarray:
    from lqmodel.errors import InputError

    a = np.atleast_1d(np.asarray(values, dtype=float))
    if a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise InputError(f"{name} must be a non-empty 1-d sequence of finite positive numbers")
    return a


def mu_vs_mass_data(point: Any, m_LQ_GeV: ArrayLike, y1y2: ArrayLike, *, y1_over_y2: float | None = None
                    ) -> dict[str, np.ndarray]:
    """|μ_{αN1}| in μ_B on the grid (y1y2, m_LQ), α = ``point.lepton``; shape (len(y1y2), len(m_LQ)).

    Degenerate masses m_S1 = m_R2 = m_LQ; y1 = sqrt(r p), y2 = sqrt(p / r) with r = ``y1_over_y2`` (default:
    the base point's ratio). Keys: ``m_LQ_GeV``, ``y1y2``, ``mu_muB``.
    """
    import warnings

    from lqmodel.moments import compute_moments
    from lqmodel.point import PerturbativityWarning, vary

    _check_point(point, "mu vs m_LQ")
    m = _positive_1d("m_LQ_GeV", m_LQ_GeV)
    p = _positive_1d("y1y2", y1y2)
    if y1_over_y2 is None:
        y1 = abs(complex(np.asarray(point.ybar_RR)[2, 0]))
        y2 = abs(complex(np.asarray(point.y_LL)[2, point.lepton_index]))
        r = y1 / y2 if y1 > 0 and y2 > 0 else 1.0
    else:
        r = float(_positive_1d("y1_over_y2", y1_over_y2)[0])
    P, M = np.meshgrid(p, m, indexing="ij")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerturbativityWarning)
        batch = vary(point, {"m_LQ": M, "y1": np.sqrt(r * P), "y2": np.sqrt(P / r)})
    mu = np.abs(np.asarray(compute_moments(batch).mu_muB)[..., point.lepton_index, 0])
    return {"m_LQ_GeV": m, "y1y2": p, "mu_muB": mu}


def plot_mu_vs_mass(
    point: Any,
    m_LQ_GeV: ArrayLike | None = None,
    y1y2: ArrayLike = (0.01, 0.05, 0.2, 1.0),
    *,
    y1_over_y2: float | None = None,
    cl: float = 0.9,
    bands: dict[str, Any] | None = None,
    path: str | Path | None = None,
    title: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    """μ_ν versus m_LQ with the XENON1T band and the XENONnT limit (module docstring).

    ``m_LQ_GeV`` (default 40 log-spaced masses 0.5–5 TeV), ``y1y2``: the coupling products drawn.
    ``bands``: ``{"xenon1t": (low, high), "xenonnt": high}`` in μ_B to skip the fits; by default they come
    from :func:`observables.neutrino.fit.band` at the point's M_N (keV) and lepton, CL ``cl``. Returns
    ``(fig, data)``; ``data`` adds ``xenon1t_muB`` (low, high) and ``xenonnt_limit_muB``.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if m_LQ_GeV is None:
        m_LQ_GeV = np.geomspace(500.0, 5000.0, 40)
    data: dict[str, Any] = mu_vs_mass_data(point, m_LQ_GeV, y1y2, y1_over_y2=y1_over_y2)
    l = point.lepton
    if bands is None:
        from observables.neutrino.fit import band

        mN = float(point.M_N) * 1e6
        b1 = band("xenon1t", l, [mN], cl)
        bn = band("xenonnt", l, [mN], cl)
        bands = {"xenon1t": (float(b1["low_muB"][0]), float(b1["high_muB"][0])),
                 "xenonnt": float(bn["high_muB"][0])}
    data["xenon1t_muB"] = tuple(bands["xenon1t"])
    data["xenonnt_limit_muB"] = float(bands["xenonnt"])
    m_TeV = data["m_LQ_GeV"] / 1e3
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(5.2, 4.0))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(111)
        lo, hi = data["xenon1t_muB"]
        nt = data["xenonnt_limit_muB"]
        ymin = min(float(np.min(data["mu_muB"])), lo) / 3
        ymax = max(float(np.max(data["mu_muB"])), nt) * 3
        if np.isfinite(hi) and hi > lo:
            ax.axhspan(lo, hi, color=C_BAND, alpha=0.35, lw=0, zorder=1,
                       label=f"XENON1T-level band ({cl:.0%} CL)")
        if np.isfinite(nt):
            ax.axhspan(nt, ymax, facecolor="none", edgecolor=C_NT, hatch="///", lw=0, zorder=1)
            ax.axhline(nt, color=C_NT, lw=1.2, zorder=2, label=f"XENONnT ({cl:.0%} CL upper limit)")
        for k, (pk, c) in enumerate(zip(data["y1y2"], C_LINES * 4, strict=False)):
            ax.plot(m_TeV, data["mu_muB"][k], color=c, lw=1.6, zorder=3, label=rf"$y_1 y_2 = {pk:g}$")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(ymin, ymax)
        ax.set_xlim(m_TeV[0], m_TeV[-1])
        ax.set_xlabel(r"$m_{\rm LQ} = m_{S_1} = m_{\tilde R_2}$ [TeV]")
        ax.set_ylabel(rf"$|\mu_{{{_LEPTON_TEX[l]} N_1}}|$ [$\mu_B$]")
        ax.set_title(title or rf"{point.model} model, $\nu_{{{_LEPTON_TEX[l]}}}$–$N_1$, "
                     rf"$M_N = {float(point.M_N) * 1e6:g}$ keV", fontsize=10)
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(
            FuncFormatter(lambda v, _: f"{v:g}" if round(v, 6) in (0.5, 2.0, 3.0, 5.0) else ""))
        ax.text(0.98, 0.97, r"$y_1$: $b_R N_R S_1$ (+ $\tilde R_2$ partner)" "\n" r"$y_2$: $Q_3 L$ $S_1$ (+ partner)",
                transform=ax.transAxes, fontsize=7, color="0.2", ha="right", va="top",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9, "pad": 1.5}, zorder=5)
        leg = ax.legend(fontsize=7, frameon=True, loc="lower left", framealpha=0.95, edgecolor="none")
        leg.set_zorder(5)
        fig.tight_layout()
        _save(fig, path)
    return fig, data


def mnuN_vs_splitting_data(point: Any, delta: ArrayLike) -> dict[str, np.ndarray]:
    """|m_{αN1}| (eV) and |μ_{αN1}| (μ_B) of the Voloshin pair for δ = m_R2²/m_S1² − 1 at the base m_S1.

    Keys: ``delta``, ``m_nuN_eV``, ``mu_muB``, ``small_delta_limit_eV`` (docs/normalisation.md §4:
    m_νN = 3 δ m_S1² (μ/μ_B) / (4 g(x_b) m_e)). NaN where the mass is UV-divergent (c_R ≠ c_S).
    """
    from loops import numeric
    from lqmodel.moments import compute_moments
    from lqmodel.point import vary
    from observables.parameters import value

    _check_point(point, "m_nuN vs splitting")
    d = _positive_1d("delta", delta)
    batch = vary(point, {"delta_m2": d})
    mom = compute_moments(batch)
    li = point.lepton_index
    mass = np.abs(np.asarray(mom.m_nuN_GeV)[..., li, 0]) * 1e9
    mu = np.abs(np.asarray(mom.mu_muB)[..., li, 0])
    m = float(point.m_S1)
    g = float(numeric.g((float(point.m_b) / m) ** 2))
    limit = 3.0 * d * m**2 * mu / (4.0 * g * value("m_e")) * 1e9
    return {"delta": d, "m_nuN_eV": mass, "mu_muB": mu, "small_delta_limit_eV": limit}


def plot_mnuN_vs_splitting(
    point: Any,
    delta: ArrayLike | None = None,
    *,
    path: str | Path | None = None,
    title: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    """m_νN versus the S1–R̃2 splitting δ, with its small-δ limit and the light-mass bound (module docstring).

    ``delta`` default: 60 log-spaced values 1e-6 … 1. The horizontal line is ``m_D_max_eV`` of
    :func:`lqmodel.neutrino_mass.summary` at the base point (largest Dirac mass allowed by the default
    light-mass bound at its M_N and N_type); the vertical line marks δ = α/4π. Returns ``(fig, data)``.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from lqmodel.neutrino_mass import summary
    from observables.parameters import value

    if delta is None:
        delta = np.geomspace(1e-6, 1.0, 60)
    data: dict[str, Any] = mnuN_vs_splitting_data(point, delta)
    nm = summary(point)
    data["m_D_max_eV"] = float(nm["m_D_max_eV"])
    data["bound"] = nm["bound"]
    a4pi = value("alpha_0") / (4 * np.pi)
    l = point.lepton
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(5.2, 4.0))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(111)
        ax.plot(data["delta"], data["m_nuN_eV"], color=C_LINES[0], lw=1.8, zorder=3,
                label=r"$|m_{\nu N}|$, Voloshin pair (one loop)")
        ax.plot(data["delta"], data["small_delta_limit_eV"], color=C_LINES[1], lw=1.0, ls="--", zorder=2,
                label=r"small-$\delta$ limit $3\delta m^2\mu_\nu/(4 g\, m_e \mu_B)$")
        ax.axhline(data["m_D_max_eV"], color=C_NT, lw=1.0, ls="-.", zorder=2,
                   label=rf"largest allowed $m_D$ ($M_N = {float(point.M_N) * 1e6:g}$ keV)")
        ax.axvline(a4pi, color="0.5", lw=0.8, ls=":", zorder=1)
        ax.text(a4pi, 0.97, r" $\alpha/4\pi$", transform=ax.get_xaxis_transform(), fontsize=8, va="top", color="0.4")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"$\delta = m_{\tilde R_2}^2/m_{S_1}^2 - 1$")
        ax.set_ylabel(rf"$|m_{{{_LEPTON_TEX[l]} N_1}}|$ [eV]")
        mu_txt = _tex_num(float(data["mu_muB"][0]))
        ax.set_title(title or rf"$m_{{S_1}} = {float(point.m_S1) / 1e3:g}$ TeV, $|\mu_\nu| \approx {mu_txt}\,\mu_B$ "
                     rf"(small $\delta$), $\nu_{{{_LEPTON_TEX[l]}}}$–$N_1$", fontsize=10)
        ax.legend(fontsize=7, frameon=False, loc="upper left")
        fig.tight_layout()
        _save(fig, path)
    return fig, data


def _save(fig: Any, path: str | Path | None) -> None:
    if path is None:
        return
    p = Path(path)
    targets = [p] if p.suffix.lower() in (".png", ".pdf") else [p.with_suffix(".png"), p.with_suffix(".pdf")]
    for q in targets:
        q.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(q, dpi=200 if q.suffix.lower() == ".png" else None)


def _tex_num(x: float) -> str:
    """2.7e-11 -> 2.7\\times10^{-11} (for math text)."""
    m, e = f"{x:.2g}".split("e") if "e" in f"{x:.2g}" else (f"{x:.2g}", "0")
    return m if int(e) == 0 else rf"{m}\times10^{{{int(e)}}}"
