r"""The toolkit's dated measurement vintages (``observables/data/measurements/<vintage>.yaml``).

A *vintage* is a dated set of measurements with sources; it replaces flavio's shipped database where that
is out of date (HFLAV 2025 R(D(*)), 2025 (g-2)_mu, Belle II B -> K nu nu, ...). See the header of the
YAML file for the conventions (symmetrisation of asymmetric errors, upper limits as half-Gaussians with
:math:`\sigma = \text{limit}/z_{(1+\mathrm{CL})/2}`, i.e. limit/1.645 at 90% CL).

Entries flagged ``verified: false`` are used like all others (nothing is refused), but
:attr:`Constraint.verified` carries the flag so that reports can say so.

>>> from observables.measurements import load
>>> m = load()
>>> m.vintage
'2026-12'
>>> m.options
(('Bc_lifetime', '60%'), ('D0mumu', 'LHCb'), ('RD', 'HFLAV'))
>>> len(load("2026-12:RD=individual").constraint_for("R_D").observables)  # the nine HFLAV inputs, 15 rows
15
>>> load("2026-12:Bc_lifetime=30%").constraint_for("BR_Bc_taunu").limit
0.3
>>> c = m.constraint_for("R_Dstar")
>>> c.observables, c.values.tolist()
(('R_D', 'R_Dstar'), [0.347, 0.288])
>>> round(float(c.covariance[0, 1]), 6)   # -0.39 * 0.025 * 0.012
-0.000117
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from observables.package_yaml import load_yaml

__all__ = ["Constraint", "MeasurementSet", "load", "available_vintages", "default_vintage", "parse_vintage"]

_PACKAGE_DIR = "data/measurements"


@dataclass(frozen=True)
class Constraint:
    """One (possibly multi-observable) measurement: Gaussian with covariance, or a one-sided limit."""

    name: str
    observables: tuple[str, ...]
    kind: str                  # "gaussian" | "upper_limit"
    values: np.ndarray         # central values (0 for upper limits)
    covariance: np.ndarray     # experimental covariance (for limits: (limit/z)^2)
    theory: str                # "flavio" | "included" | "none"
    source: str
    url: str
    date: str
    verified: bool
    note: str = ""
    limit: float | None = None
    cl: float | None = None
    theory_samples: int | None = None  # flavio parameter samples for the SM covariance (None: the default)
    option: str | None = None          # variant name (e.g. "Bc_lifetime") when this is one of alternatives
    choice: str | None = None          # this entry's value of the option (e.g. "60%")
    #: which measurement each row is (one label per observable; needed where an observable appears more
    #: than once, e.g. the individual R(D(*)) inputs: the rows of one constraint share its theory covariance)
    labels: tuple[str, ...] = ()

    def row_names(self) -> tuple[str, ...]:
        """A unique name per row: the observable, or ``"observable [label]"`` where it appears more than once."""
        dup = {o for o in self.observables if self.observables.count(o) > 1}
        return tuple(f"{o} [{lab}]" if o in dup else o
                     for o, lab in zip(self.observables, self.labels or self.observables, strict=True))

    @property
    def uncertainties(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))


@dataclass(frozen=True)
class MeasurementSet:
    """All constraints of one vintage."""

    vintage: str
    date: str
    constraints: tuple[Constraint, ...]

    options: tuple[tuple[str, str], ...] = ()  # selected variants (name, choice), defaults included

    @property
    def observables(self) -> tuple[str, ...]:
        return tuple(o for c in self.constraints for o in c.observables)

    def constraint_for(self, observable: str) -> Constraint:
        for c in self.constraints:
            if observable in c.observables:
                return c
        raise KeyError(f"no measurement of {observable!r} in vintage {self.vintage!r}; "
                       f"measured: {', '.join(self.observables)}")


def available_vintages() -> tuple[str, ...]:
    """Names of the shipped vintages, oldest first."""
    folder = resources.files("observables").joinpath(_PACKAGE_DIR)
    return tuple(sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml")))


def default_vintage() -> str:
    """The newest shipped vintage."""
    return available_vintages()[-1]


def _sym(pair: Any) -> tuple[float, float]:
    up, down = (float(pair[0]), float(pair[1])) if isinstance(pair, (list, tuple)) else (float(pair), float(pair))
    return up, down


def _gaussian_sigmas(e: dict) -> np.ndarray:
    if "uncertainties" in e:
        return np.asarray(e["uncertainties"], dtype=float)
    out = []
    for st, sy in zip(e["stat"], e["syst"], strict=True):
        (su, sd), (yu, yd) = _sym(st), _sym(sy)
        out.append(0.5 * (np.hypot(su, yu) + np.hypot(sd, yd)))
    return np.asarray(out)


def _parse(e: dict) -> Constraint:
    from observables.parameters import value as par

    obs = tuple(str(o) for o in e["observables"])
    common: dict[str, Any] = dict(
        name=str(e["name"]), observables=obs, theory=str(e["theory"]), source=str(e["source"]),
        url=str(e.get("url", "")), date=str(e["date"]), verified=bool(e["verified"]),
        note=str(e.get("checked_against", "")),
        theory_samples=int(e["theory_samples"]) if "theory_samples" in e else None,
        option=str(e["option"]) if "option" in e else None,
        choice=str(e["choice"]) if "choice" in e else None,
        labels=tuple(str(x) for x in e.get("labels", ())),
    )
    if common["labels"] and len(common["labels"]) != len(obs):
        raise ValueError(f"entry {e['name']!r}: {len(common['labels'])} labels for {len(obs)} observables")
    if len(set(obs)) != len(obs) and not common["labels"]:
        raise ValueError(f"entry {e['name']!r} measures an observable more than once: give one label per row")
    if len(set(zip(obs, common["labels"] or obs, strict=True))) != len(obs):
        raise ValueError(f"entry {e['name']!r}: (observable, label) pairs must be unique")
    kind = e["kind"]
    if kind == "gaussian":
        vals = np.asarray(e["values"], dtype=float)
        sig = _gaussian_sigmas(e)
        corr = np.asarray(e["correlation"], dtype=float)
        if e.get("unit") == "ps^-1":  # Delta M in GeV = Delta M[ps^-1] * hbar[GeV s] * 1e12
            conv = par("hbar") * 1e12
            vals, sig = vals * conv, sig * conv
        cov = corr * np.outer(sig, sig)
        return Constraint(kind="gaussian", values=vals, covariance=cov, **common)
    if kind == "difference":
        a, b = e["minuend"], e["subtrahend"]
        val = float(a["value"]) - float(b["value"])
        sig_d = float(np.hypot(float(a["uncertainty"]), float(b["uncertainty"])))
        return Constraint(kind="gaussian", values=np.array([val]), covariance=np.array([[sig_d * sig_d]]), **common)
    if kind == "upper_limit":
        limit, cl = float(e["limit"]), float(e["cl"])
        sigma = limit / _two_sided_z(cl)
        return Constraint(kind="upper_limit", values=np.zeros(1), covariance=np.array([[sigma * sigma]]),
                          limit=limit, cl=cl, **common)
    raise ValueError(f"unknown measurement kind {kind!r} in entry {e['name']!r}; "
                     "allowed: gaussian, difference, upper_limit")


def _two_sided_z(cl: float) -> float:
    r"""The Gaussian quantile :math:`z = \Phi^{-1}((1 + \mathrm{CL})/2)` of a limit at confidence level ``cl``
    (:math:`z = 1.645` at 90% CL): the width :math:`\sigma = \text{limit}/z` of the zero-centred Gaussian an
    upper limit becomes. ``statistics.NormalDist().inv_cdf`` (Wichura's AS 241 algorithm, relative error
    below 1e-16), not scipy.special.ndtri: importing scipy.special took ~0.5 s in every fresh worker
    process; the two agree to 1e-15 (tests/test_measurements.py)."""
    from statistics import NormalDist

    if not 0.0 < cl < 1.0:
        raise ValueError(f"confidence level must lie strictly between 0 and 1, got {cl!r}")
    return NormalDist().inv_cdf(0.5 * (1.0 + cl))


def parse_vintage(vintage: str | None) -> tuple[str, dict[str, str]]:
    """Split a vintage string ``"NAME[:OPTION=CHOICE[,OPTION=CHOICE...]]"`` into the name and the variant choices.

    >>> parse_vintage("2026-12:Bc_lifetime=30%")
    ('2026-12', {'Bc_lifetime': '30%'})
    >>> parse_vintage(None)[1]
    {}
    """
    if vintage is None:
        return default_vintage(), {}
    name, _, rest = str(vintage).partition(":")
    opts: dict[str, str] = {}
    for item in filter(None, (x.strip() for x in rest.split(","))):
        key, eq, val = item.partition("=")
        if not eq or not key or not val:
            raise KeyError(f"bad measurement option {item!r} in vintage {vintage!r}: write OPTION=CHOICE, "
                           "e.g. '2026-12:Bc_lifetime=30%'")
        opts[key.strip()] = val.strip()
    return name or default_vintage(), opts


def options_of(vintage: str | None = None) -> dict[str, tuple[str, ...]]:
    """The selectable variants of a vintage: option name -> its choices, the default first.

    >>> options_of("2026-12")["Bc_lifetime"]
    ('60%', '30%')
    """
    v, _ = parse_vintage(vintage)
    if v not in available_vintages():
        raise KeyError(f"unknown measurement vintage {v!r}; available: {', '.join(available_vintages())}")
    text = resources.files("observables").joinpath(f"{_PACKAGE_DIR}/{v}.yaml").read_text(encoding="utf-8")
    raw = load_yaml(text)
    out: dict[str, list[str]] = {}
    for e in raw["measurements"]:
        if "option" in e:
            ch = out.setdefault(str(e["option"]), [])
            if str(e["choice"]) not in ch:
                ch.insert(0, str(e["choice"])) if e.get("default", False) else ch.append(str(e["choice"]))
    return {k: tuple(v_) for k, v_ in out.items()}


@lru_cache(maxsize=16)
def load(vintage: str | None = None) -> MeasurementSet:
    """Load a measurement vintage (default: the newest). Unknown vintages raise ``KeyError``.

    ``vintage`` may select variants of a constraint: ``"2026-12:Bc_lifetime=30%"`` uses the 30% B_c lifetime
    bound instead of the default (conservative) 60% one. Unknown options or choices raise ``KeyError``
    listing the allowed ones.
    """
    names = available_vintages()
    v, opts = parse_vintage(vintage)
    if v not in names:
        raise KeyError(f"unknown measurement vintage {v!r}; available: {', '.join(names)}")
    text = resources.files("observables").joinpath(f"{_PACKAGE_DIR}/{v}.yaml").read_text(encoding="utf-8")
    raw = load_yaml(text)
    entries = raw["measurements"]
    variants: dict[str, dict[str, bool]] = {}
    for e in entries:
        if "option" in e:
            variants.setdefault(str(e["option"]), {})[str(e["choice"])] = bool(e.get("default", False))
    for key, val in opts.items():
        if key not in variants:
            raise KeyError(f"vintage {v!r} has no option {key!r}; options: {', '.join(variants) or 'none'}")
        if val not in variants[key]:
            raise KeyError(f"option {key!r} of vintage {v!r} has no choice {val!r}; "
                           f"choices: {', '.join(variants[key])}")
    selected = {k: opts.get(k, next((c for c, d in ch.items() if d), next(iter(ch)))) for k, ch in variants.items()}
    kept = [e for e in entries if "option" not in e or selected[str(e["option"])] == str(e["choice"])]
    return MeasurementSet(vintage=str(raw["vintage"]), date=str(raw["date"]),
                          constraints=tuple(_parse(e) for e in kept), options=tuple(sorted(selected.items())))
