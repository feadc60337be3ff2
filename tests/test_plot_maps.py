"""Coupling-map plots (lqmodel.plotting.maps) on synthetic tables with closed-form fields.

The moment is the Voloshin-limit formula of docs/theory.md §b.2, mu/mu_B = m_e m_b y1 y2 g(x)/(4 pi^2 m^2),
written out here independently; the band edges are put at known values, so where the band must be
drawn is known analytically and checked on the rendered pixels.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lqmodel.plotting.maps import axis_label, plot_map

M_E, M_B = 0.51099895e-3, 4.18
LOW, HIGH, NT = 3.0e-11, 6.0e-11, 1.6e-11


def _mu(y1, y2, m):
    x = M_B**2 / m**2
    g = (x - 1 - np.log(x)) / (x - 1) ** 2
    return M_E * M_B * y1 * y2 * g / (4 * math.pi**2 * m**2)


def _table(y1, y2, m=1000.0):
    Y1, Y2 = np.meshgrid(y1, y2, indexing="ij")
    mu = _mu(Y1, Y2, m).ravel()
    df = pd.DataFrame({"y1": Y1.ravel(), "y2": Y2.ravel(), "mu_mu_N1_muB": mu})
    df["xenon1t_low_muB"], df["xenon1t_high_muB"], df["xenonnt_limit_muB"] = LOW, HIGH, NT
    df["chi2_R_Dstar"] = ((Y2.ravel() - 1.0) / 0.2) ** 2  # toy: R(D*) prefers y2 = 1
    df["dchi2_Delta_a_mu"] = (Y1.ravel() * Y2.ravel() / 0.5) ** 2
    return df


def _pixel_rgb(fig, ax, x, y):
    fig.canvas.draw()
    buf = np.asarray(fig.canvas.buffer_rgba())
    px, py = ax.transData.transform((x, y))
    h = buf.shape[0]
    return buf[round(h - py), round(px), :3].astype(int)


def test_map_files_scales_labels_and_band_position(tmp_path):
    df = _table(np.logspace(-3, 0, 50), np.logspace(-2, math.log10(3), 50))
    fig = plot_map(df, "y1", "y2", lepton="mu", out=tmp_path / "m", title="test")
    ax = fig.axes[0]
    assert (tmp_path / "m.png").stat().st_size > 20_000
    assert (tmp_path / "m.pdf").read_bytes()[:4] == b"%PDF"
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel().startswith("$y_1 = ") and ax.get_ylabel().startswith("$y_2 = ")  # coupling defined
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("XENON1T band" in s for s in labels)
    assert any("XENONnT" in s for s in labels)
    assert any("R(D^*)" in s and "1\\sigma" in s for s in labels)
    assert any("(g-2)_\\mu" in s for s in labels)
    # y2 = 0.3: the band is where mu(y1, 0.3) in [LOW, HIGH]; solve for y1 from the closed form
    y2 = 0.3
    unit = _mu(1.0, y2, 1000.0)
    y1_mid = math.sqrt(LOW * HIGH) / unit          # geometric centre of the band
    y1_out = 0.3 * NT / unit                       # well below the XENONnT limit: nothing drawn
    inside = _pixel_rgb(fig, ax, y1_mid, y2)
    outside = _pixel_rgb(fig, ax, y1_out, y2)
    assert tuple(outside) == (255, 255, 255)
    assert inside[1] > inside[0] + 40 and inside[1] > inside[2]  # green (band colour #009E73 blended)


def test_mass_axis_in_TeV_and_random_samples(tmp_path):
    rng = np.random.default_rng(1)
    m = 10 ** rng.uniform(math.log10(500), math.log10(5000), 400)
    p = 10 ** rng.uniform(-3, math.log10(3), 400)
    df = pd.DataFrame({"m_LQ": m, "y1y2": p, "mu_mu_N1_muB": _mu(p, 1.0, m)})
    df["xenon1t_low_muB"], df["xenon1t_high_muB"] = LOW, HIGH
    fig = plot_map(df, "m_LQ", "y1y2", out=tmp_path / "r.png")
    ax = fig.axes[0]
    assert ax.get_xlabel() == r"$m_{\rm LQ}$ [TeV]"
    lo, hi = ax.get_xlim()
    assert lo == pytest.approx(m.min() / 1e3) and hi == pytest.approx(m.max() / 1e3)
    assert (tmp_path / "r.png").exists() and (tmp_path / "r.pdf").exists()


def test_slice_of_a_three_parameter_grid():
    y = np.logspace(-2, 0, 8)
    rows = [(a, b, m, _mu(a, b, m)) for m in (1000.0, 2000.0) for a in y for b in y]
    df = pd.DataFrame(rows, columns=["y1", "y2", "m_LQ", "mu_mu_N1_muB"])
    fig = plot_map(df, "y1", "y2", parameters=["m_LQ", "y1", "y2"], fix={"m_LQ": 2000.0})
    assert "m_{\\rm LQ}$ = 2" in fig.axes[0].get_title(loc="left")


def test_axis_labels_have_units():
    assert axis_label("M_N") == "$M_N$ [keV]"
    assert axis_label("m_b") == "$m_b$ [GeV]"
    assert axis_label("yt_LR[2,0]") == r"$\tilde y^{LR}_{20}$"


def test_unknown_axis_is_a_clear_error():
    with pytest.raises(KeyError, match="'y3' is not a column"):
        plot_map(_table(np.array([0.1, 1.0]), np.array([0.1, 1.0])), "y1", "y3")


def test_no_band_where_xenon1t_gives_only_an_upper_limit():
    """Where the interval is one-sided (low = 0), nothing may be drawn, even next to band points."""
    y1 = np.logspace(-3, 0, 40)
    y2 = np.logspace(-2, math.log10(3), 40)
    df = _table(y1, y2)
    df.loc[df["y1"] > 0.05, "xenon1t_low_muB"] = 0.0  # one-sided for y1 > 0.05
    fig = plot_map(df[["y1", "y2", "mu_mu_N1_muB", "xenon1t_low_muB", "xenon1t_high_muB"]], "y1", "y2")
    ax = fig.axes[0]
    unit = _mu(1.0, 1.0, 1000.0)
    y2_band = math.sqrt(LOW * HIGH) / (unit * 0.3)  # band centre at y1 = 0.3 if it were two-sided
    assert tuple(_pixel_rgb(fig, ax, 0.3, y2_band)) == (255, 255, 255)
    y2_band_low = math.sqrt(LOW * HIGH) / (unit * 0.03)  # two-sided region (y1 < 0.05): band drawn
    rgb = _pixel_rgb(fig, ax, 0.03, y2_band_low)
    assert rgb[1] > rgb[0] + 40
