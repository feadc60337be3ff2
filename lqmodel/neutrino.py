"""The neutrino side, as the lqmodel user sees it: a facade over :mod:`observables.neutrino`.

Everything here is the function of the generic layer, re-exported so that notebooks and user scripts
need to import ``lqmodel`` only (ARCHITECTURE.md). Units as in :mod:`observables.neutrino`: recoil and
neutrino energies and M_N in keV at the detector-facing functions (``*_keV``), GeV in the cross sections
and decay widths, moments in Bohr magnetons.

* fits and limits: :func:`fit_moment`, :func:`band` (XENON1T preferred interval, XENONnT upper limit, as
  functions of M_N and lepton flavour), :func:`limits` (dated, sourced bounds with their conventions);
* spectra: :func:`unit_spectra`, :func:`moment_spectrum`, :func:`sm_spectrum` (events / (t yr keV) in
  xenon, before detector effects);
* cross sections and decays: :func:`dsigma_dEr_moment`, :func:`width_N_to_nu_gamma`, :func:`lifetime_s`,
  :func:`mu_from_d`, :func:`d_from_mu`;
* :func:`moments_for_dd` turns a point's computed moments into the per-flavour array the spectra take.

>>> from lqmodel import neutrino
>>> float(neutrino.mu_from_d(1.0))   # mu = 2 d (docs/theory.md §a.1)
2.0
"""
from __future__ import annotations

import numpy as np

from observables.neutrino.cross_sections import dsigma_dEr_moment
from observables.neutrino.decays import d_from_mu, lifetime_s, mu_from_d, width_N_to_nu_gamma
from observables.neutrino.fit import FitResult, band, fit_moment
from observables.neutrino.limits import Limit, limits
from observables.neutrino.rates import moment_spectrum, sm_spectrum, unit_spectra

__all__ = [
    "FitResult", "fit_moment", "band", "Limit", "limits", "unit_spectra", "moment_spectrum", "sm_spectrum",
    "dsigma_dEr_moment", "width_N_to_nu_gamma", "lifetime_s", "mu_from_d", "d_from_mu", "moments_for_dd",
]


def moments_for_dd(moments, N_index: int = 0) -> np.ndarray:
    """|mu_{alpha N}| (Bohr magnetons) for alpha = e, mu, tau, shape (*B, 3), from
    :func:`lqmodel.compute_moments`'s result, for sterile neutrino ``N_index`` (0 = N_1).

    This is the ``mu_muB`` argument of :func:`moment_spectrum` (rates are quadratic in |mu|, so the
    electric part counts like the magnetic part).
    """
    return np.asarray(moments.abs_mu_muB)[..., :, N_index]
