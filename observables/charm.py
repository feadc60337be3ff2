r"""Leptonic decays of a pseudoscalar meson, :math:`P\to\ell^+\ell^-`, and BR(:math:`D^0\to\ell^+\ell^-`).

flavio 2.7.1 has no :math:`D^0\to\ell^+\ell^-` observable; this module computes it from the WET
coefficients of the WCxf **flavio basis**, sector ``cu`` (wilson 2.5.2 ``wet.flavio.basis``), with

.. math::
    \mathcal L_{\rm eff} \supset \mathcal N_{cu}\sum_i C_i O_i + {\rm h.c.},\qquad
    \mathcal N_{cu} = \frac{4G_F}{\sqrt2}\,V_{cb}^*V_{ub}\,\frac{e^2}{16\pi^2},

    O_{10} = (\bar u_L\gamma^\mu c_L)(\bar\ell\gamma_\mu\gamma_5\ell),\quad
    O_{10}' = (\bar u_R\gamma^\mu c_R)(\bar\ell\gamma_\mu\gamma_5\ell),\quad
    O_{S(P)} = m_c(\bar u_L c_R)(\bar\ell\,[\gamma_5]\,\ell),\quad
    O_{S(P)}' = m_c(\bar u_R c_L)(\bar\ell\,[\gamma_5]\,\ell)

(``C10_cu{l}{l}``, ``C10p_…``, ``CS_…``, ``CSp_…``, ``CP_…``, ``CPp_…``; ``C9``, ``C9p`` exist too but do not
contribute to :math:`P\to\ell^+\ell^-` with equal leptons, the vector lepton current being conserved). The
flavio basis has no :math:`c\to u\ell\ell` tensor operator; tensors do not contribute either
(:math:`\langle 0|\bar u\sigma^{\mu\nu}c|D^0\rangle = 0`).

Formula (:func:`pll_branching_ratio`): with :math:`\langle 0|\bar q_1\gamma^\mu\gamma_5 q_2|P(p)\rangle =
if_Pp^\mu` and :math:`\langle 0|\bar q_1\gamma_5 q_2|P\rangle = -if_Pm_P^2/(m_{q_1}+m_{q_2})`,

.. math::
    {\rm BR} = \tau_P\,\frac{|\mathcal N|^2}{32\pi}\,m_P^3 f_P^2\,\beta\,\big(|P|^2 + \beta^2|S|^2\big),\qquad
    P = \frac{2m_\ell}{m_P}(C_{10}-C_{10}') + m_P\frac{m_{q_2}}{m_{q_2}+m_{q_1}}(C_P-C_P'),\quad
    S = m_P\frac{m_{q_2}}{m_{q_2}+m_{q_1}}(C_S-C_S'),

:math:`\beta = \sqrt{1-4m_\ell^2/m_P^2}` (:math:`q_2` the heavy quark whose mass sits in :math:`O_{S,P}`).
SOURCE: the standard :math:`B_q\to\ell\ell` result (De Bruyn et al. arXiv:1204.1737 §2; the same expression as
flavio 2.7.1 ``physics/bdecays/bll.py``, ``amplitudes`` and ``br_inst``), written for a generic meson in
docs/charm.md §2, where it is re-derived; for :math:`D^0` the same form is used by Fajfer–Košnik
arXiv:1510.00965 §II and de Boer–Hiller arXiv:1510.00311 (their normalisation differs by the CKM factor in
:math:`\mathcal N`). Tested: fed flavio's :math:`b\to s\mu\mu` coefficients and :math:`B_s` inputs it
reproduces flavio's ``BR(Bs->mumu)`` (tests/test_charm.py). Units: GeV, :math:`\tau_P` in GeV⁻¹, BR
dimensionless.

Standard Model (docs/charm.md §4): the short-distance part is negligible (:math:`\sim10^{-18}`, Burdman,
Golowich, Hewett, Pakvasa hep-ph/0112235); the long-distance part is dominated by
:math:`D^0\to\gamma\gamma\to\mu^+\mu^-`, whose absorptive part is fixed by BR(:math:`D^0\to\gamma\gamma`)
(:func:`two_photon_unitarity_ratio`); it stays orders of magnitude below the present limits. The toolkit
quantity is the short-distance new-physics rate (:func:`br_d0_ll`); the SM long-distance amplitude is not
added (its interference with new physics is unknown in sign and below the experimental reach).

No leptoquark knowledge lives here; flavio is imported lazily (inputs and running).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = [
    "MesonInputs",
    "pll_branching_ratio",
    "lifetime_correction",
    "cu_normalisation",
    "default_cu_normalisation",
    "d0_inputs",
    "cu_wc_names",
    "br_d0_ll",
    "br_d0_ll_from_wc_obj",
    "two_photon_unitarity_ratio",
    "SCALE_D",
    "TOOLKIT_QUANTITIES",
    "SM_SHORT_DISTANCE_D0_MUMU",
]

#: renormalisation scale [GeV] at which the c -> u l l coefficients are read (flavio's D-decay scale 'dll')
SCALE_D = 2.0

#: order of magnitude of the SM short-distance BR(D0 -> mu mu) (Burdman, Golowich, Hewett, Pakvasa,
#: hep-ph/0112235, PRD 66 (2002) 014009, "~1e-18"); documentation only, never added to a prediction
SM_SHORT_DISTANCE_D0_MUMU = 1e-18

_LEPTONS = ("e", "mu", "tau")


@dataclass(frozen=True)
class MesonInputs:
    r"""Hadronic inputs of :math:`P\to\ell\ell`: mass ``m_P`` [GeV], decay constant ``f_P`` [GeV], lifetime
    ``tau_P`` [GeV⁻¹], the MS-bar masses of the heavy (``m_heavy``, the one in :math:`O_{S,P}`) and light
    (``m_light``) valence quark at one common scale [GeV], ``y`` = :math:`\Delta\Gamma/(2\Gamma)` (0: no
    time-integration correction), and where they come from."""

    m_P: float
    f_P: float
    tau_P: float
    m_heavy: float
    m_light: float
    y: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        for k in ("m_P", "f_P", "tau_P", "m_heavy"):
            v = getattr(self, k)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"MesonInputs.{k} must be a positive finite number, got {v!r}")
        if not (math.isfinite(self.m_light) and self.m_light >= 0):
            raise ValueError(f"MesonInputs.m_light must be >= 0, got {self.m_light!r}")
        if not (math.isfinite(self.y) and abs(self.y) < 1):
            raise ValueError(f"MesonInputs.y must satisfy |y| < 1, got {self.y!r}")


def _c(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=complex)


def _amplitudes(inp: MesonInputs, m_l: float, C10: Any, C10p: Any, CS: Any, CSp: Any, CP: Any,
                CPp: Any) -> tuple[np.ndarray, np.ndarray]:
    r = inp.m_heavy / (inp.m_heavy + inp.m_light)
    P = 2 * m_l / inp.m_P * (_c(C10) - _c(C10p)) + inp.m_P * r * (_c(CP) - _c(CPp))
    S = inp.m_P * r * (_c(CS) - _c(CSp))
    return P, S


def lifetime_correction(P: np.ndarray, S: np.ndarray, y: float) -> np.ndarray:
    r"""Time-integrated / instantaneous BR, :math:`(1 + A_{\Delta\Gamma}y)/(1-y^2)` with
    :math:`A_{\Delta\Gamma} = {\rm Re}(P^2 - S^2)/(|P|^2+|S|^2)` for real mixing phases (De Bruyn et al.
    arXiv:1204.1735 eq. (8), arXiv:1204.1737 eq. (17); flavio ``bll.br_lifetime_corr`` inverted). 1 where
    both amplitudes vanish."""
    P, S = np.asarray(P), np.asarray(S)
    den = np.abs(P) ** 2 + np.abs(S) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        adg = np.where(den > 0, (P**2).real - (S**2).real, 0.0) / np.where(den > 0, den, 1.0)
    return (1 + adg * y) / (1 - y**2)


def pll_branching_ratio(inp: MesonInputs, m_l: float, norm: complex, *, C10: Any = 0, C10p: Any = 0, CS: Any = 0,
                        CSp: Any = 0, CP: Any = 0, CPp: Any = 0, time_integrated: bool = True) -> np.ndarray:
    r""":math:`{\rm BR}(P\to\ell^+\ell^-)` from flavio-basis-type coefficients (module docstring formula).

    ``norm``: the operator prefactor :math:`\mathcal N` [GeV⁻²] (e.g. :func:`cu_normalisation`); the
    coefficients are dimensionless, any broadcastable shape (vectorised). ``time_integrated`` multiplies by
    :func:`lifetime_correction` with ``inp.y`` (exactly 1 for ``y = 0``).
    SOURCE: arXiv:1204.1737 §2 / flavio ``bll.br_inst`` (docs/charm.md §2); units: dimensionless.

    >>> inp = MesonInputs(m_P=1.86484, f_P=0.212, tau_P=6.234e11, m_heavy=1.0949, m_light=0.00216)
    >>> br = pll_branching_ratio(inp, 0.10566, 1e-9, C10=1.0)
    >>> bool(np.isclose(br, 6.234e11 * 1e-18 / (8 * np.pi) * 1.86484 * 0.212**2 * 0.10566**2
    ...                 * np.sqrt(1 - 4 * (0.10566 / 1.86484)**2)))
    True
    """
    if not (math.isfinite(m_l) and 0 <= 2 * m_l < inp.m_P):
        raise ValueError(f"lepton mass {m_l!r} GeV: need 0 <= 2 m_l < m_P = {inp.m_P} GeV")
    P, S = _amplitudes(inp, m_l, C10, C10p, CS, CSp, CP, CPp)
    beta = math.sqrt(1 - 4 * m_l**2 / inp.m_P**2)
    pref = inp.tau_P * abs(norm) ** 2 / (32 * math.pi) * inp.m_P**3 * inp.f_P**2 * beta
    br = pref * (np.abs(P) ** 2 + beta**2 * np.abs(S) ** 2)
    if time_integrated and inp.y != 0:
        br = br * lifetime_correction(P, beta * S, inp.y)
    return br


def cu_normalisation(alpha_e: float, GF: float, V: np.ndarray) -> complex:
    r""":math:`\mathcal N_{cu} = \frac{4G_F}{\sqrt2}V_{cb}^*V_{ub}\frac{\alpha_e}{4\pi}` [GeV⁻²], the prefactor of
    the WCxf flavio-basis ``cu`` semileptonic operators (wilson ``wet.flavio.basis``; ``V`` rows u, c, t,
    columns d, s, b)."""
    return 4 * GF / math.sqrt(2) * complex(np.conj(V[1, 2]) * V[0, 2]) * alpha_e / (4 * math.pi)


def cu_wc_names(lepton: str = "mu") -> tuple[str, ...]:
    """The flavio-basis coefficients that move BR(D0 -> l l): C10, C10p, CS, CSp, CP, CPp of ``cu{l}{l}``."""
    _check_lepton(lepton)
    return tuple(f"{c}_cu{lepton}{lepton}" for c in ("C10", "C10p", "CS", "CSp", "CP", "CPp"))


def _check_lepton(lepton: str) -> None:
    if lepton not in _LEPTONS:
        raise ValueError(f"unknown lepton {lepton!r}; allowed: {', '.join(_LEPTONS)}")


@lru_cache(maxsize=1)
def _flavio_d0() -> tuple[MesonInputs, dict[str, float], complex]:
    from observables.flavio_backend import _import_flavio

    flavio = _import_flavio()
    from flavio.physics.running import running

    par = flavio.default_parameters.get_central_all()
    inp = MesonInputs(
        m_P=float(par["m_D0"]), f_P=float(par["f_D0"]), tau_P=float(par["tau_D0"]),
        m_heavy=float(running.get_mc(par, SCALE_D)), m_light=float(running.get_mu(par, SCALE_D)), y=0.0,
        source="flavio 2.7.1 default parameters (m_D0, f_D0, tau_D0 [GeV^-1]; m_c, m_u run to 2 GeV by flavio)",
    )
    masses = {lep: float(par[f"m_{lep}"]) for lep in _LEPTONS}
    return inp, masses, default_cu_normalisation()


def default_cu_normalisation() -> complex:
    r"""The toolkit's :math:`\mathcal N_{cu}` [GeV⁻²]: ``G_F``, the CKM matrix (built as flavio builds it) and
    :math:`\alpha_e` = ``alpha_e_flavio_4p8GeV`` from :mod:`observables.parameters`.

    The :math:`\alpha_e` inside :math:`\mathcal N` is a convention: wilson runs the flavio-basis coefficients
    as :math:`\alpha`-independent numbers, so the physical amplitude :math:`\mathcal N C` is reproduced
    exactly when the matching (``lqmodel.charm_matching``) divides by the same :math:`\mathcal N` that the
    observable multiplies with; the value is the one ``lqmodel.matching`` uses for ``b -> s l l``
    (docs/charm.md §3)."""
    from observables.parameters import ckm_matrix, value

    return cu_normalisation(value("alpha_e_flavio_4p8GeV"), value("G_F"), ckm_matrix())


def d0_inputs() -> MesonInputs:
    r""":math:`D^0` inputs from flavio 2.7.1's parameter set (imports flavio on first use): ``m_D0`` =
    1.86484 GeV, ``f_D0`` = 0.212 GeV (as shipped by flavio), ``tau_D0`` (PDG), :math:`m_c, m_u` at
    2 GeV. :math:`y_D\approx0.6\%` changes the time-integrated rate by < 0.7% and is set to 0."""
    return _flavio_d0()[0]


def br_d0_ll(wc: Mapping[str, Any], lepton: str = "mu", *, inputs: MesonInputs | None = None,
             norm: complex | None = None, m_l: float | None = None) -> np.ndarray:
    r"""BR(:math:`D^0\to\ell^+\ell^-`), short-distance, from WCxf flavio-basis ``cu`` coefficients **at 2 GeV**.

    ``wc``: name -> value or array (missing names are zero; names of other sectors are ignored). The
    normalisation is :func:`default_cu_normalisation` unless ``norm`` is given; ``inputs`` default to
    :func:`d0_inputs`. Coefficients at a high scale must be run first
    (:func:`br_d0_ll_from_wc_obj` does it with flavio/wilson). Vectorised over the coefficient arrays.
    """
    _check_lepton(lepton)
    if inputs is None or norm is None or m_l is None:
        f_inp, masses, f_norm = _flavio_d0()
        inputs = f_inp if inputs is None else inputs
        norm = f_norm if norm is None else norm
        m_l = masses[lepton] if m_l is None else m_l
    c = {n.split("_")[0]: wc.get(n, 0) for n in cu_wc_names(lepton)}
    return pll_branching_ratio(inputs, m_l, norm, C10=c["C10"], C10p=c["C10p"], CS=c["CS"], CSp=c["CSp"],
                               CP=c["CP"], CPp=c["CPp"])


def br_d0_ll_from_wc_obj(wc_obj: Any, lepton: str = "mu") -> float:
    r"""BR(:math:`D^0\to\ell^+\ell^-`) for a ``flavio.WilsonCoefficients`` object (NP at any input scale):
    flavio/wilson run the WET coefficients to :data:`SCALE_D` (4 active flavours; QCD + QED), then
    :func:`br_d0_ll`. This is the toolkit quantity ``"BR(D0->{l}{l})"`` of :data:`TOOLKIT_QUANTITIES`."""
    _check_lepton(lepton)
    from observables.flavio_backend import _import_flavio

    flavio = _import_flavio()
    par = flavio.default_parameters.get_central_all()
    d = wc_obj.get_wc("cu", SCALE_D, par, nf_out=4)
    return float(br_d0_ll(d, lepton))


#: toolkit quantities this module evaluates (name -> lepton), for observables.flavio_backend.quantity
TOOLKIT_QUANTITIES = {f"BR(D0->{l}{l})": l for l in _LEPTONS}


def two_photon_unitarity_ratio(m_l: float, m_P: float, alpha_e: float) -> float:
    r"""Absorptive (unitarity) part of :math:`P\to\gamma^*\gamma^*\to\ell^+\ell^-` relative to
    :math:`P\to\gamma\gamma`:

    .. math:: \frac{{\rm BR}_{\rm abs}(P\to\ell^+\ell^-)}{{\rm BR}(P\to\gamma\gamma)}
              = \frac{\alpha^2}{2\beta}\frac{m_\ell^2}{m_P^2}\Big[\ln\frac{1+\beta}{1-\beta}\Big]^2,
              \qquad \beta=\sqrt{1-4m_\ell^2/m_P^2},

    the classic unitarity bound (Sehgal, Phys. Rev. 183 (1969) 1511 for :math:`K_L\to\mu\mu`; used for
    :math:`D^0` by Burdman et al. hep-ph/0112235 §IV). A lower bound on the SM long-distance BR given
    BR(:math:`D^0\to\gamma\gamma`). Dimensionless.

    >>> round(two_photon_unitarity_ratio(0.1056583755, 0.497611, 1 / 137.036) * 1e5, 2)  # K_L: 1.2e-5
    1.2
    """
    if not (0 < 2 * m_l < m_P):
        raise ValueError(f"need 0 < 2 m_l < m_P, got m_l = {m_l!r}, m_P = {m_P!r}")
    beta = math.sqrt(1 - 4 * m_l**2 / m_P**2)
    return alpha_e**2 / (2 * beta) * (m_l / m_P) ** 2 * math.log((1 + beta) / (1 - beta)) ** 2
