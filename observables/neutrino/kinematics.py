r"""Two-body kinematics of :math:`\nu(E_\nu) + e^-(\text{rest}) \to N(M_N) + e^-(m_e + E_r)`.

The incoming neutrino is massless, the electron is free and at rest, the outgoing sterile neutrino has
mass :math:`M_N` and the electron leaves with kinetic (recoil) energy :math:`E_r`.

Units: **GeV** for every energy and mass (inputs and outputs). Everything broadcasts over numpy arrays.

Source: docs/theory.md §d.1 [derived, checked numerically]; the closed forms below are re-derived here from
energy-momentum conservation and are tested against docs/theory.md's centre-of-mass formula
:math:`E_r^{\min,\max} = (E_1E_2 \mp p_1p_2 - m_e^2)/m_e` and against an explicit Lorentz boost.

Derivation used here (lab frame). With :math:`p' = \sqrt{E_r^2 + 2 m_e E_r}` the electron momentum and
:math:`\theta` its angle to the beam, energy and momentum conservation give

.. math::
    \cos\theta = \frac{2E_\nu E_r + 2 m_e E_r + M_N^2}{2 E_\nu p'} \le 1 ,

so a recoil :math:`E_r` is reachable iff

.. math::
    E_\nu \ge E_\nu^{\min}(E_r) = \frac{m_e E_r + M_N^2/2}{p' - E_r}.

Equivalently, for fixed :math:`E_\nu`, :math:`E_r` lies between the roots of
:math:`a E_r^2 - b E_r + c = 0` with :math:`a = m_e(2E_\nu + m_e)`,
:math:`b = 2 m_e E_\nu^2 - (E_\nu + m_e) M_N^2`, :math:`c = M_N^4/4`; the roots are evaluated in the
cancellation-free form :math:`E_r^{\max} = (b+\sqrt{D})/(2a)`, :math:`E_r^{\min} = 2c/(b+\sqrt{D})`,
:math:`D = b^2 - 4ac`. The threshold (:math:`D = 0`) is
:math:`E_\nu^{\rm thr} = M_N + M_N^2/(2 m_e)`.

>>> m_e = 0.51099895e-3
>>> lo, hi = recoil_range(400e-6, 0.0)            # massless N, 400 keV neutrino
>>> round(float(hi) * 1e6, 3), float(lo)          # E_r^max = 2 E^2 / (2E + m_e) in keV
(244.089, 0.0)
>>> round(float(recoil_range(300e-6, 100e-6)[0]) * 1e6, 3)   # docs/theory.md §d.1 table: 0.299 keV
0.299
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from observables.parameters import value

__all__ = ["threshold_energy", "recoil_range", "min_neutrino_energy", "in_physical_region"]


def _me() -> float:
    return value("m_e")


def threshold_energy(M_N: ArrayLike) -> np.ndarray:
    r"""Lowest neutrino energy (GeV) that can produce N of mass ``M_N`` (GeV) on an electron at rest.

    :math:`E_\nu^{\rm thr} = M_N + M_N^2/(2 m_e)` (docs/theory.md §d.1), i.e. :math:`s \ge (m_e + M_N)^2`.

    >>> round(float(threshold_energy(100e-6)) * 1e6, 4)   # keV
    109.7848
    """
    M = np.asarray(M_N, dtype=float)
    if np.any(M < 0):
        raise ValueError("M_N must be >= 0 (GeV)")
    return M + M**2 / (2.0 * _me())


def recoil_range(E_nu: ArrayLike, M_N: ArrayLike = 0.0) -> tuple[np.ndarray, np.ndarray]:
    r"""Kinematic limits :math:`(E_r^{\min}, E_r^{\max})` in GeV of the electron recoil energy.

    Inputs in GeV (broadcast). Below threshold (:math:`E_\nu < M_N + M_N^2/2m_e`) both limits are NaN.
    For :math:`M_N \ll E_\nu`: :math:`E_r^{\min} \approx M_N^4/(8 m_e E_\nu^2)`.
    """
    m = _me()
    E, M = np.broadcast_arrays(np.asarray(E_nu, dtype=float), np.asarray(M_N, dtype=float))
    if np.any(M < 0) or np.any(E < 0):
        raise ValueError("E_nu and M_N must be >= 0 (GeV)")
    a = m * (2.0 * E + m)
    b = 2.0 * m * E**2 - (E + m) * M**2
    c = 0.25 * M**4
    D = b * b - 4.0 * a * c
    ok = (D >= 0) & (b > 0) & (threshold_energy(M) * (1 - 1e-12) <= E)
    sq = np.sqrt(np.where(ok, np.maximum(D, 0.0), 0.0))
    denom = np.where(ok, b + sq, 1.0)
    lo = np.where(ok, 2.0 * c / denom, np.nan)
    hi = np.where(ok, denom / (2.0 * a), np.nan)
    return lo, hi


def min_neutrino_energy(E_r: ArrayLike, M_N: ArrayLike = 0.0) -> np.ndarray:
    r"""Smallest neutrino energy (GeV) that can give recoil ``E_r`` (GeV) while producing N of mass ``M_N``.

    :math:`E_\nu^{\min}(E_r) = (m_e E_r + M_N^2/2)/(\sqrt{E_r^2 + 2 m_e E_r} - E_r)` (derived in the module
    docstring). For :math:`M_N = 0` this is the familiar :math:`(E_r + \sqrt{E_r^2 + 2 m_e E_r})/2`.
    ``E_r <= 0`` gives ``inf``.

    >>> round(float(min_neutrino_energy(1e-6)) * 1e6, 3)   # 1 keV recoil, massless: keV
    16.492
    """
    m = _me()
    Er, M = np.broadcast_arrays(np.asarray(E_r, dtype=float), np.asarray(M_N, dtype=float))
    pos = Er > 0
    Ers = np.where(pos, Er, 1.0)
    p = np.sqrt(Ers * Ers + 2.0 * m * Ers)
    # p - E_r = 2 m E_r / (p + E_r): cancellation-free
    out = (m * Ers + 0.5 * M**2) * (p + Ers) / (2.0 * m * Ers)
    return np.where(pos, out, np.inf)


def in_physical_region(E_nu: ArrayLike, E_r: ArrayLike, M_N: ArrayLike = 0.0) -> np.ndarray:
    """True where (E_nu, E_r, M_N) (GeV) is kinematically allowed (closed region, E_r > 0)."""
    E = np.asarray(E_nu, dtype=float)
    return (np.asarray(E_r, dtype=float) > 0) & (min_neutrino_energy(E_r, M_N) * (1 - 1e-13) <= E)
