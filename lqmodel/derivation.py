r"""The model's one-loop diagrams fed to the generic engine :mod:`loops`: symbolic :math:`\mu_\nu` and
:math:`m_{\nu N}`.

Diagrams (docs/theory.md §a.3, §a.4, §b.2), b quark in the loop, external :math:`\Psi = \nu_L + N_R`
(neutral), written in the generic form :math:`\bar F(aP_L+bP_R)\Psi\phi^*` + h.c. of :mod:`loops.dipole`:

==========  ==================  ===============================  ===================================================
loop        F (charge)          scalar in loop                   (a, b)
==========  ==================  ===============================  ===================================================
S1          :math:`b^C` (+1/3)  :math:`S_1^*` (−1/3)             :math:`(-y^{LL}_{b\nu},\ \bar y^{RR}_{bN})`
R2~^(−1/3)  :math:`b` (−1/3)    :math:`\tilde R^{+1/3*}` (+1/3)  :math:`(\tilde y^{RL}_{b\nu},\ \tilde y^{LR}_{bN})`
==========  ==================  ===============================  ===================================================

(:math:`\bar d^C_L\nu_L = \overline{d^C}P_L\nu_L`, :math:`\bar d^C_R N_R = \overline{d^C}P_R N_R`, so
:math:`F=d^C` with :math:`\phi^*=S_1`; for R2~, :math:`F=d` with :math:`\phi^* = \tilde R_2^{-1/3}`.) Only
the rephasing invariant :math:`a^*b` enters: :math:`a^*b = -c_S^*` (S1) and :math:`a^*b = c_R^*` (R2~) with
:math:`c_S = \bar y^{RR*}_{bN}y^{LL}_{b\nu}` and :math:`c_R = \tilde y^{RL}_{b\nu}\tilde y^{LR*}_{bN}`
(§a.4). The symbolic expressions here take **real** :math:`c_S, c_R` (for complex couplings replace
:math:`c\to c^*`, as :mod:`lqmodel.moments` does).

Results (engine output, simplified), with :math:`N_c|Q_b| = 1` in the moment and :math:`N_c = 3` in the mass:

.. math::

    \frac{\mu_\nu}{\mu_B} = \frac{m_e m_b}{8\pi^2}\Big[\frac{c_S\,g(x_S)}{m_S^2} + \frac{c_R\,g(x_R)}{m_R^2}\Big],
    \qquad
    m_{\nu N} = -\frac{N_c m_b}{16\pi^2}\big[c_R B_0(0;m_b^2,m_R^2) - c_S B_0(0;m_b^2,m_S^2)\big],

i.e. docs/theory.md §b.2, with the mass defined by :math:`\mathcal L\supset -m_{\nu N}\bar\nu_L N_R` + h.c.
(the opposite overall sign to §b.2's display, which is a convention there) and the moment by
:math:`\mathcal L = (\mu_\nu/2)\bar\nu_L\sigma^{\mu\nu}N_R F_{\mu\nu}` + h.c. (§a.1; overall sign a
convention, chosen as in §b.2). The relative S1/R2~ signs are *derived* by the engine.

Charges and colours are not typed in here: :data:`LOOP_PARTICLES` names the particles of each loop as
:mod:`lqmodel.fields` components, and :func:`loop_charges` reads their charges and the loop fermion's colour
multiplicity from there (one source of quantum numbers; tests/test_derivation.py checks charge conservation
at the vertex and :math:`Q = T_3 + Y`).

Named expressions for export: :func:`expression`, :func:`list_expressions`.

>>> sorted(list_expressions())[:3]
['B0_zero', 'F', 'delta_amu_S1']
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import sympy as sp

from loops import dipole, pv, symbolic
from loops.cache import cached_derivation
from lqmodel.fields import charge, components

__all__ = [
    "SYMBOLS",
    "LOOP_PARTICLES",
    "loop_charges",
    "mu_nu",
    "mu_nu_single",
    "m_nuN",
    "m_nuN_uv_pole_coefficient",
    "m_nuN_scale_derivative",
    "m_nuN_symmetric",
    "expression",
    "list_expressions",
    "describe",
    "export",
]

_pos = dict(positive=True)
m_b, m_S, m_R, m_LQ, m_e, m_t, m_mu = sp.symbols("m_b m_S1 m_R2 m_LQ m_e m_t m_mu", **_pos)
c_S, c_R, c, l_c, r_c = sp.symbols("c_S c_R c l r", real=True)
delta = sp.Symbol("delta", real=True)

#: each loop's (external fermion Psi, loop fermion F, loop scalar phi) of the generic interaction
#: Fbar (a P_L + b P_R) Psi phi^* + h.c. of loops.dipole, as lqmodel.fields component names ("^*": the
#: conjugate). The b quark is a Dirac fermion in the loop (d_L and d_R carry the same charge and colour).
LOOP_PARTICLES: Mapping[str, tuple[str, str, str]] = MappingProxyType({
    "S1": ("nu_L", "d_R^*", "S1^*"),            # nu -> b^C (+1/3) + S1^* (-1/3)
    "R2": ("nu_L", "d_R", "R2~^(-1/3)^*"),      # nu -> b (-1/3) + (R2~^(-1/3))^* (+1/3)
    "delta_amu_S1": ("e_L", "u_R^*", "S1^*"),   # mu^- -> t^C (-2/3) + S1^* (-1/3)
})


def loop_charges(loop: str) -> tuple[sp.Rational, sp.Rational, sp.Rational, sp.Integer]:
    """``(Q_Psi, Q_F, Q_phi, N_c)`` of a loop of :data:`LOOP_PARTICLES` from :mod:`lqmodel.fields`: the
    charges (units of e > 0) of the external fermion, the loop fermion and the loop scalar, and the colour
    multiplicity of the loop fermion. Raises ``ValueError`` if charge is not conserved at the vertex."""
    try:
        names = LOOP_PARTICLES[loop]
    except KeyError:
        raise ValueError(f"unknown loop {loop!r}; allowed: {', '.join(LOOP_PARTICLES)}") from None
    q_ext, q_F, q_phi = (sp.Rational(charge(n)) for n in names)
    if q_ext != q_F + q_phi:
        raise ValueError(f"loop {loop!r}: charge not conserved ({q_ext} != {q_F} + {q_phi})")
    fermion_field = components()[names[1].removesuffix("^*")][0]
    return q_ext, q_F, q_phi, sp.Integer(fermion_field.n_colour)


#: colours and charge of the b quark in the neutrino loops (from lqmodel.fields)
N_c = loop_charges("S1")[3]
Q_b = sp.Rational(charge("d_R"))

#: the symbols used by the named expressions (name -> sympy Symbol)
SYMBOLS: dict[str, sp.Symbol] = {
    s.name: s for s in (m_b, m_S, m_R, m_LQ, m_e, m_t, m_mu, c_S, c_R, c, l_c, r_c, delta, pv.DELTA, pv.MU, symbolic.X)
}


def _tidy(expr: sp.Expr) -> sp.Expr:
    """Expand logarithms (masses are positive) and factor the coefficient of each log and of the rest.

    Never combines logs into ``log(m**(2*m**2))`` (which would overflow in exported C/Fortran).
    """
    expr = sp.expand(sp.expand_log(sp.expand(expr), force=True))
    logs = sorted(expr.atoms(sp.log), key=sp.default_sort_key)
    keys = [pv.DELTA] + logs
    parts = sp.collect(expr, keys, evaluate=False)
    return sp.Add(*(sp.factor(sp.cancel(coef)) * k for k, coef in parts.items()))


def _to_muB(mu_e_units: sp.Expr) -> sp.Expr:
    # mu / mu_B with mu_B = e / (2 m_e)
    return _tidy(mu_e_units * 2 * m_e / dipole.E)


def mu_nu_single(loop: str, coupling: sp.Expr, m_phi: sp.Expr, mq: sp.Expr = m_b) -> sp.Expr:
    r""":math:`\mu_\nu/\mu_B` of one leptoquark loop (``loop`` = "S1" or "R2"), real coupling product ``coupling``."""
    if loop not in ("S1", "R2"):
        raise ValueError(f"unknown loop {loop!r}; allowed: 'S1', 'R2'")
    _, q_F, q_phi, n_c = loop_charges(loop)
    # S1: F = b^C (+1/3), scalar S1^* (-1/3), a* b = -c_S; R2: F = b (-1/3), scalar (R2~^(-1/3))^* (+1/3), a* b = c_R
    a = -coupling if loop == "S1" else coupling
    res = dipole.scalar_fermion_dipole(q_F, q_phi, n_c, mq, m_phi, a, 1)
    return _to_muB(res.mu)


def mu_nu() -> sp.Expr:
    r""":math:`\mu_\nu/\mu_B` of the pair S1 + R2~^(−1/3) (docs/theory.md §b.2), symbols
    ``c_S, c_R, m_S1, m_R2, m_b, m_e``."""
    return mu_nu_single("S1", c_S, m_S) + mu_nu_single("R2", c_R, m_R)


def m_nuN() -> sp.Expr:
    r""":math:`m_{\nu N}` in GeV with the explicit pole :math:`\Delta` and scale :math:`\mu` (engine self-energies)."""
    s1 = dipole.self_energy_mass(loop_charges("S1")[3], m_b, m_S, -c_S, 1)
    r2 = dipole.self_energy_mass(loop_charges("R2")[3], m_b, m_R, c_R, 1)
    return _tidy(s1 + r2)


def m_nuN_uv_pole_coefficient() -> sp.Expr:
    r"""Coefficient of :math:`\Delta` in :math:`m_{\nu N}`: :math:`-N_c m_b (c_R - c_S)/(16\pi^2)`
    (zero iff :math:`c_R=c_S`)."""
    return sp.factor(sp.diff(m_nuN(), pv.DELTA))


def m_nuN_scale_derivative() -> sp.Expr:
    r""":math:`\partial m_{\nu N}/\partial\ln\mu` (zero iff :math:`c_R = c_S`)."""
    return sp.factor(_tidy(pv.MU * sp.diff(m_nuN(), pv.MU)))


def m_nuN_symmetric() -> sp.Expr:
    r""":math:`m_{\nu N}` for :math:`c_R=c_S=c` (pole and :math:`\ln\mu` cancel):
    :math:`-\frac{N_c c\,m_b}{16\pi^2}[F(m_S)-F(m_R)]`."""
    return _tidy(m_nuN().subs({c_R: c, c_S: c}))


# ---------------------------------------------------------------------------------------------- registry
def _expr_mu_nu_voloshin() -> sp.Expr:
    return _tidy(mu_nu().subs({c_S: c, c_R: c, m_S: m_LQ, m_R: m_LQ}))


def _expr_leading_log() -> sp.Expr:
    # g(x) -> ln(1/x) - 1 for x -> 0 (docs/theory.md §b.1), in the degenerate pair
    g_small = symbolic.small_x_expansion("g", 1).subs(symbolic.X, m_b**2 / m_LQ**2)
    return _tidy(m_e * m_b * c * g_small / (4 * sp.pi**2 * m_LQ**2))


def _expr_small_splitting() -> sp.Expr:
    # m_R^2 = m_S^2 (1 + delta): first order in delta, exact in m_b
    expr = m_nuN_symmetric().subs(m_R, m_S * sp.sqrt(1 + delta))
    return _tidy(sp.series(expr, delta, 0, 2).removeO())


def _expr_mu_per_m() -> sp.Expr:
    # docs/theory.md §b.3/§f.2: (mu_nu/mu_B) / m_nuN when SU(2)_H is broken only by a small splitting delta
    mu = _expr_mu_nu_voloshin().subs(m_LQ, m_S)
    return _tidy(sp.simplify(mu / _expr_small_splitting()))


def _expr_delta_amu() -> sp.Expr:
    # mu^- -> t^C (-2/3) + S1^* (-1/3); L = tbar^C (l P_L + r P_R) mu S1 + h.c. (docs/theory.md §c.5)
    q_mu, q_F, q_phi, n_c = loop_charges("delta_amu_S1")
    return _tidy(dipole.anomalous_moment(q_mu, q_F, q_phi, n_c, m_t, m_S, l_c, r_c, m_mu))


_REGISTRY: dict[str, tuple[Callable[[], sp.Expr], str]] = {
    "mu_nu": (mu_nu, "transition moment mu_nu/mu_B of S1 + R2~^(-1/3), real c_S, c_R (docs/theory.md §b.2)"),
    "mu_nu_S1": (lambda: mu_nu_single("S1", c_S, m_S), "mu_nu/mu_B of the S1 loop alone (docs/theory.md §b.1)"),
    "mu_nu_voloshin": (_expr_mu_nu_voloshin, "mu_nu/mu_B in the exact SU(2)_H limit c_R=c_S=c, m_S1=m_R2=m_LQ"),
    "mu_nu_leading_log": (_expr_leading_log, "mu_nu/mu_B of the degenerate pair with g(x) -> ln(m_LQ^2/m_b^2) - 1"),
    "m_nuN": (m_nuN, "radiative Dirac mass [GeV] (L = -m nubar_L N_R + h.c.) with UV pole Delta and scale mu"),
    "m_nuN_symmetric": (m_nuN_symmetric, "m_nuN [GeV] for c_R = c_S = c (finite: F(m_S) - F(m_R))"),
    "m_nuN_small_splitting": (_expr_small_splitting, "m_nuN [GeV] to first order in delta = m_R2^2/m_S1^2 - 1"),
    "mu_nu_per_m_nuN": (_expr_mu_per_m, "(mu_nu/mu_B)/m_nuN [1/GeV] for a small splitting delta (docs/theory.md §f.2)"),
    "m_nuN_uv_pole": (m_nuN_uv_pole_coefficient, "coefficient of Delta in m_nuN: vanishes iff c_R = c_S"),
    "delta_amu_S1": (_expr_delta_amu, "Delta a_mu from S1 with top, L = tbar^C (l P_L + r P_R) mu S1 + h.c."),
    "B0_zero": (lambda: pv.B0_zero(m_b, m_S), "B0(0; m_b^2, m_S1^2) with pole Delta and scale mu"),
    "F": (lambda: pv.F_closed(m_b, m_S), "F(m) = [m^2 ln m^2 - m_b^2 ln m_b^2]/(m^2 - m_b^2) at m = m_S1"),
}
for _name in ("g", "g_F", "g_phi", "g_S", "f_F", "f_phi", "f_S"):
    _REGISTRY[_name] = (
        (lambda n=_name: symbolic.loop_function(n)),  # type: ignore[misc]  # a default-bound loop variable
        f"loop function {_name}(x), x = m_F^2/m_phi^2 (loops.integrands)",
    )


def list_expressions() -> dict[str, str]:
    """Names of the exportable expressions -> one-line descriptions."""
    return {k: v[1] for k, v in sorted(_REGISTRY.items())}


def describe(name: str) -> str:
    """One-line description of a named expression."""
    return _lookup(name)[1]


def _lookup(name: str) -> tuple[Callable[[], sp.Expr], str]:
    try:
        return _REGISTRY[name]
    except KeyError:
        from lqmodel.vocabulary import did_you_mean

        raise KeyError(f"unknown expression {name!r}.{did_you_mean(name, _REGISTRY)} "
                       "Use `lqmodel export --list` to see all.") from None


#: bump whenever a registry expression's derivation changes (part of the disk-cache key)
REGISTRY_VERSION = "lqmodel-derivation-2"


def expression(name: str) -> sp.Expr:
    """The named sympy expression (derived on first use, then cached on disk, keyed by name and version)."""
    build = _lookup(name)[0]
    return cached_derivation("lqmodel-expression", (name, REGISTRY_VERSION), lambda: {"expr": build()})["expr"]


def export(name: str, fmt: str = "latex", function_name: str | None = None, *, expanded: bool = False) -> str:
    r"""The named expression as source text: ``fmt`` = latex | python | c | fortran | json.

    Generated functions take the expression's symbols sorted by name as arguments (masses in GeV, moments
    in Bohr magnetons; see :func:`describe`). The same text ``lqmodel export NAME --format FMT`` prints.

    LaTeX (typesetting only, never evaluated) is by default the *paper form* of :mod:`lqmodel.paper_latex`:
    an ``aligned`` block with dimensionless ratios (:math:`x_S = m_b^2/m_{S_1}^2`), named loop functions
    defined once by their closed forms, ``\ln`` and roman subscripts. ``expanded=True`` gives sympy's
    log-expanded form instead (the factored form where it is shorter). The JSON ``latex`` field is the same
    text as the ``latex`` format (paper or expanded); the JSON tree and the code formats always carry the
    log-expanded expression, which cannot overflow.

    >>> print(export("mu_nu_voloshin"))
    \begin{aligned}
    \frac{\mu_\nu}{\mu_B} &= \frac{c m_{\mathrm{b}} m_{\mathrm{e}} g(x)}{4 \pi^{2} m_{\mathrm{LQ}}^{2}},\\
    x &= \frac{m_{\mathrm{b}}^{2}}{m_{\mathrm{LQ}}^{2}},\\
    g(x) &= \frac{x - \ln x - 1}{\left(x - 1\right)^{2}}
    \end{aligned}
    """
    from loops.export import export as _export

    expr = expression(name)
    latex = None
    if fmt in ("latex", "json"):
        if expanded:
            factored = sp.factor(expr)
            latex = sp.latex(factored if len(sp.latex(factored)) < len(sp.latex(expr)) else expr)
        else:
            from lqmodel.paper_latex import paper_form

            latex = paper_form(name).latex()
    return _export(expr, fmt, name=function_name or name, latex=latex)
