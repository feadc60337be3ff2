r"""Finite one-loop leptoquark corrections to the Z and W couplings of leptons (quark-mass terms).

Called by :func:`lqmodel.smeft_matching.match_smeft` (``oneloop=True``, the default): the finite parts of
the one-loop S1 / R2~ vertex corrections that the tree-level SMEFT matching + wilson running + flavio chain
does not contain, returned as shifts of the Warsaw coefficients :math:`C_{Hl}^{(1)}, C_{Hl}^{(3)}, C_{He}`
(flavour-diagonal entries ``phil1_pp``, ``phil3_pp``, ``phie_pp``) at the matching scale. Derivation, regions
and checks: ``docs/electroweak.md`` §5 (derived here; the log terms are those of the one-loop SMEFT RGE,
Jenkins–Manohar–Trott arXiv:1310.4838 / Alonso et al. arXiv:1312.2014; the loop function is the one of
Arnan, Bečirević, Mescia, Sumensari arXiv:1901.06315, whose equations could not be read here).

Included (full quark-mass dependence, external momenta q² = 0, gaugeless limit):

* Z coupling of a lepton f through a loop of quark ψ (mass m) and leptoquark (mass M), coupling λ:
  :math:`\delta g_f = \frac{N_c}{16\pi^2}\sum_q \lambda^*_{qp}\lambda_{qr}\,s_q\,F(x_q)`,
  :math:`F(x) = \frac{x(x-1-\ln x)}{(x-1)^2}`, :math:`x = m^2/M^2`, with :math:`s = g_Z(\psi_{\rm other}) -
  g_Z(\psi_{\rm coupled})` the difference of the Z couplings (:math:`T_3 - Qs_W^2`) of the chirality of ψ that
  does *not* couple to f and the one that does: S1–top for ℓ_L: s = +1/2 (ψ = t^c); S1–top for ℓ_R: s = −1/2;
  S1–d^c for ν: s = −1/2; R2~–d_R for ℓ_L and ν: s = −1/2.
* W coupling (S1, up-quark u with massless down quarks):
  :math:`\delta g_W/g_W = \frac{N_c}{16\pi^2}\sum_u|\lambda_{u\ell}|^2 G_W(x_u)`,
  :math:`G_W(x) = -\tfrac14\big[\tfrac{x^2\ln x}{(1-x)^2} + \tfrac{x}{1-x}\big] - \tfrac12 F(x)`.
* Regions (MS-bar): full = hard(μ) + soft(μ); soft = the SMEFT one-loop matrix element of the tree-level
  four-fermion operator with the quark loop closed, :math:`x\ln(\mu^2/m^2)` (Z) and
  :math:`-\tfrac12 x[\ln(\mu^2/m^2)+\tfrac12]` (W); the :math:`\ln M^2` of the hard part is the RGE's.

What is added (no double counting with wilson, which produces the logarithm between M and m_Z):
hard part at μ = M with the running mass m(M) (including its O(x² ln x) power corrections), plus the soft
matrix element at μ = m_Z with m(m_Z), which flavio (tree-level in the C_H) omits. The W coupling follows
from C_Hl3 (SU(2)-consistent for the hard part; its soft part is then off by
:math:`-\tfrac{N_c}{16\pi^2}|\lambda|^2 x_Z/4`, ≈ 1.4×10⁻⁴ |λ|² at 1 TeV, not included). Not included: the
O(m_Z²/M²) gauge terms and the q² = m_Z² momentum dependence, LFV (p ≠ r) entries, y^LL–y^RR interference
(∝ m_ℓ), N_R loops.

Quark masses: MS-bar m(m) of ``observables.parameters`` run with one-loop QCD (n_f = 6 above m_t,
5 below; :data:`ALPHA_S_MZ`), accurate to a few per cent against wilson's y_t (tested).
"""
from __future__ import annotations

import math
from functools import lru_cache, partial

import numpy as np
from numpy.typing import ArrayLike

from lqmodel.errors import InputError

__all__ = ["F_z", "G_w", "hard_z", "soft_z", "hard_w", "soft_w", "running_mass", "alpha_s",
           "delta_g", "oneloop_coefficients", "ALPHA_S_MZ", "NC"]

NC = 3
#: alpha_s(m_Z), PDG 2024 world average 0.1180(9) (S. Navas et al., PRD 110 (2024) 030001, QCD review)
ALPHA_S_MZ = 0.1180


def F_z(x: ArrayLike) -> np.ndarray:
    r""":math:`F(x) = x(x-1-\ln x)/(x-1)^2 = m^2\int_0^\infty t\,dt/((t+m^2)^2(t+M^2))`, x = m²/M² ≥ 0.

    Derived here (docs/electroweak.md §5). F(0) = 0, F(1) = 1/2, F ≈ x(ln(1/x) − 1) for small x.

    >>> float(F_z(1.0)), float(F_z(0.0))
    (0.5, 0.0)
    """
    x = np.asarray(x, dtype=float)
    if np.any(x < 0) or not np.all(np.isfinite(x)):
        raise InputError("F_z needs finite x = m^2/M^2 >= 0")
    out = np.zeros_like(x)
    near = np.abs(x - 1) < 1e-3
    pos = (x > 0) & ~near
    xp = x[pos]
    out[pos] = xp * (xp - 1 - np.log(xp)) / (xp - 1) ** 2
    d = x[near] - 1  # series at x = 1 + d (|d| < 1e-3: error below 1e-15)
    out[near] = 0.5 + d / 6 - d**2 / 12 + d**3 / 20 - d**4 / 30
    return out[()] if out.ndim == 0 else out


def _k_w(x: np.ndarray) -> np.ndarray:
    r""":math:`x^2 K(x) = x^2\int_0^\infty dt/((t+x)^2(t+1)) = x^2\ln x/(1-x)^2 + x/(1-x)` (x = 1: 1/2)."""
    out = np.zeros_like(x)
    near = np.abs(x - 1) < 1e-3
    pos = (x > 0) & ~near
    xp = x[pos]
    out[pos] = xp**2 * np.log(xp) / (1 - xp) ** 2 + xp / (1 - xp)
    d = x[near] - 1  # series at x = 1 + d
    out[near] = 0.5 + d / 3 - d**2 / 12 + d**3 / 30 - d**4 / 60
    return out


def G_w(x: ArrayLike) -> np.ndarray:
    r"""W-vertex function (up quark of mass² x·M² and a massless down quark in the loop; docstring above).

    :math:`G_W = -\tfrac14 x^2K(x) - \tfrac12F(x)` ≈ :math:`-\tfrac12x\ln(1/x) + \tfrac14x` for small x.
    Derived here (docs/electroweak.md §5).

    >>> round(float(G_w(1.0)), 12)   # -1/8 - 1/4
    -0.375
    """
    x = np.asarray(x, dtype=float)
    if np.any(x < 0) or not np.all(np.isfinite(x)):
        raise InputError("G_w needs finite x = m^2/M^2 >= 0")
    out = -0.25 * _k_w(x) - 0.5 * F_z(x)
    return out[()] if np.ndim(out) == 0 else out


def _xlog(x: np.ndarray) -> np.ndarray:
    """x ln(1/x), 0 at x = 0."""
    out = np.zeros_like(x)
    pos = x > 0
    out[pos] = -x[pos] * np.log(x[pos])
    return out


def hard_z(x: ArrayLike) -> np.ndarray:
    r"""Hard part at μ = M of the Z vertex, per unit s: :math:`F(x) - x\ln(1/x)` (≈ −x; docs/electroweak.md §5)."""
    x = np.asarray(x, dtype=float)
    return F_z(x) - _xlog(x)


def soft_z(x_mu: ArrayLike, mu: float, m_mu: ArrayLike) -> np.ndarray:
    r"""SMEFT matrix element at scale μ (MS-bar, q² = 0), per unit s: :math:`x_\mu\ln(\mu^2/m(\mu)^2)`."""
    x_mu, m_mu = np.asarray(x_mu, dtype=float), np.asarray(m_mu, dtype=float)
    return np.where(m_mu > 0, x_mu * np.log(mu**2 / np.where(m_mu > 0, m_mu, 1.0) ** 2), 0.0)


def hard_w(x: ArrayLike) -> np.ndarray:
    r"""Hard part at μ = M of the W vertex: :math:`G_W(x) + \tfrac12x[\ln(1/x)+\tfrac12]` (≈ +x/2)."""
    x = np.asarray(x, dtype=float)
    return G_w(x) + 0.5 * _xlog(x) + 0.25 * x


def soft_w(x_mu: ArrayLike, mu: float, m_mu: ArrayLike) -> np.ndarray:
    r"""SMEFT W matrix element at μ: :math:`-\tfrac12x_\mu[\ln(\mu^2/m(\mu)^2)+\tfrac12]`."""
    x_mu = np.asarray(x_mu, dtype=float)
    return -0.5 * soft_z(x_mu, mu, m_mu) - 0.25 * x_mu


def alpha_s(mu: ArrayLike) -> np.ndarray:
    r"""One-loop α_s(μ) from :data:`ALPHA_S_MZ`, n_f = 5 below and 6 above m_t(m_t) (continuous there)."""
    from observables.parameters import value

    mu = np.asarray(mu, dtype=float)
    mz, mt = value("m_Z"), value("m_t_MSbar")

    def run(a0, mu0, m, nf):
        b0 = 11 - 2 * nf / 3
        return a0 / (1 + a0 * b0 / (2 * math.pi) * np.log(m / mu0))

    a_mt = float(run(ALPHA_S_MZ, mz, mt, 5))
    return np.where(mu <= mt, run(ALPHA_S_MZ, mz, mu, 5), run(a_mt, mt, mu, 6))


def running_mass(name: str, mu: ArrayLike) -> np.ndarray:
    r"""MS-bar quark mass at μ [GeV] from m(m) (``m_t_MSbar``, ``m_b_MSbar``, ``m_c_MSbar``), one-loop QCD:
    :math:`m(\mu) = m(m)\,[\alpha_s(\mu)/\alpha_s(m)]^{4/\beta_0}` (β₀ = 11 − 2n_f/3, n_f switching at m_t).
    """
    from observables.parameters import value

    m0 = value(name)
    mt = value("m_t_MSbar")
    mu = np.asarray(mu, dtype=float)
    a = lambda s: alpha_s(s)  # noqa: E731
    # piecewise: exponent 4/beta0(n_f) on each side of m_t
    e5, e6 = 12 / 23, 4 / 7
    lo = np.minimum(mu, mt)
    r = (a(lo) / a(min(m0, mt))) ** e5 if m0 <= mt else 1.0
    out = m0 * r * np.where(mu > mt, (a(np.maximum(mu, mt)) / a(mt)) ** e6, 1.0)
    return out


_UP = (None, "m_c_MSbar", "m_t_MSbar")
_DOWN = (None, None, "m_b_MSbar")


def _x_sets(names, M: np.ndarray, mz: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x at M, x at m_Z, m(m_Z)) arrays of shape M.shape + (3,) for the quark generations in ``names``
    (None: massless)."""
    xm, xz, mzq = [], [], []
    for n in names:
        if n is None:
            z = np.zeros_like(M)
            xm.append(z)
            xz.append(z)
            mzq.append(z)
            continue
        mM = running_mass(n, M)
        mZ = float(running_mass(n, mz))
        xm.append((mM / M) ** 2)
        xz.append((mZ / M) ** 2)
        mzq.append(np.full_like(M, mZ))
    return np.stack(xm, -1), np.stack(xz, -1), np.stack(mzq, -1)


def _loop(key: tuple, mz: float, u: np.ndarray) -> np.ndarray:
    """The vertex loop function ``key`` at the leptoquark masses ``u`` [GeV], shape ``u.shape + (3,)`` (quark
    generations): ``("Z", quarks, s)`` = s (hard + soft Z vertex), ``("W", quarks, 1.0)`` = hard + soft W
    vertex (:data:`_UP` / :data:`_DOWN` name the running masses)."""
    kind, quarks, s = key
    xm, xz, mzq = _x_sets(quarks, u, mz)
    if kind == "W":
        return hard_w(xm) + soft_w(xz, mz, mzq)
    return s * (hard_z(xm) + soft_z(xz, mz, mzq))


def _columns(key: tuple, mz: float, u: np.ndarray) -> tuple[np.ndarray, ...]:
    """The three quark columns of :func:`_loop`."""
    return tuple(np.moveaxis(_loop(key, mz, u), -1, 0))


@lru_cache(maxsize=1024)
def _columns_at(key: tuple, mz: float, M: float) -> tuple[np.ndarray, ...]:
    """:func:`_columns` at one leptoquark mass M [GeV] as one-element arrays (the array arithmetic of a batch of
    masses), memoised per (loop function, m_Z, M); read-only (a map's few masses are evaluated once per
    process, not once per sub-batch)."""
    out = tuple(np.array(c) for c in _columns(key, mz, np.full(1, M)))
    for c in out:
        c.setflags(write=False)
    return out


def delta_g(point) -> dict[str, np.ndarray]:
    r"""The added finite Z/W coupling shifts (hard at μ = M plus soft at μ = m_Z), lepton-flavour diagonal.

    Returns ``{"Z_eL", "Z_nu", "Z_eR", "W"}`` → arrays of shape ``B + (3,)`` (lepton flavour e, μ, τ),
    normalised as δg in :math:`g_Z = T_3 - Qs_W^2 + \delta g` and δg_W/g_W. "W" is the genuine W-vertex
    hard + soft sum (reference value; what enters flavio is the C_Hl3 image, docstring above).
    """
    shape = point.batch_shape
    out = {}
    for key, per_lepton in _delta_g_entries(point).items():
        arr = np.zeros(shape + (3,))
        for l, v in enumerate(per_lepton):
            if v is not None:
                arr[..., l] = v
        out[key] = arr
    return out


def _delta_g_entries(point, sp=None) -> dict[str, list[np.ndarray | None]]:
    r"""The shifts of :func:`delta_g` lepton by lepton, ``None`` where identically zero: for each lepton the sum
    over the quarks that couple to it somewhere in the batch (massless quarks add exactly zero and are
    skipped) of the loop function (once per distinct leptoquark mass) times :math:`|\lambda_{q\ell}|^2`.
    ``sp``: the sparse mass-basis couplings of :func:`lqmodel.matching._matching_inputs` (default: built
    here)."""
    from lqmodel.matching import _matching_inputs, _per_distinct, _uniform
    from observables.parameters import value

    mz = value("m_Z")
    if sp is None:
        sp = _matching_inputs(point)[0]
    shape = point.batch_shape
    mS = _uniform(point.m_S1, shape)  # a one-element array where the batch has one mass
    mR = _uniform(point.m_R2, shape)
    pref = NC / (16 * math.pi**2)

    def per_mass(M, fn):
        """The three quark columns of the loop function ``fn`` (a key of :func:`_loop`) at M (shape M.shape +
        (3,)), computed on the distinct masses only (one mass for the batch: kept per mass, :func:`_columns_at`)."""
        M = np.asarray(M, dtype=float)
        if M.shape == (1,):
            return _columns_at(fn, mz, float(M[0]))
        return _per_distinct(M, partial(_columns, fn, mz))

    def z_f(quarks, s):
        return ("Z", quarks, s)

    fw_of = ("W", _UP, 1.0)

    def z_sum(lam, M, quarks, fn):
        """Per lepton: pref * sum_q F_q(M) |lam_ql|^2 over the massive quarks coupled somewhere (None: zero)."""
        terms = [(q, l) for l in range(3) for q in range(3) if lam.nz[q, l] and quarks[q] is not None]
        out: list[np.ndarray | None] = [None, None, None]
        if not terms:
            return out
        F = per_mass(M, fn)
        for l in range(3):
            acc = None
            for q in range(3):
                if (q, l) in terms:
                    t = F[q] * np.abs(lam.M[..., q, l]) ** 2
                    acc = t if acc is None else acc + t
            if acc is not None:
                out[l] = pref * acc
        return out

    def plus(x, y):
        return [a if b is None else b if a is None else a + b for a, b in zip(x, y, strict=True)]

    return {
        "Z_eL": plus(z_sum(sp["A"], mS, _UP, z_f(_UP, +0.5)), z_sum(sp["D"], mR, _DOWN, z_f(_DOWN, -0.5))),
        "Z_nu": plus(z_sum(sp["B"], mS, _DOWN, z_f(_DOWN, -0.5)), z_sum(sp["Dv"], mR, _DOWN, z_f(_DOWN, -0.5))),
        "Z_eR": z_sum(sp["R"], mS, _UP, z_f(_UP, -0.5)),
        "W": z_sum(sp["A"], mS, _UP, fw_of),
    }


def oneloop_coefficients(point, sp=None) -> dict[str, np.ndarray]:
    r"""Shifts of the Warsaw coefficients [GeV⁻²] at the matching scale (flavio's conventions,
    ``zdecays/smeftew.py``): :math:`\delta g_{e_L} = -\tfrac{v^2}{2}(C_{Hl}^{(1)}+C_{Hl}^{(3)})`,
    :math:`\delta g_\nu = -\tfrac{v^2}{2}(C_{Hl}^{(1)}-C_{Hl}^{(3)})`, :math:`\delta g_{e_R} = -\tfrac{v^2}{2}C_{He}`,
    :math:`v^2 = 1/(\sqrt2G_F)`. Names ``phil1_pp``, ``phil3_pp``, ``phie_pp`` (real), only where non-zero
    somewhere in the batch.
    """
    from lqmodel.matching import _any_nonzero
    from observables.parameters import value

    v2 = 1 / (math.sqrt(2) * value("G_F"))
    d = _delta_g_entries(point, sp)
    per_p = []
    for p in range(3):
        zl, zn, zr = d["Z_eL"][p], d["Z_nu"][p], d["Z_eR"][p]
        cols = {}
        if zl is not None or zn is not None:
            pl = None if zl is None else -2 / v2 * zl
            mi = None if zn is None else -2 / v2 * zn
            if pl is None:
                assert mi is not None
                cols["phil1"], cols["phil3"] = 0.5 * mi, 0.5 * -mi
            elif mi is None:
                cols["phil1"], cols["phil3"] = 0.5 * pl, 0.5 * pl
            else:
                cols["phil1"], cols["phil3"] = 0.5 * (pl + mi), 0.5 * (pl - mi)
        if zr is not None:
            cols["phie"] = -2 / v2 * zr
        per_p.append(cols)
    out: dict[str, np.ndarray] = {}
    for cls in ("phil1", "phil3", "phie"):
        for p in range(3):
            a = per_p[p].get(cls)
            if a is not None and _any_nonzero(np.ascontiguousarray(a, dtype=float)):
                out[f"{cls}_{p + 1}{p + 1}"] = np.asarray(a, dtype=float).astype(complex)
    return out
