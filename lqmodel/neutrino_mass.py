r"""The neutrino-mass side of the model: total Dirac mass, exact neutral spectrum, mixing, fine-tuning.

Definitions and derivations: docs/neutrino_mass.md. Units: GeV for the Point and the Dirac masses in GeV
(``*_GeV``), eV for every output named ``*_eV``; |U|² dimensionless.

DIRAC MASS (lepton :math:`\alpha`, :math:`N_1`). With :math:`\mathcal L \supset -y_\nu^{\alpha 1}\bar L_\alpha
\tilde H N_R` + h.c., :math:`\tilde H = i\sigma_2 H^*`, :math:`\langle H\rangle = (0, v/\sqrt2)` (so
:math:`\bar L\tilde H = \bar\nu_L v/\sqrt2`), and the one-loop mass of :mod:`lqmodel.moments` in the same
convention :math:`\mathcal L\supset -m_{\nu N}\bar\nu_L N_R` + h.c.:

.. math::  m_D^\alpha = y_\nu^{\alpha1}\,v/\sqrt2 + m^{\rm loop}_{\alpha N_1},\qquad v = (\sqrt2 G_F)^{-1/2}.

Where the loop is UV-divergent (:math:`c_R\ne c_S`) the loop part is its :math:`\overline{\rm MS}` finite part at
:math:`\mu = m_{S_1}` (= m_LQ; :func:`lqmodel.moments.compute_moments` with ``uv="msbar"``): then y_ν is the
:math:`\overline{\rm MS}` coupling at that scale, and the split into "tree" and "loop" is scheme-dependent
(``scheme`` says which; the total is what the spectrum depends on).

SPECTRUM (exact; no seesaw expansion). Majorana N_R of mass M_N (:math:`\mathcal L\supset -\tfrac12 M_N
\overline{N^c_R}N_R`): in the basis :math:`(\nu_e,\nu_\mu,\nu_\tau,N^c_R)` the symmetric mass matrix
:math:`\mathcal M = \begin{pmatrix}0 & m_D\\ m_D^T & M_N\end{pmatrix}` (:func:`neutral_mass_matrix`) has rank
≤ 2. Its Takagi factorisation :math:`W^T\mathcal M W = {\rm diag}(0, 0, m_\ell, M_h)` is built in closed form
(:func:`takagi_rank2`): a unitary flavour rotation takes :math:`m_D` to :math:`a = |m_D|` along
:math:`\hat n = m_D/a`, leaving :math:`\begin{pmatrix}0&a\\a&M_N\end{pmatrix}`, whose masses are

.. math::  M_h = \tfrac12\big(M_N+\sqrt{M_N^2+4a^2}\big),\quad m_\ell = a^2/M_h,\quad
           |U_{\alpha N}|^2 = |\hat n_\alpha|^2 \sin^2\theta,\quad \sin\theta = a/\sqrt{a^2+M_h^2}

— no subtraction anywhere, so tiny masses and mixings (|U|² ~ 1e-20) are exact to rounding, which a
floating-point diagonalisation of the 4×4 matrix cannot give (its small eigenvalue has an absolute error
~ ε M_h). Two light neutrinos stay exactly massless at this order (the other light masses come from
elsewhere). Limits: seesaw :math:`m_\ell \to a^2/M_N`, :math:`|U|^2\to a^2/M_N^2`; pseudo-Dirac
:math:`M_N\to0`: :math:`m_\ell = M_h = a`, :math:`|U|^2 = |\hat n_\alpha|^2/2`.

Dirac N (:math:`N = N_R + N_L`, :math:`\mathcal L\supset -M_N\bar N_L N_R`): the 4×1 Dirac mass matrix
:math:`(m_D; M_N)` from the left-handed :math:`(\nu_e,\nu_\mu,\nu_\tau,N_L)` to :math:`N_R` has the singular
values (0, 0, 0, :math:`s=\sqrt{a^2+M_N^2}`): ONE massive Dirac fermion whose left-handed part is
:math:`(a\hat n\cdot\nu + M_N N_L)/s`, and three massless Weyl states. States are called light (active) or
heavy (sterile) by their active content: if :math:`a \le M_N` the massive state is the heavy one,
:math:`M_h = s`, :math:`|U_{\alpha N}|^2 = |m_D^\alpha|^2/s^2`, light masses (0, 0, 0); if :math:`a > M_N` it is
mostly active: light masses (0, 0, s), and the sterile-like state is the massless combination
(:math:`M_h = 0`, :math:`|U_{\alpha N}|^2 = |\hat n_\alpha|^2 M_N^2/s^2`; for :math:`M_N = 0` it does not exist and
N_R is the partner of an active Dirac neutrino of mass a).

FINE TUNING. :math:`\Delta = |m^{\rm loop}|/m_D^{\max}(M_N)` with :math:`|m^{\rm loop}|` the norm over lepton
flavours and :math:`m_D^{\max}` the largest :math:`a` the chosen bound allows (:func:`max_dirac_mass_eV`):
Majorana :math:`m_\ell(a)\le m_\nu^{\max}` ⇔ :math:`a \le \sqrt{m_\nu^{\max}(m_\nu^{\max}+M_N)}` (exact; seesaw
:math:`\sqrt{m_\nu^{\max}M_N}`); Dirac :math:`a\le\max(M_N, \sqrt{(m_\nu^{\max})^2-M_N^2})` (= m_ν^max for M_N = 0);
lowered further where a tabulated |U|² limit applies (:mod:`observables.neutrino.mass_bounds`). Δ ≲ 1: no
tuning; Δ ≫ 1: the tree-level y_ν must cancel the loop to 1/Δ. Exact Voloshin limit: Δ = 0.

>>> from lqmodel.models import voloshin
>>> nm = neutrino_mass(voloshin(1000.0, 0.05, 1.0, "mu").replace(N_type="majorana", M_N=1e-3))
>>> float(nm.tuning), nm.scheme, round(float(nm.m_D_max_eV))   # exact SU(2)_H: no loop mass, Delta = 0
(0.0, 'finite', 242)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:  # pragma: no cover
    from lqmodel.moments import Moments
    from lqmodel.point import Point

__all__ = [
    "NeutrinoMass", "neutrino_mass", "dirac_masses_GeV", "neutral_mass_matrix", "takagi_rank2", "takagi_svd",
    "majorana_spectrum", "dirac_spectrum", "max_dirac_mass_eV", "tuning_s1_same_mu", "summary",
    "SCHEME_MSBAR", "EV_PER_GEV",
]

EV_PER_GEV = 1e9
#: the scheme label of a UV-divergent (renormalised) loop mass
SCHEME_MSBAR = "MSbar(mu=m_LQ)"


def _vev() -> float:
    from observables.parameters import value

    return (math.sqrt(2.0) * value("G_F")) ** -0.5


def dirac_masses_GeV(point: Point, *, mu_GeV: ArrayLike | None = None, _moments: Moments | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""``(tree, loop, uv_divergent)`` Dirac masses of :math:`\nu_\alpha N_1` in GeV, complex ``(*B, 3)``
    (and bool ``(*B, 3)``): ``tree = y_nu[..., :, 0] v/sqrt2``, ``loop`` from
    :func:`lqmodel.moments.compute_moments` (:math:`\overline{\rm MS}` at ``mu_GeV`` = m_S1 where divergent)."""
    from lqmodel.moments import compute_moments

    mom = compute_moments(point, uv="msbar", mu_GeV=mu_GeV) if _moments is None else _moments
    tree = _tree_column(np.asarray(point.y_nu)) * (_vev() / math.sqrt(2.0))
    loop = mom.m_nuN_GeV[..., :, 0]
    div = mom.uv_divergent[..., :, 0]
    shape = np.broadcast_shapes(tree.shape, loop.shape)
    return np.broadcast_to(tree, shape), np.broadcast_to(loop, shape), np.broadcast_to(div, shape)


def _tree_column(y_nu: np.ndarray) -> np.ndarray:
    """The N_1 column ``y_nu[..., :, 0]``, as one row ``(3,)`` where it vanishes in the whole batch (the
    product with v/sqrt2 is then a 3-vector of zeros, broadcast; the zeros are the same up to their sign)."""
    from lqmodel.point import _compact

    col = y_nu[..., :, 0]
    if not np.any(_compact(col)):
        return np.zeros(3, dtype=complex)
    return col


def _total(tree: np.ndarray, loop: np.ndarray) -> np.ndarray:
    """tree + loop (complex); where the tree part is zero in the whole batch, the loop itself (x + 0 = x:
    the same numbers, a zero may keep its sign)."""
    from lqmodel.point import _compact

    if not np.any(_compact(tree)):
        return loop
    return tree + loop


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(distinct values (1-d), inverse)`` of an array: ``inverse`` gives, per element, the position of
    its value (``None`` when every element has the first value). Lets a function of ``values`` alone be
    evaluated once per distinct value (the same numbers, gathered back with :func:`_gather`)."""
    flat = np.ravel(values)
    if flat.size == 0 or bool(np.all(flat == flat[0])):
        return flat[:1].copy(), None
    uniq, inv = np.unique(flat, return_inverse=True)
    return uniq, inv.reshape(np.shape(values))


def _gather(per_value: np.ndarray, inverse: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    """Per element of the array :func:`_distinct` was given (shape ``shape``): ``per_value[inverse]``."""
    if inverse is None:
        return np.full(shape, per_value[0], dtype=per_value.dtype) if per_value.size else np.empty(shape)
    return per_value[inverse]


@lru_cache(maxsize=64, typed=True)
def _cached_light_bound(bound: Any, ordering: str) -> tuple[Any, float]:
    from observables.neutrino import mass_bounds as mbd

    b = mbd.light_mass_bound(bound)
    return b, mbd.max_single_light_mass_eV(b, ordering)


def _light_bound(bound: Any, ordering: str) -> tuple[Any, float]:
    """``(LightMassBound, largest single light mass in eV)`` of ``bound`` and ``ordering`` (a pure function
    of its arguments and the shipped data: cached for hashable arguments)."""
    try:
        hash(bound)
    except TypeError:
        return _cached_light_bound.__wrapped__(bound, ordering)
    return _cached_light_bound(bound, ordering)


def neutral_mass_matrix(m_D: ArrayLike, M_N: ArrayLike) -> np.ndarray:
    r"""The symmetric Majorana mass matrix :math:`\begin{pmatrix}0&m_D\\m_D^T&M_N\end{pmatrix}`, ``(*B, 4, 4)``,
    basis :math:`(\nu_e,\nu_\mu,\nu_\tau,N^c_R)`, from ``m_D`` ``(*B, 3)`` and ``M_N`` ``(*B,)`` (same unit)."""
    m_D = np.asarray(m_D, dtype=complex)
    M_N = np.asarray(M_N, dtype=float)
    shape = np.broadcast_shapes(m_D.shape[:-1], M_N.shape)
    out = np.zeros(shape + (4, 4), dtype=complex)
    out[..., :3, 3] = m_D
    out[..., 3, :3] = m_D
    out[..., 3, 3] = M_N
    return out


def _direction(m_D: np.ndarray, fallback: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(a = |m_D|, unit vector n); where a == 0, n = ``fallback`` (unit, (*B, 3)) or e_1."""
    a = np.sqrt(np.sum(np.abs(m_D) ** 2, axis=-1))
    zero = a == 0.0
    if not zero.any():  # no fallback needed (the common case): the same division, no masks
        return a, m_D / a[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        n = m_D / np.where(zero, 1.0, a)[..., None]
    if fallback is None:
        fallback = np.zeros(m_D.shape, dtype=complex)
        fallback[..., 0] = 1.0
    n = np.where(zero[..., None], np.broadcast_to(fallback, m_D.shape), n)
    return a, n


def _hypot_split(a: np.ndarray, M: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(M_h, m_l, sin(theta), cos(theta)) of [[0, a], [a, M]] without cancellation (docstring)."""
    M_h = 0.5 * (M + np.hypot(M, 2.0 * a))
    with np.errstate(invalid="ignore", divide="ignore"):
        m_l = np.where(M_h > 0, a * a / np.where(M_h > 0, M_h, 1.0), 0.0)
        r = np.hypot(a, M_h)
        s = np.where(r > 0, a / np.where(r > 0, r, 1.0), 0.0)
        c = np.where(r > 0, M_h / np.where(r > 0, r, 1.0), 1.0)
    return M_h, m_l, s, c


def majorana_spectrum(m_D: ArrayLike, M_N: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(light (*B, 3) ascending, heavy (*B,), U2 (*B, 3))`` of the Majorana matrix (module docstring);
    masses in the unit of the inputs."""
    m_D = np.asarray(m_D, dtype=complex)
    M_N = np.asarray(M_N, dtype=float)
    a, n = _direction(m_D)
    M_h, m_l, s, _ = _hypot_split(a, np.broadcast_to(M_N, a.shape))
    light = np.zeros(a.shape + (3,))
    light[..., 2] = m_l
    U2 = np.abs(n) ** 2 * (s * s)[..., None]
    return light, M_h, U2


def takagi_rank2(m_D: ArrayLike, M_N: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r"""Exact Takagi factorisation of :func:`neutral_mass_matrix`: ``(W (*B, 4, 4) unitary, masses (*B, 4))``
    with :math:`W^T\mathcal M W = {\rm diag}(0, 0, m_\ell, M_h)`; flavour state :math:`\psi_f = W\psi_{\rm mass}`,
    so :math:`|U_{\alpha N}|^2 = |W_{\alpha 3}|^2` (0-based column 3 = heavy)."""
    m_D = np.asarray(m_D, dtype=complex)
    M_N = np.asarray(M_N, dtype=float)
    a, n = _direction(m_D)
    shape = a.shape
    M_h, m_l, s, c = _hypot_split(a, np.broadcast_to(M_N, shape))
    u = np.conj(n)                                 # v_3: u^T m_D = a
    # orthonormal complement of u (Hermitian): Gram-Schmidt of the unit vector where |u_k| is smallest,
    # then the conjugated cross product
    k = np.argmin(np.abs(u), axis=-1)
    e = np.zeros(shape + (3,), dtype=complex)
    np.put_along_axis(e, k[..., None], 1.0, axis=-1)
    v1 = e - u * np.sum(np.conj(u) * e, axis=-1, keepdims=True)
    v1 /= np.linalg.norm(v1, axis=-1, keepdims=True)
    v2 = np.conj(np.cross(u, v1))
    v2 /= np.linalg.norm(v2, axis=-1, keepdims=True)
    W = np.zeros(shape + (4, 4), dtype=complex)
    W[..., :3, 0] = v1
    W[..., :3, 1] = v2
    # 2x2 block on (u, N): light column i(c, -s), heavy column (s, c)
    W[..., :3, 2] = 1j * c[..., None] * u
    W[..., 3, 2] = -1j * s
    W[..., :3, 3] = s[..., None] * u
    W[..., 3, 3] = c
    masses = np.stack([np.zeros(shape), np.zeros(shape), m_l, M_h], axis=-1)
    return W, masses


def takagi_svd(M: ArrayLike, *, rtol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    r"""Numerical Takagi factorisation of a complex symmetric matrix via its SVD (an independent, generic
    route): :math:`\mathcal M = U\Sigma V^\dagger`, symmetry gives :math:`V^* = U\Phi` with :math:`\Phi`
    diagonal phases for non-degenerate singular values, so :math:`W = U^*\Phi^{*1/2}` has
    :math:`W^T\mathcal M W = \Sigma`. Returns ``(W, sigma ascending)``. Zero singular values (below ``rtol``
    times the largest) may be degenerate; degenerate non-zero ones raise ``ValueError`` (use
    :func:`takagi_rank2`). Accuracy: absolute ~ ε·max σ for every σ (float64)."""
    M = np.asarray(M, dtype=complex)
    U, sig, Vh = np.linalg.svd(M)
    order = np.argsort(sig, axis=-1)
    sig = np.take_along_axis(sig, order, axis=-1)
    U = np.take_along_axis(U, order[..., None, :], axis=-1)
    Vh = np.take_along_axis(Vh, order[..., :, None], axis=-2)
    big = sig[..., -1:] * rtol
    nz = sig > big
    d = np.diff(sig, axis=-1)
    if np.any((np.abs(d) <= rtol * sig[..., 1:]) & nz[..., 1:] & nz[..., :-1]):
        raise ValueError("takagi_svd: degenerate non-zero singular values; use takagi_rank2")
    phi = np.einsum("...ji,...ji->...i", np.conj(U), np.conj(np.swapaxes(np.conj(Vh), -1, -2)))  # diag(U^H V*)
    phi = np.where(nz, phi / np.where(np.abs(phi) > 0, np.abs(phi), 1.0), 1.0)
    W = np.conj(U) * np.conj(np.sqrt(phi))[..., None, :]
    return W, sig


def dirac_spectrum(m_D: ArrayLike, M_N: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(light (*B, 3), heavy (*B,), U2 (*B, 3))`` for a Dirac N (module docstring)."""
    m_D = np.asarray(m_D, dtype=complex)
    M_N = np.asarray(M_N, dtype=float)
    a, n = _direction(m_D)
    M = np.broadcast_to(M_N, a.shape)
    s = np.hypot(a, M)
    sterile_massive = a <= M
    light = np.zeros(a.shape + (3,))
    light[..., 2] = np.where(sterile_massive, 0.0, s)
    heavy = np.where(sterile_massive, s, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s_safe = np.where(s > 0, s, 1.0)
        frac = np.where(sterile_massive, a / s_safe, M / s_safe)
    U2 = np.abs(n) ** 2 * (frac * frac)[..., None]
    return light, heavy, U2


def max_dirac_mass_eV(M_N_eV: ArrayLike, m_nu_max_eV: float, N_type: str = "majorana",
                      s2_max: ArrayLike = np.inf) -> np.ndarray:
    r"""Largest :math:`a = |m_D|` (eV) with the N-induced light mass ≤ ``m_nu_max_eV`` and the total active
    content of the sterile state :math:`\sin^2\theta \le` ``s2_max`` (module docstring; exact, vectorised).

    >>> round(float(max_dirac_mass_eV(1e6, 0.1)), 3)      # M_N = 1 MeV, m_nu = 0.1 eV: sqrt(0.1 (1e6 + 0.1))
    316.228
    >>> float(max_dirac_mass_eV(0.0, 0.1, "dirac"))       # Dirac N with M_N = 0: m_D itself is the light mass
    0.1
    """
    M = np.asarray(M_N_eV, dtype=float)
    mx = float(m_nu_max_eV)
    s2 = np.asarray(s2_max, dtype=float)
    if N_type == "majorana":
        a_light = np.sqrt(mx * (mx + M))
        # sin^2 = m_l/(m_l + M_h) = t/(1+t), t = m_l/M_h; a = sqrt(m_l M_h) = M sqrt(t)/(1 - t)  (t < 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = s2 / (1.0 - s2)
            a_mix = np.where(s2 < 0.5, M * np.sqrt(t) / (1.0 - t), np.inf)
    elif N_type == "dirac":
        a_light = np.maximum(M, np.sqrt(np.maximum(mx * mx - M * M, 0.0)))
        with np.errstate(divide="ignore", invalid="ignore"):
            a_mix = np.where(s2 < 0.5, M * np.sqrt(s2 / (1.0 - s2)), np.inf)
    else:
        raise ValueError(f"unknown N_type {N_type!r}; allowed: 'dirac', 'majorana'")
    return np.minimum(a_light, a_mix)


@dataclass(frozen=True)
class NeutrinoMass:
    """Result of :func:`neutrino_mass`; arrays of the point's batch shape (``(*B, 3)`` per lepton e, mu, tau)."""

    m_D_tree_GeV: np.ndarray    #: complex y_nu v/sqrt2 (N_1 column)
    m_D_loop_GeV: np.ndarray    #: complex one-loop m_nuN (MSbar at mu = m_S1 where UV-divergent)
    m_D_GeV: np.ndarray         #: complex total
    uv_divergent_loop: np.ndarray  #: bool (*B,): the loop part of some flavour is UV-divergent (scheme-dependent)
    m_light_eV: np.ndarray      #: (*B, 3) light (active) masses, ascending
    M_heavy_eV: np.ndarray      #: mass of the sterile-like state
    U2: np.ndarray              #: (*B, 3) |U_alpha N|^2 of the sterile-like state
    m_nu_max_eV: float          #: the bound's largest single light mass
    m_D_max_eV: np.ndarray      #: largest |m_D| the bound (and applicable mixing limits) allow
    tuning: np.ndarray          #: Delta = |m_loop| / m_D_max
    binding_code: np.ndarray    #: int: index into ``binding_labels`` of what sets m_D_max (see ``binding``)
    binding_labels: tuple[str, ...]  #: "light mass" first, then the mixing limits that may bind
    bound: str                  #: description of the light-mass bound
    N_type: str
    scheme: str                 #: "finite" or SCHEME_MSBAR (if any point of the batch is UV-divergent)
    mu_N1_muB: np.ndarray       #: ||mu_alpha N1|| (norm over flavours), Bohr magnetons
    allowed: np.ndarray         #: bool: the spectrum of the TOTAL m_D satisfies the bound and the |U|^2 limits
    m_loop: np.ndarray | None = field(default=None, repr=False)  #: |m_loop| in eV if computed (m_loop_eV)

    @property
    def binding(self) -> np.ndarray:
        """str: "light mass" or the name of the mixing limit that sets m_D_max (built when read)."""
        return np.asarray(np.array(self.binding_labels, dtype=str)[self.binding_code])

    @property
    def m_loop_eV(self) -> np.ndarray:
        """|m_loop| (eV), norm over the lepton flavours."""
        if self.m_loop is not None:
            return self.m_loop
        return np.linalg.norm(self.m_D_loop_GeV, axis=-1) * EV_PER_GEV


def neutrino_mass(point: Point, *, bound: Any = None, ordering: str = "NO", mixing: bool = True,
                  mu_GeV: ArrayLike | None = None, moments: Any = None) -> NeutrinoMass:
    """Total Dirac mass, exact spectrum, mixing and tuning Δ of a (batched) point (module docstring).

    ``bound``: a name of :func:`observables.neutrino.mass_bounds.light_mass_bounds` (default Planck 2018),
    a :class:`~observables.neutrino.mass_bounds.LightMassBound` or a number (a custom bound on one light
    mass, eV). ``ordering``: NO | IO (splittings of a Σ bound). ``mixing``: lower m_D^max where a tabulated
    |U|² limit applies (flavour direction: that of the loop mass, else of the total, else the point's lepton).
    ``mu_GeV``: MSbar scale of a UV-divergent loop (default m_S1). ``moments``: the point's
    :func:`~lqmodel.moments.compute_moments` result with ``uv="msbar"`` at that scale, if already computed.

    What depends on M_N alone (the |U|² limits at M_N, the m_D^max of the light-mass bound) is evaluated
    once per distinct M_N of the batch; the mixing directions only where some limit applies at the
    batch's M_N (elsewhere every limit is infinite and cannot bind). The same numbers as point by point.
    """
    from lqmodel.moments import compute_moments
    from observables.neutrino import mass_bounds as mbd

    b, m_nu_max = _light_bound(bound, ordering)
    mom = compute_moments(point, uv="msbar", mu_GeV=mu_GeV) if moments is None else moments
    tree, loop, div = dirac_masses_GeV(point, _moments=mom)
    total = _total(tree, loop)
    m_D_eV = total * EV_PER_GEV
    shape = total.shape[:-1]
    M_eV = np.broadcast_to(np.asarray(point.M_N, dtype=float) * EV_PER_GEV, shape)
    M_vals, M_inv = _distinct(M_eV)
    if point.N_type == "majorana":
        light, heavy, U2 = majorana_spectrum(m_D_eV, M_eV)
    else:
        light, heavy, U2 = dirac_spectrum(m_D_eV, M_eV)
    labels: list[str] = ["light mass"]
    code = np.zeros(shape, dtype=np.intp)
    s2_max: np.ndarray | None = None  # None: no limit applies anywhere (infinite)
    allowed = light[..., 2] <= m_nu_max * (1 + 1e-12)
    if mixing:
        from lqmodel.point import LEPTONS

        limits = [mbd.mixing_upper_bound(l, M_vals) for l in LEPTONS]
        n: np.ndarray | None = None
        g = np.zeros(shape, dtype=np.intp) if M_inv is None else M_inv
        for i, (u2_vals, names) in enumerate(limits):
            if not np.any(u2_vals < np.inf):  # no limit at any M_N of the batch: cand = inf never binds
                allowed &= U2[..., i] <= np.inf
                continue
            if n is None:
                fb = np.zeros(3, dtype=complex)
                fb[point.lepton_index if point.lepton is not None else 0] = 1.0
                _, n_tot = _direction(total, np.broadcast_to(fb, total.shape))
                _, n = _direction(loop, n_tot)
            u2 = _gather(u2_vals, M_inv, shape)
            w = np.abs(n[..., i]) ** 2
            with np.errstate(divide="ignore", invalid="ignore"):
                cand = np.where(w > 0, u2 / np.where(w > 0, w, 1.0), np.inf)
            allowed &= U2[..., i] <= u2 * (1 + 1e-12)
            if s2_max is None:
                s2_max = np.full(shape, np.inf)
            better = cand < s2_max
            s2_max = np.where(better, cand, s2_max)
            code = np.where(better, len(labels) + g, code)
            labels += [str(x) for x in names]
    a_light = _gather(max_dirac_mass_eV(M_vals, m_nu_max, point.N_type), M_inv, shape)
    if s2_max is None:
        m_D_max = _gather(max_dirac_mass_eV(M_vals, m_nu_max, point.N_type, np.inf), M_inv, shape)
    else:
        m_D_max = max_dirac_mass_eV(M_eV, m_nu_max, point.N_type, s2_max)
    if len(labels) > 1:
        code = np.where(m_D_max < a_light, code, 0)
    m_loop = np.linalg.norm(loop, axis=-1) * EV_PER_GEV
    tuning = m_loop / m_D_max
    any_div = np.any(div, axis=-1)
    return NeutrinoMass(
        m_D_tree_GeV=tree, m_D_loop_GeV=loop, m_D_GeV=total, uv_divergent_loop=any_div,
        m_light_eV=light, M_heavy_eV=heavy, U2=U2, m_nu_max_eV=m_nu_max, m_D_max_eV=m_D_max, tuning=tuning,
        binding_code=code, binding_labels=tuple(labels),
        bound=b.describe() + (f", {ordering} splittings (NuFIT 6.0)" if b.kind == "sum" else ""),
        N_type=point.N_type, scheme=SCHEME_MSBAR if bool(np.any(any_div)) else "finite",
        mu_N1_muB=np.linalg.norm(mom.mu_muB[..., :, 0], axis=-1), allowed=allowed, m_loop=m_loop,
    )


def tuning_s1_same_mu(point: Point, *, bound: Any = None, ordering: str = "NO", mixing: bool = True,
                      nm: NeutrinoMass | None = None) -> np.ndarray:
    r"""Δ of S1 ALONE giving the same :math:`\|\mu_{\alpha N_1}\|` as ``point`` (the comparison the Voloshin
    argument rests on): the point with its R̃2 couplings removed, its S1 couplings scaled by
    :math:`\|\mu\|/\|\mu_{S_1}\|` (μ and m are both linear in :math:`c_S`), loop mass MSbar at μ = m_S1, and the same
    M_N and bound (m_D^max of ``nm`` when given). NaN where the S1 loop gives no moment.

    When one down quark k carries every S1 coupling to N_1 in the batch (down-aligned couplings; e.g. the
    Voloshin and S1 benchmarks, b only), :math:`\mu_{S_1} = c\,W_k` and :math:`m_{S_1} = c\,M_k` share the
    coupling vector c, so :math:`\|m_{S_1}\|/\|\mu_{S_1}\| = |M_k|/|W_k|` depends on the masses alone: it is
    taken from :func:`lqmodel.moments.compute_moments` once per distinct (m_S1, m_R2, kappa, m_b) with a unit
    coupling, and Δ = :math:`\|\mu\|\,|M_k|/|W_k|/m_D^{\max}` (the same number as the general route to
    rounding, tests/test_neutrino_mass_speed_paths.py; NaN where the point's S1 couplings to N_1 vanish).
    Otherwise the S1-only point's moments are computed point by point."""
    if nm is None:
        nm = neutrino_mass(point, bound=bound, ordering=ordering, mixing=mixing)
    fast = _s1_mass_over_moment(point)
    if fast is None:
        return _tuning_s1_general(point, nm)
    ratio, has_moment = fast
    with np.errstate(invalid="ignore"):
        m_loop = nm.mu_N1_muB * ratio * EV_PER_GEV
    return np.where(has_moment, m_loop / nm.m_D_max_eV, np.nan)


def _tuning_s1_general(point: Point, nm: NeutrinoMass) -> np.ndarray:
    """:func:`tuning_s1_same_mu` from the S1-only point's own moments, point by point."""
    import warnings

    from lqmodel.moments import compute_moments

    z = np.zeros((3, 3), dtype=complex)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s1 = point.replace(yt_RL=z, yt_LR=z, model="general")
        m_s1 = compute_moments(s1, uv="msbar")
    mu_pt = nm.mu_N1_muB
    mu_s1 = np.linalg.norm(m_s1.mu_muB[..., :, 0], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(mu_s1 > 0, mu_pt / np.where(mu_s1 > 0, mu_s1, 1.0), np.nan)
    m_loop = np.linalg.norm(m_s1.m_nuN_GeV[..., :, 0], axis=-1) * EV_PER_GEV * scale
    return m_loop / nm.m_D_max_eV


def _s1_mass_over_moment(point: Point) -> tuple[np.ndarray, np.ndarray] | None:
    """``(|M_k|/|W_k| per point (GeV per mu_B), S1 couplings to N_1 non-zero at the point)`` for
    :func:`tuning_s1_same_mu`, or None where its conditions do not hold (several quarks, up-aligned
    couplings, many distinct masses): then the general route."""
    import warnings

    from lqmodel.moments import compute_moments
    from lqmodel.point import Point as _Point
    from lqmodel.point import _compact

    if point.quark_basis != "down":
        return None
    shape = tuple(point.batch_shape)
    sL, sN = np.asarray(point.y_LL), np.asarray(point.ybar_RR)   # c_S^* = ybar_RR[k, j] (-y_LL[k, a])^*
    batch_axes = tuple(range(sL.ndim - 2))
    nzL = np.any(_compact(sL) != 0, axis=batch_axes)             # (3 quarks, 3 leptons)
    nzN = np.any(_compact(sN)[..., :, 0] != 0, axis=tuple(range(sN.ndim - 2)))  # (3 quarks,)
    ks = [k for k in range(3) if nzN[k] and nzL[k].any()]
    if len(ks) != 1:
        return None
    k = ks[0]
    a0 = int(np.flatnonzero(nzL[k])[0])
    n = int(np.prod(shape)) if shape else 1
    keys = [np.broadcast_to(np.asarray(v, dtype=float), shape).reshape(n)
            for v in (point.m_S1, point.m_R2, point.kappa, point.m_b)]
    code = np.zeros(n, dtype=np.int64)
    for key in keys:
        vals, inv = _distinct(key)
        if inv is not None:
            code = code * vals.size + inv.reshape(n)
    groups, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    if n >= 16 and groups.size > n // 4:
        return None
    unit_L = np.zeros((3, 3), dtype=complex)
    unit_L[k, a0] = 1.0
    unit_N = np.zeros((3, 3), dtype=complex)
    unit_N[k, 0] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = _Point(m_S1=keys[0][first], m_R2=keys[1][first], kappa=keys[2][first], m_b=keys[3][first],
                     m_b_scheme=point.m_b_scheme, y_LL=unit_L, ybar_RR=unit_N, quark_basis="down", model="general")
        mom = compute_moments(rep, uv="msbar")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(mom.m_nuN_GeV[..., a0, 0]) / np.abs(mom.mu_muB[..., a0, 0])
    has = (sN[..., k, 0] != 0) & np.any(sL[..., k, :] != 0, axis=-1)
    return ratio[inverse.reshape(n)].reshape(shape), np.broadcast_to(has, shape)


def summary(point: Point, *, bound: Any = None, ordering: str = "NO") -> dict[str, Any]:
    """JSON-ready ``neutrino_mass`` block of ``lqmodel point`` (scalar point; keys in docs/neutrino_mass.md)."""
    from lqmodel.point import LEPTONS, PointError

    if point.batch_shape != ():
        raise PointError("neutrino_mass.summary needs a scalar point")
    nm = neutrino_mass(point, bound=bound, ordering=ordering)

    def per(arr: np.ndarray) -> dict[str, float]:
        return {l: float(arr[i]) for i, l in enumerate(LEPTONS)}

    return {
        "m_light_eV": [float(x) for x in nm.m_light_eV],
        "M_heavy_eV": float(nm.M_heavy_eV),
        "U2": per(nm.U2),
        "m_D_eV": per(np.abs(nm.m_D_GeV) * EV_PER_GEV),
        "m_D_max_eV": float(nm.m_D_max_eV),
        "tuning": float(nm.tuning),
        "bound": nm.bound,
        "m_nu_max_eV": float(nm.m_nu_max_eV),
        "binding": str(nm.binding),
        "allowed": bool(nm.allowed),
        "m_D_tree_eV": per(np.abs(nm.m_D_tree_GeV) * EV_PER_GEV),
        "m_D_loop_eV": per(np.abs(nm.m_D_loop_GeV) * EV_PER_GEV),
        "m_D_complex_eV": {l: [float(z.real), float(z.imag)]
                           for l, z in zip(LEPTONS, nm.m_D_GeV * EV_PER_GEV, strict=True)},
        "tuning_S1_same_mu": float(tuning_s1_same_mu(point, bound=bound, ordering=ordering, nm=nm)),
        "uv_divergent_loop": bool(nm.uv_divergent_loop),
        "scheme": nm.scheme,
        "N_type": nm.N_type,
        "M_N_eV": float(point.M_N) * EV_PER_GEV,
    }
