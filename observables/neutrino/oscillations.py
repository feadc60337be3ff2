r"""Flavour composition of solar neutrinos at the Earth: adiabatic MSW-LMA, day-time (no Earth matter).

A :math:`\nu_e` produced at radius :math:`r` in the Sun leaves it adiabatically in the mass eigenstate
:math:`\nu_i` with probability :math:`|U^m_{ei}(r)|^2` (matter mixing at the production point); the
mass eigenstates arrive incoherently (oscillations average out over the Sun–Earth distance and the
production region). Hence

.. math::
    P_{e\alpha}(E_\nu) = \sum_{i} \Big\langle |U^m_{ei}(r, E_\nu)|^2 \Big\rangle_{\rm prod}\,|U_{\alpha i}|^2 ,

with :math:`\langle\cdot\rangle` the average over the B16 production profile of each reaction and
:math:`U` the vacuum PMNS matrix (standard parametrisation, PDG). The matter angles use the usual
hierarchical (:math:`\Delta m^2_{21}\ll|\Delta m^2_{31}|`) approximation: with
:math:`V = \sqrt2 G_F n_e`,

.. math::
    \cos2\theta_{13}^m = \frac{\cos2\theta_{13} - \beta_{13}}{\sqrt{(\cos2\theta_{13}-\beta_{13})^2
    + \sin^22\theta_{13}}},\ \beta_{13} = \frac{2VE_\nu}{\Delta m^2_{31}};\qquad
    \cos2\theta_{12}^m = \frac{\cos2\theta_{12} - \beta_{12}}{\sqrt{(\cos2\theta_{12}-\beta_{12})^2
    + \sin^22\theta_{12}}},\ \beta_{12} = \frac{2VE_\nu\cos^2\theta^m_{13}}{\Delta m^2_{21}},

and :math:`|U^m_{e1}|^2 = \cos^2\theta^m_{13}\cos^2\theta^m_{12}`, :math:`|U^m_{e2}|^2 =
\cos^2\theta^m_{13}\sin^2\theta^m_{12}`, :math:`|U^m_{e3}|^2 = \sin^2\theta^m_{13}` (e.g. Gonzalez-Garcia
& Nir, RMP 75 (2003) 345; Bahcall & Peña-Garay, NJP 6 (2004) 63). So
:math:`P_{ee} = \langle c^{m2}_{13}(c^2_{12}c^{m2}_{12} + s^2_{12}s^{m2}_{12})\rangle c^2_{13}
+ \langle s^{m2}_{13}\rangle s^2_{13}`, which tends to :math:`c_{13}^4(1-\tfrac12\sin^22\theta_{12})
+ s^4_{13}` at low energy and to :math:`\approx c_{13}^4 s_{12}^2` for 8B. By construction
:math:`\sum_\alpha P_{e\alpha} = 1`; :math:`\mu`/:math:`\tau` are split by :math:`\theta_{23}` and
:math:`\delta_{CP}`.

Neglected: Earth-matter regeneration (night-time, ~3% day-night asymmetry for 8B), non-adiabatic
corrections (negligible for LMA), the neutrino-energy dependence of the production profile within a
reaction. Oscillation parameters: NuFIT 6.0 (``observables/data/oscillations/nufit60.yaml``).

Units: neutrino energies in **MeV** (as in :mod:`observables.neutrino.solar`).

>>> p = survival_probability_vacuum_average()
>>> round(p, 3)
0.549
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike

from observables.neutrino import solar
from observables.package_yaml import load_yaml
from observables.parameters import value

__all__ = ["OscillationParameters", "oscillation_parameters", "pmns_matrix", "matter_potential_eV",
           "mass_state_fractions", "flavour_probabilities", "survival_probability_vacuum_average"]


@dataclass(frozen=True)
class OscillationParameters:
    """Three-flavour oscillation parameters (angles in radians, mass splittings in eV^2)."""

    theta12: float
    theta13: float
    theta23: float
    delta_cp: float
    dm2_21: float
    dm2_31: float
    source: str


@cache
def oscillation_parameters(fit: str = "NuFIT-6.0", ordering: str = "NO") -> OscillationParameters:
    """Best-fit oscillation parameters of a global fit (only ``"NuFIT-6.0"`` shipped), ``ordering`` NO|IO."""
    if fit != "NuFIT-6.0":
        raise ValueError(f"unknown oscillation fit {fit!r}; allowed: NuFIT-6.0")
    text = resources.files("observables").joinpath("data/oscillations/nufit60.yaml").read_text(encoding="utf-8")
    raw = load_yaml(text)
    if ordering not in raw["orderings"]:
        raise ValueError(f"unknown mass ordering {ordering!r}; allowed: NO, IO")
    p = raw["orderings"][ordering]
    deg = math.pi / 180.0
    dm3l = float(p["dm2_3l_eV2"]["value"])
    dm21 = float(p["dm2_21_eV2"]["value"])
    dm31 = dm3l if ordering == "NO" else dm3l + dm21  # IO: dm2_3l = dm2_32
    return OscillationParameters(
        theta12=float(p["theta12_deg"]["value"]) * deg,
        theta13=float(p["theta13_deg"]["value"]) * deg,
        theta23=float(p["theta23_deg"]["value"]) * deg,
        delta_cp=float(p["deltaCP_deg"]["value"]) * deg,
        dm2_21=dm21,
        dm2_31=dm31,
        source=f"{raw['fit']} ({ordering}, with SK+IC atmospheric data): {raw['reference']}",
    )


def pmns_matrix(par: OscillationParameters | None = None) -> np.ndarray:
    """Vacuum PMNS matrix U[alpha, i] (rows e, mu, tau), PDG standard parametrisation (Majorana phases dropped)."""
    p = par or oscillation_parameters()
    s12, c12 = math.sin(p.theta12), math.cos(p.theta12)
    s13, c13 = math.sin(p.theta13), math.cos(p.theta13)
    s23, c23 = math.sin(p.theta23), math.cos(p.theta23)
    ed = np.exp(1j * p.delta_cp)
    return np.array([
        [c12 * c13, s12 * c13, s13 / ed],
        [-s12 * c23 - c12 * s23 * s13 * ed, c12 * c23 - s12 * s23 * s13 * ed, s23 * c13],
        [s12 * s23 - c12 * c23 * s13 * ed, -c12 * s23 - s12 * c23 * s13 * ed, c23 * c13],
    ])


def matter_potential_eV(n_e_NA: ArrayLike) -> np.ndarray:
    r""":math:`V = \sqrt2 G_F n_e` in eV for an electron density in units of N_A cm^-3.

    >>> round(float(matter_potential_eV(100.0)) * 1e12, 2)   # solar core, ~7.6e-12 eV
    7.63
    """
    hbarc_GeV_cm = math.sqrt(value("hbarc2"))
    n_GeV3 = np.asarray(n_e_NA, dtype=float) * value("N_A") * hbarc_GeV_cm**3
    return math.sqrt(2.0) * value("G_F") * n_GeV3 * 1e9


def _mixing_in_matter(cos2: float, sin2_2: float, beta: np.ndarray) -> np.ndarray:
    x = cos2 - beta
    return x / np.sqrt(x * x + sin2_2)


def mass_state_fractions(E_MeV: ArrayLike, V_eV: ArrayLike, par: OscillationParameters | None = None) -> np.ndarray:
    r""":math:`|U^m_{ei}|^2` (i = 1, 2, 3; leading axis) for energy ``E_MeV`` and potential ``V_eV`` (broadcast)."""
    p = par or oscillation_parameters()
    E, V = np.broadcast_arrays(np.asarray(E_MeV, dtype=float) * 1e6, np.asarray(V_eV, dtype=float))
    c2_13 = _mixing_in_matter(math.cos(2 * p.theta13), math.sin(2 * p.theta13) ** 2, 2.0 * V * E / p.dm2_31)
    cos2_13m = 0.5 * (1.0 + c2_13)
    c2_12 = _mixing_in_matter(math.cos(2 * p.theta12), math.sin(2 * p.theta12) ** 2, 2.0 * V * E * cos2_13m / p.dm2_21)
    return np.stack([cos2_13m * 0.5 * (1.0 + c2_12), cos2_13m * 0.5 * (1.0 - c2_12), 1.0 - cos2_13m])


def flavour_probabilities(E_MeV: ArrayLike, reaction: str, ssm: str = "B16-GS98", *,
                          par: OscillationParameters | None = None) -> np.ndarray:
    r""":math:`P_{e\alpha}(E_\nu)` for alpha = e, mu, tau (leading axis, shape (3, *E.shape)).

    ``reaction`` selects the production profile (``"pp", "pep", "hep", "7Be", "8B", "13N", "15O",
    "17F"``; a component name such as ``"7Be_862"`` is mapped to its reaction). Energies in MeV.

    >>> P = flavour_probabilities([0.2, 10.0], "8B")
    >>> bool(np.allclose(P.sum(axis=0), 1.0))
    True
    """
    if reaction in solar.COMPONENTS:
        reaction = solar.component(reaction).reaction
    p = par or oscillation_parameters()
    _, w = solar.production_profile(reaction, ssm)
    _, ne = solar.solar_profile(ssm)
    keep = w > 0
    V = matter_potential_eV(ne[keep])
    E = np.asarray(E_MeV, dtype=float)
    flat = E.reshape(-1)
    out = np.empty((3, flat.size))
    chunk = max(1, 400_000 // max(1, keep.sum()))
    for s in range(0, flat.size, chunk):
        f = mass_state_fractions(flat[s:s + chunk, None], V[None, :], p)  # (3, nE, nr)
        out[:, s:s + chunk] = f @ w[keep]
    U2 = np.abs(pmns_matrix(p)) ** 2  # [alpha, i]
    return (U2 @ out).reshape((3,) + E.shape)


def survival_probability_vacuum_average(par: OscillationParameters | None = None) -> float:
    r"""Low-energy (vacuum-averaged) limit :math:`c_{13}^4(1-\tfrac12\sin^22\theta_{12}) + s_{13}^4`."""
    p = par or oscillation_parameters()
    c13, s13 = math.cos(p.theta13), math.sin(p.theta13)
    return c13**4 * (1 - 0.5 * math.sin(2 * p.theta12) ** 2) + s13**4
