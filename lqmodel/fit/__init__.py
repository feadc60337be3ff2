"""Fits in the couplings of the model: a combined likelihood, best fit, profiles and posterior samples.

* :mod:`lqmodel.fit.likelihood` — :class:`CombinedLikelihood` (flavour, electroweak, Drell-Yan, pair
  production, XENON1T/XENONnT Poisson likelihoods, published moment limits; each term switchable);
* :mod:`lqmodel.fit.config` — the YAML fit configuration (:func:`load_fit_config`);
* :mod:`lqmodel.fit.run` — iminuit best fit / MINOS intervals, 1-D and 2-D profiles, emcee sampling,
  resumable output folders (:func:`run_fit`);
* :mod:`lqmodel.fit.plots` — profile curves and contours, corner plot.

``lqmodel fit CONFIG --out DIR`` is the command line; ``docs/fits.md`` documents the statistics.
The heavy modules (iminuit, emcee, matplotlib, flavio) are imported only when used.
"""
from __future__ import annotations

import importlib
from typing import Any

__all__ = ["run_fit", "load_fit_config", "FitConfig", "FitConfigError", "CombinedLikelihood", "build_terms",
           "THRESHOLDS", "builtin_config", "list_builtin_configs"]

_LAZY = {
    "run_fit": "lqmodel.fit.run",
    "THRESHOLDS": "lqmodel.fit.run",
    "load_fit_config": "lqmodel.fit.config",
    "FitConfig": "lqmodel.fit.config",
    "FitConfigError": "lqmodel.fit.config",
    "CombinedLikelihood": "lqmodel.fit.likelihood",
    "build_terms": "lqmodel.fit.likelihood",
}


def list_builtin_configs() -> list[str]:
    """Names of the built-in fit configs (``lqmodel/data/fits/*.yaml``)."""
    from importlib import resources

    root = resources.files("lqmodel").joinpath("data", "fits")
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def builtin_config(name: str):
    """The built-in fit config ``name`` (a validated :class:`FitConfig`)."""
    from importlib import resources

    from lqmodel.fit.config import FitConfig, FitConfigError
    from lqmodel.safe_load import loads

    names = list_builtin_configs()
    if name not in names:
        raise FitConfigError(f"unknown built-in fit {name!r}; available: {', '.join(names)}")
    text = resources.files("lqmodel").joinpath("data", "fits", f"{name}.yaml").read_text(encoding="utf-8")
    return FitConfig.from_dict(loads(text, name=f"{name}.yaml", fmt="yaml"))


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lqmodel.fit' has no attribute {name!r}")
