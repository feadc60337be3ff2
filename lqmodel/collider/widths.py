r"""Tree-level two-body decay widths and branching ratios of :math:`S_1`, :math:`\tilde R_2^{2/3}` and
:math:`\tilde R_2^{-1/3}`, vectorised over a batched :class:`~lqmodel.point.Point`.

FORMULA. For a scalar :math:`\phi` of mass :math:`m` with the interaction
:math:`\mathcal L \supset \bar f_1\,(l\,P_L + r\,P_R)\,f_2\,\phi + \text{h.c.}`, the amplitude of
:math:`\phi \to f_1 \bar f_2` is :math:`\mathcal M = \bar u(p_1)(lP_L + rP_R)v(p_2)` and

.. math::

    \sum_{\rm spins}|\mathcal M|^2 = \mathrm{Tr}\big[(\not p_1 + m_1)(lP_L + rP_R)(\not p_2 - m_2)
      (l^*P_R + r^*P_L)\big] = (|l|^2+|r|^2)(m^2-m_1^2-m_2^2) - 4\,\mathrm{Re}(l r^*)\,m_1 m_2 ,

    \Gamma(\phi\to f_1\bar f_2) = \frac{|\vec p|}{8\pi m^2}\sum|\mathcal M|^2
      = \frac{\lambda^{1/2}(m^2,m_1^2,m_2^2)}{16\pi m^3}
        \Big[(|l|^2+|r|^2)(m^2-m_1^2-m_2^2) - 4\,\mathrm{Re}(l r^*)\,m_1 m_2\Big],

with :math:`\lambda(a,b,c) = a^2+b^2+c^2-2ab-2ac-2bc` and the two-body phase space
:math:`\int d\Phi_2 = |\vec p|/(4\pi m)` (PDG Review of Particle Physics, "Kinematics", two-body
decays: :math:`d\Gamma = |\mathcal M|^2 |\vec p|\,d\Omega/(32\pi^2 m^2)`, with
:math:`|\vec p| = \lambda^{1/2}/(2m)`). The colour factor is 1: a colour-triplet scalar decays into one
quark whose colour is fixed by the scalar's (averaging :math:`1/3` over the initial colour, summing
:math:`\delta_{ab}\delta_{ab}=3` over the final one). For massless fermions this is
:math:`\Gamma = m(|l|^2+|r|^2)/(16\pi)`, the leptoquark width of Doršner, Fajfer, Greljo, Kamenik, Košnik,
arXiv:1603.04993 (section on leptoquark decays at colliders: :math:`m|y|^2/(16\pi)` per chiral coupling). The formula is
checked against an explicit numerical evaluation of the Dirac spinor sum and two-body phase space in
``tests/test_collider_widths.py``.

COUPLINGS. The mass-basis couplings of :class:`~lqmodel.point.MassBasisCouplings` (Lagrangian of
Doršner et al. arXiv:1603.04993, quark mass basis, CKM applied; first index quark, second lepton or N):

=================  ===================================  =================================
field              channel (quark, lepton)              chiral couplings (l, r)
=================  ===================================  =================================
``S1``             :math:`u_i\,\ell_j` (charge-conjugate quark)  ``l = s1_uc_eL``, ``r = s1_uc_eR``
``S1``             :math:`d_i\,\nu_j`                    ``l = s1_dc_nuL``
``S1``             :math:`d_i\,N_j`                      ``r = s1_dc_NR``
``R2t(2/3)``       :math:`d_i\,\ell_j`                   ``l = r2_d_eL``
``R2t(2/3)``       :math:`u_i\,N_j`                      ``r = r2_u_NR``
``R2t(-1/3)``      :math:`d_i\,\nu_j`                    ``l = r2_d_nuL``
``R2t(-1/3)``      :math:`d_i\,N_j`                      ``r = r2_d_NR``
=================  ===================================  =================================

For :math:`\bar\psi^C P\chi` the conjugate field :math:`\psi^C` is a Dirac field of the same mass, so the
formula applies unchanged. The decays of the conjugate scalars have the same widths (CPT).
The :math:`u\ell` channel of S1 has both chiralities, hence the interference term
:math:`-4\,\mathrm{Re}(l r^*) m_u m_\ell` (relevant only for the top). For Majorana :math:`N` the width
into :math:`qN` is the same (one operator, no identical particles).

CHANNEL NAMES: ``"<quark> <lepton>"`` with quarks ``u c t d s b``, leptons ``e mu tau``, ``nu`` (summed
over the three neutrino flavours, which are not observed) and ``N1 N2 N3`` (all of mass ``point.M_N``).

MASSES (GeV, kinematics only; from ``observables/data/parameters.yaml``): top and bottom POLE masses
(``m_t_pole``, ``m_b_pole``), charm :math:`\overline{\rm MS}` :math:`m_c(m_c)`, light quarks
:math:`\overline{\rm MS}` at 2 GeV, charged-lepton pole masses, neutrinos massless, :math:`N_j` of mass
``point.M_N``. The point's ``m_b`` (the loop b mass) is not used here. Corrections from the light masses
are :math:`O(m_q^2/m^2)\lesssim 10^{-5}` at TeV masses; QCD corrections to the widths
(:math:`O(\alpha_s/\pi)`, a few per cent) are not included.

A field whose couplings all vanish has zero width and no branching ratios (its BRs are reported as 0);
:mod:`lqmodel.collider` treats it as absent from the spectrum.

>>> from lqmodel.point import Point
>>> import numpy as np
>>> y = np.zeros((3, 3)); y[2, 1] = 1.0  # y_LL[b, mu] = 1
>>> w = decay_widths(Point(m_S1=2000.0, m_R2=2000.0, y_LL=y, model="s1"))
>>> round(float(w.total["S1"]), 3)  # t mu + b nu, each ~ m/(16 pi)
78.988
>>> round(float(w.branching_ratios()["S1"]["b nu"]), 4)  # t mu is phase-space suppressed by m_t
0.5037
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "FIELDS", "UP_QUARKS", "DOWN_QUARKS", "CHARGED_LEPTONS", "N_NAMES", "BROAD_WIDTH_THRESHOLD",
    "BroadWidthWarning", "DecayWidths", "two_body_width", "decay_widths", "fermion_masses",
]

#: leptoquark fields (names of the collider output)
FIELDS: tuple[str, ...] = ("S1", "R2t(2/3)", "R2t(-1/3)")
UP_QUARKS: tuple[str, ...] = ("u", "c", "t")
DOWN_QUARKS: tuple[str, ...] = ("d", "s", "b")
CHARGED_LEPTONS: tuple[str, ...] = ("e", "mu", "tau")
N_NAMES: tuple[str, ...] = ("N1", "N2", "N3")
#: Gamma/m above which narrow-width results (pair production x BR, on-shell propagators) fail
BROAD_WIDTH_THRESHOLD: float = 0.1

_MASS_KEYS = {
    "u": "m_u_MSbar_2GeV", "d": "m_d_MSbar_2GeV", "s": "m_s_MSbar_2GeV", "c": "m_c_MSbar",
    "b": "m_b_pole", "t": "m_t_pole", "e": "m_e", "mu": "m_mu", "tau": "m_tau",
}


class BroadWidthWarning(UserWarning):
    r"""A leptoquark has :math:`\Gamma/m >` :data:`BROAD_WIDTH_THRESHOLD`: the narrow-width treatment of
    pair production times branching ratios (and of the recast limits) is unreliable there."""


@lru_cache(maxsize=1)
def fermion_masses() -> dict[str, float]:
    """Kinematic masses in GeV of the quarks and charged leptons used for the widths (see module docstring)."""
    from observables.parameters import value

    return {name: value(key) for name, key in _MASS_KEYS.items()}


def two_body_width(m: ArrayLike, m1: ArrayLike, m2: ArrayLike, l: ArrayLike, r: ArrayLike) -> np.ndarray:
    r"""Width in GeV of :math:`\phi \to f_1 \bar f_2` for :math:`\bar f_1 (lP_L + rP_R) f_2\,\phi` + h.c.
    (module docstring; colour factor 1). Masses in GeV, couplings dimensionless (complex); broadcasts.
    Zero below threshold (:math:`m \le m_1 + m_2`).

    >>> round(float(two_body_width(1000.0, 0.0, 0.0, 1.0, 0.0)), 6) == round(1000 / (16 * math.pi), 6)
    True
    """
    m, m1, m2 = (np.asarray(x, dtype=float) for x in (m, m1, m2))
    l, r = np.asarray(l, dtype=complex), np.asarray(r, dtype=complex)
    m2s, a, b = m * m, m1 * m1, m2 * m2
    lam = m2s * m2s + a * a + b * b - 2.0 * (m2s * a + m2s * b + a * b)
    open_ = m > m1 + m2
    sqrt_lam = np.sqrt(np.where(open_, np.maximum(lam, 0.0), 0.0))
    msq = (np.abs(l) ** 2 + np.abs(r) ** 2) * (m2s - a - b) - 4.0 * np.real(l * np.conj(r)) * m1 * m2
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(open_, sqrt_lam / (16.0 * math.pi * m ** 3) * msq, 0.0)
    return np.maximum(g, 0.0)  # msq >= 0 analytically; clip rounding below zero


@dataclass(frozen=True)
class DecayWidths:
    """Partial and total widths of the three leptoquark components of a (batched) point.

    ``partial[field][channel]`` and ``total[field]``: GeV, arrays of the point's batch shape;
    ``mass[field]``: GeV. Every channel of :data:`FIELDS` is present (zero where closed or uncoupled).
    """

    partial: dict[str, dict[str, np.ndarray]]
    total: dict[str, np.ndarray]
    mass: dict[str, np.ndarray]

    def branching_ratios(self) -> dict[str, dict[str, np.ndarray]]:
        """field -> channel -> BR (dimensionless; all 0 where the field has no coupling). Computed once per
        instance (read-only arrays; each call returns fresh dicts)."""
        cached = self.__dict__.get("_brs_cache")
        if cached is None:
            cached = self._branching_ratios()
            for chans in cached.values():
                for v in chans.values():
                    v.setflags(write=False)
            object.__setattr__(self, "_brs_cache", cached)
        return {f: dict(chans) for f, chans in cached.items()}

    def _branching_ratios(self) -> dict[str, dict[str, np.ndarray]]:
        out: dict[str, dict[str, np.ndarray]] = {}
        for f, chans in self.partial.items():
            tot = self.total[f]
            pos = tot > 0
            if np.all(pos):  # every point coupled: plain ratios
                out[f] = {c: g / tot for c, g in chans.items()}
                continue
            safe = np.where(pos, tot, 1.0)
            out[f] = {c: np.where(pos, g / safe, 0.0) for c, g in chans.items()}
        return out

    def gamma_over_m(self) -> dict[str, np.ndarray]:
        r""":math:`\Gamma/m` per field (dimensionless)."""
        return {f: self.total[f] / self.mass[f] for f in self.total}


def _lq_masses(point) -> dict[str, np.ndarray]:
    return {
        "S1": np.asarray(point.m_S1, dtype=float),
        "R2t(2/3)": np.asarray(point.m_R2_23_value, dtype=float),
        "R2t(-1/3)": np.asarray(point.m_R2, dtype=float),
    }


def decay_widths(point, *, warn: bool = True) -> DecayWidths:
    r"""Tree-level partial and total widths of S1, :math:`\tilde R_2^{2/3}`, :math:`\tilde R_2^{-1/3}`.

    ``point``: a (batched) :class:`~lqmodel.point.Point`. Returns :class:`DecayWidths` (GeV). With
    ``warn`` a :class:`BroadWidthWarning` is issued (once per call) when any :math:`\Gamma/m` exceeds
    :data:`BROAD_WIDTH_THRESHOLD`.
    """
    mb = point.mass_basis()
    fm = fermion_masses()
    shape = point.batch_shape
    masses = {f: np.broadcast_to(m, shape) for f, m in _lq_masses(point).items()}
    M_N = np.broadcast_to(np.asarray(point.M_N, dtype=float), shape)
    # arrays are laid out (3, 3, *batch) (quark, lepton first: the batch axis contiguous, as the mass-basis
    # couplings are stored); every channel is then a contiguous array of the batch shape

    def lay(x):
        return np.moveaxis(np.broadcast_to(np.asarray(x, dtype=complex), shape + (3, 3)), (-2, -1), (0, 1))

    def block(m, quarks, l, r, lepton_masses):
        # (3, 3, ...) widths for quark i, lepton j: two_body_width's formula, entry by entry (only entries
        # with a coupling somewhere in the batch; the others are exactly 0), with the couplings entering
        # as |l|^2 + |r|^2 and Re(l r*) only (no complex temporaries; an absent chirality is None)
        out = np.zeros((3, 3) + shape)
        xs = [lay(x) for x in (l, r) if x is not None]
        if not xs:
            return out
        nz = np.zeros((3, 3), bool)
        for x in xs:
            nz |= np.any(x != 0, axis=tuple(range(2, x.ndim)))
        if not nz.any():
            return out
        both = len(xs) == 2
        if both:
            lc, rc = xs
        m2s = m * m
        m2s2 = m2s * m2s
        den = 16.0 * math.pi * m ** 3
        for i, j in zip(*np.nonzero(nz), strict=True):
            m1, m2 = fm[quarks[i]], lepton_masses[j]
            a, b = m1 * m1, m2 * m2
            lam = m2s2 + a * a + b * b - 2.0 * (m2s * a + m2s * b + a * b)
            open_ = m > m1 + m2
            sqrt_lam = np.sqrt(np.where(open_, np.maximum(lam, 0.0), 0.0))
            l2 = None
            for x in xs:
                a2 = x.real[i, j] * x.real[i, j] + x.imag[i, j] * x.imag[i, j]
                l2 = a2 if l2 is None else l2 + a2
            msq = l2 * (m2s - a - b)
            if both:
                msq = msq - 4.0 * (lc.real[i, j] * rc.real[i, j] + lc.imag[i, j] * rc.imag[i, j]) * m1 * m2
            with np.errstate(divide="ignore", invalid="ignore"):
                g = np.where(open_, sqrt_lam / den * msq, 0.0)
            out[i, j] = np.maximum(g, 0.0)  # msq >= 0 analytically; clip rounding below zero
        return out

    ml_charged = [fm[x] for x in CHARGED_LEPTONS]
    ml_nu = [0.0, 0.0, 0.0]
    ml_N = [M_N, M_N, M_N]

    partial: dict[str, dict[str, np.ndarray]] = {f: {} for f in FIELDS}

    def add_leptons(field, quarks, w):
        for i, q in enumerate(quarks):
            for j, lep in enumerate(CHARGED_LEPTONS):
                partial[field][f"{q} {lep}"] = w[i, j, ...]

    def add_nu(field, quarks, w):
        for i, q in enumerate(quarks):
            partial[field][f"{q} nu"] = w[i, 0, ...] + w[i, 1, ...] + w[i, 2, ...]

    def add_N(field, quarks, w):
        for i, q in enumerate(quarks):
            for j, n in enumerate(N_NAMES):
                partial[field][f"{q} {n}"] = w[i, j, ...]

    m = masses["S1"]
    add_leptons("S1", UP_QUARKS, block(m, UP_QUARKS, mb.s1_uc_eL, mb.s1_uc_eR, ml_charged))
    add_nu("S1", DOWN_QUARKS, block(m, DOWN_QUARKS, mb.s1_dc_nuL, None, ml_nu))
    add_N("S1", DOWN_QUARKS, block(m, DOWN_QUARKS, None, mb.s1_dc_NR, ml_N))
    m = masses["R2t(2/3)"]
    add_leptons("R2t(2/3)", DOWN_QUARKS, block(m, DOWN_QUARKS, mb.r2_d_eL, None, ml_charged))
    add_N("R2t(2/3)", UP_QUARKS, block(m, UP_QUARKS, None, mb.r2_u_NR, ml_N))
    m = masses["R2t(-1/3)"]
    add_nu("R2t(-1/3)", DOWN_QUARKS, block(m, DOWN_QUARKS, mb.r2_d_nuL, None, ml_nu))
    add_N("R2t(-1/3)", DOWN_QUARKS, block(m, DOWN_QUARKS, None, mb.r2_d_NR, ml_N))

    total = {f: np.sum(list(chans.values()), axis=0) for f, chans in partial.items()}
    out = DecayWidths(partial=partial, total=total, mass={f: np.asarray(v) for f, v in masses.items()})
    if warn:
        for f, r in out.gamma_over_m().items():
            rmax = float(np.max(r, initial=0.0))
            if rmax > BROAD_WIDTH_THRESHOLD:
                warnings.warn(
                    f"{f}: Gamma/m = {rmax:.3g} > {BROAD_WIDTH_THRESHOLD} (largest in the batch): the narrow-width "
                    "treatment of pair production and of the recast LHC limits is unreliable there",
                    BroadWidthWarning, stacklevel=2,
                )
    return out
