r"""Recoil spectra (observables.neutrino.rates) against independent computations:

* brute-force scipy.quad over E_nu of (solar spectrum) x P_e alpha x (closed-form d sigma/dE_r) for pp and
  7Be at several (E_r, M_N), instead of the module's tail-integral tables;
* the massless flavour-universal rate at 2-4 keV from a hand computation with pi alpha^2/m_e^2 =
  2.4947e-25 cm^2, the B16 fluxes, Z_eff = 44 and the pp spectrum's <1/E_nu> (a "few events per
  tonne-year-keV for 1e-11 mu_B", cf. XENON1T 2006.09721 Fig. 6-7; no published per-keV number could be
  re-read for a tighter comparison);
* unitarity: equal moments in all flavours give the flavour-blind (no-oscillation) rate;
* the kinematic switch-off for heavy N and continuity at M_N -> 0;
* speed of a call (fits call it hundreds of times).
"""
from __future__ import annotations

import time
from itertools import pairwise

import numpy as np
import pytest
from scipy.integrate import quad

from observables.neutrino import cross_sections as cs
from observables.neutrino import kinematics as kin
from observables.neutrino import oscillations as osc
from observables.neutrino import rates, solar

ME_KEV = 510.99895
YEAR = 365.25 * 86400
ATOMS_PER_TONNE = 1e6 / 131.293 * 6.02214076e23


def _brute(name, Er_keV, M_keV, flavour=None, ssm="B16-GS98"):
    """events/(t yr keV) from component `name` for |mu| = 1e-11 in `flavour` (None: no oscillations)."""
    from observables.neutrino.xenon import effective_electrons

    c = solar.component(name)
    Er, M = Er_keV * 1e-6, M_keV * 1e-6
    lo = float(kin.min_neutrino_energy(Er, M)) * 1e3   # MeV
    hi = c.energies_MeV[-1]
    if lo >= hi:
        return 0.0

    def f(E):
        P = 1.0 if flavour is None else float(osc.flavour_probabilities([E], name, ssm)[flavour, 0])
        return float(solar.spectrum(name, np.array([E]), ssm)[0]) * P * float(
            cs.to_cm2_per_keV(cs.dsigma_dEr_moment(E * 1e-3, Er, M, 1e-11)))

    pts = c.energies_MeV[(c.energies_MeV > lo) & (c.energies_MeV < hi)]
    pts = pts[:: max(1, pts.size // 40)]
    val = quad(f, lo, hi, points=pts, limit=500, epsrel=1e-8)[0]
    return val * ATOMS_PER_TONNE * float(effective_electrons(Er_keV)) * YEAR


@pytest.mark.parametrize(("Er", "M"), [(1.5, 0.0), (3.0, 0.0), (3.0, 100.0), (10.0, 150.0), (25.0, 200.0)])
def test_tail_tables_vs_quad(Er, M):
    by = rates.spectra_by_source(np.array([Er]), M)
    for name in ("pp", "7Be_862"):
        for fl in (0, 1):
            want = _brute(name, Er, M, fl)
            assert by[name][fl, 0] == pytest.approx(want, rel=2e-4, abs=1e-9), (name, fl)


def test_massless_rate_hand_estimate():
    """dR/dE_r = N_e sigma_0 (mu/mu_B)^2 sum_s Phi_s <1/E_r - 1/E_nu>_s for all sources above E_min."""
    c = solar.component("pp")
    sigma0 = 2.4947e-25 * 1e-22   # cm^2 for mu = 1e-11 mu_B
    for Er in (2.0, 3.0, 4.0):
        Emin = (Er + np.sqrt(Er**2 + 2 * ME_KEV * Er)) / 2 / 1e3   # MeV
        E, f = c.energies_MeV, c.shape_per_MeV
        m = Emin < E
        avg_pp = np.trapezoid(np.where(m, f * (1 / Er - 1e-3 / E), 0), E)   # keV^-1
        lines = 4.93e9 * (0.8956 * (1 / Er - 1 / 862.) + 0.1044 * (1 / Er - 1 / 384.)) + 1.44e8 * (1 / Er - 1 / 1442.)
        want = 44 * ATOMS_PER_TONNE * sigma0 * (5.98e10 * avg_pp + lines) * YEAR
        got = rates.unit_spectra(np.array([Er]), 0.0).sum()
        # CNO, 8B, hep add ~ (2.8+2.05)e8 / 6e10 ~ 1%; trapezoid on the coarse raw pp grid ~ 0.5%
        assert got == pytest.approx(want, rel=0.02)
    assert 3 < rates.unit_spectra(np.array([3.0]), 0.0).sum() < 4   # "a few events / (t yr keV)"


@pytest.mark.parametrize("M", [0.0, 60.0, 140.0])
def test_unitarity_equals_flavour_blind(M):
    E = np.array([1.5, 4.0, 12.0])
    tot = rates.unit_spectra(E, M).sum(axis=0)
    blind = np.zeros(E.size)
    for i, Er in enumerate(E):
        blind[i] = _brute("pp", Er, M) + _brute("7Be_862", Er, M) + _brute("7Be_384", Er, M)
    by = rates.spectra_by_source(E, M)
    part = sum(by[n].sum(axis=0) for n in ("pp", "7Be_862", "7Be_384"))
    np.testing.assert_allclose(part, blind, rtol=2e-4)
    assert np.all(tot >= part)


def test_heavy_N_switches_off_pp():
    # E_nu^min(1 keV, M_N = 300 keV) = 1.47 MeV > pp endpoint: pp and the 7Be lines cannot contribute
    by = rates.spectra_by_source(np.array([1.0]), 300.0)
    assert by["pp"][:, 0].tolist() == [0.0, 0.0, 0.0]
    assert by["7Be_862"][:, 0].tolist() == [0.0, 0.0, 0.0]
    assert by["8B"][:, 0].sum() > 0
    # far above every solar endpoint: nothing
    assert np.all(rates.unit_spectra(np.array([1.0, 10.0]), 20000.0) == 0)


def test_continuity_and_ordering():
    E = np.linspace(1, 30, 30)
    np.testing.assert_allclose(rates.unit_spectra(E, 1e-3), rates.unit_spectra(E, 0.0), rtol=1e-6)
    # at a few keV a heavier N can only lower the rate (phase space)
    r = [rates.unit_spectra(np.array([2.0]), m).sum() for m in (0.0, 50.0, 100.0, 150.0, 200.0)]
    assert all(a > b for a, b in pairwise(r))


def test_linear_combination_and_shapes():
    E = np.array([2.0, 8.0])
    u = rates.unit_spectra(E, 30.0)
    assert u.shape == (3, 2)
    assert rates.unit_spectra(2.0, 30.0).shape == (3, 1)
    tot = rates.moment_spectrum(E, [2e-11, 0.0, 1e-11], 30.0)
    np.testing.assert_allclose(tot, 4 * u[0] + u[2], rtol=1e-12)
    # nu_e dominates at pp energies (P_ee ~ 0.55), mu and tau share the rest
    assert u[0, 0] > u[1, 0] and u[0, 0] > u[2, 0]


def test_ssm_choice():
    E = np.array([3.0])
    gs = rates.unit_spectra(E, 0.0, "B16-GS98").sum()
    ag = rates.unit_spectra(E, 0.0, "B16-AGSS09").sum()
    assert ag != gs and abs(ag / gs - 1) < 0.02      # pp-dominated: pp differs by 0.8%, 7Be by 9%


def test_sm_spectrum_vs_quad():
    Er = 5.0
    from observables.neutrino.xenon import effective_electrons

    total = 0.0
    for name in ("pp", "7Be_862", "7Be_384"):
        c = solar.component(name)
        lo = float(kin.min_neutrino_energy(Er * 1e-6, 0.0)) * 1e3

        def f(E, name=name):  # integrated at once by quad below
            P = osc.flavour_probabilities([E], name)[:, 0]
            x = sum(P[i] * float(cs.dsigma_dEr_sm(E * 1e-3, Er * 1e-6, fl)) for i, fl in enumerate(cs.FLAVOURS))
            return float(solar.spectrum(name, np.array([E]))[0]) * float(cs.to_cm2_per_keV(x))

        total += quad(f, lo, c.energies_MeV[-1], points=c.energies_MeV[::3][1:-1], limit=500, epsrel=1e-8)[0]
    by_hand = total * ATOMS_PER_TONNE * float(effective_electrons(Er)) * YEAR
    got = float(rates.sm_spectrum(np.array([Er]))[0])
    # the remaining sources (pep, CNO, 8B, hep) add ~ 2%
    assert by_hand < got < 1.04 * by_hand


def test_speed():
    E = np.linspace(1, 30, 100)
    rates.unit_spectra(E, 10.0)
    t = time.perf_counter()
    for M in np.linspace(0, 300, 50):
        rates.unit_spectra(E, M)
    assert (time.perf_counter() - t) / 50 < 0.05


def test_bad_input():
    with pytest.raises(ValueError, match="ssm"):
        rates.unit_spectra([2.0], 0.0, "SSM-X")
    with pytest.raises(ValueError, match="E_r_keV"):
        rates.unit_spectra([-1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match="M_N_keV"):
        rates.unit_spectra([2.0], -5.0)
    with pytest.raises(ValueError, match="mu_muB"):
        rates.moment_spectrum([2.0], [1e-11], 0.0)
