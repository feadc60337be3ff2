r"""Symbolic derivation of the one-loop functions from their Feynman-parameter representation (sympy).

The integrands are those of :mod:`loops.integrands`; sympy integrates them over the Feynman parameter
:math:`u\in[0,1]` with :math:`x>0` (positive symbols), and the result is cached on disk
(:mod:`loops.cache`). Expansions: :func:`small_x_expansion` (:math:`x\to0`, with logarithms) and
:func:`expansion_at_one` (:math:`x = 1+\epsilon`).

>>> import sympy as sp
>>> x = sp.Symbol("x", positive=True)
>>> sp.simplify(loop_function("g", x) - (1/(x-1) - sp.log(x)/(x-1)**2))
0
"""
from __future__ import annotations

import sympy as sp

from .cache import cached_derivation
from .integrands import DESCRIPTIONS, LOOP_FUNCTIONS, canonical_name

__all__ = [
    "X",
    "U",
    "feynman_integrand",
    "loop_function",
    "small_x_expansion",
    "expansion_at_one",
    "DESCRIPTIONS",
]

#: the mass ratio x = m_F^2 / m_phi^2 (positive)
X = sp.Symbol("x", positive=True)
#: the Feynman parameter (fermion weight)
U = sp.Symbol("u", nonnegative=True)


def feynman_integrand(name: str, x: sp.Expr = X) -> sp.Expr:
    r"""The integrand :math:`P(u)/(1-u+xu)` of loop function ``name`` (integrate over u from 0 to 1)."""
    p = LOOP_FUNCTIONS[canonical_name(name)]
    poly = sum((sp.Rational(c.numerator, c.denominator) * U**k for k, c in enumerate(p)), sp.Integer(0))
    return poly / (1 - U + x * U)


def _derive(name: str) -> dict[str, sp.Expr]:
    closed = sp.integrate(feynman_integrand(name, X), (U, 0, 1))
    closed = sp.together(sp.expand(closed))
    closed = sp.factor_terms(sp.simplify(closed))
    return {"closed_form": closed}


def loop_function(name: str, x: sp.Expr | None = None) -> sp.Expr:
    r"""Closed form of :math:`\int_0^1 P(u)\,du/(1-u+xu)` derived by sympy (cached), at argument ``x``.

    The closed form has removable singularities at x = 1 (use :func:`expansion_at_one` there).
    """
    name = canonical_name(name)
    expr = cached_derivation("loop_function", (name,), lambda: _derive(name))["closed_form"]
    return expr if x is None else expr.subs(X, x)


def small_x_expansion(name: str, order: int = 2) -> sp.Expr:
    r"""Expansion for :math:`x\to0` up to (excluding) :math:`O(x^{order})`, logarithms kept exact.

    >>> small_x_expansion("g", 1)
    -log(x) - 1
    """
    expr = loop_function(name)
    return sp.expand(sp.series(expr, X, 0, order).removeO())


def expansion_at_one(name: str, order: int = 4) -> sp.Expr:
    r"""Taylor expansion in :math:`\epsilon = x-1` up to :math:`O(\epsilon^{order})`, from the integrand.

    Expanding :math:`1/(1+\epsilon u)` under the integral avoids the removable singularity.

    >>> expansion_at_one("g", 3)
    eps**2/4 - eps/3 + 1/2
    """
    eps = sp.Symbol("eps", real=True)
    integrand = feynman_integrand(name, 1 + eps)
    ser = sp.series(integrand, eps, 0, order).removeO()
    return sp.expand(sp.integrate(sp.expand(ser), (U, 0, 1)))
