"""The SM theory covariances and surrogate terms shipped as package data (issue 10, goal 1).

* ``observables/data/theory_covariance/flavio-<v>_seed<s>.json`` (``tools/build_theory_covariance.py``):
  checked against **live flavio** — a group recomputed with ``flavio.sm_covariance`` under the same seed
  and N equals the shipped matrix to rounding (flavio's sampling uses numpy's global generator, seeded, and
  its SM predictions are deterministic; measured bit-identical across processes) — and against the
  verification rules (names, flavio names, N, seed, versions, shape, hash: any mismatch means live).
* ``observables/data/surrogates/*.npz`` (``tools/build_surrogates.py``): every file is a verified cache entry
  of its own key for the installed flavio/wilson; one integrated and one SMEFT term are rebuilt live from
  flavio and compared; and a cold start of the default map needs no live build.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from observables import likelihood as lk

ROOT = Path(__file__).resolve().parents[1]


def _shipped_doc() -> dict:
    res = resources.files("observables") / "data" / "theory_covariance" / lk.shipped_file_name()
    return json.loads(res.read_text(encoding="utf-8"))


def _groups():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import build_theory_covariance as b

        return b.groups()
    finally:
        sys.path.remove(str(ROOT / "tools"))


def test_every_flavio_theory_group_of_every_vintage_is_shipped_and_verifies():
    doc = _shipped_doc()
    assert doc["format"] == lk.SHIPPED_FORMAT and doc["seed"] == lk.THEORY_SEED
    for names, N in _groups():
        cov = lk.shipped_covariance(names, N=N)
        assert cov is not None, names
        assert cov.shape == (len(names), len(names))
        # a covariance: symmetric positive semi-definite, SM spreads of sensible size (> 0)
        assert np.all(np.linalg.eigvalsh(cov) >= -1e-12 * np.max(np.diag(cov)))
        assert np.all(np.diag(cov) >= 0)  # Rtaumu_W: no SM parameter uncertainty (lepton masses only)


@pytest.mark.parametrize("change", ["N", "seed", "names_order", "flavio", "wilson", "number", "sha", "shape"])
def test_shipped_entry_is_used_only_if_everything_matches(monkeypatch, change):
    names, N = ("R_D", "R_Dstar"), 100
    entries = _shipped_doc()["entries"]
    assert lk.shipped_covariance(names, N=N) is not None
    if change == "N":
        assert lk.shipped_covariance(names, N=N + 1) is None
        return
    if change == "seed":
        assert lk.shipped_covariance(names, N=N, seed=lk.THEORY_SEED + 1) is None
        return
    if change == "names_order":
        assert lk.shipped_covariance(names[::-1], N=N) is None
        return
    e = next(e for e in entries if e["names"] == list(names))
    if change in ("flavio", "wilson"):
        e[change] = "0.0.0"
    elif change == "number":
        e["cov"][0][0] *= 1.0000001
    elif change == "sha":
        e["sha256"] = "0" * 64
    elif change == "shape":
        e["cov"] = [row[:1] for row in e["cov"]]
    monkeypatch.setattr(lk, "_shipped_entries", lambda seed: entries)
    assert lk.shipped_covariance(names, N=N) is None


@pytest.mark.flavio
@pytest.mark.slow
def test_shipped_covariance_equals_live_flavio():
    """Recompute small groups with flavio.sm_covariance (same seed, same N): equal to rounding."""
    for names in (("BR_B+_taunu",), ("eps_K",)):
        N = next(n for g, n in _groups() if g == names)
        live = lk.compute_theory_covariance(names, N=N, seed=lk.THEORY_SEED)
        np.testing.assert_allclose(lk.shipped_covariance(names, N=N), live, rtol=1e-12, atol=0)


def test_theory_covariance_reads_the_shipped_matrix_without_flavio(tmp_path):
    """A cold cache: theory_covariance returns the shipped matrix, never imports flavio, fills the cache."""
    code = (
        "import sys, numpy as np\n"
        "from observables.likelihood import theory_covariance, shipped_covariance\n"
        "c = theory_covariance(['R_D', 'R_Dstar'])\n"
        "assert np.array_equal(c, shipped_covariance(['R_D', 'R_Dstar'], N=100))\n"
        "assert 'flavio' not in sys.modules\n"
        "print('ok')\n"
    )
    env = {**os.environ, "LQMODEL_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
    assert len(list((tmp_path / "theory_covariance").glob("*.npz"))) == 1


# ------------------------------------------------------------------------------------------- surrogates
def _shipped_surrogates() -> list[Path]:
    folder = resources.files("observables") / "data" / "surrogates"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".npz"))


def _entry(path: Path) -> tuple[dict, dict]:
    with np.load(path, allow_pickle=False) as d:
        key = json.loads(str(d["__key__"]))
        arrays = {n: np.array(d[n]) for n in d.files if not n.startswith("__")}
    return key, arrays


def test_shipped_surrogates_are_verified_entries_for_the_installed_versions():
    from observables import cache as oc
    from observables import flavio_backend as fb
    from observables import surrogate as sg

    files = _shipped_surrogates()
    assert files
    for f in files:
        key, arrays = _entry(f)
        assert f.stem == oc.digest(key)
        assert key["flavio"] == fb.flavio_version() and key["wilson"] == fb.wilson_version()
        assert key["method"] == sg.METHOD_VERSION and key["tolerance_factor"] == sg.TOLERANCE_FACTOR
        n = arrays["linear"].shape[0]
        assert sg.shipped_term(key, n) is not None
        # the verification refuses the same file under any other key (here: another scale)
        assert sg._load_term(f, {**key, "scale": repr(float(key["scale"]) * 2)}, n) is None


def _pick(quantity: str) -> tuple[dict, dict]:
    for f in _shipped_surrogates():
        key, arrays = _entry(f)
        if key["quantity"] == quantity and key["wc_names"]:
            return key, arrays
    pytest.skip(f"no shipped term of {quantity}")


@pytest.mark.flavio
@pytest.mark.slow
@pytest.mark.parametrize("quantity", ["<dBR/dq2>(B+->Kmumu)", "Gamma(Z->mumu)"])
def test_shipped_surrogate_term_equals_a_live_flavio_build(tmp_path, monkeypatch, quantity):
    """Rebuild one integrated WET term and one SMEFT term from flavio with shipping disabled."""
    from observables import surrogate as sg
    from observables.registry import Term

    key, shipped = _pick(quantity)
    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(sg, "shipped_term", lambda key, n: None)
    term = Term(1.0, key["quantity"], tuple(key["args"]))
    names = tuple(key["wc_names"])
    blocks = tuple(tuple(b) for b in key["blocks"])
    form, info = sg._fit_term_cached(term, names, blocks, float(key["scale"]), key["square"], key.get("basis"))
    assert info["n_flavio_calls"] > 1  # built live, not read
    scale = max(abs(float(shipped["constant"])), np.max(np.abs(shipped["linear"])),
                np.max(np.abs(shipped["quadratic"])))
    assert form.constant == pytest.approx(float(shipped["constant"]), rel=1e-10)
    np.testing.assert_allclose(form.linear, shipped["linear"], rtol=1e-9, atol=1e-12 * scale)
    np.testing.assert_allclose(form.quadratic, shipped["quadratic"], rtol=1e-9, atol=1e-12 * scale)


# ------------------------------------------------------------------------------------------- progress
PROGRESS_MAP = """\
base: BP2
parameters:
  y1: {min: 0.1, max: 1.0, n: 2}
  m_LQ: {min: 1234.0, max: 1235.0, n: 2}
executor: serial
evaluation: {observables: [BR_tau_mugamma], neutrino: false}
"""


@pytest.mark.flavio
def test_map_prints_one_progress_line_per_build_only_when_asked(tmp_path, monkeypatch, capsys):
    """``lqmodel map`` with surrogates to build (masses not shipped): one stderr line per build with
    LQMODEL_PROGRESS=1; silent when stderr is not a terminal (as under pytest) and nothing is asked."""
    from lqmodel.cli import main

    cfg = tmp_path / "m.yaml"
    cfg.write_text(PROGRESS_MAP)
    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path / "cache1"))
    monkeypatch.setenv("LQMODEL_PROGRESS", "1")
    assert main(["map", str(cfg), "--out", str(tmp_path / "o1"), "--no-plot"]) == 0
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("lqmodel: building the surrogate of BR(tau->mugamma)")]
    assert any("at 1234 GeV" in ln for ln in lines) and any("at 1235 GeV" in ln for ln in lines)
    assert len(lines) == len(set(lines))  # one line per build, not repeated (no root-logger copy)

    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path / "cache2"))
    monkeypatch.delenv("LQMODEL_PROGRESS")
    assert main(["map", str(cfg), "--out", str(tmp_path / "o2"), "--no-plot"]) == 0
    assert "lqmodel: building" not in capsys.readouterr().err
