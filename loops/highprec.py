r"""The loop functions of :mod:`loops.numeric` in arbitrary precision (mpmath), scalar arguments.

Same definitions (:mod:`loops.integrands`), evaluated from the exact closed form with a working
precision raised by the number of digits the :math:`1/(x-1)^n` and :math:`F(M_1)-F(M_2)` cancellations
can cost, so the result is good to ``dps`` digits. Arguments may be floats, strings or ``mpf``; results
are ``mpmath.mpf``.

Also provides :func:`quad_loop_function`, direct ``mpmath.quad`` of the Feynman-parameter integrand
(independent of every closed form), used by the tests as the reference.

>>> import mpmath
>>> mpmath.nstr(loop_function("g", 1, dps=30), 5)
'0.5'
>>> mpmath.nstr(loop_function("g", "1e-10", dps=30) - quad_loop_function("g", "1e-10", dps=30), 3)
'0.0'
"""
from __future__ import annotations

from typing import Any

import mpmath

from .integrands import LOOP_FUNCTIONS, canonical_name

#: a real argument: float, int or mpmath.mpf (mpmath has no type information, so this is Any for mypy)
Real = Any

__all__ = ["loop_function", "quad_loop_function", "h", "F", "delta_F", "B0_zero_finite", "quad_B0_difference"]


def _extra_digits(*eps: Real) -> int:
    extra = 20
    for e in eps:
        if e != 0:
            extra += max(0, int(-4 * mpmath.log10(abs(e))) + 4)
    return extra


def loop_function(name: str, x: Real, dps: int = 50) -> mpmath.mpf:
    r""":math:`\int_0^1 P(u)\,du/(1-u+xu)` from its closed form at ``dps`` significant digits (:math:`x>0`)."""
    p = LOOP_FUNCTIONS[canonical_name(name)]
    with mpmath.workdps(dps + 10):
        x = mpmath.mpf(x)
        if x <= 0:
            raise ValueError("loop functions need x = m_F^2/m_phi^2 > 0")
        eps = x - 1
        if eps == 0:
            val = sum(mpmath.mpf(pk.numerator) / pk.denominator / (k + 1) for k, pk in enumerate(p))
            return +val
    with mpmath.workdps(dps + _extra_digits(eps)):
        x = mpmath.mpf(x)
        eps = x - 1
        inv = 1 / eps
        r = -inv
        log_term = mpmath.log(x) * inv
        total = mpmath.mpf(0)
        for k, pk in enumerate(p):
            if pk == 0:
                continue
            poly = mpmath.fsum(r ** (k - 1 - j) / (j + 1) for j in range(k))
            total += mpmath.mpf(pk.numerator) / pk.denominator * (inv * poly + r**k * log_term)
    with mpmath.workdps(dps):
        return +total


def quad_loop_function(name: str, x: Real, dps: int = 50) -> mpmath.mpf:
    """Direct ``mpmath.quad`` of the Feynman-parameter integrand (no closed form involved)."""
    p = LOOP_FUNCTIONS[canonical_name(name)]
    with mpmath.workdps(dps + 15):
        x = mpmath.mpf(x)
        coeffs = [mpmath.mpf(c.numerator) / c.denominator for c in p]

        def integrand(u: Real) -> Real:
            return mpmath.polyval(coeffs[::-1], u) / (1 - u + x * u)

        # the integrand varies on the scale u ~ 1 - x near u = 1 when x << 1: split there
        pts = [0, 1]
        if x < 1:
            pts = [0] + [1 - mpmath.mpf(10) ** (-k) for k in range(1, int(-mpmath.log10(x)) + 2)] + [1]
        val = mpmath.quad(integrand, pts)
    with mpmath.workdps(dps):
        return +val


def h(x: Real, dps: int = 50) -> mpmath.mpf:
    r""":math:`h(x)=x\ln x/(x-1)`, :math:`h(1)=1`."""
    with mpmath.workdps(dps + 10):
        x = mpmath.mpf(x)
        val = mpmath.mpf(1) if x == 1 else x * mpmath.log(x) / (x - 1)
    with mpmath.workdps(dps):
        return +val


def F(m: Real, M: Real, dps: int = 50) -> mpmath.mpf:
    r""":math:`F(M)=[M^2\ln M^2-m^2\ln m^2]/(M^2-m^2)` (docs/theory.md §b.2), GeV."""
    with mpmath.workdps(dps + 10):
        m, M = mpmath.mpf(m), mpmath.mpf(M)
        val = mpmath.log(M**2) + h((m / M) ** 2, dps + 10)
    with mpmath.workdps(dps):
        return +val


def delta_F(m: Real, M1: Real, M2: Real, dps: int = 50) -> mpmath.mpf:
    r""":math:`F(M_1)-F(M_2)` at ``dps`` digits (working precision raised by the splitting's digits)."""
    with mpmath.workdps(dps + 10):
        M1m, M2m = mpmath.mpf(M1), mpmath.mpf(M2)
        rel = (M1m - M2m) / M2m
    if rel == 0:
        return mpmath.mpf(0)
    work = dps + _extra_digits(rel)
    with mpmath.workdps(work):
        val = F(m, M1, work) - F(m, M2, work)
    with mpmath.workdps(dps):
        return +val


def B0_zero_finite(m1: Real, m2: Real, mu: Real, dps: int = 50) -> mpmath.mpf:
    r""":math:`B_0(0;m_1^2,m_2^2)-\Delta = 1 - F + \ln\mu^2` (see :mod:`loops.pv`)."""
    with mpmath.workdps(dps + 10):
        val = 1 - F(m1, m2, dps + 10) + mpmath.log(mpmath.mpf(mu) ** 2)
    with mpmath.workdps(dps):
        return +val


def quad_B0_difference(m: Real, M1: Real, M2: Real, dps: int = 50) -> mpmath.mpf:
    r""":math:`B_0(0;m^2,M_1^2)-B_0(0;m^2,M_2^2) = -\int_0^1 \ln\frac{u m^2+(1-u)M_1^2}{u m^2+(1-u)M_2^2}du`

    by ``mpmath.quad`` of the Feynman-parameter form (written with ``log1p`` so that it is accurate for
    tiny splittings), independent of the closed form of :math:`F`.
    """
    with mpmath.workdps(dps + 15):
        m, M1, M2 = (mpmath.mpf(v) for v in (m, M1, M2))
        d = (M1 - M2) * (M1 + M2)

        def integrand(u: Real) -> Real:
            return mpmath.log1p((1 - u) * d / (u * m**2 + (1 - u) * M2**2))

        val = -mpmath.quad(integrand, [0, 1])
    with mpmath.workdps(dps):
        return +val
