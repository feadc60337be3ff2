r"""Point files: one parameter point of the model as YAML (or JSON).

FORMAT (every key optional unless marked; unknown keys are refused with a did-you-mean)::

    label: "BP2"           # free text
    model: voloshin        # voloshin | s1 | general   (default general)
    lepton: mu             # e | mu | tau: flavour of the shorthand y2 and y1p (required for them)
    m_S1: 1000.0           # GeV, S1 mass (required)
    m_R2: 1000.0           # GeV, mass of R2~^(-1/3) (required unless model: s1, where it defaults to m_S1
                           #      and is irrelevant because all R2~ couplings vanish)
    m_LQ: 1000.0           # GeV, shorthand for m_S1 = m_R2 (not together with m_S1/m_R2)
    m_R2_23: 1000.0        # GeV, mass of R2~^(2/3) (default: m_R2)
    y1: 0.05               # b_R N_R S1 coupling  = ybar_RR[b, N1]      (model s1 | voloshin)
    y2: 1.0                # Q_3 L S1 coupling    = y_LL[b, lepton]     (model s1 | voloshin)
    y1p: 0.0               # t_R l_R S1 coupling  = y_RR[t, lepton]     (model s1 | voloshin)
    m_b: 4.18              # GeV, b mass in the loop (default: the reference value of m_b_scheme)
    m_b_scheme: MSbar(mb)  # MSbar(mb) (4.18) | MSbar(1TeV) (2.4133) | pole (4.78) | custom
    quark_basis: down      # down (Q_i = (V^dagger u_L, d_L)_i) | up (Q_i = (u_L, V d_L)_i)
    N_type: dirac          # dirac | majorana
    M_N: 0.0               # GeV, sterile-neutrino mass  (or M_N_keV: in keV, not both)
    kappa: 0.0             # GeV, trilinear kappa (R2~^dagger H) S1^dagger + h.c.
    y_LL:    [[0,0,0],[0,0,0],[0,0,0]]   # full 3x3 matrices [quark generation, lepton e/mu/tau or N]:
    y_RR:    ...                          #   y_LL, y_RR, ybar_RR (S1); yt_RL, yt_LR (R2~)
    ybar_RR: ...                          #   in the basis given by quark_basis (docs/theory.md §a.3)
    yt_RL:   ...
    yt_LR:   ...
    y_nu: {mu: 1.0e-12}    # tree-level Dirac Yukawa -y_nu Lbar H~ N_R + h.c. [lepton, N] (default 0):
                           #   lepton -> coupling of N1 ({e: .., mu: .., tau: ..}), or a 3 x n matrix
                           #   [lepton e/mu/tau][N_1..N_n], n = 1..3 (missing N columns are 0); m_D = y_nu v/sqrt2

Matrix entries are numbers (real), ``[re, im]`` pairs, or strings Python's ``complex()`` reads
(``"0.1+0.2j"``). Files written by :func:`save_point` use numbers for real entries and ``[re, im]``
otherwise, with floats in their shortest round-trip form, so a save/load round trip is bit-exact.

SHORTHAND AND MATRICES. The matrices are read first (default zero); then the shorthand y1, y2, y1p sets
its entries: for ``model: s1`` only the S1 entries; for ``model: voloshin`` also the R2~ partners fixed by
the SU(2)_H relation of docs/theory.md §a.4, ``yt_RL[b, lepton] = -conj(y1)`` and ``yt_LR[b, N1] =
-conj(y2)`` (so c_R = c_S, see :mod:`lqmodel.models`). Indices: b = down-quark index 2, t = up index 2,
N1 = N index 0. A point with ``model: voloshin`` whose matrices violate the relation is refused.

m_b AND ITS SCHEME. If m_b is given together with a scheme other than ``custom`` and differs from that
scheme's reference value by more than 5%, the file is refused (write ``m_b_scheme: custom``).

Errors: :class:`PointFileError` (malformed YAML/JSON, with the file name) and the errors of
:mod:`lqmodel.point` (:class:`~lqmodel.point.PointError`, :class:`~lqmodel.point.UnknownNameError`).

>>> p = point_from_mapping({"model": "voloshin", "m_S1": 1000.0, "m_R2": 1000.0, "y1": 0.05, "y2": 1.0,
...                         "lepton": "mu", "m_b": 4.18})
>>> float(p.ybar_RR[2, 0].real), float(p.yt_RL[2, 1].real), float(p.y_LL[2, 1].real), float(p.yt_LR[2, 0].real)
(0.05, -0.05, 1.0, -1.0)
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lqmodel.atomic import write_bytes_atomic
from lqmodel.errors import ParseError, shorten
from lqmodel.point import (
    MATRIX_FIELDS, MODELS, M_B_SCHEMES, Point, PointError, UnknownNameError, _check_choice, _did_you_mean, m_b_of_scheme,
    vary,
)

__all__ = [
    "PointFileError", "ALLOWED_KEYS", "encode_matrix", "decode_matrix", "decode_y_nu", "point_from_mapping", "load_point",
    "save_point", "loads_point",
]

#: every key a point file may contain
ALLOWED_KEYS: tuple[str, ...] = (
    "label", "model", "lepton", "m_S1", "m_R2", "m_LQ", "m_R2_23", "y1", "y2", "y1p", "m_b", "m_b_scheme",
    "quark_basis", "N_type", "M_N", "M_N_keV", "kappa", *MATRIX_FIELDS, "y_nu",
)
_M_B_TOLERANCE = 0.05


class PointFileError(ParseError):
    """A point file that cannot be read or parsed (one-line message naming the file)."""


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
            raise PointError(f"{where}: cannot read {shorten(v)} as a complex number (use e.g. 0.1, [0.1, 0.2] or '0.1+0.2j')") from None
    if isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
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
    from lqmodel.point import LEPTON_INDEX, LEPTONS

    out = np.zeros((3, 3), dtype=complex)
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k not in LEPTON_INDEX:
                raise UnknownNameError(f"y_nu: unknown lepton {shorten(k)}.{_did_you_mean(k, LEPTONS)} Allowed: "
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


def point_from_mapping(d: Mapping[str, Any], *, source: str = "point") -> Point:
    """Build a :class:`Point` from a point-file mapping (format in the module docstring).

    Errors name ``source`` (the file name) first: ``"<source>: <what is wrong and what is allowed>"``.
    """
    try:
        return _build(d, source)
    except (PointError, UnknownNameError) as exc:
        msg = str(exc)
        if msg.startswith(f"{source}: "):
            raise
        raise type(exc)(f"{source}: {msg}") from None


def _build(d: Mapping[str, Any], source: str) -> Point:
    if not isinstance(d, Mapping):
        raise PointFileError(f"{source}: a point must be a mapping of keys to values; got {type(d).__name__}")
    for k in d:
        if k not in ALLOWED_KEYS:
            raise UnknownNameError(
                f"{source}: unknown key {shorten(k)}.{_did_you_mean(k, ALLOWED_KEYS)} Allowed keys: {', '.join(ALLOWED_KEYS)}"
            )
    model = d.get("model", "general")
    _check_choice("model", model, MODELS)
    kw: dict[str, Any] = {"model": model}
    for k in ("label", "m_b_scheme", "quark_basis", "N_type", "lepton"):
        if k in d and d[k] is not None:
            kw[k] = d[k] if k != "label" else str(d[k])

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
    for k in ("kappa", "M_N"):
        if k in d:
            kw[k] = _real(k, d[k])
    if "M_N_keV" in d:
        if "M_N" in d:
            raise PointError(f"{source}: give either M_N (GeV) or M_N_keV, not both")
        kw["M_N"] = _real("M_N_keV", d["M_N_keV"]) / 1e6
        if not (math.isfinite(kw["M_N"]) and kw["M_N"] >= 0):
            raise PointError(f"{source}: M_N_keV must be a finite, non-negative mass in keV; got {shorten(d['M_N_keV'])}")
    if "m_b" in d:
        kw["m_b"] = _real("m_b", d["m_b"])
        scheme = kw.get("m_b_scheme", "MSbar(mb)")
        if scheme in M_B_SCHEMES and M_B_SCHEMES[scheme] is not None:
            ref = m_b_of_scheme(scheme)
            if math.isfinite(kw["m_b"]) and abs(kw["m_b"] / ref - 1) > _M_B_TOLERANCE:
                raise PointError(
                    f"{source}: m_b = {kw['m_b']} GeV does not match m_b_scheme {shorten(scheme)} ({ref} GeV); "
                    "set m_b_scheme: custom to use your own value, or another scheme "
                    f"({', '.join(M_B_SCHEMES)})"
                )
    elif kw.get("m_b_scheme") == "custom":
        raise PointError(f"{source}: m_b_scheme custom needs an explicit m_b (GeV)")
    for k in MATRIX_FIELDS:
        if k in d:
            kw[k] = decode_matrix(k, d[k])
    if "y_nu" in d:
        kw["y_nu"] = decode_y_nu(d["y_nu"])

    shorthand = {k: d[k] for k in ("y1", "y2", "y1p") if k in d}
    if not shorthand:
        return Point(**kw)
    if model not in ("s1", "voloshin"):
        raise PointError(f"{source}: the shorthand {', '.join(shorthand)} needs model 's1' or 'voloshin' (got {shorten(model)}); "
                         "use the full matrices for model 'general'")
    for k, v in shorthand.items():
        shorthand[k] = _coupling(k, v)
    import warnings

    from lqmodel.point import PerturbativityWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerturbativityWarning)  # warned once, for the final couplings
        base = Point(**kw)
    return vary(base, shorthand)


def _coupling(name: str, v: Any) -> complex:
    """A shorthand coupling: number, [re, im] or complex string."""
    try:
        z = _entry(name, 0, 0, v)
    except PointError:
        raise PointError(f"{name} must be a number, [re, im] or a complex string like '0.1+0.2j'; got {shorten(v)}") from None
    if not (math.isfinite(z.real) and math.isfinite(z.imag)):
        raise PointError(f"{name} must be finite (no NaN or inf); got {shorten(v)}")
    return z


def _parse_text(text: str, name: str, suffix: str) -> Any:
    """YAML/JSON text -> data with :mod:`lqmodel.safe_load` (no code, duplicate keys refused, YAML 1.2
    floats such as ``1e-3``, bounded size and depth)."""
    from lqmodel.safe_load import loads

    try:
        return loads(text, name=name, fmt="json" if suffix == ".json" else "yaml")
    except ParseError as exc:
        raise PointFileError(str(exc)) from None


def loads_point(text: str, *, name: str = "<string>", fmt: str = "yaml") -> Point:
    """Parse a point from YAML (``fmt="yaml"``) or JSON (``fmt="json"``) text."""
    data = _parse_text(text, name, ".json" if fmt == "json" else ".yaml")
    if data is None:
        raise PointFileError(f"{name}: the file is empty")
    return point_from_mapping(data, source=name)


def load_point(path: str | os.PathLike) -> Point:
    """Read a point file (``.json`` as JSON, anything else as YAML, which also reads JSON)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PointFileError(f"{p}: no such point file") from None
    except IsADirectoryError:
        raise PointFileError(f"{p}: is a directory, not a point file") from None
    except UnicodeDecodeError:
        raise PointFileError(f"{p}: not a text (UTF-8) file") from None
    return loads_point(text, name=str(p), fmt="json" if p.suffix.lower() == ".json" else "yaml")


def dumps_point(point: Point, fmt: str = "yaml") -> str:
    """Serialise a scalar point as YAML or JSON text (lossless)."""
    d = point.to_dict()
    if fmt == "json":
        return json.dumps(d, indent=2) + "\n"
    if fmt != "yaml":
        raise UnknownNameError(f"unknown format {shorten(fmt)}; allowed: 'yaml', 'json'")
    import yaml

    return yaml.safe_dump(d, sort_keys=False, default_flow_style=None, allow_unicode=True)


def save_point(point: Point, path: str | os.PathLike) -> None:
    """Write ``point`` to ``path``: JSON for ``.json``, YAML for ``.yaml``/``.yml``; atomic replace."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise PointFileError(f"{p}: unknown point-file extension {shorten(suffix)}; use .yaml, .yml or .json")
    text = dumps_point(point, "json" if suffix == ".json" else "yaml")
    write_bytes_atomic(p, text.encode("utf-8"))
