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

Each spec also names its *constraint group* (:data:`GROUPS`: "b->c tau nu", "charged-current LFU", "b->s ll",
...): :func:`observables.likelihood.chi2` returns one ``"group:<group>"`` entry per group, the scan writes
``dchi2_group_<slug>`` / ``excluded_<slug>`` columns (:func:`group_slug`) and the maps draw one layer per group.
``docs/observables.md`` lists every observable with its group, prediction route and measurement.

No leptoquark knowledge lives here: these are generic WET statements.

>>> from observables.registry import get, OBSERVABLES
>>> get("R_D").flavio_name
'Rtaul(B->Dlnu)'
>>> get("R_K[1.1,6.0]").args
(1.1, 6.0)
>>> get("R_Dstr")
Traceback (most recent call last):
...
KeyError: "unknown observable 'R_Dstr'. Did you mean: R_Dstar, Rmue_Dstar, Rtaumu_Dstar, R_D? ..."
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["Term", "Part", "ObservableSpec", "OBSERVABLES", "GROUPS", "get", "names", "all_wc_names", "groups",
           "group_slug"]

#: constraint groups, in the order the maps draw them (ObservableSpec.group)
GROUPS = ("b->c tau nu", "charged-current LFU", "b->s ll", "b->s nu nu", "b->s gamma", "meson mixing", "kaons",
          "charm", "dipoles", "LFV", "leptonic", "EW/tau")

_NU = ("nue", "numu", "nutau")
_TEX_LEP = {"e": "e", "mu": r"\mu", "tau": r"\tau"}
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
    group: str = ""  # constraint group (one of GROUPS): chi2 per group, one map layer per group
    #: "WET": wc_names are WET flavio-basis names at the input scale; "SMEFT": SMEFT Warsaw names at the
    #: matching scale (flavio/wilson run them through the SMEFT RGE and match to WET; docs/electroweak.md)
    basis: str = "WET"

    def __post_init__(self) -> None:
        if self.form not in ("quadratic", "linear", "rational", "sqrt_quadratic"):
            raise ValueError(f"unknown form {self.form!r}")
        if self.basis not in ("WET", "SMEFT"):
            raise ValueError(f"{self.name}: unknown basis {self.basis!r}; allowed: 'WET', 'SMEFT'")
        if self.group not in GROUPS:
            raise ValueError(f"{self.name}: unknown constraint group {self.group!r}; allowed: {', '.join(GROUPS)}")
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
                description=f"BR(B->{meson} tau nu)/BR(B->{meson} l nu), l = e,mu averaged "
                            "(flavio convention, B0 mode)",
                citation="HFLAV Spring 2025 preliminary R(D)-R(D*) average (hflav-eos semi/spring25 RDRDs page)",
                wc_names=_flat(num, den),
                form="rational",
                numerator=num,
                denominator=den,
                integrated=True,
                group="b->c tau nu",
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
                    citation="LHCb, arXiv:2212.09152 and arXiv:2212.09153 "
                             "(PRL 131 (2023) 051803; PRD 108 (2023) 032002)",
                    wc_names=bsll,
                    form="rational",
                    numerator=num,
                    denominator=den,
                    integrated=True,
                    group="b->s ll",
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
            group="dipoles",
        )
    )

    # --- b -> s nu nu -----------------------------------------------------------------------------------
    pairs = tuple((i, j) for i in _NU for j in _NU)
    bsnn = tuple((f"CL_bs{i}{j}", f"CR_bs{i}{j}") for i, j in pairs)
    for fl, label, tex, cit in (
        ("BR(B+->Knunu)", "BR_B+_Knunu", r"\mathrm{BR}(B^+\to K^+\nu\bar\nu)",
         "Belle II, arXiv:2311.14647 (PRD 109 (2024) 112006)"),
        ("BR(B0->K*nunu)", "BR_B0_Kstarnunu", r"\mathrm{BR}(B^0\to K^{*0}\nu\bar\nu)",
         "Belle, arXiv:1702.03224 (PRD 96 (2017) 091101), 90% CL upper limit"),
    ):
        p = _part(((1.0, fl, ()),), bsnn)
        specs.append(
            ObservableSpec(
                name=label, flavio_name=fl, args=(), unit="1", latex=f"${tex}$",
                description=f"{fl} summed over neutrino flavours "
                            "(short-distance; flavio excludes the tree-level B->tau nu background)",
                citation=cit, wc_names=p.wc_names, form="quadratic", numerator=p, integrated=True,
                group="b->s nu nu",
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
            wc_names=p.wc_names, form="quadratic", numerator=p, group="LFV",
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
            wc_names=p.wc_names, form="sqrt_quadratic", numerator=p, group="meson mixing",
        )
    )

    # --- leptonic decays --------------------------------------------------------------------------------
    for fl, label, tex, quark, cit, grp in (
        ("BR(Bc->taunu)", "BR_Bc_taunu", r"\mathrm{BR}(B_c\to\tau\nu)", "bc",
         "no measurement; bounded by the B_c lifetime (vintage 2026-12: BR < 60%, Blanke et al. arXiv:1811.09603; "
         "option BR < 30%, Alonso, Grinstein, Martin Camalich arXiv:1611.06676)", "b->c tau nu"),
        ("BR(B+->taunu)", "BR_B+_taunu", r"\mathrm{BR}(B^+\to\tau^+\nu)", "bu",
         "PDG 2024 average (as shipped by flavio 2.7.1: PDG 2018 (1.09 +- 0.24)e-4)", "leptonic"),
    ):
        p = _part(((1.0, fl, ()),), _semilep(quark, "tau"))
        specs.append(
            ObservableSpec(
                name=label, flavio_name=fl, args=(), unit="1", latex=f"${tex}$",
                description=f"{fl}, summed over neutrino flavours", citation=cit,
                wc_names=p.wc_names, form="quadratic", numerator=p, group=grp,
            )
        )
    specs.extend(_build_extra())
    specs.extend(_build_electroweak())
    return {s.name: s for s in specs}


def _single(name: str, fl: str, args: tuple, unit: str, tex: str, desc: str, cit: str,
            blocks: tuple[tuple[str, ...], ...], form: str, group: str, integrated: bool = False) -> ObservableSpec:
    """One spec whose numerator is the flavio observable itself."""
    p = _part(((1.0, fl, args),), blocks)
    return ObservableSpec(name=name, flavio_name=fl, args=args, unit=unit, latex=f"${tex}$", description=desc,
                          citation=cit, wc_names=p.wc_names, form=form, numerator=p, integrated=integrated,
                          group=group)


def _build_extra() -> list[ObservableSpec]:
    """Charged-current universality, b -> s ll / gamma rates, kaons, charm, tau LFV (lqmodel issue 8).

    Coefficient lists: every WET flavio-basis coefficient the flavio 2.7.1 prediction function reads for that
    process (checked against the installed flavio source: bdecays/bll.py, bpll.py, bxgamma.py,
    kdecays/kpinunu.py, mesonmixing/amplitude.py, taudecays/tau3l.py, tauvl.py); one interference block unless
    the final states are incoherent (neutrino flavours).
    """
    out: list[ObservableSpec] = []
    # --- charged-current lepton-flavour universality: flavio BR_tot_leptonflavour (B0 modes), num/den
    for meson, tag, tex in (("D", "D", "D"), ("D*", "Dstar", "D^*")):
        for num_l, den_l, label, fl, grp, cit, desc in (
            ("mu", "e", f"Rmue_{tag}", f"Rmue(B->{meson}lnu)", "charged-current LFU",
             "Belle arXiv:1809.03290 (D*), Belle II BELLE2-CONF-PH-2021 (D); published as R_e/mu, inverted",
             f"BR(B0->{meson} mu nu)/BR(B0->{meson} e nu) (flavio convention mu/e; experiments quote e/mu)"),
            ("tau", "mu", f"Rtaumu_{tag}", f"Rtaumu(B->{meson}lnu)", "b->c tau nu",
             "prediction only (LHCb normalises R(D(*)) to the muon mode; the HFLAV average is used in the chi^2)",
             f"BR(B0->{meson} tau nu)/BR(B0->{meson} mu nu), the definition of the LHCb muonic-tau measurements"),
        ):
            num = _part(((1.0, f"BR(B0->{meson}{num_l}nu)", ()),), _semilep("bc", num_l))
            den = _part(((1.0, f"BR(B0->{meson}{den_l}nu)", ()),), _semilep("bc", den_l))
            out.append(ObservableSpec(
                name=label, flavio_name=fl, args=(), unit="1",
                latex=rf"$R_{{{_TEX_LEP[num_l]}/{_TEX_LEP[den_l]}}}({tex})$",
                description=desc, citation=cit, wc_names=_flat(num, den), form="rational", numerator=num,
                denominator=den, integrated=True, group=grp))

    # --- b -> s l l rates
    def bsll(lep: str, scalar: bool = True) -> tuple[str, ...]:
        names = [f"{c}_bs{lep}{lep}" for c in ("C9", "C10", "C9p", "C10p")]
        if scalar:
            names += [f"{c}_bs{lep}{lep}" for c in ("CS", "CSp", "CP", "CPp")]
        return tuple(names)

    out.append(_single("BR_Bs_mumu", "BR(Bs->mumu)", (), "1", r"\overline{\mathrm{BR}}(B_s\to\mu^+\mu^-)",
                       "time-integrated BR(B_s -> mu mu) (flavio bll.br_timeint)",
                       "PDG 2024 average of LHCb arXiv:2108.09283, CMS arXiv:2212.10311, ATLAS arXiv:1812.03017",
                       (bsll("mu"),), "quadratic", "b->s ll"))
    out.append(_single("BR_Bs_tautau", "BR(Bs->tautau)", (), "1", r"\overline{\mathrm{BR}}(B_s\to\tau^+\tau^-)",
                       "time-integrated BR(B_s -> tau tau)",
                       "LHCb arXiv:1703.02508 (PRL 118 (2017) 251802), 95% CL upper limit",
                       (bsll("tau"),), "quadratic", "b->s ll"))
    out.append(_single("BR_B+_Ktautau", "BR(B+->Ktautau)", (), "1", r"\mathrm{BR}(B^+\to K^+\tau^+\tau^-)",
                       "BR(B+ -> K+ tau tau), q^2 integrated from 4 m_tau^2",
                       "Belle + Belle II arXiv:2603.24437, 90% CL upper limit (BaBar arXiv:1605.09637 before)",
                       (bsll("tau") + ("C7_bs", "C7p_bs"),), "quadratic", "b->s ll", integrated=True))
    out.append(_single("dBR_B+_Kmumu[15.0,22.0]", "<dBR/dq2>(B+->Kmumu)", (15.0, 22.0), "GeV^-2",
                       r"\langle d\mathrm{BR}/dq^2\rangle(B^+\to K^+\mu^+\mu^-)\,[15,22]\,\mathrm{GeV}^2",
                       "q^2-averaged differential BR of B+ -> K+ mu mu at high q^2 (flavio bin average, GeV^-2)",
                       "LHCb arXiv:1403.8044 (JHEP 06 (2014) 133), bin [15, 22] GeV^2",
                       (bsll("mu", scalar=False) + ("C7_bs", "C7p_bs"),), "quadratic", "b->s ll", integrated=True))
    out.append(_single("BR_B_Xsgamma", "BR(B->Xsgamma)", (), "1", r"\mathrm{BR}(B\to X_s\gamma)",
                       "inclusive B -> X_s gamma, E_gamma > 1.6 GeV (flavio bxgamma, Misiak et al. NNLO)",
                       "HFLAV 2021 average arXiv:2206.07501 (E_gamma > 1.6 GeV)",
                       (("C7_bs", "C7p_bs", "C8_bs", "C8p_bs"),), "quadratic", "b->s gamma"))

    # --- kaons
    pairs = tuple((i, j) for i in _NU for j in _NU)
    sdnn = tuple((f"CL_sd{i}{j}", f"CR_sd{i}{j}") for i, j in pairs)
    out.append(_single("BR_K+_pinunu", "BR(K+->pinunu)", (), "1", r"\mathrm{BR}(K^+\to\pi^+\nu\bar\nu)",
                       "BR(K+ -> pi+ nu nu) summed over neutrino flavours",
                       "NA62 2016-2024, arXiv:2604.12649", sdnn, "quadratic", "kaons"))
    out.append(_single("BR_KL_pinunu", "BR(KL->pinunu)", (), "1", r"\mathrm{BR}(K_L\to\pi^0\nu\bar\nu)",
                       "BR(K_L -> pi0 nu nu) summed over neutrino flavours",
                       "KOTO arXiv:2411.11237 (PRL 134 (2025) 081802), 90% CL upper limit", sdnn, "quadratic", "kaons"))
    dF2 = ("CVLL", "CVRR", "CVLR", "CSLL", "CSRR", "CSLR", "CTLL", "CTRR")
    out.append(_single("eps_K", "eps_K", (), "1", r"|\epsilon_K|",
                       "indirect CP violation in K0 mixing (flavio: kappa_eps Im M12 / (sqrt2 Delta M_K^exp)); "
                       "linear in C",
                       "PDG 2024: |eps_K| = (2.228 +- 0.011)e-3", (tuple(f"{c}_sdsd" for c in dF2),), "quadratic",
                       "kaons"))
    # --- charm
    out.append(_single("x12_D", "x12_D", (), "1", r"x_{12}^D",
                       "D0 mixing x_12 = 2|M_12| tau_D (flavio; SM short distance only)",
                       "UTfit global charm-mixing analysis, arXiv:2409.06449 (PRD 112 (2025) 013004)",
                       (tuple(f"{c}_ucuc" for c in dF2),), "sqrt_quadratic", "charm"))
    # C9 and C9p are variables too: flavio/wilson's QED running mixes them into C10 below the matching scale
    out.append(_single("BR_D0_mumu", "BR(D0->mumu)", (), "1", r"\mathrm{BR}(D^0\to\mu^+\mu^-)",
                       "BR(D0 -> mu mu), short-distance new physics (observables.charm; not a flavio 2.7.1 "
                       "observable: WET cu coefficients run to 2 GeV by flavio/wilson; docs/charm.md)",
                       "LHCb arXiv:2212.11203 (PRL 131 (2023) 041804), 90% CL upper limit",
                       (tuple(f"{c}_cumumu" for c in ("C9", "C9p", "C10", "C10p", "CS", "CSp", "CP", "CPp")),),
                       "quadratic", "charm"))
    # --- tau LFV
    out.append(_single("BR_tau_mumumu", "BR(tau->mumumu)", (), "1", r"\mathrm{BR}(\tau\to3\mu)",
                       "tau -> 3 mu (flavio tau3l: four-lepton operators and the photon dipole)",
                       "Belle II arXiv:2405.07386 (JHEP 09 (2024) 062), 90% CL upper limit",
                       (("Cgamma_taumu", "Cgamma_mutau", "CVLL_mumutaumu", "CVLR_mumutaumu", "CVLR_taumumumu",
                         "CVRR_mumutaumu", "CSRR_mumumutau", "CSRR_mumutaumu"),), "quadratic", "LFV"))
    out.append(_single("BR_tau_phimu", "BR(tau->phimu)", (), "1", r"\mathrm{BR}(\tau\to\phi\mu)",
                       "tau -> phi mu (flavio tauvl: (ss)(mu tau) vector/tensor operators and the photon dipole)",
                       "Belle arXiv:2305.04759 (JHEP 06 (2023) 118), 90% CL upper limit",
                       (("CVLL_taumuss", "CVLR_taumuss", "CVLR_sstaumu", "CVRR_taumuss", "CTRR_mutauss",
                         "CTRR_taumuss", "Cgamma_taumu", "Cgamma_mutau"),), "quadratic", "LFV"))
    return out


#: SMEFT Warsaw classes that are variables of the EW specs: the semileptonic four-fermion operators a scalar
#: leptoquark (S1, R2~) produces at tree level
_SMEFT_SEMILEPTONIC = ("lq1", "lq3", "eu", "ld", "lequ1", "lequ3")


def _smeft_names() -> tuple[str, ...]:
    """Stored (non-redundant) WCxf Warsaw entries of the classes in ``_SMEFT_SEMILEPTONIC``: p < r (any s, t)
    and p = r, s <= t for the hermitian-type classes; all 81 for lequ1/lequ3 (wilson 2.5.2 basis file)."""
    out = []
    r3 = range(1, 4)
    for cls in _SMEFT_SEMILEPTONIC:
        herm = not cls.startswith("lequ")
        out += [f"{cls}_{p}{r}{s}{t}" for p in r3 for r in r3 for s in r3 for t in r3
                if not herm or p < r or (p == r and s <= t)]
    return tuple(out)


def _build_electroweak() -> list[ObservableSpec]:
    r"""Z-pole, W and tau-decay observables (group "EW/tau"; lqmodel issue 8 item 3), basis "SMEFT".

    Variables: the SMEFT Warsaw semileptonic coefficients at the matching scale; flavio 2.7.1 runs them with
    wilson's SMEFT RGE to the Z mass (zdecays/, wdecays/: Brivio-Trott arXiv:1706.08945 App. A.1 shifts of
    the Z/W couplings) or matches to WET and runs to m_tau (taudecays/taulnunu.py). Ratios are split into
    numerator and denominator (each quadratic in the couplings, hence in the C_i): R_l = Gamma_had/Gamma_ll,
    A_f = 2 g_V g_A / (g_V^2 + g_A^2), R_tau/mu(W) = Gamma(W->tau nu)/Gamma(W->mu nu); the internal quantities
    are those of observables.flavio_backend.EW_QUANTITIES. One interference block (the Z couplings mix
    everything). Details and accuracy: docs/electroweak.md.
    """
    # + the flavour-diagonal Higgs-current coefficients that carry the finite one-loop Z/W terms
    # (lqmodel.ew_oneloop via match_smeft; docs/electroweak.md §5)
    names = _smeft_names() + tuple(f"{c}_{p}{p}" for c in ("phil1", "phil3", "phie") for p in (1, 2, 3))
    blocks = (names,)
    out: list[ObservableSpec] = []
    lep_tex = {"e": "e", "mu": r"\mu", "tau": r"\tau"}
    lep3 = "LEP/SLD, arXiv:hep-ex/0509008 (Phys. Rept. 427 (2006) 257), lepton-non-universal fit"
    for lep in ("e", "mu", "tau"):
        num = _part(((1.0, "Gamma_had(Z)", ()),), blocks)
        den = _part(((1.0, f"Gamma(Z->{lep}{lep})", ()),), blocks)
        out.append(ObservableSpec(
            name=f"R_{lep}_Z", flavio_name=f"R_{lep}", args=(), unit="1", latex=f"$R_{{{lep_tex[lep]}}}^0$",
            description=f"Gamma(Z -> hadrons)/Gamma(Z -> {lep} {lep}) at the Z pole", citation=lep3,
            wc_names=names, form="rational", numerator=num, denominator=den, group="EW/tau", basis="SMEFT"))
    num = _part(((1.0, "Z_2gVgA(tau)", ()),), blocks)
    den = _part(((1.0, "Z_gV2+gA2(tau)", ()),), blocks)
    out.append(ObservableSpec(
        name="A_tau_Z", flavio_name="A(Z->tautau)", args=(), unit="1", latex=r"$\mathcal A_\tau$",
        description="Z -> tau tau asymmetry parameter A_tau = 2 g_V g_A/(g_V^2 + g_A^2)",
        citation="LEP tau polarisation, arXiv:hep-ex/0509008 (A_tau from P_tau)", wc_names=names,
        form="rational", numerator=num, denominator=den, group="EW/tau", basis="SMEFT"))
    p = _part(((1.0, "Gamma(Z->nunu)", ()),), blocks)
    out.append(ObservableSpec(
        name="Gamma_Z_nunu", flavio_name="Gamma(Z->nunu)", args=(), unit="GeV",
        latex=r"$\Gamma(Z\to\nu\bar\nu)$",
        description="invisible Z width per neutrino flavour, Gamma_inv/3 (flavio: sum of the 9 nu_i nu_j / 3)",
        citation="LEP Gamma_inv, arXiv:hep-ex/0509008", wc_names=names, form="quadratic", numerator=p,
        group="EW/tau", basis="SMEFT"))
    num = _part(((1.0, "Gamma(W->taunu)", ()),), blocks)
    den = _part(((1.0, "Gamma(W->munu)", ()),), blocks)
    out.append(ObservableSpec(
        name="Rtaumu_W", flavio_name="Rtaumu(W->lnu)", args=(), unit="1", latex=r"$R_{\tau/\mu}(W)$",
        description="BR(W -> tau nu)/BR(W -> mu nu), each summed over neutrino flavours",
        citation="ATLAS, arXiv:2007.14040 (Nature Phys. 17 (2021) 813)", wc_names=names, form="rational",
        numerator=num, denominator=den, group="EW/tau", basis="SMEFT"))
    for lep in ("e", "mu"):
        p = _part(((1.0, f"BR(tau->{lep}nunu)", ()),), blocks)
        out.append(ObservableSpec(
            name=f"BR_tau_{lep}nunu", flavio_name=f"BR(tau->{lep}nunu)", args=(), unit="1",
            latex=rf"$\mathrm{{BR}}(\tau\to {lep_tex[lep]}\nu\bar\nu)$",
            description=(f"BR(tau -> {lep} nu nu) (flavio taulnunu: WET at m_tau, G_F from muon decay); "
                         "(g_tau/g_mu)^2 = BR(tau->e nu nu)/SM, (g_tau/g_e)^2 = BR(tau->mu nu nu)/SM"),
            citation="PDG 2024 fit (S. Navas et al., PRD 110 (2024) 030001)", wc_names=names,
            form="quadratic", numerator=p, group="EW/tau", basis="SMEFT"))
    return out


def groups() -> dict[str, tuple[str, ...]]:
    """Constraint group -> toolkit names of its observables (registry order; empty groups left out)."""
    out: dict[str, list[str]] = {}
    for s in OBSERVABLES.values():
        out.setdefault(s.group, []).append(s.name)
    return {g: tuple(out[g]) for g in GROUPS if g in out}


def group_slug(group: str) -> str:
    """Column-safe name of a constraint group: ``"b->s ll"`` -> ``"b_s_ll"``, ``"EW/tau"`` -> ``"EW_tau"``.

    >>> group_slug("b->c tau nu"), group_slug("charged-current LFU")
    ('b_c_tau_nu', 'charged_current_LFU')
    """
    import re

    if group not in GROUPS:
        raise KeyError(f"unknown constraint group {group!r}; allowed: {', '.join(GROUPS)}")
    return re.sub(r"[^A-Za-z0-9]+", "_", group).strip("_")


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


def all_wc_names(basis: str = "WET") -> tuple[str, ...]:
    """Union of the Wilson coefficients of all registered observables of ``basis`` ("WET": flavio basis;
    "SMEFT": Warsaw)."""
    out: list[str] = []
    for s in OBSERVABLES.values():
        if s.basis != basis:
            continue
        out.extend(n for n in s.wc_names if n not in out)
    return tuple(out)
