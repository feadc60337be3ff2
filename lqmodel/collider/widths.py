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
    "BroadWidthWarning", "DecayWidths", "two_body_width", "decay_widths", "fermion_masses", "coupling_nonzero",
    "nonzero_entries",
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
        zero = self.__dict__.get("_zero")  # the shared array of the vanishing channels: BR exactly 0
        for f, chans in self.partial.items():
            tot = self.total[f]
            pos = tot > 0
            if np.all(pos):  # every point coupled: plain ratios
                out[f] = {c: g if g is zero else g / tot for c, g in chans.items()}
                continue
            safe = np.where(pos, tot, 1.0)
            out[f] = {c: g if g is zero else np.where(pos, g / safe, 0.0) for c, g in chans.items()}
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


def nonzero_entries(a: np.ndarray) -> np.ndarray:
    """(3, 3) bool of a (3, 3, ...) coupling layout: entries non-zero somewhere in the batch (the same as
    ``np.any(a != 0, axis=(2, ...))``, -0.0 counts as zero; for the contiguous layout of the mass-basis
    couplings an OR of the bit patterns, without a boolean temporary)."""
    if a.ndim > 2 and any(st == 0 and n > 1 for st, n in zip(a.strides[2:], a.shape[2:], strict=True)):
        # broadcast batch axes: look at one element along each
        a = a[(slice(None), slice(None)) + tuple(slice(0, 1) if st == 0 else slice(None)
                                                 for st in a.strides[2:])]
    if a.ndim > 2 and a.flags.c_contiguous and a.dtype == complex:
        bits = np.bitwise_or.reduce(a.reshape(9, -1).view(np.int64), axis=1)
        return ((bits & np.int64(0x7FFFFFFFFFFFFFFF)) != 0).reshape(3, 3)
    return np.any(a != 0, axis=tuple(range(2, a.ndim)))


def coupling_nonzero(point) -> dict[str, np.ndarray]:
    """Mass-basis coupling name -> (3, 3) bool: entry non-zero somewhere in the batch (:func:`nonzero_entries`
    of each :class:`~lqmodel.point.MassBasisCouplings` array); one scan of the couplings that
    :func:`decay_widths` and :func:`lqmodel.collider.drell_yan.drell_yan` can share."""
    mb = point.mass_basis()
    shape = point.batch_shape
    out = {}
    for key in _COUPLINGS:
        x = np.broadcast_to(np.asarray(getattr(mb, key), dtype=complex), shape + (3, 3))
        out[key] = nonzero_entries(np.moveaxis(x, (-2, -1), (0, 1)))
    return out


_COUPLINGS = ("s1_uc_eL", "s1_uc_eR", "s1_dc_nuL", "s1_dc_NR", "r2_d_eL", "r2_u_NR", "r2_d_nuL", "r2_d_NR")


#: a mass that takes at most this fraction of distinct values in a batch has its kinematic factors
#: computed once per distinct value (a grid map); else point by point (the same numbers either way)
_MAX_DISTINCT_FRACTION = 1 / 4


def _per_mass(m: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(values, inverse)``: the distinct values of ``m`` and the position of each element's value, or
    ``(m, None)`` when most values are distinct (then nothing is gained)."""
    flat = np.ravel(m)
    if flat.size < 16:
        return m, None
    if flat[0] == flat[-1] and bool(np.all(flat[0] == flat)):
        return flat[:1].copy(), np.zeros(m.shape, dtype=np.intp)
    uniq, inv = np.unique(flat, return_inverse=True)
    if uniq.size > flat.size * _MAX_DISTINCT_FRACTION:
        return m, None
    return uniq, inv.reshape(m.shape)


def decay_widths(point, *, warn: bool = True, nonzero: dict[str, np.ndarray] | None = None) -> DecayWidths:
    r"""Tree-level partial and total widths of S1, :math:`\tilde R_2^{2/3}`, :math:`\tilde R_2^{-1/3}`.

    ``point``: a (batched) :class:`~lqmodel.point.Point`. Returns :class:`DecayWidths` (GeV). With
    ``warn`` a :class:`BroadWidthWarning` is issued (once per call) when any :math:`\Gamma/m` exceeds
    :data:`BROAD_WIDTH_THRESHOLD`. ``nonzero``: :func:`coupling_nonzero` of the point, if already known.

    Channels whose couplings vanish in the whole batch are exactly 0 and share one read-only zero array;
    the kinematic factors (phase space, :math:`1/16\pi m^3`, :math:`m^2 - m_1^2 - m_2^2`), which depend on
    the masses alone, are computed once per distinct leptoquark mass when a batch has few (a grid map).
    The same numbers as :func:`two_body_width` term by term (tests/test_collider_speed_paths.py).
    """
    mb = point.mass_basis()
    fm = fermion_masses()
    shape = point.batch_shape
    masses = {f: np.broadcast_to(m, shape) for f, m in _lq_masses(point).items()}
    M_N = np.broadcast_to(np.asarray(point.M_N, dtype=float), shape)
    M_N_one = M_N.size == 0 or bool(np.all(M_N.flat[0] == M_N))
    zero = np.zeros(shape)
    zero.setflags(write=False)
    # arrays are laid out (3, 3, *batch) (quark, lepton first: the batch axis contiguous, as the mass-basis
    # couplings are stored); every channel is then a contiguous array of the batch shape

    def lay(x):
        return np.moveaxis(np.broadcast_to(np.asarray(x, dtype=complex), shape + (3, 3)), (-2, -1), (0, 1))

    per_mass: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for f, m in masses.items():  # the same mass array (degenerate components): the same distinct values
        same = next((g for g in per_mass if masses[g] is m or np.array_equal(masses[g], m)), None)
        per_mass[f] = per_mass[same] if same is not None else _per_mass(m)
    nz_of = coupling_nonzero(point) if nonzero is None else nonzero

    def block(field, quarks, l, r, lepton_masses):
        # {(i, j): width} for quark i, lepton j: two_body_width's formula, entry by entry (only entries
        # with a coupling somewhere in the batch; the others are exactly 0), with the couplings entering
        # as |l|^2 + |r|^2 and Re(l r*) only (no complex temporaries; an absent chirality is None); the
        # factors of the masses alone once per distinct mass (when the lepton mass is one number)
        out: dict[tuple[int, int], np.ndarray] = {}
        keys = [k for k in (l, r) if k is not None]
        if not keys:
            return out
        nz = np.zeros((3, 3), bool)
        for k in keys:
            nz |= nz_of[k]
        if not nz.any():
            return out
        xs = [lay(getattr(mb, k)) for k in keys]
        both = len(xs) == 2
        if both:
            lc, rc = xs
        m_all = masses[field]
        for i, j in zip(*np.nonzero(nz), strict=True):
            m1, m2 = fm[quarks[i]], lepton_masses[j]
            m2v: float | np.ndarray = m2
            m_vals, inv = per_mass[field]
            if isinstance(m2, np.ndarray):  # N: M_N of the point
                if not M_N_one:
                    m_vals, inv = m_all, None
                else:
                    m2v = float(m2.flat[0]) if m2.size else 0.0
            m2s = m_vals * m_vals
            a, b = m1 * m1, m2v * m2v
            lam = m2s * m2s + a * a + b * b - 2.0 * (m2s * a + m2s * b + a * b)
            open_ = m_vals > m1 + m2v
            sqrt_lam = np.sqrt(np.where(open_, np.maximum(lam, 0.0), 0.0))
            with np.errstate(divide="ignore", invalid="ignore"):
                kin = sqrt_lam / (16.0 * math.pi * m_vals ** 3)
            mm = m2s - a - b
            all_open = bool(np.all(open_))
            if inv is not None:  # back to the points (the same numbers, gathered)
                kin, mm = kin[inv], mm[inv]
                open_ = open_ if all_open else open_[inv]
            # |l|^2 + |r|^2, then (|l|^2 + |r|^2)(m^2 - m1^2 - m2^2) [- 4 Re(l r*) m1 m2], then times the
            # kinematic factor: the operations of two_body_width in its order, in place on one array
            g = np.asarray(np.multiply(xs[0].real[i, j], xs[0].real[i, j]))
            t = np.asarray(np.multiply(xs[0].imag[i, j], xs[0].imag[i, j]))
            g += t
            if both:
                np.multiply(rc.real[i, j], rc.real[i, j], out=t)
                a2 = np.asarray(np.multiply(rc.imag[i, j], rc.imag[i, j]))
                a2 += t
                g += a2
            g *= mm
            if both:
                g -= 4.0 * (lc.real[i, j] * rc.real[i, j] + lc.imag[i, j] * rc.imag[i, j]) * m1 * m2v
            with np.errstate(invalid="ignore"):
                np.multiply(kin, g, out=g)
            if not all_open:
                g = np.asarray(np.where(open_, g, 0.0))
            out[(int(i), int(j))] = np.maximum(g, 0.0, out=g)  # msq >= 0 analytically; clip rounding below zero
        return out

    ml_charged = [fm[x] for x in CHARGED_LEPTONS]
    ml_nu = [0.0, 0.0, 0.0]
    ml_N = [M_N, M_N, M_N]

    partial: dict[str, dict[str, np.ndarray]] = {f: {} for f in FIELDS}

    def add_leptons(field, quarks, w):
        for i, q in enumerate(quarks):
            for j, lep in enumerate(CHARGED_LEPTONS):
                partial[field][f"{q} {lep}"] = w.get((i, j), zero)

    def add_nu(field, quarks, w):
        for i, q in enumerate(quarks):
            parts = [w[(i, j)] for j in range(3) if (i, j) in w]
            acc = parts[0] if parts else zero
            for x in parts[1:]:  # the sum over the neutrino flavours (vanishing ones add exactly 0)
                acc = acc + x
            partial[field][f"{q} nu"] = acc

    def add_N(field, quarks, w):
        for i, q in enumerate(quarks):
            for j, n in enumerate(N_NAMES):
                partial[field][f"{q} {n}"] = w.get((i, j), zero)

    add_leptons("S1", UP_QUARKS, block("S1", UP_QUARKS, "s1_uc_eL", "s1_uc_eR", ml_charged))
    add_nu("S1", DOWN_QUARKS, block("S1", DOWN_QUARKS, "s1_dc_nuL", None, ml_nu))
    add_N("S1", DOWN_QUARKS, block("S1", DOWN_QUARKS, None, "s1_dc_NR", ml_N))
    add_leptons("R2t(2/3)", DOWN_QUARKS, block("R2t(2/3)", DOWN_QUARKS, "r2_d_eL", None, ml_charged))
    add_N("R2t(2/3)", UP_QUARKS, block("R2t(2/3)", UP_QUARKS, None, "r2_u_NR", ml_N))
    add_nu("R2t(-1/3)", DOWN_QUARKS, block("R2t(-1/3)", DOWN_QUARKS, "r2_d_nuL", None, ml_nu))
    add_N("R2t(-1/3)", DOWN_QUARKS, block("R2t(-1/3)", DOWN_QUARKS, None, "r2_d_NR", ml_N))

    total = {}
    for f, chans in partial.items():  # the channels in order; the vanishing ones add exactly 0
        live = [g for g in chans.values() if g is not zero]
        acc = live[0] + 0.0 if live else np.zeros(shape)
        for g in live[1:]:
            acc += g
        total[f] = acc
    out = DecayWidths(partial=partial, total=total, mass={f: np.asarray(v) for f, v in masses.items()})
    object.__setattr__(out, "_zero", zero)
    object.__setattr__(out, "_per_mass", per_mass)  # (distinct masses, inverse) per field, for the pair recast
    object.__setattr__(out, "_nonzero", nz_of)  # coupling_nonzero of the point, for the Drell-Yan terms
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
