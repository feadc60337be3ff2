"""The fast evaluation of the surrogates (observables.surrogate: monomials of the batch's non-zero real
variables, ScaleGroups) against the plain quadratic-form formula c + g.x + x.Q.x of QuadraticForm.__call__
(an independent evaluation: complex -> (Re, Im) of every variable, dense matmul), on synthetic forms (no
flavio). Also: the interpolation of the forms equals the weighted sum of the node values for every grouping
of the points (runs, scattered repeats, all distinct), and the SM covariance memo re-reads a changed file."""
from __future__ import annotations

import numpy as np
import pytest

from observables import surrogate as sg
from observables.registry import get


def _random_form(rng, names, dense=True):
    n = 2 * len(names)
    q = rng.normal(size=(n, n))
    q = q + q.T
    g = rng.normal(size=n)
    if not dense and n > 2:
        g[2:4] = 0.0  # a variable that does not enter
        q[2:4, :] = 0.0
        q[:, 2:4] = 0.0
    return sg.QuadraticForm(sg._real_variables(names), float(rng.normal() + 5.0), g, q, (tuple(range(n)),))


def _surrogate(name, scale, rng, dense=True):
    spec = get(name)
    names = spec.wc_names[:3]
    num = _random_form(rng, names, dense)
    den = _random_form(rng, names, dense) if spec.form == "rational" else None
    return sg.Surrogate(spec, scale, tuple(names), num, den, {})


def _reference(s, wc, part="numerator"):
    """c + g.x + x.Q.x with all Re/Im variables (the pre-monomial evaluation)."""
    x = sg._wc_to_x(wc, s.wc_names, s.wc_names)
    if part == "numerator":
        return s.numerator(x) - s._offset
    return s.denominator(x)


@pytest.mark.parametrize("name", ["R_D", "BR_Bs_mumu", "Delta_a_mu", "DeltaM_s", "BR_tau_mugamma"])
def test_surrogate_values_equal_the_quadratic_form(name):
    rng = np.random.default_rng(1)
    s = _surrogate(name, 1000.0, rng, dense=False)
    n = 50
    a, *rest = s.wc_names
    wc = {a: rng.normal(size=n) + 1j * rng.normal(size=n)}  # complex
    if rest:
        wc[rest[0]] = rng.normal(size=n).astype(complex)  # complex dtype, zero imaginary part
    if len(rest) > 1:
        wc[rest[1]] = np.zeros(n, dtype=complex)  # identically zero
    for part in ("numerator", "denominator") if s.denominator is not None else ("numerator",):
        ref = _reference(s, wc, part)
        got = s.values(wc, (part,))[0]
        scale = np.abs(s.numerator.constant) + np.abs(ref)
        assert np.all(np.abs(got - ref) <= 1e-13 * scale)
    # the NP-squared part: exactly [f(M) + f(-M)]/2 - f(0) of the quadratic form
    q = s.values(wc, ("numerator",), quadratic_only=True)[0]
    neg = {k: -v for k, v in wc.items()}
    ref_q = 0.5 * (_reference(s, wc) + _reference(s, neg)) - _reference(s, {})
    assert np.allclose(q, ref_q, rtol=1e-9, atol=1e-12 * abs(s.numerator.constant))
    # scalars and batch shapes broadcast as before
    assert np.shape(s({a: 0.3 + 0.1j})) == ()
    assert s({a: np.ones((2, 3))}).shape == (2, 3)
    with pytest.raises(KeyError, match="do not enter"):
        s({"C_unknown": 1.0})


def _scales_cases(rng):
    lo, hi = np.log10(sg.node_scale(0)), np.log10(sg.node_scale(5))
    grid = np.geomspace(10 ** lo, 10 ** hi, 7)
    nodes = np.array([sg.node_scale(k) for k in range(1, 4)])
    return {
        "runs": np.repeat(grid, 40),  # grid order: equal runs (one segment)
        "runs_partial": np.repeat(grid, 40)[13:-5],  # partial first and last runs (three segments)
        "scattered": rng.permutation(np.repeat(grid, 40)),  # repeats out of order (numpy.unique)
        "distinct": 10 ** rng.uniform(lo, hi, 200),  # random masses: every point its own group
        "nodes": np.repeat(nodes, 30),  # exactly at lattice nodes
        "one": np.full(30, grid[2]),
    }


@pytest.mark.parametrize("case", ["runs", "runs_partial", "scattered", "distinct", "nodes", "one"])
def test_interpolated_is_the_weighted_sum_of_node_values(case):
    """P(x; mu) = sum_j w_j(mu) P_{k+j}(x) (interpolation_stencil), with the node values from the plain form."""
    rng = np.random.default_rng(7)
    scales = _scales_cases(rng)[case]
    made: dict[float, sg.Surrogate] = {}

    def factory(mu):
        if mu not in made:
            made[mu] = _surrogate("R_K[1.1,6.0]", mu, np.random.default_rng(int(mu * 1000) % 2**32))
        return made[mu]

    s = sg.InterpolatedSurrogate("R_K[1.1,6.0]", scales, factory=factory)
    n = scales.size
    a, b, _ = s.wc_names
    wc = {a: rng.normal(size=n) + 1j * rng.normal(size=n), b: rng.normal(size=n) + 0j}
    first, w = sg.interpolation_stencil(scales)
    for part in ("numerator", "denominator"):
        ref = np.zeros(n)
        for j in range(4):
            for i in range(n):
                if w[i, j] != 0:
                    node = made[sg.node_scale(int(first[i] + j))]
                    ref[i] += w[i, j] * _reference(node, {k: v[i:i + 1] for k, v in wc.items()}, part)[0]
        got = s.values(wc, (part,))[0]
        assert np.allclose(got, ref, rtol=1e-12, atol=0.0)
    ratio = s(wc)
    assert np.allclose(ratio, s.values(wc, ("numerator",))[0] / s.values(wc, ("denominator",))[0], rtol=1e-15)
    if case == "nodes":  # at a node: that node's surrogate, bit for bit
        for mu in np.unique(scales):
            m = scales == mu
            sub = {k: v[m] for k, v in wc.items()}
            assert np.array_equal(ratio[m], made[float(mu)](sub))


def test_per_point_forms_of_many_random_scales():
    """Random scales, more than ScaleGroups combines with one matrix product (every point its own group): the
    evaluation along runs of one first stencil node (evaluate_per_point) gives the numbers of the per-point
    combined forms (combine, evaluate) bit for bit, in the points' own order, and the weighted sum of the node
    values of the plain form on a sample of points; points exactly at lattice nodes included."""
    rng = np.random.default_rng(21)
    lo, hi = np.log10(sg.node_scale(0)), np.log10(sg.node_scale(6))
    scales = 10 ** rng.uniform(lo, hi, 5000)
    scales[::97] = sg.node_scale(3)
    groups = sg.ScaleGroups(scales)
    assert groups.inverse is None and groups._dense is None  # the per-point path
    made: dict[float, sg.Surrogate] = {}

    def factory(mu):
        if mu not in made:
            made[mu] = _surrogate("R_K[1.1,6.0]", mu, np.random.default_rng(int(mu * 1000) % 2**32))
        return made[mu]

    s = sg.InterpolatedSurrogate("R_K[1.1,6.0]", scales, factory=factory, groups=groups)
    n = scales.size
    a, b, _ = s.wc_names
    wc = {a: rng.normal(size=n) + 1j * rng.normal(size=n), b: rng.normal(size=n) + 0j}
    cols, mono, _ = sg._variables_and_monomials(wc, s.wc_names, n, s._forms("numerator") + s._forms("denominator"),
                                                None)
    first, w = sg.interpolation_stencil(scales)
    sample = rng.choice(n, 300, replace=False)
    for part in ("numerator", "denominator"):
        coef = {k: node.coefficient_vector(part, cols) for k, node in s._by_index.items()}
        got = groups.evaluate_per_point(coef, mono)
        assert got is not None
        assert np.array_equal(got, groups.evaluate(groups.combine(coef), mono))
        assert np.array_equal(s.values(wc, (part,))[0], got)
        for i in sample:
            one = {k: v[i:i + 1] for k, v in wc.items()}
            ref = sum(w[i, j] * _reference(made[sg.node_scale(int(first[i] + j))], one, part)[0]
                      for j in range(4) if w[i, j] != 0)
            assert np.isclose(got[i], ref, rtol=1e-12, atol=0.0)


def test_scale_groups_share_one_stencil_between_observables():
    rng = np.random.default_rng(3)
    scales = np.repeat(np.geomspace(1000.0, 5000.0, 5), 20)
    groups = sg.ScaleGroups(scales)
    assert groups.n_groups == 5 and groups.segments is not None
    built = []

    def factory(mu):
        built.append(mu)
        return _surrogate("BR_Bs_mumu", mu, rng)

    for name in ("BR_Bs_mumu",):
        s = sg.InterpolatedSurrogate(name, scales, factory=factory, groups=groups)
        assert sorted(s.node_scales) == [sg.node_scale(int(k)) for k in groups.node_indices]
    assert len(built) == groups.node_indices.size
    with pytest.raises(ValueError, match="scale groups"):
        sg.InterpolatedSurrogate("BR_Bs_mumu", scales[:10], factory=factory, groups=groups)
    empty = sg.InterpolatedSurrogate("BR_Bs_mumu", np.zeros(0), factory=factory)
    assert empty({}).shape == (0,)


def test_theory_covariance_memo_rereads_a_changed_file(tmp_path, monkeypatch):
    """The per-process memo of observables.likelihood.theory_covariance: one read per file state; a file
    rewritten since is read (and verified) again; the caller gets a copy."""
    from observables import cache as oc
    from observables import likelihood as lk

    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path))
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    monkeypatch.setattr(lk, "shipped_covariance", lambda names, N, seed: None)
    monkeypatch.setattr(lk, "compute_theory_covariance", lambda names, N, seed: cov.copy())
    reads = []
    real = oc.load_arrays
    monkeypatch.setattr(oc, "load_arrays", lambda *a, **k: reads.append(1) or real(*a, **k))
    names = ["R_D", "R_Dstar"]
    first = lk.theory_covariance(names, N=5, seed=11)
    assert np.array_equal(first, cov) and len(reads) == 1  # nothing on disk yet: computed, stored
    lk.theory_covariance(names, N=5, seed=11)
    assert len(reads) == 2  # the stored file: read and verified once
    again = lk.theory_covariance(names, N=5, seed=11)
    assert len(reads) == 2 and np.array_equal(again, cov)  # memoised
    again[0, 0] = -1.0  # a copy: the memo is not changed through it
    assert lk.theory_covariance(names, N=5, seed=11)[0, 0] == 2.0
    (path,) = (tmp_path / "theory_covariance").glob("*.npz")
    path.write_bytes(b"damaged")
    assert np.array_equal(lk.theory_covariance(names, N=5, seed=11), cov)  # re-read, rejected, rebuilt
    assert len(reads) == 3


def test_sm_offset_is_subtracted_before_the_sum():
    """subtract_sm observables (Delta a_mu): the shift c + g.x - c is g.x exactly, also where g.x is 1e-15 of
    c (the offset folded into the constant; the sum-then-subtract form lost up to 1e-4 of it)."""
    spec = get("Delta_a_mu")
    assert spec.subtract_sm
    g = np.array([8.6e-9, 0.0])
    num = sg.QuadraticForm(sg._real_variables(("C7_mumu",)), 1.16592033e-3, g, np.zeros((2, 2)), ((0, 1),))
    s = sg.Surrogate(spec, 1000.0, ("C7_mumu",), num, None, {})
    x = np.geomspace(1e-12, 1e-3, 40) * (1 + 0.3j)
    assert np.array_equal(s({"C7_mumu": x}), x.real * g[0])
