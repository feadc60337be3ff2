"""The views of issue 11 §12: mu_nu vs m_LQ with the experimental bands, m_nuN vs the S1-R2~ splitting
(:mod:`lqmodel.plotting.views`), and the built-in tau-flavour map config.

References: the closed form of the Voloshin moment in the SU(2)_H limit, mu/mu_B = 2 m_e m_b y1y2 g(x_b)/(8 pi^2
m^2) with g from :mod:`loops.numeric` (docs/theory.md; BP2 = 2.69314e-11 mu_B is the README's published
number); the small-splitting limit mu_nu/mu_B = (4/3) g(x_b) m_e m_nuN/(delta m^2) of docs/normalisation.md §4
(derived symbolically and tested in tests/test_derivation.py); the exact SU(2)_H cancellation
(m_nuN -> 0 linearly in delta); the XENON1T/XENONnT numbers from observables.neutrino.fit.band itself; the
PDF font type read from the written file.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from lqmodel import voloshin
from lqmodel.errors import InputError
from lqmodel.plotting.views import (
    mnuN_vs_splitting_data,
    mu_vs_mass_data,
    plot_mnuN_vs_splitting,
    plot_mu_vs_mass,
)

BANDS = {"xenon1t": (1.4e-11, 2.9e-11), "xenonnt": 6.4e-12}   # any numbers: the figure draws what it is given


def _closed_form(p, m, mb=4.18):
    from loops import numeric
    from observables.parameters import value

    return 2 * value("m_e") * mb * p * numeric.g((mb / m) ** 2) / (8 * math.pi**2 * m**2)


def test_mu_vs_mass_matches_closed_form_and_bp2():
    m = np.array([500.0, 1000.0, 2000.0, 5000.0])
    d = mu_vs_mass_data(voloshin(1000.0, 0.05, 1.0, "mu"), m, [0.05, 0.3])
    assert d["mu_muB"].shape == (2, 4)
    np.testing.assert_allclose(d["mu_muB"], _closed_form(np.array([[0.05], [0.3]]), m[None, :]), rtol=1e-10)
    assert d["mu_muB"][0, 1] == pytest.approx(2.69314e-11, rel=2e-6)   # README / BP2


def test_mu_vs_mass_figure_bands_and_pdf_fonts(tmp_path):
    fig, d = plot_mu_vs_mass(voloshin(1000.0, 0.05, 1.0, "mu"), np.geomspace(500, 5000, 8), (0.05, 1.0),
                             bands=BANDS, path=tmp_path / "mu_vs_m")
    assert d["xenon1t_muB"] == BANDS["xenon1t"] and d["xenonnt_limit_muB"] == BANDS["xenonnt"]
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("XENON1T" in s for s in labels) and any("XENONnT" in s for s in labels)
    assert sum("y_1 y_2" in s for s in labels) == 2
    pdf = (tmp_path / "mu_vs_m.pdf").read_bytes()
    assert (tmp_path / "mu_vs_m.png").stat().st_size > 0
    assert b"/Type3" not in pdf and b"/FontFile2" in pdf   # Type 42: embedded TrueType programs


def test_mu_vs_mass_default_bands_are_the_fits():
    from observables.neutrino.fit import band

    p = voloshin(1000.0, 0.05, 1.0, "mu")
    _, d = plot_mu_vs_mass(p, np.geomspace(800, 3000, 5), (0.05,))
    b1, bn = band("xenon1t", "mu", [0.0], 0.9), band("xenonnt", "mu", [0.0], 0.9)
    assert d["xenon1t_muB"] == (b1["low_muB"][0], b1["high_muB"][0])
    assert d["xenonnt_limit_muB"] == bn["high_muB"][0]
    assert 0 < d["xenonnt_limit_muB"] < d["xenon1t_muB"][0]   # XENONnT excludes the XENON1T band (2022)


def test_mnuN_small_splitting_limit_and_cancellation(tmp_path):
    p = voloshin(1000.0, 0.05, 1.0, "mu")
    d = mnuN_vs_splitting_data(p, [1e-7, 2e-7, 1e-5, 1e-2])
    # docs/normalisation.md §4: mu/mu_B = (4/3) g m_e m_nuN/(delta m^2) at leading order in m_b^2/m^2 and delta
    from loops import numeric
    from observables.parameters import value

    g = numeric.g((4.18 / 1000.0) ** 2)
    ref = 3 * d["delta"] * 1000.0**2 * d["mu_muB"] / (4 * g * value("m_e")) * 1e9
    np.testing.assert_allclose(d["m_nuN_eV"][:3], ref[:3], rtol=1e-3)
    assert d["m_nuN_eV"][1] / d["m_nuN_eV"][0] == pytest.approx(2.0, rel=1e-5)   # linear: 0 at delta = 0
    assert np.all(np.isfinite(d["m_nuN_eV"]))                                     # c_R = c_S: finite
    _, dd = plot_mnuN_vs_splitting(p.replace(M_N=1e-4, N_type="majorana"), np.geomspace(1e-6, 1, 12),
                                   path=tmp_path / "m.pdf")
    assert dd["m_D_max_eV"] > 0 and (tmp_path / "m.pdf").exists()


@pytest.mark.parametrize("call", [
    lambda: mu_vs_mass_data(voloshin(1000.0, 0.05, 1.0, "mu"), [1000.0, -1.0], [0.05]),
    lambda: mu_vs_mass_data(voloshin(1000.0, 0.05, 1.0, "mu"), [1000.0], []),
    lambda: mnuN_vs_splitting_data(voloshin(1000.0, 0.05, 1.0, "mu"), [0.0, 1e-3]),
    lambda: mnuN_vs_splitting_data(voloshin(1000.0, 0.05, 1.0, "mu").replace(model="general"), [1e-3]),
])
def test_bad_inputs_refused(call):
    with pytest.raises(InputError):
        call()


@pytest.mark.parametrize("name, m", [("voloshin_tau_1TeV_y1y2", 1000.0), ("voloshin_tau_1p5TeV_y1y2", 1500.0)])
def test_tau_map_config_and_the_coupling_that_moves_RDstar(name, m):
    """The built-in tau map: valid config, tau flavour, (y1, y2) plane; y2 = y^LL_{b tau} gives the tree-level
    C_VL^{bc tau nu_tau} = |y2|^2/(4 sqrt2 G_F m^2) (docs/matching.md §2, the hand formula with G_F from the
    parameter table) that raises R(D*), and y1 does not enter it."""
    from lqmodel import match
    from lqmodel.evaluate import PointEvaluator, resolve_base
    from lqmodel.scan.benchmarks import list_map_benchmarks, map_benchmark
    from observables.parameters import value

    assert name in list_map_benchmarks()
    cfg = map_benchmark(name)
    base = resolve_base(cfg.base)
    assert base.model == "voloshin" and base.lepton == "tau" and base.m_S1 == base.m_R2 == m
    assert (cfg.plot["x"], cfg.plot["y"]) == ("y1", "y2") and set(cfg.parameter_names) == {"y1", "y2"}
    PointEvaluator.from_options(cfg.evaluation)
    y2_max = max(r.grid().max() for r in cfg.parameters if r.name == "y2")
    for y1, y2 in [(0.05, 2.0), (0.5, 2.0)]:
        c = complex(match(voloshin(m, y1, y2, "tau")).values["CVL_bctaunutau"])
        assert c.real == pytest.approx(y2**2 / (4 * math.sqrt(2) * value("G_F") * m**2), rel=1e-6)
    # the map reaches the C_VL ~ 0.06 that R(D*) needs (y2 ~ 2 m/TeV), within perturbativity
    needed = math.sqrt(0.06 * 4 * math.sqrt(2) * value("G_F")) * m
    assert needed < y2_max <= math.sqrt(4 * math.pi)
