r"""The right-handed-neutrino operators of :mod:`lqmodel.matching` as a file: definitions, sidecar write and read.

No WCxf basis contains operators with :math:`N_R`, so a WCxf export (``WilsonCoefficients.to_wcxf``)
cannot carry ``WilsonCoefficients.right_handed_nu``. They are written instead to a JSON *sidecar* next to
the WCxf file, ``<stem>.right_handed_nu.json`` (``wc.json`` → ``wc.right_handed_nu.json``), holding

* ``scale`` (GeV; the same matching scale as the WCxf file), ``eft`` = "WET";
* ``values``: name → ``[re, im]`` for every **non-zero** coefficient (absent names are zero);
* ``operators``: name → the operator it multiplies, and ``prefactors``: the normalisation of each family;
* ``convention``: :math:`\mathcal L_{\rm eff} = \sum_i C_i O_i` + h.c., every prefactor inside
  :math:`O_i`, new physics only (the WCxf convention; docs/matching.md §2–§3, docs/theory.md §c.3).

The names follow :mod:`lqmodel.matching` (the unbarred field is named first, as in the flavio basis):

* charged currents :math:`d_j\to u_i\ell N_k`, prefactor :math:`-\tfrac{4G_F}{\sqrt2}V_{ij}`:
  ``CVL_bctauN1`` :math:`(\bar c\gamma^\mu P_Lb)(\bar\tau\gamma_\mu P_RN_1)`, ``CVR`` (with :math:`P_Rb`),
  ``CSL`` :math:`(\bar cP_Lb)(\bar\tau P_RN_1)`, ``CSR`` :math:`(\bar cP_Rb)(\bar\tau P_RN_1)`,
  ``CT`` :math:`(\bar c\sigma^{\mu\nu}P_Rb)(\bar\tau\sigma_{\mu\nu}P_RN_1)`;
* :math:`b\to q` neutral currents (q = s, d), prefactor :math:`\tfrac{4G_F}{\sqrt2}V_{tb}V_{tq}^*\tfrac{e^2}{16\pi^2}`:
  ``CL_bsN1N2`` :math:`(\bar s_L\gamma^\mu b_L)(\bar N_2\gamma_\mu(1+\gamma_5)N_1)`, ``CR`` (with
  :math:`b_R`), ``CSR_bsN1nutau`` :math:`(\bar sP_Rb)(\bar\nu_\tau P_RN_1)`, ``CTR_bsN1nutau``
  :math:`(\bar s\sigma^{\mu\nu}P_Rb)(\bar\nu_\tau\sigma_{\mu\nu}P_RN_1)`, ``CSL_bsnutauN1``
  :math:`(\bar sP_Lb)(\bar N_1P_L\nu_\tau)`, ``CTL_bsnutauN1``
  :math:`(\bar s\sigma^{\mu\nu}P_Lb)(\bar N_1\sigma_{\mu\nu}P_L\nu_\tau)`.

Values are written as JSON numbers (Python's shortest round-trip repr), so :func:`read_sidecar` gives back
exactly the complex numbers that were written.

>>> operator_definition("CVR_bctauN1")
'(cbar gamma^mu P_R b)(taubar gamma_mu P_R N1)'
>>> sidecar_path("out/wc.yaml")
'out/wc.right_handed_nu.json'
"""
from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from typing import Any

from lqmodel.atomic import atomic_path

__all__ = ["FORMAT", "sidecar_path", "operator_definition", "write_sidecar", "read_sidecar"]

#: identifies the file kind and its version (checked on read)
FORMAT = "lqmodel right-handed-nu coefficients v1"

_LEPTON = r"(e|mu|tau)"
_CC = re.compile(rf"^C(VL|VR|SL|SR|T)_([bsd])([uc]){_LEPTON}(N\d+)$")
_NN = re.compile(r"^C(L|R)_b([sd])(N\d+)(N\d+)$")
_SR_TR = re.compile(rf"^C(SR|TR)_b([sd])(N\d+)nu{_LEPTON}$")
_SL_TL = re.compile(rf"^C(SL|TL)_b([sd])nu{_LEPTON}(N\d+)$")

PREFACTORS = {
    "charged current C{VL,VR,SL,SR,T}_<d><u><l>N<k>": "-(4 G_F/sqrt2) V_<u><d> (CKM element of the quark pair)",
    "neutral current C{L,R,SL,SR,TL,TR}_b<q>...": "(4 G_F/sqrt2) V_tb V_tq^* e^2/(16 pi^2), q = s, d",
}


def sidecar_path(wcxf_path: str | os.PathLike[str]) -> str:
    """``<stem>.right_handed_nu.json`` next to ``wcxf_path`` (its last extension replaced)."""
    path = os.fspath(wcxf_path)
    head, base = os.path.split(path)
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    return os.path.join(head, f"{stem}.right_handed_nu.json")


def operator_definition(name: str) -> str:
    """The operator multiplying coefficient ``name`` (plain-text Dirac structure; see the module docstring).

    Raises ``KeyError`` for a name that is not one of lqmodel's N_R operator names.
    """
    if m := _CC.match(name):
        kind, d, u, lep, n = m.groups()
        quark = {"VL": "gamma^mu P_L", "VR": "gamma^mu P_R", "SL": "P_L", "SR": "P_R",
                 "T": "sigma^munu P_R"}[kind]
        lepton = {"VL": "gamma_mu P_R", "VR": "gamma_mu P_R", "SL": "P_R", "SR": "P_R",
                  "T": "sigma_munu P_R"}[kind]
        return f"({u}bar {quark} {d})({lep}bar {lepton} {n})"
    if m := _NN.match(name):
        chir, q, n_a, n_b = m.groups()
        return f"({q}bar_{chir} gamma^mu b_{chir})({n_b}bar gamma_mu (1+gamma5) {n_a})"
    if m := _SR_TR.match(name):
        kind, q, n, lep = m.groups()
        g = "P_R" if kind == "SR" else "sigma^munu P_R"
        g2 = "P_R" if kind == "SR" else "sigma_munu P_R"
        return f"({q}bar {g} b)(nu_{lep}bar {g2} {n})"
    if m := _SL_TL.match(name):
        kind, q, lep, n = m.groups()
        g = "P_L" if kind == "SL" else "sigma^munu P_L"
        g2 = "P_L" if kind == "SL" else "sigma_munu P_L"
        return f"({q}bar {g} b)({n}bar {g2} nu_{lep})"
    raise KeyError(f"{name!r} is not an N_R operator name of lqmodel.matching")


def write_sidecar(wcxf_path: str | os.PathLike[str], scale: float,
                  coefficients: Mapping[str, complex]) -> str | None:
    """Write the non-zero ``coefficients`` (name → complex, at ``scale`` GeV) next to ``wcxf_path``.

    Returns the sidecar path, or None (and writes nothing) when every coefficient is zero. Atomic write.
    """
    nonzero = {k: complex(v) for k, v in sorted(coefficients.items()) if complex(v) != 0}
    if not nonzero:
        return None
    for k, v in nonzero.items():
        if not (math.isfinite(v.real) and math.isfinite(v.imag)):
            raise ValueError(f"N_R coefficient {k} is not finite ({v}); nothing written")
    side = sidecar_path(wcxf_path)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "note": ("Operators with the right-handed neutrino N_R, which no WCxf basis contains; the companion "
                 f"WCxf file {os.path.basename(os.fspath(wcxf_path))!s} holds the coefficients of its WCxf basis (WET "
                 "flavio or SMEFT Warsaw) at the same scale. Coefficients not listed are zero."),
        "eft": "WET",
        "scale": float(scale),
        "scale_unit": "GeV",
        "convention": ("L_eff = sum_i C_i O_i + h.c. (WCxf convention), every prefactor inside O_i; new physics "
                       "only; unbarred field named first (flavio naming); lqmodel.matching, docs/matching.md "
                       "§2-§3, docs/theory.md §c.3"),
        "prefactors": PREFACTORS,
        "values": {k: [v.real, v.imag] for k, v in nonzero.items()},
        "operators": {k: operator_definition(k) for k in nonzero},
    }
    with atomic_path(side) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
    return side


def read_sidecar(path: str | os.PathLike[str]) -> tuple[float, dict[str, complex]]:
    """``(scale [GeV], {name: complex})`` from a sidecar written by :func:`write_sidecar` (exact round trip)."""
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{os.fspath(path)} is not an lqmodel right-handed-nu sidecar (format {FORMAT!r})")
    values = {}
    for k, v in doc["values"].items():
        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v)):
            raise ValueError(f"{os.fspath(path)}: value of {k} must be [re, im], got {v!r}")
        operator_definition(k)  # unknown names are refused
        values[k] = complex(float(v[0]), float(v[1]))
    return float(doc["scale"]), values
