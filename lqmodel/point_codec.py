r"""The point-file format without the Point class: errors, matrix encoding, mapping -> constructor arguments.

This is the lower half of :mod:`lqmodel.pointfile` (which documents the format). It does not import
:mod:`lqmodel.point`, so :mod:`lqmodel.point` can read and write its own files through it and
:mod:`lqmodel.pointfile` imports both: the former ``point`` <-> ``pointfile`` import cycle is gone.
Names, units and conversions come from :mod:`lqmodel.vocabulary`.

>>> kw, shorthand = point_kwargs({"m_LQ": 1000.0, "M_N_keV": 5.0, "model": "s1", "y2": 1.0, "lepton": "mu"})
>>> kw["m_S1"], kw["m_R2"], kw["M_N"], shorthand
(1000.0, 1000.0, 5e-06, {'y2': (1+0j)})
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lqmodel.errors import InputError, ParseError, shorten
from lqmodel.vocabulary import (
    LEPTON_INDEX,
    LEPTONS,
    M_B_SCHEMES,
    MODELS,
    QUARK_MATRIX_FIELDS,
    did_you_mean,
    keV_to_GeV,
)

__all__ = [
    "PointError", "UnknownNameError", "PointFileError", "ALLOWED_KEYS", "M_B_TOLERANCE", "check_choice",
    "m_b_of_scheme", "encode_matrix", "decode_matrix", "decode_y_nu", "point_kwargs", "SHORTHAND_KEYS",
    "read_point_data", "parse_point_text", "dumps_point_dict", "write_point_text",
]


class PointError(InputError):
    """An invalid parameter point (one-line message: what is wrong and what is allowed)."""


class UnknownNameError(InputError, KeyError):
    """An unknown key, field or option name; the message lists close matches."""

    def __str__(self) -> str:  # plain message, not KeyError's repr
        return str(self.args[0]) if self.args else ""


class PointFileError(ParseError):
    """A point file that cannot be read or parsed (one-line message naming the file)."""


# the classes keep the public module names of the documented hierarchy (lqmodel.errors)
PointError.__module__ = UnknownNameError.__module__ = "lqmodel.point"
PointFileError.__module__ = "lqmodel.pointfile"

#: the shorthand couplings of a point file (set by lqmodel.point.vary after the matrices)
SHORTHAND_KEYS: tuple[str, ...] = ("y1", "y2", "y1p")
#: every key a point file may contain
ALLOWED_KEYS: tuple[str, ...] = (
    "label", "model", "lepton", "m_S1", "m_R2", "m_LQ", "m_R2_23", *SHORTHAND_KEYS, "m_b", "m_b_scheme",
    "quark_basis", "N_type", "M_N", "M_N_keV", "kappa", *QUARK_MATRIX_FIELDS, "y_nu",
)
#: a point file's m_b may differ from its scheme's reference value by at most this (relative)
M_B_TOLERANCE = 0.05


def check_choice(what: str, value: Any, allowed) -> None:
    """``value`` must be one of ``allowed`` (strings); else :class:`UnknownNameError` with a did-you-mean."""
    if not isinstance(value, str) or value not in allowed:
        raise UnknownNameError(
            f"unknown {what} {shorten(value)}.{did_you_mean(value, allowed)} Allowed: {', '.join(map(repr, allowed))}"
        )


def m_b_of_scheme(scheme: str) -> float:
    """Reference b-quark mass in GeV of ``scheme`` (from observables/data/parameters.yaml; docs/theory.md §b.4).

    >>> m_b_of_scheme("MSbar(mb)"), m_b_of_scheme("MSbar(1TeV)")
    (4.18, 2.4133)
    """
    check_choice("m_b_scheme", scheme, tuple(M_B_SCHEMES))
    key = M_B_SCHEMES[scheme]
    if key is None:
        raise PointError("m_b_scheme 'custom' has no reference value: give m_b explicitly (GeV)")
    from observables.parameters import value

    return value(key)


# ---------------------------------------------------------------------- matrices
def encode_matrix(m: np.ndarray) -> list[list[Any]]:
    """3x3 complex matrix -> nested lists: float for real entries (imag +0.0), ``[re, im]`` otherwise.

    >>> encode_matrix(np.array([[1, 0, 0], [0, 1j, 0], [0, 0, -0.5 + 0.25j]]))
    [[1.0, 0.0, 0.0], [0.0, [0.0, 1.0], 0.0], [0.0, 0.0, [-0.5, 0.25]]]
    """
    out = []
    for row in np.asarray(m, dtype=complex):
        r = []
        for z in row:
            re, im = float(z.real), float(z.imag)
            r.append(re if (im == 0.0 and not math.copysign(1.0, im) < 0) else [re, im])
        out.append(r)
    return out


def _entry(name: str, i: int, j: int, v: Any) -> complex:
    where = f"{name}[{i}][{j}]"
    if isinstance(v, bool):
        raise PointError(f"{where} must be a number, [re, im] or a complex string; got {shorten(v)}")
    if isinstance(v, (int, float)):
        return complex(float(v), 0.0)
    if isinstance(v, str):
        try:
            return complex(v.replace(" ", ""))
        except ValueError:
            raise PointError(f"{where}: cannot read {shorten(v)} as a complex number "
                             "(use e.g. 0.1, [0.1, 0.2] or '0.1+0.2j')") from None
    if (isinstance(v, (list, tuple)) and len(v) == 2
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)):
        return complex(float(v[0]), float(v[1]))
    raise PointError(f"{where} must be a number, [re, im] or a complex string like '0.1+0.2j'; got {shorten(v)}")


def decode_matrix(name: str, value: Any) -> np.ndarray:
    """Nested 3x3 list (entries number | [re, im] | complex string) -> complex (3, 3) array."""
    if not isinstance(value, (list, tuple)) or len(value) != 3 or not all(
        isinstance(r, (list, tuple)) and len(r) == 3 for r in value
    ):
        shape = np.shape(value) if isinstance(value, (list, tuple)) else type(value).__name__
        raise PointError(f"{name} must be a 3x3 list of lists [quark][lepton/N]; got {shape}")
    return np.array([[_entry(name, i, j, v) for j, v in enumerate(row)] for i, row in enumerate(value)], dtype=complex)


def decode_y_nu(value: Any) -> np.ndarray:
    """``y_nu`` of a point file -> complex (3, 3) [lepton, N]: a mapping lepton -> coupling of N_1, or a
    3 x n nested list (n = 1, 2, 3; the N columns not given are zero)."""
    out = np.zeros((3, 3), dtype=complex)
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k not in LEPTON_INDEX:
                raise UnknownNameError(f"y_nu: unknown lepton {shorten(k)}.{did_you_mean(k, LEPTONS)} Allowed: "
                                       f"{', '.join(LEPTONS)} (each -> the coupling of N_1)")
            out[LEPTON_INDEX[k], 0] = _entry("y_nu", LEPTON_INDEX[k], 0, v)
        return out
    if (not isinstance(value, (list, tuple)) or len(value) != 3
            or not all(isinstance(r, (list, tuple)) and 1 <= len(r) <= 3 for r in value)
            or len({len(r) for r in value}) != 1):
        shape = np.shape(value) if isinstance(value, (list, tuple)) else type(value).__name__
        raise PointError(f"y_nu must be a mapping lepton -> coupling (e.g. {{mu: 1.0e-12}}) or a 3 x n list of lists "
                         f"[lepton e, mu, tau][N_1..N_n] with n = 1, 2 or 3; got {shorten(shape)}")
    for i, row in enumerate(value):
        for j, v in enumerate(row):
            out[i, j] = _entry("y_nu", i, j, v)
    return out


def _real(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise PointError(f"{name} must be a real number; got {shorten(v)}")
    return float(v)


def _coupling(name: str, v: Any) -> complex:
    """A shorthand coupling: number, [re, im] or complex string."""
    try:
        z = _entry(name, 0, 0, v)
    except PointError:
        raise PointError(f"{name} must be a number, [re, im] or a complex string like '0.1+0.2j'; "
                         f"got {shorten(v)}") from None
    if not (math.isfinite(z.real) and math.isfinite(z.imag)):
        raise PointError(f"{name} must be finite (no NaN or inf); got {shorten(v)}")
    return z


# ---------------------------------------------------------------------- mapping -> Point arguments
def point_kwargs(d: Mapping[str, Any], source: str = "point") -> tuple[dict[str, Any], dict[str, complex]]:
    """A point-file mapping -> (keyword arguments of :class:`lqmodel.point.Point`, shorthand couplings
    for :func:`lqmodel.point.vary`), in named steps: keys, choices, masses, sterile mass, m_b, matrices,
    shorthand. Errors name ``source`` where the message is about the file's keys."""
    if not isinstance(d, Mapping):
        raise PointFileError(f"{source}: a point must be a mapping of keys to values; got {type(d).__name__}")
    _check_keys(d, source)
    model = d.get("model", "general")
    check_choice("model", model, MODELS)
    kw: dict[str, Any] = {"model": model}
    for k in ("label", "m_b_scheme", "quark_basis", "N_type", "lepton"):
        if k in d and d[k] is not None:
            kw[k] = d[k] if k != "label" else str(d[k])
    kw.update(_masses(d, model, source))
    kw.update(_sterile_and_kappa(d, source))
    kw.update(_m_b(d, kw.get("m_b_scheme"), source))
    kw.update(_matrices(d))
    return kw, _shorthand(d, model, source)


def _check_keys(d: Mapping[str, Any], source: str) -> None:
    for k in d:
        if k not in ALLOWED_KEYS:
            raise UnknownNameError(
                f"{source}: unknown key {shorten(k)}.{did_you_mean(k, ALLOWED_KEYS)} "
                f"Allowed keys: {', '.join(ALLOWED_KEYS)}"
            )


def _masses(d: Mapping[str, Any], model: str, source: str) -> dict[str, float]:
    """m_S1, m_R2 (or m_LQ for both; m_R2 defaults to m_S1 for model s1), m_R2_23."""
    kw: dict[str, float] = {}
    if "m_LQ" in d:
        for k in ("m_S1", "m_R2"):
            if k in d:
                raise PointError(f"{source}: give either m_LQ or m_S1/m_R2, not both")
        kw["m_S1"] = kw["m_R2"] = _real("m_LQ", d["m_LQ"])
        if not (math.isfinite(kw["m_S1"]) and kw["m_S1"] > 0):  # name the key the user wrote, not m_S1
            raise PointError(f"{source}: m_LQ must be a positive, finite mass in GeV; got {shorten(d['m_LQ'])}")
    else:
        if "m_S1" not in d:
            raise PointError(f"{source}: m_S1 (GeV) is required (or m_LQ for equal S1 and R2~ masses)")
        kw["m_S1"] = _real("m_S1", d["m_S1"])
        if "m_R2" in d:
            kw["m_R2"] = _real("m_R2", d["m_R2"])
        elif model == "s1":
            kw["m_R2"] = kw["m_S1"]
        else:
            raise PointError(f"{source}: m_R2 (GeV, mass of R2~^(-1/3)) is required for model {shorten(model)}")
    if d.get("m_R2_23") is not None:
        kw["m_R2_23"] = _real("m_R2_23", d["m_R2_23"])
    return kw


def _sterile_and_kappa(d: Mapping[str, Any], source: str) -> dict[str, float]:
    """kappa [GeV] and M_N [GeV] or M_N_keV [keV] (converted by lqmodel.vocabulary.keV_to_GeV)."""
    kw = {k: _real(k, d[k]) for k in ("kappa", "M_N") if k in d}
    if "M_N_keV" in d:
        if "M_N" in d:
            raise PointError(f"{source}: give either M_N (GeV) or M_N_keV, not both")
        kw["M_N"] = keV_to_GeV(_real("M_N_keV", d["M_N_keV"]))
        if not (math.isfinite(kw["M_N"]) and kw["M_N"] >= 0):
            raise PointError(f"{source}: M_N_keV must be a finite, non-negative mass in keV; "
                             f"got {shorten(d['M_N_keV'])}")
    return kw


def _m_b(d: Mapping[str, Any], scheme: str | None, source: str) -> dict[str, float]:
    """m_b, checked against its scheme's reference value (M_B_TOLERANCE) unless the scheme is custom."""
    if "m_b" not in d:
        if scheme == "custom":
            raise PointError(f"{source}: m_b_scheme custom needs an explicit m_b (GeV)")
        return {}
    m_b = _real("m_b", d["m_b"])
    scheme = scheme or "MSbar(mb)"
    if scheme in M_B_SCHEMES and M_B_SCHEMES[scheme] is not None:
        ref = m_b_of_scheme(scheme)
        if math.isfinite(m_b) and abs(m_b / ref - 1) > M_B_TOLERANCE:
            raise PointError(
                f"{source}: m_b = {m_b} GeV does not match m_b_scheme {shorten(scheme)} ({ref} GeV); "
                "set m_b_scheme: custom to use your own value, or another scheme "
                f"({', '.join(M_B_SCHEMES)})"
            )
    return {"m_b": m_b}


def _matrices(d: Mapping[str, Any]) -> dict[str, np.ndarray]:
    kw = {k: decode_matrix(k, d[k]) for k in QUARK_MATRIX_FIELDS if k in d}
    if "y_nu" in d:
        kw["y_nu"] = decode_y_nu(d["y_nu"])
    return kw


def _shorthand(d: Mapping[str, Any], model: str, source: str) -> dict[str, complex]:
    shorthand = {k: d[k] for k in SHORTHAND_KEYS if k in d}
    if shorthand and model not in ("s1", "voloshin"):
        raise PointError(f"{source}: the shorthand {', '.join(shorthand)} needs model 's1' or 'voloshin' "
                         f"(got {shorten(model)}); use the full matrices for model 'general'")
    return {k: _coupling(k, v) for k, v in shorthand.items()}


# ---------------------------------------------------------------------- text and files
def parse_point_text(text: str, name: str, fmt: str = "yaml") -> Any:
    """YAML/JSON text -> data with :mod:`lqmodel.safe_load` (no code, duplicate keys refused, YAML 1.2
    floats such as ``1e-3``, bounded size and depth); an empty file is an error."""
    from lqmodel.safe_load import loads

    try:
        data = loads(text, name=name, fmt="json" if fmt == "json" else "yaml")
    except ParseError as exc:
        raise PointFileError(str(exc)) from None
    if data is None:
        raise PointFileError(f"{name}: the file is empty")
    return data


def read_point_data(path: str | os.PathLike) -> tuple[Any, str]:
    """Read a point file (``.json`` as JSON, anything else as YAML) -> (data, name for messages)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PointFileError(f"{p}: no such point file") from None
    except IsADirectoryError:
        raise PointFileError(f"{p}: is a directory, not a point file") from None
    except UnicodeDecodeError:
        raise PointFileError(f"{p}: not a text (UTF-8) file") from None
    return parse_point_text(text, str(p), "json" if p.suffix.lower() == ".json" else "yaml"), str(p)


def dumps_point_dict(d: Mapping[str, Any], fmt: str = "yaml") -> str:
    """A point's :meth:`~lqmodel.point.Point.to_dict` as YAML or JSON text (lossless)."""
    if fmt == "json":
        return json.dumps(d, indent=2) + "\n"
    if fmt != "yaml":
        raise UnknownNameError(f"unknown format {shorten(fmt)}; allowed: 'yaml', 'json'")
    import yaml

    return yaml.safe_dump(dict(d), sort_keys=False, default_flow_style=None, allow_unicode=True)


def write_point_text(path: str | os.PathLike, make_dict) -> None:
    """Write ``make_dict()`` (a point's dict, made after the suffix is checked) to ``path``: JSON for
    ``.json``, YAML for ``.yaml``/``.yml``; atomic replace."""
    from lqmodel.atomic import write_bytes_atomic

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise PointFileError(f"{p}: unknown point-file extension {shorten(suffix)}; use .yaml, .yml or .json")
    write_bytes_atomic(p, dumps_point_dict(make_dict(), "json" if suffix == ".json" else "yaml").encode("utf-8"))
