"""``lqmodel point --solve-for y1y2 --target-mu MU`` and :func:`lqmodel.solve.solve_y1y2` (issue 11 §12).

References that do not use the solver's scaling argument: the moment recomputed by
:func:`lqmodel.compute_moments` at the returned couplings; an independent root search (scipy brentq on
y1*y2 at fixed y1/y2, each step a full compute_moments call); the closed form of the Voloshin moment in the
SU(2)_H limit, mu/mu_B = 2 m_e m_b y1 y2 g(x_b)/(8 pi^2 m^2) (docs/theory.md; its BP2 value 2.69314e-11 mu_B
at y1 y2 = 0.05, m = 1 TeV, m_b = 4.18 GeV is the README's published number).
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from lqmodel import compute_moments, vary, voloshin
from lqmodel.cli import main
from lqmodel.errors import InputError
from lqmodel.models import s1_only, voloshin_split
from lqmodel.solve import solve_y1y2


def _mu(point) -> float:
    return float(np.abs(compute_moments(point).mu_muB)[point.lepton_index, 0])


@pytest.mark.parametrize("target", [2.7e-11, 1.0e-10, 3.0e-13])
def test_solution_reproduces_the_target_and_the_root_search(target):
    p = voloshin(1000.0, 0.05, 1.0, "mu")
    s = solve_y1y2(p, target)
    solved = vary(p, {"y1": s["y1"], "y2": s["y2"]})
    assert _mu(solved) == pytest.approx(target, rel=1e-12)
    assert s["mu_nu_muB_check"] == pytest.approx(target, rel=1e-12)
    assert s["y1"] / s["y2"] == pytest.approx(0.05, rel=1e-12)  # ratio kept
    # independent: a bracketing root search in y1*y2 on the full moment, no linearity assumed
    r = 0.05

    def f(lp):
        q = math.exp(lp)
        return math.log(_mu(vary(p, {"y1": math.sqrt(r * q), "y2": math.sqrt(q / r)})) / target)

    root = math.exp(brentq(f, math.log(1e-6), math.log(0.5), xtol=1e-14))
    assert s["y1y2"] == pytest.approx(root, rel=1e-9)


def test_bp2_published_number_gives_y1y2_005():
    # README / benchmark BP2: 2.69314e-11 mu_B at y1 y2 = 0.05 (m_LQ = 1 TeV, m_b = 4.18 GeV)
    s = solve_y1y2(voloshin(1000.0, 0.3, 0.3, "mu"), 2.69314e-11)
    assert s["y1y2"] == pytest.approx(0.05, rel=2e-6)


def test_closed_form_voloshin_limit():
    from loops import numeric
    from observables.parameters import value

    m, mb, target = 1500.0, 4.18, 5.0e-11
    s = solve_y1y2(voloshin(m, 0.1, 0.2, "e"), target)
    g = float(numeric.g((mb / m) ** 2))
    expect = target * 8 * math.pi**2 * m**2 / (2 * value("m_e") * mb * g)
    assert s["y1y2"] == pytest.approx(expect, rel=1e-9)


def test_split_masses_and_s1_alone_and_complex_phase_kept():
    p = voloshin_split(1000.0, 1300.0, 0.05, 1.0, "tau")
    s = solve_y1y2(p, 4e-11)
    assert _mu(vary(p, {"y1": s["y1"], "y2": s["y2"]})) == pytest.approx(4e-11, rel=1e-12)
    q = s1_only(1000.0, 0.05 * np.exp(0.3j), 1.0, "mu")
    s = solve_y1y2(q, 1e-11)
    assert np.angle(complex(s["y1"])) == pytest.approx(0.3, abs=1e-12)
    assert _mu(vary(q, {"y1": s["y1"], "y2": s["y2"]})) == pytest.approx(1e-11, rel=1e-12)


def test_non_perturbative_solution_is_flagged():
    s = solve_y1y2(voloshin(5000.0, 0.05, 1.0, "mu"), 1e-9)
    assert s["perturbative"] is False and s["y2"] > math.sqrt(4 * math.pi)


@pytest.mark.parametrize("target, msg", [(0.0, "> 0"), (-2.7e-11, "> 0"), (float("nan"), "finite"),
                                         (float("inf"), "finite")])
def test_bad_targets_refused(target, msg):
    with pytest.raises(InputError, match=msg):
        solve_y1y2(voloshin(1000.0, 0.05, 1.0, "mu"), target)


def test_ill_defined_points_refused():
    with pytest.raises(InputError, match="is zero"):
        solve_y1y2(voloshin(1000.0, 0.0, 1.0, "mu"), 2.7e-11)
    general = voloshin(1000.0, 0.05, 1.0, "mu").replace(model="general")
    with pytest.raises(InputError, match="model 'voloshin' or 's1'"):
        solve_y1y2(general, 2.7e-11)
    with pytest.raises(InputError, match="single point"):
        solve_y1y2(vary(voloshin(1000.0, 0.05, 1.0, "mu"), {"y1": [0.1, 0.2]}), 2.7e-11)


def test_cli_json_has_solve_block_and_keeps_keys(capsys):
    assert main(["point", "--benchmark", "BP2", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["point", "--benchmark", "BP2", "--json", "--solve-for", "y1y2", "--target-mu", "2.7e-11"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(plain) <= set(out) and out["mu_nu_muB"] == plain["mu_nu_muB"]
    s = out["solve"]
    assert s["target_mu_muB"] == 2.7e-11 and s["mu_nu_muB_check"] == pytest.approx(2.7e-11, rel=1e-12)
    assert s["y1y2"] == pytest.approx(0.05 * 2.7e-11 / plain["mu_nu_muB"]["mu"], rel=1e-12)


@pytest.mark.parametrize("argv, msg", [
    (["--solve-for", "y1y2", "--target-mu", "-1"], "> 0"),
    (["--solve-for", "y1y2", "--target-mu", "0"], "> 0"),
    (["--solve-for", "y1y2"], "go together"),
    (["--target-mu", "2.7e-11"], "go together"),
])
def test_cli_refusals(capsys, argv, msg):
    assert main(["point", "--benchmark", "BP2", *argv]) == 2
    assert msg in capsys.readouterr().err
