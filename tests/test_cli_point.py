"""``lqmodel point``: the JSON contract (issue 2 §6, issue 3 §4), benchmarks via the CLI, and one-line errors."""
from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest

from lqmodel.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def bp2_file():
    return resources.as_file(resources.files("lqmodel").joinpath("data/points/bp2.yaml"))


def test_list_benchmarks(capsys):
    code, out, _ = run(capsys, "point", "--list-benchmarks")
    assert code == 0 and "BP2" in out and "Voloshin_mismatch" in out
    code, out, _ = run(capsys, "point", "--list-benchmarks", "--json")
    assert "docs/theory.md" in json.loads(out)["BP2"]["source"]


@pytest.mark.parametrize("content, pattern", [
    ("model: voloshn\nm_S1: 1000\n", "unknown model 'voloshn'. Did you mean 'voloshin'"),
    ("model: voloshin\nm_LQ: 1000\ny1: 0.05\ny2: 1\nlepton: muon\n", "unknown lepton 'muon'"),
    ("m_S1: 1000\nm_R2: 1000\nmb: 4.18\n", "unknown key 'mb'. Did you mean 'm_b'"),
    ("m_S1: -3\nm_R2: 1000\n", "m_S1 must be a positive, finite mass"),
    ("m_S1: [1, 2\n", "malformed YAML"),
    ("m_S1: 1000\nm_R2: 1000\ny_LL: [[1, 2], [3, 4]]\n", "y_LL must be a 3x3 list"),
])
def test_bad_files_one_line_exit_2(capsys, tmp_path, content, pattern):
    f = tmp_path / "bad.yaml"
    f.write_text(content)
    code, out, err = run(capsys, "point", str(f), "--json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("lqmodel point: error: ") and pattern in err


def test_usage_errors(capsys, tmp_path):
    code, _, err = run(capsys, "point")
    assert code == 2 and "exactly one of FILE or --benchmark" in err
    code, _, err = run(capsys, "point", "--benchmark", "BP3")
    assert code == 2 and "Did you mean 'BP2'" in err
    code, _, err = run(capsys, "point", str(tmp_path / "missing.yaml"))
    assert code == 2 and "no such point file" in err


def test_no_traceback_in_a_real_process(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("model: s1\nm_S1: .nan\n")
    r = subprocess.run([sys.executable, "-m", "lqmodel", "point", str(f), "--json"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == ""
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1 and "m_S1 must be a positive" in r.stderr


def test_bp2_json_contract(capsys):
    """docs/theory.md §b.5 BP2: |mu_{mu N}| = 2.69314e-11 mu_B, m_nuN = 0; other flavours zero."""
    with bp2_file() as f:
        code, out, err = run(capsys, "point", str(f), "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["mu_nu_muB"]["mu"] == pytest.approx(2.69314e-11, rel=2e-5)
    assert d["mu_nu_muB"]["e"] == 0 and d["mu_nu_muB"]["tau"] == 0
    assert set(d["m_nuN_GeV"]) == {"e", "mu", "tau"} and d["m_nuN_GeV"]["mu"] == pytest.approx(0.0, abs=1e-30)
    inp = d["inputs"]
    assert inp["model"] == "voloshin" and inp["m_b"] == 4.18 and inp["lepton"] == "mu"
    assert inp["yt_RL"][2][1] == -0.05 and inp["yt_LR"][2][0] == -1.0  # SU(2)_H partners as understood
    assert "units" in d


def test_bp2prime_and_mismatch_benchmarks(capsys):
    code, out, _ = run(capsys, "point", "--benchmark", "BP2prime", "--json")
    d = json.loads(out)
    assert code == 0 and d["mu_nu_muB"]["mu"] == pytest.approx(1.72642e-11, rel=2e-5)
    assert d["benchmark"]["expected"]["mu_nu_muB"]["value"] == 1.72642e-11
    code, out, _ = run(capsys, "point", "--benchmark", "Voloshin_mismatch", "--json")
    d = json.loads(out)
    assert d["m_nuN_GeV"]["mu"] is None and d["uv_divergent"]["mu"] is True  # null where UV-divergent
    assert d["mu_nu_muB"]["mu"] > 0
    code, out, _ = run(capsys, "point", "--benchmark", "BP2")
    assert code == 0 and "mu_B" in out and "2.69314e-11" in out
