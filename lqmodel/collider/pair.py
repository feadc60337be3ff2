r"""LHC pair-production limits on S1, :math:`\tilde R_2^{2/3}` and :math:`\tilde R_2^{-1/3}`, recast to the
point's branching ratios (vectorised over a batched :class:`~lqmodel.point.Point`).

Each leptoquark component is pair-produced by QCD alone (:mod:`observables.collider.pair`: NNLO_approx+NNLL
stop/sbottom cross section at 13 TeV) and decays with the tree-level branching ratios of
:mod:`lqmodel.collider.widths`. The decay channels are grouped into the final-state classes of the
searches: quark ``t``, ``b`` or ``j`` (u, d, s, c), lepton ``e``, ``mu``, ``tau`` or ``MET`` (the three
neutrinos, and :math:`N_{1,2,3}` when :math:`M_N \le` the search's ``max_invisible_mass_GeV``, 100 GeV:
:math:`N` then escapes like the massless neutralino of the stop/sbottom searches; heavier :math:`N` is not
covered and its BR counts for no search). Every published limit of the dated data file
(``observables/data/collider/lq_pair_limits_<vintage>.yaml``; listed with sources in ``docs/collider.md``)
is recast to :math:`B_{\rm eff} = B_aB_b(2 \text{ if } a\ne b)` with the flat-:math:`\sigma_{\rm UL}`
assumption of :func:`observables.collider.pair.recast`; a component is excluded when any limit excludes it,
and the point when any component is. The three components are treated separately (their signals are not
added even when degenerate, which is conservative). A component without any coupling is absent from the
collider analysis (its pair production would give collider-stable R-hadrons; not considered here).

Narrow width is assumed; where :math:`\Gamma/m > 0.1` :func:`lqmodel.collider.widths.decay_widths` warns.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lqmodel.collider.widths import CHARGED_LEPTONS, FIELDS, N_NAMES, DecayWidths, decay_widths

__all__ = ["PairResult", "final_state_branching", "pair_production", "channel_class"]

_QUARK_CLASS = {"t": "t", "b": "b", "u": "j", "d": "j", "s": "j", "c": "j"}
#: invisible-mass threshold used when a limit does not give one (GeV)
_DEFAULT_MAX_INVISIBLE = 100.0


@dataclass(frozen=True)
class PairResult:
    """Pair-production verdict of one leptoquark component (arrays of the batch shape).

    ``excluded`` (bool); ``channel``: final-state label of the strongest limit (the one with the highest
    recast mass limit; it excludes whenever any limit does), "" where the component has no coupling;
    ``search``: the name of that limit in the data file; ``m_limit_GeV``: its recast mass limit (GeV; 0 where
    nothing is excluded at any mass); ``per_search``: limit name -> (excluded, m_limit_GeV);
    ``limit_index``: position of that limit in the vintage's :func:`~observables.collider.pair.pair_limits`
    (-1 where none; ``channel`` and ``search`` are the label and name at this index).
    """

    excluded: np.ndarray
    channel: np.ndarray
    search: np.ndarray
    m_limit_GeV: np.ndarray
    per_search: dict[str, tuple[np.ndarray, np.ndarray]]
    limit_index: np.ndarray | None = None


def channel_class(channel: str, M_N: np.ndarray, max_invisible: float) -> tuple[str, np.ndarray | None]:
    """Final-state class of a decay channel name ("t mu" -> "t mu", "b nu" -> "b MET", "c e" -> "j e",
    "b N1" -> "b MET" where ``M_N <= max_invisible``); returns (class, mask or None)."""
    q, lep = channel.split()
    qc = _QUARK_CLASS[q]
    if lep in CHARGED_LEPTONS:
        return f"{qc} {lep}", None
    if lep == "nu":
        return f"{qc} MET", None
    if lep in N_NAMES:
        return f"{qc} MET", np.asarray(M_N) <= max_invisible
    raise ValueError(f"unknown decay channel {channel!r}")


def final_state_branching(
    widths: DecayWidths, M_N, max_invisible: float = _DEFAULT_MAX_INVISIBLE
) -> dict[str, dict[str, np.ndarray]]:
    """field -> final-state class -> summed branching ratio (dimensionless)."""
    brs = widths.branching_ratios()
    out: dict[str, dict[str, np.ndarray]] = {}
    for f in FIELDS:
        acc: dict[str, np.ndarray] = {}
        for ch, br in brs[f].items():
            cls, mask = channel_class(ch, M_N, max_invisible)
            if mask is None or mask.all():
                val = br
            elif not mask.any():
                val = np.zeros_like(br)
            else:
                val = np.where(mask, br, 0.0)
            acc[cls] = acc.get(cls, 0.0) + val
        out[f] = acc
    return out


def pair_production(point, *, widths: DecayWidths | None = None, vintage: str | None = None) -> dict[str, PairResult]:
    """Recast pair-production verdict of each component of ``point`` (see the module docstring).

    ``widths``: precomputed :func:`~lqmodel.collider.widths.decay_widths` of the same point (else computed);
    ``vintage``: limits data file (default :data:`observables.collider.pair.DEFAULT_VINTAGE`).
    """
    from observables.collider.pair import DEFAULT_VINTAGE, effective_branching, pair_limits, recast_many

    limits = pair_limits(vintage or DEFAULT_VINTAGE)
    w = decay_widths(point) if widths is None else widths
    shape = point.batch_shape
    M_N = np.broadcast_to(np.asarray(point.M_N, dtype=float), shape)
    by_threshold: dict[float, dict[str, dict[str, np.ndarray]]] = {}
    out: dict[str, PairResult] = {}
    labels = np.array([lim.label for lim in limits] + [""], dtype=object)
    names = np.array([lim.name for lim in limits] + [""], dtype=object)
    for f in FIELDS:
        m = np.broadcast_to(w.mass[f], shape)
        coupled = w.total[f] > 0
        open_: list[int] = []
        brs = []
        for i, lim in enumerate(limits):
            thr = lim.max_invisible_mass_GeV if lim.max_invisible_mass_GeV is not None else _DEFAULT_MAX_INVISIBLE
            if thr not in by_threshold:
                by_threshold[thr] = final_state_branching(w, M_N, thr)
            br = by_threshold[thr][f]
            # a final state closed for the whole batch has nothing to recast (a speed-up only)
            if lim.curve is not None or np.any(effective_branching(lim, br) > 0):
                open_.append(i)
                brs.append(br)
        recast_of = dict(zip(open_, recast_many([limits[i] for i in open_], m, brs), strict=True))
        best_m = np.zeros(shape)
        best_i = np.full(shape, -1)
        excl = np.zeros(shape, bool)
        per: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for i, lim in enumerate(limits):
            if i not in recast_of:
                per[lim.name] = (np.zeros(shape, bool), np.zeros(shape))
                continue
            e, ml = recast_of[i]
            e = np.broadcast_to(e, shape) & coupled
            ml = np.where(coupled, np.nan_to_num(np.broadcast_to(ml, shape), nan=0.0), 0.0)
            per[lim.name] = (e, ml)
            excl |= e
            better = ml > best_m
            best_m = np.where(better, ml, best_m)
            best_i = np.where(better, i, best_i)
        out[f] = PairResult(excluded=excl, channel=labels[best_i], search=names[best_i], m_limit_GeV=best_m,
                            per_search=per, limit_index=best_i)
    return out
