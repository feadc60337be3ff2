"""Tests of lqmodel.fit: config validation, the toy-coverage of the MINOS intervals, the direct-detection
term against observables.neutrino.fit's band, resume of the emcee state, and (flavio) a pseudo-data fit
that recovers its truth and the one-coupling interval against an independent grid scan."""
from __future__ import annotations

import json

import numpy as np
import pytest

from lqmodel.fit.config import FitConfig, FitConfigError
from lqmodel.fit.likelihood import CombinedLikelihood, DirectDetectionTerm, build_terms, pseudo_data
from lqmodel.fit.run import THRESHOLDS, best_fit, intervals_from_profile, profile_1d, run_fit, sample
from lqmodel.models import s1_only


# ----------------------------------------------------------------------------------- config
def _cfg(**kw):
    d = {"base": "BP2", "parameters": {"y1": {"min": 0.0, "max": 0.3}}, "likelihood": {"xenonnt": True}}
    d.update(kw)
    return d


@pytest.mark.parametrize("change, message", [
    ({"parameters": {"y_LL[3,1]": {"min": 0, "max": 1}}}, "unknown scan parameter"),
    ({"parameters": {"M_N": {"min": 0.0, "max": 1e-4}}}, "cannot be a free fit parameter"),
    ({"parameters": {"m_S1": {"min": 500, "max": 900}}, "likelihood": {"drell_yan": True}}, "must lie within"),
    ({"parameters": {"y1": {"min": 1.0, "max": 0.0}}}, "need min < max"),
    ({"parameters": {"y1": {"min": 0.0, "max": 1.0, "start": 2.0}}}, "outside"),
    ({"likelihood": {"flavor": True}}, "did you mean 'flavour'"),
    ({"likelihood": {"pair": {"mode": "soft"}}}, "smooth' or 'hard"),
    ({"likelihood": {"xenonnt": False}}, "switched off"),
    ({"likelihood": {"limits": True}}, "needs names"),
    ({"priors": {"y2": {"kind": "uniform"}}}, "not a free parameter"),
    ({"priors": {"y1": {"kind": "gaussian", "mean": 0.1}}}, "mean and sigma"),
    ({"sampling": {"walkers": 1}}, "sampling.walkers"),
    ({"sampling": {"steps": 100, "burn": 100}}, "smaller than"),
    ({"profiles": {"two_d": [["y1", "y1"]]}}, "pairs of distinct"),
    ({"starts": 0}, "starts must be an integer"),
    ({"seeds": 1}, "did you mean 'seed'"),
])
def test_bad_configs_are_refused_in_one_line(change, message):
    with pytest.raises(FitConfigError) as exc:
        FitConfig.from_dict(_cfg(**change))
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_builtin_configs_validate():
    from lqmodel.fit import builtin_config, list_builtin_configs

    names = list_builtin_configs()
    assert names
    for n in names:
        cfg = builtin_config(n)
        assert cfg.parameters and cfg.likelihood


def test_thresholds_are_chi2_quantiles():
    from scipy.stats import chi2, norm

    p68 = norm.cdf(1) - norm.cdf(-1)
    for dof in (1, 2):
        assert THRESHOLDS[dof]["68"] == pytest.approx(chi2.ppf(p68, dof), rel=1e-9)
        assert THRESHOLDS[dof]["95"] == pytest.approx(chi2.ppf(0.95, dof), rel=1e-9)
    assert round(THRESHOLDS[1]["95"], 2) == 3.84 and round(THRESHOLDS[2]["68"], 2) == 2.30


def test_interval_from_profile_interpolates_crossings():
    x = np.linspace(-3, 3, 61)
    segs = intervals_from_profile(x, x**2, 1.0)
    assert segs == [pytest.approx([-1.0, 1.0], abs=0.01)]
    two = intervals_from_profile(x, (x**2 - 4) ** 2 / 4, 1.0)  # minima at +-2: two segments
    assert len(two) == 2


# ------------------------------------------------------------------- a linear Gaussian toy term
class LinearGaussian:
    """Toy observable linear in y1p (= y_RR[t, mu]): prediction a + b*y1p, measurement x with error s."""

    name = "toy"

    def __init__(self, x, a=1.0, b=2.0, s=0.5):
        self.x, self.a, self.b, self.s = x, a, b, s

    def chi2(self, point, shared):
        y = np.real(point.y_RR[..., 2, 1]).ravel()
        return ((self.a + self.b * y - self.x) / self.s) ** 2

    def spec(self):
        return {"kind": "toy", "x": self.x}


def _toy_config():
    return FitConfig.from_dict({"base": {"model": "s1", "m_S1": 1500.0, "y1": 0.0, "y2": 1.0, "lepton": "mu"},
                                "parameters": {"y1p": {"min": -5.0, "max": 5.0}},
                                "likelihood": {"xenonnt": True}, "starts": 1, "profiles": False})


def test_minos_intervals_cover_the_truth_on_toys():
    """68% and 95% MINOS intervals of a Gaussian observable linear in one coupling cover the truth in
    68.3% / 95% of 200 toys (binomial sigma 3.3% / 1.5%; the test allows 5% / 4%)."""
    cfg = _toy_config()
    base = s1_only(1500.0, 0.0, 1.0, "mu")
    truth, a, b, s = 0.7, 1.0, 2.0, 0.5
    rng = np.random.default_rng(20261201)
    cover = {"68": 0, "95": 0}
    n = 200
    for _ in range(n):
        x = a + b * truth + s * rng.standard_normal()
        lik = CombinedLikelihood(base, ["y1p"], [LinearGaussian(x, a, b, s)])
        bf = best_fit(lik, cfg)
        # the analytic answer of a linear Gaussian: yhat = (x - a)/b, sigma = s/b
        assert bf["best_fit"]["y1p"] == pytest.approx((x - a) / b, abs=0.02 * s / b)  # MIGRAD EDM tolerance
        for lab in cover:
            lo, hi = bf["intervals"]["y1p"][lab]
            cover[lab] += lo <= truth <= hi
    assert abs(cover["68"] / n - 0.6827) < 0.05
    assert abs(cover["95"] / n - 0.95) < 0.04


def test_emcee_resume_reproduces_an_uninterrupted_chain(tmp_path):
    """Sampling in checkpoints (state saved as .npz, reloaded) gives the same chain as one run, and the
    posterior of the linear Gaussian toy has mean (x-a)/b and width s/b."""
    from lqmodel.fit.run import _State

    base = s1_only(1500.0, 0.0, 1.0, "mu")
    lik = CombinedLikelihood(base, ["y1p"], [LinearGaussian(2.0)])
    cfg = _toy_config().replace(sampling={"walkers": 8, "steps": 400, "burn": 100, "checkpoint": 400})
    bf = {"best_fit": {"y1p": 0.5}}
    one = sample(lik, cfg, bf)
    chunked = cfg.replace(sampling={"walkers": 8, "steps": 400, "burn": 100, "checkpoint": 150})
    st = _State(tmp_path, "fp")
    part = chunked.replace(sampling={"walkers": 8, "steps": 150, "burn": 100, "checkpoint": 150})
    sample(lik, part, bf, st)  # "interrupted" after 150 steps
    resumed = sample(lik, chunked, bf, st)
    np.testing.assert_array_equal(one["samples"], resumed["samples"])
    assert np.mean(one["samples"]) == pytest.approx(0.5, abs=0.05)
    assert np.std(one["samples"]) == pytest.approx(0.25, rel=0.15)
    # another fingerprint: the saved state is ignored
    assert _State(tmp_path, "other").read_npz("emcee_state.npz") is None


# --------------------------------------------------------------- direct detection (no flavio)
def test_xenon1t_term_reproduces_the_band_of_observables_neutrino_fit():
    """q(mu) of the fit's XENON1T term (spline table) crosses 2.706 where observables.neutrino.fit.band
    puts the 90% CL interval (brentq on the exact profile likelihood): independent root finding."""
    from observables.neutrino.fit import band

    base = s1_only(1000.0, 0.05, 1.0, "mu")
    term = DirectDetectionTerm("xenon1t", "xenon1t")
    lik = CombinedLikelihood(base, ["y1"], [term])
    y = np.linspace(0.0, 0.3, 3001)
    pts = lik.point(y[:, None])
    from lqmodel.moments import compute_moments

    mu = np.abs(compute_moments(pts).mu_muB[:, 1, 0])
    q = lik.chi2(y[:, None])
    b = band("xenon1t", "mu", 0.0, 0.9)
    inside = mu[q <= 2.705543]
    assert b["two_sided"][0]
    assert inside.min() == pytest.approx(b["low_muB"][0], rel=2e-3)
    assert inside.max() == pytest.approx(b["high_muB"][0], rel=2e-3)
    assert q.min() == pytest.approx(0.0, abs=1e-3)  # q is relative to the best-fit signal strength


def test_fit_folder_resume_and_refusal(tmp_path):
    """A run writes the contract files; a rerun resumes (same numbers); another config is refused."""
    cfg = FitConfig.from_dict({"base": "BP2", "parameters": {"y1": {"min": 0.0, "max": 0.2}},
                               "likelihood": {"xenon1t": True, "xenonnt": True}, "starts": 2,
                               "profiles": {"n": 9}})
    out = tmp_path / "fit"
    s1 = run_fit(cfg, out, plot=False)
    s1.pop("_arrays")
    for key in ("best_fit", "chi2_min", "chi2_sm", "intervals", "converged", "files"):
        assert key in s1
    assert set(s1["intervals"]["y1"]) == {"68", "95"}
    assert json.loads((out / "fit.json").read_text())["chi2_min"] == s1["chi2_min"]
    s2 = run_fit(cfg, out, plot=False)
    assert s2["chi2_min"] == s1["chi2_min"] and s2["best_fit"] == s1["best_fit"]
    from lqmodel.fit.run import FitFolderError

    with pytest.raises(FitFolderError, match="different fit"):
        run_fit(cfg.replace(seed=3), out, plot=False)


def test_cli_json_contract(tmp_path, capsys):
    from lqmodel.cli import main

    cfg = tmp_path / "fit.yaml"
    cfg.write_text("base: BP2\nparameters:\n  y1: {min: 0.0, max: 0.2}\nlikelihood:\n  xenonnt: true\n"
                   "starts: 1\nprofiles: {n: 7}\n")
    assert main(["fit", str(cfg), "--out", str(tmp_path / "o"), "--json", "--no-plot"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert isinstance(d["converged"], bool) and set(d["best_fit"]) == {"y1"}
    lo, hi = d["intervals"]["y1"]["95"]
    assert 0.0 <= lo <= d["best_fit"]["y1"] <= hi <= 0.2
    assert all(isinstance(p, str) for p in d["files"].values())
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: BP2\nparameters: {y1: {min: 0, max: 1}}\nlikelihood: {xenonnt: true}\nseed: -1\n")
    assert main(["fit", str(bad), "--out", str(tmp_path / "b")]) == 2
    assert "seed must be a non-negative integer" in capsys.readouterr().err


# ------------------------------------------------------------------------------ flavio-based
@pytest.mark.flavio
@pytest.mark.slow
def test_pseudo_data_fit_recovers_its_truth():
    """Measurements of Delta a_mu and R_mu/e(D*) replaced (API hook, no data file touched) by the
    predictions at a truth point; the fit of (y1p, y2) returns the truth with chi2_min ~ 0."""
    from lqmodel.flavour import predict
    from lqmodel.point import vary

    base = s1_only(1500.0, 0.0, 1.0, "mu")
    truth = {"y1p": 0.12, "y2": 0.8}
    obs = ["Delta_a_mu", "Rmue_Dstar"]
    opts = {"flavour": {"observables": obs, "theory": False}}
    real = CombinedLikelihood(base, ["y1p", "y2"], build_terms(opts))
    pseudo = pseudo_data(real, truth)
    # the hook's values are the direct predictions at the truth point
    assert pseudo == pytest.approx({k: float(v) for k, v in predict(vary(base, truth), obs).items()}, rel=1e-12)
    lik = CombinedLikelihood(base, ["y1p", "y2"], build_terms(opts, pseudo_data=pseudo))
    theta = np.array([[truth["y1p"], truth["y2"]]])
    assert lik.chi2(theta)[0] == pytest.approx(0.0, abs=1e-9)
    assert real.chi2(theta)[0] > 0.1  # the hook did change the data
    cfg = FitConfig.from_dict({"base": {"model": "s1", "m_S1": 1500.0, "y1": 0.0, "y2": 1.0, "lepton": "mu"},
                               "parameters": {"y1p": {"min": -1.0, "max": 1.0, "start": 0.0},
                                              "y2": {"min": 0.3, "max": 2.0, "start": 1.2}},
                               "likelihood": opts, "starts": 2, "profiles": False})
    bf = best_fit(lik, cfg)
    # Asimov data: the minimum is the truth; MIGRAD stops within its EDM tolerance along the flat
    # y1p*y2 valley (Delta a_mu fixes the product, R_mu/e(D*) only weakly y2)
    assert bf["chi2_min"] < 1e-3
    for k, v in truth.items():
        assert abs(bf["best_fit"][k] - v) < 0.1 * bf["errors"][k]


@pytest.mark.flavio
@pytest.mark.slow
def test_one_coupling_interval_matches_an_independent_grid_scan():
    """The MINOS 68/95% interval of y1p from Delta a_mu equals the Delta chi2 = 1 / 3.84 crossings of a
    dense grid evaluated with PointEvaluator (observables.likelihood.chi2, not the fit's chi2 code)."""
    from lqmodel.evaluate import PointEvaluator

    base = s1_only(1500.0, 0.0, 1.0, "mu")
    cfg = FitConfig.from_dict({"base": {"model": "s1", "m_S1": 1500.0, "y1": 0.0, "y2": 1.0, "lepton": "mu"},
                               "parameters": {"y1p": {"min": -0.05, "max": 0.2}},
                               "likelihood": {"flavour": {"observables": ["Delta_a_mu"]}}, "starts": 1,
                               "profiles": {"n": 11}})
    lik = CombinedLikelihood(base, ["y1p"], build_terms(cfg.likelihood))
    bf = best_fit(lik, cfg)
    grid = np.linspace(-0.05, 0.2, 2501)
    ev = PointEvaluator(observables=("Delta_a_mu",), neutrino=False, collider=False)
    cols = ev(base, {"y1p": grid})
    d = cols["chi2_total"] - cols["chi2_total"].min()
    for lab, thr in THRESHOLDS[1].items():
        (lo, hi), = intervals_from_profile(grid, d, thr)
        assert bf["intervals"]["y1p"][lab] == pytest.approx([lo, hi], abs=2e-4)
    prof = profile_1d(lik, cfg, "y1p", bf)
    np.testing.assert_allclose(prof["chi2"], ev(base, {"y1p": prof["grid"]})["chi2_total"], rtol=1e-9, atol=1e-9)


def test_limits_term_gives_the_wilks_threshold_at_the_limit():
    """A chosen published limit as a half-Gaussian: Delta chi2 = F^-1_chi2_1(CL) (3.84 at 95% CL) when the
    moment equals the limit, and it scales as mu^2."""
    from scipy.stats import chi2

    from lqmodel.fit.likelihood import LimitsTerm
    from lqmodel.moments import compute_moments
    from observables.neutrino.limits import limits

    name = "Red-giant branch tip (omega Cen)"
    lim = next(l for l in limits("mu", 0.0) if l.name == name)
    base = s1_only(1000.0, 0.05, 1.0, "mu")
    lik = CombinedLikelihood(base, ["y1"], [LimitsTerm((name,))])
    mu1 = float(np.abs(compute_moments(lik.point(np.array([[1.0]]))).mu_muB[0, :, 0]).max())  # linear in y1
    y_at_limit = lim.upper_muB / mu1
    c = lik.chi2(np.array([[y_at_limit], [2 * y_at_limit]]))
    assert c[0] == pytest.approx(chi2.ppf(lim.cl, 1), rel=1e-6)
    assert c[1] == pytest.approx(4 * c[0], rel=1e-6)
    with pytest.raises(Exception, match="unknown limit"):
        CombinedLikelihood(base, ["y1"], [LimitsTerm(("Red giant",))])


def test_smooth_pair_term_follows_the_shipped_pair_cross_section():
    """Delta chi^2 = 3.84 sigma(m)/sigma(m_lim): 1 at the limit, the table's ratio inside it, monotone and
    continuous beyond the table's 3 TeV end (log-linear extrapolation)."""
    from lqmodel.fit.likelihood import _sigma_ratio
    from observables.collider.pair import pair_cross_section

    assert _sigma_ratio(np.array([1360.0]), np.array([1360.0]))[0] == pytest.approx(1.0, rel=1e-12)
    s1, s15 = pair_cross_section(1000.0)[0], pair_cross_section(1500.0)[0]
    assert _sigma_ratio(np.array([1500.0]), np.array([1000.0]))[0] == pytest.approx(float(s15 / s1), rel=1e-12)
    m = np.array([2900.0, 2999.0, 3000.0, 3001.0, 3500.0, 5000.0])
    r = _sigma_ratio(m, np.full(m.shape, 1400.0))
    assert np.all(np.diff(r) < 0) and r[3] == pytest.approx(r[2], rel=2e-2)
    assert _sigma_ratio(np.array([1500.0]), np.array([0.0]))[0] == 0.0
