r"""The collider summary of a point (the ``--collider`` output of ``lqmodel point``) and the collider scan
columns of :class:`lqmodel.evaluate.PointEvaluator`.

:func:`collider_summary` (scalar point) returns a JSON-ready dict:

* ``widths_GeV``: field -> total tree-level width in GeV (fields ``S1``, ``R2t(2/3)``, ``R2t(-1/3)``);
* ``Gamma_over_m``: field -> :math:`\Gamma/m`;
* ``branching_ratios``: field -> {channel -> BR} (channels with BR > 0 only, e.g. ``"t mu"``, ``"b nu"``,
  ``"b N1"``, ``"t N1"``; :mod:`lqmodel.collider.widths`);
* ``pair_production``: field -> {``excluded``, ``channel`` (final state of the excluding or strongest
  limit), ``search`` (its name in the limits file), ``m_limit_GeV`` (that limit recast to the point's BRs),
  ``mass_GeV``} (:mod:`lqmodel.collider.pair`); fields without couplings are listed with
  ``excluded: false``, ``channel: null``;
* ``drell_yan``: search name -> {``chi2``, ``excluded``} from :func:`lqmodel.collider.drell_yan.drell_yan`
  when that module is installed, else ``{}``;
* ``excluded``: any of the above; ``limits_vintage``; ``notes``.

:func:`collider_columns` (batched) gives the scan columns listed in :data:`COLUMN_UNITS`.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from lqmodel.collider.pair import pair_production
from lqmodel.collider.widths import BROAD_WIDTH_THRESHOLD, FIELDS, BroadWidthWarning, decay_widths

__all__ = ["collider_summary", "collider_columns", "collider_verdict", "column_units", "FIELD_KEYS",
           "BR_COLUMN_CHANNELS"]

#: field -> short key used in column names
FIELD_KEYS: dict[str, str] = {"S1": "S1", "R2t(2/3)": "R2t23", "R2t(-1/3)": "R2t13"}
#: channels that get a BR column per field (the ones the model's benchmarks open; all others are summed
#: in the pair-production verdict anyway)
BR_COLUMN_CHANNELS: dict[str, tuple[str, ...]] = {
    "S1": ("t mu", "t tau", "t e", "b nu", "b N1"),
    "R2t(2/3)": ("t N1", "b mu", "b tau", "b e"),
    "R2t(-1/3)": ("b N1", "b nu"),
}


def _drell_yan(point, nonzero=None) -> dict[str, dict[str, np.ndarray | bool]]:
    from lqmodel.collider.drell_yan import drell_yan

    return drell_yan(point, nonzero=nonzero)


def collider_summary(point, *, vintage: str | None = None, drell_yan: bool = True) -> dict[str, Any]:
    """JSON-ready collider summary of a scalar point (module docstring). Widths in GeV."""
    if point.batch_shape != ():
        raise ValueError(f"collider_summary takes a scalar point (batch shape {point.batch_shape}); "
                         "use collider_columns for batches or index the batch")
    from observables.collider.pair import DEFAULT_VINTAGE

    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BroadWidthWarning)
        w = decay_widths(point)
    notes += [str(c.message) for c in caught if issubclass(c.category, BroadWidthWarning)]
    brs = w.branching_ratios()
    pp = pair_production(point, widths=w, vintage=vintage)
    out: dict[str, Any] = {
        "widths_GeV": {f: float(w.total[f]) for f in FIELDS},
        "Gamma_over_m": {f: float(v) for f, v in w.gamma_over_m().items()},
        "branching_ratios": {f: {c: float(b) for c, b in brs[f].items() if float(b) > 0.0} for f in FIELDS},
        "pair_production": {},
    }
    for f in FIELDS:
        r = pp[f]
        ch = str(r.channel)
        out["pair_production"][f] = {
            "excluded": bool(r.excluded), "channel": ch or None, "search": str(r.search) or None,
            "m_limit_GeV": float(r.m_limit_GeV), "mass_GeV": float(w.mass[f]),
        }
    dy = _drell_yan(point) if drell_yan else {}
    out["drell_yan"] = {name: {"chi2": float(np.asarray(d["chi2"])), "excluded": bool(np.asarray(d["excluded"]))}
                        for name, d in dy.items()}
    if any(not np.isfinite(v["chi2"]) for v in out["drell_yan"].values()):  # leptoquark below the kernels' 1 TeV
        for v in out["drell_yan"].values():
            v["chi2"] = v["chi2"] if np.isfinite(v["chi2"]) else None
        notes.append("Drell-Yan tails not evaluated for a leptoquark below 1 TeV (outside HighPT's kernels): chi2 null")
    for f in FIELDS:
        if float(w.total[f]) == 0.0:
            notes.append(f"{f} has no coupling: absent from the collider analysis")
    out["excluded"] = bool(any(v["excluded"] for v in out["pair_production"].values())
                           or any(v["excluded"] for v in out["drell_yan"].values()))
    out["limits_vintage"] = vintage or DEFAULT_VINTAGE
    out["notes"] = notes
    return out


def collider_verdict(summary: dict[str, Any]) -> str:
    """One line: "excluded by LHC pair production (S1: t mu below 1360 GeV; ...)" or "not excluded by ..."."""
    parts = [f"{f}: {v['channel']} below {v['m_limit_GeV']:.0f} GeV"
             for f, v in summary["pair_production"].items() if v["excluded"]]
    dy = [n for n, v in summary["drell_yan"].items() if v["excluded"]]
    if not parts and not dy:
        tested = "pair production" + (" and Drell-Yan tails" if summary["drell_yan"] else "")
        return f"not excluded by LHC {tested} (limits {summary['limits_vintage']})"
    bits = []
    if parts:
        bits.append("pair production (" + "; ".join(parts) + ")")
    if dy:
        bits.append("Drell-Yan (" + ", ".join(dy) + ")")
    return "excluded by LHC " + " and ".join(bits)


def column_units() -> dict[str, str]:
    """Scan column -> unit of :func:`collider_columns`."""
    u: dict[str, str] = {}
    for f, k in FIELD_KEYS.items():
        u[f"width_{k}_GeV"] = "GeV"
        u[f"Gamma_over_m_{k}"] = ""
        for c in BR_COLUMN_CHANNELS[f]:
            u[f"BR_{k}_{c.replace(' ', '_')}"] = ""
        u[f"m_limit_pair_{k}_GeV"] = "GeV"
        u[f"pair_channel_{k}"] = ""
        u[f"excluded_pair_{k}"] = ""
    u["broad_width"] = ""
    u["pair_margin"] = ""
    u["excluded_pair"] = ""
    u["excluded_drell_yan"] = ""
    from observables.collider.drell_yan import SEARCHES

    u.update({f"dchi2_dy_{name}": "" for name in SEARCHES})
    u["excluded_collider"] = ""
    return u


def _channel_column(r, labels: np.ndarray, flat) -> np.ndarray:
    """The strings of ``flat(r.channel)`` as an object array in which equal labels are one shared ``str``
    (8 bytes per point; the form of the evaluator's string columns), gathered from the limits' labels by the
    strongest limit's index (``labels``: object array of the distinct-object labels, "" last)."""
    return labels[flat(r.limit_index)]


def collider_columns(point, *, vintage: str | None = None, drell_yan: bool = True) -> dict[str, np.ndarray]:
    r"""Scan columns of a (batched) point, flattened to 1-D in C order (units: :func:`column_units`).

    ``pair_margin``: max over fields of :math:`\log_{10}(m_{\rm limit}/m)` (> 0 where excluded, -10 where
    no limit applies; a smooth field for map contours). ``broad_width``: any field with
    :math:`\Gamma/m >` 0.1 (no warning is issued per chunk; the column
    records it). ``excluded_drell_yan``: any Drell-Yan search excludes. ``pair_channel_<field>``: object
    arrays in which equal labels are one shared ``str`` (as the evaluator stores string columns).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BroadWidthWarning)
        w = decay_widths(point, warn=False)
    brs = w.branching_ratios()
    zero = w.__dict__.get("_zero")
    n = int(np.prod(point.batch_shape)) if point.batch_shape else 1
    pp = pair_production(point, widths=w, vintage=vintage)
    from observables.collider.pair import DEFAULT_VINTAGE, pair_limits

    shared: dict[str, str] = {}
    labels = np.array([shared.setdefault(lab, lab) for lab in
                       [lim.label for lim in pair_limits(vintage or DEFAULT_VINTAGE)] + [""]], dtype=object)
    shape = point.batch_shape
    flat = lambda a: np.ravel(np.broadcast_to(np.asarray(a), shape))  # noqa: E731
    cols: dict[str, np.ndarray] = {}
    broad = np.zeros(shape, bool)
    gm = w.gamma_over_m()
    for f, k in FIELD_KEYS.items():
        cols[f"width_{k}_GeV"] = flat(w.total[f])
        cols[f"Gamma_over_m_{k}"] = flat(gm[f])
        broad |= np.broadcast_to(gm[f], shape) > BROAD_WIDTH_THRESHOLD
        for c in BR_COLUMN_CHANNELS[f]:
            br = brs[f][c]
            # a channel without coupling shares one read-only zero array: its column gets its own zeros
            cols[f"BR_{k}_{c.replace(' ', '_')}"] = np.zeros(n) if br is zero else flat(br)
        cols[f"m_limit_pair_{k}_GeV"] = flat(pp[f].m_limit_GeV)
        cols[f"pair_channel_{k}"] = _channel_column(pp[f], labels, flat)
        cols[f"excluded_pair_{k}"] = flat(pp[f].excluded).astype(bool, copy=False)
    cols["broad_width"] = np.ravel(broad)
    # smooth exclusion field for maps: max over fields of log10(m_limit / m) (> 0 excluded; -10: no limit)
    margin: np.ndarray | None = None
    for f in FIELD_KEYS:
        ml = np.broadcast_to(pp[f].m_limit_GeV, shape)
        m = np.broadcast_to(w.mass[f], shape)
        with np.errstate(divide="ignore"):
            mf = np.where(ml > 0, np.log10(np.where(ml > 0, ml, 1.0) / m), -10.0)
        margin = mf if margin is None else np.maximum(margin, mf)  # the max over fields (NaN propagates)
    assert margin is not None
    cols["pair_margin"] = np.ravel(margin)
    cols["excluded_pair"] = np.logical_or.reduce([cols[f"excluded_pair_{k}"] for k in FIELD_KEYS.values()])
    dy_ex = np.zeros(cols["excluded_pair"].shape, bool)
    if drell_yan:
        for name, d in _drell_yan(point, w.__dict__.get("_nonzero")).items():
            dy_ex |= flat(d["excluded"])
            cols[f"dchi2_dy_{name}"] = flat(d["chi2"]).astype(float, copy=False)  # Delta chi2 vs SM of that search
    cols["excluded_drell_yan"] = dy_ex
    cols["excluded_collider"] = cols["excluded_pair"] | dy_ex
    return cols
