r"""A prepared (fixed-mass) fast path of :class:`~lqmodel.fit.likelihood.CombinedLikelihood`.

Why it is exact. A fit holds every mass fixed (``lqmodel.fit.config.FIXED_MASSES``), so each loop
integral, kernel, kinematic factor and surrogate of the pipeline is a number, and what is left of a
point is its couplings. When the free parameters enter the point's coupling arrays affinely (every
coupling-entry parameter ``y1``, ``y2``, ``y_LL[2,1]``, ... does; ``y1y2``, log scales of the *sampling*
do not matter, only the map parameter -> couplings does), the intermediate quantities of the pipeline
are polynomials in the parameters of low degree (derived here, docs/fits.md §6):

=====================================================  ===========================  ==================
quantity                                               source                       degree in θ
=====================================================  ===========================  ==================
WET Wilson coefficients and N_R operators at m_LQ      :func:`lqmodel.matching.match` (tree: y y*;   ≤ 4
                                                       one-loop boxes: y y* y y*, y y* g²)
SMEFT Warsaw coefficients at m_LQ                      :func:`lqmodel.smeft_matching.match_smeft`    2
HighPT Drell-Yan coefficients per search               :func:`lqmodel.collider.drell_yan.drell_yan_coefficients` (|y|²|y|²)  ≤ 4
partial and total widths                               :func:`lqmodel.collider.widths.decay_widths`  2
transition moments μ_αN1                               :func:`lqmodel.moments.compute_moments`       2
=====================================================  ===========================  ==================

They are represented exactly by polynomials of total degree ``D`` (4; 6 or 8 if a check fails) in
:math:`u = \theta/s` (:math:`s` = the largest |bound| of each parameter, so :math:`|u| \le 1`), fitted
by least squares to the full pipeline on a Chebyshev tensor grid of the parameter box; coefficients
below :data:`SNAP` of the largest are set to zero, so structural zeros (a coupling set to zero, a field
without couplings) stay exactly zero, as the branching ratios and the surrogates' variable selection
need. What remains per call is polynomial work plus the unchanged non-polynomial last steps, called
through the same functions as the full pipeline:

* flavour / EW: the surrogates at the interpolated coefficients (:func:`lqmodel.flavour._predict_surrogate`
  for WET; for SMEFT the surrogate selection of :func:`lqmodel.flavour._predict_smeft`, restated in
  :func:`_predict_smeft_values`), then the unchanged :class:`~lqmodel.fit.likelihood.MeasurementTerm`;
* Drell-Yan: the yields are linear in the coefficients at fixed masses
  (:meth:`observables.collider.drell_yan.DrellYanSearch.yields`), so the kernel matrix
  ``yields(masses, identity)`` is computed once and a call is one matrix product and
  :meth:`~observables.collider.drell_yan.DrellYanSearch.chi2`;
* pair production: :func:`lqmodel.collider.pair.pair_production` at the interpolated widths (channels
  that vanish in the whole box left out: they carry no branching ratio);
* direct detection and limits: the unchanged terms at the interpolated moments.

Checked, not assumed: :func:`prepare` compares every interpolated quantity and the total χ² with the full
pipeline at random points of the box (and on its faces) and returns the full likelihood unchanged if any
differs by more than :data:`CHECK_RTOL` (a parameter that does not enter the couplings affinely, an
unknown term, more than :data:`MAX_PARAMETERS` parameters, a mediator below the Drell-Yan kernels).
tests/test_fit_prepared.py compares the two at random points to 1e-9.
"""
from __future__ import annotations

import itertools
import logging
import math
import warnings
from types import SimpleNamespace
from typing import Any

import numpy as np

__all__ = ["PreparedLikelihood", "prepare", "SNAP", "CHECK_RTOL", "MAX_PARAMETERS"]

_log = logging.getLogger("lqmodel.progress")

#: polynomial coefficients below this fraction of the largest one (|u| <= 1) are set to zero
SNAP = 1e-12
#: relative agreement (to the largest value in the box) required of each quantity at the check points
CHECK_RTOL = 1e-10
#: more free parameters than this: the grid ((D+2)^n pipeline points) is not worth it; full pipeline
MAX_PARAMETERS = 3
_DEGREES = (4, 6, 8)
_N_CHECK = 12


class _NotPrepared(Exception):
    """The fast path does not apply (the message says why); the full likelihood is used."""


# --------------------------------------------------------------------------------- polynomials
class _Basis:
    """Monomials u^a (total degree <= degree) of u = theta / scale."""

    def __init__(self, lows, highs, degree: int):
        self.lows = np.asarray(lows, float)
        self.highs = np.asarray(highs, float)
        self.scale = np.maximum(np.maximum(np.abs(self.lows), np.abs(self.highs)), 1e-300)
        n = self.lows.size
        self.degree = degree
        self.exponents = np.array([e for e in itertools.product(range(degree + 1), repeat=n) if sum(e) <= degree])

    def nodes(self) -> np.ndarray:
        k = self.degree + 2
        cheb = 0.5 * (1.0 - np.cos(np.pi * (np.arange(k) + 0.5) / k))  # in (0, 1)
        axes = [lo + (hi - lo) * cheb for lo, hi in zip(self.lows, self.highs)]
        return np.array(list(itertools.product(*axes)))

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        u = np.asarray(theta, float) / self.scale
        # powers u_k^0..u_k^D per parameter, then products per monomial
        pw = u[:, :, None] ** np.arange(self.degree + 1)[None, None, :]
        out = np.ones((u.shape[0], len(self.exponents)))
        for k in range(u.shape[1]):
            out *= pw[:, k, self.exponents[:, k]]
        return out

    def fit(self, values: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Coefficients (monomials, quantities) of the columns of ``values`` (nodes, quantities)."""
        V = self(theta)
        values = np.asarray(values)
        if np.iscomplexobj(values):
            c = np.linalg.lstsq(V, values.real, rcond=None)[0] + 1j * np.linalg.lstsq(V, values.imag, rcond=None)[0]
        else:
            c = np.linalg.lstsq(V, values, rcond=None)[0]
        big = np.max(np.abs(c), axis=0, keepdims=True)
        c = np.where(np.abs(c) <= SNAP * big, 0.0, c)
        return c


# ------------------------------------------------------------------------------ pipeline pieces
def _columns(d: dict[str, np.ndarray], n: int) -> tuple[list[str], np.ndarray]:
    """(names of the entries non-zero somewhere, matrix (n, names)) of a dict of (n,) arrays."""
    names = [k for k, v in d.items() if np.any(np.asarray(v) != 0)]
    if not names:
        return [], np.zeros((n, 0))
    return names, np.column_stack([np.broadcast_to(np.asarray(d[k]), (n,)) for k in names])


def _predict_smeft_values(specs, scale: float, C: dict[str, np.ndarray], memo: dict, n: int) -> dict[str, np.ndarray]:
    """SMEFT-basis observables from the SMEFT coefficients ``C`` at ``scale``: the surrogate selection of
    :func:`lqmodel.flavour._predict_smeft` (variables = coefficients non-zero in the batch, the SM
    surrogate when none is), with the same memo keys."""
    from lqmodel.flavour import _memoised
    from observables.surrogate import get_surrogate

    out = {}
    for spec in specs:
        allowed = spec.wc_names
        Cs = {k: v for k, v in C.items() if k in allowed and np.any(v != 0)}
        if not Cs:
            out[spec.name] = np.full(n, _memoised(
                memo, (spec.name, scale, "SM"), lambda: float(get_surrogate(spec.name, scale, wc_names=[])({}))))
            continue
        variables = [v for v in spec.wc_names if v in Cs]
        s = _memoised(memo, (spec.name, scale, tuple(variables)),
                      lambda: get_surrogate(spec.name, scale, wc_names=variables))
        out[spec.name] = np.asarray(s(Cs), dtype=float)
    return out


class PreparedLikelihood:
    """The fast path of a :class:`~lqmodel.fit.likelihood.CombinedLikelihood` ``full`` (module
    docstring); same interface (``chi2``, ``evaluate``, ``chi2_sm``, ``sm_terms``, ``spec``, ``point``,
    ``parameters``, ``terms``, ``base``), same numbers. Build it with :func:`prepare`."""

    def __init__(self, full, lows, highs, degree: int):
        from lqmodel.fit.likelihood import (DirectDetectionTerm, DrellYanTerm, LimitsTerm, MeasurementTerm,
                                            PairTerm)

        self.full = full
        kinds = (MeasurementTerm, DrellYanTerm, PairTerm, DirectDetectionTerm, LimitsTerm)
        other = [t.name for t in full.terms if not isinstance(t, kinds)]
        if other:
            raise _NotPrepared(f"term {other[0]!r} is not a built-in term")
        self.basis = _Basis(lows, highs, degree)
        nodes = self.basis.nodes()
        self.n_nodes = len(nodes)
        self._build(nodes)

    # -- interface of CombinedLikelihood -------------------------------------------------------
    def __getattr__(self, name: str) -> Any:  # parameters, base, terms, point, spec, chi2_sm, sm_terms, ...
        if name == "full":
            raise AttributeError(name)
        return getattr(self.full, name)

    def chi2(self, theta: np.ndarray) -> np.ndarray:
        return self.evaluate_theta(theta)["total"]

    def evaluate(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        out = self.evaluate_theta(theta)
        out["delta_total"] = out["total"] - self.full.chi2_sm()
        return out

    # -- preparation ---------------------------------------------------------------------------
    def _quantities(self, point) -> dict[str, tuple[list[str], np.ndarray]]:
        """Every interpolated quantity of the (batched) ``point``: group -> (names, matrix (n, names))."""
        from lqmodel.collider.widths import BroadWidthWarning, decay_widths
        from lqmodel.fit.likelihood import DrellYanTerm, MeasurementTerm, PairTerm, _moments, _n_points
        from lqmodel.matching import match
        from lqmodel.smeft_matching import match_smeft

        n = _n_points(point)
        q: dict[str, tuple[list[str], np.ndarray]] = {}
        if self._wet_specs:
            wc = match(point, names=self._wc_needed)
            q["wc"] = _columns({k: np.ravel(v) for k, v in wc.values.items()}, n)
            q["rhn"] = _columns({k: np.ravel(v) for k, v in wc.right_handed_nu.items()}, n)
            q["wc_scale"] = (["scale"], np.broadcast_to(np.asarray(wc.scale, float), point.batch_shape).reshape(n, 1))
        if self._smeft_specs:
            c = match_smeft(point)
            q["smeft"] = _columns({k: np.ravel(v) for k, v in c.values.items()}, n)
            q["smeft_scale"] = (["scale"], np.broadcast_to(np.asarray(c.scale, float), point.batch_shape).reshape(n, 1))
        for t in self.full.terms:
            if isinstance(t, DrellYanTerm):
                from lqmodel.collider.drell_yan import drell_yan_coefficients

                for s in self._dy_searches:
                    masses, coeff = drell_yan_coefficients(point, s)
                    q[f"dy:{s}"] = ([str(i) for i in range(coeff.shape[1])], coeff)
                    q[f"dymass:{s}"] = (list(masses), np.column_stack([masses[k] for k in masses]))
            elif isinstance(t, PairTerm) and "widths" not in q:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", BroadWidthWarning)
                    w = decay_widths(point, warn=False)
                flat = {}
                for f, chans in w.partial.items():
                    for ch, g in chans.items():
                        flat[f"{f}|{ch}"] = np.broadcast_to(g, point.batch_shape).reshape(n)
                    flat[f"{f}|total"] = np.broadcast_to(w.total[f], point.batch_shape).reshape(n)
                names = list(flat)  # every channel (zeros included: the exact zeros are kept by the fit)
                q["widths"] = (names, np.column_stack([flat[k] for k in names]).astype(float))
                q["masses"] = (list(w.mass), np.column_stack([np.broadcast_to(w.mass[f], point.batch_shape).reshape(n)
                                                             for f in w.mass]))
            elif not isinstance(t, MeasurementTerm) and "mu" not in q:  # direct detection, limits
                from lqmodel.moments import compute_moments

                mu = np.asarray(compute_moments(point).mu_muB)
                mu = mu[..., :, 0].reshape(n, 3)
                q["mu"] = (["e", "mu", "tau"], mu)
        return q

    def _build(self, nodes: np.ndarray) -> None:
        from lqmodel.fit.likelihood import DrellYanTerm, MeasurementTerm
        from lqmodel.flavour import _IMAGES, _specs
        from observables.collider.drell_yan import SEARCHES, load_search

        full = self.full
        measured = tuple(o for t in full.terms if isinstance(t, MeasurementTerm) for o in t.measured)
        specs = _specs(list(measured)) if measured else []
        self._measured = measured
        self._wet_specs = [s for s in specs if s.basis != "SMEFT"]
        self._smeft_specs = [s for s in specs if s.basis == "SMEFT"]
        needed = set().union(*(s.wc_names for s in self._wet_specs)) if self._wet_specs else set()
        needed |= {src for _, m in _IMAGES for src, dst in m.items() if dst in needed}
        self._wc_needed = needed
        self._memo = next((t._memo for t in full.terms if isinstance(t, MeasurementTerm)), {})
        dy = [t for t in full.terms if isinstance(t, DrellYanTerm)]
        self._dy_searches = tuple(SEARCHES) if not dy or dy[0].searches is None else tuple(dy[0].searches)
        unknown = [s for s in self._dy_searches if s not in SEARCHES]
        if unknown:
            raise _NotPrepared(f"unknown Drell-Yan search {unknown[0]!r}")  # the full term says so clearly

        point = full.point(nodes)
        q = self._quantities(point)
        self._groups: dict[str, tuple[list[str], np.ndarray]] = {}
        self._node_max: dict[str, np.ndarray] = {}
        for g, (names, vals) in q.items():
            if g.endswith("scale") or g.startswith("dymass") or g == "masses":
                if not np.all(vals == vals[0]):
                    raise _NotPrepared(f"{g} varies with the parameters")
                self._groups[g] = (names, vals[0].copy())
                continue
            self._groups[g] = (names, self.basis.fit(vals, nodes))
            self._node_max[g] = np.max(np.abs(vals), axis=0) if vals.size else np.zeros(0)
        # Drell-Yan: the kernel matrix at the fixed masses (the yields are linear in the coefficients)
        from lqmodel.collider.drell_yan import MIN_MASS_GEV

        self._dy = []
        for s in (self._dy_searches if dy else ()):
            names, m = self._groups[f"dymass:{s}"]
            search = load_search(s)
            masses = dict(zip(names, m))
            coeff_names, coef = self._groups[f"dy:{s}"]
            labels = np.array([t.split("|")[0] for t in search.term_names])
            for med in search.mediators:
                if np.any(coef[:, labels == med] != 0) and not masses[med] >= MIN_MASS_GEV:
                    raise _NotPrepared(f"mediator {med} below the Drell-Yan kernels")
            nt = len(search.term_names)
            K = search.yields({k: np.full(nt, v) for k, v in masses.items()}, np.eye(nt))
            self._dy.append((search, K, f"dy:{s}"))
        # pair: the channels that are open somewhere in the box
        if "widths" in self._groups:
            names, coef = self._groups["widths"]
            self._w_names = names
            self._w_live = [k for k, nm in enumerate(names) if np.any(coef[:, k] != 0) or nm.endswith("|total")]
        self._duck_cache: dict[int, Any] = {}

    # -- one call ------------------------------------------------------------------------------
    def _duck(self, n: int):
        """The little of a Point the terms read at fixed masses: batch shape and M_N."""
        if n not in self._duck_cache:
            self._duck_cache[n] = SimpleNamespace(batch_shape=(n,), M_N=self.full.base.M_N,
                                                  lepton=self.full.base.lepton)
        return self._duck_cache[n]

    def _values(self, B: np.ndarray, group: str) -> dict[str, np.ndarray]:
        names, coef = self._groups[group]
        v = B @ coef
        return {nm: v[:, k] for k, nm in enumerate(names)}

    def predictions(self, B: np.ndarray) -> dict[str, np.ndarray]:
        """Predictions of every measured observable at the basis rows ``B``."""
        from lqmodel.flavour import _predict_surrogate
        from lqmodel.matching import WilsonCoefficients

        n = B.shape[0]
        out: dict[str, np.ndarray] = {}
        if self._wet_specs:
            scale = float(self._groups["wc_scale"][1][0])
            wc = WilsonCoefficients(scale=np.full(n, scale), values=self._values(B, "wc"),
                                    right_handed_nu=self._values(B, "rhn"))
            out.update(_predict_surrogate(self._wet_specs, wc, self._memo))
        if self._smeft_specs:
            scale = float(self._groups["smeft_scale"][1][0])
            out.update(_predict_smeft_values(self._smeft_specs, scale, self._values(B, "smeft"), self._memo, n))
        return {k: np.asarray(v, dtype=float).reshape(n) for k, v in out.items()}

    def evaluate_theta(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """chi2 per term and ``total`` at parameter rows ``theta`` (n, n_par)."""
        from lqmodel.collider.widths import DecayWidths
        from lqmodel.errors import InputError
        from lqmodel.fit.likelihood import DrellYanTerm, MeasurementTerm, PairTerm

        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        if theta.shape[-1] != len(self.full.parameters):
            raise InputError(f"expected {len(self.full.parameters)} parameter values per point, got shape {theta.shape}")
        n = theta.shape[0]
        B = self.basis(theta)
        duck = self._duck(n)
        shared: dict = {}
        if self._measured:
            shared["predictions"] = self.predictions(B)
        if "mu" in self._groups:
            names, coef = self._groups["mu"]
            shared["mu_muB"] = np.abs(B @ coef).astype(float)
        out: dict[str, np.ndarray] = {}
        for t in self.full.terms:
            if isinstance(t, MeasurementTerm):
                out[t.name] = np.asarray(t.chi2(duck, shared), dtype=float)
            elif isinstance(t, DrellYanTerm):
                total = np.zeros(n)
                for search, K, g in self._dy:
                    total = total + (search.chi2((B @ self._groups[g][1]) @ K) - search.chi2_sm)
                out[t.name] = total
            elif isinstance(t, PairTerm):
                out[t.name] = t.chi2_from_widths(duck, self._widths(B, DecayWidths))
            else:
                out[t.name] = np.asarray(t.chi2(duck, shared), dtype=float)
        out["total"] = sum(out.values()) if out else np.zeros(n)
        return out

    def _widths(self, B: np.ndarray, DecayWidths):
        names, coef = self._groups["widths"]
        live = self._w_live
        v = B @ coef[:, live]
        v = np.maximum(v, 0.0)  # the pipeline's widths are >= 0 (rounding of a polynomial near 0)
        partial: dict[str, dict[str, np.ndarray]] = {}
        total: dict[str, np.ndarray] = {}
        for j, k in enumerate(live):
            f, ch = names[k].split("|")
            if ch == "total":
                total[f] = v[:, j]
            else:
                partial.setdefault(f, {})[ch] = v[:, j]
        mnames, m = self._groups["masses"]
        mass = dict(zip(mnames, m))
        for f in mass:
            partial.setdefault(f, {})
        return DecayWidths(partial=partial, total=total, mass=mass)


def _check(fast: PreparedLikelihood, lows, highs, seed: int = 12345) -> None:
    """Compare every interpolated quantity and the total chi2 with the full pipeline at random points
    (interior, faces at the bounds, one coordinate tiny); raise _NotPrepared on a difference."""
    rng = np.random.default_rng(seed)
    lows, highs = np.asarray(lows, float), np.asarray(highs, float)
    n_par = lows.size
    pts = lows + (highs - lows) * rng.random((_N_CHECK, n_par))
    for k in range(n_par):
        pts[k % _N_CHECK, k] = lows[k]
        pts[(k + n_par) % _N_CHECK, k] = highs[k]
        pts[(k + 2 * n_par) % _N_CHECK, k] = lows[k] + 1e-6 * (highs[k] - lows[k])
    point = fast.full.point(pts)
    exact = fast._quantities(point)
    B = fast.basis(pts)
    for g, (names, vals) in exact.items():
        gnames, coef = fast._groups[g]
        if g.endswith("scale") or g.startswith("dymass") or g == "masses":
            if not np.allclose(vals, coef[None, :], rtol=1e-14, atol=0):
                raise _NotPrepared(f"{g} varies with the parameters")
            continue
        extra = [nm for nm in names if nm not in gnames]
        if extra:
            raise _NotPrepared(f"{g}: {extra[0]} is non-zero at a check point but zero on the grid")
        approx = B @ coef
        idx = [gnames.index(nm) for nm in names]
        scale = np.maximum(fast._node_max[g], np.max(np.abs(approx), axis=0))
        err = np.abs(approx[:, idx] - vals) - CHECK_RTOL * scale[idx]
        if np.any(err > 0):
            j = int(np.argmax(np.max(err, axis=0)))
            raise _NotPrepared(f"{g}: {names[j]} is not a polynomial of degree {fast.basis.degree} in the parameters")
    a = fast.chi2(pts)
    b = fast.full.chi2(pts)
    if not np.allclose(a, b, rtol=1e-9, atol=1e-9):
        raise _NotPrepared(f"total chi2 differs from the full pipeline by {np.max(np.abs(a - b)):.3g}")


def prepare(full, lows, highs):
    """The fast path of ``full`` on the parameter box [lows, highs] (module docstring), checked against
    ``full``; ``full`` itself where the fast path does not apply (the reason is logged)."""
    lows, highs = np.asarray(lows, float), np.asarray(highs, float)
    if len(full.parameters) > MAX_PARAMETERS:
        _log.info("lqmodel fit: %d free parameters (> %d): full pipeline per call", len(full.parameters), MAX_PARAMETERS)
        return full
    reason = ""
    for d in _DEGREES:
        try:
            fast = PreparedLikelihood(full, lows, highs, d)
            _check(fast, lows, highs)
        except _NotPrepared as e:
            reason = str(e)
            continue
        _log.info("lqmodel fit: prepared the fixed-mass fast path (degree %d, %d pipeline points)", d, fast.n_nodes)
        return fast
    _log.info("lqmodel fit: no fast path (%s): full pipeline per call", reason)
    return full
