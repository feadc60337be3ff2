"""Benchmark of lqmodel.moments.compute_moments against the closed form of docs/theory.md §b.2, and the
peak memory per point of lqmodel.evaluate.PointEvaluator.

Run: ``python benchmarks/bench_moments.py [--max-n 1000000] [--eval-n 20000]``. Prints the machine load,
ns/point vs N for

* the closed form of the Voloshin moment (b quark, one lepton, one N: lqmodel.moments.mu_nu_muB) and of
  moment + mass (mu_nu_muB + m_nuN_GeV),
* compute_moments(path="factorised") and compute_moments(path="general") on the same Voloshin points
  (batched Point built by lqmodel.point.vary, as a map chunk does),

their ratios measured in the same run, and the tracemalloc peak per point of one PointEvaluator call
(``observables=None``: moments, neutrino verdicts, collider columns, neutrino mass; the flavour part
needs the surrogates of a prepared map) with the default internal sub-batch and with the sub-batch
larger than the call, and the bytes per point of the returned columns. Nothing here is a test.
"""
from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np


def _best(fn, reps: int) -> float:
    """Smallest wall time of ``reps`` rounds, each repeating ``fn`` for >= 0.2 s (per call)."""
    fn()
    out = []
    for _ in range(reps):
        k, t0 = 0, time.perf_counter()
        while True:
            fn()
            k += 1
            dt = time.perf_counter() - t0
            if dt >= 0.2:
                break
        out.append(dt / k)
    return min(out)


def moments_table(ns) -> list[tuple[int, float, float, float, float]]:
    from lqmodel.models import voloshin_split
    from lqmodel.moments import compute_moments, m_nuN_GeV, mu_nu_muB
    from lqmodel.point import vary

    rows = []
    for n in ns:
        rng = np.random.default_rng(1)
        m = rng.uniform(200.0, 2e4, n)
        y1, y2 = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
        p = vary(voloshin_split(1000.0, 1010.0, 0.1, 0.1, "mu"), {"m_S1": m, "m_R2": m * 1.01, "y1": y1, "y2": y2})
        c = y1 * y2
        reps = 5 if n <= 100_000 else 2
        t_mu = _best(lambda c=c, m=m: mu_nu_muB(c, c, 4.18, m, m * 1.01), reps)
        t_mm = _best(lambda c=c, m=m: (mu_nu_muB(c, c, 4.18, m, m * 1.01), m_nuN_GeV(c, c, 4.18, m, m * 1.01)), reps)
        t_f = _best(lambda p=p: compute_moments(p, path="factorised"), reps)
        t_g = _best(lambda p=p: compute_moments(p, path="general"), reps)
        rows.append((n, t_mu / n * 1e9, t_mm / n * 1e9, t_f / n * 1e9, t_g / n * 1e9))
    return rows


def evaluator_memory(n: int) -> list[tuple[str, float, float, float]]:
    from lqmodel import evaluate
    from lqmodel.models import voloshin

    ev = evaluate.PointEvaluator(observables=None)
    base = voloshin(1000.0, 0.05, 1.0, "mu")
    rng = np.random.default_rng(0)
    asg = {"m_LQ": rng.uniform(500, 3000, n).round(-2), "y1": rng.uniform(0, 1, n), "y2": rng.uniform(0, 1, n)}
    ev(base, {k: v[:10] for k, v in asg.items()})  # warm the data files
    out = []
    default = evaluate.SUB_BATCH
    for label, sub in ((f"sub-batch {default}", default), ("one batch", n + 1),
                       (f"sub-batch {n // 8}", max(n // 8, 1))):
        evaluate.SUB_BATCH = sub
        try:
            tracemalloc.start()
            t0 = time.perf_counter()
            cols = ev(base, asg)
            dt = time.perf_counter() - t0
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        finally:
            evaluate.SUB_BATCH = default
        held = sum(v.nbytes for v in cols.values())
        out.append((label, peak / n, held / n, dt / n * 1e6))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-n", type=int, default=1_000_000)
    ap.add_argument("--eval-n", type=int, default=20_000)
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}, "
          f"{os.cpu_count()} cpus, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    ns = [n for n in (10_000, 100_000, 1_000_000, 10_000_000) if n <= a.max_n]
    print("compute_moments on Voloshin points (ns/point; ratios to the closed-form moment / moment+mass)")
    print(f"  {'N':>9s} {'closed mu':>10s} {'closed mu+m':>12s} {'factorised':>11s} {'general':>9s}"
          f" {'fact/mu':>8s} {'fact/mu+m':>10s} {'gen/mu':>7s}")
    for n, mu, mm, f, g in moments_table(ns):
        print(f"  {n:9d} {mu:10.1f} {mm:12.1f} {f:11.1f} {g:9.1f} {f / mu:8.2f} {f / mm:10.2f} {g / mu:7.1f}")
    if a.eval_n > 0:
        print(f"PointEvaluator(observables=None), {a.eval_n} points: tracemalloc peak and returned columns")
        for label, peak, held, us in evaluator_memory(a.eval_n):
            print(f"  {label:20s} peak {peak:8.0f} B/point  columns {held:6.0f} B/point  "
                  f"working {peak - held:7.0f} B/point  {us:7.1f} us/point (under tracemalloc)")


if __name__ == "__main__":
    main()
