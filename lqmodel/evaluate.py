r"""The per-point pipeline of a coupling map, vectorised over a batched :class:`~lqmodel.point.Point`.

For each point of a chunk, :class:`PointEvaluator` computes

* the transition moments :math:`|\mu_{\alpha N_1}|` [mu_B] and radiative Dirac masses
  :math:`|m_{\nu_\alpha N_1}|` [GeV] (NaN where UV-divergent) from :func:`lqmodel.moments.compute_moments`
  (docs/theory.md §b.2);
* the flavour observables from :func:`lqmodel.flavour.predict` (``method="surrogate"``, the exact fast
  path; observables without a surrogate fall back to ``method="flavio"``, one point at a time) and their
  :math:`\chi^2` from :func:`lqmodel.flavour.chi2` (per observable, ``total``), plus
  :math:`\Delta\chi^2 = \chi^2(\text{point}) - \chi^2(\text{SM})` per observable and in total, the SM
  being the same point with all leptoquark couplings set to zero;
* the neutrino-side verdicts for the moment of the flavour ``lepton`` (default: the base point's lepton,
  docs/theory.md §d.4–d.5): inside the XENON1T-level band (``observables.neutrino.fit.band("xenon1t",
  lepton, M_N_keV, cl)``; a two-sided interval, ``low <= mu <= high``), excluded by the XENONnT upper
  limit (``fit.band("xenonnt", ...)``: ``mu > high``) and by the strongest applicable published limit of
  ``observables.neutrino.limits.limits(lepton, M_N_keV)`` (Borexino, stellar cooling, ... as the data
  files provide; ``mu > upper_muB``);
* the LHC verdicts (``collider=True``, :func:`lqmodel.collider.summary.collider_columns`): tree-level widths
  and branching ratios, the published pair-production limits recast to the point's branching ratios
  (``excluded_pair``), and the Drell-Yan tails of :mod:`lqmodel.collider.drell_yan`
  (``excluded_drell_yan``); see ``docs/collider.md``;
* a combined verdict: ``viable`` = inside the XENON1T band AND :math:`\Delta\chi^2_\text{total} \le`
  ``flavour_delta_chi2_max`` (default 4: not disfavoured against the SM by more than 2σ for one
  parameter) AND not excluded by XENONnT or the other limits AND (with ``collider``) not excluded at the
  LHC; ``verdict`` spells out why not ("LHC pair production", "LHC Drell-Yan"). The light-neutrino mass
  bounds (``neutrino_mass=True``) enter as the tuning measure Δ and ``nu_mass_allowed``, not in ``viable``:
  the tree-level y_ν can always cancel the loop mass, and Δ says how finely (docs/neutrino_mass.md).

Columns (units in :attr:`PointEvaluator.units`, hence in the Parquet schema):

=================================  ======  =============================================================
``mu_{e,mu,tau}_N1_muB``           mu_B    :math:`|\mu_{\alpha N_1}|`
``m_nuN_{e,mu,tau}_N1_GeV``        GeV     :math:`|m_{\nu_\alpha N_1}|` (NaN: UV-divergent)
``<observable>``                   (spec)  flavour prediction, toolkit name (e.g. ``R_Dstar``)
``chi2_<name>``, ``chi2_total``    1       :math:`\chi^2` from :func:`lqmodel.flavour.chi2`
``dchi2_<name>``, ``dchi2_total``  1       :math:`\chi^2 - \chi^2_\text{SM}`
``chi2_group_<g>``, ``dchi2_group_<g>``  1  per constraint group (slug of observables.registry.GROUPS)
``excluded_<g>``                   bool    :math:`\Delta\chi^2_\text{group} >` ``flavour_delta_chi2_max``
``xenon1t_low_muB/high_muB``       mu_B    XENON1T band at this M_N (``cl``)
``in_xenon1t_band``                bool
``xenonnt_limit_muB``, ``excluded_xenonnt``  XENONnT upper limit (``cl``) and the verdict
``limit_muB``, ``limit_name``      mu_B    strongest applicable published limit (any kind)
``lab_limit_muB``, ``lab_limit_name``  mu_B  strongest applicable laboratory limit
``excluded_by_limit``              bool    excluded by any applicable published limit
``width_{S1,R2t23,R2t13}_GeV``     GeV     total tree-level width (``Gamma_over_m_*``: 1)
``BR_<field>_<channel>``           1       branching ratio, e.g. ``BR_S1_t_mu``, ``BR_R2t23_t_N1``
``m_limit_pair_<field>_GeV``       GeV     strongest pair-production limit recast to the BRs
``pair_channel_<field>``           str     its final state (e.g. "t mu", "b MET")
``excluded_pair[_<field>]``        bool    pair-production verdict (any field / per field)
``excluded_drell_yan``             bool    any Drell-Yan search excludes
``excluded_collider``, ``broad_width``  bool  any LHC exclusion; some Gamma/m > 0.1
``tuning``, ``tuning_S1_same_mu``  1       fine tuning Δ = |m_loop|/m_D_max, and Δ of S1 alone at the same μ
``m_D_max_eV``, ``m_loop_N1_eV``   eV      largest allowed |m_D| at this M_N; |one-loop m_νN₁| (MSbar where divergent)
``m_D_{e,mu,tau}_N1_eV``           eV      |y_ν v/√2 + m_νN| (total Dirac mass)
``m_light_max_eV``, ``M_heavy_eV``  eV     heaviest light mass of the exact spectrum; sterile-like state
``U2_{e,mu,tau}_N1``               1       :math:`|U_{\alpha N_1}|^2`
``uv_divergent_loop``              bool    loop mass UV-divergent: MSbar(μ = m_LQ), scheme-dependent
``nu_mass_allowed``                bool    the spectrum of the total m_D (with y_ν) passes the bound and |U|² limits
``flavour_allowed``, ``viable``    bool
``verdict``                        str     "viable" or the reasons, e.g. "below band; XENONnT"
=================================  ======  =============================================================

The evaluator is a frozen dataclass of a top-level class: picklable for spawned processes and dask.
"""
from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from lqmodel import vocabulary as _vocabulary
from lqmodel.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import Executor, Future

    from lqmodel.moments import Moments
    from lqmodel.point import Point
    from lqmodel.scan.config import ScanConfig

#: progress lines of the preparation (shown on stderr by the CLI, lqmodel.progress)
_progress = logging.getLogger("lqmodel.progress")
_progress.propagate = False  # shown only where a handler is attached (the CLI); flavio configures the root logger

__all__ = ["PointEvaluator", "resolve_base", "LEPTONS", "DEFAULT_OBSERVABLES"]

LEPTONS = _vocabulary.LEPTONS
#: the flavour observables of the maps (toolkit names, observables.registry); those missing from the
#: registry are skipped with a note in the manifest (PointEvaluator.spec()).
DEFAULT_OBSERVABLES: tuple[str, ...] = ()  # () = every observable of observables.registry.OBSERVABLES
_KEV_PER_GEV = _vocabulary.KEV_PER_GEV
#: points per internal sub-batch of PointEvaluator.__call__ (bounds the memory of one large call: the
#: temporaries of one sub-batch, ~3.5 kB per point of it (tracemalloc, all steps; mostly the collider and
#: flavour steps), i.e. ~120 MB whatever the call's size; 2^14 was ~10% slower, benchmarks/bench_scan.py)
SUB_BATCH = 1 << 15
#: a scan with at most this many distinct grid leptoquark masses uses one exact surrogate per mass
#: (``masses: auto``); more masses, or random ones, use the interpolated surrogates (:meth:`PointEvaluator.for_config`)
EXACT_SCAN_MASSES = 16
_LQ_MASS_PARAMETERS = ("m_LQ", "m_S1", "m_R2", "m_R2_23")

#: a -> the 1-d column of a chunk's n points (_flattener)
_Flat = Callable[[ArrayLike], np.ndarray]
#: (mask, label): the points the verdict names with label (_verdict_strings)
_Part = tuple[np.ndarray, str]


def _n_points(base: Point, assignments: Mapping[str, Any]) -> int:
    """Number of points of ``vary(base, assignments)`` (shapes only; 0 if they do not broadcast: vary
    then raises its own error)."""
    try:
        shape = np.broadcast_shapes(base.batch_shape, *(np.shape(v) for v in assignments.values()))
    except ValueError:
        return 0
    return int(np.prod(shape)) if shape else 1


def resolve_base(base: Any) -> Point:
    """A scan's base point: a :class:`~lqmodel.point.Point`, an inline point mapping (point-file format,
    :func:`lqmodel.pointfile.point_from_mapping`) or the name of a built-in benchmark point."""
    from lqmodel.point import Point

    if isinstance(base, Point):
        return base
    if isinstance(base, Mapping):
        from lqmodel.pointfile import point_from_mapping

        return point_from_mapping(dict(base), source="scan base point")
    if isinstance(base, str):
        from lqmodel import benchmarks

        return benchmarks.get(base)
    raise InputError(f"base point must be a Point, a point mapping or a benchmark name; got {type(base).__name__}")


@dataclass(frozen=True)
class PointEvaluator:
    """Vectorised evaluator of a coupling-map chunk (the ``evaluator`` of :func:`lqmodel.scan.run_scan`).

    ``observables``: toolkit names of the flavour observables (``()`` = all registered; ``None`` = no
    flavour observables). ``method``: "surrogate" (default) or "flavio". ``vintage``: measurement
    vintage for chi2 (None = default). ``lepton``: flavour whose moment the neutrino verdicts test
    (None = the base point's). ``cl``: confidence level of the XENON1T band and XENONnT limit.
    ``neutrino``: compute the neutrino-side verdicts. ``flavour_delta_chi2_max``: flavour verdict.
    ``collider``: compute the LHC columns and count them in ``viable`` (lqmodel.collider).
    ``neutrino_mass``: the neutrino-mass columns (lqmodel.neutrino_mass; not part of ``viable``);
    ``mass_bound``: the light-mass bound of their tuning Δ (observables.neutrino.mass_bounds names).
    ``masses``: how the flavour surrogates treat the leptoquark masses (the ``masses`` option of
    :func:`lqmodel.flavour.predict`): ``"exact"`` (one surrogate per distinct mass), ``"interpolated"``
    (surrogates on the log-mass lattice, any masses, relative error < 1e-7) or ``"auto"``. A scan resolves
    ``"auto"`` once for the whole map (:meth:`for_config`): exact for a grid of at most
    :data:`EXACT_SCAN_MASSES` distinct masses, interpolated otherwise, so that every chunk of one map
    takes the same path whatever masses it happens to hold.
    ``columns``: the columns a call returns — ``None`` (default) all of :attr:`units`; ``"map"`` those the
    coupling map draws (:func:`map_columns`: the layers' required and optional columns, ``viable``,
    ``verdict``; about 230 bytes per point instead of 1.6 kB); or a list of column names. Everything is still
    computed (the verdict needs it) in bounded sub-batches, only the kept columns are held for all points.
    """

    observables: tuple[str, ...] | None = DEFAULT_OBSERVABLES
    method: str = "surrogate"
    vintage: str | None = None
    lepton: str | None = None
    cl: float = 0.9
    neutrino: bool = True
    flavour_delta_chi2_max: float = 4.0
    collider: bool = True
    neutrino_mass: bool = True
    mass_bound: str = "planck2018"
    masses: str = "auto"
    columns: tuple[str, ...] | str | None = None

    def __post_init__(self) -> None:
        if self.method not in ("surrogate", "flavio"):
            raise InputError(f"evaluation method must be 'surrogate' or 'flavio', got {self.method!r}")
        if self.lepton is not None and self.lepton not in LEPTONS:
            raise InputError(f"evaluation lepton must be one of {', '.join(LEPTONS)}, got {self.lepton!r}")
        if not 0.0 < self.cl < 1.0:
            raise InputError(f"evaluation cl must be in (0, 1), got {self.cl!r}")
        from lqmodel.flavour import MASSES

        if self.masses not in MASSES:
            raise InputError(f"evaluation masses must be one of {', '.join(MASSES)}, got {self.masses!r}")
        if self.observables is not None:
            object.__setattr__(self, "observables", tuple(str(o) for o in self.observables))
        if self.columns is not None and self.columns != "map":
            if isinstance(self.columns, str) or not all(isinstance(c, str) for c in self.columns):
                raise InputError(f"evaluation columns must be null, 'map' or a list of column names, "
                                 f"got {self.columns!r}")
            object.__setattr__(self, "columns", tuple(self.columns))
        if self.neutrino_mass:
            from observables.neutrino.mass_bounds import light_mass_bounds

            if self.mass_bound not in light_mass_bounds():
                raise InputError(f"evaluation mass_bound must be one of {', '.join(light_mass_bounds())}, "
                                 f"got {self.mass_bound!r}")

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> PointEvaluator:
        """From the ``evaluation`` section of a scan config (keys = the field names). The one place the
        options are validated (:meth:`validate_options`); bad ones raise :class:`lqmodel.errors.InputError`."""
        return cls(**cls.validate_options(options))

    @classmethod
    def validate_options(cls, options: Any) -> dict[str, Any]:
        """Check the ``evaluation`` options of a scan config (names, types, ranges) and return the
        constructor arguments. Booleans must be YAML booleans (``neutrino: "no"`` is refused), numbers
        finite, ``observables`` a non-empty list of known names, ``"all"`` or null. A new option is
        added as a dataclass field plus, if its type needs it, a check here."""
        import math

        from lqmodel.errors import InputError, shorten

        if not isinstance(options, Mapping):
            raise InputError(f"'evaluation' must be a mapping of options, got {shorten(options)}")
        allowed = set(cls.__dataclass_fields__)
        unknown = [k for k in options if k not in allowed]
        if unknown:
            from lqmodel.vocabulary import did_you_mean as _did_you_mean

            raise InputError(f"unknown evaluation option {shorten(unknown[0])}."
                             f"{_did_you_mean(str(unknown[0]), allowed)} Allowed: {', '.join(sorted(allowed))}")
        opts = dict(options)

        def number(key: str) -> None:
            v = opts[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise InputError(f"evaluation.{key} must be a finite number, got {shorten(v)}")
            opts[key] = float(v)

        def choice(key: str, allowed_values: Sequence[Any]) -> None:
            if opts[key] not in allowed_values:
                raise InputError(f"evaluation.{key} must be one of {', '.join(map(repr, allowed_values))}, "
                                 f"got {shorten(opts[key])}")

        for key in [k for k in ("cl", "flavour_delta_chi2_max") if k in opts]:
            number(key)
        if "cl" in opts and not 0.0 < opts["cl"] < 1.0:
            raise InputError(f"evaluation.cl must be a confidence level in (0, 1), e.g. 0.9; got {opts['cl']!r}")
        if "neutrino" in opts and not isinstance(opts["neutrino"], bool):
            raise InputError(f"evaluation.neutrino must be true or false, got {shorten(opts['neutrino'])}")
        if "collider" in opts and not isinstance(opts["collider"], bool):
            raise InputError(f"evaluation.collider must be true or false, got {shorten(opts['collider'])}")
        if "neutrino_mass" in opts and not isinstance(opts["neutrino_mass"], bool):
            raise InputError(f"evaluation.neutrino_mass must be true or false, got {shorten(opts['neutrino_mass'])}")
        if "mass_bound" in opts:
            from observables.neutrino.mass_bounds import light_mass_bounds

            choice("mass_bound", tuple(light_mass_bounds()))
        if "method" in opts:
            choice("method", ("surrogate", "flavio"))
        if "masses" in opts:
            from lqmodel.flavour import MASSES

            choice("masses", MASSES)
        if "columns" in opts and opts["columns"] not in (None, "map"):
            cols = opts["columns"]
            if not isinstance(cols, (list, tuple)) or not cols or not all(isinstance(c, str) for c in cols):
                raise InputError("evaluation.columns must be null (all), 'map' or a non-empty list of column "
                                 f"names, got {shorten(cols)}")
            opts["columns"] = tuple(cols)
        if "lepton" in opts:
            choice("lepton", (None, *LEPTONS))
        if "vintage" in opts and opts["vintage"] is not None and not isinstance(opts["vintage"], str):
            raise InputError(f"evaluation.vintage must be a string or null, got {shorten(opts['vintage'])}")
        if "observables" in opts and opts["observables"] not in (None, "all"):
            obs = opts["observables"]
            if not isinstance(obs, (list, tuple)) or not obs or not all(isinstance(o, str) for o in obs):
                raise InputError("evaluation.observables must be a non-empty list of observable names, "
                                 f"'all' or null (none), got {shorten(obs)}")
            from observables.registry import get

            for name in obs:
                try:
                    get(name)
                except KeyError as exc:
                    raise InputError(f"evaluation.observables: {exc.args[0]}") from None
            opts["observables"] = tuple(obs)
        elif opts.get("observables") == "all":
            opts["observables"] = ()
        return opts

    # ---- what it computes --------------------------------------------------------------------
    def observable_names(self) -> tuple[str, ...]:
        if self.observables is None:
            return ()
        from observables.registry import OBSERVABLES, get

        if self.observables == ():
            return tuple(OBSERVABLES)
        for n in self.observables:
            get(n)  # unknown names: KeyError listing close matches
        return self.observables

    def spec(self) -> dict[str, Any]:
        d = asdict(self)
        if self.columns is None:  # tables of evaluators without the option: the same fingerprint as before
            del d["columns"]
        d["observables"] = None if self.observables is None else list(self.observable_names())
        return {"callable": f"{type(self).__module__}.{type(self).__qualname__}", "fields": d}

    @property
    def units(self) -> dict[str, str]:
        """Column -> unit of what a call returns (:attr:`all_units` restricted to ``columns``)."""
        u = self.all_units
        keep = self.kept_columns()
        return u if keep is None else {k: v for k, v in u.items() if k in keep}

    def kept_columns(self) -> frozenset[str] | None:
        """The names of the returned columns, or None for all of :attr:`all_units`. Names the evaluator does
        not compute raise :class:`~lqmodel.errors.InputError` (with the closest names)."""
        if self.columns is None:
            return None
        u = self.all_units
        if self.columns == "map":
            return frozenset(map_columns(self)) & frozenset(u)
        unknown = [c for c in self.columns if c not in u]
        if unknown:
            from lqmodel.vocabulary import did_you_mean as _did_you_mean

            raise InputError(f"evaluation.columns: {unknown[0]!r} is not a column of this evaluation."
                             f"{_did_you_mean(unknown[0], u)} (its {len(u)} columns: PointEvaluator(...).all_units; "
                             "their meaning: lqmodel.columns)")
        return frozenset(self.columns)

    @property
    def all_units(self) -> dict[str, str]:
        """Column -> unit of everything the evaluation computes (the table with ``columns: null``)."""
        u: dict[str, str] = {}
        for l in LEPTONS:
            u[f"mu_{l}_N1_muB"] = "mu_B"
            u[f"m_nuN_{l}_N1_GeV"] = "GeV"
        if self.observables is not None:
            from observables.registry import get

            names = self.observable_names()
            for n in names:
                u[n] = get(n).unit
                u[f"chi2_{n}"] = "1"
                u[f"dchi2_{n}"] = "1"
            u.update({"chi2_total": "1", "dchi2_total": "1", "flavour_allowed": ""})
            for slug in _group_slugs(names):
                u.update({f"chi2_group_{slug}": "1", f"dchi2_group_{slug}": "1", f"excluded_{slug}": ""})
        if self.neutrino:
            u.update({
                "xenon1t_low_muB": "mu_B", "xenon1t_high_muB": "mu_B", "in_xenon1t_band": "",
                "xenonnt_limit_muB": "mu_B", "excluded_xenonnt": "", "limit_muB": "mu_B", "limit_name": "",
                "lab_limit_muB": "mu_B", "lab_limit_name": "", "excluded_by_limit": "",
            })
        if self.collider:
            from lqmodel.collider.summary import column_units

            u.update(column_units())
        if self.neutrino_mass:
            u.update({"tuning": "1", "tuning_S1_same_mu": "1", "m_D_max_eV": "eV", "m_loop_N1_eV": "eV",
                      "m_light_max_eV": "eV", "M_heavy_eV": "eV", "uv_divergent_loop": "", "nu_mass_allowed": ""})
            for l in LEPTONS:
                u[f"m_D_{l}_N1_eV"] = "eV"
                u[f"U2_{l}_N1"] = "1"
        u.update({"viable": "", "verdict": ""})
        return u

    def for_config(self, config: ScanConfig) -> PointEvaluator:
        """This evaluator with ``masses="auto"`` resolved for the whole scan ``config`` (called by
        :func:`lqmodel.scan.run_scan` before the fingerprint is taken): ``"exact"`` when the scan has at
        most :data:`EXACT_SCAN_MASSES` distinct leptoquark masses on a grid (each built or shipped once),
        ``"interpolated"`` for more grid masses or random / Latin-hypercube masses. Per chunk, the
        ``"auto"`` rule of :func:`lqmodel.flavour.predict` would depend on how many masses a chunk holds."""
        if self.masses != "auto" or self.observables is None or self.method != "surrogate":
            return self
        _, distinct = _scanned_masses(config)
        exact = distinct is not None and distinct <= EXACT_SCAN_MASSES
        return replace(self, masses="exact" if exact else "interpolated")

    def check_config(self, config: ScanConfig) -> None:
        """Refuse scan configurations this evaluator cannot run efficiently (one-line InputError): with
        ``masses: exact``, random / Latin-hypercube leptoquark masses or more than
        :data:`lqmodel.flavour.MAX_SCALES` grid masses (one surrogate per mass)."""
        from lqmodel.flavour import MAX_SCALES

        if self.masses != "exact" or self.observables is None or self.method != "surrogate":
            return
        name, distinct = _scanned_masses(config)
        if distinct is None:
            raise InputError(
                f"{config.sampling} sampling of {name} with evaluation.masses: exact would need one "
                "surrogate per sampled mass: use masses: interpolated or auto (any masses), or a grid")
        if distinct > MAX_SCALES:
            raise InputError(f"{distinct} grid leptoquark masses with evaluation.masses: exact (at most "
                             f"{MAX_SCALES}, one surrogate each): use masses: interpolated or auto")

    # ---- main-process preparation --------------------------------------------------------------
    def prepare(self, base: Any, config: ScanConfig | None = None, executor: Executor | None = None) -> None:
        """Warm the on-disk caches (flavour surrogates, detector fits, theory covariance) before the
        chunks run, so that workers only read them: the base point at every scanned mass (grid values;
        for random sampling the range ends) and its SM reference. With an ``executor`` the surrogates are
        built in parallel, one task per observable and one per measurement group whose flavio SM
        covariance the chi2 needs (each worker imports flavio once)."""
        from lqmodel.point import vary

        point = resolve_base(base)
        samples: dict[str, np.ndarray] = {}
        if config is not None:
            from lqmodel.scan.config import to_assignments

            self.check_config(config)

            for r in config.parameters:
                if r.name in _LQ_MASS_PARAMETERS and (config.sampling != "grid" or self.masses == "interpolated"):
                    # random / Latin-hypercube masses use the surrogates interpolated between lattice nodes
                    # (observables.surrogate.InterpolatedSurrogate): warm every node a mass in the range needs
                    from observables.surrogate import lattice_nodes

                    samples[r.name] = np.array(lattice_nodes(float(r.low), float(r.high)))
                elif r.name in (*_LQ_MASS_PARAMETERS, "M_N", "M_N_keV", "m_b"):
                    samples[r.name] = r.grid() if (config.sampling == "grid") else np.array([r.low, r.high])
            samples = to_assignments(samples)
        if samples:
            mesh = np.meshgrid(*samples.values(), indexing="ij")
            point = vary(point, {k: m.ravel() for k, m in zip(samples, mesh, strict=True)})
        futures: list[Future[None]] = []
        if executor is not None and self.observables is not None:
            names = self.observable_names()
            # longest tasks first: flavio's SM covariances of the measurement groups (chi2), then the
            # numerically integrated ratios (rational surrogates), then the rest
            groups = self._theory_groups(names)
            futures = [executor.submit(_warm_theory_covariance, group) for group in groups]
            order = sorted(names, key=lambda n: _registry_form(n) != "rational")
            futures += [executor.submit(_warm_flavour, point, name, self.method, self.masses) for name in order]
            labels = [f"SM covariance of {', '.join(g)}" for g in groups] + [f"surrogates of {n}" for n in order]
        try:
            self._evaluate_point(point) if not futures else self._warm_local(point)
            last = time.perf_counter()
            for i, f in enumerate(futures, 1):
                f.result()
                # one progress line (logger lqmodel.progress) whenever a task made us wait, and at the end
                if time.perf_counter() - last > 0.5 or i == len(futures):
                    _progress.info("lqmodel: prepared %s (%d/%d)", labels[i - 1], i, len(futures))
                    last = time.perf_counter()
        finally:
            for f in futures:
                f.cancel()
        # with an executor the tasks above built every flavour surrogate and SM covariance, and _warm_local
        # the detector fits: nothing is left for this process to evaluate (it did the whole grid of masses
        # again here before, a few seconds in which the workers waited)

    def _theory_groups(self, names: Sequence[str]) -> list[tuple[str, ...]]:
        """Measurement groups whose flavio SM covariance chi2 will need (observables.likelihood)."""
        from observables.measurements import load

        return [tuple(c.observables) for c in load(self.vintage).constraints
                if c.theory == "flavio" and any(o in names for o in c.observables)]

    def _warm_local(self, point: Point) -> None:
        """What the calling process warms while the workers build surrogates: moments, detector fits."""
        cols: dict[str, np.ndarray] = {}
        from lqmodel.moments import compute_moments

        shape = point.batch_shape
        n = int(np.prod(shape)) if shape else 1
        flat = _flattener(shape, n)
        mom = compute_moments(point)
        for a, l in enumerate(LEPTONS):
            cols[f"mu_{l}_N1_muB"] = flat(np.abs(mom.mu_muB[..., a, 0])).astype(float)
        if self.neutrino:
            self._neutrino(point, cols, flat, n, [])

    # ---- evaluation ------------------------------------------------------------------------------
    def __call__(self, base: Any, assignments: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        from lqmodel.point import vary

        base = resolve_base(base)
        n = _n_points(base, assignments)
        keep = self.kept_columns()

        def kept(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return cols if keep is None else {k: v for k, v in cols.items() if k in keep}

        if n <= SUB_BATCH or base.batch_shape != ():
            return kept(self._evaluate_point(vary(base, assignments), keep))
        # large calls: evaluate SUB_BATCH points at a time (bounded temporaries: the batched Point's
        # (B, 3, 3) coupling arrays, moments, Wilson coefficients); every column is computed point by
        # point, so the concatenated table is the one of a single call
        shape = np.broadcast_shapes(*(np.shape(v) for v in assignments.values()))
        flat = {k: np.broadcast_to(np.asarray(v), shape).reshape(n) for k, v in assignments.items()}
        # the output columns are allocated once, after the first sub-batch, and filled in place: no list of
        # parts and no concatenated copy (which held the table twice at the end of a large call)
        out: dict[str, np.ndarray] = {}
        for i in range(0, n, SUB_BATCH):
            cols = kept(self._evaluate_point(vary(base, {k: v[i:i + SUB_BATCH] for k, v in flat.items()}), keep))
            if not out:
                out = {k: np.empty(n, dtype=v.dtype) for k, v in cols.items()}
            for k, v in cols.items():
                if v.dtype != out[k].dtype:  # e.g. an integer column that became float in a later sub-batch
                    out[k] = out[k].astype(np.result_type(out[k].dtype, v.dtype))
                out[k][i:i + len(v)] = v
            del cols
        return out

    def _evaluate_point(self, point: Point, keep: frozenset[str] | None = None) -> dict[str, np.ndarray]:
        """Every column of ``point`` (a batch); with ``keep``, columns outside it that cost a pass of their
        own (the per-observable Delta chi2) may be left out — the caller filters the rest."""
        from lqmodel.moments import compute_moments

        shape = point.batch_shape
        n = int(np.prod(shape)) if shape else 1
        flat = _flattener(shape, n)
        cols: dict[str, np.ndarray] = {}
        # with the neutrino-mass step, one MSbar evaluation serves both (the m_nuN column stays NaN where
        # UV-divergent; finite entries are identical for both options)
        mom = compute_moments(point, uv="msbar") if self.neutrino_mass else compute_moments(point)
        for a, l in enumerate(LEPTONS):
            cols[f"mu_{l}_N1_muB"] = flat(np.abs(mom.mu_muB[..., a, 0])).astype(float)
            cols[f"m_nuN_{l}_N1_GeV"] = flat(np.abs(np.where(mom.uv_divergent[..., a, 0], np.nan,
                                                             mom.m_nuN_GeV[..., a, 0]))).astype(float)
        flavour_ok = np.ones(n, dtype=bool)
        if self.observables is not None:
            flavour_ok = self._flavour(point, cols, flat, n, keep)
        verdict_parts: list[tuple[np.ndarray, str]] = []
        ok = flavour_ok.copy()
        if self.neutrino:
            ok &= self._neutrino(point, cols, flat, n, verdict_parts)
        if self.observables is not None:
            verdict_parts.append((~flavour_ok, "flavour"))
        if self.collider:
            ok &= self._collider(point, cols, flat, verdict_parts)
        if self.neutrino_mass:
            self._neutrino_mass(point, cols, flat, mom)
        cols["viable"] = ok
        cols["verdict"] = _verdict_strings(n, verdict_parts)
        # string columns (limit names, pair channels) as object arrays sharing one str per distinct value:
        # 8 bytes per point instead of 4 bytes per character of the longest value (numpy '<U'); same strings
        for k, v in cols.items():
            if v.dtype.kind == "U":
                cols[k] = _shared_strings(v)
        return cols

    def _neutrino_mass(self, point: Point, cols: dict[str, np.ndarray], flat: _Flat, mom: Moments) -> None:
        """Neutrino-mass columns (lqmodel.neutrino_mass): exact spectrum, mixing, tuning Δ (``mom``: the
        point's moments with ``uv="msbar"``)."""
        from lqmodel.neutrino_mass import EV_PER_GEV, neutrino_mass, tuning_s1_same_mu

        nm = neutrino_mass(point, bound=self.mass_bound, moments=mom)
        cols["tuning"] = flat(nm.tuning).astype(float)
        cols["tuning_S1_same_mu"] = flat(tuning_s1_same_mu(point, nm=nm)).astype(float)
        cols["m_D_max_eV"] = flat(nm.m_D_max_eV).astype(float)
        cols["m_loop_N1_eV"] = flat(nm.m_loop_eV).astype(float)
        cols["m_light_max_eV"] = flat(nm.m_light_eV[..., 2]).astype(float)
        cols["M_heavy_eV"] = flat(nm.M_heavy_eV).astype(float)
        cols["uv_divergent_loop"] = flat(nm.uv_divergent_loop).astype(bool)
        cols["nu_mass_allowed"] = flat(nm.allowed).astype(bool)
        for a, l in enumerate(LEPTONS):
            cols[f"m_D_{l}_N1_eV"] = flat(np.abs(nm.m_D_GeV[..., a]) * EV_PER_GEV).astype(float)
            cols[f"U2_{l}_N1"] = flat(nm.U2[..., a]).astype(float)

    def _collider(self, point: Point, cols: dict[str, np.ndarray], flat: _Flat, parts: list[_Part]) -> np.ndarray:
        """LHC columns (lqmodel.collider.summary.collider_columns); returns 'not excluded at the LHC'."""
        from lqmodel.collider.summary import collider_columns

        lhc = collider_columns(point)
        cols.update({k: flat(v) for k, v in lhc.items()})
        parts.append((cols["excluded_pair"], "LHC pair production"))
        parts.append((cols["excluded_drell_yan"], "LHC Drell-Yan"))
        return ~cols["excluded_collider"]

    def _flavour(self, point: Point, cols: dict[str, np.ndarray], flat: _Flat, n: int,
                 keep: frozenset[str] | None = None) -> np.ndarray:
        from lqmodel.flavour import chi2

        names = self.observable_names()
        preds = _predict_with_fallback(point, names, self.method, self.masses)
        chi = chi2({k: flat(v) for k, v in preds.items()}, self.vintage)
        # the SM reference (no couplings): its predictions are memoised per process by lqmodel.flavour
        sm_preds = _predict_with_fallback(_sm_point(point), names, self.method, self.masses)
        chi_sm = {k: float(np.asarray(v).ravel()[0]) for k, v in
                  chi2({k: np.asarray(v, dtype=float) for k, v in sm_preds.items()}, self.vintage).items()}
        for k in names:
            cols[k] = flat(preds[k]).astype(float, copy=False)
        for k in [*names, "total"]:
            if k in chi:
                cols[f"chi2_{k}"] = flat(chi[k]).astype(float, copy=False)
                if keep is None or k == "total" or f"dchi2_{k}" in keep:  # a new array each: only if kept
                    cols[f"dchi2_{k}"] = cols[f"chi2_{k}"] - chi_sm[k]
            else:
                cols[f"chi2_{k}"] = np.full(n, np.nan)
                cols[f"dchi2_{k}"] = np.full(n, np.nan)
        # one chi2 per constraint group (observables.likelihood.chi2 "group:<group>"), and whether the group
        # alone excludes the point at the same Delta chi2 threshold as the total (the maps' layers)
        from observables.likelihood import GROUP_PREFIX
        from observables.registry import group_slug

        for g in _groups_of(names):
            slug, key = group_slug(g), GROUP_PREFIX + g
            if key in chi:
                cols[f"chi2_group_{slug}"] = flat(chi[key]).astype(float, copy=False)
                cols[f"dchi2_group_{slug}"] = cols[f"chi2_group_{slug}"] - chi_sm[key]
            else:  # no measured observable of this group is evaluated
                cols[f"chi2_group_{slug}"] = np.full(n, np.nan)
                cols[f"dchi2_group_{slug}"] = np.full(n, np.nan)
            cols[f"excluded_{slug}"] = cols[f"dchi2_group_{slug}"] > self.flavour_delta_chi2_max
        allowed = cols["dchi2_total"] <= self.flavour_delta_chi2_max
        cols["flavour_allowed"] = allowed
        return allowed

    def _neutrino(self, point: Point, cols: dict[str, np.ndarray], flat: _Flat, n: int,
                  parts: list[_Part]) -> np.ndarray:
        from observables.neutrino import fit

        lepton = self.lepton or point.lepton
        if lepton is None:
            raise ValueError("the neutrino verdicts need a lepton flavour: "
                             "set evaluation.lepton or the base point's lepton")
        mu = cols[f"mu_{lepton}_N1_muB"]
        m_keV = flat(point.M_N) * _KEV_PER_GEV
        uniq, inv = np.unique(m_keV, return_inverse=True)
        b1 = fit.band("xenon1t", lepton, uniq, self.cl)
        bn = fit.band("xenonnt", lepton, uniq, self.cl)
        low, high = b1["low_muB"][inv], b1["high_muB"][inv]
        two_sided = np.asarray(b1["two_sided"][inv], dtype=bool)  # a bool array (typed as the float bands)
        cols["xenon1t_low_muB"] = low
        cols["xenon1t_high_muB"] = high
        in_band = two_sided & (mu >= low) & (mu <= high)
        cols["in_xenon1t_band"] = in_band
        nt = bn["high_muB"][inv]
        cols["xenonnt_limit_muB"] = nt
        ex_nt = mu > nt
        cols["excluded_xenonnt"] = ex_nt
        mu_quad = np.sqrt(sum(cols[f"mu_{l}_N1_muB"] ** 2 for l in LEPTONS))
        ex_lim = np.zeros(n, dtype=bool)
        strongest = {"limit": (np.full(n, np.inf), np.full(n, "", dtype=object)),
                     "lab_limit": (np.full(n, np.inf), np.full(n, "", dtype=object))}
        from observables.neutrino import limits as limits_mod

        for k, m in enumerate(uniq):
            rows = inv == k
            for lim in limits_mod.limits(lepton, float(m)):
                if not lim.applicable or lim.upper_muB is None:
                    continue
                # bounds on sqrt(sum_a |mu_aN|^2) (stellar, N_eff) use the quadrature sum of the moments
                moment = mu_quad[rows] if lim.combination == "quadrature" else mu[rows]
                hit = moment > lim.upper_muB
                cap = getattr(lim, "excluded_up_to_muB", None)
                if cap is not None:
                    hit &= moment < cap
                ex_lim[rows] |= hit
                kinds = ["limit", "lab_limit"] if lim.kind == "laboratory" else ["limit"]
                for kind in kinds:
                    val, name = strongest[kind]
                    better = rows & (lim.upper_muB < val)
                    val[better], name[better] = float(lim.upper_muB), str(lim.name)
        for kind, (val, name) in strongest.items():
            cols[f"{kind}_muB"] = val
            cols[f"{kind}_name"] = name  # shared str objects (one per limit), as _shared_strings makes them
        cols["excluded_by_limit"] = ex_lim
        parts.append((~in_band & (mu < low), "below XENON1T band"))
        parts.append((~in_band & (mu > high), "above XENON1T band"))
        parts.append((~two_sided, "no XENON1T band"))
        parts.append((ex_nt, "XENONnT"))
        parts.append((ex_lim, "published limits"))
        return in_band & ~ex_nt & ~ex_lim


def _scanned_masses(config: ScanConfig) -> tuple[str | None, int | None]:
    """(first scanned leptoquark-mass parameter or None, number of distinct grid masses of the scan: 1 when
    none is scanned, None for random / Latin-hypercube masses)."""
    lq = [r for r in config.parameters if r.name in _LQ_MASS_PARAMETERS]
    if not lq:
        return None, 1
    if config.sampling != "grid":
        return lq[0].name, None
    return lq[0].name, int(np.prod([len(r.grid()) for r in lq]))


#: verdict columns kept with ``columns: map`` besides the layers' own (what each constraint says per point)
_MAP_VERDICT_COLUMNS = ("flavour_allowed", "in_xenon1t_band", "excluded_xenonnt", "excluded_by_limit",
                        "excluded_pair", "excluded_drell_yan", "excluded_collider", "nu_mass_allowed",
                        "viable", "verdict")


def map_columns(evaluator: PointEvaluator) -> tuple[str, ...]:
    """The columns the coupling map of ``evaluator``'s table draws (:data:`lqmodel.columns.MAP_LAYERS` of
    :func:`lqmodel.columns.expected_layers`, required and optional, placeholders filled with every lepton,
    constraint group and observable) and the per-constraint verdicts — what ``columns: map`` keeps."""
    from lqmodel.columns import MAP_LAYERS, expected_layers, placeholder_values

    values = placeholder_values()
    names: dict[str, None] = {}
    for layer in expected_layers(evaluator):
        for template in (*MAP_LAYERS[layer].requires, *MAP_LAYERS[layer].optional):
            expanded = [template]
            for ph in ("lepton", "group", "obs"):
                if "{" + ph + "}" in template:
                    expanded = [t.replace("{" + ph + "}", v) for t in expanded for v in values[ph]]
            names.update(dict.fromkeys(expanded))
    names.update(dict.fromkeys(_MAP_VERDICT_COLUMNS))
    return tuple(names)


def _flattener(shape: tuple[int, ...], n: int) -> _Flat:
    """a -> 1-d array of the n points (a already flat, or broadcastable to the batch shape)."""

    def flat(a: ArrayLike) -> np.ndarray:
        arr = np.asarray(a)
        if arr.shape == (n,):
            return arr
        return np.broadcast_to(arr, shape).reshape(n)

    return flat


def _groups_of(names: Sequence[str]) -> list[str]:
    """Constraint groups (observables.registry.GROUPS order) of the observables ``names``."""
    from observables.registry import GROUPS, get

    present = {get(n).group for n in names}
    return [g for g in GROUPS if g in present]


def _group_slugs(names: Sequence[str]) -> list[str]:
    from observables.registry import group_slug

    return [group_slug(g) for g in _groups_of(names)]


def _registry_form(name: str) -> str:
    from observables.registry import get

    return get(name).form


def _warm_theory_covariance(group: tuple[str, ...]) -> None:
    """Worker task of :meth:`PointEvaluator.prepare`: flavio's SM covariance of one measurement group
    (computed once, cached on disk by observables.likelihood)."""
    from observables.likelihood import theory_covariance

    theory_covariance(list(group))


def _warm_flavour(point: Point, name: str, method: str, masses: str = "auto") -> None:
    """Worker task of :meth:`PointEvaluator.prepare`: build (and cache) the surrogates of one observable
    for ``point`` and its SM reference, on the evaluator's ``masses`` path."""
    _predict_with_fallback(point, [name], method, masses)
    _predict_with_fallback(_sm_point(point), [name], method, masses)


def _shared_strings(a: np.ndarray) -> np.ndarray:
    """The strings of ``a`` as an object array in which equal values are one shared ``str`` object (a
    label column of a few distinct values costs one pointer per point; ``==``, ``np.unique``, ``astype(str)``,
    pickling and pyarrow's ``pa.array`` give the same strings as for ``a``).

    >>> _shared_strings(np.array(["b MET", "t mu", "b MET"])).tolist()
    ['b MET', 't mu', 'b MET']
    """
    a = np.asarray(a)
    if a.size and (a == a.flat[0]).all():  # one value (the common case: a limit or channel per map region)
        out = np.empty(a.size, dtype=object)
        out.fill(str(a.flat[0]))
        return out
    uniq, inv = np.unique(a, return_inverse=True)
    labels = np.empty(len(uniq), dtype=object)
    labels[:] = [str(u) for u in uniq]
    return labels[inv.reshape(-1)]


def _verdict_strings(n: int, parts: Sequence[tuple[np.ndarray, str]]) -> np.ndarray:
    """Per point, the labels of the ``parts`` whose mask is set, joined by "; " in the order of ``parts``,
    or "viable" if none is. Built from one bit per part: the label of each distinct combination is made
    once and shared by its points (an object array of shared ``str``, 8 bytes per point)."""
    code = np.zeros(n, dtype=np.int64)
    for bit, (mask, _) in enumerate(parts):
        code |= np.asarray(mask, dtype=bool).astype(np.int64) << bit
    uniq, inv = np.unique(code, return_inverse=True)
    labels = np.empty(len(uniq), dtype=object)
    labels[:] = ["; ".join(label for bit, (_, label) in enumerate(parts) if (int(c) >> bit) & 1) or "viable"
                 for c in uniq]
    return labels[inv.reshape(-1)]


#: leptoquark masses (GeV) of the SM reference point: with every coupling zero they are only the input scale
#: of the surrogates' SM constant, fixed (a lattice node, shipped) so that Delta chi2 does not depend on which
#: point of a batch comes first (the SM constants at different input scales agree to ~1e-12 relative)
SM_REFERENCE_MASS_GEV = 1000.0


def _sm_point(point: Point) -> Point:
    """The (first) point with every leptoquark coupling zero and the masses at :data:`SM_REFERENCE_MASS_GEV`:
    the SM reference for Delta chi2."""
    from lqmodel.point import MATRIX_FIELDS

    first = point[(0,) * len(point.batch_shape)] if point.batch_shape else point
    zeros = {f: np.zeros((3, 3), dtype=complex) for f in MATRIX_FIELDS}
    m = SM_REFERENCE_MASS_GEV
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return first.replace(model="general", m_S1=m, m_R2=m, m_R2_23=m, **zeros)


def _predict_with_fallback(point: Point, names: Sequence[str], method: str,
                           masses: str = "auto") -> dict[str, np.ndarray]:
    """lqmodel.flavour.predict with the surrogate; names it cannot do (NotImplementedError) go through
    flavio, point by point."""
    from lqmodel.flavour import predict

    try:
        return predict(point, list(names), method=method, masses=masses)
    except NotImplementedError:
        pass
    out: dict[str, np.ndarray] = {}
    for name in names:
        try:
            out[name] = np.asarray(predict(point, [name], method=method, masses=masses)[name])
        except NotImplementedError:
            shape = point.batch_shape
            flat_pts = [point[idx] for idx in np.ndindex(*shape)] if shape else [point]
            vals = [float(np.asarray(predict(p, [name], method="flavio")[name])) for p in flat_pts]
            out[name] = np.asarray(vals).reshape(shape)
    return out
