r"""Tree-level matching of the S1 and R2~ couplings onto SMEFT (Warsaw basis, WCxf names of wilson 2.5.2).

Entry points: :func:`match_smeft` (vectorised over a batched :class:`~lqmodel.point.Point`), returning
:class:`SMEFTCoefficients`, and :func:`to_wcxf_smeft` (a WCxf SMEFT file at the matching scale for
smelli/flavio users). The derivation, step by step, is in ``docs/electroweak.md`` §1–§2.

Conventions
-----------
* WCxf *SMEFT Warsaw* basis (wilson 2.5.2 ``wcxf/bases/smeft.warsaw.basis.json``): Grzadkowski,
  Iskrzyński, Misiak, Rosiek arXiv:1008.4884 operators with dimensionful coefficients,
  :math:`\mathcal L = \sum_i C_i O_i` (+ h.c. for the non-hermitian :math:`O_{lequ}`), GeV⁻²,
  :math:`\epsilon_{12}=+1`. Weak basis: down-type quark and charged-lepton mass matrices diagonal, i.e.
  :math:`q_i = ((V^\dagger u_L)_i, d_{Li})` — the project's ``quark_basis="down"`` (points given in the
  up basis are handled through their mass-basis couplings, which do not depend on the basis).
* Index order of the WCxf names: ``lq1_prst`` multiplies :math:`(\bar\ell_p\gamma_\mu\ell_r)(\bar q_s
  \gamma^\mu q_t)`; ``lequ1_prst`` :math:`(\bar\ell^j_pe_r)\epsilon_{jk}(\bar q^k_su_t)`; ``eu_prst``
  :math:`(\bar e_p\gamma e_r)(\bar u_s\gamma u_t)`; ``ld_prst`` :math:`(\bar\ell_p\gamma\ell_r)(\bar d_s
  \gamma d_t)`. For the hermitian-type operators (lq1, lq3, eu, ld) WCxf stores only the entries
  :math:`p<r` (all s, t) and :math:`p=r,\ s\le t`; the others follow from :math:`C_{rpts}=C^*_{prst}`. With
  that rule the Lagrangian written as a sum over *all* flavour indices, :math:`\sum_{prst}C_{prst}O_{prst}`,
  is the same as "stored entries + h.c.", so the tensor obtained by integrating out the leptoquark is
  read off entry by entry (no symmetry factors for these operator classes).

Results (:math:`y \equiv y^{LL}` in the down basis, :math:`y^{RR}`, :math:`\tilde y\equiv\tilde y^{RL}` of
:mod:`lqmodel.point`; first index quark, second lepton; docs/electroweak.md §1):

.. math::
    C^{(1)}_{lq,prst} = -C^{(3)}_{lq,prst} = \frac{y^*_{sp}y_{tr}}{4m_{S_1}^2},\quad
    C_{eu,prst} = \frac{y^{RR*}_{sp}y^{RR}_{tr}}{2m_{S_1}^2},\quad
    C^{(1)}_{lequ,prst} = -4\,C^{(3)}_{lequ,prst} = \frac{y^{*}_{sp}y^{RR}_{tr}}{2m_{S_1}^2},\quad
    C_{ld,prst} = -\frac{\tilde y^*_{tp}\tilde y_{sr}}{2m_{\tilde R_2}^2}.

These agree with the S1 and R2~ entries of the standard dictionary (Doršner, Fajfer, Greljo, Kamenik,
Košnik arXiv:1603.04993 §5 and Gherardi, Marzocca, Venturini arXiv:2003.12525 eq. (2.6)-type tree-level
results: :math:`C^{(1)}_{lq}=-C^{(3)}_{lq}=\lambda^*\lambda/4M^2`, :math:`C^{(1)}_{lequ}=-4C^{(3)}_{lequ}`,
:math:`C_{ld}=-\tilde y^*\tilde y/2M^2`), and are checked independently in ``tests/test_smeft_matching.py``
through wilson's own SMEFT→WET tree-level matching against :func:`lqmodel.matching.match`.

Scale: the same as :func:`lqmodel.matching.matching_scale` (:math:`m_{S_1}`; the R2~ coefficients are
matched at :math:`m_{\tilde R_2}` and assigned to that scale without running in between, as in the WET
matching). The R2~ doublet must be degenerate for a SMEFT description at dimension six: a splitting
:math:`m_{\tilde R_2^{2/3}}\ne m_{\tilde R_2^{-1/3}}` comes from :math:`(\tilde R_2^\dagger H)(H^\dagger\tilde R_2)`
and is an :math:`O(v^2/m^2)` (dimension-eight) effect here; ``C_ld`` uses :math:`m_{\tilde R_2^{-1/3}}`
(``m_R2``).

Not here: the operators with the right-handed neutrino :math:`N_R` (``ybar_RR``, ``yt_LR``) belong to
:math:`\nu`SMEFT, which no WCxf basis covers; they stay in the WET sidecar
:attr:`lqmodel.matching.WilsonCoefficients.right_handed_nu` (matched at the same scale) and
:func:`to_wcxf_smeft` writes them next to the SMEFT file. S1–R2~ mixing through κ is ignored, as in the
WET matching.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lqmodel.atomic import atomic_path

__all__ = ["SMEFTCoefficients", "match_smeft", "to_wcxf_smeft", "stored_indices", "SMEFT_CLASSES"]

#: operator classes the S1 + R2~ tree level produces (WCxf Warsaw prefixes)
SMEFT_CLASSES: tuple[str, ...] = ("lq1", "lq3", "eu", "lequ1", "lequ3", "ld")
_HERMITIAN_TYPE = ("lq1", "lq3", "eu", "ld")


def stored_indices(cls: str) -> tuple[tuple[int, int, int, int], ...]:
    """The 0-based index tuples (p, r, s, t) WCxf stores for Warsaw class ``cls``.

    Hermitian-type classes (lq1, lq3, eu, ld): p < r with any (s, t), and p = r with s <= t;
    lequ1, lequ3: all 81 entries.

    >>> len(stored_indices("lq1")), len(stored_indices("lequ1"))
    (45, 81)
    """
    if cls not in SMEFT_CLASSES:
        raise ValueError(f"unknown SMEFT class {cls!r}; allowed: {', '.join(SMEFT_CLASSES)}")
    r3 = range(3)
    if cls in _HERMITIAN_TYPE:
        return tuple((p, r, s, t) for p in r3 for r in r3 for s in r3 for t in r3
                     if p < r or (p == r and s <= t))
    return tuple((p, r, s, t) for p in r3 for r in r3 for s in r3 for t in r3)


def _name(cls: str, idx: tuple[int, int, int, int]) -> str:
    return f"{cls}_{''.join(str(i + 1) for i in idx)}"


@dataclass(frozen=True)
class SMEFTCoefficients:
    r"""SMEFT Warsaw-basis coefficients of a (batched) point at its matching scale.

    Attributes
    ----------
    scale:
        GeV, :func:`lqmodel.matching.matching_scale`; shape ``B`` or scalar.
    values:
        WCxf SMEFT Warsaw name → complex array of shape ``B`` [GeV⁻²] (new physics only; only the stored,
        non-redundant entries, and only those that are non-zero somewhere in the batch).
    """

    scale: Any
    values: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return np.shape(self.scale)

    def __getitem__(self, index: Any) -> SMEFTCoefficients:
        if self.batch_shape == ():
            raise IndexError("cannot index the coefficients of a scalar point (batch_shape is ())")
        return SMEFTCoefficients(np.asarray(self.scale)[index],
                                 {k: np.asarray(v)[index] for k, v in self.values.items()})

    def _require_scalar(self, what: str) -> None:
        if self.batch_shape != ():
            raise ValueError(f"SMEFTCoefficients.{what} needs a scalar point, got batch shape {self.batch_shape}; "
                             "index the batch first (c[i])")

    def nonzero(self, tol: float = 0.0) -> dict[str, complex]:
        """Scalar points: the coefficients with :math:`|C| > tol` as Python complex numbers [GeV⁻²].

        Coefficients that WCxf declares real (the diagonal p = r, s = t entries) are real by construction.
        """
        self._require_scalar("nonzero")
        return {k: complex(v) for k, v in self.values.items() if abs(complex(v)) > tol}

    def to_wilson(self):
        """A ``wilson.Wilson`` object (``eft="SMEFT"``, ``basis="Warsaw"``, at ``scale``); scalar points only."""
        self._require_scalar("to_wilson")
        from wilson import Wilson

        return Wilson(_wcxf_values(self.nonzero()), scale=float(self.scale), eft="SMEFT", basis="Warsaw")

    def to_dict(self) -> dict:
        """Scalar points: JSON-ready ``{"scale", "eft": "SMEFT", "basis": "Warsaw", "values"}`` (complex → [re, im])."""
        self._require_scalar("to_dict")
        vals = {k: (v.real if v.imag == 0 else [v.real, v.imag]) for k, v in self.nonzero().items()}
        return {"scale": float(self.scale), "eft": "SMEFT", "basis": "Warsaw", "values": vals}

    def to_wcxf(self, path) -> None:
        """Write a WCxf SMEFT Warsaw file (YAML for .yaml/.yml, else JSON), atomically; scalar points only."""
        self._require_scalar("to_wcxf")
        from wilson import wcxf

        path = os.fspath(path)
        fmt = "yaml" if path.lower().endswith((".yaml", ".yml")) else "json"
        vals = {k: ({"Re": v.real, "Im": v.imag} if v.imag != 0 else v.real) for k, v in self.nonzero().items()}
        wc = wcxf.WC(eft="SMEFT", basis="Warsaw", scale=float(self.scale), values=vals)
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
            wc.dump(fh, fmt=fmt)


def _wcxf_values(d: dict[str, complex]) -> dict[str, complex | float]:
    """wilson refuses complex values for coefficients it declares real; pass the real part there."""
    return {k: (v.real if v.imag == 0 else v) for k, v in d.items()}


def _entries(point, mb, sp=None):
    r"""Yield (class, (p, r, s, t), array) for every stored entry that is non-zero somewhere in the batch.

    Each class is :math:`C_{prst} = k\,a^*_{sp} b_{tr}` (or :math:`k\,a^*_{tp} b_{sr}` for ld); only the
    products of entries that are non-zero somewhere in the batch are formed (no dense (B, 3, 3, 3, 3) tensor),
    and the prefactors only for classes that have one. ``sp``: the sparse mass-basis couplings of
    :func:`lqmodel.matching._matching_inputs` (their non-zero patterns; default: found here).
    """
    from lqmodel.matching import _entry_nonzero

    shape = point.batch_shape
    mS2 = np.broadcast_to(np.asarray(point.m_S1, dtype=float), shape) ** 2
    mR2 = np.broadcast_to(np.asarray(point.m_R2, dtype=float), shape) ** 2
    B = np.asarray(mb.s1_dc_nuL)           # y^LL = -B in the down basis (both quark bases: docs/electroweak.md §1)
    yRR = np.asarray(mb.s1_uc_eR)
    yt = np.asarray(mb.r2_d_nuL)           # +yt^RL
    if sp is None:
        nzB, nzR, nzT = _entry_nonzero(B), _entry_nonzero(yRR), _entry_nonzero(yt)
    else:
        nzB, nzR, nzT = sp["B"].nz, sp["R"].nz, sp["Dv"].nz

    def y(i, j):  # an entry of y^LL = -B (negated entry by entry: the same numbers as negating the matrix)
        return -B[..., i, j]

    def ent(M):
        return lambda i, j: M[..., i, j]

    # class -> (a entries, b entries, their non-zero patterns, prefactor, ld-type index order)
    table = (
        ("lq1", y, y, nzB, nzB, lambda: 1 / (4 * mS2), False), ("lq3", y, y, nzB, nzB, lambda: -1 / (4 * mS2), False),
        ("eu", ent(yRR), ent(yRR), nzR, nzR, lambda: 1 / (2 * mS2), False),
        ("lequ1", y, ent(yRR), nzB, nzR, lambda: 1 / (2 * mS2), False),
        ("lequ3", y, ent(yRR), nzB, nzR, lambda: -1 / (8 * mS2), False),
        ("ld", ent(yt), ent(yt), nzT, nzT, lambda: -1 / (2 * mR2), True),
    )
    for cls, a, b, na, nb, kf, ld in table:
        if not (na.any() and nb.any()):
            continue
        stored = set(stored_indices(cls))
        k = None
        for (qa, la) in zip(*np.nonzero(na), strict=True):
            for (qb, lb) in zip(*np.nonzero(nb), strict=True):
                # C_prst = k a*_{s p} b_{t r}  (ld: k a*_{t p} b_{s r})
                idx = (int(la), int(lb), int(qb), int(qa)) if ld else (int(la), int(lb), int(qa), int(qb))
                if idx not in stored:
                    continue  # the h.c. partner of a stored entry (C_rpts = C*_prst)
                if k is None:
                    k = kf()
                yield cls, idx, k * np.conj(a(qa, la)) * b(qb, lb)


def match_smeft(point, names: Collection[str] | None = None, *, oneloop: bool = True,
                _sparse: dict | None = None) -> SMEFTCoefficients:
    r"""SMEFT Warsaw coefficients [GeV⁻²] of ``point`` at :func:`lqmodel.matching.matching_scale`: tree level,
    plus (``oneloop=True``, the default) the finite one-loop Z/W-coupling terms of :mod:`lqmodel.ew_oneloop`
    as flavour-diagonal ``phil1_pp``, ``phil3_pp``, ``phie_pp`` (docs/electroweak.md §5).

    Vectorised over ``point.batch_shape``. Only stored (non-redundant) WCxf entries that are non-zero
    somewhere in the batch are returned; ``names`` restricts the output further. Formulas: module docstring.
    ``oneloop=False`` gives the pure tree-level matching (the leading-log route of docs/electroweak.md §2).
    ``_sparse`` (internal): the sparse mass-basis couplings of :func:`lqmodel.matching._matching_inputs` when
    the caller has them already (:func:`lqmodel.flavour.predict`: one pass over the couplings for both
    matchings).

    >>> from lqmodel.models import s1_only
    >>> c = match_smeft(s1_only(1000.0, 0.0, 1.0, "tau"), oneloop=False)
    >>> sorted(c.nonzero())
    ['lq1_3333', 'lq3_3333']
    >>> round(c.nonzero()["lq1_3333"].real * 1e6, 6)   # |y_btau|^2 / (4 m^2) = 2.5e-7 GeV^-2
    0.25
    >>> sorted(match_smeft(s1_only(1000.0, 0.0, 1.0, "tau")).nonzero())   # + the top-loop C_Hl terms
    ['lq1_3333', 'lq3_3333', 'phil1_33', 'phil3_33']
    """
    from lqmodel.matching import matching_scale

    mb = point.mass_basis()
    wanted = None if names is None else frozenset(names)
    values: dict[str, np.ndarray] = {}
    shape = point.batch_shape
    for cls, idx, v in _entries(point, mb, _sparse):
        name = _name(cls, idx)
        if wanted is not None and name not in wanted:
            continue
        if idx[0] == idx[1] and idx[2] == idx[3] and cls in _HERMITIAN_TYPE:
            v = v.real + 0j  # hermitian diagonal: real by construction (drop rounding)
        v = np.broadcast_to(np.asarray(v, dtype=complex), shape)
        values[name] = values[name] + v if name in values else v
    if oneloop:
        from lqmodel.ew_oneloop import oneloop_coefficients

        for name, v in oneloop_coefficients(point, _sparse).items():
            if wanted is None or name in wanted:
                values[name] = np.broadcast_to(v, shape)
    return SMEFTCoefficients(scale=matching_scale(point), values=values)


def to_wcxf_smeft(point, path, *, quiet: bool = False) -> str | None:
    r"""Write the SMEFT (Warsaw) coefficients of a scalar ``point`` at the matching scale as a WCxf file.

    ``path`` ending in .yaml/.yml gives YAML, anything else JSON. The right-handed-neutrino operators
    (νSMEFT, no WCxf basis) are written, when non-zero, to a sidecar ``<path stem>.right_handed_nu.json``
    (the WET-level N_R coefficients of :func:`lqmodel.matching.match`, same scale, names as documented
    there), and a note goes to stderr unless ``quiet``. Returns the sidecar path or None.
    Files are written atomically. ``wilson.Wilson.load_wc`` reads the WCxf file back.
    """
    if point.batch_shape != ():
        raise ValueError(f"to_wcxf_smeft needs a scalar point, got batch shape {point.batch_shape}")
    from lqmodel.matching import match

    c = match_smeft(point)
    c.to_wcxf(path)
    from lqmodel.right_handed_nu import write_sidecar

    rhn = {k: complex(v) for k, v in match(point).right_handed_nu.items() if complex(v) != 0}
    # the same sidecar format (and reader, lqmodel.right_handed_nu.read_sidecar) as the WET export: the N_R
    # coefficients are WET-level at the same matching scale, so a WET and a SMEFT file with one stem agree
    side = write_sidecar(path, float(c.scale), rhn)
    if side is None:
        return None
    if not quiet:
        print(f"lqmodel: {len(rhn)} right-handed-neutrino coefficients (not in any WCxf basis) written to {side}",
              file=sys.stderr)
    return side
