"""End-to-end scan benchmark: 10^6 points through the coupling-map pipeline (surrogate), versus direct flavio.

Runs, in one process tree and on the same machine:

1. a scan of ``--n-points`` (default 10^6) Latin-hypercube points of the Voloshin benchmark BP2
   (m_LQ = 1 TeV) in (y1, y2), log ranges, through :class:`lqmodel.evaluate.PointEvaluator`
   (moments, every registered flavour observable via the exact surrogate, chi2, XENON1T/XENONnT/limit
   verdicts), chunked, in ``--workers`` spawned processes, streamed to Parquet — the wall time includes
   everything from ``run_scan`` entry to ``map.parquet`` (surrogate building is timed separately as
   the one-off ``prepare`` step, and reported);
2. the same observables for ``--sample`` of those points computed directly with flavio
   (``lqmodel.flavour.predict(method="flavio")``), one point at a time, after an untimed warm-up call
   (flavio import);

and prints points per second for both, their ratio, and the largest relative difference between the
two on the sample (a check that the fast path computed the same numbers).

Usage::

    python benchmarks/bench_scan.py [--n-points 1000000] [--sample 5] [--workers 2] [--out DIR]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-points", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=5, help="points evaluated directly with flavio")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=50_000)
    ap.add_argument("--executor", default="process", choices=("process", "serial", "dask"))
    ap.add_argument("--out", help="output folder (default: a temporary folder, removed afterwards)")
    args = ap.parse_args(argv)

    import pyarrow.parquet as pq

    from lqmodel.evaluate import PointEvaluator, resolve_base
    from lqmodel.flavour import predict
    from lqmodel.point import vary
    from lqmodel.scan import ScanConfig, run_scan

    cfg = ScanConfig.from_dict({
        "base": "BP2",
        "parameters": {"y1": {"min": 1e-3, "max": 1.0, "scale": "log"},
                       "y2": {"min": 1e-2, "max": 3.0, "scale": "log"}},
        "sampling": "lhs", "n_samples": args.n_points, "seed": 2026, "chunk_size": args.chunk_size,
        "executor": args.executor, "workers": args.workers,
    })
    ev = PointEvaluator()
    names = list(ev.observable_names())
    tmp = None
    out = Path(args.out) if args.out else Path(tmp := tempfile.mkdtemp(prefix="lqmodel-bench-")) / "scan"

    t0 = time.perf_counter()
    ev.prepare(cfg.base, cfg)  # flavio import + surrogate building + detector fits (one-off, cached on disk)
    t_prepare = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = run_scan(cfg, out, ev, progress=None)
    t_scan = time.perf_counter() - t0
    rate_scan = res.n_points / t_scan
    table = pq.read_table(res.table_path)
    print(f"scan: {res.n_points} points, {len(table.column_names)} columns, {args.workers} workers "
          f"({args.executor}), {t_scan:.1f} s  ->  {rate_scan:,.0f} points/s end to end "
          f"(one-off prepare: {t_prepare:.1f} s)")

    # direct flavio on a sample of the same points
    idx = np.linspace(0, res.n_points - 1, args.sample).astype(int)
    y1 = table["y1"].to_numpy()[idx]
    y2 = table["y2"].to_numpy()[idx]
    base = resolve_base(cfg.base)
    # untimed warm-up: the flavio import (~9 s) and its first-call caches are not per-point costs
    predict(vary(base, {"y1": 0.1, "y2": 0.1}), names, method="flavio")
    t0 = time.perf_counter()
    direct = []
    for a, b in zip(y1, y2):
        p = vary(base, {"y1": float(a), "y2": float(b)})
        direct.append(predict(p, names, method="flavio"))
    t_flavio = time.perf_counter() - t0
    rate_flavio = args.sample / t_flavio
    worst = 0.0
    for k, d in enumerate(direct):
        for n in names:
            fast = float(table[n].to_numpy()[idx[k]])
            ref = float(np.asarray(d[n]))
            if ref != 0:
                worst = max(worst, abs(fast / ref - 1))
    print(f"direct flavio: {args.sample} points x {len(names)} observables, {t_flavio:.1f} s  ->  "
          f"{rate_flavio:.3g} points/s")
    print(f"ratio (scan end to end / direct flavio): {rate_scan / rate_flavio:,.0f}")
    print(f"largest relative difference surrogate vs flavio on the sample: {worst:.2e}")
    if tmp:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
