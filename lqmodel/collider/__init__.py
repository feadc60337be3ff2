"""lqmodel.collider — the LHC side of the S1 + R2~ + N_R model.

* :mod:`lqmodel.collider.widths` — tree-level widths and branching ratios of S1, R2~(2/3), R2~(-1/3)
  (:func:`decay_widths`, :class:`BroadWidthWarning` where Gamma/m > 0.1);
* :mod:`lqmodel.collider.pair` — published pair-production limits recast to the point's branching ratios
  (:func:`pair_production`; the cross section and the limits live in :mod:`observables.collider.pair`);
* :mod:`lqmodel.collider.summary` — :func:`collider_summary` (the ``lqmodel point --collider`` JSON) and
  the scan columns :func:`collider_columns`;
* :mod:`lqmodel.collider.drell_yan` (when installed) — Drell-Yan tails with the HighPT recasts.

Searches, limits, sources and the recast assumption: ``docs/collider.md``. Units: GeV.
"""
from __future__ import annotations

from lqmodel.collider.pair import PairResult, final_state_branching, pair_production
from lqmodel.collider.summary import collider_columns, collider_summary, collider_verdict
from lqmodel.collider.widths import (
    BROAD_WIDTH_THRESHOLD,
    FIELDS,
    BroadWidthWarning,
    DecayWidths,
    decay_widths,
    two_body_width,
)

__all__ = [
    "decay_widths", "two_body_width", "DecayWidths", "BroadWidthWarning", "BROAD_WIDTH_THRESHOLD", "FIELDS",
    "pair_production", "PairResult", "final_state_branching", "collider_summary", "collider_columns",
    "collider_verdict",
]
