"""Xenon step approximation (observables.neutrino.xenon) against the RRPA table's documented checks
(docs/theory.md §d.1: Z_eff = 44 for 1.17 < E_r < 4.84 keV,
54 above 34.76 keV), the atomic number, and atoms per tonne from the standard atomic weight."""
from __future__ import annotations

import numpy as np
import pytest

from observables.neutrino import xenon


def test_plateaus():
    E = np.array([1.18, 2.0, 3.0, 4.8])
    assert np.all(xenon.effective_electrons(E) == 44)
    assert np.all(xenon.effective_electrons([34.77, 50.0, 1000.0]) == 54)
    assert np.all(xenon.effective_electrons([4.9, 5.1]) == 48)
    assert np.all(xenon.effective_electrons([5.2, 5.4]) == 50)
    assert np.all(xenon.effective_electrons([5.6, 20.0, 34.7]) == 52)
    assert np.all(xenon.effective_electrons([0.001, 0.0119]) == 0)


def test_table_consistency():
    table = xenon.binding_energies_keV()
    assert len(table) == 17
    assert sum(n for _, n in table.values()) == 54            # atomic number of xenon
    assert table["1s"][0] == pytest.approx(34.759)
    assert table["3s"][0] == pytest.approx(1.1705)
    assert table["2p3/2"][0] == pytest.approx(4.8356)
    # monotone step function
    E = np.geomspace(0.005, 100, 2000)
    z = xenon.effective_electrons(E)
    assert np.all(np.diff(z) >= 0)


def test_atoms_per_tonne():
    # 1e6 g / 131.293 g/mol * 6.02214076e23 / mol (IUPAC/CIAAW atomic weight, exact N_A)
    assert xenon.atoms_per_tonne() == pytest.approx(1e6 / 131.293 * 6.02214076e23, rel=1e-12)
    assert xenon.electrons_per_tonne(40.0) == pytest.approx(54 * 4.58680e27, rel=1e-5)
