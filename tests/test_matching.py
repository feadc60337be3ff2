"""Matching of leptoquark couplings onto WET coefficients (lqmodel.matching), without flavio.

Independent references: the published/derived numbers of docs/theory.md §c.2 (C_VL = 0.0361), the chirality
relations C_SL/C_T = -4 (S1) and C^N_SR/C^N_T = +4 (R2~) of §c.2/§c.3, wilson's WCxf basis file (names and
neutrino index order), mpmath quadrature of the Feynman-parameter integrals (g-2 loop functions with
numerators written here from Leveille 1978, the box integral), the generic loop engine
loops.dipole.anomalous_moment (sympy), and the leading-log g-2 form (ln - 7/4).
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from lqmodel.matching import LEPTONS, WilsonCoefficients, box_function, delta_a_lepton, lepton_dipoles, match
from lqmodel.models import s1_only, voloshin
from lqmodel.point import Point
from observables.parameters import ckm_matrix, value

V = ckm_matrix()
GF = value("G_F")


def _general(seed=0, scale=0.5, **kw):
    rng = np.random.default_rng(seed)
    mats = {n: scale * (rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3)))
            for n in ("y_LL", "y_RR", "ybar_RR", "yt_RL", "yt_LR")}
    mats.update(kw)
    args = dict(m_S1=1200.0, m_R2=1500.0, m_R2_23=1400.0)
    args.update(mats)
    return Point(**args)


# ------------------------------------------------------------------------------------ b -> c l nu
def test_cvl_published_number():
    """docs/theory.md §c.2: y_bnu y^{L*}_ctau = 0.1 at m = 1 TeV gives C_VL = 0.0361 (G_F, V_cb = 0.04197)."""
    # down basis: y^L_ctau = (V^* y^LL)_ctau = V*_cs t + V*_cb (y^LL_{b tau} = 1, y^LL_{s tau} = t)
    t = (0.1 - V[1, 2].real) / V[1, 1].real
    y = np.zeros((3, 3), complex)
    y[2, 2], y[1, 2] = 1.0, t
    p = Point(m_S1=1000.0, m_R2=1000.0, y_LL=y)
    product = y[2, 2] * np.conj((V.conj() @ y)[1, 2])
    assert abs(product - 0.1) < 2e-5  # V_cs has a tiny phase
    c = complex(match(p).values["CVL_bctaunutau"])
    assert round(c.real, 4) == 0.0361
    assert c.real == pytest.approx(product.real / (4 * math.sqrt(2) * GF * V[1, 2].real * 1e6), rel=1e-6)


def test_cvl_down_basis_only_q3():
    """docs/theory.md §c.2: Q^3 only, down basis: C_VL = |y2|^2/(4 sqrt2 G_F m^2) = 1.5e-3 for |y2|^2 = 0.1."""
    p = s1_only(1000.0, 0.0, math.sqrt(0.1), "tau")
    assert complex(match(p).values["CVL_bctaunutau"]).real == pytest.approx(1.5156e-3, rel=1e-3)


@pytest.mark.parametrize("seed", [1, 2])
def test_scalar_tensor_ratios(seed):
    """C_SL = -4 C_T (S1, every flavour); N_R operators: -4 from S1 alone, +4 from R2~ alone (§c.2, §c.3)."""
    p = _general(seed)
    wc = match(p)
    for lep in LEPTONS:
        for nu in LEPTONS:
            for quarks in ("bc", "bu", "sc", "su", "dc", "du"):
                csl, ct = wc.values[f"CSL_{quarks}{lep}nu{nu}"], wc.values[f"CT_{quarks}{lep}nu{nu}"]
                assert abs(csl) > 0
                assert csl / ct == pytest.approx(-4.0, rel=1e-12)
    z = np.zeros((3, 3), complex)
    only_s1 = match(p.replace(yt_RL=z, yt_LR=z))
    only_r2 = match(p.replace(y_LL=z, y_RR=z, ybar_RR=z))
    for k in (1, 2, 3):
        for lep in LEPTONS:
            name = f"bc{lep}N{k}"
            assert only_s1.right_handed_nu[f"CSR_{name}"] / only_s1.right_handed_nu[f"CT_{name}"] == pytest.approx(-4.0)
            assert only_r2.right_handed_nu[f"CSR_{name}"] / only_r2.right_handed_nu[f"CT_{name}"] == pytest.approx(4.0)
            assert only_r2.right_handed_nu[f"CVR_{name}"] == 0  # R2~ gives no vector N operator
    # the flavio-basis b -> c l nu coefficients come from S1 only
    assert all(only_r2.values[f"CVL_bc{l}nu{n}"] == 0 for l in LEPTONS for n in LEPTONS)


def test_positive_product_gives_positive_cvl():
    """Real positive y_bnu (V y^{LL*})_ctau gives C_VL > 0 (docs/theory.md §c.2; raises R(D(*)), checked with
    flavio)."""
    p = s1_only(1500.0, 0.0, 0.7, "tau")
    assert complex(match(p).values["CVL_bctaunutau"]).real > 0


# ------------------------------------------------------------------------------------ names, basis
@pytest.fixture(scope="module")
def basis():
    from wilson import wcxf

    b = wcxf.Basis["WET", "flavio"]
    return {k: v for s in b.sectors.values() for k, v in s.items()}


def test_all_names_in_wcxf_basis(basis):
    wc = match(_general(3))
    missing = sorted(k for k in wc.values if k not in basis)
    assert missing == []
    assert not set(wc.right_handed_nu) & set(basis)


def test_bsnunu_index_order_against_basis_file(basis):
    """S1 with b-nu_mu and s-nu_tau couplings: the operator has nu_tau-bar (paired with y*_s) ... nu_mu.

    The name that is non-zero must be the one whose WCxf definition has the barred nu_tau."""
    y = np.zeros((3, 3), complex)
    y[2, 1], y[1, 2] = 0.3, 0.2
    wc = match(Point(m_S1=1000.0, m_R2=1000.0, y_LL=y))
    nonzero = [k for k, v in wc.values.items() if k.startswith("CL_bsnu") and v != 0]
    assert nonzero == ["CL_bsnumunutau"]
    assert r"\bar \nu_\tau" in basis["CL_bsnumunutau"]["tex"]
    # same rule for R2~ (right-handed quark current): d_R couplings b-nu_e, s-nu_mu
    yt = np.zeros((3, 3), complex)
    yt[2, 0], yt[1, 1] = 0.3, 0.2
    wc = match(Point(m_S1=1000.0, m_R2=1000.0, yt_RL=yt))
    nonzero = [k for k, v in wc.values.items() if k.startswith("CR_bsnu") and v != 0]
    assert nonzero == ["CR_bsnumunue"]
    assert r"\bar \nu_e" in basis["CR_bsnumunue"]["tex"]
    # and for the tree-level R2~ b -> s l l' (C9p = -C10p)
    wc = match(Point(m_S1=1000.0, m_R2=1000.0, yt_RL=yt))
    assert wc.values["C9p_bsmue"] != 0 and wc.values["C9p_bsmue"] == -wc.values["C10p_bsmue"]
    assert r"\bar e" in basis["C9p_bsmue"]["tex"]


def test_bsnunu_normalisation():
    """docs/theory.md §c.4: C_L^{ij} = pi y_bi y*_sj / (2 sqrt2 G_F lambda_t alpha m^2), alpha = alpha(4.8 GeV) of
    flavio."""
    y = np.zeros((3, 3), complex)
    y[2, 1], y[1, 1] = 0.3 + 0.1j, -0.2
    wc = match(Point(m_S1=2000.0, m_R2=2000.0, y_LL=y))
    lam = V[2, 2] * np.conj(V[2, 1])
    expect = math.pi * y[2, 1] * np.conj(y[1, 1]) / (2 * math.sqrt(2) * GF * lam * value("alpha_e_flavio_4p8GeV") * 4e6)
    assert complex(wc.values["CL_bsnumunumu"]) == pytest.approx(expect, rel=1e-12)


# ------------------------------------------------------------------------------------ loops
def test_box_function_against_quadrature():
    for x in (1e-4, 0.03, 0.5, 0.9995, 1.0, 2.0, 30.0):
        ref = mpmath.quad(lambda t, x=x: t / ((t + x) * (t + 1) ** 2), [0, 1, mpmath.inf])
        assert float(box_function(x)) == pytest.approx(float(ref), rel=1e-10)


def test_box_loop_integral_normalisation():
    """int d^4k_E/(2pi)^4 1/(k^2 (k^2+M^2)^2) = 1/(16 pi^2 M^2) (Euclidean; the 1/(64 pi^2) of §c.5 after
    k_rho k_sigma -> g k^2/4)."""
    M = 1.7
    radial = mpmath.quad(lambda k: 2 * mpmath.pi**2 * k**3 / (k**2 * (k**2 + M**2) ** 2), [0, mpmath.inf])
    assert float(radial / (2 * mpmath.pi) ** 4) == pytest.approx(1 / (16 * math.pi**2 * M**2), rel=1e-12)


def test_s1_box_and_mixing_structure():
    """LQ-LQ boxes: C9 = -C10 for left-handed couplings, magnitude sqrt2 X/(128 pi alpha G_F lambda_t m^2) (§c.5);
    B_s mixing -(sum y_b y_s*)^2/(128 pi^2 m^2) (L = C O; sign derived in docs/matching.md §4)."""
    y = np.zeros((3, 3), complex)
    y[2, 1], y[1, 1] = 0.5, 0.4
    m = 3000.0
    p = Point(m_S1=m, m_R2=m, y_LL=y, quark_basis="up")  # up basis: u-type couplings are y itself
    mb = p.mass_basis()
    wc = match(p)
    X_q = np.sum(mb.s1_dc_nuL[2, :] * np.conj(mb.s1_dc_nuL[1, :]))
    x_up = np.array([value("m_u_MSbar_2GeV"), value("m_c_MSbar"), value("m_t_pole")]) ** 2 / m**2
    X_l = np.sum(box_function(x_up) * np.abs(mb.s1_uc_eL[:, 1]) ** 2)
    lam = V[2, 2] * np.conj(V[2, 1])
    mag = math.sqrt(2) * abs(X_q * X_l) / (128 * math.pi * value("alpha_e_flavio_4p8GeV") * GF * abs(lam) * m**2)
    from lqmodel.oneloop_bsll import bsll_oneloop  # W/G-LQ boxes and photon penguin: tests/test_bsll_oneloop.py

    extra = bsll_oneloop(p)
    c9 = complex(wc.values["C9_bsmumu"] - extra["C9_bsmumu"])
    c10 = complex(wc.values["C10_bsmumu"] - extra["C10_bsmumu"])
    assert c9 == pytest.approx(-c10, rel=1e-12)
    assert abs(c9) == pytest.approx(mag, rel=1e-12)
    assert complex(wc.values["CVLL_bsbs"]) == pytest.approx(-(X_q**2) / (128 * math.pi**2 * m**2), rel=1e-12)


# ------------------------------------------------------------------------------------ dipoles / g-2
_P = {  # Feynman-parameter numerators P(u), u = fermion weight (Leveille 1978; arXiv:0902.3360 Sec. 7)
    "g_F": lambda u: u**2,
    "g_phi": lambda u: u * (1 - u),
    "f_F": lambda u: u**2 * (1 - u) / 2,
    "f_phi": lambda u: u * (1 - u) ** 2 / 2,
}


def _quad(name, x):
    return mpmath.quad(lambda u: _P[name](u) / (1 - u + x * u), [0, 1])


def _delta_a_quadrature(l, r, m_S, m_F=None, m_mu=None):
    """Delta a_mu of S1 with one up quark (top) by mpmath quadrature: Q_F = -2/3, Q_phi = -1/3, N_c = 3."""
    m_F = value("m_t_pole") if m_F is None else m_F
    m_mu = value("m_mu") if m_mu is None else m_mu
    x = mpmath.mpf(m_F) ** 2 / m_S**2
    QF, Qp = mpmath.mpf(-2) / 3, mpmath.mpf(-1) / 3
    G = QF * _quad("g_F", x) - Qp * _quad("g_phi", x)
    FQ = QF * _quad("f_F", x) - Qp * _quad("f_phi", x)
    re_ab = (np.conj(l) * r).real
    return float(3 * m_mu / (8 * mpmath.pi**2 * m_S**2) / (-1)
                 * (m_F * re_ab * G + m_mu * (abs(l) ** 2 + abs(r) ** 2) * FQ))


@pytest.mark.parametrize("m_S, y2, y1p", [(1000.0, 0.1, 0.1), (2500.0, 0.7, -0.3), (800.0, 0.05 + 0.02j, 0.4j)])
def test_delta_a_mu_against_quadrature_and_loop_engine(m_S, y2, y1p):
    p = s1_only(m_S, 0.0, y2, "mu", y1p=y1p)
    mb = p.mass_basis()
    got = float(delta_a_lepton(p)[1])
    l, r = complex(mb.s1_uc_eL[2, 1]), complex(mb.s1_uc_eR[2, 1])
    # top by quadrature; u and c (through V* y^LL, suppressed by m_q) added separately
    ref = _delta_a_quadrature(l, r, m_S)
    light = 0.0
    for qi, mq in ((0, value("m_u_MSbar_2GeV")), (1, value("m_c_MSbar"))):
        light += _delta_a_quadrature(complex(mb.s1_uc_eL[qi, 1]), complex(mb.s1_uc_eR[qi, 1]), m_S, m_F=mq)
    assert got == pytest.approx(ref + light, rel=1e-9)
    # the generic loop engine (sympy, Leveille convention), the same interaction
    import sympy as sp

    from loops.dipole import anomalous_moment

    expr = anomalous_moment(-1, sp.Rational(-2, 3), sp.Rational(-1, 3), 3, sp.Float(value("m_t_pole"), 30),
                            sp.Float(m_S, 30), sp.nsimplify(l.real) + sp.I * sp.nsimplify(l.imag),
                            sp.nsimplify(r.real) + sp.I * sp.nsimplify(r.imag), sp.Float(value("m_mu"), 30))
    assert float(sp.N(expr, 30)) == pytest.approx(ref, rel=1e-9)


def test_delta_a_mu_leading_log():
    """Heavy S1: Delta a_mu -> (m_mu m_t / (4 pi^2 m^2)) (ln(m^2/m_t^2) - 7/4) Re(l* r) (docs/theory.md §b.1/§c.5;
    sign: Leveille's convention of the generic engine, see docs/matching.md §5)."""
    m_S = 50_000.0
    p = s1_only(m_S, 0.0, 0.3, "mu", y1p=0.3)
    mb = p.mass_basis()
    l, r = complex(mb.s1_uc_eL[2, 1]), complex(mb.s1_uc_eR[2, 1])
    mt, mmu = value("m_t_pole"), value("m_mu")
    ll = mmu * mt / (4 * math.pi**2 * m_S**2) * (math.log(m_S**2 / mt**2) - 1.75) * (np.conj(l) * r).real
    got = float(delta_a_lepton(p)[1])
    x = mt**2 / m_S**2
    assert got == pytest.approx(ll, rel=5 * x * math.log(1 / x) + 1e-3)
    assert got > 0


def test_c7_and_cgamma_from_dipole_matrix():
    """C7_mumu reproduces Delta a_mu through flavio's a_mu = a_SM + G_F m^2/(sqrt2 pi^2) Re C7 (flavio mdms/al.py);
    tau -> mu gamma coefficients are the off-diagonal dipoles, Cgamma_taumu <-> mu_L-bar sigma tau_R."""
    y = np.zeros((3, 3), complex)
    y[2, 1], y[2, 2] = 0.2, 0.1
    yr = np.zeros((3, 3), complex)
    yr[2, 1], yr[2, 2] = 0.05, 0.3
    p = Point(m_S1=1500.0, m_R2=1500.0, y_LL=y, y_RR=yr)
    wc = match(p)
    da = delta_a_lepton(p)
    pre = GF * value("m_mu") ** 2 / (math.sqrt(2) * math.pi**2)
    assert complex(wc.values["C7_mumu"]).real * pre == pytest.approx(float(da[1]), rel=1e-12)
    C = lepton_dipoles(p)
    assert complex(wc.values["Cgamma_taumu"]) == complex(C[1, 2])
    assert complex(wc.values["Cgamma_mutau"]) == complex(C[2, 1])
    # chirally enhanced part: Cgamma_taumu ~ l*_mu r_tau, Cgamma_mutau ~ l*_tau r_mu
    mb = p.mass_basis()
    ratio = complex(C[1, 2]) / complex(C[2, 1])
    expect = (np.conj(mb.s1_uc_eL[2, 1]) * mb.s1_uc_eR[2, 2]) / (np.conj(mb.s1_uc_eL[2, 2]) * mb.s1_uc_eR[2, 1])
    assert abs(ratio / expect - 1) < 0.02  # the non-enhanced terms are ~ m_tau/m_t


# ------------------------------------------------------------------------------------ API
def test_batched_equals_scalar():
    rng = np.random.default_rng(7)
    y1, y2 = rng.normal(size=5), rng.normal(size=5) + 0.3j
    masses = np.array([800.0, 1000.0, 1000.0, 2500.0, 4000.0])
    batch = voloshin(masses, y1, y2, "mu")
    wb = match(batch)
    assert wb.batch_shape == (5,)
    for i in range(5):
        wi = match(voloshin(masses[i], y1[i], y2[i], "mu"))
        for k, v in wi.values.items():
            assert complex(wb.values[k][i]) == pytest.approx(complex(v), rel=1e-12, abs=1e-300)
        for k, v in wi.right_handed_nu.items():
            assert complex(wb.right_handed_nu[k][i]) == pytest.approx(complex(v), rel=1e-12, abs=1e-300)
    sub = match(batch, names=["CVL_bcmunumu", "C7_mumu", "CSR_bcmuN1"])
    assert set(sub.values) == {"CVL_bcmunumu", "C7_mumu"} and set(sub.right_handed_nu) == {"CSR_bcmuN1"}
    np.testing.assert_array_equal(sub.values["C7_mumu"], wb.values["C7_mumu"])


def test_scale_is_lq_mass():
    assert match(s1_only(1234.0, 0.1, 0.2, "mu")).scale == 1234.0
    p = Point(m_S1=1000.0, m_R2=1700.0, yt_RL=np.eye(3) * 0.1)
    assert match(p).scale == 1700.0  # no S1 coupling: the R2~ mass


def test_wcxf_round_trip(tmp_path):
    from wilson import Wilson

    p = _general(11, scale=0.2)
    wc = match(p)
    for fname in ("wc.yaml", "wc.json"):
        path = tmp_path / fname
        wc.to_wcxf(path)
        with open(path) as fh:
            w = Wilson.load_wc(fh)
        assert w.wc.eft == "WET" and w.wc.basis == "flavio" and w.wc.scale == pytest.approx(float(wc.scale))
        ref = wc.nonzero()
        assert set(w.wc.dict) == set(ref)
        for k, v in ref.items():
            assert complex(w.wc.dict[k]) == pytest.approx(v, rel=1e-12)
    w2 = wc.to_wilson()
    assert set(w2.wc.dict) == set(wc.nonzero())


def test_batched_export_is_refused():
    wc = match(voloshin(np.array([1000.0, 2000.0]), 0.1, 0.2, "mu"))
    with pytest.raises(ValueError, match="scalar point"):
        wc.to_wilson()
    assert isinstance(wc[1], WilsonCoefficients) and wc[1].batch_shape == ()


def test_s1_scalar_tensor_ratio_after_running():
    """C_SL = -4 C_T at 1 TeV runs to C_SL/C_T ~ -7.5 at 4.8 GeV (docs/theory.md §c.2, wilson 2.5.2; the WET-only
    path used by flavio gives -7.4). A wrong relative sign or basis mix-up would not land here."""
    y = np.zeros((3, 3), complex)
    y[2, 2] = 1.0
    yr = np.zeros((3, 3), complex)
    yr[1, 2] = 0.5
    w = match(Point(m_S1=1000.0, m_R2=1000.0, y_LL=y, y_RR=yr)).to_wilson()
    low = w.match_run(4.8, "WET", "flavio")
    assert low["CSL_bctaunutau"] / low["CT_bctaunutau"] == pytest.approx(-7.5, rel=0.03)


# ------------------------------------------------------------------------------------ Dirac algebra
def _dirac():
    I2, Z2 = np.eye(2), np.zeros((2, 2))
    sig = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
    g = [np.block([[I2, Z2], [Z2, -I2]]).astype(complex)]
    g += [np.block([[Z2, s], [-s, Z2]]).astype(complex) for s in sig]
    g5 = 1j * g[0] @ g[1] @ g[2] @ g[3]
    return g, g5


def test_fierz_and_charge_conjugation_identities():
    """The identities behind every tree-level formula (docs/theory.md §a.1, §c.1), checked with explicit Dirac
    matrices and random commuting spinors (the extra -1 of anticommuting fields is applied in the derivation)."""
    g, g5 = _dirac()
    eta = np.diag([1.0, -1.0, -1.0, -1.0])
    PL, PR = (np.eye(4) - g5) / 2, (np.eye(4) + g5) / 2
    sigma = [[0.5j * (g[m] @ g[n] - g[n] @ g[m]) for n in range(4)] for m in range(4)]
    C = 1j * g[2] @ g[0]
    Ci = np.linalg.inv(C)
    for m in range(4):
        assert np.allclose(C @ g[m].T @ Ci, -g[m])
        for n in range(4):
            assert np.allclose(C @ sigma[m][n].T @ Ci, -sigma[m][n])
    assert np.allclose(C @ g5.T @ Ci, g5)
    rng = np.random.default_rng(5)
    u = [rng.normal(size=4) + 1j * rng.normal(size=4) for _ in range(4)]
    bar = lambda x: x.conj() @ g[0]  # noqa: E731

    def bil(a, M, b):
        return bar(a) @ M @ b

    lhs = bil(u[0], PL, u[1]) * bil(u[2], PL, u[3])
    tensor = sum(eta[m, m] * eta[n, n] * bil(u[0], sigma[m][n] @ PL, u[3]) * bil(u[2], sigma[m][n] @ PL, u[1])
                 for m in range(4) for n in range(4))
    assert lhs == pytest.approx(0.5 * bil(u[0], PL, u[3]) * bil(u[2], PL, u[1]) + tensor / 8, rel=1e-12)
    lhs = bil(u[0], PL, u[1]) * bil(u[2], PR, u[3])
    vec = sum(eta[m, m] * bil(u[0], g[m] @ PR, u[3]) * bil(u[2], g[m] @ PL, u[1]) for m in range(4))
    assert lhs == pytest.approx(0.5 * vec, rel=1e-12)
