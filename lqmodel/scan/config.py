r"""Scan configurations: which parameters of a point are scanned, over which ranges, how they are sampled.

A scan configuration is a plain mapping (usually read from YAML)::

    base:                       # the point the scan starts from: an inline point mapping (the point-file
      model: voloshin           # format of ``lqmodel point``) or the name of a built-in benchmark point
      m_S1: 1000.0              # GeV
      m_R2: 1000.0              # GeV
      y1: 0.05
      y2: 1.0
      lepton: mu
    parameters:                 # scanned parameters, in order (for grids the LAST one varies fastest)
      y1: {min: 1.0e-3, max: 1.0, n: 40, scale: log}
      y2: {min: 1.0e-2, max: 3.0, n: 40, scale: log}
    sampling: grid              # grid | random | lhs (Latin hypercube; the samples of scipy.stats.qmc)
    n_samples: 1000             # random / lhs only
    seed: 0                     # random / lhs: the table is a deterministic function of the seed
    chunk_size: 2000            # points per chunk (the unit of parallel work and of resuming)
    executor: process           # process | dask | serial     (how, not what: not part of the fingerprint)
    workers: 2
    dask_address: null          # dask scheduler address; null starts a LocalCluster
    evaluation: {...}           # options of the evaluator (lqmodel.evaluate.PointEvaluator)
    plot: {x: y1, y: y2}        # which two parameters the maps use (fix: {other: value} for slices)
    title: "..."                # plot title (mathtext allowed); description: one line for listings

Parameter names are those of :func:`lqmodel.point.vary`: the scalar fields ``m_S1``, ``m_R2``,
``m_R2_23``, ``m_b``, ``M_N``, ``kappa`` (GeV); matrix entries such as ``y_LL[2,1]`` (0-based
[quark, lepton/N], real values); the shorthand ``m_LQ``, ``y1``, ``y2``, ``y1p``; and two handled
here: ``M_N_keV`` (the sterile mass in keV, sets ``M_N`` = value × 1e-6 GeV) and the product ``y1y2`` =
:math:`y_1 y_2`, which sets :math:`y_1 = \sqrt{r\,p}`, :math:`y_2 = \sqrt{p/r}` (sign carried by
:math:`y_1`) with :math:`r` = ``y1_over_y2`` (default 1) — so the (m_LQ, y1·y2) plane is well defined.

Ranges are given with ``min``/``max`` (and ``n`` for grids; ``scale`` lin or log) or as an explicit
``values`` list (grids only). Masses must be positive (M_N non-negative); log scales need positive
ranges. Bad configurations raise :class:`ScanConfigError` (a ValueError) with a one-line message.

>>> cfg = ScanConfig.from_dict({"base": {"model": "voloshin", "m_S1": 1000.0, "m_R2": 1000.0,
...     "y1": 0.1, "y2": 0.5, "lepton": "mu"},
...     "parameters": {"y1": {"min": 0.01, "max": 1.0, "n": 3, "scale": "log"}}})
>>> cfg.parameters[0].grid().tolist()
[0.01, 0.1, 1.0]
>>> ScanConfig.from_dict({"base": "x", "parameters": {"m_LQ": {"min": -1, "max": 10, "n": 2}}})
Traceback (most recent call last):
...
lqmodel.scan.config.ScanConfigError: parameter 'm_LQ' is a mass: its range must be positive (got min=-1.0, max=10.0 GeV)
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

from lqmodel import vocabulary as _vocab
from lqmodel.errors import InputError, shorten
from lqmodel.vocabulary import PARAMETERS, did_you_mean, matrix_entry_name, parse_matrix_entry, unit

__all__ = [
    "ScanConfigError",
    "ParameterRange",
    "ScanConfig",
    "load_config",
    "parameter_unit",
    "check_parameter_name",
    "to_assignments",
    "check_against_base",
    "SCALAR_FIELDS",
    "MATRIX_FIELDS",
    "SHORTHAND",
]


class ScanConfigError(InputError):
    """A scan configuration that cannot be run; the message is one line saying what is wrong."""


#: scalar Point fields that can be scanned -> unit (from lqmodel.vocabulary.PARAMETERS)
SCALAR_FIELDS: dict[str, str] = {n: PARAMETERS[n].unit for n in _vocab.SCALAR_FIELDS}
#: coupling matrices of a Point (entries "name[i,j]", dimensionless)
MATRIX_FIELDS: tuple[str, ...] = tuple(_vocab.MATRIX_FIELDS)
#: shorthand understood by lqmodel.point.vary (plus y1y2 and M_N_keV, expanded here) -> unit
SHORTHAND: dict[str, str] = {n: PARAMETERS[n].unit for n in _vocab.SHORTHAND}

_MASSES = {n for n, p in PARAMETERS.items() if p.kind == "mass"}  # strictly positive
_NONNEGATIVE = {n for n, p in PARAMETERS.items() if p.kind == "nonnegative_mass"}
_SAMPLINGS = ("grid", "random", "lhs")
_EXECUTORS = ("process", "dask", "serial")
_SCALES = ("lin", "log")
_TOP_KEYS = (
    "base", "parameters", "sampling", "n_samples", "seed", "chunk_size", "executor", "workers",
    "dask_address", "evaluation", "plot", "y1_over_y2", "title", "description", "allow_large",
)
_RANGE_KEYS = ("min", "max", "n", "scale", "values")
_PLOT_KEYS = ("x", "y", "fix")
_MAX_TITLE = 200


def _did_you_mean(name: str, options) -> str:
    return did_you_mean(name, options, style="paren")


def _all_names() -> list[str]:
    return list(SCALAR_FIELDS) + list(SHORTHAND) + [f"{m}[i,j]" for m in MATRIX_FIELDS]


def check_parameter_name(name: str) -> str:
    """Return the canonical form of a scannable parameter name, or raise :class:`ScanConfigError`.

    >>> check_parameter_name("y_LL[2, 1]")
    'y_LL[2,1]'
    """
    if not isinstance(name, str):
        raise ScanConfigError(f"parameter names must be strings, got {name!r}")
    name = name.strip()
    if name in SCALAR_FIELDS or name in SHORTHAND:
        return name
    entry = parse_matrix_entry(name)
    if entry is not None and all(0 <= k <= 2 for k in entry[1:]):
        return matrix_entry_name(*entry)
    raise ScanConfigError(
        f"unknown scan parameter {shorten(name)}{_did_you_mean(name[:100], _all_names())}; allowed: "
        f"{', '.join(SCALAR_FIELDS)}, {', '.join(SHORTHAND)}, or a matrix entry like y_LL[2,1] "
        f"(matrices {', '.join(MATRIX_FIELDS)}, 0-based indices 0..2)"
    )


def parameter_unit(name: str) -> str:
    """Unit of a scan parameter ("1" = dimensionless).

    >>> parameter_unit("m_LQ"), parameter_unit("y_LL[2,1]")
    ('GeV', '1')
    """
    return unit(check_parameter_name(name))


@dataclass(frozen=True)
class ParameterRange:
    """One scanned parameter: ``name`` on [``low``, ``high``] (lin or log), ``n`` grid points, or an
    explicit list of ``values`` (grids only)."""

    name: str
    low: float
    high: float
    n: int | None = None
    scale: str = "lin"
    values: tuple[float, ...] | None = None

    def grid(self) -> np.ndarray:
        """The grid values (lin: evenly spaced; log: evenly spaced in log10)."""
        if self.values is not None:
            return np.asarray(self.values, dtype=float)
        if self.n is None:
            raise ScanConfigError(f"parameter {self.name!r}: a grid needs 'n' (number of points)")
        if self.scale == "log":
            return np.logspace(math.log10(self.low), math.log10(self.high), self.n)
        return np.linspace(self.low, self.high, self.n)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map uniform numbers u in [0, 1) onto the range (lin or log)."""
        if self.scale == "log":
            lo, hi = math.log10(self.low), math.log10(self.high)
            return 10.0 ** (lo + (hi - lo) * u)
        return self.low + (self.high - self.low) * u

    def to_dict(self) -> dict[str, Any]:
        if self.values is not None:
            return {"values": [float(v) for v in self.values], "scale": self.scale}
        d: dict[str, Any] = {"min": self.low, "max": self.high, "scale": self.scale}
        if self.n is not None:
            d["n"] = self.n
        return d

    @classmethod
    def from_spec(cls, name: str, spec: Any) -> ParameterRange:
        name = check_parameter_name(name)
        if not isinstance(spec, Mapping):
            raise ScanConfigError(
                f"parameter {name!r}: expected a mapping like {{min: 0.1, max: 1.0, n: 20, scale: log}} "
                f"or {{values: [...]}}, got {shorten(spec)}"
            )
        unknown = [k for k in spec if k not in _RANGE_KEYS]
        if unknown:
            raise ScanConfigError(
                f"parameter {name!r}: unknown key {shorten(unknown[0])}{_did_you_mean(str(unknown[0]), _RANGE_KEYS)}; "
                f"allowed: {', '.join(_RANGE_KEYS)}"
            )
        scale = spec.get("scale", "lin")
        if scale not in _SCALES:
            raise ScanConfigError(f"parameter {name!r}: scale must be one of {', '.join(_SCALES)}, got {scale!r}")
        unit = parameter_unit(name)
        values = None
        if "values" in spec:
            if "min" in spec or "max" in spec or "n" in spec:
                raise ScanConfigError(f"parameter {name!r}: give either 'values' or 'min'/'max'/'n', not both")
            raw = spec["values"]
            if not isinstance(raw, (list, tuple)) or not raw:
                raise ScanConfigError(f"parameter {name!r}: 'values' must be a non-empty list of numbers")
            values = tuple(_number(name, "values", v) for v in raw)
            low, high = min(values), max(values)
        else:
            if "min" not in spec or "max" not in spec:
                raise ScanConfigError(f"parameter {name!r}: a range needs both 'min' and 'max'")
            low, high = _number(name, "min", spec["min"]), _number(name, "max", spec["max"])
            if not low < high:
                raise ScanConfigError(f"parameter {name!r}: need min < max, got min={low}, max={high}")
        n = _count(spec.get("n"))
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise ScanConfigError(f"parameter {name!r}: 'n' must be a positive integer, got {shorten(n)}")
        if name in _MASSES and low <= 0:
            raise ScanConfigError(
                f"parameter {name!r} is a mass: its range must be positive (got min={low}, max={high} {unit})"
            )
        if name in _NONNEGATIVE and low < 0:
            raise ScanConfigError(
                f"parameter {name!r} is a mass: its range must be non-negative (got min={low}, max={high} {unit})"
            )
        if scale == "log" and low <= 0:
            raise ScanConfigError(f"parameter {name!r}: a log scale needs a positive range (got min={low})")
        return cls(name=name, low=low, high=high, n=n, scale=scale, values=values)


def _count(v: Any) -> Any:
    """An integral float (``n_samples: 1e6`` is a float in YAML 1.2) as an int; anything else unchanged
    (refused by the caller's integer check)."""
    if isinstance(v, float) and math.isfinite(v) and v.is_integer() and abs(v) <= 2**53:
        return int(v)
    return v


def _number(name: str, key: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ScanConfigError(f"parameter {name!r}: {key} must be a number, got {shorten(v)}")
    v = float(v)
    if not math.isfinite(v):
        raise ScanConfigError(f"parameter {name!r}: {key} must be finite, got {v}")
    return v


@dataclass(frozen=True)
class ScanConfig:
    """A validated scan configuration (see the module docstring for the YAML form)."""

    base: Any  # benchmark name (str) or inline point mapping
    parameters: tuple[ParameterRange, ...]
    sampling: str = "grid"
    n_samples: int | None = None
    seed: int = 0
    chunk_size: int = 2000
    executor: str = "process"
    workers: int = 2
    dask_address: str | None = None
    evaluation: dict = field(default_factory=dict)
    plot: dict = field(default_factory=dict)
    y1_over_y2: float = 1.0
    title: str = ""
    description: str = ""
    allow_large: bool = False  # run above the size limits of lqmodel.scan.limits (not in the fingerprint)

    # ---- construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Any) -> ScanConfig:
        """Validate a configuration mapping, in named steps (keys, base, parameters, sampling, how it
        runs, evaluation, plot, texts); each raises a one-line :class:`ScanConfigError`."""
        _check_top_keys(d)  # the steps in this order: the first problem found is the one reported
        base = _base(d)
        ranges = _parameter_ranges(d)
        names = [r.name for r in ranges]
        sampling, n_samples = _sampling(d, ranges)
        run = _run_options(d)
        evaluation = d.get("evaluation") or {}
        if not isinstance(evaluation, Mapping):
            raise ScanConfigError(f"'evaluation' must be a mapping, got {shorten(evaluation)}")
        plot = _plot_choice(d, names)
        ratio = d.get("y1_over_y2", 1.0)
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not (math.isfinite(ratio) and ratio > 0):
            raise ScanConfigError(f"y1_over_y2 must be a positive number, got {shorten(ratio)}")
        title, description = _texts(d)
        allow_large = d.get("allow_large", False)
        if not isinstance(allow_large, bool):
            raise ScanConfigError(f"allow_large must be true or false, got {shorten(allow_large)}")
        return cls(
            base=base, parameters=ranges, sampling=sampling, n_samples=n_samples, **run,
            evaluation=_plain(evaluation), plot=plot, y1_over_y2=float(ratio), title=title,
            description=description, allow_large=allow_large,
        )

    def to_dict(self) -> dict[str, Any]:
        """The full configuration (defaults filled in) as plain YAML/JSON-ready data."""
        d: dict[str, Any] = {
            "title": self.title,
            "description": self.description,
            "base": self.base,
            "parameters": {r.name: r.to_dict() for r in self.parameters},
            "sampling": self.sampling,
        }
        if self.n_samples is not None:
            d["n_samples"] = self.n_samples
        d.update(
            seed=self.seed, chunk_size=self.chunk_size, executor=self.executor, workers=self.workers,
            dask_address=self.dask_address, evaluation=self.evaluation, plot=self.plot,
            y1_over_y2=self.y1_over_y2,
        )
        if self.allow_large:
            d["allow_large"] = True
        return d

    def replace(self, **changes) -> ScanConfig:
        """A copy with some fields changed (re-validated)."""
        d = self.to_dict()
        for k, v in changes.items():
            d[k] = v
        return ScanConfig.from_dict(d)

    # ---- derived ----------------------------------------------------------------------------
    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.parameters)

    @property
    def n_points(self) -> int:
        """Number of points (computed from the counts, without building the grids)."""
        if self.sampling == "grid":
            counts: list[int] = []
            for r in self.parameters:
                if r.values is not None:
                    counts.append(len(r.values))
                elif r.n is not None:
                    counts.append(int(r.n))
                else:  # refused by from_dict; a hand-built config
                    raise ScanConfigError(f"grid sampling needs 'n' for parameter {shorten(r.name)}")
            return math.prod(counts)
        if self.n_samples is None:  # refused by from_dict; a hand-built config
            raise ScanConfigError(f"{self.sampling} sampling needs a positive integer n_samples, got None")
        return int(self.n_samples)

    @property
    def n_chunks(self) -> int:
        return -(-self.n_points // self.chunk_size)

    def fingerprint(self, evaluator_spec: Any = None) -> str:
        """SHA-256 of what determines the table: base, parameters, sampling, seed, chunking, y1_over_y2
        and the evaluator's spec. How it runs (executor, workers) and the plot choice are left out, so a
        scan started locally may be resumed on a cluster."""
        what = {
            "base": self.base,
            "parameters": {r.name: r.to_dict() for r in self.parameters},
            "sampling": self.sampling,
            "n_samples": self.n_samples,
            "seed": self.seed,
            "chunk_size": self.chunk_size,
            "y1_over_y2": self.y1_over_y2,
            "evaluator": evaluator_spec,
        }
        text = json.dumps(what, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def _check_top_keys(d: Any) -> None:
    if not isinstance(d, Mapping):
        raise ScanConfigError(f"a scan configuration must be a mapping, got {type(d).__name__}")
    unknown = [k for k in d if k not in _TOP_KEYS]
    if unknown:
        k = str(unknown[0])
        raise ScanConfigError(f"unknown configuration key {shorten(k)}{_did_you_mean(k, _TOP_KEYS)}; "
                              f"allowed: {', '.join(_TOP_KEYS)}")


def _base(d: Mapping[str, Any]) -> Any:
    """``base``: a benchmark name or an inline point mapping (checked as a point later, by the runner)."""
    if "base" not in d:
        raise ScanConfigError("the configuration needs 'base': a benchmark point name or an inline point mapping")
    base = d["base"]
    if not isinstance(base, (str, Mapping)):
        raise ScanConfigError(f"'base' must be a benchmark name or a point mapping, got {shorten(base)}")
    return _plain(base) if isinstance(base, Mapping) else base


def _parameter_ranges(d: Mapping[str, Any]) -> tuple[ParameterRange, ...]:
    """``parameters``: each range checked, no name twice, no two names setting the same field."""
    params = d.get("parameters")
    if not isinstance(params, Mapping) or not params:
        raise ScanConfigError("'parameters' must be a non-empty mapping: name -> {min, max, n, scale} or {values}")
    ranges = tuple(ParameterRange.from_spec(str(k), v) for k, v in params.items())
    names = [r.name for r in ranges]
    if len(set(names)) != len(names):
        raise ScanConfigError(f"a parameter is listed twice: {names}")
    if "y1y2" in names and ("y1" in names or "y2" in names):
        raise ScanConfigError("scan either y1y2 or y1/y2, not both (y1y2 sets y1 and y2)")
    if "M_N_keV" in names and "M_N" in names:
        raise ScanConfigError("scan either M_N (GeV) or M_N_keV, not both")
    return ranges


def _sampling(d: Mapping[str, Any], ranges: tuple[ParameterRange, ...]) -> tuple[str, int | None]:
    """``sampling`` and ``n_samples`` (grids take ``n`` per parameter, random/lhs a sample count)."""
    sampling = d.get("sampling", "grid")
    if sampling not in _SAMPLINGS:
        raise ScanConfigError(f"sampling must be one of {', '.join(_SAMPLINGS)}, got {shorten(sampling)}")
    n_samples = _count(d.get("n_samples"))
    if sampling == "grid":
        if n_samples is not None:
            raise ScanConfigError("n_samples is for random/lhs sampling; a grid takes 'n' per parameter")
        missing = [r.name for r in ranges if r.values is None and r.n is None]
        if missing:
            raise ScanConfigError(f"grid sampling needs 'n' for parameter {shorten(missing[0])}")
    else:
        if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
            raise ScanConfigError(f"{sampling} sampling needs a positive integer n_samples, got {shorten(n_samples)}")
        explicit = [r.name for r in ranges if r.values is not None]
        if explicit:
            raise ScanConfigError(f"parameter {shorten(explicit[0])}: 'values' lists are for grid sampling only")
    return sampling, n_samples


def _run_options(d: Mapping[str, Any]) -> dict[str, Any]:
    """seed, chunk_size (what the table depends on) and executor, workers, dask_address (how it runs)."""
    seed = d.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ScanConfigError(f"seed must be a non-negative integer, got {shorten(seed)}")
    chunk_size = _count(d.get("chunk_size", 2000))
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ScanConfigError(f"chunk_size must be a positive integer, got {shorten(chunk_size)}")
    executor = d.get("executor", "process")
    if executor not in _EXECUTORS:
        raise ScanConfigError(f"executor must be one of {', '.join(_EXECUTORS)}, got {shorten(executor)}")
    workers = d.get("workers", 2)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ScanConfigError(f"workers must be a positive integer, got {shorten(workers)}")
    dask_address = d.get("dask_address")
    if dask_address is not None and not isinstance(dask_address, str):
        raise ScanConfigError("dask_address must be a string like 'tcp://host:8786' or null, "
                              f"got {shorten(dask_address)}")
    return {"seed": seed, "chunk_size": chunk_size, "executor": executor, "workers": workers,
            "dask_address": dask_address}


def _plot_choice(d: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
    """``plot``: x and y must be scanned parameters (canonical names), ``fix`` a slice of the others."""
    plot = d.get("plot") or {}
    if not isinstance(plot, Mapping):
        raise ScanConfigError(f"'plot' must be a mapping like {{x: y1, y: y2}}, got {shorten(plot)}")
    plot = _plain(plot)
    bad_keys = [k for k in plot if k not in _PLOT_KEYS]
    if bad_keys:
        raise ScanConfigError(f"unknown plot key {shorten(bad_keys[0])}{_did_you_mean(bad_keys[0][:100], _PLOT_KEYS)}; "
                              f"allowed: {', '.join(_PLOT_KEYS)}")
    for axis in ("x", "y"):
        if axis in plot:
            if not isinstance(plot[axis], str):
                raise ScanConfigError(f"plot.{axis} must be a parameter name, got {shorten(plot[axis])}")
            pname = check_parameter_name(plot[axis])
            if pname not in names:
                raise ScanConfigError(
                    f"plot.{axis} = {pname!r} is not a scanned parameter (scanned: {', '.join(names)})")
            plot[axis] = pname
    if plot.get("fix") is not None:
        plot["fix"] = _check_fix(plot["fix"], names)
    return plot


def _texts(d: Mapping[str, Any]) -> tuple[str, str]:
    """``title`` and ``description``: strings of at most _MAX_TITLE characters (null = empty)."""
    out = []
    for key in ("title", "description"):
        text = d.get(key, "")
        if text is not None:
            if not isinstance(text, str):
                raise ScanConfigError(f"{key} must be a string, got {shorten(text)}")
            if len(text) > _MAX_TITLE:
                raise ScanConfigError(f"{key} must be at most {_MAX_TITLE} characters, got {len(text)}")
        out.append(str(text or ""))
    return out[0], out[1]


def _check_fix(fix: Any, names: list[str]) -> dict[str, float]:
    """``plot.fix``: scanned parameter -> the value its slice is drawn at (a finite number)."""
    if not isinstance(fix, Mapping):
        raise ScanConfigError(f"plot.fix must be a mapping like {{m_LQ: 1000.0}}, got {shorten(fix)}")
    out: dict[str, float] = {}
    for k, v in fix.items():
        try:
            pname = check_parameter_name(k)
        except ScanConfigError:
            pname = None
        if pname not in names:
            raise ScanConfigError(f"unknown plot.fix key {shorten(k)}{_did_you_mean(str(k)[:100], names)}: "
                                  f"it must be a scanned parameter ({', '.join(names)})")
        out[pname] = _number(pname, "plot.fix value", v)
    return out


def _plain(obj: Any) -> Any:
    """Mappings -> dicts, tuples -> lists, numpy scalars -> Python (YAML/JSON-safe)."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def load_config(path: str | Path) -> ScanConfig:
    """Read and validate a YAML (or ``.json``) scan configuration with :mod:`lqmodel.safe_load`
    (duplicate keys refused, YAML 1.2 floats, bounded size); any problem is a one-line
    :class:`ScanConfigError`."""
    from lqmodel.safe_load import load_config_file

    data = load_config_file(path, "scan configuration", ScanConfigError)
    return ScanConfig.from_dict(data)


def check_against_base(config: ScanConfig, base) -> None:
    """Check the scanned ranges against the base point (a :class:`lqmodel.point.Point`) before any folder
    exists, with the rules of a point file:

    * an ``m_b`` scan under a reference scheme (``MSbar(mb)``, ``MSbar(1TeV)``, ``pole``) must stay within
      5% of that scheme's value (otherwise set ``m_b_scheme: custom`` in the base point), as a point file
      with that ``m_b`` would be refused;
    * the points at the corners of the scanned box (each parameter at its min and max) must be valid points
      (e.g. leptoquark masses above m_b), so that a bad range fails here and not in the middle of a scan.
    """
    from lqmodel.point_codec import M_B_TOLERANCE as _M_B_TOLERANCE
    from lqmodel.point_codec import m_b_of_scheme
    from lqmodel.vocabulary import M_B_SCHEMES

    ranges = {r.name: r for r in config.parameters}
    if "m_b" in ranges and M_B_SCHEMES.get(base.m_b_scheme) is not None:
        ref = m_b_of_scheme(base.m_b_scheme)
        r = ranges["m_b"]
        worst = max((r.low, r.high), key=lambda v: abs(v / ref - 1))
        if abs(worst / ref - 1) > _M_B_TOLERANCE:
            raise ScanConfigError(
                f"parameter 'm_b' reaches {worst:g} GeV, which does not match the base point's m_b_scheme "
                f"{base.m_b_scheme!r} ({ref} GeV, 5% tolerance); set m_b_scheme: custom in the base point to "
                "scan m_b freely"
            )
    check_box_corners(base, {n: (r.low, r.high) for n, r in ranges.items()}, config.y1_over_y2,
                      ScanConfigError, "the scanned ranges")


def check_box_corners(base, bounds: Mapping[str, tuple[float, float]], y1_over_y2: float,
                      error: type[Exception], what: str) -> None:
    """Every corner of the box ``bounds`` (name -> (low, high), any name :func:`to_assignments` takes) must
    give a valid point around ``base``; else ``error(f"{what} reach invalid points: …")``. Beyond 12
    dimensions (2^d corners) each range's ends are checked on their own. Shared by scans and fits."""
    import warnings

    from lqmodel.point import PerturbativityWarning, PointError, vary

    names = list(bounds)
    if len(names) > 12:
        checks = [{n: np.array(bounds[n], dtype=float)} for n in names]
    else:
        grids = np.meshgrid(*[np.array(bounds[n], dtype=float) for n in names], indexing="ij")
        checks = [{n: g.ravel() for n, g in zip(names, grids, strict=True)}]
    for values in checks:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PerturbativityWarning)
                vary(base, to_assignments(values, y1_over_y2))
        except PointError as exc:
            raise error(f"{what} reach invalid points: {exc}") from None


def to_assignments(values: Mapping[str, np.ndarray], y1_over_y2: float = 1.0) -> dict[str, np.ndarray]:
    r"""Scanned values -> assignments for :func:`lqmodel.point.vary` (expands ``y1y2``).

    :math:`y_1 = \mathrm{sgn}(p)\sqrt{r|p|}`, :math:`y_2 = \sqrt{|p|/r}` for :math:`p = y_1 y_2`,
    :math:`r = y_1/y_2`.

    >>> a = to_assignments({"y1y2": np.array([0.04, -0.01])}, y1_over_y2=4.0)
    >>> a["y1"].tolist(), a["y2"].tolist()
    ([0.4, -0.2], [0.1, 0.05])
    """
    out: dict[str, np.ndarray] = {}
    for name, v in values.items():
        v = np.asarray(v, dtype=float)
        if name == "M_N_keV":
            out["M_N"] = PARAMETERS["M_N_keV"].to_field(v)
        elif name == "y1y2":
            mag = np.abs(v)
            out["y1"] = np.sign(v) * np.sqrt(y1_over_y2 * mag)
            out["y2"] = np.sqrt(mag / y1_over_y2)
        else:
            out[name] = v
    return out
