"""Dated, sourced limits (observables.neutrino.limits): conventions and numbers against their sources."""
from __future__ import annotations

import math

import pytest

from observables.neutrino.limits import curve, d_to_mu_muB, limits


def _by_name(lepton, m):
    return {l.name: l for l in limits(lepton, m)}


def test_d_to_mu_conversion_independent():
    """mu = 2 d and mu_B = e/(2 m_e) with e = sqrt(4 pi alpha): computed here from CODATA alpha and m_e."""
    alpha, m_e = 1 / 137.035999084, 0.51099895e-3
    mu_B = math.sqrt(4 * math.pi * alpha) / (2 * m_e)
    assert mu_B == pytest.approx(296.30, abs=0.01)  # Hostert's tensor_tools.py value (SOURCES.md)
    assert d_to_mu_muB(2.4273379955981336e-7) == pytest.approx(2 * 2.4273379955981336e-7 / mu_B, rel=1e-9)


def test_lz_recast_and_solar_effective_convention():
    """2207.05036 abstract (verified): mu_eff < 1.1e-11 mu_B, 90% CL; a solar effective limit applies to the
    flavour-universal moment only, and only to light N."""
    assert _by_name("all", 0.0)["LZ WS2022 recast (solar nu-e)"].upper_muB == 1.1e-11
    assert not _by_name("mu", 0.0)["LZ WS2022 recast (solar nu-e)"].applicable
    assert not _by_name("all", 100.0)["LZ WS2022 recast (solar nu-e)"].applicable


def test_stellar_bound_quadrature_convention():
    """RG tip omega Cen 1.2e-12 (2007.03694, 95% CL) bounds sqrt(sum_a |mu_aN|^2): equal moments in 3 flavours
    are each bounded by 1.2e-12/sqrt(3)."""
    single = _by_name("mu", 1.0)["Red-giant branch tip (omega Cen)"]
    allf = _by_name("all", 1.0)["Red-giant branch tip (omega Cen)"]
    assert single.upper_muB == 1.2e-12 and single.cl == 0.95
    assert allf.upper_muB == pytest.approx(1.2e-12 / math.sqrt(3))
    assert not _by_name("mu", 50.0)["Red-giant branch tip (omega Cen)"].applicable  # above the plasma frequency


def test_bbn_curve_lower_edge():
    """docs/theory.md §d.3 [source: digitised 2007.15563]: BBN lower edge ~1.8e-12 mu_B near M_N ~ 0.8 MeV."""
    bbn = _by_name("all", 800.0)["BBN (2007.15563)"]
    assert bbn.upper_muB == pytest.approx(1.8e-12, rel=0.1)
    assert bbn.excluded_up_to_muB > 1e-11
    assert not _by_name("all", 10.0)["BBN (2007.15563)"].applicable  # left of the digitised region


def test_sn1987a_band():
    """SOURCES.md: SN1987A bottom edge ~5.4e-13 mu_B at 0.01 MeV, with an upper edge (trapping)."""
    sn = _by_name("tau", 20.0)["SN1987A (1803.03262)"]
    assert sn.upper_muB == pytest.approx(5.4e-13, rel=0.05)
    assert sn.excluded_up_to_muB > 1e-10


def test_flavour_specific_accelerator_curves():
    at_5MeV = 5000.0
    assert _by_name("e", at_5MeV)["LSND (nu_e)"].applicable
    assert not _by_name("mu", at_5MeV)["LSND (nu_e)"].applicable
    charm = _by_name("mu", at_5MeV)["CHARM-II (nu_mu)"]
    assert charm.applicable and "2 d / mu_B" in charm.convention
    c = curve("CHARM-II (nu_mu)")
    assert c["M_N_keV"].min() == pytest.approx(1002.0, rel=1e-3)  # file in GeV -> keV


def test_every_limit_is_dated_and_sourced():
    for lep in ("e", "mu", "tau", "all"):
        for l in limits(lep, 0.0):
            assert l.source and l.date and 0 < l.cl < 1 and l.status
    statuses = {l.name: l.status for l in limits("e", 0.0)}
    assert statuses["XENONnT SR0 (solar nu-e)"].startswith("unverified")
    assert statuses["LZ WS2022 recast (solar nu-e)"].startswith("verified")


def test_bad_inputs():
    with pytest.raises(KeyError, match="allowed: e, mu, tau, all"):
        limits("nu", 0.0)
    with pytest.raises(ValueError, match="M_N must be"):
        limits("e", -3.0)
    with pytest.raises(KeyError, match="unknown curve"):
        curve("LEP")


def test_limits_have_typed_kind_and_combination():
    """Typed fields replace parsing prose: every limit has a kind and a moment combination; the stellar and
    cosmological bounds (plasmon decay, N_eff, BBN, SN1987A: docs/theory.md §d.3) are the non-laboratory
    ones, and the quadrature bounds are exactly those whose number for k = 3 equal moments is value/sqrt(3)."""
    from observables.neutrino.limits import COMBINATIONS, LIMIT_KINDS, limits

    one, three = {l.name: l for l in limits("mu", 0.5)}, {l.name: l for l in limits("all", 0.5)}
    assert all(l.kind in LIMIT_KINDS and l.combination in COMBINATIONS for l in one.values())
    not_lab = {n for n, l in one.items() if l.kind != "laboratory"}
    assert not_lab == {n for n in one if n.split(" ")[0] in ("Red-giant", "Globular", "N_eff", "BBN", "SN1987A")}
    for n, l in one.items():
        if l.combination == "quadrature":
            assert three[n].upper_muB == pytest.approx(l.upper_muB / 3**0.5, rel=1e-12)
        elif l.upper_muB is not None and three[n].upper_muB is not None:
            assert three[n].upper_muB == l.upper_muB  # a single flavour's moment: no rescaling


def test_limit_kind_is_validated():
    from observables.neutrino.limits import Limit

    with pytest.raises(ValueError, match="kind must be one of"):
        Limit("x", 1e-11, 0.9, "src", "2020", "", True, kind="stellar")
