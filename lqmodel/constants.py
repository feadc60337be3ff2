"""Physical constants with their sources, as the lqmodel user sees them: a facade over
:mod:`observables.parameters` (data file ``observables/data/parameters.yaml``: value, uncertainty, unit,
source for each entry).

>>> from lqmodel import constants
>>> constants.value("m_e")            # GeV, CODATA 2018
0.00051099895
>>> round(constants.bohr_magneton(), 3)   # mu_B = e/(2 m_e) in GeV^-1
296.304
"""
from __future__ import annotations

from observables.parameters import Parameter, bohr_magneton, ckm_matrix, parameters, value

__all__ = ["Parameter", "value", "parameters", "bohr_magneton", "ckm_matrix"]
