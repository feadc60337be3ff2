"""Per-component cost of one coupling-map sub-batch: where the µs/point of a map go (issue 10).

Builds the built-in default map enlarged to ``--masses`` x ``--couplings`` (as ``bench_map.py``: log
1–5 TeV x log 1e-3–3 in y1·y2; more than 16 masses: surrogates interpolated in log m), takes the first
:data:`lqmodel.evaluate.SUB_BATCH` points of chunk ``--chunk`` (50,000 points per chunk) and times, on one
BLAS thread, each step :meth:`lqmodel.evaluate.PointEvaluator._evaluate_point` runs: the batched point
(``vary``), the moments, the flavour columns (matching, surrogates, χ²), the neutrino verdicts, the LHC
columns, the neutrino-mass columns — then the whole evaluator call. Best of ``--repeat`` after one untimed
warm-up call (which loads the surrogates). ``--no-allocator`` leaves glibc's malloc settings as they are
(``lqmodel.scan.executors.tune_allocator`` is what workers and the ``lqmodel`` command use).

Usage::

    python benchmarks/bench_components.py [--masses 1000] [--couplings 1000] [--chunk 7] [--repeat 3]
                                          [--no-allocator]

The machine is shared: the load average is printed; compare figures of one run.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--masses", type=int, default=1000)
    ap.add_argument("--couplings", type=int, default=1000)
    ap.add_argument("--chunk", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-allocator", action="store_true")
    args = ap.parse_args(argv)

    from lqmodel.scan.executors import blas_threads, tune_allocator

    if not args.no_allocator:
        tune_allocator()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_map import _config_text

    from lqmodel import evaluate as E
    from lqmodel.moments import compute_moments
    from lqmodel.point import vary
    from lqmodel.scan.config import load_config, to_assignments
    from lqmodel.scan.samplers import Sampler

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "map.yaml"
        path.write_text(_config_text(args.masses, args.couplings, "map", 50_000), encoding="utf-8")
        cfg = load_config(path)
    ev = E.PointEvaluator.from_options(cfg.evaluation).for_config(cfg)
    base = E.resolve_base(cfg.base)
    values = to_assignments(Sampler(cfg).chunk(args.chunk), cfg.y1_over_y2)
    sub = {k: v[:E.SUB_BATCH] for k, v in values.items()}
    n = len(next(iter(sub.values())))
    print(f"{n} points of chunk {args.chunk} of a {args.masses} x {args.couplings} default map; "
          f"load average {os.getloadavg()[0]:.2f} (2 CPUs, shared); allocator "
          f"{'as is' if args.no_allocator else 'tuned'}")
    best: dict[str, float] = {}

    def timed(name, f, *a, **k):
        t = time.perf_counter()
        out = f(*a, **k)
        best[name] = min(best.get(name, float("inf")), time.perf_counter() - t)
        return out

    keep = ev.kept_columns()
    with blas_threads(1):
        ev(base, sub)  # warm-up: surrogates, fits, caches
        for _ in range(args.repeat):
            p = timed("batched point (vary)", vary, base, sub)
            flat = E._flattener(p.batch_shape, n)
            mom = timed("moments", compute_moments, p, uv="msbar")
            cols = {f"mu_{l}_N1_muB": flat(abs(mom.mu_muB[..., a, 0])).astype(float)
                    for a, l in enumerate(E.LEPTONS)}
            timed("flavour (matching, surrogates, chi2)", ev._flavour, p, cols, flat, n, keep)
            parts: list = []
            timed("neutrino verdicts", ev._neutrino, p, cols, flat, n, parts)
            timed("LHC columns", ev._collider, p, cols, flat, parts)
            timed("neutrino-mass columns", ev._neutrino_mass, p, cols, flat, mom)
            timed("whole evaluator call", ev, base, sub)
    for name, t in best.items():
        print(f"  {name:38s} {t / n * 1e6:7.2f} µs/point")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
