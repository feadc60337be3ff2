r"""Feynman-parameter integrands of the scalar–fermion one-loop dipole (the single source of truth).

Every dipole loop function of this package is a one-dimensional Feynman-parameter integral

.. math::

    I_P(x) = \int_0^1 \frac{P(u)\,du}{1 - u + x\,u}, \qquad x = \frac{m_F^2}{m_\phi^2},

where :math:`u` is the total Feynman weight of the fermion propagator(s), :math:`1-u` that of the
scalar propagator(s), :math:`P` a polynomial with rational coefficients, and the denominator is
:math:`\Delta/m_\phi^2` with :math:`\Delta = u\,m_F^2 + (1-u)\,m_\phi^2` (external momenta and masses
neglected inside the loop, i.e. leading order in :math:`m_{\rm ext}^2/m_\phi^2`).

SOURCE of the numerators: the general scalar-exchange one-loop formulas of J.P. Leveille, Nucl. Phys.
B137 (1978) 63, in the form of Jegerlehner & Nyffeler, Phys. Rept. 477 (2009) 1 (arXiv:0902.3360),
Sec. 7 (neutral scalar: photon on the fermion, numerator :math:`x^2 - x^3 \pm (m_F/m)x^2`; charged
scalar: photon on the scalar, numerator :math:`x^3 - x^2 \pm (m_F/m)(x^2-x)`), rewritten with the
fermion weight :math:`u` and the heavy-mass denominator. Their sum reproduces docs/theory.md §b.1
(:math:`g = g_F + g_\phi`, checked there by quadrature) and the closed forms of Doršner et al.
arXiv:1603.04993 (:math:`g_S, g_F, f_S, f_F`, docs/theory.md §c.5); ``tests/test_loops_symbolic.py`` checks
the closed forms derived here against those published expressions.

Names (docs/theory.md §b.1, §c.5 notation):

=========  ===================  ==============================================================
name       :math:`P(u)`          meaning
=========  ===================  ==============================================================
``g_F``    :math:`u^2`           chirally enhanced, photon on the fermion
``g_phi``  :math:`u(1-u)`        chirally enhanced, photon on the scalar
``g``      :math:`u`             ``g_F + g_phi`` (= :math:`g_S` of 1603.04993; :math:`g(x)` of §b.1)
``f_F``    :math:`u^2(1-u)/2`    non-enhanced, photon on the fermion
``f_phi``  :math:`u(1-u)^2/2`    non-enhanced, photon on the scalar
``f_S``    :math:`u(1-u)/2`      ``f_F + f_phi`` (= :math:`f_S` of 1603.04993)
=========  ===================  ==============================================================

This module is pure Python (no numpy/sympy), so that the numeric, high-precision and symbolic
back-ends share exactly the same definitions.

>>> LOOP_FUNCTIONS["g"]
(Fraction(0, 1), Fraction(1, 1))
>>> [str(c) for c in LOOP_FUNCTIONS["f_S"]]
['0', '1/2', '-1/2']
"""
from __future__ import annotations

from fractions import Fraction

__all__ = ["LOOP_FUNCTIONS", "ALIASES", "canonical_name", "series_coefficients", "DESCRIPTIONS"]

_F = Fraction

#: name -> coefficients (p_0, p_1, ...) of P(u) = sum_k p_k u^k
LOOP_FUNCTIONS: dict[str, tuple[Fraction, ...]] = {
    "g_F": (_F(0), _F(0), _F(1)),
    "g_phi": (_F(0), _F(1), _F(-1)),
    "g": (_F(0), _F(1)),
    "f_F": (_F(0), _F(0), _F(1, 2), _F(-1, 2)),
    "f_phi": (_F(0), _F(1, 2), _F(-1), _F(1, 2)),
    "f_S": (_F(0), _F(1, 2), _F(-1, 2)),
}

#: alternative names used in the literature
ALIASES: dict[str, str] = {"g_S": "g"}

DESCRIPTIONS: dict[str, str] = {
    "g_F": "chirally enhanced dipole, photon on the fermion",
    "g_phi": "chirally enhanced dipole, photon on the scalar",
    "g": "chirally enhanced dipole, sum g_F + g_phi (g_S of arXiv:1603.04993)",
    "f_F": "non-enhanced dipole, photon on the fermion",
    "f_phi": "non-enhanced dipole, photon on the scalar",
    "f_S": "non-enhanced dipole, sum f_F + f_phi (f_S of arXiv:1603.04993)",
}


def canonical_name(name: str) -> str:
    """Resolve an alias; raise ``KeyError`` (with close matches) for unknown loop-function names."""
    name = ALIASES.get(name, name)
    if name not in LOOP_FUNCTIONS:
        import difflib

        known = sorted(LOOP_FUNCTIONS) + sorted(ALIASES)
        close = difflib.get_close_matches(name, known, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown loop function {name!r}.{hint} Known: {', '.join(known)}")
    return name


def series_coefficients(name: str, n_terms: int) -> list[Fraction]:
    r"""Exact Taylor coefficients :math:`c_n` of :math:`I_P(x)=\sum_n c_n \epsilon^n`, :math:`\epsilon=x-1`.

    With :math:`1-u+xu = 1+\epsilon u`: :math:`c_n = (-1)^n \sum_k p_k/(n+k+1)`.

    >>> [str(c) for c in series_coefficients("g", 3)]   # g(1+e) = 1/2 - e/3 + e^2/4 (docs/theory.md §b.1)
    ['1/2', '-1/3', '1/4']
    """
    p = LOOP_FUNCTIONS[canonical_name(name)]
    return [(-1) ** n * sum((pk / (n + k + 1) for k, pk in enumerate(p)), _F(0)) for n in range(n_terms)]
