"""Plot benchmark: seconds and peak memory of the coupling-map plot (PNG + PDF) vs the number of points.

For each N of ``--sizes`` (default 10^4, 10^5, 10^6) and each sampling of ``--kinds`` (default grid and
random), a synthetic table with every map layer (:func:`synthetic_table`: closed-form fields in the
(m_LQ, y1 y2) plane of the built-in default map) is written to Parquet once, then
:func:`lqmodel.plotting.maps.plot_map` draws ``map.png`` + ``map.pdf`` from that file with every layer of
:data:`lqmodel.columns.MAP_LAYERS` that a table with group columns has — each plot in a fresh process, so
the peak resident memory (``ru_maxrss`` of the child) is the plot's own plus the interpreter and its imports
(printed separately as the baseline of a process that only imports them). Wall and CPU seconds are those of
the ``plot_map`` call (imports excluded: matplotlib, pyarrow and the plotting module, their seconds printed
apart; anything else the plot imports — pandas, scipy: it needs neither — is in its time and named).
``--table PATH`` (repeatable) also times real scan tables
(``map.parquet`` or a scan folder, with the folder's ``config.yaml`` when there: the plot ``lqmodel map``
draws, through :func:`lqmodel.plotting.scan_map._draw`).

The machine is shared: the load average is printed with each figure; compare figures of one run.

Usage::

    python benchmarks/bench_plot.py [--sizes 1e4,1e5,1e6] [--kinds grid,random] [--table DIR ...]
                                    [--out DIR] [--keep]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

M_E, M_B = 0.51099895e-3, 4.18


def _mu(y1y2, m):
    """Voloshin-limit moment in mu_B (docs/theory.md §b.2): m_e m_b y1 y2 g(x) / (4 pi^2 m^2), x = m_b^2/m^2,
    g(x) = (x - 1 - ln x)/(x - 1)^2 (written out here so the table needs nothing of the package)."""
    x = M_B**2 / m**2
    g = (x - 1 - np.log(x)) / (x - 1) ** 2
    return M_E * M_B * y1y2 * g / (4 * math.pi**2 * m**2)


def synthetic_table(n: int, kind: str = "grid", seed: int = 7):
    """A table of about ``n`` points in (m_LQ [GeV], y1y2) over 1-5 TeV x 1e-3-3 (log), with the columns of
    every map layer of a grouped table, as closed-form fields: the Voloshin moment with constant band and
    limit edges (XENON1T band, XENONnT, a laboratory limit, a stronger astrophysical one), a toy R(D)-R(D*)
    chi2, Delta chi2 total and per constraint group (half of the groups exclude somewhere), a pair-
    production margin, a Drell-Yan flag, the tuning fields (one NaN corner) and the verdict.
    ``kind``: "grid" (sqrt(n) x sqrt(n) nodes) or "random" (uniform in log)."""
    import pandas as pd

    from observables.registry import GROUPS, group_slug

    rng = np.random.default_rng(seed)
    if kind == "grid":
        k = round(math.sqrt(n))
        M, P = (a.ravel() for a in np.meshgrid(np.geomspace(1000.0, 5000.0, k), np.geomspace(1e-3, 3.0, k),
                                                indexing="ij"))
    elif kind == "random":
        M = 10 ** rng.uniform(3.0, math.log10(5000.0), n)
        P = 10 ** rng.uniform(-3.0, math.log10(3.0), n)
    else:
        raise ValueError(f"kind must be grid or random, not {kind!r}")
    tev = M / 1000.0
    mu = _mu(P, M)
    cols: dict[str, object] = {"m_LQ": M, "y1y2": P, "mu_mu_N1_muB": mu}
    cols["xenon1t_low_muB"] = np.full_like(M, 3.1e-11)
    cols["xenon1t_high_muB"] = np.full_like(M, 5.9e-11)
    cols["xenonnt_limit_muB"] = np.full_like(M, 1.6e-11)
    cols["lab_limit_muB"] = np.full_like(M, 5.8e-11)
    cols["limit_muB"] = np.full_like(M, 1.2e-12)
    lp = np.log10(P)
    cols["chi2_R_D"] = ((lp + 0.4 - 0.8 * np.log10(tev)) / 0.25) ** 2
    cols["chi2_R_Dstar"] = ((lp + 0.3 - 0.9 * np.log10(tev)) / 0.25) ** 2
    cols["dchi2_total"] = 4.0 * (P / (0.6 * tev**2)) ** 2
    for k, g in enumerate(GROUPS):
        scale = 0.15 * 2.0**k if k % 2 == 0 else 1e3  # odd groups exclude nothing in this plane
        d = 4.0 * (P / (scale * tev**1.5)) ** 2
        cols[f"dchi2_group_{group_slug(g)}"] = d
        cols[f"excluded_{group_slug(g)}"] = d > 4.0
    cols["pair_margin"] = np.log10(1600.0 / M) + 0.02 * lp
    cols["excluded_pair"] = cols["pair_margin"] > 0
    cols["excluded_drell_yan"] = 1.5 * tev < P
    tuning = 10 ** (lp + 3.5 - 2.0 * np.log10(tev))
    tuning[(tev < 1.2) & (P < 3e-3)] = np.nan
    cols["tuning"] = tuning
    cols["tuning_S1_same_mu"] = 3e9 * P
    cols["viable"] = (mu < 1.2e-12) & (cols["dchi2_total"] <= 4) & ~cols["excluded_pair"]
    df = pd.DataFrame(cols)
    df["limit_name"] = pd.Categorical(np.full(len(df), "Red-giant branch tip (omega Cen)"))
    df["lab_limit_name"] = pd.Categorical(np.full(len(df), "Borexino Phase-II"))
    return df


def grouped_layers() -> tuple[str, ...]:
    """Every layer a table with group columns is drawn with (the per-observable fallback never)."""
    from lqmodel.columns import MAP_LAYERS

    return tuple(n for n in MAP_LAYERS if n != "flavour_observables")


def _peak_rss_mb() -> float:
    """Peak resident memory of this process in MB: VmHWM (Linux; reset at exec, unlike ru_maxrss, which a
    child started by subprocess inherits from its parent), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(args) -> None:
    """One plot in this process; prints a JSON line."""
    t0 = time.perf_counter()
    # imports outside the timing (pandas and scipy are not needed by the plot: not imported here)
    import matplotlib.figure  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    from lqmodel.plotting import maps  # noqa: F401

    import_s = time.perf_counter() - t0
    base = _peak_rss_mb()
    pre: set[str] = set()
    t, c = time.perf_counter(), time.process_time()
    table = Path(args.child)
    out = Path(args.child_out)
    if table.is_dir() and (table / "config.yaml").exists():
        from lqmodel.evaluate import PointEvaluator
        from lqmodel.plotting.scan_map import _draw
        from lqmodel.scan.config import load_config

        config = load_config(table / "config.yaml")
        evaluator = PointEvaluator.from_options(config.evaluation).for_config(config)
        pre = {m for m in ("pandas", "scipy") if m in sys.modules}  # imported by the evaluator's setup
        t, c = time.perf_counter(), time.process_time()
        _draw(config, evaluator, table / "map.parquet", out, True, None)
    else:
        from lqmodel.plotting.maps import plot_map

        plot_map(table, "m_LQ", "y1y2", lepton="mu", scales={"m_LQ": "log", "y1y2": "log"}, out=out,
                 title="synthetic table, every layer", layers=grouped_layers())
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    heavy = [m for m in ("pandas", "scipy") if m in sys.modules and m not in pre]  # imported by the plot
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "peak_MB": _peak_rss_mb(), "import_MB": base,
                      "import_s": import_s, "imported": heavy}))


def _run_child(table: Path, out: Path) -> dict:
    r = subprocess.run([sys.executable, __file__, "--child", str(table), "--child-out", str(out)],
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"plot of {table} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1e4,1e5,1e6")
    p.add_argument("--kinds", default="grid,random")
    p.add_argument("--table", action="append", default=[], help="a real map.parquet or scan folder")
    p.add_argument("--out", default=None, help="folder for the tables and plots (default: a temporary one)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(args)
        return
    work = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench_plot_"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs; shared machine)")
    print(f"{'table':<34} {'points':>9} {'wall s':>7} {'CPU s':>7} {'peak MB':>8} {'(imports MB)':>12} "
          f"{'imports s':>9} {'load':>5}  imported by the plot")
    rows = []
    for kind in [k.strip() for k in args.kinds.split(",") if k.strip()]:
        for n in [int(float(s)) for s in args.sizes.split(",") if s.strip()]:
            path = work / f"synthetic_{kind}_{n}.parquet"
            df = synthetic_table(n, kind)
            df.to_parquet(path, index=False)
            rows.append((f"synthetic {kind}", len(df), path, work / f"plot_{kind}_{n}"))
            del df
    for t in args.table:
        tp = Path(t)
        import pyarrow.parquet as pq

        n = pq.read_metadata(tp / "map.parquet" if tp.is_dir() else tp).num_rows
        rows.append((str(tp)[-34:], n, tp, work / f"plot_{tp.name}"))
    for name, n, path, out in rows:
        r = _run_child(path, out)
        print(f"{name:<34} {n:>9} {r['wall_s']:>7.2f} {r['cpu_s']:>7.2f} {r['peak_MB']:>8.0f} "
              f"{r['import_MB']:>12.0f} {r['import_s']:>9.2f} {os.getloadavg()[0]:>5.2f}  "
              f"{', '.join(r['imported']) or '-'}", flush=True)
    if args.out is None and not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"tables and plots in {work}")


if __name__ == "__main__":
    main()
