r"""The combined likelihood of a leptoquark point: one :math:`-2\ln L` from flavour, electroweak, collider
and direct-detection terms, vectorised over a batched :class:`~lqmodel.point.Point`.

:math:`-2\ln L(\theta) = \sum_t \chi^2_t(\theta)` over the switched-on terms :math:`t` (each a
:class:`Term`; the names are the keys of the ``likelihood`` section of a fit config, ``docs/fits.md``):

``flavour`` / ``electroweak``
    Gaussian :math:`\chi^2 = r^T (C_\text{exp} + C_\text{th})^{-1} r` of the measured observables of a
    measurement vintage (:mod:`observables.measurements`), exactly the construction of
    :func:`observables.likelihood.chi2` (experimental correlations, flavio's SM theory covariance per
    measurement group, one-sided limits as half-Gaussians at zero with :math:`\sigma = \text{limit}/1.645`
    at 90% CL); predictions from the exact surrogates (:func:`lqmodel.flavour.predict`, kept in memory
    for the whole fit). ``electroweak`` holds the observables of constraint group ``EW/tau`` (Z pole, W,
    leptonic tau decays; ``docs/electroweak.md``), ``flavour`` every other group.
``drell_yan``
    :math:`\sum_s \Delta\chi^2_s` of the LHC Drell-Yan tail searches of :mod:`lqmodel.collider.drell_yan`
    (already relative to the SM; ``docs/collider.md`` §3).
``pair``
    pair production (:func:`lqmodel.collider.pair.pair_production`: the published mass limit of each
    leptoquark recast to the point's branching ratios, :math:`m_\text{lim}`). ``mode: hard`` adds
    :data:`HARD_PENALTY` where :math:`m < m_\text{lim}`; ``mode: smooth`` (default) adds
    :math:`3.84\,\sigma(m)/\sigma(m_\text{lim})` per field, i.e. :math:`\Delta\chi^2 = 3.84` (95% CL, one
    dof) at the limit, rising and falling with the pair cross section. This is the background-free Poisson
    form :math:`\Delta\chi^2 \propto N_\text{signal} \propto \sigma(m)`, with :math:`\sigma` the shipped
    13 TeV NNLO_approx+NNLL QCD pair cross section of a coloured scalar
    (:func:`observables.collider.pair.pair_cross_section`; LHC SUSY cross-section working group,
    arXiv:1607.07741; 6.83 fb at 1 TeV, 0.257 fb at 1.5 TeV), log-linearly extrapolated above the table's
    3 TeV end. A documented approximation: the searches' own likelihoods are not public in a usable form.
``xenon1t`` / ``xenonnt``
    the binned Poisson likelihood of the electron-recoil data (:mod:`observables.neutrino.likelihood`),
    background nuisances profiled, as a function of :math:`\mu_\nu` and :math:`M_N`: the test statistic
    the project already uses, :math:`q(s) = -2\ln[L(s,\hat{\hat\theta})/L(\hat s,\hat\theta)]` with
    :math:`s = (\mu/10^{-11}\mu_B)^2` (:mod:`observables.neutrino.fit`). :math:`\mu` is the moment
    :math:`|\mu_{\ell N_1}|` of the term's ``lepton`` (default: the base point's); moments of the other
    flavours are added to :math:`s` with their relative event counts (exact when the flavour templates have
    the same shape; they differ only through the energy dependence of :math:`P_{e\alpha}`). :math:`q` is
    tabulated once per distinct :math:`M_N` on a grid in :math:`\mu` and interpolated (cubic spline;
    linear in :math:`s` above the grid, the large-signal behaviour of a Poisson :math:`-2\ln L`).
``limits``
    chosen published limits on the transition moment (:func:`observables.neutrino.limits.limits`, by
    name) as one-sided half-Gaussians at zero: :math:`\chi^2 = (\mu/\sigma)^2`,
    :math:`\sigma = \mu_\text{lim}/\sqrt{F^{-1}_{\chi^2_1}(\text{CL})}`, so that
    :math:`\Delta\chi^2` at the limit is the one-dof Wilks threshold of its CL (2.71 at 90%, 3.84 at 95%);
    bounds on :math:`\sqrt{\sum_\alpha|\mu_{\alpha N}|^2}` use the quadrature sum.

The SM reference is the base point with every leptoquark coupling zero (the same definition as
:class:`lqmodel.evaluate.PointEvaluator`); :meth:`CombinedLikelihood.evaluate` reports each term and
``total`` plus ``delta_total`` = :math:`-2\ln L - (-2\ln L)_\text{SM}`.

New terms plug in as objects with ``name``, ``chi2(point, shared) -> ndarray (n,)`` and ``spec()``
(:class:`Term`); ``shared`` holds the per-call moments and predictions so terms do not recompute them.

Units: masses GeV, moments mu_B, M_N keV at the direct-detection boundary; every chi2 is dimensionless.
"""
from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from lqmodel.errors import InputError
from lqmodel.vocabulary import LEPTONS

__all__ = [
    "Term", "MeasurementTerm", "DrellYanTerm", "PairTerm", "DirectDetectionTerm", "LimitsTerm",
    "CombinedLikelihood", "TERM_NAMES", "HARD_PENALTY", "build_terms", "sm_point", "pseudo_data",
]

#: chi2 added by ``pair: {mode: hard}`` where a leptoquark is excluded by pair production
HARD_PENALTY = 1.0e4
#: built-in term names (keys of the fit config's ``likelihood`` section)
TERM_NAMES = ("flavour", "electroweak", "drell_yan", "pair", "xenon1t", "xenonnt", "limits")
_EW_GROUP = "EW/tau"
_LEPTONS = LEPTONS
_KEV_PER_GEV = 1.0e6
_log = logging.getLogger("lqmodel.progress")


class Term(Protocol):
    """One switchable piece of the likelihood."""

    name: str

    def chi2(self, point, shared: dict) -> np.ndarray:
        """chi2 of each point of the (batched) ``point``, flattened (C order)."""

    def spec(self) -> dict[str, Any]:
        """JSON-ready description (enters the fit fingerprint)."""


def sm_point(point):
    """The SM reference of ``point``: its first entry with every leptoquark coupling zero."""
    from lqmodel.evaluate import _sm_point

    return _sm_point(point)


def _n_points(point) -> int:
    return int(np.prod(point.batch_shape)) if point.batch_shape else 1


def _flat(point, a) -> np.ndarray:
    n = _n_points(point)
    a = np.asarray(a)
    return a if a.shape == (n,) else np.broadcast_to(a, point.batch_shape).reshape(n)


def _moments(point, shared: dict) -> np.ndarray:
    """|mu_{alpha N1}| [mu_B], shape (n, 3), computed once per call."""
    if "mu_muB" not in shared:
        from lqmodel.moments import compute_moments

        mom = compute_moments(point)
        mu = np.abs(np.asarray(mom.mu_muB)[..., :, 0])
        shared["mu_muB"] = np.stack([_flat(point, mu[..., a]) for a in range(3)], axis=-1).astype(float)
    return shared["mu_muB"]


# ------------------------------------------------------------------------------------ Gaussian chi2
@dataclass(frozen=True)
class _Constraint:
    name: str
    observables: tuple[str, ...]
    values: np.ndarray
    inverse: np.ndarray
    upper_limit: bool


@dataclass(eq=False)
class MeasurementTerm:
    """Gaussian chi2 of measured observables (module docstring, ``flavour`` / ``electroweak``).

    ``observables``: toolkit names (only those with a measurement in the vintage enter);
    ``theory``: add flavio's SM theory covariance; ``pseudo_data``: observable -> value replacing the
    measured central value of a Gaussian constraint (the hook of pseudo-data fits; the data files are not
    touched, the covariance is kept).
    """

    name: str
    observables: tuple[str, ...]
    vintage: str | None = None
    theory: bool = True
    pseudo_data: Mapping[str, float] | None = None
    _constraints: list[_Constraint] = field(default_factory=list, init=False, repr=False)
    _memo: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        from observables.likelihood import THEORY_SAMPLES, theory_covariance
        from observables.measurements import load

        mset = load(self.vintage)
        wanted = set(self.observables)
        pseudo = dict(self.pseudo_data or {})
        unknown = [k for k in pseudo if k not in wanted]
        if unknown:
            raise InputError(f"pseudo-data for {unknown[0]!r}, which is not an observable of term {self.name!r}")
        for c in mset.constraints:
            sel = [i for i, o in enumerate(c.observables) if o in wanted]
            if not sel:
                continue
            cov = np.asarray(c.covariance, dtype=float)[np.ix_(sel, sel)].copy()
            if self.theory and c.theory == "flavio":
                cov = cov + theory_covariance(c.observables, N=c.theory_samples or THEORY_SAMPLES)[np.ix_(sel, sel)]
            names = tuple(c.observables[i] for i in sel)
            values = np.asarray(c.values, dtype=float)[sel].copy()
            for k, nm in enumerate(names):
                if nm in pseudo:
                    if c.kind == "upper_limit":
                        raise InputError(f"pseudo-data for {nm!r}: it is an upper limit, not a measured value")
                    values[k] = float(pseudo[nm])
            self._constraints.append(_Constraint(c.name, names, values, np.linalg.inv(cov), c.kind == "upper_limit"))
        self.measured = tuple(o for c in self._constraints for o in c.observables)

    def spec(self) -> dict[str, Any]:
        return {"kind": "measurements", "observables": list(self.measured), "vintage": self.vintage,
                "theory": self.theory, "pseudo_data": {k: float(v) for k, v in (self.pseudo_data or {}).items()}}

    def predictions(self, point, shared: dict) -> dict[str, np.ndarray]:
        preds = shared.setdefault("predictions", {})
        todo = [o for o in self.measured if o not in preds]
        if todo:
            # one predict (one matching) for every measurement term of the likelihood (flavour and EW)
            todo += [o for o in shared.get("predict_names", ()) if o not in preds and o not in todo]
            from lqmodel.flavour import predict

            # masses: "auto" (one matching scale: the exact per-mass surrogates, as always) unless the
            # likelihood moves a leptoquark mass ("interpolated", set by CombinedLikelihood)
            new = predict(point, todo, memo=self._memo, masses=shared.get("predict_masses", "auto"))
            preds.update({k: _flat(point, v).astype(float) for k, v in new.items()})
        return preds

    def chi2_parts(self, point, shared: dict) -> dict[str, np.ndarray]:
        """chi2 per constraint (name -> (n,))."""
        preds = self.predictions(point, shared)
        out = {}
        for c in self._constraints:
            p = np.stack([preds[o] for o in c.observables], axis=-1)
            if c.upper_limit:
                p = np.maximum(p, 0.0)
            r = p - c.values
            out[c.name] = np.einsum("ni,ij,nj->n", r, c.inverse, r)
        return out

    def chi2(self, point, shared: dict) -> np.ndarray:
        parts = self.chi2_parts(point, shared)
        return sum(parts.values(), np.zeros(_n_points(point)))


# ---------------------------------------------------------------------------------------- collider
@dataclass(eq=False)
class DrellYanTerm:
    """Sum of the Drell-Yan searches' Delta chi2 (``searches``: names; None = all)."""

    name: str = "drell_yan"
    searches: tuple[str, ...] | None = None

    def spec(self) -> dict[str, Any]:
        return {"kind": "drell_yan", "searches": None if self.searches is None else list(self.searches)}

    def chi2(self, point, shared: dict) -> np.ndarray:
        from lqmodel.collider.drell_yan import drell_yan

        res = drell_yan(point)
        if self.searches is not None:
            missing = [s for s in self.searches if s not in res]
            if missing:
                raise InputError(f"unknown Drell-Yan search {missing[0]!r}; allowed: {', '.join(res)}")
        names = list(res) if self.searches is None else list(self.searches)
        total = np.zeros(_n_points(point))
        for s in names:
            total = total + _flat(point, res[s]["chi2"]).astype(float)
        if np.any(np.isnan(total)):
            raise InputError("the Drell-Yan term is undefined here (a coupled leptoquark below the kernels' "
                             "1 TeV, docs/collider.md): switch it off (likelihood: {drell_yan: false}) or fit "
                             "heavier masses")
        return total


@lru_cache(maxsize=1)
def _log_sigma_table() -> tuple[float, float, float, float]:
    """(lowest, highest table mass, slope of ln sigma over the first and over the last 100 GeV of the
    table) of the shipped 13 TeV pair cross section, for the log-linear extrapolation beyond its ends."""
    from observables.collider.pair import mass_range, pair_cross_section

    lo, hi = mass_range()
    top = (math.log(pair_cross_section(hi)[0]) - math.log(pair_cross_section(hi - 100.0)[0])) / 100.0
    bottom = (math.log(pair_cross_section(lo + 100.0)[0]) - math.log(pair_cross_section(lo)[0])) / 100.0
    return lo, hi, bottom, top


def _sigma_ratio(m: np.ndarray, m_lim: np.ndarray) -> np.ndarray:
    """sigma(m)/sigma(m_lim) of the shipped 13 TeV pair cross section (log-linear extrapolation beyond the
    table's ends, which the published limits never reach); 0 where m_lim <= 0."""
    from observables.collider.pair import pair_cross_section

    lo, hi, bottom, top = _log_sigma_table()

    def log_sigma(x: np.ndarray) -> np.ndarray:
        xc = np.clip(x, lo, hi)
        ls = np.log(pair_cross_section(xc)[0])
        return ls + np.where(x > hi, (x - hi) * top, 0.0) + np.where(x < lo, (x - lo) * bottom, 0.0)

    m = np.asarray(m, dtype=float)
    m_lim = np.asarray(m_lim, dtype=float)
    ok = m_lim > 0
    out = np.zeros(np.broadcast(m, m_lim).shape)
    if np.any(ok):
        mm, ll = np.broadcast_arrays(m, m_lim)
        mm, ll = mm[ok], ll[ok]
        if np.all(mm == mm[0]):  # one mass (a fit): one cross section
            lm = np.full(mm.shape, float(log_sigma(mm[:1])[0]))
        else:
            lm = log_sigma(mm)
        out[ok] = np.exp(np.minimum(lm - log_sigma(ll), 50.0))
    return out


@dataclass(eq=False)
class PairTerm:
    """Pair production as a one-sided term (module docstring): ``mode`` "smooth" or "hard"."""

    name: str = "pair"
    mode: str = "smooth"

    def __post_init__(self) -> None:
        if self.mode not in ("smooth", "hard"):
            raise InputError(f"likelihood.pair.mode must be 'smooth' or 'hard', got {self.mode!r}")

    def spec(self) -> dict[str, Any]:
        return {"kind": "pair", "mode": self.mode, "sigma": "NNLO_approx+NNLL 13 TeV (observables.collider.pair)"}

    def prepare(self, base) -> None:
        self._base = self._per_field(base)

    def _per_field(self, point) -> dict[str, tuple[np.ndarray, ...]]:
        """field -> (chi2, coupled, mass, recast mass limit), each per point."""
        from lqmodel.collider.widths import BroadWidthWarning, decay_widths

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BroadWidthWarning)
            w = decay_widths(point, warn=False)
        return self._per_field_widths(point, w)

    def _per_field_widths(self, point, w) -> dict[str, tuple[np.ndarray, ...]]:
        """:meth:`_per_field` from the point's widths ``w`` (:func:`lqmodel.collider.widths.decay_widths`);
        of ``point`` only ``batch_shape`` and ``M_N`` are read."""
        from lqmodel.collider.pair import pair_production

        pp = pair_production(point, widths=w)
        out: dict[str, tuple[np.ndarray, ...]] = {}
        for f, r in pp.items():
            m = _flat(point, w.mass[f]).astype(float)
            ml = _flat(point, r.m_limit_GeV).astype(float)
            out[f] = (self.field_chi2(m, ml), _flat(point, w.total[f]).astype(float) > 0, m, ml)
        return out

    def field_chi2(self, m: np.ndarray, m_limit: np.ndarray) -> np.ndarray:
        """chi2 of one field of mass ``m`` whose recast mass limit is ``m_limit`` (GeV; 0: no limit)."""
        if self.mode == "hard":
            return np.where(m_limit > m, HARD_PENALTY, 0.0)
        return np.where(m_limit > 0, 3.84 * _sigma_ratio(m, m_limit), 0.0)

    def chi2(self, point, shared: dict) -> np.ndarray:
        # A leptoquark whose couplings all vanish has no branching ratios (0/0): there the term takes its
        # value at the base point's branching ratios, the limit along the base's direction, so the fit sees
        # no jump at zero coupling (pair production itself does not depend on the couplings). The SM
        # reference (no leptoquark) is evaluated separately and has no pair term.
        return self._combine(point, self._per_field(point))

    def chi2_from_widths(self, point, widths) -> np.ndarray:
        """:meth:`chi2` from precomputed widths of ``point`` (the prepared fast path of a fit,
        :mod:`lqmodel.fit.prepared`; of ``point`` only ``batch_shape`` and ``M_N`` are read)."""
        return self._combine(point, self._per_field_widths(point, widths))

    def _combine(self, point, per_field) -> np.ndarray:
        """Sum over fields of ``per_field`` (field -> (chi2, coupled[, mass, m_limit])), uncoupled fields at
        the base's value: the base's recast limit, at the point's mass where that differs from the base's
        (a free mass; with the base's mass the stored value itself, as for fixed masses)."""
        total = np.zeros(_n_points(point))
        for f, entry in per_field.items():
            c2, coupled = entry[0], entry[1]
            b = self._base[f]
            if not b[1][0]:
                fallback: Any = 0.0
            elif len(entry) > 2 and np.any(entry[2] != b[2][0]):
                fallback = self.field_chi2(entry[2], np.full(np.shape(entry[2]), float(b[3][0])))
            else:
                fallback = float(b[0][0])
            total = total + np.where(coupled, c2, fallback)
        return total

    def sm_chi2(self) -> float:
        return 0.0


# ------------------------------------------------------------------------------ direct detection
@dataclass(eq=False)
class DirectDetectionTerm:
    """Binned Poisson likelihood of ``experiment`` ("xenon1t", "xenonnt") as a function of mu and M_N
    (module docstring). ``tritium``: "none" (B0 only, XENON1T's quoted hypothesis) or "free" (XENON1T)."""

    name: str
    experiment: str
    lepton: str | None = None
    tritium: str = "none"
    n_grid: int = 400
    _tables: dict = field(default_factory=dict, init=False, repr=False)

    def spec(self) -> dict[str, Any]:
        return {"kind": "direct_detection", "experiment": self.experiment, "lepton": self.lepton,
                "tritium": self.tritium, "n_grid": self.n_grid}

    def _table(self, M_N_keV: float):
        """(weights per flavour, cubic spline of q(mu), mu_max, slope of q in s above the grid)."""
        key = float(M_N_keV)
        if key in self._tables:
            return self._tables[key]
        from scipy.interpolate import CubicSpline

        from observables.neutrino.detectors import get_detector
        from observables.neutrino.fit import MU_REF_MUB, signal_template
        from observables.neutrino.likelihood import make_likelihood

        lep = _LEPTONS.index(self.lepton)
        T3 = signal_template(self.experiment, key)
        counts = T3.sum(axis=1)
        if counts[lep] <= 0:
            tab = (np.zeros(3), None, 0.0, 0.0, 1.0)  # no events at this M_N: the data say nothing
            self._tables[key] = tab
            return tab
        weights = counts / counts[lep]
        lik = make_likelihood(get_detector(self.experiment), T3[lep], tritium=self.tritium)
        s_hat, m_hat = lik.global_fit()
        # grid in mu up to the moment where q reaches ~ 400 (far beyond any interval)
        s_max = max(s_hat, 1.0 / counts[lep])
        while lik.profile(s_max)[0] - m_hat < 400.0:
            s_max *= 2.0
        mu_max = math.sqrt(s_max)
        u = np.linspace(0.0, mu_max, self.n_grid)
        q = np.array([lik.profile(float(x * x))[0] for x in u]) - m_hat
        q = np.maximum(q, 0.0)
        spline = CubicSpline(u, q)
        slope = (q[-1] - q[-2]) / (u[-1] ** 2 - u[-2] ** 2)  # d q / d s at the end of the grid
        tab = (weights, spline, mu_max, float(slope), MU_REF_MUB)
        self._tables[key] = tab
        return tab

    def chi2(self, point, shared: dict) -> np.ndarray:
        mu = _moments(point, shared)
        m_keV = _flat(point, point.M_N).astype(float) * _KEV_PER_GEV
        out = np.zeros(mu.shape[0])
        for m in np.unique(m_keV):
            rows = m_keV == m
            tab = self._table(float(m))
            if tab[1] is None:
                continue
            weights, spline, mu_max, slope, ref = tab
            s = (mu[rows] / ref) ** 2 @ weights
            u = np.sqrt(s)
            inside = u <= mu_max
            val = np.empty_like(u)
            val[inside] = np.maximum(spline(u[inside]), 0.0)
            val[~inside] = float(spline(mu_max)) + slope * (s[~inside] - mu_max**2)
            out[rows] = val
        return out

    def prepare(self, base) -> None:
        if self.lepton is None:
            self.lepton = base.lepton
        if self.lepton not in _LEPTONS:
            raise InputError(f"likelihood.{self.name}.lepton must be one of e, mu, tau (or the base point's "
                             f"lepton), got {self.lepton!r}")


@dataclass(eq=False)
class LimitsTerm:
    """Chosen published limits on the transition moment as one-sided half-Gaussians (module docstring)."""

    names: tuple[str, ...]
    lepton: str | None = None
    name: str = "limits"

    def spec(self) -> dict[str, Any]:
        return {"kind": "limits", "names": list(self.names), "lepton": self.lepton}

    def prepare(self, base) -> None:
        if self.lepton is None:
            self.lepton = base.lepton
        if self.lepton not in _LEPTONS:
            raise InputError(f"likelihood.limits.lepton must be one of e, mu, tau, got {self.lepton!r}")
        from observables.neutrino.limits import limits

        m = float(np.ravel(base.M_N)[0]) * _KEV_PER_GEV
        known = {l.name: l for l in limits(self.lepton, m)}
        for n in self.names:
            if n not in known:
                from lqmodel.vocabulary import did_you_mean as _did_you_mean

                raise InputError(f"unknown limit {n!r} in likelihood.limits.names.{_did_you_mean(n, known)} "
                                 f"Allowed: {'; '.join(known)}")

    def chi2(self, point, shared: dict) -> np.ndarray:
        from scipy.stats import chi2 as chi2_dist

        from observables.neutrino.limits import limits

        mu = _moments(point, shared)
        lep = _LEPTONS.index(self.lepton)
        quad = np.sqrt((mu**2).sum(axis=-1))
        m_keV = _flat(point, point.M_N).astype(float) * _KEV_PER_GEV
        out = np.zeros(mu.shape[0])
        for m in np.unique(m_keV):
            rows = m_keV == m
            known = {l.name: l for l in limits(_LEPTONS[lep], float(m))}
            for n in self.names:
                lim = known[n]
                if not lim.applicable or lim.upper_muB is None:
                    continue
                if lim.excluded_up_to_muB is not None:
                    raise InputError(f"limit {n!r} excludes a band of moments (up to {lim.excluded_up_to_muB:g} "
                                     "mu_B), not everything above: it has no one-sided form; leave it out")
                sigma = lim.upper_muB / math.sqrt(chi2_dist.ppf(lim.cl, 1))
                moment = quad[rows] if "sqrt(sum" in lim.convention else mu[rows, lep]
                out[rows] += (moment / sigma) ** 2
        return out


# ------------------------------------------------------------------------------------ combined
def _measurement_names(group: str | None, exclude_group: str | None, observables) -> tuple[str, ...]:
    from observables.registry import OBSERVABLES, get

    if observables is not None:
        for o in observables:
            get(o)  # KeyError with close matches
        names = tuple(observables)
    else:
        names = tuple(OBSERVABLES)
    if group is not None:
        names = tuple(n for n in names if get(n).group == group)
    if exclude_group is not None:
        names = tuple(n for n in names if get(n).group != exclude_group)
    return names


def build_terms(options: Mapping[str, Any], *, pseudo_data: Mapping[str, float] | None = None) -> list:
    """Terms from the validated ``likelihood`` section of a fit config (:mod:`lqmodel.fit.config`):
    term name -> options mapping (a term that is absent or ``false`` is off)."""
    terms: list = []
    pseudo = dict(pseudo_data or {})
    for name in TERM_NAMES:
        opts = options.get(name)
        if opts is None or opts is False:
            continue
        opts = {} if opts is True else dict(opts)
        if name in ("flavour", "electroweak"):
            obs = opts.get("observables")
            names = _measurement_names(_EW_GROUP if name == "electroweak" else None,
                                       None if name == "electroweak" else _EW_GROUP,
                                       None if obs in (None, "all") else obs)
            mine = {k: v for k, v in pseudo.items() if k in names}
            terms.append(MeasurementTerm(name, names, vintage=opts.get("vintage"), theory=opts.get("theory", True),
                                         pseudo_data=mine or None))
        elif name == "drell_yan":
            s = opts.get("searches")
            terms.append(DrellYanTerm(searches=None if s is None else tuple(s)))
        elif name == "pair":
            terms.append(PairTerm(mode=opts.get("mode", "smooth")))
        elif name in ("xenon1t", "xenonnt"):
            terms.append(DirectDetectionTerm(name, name, lepton=opts.get("lepton"),
                                             tritium=opts.get("tritium", "none")))
        elif name == "limits":
            terms.append(LimitsTerm(tuple(opts.get("names") or ()), lepton=opts.get("lepton")))
    used = {k for t in terms if isinstance(t, MeasurementTerm) for k in (t.pseudo_data or {})}
    left = [k for k in pseudo if k not in used]
    if left:
        raise InputError(f"pseudo-data for {left[0]!r}, which no switched-on measurement term uses")
    return terms


def pseudo_data(lik: CombinedLikelihood, truth: Mapping[str, float]) -> dict[str, float]:
    """The predictions at the parameter values ``truth`` (name -> value) of every Gaussian-measured
    observable of the likelihood's measurement terms: pass them as ``build_terms(..., pseudo_data=...)``
    for an Asimov / pseudo-data fit whose answer is ``truth`` (the data files are not touched)."""
    missing = [n for n in lik.parameters if n not in truth]
    if missing:
        raise InputError(f"pseudo-data truth needs a value for every free parameter; missing {missing[0]!r}")
    point = lik.point(np.array([[float(truth[n]) for n in lik.parameters]]))
    out: dict[str, float] = {}
    for t in lik.terms:
        if isinstance(t, MeasurementTerm):
            preds = t.predictions(point, {"predict_masses": lik.predict_masses})
            for c in t._constraints:
                if not c.upper_limit:
                    out.update({o: float(preds[o][0]) for o in c.observables})
    return out


#: interior point of a parameter box used to warm the surrogates (a fraction of each range; not 1/2, where
#: a symmetric coupling range has its zero)
_INTERIOR = 0.381966


def _probe_rows(parameters: Sequence[str], masses: Sequence[str], lows, highs) -> np.ndarray:
    """Parameter rows: every corner of the mass parameters ``masses`` (at most 2^6), the other parameters
    at an interior point, at their lows and at their highs."""
    import itertools

    lows, highs = np.asarray(lows, dtype=float), np.asarray(highs, dtype=float)
    idx = [k for k, n in enumerate(parameters) if n in masses][:6]
    rest = [lows + _INTERIOR * (highs - lows), lows, highs]
    rows = []
    for r in rest:
        for corner in itertools.product((0, 1), repeat=len(idx)):
            row = r.copy()
            for k, c in zip(idx, corner, strict=True):
                row[k] = highs[k] if c else lows[k]
            rows.append(row)
    return np.array(rows)


class CombinedLikelihood:
    r""":math:`-2\ln L` of points near ``base`` as a function of named parameters (module docstring).

    ``base``: a :class:`~lqmodel.point.Point` (scalar); ``parameters``: the names of the free parameters
    (any name :func:`lqmodel.point.vary` accepts, plus ``y1y2`` and ``M_N_keV`` of
    :func:`lqmodel.scan.config.to_assignments`); ``terms``: :class:`Term` objects.

    Free leptoquark masses (a parameter of :data:`lqmodel.fit.config.MASS_PARAMETERS`: ``m_LQ``, ``m_S1``,
    ``m_R2``, ``m_R2_23``, ``delta_m2``; listed in :attr:`free_masses`): every prediction call then uses
    ``lqmodel.flavour.predict(..., masses="interpolated")`` (:attr:`predict_masses`): the surrogates on the
    lattice :func:`observables.surrogate.node_scale`, interpolated cubically in log m (exact in the couplings,
    relative error below :data:`observables.surrogate.INTERPOLATION_ERROR`), whatever the batch holds — a
    single point at a new mass never builds a surrogate at that mass. :meth:`warm` builds or reads the node
    surrogates of a parameter box once. With fixed masses the calls are unchanged (``masses="auto"``: one
    matching scale, the exact per-mass surrogates). The collider terms take the point's masses as they are
    (Drell-Yan kernels interpolated in 1/m², pair cross section log-interpolated in m; ranges:
    :func:`lqmodel.fit.config.free_mass_range`).

    >>> import numpy as np
    >>> from lqmodel.models import s1_only
    >>> class Toy:                                  # a user-defined term: Gaussian in y1p
    ...     name = "toy"
    ...     def chi2(self, point, shared):
    ...         return ((point.y_RR[..., 2, 1].real.ravel() - 0.2) / 0.1) ** 2
    ...     def spec(self):
    ...         return {"kind": "toy"}
    >>> L = CombinedLikelihood(s1_only(1500.0, 0.0, 1.0, "mu"), ["y1p"], [Toy()])
    >>> L.chi2(np.array([[0.2], [0.3]])).tolist(), float(L.chi2_sm())
    ([0.0, 1.0], 4.0)
    """

    def __init__(self, base, parameters: Sequence[str], terms: Sequence, *, y1_over_y2: float = 1.0):
        from lqmodel.point import Point

        if not isinstance(base, Point) or base.batch_shape != ():
            raise InputError("the base of a likelihood must be a scalar Point")
        names = [t.name for t in terms]
        if len(set(names)) != len(names):
            raise InputError(f"likelihood terms must have distinct names, got {names}")
        from lqmodel.fit.config import MASS_PARAMETERS

        self.base = base
        self.parameters = tuple(parameters)
        self.terms = list(terms)
        self.y1_over_y2 = float(y1_over_y2)
        #: the free parameters that move a leptoquark mass
        self.free_masses = tuple(n for n in self.parameters if n in MASS_PARAMETERS)
        #: the ``masses`` option of every prediction call (lqmodel.flavour.predict)
        self.predict_masses = "interpolated" if self.free_masses else "auto"
        self._warmed: set[tuple[float, ...]] = set()
        for t in self.terms:
            if hasattr(t, "prepare"):
                t.prepare(base)

    def spec(self) -> dict[str, Any]:
        return {t.name: t.spec() for t in self.terms}

    def point(self, theta: np.ndarray):
        """The batched point of parameter rows ``theta`` (shape (n, n_par))."""
        from lqmodel.point import PerturbativityWarning, vary
        from lqmodel.scan.config import to_assignments

        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        if theta.shape[-1] != len(self.parameters):
            raise InputError(f"expected {len(self.parameters)} parameter values per point, got shape {theta.shape}")
        values = {n: theta[:, k] for k, n in enumerate(self.parameters)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PerturbativityWarning)
            return vary(self.base, to_assignments(values, self.y1_over_y2))

    def evaluate_point(self, point) -> dict[str, np.ndarray]:
        """chi2 per term and ``total`` for a (batched) Point."""
        shared: dict = {"predict_names": tuple(o for t in self.terms for o in getattr(t, "measured", ())),
                        "predict_masses": self.predict_masses}
        out = {t.name: np.asarray(t.chi2(point, shared), dtype=float) for t in self.terms}
        out["total"] = sum(out.values(), np.zeros(_n_points(point)))
        return out

    def evaluate(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """chi2 per term, ``total`` and ``delta_total`` (relative to the SM) at parameter rows ``theta``."""
        out = self.evaluate_point(self.point(theta))
        out["delta_total"] = out["total"] - self.chi2_sm()
        return out

    def chi2(self, theta: np.ndarray) -> np.ndarray:
        r""":math:`-2\ln L` (up to a constant) at parameter rows ``theta`` (n, n_par) -> (n,)."""
        return self.evaluate_point(self.point(theta))["total"]

    def node_scales(self, lows: Sequence[float], highs: Sequence[float]) -> list[float]:
        """The lattice scales (GeV, :func:`observables.surrogate.node_scale`) whose surrogates the
        interpolated predictions of the parameter box [lows, highs] use: every node with a non-zero weight
        (:func:`observables.surrogate.interpolation_stencil`) for some matching scale
        (:func:`lqmodel.matching.matching_scale`) the box reaches. The range of the matching scale is read
        off the corners of the mass parameters, the other parameters at an interior point, at their lows and
        at their highs (a coupling at zero can move the matching scale from m_S1 to m_R2); the stencil is
        then sampled at half a node spacing and just inside both ends. Empty for fixed masses."""
        if not self.free_masses:
            return []
        from lqmodel.matching import matching_scale
        from observables.surrogate import lattice_nodes

        rows = _probe_rows(self.parameters, self.free_masses, lows, highs)
        scales = np.ravel(np.asarray(matching_scale(self.point(rows)), dtype=float))
        return lattice_nodes(float(scales.min()), float(scales.max()))

    def warm(self, lows: Sequence[float], highs: Sequence[float]) -> list[float]:
        """Build (or read from the disk cache) once, into the measurement terms' in-memory surrogates, the
        surrogates of every lattice node of :meth:`node_scales` of the box [lows, highs], instead of on
        the fit's first calls. One prediction call of the measurement terms at an interior point of the box
        (parameters at lows + 0.382 (highs - lows): no coupling at zero, so the surrogates carry the
        variables of the interior) with all leptoquark masses scaled so that the matching scale is each node
        in turn (at a node the stencil's weights are exactly (0, 1, 0, 0): only that node's surrogate is
        used). Returns the node scales; nothing (an empty list) for fixed masses or without measurement
        terms. Calling it again for the same nodes does nothing."""
        nodes = self.node_scales(lows, highs)
        meas = [t for t in self.terms if isinstance(t, MeasurementTerm)]
        if not nodes or not meas or tuple(nodes) in self._warmed:
            return nodes if meas else []
        from lqmodel.matching import matching_scale
        from lqmodel.point import PerturbativityWarning

        lows_a, highs_a = np.asarray(lows, dtype=float), np.asarray(highs, dtype=float)
        g = self.point((lows_a + _INTERIOR * (highs_a - lows_a))[None, :])[0]
        r = np.asarray(nodes) / float(matching_scale(g))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PerturbativityWarning)
            pts = g.replace(m_S1=np.asarray(g.m_S1) * r, m_R2=np.asarray(g.m_R2) * r,
                            m_R2_23=None if g.m_R2_23 is None else np.asarray(g.m_R2_23) * r)
        _log.info(
            "lqmodel fit: surrogates on %d lattice nodes (%.0f-%.0f GeV) for the free leptoquark masses",
            len(nodes), nodes[0], nodes[-1])
        shared = {"predict_names": tuple(o for t in self.terms for o in getattr(t, "measured", ())),
                  "predict_masses": "interpolated"}
        meas[0].predictions(pts, shared)
        self._warmed.add(tuple(nodes))
        return nodes

    def chi2_sm(self) -> float:
        """-2 ln L of the SM reference (couplings zero; no leptoquark: terms with ``sm_chi2`` use it)."""
        if not hasattr(self, "_sm"):
            smp = sm_point(self.base)
            shared: dict = {}
            sm = {t.name: (np.atleast_1d(float(t.sm_chi2())) if hasattr(t, "sm_chi2") else
                           np.asarray(t.chi2(smp, shared), dtype=float)) for t in self.terms}
            sm["total"] = sum(sm.values(), np.zeros(1))
            self._sm = sm
        return float(np.ravel(self._sm["total"])[0])

    def sm_terms(self) -> dict[str, float]:
        self.chi2_sm()
        return {k: float(np.ravel(v)[0]) for k, v in self._sm.items()}
