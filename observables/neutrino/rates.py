r"""Electron-recoil spectra of solar neutrinos in xenon: transition magnetic moment and Standard Model.

.. math::
    \frac{dR_\alpha}{dE_r} = N_{e,\rm eff}(E_r)\sum_{\rm sources}\int_{E_\nu^{\min}(E_r, M_N)} dE_\nu\,
    \frac{d\Phi}{dE_\nu}\,P_{e\alpha}(E_\nu)\,\frac{d\sigma}{dE_r}\Big|_{\mu = \mu_{\alpha N}}

(docs/theory.md §d.1, §d.4). Ingredients: B16 fluxes and spectra (:mod:`~observables.neutrino.solar`),
day-time adiabatic MSW-LMA flavour probabilities with the B16 production profiles
(:mod:`~observables.neutrino.oscillations`), the free-electron cross sections with full :math:`M_N`
dependence (:mod:`~observables.neutrino.cross_sections`), and the step approximation for xenon
(:mod:`~observables.neutrino.xenon`): :math:`N_{e,\rm eff} = (10^6\,{\rm g}\,N_A/M_{\rm Xe})\,Z_{\rm eff}(E_r)`
per tonne, :math:`M_{\rm Xe} = 131.293` g/mol. No detector effects (efficiency, resolution) here.

**Method (exact in M_N, fast).** Both cross sections are quadratic polynomials in :math:`1/E_\nu`,
:math:`d\sigma/dE_r = \sum_{n=0}^2 c_n(E_r, M_N)\,E_\nu^{-n}`, and :math:`M_N` enters the lower
integration limit only through :math:`E_\nu^{\min}(E_r, M_N)`. So the rate is
:math:`\sum_n c_n(E_r, M_N)\,T_{\alpha n}(E_\nu^{\min})` with the *M_N-independent* tail integrals
:math:`T_{\alpha n}(x) = \int_x^\infty dE\,\Phi'(E)P_{e\alpha}(E)E^{-n}`, tabulated once per solar model
(trapezoid rule on a fine grid; the partial first interval is integrated exactly for the linearly
interpolated integrand). Lines contribute :math:`\Phi P_{e\alpha}(E_0)E_0^{-n}\,\theta(E_0 - x)`.
A call costs ~1 ms for 100 energies after the first (per-``ssm`` tables take ~0.3 s to build).

Units: recoil energies and M_N in **keV**; spectra in **events / (tonne year keV)**, year = Julian year
(365.25 d). Flavour axis order: e, mu, tau.

>>> import numpy as np
>>> r = unit_spectra(np.array([2.0]), 0.0)
>>> bool(4.0 < float(r.sum()) < 6.0)    # ~5 events/(t yr keV) at 2 keV for 1e-11 mu_B in every flavour
True
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from observables.neutrino import oscillations, solar, xenon
from observables.neutrino.cross_sections import (
    FLAVOURS,
    moment_coefficients,
    moment_prefactor,
    sm_coefficients,
    sm_prefactor,
)
from observables.neutrino.kinematics import min_neutrino_energy
from observables.parameters import value

__all__ = ["UNIT_MOMENT_MUB", "SECONDS_PER_YEAR", "unit_spectra", "sm_spectrum", "spectra_by_source",
           "moment_spectrum"]

#: the reference moment of :func:`unit_spectra`, in Bohr magnetons
UNIT_MOMENT_MUB: float = 1e-11
#: Julian year in seconds (IAU definition, 365.25 d), the "year" of events / (tonne year keV)
SECONDS_PER_YEAR: float = 365.25 * 86400.0

_GRID_POINTS = 4000  # points per continuous component (tail-integral tables)


@dataclass(frozen=True)
class _Continuum:
    name: str
    E: np.ndarray       # GeV, ascending
    g: np.ndarray       # (3, nE): dPhi/dE * P_ea in cm^-2 s^-1 GeV^-1
    tails: np.ndarray   # (3, 3, nE): [alpha, n, k] = int_{E_k} g_alpha E^-n dE


@dataclass(frozen=True)
class _Line:
    name: str
    E0: float           # GeV
    w: np.ndarray       # (3,): Phi * P_ea(E0) in cm^-2 s^-1


def _check_ssm(ssm: str) -> None:
    if ssm not in solar.SSMS:
        raise ValueError(f"unknown solar model ssm={ssm!r}; allowed: {', '.join(solar.SSMS)}")


@lru_cache(maxsize=4)
def _tables(ssm: str) -> tuple[_Continuum | _Line, ...]:
    _check_ssm(ssm)
    out: list[_Continuum | _Line] = []
    for name in solar.COMPONENTS:
        c = solar.component(name)
        if c.kind == "line":
            assert c.line_MeV is not None  # a line component has its energy
            P = oscillations.flavour_probabilities(np.array([c.line_MeV]), c.reaction, ssm)[:, 0]
            out.append(_Line(name, c.line_MeV * 1e-3, solar.flux(name, ssm) * P))
            continue
        Et = c.energies_MeV
        assert Et is not None  # a continuous component has its table
        E_MeV = np.union1d(Et, np.linspace(Et[0], Et[-1], _GRID_POINTS))
        # the 8B table starts at E = 0 where its shape vanishes: move that node to 1 eV (E^-n finite)
        E_MeV = np.unique(np.maximum(E_MeV, 1e-6))
        phi = solar.spectrum(name, E_MeV, ssm) * 1e3  # per GeV
        P = oscillations.flavour_probabilities(E_MeV, c.reaction, ssm)
        E = E_MeV * 1e-3
        g = phi[None, :] * P
        tails = np.zeros((3, 3, E.size))
        for n in range(3):
            h = g * E[None, :] ** (-n)
            seg = 0.5 * (h[:, 1:] + h[:, :-1]) * np.diff(E)[None, :]
            tails[:, n, :-1] = np.cumsum(seg[:, ::-1], axis=1)[:, ::-1]
        for arr in (E, g, tails):
            arr.setflags(write=False)
        out.append(_Continuum(name, E, g, tails))
    return tuple(out)


def _tail_integrals(comp: _Continuum | _Line, x: np.ndarray) -> np.ndarray:
    """T[alpha, n, j] = int_{x_j}^inf g_alpha(E) E^-n dE for lower limits x (GeV), shape (3, 3, nx)."""
    if isinstance(comp, _Line):
        on = (x <= comp.E0).astype(float)
        powers = np.array([1.0, comp.E0**-1, comp.E0**-2])
        return comp.w[:, None, None] * powers[None, :, None] * on[None, None, :]
    E, g, tails = comp.E, comp.g, comp.tails
    k = np.searchsorted(E, x, side="left")           # first grid point >= x
    inside = (k > 0) & (k < E.size)
    below = k == 0
    kk = np.clip(k, 1, E.size - 1)
    xs = np.where(inside, x, E[kk])
    t = (xs - E[kk - 1]) / (E[kk] - E[kk - 1])
    gx = g[:, kk - 1] * (1 - t) + g[:, kk] * t        # (3, nx) linear interpolation at x
    res = np.empty((3, 3, x.size))
    for n in range(3):
        hx = gx * xs ** (-n)
        hk = g[:, kk] * E[kk] ** (-n)
        partial = 0.5 * (hx + hk) * (E[kk] - xs)
        val = tails[:, n, kk] + partial
        val = np.where(inside[None, :], val, 0.0)
        val = np.where(below[None, :], tails[:, n, 0][:, None], val)
        res[:, n, :] = val
    return res


def _prepare(E_r_keV: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    E = np.asarray(E_r_keV, dtype=float)
    if E.ndim > 1:
        raise ValueError("E_r_keV must be a scalar or a 1-d array of recoil energies in keV")
    flat = np.atleast_1d(E)
    if not np.all(np.isfinite(flat)) or np.any(flat <= 0):
        raise ValueError("recoil energies E_r_keV must be finite and > 0 (keV)")
    return flat, E


def _normalisation(E_r_keV: np.ndarray) -> np.ndarray:
    """(target electrons per tonne) * (seconds per year) * (hbar c)^2 [cm^2 GeV^2] * 1e-6 [GeV/keV]."""
    return xenon.electrons_per_tonne(E_r_keV) * SECONDS_PER_YEAR * value("hbarc2") * 1e-6


def spectra_by_source(E_r_keV: ArrayLike, M_N_keV: float = 0.0, ssm: str = "B16-GS98") -> dict[str, np.ndarray]:
    r"""Magnetic-moment spectra per solar component: name -> (3, nE) in events/(t yr keV), |mu| = 1e-11 mu_B.

    Same conventions as :func:`unit_spectra` (whose result is the sum over components).
    """
    flat, _ = _prepare(E_r_keV)
    M = float(M_N_keV)
    if not np.isfinite(M) or M < 0:
        raise ValueError(f"M_N_keV must be finite and >= 0 (got {M_N_keV!r})")
    Er = flat * 1e-6
    MN = M * 1e-6
    x = min_neutrino_energy(Er, MN)
    c = np.stack(moment_coefficients(Er, MN))                     # (3 powers, nE)
    norm = moment_prefactor(UNIT_MOMENT_MUB) * _normalisation(flat)  # (nE,)
    out = {}
    for comp in _tables(ssm):
        T = _tail_integrals(comp, x)                                # (3 flav, 3 powers, nE)
        out[comp.name] = np.maximum(np.einsum("anj,nj->aj", T, c), 0.0) * norm
    return out


def unit_spectra(E_r_keV: ArrayLike, M_N_keV: float, ssm: str = "B16-GS98") -> np.ndarray:
    r"""dR/dE_r (events / (tonne year keV)) in xenon for :math:`|\mu_{\alpha N}| = 10^{-11}\mu_B`, per flavour.

    Returns shape ``(3, nE)`` (flavour alpha = e, mu, tau; a scalar ``E_r_keV`` gives ``(3, 1)``). Each row
    is the spectrum when only :math:`\mu_{\alpha N}` is non-zero; the rate is quadratic and flavours add
    incoherently, so a general point gives :math:`\sum_\alpha (|\mu_{\alpha N}|/10^{-11}\mu_B)^2\,
    {\rm unit\_spectra}[\alpha]`. Free electrons + step-approximation binding, no detector effects.
    ``M_N_keV`` (>= 0): sterile-neutrino mass in keV; ``ssm``: ``"B16-GS98"`` | ``"B16-AGSS09"``.
    Normalisation: :math:`\mathcal L = (\mu/2)\bar\nu_L\sigma^{\mu\nu}N_RF_{\mu\nu}` + h.c. (docs/theory.md §a.1);
    for a Majorana N the same :math:`\mu` enters (the N is not observed).
    """
    comps = spectra_by_source(E_r_keV, M_N_keV, ssm)
    return np.sum(list(comps.values()), axis=0)


def moment_spectrum(E_r_keV: ArrayLike, mu_muB: ArrayLike, M_N_keV: float = 0.0, ssm: str = "B16-GS98") -> np.ndarray:
    r"""Total moment-induced spectrum (events/(t yr keV)) for moments ``mu_muB = (mu_e, mu_mu, mu_tau)`` in mu_B."""
    mu = np.abs(np.asarray(mu_muB, dtype=float))
    if mu.shape != (3,):
        raise ValueError("mu_muB must have three entries (|mu_eN|, |mu_muN|, |mu_tauN|) in Bohr magnetons")
    return np.einsum("a,aj->j", (mu / UNIT_MOMENT_MUB) ** 2, unit_spectra(E_r_keV, M_N_keV, ssm))


def sm_spectrum(E_r_keV: ArrayLike, ssm: str = "B16-GS98") -> np.ndarray:
    r"""Standard-Model solar-neutrino :math:`\nu e\to\nu e` spectrum in xenon, events / (tonne year keV).

    Shape ``(nE,)``. Sum over flavours of :math:`P_{e\alpha}\,d\sigma_\alpha/dE_r` (tree-level cross
    section of :mod:`~observables.neutrino.cross_sections`), step-approximation binding, no detector effects.
    """
    flat, _ = _prepare(E_r_keV)
    Er = flat * 1e-6
    x = min_neutrino_energy(Er, 0.0)
    coef = np.stack([np.stack(sm_coefficients(Er, f)) for f in FLAVOURS])  # (3 flav, 3 powers, nE)
    total = np.zeros(flat.size)
    for comp in _tables(ssm):
        T = _tail_integrals(comp, x)
        total += np.einsum("anj,anj->j", T, coef)
    return total * sm_prefactor() * _normalisation(flat)
