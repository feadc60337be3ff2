"""Benchmark of the collider path (lqmodel.collider): widths, pair-production recast and the scan columns.

Run: ``python benchmarks/bench_collider.py [--points 10000 100000] [--repeat 3]``. Times, for each number
of points, on a batch of random Voloshin points (m_LQ 0.5-5 TeV, y1, y2 log-uniform in [1e-3, 3]) and on
the grid of the built-in default map (m_LQ log-spaced 1-5 TeV, 100 values, times y1*y2 log-spaced in
[1e-3, 3], 1000 values, y1 = y2; the first points in grid order):

1. :func:`lqmodel.collider.widths.decay_widths` (all channels of the three leptoquark components);
2. :func:`lqmodel.collider.pair.pair_production` with precomputed widths (every published limit recast);
3. :func:`lqmodel.collider.summary.collider_columns` without and with the Drell-Yan tails (what a scan
   chunk pays for the LHC; the Drell-Yan row only when lqmodel.collider.drell_yan is installed);
4. :func:`lqmodel.collider.collider_summary` on one scalar point (what ``lqmodel point --collider`` pays).

Best of ``--repeat`` runs. Prints a table and writes ``benchmarks/output/bench_collider.json``. Nothing
here is a test. Reference (issue 10, same machine, 2 shared cores): before the fast paths
``collider_columns`` with the Drell-Yan tails took 61 us/point at 1e4 and 90 us/point at 1e5 random
points (pair only: 22 and 50 us/point). Issue 10 goal 2 (per distinct mass: width kinematics, sigma(m),
the Drell-Yan quadratic form; one inversion of sigma per component; shared zero channels): on a 32768-point
sub-batch of the default map, the evaluator's LHC step went from 3-5 to about 1.1 us/point (CPU time, one
BLAS thread, 2 shared cores; the machine's load moves such numbers by up to a factor 2).
"""
from __future__ import annotations

import argparse
import json
import os
import timeit
import warnings
from pathlib import Path

import numpy as np


def _best(fn, repeat: int) -> float:
    """Best of ``repeat`` single runs (s)."""
    return min(timeit.repeat(fn, number=1, repeat=repeat))


def _grid(base, n: int):
    """The first ``n`` points of the default map's (m_LQ, y1*y2) grid (module docstring)."""
    import lqmodel

    m, yy = np.meshgrid(np.geomspace(1000.0, 5000.0, 100), np.geomspace(1e-3, 3.0, 1000), indexing="ij")
    m, y = m.ravel()[:n], np.sqrt(yy.ravel()[:n])
    return lqmodel.vary(base, {"m_LQ": m, "y1": y, "y2": y})


def _rows(batch, repeat: int) -> dict[str, float]:
    from lqmodel.collider.pair import pair_production
    from lqmodel.collider.summary import collider_columns
    from lqmodel.collider.widths import decay_widths

    w = decay_widths(batch, warn=False)
    rows = {
        "decay_widths": _best(lambda: decay_widths(batch, warn=False), repeat),
        "pair_production": _best(lambda: pair_production(batch, widths=w), repeat),
        "collider_columns_pair_only": _best(lambda: collider_columns(batch, drell_yan=False), repeat),
    }
    import importlib.util

    if importlib.util.find_spec("lqmodel.collider.drell_yan") is not None:
        rows["collider_columns_with_drell_yan"] = _best(lambda: collider_columns(batch), repeat)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import lqmodel
    from lqmodel.collider.summary import collider_columns

    base = lqmodel.voloshin(1000.0, 0.05, 1.0, "mu")
    out: dict = {"cpu_count": os.cpu_count(), "runs": []}
    for n in args.points:
        rng = np.random.default_rng(1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # perturbativity near y = 3 is not the point here
            batches = {
                "random": lqmodel.vary(base, {"m_LQ": rng.uniform(500.0, 5000.0, n),
                                              "y1": 10 ** rng.uniform(-3, np.log10(3), n),
                                              "y2": 10 ** rng.uniform(-3, np.log10(3), n)}),
                "default_map_grid": _grid(base, n),
            }
        for kind, batch in batches.items():
            collider_columns(batch)  # warm the data-file caches
            rows = _rows(batch, args.repeat)
            cols = collider_columns(batch, drell_yan=False)
            out["runs"].append({
                "points": n, "kind": kind, "seconds": rows,
                "microseconds_per_point": {k: 1e6 * v / n for k, v in rows.items()},
                "fraction_excluded_pair": float(np.mean(cols["excluded_pair"])),
                "fraction_broad_width": float(np.mean(cols["broad_width"])),
            })
            print(f"{n} points, {kind}, best of {args.repeat}:")
            for k, v in rows.items():
                print(f"  {k:<32} {v:8.3f} s   {1e6 * v / n:8.2f} us/point")
            print(f"  excluded by pair production: {np.mean(cols['excluded_pair']):.3f}; "
                  f"Gamma/m > 0.1: {np.mean(cols['broad_width']):.3f}")
    lqmodel.collider.collider_summary(base)  # warm
    t_single = _best(lambda: lqmodel.collider.collider_summary(base), max(args.repeat, 5))
    out["collider_summary_one_point_ms"] = 1e3 * t_single
    print(f"collider_summary (1 point): {1e3 * t_single:.2f} ms")
    path = Path(__file__).parent / "output" / "bench_collider.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
