r"""Gaussian :math:`\chi^2` of flavour predictions against a measurement vintage, with correlations.

For each constraint of the vintage (``observables.measurements``) with observables :math:`i,j` measured by
it, residual :math:`r = \text{prediction} - \text{measurement}` and covariance
:math:`C = C_\text{exp} + C_\text{th}`:

.. math::  \chi^2 = r^T C^{-1} r, \qquad -2\ln L = \chi^2 + \ln\det(2\pi C).

* :math:`C_\text{exp}`: the experimental covariance of the vintage (R(D)–R(D*) correlation −0.39; the
  LHCb 2022 R(K)/R(K*) correlation matrix).
* :math:`C_\text{th}`: flavio's **SM** covariance of the observables flagged ``theory: flavio`` (parameter
  uncertainties, :func:`flavio.sm_covariance` with ``THEORY_SAMPLES`` samples), computed once per
  measurement group; shipped with the package for the default seed and the pinned flavio
  (``tools/build_theory_covariance.py``; verified on load, see :func:`theory_covariance`), otherwise
  computed live (~20 s for R(D)–R(D*), ~40 s for the four R(K(*)) bins) and cached on disk; it is used at
  every point (the usual approximation of flavio's FastLikelihood: the NP dependence of the theory error is
  neglected; each cache file carries its key and a content hash and is checked on load, see
  :mod:`observables.cache`). Theory correlations *between* different measurement groups (e.g. R(D) and
  B -> tau nu through form factors / CKM inputs) are neglected.
  ``Delta_a_mu`` carries the WP25 SM error inside its measurement; pure-NP observables have none.
* One-sided limits (``kind: upper_limit``): half-Gaussian at zero, :math:`\sigma = \text{limit}/1.645` at
  90% CL, :math:`\chi^2 = (\max(\text{pred}, 0)/\sigma)^2`.

Per-observable entries are the contributions :math:`r_i (C^{-1} r)_i`, which add up to the constraint's
:math:`\chi^2` (for correlated observables one of them can be negative); ``"total"`` is their sum over
all measured observables present in the predictions. Pulls are :math:`r_i/\sqrt{C_{ii}}`.

Verdict per point (documented thresholds): the total :math:`\chi^2` with :math:`n` = number of measured
observables used is turned into a p-value and a two-sided Gaussian significance :math:`Z`;
``"consistent"`` if :math:`Z < 2`, ``"tension"`` if :math:`2 \le Z < 3`, ``"excluded"`` if :math:`Z \ge 3`.
Note that the SM itself is in tension with the HFLAV R(D)–R(D*) average (§e).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from observables import cache as _cache
from observables.measurements import Constraint, MeasurementSet, load

__all__ = ["chi2", "log_likelihood", "pulls", "summary", "theory_covariance", "compute_theory_covariance",
           "shipped_covariance", "VERDICT_THRESHOLDS", "THEORY_SAMPLES", "THEORY_SEED", "GROUP_PREFIX"]

#: significance thresholds (Gaussian sigma) of the verdicts "tension" and "excluded"
VERDICT_THRESHOLDS = (2.0, 3.0)
#: number of parameter samples flavio uses for the SM covariance
THEORY_SAMPLES = 100

_log = logging.getLogger(__name__)
#: progress lines of long preparation steps (the CLI shows INFO records of this logger on stderr)
_progress = logging.getLogger("observables.progress")
_progress.propagate = False  # shown only where a handler is attached (the CLI); flavio configures the root logger


def _cache_dir() -> Path:
    return _cache.cache_dir("theory_covariance")


def _default_samples(names: Sequence[str]) -> int:
    """``theory_samples`` of the constraint of the default vintage measuring exactly ``names`` (else the default)."""
    for c in load().constraints:
        if tuple(c.observables) == tuple(names) and c.theory_samples:
            return int(c.theory_samples)
    return THEORY_SAMPLES


#: seed of the SM covariance sampling (numpy's global generator, restored afterwards)
THEORY_SEED = 20261122
#: package-data folder of the shipped SM covariances (tools/build_theory_covariance.py)
SHIPPED_FORMAT = "lqmodel-theory-covariance/1"


def theory_covariance(names: Sequence[str], *, N: int | None = None, seed: int = THEORY_SEED) -> np.ndarray:
    """flavio's SM covariance of toolkit observables ``names`` (deterministic for ``seed``).

    Computed with ``flavio.sm_covariance`` from ``N`` random parameter points (~1 s per point for all
    registered observables). ``N=None``: the ``theory_samples`` of the measurement group in the default
    vintage, else :data:`THEORY_SAMPLES`.

    Where it comes from, in order:

    1. the on-disk cache (key: names, ``N``, ``seed``, flavio version; verified by :mod:`observables.cache`);
    2. the covariance shipped with the package (``observables/data/theory_covariance/``, written by
       ``tools/build_theory_covariance.py`` with :func:`compute_theory_covariance`), used only if its entry
       matches exactly what is asked — observable names, their flavio names and arguments, ``N``, ``seed``,
       the installed flavio and wilson versions — and its matrix has the stated shape, is finite, symmetric
       with a non-negative diagonal and matches its SHA-256 (:func:`shipped_covariance`);
    3. live flavio (:func:`compute_theory_covariance`), after a progress line (``logging``, logger
       ``observables.progress``, level INFO).

    Cases 2 and 3 store the result in the on-disk cache. The result is kept in memory for the rest of the
    process (keyed with the cache folder and the flavio version): a scan's chunks call :func:`chi2` many
    times and each call used to re-read and re-verify every group's file.
    """
    from observables import flavio_backend as fb

    if N is None:
        N = _default_samples(names)
    names = tuple(names)
    unique = tuple(dict.fromkeys(names))
    if len(unique) != len(names):
        # an observable measured more than once (e.g. the individual R(D(*)) inputs): the SM prediction is one
        # number, so its theory uncertainty is fully correlated between the rows that measure it
        idx = [unique.index(o) for o in names]
        return theory_covariance(unique, N=N, seed=seed)[np.ix_(idx, idx)]
    path = Path(_covariance_path(names, int(N), int(seed)))
    try:
        st = path.stat()
        stamp: tuple[int, ...] | None = (st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        stamp = None
    return _theory_covariance_entry(str(path), stamp, names, int(N), int(seed), fb.wilson_version()).copy()


def _covariance_path(names: tuple[str, ...], N: int, seed: int) -> str:
    """The cache entry path of the SM covariance of ``names``: the cache folder (from the environment it
    depends on) and the digest of :func:`_covariance_key`, memoised (a scan's sub-batches ask for the same
    dozen entries every call; the entry's own stat stamp is still read each time)."""
    import os

    return _covariance_path_for(names, N, seed, os.environ.get("LQMODEL_CACHE_DIR"), os.environ.get("HOME"))


@lru_cache(maxsize=256)
def _covariance_path_for(names: tuple[str, ...], N: int, seed: int, env: str | None, home: str | None) -> str:
    return str(_cache_dir() / f"{_cache.digest(_covariance_key(names, N, seed))}.npz")


def _covariance_key(names: Sequence[str], N: int, seed: int) -> dict:
    """The on-disk cache key of the SM covariance of ``names`` (distinct) from ``N`` samples with ``seed``."""
    from observables import flavio_backend as fb

    return {"names": list(names), "N": int(N), "seed": int(seed), "flavio": fb.flavio_version(), "version": 1}


@lru_cache(maxsize=256)
def _theory_covariance_entry(path_text: str, stamp: tuple[int, ...] | None, names: tuple[str, ...], N: int,
                             seed: int, wilson: str) -> np.ndarray:
    """The covariance of the cache entry ``path_text`` (distinct ``names``): read and verified, else shipped or
    computed and stored; kept in memory for the rest of the process (a scan's chunks call :func:`chi2` many
    times; each call re-read and re-verified every group's file before). The memo key is the entry's path
    (which encodes the cache folder and the full on-disk key), its stat stamp (a file rewritten or damaged
    since is read and verified anew) and the wilson version (the shipped entries depend on it). Callers get
    a copy (the memoised array is read-only)."""
    n = len(names)
    key = _covariance_key(names, N, seed)
    path = Path(path_text)
    cov = _load_covariance(path, key, n)
    if cov is None:
        cov = shipped_covariance(names, N=N, seed=seed)
        if cov is None:
            _progress.info("lqmodel: computing the flavio SM covariance of %s (%d samples)…", ", ".join(names), int(N))
            cov = compute_theory_covariance(names, N=N, seed=seed)
        _cache.store_arrays(path, key, {"cov": cov})
    cov = np.array(cov, dtype=float)
    cov.flags.writeable = False
    return cov


def _flavio_observables(names: Sequence[str]) -> list:
    """flavio's observable names (with arguments, as tuples) of toolkit observables ``names``."""
    from observables.registry import get

    specs = [get(n) for n in names]
    return [(s.flavio_name, *s.args) if s.args else s.flavio_name for s in specs]


def compute_theory_covariance(names: Sequence[str], *, N: int, seed: int = THEORY_SEED) -> np.ndarray:
    """flavio's SM covariance computed live (no cache): ``flavio.sm_covariance`` with ``N`` samples drawn
    from numpy's global generator seeded with ``seed`` (its state is restored afterwards)."""
    from observables import flavio_backend as fb

    obs = _flavio_observables(names)
    flavio = fb._import_flavio()
    state = np.random.get_state()  # noqa: NPY002 - flavio draws from numpy's global generator
    np.random.seed(seed)  # noqa: NPY002 - flavio samples with numpy's global generator; restored below
    try:
        cov = np.atleast_2d(np.asarray(flavio.sm_covariance(obs, N=N, threads=1), dtype=float))
    finally:
        np.random.set_state(state)  # noqa: NPY002 - restores the state flavio found
    return cov


def covariance_sha256(cov: np.ndarray) -> str:
    """SHA-256 of a covariance matrix as stored in the shipped file: its shape and its float64 bytes
    (little-endian, C order)."""
    import hashlib

    a = np.ascontiguousarray(np.asarray(cov, dtype="<f8"))
    return hashlib.sha256(repr(a.shape).encode() + a.tobytes()).hexdigest()


def shipped_file_name(seed: int = THEORY_SEED, flavio: str | None = None) -> str:
    """Name of the shipped covariance file for ``seed`` and the flavio version (default: installed)."""
    if flavio is None:
        from observables.flavio_backend import flavio_version

        flavio = flavio_version()
    return f"flavio-{flavio}_seed{int(seed)}.json"


def _shipped_entries(seed: int) -> list | None:
    """The entries of the shipped file for ``seed`` and the installed flavio (None if there is none)."""
    import json
    from importlib import resources

    try:
        res = resources.files("observables") / "data" / "theory_covariance" / shipped_file_name(seed)
        if not res.is_file():
            return None
        doc = json.loads(res.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _log.debug("shipped theory covariance unreadable: %s", exc)
        return None
    if not isinstance(doc, dict) or doc.get("format") != SHIPPED_FORMAT or not isinstance(doc.get("entries"), list):
        return None
    return doc["entries"]


def shipped_covariance(names: Sequence[str], *, N: int, seed: int = THEORY_SEED) -> np.ndarray | None:
    """The shipped SM covariance of ``names`` for ``N`` samples and ``seed``, or None.

    An entry is used only if its ``names``, ``flavio_observables`` (flavio name and arguments of each, from
    the registry), ``N``, ``seed``, ``flavio`` and ``wilson`` versions equal what is asked and installed,
    and its ``cov`` is a finite ``(n, n)`` matrix, symmetric with a non-negative diagonal, whose
    :func:`covariance_sha256` equals the stored ``sha256``. Anything else gives None (computed live).
    """
    from observables import flavio_backend as fb

    entries = _shipped_entries(seed)
    if not entries:
        return None
    n = len(names)
    want = {"names": list(names), "flavio_observables": [list(o) if isinstance(o, tuple) else o
                                                         for o in _flavio_observables(names)],
            "N": int(N), "seed": int(seed), "flavio": fb.flavio_version(), "wilson": fb.wilson_version()}
    for e in entries:
        if not isinstance(e, dict) or any(e.get(k) != v for k, v in want.items()):
            continue
        try:
            cov = np.array(e["cov"], dtype=float)
        except (KeyError, TypeError, ValueError):
            return None
        if (cov.shape != (n, n) or not np.all(np.isfinite(cov)) or not np.array_equal(cov, cov.T)
                or not np.all(np.diag(cov) >= 0) or covariance_sha256(cov) != e.get("sha256")):
            _log.debug("shipped theory covariance of %s rejected (shape, values or hash)", names)
            return None
        return cov
    return None


def _load_covariance(path: Path, key: dict, n: int) -> np.ndarray | None:
    """A verified covariance entry (observables.cache: stored key, content hash, shape (n, n), finite) that
    is symmetric with a non-negative diagonal; None otherwise (recompute)."""
    d = _cache.load_arrays(path, key, {"cov": ("f", (n, n))})
    if d is None:
        return None
    cov = d["cov"]
    scale = float(np.max(np.abs(np.diag(cov)), initial=0.0))
    if not (np.all(np.abs(cov - cov.T) <= 1e-12 * scale) and np.all(np.diag(cov) >= 0)):
        return None
    return cov


def _prepare(predictions: Mapping[str, ArrayLike], vintage: str | None, theory: bool
             ) -> tuple[list[tuple[Constraint, list[str], np.ndarray, np.ndarray]], tuple[int, ...]]:
    from observables.registry import get

    for name in predictions:
        get(name)  # unknown names -> KeyError with close matches
    mset: MeasurementSet = load(vintage)
    preds = {k: np.asarray(v, dtype=float) for k, v in predictions.items()}
    shape = np.broadcast_shapes(*(v.shape for v in preds.values())) if preds else ()
    used = [c for c in mset.constraints if any(o in preds for o in c.observables)]
    out: list[tuple[Constraint, list[str], np.ndarray, np.ndarray]] = []
    for c in used:
        sel = [i for i, o in enumerate(c.observables) if o in preds]
        names = [c.observables[i] for i in sel]
        cov = _constraint_covariance(c, sel, theory)
        pred = np.stack([np.broadcast_to(preds[n], shape) for n in names], axis=-1)
        if c.kind == "upper_limit":
            pred = np.maximum(pred, 0.0)
        resid = pred - c.values[sel]
        out.append((c, names, cov, resid))
    return out, shape


def _constraint_covariance(c: Constraint, sel: list[int], theory: bool) -> np.ndarray:
    """The covariance of the rows ``sel`` of constraint ``c``: experimental, plus flavio's SM covariance of the
    whole constraint group (stable cache key), then the subset, when ``theory`` and the constraint asks."""
    cov = c.covariance[np.ix_(sel, sel)].copy()
    if theory and c.theory == "flavio":
        n_samples = c.theory_samples or THEORY_SAMPLES
        cov = cov + theory_covariance(c.observables, N=n_samples)[np.ix_(sel, sel)]
    return cov


#: prefix of the per-constraint-group entries of :func:`chi2`
GROUP_PREFIX = "group:"


def chi2(predictions: Mapping[str, ArrayLike], vintage: str | None = None, *,
         theory: bool = True) -> dict[str, np.ndarray]:
    """Per-observable χ² contributions, ``"total"``, and one ``"group:<group>"`` entry per constraint group
    (:data:`observables.registry.GROUPS`) with a measured observable among the predictions: the sum of its
    observables' contributions (arrays broadcast over points).

    ``predictions``: toolkit observable name -> value(s). Observables without a measurement in the vintage
    are ignored. ``theory=False`` drops flavio's SM theory covariance. ``"total"`` is the sum over
    observables (the group entries are not added again).
    """
    from observables.registry import get

    for name in predictions:
        get(name)  # unknown names -> KeyError with close matches
    preds = {k: np.asarray(v, dtype=float) for k, v in predictions.items()}
    shape = np.broadcast_shapes(*(v.shape for v in preds.values())) if preds else ()
    out: dict[str, np.ndarray] = {}
    per_group: dict[str, np.ndarray] = {}
    total = np.zeros(shape)
    present = frozenset(preds)
    for c, sel, names, groups, inv in _chi2_plan(vintage, present, theory, _theory_stamps(vintage, present, theory)):
        if len(sel) == 1:
            # one measured observable: r (r / sigma^2), the numbers of the general r (r @ C^-1) row by row
            # without the (points, 1) stack
            pred = np.broadcast_to(preds[names[0]], shape)
            if c.kind == "upper_limit":
                pred = np.maximum(pred, 0.0)
            r = pred - c.values[sel[0]]
            cols = [r * (r * inv[0, 0])]
            csum = cols[0]
        else:
            # the residual rows written straight into the (points, k) array (no stacked copy of the predictions)
            resid = np.empty(shape + (len(names),))
            for i, n in enumerate(names):
                pred = np.broadcast_to(preds[n], shape)
                if c.kind == "upper_limit":
                    pred = np.maximum(pred, 0.0)
                np.subtract(pred, c.values[sel[i]], out=resid[..., i])
            contrib = resid * (resid @ inv)
            cols = [contrib[..., i] for i in range(len(names))]
            if len(cols) < 8:
                # the row sums left to right: the numbers of contrib.sum(axis=-1) (numpy adds the k < 8 entries
                # of a row in order), without its strided reduction
                csum = cols[0] + cols[1]
                for v in cols[2:]:
                    csum += v
            else:
                csum = contrib.sum(axis=-1)
        for n, g, v in zip(names, groups, cols, strict=True):
            # summed where an observable is measured twice; a fresh array per entry (the one-row r (r / sigma^2)
            # is one already, the columns of a multi-row contribution are copied); a group's own array is
            # added to in place
            out[n] = out[n] + v if n in out else (v if len(sel) == 1 else np.array(v))
            if g in per_group:
                np.add(per_group[g], v, out=per_group[g])
            else:
                per_group[g] = np.array(v)
        total += csum
    out["total"] = total
    out.update(per_group)
    return out


def _theory_stamps(vintage: str | None, present: frozenset[str], theory: bool) -> tuple:
    """The stat stamps of the SM covariance cache entries the constraints measuring ``present`` read (part of
    the :func:`_chi2_plan` key: an entry rewritten or damaged since is read and verified anew, as by
    :func:`theory_covariance`), with the wilson version the shipped entries depend on."""
    import os

    if not theory:
        return ()
    from observables import flavio_backend as fb

    stamps: list = [fb.wilson_version()]
    for c in load(vintage).constraints:
        if c.theory != "flavio" or not any(o in present for o in c.observables):
            continue
        path = _covariance_path(tuple(dict.fromkeys(c.observables)), int(c.theory_samples or THEORY_SAMPLES),
                                THEORY_SEED)
        try:
            st = os.stat(path)
            stamps.append((path, st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            stamps.append((path, None))
    return tuple(stamps)


@lru_cache(maxsize=64)
def _chi2_plan(vintage: str | None, present: frozenset[str], theory: bool, stamps: tuple
               ) -> tuple[tuple[Constraint, list[int], list[str], list[str], np.ndarray], ...]:
    """Per constraint of the vintage measuring some of ``present``: (constraint, its rows among them, their
    observables, their ``"group:"`` keys, the inverse covariance of those rows). The same covariances as
    :func:`_prepare` (experimental + flavio SM), kept in memory for the rest of the process: a scan's
    sub-batches and their SM reference ask for the same plan every call. ``stamps``: :func:`_theory_stamps`
    (the memo is keyed with the state of the covariance cache entries it read)."""
    from observables.registry import get

    out = []
    for c in load(vintage).constraints:
        sel = [i for i, o in enumerate(c.observables) if o in present]
        if not sel:
            continue
        names = [c.observables[i] for i in sel]
        inv = np.linalg.inv(_constraint_covariance(c, sel, theory))  # small, symmetric positive definite
        inv.flags.writeable = False
        out.append((c, sel, names, [GROUP_PREFIX + get(n).group for n in names], inv))
    return tuple(out)


def log_likelihood(predictions: Mapping[str, ArrayLike], vintage: str | None = None, *,
                   theory: bool = True) -> np.ndarray:
    r"""Gaussian :math:`\ln L = -\tfrac12[\chi^2 + \ln\det(2\pi C)]` summed over constraints (limits as
    half-Gaussians, normalised on pred >= 0)."""
    groups, shape = _prepare(predictions, vintage, theory)
    ll = np.zeros(shape)
    for c, _, cov, resid in groups:
        w = resid @ np.linalg.inv(cov)
        _, logdet = np.linalg.slogdet(2 * np.pi * cov)
        norm = np.log(2.0) * resid.shape[-1] if c.kind == "upper_limit" else 0.0
        ll = ll - 0.5 * ((resid * w).sum(axis=-1) + logdet) + norm
    return ll


def pulls(predictions: Mapping[str, ArrayLike], vintage: str | None = None, *,
          theory: bool = True) -> dict[str, np.ndarray]:
    r"""Pull :math:`(\text{pred} - \text{meas})/\sigma_\text{tot}` of each measured observable (limits: pred/σ)."""
    groups, _ = _prepare(predictions, vintage, theory)
    out = {}
    for c, names, cov, resid in groups:
        sig = np.sqrt(np.diag(cov))
        rows = c.row_names()
        sel = [i for i, o in enumerate(c.observables) if o in names]
        for i in range(len(names)):
            # one pull per measurement: "R_D [BaBar 2012]" where an observable is measured more than once
            out[rows[sel[i]]] = resid[..., i] / sig[i]
    return out


def summary(predictions: Mapping[str, ArrayLike], vintage: str | None = None, *, theory: bool = True) -> dict:
    """χ², pulls, p-value, significance and verdict per point (see module docstring for thresholds)."""
    c2 = chi2(predictions, vintage, theory=theory)
    pl = pulls(predictions, vintage, theory=theory)
    ndof = len(pl)
    from scipy import stats  # here: scipy.stats costs ~1 s to import, and only this summary needs it

    p = stats.chi2.sf(c2["total"], ndof) if ndof else np.ones_like(c2["total"])
    z = stats.norm.isf(np.clip(p, 1e-300, 1.0) / 2.0)
    lo, hi = VERDICT_THRESHOLDS
    verdict = np.where(z < lo, "consistent", np.where(z < hi, "tension", "excluded"))
    return {"chi2": c2, "pulls": pl, "ndof": ndof, "p_value": p, "significance": z, "verdict": verdict}
