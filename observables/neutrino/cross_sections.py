r"""Differential cross sections :math:`d\sigma/dE_r` for neutrino scattering on a free electron at rest.

Units: energies and masses in **GeV**, moments in **Bohr magnetons** (:math:`\mu_B = e/2m_e`); the
cross sections are returned in natural units **GeV^-3** (i.e. GeV^-2 per GeV of recoil energy); use
:func:`to_cm2_per_keV` for cm^2/keV. Outside the kinematically allowed region they are 0.

1. Transition magnetic moment :math:`\nu_\alpha e \to N e` (docs/theory.md §d.1, [derived, checked
   numerically with explicit traces]; the massless limit is the classic result of Vogel & Engel,
   PRD 39 (1989) 3378). Normalisation :math:`\mathcal L = (\mu/2)\,\bar\nu_L\sigma^{\mu\nu}N_R F_{\mu\nu}
   + {\rm h.c.}` (docs/theory.md §a.1), no average over the (left-handed) neutrino spin, average 1/2 over the
   electron spin:

   .. math::
       \frac{d\sigma}{dE_r} = \alpha\,\mu^2\Big[\frac1{E_r} - \frac1{E_\nu}
       - \frac{M_N^2}{2E_\nu E_r m_e}\Big(1 - \frac{E_r}{2E_\nu} + \frac{m_e}{2E_\nu}\Big)
       + \frac{M_N^4 (E_r - m_e)}{8E_\nu^2E_r^2m_e^2}\Big],\qquad
       \mu = (\mu/\mu_B)\,\frac{e}{2m_e},

   which reduces for :math:`M_N=0` to :math:`(\pi\alpha^2/m_e^2)(\mu/\mu_B)^2(1/E_r - 1/E_\nu)` with
   :math:`\pi\alpha^2/m_e^2 = 2.4947\times10^{-25}` cm². It applies equally to
   :math:`\bar\nu_R\to\bar N`. There is no interference with the SM amplitude (different final state).

   Written as a polynomial in :math:`1/E_\nu` (used by :mod:`observables.neutrino.rates` to integrate
   over the solar spectra exactly): with :math:`a = M_N^2/(2E_r m_e)`,

   .. math::
       \frac{d\sigma}{dE_r} = \alpha\mu^2\Big[\frac1{E_r} - \frac{1+a}{E_\nu}
       + \frac{(E_r-m_e)\,a(1+a)}{2E_\nu^2}\Big].

2. Standard-Model :math:`\nu_\alpha e\to\nu_\alpha e` (tree level, docs/theory.md §d.1; e.g. Giunti & Kim,
   *Fundamentals of Neutrino Physics and Astrophysics* (OUP 2007); 't Hooft, PLB 37 (1971) 195):

   .. math::
       \frac{d\sigma}{dE_r} = \frac{2G_F^2m_e}{\pi}\Big[g_L^2 + g_R^2\Big(1-\frac{E_r}{E_\nu}\Big)^2
       - g_Lg_R\frac{m_eE_r}{E_\nu^2}\Big],

   :math:`g_R = s_W^2`, :math:`g_L = -1/2 + s_W^2` for :math:`\nu_{\mu,\tau}`, :math:`g_L = +1/2 + s_W^2`
   for :math:`\nu_e` (charged current included). Radiative corrections (a few per cent) are not
   included; :math:`s_W^2` defaults to the MSbar value at m_Z of ``parameters.yaml`` (``s2w``) and can be
   overridden (the low-energy effective value is about 3% larger).

>>> x = dsigma_dEr_moment(400e-6, 3e-6, 0.0, 1e-11)   # docs/theory.md §d.1 test value
>>> round(float(to_cm2_per_keV(x)) / 1e-48, 4)
8.2532
"""
from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from observables.neutrino.kinematics import in_physical_region
from observables.parameters import bohr_magneton, value

__all__ = [
    "FLAVOURS",
    "moment_prefactor",
    "moment_coefficients",
    "dsigma_dEr_moment",
    "massless_moment_prefactor_cm2",
    "sm_couplings",
    "sm_prefactor",
    "sm_coefficients",
    "dsigma_dEr_sm",
    "to_cm2_per_keV",
]

#: flavour labels, in the order used for every flavour axis of this sub-package
FLAVOURS: tuple[str, str, str] = ("e", "mu", "tau")


def to_cm2_per_keV(x: ArrayLike) -> np.ndarray:
    """Convert a differential cross section from GeV^-3 (natural units) to cm^2/keV ((hbar c)^2 from PDG)."""
    return np.asarray(x, dtype=float) * value("hbarc2") * 1e-6


def moment_prefactor(mu_muB: ArrayLike = 1.0) -> np.ndarray:
    r""":math:`\alpha\mu^2` in GeV^-2 for a moment ``mu_muB`` in Bohr magnetons (:math:`\mu_B = e/2m_e`)."""
    mu = np.asarray(mu_muB, dtype=float) * bohr_magneton()
    return value("alpha_0") * mu * mu


def massless_moment_prefactor_cm2() -> float:
    r""":math:`\pi\alpha^2/m_e^2` in cm^2 (docs/theory.md §d.1 quotes 2.4947e-25 cm^2).

    >>> round(massless_moment_prefactor_cm2() / 1e-25, 4)
    2.4947
    """
    return math.pi * value("alpha_0") ** 2 / value("m_e") ** 2 * value("hbarc2")


def moment_coefficients(E_r: ArrayLike, M_N: ArrayLike = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Coefficients :math:`(c_0, c_1, c_2)` with :math:`d\sigma/dE_r = \alpha\mu^2\sum_n c_n E_\nu^{-n}`.

    :math:`c_0 = 1/E_r`, :math:`c_1 = -(1+a)`, :math:`c_2 = (E_r - m_e)a(1+a)/2`, :math:`a = M_N^2/(2E_rm_e)`
    (GeV units: c_n in GeV^(n-1)). Valid only inside the physical region.
    """
    m = value("m_e")
    Er, M = np.broadcast_arrays(np.asarray(E_r, dtype=float), np.asarray(M_N, dtype=float))
    if np.any(Er <= 0):
        raise ValueError("E_r must be > 0 (GeV)")
    a = M * M / (2.0 * Er * m)
    return 1.0 / Er, -(1.0 + a), 0.5 * (Er - m) * a * (1.0 + a)


def dsigma_dEr_moment(E_nu: ArrayLike, E_r: ArrayLike, M_N: ArrayLike = 0.0, mu_muB: ArrayLike = 1.0) -> np.ndarray:
    r"""Transition-moment cross section :math:`d\sigma/dE_r(\nu_\alpha e\to N e)` in GeV^-3.

    Inputs: ``E_nu``, ``E_r``, ``M_N`` in GeV, ``mu_muB`` = :math:`|\mu_{\alpha N}|` in Bohr magnetons
    (magnetic and electric transition moments add in quadrature: :math:`|\mu|^2 = |\mu_M|^2 + |\mu_E|^2`).
    Zero outside the physical region (see :mod:`observables.neutrino.kinematics`).
    Formula and conventions: module docstring (docs/theory.md §d.1).
    """
    E, Er, M, mu = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (E_nu, E_r, M_N, mu_muB)))
    inside = in_physical_region(E, Er, M) & (E > 0)
    Es = np.where(inside, E, 1.0)
    Ers = np.where(inside, Er, 1.0)
    c0, c1, c2 = moment_coefficients(Ers, M)
    val = moment_prefactor(mu) * (c0 + c1 / Es + c2 / (Es * Es))
    return np.where(inside, np.maximum(val, 0.0), 0.0)


def sm_couplings(flavour: str, s2w: float | None = None) -> tuple[float, float]:
    r"""Effective :math:`(g_L, g_R)` of :math:`\nu_\alpha e` scattering (tree level, docs/theory.md §d.1).

    ``flavour`` in ``"e" | "mu" | "tau"``; ``s2w`` defaults to ``parameters.value("s2w")``.
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown neutrino flavour {flavour!r}; allowed: e, mu, tau")
    sw2 = value("s2w") if s2w is None else float(s2w)
    gL = (0.5 if flavour == "e" else -0.5) + sw2
    return gL, sw2


def sm_prefactor() -> float:
    r""":math:`2G_F^2 m_e/\pi` in GeV^-3."""
    return 2.0 * value("G_F") ** 2 * value("m_e") / math.pi


def sm_coefficients(E_r: ArrayLike, flavour: str,
                    s2w: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Coefficients with :math:`d\sigma_{\rm SM}/dE_r = (2G_F^2m_e/\pi)\sum_n c_n E_\nu^{-n}`.

    :math:`c_0 = g_L^2 + g_R^2`, :math:`c_1 = -2g_R^2E_r`, :math:`c_2 = g_R^2E_r^2 - g_Lg_Rm_eE_r`.
    """
    gL, gR = sm_couplings(flavour, s2w)
    Er = np.asarray(E_r, dtype=float)
    m = value("m_e")
    return np.full_like(Er, gL * gL + gR * gR), -2.0 * gR * gR * Er, gR * gR * Er * Er - gL * gR * m * Er


def dsigma_dEr_sm(E_nu: ArrayLike, E_r: ArrayLike, flavour: str, s2w: float | None = None) -> np.ndarray:
    r"""Standard-Model :math:`d\sigma/dE_r(\nu_\alpha e\to\nu_\alpha e)` in GeV^-3 (0 outside the region)."""
    E, Er = np.broadcast_arrays(np.asarray(E_nu, dtype=float), np.asarray(E_r, dtype=float))
    inside = in_physical_region(E, Er, 0.0) & (E > 0)
    Es = np.where(inside, E, 1.0)
    Ers = np.where(inside, Er, 1.0)
    c0, c1, c2 = sm_coefficients(Ers, flavour, s2w)
    val = sm_prefactor() * (c0 + c1 / Es + c2 / (Es * Es))
    return np.where(inside, val, 0.0)
