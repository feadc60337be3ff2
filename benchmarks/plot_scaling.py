"""Draw the scaling figure of docs/speed.md from the JSON of ``benchmarks/bench_scan.py --json``.

Usage::

    python benchmarks/bench_scan.py --json benchmarks/output/bench_scan.json
    python benchmarks/plot_scaling.py benchmarks/output/bench_scan.json docs/speed_scaling.png

Left: ns per point of one :class:`lqmodel.evaluate.PointEvaluator` call against N, every column and
``columns: map``. Right: the tracemalloc peak per point of the same calls, with the 300-byte goal.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__)
        return 2
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rec = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    rows = rec["in_memory"]
    widest = max(r["columns"] for r in rows)
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.4), constrained_layout=True)
    for label, sel in (("every column", [r for r in rows if r["columns"] == widest]),
                       ("columns: map", [r for r in rows if r["columns"] < widest])):
        if not sel:
            continue
        n = [r["n"] for r in sel]
        a.plot(n, [r["ns_per_point"] for r in sel], "o-", label=f"{label} ({sel[0]['columns']})")
        b.plot(n, [r["peak_bytes_per_point"] for r in sel], "o-", label=label)
    b.axhline(300, color="k", ls=":", lw=1, label="goal: 300 B/point")
    for ax, ylabel in ((a, "ns per point"), (b, "peak memory per point [bytes]")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("points in one call, N")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"PointEvaluator, full verdict (load average {rec.get('loadavg_start', float('nan')):.1f}, 2 cores)",
                 fontsize=9)
    fig.savefig(args[1], dpi=120)
    print(f"wrote {args[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
