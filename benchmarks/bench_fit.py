"""Benchmark of the fit likelihood and of the built-in fit (lqmodel.fit; docs/fits.md §6).

Run: ``python benchmarks/bench_fit.py [--repeat 5] [--calls 50] [--fit]``. Times, for the built-in fit
``voloshin_1p5TeV_y1_y2`` (warm caches: run ``lqmodel fit --builtin voloshin_1p5TeV_y1_y2`` once first):

1. one combined-likelihood call of 1 and of 5 points (MIGRAD's value / batched-gradient calls) and of 64
   points, through the prepared fast path (:mod:`lqmodel.fit.prepared`) and through the full per-point
   pipeline (``CombinedLikelihood.chi2``), with the ratio; wall and CPU time per call (best of
   ``--repeat`` runs of ``--calls`` calls; the machine may be shared, CPU time is the steadier number);
2. the preparation (grid of full-pipeline points, fit of the polynomials, check);
3. with ``--fit``: the whole built-in fit (``run_fit`` without output folder or plots) with the fast path
   and without it, and the largest differences of best fit, chi2_min and intervals between the two.

Writes ``benchmarks/output/bench_fit.json``. Nothing here is a test.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np


def _per_call(fn, calls: int, repeat: int) -> tuple[float, float]:
    """Best (wall, CPU) seconds per call over ``repeat`` runs of ``calls`` calls."""
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        for _ in range(calls):
            fn()
        wall.append((time.perf_counter() - t) / calls)
        cpu.append((time.process_time() - c) / calls)
    return min(wall), min(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--fit", action="store_true", help="also time the whole built-in fit, fast and full")
    args = ap.parse_args()

    from lqmodel.evaluate import resolve_base
    from lqmodel.fit import builtin_config
    from lqmodel.fit.likelihood import CombinedLikelihood, build_terms
    from lqmodel.fit.prepared import PreparedLikelihood, prepare

    cfg = builtin_config("voloshin_1p5TeV_y1_y2")
    base = resolve_base(cfg.base)
    full = CombinedLikelihood(base, cfg.names, build_terms(cfg.likelihood), y1_over_y2=cfg.y1_over_y2)
    full.chi2_sm()
    lows, highs = [p.low for p in cfg.parameters], [p.high for p in cfg.parameters]
    t = time.perf_counter()
    fast = prepare(full, lows, highs)
    t_prep = time.perf_counter() - t
    if not isinstance(fast, PreparedLikelihood):
        raise SystemExit("the fast path did not apply (see the log): nothing to compare")
    print(f"prepare: {t_prep:.2f} s ({fast.n_nodes} full-pipeline points)")
    rng = np.random.default_rng(0)
    res: dict = {"prepare_s": t_prep, "per_call": {}}
    for n in (1, 5, 64):
        x = np.column_stack([rng.uniform(lo, hi, n) for lo, hi in zip(lows, highs, strict=True)])
        wf, cf = _per_call(lambda x=x: fast.chi2(x), args.calls, args.repeat)
        ws, cs = _per_call(lambda x=x: full.chi2(x), max(args.calls // 5, 3), max(args.repeat // 2, 2))
        d = float(np.max(np.abs(fast.chi2(x) - full.chi2(x)) / np.abs(full.chi2(x))))
        res["per_call"][n] = {"fast_wall_ms": 1e3 * wf, "fast_cpu_ms": 1e3 * cf, "full_wall_ms": 1e3 * ws,
                              "full_cpu_ms": 1e3 * cs, "ratio_cpu": cs / cf, "max_rel_diff": d}
        print(f"batch {n:3d}: fast {1e3 * wf:6.2f} ms (CPU {1e3 * cf:6.2f})   full {1e3 * ws:6.2f} ms "
              f"(CPU {1e3 * cs:6.2f})   ratio (CPU) {cs / cf:5.1f}   max rel. diff {d:.1e}")
    if args.fit:
        from lqmodel.fit.run import run_fit

        out = {}
        for label, flag in (("fast", True), ("full", False)):
            t, c = time.perf_counter(), time.process_time()
            s = run_fit(cfg, None, plot=False, fast=flag)
            out[label] = (s, time.perf_counter() - t, time.process_time() - c)
            print(f"built-in fit, {label}: {out[label][1]:.1f} s wall, {out[label][2]:.1f} s CPU "
                  f"(best fit {s['timing_s']['best_fit']:.1f} s, profiles {s['timing_s']['profiles']:.1f} s, "
                  f"sampling {s['timing_s']['sampling']:.1f} s)")
        a, b = out["fast"][0], out["full"][0]
        dbf = max(abs(a["best_fit"][k] - b["best_fit"][k]) for k in a["best_fit"])
        div = max(abs(x - y) for k in a["intervals"] for lab in ("68", "95")
                  for x, y in zip(a["intervals"][k][lab], b["intervals"][k][lab], strict=True))
        print(f"ratio (wall) {out['full'][1] / out['fast'][1]:.1f}; |d best fit| {dbf:.2e}, "
              f"|d chi2_min| {abs(a['chi2_min'] - b['chi2_min']):.2e}, |d interval ends| {div:.2e}")
        res["fit"] = {k: {"wall_s": v[1], "cpu_s": v[2], "timing_s": v[0]["timing_s"], "chi2_min": v[0]["chi2_min"],
                          "best_fit": v[0]["best_fit"], "intervals": v[0]["intervals"]} for k, v in out.items()}
    res["load_average"] = os.getloadavg()
    dest = Path(__file__).parent / "output" / "bench_fit.json"
    dest.parent.mkdir(exist_ok=True)
    dest.write_text(json.dumps(res, indent=1, default=str))
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
