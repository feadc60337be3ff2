"""Surrogate accuracy and cold-start cost of the issue-8 observables (R_mu/e, R_tau/mu, B_s -> ll, B -> K tau
tau, high-q^2 B -> K mu mu, B -> X_s gamma, K -> pi nu nu, eps_K, x12_D, tau -> 3 mu, tau -> phi mu).

Run: ``python benchmarks/bench_flavour_extra.py [--direct 6]``. For each observable: build the surrogate at
1 TeV in the coefficients a leptoquark point moves (listed in ``WCS``), then compare it with direct flavio
(default integration tolerance) at ``--direct`` random points whose new-physics effect is O(10%) of the SM
(or, for pure-NP observables, of the size of the limit); then time flavio's SM covariance of each new
measurement group with the vintage's ``theory_samples``. Writes ``benchmarks/output/bench_flavour_extra.json``.
Nothing here is a test.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

SCALE = 1000.0
#: observable -> {coefficient: typical magnitude of the random complex value}
WCS = {
    "Rmue_Dstar": {"CVL_bcmunumu": 0.05, "CSL_bcmunumu": 0.05, "CT_bcmunumu": 0.02, "CVL_bcenue": 0.02},
    "Rmue_D": {"CVL_bcmunumu": 0.05, "CSL_bcmunumu": 0.05, "CT_bcmunumu": 0.02, "CVL_bcenue": 0.02},
    "Rtaumu_Dstar": {"CVL_bctaunutau": 0.05, "CSL_bctaunutau": 0.05, "CT_bctaunutau": 0.02, "CVL_bcmunumu": 0.03},
    "Rtaumu_D": {"CVL_bctaunutau": 0.05, "CSL_bctaunutau": 0.05, "CT_bctaunutau": 0.02, "CVL_bcmunumu": 0.03},
    "BR_Bs_mumu": {"C10_bsmumu": 0.3, "C9_bsmumu": 0.3, "C10p_bsmumu": 0.3, "CS_bsmumu": 0.02, "CP_bsmumu": 0.02},
    "BR_Bs_tautau": {"C10_bstautau": 50.0, "C10p_bstautau": 50.0, "CS_bstautau": 5.0},
    "BR_B+_Ktautau": {"C9_bstautau": 50.0, "C10_bstautau": 50.0, "C9p_bstautau": 50.0, "C10p_bstautau": 50.0},
    "dBR_B+_Kmumu[15.0,22.0]": {"C9_bsmumu": 0.3, "C10_bsmumu": 0.3, "C9p_bsmumu": 0.3, "C10p_bsmumu": 0.3},
    "BR_B_Xsgamma": {"C7_bs": 0.03, "C7p_bs": 0.03, "C8_bs": 0.1},
    "BR_K+_pinunu": {"CL_sdnumunumu": 1.0, "CL_sdnutaunutau": 1.0, "CL_sdnumunutau": 1.0, "CR_sdnumunumu": 1.0},
    "BR_KL_pinunu": {"CL_sdnumunumu": 1.0, "CL_sdnutaunutau": 1.0, "CL_sdnumunutau": 1.0, "CR_sdnumunumu": 1.0},
    "eps_K": {"CVLL_sdsd": 2e-15, "CVRR_sdsd": 2e-15, "CVLR_sdsd": 1e-16},
    "x12_D": {"CVLL_ucuc": 3e-13, "CVRR_ucuc": 3e-13, "CVLR_ucuc": 1e-13},
    "BR_tau_mumumu": {"Cgamma_taumu": 1e-9, "CVLL_mumutaumu": 1e-8, "CVLR_taumumumu": 1e-8},
    "BR_tau_phimu": {"CVLR_taumuss": 1e-8, "CVLL_taumuss": 1e-8, "Cgamma_taumu": 1e-9},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--direct", type=int, default=6)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--only", nargs="*", default=None, help="observables to run (default: all of WCS)")
    args = ap.parse_args()

    from observables import flavio_backend as fb
    from observables.likelihood import theory_covariance
    from observables.measurements import load
    from observables.surrogate import get_surrogate

    t0 = time.perf_counter()
    fb._import_flavio()
    out: dict = {"import_flavio_s": time.perf_counter() - t0, "scale_GeV": SCALE, "observables": {}, "theory": {}}
    rng = np.random.default_rng(args.seed)
    for name, sizes in WCS.items():
        if args.only and name not in args.only:
            continue
        t = time.perf_counter()
        s = get_surrogate(name, SCALE, list(sizes))
        t_build = time.perf_counter() - t
        rel = []
        t_direct = 0.0
        for _ in range(args.direct):
            wc = {k: complex(rng.normal(0, v), rng.normal(0, v)) for k, v in sizes.items()}
            t = time.perf_counter()
            direct = fb.np_prediction(name, wc, SCALE)
            t_direct += time.perf_counter() - t
            sur = float(s(wc))
            rel.append(abs(sur - direct) / abs(direct) if direct != 0 else abs(sur))
        out["observables"][name] = {"build_s": t_build, "flavio_calls": s.info["n_flavio_calls"],
                                    "n_wc": len(sizes), "max_rel_diff": float(max(rel)),
                                    "direct_s_per_point": t_direct / args.direct}
        print(f"{name:26s} build {t_build:7.1f} s ({s.info['n_flavio_calls']:4d} calls)  "
              f"max |sur/flavio - 1| = {max(rel):.1e}  direct {t_direct / args.direct:.2f} s/pt", flush=True)
    new = set(args.only or WCS)
    for c in load().constraints:
        if c.theory == "flavio" and new & set(c.observables):
            t = time.perf_counter()
            theory_covariance(c.observables)
            dt = time.perf_counter() - t
            out["theory"][c.name] = {"seconds": dt, "samples": c.theory_samples}
            print(f"theory covariance {c.name!r}: {dt:.1f} s ({c.theory_samples} samples)", flush=True)
    path = Path(os.path.dirname(__file__)) / "output" / "bench_flavour_extra.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
