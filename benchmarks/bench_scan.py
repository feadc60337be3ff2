"""Scan benchmark: ns/point and memory per point vs N, serial vs process executor, and direct flavio.

Runs, in one process tree and on the same machine (ratios measured in one run are the reliable figures
on a shared machine; the load average is printed):

1. the one-off preparation (flavio import, surrogates, detector fits; cached on disk), timed apart;
2. :class:`lqmodel.evaluate.PointEvaluator` (moments, every registered flavour observable via the exact
   surrogate, chi2, neutrino-side, collider and neutrino-mass columns) called once on N Latin-hypercube-like
   random points of the Voloshin benchmark BP2 (m_LQ = 1 TeV) in (y1, y2), for each N of ``--sizes``
   (default 10^4, 10^5, 10^6; every column) and of ``--map-sizes`` (default 10^4 ... 10^7; ``columns:
   map``, the columns the coupling map draws): ns/point and the tracemalloc peak per point, split into the
   returned table (its columns' bytes) and what the call held on top of it (the sub-batch temporaries);
3. the process start-up cost: a fresh pool of ``--workers`` spawned processes until each has evaluated
   two points (interpreter start, imports, the evaluator's cache loads);
4. :func:`lqmodel.scan.run_scan` of the same kind of map for each N of ``--scan-sizes`` (default 10^5,
   10^6), serially and in ``--workers`` processes (the executor passed explicitly, i.e. without the
   automatic serial choice for small maps), both tables compared with
   :func:`lqmodel.scan.tables_identical`; wall time from ``run_scan`` entry to ``map.parquet`` and the
   peak RSS of the process tree (parent + workers, sampled every 50 ms);
5. the observables for ``--sample`` of those points directly with flavio, one at a time, after an untimed
   warm-up call (the flavio import): points per second and the ratio to the scan (``--sample 0`` skips).

Usage::

    python benchmarks/bench_scan.py [--sizes 1e4,1e5,1e6] [--scan-sizes 1e5,1e6] [--workers 2]
                                    [--chunk-size 50000] [--sample 5]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np


def _sizes(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",") if x.strip()]


def _config(n: int, executor: str, workers: int, chunk_size: int):
    from lqmodel.scan import ScanConfig

    return ScanConfig.from_dict({
        "base": "BP2",
        "parameters": {"y1": {"min": 1e-3, "max": 1.0, "scale": "log"},
                       "y2": {"min": 1e-2, "max": 3.0, "scale": "log"}},
        "sampling": "lhs", "n_samples": n, "seed": 2026, "chunk_size": chunk_size,
        "executor": executor, "workers": workers,
    })


def _two_points(_):
    """Worker task of the start-up measurement: the evaluator's first (warm-cache) call in a new process."""
    from lqmodel.evaluate import PointEvaluator

    PointEvaluator()("BP2", {"y1": np.array([0.1, 0.2]), "y2": np.array([0.3, 0.4])})
    return os.getpid()


class _PeakRSS:
    """Peak resident memory of this process and its children, sampled in a thread."""

    def __init__(self, interval: float = 0.05):
        import psutil

        self._proc, self._interval, self.peak = psutil.Process(), interval, 0
        self._stop = threading.Event()

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            try:
                for p in [self._proc, *self._proc.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):  # the process ended meanwhile
                        total += p.memory_info().rss
            except psutil.Error:
                pass
            self.peak = max(self.peak, total)
            self._stop.wait(self._interval)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=_sizes, default=[10**4, 10**5, 10**6], help="N of the in-memory calls")
    ap.add_argument("--map-sizes", type=_sizes, default=[10**4, 10**5, 10**6, 10**7],
                    help="N of the in-memory calls with columns: map (the map's columns only)")
    ap.add_argument("--scan-sizes", type=_sizes, default=[10**5, 10**6], help="N of the serial/process scans")
    ap.add_argument("--sample", type=int, default=5, help="points evaluated directly with flavio (0: skip)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=50_000)
    ap.add_argument("--json", type=Path, help="write the measured rows here (benchmarks/plot_scaling.py draws them)")
    args = ap.parse_args(argv)
    record: dict = {"loadavg_start": os.getloadavg()[0], "in_memory": [], "scans": []}


    from lqmodel.evaluate import PointEvaluator, resolve_base
    from lqmodel.flavour import predict
    from lqmodel.point import vary
    from lqmodel.scan import run_scan, tables_identical

    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs; shared machine: "
          "compare figures of this run with each other)")
    ev = PointEvaluator()
    names = list(ev.observable_names())
    t0 = time.perf_counter()
    ev.prepare("BP2", _config(10, "serial", 1, 10))
    print(f"one-off prepare: {time.perf_counter() - t0:.1f} s")

    # ---- in-memory calls: ns/point and memory per point vs N ----------------------------------------
    rng = np.random.default_rng(2026)
    print(f"\n{'N':>9} {'columns':>7} {'ns/point':>9} {'peak B/pt':>9} {'table B/pt':>10} {'held on top B/pt':>16}")
    ev_map = PointEvaluator(columns="map")
    for n, e in [*((n, ev) for n in args.sizes), *((n, ev_map) for n in args.map_sizes)]:
        a = {"y1": 10 ** rng.uniform(-3, 0, n), "y2": 10 ** rng.uniform(-2, np.log10(3.0), n)}
        tracemalloc.start()
        t0 = time.perf_counter()
        out = e("BP2", a)
        dt = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        table = sum(v.nbytes for v in out.values())
        print(f"{n:>9} {len(out):>7} {dt / n * 1e9:>9,.0f} {peak / n:>9,.0f} {table / n:>10,.0f} "
              f"{(peak - table) / n:>16,.0f}")
        record["in_memory"].append({"n": n, "columns": len(out), "ns_per_point": dt / n * 1e9,
                                    "peak_bytes_per_point": peak / n, "table_bytes_per_point": table / n})
        del out, a
    print("(tracemalloc on during the timed call, inputs not counted; 'held on top' = peak minus the returned "
          "columns; the rows with fewer columns are columns: map)")

    # ---- process start-up --------------------------------------------------------------------------
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_two_points, range(args.workers)))
        t_start = time.perf_counter() - t0
    print(f"\nprocess start-up ({args.workers} spawned workers, imports + first 2-point call): {t_start:.1f} s")

    # ---- scans: serial vs process -------------------------------------------------------------------
    tmp = Path(tempfile.mkdtemp(prefix="lqmodel-bench-"))
    rate_scan = None
    last = None
    try:
        print(f"\n{'N':>9} {'serial s':>9} {'process s':>9} {'speed-up':>8} {'serial RSS B/pt':>15} "
              f"{'process RSS B/pt':>16} identical")
        for n in args.scan_sizes:
            times, rss, tables = {}, {}, {}
            for kind in ("serial", "process"):
                out = tmp / f"{kind}-{n}"
                with _PeakRSS() as mem:
                    t0 = time.perf_counter()
                    res = run_scan(_config(n, kind, args.workers, args.chunk_size), out, ev, executor=kind,
                                   progress=False)
                    times[kind] = time.perf_counter() - t0
                rss[kind] = mem.peak
                tables[kind] = res.table()
            same = tables_identical(tables["serial"], tables["process"])
            record["scans"].append({"n": n, "serial_s": times["serial"], "process_s": times["process"],
                                    "identical": bool(same), "serial_rss": rss["serial"],
                                    "process_rss": rss["process"]})
            print(f"{n:>9} {times['serial']:>9.1f} {times['process']:>9.1f} "
                  f"{times['serial'] / times['process']:>8.2f} {rss['serial'] / n:>15,.0f} "
                  f"{rss['process'] / n:>16,.0f} {same}")
            rate_scan = n / times["process"]
            last = (n, tables["process"])
            for kind in ("serial", "process"):
                shutil.rmtree(tmp / f"{kind}-{n}", ignore_errors=True)
        print("(RSS: whole process tree incl. the interpreters, flavio and caches: not per-point state)")

        # ---- direct flavio on a sample of the last scan's points ------------------------------------------
        if args.sample > 0 and last is not None:
            n, table = last
            idx = np.linspace(0, n - 1, args.sample).astype(int)
            y1, y2 = table["y1"].to_numpy()[idx], table["y2"].to_numpy()[idx]
            base = resolve_base("BP2")
            predict(vary(base, {"y1": 0.1, "y2": 0.1}), names, method="flavio")  # untimed: flavio import
            t0 = time.perf_counter()
            direct = [predict(vary(base, {"y1": float(a), "y2": float(b)}), names, method="flavio")
                      for a, b in zip(y1, y2, strict=True)]
            t_flavio = time.perf_counter() - t0
            rate_flavio = args.sample / t_flavio
            worst = 0.0
            for k, d in enumerate(direct):
                for name in names:
                    ref = float(np.asarray(d[name]))
                    if ref != 0:
                        worst = max(worst, abs(float(table[name].to_numpy()[idx[k]]) / ref - 1))
            print(f"\ndirect flavio: {args.sample} points x {len(names)} observables, {t_flavio:.1f} s -> "
                  f"{rate_flavio:.3g} points/s; ratio (process scan end to end / direct flavio): "
                  f"{rate_scan / rate_flavio:,.0f}; largest relative difference: {worst:.2e}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    if args.json:
        import json

        record["loadavg_end"] = os.getloadavg()[0]
        args.json.write_text(json.dumps(record, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
