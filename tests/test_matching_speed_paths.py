"""Speed paths of the flavour matching (issue 10) against dense per-point references written out here:
the non-zero pattern of the couplings (bit tricks) against ``np.any(M != 0)``, the matching scale without
reading the couplings (degenerate masses) against its definition, the sparse one-loop Z/W coupling shifts
(lepton by lepton, loop functions per distinct mass) against the dense einsum of docs/electroweak.md §5,
and the chi^2 one-row fast path against r^T C^-1 r per constraint."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from lqmodel import ew_oneloop as ew
from lqmodel.matching import _entry_nonzero, _matching_inputs, matching_scale
from lqmodel.point import Point


def _batch(rng, n, density, degenerate, few_masses=True):
    f = {}
    for name in ("y_LL", "y_RR", "ybar_RR", "yt_RL", "yt_LR"):
        mask = rng.random((3, 3)) < density
        f[name] = np.where(mask, (rng.normal(size=(n, 3, 3)) + 1j * rng.normal(size=(n, 3, 3))) * 0.3, 0.0)
    f["y_LL"][::7] = 0.0  # some points without S1 couplings at all
    f["y_RR"][::7] = 0.0
    f["ybar_RR"][::7] = 0.0
    m = rng.choice([700.0, 1500.0, 3000.0], n) if few_masses else rng.uniform(500.0, 5000.0, n)
    mR = m if degenerate else m * 1.2
    return Point(m_S1=m, m_R2=mR, quark_basis=rng.choice(["down", "up"]), **f)


@pytest.mark.parametrize("layout", ["batch_first", "batch_last", "broadcast", "real"])
def test_entry_nonzero_equals_any_not_equal_zero(layout):
    rng = np.random.default_rng(3)
    M = np.zeros((200, 3, 3), dtype=complex)
    M[5, 1, 2] = np.nan
    M[7, 0, 0] = -0.0          # a signed zero is zero
    M[9, 2, 1] = 1e-310j       # a subnormal is not
    M[11, 1, 1] = rng.normal()
    if layout == "batch_last":
        M = np.moveaxis(np.ascontiguousarray(np.moveaxis(M, 0, -1)), -1, 0)
    elif layout == "broadcast":
        M = np.broadcast_to(M[11], M.shape)
    elif layout == "real":
        M = np.ascontiguousarray(M.real)
    assert np.array_equal(_entry_nonzero(M), np.any(M != 0, axis=0))


@pytest.mark.parametrize("degenerate", [True, False])
def test_matching_scale_equals_definition(degenerate):
    rng = np.random.default_rng([4, degenerate])
    p = _batch(rng, 300, 0.4, degenerate)
    s1_on = np.zeros(300, dtype=bool)
    for M in (p.y_LL, p.y_RR, p.ybar_RR):
        s1_on |= np.any(np.asarray(M) != 0, axis=(-2, -1))
    ref = np.where(s1_on, p.m_S1, p.m_R2)
    assert np.array_equal(matching_scale(p), ref)
    assert float(matching_scale(p[7])) == float(ref[7])  # scalar point: a point without S1 couplings


def _dense_delta_g(point):
    """docs/electroweak.md §5 with every quark, every point, the loop functions at every point (einsum)."""
    from observables.parameters import value

    mz = value("m_Z")
    mb = point.mass_basis()
    shape = point.batch_shape
    mS = np.broadcast_to(np.asarray(point.m_S1, dtype=float), shape)
    mR = np.broadcast_to(np.asarray(point.m_R2, dtype=float), shape)
    pref = ew.NC / (16 * math.pi**2)

    def z(lam, M, quarks, s):
        xm, xz, mzq = ew._x_sets(quarks, M, mz)
        f = s * (ew.hard_z(xm) + ew.soft_z(xz, mz, mzq))
        return pref * np.einsum("...q,...ql->...l", f, np.abs(np.asarray(lam)) ** 2)

    xm, xz, mzq = ew._x_sets(ew._UP, mS, mz)
    return {
        "Z_eL": z(mb.s1_uc_eL, mS, ew._UP, 0.5) + z(mb.r2_d_eL, mR, ew._DOWN, -0.5),
        "Z_nu": z(mb.s1_dc_nuL, mS, ew._DOWN, -0.5) + z(mb.r2_d_nuL, mR, ew._DOWN, -0.5),
        "Z_eR": z(mb.s1_uc_eR, mS, ew._UP, -0.5),
        "W": pref * np.einsum("...q,...ql->...l", ew.hard_w(xm) + ew.soft_w(xz, mz, mzq),
                              np.abs(np.asarray(mb.s1_uc_eL)) ** 2),
    }


@pytest.mark.parametrize("few_masses", [True, False])
@pytest.mark.parametrize("density", [0.3, 1.0])
def test_delta_g_equals_dense_reference(few_masses, density):
    from observables.parameters import value

    rng = np.random.default_rng([6, few_masses, int(10 * density)])
    p = _batch(rng, 400, density, False, few_masses)
    ref, fast = _dense_delta_g(p), ew.delta_g(p)
    for k in ref:
        scale = np.max(np.abs(ref[k]), axis=0, keepdims=True)
        assert np.all(np.abs(fast[k] - ref[k]) <= 1e-13 * np.where(scale > 0, scale, 1.0)), k
    # the Warsaw coefficients: flavio's dictionary (oneloop_coefficients docstring) from the dense shifts,
    # only where non-zero somewhere, the same sparse inputs as match passes
    v2 = 1 / (math.sqrt(2) * value("G_F"))
    plus, minus = -2 / v2 * ref["Z_eL"], -2 / v2 * ref["Z_nu"]
    want = {"phil1": 0.5 * (plus + minus), "phil3": 0.5 * (plus - minus), "phie": -2 / v2 * ref["Z_eR"]}
    got = ew.oneloop_coefficients(p, _matching_inputs(p)[0])
    names = [f"{c}_{q + 1}{q + 1}" for c in want for q in range(3) if np.any(want[c][..., q] != 0)]
    assert list(got) == names
    for name in names:
        a = want[name[:-3]][..., int(name[-1]) - 1]
        np.testing.assert_allclose(got[name].real, a, rtol=1e-12, atol=1e-13 * np.max(np.abs(a)))
        assert not np.any(got[name].imag)


@pytest.mark.parametrize("layout", ["one_mass", "runs", "many_runs", "random"])
def test_batched_matching_equals_point_by_point(layout):
    """WET (with N_R) and SMEFT coefficients of a batch against those of each point matched on its own (a
    scalar point: no per-batch shortcut): a batch at one mass (the masses as numbers, loop functions kept per
    mass), in a few runs of equal masses (the loop functions kept per mass, the mass prefactors once per run,
    repeated), in many short runs (the loop functions evaluated once per run) and at random masses (every point
    its own). Point by point agrees to rounding (the mass-basis rotation of a batch
    and of one point round differently), so an O(1) slip of a per-run value cannot pass."""
    from lqmodel.matching import match
    from lqmodel.smeft_matching import match_smeft

    rng = np.random.default_rng([11, len(layout)])
    n = 240
    m = {"one_mass": np.full(n, 1300.0), "runs": np.repeat([900.0, 1300.0, 2500.0, 4000.0], n // 4),
         "many_runs": np.repeat(np.geomspace(600.0, 4000.0, n // 3), 3),
         "random": rng.uniform(500.0, 5000.0, n)}[layout]
    p = _batch(rng, n, 0.5, False).replace(m_S1=m, m_R2=1.1 * m)
    wc, sm = match(p), match_smeft(p)
    checked = 0
    for i in range(0, n, 23):
        one, one_sm = match(p[i]), match_smeft(p[i])
        for batch, single in ((wc.values, one.values), (wc.right_handed_nu, one.right_handed_nu),
                              (sm.values, one_sm.values)):
            for k, v in batch.items():
                a, b = complex(np.asarray(v)[i]), complex(np.asarray(single.get(k, 0.0)))
                assert abs(a - b) <= 1e-12 * max(abs(a), abs(b)), (layout, i, k, a, b)
                checked += a != 0
    assert checked > 200  # many non-zero coefficients compared


def test_a_mass_gets_the_same_numbers_alone_and_among_others():
    """The points of one mass give the same coefficients bit for bit whether their batch holds that mass only
    (the one-number path of the matching, loop functions kept per mass) or also another one (the per-run
    path), so the matching does not depend on how the points fall into sub-batches; masses where numpy's
    scalar arithmetic would round differently from its array loops included. Predictions agree to 1e-14."""
    from lqmodel.benchmarks import get
    from lqmodel.flavour import predict
    from lqmodel.matching import match
    from lqmodel.point import vary
    from lqmodel.smeft_matching import match_smeft
    from observables.registry import names as all_names

    rng = np.random.default_rng(12)
    names = list(all_names())
    n = 120
    p = _batch(rng, n, 0.5, False)
    half = slice(0, n // 2)
    for m, other in ((977.5045020029042, 3100.0), (553.5895238906571, 900.0), (2468.9, 4100.0)):
        alone = p.replace(m_S1=np.full(n, m), m_R2=np.full(n, 1.1 * m))
        mixed_m = np.where(np.arange(n) < n // 2, m, other)
        mixed = p.replace(m_S1=mixed_m, m_R2=1.1 * mixed_m)
        a, b = match(alone), match(mixed)
        for d1, d2 in ((a.values, b.values), (a.right_handed_nu, b.right_handed_nu),
                       (match_smeft(alone).values, match_smeft(mixed).values)):
            for k in d1.keys() | d2.keys():
                x = np.broadcast_to(np.asarray(d1.get(k, 0.0)), (n,))[half]
                y = np.broadcast_to(np.asarray(d2.get(k, 0.0)), (n,))[half]
                assert np.array_equal(x, y), (m, k)
    # the predictions on the default map's kind of point, inside the shipped lattice (1-5 TeV)
    m, other = 2468.9, 4100.0
    mixed_m = np.where(np.arange(n) < n // 2, m, other)
    y = np.sqrt(np.geomspace(1e-3, 3.0, n))
    pa = predict(vary(get("BP2"), {"m_LQ": np.full(n // 2, m), "y1": y[half], "y2": y[half]}), names,
                 masses="interpolated")
    pb = predict(vary(get("BP2"), {"m_LQ": mixed_m, "y1": y, "y2": y}), names, masses="interpolated")
    # (the interpolated surrogates combine the node forms of a batch's few scales with one matrix
    # product, whose rounding depends on how many scales the batch holds: equal to 1e-15, not bit for bit)
    for k in names:
        np.testing.assert_allclose(np.asarray(pa[k]), np.asarray(pb[k])[half], rtol=1e-14, atol=0.0, err_msg=k)


def test_chi2_equals_dense_formula():
    """observables.likelihood.chi2 against r^T C^-1 r per constraint (experimental + SM theory covariance,
    limits as half-Gaussians at zero), written out here."""
    from observables.likelihood import GROUP_PREFIX, chi2, theory_covariance
    from observables.measurements import load
    from observables.registry import get

    mset = load()
    names = sorted({o for c in mset.constraints for o in c.observables})
    rng = np.random.default_rng(8)
    n = 50
    preds = {}
    for c in mset.constraints:
        for i, o in enumerate(c.observables):
            sig = math.sqrt(c.covariance[i, i])
            preds[o] = c.values[i] + sig * rng.normal(size=n) * 2
    preds = {k: preds[k] for k in names}
    got = chi2(preds)
    total = np.zeros(n)
    per_obs: dict[str, np.ndarray] = {}
    per_group: dict[str, np.ndarray] = {}
    for c in mset.constraints:
        cov = np.array(c.covariance, dtype=float)
        if c.theory == "flavio":
            cov = cov + theory_covariance(c.observables, N=c.theory_samples or 100)
        r = np.stack([preds[o] for o in c.observables], axis=-1)
        if c.kind == "upper_limit":
            r = np.maximum(r, 0.0)
        r = r - c.values
        w = np.linalg.solve(cov, r.T).T
        for i, o in enumerate(c.observables):
            per_obs[o] = per_obs.get(o, 0.0) + r[:, i] * w[:, i]
            g = GROUP_PREFIX + get(o).group
            per_group[g] = per_group.get(g, 0.0) + r[:, i] * w[:, i]
        total += np.sum(r * w, axis=-1)
    for k, v in {**per_obs, **per_group, "total": total}.items():
        np.testing.assert_allclose(got[k], v, rtol=1e-10, atol=1e-12)
    assert set(got) == set(per_obs) | set(per_group) | {"total"}


def test_zero_coupling_scalar_point_equals_batch_path():
    """The memoised predictions of a scalar point without couplings (the Delta chi2 reference) equal those of
    the same point as a batch of two (the general surrogate path, every coefficient an array of zeros), and
    a second call returns fresh arrays."""
    from lqmodel.flavour import predict
    from observables.registry import names as all_names

    names = list(all_names())
    zero = np.zeros((3, 3), dtype=complex)
    p = Point(m_S1=1000.0, m_R2=1000.0, y_LL=zero)
    pb = Point(m_S1=np.full(2, 1000.0), m_R2=np.full(2, 1000.0), y_LL=np.zeros((2, 3, 3), dtype=complex))
    one, batch = predict(p, names), predict(pb, names)
    assert list(one) == list(batch) == names
    for k in names:
        assert one[k].shape == () and np.all(batch[k] == one[k]), k
    again = predict(p, names)
    assert all(again[k] is not one[k] for k in names)


def test_chi2_plan_follows_rewritten_covariance_entry(tmp_path, monkeypatch):
    """chi2 keeps its per-constraint plan (inverse covariances) in memory keyed with the stat stamps of the SM
    covariance cache entries: an entry rewritten on disk is read anew (as theory_covariance does), and a
    different cache folder is a different plan."""
    from observables import cache as _cache
    from observables.likelihood import (
        THEORY_SAMPLES,
        THEORY_SEED,
        _covariance_key,
        _covariance_path,
        chi2,
        theory_covariance,
    )
    from observables.measurements import load

    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path))
    c = next(c for c in load().constraints if c.theory == "flavio" and len(set(c.observables)) == len(c.observables))
    names, N = tuple(c.observables), int(c.theory_samples or THEORY_SAMPLES)
    sig = np.sqrt(np.diag(c.covariance))
    preds = {o: np.array([c.values[i] + 3 * sig[i]]) for i, o in enumerate(names)}
    before = chi2(preds)
    th = theory_covariance(names, N=N)
    path = _covariance_path(names, N, THEORY_SEED)
    assert path.startswith(str(tmp_path))
    _cache.store_arrays(Path(path), _covariance_key(names, N, THEORY_SEED), {"cov": 9 * th})
    after = chi2(preds)
    r = np.array([preds[o][0] for o in names]) - c.values
    want = r @ np.linalg.solve(c.covariance + 9 * th, r)
    assert float(after["total"][0]) == pytest.approx(float(want), rel=1e-10)
    assert float(before["total"][0]) == pytest.approx(float(r @ np.linalg.solve(c.covariance + th, r)), rel=1e-10)
