"""Benchmark of the Drell-Yan tails (observables.collider.drell_yan, lqmodel.collider.drell_yan).

Run: ``python benchmarks/bench_drell_yan.py [--points 10000 100000] [--engine-points 1000000] [--repeat 2]``.
Times, on batches of random points (m_S1, m_R2 uniform in 1-5 TeV; y_LL, y~_RL, y~_LR, ybar_RR with a few
random O(1) entries):

1. :func:`lqmodel.collider.drell_yan.drell_yan` (mass-basis couplings -> coefficients -> yields -> chi2, all
   nine searches) per point;
2. the engine alone, :meth:`DrellYanSearch.delta_chi2` of the largest search (mono-electron: 48 terms, 34
   bins) on ``--engine-points`` random coefficient vectors.

``--limits`` prints the single-coupling 95% CL limits of ``docs/collider.md`` instead. Best of ``--repeat``.
Writes ``benchmarks/output/bench_drell_yan.json``. Nothing here is a test.
"""
from __future__ import annotations

import argparse
import json
import os
import timeit
import warnings
from pathlib import Path

import numpy as np


def _best(fn, repeat: int) -> float:
    """Best of ``repeat`` single runs (s)."""
    return min(timeit.repeat(fn, number=1, repeat=repeat))


def _random_points(n: int, rng):
    from lqmodel.point import Point

    def mat(scale, entries):
        m = np.zeros((n, 3, 3))
        for i, j in entries:
            m[:, i, j] = rng.normal(scale=scale, size=n)
        return m

    return Point(m_S1=rng.uniform(1000, 5000, n), m_R2=rng.uniform(1000, 5000, n),
                 y_LL=mat(1.0, [(2, 1), (1, 2), (0, 2), (2, 2)]), yt_RL=mat(1.0, [(2, 2), (1, 1)]),
                 yt_LR=mat(0.5, [(1, 0), (2, 0)]), ybar_RR=mat(0.5, [(2, 0)]))


def limits() -> None:
    """Single-coupling limits (chi2 - chi2_min = 3.84 along the coupling), the table of docs/collider.md."""
    from lqmodel.collider.drell_yan import drell_yan
    from lqmodel.point import Point

    ys = np.linspace(0.0, 4.0, 801)

    def one(field, idx, basis, search, m):
        c = np.zeros((len(ys), 3, 3))
        c[:, idx[0], idx[1]] = ys
        chi = drell_yan(Point(m_S1=m, m_R2=m, quark_basis=basis, **{field: c}))[search]["chi2"]
        above = chi > chi.min() + 3.841458820694124
        return ys[np.argmax(above)] if above.any() else np.inf

    cases = [("S1 s1_uc_eL[u,tau]", "y_LL", (0, 2), "up", ("mono-tau_ATLAS-CONF-2021-025", "di-tau_ATLAS_2002_12223")),
             ("S1 s1_uc_eL[c,tau]", "y_LL", (1, 2), "up", ("mono-tau_ATLAS-CONF-2021-025", "di-tau_ATLAS_2002_12223")),
             ("S1 s1_uc_eL[u,mu]", "y_LL", (0, 1), "up", ("mono-muon_ATLAS_1906_05609", "di-muon_CMS_2103_02708")),
             ("S1 s1_uc_eL[u,e]", "y_LL", (0, 0), "up",
              ("mono-electron_ATLAS_1906_05609", "di-electron_CMS_2103_02708")),
             ("S1 s1_uc_eR[u,tau]", "y_RR", (0, 2), "down", ("di-tau_ATLAS_2002_12223",)),
             ("R2t r2_d_eL[d,tau]", "yt_RL", (0, 2), "down", ("di-tau_ATLAS_2002_12223",)),
             ("R2t r2_d_eL[b,tau]", "yt_RL", (2, 2), "down", ("di-tau_ATLAS_2002_12223",)),
             ("R2t r2_d_eL[d,mu]", "yt_RL", (0, 1), "down", ("di-muon_CMS_2103_02708",)),
             ("R2t r2_d_eL[s,mu]", "yt_RL", (1, 1), "down", ("di-muon_CMS_2103_02708",))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # perturbativity warnings at y ~ 4
        for name, field, idx, basis, searches in cases:
            for s in searches:
                print(f"{name:<22} {s:<32}", "  ".join(f"{one(field, idx, basis, s, m):5.2f}" for m in (1e3, 2e3, 3e3)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--engine-points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--limits", action="store_true")
    args = ap.parse_args()
    if args.limits:
        limits()
        return

    from lqmodel.collider.drell_yan import drell_yan
    from observables.collider.drell_yan import load_search

    rng = np.random.default_rng(3)
    rows = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        drell_yan(_random_points(10, rng))  # load the data files
        for n in args.points:
            p = _random_points(n, rng)
            rows[f"drell_yan_{n}"] = (n, _best(lambda p=p: drell_yan(p), args.repeat))
    s = load_search("mono-electron_ATLAS_1906_05609")
    n = args.engine_points
    c = rng.uniform(-1, 1, size=(n, len(s.term_names)))
    masses = {"S1": rng.uniform(1000, 5000, n), "R2t": rng.uniform(1000, 5000, n)}
    rows[f"engine_mono-electron_{n}"] = (n, _best(lambda: s.delta_chi2(masses, c), args.repeat))
    out = {"cpu_count": os.cpu_count(), "load_average": os.getloadavg(),
           "seconds": {k: t for k, (_, t) in rows.items()},
           "microseconds_per_point": {k: 1e6 * t / n for k, (n, t) in rows.items()}}
    for k, (n, t) in rows.items():
        print(f"  {k:<34} {t:8.3f} s   {1e6 * t / n:8.2f} us/point")
    path = Path(__file__).parent / "output" / "bench_drell_yan.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
