r"""Paper-form LaTeX of the named expressions of :mod:`lqmodel.derivation` (``lqmodel export NAME``).

Each expression is written with dimensionless mass ratios (:math:`x_S = m_b^2/m_{S_1}^2`, …) and named
loop functions defined once, below the formula, by their closed forms (:class:`loops.export.PaperForm`):

* :math:`g(x) = (x-1-\ln x)/(x-1)^2` (the moment's loop function; docs/theory.md §b.1),
* :math:`b_0(x) = 1 + \ln x/(1-x)`, so that :math:`B_0(0;m_b^2,m^2) = \Delta + \ln(\mu^2/m_b^2) + b_0(x)`
  with :math:`x = m_b^2/m^2` (the :math:`F(m)` of docs/theory.md §b.2 is :math:`\ln m_b^2 + 1 - b_0(x)`),
* :math:`k(x) = (1-x+x\ln x)/(1-x)^2`, the first-order coefficient of the mass splitting
  (:math:`m_{\nu N} = 3 c\,m_b\,\delta\,k(x)/(16\pi^2)`),
* :math:`g_F, g_\phi, f_F, f_\phi` of :mod:`loops.integrands` and :math:`G_Q = Q_F g_F - Q_\phi g_\phi`,
  :math:`F_Q = Q_F f_F - Q_\phi f_\phi` with :math:`Q_F=-2/3`, :math:`Q_\phi=-1/3` (the S1–top dipole,
  docs/theory.md §c.5).

These forms were written by hand from the engine's results; ``tests/test_export_paper.py`` checks that each
one, with the definitions substituted back, equals :func:`lqmodel.derivation.expression` (symbolically and
at random points). Subscripts: particle labels roman (:math:`m_{\mathrm b}`, :math:`m_{\mathrm{LQ}}`),
:math:`m_{S_1}`, :math:`m_{\tilde R_2}` for the leptoquarks.
"""
from __future__ import annotations

import sympy as sp

from loops import pv, symbolic
from loops.export import PaperForm

__all__ = ["paper_form", "symbol_latex"]

_pos = dict(positive=True)
x, x_S, x_R, x_t = sp.symbols("x x_S x_R x_t", **_pos)
GeV = sp.Symbol("GeV", **_pos)


def _symbols() -> dict[str, sp.Symbol]:
    from lqmodel.derivation import SYMBOLS

    return SYMBOLS


def symbol_latex() -> dict[sp.Symbol, str]:
    """LaTeX names of the derivation's symbols and of the ratio symbols used here."""
    S = _symbols()
    names = {
        "m_b": r"m_{\mathrm{b}}", "m_e": r"m_{\mathrm{e}}", "m_t": r"m_{\mathrm{t}}", "m_mu": r"m_{\mu}",
        "m_S1": r"m_{S_1}", "m_R2": r"m_{\tilde R_2}", "m_LQ": r"m_{\mathrm{LQ}}", "c_S": "c_S", "c_R": "c_R",
        "c": "c", "l": "l", "r": "r", "delta": r"\delta",
    }
    out = {S[k]: v for k, v in names.items()}
    out.update({pv.DELTA: r"\Delta", pv.MU: r"\mu", x: "x", x_S: "x_S", x_R: "x_R", x_t: r"x_{\mathrm{t}}",
                GeV: r"\mathrm{GeV}", symbolic.X: "x"})
    return out


def _closed(name: str, arg: sp.Symbol = x) -> sp.Expr:
    """Closed form of a loop function of :mod:`loops.symbolic`, denominator factored, in ``arg``."""
    e = symbolic.loop_function(name).subs(symbolic.X, arg)
    num, den = sp.fraction(sp.together(e))
    return sp.expand(num) / sp.factor(den)


def _g() -> tuple[str, sp.Symbol, sp.Expr]:
    return ("g", x, (x - 1 - sp.log(x)) / (x - 1) ** 2)


def _b0() -> tuple[str, sp.Symbol, sp.Expr]:
    return ("b_0", x, 1 + sp.log(x) / (1 - x))


def _k() -> tuple[str, sp.Symbol, sp.Expr]:
    return ("k", x, (1 - x + x * sp.log(x)) / (1 - x) ** 2)


def paper_form(name: str) -> PaperForm:
    """The :class:`~loops.export.PaperForm` of the named expression (``KeyError`` if there is none)."""
    S = _symbols()
    m_b, m_e, m_S, m_R, m_LQ = S["m_b"], S["m_e"], S["m_S1"], S["m_R2"], S["m_LQ"]
    c_S, c_R, c, delta = S["c_S"], S["c_R"], S["c"], S["delta"]
    g, b0, k = sp.Function("g"), sp.Function("b_0"), sp.Function("k")
    pi2 = sp.pi**2
    rS, rR, rLQ = (x_S, m_b**2 / m_S**2), (x_R, m_b**2 / m_R**2), (x, m_b**2 / m_LQ**2)
    mu_ratio = r"\frac{\mu_\nu}{\mu_B}"
    if name == "mu_nu":
        return PaperForm(mu_ratio, c_S * g(x_S) / m_S**2 + c_R * g(x_R) / m_R**2, (rS, rR), (_g(),),
                         symbol_latex(), prefactor=m_e * m_b / (8 * pi2))
    if name == "mu_nu_S1":
        return PaperForm(r"\frac{\mu_\nu^{(S_1)}}{\mu_B}", m_e * m_b * c_S * g(x_S) / (8 * pi2 * m_S**2),
                         (rS,), (_g(),), symbol_latex())
    if name == "mu_nu_voloshin":
        return PaperForm(mu_ratio, m_e * m_b * c * g(x) / (4 * pi2 * m_LQ**2), (rLQ,), (_g(),), symbol_latex())
    if name == "mu_nu_leading_log":
        return PaperForm(mu_ratio, sp.log(1 / x) - 1, (rLQ,), (), symbol_latex(),
                         prefactor=m_e * m_b * c / (4 * pi2 * m_LQ**2))
    if name == "m_nuN":
        expr = (c_R - c_S) * (pv.DELTA + sp.log(pv.MU**2 / m_b**2)) + c_R * b0(x_R) - c_S * b0(x_S)
        return PaperForm(r"m_{\nu N}", expr, (rS, rR), (_b0(),), symbol_latex(), prefactor=-3 * m_b / (16 * pi2))
    if name == "m_nuN_symmetric":
        return PaperForm(r"m_{\nu N}", b0(x_S) - b0(x_R), (rS, rR), (_b0(),), symbol_latex(),
                         prefactor=3 * c * m_b / (16 * pi2))
    if name == "m_nuN_small_splitting":
        return PaperForm(r"m_{\nu N}", 3 * c * m_b * delta * k(x_S) / (16 * pi2), (rS,), (_k(),), symbol_latex())
    if name == "mu_nu_per_m_nuN":
        return PaperForm(r"\frac{\mu_\nu/\mu_B}{m_{\nu N}}", 4 * m_e * g(x_S) / (3 * delta * m_S**2 * k(x_S)),
                         (rS,), (_g(), _k()), symbol_latex())
    if name == "m_nuN_uv_pole":
        return PaperForm(r"\frac{\partial m_{\nu N}}{\partial\Delta}", -3 * m_b * (c_R - c_S) / (16 * pi2),
                         (), (), symbol_latex())
    if name == "delta_amu_S1":
        m_mu, m_t, l, r = S["m_mu"], S["m_t"], S["l"], S["r"]
        GQ, FQ = sp.Function("G_Q"), sp.Function("F_Q")
        gF, gphi, fF, fphi = (sp.Function(n) for n in ("g_F", "g_phi", "f_F", "f_phi"))
        qF, qphi = sp.Rational(-2, 3), sp.Rational(-1, 3)
        expr = m_t * l * r * GQ(x_t) + m_mu * (l**2 + r**2) * FQ(x_t)
        functions = (
            ("G_Q", x, qF * gF(x) - qphi * gphi(x)),
            ("F_Q", x, qF * fF(x) - qphi * fphi(x)),
            ("g_F", x, _closed("g_F")), ("g_phi", x, _closed("g_phi")),
            ("f_F", x, _closed("f_F")), ("f_phi", x, _closed("f_phi")),
        )
        return PaperForm(r"\Delta a_\mu", expr, ((x_t, m_t**2 / m_S**2),), functions, symbol_latex(),
                         prefactor=-3 * m_mu / (8 * pi2 * m_S**2))
    if name == "B0_zero":
        return PaperForm(r"B_0(0; m_{\mathrm{b}}^2, m_{S_1}^2)", pv.DELTA + sp.log(pv.MU**2 / m_b**2) + b0(x_S),
                         (rS,), (_b0(),), symbol_latex())
    if name == "F":
        return PaperForm(r"F(m_{S_1})", sp.log(m_b**2 / GeV**2) + 1 - b0(x_S), (rS,), (_b0(),), symbol_latex(),
                         hidden=((GeV, sp.Integer(1)),))
    if name in ("g", "g_S"):
        return PaperForm(f"{'g' if name == 'g' else 'g_S'}(x)", _g()[2], (), (), symbol_latex())
    if name in ("g_F", "g_phi", "f_F", "f_phi", "f_S"):
        from loops.export import latex_symbol_name

        return PaperForm(f"{latex_symbol_name(name)}(x)", _closed(name), (), (), symbol_latex())
    raise KeyError(f"no paper form for {name!r}")
