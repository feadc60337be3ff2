r"""Tree-level :math:`c\to u\ell^+\ell^-` coefficients of the S1 + R2~ model (WCxf WET flavio basis, sector ``cu``).

Only S1 contributes at tree level: it couples :math:`\overline{u^C}` to the charged leptons through
:math:`A = V^*y^{LL}` (down-aligned input; :math:`A = y^{LL}` in the up basis) and :math:`R = y^{RR}`
(``MassBasisCouplings.s1_uc_eL``, ``s1_uc_eR``). :math:`\tilde R_2` couples up quarks only to :math:`N_R`
(:math:`\tilde R_2^{2/3}\bar uP_RN`) and down quarks to charged leptons, so it gives no :math:`c\to u\ell\ell`
at tree level. Conventions: Doršner, Fajfer, Greljo, Kamenik, Košnik arXiv:1603.04993 eq. (7) for S1 (the
Lagrangian of docs/theory.md §a.3), the Fierz identities for anticommuting fields and
:math:`\overline{\psi^C}\Gamma\chi^C = \bar\chi C\Gamma^TC^{-1}\psi` of docs/matching.md.

Derivation (docs/charm.md §3): integrating out S1, :math:`\mathcal L_{\rm eff} = X^\dagger X/m_{S_1}^2` with
:math:`X = A_{j\beta}\overline{u^C_j}P_L\ell_\beta + R_{j\beta}\overline{u^C_j}P_R\ell_\beta`, gives for
:math:`c\to u` (WCxf: :math:`\mathcal L = \mathcal N_{cu}\sum C_iO_i` + h.c.)

.. math::
    \mathcal N C_9 = -\mathcal N C_{10} = \frac{A^*_{u\ell}A_{c\ell}}{4m^2},\qquad
    \mathcal N C_9' = \mathcal N C_{10}' = \frac{R^*_{u\ell}R_{c\ell}}{4m^2},

    \mathcal N m_c C_S = \mathcal N m_c C_P = -\frac{A^*_{u\ell}R_{c\ell}}{4m^2},\qquad
    \mathcal N m_c C_S' = -\mathcal N m_c C_P' = -\frac{R^*_{u\ell}A_{c\ell}}{4m^2},

with :math:`\mathcal N = \mathcal N_{cu}` of :func:`observables.charm.default_cu_normalisation`
(:math:`\frac{4G_F}{\sqrt2}V_{cb}^*V_{ub}\frac{\alpha}{4\pi}`, the same :math:`\alpha` convention as the
:math:`b\to s\ell\ell` coefficients of :mod:`lqmodel.matching`) and :math:`m_c = m_c(\mu)` the
:math:`\overline{\rm MS}` mass at the matching scale exactly as wilson 2.5.2 uses it when it translates the
flavio basis (``wilson.translate.wet.get_parameters``), so that wilson's running and flavio's
:math:`\langle 0|\bar u\gamma_5c|D^0\rangle` see the derived scalar coefficient. The tensor
:math:`+\frac{A^*_{u\ell}R_{c\ell}}{8m^2}(\bar u\sigma^{\mu\nu}P_Rc)(\bar\ell\sigma_{\mu\nu}P_R\ell)` has no
flavio-basis operator and does not contribute to :math:`D^0\to\ell\ell`; it is left out. Lepton-flavour-violating
:math:`c\to u\ell\ell'` has no flavio-basis operator either.

Checked against wilson's own SMEFT → WET tree matching of :mod:`lqmodel.smeft_matching` and against a hand
computation (tests/test_charm.py). Units: the C are dimensionless; masses GeV.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["cu_ll_tree", "cu_ll_tree_values", "m_c_wilson", "CU_LL_NAMES"]

_LEPTONS = ("e", "mu", "tau")
_U, _C = 0, 1
#: every coefficient this module can produce
CU_LL_NAMES = tuple(f"{c}_cu{l}{l}" for l in _LEPTONS
                    for c in ("C9", "C10", "C9p", "C10p", "CS", "CP", "CSp", "CPp"))


def m_c_wilson(scale: Any) -> np.ndarray:
    r""":math:`\overline{\rm MS}` :math:`m_c(\mu)` [GeV] as wilson 2.5.2 uses it in its flavio-basis translation
    at scale :math:`\mu` (``wilson.translate.wet.get_parameters(scale, f=5)``, wilson's default inputs
    :math:`m_c(m_c)` = 1.28 GeV, :math:`\alpha_s(m_Z)` = 0.1185). Vectorised: one rundec call per distinct
    scale."""
    from wilson.translate.wet import get_parameters

    s = np.asarray(scale, dtype=float)
    u, inv = np.unique(s.ravel(), return_inverse=True)
    vals = np.array([get_parameters(float(x), f=5)["m_c"] for x in u])
    return vals[inv].reshape(s.shape)


def cu_ll_tree_values(A: np.ndarray, R: np.ndarray, mS2: np.ndarray, scale: Any, values: dict,
                      want: Callable[[str], bool] = lambda name: True, nonzero: tuple | None = None) -> None:
    r"""Add the tree-level ``cu{l}{l}`` coefficients (module docstring) to ``values``.

    ``A``, ``R``: mass-basis S1 couplings :math:`A_{u\ell}` (``s1_uc_eL``), :math:`R_{u\ell}` (``s1_uc_eR``),
    shape ``(*B, 3, 3)``; ``mS2`` = :math:`m_{S_1}^2` [GeV²] and ``scale`` [GeV] broadcastable to ``B``. Entries
    that vanish identically are not written. ``want(name)`` filters (the ``names`` argument of
    :func:`lqmodel.matching.match`). ``nonzero``: the (3, 3) patterns of the entries of ``A`` and ``R`` that are
    non-zero somewhere in the batch (:func:`lqmodel.matching._entry_nonzero`; default: found here): products
    with an identically zero factor are not formed.
    """
    from lqmodel.matching import _entry_nonzero
    from observables.charm import default_cu_normalisation

    A, R = np.asarray(A, dtype=complex), np.asarray(R, dtype=complex)
    nzA, nzR = (_entry_nonzero(A), _entry_nonzero(R)) if nonzero is None else nonzero
    inv = 1.0 / (4.0 * np.asarray(mS2, dtype=float) * default_cu_normalisation())
    mc = None
    zero = np.zeros((), dtype=complex)

    def pair(P: np.ndarray, nzP: np.ndarray, Q: np.ndarray, nzQ: np.ndarray, l: int) -> np.ndarray:
        """conj(P_ul) Q_cl, a zero scalar where a factor vanishes identically (then never written)."""
        return np.conj(P[..., _U, l]) * Q[..., _C, l] if nzP[_U, l] and nzQ[_C, l] else zero

    for l, lep in enumerate(_LEPTONS):
        aa = pair(A, nzA, A, nzA, l)
        rr = pair(R, nzR, R, nzR, l)
        ar = pair(A, nzA, R, nzR, l)
        ra = pair(R, nzR, A, nzA, l)
        tag = f"cu{lep}{lep}"
        if np.any(aa != 0):
            for n, sgn in (("C9", 1.0), ("C10", -1.0)):
                if want(f"{n}_{tag}"):
                    values[f"{n}_{tag}"] = sgn * aa * inv
        if np.any(rr != 0):
            for n in ("C9p", "C10p"):
                if want(f"{n}_{tag}"):
                    values[f"{n}_{tag}"] = rr * inv
        for prod, names in ((ar, (("CS", -1.0), ("CP", -1.0))), (ra, (("CSp", -1.0), ("CPp", 1.0)))):
            if not np.any(prod != 0) or not any(want(f"{n}_{tag}") for n, _ in names):
                continue
            if mc is None:
                mc = m_c_wilson(scale)
            for n, sgn in names:
                if want(f"{n}_{tag}"):
                    values[f"{n}_{tag}"] = sgn * prod * inv / mc


def cu_ll_tree(point: Any) -> dict[str, np.ndarray]:
    r"""The tree-level ``cu{l}{l}`` flavio-basis coefficients of ``point`` at
    :func:`lqmodel.matching.matching_scale` (new physics only), complex arrays of shape
    ``point.batch_shape``; only the non-vanishing ones.

    >>> import numpy as np
    >>> from lqmodel.point import Point
    >>> y = np.zeros((3, 3)); y[0, 1] = y[1, 1] = 1.0          # up basis: A_{u mu} = A_{c mu} = 1
    >>> wc = cu_ll_tree(Point(m_S1=1000.0, m_R2=1000.0, y_LL=y, quark_basis="up"))
    >>> sorted(wc)
    ['C10_cumumu', 'C9_cumumu']
    """
    from lqmodel.matching import matching_scale

    mb = point.mass_basis()
    shape = point.batch_shape
    mS2 = np.broadcast_to(np.asarray(point.m_S1, dtype=float), shape) ** 2
    values: dict[str, Any] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        cu_ll_tree_values(mb.s1_uc_eL, mb.s1_uc_eR, mS2, matching_scale(point), values)
    return {k: np.broadcast_to(np.asarray(v, dtype=complex), shape) for k, v in values.items()}
