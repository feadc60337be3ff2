r"""Dated, sourced limits on the active–sterile transition magnetic moment :math:`|\mu_{\alpha N}|` [mu_B].

Data: ``observables/data/limits/limits.yaml`` (scalar limits for light N, each with source, date, CL and
verification status) and the digitised dipole-portal curves of ``observables/data/limits/dipole_portal/``
(mhostert/Heavy-Neutrino-Limits, arXiv:2105.09699; see its SOURCES.md).

Conventions (docs/theory.md §a.1, §f.5): every number returned is :math:`\mu` of
:math:`\mathcal{L} = (\mu/2)\,\bar\nu_L\sigma^{\mu\nu}N_R F_{\mu\nu} + {\rm h.c.}` in Bohr magnetons. Curves given
in the dipole coefficient :math:`d` [GeV^-1] of :math:`\mathcal{L} = d\,\bar\nu_L\sigma^{\mu\nu}N_R F_{\mu\nu}`
are converted with :math:`\mu = 2d`, :math:`\mu/\mu_B = 2d/\mu_B` and :math:`\mu_B = e/(2m_e)` =
``observables.parameters.bohr_magneton()`` (296.30 GeV^-1).

>>> round(d_to_mu_muB(1.0), 7)   # d = 1 GeV^-1 -> mu = 2/296.304 mu_B
0.0067498
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from importlib import resources

import numpy as np
from numpy.typing import NDArray

from observables.package_yaml import load_yaml
from observables.parameters import bohr_magneton

__all__ = ["Limit", "limits", "curve", "d_to_mu_muB", "LIMIT_LEPTONS", "LIMIT_KINDS", "COMBINATIONS"]

LIMIT_LEPTONS: tuple[str, ...] = ("e", "mu", "tau", "all")
#: where a bound comes from (``kind`` in limits.yaml): kept apart by the scan (strongest laboratory limit
#: vs strongest of all)
LIMIT_KINDS: tuple[str, ...] = ("laboratory", "astrophysical", "cosmological")
#: which combination of the moments mu_aN a number bounds (:attr:`Limit.combination`), from ``flavours``:
#: "flavour" (the moment of the flavour asked for), "quadrature" (sqrt(sum_a |mu_aN|^2), stellar plasmon
#: decay and N_eff: ``all_quadrature``), "solar_effective" (sum_a P_ea |mu_aN|^2 of solar nu-e scattering)
COMBINATIONS: tuple[str, ...] = ("flavour", "quadrature", "solar_effective")


def d_to_mu_muB(d_GeV_inv: float | NDArray[np.float64]) -> float | NDArray[np.float64]:
    r"""Convert a dipole coefficient :math:`d` [GeV^-1] (d = mu/2, Hostert/DarkNews convention) to
    :math:`\mu/\mu_B = 2d/\mu_B`."""
    return 2.0 * np.asarray(d_GeV_inv, dtype=float) / bohr_magneton() if np.ndim(d_GeV_inv) else \
        2.0 * float(d_GeV_inv) / bohr_magneton()


@dataclass(frozen=True)
class Limit:
    """One limit on |mu_alpha N| at a given M_N.

    ``upper_muB``: moments above it are excluded (None when not applicable at this M_N); ``excluded_up_to_muB``:
    upper edge of the excluded band when the source has one (else None: excluded for all larger moments within
    the plotted range); ``cl``: confidence level; ``applicable``: whether the number applies to this lepton and
    M_N; ``convention``: how the source's number was converted (prose, for people); ``status``: verification
    status of the number. Typed fields for code: ``kind`` (one of :data:`LIMIT_KINDS`) and ``combination``
    (one of :data:`COMBINATIONS`: which combination of the moments ``upper_muB`` bounds).
    """

    name: str
    upper_muB: float | None
    cl: float
    source: str
    date: str
    convention: str
    applicable: bool
    status: str = ""
    excluded_up_to_muB: float | None = None
    note: str = ""
    kind: str = "laboratory"
    combination: str = "flavour"

    def __post_init__(self) -> None:
        if self.kind not in LIMIT_KINDS:
            raise ValueError(f"limit {self.name!r}: kind must be one of {', '.join(LIMIT_KINDS)}, got {self.kind!r}")
        if self.combination not in COMBINATIONS:
            raise ValueError(f"limit {self.name!r}: combination must be one of {', '.join(COMBINATIONS)}, "
                             f"got {self.combination!r}")


@lru_cache(maxsize=1)
def _data() -> dict:
    root = resources.files("observables").joinpath("data/limits")
    return load_yaml(root.joinpath("limits.yaml").read_text(encoding="utf-8"))


@cache
def _polyline(file: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    text = resources.files("observables").joinpath("data/limits", file).read_text(encoding="utf-8")
    rows = [list(map(float, ln.split()[:2])) for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    a = np.asarray(rows)
    return a[:, 0], a[:, 1]


def _crossings(x: NDArray[np.float64], y: NDArray[np.float64], x0: float) -> NDArray[np.float64]:
    """y values where the polyline (log-log) crosses the vertical line x = x0."""
    lx, ly, l0 = np.log(x), np.log(y), math.log(x0)
    a, b = lx[:-1], lx[1:]
    hit = ((a - l0) * (b - l0) <= 0) & (a != b)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (l0 - a[hit]) / (b[hit] - a[hit])
    return np.exp(ly[:-1][hit] + t * (ly[1:][hit] - ly[:-1][hit]))


def _mass_in_file_unit(M_N_keV: float, unit: str) -> float:
    return M_N_keV * {"keV": 1.0, "MeV": 1e-3, "GeV": 1e-6}[unit]


def curve(name: str) -> dict:
    """The digitised curve ``name`` converted to (M_N [keV], mu [mu_B]) arrays: {"M_N_keV", "mu_muB",
    and optionally "top_M_N_keV", "top_mu_muB"}, plus the metadata of limits.yaml."""
    for c in _data()["curves"]:
        if c["name"] == name:
            break
    else:
        raise KeyError(f"unknown curve {name!r}; known: {', '.join(c['name'] for c in _data()['curves'])}")
    scale = {"keV": 1.0, "MeV": 1e3, "GeV": 1e6}[c["mass_unit"]]
    conv = (lambda v: v) if c["quantity"] == "mu_muB" else d_to_mu_muB
    x, y = _polyline(c["file"])
    out = dict(c, M_N_keV=x * scale, mu_muB=conv(y))
    if "top_file" in c:
        xt, yt = _polyline(c["top_file"])
        out.update(top_M_N_keV=xt * scale, top_mu_muB=conv(yt))
    return out


def _scalar_limits(lepton: str, M_N_keV: float) -> list[Limit]:
    out = []
    for e in _data()["limits"]:
        fl = e["flavours"]
        value = float(e["upper_muB"])
        combination = {"solar_effective": "solar_effective", "all_quadrature": "quadrature"}.get(fl, "flavour")
        if fl == "solar_effective":
            ok = lepton == "all"
            conv = ("solar effective moment mu_eff^2 = sum_a P_ea |mu_aN|^2; equals mu for lepton 'all'; for a single "
                    "flavour use observables.neutrino.fit.fit_moment")
        elif fl == "all_quadrature":
            ok = True
            k = 3 if lepton == "all" else 1
            value = value / math.sqrt(k)
            conv = ("bound on sqrt(sum_a |mu_aN|^2) (plasmon decay / thermalisation; a nu_L-N_R transition moment "
                    "counts like a Dirac diagonal moment)" + ("; divided by sqrt(3) for 'all'" if k == 3 else ""))
        else:
            ok = lepton == fl
            conv = f"moment of nu_{fl} only (no conversion)"
        ok = ok and M_N_keV <= float(e["max_M_N_keV"])
        out.append(Limit(
            name=e["name"], upper_muB=value if ok else None, cl=float(e["cl"]), source=e["source"],
            date=str(e["date"]), convention=conv + f"; valid for M_N <= {e['max_M_N_keV']} keV",
            applicable=ok, status=e.get("status", ""), note=e.get("note", ""), kind=e["kind"],
            combination=combination,
        ))
    return out


def _curve_value_muB(v: float, quantity: str) -> float:
    """A value read off a digitised curve, in mu_B: as it is for ``quantity`` mu_muB, else d [GeV^-1]
    converted (:func:`d_to_mu_muB`)."""
    return float(v) if quantity == "mu_muB" else float(d_to_mu_muB(float(v)))


def _curve_limits(lepton: str, M_N_keV: float) -> list[Limit]:
    out = []
    for c in _data()["curves"]:
        x, y = _polyline(c["file"])
        x0 = _mass_in_file_unit(M_N_keV, c["mass_unit"])
        conv_f = partial(_curve_value_muB, quantity=c["quantity"])
        convention = ("digitised curve in mu/mu_B (no conversion)" if c["quantity"] == "mu_muB"
                      else "digitised curve in d [GeV^-1]; mu/mu_B = 2 d / mu_B")
        lo = hi = None
        if M_N_keV > 0:
            cr = _crossings(x, y, x0)
            if "top_file" in c:
                xt, yt = _polyline(c["top_file"])
                top = _crossings(xt, yt, x0)
                if cr.size and top.size:
                    lo, hi = conv_f(cr.min()), conv_f(top.max())
            elif c.get("polygon") == "complement":
                cr = np.sort(cr)
                if cr.size >= 2 and cr[1] < 0.99 * y.max():
                    lo = conv_f(cr[1])
                    hi = conv_f(cr[2]) if cr.size >= 3 and cr[2] < 0.99 * y.max() else None
            elif cr.size:
                lo = conv_f(cr.min())
                hi = conv_f(cr.max()) if cr.size >= 2 and cr.max() > cr.min() * 1.0001 else None
        ok = lo is not None and lepton in c["flavours"]
        out.append(Limit(
            name=c["name"], upper_muB=lo if ok else None, cl=float(c["cl"]), source=c["source"], date=str(c["date"]),
            convention=convention + f"; flavours assumed by the source: {', '.join(c['flavours'])}",
            applicable=ok, status="source (digitised curve)", excluded_up_to_muB=hi if ok else None,
            kind=c["kind"], combination="flavour",
        ))
    return out


def limits(lepton: str, M_N_keV: float) -> list[Limit]:
    """All shipped limits on |mu_alpha N| for ``lepton`` ("e", "mu", "tau" or "all" = the same moment in every
    flavour) at sterile mass ``M_N_keV`` [keV]; entries that do not apply have ``applicable=False`` and
    ``upper_muB=None``.

    >>> [l.upper_muB for l in limits("all", 0.0) if l.name.startswith("LZ")]
    [1.1e-11]
    """
    lep = str(lepton).strip().lower()
    if lep not in LIMIT_LEPTONS:
        raise KeyError(f"unknown lepton {lepton!r}; allowed: {', '.join(LIMIT_LEPTONS)}")
    m = float(M_N_keV)
    if not math.isfinite(m) or m < 0:
        raise ValueError(f"M_N must be a finite mass >= 0 in keV, got {M_N_keV!r}")
    return _scalar_limits(lep, m) + _curve_limits(lep, m)
