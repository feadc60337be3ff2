r"""Direct-detection spectrum plot in the style of the XENON figures: binned data with Poisson errors, the
background model, and the transition-magnetic-moment signal stacked on top.

Rates are shown in events/(tonne year keV) against reconstructed energy [keV]: counts per bin divided by
(exposure x bin width). The signal for moment :math:`\mu` [mu_B] is
:math:`(\mu/10^{-11}\mu_B)^2 \times` the folded unit template of :func:`observables.neutrino.fit.signal_template`
(detector efficiency and resolution included); the background is the collaboration's B0 scaled by its fitted
normalisation (plus the fitted tritium component for XENON1T with ``tritium="free"``). matplotlib is imported
inside the function and used through the Agg canvas (no display needed).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_spectrum"]


def plot_spectrum(
    experiment: str,
    lepton: str = "all",
    M_N_keV: float = 0.0,
    mu_muB: float | None = None,
    *,
    ssm: str = "B16-GS98",
    tritium: str = "none",
    cl: float = 0.9,
    path: str | Path | None = None,
    title: str | None = None,
) -> Any:
    """Plot data, background and signal for ``experiment`` ("xenon1t", "xenonnt", "lz").

    ``mu_muB``: the moment to draw (default: the best fit of :func:`observables.neutrino.fit.fit_moment`, or its
    upper limit when the best fit is zero). ``path``: output file; ``.png`` or ``.pdf`` writes that format, a
    path without suffix writes both (``path.png`` at 200 dpi and ``path.pdf``, fonts embedded as TrueType/Type 42).
    Returns the matplotlib Figure.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from observables.neutrino.detectors import get_detector
    from observables.neutrino.fit import MU_REF_MUB, fit_moment, lepton_weights, signal_template
    from observables.neutrino.likelihood import make_likelihood

    det = get_detector(experiment)
    res = fit_moment(det.name, lepton, M_N_keV, cl, ssm=ssm, tritium=tritium)
    if mu_muB is None:
        mu_muB = res.best_fit_muB if res.best_fit_muB > 0 else (res.interval_muB[1] or 0.0)
    if not np.isfinite(mu_muB) or mu_muB < 0:
        raise ValueError(f"mu_muB must be a finite moment >= 0 in Bohr magnetons, got {mu_muB!r}")
    S = lepton_weights(lepton) @ signal_template(det.name, M_N_keV, ssm)
    s = (mu_muB / MU_REF_MUB) ** 2
    lik = make_likelihood(det, S, tritium=tritium)
    _, nu = lik.profile(s)
    a, e, t = nu.get("a", 1.0), nu.get("e", 1.0), nu.get("t", 0.0)

    width = np.diff(det.bin_edges_keV)
    norm = 1.0 / (det.exposure_t_yr * width)
    x = det.bin_centres_keV
    b0 = a * det.backgrounds["b0"] * norm
    trit = t * det.backgrounds["tritium"] * norm if "tritium" in det.backgrounds and t > 0 else np.zeros_like(b0)
    sig = e * s * S * norm
    data = det.observed * norm
    err = np.sqrt(det.observed) * norm

    fig = Figure(figsize=(6.4, 4.4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    edges = det.bin_edges_keV
    ax.stairs(b0, edges, color="#D55E00", lw=1.6, label=f"B0 (x{a:.3f})")
    if np.any(trit > 0):
        ax.stairs(b0 + trit, edges, color="#E69F00", lw=1.4, ls="--", label="B0 + tritium")
    from lqmodel.vocabulary import LEPTON_LATEX

    lab_l = {"all": "all flavours"}.get(lepton, "$" + LEPTON_LATEX.get(lepton, lepton) + "$")
    ax.stairs(b0 + trit + sig, edges, color="#0072B2", lw=1.8,
              label=rf"B0 + $\mu_\nu$ = {mu_muB:.2e} $\mu_B$ ({lab_l}, $M_N$ = {M_N_keV:g} keV)")
    ax.errorbar(x, data, yerr=err, fmt="o", color="k", ms=3.5, capsize=0, label="data")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(0, 1.25 * float(np.max(data + err)))
    ax.set_xlabel("Energy [keV]")
    ax.set_ylabel("Events / (t yr keV)")
    ax.set_title(title or det.label + (" - approximate detector model" if det.approximate else ""), fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    fig.tight_layout()
    if path is not None:
        import matplotlib

        p = Path(path)
        targets = [p] if p.suffix.lower() in (".png", ".pdf") else [p.with_suffix(".png"), p.with_suffix(".pdf")]
        # embedded TrueType (Type 42) fonts, not Type 3; local to this call (rc_context), not global
        with matplotlib.rc_context({"pdf.fonttype": 42, "ps.fonttype": 42}):
            for q in targets:
                q.parent.mkdir(parents=True, exist_ok=True)
                fig.savefig(q, dpi=200 if q.suffix.lower() == ".png" else None)
    return fig
