"""Build the shipped flavio SM theory covariances (``observables/data/theory_covariance/``).

Usage (from the repository root, with the pinned flavio installed)::

    python tools/build_theory_covariance.py            # every flavio-theory group of every vintage
    python tools/build_theory_covariance.py --seed 7   # another seed (another file)
    python tools/build_theory_covariance.py --only-missing  # compute only groups not yet in the file

For every measurement constraint flagged ``theory: flavio`` in every vintage of
``observables/data/measurements/`` it computes, with :func:`observables.likelihood.compute_theory_covariance`
(the function the package itself calls when nothing is cached: ``flavio.sm_covariance`` with numpy's global
generator seeded), the covariance for the constraint's ``theory_samples`` (else
:data:`observables.likelihood.THEORY_SAMPLES`) and writes one JSON file
``flavio-<version>_seed<seed>.json``: format, flavio/wilson/numpy versions, seed, and one entry per group
(toolkit names, flavio names with arguments, N, seed, versions, the matrix as exact decimal floats and its
SHA-256 from :func:`observables.likelihood.covariance_sha256`). The package uses an entry only if all of
that matches what is asked and installed (``observables.likelihood.shipped_covariance``), otherwise it
computes live; ``tests/test_theory_covariance_shipped.py`` recomputes a group live and compares.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def groups() -> list[tuple[tuple[str, ...], int]]:
    """(observable names, N) of every flavio-theory constraint of every vintage, in first-seen order."""
    from importlib import resources

    from observables.likelihood import THEORY_SAMPLES
    from observables.measurements import load, options_of

    vintages = sorted(p.name[:-5] for p in (resources.files("observables") / "data" / "measurements").iterdir()
                      if p.name.endswith(".yaml"))
    out: dict[tuple[tuple[str, ...], int], None] = {}
    for v in vintages:
        # the defaults, then every other choice of every option (e.g. "2026-12:RD=individual")
        selections = [v] + [f"{v}:{opt}={ch}" for opt, choices in options_of(v).items() for ch in choices[1:]]
        for sel in selections:
            for c in load(sel).constraints:
                if c.theory == "flavio":
                    # rows measuring the same observable share one SM covariance (observables.likelihood)
                    names = tuple(dict.fromkeys(c.observables))
                    out[(names, int(c.theory_samples or THEORY_SAMPLES))] = None
    return list(out)


def _reusable(path: Path, names: tuple[str, ...], N: int, seed: int) -> dict | None:
    """The entry of an existing shipped file for (names, N, seed) if it was built with the installed versions."""
    from observables import flavio_backend as fb

    if not path.is_file():
        return None
    doc = json.loads(path.read_text(encoding="utf-8"))
    for e in doc.get("entries", []):
        if (tuple(e["names"]) == names and e["N"] == N and e["seed"] == seed
                and e["flavio"] == fb.flavio_version() and e["wilson"] == fb.wilson_version()):
            return e
    return None


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    from observables import flavio_backend as fb
    from observables import likelihood as lk

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=lk.THEORY_SEED)
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).resolve().parents[1] / "observables" / "data" / "theory_covariance")
    ap.add_argument("--only-missing", action="store_true",
                    help="keep the entries of the existing file built with the installed flavio/wilson; "
                         "compute the rest")
    args = ap.parse_args(argv)

    entries = []
    todo = groups()
    t_all = time.perf_counter()
    old_path = args.out / lk.shipped_file_name(args.seed)
    for i, (names, N) in enumerate(todo, 1):
        t0 = time.perf_counter()
        kept = _reusable(old_path, names, N, args.seed) if args.only_missing else None
        if kept is not None:
            entries.append(kept)
            print(f"({i}/{len(todo)}) {', '.join(names)}: N = {N}, kept", file=sys.stderr)
            continue
        cov = lk.compute_theory_covariance(names, N=N, seed=args.seed)
        obs = [list(o) if isinstance(o, tuple) else o for o in lk._flavio_observables(names)]
        entries.append({"names": list(names), "flavio_observables": obs, "N": N, "seed": args.seed,
                        "flavio": fb.flavio_version(), "wilson": fb.wilson_version(),
                        "shape": list(cov.shape), "cov": cov.tolist(), "sha256": lk.covariance_sha256(cov),
                        "build_seconds": round(time.perf_counter() - t0, 1)})
        print(f"({i}/{len(todo)}) {', '.join(names)}: N = {N}, {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    doc = {"format": lk.SHIPPED_FORMAT,
           "description": "flavio SM covariances of the toolkit's flavio-theory measurement groups "
                          "(flavio.sm_covariance, numpy global generator seeded; tools/build_theory_covariance.py)",
           "flavio": fb.flavio_version(), "wilson": fb.wilson_version(), "numpy": np.__version__,
           "seed": args.seed, "entries": entries}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / lk.shipped_file_name(args.seed)
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(entries)} groups, {time.perf_counter() - t_all:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
