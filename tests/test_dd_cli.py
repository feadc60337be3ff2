"""`lqmodel dd-fit` (JSON contract, one-line errors) and the spectrum plot."""
from __future__ import annotations

import json

import pytest

from lqmodel.cli import main


def test_ddfit_json_contract(capsys):
    rc = main(["dd-fit", "--experiment", "xenonnt", "--lepton", "mu", "--m-N", "20", "--cl", "0.9", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    lo, hi = out["interval_muB"]
    assert lo == 0 and hi > 0 and out["kind"] == "upper_limit"
    assert out["best_fit_muB"] == 0.0
    assert "Wilks" in out["test_statistic"]
    assert out["inputs"] == {"experiment": "xenonnt", "lepton": "mu", "M_N_keV": 20.0, "cl": 0.9,
                             "ssm": "B16-GS98", "tritium": "none"}


def test_ddfit_xenon1t_two_sided_text(capsys):
    assert main(["dd-fit", "--experiment", "xenon1t", "--lepton", "all", "--m-N", "0"]) == 0
    assert "interval: |mu| in (" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, msg",
    [
        (["--experiment", "xenon2t", "--lepton", "e", "--m-N", "1"], "unknown experiment"),
        (["--experiment", "xenon1t", "--lepton", "nu", "--m-N", "1"], "unknown lepton"),
        (["--experiment", "xenon1t", "--lepton", "e", "--m-N", "-5"], "M_N must be"),
        (["--experiment", "xenon1t", "--lepton", "e", "--m-N", "1", "--cl", "1.2"], "cl must be"),
        (["--experiment", "xenon1t", "--lepton", "e", "--m-N", "ten"], "--m-N must be a number"),
    ],
)
def test_ddfit_errors_are_one_line(capsys, argv, msg):
    assert main(["dd-fit", *argv]) == 2
    err = capsys.readouterr().err
    assert msg in err and err.count("\n") == 1


def test_spectrum_plot_png_and_pdf(tmp_path):
    from lqmodel.plotting.spectra import plot_spectrum

    fig = plot_spectrum("xenon1t", "all", 0.0, path=tmp_path / "x1t")
    assert (tmp_path / "x1t.png").stat().st_size > 10_000 and (tmp_path / "x1t.pdf").stat().st_size > 5_000
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Energy [keV]" and len(ax.get_legend().get_texts()) == 3
    with pytest.raises(ValueError, match="mu_muB"):
        plot_spectrum("xenonnt", "e", 0.0, mu_muB=-1.0)
