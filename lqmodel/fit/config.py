r"""Fit configurations: the base point, the free parameters, the likelihood terms, priors, starts, seed.

A fit configuration is a plain mapping (usually YAML, read with :mod:`lqmodel.safe_load`)::

    title: "..."                 # optional; description: one line for listings
    base: BP2                    # a built-in benchmark point or an inline point mapping (point-file format)
    parameters:                  # free parameters: any name lqmodel.point.vary accepts (plus y1y2), but M_N
      y1: {min: 0.0, max: 0.3}            # the range bounds the minimiser, the profiles and the sampler
      y2: {min: 0.0, max: 2.0, start: 1.0, scale: lin}   # start: optional; scale lin | log
    likelihood:                  # terms (lqmodel.fit.likelihood); absent or false = off, true = defaults
      flavour: {observables: all, vintage: null, theory: true}
      electroweak: true
      drell_yan: true            # or {searches: [...]}
      pair: {mode: smooth}       # smooth (default: 3.84 sigma(m)/sigma(m_lim)) | hard
      xenon1t: {tritium: none}   # lepton: e | mu | tau (default: the base point's)
      xenonnt: true
      limits: {names: ["Red-giant branch tip (omega Cen)"]}
    priors:                      # for sampling; default: uniform in the range (log_uniform on log scales)
      y1: {kind: uniform}        # uniform | log_uniform | gaussian {mean, sigma} (truncated to the range)
    starts: 4                    # number of minimiser starts (the base/start values + random ones), or a list
    seed: 0                      # random starts and the sampler are deterministic for a seed
    profiles:                    # profile likelihoods; n: grid points per axis
      one_d: all                 # all | [names] | []
      two_d: [[y1, y2]]          # pairs of free parameters
      n: 25                      # 1-D points; n_2d: 2-D points per axis (default 15)
    sampling:                    # emcee; false or absent = no sampling
      walkers: 16
      steps: 1000
      burn: 300                  # default: a third of the steps
      thin: 1
      checkpoint: 100            # steps between saved states (resume point)
    y1_over_y2: 1.0              # for y1y2 (lqmodel.scan.config.to_assignments)

Leptoquark masses can be free (``m_LQ``, ``m_S1``, ``m_R2``, ``m_R2_23`` and the splitting ``delta_m2``):
the flavour predictions then interpolate the surrogates in log(m) between the lattice scales of
:func:`observables.surrogate.node_scale` (:func:`lqmodel.flavour.predict` with ``masses="interpolated"``),
the collider pieces interpolate in mass already. Their ranges must lie where the switched-on collider
terms are defined (:func:`free_mass_range`: the Drell-Yan kernels from 1 TeV up, the pair cross-section
table 100-3000 GeV). ``M_N`` and ``M_N_keV`` cannot be free: the direct-detection tables are built at one
M_N; run one fit per mass instead (``docs/fits.md``). Bad configurations raise :class:`FitConfigError`
with a one-line message, before anything is computed.

>>> cfg = FitConfig.from_dict({"base": "BP2", "parameters": {"y1": {"min": 0.0, "max": 0.3}},
...                            "likelihood": {"xenonnt": True}})
>>> cfg.parameters[0].name, cfg.starts, cfg.profiles["one_d"]
('y1', 4, ['y1'])
>>> FitConfig.from_dict({"base": "BP2", "parameters": {"m_LQ": {"min": 1200, "max": 2000}},
...                      "likelihood": {"drell_yan": True, "pair": True}}).names
('m_LQ',)
>>> FitConfig.from_dict({"base": "BP2", "parameters": {"m_LQ": {"min": 500, "max": 2000}},
...                      "likelihood": {"drell_yan": True, "pair": True}})
Traceback (most recent call last):
...
lqmodel.fit.config.FitConfigError: parameter 'm_LQ' cannot be a free fit parameter over [500, 2000] GeV:
with the drell_yan and pair terms on, a free leptoquark mass must lie within [1000, 3000] GeV (...); ...
>>> FitConfig.from_dict({"base": "BP2", "parameters": {"M_N_keV": {"min": 0, "max": 100}},
...                      "likelihood": {"xenonnt": True}})
Traceback (most recent call last):
...
lqmodel.fit.config.FitConfigError: parameter 'M_N_keV' sets the mass the direct-detection tables are built at:
it cannot be a free fit parameter; run one fit per mass (docs/fits.md)
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lqmodel.errors import InputError, shorten
from lqmodel.vocabulary import did_you_mean

__all__ = ["FitConfigError", "FreeParameter", "FitConfig", "load_fit_config", "FIXED_MASSES", "FREE_MASSES",
           "MASS_PARAMETERS", "free_mass_range", "check_mass_ranges"]


class FitConfigError(InputError):
    """A fit configuration that cannot be run; the message is one line saying what is wrong."""


#: parameters that cannot be free in a fit (the M_N the direct-detection tables are built at)
FIXED_MASSES = ("M_N", "M_N_keV")
#: leptoquark masses [GeV] that can be free, within :func:`free_mass_range`
FREE_MASSES = ("m_LQ", "m_S1", "m_R2", "m_R2_23")
#: every parameter that moves a leptoquark mass: the masses and the splitting delta_m2 = m_R2^2/m_S1^2 - 1
MASS_PARAMETERS = FREE_MASSES + ("delta_m2",)
_TOP_KEYS = ("title", "description", "base", "parameters", "likelihood", "priors", "starts", "seed",
             "profiles", "sampling", "y1_over_y2")
_PAR_KEYS = ("min", "max", "start", "scale")
_TERM_KEYS = {
    "flavour": ("observables", "vintage", "theory"),
    "electroweak": ("observables", "vintage", "theory"),
    "drell_yan": ("searches",),
    "pair": ("mode",),
    "xenon1t": ("lepton", "tritium"),
    "xenonnt": ("lepton",),
    "limits": ("names", "lepton"),
}
_PRIOR_KINDS = ("uniform", "log_uniform", "gaussian")
_PROFILE_KEYS = ("one_d", "two_d", "n", "n_2d")
_SAMPLING_KEYS = ("walkers", "steps", "burn", "thin", "checkpoint")


def _did_you_mean(name: str, options) -> str:
    return did_you_mean(name, options, style="paren")  # the package's one helper (it truncates long input)


def _unknown(where: str, d: Mapping, allowed) -> None:
    bad = [k for k in d if k not in allowed]
    if bad:
        raise FitConfigError(f"unknown key {shorten(bad[0])} in {where}{_did_you_mean(bad[0], allowed)}; "
                             f"allowed: {', '.join(allowed)}")


def _number(where: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        raise FitConfigError(f"{where} must be a finite number, got {shorten(v)}")
    return float(v)


def _count(where: str, v: Any, minimum: int = 1) -> int:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise FitConfigError(f"{where} must be an integer >= {minimum}, got {shorten(v)}")
    return v


@dataclass(frozen=True)
class FreeParameter:
    """A free parameter on [low, high] (``scale`` lin/log: how random starts and default priors are drawn)."""

    name: str
    low: float
    high: float
    start: float | None = None
    scale: str = "lin"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"min": self.low, "max": self.high, "scale": self.scale}
        if self.start is not None:
            d["start"] = self.start
        return d


@dataclass(frozen=True)
class FitConfig:
    """A validated fit configuration (module docstring)."""

    base: Any
    parameters: tuple[FreeParameter, ...]
    likelihood: dict
    priors: dict = field(default_factory=dict)
    starts: Any = 4
    seed: int = 0
    profiles: dict = field(default_factory=dict)
    sampling: dict | None = None
    y1_over_y2: float = 1.0
    title: str = ""
    description: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @classmethod
    def from_dict(cls, d: Any) -> FitConfig:
        from lqmodel.scan.config import ScanConfigError, _plain, check_parameter_name

        if not isinstance(d, Mapping):
            raise FitConfigError(f"a fit configuration must be a mapping, got {type(d).__name__}")
        _unknown("the fit configuration", d, _TOP_KEYS)
        if "base" not in d:
            raise FitConfigError(
                "the fit configuration needs 'base': a benchmark point name or an inline point mapping")
        base = d["base"]
        if not isinstance(base, (str, Mapping)):
            raise FitConfigError(f"'base' must be a benchmark name or a point mapping, got {shorten(base)}")
        base = _plain(base) if isinstance(base, Mapping) else base
        params = d.get("parameters")
        if not isinstance(params, Mapping) or not params:
            raise FitConfigError("'parameters' must be a non-empty mapping: name -> {min, max[, start, scale]}")
        pars = []
        for raw, spec in params.items():
            try:
                name = check_parameter_name(raw)
            except ScanConfigError as exc:
                raise FitConfigError(str(exc)) from None
            if name in FIXED_MASSES:
                raise FitConfigError(f"parameter {name!r} sets the mass the direct-detection tables are built at: "
                                     "it cannot be a free fit parameter; run one fit per mass (docs/fits.md)")
            if not isinstance(spec, Mapping):
                raise FitConfigError(
                    f"parameter {name!r}: expected a mapping like {{min: 0.0, max: 1.0}}, got {shorten(spec)}")
            _unknown(f"parameter {name!r}", spec, _PAR_KEYS)
            if "min" not in spec or "max" not in spec:
                raise FitConfigError(f"parameter {name!r}: a free parameter needs both 'min' and 'max'")
            lo, hi = _number(f"parameter {name!r} min", spec["min"]), _number(f"parameter {name!r} max", spec["max"])
            if not lo < hi:
                raise FitConfigError(f"parameter {name!r}: need min < max, got min={lo}, max={hi}")
            scale = spec.get("scale", "lin")
            if scale not in ("lin", "log"):
                raise FitConfigError(f"parameter {name!r}: scale must be lin or log, got {shorten(scale)}")
            if scale == "log" and lo <= 0:
                raise FitConfigError(f"parameter {name!r}: a log scale needs a positive range (got min={lo})")
            start = spec.get("start")
            if start is not None:
                start = _number(f"parameter {name!r} start", start)
                if not lo <= start <= hi:
                    raise FitConfigError(f"parameter {name!r}: start {start} is outside [{lo}, {hi}]")
            pars.append(FreeParameter(name, lo, hi, start, scale))
        names = [p.name for p in pars]
        if len(set(names)) != len(names):
            raise FitConfigError(f"a parameter is listed twice: {names}")
        if "y1y2" in names and ("y1" in names or "y2" in names):
            raise FitConfigError("fit either y1y2 or y1/y2, not both (y1y2 sets y1 and y2)")
        lik = _check_likelihood(d.get("likelihood"))
        for p in pars:
            if p.name in FREE_MASSES:
                _check_mass_range(f"parameter {p.name!r}", p.low, p.high, lik)
        priors = _check_priors(d.get("priors") or {}, pars)
        starts = _check_starts(d.get("starts", 4), pars)
        seed = d.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise FitConfigError(f"seed must be a non-negative integer, got {shorten(seed)}")
        profiles = _check_profiles(d.get("profiles"), names)
        sampling = _check_sampling(d.get("sampling"), len(names))
        ratio = d.get("y1_over_y2", 1.0)
        ratio = _number("y1_over_y2", ratio)
        if ratio <= 0:
            raise FitConfigError(f"y1_over_y2 must be positive, got {ratio}")
        texts = {}
        for key in ("title", "description"):
            t = d.get(key) or ""
            if not isinstance(t, str) or len(t) > 200:
                raise FitConfigError(f"{key} must be a string of at most 200 characters, got {shorten(t)}")
            texts[key] = t
        return cls(base=base, parameters=tuple(pars), likelihood=lik, priors=priors, starts=starts, seed=seed,
                   profiles=profiles, sampling=sampling, y1_over_y2=ratio, **texts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title, "description": self.description, "base": self.base,
            "parameters": {p.name: p.to_dict() for p in self.parameters}, "likelihood": self.likelihood,
            "priors": self.priors, "starts": self.starts, "seed": self.seed, "profiles": self.profiles,
            "sampling": self.sampling if self.sampling is not None else False, "y1_over_y2": self.y1_over_y2,
        }

    def replace(self, **changes) -> FitConfig:
        d = self.to_dict()
        d.update(changes)
        return FitConfig.from_dict(d)

    def fingerprint(self, extra: Any = None) -> str:
        """SHA-256 of everything that determines the results (the whole config except title/description,
        plus ``extra``, e.g. the likelihood's spec and the package versions)."""
        d = self.to_dict()
        d.pop("title")
        d.pop("description")
        text = json.dumps({"config": d, "extra": extra}, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def free_mass_range(likelihood: Mapping[str, Any]) -> tuple[float, float, str]:
    """(lowest, highest) leptoquark mass in GeV that a fit with the validated ``likelihood`` section may move
    a mass over, and why (empty: no collider term, no bound beyond the point's own m_LQ > m_b).

    The flavour and electroweak predictions take any mass (surrogates on the lattice of
    :func:`observables.surrogate.node_scale`, interpolated in log m); the moments' loop functions too. The
    collider pieces are tabulated: ``drell_yan`` — the HighPT kernels at 1, 2, 3 TeV, interpolated in
    1/m^2 between them and towards the contact limit (m -> infinity) above 3 TeV, refused below
    :data:`lqmodel.collider.drell_yan.MIN_MASS_GEV` (docs/collider.md §3); ``pair`` — the 13 TeV pair
    cross-section table of :func:`observables.collider.pair.mass_range` (100-3000 GeV; the smooth term's
    sigma(m) would be extrapolated beyond it)."""
    lo, hi, why, terms = 0.0, math.inf, [], []
    if likelihood.get("drell_yan") not in (None, False):
        from lqmodel.collider.drell_yan import MIN_MASS_GEV

        lo = max(lo, float(MIN_MASS_GEV))
        terms.append("drell_yan")
        why.append(f"the Drell-Yan kernels are tabulated from {MIN_MASS_GEV:g} GeV up")
    if likelihood.get("pair") not in (None, False):
        from observables.collider.pair import mass_range

        a, b = mass_range()
        lo, hi = max(lo, a), min(hi, b)
        terms.append("pair")
        why.append(f"the pair cross-section table covers {a:g}-{b:g} GeV")
    if not terms:
        return lo, hi, ""
    return lo, hi, f"with the {' and '.join(terms)} term{'s' if len(terms) > 1 else ''} on, a free leptoquark mass " \
        f"must lie within [{lo:g}, {hi:g}] GeV ({'; '.join(why)})"


def _check_mass_range(what: str, low: float, high: float, likelihood: Mapping[str, Any]) -> None:
    lo, hi, why = free_mass_range(likelihood)
    if why and not (lo <= low and high <= hi):
        raise FitConfigError(f"{what} cannot be a free fit parameter over [{low:g}, {high:g}] GeV: {why}; "
                             "narrow the range or switch those terms off")


def check_mass_ranges(config: FitConfig, base) -> None:
    """The leptoquark masses the free parameters move (``m_LQ``, ``m_S1``, ``m_R2``, ``m_R2_23``; ``delta_m2``
    moves m_R2 = m_S1 sqrt(1 + delta)) must stay inside :func:`free_mass_range` over the whole box; read off
    the box corners of the mass parameters (the masses are monotonic in each). ``base``: the resolved base
    :class:`~lqmodel.point.Point`. Masses the parameters do not move are not checked (fixed masses as before)."""
    import warnings

    from lqmodel.point import PerturbativityWarning, PointError, vary

    names = [p.name for p in config.parameters if p.name in MASS_PARAMETERS]
    if not names:
        return
    bounds = {p.name: (p.low, p.high) for p in config.parameters if p.name in names}
    grids = np.meshgrid(*[np.array(bounds[n], dtype=float) for n in names], indexing="ij")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PerturbativityWarning)
            pts = vary(base, {n: g.ravel() for n, g in zip(names, grids, strict=True)})
    except PointError as exc:
        raise FitConfigError(f"the parameter ranges reach invalid points: {exc}") from None
    for fld, moved, fixed in (("m_S1", pts.m_S1, base.m_S1), ("m_R2", pts.m_R2, base.m_R2),
                              ("m_R2_23", pts.m_R2_23_value, base.m_R2_23_value)):
        m = np.asarray(moved, dtype=float)
        if np.all(m == float(fixed)):
            continue
        _check_mass_range(f"the parameters {', '.join(map(repr, names))} (moving {fld})", float(m.min()),
                          float(m.max()), config.likelihood)


def _check_likelihood(lik: Any) -> dict:
    from lqmodel.scan.config import _plain

    if not isinstance(lik, Mapping) or not lik:
        raise FitConfigError("'likelihood' must be a non-empty mapping of terms: "
                             + ", ".join(_TERM_KEYS) + " (each true, false or a mapping of options)")
    _unknown("likelihood", lik, tuple(_TERM_KEYS))
    out: dict[str, Any] = {}
    for name, opts in lik.items():
        if opts is False or opts is None:
            continue
        if opts is True:
            opts = {}
        if not isinstance(opts, Mapping):
            raise FitConfigError(f"likelihood.{name} must be true, false or a mapping of options, got {shorten(opts)}")
        opts = _plain(opts)
        _unknown(f"likelihood.{name}", opts, _TERM_KEYS[name])
        if "observables" in opts and opts["observables"] not in (None, "all"):
            obs = opts["observables"]
            if not isinstance(obs, list) or not obs or not all(isinstance(o, str) for o in obs):
                raise FitConfigError(f"likelihood.{name}.observables must be 'all' or a non-empty list of names")
            from observables.registry import get

            for o in obs:
                try:
                    get(o)
                except KeyError as exc:
                    raise FitConfigError(f"likelihood.{name}.observables: {exc.args[0]}") from None
        if "theory" in opts and not isinstance(opts["theory"], bool):
            raise FitConfigError(f"likelihood.{name}.theory must be true or false, got {shorten(opts['theory'])}")
        if "vintage" in opts and opts["vintage"] is not None and not isinstance(opts["vintage"], str):
            raise FitConfigError(f"likelihood.{name}.vintage must be a string or null")
        if "mode" in opts and opts["mode"] not in ("smooth", "hard"):
            raise FitConfigError(f"likelihood.pair.mode must be 'smooth' or 'hard', got {shorten(opts['mode'])}")
        if "lepton" in opts and opts["lepton"] not in (None, "e", "mu", "tau"):
            raise FitConfigError(f"likelihood.{name}.lepton must be e, mu, tau or null, got {shorten(opts['lepton'])}")
        if "tritium" in opts and opts["tritium"] not in ("none", "free"):
            raise FitConfigError(f"likelihood.{name}.tritium must be 'none' or 'free', got {shorten(opts['tritium'])}")
        for key in ("searches", "names"):
            if key in opts and (not isinstance(opts[key], list) or not all(isinstance(s, str) for s in opts[key])):
                raise FitConfigError(f"likelihood.{name}.{key} must be a list of names")
        if name == "limits" and not opts.get("names"):
            raise FitConfigError("likelihood.limits needs names: the published limits to include (one-sided)")
        out[name] = opts
    if not out:
        raise FitConfigError("every likelihood term is switched off; switch on at least one")
    return out


def _check_priors(priors: Any, pars) -> dict:
    if not isinstance(priors, Mapping):
        raise FitConfigError(f"'priors' must be a mapping parameter -> {{kind: ...}}, got {shorten(priors)}")
    by_name = {p.name: p for p in pars}
    out = {}
    for name, spec in priors.items():
        if name not in by_name:
            raise FitConfigError(
                f"prior for {shorten(name)}, which is not a free parameter{_did_you_mean(name, by_name)}")
        if not isinstance(spec, Mapping) or spec.get("kind") not in _PRIOR_KINDS:
            raise FitConfigError(
                f"priors.{name} must be a mapping with kind: {' | '.join(_PRIOR_KINDS)}, got {shorten(spec)}")
        kind = spec["kind"]
        allowed = ("kind", "mean", "sigma") if kind == "gaussian" else ("kind",)
        _unknown(f"priors.{name}", spec, allowed)
        p = by_name[name]
        if kind == "log_uniform" and p.low <= 0:
            raise FitConfigError(f"priors.{name}: a log_uniform prior needs a positive range (min={p.low})")
        entry: dict[str, Any] = {"kind": kind}
        if kind == "gaussian":
            if "mean" not in spec or "sigma" not in spec:
                raise FitConfigError(f"priors.{name}: a gaussian prior needs mean and sigma")
            entry["mean"] = _number(f"priors.{name}.mean", spec["mean"])
            entry["sigma"] = _number(f"priors.{name}.sigma", spec["sigma"])
            if entry["sigma"] <= 0:
                raise FitConfigError(f"priors.{name}.sigma must be positive")
        out[name] = entry
    for p in pars:
        out.setdefault(p.name, {"kind": "log_uniform" if p.scale == "log" else "uniform"})
    return out


def _check_starts(starts: Any, pars) -> Any:
    if isinstance(starts, list):
        if not starts:
            raise FitConfigError("starts must be a positive integer or a non-empty list of {parameter: value}")
        out = []
        for k, s in enumerate(starts):
            if not isinstance(s, Mapping):
                raise FitConfigError(f"starts[{k}] must be a mapping parameter -> value, got {shorten(s)}")
            _unknown(f"starts[{k}]", s, [p.name for p in pars])
            row = {}
            for p in pars:
                default = p.start if p.start is not None else 0.5 * (p.low + p.high)
                v = _number(f"starts[{k}].{p.name}", s.get(p.name, default))
                if not p.low <= v <= p.high:
                    raise FitConfigError(f"starts[{k}].{p.name} = {v} is outside [{p.low}, {p.high}]")
                row[p.name] = v
            out.append(row)
        return out
    return _count("starts", starts)


def _check_profiles(profiles: Any, names: list[str]) -> dict:
    if profiles is None:
        profiles = {}
    if profiles is False:
        return {"one_d": [], "two_d": [], "n": 25, "n_2d": 15}
    if not isinstance(profiles, Mapping):
        raise FitConfigError(
            f"'profiles' must be a mapping {{one_d, two_d, n, n_2d}} or false, got {shorten(profiles)}")
    _unknown("profiles", profiles, _PROFILE_KEYS)
    one = profiles.get("one_d", "all")
    if one == "all":
        one = list(names)
    if not isinstance(one, list) or any(o not in names for o in one):
        raise FitConfigError(
            f"profiles.one_d must be 'all' or a list of free parameters ({', '.join(names)}), got {shorten(one)}")
    default_two = [[names[0], names[1]]] if len(names) >= 2 else []
    two = profiles.get("two_d", default_two)
    if not isinstance(two, list) or any(not isinstance(p, list) or len(p) != 2 or p[0] == p[1]
                                         or any(x not in names for x in p) for p in two):
        raise FitConfigError(f"profiles.two_d must be a list of pairs of distinct free parameters, got {shorten(two)}")
    n = _count("profiles.n", profiles.get("n", 25), 3)
    n2 = _count("profiles.n_2d", profiles.get("n_2d", 15), 3)
    if n > 400 or n2 > 100:
        raise FitConfigError(f"profiles: at most n = 400 and n_2d = 100 points per axis (got {n}, {n2})")
    return {"one_d": one, "two_d": two, "n": n, "n_2d": n2}


def _check_sampling(s: Any, n_par: int) -> dict | None:
    if s is None or s is False:
        return None
    if s is True:
        s = {}
    if not isinstance(s, Mapping):
        raise FitConfigError(
            f"'sampling' must be false or a mapping {{walkers, steps, burn, thin, checkpoint}}, got {shorten(s)}")
    _unknown("sampling", s, _SAMPLING_KEYS)
    walkers = _count("sampling.walkers", s.get("walkers", max(16, 4 * n_par)), 2)
    if walkers < 2 * n_par:
        raise FitConfigError(
            f"sampling.walkers must be at least twice the number of free parameters ({2 * n_par}), got {walkers}")
    steps = _count("sampling.steps", s.get("steps", 1000), 10)
    burn = _count("sampling.burn", s.get("burn", steps // 3), 0)
    if burn >= steps:
        raise FitConfigError(f"sampling.burn ({burn}) must be smaller than sampling.steps ({steps})")
    thin = _count("sampling.thin", s.get("thin", 1), 1)
    checkpoint = _count("sampling.checkpoint", s.get("checkpoint", 100), 1)
    if walkers * steps > 5_000_000:
        raise FitConfigError(
            f"sampling: walkers x steps = {walkers * steps} is above the limit of 5e6 likelihood calls")
    return {"walkers": walkers, "steps": steps, "burn": burn, "thin": thin, "checkpoint": checkpoint}


def load_fit_config(path: str | Path) -> FitConfig:
    """Read and validate a YAML (or ``.json``) fit configuration with :mod:`lqmodel.safe_load`; any
    problem is a one-line :class:`FitConfigError`."""
    from lqmodel.safe_load import load_config_file

    data = load_config_file(path, "fit configuration", FitConfigError)
    return FitConfig.from_dict(data)


def random_starts(config: FitConfig) -> np.ndarray:
    """Minimiser starts (n, n_par): the parameters' ``start`` values (else the mid-range) first, then
    random points of the box (log-uniform on log scales), deterministic for ``config.seed``."""
    pars = config.parameters
    if isinstance(config.starts, list):
        return np.array([[s[p.name] for p in pars] for s in config.starts], dtype=float)
    first = [p.start if p.start is not None
             else (math.sqrt(p.low * p.high) if p.scale == "log" else 0.5 * (p.low + p.high))
             for p in pars]
    rng = np.random.default_rng(config.seed)
    rows = [first]
    for _ in range(config.starts - 1):
        u = rng.random(len(pars))
        rows.append([10 ** (math.log10(p.low) + (math.log10(p.high) - math.log10(p.low)) * x) if p.scale == "log"
                     else p.low + (p.high - p.low) * x for p, x in zip(pars, u, strict=True)])
    return np.array(rows, dtype=float)
