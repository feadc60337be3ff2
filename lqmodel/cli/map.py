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
    """Scan + plot for an already validated config (:func:`lqmodel.plotting.scan_map.run_map`, the same
    function notebook 02 uses), then the summary lines."""
    from lqmodel.plotting.scan_map import run_map as scan_and_plot

    run = scan_and_plot(config, out, plot=plot, progress=progress)
    if run.figure is not None:
        import matplotlib.pyplot as plt

        plt.close(run.figure)
    result = run.scan
    resumed = f", {result.skipped_chunks} chunks resumed from disk" if result.skipped_chunks else ""
    if result.recomputed_chunks:
        shown = ", ".join(map(str, result.recomputed_chunks[:10]))
        shown += " …" if len(result.recomputed_chunks) > 10 else ""
        resumed += (f", {len(result.recomputed_chunks)} damaged or unrecorded chunk files recomputed "
                    f"(chunks {shown}; see manifest.json runs)")
    echo(f"lqmodel map: {result.n_points} points in {result.n_chunks} chunks{resumed}; "
         f"scan {run.timing_s['scan']:.1f} s, total {run.timing_s['total']:.1f} s")
    for f in run.files:
        echo(f"  {f}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    from lqmodel.cli import main

    sys.exit(main(["map", *sys.argv[1:]]))
