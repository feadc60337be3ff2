r"""Convenience constructors for the cases people use, and the SU(2)_H coupling combinations c_S, c_R.

SOURCE: docs/theory.md §a.3 (Lagrangian), §a.4 (SU(2)_H assignment, Voloshin mechanism), §b.2–b.3 (moment,
Dirac mass and the ways SU(2)_H is broken). The shorthand of the talk slides on arXiv:2007.15563
(V. Brdar, J. Kopp, 2021) [unverified] is mapped as in docs/theory.md §a.3:
:math:`y_1 = \bar y^{RR}_{bN_1}` (:math:`\bar b^c_R N_R S_1`), :math:`y_2 = y^{LL}_{b\ell}`
(:math:`Q_3 L_\ell S_1`), :math:`y_1' = y^{RR}_{t\ell}` (:math:`\bar t^c_R \ell_R S_1`). Which lepton
flavour :math:`\ell` carries y2 is not verified (docs/theory.md §f.9; probably mu): it is always an explicit
argument here. Indices: b = down-quark index 2, t = up-quark index 2, N_1 = N index 0.

b MASS: every constructor takes ``m_b`` (GeV); the default ``None`` uses the reference value of
``m_b_scheme`` (keyword, default "MSbar(mb)" -> 4.18 GeV, docs/theory.md §b.4), so
``voloshin(..., m_b_scheme="MSbar(1TeV)")`` gives m_b = 2.4133 GeV.

CONVENTIONS (docs/theory.md §a.4). In two-component notation the couplings to the b quark are
:math:`b^c(\lambda_R \nu R + \lambda_S n S_1^*) + b(\kappa_S \nu S_1 + \kappa_R n R^*)` + h.c. with

.. math::

    \lambda_R = \tilde y^{RL}_{b\nu},\quad \lambda_S = (\bar y^{RR}_{bN})^*,\quad
    \kappa_S = -y^{LL}_{b\nu},\quad \kappa_R = (\tilde y^{LR}_{bN})^*,

and SU(2)_H invariance requires :math:`\lambda_S = -\lambda_R`, :math:`\kappa_S = \kappa_R`,
:math:`m_{S_1} = m_{\tilde R_2^{-1/3}}` and no S1–R2~ mixing. The rephasing-invariant combinations are

.. math::

    c_S \equiv \bar y^{RR*}_{bN} y^{LL}_{b\nu} = -\lambda_S\kappa_S, \qquad
    c_R \equiv \tilde y^{RL}_{b\nu}\tilde y^{LR*}_{bN} = \lambda_R\kappa_R,

so the SU(2)_H relations imply :math:`c_R = c_S` and :math:`|c_S| = |y_1 y_2|`.

>>> from lqmodel.models import voloshin, couplings_cS_cR
>>> p = voloshin(1000.0, 0.05, 1.0, "mu")
>>> cS, cR = couplings_cS_cR(p)
>>> float(cS[1, 0].real), float(cR[1, 0].real), bool(cS[1, 0].imag == cR[1, 0].imag == 0)
(0.05, 0.05, True)
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from lqmodel.point import B_INDEX, LEPTON_INDEX, LEPTONS, N1_INDEX, T_INDEX, Point, PointError, _check_choice

__all__ = ["s1_only", "voloshin", "voloshin_split", "voloshin_mismatch", "couplings_cS_cR"]


def _lepton(lepton: str) -> int:
    _check_choice("lepton", lepton, LEPTONS)
    return LEPTON_INDEX[lepton]


def _shape(*vals: ArrayLike) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*(np.shape(v) for v in vals))
    except ValueError:
        raise PointError(f"couplings do not broadcast: shapes {[np.shape(v) for v in vals]}") from None


def _zeros(shape: tuple[int, ...]) -> np.ndarray:
    return np.zeros(shape + (3, 3), dtype=complex)


def _check_kw(kw: dict[str, Any], forbidden: tuple[str, ...]) -> None:
    for k in forbidden:
        if k in kw:
            raise PointError(f"{k} is set by this constructor; build a Point (or use Point.replace) to set it directly")


def s1_only(m_S1: ArrayLike, y1: ArrayLike, y2: ArrayLike, lepton: str, y1p: ArrayLike = 0,
            m_b: ArrayLike | None = None, **kw: Any) -> Point:
    r"""S1 alone (no R2~ couplings): :math:`\bar y^{RR}_{bN_1} = y_1`, :math:`y^{LL}_{b\ell} = y_2`,
    :math:`y^{RR}_{t\ell} = y_1'`; everything else zero (docs/theory.md §a.3, §b.1).

    The moment is then the single-leptoquark value of §b.1 (half of the degenerate Voloshin pair).
    ``m_R2`` is set equal to ``m_S1``; it is irrelevant since all R2~ couplings vanish. Extra keywords
    (``m_b_scheme``, ``quark_basis``, ``N_type``, ``M_N``, ``label``, ...) go to :class:`Point`; with
    ``m_b=None`` the value of ``m_b_scheme`` is used. Arguments may be arrays (batched point).

    >>> p = s1_only(1000.0, 0.05, 1.0, "mu", y1p=0.1)
    >>> p.model, float(p.y_RR[2, 1].real), bool((p.yt_RL == 0).all())
    ('s1', 0.1, True)
    """
    _check_kw(kw, ("y_LL", "y_RR", "ybar_RR", "yt_RL", "yt_LR", "model", "lepton", "m_R2"))
    l = _lepton(lepton)
    shape = _shape(y1, y2, y1p)
    ybar, yLL, yRR = _zeros(shape), _zeros(shape), _zeros(shape)
    ybar[..., B_INDEX, N1_INDEX] = y1
    yLL[..., B_INDEX, l] = y2
    yRR[..., T_INDEX, l] = y1p
    return Point(m_S1=m_S1, m_R2=m_S1, y_LL=yLL, y_RR=yRR, ybar_RR=ybar, m_b=m_b, model="s1", lepton=lepton, **kw)


def _voloshin_couplings(y1: ArrayLike, y2: ArrayLike, l: int, y1p: ArrayLike,
                        ratio: ArrayLike = 1.0) -> dict[str, Any]:  # Point keyword arguments
    shape = _shape(y1, y2, y1p, ratio)
    ybar, yLL, yRR, yRL, yLR = (_zeros(shape) for _ in range(5))
    y1c, y2c = np.asarray(y1, dtype=complex), np.asarray(y2, dtype=complex)
    ybar[..., B_INDEX, N1_INDEX] = y1c
    yLL[..., B_INDEX, l] = y2c
    yRR[..., T_INDEX, l] = y1p
    # SU(2)_H (docs/theory.md §a.4): lambda_S = -lambda_R  <=>  yt_RL[b,l] = -conj(ybar_RR[b,N1]);
    #                           kappa_S = kappa_R     <=>  yt_LR[b,N1] = -conj(y_LL[b,l]).
    yRL[..., B_INDEX, l] = -np.conj(y1c) * np.asarray(ratio, dtype=complex)
    yLR[..., B_INDEX, N1_INDEX] = -np.conj(y2c)
    return dict(y_LL=yLL, y_RR=yRR, ybar_RR=ybar, yt_RL=yRL, yt_LR=yLR)


def voloshin(m_LQ: ArrayLike, y1: ArrayLike, y2: ArrayLike, lepton: str, m_b: ArrayLike | None = None,
             *, y1p: ArrayLike = 0, **kw: Any) -> Point:
    r"""The Voloshin pair S1 + R2~ in the exact SU(2)_H limit (docs/theory.md §a.4, §b.2).

    Sets :math:`\bar y^{RR}_{bN_1} = y_1`, :math:`y^{LL}_{b\ell} = y_2`, and the FULL SU(2)_H relations
    :math:`\tilde y^{RL}_{b\ell} = -y_1^*` (:math:`\lambda_S = -\lambda_R`) and
    :math:`\tilde y^{LR}_{bN_1} = -y_2^*` (:math:`\kappa_S = \kappa_R`), with
    :math:`m_{S_1} = m_{\tilde R_2} = m_{LQ}`. It follows that
    :math:`c_R = \tilde y^{RL}_{b\ell}\tilde y^{LR*}_{bN_1} = y_1^* y_2 = \bar y^{RR*}_{bN_1} y^{LL}_{b\ell} = c_S`:
    one-loop :math:`m_{\nu N} = 0` and :math:`\mu_\nu` twice the S1-only value (§b.2). Optional ``y1p`` sets
    :math:`y^{RR}_{t\ell}` (g−2 chirality flip; not part of the SU(2)_H pair). ``kappa`` (keyword) would
    break SU(2)_H (§b.3); it is allowed but the point is then no longer the exact limit.

    >>> p = voloshin(1000.0, 0.05, 1.0, "mu")
    >>> float(p.yt_RL[2, 1].real), float(p.yt_LR[2, 0].real), p.m_S1 == p.m_R2
    (-0.05, -1.0, True)
    """
    _check_kw(kw, ("y_LL", "y_RR", "ybar_RR", "yt_RL", "yt_LR", "model", "lepton", "m_S1", "m_R2"))
    l = _lepton(lepton)
    return Point(m_S1=m_LQ, m_R2=m_LQ, m_b=m_b, model="voloshin", lepton=lepton,
                 **_voloshin_couplings(y1, y2, l, y1p), **kw)


def voloshin_split(m_S1: ArrayLike, m_R2: ArrayLike, y1: ArrayLike, y2: ArrayLike, lepton: str,
                   m_b: ArrayLike | None = None, *, y1p: ArrayLike = 0, **kw: Any) -> Point:
    r"""Voloshin couplings (c_R = c_S, as in :func:`voloshin`) with a mass splitting
    :math:`m_{S_1} \ne m_{\tilde R_2^{-1/3}}` (docs/theory.md §b.3 item 1): SU(2)_H is broken softly and
    :math:`m_{\nu N} = (N_c c_S m_b/16\pi^2)[F(m_S) - F(m_R)]` is finite (§b.2).

    >>> p = voloshin_split(1000.0, 1100.0, 0.05, 1.0, "mu")
    >>> p.model, p.m_S1, p.m_R2
    ('voloshin', 1000.0, 1100.0)
    """
    _check_kw(kw, ("y_LL", "y_RR", "ybar_RR", "yt_RL", "yt_LR", "model", "lepton"))
    l = _lepton(lepton)
    return Point(m_S1=m_S1, m_R2=m_R2, m_b=m_b, model="voloshin", lepton=lepton,
                 **_voloshin_couplings(y1, y2, l, y1p), **kw)


def voloshin_mismatch(m_LQ: ArrayLike, y1: ArrayLike, y2: ArrayLike, lepton: str, c_ratio: ArrayLike,
                      m_b: ArrayLike | None = None, *, y1p: ArrayLike = 0, **kw: Any) -> Point:
    r"""Degenerate masses but a coupling mismatch :math:`c_R = r\,c_S` with ``r = c_ratio`` (docs/theory.md §b.3
    item 2), implemented as :math:`\tilde y^{RL}_{b\ell} = -r\,y_1^*` (the other entries as in
    :func:`voloshin`).

    WARNING: for :math:`c_R \ne c_S` the radiative Dirac mass
    :math:`m_{\nu N} \propto (c_R - c_S) B_0` is **UV-divergent**: the pole and :math:`\ln\bar\mu^2` no
    longer cancel, and a tree-level counterterm (a Dirac Yukawa :math:`\bar\nu_L \tilde H N_R`) is needed.
    The loop value is then only a naturalness estimate; :func:`lqmodel.moments.compute_moments` reports
    NaN and ``uv_divergent=True`` for it. The moment :math:`\mu_\nu` stays finite. The returned point has
    ``model="general"`` (the SU(2)_H relation does not hold) and remembers ``lepton``.

    >>> from lqmodel.models import couplings_cS_cR
    >>> cS, cR = couplings_cS_cR(voloshin_mismatch(1000.0, 0.05, 1.0, "mu", c_ratio=0.9))
    >>> round(float((cR[1, 0] / cS[1, 0]).real), 12)
    0.9
    """
    _check_kw(kw, ("y_LL", "y_RR", "ybar_RR", "yt_RL", "yt_LR", "model", "lepton", "m_S1", "m_R2"))
    l = _lepton(lepton)
    return Point(m_S1=m_LQ, m_R2=m_LQ, m_b=m_b, model="general", lepton=lepton,
                 **_voloshin_couplings(y1, y2, l, y1p, ratio=c_ratio), **kw)


def couplings_cS_cR(point: Point) -> tuple[np.ndarray, np.ndarray]:
    r"""The b-quark coupling products :math:`(c_S, c_R)`, complex arrays ``(*B, 3, 3)`` [lepton, N].

    Computed from the MASS-basis couplings (:meth:`Point.mass_basis`, so the up basis is handled through
    the CKM matrix) for the b quark (down index 2), docs/theory.md §a.4:

    .. math::

        c_S[\alpha, j] = -\lambda_S\kappa_S = \overline{(s1\_dc\_NR)}_{bj}\,(-s1\_dc\_nuL)_{b\alpha}
            = \bar y^{RR*}_{bj}\,y^{LL}_{b\alpha}, \qquad
        c_R[\alpha, j] = \lambda_R\kappa_R = (r2\_d\_nuL)_{b\alpha}\,\overline{(r2\_d\_NR)}_{bj}
            = \tilde y^{RL}_{b\alpha}\,\tilde y^{LR*}_{bj}

    (the right-hand forms hold in the down basis). S1 loop: :math:`c_S`; R2~^(-1/3) loop: :math:`c_R`.
    The returned arrays are read-only (possibly broadcast views).
    """
    from lqmodel.point import _compact

    b = B_INDEX
    # only the b rows of the mass-basis couplings are needed, computed on the compact (un-broadcast)
    # arrays; they equal point.mass_basis().<name>[..., b, :] (checked in tests/test_models.py)
    y_LL, yt_LR, ybar_RR, yt_RL = (_compact(getattr(point, n)) for n in ("y_LL", "yt_LR", "ybar_RR", "yt_RL"))
    if point.quark_basis == "down":
        s1_dc_nuL_b = -y_LL[..., b, :]
        r2_d_NR_b = yt_LR[..., b, :]
    else:
        from observables.parameters import ckm_matrix

        V = ckm_matrix()
        s1_dc_nuL_b = -np.einsum("i,...ij->...j", V[:, b], y_LL)             # -(V^T y^LL)_{b j}
        r2_d_NR_b = np.einsum("i,...ij->...j", V[:, b].conj(), yt_LR)       # (V^dagger yt^LR)_{b j}
    kappa_S = s1_dc_nuL_b                    # -y^LL_{b alpha}   [lepton]
    lambda_S = np.conj(ybar_RR[..., b, :])   # conj(ybar^RR_{bj}) [N]
    lambda_R = yt_RL[..., b, :]              # yt^RL_{b alpha}   [lepton]
    kappa_R = np.conj(r2_d_NR_b)             # conj(yt^LR_{bj})   [N]
    shape = point.batch_shape + (3, 3)
    c_S = np.broadcast_to(-(kappa_S[..., :, None] * lambda_S[..., None, :]), shape)
    c_R = np.broadcast_to(lambda_R[..., :, None] * kappa_R[..., None, :], shape)
    return c_S, c_R
