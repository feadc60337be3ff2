"""A large coupling map end to end: ``lqmodel map`` on an N_m x N_y grid of the default map's kind (issue 10, goal 2).

Usage::

    python benchmarks/bench_map.py [--masses 1000] [--couplings 1000] [--executors serial,process]
                                   [--columns all,map] [--sample 3] [--sampling grid|lhs] [--bytecode env|cached]
                                   [--json out.json]

The configuration is the built-in default map (Voloshin pair, muon flavour, every registered flavour
observable through the exact surrogates, neutrino side, LHC pair production and Drell–Yan, neutrino-mass
columns, the verdict) with the grid enlarged to ``--masses`` leptoquark masses (log, 1–5 TeV; more than 16
masses: the surrogates interpolated in log m) times ``--couplings`` values of y1·y2 (log, 1e-3–3). Each
run is a fresh subprocess ``python -m lqmodel map CONFIG --out DIR`` (plot included) with the user's warm
cache, timed from the outside (interpreter start, imports, preparation, the scan, the Parquet files, the
PNG and PDF), with the split recorded in the output's ``manifest.json`` (``prepare_s``, ``timing_s``) and
the peak RSS of the process tree (``resource.getrusage`` of the children: the largest single process).
``--columns map`` keeps only the columns the map draws (``evaluation.columns: map``). ``--sampling lhs``: the same
box and number of points drawn as a Latin hypercube (every point its own leptoquark mass: the interpolated
surrogates point by point, goal 5 of the issue), to compare with the grid run.

For the ratio to direct flavio on the same points, ``--sample`` points of the table are recomputed with
:func:`lqmodel.flavour.predict` ``method="flavio"`` (every registered observable, one point at a time, after
an untimed first call that imports flavio), in this process, after the maps.

The machine is shared: the load average is printed before and after; compare figures of one run.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _config_text(n_m: int, n_y: int, columns: str, chunk_size: int, sampling: str = "grid") -> str:
    from lqmodel.scan.benchmarks import map_benchmark_text

    text = map_benchmark_text("default")
    if sampling == "grid":
        text = text.replace("n: 9,", f"n: {n_m},").replace("n: 36,", f"n: {n_y},")
    else:  # the same box, n_m * n_y points of a Latin hypercube: every point its own mass
        text = text.replace("n: 9, ", "").replace("n: 36, ", "")
        text = text.replace("sampling: grid", f"sampling: lhs\nn_samples: {n_m * n_y}\nseed: 2026")
    text = text.replace("chunk_size: 324", f"chunk_size: {chunk_size}")
    if columns == "map":
        text = text.replace("  collider: true\n", "  collider: true\n  columns: map\n")
    return text


def _bytecode_env(mode: str) -> dict[str, str]:
    """The environment of the timed processes, with one line on how they get their bytecode. With
    ``PYTHONDONTWRITEBYTECODE`` set and an editable install, every process (the parent and each worker)
    compiles lqmodel, observables and loops from source: about 0.3 s per process on the 2-core machine.
    ``cached`` compiles the three packages first (``compileall``; ``__pycache__`` is in ``.gitignore``), which
    a default Python does on the first import anyway; the installed dependencies have their bytecode."""
    env = dict(os.environ)
    if mode == "cached":
        import importlib

        dirs = [str(Path(str(importlib.import_module(p).__file__)).parent) for p in ("lqmodel", "observables", "loops")]
        subprocess.run([sys.executable, "-m", "compileall", "-q", *dirs], check=True, capture_output=True,
                       env={k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"})
        print("bytecode: compiled before the runs into the packages' __pycache__ folders (ignored by git), "
              "as Python writes them on a first import by default")
    elif env.get("PYTHONDONTWRITEBYTECODE"):
        print("bytecode: PYTHONDONTWRITEBYTECODE is set; modules without __pycache__ are compiled from "
              "source in every process (--bytecode cached: as on a default Python)")
    else:
        print("bytecode: as this environment has it (Python writes __pycache__)")
    return env


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--masses", type=int, default=1000)
    ap.add_argument("--couplings", type=int, default=1000)
    ap.add_argument("--executors", default="serial,process")
    ap.add_argument("--columns", default="all,map")
    ap.add_argument("--chunk-size", type=int, default=50_000)
    ap.add_argument("--sample", type=int, default=3)
    ap.add_argument("--sampling", choices=("grid", "lhs"), default="grid",
                    help="lhs: the same box and number of points as a Latin hypercube (random masses, goal 5)")
    ap.add_argument("--bytecode", choices=("env", "cached"), default="env",
                    help="env: as this environment has it; cached: compile lqmodel, observables and loops "
                         "into their __pycache__ before the timed runs (as a default Python does on first "
                         "import)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    n = args.masses * args.couplings
    load0 = os.getloadavg()
    print(f"{n:,} points ({args.masses} masses x {args.couplings} couplings, {args.sampling}); "
          f"load average {load0[0]:.2f} "
          f"({os.cpu_count()} CPUs, shared)")
    base_env = _bytecode_env(args.bytecode)
    print(f"{'executor':>9} {'columns':>7} {'wall s':>7} {'prepare s':>9} {'scan s':>7} {'plot s':>7} "
          f"{'us/point':>8} {'peak RSS MB':>11}")
    rows = []
    table_path = None
    with tempfile.TemporaryDirectory() as tmp:
        for columns in args.columns.split(","):
            cfg = Path(tmp) / f"map-{columns}.yaml"
            cfg.write_text(_config_text(args.masses, args.couplings, columns, args.chunk_size, args.sampling),
                           encoding="utf-8")
            for kind in args.executors.split(","):
                out = Path(tmp) / f"out-{columns}-{kind}"
                env = {**base_env, "LQMODEL_SERIAL_BELOW_POINTS": "0"}  # the executor as asked
                t0 = time.perf_counter()
                r = subprocess.run([sys.executable, "-m", "lqmodel", "map", str(cfg), "--out", str(out),
                                    "--executor", kind, "--no-progress", "--force-large"],
                                   env=env, capture_output=True, text=True)
                wall = time.perf_counter() - t0
                if r.returncode != 0:
                    raise RuntimeError(f"lqmodel map failed: {r.stderr[-2000:]}")
                peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
                t = m.get("timing_s", {})
                plot = t.get("total", 0.0) - t.get("scan", 0.0)
                row = {"executor": kind, "columns": columns, "wall_s": round(wall, 2),
                       "prepare_s": m.get("prepare_s"), "scan_s": t.get("scan"), "plot_s": round(plot, 2),
                       "us_per_point": round(wall / n * 1e6, 2), "peak_rss_MB_so_far": round(peak)}
                rows.append(row)
                print(f"{kind:>9} {columns:>7} {wall:>7.1f} {row['prepare_s'] or 0:>9.1f} {row['scan_s'] or 0:>7.1f} "
                      f"{plot:>7.1f} {row['us_per_point']:>8.2f} {peak:>11.0f}")
                if table_path is None:
                    table_path = Path(tmp) / "table.parquet"
                    shutil.copy(out / "map.parquet", table_path)
                shutil.rmtree(out, ignore_errors=True)
        print("(peak RSS: the largest child process so far, the parent's of a process run or a worker's)")
        res: dict = {"n_points": n, "runs": rows, "loadavg_before": load0}
        if args.sample > 0 and table_path is not None:
            import numpy as np
            import pyarrow.parquet as pq

            from lqmodel.evaluate import resolve_base
            from lqmodel.flavour import predict
            from lqmodel.point import vary
            from observables.registry import OBSERVABLES

            # a ``columns: map`` table may keep none of the observables: compare those it holds.
            table = pq.ParquetFile(table_path)
            names = list(OBSERVABLES)  # the verdict's chi2 needs every one of them, kept or not
            kept = [nm for nm in names if nm in table.schema_arrow.names]
            t = table.read(columns=["m_LQ", "y1y2", *kept]).to_pydict()
            idx = np.linspace(0, n - 1, args.sample).astype(int)
            base = resolve_base("BP2")

            def point(k: int):
                r = float(np.sqrt(t["y1y2"][k]))
                return vary(base, {"m_LQ": float(t["m_LQ"][k]), "y1": r, "y2": r})

            predict(point(int(idx[0])), names[:1], method="flavio")  # untimed: imports flavio
            t0 = time.perf_counter()
            direct = [predict(point(int(k)), names, method="flavio") for k in idx]
            per_point = (time.perf_counter() - t0) / len(idx)
            worst = max((abs(float(t[nm][k]) / float(np.asarray(d[nm])) - 1)
                         for k, d in zip(idx, direct, strict=True) for nm in kept if float(np.asarray(d[nm])) != 0),
                        default=float("nan"))
            best = min(r["wall_s"] for r in rows)
            print(f"\ndirect flavio: {per_point:.1f} s per point ({len(names)} observables); the {n:,}-point map "
                  f"would take {per_point * n / 3600:,.1f} hours; ratio (fastest map end to end / direct "
                  f"flavio): {per_point * n / best:,.0f}; largest relative difference on the sample: "
                  + (f"{worst:.1e}" if kept else "none compared (the table keeps no observable column; "
                     "put 'all' first in --columns)"))
            res.update(direct_flavio_s_per_point=per_point, ratio=per_point * n / best, max_rel_diff=worst)
    res["loadavg_after"] = os.getloadavg()
    print(f"load average {load0[0]:.2f} -> {res['loadavg_after'][0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
