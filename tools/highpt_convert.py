r"""Build the Drell–Yan kernel files of ``observables/data/collider/highpt/`` from HighPT's public recasts (offline).

Usage::

    python tools/highpt_convert.py /path/to/HighPT-checkout

where the checkout is github.com/HighPT/HighPT (MIT licence, copyright F. Wilsch; commit
756d68fec4e400fe8e2e6fd0dcb696773f39ef92), of which only ``LHC_searches/`` and
``PartonLuminosities/PDF4LHC15/`` are read. Not imported by the package; needs numpy only.

What it computes (the yield formula of HighPT, manual arXiv:2207.10756, and the package's
``CrossSection.m``/``EventYield.m``/``Efficiencies.m``, re-implemented here):

* amplitudes in HighPT's form-factor normalisation (arXiv:2207.10714, as coded in ``FormFactors.m``): for the operator
  :math:`(\bar\ell_a\gamma^\mu P_X\ell_b)(\bar q_i\gamma_\mu P_Y q_j)` the reduced form factor
  :math:`\tilde F = F/v^2` (GeV⁻²) is :math:`e^2Q_\ell Q_q/\hat s` (photon),
  :math:`g_Z^{\ell X} g_Z^{qY}/(\hat s-m_Z^2+im_Z\Gamma_Z)` (Z), :math:`(g^2/2)/(\hat s-m_W^2+im_W\Gamma_W)`
  (W, CKM factor kept in the coefficient) and :math:`c/(x-M^2)` for a leptoquark in the t- (x = t̂) or
  u-channel (x = û), c being the coupling product of HighPT's ``Mediator.m``;
* spin-colour averaged :math:`d\hat\sigma/d\hat t=\frac{1}{48\pi}\sum\tilde F^\dagger M(z)\tilde F`
  with HighPT's interference matrix M (``FormFactors.m``): :math:`(1+z)^2` for equal, :math:`z^2` for
  opposite lepton/quark chiralities, z = t̂/ŝ. For the leptoquark the helicity weight and the propagator
  always pair into :math:`x^2/\hat s^2` over :math:`(x-M^2)^{1,2}`, and the scalar+tensor combination of
  S1 (and R2) collapses to :math:`|\kappa|^2/4` times the same weight (derivation in ``docs/collider.md``);
* :math:`\sigma_i=\int d\hat s\,\frac{1}{\hat s}\mathcal L_{q\bar q'}(\sqrt{\hat s})\,\hat\sigma(\hat s)`
  over the generated invariant-mass bin i (``BIN_MIN``–``BIN_MAX``) of each efficiency file, full angular
  range, PDF4LHC15 NNLO luminosities as tabulated by HighPT. This reproduces the shape of HighPT's own
  Monte Carlo cross sections (the ``XSEC`` column) bin by bin to 0.5 % (``validation_mc_xsec.npz``);
* the kernel in reconstructed bin j: :math:`K_j=\mathcal L_{\rm int}\sum_i\sigma_i\,\epsilon_{ij}` (events
  per unit coefficient), with HighPT's efficiency matrices :math:`\epsilon_{ij}`, at the tabulated masses
  1, 2, 3 TeV, plus the contact limit (M → ∞, scaled by M⁴ or M², with the 3 TeV efficiencies);
* observed events, SM background and the combined (background ⊕ Poisson) uncertainty of each search from its
  ``.dat`` file, with HighPT's default bin merging (``$DefaultCombinedBins`` of ``Experiments.m``, the
  version matching these bin counts): uncertainties added in quadrature, events and kernels summed.

Differences from HighPT's code, on purpose: the generated range of each efficiency row is the one it was
simulated for (``BIN_MIN``–``BIN_MAX`` of the file, e.g. 1150–15000 GeV for the last di-tau row) rather than
the search's m_ℓℓ list; for the mono-lepton searches the rows are generated m_ℓν bins (their ``XSEC`` column
follows the m_ℓν-binned cross section to 0.5 % and their events migrate to m_T below m_ℓν), so they are
integrated in m_ℓν, not in the lepton p_T as HighPT's ``EventYield.m`` does; the imaginary part of the Z/W
Breit–Wigner times an imaginary coupling product is dropped (suppressed by m Γ/ŝ < 10⁻³ in these bins).
"""
from __future__ import annotations

import glob
import math
import os
import re
import sys
from itertools import pairwise

import numpy as np

# --------------------------------------------------------------------------- electroweak inputs
# PDG 2022: m_Z, Gamma_Z, m_W, Gamma_W, G_F; alpha in the G_F scheme (HighPT's photon kernels are reproduced
# to 0.4 % with it, see tests/test_drell_yan.py).
MZ, GZ, MW, GW, GF = 91.1876, 2.4952, 80.379, 2.085, 1.1663787e-5
SW2 = 1.0 - MW**2 / MZ**2
ALPHA = math.sqrt(2.0) * GF * MW**2 * SW2 / math.pi
E2 = 4.0 * math.pi * ALPHA
G2 = E2 / SW2
GEV2_TO_FB = 0.3893794e12
MASSES = (1000.0, 2000.0, 3000.0)
VALIDATION_MASS = 1300.0

CHARGE = {"u": 2 / 3, "c": 2 / 3, "d": -1 / 3, "s": -1 / 3, "b": -1 / 3, "l": -1.0}
T3L = {"u": 0.5, "c": 0.5, "d": -0.5, "s": -0.5, "b": -0.5, "l": -0.5}


def gz(f: str, chir: str) -> float:
    """Z coupling e/(s_W c_W) (T3 - s_W^2 Q) of fermion f with chirality 'L' or 'R'."""
    t3 = T3L[f] if chir == "L" else 0.0
    return math.sqrt(E2 / (SW2 * (1 - SW2))) * (t3 - SW2 * CHARGE[f])


SEARCHES = {
    # name: (kind, lepton label in file names, binning, HighPT default merged bins (1-based, inclusive))
    "di-tau_ATLAS_2002_12223": ("NC", "tata", "MLL", []),
    "di-muon_CMS_2103_02708": ("NC", "mumu", "MLL", [(29, 30), (31, 41)]),
    "di-electron_CMS_2103_02708": ("NC", "ee", "MLL", [(43, 44), (45, 46), (47, 48), (49, 51), (52, 94)]),
    "muon-tau_CMS_2205_06709": ("LFV", "muta", "MLL", [(16, 17), (18, 25)]),
    "electron-tau_CMS_2205_06709": ("LFV", "eta", "MLL", [(19, 25)]),
    "electron-muon_CMS_2205_06709": ("LFV", "emu", "MLL", [(19, 25)]),
    "mono-tau_ATLAS-CONF-2021-025": ("CC", "tavt", "MLL", [(12, 16)]),
    "mono-muon_ATLAS_1906_05609": ("CC", "muvm", "MLL", [(27, 28), (29, 46)]),
    "mono-electron_ATLAS_1906_05609": ("CC", "eve", "MLL", [(33, 34), (35, 58)]),
}
UP, DOWN = ("u", "c"), ("d", "s", "b")


def terms_for(kind: str) -> list[tuple[str, str, str, str]]:
    """(term name, file pattern, channel 't'|'u', SM factor kind) for every kernel a search needs."""
    out = []
    if kind in ("NC", "LFV"):
        for qj in UP:
            for qi in UP:
                out.append((f"S1|V|{qj}{qi}", f"UPOLES/PVLL_00_{qj}{qi}_{{lep}}_S1_S1_", "u", "pure"))
                out.append((f"S1|S|{qj}{qi}", f"UPOLES/PSLL_00_{qj}{qi}_{{lep}}_S1_S1_", "u", "pure"))
        for qj in DOWN:
            for qi in DOWN:
                out.append((f"R2t|V|{qj}{qi}", f"TPOLES/PVRL_00_{qj}{qi}_{{lep}}_R2_R2_", "t", "pure"))
        if kind == "NC":
            for q in UP:
                out.append((f"S1|A|{q}{q}", f"UPOLES/PVLL_00_{q}{q}_{{lep}}_A_S1_", "u", "A"))
                out.append((f"S1|Z_LL|{q}{q}", f"UPOLES/PVLL_00_{q}{q}_{{lep}}_Z_S1_", "u", "Z_LL"))
                out.append((f"S1|Z_RR|{q}{q}", f"UPOLES/PVLL_00_{q}{q}_{{lep}}_Z_S1_", "u", "Z_RR"))
            for q in DOWN:
                out.append((f"R2t|A|{q}{q}", f"TPOLES/PVRL_00_{q}{q}_{{lep}}_A_R2_", "t", "A"))
                out.append((f"R2t|Z_LR|{q}{q}", f"TPOLES/PVRL_00_{q}{q}_{{lep}}_Z_R2_", "t", "Z_LR"))
    else:  # CC: quark-antiquark pairs of opposite type, both charges
        pairs = [(d, u) for d in DOWN for u in UP] + [(u, d) for u in UP for d in DOWN]
        for qj, qi in pairs:
            out.append((f"S1|V|{qj}{qi}", f"UPOLES/PVLL_00_{qj}{qi}_{{lep}}_S1_S1_", "u", "pure"))
            out.append((f"S1|S|{qj}{qi}", f"UPOLES/PSLL_00_{qj}{qi}_{{lep}}_S1_S1_", "u", "pure"))
            out.append((f"S1|W|{qj}{qi}", f"UPOLES/PVLL_00_{qj}{qi}_{{lep}}_W_S1_", "u", "W"))
            out.append((f"R2t|S|{qj}{qi}", f"TPOLES/PSLL_00_{qj}{qi}_{{lep}}_R2_R2_", "t", "pure"))
    return out


# --------------------------------------------------------------------------- reading HighPT files
def _strip_comments(text: str) -> str:
    return re.sub(r"\(\*.*?\*\)", "", text, flags=re.S)


def read_search(root: str, name: str) -> dict:
    """Bins, observed, SM background and combined uncertainty of one search (HighPT ``.dat`` file)."""
    with open(os.path.join(root, "LHC_searches", name, name + ".dat")) as fh:
        text = _strip_comments(fh.read())
    bins = text.split('"BINS"')[1]
    obs_edges = [float(x) for x in re.search(r'"OBSERVABLE"\s*->\s*\{([^}]*)\}', bins).group(1).split(",")]
    lumi = float(re.search(r'"LUMINOSITY"\s*->\s*([0-9.]+)', text).group(1))
    out = {"edges": np.array(obs_edges), "luminosity": lumi}
    for key, var in (("observed", "NEventsObserved"), ("background", "NEventsPredicted"),
                     ("sigma", "NEventsUncertainty")):
        body = re.search(r"\$" + var + r'\["[^"]+"\]\s*=\s*\{([^}]*)\}', text).group(1)
        out[key] = np.array([float(x.strip().replace("*^", "e")) for x in body.split(",")])
    n = len(obs_edges) - 1
    assert all(len(out[k]) == n for k in ("observed", "background", "sigma")), name
    return out


def read_kernel(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Generated-bin edges (lo, hi), reconstructed-bin edges, efficiency matrix eps[i, j] and XSEC column."""
    with open(path) as fh:
        header = [ln for ln in fh if ln.startswith("#")]
    reco = np.array([float(x) for x in header[-1][1:].split()])
    rows = np.loadtxt(path, comments="#", ndmin=2)
    return rows[:, 1], rows[:, 2], reco, rows[:, 3:], rows[:, 0]


def column_offset(reco: np.ndarray, edges: np.ndarray) -> int:
    """Index of the kernel's reconstructed column where the search's first bin starts (edges agree)."""
    k = int(np.argmin(np.abs(reco - edges[0])))
    n = len(edges) - 1
    assert np.allclose(reco[k:k + n], edges[:-1], rtol=2e-4), (reco[k:k + n], edges[:-1])
    return k


class Luminosity:
    """Parton luminosity L_{q qbar'}(sqrt(s)) of HighPT's tables, log-log interpolated."""

    def __init__(self, root: str, pdf: str = "PDF4LHC15"):
        self.dir = os.path.join(root, "PartonLuminosities", pdf)
        self.cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, q: str, qbar: str, m: np.ndarray) -> np.ndarray:
        key = f"{q}_{qbar}bar"
        if key not in self.cache:
            d = np.loadtxt(os.path.join(self.dir, key + ".dat"))
            d = d[d[:, 1] > 0]
            self.cache[key] = (np.log(d[:, 0]), np.log(d[:, 1]))
        x, y = self.cache[key]
        return np.where(m < math.exp(x[-1]), np.exp(np.interp(np.log(m), x, y)), 0.0)


_GL_S = np.polynomial.legendre.leggauss(64)
_GL_T = np.polynomial.legendre.leggauss(40)


def _t_intervals(s: np.ndarray, ptmin: float, ptmax: float):
    """t ranges (HighPT PartonCrossSection) with p_T in [ptmin, ptmax]; arrays of (lo, hi) pairs."""
    r1 = np.sqrt(1 - np.minimum(1.0, 4 * ptmin**2 / s))
    r2 = np.sqrt(1 - np.minimum(1.0, 4 * ptmax**2 / s)) if np.isfinite(ptmax) else np.zeros_like(s)
    t1, t2, t3, t4 = -s / 2 * (1 + r1), -s / 2 * (1 + r2), -s / 2 * (1 - r2), -s / 2 * (1 - r1)
    return [(t1, t2), (t3, t4)]


def sigma_hat(s: np.ndarray, M: float | None, sm: str, lep: str, q: str, qbar: str,
              ptmin: float, ptmax: float) -> np.ndarray:
    r"""Partonic cross section (GeV⁻²) for unit coefficient; M=None is the contact limit scaled by M^{2p}."""
    xg, wg = _GL_T
    total = np.zeros_like(s)
    for lo, hi in _t_intervals(s, ptmin, ptmax):
        half = (hi - lo) / 2
        t = lo[:, None] + half[:, None] * (xg[None, :] + 1)
        x2 = t**2 / s[:, None] ** 2
        if sm == "pure":
            f = x2 / (t - M**2) ** 2 if M is not None else x2  # * M^4 in the contact limit
        else:
            f = x2 / (t - M**2) if M is not None else -x2  # * M^2 in the contact limit
        total += half * (f * wg[None, :]).sum(axis=1)
    if sm == "A":
        total *= 2 * E2 * CHARGE[q] * CHARGE["l"] / s
    elif sm.startswith("Z"):
        cl, cq = sm[2], sm[3]
        total *= 2 * gz("l", cl) * gz(q, cq) * (s - MZ**2) / ((s - MZ**2) ** 2 + (MZ * GZ) ** 2)
    elif sm == "W":
        total *= 2 * (G2 / 2) * (s - MW**2) / ((s - MW**2) ** 2 + (MW * GW) ** 2)
    return total / (48 * math.pi)


def sigma_bin(lumi: Luminosity, lo: float, hi: float, M: float | None, sm: str, lep: str, qj: str, qi: str,
              binning: str) -> float:
    """sigma_i (fb) in one generated bin: m_ll in [lo, hi] (MLL) or p_T in [lo, hi] (PT)."""
    if binning == "MLL":
        mlo, mhi, ptmin, ptmax = lo, hi, 0.0, math.inf
    else:
        mlo, mhi, ptmin, ptmax = max(2 * lo, 400.0), 10000.0, lo, hi
    if mhi <= mlo:
        return 0.0
    xs, ws = _GL_S
    # Gauss-Legendre in log m, split into pieces of at most a factor 1.25 in m
    npieces = max(1, math.ceil(math.log(mhi / mlo) / math.log(1.25)))
    edges = np.exp(np.linspace(math.log(mlo), math.log(mhi), npieces + 1))
    total = 0.0
    for a, b in pairwise(edges):
        la, lb = math.log(a), math.log(b)
        lm = (la + lb) / 2 + (lb - la) / 2 * xs
        m = np.exp(lm)
        s = m**2
        # ds/s L(sqrt s) sigma_hat = 2 dm/m L sigma_hat = 2 dlnm L sigma_hat
        integrand = 2 * lumi(qj, qi, m) * sigma_hat(s, M, sm, lep, qj, qi, ptmin, ptmax)
        total += (lb - la) / 2 * float(np.sum(ws * integrand))
    return total * GEV2_TO_FB


def merge(arr: np.ndarray, groups, quadrature: bool = False) -> np.ndarray:
    """Merge bins (1-based inclusive ranges) along the last axis; sum, or add in quadrature."""
    n = arr.shape[-1]
    starts = {a - 1: b for a, b in groups}
    cols, k = [], 0
    while k < n:
        if k in starts:
            sl = arr[..., k:starts[k]]
            k = starts[k]
        else:
            sl = arr[..., k:k + 1]
            k += 1
        cols.append(np.sqrt((sl**2).sum(-1)) if quadrature else sl.sum(-1))
    return np.stack(cols, axis=-1)


# HighPT's own Monte Carlo cross sections (XSEC column of the efficiency files) folded with the same
# efficiencies: an independent check of the analytic sigma_i (tests/test_drell_yan.py)
MC_CHECKS = {
    ("di-tau_ATLAS_2002_12223", "R2t|V|bb", 2000.0), ("di-tau_ATLAS_2002_12223", "R2t|A|bb", 2000.0),
    ("di-tau_ATLAS_2002_12223", "S1|V|uu", 1000.0), ("di-tau_ATLAS_2002_12223", "S1|A|uu", 1000.0),
    ("mono-tau_ATLAS-CONF-2021-025", "S1|V|ud", 1000.0), ("mono-tau_ATLAS-CONF-2021-025", "S1|W|ud", 1000.0),
    ("muon-tau_CMS_2205_06709", "S1|V|uu", 2000.0),
}


def build(root: str, outdir: str) -> None:
    lumi = Luminosity(root)
    validation = {}
    mc = {}
    for name, (kind, lep, binning, groups) in SEARCHES.items():
        data = read_search(root, name)
        terms = terms_for(kind)
        n = len(data["edges"]) - 1
        K = np.zeros((len(terms), len(MASSES), n))
        Keft = np.zeros((len(terms), n))
        power = np.zeros(len(terms), dtype=np.int64)
        keep = []
        for it, (tname, pattern, _channel, sm) in enumerate(terms):
            _, _, qq = tname.split("|")
            qj, qi = qq[0], qq[1]
            ok = True
            for im, M in enumerate(MASSES):
                files = glob.glob(os.path.join(root, "LHC_searches", name, "Mediators", f"GeV_{int(M)}",
                                               pattern.format(lep=lep) + "*.dat"))
                if len(files) != 1:
                    ok = False
                    break
                lo, hi, reco, eps, _ = read_kernel(files[0])
                off = column_offset(reco, data["edges"])
                eps = eps[:, off:off + n]
                sig = np.array([sigma_bin(lumi, a, b, M, sm, lep, qj, qi, binning)
                                for a, b in zip(lo, hi, strict=True)])
                K[it, im] = data["luminosity"] * sig @ eps
                if (name, tname, M) in MC_CHECKS:
                    _, _, _, _, xsec = read_kernel(files[0])
                    mc[f"{name}|{tname}|{int(M)}"] = merge(data["luminosity"] * xsec @ eps, groups)
                if im == len(MASSES) - 1:
                    sig0 = np.array([sigma_bin(lumi, a, b, None, sm, lep, qj, qi, binning)
                                     for a, b in zip(lo, hi, strict=True)])
                    Keft[it] = data["luminosity"] * sig0 @ eps / 1e6 ** (2 if sm == "pure" else 1)
            if not ok:
                continue
            power[it] = 2 if sm == "pure" else 1
            keep.append(it)
            if name == "di-tau_ATLAS_2002_12223" and tname.startswith("R2t|") and qq == "bb":
                f13 = glob.glob(os.path.join(root, "LHC_searches", name, "Mediators", "GeV_1300",
                                             pattern.format(lep=lep) + "*.dat"))
                if len(f13) == 1:
                    lo, hi, reco, eps, _ = read_kernel(f13[0])
                    off = column_offset(reco, data["edges"])
                    sig = np.array([sigma_bin(lumi, a, b, VALIDATION_MASS, sm, lep, qj, qi, binning)
                                    for a, b in zip(lo, hi, strict=True)])
                    validation[tname] = merge(data["luminosity"] * sig @ eps[:, off:off + n], groups)
        keep = np.array(keep)
        edges = data["edges"]
        merged_edges = np.concatenate([[edges[0]], merge(np.diff(edges)[None, :], groups)[0].cumsum() + edges[0]])
        np.savez_compressed(
            os.path.join(outdir, name + ".npz"),
            term_names=np.array([terms[i][0] for i in keep]),
            power=power[keep],
            masses_GeV=np.array(MASSES),
            kernels=merge(K[keep], groups),
            kernels_contact=merge(Keft[keep], groups),
            observed=merge(data["observed"], groups),
            background=merge(data["background"], groups),
            sigma=merge(data["sigma"], groups, quadrature=True),
            bin_edges_GeV=merged_edges,
            luminosity_fb=np.array(data["luminosity"]),
        )
        print(f"{name}: {len(keep)} terms, {len(merged_edges) - 1} bins")
    np.savez_compressed(os.path.join(outdir, "validation_di-tau_1300GeV.npz"),
                        term_names=np.array(sorted(validation)),
                        kernels=np.array([validation[k] for k in sorted(validation)]),
                        mass_GeV=np.array(VALIDATION_MASS))
    keys = sorted(mc)
    np.savez_compressed(os.path.join(outdir, "validation_mc_xsec.npz"), keys=np.array(keys),
                        **{f"k{i}": mc[k] for i, k in enumerate(keys)})


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    here = os.path.dirname(os.path.abspath(__file__))
    build(sys.argv[1], os.path.join(here, "..", "observables", "data", "collider", "highpt"))
