"""Quantum numbers of lqmodel.fields against Q = T3 + Y, gauge invariance of the §a.3 Lagrangian and
charge conservation of every mass-basis operator of lqmodel.point (independent of how they are coded)."""
from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from lqmodel.fields import FIELDS, component, components
from lqmodel.point import MASS_BASIS_TERMS

TRIALITY = {"1": 0, "3": 1, "3bar": 2}


@pytest.mark.parametrize("name", sorted(components()))
def test_gell_mann_nishijima(name):
    field, comp = components()[name]
    assert comp.charge == comp.T3 + field.hypercharge


def test_known_charges_and_spins():
    # docs/theory.md §a.2 table
    assert [c.charge for c in FIELDS["S1"].components] == [Fraction(1, 3)]
    assert [c.charge for c in FIELDS["R2~"].components] == [Fraction(2, 3), Fraction(-1, 3)]
    assert FIELDS["N_R"].components[0].charge == 0
    assert FIELDS["S1"].spin == 0 and FIELDS["R2~"].spin == 0 and FIELDS["N_R"].spin == Fraction(1, 2)
    assert (FIELDS["S1"].colour, FIELDS["S1"].su2_dim, FIELDS["S1"].hypercharge) == ("3bar", 1, Fraction(1, 3))
    assert (FIELDS["R2~"].colour, FIELDS["R2~"].su2_dim, FIELDS["R2~"].hypercharge) == ("3", 2, Fraction(1, 6))
    assert component("e_L").charge == -1 and component("u_R").charge == Fraction(2, 3)


def test_S1_conjugate_matches_R2_minus_third():
    """§a.2: R2~^(-1/3) and S1^* have the same charge and colour (so they can form an SU(2)_H doublet)."""
    s1c = FIELDS["S1"].conjugate()
    r = component("R2~^(-1/3)")
    assert s1c.components[0].charge == r.charge == Fraction(-1, 3)
    assert s1c.colour == FIELDS["R2~"].colour == "3"


def _term_invariant(*fields_conj):
    """(field, conjugated?) list: sum of Y = 0, colour triality = 0 mod 3, even number of doublets."""
    Y = sum((-f.hypercharge if c else f.hypercharge) for f, c in fields_conj)
    tri = sum(((3 - TRIALITY[f.colour]) % 3 if c else TRIALITY[f.colour]) for f, c in fields_conj) % 3
    doublets = sum(f.su2_dim == 2 for f, _ in fields_conj)
    return Y == 0 and tri == 0 and doublets % 2 == 0


@pytest.mark.parametrize("term", [
    # psibar^C chi phi = psi^T C chi phi: no conjugation on psi
    [("Q_L", False), ("L_L", False), ("S1", False)],     # y^LL  Qbar^C i tau2 L S1
    [("u_R", False), ("e_R", False), ("S1", False)],     # y^RR  ubar^C_R e_R S1
    [("d_R", False), ("N_R", False), ("S1", False)],     # ybar^RR dbar^C_R N_R S1
    [("d_R", True), ("R2~", False), ("L_L", False)],     # yt^RL dbar_R R2~ eps L
    [("Q_L", True), ("R2~", False), ("N_R", False)],     # yt^LR Qbar R2~ N_R
    [("R2~", True), ("H", False), ("S1", True)],         # kappa (R2~^dagger H) S1^dagger
])
def test_lagrangian_terms_gauge_invariant(term):
    assert _term_invariant(*[(FIELDS[n], c) for n, c in term])


def test_a_non_invariant_term_is_detected():
    # sanity of the checker: Qbar^C L S1^* is not invariant
    assert not _term_invariant((FIELDS["Q_L"], False), (FIELDS["L_L"], False), (FIELDS["S1"], True))


@pytest.mark.parametrize("name", sorted(MASS_BASIS_TERMS))
def test_mass_basis_operators_conserve_charge(name):
    quark, charge_conj_bar, lepton, scalar = MASS_BASIS_TERMS[name]
    q = component(quark).charge
    total = (q if charge_conj_bar else -q) + component(lepton).charge + component(scalar).charge
    assert total == 0, name


def test_fields_are_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        FIELDS["S1"].hypercharge = Fraction(1)  # type: ignore[misc]
    with pytest.raises(TypeError):
        FIELDS["X"] = FIELDS["S1"]  # type: ignore[index]


def test_unknown_component_suggests():
    with pytest.raises(KeyError, match="Did you mean"):
        component("R2~^(-1/3 )")
