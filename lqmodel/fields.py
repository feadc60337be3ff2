r"""Fields of the model with their gauge quantum numbers, electric charges and spins.

SOURCE: docs/theory.md §a.2 (leptoquarks, :math:`N_R`) and the Standard Model field content; leptoquark
naming as in Doršner, Fajfer, Greljo, Kamenik, Košnik, arXiv:1603.04993, Sec. 2.

CONVENTIONS: hypercharge normalised so that :math:`Q = T_3 + Y` (docs/theory.md §a.1). Fermions are listed
as chiral (Weyl) fields; a ``Field`` is the gauge multiplet, a ``Component`` one member of it with its
:math:`T_3` and electric charge (in units of the positron charge :math:`e > 0`). Colour
representations are ``"1"``, ``"3"`` or ``"3bar"``. All numbers are exact ``fractions.Fraction``.

These are the quantum numbers the loop diagrams use: :mod:`lqmodel.derivation` and :mod:`lqmodel.moments`
take the charges and colour multiplicities of the particles in their loops from here (one source).

==========  ==========================  ===============================  ====
field       :math:`SU(3)\times SU(2)\times U(1)_Y`  components (charge)   spin
==========  ==========================  ===============================  ====
S1          (3bar, 1, 1/3)              S1 (+1/3)                        0
R2~         (3, 2, 1/6)                 R2~^(2/3) (+2/3), R2~^(-1/3)     0
N_R         (1, 1, 0)                   N_R (0)                          1/2
Q_L         (3, 2, 1/6)                 u_L (+2/3), d_L (-1/3)           1/2
u_R, d_R    (3, 1, 2/3), (3, 1, -1/3)                                    1/2
L_L         (1, 2, -1/2)                nu_L (0), e_L (-1)               1/2
e_R         (1, 1, -1)                                                   1/2
H           (1, 2, 1/2)                 H^+ (+1), H^0 (0)                0
==========  ==========================  ===============================  ====

>>> from lqmodel.fields import FIELDS, component
>>> FIELDS["S1"].conjugate().colour, FIELDS["S1"].conjugate().components[0].charge
('3', Fraction(-1, 3))
>>> component("R2~^(-1/3)").charge
Fraction(-1, 3)
>>> FIELDS["d_R"].n_colour, charge("S1^*")
(3, Fraction(-1, 3))
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

__all__ = ["Component", "Field", "FIELDS", "component", "components", "charge"]

_CONJ_COLOUR = {"1": "1", "3": "3bar", "3bar": "3"}
_COLOUR_DIM = {"1": 1, "3": 3, "3bar": 3}


@dataclass(frozen=True)
class Component:
    """One member of a gauge multiplet: name, weak isospin :math:`T_3`, electric charge :math:`Q = T_3 + Y`."""

    name: str
    T3: Fraction
    charge: Fraction


@dataclass(frozen=True)
class Field:
    """A gauge multiplet (immutable).

    ``colour`` in {"1", "3", "3bar"}; ``su2_dim`` 1 (singlet) or 2 (doublet); ``hypercharge`` Y with
    Q = T3 + Y; ``spin`` 0 or 1/2; ``chirality`` "L", "R" or "" (scalars); ``components`` ordered as the
    SU(2) multiplet (upper member first, T3 = +1/2).
    """

    name: str
    colour: str
    su2_dim: int
    hypercharge: Fraction
    spin: Fraction
    chirality: str
    components: tuple[Component, ...]

    @property
    def n_colour(self) -> int:
        """Dimension of the colour representation: 1 (singlet) or 3 (triplet / antitriplet), the
        :math:`N_c` of a loop with this field."""
        return _COLOUR_DIM[self.colour]

    def conjugate(self) -> Field:
        """The charge-conjugate multiplet (conjugate colour, opposite Y, T3 and charges; chirality flipped)."""
        chir = {"L": "R", "R": "L", "": ""}[self.chirality]
        comps = tuple(Component(c.name + "^*", -c.T3, -c.charge) for c in self.components)
        return Field(self.name + "^*", _CONJ_COLOUR[self.colour], self.su2_dim, -self.hypercharge,
                     self.spin, chir, comps)


def _field(name: str, colour: str, su2_dim: int, Y: str, spin: str, chirality: str,
           comp_names: tuple[str, ...]) -> Field:
    y = Fraction(Y)
    t3s: tuple[Fraction, ...]
    if su2_dim == 1:
        t3s = (Fraction(0),)
    elif su2_dim == 2:
        t3s = (Fraction(1, 2), Fraction(-1, 2))
    else:  # pragma: no cover - not used
        raise ValueError(f"unsupported SU(2) dimension {su2_dim}")
    comps = tuple(Component(n, t3, t3 + y) for n, t3 in zip(comp_names, t3s, strict=True))
    return Field(name, colour, su2_dim, y, Fraction(spin), chirality, comps)


FIELDS: Mapping[str, Field] = MappingProxyType({
    f.name: f
    for f in (
        _field("S1", "3bar", 1, "1/3", "0", "", ("S1",)),
        _field("R2~", "3", 2, "1/6", "0", "", ("R2~^(2/3)", "R2~^(-1/3)")),
        _field("N_R", "1", 1, "0", "1/2", "R", ("N_R",)),
        _field("Q_L", "3", 2, "1/6", "1/2", "L", ("u_L", "d_L")),
        _field("u_R", "3", 1, "2/3", "1/2", "R", ("u_R",)),
        _field("d_R", "3", 1, "-1/3", "1/2", "R", ("d_R",)),
        _field("L_L", "1", 2, "-1/2", "1/2", "L", ("nu_L", "e_L")),
        _field("e_R", "1", 1, "-1", "1/2", "R", ("e_R",)),
        _field("H", "1", 2, "1/2", "0", "", ("H^+", "H^0")),
    )
})


def components() -> dict[str, tuple[Field, Component]]:
    """All components by name -> (multiplet, component)."""
    return {c.name: (f, c) for f in FIELDS.values() for c in f.components}


def component(name: str) -> Component:
    """The component called ``name`` (e.g. ``"R2~^(-1/3)"``, ``"b"`` is not a name: use ``"d_R"``)."""
    table = components()
    try:
        return table[name][1]
    except KeyError:
        from lqmodel.vocabulary import did_you_mean

        raise KeyError(f"unknown field component {name!r}.{did_you_mean(name, table)} "
                       f"Known: {', '.join(table)}") from None


def charge(name: str) -> Fraction:
    """Electric charge (units of :math:`e > 0`) of the component called ``name``; a trailing ``"^*"``
    conjugates (``charge("S1^*") == -1/3``)."""
    if name.endswith("^*"):
        return -component(name[:-2]).charge
    return component(name).charge
