r"""Plots of a fit: 1-D profile curves with the one-dof thresholds (1.00 / 3.84), 2-D profile contours at
the two-dof thresholds (2.30 / 5.99 for 68 / 95%), and a small corner plot of the posterior samples; the
best fit, the SM point (couplings zero, where it lies inside the range) and the base (benchmark) point are
marked. matplotlib is imported inside the functions (``import lqmodel`` stays light).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_profiles_1d", "plot_profiles_2d", "corner_plot", "plot_all"]


def _base_values(config, base) -> dict[str, float]:
    """Values of the free parameters at the base point, where they can be read off (y1, y2, y1p, entries)."""
    import re

    out = {}
    for p in config.parameters:
        n = p.name
        m = re.match(r"^(\w+)\[(\d),(\d)\]$", n)
        try:
            if m:
                out[n] = float(np.real(getattr(base, m.group(1))[int(m.group(2)), int(m.group(3))]))
            elif n == "y1":
                out[n] = float(np.real(base.ybar_RR[2, 0]))
            elif n == "y2":
                out[n] = float(np.real(base.y_LL[2, {"e": 0, "mu": 1, "tau": 2}[base.lepton]]))
            elif n == "y1p":
                out[n] = float(np.real(base.y_RR[2, {"e": 0, "mu": 1, "tau": 2}[base.lepton]]))
            elif n == "y1y2":
                out[n] = float(np.real(base.ybar_RR[2, 0] * base.y_LL[2, {"e": 0, "mu": 1, "tau": 2}[base.lepton]]))
            elif n in ("kappa", "m_b"):
                out[n] = float(np.ravel(getattr(base, n))[0])
        except (AttributeError, KeyError, IndexError, TypeError):
            continue
    return out


def _sm_values(config) -> dict[str, float]:
    """The SM point in the free parameters: every coupling zero (masses/kappa have no SM value)."""
    return {p.name: 0.0 for p in config.parameters if p.name not in ("kappa", "m_b")}


def _label(name: str) -> str:
    tex = {"y1": r"$y_1$", "y2": r"$y_2$", "y1p": r"$y_1'$", "y1y2": r"$y_1 y_2$", "kappa": r"$\kappa$ [GeV]"}
    return tex.get(name, name)


def plot_profiles_1d(prof1: list, chi2_min: float, config, base, bf: dict):
    import matplotlib.pyplot as plt

    from lqmodel.fit.run import THRESHOLDS

    n = len(prof1)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.4), squeeze=False)
    bv, sm = _base_values(config, base), _sm_values(config)
    for ax, p in zip(axes[0], prof1, strict=True):
        name = p["parameter"]
        d = p["chi2"] - chi2_min
        ax.plot(p["grid"], d, "k-", lw=1.5, label="profile")
        for lab, thr in THRESHOLDS[1].items():
            ax.axhline(thr, ls="--" if lab == "68" else ":", color="tab:blue",
                       label=rf"$\Delta\chi^2 = {thr:.2f}$ ({lab}%, 1 dof)")
        ax.axvline(bf["best_fit"][name], color="tab:red", lw=1, label="best fit")
        if name in sm and p["grid"][0] <= sm[name] <= p["grid"][-1]:
            ax.axvline(sm[name], color="k", ls="-.", lw=1, label="SM")
        if name in bv and p["grid"][0] <= bv[name] <= p["grid"][-1]:
            ax.axvline(bv[name], color="tab:green", ls="--", lw=1, label="benchmark")
        ax.set_ylim(0, max(9.0, min(25.0, float(np.nanmax(d)) * 1.05)))
        ax.set_xlabel(_label(name))
        ax.set_ylabel(r"$\Delta\chi^2$ (profiled)")
        if next(q for q in config.parameters if q.name == name).scale == "log":
            ax.set_xscale("log")
    axes[0][0].legend(fontsize=7, loc="upper center")
    fig.suptitle(config.title or "profile likelihoods", fontsize=10)
    fig.tight_layout()
    return fig


def plot_profiles_2d(prof2: list, chi2_min: float, config, base, bf: dict):
    import matplotlib.pyplot as plt

    from lqmodel.fit.run import THRESHOLDS

    n = len(prof2)
    fig, axes = plt.subplots(1, n, figsize=(5.4 * n, 4.4), squeeze=False)
    bv, sm = _base_values(config, base), _sm_values(config)
    for ax, p in zip(axes[0], prof2, strict=True):
        a, b = p["parameters"]
        d = p["chi2"] - chi2_min
        X, Y = np.meshgrid(p["x"], p["y"], indexing="ij")
        cs = ax.contourf(X, Y, d, levels=[0, THRESHOLDS[2]["68"], THRESHOLDS[2]["95"]],
                         colors=["tab:orange", "moccasin"], extend="neither")
        ax.contour(X, Y, d, levels=[THRESHOLDS[2]["68"], THRESHOLDS[2]["95"]], colors="k", linewidths=[1.2, 0.8])
        ax.plot(bf["best_fit"][a], bf["best_fit"][b], "r*", ms=10, label="best fit")
        if a in sm and b in sm:
            ax.plot(sm[a], sm[b], "kx", ms=8, mew=2, label="SM", clip_on=True)
        if a in bv and b in bv:
            ax.plot(bv[a], bv[b], "gs", ms=6, mfc="none", label="benchmark", clip_on=True)
        ax.set_xlim(p["x"][0], p["x"][-1])
        ax.set_ylim(p["y"][0], p["y"][-1])
        ax.set_xlabel(_label(a))
        ax.set_ylabel(_label(b))
        ax.set_title(r"68% / 95% CL: $\Delta\chi^2$ = 2.30 / 5.99 (2 dof)", fontsize=8)
        del cs
    axes[0][0].legend(fontsize=7)
    fig.suptitle(config.title or "2-D profile likelihoods", fontsize=9)
    fig.tight_layout()
    return fig


def corner_plot(samples: np.ndarray, names, *, truths: dict[str, Any] | None = None, sm: dict | None = None,
                bins: int = 30):
    """A small corner plot: 1-D histograms on the diagonal, 2-D histograms with the 68/95% highest-density
    contours below it; ``truths`` (best fit, red) and ``sm`` (black) marked where inside the range."""
    import matplotlib.pyplot as plt

    n = len(names)
    fig, axes = plt.subplots(n, n, figsize=(2.4 * n + 0.6, 2.4 * n + 0.6), squeeze=False)
    lo, hi = samples.min(axis=0), samples.max(axis=0)
    for i in range(n):
        for j in range(n):
            ax = axes[i][j]
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                ax.hist(samples[:, i], bins=bins, range=(lo[i], hi[i]), histtype="step", color="k", density=True)
                ax.set_yticks([])
            else:
                H, xe, ye = np.histogram2d(samples[:, j], samples[:, i], bins=bins,
                                           range=[[lo[j], hi[j]], [lo[i], hi[i]]])
                flat = np.sort(H.ravel())[::-1]
                cum = np.cumsum(flat) / flat.sum()
                levels = sorted({flat[min(int(np.searchsorted(cum, q)), flat.size - 1)] for q in (0.6827, 0.95)})
                xc, yc = 0.5 * (xe[1:] + xe[:-1]), 0.5 * (ye[1:] + ye[:-1])
                ax.pcolormesh(xe, ye, H.T, cmap="Greys", shading="flat")
                if len(levels) == 2 and levels[0] < levels[1]:
                    ax.contour(xc, yc, H.T, levels=levels, colors=["tab:blue", "tab:blue"], linewidths=[0.8, 1.3])
            for marks, style in ((truths, "r"), (sm, "k")):
                if not marks:
                    continue
                if names[j] in marks and lo[j] <= marks[names[j]] <= hi[j]:
                    ax.axvline(marks[names[j]], color=style, lw=0.8)
                if i != j and names[i] in marks and lo[i] <= marks[names[i]] <= hi[i]:
                    ax.axhline(marks[names[i]], color=style, lw=0.8)
            if i == n - 1:
                ax.set_xlabel(_label(names[j]))
            if j == 0 and i > 0:
                ax.set_ylabel(_label(names[i]))
    fig.tight_layout()
    return fig


def plot_all(out: Path, config, base, bf: dict, prof1: list, prof2: list, samp: dict | None) -> dict[str, str]:
    """Draw every plot of a fit into ``out`` (PNG + PDF); returns name -> path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = {}
    chi2_min = min([bf["chi2_min"]] + [float(np.nanmin(p["chi2"])) for p in prof1 + prof2])
    figs = []
    if prof1:
        figs.append(("profile_1d", plot_profiles_1d(prof1, chi2_min, config, base, bf)))
    if prof2:
        figs.append(("profile_2d", plot_profiles_2d(prof2, chi2_min, config, base, bf)))
    if samp is not None and len(config.names) >= 1:
        figs.append(("corner", corner_plot(samp["samples"], list(config.names), truths=bf["best_fit"],
                                           sm=_sm_values(config))))
    for name, fig in figs:
        for ext in ("png", "pdf"):
            path = Path(out) / f"{name}.{ext}"
            fig.savefig(path, dpi=130)
            files[f"{name}_{ext}"] = str(path)
        plt.close(fig)
    return files
