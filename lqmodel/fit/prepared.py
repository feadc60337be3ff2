r"""A prepared (fixed-mass) fast path of :class:`~lqmodel.fit.likelihood.CombinedLikelihood`.

Why it is exact. When a fit holds every mass fixed, each loop integral, kernel, kinematic factor and
surrogate of the pipeline is a number, and what is left of a point is its couplings. A fit that moves a
leptoquark mass (a parameter of ``lqmodel.fit.config.MASS_PARAMETERS``, or any parameter that changes a
mass at the corners or the centre of the box: :func:`prepare` checks this itself, before any grid is
built) has none of this structure; it gets the full likelihood, with the surrogates of the lattice nodes
of its mass range warmed once (:meth:`~lqmodel.fit.likelihood.CombinedLikelihood.warm`).

At fixed masses, when the free parameters enter the point's coupling arrays linearly (every
coupling-entry parameter ``y1``, ``y2``, ``y_LL[2,1]``, ... does; for any other parameter, e.g. ``y1y2``,
the check below decides; a log ``scale`` only changes grids and priors, not this map), the intermediate
quantities of the pipeline are polynomials in the parameters of low degree (derived here, docs/fits.md §6.1):

* WET Wilson coefficients and N_R operators at m_LQ (:func:`lqmodel.matching.match`; tree y y*, one-loop
  boxes y y* y y* and y y* g², dipoles y y*): degree <= 4;
* SMEFT Warsaw coefficients at m_LQ (:func:`lqmodel.smeft_matching.match_smeft`; tree and the finite
  one-loop vertex terms, y y*): degree 2;
* HighPT Drell-Yan coefficients per search (:func:`lqmodel.collider.drell_yan.drell_yan_coefficients`;
  |y|², |y|²|y|², Re(V* y* y)): degree <= 4;
* partial and total widths (:func:`lqmodel.collider.widths.decay_widths`; |l|², |r|², Re(l r*)): degree 2;
* transition moments mu_alphaN1 (:func:`lqmodel.moments.compute_moments`; y y'): degree 2.

They are represented exactly by polynomials of total degree ``D`` (4; 6 or 8 if a check fails) in
:math:`u = \theta/s` (:math:`s` = the largest |bound| of each parameter, so :math:`|u| \le 1`), fitted
by least squares to the full pipeline on a Chebyshev tensor grid of the parameter box; coefficients
below :data:`SNAP` of the largest are set to zero, so structural zeros (a coupling set to zero, a field
without couplings) stay exactly zero, as the branching ratios and the surrogates' variable selection
need. What remains per call is polynomial work plus the unchanged non-polynomial last steps, called
through the same functions as the full pipeline:

* flavour / EW: observables of linear or quadratic form (quadratic in the coefficients: degree ≤ 8 in θ)
  directly as polynomials (Chebyshev basis, well conditioned); the rational and sqrt forms by
  :func:`lqmodel.flavour.predict` at the interpolated WET / SMEFT coefficients (the same surrogates); then
  the unchanged :class:`~lqmodel.fit.likelihood.MeasurementTerm`;
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
import warnings
from types import SimpleNamespace
from typing import Any

import numpy as np

__all__ = ["PreparedLikelihood", "prepare", "SNAP", "CHECK_RTOL", "CHECK_SIGMA", "MAX_PARAMETERS"]

_log = logging.getLogger("lqmodel.progress")

#: polynomial coefficients below this fraction of the largest one (|u| <= 1) are set to zero
SNAP = 1e-12
#: relative agreement (to the largest value in the box) required of each quantity at the check points
CHECK_RTOL = 1e-10
#: or this fraction of the measurement's uncertainty (predictions of the polynomial-form observables)
CHECK_SIGMA = 1e-7
#: more free parameters than this: the grid ((D+2)^n pipeline points) is not worth it; full pipeline
MAX_PARAMETERS = 3
_DEGREES = (4, 6, 8)
_N_CHECK = 12


class _NotPrepared(Exception):
    """The fast path does not apply (the message says why); the full likelihood is used."""


# --------------------------------------------------------------------------------- polynomials
class _Basis:
    """Monomials u^a (total degree <= degree) of u = theta / scale (``kind`` "monomial": structural zeros
    stay exact), or products of Chebyshev polynomials T_a(t) of t = theta mapped onto [-1, 1] ("chebyshev":
    the same space, well conditioned at high degree; for values that only enter as residuals)."""

    def __init__(self, lows, highs, degree: int, kind: str = "monomial"):
        self.kind = kind
        self.lows = np.asarray(lows, float)
        self.highs = np.asarray(highs, float)
        self.scale = np.maximum(np.maximum(np.abs(self.lows), np.abs(self.highs)), 1e-300)
        n = self.lows.size
        self.degree = degree
        self.exponents = np.array([e for e in itertools.product(range(degree + 1), repeat=n) if sum(e) <= degree])

    def nodes(self) -> np.ndarray:
        k = self.degree + 2
        cheb = 0.5 * (1.0 - np.cos(np.pi * (np.arange(k) + 0.5) / k))  # in (0, 1)
        axes = [lo + (hi - lo) * cheb for lo, hi in zip(self.lows, self.highs, strict=True)]
        return np.array(list(itertools.product(*axes)))

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        theta = np.asarray(theta, float)
        if self.kind == "chebyshev":
            t = (2.0 * theta - (self.lows + self.highs)) / np.where(self.highs > self.lows, self.highs - self.lows, 1.0)
            pw = np.polynomial.chebyshev.chebvander(t, self.degree)
        else:
            u = theta / self.scale
            # powers u_k^0..u_k^D per parameter, then products per monomial
            pw = u[:, :, None] ** np.arange(self.degree + 1)[None, None, :]
        out = np.ones((theta.shape[0], len(self.exponents)))
        for k in range(theta.shape[1]):
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
        if self.kind == "monomial":
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


class PreparedLikelihood:
    """The fast path of a :class:`~lqmodel.fit.likelihood.CombinedLikelihood` ``full`` (module
    docstring); same interface (``chi2``, ``evaluate``, ``chi2_sm``, ``sm_terms``, ``spec``, ``point``,
    ``parameters``, ``terms``, ``base``), same numbers. Build it with :func:`prepare`."""

    def __init__(self, full, lows, highs, degree: int):
        from lqmodel.fit.likelihood import DirectDetectionTerm, DrellYanTerm, LimitsTerm, MeasurementTerm, PairTerm

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
        from lqmodel.fit.likelihood import DrellYanTerm, MeasurementTerm, PairTerm, _n_points
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

    def _exact_poly_predictions(self, point) -> np.ndarray:
        """Full-pipeline predictions (points, observables) of the polynomial-form observables."""
        from lqmodel.fit.likelihood import _flat
        from lqmodel.flavour import predict

        p = predict(point, self._poly_names, memo=self._memo)
        return np.column_stack([_flat(point, p[k]).astype(float) for k in self._poly_names])

    def _build(self, nodes: np.ndarray) -> None:
        from lqmodel.fit.likelihood import DrellYanTerm, MeasurementTerm
        from lqmodel.flavour import _IMAGES, _specs
        from observables.collider.drell_yan import SEARCHES, load_search

        full = self.full
        measured = tuple(o for t in full.terms if isinstance(t, MeasurementTerm) for o in t.measured)
        specs = _specs(list(measured)) if measured else []
        self._measured = measured
        # observables of linear / quadratic form are quadratic in the coefficients, i.e. polynomials of
        # degree 2 D in the parameters: represented directly; the rational and sqrt forms go through the
        # surrogates at the interpolated coefficients
        poly = [s for s in specs if s.form in ("linear", "quadratic")]
        rest = [s for s in specs if s.form not in ("linear", "quadratic")]
        self._poly_names = [s.name for s in poly]
        self._wet_specs = [s for s in rest if s.basis != "SMEFT"]
        self._smeft_specs = [s for s in rest if s.basis == "SMEFT"]
        needed = set().union(*(s.wc_names for s in self._wet_specs)) if self._wet_specs else set()
        needed |= {src for _, m in _IMAGES for src, dst in m.items() if dst in needed}
        self._wc_needed = needed
        self._memo = next((t._memo for t in full.terms if isinstance(t, MeasurementTerm)), {})
        dy = [t for t in full.terms if isinstance(t, DrellYanTerm)]
        self._dy_searches = tuple(SEARCHES) if not dy or dy[0].searches is None else tuple(dy[0].searches)
        unknown = [s for s in self._dy_searches if s not in SEARCHES]
        if unknown:
            raise _NotPrepared(f"unknown Drell-Yan search {unknown[0]!r}")  # the full term says so clearly

        self.pbasis = _Basis(self.basis.lows, self.basis.highs, 2 * self.basis.degree, kind="chebyshev")
        if self._poly_names:
            pnodes = self.pbasis.nodes()
            self.n_nodes += len(pnodes)
            vals = self._exact_poly_predictions(full.point(pnodes))
            self._pred_coef = self.pbasis.fit(vals, pnodes)
            self._pred_max = np.max(np.abs(vals), axis=0)
            # the measurement uncertainty of each (from the inverse covariance): the check's second scale
            # (observables given relative to the SM, e.g. Delta a_mu = a_mu - a_mu^SM, carry the rounding
            # of the total, far below the value's own size but far below its uncertainty too)
            sig: dict[str, float] = {}
            for t in full.terms:
                for c in getattr(t, "_constraints", ()):
                    d = 1.0 / np.sqrt(np.diag(c.inverse))
                    for nm, x in zip(c.observables, d, strict=True):
                        sig[nm] = min(sig.get(nm, np.inf), float(x))
            self._pred_sigma = np.array([sig.get(nm, 0.0) for nm in self._poly_names])
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
            masses = dict(zip(names, m, strict=True))
            _, coef = self._groups[f"dy:{s}"]
            labels = np.array([t.split("|")[0] for t in search.term_names])
            for med in search.mediators:
                if np.any(coef[:, labels == med] != 0) and not masses[med] >= MIN_MASS_GEV:
                    raise _NotPrepared(f"mediator {med} below the Drell-Yan kernels")
            nt = len(search.term_names)
            K = search.yields({k: np.full(nt, v) for k, v in masses.items()}, np.eye(nt))
            self._dy.append((search, K, f"dy:{s}"))
        # pair: the channels that are open somewhere in the box, the limits they can feed
        if "widths" in self._groups:
            self._prepare_pair()
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

    def predictions(self, B: np.ndarray, P: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Predictions of every measured observable at the basis rows ``B`` (and ``P`` of :attr:`pbasis`):
        the polynomial-form ones directly, the others by :func:`lqmodel.flavour.predict` at the
        interpolated WET / SMEFT coefficients (the same surrogates and memo as the full pipeline)."""
        from lqmodel.flavour import predict
        from lqmodel.matching import WilsonCoefficients
        from lqmodel.smeft_matching import SMEFTCoefficients

        n = B.shape[0]
        out: dict[str, np.ndarray] = {}
        if self._poly_names:
            v = P @ self._pred_coef
            out.update({nm: v[:, k] for k, nm in enumerate(self._poly_names)})
        if self._wet_specs:
            scale = float(self._groups["wc_scale"][1][0])
            wc = WilsonCoefficients(scale=np.full(n, scale), values=self._values(B, "wc"),
                                    right_handed_nu=self._values(B, "rhn"))
            out.update(predict(wc, [s.name for s in self._wet_specs], memo=self._memo))
        if self._smeft_specs:
            scale = float(self._groups["smeft_scale"][1][0])
            c = SMEFTCoefficients(scale=np.full(n, scale), values=self._values(B, "smeft"))
            out.update(predict(c, [s.name for s in self._smeft_specs], memo=self._memo))
        return {k: np.asarray(v, dtype=float).reshape(n) for k, v in out.items()}

    def evaluate_theta(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """chi2 per term and ``total`` at parameter rows ``theta`` (n, n_par)."""
        from lqmodel.errors import InputError
        from lqmodel.fit.likelihood import DrellYanTerm, MeasurementTerm, PairTerm

        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        if theta.shape[-1] != len(self.full.parameters):
            raise InputError(f"expected {len(self.full.parameters)} parameter values per point, "
                             f"got shape {theta.shape}")
        n = theta.shape[0]
        B = self.basis(theta)
        duck = self._duck(n)
        shared: dict = {}
        if self._measured:
            shared["predictions"] = self.predictions(B, self.pbasis(theta) if self._poly_names else None)
        if "mu" in self._groups:
            coef = self._groups["mu"][1]
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
                out[t.name] = t._combine(duck, self._pair_fields(B, t))
            else:
                out[t.name] = np.asarray(t.chi2(duck, shared), dtype=float)
        out["total"] = sum(out.values(), np.zeros(n))
        return out

    def _prepare_pair(self) -> None:
        r"""Per field: the live channels (a non-zero width somewhere in the box), its total width, and the
        published limits of :func:`observables.collider.pair.pair_limits` that a live channel can feed,
        each with the live channels of its two final-state classes (:func:`lqmodel.collider.pair.channel_class`
        at the fixed :math:`M_N`). A limit none of whose classes is fed has :math:`B_\text{eff} = 0` in the
        whole box, i.e. no recast mass limit (``pair_production`` skips it too)."""
        from lqmodel.collider.pair import _DEFAULT_MAX_INVISIBLE, channel_class
        from observables.collider.pair import DEFAULT_VINTAGE, mass_range, pair_limits, sigma_upper_limit

        names, coef = self._groups["widths"]
        M_N = np.asarray(float(np.ravel(self.full.base.M_N)[0]))
        mnames, m = self._groups["masses"]
        mass = dict(zip(mnames, m, strict=True))
        self._pair = []
        if any(float(v) < mass_range()[0] for v in m):
            raise _NotPrepared("a leptoquark below the pair cross-section table")  # the full term says so
        for f in mnames:
            chans = [(k, nm.split("|", 1)[1]) for k, nm in enumerate(names)
                     if nm.startswith(f + "|") and not nm.endswith("|total") and np.any(coef[:, k] != 0)]
            cols = [k for k, _ in chans]
            k_tot = names.index(f"{f}|total")
            lims = []
            for lim in pair_limits(DEFAULT_VINTAGE):
                thr = lim.max_invisible_mass_GeV if lim.max_invisible_mass_GeV is not None else _DEFAULT_MAX_INVISIBLE
                feed: dict[str, list[int]] = {}
                for j, (_, ch) in enumerate(chans):
                    cls, mask = channel_class(ch, M_N, thr)
                    if mask is None or bool(mask):
                        feed.setdefault(cls, []).append(j)
                a, b = lim.final_state
                if lim.curve is None and not (feed.get(a) and feed.get(b)):
                    continue
                lims.append((lim, a, b, np.array(feed.get(a, []), int), np.array(feed.get(b, []), int)))
            # flat-sigma_UL limits (no curve) of this field as one matrix: B_eff = (B @ F_a) * (B @ F_b) * mult
            flat = [x for x in lims if x[0].curve is None]
            nch = len(chans)
            Fa = np.zeros((nch, len(flat)))
            Fb = np.zeros((nch, len(flat)))
            for j, (_, _, _, ia, ib) in enumerate(flat):
                Fa[ia, j] = 1.0
                Fb[ib, j] = 1.0
            mult = np.array([1.0 if a == b else 2.0 for _, a, b, _, _ in flat])
            s_ul = np.array([sigma_upper_limit(x[0]) for x in flat])
            curved = [x for x in lims if x[0].curve is not None]
            self._pair.append((f, float(mass[f]), coef[:, cols], coef[:, k_tot], (Fa, Fb, mult, s_ul), curved))

    def _pair_fields(self, B: np.ndarray, term) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        r"""field -> (chi2, coupled) of the pair term: the strongest recast limit, as
        :func:`lqmodel.collider.pair.pair_production` takes it (0 where uncoupled), then
        :meth:`~lqmodel.fit.likelihood.PairTerm.field_chi2`. The flat-:math:`\sigma_\text{UL}` recast of
        :func:`observables.collider.pair.recast`, :math:`m_\text{lim} = \sigma^{-1}(\sigma_\text{UL}/B_\text{eff})`
        where :math:`B_\text{eff} = B_aB_b(2 \text{ if } a \ne b) > 0`, else 0, is evaluated for all
        flat limits of a field at once (:func:`observables.collider.pair.mass_for_cross_section`); limits
        with a published curve go through ``recast`` itself."""
        from observables.collider.pair import mass_for_cross_section, recast

        n = B.shape[0]
        out = {}
        for f, m, cg, ct, (Fa, Fb, mult, s_ul), curved in self._pair:
            tot = np.maximum(B @ ct, 0.0)  # widths are >= 0 (rounding of a polynomial at a zero)
            coupled = tot > 0
            g = np.maximum(B @ cg, 0.0)
            br = np.where(coupled[:, None], g / np.where(coupled, tot, 1.0)[:, None], 0.0)
            mm = np.full(n, m)
            best = np.zeros(n)
            if s_ul.size:
                beff = (br @ Fa) * (br @ Fb) * mult
                pos = beff > 0
                with np.errstate(divide="ignore"):
                    needed = np.where(pos, s_ul / np.where(pos, beff, 1.0), np.inf)
                    ml = np.where(pos, mass_for_cross_section(needed), 0.0)
                best = np.max(np.nan_to_num(ml, nan=0.0), axis=1)
            for lim, a, b, ia, ib in curved:
                branching = {a: br[:, ia].sum(axis=1)}
                if b != a:
                    branching[b] = br[:, ib].sum(axis=1)
                _, ml = recast(lim, mm, branching)
                best = np.maximum(best, np.nan_to_num(np.broadcast_to(ml, (n,)), nan=0.0))
            best = np.where(coupled, best, 0.0)
            out[f] = (term.field_chi2(mm, best), coupled)
        return out


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
    if fast._poly_names:
        exact_p = fast._exact_poly_predictions(point)
        approx_p = fast.pbasis(pts) @ fast._pred_coef
        tol = np.maximum(CHECK_RTOL * np.maximum(fast._pred_max, np.max(np.abs(exact_p), axis=0)),
                         CHECK_SIGMA * fast._pred_sigma)
        err = np.abs(approx_p - exact_p) - tol
        if np.any(err > 0):
            j = int(np.argmax(np.max(err, axis=0)))
            raise _NotPrepared(f"{fast._poly_names[j]} is not a polynomial of degree {fast.pbasis.degree} "
                               "in the parameters")
    a = fast.chi2(pts)
    b = fast.full.chi2(pts)
    if not np.allclose(a, b, rtol=1e-9, atol=1e-9):
        raise _NotPrepared(f"total chi2 differs from the full pipeline by {np.max(np.abs(a - b)):.3g}")


def _moving_masses(full, lows, highs) -> list[str]:
    """The mass fields (m_S1, m_R2, m_R2_23, M_N) that differ between the corners and the centre of the box,
    or that a parameter of ``lqmodel.fit.config.MASS_PARAMETERS`` sets."""
    from lqmodel.fit.config import MASS_PARAMETERS

    n = lows.size
    if n <= 10:
        corners = np.array(list(itertools.product(*zip(lows, highs, strict=True))), dtype=float)
    else:
        corners = np.vstack([lows, highs])
    rows = np.vstack([corners, 0.5 * (lows + highs)])
    pt = full.point(rows)
    out = []
    for name, v in (("m_S1", pt.m_S1), ("m_R2", pt.m_R2), ("m_R2_23", pt.m_R2_23_value), ("M_N", pt.M_N)):
        v = np.ravel(np.asarray(v, dtype=float))
        if not np.all(v == v[0]):
            out.append(name)
    named = [p for p in full.parameters if p in MASS_PARAMETERS]
    return out + [f"parameter {p}" for p in named if not out]


def prepare(full, lows, highs):
    """The fast path of ``full`` on the parameter box [lows, highs] (module docstring), checked against
    ``full``; ``full`` itself where the fast path does not apply (the reason is logged). Where the
    parameters move a leptoquark mass, ``full`` with its node surrogates warmed
    (:meth:`~lqmodel.fit.likelihood.CombinedLikelihood.warm`)."""
    lows, highs = np.asarray(lows, float), np.asarray(highs, float)
    moving = _moving_masses(full, lows, highs)
    if moving:
        _log.info("lqmodel fit: the parameters move %s: no fixed-mass fast path, full pipeline per call "
                  "(interpolated surrogates)", ", ".join(moving))
        if hasattr(full, "warm"):
            full.warm(lows, highs)
        return full
    if len(full.parameters) > MAX_PARAMETERS:
        _log.info("lqmodel fit: %d free parameters (> %d): full pipeline per call", len(full.parameters),
                  MAX_PARAMETERS)
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
