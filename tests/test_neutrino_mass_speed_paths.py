"""The batch shortcuts of :func:`lqmodel.neutrino_mass.neutrino_mass` (issue 10) change no number.

Reference: the general path written out here as it stood before the shortcuts (every |U|² limit looked up
point by point, both mixing directions always formed, the tree mass always added, the binding limit as a
string per point). The fast path evaluates what depends on M_N alone once per distinct M_N, skips the
mixing directions where no limit applies at the batch's M_N, and drops an identically vanishing tree mass.
Every field must be equal to the reference bit for bit (zeros may differ in their sign only, which
``assert_array_equal`` ignores), on batches that hit each branch: M_N inside and outside the tabulated
|U|² windows, constant and varying M_N, y_nu zero and non-zero, Dirac and Majorana N.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from lqmodel import neutrino_mass as nmod
from lqmodel.models import voloshin, voloshin_split
from lqmodel.moments import compute_moments
from lqmodel.point import LEPTONS, vary
from observables.neutrino import mass_bounds as mbd


def _reference(point, *, bound=None, ordering="NO", mixing=True):
    """The general path (module docstring): returns a dict of the fields."""
    b = mbd.light_mass_bound(bound)
    m_nu_max = mbd.max_single_light_mass_eV(b, ordering)
    mom = compute_moments(point, uv="msbar")
    tree = np.asarray(point.y_nu)[..., :, 0] * (nmod._vev() / np.sqrt(2.0))
    loop = mom.m_nuN_GeV[..., :, 0]
    shape = np.broadcast_shapes(tree.shape, loop.shape)
    tree, loop = np.broadcast_to(tree, shape), np.broadcast_to(loop, shape)
    total = tree + loop
    m_D_eV = total * nmod.EV_PER_GEV
    M_eV = np.broadcast_to(np.asarray(point.M_N, dtype=float) * nmod.EV_PER_GEV, total.shape[:-1])
    spectrum = nmod.majorana_spectrum if point.N_type == "majorana" else nmod.dirac_spectrum
    light, heavy, U2 = spectrum(m_D_eV, M_eV)
    s2_max = np.full(total.shape[:-1], np.inf)
    binding = np.full(total.shape[:-1], "light mass", dtype=object)
    allowed = light[..., 2] <= m_nu_max * (1 + 1e-12)
    if mixing:
        fb = np.zeros(3, dtype=complex)
        fb[point.lepton_index if point.lepton is not None else 0] = 1.0
        _, n_tot = nmod._direction(total, np.broadcast_to(fb, total.shape))
        _, n = nmod._direction(loop, n_tot)
        for i, lep in enumerate(LEPTONS):
            u2, name = mbd.mixing_upper_bound(lep, M_eV)
            w = np.abs(n[..., i]) ** 2
            with np.errstate(divide="ignore", invalid="ignore"):
                cand = np.where(w > 0, u2 / np.where(w > 0, w, 1.0), np.inf)
            allowed &= U2[..., i] <= u2 * (1 + 1e-12)
            better = cand < s2_max
            s2_max = np.where(better, cand, s2_max)
            binding = np.where(better, name, binding)
    a_light = nmod.max_dirac_mass_eV(M_eV, m_nu_max, point.N_type)
    m_D_max = nmod.max_dirac_mass_eV(M_eV, m_nu_max, point.N_type, s2_max)
    binding = np.where(m_D_max < a_light, binding, "light mass").astype(str)
    m_loop = np.linalg.norm(loop, axis=-1) * nmod.EV_PER_GEV
    return {"m_D_tree_GeV": tree, "m_D_loop_GeV": loop, "m_D_GeV": total, "m_light_eV": light,
            "M_heavy_eV": heavy, "U2": U2, "m_D_max_eV": m_D_max, "tuning": m_loop / m_D_max,
            "binding": binding, "allowed": allowed, "m_loop_eV": m_loop,
            "uv_divergent_loop": np.any(mom.uv_divergent[..., :, 0], axis=-1),
            "mu_N1_muB": np.linalg.norm(mom.mu_muB[..., :, 0], axis=-1)}


def _batch(n_type, M_N, y_nu_scale, lepton="e", n=60, seed=5):
    rng = np.random.default_rng(seed)
    base = voloshin_split(1000.0, 1100.0, 0.05, 1.0, lepton, N_type=n_type, M_N=0.08)
    a = {"y1": 10 ** rng.uniform(-3, 0, n), "y2": 10 ** rng.uniform(-2, 0, n), "delta_m2": 10 ** rng.uniform(-4, -1, n)}
    if M_N is not None:
        a["M_N"] = M_N(rng, n)
    if y_nu_scale:
        a[f"y_nu[{LEPTONS.index(lepton)},0]"] = y_nu_scale * (rng.normal(size=n) + 1j * rng.normal(size=n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return vary(base, a)


CASES = {
    "dirac, M_N in the PIENU window, varying": ("dirac", lambda r, n: r.uniform(0.06, 0.12, n), 0.0),
    "dirac, M_N in and out of every window": ("dirac", lambda r, n: r.choice([0.0, 1e-5, 0.08, 0.3, 2.0], n), 1e-8),
    "majorana, constant M_N in a window": ("majorana", lambda r, n: np.full(n, 0.08), 1e-9),
    "majorana, constant M_N without limit": ("majorana", lambda r, n: np.full(n, 1e-4), 0.0),
    "majorana, base M_N": ("majorana", None, 1e-9),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("mixing", [True, False])
def test_fast_path_equals_the_general_path_bit_for_bit(case, mixing):
    n_type, M_N, y_nu = CASES[case]
    for lepton in ("e", "mu"):
        p = _batch(n_type, M_N, y_nu, lepton)
        got = nmod.neutrino_mass(p, mixing=mixing)
        ref = _reference(p, mixing=mixing)
        for k, v in ref.items():
            np.testing.assert_array_equal(getattr(got, k), v, err_msg=f"{case}, {lepton}: {k}")
        assert got.binding.dtype.kind == "U"
        # each point alone: the same numbers (a scalar point takes the constant-M_N branch)
        for i in (0, 17, 59):
            one = nmod.neutrino_mass(p[i], mixing=mixing)
            assert float(one.tuning) == got.tuning[i] and float(one.m_D_max_eV) == got.m_D_max_eV[i]
            assert str(one.binding) == str(got.binding[i]) and bool(one.allowed) == bool(got.allowed[i])


def test_the_mixing_limit_binds_in_the_fast_path():
    """The branch where a |U|² limit sets m_D_max is exercised (not only 'light mass')."""
    p = _batch("dirac", lambda r, n: r.uniform(0.06, 0.12, n), 0.0)
    labels = set(nmod.neutrino_mass(p).binding.tolist())
    assert labels != {"light mass"} and any("PIENU" in s for s in labels)


def test_light_bound_cache_keeps_types_apart():
    assert nmod._light_bound(None, "NO") == (mbd.light_mass_bound(None), mbd.max_single_light_mass_eV(None, "NO"))
    assert nmod._light_bound(0.5, "NO")[1] == 0.5
    with pytest.raises(KeyError):
        nmod._light_bound(True, "NO")  # not the number 1: a bool is no bound
    b = mbd.light_mass_bound("planck2018")
    assert nmod._light_bound(b, "IO") == (b, mbd.max_single_light_mass_eV(b, "IO"))


def test_voloshin_map_batch_skips_the_tree_and_the_directions():
    """The default map's case (exact Voloshin, y_nu = 0, M_N = 0): m_D is the loop mass itself."""
    base = voloshin(2000.0, 0.1, 0.1, "mu")
    p = vary(base, {"y1": np.geomspace(1e-3, 1, 7), "y2": np.geomspace(1e-3, 1, 7)})
    got = nmod.neutrino_mass(p)
    ref = _reference(p)
    for k, v in ref.items():
        np.testing.assert_array_equal(getattr(got, k), v, err_msg=k)


def _s1_batches():
    rng = np.random.default_rng(12)
    n = 64
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid = vary(voloshin(1000.0, 0.05, 1.0, "mu"),
                    {"m_LQ": np.repeat(np.geomspace(1000.0, 5000.0, 4), n // 4),
                     "y1": 10 ** rng.uniform(-3, 0, n), "y2": 10 ** rng.uniform(-3, 0, n)})
        split = vary(voloshin_split(1000.0, 1100.0, 0.05, 1.0, "e", N_type="majorana", M_N=1e-4),
                     {"delta_m2": np.repeat([1e-4, 1e-2], n // 2), "y1": 10 ** rng.uniform(-3, 0, n),
                      "m_b": np.tile([4.18, 4.3], n // 2)})
        kappa = vary(voloshin(1500.0, 0.1, 0.5, "tau"),
                     {"kappa": np.tile([0.0, 20.0, -50.0], 22)[:n], "y2": 10 ** rng.uniform(-3, 0, n)})
        some_zero = vary(voloshin(2000.0, 0.05, 1.0, "mu"), {"y1": np.where(rng.random(n) < 0.3, 0.0, 0.1)})
        distinct = vary(voloshin(1000.0, 0.05, 1.0, "mu"), {"m_LQ": rng.uniform(1000.0, 4000.0, n)})
    return {"grid": grid, "split, m_b": split, "kappa": kappa, "zero S1 coupling": some_zero,
            "distinct masses (general route)": distinct}


@pytest.mark.filterwarnings("ignore::lqmodel.moments.KappaNotIncludedWarning")
@pytest.mark.parametrize("case", list(_s1_batches()))
def test_tuning_s1_same_mu_fast_route_equals_the_general_route(case):
    """|M_k|/|W_k| per distinct mass (one quark carries S1's coupling to N_1) against the S1-only point's
    own moments point by point: equal to 1e-13 (rounding), NaN at the same points."""
    p = _s1_batches()[case]
    nm = nmod.neutrino_mass(p)
    got = nmod.tuning_s1_same_mu(p, nm=nm)
    ref = nmod._tuning_s1_general(p, nm)
    assert (nmod._s1_mass_over_moment(p) is None) == (case == "distinct masses (general route)")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    ok = ~np.isnan(ref)
    assert ok.any()
    np.testing.assert_allclose(got[ok], ref[ok], rtol=1e-13, atol=0)
    if case == "zero S1 coupling":
        assert np.isnan(ref).any()


def test_tuning_s1_same_mu_takes_the_general_route_for_two_quarks():
    y = np.zeros((3, 3), complex)
    y[1, 1], y[2, 1] = 0.3, 0.5
    yb = np.zeros((3, 3), complex)
    yb[1, 0], yb[2, 0] = 0.2, 0.1
    p = vary(voloshin(1000.0, 0.05, 1.0, "mu"), {"y1": np.geomspace(1e-3, 1, 20)}).replace(
        y_LL=np.broadcast_to(y, (20, 3, 3)), ybar_RR=yb, model="general")
    assert nmod._s1_mass_over_moment(p) is None
    nm = nmod.neutrino_mass(p)
    np.testing.assert_array_equal(nmod.tuning_s1_same_mu(p, nm=nm), nmod._tuning_s1_general(p, nm))
