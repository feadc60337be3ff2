r"""Pair production of a scalar colour triplet at the 13 TeV LHC and the recast of published mass limits.

CROSS SECTION. :math:`\sigma(pp\to\phi\phi^*)` at :math:`\sqrt s = 13` TeV, NNLO\ :sub:`approx` + NNLL
(NNLL-fast; Beenakker, Borschensky, Krämer, Kulesza, Laenen et al., arXiv:1607.07741), squarks and gluinos
decoupled, PDF4LHC15 NNLO, from the LHC SUSY Cross Section Working Group (stop/sbottom table, 100–3000 GeV
in 5 GeV steps, symmetrised theory uncertainty); shipped as
``observables/data/collider/pp13_scalar_triplet_pair_NNLOapprox_NNLL.json`` (see that folder's
SOURCES.md). QCD pair production of a scalar triplet depends only on its mass, so the stop cross section is
the scalar-leptoquark one (t-channel lepton exchange, :math:`\propto y^2`, is neglected: it matters only for
couplings of order one to first-generation quarks). Between the tabulated masses :math:`\ln\sigma` (and
:math:`\ln\Delta\sigma`) is a cubic smoothing spline in :math:`m` (scipy ``UnivariateSpline``, k = 3,
weights 1/δ with δ = the rounding error of ln σ of the table's three-significant-digit entries,
δ = 10^(⌊log₁₀σ⌋−2)/(√12 σ), smoothing s = number of entries, i.e. χ² ≈ 1 per entry): the table's values
are rounded, so an interpolating curve follows the rounding (linear interpolation put ~1e-3 kinks into χ²(m)
every 5 GeV, enough to stop a free-mass fit from converging); the spline stays within one unit of the last
digit of every entry (tested) and its second derivative is smooth. The spline's cubic pieces are fitted once
by ``tools/build_pair_splines.py`` and shipped (``pp13_scalar_triplet_pair_splines.json``, used only for
the table it was fitted to; compared with a live fit in the tests), so evaluating them needs no scipy.
Outside 100–3000 GeV :func:`pair_cross_section` refuses (:class:`MassOutsideTableError`) unless
``outside="nan"``. Units: GeV, pb.

LIMITS. ``observables/data/collider/lq_pair_limits_<vintage>.yaml``: published 95% CL lower mass limits at
:math:`B = 1` per final state (:class:`PairLimit`), each with experiment, arXiv id, luminosity and the
assumption of the paper (:func:`pair_limits`).

RECAST (:func:`recast`). A search for the final state of decays :math:`(a, b)` of the pair sees
:math:`\sigma(m)\,B_{\rm eff}` with :math:`B_{\rm eff} = B_a B_b\,(2 \text{ if } a\ne b \text{ else } 1)`.
The published limit :math:`m_{\rm lim}` (at :math:`B = 1`) is turned into an excluded cross section
:math:`\sigma_{\rm UL} = \sigma(m_{\rm lim})` that is assumed FLAT in mass (between the recast limit and
:math:`m_{\rm lim}`; real upper limits usually rise towards lower masses, so the flat assumption slightly
over-excludes). A mass is excluded when :math:`\sigma(m) B_{\rm eff} > \sigma(m_{\rm lim})`; the recast limit
:math:`m_{\rm limit}(B)` solves :math:`\sigma(m) B_{\rm eff} = \sigma(m_{\rm lim})` (0 when
:math:`B_{\rm eff} = 0`; NaN when the solution would lie below the table, 100 GeV). Where a paper gives the
limit as a function of the branching ratio (``curve``: pairs :math:`(B, m)`), that curve is interpolated
linearly in :math:`B` instead (no limit below its smallest :math:`B`). Masses above the table (3 TeV) are
never excluded (all tabulated limits lie below 3 TeV and :math:`\sigma` falls with mass). Narrow width and
prompt decays are assumed.

>>> s, ds = pair_cross_section(1000.0)
>>> round(float(s), 6), round(float(ds), 6)  # pb
(0.00683, 0.000765)
>>> lim = next(l for l in pair_limits() if l.name == "ATLAS_2020_jmu")
>>> excluded, m_lim = recast(lim, 1500.0, {"j mu": 1.0})
>>> bool(excluded), float(m_lim)
(True, 1700.0)
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from observables.package_yaml import load_yaml

__all__ = [
    "DEFAULT_VINTAGE", "XSEC_FILE", "MassOutsideTableError", "PairLimit", "pair_cross_section", "mass_range",
    "pair_limits", "sigma_upper_limit", "effective_branching", "recast", "recast_many", "mass_for_cross_section",
    "check_recast_masses", "in_table_cross_section",
]

DEFAULT_VINTAGE = "2026-12"
XSEC_FILE = "pp13_scalar_triplet_pair_NNLOapprox_NNLL.json"
_LEPTON_CLASSES = ("e", "mu", "tau", "MET")
_QUARK_CLASSES = ("t", "b", "j")


class MassOutsideTableError(ValueError):
    """A mass outside the tabulated range of the pair-production cross section (100–3000 GeV)."""


@lru_cache(maxsize=1)
def _table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    text = resources.files("observables").joinpath(f"data/collider/{XSEC_FILE}").read_text(encoding="utf-8")
    raw = json.loads(text)
    rows = sorted((float(k), float(v["xsec_pb"]), float(v["unc_pb"])) for k, v in raw["data"].items())
    m, s, u = (np.array(c) for c in zip(*rows, strict=True))
    if np.any(np.diff(m) <= 0) or np.any(np.diff(s) >= 0) or np.any(s <= 0) or np.any(u <= 0):
        raise ValueError(f"{XSEC_FILE}: masses must increase and cross sections fall strictly, all positive")
    for a in (m, s, u):
        a.setflags(write=False)
    return m, s, u


#: the cubic pieces of the two smoothing splines, fitted once by ``tools/build_pair_splines.py`` (scipy
#: ``UnivariateSpline``, FITPACK) and shipped so that no process imports scipy.interpolate (~0.7 s) to
#: evaluate them; used only when its recorded SHA-256 of :data:`XSEC_FILE` matches the shipped table, else
#: the splines are fitted live (tests/test_collider_pair.py compares the shipped pieces with a live fit)
SPLINE_FILE = "pp13_scalar_triplet_pair_splines.json"


class PiecewiseCubic:
    """A cubic spline as its pieces: breakpoints ``x`` (ascending, the spline's distinct knots) and
    coefficients ``c`` (4, pieces) of the powers 3..0 of :math:`m - x_j` on :math:`[x_j, x_{j+1})` (scipy's
    ``PPoly`` layout); called with masses inside ``[x_0, x_{-1}]`` (the last piece holds the upper end)."""

    def __init__(self, x: np.ndarray, c: np.ndarray):
        x, c = np.array(x, dtype=float), np.array(c, dtype=float)
        if x.ndim != 1 or c.shape != (4, x.size - 1) or x.size < 2 or np.any(np.diff(x) <= 0):
            raise ValueError(f"piecewise cubic: {x.size} breakpoints (strictly increasing) need coefficients of "
                             f"shape (4, {x.size - 1}), got {c.shape}")
        for a in (x, c):
            a.setflags(write=False)
        self.x, self.c = x, c

    def __call__(self, m: ArrayLike) -> np.ndarray:
        m = np.asarray(m, dtype=float)
        j = np.clip(np.searchsorted(self.x, m, side="right") - 1, 0, self.c.shape[1] - 1)
        dx = m - self.x[j]
        c = self.c
        return ((c[0][j] * dx + c[1][j]) * dx + c[2][j]) * dx + c[3][j]


def _smoothing_weights(v: np.ndarray) -> np.ndarray:
    """1/δ: δ = the rounding error of ln v of a three-significant-digit entry (module docstring)."""
    return 1.0 / (10.0 ** (np.floor(np.log10(v)) - 2) / (np.sqrt(12.0) * v))


def fitted_splines() -> tuple[Any, Any]:
    """The smoothing splines of ln σ(m) and ln Δσ(m) fitted live (scipy ``UnivariateSpline``, k = 3,
    weights :func:`_smoothing_weights`, s = number of entries): what ``tools/build_pair_splines.py`` ships
    as pieces, and the fallback when the shipped file does not belong to the table."""
    from scipy.interpolate import UnivariateSpline

    mt, st, ut = _table()
    return tuple(UnivariateSpline(mt, np.log(v), w=_smoothing_weights(v), k=3, s=len(mt)) for v in (st, ut))


def spline_pieces(spline: Any) -> tuple[np.ndarray, np.ndarray]:
    """(breakpoints, coefficients) of a scipy cubic spline (``PPoly.from_spline``; the zero-length pieces of
    the repeated end knots dropped)."""
    from scipy.interpolate import PPoly

    kn = spline.get_knots()
    t = np.concatenate([[kn[0]] * 3, kn, [kn[-1]] * 3])
    pp = PPoly.from_spline((t, spline.get_coeffs(), 3))
    keep = np.flatnonzero(np.diff(pp.x) > 0)
    return np.append(pp.x[keep], pp.x[keep[-1] + 1]), np.ascontiguousarray(pp.c[:, keep])


def _table_sha256() -> str:
    import hashlib

    data = resources.files("observables").joinpath(f"data/collider/{XSEC_FILE}").read_bytes()
    return hashlib.sha256(data).hexdigest()


def _shipped_pieces() -> dict[str, PiecewiseCubic] | None:
    """The shipped pieces of ``ln_sigma`` and ``ln_delta_sigma``, or None when the file is absent or was
    built from another table (SHA-256 of :data:`XSEC_FILE`) or is malformed."""
    node = resources.files("observables").joinpath(f"data/collider/{SPLINE_FILE}")
    if not node.is_file():
        return None
    try:
        raw = json.loads(node.read_text(encoding="utf-8"))
        if raw.get("table_sha256") != _table_sha256():
            return None
        return {k: PiecewiseCubic(raw[k]["breakpoints"], raw[k]["coefficients"])
                for k in ("ln_sigma", "ln_delta_sigma")}
    except (ValueError, KeyError, TypeError):
        return None


@lru_cache(maxsize=1)
def _splines() -> tuple[PiecewiseCubic, PiecewiseCubic, np.ndarray, np.ndarray]:
    """Smoothing splines of ln σ(m) and ln Δσ(m) (module docstring) as :class:`PiecewiseCubic` (shipped
    pieces, else a live fit), and the inverse table (ln σ on a 0.25 GeV grid, m)."""
    mt = _table()[0]
    shipped = _shipped_pieces()
    if shipped is not None:
        ls, lu = shipped["ln_sigma"], shipped["ln_delta_sigma"]
    else:
        ls, lu = (PiecewiseCubic(*spline_pieces(sp)) for sp in fitted_splines())
    if ls.x[0] != mt[0] or ls.x[-1] != mt[-1] or lu.x[0] != mt[0] or lu.x[-1] != mt[-1]:
        raise ValueError(f"{SPLINE_FILE}: the splines do not span the table's masses")
    fine = np.linspace(mt[0], mt[-1], round((mt[-1] - mt[0]) / 0.25) + 1)
    lfine = ls(fine)
    if np.any(np.diff(lfine) >= 0):  # the inverse needs a strictly falling sigma(m)
        raise ValueError(f"{XSEC_FILE}: the interpolated cross section does not fall strictly")
    return ls, lu, lfine[::-1].copy(), fine[::-1].copy()


def mass_range() -> tuple[float, float]:
    """(lowest, highest) tabulated mass in GeV."""
    m = _table()[0]
    return float(m[0]), float(m[-1])


def pair_cross_section(m: ArrayLike, *, outside: str = "raise") -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\sigma(pp\to\phi\phi^*)` at 13 TeV and its theory uncertainty, both in pb, for masses ``m`` in GeV
    (log-interpolated). ``outside``: "raise" (default; :class:`MassOutsideTableError`) or "nan"."""
    if outside not in ("raise", "nan"):
        raise ValueError(f"outside must be 'raise' or 'nan'; got {outside!r}")
    mt = _table()[0]
    m = np.asarray(m, dtype=float)
    bad = ~((m >= mt[0]) & (m <= mt[-1]))
    if outside == "raise" and np.any(bad):
        v = m[bad].flat[0]
        raise MassOutsideTableError(
            f"pair cross section tabulated for {mt[0]:g}-{mt[-1]:g} GeV only; got m = {v!r} GeV "
            f"({int(bad.sum())} of {m.size} masses outside)"
        )
    ls, lu, _, _ = _splines()
    mc = np.clip(m, mt[0], mt[-1])
    s, u = np.exp(ls(mc)), np.exp(lu(mc))
    return np.where(bad, np.nan, s), np.where(bad, np.nan, u)


_CELL_GEV = 1.0  # cell of the piece lookup table; smaller than the smallest spacing of the spline's knots


@lru_cache(maxsize=1)
def _pieces() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ln σ spline of :func:`_splines` as its pieces (:class:`PiecewiseCubic`): breakpoints (ascending,
    the spline's knots), coefficients (4, pieces) of the powers 3..0 of m - breakpoint, those of the
    derivative (3, pieces), and the piece of the lower edge of every 1 GeV cell from the lowest knot (a cell
    holds at most one knot: a search-free lookup), and the upper edge of every piece (the last one open)."""
    ls = _splines()[0]
    x, c = ls.x, ls.c
    if np.min(np.diff(x)) <= _CELL_GEV:
        raise ValueError(f"{XSEC_FILE}: spline knots closer than {_CELL_GEV} GeV (piece lookup table)")
    dc = c[:3] * np.array([3.0, 2.0, 1.0])[:, None]
    edges = x[0] + _CELL_GEV * np.arange(int(np.ceil((x[-1] - x[0]) / _CELL_GEV)) + 1)
    cell = np.clip(np.searchsorted(x, edges, side="right") - 1, 0, c.shape[1] - 1)
    xnext = np.append(x[1:-1], np.inf)
    for a in (x, c, dc, cell, xnext):
        a.setflags(write=False)
    return x, c, dc, cell, xnext


def _piece(m: np.ndarray) -> np.ndarray:
    """Index of the spline piece holding each mass (masses clipped to the table's range)."""
    x, _, _, cell, xnext = _pieces()
    j = cell[((m - x[0]) * (1.0 / _CELL_GEV)).astype(np.intp).clip(0, cell.size - 1)]
    return j + (m >= xnext[j])


def _ln_sigma(m: np.ndarray) -> np.ndarray:
    """ln σ(m) of the spline at masses inside the table (Horner on the piece of each mass)."""
    x, c, _, _, _ = _pieces()
    j = _piece(m)
    dx = m - x[j]
    return ((c[0][j] * dx + c[1][j]) * dx + c[2][j]) * dx + c[3][j]


def _ln_sigma_and_slope(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ln σ(m) of the spline and its derivative d ln σ/dm (1/GeV) at masses inside the table."""
    x, c, dc, _, _ = _pieces()
    j = _piece(m)
    dx = m - x[j]
    val = ((c[0][j] * dx + c[1][j]) * dx + c[2][j]) * dx + c[3][j]
    der = (dc[0][j] * dx + dc[1][j]) * dx + dc[2][j]
    return val, der


def _newton(target: np.ndarray, m: np.ndarray, steps: int) -> np.ndarray:
    """``steps`` Newton steps on ln σ(m) = target of the spline (masses strictly inside the table only)."""
    mt = _table()[0]
    with np.errstate(invalid="ignore"):
        for _ in range(steps):
            inside = np.isfinite(m) & (m > mt[0]) & (m < mt[-1])
            val, der = _ln_sigma_and_slope(np.clip(m, mt[0], mt[-1]))
            step = np.where(inside, (val - target) / der, 0.0)
            m = np.clip(m - step, mt[0], mt[-1])
    return m


_INVERSE_STEP = 1e-3  # largest spacing in ln σ of the inverse table


@lru_cache(maxsize=1)
def _inverse_table() -> tuple[float, float, np.ndarray]:
    """L0, h and the mass m_k at ln σ = L_k = L0 + k·h (uniform, h <= 1e-3, from L0 = ln σ at the table's
    highest mass to ln σ at the lowest), exact to rounding: the spline tabulated every 0.25 GeV and
    inverted linearly, then Newton on the spline. Linear interpolation in this table starts Newton within
    ~1e-8 (relative) of the root."""
    _, _, lsig, mass = _splines()
    lo, hi = float(lsig[0]), float(lsig[-1])
    n = int(np.ceil((hi - lo) / _INVERSE_STEP))
    h = (hi - lo) / n
    nodes = lo + h * np.arange(n + 1)
    m = _newton(nodes, np.interp(nodes, lsig, mass), 4)
    m[0], m[-1] = mass[0], mass[-1]
    m.setflags(write=False)
    return lo, h, m


def mass_for_cross_section(sigma_pb: ArrayLike) -> np.ndarray:
    """Inverse of :func:`pair_cross_section` (GeV); NaN where ``sigma_pb`` is above the table (mass below
    100 GeV), the table's highest mass where it is below. The root of the spline of ln σ (exact to
    rounding): a start interpolated linearly in a table of the inverse, uniform in ln σ so that no search
    is needed, then Newton on the spline's cubic pieces (quadratic convergence: one step from a start
    within ~1e-8 reaches rounding; tested against a bracketing root)."""
    st = _table()[1]
    _, _, lsig, mass = _splines()
    lo, h, minv = _inverse_table()
    s = np.asarray(sigma_pb, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        target = np.log(s)
        t = (target - lo) * (1.0 / h)
        t = np.where(np.isfinite(t), t, 0.0).clip(0.0, minv.size - 1.0)
        k = np.minimum(t.astype(np.intp), minv.size - 2)
        lower = minv[k]
        guess = lower + (t - k) * (minv[k + 1] - lower)
        # the ends as np.interp in the 0.25 GeV table: clamped to the table's masses exactly
        m = np.where(target >= lsig[-1], mass[-1], np.where(target <= lsig[0], mass[0], guess))
        m = np.where(np.isnan(target), np.nan, m)
        m = _newton(target, m, 1)
    return np.where(s > st[0], np.nan, m)


@dataclass(frozen=True)
class PairLimit:
    """One published 95% CL pair-production mass limit (a row of the limits data file).

    ``final_state``: the two decays ``(a, b)``, each "<quark class> <lepton class>" (quark t, b, j; lepton e,
    mu, tau, MET). ``m_limit_GeV``: limit at B = 1. ``curve``: optional ((B, m_GeV), ...) from the paper.
    ``max_invisible_mass_GeV``: for MET final states, the heaviest invisible fermion the limit covers.
    """

    name: str
    final_state: tuple[str, str]
    m_limit_GeV: float
    experiment: str
    arxiv: str | None
    reference: str
    luminosity_fb: float
    assumption: str
    verified: str
    curve: tuple[tuple[float, float], ...] | None = None
    max_invisible_mass_GeV: float | None = None

    @property
    def label(self) -> str:
        """Final state as one string, e.g. "t mu" or "t mu + b MET"."""
        a, b = self.final_state
        return a if a == b else f"{a} + {b}"


def _check_class(name: str, where: str) -> None:
    parts = name.split()
    if len(parts) != 2 or parts[0] not in _QUARK_CLASSES or parts[1] not in _LEPTON_CLASSES:
        raise ValueError(f"{where}: final state {name!r} must be '<quark> <lepton>' with quark in "
                         f"{_QUARK_CLASSES} and lepton in {_LEPTON_CLASSES}")


@cache
def pair_limits(vintage: str = DEFAULT_VINTAGE) -> tuple[PairLimit, ...]:
    """The published limits of data file ``lq_pair_limits_<vintage>.yaml`` (schema in its header)."""
    fname = f"data/collider/lq_pair_limits_{vintage}.yaml"
    node = resources.files("observables").joinpath(fname)
    if not node.is_file():
        raise ValueError(f"no pair-production limits vintage {vintage!r} (file observables/{fname} not found)")
    raw = load_yaml(node.read_text(encoding="utf-8"))
    out = []
    lo, hi = mass_range()
    for row in raw["limits"]:
        where = f"{fname}, {row.get('name')!r}"
        fs = tuple(row["final_state"])
        if len(fs) != 2:
            raise ValueError(f"{where}: final_state needs two decays")
        for c in fs:
            _check_class(c, where)
        m = float(row["m_limit_GeV"])
        if not lo <= m <= hi:
            raise ValueError(f"{where}: m_limit_GeV {m} outside the cross-section table {lo}-{hi} GeV")
        curve = row.get("curve")
        if curve is not None:
            curve = tuple(sorted((float(b), float(mm)) for b, mm in curve))
        out.append(PairLimit(
            name=str(row["name"]), final_state=fs, m_limit_GeV=m, experiment=str(row["experiment"]),
            arxiv=None if row.get("arxiv") is None else str(row["arxiv"]), reference=str(row["reference"]),
            luminosity_fb=float(row["luminosity_fb"]), assumption=str(row["assumption"]),
            verified=str(row["verified"]), curve=curve,
            max_invisible_mass_GeV=(None if row.get("max_invisible_mass_GeV") is None
                                    else float(row["max_invisible_mass_GeV"])),
        ))
    return tuple(out)


def sigma_upper_limit(limit: PairLimit) -> float:
    """The excluded cross section in pb implied by ``limit``: sigma(m_lim) (flat-sigma_UL recast)."""
    return float(pair_cross_section(limit.m_limit_GeV)[0])


def effective_branching(limit: PairLimit, branching: Mapping[str, ArrayLike]) -> np.ndarray:
    """:math:`B_a B_b (2 \\text{ if } a \\ne b \\text{ else } 1)` from ``branching`` (final-state class -> BR;
    missing classes count as 0)."""
    a, b = limit.final_state
    ba = np.asarray(branching.get(a, 0.0), dtype=float)
    bb = np.asarray(branching.get(b, 0.0), dtype=float)
    return ba * bb * (1.0 if a == b else 2.0)


def recast(limit: PairLimit, m: ArrayLike, branching: Mapping[str, ArrayLike]) -> tuple[np.ndarray, np.ndarray]:
    """(excluded, recast mass limit in GeV) of a leptoquark of mass ``m`` (GeV) with branching ratios
    ``branching`` (final-state class -> BR) against ``limit`` (module docstring: flat sigma_UL, or the
    paper's curve). Masses below the cross-section table raise :class:`MassOutsideTableError`."""
    return recast_many([limit], m, [branching])[0]


def check_recast_masses(m: ArrayLike) -> None:
    """:class:`MassOutsideTableError` unless every leptoquark mass (GeV) is finite and not below the pair
    cross-section table (what :func:`recast` accepts; masses above it are never excluded)."""
    m = np.asarray(m, dtype=float)
    lo, _ = mass_range()
    if np.any(m < lo):
        raise MassOutsideTableError(
            f"leptoquark mass below the pair cross-section table ({lo:g} GeV): {float(m.min())!r} GeV")
    if not np.all(np.isfinite(m)):
        raise MassOutsideTableError(f"leptoquark mass not finite: {m[~np.isfinite(m)].flat[0]!r} GeV")


def in_table_cross_section(m: ArrayLike) -> np.ndarray:
    """σ(min(m, 3000 GeV)) in pb for masses m >= 100 GeV (:func:`pair_cross_section` of the mass clipped to
    the table: the same spline, evaluated piecewise), the cross section :func:`recast` compares with."""
    lo, hi = mass_range()
    return np.exp(_ln_sigma(np.clip(np.asarray(m, dtype=float), lo, hi)))


def recast_many(limits: Sequence[PairLimit], m: ArrayLike,
                branchings: Sequence[Mapping[str, ArrayLike]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`recast` of every limit in ``limits`` (with the branching ratios ``branchings[i]`` for
    ``limits[i]``) for one array of masses: σ(m) is evaluated once for all of them. Same results."""
    if len(limits) != len(branchings):
        raise ValueError(f"recast_many: {len(limits)} limits but {len(branchings)} branching-ratio maps")
    m = np.asarray(m, dtype=float)
    hi = mass_range()[1]
    check_recast_masses(m)
    sig: np.ndarray | None = None
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for limit, branching in zip(limits, branchings, strict=True):
        a, b = limit.final_state
        if limit.curve is not None and a == b:
            bs = np.array([c[0] for c in limit.curve])
            ms = np.array([c[1] for c in limit.curve])
            ba = np.asarray(branching.get(a, 0.0), dtype=float)
            mlim = np.where(ba >= bs[0], np.interp(ba, bs, ms), 0.0)
            out.append((np.broadcast_to(m < mlim, np.broadcast(m, mlim).shape), mlim))
            continue
        beff = effective_branching(limit, branching)
        s_ul = sigma_upper_limit(limit)
        with np.errstate(divide="ignore"):
            needed = np.where(beff > 0, s_ul / np.where(beff > 0, beff, 1.0), np.inf)
        mlim = np.where(beff > 0, mass_for_cross_section(needed), 0.0)
        if sig is None:
            sig = in_table_cross_section(m)
        excluded = (m <= hi) & (sig * beff > s_ul)
        out.append((excluded, mlim))
    return out
