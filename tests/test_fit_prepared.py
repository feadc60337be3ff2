"""The prepared fixed-mass fast path of the fit likelihood (lqmodel.fit.prepared) against the full
per-point pipeline (CombinedLikelihood: lqmodel.matching.match, lqmodel.flavour.predict,
lqmodel.collider.drell_yan / widths / pair, lqmodel.moments) at random points, every term, to 1e-9; the
polynomial representation against polynomials known in closed form; the fallback."""
from __future__ import annotations

import numpy as np
import pytest

from lqmodel.fit.likelihood import CombinedLikelihood, build_terms
from lqmodel.fit.prepared import PreparedLikelihood, _Basis, prepare


def _points(lows, highs, n, seed):
    """Random points of the box, with faces (a parameter at its bounds), the origin and tiny couplings."""
    rng = np.random.default_rng(seed)
    lows, highs = np.asarray(lows, float), np.asarray(highs, float)
    pts = lows + (highs - lows) * rng.random((n, lows.size))
    pts[0] = lows
    pts[1] = highs
    pts[2:5, 0] = lows[0]
    pts[5:8, -1] = lows[-1]
    pts[8:11] = lows + 1e-5 * (highs - lows) * rng.random((3, lows.size))
    return pts


def _agree(fast, full, pts, rtol=1e-9):
    a, b = fast.evaluate(pts), full.evaluate(pts)
    assert set(a) == set(b)
    for k in b:
        # relative to the term, or to the total where a term is ~0 (the pair term at zero coupling, ...)
        scale = np.maximum(np.abs(b[k]), np.abs(b["total"]))
        assert np.all(np.abs(a[k] - b[k]) <= rtol * scale), (k, np.max(np.abs(a[k] - b[k]) / scale))


def _builtin():
    from lqmodel.evaluate import resolve_base
    from lqmodel.fit import builtin_config

    cfg = builtin_config("voloshin_1p5TeV_y1_y2")
    return cfg, resolve_base(cfg.base)


def test_collider_and_direct_detection_terms_agree_with_the_full_pipeline():
    # no flavio: Drell-Yan, pair production (smooth and hard), XENON1T and XENONnT at m_LQ = 1.5 TeV
    cfg, base = _builtin()
    lows, highs = [p.low for p in cfg.parameters], [p.high for p in cfg.parameters]
    for mode in ("smooth", "hard"):
        opts = {"drell_yan": True, "pair": {"mode": mode}, "xenon1t": {"tritium": "none"}, "xenonnt": True}
        full = CombinedLikelihood(base, cfg.names, build_terms(opts))
        fast = prepare(full, lows, highs)
        assert isinstance(fast, PreparedLikelihood)
        _agree(fast, full, _points(lows, highs, 40, seed=1))
        # a point outside the box: the representation is a polynomial identity, not a fit inside the box
        _agree(fast, full, np.array([[0.45, 2.7]]))


@pytest.mark.flavio
@pytest.mark.slow
def test_builtin_fit_likelihood_agrees_with_the_full_pipeline_at_random_points():
    cfg, base = _builtin()
    lows, highs = [p.low for p in cfg.parameters], [p.high for p in cfg.parameters]
    full = CombinedLikelihood(base, cfg.names, build_terms(cfg.likelihood), y1_over_y2=cfg.y1_over_y2)
    fast = prepare(full, lows, highs)
    assert isinstance(fast, PreparedLikelihood)
    pts = _points(lows, highs, 60, seed=7)
    _agree(fast, full, pts)
    # batch size does not matter (one point at a time, as MIGRAD calls it)
    one = np.array([fast.chi2(p[None])[0] for p in pts[:6]])
    assert np.allclose(one, full.chi2(pts[:6]), rtol=1e-9, atol=0)
    assert fast.chi2_sm() == full.chi2_sm() and fast.spec() == full.spec()


def test_polynomial_basis_is_exact_for_polynomials_and_keeps_their_zeros():
    rng = np.random.default_rng(3)
    lows, highs = np.array([0.0, -1.0]), np.array([0.4, 2.5])
    # y1 y2 (3 - y2) + 0.7 y1^2 y2^2 - 2 y2^4 (no constant, no pure-y1 term): a quartic in closed form
    def f(t):
        y1, y2 = t[:, 0], t[:, 1]
        return y1 * y2 * (3.0 - y2) + 0.7 * y1**2 * y2**2 - 2.0 * y2**4
    for kind in ("monomial", "chebyshev"):
        b = _Basis(lows, highs, 4, kind=kind)
        nodes = b.nodes()
        coef = b.fit(f(nodes)[:, None], nodes)
        x = lows + (highs - lows) * rng.random((50, 2))
        assert np.allclose(b(x) @ coef[:, 0], f(x), rtol=1e-12, atol=1e-12)
    b = _Basis(lows, highs, 4)
    coef = b.fit(f(b.nodes())[:, None], b.nodes())
    on_axis = np.array([[0.0, 0.0], [0.3, 0.0], [1e-9, 0.0]])
    assert np.all(b(on_axis) @ coef[:, 0] == 0.0)  # exact zeros where the polynomial vanishes identically


def test_likelihoods_the_fast_path_does_not_cover_are_returned_unchanged():
    from lqmodel.models import s1_only

    class Toy:  # a user-defined term: the fast path knows nothing about it
        name = "toy"

        def chi2(self, point, shared):
            return ((point.y_RR[..., 2, 1].real.ravel() - 0.2) / 0.1) ** 2

        def spec(self):
            return {"kind": "toy"}

    L = CombinedLikelihood(s1_only(1500.0, 0.0, 1.0, "mu"), ["y1p"], [Toy()])
    assert prepare(L, [0.0], [1.0]) is L
