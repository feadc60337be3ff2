r"""Fits of the transition magnetic moment :math:`|\mu_{\alpha N}|` to XENON1T / XENONnT (/ LZ) electron recoils.

Signal: the rate is quadratic in the moments (docs/theory.md §d.1, §d.4),

.. math::

    \frac{dR}{dE} = \sum_\alpha \Big(\frac{|\mu_{\alpha N}|}{10^{-11}\mu_B}\Big)^2 U_\alpha(E; M_N),

with :math:`U_\alpha` = ``observables.neutrino.rates.unit_spectra`` (events/(t yr keV) for
:math:`|\mu_{\alpha N}| = 10^{-11}\mu_B`, free electrons with the xenon binding step, no detector effects).
For ``lepton`` = ``"e"``, ``"mu"``, ``"tau"`` only that flavour carries the moment :math:`\mu`; ``"all"`` gives the
SAME moment to every flavour (the flavour-universal "effective" moment the collaborations quote); a
"+"-joined list such as ``"e+mu"`` gives the same moment to the listed flavours (e.g. the ν_e–ν_μ transition
moment of a Majorana neutrino, arXiv:2007.04291, scatters both ν_e and ν_μ). The detector folding is
:mod:`observables.neutrino.detectors`, the likelihood :mod:`observables.neutrino.likelihood`.

Statistics: signal strength :math:`s = (\mu/10^{-11}\mu_B)^2 \ge 0`; test statistic the profile-likelihood
ratio :math:`q(s)` of :mod:`observables.neutrino.likelihood`; the confidence interval at level ``cl`` is
:math:`\{s \ge 0 : q(s) \le F^{-1}_{\chi^2_1}({\rm cl})\}` (Wilks' theorem with one degree of freedom; 2.706
at 90% CL). This is the two-sided/unified construction in its asymptotic form: when :math:`q(0)` exceeds the
threshold the interval excludes zero (XENON1T's preferred interval), otherwise it is an upper limit (low = 0).
Wilks is approximate near the physical boundary s = 0 (there the coverage of the upper limit is somewhat
higher than nominal); the collaborations used Neyman constructions with toy Monte Carlo.

Results are cached on disk (``$LQMODEL_CACHE_DIR`` or ``~/.cache/lqmodel``, sub-folder ``ddfit``), keyed by all
inputs, the detector data version and the version of the rate code. Every file stores its full key
(experiment, lepton, M_N, cl, ssm, tritium, data and code versions, template hash) and a content hash, checked
on load (:mod:`observables.cache`); a damaged or swapped file is recomputed, never used.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from observables import cache as _cache
from observables.neutrino.detectors import EXPERIMENTS, data_version, default_true_grid, get_detector
from observables.neutrino.likelihood import TRITIUM_MODES, make_likelihood

__all__ = [
    "LEPTONS",
    "MU_REF_MUB",
    "FitResult",
    "UnknownLeptonError",
    "lepton_weights",
    "signal_template",
    "fit_moment",
    "fit_template",
    "band",
    "cache_dir",
]

#: Reference moment of the unit spectra [mu_B].
MU_REF_MUB: float = 1e-11
#: Allowed single lepton labels (plus "+"-joined combinations of e, mu, tau).
LEPTONS: tuple[str, ...] = ("e", "mu", "tau", "all")
#: Version of the fitting algorithm; part of the cache key.
FIT_VERSION = "2"

SpectraFn = Callable[[NDArray[np.float64], float, str], NDArray[np.float64]]


class UnknownLeptonError(KeyError):
    """A lepton label that is not e, mu, tau, all or a "+"-joined combination of e, mu, tau."""


def lepton_weights(lepton: str) -> NDArray[np.float64]:
    """Weights (w_e, w_mu, w_tau) of the squared moment in each flavour for ``lepton``.

    >>> lepton_weights("all").tolist(), lepton_weights("e+mu").tolist()
    ([1.0, 1.0, 1.0], [1.0, 1.0, 0.0])
    """
    key = str(lepton).strip().lower()
    if key == "all":
        return np.ones(3)
    parts = key.split("+")
    idx = {"e": 0, "mu": 1, "tau": 2}
    if not parts or any(p not in idx for p in parts) or len(set(parts)) != len(parts):
        raise UnknownLeptonError(
            f"unknown lepton {lepton!r}; allowed: e, mu, tau, all, or a '+'-joined list such as 'e+mu'"
        )
    w = np.zeros(3)
    for p in parts:
        w[idx[p]] = 1.0
    return w


def cache_dir() -> Path:
    """Folder of the on-disk fit cache: ``$LQMODEL_CACHE_DIR/ddfit`` or ``~/.cache/lqmodel/ddfit``."""
    return _cache.cache_dir("ddfit")


def _cache_path(key: dict[str, Any]) -> Path:
    return cache_dir() / f"{_cache.digest(key, 32)}.json"


def _cache_read(key: dict[str, Any]) -> dict | None:
    """The payload stored under the full ``key`` (checked inside the file with its content hash, see
    :mod:`observables.cache`), or None: a missing, damaged or swapped file is recomputed."""
    hit = _cache.load_json(_cache_path(key), key)
    return hit if isinstance(hit, dict) else None


def _cache_write(key: dict[str, Any], payload: dict) -> None:
    """Store ``payload`` under ``key``; an unwritable cache keeps it in memory (one CacheWriteWarning)."""
    _cache.store_json(_cache_path(key), key, payload)


def _key(kind: str, **parts: Any) -> dict[str, Any]:
    """Full cache key of a template or fit entry: every input, the fit version and the data versions."""
    return {"kind": kind, "fit_version": FIT_VERSION, **parts}


def _valid_template(hit: dict | None, n_bins: int) -> np.ndarray | None:
    if hit is None:
        return None
    try:
        T = np.asarray(hit["template"], dtype=float)
    except (KeyError, TypeError, ValueError):
        return None
    if T.shape != (3, n_bins) or not np.all(np.isfinite(T)) or np.any(T < 0):
        return None
    return T


_CORE_FIELDS = {"threshold": float, "signal_events_at_ref": float, "approximate": bool, "interval_muB": list,
                "best_fit_muB": float, "kind": str, "q_at_zero": float, "significance_sigma": float,
                "nuisances_at_best_fit": dict, "ts_values": dict}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _valid_core(hit: dict | None) -> dict | None:
    """A cached fit core with every field of the right type (ints accepted for floats), else None."""
    if hit is None or set(hit) != set(_CORE_FIELDS):
        return None
    for name, typ in _CORE_FIELDS.items():
        if not (_is_number(hit[name]) if typ is float else isinstance(hit[name], typ)):
            return None
    iv, ts = hit["interval_muB"], hit["ts_values"]
    if len(iv) != 2 or not _is_number(iv[0]) or not (iv[1] is None or _is_number(iv[1])):
        return None
    if not all(isinstance(k, str) and _is_number(v) for k, v in hit["nuisances_at_best_fit"].items()):
        return None
    if set(ts) != {"mu_muB", "q"} or not all(isinstance(ts[k], list) and all(map(_is_number, ts[k])) for k in ts):
        return None
    return hit


def _default_spectra() -> SpectraFn:
    from observables.neutrino import rates

    return lambda E, M, ssm: rates.unit_spectra(E, M, ssm=ssm)


def _rates_version() -> str:
    """Hash of the code and data that produce ``unit_spectra`` (the rate module, the modules it uses, their data
    folders and the parameter-file schema version)."""
    return _rates_version_cached()


@lru_cache(maxsize=1)
def _rates_version_cached() -> str:
    from observables.neutrino import rates
    from observables.parameters import schema_version

    h = hashlib.sha256(str(schema_version()).encode())
    pkg = Path(rates.__file__).parent
    for mod in ("rates", "solar", "oscillations", "xenon", "cross_sections", "kinematics"):
        f = pkg / f"{mod}.py"
        if f.exists():
            h.update(f.read_bytes())
    root = resources.files("observables").joinpath("data")
    for sub in ("solar", "oscillations", "xenon_binding"):
        d = root.joinpath(sub)
        if d.is_dir():
            for p in sorted(d.iterdir(), key=lambda q: q.name):
                if p.is_file():
                    h.update(p.name.encode())
                    h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _check_inputs(experiment: str, M_N_keV: float, cl: float) -> str:
    exp = str(experiment).strip().lower()
    if exp not in EXPERIMENTS:
        get_detector(exp)  # raises UnknownExperimentError with the allowed list
    m = float(M_N_keV)
    if not math.isfinite(m) or m < 0:
        raise ValueError(f"M_N must be a finite mass >= 0 in keV, got {M_N_keV!r}")
    c = float(cl)
    if not (0.0 < c < 1.0):
        raise ValueError(f"cl must be a confidence level strictly between 0 and 1, got {cl!r}")
    return exp


def signal_template(
    experiment: str, M_N_keV: float, ssm: str = "B16-GS98", *, spectra: SpectraFn | None = None
) -> NDArray[np.float64]:
    """Expected events per bin, shape (3, n_bins), for |mu_alpha N| = 1e-11 mu_B in flavour alpha = e, mu, tau.

    ``spectra(E_keV, M_N_keV, ssm) -> (3, nE)`` defaults to ``observables.neutrino.rates.unit_spectra``; the
    default is cached on disk (keyed by experiment, M_N, ssm, detector data and rate-code versions).
    """
    exp = _check_inputs(experiment, M_N_keV, 0.5)
    det = get_detector(exp)
    E = default_true_grid()
    key = None
    if spectra is None:
        key = _key("template", experiment=exp, M_N_keV=float(M_N_keV), ssm=ssm, data_version=data_version(),
                   rates_version=_rates_version())
        hit = _valid_template(_cache_read(key), det.n_bins)
        if hit is not None:
            return hit
        spectra = _default_spectra()
    U = np.asarray(spectra(E, float(M_N_keV), ssm), dtype=float)
    if U.shape != (3, E.size):
        raise ValueError(f"spectra must return shape (3, {E.size}), got {U.shape}")
    if np.any(~np.isfinite(U)) or np.any(U < 0):
        raise ValueError("spectra returned negative or non-finite rates")
    T = det.expected_counts(U, E)
    if key is not None:
        _cache_write(key, {"template": T.tolist()})
    return T


@dataclass(frozen=True)
class FitResult:
    """Result of a moment fit. Moments in Bohr magnetons, M_N in keV.

    ``interval_muB`` = (low, high): low = 0.0 when the interval reaches zero (an upper limit); high = None when
    the data have no sensitivity (no signal events above threshold at this M_N). ``kind`` is "two_sided",
    "upper_limit" or "no_sensitivity". ``ts_values`` = {"mu_muB": [...], "q": [...]} samples q on a grid.
    ``significance_sigma`` = sqrt(q(0)) (asymptotic, one-sided).
    """

    experiment: str
    lepton: str
    M_N_keV: float
    cl: float
    ssm: str
    tritium: str
    interval_muB: tuple[float, float | None]
    best_fit_muB: float
    kind: str
    test_statistic: str
    threshold: float
    q_at_zero: float
    significance_sigma: float
    signal_events_at_ref: float
    nuisances_at_best_fit: dict[str, float]
    ts_values: dict[str, list[float]] = field(repr=False)
    approximate: bool = False
    data_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples as lists)."""
        d = asdict(self)
        d["interval_muB"] = list(self.interval_muB)
        return d


TS_DESCRIPTION = (
    "profile-likelihood ratio q(mu^2) = -2 ln[L(mu^2, theta_hathat)/L(mu_hat^2, theta_hat)], mu_hat^2 >= 0; "
    "interval {q <= chi2_1 quantile(cl)} (Wilks, 1 dof)"
)


def fit_template(
    experiment: str,
    template_counts: ArrayLike,
    *,
    cl: float = 0.9,
    tritium: str = "none",
    n_scan: int = 25,
) -> dict[str, Any]:
    """Fit a signal template (events per bin at mu = 1e-11 mu_B) to ``experiment``; the statistical core of
    :func:`fit_moment`, uncached. Returns a dict with the FitResult fields that depend only on the data."""
    exp = _check_inputs(experiment, 0.0, cl)
    det = get_detector(exp)
    S = np.asarray(template_counts, dtype=float)
    lik = make_likelihood(det, S, tritium=tritium)
    # here: scipy.stats and scipy.optimize cost ~1 s each to import, and fits are usually cached
    from scipy.optimize import brentq
    from scipy.stats import chi2

    thr = float(chi2.ppf(cl, 1))
    total = float(S.sum())
    out: dict[str, Any] = {"threshold": thr, "signal_events_at_ref": total, "approximate": det.approximate}
    if total < 1e-9:
        _, nu = lik.profile(0.0)
        out.update(interval_muB=(0.0, None), best_fit_muB=0.0, kind="no_sensitivity", q_at_zero=0.0,
                   significance_sigma=0.0, nuisances_at_best_fit=nu, ts_values={"mu_muB": [], "q": []})
        return out
    s_hat, m_hat = lik.global_fit()

    def q(s: float) -> float:
        return float(lik.profile(s)[0] - m_hat)

    q0 = max(q(0.0), 0.0)
    # upper end: expand until q exceeds the threshold
    s_hi = max(s_hat, 1.0 / total)
    while q(s_hi) < thr:
        s_hi *= 2.0
        if s_hi > 1e12:  # pragma: no cover - pathological template
            raise RuntimeError("could not bracket the upper end of the interval")
    upper = brentq(lambda s: q(s) - thr, max(s_hat, 0.0), s_hi, xtol=1e-10 * s_hi, rtol=1e-10)
    if q0 > thr:
        lower = brentq(lambda s: q(s) - thr, 0.0, s_hat, xtol=1e-10 * s_hat, rtol=1e-10)
        kind = "two_sided"
    else:
        lower, kind = 0.0, "upper_limit"

    def mu(s: float) -> float:
        return MU_REF_MUB * math.sqrt(max(s, 0.0))

    grid_mu = np.linspace(0.0, 1.5 * mu(upper), n_scan)
    qs = lik.test_statistic((grid_mu / MU_REF_MUB) ** 2, fit=(s_hat, m_hat))
    out.update(
        interval_muB=(mu(lower), mu(upper)),
        best_fit_muB=mu(s_hat),
        kind=kind,
        q_at_zero=float(q0),
        significance_sigma=float(math.sqrt(q0)),
        nuisances_at_best_fit=lik.profile(s_hat)[1],
        ts_values={"mu_muB": grid_mu.tolist(), "q": qs.tolist()},
    )
    return out


def fit_moment(
    experiment: str,
    lepton: str,
    M_N_keV: float,
    cl: float = 0.9,
    *,
    ssm: str = "B16-GS98",
    tritium: str = "none",
    spectra: SpectraFn | None = None,
    use_cache: bool = True,
) -> FitResult:
    r"""Fit :math:`|\mu_{\alpha N}|` [mu_B] for ``lepton`` ("e", "mu", "tau", "all" or e.g. "e+mu") and sterile
    mass ``M_N_keV`` [keV] to ``experiment`` ("xenon1t", "xenonnt", "lz" (approximate)) at confidence level
    ``cl`` (Wilks, see module doc).

    ``tritium``: "none" (B0 only: the hypothesis under which XENON1T quotes (1.4, 2.9)e-11 mu_B) or "free"
    (XENON1T only). ``spectra`` overrides ``observables.neutrino.rates.unit_spectra`` (dependency injection).
    Cached on disk by inputs + detector-data version + signal template.

    Raises ValueError (negative / non-finite mass, cl outside (0, 1), bad tritium mode) or KeyError subclasses
    (unknown experiment or lepton), each with a one-line message.
    """
    exp = _check_inputs(experiment, M_N_keV, cl)
    w = lepton_weights(lepton)
    if tritium not in TRITIUM_MODES:
        raise ValueError(f"unknown tritium treatment {tritium!r}; allowed: {', '.join(TRITIUM_MODES)}")
    T3 = signal_template(exp, M_N_keV, ssm, spectra=spectra)
    S = w @ T3
    key = _key("fit", experiment=exp, lepton=str(lepton).lower(), M_N_keV=float(M_N_keV), cl=float(cl), ssm=ssm,
               tritium=tritium, data_version=data_version(),
               template_sha256=hashlib.sha256(np.ascontiguousarray(S).tobytes()).hexdigest())
    core = _valid_core(_cache_read(key)) if use_cache else None
    if core is None:
        core = fit_template(exp, S, cl=cl, tritium=tritium)
        core["interval_muB"] = list(core["interval_muB"])
        if use_cache:
            _cache_write(key, core)
    return FitResult(
        experiment=exp,
        lepton=str(lepton).lower(),
        M_N_keV=float(M_N_keV),
        cl=float(cl),
        ssm=ssm,
        tritium=tritium,
        interval_muB=(float(core["interval_muB"][0]),
                      None if core["interval_muB"][1] is None else float(core["interval_muB"][1])),
        best_fit_muB=float(core["best_fit_muB"]),
        kind=str(core["kind"]),
        test_statistic=TS_DESCRIPTION,
        threshold=float(core["threshold"]),
        q_at_zero=float(core["q_at_zero"]),
        significance_sigma=float(core["significance_sigma"]),
        signal_events_at_ref=float(core["signal_events_at_ref"]),
        nuisances_at_best_fit={k: float(v) for k, v in core["nuisances_at_best_fit"].items()},
        ts_values=core["ts_values"],
        approximate=bool(core["approximate"]),
        data_version=data_version(),
    )


def band(
    experiment: str,
    lepton: str,
    M_N_keV: ArrayLike,
    cl: float = 0.9,
    *,
    ssm: str = "B16-GS98",
    tritium: str = "none",
    spectra: SpectraFn | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Tabulate the fit vs M_N [keV] for coupling maps.

    Returns {"M_N_keV", "low_muB", "high_muB", "best_fit_muB"} (arrays; high = +inf where there is no
    sensitivity, low = 0 for upper limits) and "two_sided" (bool array). Each point is cached on disk.
    """
    masses = np.atleast_1d(np.asarray(M_N_keV, dtype=float))
    if masses.ndim != 1:
        raise ValueError("M_N_keV must be a scalar or a 1-d array of masses in keV")
    res = [fit_moment(experiment, lepton, float(m), cl, ssm=ssm, tritium=tritium, spectra=spectra) for m in masses]
    hi = np.array([np.inf if r.interval_muB[1] is None else r.interval_muB[1] for r in res])
    return {
        "M_N_keV": masses,
        "low_muB": np.array([r.interval_muB[0] for r in res]),
        "high_muB": hi,
        "best_fit_muB": np.array([r.best_fit_muB for r in res]),
        "two_sided": np.array([r.kind == "two_sided" for r in res]),
    }
