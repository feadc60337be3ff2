"""lqmodel.scan.samplers.latin_hypercube against scipy.stats.qmc.LatinHypercube (the sample it replaces)
and against the definition of a Latin hypercube."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import qmc

from lqmodel.scan.samplers import latin_hypercube


@pytest.mark.parametrize(("seed", "n", "d"), [(0, 1, 1), (2026, 1000, 2), (7, 33, 5), (123, 10_000, 3)])
def test_equals_scipy_latin_hypercube(seed, n, d):
    ours = latin_hypercube(np.random.default_rng(seed), n, d)
    ref = qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(n)
    assert np.array_equal(ours, ref)


def test_one_point_per_stratum_in_every_dimension():
    n, d = 500, 4
    u = latin_hypercube(np.random.default_rng(3), n, d)
    assert u.shape == (n, d) and np.all((u >= 0) & (u < 1))
    for j in range(d):
        assert np.array_equal(np.sort(np.floor(u[:, j] * n).astype(int)), np.arange(n))
