r"""Xenon electron-recoil detector responses: XENON1T SR1, XENONnT SR0 and (approximate) LZ WS2022.

Every number comes from ``observables/data/detectors/`` (``detectors.yaml`` plus the collaborations' released
tables; see the SOURCES.md files there). This module turns a *true* recoil-energy spectrum
:math:`dR/dE` in events/(tonne year keV) into expected counts per reconstructed-energy bin:

.. math::

    N_i = \mathcal{E} \int_{E^{\rm rec}\in\,{\rm bin}\,i} dE^{\rm rec}\; \epsilon(E^{\rm rec})
          \int dE\; \frac{dR}{dE}(E)\;
          \frac{1}{\sqrt{2\pi}\,\sigma(E)}\exp\!\Big[-\frac{(E^{\rm rec}-E)^2}{2\sigma(E)^2}\Big],
    \qquad \sigma(E) = a\sqrt{E\,/\,{\rm keV}}\;{\rm keV} + b\,E ,

with exposure :math:`\mathcal{E}` [t yr], total efficiency :math:`\epsilon` taken as a function of the
reconstructed energy (as in the collaborations' released efficiency curves, which are plotted against the
reconstructed energy), and a Gaussian resolution (XENON1T: :math:`a = 0.310`, :math:`b = 0.0037`,
arXiv:2006.09721). Units: keV, t yr, events.

The shipped backgrounds are the collaborations' own best-fit models, already in reconstructed energy with the
efficiency applied (XENON1T B0 and the tritium template per 1-keV bin; XENONnT B0 in events/(t yr keV)); they
are NOT smeared again.

>>> det = get_detector("xenon1t")
>>> det.n_bins, det.exposure_t_yr
(29, 0.647309514)
>>> int(det.observed.sum())
1261
"""
from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from observables.package_yaml import load_yaml

__all__ = [
    "EXPERIMENTS",
    "Detector",
    "UnknownExperimentError",
    "get_detector",
    "data_version",
    "default_true_grid",
]

#: Experiments with a detector model (``lz`` is approximate: see detectors.yaml).
EXPERIMENTS: tuple[str, ...] = ("xenon1t", "xenonnt", "lz")

_DATA = "data/detectors"


class UnknownExperimentError(KeyError):
    """An experiment name that has no detector model."""


def _files() -> Traversable:
    return resources.files("observables").joinpath(_DATA)


@lru_cache(maxsize=1)
def _meta() -> dict:
    return load_yaml(_files().joinpath("detectors.yaml").read_text(encoding="utf-8"))


def data_version() -> str:
    """Version tag of the detector data: ``"<data_version>-<sha256 of all shipped detector files>[:12]"``.

    Part of every on-disk cache key of :mod:`observables.neutrino.fit`.
    """
    return _data_version()


@lru_cache(maxsize=1)
def _data_version() -> str:
    h = hashlib.sha256()
    root = _files()
    names: list[str] = ["detectors.yaml"]
    for sub in ("xenon1t_sr1", "xenonnt_sr0", "lz_ws2022"):
        names += sorted(f"{sub}/{p.name}" for p in root.joinpath(sub).iterdir() if p.is_file())
    for name in names:
        h.update(name.encode())
        h.update(root.joinpath(name).read_bytes())
    return f"{_meta()['data_version']}-{h.hexdigest()[:12]}"


def _load_table(name: str, delimiter: str | None = None) -> NDArray[np.float64]:
    text = _files().joinpath(name).read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line[0].isalpha():
            continue
        parts = line.split(delimiter) if delimiter else line.replace(",", " ").split()
        rows.append([float(p) for p in parts])
    return np.asarray(rows, dtype=float)


def default_true_grid() -> NDArray[np.float64]:
    """True recoil-energy grid [keV] used to fold spectra: 600 log-spaced points from 0.1 to 45 keV.

    Below 0.1 keV a spectrum cannot reach a 1-keV reconstructed bin (> 9 sigma); above 45 keV it cannot reach a
    30-keV bin (> 5 sigma for the XENON1T resolution).
    """
    return np.geomspace(0.1, 45.0, 600)


def _trapezoid_weights(x: NDArray[np.float64]) -> NDArray[np.float64]:
    w = np.zeros_like(x)
    dx = np.diff(x)
    w[:-1] += dx / 2
    w[1:] += dx / 2
    return w


@dataclass(frozen=True, eq=False)
class Detector:
    """One detector: binned data, background templates, efficiency, resolution and exposure.

    Attributes (units): ``bin_edges_keV`` (reconstructed energy), ``observed`` (events per bin),
    ``backgrounds`` (name -> expected events per bin at the collaboration's best fit / reference
    normalisation), ``exposure_t_yr`` (tonne year), ``resolution_ab`` ((a, b) of
    :math:`\\sigma(E)=a\\sqrt{E}+bE`, keV), ``nuisance_sigmas`` (Gaussian widths of the relative
    normalisations), ``approximate`` (True for LZ).
    """

    name: str
    label: str
    reference: str
    exposure_t_yr: float
    bin_edges_keV: NDArray[np.float64]
    observed: NDArray[np.float64]
    backgrounds: dict[str, NDArray[np.float64]]
    eff_E_keV: NDArray[np.float64]
    eff_values: NDArray[np.float64]
    resolution_ab: tuple[float, float]
    nuisance_sigmas: dict[str, float]
    approximate: bool
    meta: dict = field(repr=False)

    @property
    def n_bins(self) -> int:
        return len(self.bin_edges_keV) - 1

    @property
    def bin_centres_keV(self) -> NDArray[np.float64]:
        return 0.5 * (self.bin_edges_keV[1:] + self.bin_edges_keV[:-1])

    def efficiency(self, E_keV: ArrayLike) -> NDArray[np.float64]:
        """Total detection x selection efficiency at reconstructed energy ``E_keV`` (linear interpolation of
        the released curve; 0 below its first point, last value above its range)."""
        E = np.asarray(E_keV, dtype=float)
        return np.interp(E, self.eff_E_keV, self.eff_values, left=0.0, right=float(self.eff_values[-1]))

    def sigma_keV(self, E_keV: ArrayLike) -> NDArray[np.float64]:
        r"""Energy resolution :math:`\sigma(E) = a\sqrt{E/{\rm keV}}\,{\rm keV} + bE` in keV (E >= 0)."""
        a, b = self.resolution_ab
        E = np.asarray(E_keV, dtype=float)
        return a * np.sqrt(np.clip(E, 0.0, None)) + b * E

    def response_matrix(self, E_true_keV: ArrayLike | None = None, *, efficiency: bool = True) -> NDArray[np.float64]:
        r"""Matrix :math:`M_{ij}` with :math:`N_i = \sum_j M_{ij}\,\frac{dR}{dE}(E_j)` (events per bin for a
        spectrum in events/(t yr keV) sampled on the true-energy grid ``E_true_keV`` [keV], default
        :func:`default_true_grid`). Includes trapezoid weights of the true grid, the Gaussian resolution
        integrated analytically over each reconstructed bin (efficiency evaluated on a 0.02-keV sub-grid), and the
        exposure. ``efficiency=False`` drops the efficiency (for tests)."""
        E = default_true_grid() if E_true_keV is None else np.asarray(E_true_keV, dtype=float)
        if E.ndim != 1 or E.size < 2 or np.any(np.diff(E) <= 0) or E[0] <= 0:
            raise ValueError("E_true_keV must be a 1-d, strictly increasing grid of positive energies in keV")
        return _response_matrix(self, E.tobytes(), efficiency)

    def expected_counts(
        self,
        spectrum: Callable[[NDArray[np.float64]], ArrayLike] | ArrayLike,
        E_true_keV: ArrayLike | None = None,
    ) -> NDArray[np.float64]:
        """Expected events per reconstructed bin for a true-energy spectrum in events/(t yr keV).

        ``spectrum`` is either a callable of the true energy [keV] or an array sampled on ``E_true_keV``
        (last axis = energy; leading axes are kept, e.g. shape (3, nE) -> (3, n_bins)).
        """
        E = default_true_grid() if E_true_keV is None else np.asarray(E_true_keV, dtype=float)
        R = np.asarray(spectrum(E) if callable(spectrum) else spectrum, dtype=float)
        if R.shape[-1] != E.size:
            raise ValueError(f"spectrum has {R.shape[-1]} energy points, the true-energy grid has {E.size}")
        return R @ self.response_matrix(E).T

    def background_counts(self, components: tuple[str, ...] | None = None) -> NDArray[np.float64]:
        """Sum of the shipped background templates (default: all components) in events per bin."""
        names = tuple(self.backgrounds) if components is None else components
        return np.sum([self.backgrounds[n] for n in names], axis=0)


@lru_cache(maxsize=32)
def _response_matrix(det: Detector, E_bytes: bytes, efficiency: bool) -> NDArray[np.float64]:
    from scipy.special import erf

    E = np.frombuffer(E_bytes, dtype=float)
    w_true = _trapezoid_weights(E)
    sig = np.maximum(det.sigma_keV(E), 1e-6)
    edges = det.bin_edges_keV
    M = np.empty((det.n_bins, E.size))
    for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
        # sub-intervals of 0.02 keV in reconstructed energy; Gaussian integrated exactly on each.
        n_sub = max(1, round((hi - lo) / 0.02))
        sub = np.linspace(lo, hi, n_sub + 1)
        eff = det.efficiency(0.5 * (sub[1:] + sub[:-1])) if efficiency else np.ones(n_sub)
        cdf = 0.5 * (1 + erf((sub[:, None] - E[None, :]) / (math.sqrt(2) * sig[None, :])))
        M[i] = eff @ np.diff(cdf, axis=0)
    M *= w_true[None, :] * det.exposure_t_yr
    M.setflags(write=False)
    return M


def _bins(spec: list[float]) -> NDArray[np.float64]:
    lo, hi, width = spec
    n = round((hi - lo) / width)
    return np.asarray(lo + width * np.arange(n + 1), dtype=np.float64)


def _build(name: str) -> Detector:
    m = _meta()["detectors"][name]
    edges = _bins(m["bins_keV"])
    eff = _load_table(m["efficiency_file"])
    c0, c1 = m["efficiency_columns"]
    exposure = float(m["exposure_t_yr"])
    if name == "xenon1t":
        tab = _load_table(m["data_file"])
        if not (np.allclose(tab[:, 0], edges[:-1]) and np.allclose(tab[:, 1], edges[1:])):
            raise ValueError("XENON1T binned-counts file does not match the bins of detectors.yaml")
        observed = tab[:, 2]
        backgrounds = {"b0": tab[:, 3], "tritium": tab[:, 4]}
    elif name == "xenonnt":
        events = _load_table(m["data_file"])[:, 0]
        observed = np.histogram(events, bins=edges)[0].astype(float)
        bkg = _load_table("xenonnt_sr0/bkg_model.txt")  # 0.1-keV steps, bin centres 0.05..29.95
        E_b, r_b = bkg[:, 0], bkg[:, 1]
        width = np.diff(E_b).mean()
        idx = np.digitize(E_b, edges) - 1
        b0 = np.array([r_b[idx == i].sum() * width for i in range(len(edges) - 1)]) * exposure
        backgrounds = {"b0": b0}
    elif name == "lz":
        data = _load_table(m["data_file"])
        bkg = _load_table("lz_ws2022/BKG_FIT_WS2022.csv")
        centres = 0.5 * (edges[1:] + edges[:-1])
        sel = np.isin(np.round(data[:, 0], 3), np.round(centres, 3))
        observed = data[sel, 1]
        selb = np.isin(np.round(bkg[:, 0], 3), np.round(centres, 3))
        backgrounds = {"b0": bkg[selb, 1]}
    else:  # pragma: no cover - guarded by get_detector
        raise UnknownExperimentError(name)
    nuis = {k: float(v) for k, v in m.get("nuisances", {}).items() if k.endswith("_sigma")}
    res = m["resolution"]
    for arr in (observed, *backgrounds.values()):
        arr.setflags(write=False)
    return Detector(
        name=name,
        label=m["label"],
        reference=m["reference"],
        exposure_t_yr=exposure,
        bin_edges_keV=edges,
        observed=observed,
        backgrounds=backgrounds,
        eff_E_keV=eff[:, c0],
        eff_values=eff[:, c1],
        resolution_ab=(float(res["a"]), float(res["b"])),
        nuisance_sigmas=nuis,
        approximate=bool(m["approximate"]),
        meta=m,
    )


@cache
def _cached(name: str) -> Detector:
    return _build(name)


def get_detector(experiment: str) -> Detector:
    """The detector model of ``experiment`` ("xenon1t", "xenonnt" or "lz"; case-insensitive).

    Raises :class:`UnknownExperimentError` (a KeyError) naming the allowed values.
    """
    key = str(experiment).strip().lower()
    if key not in EXPERIMENTS:
        raise UnknownExperimentError(
            f"unknown experiment {experiment!r}; allowed: {', '.join(EXPERIMENTS)} (lz is approximate)"
        )
    return _cached(key)
