r"""Xenon as a target for neutrino-electron scattering: atomic binding in the step approximation.

**Step (or "stepping") approximation.** The free-electron cross section per electron is multiplied by
the number of electrons that can be ionised by the energy transfer :math:`E_r`:

.. math::
    Z_{\rm eff}(E_r) = \sum_i n_i\,\theta(E_r - B_i),

with the sub-shell occupancies :math:`n_i` and binding energies :math:`B_i` (RRPA values of Chen, Chi,
Liu, Wu, PLB 774 (2017) 656, arXiv:1610.04177; data file ``observables/data/xenon_binding``, docs/theory.md
§d.1). :math:`Z_{\rm eff} = 44` for :math:`1.17 < E_r < 4.84` keV and 54 above the K edge at 34.76 keV.

**Accuracy.** An ab-initio (RRPA) treatment of xenon reduces the SM solar-neutrino electron-recoil rate
over 0.1–30 keV by about 23–25% relative to the *pure free-electron* picture with all 54 electrons free
[source: abstract of arXiv:1610.04177]. The step approximation removes part of that difference by
construction (averaged over 0.1–30 keV it counts ~93% of the 54 electrons); how close it comes to RRPA
in each energy bin was not re-checked here, and it does not reproduce the smooth suppression near the
shell edges. For the magnetic-moment cross section, which rises like :math:`1/E_r`, the step
approximation overestimates the RRPA rate at low recoil energy by O(10%) at a few keV (docs/theory.md §d.1;
Hsieh et al., arXiv:1903.06085, compute the RRPA magnetic-moment rate in xenon) [unverified: the
percentage was not re-read]. Kouzakov, Studenikin & Voloshin (arXiv:1101.4878; JETP Lett. 93 (2011)
699) find the stepping approximation exact in the semiclassical limit, with very small deviations
already for the lowest Coulomb states, and electron-correlation corrections at the 1% level in germanium
down to a fraction of a keV [source: abstracts]. Treat the step-approximation spectra as accurate to
~10% at 1–10 keV and better above; near the edges (4.8–5.5 keV, L shell) the true response is smooth,
not a step. Whether a given experimental analysis used the same approximation must be checked per
analysis before comparing intervals at the 10% level.

Also here: the number of xenon atoms per tonne from the standard atomic weight (data file).

>>> effective_electrons([1.0, 2.0, 5.0, 40.0])
array([40., 44., 48., 54.])
>>> round(atoms_per_tonne() / 1e27, 4)
4.5868
"""
from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike

from observables.package_yaml import load_yaml
from observables.parameters import value

__all__ = ["binding_energies_keV", "effective_electrons", "atoms_per_tonne", "electrons_per_tonne", "molar_mass"]

_DATA = "data/xenon_binding"


@lru_cache(maxsize=1)
def _meta() -> dict:
    text = resources.files("observables").joinpath(f"{_DATA}/xenon.yaml").read_text(encoding="utf-8")
    return load_yaml(text)


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    text = resources.files("observables").joinpath(f"{_DATA}/binding_xenon.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    names = tuple(r[0] for r in rows)
    B = np.array([float(r[1]) for r in rows]) * 1e-3  # eV -> keV
    n = np.array([float(r[2]) for r in rows])
    B.setflags(write=False)
    n.setflags(write=False)
    return names, B, n


def binding_energies_keV() -> dict[str, tuple[float, int]]:
    """Sub-shell -> (binding energy in keV, occupancy), RRPA values (arXiv:1610.04177)."""
    names, B, n = _table()
    return {k: (float(b), int(m)) for k, b, m in zip(names, B, n, strict=True)}


def effective_electrons(E_r_keV: ArrayLike) -> np.ndarray:
    r""":math:`Z_{\rm eff}(E_r) = \sum_i n_i\,\theta(E_r - B_i)` for recoil energies in keV (array, float).

    The step is taken as :math:`E_r > B_i` (a shell contributes strictly above its binding energy).
    """
    _, B, n = _table()
    E = np.asarray(E_r_keV, dtype=float)
    idx = np.searchsorted(B, E, side="left")  # number of shells with B_i < E
    cum = np.concatenate([[0.0], np.cumsum(n)])
    return cum[idx]


def molar_mass() -> float:
    """Standard atomic weight of natural xenon in g/mol (IUPAC/CIAAW, data file)."""
    return float(_meta()["molar_mass"]["value"])


def atoms_per_tonne() -> float:
    r"""Xenon atoms per tonne: :math:`10^6\,{\rm g}\;N_A / M_{\rm Xe}` (N_A from ``parameters.yaml``)."""
    return 1e6 * value("N_A") / molar_mass()


def electrons_per_tonne(E_r_keV: ArrayLike) -> np.ndarray:
    """Effective (step-approximation) target electrons per tonne of xenon at recoil energy E_r (keV)."""
    return atoms_per_tonne() * effective_electrons(E_r_keV)
