"""lqmodel.neutrino: the user-facing facade over observables.neutrino.

The recoil spectrum of the spec's benchmark BP2 (docs/theory.md §b.5: |mu_{mu N}| = 2.69314e-11 mu_B, muon
flavour only) must be the muon unit spectrum scaled by (mu / 1e-11)^2, with no e or tau contribution.
"""
from __future__ import annotations

import numpy as np

import lqmodel
from lqmodel import benchmarks, neutrino


def test_bp2_spectrum_is_the_scaled_muon_unit_spectrum():
    mu = neutrino.moments_for_dd(lqmodel.compute_moments(benchmarks.get("BP2")))
    assert mu.shape == (3,)
    np.testing.assert_allclose(mu, [0.0, 2.69314e-11, 0.0], rtol=2e-6, atol=0)
    E = np.array([1.5, 3.0, 10.0])
    expected = (2.69314e-11 / 1e-11) ** 2 * neutrino.unit_spectra(E, 0.0)[1]
    np.testing.assert_allclose(neutrino.moment_spectrum(E, mu, 0.0), expected, rtol=1e-5)


def test_facade_exposes_the_generic_functions():
    from observables.neutrino import fit

    assert neutrino.fit_moment is fit.fit_moment and neutrino.band is fit.band
