"""Benchmark of the EW/tau observables (SMEFT-basis specs): surrogate build cost, agreement with direct
flavio on unseen points, and surrogate throughput.

Run: ``python benchmarks/bench_electroweak.py [--points 1000000] [--direct 10]``. Two leptoquark setups at
1 TeV: (a) S1 with y_b tau (the tau-flavour R(D*) direction; SMEFT lq1_3333, lq3_3333, and with the default
finite one-loop terms of lqmodel.ew_oneloop phil1_33, phil3_33), (b) the Voloshin pair in the muon flavour with
y1, y2 (lq1_2233, lq3_2233, ld_2233; + phil1_22, phil3_22). For each: build the surrogates of the eight
EW/tau observables (cold cache in a temporary folder), compare with direct flavio at ``--direct`` random
points (log-uniform couplings up to 2.5), and time the surrogate on ``--points`` points. Writes
``benchmarks/output/bench_electroweak.json``. Nothing here is a test.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

EW = ("R_e_Z", "R_mu_Z", "R_tau_Z", "A_tau_Z", "Gamma_Z_nunu", "Rtaumu_W", "BR_tau_enunu", "BR_tau_mununu")
M = 1000.0


def _points(setup: str, n: int, rng):
    from lqmodel.models import s1_only, voloshin

    y = np.exp(rng.uniform(np.log(0.05), np.log(2.5), n))
    if setup == "s1_tau":
        return s1_only(M, 0.0, y, "tau")
    y1 = np.exp(rng.uniform(np.log(0.01), np.log(1.0), n))
    return voloshin(m_LQ=M, y1=y1, y2=y, lepton="mu")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--direct", type=int, default=10)
    args = ap.parse_args()
    os.environ.setdefault("LQMODEL_CACHE_DIR", tempfile.mkdtemp(prefix="lqmodel-bench-ew-"))
    warnings.simplefilter("ignore")
    from lqmodel.flavour import predict
    from observables import flavio_backend as fb

    fb._import_flavio()
    rng = np.random.default_rng(20261201)
    report: dict = {"scale_GeV": M, "observables": list(EW), "setups": {}}
    for setup in ("s1_tau", "voloshin_mu"):
        build = _points(setup, 2, rng)
        t0 = time.perf_counter()
        predict(build, EW)
        t_build = time.perf_counter() - t0
        direct = _points(setup, args.direct, rng)
        t0 = time.perf_counter()
        fl = predict(direct, EW, method="flavio")
        t_flavio = (time.perf_counter() - t0) / args.direct
        sur = predict(direct, EW)
        diff = {n: float(np.max(np.abs(sur[n] / fl[n] - 1))) for n in EW}
        big = _points(setup, args.points, rng)
        t0 = time.perf_counter()
        predict(big, EW)
        t_big = time.perf_counter() - t0
        report["setups"][setup] = {
            "build_seconds_cold": t_build, "flavio_seconds_per_point": t_flavio,
            "surrogate_seconds": t_big, "surrogate_points": args.points,
            "max_relative_difference_vs_flavio": diff,
        }
        print(f"{setup}: build {t_build:.1f} s (cold), flavio {t_flavio:.2f} s/point, surrogate "
              f"{args.points} points in {t_big:.2f} s (incl. SMEFT matching)")
        for n in EW:
            print(f"   {n:15s} max |sur/flavio - 1| = {diff[n]:.1e}")
    out = Path(__file__).parent / "output" / "bench_electroweak.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
