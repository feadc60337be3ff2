"""loops — a generic one-loop engine (sympy derivations + numpy/mpmath numerics); knows nothing about
leptoquarks. See ARCHITECTURE.md."""
__all__: list[str] = []
