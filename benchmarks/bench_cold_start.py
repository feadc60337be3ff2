"""Cold first map against ``python -c "import flavio"``, measured side by side (issue 10, goal 1).

Usage::

    python benchmarks/bench_cold_start.py [--repeat 2] [--json out.json]

Each repetition runs, in fresh subprocesses and alternating, ``python -c "import flavio"`` and the README's
main job ``lqmodel map --benchmark default --out <tmp>`` with an EMPTY cache folder (``LQMODEL_CACHE_DIR``
pointing at a new temporary folder, as on a fresh machine) and ``LQMODEL_PROGRESS=1`` (the progress lines
are kept). It prints the wall times, their medians, the ratio map / import, the peak memory of the map
process (``resource.getrusage`` of the children) and the load average before and after (the machine is
shared: compare ratios measured in one run, not absolute seconds across runs).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _timed(cmd: list[str], env: dict) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr[-2000:]}")
    return dt, out.stderr


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    load0 = os.getloadavg()
    t_import, t_map, progress = [], [], ""
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "LQMODEL_CACHE_DIR": str(Path(tmp) / "cache"), "LQMODEL_PROGRESS": "1"}
            t_import.append(_timed([sys.executable, "-c", "import flavio"], env)[0])
            dt, progress = _timed([sys.executable, "-m", "lqmodel", "map", "--benchmark", "default",
                                   "--out", str(Path(tmp) / "out")], env)
            t_map.append(dt)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    res = {"import_flavio_s": t_import, "cold_map_s": t_map,
           "median_import_flavio_s": statistics.median(t_import), "median_cold_map_s": statistics.median(t_map),
           "ratio": statistics.median(t_map) / statistics.median(t_import), "peak_child_rss_MB": round(peak_mb),
           "loadavg_before": load0, "loadavg_after": os.getloadavg()}
    print("progress lines of the last cold map:\n" + progress.strip())
    print(f"import flavio: {', '.join(f'{t:.1f}' for t in t_import)} s (median {res['median_import_flavio_s']:.1f} s)")
    print(f"cold default map: {', '.join(f'{t:.1f}' for t in t_map)} s (median {res['median_cold_map_s']:.1f} s)")
    print(f"ratio cold map / import flavio: {res['ratio']:.2f} (goal <= 2.5); peak child RSS {peak_mb:.0f} MB; "
          f"load average {load0[0]:.1f} -> {res['loadavg_after'][0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
