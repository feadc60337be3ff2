r"""Passarino–Veltman scalar integrals with an explicit UV pole: A0, B0 (symbolic), C0 (numeric).

CONVENTIONS (as LoopTools / Denner, Fortsch. Phys. 41 (1993) 307, arXiv:0709.1075, Eqs. (4.1)–(4.4)):
:math:`\frac{i}{16\pi^2} B_0 = \mu^{4-D}\int\frac{d^Dk}{(2\pi)^D}\frac{1}{(k^2-m_1^2)((k+p)^2-m_2^2)}`,
dimensional regularisation, :math:`D=4-2\varepsilon`, :math:`\overline{\rm MS}`-like pole symbol
:math:`\Delta = 1/\varepsilon - \gamma_E + \ln 4\pi` (:data:`DELTA`), renormalisation scale :math:`\mu`
(:data:`MU`). Feynman-parameter forms:

.. math::

    A_0(m) = m^2\left(\Delta + 1 - \ln\frac{m^2}{\mu^2}\right), \qquad
    B_0(p^2;m_1^2,m_2^2) = \Delta - \int_0^1 du\,
    \ln\frac{u\,m_1^2 + (1-u)\,m_2^2 - u(1-u)\,p^2 - i0}{\mu^2},

    C_0(0,0,0;m_1^2,m_2^2,m_3^2) = -\int_0^1 dx\int_0^{1-x}dy\,
    \frac{1}{x\,m_1^2 + y\,m_2^2 + (1-x-y)\,m_3^2}.

At :math:`p^2=0` sympy integrates :math:`B_0` in closed form, which equals docs/theory.md §b.2:
:math:`B_0(0;m_b^2,m^2) = \Delta + 1 - F(m) + \ln\mu^2` with
:math:`F(m) = [m^2\ln m^2 - m_b^2\ln m_b^2]/(m^2-m_b^2)` (masses and :math:`\mu` in the same unit).
Units: GeV.
"""
from __future__ import annotations

import math
from typing import Any

import sympy as sp

from .cache import cached_derivation
from .symbolic import U as _U  # the Feynman parameter, shared with the loop-function integrals

__all__ = [
    "DELTA",
    "MU",
    "A0",
    "B0_feynman",
    "B0_zero",
    "F_closed",
    "B0_numeric",
    "C0_zero_momenta",
    "C0_zero_momenta_quad",
]

#: UV pole Delta = 1/eps - gamma_E + ln(4 pi)
DELTA = sp.Symbol("Delta", real=True)
#: renormalisation scale mu (GeV)
MU = sp.Symbol("mu", positive=True)


def A0(m: sp.Expr, mu: sp.Expr = MU) -> sp.Expr:
    r""":math:`A_0(m^2) = m^2(\Delta + 1 - \ln(m^2/\mu^2))`."""
    return m**2 * (DELTA + 1 - sp.log(m**2 / mu**2))


def B0_feynman(p2: sp.Expr, m1: sp.Expr, m2: sp.Expr, mu: sp.Expr = MU) -> sp.Expr:
    r"""Unevaluated Feynman-parameter representation of :math:`B_0(p^2;m_1^2,m_2^2)` (general p²)."""
    arg = (_U * m1**2 + (1 - _U) * m2**2 - _U * (1 - _U) * p2) / mu**2
    return DELTA - sp.Integral(sp.log(arg), (_U, 0, 1))


def _derive_b0(m1: sp.Expr, m2: sp.Expr, mu: sp.Expr) -> dict[str, sp.Expr]:
    integral = sp.integrate(sp.log((_U * m1**2 + (1 - _U) * m2**2) / mu**2), (_U, 0, 1))
    b0 = sp.expand(sp.expand_log(sp.expand(DELTA - integral), force=True))
    logs = [DELTA] + sorted(b0.atoms(sp.log), key=sp.default_sort_key)
    parts = sp.collect(b0, logs, evaluate=False)
    return {"B0": sp.Add(*(sp.factor(sp.cancel(c)) * k for k, c in parts.items()))}


def B0_zero(m1: sp.Expr, m2: sp.Expr, mu: sp.Expr = MU) -> sp.Expr:
    r""":math:`B_0(0;m_1^2,m_2^2)`, integrated over the Feynman parameter by sympy (cached).

    Symbols should be positive (masses) for sympy to integrate without case distinctions.
    """
    return cached_derivation("B0_zero", (sp.srepr(m1), sp.srepr(m2), sp.srepr(mu)), lambda: _derive_b0(m1, m2, mu))[
        "B0"
    ]


def F_closed(m_q: sp.Expr, m: sp.Expr) -> sp.Expr:
    r""":math:`F(m) = [m^2\ln m^2 - m_q^2\ln m_q^2]/(m^2-m_q^2)` of docs/theory.md §b.2 (logs of GeV²)."""
    return (m**2 * sp.log(m**2) - m_q**2 * sp.log(m_q**2)) / (m**2 - m_q**2)


def B0_numeric(p2: float, m1: float, m2: float, mu: float, dps: int = 30) -> complex:
    r"""Finite part :math:`B_0 - \Delta` at general real :math:`p^2` (GeV²), by ``mpmath.quad``.

    The :math:`-i0` prescription gives the imaginary part above threshold. Returns a Python complex.
    """
    import mpmath

    with mpmath.workdps(dps):
        p2m, a, b, mum = (mpmath.mpf(v) for v in (p2, m1, m2, mu))
        tiny = mpmath.mpf(10) ** (-dps + 5)

        def integrand(u: Any) -> Any:  # mpmath numbers (untyped)
            return mpmath.log((u * a**2 + (1 - u) * b**2 - u * (1 - u) * p2m - 1j * tiny) / mum**2)

        pts = [0, 1]
        disc = (p2m - a**2 + b**2) ** 2 - 4 * p2m * b**2 if p2m != 0 else -1
        if p2m != 0 and disc > 0:  # zeros of the argument inside (0,1): split there
            for sgn in (1, -1):
                r = ((p2m - a**2 + b**2) + sgn * mpmath.sqrt(disc)) / (2 * p2m)
                if 0 < r < 1:
                    pts.append(r)
        val = -mpmath.quad(integrand, sorted(pts))
        return complex(val)


def C0_zero_momenta(m1: float, m2: float, m3: float) -> float:
    r""":math:`C_0(0,0,0;m_1^2,m_2^2,m_3^2)` in GeV⁻² (closed form for distinct masses).

    :math:`C_0 = -\sum_i \frac{a_i\ln a_i}{\prod_{j\ne i}(a_i-a_j)}`, :math:`a_i=m_i^2`; equal masses
    :math:`-1/(2m^2)`; when two squared masses agree to 1e-3 relative the quadrature
    :func:`C0_zero_momenta_quad` is returned instead. Checked against it in the tests.

    >>> round(C0_zero_momenta(1.0, 1.0, 1.0), 12)
    -0.5
    """
    a = [m1 * m1, m2 * m2, m3 * m3]
    # (near-)equal masses: the closed form cancels; fall back to the quadrature
    if min(abs(a[i] - a[j]) / max(a[i], a[j]) for i, j in ((0, 1), (0, 2), (1, 2))) < 1e-3:
        return C0_zero_momenta_quad(m1, m2, m3)
    total = 0.0
    for i in range(3):
        j, k = [n for n in range(3) if n != i]
        total += a[i] * math.log(a[i]) / ((a[i] - a[j]) * (a[i] - a[k]))
    return -total


def C0_zero_momenta_quad(m1: float, m2: float, m3: float, dps: int = 20) -> float:
    """Direct two-dimensional ``mpmath.quad`` of the Feynman-parameter form of C0 at zero momenta."""
    import mpmath

    with mpmath.workdps(dps):
        a, b, c = (mpmath.mpf(v) ** 2 for v in (m1, m2, m3))
        val = -mpmath.quad(lambda x, y: 1 / (x * a + y * (1 - x) * b + (1 - x) * (1 - y) * c) * (1 - x), [0, 1], [0, 1])
        return float(val)
