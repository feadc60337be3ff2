r"""Flavour observables of a leptoquark point: predictions (exact fast surrogate or direct flavio), χ²,
and the JSON summary of ``lqmodel point --json --flavour``.

Pipeline (docs/theory.md §c, §e): :func:`lqmodel.matching.match` gives the WET coefficients at the matching
scale :math:`\mu=m_{S_1}`; the toolkit observables of :mod:`observables.registry` are evaluated either by

* ``method="surrogate"`` (default): :func:`observables.surrogate.get_surrogate` at that scale — the exact
  polynomial / rational representation extracted from flavio, vectorised over the batch. Grids of masses
  (``masses="exact"``, chosen by ``"auto"`` when the masses repeat): points grouped by their matching scale,
  one surrogate per distinct leptoquark mass (at most :data:`MAX_SCALES` per call). Any masses (random,
  Latin hypercube; ``masses="interpolated"``, chosen by ``"auto"`` otherwise): surrogates on a fixed lattice
  of scales (eight per factor 5, anchored at 1 TeV) interpolated cubically in log m_LQ, exact in the
  couplings, relative error < 1e-7 (:class:`observables.surrogate.InterpolatedSurrogate`). Each surrogate
  keeps as variables only the coefficients that are non-zero somewhere in the batch, so a model that moves
  few coefficients needs few flavio calls to build it; surrogates are cached on disk (``LQMODEL_CACHE_DIR``).
  Wilson coefficients brought by the user (WET flavio or SMEFT Warsaw, at their scale) are predicted the
  same way (:func:`predict`).
* ``method="flavio"``: direct flavio calls through :mod:`observables.flavio_backend`, one point at a
  time (~0.1 s per observable and point): for scalar points and small batches.

Specs with ``basis == "SMEFT"`` (the Z-pole, W and tau-decay observables, group "EW/tau") take the
tree-level SMEFT Warsaw coefficients of :func:`lqmodel.smeft_matching.match_smeft` at the same matching
scale instead; flavio/wilson run them with the SMEFT RGE (docs/electroweak.md). Same two methods.

Operators with a right-handed neutrino (:attr:`WilsonCoefficients.right_handed_nu`) have no flavio
counterpart. For :math:`M_N\to0` they do not interfere with the left-handed-ν amplitudes and, by parity
(docs/theory.md §c.6), each :math:`N_k` final state contributes to a rate exactly what the parity-mirrored
flavio operators (CVL↔CVR, CSL↔CSR, CT↔CT; ``CL/CR_bsN…`` ↔ ``CL/CR_bsnu…``) contribute to their
NP-squared part. That part is obtained from the same surrogate (or flavio) as
:math:`q(M) = [f(M)+f(-M)]/2 - f(0)` for each quadratic form :math:`f` (exact for a quadratic form), and
added to the numerator (and, for ratios, to the denominator: :math:`B\to D^{(*)}\ell N` with
:math:`\ell = e,\mu` enter the R(D(*)) normalisation too). The scalar/tensor :math:`b\to s\nu\bar N`
operators have no flavio image; they are reported by :func:`flavour_summary` under
``"omitted_right_handed_nu"`` when non-zero and otherwise left out (they vanish for b-only couplings in
the down basis).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .errors import InputError
from .matching import LEPTONS, WilsonCoefficients, match

if TYPE_CHECKING:  # annotations only: at run time these are imported inside the functions that use them
    from observables.registry import ObservableSpec, Part
    from observables.surrogate import InterpolatedSurrogate, ScaleGroups, Surrogate

    from .point import Point
    from .smeft_matching import SMEFTCoefficients

__all__ = ["predict", "chi2", "flavour_summary", "parity_images", "MAX_SCALES", "METHODS", "MASSES"]

#: largest number of distinct leptoquark masses in one call of the per-mass surrogate path (masses="exact")
MAX_SCALES = 64
METHODS = ("surrogate", "flavio")
#: the ``masses`` options of :func:`predict` (surrogate method)
MASSES = ("auto", "exact", "interpolated")
_CC_PAIRS = [(d, u) for u in ("u", "c") for d in ("d", "s", "b")]


def _image_table() -> list[tuple[str, dict[str, str]]]:
    """(label, {N_R operator name -> flavio name of its parity image}) per incoherent N final state."""
    out: list[tuple[str, dict[str, str]]] = []
    for d, u in _CC_PAIRS:
        for k in range(1, 4):
            m: dict[str, str] = {}
            for lep in LEPTONS:
                src, dst = f"{d}{u}{lep}N{k}", f"{d}{u}{lep}nutau"
                m.update({f"CVL_{src}": f"CVR_{dst}", f"CVR_{src}": f"CVL_{dst}", f"CSL_{src}": f"CSR_{dst}",
                          f"CSR_{src}": f"CSL_{dst}", f"CT_{src}": f"CT_{dst}"})
            out.append((f"{d}{u}N{k}", m))
    for q in ("s", "d"):
        for a in range(1, 4):
            for b in range(1, 4):
                out.append((f"b{q}N{b}N{a}", {f"CL_b{q}N{b}N{a}": f"CL_b{q}nutaunutau",
                                              f"CR_b{q}N{b}N{a}": f"CR_b{q}nutaunutau"}))
    return out


_IMAGES = _image_table()
_IMAGE_SOURCES = frozenset(s for _, m in _IMAGES for s in m)


def _any_nonzero(v: Any) -> bool:
    """Whether an array (real or complex) has a non-zero entry: a broadcast constant (all strides zero, e.g.
    the read-only zero views of :func:`lqmodel.matching.match`) is read once; complex arrays as their float
    view (no complex comparison temporaries)."""
    a = np.asarray(v)
    if a.size and not any(a.strides):
        return bool(a.flat[0] != 0)
    if np.iscomplexobj(a) and a.flags.c_contiguous:
        a = a.view(a.real.dtype)
    return bool(np.any(a))


def parity_images(wc: WilsonCoefficients) -> list[dict[str, np.ndarray]]:
    r"""The parity images of the N_R operators (docs/theory.md §c.6), one dict per incoherent N final state.

    Each dict maps flavio-basis names to the N_R coefficients they mirror; only images with a non-zero
    coefficient somewhere in the batch are returned. Their NP-squared contributions add to the rates.
    """
    out = []
    for _, m in _IMAGES:
        img = {dst: wc.right_handed_nu[src] for src, dst in m.items()
               if src in wc.right_handed_nu and _any_nonzero(wc.right_handed_nu[src])}
        if img:
            out.append(img)
    return out


def _specs(names: Sequence[str] | None) -> list[ObservableSpec]:
    from observables import registry

    if isinstance(names, str):
        names = [names]
    return [registry.get(n) for n in (registry.names() if names is None else names)]


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")


def predict(point: Any, names: Sequence[str] | None = None, *, method: str = "surrogate",
            memo: dict | None = None, masses: str = "auto") -> dict[str, np.ndarray]:
    """Predictions of toolkit observables (keys of ``observables.registry.OBSERVABLES``).

    ``point``: a :class:`~lqmodel.point.Point` (scalar or batched; matched here), or Wilson coefficients
    brought by the user (new physics only, at their ``scale`` in GeV; scalar or batched arrays):

    * a :class:`lqmodel.matching.WilsonCoefficients` (WCxf WET flavio basis, + N_R operators) or a
      :class:`lqmodel.smeft_matching.SMEFTCoefficients` (WCxf SMEFT Warsaw basis);
    * a WCxf-style dict ``{"eft": "WET", "basis": "flavio", "scale": 1000.0, "values": {name: value}}``
      (or ``"eft": "SMEFT", "basis": "Warsaw"``), values numbers, ``[re, im]``, ``{"Re": .., "Im": ..}``
      (as in WCxf files) or arrays (batched, broadcast with ``scale``) — e.g. the
      ``"wilson_coefficients"`` entry of :func:`flavour_summary` or ``WilsonCoefficients.to_dict()``.
      Names must belong to the basis (else :class:`~lqmodel.errors.InputError`); coefficients that no
      registered observable reads (the registry lists every coefficient flavio's prediction uses) do not
      enter, exactly as for a point.

    Coefficients predict the observables of their basis: ``names=None`` means every registered observable
    of that basis (every one for a point); naming an observable of the other basis is an ``InputError``.

    Returns name -> array of shape ``batch_shape`` (float for a scalar point is a 0-d array).
    Units: those of the registry entries.
    ``memo``: a caller-owned dict that keeps the surrogates (and SM values) in memory between calls
    (a fit evaluates the same surrogates thousands of times; without it each call reads them from disk).
    ``masses`` (surrogate method only): how the input scales (leptoquark masses) are handled —
    ``"exact"``: one surrogate per distinct scale, built at that scale (at most :data:`MAX_SCALES` per call);
    ``"interpolated"``: any scales, no cap — surrogates on the fixed lattice
    :func:`observables.surrogate.node_scale` interpolated cubically in log(scale)
    (:class:`observables.surrogate.InterpolatedSurrogate`; exact in the couplings, relative error below
    :data:`observables.surrogate.INTERPOLATION_ERROR` = 1e-7, exact at lattice scales);
    ``"auto"`` (default): ``"exact"`` for a single scale, or when at most :data:`MAX_SCALES` distinct scales
    carry two points or more each on average (grids: the built-in maps are unchanged), else
    ``"interpolated"`` (random or Latin-hypercube masses).
    """
    _check_method(method)
    if masses not in MASSES:
        raise InputError(f"unknown masses option {masses!r}; allowed: {', '.join(MASSES)}")
    wet_in, smeft_in = _coefficient_input(point)
    if wet_in is not None or smeft_in is not None:
        basis = "WET" if wet_in is not None else "SMEFT"
        specs = [s for s in _specs(names) if names is not None or s.basis == basis]
        other = [s.name for s in specs if s.basis != basis]
        if other:
            want = "SMEFT Warsaw" if basis == "WET" else "WET flavio-basis"
            raise InputError(f"{', '.join(other)}: not {basis}-basis observables; {basis} coefficients predict "
                             f"only those of their basis (pass {want} coefficients, or a Point, for them)")
        if wet_in is not None:
            return (_predict_surrogate(specs, wet_in, memo, masses) if method == "surrogate"
                    else _predict_flavio(specs, wet_in))
        return _predict_smeft(specs, smeft_in, method, memo, masses)
    specs = _specs(names)
    smeft_specs = [s for s in specs if s.basis == "SMEFT"]
    specs = [s for s in specs if s.basis != "SMEFT"]
    out: dict[str, np.ndarray] = {}
    from .matching import _matching_inputs

    inputs = _matching_inputs(point)  # one pass over the couplings for both matchings
    if (method == "surrogate" and memo is None and point.batch_shape == ()
            and not any(sp.nz.any() for sp in inputs[0].values())):
        # every coupling zero (the SM reference of Delta chi2, once per sub-batch): every coefficient vanishes,
        # so the predictions depend only on the observables, the scale and the cache (kept in memory)
        from observables.surrogate import _cache_root_text

        from .matching import matching_scale

        both = tuple(s.name for s in specs) + tuple(s.name for s in smeft_specs)
        zero = _zero_coupling_predictions(both, float(matching_scale(point)), masses, _cache_root_text())
        return {k: np.asarray(v) for k, v in zero.items()}
    if specs:
        wc = match(point, names=_needed(tuple(s.name for s in specs)), _inputs=inputs)
        out.update(_predict_surrogate(specs, wc, memo, masses) if method == "surrogate"
                   else _predict_flavio(specs, wc))
    if smeft_specs:
        from lqmodel.smeft_matching import match_smeft

        out.update(_predict_smeft(smeft_specs, match_smeft(point, _sparse=inputs[0]), method, memo, masses))
    return out


@lru_cache(maxsize=64)
def _needed(names: tuple[str, ...]) -> frozenset[str]:
    """The WET coefficients (and N_R operators mirrored onto them) the registry specs ``names`` read."""
    from observables import registry

    needed = set().union(*(registry.get(n).wc_names for n in names))
    needed |= {src for _, m in _IMAGES for src, dst in m.items() if dst in needed}
    return frozenset(needed)


@lru_cache(maxsize=64)
def _zero_coupling_predictions(names: tuple[str, ...], scale: float, masses: str,
                               cache_root: str) -> dict[str, float]:
    """The surrogate predictions of a scalar point without couplings at matching scale ``scale``: those of
    coefficients that all vanish (WET and SMEFT at ``scale``, the same evaluation as for such a point),
    in the order of ``names``. ``cache_root``: the surrogate cache folder (part of the memo key)."""
    from lqmodel.smeft_matching import SMEFTCoefficients

    specs = _specs(list(names))
    wet = [s for s in specs if s.basis != "SMEFT"]
    smeft = [s for s in specs if s.basis == "SMEFT"]
    out: dict[str, np.ndarray] = {}
    if wet:
        out.update(_predict_surrogate(wet, WilsonCoefficients(scale=scale, values={}), None, masses))
    if smeft:
        out.update(_predict_smeft(smeft, SMEFTCoefficients(scale, {}), "surrogate", None, masses))
    return {n: float(out[n]) for n in names}


# ------------------------------------------------------------------------------------------ inputs
def _wcxf_value(name: str, v: Any) -> np.ndarray:
    """A WCxf value: number, complex, [re, im], {"Re": .., "Im": ..} or an array of numbers."""
    if isinstance(v, Mapping):
        if not v or not set(v) <= {"Re", "Im"}:
            raise InputError(f"Wilson coefficient {name}: a dict value needs keys 'Re' and/or 'Im', got {sorted(v)}")
        a = np.asarray(v.get("Re", 0.0), dtype=float) + 1j * np.asarray(v.get("Im", 0.0), dtype=float)
    elif isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v):
        a = np.asarray(complex(float(v[0]), float(v[1])))
    else:
        try:
            a = np.asarray(v, dtype=complex)
        except (TypeError, ValueError):
            raise InputError(f"Wilson coefficient {name}: not a number, [re, im], {{'Re', 'Im'}} or an array: "
                             f"{v!r}") from None
    if not np.all(np.isfinite(a)):
        raise InputError(f"Wilson coefficient {name}: values must be finite")
    return a


def _coefficient_input(obj: Any) -> tuple[WilsonCoefficients | None, Any]:
    """(WilsonCoefficients or None, SMEFTCoefficients or None) for coefficient inputs; (None, None) for a
    Point. Anything else is an InputError."""
    from lqmodel.smeft_matching import SMEFTCoefficients

    if isinstance(obj, WilsonCoefficients):
        return obj, None
    if isinstance(obj, SMEFTCoefficients):
        return None, obj
    if hasattr(obj, "batch_shape") and hasattr(obj, "mass_basis"):
        return None, None
    if not isinstance(obj, Mapping):
        raise InputError("predict needs a Point, a WilsonCoefficients / SMEFTCoefficients object or a WCxf-style "
                         f"dict {{'eft', 'basis', 'scale', 'values'}}, got {type(obj).__name__}")
    missing = [k for k in ("eft", "scale", "values") if k not in obj]
    extra = [k for k in obj if k not in ("eft", "basis", "scale", "values")]
    if missing or extra:
        raise InputError("a WCxf-style dict needs the keys 'eft', 'scale', 'values' (and optionally 'basis'); "
                         f"missing {missing}, unknown {extra}")
    eft = obj["eft"]
    allowed = {"WET": "flavio", "SMEFT": "Warsaw"}
    if eft not in allowed or obj.get("basis", allowed[eft]) != allowed[eft]:
        raise InputError("coefficients must be eft 'WET' basis 'flavio' or eft 'SMEFT' basis 'Warsaw' (what flavio "
                         f"reads at the matching scale), got eft {eft!r} basis {obj.get('basis')!r}")
    try:
        scale = np.asarray(obj["scale"], dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"scale must be a number (or array) of GeV, got {obj['scale']!r}") from None
    if not (np.all(np.isfinite(scale)) and np.all(scale > 0)):
        raise InputError(f"scale must be positive and finite (GeV), got {obj['scale']!r}")
    values = obj["values"]
    if not isinstance(values, Mapping):
        raise InputError(f"'values' must be a mapping name -> value, got {type(values).__name__}")
    from observables import flavio_backend as fb

    basis_names = fb._basis_names() if eft == "WET" else fb._smeft_names()
    bad = [k for k in values if k not in basis_names]
    if bad:
        import difflib

        hints = {k: difflib.get_close_matches(k, basis_names, n=3) for k in bad}
        raise InputError(f"not WCxf {eft} {allowed[eft]}-basis Wilson coefficients: {hints} (name -> close matches)")
    vals = {k: _wcxf_value(k, v) for k, v in values.items()}
    try:
        shape = np.broadcast_shapes(scale.shape, *(np.shape(v) for v in vals.values()))
    except ValueError:
        raise InputError("the scale and the coefficient arrays do not broadcast to one batch shape") from None
    scale_b = float(scale) if shape == () else np.broadcast_to(scale, shape).copy()
    vals = {k: np.broadcast_to(v, shape).astype(complex) for k, v in vals.items()}
    if eft == "WET":
        return WilsonCoefficients(scale=scale_b, values=vals), None
    return None, SMEFTCoefficients(scale_b, vals)


# ------------------------------------------------------------------------------------------ SMEFT basis
def _predict_smeft(specs: Sequence[ObservableSpec], c: SMEFTCoefficients, method: str, memo: dict | None = None,
                   masses: str = "auto") -> dict[str, np.ndarray]:
    r"""SMEFT-basis observables (Z pole, W, tau decays; docs/electroweak.md) of the SMEFT Warsaw coefficients
    ``c`` (:class:`lqmodel.smeft_matching.SMEFTCoefficients`; for a point, the tree-level ones of
    :func:`lqmodel.smeft_matching.match_smeft` at the matching scale), evaluated by the surrogate (variables
    = coefficients non-zero in the batch; per scale, or interpolated in log(scale), see :func:`predict`) or by
    flavio point by point. The N_R operators have no SMEFT counterpart and do not enter (they are nuSMEFT;
    docs/electroweak.md §1)."""
    shape = c.batch_shape
    scales = np.broadcast_to(np.asarray(c.scale, dtype=float), shape)
    out = {s.name: np.empty(shape) for s in specs}
    if method == "flavio":
        from observables import flavio_backend as fb

        for idx in np.ndindex(shape):
            C_point = {k: complex(np.asarray(v)[idx]) for k, v in c.values.items() if np.asarray(v)[idx] != 0}
            for spec in specs:
                allowed = set(spec.wc_names)
                out[spec.name][idx] = fb.np_prediction(spec.name, {k: v for k, v in C_point.items() if k in allowed},
                                                       float(scales[idx]))
        return out
    from observables.surrogate import InterpolatedSurrogate, cached_surrogate, cached_surrogate_in

    root = _cache_root()  # once per call, not per node surrogate

    def surrogate(spec: ObservableSpec, mu: float, variables: list[str]) -> Surrogate:
        return _memoised(memo, (spec.name, float(mu), tuple(variables)),
                         lambda: cached_surrogate_in(root, spec.name, float(mu), tuple(variables)))

    if _interpolate(scales, masses):
        from observables.surrogate import ScaleGroups

        wanted = set().union(*(s.wc_names for s in specs)) if specs else set()
        # the coefficients some spec reads that are non-zero somewhere: once per call, not per spec
        flat = {k: np.broadcast_to(np.asarray(v), shape).reshape(-1) for k, v in c.values.items()
                if k in wanted and _any_nonzero(v)}
        groups = ScaleGroups(scales.reshape(-1))
        scratch: dict = {}
        for spec in specs:
            allowed = set(spec.wc_names)
            Cs = {k: v for k, v in flat.items() if k in allowed}
            variables = [n for n in spec.wc_names if n in Cs]

            def node(mu: float, spec: ObservableSpec = spec, variables: list[str] = variables) -> Surrogate:
                return surrogate(spec, mu, variables)

            s = InterpolatedSurrogate(spec.name, scales.reshape(-1), factory=node, groups=groups)
            out[spec.name] = np.asarray(s(Cs, scratch=scratch)).reshape(shape)
        return out
    distinct = np.unique(scales)
    _check_exact(distinct)
    for mu in distinct:
        if distinct.size == 1:  # one scale: every point, no masked copies
            mask: Any = Ellipsis
            C = {k: np.asarray(v) for k, v in c.values.items() if _any_nonzero(v)}
        else:
            mask = scales == mu
            C = {k: np.asarray(v)[mask] for k, v in c.values.items()}
        scratch = {}
        for spec in specs:
            allowed = set(spec.wc_names)
            Cs = {k: v for k, v in C.items() if k in allowed and (mask is Ellipsis or _any_nonzero(v))}
            if not Cs:  # no new physics in this group: flavio's SM value (a SMEFT object without coefficients),
                # through the surrogate without variables (cached/shipped; equal to fb.np_prediction(name, {}, mu))
                def sm(spec: ObservableSpec = spec, mu: float = float(mu)) -> float:
                    return float(cached_surrogate(spec.name, mu, [])({}))

                out[spec.name][mask] = _memoised(memo, (spec.name, float(mu), "SM"), sm)
                continue
            variables = [n for n in spec.wc_names if n in Cs]
            value = surrogate(spec, mu, variables)(Cs, scratch=scratch)
            if mask is Ellipsis:
                out[spec.name] = _own(value, out[spec.name])
            else:
                out[spec.name][mask] = value
    return out


def _own(value: Any, slot: np.ndarray) -> np.ndarray:
    """``value`` itself where it is a fresh writeable float array of the slot's shape (what a surrogate's
    evaluation returns: no copy of it into ``slot``), else ``slot`` filled with it."""
    if (isinstance(value, np.ndarray) and value.dtype == np.float64 and value.shape == slot.shape
            and value.flags.writeable and value.flags.c_contiguous):
        return value
    slot[...] = value
    return slot


def _interpolate(scales: np.ndarray, masses: str) -> bool:
    """Whether the batch goes through the interpolated surrogates (the ``masses`` option of :func:`predict`)."""
    if masses != "auto":
        return masses == "interpolated"
    n = scales.size
    if n <= 1:
        return False
    distinct = np.unique(scales).size
    return not (distinct == 1 or (distinct <= MAX_SCALES and 2 * distinct <= n))


def _check_exact(distinct: np.ndarray) -> None:
    if distinct.size > MAX_SCALES:
        raise InputError(
            f"{distinct.size} distinct leptoquark masses in one call with masses='exact'; that path builds one "
            f"surrogate per mass (at most {MAX_SCALES}): use masses='interpolated' (any masses, relative error "
            "< 1e-7) or 'auto', or method='flavio'")


# ------------------------------------------------------------------------------------------ surrogate
#: coefficient values (one point: complex; a batch: arrays) and the values of the forms evaluated on them
_V = TypeVar("_V", complex, np.ndarray)
_R = TypeVar("_R", float, np.ndarray)
_T = TypeVar("_T")


def _q(f: Callable[[Mapping[str, _V]], _R], M: Mapping[str, _V], zero: Mapping[str, _V]) -> _R:
    """NP-squared part of a quadratic form evaluated through calls: [f(M) + f(-M)]/2 - f(0)."""
    neg = {k: -v for k, v in M.items()}
    return 0.5 * (f(M) + f(neg)) - f(zero)


def _cache_root() -> str:
    from observables.surrogate import _cache_root_text

    return _cache_root_text()


def _memoised(memo: dict | None, key: tuple, build: Callable[[], _T]) -> _T:
    """``build()``, kept in the caller's ``memo`` dict under ``key`` when one is given."""
    if memo is None:
        return build()
    if key not in memo:
        memo[key] = build()
    return memo[key]


def _eval_spec_surrogate(spec: ObservableSpec, scale: float | np.ndarray, C: dict[str, np.ndarray],
                         images: list[dict[str, np.ndarray]], memo: dict | None = None,
                         groups: ScaleGroups | None = None, nonzero: frozenset[str] | None = None,
                         scratch: dict | None = None, cache_root: str | None = None) -> np.ndarray:
    """One spec on one group of points: ``scale`` a float (one surrogate at that scale) or a 1-d array of
    per-point scales (the interpolated surrogate, :class:`observables.surrogate.InterpolatedSurrogate`;
    ``groups``: the batch's :class:`observables.surrogate.ScaleGroups`, shared by every spec of a call).
    ``nonzero``: the names of ``C`` and of the images that are non-zero somewhere (computed once per call;
    default: here). ``scratch``: a dict shared by the specs of one call (their real variables and monomials,
    :meth:`observables.surrogate.Surrogate.values`). ``cache_root``: the surrogate cache folder (default: read
    here; a call over many specs reads it once)."""
    from observables.surrogate import InterpolatedSurrogate, cached_surrogate_in

    root = _cache_root() if cache_root is None else cache_root
    if nonzero is None:
        nonzero = frozenset(k for d in (C, *images) for k, v in d.items() if np.any(v != 0))
    allowed = set(spec.wc_names)
    Cs = {k: v for k, v in C.items() if k in allowed and k in nonzero}
    imgs = [{k: v for k, v in img.items() if k in allowed} for img in images]
    imgs = [img for img in imgs if any(k in nonzero for k in img)]
    if spec.form in ("linear", "sqrt_quadratic"):
        imgs = []  # N_R operators do not enter a_mu or Delta M_s
    variables = [n for n in spec.wc_names if n in Cs or any(n in img for img in imgs)]

    def at(mu: float) -> Surrogate:
        return _memoised(memo, (spec.name, mu, tuple(variables)),
                         lambda: cached_surrogate_in(root, spec.name, mu, tuple(variables)))

    s: Surrogate | InterpolatedSurrogate
    s = (at(float(scale)) if np.ndim(scale) == 0
         else InterpolatedSurrogate(spec.name, scale, factory=at, groups=groups))
    if not imgs:
        return s(Cs, scratch=scratch)
    # the images' NP-squared parts x^T Q x (exactly [f(M) + f(-M)]/2 - f(0) of each quadratic form f, which
    # the flavio path evaluates through calls, _q), added to the numerator (and denominator)
    parts = ("numerator", "denominator") if spec.form == "rational" else ("numerator",)
    vals = s.values(Cs, parts, scratch=scratch)
    for img in imgs:
        vals = [v + q for v, q in zip(vals, s.values(img, parts, quadratic_only=True, scratch=scratch), strict=True)]
    return vals[0] / vals[1] if spec.form == "rational" else vals[0]


def _predict_surrogate(specs: Sequence[ObservableSpec], wc: WilsonCoefficients, memo: dict | None = None,
                       masses: str = "auto") -> dict[str, np.ndarray]:
    from observables.surrogate import ScaleGroups

    shape = wc.batch_shape
    scales = np.broadcast_to(np.asarray(wc.scale, dtype=float), shape)
    images = parity_images(wc)
    wanted = set().union(*(s.wc_names for s in specs)) if specs else set()
    # the coefficients some spec reads, and which of them are non-zero somewhere: once per call, not per spec
    values = {k: v for k, v in wc.values.items() if k in wanted}
    nonzero = frozenset(k for d in (values, *images) for k, v in d.items() if _any_nonzero(v))
    out = {s.name: np.empty(shape) for s in specs}
    root = _cache_root()
    if _interpolate(scales, masses):
        flat = scales.reshape(-1)
        groups = ScaleGroups(flat)
        C = {k: np.broadcast_to(np.asarray(v), shape).reshape(-1) for k, v in values.items() if k in nonzero}
        imgs = [{k: np.broadcast_to(np.asarray(v), shape).reshape(-1) for k, v in img.items()} for img in images]
        scratch: dict = {}
        for spec in specs:
            out[spec.name] = np.asarray(_eval_spec_surrogate(spec, flat, C, imgs, memo, groups,
                                                             nonzero, scratch, root)).reshape(shape)
        return out
    distinct = np.unique(scales)
    _check_exact(distinct)
    for mu in distinct:
        if distinct.size == 1:
            C = {k: np.asarray(v) for k, v in values.items() if k in nonzero}
            imgs = [{k: np.asarray(v) for k, v in img.items()} for img in images]
            scratch = {}
            for spec in specs:
                value = _eval_spec_surrogate(spec, float(mu), C, imgs, memo, None, nonzero, scratch, root)
                out[spec.name] = _own(value, out[spec.name])
            break
        mask: Any = scales == mu
        flat_mask = mask.reshape(-1)
        first, last = int(np.argmax(flat_mask)), flat_mask.size - int(np.argmax(flat_mask[::-1]))
        if np.all(flat_mask[first:last]):  # one contiguous run of points (grid order): views, no copies
            sl = slice(first, last)
            C = {k: np.broadcast_to(np.asarray(v), shape).reshape(-1)[sl] for k, v in values.items()
                 if k in nonzero}
            imgs = [{k: np.broadcast_to(np.asarray(v), shape).reshape(-1)[sl] for k, v in img.items()}
                    for img in images]
            scratch = {}  # the specs of this scale share their variables' rows and monomials
            nz_mu = frozenset(k for d in (C, *imgs) for k, v in d.items() if _any_nonzero(v))
            for spec in specs:
                out[spec.name].reshape(-1)[sl] = _eval_spec_surrogate(spec, float(mu), C, imgs, memo, None, nz_mu,
                                                                      scratch, root)
            continue
        C = {k: np.asarray(v)[mask] for k, v in values.items() if k in nonzero}
        imgs = [{k: np.asarray(v)[mask] for k, v in img.items()} for img in images]
        for spec in specs:
            out[spec.name][mask] = _eval_spec_surrogate(spec, float(mu), C, imgs, memo, cache_root=root)
    return out


# ------------------------------------------------------------------------------------------ flavio
def _eval_spec_flavio(spec: ObservableSpec, scale: float, C: dict[str, complex],
                      images: list[dict[str, complex]]) -> float:
    from observables import flavio_backend as fb

    allowed = set(spec.wc_names)
    Cs = {k: v for k, v in C.items() if k in allowed and v != 0}
    imgs = [{k: v for k, v in img.items() if k in allowed and v != 0} for img in images]
    imgs = [img for img in imgs if img] if spec.form not in ("linear", "sqrt_quadratic") else []
    if not imgs:
        return fb.np_prediction(spec.name, Cs, scale)

    def value(part: Part) -> Callable[[Mapping[str, complex]], float]:
        return lambda wc: fb.part_value(part, fb.make_wc(wc, scale))

    if spec.denominator is not None:  # form "rational" (the registry enforces rational <=> a denominator)
        fn, fd = value(spec.numerator), value(spec.denominator)
        num, den = fn(Cs), fd(Cs)
        for img in imgs:
            num += _q(fn, img, {})
            den += _q(fd, img, {})
        return num / den
    f = value(spec.numerator)
    val = f(Cs)
    for img in imgs:
        val += _q(f, img, {})
    return val


def _predict_flavio(specs: Sequence[ObservableSpec], wc: WilsonCoefficients) -> dict[str, np.ndarray]:
    shape = wc.batch_shape
    scales = np.broadcast_to(np.asarray(wc.scale, dtype=float), shape)
    images = parity_images(wc)
    out = {s.name: np.empty(shape) for s in specs}
    for idx in np.ndindex(shape):
        C = {k: complex(np.asarray(v)[idx]) for k, v in wc.values.items() if np.asarray(v)[idx] != 0}
        imgs = [{k: complex(np.asarray(v)[idx]) for k, v in img.items()} for img in images]
        for spec in specs:
            out[spec.name][idx] = _eval_spec_flavio(spec, float(scales[idx]), C, imgs)
    return out


# ------------------------------------------------------------------------------------------ chi2 / summary
def chi2(predictions: Any, vintage: str | None = None, *, method: str = "surrogate",
         names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """χ² per measured observable, ``"total"`` and one ``"group:<group>"`` entry per constraint group
    (:func:`observables.likelihood.chi2`, with correlations and flavio's SM theory covariance). Observables
    without a measurement in the vintage are ignored.

    ``predictions``: toolkit name -> value(s) (the output of :func:`predict`), or a
    :class:`~lqmodel.point.Point` (scalar or batched), which is predicted first with ``method`` (the
    observables ``names``, default every registered one). ``vintage``: e.g. ``"2026-12"`` or
    ``"2026-12:Bc_lifetime=30%"``
    (:func:`observables.measurements.load`).
    """
    from observables.likelihood import chi2 as _chi2

    if not isinstance(predictions, Mapping):
        if not (hasattr(predictions, "batch_shape") and hasattr(predictions, "mass_basis")):
            raise TypeError("chi2 needs a mapping {toolkit observable name: value} or a lqmodel Point, "
                            f"got {type(predictions).__name__}")
        predictions = predict(predictions, names, method=method)
    return _chi2(predictions, vintage)


def _chi2_theory(predictions: Mapping[str, np.ndarray], vintage: str | None,
                 theory: bool) -> dict[str, np.ndarray]:
    from observables.likelihood import chi2 as _chi2

    return _chi2(predictions, vintage, theory=theory)


def _encode(v: complex) -> float | list[float]:
    """A complex coefficient as in WCxf files: the real number if it is real, else [re, im]."""
    return v.real if v.imag == 0 else [v.real, v.imag]


def _flavio_key(spec: ObservableSpec) -> str:
    if spec.args:
        return f"{spec.flavio_name}[{','.join(str(a) for a in spec.args)}]"
    return spec.flavio_name


def flavour_summary(point: Point, names: Sequence[str] | None = None, *, method: str = "flavio",
                    vintage: str | None = None, theory: bool = True) -> dict:
    """JSON-ready flavour summary of a scalar point (``lqmodel point FILE --json --flavour``).

    ``{"observables": {flavio name (+"[qmin,qmax]"): value}, "predictions": {toolkit name: value},
    "chi2": {toolkit name: x, "total": x, "group:<group>": x},
    "wilson_coefficients": {"scale": GeV, "eft": "WET", "basis": "flavio", "values": {name: value or
    [re, im]}}}`` plus ``"right_handed_nu"`` (non-zero N_R coefficients, same encoding) and
    ``"omitted_right_handed_nu"`` (non-zero N_R coefficients without a flavio image, not in the predictions).
    ``observables`` holds each prediction as flavio defines the observable: ``"a_mu"`` is the full
    a_mu (flavio's SM value plus the shift), the shift itself is ``"Delta_a_mu"``.
    ``method``: ``"flavio"`` (default: a single point costs ~0.1-0.3 s per observable, no surrogate build)
    or ``"surrogate"``. ``names``: observables to include (default all registered); ``theory=False`` drops
    flavio's SM theory
    covariance from the χ² (:func:`observables.likelihood.chi2`; building it costs ~1 min once per cache).
    """
    if point.batch_shape != ():
        raise ValueError(f"flavour_summary needs a scalar point, got batch shape {point.batch_shape}")
    _check_method(method)
    specs = _specs(names)
    preds = predict(point, [s.name for s in specs], method=method)
    wc = match(point)
    rhn = {k: complex(v) for k, v in wc.right_handed_nu.items() if complex(v) != 0}
    observables: dict[str, float] = {}
    for s in specs:
        if s.subtract_sm:
            # flavio's observable is the full value (a_mu = 1.1659e-3); the NP shift has its own name
            from observables import flavio_backend as fb

            flavio = fb._import_flavio()
            sm = float(flavio.sm_prediction(s.flavio_name, *s.args))
            observables[_flavio_key(s)] = sm + float(preds[s.name])
            observables[s.name] = float(preds[s.name])
        else:
            observables[_flavio_key(s)] = float(preds[s.name])
    return {
        "observables": observables,
        "predictions": {s.name: float(preds[s.name]) for s in specs},
        "chi2": {k: float(v) for k, v in _chi2_theory(preds, vintage, theory).items()},
        "wilson_coefficients": wc.to_dict(),
        "right_handed_nu": {k: _encode(v) for k, v in rhn.items()},
        "omitted_right_handed_nu": sorted(k for k in rhn if k not in _IMAGE_SOURCES),
    }
