"""The factorised (sparse-coupling) path of lqmodel.moments.compute_moments against the general path on
random points, and both against the closed forms of docs/theory.md §b.2 written out independently here
(g(x) = (x - 1 - ln x)/(x - 1)^2, F(m) = (m^2 ln m^2 - m_b^2 ln m_b^2)/(m^2 - m_b^2)); plus the per-instance
cache of Point.mass_basis.
"""
from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest

from lqmodel import moments as M
from lqmodel.models import voloshin_mismatch, voloshin_split
from lqmodel.moments import compute_moments
from lqmodel.point import Point, vary
from observables.parameters import value

MATS = ("y_LL", "ybar_RR", "yt_RL", "yt_LR")


def _random_point(rng, n, density, basis, kappa):
    """Complex couplings on a random sparsity pattern (same pattern for the batch, random values, some
    points exactly zero), split masses, optional kappa."""
    f = {}
    for name in MATS:
        mask = rng.random((3, 3)) < density
        vals = (rng.normal(size=(n, 3, 3)) + 1j * rng.normal(size=(n, 3, 3))) * 0.4
        vals[rng.random(n) < 0.1] = 0.0
        f[name] = np.where(mask, vals, 0.0)
    m_S = rng.uniform(200.0, 5000.0, n)
    m_R = m_S * np.exp(rng.uniform(-0.7, 0.7, n))
    m_R[: n // 5] = m_S[: n // 5]                          # degenerate pairs
    kap = rng.uniform(-0.05, 0.05, n) * m_S * m_R / 246.0 if kappa else 0.0
    return Point(m_S1=m_S, m_R2=m_R, kappa=kap, m_b=rng.uniform(2.4, 4.8, n), quark_basis=basis, **f)


def _rel(a, b):
    """max |a - b| / max(|b|) per lepton-N entry over the batch (NaN placement must agree)."""
    assert np.array_equal(np.isnan(a), np.isnan(b))
    fin = ~np.isnan(b)
    scale = np.max(np.where(fin, np.abs(b), 0.0), axis=tuple(range(b.ndim - 2)), keepdims=True)
    d = np.where(fin, np.abs(a - b), 0.0) / np.where(scale > 0, scale, 1.0)
    return float(d.max(initial=0.0))


@pytest.mark.parametrize("basis", ["down", "up"])
@pytest.mark.parametrize("kappa", [False, True])
@pytest.mark.parametrize("uv", ["nan", "msbar"])
def test_factorised_equals_general_on_random_points(basis, kappa, uv):
    rng = np.random.default_rng([7, basis == "up", kappa, uv == "msbar"])
    for density in (0.15, 0.4, 1.0):
        p = _random_point(rng, 300, density, basis, kappa)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", M.KappaNotIncludedWarning)
            mu_GeV = None if uv == "nan" else rng.uniform(100.0, 3000.0, 300)
            fa = compute_moments(p, uv=uv, mu_GeV=mu_GeV, path="factorised")
            ge = compute_moments(p, uv=uv, mu_GeV=mu_GeV, path="general")
            au = compute_moments(p, uv=uv, mu_GeV=mu_GeV)
        assert np.array_equal(fa.uv_divergent, ge.uv_divergent)
        assert _rel(fa.mu_muB, ge.mu_muB) <= 1e-12
        assert _rel(fa.m_nuN_GeV, ge.m_nuN_GeV) <= 1e-12
        assert _rel(au.mu_muB, ge.mu_muB) <= 1e-12 and _rel(au.m_nuN_GeV, ge.m_nuN_GeV) <= 1e-12
        assert fa.mu_muB.shape == ge.mu_muB.shape == (300, 3, 3)


def test_scalar_and_all_zero_batches():
    rng = np.random.default_rng(3)
    p = _random_point(rng, 4, 0.3, "down", False)[1]          # scalar point
    fa, ge = compute_moments(p, path="factorised"), compute_moments(p, path="general")
    assert fa.mu_muB.shape == (3, 3) and _rel(fa.mu_muB, ge.mu_muB) <= 1e-12
    zero = Point(m_S1=np.full(5, 1000.0), m_R2=1200.0)
    z = compute_moments(zero, path="factorised")
    assert z.mu_muB.shape == (5, 3, 3) and not np.any(z.mu_muB) and not np.any(z.m_nuN_GeV)
    assert not np.any(z.uv_divergent)
    with pytest.raises(ValueError, match="unknown path"):
        compute_moments(zero, path="sparse")


def _g(x):
    return (x - 1.0 - np.log(x)) / (x - 1.0) ** 2


def _F(m, m_b):
    return (m * m * np.log(m * m) - m_b * m_b * np.log(m_b * m_b)) / (m * m - m_b * m_b)


def test_voloshin_against_closed_form(monkeypatch):
    # docs/theory.md §b.2 with c_S = c_R = c = conj(y1) y2 (complex), only the b quark, split masses
    rng = np.random.default_rng(11)
    n = 400
    m_S = rng.uniform(300.0, 2e4, n)
    m_R = m_S * rng.uniform(1.01, 1.5, n)
    y1 = rng.normal(size=n) + 1j * rng.normal(size=n)
    y2 = rng.normal(size=n) + 1j * rng.normal(size=n)
    m_b = rng.uniform(2.4, 4.8, n)
    p = vary(voloshin_split(1000.0, 1100.0, 0.1, 0.1, "tau"),
             {"m_S1": m_S, "m_R2": m_R, "y1": y1, "y2": y2, "m_b": m_b})

    def no_general(*a, **k):  # "auto" must take the factorised path for Voloshin couplings
        raise AssertionError("general path used")

    monkeypatch.setattr(M, "_compute_general", no_general)
    mom = compute_moments(p)
    c_S, c_R = M.coupling_products(p)
    c = c_S[:, 2, 2, 0]
    assert np.allclose(c_R[:, 2, 2, 0], c, rtol=1e-15, atol=0)
    m_e = value("m_e")
    mu = m_e * m_b / (8 * math.pi**2) * np.conj(c) * (_g(m_b**2 / m_S**2) / m_S**2 + _g(m_b**2 / m_R**2) / m_R**2)
    mass = -(3 * m_b / (16 * math.pi**2)) * np.conj(c) * (_F(m_S, m_b) - _F(m_R, m_b))
    np.testing.assert_allclose(mom.mu_muB[:, 2, 0], mu, rtol=1e-12, atol=0)
    np.testing.assert_allclose(mom.m_nuN_GeV[:, 2, 0], mass, rtol=1e-10, atol=0)  # F difference: 1e-2 splits
    others = np.ones((3, 3), bool)
    others[2, 0] = False
    assert not np.any(mom.mu_muB[:, others]) and not np.any(mom.uv_divergent)


def test_msbar_mismatch_against_closed_form():
    # c_R != c_S: m = -(N_c m_b/16 pi^2) [c_R^* B0(m_R) - c_S^* B0(m_S)], B0 = 1 - F(m) + ln mu^2 (pole dropped)
    rng = np.random.default_rng(12)
    n = 200
    m_lq = rng.uniform(300.0, 2e4, n)
    ratio = rng.uniform(0.2, 1.8, n)
    mu_sc = rng.uniform(100.0, 5000.0, n)
    p = voloshin_mismatch(m_lq, 0.3, 0.7, "e", c_ratio=ratio)
    c_S, c_R = M.coupling_products(p)
    cs, cr = c_S[:, 2, 0, 0], c_R[:, 2, 0, 0]
    m_b = 4.18

    def B0(m):
        return 1.0 - _F(m, m_b) + np.log(mu_sc**2)

    mass = -(3 * m_b / (16 * math.pi**2)) * (np.conj(cr) * B0(m_lq) - np.conj(cs) * B0(m_lq))
    for path in ("factorised", "general"):
        mom = compute_moments(p, uv="msbar", mu_GeV=mu_sc, path=path)
        assert np.all(mom.uv_divergent[:, 0, 0])
        np.testing.assert_allclose(mom.m_nuN_GeV[:, 0, 0], mass, rtol=1e-11, atol=0)


def test_mass_basis_is_cached_per_instance():
    p = vary(voloshin_split(1000.0, 1100.0, 0.1, 0.2, "mu"), {"y1": np.linspace(0.1, 1.0, 7)})
    mb = p.mass_basis()
    assert p.mass_basis() is mb                                   # computed once
    q = p.replace(m_S1=900.0)                                     # a new instance has its own
    assert q.mass_basis() is not mb and np.array_equal(q.mass_basis().s1_uc_eL, mb.s1_uc_eL)
    r = pickle.loads(pickle.dumps(p))                             # the cache is not pickled
    assert "_mass_basis_cache" not in r.__dict__ and r == p
    for name in ("s1_uc_eL", "s1_dc_nuL", "r2_u_NR", "r2_d_NR"):
        assert np.array_equal(getattr(r.mass_basis(), name), getattr(mb, name))
        assert not getattr(mb, name).flags.writeable


@pytest.mark.slow  # ~8 s of data loading (collider, detectors) on the first evaluator call of a session
def test_evaluator_sub_batches_give_the_same_table(monkeypatch):
    # PointEvaluator.__call__ splits large calls into sub-batches; the sub-batches here also differ in
    # their coupling sparsity (y_LL[1,1] is non-zero only in the last points), so compute_moments takes
    # different term sets per sub-batch: the table must be the one of a single call, bit for bit
    from lqmodel import evaluate
    from lqmodel.models import voloshin

    rng = np.random.default_rng(4)
    n = 13
    y11 = np.zeros(n, complex)
    y11[-4:] = 0.3 + 0.1j
    asg = {"m_LQ": rng.choice([800.0, 1500.0], n), "y1": rng.uniform(0, 1, n), "y2": rng.uniform(0, 1, n),
           "y_LL[1,1]": y11, "M_N": rng.uniform(1e-5, 1e-3, n)}
    ev = evaluate.PointEvaluator(observables=None)
    base = voloshin(1000.0, 0.05, 1.0, "mu")
    monkeypatch.setattr(evaluate, "SUB_BATCH", 1000)
    one = ev(base, asg)
    monkeypatch.setattr(evaluate, "SUB_BATCH", 5)
    split = ev(base, asg)
    assert list(one) == list(split)
    for k in one:
        assert one[k].shape == split[k].shape == (n,), k
        assert one[k].dtype == split[k].dtype, k
        if k.startswith("dchi2_dy_"):  # the Drell-Yan products sum batch-dependent stacks: rounding only
            np.testing.assert_allclose(split[k], one[k], rtol=1e-13, atol=1e-15, err_msg=k)
        elif one[k].dtype.kind == "f":
            assert np.array_equal(one[k], split[k], equal_nan=True), k
        else:
            assert np.array_equal(one[k], split[k]), k


@pytest.mark.parametrize("basis", ["down", "up"])
def test_mass_basis_rotation_equals_matmul(basis):
    # Point.mass_basis rotates entry by entry over the batch: the same matrices as V @ y (CKM of
    # observables.parameters), relative 1e-13, on sparse and dense random complex batches
    from observables.parameters import ckm_matrix

    V = ckm_matrix()
    rng = np.random.default_rng([21, basis == "up"])
    for density in (0.2, 1.0):
        f = {n: np.where(rng.random((3, 3)) < density,
                         0.4 * (rng.normal(size=(50, 3, 3)) + 1j * rng.normal(size=(50, 3, 3))), 0)
             for n in MATS}
        p = Point(m_S1=1000.0, m_R2=1100.0, quark_basis=basis, **f)
        mb = p.mass_basis()
        if basis == "down":
            ref = {"s1_uc_eL": V.conj() @ f["y_LL"], "r2_u_NR": V @ f["yt_LR"], "s1_dc_nuL": -f["y_LL"]}
        else:
            ref = {"s1_dc_nuL": -(V.T @ f["y_LL"]), "r2_d_NR": V.conj().T @ f["yt_LR"], "s1_uc_eL": f["y_LL"]}
        for name, r in ref.items():
            got = getattr(mb, name)
            assert got.shape == (50, 3, 3) and not got.flags.writeable
            np.testing.assert_allclose(got, r, rtol=1e-13, atol=1e-13 * np.abs(r).max())
