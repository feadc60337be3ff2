"""``lqmodel point``: evaluate one parameter point (a point file or a built-in benchmark).

Usage::

    lqmodel point FILE [--json] [--flavour] [--collider]
    lqmodel point --benchmark NAME [--json] [--flavour] [--collider]
    lqmodel point --list-benchmarks [--json]
    lqmodel point FILE|--benchmark NAME --solve-for y1y2 --target-mu MU_B [--json]   # adds "solve"
    lqmodel point FILE|--benchmark NAME --darknews PATH     # DarkNews keyword arguments (mu_tr_*4, GeV^-1)

With ``--json`` one JSON object is printed with (at least):

* ``mu_nu_muB``: lepton e/mu/tau -> |mu_{alpha N1}| in Bohr magnetons (normalisation
  L = (mu/2) nubar_L sigma^{mu nu} N_R F_{mu nu} + h.c., docs/theory.md §a.1);
* ``m_nuN_GeV``: lepton -> |m_{alpha N1}| in GeV, ``null`` where it is UV-divergent (c_R != c_S);
* ``mu_nu_muB_complex``: lepton -> [Re, Im] of mu_{alpha N1} (Re magnetic, Im electric moment);
* ``uv_divergent``: lepton -> bool;
* ``neutrino_mass``: the neutral-lepton mass side (:func:`lqmodel.neutrino_mass.summary`,
  docs/neutrino_mass.md): ``m_light_eV`` (three light masses), ``M_heavy_eV``, ``U2`` (lepton ->
  |U_alpha N1|^2), ``m_D_eV`` (lepton -> |total Dirac mass| = |y_nu v/sqrt2 + m_nuN|), ``m_D_max_eV``,
  ``tuning`` (Delta), ``bound``, plus ``scheme`` / ``uv_divergent_loop`` (MSbar at mu = m_LQ where the loop
  mass is UV-divergent) and details (``m_D_tree_eV``, ``m_D_loop_eV``, ``tuning_S1_same_mu``, ...);
* ``inputs``: the point as understood (all matrices, m_b and its scheme, basis, ...);
* ``units``; ``benchmark`` (name, source, expected numbers) with ``--benchmark``;
* with ``--flavour``: ``observables``, ``chi2``, ``wilson_coefficients`` from
  :func:`lqmodel.flavour.flavour_summary`, plus ``sm_predictions`` (flavio's SM central value per toolkit
  observable), ``measurements`` (the default vintage: value and experimental uncertainty, or limit and CL),
  ``pulls`` and ``measurement_vintage``; the text output shows them as one table (4 significant digits);
* ``collider_verdict``: one line, what the LHC says (pair production recast to the point's branching
  ratios, Drell-Yan tails when available; :func:`lqmodel.collider.collider_verdict`);
* with ``--collider``: ``widths_GeV``, ``Gamma_over_m``, ``branching_ratios``, ``pair_production``,
  ``drell_yan``, ``excluded``, ``limits_vintage``, ``collider_notes`` from
  :func:`lqmodel.collider.collider_summary` (searches and sources: docs/collider.md).

The moments come from :func:`lqmodel.moments.compute_moments`. Errors: one line on stderr, exit 2.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "point",
        help="evaluate a point file or built-in benchmark: mu_nu, m_nuN (and flavour with --flavour)",
        description="Evaluate one parameter point: transition moments |mu_{alpha N1}| (mu_B) and radiative "
        "Dirac masses |m_{alpha N1}| (GeV). The point file format is documented in lqmodel.pointfile.",
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="point file (YAML or JSON)")
    p.add_argument("--benchmark", metavar="NAME", help="evaluate the built-in benchmark NAME instead of a file")
    p.add_argument("--list-benchmarks", action="store_true", help="list the built-in benchmarks and exit")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--flavour", action="store_true",
                   help="add flavour observables, chi2 and Wilson coefficients (lqmodel.flavour)")
    p.add_argument("--collider", action="store_true",
                   help="add LHC widths, branching ratios, pair-production and Drell-Yan verdicts (lqmodel.collider)")
    p.add_argument("--wcxf-smeft", metavar="PATH",
                   help="also write the tree-level SMEFT (Warsaw) coefficients at the matching scale as a WCxf "
                        "file (YAML for .yaml/.yml, else JSON; N_R operators to a sidecar; docs/electroweak.md)")
    p.add_argument("--solve-for", choices=["y1y2"], metavar="y1y2",
                   help="inverse question: the coupling product y1*y2 (ratio y1/y2 and masses kept) that gives "
                        "--target-mu; adds a 'solve' block (lqmodel.solve; docs/views_and_interop.md)")
    p.add_argument("--target-mu", type=float, metavar="MU_B",
                   help="target |mu_nu| in Bohr magnetons for --solve-for, in the point's lepton flavour "
                   "(e.g. 2.7e-11)")
    p.add_argument("--darknews", metavar="PATH",
                   help="also write the transition moments as DarkNews model keyword arguments (mu_tr_*4 in GeV^-1, "
                        "m4, HNLtype) to the JSON file PATH (lqmodel.darknews; docs/views_and_interop.md)")
    p.set_defaults(func=run)


def _cli_error(msg: str) -> Exception:
    from lqmodel.cli import CLIError

    return CLIError(msg)


def _jsonable(x: Any) -> Any:
    """Convert numpy scalars/arrays and non-finite floats (-> null) for JSON output."""
    import numpy as np

    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (complex, np.complexfloating)):
        return [_jsonable(float(x.real)), _jsonable(float(x.imag))]
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else None
    return x


def _list(args: argparse.Namespace) -> int:
    from lqmodel.benchmarks import info, list_benchmarks

    rows = [info(n) for n in list_benchmarks()]
    if args.json:
        print(json.dumps({b.name: {"description": b.description, "source": b.source} for b in rows}, indent=2))
    else:
        width = max(len(b.name) for b in rows)
        for b in rows:
            print(f"{b.name:<{width}}  {b.description}")
    return 0


def _moments(point: Any) -> dict[str, Any]:
    import numpy as np

    from lqmodel.moments import compute_moments
    from lqmodel.point import LEPTONS

    m = compute_moments(point)
    mu = np.asarray(m.mu_muB)[..., :, 0]
    mass = np.asarray(m.m_nuN_GeV)[..., :, 0]
    uv = np.asarray(m.uv_divergent)[..., :, 0]
    return {
        "mu_nu_muB": {l: float(abs(mu[i])) for i, l in enumerate(LEPTONS)},
        "m_nuN_GeV": {l: (None if bool(uv[i]) or not np.isfinite(mass[i]) else float(abs(mass[i])))
                      for i, l in enumerate(LEPTONS)},
        "mu_nu_muB_complex": {l: [float(mu[i].real), float(mu[i].imag)] for i, l in enumerate(LEPTONS)},
        "uv_divergent": {l: bool(uv[i]) for i, l in enumerate(LEPTONS)},
    }


def _flavour(point: Any) -> dict[str, Any]:
    from lqmodel.flavour import flavour_summary

    summary = flavour_summary(point)
    out = {k: summary[k] for k in ("observables", "chi2", "wilson_coefficients") if k in summary} | {
        k: v for k, v in summary.items() if k not in ("observables", "chi2", "wilson_coefficients")
    }
    if "predictions" in summary:
        out.update(_flavour_comparison(summary["predictions"]))
    return out


def _flavour_comparison(predictions: dict[str, float]) -> dict[str, Any]:
    """SM prediction, measurement and pull of each toolkit observable (added JSON keys ``sm_predictions``,
    ``measurements``, ``pulls``, ``measurement_vintage``).

    SM: flavio's central SM prediction (:func:`observables.flavio_backend.sm_prediction`, 0 for the NP shift
    ``Delta_a_mu``). Measurement: the default vintage (:func:`observables.measurements.load`), the experimental
    uncertainty only (square root of the diagonal of its covariance; upper limits as limit + CL). Pull:
    :func:`observables.likelihood.pulls`, (prediction - measurement) / sigma_tot with flavio's SM theory
    covariance in sigma_tot, the same as in ``chi2``; limits: prediction / sigma.
    """
    from observables import flavio_backend as fb
    from observables.likelihood import pulls
    from observables.measurements import load

    mset = load(None)
    sm = {k: fb.sm_prediction(k) for k in predictions}
    meas: dict[str, Any] = {}
    for k in predictions:
        try:
            c = mset.constraint_for(k)
        except KeyError:
            continue
        i = c.observables.index(k)
        if c.kind == "upper_limit":
            meas[k] = {"kind": "upper_limit", "limit": c.limit, "cl": c.cl, "source": c.source}
        else:
            meas[k] = {"kind": c.kind, "value": float(c.values[i]), "uncertainty": float(c.uncertainties[i]),
                       "source": c.source}
    return {"sm_predictions": sm, "measurements": meas,
            "pulls": {k: float(v) for k, v in pulls(predictions).items()}, "measurement_vintage": mset.vintage}


def _g(x: Any, digits: int = 4) -> str:
    """``x`` with ``digits`` significant digits ('-' for None)."""
    return "-" if x is None else f"{x:.{digits}g}"


def _flavour_lines(out: dict[str, Any]) -> list[str]:
    """The flavour table: toolkit observable, prediction, SM, measurement +- experimental error, pull."""
    preds = out.get("predictions") or {}
    if not preds:  # an older flavour_summary without "predictions": the raw values
        return ["", "  flavour observables:"] + [f"    {k:<32} {_g(v, 5)}" for k, v in out["observables"].items()]
    sm, meas, pl = out.get("sm_predictions", {}), out.get("measurements", {}), out.get("pulls", {})
    w = max(len(k) for k in preds)
    lines = ["", f"  flavour observables (measurements: vintage {out.get('measurement_vintage', '?')}; "
                 "+- is the experimental error, the pull also includes flavio's SM theory uncertainty):",
             f"    {'observable':<{w}}  {'prediction':>11}  {'SM':>11}  {'measurement':>24}  {'pull':>6}"]
    for k, v in preds.items():
        m = meas.get(k)
        if m is None:
            ms = "-"
        elif m["kind"] == "upper_limit":
            ms = f"< {_g(m['limit'], 3)} ({_g(100 * m['cl'], 3)}% CL)"
        else:
            ms = f"{_g(m['value'])} +- {_g(m['uncertainty'], 2)}"
        p = pl.get(k)
        ps = "-" if p is None else f"{p:+.2f}"
        lines.append(f"    {k:<{w}}  {_g(v):>11}  {_g(sm.get(k)):>11}  {ms:>24}  {ps:>6}")
    return lines


def _collider(point: Any) -> dict[str, Any]:
    """The collider summary (``summary``) and its one-line verdict; MassOutsideTableError -> no verdict."""
    from lqmodel.collider import collider_summary, collider_verdict
    from observables.collider.pair import MassOutsideTableError

    try:
        summary = collider_summary(point)
    except MassOutsideTableError as exc:
        return {"summary": None, "verdict": f"not evaluated: {exc}", "error": str(exc)}
    return {"summary": summary, "verdict": collider_verdict(summary), "error": None}


def _collider_lines(out: dict[str, Any]) -> list[str]:
    lines = ["", "  LHC (tree-level widths, pair production recast; docs/collider.md):"]
    for f, w in out["widths_GeV"].items():
        pp = out["pair_production"][f]
        brs = ", ".join(f"{c} {b:.3g}" for c, b in sorted(out["branching_ratios"][f].items(), key=lambda x: -x[1])
                        if b >= 1e-3)
        lines.append(f"    {f:<10} Gamma = {w:.4g} GeV (Gamma/m = {out['Gamma_over_m'][f]:.3g}); BR: {brs or '-'}")
        if pp["channel"]:
            lines.append(f"    {'':<10} pair: {'EXCLUDED' if pp['excluded'] else 'allowed'} "
                         f"({pp['channel']}: recast limit {pp['m_limit_GeV']:.0f} GeV, {pp['search']})")
    for name, d in out["drell_yan"].items():
        lines.append(f"    Drell-Yan {name}: chi2 = {d['chi2']:.4g}{'  EXCLUDED' if d['excluded'] else ''}")
    for n in out.get("collider_notes", []):
        lines.append(f"    note: {n}")
    return lines


def _table(out: dict[str, Any]) -> str:
    from lqmodel.point import LEPTONS

    inp = out["inputs"]
    lines = []
    title = inp.get("label") or (out.get("benchmark", {}) or {}).get("name") or "point"
    lines.append(f"{title}  (model {inp['model']}, lepton {inp['lepton']}, quark basis {inp['quark_basis']}, "
                 f"N {inp['N_type']})")
    m23 = f", m_R2~(2/3) = {inp['m_R2_23']:g} GeV" if "m_R2_23" in inp else ""
    lines.append(f"  m_S1 = {inp['m_S1']:g} GeV, m_R2~(-1/3) = {inp['m_R2']:g} GeV{m23}, "
                 f"m_b = {inp['m_b']:g} GeV ({inp['m_b_scheme']}), M_N = {inp['M_N']:g} GeV, "
                 f"kappa = {inp['kappa']:g} GeV")
    lines.append("")
    lines.append(f"  {'lepton':<7}{'|mu_nu| [mu_B]':>18}{'|m_nuN| [GeV]':>18}")
    for l in LEPTONS:
        mass = out["m_nuN_GeV"][l]
        ms = "UV-divergent" if mass is None else f"{mass:.5g}"
        lines.append(f"  {l:<7}{out['mu_nu_muB'][l]:>18.5g}{ms:>18}")
    if any(out["uv_divergent"].values()):
        lines.append("  UV-divergent m_nuN: c_R != c_S, a tree-level counterterm is needed (docs/theory.md §b.3).")
    nm = out.get("neutrino_mass")
    if nm:
        lines.append("")
        lines.append(f"  neutrino masses (N {nm['N_type']}, M_N = {nm['M_N_eV']:.6g} eV; docs/neutrino_mass.md):")
        lines.append(f"    light masses [eV]: {', '.join(f'{m:.4g}' for m in nm['m_light_eV'])};  "
                     f"heavy state: {nm['M_heavy_eV']:.6g} eV")
        lines.append("    |m_D| [eV] (tree + loop): " + ", ".join(f"{l} {v:.4g}" for l, v in nm["m_D_eV"].items())
                     + ";  |U_aN1|^2: " + ", ".join(f"{l} {v:.3g}" for l, v in nm["U2"].items()))
        lines.append(f"    tuning Delta = |m_loop| / m_D_max = {nm['tuning']:.4g}  "
                     f"(m_D_max = {nm['m_D_max_eV']:.4g} eV, "
                     f"{nm['binding']}; S1 alone at the same mu_nu: {nm['tuning_S1_same_mu']:.4g})")
        lines.append(f"    bound: {nm['bound']}")
        if nm["uv_divergent_loop"]:
            lines.append(f"    loop mass UV-divergent: its finite part is scheme-dependent, given in {nm['scheme']}")
    bm = out.get("benchmark")
    if bm and bm.get("expected"):
        lines.append("")
        lines.append(f"  benchmark {bm['name']} expected ({bm['source']}):")
        for k, v in bm["expected"].items():
            lines.append(f"    {k}: {v}")
    if "observables" in out:
        lines.extend(_flavour_lines(out))
        if "chi2" in out:
            c2 = out["chi2"]
            groups = ", ".join(f"{k[len('group:'):]} {_g(v, 3)}" for k, v in c2.items() if k.startswith("group:"))
            lines.append(f"  chi2 total: {_g(c2.get('total'))}" + (f"  (by group: {groups})" if groups else ""))
    if "widths_GeV" in out:
        lines.extend(_collider_lines(out))
    if "collider_verdict" in out:
        lines.append("")
        lines.append(f"  LHC: {out['collider_verdict']}")
    lines.append("")
    lines.append("  units: GeV; mu_B = e/(2 m_e); mu_nu normalised as L = (mu/2) nubar_L sigma F N_R + h.c.")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.list_benchmarks:
        return _list(args)
    if (args.file is None) == (args.benchmark is None):
        raise _cli_error("give exactly one of FILE or --benchmark NAME (see --list-benchmarks)")

    from lqmodel.point import PerturbativityWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PerturbativityWarning)
        if args.benchmark is not None:
            from lqmodel.benchmarks import info

            bm = info(args.benchmark)
            point = bm.point()
        else:
            from lqmodel.pointfile import load_point

            bm = None
            point = load_point(args.file)
    for w in caught:
        if issubclass(w.category, PerturbativityWarning):
            print(f"lqmodel point: warning: {' '.join(str(w.message).split())}", file=sys.stderr)

    if args.wcxf_smeft:
        if point.batch_shape != ():
            raise _cli_error("--wcxf-smeft needs a single point")
        from lqmodel.smeft_matching import to_wcxf_smeft

        to_wcxf_smeft(point, args.wcxf_smeft)
        print(f"lqmodel point: SMEFT (Warsaw) WCxf file written to {args.wcxf_smeft}", file=sys.stderr)
    solve = _solve(args, point)
    if getattr(args, "darknews", None):
        if point.batch_shape != ():
            raise _cli_error("--darknews needs a single point")
        from lqmodel.darknews import write_darknews

        write_darknews(point, args.darknews)
        print(f"lqmodel point: DarkNews model keyword arguments written to {args.darknews}", file=sys.stderr)
        if float(point.M_N) == 0.0:
            print("lqmodel point: warning: M_N = 0, so m4 = 0 in the DarkNews file; DarkNews simulates a heavy N: "
                  "set M_N (GeV) or M_N_keV in the point", file=sys.stderr)
    out: dict[str, Any] = {"label": point.label, "model": point.model, "lepton": point.lepton, "N_index": "N_1"}
    out.update(_moments(point))
    from lqmodel.neutrino_mass import summary as _neutrino_mass_summary

    out["neutrino_mass"] = _neutrino_mass_summary(point)
    if args.flavour:
        out.update(_flavour(point))
    col = _collider(point)
    if args.collider:
        if col["summary"] is None:
            raise _cli_error(f"--collider: {col['error']}")
        summary = dict(col["summary"])
        summary["collider_notes"] = summary.pop("notes")
        out.update(summary)
    out["collider_verdict"] = col["verdict"]
    out["inputs"] = point.to_dict()
    out["units"] = {
        "mu_nu_muB": "Bohr magneton mu_B = e/(2 m_e); L = (mu/2) nubar_L sigma^{mu nu} N_R F_{mu nu} + h.c.",
        "m_nuN_GeV": "GeV (one loop; null where UV-divergent)",
        "neutrino_mass": "eV (masses), |U|^2 dimensionless; tuning = |m_loop| / m_D_max (docs/neutrino_mass.md)",
        "masses": "GeV",
        "couplings": "dimensionless; complex entries as [re, im]",
    }
    if bm is not None:
        out["benchmark"] = {"name": bm.name, "description": bm.description, "source": bm.source,
                            "expected": dict(bm.expected)}
    if solve is not None:
        out["solve"] = solve
    out = _jsonable(out)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(_table(out))
        if solve is not None:
            print(_solve_lines(out["solve"]))
    return 0


def _solve(args: argparse.Namespace, point: Any) -> dict[str, Any] | None:
    """The ``solve`` block of ``--solve-for y1y2 --target-mu MU`` (:func:`lqmodel.solve.solve_y1y2`), or None."""
    solve_for, target = getattr(args, "solve_for", None), getattr(args, "target_mu", None)
    if solve_for is None and target is None:
        return None
    if solve_for is None or target is None:
        raise _cli_error("--solve-for y1y2 and --target-mu MU_B go together "
                         "(e.g. --solve-for y1y2 --target-mu 2.7e-11)")
    from lqmodel.solve import solve_y1y2

    return solve_y1y2(point, target)


def _solve_lines(s: dict[str, Any]) -> str:
    def f(v: Any) -> str:
        return f"{v:.6g}" if isinstance(v, (int, float)) else str(v)

    return "\n".join([
        "",
        f"  solve for y1*y2: |mu_{s['lepton']}N1| = {s['target_mu_muB']:.6g} mu_B at fixed masses and y1/y2 "
        f"(input moment {s['mu_nu_muB_input']:.6g} mu_B, y1*y2 scaled by {s['scale']:.6g})",
        f"    y1*y2 = {f(s['y1y2'])}  (y1 = {f(s['y1'])}, y2 = {f(s['y2'])}); moment recomputed there: "
        f"{s['mu_nu_muB_check']:.6g} mu_B" + ("" if s["perturbative"] else "  [NOT perturbative: |y| > sqrt(4 pi)]"),
    ])
