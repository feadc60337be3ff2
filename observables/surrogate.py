r"""Exact fast representation of flavio observables as (ratios of) quadratic forms in the Wilson coefficients.

At a fixed input scale every registered observable is, in the real variables
:math:`x = (\mathrm{Re}\,C_1, \mathrm{Im}\,C_1, \mathrm{Re}\,C_2, \dots)` of its WET flavio-basis
coefficients (new physics only),

.. math::

    P(x) = c + g^T x + x^T Q x  \qquad (\text{"quadratic", "linear"}),\qquad
    O = P_\mathrm{num}(x) / P_\mathrm{den}(x) \quad (\text{"rational"}),\qquad
    O = \sqrt{P(x)} \quad (\text{"sqrt\_quadratic"}),

because the amplitudes are linear in the :math:`C_i` (the running from the input scale is linear too) and
rates are squared amplitudes. The coefficients :math:`c, g, Q` are *extracted from flavio itself* with the
minimal exact design (no least squares):

* :math:`f(0)`; for each variable :math:`k`, :math:`f(\pm h_k e_k)` gives
  :math:`g_k = [f(h_k e_k) - f(-h_k e_k)]/(2h_k)` and :math:`Q_{kk} = [f(h_k e_k) + f(-h_k e_k) - 2f(0)]/(2h_k^2)`;
* for each pair :math:`k<l` *in the same interference block*, :math:`f(h_k e_k + h_l e_l)` gives
  :math:`Q_{kl}`; pairs in different blocks (e.g. different neutrino flavours) have :math:`Q_{kl}=0`.

That is :math:`1 + 2N + \sum_b N_b(N_b-1)/2` flavio evaluations for :math:`N` real variables. Because the
form is exactly quadratic there is no truncation error, so the steps are chosen *large*: :math:`h_k` is set
(from a pilot evaluation at :math:`h=1`) so that the new-physics change equals the SM value,
:math:`|g_k| h_k + |Q_{kk}| h_k^2 = |f(0)|`. flavio's integration jitter :math:`\epsilon |f|` then enters the
coefficients only at relative size :math:`\sim\epsilon`, and the surrogate is built with flavio's
integration tolerance tightened by ``TOLERANCE_FACTOR`` (see
:func:`observables.flavio_backend.integration_tolerance`), so it is closer to the exact integral than a
default flavio call is.

Measured (``benchmarks/bench_flavour.py``, 17 coefficients at 1 TeV, 13 observables, 2 shared cores):
direct flavio 0.84 points/s for the full vector; surrogate 1.6e5 points/s for the full vector plus
:math:`\chi^2` (1e6 points in 6.4 s), a speed-up of 1.8e5. Against default flavio on 20 unseen points the
exact forms (a_mu, tau -> mu gamma, B_(c) -> tau nu) agree to 1e-15, Delta M_s to 2e-8 (Gamma_12 term);
the integrated ones differ by at most flavio's own default-vs-tight integration spread (R(D) 5.6e-6,
R(D*) 6.0e-7, B -> K* nu nu 2.0e-6, R(K(*)) bins 0.8-1.9e-7), except R(K*)[0.1,1.1], where the
difference (2.0e-7) is twice the spread because flavio's pole-subtracted integration of that bin still
jitters at 1.5e-7 at the tight setting.

Surrogates are cached on disk (``$LQMODEL_CACHE_DIR`` or ``~/.cache/lqmodel``, sub-folder ``surrogates``),
one file per fitted flavio quantity, keyed by quantity, arguments, scale, coefficient list, blocks, flavio
and wilson versions and the build settings (not the measurement vintage: the build never reads
measurements, so every vintage shares one entry; entries written with a vintage in their key, before
2026-12-02, are simply not found and are rebuilt). Each file carries that key and a
content hash and is checked on load (:mod:`observables.cache`); a damaged or foreign file is rebuilt.
Where the disk cache has no valid entry, the terms shipped with the package for the built-in maps'
scales (``observables/data/surrogates/``, cache entries of the same format written by
``tools/build_surrogates.py``, see :func:`shipped_term`) are used if their stored key is exactly the one
looked up; otherwise the term is built from flavio.

Evaluation (:meth:`Surrogate.values`): each form is evaluated on the monomials :math:`(1, x_i, x_ix_j)` of
only those real variables that are non-zero somewhere in the batch (a real coupling's imaginary part is never
formed), as one dot product with the form's coefficient vector (the SM offset of ``subtract_sm`` observables
folded into the constant before the sum, which removes the cancellation of ``(c + g.x) - c``: Delta a_mu
changes by its old rounding error, ~1e-8 relative at 1e-12); the variables and monomials are shared between
the observables of one call (``scratch``). Measured against the numpy floor by
``benchmarks/bench_flavour.py --floor``.

Any input scale (random leptoquark masses): :class:`InterpolatedSurrogate` interpolates, cubically in
:math:`\log\mu`, between surrogates on the fixed lattice :func:`node_scale` (eight nodes per factor 5 in
scale, anchored at 1 TeV), point by point; exact in the couplings (a weighted sum of quadratic forms),
exact at the nodes, relative error below :data:`INTERPOLATION_ERROR` (the derivation, the measured error
and why a single low-scale surrogate with the running matrix in front is not exact: its docstring).
"""
from __future__ import annotations

import itertools
import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike

from observables import cache as _cache
from observables.registry import ObservableSpec, Part, Term, get

#: progress lines of long preparation steps (the CLI shows INFO records of this logger on stderr)
_progress = logging.getLogger("observables.progress")
_progress.propagate = False  # shown only where a handler is attached (the CLI); flavio configures the root logger

__all__ = ["QuadraticForm", "Surrogate", "get_surrogate", "cache_dir", "TOLERANCE_FACTOR", "METHOD_VERSION",
           "InterpolatedSurrogate", "NODE_STEP", "node_scale", "interpolation_stencil", "lattice_nodes",
           "INTERPOLATION_ERROR", "ScaleGroups", "cached_surrogate", "cached_surrogate_in"]

#: flavio's integration tolerance is multiplied by this while the surrogates are built
TOLERANCE_FACTOR = 0.01
#: bump when the extraction algorithm changes (part of the cache key)
METHOD_VERSION = 2


def cache_dir() -> Path:
    """Folder of the surrogate cache: ``$LQMODEL_CACHE_DIR/surrogates`` or ``~/.cache/lqmodel/surrogates``."""
    return _cache.cache_dir("surrogates")


def _real_variables(wc_names: Sequence[str]) -> tuple[str, ...]:
    return tuple(f"{part}({n})" for n in wc_names for part in ("Re", "Im"))


@dataclass(frozen=True)
class QuadraticForm:
    r"""A quadratic polynomial :math:`c + g^T x + x^T Q x` in real variables, block-diagonal in ``blocks``.

    ``variables`` are named ``"Re(C)"`` / ``"Im(C)"``; ``quadratic`` is symmetric; ``blocks`` lists index
    arrays of the interference blocks (``quadratic`` vanishes between blocks).
    """

    variables: tuple[str, ...]
    constant: float
    linear: np.ndarray
    quadratic: np.ndarray
    blocks: tuple[tuple[int, ...], ...]
    # derived in __post_init__ (not constructor arguments, not compared, not shown)
    _active: npt.NDArray[np.intp] = field(init=False, repr=False, compare=False)
    _lin_a: np.ndarray = field(init=False, repr=False, compare=False)
    _quad_a: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # compact representation for fast evaluation: only the variables that enter (non-zero linear or
        # quadratic coefficients), dense on those
        active = np.flatnonzero((self.linear != 0) | np.any(self.quadratic != 0, axis=0))
        object.__setattr__(self, "_active", active)
        object.__setattr__(self, "_lin_a", np.ascontiguousarray(self.linear[active]))
        object.__setattr__(self, "_quad_a", np.ascontiguousarray(self.quadratic[np.ix_(active, active)]))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Evaluate at ``x`` of shape ``(..., N)``."""
        if self._active.size == 0:
            return np.full(x.shape[:-1], self.constant)
        xa = x[..., self._active]
        return self.constant + xa @ self._lin_a + np.einsum("...i,...i->...", xa @ self._quad_a, xa)

    def linear_part(self, x: np.ndarray) -> np.ndarray:
        r""":math:`g^T x`."""
        return x[..., self._active] @ self._lin_a if self._active.size else np.zeros(x.shape[:-1])

    def quadratic_part(self, x: np.ndarray) -> np.ndarray:
        r""":math:`x^T Q x`."""
        if self._active.size == 0:
            return np.zeros(x.shape[:-1])
        xa = x[..., self._active]
        return np.einsum("...i,...i->...", xa @ self._quad_a, xa)


def _wc_to_x(wc: Mapping[str, ArrayLike], wc_names: Sequence[str], known: Sequence[str]) -> np.ndarray:
    unknown = [k for k in wc if k not in known]
    if unknown:
        raise KeyError(f"Wilson coefficients {unknown} do not enter this surrogate; allowed: {', '.join(known)}")
    arrays = [np.asarray(wc.get(n, 0.0)) for n in wc_names]
    shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
    x = np.empty(shape + (2 * len(wc_names),))
    for k, a in enumerate(arrays):
        a = np.broadcast_to(a, shape)
        x[..., 2 * k] = a.real
        x[..., 2 * k + 1] = a.imag
    return x


class Surrogate:
    r"""Exact fast representation of one registered observable at one input scale.

    Call it with a mapping ``{wc_name: complex array}`` (WET flavio basis, NP only, at :attr:`scale`);
    arrays broadcast; missing coefficients are zero. Coefficients outside :attr:`wc_names` raise
    ``KeyError`` (build a surrogate with them instead).

    Parts: :attr:`numerator` (and :attr:`denominator` for ``form == "rational"``) are
    :class:`QuadraticForm` objects in :attr:`variables`; :attr:`constant`, :attr:`linear` and
    :attr:`quadratic` are those of the numerator. :meth:`quadratic_part` gives the pure new-physics
    (NP-squared) piece, which is what operators that do not interfere with these ones (e.g. with a
    right-handed neutrino mapped by parity onto these operators, docs/theory.md §c.6) add incoherently.
    """

    def __init__(self, spec: ObservableSpec, scale: float, wc_names: tuple[str, ...],
                 numerator: QuadraticForm, denominator: QuadraticForm | None, info: dict) -> None:
        self.spec = spec
        self.name = spec.name
        self.form = spec.form
        self.scale = float(scale)
        self.wc_names = wc_names
        self.variables = _real_variables(wc_names)
        self.numerator = numerator
        self.denominator = denominator
        self.info = info
        self._offset = numerator.constant if spec.subtract_sm else 0.0
        self._coef: dict[tuple[str, bytes], np.ndarray] = {}  # coefficient_vector memo

    # -- contract -----------------------------------------------------------------------------------
    def coefficient_vector(self, part: str, cols: np.ndarray) -> np.ndarray:
        """The coefficients of the numerator (minus the SM offset of ``subtract_sm`` observables) or the
        denominator on the monomials (:func:`_monomials`) of the variables ``cols`` (indices into
        :attr:`variables`), memoised per (part, cols)."""
        key = (part, cols.tobytes())
        vec = self._coef.get(key)
        if vec is None:
            if part == "numerator":
                vec = _coefficients(self.numerator, cols, self._offset)
            else:
                if self.denominator is None:
                    raise ValueError(f"{self.name} has form {self.form!r}: no denominator")
                vec = _coefficients(self.denominator, cols, 0.0)
            self._coef[key] = vec
        return vec

    def values(self, wc: Mapping[str, ArrayLike], parts: Sequence[str] = ("numerator",), *,
               quadratic_only: bool = False, scratch: dict | None = None) -> list[np.ndarray]:
        """The forms ``parts`` ("numerator": minus the SM offset of ``subtract_sm`` observables,
        "denominator") at ``wc``, evaluated on the real variables non-zero in the batch that enter them (real
        arithmetic; the offset subtracted in the constant, not after the sum). ``quadratic_only``: their
        NP-squared pieces :math:`x^TQx` only. ``scratch``: see :func:`_variables_and_monomials`."""
        forms = [self.numerator if p == "numerator" else self.denominator for p in parts]
        if any(f is None for f in forms):
            raise ValueError(f"{self.name} has form {self.form!r}: no denominator")
        cols, mono, shape = _variables_and_monomials(wc, self.wc_names, None, [f for f in forms if f is not None],
                                                     scratch)
        out = []
        for p in parts:
            vec = self.coefficient_vector(p, cols)
            vec = _quadratic_only(vec, cols.size) if quadratic_only else vec
            out.append(_dot(vec[:, None], mono[:, None, :])[0].reshape(shape))
        return out

    def __call__(self, wc: Mapping[str, ArrayLike], *, scratch: dict | None = None) -> np.ndarray:
        if self.form == "rational":
            if self.denominator is None:
                raise ValueError(f"{self.name} has form {self.form!r} but no denominator")
            num, den = self.values(wc, ("numerator", "denominator"), scratch=scratch)
            return num / den
        num = self.values(wc, ("numerator",), scratch=scratch)[0]
        if self.form == "sqrt_quadratic":
            return np.sqrt(np.maximum(num, 0.0))
        return num

    @property
    def constant(self) -> float:
        return self.numerator.constant - self._offset

    @property
    def linear(self) -> np.ndarray:
        return self.numerator.linear

    @property
    def quadratic(self) -> np.ndarray:
        return self.numerator.quadratic

    def numerator_value(self, wc: Mapping[str, ArrayLike]) -> np.ndarray:
        return self.values(wc, ("numerator",))[0]

    def denominator_value(self, wc: Mapping[str, ArrayLike]) -> np.ndarray:
        if self.denominator is None:
            raise ValueError(f"{self.name} has form {self.form!r}: no denominator")
        return self.values(wc, ("denominator",))[0]

    def quadratic_part(self, wc: Mapping[str, ArrayLike],
                       denominator_wc: Mapping[str, ArrayLike] | None = None) -> np.ndarray:
        r"""The NP-squared piece :math:`x^T Q x` of the numerator at ``wc``.

        For ``"rational"`` observables it is divided by the denominator evaluated at ``denominator_wc``
        (default: ``wc``), i.e. it is the incoherent contribution to the ratio. Not defined for
        ``"sqrt_quadratic"`` (raises ``ValueError``).
        """
        if self.form == "sqrt_quadratic":
            raise ValueError(f"{self.name}: the NP-squared part is not additive for form 'sqrt_quadratic'")
        q = self.numerator.quadratic_part(_wc_to_x(wc, self.wc_names, self.wc_names))
        if self.form == "rational":
            return q / self.denominator_value(wc if denominator_wc is None else denominator_wc)
        return q

    def __repr__(self) -> str:
        return f"Surrogate({self.name!r}, scale={self.scale:g} GeV, form={self.form!r}, {len(self.wc_names)} WCs)"


# ---------------------------------------------------------------------------------------------------------
# extraction
# ---------------------------------------------------------------------------------------------------------
def _restrict(part: Part, wanted: Sequence[str]) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    keep = frozenset(wanted)
    names = tuple(n for n in part.wc_names if n in keep)
    blocks = tuple(b2 for b in part.blocks if (b2 := tuple(n for n in b if n in keep)))
    return names, blocks


#: fixed design step [GeV^-2] of SMEFT-basis surrogates (ObservableSpec.basis == "SMEFT"): a typical
#: y^2/(4 m^2) (y = 0.63 at 1 TeV). One step for every variable and every quantity, so all EW quantities share
#: their design points (one wilson SMEFT run per point; flavio_backend memoises it). See docs/electroweak.md §4.
SMEFT_STEP = 1e-7


def _fit_function(f: Callable[[np.ndarray], float], n_var: int, blocks: Sequence[Sequence[int]],
                  fixed_step: float | None = None) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, int]:
    """Exact quadratic extraction of ``f`` (a function of a real vector) with adaptive steps
    (or one ``fixed_step`` for every variable: no pilot evaluations)."""
    n_eval = 0

    def call(x: np.ndarray) -> float:
        nonlocal n_eval
        n_eval += 1
        return f(x)

    zero = np.zeros(n_var)
    f0 = call(zero)
    lin = np.zeros(n_var)
    quad = np.zeros((n_var, n_var))
    steps = np.ones(n_var)
    for k in range(n_var):
        h_try = 1.0 if fixed_step is None else fixed_step
        for _ in range(4 if fixed_step is None else 1):
            h = h_try
            e = np.zeros(n_var)
            e[k] = h
            fp, fm = call(e), call(-e)
            a = (fp - fm) / (2 * h)
            q = (fp + fm - 2 * f0) / (2 * h * h)
            target = abs(f0)
            if fixed_step is not None or target == 0.0 or (a == 0.0 and q == 0.0):
                break  # pure-NP observable (any step is exact) or a variable that does not enter
            if q != 0.0:
                # the positive root of |q| h^2 + |a| h = target, in the cancellation-free form (the textbook
                # (-|a| + sqrt(a^2 + 4|q|target)) / 2|q| underflows to 0 for nearly linear observables, eps_K)
                h_try = float(2 * target / (abs(a) + np.sqrt(a * a + 4 * abs(q) * target)))
            else:
                h_try = target / abs(a)
            if 0.3 <= h_try / h <= 3.0:
                break
        steps[k], lin[k], quad[k, k] = h, a, q
    for block in blocks:
        for ii, k in enumerate(block):
            for l in block[ii + 1:]:
                e = np.zeros(n_var)
                e[k], e[l] = steps[k], steps[l]
                fkl = call(e)
                rest = (f0 + lin[k] * steps[k] + quad[k, k] * steps[k] ** 2
                        + lin[l] * steps[l] + quad[l, l] * steps[l] ** 2)
                quad[k, l] = quad[l, k] = (fkl - rest) / (2 * steps[k] * steps[l])
    return float(f0), lin, quad, steps, n_eval


@lru_cache(maxsize=1)
def _registry_smeft_names() -> frozenset[str]:
    """The Wilson coefficients of the registry's SMEFT-basis observables (no wilson import: surrogates are
    only built on subsets of a registry entry's coefficients, and WET flavio-basis and Warsaw names are
    disjoint, so this decides the basis of any name a surrogate can be asked for)."""
    from observables.registry import names as _names

    return frozenset(w for n in _names() if (s := get(n)).basis == "SMEFT" for w in s.wc_names)


def _smeft_step(names: Sequence[str]) -> float | None:
    """:data:`SMEFT_STEP` if ``names`` are SMEFT Warsaw coefficients, else None (adaptive WET steps)."""
    return SMEFT_STEP if any(n in _registry_smeft_names() for n in names) else None


def _key(term: Term, names: tuple[str, ...], blocks: Sequence[Sequence[str]], scale: float, square: bool,
         basis: str | None = None) -> dict:
    from observables.flavio_backend import flavio_version, wilson_version

    return {
        "quantity": term.quantity,
        "args": [float(a) for a in term.args],
        "wc_names": list(names),
        "blocks": [list(b) for b in blocks],
        "scale": repr(float(scale)),
        "square": square,
        "flavio": flavio_version(),
        "wilson": wilson_version(),
        "tolerance_factor": TOLERANCE_FACTOR,
        "method": METHOD_VERSION,
        **({"smeft_step": SMEFT_STEP} if _smeft_step(names) else {}),
        # the basis is implied by the names, except for a SMEFT term without variables (its SM value)
        **({"basis": "SMEFT"} if basis == "SMEFT" and not names else {}),
    }


def _fit_term_cached(term: Term, names: tuple[str, ...], blocks: Sequence[Sequence[str]], scale: float, square: bool,
                     basis: str | None = None) -> tuple[QuadraticForm, dict]:
    key = _key(term, names, blocks, scale, square, basis)
    path = cache_dir() / f"{_cache.digest(key)}.npz"
    variables = _real_variables(names)
    index = {n: i for i, n in enumerate(names)}
    iblocks = tuple(tuple(j for n in b for j in (2 * index[n], 2 * index[n] + 1)) for b in blocks)
    hit = _load_term(path, key, len(variables))
    if hit is None:
        hit = shipped_term(key, len(variables))
        if hit is not None:  # keep the on-disk cache a superset of what this process used
            c, g, q, info = hit
            _cache.store_arrays(path, key, {"info": json.dumps(info), "constant": c, "linear": g, "quadratic": q})
    if hit is not None:
        c, g, q, info = hit
        return QuadraticForm(variables, c, g, q, iblocks), info
    from observables import flavio_backend as fb

    args = f"[{','.join(f'{a:g}' for a in term.args)}]" if term.args else ""
    _progress.info("lqmodel: building the surrogate of %s%s at %g GeV from flavio (%d variables)…",
                   term.quantity, args, scale, len(variables))

    def f(x: np.ndarray) -> float:
        wc = {n: complex(x[2 * i], x[2 * i + 1]) for i, n in enumerate(names)}
        v = fb.quantity(term.quantity, fb.make_wc(wc, scale, basis), term.args)
        return v * v if square else v

    t0 = time.perf_counter()
    with fb.integration_tolerance(TOLERANCE_FACTOR):
        c, g, q, steps, n_eval = _fit_function(f, len(variables), iblocks, fixed_step=_smeft_step(names))
    info = {"n_flavio_calls": n_eval, "build_seconds": time.perf_counter() - t0, "steps": steps.tolist()}
    _cache.store_arrays(path, key, {"info": json.dumps(info), "constant": c, "linear": g, "quadratic": q})
    return QuadraticForm(variables, c, g, q, iblocks), info


def shipped_term(key: dict, n_var: int) -> tuple[float, np.ndarray, np.ndarray, dict] | None:
    """The surrogate term shipped with the package for cache ``key`` (``observables/data/surrogates/``,
    written by ``tools/build_surrogates.py``), or None.

    The shipped files are cache entries of exactly the on-disk format, named by the digest of their key,
    and are read through the same verification (:func:`_load_term`: the stored key must equal ``key`` —
    quantity, arguments, coefficients, blocks, scale, flavio and wilson versions, build settings —
    the content hash must match, shapes and symmetry must hold), so a shipped term is used only where a
    live build would have produced an entry with the same key.
    """
    from importlib import resources

    res = resources.files("observables") / "data" / "surrogates" / f"{_cache.digest(key)}.npz"
    try:
        if not res.is_file():
            return None
        with resources.as_file(res) as p:
            return _load_term(Path(p), key, n_var)
    except OSError:
        return None


def _load_term(path: Path, key: dict, n_var: int) -> tuple[float, np.ndarray, np.ndarray, dict] | None:
    """A verified cache entry (observables.cache: stored key, content hash, names, shapes, finite) whose
    quadratic part is symmetric and whose build info is a JSON object; None otherwise (rebuild)."""
    d = _cache.load_arrays(path, key, {"info": ("U", ()), "constant": ("f", ()), "linear": ("f", (n_var,)),
                                       "quadratic": ("f", (n_var, n_var))})
    if d is None or not np.array_equal(d["quadratic"], d["quadratic"].T):
        return None
    try:
        info = json.loads(str(d["info"]))
    except ValueError:
        return None
    if not isinstance(info, dict):
        return None
    return float(d["constant"]), d["linear"], d["quadratic"], info


def _fit_part(part: Part, wanted: Sequence[str], all_names: tuple[str, ...], scale: float, square: bool,
              basis: str | None = None) -> tuple[QuadraticForm, dict]:
    """Fit every term of ``part`` on its own coefficients and embed the weighted sum in ``all_names``."""
    n = 2 * len(all_names)
    pos = {name: i for i, name in enumerate(all_names)}
    const, lin, quad = 0.0, np.zeros(n), np.zeros((n, n))
    info = {"n_flavio_calls": 0, "build_seconds": 0.0}
    for term in part.terms:
        own = term.wc_names or part.wc_names
        own_set = frozenset(own)
        sub = Part((term,), own, tuple(b2 for b in part.blocks if (b2 := tuple(x for x in b if x in own_set))))
        names, blocks = _restrict(sub, wanted)
        form, tinfo = _fit_term_cached(term, names, blocks, scale, square, basis)
        idx = np.array([j for nm in names for j in (2 * pos[nm], 2 * pos[nm] + 1)], dtype=int)
        const += term.weight * form.constant
        if idx.size:
            lin[idx] += term.weight * form.linear
            quad[np.ix_(idx, idx)] += term.weight * form.quadratic
        info["n_flavio_calls"] += tinfo["n_flavio_calls"]
        info["build_seconds"] += tinfo["build_seconds"]
    _, blocks = _restrict(part, wanted)
    iblocks = tuple(tuple(j for nm in b for j in (2 * pos[nm], 2 * pos[nm] + 1)) for b in blocks)
    return QuadraticForm(_real_variables(all_names), const, lin, quad, iblocks), info


def get_surrogate(name: str, scale: float, wc_names: Sequence[str] | None = None, *,
                  vintage: str | None = None) -> Surrogate:
    """The exact fast representation of toolkit observable ``name`` at input ``scale`` (GeV).

    ``wc_names``: the coefficients to keep as variables (default: all of the registry entry's; a
    smaller set makes the build cheaper — the others are then fixed to zero). Unknown names raise
    ``KeyError``. Built from flavio on first use (about 1 + 2N + pairs calls) and cached on disk.
    ``vintage`` is accepted for backwards compatibility and ignored: a surrogate is a property of flavio,
    not of the measurements (it is not part of the cache key either).
    """
    spec = get(name)
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number of GeV, got {scale!r}")
    if wc_names is None:
        wanted = spec.wc_names
    else:
        wanted = tuple(dict.fromkeys(wc_names))
        bad = [w for w in wanted if w not in spec.wc_names]
        if bad:
            raise KeyError(f"{bad} do not enter {spec.name}; its Wilson coefficients are: {', '.join(spec.wc_names)}")
    all_names = tuple(n for n in spec.wc_names if n in wanted)
    square = spec.form == "sqrt_quadratic"
    num, info_n = _fit_part(spec.numerator, all_names, all_names, scale, square, spec.basis)
    den, info_d = (None, {"n_flavio_calls": 0, "build_seconds": 0.0})
    if spec.denominator is not None:
        den, info_d = _fit_part(spec.denominator, all_names, all_names, scale, square, spec.basis)
    info = {k: info_n[k] + info_d[k] for k in info_n}
    return Surrogate(spec, scale, all_names, num, den, info)



@lru_cache(maxsize=4096)
def _cached_surrogate(name: str, scale: float, wc_names: tuple[str, ...], cache_root: str) -> Surrogate:
    return get_surrogate(name, scale, wc_names=wc_names)


def cached_surrogate(name: str, scale: float, wc_names: Sequence[str]) -> Surrogate:
    """:func:`get_surrogate`, kept in memory for the rest of the process (at most 4096 surrogates, least
    recently used dropped).

    A surrogate is a deterministic function of its arguments, the installed flavio/wilson and the build
    settings (exactly its on-disk cache key), read and verified once; the cache location is part of the
    memo key, so pointing ``LQMODEL_CACHE_DIR`` elsewhere reads (and verifies) that folder's entries anew.
    This is what lets a scan's chunks and sub-batches reuse the surrogates instead of re-reading and
    re-verifying hundreds of ``.npz`` files each time (measured: 1.8 s per 32768-point sub-batch of the
    built-in maps before)."""
    return _cached_surrogate(str(name), float(scale), tuple(wc_names), _cache_root_text())


def cached_surrogate_in(cache_root: str, name: str, scale: float, wc_names: tuple[str, ...]) -> Surrogate:
    """:func:`cached_surrogate` for a caller that has read the cache folder (``_cache_root_text()``) once for
    many surrogates (a call of the flavour path asks for a few hundred node surrogates)."""
    return _cached_surrogate(name, scale, wc_names, cache_root)


def _cache_root_text() -> str:
    """``str(cache_dir())`` without building paths on every call (a call of the any-mass path asks for a few
    hundred node surrogates): memoised on the environment it depends on."""
    import os

    return _cache_root_for(os.environ.get("LQMODEL_CACHE_DIR"), os.environ.get("HOME"))


@lru_cache(maxsize=16)
def _cache_root_for(env: str | None, home: str | None) -> str:
    return str(cache_dir())



# ---------------------------------------------------------------------------------------------------------
# any mass: interpolation in log(scale) between surrogates on a fixed lattice of input scales
# ---------------------------------------------------------------------------------------------------------
#: log10 spacing of the lattice of input scales :math:`\mu_k = 10^{3 + k\,\delta}` GeV (k any integer):
#: eight nodes per factor 5 in scale, anchored at 1 TeV, so that the nine masses of the default map
#: (``numpy.logspace`` from 1 to 5 TeV) are nodes bit for bit
NODE_STEP = (np.log10(5000.0) - 3.0) / 8
#: bound on the relative interpolation error of an observable: the smallest integration spread flavio shows on
#: the registry's integrated observables (R(K) bins, ~1e-7) and > 1e4 below every experimental relative
#: uncertainty. Measured (``benchmarks/bench_flavour.py --any-masses``): at most 1.2e-8 for the exact forms
#: (B_c -> tau nu with C_S: the fastest running), 1e-10 for dipoles; integrated observables within flavio's
#: own spread (R(D) 3.1e-6 vs 3.1e-6); against flavio at the build tolerance they carry each node's integration
#: jitter (up to 2.7e-7 seen for R(D); the test's floor for integrated observables is 5e-7). Tested:
#: ``tests/test_running_surrogate.py``.
INTERPOLATION_ERROR = 1e-7


def node_scale(k: int) -> float:
    r"""The lattice scale :math:`\mu_k = 10^{3 + k\,\delta}` GeV, :math:`\delta` = :data:`NODE_STEP`
    (the same floating-point numbers as ``numpy.logspace(3, log10(5000), 9)`` for k = 0..8)."""
    return float(10.0 ** (3.0 + int(k) * NODE_STEP))


def interpolation_stencil(scales: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r"""Cubic Lagrange interpolation in :math:`t = \log_{10}\mu` on the lattice :func:`node_scale`.

    For each scale (1-d array, GeV) with :math:`u = (t - 3)/\delta`, :math:`i = \lfloor u\rfloor`,
    :math:`s = u - i \in [0, 1)`: returns the first node index :math:`i - 1` and the weights of the nodes
    :math:`i-1, i, i+1, i+2`,

    .. math::

        w = \left(-\tfrac{s(s-1)(s-2)}{6},\ \tfrac{(s+1)(s-1)(s-2)}{2},\ -\tfrac{(s+1)s(s-2)}{2},\
        \tfrac{(s+1)s(s-1)}{6}\right)

    (the four-point Lagrange basis, e.g. Abramowitz & Stegun 25.2.13). The weights sum to 1 (a
    mass-independent constant, the SM value, is reproduced to rounding) and at a node they are exactly
    (0, 1, 0, 0): a scale within 1e-9 δ of a node is that node, so tabulated masses give the node's
    surrogate exactly. The interpolant is continuous in the scale; its error is :math:`O(\delta^4)` times
    the fourth log-derivative of the running (derived here; docs in :class:`InterpolatedSurrogate`).
    """
    m = np.asarray(scales, dtype=float)
    if m.ndim != 1 or not np.all(np.isfinite(m) & (m > 0)):
        raise ValueError("scales must be a 1-d array of positive finite numbers of GeV")
    t = np.log10(m)
    u = (t - 3.0) / NODE_STEP
    r = np.rint(u)
    u = np.where(np.abs(u - r) < 1e-9, r, u)
    i = np.floor(u)
    s = u - i
    w = np.stack([-s * (s - 1) * (s - 2) / 6, (s + 1) * (s - 1) * (s - 2) / 2,
                  -(s + 1) * s * (s - 2) / 2, (s + 1) * s * (s - 1) / 6], axis=-1)
    w[s == 0] = (0.0, 1.0, 0.0, 0.0)
    return (i - 1).astype(np.int64), w


def lattice_nodes(low: float, high: float) -> list[float]:
    """The lattice scales (GeV, :func:`node_scale`) whose surrogates the interpolated predictions of every
    scale in [``low``, ``high``] (GeV) use: each node with a non-zero :func:`interpolation_stencil` weight for
    some scale of the range. The stencil changes only at nodes, so it is sampled at half a node spacing,
    at both ends and just inside them (an end on a node uses that node alone; the scales next to it use
    the neighbouring interval's four)."""
    lo, hi = float(low), float(high)
    if hi > lo:
        n = math.ceil(math.log10(hi / lo) / (0.5 * NODE_STEP)) + 2
        grid = np.concatenate([np.geomspace(lo, hi, n), [lo * (1 + 1e-9), hi * (1 - 1e-9)]])
    else:
        grid = np.array([lo])
    first, w = interpolation_stencil(grid)
    ks = np.unique((first[:, None] + np.arange(4))[w != 0])
    return [node_scale(int(k)) for k in ks]


# --- fast evaluation: real monomials of the non-zero variables, one coefficient vector per form -------------
def _real_columns(wc: Mapping[str, ArrayLike], wc_names: Sequence[str], n: int | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    r"""The real variables of ``wc`` (ordered as :func:`_real_variables` of ``wc_names``) that are non-zero
    somewhere in the batch: (their indices into the ``2 len(wc_names)`` variables, their values as a
    ``(a, n_points)`` float array, variable-major). Real arithmetic only: the imaginary part of a real
    array is not formed. ``n``: the number of points to broadcast to (default: the arrays' broadcast size).
    Unknown coefficient names raise ``KeyError`` as in :class:`Surrogate`."""
    unknown = [k for k in wc if k not in wc_names]
    if unknown:
        raise KeyError(f"Wilson coefficients {unknown} do not enter this surrogate; allowed: {', '.join(wc_names)}")
    arrays = [np.asarray(wc[nm]) for nm in wc_names if nm in wc]
    if n is None:
        shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
        n = int(np.prod(shape)) if shape else 1
    idx: list[int] = []
    cols: list[np.ndarray] = []
    for k, nm in enumerate(wc_names):
        if nm not in wc:
            continue
        a = np.asarray(wc[nm])
        parts = ((2 * k, a.real), (2 * k + 1, a.imag)) if np.iscomplexobj(a) else ((2 * k, a),)
        for j, v in parts:
            if np.any(v != 0):
                idx.append(j)
                cols.append(np.broadcast_to(v, (n,)) if v.ndim <= 1 else np.broadcast_to(v.reshape(-1), (n,)))
    X = np.empty((len(cols), n))
    for r, v in enumerate(cols):
        X[r] = v
    return np.asarray(idx, dtype=np.intp), X


def _monomials(X: np.ndarray) -> np.ndarray:
    r"""The monomials :math:`(1, x_i, x_i x_j\ (i\le j))` of the rows of ``X`` (shape ``(a, n)``), shape
    ``(1 + a + a(a+1)/2, n)``: a quadratic form :math:`c + g^Tx + x^TQx` is their dot product with
    :func:`_coefficients` (:math:`Q_{ij}` and :math:`Q_{ji}` are one coefficient :math:`2Q_{ij}`)."""
    return _monomials_of_rows(X, X.shape[1])


def _dot(coef: np.ndarray, mono: np.ndarray) -> np.ndarray:
    r""":math:`\sum_m a_m\,\mathrm{mono}_m` per point: ``coef`` of shape ``(M, G)`` (one form per group of
    points), ``mono`` of shape ``(M, G, L)`` (the monomials of ``G`` groups of ``L`` points each); result
    ``(G, L)``. One ``einsum`` (no BLAS: single-threaded, the same kernel for one form and for per-point forms,
    so that a point at a lattice node gets the node surrogate's value bit for bit)."""
    return np.einsum("mgl,mg->gl", mono, coef)


def _coefficients(form: QuadraticForm, cols: np.ndarray, offset: float = 0.0) -> np.ndarray:
    r"""The coefficients of ``form`` (minus ``offset`` on its constant) on the monomials of :func:`_monomials`
    of the variables ``cols`` (indices into ``form.variables``); variables not in ``cols`` are zero."""
    a = cols.size
    out = np.empty(1 + a + a * (a + 1) // 2)
    out[0] = form.constant - offset
    out[1:1 + a] = form.linear[cols]
    q = form.quadratic[np.ix_(cols, cols)]
    r = 1 + a
    for i in range(a):
        out[r] = q[i, i]
        out[r + 1:r + a - i] = q[i, i + 1:] + q[i + 1:, i]
        r += a - i
    return out


def _active_columns(forms: Sequence[QuadraticForm], present: np.ndarray) -> np.ndarray:
    """The variables of ``present`` (sorted indices) that enter at least one of ``forms``."""
    if not forms or present.size == 0:
        return present[:0]
    used = np.zeros(forms[0].linear.size, dtype=bool)
    for f in forms:
        used[f._active] = True
    return present[used[present]]


def _nonzero(v: np.ndarray) -> bool:
    """``np.any(v != 0)`` of a float array (NaN non-zero, -0.0 zero) without the comparison temporary: the OR
    of its float64 bits without the sign bit (non-zero exactly where a value is not +-0); a float array
    broadcast over the batch is read once."""
    if v.size and not any(v.strides):
        return bool(v.flat[0] != 0)
    if v.dtype == np.float64 and v.ndim == 1:
        return bool(np.bitwise_or.reduce(v.view(np.uint64)) & _NO_SIGN)
    return bool(np.any(v != 0))


_NO_SIGN = np.uint64(0x7FFF_FFFF_FFFF_FFFF)


def _variable_rows(a: np.ndarray, n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(real part, imaginary part) of one coefficient array as ``(n,)`` float views, None where identically
    zero (a real array has no imaginary part)."""
    parts = (a.real, a.imag) if np.iscomplexobj(a) else (a, None)
    out: list[np.ndarray | None] = []
    for v in parts:
        if v is None:
            out.append(None)
            continue
        v = np.broadcast_to(v, (n,)) if v.ndim <= 1 else np.broadcast_to(v.reshape(-1), (n,))
        out.append(v if _nonzero(v) else None)
    return out[0], out[1]


def _variables_and_monomials(wc: Mapping[str, ArrayLike], wc_names: tuple[str, ...], n: int | None,
                              forms: Sequence[QuadraticForm], scratch: dict | None
                              ) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """(cols, monomials of the non-zero real variables of ``wc`` that enter ``forms``, batch shape).

    ``scratch``: a dict owned by the caller for one call over many observables; each coefficient array's
    non-zero real and imaginary parts (under its identity; the entry holds the array, so the identity stays
    valid) and the monomials of each list of real variables are kept there, so observables reading the same
    coefficients share them whatever their own coefficient lists (the same numbers as without it)."""
    arrays = {k: np.asarray(v) for k, v in wc.items()}
    if n is None:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values())) if arrays else ()
        n = int(np.prod(shape)) if shape else 1
    else:
        shape = (n,)
    if scratch is None:
        present, X = _real_columns(arrays, wc_names, n)
        cols = _active_columns(forms, present)
        return cols, _monomials(X[np.searchsorted(present, cols)] if cols.size != present.size else X), shape
    unknown = [k for k in wc if k not in wc_names]
    if unknown:
        raise KeyError(f"Wilson coefficients {unknown} do not enter this surrogate; allowed: {', '.join(wc_names)}")
    rows_memo = scratch.setdefault("_rows", {})
    idx: list[int] = []
    rows: list[tuple[int, int, np.ndarray]] = []
    for k, nm in enumerate(wc_names):
        if nm not in arrays:
            continue
        a = arrays[nm]
        hit = rows_memo.get((id(a), n))
        if hit is None or hit[0] is not a:
            hit = rows_memo[(id(a), n)] = (a, *_variable_rows(a, n))
        for part in (0, 1):
            v = hit[1 + part]
            if v is not None:
                idx.append(2 * k + part)
                rows.append((id(a), part, v))
    present = np.asarray(idx, dtype=np.intp)
    cols = _active_columns(forms, present)
    keep = set(cols.tolist())
    chosen = [r for j, r in zip(idx, rows, strict=True) if j in keep]
    mono_memo = scratch.setdefault("_monomials", {})
    key = (n, tuple((i, part) for i, part, _ in chosen))
    mono = mono_memo.get(key)
    if mono is None:
        mono = mono_memo[key] = _monomials_of_rows([v for _, _, v in chosen], n)
    return cols, mono, shape


def _monomials_of_rows(rows: Sequence[np.ndarray] | np.ndarray, n: int) -> np.ndarray:
    """:func:`_monomials` of the variables ``rows`` (each ``(n,)``; a list or the rows of an array), written into the
    monomial table (no stacked copy of them first): the same numbers."""
    a = len(rows)
    out = np.empty((1 + a + a * (a + 1) // 2, n))
    out[0] = 1.0
    for r, v in enumerate(rows):
        out[1 + r] = v
    X = out[1:1 + a]
    r = 1 + a
    for i in range(a):
        np.multiply(X[i], X[i:], out=out[r:r + a - i])
        r += a - i
    return out


def _quadratic_only(vec: np.ndarray, a: int) -> np.ndarray:
    """A coefficient vector of :func:`_coefficients` (``a`` variables) with its constant and linear part zeroed:
    the NP-squared piece :math:`x^TQx`."""
    out = vec.copy()
    out[:1 + a] = 0.0
    return out


#: a batch whose points share at most one distinct scale per this many points (on average) is evaluated
#: one combined form per distinct scale (the interpolation weights depend on the scale only); otherwise
#: point by point
_GROUP_MIN = 8


class ScaleGroups:
    r"""The interpolation stencils (:func:`interpolation_stencil`) of a batch of input scales, computed once
    and shared by every observable of a call (all of them see the same points' scales).

    The weights depend on the scale only, so points with the same scale share one weighted form
    :math:`\sum_j w_j P_{k+j}` (exact: a weighted sum of quadratic forms is a quadratic form). Attributes:
    ``first`` (group -> first stencil node), ``weights`` (group -> the four weights), ``inverse`` (point ->
    group; ``None`` when every point is its own group: random masses), ``node_indices`` (the lattice
    indices with a non-zero weight for some point, sorted), ``n`` (points). Equal scales are detected as
    contiguous runs (grids) or with one ``numpy.unique`` (once per call, not per observable).
    """

    def __init__(self, scales: ArrayLike) -> None:
        m = np.asarray(scales, dtype=float)
        if m.ndim != 1:
            raise ValueError("scales must be a 1-d array of positive finite numbers of GeV")
        n = m.size
        self.n = n
        #: evaluate_per_point's state, once per batch: _node_runs, the monomials in that order, work arrays per M
        self._runs: tuple[np.ndarray, list[tuple[int, int, tuple[int, ...]]], np.ndarray] | None = None
        self._sorted_monomials: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._buffers: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if n == 0:
            self.first, self.weights = interpolation_stencil(m)
            self.inverse: np.ndarray | None = np.zeros(0, dtype=np.intp)
            self.node_indices = np.zeros(0, dtype=np.int64)
            self.segments: list[tuple[int, int, int, int, int]] | None = []
            self._rows, self._w = np.zeros((0, 4), dtype=np.intp), np.zeros((0, 4))
            self._dense: np.ndarray | None = np.zeros((0, 1))
            return
        starts = np.flatnonzero(np.concatenate(([True], m[1:] != m[:-1])))
        inverse: np.ndarray | None
        groups: np.ndarray
        if starts.size == 1:
            groups, inverse = m[:1], np.zeros(n, dtype=np.intp)
        elif starts.size * _GROUP_MIN <= n:  # contiguous runs of one scale (grid order)
            counts = np.diff(np.append(starts, n))
            groups, inverse = m[starts], np.repeat(np.arange(starts.size), counts)
        else:
            distinct, inv = np.unique(m, return_inverse=True)
            if distinct.size * _GROUP_MIN <= n:
                groups, inverse = distinct, inv.reshape(-1)
            else:
                groups, inverse = m, None
        self.first, self.weights = interpolation_stencil(groups)
        self.inverse = inverse
        #: contiguous runs of equal length, as (first point, end point, first group, end group, run length):
        #: each is evaluated as a (groups, length) block with one coefficient vector per row, no gather
        self.segments = None
        if inverse is None:
            self.segments = [(0, n, 0, n, 1)]
        elif starts.size == 1 or starts.size * _GROUP_MIN <= n:
            lengths = np.diff(np.append(starts, n))
            cut = np.flatnonzero(np.concatenate(([True], lengths[1:] != lengths[:-1])))
            if cut.size <= 8:
                ends = np.append(cut, lengths.size)
                self.segments = [(int(starts[a]), int(starts[b]) if b < starts.size else n, int(a), int(b),
                                  int(lengths[a])) for a, b in itertools.pairwise(ends)]
        k = (self.first[:, None] + np.arange(4))[self.weights != 0]
        self.node_indices = np.unique(k)
        # row of each stencil entry in the table of node coefficients (the extra last row: zero, for the
        # zero-weight entries, whose nodes need not exist)
        idx = self.first[:, None] + np.arange(4)
        pos = np.minimum(np.searchsorted(self.node_indices, idx), self.node_indices.size - 1)
        ok = (self.node_indices[pos] == idx) & (self.weights != 0)
        self._rows = np.where(ok, pos, self.node_indices.size)
        self._w = np.where(ok, self.weights, 0.0)
        self._dense = None
        if self.first.size <= 4096:  # few groups: one (groups, nodes + 1) weight matrix, combined by one matmul
            self._dense = np.zeros((self.first.size, self.node_indices.size + 1))
            np.add.at(self._dense, (np.arange(self.first.size)[:, None], self._rows), self._w)

    @property
    def n_groups(self) -> int:
        return int(self.first.size)

    def combine(self, coef: Mapping[int, np.ndarray]) -> np.ndarray:
        r"""Per group, the weighted sum :math:`\sum_j w_j a_{k+j}` of the coefficient vectors ``coef``
        (lattice index -> vector; indices with zero weight may be missing), shape ``(n_groups, M)``."""
        table = self._table(coef)
        if self._dense is not None:
            return self._dense @ table
        return self._combine_rows(table, slice(None))

    def _table(self, coef: Mapping[int, np.ndarray]) -> np.ndarray:
        """The node coefficient vectors as rows (the last row zero, for zero-weight stencil entries)."""
        ks = [int(k) for k in self.node_indices]
        M = next(iter(coef.values())).size
        table = np.zeros((len(ks) + 1, M))
        for r, k in enumerate(ks):
            table[r] = coef[k]
        return table

    def _combine_rows(self, table: np.ndarray, rows: slice) -> np.ndarray:
        """:meth:`combine` of the groups ``rows`` from the stencil gathers (the same numbers row by row)."""
        r, w = self._rows[rows], self._w[rows]
        out = w[:, :1] * table[r[:, 0]]
        for j in range(1, 4):
            out += w[:, j:j + 1] * table[r[:, j]]
        return out

    def evaluate_per_point(self, coef: Mapping[int, np.ndarray], mono: np.ndarray) -> np.ndarray | None:
        r""":meth:`evaluate` of :meth:`combine` for a batch whose every point is its own group (random masses)
        of many points, without the (points, monomials) table of per-point forms and its gathers: the points
        taken in the order of their first stencil node, so that along each run of one first node the four
        node rows are fixed and each point's form is :math:`\sum_j w_j a_{k+j}` from those rows broadcast
        (the same products, added in the same order: the same numbers point by point, up to the sign of an
        exact zero). None for any other batch (then :meth:`evaluate` of :meth:`combine`)."""
        if self.inverse is not None or self._dense is not None:
            return None
        order, runs, w = self._node_runs()
        table = self._table(coef)
        M, n = mono.shape[0], self.n
        hit = self._sorted_monomials.get(id(mono))
        if hit is None or hit[0] is not mono:
            hit = self._sorted_monomials[id(mono)] = (mono, mono[:, order])
        ms = hit[1]
        longest = max(b - a for a, b, _ in runs)
        buffers = self._buffers.get(M)
        if buffers is None:  # reused by every form of the batch on M monomials (no fresh pages per form)
            buffers = self._buffers[M] = (np.empty((M, longest)), np.empty((M, longest)))
        out_sorted = np.empty(n)
        for a, b, rows in runs:
            # the per-point forms transposed, (monomials, points): the long axis innermost
            combined, term = buffers[0][:, :b - a], buffers[1][:, :b - a]
            np.multiply(w[0, a:b], table[rows[0]][:, None], out=combined)
            for j in range(1, 4):
                np.multiply(w[j, a:b], table[rows[j]][:, None], out=term)
                combined += term
            out_sorted[a:b] = _dot(combined, ms[:, a:b].reshape(M, b - a, 1)).reshape(-1)
        out = np.empty(n)
        out[order] = out_sorted
        return out

    def _node_runs(self) -> tuple[np.ndarray, list[tuple[int, int, tuple[int, ...]]], np.ndarray]:
        """(the points ordered by first stencil node, runs (start, end, the four table rows) of one first node in
        that order, the stencil weights in that order as (4, points), zero where :meth:`combine` reads the zero
        row), computed once per batch."""
        if self._runs is None:
            order = np.argsort(self.first, kind="stable")
            f = self.first[order]
            starts = np.flatnonzero(np.concatenate(([True], f[1:] != f[:-1])))
            ends = np.append(starts[1:], f.size)
            zero = self.node_indices.size
            pos = {int(k): r for r, k in enumerate(self.node_indices)}
            runs = [(int(a), int(b), tuple(pos.get(int(f[a]) + j, zero) for j in range(4)))
                    for a, b in zip(starts, ends, strict=True)]
            self._runs = (order, runs, np.ascontiguousarray(self._w[order].T))
        assert self._runs is not None
        return self._runs

    def constant(self, combined: np.ndarray) -> np.ndarray:
        """The values at the points of per-group forms without variables (``combined`` of shape
        ``(n_groups, 1)``, the constants): each point its group's constant, what :meth:`evaluate` gives on the
        single monomial 1.0, without the products."""
        c = combined[:, 0]
        if c.size == 1:
            return np.full(self.n, c[0])
        if self.inverse is None:  # every point its own group
            return c.copy()
        return c[self.inverse]

    def evaluate(self, combined: np.ndarray, mono: np.ndarray) -> np.ndarray:
        """Values at the points of the per-group coefficient vectors ``combined`` (from :meth:`combine`) on the
        points' monomials ``mono`` (shape ``(M, n)``)."""
        M = mono.shape[0]
        if combined.shape[0] == 1:
            return _dot(combined.T, mono[:, None, :])[0]
        if self.segments is None:  # equal scales scattered over the batch: one gather
            assert self.inverse is not None  # segments is None only for scattered repeats
            return _dot(np.take(combined.T, self.inverse, axis=1), mono[:, :, None])[:, 0]
        out = np.empty(self.n)
        for a, b, ga, gb, length in self.segments:
            block = mono[:, a:b].reshape(M, gb - ga, length)
            out[a:b] = _dot(combined[ga:gb].T, block).reshape(-1)
        return out


class InterpolatedSurrogate:
    r"""One registered observable at many input scales (one per point), exact in the couplings,
    continuous in the scale: the surrogates of :func:`get_surrogate` on the lattice :func:`node_scale`,
    interpolated cubically in :math:`\log\mu` (:func:`interpolation_stencil`).

    Why this is exact in the couplings: at every input scale the numerator (and denominator) is a quadratic
    form :math:`c + g(\mu)^T x + x^T Q(\mu) x` in the coefficients :math:`x` at that scale, and the only
    dependence on :math:`\mu` is the linear RG evolution down to the observable's scale, which flavio/wilson
    perform: :math:`g(\mu) = U(\mu)^T g_\mathrm{low}`, :math:`Q(\mu) = U(\mu)^T Q_\mathrm{low}\,U(\mu)`.
    A weighted sum of quadratic forms is a quadratic form, so the interpolated :math:`P(x;\mu) = \sum_k
    w_k(\mu) P_k(x)` keeps the algebraic form (rational / sqrt-quadratic observables interpolate numerator,
    denominator, radicand). The entries of :math:`U(\mu)` are smooth in :math:`\log\mu` (powers of
    :math:`\alpha_s(\mu)` and the first-order QED terms of wilson's WET solution; the SMEFT RGE above the
    EW scale), so the cubic interpolation error is :math:`O(\delta^4)`: measured on wilson's WET running
    to 4.8 GeV for 0.3-10 TeV at δ = :data:`NODE_STEP`, at most 1.5e-8 of the diagonal entry (C_T, C_S: the
    fastest running), 3.7e-11 for C_9 (and 16 times smaller at δ/2, the expected :math:`\delta^4`).

    Why not one surrogate at a low reference scale with the running :math:`U(\mu)` applied in front of it:
    wilson's WET evolution (LO QCD with QED at first order in closed form) does not compose — running
    :math:`\mu\to\mu_\mathrm{ref}\to4.8` GeV differs from :math:`\mu\to4.8` GeV by 1e-5 … 1e-3 of the
    coefficients (measured for C_9, C_10, C_VL, C_S, C_T, C_7 at 0.3-10 TeV via 0.3 or 1 TeV), far above
    flavio's integration spread, and the running populates coefficients outside a registry entry's list
    (C_9^μμ at 1 TeV gives 84 non-zero WET coefficients at 4.8 GeV) that a reference surrogate would have
    to carry. Interpolating between surrogates built at the points' own kind of input scale reproduces
    flavio's own evaluation.

    ``scales``: 1-d array (GeV), one per point; the coefficients given to the methods are arrays of that
    length (or scalars, broadcast). ``factory(scale) -> Surrogate``: how a node's surrogate is obtained
    (default: :func:`get_surrogate` with ``wc_names``; the caller's memo otherwise); only nodes with a
    non-zero weight are built. ``groups``: the points' :class:`ScaleGroups` (one per call, shared by every
    observable; default: built here). Points of one scale are evaluated with one weighted form
    :math:`\sum_j w_j P_{k+j}` (the node coefficients combined with the scale's weights), not four node
    evaluations. The methods mirror :class:`Surrogate`.
    """

    def __init__(self, name: str, scales: ArrayLike, wc_names: Sequence[str] | None = None,
                 factory: Callable[[float], Surrogate] | None = None, groups: ScaleGroups | None = None) -> None:
        self.spec = get(name)
        self.name, self.form = self.spec.name, self.spec.form
        self.scales = np.asarray(scales, dtype=float)
        if groups is None:
            interpolation_stencil(self.scales)  # validates the scales
            groups = ScaleGroups(self.scales)
        elif groups.n != self.scales.size:
            raise ValueError(f"the scale groups hold {groups.n} points, the scales {self.scales.size}")
        self.groups = groups
        if factory is None:
            names = None if wc_names is None else list(wc_names)
            factory = lambda mu: get_surrogate(name, mu, names)  # noqa: E731
        #: lattice index -> the node's surrogate (only nodes with a non-zero weight for some point are built)
        self._by_index = {int(k): factory(node_scale(int(k))) for k in groups.node_indices}
        self.nodes: list[Surrogate] = list(self._by_index.values())
        self.wc_names = self.nodes[0].wc_names if self.nodes else tuple(wc_names or ())
        if any(s.wc_names != self.wc_names for s in self.nodes):
            raise ValueError("the node surrogates must share their Wilson coefficients")

    @property
    def node_scales(self) -> list[float]:
        return [s.scale for s in self.nodes]

    def _forms(self, part: str) -> list[QuadraticForm]:
        if part == "numerator":
            return [s.numerator for s in self.nodes]
        if any(s.denominator is None for s in self.nodes):
            raise ValueError(f"{self.name} has form {self.form!r}: no denominator")
        return [s.denominator for s in self.nodes if s.denominator is not None]

    def values(self, wc: Mapping[str, ArrayLike], parts: Sequence[str] = ("numerator",), *,
               quadratic_only: bool = False, scratch: dict | None = None) -> list[np.ndarray]:
        """The interpolated forms ``parts`` at ``wc`` (as :meth:`Surrogate.values`): per point group one
        weighted form (the node forms' coefficients combined with the group's weights), evaluated on the
        monomials of the real variables that are non-zero in the batch and enter a node's form."""
        if self.groups.n == 0:
            return [np.zeros(0) for _ in parts]
        forms = [f for part in parts for f in self._forms(part)]
        if not wc:  # no variable: each point gets its group's constant (the one monomial is 1.0: the same numbers)
            cols = np.zeros(0, dtype=np.intp)
            out = []
            for part in parts:
                coef = {k: s.coefficient_vector(part, cols) for k, s in self._by_index.items()}
                if quadratic_only:
                    coef = {k: _quadratic_only(v, 0) for k, v in coef.items()}
                out.append(self.groups.constant(self.groups.combine(coef)))
            return out
        cols, mono, _ = _variables_and_monomials(wc, self.wc_names, self.groups.n, forms, scratch)
        out = []
        for part in parts:
            coef = {k: s.coefficient_vector(part, cols) for k, s in self._by_index.items()}
            if quadratic_only:
                coef = {k: _quadratic_only(v, cols.size) for k, v in coef.items()}
            value = self.groups.evaluate_per_point(coef, mono)
            out.append(self.groups.evaluate(self.groups.combine(coef), mono) if value is None else value)
        return out

    def numerator_value(self, wc: Mapping[str, ArrayLike]) -> np.ndarray:
        return self.values(wc, ("numerator",))[0]

    def denominator_value(self, wc: Mapping[str, ArrayLike]) -> np.ndarray:
        return self.values(wc, ("denominator",))[0]

    def __call__(self, wc: Mapping[str, ArrayLike], *, scratch: dict | None = None) -> np.ndarray:
        if self.form == "rational":
            num, den = self.values(wc, ("numerator", "denominator"), scratch=scratch)
            return num / den
        num = self.values(wc, ("numerator",), scratch=scratch)[0]
        if self.form == "sqrt_quadratic":
            return np.sqrt(np.maximum(num, 0.0))
        return num

    def __repr__(self) -> str:
        return (f"InterpolatedSurrogate({self.name!r}, {self.scales.size} scales, {len(self.nodes)} nodes, "
                f"form={self.form!r}, {len(self.wc_names)} WCs)")
