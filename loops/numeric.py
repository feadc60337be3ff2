r"""Vectorised, numerically stable numpy evaluation of the one-loop functions (double precision).

All functions broadcast over numpy arrays. Conventions and sources of the integrands are in
:mod:`loops.integrands`; the Passarino–Veltman conventions in :mod:`loops.pv`.

Stability strategy (each proved against mpmath at 50 digits in ``tests/test_loops_numeric.py``):

* dipole functions :math:`I_P(x)=\int_0^1 P(u)\,du/(1+\epsilon u)`, :math:`\epsilon=x-1`: exact
  closed form (polynomial division, :math:`\ln x` of the exact input) for :math:`|\epsilon|\ge 1/2`, and the convergent
  Taylor series in :math:`\epsilon` (64 exact rational coefficients) for :math:`|\epsilon|<1/2`, which
  removes the :math:`1/(x-1)^n` cancellations near :math:`x=1`. Valid for :math:`x>0`; relative
  accuracy better than 1e-13 for :math:`10^{-12}\le x\le 10^{6}` (the :math:`\ln x` terms of the
  non-enhanced functions cancel against each other, costing :math:`\sim|\ln x|` ulps, for smaller x).
* :math:`F(M) = [M^2\ln M^2 - m^2\ln m^2]/(M^2-m^2) = \ln M^2 + h(m^2/M^2)`,
  :math:`h(x) = x\ln x/(x-1)` evaluated as :math:`x\,\mathrm{log1p}(\epsilon)/\epsilon` near
  :math:`x=1` and directly elsewhere (:func:`h`), finite for every finite mass.
* differences :math:`F(M_1)-F(M_2)` (the finite :math:`B_0` difference of docs/theory.md §b.2):
  :math:`2\,\mathrm{log1p}((M_1-M_2)/M_2) + [h(x_1)-h(x_2)]`, the bracket (for :math:`x\le1/2`) by an
  exact cancellation-free rearrangement (:func:`delta_h`), else as the divided difference
  :math:`\Delta x\int_0^1 g(x_2+s\Delta x)\,ds` (since :math:`h'=g`) by 10-point Gauss–Legendre when the
  relative splitting is below 1/2 (error below :math:`9.9^{-20}`: the nearest singularity of g, x = 0, is
  5 half-widths away), with :math:`\Delta x = m^2(M_2-M_1)(M_2+M_1)/(M_1^2M_2^2)` formed
  without cancellation. Exactly degenerate masses give exactly 0.

Units: masses in GeV (any common unit works: only ratios and :math:`\ln(M^2/\mu^2)` enter).
:func:`h`, :func:`F`, :func:`delta_F` and :func:`delta_h` are finite and accurate for all positive finite
masses up to the largest double (masses are rescaled by a power of two before squaring);
:func:`delta_F_sq` / :func:`delta_h_sq` take squared masses, which the caller must form without overflow
(masses below :math:`1.3\times10^{154}` GeV).

>>> import numpy as np
>>> float(loop_function("g", 1.0))
0.5
>>> bool(np.isclose(g(1e-10), np.log(1e10) - 1, rtol=1e-8))
True
>>> float(delta_F(4.18, 1000.0, 1000.0))
0.0
"""
from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import ArrayLike

from .integrands import LOOP_FUNCTIONS, canonical_name, series_coefficients

__all__ = [
    "loop_function",
    "g",
    "g_F",
    "g_phi",
    "g_S",
    "f_F",
    "f_phi",
    "f_S",
    "h",
    "F",
    "delta_F",
    "delta_h",
    "delta_F_sq",
    "delta_h_sq",
    "B0_zero_finite",
    "B0_zero_difference",
    "SERIES_RADIUS",
]

#: |x - 1| below which the Taylor series is used
SERIES_RADIUS = 0.5
_N_SERIES = 64  # 0.5**64 ~ 5e-20
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(10)
_GL_S = 0.5 * (_GL_NODES + 1.0)
_GL_W = 0.5 * _GL_WEIGHTS


@cache
def _series(name: str) -> np.ndarray:
    return np.array([float(c) for c in series_coefficients(name, _N_SERIES)])


@cache
def _poly(name: str) -> tuple[float, ...]:
    return tuple(float(c) for c in LOOP_FUNCTIONS[name])


def _closed_form(p: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    # int_0^1 u^k/(1+eps u) du = (1/eps) sum_{j<k} (-1/eps)^(k-1-j)/(j+1) + (-1/eps)^k ln(x)/eps
    # (ln x, not log1p(x - 1): x - 1 loses the digits of a small x)
    eps = x - 1.0
    inv = 1.0 / eps
    r = -inv
    log_term = np.log(x) * inv
    out = np.zeros_like(eps)
    for k, pk in enumerate(p):
        if pk == 0.0:
            continue
        poly = np.zeros_like(eps)
        for j in range(k):
            poly = poly + r ** (k - 1 - j) / (j + 1)
        out = out + pk * (inv * poly + r**k * log_term)
    return out


def loop_function(name: str, x: ArrayLike) -> np.ndarray:
    r"""Evaluate the dipole loop function ``name`` (see :mod:`loops.integrands`) at :math:`x>0`.

    :math:`x = m_F^2/m_\phi^2` (dimensionless). Raises ``ValueError`` for :math:`x\le 0` or non-finite x.
    """
    name = canonical_name(name)
    x = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise ValueError("loop functions need finite x = m_F^2/m_phi^2 > 0")
    eps = x - 1.0
    near = np.abs(eps) < SERIES_RADIUS
    out = np.empty_like(eps)
    if np.any(near):
        out[near] = np.polynomial.polynomial.polyval(eps[near], _series(name))
    far = ~near
    if np.any(far):
        out[far] = _closed_form(_poly(name), x[far])
    return out[()] if out.ndim == 0 else out


def g(x: ArrayLike) -> np.ndarray:
    r""":math:`g(x) = [x-1-\ln x]/(x-1)^2` (docs/theory.md §b.1; :math:`g_S` of arXiv:1603.04993)."""
    return loop_function("g", x)


def g_S(x: ArrayLike) -> np.ndarray:
    r"""Alias of :func:`g` in the notation of arXiv:1603.04993 (docs/theory.md §c.5)."""
    return loop_function("g", x)


def g_F(x: ArrayLike) -> np.ndarray:
    r""":math:`g_F(x) = (x-3)/(2(x-1)^2) + \ln x/(x-1)^3` (photon on the fermion; arXiv:1603.04993)."""
    return loop_function("g_F", x)


def g_phi(x: ArrayLike) -> np.ndarray:
    r""":math:`g_\phi(x) = \int_0^1 u(1-u)du/(1-u+xu) = g - g_F` (photon on the scalar; docs/theory.md §b.1)."""
    return loop_function("g_phi", x)


def f_F(x: ArrayLike) -> np.ndarray:
    r""":math:`f_F(x) = (x^2-5x-2)/(12(x-1)^3) + x\ln x/(2(x-1)^4)` (arXiv:1603.04993)."""
    return loop_function("f_F", x)


def f_phi(x: ArrayLike) -> np.ndarray:
    r""":math:`f_\phi = f_S - f_F`: non-enhanced, photon on the scalar only."""
    return loop_function("f_phi", x)


def f_S(x: ArrayLike) -> np.ndarray:
    r""":math:`f_S(x) = (x+1)/(4(1-x)^2) + x\ln x/(2(1-x)^3)` (arXiv:1603.04993)."""
    return loop_function("f_S", x)


def h(x: ArrayLike) -> np.ndarray:
    r""":math:`h(x) = x\ln x/(x-1)` (:math:`h(1)=1`, :math:`h(0)=0`), so that :math:`F(M)=\ln M^2 + h(m^2/M^2)`;
    :math:`h'=g`.

    Defined for :math:`x \ge 0` (NaN for negative x). Branches: :math:`x\,\mathrm{log1p}(\epsilon)/\epsilon`
    for :math:`|\epsilon|<1/2` (:math:`\epsilon = x-1` exact there); :math:`x\ln x/(x-1)` for
    :math:`x\le 1/2` (no cancellation; ``log1p(x - 1)`` would round :math:`x-1` to :math:`-1` for
    :math:`x < 1.1\times10^{-16}`, i.e. :math:`m_{LQ} > 4\times10^{8}` GeV for the b quark, and give
    :math:`\infty`); :math:`\ln x/(1-1/x)` for :math:`x\ge 3/2` (no overflow). Relative accuracy a few
    ulps for every finite :math:`x\ge0` (``tests/test_hardening_caches.py``, mpmath at 50 digits).
    """
    x = np.asarray(x, dtype=float)
    eps = x - 1.0
    near = np.abs(eps) < SERIES_RADIUS
    with np.errstate(divide="ignore", invalid="ignore"):
        safe_eps = np.where(near & (eps != 0.0), eps, 1.0)
        out_near = np.where(eps == 0.0, 1.0, x * np.log1p(eps) / safe_eps)
        small = np.where(x > 0.0, x, 1.0)
        out_small = np.where(x == 0.0, 0.0, small * np.log(small) / (small - 1.0))
        large = np.where(x > 1.0, x, 2.0)
        out_large = np.log(large) / (1.0 - 1.0 / large)
        out = np.where(near, out_near, np.where(x < 1.0, out_small, out_large))
        out = np.where(np.isnan(x) | (x < 0.0), np.nan, out)
    return out[()] if out.ndim == 0 else out


def F(m: ArrayLike, M: ArrayLike) -> np.ndarray:
    r""":math:`F(M) = [M^2\ln M^2 - m^2\ln m^2]/(M^2-m^2)` (docs/theory.md §b.2), masses in GeV, logs of GeV².

    Continuous at :math:`M=m` (value :math:`\ln m^2 + 1`).
    """
    m = np.asarray(m, dtype=float)
    M = np.asarray(M, dtype=float)
    return 2.0 * np.log(M) + h((m / M) ** 2)  # 2 ln M, not ln(M*M), which overflows above 1.3e154 GeV


def delta_h_sq(m: ArrayLike, A1: ArrayLike, A2: ArrayLike, dA: ArrayLike) -> np.ndarray:
    r""":math:`h(m^2/A_1) - h(m^2/A_2)` from squared masses :math:`A_i` and their exact difference :math:`dA=A_1-A_2`.

    Both :math:`x_i\le 1/2`: exact rearrangement
    :math:`[x_1 L (x_2-1) - \Delta x\ln x_2]/((x_1-1)(x_2-1))`, :math:`L=\mathrm{log1p}(\Delta x/x_2)`,
    :math:`\Delta x = -m^2\,dA/(A_1A_2)` (no cancellation, since :math:`x-1-\ln x\ge0.19` there);
    otherwise, for a relative splitting below 1/2, the divided difference
    :math:`\Delta x\int_0^1 g(x_2+s\Delta x)ds` by Gauss–Legendre; else the plain difference.
    ``dA == 0`` gives exactly 0.
    """
    m, A1, A2, dA = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (m, A1, A2, dA)))
    x1 = m * m / A1
    x2 = m * m / A2
    dx = -x1 * (dA / A2)  # = -m^2 dA/(A1 A2), without the overflow of A1*A2
    out = np.zeros(np.shape(dx))
    same = dx == 0.0
    small = (np.maximum(x1, x2) <= 0.5) & ~same
    close = (np.abs(dx) <= 0.5 * np.maximum(x1, x2)) & ~same & ~small
    far = ~(same | small | close)
    if np.any(small):
        a, b, d = x1[small], x2[small], dx[small]
        out[small] = (a * np.log1p(d / b) * (b - 1.0) - d * np.log(b)) / ((a - 1.0) * (b - 1.0))
    if np.any(close):
        xc, dc = x2[close], dx[close]
        nodes = xc[..., None] + _GL_S * dc[..., None]
        out[close] = dc * (loop_function("g", nodes) @ _GL_W)
    if np.any(far):
        out[far] = h(x1[far]) - h(x2[far])
    return out[()] if out.ndim == 0 else out


def delta_F_sq(m: ArrayLike, A1: ArrayLike, A2: ArrayLike, dA: ArrayLike) -> np.ndarray:
    r""":math:`F(\sqrt{A_1}) - F(\sqrt{A_2})` from squared masses (GeV²) and their exact difference ``dA = A1 - A2``.

    :math:`= \mathrm{log1p}(dA/A_2) + [h(m^2/A_1) - h(m^2/A_2)]`; use when :math:`A_1-A_2` is known more
    accurately than the rounded :math:`A_i` (e.g. :math:`2r` for the eigenvalues of a mixing matrix).
    """
    A1 = np.asarray(A1, dtype=float)
    A2 = np.asarray(A2, dtype=float)
    dA = np.asarray(dA, dtype=float)
    rel = dA / A2
    # log1p for small splittings; the plain log of the ratio when A1 << A2 (1 + rel would cancel)
    log_ratio = np.where(np.abs(rel) < 0.5, np.log1p(rel), np.log(A1 / A2))
    return log_ratio + delta_h_sq(m, A1, A2, dA)


def delta_h(m: ArrayLike, M1: ArrayLike, M2: ArrayLike) -> np.ndarray:
    r""":math:`h(m^2/M_1^2) - h(m^2/M_2^2)` without cancellation (see :func:`delta_h_sq`)."""
    m, M1, M2 = _rescaled(m, M1, M2)
    return delta_h_sq(m, M1 * M1, M2 * M2, (M1 - M2) * (M1 + M2))


def _rescaled(m: ArrayLike, M1: ArrayLike, M2: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(m, M1, M2) divided by the power of two nearest above max(M1, M2): exact (only the exponent changes,
    unless m underflows, where its h terms are below 1e-600 anyway), so the squares cannot overflow; the
    functions of this module depend on mass ratios only."""
    m, M1, M2 = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (m, M1, M2)))
    big = np.maximum(M1, M2)
    _, e = np.frexp(np.where(np.isfinite(big) & (big > 0), big, 1.0))
    return np.ldexp(m, -e), np.ldexp(M1, -e), np.ldexp(M2, -e)


def delta_F(m: ArrayLike, M1: ArrayLike, M2: ArrayLike) -> np.ndarray:
    r""":math:`F(M_1) - F(M_2)` for internal fermion mass ``m`` (GeV), accurate for any splitting.

    Equals :math:`B_0(0;m^2,M_2^2) - B_0(0;m^2,M_1^2)` (UV pole and :math:`\ln\mu` cancel).
    For :math:`M\gg m`: :math:`\approx \ln(M_1^2/M_2^2)`. The splitting enters as
    :math:`(M_1-M_2)(M_1+M_2)`, exact for floats that differ in the last bits.
    """
    m, M1, M2 = _rescaled(m, M1, M2)
    return delta_F_sq(m, M1 * M1, M2 * M2, (M1 - M2) * (M1 + M2))


def B0_zero_finite(m1: ArrayLike, m2: ArrayLike, mu: ArrayLike) -> np.ndarray:
    r"""Finite part :math:`B_0(0;m_1^2,m_2^2) - \Delta = 1 - F + \ln\mu^2` (see :mod:`loops.pv`)."""
    mu = np.asarray(mu, dtype=float)
    return 1.0 - F(m1, m2) + np.log(mu * mu)


def B0_zero_difference(m: ArrayLike, M1: ArrayLike, M2: ArrayLike) -> np.ndarray:
    r""":math:`B_0(0;m^2,M_1^2) - B_0(0;m^2,M_2^2) = F(M_2) - F(M_1)` (scheme- and scale-independent)."""
    return -delta_F(m, M1, M2)
