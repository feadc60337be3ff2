"""``lqmodel dd-fit``: fit the transition magnetic moment |mu_{alpha N}| to XENON1T / XENONnT electron recoils.

Usage::

    lqmodel dd-fit --experiment xenon1t|xenonnt|lz --lepton e|mu|tau|all --m-N KEV [--cl 0.9]
                   [--ssm B16-GS98|B16-AGSS09] [--tritium none|free] [--json]

With ``--json`` one JSON object is printed with (at least):

* ``interval_muB``: ``[low, high]`` in Bohr magnetons; ``low`` = 0 when only an upper limit exists, ``high`` =
  null when the experiment has no sensitivity at this M_N;
* ``best_fit_muB``, ``kind`` ("two_sided" | "upper_limit" | "no_sensitivity"), ``test_statistic`` (description),
  ``threshold`` (chi2_1 quantile), ``q_at_zero``, ``significance_sigma``, ``ts_values`` ({mu_muB, q} scan);
* ``inputs`` (experiment, lepton, M_N_keV, cl, ssm, tritium), ``units``, ``approximate``, ``data_version``;
* ``nuisances_at_best_fit`` (the fit's short names a, e, t), the same under descriptive names
  ``nuisances_at_best_fit_named`` (background_B0_scale, signal_efficiency_scale, tritium_scale) and
  ``nuisance_descriptions``.

The JSON is indented like ``lqmodel point --json``. The text output gives the interval and best fit; the
test-statistic definition (also in ``--help``) and the nuisances are printed with ``--verbose``.

``--lepton all`` gives the same moment to every flavour (the flavour-universal moment the collaborations quote).
The fit is :func:`observables.neutrino.fit.fit_moment` (profile likelihood, Wilks). Errors: one line, exit 2.
"""
from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["register", "run", "NUISANCE_NAMES", "NUISANCE_DESCRIPTIONS"]

#: the fit's short nuisance names (:class:`observables.neutrino.likelihood.BinnedPoissonLikelihood`
#: parameters a, e, t) -> the names printed and added to the JSON (``nuisances_at_best_fit_named``)
NUISANCE_NAMES = {"a": "background_B0_scale", "e": "signal_efficiency_scale", "t": "tritium_scale"}
NUISANCE_DESCRIPTIONS = {
    "a": "multiplies the collaboration's B0 background model (Gaussian constraint around 1)",
    "e": "multiplies the signal (detection efficiency uncertainty; Gaussian constraint around 1)",
    "t": "multiplies the tritium template (free, >= 0)",
}


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "dd-fit",
        epilog="Test statistic: profile-likelihood ratio q(mu^2) = -2 ln[L(mu^2, theta_hathat) / L(mu_hat^2, "
        "theta_hat)] with mu_hat^2 >= 0; the interval is {q <= chi2_1 quantile(cl)} (Wilks, 1 dof). "
        "Nuisances: background_B0_scale (B0 normalisation), signal_efficiency_scale, tritium_scale "
        "(XENON1T with --tritium free).",
        help="fit |mu_{alpha N}| (mu_B) to XENON1T / XENONnT electron-recoil data for a sterile mass M_N (keV)",
        description="Profile-likelihood fit of the active-sterile transition magnetic moment |mu_{alpha N}| "
        "(Bohr magnetons) to XENON1T SR1 / XENONnT SR0 (LZ WS2022: approximate) electron-recoil data from solar "
        "neutrinos, for sterile-neutrino mass M_N in keV. Interval by Wilks' theorem.",
    )
    p.add_argument("--experiment", required=True, metavar="EXP", help="xenon1t | xenonnt | lz (approximate)")
    p.add_argument("--lepton", required=True, metavar="L",
                   help="e | mu | tau | all (same moment in every flavour) | e.g. e+mu")
    p.add_argument("--m-N", dest="m_N", required=True, metavar="KEV", help="sterile-neutrino mass M_N in keV (>= 0)")
    p.add_argument("--cl", default="0.9", metavar="CL", help="confidence level in (0, 1) (default 0.9)")
    p.add_argument("--ssm", default="B16-GS98", metavar="SSM",
                   help="standard solar model: B16-GS98 (high metallicity) | B16-AGSS09 (low metallicity); "
                        "default B16-GS98")
    p.add_argument("--tritium", default="none", metavar="MODE",
                   help="XENON1T tritium: none (B0 only, the collaboration's headline) | free (default none)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the on-disk fit cache")
    p.add_argument("--json", action="store_true", help="print one JSON object (indented)")
    p.add_argument("--verbose", action="store_true",
                   help="also print the test-statistic definition and the nuisance parameters at the best fit")
    p.set_defaults(func=run)


def _number(text: str, what: str) -> float:
    from lqmodel.cli import CLIError

    try:
        x = float(text)
    except (TypeError, ValueError):
        raise CLIError(f"{what} must be a number, got {text!r}") from None
    if not math.isfinite(x):
        raise CLIError(f"{what} must be finite, got {text!r}")
    return x


def _check_arguments(args: Any, m_N: float, cl: float) -> None:
    """The fit's own input checks, run first so that a bad argument is a user error (CLIError, one
    line) and any later error of the fit keeps its traceback."""
    from lqmodel.cli import CLIError
    from observables.neutrino import solar
    from observables.neutrino.detectors import UnknownExperimentError
    from observables.neutrino.fit import UnknownLeptonError, _check_inputs, lepton_weights
    from observables.neutrino.likelihood import TRITIUM_MODES

    try:
        _check_inputs(args.experiment, m_N, cl)
        lepton_weights(args.lepton)
    except (UnknownExperimentError, UnknownLeptonError, ValueError) as exc:
        raise CLIError(str(exc.args[0]) if exc.args else str(exc)) from None
    if args.ssm not in solar.SSMS:
        raise CLIError(f"unknown solar model --ssm {args.ssm!r}; allowed: {', '.join(solar.SSMS)}")
    if args.tritium not in TRITIUM_MODES:
        raise CLIError(f"unknown tritium treatment {args.tritium!r}; allowed: {', '.join(TRITIUM_MODES)}")


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def run(args: Any) -> int:
    from observables.neutrino.fit import fit_moment

    m_N = _number(args.m_N, "--m-N")
    cl = _number(args.cl, "--cl")
    _check_arguments(args, m_N, cl)
    res = fit_moment(args.experiment, args.lepton, m_N, cl, ssm=args.ssm, tritium=args.tritium,
                     use_cache=not args.no_cache)
    d = res.to_dict()
    out = {
        "interval_muB": d["interval_muB"],
        "best_fit_muB": d["best_fit_muB"],
        "kind": d["kind"],
        "test_statistic": d["test_statistic"],
        "threshold": d["threshold"],
        "q_at_zero": d["q_at_zero"],
        "significance_sigma": d["significance_sigma"],
        "signal_events_at_1e-11_muB": d["signal_events_at_ref"],
        "nuisances_at_best_fit": d["nuisances_at_best_fit"],
        "approximate": d["approximate"],
        "data_version": d["data_version"],
        "inputs": {"experiment": res.experiment, "lepton": res.lepton, "M_N_keV": res.M_N_keV, "cl": res.cl,
                   "ssm": res.ssm, "tritium": res.tritium},
        "units": {"interval_muB": "Bohr magneton", "M_N_keV": "keV"},
        "ts_values": d["ts_values"],
        "nuisances_at_best_fit_named": {NUISANCE_NAMES.get(k, k): v for k, v in d["nuisances_at_best_fit"].items()},
        "nuisance_descriptions": {NUISANCE_NAMES.get(k, k): NUISANCE_DESCRIPTIONS.get(k, k)
                                  for k in d["nuisances_at_best_fit"]},
    }
    if args.json:
        print(json.dumps(_jsonable(out), indent=2))
        return 0
    lo, hi = res.interval_muB
    hi_s = "no sensitivity" if hi is None else f"{hi:.3e}"
    label = {"two_sided": "interval", "upper_limit": "upper limit", "no_sensitivity": "no constraint"}[res.kind]
    print(f"{res.experiment} lepton={res.lepton} M_N={res.M_N_keV:g} keV cl={res.cl:g}"
          f"{' (approximate detector model)' if res.approximate else ''}")
    if res.kind == "two_sided":
        print(f"  {label}: |mu| in ({lo:.3e}, {hi_s}) mu_B")
    else:
        print(f"  {label}: |mu| < {hi_s} mu_B")
    print(f"  best fit: {res.best_fit_muB:.3e} mu_B; q(0) = {res.q_at_zero:.2f} ({res.significance_sigma:.2f} sigma)")
    if getattr(args, "verbose", False):
        print(f"  test statistic: {res.test_statistic}")
        for k, v in d["nuisances_at_best_fit"].items():
            print(f"  {NUISANCE_NAMES.get(k, k)} = {v:.4g}  ({NUISANCE_DESCRIPTIONS.get(k, k)})")
    return 0
