r"""The inverse question: which coupling product y1·y2 gives a target transition moment (docs/views_and_interop.md).

For models ``"voloshin"`` and ``"s1"`` the moment is bilinear in the couplings: every loop of
:func:`lqmodel.moments.compute_moments` carries :math:`c_S = y^{*}_{\bar{RR}}\,y_{LL}` (S1) or
:math:`c_R = \tilde y_{RL}\,\tilde y^{*}_{LR}` (R̃2), one N_R-side coupling (y1 and its R̃2 partner) times one
lepton-doublet-side coupling (y2 and its partner), so at fixed masses
:math:`\mu_{\alpha N_1}(\lambda y_1, \lambda y_2) = \lambda^2\,\mu_{\alpha N_1}(y_1, y_2)`
(docs/theory.md; :func:`lqmodel.moments.mu_nu_muB`: μ/μ_B = m_e m_q/(8π²) [c_S* g(x_S)/m_S1² + c_R* g(x_R)/m_R²]).
The S1–R̃2 mixing (κ) does not change this: it rotates the scalars, not the Yukawas. Hence the exact
solution for a target |μ_αN1| = μ_t keeps the ratio y1/y2 (and all phases) and scales both by
:math:`\lambda = \sqrt{\mu_t/|\mu_0|}`, so :math:`y_1y_2 \to (\mu_t/|\mu_0|)\,y_1y_2`.

Refused (``InputError``): a batched point; a target that is not a finite number > 0 (μ_B); model
``"general"`` (no y1, y2 defined, the moment is then a sum of independent bilinears); a point whose
moment in its lepton flavour is zero (y1·y2 = 0 fixes no ratio, or an exact cancellation).
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

__all__ = ["solve_y1y2"]

PERTURBATIVE_MAX = math.sqrt(4.0 * math.pi)


def solve_y1y2(point: Any, target_mu_muB: float) -> dict[str, Any]:
    """The (y1, y2) at fixed ratio and masses whose |μ_{αN1}| (α = point.lepton) equals ``target_mu_muB`` (μ_B).

    Returns a JSON-ready dict: ``target_mu_muB``, ``lepton``, ``mu_nu_muB_input``, ``scale`` (μ_t/|μ_0|,
    the factor on y1·y2), ``y1y2_input``, ``y1y2`` (complex as [re, im] where not real), ``y1``, ``y2``,
    ``y1_over_y2``, ``mu_nu_muB_check`` (the moment recomputed at the solution), ``perturbative``
    (|y1|, |y2| ≤ √(4π)), ``point`` (the solved point as a dict), ``method``.

    >>> from lqmodel.models import voloshin
    >>> s = solve_y1y2(voloshin(1000.0, 0.05, 1.0, "mu"), 2.7e-11)
    >>> round(s["y1y2"], 6), f"{s['mu_nu_muB_check']:.4e}"
    (0.050127, '2.7000e-11')
    """
    from lqmodel.errors import InputError
    from lqmodel.moments import compute_moments
    from lqmodel.point import PerturbativityWarning, vary

    if point.batch_shape != ():
        raise InputError(f"--solve-for needs a single point; got batch shape {point.batch_shape}")
    try:
        t = float(target_mu_muB)
    except (TypeError, ValueError):
        raise InputError(f"target moment must be a number in mu_B; got {target_mu_muB!r}") from None
    if not (math.isfinite(t) and t > 0):
        raise InputError(f"target moment must be finite and > 0 (mu_B, a modulus |mu_nu|); got {target_mu_muB!r}")
    if point.model not in ("voloshin", "s1"):
        raise InputError(f"--solve-for y1y2 needs model 'voloshin' or 's1' (y1, y2 defined); this point has model "
                         f"{point.model!r}, whose moment is a sum of independent coupling products")
    l = point.lepton_index
    b, n1 = 2, 0
    y1 = complex(np.asarray(point.ybar_RR)[b, n1])
    y2 = complex(np.asarray(point.y_LL)[b, l])
    mu0 = complex(np.asarray(compute_moments(point).mu_muB)[l, 0])
    if y1 * y2 == 0 or abs(mu0) == 0:
        raise InputError(f"the point's moment in the {point.lepton} flavour is zero (y1 = {y1:g}, y2 = {y2:g}): "
                         "scaling cannot reach the target; give non-zero y1 and y2 (their ratio is kept)")
    scale = t / abs(mu0)
    lam = math.sqrt(scale)
    with warnings.catch_warnings():  # reported as "perturbative": false instead
        warnings.simplefilter("ignore", PerturbativityWarning)
        solved = vary(point, {"y1": _num(y1 * lam), "y2": _num(y2 * lam)})
    check = float(np.abs(np.asarray(compute_moments(solved).mu_muB)[l, 0]))
    p0, p = y1 * y2, y1 * y2 * scale
    return {
        "solve_for": "y1y2",
        "target_mu_muB": t,
        "lepton": point.lepton,
        "mu_nu_muB_input": abs(mu0),
        "scale": scale,
        "y1y2_input": _num(p0),
        "y1y2": _num(p),
        "y1": _num(y1 * lam),
        "y2": _num(y2 * lam),
        "y1_over_y2": _num(y1 / y2),
        "mu_nu_muB_check": check,
        "perturbative": bool(abs(y1 * lam) <= PERTURBATIVE_MAX and abs(y2 * lam) <= PERTURBATIVE_MAX),
        "point": solved.to_dict(),
        "method": "exact scaling: mu is bilinear in (y1, y2) at fixed masses; y1/y2 and phases kept (lqmodel.solve)",
    }


def _num(z: complex) -> Any:
    """A real number where the imaginary part is zero, else the complex value."""
    z = complex(z)
    return z.real if z.imag == 0 else z
