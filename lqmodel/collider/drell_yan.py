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


def _flat(point):
    """Mass-basis couplings as (3, 3, N) arrays (quark, lepton, point: every entry a contiguous row, as
    the mass-basis couplings are stored) and masses (N,) for a (batched) point."""
    mb = point.mass_basis()
    shape = point.batch_shape
    n = int(np.prod(shape)) if shape else 1

    def mat(a):
        full = np.broadcast_to(np.asarray(a, dtype=complex), (*shape, 3, 3))
        return np.moveaxis(full, (-2, -1), (0, 1)).reshape(3, 3, n)

    c = {k: mat(getattr(mb, k)) for k in ("s1_uc_eL", "s1_dc_nuL", "s1_uc_eR", "s1_dc_NR", "r2_d_eL", "r2_u_NR")}
    c["abs2"] = {k: v.real * v.real + v.imag * v.imag for k, v in c.items()}
    c["sum2"] = {k: v[:, 0] + v[:, 1] + v[:, 2] for k, v in c["abs2"].items()}  # summed over the lepton / N index
    c["nz"] = {k: np.any(v != 0, axis=2) for k, v in c["abs2"].items()}  # (3, 3): entry non-zero in the batch
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


def _factor_nonzero(c: dict, f: tuple) -> bool:
    """Whether factor ``f`` (see :func:`_monomials`) is non-zero somewhere in the batch."""
    if f[0] == "a":
        return bool(c["nz"][f[1]][f[2], f[3]])
    if f[0] == "s":
        return bool(c["nz"][f[1]][f[2]].any())
    _, u, d, l = f
    return bool(c["nz"]["s1_uc_eL"][u, l] and c["nz"]["s1_dc_nuL"][d, l])


def _factor(c: dict, f: tuple, V: np.ndarray) -> np.ndarray:
    if f[0] == "a":
        return c["abs2"][f[1]][f[2], f[3]]
    if f[0] == "s":
        return c["sum2"][f[1]][f[2]]
    _, u, d, l = f
    cc = -0.5 * np.conj(c["s1_uc_eL"][u, l]) * c["s1_dc_nuL"][d, l]
    return np.real(np.conj(V[u, d]) * cc)


def drell_yan_coefficients(point, search: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Mediator masses (GeV, shape (N,)) and the engine coefficients (N, terms) of a point for one search."""
    from observables.parameters import ckm_matrix

    c, masses, _, _ = _flat(point)
    return masses, _coefficients(search, c, ckm_matrix())


def _coefficients(search: str, c: dict, V: np.ndarray) -> np.ndarray:
    """Coefficients (N, terms) of ``search``."""
    n = c["s1_uc_eL"].shape[2]
    out = np.zeros((n, len(_recipe(search))))
    terms, cols = _active_coefficients(search, c, V)
    for k, col in zip(terms, cols, strict=True):
        out[:, k] = col
    return out


def _active_coefficients(search: str, c: dict, V: np.ndarray) -> tuple[list[int], list[np.ndarray]]:
    """The terms of ``search`` with a monomial that is non-zero somewhere in the batch, and their
    coefficients (N,); monomials with a factor that vanishes for the whole batch are skipped (exact zeros:
    a speed-up only)."""
    terms: list[int] = []
    cols: list[np.ndarray] = []
    for k, monomials in enumerate(_recipe(search)):
        acc = None
        for coef, factors in monomials:
            if not all(_factor_nonzero(c, f) for f in factors):
                continue
            term = _factor(c, factors[0], V)
            for f in factors[1:]:
                term = term * _factor(c, f, V)
            term = coef * term if coef != 1.0 else term
            acc = term if acc is None else acc + term
        if acc is not None:
            terms.append(k)
            cols.append(acc)
    return terms, cols


def drell_yan(point) -> dict[str, dict[str, np.ndarray | bool]]:
    """Per search: ``{"chi2": Δχ² vs SM, "excluded": Δχ² > 3.84}``, arrays of the point's batch shape.

    Vectorised over a batched :class:`~lqmodel.point.Point`; see the module docstring for the physics,
    the coupling map and the treatment of N_R and of masses below 1 TeV.
    """
    from observables.parameters import ckm_matrix

    out: dict[str, dict[str, np.ndarray | bool]] = {}
    c, m, shape, n = _flat(point)
    V = ckm_matrix()
    low = {med: ~(mm >= MIN_MASS_GEV) for med, mm in m.items()}
    placeholder = {med: np.where(low[med], MIN_MASS_GEV, mm) if low[med].any() else mm for med, mm in m.items()}
    for name in SEARCHES:
        s = load_search(name)
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
