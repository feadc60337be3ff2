r"""Export a point's transition moments as DarkNews model keyword arguments (docs/views_and_interop.md).

DarkNews (Abdullahi, Hostert, Massaro, Pascoli, arXiv:2207.04137; the ``DarkNews`` package on PyPI, checked
against version 0.4.8) describes a transition magnetic moment between an active flavour
:math:`\alpha = e, \mu, \tau` and the heavy neutrino :math:`N_4, N_5, N_6` by the keyword arguments
``mu_tr_e4, mu_tr_mu4, mu_tr_tau4, ...`` of its model classes (``DarkNews.model.HNLModel`` and
``DarkNews.GenLauncher``), in **GeV⁻¹** (its example notebook ``examples/Example_2_TMM.ipynb``:
``'mu_tr_mu4': 1e-6, # GeV^-1``). Internally it uses the dipole coupling ``t_aj = 0.5 * mu_tr``
(``src/DarkNews/model.py``, ``_set_vertices_common``: "NOTE: dipole = t_aj = mu_tr / 2"), i.e. the same
factor ½ between the "moment" μ and the dipole coefficient d = μ/2 as lqmodel's normalisation
:math:`\mathcal L = (\mu/2)\,\bar\nu_L\sigma^{\mu\nu}N_R F_{\mu\nu} + {\rm h.c.}` (ARCHITECTURE.md,
docs/theory.md). The export is therefore

.. math:: \texttt{mu\_tr\_}\alpha\texttt{4} = |\mu_{\alpha N_1}|/\mu_B \times \mu_B[{\rm GeV}^{-1}],
          \qquad \mu_B = e/(2m_e),\ e = \sqrt{4\pi\alpha(0)}

(:func:`observables.parameters.bohr_magneton`), with ``m4`` = M_N in GeV and ``HNLtype`` = the point's
``N_type``. lqmodel's N_1 is DarkNews's N_4; N_2, N_3 have no mass in a :class:`lqmodel.point.Point` and are
not exported. Moduli are exported (DarkNews's Dirac rates depend on |t| only); the phases are recorded in
the ``lqmodel`` block of the file, not passed to DarkNews.

Known difference, measured against DarkNews 0.4.8 itself (tests/test_darknews.py): with this mapping its
``decay_rates.gamma_Ni_to_Nj_gamma`` gives Γ(N→νγ) = |t|² M³/(8π) = μ_tr² M³/(32π) (Dirac), half of
lqmodel's :func:`observables.neutrino.decays.width_N_to_nu_gamma`, μ² M³/(16π), which is what the chiral
operator above gives (Γ = (|μ'|²+|ε'|²)M³/(8π) for (1/2) ν̄ σ(μ' + ε'γ₅) N F with μ' = ε' = μ/2; Giunti &
Studenikin, arXiv:1403.6344, §3). The parameter mapping follows DarkNews's stated factor ½; whoever compares
DarkNews decay lengths with lqmodel's must expect that factor 2 (docs/views_and_interop.md).
"""
from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

__all__ = ["darknews_kwargs", "write_darknews", "DARKNEWS_LEPTON_KEYS"]

#: lqmodel lepton index -> DarkNews key stem (``mu_tr_<stem>4`` for N_1 = DarkNews N_4)
DARKNEWS_LEPTON_KEYS: tuple[str, ...] = ("e", "mu", "tau")


def darknews_kwargs(point: Any) -> dict[str, Any]:
    """DarkNews model keyword arguments for a single point, plus an ``lqmodel`` provenance block.

    Returns ``{"model_kwargs": {...}, "lqmodel": {...}}``: ``model_kwargs`` holds ``m4`` (GeV),
    ``HNLtype`` ("dirac" | "majorana") and ``mu_tr_e4``, ``mu_tr_mu4``, ``mu_tr_tau4`` (GeV⁻¹, moduli), so
    ``DarkNews.model.HNLModel(**d["model_kwargs"])`` or ``GenLauncher(**d["model_kwargs"], ...)`` take it
    as is. ``lqmodel`` records μ in μ_B (complex as [re, im]), μ_B in GeV⁻¹ and the convention.
    Raises ``ValueError`` for a batched point.

    >>> from lqmodel.models import voloshin
    >>> d = darknews_kwargs(voloshin(1000.0, 0.05, 1.0, "mu"))
    >>> f"{d['model_kwargs']['mu_tr_mu4'] / d['lqmodel']['mu_B_GeV-1']:.5e}"   # = |mu_muN1| in mu_B
    '2.69314e-11'
    """
    from lqmodel.moments import compute_moments
    from observables.parameters import bohr_magneton

    if point.batch_shape != ():
        raise ValueError(f"the DarkNews export needs a single point; got batch shape {point.batch_shape}")
    mu = np.asarray(compute_moments(point).mu_muB)[:, 0]  # (lepton,), complex, mu_B
    muB = bohr_magneton()
    kw: dict[str, Any] = {"m4": float(point.M_N), "HNLtype": point.N_type}
    for i, stem in enumerate(DARKNEWS_LEPTON_KEYS):
        kw[f"mu_tr_{stem}4"] = float(abs(mu[i])) * muB
    meta = {
        "mu_nu_muB": {stem: [float(mu[i].real), float(mu[i].imag)] for i, stem in enumerate(DARKNEWS_LEPTON_KEYS)},
        "mu_B_GeV-1": muB,
        "N_index": "lqmodel N_1 = DarkNews N_4 (m4)",
        "units": {"m4": "GeV", "mu_tr_*": "GeV^-1 (moduli)"},
        "convention": "DarkNews dipole t = mu_tr/2 (DarkNews/model.py); lqmodel L = (mu/2) nubar_L sigma^{mu nu} "
                      "N_R F_{mu nu} + h.c.; mu_tr = |mu| * mu_B. DarkNews 0.4.8's N -> nu gamma width is half of "
                      "lqmodel's for the same mu (docs/views_and_interop.md)",
        "label": point.label,
    }
    return {"model_kwargs": kw, "lqmodel": meta}


def write_darknews(point: Any, path: str) -> dict[str, Any]:
    """Write :func:`darknews_kwargs` of ``point`` as JSON to ``path`` (atomically); returns the dict."""
    from lqmodel.atomic import write_bytes_atomic

    d = darknews_kwargs(point)
    if not all(math.isfinite(v) for k, v in d["model_kwargs"].items() if k.startswith("mu_tr_")):
        raise ValueError("the transition moments are not finite; nothing written")
    write_bytes_atomic(path, (json.dumps(d, indent=2) + "\n").encode())
    return d
