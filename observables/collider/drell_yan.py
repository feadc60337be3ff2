r"""Drell–Yan tails: event yields and χ² of the binned LHC searches recast by HighPT (generic engine).

Knows searches, bins and kernels, nothing about any model: a search is a set of bins (observed events,
SM background, uncertainty) and, for every *term* t of the new-physics cross section, a kernel
:math:`K_{t,j}(M)` = events in bin j per unit coefficient :math:`c_t` for a mediator of mass M. The
new-physics yield and the χ² are (HighPT manual arXiv:2207.10756, the routines ``EventYield`` and
``ChiSquareLHC``; HighPT's ``EventYield.m`` and ``ChiSquare.m``)

.. math::

    N_j = \sum_t c_t\,K_{t,j}(M_t),\qquad
    \chi^2 = \sum_j\Big(\frac{N^{\rm obs}_j - N^{\rm SM}_j - N_j}{\sigma_j}\Big)^2,\qquad
    \Delta\chi^2 = \chi^2 - \chi^2\big|_{N=0},

with :math:`\sigma_j` the background uncertainty and the Poisson error of the data added in quadrature (as
HighPT), after HighPT's default merging of sparse high-mass bins. A term's label is
``"<mediator>|<kind>|<quarks>"``; the mass used for it is the one given for ``<mediator>``.

Mass dependence. Kernels are tabulated at the masses ``masses_GeV`` (1, 2, 3 TeV) and in the contact limit.
Between them the *scaled* kernel :math:`\hat K_t = K_t\,(M/{\rm TeV})^{2p_t}` (p = 2 for terms quadratic in
the mediator amplitude, p = 1 for its interference with the SM) is interpolated linearly in
:math:`x=({\rm TeV}/M)^2`; above the largest mass it is interpolated between that mass and the contact limit
x = 0 (where :math:`K\propto M^{-2p}` exactly). Below the smallest tabulated mass the engine refuses
(:class:`ValueError`). The accuracy of this choice against tabulated kernels is measured in
``tests/test_drell_yan.py`` and documented in ``docs/collider.md`` ("Drell–Yan tails").

Units: masses in GeV, kernels in events (luminosity of the search included), coefficients dimensionless.
Data: ``observables/data/collider/highpt/<search>.npz`` (built by ``convert.py`` in that folder from
HighPT's public recasts, MIT licence; see that folder's SOURCES.md).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

__all__ = [
    "SEARCHES",
    "DrellYanSearch",
    "load_search",
    "DCHI2_95CL",
]

#: The nine searches (names of the data files, as in HighPT's ``LHC_searches`` folder).
SEARCHES: tuple[str, ...] = (
    "di-tau_ATLAS_2002_12223",
    "di-muon_CMS_2103_02708",
    "di-electron_CMS_2103_02708",
    "muon-tau_CMS_2205_06709",
    "electron-tau_CMS_2205_06709",
    "electron-muon_CMS_2205_06709",
    "mono-tau_ATLAS-CONF-2021-025",
    "mono-muon_ATLAS_1906_05609",
    "mono-electron_ATLAS_1906_05609",
)

#: Δχ² above which a point is excluded at 95% CL: one degree of freedom (χ²₁ quantile 0.95 = 3.841).
DCHI2_95CL: float = 3.841458820694124


def _ro(a) -> np.ndarray:
    a = np.array(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class DrellYanSearch:
    """One binned search with its kernels (read-only arrays; build with :func:`load_search`).

    Attributes: ``name``; ``term_names`` (tuple of ``"<mediator>|<kind>|<quarks>"``); ``power`` (p_t, 1 or
    2); ``masses_GeV`` (tabulated masses, ascending); ``kernels`` (terms × masses × bins, events per unit
    coefficient); ``kernels_contact`` (terms × bins, :math:`\\lim_{M\\to\\infty}K(M)(M/{\\rm TeV})^{2p}`);
    ``observed``, ``background``, ``sigma`` (bins; events); ``bin_edges_GeV``; ``luminosity_fb``.
    """

    name: str
    term_names: tuple[str, ...]
    power: np.ndarray
    masses_GeV: np.ndarray
    kernels: np.ndarray
    kernels_contact: np.ndarray
    observed: np.ndarray
    background: np.ndarray
    sigma: np.ndarray
    bin_edges_GeV: np.ndarray
    luminosity_fb: float

    @property
    def n_bins(self) -> int:
        """Number of (merged) bins."""
        return int(self.observed.shape[0])

    def term_index(self, name: str) -> int:
        """Position of a term; clear error if the search has no such term."""
        try:
            return self.term_names.index(name)
        except ValueError:
            raise KeyError(f"search {self.name!r} has no term {name!r}; terms: {', '.join(self.term_names)}") from None

    @property
    def mediators(self) -> tuple[str, ...]:
        """Mediator labels that occur in the term names (each needs a mass)."""
        return tuple(sorted({t.split("|")[0] for t in self.term_names}))

    # ---------------------------------------------------------------- mass interpolation
    def _nodes(self) -> tuple[np.ndarray, np.ndarray]:
        """x nodes (ascending, x=0 first) and scaled kernels (nodes × terms × bins); computed once per
        search (the instance is immutable)."""
        cached = self.__dict__.get("_nodes_cache")
        if cached is None:
            x = (1000.0 / self.masses_GeV) ** 2
            scale = (self.masses_GeV[:, None] / 1000.0) ** (2 * self.power[None, :])  # masses × terms
            khat = self.kernels.transpose(1, 0, 2) * scale[:, :, None]
            order = np.argsort(x)
            cached = (_ro(np.concatenate([[0.0], x[order]])),
                      _ro(np.concatenate([self.kernels_contact[None], khat[order]], axis=0)))
            object.__setattr__(self, "_nodes_cache", cached)
        return cached

    @property
    def _labels(self) -> np.ndarray:
        """Mediator label of every term."""
        cached = self.__dict__.get("_labels_cache")
        if cached is None:
            cached = _ro(np.array([t.split("|")[0] for t in self.term_names]))
            object.__setattr__(self, "_labels_cache", cached)
        return cached

    def kernels_at(self, mass_GeV) -> np.ndarray:
        """Kernels at the given mass(es): array (*mass.shape, terms, bins), interpolated as the module says."""
        m = np.asarray(mass_GeV, dtype=float)
        self._check_mass(m)
        x = (1000.0 / m) ** 2
        xn, kn = self._nodes()
        j = np.clip(np.searchsorted(xn, x, side="right") - 1, 0, len(xn) - 2)
        w = (x - xn[j]) / (xn[j + 1] - xn[j])
        khat = (1 - w)[..., None, None] * kn[j] + w[..., None, None] * kn[j + 1]
        return khat * x[..., None, None] ** self.power[:, None]

    def quadratic_form(self, masses: Mapping[str, object],
                       groups: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        r"""Δχ² as a quadratic form for G mass points: ``(Q (G, k, k), L (G, k))`` with
        :math:`\Delta\chi^2 = c^TQc - 2L\cdot c` for coefficients :math:`c` (k) of which :math:`c_i` multiplies
        every term of ``groups[i]`` (terms of one group share mediator and power).

        :math:`Q = \hat K\hat K^T`, :math:`L = \hat K d` with :math:`\hat K_i = \sum_{t\in{\rm groups}[i]}
        K_t(M)/\sigma` (kernels interpolated as :meth:`kernels_at`, linear in the kernels, so summing the
        interpolated kernels of a group is interpolating their sum) and :math:`d = (N^{\rm obs} - N^{\rm SM})/
        \sigma`: the expansion of :meth:`delta_chi2`'s :math:`\sum_j n_j(n_j - 2d_j)`, :math:`n = c\hat K`.
        ``masses``: mediator label -> masses, shape (G,) (every mediator of the groups' terms). What
        depends on the masses only is computed once per mass point; a batch of points sharing few mass
        points then costs :math:`O(k^2)` per point (:func:`lqmodel.collider.drell_yan.drell_yan`).
        """
        xn, kn = self._nodes()
        nb = self.n_bins
        g_count = None
        khat = None
        for i, grp in enumerate(groups):
            t = np.asarray(grp, dtype=np.intp).reshape(-1)
            if t.size == 0 or np.any(t < 0) or np.any(t >= len(self.term_names)):
                raise ValueError(f"{self.name}: a group must hold term indices below {len(self.term_names)}")
            meds = set(self._labels[t].tolist())
            powers = set(self.power[t].tolist())
            if len(meds) != 1 or len(powers) != 1:
                raise ValueError(f"{self.name}: the terms of a group must share mediator and power; got "
                                 f"{[self.term_names[k] for k in t]}")
            med = meds.pop()
            if med not in masses:
                raise KeyError(f"{self.name}: no mass given for mediator {med!r} (masses given: {sorted(masses)})")
            m = np.asarray(masses[med], dtype=float).reshape(-1)
            self._check_mass(m)
            if khat is None:
                g_count = m.size
                khat = np.empty((g_count, len(groups), nb))
            elif m.size != g_count:
                raise ValueError(f"{self.name}: every mediator needs the same number of mass points")
            x = (1000.0 / m) ** 2
            j = np.clip(np.searchsorted(xn, x, side="right") - 1, 0, len(xn) - 2)
            w = (x - xn[j]) / (xn[j + 1] - xn[j])
            lo = kn[j][:, t].sum(axis=1)      # (G, bins): the group's kernels at the two nodes
            hi = kn[j + 1][:, t].sum(axis=1)
            khat[:, i] = ((1 - w)[:, None] * lo + w[:, None] * hi) * (x ** powers.pop())[:, None]
        if khat is None:
            return np.zeros((0, 0, 0)), np.zeros((0, 0))
        khat /= self.sigma
        d = (self.observed - self.background) / self.sigma
        return khat @ np.swapaxes(khat, 1, 2), khat @ d

    def _check_mass(self, m: np.ndarray) -> None:
        if not np.all(np.isfinite(m)) or np.any(m < self.masses_GeV.min() * (1 - 1e-12)):
            bad = m[~(np.isfinite(m) & (m >= self.masses_GeV.min() * (1 - 1e-12)))].ravel()[0]
            raise ValueError(
                f"{self.name}: mediator mass {bad} GeV is outside the range of the Drell-Yan kernels "
                f"(tabulated from {self.masses_GeV.min():g} GeV up, contact limit above "
                f"{self.masses_GeV.max():g} GeV); lighter mediators are not supported")

    # ---------------------------------------------------------------- yields and chi2
    def _parts(self, masses: Mapping[str, object], ct: np.ndarray, terms: np.ndarray) -> list[tuple]:
        """Per mediator with a coefficient somewhere in the batch: (rows of ``ct`` (terms, B) of its terms
        with one, :math:`c_t x^{p_t}` of those rows, node interval j and weight w of every point)."""
        nb = ct.shape[1]
        xn = self._nodes()[0]
        labels = self._labels[terms]
        power = self.power[terms]
        if np.any((power != 1) & (power != 2)):
            raise ValueError(f"{self.name}: kernel powers must be 1 or 2")
        nz = np.any(ct != 0, axis=1)  # terms with a coefficient somewhere in the batch
        parts = []
        for med in np.unique(labels[nz]):
            sel = np.flatnonzero((labels == med) & nz)
            if med not in masses:
                raise KeyError(f"{self.name}: no mass given for mediator {med!r} (masses given: {sorted(masses)})")
            m = np.broadcast_to(np.asarray(masses[med], dtype=float), (nb,))
            self._check_mass(m)
            x = (1000.0 / m) ** 2
            # node interval of every point: searchsorted(xn, x, "right") - 1, clipped to the last interval
            j = np.zeros(nb, np.intp)
            for xk in xn[1:-1]:
                j += x >= xk
            w = (x - xn[j]) / (xn[j + 1] - xn[j])
            contiguous = sel[-1] - sel[0] + 1 == sel.size
            cx = ct[sel[0]:sel[-1] + 1] * x if contiguous else ct[sel] * x  # c_t x^p_t, (terms, B)
            quad = power[sel] == 2
            if quad.any():
                cx[quad] *= x
            parts.append((sel, cx, j, w))
        return parts

    def _effective(self, masses: Mapping[str, object], c: np.ndarray,
                   terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""The yields as one product :math:`N = C_{\rm eff} K_{\rm eff}`: effective coefficients,
        returned transposed (M, B), and stacked scaled kernels (M, bins), one row per (mediator, node, term
        with a coefficient somewhere in the batch). :math:`C_{\rm eff}` holds :math:`c_t x^{p_t}` times the
        node's weight of the linear interpolation in x (module docstring; two non-zero nodes per point and
        mediator). ``c`` (B, k): the coefficients of the terms ``terms`` (k indices); the transposed layout
        (every term's coefficients contiguous, e.g. ``np.stack(columns).T``) is the fast one."""
        nb = c.shape[0]
        xn, kn = self._nodes()
        parts = self._parts(masses, c.T, terms)
        used_of = []
        for _, _, j, _ in parts:
            present = np.bincount(j, minlength=len(xn) - 1) > 0
            used_of.append([k for k in range(len(xn))
                            if (k < len(xn) - 1 and present[k]) or (k > 0 and present[k - 1])])
        rows = sum(len(used) * sel.size for (sel, _, _, _), used in zip(parts, used_of, strict=True))
        ceff_t = np.empty((rows, nb))
        keff = np.empty((rows, self.n_bins))
        r0 = 0
        for (sel, cx, j, w), used in zip(parts, used_of, strict=True):
            for k in used:
                wk = np.where(j == k, 1 - w, 0.0) + np.where(j + 1 == k, w, 0.0)
                np.multiply(wk, cx, out=ceff_t[r0:r0 + sel.size])
                keff[r0:r0 + sel.size] = kn[k][terms[sel]]
                r0 += sel.size
        return ceff_t, keff

    def yields(self, masses: Mapping[str, object], coefficients: np.ndarray,
               terms: Sequence[int] | None = None) -> np.ndarray:
        r"""New-physics events per bin, shape (B, bins), for coefficients of shape (B, terms).

        ``masses``: mediator label → mass in GeV (scalar or shape (B,)); every mediator of
        :attr:`mediators` whose terms have a non-zero coefficient somewhere must be given. ``terms``
        (optional): the coefficients are those of these term indices only (shape (B, len(terms))), all
        other terms zero. Memory is O(B × (bins + 4 × terms)): the linear interpolation in x is applied to
        the coefficients (one matrix product with the stacked node kernels), never to a (B, terms, bins)
        array.
        """
        c, t = self._checked(coefficients, terms)
        ceff_t, keff = self._effective(masses, c, t)
        if ceff_t.shape[0] == 0:
            return np.zeros((c.shape[0], self.n_bins))
        return ceff_t.T @ keff

    def _checked(self, coefficients: np.ndarray, terms: Sequence[int] | None) -> tuple[np.ndarray, np.ndarray]:
        c = np.asarray(coefficients, dtype=float, order="K")
        if terms is None:
            t = np.arange(len(self.term_names))
        else:
            t = np.asarray(terms, dtype=np.intp).reshape(-1)
            if np.any(t < 0) or np.any(t >= len(self.term_names)) or np.unique(t).size != t.size:
                raise ValueError(f"{self.name}: terms must be distinct indices below {len(self.term_names)}")
        if c.ndim != 2 or c.shape[1] != t.size:
            raise ValueError(f"{self.name}: coefficients must have shape (B, {t.size}); got {c.shape}")
        return c, t

    def chi2(self, n_np: np.ndarray) -> np.ndarray:
        """χ² of HighPT (module docstring) for new-physics yields of shape (..., bins)."""
        r = (self.observed - self.background - np.asarray(n_np)) / self.sigma
        return np.sum(r * r, axis=-1)

    @property
    def chi2_sm(self) -> float:
        """χ² of the Standard Model (no new-physics events)."""
        return float(self.chi2(np.zeros(self.n_bins)))

    def delta_chi2(self, masses: Mapping[str, object], coefficients: np.ndarray,
                   terms: Sequence[int] | None = None) -> np.ndarray:
        r"""Δχ² = χ² − χ²_SM, shape (B,).

        Evaluated without the SM part, as :math:`\Delta\chi^2 = \sum_j n_j(n_j - 2 d_j)` with
        :math:`n_j = N_j/\sigma_j`, :math:`d_j = (N^{\rm obs}_j - N^{\rm SM}_j)/\sigma_j` (the same
        number as the difference of the two χ², without its cancellation at small couplings). With
        :math:`n = C_{\rm eff}\hat K` (:meth:`_effective`, :math:`\hat K = K_{\rm eff}/\sigma`) this is the
        quadratic form :math:`C_{\rm eff}(\hat K\hat K^T)C_{\rm eff}^T - 2C_{\rm eff}\hat K d`, used when
        the batch has fewer effective columns than bins (fewer operations per point). ``terms``: as in
        :meth:`yields`.
        """
        c, t = self._checked(coefficients, terms)
        ceff_t, keff = self._effective(masses, c, t)
        if ceff_t.shape[0] == 0:
            return np.zeros(c.shape[0])
        khat = keff / self.sigma
        d = (self.observed - self.background) / self.sigma
        if ceff_t.shape[0] < self.n_bins:
            q = (khat @ khat.T) @ ceff_t  # (M, B)
            q *= ceff_t
            return q.sum(axis=0) - 2.0 * ((khat @ d) @ ceff_t)
        n = khat.T @ ceff_t  # (bins, B): n_j = N_j / sigma_j
        n *= n - 2.0 * d[:, None]
        return n.sum(axis=0)


@cache
def load_search(name: str) -> DrellYanSearch:
    """Read one search (immutable; cached) from ``observables/data/collider/highpt/<name>.npz``."""
    if name not in SEARCHES:
        raise KeyError(f"unknown Drell-Yan search {name!r}; known: {', '.join(SEARCHES)}")
    ref = resources.files("observables") / "data" / "collider" / "highpt" / f"{name}.npz"
    with ref.open("rb") as fh, np.load(fh, allow_pickle=False) as d:
        return DrellYanSearch(
            name=name,
            term_names=tuple(str(t) for t in d["term_names"]),
            power=_ro(d["power"].astype(np.int64)),
            masses_GeV=_ro(d["masses_GeV"]),
            kernels=_ro(d["kernels"]),
            kernels_contact=_ro(d["kernels_contact"]),
            observed=_ro(d["observed"]),
            background=_ro(d["background"]),
            sigma=_ro(d["sigma"]),
            bin_edges_GeV=_ro(d["bin_edges_GeV"]),
            luminosity_fb=float(d["luminosity_fb"]),
        )
