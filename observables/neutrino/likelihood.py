r"""Binned Poisson likelihoods for xenon electron-recoil data with background nuisance parameters.

Model for the expected events in bin :math:`i` (signal strength :math:`s \ge 0`, nuisances
:math:`\theta = (a, t, e)`):

.. math::

    \lambda_i(s,\theta) = e\, s\, S_i + a\, B_i + t\, T_i ,

    -2\ln L(s,\theta) = 2\sum_i\big[\lambda_i - n_i + n_i\ln(n_i/\lambda_i)\big]
        + \Big(\frac{a-1}{\sigma_a}\Big)^2 + \Big(\frac{e-1}{\sigma_e}\Big)^2 ,

with :math:`S_i` the signal template (events per bin at :math:`s = 1`), :math:`B_i` the collaboration's B0
background, :math:`T_i` the XENON1T tritium template (events at the GAMBIT reference concentration
6.2e-25 mol/mol), :math:`a` the B0 normalisation (Gaussian constraint :math:`\sigma_a`: 2.6% XENON1T from
GAMBIT DarkBit, 8.2% XENONnT from its quoted (15.8 ± 1.3) events/(t yr keV)), :math:`t \ge 0` the tritium
normalisation (``tritium="free"``: unconstrained; ``"none"``: fixed to 0, the B0-only hypothesis under which
XENON1T quotes its magnetic-moment interval), :math:`e` a signal-efficiency scale (3%, GAMBIT; XENON1T only).
The saturated-model form (Baker–Cousins) makes :math:`-2\ln L` a goodness-of-fit :math:`\chi^2`.

Profile-likelihood test statistic (the one reported by :mod:`observables.neutrino.fit`):

.. math::

    q(s) = -2\ln\frac{L(s,\hat{\hat\theta}(s))}{L(\hat s,\hat\theta)},\qquad \hat s \ge 0 .

Profiling: -2 ln L is convex in the nuisances (lambda is linear in them), so :meth:`BinnedPoissonLikelihood.profile`
uses a damped Newton iteration with analytic gradient and Hessian and an active set for t >= 0; the signal
strength is then scanned / root-found with scipy (``minimize_scalar``, ``brentq`` in :mod:`~observables.neutrino.fit`).
Dimensionless; counts in events.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from observables.neutrino.detectors import Detector

__all__ = ["TRITIUM_MODES", "BinnedPoissonLikelihood", "make_likelihood"]

#: Allowed treatments of the XENON1T tritium component.
TRITIUM_MODES: tuple[str, ...] = ("none", "free")


def _m2lnl_poisson(lam: NDArray[np.float64], n: NDArray[np.float64]) -> float:
    lam = np.maximum(lam, 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(n > 0, n * np.log(n / lam), 0.0)
    return float(2.0 * np.sum(lam - n + term))


@dataclass(frozen=True, eq=False)
class BinnedPoissonLikelihood:
    """Binned Poisson likelihood with Gaussian-constrained background/efficiency scales (see module doc).

    ``signal`` : events per bin at :math:`s=1`; ``observed`` : events per bin; ``b0`` : B0 events per bin;
    ``tritium`` : tritium template or None; ``sigma_b0``, ``sigma_eff`` : Gaussian widths (0 = fixed at 1).
    """

    signal: NDArray[np.float64]
    observed: NDArray[np.float64]
    b0: NDArray[np.float64]
    tritium: NDArray[np.float64] | None = None
    sigma_b0: float = 0.0
    sigma_eff: float = 0.0

    def __post_init__(self) -> None:
        n = len(self.observed)
        for name in ("signal", "b0"):
            if np.shape(getattr(self, name)) != (n,):
                raise ValueError(f"{name} must have one entry per bin ({n})")
        if self.tritium is not None and np.shape(self.tritium) != (n,):
            raise ValueError(f"tritium must have one entry per bin ({n})")
        if np.any(np.asarray(self.signal) < 0) or np.any(np.asarray(self.b0) <= 0):
            raise ValueError("signal must be >= 0 and b0 > 0 in every bin")

    # -- nuisance vector: [a, e, t] restricted to the free ones ---------------------------------------------
    def _free(self) -> list[str]:
        names = []
        if self.sigma_b0 > 0:
            names.append("a")
        if self.sigma_eff > 0:
            names.append("e")
        if self.tritium is not None:
            names.append("t")
        return names

    def m2lnl(self, s: float, a: float = 1.0, e: float = 1.0, t: float = 0.0) -> float:
        r"""-2 ln L at signal strength ``s`` and nuisances (a, e, t), constraint terms included."""
        lam = e * s * self.signal + a * self.b0
        if self.tritium is not None:
            lam = lam + t * self.tritium
        out = _m2lnl_poisson(lam, self.observed)
        if self.sigma_b0 > 0:
            out += ((a - 1.0) / self.sigma_b0) ** 2
        if self.sigma_eff > 0:
            out += ((e - 1.0) / self.sigma_eff) ** 2
        return out

    def profile(self, s: float) -> tuple[float, dict[str, float]]:
        """Minimum of -2 ln L over the nuisances at fixed ``s`` -> (value, {nuisance: best value}).

        -2 ln L is convex in the nuisances (lambda is linear in them), so a damped Newton iteration with an active
        set for the bound t >= 0 finds the unique minimum (analytic gradient and Hessian; typically < 10 steps).
        """
        free = self._free()
        if not free:
            return self.m2lnl(s), {}
        n = np.asarray(self.observed, dtype=float)
        comps = {"a": np.asarray(self.b0, float), "e": s * np.asarray(self.signal, float), "t": self.tritium}
        prior = {"a": self.sigma_b0, "e": self.sigma_eff, "t": 0.0}
        C = np.stack([np.asarray(comps[k], dtype=float) for k in free])
        w = np.array([1.0 / prior[k] ** 2 if prior[k] > 0 else 0.0 for k in free])
        fixed = np.zeros_like(n)
        if "a" not in free:
            fixed = fixed + comps["a"]
        if "e" not in free:
            fixed = fixed + comps["e"]
        bounded = np.array([k == "t" for k in free])

        def obj(x: NDArray[np.float64]) -> float:
            lam = fixed + x @ C
            if np.any(lam <= 0):
                return math.inf
            return _m2lnl_poisson(lam, n) + float(np.sum(w * (x - 1.0) ** 2))

        x = np.array([1.0] * len(free))
        f = obj(x)
        for _ in range(200):
            lam = fixed + x @ C
            r = 1.0 - n / lam
            g = 2.0 * C @ r + 2.0 * w * (x - 1.0)
            H = 2.0 * (C * (n / lam**2)) @ C.T + 2.0 * np.diag(w) + 1e-12 * np.eye(len(free))
            active = bounded & (x <= 0.0) & (g > 0.0)
            idx = np.flatnonzero(~active)
            step = np.zeros_like(x)
            if idx.size:
                step[idx] = -np.linalg.solve(H[np.ix_(idx, idx)], g[idx])
            decrement = float(-g @ step)
            if decrement < 1e-12:
                break
            alpha = 1.0
            while alpha > 1e-12:
                x_new = x + alpha * step
                x_new[bounded] = np.maximum(x_new[bounded], 0.0)
                f_new = obj(x_new)
                if f_new <= f - 1e-4 * alpha * decrement or (f_new <= f and alpha < 1e-3):
                    break
                alpha *= 0.5
            else:
                break
            if f - f_new < 1e-13:
                x, f = x_new, min(f, f_new)
                break
            x, f = x_new, f_new
        return float(f), {k: float(v) for k, v in zip(free, x, strict=True)}

    def profile_curve(self, s_values: ArrayLike) -> NDArray[np.float64]:
        """Profiled -2 ln L at each signal strength in ``s_values``."""
        return np.array([self.profile(float(s))[0] for s in np.atleast_1d(s_values)])

    def global_fit(self, s_max: float | None = None) -> tuple[float, float]:
        """Best fit over s >= 0 -> (s_hat, min -2 ln L). ``s_max`` bounds the search (default: the s at which
        the signal alone equals the total observed counts)."""
        tot = float(np.sum(self.signal))
        if tot <= 0:
            return 0.0, self.profile(0.0)[0]
        hi = s_max if s_max is not None else float(np.sum(self.observed)) / tot
        grid = np.concatenate([[0.0], np.geomspace(hi * 1e-4, hi, 40)])
        vals = self.profile_curve(grid)
        k = int(np.argmin(vals))
        lo_b = grid[max(k - 1, 0)]
        hi_b = grid[min(k + 1, len(grid) - 1)]
        if hi_b <= lo_b:
            return float(grid[k]), float(vals[k])
        from scipy.optimize import minimize_scalar  # here: ~1 s to import, and fits are usually cached

        res = minimize_scalar(lambda s: self.profile(s)[0], bounds=(lo_b, hi_b), method="bounded",
                              options={"xatol": 1e-7 * max(hi_b, 1e-12)})
        if res.fun < vals[k]:
            return float(res.x), float(res.fun)
        return float(grid[k]), float(vals[k])

    def test_statistic(self, s_values: ArrayLike, fit: tuple[float, float] | None = None) -> NDArray[np.float64]:
        r""":math:`q(s) = -2\ln\lambda(s)` (profile-likelihood ratio to the global best fit with s >= 0)."""
        _, m_hat = self.global_fit() if fit is None else fit
        return np.maximum(self.profile_curve(s_values) - m_hat, 0.0)


def make_likelihood(det: Detector, signal_counts: ArrayLike, tritium: str = "none") -> BinnedPoissonLikelihood:
    """The likelihood of detector ``det`` for a signal template (events per bin at unit strength).

    ``tritium``: "none" (B0 only) or "free" (XENON1T only; unconstrained tritium rate >= 0).
    """
    if tritium not in TRITIUM_MODES:
        raise ValueError(f"unknown tritium treatment {tritium!r}; allowed: {', '.join(TRITIUM_MODES)}")
    if tritium == "free" and "tritium" not in det.backgrounds:
        raise ValueError(f"{det.name} has no tritium template; tritium must be 'none' for it")
    return BinnedPoissonLikelihood(
        signal=np.asarray(signal_counts, dtype=float),
        observed=det.observed,
        b0=det.backgrounds["b0"],
        tritium=det.backgrounds["tritium"] if tritium == "free" else None,
        sigma_b0=det.nuisance_sigmas.get("b0_norm_sigma", 0.0),
        sigma_eff=det.nuisance_sigmas.get("signal_eff_sigma", 0.0),
    )
