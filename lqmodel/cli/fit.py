"""``lqmodel fit``: best fit, profile likelihoods and posterior samples in the couplings.

Usage::

    lqmodel fit CONFIG --out DIR [--json] [--no-plot]     # a fit described by a YAML config (docs/fits.md)
    lqmodel fit --builtin NAME --out DIR                   # a built-in one (lqmodel/data/fits)
    lqmodel fit --list-builtin

Output folder DIR (rerunning the same command resumes; a different fit in the same DIR is refused):
``fit.json`` (the summary), ``profiles.npz``, ``samples.npz`` (with sampling), ``profile_1d``,
``profile_2d``, ``corner`` (.png + .pdf), ``config.yaml``, ``manifest.json`` and ``state/`` (resume data).

``--json`` prints ``best_fit`` (parameter -> value), ``chi2_min``, ``chi2_sm``, ``intervals`` (parameter ->
{"68": [lo, hi], "95": [lo, hi]}), ``converged`` and ``files`` (name -> path), plus diagnostics.
Errors a user can cause exit with status 2 and a one-line message on stderr.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "fit", help="best fit, profile likelihoods and posterior sampling in the couplings (YAML config)",
        description="Combined likelihood (flavour, EW, LHC, XENON1T/XENONnT, limits) of the free parameters of a "
        "config: iminuit best fit with MINOS intervals, 1-D/2-D profiles, emcee samples, plots.")
    p.add_argument("config", nargs="?", metavar="CONFIG", help="fit configuration (YAML)")
    p.add_argument("--builtin", metavar="NAME", help="run the built-in fit NAME (see --list-builtin)")
    p.add_argument("--list-builtin", action="store_true", help="list the built-in fits and exit")
    p.add_argument("--out", metavar="DIR", help="output folder (created; an interrupted fit there is resumed)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("--no-plot", action="store_true", help="do not draw the plots")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lqmodel.cli import CLIError
    from lqmodel.fit import builtin_config, list_builtin_configs
    from lqmodel.fit.config import load_fit_config

    if args.list_builtin:
        for name in list_builtin_configs():
            cfg = builtin_config(name)
            print(f"{name}: {cfg.description or cfg.title}")
        return 0
    if (args.config is None) == (args.builtin is None):
        raise CLIError("give either a CONFIG file or --builtin NAME (see --list-builtin)")
    if not args.out:
        raise CLIError("--out DIR is required (the folder for the results, plots, config and manifest)")
    config = builtin_config(args.builtin) if args.builtin else load_fit_config(args.config)
    from lqmodel.fit.run import run_fit

    echo = (lambda s: print(s, file=sys.stderr)) if args.json else print
    summary = run_fit(config, args.out, echo=echo, plot=not args.no_plot)
    summary.pop("_arrays", None)
    for w in summary["warnings"]:
        print(f"lqmodel fit: warning: {w}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    print(f"chi2_min = {summary['chi2_min']:.3f}, chi2_SM = {summary['chi2_sm']:.3f}, "
          f"converged: {summary['converged']}")
    for n, v in summary["best_fit"].items():
        iv = summary["intervals"][n]
        print(f"  {n} = {v:.5g}   68%: {iv.get('68')}   95%: {iv.get('95')}")
    for f in summary["files"].values():
        print(f"  {f}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    from lqmodel.cli import main

    sys.exit(main(["fit", *sys.argv[1:]]))
