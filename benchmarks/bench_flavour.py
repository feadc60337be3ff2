"""Benchmark of the flavour path: direct flavio calls versus the exact surrogates, on the same points.

Run: ``python benchmarks/bench_flavour.py [--points 1000000] [--direct 20]``. In one run it

1. builds (or loads from the cache) the surrogates of all registered observables at 1 TeV for a realistic
   set of 17 WET coefficients (what a leptoquark point produces);
2. draws random complex coefficients; times direct flavio predictions of the full observable vector on
   the first ``--direct`` points and the surrogate (full vector + chi^2) on all ``--points`` points;
3. reports the agreement surrogate vs flavio on the direct points and flavio's own integration spread
   (default tolerance vs 100x tighter, same points) for the numerically integrated observables; the chi^2
   includes flavio's SM theory covariance (computed once, cached).

Prints a table and writes ``benchmarks/output/bench_flavour.json``. Nothing here is a test.

``--any-masses``: instead, the any-mass path (:class:`observables.surrogate.InterpolatedSurrogate`, what
``lqmodel.flavour.predict`` uses for random / Latin-hypercube masses): for a few coefficient sets (the
fastest-running scalar and tensor b -> c tau nu coefficients, a dipole, C_9, a SMEFT coefficient) random
masses log-uniform in ``--m-min``..``--m-max`` GeV, random couplings; max relative difference of the
interpolated surrogate against default flavio and flavio's own integration spread on ``--direct`` points,
and the throughput of the interpolated surrogate against the single-mass surrogate on ``--points`` points.
Writes ``benchmarks/output/bench_flavour_any_masses.json``.

``--floor``: the flavour path of a coupling map against its **numpy floor**, at ``--sizes`` points (default
10^4, 10^5, 10^6), for one leptoquark mass and for ``--masses`` (default 100) masses log-spaced in 1-5 TeV
on the interpolated surrogates (grid order: the mass varies slowest, as in the built-in maps). The points
are the built-in default map's (benchmark BP2, the Voloshin pair, y1 = y2, ``y1y2`` log-spaced in
1e-3..3).

* **full path**: what :class:`lqmodel.evaluate.PointEvaluator` does per sub-batch of
  :data:`lqmodel.evaluate.SUB_BATCH` points for the flavour columns: :func:`lqmodel.flavour.predict` of every
  registered observable (WET matching :func:`lqmodel.matching.match`, SMEFT matching, the surrogates, the
  N_R parity images) plus :func:`lqmodel.flavour.chi2` of the predictions (warm in-process caches: the
  surrogates and SM covariances are read once beforehand).
* **numpy floor**: the minimal numpy cost of evaluating the same observables from the Wilson coefficients
  already in arrays: for each observable, its real variables that are non-zero somewhere in the batch (the
  parity images as further variables of the same form) as one ``(a, n)`` float array built beforehand, and
  each of its quadratic forms evaluated as ``c + g @ X + einsum("in,in->n", Q @ X, X)`` on those variables
  only (one matmul + one einsum per form; a form without variables is a constant), numerator / denominator
  divided, sqrt forms rooted. The coefficients are those of the 1 TeV lattice node's surrogate; the same floor is
  used for the interpolated masses (interpolating the forms is per-mass work, not per-point work: no
  any-mass evaluation can do less per point than one form evaluation), so the 100-mass ratio includes the
  cost of the interpolation. No matching, no chi^2 in this floor.
* **complete floor**: the numpy floor above plus lower bounds of the two other parts of the full path: the
  matching writes each real coefficient row the surrogates read (WET, N_R, SMEFT; non-zero somewhere in the
  batch) at least once — timed as one multiply per row of a coupling row — and the chi^2 of the same plan as
  :func:`observables.likelihood.chi2` (per constraint the residual rows R, the contributions R * (C^-1 R) and
  the total; the upper limits' clipping left out).

The repetitions alternate full path and floors (best of each): the machine's load moves between runs.
Prints ns/point of the full path, of both floors and the two ratios; writes
``benchmarks/output/bench_flavour_floor.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

SCALE = 1000.0
WCS = {
    "bctaunu": ["CVL_bctaunutau", "CSL_bctaunutau", "CT_bctaunutau", "CSL_bctaunumu", "CT_bctaunumu", "CVL_bcmunumu"],
    "bsll": ["C9_bsmumu", "C10_bsmumu"],
    "dipole": ["C7_mumu", "Cgamma_taumu", "Cgamma_mutau"],
    "bsnunu": ["CL_bsnumunumu", "CL_bsnutaunutau", "CL_bsnumunutau"],
    "mixing": ["CVLL_bsbs"],
    "butaunu": ["CVL_butaunutau", "CSL_butaunutau"],
}
#: typical magnitudes of the random coefficients (units of the WCxf basis)
SIZES = {"C7_mumu": 20.0, "Cgamma_taumu": 1e-9, "Cgamma_mutau": 1e-9, "CVLL_bsbs": 5e-12,
         "C9_bsmumu": 0.3, "C10_bsmumu": 0.3}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--direct", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--any-masses", action="store_true", help="benchmark the any-mass (interpolated) path instead")
    ap.add_argument("--m-min", type=float, default=1222.8445449938517)
    ap.add_argument("--m-max", type=float, default=1495.3487812212204)
    ap.add_argument("--floor", action="store_true", help="the map's flavour path against its numpy floor")
    ap.add_argument("--sizes", type=str, default="1e4,1e5,1e6", help="numbers of points of --floor")
    ap.add_argument("--masses", type=int, default=100, help="interpolated masses of --floor")
    ap.add_argument("--repeat", type=int, default=5, help="timing repetitions of --floor (alternating, best taken)")
    args = ap.parse_args()
    if args.any_masses:
        return any_masses(args)
    if args.floor:
        return floor(args)

    from observables import flavio_backend as fb
    from observables.likelihood import chi2
    from observables.registry import OBSERVABLES
    from observables.surrogate import get_surrogate

    all_wcs = [w for ws in WCS.values() for w in ws]
    t0 = time.perf_counter()
    fb._import_flavio()
    t_import = time.perf_counter() - t0

    sur, build = {}, {}
    for name, spec in OBSERVABLES.items():
        wanted = [w for w in spec.wc_names if w in all_wcs]
        t = time.perf_counter()
        sur[name] = get_surrogate(name, SCALE, wanted)
        build[name] = {"seconds": sur[name].info["build_seconds"], "load_seconds": time.perf_counter() - t,
                       "flavio_calls": sur[name].info["n_flavio_calls"], "n_wc": len(wanted)}

    # flavio's SM theory covariance for the chi^2 (one-off, cached on disk)
    from observables.likelihood import THEORY_SAMPLES, theory_covariance
    from observables.measurements import load

    t = time.perf_counter()
    for c in load().constraints:
        if c.theory == "flavio":
            theory_covariance(c.observables)
    t_theory = time.perf_counter() - t

    rng = np.random.default_rng(args.seed)
    n = args.points
    wc = {w: (rng.normal(0, SIZES.get(w, 0.1), n) + 1j * rng.normal(0, SIZES.get(w, 0.1), n)) for w in all_wcs}

    # --- surrogate: full vector + chi^2 on all points -------------------------------------------------
    t = time.perf_counter()
    preds = {name: s({k: wc[k] for k in s.wc_names}) for name, s in sur.items()}
    total = chi2(preds)["total"]
    t_sur = time.perf_counter() - t
    assert total.shape == (n,)

    # --- direct flavio on the first points ----------------------------------------------------------------
    nd = args.direct
    direct = {name: np.empty(nd) for name in OBSERVABLES}
    t = time.perf_counter()
    for i in range(nd):
        point = {k: complex(v[i]) for k, v in wc.items()}
        for name, s in sur.items():
            direct[name][i] = fb.np_prediction(name, {k: point[k] for k in s.wc_names}, SCALE)
    t_dir = time.perf_counter() - t

    # --- agreement and flavio's own integration spread -------------------------------------------------
    rows = {}
    for name, spec in OBSERVABLES.items():
        d, s = direct[name], preds[name][:nd]
        scale = np.maximum(np.abs(d), 1e-300)
        err = float(np.max(np.abs(s - d) / scale))
        spread, err_tight = 0.0, float("nan")
        if spec.integrated:
            tight = np.empty(nd)
            with fb.integration_tolerance(0.01):
                for i in range(nd):
                    point = {k: complex(wc[k][i]) for k in sur[name].wc_names}
                    tight[i] = fb.np_prediction(name, point, SCALE)
            spread = float(np.max(np.abs(d - tight) / np.abs(tight)))
            err_tight = float(np.max(np.abs(s - tight) / np.abs(tight)))
        rows[name] = {"max_rel_diff_surrogate_vs_flavio": err, "max_rel_diff_surrogate_vs_flavio_tight": err_tight,
                      "flavio_integration_spread": spread, "integrated": spec.integrated, **build[name]}

    per_point_direct = t_dir / nd
    per_point_sur = t_sur / n
    result = {
        "scale_GeV": SCALE, "n_wilson_coefficients": len(all_wcs), "n_observables": len(OBSERVABLES),
        "flavio_import_seconds": t_import, "theory_covariance_seconds": t_theory, "theory_samples": THEORY_SAMPLES,
        "direct_points": nd, "direct_seconds": t_dir, "direct_points_per_second": 1 / per_point_direct,
        "surrogate_points": n, "surrogate_seconds_vector_plus_chi2": t_sur,
        "surrogate_points_per_second": 1 / per_point_sur,
        "speedup": per_point_direct / per_point_sur,
        "observables": rows, "cpu_count": os.cpu_count(),
    }
    print(f"flavio import {t_import:.1f} s; {len(all_wcs)} WCs at {SCALE:g} GeV; {len(OBSERVABLES)} observables")
    print(f"direct flavio : {nd} points in {t_dir:.1f} s  -> {1 / per_point_direct:.3g} points/s (full vector)")
    print(f"surrogate     : {n} points in {t_sur:.2f} s -> {1 / per_point_sur:.3g} points/s (full vector + chi2)")
    print(f"speed-up      : {result['speedup']:.3g}")
    print(f"flavio SM theory covariance ({THEORY_SAMPLES} samples, one-off, cached): {t_theory:.1f} s")
    print("relative differences, max over the direct points; 'flavio spread' = |flavio default - flavio with")
    print("100x tighter integration| / flavio tight; 'vs tight' = surrogate against the tighter flavio")
    print(f"{'observable':20s} {'sur vs flavio':>14s} {'flavio spread':>14s} {'sur vs tight':>13s} "
          f"{'build s':>8s} {'calls':>6s}")
    for name, r in rows.items():
        sp = f"{r['flavio_integration_spread']:.2e}" if r["integrated"] else "exact"
        vt = f"{r['max_rel_diff_surrogate_vs_flavio_tight']:.2e}" if r["integrated"] else "-"
        print(f"{name:20s} {r['max_rel_diff_surrogate_vs_flavio']:14.2e} {sp:>14s} {vt:>13s} "
              f"{r['seconds']:8.1f} {r['flavio_calls']:6d}")
    out = Path(__file__).resolve().parent / "output"
    out.mkdir(exist_ok=True)
    (out / "bench_flavour.json").write_text(json.dumps(result, indent=2))
    print(f"written {out / 'bench_flavour.json'}")


#: (observable, coefficients, typical size) of the any-mass benchmark
ANY_MASS_CASES = [
    ("R_D", ["CVL_bctaunutau", "CSL_bctaunutau", "CT_bctaunutau"], 0.2),
    ("R_Dstar", ["CVL_bctaunutau", "CSL_bctaunutau", "CT_bctaunutau"], 0.2),
    ("BR_Bc_taunu", ["CVL_bctaunutau", "CSL_bctaunutau"], 0.2),
    ("BR_tau_mugamma", ["Cgamma_taumu"], 1e-3),
    ("Delta_a_mu", ["C7_mumu"], 20.0),
    ("R_K[1.1,6.0]", ["C9_bsmumu"], 0.3),
    ("BR_tau_mununu", ["lq3_2233"], 3e-7),
]


def any_masses(args) -> None:
    from observables import flavio_backend as fb
    from observables import surrogate as sg
    from observables.registry import get

    fb._import_flavio()
    rng = np.random.default_rng(args.seed)
    lo, hi = np.log10(args.m_min), np.log10(args.m_max)
    rows = {}
    for name, wcs, size in ANY_MASS_CASES:
        n = args.points
        masses = 10 ** rng.uniform(lo, hi, n)
        imag = 0.0 if get(name).basis == "SMEFT" else 1.0  # lq3_2233 is a real (hermitian-type) entry
        wc = {w: rng.normal(0, size, n) + 1j * imag * rng.normal(0, size, n) for w in wcs}
        t = time.perf_counter()
        s = sg.InterpolatedSurrogate(name, masses, wcs)
        t_nodes = time.perf_counter() - t
        t = time.perf_counter()
        vals = s(wc)
        t_interp = time.perf_counter() - t
        one = sg.get_surrogate(name, s.node_scales[0], wcs)
        t = time.perf_counter()
        one(wc)
        t_one = time.perf_counter() - t
        err, spread, err_tight = 0.0, 0.0, 0.0
        for i in range(args.direct):
            point = {k: complex(v[i]) for k, v in wc.items()}
            d = fb.np_prediction(name, point, float(masses[i]))
            tight = d
            if get(name).integrated:
                with fb.integration_tolerance(sg.TOLERANCE_FACTOR):
                    tight = fb.np_prediction(name, point, float(masses[i]))
            spread = max(spread, abs(d - tight) / abs(tight))
            err = max(err, abs(vals[i] - d) / abs(d))
            err_tight = max(err_tight, abs(vals[i] - tight) / abs(tight))
        rows[name] = {"wilson_coefficients": wcs, "nodes_GeV": s.node_scales, "node_seconds": t_nodes,
                      "max_rel_diff_vs_flavio": err, "flavio_integration_spread": spread,
                      "max_rel_diff_vs_flavio_tight": err_tight,
                      "interpolated_ns_per_point": 1e9 * t_interp / n, "single_mass_ns_per_point": 1e9 * t_one / n}
        print(f"{name:16s} nodes {len(s.node_scales)} ({t_nodes:6.1f} s)  vs flavio {err:9.2e}  flavio spread "
              f"{spread:9.2e}  vs tight {err_tight:9.2e}  interpolated {1e9 * t_interp / n:7.0f} ns/pt  "
              f"single mass {1e9 * t_one / n:7.0f} ns/pt")
    out = Path(__file__).resolve().parent / "output"
    out.mkdir(exist_ok=True)
    result = {"m_range_GeV": [args.m_min, args.m_max], "points": args.points, "direct_points": args.direct,
              "interpolation_error_bound": sg.INTERPOLATION_ERROR, "cases": rows, "cpu_count": os.cpu_count(),
              "load_average": os.getloadavg()}
    (out / "bench_flavour_any_masses.json").write_text(json.dumps(result, indent=2))
    print(f"written {out / 'bench_flavour_any_masses.json'}")


def _map_points(n: int, n_masses: int):
    """Base point and the (m_LQ, y1y2) assignments of ``n`` points of the default map's kind: ``n_masses``
    masses log-spaced in 1-5 TeV (one mass: 1.5 TeV), the mass slowest, ``y1y2`` fastest."""
    from lqmodel import benchmarks

    base = benchmarks.get("BP2")
    masses = np.geomspace(1000.0, 5000.0, n_masses) if n_masses > 1 else np.array([1500.0])
    per = -(-n // masses.size)
    m = np.repeat(masses, per)[:n]
    y = np.tile(np.geomspace(1e-3, 3.0, per), masses.size)[:n]
    return base, {"m_LQ": m, "y1": np.sqrt(y), "y2": np.sqrt(y)}


def _nonzero_real_columns(C: dict, wc_names, n: int):
    """(indices into the Re/Im variables of ``wc_names``, their values (a, n)) of the real parts non-zero
    somewhere in the batch."""
    idx, rows = [], []
    for k, nm in enumerate(wc_names):
        if nm in C:
            a = np.broadcast_to(np.asarray(C[nm]), (n,))
            for j, v in ((2 * k, a.real), (2 * k + 1, a.imag)):
                if np.any(v != 0):
                    idx.append(j)
                    rows.append(v)
    return np.asarray(idx, dtype=int), np.array(rows, dtype=float).reshape(len(rows), n)


def _floor_inputs(points, names: list[str], masses: str):
    """Per observable: (form, [(c, g, Q) per quadratic form], X) on the real non-zero variables (+ images)."""
    from lqmodel.flavour import _IMAGES, parity_images
    from lqmodel.matching import match
    from lqmodel.smeft_matching import match_smeft
    from observables.registry import get
    from observables.surrogate import cached_surrogate

    specs = [get(nm) for nm in names]
    wet = [s for s in specs if s.basis != "SMEFT"]
    needed = set().union(*(s.wc_names for s in wet))
    needed |= {src for _, m in _IMAGES for src, dst in m.items() if dst in needed}
    parts = []
    for p in points:
        wc = match(p, names=needed)
        sm = match_smeft(p)
        imgs = parity_images(wc)
        n = int(np.prod(p.batch_shape))
        mu = 1000.0  # a lattice node (cached): the floor's cost does not depend on the coefficients' values
        rows = []
        for s in specs:
            vals = dict(sm.values) if s.basis == "SMEFT" else dict(wc.values)
            if s.basis != "SMEFT" and s.form not in ("linear", "sqrt_quadratic"):
                for img in imgs:
                    vals.update({k: v for k, v in img.items() if k not in vals or not np.any(vals[k] != 0)})
            C = {k: np.asarray(v).reshape(-1) for k, v in vals.items() if k in s.wc_names and np.any(v != 0)}
            variables = [w for w in s.wc_names if w in C]
            sur = cached_surrogate(s.name, mu, variables)
            cols, X = _nonzero_real_columns(C, sur.wc_names, n)
            forms = [sur.numerator] + ([sur.denominator] if sur.denominator is not None else [])
            coef = [(f.constant - (sur._offset if k == 0 else 0.0), np.ascontiguousarray(f.linear[cols]),
                     np.ascontiguousarray(f.quadratic[np.ix_(cols, cols)])) for k, f in enumerate(forms)]
            rows.append((s.form, coef, np.ascontiguousarray(X)))
        parts.append(rows)
    return parts


def _matching_floor_inputs(points, names: list[str]):
    """Per sub-batch: (the number of distinct real variable rows the forms of ``names`` read, a coupling row
    of the batch): the matching floor writes each distinct row once, as one multiply of that coupling row
    (a lower bound of any matching: every coefficient the surrogates read is at least written once)."""
    from lqmodel.flavour import _needed
    from lqmodel.matching import match
    from lqmodel.smeft_matching import match_smeft
    from observables.registry import get

    wet = _needed(tuple(nm for nm in names if get(nm).basis != "SMEFT"))
    out = []
    for p in points:
        wc, sm = match(p, names=wet), match_smeft(p)
        n = int(np.prod(p.batch_shape))
        rows = 0
        for d in (wc.values, wc.right_handed_nu, sm.values):
            for v in d.values():
                a = np.broadcast_to(np.asarray(v), (n,))
                rows += int(np.any(a.real != 0)) + int(np.any(a.imag != 0))
        base = np.ascontiguousarray(np.broadcast_to(np.asarray(p.y_LL).real.reshape(n, -1)[:, 0], (n,)) + 1.0)
        out.append((rows, base, np.empty((max(rows, 1), n))))
    return out


def _matching_floor_eval(inp) -> None:
    rows, base, X = inp
    for r in range(rows):
        np.multiply(base, 1.0 + r, out=X[r])


def _chi2_floor_inputs(names: list[str]):
    """The χ² plan of :func:`observables.likelihood.chi2` for predictions of ``names`` (the same constraints,
    rows and inverse covariances): [(indices into ``names``, measured values, inverse covariance)]."""
    from observables.likelihood import _chi2_plan, _theory_stamps

    present = frozenset(names)
    plan = _chi2_plan(None, present, True, _theory_stamps(None, present, True))
    return [([names.index(o) for o in obs], np.asarray(c.values, dtype=float)[sel][:, None], np.asarray(inv))
            for c, sel, obs, _, inv in plan]


def _chi2_floor_eval(plan, preds: dict[int, np.ndarray], n: int) -> np.ndarray:
    """The minimal numpy χ²: per constraint the residual rows R, their contributions R * (C^-1 R) (what
    :func:`lqmodel.flavour.chi2` returns per observable) and the total (upper limits' clipping left out)."""
    total = np.zeros(n)
    for idx, vals, inv in plan:
        R = np.stack([preds[i] for i in idx]) - vals
        contrib = R * (inv @ R)
        total += contrib.sum(axis=0)
    return total


def _floor_eval(rows) -> dict[int, np.ndarray]:
    out = {}
    for i, (form, coef, X) in enumerate(rows):
        vals = []
        for c, g, Q in coef:
            if g.size == 0:
                vals.append(np.full(X.shape[1], c))
            else:
                vals.append(c + g @ X + np.einsum("in,in->n", Q @ X, X))
        if form == "rational":
            out[i] = vals[0] / vals[1]
        elif form == "sqrt_quadratic":
            out[i] = np.sqrt(np.maximum(vals[0], 0.0))
        else:
            out[i] = vals[0]
    return out


def floor(args) -> None:
    from lqmodel.evaluate import SUB_BATCH
    from lqmodel.flavour import chi2, predict
    from lqmodel.point import vary
    from observables.registry import OBSERVABLES

    names = list(OBSERVABLES)
    sizes = [int(float(x)) for x in args.sizes.split(",")]
    rows = []
    for n_masses, masses in ((1, "auto"), (args.masses, "interpolated")):
        for n in sizes:
            base, a = _map_points(n, n_masses)
            points = [vary(base, {k: v[i:i + SUB_BATCH] for k, v in a.items()}) for i in range(0, n, SUB_BATCH)]
            # warm: surrogates of every node these points use, SM covariances
            for p in points[:1] + points[-1:]:
                chi2(predict(p, names, masses=masses))
            for p in points:
                predict(p, names, masses=masses)
            inputs = _floor_inputs(points, names, masses)
            m_inputs = _matching_floor_inputs(points, names)
            plan = _chi2_floor_inputs(names)
            t_full = t_floor = t_match = t_chi2 = np.inf
            for _ in range(args.repeat):  # alternating, best of each: the machine's load moves between runs
                t = time.perf_counter()
                for p in points:
                    chi2(predict(p, names, masses=masses))
                t_full = min(t_full, time.perf_counter() - t)
                t = time.perf_counter()
                preds = [_floor_eval(r) for r in inputs]
                t_floor = min(t_floor, time.perf_counter() - t)
                t = time.perf_counter()
                for m in m_inputs:
                    _matching_floor_eval(m)
                t_match = min(t_match, time.perf_counter() - t)
                t = time.perf_counter()
                for pr, p in zip(preds, points, strict=True):
                    _chi2_floor_eval(plan, pr, int(np.prod(p.batch_shape)))
                t_chi2 = min(t_chi2, time.perf_counter() - t)
            del inputs, points, m_inputs, preds
            t_complete = t_floor + t_match + t_chi2
            row = {"points": n, "masses": n_masses, "path": "exact" if n_masses == 1 else "interpolated",
                   "full_ns_per_point": 1e9 * t_full / n, "floor_ns_per_point": 1e9 * t_floor / n,
                   "ratio": t_full / t_floor,
                   "matching_floor_ns_per_point": 1e9 * t_match / n, "chi2_floor_ns_per_point": 1e9 * t_chi2 / n,
                   "complete_floor_ns_per_point": 1e9 * t_complete / n, "ratio_complete": t_full / t_complete}
            rows.append(row)
            print(f"{n:>8d} points, {n_masses:3d} mass(es) ({row['path']:12s}): full path "
                  f"{row['full_ns_per_point']:6.0f} ns/pt; surrogate floor {row['floor_ns_per_point']:4.0f} "
                  f"(ratio {row['ratio']:4.1f}); complete floor {row['complete_floor_ns_per_point']:4.0f} = "
                  f"+ matching {row['matching_floor_ns_per_point']:3.0f} + chi2 {row['chi2_floor_ns_per_point']:3.0f} "
                  f"(ratio {row['ratio_complete']:4.1f})", flush=True)
    out = Path(__file__).resolve().parent / "output"
    out.mkdir(exist_ok=True)
    result = {"observables": len(names), "sub_batch": SUB_BATCH, "rows": rows, "cpu_count": os.cpu_count(),
              "load_average": os.getloadavg()}
    (out / "bench_flavour_floor.json").write_text(json.dumps(result, indent=2))
    print(f"written {out / 'bench_flavour_floor.json'}")


if __name__ == "__main__":
    main()
