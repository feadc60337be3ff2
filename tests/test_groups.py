"""Constraint groups (observables.registry.GROUPS): chi2 per group = sum of its observables' contributions,
column slugs, the evaluator's group columns. Reference: the per-observable chi2 (itself tested against
hand-computed Gaussians in tests/test_likelihood.py) and the definition of a sum."""
from __future__ import annotations

import numpy as np
import pytest

from observables.likelihood import GROUP_PREFIX, chi2
from observables.registry import GROUPS, OBSERVABLES, group_slug, groups


def test_every_observable_has_a_known_group():
    assert all(s.group in GROUPS for s in OBSERVABLES.values())
    assert sum(len(v) for v in groups().values()) == len(OBSERVABLES)


def test_group_chi2_is_the_sum_of_its_observables():
    preds = {"R_D": np.array([0.30, 0.35]), "R_Dstar": 0.25, "BR_tau_mugamma": 3e-8, "BR_tau_mumumu": 1e-8,
             "Delta_a_mu": 1e-9}
    c = chi2(preds, theory=False)
    assert c[GROUP_PREFIX + "b->c tau nu"] == pytest.approx(c["R_D"] + c["R_Dstar"])
    assert c[GROUP_PREFIX + "LFV"] == pytest.approx(c["BR_tau_mugamma"] + c["BR_tau_mumumu"])
    # half-Gaussian limits: (pred / (limit / 1.645))^2
    assert c["BR_tau_mumumu"] == pytest.approx((1e-8 * 1.6448536 / 1.9e-8) ** 2, rel=1e-6)
    groups_sum = sum(v for k, v in c.items() if k.startswith(GROUP_PREFIX))
    np.testing.assert_allclose(groups_sum, c["total"], rtol=1e-12)


def test_bc_bound_variants():
    a = chi2({"BR_Bc_taunu": 0.45}, theory=False)["BR_Bc_taunu"]
    b = chi2({"BR_Bc_taunu": 0.45}, "2026-12:Bc_lifetime=30%", theory=False)["BR_Bc_taunu"]
    assert a == pytest.approx((0.45 * 1.959964 / 0.60) ** 2, rel=1e-6)
    assert b == pytest.approx((0.45 * 1.959964 / 0.30) ** 2, rel=1e-6)
    with pytest.raises(KeyError, match="choices: 60%, 30%"):
        chi2({"BR_Bc_taunu": 0.1}, "2026-12:Bc_lifetime=10%", theory=False)


def test_old_vintage_still_selectable():
    c = chi2({"R_D": 0.3, "BR_Bs_mumu": 3e-9}, "2026-11", theory=False)
    assert "BR_Bs_mumu" not in c and "R_D" in c  # 2026-11 has no B_s -> mu mu measurement


def test_slugs_are_unique_column_names():
    slugs = [group_slug(g) for g in GROUPS]
    assert len(set(slugs)) == len(slugs) and all(s.replace("_", "").isalnum() for s in slugs)


def test_evaluator_declares_group_columns():
    from lqmodel.evaluate import PointEvaluator

    u = PointEvaluator(observables=("R_D", "Rmue_Dstar", "BR_Bs_mumu"), neutrino=False).units
    for slug in ("b_c_tau_nu", "charged_current_LFU", "b_s_ll"):
        assert {f"chi2_group_{slug}", f"dchi2_group_{slug}", f"excluded_{slug}"} <= set(u)


def _map_table():
    import pandas as pd

    y1, y2 = np.meshgrid(np.linspace(0.1, 1, 20), np.linspace(0.1, 2, 20), indexing="ij")
    df = pd.DataFrame({"y1": y1.ravel(), "y2": y2.ravel()})
    df["dchi2_total"] = (y2.ravel() / 0.8) ** 2
    df["dchi2_Rmue_Dstar"] = (y2.ravel() / 0.9) ** 2
    df["dchi2_group_charged_current_LFU"] = df["dchi2_Rmue_Dstar"]
    df["excluded_charged_current_LFU"] = df["dchi2_group_charged_current_LFU"] > 4
    df["dchi2_group_kaons"] = 0.0 * y1.ravel()  # evaluated, excludes nothing here
    df["excluded_kaons"] = False
    return df


def test_map_draws_one_layer_per_group_and_names_it():
    from lqmodel.plotting.maps import plot_map

    fig = plot_map(_map_table(), "y1", "y2")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    # y2 > 1.8 excluded by R_mu/e(D*): the legend names the group and its observable
    assert any(s.startswith("charged-current LFU excl.") and "Rmue_Dstar" in s for s in labels)
    assert any("no exclusion here" in s and "kaons" in s for s in labels)


def test_map_declared_group_without_its_field_is_an_error():
    from lqmodel.plotting.maps import plot_map

    df = _map_table().drop(columns=["dchi2_group_kaons"])
    with pytest.raises(KeyError, match="dchi2_group_kaons"):
        plot_map(df, "y1", "y2")


def test_docs_table_lists_every_observable():
    """docs/observables.md holds ONE table of every registered observable (regenerate it with
    tools/observables_table.py)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "observables.md").read_text(encoding="utf-8")
    table = text.split("<!-- table -->", 1)[1].split("<!-- /table -->", 1)[0]
    missing = [n for n in OBSERVABLES if f"| `{n}` |" not in table]
    assert not missing, f"not in docs/observables.md (run tools/observables_table.py): {missing}"


@pytest.mark.flavio
@pytest.mark.slow
def test_chi2_of_a_scalar_point_through_the_package_attribute():
    """Issue 11 item 7: ``import lqmodel; lqmodel.flavour.chi2(point)`` on a scalar point (predict, then chi2)."""
    import lqmodel
    from lqmodel.models import s1_only

    p = s1_only(1000.0, 0.0, 0.5, "mu", y1p=0.05)
    c = lqmodel.flavour.chi2(p, names=["Delta_a_mu", "BR_tau_mugamma"])
    pred = lqmodel.predict(p, ["Delta_a_mu", "BR_tau_mugamma"])
    assert c["Delta_a_mu"] == pytest.approx(float(chi2(pred)["Delta_a_mu"]))
    assert np.ndim(c["total"]) == 0 and "group:dipoles" in c
    with pytest.raises(TypeError, match="mapping"):
        lqmodel.flavour.chi2([1.0, 2.0])
