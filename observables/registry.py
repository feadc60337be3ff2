r"""Registry of the flavour observables the toolkit predicts through flavio 2.7.1.

Each entry is an :class:`ObservableSpec`: the toolkit name (``"R_D"``, ``"R_K[1.1,6.0]"``, ...), the flavio
observable name and arguments, unit, LaTeX, description, citation of the measurement it is compared with,
the WET *flavio-basis* Wilson coefficients (WCxf names, wilson 2.5.2 ``wet.flavio.basis``) that can move it,
and its algebraic *form* in those coefficients:

* ``"quadratic"`` — a quadratic polynomial in :math:`(\mathrm{Re}\,C_i, \mathrm{Im}\,C_i)` (a rate:
  :math:`|A_\mathrm{SM} + \sum_i a_i C_i|^2` summed over final states);
* ``"linear"`` — a special case of the above (:math:`a_\mu` is linear in :math:`\mathrm{Re}\,C_7^{\mu\mu}`);
* ``"rational"`` — a ratio of two quadratic forms (lepton-universality ratios; numerator and denominator
  are fitted separately from the BRs that flavio divides);
* ``"sqrt_quadratic"`` — the square root of a quadratic form (:math:`\Delta M_s \simeq 2|M_{12}|`;
  flavio's :math:`\Delta M` contains :math:`\Gamma_{12}`, so this is exact only up to
  :math:`O(|\Gamma_{12}/M_{12}|^2)`; the residual is measured in the tests and the benchmark).

The numerator and denominator are given as :class:`Part` objects: weighted sums of flavio quantities, each
with the coefficients it depends on, split into *interference blocks* — coefficients in different blocks
never interfere (different neutrino flavours in the final state are incoherent for massless neutrinos).
The block structure is an input of the surrogate fit and is checked against direct flavio calls at random
points with several blocks switched on at once (``tests/test_surrogate.py``).

No leptoquark knowledge lives here: these are generic WET statements.

>>> from observables.registry import get, OBSERVABLES
>>> get("R_D").flavio_name
'Rtaul(B->Dlnu)'
>>> get("R_K[1.1,6.0]").args
(1.1, 6.0)
>>> get("R_Dstr")
Traceback (most recent call last):
...
KeyError: "unknown observable 'R_Dstr'. Did you mean: R_Dstar, R_D? ..."
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["Term", "Part", "ObservableSpec", "OBSERVABLES", "get", "names", "all_wc_names"]

_NU = ("nue", "numu", "nutau")
_SEMILEP = ("CVL", "CVR", "CSL", "CSR", "CT")


@dataclass(frozen=True)
class Term:
    """One flavio quantity in a :class:`Part`: ``weight * quantity(*args)``.

    ``quantity`` is a flavio observable name, or one of the flavio-internal integrals that flavio itself
    uses inside its lepton-universality ratios (see :func:`observables.flavio_backend.quantity`).
    """

    weight: float
    quantity: str
    args: tuple = ()
    wc_names: tuple[str, ...] | None = None  # the coefficients this quantity depends on (None: all of the Part's)


@dataclass(frozen=True)
class Part:
    """A weighted sum of flavio quantities that is a quadratic form in ``wc_names``.

    ``blocks`` partitions ``wc_names`` into interference blocks (no cross terms between blocks).
    """

    terms: tuple[Term, ...]
    wc_names: tuple[str, ...]
    blocks: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        flat = [n for b in self.blocks for n in b]
        if sorted(flat) != sorted(self.wc_names) or len(set(flat)) != len(flat):
            raise ValueError("Part.blocks must partition Part.wc_names")


@dataclass(frozen=True)
class ObservableSpec:
    """Metadata of one toolkit observable (contract of ``observables.registry``)."""

    name: str
    flavio_name: str
    args: tuple
    unit: str
    latex: str
    description: str
    citation: str
    wc_names: tuple[str, ...]
    form: str
    numerator: Part = field(repr=False, default=None)  # type: ignore[assignment]
    denominator: Part | None = field(repr=False, default=None)
    subtract_sm: bool = False  # value = flavio(wc) - flavio(SM) (Delta a_mu)
    integrated: bool = False  # flavio integrates over q^2 numerically (results jitter at ~1e-6)

    def __post_init__(self) -> None:
        if self.form not in ("quadratic", "linear", "rational", "sqrt_quadratic"):
            raise ValueError(f"unknown form {self.form!r}")
        if (self.form == "rational") != (self.denominator is not None):
            raise ValueError("a 'rational' observable needs a denominator, other forms must not have one")


def _semilep(quark: str, lepton: str) -> tuple[tuple[str, ...], ...]:
    """Blocks of b -> q lepton nu coefficients, one block per neutrino flavour (incoherent)."""
    return tuple(tuple(f"{c}_{quark}{lepton}{nu}" for c in _SEMILEP) for nu in _NU)


def _part(quantities: tuple[tuple, ...], blocks: tuple[tuple[str, ...], ...]) -> Part:
    return Part(
        terms=tuple(Term(*q) for q in quantities),
        wc_names=tuple(n for b in blocks for n in b),
        blocks=blocks,
    )


def _flat_blocks(blocks: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    return tuple(n for b in blocks for n in b)


def _flat(*parts: Part | None) -> tuple[str, ...]:
    out: list[str] = []
    for p in parts:
        if p is None:
            continue
        out.extend(n for n in p.wc_names if n not in out)
    return tuple(out)


def _build() -> dict[str, ObservableSpec]:
    specs: list[ObservableSpec] = []

    # --- b -> c tau nu: R(D), R(D*) ------------------------------------------------------------------
    # flavio 2.7.1 (bplnu.BR_tot_leptonflavour / bvlnu): Rtaul = BR(B0->P tau nu) / [(BR(e) + BR(mu))/2].
    for meson, label, tex in (("D", "R_D", r"R(D)"), ("D*", "R_Dstar", r"R(D^*)")):
        num = _part(((1.0, f"BR(B0->{meson}taunu)", ()),), _semilep("bc", "tau"))
        den = _part(
            (
                (0.5, f"BR(B0->{meson}enu)", (), _flat_blocks(_semilep("bc", "e"))),
                (0.5, f"BR(B0->{meson}munu)", (), _flat_blocks(_semilep("bc", "mu"))),
            ),
            _semilep("bc", "e") + _semilep("bc", "mu"),
        )
        specs.append(
            ObservableSpec(
                name=label,
                flavio_name=f"Rtaul(B->{meson}lnu)",
                args=(),
                unit="1",
                latex=rf"${tex}$",
                description=f"BR(B->{meson} tau nu)/BR(B->{meson} l nu), l = e,mu averaged (flavio convention, B0 mode)",
                citation="HFLAV Spring 2025 preliminary R(D)-R(D*) average (hflav-eos semi/spring25 RDRDs page)",
                wc_names=_flat(num, den),
                form="rational",
                numerator=num,
                denominator=den,
                integrated=True,
            )
        )

    # --- b -> s l l: R(K), R(K*) in the LHCb 2022 bins -----------------------------------------------
    # flavio's <Rmue> divides two q^2 integrals of dGamma/dq^2 computed with epsrel = 5e-4
    # (bpll.bpll_obs_int_ratio_leptonflavour / bvll.bvll_obs_int_ratio_leptonflavour); QED running from
    # the input scale feeds C9_bsmumu into the electron channel, so both parts depend on both flavours.
    bsll = tuple(f"{c}_bs{l}" for l in ("mumu", "ee") for c in ("C9", "C10", "C9p", "C10p"))
    for mode, label, tex, fl in (
        ("B+->K", "R_K", r"R_K", "<Rmue>(B+->Kll)"),
        ("B0->K*", "R_Kstar", r"R_{K^*}", "<Rmue>(B0->K*ll)"),
    ):
        for q2 in ((0.1, 1.1), (1.1, 6.0)):
            num = _part(((1.0, f"Gamma_int({mode}mumu)", q2),), (bsll,))
            den = _part(((1.0, f"Gamma_int({mode}ee)", q2),), (bsll,))
            specs.append(
                ObservableSpec(
                    name=f"{label}[{q2[0]},{q2[1]}]",
                    flavio_name=fl,
                    args=q2,
                    unit="1",
                    latex=rf"${tex}\,[{q2[0]},{q2[1]}]\,\mathrm{{GeV}}^2$",
                    description=f"ratio of partial BRs {mode}mumu / {mode}ee for q^2 in [{q2[0]}, {q2[1]}] GeV^2",
                    citation="LHCb, arXiv:2212.09152 and arXiv:2212.09153 (PRL 131 (2023) 051803; PRD 108 (2023) 032002)",
                    wc_names=bsll,
                    form="rational",
                    numerator=num,
                    denominator=den,
                    integrated=True,
                )
            )

    # --- (g-2)_mu -------------------------------------------------------------------------------------
    p = _part(((1.0, "a_mu", ()),), (("C7_mumu",),))
    specs.append(
        ObservableSpec(
            name="Delta_a_mu",
            flavio_name="a_mu",
            args=(),
            unit="1",
            latex=r"$\Delta a_\mu$",
            description="new-physics shift of the muon anomalous magnetic moment a_mu(NP) - a_mu(SM, flavio)",
            citation="Muon g-2 (FNAL) arXiv:2506.03069 world average; SM: Theory Initiative WP25 arXiv:2505.21476",
            wc_names=p.wc_names,
            form="linear",
            numerator=p,
            subtract_sm=True,
        )
    )

    # --- b -> s nu nu -----------------------------------------------------------------------------------
    pairs = tuple((i, j) for i in _NU for j in _NU)
    bsnn = tuple((f"CL_bs{i}{j}", f"CR_bs{i}{j}") for i, j in pairs)
    for fl, label, tex, cit in (
        ("BR(B+->Knunu)", "BR_B+_Knunu", r"\mathrm{BR}(B^+\to K^+\nu\bar\nu)", "Belle II, arXiv:2311.14647 (PRD 109 (2024) 112006)"),
        ("BR(B0->K*nunu)", "BR_B0_Kstarnunu", r"\mathrm{BR}(B^0\to K^{*0}\nu\bar\nu)", "Belle, arXiv:1702.03224 (PRD 96 (2017) 091101), 90% CL upper limit"),
    ):
        p = _part(((1.0, fl, ()),), bsnn)
        specs.append(
            ObservableSpec(
                name=label, flavio_name=fl, args=(), unit="1", latex=f"${tex}$",
                description=f"{fl} summed over neutrino flavours (short-distance; flavio excludes the tree-level B->tau nu background)",
                citation=cit, wc_names=p.wc_names, form="quadratic", numerator=p, integrated=True,
            )
        )

    # --- tau -> mu gamma ------------------------------------------------------------------------------
    p = _part(((1.0, "BR(tau->mugamma)", ()),), (("Cgamma_taumu", "Cgamma_mutau"),))
    specs.append(
        ObservableSpec(
            name="BR_tau_mugamma", flavio_name="BR(tau->mugamma)", args=(), unit="1",
            latex=r"$\mathrm{BR}(\tau\to\mu\gamma)$",
            description="lepton-flavour-violating radiative tau decay (pure new physics)",
            citation="Belle, arXiv:2103.12994 (JHEP 10 (2021) 019), 90% CL upper limit",
            wc_names=p.wc_names, form="quadratic", numerator=p,
        )
    )

    # --- B_s mixing -----------------------------------------------------------------------------------
    bsbs = tuple(f"{c}_bsbs" for c in ("CVLL", "CVRR", "CVLR", "CSLL", "CSRR", "CSLR", "CTLL", "CTRR"))
    p = _part(((1.0, "DeltaM_s", ()),), (bsbs,))
    specs.append(
        ObservableSpec(
            name="DeltaM_s", flavio_name="DeltaM_s", args=(), unit="GeV", latex=r"$\Delta M_s$",
            description="B_s - anti-B_s mass difference (flavio returns GeV; 1 ps^-1 = hbar/1e-12 s)",
            citation="LHCb, Nature Phys. 18 (2022) 1, legacy LHCb combination",
            wc_names=p.wc_names, form="sqrt_quadratic", numerator=p,
        )
    )

    # --- leptonic decays --------------------------------------------------------------------------------
    for fl, label, tex, quark, cit in (
        ("BR(Bc->taunu)", "BR_Bc_taunu", r"\mathrm{BR}(B_c\to\tau\nu)", "bc",
         "no measurement; constrained by the B_c lifetime (not included in the chi^2)"),
        ("BR(B+->taunu)", "BR_B+_taunu", r"\mathrm{BR}(B^+\to\tau^+\nu)", "bu",
         "PDG 2024 average (as shipped by flavio 2.7.1: PDG 2018 (1.09 +- 0.24)e-4)"),
    ):
        p = _part(((1.0, fl, ()),), _semilep(quark, "tau"))
        specs.append(
            ObservableSpec(
                name=label, flavio_name=fl, args=(), unit="1", latex=f"${tex}$",
                description=f"{fl}, summed over neutrino flavours", citation=cit,
                wc_names=p.wc_names, form="quadratic", numerator=p,
            )
        )
    return {s.name: s for s in specs}


#: toolkit name -> spec (read-only)
OBSERVABLES: Mapping[str, ObservableSpec] = MappingProxyType(_build())


def names() -> tuple[str, ...]:
    """All toolkit observable names, in registry order."""
    return tuple(OBSERVABLES)


def get(name: str) -> ObservableSpec:
    """The spec of toolkit observable ``name``; unknown names raise ``KeyError`` listing close matches.

    Also accepts a flavio observable name when it identifies one entry uniquely (e.g. ``"Rtaul(B->Dlnu)"``).
    """
    if name in OBSERVABLES:
        return OBSERVABLES[name]
    by_flavio = [s for s in OBSERVABLES.values() if s.flavio_name == name]
    if len(by_flavio) == 1:
        return by_flavio[0]
    candidates = list(OBSERVABLES) + [s.flavio_name for s in OBSERVABLES.values()]
    close = difflib.get_close_matches(name, candidates, n=4, cutoff=0.5)
    hint = f" Did you mean: {', '.join(dict.fromkeys(close))}?" if close else ""
    raise KeyError(f"unknown observable {name!r}.{hint} Known: {', '.join(OBSERVABLES)}")


def all_wc_names() -> tuple[str, ...]:
    """Union of the Wilson coefficients of all registered observables (WET flavio basis)."""
    out: list[str] = []
    for s in OBSERVABLES.values():
        out.extend(n for n in s.wc_names if n not in out)
    return tuple(out)
