r"""Decay widths through the transition dipole: :math:`N\to\nu\gamma` and plasmon :math:`\gamma^*\to\nu\bar N`.

Conventions (docs/theory.md §a.1, §d.2 [derived, checked numerically with explicit traces]):

* **mu-normalisation** (used everywhere in this toolkit): :math:`\mathcal L = (\mu/2)\,\bar\nu_L
  \sigma^{\mu\nu} N_R F_{\mu\nu} + {\rm h.c.}`; :math:`\mu` in Bohr magnetons at the API,
  :math:`\mu_B = e/(2m_e)`. If :math:`\nu_L` and :math:`N_R` form one Dirac fermion, :math:`\mu` is its
  magnetic moment.
* **d-normalisation** (DarkNews, Magill et al. 1803.03262, Hostert's limit files):
  :math:`\mathcal L = d\,\bar\nu_L\sigma^{\mu\nu}N_RF_{\mu\nu}` + h.c., i.e. :math:`d = \mu/2`. Convert
  with :func:`mu_from_d` / :func:`d_from_mu` **before** calling anything here.
* **Dirac N**: one decay channel, :math:`N\to\nu_L\gamma`:
  :math:`\Gamma = \mu^2M_N^3/(16\pi)` (:math:`= d^2M_N^3/(4\pi)`).
  **Majorana N**: also the CP-conjugate channel :math:`N\to\bar\nu\gamma`: :math:`\Gamma = \mu^2M_N^3/(8\pi)`.
* **Plasmon** (photon of effective mass K, at rest, averaged over its three polarisations), one
  chirality channel: :math:`\Gamma = (\mu^2K^3/48\pi)(1-M_N^2/K^2)^2(1+2M_N^2/K^2)`. For a Dirac
  neutrino with a *diagonal* moment the two chirality channels give the standard :math:`\mu^2K^3/(24\pi)`
  (Haft, Raffelt & Weiss, ApJ 425 (1994) 222). In the plasma frame multiply by :math:`(K/\omega)Z`
  (time dilation and residue); that factor is not applied here.

Units: masses and K in **GeV**, widths in **GeV**, lifetimes in **s** (:math:`\hbar` from parameters.yaml).

>>> g = width_N_to_nu_gamma(100e-6, 1e-11, "dirac")     # docs/theory.md §d.2 example
>>> round(float(g) / 1e-31, 4), round(float(lifetime_s(g)) / 1e6, 2)
(1.7466, 3.77)
>>> round(float(lifetime_s(width_N_to_nu_gamma(100e-6, 1e-11, "majorana"))) / 1e6, 2)
1.88
"""
from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from observables.parameters import bohr_magneton, value

__all__ = ["N_TYPES", "mu_from_d", "d_from_mu", "width_N_to_nu_gamma", "lifetime_s",
           "width_plasmon_to_nu_N", "width_plasmon_diagonal_dirac"]

N_TYPES: tuple[str, str] = ("dirac", "majorana")


def mu_from_d(d: ArrayLike) -> np.ndarray:
    r"""Moment in the mu-normalisation from a dipole coefficient in the d-normalisation: :math:`\mu = 2d`.

    Works in any unit (mu_B -> mu_B, GeV^-1 -> GeV^-1).
    """
    return 2.0 * np.asarray(d, dtype=float)


def d_from_mu(mu: ArrayLike) -> np.ndarray:
    r""":math:`d = \mu/2` (inverse of :func:`mu_from_d`)."""
    return 0.5 * np.asarray(mu, dtype=float)


def _mu_nat(mu_muB: ArrayLike) -> np.ndarray:
    return np.abs(np.asarray(mu_muB, dtype=float)) * bohr_magneton()


def width_N_to_nu_gamma(M_N: ArrayLike, mu_muB: ArrayLike, N_type: str = "dirac") -> np.ndarray:
    r"""Total width (GeV) of :math:`N\to\nu\gamma` for a transition moment ``mu_muB`` (mu-normalisation, mu_B).

    ``N_type = "dirac"``: :math:`\Gamma = \mu^2M_N^3/(16\pi)`; ``"majorana"``: twice that (both
    :math:`\nu\gamma` and :math:`\bar\nu\gamma`). For several active flavours sum :math:`|\mu_{\alpha N}|^2`
    (i.e. pass :math:`\sqrt{\sum_\alpha|\mu_{\alpha N}|^2}`). Source: docs/theory.md §d.2.
    """
    if N_type not in N_TYPES:
        raise ValueError(f"unknown N_type {N_type!r}; allowed: dirac, majorana")
    M = np.asarray(M_N, dtype=float)
    if np.any(M < 0):
        raise ValueError("M_N must be >= 0 (GeV)")
    g = _mu_nat(mu_muB) ** 2 * M**3 / (16.0 * math.pi)
    return 2.0 * g if N_type == "majorana" else g


def lifetime_s(width_GeV: ArrayLike) -> np.ndarray:
    r"""Lifetime :math:`\tau = \hbar/\Gamma` in seconds for a width in GeV."""
    return value("hbar") / np.asarray(width_GeV, dtype=float)


def width_plasmon_to_nu_N(K: ArrayLike, M_N: ArrayLike, mu_muB: ArrayLike) -> np.ndarray:
    r"""Width (GeV) of a massive photon / plasmon of mass ``K`` at rest into :math:`\nu\bar N`, one channel.

    :math:`\Gamma = (\mu^2K^3/48\pi)(1-M_N^2/K^2)^2(1+2M_N^2/K^2)` for :math:`M_N < K`, else 0;
    averaged over the three polarisations (docs/theory.md §d.2). ``K``, ``M_N`` in GeV, ``mu_muB`` in mu_B.
    """
    Kk, M = np.broadcast_arrays(np.asarray(K, dtype=float), np.asarray(M_N, dtype=float))
    if np.any(Kk <= 0) or np.any(M < 0):
        raise ValueError("K must be > 0 and M_N >= 0 (GeV)")
    r2 = (M / Kk) ** 2
    g = _mu_nat(mu_muB) ** 2 * Kk**3 / (48.0 * math.pi) * (1 - r2) ** 2 * (1 + 2 * r2)
    return np.where(Kk > M, g, 0.0)


def width_plasmon_diagonal_dirac(K: ArrayLike, mu_muB: ArrayLike) -> np.ndarray:
    r"""Standard plasmon width into :math:`\nu\bar\nu` for a Dirac neutrino with diagonal moment:
    :math:`\mu^2K^3/(24\pi)`.

    Equal to twice :func:`width_plasmon_to_nu_N` at :math:`M_N = 0` (the two chirality channels
    :math:`\nu_L\bar\nu_R` and :math:`\nu_R\bar\nu_L`).
    """
    return _mu_nat(mu_muB) ** 2 * np.asarray(K, dtype=float) ** 3 / (24.0 * math.pi)
