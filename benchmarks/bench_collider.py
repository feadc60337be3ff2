"""Benchmark of the collider path (lqmodel.collider): widths, pair-production recast and the scan columns.

Run: ``python benchmarks/bench_collider.py [--points 100000] [--repeat 3]``. Times, on a batch of random
Voloshin points (m_LQ 0.5-5 TeV, y1, y2 log-uniform in [1e-3, 3]):

1. :func:`lqmodel.collider.widths.decay_widths` (all channels of the three leptoquark components);
2. :func:`lqmodel.collider.pair.pair_production` with precomputed widths (every published limit recast);
3. :func:`lqmodel.collider.summary.collider_columns` without and with the Drell-Yan tails (what a scan
   chunk pays for the LHC; the Drell-Yan row only when lqmodel.collider.drell_yan is installed);
4. :func:`lqmodel.collider.collider_summary` on one scalar point (what ``lqmodel point --collider`` pays).

Best of ``--repeat`` runs. Prints a table and writes ``benchmarks/output/bench_collider.json``. Nothing
here is a test.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import lqmodel
    from lqmodel.collider.pair import pair_production
    from lqmodel.collider.summary import collider_columns
    from lqmodel.collider.widths import decay_widths

    rng = np.random.default_rng(1)
    n = args.points
    base = lqmodel.voloshin(1000.0, 0.05, 1.0, "mu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # perturbativity near y = 3 is not the point here
        batch = lqmodel.vary(base, {"m_LQ": rng.uniform(500.0, 5000.0, n), "y1": 10 ** rng.uniform(-3, np.log10(3), n),
                                    "y2": 10 ** rng.uniform(-3, np.log10(3), n)})
    w = decay_widths(batch, warn=False)
    rows = {
        "decay_widths": _best(lambda: decay_widths(batch, warn=False), args.repeat),
        "pair_production": _best(lambda: pair_production(batch, widths=w), args.repeat),
        "collider_columns_pair_only": _best(lambda: collider_columns(batch, drell_yan=False), args.repeat),
    }
    import importlib.util

    if importlib.util.find_spec("lqmodel.collider.drell_yan") is not None:
        rows["collider_columns_with_drell_yan"] = _best(lambda: collider_columns(batch), args.repeat)
    single = base
    lqmodel.collider.collider_summary(single)  # warm the data-file caches
    t_single = _best(lambda: lqmodel.collider.collider_summary(single), max(args.repeat, 5))
    cols = collider_columns(batch, drell_yan=False)
    out = {
        "points": n,
        "cpu_count": os.cpu_count(),
        "seconds": rows,
        "microseconds_per_point": {k: 1e6 * v / n for k, v in rows.items()},
        "collider_summary_one_point_ms": 1e3 * t_single,
        "fraction_excluded_pair": float(np.mean(cols["excluded_pair"])),
        "fraction_broad_width": float(np.mean(cols["broad_width"])),
    }
    print(f"{n} random Voloshin points (m_LQ 0.5-5 TeV, y1, y2 in [1e-3, 3]), best of {args.repeat}:")
    for k, v in rows.items():
        print(f"  {k:<32} {v:8.3f} s   {1e6 * v / n:8.2f} us/point")
    print(f"  collider_summary (1 point): {1e3 * t_single:.2f} ms")
    print(f"  excluded by pair production: {out['fraction_excluded_pair']:.3f}; "
          f"Gamma/m > 0.1: {out['fraction_broad_width']:.3f}")
    path = Path(__file__).parent / "output" / "bench_collider.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
