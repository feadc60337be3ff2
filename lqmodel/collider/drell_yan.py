r"""Drell–Yan tails of the S1 + R̃2 + N_R model: pp → ττ, μμ, ee, τν, μν, eν and ℓℓ' from t/u-channel
leptoquark exchange, with HighPT's recasts (generic engine: :mod:`observables.collider.drell_yan`).

:func:`drell_yan` maps the point's mass-basis couplings (:class:`~lqmodel.point.MassBasisCouplings`) onto
the coefficients of the engine's terms and returns, per search, Δχ² against the Standard Model and the
95% CL verdict. The map, derived in ``docs/collider.md`` ("Drell–Yan tails"), in HighPT's form-factor
normalisation (the form-factor decomposition of arXiv:2207.10714 as coded in HighPT's ``FormFactors.m``;
leptoquark form factors of HighPT's ``Mediator.m``, the mediator mode of the manual arXiv:2207.10756):
for the operator :math:`(\bar\ell_a\gamma^\mu P_X\ell_b)(\bar q_i\gamma_\mu P_Y
q_j)` (quark :math:`q_j` and antiquark :math:`\bar q_i` in, :math:`\ell_a^-\ell_b^+` out) the leptoquark form
factor is :math:`c/(x-M^2)` with

* S1 (u-channel, x = û): :math:`c_{LL} = -\tfrac12\lambda^*_{ia}\lambda_{jb}` with :math:`\lambda` =
  ``s1_uc_eL`` (:math:`u\ell`) or ``s1_dc_nuL`` (:math:`d\nu`), :math:`c_{RR} = -\tfrac12 R^*_{ia}R_{jb}`
  (R = ``s1_uc_eR``), scalar+tensor :math:`\kappa = \lambda_{jb}R^*_{ia}` (and L↔R) entering as
  :math:`|\kappa|^2/4`. This is HighPT's S1 with :math:`y_1^L = \lambda` (its :math:`u`–:math:`e` entry in
  the quark mass basis; its :math:`d`–:math:`\nu` entry is :math:`-y_1^L`, as ``s1_dc_nuL`` =
  :math:`-y^{LL}`) and :math:`y_1^R` = ``s1_uc_eR``: the same Lagrangian (Doršner et al.
  arXiv:1603.04993), the same mass basis.
* R̃2^{2/3} (t-channel, x = t̂): :math:`c_{LR} = +\tfrac12 D_{ib}D^*_{ja}` with D = ``r2_d_eL``, i.e. HighPT's
  :math:`\tilde y_2^L = \mp D` (the sign drops out: D enters only as :math:`|D|^2` or :math:`D D^*`).

Terms per search, and their coefficients (lepton ℓ of the search; sums run over neutrino flavours and N
indices, which are not observed):

===========================  ==========================================================================
term                         coefficient
===========================  ==========================================================================
``S1|V|ji``  (ℓℓ, ℓℓ')        :math:`\tfrac14\sum_{(a,b)}(|A_{ia}|^2|A_{jb}|^2+|R_{ia}|^2|R_{jb}|^2)`
``S1|S|ji``  (ℓℓ, ℓℓ')        :math:`\tfrac14\sum_{(a,b)}(|A_{jb}|^2|R_{ia}|^2+|R_{jb}|^2|A_{ia}|^2)`
``S1|A|qq``, ``S1|Z_LL|qq``,  :math:`-\tfrac12(|A_{q\ell}|^2+|R_{q\ell}|^2)`, :math:`-\tfrac12|A_{q\ell}|^2`,
``S1|Z_RR|qq``               :math:`-\tfrac12|R_{q\ell}|^2`
``R2t|V|ji`` (ℓℓ, ℓℓ')        :math:`\tfrac14\sum_{(a,b)}|D_{ib}|^2|D_{ja}|^2`
``R2t|A|qq``, ``R2t|Z_LR|qq`` :math:`+\tfrac12|D_{q\ell}|^2`
``S1|V|du``, ``S1|V|ud`` (ℓν) :math:`\tfrac14(|A_{u\ell}|^2\sum_\beta|B_{d\beta}|^2+|R_{u\ell}|^2\sum_k|\bar N_{dk}|^2)`
``S1|S|du``, ``S1|S|ud`` (ℓν) :math:`\tfrac14(|R_{u\ell}|^2\sum_\beta|B_{d\beta}|^2+|A_{u\ell}|^2\sum_k|\bar N_{dk}|^2)`
``S1|W|du``, ``S1|W|ud`` (ℓν) :math:`\mathrm{Re}\,[V^*_{ud}\,(-\tfrac12 A^*_{u\ell}B_{d\ell})]`
``R2t|S|du``, ``R2t|S|ud``    :math:`\tfrac14|D_{d\ell}|^2\sum_k|U_{uk}|^2`
===========================  ==========================================================================

(A = ``s1_uc_eL``, B = ``s1_dc_nuL``, R = ``s1_uc_eR``, N̄ = ``s1_dc_NR``, D = ``r2_d_eL``, U = ``r2_u_NR``;
V the CKM matrix of :func:`observables.parameters.ckm_matrix`; (a,b) runs over (ℓ,ℓ) for a flavour-
diagonal search and over (ℓ₁,ℓ₂), (ℓ₂,ℓ₁) for ℓ₁ℓ₂; only u, c and d, s, b initial quarks.)

RIGHT-HANDED NEUTRINOS. HighPT has no N_R final states. A light N (M_N ≪ 200 GeV, as in this model) is
missing energy like ν, and with both chiralities flipped the partonic distributions are those of the
chirality structures HighPT does tabulate (the kernels' headers assert chirality-independent efficiencies
within each class: vector "LL RR", scalar "LL LR RL RR"). So ℓN from S1 (``s1_dc_NR`` with ``s1_uc_eL``
or ``s1_uc_eR``) and from R̃2^{2/3} (``r2_d_eL`` with ``r2_u_NR``) is included in the mono-lepton searches,
without SM interference (none exists). Left out: the S1–R̃2 interference in ℓN (both give the same
helicity amplitude through different channels; HighPT has no mixed kernels), and everything with N or ν
only (invisible).

VERDICT. ``chi2`` is Δχ² = χ²(point) − χ²(SM) of the search; ``excluded`` is Δχ² > 3.84 (95% CL, one degree
of freedom: the point tested against the SM along its own direction in coupling space; HighPT's
one-parameter limits use the same number relative to the best fit). Points with a leptoquark lighter than
the tabulated range (1 TeV) and a coupling to light quarks get ``chi2 = nan``, ``excluded = False``
(pair production excludes them anyway).
"""
from __future__ import annotations

from functools import cache

import numpy as np

from lqmodel.collider.widths import coupling_nonzero
from observables.collider.drell_yan import DCHI2_95CL, SEARCHES, load_search

__all__ = ["drell_yan", "drell_yan_coefficients", "SEARCH_LEPTONS", "MIN_MASS_GEV"]

#: search -> (kind, lepton indices) with e, mu, tau = 0, 1, 2
SEARCH_LEPTONS: dict[str, tuple[str, tuple[int, ...]]] = {
    "di-tau_ATLAS_2002_12223": ("NC", (2,)),
    "di-muon_CMS_2103_02708": ("NC", (1,)),
    "di-electron_CMS_2103_02708": ("NC", (0,)),
    "muon-tau_CMS_2205_06709": ("LFV", (1, 2)),
    "electron-tau_CMS_2205_06709": ("LFV", (0, 2)),
    "electron-muon_CMS_2205_06709": ("LFV", (0, 1)),
    "mono-tau_ATLAS-CONF-2021-025": ("CC", (2,)),
    "mono-muon_ATLAS_1906_05609": ("CC", (1,)),
    "mono-electron_ATLAS_1906_05609": ("CC", (0,)),
}
#: smallest mass of the kernels (GeV)
MIN_MASS_GEV = 1000.0
_UQ = {"u": 0, "c": 1}
_DQ = {"d": 0, "s": 1, "b": 2}


_KEYS = ("s1_uc_eL", "s1_dc_nuL", "s1_uc_eR", "s1_dc_NR", "r2_d_eL", "r2_u_NR")
#: the batch-level quadratic form (per distinct pair of mediator masses) is used when a batch has at most
#: this fraction of distinct mass pairs (a grid map: a few per thousand points); else the general path
_MAX_GROUP_FRACTION = 1 / 16


class _Couplings:
    """Mass-basis couplings of a (batched) point as (3, 3, N) arrays (quark, lepton, point: every entry a
    contiguous row, as the mass-basis couplings are stored); ``abs2``/``sum2`` entries computed when first
    used (only the entries a search needs), ``nz[key]`` (3, 3): entry non-zero somewhere in the batch."""

    def __init__(self, point, nonzero: dict[str, np.ndarray] | None = None) -> None:
        mb = point.mass_basis()
        shape = point.batch_shape
        self.n = n = int(np.prod(shape)) if shape else 1

        def mat(a):
            full = np.broadcast_to(np.asarray(a, dtype=complex), (*shape, 3, 3))
            return np.moveaxis(full, (-2, -1), (0, 1)).reshape(3, 3, n)

        self.raw = {k: mat(getattr(mb, k)) for k in _KEYS}
        nz = coupling_nonzero(point) if nonzero is None else nonzero
        self.nz = {k: nz[k] for k in _KEYS}
        self._abs2: dict[tuple[str, int, int], np.ndarray] = {}
        self._sum2: dict[tuple[str, int], np.ndarray] = {}

    def abs2(self, key: str, q: int, l: int) -> np.ndarray:
        """|X_ql|^2 (N,)."""
        a = self._abs2.get((key, q, l))
        if a is None:
            v = self.raw[key][q, l]
            a = self._abs2[(key, q, l)] = v.real * v.real + v.imag * v.imag
        return a

    def sum2(self, key: str, q: int) -> np.ndarray:
        """sum_l |X_ql|^2 (N,) (the lepton / N index summed; entries zero in the whole batch add exactly 0
        and are left out)."""
        a = self._sum2.get((key, q))
        if a is None:
            live = [l for l in range(3) if self.nz[key][q, l]] or [0]
            a = self.abs2(key, q, live[0])
            for l in live[1:]:
                a = a + self.abs2(key, q, l)
            self._sum2[(key, q)] = a
        return a


def _flat(point, nonzero: dict[str, np.ndarray] | None = None):
    """:class:`_Couplings` and masses (N,) of a (batched) point."""
    c = _Couplings(point, nonzero)
    shape = point.batch_shape
    n = c.n
    masses = {
        "S1": np.broadcast_to(np.asarray(point.m_S1, dtype=float), shape).reshape(n),
        "R2t": np.broadcast_to(np.asarray(point.m_R2_23_value, dtype=float), shape).reshape(n),
    }
    return c, masses, shape, n


def _monomials(term: str, kind: str, leptons: tuple[int, ...]) -> list[tuple[float, tuple[tuple, ...]]]:
    """The coefficient of one engine term (table of the module docstring) as a sum of monomials
    ``(factor, (f1, f2, ...))``; a factor ``("a", key, q, l)`` is :math:`|X_{ql}|^2` of coupling ``key``,
    ``("s", key, q)`` is :math:`\\sum_l |X_{ql}|^2`, ``("W", u, d, l)`` the CKM-weighted
    :math:`\\mathrm{Re}[V^*_{ud}(-\\tfrac12 A^*_{ul}B_{dl})]` (with its factor)."""
    med, part, qq = term.split("|")
    qj, qi = qq[0], qq[1]
    A, R, D = "s1_uc_eL", "s1_uc_eR", "r2_d_eL"
    if kind in ("NC", "LFV"):
        pairs = [(leptons[0], leptons[0])] if kind == "NC" else [(leptons[0], leptons[1]), (leptons[1], leptons[0])]
        if med == "S1":
            i, j = _UQ[qi], _UQ[qj]
            l = leptons[0]
            if part == "V":
                return [(0.25, (("a", X, i, a), ("a", X, j, b))) for a, b in pairs for X in (A, R)]
            if part == "S":
                return [(0.25, (("a", X, j, b), ("a", Y, i, a))) for a, b in pairs for X, Y in ((A, R), (R, A))]
            if part == "A":
                return [(-0.5, (("a", A, i, l),)), (-0.5, (("a", R, i, l),))]
            if part == "Z_LL":
                return [(-0.5, (("a", A, i, l),))]
            if part == "Z_RR":
                return [(-0.5, (("a", R, i, l),))]
        else:
            i, j = _DQ[qi], _DQ[qj]
            if part == "V":
                return [(0.25, (("a", D, i, b), ("a", D, j, a))) for a, b in pairs]
            if part in ("A", "Z_LR"):
                return [(0.5, (("a", D, i, leptons[0]),))]
    else:  # CC: one up-type and one down-type quark, either order
        u, d = (_UQ[qj], _DQ[qi]) if qj in _UQ else (_UQ[qi], _DQ[qj])
        l = leptons[0]
        sB, sN, sU = ("s", "s1_dc_nuL", d), ("s", "s1_dc_NR", d), ("s", "r2_u_NR", u)
        if med == "S1":
            if part == "V":
                return [(0.25, (("a", A, u, l), sB)), (0.25, (("a", R, u, l), sN))]
            if part == "S":
                return [(0.25, (("a", R, u, l), sB)), (0.25, (("a", A, u, l), sN))]
            if part == "W":
                return [(1.0, (("W", u, d, l),))]
        elif part == "S":
            return [(0.25, (("a", D, d, l), sU))]
    raise KeyError(f"no coupling map for Drell-Yan term {term!r} of a {kind} search")


@cache
def _recipe(search: str) -> tuple[tuple[tuple[float, tuple[tuple, ...]], ...], ...]:
    """Monomials of every term of ``search`` (cached: they depend on the search only)."""
    kind, leptons = SEARCH_LEPTONS[search]
    return tuple(tuple(_monomials(t, kind, leptons)) for t in load_search(search).term_names)


def _factor_nonzero(c: _Couplings, f: tuple) -> bool:
    """Whether factor ``f`` (see :func:`_monomials`) is non-zero somewhere in the batch."""
    if f[0] == "a":
        return bool(c.nz[f[1]][f[2], f[3]])
    if f[0] == "s":
        return bool(c.nz[f[1]][f[2]].any())
    _, u, d, l = f
    return bool(c.nz["s1_uc_eL"][u, l] and c.nz["s1_dc_nuL"][d, l])


def _factor(c: _Couplings, f: tuple, V: np.ndarray) -> np.ndarray:
    if f[0] == "a":
        return c.abs2(f[1], f[2], f[3])
    if f[0] == "s":
        return c.sum2(f[1], f[2])
    # Re[V*_ud (-1/2 A*_ul B_dl)] in real arithmetic: A* B = (ar br + ai bi) + i (ar bi - ai br)
    _, u, d, l = f
    A, B = c.raw["s1_uc_eL"][u, l], c.raw["s1_dc_nuL"][d, l]
    re = A.real * B.real
    re += A.imag * B.imag
    im = A.real * B.imag
    im -= A.imag * B.real
    re *= -0.5 * V[u, d].real
    im *= -0.5 * V[u, d].imag
    re += im
    return re


def drell_yan_coefficients(point, search: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Mediator masses (GeV, shape (N,)) and the engine coefficients (N, terms) of a point for one search."""
    from observables.parameters import ckm_matrix

    c, masses, _, _ = _flat(point)
    return masses, _coefficients(search, c, ckm_matrix())


def _coefficients(search: str, c: _Couplings, V: np.ndarray) -> np.ndarray:
    """Coefficients (N, terms) of ``search``."""
    n = c.n
    out = np.zeros((n, len(_recipe(search))))
    terms, cols = _active_coefficients(search, c, V)
    for k, col in zip(terms, cols, strict=True):
        out[:, k] = col
    return out


def _live(c: _Couplings, monomials) -> tuple:
    """The monomials with no factor vanishing in the whole batch."""
    return tuple(m for m in monomials if all(_factor_nonzero(c, f) for f in m[1]))


def _evaluate(c: _Couplings, live: tuple, V: np.ndarray) -> np.ndarray:
    """Sum of the monomials ``live`` (N,)."""
    acc = None
    for coef, factors in live:
        term = _factor(c, factors[0], V)
        for f in factors[1:]:
            term = term * _factor(c, f, V)
        term = coef * term if coef != 1.0 else term
        acc = term if acc is None else acc + term
    assert acc is not None
    return acc


def _active_coefficients(search: str, c: _Couplings, V: np.ndarray) -> tuple[list[int], list[np.ndarray]]:
    """The terms of ``search`` with a monomial that is non-zero somewhere in the batch, and their
    coefficients (N,); monomials with a factor that vanishes for the whole batch are skipped (exact zeros:
    a speed-up only)."""
    terms: list[int] = []
    cols: list[np.ndarray] = []
    for k, monomials in enumerate(_recipe(search)):
        live = _live(c, monomials)
        if live:
            terms.append(k)
            cols.append(_evaluate(c, live, V))
    return terms, cols


def _shared_coefficients(search: str, c: _Couplings, V: np.ndarray) -> tuple[list[list[int]], list[np.ndarray]]:
    """Like :func:`_active_coefficients`, with the terms that have the same coefficient (the same live
    monomials up to the order of their two factors, e.g. ``S1|V|uc`` and ``S1|V|cu``), the same mediator
    and the same kernel power grouped: ``(groups of term indices, one coefficient (N,) per group)``."""
    s = load_search(search)
    index: dict[tuple, int] = {}
    groups: list[list[int]] = []
    cols: list[np.ndarray] = []
    for k, monomials in enumerate(_recipe(search)):
        live = _live(c, monomials)
        if not live:
            continue
        key = (s.term_names[k].split("|")[0], int(s.power[k]),
               tuple((coef, tuple(sorted(fs)) if len(fs) <= 2 else fs) for coef, fs in live))
        if key in index:
            groups[index[key]].append(k)
            continue
        index[key] = len(groups)
        groups.append([k])
        cols.append(_evaluate(c, live, V))
    return groups, cols


def _mass_groups(m: dict[str, np.ndarray], n: int) -> tuple[dict[str, np.ndarray], np.ndarray] | None:
    """Distinct (m_S1, m_R2t) pairs of the batch: ``(mediator -> masses (G,), group of every point (N,))``,
    or None when there are more than ``_MAX_GROUP_FRACTION`` n of them (then the general path is faster)
    or a mediator is below the kernels (the general path flags those points)."""
    if n < 16 or any(np.any(~(mm >= MIN_MASS_GEV)) for mm in m.values()):
        return None
    limit = max(1, int(n * _MAX_GROUP_FRACTION))
    uS, iS = np.unique(m["S1"], return_inverse=True)
    if uS.size > limit:
        return None
    if np.array_equal(m["R2t"], m["S1"]):
        return {"S1": uS, "R2t": uS}, iS.reshape(n)
    uR, iR = np.unique(m["R2t"], return_inverse=True)
    if uR.size > limit:
        return None
    code = iS.reshape(n) * uR.size + iR.reshape(n)
    uc, inv = np.unique(code, return_inverse=True)
    if uc.size > limit:
        return None
    return {"S1": uS[uc // uR.size], "R2t": uR[uc % uR.size]}, inv.reshape(n)


def _quadratic(cols: list[np.ndarray], Q: np.ndarray, L: np.ndarray, inv: np.ndarray) -> np.ndarray:
    r""":math:`\sum_i c_i\,(Q_{ii}c_i + \sum_{j>i}2Q_{ij}c_j - 2L_i)` per point, Q and L of the point's mass
    group ``inv`` (gathered entry by entry into one buffer: no (N, k, k) array)."""
    n = inv.size
    k = len(cols)
    single = Q.shape[0] == 1
    out = np.zeros(n)
    t = np.empty(n)
    buf = np.empty(n)

    def times(table: np.ndarray, col: np.ndarray, dst: np.ndarray) -> np.ndarray:
        if single:
            return np.multiply(col, float(table[0]), out=dst)
        np.take(table, inv, out=dst)
        return np.multiply(dst, col, out=dst)

    for i in range(k):
        times(np.ascontiguousarray(Q[:, i, i]), cols[i], t)
        for j in range(i + 1, k):
            t += times(np.ascontiguousarray(2.0 * Q[:, i, j]), cols[j], buf)
        if single:
            t -= 2.0 * float(L[0, i])
        else:
            np.take(np.ascontiguousarray(2.0 * L[:, i]), inv, out=buf)
            t -= buf
        t *= cols[i]
        out += t
    return out


def drell_yan(point, *, nonzero: dict[str, np.ndarray] | None = None) -> dict[str, dict[str, np.ndarray | bool]]:
    r"""Per search: ``{"chi2": Δχ² vs SM, "excluded": Δχ² > 3.84}``, arrays of the point's batch shape.

    Vectorised over a batched :class:`~lqmodel.point.Point`; see the module docstring for the physics,
    the coupling map and the treatment of N_R and of masses below 1 TeV. ``nonzero``:
    :func:`lqmodel.collider.widths.coupling_nonzero` of the point, if already known.

    A batch with few distinct (m_S1, m_R2t) pairs (at most 1/16 of its points, all above 1 TeV: a grid map)
    takes :meth:`~observables.collider.drell_yan.DrellYanSearch.quadratic_form` once per pair, with the terms
    of equal coefficient merged, and O(k²) operations per point; the same Δχ² as the general path to
    1e-13 of :math:`\sum_j|n_j(n_j-2d_j)|` (rounding; tests/test_collider_speed_paths.py).
    """
    from observables.parameters import ckm_matrix

    out: dict[str, dict[str, np.ndarray | bool]] = {}
    c, m, shape, n = _flat(point, nonzero)
    V = ckm_matrix()
    low = {med: ~(mm >= MIN_MASS_GEV) for med, mm in m.items()}
    placeholder = {med: np.where(low[med], MIN_MASS_GEV, mm) if low[med].any() else mm for med, mm in m.items()}
    grouped = _mass_groups(m, n)
    for name in SEARCHES:
        s = load_search(name)
        if grouped is not None:  # few distinct masses (a grid map): the quadratic form per mass pair
            groups, shared = _shared_coefficients(name, c, V)
            if groups:
                Q, L = s.quadratic_form(grouped[0], groups)
                dchi2 = _quadratic(shared, Q, L, grouped[1])
            else:
                dchi2 = np.zeros(n)
            excl = dchi2 > DCHI2_95CL
            out[name] = {"chi2": dchi2.reshape(shape) if shape else dchi2[0],
                         "excluded": excl.reshape(shape) if shape else bool(excl[0])}
            continue
        terms, cols = _active_coefficients(name, c, V)
        bad = np.zeros(n, bool)
        if not terms:  # no coupling of this search anywhere in the batch: no signal
            dchi2 = np.zeros(n)
        else:
            ct = np.stack(cols)  # (terms, N): every term contiguous, passed on as its transpose (N, terms)
            labels = np.array([s.term_names[k].split("|")[0] for k in terms])
            use = {}
            for med in s.mediators:
                sel = labels == med
                if not sel.any():
                    continue
                if low[med].any():
                    bad |= low[med] & np.any(ct[sel] != 0, axis=0)
                # every row below the kernels gets a placeholder mass (its coefficients here are zero or the
                # row is flagged bad): rows without a coupling to this mediator must not trip the range check
                use[med] = placeholder[med]
            if bad.any():
                ct = np.where(bad, 0.0, ct)
            dchi2 = s.delta_chi2(use, ct.T, terms=terms)
            if bad.any():
                dchi2 = np.where(bad, np.nan, dchi2)
        excl = ~bad & (dchi2 > DCHI2_95CL)
        out[name] = {"chi2": dchi2.reshape(shape) if shape else dchi2[0],
                     "excluded": excl.reshape(shape) if shape else bool(excl[0])}
    return out
