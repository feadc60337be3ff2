"""Benchmark of the loops engine: cold/warm symbolic derivation and vectorised throughput.

Run: ``python benchmarks/bench_loops.py`` (uses a fresh temporary cache directory for the cold run).
Prints a short table; nothing here is a test.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import numpy as np

_DERIVE = (
    "import time, sympy; from lqmodel import derivation as D; t=time.perf_counter(); "
    "D.expression('mu_nu'); D.expression('m_nuN'); t1=time.perf_counter(); "
    "[D.expression(n) for n in D.list_expressions()]; print(t1-t, time.perf_counter()-t)"
)


def _derivation_times() -> tuple[list[float], list[float], float]:
    """(cold [mu_nu+m_nuN, all], warm [mu_nu+m_nuN, all], python+sympy start-up), each in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, LQMODEL_CACHE_DIR=tmp)
        run = lambda: [float(v) for v in subprocess.run(  # noqa: E731
            [sys.executable, "-c", _DERIVE], env=env, check=True, capture_output=True, text=True).stdout.split()]
        cold = run()
        warm = run()
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sympy"], check=True)
        sympy_import = time.perf_counter() - t0
    return cold, warm, sympy_import


def _throughput(n: int = 1_000_000) -> dict[str, float]:
    from loops import numeric
    from lqmodel.moments import m_nuN_GeV, mu_nu_muB

    rng = np.random.default_rng(1)
    m_lq = rng.uniform(100.0, 1e5, n)
    m_r = m_lq * (1 + rng.uniform(-1e-3, 1e-3, n))
    c = rng.uniform(0.0, 1.0, n)
    mb = rng.uniform(1.0, 5.0, n)
    out = {}
    for label, fn in [
        ("g(x), 1e6 x", lambda: numeric.g((mb / m_lq) ** 2)),
        ("delta_F, 1e6 pairs", lambda: numeric.delta_F(mb, m_lq, m_r)),
        ("mu_nu_muB, 1e6 points", lambda: mu_nu_muB(c, c, mb, m_lq, m_r)),
        ("m_nuN_GeV, 1e6 points", lambda: m_nuN_GeV(c, c, mb, m_lq, m_r)),
    ]:
        fn()
        t0 = time.perf_counter()
        fn()
        out[label] = time.perf_counter() - t0
    return out


def _compute_moments_batch(n: int = 100_000) -> float:
    from lqmodel.models import voloshin_split
    from lqmodel.moments import compute_moments

    rng = np.random.default_rng(2)
    m = rng.uniform(100.0, 1e5, n)
    p = voloshin_split(m, m * (1 + 1e-6), rng.uniform(0, 1, n), rng.uniform(0, 1, n), "mu")
    t0 = time.perf_counter()
    compute_moments(p)
    return time.perf_counter() - t0


def main() -> None:
    cold, warm, imp = _derivation_times()
    print("loops benchmark (wall-clock seconds)")
    n = len(__import__("lqmodel.derivation", fromlist=["x"]).list_expressions())
    print(f"  {'mu_nu + m_nuN derivation, cold cache':40s} {cold[0]:8.3f}")
    print(f"  {'mu_nu + m_nuN derivation, warm cache':40s} {warm[0]:8.3f}")
    print(f"  {f'all {n} named expressions, cold cache':40s} {cold[1]:8.3f}")
    print(f"  {f'all {n} named expressions, warm cache':40s} {warm[1]:8.3f}")
    print(f"  {'(python start-up + import sympy)':40s} {imp:8.3f}")
    for label, t in _throughput().items():
        print(f"  {label:40s} {t:8.3f}")
    print(f"  {'compute_moments, 1e5 full 3x3x3 points':40s} {_compute_moments_batch():8.3f}")


if __name__ == "__main__":
    main()
