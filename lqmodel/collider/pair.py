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

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

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
    (-1 where none; ``channel`` and ``search`` are the label and name at this index, gathered when first
    read from ``labels`` and ``names``, the limits' labels and names with "" last).
    """

    excluded: np.ndarray
    m_limit_GeV: np.ndarray
    per_search: Mapping[str, tuple[np.ndarray, np.ndarray]]
    limit_index: np.ndarray
    labels: np.ndarray = field(repr=False)
    names: np.ndarray = field(repr=False)

    @property
    def channel(self) -> np.ndarray:
        """Final-state label of the strongest limit (object array of str; "" where none)."""
        return self._gathered("labels")

    @property
    def search(self) -> np.ndarray:
        """Name of the strongest limit in the data file (object array of str; "" where none)."""
        return self._gathered("names")

    def _gathered(self, which: str) -> np.ndarray:
        key = f"_{which}_at"
        cached = self.__dict__.get(key)
        if cached is None:
            cached = getattr(self, which)[self.limit_index]
            object.__setattr__(self, key, cached)
        return cached


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
    zero = widths.__dict__.get("_zero")  # the shared BR array of channels that vanish in the whole batch
    out: dict[str, dict[str, np.ndarray]] = {}
    for f in FIELDS:
        acc: dict[str, np.ndarray] = {}
        for ch, br in brs[f].items():
            cls, mask = channel_class(ch, M_N, max_invisible)
            if br is zero or (mask is not None and not mask.any()):
                acc.setdefault(cls, zero if zero is not None else np.zeros_like(br))  # adds exactly 0
                continue
            val = br if mask is None or mask.all() else np.where(mask, br, 0.0)
            prev = acc.get(cls)
            # 0 + x = x: a class's first non-vanishing channel is its sum so far (no copy)
            acc[cls] = val if prev is None or prev is zero else prev + val
        out[f] = acc
    return out


class _PerSearch(Mapping):
    """limit name -> (excluded, m_limit_GeV) of one component, each computed on first access with
    :func:`observables.collider.pair.recast` (the verdict and the strongest limit do not need them all)."""

    def __init__(self, limits, branching: dict[int, Mapping[str, np.ndarray]], m: np.ndarray,
                 coupled: np.ndarray, shape: tuple[int, ...]) -> None:
        self._limits = limits
        self._index = {lim.name: i for i, lim in enumerate(limits)}  # a repeated name: the last one
        self._branching, self._m, self._coupled, self._shape = branching, m, coupled, shape
        self._done: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __getitem__(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        i = self._index[name]
        if i not in self._done:
            from observables.collider.pair import recast

            if i not in self._branching:  # this final state is closed for the whole batch
                self._done[i] = (np.zeros(self._shape, bool), np.zeros(self._shape))
            else:
                e, ml = recast(self._limits[i], self._m, self._branching[i])
                self._done[i] = _masked(e, ml, self._coupled, self._shape)
        return self._done[i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


def _masked(e, ml, coupled: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """A limit's (excluded, m_limit) restricted to coupled points (NaN limits -> 0)."""
    return (np.broadcast_to(e, shape) & coupled,
            np.where(coupled, np.nan_to_num(np.broadcast_to(ml, shape), nan=0.0), 0.0))


@lru_cache(maxsize=8)
def _sigma_upper_limits(vintage: str) -> tuple[float, ...]:
    """sigma_UL of every limit of a vintage (NaN for curve limits): a pure function of the shipped data."""
    from observables.collider.pair import pair_limits, sigma_upper_limit

    return tuple(sigma_upper_limit(lim) if lim.curve is None else np.nan for lim in pair_limits(vintage))


def pair_production(point, *, widths: DecayWidths | None = None, vintage: str | None = None) -> dict[str, PairResult]:
    """Recast pair-production verdict of each component of ``point`` (see the module docstring).

    ``widths``: precomputed :func:`~lqmodel.collider.widths.decay_widths` of the same point (else computed);
    ``vintage``: limits data file (default :data:`observables.collider.pair.DEFAULT_VINTAGE`).

    The strongest limit is found without recasting every limit: limits of the same final state (and
    invisible-mass threshold) see the same :math:`B_{\\rm eff}`, so the one with the smallest
    :math:`\\sigma_{\\rm UL}` has the highest recast mass limit and excludes wherever any of them does; the
    others are recast only where the first-listed limit must win a tie (all at the table's highest mass).
    ``per_search`` evaluates each limit when it is read.
    """
    from observables.collider.pair import (
        DEFAULT_VINTAGE,
        check_recast_masses,
        effective_branching,
        in_table_cross_section,
        mass_range,
        pair_limits,
    )

    limits = pair_limits(vintage or DEFAULT_VINTAGE)
    w = decay_widths(point) if widths is None else widths
    shape = point.batch_shape
    M_N = np.broadcast_to(np.asarray(point.M_N, dtype=float), shape)
    by_threshold: dict[float, dict[str, dict[str, np.ndarray]]] = {}
    out: dict[str, PairResult] = {}
    labels = np.array([lim.label for lim in limits] + [""], dtype=object)
    names = np.array([lim.name for lim in limits] + [""], dtype=object)
    s_ul = _sigma_upper_limits(vintage or DEFAULT_VINTAGE)
    lo, hi = mass_range()
    # sigma(min(m, hi)) of each field, once per distinct mass where decay_widths found few (recast_many's
    # numbers: the same spline, elementwise)
    sigma_of = {}
    for f, (vals, inv) in w.__dict__.get("_per_mass", {}).items():
        if inv is not None:
            check_recast_masses(vals)
            sigma_of[f] = in_table_cross_section(vals)[inv]
    zero = w.__dict__.get("_zero")  # final states of channels that vanish in the whole batch
    for f in FIELDS:
        m = np.broadcast_to(w.mass[f], shape)
        coupled = w.total[f] > 0
        branching: dict[int, Mapping[str, np.ndarray]] = {}
        groups: dict[tuple, list[int]] = {}  # flat-sigma_UL limits by (final state, threshold): same B_eff
        singles: list[int] = []  # limits with a B-dependent curve: recast one by one
        for i, lim in enumerate(limits):
            thr = lim.max_invisible_mass_GeV if lim.max_invisible_mass_GeV is not None else _DEFAULT_MAX_INVISIBLE
            if thr not in by_threshold:
                by_threshold[thr] = final_state_branching(w, M_N, thr)
            br = by_threshold[thr][f]
            # a final state closed for the whole batch has nothing to recast (a speed-up only)
            if lim.curve is None and any(br.get(c) is None or br.get(c) is zero for c in lim.final_state):
                continue
            if lim.curve is not None or np.any(effective_branching(lim, br) > 0):
                branching[i] = br
                if lim.curve is not None:
                    singles.append(i)
                else:
                    groups.setdefault((lim.final_state, thr), []).append(i)
        # the limit of each group with the smallest sigma_UL (the first listed among equal ones)
        heads = {key: min(members, key=lambda i: (s_ul[i], i)) for key, members in groups.items()}
        sel = _Selection(limits, groups, heads, singles, branching, s_ul, lo, hi)
        if singles or m.ndim != 1 or m.size < 16:
            excl, best_m, best_i = sel.strongest(m, coupled, None)
        else:
            excl, best_m, best_i = sel.strongest_by_smallest_needed(m, coupled, sigma_of.get(f))
        out[f] = PairResult(excluded=excl, m_limit_GeV=best_m, per_search=_PerSearch(limits, branching, m, coupled,
                                                                                     shape),
                            limit_index=best_i, labels=labels, names=names)
    return out


class _Selection:
    """The strongest pair limit of one component: ``strongest`` recasts every group's head (and every
    curve limit) and keeps the highest recast mass, the first listed on a tie (module docstring of
    :func:`pair_production`); ``strongest_by_smallest_needed`` gives the same result inverting σ(m) once:
    the recast mass falls with the needed cross section σ_UL/B_eff, so the head with the smallest one
    has the highest limit; points where that order is not strict (a relative gap below 1e-9, or a limit
    clipped at the table's ends) are passed to ``strongest``."""

    def __init__(self, limits, groups, heads, singles, branching, s_ul, lo, hi) -> None:
        self.limits, self.groups, self.heads, self.singles = limits, groups, heads, singles
        self.branching, self.s_ul, self.lo, self.hi = branching, s_ul, lo, hi

    def _branching_at(self, i: int, where: np.ndarray | None) -> Mapping[str, np.ndarray]:
        br = self.branching[i]
        if where is None:
            return br
        return {k: (v if np.ndim(v) == 0 else np.asarray(v)[where]) for k, v in br.items()}

    def strongest(self, m: np.ndarray, coupled: np.ndarray, where: np.ndarray | None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(excluded, best mass limit, its limit index) by recasting every head (at ``where`` only)."""
        from observables.collider.pair import effective_branching, mass_for_cross_section, recast_many

        limits, groups, heads, singles, s_ul, lo, hi = (self.limits, self.groups, self.heads, self.singles,
                                                        self.s_ul, self.lo, self.hi)
        if where is not None:
            m, coupled = m[where], coupled[where]
        shape = m.shape
        todo = singles + list(heads.values())
        recast_of: dict[int, tuple[np.ndarray, np.ndarray]] = dict(zip(
            todo, recast_many([limits[i] for i in todo], m, [self._branching_at(i, where) for i in todo]),
            strict=True))
        best_m = np.zeros(shape)
        best_i = np.full(shape, -1)
        excl = np.zeros(shape, bool)
        candidates: list[tuple[np.ndarray, np.ndarray | int]] = []
        for i in singles:
            e, ml = _masked(*recast_of[i], coupled, shape)
            excl |= e
            candidates.append((ml, i))
        for key, head in heads.items():
            e, ml = _masked(*recast_of[head], coupled, shape)
            excl |= e  # sigma B_eff > min sigma_UL: excluded by some limit of the group
            idx: np.ndarray | int = head
            earlier = [i for i in groups[key] if i < head]
            # a larger sigma_UL gives a lower recast limit, except at the ends of the table where the
            # inversion is clipped: there an earlier-listed limit of the group may tie and then wins
            at_end = (ml == hi) | (ml == lo)
            if earlier and at_end.any():
                pts = np.flatnonzero(at_end)
                beff = effective_branching(limits[head], self._branching_at(head, where))
                beff = np.broadcast_to(beff, shape).ravel()[pts]
                value = ml.ravel()[pts]
                idx = np.full(shape, head)
                flat_idx = idx.reshape(-1)
                for i in sorted(earlier, reverse=True):  # the lowest index with the same value wins
                    mi = mass_for_cross_section(s_ul[i] / beff)
                    flat_idx[pts[mi == value]] = i
            candidates.append((ml, idx))
        for ml, idx in candidates:
            # the first-listed limit with the highest recast mass (strictly positive) is the strongest
            better = (ml > best_m) | ((ml == best_m) & (ml > 0) & (idx < best_i))
            best_m = np.where(better, ml, best_m)
            best_i = np.where(better, idx, best_i)
        return excl, best_m, best_i

    def strongest_by_smallest_needed(self, m: np.ndarray, coupled: np.ndarray, sigma: np.ndarray | None
                                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`strongest` of flat-σ_UL heads (no curve limits) with one inversion of σ(m) (class
        docstring). ``sigma``: σ(min(m, hi)) per point if already known. The same numbers."""
        from observables.collider.pair import (
            check_recast_masses,
            effective_branching,
            in_table_cross_section,
            mass_for_cross_section,
        )

        shape = m.shape
        check_recast_masses(m)
        sig = in_table_cross_section(m) if sigma is None else sigma
        in_table = m <= self.hi
        excl = np.zeros(shape, bool)
        needs: list[tuple[int, np.ndarray]] = []
        for head in self.heads.values():
            beff = np.broadcast_to(effective_branching(self.limits[head], self.branching[head]), shape)
            excl |= in_table & (sig * beff > self.s_ul[head])  # recast_many's verdict of this head
            pos = beff > 0
            with np.errstate(divide="ignore"):
                needs.append((head, np.where(pos, self.s_ul[head] / np.where(pos, beff, 1.0), np.inf)))
        excl &= coupled
        if not needs:
            return excl, np.zeros(shape), np.full(shape, -1)
        head0, n_min = needs[0]
        i_min = np.full(shape, head0)
        for head, need in needs[1:]:
            better = (need < n_min) | ((need == n_min) & (head < i_min))
            n_min = np.where(better, need, n_min)
            i_min = np.where(better, head, i_min)
        with np.errstate(invalid="ignore"):
            ml = mass_for_cross_section(n_min)
        best_m = np.where(coupled, np.nan_to_num(ml, nan=0.0), 0.0)
        best_i = np.where(best_m > 0, i_min, -1)
        # not strictly ordered: a clipped limit, or a second head within a relative 1e-9 of the smallest
        unsure = (best_m == self.hi) | (best_m == self.lo)
        for head, need in needs:
            unsure |= (head != i_min) & (need <= n_min * (1.0 + 1e-9)) & (best_m > 0)
        if unsure.any():
            pts = np.flatnonzero(unsure)
            _, bm, bi = self.strongest(m, coupled, pts)
            best_m[pts], best_i[pts] = bm, bi
        return excl, best_m, best_i
