r"""Transition magnetic moment :math:`\mu_{\alpha N_j}` and radiative Dirac mass :math:`m_{\alpha N_j}` of a point.

SOURCE: docs/theory.md §b.2 (derived there; re-derived by the generic engine in :mod:`lqmodel.derivation`,
which also proves symbolically that the UV pole and :math:`\ln\mu` cancel iff :math:`c_R=c_S`). Loops
of S1 and of :math:`\tilde R_2^{-1/3}` with a down-type quark :math:`d_k` (:math:`k = d,s,b`, masses
:math:`m_{d}, m_s` = :math:`\overline{\rm MS}` at 2 GeV from the parameter file, :math:`m_b` = the point's
``m_b``; the b quark dominates by :math:`m_b/m_s\approx45`).

COUPLINGS (mass basis, :class:`lqmodel.point.MassBasisCouplings`, docs/theory.md §a.4 generalised to every
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
``uv_divergent`` is True (a tree-level counterterm is needed, docs/theory.md §b.3). :math:`F_k(m_{S_1})-F_k(m_R)`
is evaluated by :func:`loops.numeric.delta_F` (accurate for any splitting, exactly 0 when degenerate).

CONVENTIONS. ``mu_muB[..., alpha, j]`` is :math:`\mu` in
:math:`\mathcal L = (\mu/2)\,\bar\nu_{L\alpha}\sigma^{\mu\nu}N_{Rj}F_{\mu\nu}` + h.c. in Bohr magnetons
(:math:`\mu_B=e/2m_e`; docs/theory.md §a.1); Re = magnetic, Im = electric transition moment (it is
proportional to :math:`c^*`, as required by rephasing :math:`N\to e^{i\theta}N`). Its overall sign is a
convention (docs/theory.md §f.3), fixed so that real positive :math:`c` gives positive :math:`\mu`, as in
§b.2. ``m_nuN_GeV`` is :math:`m` in :math:`\mathcal L\supset -m\,\bar\nu_{L\alpha}N_{Rj}` + h.c.
(derived sign; §b.2 displays the opposite overall sign). Rates depend on :math:`|\mu|` only. External
masses (:math:`M_N`, :math:`m_\nu`) are neglected in the loop; the same formulas hold for Dirac and
Majorana N (the Majorana decay width doubles, docs/theory.md §d.2, which is not this module's business).

KAPPA (S1–:math:`\tilde R_2^{-1/3}` mixing, docs/theory.md §a.3, §b.3 item 3) IS included for these
:math:`\nu`–:math:`N` entries: ``m_S1`` and ``m_R2`` are then the diagonal entries of the charge −1/3 mass
matrix (:func:`scalar_mixing`), and each loop's propagator becomes the weighted sum over the two mass
eigenstates :math:`\lambda_\pm` (the S1 loop with :math:`|U_{S\pm}|^2`, the R2~ loop with
:math:`|U_{R\pm}|^2`); the off-diagonal propagator does not contribute to :math:`\bar\nu_L N_R` (it needs
two :math:`b_R` or two :math:`b_L` vertices). Hence :math:`F_k(m_S)-F_k(m_R)\to-(d/r)[F_k(\lambda_+)-F_k(\lambda_-)]`
and :math:`h(x_{k,R})\to\sum_\pm|U_{R\pm}|^2 h(m_k^2/\lambda_\pm)` above. With degenerate diagonal
masses, :math:`\kappa` alone gives no Dirac mass (it is the :math:`T^\pm` component of an SU(2)_H triplet
spurion). NOT INCLUDED: the Majorana :math:`\nu_L\nu_L` and :math:`NN` masses and the active–active
moments that :math:`\kappa` also induces (they are not part of :class:`Moments`); a point with
:math:`\kappa\neq0` triggers a :class:`KappaNotIncludedWarning` saying so. QCD running of :math:`m_b` is
not included (the user's ``m_b`` is used as given; docs/theory.md §b.4).

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
from lqmodel.fields import FIELDS, charge

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
    "ScalarMixing",
    "scalar_mixing",
    "N_C",
    "UV_RTOL",
]

#: colours of the down-type quark in the loop (lqmodel.fields, the one table of quantum numbers)
N_C = FIELDS["d_R"].n_colour
#: N_c |Q_d| of the moment's prefactor (= 1; S1 loop: d^C (+1/3) with S1^* (-1/3), R2~ loop: d (-1/3)
#: with (R2~^(-1/3))^* (+1/3); the loop-fermion and loop-scalar charges are opposite, so the photon-on-
#: fermion and photon-on-scalar pieces combine into g(x) of loops.numeric; lqmodel.derivation derives it)
_NC_QD = float(N_C * abs(charge("d_R")))
#: relative tolerance of the UV-finiteness test sum_k m_k (c_R - c_S) = 0
UV_RTOL = 1e-12
_PRECISIONS = ("double", "mp")
_PATHS = ("auto", "factorised", "general")
#: "auto" takes the factorised path when at most this many (k, alpha, j) S1 + R2~ terms are live
_FACTORISED_MAX_TERMS = 9


class KappaNotIncludedWarning(UserWarning):
    """kappa != 0: its Majorana nu-nu / N-N masses and active-active moments are not computed (the nu–N
    moments and masses do include the S1–R2~ mixing)."""


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


def coupling_products(point: Point) -> tuple[np.ndarray, np.ndarray]:
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

    >>> f"{mu_nu_muB(0.05, 0.05, 4.18, 1000.0, 1000.0).real:.5e}"   # docs/theory.md §b.5 BP2
    '2.69314e-11'
    """
    m_q, m_S1, m_R2 = (np.asarray(v, dtype=float) for v in (m_q, m_S1, m_R2))
    _check_masses(m_q=m_q, m_S1=m_S1, m_R2=m_R2)
    m_e = _m_e() if m_e is None else m_e
    gS = numeric.g((m_q / m_S1) ** 2)
    gR = numeric.g((m_q / m_R2) ** 2)
    pref = _NC_QD * m_e * m_q / (8.0 * math.pi**2)
    return pref * (np.conj(c_S) * gS / m_S1**2 + np.conj(c_R) * gR / m_R2**2)


def _mass_parts(c_S: np.ndarray, c_R: np.ndarray, m_q: np.ndarray, m_S1: np.ndarray, m_R2: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def _warn_kappa(point: Point) -> None:
    if np.any(np.asarray(point.kappa, dtype=float) != 0.0):
        warnings.warn(
            "kappa != 0: the S1–R2~^(-1/3) mixing is included in mu_nu and m_nuN (nu–N entries), but the "
            "Majorana nu_L–nu_L and N–N masses and the active–active moments it also induces "
            "(docs/theory.md §b.3 item 3) are not computed by lqmodel.moments",
            KappaNotIncludedWarning,
            stacklevel=3,
        )


def _vev() -> float:
    from observables.parameters import value

    return (math.sqrt(2.0) * value("G_F")) ** -0.5


@dataclass(frozen=True)
class ScalarMixing:
    """Charge −1/3 scalar sector (S1*, R2~^(-1/3)) after kappa mixing; arrays of the point's batch shape.

    ``lam_plus >= lam_minus`` are the squared mass eigenvalues (GeV²), ``dlam = lam_plus - lam_minus``
    (formed without cancellation), ``w_R_plus`` / ``w_S_plus`` the weights |U|² of R2~^(-1/3) / S1* in the
    heavier eigenstate (those in the lighter one are ``w_S_plus`` / ``w_R_plus``), and
    ``d_over_r = w_R_plus - w_S_plus``.
    """

    lam_plus: np.ndarray
    lam_minus: np.ndarray
    dlam: np.ndarray
    w_R_plus: np.ndarray
    w_S_plus: np.ndarray
    d_over_r: np.ndarray


def scalar_mixing(m_S1: ArrayLike, m_R2: ArrayLike, kappa: ArrayLike, v: float | None = None) -> ScalarMixing:
    r"""Diagonalise the charge −1/3 mass matrix in the basis :math:`(S_1^*, \tilde R_2^{-1/3})`.

    :math:`\mathcal M^2 = \begin{pmatrix} m_{S_1}^2 & \kappa v/\sqrt2 \\ \kappa v/\sqrt2 & m_{R}^2\end{pmatrix}`
    from :math:`\kappa(\tilde R_2^\dagger H)S_1^\dagger` + h.c. with
    :math:`\langle H\rangle = (0, v/\sqrt2)`,
    :math:`v = (\sqrt2 G_F)^{-1/2}` = 246.22 GeV (docs/theory.md §a.3:
    :math:`\tan2\theta = \sqrt2\kappa v/(m_R^2-m_S^2)`).
    ``m_S1``, ``m_R2`` are the diagonal (Lagrangian) masses; the sign of the off-diagonal entry (a phase
    convention) does not enter the weights. With :math:`d=(m_R^2-m_S^2)/2`, :math:`r=\sqrt{d^2+M_{12}^2}`:
    :math:`\lambda_\pm = (m_S^2+m_R^2)/2 \pm r`, :math:`|U_{R+}|^2 = (r+d)/2r`, :math:`|U_{S+}|^2=(r-d)/2r`.
    For :math:`\kappa = 0` the eigenvalues are the input masses squared exactly.

    >>> mx = scalar_mixing(1000.0, 1200.0, 0.0)
    >>> float(mx.lam_plus), float(mx.w_R_plus), float(mx.d_over_r)
    (1440000.0, 1.0, 1.0)
    """
    m_S1 = np.asarray(m_S1, dtype=float)
    m_R2 = np.asarray(m_R2, dtype=float)
    kappa = np.asarray(kappa, dtype=float)
    v = _vev() if v is None else v
    A_S, A_R = m_S1 * m_S1, m_R2 * m_R2
    d = 0.5 * (m_R2 - m_S1) * (m_R2 + m_S1)
    M12 = kappa * v / math.sqrt(2.0)
    det = A_S * A_R - M12 * M12
    if np.any(det <= 0):
        raise ValueError("kappa too large: the S1–R2~ mass matrix has a non-positive eigenvalue "
                         "(need kappa^2 v^2 / 2 < m_S1^2 m_R2^2)")
    if not np.any(M12):
        # kappa = 0 everywhere: the general expressions below reduce exactly to these (r = |d|)
        dlam = np.abs(2.0 * d)
        w_R = np.where(d > 0, 1.0, np.where(d < 0, 0.0, 0.5))
        a = np.asarray
        return ScalarMixing(lam_plus=a(np.maximum(A_S, A_R)), lam_minus=a(np.minimum(A_S, A_R)), dlam=a(dlam),
                            w_R_plus=w_R, w_S_plus=a(1.0 - w_R), d_over_r=a(np.sign(d)))
    r = np.hypot(d, M12)
    nomix = M12 == 0.0
    lam_p = np.where(nomix, np.maximum(A_S, A_R), 0.5 * (A_S + A_R) + r)
    lam_m = np.where(nomix, np.minimum(A_S, A_R), det / lam_p)
    dlam = np.where(nomix, np.abs(2.0 * d), 2.0 * r)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_safe = np.where(r == 0.0, 1.0, r)
        rpd = np.where(d >= 0, r + d, M12 * M12 / np.where(r - d == 0.0, 1.0, r - d))   # r + d, no cancellation
        rmd = np.where(d <= 0, r - d, M12 * M12 / np.where(r + d == 0.0, 1.0, r + d))   # r - d
        w_R = np.where(r == 0.0, 0.5, rpd / (2.0 * r_safe))
        w_S = np.where(r == 0.0, 0.5, rmd / (2.0 * r_safe))
        d_over_r = np.where(r == 0.0, 0.0, d / r_safe)
    return ScalarMixing(lam_plus=lam_p, lam_minus=lam_m, dlam=dlam, w_R_plus=w_R, w_S_plus=w_S, d_over_r=d_over_r)


def compute_moments(point: Point, *, precision: str = "double", dps: int = 50, uv: str = "nan",
                    mu_GeV: ArrayLike | None = None, path: str = "auto") -> Moments:
    r"""Moments of a (batched) point: sum over d, s, b in the S1 and R2~^(-1/3) loops (module docstring).

    ``precision="double"``: vectorised numpy. ``"mp"``: every loop function and the B0 differences in
    mpmath at ``dps`` digits, summed in mpmath, rounded to complex128 at the end (scalar points or small
    batches). Raises ``ValueError`` for an unknown precision.

    ``uv`` says what ``m_nuN_GeV`` holds where the mass is UV-divergent (:math:`c_R\neq c_S`):
    ``"nan"`` (default) NaN; ``"msbar"`` the :math:`\overline{\rm MS}` finite part at the scale
    ``mu_GeV`` (GeV; default ``m_S1``, i.e. :math:`\mu = m_{\rm LQ}`): the pole
    :math:`\Delta = 1/\varepsilon-\gamma_E+\ln4\pi` of every :math:`B_0` (:mod:`loops.pv`) is dropped,
    :math:`B_0^{\overline{\rm MS}}(0;m_k^2,\lambda) = 1 - \ln(\lambda/\mu^2) - h(m_k^2/\lambda)`. That
    remainder is scheme- and scale-dependent (:math:`\partial m/\partial\ln\mu = (3/8\pi^2)\sum_k m_k(c_R-c_S)^*`):
    it is a naturalness estimate of the tree-level counterterm :math:`y_\nu\bar L\tilde H N_R` it needs,
    not a prediction (docs/neutrino_mass.md). ``uv_divergent`` flags those entries either way; finite
    entries are the same for both options. Checked against :func:`lqmodel.derivation.m_nuN` with
    :math:`\Delta\to0`, :math:`\mu\to m_{S_1}` (tests/test_neutrino_mass.py).

    ``path`` (double precision only): ``"general"`` forms (B, 3, 3[, 3]) arrays over every quark, lepton
    and N; ``"factorised"`` forms only the (quark, lepton, N) terms whose couplings are non-zero somewhere
    in the batch (detected once per call), each a 1-d array over the points: the same formulas term by
    term, far fewer operations and temporaries for sparse couplings (Voloshin, S1 alone); ``"auto"``
    (default) takes it when at most 9 of the 27 S1 and 27 R2~ terms are live. The two agree to rounding
    (tests/test_moments_fastpath.py).
    """
    if precision not in _PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; allowed: {', '.join(_PRECISIONS)}")
    if uv not in ("nan", "msbar"):
        raise ValueError(f"unknown uv option {uv!r}; allowed: 'nan' (NaN where UV-divergent), 'msbar'")
    mu_sc = np.asarray(point.m_S1 if mu_GeV is None else mu_GeV, dtype=float)
    if uv == "msbar" and (not np.all(np.isfinite(mu_sc)) or np.any(mu_sc <= 0)):
        raise ValueError("mu_GeV (MSbar scale) must be positive and finite (GeV)")
    mix = scalar_mixing(point.m_S1, point.m_R2, point.kappa)    # validates kappa (both precisions)
    _warn_kappa(point)
    if path not in _PATHS:
        raise ValueError(f"unknown path {path!r}; allowed: {', '.join(_PATHS)}")
    if precision == "mp":
        m_q = down_quark_masses(point.m_b)                      # (*Bb, 3)
        m_S1 = np.asarray(point.m_S1, dtype=float)[..., None]  # (*B, 1)
        m_R2 = np.asarray(point.m_R2, dtype=float)[..., None]
        c_S, c_R = coupling_products(point)                     # (*B, 3, 3, 3)
        kap = np.asarray(point.kappa, dtype=float)[..., None]
        return _compute_mp(c_S, c_R, m_q, m_S1, m_R2, kap, dps,
                           None if uv == "nan" else np.broadcast_to(mu_sc, np.shape(point.m_S1))[..., None])
    sL, sNR, rL, rNR = _down_couplings(point)
    live = _live_terms(sL, sNR, rL, rNR)
    if path == "factorised" or (path == "auto" and len(live[0]) + len(live[1]) <= _FACTORISED_MAX_TERMS):
        return _compute_factorised(point, mix, sL, sNR, rL, rNR, live, uv, mu_sc)
    return _compute_general(point, mix, down_quark_masses(point.m_b), sL, sNR, rL, rNR, uv, mu_sc)


def _down_couplings(point: Point) -> tuple[_ConjNeg, np.ndarray, _ConjNeg, np.ndarray]:
    """``(sL, sNR, rL, rNR)``, ``(*B, 3 quarks, 3)`` with c_S^*[k,a,j] = sNR[k,j] sL[k,a] and
    c_R^*[k,a,j] = rL[k,a] rNR[k,j] (down-type mass-basis couplings); sL and rL are conjugated lazily
    (:class:`_ConjNeg`), entry by entry on the factorised path."""
    if point.quark_basis == "down":
        # the down-type mass-basis couplings of a down-aligned point are the fields themselves
        # (s1_dc_nuL = -y_LL, s1_dc_NR = ybar_RR, r2_d_nuL = yt_RL, r2_d_NR = yt_LR; Point.mass_basis):
        # no need to build the up-type (CKM-rotated) arrays here
        return _ConjNeg(point.y_LL, neg=False), point.ybar_RR, _ConjNeg(point.yt_RL, neg=False), point.yt_LR
    mb = point.mass_basis()
    return _ConjNeg(mb.s1_dc_nuL, neg=True), mb.s1_dc_NR, _ConjNeg(mb.r2_d_nuL, neg=False), mb.r2_d_NR


class _ConjNeg:
    """A lazily conjugated (and optionally negated first) coupling array: ``conj(-a)`` or ``conj(a)``,
    computed entry by entry (factorised path) or in full (general path); negation is exact."""

    def __init__(self, a: np.ndarray, neg: bool):
        self.a, self.neg = a, neg

    def full(self) -> np.ndarray:
        return np.conj(-self.a) if self.neg else np.conj(self.a)

    def entry(self, k: int, i: int) -> np.ndarray:
        v = self.a[..., k, i]
        return np.conj(-v) if self.neg else np.conj(v)

    def nonzero(self) -> np.ndarray:
        return _nonzero_entries(self.a)


def _nonzero_entries(a: np.ndarray) -> np.ndarray:
    """(3, 3) bool: entries that are non-zero somewhere in the batch (broadcast axes looked at once)."""
    from lqmodel.point import _compact

    a = _compact(np.asarray(a))
    if a.ndim == 2:
        return a != 0
    # OR of the bit patterns of the (real, imag) parts over the batch, in blocks of rows (numpy's
    # reduction along the long axis is several times slower); a float is non-zero iff a bit other than
    # the sign bit is set, so -0.0 counts as zero
    a = np.asarray(a, dtype=complex)
    em = np.moveaxis(a, (-2, -1), (0, 1))
    if em.flags.c_contiguous:  # entry-major storage (each entry contiguous over the batch): one pass per entry
        acc9 = np.bitwise_or.reduce(em.reshape(9, -1).view(np.int64), axis=1)
        return ((acc9 & np.int64(0x7FFFFFFFFFFFFFFF)) != 0).reshape(3, 3)
    bits = np.ascontiguousarray(a).reshape(-1).view(np.int64).reshape(-1, 18)
    rows, step = bits.shape[0], 1 << 12
    full = (rows // step) * step
    acc = np.zeros(18, dtype=np.int64)
    if full:
        block = bits[:step].copy()
        for i in range(step, full, step):
            np.bitwise_or(block, bits[i:i + step], out=block)
        acc |= np.bitwise_or.reduce(block, axis=0)
    if full < rows:
        acc |= np.bitwise_or.reduce(bits[full:], axis=0)
    nz = (acc & np.int64(0x7FFFFFFFFFFFFFFF)) != 0
    return nz.reshape(9, 2).any(axis=1).reshape(3, 3)


def _live_terms(sL: _ConjNeg, sNR: np.ndarray, rL: _ConjNeg, rNR: np.ndarray
                ) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """The (k, alpha, j) of the S1 and of the R2~ terms whose couplings are non-zero somewhere in the batch."""
    nsL, nsN = sL.nonzero(), _nonzero_entries(sNR)
    nrL, nrN = rL.nonzero(), _nonzero_entries(rNR)
    S = [(k, a, j) for k in range(3) for a in range(3) for j in range(3) if nsL[k, a] and nsN[k, j]]
    R = [(k, a, j) for k in range(3) for a in range(3) for j in range(3) if nrL[k, a] and nrN[k, j]]
    return S, R


def _compute_factorised(point: Point, mix: ScalarMixing, sL: _ConjNeg, sNR: np.ndarray, rL: _ConjNeg,
                        rNR: np.ndarray, live: tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]],
                        uv: str, mu_sc: np.ndarray) -> Moments:
    r"""Double-precision path for couplings that are sparse across the batch (Voloshin, S1 alone, one
    lepton or N flavour): only the (k, alpha, j) terms with non-zero couplings somewhere in the batch are
    formed, each as a 1-d array over the points (no (B, 3, 3[, 3]) temporaries); loop functions only for
    the quarks that occur. Same formulas, term by term, as :func:`_compute_general` (omitted terms are
    exactly zero); tests/test_moments_fastpath.py checks the two against each other."""
    S_terms, R_terms = live
    shape = tuple(point.batch_shape)
    mu_out = np.zeros(shape + (3, 3), dtype=complex)
    m_out = np.zeros(shape + (3, 3), dtype=complex)
    div_out = np.zeros(shape + (3, 3), dtype=bool)
    entries = sorted({(a, j) for _, a, j in S_terms} | {(a, j) for _, a, j in R_terms})
    if not entries:
        return Moments(mu_muB=mu_out, m_nuN_GeV=m_out, uv_divergent=div_out)
    m_e = _m_e()
    quarks = sorted({k for k, _, _ in S_terms} | {k for k, _, _ in R_terms})
    m_light = down_quark_masses(np.zeros(()))
    lp, lm = mix.lam_plus, mix.lam_minus
    wRp, wSp = mix.w_R_plus, mix.w_S_plus
    loop: dict[int, tuple[np.ndarray, ...]] = {}
    for k in quarks:     # the loop functions of quark k (the general path's formulas, one column each)
        m_k = np.asarray(point.m_b, dtype=float) if k == 2 else m_light[k]
        mq2 = m_k**2
        x_p, x_m = mq2 / lp, mq2 / lm
        mqb = np.broadcast_to(m_k, np.broadcast_shapes(np.shape(m_k), x_p.shape, x_m.shape))
        gp, gm = numeric.g(x_p) / lp, numeric.g(x_m) / lm
        pref = _NC_QD * m_e * mqb / (8.0 * math.pi**2)
        wS = pref * (wSp * gp + wRp * gm)
        wR = pref * (wRp * gp + wSp * gm)
        D = -mix.d_over_r * numeric.delta_F_sq(np.broadcast_to(m_k, x_p.shape), lp, lm, mix.dlam)
        H = wRp * numeric.h(x_p) + wSp * numeric.h(x_m)
        loop[k] = (mqb, wS, wR, mqb * D, mqb * H)
    S_set, R_set = set(S_terms), set(R_terms)
    logs: np.ndarray | None = None
    if uv == "msbar":
        mu2 = mu_sc * mu_sc
        logs = 1.0 - (mix.w_R_plus * np.log(mix.lam_plus / mu2) + mix.w_S_plus * np.log(mix.lam_minus / mu2))
    for a, j in entries:
        mu: np.ndarray | None = None
        fin1: np.ndarray | None = None
        fin2: np.ndarray | None = None
        pole: np.ndarray | None = None
        scale: np.ndarray | None = None
        for k in quarks:
            s_on, r_on = (k, a, j) in S_set, (k, a, j) in R_set
            if not (s_on or r_on):
                continue
            mqb, wS, wR, mqD, mqH = loop[k]
            if s_on:
                cl, cn = sL.entry(k, a), sNR[..., k, j]
                mu = _acc(mu, cl * wS * cn)
                fin1 = _acc(fin1, cl * mqD * cn)
                scale = _acc(scale, np.abs(cl) * mqb * np.abs(cn))
            if r_on:
                dl, dn = rL.entry(k, a), rNR[..., k, j]
                mu = _acc(mu, dl * wR * dn)
                scale = _acc(scale, np.abs(dl) * mqb * np.abs(dn))
            # (c_R - c_S)^* elementwise, as in the general path
            dc = (dl * dn - cl * cn) if (s_on and r_on) else (dl * dn if r_on else -(cl * cn))
            fin2 = _acc(fin2, dc * mqH)
            pole = _acc(pole, dc * mqb)
        # every (alpha, j) in entries has a live term, so the R2~ / any-term sums exist
        assert fin2 is not None and pole is not None and scale is not None
        finite = fin2 * -1.0 if fin1 is None else fin1 - fin2
        div = np.abs(pole) > UV_RTOL * scale
        m = finite
        if logs is not None:
            m = np.where(div, m + pole * logs, m)
        m = m * (-N_C / (16.0 * math.pi**2))
        if uv == "nan":
            m = np.where(div, np.nan + 0j, m)
        mu_out[..., a, j] = mu
        m_out[..., a, j] = m
        div_out[..., a, j] = div
    return Moments(mu_muB=mu_out, m_nuN_GeV=m_out, uv_divergent=div_out)


def _acc(total: np.ndarray | None, term: np.ndarray) -> np.ndarray:
    return term if total is None else total + term


def _compute_general(point: Point, mix: ScalarMixing, m_q: np.ndarray, sL_lazy: _ConjNeg, sNR: np.ndarray,
                     rL_lazy: _ConjNeg, rNR: np.ndarray, uv: str, mu_sc: np.ndarray) -> Moments:
    """Double-precision path for any couplings: (B, 3, 3[, 3]) arrays over quarks, leptons and N."""
    m_e = _m_e()
    sL, rL = sL_lazy.full(), rL_lazy.full()
    # down quarks k whose couplings vanish in the whole batch contribute exactly 0: drop them (often only
    # b is left, a 3x smaller computation); the remaining sums are unchanged term by term
    live = [k for k in range(3) if any(np.any(c[..., k, :] != 0) for c in (sL, sNR, rL, rNR))] or [2]
    if len(live) < 3:
        sL, sNR, rL, rNR = (c[..., live, :] for c in (sL, sNR, rL, rNR))
        m_q = m_q[..., live]
    lp, lm = mix.lam_plus[..., None], mix.lam_minus[..., None]       # (*B, 1)
    wRp, wSp = mix.w_R_plus[..., None], mix.w_S_plus[..., None]
    x_p = m_q**2 / lp                                                 # (*B, 3)
    x_m = m_q**2 / lm
    mqb = np.broadcast_to(m_q, np.broadcast_shapes(m_q.shape, x_p.shape, x_m.shape))
    gp, gm = numeric.g(x_p) / lp, numeric.g(x_m) / lm
    pref = _NC_QD * m_e * mqb / (8.0 * math.pi**2)
    wS = pref * (wSp * gp + wRp * gm)                                 # S1 propagator: weights (w_S+, w_S-)
    wR = pref * (wRp * gp + wSp * gm)                                 # R propagator: weights (w_R+, w_R-)
    # sum_i (w_Si - w_Ri) F_k(lambda_i) = -(d/r) [F_k(lambda+) - F_k(lambda-)]   (= F(m_S) - F(m_R) at kappa=0)
    D = -mix.d_over_r[..., None] * numeric.delta_F_sq(m_q, lp, lm, mix.dlam[..., None])
    H = wRp * numeric.h(x_p) + wSp * numeric.h(x_m)                   # sum_i w_Ri h(x_{k,i})

    def contract(left: np.ndarray, right: np.ndarray, w: np.ndarray) -> np.ndarray:  # sum_k left[k,a] right[k,j] w[k]
        return np.swapaxes(left * w[..., :, None], -1, -2) @ right

    mu = contract(sL, sNR, wS) + contract(rL, rNR, wR)
    # keep the c_S* D term separate (never D + H - H, which would lose the digits of a tiny splitting);
    # (c_R - c_S)^* elementwise (products commute exactly, so equal couplings give exactly 0)
    dc = rL[..., :, :, None] * rNR[..., :, None, :] - sL[..., :, :, None] * sNR[..., :, None, :]
    finite = contract(sL, sNR, mqb * D) - np.sum(dc * (mqb * H)[..., :, None, None], axis=-3)
    pole = np.sum(dc * mqb[..., :, None, None], axis=-3)
    scale = contract(np.abs(rL), np.abs(rNR), mqb) + contract(np.abs(sL), np.abs(sNR), mqb)
    div = np.abs(pole) > UV_RTOL * scale
    m = finite
    if uv == "msbar":
        # MSbar remainder of the pole term: (c_R - c_S)^* B0_R with B0_R - Delta = 1 - sum_i w_Ri ln(lambda_i/mu^2) - H
        mu2 = (mu_sc * mu_sc)[..., None, None]
        logs = 1.0 - (mix.w_R_plus[..., None, None] * np.log(mix.lam_plus[..., None, None] / mu2)
                      + mix.w_S_plus[..., None, None] * np.log(mix.lam_minus[..., None, None] / mu2))
        m = np.where(div, m + pole * logs, m)
    m *= -N_C / (16.0 * math.pi**2)
    if uv == "nan":
        m[np.broadcast_to(div, m.shape)] = np.nan + 0j
    return Moments(mu_muB=mu, m_nuN_GeV=m, uv_divergent=div)




def _compute_mp(c_S: np.ndarray, c_R: np.ndarray, m_q: np.ndarray, m_S1: np.ndarray, m_R2: np.ndarray,
                kappa: np.ndarray, dps: int, mu_msbar: np.ndarray | None = None) -> Moments:
    """Independent high-precision path: eigenvalues, weights and B0 sums evaluated naively in mpmath at
    ``dps + 40`` digits (no cancellation-avoiding rearrangement), rounded at the end."""
    import mpmath

    from loops import highprec

    shape = np.broadcast_shapes(c_S.shape[:-3], m_q.shape[:-1], m_S1.shape[:-1], m_R2.shape[:-1], kappa.shape[:-1])
    c_S = np.broadcast_to(c_S, shape + (3, 3, 3))
    c_R = np.broadcast_to(c_R, shape + (3, 3, 3))
    m_q = np.broadcast_to(m_q, shape + (3,))
    m_S1 = np.broadcast_to(m_S1, shape + (1,))
    m_R2 = np.broadcast_to(m_R2, shape + (1,))
    kappa = np.broadcast_to(kappa, shape + (1,))
    if mu_msbar is not None:
        mu_msbar = np.broadcast_to(mu_msbar, shape + (1,))
    mu_out = np.empty(shape + (3, 3), dtype=complex)
    m_out = np.empty(shape + (3, 3), dtype=complex)
    div_out = np.empty(shape + (3, 3), dtype=bool)
    work = dps + 40
    with mpmath.workdps(work):
        m_e = mpmath.mpf(_m_e())
        v = mpmath.mpf(_vev())
        pi2 = mpmath.pi**2
        for idx in np.ndindex(*shape):
            A_S, A_R = mpmath.mpf(m_S1[idx][0]) ** 2, mpmath.mpf(m_R2[idx][0]) ** 2
            M12 = mpmath.mpf(kappa[idx][0]) * v / mpmath.sqrt(2)
            d = (A_R - A_S) / 2
            r = mpmath.sqrt(d * d + M12 * M12)
            lams = [(A_S + A_R) / 2 + r, (A_S + A_R) / 2 - r]
            if r == 0:
                wR = [mpmath.mpf(1) / 2, mpmath.mpf(1) / 2]
            else:
                wR = [(r + d) / (2 * r), (r - d) / (2 * r)]
            wS = [1 - wR[0], 1 - wR[1]]
            per_q = []
            for k in range(3):
                mk = mpmath.mpf(m_q[idx][k])
                gl = [highprec.loop_function("g", mk**2 / lam, work) / lam for lam in lams]
                # B0(0; m_k^2, lambda) - Delta - ln mu^2 = 1 - F  (mu = 1 GeV; the pole cancels when finite)
                b0 = [1 - highprec.F(mk, mpmath.sqrt(lam), work) for lam in lams]
                per_q.append((mk, gl, b0))
            for a in range(3):
                for j in range(3):
                    mu = mpmath.mpc(0)
                    fin = mpmath.mpc(0)
                    pole = mpmath.mpc(0)
                    scale = mpmath.mpf(0)
                    for k, (mk, gl, b0) in enumerate(per_q):
                        cs = mpmath.conj(mpmath.mpc(c_S[idx][k, a, j]))
                        cr = mpmath.conj(mpmath.mpc(c_R[idx][k, a, j]))
                        mu += _NC_QD * m_e * mk / (8 * pi2) * sum(
                            (cs * wS[i] + cr * wR[i]) * gl[i] for i in range(2)
                        )
                        fin += mk * sum((cr * wR[i] - cs * wS[i]) * b0[i] for i in range(2))
                        pole += mk * (cr - cs)
                        scale += mk * (abs(cr) + abs(cs))
                    div = abs(pole) > UV_RTOL * scale
                    mu_out[idx + (a, j)] = complex(mu)
                    div_out[idx + (a, j)] = bool(div)
                    if div and mu_msbar is not None:  # b0 above is MSbar at mu = 1 GeV: add pole * ln(mu^2)
                        fin += pole * 2 * mpmath.log(mpmath.mpf(mu_msbar[idx][0]))
                        div_value = complex(-N_C / (16 * pi2) * fin)
                    else:
                        div_value = complex("nan")
                    m_out[idx + (a, j)] = div_value if div else complex(-N_C / (16 * pi2) * fin)
    return Moments(mu_muB=mu_out, m_nuN_GeV=m_out, uv_divergent=div_out)
