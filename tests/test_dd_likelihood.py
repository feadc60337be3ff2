"""Binned Poisson likelihood (observables.neutrino.likelihood): known limits and closed forms."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from observables.neutrino.detectors import get_detector
from observables.neutrino.likelihood import BinnedPoissonLikelihood, make_likelihood


def test_asimov_injection_recovers_signal():
    """Data = B0 + s0 S exactly (Asimov): the global fit returns s0 and nuisances at their nominal values."""
    det = get_detector("xenon1t")
    S = 3.0 * np.exp(-det.bin_centres_keV / 4.0)
    s0 = 2.5
    lik = BinnedPoissonLikelihood(S, det.backgrounds["b0"] + s0 * S, det.backgrounds["b0"], None, 0.026, 0.03)
    s_hat, m = lik.global_fit()
    assert s_hat == pytest.approx(s0, rel=2e-3)
    assert m == pytest.approx(0.0, abs=1e-6)
    nu = lik.profile(s_hat)[1]
    assert nu["a"] == pytest.approx(1.0, abs=1e-3) and nu["e"] == pytest.approx(1.0, abs=2e-3)


def test_gaussian_limit_of_upper_limit():
    """One bin, n = b = 10^4, unit signal: q(s) -> s^2/b (Gaussian limit), so the 90% CL (q = 2.706) upper end
    is sqrt(2.706 b) = 164.5 up to the Poisson skewness correction O(s/b) ~ 1%."""
    b = 1e4
    lik = BinnedPoissonLikelihood(np.array([1.0]), np.array([b]), np.array([b]))
    s_hat, m = lik.global_fit(s_max=1000.0)
    assert s_hat == pytest.approx(0.0, abs=1e-3)
    up = brentq(lambda s: lik.profile(s)[0] - m - 2.705543, 0.0, 1000.0)
    assert up == pytest.approx(math.sqrt(2.705543 * b), rel=0.015)


def test_profiled_background_normalisation_closed_form():
    """s = 0, data = 1.1 x B in every bin, Gaussian constraint sigma on a: the stationarity condition
    B - N/a + (a - 1)/sigma^2 = 0 (N, B = totals) has a closed-form root; the profile must find it."""
    det = get_detector("xenonnt")
    B = det.backgrounds["b0"]
    sigma = 0.082
    lik = BinnedPoissonLikelihood(np.ones_like(B), 1.1 * B, B, None, sigma, 0.0)
    a_hat = lik.profile(0.0)[1]["a"]
    Bt, Nt = B.sum(), 1.1 * B.sum()
    # a^2/sigma^2 + a (B - 1/sigma^2) - N = 0
    A, Bq, C = 1 / sigma**2, Bt - 1 / sigma**2, -Nt
    root = (-Bq + math.sqrt(Bq**2 - 4 * A * C)) / (2 * A)
    assert a_hat == pytest.approx(root, rel=1e-4)


def test_goodness_of_fit_is_chi2_like():
    """Baker-Cousins -2 ln L at the B0-only fit is a chi2 with ~n_bins dof: XENON1T above 7 keV (no excess)."""
    det = get_detector("xenon1t")
    sel = det.bin_edges_keV[:-1] >= 7.0
    lik = BinnedPoissonLikelihood(np.zeros(sel.sum()), det.observed[sel], det.backgrounds["b0"][sel])
    chi2 = lik.m2lnl(0.0)
    n = sel.sum()
    assert n - 3 * math.sqrt(2 * n) < chi2 < n + 3 * math.sqrt(2 * n)


def test_bad_inputs():
    det = get_detector("xenonnt")
    with pytest.raises(ValueError, match="no tritium template"):
        make_likelihood(det, np.ones(det.n_bins), tritium="free")
    with pytest.raises(ValueError, match="allowed: none, free"):
        make_likelihood(det, np.ones(det.n_bins), tritium="fixed")
    with pytest.raises(ValueError, match="one entry per bin"):
        make_likelihood(det, np.ones(3))
