"""The public surface of ``lqmodel``: eager names, lazy names (module __getattr__), light import."""
from __future__ import annotations

import subprocess
import sys

import pytest

import lqmodel


def test_eager_exports():
    for name in ("Point", "MassBasisCouplings", "vary", "s1_only", "voloshin", "voloshin_split",
                 "voloshin_mismatch", "couplings_cS_cR", "PerturbativityWarning", "PointError"):
        assert hasattr(lqmodel, name) and name in lqmodel.__all__
    assert {"compute_moments", "match", "predict"} <= set(dir(lqmodel))


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        lqmodel.nonsense  # noqa: B018


def test_lazy_compute_moments_without_heavy_imports():
    code = ("import sys, lqmodel; f = lqmodel.compute_moments; import lqmodel.moments as m; "
            "assert f is m.compute_moments; "
            "print(','.join(x for x in ('flavio', 'wilson', 'matplotlib') if x in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
