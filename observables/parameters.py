r"""Physical parameters with uncertainties and sources, loaded from ``observables/data/parameters.yaml``.

Every number that comes from outside (masses, couplings, CKM inputs) lives in that data file with its
unit and source; this module only reads it. Units: GeV, GeV^-2 for :math:`G_F`, radians for the CKM
phase.

>>> from observables.parameters import value, bohr_magneton
>>> round(1 / value("alpha_0"), 6)
137.035999
>>> round(bohr_magneton(), 3)  # mu_B = e / (2 m_e) in GeV^-1, e = sqrt(4 pi alpha(0)); docs/theory.md §a.1
296.304
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from observables.package_yaml import load_yaml

__all__ = ["Parameter", "parameters", "value", "bohr_magneton", "ckm_matrix", "schema_version"]


@dataclass(frozen=True)
class Parameter:
    """One physical parameter: central value, 1-sigma uncertainty, unit and source."""

    name: str
    value: float
    uncertainty: float
    unit: str
    source: str


@lru_cache(maxsize=1)
def _load() -> tuple[int, dict[str, Parameter]]:
    text = resources.files("observables").joinpath("data/parameters.yaml").read_text(encoding="utf-8")
    raw = load_yaml(text)
    out = {
        name: Parameter(name, float(d["value"]), float(d.get("uncertainty", 0.0)), str(d["unit"]), str(d["source"]))
        for name, d in raw["parameters"].items()
    }
    return int(raw["schema_version"]), out


def parameters() -> dict[str, Parameter]:
    """All parameters, keyed by name (a fresh dict; the loaded table itself is immutable)."""
    return dict(_load()[1])


def schema_version() -> int:
    """Version of the parameter file; part of every on-disk cache key that depends on parameters."""
    return _load()[0]


def value(name: str) -> float:
    """Central value of parameter ``name`` in the unit given in the data file.

    Raises ``KeyError`` with the list of known names if ``name`` is unknown.
    """
    table = _load()[1]
    try:
        return table[name].value
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, table, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown parameter {name!r}.{hint} Known: {', '.join(sorted(table))}") from None


def bohr_magneton() -> float:
    r"""Bohr magneton :math:`\mu_B = e/(2 m_e)` in GeV^-1 with :math:`e=\sqrt{4\pi\alpha(0)}` (docs/theory.md §a.1)."""
    return math.sqrt(4 * math.pi * value("alpha_0")) / (2 * value("m_e"))


def ckm_matrix() -> np.ndarray:
    r"""CKM matrix :math:`V_{ij}` (rows u,c,t; columns d,s,b) in the standard phase convention.

    Built from the tree-level inputs (V_us, |V_ub|, V_cb, gamma) exactly as flavio 2.7.1 does
    (``ckmutil.ckm.ckm_tree``, exact delta–gamma relation), so that Wilson coefficients matched here are
    normalised consistently with flavio's SM amplitudes.
    """
    from ckmutil.ckm import ckm_tree  # light (numpy only); a flavio dependency

    return np.asarray(ckm_tree(value("Vus"), value("Vub"), value("Vcb"), value("gamma_CKM")), dtype=complex)
