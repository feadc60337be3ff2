r"""Generic scalar–fermion one-loop dipole and self-energy (knows nothing about leptoquarks).

Interaction (docs/theory.md §b.1), for an internal fermion :math:`F` (mass :math:`m_F`, charge
:math:`Q_F`, :math:`N_c` colours), an internal scalar :math:`\phi` (mass :math:`m_\phi`) and an external
fermion :math:`\Psi = \Psi_L + \Psi_R`:

.. math::

    \mathcal L \supset \bar F\,(a\,P_L + b\,P_R)\,\Psi\,\phi^* + \text{h.c.}

Charges are in units of :math:`e>0` and *flow with the fermion line*: in :math:`\Psi\to F\phi`,
:math:`Q_F + Q_\phi = Q_\Psi`, where :math:`Q_\phi` is the charge of the scalar **in the loop** (that of
:math:`\phi`, i.e. minus the charge of the field written :math:`\phi^*` above).

Results (external momenta and masses neglected inside the loop; :math:`x=m_F^2/m_\phi^2`):

* dipole, :math:`\mathcal L_{\rm eff} = \frac{\mu}{2}\,\bar\Psi_L\sigma^{\mu\nu}\Psi_R F_{\mu\nu}+\text{h.c.}`
  (the normalisation of docs/theory.md §a.1), with

  .. math::

      \mu = -\frac{e\,N_c}{16\pi^2 m_\phi^2}\Big[m_F\,a^*b\,G(x) + m_\Psi\,\frac{|a|^2+|b|^2}{2}\,2F_Q(x)\Big],
      \quad G = Q_F\,g_F - Q_\phi\,g_\phi,\quad F_Q = Q_F\,f_F - Q_\phi\,f_\phi .

  The relative sign of the fermion- and scalar-photon diagrams (:math:`Q_F` vs :math:`-Q_\phi`) and the
  normalisation are those of Leveille, Nucl. Phys. B137 (1978) 63 / Jegerlehner–Nyffeler
  arXiv:0902.3360 Sec. 7; they are *tested* by reproducing the known chirally enhanced leptoquark
  g−2 factors :math:`\tfrac23(\ln\tfrac{m^2}{m_t^2}-\tfrac74)` (S1, top) and
  :math:`\tfrac23(\ln-\tfrac14)` (R2, top) of docs/theory.md §b.1/§c.5 (arXiv:1603.04993, hep-ph/0102238),
  and the SM-Higgs limit :math:`\ln(m_h^2/m_\mu^2)-7/6`. The non-enhanced term is written for a single
  external fermion (diagonal moment, the g−2 case). The **overall sign** of :math:`\mu` is a convention
  (it drops out of every rate; docs/theory.md §f.3): it is chosen so that the leptoquark transition moment
  of docs/theory.md §b.2 comes out with a plus sign.
* anomalous magnetic moment of a charged external fermion (:math:`Q_\Psi\neq0`):
  :math:`\Delta a = \frac{N_c m_\Psi}{8\pi^2 m_\phi^2}\frac{1}{Q_\Psi}\big[m_F\,\mathrm{Re}(a^*b)\,G +
  m_\Psi(|a|^2+|b|^2)F_Q\big]` (Leveille's sign: positive for a neutral scalar with scalar coupling).
* self-energy mass term, :math:`\mathcal L_{\rm eff}\supset -m\,\bar\Psi_L\Psi_R + \text{h.c.}` with
  :math:`m = -\frac{N_c\,m_F}{16\pi^2}\,a^*b\;B_0(0;m_F^2,m_\phi^2)` (derived from
  :math:`-i\Sigma` with the Feynman rules of the Lagrangian above; :math:`p^2 = m_\Psi^2\to 0`;
  :math:`B_0` of :mod:`loops.pv` with the explicit pole :math:`\Delta`).

Units: GeV for masses, :math:`\mu` in units of :math:`e\cdot`GeV⁻¹ when ``e`` is left symbolic.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from . import pv, symbolic

#: a number (int, float, complex, Fraction; rationalised) or a sympy expression
ExprLike = Any

__all__ = ["DipoleResult", "scalar_fermion_dipole", "self_energy_mass", "anomalous_moment", "E"]

#: the positive unit charge e = sqrt(4 pi alpha)
E = sp.Symbol("e", positive=True)


@dataclass(frozen=True)
class DipoleResult:
    """Symbolic result of :func:`scalar_fermion_dipole` (all sympy expressions)."""

    mu: sp.Expr          #: coefficient of (1/2) Psibar_L sigma Psi_R F (+ h.c.)
    enhanced: sp.Expr    #: G(x) = Q_F g_F - Q_phi g_phi
    nonenhanced: sp.Expr  #: F_Q(x) = Q_F f_F - Q_phi f_phi
    x: sp.Expr           #: m_F^2 / m_phi^2


def _as_expr(v: ExprLike) -> sp.Expr:
    return sp.nsimplify(v) if isinstance(v, (int, float)) else sp.sympify(v)


def scalar_fermion_dipole(
    Q_F: ExprLike, Q_phi: ExprLike, N_c: ExprLike, m_F: ExprLike, m_phi: ExprLike, a: ExprLike, b: ExprLike,
    m_ext: ExprLike = 0, e: sp.Expr = E,
) -> DipoleResult:
    r"""Dipole coefficient :math:`\mu` for the interaction of the module docstring (sympy in, sympy out).

    Arguments may be numbers (floats are rationalised) or sympy expressions; ``a``/``b`` may be complex.
    """
    Q_F, Q_phi, N_c, m_F, m_phi, a, b, m_ext = (_as_expr(v) for v in (Q_F, Q_phi, N_c, m_F, m_phi, a, b, m_ext))
    x = m_F**2 / m_phi**2
    G = Q_F * symbolic.loop_function("g_F", x) - Q_phi * symbolic.loop_function("g_phi", x)
    FQ = Q_F * symbolic.loop_function("f_F", x) - Q_phi * symbolic.loop_function("f_phi", x)
    mu = -e * N_c / (16 * sp.pi**2 * m_phi**2) * (
        m_F * sp.conjugate(a) * b * G + m_ext * (a * sp.conjugate(a) + b * sp.conjugate(b)) * FQ
    )
    return DipoleResult(mu=mu, enhanced=G, nonenhanced=FQ, x=x)


def anomalous_moment(Q_ext: ExprLike, Q_F: ExprLike, Q_phi: ExprLike, N_c: ExprLike, m_F: ExprLike,
                     m_phi: ExprLike, a: ExprLike, b: ExprLike, m_ext: ExprLike) -> sp.Expr:
    r""":math:`\Delta a` of a charged external fermion (module docstring; Leveille sign convention)."""
    Q_ext, Q_F, Q_phi, N_c, m_F, m_phi, a, b, m_ext = (
        _as_expr(v) for v in (Q_ext, Q_F, Q_phi, N_c, m_F, m_phi, a, b, m_ext)
    )
    if Q_ext == 0:
        raise ValueError("the anomalous magnetic moment needs a charged external fermion (Q_ext != 0)")
    x = m_F**2 / m_phi**2
    G = Q_F * symbolic.loop_function("g_F", x) - Q_phi * symbolic.loop_function("g_phi", x)
    FQ = Q_F * symbolic.loop_function("f_F", x) - Q_phi * symbolic.loop_function("f_phi", x)
    re_ab = sp.re(sp.conjugate(a) * b)
    ab2 = a * sp.conjugate(a) + b * sp.conjugate(b)
    return N_c * m_ext / (8 * sp.pi**2 * m_phi**2) / Q_ext * (m_F * re_ab * G + m_ext * ab2 * FQ)


def self_energy_mass(N_c: ExprLike, m_F: ExprLike, m_phi: ExprLike, a: ExprLike, b: ExprLike,
                     mu_scale: sp.Expr = pv.MU) -> sp.Expr:
    r"""Mass coefficient :math:`m` in :math:`-m\bar\Psi_L\Psi_R` + h.c. (module docstring), with the pole
    :math:`\Delta`."""
    N_c, m_F, m_phi, a, b = (_as_expr(v) for v in (N_c, m_F, m_phi, a, b))
    return -N_c * m_F / (16 * sp.pi**2) * sp.conjugate(a) * b * pv.B0_zero(m_F, m_phi, mu_scale)
