"""observables.measurements: the dated vintage, unit conversion and limit conventions, checked against
the published numbers (HFLAV spring25 page, WP25 abstract, Belle 2021 abstract, LHCb Delta m_s)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from observables.measurements import available_vintages, default_vintage, load
from observables.parameters import value


def test_vintage_listing():
    assert "2026-11" in available_vintages()
    assert default_vintage() == available_vintages()[-1]
    with pytest.raises(KeyError, match="available"):
        load("1999-01")


def test_every_entry_is_sourced_and_dated():
    for c in load().constraints:
        assert c.source and c.date and isinstance(c.verified, bool)
        assert np.all(np.linalg.eigvalsh(c.covariance) > 0)


def test_hflav_spring25_rd_rdstar():
    c = load().constraint_for("R_D")
    assert c.observables == ("R_D", "R_Dstar")
    assert np.allclose(c.values, [0.347, 0.288])
    corr = c.covariance[0, 1] / math.sqrt(c.covariance[0, 0] * c.covariance[1, 1])
    assert corr == pytest.approx(-0.39)


def test_delta_a_mu_matches_wp25_difference():
    # WP25 abstract (arXiv:2505.21476): a_exp - a_SM = 38(63) x 1e-11
    c = load().constraint_for("Delta_a_mu")
    assert c.values[0] == pytest.approx(38e-11, abs=1e-11)
    assert c.uncertainties[0] == pytest.approx(63e-11, abs=1e-11)


def test_upper_limit_is_half_gaussian_with_90cl_width():
    c = load().constraint_for("BR_tau_mugamma")
    assert c.kind == "upper_limit" and c.limit == 4.2e-8
    assert c.uncertainties[0] == pytest.approx(4.2e-8 / 1.6448536, rel=1e-6)


def test_delta_ms_converted_to_gev():
    c = load().constraint_for("DeltaM_s")
    # 17.7656 ps^-1 = 17.7656e12 s^-1 * hbar
    assert c.values[0] == pytest.approx(17.7656e12 * value("hbar"), rel=1e-12)
    assert c.values[0] == pytest.approx(1.1694e-11, rel=1e-3)


def test_asymmetric_errors_symmetrised():
    c = load().constraint_for("BR_B+_Knunu")
    up, down = math.hypot(0.5e-5, 0.5e-5), math.hypot(0.5e-5, 0.4e-5)
    assert c.uncertainties[0] == pytest.approx(0.5 * (up + down))
