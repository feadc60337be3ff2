"""observables — generic observable engines (no leptoquark knowledge).

* :mod:`observables.parameters` — physical parameters with sources (data file).
* flavio wrapper, measurement vintages, chi^2 and the exact fast surrogate (see ARCHITECTURE.md).
* :mod:`observables.neutrino` — the neutrino side: cross sections, solar fluxes, xenon detectors, limits.

Importing this package is light: flavio is imported lazily, on first use.
"""
__all__: list[str] = []
