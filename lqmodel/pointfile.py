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

MODULES. This module is the public face of the format; the parsing of a mapping into Point arguments,
the matrix encoding and the file text live in :mod:`lqmodel.point_codec` (which imports no Point), the
mapping -> Point step in :func:`lqmodel.point.point_from_mapping`; names, units and the keV -> GeV
conversion of ``M_N_keV`` in :mod:`lqmodel.vocabulary`. Imports go one way: vocabulary <- point_codec
<- point <- pointfile.

>>> p = point_from_mapping({"model": "voloshin", "m_S1": 1000.0, "m_R2": 1000.0, "y1": 0.05, "y2": 1.0,
...                         "lepton": "mu", "m_b": 4.18})
>>> float(p.ybar_RR[2, 0].real), float(p.yt_RL[2, 1].real), float(p.y_LL[2, 1].real), float(p.yt_LR[2, 0].real)
(0.05, -0.05, 1.0, -1.0)
"""
from __future__ import annotations

import os

from lqmodel.point import Point, loads_point, point_from_mapping
from lqmodel.point_codec import (
    ALLOWED_KEYS,
    M_B_TOLERANCE,
    PointFileError,
    decode_matrix,
    decode_y_nu,
    dumps_point_dict,
    encode_matrix,
    read_point_data,
    write_point_text,
)

# re-exported (explicit `X as X`): the errors the docstring names
from lqmodel.point_codec import PointError as PointError
from lqmodel.point_codec import UnknownNameError as UnknownNameError

__all__ = [
    "PointFileError", "ALLOWED_KEYS", "encode_matrix", "decode_matrix", "decode_y_nu", "point_from_mapping",
    "load_point", "save_point", "loads_point", "dumps_point",
]

_M_B_TOLERANCE = M_B_TOLERANCE  # old private name (lqmodel.scan.config, lqmodel.fit)


def load_point(path: str | os.PathLike) -> Point:
    """Read a point file (``.json`` as JSON, anything else as YAML, which also reads JSON)."""
    data, name = read_point_data(path)
    return point_from_mapping(data, source=name)


def dumps_point(point: Point, fmt: str = "yaml") -> str:
    """Serialise a scalar point as YAML or JSON text (lossless)."""
    return dumps_point_dict(point.to_dict(), fmt)


def save_point(point: Point, path: str | os.PathLike) -> None:
    """Write ``point`` to ``path``: JSON for ``.json``, YAML for ``.yaml``/``.yml``; atomic replace."""
    write_point_text(path, point.to_dict)
