"""Build the shipped flavour-surrogate terms of the built-in maps (``observables/data/surrogates/``).

Usage (from the repository root, with the pinned flavio and wilson installed)::

    python tools/build_surrogates.py                          # the default map (the README's)
    python tools/build_surrogates.py --map voloshin_2TeV_y1y2 # more built-in maps (repeatable)
    python tools/build_surrogates.py --m-lq 500 --m-lq 5000   # + the default base point at these masses
    python tools/build_surrogates.py --cache DIR              # build into / reuse the cache folder DIR
    python tools/build_surrogates.py --rekey                  # re-key the shipped entries (no flavio)
    python tools/build_surrogates.py --node -1 --node 9       # + the default base point at lattice nodes

It runs :meth:`lqmodel.evaluate.PointEvaluator.prepare` of each built-in map serially with
``LQMODEL_CACHE_DIR`` set to a scratch folder (``--cache``; a fresh temporary folder by default), i.e. it
builds exactly the surrogate terms a first run of the map builds (the base point at every scanned mass and
its SM reference), with the package's own extraction (:mod:`observables.surrogate`). Every resulting entry
of ``<cache>/surrogates`` is re-verified (stored key, content hash, shapes) and copied unchanged to the
output folder, named by the digest of its key as in the cache. With ``--cache`` pointing at a folder that
already holds entries, valid entries for the same keys are reused rather than rebuilt (the key records the
flavio/wilson versions and build settings, so they are the same computation).

``--rekey`` rewrites every shipped entry under the current key format without recomputing it, for key
changes that do not change the computation (2026-12-02: the measurement vintage left the key; the build
never read it). Each file is verified under its stored key, its key is rebuilt with
:func:`observables.surrogate._key` from the stored inputs and must equal the stored key minus the dropped
fields, and the same arrays are stored under the new key (file named by its digest); the old file goes.
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
    ap.add_argument("--node", action="append", type=int, default=[], metavar="K",
                    help="also the default map's base point at the interpolation lattice scale "
                    "observables.surrogate.node_scale(K) (repeatable; K = -1 and 9 complete the stencils of "
                    "random masses in the default map's 1-5 TeV, whose nine grid masses are the nodes 0..8)")
    ap.add_argument("--cache", type=Path, help="cache folder to build into (default: a fresh temporary one)")
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).resolve().parents[1] / "observables" / "data" / "surrogates")
    ap.add_argument("--rekey", action="store_true", help="re-key the shipped entries (no flavio; see above)")
    args = ap.parse_args(argv)
    if args.rekey:
        return rekey(args.out)

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

    def recording(term, names, blocks, scale, square, basis=None):
        requested.add(oc.digest(sg._key(term, names, blocks, scale, square, basis)))
        return fit(term, names, blocks, scale, square, basis)

    sg._fit_term_cached = recording
    sg.shipped_term = lambda key, n_var: None  # build from flavio (or --cache), never from the files being written
    from lqmodel.progress import progress_lines

    for name in args.maps or [DEFAULT]:
        t0 = time.perf_counter()
        config = map_benchmark(name)
        with progress_lines(True):  # one line per term built from flavio
            PointEvaluator.from_options(config.evaluation).prepare(config.base, config)
        print(f"{name}: prepared in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if args.node:
        args.m_lq = list(args.m_lq) + [sg.node_scale(k) for k in args.node]
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


#: key fields that earlier key formats had and the build never used
DROPPED_KEY_FIELDS = ("vintage",)


def rekey(folder: Path) -> int:
    """Rewrite the entries of ``folder`` under the current key format (module docstring, ``--rekey``)."""
    import numpy as np

    from observables import cache as oc
    from observables import surrogate as sg
    from observables.registry import Term

    n_done = n_kept = 0
    for f in sorted(folder.glob("*.npz")):
        with np.load(f, allow_pickle=False) as d:
            old = json.loads(str(d["__key__"]))
            expected = {k: (d[k].dtype.kind, d[k].shape) for k in d.files if not k.startswith("__")}
        arrays = oc.load_arrays(f, old, expected)
        if f.stem != oc.digest(old) or arrays is None:
            print(f"skipped {f.name}: not a verified entry", file=sys.stderr)
            continue
        new = {k: v for k, v in old.items() if k not in DROPPED_KEY_FIELDS}
        rebuilt = sg._key(Term(1.0, old["quantity"], tuple(old["args"])), tuple(old["wc_names"]),
                          tuple(tuple(b) for b in old["blocks"]), float(old["scale"]), old["square"], old.get("basis"))
        if rebuilt != new:
            raise SystemExit(f"{f.name}: stored key {old} does not map onto the current format {rebuilt}")
        if new == old:
            n_kept += 1
            continue
        target = folder / f"{oc.digest(new)}.npz"
        oc.store_arrays(target, new, dict(arrays))
        if oc.load_arrays(target, new, expected) is None:
            raise SystemExit(f"{target.name}: written entry does not verify")
        f.unlink()
        n_done += 1
    print(f"re-keyed {n_done} entries, {n_kept} already current, in {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
