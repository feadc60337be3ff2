"""Speed paths of lqmodel.matching.lepton_dipoles (loop functions once per distinct mass ratio, products
formed once per fermion, no zero R2~ right-handed matrix) against a dense per-point reference written
out here: the generic dipole formula of the lepton_dipoles docstring (Leveille / arXiv:0902.3360 §7)
with every loop function evaluated at every point and every term formed, on random batches."""
from __future__ import annotations

import math

import numpy as np
import pytest

from loops import numeric as ln
from lqmodel.matching import _constants, _dipole_loop_functions, delta_a_lepton, lepton_dipoles
from lqmodel.point import Point


def _dense_dipole(a, b, m_F, Q_F, Q_phi, m_phi2, N_c, m_lep, e):
    """C_ji = -(e N_c / 32 pi^2 m_phi^2) sum_f [m_F a*_fj b_fi G + (m_i a*_fj a_fi + m_j b*_fj b_fi) F_Q]."""
    shape = np.shape(m_phi2)
    a = np.broadcast_to(a, shape + (3, 3))
    b = np.broadcast_to(b, shape + (3, 3))
    m_F = np.broadcast_to(m_F, shape + (3,))
    out = np.zeros(shape + (3, 3), dtype=complex)
    for f in range(3):
        x = m_F[..., f] ** 2 / m_phi2
        G = Q_F * ln.g_F(x) - Q_phi * ln.g_phi(x)
        FQ = Q_F * ln.f_F(x) - Q_phi * ln.f_phi(x)
        for j in range(3):
            for i in range(3):
                out[..., j, i] += (-e * N_c / (32 * math.pi**2 * m_phi2)) * (
                    m_F[..., f] * G * np.conj(a[..., f, j]) * b[..., f, i]
                    + m_lep[i] * FQ * np.conj(a[..., f, j]) * a[..., f, i]
                    + m_lep[j] * FQ * np.conj(b[..., f, j]) * b[..., f, i])
    return out


def _dense_lepton_dipoles(point):
    c = _constants()
    mb = point.mass_basis()
    shape = point.batch_shape
    mS2 = np.broadcast_to(np.asarray(point.m_S1, dtype=float), shape) ** 2
    m232 = np.broadcast_to(np.asarray(point.m_R2_23_value, dtype=float), shape) ** 2
    e = math.sqrt(4 * math.pi * c["alpha0"])
    m_down = np.stack(np.broadcast_arrays(c["m_down_light"][0], c["m_down_light"][1],
                                          np.asarray(point.m_b, dtype=float)), axis=-1)
    m_down = np.broadcast_to(m_down, shape + (3,))
    return (_dense_dipole(mb.s1_uc_eL, mb.s1_uc_eR, c["m_up"], -2 / 3, -1 / 3, mS2, 3, c["m_lep"], e)
            + _dense_dipole(mb.r2_d_eL, np.zeros((3, 3)), m_down, -1 / 3, -2 / 3, m232, 3, c["m_lep"], e))


def _batch(rng, n, few_masses, density):
    f = {}
    for name in ("y_LL", "y_RR", "ybar_RR", "yt_RL", "yt_LR"):
        mask = rng.random((3, 3)) < density
        f[name] = np.where(mask, (rng.normal(size=(n, 3, 3)) + 1j * rng.normal(size=(n, 3, 3))) * 0.3, 0.0)
    if few_masses:  # a grid: the np.unique path
        m = rng.choice([500.0, 1000.0, 2500.0], n)
        m_b = 4.18
    else:
        m = rng.uniform(300.0, 5000.0, n)
        m_b = rng.uniform(2.4, 4.8, n)
    return Point(m_S1=m, m_R2=m * 1.1, m_R2_23=m * rng.choice([1.0, 1.3], n), m_b=m_b,
                 quark_basis=rng.choice(["down", "up"]), **f)


@pytest.mark.parametrize("few_masses", [True, False])
@pytest.mark.parametrize("density", [0.2, 1.0])
def test_lepton_dipoles_equal_dense_reference(few_masses, density):
    rng = np.random.default_rng([5, few_masses, int(density * 10)])
    p = _batch(rng, 500, few_masses, density)
    fast, ref = lepton_dipoles(p), _dense_lepton_dipoles(p)
    scale = np.max(np.abs(ref), axis=0, keepdims=True)
    rel = np.abs(fast - ref) / np.where(scale > 0, scale, 1.0)
    assert rel.max() <= 1e-13
    assert np.array_equal(fast == 0, ref == 0) or density < 1.0  # skipped entries are exactly zero
    # Delta a_ell from the same matrix (delta_a_lepton's own formula 4 m_l Re C_ll / e)
    c = _constants()
    e = math.sqrt(4 * math.pi * c["alpha0"])
    np.testing.assert_allclose(delta_a_lepton(p, dipoles=fast),
                               4 * c["m_lep"] * np.diagonal(ref, axis1=-2, axis2=-1).real / e,
                               rtol=1e-12, atol=1e-30)


def test_loop_functions_once_per_distinct_x_are_the_same_numbers():
    rng = np.random.default_rng(9)
    x = rng.choice(np.geomspace(1e-8, 3.0, 7), size=(40, 30))
    G, FQ = _dipole_loop_functions(x, -2 / 3, -1 / 3)
    G0 = -2 / 3 * ln.g_F(x) + 1 / 3 * ln.g_phi(x)
    F0 = -2 / 3 * ln.f_F(x) + 1 / 3 * ln.f_phi(x)
    assert G.shape == x.shape and np.array_equal(G, G0) and np.array_equal(FQ, F0)
