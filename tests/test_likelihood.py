"""observables.likelihood: chi^2 against hand calculations (independent linear algebra), limit convention,
vectorisation, verdicts; flavio's theory covariance (small sample) is cached and positive."""
from __future__ import annotations

import numpy as np
import pytest

from observables.likelihood import chi2, log_likelihood, pulls, summary, theory_covariance
from observables.measurements import load


def test_single_gaussian_by_hand():
    c = load().constraint_for("BR_B+_Knunu")
    x = 1.0e-5
    expected = ((x - 2.3e-5) / c.uncertainties[0]) ** 2
    out = chi2({"BR_B+_Knunu": x}, theory=False)
    assert out["BR_B+_Knunu"] == pytest.approx(expected)
    assert out["total"] == pytest.approx(expected)


def test_correlated_pair_by_hand_and_contributions_add_up():
    rd, rds = 0.30, 0.25
    s1, s2, rho = 0.025, 0.012, -0.39
    d1, d2 = rd - 0.347, rds - 0.288
    # closed-form 2x2 chi^2
    expected = (d1**2 / s1**2 + d2**2 / s2**2 - 2 * rho * d1 * d2 / (s1 * s2)) / (1 - rho**2)
    out = chi2({"R_D": rd, "R_Dstar": rds}, theory=False)
    assert out["total"] == pytest.approx(expected, rel=1e-12)
    assert out["R_D"] + out["R_Dstar"] == pytest.approx(expected, rel=1e-12)


def test_upper_limit_at_the_limit_gives_one_sided_90cl():
    out = chi2({"BR_tau_mugamma": 4.2e-8}, theory=False)
    assert out["total"] == pytest.approx(1.6448536**2, rel=1e-6)
    assert chi2({"BR_tau_mugamma": 0.0}, theory=False)["total"] == 0.0


def test_vectorised_equals_pointwise():
    rng = np.random.default_rng(3)
    rd = rng.uniform(0.25, 0.45, 50)
    rds = rng.uniform(0.2, 0.35, 50)
    vec = chi2({"R_D": rd, "R_Dstar": rds, "Delta_a_mu": 1e-9}, theory=False)["total"]
    loop = [chi2({"R_D": a, "R_Dstar": b, "Delta_a_mu": 1e-9}, theory=False)["total"]
            for a, b in zip(rd, rds, strict=True)]
    assert vec.shape == (50,)
    assert np.allclose(vec, loop, rtol=1e-13)


def test_log_likelihood_is_minus_half_chi2_plus_constant():
    a = log_likelihood({"R_D": 0.30, "R_Dstar": 0.25}, theory=False)
    b = log_likelihood({"R_D": 0.347, "R_Dstar": 0.288}, theory=False)
    c2 = chi2({"R_D": 0.30, "R_Dstar": 0.25}, theory=False)["total"]
    assert b - a == pytest.approx(0.5 * c2)


def test_pulls_and_verdicts():
    p = pulls({"Delta_a_mu": 38.5e-11}, theory=False)
    assert p["Delta_a_mu"] == pytest.approx(0.0, abs=1e-9)  # float rounding of 1.2e-3 - 1.2e-3
    s = summary({"Delta_a_mu": np.array([38.5e-11, 38.5e-11 + 2.5 * 63.67e-11, 38.5e-11 + 4 * 63.67e-11])},
                theory=False)
    assert s["verdict"].tolist() == ["consistent", "tension", "excluded"]
    assert s["ndof"] == 1


def test_unknown_observable_name():
    with pytest.raises(KeyError, match="Did you mean"):
        chi2({"R_Dstr": 0.3})


@pytest.mark.flavio
def test_theory_covariance_small_sample_cached():
    names = ["R_D", "BR_B+_Knunu"]
    cov = theory_covariance(names, N=8)
    assert cov.shape == (2, 2) and np.all(np.diag(cov) > 0)
    # relative SM uncertainties of the right size (flavio: R(D) ~1-2%, B->K nu nu ~5-10%)
    rel = np.sqrt(np.diag(cov)) / np.array([0.295, 4.7e-6])
    assert 1e-3 < rel[0] < 0.05 and 0.01 < rel[1] < 0.3
    assert np.array_equal(theory_covariance(names, N=8), cov)  # from the disk cache
