"""lqmodel — the S1 + R2~ + N_R leptoquark model in the neutrino magnetic moment portal.

Importing this package is light: it imports neither flavio nor runs sympy.
"""
__version__ = "0.1.0"
__all__ = ["__version__"]
