r"""Run a coupling-map scan and draw it: the one function behind ``lqmodel map`` and notebook 02.

:func:`run_map` checks everything that can be checked before the output folder exists (base point, the
corners of the scanned ranges, evaluation options, the size limits of :mod:`lqmodel.scan.limits`), locks
the folder, runs (or resumes) the scan with :func:`lqmodel.scan.run_scan`, draws the map with
:func:`lqmodel.plotting.maps.plot_map` — with exactly the layers the evaluator's table must have
(:func:`lqmodel.columns.expected_layers`, so a column missing from the table is an error) — and records
the timings and plot files in the manifest.

>>> from lqmodel.scan.benchmarks import map_benchmark
>>> _plane(map_benchmark("default"))
('m_LQ', 'y1y2')
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["MapRun", "run_map", "map_subtitle"]


@dataclass
class MapRun:
    """What :func:`run_map` did: the scan's :class:`~lqmodel.scan.runner.ScanResult` (``scan``), the
    matplotlib Figure (None without a plot), the files written (table first), timings in seconds and
    the validated configuration (a benchmark base replaced by its point)."""

    scan: Any
    figure: Any
    files: list[str]
    timing_s: dict[str, float]
    config: Any
    folder: Path = field(default_factory=Path)

    def table(self):
        """The table as a pandas DataFrame."""
        return self.scan.table().to_pandas()


def map_subtitle(config, base) -> str:
    """The CLI maps' subtitle: confidence level, flavour threshold and (when fixed) m_b."""
    import numpy as np

    cl = float(config.evaluation.get("cl", 0.9))
    m_b = np.unique(np.asarray(base.m_b, dtype=float))
    return (f"XENON1T/XENONnT at {100 * cl:.0f}% CL; flavour exclusions at $\\Delta\\chi^2 > 4$"
            + (f"; $m_b = {m_b[0]:g}$ GeV" if m_b.size == 1 and "m_b" not in config.parameter_names else ""))


def _plane(config) -> tuple[str, str] | None:
    """The plotted (x, y): the config's ``plot`` choice, else the first two scanned parameters."""
    names = config.parameter_names
    if len(names) < 2:
        return None
    x = config.plot.get("x", names[0])
    return x, config.plot.get("y", names[1] if names[1] != x else names[0])


def run_map(config, out: str | Path, *, plot: bool = True, progress: bool | None = None,
            subtitle: str | bool | None = True, marker_label: str | None = None, evaluator=None) -> MapRun:
    """Scan ``config`` (a :class:`~lqmodel.scan.config.ScanConfig`) into folder ``out`` and draw
    ``out/map.png`` and ``map.pdf`` (``plot=False``: the table only).

    ``subtitle``: True = :func:`map_subtitle`, a string, or None/False for none. ``marker_label``: label of
    the base point's star (default "base point <name>"). ``evaluator``: default
    ``PointEvaluator.from_options(config.evaluation)``. Errors a user can cause are
    :class:`~lqmodel.errors.LqmodelError` raised before the folder is created.
    """
    from lqmodel.evaluate import PointEvaluator, resolve_base
    from lqmodel.scan import run_scan
    from lqmodel.scan.config import check_against_base
    from lqmodel.scan.limits import check_resources
    from lqmodel.scan.storage import FolderLock, ScanStore

    t0 = time.perf_counter()
    base = resolve_base(config.base)  # a bad base point fails here, before any folder is created
    check_against_base(config, base)
    if isinstance(config.base, str):
        # store the benchmark point itself (not just its name) in config.yaml and the fingerprint, so the
        # output folder records exactly what was scanned even if the benchmark table changes later
        from lqmodel.benchmarks import info

        config = config.replace(base=dict(info(config.base).point_spec))
    evaluator = evaluator if evaluator is not None else PointEvaluator.from_options(config.evaluation)
    evaluator = evaluator.for_config(config)
    evaluator.check_config(config)
    check_resources(config, n_columns=len(evaluator.units) + len(config.parameters) + 1, out_dir=out)
    store = ScanStore(out)
    store.check_usable()
    with FolderLock(out) as lock:
        warm = _warm_plotting_during(config) if plot else None
        result = run_scan(config, out, evaluator, progress=progress, lock=lock)
        t_scan = time.perf_counter() - t0
        files = [str(result.table_path)]
        fig = None
        if warm is not None:
            warm.join()
        if plot:
            fig, plots = _draw(config, evaluator, result.table_path, Path(out) / "map", subtitle, marker_label)
            files += plots
        timing = {"scan": round(t_scan, 3), "total": round(time.perf_counter() - t0, 3)}
        store.write_manifest({"timing_s": timing, "plots": [Path(f).name for f in files[1:]]})
        store.update_run(len(store.manifest().get("runs") or []) - 1, {"timing_s": timing})
    return MapRun(scan=result, figure=fig, files=files, timing_s=timing, config=config, folder=Path(out))


def _warm_plotting_during(config) -> threading.Thread | None:
    """With local worker processes computing the chunks, this process mostly waits: import the plotting
    stack (matplotlib, its Agg and PDF backends, the fonts) and build matplotlib's mathtext grammar in a
    background thread meanwhile, about 1 s the plot would otherwise spend after the scan. Serial scans do
    not (the thread would compete with the evaluation for the interpreter). Returns the started thread."""
    from lqmodel.scan.executors import choose_executor

    if choose_executor(config.executor, config.n_points, config.n_chunks)[0] != "process":
        return None
    thread = threading.Thread(target=_warm_plotting, name="lqmodel-plot-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_plotting() -> None:
    """What every plot needs first (:func:`_warm_plotting_during`); any failure is left to the plot."""
    import importlib

    try:
        for name in ("lqmodel.plotting.maps", "matplotlib.figure", "matplotlib.backends.backend_agg",
                     "matplotlib.backends.backend_pdf", "matplotlib.font_manager"):
            importlib.import_module(name)
        from matplotlib.mathtext import MathTextParser

        MathTextParser("agg").parse(r"$m_{\rm LQ}$", 100)  # builds matplotlib's shared mathtext grammar
    except Exception:  # noqa: BLE001 - a warm-up only: the plot itself reports any real problem
        pass


def _draw(config, evaluator, table_path, stem: Path, subtitle, marker_label):
    """The map of the scan's table with the layers its evaluator writes; (figure, [png, pdf])."""
    from lqmodel.columns import expected_layers
    from lqmodel.evaluate import resolve_base
    from lqmodel.plotting.maps import plot_map

    base = resolve_base(config.base)
    plane = _plane(config)
    if plane is None:
        return None, []
    x, y = plane
    lepton = config.evaluation.get("lepton") or base.lepton
    if subtitle is True:
        subtitle = map_subtitle(config, base)
    fig = plot_map(
        table_path, x, y, lepton=lepton, scales={r.name: r.scale for r in config.parameters},
        parameters=config.parameter_names, fix=config.plot.get("fix") or {}, title=config.title or None,
        subtitle=subtitle or None, out=stem, benchmark=_base_marker(config.base, base, (x, y), marker_label),
        layers=expected_layers(evaluator),
    )
    return fig, [str(stem.with_suffix(".png")), str(stem.with_suffix(".pdf"))]


def _base_marker(spec: Any, base: Any, names: tuple[str, str], label: str | None = None) -> dict[str, Any] | None:
    """The base point's (x, y) for the map's star marker, labelled with the benchmark name (None when the
    base is a batch or the plotted parameters cannot be read off it)."""
    from lqmodel.plotting.maps import base_coordinates

    if getattr(base, "batch_shape", ()) != ():
        return None
    coords = base_coordinates(base, names)
    if set(names) - set(coords):
        return None
    if label is None:
        name = spec if isinstance(spec, str) else (getattr(base, "label", None) or "")
        label = f"base point {name}".strip()
    return {**coords, "label": label}
