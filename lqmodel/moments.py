r"""Transition magnetic moment :math:`\mu_{\alpha N_j}` and radiative Dirac mass :math:`m_{\alpha N_j}` of a point.

SOURCE: physics.md §b.2 (derived there; re-derived by the generic engine in :mod:`lqmodel.derivation`,
which also proves symbolically that the UV pole and :math:`\ln\mu` cancel iff :math:`c_R=c_S`). Loops
of S1 and of :math:`\tilde R_2^{-1/3}` with a down-type quark :math:`d_k` (:math:`k = d,s,b`, masses
:math:`m_{d}, m_s` = :math:`\overline{\rm MS}` at 2 GeV from the parameter file, :math:`m_b` = the point's
``m_b``; the b quark dominates by :math:`m_b/m_s\approx45`).

COUPLINGS (mass basis, :class:`lqmodel.point.MassBasisCouplings`, physics.md §a.4 generalised to every
flavour): for quark :math:`k`, lepton :math:`\alpha` and sterile :math:`N_j`

.. math::

    c_S^{k\alpha j} = \overline{(\texttt{s1\_dc\_NR})_{kj}}\,\big(-(\texttt{s1\_dc\_nuL})_{k\alpha}\big),
    \qquad
    c_R^{k\alpha j} = (\texttt{r2\_d\_nuL})_{k\alpha}\,\overline{(\texttt{r2\_d\_NR})_{kj}},

(down basis: :math:`c_S = \bar y^{RR*}_{kj}y^{LL}_{k\alpha}`, :math:`c_R=\tilde y^{RL}_{k\alpha}\tilde y^{LR*}_{kj}`;
the Voloshin constructors give :math:`c_R=c_S=y_1^*y_2`). In the generic engine's notation
(:mod:`loops.dipole`) the S1 loop has :math:`a^*b=-c_S^*`, the R2~ loop :math:`a^*b=c_R^*`.

RESULTS (:math:`N_c|Q_d| = 1` in the moment, :math:`N_c=3` in the mass, :math:`x_{k,X} = m_k^2/m_X^2`):

.. math::

    \frac{\mu_{\alpha N_j}}{\mu_B} = \frac{m_e}{8\pi^2}\sum_k m_k\Big[\frac{c_S^{*}\,g(x_{k,S})}{m_{S_1}^2}
       + \frac{c_R^{*}\,g(x_{k,R})}{m_{R}^2}\Big]

    m_{\alpha N_j} = -\frac{N_c}{16\pi^2}\sum_k m_k\big[c_R^{*}B_0(0;m_k^2,m_R^2) - c_S^{*}B_0(0;m_k^2,m_{S_1}^2)\big]
      = -\frac{N_c}{16\pi^2}\sum_k m_k\Big[c_S^{*}\big(F_k(m_{S_1})-F_k(m_R)\big) - (c_R-c_S)^{*}\,h(x_{k,R})\Big]

where the last form holds when the UV pole :math:`\propto\sum_k m_k (c_R-c_S)^*` vanishes (checked to
``rtol`` = 1e-12 relative to :math:`\sum_k m_k(|c_R|+|c_S|)`); otherwise ``m_nuN_GeV`` is NaN and
``uv_divergent`` is True (a tree-level counterterm is needed, physics.md §b.3). :math:`F_k(m_{S_1})-F_k(m_R)`
is evaluated by :func:`loops.numeric.delta_F` (accurate for any splitting, exactly 0 when degenerate).

CONVENTIONS. ``mu_muB[..., alpha, j]`` is :math:`\mu` in
:math:`\mathcal L = (\mu/2)\,\bar\nu_{L\alpha}\sigma^{\mu\nu}N_{Rj}F_{\mu\nu}` + h.c. in Bohr magnetons
(:math:`\mu_B=e/2m_e`; physics.md §a.1); Re = magnetic, Im = electric transition moment (it is
proportional to :math:`c^*`, as required by rephasing :math:`N\to e^{i\theta}N`). Its overall sign is a
convention (physics.md §f.3), fixed so that real positive :math:`c` gives positive :math:`\mu`, as in
§b.2. ``m_nuN_GeV`` is :math:`m` in :math:`\mathcal L\supset -m\,\bar\nu_{L\alpha}N_{Rj}` + h.c.
(derived sign; §b.2 displays the opposite overall sign). Rates depend on :math:`|\mu|` only. External
masses (:math:`M_N`, :math:`m_\nu`) are neglected in the loop; the same formulas hold for Dirac and
Majorana N (the Majorana decay width doubles, physics.md §d.2, which is not this module's business).

NOT INCLUDED: the S1–:math:`\tilde R_2^{-1/3}` mixing from :math:`\kappa` (physics.md §b.3 item 3: it
produces Majorana :math:`\nu\nu` and :math:`NN` masses and active–active moments, not modelled here);
a point with :math:`\kappa\neq0` triggers a :class:`KappaNotIncludedWarning`. QCD running of
:math:`m_b` is not included (the user's ``m_b`` is used as given; physics.md §b.4).

>>> from lqmodel.models import voloshin
>>> m = compute_moments(voloshin(1000.0, 0.05, 1.0, "mu"))
>>> f"{m.mu_muB[1, 0].real:.5e}", float(m.m_nuN_GeV[1, 0].real), bool(m.uv_divergent[1, 0])
('2.69314e-11', 0.0, False)
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from loops import numeric

if TYPE_CHECKING:  # pragma: no cover
    from lqmodel.point import Point

__all__ = [
    "Moments",
    "compute_moments",
    "coupling_products",
    "mu_nu_muB",
    "m_nuN_GeV",
    "down_quark_masses",
    "KappaNotIncludedWarning",
    "N_C",
    "UV_RTOL",
]

#: colours of the quark in the loop
N_C = 3
#: relative tolerance of the UV-finiteness test sum_k m_k (c_R - c_S) = 0
UV_RTOL = 1e-12
_PRECISIONS = ("double", "mp")


class KappaNotIncludedWarning(UserWarning):
    """The point has kappa != 0, whose S1–R2~ mixing is not included in the moments."""


@dataclass(frozen=True)
class Moments:
    """Result of :func:`compute_moments`; arrays ``(*B, 3, 3)`` indexed [lepton alpha (e, mu, tau), N_j]."""

    mu_muB: np.ndarray        #: complex transition moment in Bohr magnetons (see module docstring)
    m_nuN_GeV: np.ndarray     #: complex radiative Dirac mass in GeV; NaN where UV-divergent
    uv_divergent: np.ndarray  #: bool: True where sum_k m_k (c_R - c_S) != 0

    @property
    def abs_mu_muB(self) -> np.ndarray:
        """:math:`|\\mu_{\\alpha N_j}|` in Bohr magnetons."""
        return np.abs(self.mu_muB)


def _m_e() -> float:
    from observables.parameters import value

    return value("m_e")


def down_quark_masses(m_b: ArrayLike) -> np.ndarray:
    """Loop masses (d, s, b) in GeV, shape ``(*shape(m_b), 3)``: m_d, m_s at 2 GeV (parameter file), m_b given."""
    from observables.parameters import value

    m_b = np.asarray(m_b, dtype=float)
    out = np.empty(m_b.shape + (3,))
    out[..., 0] = value("m_d_MSbar_2GeV")
    out[..., 1] = value("m_s_MSbar_2GeV")
    out[..., 2] = m_b
    return out


def coupling_products(point: "Point") -> tuple[np.ndarray, np.ndarray]:
    """``(c_S, c_R)``, complex arrays ``(*B, 3 quarks, 3 leptons, 3 N)`` from the point's mass-basis couplings."""
    mb = point.mass_basis()
    c_S = np.conj(mb.s1_dc_NR)[..., :, None, :] * (-mb.s1_dc_nuL)[..., :, :, None]
    c_R = mb.r2_d_nuL[..., :, :, None] * np.conj(mb.r2_d_NR)[..., :, None, :]
    return c_S, c_R


def _check_masses(**masses: np.ndarray) -> None:
    for name, m in masses.items():
        if not np.all(np.isfinite(m)) or np.any(m <= 0):
            raise ValueError(f"{name} must be positive and finite (GeV)")


def mu_nu_muB(c_S: ArrayLike, c_R: ArrayLike, m_q: ArrayLike, m_S1: ArrayLike, m_R2: ArrayLike,
              m_e: float | None = None) -> np.ndarray:
    r"""One quark flavour's :math:`\mu/\mu_B = \frac{m_e m_q}{8\pi^2}[c_S^* g(x_S)/m_{S_1}^2 + c_R^* g(x_R)/m_R^2]`.

    Vectorised (all arguments broadcast); masses in GeV; complex result. See the module docstring.

    >>> f"{mu_nu_muB(0.05, 0.05, 4.18, 1000.0, 1000.0).real:.5e}"   # physics.md §b.5 BP2
    '2.69314e-11'
    """
    m_q, m_S1, m_R2 = (np.asarray(v, dtype=float) for v in (m_q, m_S1, m_R2))
    _check_masses(m_q=m_q, m_S1=m_S1, m_R2=m_R2)
    m_e = _m_e() if m_e is None else m_e
    gS = numeric.g((m_q / m_S1) ** 2)
    gR = numeric.g((m_q / m_R2) ** 2)
    pref = m_e * m_q / (8.0 * math.pi**2)
    return pref * (np.conj(c_S) * gS / m_S1**2 + np.conj(c_R) * gR / m_R2**2)


def _mass_parts(c_S, c_R, m_q, m_S1, m_R2):
    """(finite part, pole coefficient, scale of the pole) of one flavour's m_nuN, before the prefactor."""
    dc = np.conj(c_R) - np.conj(c_S)
    dF = numeric.delta_F(m_q, m_S1, m_R2)
    hR = numeric.h((m_q / m_R2) ** 2)
    finite = m_q * (np.conj(c_S) * dF - dc * hR)
    pole = m_q * dc
    scale = m_q * (np.abs(c_R) + np.abs(c_S))
    return finite, pole, scale


def m_nuN_GeV(c_S: ArrayLike, c_R: ArrayLike, m_q: ArrayLike, m_S1: ArrayLike, m_R2: ArrayLike,
              rtol: float = UV_RTOL) -> tuple[np.ndarray, np.ndarray]:
    r"""One quark flavour's radiative Dirac mass (GeV) and its UV-divergence flag (module docstring).

    Returns ``(m, uv_divergent)``; ``m`` is NaN where ``c_R != c_S`` (beyond ``rtol``).

    >>> m, div = m_nuN_GeV(0.05, 0.05, 4.18, 1000.0, 1000.0 * (1 + 1e-9))
    >>> f"{m.real:.4e}", bool(div)     # ~ -(3 c m_b / 16 pi^2) * (-2e-9)
    ('7.9397e-12', False)
    """
    m_q, m_S1, m_R2 = (np.asarray(v, dtype=float) for v in (m_q, m_S1, m_R2))
    _check_masses(m_q=m_q, m_S1=m_S1, m_R2=m_R2)
    finite, pole, scale = _mass_parts(np.asarray(c_S, dtype=complex), np.asarray(c_R, dtype=complex), m_q, m_S1, m_R2)
    div = np.abs(pole) > rtol * scale
    m = -N_C / (16.0 * math.pi**2) * finite
    return np.where(div, np.nan + 0j, m), div


def _warn_kappa(point: "Point") -> None:
    if np.any(np.asarray(point.kappa, dtype=float) != 0.0):
        warnings.warn(
            "kappa != 0: the S1–R2~ mixing it induces (Majorana nu-nu and N-N masses, physics.md §b.3) is "
            "not included; mu_nu and m_nuN are computed without it",
            KappaNotIncludedWarning,
            stacklevel=3,
        )


def compute_moments(point: "Point", *, precision: str = "double", dps: int = 50) -> Moments:
    """Moments of a (batched) point: sum over d, s, b in the S1 and R2~^(-1/3) loops (module docstring).

    ``precision="double"``: vectorised numpy. ``"mp"``: every loop function and the B0 differences in
    mpmath at ``dps`` digits, summed in mpmath, rounded to complex128 at the end (scalar points or small
    batches). Raises ``ValueError`` for an unknown precision.
    """
    if precision not in _PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; allowed: {', '.join(_PRECISIONS)}")
    _warn_kappa(point)
    m_q = down_quark_masses(point.m_b)                          # (*Bb, 3)
    m_S1 = np.asarray(point.m_S1, dtype=float)[..., None]      # (*B, 1)
    m_R2 = np.asarray(point.m_R2, dtype=float)[..., None]
    if precision == "mp":
        c_S, c_R = coupling_products(point)                     # (*B, 3, 3, 3)
        return _compute_mp(c_S, c_R, m_q, m_S1, m_R2, dps)
    m_e = _m_e()
    x_S = (m_q / m_S1) ** 2                                     # (*B, 3)
    x_R = (m_q / m_R2) ** 2
    mqb = np.broadcast_to(m_q, np.broadcast_shapes(m_q.shape, x_S.shape, x_R.shape))
    wS = m_e * mqb / (8.0 * math.pi**2) * numeric.g(x_S) / m_S1**2
    wR = m_e * mqb / (8.0 * math.pi**2) * numeric.g(x_R) / m_R2**2
    dF = numeric.delta_F(m_q, m_S1, m_R2)
    hR = numeric.h(x_R)
    # factorised couplings: c_S^*[k,a,j] = sNR[k,j] sL[k,a], c_R^*[k,a,j] = rL[k,a] rNR[k,j]
    mb_ = point.mass_basis()
    sL = np.conj(-mb_.s1_dc_nuL)
    sNR = mb_.s1_dc_NR
    rL = np.conj(mb_.r2_d_nuL)
    rNR = mb_.r2_d_NR

    def contract(left, right, w):  # sum_k left[k,a] right[k,j] w[k]
        return np.swapaxes(left * w[..., :, None], -1, -2) @ right

    mu = contract(sL, sNR, wS) + contract(rL, rNR, wR)
    # keep the c_S* dF term separate (never dF + h - h, which would lose the digits of a tiny splitting)
    # (c_R - c_S)^* elementwise (products commute exactly, so equal couplings give exactly 0)
    dc = rL[..., :, :, None] * rNR[..., :, None, :] - sL[..., :, :, None] * sNR[..., :, None, :]
    finite = contract(sL, sNR, mqb * dF) - np.sum(dc * (mqb * hR)[..., :, None, None], axis=-3)
    pole = np.sum(dc * mqb[..., :, None, None], axis=-3)
    scale = contract(np.abs(rL), np.abs(rNR), mqb) + contract(np.abs(sL), np.abs(sNR), mqb)
    div = np.abs(pole) > UV_RTOL * scale
    m = np.where(div, np.nan + 0j, -N_C / (16.0 * math.pi**2) * finite)
    return Moments(mu_muB=mu, m_nuN_GeV=m, uv_divergent=div)


def _compute_mp(c_S, c_R, m_q, m_S1, m_R2, dps: int) -> Moments:
    import mpmath

    from loops import highprec

    shape = np.broadcast_shapes(c_S.shape[:-3], m_q.shape[:-1], m_S1.shape[:-1], m_R2.shape[:-1])
    c_S = np.broadcast_to(c_S, shape + (3, 3, 3))
    c_R = np.broadcast_to(c_R, shape + (3, 3, 3))
    m_q = np.broadcast_to(m_q, shape + (3,))
    m_S1 = np.broadcast_to(m_S1, shape + (1,))
    m_R2 = np.broadcast_to(m_R2, shape + (1,))
    mu_out = np.empty(shape + (3, 3), dtype=complex)
    m_out = np.empty(shape + (3, 3), dtype=complex)
    div_out = np.empty(shape + (3, 3), dtype=bool)
    with mpmath.workdps(dps):
        m_e = mpmath.mpf(_m_e())
        pi2 = mpmath.pi**2
        for idx in np.ndindex(*shape):
            mS, mR = mpmath.mpf(m_S1[idx][0]), mpmath.mpf(m_R2[idx][0])
            per_q = []
            for k in range(3):
                mk = mpmath.mpf(m_q[idx][k])
                gS = highprec.loop_function("g", (mk / mS) ** 2, dps)
                gR = highprec.loop_function("g", (mk / mR) ** 2, dps)
                dF = highprec.delta_F(mk, mS, mR, dps)
                hR = highprec.h((mk / mR) ** 2, dps)
                per_q.append((mk, gS, gR, dF, hR))
            for a in range(3):
                for j in range(3):
                    mu = mpmath.mpc(0)
                    fin = mpmath.mpc(0)
                    pole = mpmath.mpc(0)
                    scale = mpmath.mpf(0)
                    for k, (mk, gS, gR, dF, hR) in enumerate(per_q):
                        cs = mpmath.conj(mpmath.mpc(c_S[idx][k, a, j]))
                        cr = mpmath.conj(mpmath.mpc(c_R[idx][k, a, j]))
                        mu += m_e * mk / (8 * pi2) * (cs * gS / mS**2 + cr * gR / mR**2)
                        fin += mk * (cs * dF - (cr - cs) * hR)
                        pole += mk * (cr - cs)
                        scale += mk * (abs(cr) + abs(cs))
                    div = abs(pole) > UV_RTOL * scale
                    mu_out[idx + (a, j)] = complex(mu)
                    div_out[idx + (a, j)] = bool(div)
                    m_out[idx + (a, j)] = complex("nan") if div else complex(-N_C / (16 * pi2) * fin)
    return Moments(mu_muB=mu_out, m_nuN_GeV=m_out, uv_divergent=div_out)
