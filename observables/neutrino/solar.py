r"""Solar-neutrino fluxes and spectra of the B16 standard solar models (GS98 or AGSS09met composition).

Source: N. Vinyoles et al., "A new generation of standard solar models", ApJ 835 (2017) 202,
arXiv:1611.09867 (fluxes, Table 6; radial production profiles); spectral shapes from Bahcall (pp, hep:
PRC 56 (1997) 3391; CNO: Bahcall & Ulrich RMP 60 (1988) 297; 7Be line shapes: PRD 49 (1994) 3923) and
Winter et al. PRC 73 (2006) 025503 (8B). Files and provenance: ``observables/data/solar/SOURCES.md``.

Conventions and units:

* ``ssm`` selects the model: ``"B16-GS98"`` (high metallicity, default) or ``"B16-AGSS09"`` (AGSS09met).
* Energies in **MeV** in this module (the natural unit of the tables), fluxes in **cm^-2 s^-1**,
  spectra :math:`d\Phi/dE_\nu` in cm^-2 s^-1 MeV^-1.
* Components: ``pp, pep, hep, 7Be_862, 7Be_384, 8B, 13N, 15O, 17F``. The two 7Be lines share the B16
  7Be flux with the branching 0.8956 / 0.1044 (see ``sources.yaml``); pep is a line at 1.442 MeV.
* Every continuous shape is returned normalised to unit integral (the tables are normalised to 1 to
  < 1e-5 already; the 8B table to 1000).

>>> round(flux("pp"), -7)
59800000000.0
>>> round(flux("7Be_384") / flux("7Be_862"), 4)
0.1166
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import numpy as np

from observables.package_yaml import load_yaml

__all__ = ["SSMS", "COMPONENTS", "REACTIONS", "Component", "component", "flux", "flux_uncertainty",
           "spectrum", "production_profile", "solar_profile"]

SSMS: tuple[str, ...] = ("B16-GS98", "B16-AGSS09")
_DATA = "data/solar"


@lru_cache(maxsize=1)
def _config() -> dict:
    return load_yaml(resources.files("observables").joinpath(f"{_DATA}/sources.yaml").read_text(encoding="utf-8"))


COMPONENTS: tuple[str, ...] = tuple(_config()["components"])
REACTIONS: tuple[str, ...] = tuple(_config()["flux_rows"])


def _check_ssm(ssm: str) -> None:
    if ssm not in SSMS:
        raise ValueError(f"unknown solar model ssm={ssm!r}; allowed: {', '.join(SSMS)}")


def _check_component(name: str) -> None:
    if name not in COMPONENTS:
        raise KeyError(f"unknown solar-neutrino component {name!r}; allowed: {', '.join(COMPONENTS)}")


def _read_numbers(relpath: str, delimiter: str | None = None) -> np.ndarray:
    text = resources.files("observables").joinpath(f"{_DATA}/{relpath}").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        parts = s.split(delimiter) if delimiter else s.split()
        try:
            rows.append([float(p) for p in parts if p.strip() != ""])
        except ValueError:
            continue
    return np.array(rows)


@lru_cache(maxsize=1)
def _flux_table() -> np.ndarray:
    return _read_numbers(_config()["fluxes_file"])


@dataclass(frozen=True)
class Component:
    """One solar-neutrino component: either a normalised continuous shape or a line.

    ``energies_MeV``/``shape_per_MeV`` for ``kind == "spectrum"``; ``line_MeV`` for ``kind == "line"``;
    ``reaction`` names the nuclear reaction whose flux and production profile it uses; ``fraction`` is
    the branching of that reaction's flux into this component.
    """

    name: str
    reaction: str
    kind: str
    fraction: float
    energies_MeV: np.ndarray | None = None
    shape_per_MeV: np.ndarray | None = None
    line_MeV: float | None = None


@cache
def component(name: str) -> Component:
    """The component ``name`` (shape normalised to 1 over its tabulated range)."""
    _check_component(name)
    c = _config()["components"][name]
    if c["kind"] == "line":
        return Component(name, c["reaction"], "line", float(c["fraction"]), line_MeV=float(c["energy_MeV"]))
    d = _read_numbers(c["file"], delimiter=",")
    E, f = d[:, 0].copy(), d[:, 1].copy()
    f /= np.trapezoid(f, E)
    E.setflags(write=False)
    f.setflags(write=False)
    return Component(name, c["reaction"], "spectrum", float(c["fraction"]), energies_MeV=E, shape_per_MeV=f)


def _reaction_flux(reaction: str, ssm: str, column_offset: int) -> float:
    cfg = _config()
    row = cfg["flux_rows"][reaction]
    col = cfg["ssm_columns"][ssm] + column_offset
    return float(_flux_table()[row, col])


def flux(name: str, ssm: str = "B16-GS98") -> float:
    """Total flux at the Earth (cm^-2 s^-1, no oscillations) of a component or of a reaction.

    ``name``: a component (``"7Be_862"``) or a reaction (``"7Be"``: both lines together).
    """
    _check_ssm(ssm)
    cfg = _config()
    if name in cfg["flux_rows"]:
        return _reaction_flux(name, ssm, 0) * float(cfg["flux_units"][name])
    _check_component(name)
    c = component(name)
    return _reaction_flux(c.reaction, ssm, 0) * float(cfg["flux_units"][c.reaction]) * c.fraction


def flux_uncertainty(reaction: str, ssm: str = "B16-GS98") -> float:
    """Fractional 1-sigma model uncertainty of a reaction's flux (B16, arXiv:1611.09867 Table 6)."""
    _check_ssm(ssm)
    if reaction not in _config()["flux_rows"]:
        raise KeyError(f"unknown reaction {reaction!r}; allowed: {', '.join(REACTIONS)}")
    return _reaction_flux(reaction, ssm, 1)


def spectrum(name: str, E_MeV: np.ndarray, ssm: str = "B16-GS98") -> np.ndarray:
    r""":math:`d\Phi/dE_\nu` of a continuous component in cm^-2 s^-1 MeV^-1 (linear interpolation, 0 outside).

    Lines (``pep``) have no density: use :func:`flux` and ``component(name).line_MeV``.
    """
    c = component(name)
    if c.kind != "spectrum":
        raise ValueError(f"component {name!r} is a line at {c.line_MeV} MeV; it has no spectral density")
    E = np.asarray(E_MeV, dtype=float)
    assert c.energies_MeV is not None and c.shape_per_MeV is not None  # a spectrum component has both
    return flux(name, ssm) * np.interp(E, c.energies_MeV, c.shape_per_MeV, left=0.0, right=0.0)


@cache
def _profile_table(ssm: str) -> np.ndarray:
    _check_ssm(ssm)
    d = _read_numbers(_config()["profile_files"][ssm])
    d.setflags(write=False)
    return d


def solar_profile(ssm: str = "B16-GS98") -> tuple[np.ndarray, np.ndarray]:
    """(r/R_sun, electron number density n_e in units of N_A cm^-3) of the model's zones."""
    d = _profile_table(ssm)
    return d[:, 0], 10.0 ** d[:, 2]


def production_profile(reaction: str, ssm: str = "B16-GS98") -> tuple[np.ndarray, np.ndarray]:
    """(r/R_sun, weights summing to 1) of where the reaction's neutrinos are produced (B16 tables)."""
    if reaction not in _config()["profile_columns"]:
        raise KeyError(f"unknown reaction {reaction!r}; allowed: {', '.join(REACTIONS)}")
    d = _profile_table(ssm)
    w = d[:, _config()["profile_columns"][reaction]].astype(float)
    return d[:, 0], w / w.sum()
