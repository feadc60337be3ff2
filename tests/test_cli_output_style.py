"""Output style of the CLI (issue 11 item 9): help texts without RST markup and with their choices, dd-fit
JSON indented like ``point --json`` with descriptive nuisance names, the test-statistic definition only with
``--verbose``, errors naming the key the user wrote, and the ``point --flavour`` table (prediction, SM,
measurement +- error, pull with 4 significant digits)."""
from __future__ import annotations

import argparse
import json

import pytest

from lqmodel.cli import build_parser, main


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            return dict(a.choices)
    raise AssertionError("no sub-commands")


def test_help_texts_have_no_rst_markup():
    parser = build_parser()
    texts = {"lqmodel": parser.format_help()} | {n: p.format_help() for n, p in _subparsers(parser).items()}
    for name, text in texts.items():
        for markup in ("``", ":func:", ":mod:", ":class:"):
            assert markup not in text, f"lqmodel {name} --help shows RST markup {markup!r}"


def test_ddfit_help_lists_every_choice():
    from observables.neutrino import solar
    from observables.neutrino.detectors import EXPERIMENTS
    from observables.neutrino.fit import TRITIUM_MODES

    text = " ".join(_subparsers(build_parser())["dd-fit"].format_help().split())
    for choice in (*solar.SSMS, *TRITIUM_MODES, *EXPERIMENTS):
        assert choice in text, choice


def test_ddfit_json_indented_with_named_nuisances(capsys):
    assert main(["dd-fit", "--experiment", "xenon1t", "--lepton", "e", "--m-N", "0", "--json"]) == 0
    raw = capsys.readouterr().out
    d = json.loads(raw)
    assert raw.strip() == json.dumps(d, indent=2)  # the same layout as lqmodel point --json
    short = d["nuisances_at_best_fit"]  # the contract key keeps the fit's own names
    assert short and set(short) <= {"a", "e", "t"}
    from lqmodel.cli.ddfit import NUISANCE_NAMES

    assert d["nuisances_at_best_fit_named"] == {NUISANCE_NAMES[k]: v for k, v in short.items()}
    assert set(d["nuisance_descriptions"]) == set(d["nuisances_at_best_fit_named"])
    assert all(len(k) > 3 for k in d["nuisances_at_best_fit_named"])


def test_ddfit_text_prints_definition_only_with_verbose(capsys):
    argv = ["dd-fit", "--experiment", "xenon1t", "--lepton", "e", "--m-N", "0"]
    assert main(argv) == 0
    plain = capsys.readouterr().out
    assert "interval" in plain and "test statistic" not in plain and "Wilks" not in plain
    assert main([*argv, "--verbose"]) == 0
    verbose = capsys.readouterr().out
    assert "test statistic" in verbose and "background_B0_scale" in verbose
    # the definition is documented once in --help
    assert "Wilks" in " ".join(_subparsers(build_parser())["dd-fit"].format_help().split())


@pytest.mark.parametrize("text, key", [("model: s1\nm_LQ: -1000\n", "m_LQ"),
                                       ("model: s1\nm_LQ: 1000\nM_N_keV: -3\n", "M_N_keV")])
def test_point_error_names_the_key_the_user_wrote(tmp_path, capsys, text, key):
    f = tmp_path / "p.yaml"
    f.write_text(text)
    assert main(["point", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"{key} must be" in err and "m_S1" not in err and "M_N must" not in err


def test_flavour_table_digits_sm_measurement_pull():
    from lqmodel.cli.point import _flavour_lines

    out = {
        "observables": {"Rtaul(B->Dlnu)": 0.29052811928389527},
        "predictions": {"R_D": 0.29052811928389527, "BR_tau_mugamma": 1.23456789e-9, "Rtaumu_D": 0.2867561},
        "sm_predictions": {"R_D": 0.2950138, "BR_tau_mugamma": 0.0, "Rtaumu_D": 0.2955},
        "measurements": {"R_D": {"kind": "gaussian", "value": 0.347, "uncertainty": 0.025, "source": "x"},
                         "BR_tau_mugamma": {"kind": "upper_limit", "limit": 4.2e-8, "cl": 0.9, "source": "y"}},
        "pulls": {"R_D": -2.2066841721987154, "BR_tau_mugamma": 0.0483},
        "measurement_vintage": "2026-12",
    }
    text = "\n".join(_flavour_lines(out))
    assert "0.29052811928389527" not in text  # no 17-digit floats
    rd = next(line for line in text.splitlines() if line.strip().startswith("R_D "))
    assert rd.split()[1:] == ["0.2905", "0.295", "0.347", "+-", "0.025", "-2.21"]
    lim = next(line for line in text.splitlines() if "BR_tau_mugamma" in line)
    assert "< 4.2e-08 (90% CL)" in lim and lim.split()[-1] == "+0.05"
    unmeasured = next(line for line in text.splitlines() if "Rtaumu_D" in line)
    assert unmeasured.split()[-2:] == ["-", "-"]
    assert "vintage 2026-12" in text and "pull" in text and "SM" in text


@pytest.mark.flavio
def test_flavour_comparison_against_the_vintage_and_flavio():
    """The added JSON keys: the measurement is the vintage's own entry, SM is flavio's, the pull is
    (pred - meas)/sigma_tot with sigma_tot >= the experimental error (theory covariance added)."""
    import flavio

    from lqmodel.cli.point import _flavour_comparison
    from observables.measurements import load

    pred = {"R_D": 0.30, "BR_tau_mugamma": 1e-9}
    d = _flavour_comparison(pred)
    c = load(None).constraint_for("R_D")
    i = c.observables.index("R_D")
    m = d["measurements"]["R_D"]
    assert m["value"] == float(c.values[i]) and m["uncertainty"] == pytest.approx(float(c.covariance[i, i]) ** 0.5)
    assert d["sm_predictions"]["R_D"] == pytest.approx(flavio.sm_prediction("Rtaul(B->Dlnu)"), rel=1e-12)
    pull = d["pulls"]["R_D"]
    assert pull < 0 and abs(pull) <= abs((0.30 - m["value"]) / m["uncertainty"]) + 1e-12
    lim = d["measurements"]["BR_tau_mugamma"]
    assert lim["kind"] == "upper_limit" and lim["limit"] > 0 and 0 < lim["cl"] < 1
    assert d["measurement_vintage"] == load(None).vintage
