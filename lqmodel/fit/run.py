r"""Best fit (iminuit MIGRAD/HESSE/MINOS from several starts), profile likelihoods and emcee sampling of a
:class:`~lqmodel.fit.likelihood.CombinedLikelihood`, resumable in an output folder.

Statistics (``docs/fits.md``):

* best fit: the lowest valid MIGRAD minimum over the starts of the config; HESSE errors; MINOS intervals at
  68.27% (:math:`\Delta\chi^2 = 1.00`) and 95% (:math:`\Delta\chi^2 = 3.84`), one parameter at a time with
  the others profiled (Wilks, one degree of freedom). An interval end that reaches the parameter's range is
  reported as that bound (``at_limit``).
* profiles: 1-D :math:`\Delta\chi^2(x) = \min_{\text{others}}\chi^2 - \chi^2_\text{min}` on a grid (MIGRAD
  at each grid value, warm-started from the neighbour; without other parameters the grid is one batched
  call), shown with the one-dof thresholds 1.00 / 3.84; 2-D profiles with the two-dof thresholds
  2.30 / 5.99 (:data:`THRESHOLDS`).
* sampling: emcee's ensemble sampler with differential-evolution moves (:func:`_moves`;
  ``vectorize=True``: one batched likelihood call per half-ensemble step), log posterior
  :math:`-\chi^2/2 + \ln\pi(\theta)` with the config's priors (zero outside the ranges); diagnostics:
  integrated autocorrelation time :math:`\tau` per parameter (:func:`emcee.autocorr.integrated_time`) and
  the mean acceptance fraction; a chain shorter than
  :math:`50\tau` after burn-in (emcee's conservative guidance) is a warning, shorter than :math:`20\tau`
  or an acceptance fraction outside [0.15, 0.7] also makes ``converged`` false.

Resuming: the folder's ``state/`` holds the best fit (JSON), each profile (rows written as they are
computed) and the emcee state (``.npz``: chain so far, last walker positions and log posteriors, the
generator state, acceptance counts), each tagged with the fingerprint of the config and likelihood;
entries with another fingerprint are ignored and recomputed. A folder holding a different fit is
refused.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lqmodel.errors import ScanFolderError

__all__ = ["THRESHOLDS", "CL_68", "best_fit", "profile_1d", "profile_2d", "sample", "run_fit", "FitFolderError",
           "intervals_from_profile"]

#: two-sided 1 sigma probability
CL_68 = 0.6826894921370859
#: Delta chi2 thresholds per number of parameters shown (chi2 quantiles): {dof: {"68": ..., "95": ...}}
THRESHOLDS = {1: {"68": 1.0, "95": 3.841458820694124}, 2: {"68": 2.295748928898636, "95": 5.991464547107979}}


#: random points of the batched scan whose best point is an extra MIGRAD start
_SCAN_POINTS = 1024
#: points per remaining parameter of the batched scan that starts each profile minimisation
_PRESCAN = {1: 200, 2: 30}


class FitFolderError(ScanFolderError):
    """The --out folder holds another fit (different fingerprint) or is not a fit folder."""


# ----------------------------------------------------------------------------------- state files
class _State:
    def __init__(self, out: Path | None, fingerprint: str):
        self.dir = None if out is None else Path(out) / "state"
        self.fp = fingerprint
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)

    def read_json(self, name: str) -> Any:
        if self.dir is None or not (self.dir / name).exists():
            return None
        try:
            d = json.loads((self.dir / name).read_text())
        except (OSError, ValueError):
            return None
        return d.get("data") if isinstance(d, dict) and d.get("fingerprint") == self.fp else None

    def write_json(self, name: str, data: Any) -> None:
        if self.dir is None:
            return
        from lqmodel.atomic import write_bytes_atomic

        write_bytes_atomic(self.dir / name, json.dumps({"fingerprint": self.fp, "data": data}).encode())

    def read_npz(self, name: str) -> dict | None:
        if self.dir is None or not (self.dir / name).exists():
            return None
        try:
            with np.load(self.dir / name, allow_pickle=False) as z:
                d = {k: z[k] for k in z.files}
        except (OSError, ValueError, KeyError):
            return None
        return d if str(d.get("fingerprint", "")) == self.fp else None

    def write_npz(self, name: str, arrays: dict) -> None:
        if self.dir is None:
            return
        from lqmodel.atomic import atomic_path

        with atomic_path(self.dir / name) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, fingerprint=np.array(self.fp), **arrays)


# ------------------------------------------------------------------------------------- best fit
class _Cost:
    """chi2 for MIGRAD with a batched gradient: one likelihood call evaluates f at x and at x +- h e_i
    (central differences, h = 1e-5 of each range), so a MIGRAD iteration costs one batched call instead
    of 2n + 1 sequential ones (the per-call cost hardly depends on the batch size). The value at x of the
    last gradient call is reused by the next value call at the same x."""

    def __init__(self, lik, bounds):
        self.lik = lik
        self.h = np.array([1e-5 * (b[1] - b[0]) for b in bounds])
        self._last: tuple[tuple, float] | None = None

    def _safe(self, v: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(v), v, 1e30)

    def __call__(self, *x) -> float:
        if not all(map(math.isfinite, x)):  # MIGRAD's simplex fallback can probe NaN
            return 1e30
        if self._last is not None and self._last[0] == tuple(x):
            return self._last[1]
        return float(self._safe(self.lik.chi2(np.array([x])))[0])

    def grad(self, *x) -> np.ndarray:
        x0 = np.array(x, dtype=float)
        n = x0.size
        if not np.all(np.isfinite(x0)):
            return np.zeros(n)
        rows = np.repeat(x0[None, :], 2 * n + 1, axis=0)
        for i in range(n):
            rows[1 + 2 * i, i] += self.h[i]
            rows[2 + 2 * i, i] -= self.h[i]
        v = self._safe(self.lik.chi2(rows))
        self._last = (tuple(x), float(v[0]))
        return np.array([(v[1 + 2 * i] - v[2 + 2 * i]) / (2 * self.h[i]) for i in range(n)])


def _minuit(lik, start, bounds, fixed: dict[int, float] | None = None):
    from iminuit import Minuit

    names = list(lik.parameters)
    cost = _Cost(lik, bounds)
    m = Minuit(cost, *[float(s) for s in start], name=names, grad=cost.grad)
    m.errordef = Minuit.LEAST_SQUARES
    m.limits = [tuple(b) for b in bounds]
    m.errors = [0.05 * (b[1] - b[0]) for b in bounds]
    for k, v in (fixed or {}).items():
        m.values[k] = v
        m.fixed[k] = True
    m.migrad()
    return m


def best_fit(lik, config, state: _State | None = None) -> dict[str, Any]:
    """MIGRAD from every start, HESSE and MINOS (68% and 95%) at the best one."""
    from lqmodel.fit.config import random_starts

    if state is not None and (hit := state.read_json("best_fit.json")) is not None:
        return hit
    bounds = [(p.low, p.high) for p in config.parameters]
    starts = random_starts(config)
    # plus the best of a batched random scan of the box (one likelihood call of _SCAN_POINTS points)
    cfg_scan = (config.replace(starts=_SCAN_POINTS, seed=config.seed + 1)
                if not isinstance(config.starts, list) else None)
    if cfg_scan is not None:
        scan = random_starts(cfg_scan)
        vals = lik.chi2(scan)
        starts = np.vstack([starts, scan[int(np.nanargmin(vals))]])
    runs = []
    best = None
    for s in starts:
        m = _minuit(lik, s, bounds)
        runs.append({"start": [float(x) for x in s], "fval": float(m.fval), "valid": bool(m.valid),
                     "values": [float(v) for v in m.values], "nfcn": int(m.nfcn)})
        if best is None or (m.valid, -m.fval) > (best.valid, -best.fval):
            best = m
    assert best is not None, "random_starts returns at least one start"
    best.tol = 0.01  # polish the winner (EDM < 2e-5): flat valleys stop the default tolerance early
    best.migrad()
    best.tol = 0.1  # MINOS at the default tolerance (its crossings are found to ~1e-3 in Delta chi2)
    best.hesse()
    names = list(lik.parameters)
    intervals: dict[str, dict[str, Any]] = {n: {} for n in names}
    minos_ok = True
    for label, cl in (("68", CL_68), ("95", 0.95)):
        try:
            best.minos(cl=cl)
        except RuntimeError:
            minos_ok = False
            continue
        for n in names:
            me = best.merrors[n]
            v = float(best.values[n])
            intervals[n][label] = [v + float(me.lower), v + float(me.upper)]
            intervals[n][f"{label}_at_limit"] = bool(me.at_lower_limit or me.at_upper_limit)
            intervals[n][f"{label}_valid"] = bool(me.is_valid)
            minos_ok &= bool(me.is_valid) or bool(me.at_lower_limit or me.at_upper_limit)
    out = {
        "best_fit": {n: float(best.values[n]) for n in names},
        "errors": {n: float(best.errors[n]) for n in names},
        "chi2_min": float(best.fval),
        "valid": bool(best.valid),
        "accurate_covariance": bool(best.accurate),
        "minos_valid": bool(minos_ok),
        "intervals": intervals,
        "starts": runs,
        "covariance": np.asarray(best.covariance, dtype=float).tolist() if best.covariance is not None else None,
    }
    if state is not None:
        state.write_json("best_fit.json", out)
    return out


# -------------------------------------------------------------------------------------- profiles
def _axis(p, n: int) -> np.ndarray:
    if p.scale == "log":
        return np.logspace(math.log10(p.low), math.log10(p.high), n)
    return np.linspace(p.low, p.high, n)


def _profile_points(lik, config, fixed_idx: list[int], grid_rows: np.ndarray, start: np.ndarray,
                    state: _State | None, name: str, order: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """chi2 profiled over the non-fixed parameters at each row of ``grid_rows`` (values of ``fixed_idx``),
    in ``order`` (warm starts from the previous row); rows saved to ``state`` as they are computed."""
    n_par = len(lik.parameters)
    n = len(grid_rows)
    prof = np.full(n, np.nan)
    at = np.full((n, n_par), np.nan)
    hit = state.read_npz(name) if state is not None else None
    if hit is not None and hit["chi2"].shape == (n,) and np.array_equal(hit["grid"], grid_rows):
        prof, at = hit["chi2"].copy(), hit["at"].copy()
    if len(fixed_idx) == n_par:  # nothing to profile: one batched call
        todo = np.isnan(prof)
        if todo.any():
            prof[todo] = lik.chi2(grid_rows[todo])
            at[todo] = grid_rows[todo]
            if state is not None:
                state.write_npz(name, {"grid": grid_rows, "chi2": prof, "at": at})
        return prof, at
    bounds = [(p.low, p.high) for p in config.parameters]
    free = [k for k in range(n_par) if k not in fixed_idx]
    x = np.array(start, dtype=float)
    last_save = time.perf_counter()
    for i in order:
        if not np.isnan(prof[i]):
            x = at[i].copy()
            continue
        fixed = {k: float(grid_rows[i, j]) for j, k in enumerate(fixed_idx)}
        s = x.copy()
        for k, v in fixed.items():
            s[k] = v
        if len(free) <= 2:
            # one batched scan of the remaining parameters: the best scan point (or the warm start, if
            # lower) starts MIGRAD, which guards against a neighbouring local minimum
            axes = [_axis(config.parameters[k], _PRESCAN[len(free)]) for k in free]
            mesh = np.meshgrid(*axes, indexing="ij")
            trial = np.repeat(s[None, :], mesh[0].size + 1, axis=0)
            for a, k in enumerate(free):
                trial[1:, k] = mesh[a].ravel()
            vals = lik.chi2(trial)
            s = trial[int(np.nanargmin(vals))].copy()
        m = _minuit(lik, s, bounds, fixed)
        prof[i] = float(m.fval)
        at[i] = np.array(m.values, dtype=float)
        x = at[i].copy()
        if state is not None and time.perf_counter() - last_save > 2.0:
            state.write_npz(name, {"grid": grid_rows, "chi2": prof, "at": at})
            last_save = time.perf_counter()
    if state is not None:
        state.write_npz(name, {"grid": grid_rows, "chi2": prof, "at": at})
    return prof, at


def profile_1d(lik, config, name: str, bf: dict, state: _State | None = None) -> dict[str, Any]:
    """1-D profile of parameter ``name`` (grid of ``profiles.n`` points over its range)."""
    names = list(lik.parameters)
    k = names.index(name)
    grid = _axis(config.parameters[k], config.profiles["n"])
    xbest = np.array([bf["best_fit"][n] for n in names])
    i0 = int(np.argmin(np.abs(grid - xbest[k])))
    order = list(range(i0, len(grid))) + list(range(i0 - 1, -1, -1))
    prof, at = _profile_points(lik, config, [k], grid[:, None], xbest, state, f"profile1d_{k}.npz", order)
    return {"parameter": name, "grid": grid, "chi2": prof, "at": at}


def profile_2d(lik, config, pair: list[str], bf: dict, state: _State | None = None) -> dict[str, Any]:
    """2-D profile in the parameters ``pair`` (``profiles.n_2d`` points per axis)."""
    names = list(lik.parameters)
    i, j = names.index(pair[0]), names.index(pair[1])
    n2 = config.profiles["n_2d"]
    gx, gy = _axis(config.parameters[i], n2), _axis(config.parameters[j], n2)
    X, Y = np.meshgrid(gx, gy, indexing="ij")
    rows = np.column_stack([X.ravel(), Y.ravel()])
    xbest = np.array([bf["best_fit"][n] for n in names])
    if len(names) == 2 and (i, j) == (1, 0):
        rows_full = rows[:, ::-1]
        fixed = [0, 1]
    else:
        rows_full = rows
        fixed = [i, j]
    # snake order keeps warm starts next to each other
    order = [a * n2 + (b if a % 2 == 0 else n2 - 1 - b) for a in range(n2) for b in range(n2)]
    prof, at = _profile_points(lik, config, fixed, rows_full, xbest, state, f"profile2d_{i}_{j}.npz", order)
    return {"parameters": list(pair), "x": gx, "y": gy, "chi2": prof.reshape(n2, n2), "at": at}


def intervals_from_profile(grid: np.ndarray, dchi2: np.ndarray, threshold: float) -> list[list[float]]:
    """Segments of ``grid`` where the 1-D profile ``dchi2`` <= ``threshold`` (ends by linear interpolation
    between grid points; a segment touching the grid's end is closed there)."""
    ok = dchi2 <= threshold
    segs = []
    k = 0
    n = len(grid)
    while k < n:
        if not ok[k]:
            k += 1
            continue
        a = k
        while k + 1 < n and ok[k + 1]:
            k += 1
        b = k
        lo = (grid[a] if a == 0 else
              grid[a - 1] + (threshold - dchi2[a - 1]) * (grid[a] - grid[a - 1]) / (dchi2[a] - dchi2[a - 1]))
        hi = (grid[b] if b == n - 1 else
              grid[b] + (threshold - dchi2[b]) * (grid[b + 1] - grid[b]) / (dchi2[b + 1] - dchi2[b]))
        segs.append([float(lo), float(hi)])
        k += 1
    return segs


# -------------------------------------------------------------------------------------- sampling
def _log_prior(config):
    pars = config.parameters
    lo = np.array([p.low for p in pars])
    hi = np.array([p.high for p in pars])
    kinds = [config.priors[p.name] for p in pars]

    def lp(theta: np.ndarray) -> np.ndarray:
        inside = np.all((theta >= lo) & (theta <= hi), axis=1)
        out = np.where(inside, 0.0, -np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            for k, pr in enumerate(kinds):
                if pr["kind"] == "log_uniform":
                    out = out - np.log(np.where(theta[:, k] > 0, theta[:, k], np.nan))
                elif pr["kind"] == "gaussian":
                    out = out - 0.5 * ((theta[:, k] - pr["mean"]) / pr["sigma"]) ** 2
        return np.where(inside, out, -np.inf)

    return lp


class _LogPosterior:
    def __init__(self, lik, config):
        self.lik = lik
        self.lp = _log_prior(config)

    def __call__(self, theta):
        theta = np.atleast_2d(theta)
        out = self.lp(theta)
        ok = np.isfinite(out)
        if ok.any():
            out[ok] = out[ok] - 0.5 * self.lik.chi2(theta[ok])
        return out


def _moves():
    """emcee proposal mix: differential-evolution moves (80% DEMove, 20% DESnookerMove; emcee's
    documentation recommends this mix for posteriors with bounded, flat or curved directions, where the
    default stretch move mixes slowly)."""
    import emcee

    return [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]


def sample(lik, config, bf: dict, state: _State | None = None, echo=None) -> dict[str, Any]:
    """emcee sampling (module docstring), checkpointed every ``sampling.checkpoint`` steps."""
    import emcee

    s = config.sampling
    nw, nd = s["walkers"], len(lik.parameters)
    post = _LogPosterior(lik, config)
    rs = np.random.RandomState(config.seed)
    hit = state.read_npz("emcee_state.npz") if state is not None else None
    # RandomState.set_state's argument: the legacy tuple (read back, or emcee's) or, as numpy's stubs
    # type get_state(), the dict form
    random_state: tuple[str, Any, int, int, float] | dict[str, Any]
    if hit is not None and hit["chain"].shape[1:] == (nw, nd):
        chain, logp = list(hit["chain"]), list(hit["log_prob"])
        coords, last_lp = hit["coords"], hit["last_log_prob"]
        accepted = hit["accepted"]
        random_state = ("MT19937", hit["rs_key"], int(hit["rs_pos"]), int(hit["rs_has_gauss"]), float(hit["rs_gauss"]))
    else:
        chain, logp = [], []
        x0 = np.array([bf["best_fit"][n] for n in lik.parameters])
        width = np.array([1e-3 * (p.high - p.low) for p in config.parameters])
        lo = np.array([p.low for p in config.parameters])
        hi = np.array([p.high for p in config.parameters])
        coords = np.clip(x0 + width * rs.standard_normal((nw, nd)), lo, hi)
        last_lp = post(coords)
        accepted = np.zeros(nw)
        random_state = rs.get_state()
    done = len(chain)
    while done < s["steps"]:
        n = min(s["checkpoint"], s["steps"] - done)
        sampler = emcee.EnsembleSampler(nw, nd, post, vectorize=True, moves=_moves())
        st = emcee.State(coords, log_prob=last_lp, random_state=random_state)
        sampler.run_mcmc(st, n, progress=False)
        chain += list(sampler.get_chain())
        logp += list(sampler.get_log_prob())
        accepted = accepted + sampler.backend.accepted
        coords = sampler.get_last_sample().coords
        last_lp = sampler.get_last_sample().log_prob
        random_state = last_rs = sampler.random_state  # emcee: the RandomState's legacy tuple
        done = len(chain)
        if state is not None:
            key, pos, has_gauss, gauss = last_rs[1], last_rs[2], last_rs[3], last_rs[4]
            state.write_npz("emcee_state.npz", {
                "chain": np.array(chain), "log_prob": np.array(logp), "coords": coords, "last_log_prob": last_lp,
                "accepted": accepted, "rs_key": np.asarray(key), "rs_pos": np.array(pos),
                "rs_has_gauss": np.array(has_gauss), "rs_gauss": np.array(gauss)})
        if echo is not None:
            echo(f"  emcee: {done}/{s['steps']} steps")
    chain_a = np.array(chain)  # (steps, walkers, dim)
    logp_a = np.array(logp)
    burn, thin = s["burn"], s["thin"]
    kept = chain_a[burn::thin]
    tau = emcee.autocorr.integrated_time(chain_a[burn:], c=5, tol=0, quiet=True)
    acc = accepted / len(chain_a)
    warnings_: list[str] = []
    n_after = len(chain_a) - burn
    tau_max = float(np.max(tau))
    failed = not np.isfinite(tau_max) or n_after < 20 * tau_max
    if failed or n_after < 50 * tau_max:
        warnings_.append(f"emcee chain {'too short' if failed else 'short'}: {n_after} steps after burn-in = "
                         f"{n_after / tau_max:.0f} x the autocorrelation time (max tau = {tau_max:.1f} steps; "
                         "50 x is emcee's conservative guidance, below 20 x the chain counts as not converged)")
    mean_acc = float(np.mean(acc))
    if not 0.15 <= mean_acc <= 0.7:
        failed = True
        warnings_.append(f"emcee acceptance fraction {mean_acc:.2f} is outside [0.15, 0.7]")
    flat = kept.reshape(-1, nd)
    return {"samples": flat, "log_prob": logp_a[burn::thin].reshape(-1), "tau": tau.tolist(),
            "acceptance_fraction": mean_acc, "n_steps": len(chain_a), "burn": burn, "thin": thin,
            "walkers": nw, "warnings": warnings_, "converged": not failed}


# ---------------------------------------------------------------------------------- whole run
@dataclass
class FitResult:
    """What :func:`run_fit` computed (JSON-ready ``summary`` plus the arrays)."""

    summary: dict
    profiles_1d: list
    profiles_2d: list
    sampling: dict | None


def _summary_intervals(bf, prof1):
    """Contract intervals: MINOS where valid, otherwise the 1-D profile's crossing around the best fit."""
    out = {}
    by_name = {p["parameter"]: p for p in prof1}
    for n, v in bf["intervals"].items():
        entry = {}
        for label in ("68", "95"):
            if (label in v and v.get(f"{label}_valid", False)) or v.get(f"{label}_at_limit", False):
                entry[label] = v[label]
            elif n in by_name:
                p = by_name[n]
                x = bf["best_fit"][n]
                # the best fit itself is a point of the profile (a coarse grid may straddle a steep wall)
                g = np.append(p["grid"], x)
                c = np.append(p["chi2"], bf["chi2_min"])
                o = np.argsort(g, kind="stable")
                segs = intervals_from_profile(g[o], c[o] - bf["chi2_min"], THRESHOLDS[1][label])
                seg = next((s for s in segs if s[0] <= x <= s[1]), segs[0] if segs else [x, x])
                entry[label] = seg
            else:
                entry[label] = v.get(label)
        out[n] = entry
    return out


def run_fit(config, out: str | Path | None = None, *, echo=None, plot: bool = True,
            likelihood=None, fast: bool = True) -> dict[str, Any]:
    """Run the whole fit of ``config`` (best fit, profiles, sampling, plots) into the folder ``out``
    (None: nothing written, no resume). Returns the JSON summary (the ``--json`` output).
    ``likelihood``: a ready :class:`~lqmodel.fit.likelihood.CombinedLikelihood` (e.g. with pseudo-data);
    default: built from the config. ``fast``: evaluate it through the checked fixed-mass fast path of
    :mod:`lqmodel.fit.prepared` where that applies (the same numbers; False: the full pipeline per call;
    with a free leptoquark mass the full pipeline is used either way)."""
    from lqmodel.evaluate import resolve_base
    from lqmodel.fit.likelihood import CombinedLikelihood, build_terms
    from lqmodel.scan.storage import FolderLock, package_versions

    t0 = time.perf_counter()
    base = resolve_base(config.base)
    _check_ranges(config, base)
    lik = likelihood or CombinedLikelihood(base, config.names, build_terms(config.likelihood),
                                           y1_over_y2=config.y1_over_y2)
    if isinstance(config.base, str):
        from lqmodel.benchmarks import info

        config = config.replace(base=dict(info(config.base).point_spec))
    chi2_sm = lik.chi2_sm()  # every term evaluated once, before any folder exists (bad options fail here)
    t_prep = time.perf_counter()
    lows, highs = [p.low for p in config.parameters], [p.high for p in config.parameters]
    if fast:
        from lqmodel.fit.prepared import prepare

        lik = prepare(lik, lows, highs)  # free masses: the full likelihood, its node surrogates warmed
    elif hasattr(lik, "warm"):
        lik.warm(lows, highs)  # free masses: the surrogates on the lattice nodes of the mass range, once
    t_prep = time.perf_counter() - t_prep
    versions = dict(package_versions())
    fp = config.fingerprint({"likelihood": lik.spec(), "versions": versions})
    files: dict[str, str] = {}
    lock = None
    if out is not None:
        out = Path(out)
        man = out / "manifest.json"
        if out.exists() and any(out.iterdir()) and not man.exists():
            raise FitFolderError(
                f"{str(out)!r} is not empty and holds no fit (no manifest.json); use another --out folder")
        if man.exists():
            try:
                old = json.loads(man.read_text())
            except ValueError:
                raise FitFolderError(f"{str(man)!r} is damaged; use another --out folder") from None
            if old.get("kind") != "lqmodel fit":
                raise FitFolderError(f"{str(out)!r} holds something else than a fit ({old.get('kind', 'a scan')}); "
                                     "use another --out folder")
            if old.get("fingerprint") != fp:
                raise FitFolderError(f"{str(out)!r} holds a different fit (other config, likelihood or package "
                                     "versions); use another --out folder or delete it")
        out.mkdir(parents=True, exist_ok=True)
        lock = FolderLock(out).acquire()
    try:
        state = _State(out, fp) if out is not None else None
        if out is not None:
            _write_text(out / "config.yaml", _yaml(config.to_dict()))
            _write_manifest(out, {"kind": "lqmodel fit", "fingerprint": fp, "versions": versions,
                                  "status": "running"})
        timing = {"prepare": t_prep}
        t = time.perf_counter()
        bf = best_fit(lik, config, state)
        timing["best_fit"] = time.perf_counter() - t
        if echo:
            echo(f"lqmodel fit: best fit chi2 = {bf['chi2_min']:.3f} (SM {chi2_sm:.3f}) in {timing['best_fit']:.1f} s")
        t = time.perf_counter()
        prof1 = [profile_1d(lik, config, n, bf, state) for n in config.profiles["one_d"]]
        prof2 = [profile_2d(lik, config, pr, bf, state) for pr in config.profiles["two_d"]]
        timing["profiles"] = time.perf_counter() - t
        # the global minimum is the lowest value found anywhere (a profile can find a deeper one)
        lowest = min([bf["chi2_min"]] + [float(np.nanmin(p["chi2"])) for p in prof1 + prof2])
        warnings_: list[str] = []
        if lowest < bf["chi2_min"] - 1e-3:
            warnings_.append(f"a profile found chi2 = {lowest:.4f} below the best fit's {bf['chi2_min']:.4f}: "
                             "the minimiser missed the global minimum; add starts")
        t = time.perf_counter()
        samp = sample(lik, config, bf, state, echo=echo) if config.sampling else None
        timing["sampling"] = time.perf_counter() - t
        if samp:
            warnings_ += samp["warnings"]
        bf_terms = lik.evaluate(np.array([[bf["best_fit"][n] for n in config.names]]))
        converged = (bool(bf["valid"]) and not any("missed" in w for w in warnings_)
                     and (samp is None or samp["converged"]))
        summary: dict[str, Any] = {
            "best_fit": bf["best_fit"],
            "errors_hesse": bf["errors"],
            "chi2_min": bf["chi2_min"],
            "chi2_sm": chi2_sm,
            "delta_chi2_sm": chi2_sm - bf["chi2_min"],
            "chi2_terms_best_fit": {k: float(v[0]) for k, v in bf_terms.items()},
            "chi2_terms_sm": lik.sm_terms(),
            "intervals": _summary_intervals(bf, prof1),
            "interval_method": "MINOS (profile likelihood, Delta chi2 = 1.00 for 68%, 3.84 for 95%, one parameter); "
                               "the 1-D profile's crossing where MINOS failed",
            "thresholds": {"1d": THRESHOLDS[1], "2d": THRESHOLDS[2]},
            "profile_intervals_1d": {
                p["parameter"]: {lab: intervals_from_profile(p["grid"], p["chi2"] - bf["chi2_min"], thr)
                                 for lab, thr in THRESHOLDS[1].items()} for p in prof1},
            "converged": converged,
            "minimizer": {"valid": bf["valid"], "accurate_covariance": bf["accurate_covariance"],
                          "minos_valid": bf["minos_valid"], "starts": bf["starts"]},
            "warnings": warnings_,
            "likelihood": lik.spec(),
        }
        if samp:
            summary["sampling"] = {k: samp[k] for k in ("tau", "acceptance_fraction", "n_steps", "burn", "thin",
                                                        "walkers", "converged")}
            mean = np.mean(samp["samples"], axis=0).tolist()
            summary["sampling"]["posterior_mean"] = dict(zip(config.names, mean, strict=True))
            summary["sampling"]["credible_68"] = {n: np.quantile(samp["samples"][:, k], [0.158655, 0.841345]).tolist()
                                                  for k, n in enumerate(config.names)}
        if out is not None:
            arrays = {}
            for p in prof1:
                arrays[f"p1_{p['parameter']}_grid"] = p["grid"]
                arrays[f"p1_{p['parameter']}_chi2"] = p["chi2"]
            for p in prof2:
                tag = f"{p['parameters'][0]}__{p['parameters'][1]}"
                arrays[f"p2_{tag}_x"], arrays[f"p2_{tag}_y"], arrays[f"p2_{tag}_chi2"] = p["x"], p["y"], p["chi2"]
            _save_npz(out / "profiles.npz", arrays)
            files["profiles"] = str(out / "profiles.npz")
            if samp:
                _save_npz(out / "samples.npz", {"samples": samp["samples"], "log_prob": samp["log_prob"],
                                                "parameters": np.array(config.names)})
                files["samples"] = str(out / "samples.npz")
            if plot:
                from lqmodel.fit.plots import plot_all

                files.update(plot_all(out, config, base, bf, prof1, prof2, samp))
            files["summary"] = str(out / "fit.json")
            files["config"] = str(out / "config.yaml")
            files["manifest"] = str(out / "manifest.json")
            summary["files"] = files
            timing["total"] = time.perf_counter() - t0
            summary["timing_s"] = {k: round(v, 3) for k, v in timing.items()}
            _write_text(out / "fit.json", json.dumps(summary, indent=1, default=_json_default))
            _write_manifest(out, {"kind": "lqmodel fit", "fingerprint": fp, "versions": versions,
                                  "status": "complete", "timing_s": summary["timing_s"], "files": files})
        else:
            summary["files"] = {}
            summary["timing_s"] = {k: round(v, 3) for k, v in {**timing, "total": time.perf_counter() - t0}.items()}
        summary["_arrays"] = FitResult(summary, prof1, prof2, samp)
        return summary
    finally:
        if lock is not None:
            lock.release()


def _check_ranges(config, base) -> None:
    """The corners of the free-parameter box must be valid points, and the leptoquark masses the parameters
    move must stay where the collider terms are defined (:func:`lqmodel.fit.config.check_mass_ranges`;
    a bad range fails before any work)."""
    from lqmodel.fit.config import FitConfigError, check_mass_ranges
    from lqmodel.scan.config import check_box_corners

    check_box_corners(base, {p.name: (p.low, p.high) for p in config.parameters}, config.y1_over_y2,
                      FitConfigError, "the parameter ranges")
    check_mass_ranges(config, base)


def _json_default(o):
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, FitResult):
        return None
    raise TypeError(type(o).__name__)


def _yaml(d) -> str:
    import yaml

    return yaml.safe_dump(d, sort_keys=False, allow_unicode=True)


def _write_text(path: Path, text: str) -> None:
    from lqmodel.atomic import write_bytes_atomic

    write_bytes_atomic(path, text.encode("utf-8"))


def _write_manifest(out: Path, data: dict) -> None:
    data = dict(data)
    data["written"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _write_text(out / "manifest.json", json.dumps(data, indent=1, default=_json_default))


def _save_npz(path: Path, arrays: dict) -> None:
    from lqmodel.atomic import atomic_path

    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
