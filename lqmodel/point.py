r"""Parameter points of the S1 + R2~ + N_R model: masses, coupling matrices, scheme and basis choices.

SOURCE: the Yukawa Lagrangian of docs/theory.md §a.3 (Doršner et al. arXiv:1603.04993 Sec. 2 conventions,
:math:`\epsilon^{12}=+1`):

.. math::

    \mathcal L_{S_1} = y^{LL}_{ij}\,\bar Q^C_i i\tau_2 L_j\,S_1 + y^{RR}_{ij}\,\bar u^C_{Ri} e_{Rj}\,S_1
      + \bar y^{RR}_{ij}\,\bar d^C_{Ri} N_{Rj}\,S_1 + \text{h.c.}

    \mathcal L_{\tilde R_2} = -\tilde y^{RL}_{ij}\,\bar d_{Ri}\tilde R_2^a\epsilon^{ab}L^b_j
      + \tilde y^{LR}_{ij}\,\bar Q_i \tilde R_2 N_{Rj} + \text{h.c.}

First matrix index: quark generation (doublet generation for :math:`Q`, mass eigenstate for
:math:`u_R, d_R`); second index: lepton flavour e, mu, tau (or the N_R index). Units: masses in GeV,
couplings dimensionless, :math:`\kappa` in GeV.

QUARK BASIS (docs/theory.md §a.1, §f.7). ``quark_basis="down"`` (default): :math:`Q_i = ((V^\dagger u_L)_i,
d_{Li})`; ``quark_basis="up"``: :math:`Q_i = (u_{Li}, (V d_L)_i)`, with :math:`V` the CKM matrix of
:func:`observables.parameters.ckm_matrix`. Expanding :math:`\bar Q^C_i i\tau_2 L_j = u^{(i)T} C e_j - d^{(i)T}
C\nu_j` (:math:`\bar\psi^C` carries no complex conjugation) and :math:`\bar Q_i = (\overline{u^{(i)}},
\overline{d^{(i)}})` gives the mass-basis coefficients of :class:`MassBasisCouplings`:

=============  ==========================================  ========================  ==========================
name           operator (+ h.c.)                            down basis                up basis
=============  ==========================================  ========================  ==========================
s1_uc_eL       :math:`\bar u^C_{Li} e_{Lj} S_1`             :math:`V^* y^{LL}`        :math:`y^{LL}`
s1_dc_nuL      :math:`\bar d^C_{Li} \nu_{Lj} S_1`           :math:`-y^{LL}`           :math:`-V^T y^{LL}`
s1_uc_eR       :math:`\bar u^C_{Ri} e_{Rj} S_1`             :math:`y^{RR}`            :math:`y^{RR}`
s1_dc_NR       :math:`\bar d^C_{Ri} N_{Rj} S_1`             :math:`\bar y^{RR}`       :math:`\bar y^{RR}`
r2_d_eL        :math:`\bar d_{Ri} e_{Lj} \tilde R_2^{2/3}`  :math:`-\tilde y^{RL}`    :math:`-\tilde y^{RL}`
r2_d_nuL       :math:`\bar d_{Ri}\nu_{Lj}\tilde R_2^{-1/3}` :math:`+\tilde y^{RL}`    :math:`+\tilde y^{RL}`
r2_u_NR        :math:`\bar u_{Li} N_{Rj}\tilde R_2^{2/3}`   :math:`V\tilde y^{LR}`    :math:`\tilde y^{LR}`
r2_d_NR        :math:`\bar d_{Li} N_{Rj}\tilde R_2^{-1/3}`  :math:`\tilde y^{LR}`     :math:`V^\dagger\tilde y^{LR}`
=============  ==========================================  ========================  ==========================

(down basis: docs/theory.md §a.3; up basis derived the same way: the down component of :math:`Q_i` is
:math:`\sum_k V_{ik} d_{Lk}`, so :math:`-\sum_i y^{LL}_{ij} V_{ik} = -(V^T y^{LL})_{kj}` and
:math:`\overline{(Vd)_i} = \sum_k V^*_{ik}\bar d_k` gives :math:`(V^\dagger \tilde y^{LR})_{kj}`). Hence the
same physics is described by :math:`y^{LL}_{up} = V^* y^{LL}_{down}` and
:math:`\tilde y^{LR}_{up} = V\tilde y^{LR}_{down}` (see :meth:`Point.to_quark_basis`).

BATCHES. Every numeric field may be an array; all fields broadcast to one batch shape ``B`` (matrices
``(*B, 3, 3)``). Stored arrays are read-only broadcast views; a scalar point (``B == ()``) stores Python
floats and ``(3, 3)`` complex arrays.

NAMES. Field names, units, the shorthand of :func:`vary` and the lepton names come from
:mod:`lqmodel.vocabulary` (re-exported here); the file format is read and written through
:mod:`lqmodel.point_codec` (this module does not import :mod:`lqmodel.pointfile`).

SERIALISATION (YAML/JSON, see :mod:`lqmodel.pointfile`): matrices are nested 3x3 lists whose entries are
a number when the entry is real (imaginary part +0.0) and ``[re, im]`` otherwise; floats are written with
``repr`` (shortest round-trip form), so files round-trip bit-exactly.

>>> from lqmodel.point import Point
>>> import numpy as np
>>> p = Point(m_S1=1000.0, m_R2=1000.0)
>>> p.batch_shape, p.m_b, p.m_b_scheme, p.quark_basis
((), 4.18, 'MSbar(mb)', 'down')
>>> Point(m_S1=-1.0, m_R2=1000.0)
Traceback (most recent call last):
...
lqmodel.point.PointError: m_S1 must be a positive, finite mass in GeV; got -1.0
"""
from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from lqmodel import vocabulary as _vocab
from lqmodel.errors import shorten
from lqmodel.point_codec import (
    PointError,
    UnknownNameError,
    check_choice,
    encode_matrix,
    m_b_of_scheme,
    parse_point_text,
    point_kwargs,
    read_point_data,
    write_point_text,
)
from lqmodel.vocabulary import (
    LEPTON_INDEX,
    LEPTONS,
    M_B_SCHEMES,
    MODELS,
    N_TYPES,
    POINT_SHORTHAND,
    QUARK_BASES,
    did_you_mean,
    parse_matrix_entry,
)

__all__ = [
    "Point", "MassBasisCouplings", "vary", "PointError", "UnknownNameError", "PerturbativityWarning",
    "LEPTONS", "LEPTON_INDEX", "M_B_SCHEMES", "QUARK_BASES", "N_TYPES", "MODELS", "SCALAR_FIELDS",
    "MATRIX_FIELDS", "LEPTON_MATRIX_FIELDS", "ALL_MATRIX_FIELDS", "PERTURBATIVITY_LIMIT", "MASS_BASIS_TERMS",
    "m_b_of_scheme",
    "point_from_mapping", "loads_point",
]

SCALAR_FIELDS: tuple[str, ...] = _vocab.SCALAR_FIELDS
#: the leptoquark coupling matrices [quark, lepton/N]
MATRIX_FIELDS: tuple[str, ...] = _vocab.QUARK_MATRIX_FIELDS
#: coupling matrices without a quark index: the tree-level Dirac Yukawa y_nu [lepton, N]
LEPTON_MATRIX_FIELDS: tuple[str, ...] = _vocab.LEPTON_MATRIX_FIELDS
#: every matrix field of a Point (validated, batched, serialised and varied alike)
ALL_MATRIX_FIELDS: tuple[str, ...] = MATRIX_FIELDS + LEPTON_MATRIX_FIELDS
_POSITIVE_MASSES = ("m_S1", "m_R2", "m_R2_23", "m_b")
#: perturbativity bound |y| <= sqrt(4 pi) on every Yukawa entry (a warning, not an error)
PERTURBATIVITY_LIMIT: float = math.sqrt(4.0 * math.pi)
#: b quark (down index 2), top (up index 2), N_1 (N index 0): used by the shorthand y1, y2, y1p
B_INDEX, T_INDEX, N1_INDEX = 2, 2, 0

#: For each mass-basis coupling: (quark component, quark written as conjugate spinor psi-bar^C?,
#: lepton component, scalar component) of the operator  qbar(^C) l phi  (names of lqmodel.fields).
MASS_BASIS_TERMS: Mapping[str, tuple[str, bool, str, str]] = {
    "s1_uc_eL": ("u_L", True, "e_L", "S1"),
    "s1_dc_nuL": ("d_L", True, "nu_L", "S1"),
    "s1_uc_eR": ("u_R", True, "e_R", "S1"),
    "s1_dc_NR": ("d_R", True, "N_R", "S1"),
    "r2_d_eL": ("d_R", False, "e_L", "R2~^(2/3)"),
    "r2_d_nuL": ("d_R", False, "nu_L", "R2~^(-1/3)"),
    "r2_u_NR": ("u_L", False, "N_R", "R2~^(2/3)"),
    "r2_d_NR": ("d_L", False, "N_R", "R2~^(-1/3)"),
}


#: longest point label (characters): labels go into plot titles, tables and messages
MAX_LABEL = 200


class PerturbativityWarning(UserWarning):
    r"""A coupling exceeds the perturbativity bound :math:`|y| > \sqrt{4\pi}`; results are unreliable."""


_did_you_mean = did_you_mean  # the package's one helper (lqmodel.vocabulary); old private name kept
_check_choice = check_choice


def _example(bad: np.ndarray, arr: np.ndarray) -> str:
    idx = np.argwhere(bad)[0]
    v = arr[tuple(idx)]
    if arr.ndim == 0:
        return f"got {shorten(v)}" if not isinstance(v, np.generic) else f"got {v.item()!r}"
    return f"{int(bad.sum())} of {bad.size} entries are not, e.g. {v.item()!r} at index {tuple(int(i) for i in idx)}"


def _real_array(name: str, value: Any) -> np.ndarray:
    """``value`` as a real numeric array (no copy when possible); refuses complex, bool, strings."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - ragged lists etc.
        raise PointError(f"{name} must be a real number or array of numbers; got {shorten(value)} ({exc})") from None
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        if arr.dtype.kind == "c":
            raise PointError(f"{name} must be real; got a complex value")
        raise PointError(f"{name} must be a real number or array of numbers; got {shorten(value)}")
    return arr


def _compact(arr: np.ndarray) -> np.ndarray:
    """Undo broadcasting: axes with stride 0 (and length > 1) are reduced to length 1 (a view)."""
    if arr.ndim == 0 or all(s != 0 or n <= 1 for s, n in zip(arr.strides, arr.shape, strict=True)):
        return arr
    return arr[tuple(slice(0, 1) if (s == 0 and n > 1) else slice(None)
                     for s, n in zip(arr.strides, arr.shape, strict=True))]


def _owned_copy(arr: np.ndarray, dtype: DTypeLike) -> np.ndarray:
    """A read-only array of ``dtype`` that nobody else can write: ``arr`` itself if it already is one
    (read-only and owning its data, e.g. the fresh arrays made by :func:`vary`), else a compact copy."""
    if arr.dtype == dtype and not arr.flags.writeable and arr.flags.owndata:
        return arr
    out = np.array(_compact(arr), dtype=dtype)
    out.setflags(write=False)
    return out


def _matrix_array(name: str, value: Any) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001
        raise PointError(f"{name} must be a 3x3 matrix of numbers (or an array of shape (*B, 3, 3)); "
                         f"got {shorten(value)}") from None
    if arr.dtype == bool or arr.dtype.kind not in "iufc":
        raise PointError(f"{name} must be a 3x3 matrix of (complex) numbers; got entries of type {arr.dtype}")
    if arr.ndim < 2 or arr.shape[-2:] != (3, 3):
        raise PointError(f"{name} must have shape (3, 3) or (*B, 3, 3) [quark, lepton/N]; got shape {arr.shape}")
    return arr


def _has_bits(m: np.ndarray) -> bool:
    """True unless every entry is exactly +0.0 + 0.0j (so -0.0 entries still round-trip)."""
    a = np.asarray(m, dtype=complex)
    return bool(np.any(a != 0) or np.any(np.signbit(a.real)) or np.any(np.signbit(a.imag)))


def _rotate(U: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``U @ M`` for a constant 3x3 ``U`` and a batch ``M`` of shape ``(*B, 3, 3)``, entry by entry over the
    batch (stacked 3x3 matmuls are slow), skipping the entries of ``M`` that are zero in the whole batch;
    the result is stored entry-major (each matrix entry contiguous over the batch)."""
    if M.ndim == 2:
        return U @ M
    nz = np.any(M != 0, axis=tuple(range(M.ndim - 2)))
    out = np.zeros((3, 3) + M.shape[:-2], dtype=complex)
    for a in range(3):
        rows = [j for j in range(3) if nz[j, a]]
        for i in range(3):
            for j in rows:
                out[i, a] += U[i, j] * M[..., j, a]
    return np.moveaxis(out, (0, 1), (-2, -1))


def _readonly(arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    out = np.broadcast_to(arr, shape)
    if out.flags.writeable:  # pragma: no cover - broadcast_to views are read-only already
        out.setflags(write=False)
    return out


def _present(arrays: Mapping[str, np.ndarray | None], name: str) -> np.ndarray:
    """A field :meth:`Point._as_arrays` always fills (only m_R2_23 may be None there)."""
    a = arrays[name]
    if a is None:  # pragma: no cover - _as_arrays refuses a missing required field first
        raise PointError(f"{name} is required")
    return a


def _check_values(arrays: Mapping[str, np.ndarray | None]) -> None:
    """Masses positive and finite, leptoquarks above m_b, M_N >= 0, kappa and the couplings finite."""
    m_b, M_N, kappa = (_present(arrays, n) for n in ("m_b", "M_N", "kappa"))
    with np.errstate(invalid="ignore"):
        for name in _POSITIVE_MASSES:
            a = arrays[name]
            if a is None:
                continue
            bad = ~(np.isfinite(a) & (a > 0))
            if bad.any():
                raise PointError(f"{name} must be a positive, finite mass in GeV; {_example(bad, a)}")
        for name in ("m_S1", "m_R2", "m_R2_23"):  # heavy leptoquarks: matched above the b quark
            a = arrays[name]
            if a is None:
                continue
            bad = np.broadcast_to(a < m_b, np.broadcast_shapes(a.shape, m_b.shape))
            if bad.any():
                lq, mb = np.broadcast_arrays(a, m_b)
                idx = tuple(int(i) for i in np.argwhere(bad)[0])
                raise PointError(
                    f"{name} = {float(lq[idx]):g} GeV is below m_b = {float(mb[idx]):g} GeV: the leptoquarks are "
                    "integrated out at mu = m_LQ into the b-quark effective theory, which needs them heavier "
                    "than the b quark; use masses above m_b"
                )
        bad = ~(np.isfinite(M_N) & (M_N >= 0))
        if bad.any():
            raise PointError(f"M_N must be a finite, non-negative mass in GeV (0 = massless N); {_example(bad, M_N)}")
        bad = ~np.isfinite(kappa)
        if bad.any():
            raise PointError(f"kappa must be a finite real number in GeV; {_example(bad, kappa)}")
        for name in ALL_MATRIX_FIELDS:
            matrix = _present(arrays, name)
            bad = ~np.isfinite(matrix)
            if bad.any():
                idx = tuple(int(i) for i in np.argwhere(bad)[0])
                raise PointError(
                    f"{name} must have finite entries (no NaN or inf); entry {idx} is {complex(matrix[idx])!r}")


def _warn_perturbativity(arrays: Mapping[str, np.ndarray | None]) -> None:
    """One PerturbativityWarning per point, naming every matrix with |y| > sqrt(4 pi) (a Voloshin pair is
    one coupling, not two); stacklevel: the caller of Point(...)."""
    big = {name: float(np.abs(_present(arrays, name)).max(initial=0.0)) for name in ALL_MATRIX_FIELDS}
    big = {name: a for name, a in big.items() if a > PERTURBATIVITY_LIMIT}
    if big:
        names = ", ".join(big)
        amax = max(big.values())
        warnings.warn(
            f"{names} {'has an entry' if len(big) == 1 else 'have entries'} with |y| = {amax:.4g} > "
            f"sqrt(4 pi) = {PERTURBATIVITY_LIMIT:.4g}: beyond perturbativity, one-loop results are unreliable",
            PerturbativityWarning, stacklevel=5,
        )


@dataclass(frozen=True)
class MassBasisCouplings:
    r"""Couplings of the charge-eigenstate Lagrangian in the quark MASS basis (docs/theory.md §a.3), + h.c.

    Complex arrays ``(*B, 3, 3)``: first index the quark mass eigenstate (u, c, t or d, s, b), second
    the lepton flavour (e, mu, tau) or the N index. The operator of each field is listed in
    :data:`MASS_BASIS_TERMS` and in the table of the module docstring of :mod:`lqmodel.point`.
    ``quark_basis`` records the weak basis the point was given in (the values here do not depend on it
    for the same physics). The arrays are read-only (possibly broadcast views: copy before writing).
    """

    s1_uc_eL: np.ndarray
    s1_dc_nuL: np.ndarray
    s1_uc_eR: np.ndarray
    s1_dc_NR: np.ndarray
    r2_d_eL: np.ndarray
    r2_d_nuL: np.ndarray
    r2_u_NR: np.ndarray
    r2_d_NR: np.ndarray
    quark_basis: str = "down"


#: the shorthand names of vary (lqmodel.vocabulary.PARAMETERS rows that are not Point fields nor scan-only)
_SHORTHAND = POINT_SHORTHAND


@dataclass(frozen=True, eq=False)
class Point:
    r"""One parameter point (or a batch of points) of the S1 + R2~ + N_R model; immutable, validated.

    Masses in GeV: ``m_S1`` (S1), ``m_R2`` (the :math:`\tilde R_2^{-1/3}` component), ``m_R2_23``
    (:math:`\tilde R_2^{2/3}`; ``None`` means equal to ``m_R2``), ``m_b`` (the b mass in the loop; ``None``
    takes the reference value of ``m_b_scheme`` from the parameter file, 4.18 GeV for the default
    :math:`\overline{\rm MS}` :math:`m_b(m_b)`; the scheme is a label of the given value, the toolkit
    does not run m_b), ``M_N`` (sterile neutrino, >= 0, neglected inside loops), ``kappa`` (trilinear
    :math:`\kappa (\tilde R_2^\dagger H) S_1^\dagger` + h.c., GeV, real).

    Couplings (complex ``(3, 3)`` or ``(*B, 3, 3)``, default zero): ``y_LL``, ``y_RR``, ``ybar_RR`` (S1),
    ``yt_RL``, ``yt_LR`` (R2~) in the weak basis chosen by ``quark_basis`` ("down" | "up"); ``y_nu``
    [lepton e/mu/tau, N_j]: the tree-level Dirac Yukawa :math:`\mathcal L\supset -y_\nu^{\alpha j}\bar L_\alpha
    \tilde H N_{Rj}` + h.c. (:math:`\tilde H = i\sigma_2 H^*`), i.e. the Dirac mass :math:`y_\nu v/\sqrt2` in the
    sign convention of the loop mass :math:`\mathcal L\supset -m_{\nu N}\bar\nu_L N_R` (docs/neutrino_mass.md).

    ``N_type`` "dirac" | "majorana"; ``model`` "general" | "s1" (all R2~ couplings zero) | "voloshin"
    (SU(2)_H relation of docs/theory.md §a.4 for the lepton ``lepton`` and N_1: ``yt_RL[b,l] =
    -conj(ybar_RR[b,N1])`` and ``yt_LR[b,N1] = -conj(y_LL[b,l])``, checked to 1e-12 relative);
    ``lepton`` "e" | "mu" | "tau" | None (the flavour of the shorthand y2, y1p).

    Validation errors raise :class:`PointError` / :class:`UnknownNameError`; entries with
    :math:`|y| > \sqrt{4\pi}` give a :class:`PerturbativityWarning`.
    """

    m_S1: Any
    m_R2: Any
    m_R2_23: Any = None
    y_LL: Any = None
    y_RR: Any = None
    ybar_RR: Any = None
    yt_RL: Any = None
    yt_LR: Any = None
    m_b: Any = None
    m_b_scheme: str = "MSbar(mb)"
    quark_basis: str = "down"
    N_type: str = "dirac"
    M_N: Any = 0.0
    kappa: Any = 0.0
    label: str = ""
    model: str = "general"
    lepton: str | None = None
    y_nu: Any = None
    _batch_shape: tuple = field(default=(), init=False, repr=False, compare=False)

    # ------------------------------------------------------------------ validation
    def __post_init__(self) -> None:
        """Validation in named steps: choices and label; the fields as owned, compact arrays with their
        common batch shape; value checks; the perturbativity warning; storing; the model's relation."""
        self._check_choices()
        arrays, batch = self._as_arrays()
        _check_values(arrays)
        _warn_perturbativity(arrays)
        self._store(arrays, batch)
        self._check_model()

    def _check_choices(self) -> None:
        check_choice("m_b_scheme", self.m_b_scheme, tuple(M_B_SCHEMES))
        check_choice("quark_basis", self.quark_basis, QUARK_BASES)
        check_choice("N_type", self.N_type, N_TYPES)
        check_choice("model", self.model, MODELS)
        if self.lepton is not None:
            check_choice("lepton", self.lepton, LEPTONS)
        if not isinstance(self.label, str):
            raise PointError(f"label must be a string; got {shorten(self.label)}")
        if len(self.label) > MAX_LABEL:
            raise PointError(f"label must be at most {MAX_LABEL} characters; "
                             f"got {len(self.label)}: {shorten(self.label)}")

    def _as_arrays(self) -> tuple[dict[str, np.ndarray | None], tuple[int, ...]]:
        """Every numeric field as a private, read-only, compact array (broadcast axes of stride 0 stored
        once, so that validation costs O(distinct values)), and the batch shape of the arrays as given."""
        m_b = self.m_b if self.m_b is not None else m_b_of_scheme(self.m_b_scheme)
        scalars = {
            "m_S1": self.m_S1, "m_R2": self.m_R2, "m_R2_23": self.m_R2_23, "m_b": m_b,
            "M_N": self.M_N, "kappa": self.kappa,
        }
        arrays: dict[str, np.ndarray | None] = {}
        for name, v in scalars.items():
            if v is None:
                if name != "m_R2_23":
                    raise PointError(f"{name} is required (a real number in GeV)")
                arrays[name] = None
                continue
            arrays[name] = _real_array(name, v)
        for name in ALL_MATRIX_FIELDS:
            v = getattr(self, name)
            arrays[name] = np.zeros((3, 3), complex) if v is None else _matrix_array(name, v)
        shapes = {n: (a.shape if n in SCALAR_FIELDS else a.shape[:-2]) for n, a in arrays.items() if a is not None}
        arrays = {n: (None if a is None else _owned_copy(a, float if n in SCALAR_FIELDS else complex))
                  for n, a in arrays.items()}
        try:
            batch = np.broadcast_shapes(*shapes.values())
        except ValueError:
            detail = ", ".join(f"{n}: {s}" for n, s in shapes.items() if s != ())
            raise PointError(
                f"batch shapes do not broadcast to a common shape ({detail}; matrices add (3, 3))") from None
        return arrays, tuple(batch)

    def _store(self, arrays: Mapping[str, np.ndarray | None], batch: tuple[int, ...]) -> None:
        object.__setattr__(self, "_batch_shape", batch)
        for name, a in arrays.items():
            if a is None:
                object.__setattr__(self, name, None)
            elif name in SCALAR_FIELDS:
                object.__setattr__(self, name, float(a) if batch == () else _readonly(a, batch))
            else:
                object.__setattr__(self, name, a if batch == () else _readonly(a, batch + (3, 3)))

    def _check_model(self) -> None:
        if self.model == "s1":
            for name in ("yt_RL", "yt_LR"):
                if np.any(getattr(self, name) != 0):
                    raise PointError(f"model 's1' has no R2~ couplings but {name} is non-zero; use model 'general'")
        elif self.model == "voloshin":
            if self.lepton is None:
                raise PointError("model 'voloshin' needs lepton ('e', 'mu' or 'tau'): the flavour of the SU(2)_H pair")
            l = LEPTON_INDEX[self.lepton]
            b, n = B_INDEX, N1_INDEX
            pairs = (
                (f"yt_RL[2,{l}] = -conj(ybar_RR[2,0])", self.yt_RL[..., b, l], -np.conj(self.ybar_RR[..., b, n])),
                (f"yt_LR[2,0] = -conj(y_LL[2,{l}])", self.yt_LR[..., b, n], -np.conj(self.y_LL[..., b, l])),
            )
            for what, lhs, rhs in pairs:
                if not np.allclose(lhs, rhs, rtol=1e-12, atol=1e-300):
                    raise PointError(
                        f"model 'voloshin' requires the SU(2)_H relation {what} (docs/theory.md §a.4) but it does "
                        "not hold; use lqmodel.models.voloshin_mismatch or model 'general' for broken relations"
                    )

    # ------------------------------------------------------------------ basic properties
    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The common broadcast shape ``B`` of all fields (``()`` for a scalar point)."""
        return self._batch_shape

    @property
    def m_R2_23_value(self) -> float | np.ndarray:
        r"""Mass of :math:`\tilde R_2^{2/3}` in GeV (``m_R2`` when ``m_R2_23`` is None)."""
        return self.m_R2 if self.m_R2_23 is None else self.m_R2_23

    @property
    def lepton_index(self) -> int | None:
        """Matrix column of ``lepton`` (0, 1, 2) or None."""
        return None if self.lepton is None else LEPTON_INDEX[self.lepton]

    def __eq__(self, other: object) -> bool:
        """Exact equality of every field (arrays compared element-wise, bit for bit up to -0.0 == 0.0)."""
        if not isinstance(other, Point):
            return NotImplemented
        if self.batch_shape != other.batch_shape:
            return False
        for f in dataclasses.fields(self):
            if not f.init:
                continue
            a, b = getattr(self, f.name), getattr(other, f.name)
            if a is None or b is None or isinstance(a, str) or isinstance(b, str):
                if a != b:
                    return False
            elif not np.array_equal(a, b):
                return False
        return True

    __hash__ = None  # type: ignore[assignment]

    def replace(self, **changes: Any) -> Point:
        """A copy with some fields changed (re-validated). Unknown field names raise UnknownNameError."""
        names = [f.name for f in dataclasses.fields(self) if f.init]
        for k in changes:
            if k not in names:
                raise UnknownNameError(f"unknown Point field {shorten(k)}.{_did_you_mean(k, names)} "
                                       f"Allowed: {', '.join(names)}")
        return dataclasses.replace(self, **changes)

    def __getitem__(self, index: Any) -> Point:
        """Index the batch dimensions (e.g. ``batch[3]`` is a scalar point)."""
        if self.batch_shape == ():
            raise PointError("cannot index a scalar point (batch_shape is ())")
        changes = {}
        for name in SCALAR_FIELDS:
            v = getattr(self, name)
            if v is not None:
                changes[name] = np.asarray(v)[index]
        for name in ALL_MATRIX_FIELDS:
            changes[name] = getattr(self, name)[index]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PerturbativityWarning)  # already warned for the batch
            return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ physics views
    def mass_basis(self) -> MassBasisCouplings:
        """Couplings in the quark mass basis with the CKM matrix (see the module docstring table).

        Computed once per Point instance and kept in a private attribute (the Point is immutable and the
        returned arrays are read-only, so the cached value can be shared; :meth:`replace` and slicing make
        new instances with their own cache; it is not pickled).
        """
        cached = self.__dict__.get("_mass_basis_cache")
        if cached is None:
            cached = self._compute_mass_basis()
            object.__setattr__(self, "_mass_basis_cache", cached)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_mass_basis_cache", None)  # derived data: recomputed on demand after unpickling
        return state

    def _compute_mass_basis(self) -> MassBasisCouplings:
        from observables.parameters import ckm_matrix

        V = ckm_matrix()
        c = {n: _compact(getattr(self, n)) for n in MATRIX_FIELDS}  # broadcast axes computed once
        if self.quark_basis == "down":
            s1_uc_eL, s1_dc_nuL = _rotate(V.conj(), c["y_LL"]), -c["y_LL"]
            r2_u_NR, r2_d_NR = _rotate(V, c["yt_LR"]), c["yt_LR"]
        else:
            s1_uc_eL, s1_dc_nuL = c["y_LL"], -_rotate(V.T, c["y_LL"])
            r2_u_NR, r2_d_NR = c["yt_LR"], _rotate(V.conj().T, c["yt_LR"])
        shape = self.batch_shape + (3, 3)
        out = dict(
            s1_uc_eL=s1_uc_eL, s1_dc_nuL=s1_dc_nuL, s1_uc_eR=c["y_RR"], s1_dc_NR=c["ybar_RR"],
            r2_d_eL=-c["yt_RL"], r2_d_nuL=c["yt_RL"], r2_u_NR=r2_u_NR, r2_d_NR=r2_d_NR,
        )
        return MassBasisCouplings(**{k: _readonly(v, shape) for k, v in out.items()}, quark_basis=self.quark_basis)

    def to_quark_basis(self, basis: str) -> Point:
        r"""The same physics written in the other weak basis: :math:`y^{LL}_{up} = V^* y^{LL}_{down}`,
        :math:`\tilde y^{LR}_{up} = V \tilde y^{LR}_{down}` (and the inverse); other matrices unchanged.

        The model tag is kept when its relation still holds in the new basis (e.g. a Voloshin point with only
        b-row couplings), else it becomes "general".
        """
        _check_choice("quark_basis", basis, QUARK_BASES)
        if basis == self.quark_basis:
            return self
        from observables.parameters import ckm_matrix

        V = ckm_matrix()
        if basis == "up":
            y_LL, yt_LR = V.conj() @ self.y_LL, V @ self.yt_LR
        else:
            y_LL, yt_LR = V.T @ self.y_LL, V.conj().T @ self.yt_LR
        try:  # keep the model tag when its relation still holds in the new basis
            return dataclasses.replace(self, y_LL=y_LL, yt_LR=yt_LR, quark_basis=basis)
        except PointError:
            return dataclasses.replace(self, y_LL=y_LL, yt_LR=yt_LR, quark_basis=basis, model="general")

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON/YAML-ready dict (scalar points only); complex entries as ``[re, im]``."""
        if self.batch_shape != ():
            raise PointError(
                f"to_dict/save support scalar points only (this batch has shape {self.batch_shape}); "
                "save the entries point[i] one by one"
            )
        d: dict[str, Any] = {"label": self.label, "model": self.model, "lepton": self.lepton,
                             "m_S1": self.m_S1, "m_R2": self.m_R2}
        if self.m_R2_23 is not None:
            d["m_R2_23"] = self.m_R2_23
        d.update(m_b=self.m_b, m_b_scheme=self.m_b_scheme, quark_basis=self.quark_basis,
                 N_type=self.N_type, M_N=self.M_N, kappa=self.kappa)
        for name in ALL_MATRIX_FIELDS:
            if name == "y_nu" and not _has_bits(self.y_nu):  # written only when set: older files stay as they were
                continue
            d[name] = encode_matrix(getattr(self, name))
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Point:
        """Inverse of :meth:`to_dict`; also accepts the point-file shorthand of :mod:`lqmodel.pointfile`."""
        return point_from_mapping(d)

    def save(self, path: str | os.PathLike) -> None:
        """Write the point to ``path`` (``.yaml``/``.yml`` -> YAML, ``.json`` -> JSON); atomic."""
        write_point_text(path, self.to_dict)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Point:
        """Read a point file (YAML or JSON, see :mod:`lqmodel.pointfile`)."""
        data, name = read_point_data(path)
        return point_from_mapping(data, source=name)


def point_from_mapping(d: Mapping[str, Any], *, source: str = "point") -> Point:
    """Build a :class:`Point` from a point-file mapping (format in :mod:`lqmodel.pointfile`): the
    constructor arguments of :func:`lqmodel.point_codec.point_kwargs`, then the shorthand couplings set
    by :func:`vary`.

    Errors name ``source`` (the file name) first: ``"<source>: <what is wrong and what is allowed>"``.
    """
    try:
        kw, shorthand = point_kwargs(d, source)
        if not shorthand:
            return Point(**kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PerturbativityWarning)  # warned once, for the final couplings
            base = Point(**kw)
        return vary(base, shorthand)
    except (PointError, UnknownNameError) as exc:
        msg = str(exc)
        if msg.startswith(f"{source}: "):
            raise
        raise type(exc)(f"{source}: {msg}") from None


def loads_point(text: str, *, name: str = "<string>", fmt: str = "yaml") -> Point:
    """Parse a point from YAML (``fmt="yaml"``) or JSON (``fmt="json"``) text."""
    return point_from_mapping(parse_point_text(text, name, "json" if fmt == "json" else "yaml"), source=name)


# ---------------------------------------------------------------------- vary
#: (field, matrix index or None, conjugate-and-negate?): one field an assignment name of vary sets
_Target = tuple[str, tuple[int, int] | None, bool]


def _shorthand_targets(base: Point, name: str) -> list[_Target]:
    """(field, matrix index or None, conjugate-and-negate?) set by a shorthand name."""
    t: list[_Target]
    if name == "m_LQ":
        t = [("m_S1", None, False), ("m_R2", None, False)]
        if base.m_R2_23 is not None:
            t.append(("m_R2_23", None, False))
        return t
    if base.model not in ("s1", "voloshin"):
        raise PointError(f"shorthand {name!r} needs a base point with model 's1' or 'voloshin' "
                         f"(this one is {base.model!r}); vary matrix entries such as 'ybar_RR[2,0]' instead")
    vol = base.model == "voloshin"
    if name == "y1":
        t = [("ybar_RR", (B_INDEX, N1_INDEX), False)]
        if vol:
            t.append(("yt_RL", (B_INDEX, _need_lepton(base, name)), True))
        return t
    l = _need_lepton(base, name)
    if name == "y2":
        t = [("y_LL", (B_INDEX, l), False)]
        if vol:
            t.append(("yt_LR", (B_INDEX, N1_INDEX), True))
        return t
    return [("y_RR", (T_INDEX, l), False)]  # y1p


def _need_lepton(base: Point, name: str) -> int:
    if base.lepton is None:
        raise PointError(f"shorthand {name!r} needs the base point's lepton ('e', 'mu' or 'tau'); it is None")
    return LEPTON_INDEX[base.lepton]


def vary(base: Point, assignments: Mapping[str, ArrayLike]) -> Point:
    r"""A batched point: ``base`` with some parameters replaced by arrays (all broadcast together).

    Names: the scalar fields ``m_S1, m_R2, m_R2_23, m_b, M_N, kappa``; matrix entries ``"y_LL[2,1]"``
    (0-based [quark, lepton/N]); shorthand ``"m_LQ"`` (sets m_S1 = m_R2 [= m_R2_23]) and, for a base
    with model "s1" or "voloshin", ``"y1"`` (ybar_RR[b,N1]), ``"y2"`` (y_LL[b,lepton]), ``"y1p"``
    (y_RR[t,lepton]). For model "voloshin", y1 and y2 also set the R2~ partners yt_RL[b,l] = -conj(y1)
    and yt_LR[b,N1] = -conj(y2) (docs/theory.md §a.4), so the SU(2)_H relation keeps holding.

    ``"delta_m2"``: the relative squared-mass splitting :math:`\delta = m_{R_2}^2/m_{S_1}^2 - 1` (> -1) of the
    SU(2)_H pair; sets ``m_R2 = m_S1 sqrt(1 + delta)`` with the ``m_S1`` of this call (``m_LQ``/``m_S1``) or of
    the base (not together with ``m_R2``).

    Arrays broadcast with each other and with the base's batch shape (use ``np.meshgrid`` for grids).
    Varying ``m_b`` sets ``m_b_scheme="custom"``; varying a matrix entry directly makes a "voloshin"
    base "general" (and an "s1" base "general" if an R2~ entry is set). Setting the same parameter twice
    (e.g. ``m_LQ`` and ``m_S1``) is an error.

    >>> import numpy as np
    >>> from lqmodel.models import voloshin
    >>> p = vary(voloshin(1000.0, 0.05, 1.0, "mu"), {"m_LQ": np.linspace(500, 2000, 4), "y2": 0.5})
    >>> p.batch_shape, p.m_R2.tolist(), float(p.yt_LR[0, 2, 0].real)
    ((4,), [500.0, 1000.0, 1500.0, 2000.0], -0.5)
    """
    if not isinstance(base, Point):
        raise TypeError(f"vary needs a Point as base; got {type(base).__name__}")
    targets, values, direct_matrix = _vary_targets(base, assignments)
    try:
        batch = np.broadcast_shapes(base.batch_shape, *(v.shape for v in values.values()))
    except ValueError:
        detail = ", ".join(f"{n}: {v.shape}" for n, v in values.items())
        raise PointError(f"vary: shapes do not broadcast (base batch {base.batch_shape}; {detail})") from None
    changes = _vary_changes(base, targets, values, batch)
    for v in changes.values():  # fresh arrays, handed over to Point without another copy
        if isinstance(v, np.ndarray) and v.flags.owndata:
            v.setflags(write=False)
    if "m_b" in changes:
        changes["m_b_scheme"] = "custom"
    if direct_matrix and (base.model == "voloshin"
                          or (base.model == "s1" and direct_matrix & {"yt_RL", "yt_LR"})):
        changes["model"] = "general"
    return dataclasses.replace(base, **changes)


#: (field, matrix index or None) -> (the assignment name that sets it, conjugate-and-negate?)
_Targets = dict[tuple[str, "tuple[int, int] | None"], tuple[str, bool]]


def _vary_targets(base: Point,
                  assignments: Mapping[str, ArrayLike]) -> tuple[_Targets, dict[str, np.ndarray], set[str]]:
    """Step 1 of :func:`vary`: each assignment name -> the fields it sets (checked: known, in range, not
    set twice), its value as an array, and the matrices set directly (which end a model's relation)."""
    targets: _Targets = {}
    values: dict[str, np.ndarray] = {}
    direct_matrix: set[str] = set()
    for name, val in assignments.items():
        tlist = _targets_of_name(base, name, assignments, direct_matrix)
        values[name] = (np.array(_real_array(name, val), dtype=float) if tlist[0][1] is None
                        else _matrix_entry_array(name, val))
        for fld, idx, conj in tlist:
            if (fld, idx) in targets:
                raise PointError(
                    f"{name!r} and {targets[(fld, idx)][0]!r} both set {fld}{'' if idx is None else list(idx)}")
            targets[(fld, idx)] = (name, conj)
    return targets, values, direct_matrix


def _targets_of_name(base: Point, name: Any, assignments: Mapping[str, Any],
                     direct_matrix: set[str]) -> list[_Target]:
    """The (field, index, conjugate?) list one assignment name sets (names of lqmodel.vocabulary)."""
    if not isinstance(name, str):
        raise UnknownNameError(f"parameter names must be strings; got {name!r}")
    key = name.replace(" ", "")
    entry = parse_matrix_entry(key)
    if entry is not None:
        fld, i, j = entry
        if not (0 <= i < 3 and 0 <= j < 3):
            raise PointError(f"matrix index out of range in {name!r}: indices are 0, 1, 2 ([quark, lepton/N])")
        if fld not in LEPTON_MATRIX_FIELDS:  # y_nu leaves the model's SU(2)_H relations alone
            direct_matrix.add(fld)
        return [(fld, (i, j), False)]
    if key in SCALAR_FIELDS:
        return [(key, None, False)]
    if key == "delta_m2":
        if any(k.replace(" ", "") == "m_R2" for k in assignments):
            raise PointError("'delta_m2' and 'm_R2' both set m_R2; give one of them")
        return [("delta_m2", None, False)]  # applied in _vary_changes, once m_S1 is known
    if key in _SHORTHAND:
        return _shorthand_targets(base, key)
    allowed = list(SCALAR_FIELDS) + [f"{m}[i,j]" for m in ALL_MATRIX_FIELDS] + list(_SHORTHAND)
    raise UnknownNameError(f"unknown parameter {name!r} for vary.{did_you_mean(key, allowed)} "
                           f"Allowed: {', '.join(allowed)}")


def _vary_changes(base: Point, targets: _Targets, values: Mapping[str, np.ndarray],
                  batch: tuple[int, ...]) -> dict[str, Any]:
    """Step 2 of :func:`vary`: the new field values (matrices copied once, then their entries set; the
    splitting delta_m2 applied with the final m_S1)."""
    changes: dict[str, Any] = {}
    for (fld, idx), (name, conj) in targets.items():
        v = values[name]
        if fld == "delta_m2":
            continue  # after m_S1 is known
        if idx is None:
            changes[fld] = v
            continue
        if fld not in changes:
            changes[fld] = np.array(np.broadcast_to(getattr(base, fld), batch + (3, 3)), dtype=complex)
        changes[fld][(..., *idx)] = -np.conj(v) if conj else v
    dm2 = next((n for n in values if n.replace(" ", "") == "delta_m2"), None)
    if dm2 is not None:
        d = values[dm2]
        if np.any(~np.isfinite(d) | (d <= -1.0)):
            raise PointError("delta_m2 = m_R2^2/m_S1^2 - 1 must be finite and > -1")
        m_s = np.asarray(changes.get("m_S1", base.m_S1), dtype=float)
        changes["m_R2"] = m_s * np.sqrt(1.0 + d)
    return changes


def _matrix_entry_array(name: str, value: Any) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001
        raise PointError(f"{name} must be a (complex) number or array; got {shorten(value)}") from None
    if arr.dtype == bool or arr.dtype.kind not in "iufc":
        raise PointError(f"{name} must be a (complex) number or array; got {shorten(value)}")
    return np.array(arr, dtype=complex)
