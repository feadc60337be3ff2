"""Built-in benchmarks: their inputs reproduce the numbers docs/theory.md publishes for them (§b.5, §f.1),
evaluated here with an independent mpmath implementation of the §b.1/§b.2 closed forms; and
lqmodel.moments agrees with those published numbers."""
from __future__ import annotations

import mpmath as mp
import pytest

from lqmodel.benchmarks import Benchmark, get, info, list_benchmarks
from lqmodel.models import couplings_cS_cR, voloshin, voloshin_split
from lqmodel.point import UnknownNameError
from lqmodel.pointfile import load_point
from observables.parameters import bohr_magneton, value

mp.mp.dps = 30


def g(x):
    """docs/theory.md §b.1: g(x) = (x - 1 - ln x)/(x - 1)^2."""
    x = mp.mpf(x)
    return (x - 1 - mp.log(x)) / (x - 1) ** 2


def mu_over_muB(p, l):
    """docs/theory.md §b.2: mu = e m_b/(16 pi^2) [c_S g(x_S)/m_S^2 + c_R g(x_R)/m_R^2], mu_B = e/(2 m_e)."""
    cS, cR = couplings_cS_cR(p)
    mb, mS, mR = mp.mpf(p.m_b), mp.mpf(p.m_S1), mp.mpf(p.m_R2)
    me = mp.mpf(value("m_e"))
    s = mp.mpc(complex(cS[l, 0])) * g(mb**2 / mS**2) / mS**2 + mp.mpc(complex(cR[l, 0])) * g(mb**2 / mR**2) / mR**2
    return abs(2 * me * mb * s / (16 * mp.pi**2))


def check(expected, key, computed):
    e = expected[key]
    if e.get("value") is None:
        assert computed is None
        return
    tol = e.get("abs_tol", 0.0) + e.get("rel_tol", 0.0) * abs(e["value"])
    assert abs(float(computed) - e["value"]) <= tol, (key, float(computed), e)


def test_list_and_lookup():
    names = list_benchmarks()
    assert {"BP2", "BP2prime", "S1_1TeV", "Voloshin_1p5TeV", "Voloshin_2TeV", "Voloshin_split",
            "Voloshin_mismatch"} <= set(names)
    for n in names:
        b = info(n)
        assert isinstance(b, Benchmark) and "docs/theory.md" in b.source
        p = get(n)
        assert p.batch_shape == () and p.lepton in ("e", "mu", "tau")
    with pytest.raises(UnknownNameError, match="Did you mean 'BP2'"):
        get("bp2")


@pytest.mark.parametrize("name", ["BP2", "BP2prime", "S1_1TeV", "Voloshin_1p5TeV", "Voloshin_2TeV"])
def test_published_moment_from_inputs(name):
    b, p = info(name), get(name)
    l = p.lepton_index
    check(b.expected, "mu_nu_muB", mu_over_muB(p, l))
    if "g_x" in b.expected:
        check(b.expected, "g_x", g(mp.mpf(p.m_b) ** 2 / mp.mpf(p.m_S1) ** 2))
    if "pure_log_mu_nu_muB" in b.expected:  # §b.5: ln(m^2/m_b^2) instead of g(x)
        cS, _ = couplings_cS_cR(p)
        pl = (mp.mpf(value("m_e")) * p.m_b * abs(complex(cS[l, 0])) * mp.log(p.m_S1**2 / p.m_b**2)
              / (4 * mp.pi**2 * p.m_S1**2))
        check(b.expected, "pure_log_mu_nu_muB", pl)


def test_benchmarks_match_constructors_and_example_file():
    assert get("BP2").replace(label="") == voloshin(1000.0, 0.05, 1.0, "mu")
    assert get("Voloshin_split").replace(label="") == voloshin_split(1000.0, 1100.0, 0.05, 1.0, "mu")
    from importlib import resources

    with resources.as_file(resources.files("lqmodel").joinpath("data/points/bp2.yaml")) as f:
        assert load_point(f) == get("BP2")
    cS, cR = couplings_cS_cR(get("Voloshin_mismatch"))
    assert complex(cR[1, 0] / cS[1, 0]) == pytest.approx(0.9, rel=1e-14)
    assert info("Voloshin_mismatch").expected["uv_divergent"] is True


def test_bohr_magneton_of_spec():
    assert bohr_magneton() == pytest.approx(296.30405, rel=2e-8)  # docs/theory.md §b.5 shared inputs


@pytest.mark.parametrize("name", ["BP2", "BP2prime", "S1_1TeV", "Voloshin_1p5TeV", "Voloshin_2TeV", "Voloshin_split",
                                  "Voloshin_mismatch"])
def test_moment_engine_reproduces_published_numbers(name):
    import numpy as np

    from lqmodel.moments import compute_moments

    b, p = info(name), get(name)
    m = compute_moments(p)
    l = p.lepton_index
    if "mu_nu_muB" in b.expected:
        check(b.expected, "mu_nu_muB", abs(complex(m.mu_muB[l, 0])))
    if "m_nuN_GeV" in b.expected:
        mass = complex(m.m_nuN_GeV[l, 0])
        check(b.expected, "m_nuN_GeV", None if np.isnan(mass) else abs(mass))
    if "uv_divergent" in b.expected:
        assert bool(m.uv_divergent[l, 0]) is b.expected["uv_divergent"]
    if name == "Voloshin_split":  # §b.2: m_nuN = N_c c m_b [F(m_S) - F(m_R)]/(16 pi^2), mpmath here
        mb = mp.mpf(p.m_b)

        def F(mm):
            mm = mp.mpf(mm)
            return (mm**2 * mp.log(mm**2) - mb**2 * mp.log(mb**2)) / (mm**2 - mb**2)

        cS, _ = couplings_cS_cR(p)
        ref = 3 * abs(complex(cS[l, 0])) * mb * abs(F(p.m_S1) - F(p.m_R2)) / (16 * mp.pi**2)
        assert abs(complex(m.m_nuN_GeV[l, 0])) == pytest.approx(float(ref), rel=1e-10)
    if name == "S1_1TeV":  # the pair moment is exactly twice the S1-only one (§b.2)
        pair = compute_moments(get("BP2"))
        assert abs(complex(pair.mu_muB[l, 0])) == pytest.approx(2 * abs(complex(m.mu_muB[l, 0])), rel=1e-12)
