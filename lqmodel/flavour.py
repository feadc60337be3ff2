r"""Flavour observables of a leptoquark point: predictions (exact fast surrogate or direct flavio), χ²,
and the JSON summary of ``lqmodel point --json --flavour``.

Pipeline (docs/theory.md §c, §e): :func:`lqmodel.matching.match` gives the WET coefficients at the matching
scale :math:`\mu=m_{S_1}`; the toolkit observables of :mod:`observables.registry` are evaluated either by

* ``method="surrogate"`` (default): :func:`observables.surrogate.get_surrogate` at that scale — the exact
  polynomial / rational representation extracted from flavio, vectorised over the batch. Points are
  grouped by their matching scale (one surrogate per distinct leptoquark mass; at most
  :data:`MAX_SCALES` distinct masses per call: scan masses on a grid). Each surrogate keeps as variables
  only the coefficients that are non-zero somewhere in the group, so a model that moves few coefficients
  needs few flavio calls to build it; surrogates are cached on disk (``LQMODEL_CACHE_DIR``).
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

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .matching import LEPTONS, WilsonCoefficients, match

__all__ = ["predict", "chi2", "flavour_summary", "parity_images", "MAX_SCALES", "METHODS"]

#: largest number of distinct leptoquark masses in one surrogate call
MAX_SCALES = 64
METHODS = ("surrogate", "flavio")
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


def parity_images(wc: WilsonCoefficients) -> list[dict[str, np.ndarray]]:
    r"""The parity images of the N_R operators (docs/theory.md §c.6), one dict per incoherent N final state.

    Each dict maps flavio-basis names to the N_R coefficients they mirror; only images with a non-zero
    coefficient somewhere in the batch are returned. Their NP-squared contributions add to the rates.
    """
    out = []
    for _, m in _IMAGES:
        img = {dst: wc.right_handed_nu[src] for src, dst in m.items()
               if src in wc.right_handed_nu and np.any(wc.right_handed_nu[src] != 0)}
        if img:
            out.append(img)
    return out


def _specs(names: Sequence[str] | None):
    from observables import registry

    if isinstance(names, str):
        names = [names]
    return [registry.get(n) for n in (registry.names() if names is None else names)]


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")


def predict(point, names: Sequence[str] | None = None, *, method: str = "surrogate",
            memo: dict | None = None) -> dict[str, np.ndarray]:
    """Predictions of toolkit observables (keys of ``observables.registry.OBSERVABLES``) for ``point``.

    Returns name -> array of shape ``point.batch_shape`` (float for a scalar point is a 0-d array).
    ``names=None``: every registered observable. Units: those of the registry entries.
    ``memo``: a caller-owned dict that keeps the surrogates (and SM values) in memory between calls
    (a fit evaluates the same surrogates thousands of times; without it each call reads them from disk).
    """
    _check_method(method)
    specs = _specs(names)
    smeft_specs = [s for s in specs if s.basis == "SMEFT"]
    specs = [s for s in specs if s.basis != "SMEFT"]
    out: dict[str, np.ndarray] = {}
    if specs:
        needed = set().union(*(s.wc_names for s in specs))
        needed |= {src for _, m in _IMAGES for src, dst in m.items() if dst in needed}
        wc = match(point, names=needed)
        out.update(_predict_surrogate(specs, wc, memo) if method == "surrogate" else _predict_flavio(specs, wc))
    if smeft_specs:
        out.update(_predict_smeft(smeft_specs, point, method, memo))
    return out


# ------------------------------------------------------------------------------------------ SMEFT basis
def _predict_smeft(specs, point, method: str, memo: dict | None = None) -> dict[str, np.ndarray]:
    r"""SMEFT-basis observables (Z pole, W, tau decays; docs/electroweak.md): the tree-level SMEFT Warsaw
    coefficients of :func:`lqmodel.smeft_matching.match_smeft` at the matching scale, evaluated by the
    surrogate (grouped by scale, variables = coefficients non-zero in the group) or by flavio point by point.
    The N_R operators have no SMEFT counterpart and do not enter (they are nuSMEFT; docs/electroweak.md §1)."""
    from lqmodel.smeft_matching import match_smeft

    c = match_smeft(point)
    shape = c.batch_shape
    scales = np.broadcast_to(np.asarray(c.scale, dtype=float), shape)
    out = {s.name: np.empty(shape) for s in specs}
    if method == "flavio":
        from observables import flavio_backend as fb

        for idx in np.ndindex(shape):
            C = {k: complex(np.asarray(v)[idx]) for k, v in c.values.items() if np.asarray(v)[idx] != 0}
            for spec in specs:
                allowed = set(spec.wc_names)
                out[spec.name][idx] = fb.np_prediction(spec.name, {k: v for k, v in C.items() if k in allowed},
                                                       float(scales[idx]))
        return out
    from observables.surrogate import get_surrogate

    distinct = np.unique(scales)
    if distinct.size > MAX_SCALES:
        raise ValueError(
            f"{distinct.size} distinct leptoquark masses in one call; the surrogate path builds one surrogate "
            f"per mass (at most {MAX_SCALES}): put the masses on a grid, or use method='flavio'")
    for mu in distinct:
        mask = scales == mu
        C = {k: np.asarray(v)[mask] for k, v in c.values.items()}
        for spec in specs:
            allowed = set(spec.wc_names)
            Cs = {k: v for k, v in C.items() if k in allowed and np.any(v != 0)}
            if not Cs:  # no new physics in this group: flavio's SM value (a SMEFT object without coefficients),
                # through the surrogate without variables (cached/shipped; equal to fb.np_prediction(name, {}, mu))
                out[spec.name][mask] = _memoised(memo, (spec.name, float(mu), "SM"),
                                                 lambda: float(get_surrogate(spec.name, float(mu), wc_names=[])({})))
                continue
            variables = [n for n in spec.wc_names if n in Cs]
            s = _memoised(memo, (spec.name, float(mu), tuple(variables)),
                          lambda: get_surrogate(spec.name, float(mu), wc_names=variables))
            out[spec.name][mask] = s(Cs)
    return out


# ------------------------------------------------------------------------------------------ surrogate
def _q(f, M: Mapping[str, np.ndarray], zero: Mapping[str, np.ndarray]) -> np.ndarray:
    """NP-squared part of a quadratic form evaluated through calls: [f(M) + f(-M)]/2 - f(0)."""
    neg = {k: -v for k, v in M.items()}
    return 0.5 * (f(M) + f(neg)) - f(zero)


def _memoised(memo: dict | None, key: tuple, build):
    """``build()``, kept in the caller's ``memo`` dict under ``key`` when one is given."""
    if memo is None:
        return build()
    if key not in memo:
        memo[key] = build()
    return memo[key]


def _eval_spec_surrogate(spec, scale: float, C: dict[str, np.ndarray], images: list[dict[str, np.ndarray]],
                         memo: dict | None = None):
    from observables.surrogate import get_surrogate

    allowed = set(spec.wc_names)
    Cs = {k: v for k, v in C.items() if k in allowed and np.any(v != 0)}
    imgs = [{k: v for k, v in img.items() if k in allowed} for img in images]
    imgs = [img for img in imgs if any(np.any(v != 0) for v in img.values())]
    if spec.form in ("linear", "sqrt_quadratic"):
        imgs = []  # N_R operators do not enter a_mu or Delta M_s
    variables = [n for n in spec.wc_names if n in Cs or any(n in img for img in imgs)]
    s = _memoised(memo, (spec.name, scale, tuple(variables)), lambda: get_surrogate(spec.name, scale, wc_names=variables))
    if not imgs:
        return s(Cs)
    zero: dict[str, np.ndarray] = {}
    if spec.form == "rational":
        num, den = s.numerator_value(Cs), s.denominator_value(Cs)
        for img in imgs:
            num = num + _q(s.numerator_value, img, zero)
            den = den + _q(s.denominator_value, img, zero)
        return num / den
    val = s(Cs)
    for img in imgs:
        val = val + _q(s, img, zero)
    return val


def _predict_surrogate(specs, wc: WilsonCoefficients, memo: dict | None = None) -> dict[str, np.ndarray]:
    shape = wc.batch_shape
    scales = np.broadcast_to(np.asarray(wc.scale, dtype=float), shape)
    distinct = np.unique(scales)
    if distinct.size > MAX_SCALES:
        raise ValueError(
            f"{distinct.size} distinct leptoquark masses in one call; the surrogate path builds one surrogate "
            f"per mass (at most {MAX_SCALES}): put the masses on a grid, or use method='flavio'"
        )
    images = parity_images(wc)
    out = {s.name: np.empty(shape) for s in specs}
    for mu in distinct:
        mask = scales == mu
        C = {k: np.asarray(v)[mask] for k, v in wc.values.items()}
        imgs = [{k: np.asarray(v)[mask] for k, v in img.items()} for img in images]
        for spec in specs:
            out[spec.name][mask] = _eval_spec_surrogate(spec, float(mu), C, imgs, memo)
    return out


# ------------------------------------------------------------------------------------------ flavio
def _eval_spec_flavio(spec, scale: float, C: dict[str, complex], images: list[dict[str, complex]]) -> float:
    from observables import flavio_backend as fb

    allowed = set(spec.wc_names)
    Cs = {k: v for k, v in C.items() if k in allowed and v != 0}
    imgs = [{k: v for k, v in img.items() if k in allowed and v != 0} for img in images]
    imgs = [img for img in imgs if img] if spec.form not in ("linear", "sqrt_quadratic") else []
    if not imgs:
        return fb.np_prediction(spec.name, Cs, scale)

    def value(part):
        return lambda wc: fb.part_value(part, fb.make_wc(wc, scale))

    if spec.form == "rational":
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


def _predict_flavio(specs, wc: WilsonCoefficients) -> dict[str, np.ndarray]:
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
    observables ``names``, default every registered one). ``vintage``: e.g. ``"2026-12"`` or ``"2026-12:Bc_lifetime=30%"``
    (:func:`observables.measurements.load`).
    """
    from observables.likelihood import chi2 as _chi2

    if not isinstance(predictions, Mapping):
        if not (hasattr(predictions, "batch_shape") and hasattr(predictions, "mass_basis")):
            raise TypeError("chi2 needs a mapping {toolkit observable name: value} or a lqmodel Point, "
                            f"got {type(predictions).__name__}")
        predictions = predict(predictions, names, method=method)
    return _chi2(predictions, vintage)


def _chi2_theory(predictions, vintage, theory: bool):
    from observables.likelihood import chi2 as _chi2

    return _chi2(predictions, vintage, theory=theory)


def _flavio_key(spec) -> str:
    if spec.args:
        return f"{spec.flavio_name}[{','.join(str(a) for a in spec.args)}]"
    return spec.flavio_name


def flavour_summary(point, names: Sequence[str] | None = None, *, method: str = "flavio",
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
    or ``"surrogate"``. ``names``: observables to include (default all registered); ``theory=False`` drops flavio's SM theory
    covariance from the χ² (:func:`observables.likelihood.chi2`; building it costs ~1 min once per cache).
    """
    if point.batch_shape != ():
        raise ValueError(f"flavour_summary needs a scalar point, got batch shape {point.batch_shape}")
    _check_method(method)
    specs = _specs(names)
    preds = predict(point, [s.name for s in specs], method=method)
    wc = match(point)
    rhn = {k: complex(v) for k, v in wc.right_handed_nu.items() if complex(v) != 0}
    enc = lambda v: v.real if v.imag == 0 else [v.real, v.imag]  # noqa: E731
    observables: dict[str, float] = {}
    for s in specs:
        if s.subtract_sm:
            # flavio's observable is the full value (a_mu = 1.1659e-3); the NP shift has its own name
            from observables import flavio_backend as fb

            sm = float(fb._import_flavio().sm_prediction(s.flavio_name, *s.args))
            observables[_flavio_key(s)] = sm + float(preds[s.name])
            observables[s.name] = float(preds[s.name])
        else:
            observables[_flavio_key(s)] = float(preds[s.name])
    return {
        "observables": observables,
        "predictions": {s.name: float(preds[s.name]) for s in specs},
        "chi2": {k: float(v) for k, v in _chi2_theory(preds, vintage, theory).items()},
        "wilson_coefficients": wc.to_dict(),
        "right_handed_nu": {k: enc(v) for k, v in rhn.items()},
        "omitted_right_handed_nu": sorted(k for k in rhn if k not in _IMAGE_SOURCES),
    }
