r"""Paper-form LaTeX of ``lqmodel export`` (lqmodel.paper_latex, loops.export.PaperForm).

References, independent of the printed text: the engine's own expression ``derivation.expression(name)``
(the paper form with its loop-function and ratio definitions substituted back must equal it, symbolically
and at random points with 30-digit arithmetic); mass-dimension counting (every ratio and every logarithm
argument is invariant under a common rescaling of all masses); and the typesetting rules of the issue
(``\ln`` not ``\log``, no ``log(m_``, multi-letter subscripts roman, each loop function defined once).
"""
from __future__ import annotations

import json
import random
import re

import mpmath
import pytest
import sympy as sp

from loops import pv
from lqmodel import derivation
from lqmodel.cli import main
from lqmodel.paper_latex import paper_form

NAMES = sorted(derivation.list_expressions())
S = derivation.SYMBOLS
MASSES = ([S[n] for n in ("m_b", "m_e", "m_t", "m_mu", "m_S1", "m_R2", "m_LQ")]
          + [pv.MU, sp.Symbol("GeV", positive=True)])


def _random_point(rng: random.Random, symbols) -> dict:
    ranges = {"m_b": (1.0, 5.0), "m_e": (1e-4, 1e-3), "m_mu": (0.05, 0.2), "m_t": (100.0, 200.0),
              "m_S1": (300.0, 5000.0), "m_R2": (300.0, 5000.0), "m_LQ": (300.0, 5000.0), "mu": (1.0, 3000.0),
              "delta": (-0.3, 0.3), "Delta": (-5.0, 5.0), "x": (0.01, 0.9)}
    return {s: sp.Float(rng.uniform(*ranges.get(s.name, (-1.0, 1.0))), 30) for s in symbols}


@pytest.mark.parametrize("name", NAMES)
def test_paper_form_equals_the_expression_at_random_points(name):
    pf = paper_form(name)
    plain = derivation.expression(name)
    back = pf.expanded()
    assert back.free_symbols == plain.free_symbols
    args = sorted(plain.free_symbols, key=lambda s: s.name)
    f_back, f_plain = (sp.lambdify(args, e, "mpmath") for e in (back, plain))
    rng = random.Random(sum(map(ord, name)))
    with mpmath.workdps(30):
        for _ in range(6):
            pt = _random_point(rng, args)
            vals = [mpmath.mpf(str(pt[s])) for s in args]
            a, b = f_back(*vals), f_plain(*vals)
            assert abs(a - b) <= mpmath.mpf("1e-22") * abs(b) and b != 0, (name, pt, a, b)


@pytest.mark.parametrize("name", ["mu_nu", "mu_nu_voloshin", "m_nuN", "m_nuN_symmetric", "m_nuN_small_splitting",
                                  "mu_nu_per_m_nuN", "B0_zero", "F", "g", "g_F", "f_phi"])
def test_paper_form_equals_the_expression_symbolically(name):
    diff = paper_form(name).expanded() - derivation.expression(name)
    assert sp.simplify(sp.expand_log(sp.expand(diff), force=True)) == 0


@pytest.mark.parametrize("name", NAMES)
def test_ratios_and_log_arguments_are_dimensionless(name):
    pf = paper_form(name)
    lam = sp.Symbol("lam", positive=True)
    scale = {m: lam * m for m in MASSES}
    for sym, definition in pf.ratios:
        assert sp.simplify(definition.subs(scale) - definition) == 0, (name, sym)
    for lg in pf.full.atoms(sp.log):
        arg = lg.args[0]
        assert sp.simplify(arg.subs(scale) - arg) == 0, (name, lg)


@pytest.mark.parametrize("name", NAMES)
def test_typesetting_rules(name):
    text = derivation.export(name, "latex")
    assert "\\log" not in text and "log(m_" not in text
    assert text.startswith("\\begin{aligned}") and text.endswith("\\end{aligned}")
    if paper_form(name).expanded().has(sp.log):
        assert "\\ln" in text
    # subscripts of two or more letters/digits must be roman (\mathrm{...}) or a command (\phi, \nu N)
    for sub in re.findall(r"_\{([^{}]*)\}", text):
        assert not re.fullmatch(r"[A-Za-z0-9 ]{2,}", sub), (name, sub, text)  # e.g. m_{LQ}, m_{S1}
    # every named loop function used is defined exactly once, on its own line
    defined = re.findall(r"^([A-Za-z]+(?:_\{[^}]*\})?)\(x\) &=", text, flags=re.MULTILINE)
    assert len(defined) == len(set(defined))
    body = text.splitlines()[1]
    for fn in set(re.findall(r"(?<![\\A-Za-z])([A-Za-z]+(?:_\{[^}]*\})?)\(x", body.split("&=", 1)[1])):
        assert fn in defined, (name, fn)


def test_named_forms_read_as_in_a_paper():
    text = derivation.export("mu_nu", "latex")
    assert "m_{\\mathrm{b}}" in text and "m_{S_1}" in text and "m_{\\tilde R_2}" in text
    assert "g(x_S)" in text and "g(x_R)" in text and text.count("g(x) &=") == 1
    assert "x_S &= \\frac{m_{\\mathrm{b}}^{2}}{m_{S_1}^{2}}" in text
    assert "m_{\\mathrm{LQ}}" in derivation.export("mu_nu_voloshin", "latex")
    assert "G_{Q}(x_{\\mathrm{t}})" in derivation.export("delta_amu_S1", "latex")


@pytest.mark.parametrize("expanded", [False, True])
def test_json_latex_field_equals_latex_format(capsys, expanded):
    extra = ["--expanded"] if expanded else []
    assert main(["export", "mu_nu", "--format", "latex", *extra]) == 0
    latex = capsys.readouterr().out.rstrip("\n")
    assert main(["export", "mu_nu", "--format", "json", *extra]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["latex"] == latex
    from loops.export import from_json

    assert from_json(json.dumps(payload)) == derivation.expression("mu_nu")  # the tree is unchanged


def test_expanded_keeps_the_previous_form():
    expr = derivation.expression("mu_nu")
    text = derivation.export("mu_nu", "latex", expanded=True)
    assert text in (sp.latex(expr), sp.latex(sp.factor(expr)))
    assert "\\log" in text  # sympy's own printer, as before
    assert derivation.export("mu_nu", "c") == derivation.export("mu_nu", "c", expanded=True)


def test_unknown_name_has_no_paper_form():
    with pytest.raises(KeyError, match="no paper form"):
        paper_form("nope")
