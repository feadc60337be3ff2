r"""One-loop :math:`\tilde R_2` contributions to :math:`b\to q\ell\ell` and :math:`b\to q\gamma, qg` (q = s, d).

Called by :func:`lqmodel.matching.match` (after :mod:`lqmodel.oneloop_bsll`); adds to the WCxf WET *flavio*
coefficients at the matching scale :math:`\mu = m_{\rm LQ}` (new physics only; derivation in
``docs/matching.md`` §11). Normalisation as in :mod:`lqmodel.oneloop_bsll`:
:math:`\mathcal N_0 = \frac{4G_F}{\sqrt2}V_{tb}V_{tq}^*`, :math:`\mathcal N = \mathcal N_0\,e^2/16\pi^2`.
Units: GeV.

Couplings (mass basis, docs/theory.md §a.3; short names of :mod:`lqmodel.matching`):
:math:`D_{d\ell}\,\bar dP_L\ell\,\tilde R_2^{2/3}` (``r2_d_eL`` = −``yt_RL``),
:math:`D^\nu_{d\nu}\,\bar dP_L\nu\,\tilde R_2^{-1/3}` (``r2_d_nuL`` = ``yt_RL``),
:math:`D^N_{dN}\,\bar dP_RN\,\tilde R_2^{-1/3}` (``r2_d_NR``, from ``yt_LR``), + h.c.; lepton, N and
external-quark masses neglected inside the loops (power corrections :math:`m_\ell^2/M^2`, :math:`m_b^2/M^2`).

Photon penguin of one scalar φ (mass M) and one fermion f (charges :math:`Q_\varphi, Q_f` flowing with
the quark line, :math:`Q_f+Q_\varphi=Q_d`), chirality-conserving coupling
:math:`\lambda_q\bar q\,\Gamma f\varphi + \lambda_b^*\bar f\,\bar\Gamma b\,\varphi^*`, on-shell massless quarks:

.. math::
    \mathcal L \supset -\frac{e^2Q_\ell\lambda_q\lambda_b^*}{16\pi^2M^2}\big(Q_fF_f(x) + Q_\varphi F_\varphi(x)\big)
      (\bar q\gamma^\nu\Gamma' b)(\bar\ell\gamma_\nu\ell),\qquad x = m_f^2/M^2,

with the Feynman-parameter integrals (:func:`penguin_functions`)
:math:`F_f = \int_0^1\!dt\,\frac{(1-t)^3}{6}\big[\frac{2}{\delta}+\frac{x}{\delta^2}\big]`,
:math:`\delta = x+t(1-x)`, and :math:`F_\varphi = \int_0^1\!du\,\frac{(1-u)^3}{6\,(ux+1-u)}`;
closed forms :math:`F_f = \frac{16-45x+36x^2-7x^3+6(2-3x)\ln x}{-36(1-x)^4}`,
:math:`F_\varphi = \frac{2-9x+18x^2-11x^3+6x^3\ln x}{36(1-x)^4}` — derived here; they equal
:math:`16\pi^2m^2A_1` of the chargino / neutralino photon penguins of Hisano, Moroi, Tobe, Yamaguchi,
arXiv:hep-ph/9510309 (PRD 53, 2442), as implemented in HEPfit (``SUSY/src/SUSYMatching.cpp``; the paper
itself could not be read here), tested.
:math:`F_\varphi(0) = 1/18` (the S1 / :math:`\tilde R_2^{-1/3}` penguins of :mod:`lqmodel.oneloop_bsll`).

Included (each lepton-universal in the produced :math:`\ell'\ell'`):

* :math:`\tilde R_2^{-1/3}` with N (``yt_LR``; left-handed b, q; photon on the scalar,
  :math:`Q_\varphi=-1/3`): :math:`C_9^{\ell'\ell'} \mathrel{+}= X_N/54`, dipoles :math:`C_7 \mathrel{+}= -X_N/72`,
  :math:`C_8 \mathrel{+}= X_N/24`, :math:`X_N = \sum_k D^{N*}_{bk}D^N_{qk}/(m_{R^{-1/3}}^2\mathcal N_0)`;
* :math:`\tilde R_2^{-1/3}` with ν (``yt_RL``): :math:`C_{9'} \mathrel{+}= X_\nu/54`, :math:`C_{7'} = -X_\nu/72`,
  :math:`C_{8'} = X_\nu/24`;
* :math:`\tilde R_2^{2/3}` with a charged lepton (``yt_RL``; :math:`Q_f=-1`, :math:`Q_\varphi=2/3`):
  dipoles :math:`C_{7'} = X_D/9`, :math:`C_{8'} = X_D/24`, and the photon penguin **matched at μ = M**:
  the full-theory :math:`F_f(x)\to\frac13\ln\frac{M^2}{m_\ell^2}-\frac49` carries the IR logarithm that the
  WET QED running of the tree-level :math:`C_{9'}=-C_{10'}` reproduces (wilson's one-loop ADM, tested), and
  the EFT matrix element (closed lepton loop of :math:`(\bar q\gamma^\mu P_Rb)(\bar\ell\gamma_\mu P_L\ell)`,
  NDR, :math:`\overline{\rm MS}`, mass regulator) is :math:`\frac13\ln\frac{\mu^2}{m_\ell^2}` with no constant;
  the difference at μ = M is
  :math:`C_{9'}^{\ell'\ell'} \mathrel{+}= -\frac{13}{27}X_D`,
  :math:`X_D=\sum_\ell D^*_{b\ell}D_{q\ell}/(m_{R^{2/3}}^2\mathcal N_0)`
  (= :math:`\frac{13\alpha}{27\pi}` times the tree-level :math:`C_{9'}^{\ell\ell}` of one lepton flavour).

Z penguin: zero at :math:`q^2=0`. The Z couples to :math:`T_3-s_W^2Q`, conserved at every vertex above
(:math:`d_R\to\ell_L\tilde R_2^{2/3}`, :math:`d_R\to\nu_L\tilde R_2^{-1/3}`, :math:`d_L\to N_R\tilde R_2^{-1/3}`),
and the q = 0 vertex integrals with the boson on the fermion or on the scalar both equal the self-energy
derivative (Ward identity, tested), so vertex + self-energies cancel; what survives is
:math:`O(q^2/m_Z^2)` (dimension 8), :math:`O(m_\ell^2/M^2\,\ln)` (the internal lepton mass couples the
Z to :math:`\ell_R`) and :math:`O(m_b^2/M^2)`, all dropped.

Not included: the O(g²) electroweak corrections to the tree-level :math:`\tilde R_2^{2/3}` amplitude
(W–R̃2 box with two neutrinos, W exchange between lepton and scalar at a vertex, self-energies, Z and γ
exchange between the fermion lines). Only their sum is gauge independent, it needs the renormalisation
scheme of ``yt_RL``, and it is a relative O(g²/16π²) ≈ 3e-3 (× ln M²/m_W²) correction to a tree-level
coefficient with the same flavour structure :math:`D^*_bD_q` (no CKM or top enhancement: the W couples
to neither :math:`d_R` nor N). See docs/matching.md §11.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from lqmodel.oneloop_bsll import accumulate

__all__ = ["penguin_functions", "r2_oneloop_values", "PENGUIN_CHARGED_MATCHED", "PENGUIN_FERMION_CONST"]

_LEP = ("e", "mu", "tau")
_DOWN = ("d", "s", "b")

#: :math:`\lim_{x\to0}[F_f(x) - \frac13\ln(1/x)]` (derived here; docs/matching.md §11)
PENGUIN_FERMION_CONST = -4.0 / 9.0
#: the :math:`\tilde R_2^{2/3}`–charged-lepton photon penguin at μ = M in units of :math:`X_D`:
#: :math:`-(Q_f K_f + Q_\varphi F_\varphi(0))` with :math:`Q_f=-1`, :math:`Q_\varphi=2/3`, :math:`K_f=-4/9`
PENGUIN_CHARGED_MATCHED = -((-1.0) * PENGUIN_FERMION_CONST + (2.0 / 3.0) / 18.0)


def penguin_functions(x) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`(F_f(x), F_\varphi(x))` of the module docstring, :math:`x = m_f^2/M^2 > 0` (array).

    Closed forms; within 1e-2 of x = 1 (where the closed forms cancel to (x−1)⁴) a 40-point Gauss–Legendre
    rule of the one-dimensional Feynman-parameter integrals (exact to ≪1e-12 there: smooth integrands).

    >>> F, P = penguin_functions(1.0)
    >>> round(float(F), 12), round(float(P), 12)   # 3/24 and 1/24 at x = 1
    (0.125, 0.041666666667)
    """
    x = np.asarray(x, dtype=float)
    if np.any(~(x > 0)):
        from lqmodel.errors import InputError

        raise InputError("penguin_functions needs x = m_f^2/M^2 > 0 (the fermion term is IR divergent at x = 0)")
    near = np.abs(x - 1.0) < 1e-2
    xs = np.where(near, 0.5, x)
    L = np.log(xs)
    d4 = 36.0 * (1.0 - xs) ** 4
    Ff = -(16 - 45 * xs + 36 * xs**2 - 7 * xs**3 + 6 * (2 - 3 * xs) * L) / d4
    Fp = (2 - 9 * xs + 18 * xs**2 - 11 * xs**3 + 6 * xs**3 * L) / d4
    if np.any(near):
        t, w = np.polynomial.legendre.leggauss(40)
        t, w = 0.5 * (t + 1.0), 0.5 * w
        xn = x[near][..., None]
        d = xn + t * (1.0 - xn)
        Ff = np.array(Ff)
        Fp = np.array(Fp)
        Ff[near] = np.sum(w * (1 - t) ** 3 / 6 * (2 / d + xn / d**2), axis=-1)
        Fp[near] = np.sum(w * (1 - t) ** 3 / (6 * (t * xn + 1 - t)), axis=-1)
    return Ff[()] if Ff.ndim == 0 else Ff, Fp[()] if Fp.ndim == 0 else Fp


def r2_oneloop_values(mb, m232, m132, values: dict[str, Any], want) -> None:
    r"""Add the :math:`\tilde R_2` one-loop pieces of the module docstring to ``values`` (in place).

    ``mb``: sparse mass-basis couplings of :func:`lqmodel.matching._matching_inputs`; ``m232``, ``m132``:
    :math:`m_{\tilde R_2^{2/3}}^2`, :math:`m_{\tilde R_2^{-1/3}}^2` [GeV²], shape ``B``; ``want(name)``
    selects outputs. Vectorised: one coupling sum per (q, structure), no loop over points.
    """
    from lqmodel.matching import _rowsum
    from lqmodel.oneloop_bsll import _n0, box_constants

    k = box_constants()

    def add(key, val):
        accumulate(values, want, key, val)

    for q in (1, 0):
        tq = f"b{_DOWN[q]}"
        n0 = _n0(k, q)
        DD = _rowsum(mb["D"], q, mb["D"], 2)       # sum_l D_{q l} D*_{b l}
        DvDv = _rowsum(mb["Dv"], q, mb["Dv"], 2)   # sum_nu D^nu_{q nu} D^nu*_{b nu}
        DNDN = _rowsum(mb["DN"], q, mb["DN"], 2)   # sum_k D^N_{q k} D^N*_{b k}
        XD = None if DD is None else DD / (m232 * n0)
        Xv = None if DvDv is None else DvDv / (m132 * n0)
        XN = None if DNDN is None else DNDN / (m132 * n0)
        sc = lambda x, f: None if x is None else f * x  # noqa: E731
        for l in _LEP:
            add(f"C9_{tq}{l}{l}", sc(XN, 1 / 54))                       # R2~(-1/3) with N, photon on the scalar
            add(f"C9p_{tq}{l}{l}", sc(Xv, 1 / 54))                      # R2~(-1/3) with nu
            add(f"C9p_{tq}{l}{l}", sc(XD, PENGUIN_CHARGED_MATCHED))     # R2~(2/3) with l, matched at mu = M
        add(f"C7_{tq}", sc(XN, -1 / 72))
        add(f"C8_{tq}", sc(XN, 1 / 24))
        # R2~(2/3) with a charged lepton: F_Q = -f_F(0) - (2/3) f_phi(0) = -2/9 (m_l neglected)
        for key, parts in ((f"C7p_{tq}", (sc(XD, 1 / 9), sc(Xv, -1 / 72))),
                           (f"C8p_{tq}", (sc(XD, 1 / 24), sc(Xv, 1 / 24)))):
            for p in parts:
                add(key, p)
