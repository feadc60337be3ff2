r"""One-loop :math:`b\to q\ell\ell'` (q = s, d) and :math:`b\to q\gamma, qg` beyond the LQ–LQ box.

Called by :func:`lqmodel.matching.match`; adds to the WCxf WET *flavio* coefficients ``C9_bq{a}{b}``,
``C10_bq{a}{b}``, ``C9p_bq{a}{a}`` (photon penguin) and ``C7_bq``, ``C7p_bq``, ``C8_bq``, ``C8p_bq`` at the
matching scale :math:`\mu = m_{S_1}` (new physics only; derivation in ``docs/matching.md``, section
"One-loop b→sℓℓ and b→sγ"). Normalisation (flavio): :math:`\mathcal L = \mathcal N\sum_i C_iO_i`,
:math:`\mathcal N = \frac{4G_F}{\sqrt2}V_{tb}V_{tq}^*\frac{e^2}{16\pi^2}`, :math:`O_9 = (\bar q\gamma^\mu P_Lb)
(\bar\ell_b\gamma_\mu\ell_a)`, :math:`O_{10}` with :math:`\gamma_\mu\gamma_5`, ``C9_bq{a}{b}`` naming the
*unbarred* lepton first; :math:`O_7 = \frac{m_b}{e}(\bar q\sigma^{\mu\nu}P_Rb)F_{\mu\nu}` (i.e.
:math:`\mathcal N O_7 = \frac{4G_F}{\sqrt2}\lambda\frac{e\,m_b}{16\pi^2}\bar q\sigma P_R bF`), O8 with
:math:`g_sT^aG^a`. Units: GeV.

Short names (:mod:`lqmodel.matching`): :math:`A_{u\ell}\,\overline{u^C}P_L\ell S_1`,
:math:`B_{d\nu}\,\overline{d^C}P_L\nu S_1`, :math:`R_{u\ell}\,\overline{u^C}P_R\ell S_1`,
:math:`\bar N_{dN}\,\overline{d^C}P_RNS_1`, :math:`D_{d\ell}\,\bar dP_L\ell\tilde R_2^{2/3}`,
:math:`D^\nu_{d\nu}\,\bar dP_L\nu\tilde R_2^{-1/3}`. SU(2) fixes :math:`\sum_iV_{ij}A_{i\ell}=-B_{j\ell}`.

Gauge: :math:`R_\xi` with the SM charged-Goldstone couplings
:math:`\frac{g}{\sqrt2m_W}G^+\bar u_iV_{ij}(m_{u_i}P_L-m_{d_j}P_R)d_j` (down-quark and lepton masses
neglected inside the loops); ``xi=1`` (Feynman–'t Hooft) is the production value, other ``xi`` are the
gauge check (the sum is :math:`\xi`-independent, tested). :math:`g^2 = 4\sqrt2G_Fm_W^2`.

W/G–S1 boxes, :math:`\mathcal L\supset c^{L}_{ab}(\bar q\gamma^\mu P_Lb)(\bar\ell_b\gamma_\mu P_L\ell_a)
+ c^{R}_{ab}(\bar q\gamma^\mu P_Lb)(\bar\ell_b\gamma_\mu P_R\ell_a)`, with :math:`a_i = m_{u_i}^2`,
:math:`w = m_W^2`, :math:`M = m_{S_1}` and :math:`I_n` of :func:`loops.vacuum.euclid_integral`:

.. math::
    c^L_{ab} &= \frac{g^2}{16\pi^2}\Big[\sum_{ij}V_{ib}V^*_{jq}A_{ia}A^*_{jb}\Big(\frac14I_2(a_i,a_j,w,M^2)
      + \frac{a_ia_j}{4w}I_1(a_i,a_j,\xi w,M^2)\Big)
      + \frac14\sum_i\big(B_{ba}V^*_{iq}A^*_{ib} + V_{ib}A_{ia}B^*_{qb}\big)I_1(a_i,w,M^2)
      + \frac14B_{ba}B^*_{qb}\,I_0(w,M^2)\Big] + (\xi\text{-terms}),\\
    c^R_{ab} &= \frac{g^2}{32\pi^2}\sum_{ij}V_{ib}V^*_{jq}R_{ia}R^*_{jb}\,m_{u_i}m_{u_j}
      \Big(I_1(a_i,a_j,w,M^2) + \frac{1}{4w}I_2(a_i,a_j,\xi w,M^2)\Big) + (\xi\text{-terms}),

(topologies A: W/G between the two up quarks, B/C: W between a neutrino and an up quark, D: W between two
neutrinos), :math:`C_9 = (c^L+c^R)/(2\mathcal N)`, :math:`C_{10} = (c^R-c^L)/(2\mathcal N)`. For b-only
couplings in the down basis the leading term is the Goldstone box,
:math:`C_9=-C_{10}\to m_t^2|y_{b\ell}|^2/(16\pi\alpha M^2)` (gauge-less limit, tested).

Photon penguin (S1 with ν or N in the loop, photon on S1, :math:`Q_{S_1}=1/3`):
:math:`C_9^{aa} \mathrel{+}= \sum_\nu B^*_{q\nu}B_{b\nu}/(54M^2\mathcal N_0)`,
:math:`C_{9'}^{aa}\mathrel{+}=\sum_N\bar N^*_{qN}\bar N_{bN}/(54M^2\mathcal N_0)`,
:math:`\mathcal N_0 = \frac{4G_F}{\sqrt2}V_{tb}V_{tq}^*` (lepton-universal). The Z penguin vanishes at
:math:`q^2=0` for massless internal fermions (Ward identity), up to :math:`m_b^2/M^2`.

Dipoles (the generic scalar–fermion dipole of :mod:`loops.dipole`, external d quarks, :math:`N_c=1`,
the photon/gluon on the scalar only for neutral internal fermions): :math:`C_7 = -\frac{1}{2M^2\mathcal N_0}
\sum B^*_{q\nu}B_{b\nu}F_Q`, with :math:`F_Q = Q_Ff_F(x)-Q_\phi f_\phi(x)` (S1: :math:`Q_F=0`,
:math:`Q_\phi=-1/3`; gluon :math:`Q_\phi=1`), i.e. :math:`C_7 = -X/72`, :math:`C_8 = +X/24`,
:math:`X=\sum B^*_qB_b/(M^2\mathcal N_0)`; primed ones from :math:`\bar N`.

The :math:`\tilde R_2` one-loop pieces (photon penguins with ν, N and charged leptons, dipoles, Z penguin)
are in :mod:`lqmodel.oneloop_r2` (docs/matching.md §11); :func:`bsll_oneloop` returns both.

Not included: the W–R̃2 boxes and the other O(g²) electroweak corrections of the tree-level R̃2 b→qℓℓ
(gauge independent only together with the vertex and self-energy corrections of the tree exchange and
scheme-dependent through the renormalisation of ``yt_RL``; a relative O(g²/16π² · ln M²/m_W²) ≈ 1%
correction to a tree-level coefficient, docs/matching.md §11), lepton-mass
effects (m_ℓ/m_W) in the boxes, the A–R interference (it vanishes at zero external momenta), QCD
corrections. SOURCE: derived here (docs/matching.md); the checks are listed there.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["bsll_oneloop", "bsll_oneloop_values", "w_lq_box_coefficients", "box_functions", "box_constants"]

_LEP = ("e", "mu", "tau")
_DOWN = ("d", "s", "b")


@lru_cache(maxsize=1)
def box_constants() -> dict[str, Any]:
    """G_F, m_W, the up-quark masses used in the loops (m_u(2 GeV), m_c(m_c), m_t(m_t) MS-bar), CKM."""
    from observables.parameters import ckm_matrix, value

    GF, mW = value("G_F"), value("m_W")
    return {
        "GF": GF, "mW": mW, "g2": 4 * math.sqrt(2) * GF * mW**2,
        "m_up": np.array([value("m_u_MSbar_2GeV"), value("m_c_MSbar"), value("m_t_MSbar")]),
        "V": ckm_matrix(),
    }


def accumulate(values: dict[str, Any], want: Any, key: str, val: Any) -> None:
    """Add ``val`` to ``values[key]`` (None = identically zero) if ``want(key)``: how the one-loop pieces of
    :mod:`lqmodel.oneloop_bsll` and :mod:`lqmodel.oneloop_r2` add to the coefficients of ``match``."""
    if val is None or not want(key):
        return
    values[key] = val if values.get(key) is None else values[key] + val


def _dense(M, shape) -> np.ndarray:
    return np.broadcast_to(np.asarray(M, dtype=complex), shape + (3, 3))


def box_functions(M2, *, xi: float = 1.0, consts: dict | None = None) -> dict[str, np.ndarray]:
    r"""Loop functions of the W/G–S1 boxes [GeV⁻²], once per m_S1² (``M2``, shape ``B``), units of
    :math:`g^2/16\pi^2`: ``FA`` (*B, 3, 3) and ``FR`` (*B, 3, 3) over the up-quark pair (i, j), ``Fb`` (*B, 3),
    ``FD`` (*B) — the brackets of the module docstring, ξ-terms included for ``xi != 1``."""
    M2 = np.asarray(M2, dtype=float)
    default = consts is None or consts is box_constants()
    if default and M2.shape == (1,):  # one mass for the batch (a grid map's sub-batch): memoised
        return _box_functions_at(float(M2[0]), float(xi))
    if default and M2.size > 64:
        # runs of equal masses (grid order): evaluated once per run (one vectorised call: a map's sub-batches
        # hold new masses, so no per-mass memo here), repeated over the runs (no sort, no gather)
        from lqmodel.matching import _equal_runs

        flat = M2.reshape(-1)
        runs = _equal_runs(flat)
        if runs is not None:
            starts, counts = runs
            f = _box_functions_eval(flat[starts], xi, box_constants())
            return {key: np.repeat(v, counts, axis=0).reshape(M2.shape + v.shape[1:]) for key, v in f.items()}
    if M2.ndim > 0 and M2.size > 64:
        uM, inv = np.unique(M2, return_inverse=True)
        if uM.size <= M2.size // 2:  # coupling maps at a few masses: evaluate once per distinct mass
            f = box_functions(uM, xi=xi, consts=consts)
            inv = inv.reshape(M2.shape)
            return {key: v[inv] for key, v in f.items()}
    return _box_functions_eval(M2, xi, box_constants() if consts is None else consts)


@lru_cache(maxsize=256)
def _box_functions_at(M2: float, xi: float) -> dict[str, np.ndarray]:
    """:func:`box_functions` at one m_S1² (shape ``(1,)``) with the default constants, kept per mass (read-only
    arrays; a map evaluates the same few masses in every sub-batch)."""
    f = _box_functions_eval(np.full(1, M2), xi, box_constants())
    for v in f.values():
        v.setflags(write=False)
    return f


def _box_functions_eval(M2: np.ndarray, xi: float, k: dict) -> dict[str, np.ndarray]:
    """The loop functions of :func:`box_functions` at every entry of ``M2`` (constants ``k``)."""
    from loops.vacuum import euclid_integral_fixed as I_

    w = k["mW"] ** 2
    mu = k["m_up"]
    au = [float(v) for v in mu**2]
    lx = np.log(M2)

    def In(n, fixed, x):  # I_n of the module docstring at the shared logarithm of m_S1^2
        return I_(n, fixed, x, lx)

    FA = np.empty(M2.shape + (3, 3))
    FR = np.empty(M2.shape + (3, 3))
    for i in range(3):
        for j in range(i, 3):
            ai, aj = au[i], au[j]
            fa = 0.25 * In(2, (ai, aj, w), M2) + ai * aj / (4 * w) * In(1, (ai, aj, xi * w), M2)
            fr = mu[i] * mu[j] * 0.5 * (In(1, (ai, aj, w), M2) + In(2, (ai, aj, xi * w), M2) / (4 * w))
            if xi != 1.0:
                fa = fa - 0.25 * (1 - xi) * In(3, (ai, aj, w, xi * w), M2)
                fr = fr - 0.125 * (1 - xi) * mu[i] * mu[j] * In(2, (ai, aj, w, xi * w), M2)
            FA[..., i, j] = FA[..., j, i] = fa
            FR[..., i, j] = FR[..., j, i] = fr
    Fb = np.stack([0.25 * In(1, (a, w), M2) for a in au], axis=-1)  # topologies B, C
    FD = 0.25 * In(0, (w,), M2)
    if xi != 1.0:
        Fb = Fb - 0.25 * (1 - xi) * np.stack([In(2, (a, w, xi * w), M2) for a in au], axis=-1)
        FD = FD - 0.25 * (1 - xi) * In(1, (w, xi * w), M2)
    return {"FA": FA, "FR": FR, "Fb": Fb, "FD": FD}


def w_lq_box_coefficients(A, B, R, M2, q: int, *, xi: float = 1.0, consts: dict | None = None,
                          functions: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""The W/G–S1 box coefficients :math:`(c^L_{ab}, c^R_{ab})` [GeV⁻²] of the module docstring.

    ``A, B, R``: mass-basis S1 couplings, shape ``(*B, 3, 3)`` (quark, lepton); ``M2`` = m_S1² [GeV²],
    shape ``B``; ``q`` = 1 (b→s) or 0 (b→d); ``xi`` the R_ξ gauge parameter; ``functions``: a
    :func:`box_functions` result to reuse. Returns complex arrays of shape ``(*B, 3, 3)`` indexed
    ``[a, b]`` = (unbarred, barred) lepton.
    """
    k = box_constants() if consts is None else consts
    V, g2 = k["V"], k["g2"]
    M2 = np.asarray(M2, dtype=float)
    shape = M2.shape
    f = box_functions(M2, xi=xi, consts=k) if functions is None else functions
    A, B, R = (_dense(X, shape) for X in (A, B, R))
    pre = g2 / (16 * math.pi**2)
    X = V[:, 2][:, None] * A  # (i, a): V_ib A_ia
    Y = np.conj(V[:, q])[:, None] * np.conj(A)  # (j, b): V*_jq A*_jb
    cL = np.swapaxes(X, -1, -2) @ f["FA"] @ Y
    Bb, Bq = B[..., 2, :], np.conj(B[..., q, :])  # (a), (b)
    FbY = np.einsum("...i,...ib->...b", f["Fb"], Y)
    FbX = np.einsum("...i,...ia->...a", f["Fb"], X)
    cL = cL + Bb[..., :, None] * FbY[..., None, :] + FbX[..., :, None] * Bq[..., None, :]
    cL = cL + f["FD"][..., None, None] * Bb[..., :, None] * Bq[..., None, :]
    cR = None
    if np.any(R != 0):
        XR = V[:, 2][:, None] * R
        YR = np.conj(V[:, q])[:, None] * np.conj(R)
        cR = np.swapaxes(XR, -1, -2) @ f["FR"] @ YR
    else:
        cR = np.zeros(shape + (3, 3), dtype=complex)
    return pre * cL, pre * cR


def _n0(c, q: int) -> complex:
    V = c["V"]
    return 4 * c["GF"] / math.sqrt(2) * V[2, 2] * np.conj(V[2, q])


def _box_pair(Xc, Yc, Bb, Bq, F, a: int, b: int):
    """c_ab of one (unbarred a, barred b) lepton pair (units g²/16π²); ``Xc[a]`` = V_ib A_ia and
    ``Yc[b]`` = V*_jq A*_jb as (*B, 3) arrays (None = zero); explicit 3x3 sums, no batched complex matmul."""
    out = 0.0
    Xa, Yb = Xc.get(a), Yc.get(b)
    if Xa is not None and Yb is not None:
        FA = F["FA"]
        for i in range(3):
            out = out + Xa[..., i] * (FA[..., i, 0] * Yb[..., 0] + FA[..., i, 1] * Yb[..., 1]
                                      + FA[..., i, 2] * Yb[..., 2])
    if "Fb" in F:
        Fb = F["Fb"]
        # the sums over the up quark i written out, left to right (the numbers of np.sum(Fb * Y, axis=-1))
        if Bb is not None and Yb is not None:
            out = out + Bb[..., a] * (Fb[..., 0] * Yb[..., 0] + Fb[..., 1] * Yb[..., 1] + Fb[..., 2] * Yb[..., 2])
        if Bq is not None and Xa is not None:
            out = out + (Fb[..., 0] * Xa[..., 0] + Fb[..., 1] * Xa[..., 1] + Fb[..., 2] * Xa[..., 2]) * Bq[..., b]
        if Bb is not None and Bq is not None:
            out = out + F["FD"] * Bb[..., a] * Bq[..., b]
    return out


def bsll_oneloop_values(mb, mS2, m232, m132, c, values, want, *, xi: float = 1.0) -> None:
    r"""Add the one-loop pieces of the module docstring to ``values`` (in place).

    ``mb``: the dict of sparse mass-basis couplings of :func:`lqmodel.matching.match`; ``mS2, m232, m132``:
    m_S1², m_{R2^{2/3}}², m_{R2^{-1/3}}² [GeV²]; ``c``: :func:`lqmodel.matching._constants`. Only lepton
    columns with a non-zero coupling somewhere in the batch are evaluated.
    """
    from lqmodel.matching import _nc_prefactor, _rowsum

    k = box_constants()
    V, pre = k["V"], k["g2"] / (16 * math.pi**2)
    Am, Bm, Rm = (np.asarray(mb[n].M) for n in ("A", "B", "R"))
    nzA, nzB, nzR = (np.asarray(mb[n].nz, dtype=bool) for n in ("A", "B", "R"))  # (3, 3) over the batch
    actL = [int(i) for i in np.flatnonzero(nzA.any(axis=0) | nzB.any(axis=0))]
    actR = [int(i) for i in np.flatnonzero(nzR.any(axis=0))]
    aL = [int(i) for i in np.flatnonzero(nzA.any(axis=0))]
    Acol = {a: np.ascontiguousarray(Am[..., :, a]) for a in aL}
    Rcol = {a: np.ascontiguousarray(Rm[..., :, a]) for a in actR}
    fun = X = XR = None
    conjA: dict[int, Any] = {}
    conjR: dict[int, Any] = {}

    def add(key, val):
        accumulate(values, want, key, val)

    for q in (1, 0):
        tq = f"b{_DOWN[q]}"
        Nq = _nc_prefactor(c, q, 2)
        n0 = _n0(k, q)
        pairs = sorted({(a, b) for a in actL + actR for b in actL + actR})
        if pairs and any(want(f"C{t}_{tq}{_LEP[a]}{_LEP[b]}") for t in ("9", "10") for a, b in pairs):
            if fun is None:
                fun = box_functions(mS2, xi=xi, consts=k)
            if X is None:
                X = {a: V[:, 2] * Acol[a] for a in aL}
                XR = {a: V[:, 2] * Rcol[a] for a in actR}
            if not (conjA or conjR):  # conj(V_jq A_jb) = conj(V_jq) conj(A_jb) exactly (rounding is sign-symmetric)
                conjA.update({b: np.conj(Acol[b]) for b in aL})
                conjR.update({b: np.conj(Rcol[b]) for b in actR})
            Vq = np.conj(V[:, q])
            Y = {b: Vq * conjA[b] for b in aL}
            Bb = Bm[..., 2, :] if nzB[2].any() else None
            Bq = np.conj(Bm[..., q, :]) if nzB[q].any() else None
            YR = {b: Vq * conjR[b] for b in actR}
            FR = {"FA": fun["FR"]}
            for a, b in pairs:
                cL = pre * _box_pair(X, Y, Bb, Bq, fun, a, b) if (a in actL and b in actL) else 0.0
                cR = pre * _box_pair(XR, YR, None, None, FR, a, b) if (a in actR and b in actR) else 0.0
                if np.all(np.asarray(cL) == 0) and np.all(np.asarray(cR) == 0):
                    continue
                add(f"C9_{tq}{_LEP[a]}{_LEP[b]}", (cL + cR) / (2 * Nq))
                add(f"C10_{tq}{_LEP[a]}{_LEP[b]}", (cR - cL) / (2 * Nq))
        BB = _rowsum(mb["B"], 2, mb["B"], q)     # sum_nu B_{b nu} B*_{q nu}
        NN = _rowsum(mb["Nb"], 2, mb["Nb"], q)
        XS = None if BB is None else BB / (mS2 * n0)
        XN = None if NN is None else NN / (mS2 * n0)
        sc = lambda x, f: None if x is None else f * x  # noqa: E731
        # photon penguin (photon on S1), lepton universal
        for l in _LEP:
            add(f"C9_{tq}{l}{l}", sc(XS, 1 / 54))
            add(f"C9p_{tq}{l}{l}", sc(XN, 1 / 54))
        # dipoles (the R2~ penguins and dipoles are in lqmodel.oneloop_r2)
        terms = {
            f"C7_{tq}": [sc(XS, -1 / 72)],
            f"C8_{tq}": [sc(XS, 1 / 24)],
            f"C7p_{tq}": [sc(XN, -1 / 72)],
            f"C8p_{tq}": [sc(XN, 1 / 24)],
        }
        for key, parts in terms.items():
            present = [x for x in parts if x is not None]
            if present:
                add(key, sum(present[1:], present[0]))


def bsll_oneloop(point, *, xi: float = 1.0) -> dict[str, np.ndarray]:
    """The one-loop contributions of this module and of :mod:`lqmodel.oneloop_r2` for ``point`` (WCxf
    name -> array of shape ``B``).

    What :func:`lqmodel.matching.match` adds on top of the tree level and the LQ–LQ boxes; for tests and
    for separating the pieces.
    """
    from lqmodel.matching import _constants, _matching_inputs

    c = _constants()
    shape = point.batch_shape
    sp, mS2, m132, m232 = _matching_inputs(point)
    values: dict[str, Any] = {}
    bsll_oneloop_values(sp, mS2, m232, m132, c, values, lambda name: True, xi=xi)
    from lqmodel.oneloop_r2 import r2_oneloop_values

    r2_oneloop_values(sp, m232, m132, values, lambda name: True)
    return {k: np.broadcast_to(np.asarray(v, dtype=complex), shape) for k, v in values.items()}
