"""lqmodel.derivation: the model's diagrams through the generic engine; symbolic statements of issue 2 §3
(UV pole and ln mu cancel iff c_R = c_S; m_nuN = 0 and mu_nu doubles in the SU(2)_H limit), checked
against the independent benchmark numbers of docs/theory.md §b.5 and the leading-log/small-splitting limits.
"""
from __future__ import annotations

import math

import pytest
import sympy as sp

from loops import pv, symbolic
from lqmodel import derivation as D

S = D.SYMBOLS
M_E = 0.51099895e-3


def test_uv_pole_and_scale_cancel_iff_couplings_equal():
    pole = D.m_nuN_uv_pole_coefficient()
    scale = D.m_nuN_scale_derivative()
    assert sp.simplify(pole - (-3 * S["m_b"] * (S["c_R"] - S["c_S"]) / (16 * sp.pi**2))) == 0
    assert sp.simplify(pole.subs(S["c_R"], S["c_S"])) == 0
    assert sp.simplify(scale.subs(S["c_R"], S["c_S"])) == 0
    # c_R != c_S leaves a pole (and a scale dependence)
    assert sp.simplify(pole.subs({S["c_R"]: 2 * S["c_S"]})) != 0
    assert sp.simplify(scale.subs({S["c_R"]: 2 * S["c_S"]})) != 0
    # the symmetric combination has neither Delta nor mu
    sym = D.m_nuN_symmetric()
    assert pv.DELTA not in sym.free_symbols and pv.MU not in sym.free_symbols


def test_su2h_limit_mass_vanishes_and_moment_doubles():
    sym = D.m_nuN_symmetric()
    assert sp.simplify(sym.subs(S["m_R2"], S["m_S1"])) == 0
    pair = D.mu_nu().subs({S["c_S"]: S["c"], S["c_R"]: S["c"], S["m_S1"]: S["m_LQ"], S["m_R2"]: S["m_LQ"]})
    single = D.mu_nu_single("S1", S["c"], S["m_LQ"])
    assert sp.simplify(pair - 2 * single) == 0
    # and the R2~ loop alone equals the S1 loop alone for equal inputs (relative sign +, docs/theory.md §b.2)
    assert sp.simplify(D.mu_nu_single("R2", S["c"], S["m_LQ"]) - single) == 0


def test_symmetric_mass_is_F_difference():
    # docs/theory.md §b.2: |m_nuN| = (N_c c m_b / 16 pi^2) |F(m_S) - F(m_R)| (our sign: L = -m nubar N)
    mb, mS, mR, c = S["m_b"], S["m_S1"], S["m_R2"], S["c"]
    expected = -3 * c * mb / (16 * sp.pi**2) * (pv.F_closed(mb, mS) - pv.F_closed(mb, mR))
    assert sp.simplify(sp.expand_log(D.m_nuN_symmetric() - expected, force=True)) == 0


def test_mu_nu_matches_physics_md_formula():
    mb, mS, mR = S["m_b"], S["m_S1"], S["m_R2"]
    g = lambda m: symbolic.loop_function("g", mb**2 / m**2)  # noqa: E731
    expected = S["m_e"] * mb / (8 * sp.pi**2) * (S["c_S"] * g(mS) / mS**2 + S["c_R"] * g(mR) / mR**2)
    assert sp.simplify(sp.expand_log(D.mu_nu() - expected, force=True)) == 0


@pytest.mark.parametrize("m_b,g_ref,mu_ref,loglike", [(4.18, 9.955253, 2.69314e-11, 2.96357e-11),
                                                       (2.4133, 11.053655, 1.72642e-11, 1.88259e-11)])
def test_benchmarks_bp2(m_b, g_ref, mu_ref, loglike):
    # docs/theory.md §b.5 BP2 / BP2' (independent numbers recorded in the spec)
    vals = {S["m_e"]: M_E, S["m_b"]: m_b, S["c"]: 0.05, S["m_LQ"]: 1000.0}
    assert float(D.expression("mu_nu_voloshin").subs(vals)) == pytest.approx(mu_ref, rel=2e-6)
    assert float(D.expression("g").subs(symbolic.X, (m_b / 1000.0) ** 2)) == pytest.approx(g_ref, abs=5e-7)
    # pure-log column: ln(m^2/m_b^2) in place of g
    pure = float(D.expression("mu_nu_leading_log").subs(vals)) * (
        math.log(1e6 / m_b**2) / (math.log(1e6 / m_b**2) - 1)
    )
    assert pure == pytest.approx(loglike, rel=2e-6)


def test_small_splitting_limit():
    # docs/theory.md §b.2: m_nuN ~ (3 c m_b / 16 pi^2) delta for m >> m_b (delta = m_R^2/m_S^2 - 1; our sign)
    e = D.expression("m_nuN_small_splitting")
    lead = sp.limit(e / S["delta"], S["m_S1"], sp.oo)
    assert sp.simplify(lead - 3 * S["c"] * S["m_b"] / (16 * sp.pi**2)) == 0
    # and it is the first-order term of the exact symmetric mass
    vals = {S["m_b"]: 4.18, S["c"]: 0.05, S["m_S1"]: 1000.0}
    d = 1e-4
    exact = D.m_nuN_symmetric().subs({**vals, S["m_R2"]: 1000.0 * sp.sqrt(1 + sp.Float(d, 30))})
    assert float(sp.N(exact, 30)) == pytest.approx(float(e.subs({**vals, S["delta"]: d})), rel=1e-4)


def test_delta_amu_S1_leading_log():
    # chirally enhanced part -> (N_c m_mu m_t/(8 pi^2 M^2)) Re(l r) (2/3)(ln(M^2/m_t^2) - 7/4)  (docs/theory.md §c.5)
    e = D.expression("delta_amu_S1")
    vals = {S["m_mu"]: 0.1056583755, S["m_t"]: 172.57, S["m_S1"]: 2e5, S["l"]: 1.0, S["r"]: 1.0}
    ll = 3 * 0.1056583755 * 172.57 / (8 * math.pi**2 * 4e10) * (2 / 3) * (math.log(4e10 / 172.57**2) - 7 / 4)
    assert abs(float(e.subs(vals))) == pytest.approx(ll, rel=1e-5)


def test_registry():
    names = D.list_expressions()
    for required in ("mu_nu", "m_nuN", "g", "g_F", "g_S", "mu_nu_voloshin", "mu_nu_leading_log",
                     "m_nuN_small_splitting", "delta_amu_S1"):
        assert required in names
    with pytest.raises(KeyError, match="Did you mean 'mu_nu"):
        D.expression("mu_n")
    with pytest.raises(ValueError, match="unknown loop"):
        D.mu_nu_single("S3", S["c"], S["m_LQ"])


def test_mu_per_m_nuN_small_splitting_f2():
    # docs/theory.md §f.2: mu_nu/mu_B = (4/3) g(x) m_e m_nuN / (delta m^2) at leading order in m_b^2/m^2,
    # i.e. (4 pi / alpha) * (4 g / 3) * m_e m_nuN / m^2 for delta = alpha / (4 pi): the loop factor 4pi/alpha
    # multiplies (not alpha/4pi as the talk slides [unverified] write)
    e = D.expression("mu_nu_per_m_nuN")
    mS, mb = 1e5, 4.18
    val = float(e.subs({S["m_S1"]: mS, S["m_b"]: mb, S["m_e"]: M_E, S["delta"]: 1.0}))
    gx = float(symbolic.loop_function("g", sp.Float((mb / mS) ** 2, 30)))
    assert val * mS**2 / (M_E * gx) == pytest.approx(4 / 3, rel=1e-6)  # O(m_b^2/m^2 ln) corrections


# ------------------------------------------------------------------ one source of charges: lqmodel.fields
def _gnm_charge(name: str) -> sp.Rational:
    """Q = T3 + Y of a component, computed here from its multiplet's hypercharge and its isospin (not from
    the stored charge); "^*" conjugates."""
    from lqmodel.fields import components

    conj = name.endswith("^*")
    field, comp = components()[name.removesuffix("^*")]
    q = sp.Rational(comp.T3 + field.hypercharge)
    return -q if conj else q


# docs/theory.md §a.2 / §c.5: nu -> b^C S1^*, nu -> b (R2~^(-1/3))^*, mu^- -> t^C S1^*
EXPECTED = {
    "S1": (0, sp.Rational(1, 3), sp.Rational(-1, 3), 3),
    "R2": (0, sp.Rational(-1, 3), sp.Rational(1, 3), 3),
    "delta_amu_S1": (-1, sp.Rational(-2, 3), sp.Rational(-1, 3), 3),
}


@pytest.mark.parametrize("loop", sorted(EXPECTED))
def test_loop_charges_come_from_fields_and_obey_gell_mann_nishijima(loop):
    from lqmodel.fields import components

    names = D.LOOP_PARTICLES[loop]
    got = D.loop_charges(loop)
    assert got[:3] == tuple(_gnm_charge(n) for n in names)
    assert got == EXPECTED[loop]
    assert got[0] == got[1] + got[2]  # charge conserved at the vertex
    assert got[3] == {"1": 1, "3": 3, "3bar": 3}[components()[names[1].removesuffix("^*")][0].colour]
    with pytest.raises(ValueError, match="unknown loop"):
        D.loop_charges("S3")


def test_the_engine_is_called_with_the_fields_charges(monkeypatch):
    """Spy on the generic engine: the charges and colours the model's diagrams pass are those of fields.py."""
    calls = []
    real_dip, real_amu, real_se = D.dipole.scalar_fermion_dipole, D.dipole.anomalous_moment, D.dipole.self_energy_mass

    def dip(Q_F, Q_phi, N_c, *a, **k):
        calls.append(("dipole", Q_F, Q_phi, N_c))
        return real_dip(Q_F, Q_phi, N_c, *a, **k)

    def amu(Q_ext, Q_F, Q_phi, N_c, *a, **k):
        calls.append(("amu", Q_ext, Q_F, Q_phi, N_c))
        return real_amu(Q_ext, Q_F, Q_phi, N_c, *a, **k)

    def se(N_c, *a, **k):
        calls.append(("self_energy", N_c))
        return real_se(N_c, *a, **k)

    monkeypatch.setattr(D.dipole, "scalar_fermion_dipole", dip)
    monkeypatch.setattr(D.dipole, "anomalous_moment", amu)
    monkeypatch.setattr(D.dipole, "self_energy_mass", se)
    D.mu_nu()
    D.m_nuN()
    D._expr_delta_amu()
    ch = {loop: tuple(_gnm_charge(n) for n in D.LOOP_PARTICLES[loop]) for loop in D.LOOP_PARTICLES}
    assert calls == [
        ("dipole", ch["S1"][1], ch["S1"][2], 3), ("dipole", ch["R2"][1], ch["R2"][2], 3),
        ("self_energy", 3), ("self_energy", 3),
        ("amu", *ch["delta_amu_S1"], 3),
    ]


def test_moments_prefactor_uses_the_fields_charges():
    from lqmodel import moments
    from lqmodel.fields import FIELDS

    assert moments.N_C == FIELDS["d_R"].n_colour == 3
    assert moments._NC_QD == float(moments.N_C * abs(_gnm_charge("d_R"))) == 1.0
