"""observables.collider — generic LHC engines (no leptoquark knowledge): the pair-production cross section
of a scalar colour triplet and the recast of published pair-production mass limits
(:mod:`observables.collider.pair`)."""
__all__: list[str] = []
