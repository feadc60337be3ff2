"""How big a scan may be before lqmodel asks for explicit consent: points, memory and disk, estimated up front.

A scan is refused (:class:`lqmodel.errors.ResourceLimitError`, one line with the estimates) when

* it has more than :data:`MAX_POINTS` points, or
* its estimated peak memory exceeds half the machine's physical memory, or
* its estimated output exceeds the free space of the output file system,

unless the configuration says ``allow_large: true`` (``lqmodel map --force-large``). The estimates are
deliberately simple upper bounds:

* memory: random/LHS samples are drawn at once, ``2 x points x parameters x 8`` bytes (unit cube and
  mapped values), plus the chunks in flight, ``(2 workers + 1) x chunk_size x columns x 8 x 4`` bytes
  (workers as started, :func:`lqmodel.scan.executors.effective_workers`)
  (columns of float64, a factor 4 for the evaluator's intermediate arrays);
* disk: chunks and ``map.parquet`` each hold ``points x columns x 8`` bytes (uncompressed float64;
  Parquet compresses, so this overestimates).

>>> from lqmodel.scan.config import ScanConfig
>>> cfg = ScanConfig.from_dict({"base": "BP2", "sampling": "random", "n_samples": 10**9,
...                             "parameters": {"y1": {"min": 0.0, "max": 1.0}}})
>>> try:
...     check_resources(cfg, n_columns=60)
... except ResourceLimitError as exc:
...     print(str(exc)[:87])
the scan has 1e+09 points (limit 1e+07), needs about 16 GB of memory and 960 GB of disk
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from lqmodel.errors import ResourceLimitError

__all__ = ["MAX_POINTS", "estimate", "check_resources"]

#: largest number of points run without ``allow_large``
MAX_POINTS = 10_000_000


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} PB"  # pragma: no cover


def estimate(config, n_columns: int) -> dict[str, float]:
    """Points, memory (bytes) and disk (bytes) of a scan with ``n_columns`` table columns."""
    points = config.n_points
    d = len(config.parameters)
    from .executors import effective_workers

    workers = effective_workers(config)  # what will run: capped at the usable CPUs for local processes
    sample_mem = 0 if config.sampling == "grid" else 2 * points * d * 8
    chunk_mem = (2 * workers + 1) * min(config.chunk_size, points) * max(n_columns, 1) * 8 * 4
    return {"points": points, "memory_bytes": sample_mem + chunk_mem,
            "disk_bytes": 2 * points * max(n_columns, 1) * 8}


def _physical_memory() -> float | None:
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def _free_disk(out_dir) -> float | None:
    p = Path(out_dir).resolve() if out_dir is not None else None
    while p is not None and not p.exists():
        p = p.parent if p.parent != p else None
    if p is None:
        return None
    try:
        return float(shutil.disk_usage(p).free)
    except OSError:  # pragma: no cover
        return None


def check_resources(config, n_columns: int, out_dir=None) -> dict[str, float]:
    """Refuse a scan above the limits (module docstring) unless ``config.allow_large``; returns the
    estimate."""
    est = estimate(config, n_columns)
    if getattr(config, "allow_large", False):
        return est
    reasons = []
    if est["points"] > MAX_POINTS:
        reasons.append("points")
    mem = _physical_memory()
    if mem is not None and est["memory_bytes"] > 0.5 * mem:
        reasons.append("memory")
    free = _free_disk(out_dir)
    if free is not None and est["disk_bytes"] > free:
        reasons.append("disk")
    if reasons:
        limits = []
        if "memory" in reasons and mem is not None:
            limits.append(f"half the memory is {_fmt_bytes(0.5 * mem)}")
        if "disk" in reasons and free is not None:
            limits.append(f"{_fmt_bytes(free)} of disk free")
        extra = f" ({'; '.join(limits)})" if limits else ""
        raise ResourceLimitError(
            f"the scan has {est['points']:.3g} points (limit {MAX_POINTS:.0e}), needs about "
            f"{_fmt_bytes(est['memory_bytes'])} of memory and {_fmt_bytes(est['disk_bytes'])} of disk{extra}; "
            "set allow_large: true in the config (or lqmodel map --force-large) to run it anyway"
        )
    return est
