"""lqmodel.point: validation, batching, immutability, mass basis (CKM unitarity identities), vary."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lqmodel.models import couplings_cS_cR, s1_only, voloshin
from lqmodel.point import (
    MATRIX_FIELDS,
    PERTURBATIVITY_LIMIT,
    PerturbativityWarning,
    Point,
    PointError,
    UnknownNameError,
    vary,
)
from observables.parameters import ckm_matrix, value

RNG = np.random.default_rng(20261122)


def rand_c(*shape):
    return RNG.normal(size=shape + (3, 3)) + 1j * RNG.normal(size=shape + (3, 3))


def random_point(basis="down", **kw):
    mats = {m: 0.3 * rand_c() for m in MATRIX_FIELDS}
    return Point(m_S1=1234.5, m_R2=987.6, quark_basis=basis, **mats, **kw)


# ----------------------------------------------------------------------------- defaults and validation
def test_defaults_follow_the_spec_and_parameter_file():
    p = Point(m_S1=1000.0, m_R2=1000.0)
    assert p.m_b == value("m_b_MSbar") == 4.18  # docs/theory.md §b.4 default
    assert ((p.m_b_scheme, p.quark_basis, p.N_type, p.M_N, p.kappa, p.model)
            == ("MSbar(mb)", "down", "dirac", 0.0, 0.0, "general"))
    assert p.m_R2_23 is None and p.m_R2_23_value == 1000.0
    assert all(np.array_equal(getattr(p, m), np.zeros((3, 3))) for m in MATRIX_FIELDS)
    assert Point(m_S1=1e3, m_R2=1e3, m_b_scheme="MSbar(1TeV)").m_b == 2.4133
    assert Point(m_S1=1e3, m_R2=1e3, m_b_scheme="pole").m_b == value("m_b_pole")


@pytest.mark.parametrize("kw, pattern", [
    (dict(m_S1=0.0), r"m_S1 must be a positive, finite mass in GeV; got 0.0"),
    (dict(m_S1=-10.0), r"m_S1 must be a positive"),
    (dict(m_R2=float("inf")), r"m_R2 must be a positive, finite"),
    (dict(m_R2=float("nan")), r"m_R2 must be a positive, finite"),
    (dict(m_R2_23=-1.0), r"m_R2_23 must be a positive"),
    (dict(m_b=0.0), r"m_b must be a positive"),
    (dict(M_N=-1e-6), r"M_N must be a finite, non-negative"),
    (dict(kappa=float("nan")), r"kappa must be a finite real"),
    (dict(m_S1=1000 + 1j), r"m_S1 must be real"),
    (dict(m_S1="heavy"), r"m_S1 must be a real number"),
    (dict(y_LL=np.full((3, 3), np.nan)), r"y_LL must have finite entries .* entry \(0, 0\)"),
    (dict(yt_RL=np.full((3, 3), np.inf)), r"yt_RL must have finite entries"),
    (dict(y_RR=np.zeros((2, 3))), r"y_RR must have shape \(3, 3\) or \(\*B, 3, 3\).*got shape \(2, 3\)"),
    (dict(ybar_RR=np.zeros(3)), r"ybar_RR must have shape"),
    (dict(yt_LR=[["a"] * 3] * 3), r"yt_LR must be a 3x3 matrix of \(complex\) numbers"),
    (dict(m_S1=np.ones(3), m_R2=np.ones(4)), r"batch shapes do not broadcast"),
    (dict(m_S1=np.array([1000.0, -1.0, 5.0])),
     r"m_S1 must be a positive.*1 of 3 entries are not, e.g. -1.0 at index \(1,\)"),
    (dict(label=3), r"label must be a string"),
])
def test_invalid_values_are_refused_with_one_line_messages(kw, pattern):
    base = dict(m_S1=1000.0, m_R2=1000.0)
    with pytest.raises(PointError, match=pattern) as info:
        Point(**{**base, **kw})
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("kw, suggestion", [
    (dict(m_b_scheme="MSbar"), "MSbar(mb)"),
    (dict(m_b_scheme="Pole"), "pole"),
    (dict(quark_basis="dwon"), "down"),
    (dict(N_type="Majorana"), "majorana"),
    (dict(model="voloshn"), "voloshin"),
    (dict(lepton="tau "), "tau"),
])
def test_unknown_options_suggest_and_list_allowed(kw, suggestion):
    pattern = r"Did you mean '" + __import__("re").escape(suggestion) + r"'.*Allowed"
    with pytest.raises(UnknownNameError, match=pattern) as info:
        Point(m_S1=1e3, m_R2=1e3, **kw)
    assert isinstance(info.value, ValueError) and isinstance(info.value, KeyError)
    assert "\n" not in str(info.value)


def test_unknown_lepton_lists_allowed():
    with pytest.raises(UnknownNameError, match=r"unknown lepton 'muon'.*Allowed: 'e', 'mu', 'tau'"):
        voloshin(1000.0, 0.05, 1.0, "muon")


def test_perturbativity_is_a_warning_not_an_error():
    big = np.zeros((3, 3))
    big[2, 1] = 1.01 * PERTURBATIVITY_LIMIT
    with pytest.warns(PerturbativityWarning, match=r"y_LL .*sqrt\(4 pi\)"):
        p = Point(m_S1=1e3, m_R2=1e3, y_LL=big)
    assert p.y_LL[2, 1] == big[2, 1]
    assert issubclass(PerturbativityWarning, UserWarning)
    Point(m_S1=1e3, m_R2=1e3, y_LL=0.99 * PERTURBATIVITY_LIMIT * np.ones((3, 3)))  # no warning (errors here)


def test_model_tags_are_checked():
    with pytest.raises(PointError, match="model 's1' has no R2~ couplings"):
        Point(m_S1=1e3, m_R2=1e3, model="s1", yt_RL=np.eye(3))
    with pytest.raises(PointError, match="needs lepton"):
        Point(m_S1=1e3, m_R2=1e3, model="voloshin")
    p = voloshin(1000.0, 0.05, 1.0, "mu")
    with pytest.raises(PointError, match=r"SU\(2\)_H relation"):
        p.replace(yt_RL=np.zeros((3, 3)))


def test_replace_unknown_field():
    with pytest.raises(UnknownNameError, match=r"unknown Point field 'mS1'. Did you mean 'm_S1'"):
        Point(m_S1=1e3, m_R2=1e3).replace(mS1=2.0)


# ----------------------------------------------------------------------------- immutability, batches
def test_point_is_immutable_and_does_not_alias_inputs():
    y = np.zeros((3, 3), complex)
    p = Point(m_S1=1e3, m_R2=1e3, y_LL=y)
    y[0, 0] = 1.0
    assert p.y_LL[0, 0] == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.m_S1 = 2.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        p.y_LL[0, 0] = 1.0
    b = Point(m_S1=np.array([1e3, 2e3]), m_R2=1e3)
    with pytest.raises(ValueError):
        b.m_S1[0] = 5.0


def test_batches_broadcast_to_a_common_shape():
    m = np.linspace(500, 5000, 7)
    y = rand_c(1, 5)  # (1, 5, 3, 3)
    p = Point(m_S1=m[:, None], m_R2=1500.0, y_LL=y, M_N=np.zeros(5))
    assert p.batch_shape == (7, 5)
    assert p.m_S1.shape == p.m_R2.shape == p.kappa.shape == (7, 5)
    assert p.y_LL.shape == p.y_RR.shape == (7, 5, 3, 3)
    assert np.array_equal(p.y_LL[3, 2], y[0, 2])
    q = p[3, 2]
    assert q.batch_shape == () and q.m_S1 == m[3] and np.array_equal(q.y_LL, y[0, 2])
    with pytest.raises(PointError, match="cannot index a scalar point"):
        q[0]


def test_equality_is_exact():
    p = random_point()
    assert p == dataclasses.replace(p)
    assert p != p.replace(m_S1=np.nextafter(p.m_S1, 2e4))
    assert p != p.replace(label="x")


# ----------------------------------------------------------------------------- mass basis
def test_ckm_is_unitary():
    V = ckm_matrix()
    np.testing.assert_allclose(V.conj().T @ V, np.eye(3), atol=1e-15)
    np.testing.assert_allclose(V @ V.conj().T, np.eye(3), atol=1e-15)


@pytest.mark.parametrize("basis", ["down", "up"])
def test_doublet_structure_in_mass_basis(basis):
    """Basis-independent SU(2)_L identities: u_L(mass) = V d_L(mass) inside each doublet, so
    s1_uc_eL = -V^* s1_dc_nuL and r2_u_NR = V r2_d_NR; right-handed couplings are the matrices themselves."""
    p = random_point(basis)
    mb = p.mass_basis()
    V = ckm_matrix()
    np.testing.assert_allclose(mb.s1_uc_eL, -V.conj() @ mb.s1_dc_nuL, atol=1e-14)
    np.testing.assert_allclose(mb.r2_u_NR, V @ mb.r2_d_NR, atol=1e-14)
    assert np.array_equal(mb.s1_uc_eR, p.y_RR) and np.array_equal(mb.s1_dc_NR, p.ybar_RR)
    assert np.array_equal(mb.r2_d_nuL, p.yt_RL) and np.array_equal(mb.r2_d_eL, -p.yt_RL)
    # the basis in which the doublet is "aligned" carries the matrix unrotated (docs/theory.md §a.3)
    if basis == "down":
        assert np.array_equal(mb.s1_dc_nuL, -p.y_LL) and np.array_equal(mb.r2_d_NR, p.yt_LR)
    else:
        assert np.array_equal(mb.s1_uc_eL, p.y_LL) and np.array_equal(mb.r2_u_NR, p.yt_LR)


def test_up_and_down_basis_give_the_same_physics():
    """A down-basis point and its rotation y_LL -> V^* y_LL, yt_LR -> V yt_LR in the up basis have the same
    mass-basis couplings (CKM unitarity), hence the same c_S, c_R."""
    p = random_point("down")
    V = ckm_matrix()
    q = p.replace(quark_basis="up", y_LL=V.conj() @ p.y_LL, yt_LR=V @ p.yt_LR)
    a, b = p.mass_basis(), q.mass_basis()
    for f in dataclasses.fields(a):
        if f.name != "quark_basis":
            np.testing.assert_allclose(getattr(a, f.name), getattr(b, f.name), rtol=0, atol=1e-14)
    for x, y in zip(couplings_cS_cR(p), couplings_cS_cR(q), strict=True):
        np.testing.assert_allclose(x, y, atol=1e-14)
    # to_quark_basis does the same rotation and round-trips
    r = p.to_quark_basis("up")
    np.testing.assert_allclose(r.y_LL, q.y_LL, atol=1e-15)
    back = r.to_quark_basis("down")
    np.testing.assert_allclose(back.y_LL, p.y_LL, atol=1e-14)
    np.testing.assert_allclose(back.yt_LR, p.yt_LR, atol=1e-14)


def test_unitarity_preserves_column_norms():
    """sum_i |coupling_{i l}|^2 over a full quark multiplet is basis independent (V unitary)."""
    p = random_point("down")
    mb = p.mass_basis()
    np.testing.assert_allclose((abs(mb.s1_uc_eL) ** 2).sum(0), (abs(p.y_LL) ** 2).sum(0), rtol=1e-13)
    np.testing.assert_allclose((abs(mb.r2_u_NR) ** 2).sum(0), (abs(p.yt_LR) ** 2).sum(0), rtol=1e-13)


def test_only_Q3_down_basis_has_no_b_to_s_but_up_basis_does():
    """docs/theory.md §f.7: 'couples only to Q^3' -> no s-quark coupling in the down basis, ~V_ts in the up basis."""
    y = np.zeros((3, 3))
    y[2, 1] = 1.0
    down = Point(m_S1=1e3, m_R2=1e3, y_LL=y).mass_basis()
    up = Point(m_S1=1e3, m_R2=1e3, y_LL=y, quark_basis="up").mass_basis()
    assert down.s1_dc_nuL[1, 1] == 0
    V = ckm_matrix()
    assert abs(up.s1_dc_nuL[1, 1]) == pytest.approx(abs(V[2, 1]), rel=1e-14)
    assert abs(down.s1_uc_eL[1, 1]) == pytest.approx(abs(V[1, 2]), rel=1e-14)  # c-mu coupling ~ V_cb


def test_mass_basis_is_batched():
    y = rand_c(4)
    p = Point(m_S1=1e3, m_R2=1e3, y_LL=y, quark_basis="up")
    mb = p.mass_basis()
    assert mb.s1_dc_nuL.shape == (4, 3, 3)
    one = Point(m_S1=1e3, m_R2=1e3, y_LL=y[2], quark_basis="up")
    np.testing.assert_allclose(mb.s1_dc_nuL[2], one.mass_basis().s1_dc_nuL)


# ----------------------------------------------------------------------------- vary
def test_vary_scalars_entries_and_shorthand():
    base = voloshin(1000.0, 0.05, 1.0, "mu")
    y1 = np.array([0.01, 0.02 + 0.01j, 0.3])
    p = vary(base, {"m_LQ": np.array([[500.0], [2000.0]]), "y1": y1, "M_N": 1e-4})
    assert p.batch_shape == (2, 3) and p.model == "voloshin"
    assert np.array_equal(p.m_S1, p.m_R2)
    cS, cR = couplings_cS_cR(p)
    np.testing.assert_allclose(cR, cS, rtol=0, atol=1e-17)  # relation kept (docs/theory.md §a.4)
    np.testing.assert_allclose(cS[..., 1, 0], np.broadcast_to(np.conj(y1), (2, 3)), rtol=1e-15)
    q = vary(base, {"y_LL[2, 1]": [0.5, 0.6]})
    assert q.model == "general" and q.y_LL[1, 2, 1] == 0.6
    r = vary(s1_only(1000.0, 0.05, 1.0, "tau"), {"y1p": [0.1, 0.2], "m_S1": [800.0, 900.0]})
    assert r.model == "s1" and r.y_RR[1, 2, 2] == 0.2 and r.m_R2.tolist() == [1000.0, 1000.0]
    s = vary(base, {"m_b": np.linspace(1, 5, 5)})
    assert s.m_b_scheme == "custom" and s.batch_shape == (5,)


@pytest.mark.parametrize("assign, err, pattern", [
    ({"m_LQ": 1.0, "m_S1": 2.0}, PointError, r"both set m_S1"),
    ({"y1": 0.1, "ybar_RR[2,0]": 0.2}, PointError, r"both set ybar_RR"),
    ({"m_s1": 1.0}, UnknownNameError, r"Did you mean 'm_S1'"),
    ({"y_LL[3,0]": 1.0}, PointError, r"index out of range"),
    ({"yLL[1,1]": 1.0}, UnknownNameError, r"unknown parameter"),
    ({"m_S1": [1.0, 2.0], "m_R2": [1.0, 2.0, 3.0]}, PointError, r"shapes do not broadcast"),
    ({"m_S1": [1000.0, -1.0]}, PointError, r"m_S1 must be a positive"),
])
def test_vary_errors(assign, err, pattern):
    with pytest.raises(err, match=pattern):
        vary(voloshin(1000.0, 0.05, 1.0, "mu"), assign)


def test_vary_shorthand_needs_model_and_lepton():
    with pytest.raises(PointError, match="needs a base point with model 's1' or 'voloshin'"):
        vary(Point(m_S1=1e3, m_R2=1e3), {"y1": 0.1})
    with pytest.raises(PointError, match="needs the base point's lepton"):
        vary(Point(m_S1=1e3, m_R2=1e3, model="s1"), {"y2": 0.1})


def test_vary_million_points_is_fast():
    import time

    base = voloshin(1000.0, 0.05, 1.0, "mu")
    t = time.perf_counter()
    p = vary(base, {"m_LQ": RNG.uniform(500, 5000, 10**6), "y1": RNG.uniform(0, 1, 10**6)})
    p.mass_basis()
    assert p.batch_shape == (10**6,)
    assert time.perf_counter() - t < 10.0  # generous: shared 2-core machine; typically ~1 s


def test_moments_do_not_depend_on_the_basis_used_to_write_the_point():
    """Physics is basis independent: the same point in the up basis gives the same mu_nu and m_nuN."""
    from lqmodel.models import voloshin_split
    from lqmodel.moments import compute_moments

    p = voloshin_split(1000.0, 1300.0, 0.2 * np.exp(0.3j), 0.9, "tau", y1p=0.1)
    q = p.to_quark_basis("up")
    assert q.model == "voloshin" and q.quark_basis == "up"
    a, b = compute_moments(p), compute_moments(q)
    np.testing.assert_allclose(a.mu_muB, b.mu_muB, rtol=1e-12, atol=1e-30)
    np.testing.assert_allclose(a.m_nuN_GeV, b.m_nuN_GeV, rtol=1e-12, atol=1e-30)
    r = random_point("down")  # general couplings: also the S1-only and R2-only pieces
    np.testing.assert_allclose(compute_moments(r).mu_muB, compute_moments(r.to_quark_basis("up")).mu_muB,
                               rtol=1e-10, atol=1e-25)
