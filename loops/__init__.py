"""loops — a generic one-loop engine (sympy derivations + numpy/mpmath numerics); knows nothing about
leptoquarks. See ARCHITECTURE.md.

Modules (import the one you need; importing ``loops`` itself is light — numpy only where used):

* :mod:`loops.integrands` — the Feynman-parameter integrands of the dipole loop functions (pure Python);
* :mod:`loops.symbolic` — sympy closed forms derived from them, small-x and x→1 expansions (cached);
* :mod:`loops.pv` — Passarino–Veltman A0, B0 (explicit UV pole ``Delta``, scale ``mu``), C0;
* :mod:`loops.dipole` — the generic scalar–fermion dipole, anomalous moment and self-energy;
* :mod:`loops.numeric` — vectorised, numerically stable numpy evaluation;
* :mod:`loops.highprec` — the same in mpmath at selectable precision, and quadrature references;
* :mod:`loops.export` — LaTeX, Python/numpy, C, Fortran, JSON;
* :mod:`loops.cache` — the on-disk derivation cache (``LQMODEL_CACHE_DIR``).
"""
__all__: list[str] = []
