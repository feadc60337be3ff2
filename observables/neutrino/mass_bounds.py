r"""Bounds on light-neutrino masses and on active–sterile mixing, as functions of what a model predicts.

Data: ``observables/data/neutrino_mass/bounds.yaml`` (sources, CL, verification status in that folder's
SOURCES.md), loaded with :mod:`importlib.resources`; the oscillation splittings from NuFIT 6.0
(:func:`observables.neutrino.oscillations.oscillation_parameters`, arXiv:2410.05380). Units: eV.

LIGHT-MASS BOUNDS. A model that generates ONE light mass :math:`m` (e.g. a single right-handed neutrino,
whose neutral mass matrix has rank 2) needs the other light masses from elsewhere; the oscillation
splittings then fix them. :func:`max_single_light_mass_eV` returns the largest :math:`m` that is compatible
with the bound for *some* place of :math:`m` in the spectrum (the least constraining one: the heaviest
state when :math:`m^2 \ge |\Delta m^2_{3l}|`, and so on), i.e. the minimal
:math:`\Sigma m_\nu(m) = \min_i \Sigma m_\nu(m_i = m)` must not exceed the Σ bound. For NO with
:math:`m = m_3`: :math:`\Sigma = m + \sqrt{m^2-\Delta m^2_{31}} + \sqrt{m^2-\Delta m^2_{31}+\Delta m^2_{21}}`
(:func:`minimal_sum_eV`). For the KATRIN :math:`m_\beta` bound the mass itself is bounded,
:math:`m \le m_\beta^{\max}` (the quasi-degenerate regime, where :math:`m_\beta \simeq m_i` for all i; for a
light state with small electron content this is conservative in the sense of excluding more). ``custom``
bounds (``LightMassBound(kind="m_light")``) bound :math:`m` directly.

MIXING BOUNDS. :func:`mixing_upper_bound` gives, per lepton flavour and M_N, the strongest tabulated
:math:`|U_{\alpha N}|^2` limit that applies (``inf`` where none does); each row is one number over its
mass range (coarse, see SOURCES.md).

>>> round(max_single_light_mass_eV("planck2018"), 4)   # as m_3 of NO (m_1 = 0.0301, m_2 = 0.0314 eV)
0.0585
>>> b = light_mass_bound("katrin2024"); (b.kind, b.value_eV, b.cl)
('m_beta', 0.45, 0.9)
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from observables.package_yaml import load_yaml

__all__ = [
    "LightMassBound", "MixingBound", "light_mass_bounds", "light_mass_bound", "DEFAULT_LIGHT_MASS_BOUND",
    "minimal_sum_eV", "max_single_light_mass_eV", "mixing_bounds", "mixing_upper_bound", "ORDERINGS",
]

ORDERINGS = ("NO", "IO")
_KINDS = ("sum", "m_beta", "m_light")


@dataclass(frozen=True)
class LightMassBound:
    """An upper bound on the light-neutrino mass scale: ``kind`` "sum" (Σm_i), "m_beta" (KATRIN) or
    "m_light" (one light mass directly, e.g. a user's choice); ``value_eV`` in eV; ``cl`` in (0, 1]."""

    name: str
    kind: str
    value_eV: float
    cl: float | None = None
    label: str = ""
    source: str = ""
    verified: str = ""

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown light-mass bound kind {self.kind!r}; allowed: {', '.join(_KINDS)}")
        if not (isinstance(self.value_eV, (int, float)) and math.isfinite(self.value_eV) and self.value_eV > 0):
            raise ValueError(f"light-mass bound {self.name!r}: value_eV must be a positive number (eV); "
                             f"got {self.value_eV!r}")

    def describe(self) -> str:
        """One line: label, the inequality, CL."""
        what = {"sum": "sum m_nu", "m_beta": "m_beta", "m_light": "m_nu"}[self.kind]
        cl = f", {self.cl:.0%} CL" if self.cl else ""
        return f"{self.label or self.name} ({what} < {self.value_eV:g} eV{cl})"


@dataclass(frozen=True)
class MixingBound:
    """``|U_{lepton N}|^2 < U2_max`` for ``M_min_eV <= M_N <= M_max_eV`` (eV)."""

    name: str
    lepton: str
    M_min_eV: float
    M_max_eV: float
    U2_max: float
    cl: float
    source: str


@functools.lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:

    text = resources.files("observables").joinpath("data/neutrino_mass/bounds.yaml").read_text(encoding="utf-8")
    return load_yaml(text)


def light_mass_bounds() -> dict[str, LightMassBound]:
    """All tabulated light-mass bounds, name -> :class:`LightMassBound`."""
    return {k: LightMassBound(name=k, kind=v["kind"], value_eV=float(v["value_eV"]), cl=float(v["cl"]),
                              label=v.get("label", ""), source=v.get("source", ""), verified=str(v.get("verified", "")))
            for k, v in _raw()["light_mass"].items()}


#: the bound used when none is chosen: Planck 2018 (the most robust cosmological one; docs/neutrino_mass.md)
DEFAULT_LIGHT_MASS_BOUND: str = "planck2018"


def light_mass_bound(bound: str | LightMassBound | float | None = None) -> LightMassBound:
    """A bound by name (``None``: the default), a :class:`LightMassBound` as is, or a number = a custom bound
    on one light mass in eV. Unknown names raise ``KeyError`` listing the allowed ones."""
    if bound is None:
        bound = _raw().get("default_light_mass_bound", DEFAULT_LIGHT_MASS_BOUND)
    if isinstance(bound, LightMassBound):
        return bound
    if isinstance(bound, (int, float)) and not isinstance(bound, bool):
        return LightMassBound(name="custom", kind="m_light", value_eV=float(bound), label="custom")
    table = light_mass_bounds()
    if bound not in table:
        raise KeyError(f"unknown light-mass bound {bound!r}; allowed: {', '.join(table)} or a number (eV)")
    return table[bound]


def _splittings(ordering: str) -> tuple[float, float]:
    """(Δm²_21, |Δm²_3l|) in eV² (NuFIT 6.0)."""
    if ordering not in ORDERINGS:
        raise ValueError(f"unknown ordering {ordering!r}; allowed: {', '.join(ORDERINGS)}")
    from observables.neutrino.oscillations import oscillation_parameters

    p = oscillation_parameters(ordering=ordering)
    if ordering == "NO":
        return p.dm2_21, p.dm2_31
    return p.dm2_21, abs(p.dm2_31 - p.dm2_21)  # IO: |dm2_32|


def _spectra(m: np.ndarray, ordering: str) -> list[np.ndarray]:
    """Σm_ν for each place of the mass ``m`` in the spectrum (NaN where that place is impossible)."""
    d21, d3 = _splittings(ordering)
    m2 = m * m
    with np.errstate(invalid="ignore"):
        if ordering == "NO":   # m1 < m2 < m3; m2^2 = m1^2 + d21, m3^2 = m1^2 + d3
            lightest = [m2, m2 - d21, m2 - d3]
        else:                  # m3 < m1 < m2; m1^2 = m3^2 + d3, m2^2 = m1^2 + d21
            lightest = [m2, m2 - d3, m2 - d3 - d21]
        out = []
        for l2 in lightest:
            l2 = np.where(l2 >= 0, l2, np.nan)
            if ordering == "NO":
                s = np.sqrt(l2) + np.sqrt(l2 + d21) + np.sqrt(l2 + d3)
            else:
                s = np.sqrt(l2) + np.sqrt(l2 + d3) + np.sqrt(l2 + d3 + d21)
            out.append(s)
    return out


def minimal_sum_eV(m_eV: ArrayLike, ordering: str = "NO") -> np.ndarray:
    """Smallest Σm_ν (eV) of a three-neutrino spectrum with the NuFIT 6.0 splittings that contains the mass
    ``m_eV`` (vectorised); see the module docstring.

    >>> float(minimal_sum_eV(0.0))   # m = 0 is the lightest state: the NO minimum sqrt(d21) + sqrt(d31)
    0.05878431...
    """
    m = np.asarray(m_eV, dtype=float)
    return np.fmin.reduce(np.stack(_spectra(m, ordering)), axis=0)


def max_single_light_mass_eV(bound: str | LightMassBound | float | None = None, ordering: str = "NO") -> float:
    """Largest single light mass (eV) compatible with ``bound`` (module docstring). Raises ``ValueError``
    when a Σ bound lies below the minimal Σm_ν of the ordering (then no spectrum satisfies it)."""
    b = light_mass_bound(bound)
    if b.kind != "sum":
        return b.value_eV
    floor = float(minimal_sum_eV(0.0, ordering))
    if b.value_eV <= floor:
        raise ValueError(f"{b.describe()} is below the minimal sum {floor:.4g} eV of the {ordering} ordering "
                         "(NuFIT 6.0): no spectrum satisfies it; choose another bound or ordering")
    # each placement's sum is increasing in m on its domain; the allowed set of m need not be an interval
    # (e.g. NO: m can be m_3 only above sqrt(dm2_31)), so take the largest m over the placements
    best = 0.0
    for place in range(3):
        def total(m: float, place: int = place) -> float:
            return float(_spectra(np.asarray(m), ordering)[place])
        lo = _domain_start(place, ordering)
        if not total(lo) <= b.value_eV:
            continue
        hi = b.value_eV
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if total(mid) <= b.value_eV:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-15 * hi:
                break
        best = max(best, lo)
    return best


def _domain_start(place: int, ordering: str) -> float:
    """Smallest mass the ``place``-th state (lightest to heaviest) can have (eV)."""
    d21, d3 = _splittings(ordering)
    offsets = [0.0, d21, d3] if ordering == "NO" else [0.0, d3, d3 + d21]
    return math.sqrt(offsets[place])


def mixing_bounds() -> list[MixingBound]:
    """The tabulated |U_αN|² limits (SOURCES.md)."""
    return [MixingBound(name=r["name"], lepton=r["lepton"], M_min_eV=float(r["M_min_eV"]),
                        M_max_eV=float(r["M_max_eV"]), U2_max=float(r["U2_max"]), cl=float(r["cl"]),
                        source=r["source"]) for r in _raw()["mixing"]]


def mixing_upper_bound(lepton: str, M_N_eV: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``(U2_max, name)``: the strongest tabulated |U_{lepton N}|² limit at each M_N (eV), vectorised;
    ``inf`` and ``""`` where none applies.

    >>> u, n = mixing_upper_bound("e", [1e3, 1e8]); u.tolist(), n.tolist()
    ([inf, 1e-08], ['', 'PIENU 2011 (pi -> e N peak search)'])
    """
    if lepton not in ("e", "mu", "tau"):
        raise ValueError(f"unknown lepton {lepton!r}; allowed: e, mu, tau")
    M = np.asarray(M_N_eV, dtype=float)
    best = np.full(M.shape, np.inf)
    name = np.full(M.shape, "", dtype=object)
    for b in mixing_bounds():
        if b.lepton != lepton:
            continue
        hit = (b.M_min_eV <= M) & (b.M_max_eV >= M) & (b.U2_max < best)
        best = np.where(hit, b.U2_max, best)
        name = np.where(hit, b.name, name)
    return best, name.astype(str)
