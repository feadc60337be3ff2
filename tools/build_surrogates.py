"""Build the shipped flavour-surrogate terms of the built-in maps (``observables/data/surrogates/``).

Usage (from the repository root, with the pinned flavio and wilson installed)::

    python tools/build_surrogates.py                          # the default map (the README's)
    python tools/build_surrogates.py --map voloshin_2TeV_y1y2 # more built-in maps (repeatable)
    python tools/build_surrogates.py --m-lq 500 --m-lq 5000   # + the default base point at these masses
    python tools/build_surrogates.py --cache DIR              # build into / reuse the cache folder DIR

It runs :meth:`lqmodel.evaluate.PointEvaluator.prepare` of each built-in map serially with
``LQMODEL_CACHE_DIR`` set to a scratch folder (``--cache``; a fresh temporary folder by default), i.e. it
builds exactly the surrogate terms a first run of the map builds (the base point at every scanned mass and
its SM reference), with the package's own extraction (:mod:`observables.surrogate`). Every resulting entry
of ``<cache>/surrogates`` is re-verified (stored key, content hash, shapes) and copied unchanged to the
output folder, named by the digest of its key as in the cache. With ``--cache`` pointing at a folder that
already holds entries, valid entries for the same keys are reused rather than rebuilt (the key records the
flavio/wilson versions, build settings and vintage, so they are the same computation).
``tests/test_theory_covariance_shipped.py`` rebuilds a shipped term live and compares.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--map", action="append", dest="maps", metavar="NAME",
                    help="built-in map whose surrogates to ship (repeatable; default: the default map)")
    ap.add_argument("--m-lq", action="append", type=float, default=[], metavar="GEV",
                    help="also the default map's base point at this degenerate leptoquark mass (repeatable; "
                    "e.g. the ends of the built-in (m_LQ, y1*y2) map, 500 and 5000 GeV)")
    ap.add_argument("--cache", type=Path, help="cache folder to build into (default: a fresh temporary one)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "observables" / "data" / "surrogates")
    args = ap.parse_args(argv)

    cache = args.cache or Path(tempfile.mkdtemp(prefix="lqmodel-ship-"))
    os.environ["LQMODEL_CACHE_DIR"] = str(cache)  # before anything reads it

    import numpy as np

    from lqmodel.evaluate import PointEvaluator
    from lqmodel.scan.benchmarks import DEFAULT, map_benchmark
    from observables import cache as oc

    from observables import surrogate as sg

    # ship only the terms the maps ask for (a reused --cache folder may hold others)
    requested: set[str] = set()
    fit = sg._fit_term_cached

    def recording(term, names, blocks, scale, square, vintage, basis=None):
        requested.add(oc.digest(sg._key(term, names, blocks, scale, square, vintage, basis)))
        return fit(term, names, blocks, scale, square, vintage, basis)

    sg._fit_term_cached = recording
    sg.shipped_term = lambda key, n_var: None  # build from flavio (or --cache), never from the files being written
    from lqmodel.progress import progress_lines

    for name in args.maps or [DEFAULT]:
        t0 = time.perf_counter()
        config = map_benchmark(name)
        with progress_lines(True):  # one line per term built from flavio
            PointEvaluator.from_options(config.evaluation).prepare(config.base, config)
        print(f"{name}: prepared in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if args.m_lq:
        from lqmodel.evaluate import resolve_base
        from lqmodel.point import vary

        config = map_benchmark(DEFAULT)
        for m in args.m_lq:
            t0 = time.perf_counter()
            point = vary(resolve_base(config.base), {"m_LQ": np.array([m])})
            with progress_lines(True):
                PointEvaluator.from_options(config.evaluation).prepare(point)
            print(f"{DEFAULT} base point at m_LQ = {m:g} GeV: prepared in {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr)

    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.npz"):  # the folder holds exactly what these maps ask for
        if old.stem not in requested:
            old.unlink()
    n = 0
    for f in sorted((cache / "surrogates").glob("*.npz")):
        if f.stem not in requested:
            continue
        with np.load(f, allow_pickle=False) as d:
            key = json.loads(str(d["__key__"]))
            expected = {k: (d[k].dtype.kind, d[k].shape) for k in d.files if not k.startswith("__")}
        if f.stem != oc.digest(key) or oc.load_arrays(f, key, expected) is None:
            print(f"skipped {f.name}: not a verified entry", file=sys.stderr)
            continue
        shutil.copyfile(f, args.out / f.name)
        n += 1
    print(f"wrote {n} surrogate terms to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
