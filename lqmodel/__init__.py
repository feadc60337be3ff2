"""lqmodel — the S1 + R2~ + N_R leptoquark model in the neutrino magnetic moment portal.

Importing this package is light: it imports neither flavio nor runs sympy. The parameter point
(:class:`Point`, :func:`vary`) and the model constructors are imported eagerly (numpy only);
``compute_moments`` (lqmodel.moments), ``match`` and ``predict`` (lqmodel.matching / lqmodel.flavour)
are imported on first access.
"""
from __future__ import annotations

import importlib
from typing import Any

from lqmodel.models import couplings_cS_cR, s1_only, voloshin, voloshin_mismatch, voloshin_split
from lqmodel.point import MassBasisCouplings, PerturbativityWarning, Point, PointError, vary

__version__ = "0.1.0"

#: lazily imported names -> module that defines them
_LAZY = {
    "compute_moments": "lqmodel.moments",
    "Moments": "lqmodel.moments",
    "match": "lqmodel.matching",
    "WilsonCoefficients": "lqmodel.matching",
    "predict": "lqmodel.flavour",
}

__all__ = [
    "__version__", "Point", "MassBasisCouplings", "vary", "PointError", "PerturbativityWarning",
    "s1_only", "voloshin", "voloshin_split", "voloshin_mismatch", "couplings_cS_cR", *_LAZY,
]


#: sub-packages / facades imported on first attribute access (``import lqmodel; lqmodel.collider``)
_LAZY_MODULES = ("collider", "neutrino", "constants", "flavour", "fit")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _LAZY_MODULES:
        return importlib.import_module(f"lqmodel.{name}")
    raise AttributeError(f"module 'lqmodel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_MODULES))
