r"""One-loop integrals at zero external momenta (boxes and triangles of four-fermion matching), numpy.

Every zero-momentum one-loop integral with propagators :math:`1/(k^2-m_i^2)` reduces, after the tensor
average :math:`k^\mu k^\nu\to g^{\mu\nu}k^2/4` and the Wick rotation, to

.. math::

    I_n(a_1,\dots,a_K) = \int_0^\infty \frac{t^n\,dt}{\prod_{i=1}^K (t+a_i)},\qquad a_i = m_i^2 > 0,
    \quad 0\le n\le K-2,

with :math:`\int\frac{d^4k}{(2\pi)^4}\frac{(k^2)^p}{\prod_{i=1}^K(k^2-a_i)} = \frac{i\,(-1)^{p+K}}{16\pi^2}
I_{p+1}(a)` (Minkowski metric; :math:`d^4k = i\,d^4k_E`, :math:`\int d^4k_E/(2\pi)^4 = \int t\,dt/(16\pi^2)`).

Closed form (partial fractions): :math:`I_n(a) = (-1)^K\,g[a_1,\dots,a_K]`, the divided difference of
:math:`g(a) = (-a)^n\ln a` over the nodes :math:`a_i` (for K = 2, n = 0:
:math:`\ln(a_1/a_2)/(a_1-a_2)`). Coinciding nodes (e.g. two top propagators in one box) are the
confluent limit: the divided-difference table uses :math:`g^{(j)}(a)/j!` there (exact, not a small
splitting). Units: any common mass² unit (GeV² here); :math:`I_n` has dimension
:math:`[a]^{n+1-K}`.

SOURCE: elementary (partial fractions of a rational integrand); checked against mpmath quadrature in
``tests/test_bsll_oneloop.py``.

>>> import numpy as np
>>> bool(abs(float(euclid_integral(0, 1.0, 4.0)) - np.log(4.0) / 3.0) < 1e-14)
True
>>> float(euclid_integral(1, 2.0, 2.0, 2.0))   # int t dt/(t+2)^3 = 1/(2*2)
0.25
"""
from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["euclid_integral", "euclid_integral_fixed"]

_REL_EQ = 1e-5  # nodes closer than this (relative) are replaced by their cluster mean (error O(gap^2))


def _snap(A: np.ndarray) -> np.ndarray:
    """Sorted nodes (last axis): clusters of relative gaps < _REL_EQ -> the cluster mean.

    The divided difference is a smooth symmetric function of its nodes, so moving a cluster to its mean
    changes it only at second order in the gaps (<= 1e-10 relative), and avoids the 1/gap cancellation."""
    K = A.shape[-1]
    close = np.zeros(A.shape, dtype=bool)
    close[..., 1:] = (A[..., 1:] - A[..., :-1]) <= _REL_EQ * A[..., 1:]
    if not np.any(close):
        return A
    labels = np.cumsum(~close, axis=-1)
    out = A.copy()
    for lab in range(1, K + 1):
        m = labels == lab
        cnt = m.sum(axis=-1, keepdims=True)
        mean = np.where(cnt > 0, (A * m).sum(axis=-1, keepdims=True) / np.maximum(cnt, 1), 0.0)
        out = np.where(m, mean, out)
    return out


def _g_deriv(n: int, a: np.ndarray, j: int) -> np.ndarray:
    r""":math:`g^{(j)}(a)/j!` for :math:`g(a) = (-a)^n\ln a`, j = 0, 1, 2, 3."""
    s = (-1.0) ** n
    la = np.log(a)
    if j == 0:
        return s * a**n * la
    # d^j/da^j [a^n ln a] = n!/(n-j)! a^(n-j) ln a + c_j a^(n-j), c_j from the Leibniz rule
    fall = 1.0
    for r in range(j):
        fall *= (n - r)
    # c_j = sum_{m=1..j} C(j,m) [n!/(n-j+m)!... ] computed directly: derivative of a^n ln a
    # using d^m ln a = (-1)^(m-1) (m-1)! a^-m and d^(j-m) a^n = n!/(n-j+m)! a^(n-j+m)
    c = 0.0
    for m in range(1, j + 1):
        dpow = 1.0
        for r in range(j - m):
            dpow *= (n - r)
        c += math.comb(j, m) * dpow * (-1.0) ** (m - 1) * math.factorial(m - 1)
    return s * (fall * a ** (n - j) * la + c * a ** (n - j)) / math.factorial(j)


def euclid_integral(n: int, *a: ArrayLike) -> np.ndarray:
    r""":math:`I_n(a_1..a_K) = \int_0^\infty t^n dt/\prod(t+a_i)` (module docstring), broadcast over arrays.

    ``a`` are squared masses (> 0, finite); ``0 <= n <= K - 2`` (UV convergence). Up to four coinciding
    nodes are handled exactly (confluent divided differences); nodes closer than a relative 1e-5 are
    merged to their mean (second-order error, below 1e-10).
    """
    K = len(a)
    if not (isinstance(n, int) and 0 <= n <= K - 2):
        raise ValueError(f"euclid_integral needs an integer 0 <= n <= K-2 (convergence); got n={n}, K={K}")
    arrs = np.broadcast_arrays(*[np.asarray(x, dtype=float) for x in a])
    A = np.stack(arrs, axis=-1)
    if not np.all(np.isfinite(A) & (A > 0)):
        raise ValueError("euclid_integral needs finite squared masses > 0")
    A = _snap(np.sort(A, axis=-1))
    # divided-difference table, column j holds g[x_i..x_{i+j}]
    col = [_g_deriv(n, A[..., i], 0) for i in range(K)]
    for j in range(1, K):
        new = []
        for i in range(K - j):
            lo, hi = A[..., i], A[..., i + j]
            same = hi == lo
            with np.errstate(divide="ignore", invalid="ignore"):
                dd = (col[i + 1] - col[i]) / (hi - lo)
            if np.any(same):
                if j > 3:
                    raise ValueError("euclid_integral: more than four coinciding masses")
                dd = np.where(same, _g_deriv(n, lo, j), dd)
            new.append(dd)
        col = new
    out = (-1.0) ** K * col[0]
    return out[()] if np.ndim(out) == 0 else out


def euclid_integral_fixed(n: int, fixed: tuple[float, ...], x: ArrayLike, logx: ArrayLike | None = None) -> np.ndarray:
    r""":math:`I_n(c_1..c_m, x)` for fixed scalar nodes :math:`c` and one array node :math:`x` (fast path).

    Same integral as :func:`euclid_integral`; the divided differences of the fixed nodes are computed once,
    then :math:`g[c_1..c_k,x] = (g[c_1..c_{k-1},x] - g[c_1..c_k])/(x-c_k)` costs one logarithm and m
    divisions per element. Elements with x within a relative 1e-4 of a fixed node fall back to
    :func:`euclid_integral` (confluent limit). ``fixed`` may contain coinciding values. ``logx``: optional
    precomputed :math:`\ln x` (saves the logarithm when several integrals share x).
    """
    m = len(fixed)
    K = m + 1
    if not (isinstance(n, int) and 0 <= n <= K - 2):
        raise ValueError(f"euclid_integral needs an integer 0 <= n <= K-2 (convergence); got n={n}, K={K}")
    c = [float(v) for v in fixed]
    if not all(math.isfinite(v) and v > 0 for v in c):
        raise ValueError("euclid_integral needs finite squared masses > 0")
    x = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(x) & (x > 0)):
        raise ValueError("euclid_integral needs finite squared masses > 0")
    # G_k = g[c_1..c_k] = (-1)^k I... computed by the generic table on scalars (handles coinciding c)
    G = [float(_g_deriv(n, np.asarray(c[0]), 0))]
    for k in range(2, m + 1):
        G.append(float((-1.0) ** k * euclid_integral_any(n, *c[:k])))
    P = _g_deriv(n, x, 0) if logx is None else (-1.0) ** n * x**n * np.asarray(logx, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(1, m + 1):
            P = (P - G[k - 1]) / (x - c[k - 1])
    out = (-1.0) ** K * P
    near = np.zeros(x.shape, dtype=bool)
    for v in c:
        near |= np.abs(x - v) <= 1e-4 * x
    if np.any(near):
        out = np.array(out, dtype=float)
        out[near] = euclid_integral(n, *c, x[near])
    return out[()] if np.ndim(out) == 0 else out


def euclid_integral_any(n: int, *a: float) -> float:
    """(-1)^K g[a_1..a_K] for any n >= 0 (no convergence requirement): the divided difference itself."""
    A = _snap(np.sort(np.asarray(a, dtype=float)))
    K = len(A)
    col = [_g_deriv(n, A[i], 0) for i in range(K)]
    for j in range(1, K):
        new = []
        for i in range(K - j):
            lo, hi = A[i], A[i + j]
            new.append(_g_deriv(n, lo, j) if hi == lo else (col[i + 1] - col[i]) / (hi - lo))
        col = new
    return float((-1.0) ** K * col[0])
