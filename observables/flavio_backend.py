r"""Thin, lazy interface to flavio 2.7.1: new-physics and SM predictions of the registered observables.

* flavio is imported inside the functions (``import flavio`` costs ~9 s and ~0.8 GB once per process).
* Wilson coefficients are given in the WCxf **WET flavio basis** at a scale :math:`\mu` (GeV) and contain
  new physics only (flavio adds the SM); flavio/wilson run them down to each observable's scale.
* Only observables that need no network are used (no Drell–Yan: flavio downloads PDFs for those).

flavio integrates over :math:`q^2` adaptively with ``scipy.integrate.quad`` at relative tolerance
``epsrel = 0.005`` (``5e-4`` inside the lepton-universality ratios of :math:`B\to K^{(*)}\ell\ell`), so its
integrated observables jitter at the 1e-7 … 3e-5 relative level when the coefficients change.
:func:`integration_tolerance` tightens that tolerance for the duration of a ``with`` block (used to build
the surrogates and to measure flavio's own spread).
"""
from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from types import ModuleType

from observables.registry import ObservableSpec, Part, get

__all__ = [
    "flavio_version",
    "wilson_version",
    "make_wc",
    "quantity",
    "part_value",
    "np_prediction",
    "sm_prediction",
    "integration_tolerance",
]


def _import_flavio() -> ModuleType:
    import sys

    if "flavio" not in sys.modules:  # one progress line (logger observables.progress) for the slow first import
        import logging

        progress = logging.getLogger("observables.progress")
        progress.propagate = False  # shown only where a handler is attached (the CLI)
        progress.info("lqmodel: importing flavio…")
    with warnings.catch_warnings():
        # rundec (SWIG) on Python >= 3.11; harmless and outside our control (same filter as pyproject)
        warnings.filterwarnings("ignore", message="builtin type .* has no __module__", category=DeprecationWarning)
        import flavio

    return flavio


@cache
def flavio_version() -> str:
    """Installed flavio version (part of every on-disk cache key); does not import flavio. Read once per
    process (importlib.metadata parses the package's METADATA file on every call)."""
    from importlib.metadata import version

    return version("flavio")


@cache
def wilson_version() -> str:
    """Installed wilson version (part of every on-disk cache key); read once per process."""
    from importlib.metadata import version

    return version("wilson")


def make_wc(wc: Mapping[str, complex], scale: float, basis: str | None = None):
    """A ``flavio.WilsonCoefficients`` with the NP coefficients ``wc`` at ``scale`` GeV.

    ``basis``: ``"WET"`` (WCxf WET flavio basis), ``"SMEFT"`` (WCxf SMEFT Warsaw basis: flavio/wilson run
    them with the SMEFT RGE and match to WET at the Z mass) or ``None``: SMEFT if any name is a Warsaw name,
    else WET. Raises ``KeyError`` for names that are not in the basis.
    """
    if basis is None:
        basis = "SMEFT" if any(k in _smeft_names() for k in wc) else "WET"
    if basis == "SMEFT":
        return _make_smeft_wc(wc, scale)
    if basis != "WET":
        raise ValueError(f"unknown basis {basis!r}; allowed: 'WET', 'SMEFT'")
    flavio = _import_flavio()
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number of GeV, got {scale!r}")
    bad = [k for k in wc if k not in _basis_names()]
    if bad:
        import difflib

        hints = {k: difflib.get_close_matches(k, _basis_names(), n=3) for k in bad}
        raise KeyError(f"not WET flavio-basis Wilson coefficients: {hints} (name -> close matches)")
    w = flavio.WilsonCoefficients()
    w.set_initial({k: complex(v) for k, v in wc.items() if complex(v) != 0}, float(scale), eft="WET", basis="flavio")
    return w


@lru_cache(maxsize=1)
def _smeft_names() -> frozenset[str]:
    from wilson import wcxf

    return frozenset(wcxf.Basis["SMEFT", "Warsaw"].all_wcs)


@lru_cache(maxsize=1)
def _smeft_real_names() -> frozenset[str]:
    from wilson import wcxf

    b = wcxf.Basis["SMEFT", "Warsaw"]
    return frozenset(k for sec in b.sectors.values() for k, v in sec.items() if v.get("real", False))


def _make_smeft_wc(wc: Mapping[str, complex], scale: float):
    """SMEFT Warsaw coefficients -> flavio object (memoised on the exact values: one wilson SMEFT run per
    distinct coefficient set, shared by every quantity evaluated on it, e.g. while surrogates are built).

    Coefficients that WCxf declares real (hermitian flavour-diagonal entries) keep their real part only: an
    imaginary part there has no meaning (the operator plus its h.c. is hermitian).
    """
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number of GeV, got {scale!r}")
    bad = [k for k in wc if k not in _smeft_names()]
    if bad:
        import difflib

        hints = {k: difflib.get_close_matches(k, _smeft_names(), n=3) for k in bad}
        raise KeyError(f"not SMEFT Warsaw-basis Wilson coefficients: {hints} (name -> close matches)")
    real = _smeft_real_names()
    items = []
    for k, v in sorted(wc.items()):
        v = complex(v)
        v = complex(v.real, 0.0) if k in real else v
        if v != 0:
            items.append((k, v.real, v.imag))
    return _smeft_wc_cached(tuple(items), float(scale))


@lru_cache(maxsize=512)
def _smeft_wc_cached(items: tuple, scale: float):
    flavio = _import_flavio()
    w = flavio.WilsonCoefficients()
    w.set_initial({k: (re if im == 0 else complex(re, im)) for k, re, im in items}, scale, eft="SMEFT",
                  basis="Warsaw")
    return w


@lru_cache(maxsize=1)
def _basis_names() -> frozenset[str]:
    from wilson import wcxf

    return frozenset(wcxf.Basis["WET", "flavio"].all_wcs)


_LFU_INTEGRALS = {
    # name -> (module kind, B, final hadron, lepton); flavio 2.7.1 bpll.bpll_obs_int_ratio_leptonflavour
    # and bvll.observables.bvll_obs_int_ratio_leptonflavour integrate these with epsrel = 5e-4
    "Gamma_int(B+->Kmumu)": ("P", "B+", "K+", "mu"),
    "Gamma_int(B+->Kee)": ("P", "B+", "K+", "e"),
    "Gamma_int(B0->K*mumu)": ("V", "B0", "K*0", "mu"),
    "Gamma_int(B0->K*ee)": ("V", "B0", "K*0", "e"),
}


@lru_cache(maxsize=1)
def _ew_quantities():
    """flavio-internal Z/W quantities (flavio 2.7.1 zdecays/gammaz.py, afbz.py, wdecays/gammaw.py)."""
    from flavio.physics.wdecays import gammaw
    from flavio.physics.zdecays import afbz, gammaz

    flavio = _import_flavio()

    def par():
        return flavio.default_parameters.get_central_all()

    def gv_ga(f):
        def g(wc_obj):
            gV, gA = afbz.get_gV_gA(wc_obj, par(), f)
            return gV, gA
        return g

    def two_gvga(f):
        def q(wc_obj):
            gV, gA = gv_ga(f)(wc_obj)
            return float((2 * gV * gA.conjugate()).real)
        return q

    def gv2ga2(f):
        def q(wc_obj):
            gV, gA = gv_ga(f)(wc_obj)
            return float(abs(gV) ** 2 + abs(gA) ** 2)
        return q

    def gamma_w(lep):
        return lambda wc_obj: float(sum(gammaw.GammaW(wc_obj, par(), lep, nu) for nu in ("e", "mu", "tau")))

    out = {"Gamma_had(Z)": lambda wc_obj: float(gammaz.Gammahad(wc_obj, par()))}
    for f in ("e", "mu", "tau"):
        out[f"Z_2gVgA({f})"] = two_gvga(f)
        out[f"Z_gV2+gA2({f})"] = gv2ga2(f)
        out[f"Gamma(W->{f}nu)"] = gamma_w(f)
    return out


#: names of the flavio-internal Z/W quantities that :func:`quantity` evaluates (SMEFT-basis parts of the
#: registry): Gamma_had(Z) [GeV] (flavio's Gammahad), Z_2gVgA(f) and Z_gV2+gA2(f) (numerator and denominator
#: of A_f = 2 g_V g_A/(g_V^2+g_A^2), flavio's normalisation g_A = T3/2), Gamma(W->l nu) [GeV] (summed over nu)
EW_QUANTITIES = frozenset(["Gamma_had(Z)"] + [f"{q}({f})" for q in ("Z_2gVgA", "Z_gV2+gA2") for f in ("e", "mu", "tau")]
                          + [f"Gamma(W->{f}nu)" for f in ("e", "mu", "tau")])


def quantity(name: str, wc_obj, args: tuple = ()) -> float:
    r"""Evaluate one flavio quantity for the ``flavio.WilsonCoefficients`` ``wc_obj``.

    ``name`` is a flavio observable name, or ``"Gamma_int(B+->K\ell\ell)"`` /
    ``"Gamma_int(B0->K*\ell\ell)"``: the CP-averaged :math:`\int dq^2\, d\Gamma/dq^2` over ``args = (q2min,
    q2max)`` exactly as flavio computes the numerator and denominator of ``<Rmue>`` (same function, same
    ``epsrel = 5e-4``), so that their ratio reproduces flavio's ``<Rmue>`` identically.
    """
    flavio = _import_flavio()
    if name in EW_QUANTITIES:
        return _ew_quantities()[name](wc_obj)
    if name in _LFU_INTEGRALS:
        kind, B, H, lep = _LFU_INTEGRALS[name]
        q2min, q2max = args
        par = flavio.default_parameters.get_central_all()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The QCDF corrections should not be trusted .*")
            if kind == "P":
                from flavio.physics.bdecays import bpll

                return float(bpll.bpll_obs_int(bpll.dGdq2_cpaverage, q2min, q2max, wc_obj, par, B, H, lep,
                                               epsrel=0.0005))
            from flavio.physics.bdecays.bvll import observables as bvll

            obj = bvll.BVll_obs_int(bvll.dGdq2_ave, q2min, q2max, B, H, lep, wc_obj, par)
            obj.epsrel = 0.0005
            return float(obj())
    from observables import charm

    if name in charm.TOOLKIT_QUANTITIES:  # BR(D0 -> l l): the toolkit's own formula (not in flavio 2.7.1)
        return charm.br_d0_ll_from_wc_obj(wc_obj, charm.TOOLKIT_QUANTITIES[name])
    return float(flavio.np_prediction(name, wc_obj, *args))


def part_value(part: Part, wc_obj) -> float:
    """Weighted sum of the flavio quantities of a :class:`~observables.registry.Part`."""
    return float(sum(t.weight * quantity(t.quantity, wc_obj, t.args) for t in part.terms))


def _spec_value(spec: ObservableSpec, wc_obj) -> float:
    from observables import charm

    if spec.flavio_name in charm.TOOLKIT_QUANTITIES:
        return quantity(spec.flavio_name, wc_obj)
    flavio = _import_flavio()
    value = float(flavio.np_prediction(spec.flavio_name, wc_obj, *spec.args))
    if spec.subtract_sm:
        value -= float(flavio.sm_prediction(spec.flavio_name, *spec.args))
    return value


def np_prediction(name: str, wc: Mapping[str, complex], scale: float) -> float:
    """flavio's prediction of toolkit observable ``name`` with NP coefficients ``wc`` at ``scale`` (GeV).

    ``wc``: WET flavio-basis names (SMEFT Warsaw names for ``basis == "SMEFT"`` specs) -> complex values
    (new physics only); missing names are zero.
    For ``Delta_a_mu`` the SM value is subtracted. Unit: that of the registry entry.
    """
    spec = get(name)
    return _spec_value(spec, make_wc(wc, scale, spec.basis))


def sm_prediction(name: str) -> float:
    """flavio's SM prediction (central parameters) of toolkit observable ``name`` (0 for ``Delta_a_mu``)."""
    from observables import charm

    spec = get(name)
    if spec.subtract_sm:
        return 0.0
    if spec.flavio_name in charm.TOOLKIT_QUANTITIES:
        return 0.0  # SM short distance ~1e-18, long distance not included (docs/charm.md)
    flavio = _import_flavio()
    return float(flavio.sm_prediction(spec.flavio_name, *spec.args))


@contextlib.contextmanager
def integration_tolerance(factor: float) -> Iterator[None]:
    """Multiply flavio's numerical-integration ``epsrel`` by ``factor`` inside the ``with`` block.

    flavio 2.7.1 routes all its :math:`q^2` integrals of the observables used here through
    ``flavio.math.integrate.nintegrate`` (looked up at call time), which this temporarily wraps; the
    original function is restored on exit. ``factor = 1`` is flavio's default. Not thread-safe: use it
    in single-threaded build or measurement code only.
    """
    if not (factor > 0):
        raise ValueError(f"factor must be positive, got {factor!r}")
    _import_flavio()
    import flavio.math.integrate as fi

    original = fi.nintegrate

    def tightened(f, a, b, epsrel=0.005, **kwargs):
        return original(f, a, b, epsrel=epsrel * factor, **kwargs)

    fi.nintegrate = tightened
    try:
        yield
    finally:
        fi.nintegrate = original
