"""``lqmodel map``: run a coupling-map scan and draw it.

Usage::

    lqmodel map CONFIG --out DIR        # a scan described by a YAML config (lqmodel.scan.config)
    lqmodel map --benchmark NAME --out DIR   # a built-in one (lqmodel/data/maps; 'default' = README's)
    lqmodel map --list-benchmarks

Options: ``--executor serial|process|dask``, ``--workers N`` (local processes: at most the usable CPUs),
``--dask-address ADDR`` override the config (they do not change the table); ``--no-plot``;
``--progress/--no-progress`` (default: a bar when stderr is a terminal); ``--force-large`` runs a scan
above the size limits of :mod:`lqmodel.scan.limits` (points, memory, disk; the refusal gives the
estimates), like ``allow_large: true`` in the config.

Everything that can be checked (config, evaluation options, base point, the corners of the scanned
ranges, the size) is checked before DIR is created. The folder is locked while the command runs (a second
run into it exits 2 naming the holder). Ctrl-C and SIGTERM stop cleanly (exit 130 / 143); a dead worker
is one error line; in every case rerunning the same command resumes. Chunk files are verified against the
checksums and point ranges in the manifest and recomputed if they do not match (docs/trust_model.md).

Output folder DIR (rerunning the same command resumes an interrupted scan; a different config in the
same DIR is refused):

* ``map.parquet`` — the table, one row per point (units in the Parquet schema metadata), and
  ``chunks/chunk-NNNNNN.parquet`` — the same rows as resumable chunks;
* ``map.png`` and ``map.pdf`` — the 2D map in the config's ``plot: {x, y}`` parameters
  (default: the first two scanned parameters);
* ``config.yaml`` (the full configuration) and ``manifest.json`` (fingerprint, package versions,
  columns with units, timings).

Errors a user can cause exit with status 2 and a one-line message on stderr.
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "map",
        help="run a coupling-map scan (YAML config or built-in benchmark) and draw it",
        description="Scan leptoquark couplings/masses, evaluate mu_nu, m_nuN, flavour observables with chi2 and "
        "the direct-detection verdicts per point, write the table as Parquet and draw the map (PNG + PDF).",
    )
    p.add_argument("config", nargs="?", metavar="CONFIG", help="scan configuration (YAML)")
    p.add_argument("--benchmark", metavar="NAME", help="run the built-in map NAME ('default' = the README's)")
    p.add_argument("--list-benchmarks", action="store_true", help="list the built-in maps and exit")
    p.add_argument("--out", metavar="DIR", help="output folder (created; an interrupted scan there is resumed)")
    p.add_argument("--executor", choices=("serial", "process", "dask"), help="override the config's executor")
    p.add_argument("--workers", type=int, metavar="N", help="override the config's number of workers")
    p.add_argument("--dask-address", metavar="ADDR", help="dask scheduler address (default: a LocalCluster)")
    p.add_argument("--no-plot", action="store_true", help="write the table only")
    p.add_argument("--force-large", action="store_true",
                   help="run a scan above the size limits (points, memory, disk; same as allow_large: true)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: on when stderr is a terminal)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lqmodel.cli import CLIError
    from lqmodel.scan.benchmarks import DEFAULT, list_map_benchmarks, map_benchmark
    from lqmodel.scan.config import ScanConfig, load_config

    if args.list_benchmarks:
        for name in list_map_benchmarks():
            cfg = map_benchmark(name)
            alias = "  (default)" if name == DEFAULT else ""
            print(f"{name}{alias}: {cfg.description or cfg.title}")
        return 0
    if (args.config is None) == (args.benchmark is None):
        raise CLIError("give either a CONFIG file or --benchmark NAME (see --list-benchmarks)")
    if not args.out:
        raise CLIError("--out DIR is required (the folder for the table, plots, config and manifest)")
    config: ScanConfig = map_benchmark(args.benchmark) if args.benchmark else load_config(args.config)
    changes: dict[str, Any] = {}
    if args.executor:
        changes["executor"] = args.executor
    if args.workers is not None:
        changes["workers"] = args.workers
    if args.dask_address:
        changes["dask_address"] = args.dask_address
        changes.setdefault("executor", "dask")
    if args.force_large:
        changes["allow_large"] = True
    if changes:
        config = config.replace(**changes)
    return run_map(config, args.out, plot=not args.no_plot, progress=args.progress)


def run_map(config, out: str, *, plot: bool = True, progress: bool | None = None, echo=print) -> int:
    """Scan + plot for an already validated config (used by the CLI and the tests). Everything that can
    be checked is checked before the output folder is created; the folder is locked for the whole run."""
    from pathlib import Path

    from lqmodel.evaluate import PointEvaluator, resolve_base
    from lqmodel.scan import run_scan
    from lqmodel.scan.config import check_against_base
    from lqmodel.scan.limits import check_resources
    from lqmodel.scan.storage import FolderLock, ScanStore

    t0 = time.perf_counter()
    base = resolve_base(config.base)  # a bad base point fails here, before any folder is created
    check_against_base(config, base)
    if isinstance(config.base, str):
        # store the benchmark point itself (not just its name) in config.yaml and the fingerprint, so the
        # output folder records exactly what was scanned even if the benchmark table changes later
        from lqmodel.benchmarks import info

        config = config.replace(base=dict(info(config.base).point_spec))
    evaluator = PointEvaluator.from_options(config.evaluation)
    evaluator.check_config(config)
    check_resources(config, n_columns=len(evaluator.units) + len(config.parameters) + 1, out_dir=out)
    store = ScanStore(out)
    store.check_usable()
    with FolderLock(out) as lock:
        result = run_scan(config, out, evaluator, progress=progress, lock=lock)
        t_scan = time.perf_counter() - t0
        files = [str(result.table_path)]
        if plot:
            files += _plot(config, result.table_path, Path(out) / "map")
        t_total = time.perf_counter() - t0
        timing = {"scan": round(t_scan, 3), "total": round(t_total, 3)}
        store.write_manifest({"timing_s": timing, "plots": [Path(f).name for f in files[1:]]})
        store.update_run(len(store.manifest().get("runs") or []) - 1, {"timing_s": timing})
    resumed = f", {result.skipped_chunks} chunks resumed from disk" if result.skipped_chunks else ""
    if result.recomputed_chunks:
        shown = ", ".join(map(str, result.recomputed_chunks[:10])) + (" …" if len(result.recomputed_chunks) > 10 else "")
        resumed += (f", {len(result.recomputed_chunks)} damaged or unrecorded chunk files recomputed "
                    f"(chunks {shown}; see manifest.json runs)")
    echo(f"lqmodel map: {result.n_points} points in {result.n_chunks} chunks{resumed}; "
         f"scan {t_scan:.1f} s, total {t_total:.1f} s")
    for f in files:
        echo(f"  {f}")
    return 0


def _plot(config, table_path, stem) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from lqmodel.evaluate import resolve_base
    from lqmodel.plotting.maps import plot_map

    names = config.parameter_names
    if len(names) < 2:
        return []
    x = config.plot.get("x", names[0])
    y = config.plot.get("y", names[1] if names[1] != x else names[0])
    base = resolve_base(config.base)
    lepton = config.evaluation.get("lepton") or base.lepton
    cl = float(config.evaluation.get("cl", 0.9))
    m_b = np.unique(np.asarray(base.m_b, dtype=float))
    subtitle = (f"XENON1T/XENONnT at {100 * cl:.0f}% CL; flavour exclusions at $\\Delta\\chi^2 > 4$"
                + (f"; $m_b = {m_b[0]:g}$ GeV" if m_b.size == 1 and "m_b" not in names else ""))
    fig = plot_map(
        table_path, x, y, lepton=lepton, scales={r.name: r.scale for r in config.parameters},
        parameters=names, fix=config.plot.get("fix") or {}, title=config.title or None, subtitle=subtitle,
        out=stem, benchmark=_base_marker(config.base, base, (x, y)),
    )
    plt.close(fig)
    return [str(stem.with_suffix(".png")), str(stem.with_suffix(".pdf"))]


def _base_marker(spec: Any, base: Any, names: tuple[str, str]) -> dict[str, Any] | None:
    """The base point's (x, y) for the map's star marker, labelled with the benchmark name (None when the
    base is a batch or the plotted parameters cannot be read off it)."""
    from lqmodel.plotting.maps import base_coordinates

    if getattr(base, "batch_shape", ()) != ():
        return None
    coords = base_coordinates(base, names)
    if set(names) - set(coords):
        return None
    name = spec if isinstance(spec, str) else (getattr(base, "label", None) or "")
    return {**coords, "label": f"base point {name}".strip()}


if __name__ == "__main__":  # pragma: no cover
    from lqmodel.cli import main

    sys.exit(main(["map", *sys.argv[1:]]))
