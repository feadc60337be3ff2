"""The neutrino-mass side (lqmodel.neutrino_mass, observables.neutrino.mass_bounds, y_nu, the MSbar loop mass)
against independent references: the symbolic derivation (lqmodel.derivation, sympy, Delta -> 0, mu -> m_S1),
mpmath diagonalisation at 80 digits, numpy eigh of M^dagger M, a generic SVD Takagi factorisation, the
seesaw and pseudo-Dirac limits, closed-form inverses, the analytic mu/m ratio of docs/normalisation.md §4,
and the published bounds of observables/data/neutrino_mass (Planck 2018 arXiv:1807.06209, KATRIN
arXiv:2406.13516, NuFIT 6.0 arXiv:2410.05380).
"""
from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest

from lqmodel import neutrino_mass as nmod
from lqmodel.models import s1_only, voloshin, voloshin_mismatch, voloshin_split
from lqmodel.moments import KappaNotIncludedWarning, compute_moments
from lqmodel.point import Point, PointError, UnknownNameError, vary
from lqmodel.pointfile import dumps_point, loads_point, point_from_mapping
from observables.neutrino import mass_bounds as mbd
from observables.parameters import value

MU, N1 = 1, 0
RNG = np.random.default_rng(20261201)


def _vev():
    return (math.sqrt(2.0) * value("G_F")) ** -0.5


def _general_b_point(mS, mR, cS_parts, cR_parts, **kw):
    """b-row couplings only: c_S = ybar[b,N1]* y_LL[b,mu], c_R = yt_RL[b,mu] yt_LR[b,N1]* (real here)."""
    z = np.zeros((3, 3), complex)
    ybar, yLL, ytRL, ytLR = z.copy(), z.copy(), z.copy(), z.copy()
    ybar[2, 0], yLL[2, 1] = cS_parts
    ytRL[2, 1], ytLR[2, 0] = cR_parts
    return Point(m_S1=mS, m_R2=mR, ybar_RR=ybar, y_LL=yLL, yt_RL=ytRL, yt_LR=ytLR, **kw)


# ------------------------------------------------------------------ 1. MSbar loop mass vs the symbolic derivation
@pytest.mark.parametrize("mu_scale", [None, 250.0, 4000.0])
def test_msbar_finite_part_equals_symbolic_derivation(mu_scale):
    from loops import pv
    from lqmodel import derivation as d

    mS, mR, mb = 1000.0, 1300.0, 4.18
    p = _general_b_point(mS, mR, (0.3, 0.7), (-0.2, -0.5), m_b=mb, m_b_scheme="custom")
    cS, cR = 0.3 * 0.7, (-0.2) * (-0.5)
    mu = mS if mu_scale is None else mu_scale
    ref = float(d.m_nuN().subs({pv.DELTA: 0, pv.MU: mu, d.c_S: cS, d.c_R: cR, d.m_S: mS, d.m_R: mR,
                                d.m_b: mb}).evalf(30))
    for precision in ("double", "mp"):
        m = compute_moments(p, uv="msbar", mu_GeV=mu_scale, precision=precision)
        assert m.uv_divergent[MU, N1]
        assert m.m_nuN_GeV[MU, N1].real == pytest.approx(ref, rel=1e-12)
    assert np.isnan(compute_moments(p).m_nuN_GeV[MU, N1])   # the default still refuses to give a number


def test_msbar_option_leaves_finite_masses_unchanged_and_mixing_paths_agree():
    p = voloshin_split(1000.0, 1200.0, 0.05 + 0.02j, 1.0, "mu")
    a, b = compute_moments(p).m_nuN_GeV, compute_moments(p, uv="msbar").m_nuN_GeV
    assert np.array_equal(a, b)
    # kappa mixing: the vectorised path (eigenstate weights) against the naive 50-digit mpmath path
    q = voloshin_mismatch(1000.0, 0.05, 1.0, "mu", 0.7).replace(kappa=300.0, m_R2=1100.0)
    with pytest.warns(KappaNotIncludedWarning):
        d = compute_moments(q, uv="msbar")
    with pytest.warns(KappaNotIncludedWarning):
        h = compute_moments(q, uv="msbar", precision="mp")
    assert d.uv_divergent[MU, N1]
    assert d.m_nuN_GeV[MU, N1] == pytest.approx(h.m_nuN_GeV[MU, N1], rel=1e-11)
    with pytest.raises(ValueError, match="unknown uv option"):
        compute_moments(p, uv="cutoff")


# ------------------------------------------------------------------ 2. y_nu as a point parameter
def test_y_nu_point_files_vary_and_round_trip(tmp_path):
    base = {"model": "voloshin", "m_LQ": 1000.0, "y1": 0.05, "y2": 1.0, "lepton": "mu"}
    p = point_from_mapping({**base, "y_nu": {"mu": "1e-12-2e-13j", "e": 3e-13}})
    assert p.y_nu[1, 0] == 1e-12 - 2e-13j and p.y_nu[0, 0] == 3e-13 and np.all(p.y_nu[:, 1:] == 0)
    q = point_from_mapping({**base, "y_nu": [[1e-12], [0.0], [[0.0, -0.0]]]})
    assert q.y_nu[0, 0] == 1e-12 and q.y_nu.shape == (3, 3)
    for pt in (p, q):
        for fmt in ("yaml", "json"):
            back = loads_point(dumps_point(pt, fmt), fmt=fmt)
            assert back == pt
            assert np.array_equal(np.signbit(back.y_nu.imag), np.signbit(pt.y_nu.imag))  # -0.0 kept
    path = tmp_path / "p.json"
    p.save(path)
    assert Point.load(path) == p
    # a point without y_nu writes no y_nu key (older files and scan fingerprints unchanged)
    assert "y_nu" not in voloshin(1000.0, 0.05, 1.0, "mu").to_dict()
    b = vary(p, {"y_nu[1,0]": np.array([1e-12, 2e-12])})
    assert b.batch_shape == (2,) and b.y_nu[1, 1, 0] == 2e-12 and b.model == "voloshin"
    assert b[0].y_nu[0, 0] == 3e-13
    with pytest.raises(UnknownNameError, match="unknown lepton 'muon'"):
        point_from_mapping({**base, "y_nu": {"muon": 1e-12}})
    with pytest.raises(PointError, match="y_nu must be a mapping"):
        point_from_mapping({**base, "y_nu": [1e-12, 0, 0]})
    with pytest.raises(PointError, match="finite"):
        Point(m_S1=1e3, m_R2=1e3, y_nu=np.full((3, 3), np.nan))


def test_tree_mass_convention_adds_to_the_loop():
    """m_D = y_nu v/sqrt2 + m_loop: a y_nu chosen as -m_loop sqrt2/v removes the Dirac mass entirely."""
    p = voloshin_split(1000.0, 1050.0, 0.05, 1.0, "mu")
    loop = compute_moments(p).m_nuN_GeV[MU, N1]
    y = np.zeros((3, 3), complex)
    y[MU, N1] = -loop * math.sqrt(2.0) / _vev()
    nm = nmod.neutrino_mass(p.replace(y_nu=y, N_type="majorana", M_N=1e-4))
    assert abs(nm.m_D_GeV[MU]) <= 1e-15 * abs(loop)
    assert nm.m_light_eV[2] <= 1e-20
    assert nm.tuning > 1   # the tuning is a property of the loop, not of how well y_nu cancels it
    assert bool(nm.allowed) and not bool(nmod.neutrino_mass(p.replace(N_type="majorana", M_N=1e-4)).allowed)
    # 'allowed' <=> |m_D| <= m_D^max (light-mass bound; no mixing limit applies at 100 keV for mu)
    for f in (0.99, 1.01):
        y2 = y.copy()
        y2[MU, N1] *= 1 - f * float(nm.m_D_max_eV) / (abs(loop) * 1e9)
        assert bool(nmod.neutrino_mass(p.replace(y_nu=y2, N_type="majorana", M_N=1e-4)).allowed) is (f < 1)


def test_delta_m2_shorthand():
    p = voloshin(1000.0, 0.05, 1.0, "mu")
    b = vary(p, {"m_LQ": np.array([1000.0, 2000.0]), "delta_m2": np.array([1e-4, 1.0])})
    np.testing.assert_allclose(b.m_R2, [1000.0 * math.sqrt(1 + 1e-4), 2000.0 * math.sqrt(2.0)], rtol=1e-15)
    assert b.model == "voloshin" and np.array_equal(b.m_S1, [1000.0, 2000.0])
    with pytest.raises(PointError, match="both set m_R2"):
        vary(p, {"delta_m2": 0.1, "m_R2": 1200.0})
    with pytest.raises(PointError, match="> -1"):
        vary(p, {"delta_m2": -1.0})


# ------------------------------------------------------------------ 3. exact spectrum
def _rand_mD(scale, shape=()):
    return (RNG.normal(size=shape + (3,)) + 1j * RNG.normal(size=shape + (3,))) * scale / math.sqrt(6)


@pytest.mark.parametrize("ratio", [1e-3, 0.1, 1.0, 10.0])
def test_takagi_is_exact_and_agrees_with_eigh_and_svd(ratio):
    M = 2.5
    mD = _rand_mD(ratio * M)
    Mm = nmod.neutral_mass_matrix(mD, M)
    W, masses = nmod.takagi_rank2(mD, M)
    assert np.abs(W.conj().T @ W - np.eye(4)).max() < 1e-14
    assert np.abs(W.T @ Mm @ W - np.diag(masses)).max() < 1e-14 * masses.max()
    # independent 1: Hermitian eigenproblem of M^dagger M (masses^2 and |U|^2 of the heavy state)
    ev, vec = np.linalg.eigh(Mm.conj().T @ Mm)
    # float eigenvalues of M^dagger M carry an absolute error ~ eps M_h^2 (hence the atol)
    np.testing.assert_allclose(ev[2:], masses[2:] ** 2, rtol=1e-12, atol=1e-14 * masses.max() ** 2)
    np.testing.assert_allclose(np.abs(vec[:3, 3]) ** 2, np.abs(W[:3, 3]) ** 2, rtol=1e-9, atol=1e-15)
    # independent 2: generic Takagi from the SVD
    Ws, sig = nmod.takagi_svd(Mm)
    np.testing.assert_allclose(sig[2:], masses[2:], rtol=1e-12, atol=1e-14 * masses.max())
    assert np.abs(Ws.T @ Mm @ Ws - np.diag(sig)).max() < 1e-13 * masses.max()
    light, heavy, U2 = nmod.majorana_spectrum(mD, M)
    assert light[2] == masses[2] and heavy == masses[3]
    np.testing.assert_allclose(U2, np.abs(W[:3, 3]) ** 2, rtol=1e-14)


@pytest.mark.parametrize("eps", [1e-10, 3e-14])
def test_tiny_mixing_vs_mpmath(eps):
    """|U|^2 ~ eps^2 (1e-20 and 1e-27): the closed form keeps every digit; float eigh of the 4x4 cannot."""
    M = 1e-3
    mD = np.array([1.0, 2.0j, -0.5 + 0.3j]) * eps * M
    light, heavy, U2 = nmod.majorana_spectrum(mD, M)
    with mpmath.workdps(80):
        A = mpmath.matrix(4, 4)
        for i in range(3):
            A[i, 3] = A[3, i] = mpmath.mpc(mD[i].real, mD[i].imag)
        A[3, 3] = mpmath.mpf(M)
        E, Q = mpmath.eigh(A.H * A)
        order = sorted(range(4), key=lambda i: E[i])
        m_ref = [float(mpmath.sqrt(abs(E[i]))) for i in order]
        u_ref = [float(abs(Q[a, order[3]]) ** 2) for a in range(3)]
    assert light[2] == pytest.approx(m_ref[2], rel=1e-13)
    assert heavy == pytest.approx(m_ref[3], rel=1e-14)
    np.testing.assert_allclose(U2, u_ref, rtol=1e-13)
    naive = np.sqrt(np.abs(np.linalg.eigvalsh(nmod.neutral_mass_matrix(mD, M).conj().T
                                              @ nmod.neutral_mass_matrix(mD, M))))
    assert abs(np.sort(naive)[2] / m_ref[2] - 1) > 1.0   # why the closed form is needed


def test_seesaw_and_pseudo_dirac_limits_and_batching():
    M = np.array([1.0, 1.0, 1.0])
    a = np.array([1e-6, 1e-4, 1e-2])
    mD = np.stack([a * 0.6, a * 0.8j, 0 * a], axis=-1)
    light, heavy, U2 = nmod.majorana_spectrum(mD, M)
    x = (a / M) ** 2
    # m = a^2/M (1 - a^2/M^2 + ...)
    np.testing.assert_allclose(light[:, 2] / (a * a / M), 1 - x, rtol=3 * x.max() ** 2 + 1e-15)
    np.testing.assert_allclose(U2.sum(-1) / x, 1 - 3 * x, rtol=10 * x.max() ** 2 + 1e-15)
    np.testing.assert_allclose(U2[:, 0] / U2[:, 1], 0.36 / 0.64, rtol=1e-14)
    # trace and determinant of the 2x2 block [[0, a], [a, M]]: M_h - m_l = M, M_h m_l = a^2
    np.testing.assert_allclose(heavy - light[:, 2], M, rtol=1e-14)
    np.testing.assert_allclose(heavy * light[:, 2], a * a, rtol=1e-14)
    assert np.all(light[:, :2] == 0)
    # batch = loop
    for i in range(3):
        l1, h1, u1 = nmod.majorana_spectrum(mD[i], M[i])
        assert np.array_equal(l1, light[i]) and h1 == heavy[i] and np.array_equal(u1, U2[i])
    # pseudo-Dirac: M_N -> 0 gives two states of mass a with maximal mixing, continuously
    mD0 = np.array([0.3, 0.4j, 0.0])
    for MN in (0.0, 1e-12):
        l0, h0, u0 = nmod.majorana_spectrum(mD0, MN)
        assert l0[2] == pytest.approx(0.5, rel=1e-11) and h0 == pytest.approx(0.5, rel=1e-11)
        np.testing.assert_allclose(u0, [0.36 / 2, 0.64 / 2, 0.0], rtol=1e-11)
    W, masses = nmod.takagi_rank2(mD0, 0.0)
    Mm = nmod.neutral_mass_matrix(mD0, 0.0)
    assert np.abs(W.T @ Mm @ W - np.diag(masses)).max() < 1e-15


def test_dirac_spectrum_vs_svd_of_the_4x1_matrix():
    for a_over_M in (1e-3, 0.5, 2.0):
        M = 7.0
        mD = _rand_mD(a_over_M * M)
        a = np.linalg.norm(mD)
        sv = np.linalg.svd(np.concatenate([mD, [M]])[:, None], compute_uv=False)
        light, heavy, U2 = nmod.dirac_spectrum(mD, M)
        massive = max(light[2], heavy)
        assert massive == pytest.approx(sv[0], rel=1e-14) and np.count_nonzero(light[:2]) == 0
        if a <= M:
            np.testing.assert_allclose(U2, np.abs(mD) ** 2 / sv[0] ** 2, rtol=1e-13)
    light, heavy, U2 = nmod.dirac_spectrum(np.array([0.0, 0.1, 0.0]), 0.0)
    assert light[2] == pytest.approx(0.1) and heavy == 0.0 and np.all(U2 == 0)


# ------------------------------------------------------------------ 4. bounds and m_D^max
def test_m_D_max_is_the_exact_inverse_of_the_spectrum():
    M = np.array([0.0, 1e3, 1e6, 1e9])              # eV
    for mx in (0.05, 0.1):
        amax = nmod.max_dirac_mass_eV(M, mx, "majorana")
        light, _, _ = nmod.majorana_spectrum(np.stack([amax, 0 * amax, 0 * amax], -1), M)
        np.testing.assert_allclose(light[:, 2], mx, rtol=1e-12)
    # the estimate: M_N ~ MeV, m_nu ~ 0.1 eV -> m_D^max ~ 300 eV = sqrt(m M)
    assert float(nmod.max_dirac_mass_eV(1e6, 0.1)) == pytest.approx(math.sqrt(0.1 * 1e6), rel=1e-7)
    assert 250 < float(nmod.max_dirac_mass_eV(1e6, 0.1)) < 350
    assert float(nmod.max_dirac_mass_eV(0.0, 0.1, "dirac")) == 0.1
    # a mixing limit: sin^2(theta) at the returned a equals it
    a = float(nmod.max_dirac_mass_eV(1e8, 1e3, "majorana", 1e-8))   # mixing binds
    _, _, U2 = nmod.majorana_spectrum(np.array([a, 0, 0]), 1e8)
    assert U2[0] == pytest.approx(1e-8, rel=1e-12)
    a = float(nmod.max_dirac_mass_eV(1e8, 1e3, "dirac", 1e-8))
    _, _, U2 = nmod.dirac_spectrum(np.array([a, 0, 0]), 1e8)
    assert U2[0] == pytest.approx(1e-8, rel=1e-12)


def test_light_mass_bounds_data_and_oscillations():
    b = dict(mbd.light_mass_bounds())
    assert (b["planck2018"].kind, b["planck2018"].value_eV, b["planck2018"].cl) == ("sum", 0.12, 0.95)
    assert (b["katrin2024"].kind, b["katrin2024"].value_eV, b["katrin2024"].cl) == ("m_beta", 0.45, 0.9)
    assert b["desi2024"].value_eV == 0.072 and b["desi2025"].value_eV == 0.0642
    assert "1807.06209" in b["planck2018"].source and "2406.13516" in b["katrin2024"].source
    assert mbd.light_mass_bound(None).name == "planck2018"
    # NO, the single mass as m_3: sum = m + sqrt(m^2 - d31) + sqrt(m^2 - d31 + d21) = 0.12 (NuFIT 6.0 splittings)
    d21, d31 = 7.49e-5, 2.513e-3
    m = mbd.max_single_light_mass_eV("planck2018")
    assert m + math.sqrt(m * m - d31) + math.sqrt(m * m - d31 + d21) == pytest.approx(0.12, rel=1e-12)
    assert float(mbd.minimal_sum_eV(0.0)) == pytest.approx(math.sqrt(d21) + math.sqrt(d31), rel=1e-12)
    assert mbd.max_single_light_mass_eV("katrin2024") == 0.45 and mbd.max_single_light_mass_eV(0.1) == 0.1
    with pytest.raises(ValueError, match="below the minimal sum"):
        mbd.max_single_light_mass_eV("desi2025", "IO")
    with pytest.raises(KeyError, match="allowed: planck2018"):
        mbd.light_mass_bound("planck")
    u, n = mbd.mixing_upper_bound("e", [1e3, 5.5e7, 1e8, 2e8])
    assert u.tolist() == [np.inf, 1e-7, 1e-8, np.inf] and n[0] == "" and "PIENU" in n[2]
    assert np.all(np.isinf(mbd.mixing_upper_bound("tau", [1e3, 1e8])[0]))


# ------------------------------------------------------------------ 5. the estimates and the tuning
def test_s1_alone_at_1e_10_muB_gives_tens_of_MeV_as_the_ratio_formula_says():
    from loops import numeric

    p = s1_only(1000.0, 0.05, 1.0, "mu")
    m = compute_moments(p, uv="msbar")
    scale = 1e-10 / abs(m.mu_muB[MU, N1])                 # couplings for mu_nu = 1e-10 mu_B
    m_GeV = abs(m.m_nuN_GeV[MU, N1]) * scale
    assert m.uv_divergent[MU, N1]
    # docs/normalisation.md §4: mu/mu_B = (4/3) g m_e m_nuN/(delta m^2); S1 alone is the maximal breaking delta ~ 1
    g = float(numeric.g((4.18 / 1000.0) ** 2))
    ratio_estimate = 0.75 * 1e-10 * 1000.0**2 / (g * value("m_e"))
    assert 1e-3 < m_GeV < 1e-1                            # O(10 MeV): the natural size
    assert 1 / 3 < m_GeV / ratio_estimate < 3
    nm = nmod.neutrino_mass(p.replace(N_type="majorana", M_N=1e-3))
    assert nm.scheme == nmod.SCHEME_MSBAR and bool(nm.uv_divergent_loop)
    assert nm.tuning * scale > 1e4                        # m_D^max ~ 240 eV at 1 MeV


def test_alpha_over_4pi_splitting_leaves_keV_and_tuning_limits():
    a = value("alpha_0") / (4 * math.pi)
    base = voloshin_split(1000.0, 1000.0 * math.sqrt(1 + a), 1.0, 1.0, "mu", N_type="majorana", M_N=1e-4)
    c = 3e-11 / abs(compute_moments(base).mu_muB[MU, N1])
    p = voloshin_split(1000.0, 1000.0 * math.sqrt(1 + a), c, 1.0, "mu", N_type="majorana", M_N=1e-4)
    m_eV = abs(compute_moments(p).m_nuN_GeV[MU, N1]) * 1e9
    from loops import numeric

    g = float(numeric.g((4.18 / 1000.0) ** 2))
    assert 1e3 < m_eV < 1e4                                                  # keV
    assert m_eV == pytest.approx(3e-11 * a * 1e6 / (4 / 3 * g * value("m_e")) * 1e9, rel=1e-3)
    nm = nmod.neutrino_mass(p)
    assert nm.scheme == "finite" and not nm.uv_divergent_loop
    assert nm.tuning == pytest.approx(m_eV / nm.m_D_max_eV, rel=1e-14)
    assert float(nm.m_D_max_eV) == pytest.approx(math.sqrt(nm.m_nu_max_eV * (nm.m_nu_max_eV + 1e5)), rel=1e-14)
    s1 = nmod.tuning_s1_same_mu(p, nm=nm)
    assert s1 > 1e3 * nm.tuning                          # the Voloshin advantage at equal mu_nu
    # limiting cases of the definition: exact SU(2)_H -> 0; S1 alone -> its own natural size
    assert float(nmod.neutrino_mass(voloshin(1000.0, c, 1.0, "mu", N_type="majorana", M_N=1e-4)).tuning) == 0.0
    q = s1_only(1000.0, c, 1.0, "mu", N_type="majorana", M_N=1e-4)
    assert float(nmod.tuning_s1_same_mu(q)) == pytest.approx(float(nmod.neutrino_mass(q).tuning), rel=1e-12)


def test_mixing_limit_binds_for_a_dirac_N_in_the_pion_window():
    p = voloshin_split(1000.0, 1100.0, 0.05, 1.0, "e", N_type="dirac", M_N=0.08)
    nm = nmod.neutrino_mass(p)
    assert "PIENU" in str(nm.binding)
    assert float(nm.m_D_max_eV) == pytest.approx(8e7 * math.sqrt(1e-8 / (1 - 1e-8)), rel=1e-12)
    assert str(nmod.neutrino_mass(p, mixing=False).binding) == "light mass"


def test_batched_neutrino_mass_equals_point_by_point():
    base = voloshin(1000.0, 0.05, 1.0, "mu", N_type="majorana", M_N=1e-4)
    b = vary(base, {"delta_m2": np.logspace(-5, -1, 3), "y_nu[1,0]": np.array([0.0, 1e-9, -2e-9j])})
    nb = nmod.neutrino_mass(b)
    for i in range(3):
        ni = nmod.neutrino_mass(b[i])
        np.testing.assert_allclose(nb.m_light_eV[i], ni.m_light_eV, rtol=1e-13)
        assert nb.tuning[i] == pytest.approx(float(ni.tuning), rel=1e-13)
        np.testing.assert_allclose(nb.U2[i], ni.U2, rtol=1e-13, atol=0)


def test_cli_json_contract(tmp_path, capsys):
    from lqmodel.cli import main

    f = tmp_path / "p.yaml"
    f.write_text("model: s1\nm_S1: 1000\ny1: 0.05\ny2: 1.0\nlepton: mu\nN_type: majorana\nM_N_keV: 1000\n"
                 "y_nu: {mu: 1.0e-5}\n", encoding="utf-8")
    assert main(["point", str(f), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    nm = out["neutrino_mass"]
    assert {"m_light_eV", "M_heavy_eV", "U2", "m_D_eV", "m_D_max_eV", "tuning", "bound"} <= set(nm)
    assert len(nm["m_light_eV"]) == 3 and set(nm["U2"]) == set(nm["m_D_eV"]) == {"e", "mu", "tau"}
    assert nm["scheme"] == "MSbar(mu=m_LQ)" and nm["uv_divergent_loop"] is True and "Planck 2018" in nm["bound"]
    loop = nm["m_D_loop_eV"]["mu"]
    tree = 1e-5 * _vev() / math.sqrt(2) * 1e9
    assert nm["m_D_tree_eV"]["mu"] == pytest.approx(tree, rel=1e-12)
    assert (nm["m_D_eV"]["mu"] == pytest.approx(abs(tree - loop), rel=1e-9)
            or nm["m_D_eV"]["mu"] == pytest.approx(tree + loop, rel=1e-9))
    assert "mu_nu_muB" in out and "m_nuN_GeV" in out and out["inputs"]["y_nu"][1][0] == 1e-5
    assert main(["point", str(f)]) == 0
    assert "tuning Delta" in capsys.readouterr().out


# ------------------------------------------------------------------ 6. scan columns, map layer, built-in map
def test_scan_columns_and_tuning_map_layer():
    import pandas as pd

    from lqmodel.evaluate import PointEvaluator
    from lqmodel.plotting.maps import TUNING_LEVELS, plot_map
    from lqmodel.scan.config import to_assignments

    base = voloshin(1000.0, 0.05, 1.0, "mu", N_type="majorana", M_N=1e-4)
    dm2, p = np.meshgrid(np.logspace(-6, 0, 7), np.logspace(-3, 0, 5), indexing="ij")
    ev = PointEvaluator(observables=None, neutrino=False, collider=False)
    cols = ev(base, to_assignments({"delta_m2": dm2.ravel(), "y1y2": p.ravel()}))
    for k in ("tuning", "tuning_S1_same_mu", "m_D_max_eV", "m_light_max_eV", "U2_mu_N1", "m_D_mu_N1_eV"):
        assert k in cols and ev.units[k] in ("1", "eV")
    assert set(cols) <= set(ev.units)
    nm = nmod.neutrino_mass(vary(base, to_assignments({"delta_m2": dm2.ravel(), "y1y2": p.ravel()})))
    np.testing.assert_array_equal(cols["tuning"], nm.tuning)
    # Delta grows with the breaking (~ c delta), S1 alone does not depend on delta and is always worse
    t = cols["tuning"].reshape(dm2.shape)
    assert np.all(np.diff(t, axis=0) > 0) and np.all(cols["tuning_S1_same_mu"] > cols["tuning"])
    df = pd.DataFrame({"delta_m2": dm2.ravel(), "y1y2": p.ravel(), **cols})
    fig = plot_map(df, "delta_m2", "y1y2")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("tuning" in s for s in labels) and any("alone" in s for s in labels)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {r"$\Delta=1$", r"$\Delta=10$"} <= texts and TUNING_LEVELS == (1.0, 10.0, 100.0, 1000.0)


def test_builtin_tuning_map_config():
    from lqmodel.evaluate import PointEvaluator, resolve_base
    from lqmodel.scan.benchmarks import list_map_benchmarks, map_benchmark

    assert "voloshin_tuning_delta_y1y2" in list_map_benchmarks()
    cfg = map_benchmark("voloshin_tuning_delta_y1y2")
    point = resolve_base(cfg.base)
    assert point.model == "voloshin" and point.N_type == "majorana"
    assert point.M_N == pytest.approx(1e-4)  # noqa: SIM300 - M_N is physics notation, not a constant
    ev = PointEvaluator.from_options(cfg.evaluation)
    assert ev.neutrino_mass and ev.mass_bound == "planck2018"
    assert (cfg.plot["x"], cfg.plot["y"]) == ("delta_m2", "y1y2")


def test_evaluator_keeps_nan_for_divergent_m_nuN_and_flags_the_scheme():
    from lqmodel.evaluate import PointEvaluator

    b = voloshin_mismatch(1000.0, 0.05, 1.0, "mu", 0.7)
    a = {"ybar_RR[2,0]": np.array([0.1, 0.2])}
    on = PointEvaluator(observables=None, neutrino=False, collider=False)(b, a)
    off = PointEvaluator(observables=None, neutrino=False, collider=False, neutrino_mass=False)(b, a)
    assert np.all(np.isnan(on["m_nuN_mu_N1_GeV"])) and np.all(np.isnan(off["m_nuN_mu_N1_GeV"]))
    assert np.all(on["uv_divergent_loop"]) and np.all(on["tuning"] > 1) and "tuning" not in off
    np.testing.assert_array_equal(on["mu_mu_N1_muB"], off["mu_mu_N1_muB"])
    with pytest.raises(ValueError, match="mass_bound must be one of"):
        PointEvaluator.from_options({"mass_bound": "planck"})
