"""Build the shipped pieces of the pair-production cross-section splines
(``observables/data/collider/pp13_scalar_triplet_pair_splines.json``).

Usage (from the repository root, scipy installed)::

    python tools/build_pair_splines.py

Fits the smoothing splines of ln σ(m) and ln Δσ(m) of ``pp13_scalar_triplet_pair_NNLOapprox_NNLL.json`` with
:func:`observables.collider.pair.fitted_splines` (scipy ``UnivariateSpline``, FITPACK; the prescription is in
that module's docstring), converts each to its cubic pieces with
:func:`observables.collider.pair.spline_pieces` (scipy ``PPoly.from_spline``) and writes them, with the
table's SHA-256 and the scipy/numpy versions, as exact decimal floats (``repr``). The package uses the file
only when the SHA-256 matches the shipped table; ``tests/test_collider_pair.py`` refits live and compares.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def main() -> int:
    import numpy as np
    import scipy

    from observables.collider import pair

    ls, lu = pair.fitted_splines()
    out: dict[str, Any] = {
        "format": 1,
        "description": "cubic pieces (breakpoints; coefficients of (m - x_j)^3..0 on [x_j, x_j+1)) of the smoothing "
                       "splines of ln sigma(m) and ln Delta sigma(m), m in GeV, sigma in pb, of the table "
                       f"{pair.XSEC_FILE} (observables/collider/pair.py); built by tools/build_pair_splines.py",
        "table": pair.XSEC_FILE,
        "table_sha256": pair._table_sha256(),
        "built_with": {"scipy": scipy.__version__, "numpy": np.__version__},
    }
    for key, sp in (("ln_sigma", ls), ("ln_delta_sigma", lu)):
        x, c = pair.spline_pieces(sp)
        out[key] = {"breakpoints": [float(v) for v in x], "coefficients": [[float(v) for v in row] for row in c]}
    path = Path(__file__).resolve().parents[1] / "observables" / "data" / "collider" / pair.SPLINE_FILE
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(out['ln_sigma']['breakpoints'])} and {len(out['ln_delta_sigma']['breakpoints'])} "
          "breakpoints)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
