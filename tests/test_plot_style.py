"""Plots a user puts in a talk (issue 11 item 10): coupling definitions on the axes, the benchmark marker,
"no point survives", the shaded astrophysical bound, one layer order, the R(D)-R(D*) region at the 2-dof
thresholds, perturbativity, the m_b-scheme band, labels off the hatching, and TrueType (Type 42) PDF fonts.

The tables are synthetic with closed-form fields (the moment is the Voloshin-limit formula
mu/mu_B = m_e m_b y1 y2 g(x) / (4 pi^2 m^2), g(x) = (x - 1 - ln x)/(x - 1)^2, x = m_b^2/m^2, written out
independently of the package), so where each region must be is known without the plotting code.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lqmodel.plotting import maps
from lqmodel.plotting.maps import plot_map

M_E, M_B = 0.51099895e-3, 4.18
LOW, HIGH, NT, RG = 3.0e-11, 6.0e-11, 1.6e-11, 1.2e-11


def _mu(y1, y2, m=1000.0):
    x = M_B**2 / m**2
    g = (x - 1 - np.log(x)) / (x - 1) ** 2
    return M_E * M_B * y1 * y2 * g / (4 * math.pi**2 * m**2)


_Y1 = np.logspace(-3, 0, 40)
_Y2 = np.logspace(-2, math.log10(6.0), 40)


def _table(y1=_Y1, y2=_Y2, viable=True):
    Y1, Y2 = (a.ravel() for a in np.meshgrid(y1, y2, indexing="ij"))
    mu = _mu(Y1, Y2)
    df = pd.DataFrame({"y1": Y1, "y2": Y2, "mu_mu_N1_muB": mu})
    df["xenon1t_low_muB"], df["xenon1t_high_muB"], df["xenonnt_limit_muB"] = LOW, HIGH, NT
    df["limit_muB"], df["limit_name"] = RG, "Red-giant branch tip (omega Cen)"
    df["lab_limit_muB"], df["lab_limit_name"] = NT, "XENONnT"
    # toy R(D)-R(D*): chi2 terms in y2 only (R(D) prefers y2 = 1, R(D*) y2 = 1.2)
    df["chi2_R_D"] = ((Y2 - 1.0) / 0.3) ** 2
    df["chi2_R_Dstar"] = ((Y2 - 1.2) / 0.3) ** 2
    df["dchi2_Delta_a_mu"] = (Y1 * Y2 / 0.5) ** 2
    df["viable"] = (mu < NT) & viable
    return df


def _legend(fig) -> list[str]:
    return [t.get_text() for t in fig.legends[0].get_texts()]


def test_pdf_fonts_are_truetype_not_type3(tmp_path):
    """The PDF embeds TrueType (/Subtype /TrueType or Type0/CIDFontType2), no /Subtype /Type3 font; the global
    rcParams are left as they were (the setting is local, rc_context)."""
    import matplotlib

    before = matplotlib.rcParams["pdf.fonttype"]
    plot_map(_table(), "y1", "y2", lepton="mu", out=tmp_path / "m", title="t")
    pdf = (tmp_path / "m.pdf").read_bytes()
    assert b"/Type3" not in pdf and b"/Subtype /Type3" not in pdf
    assert re.search(rb"/Subtype\s*/(TrueType|CIDFontType2)", pdf)
    assert matplotlib.rcParams["pdf.fonttype"] == before


def test_axes_define_the_couplings_and_the_benchmark_is_marked():
    fig = plot_map(_table(), "y1", "y2", lepton="mu", benchmark={"y1": 0.05, "y2": 1.0, "label": "BP2"})
    ax = fig.axes[0]
    assert r"\bar y^{RR}_{bN}" in ax.get_xlabel() and "N_R S_1" in ax.get_xlabel()
    assert r"y^{LL}_{b\mu}" in ax.get_ylabel() and r"L_\mu" in ax.get_ylabel()
    stars = [ln for ln in ax.get_lines() if ln.get_marker() == "*"]
    assert len(stars) == 1 and tuple(stars[0].get_xydata()[0]) == (0.05, 1.0)
    assert "BP2" in _legend(fig)


def test_no_point_survives_is_said_in_the_plot():
    fig = plot_map(_table(viable=False), "y1", "y2", lepton="mu")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("no point survives" in t for t in texts)
    fig = plot_map(_table(), "y1", "y2", lepton="mu")
    assert not any("no point survives" in t.get_text() for t in fig.axes[0].texts)


def test_rd_rdstar_region_uses_the_two_dof_thresholds():
    """Thresholds are the chi2_2 quantiles of 1 and 2 Gaussian sigma (scipy), named in the legend."""
    q1, q2 = (stats.chi2.ppf(stats.chi2.cdf(k**2, 1), 2) for k in (1, 2))
    assert maps.CHI2_2DOF == pytest.approx((q1, q2), abs=6e-3)  # noqa: SIM300 - actual == approx(expected)
    labels = _legend(plot_map(_table(), "y1", "y2", lepton="mu"))
    assert any("R(D)" in s and "R(D^*)" in s and "2.3" in s and "2 dof" in s for s in labels)
    assert any("6.18" in s for s in labels)
    one = _table().drop(columns=["chi2_R_D"])
    labels = _legend(plot_map(one, "y1", "y2", lepton="mu"))
    assert any("R(D^*)" in s and "1 dof" in s for s in labels)


def test_rd_region_position_on_the_pixels():
    """Combined chi2 = ((y2-1)^2 + (y2-1.2)^2)/0.09 has its minimum 0.222 at y2 = 1.1; it is <= 2.30 for
    |y2 - 1.1| <= sqrt((2.30 - 0.222) * 0.09 / 2) = 0.306: y2 = 1.1 is in the dark region, y2 = 0.5 not."""
    df = _table()
    df["mu_mu_N1_muB"] = 1e-14  # no band, no exclusions drawn over the test pixels
    df = df.drop(columns=["dchi2_Delta_a_mu", "limit_muB", "lab_limit_muB"])
    fig = plot_map(df, "y1", "y2", lepton="mu")
    ax = fig.axes[0]
    fig.canvas.draw()
    buf = np.asarray(fig.canvas.buffer_rgba())

    def px(x, y):
        X, Y = ax.transData.transform((x, y))
        return buf[round(buf.shape[0] - Y), round(X), :3].astype(int)

    inside, outside = px(0.3, 1.1), px(0.3, 0.5)
    assert inside[2] > inside[0] + 40  # blue (Okabe-Ito #0072B2 at alpha 0.45 on white)
    assert np.all(outside > 245)  # white


def test_astrophysical_bound_is_shaded_and_perturbativity_drawn():
    fig = plot_map(_table(), "y1", "y2", lepton="mu")
    labels = _legend(fig)
    assert any("Red-giant branch tip excl." in s for s in labels)
    assert any("non-perturbative" in s and r"\sqrt{4\pi}" in s for s in labels)
    ax = fig.axes[0]
    spans = [p for p in ax.patches if p.get_hatch() == ".."]
    assert spans  # axhspan from sqrt(4 pi) = 3.545 to the top (y2 up to 6)
    ys = spans[0].get_path().transformed(spans[0].get_transform()).vertices[:, 1]
    lo_px = ax.transData.transform((0.01, math.sqrt(4 * math.pi)))[1]
    assert np.min(ys) == pytest.approx(lo_px, abs=1.0)
    # a plane below sqrt(4 pi) has no perturbativity entry
    small = _table(y2=np.logspace(-2, 0, 20))
    assert not any("non-perturbative" in s for s in _legend(plot_map(small, "y1", "y2", lepton="mu")))


def test_mb_scheme_band_in_legend():
    labels = _legend(plot_map(_table(), "y1", "y2", lepton="mu"))
    assert any("XENON1T band" in s and "m_b" in s and "30" in s for s in labels)


def test_layer_order_is_the_same_in_every_plane():
    """zorders by kind, whatever layers a plane has: fills < band < hatching < edges < iso-lines < labels."""
    def kinds(fig):
        ax = fig.axes[0]
        out = {}
        for c in ax.collections:
            z = c.get_zorder()
            if any(h for h in (getattr(c, "hatches", None) or ()) if h):
                out.setdefault("hatch", set()).add(z)
        for t in ax.texts:
            out.setdefault("text", set()).add(t.get_zorder())
        return out

    a = kinds(plot_map(_table(), "y1", "y2", lepton="mu"))
    b = kinds(plot_map(_table(), "y2", "y1", lepton="mu"))
    assert a == b and a["hatch"] == {maps.Z_HATCH} and a["text"] == {maps.Z_LABEL}
    assert maps.Z_FILL < maps.Z_BAND < maps.Z_HATCH < maps.Z_EDGE < maps.Z_ISO < maps.Z_LABEL < maps.Z_MARK


def test_contour_labels_are_not_on_hatching():
    """mu iso-line labels sit outside the hatched/shaded exclusions where the line leaves them. The
    exclusions (XENONnT, the limits, the red-giant shading) cover mu > RG = 1.2e-11 and (g-2) far up; the
    lines 1e-12 and 1e-13 lie wholly outside, so their labels must have mu(y1, y2) < RG (a line wholly
    inside, 1e-10, keeps its label there: nowhere else to put it)."""
    fig = plot_map(_table(), "y1", "y2", lepton="mu")
    ax = fig.axes[0]
    labels = [t for t in ax.texts if "mu_B" in t.get_text()]
    below = [t for t in labels if int(re.search(r"10\^\{(-?\d+)\}", t.get_text()).group(1)) <= -12]
    assert below
    for t in below:
        x, y = t.get_position()
        assert _mu(x, y) < RG, t.get_text()
    # and a plane where the label's natural place (nearest the centre) is hatched: it moves off the hatching
    df = _table()
    df["dchi2_Delta_a_mu"] = np.where(df["y1"] > 0.02, 100.0, 0.0)  # (g-2) hatching over y1 > 0.02
    fig = plot_map(df, "y1", "y2", lepton="mu")
    for t in fig.axes[0].texts:
        if "mu_B" in t.get_text() and "-12" in t.get_text():
            assert t.get_position()[0] < 0.02 * 1.1


def test_contour_labels_follow_the_lines_as_saved(tmp_path):
    """Each mu label is rotated along its line as the saved figure draws it (legend and final size included):
    mu is proportional to y1 y2, so the iso-lines are straight with slope -1 in log-log, at the display
    angle atan(-(height per decade of y2) / (width per decade of y1)) of the saved axes."""
    df = _table()[["y1", "y2", "mu_mu_N1_muB"]]
    fig = plot_map(df, "y1", "y2", lepton="mu", out=tmp_path / "m")
    ax = fig.axes[0]
    w, h = fig.get_size_inches()
    pos = ax.get_position()
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    expect = math.degrees(math.atan2(-pos.height * h / math.log10(y1 / y0), pos.width * w / math.log10(x1 / x0)))
    angles = [(t.get_rotation() + 180) % 360 - 180 for t in ax.texts if "mu_B" in t.get_text()]
    assert len(angles) >= 3
    assert np.allclose(angles, expect, atol=1.0), (angles, expect)
    # the labels (clipped to the axes) change no layout: the layout they were placed with is the PNG's
    engine = fig.get_layout_engine()
    engine.execute(fig)
    with_labels = ax.get_position().bounds
    for t in [t for t in ax.texts if "mu_B" in t.get_text()]:
        t.remove()
    engine.execute(fig)
    assert ax.get_position().bounds == with_labels


def test_pdf_is_what_savefig_writes(tmp_path):
    """The PDF of plot_map (laid out and drawn with one renderer, maps._save_pdf) has the bytes savefig
    writes for the same figure after the same PNG (the creation date aside)."""
    import matplotlib
    from matplotlib.backends.backend_pdf import FigureCanvasPdf

    def figure():
        return plot_map(_table(), "y1", "y2", lepton="mu", title="a $\\mu$ title")

    with matplotlib.rc_context(maps._STYLE):  # as plot_map saves
        fig = figure()
        maps._save(fig, tmp_path / "ours")
        ref = figure()  # the steps of maps._save with savefig for the PDF
        engine = ref.get_layout_engine()
        ref.dpi = maps.PNG_DPI
        engine.execute(ref)
        ref.set_layout_engine("none")
        ref.savefig(tmp_path / "ref.png", dpi=maps.PNG_DPI)
        ref.set_layout_engine(engine)
        ref.dpi = 100
        FigureCanvasPdf(ref)
        engine.execute(ref)
        ref.set_layout_engine("none")
        ref.savefig(tmp_path / "ref.pdf")

    def body(p):
        return re.sub(rb"/CreationDate \(.*?\)", b"", p.read_bytes())

    assert body(tmp_path / "ours.pdf") == body(tmp_path / "ref.pdf")


def test_base_coordinates_of_a_point():
    from lqmodel.models import voloshin

    p = voloshin(1500.0, 0.05, 0.8, "mu")
    c = maps.base_coordinates(p, ["y1", "y2", "y1y2", "m_LQ", "unknown"])
    assert c == pytest.approx({"y1": 0.05, "y2": 0.8, "y1y2": 0.04, "m_LQ": 1500.0})


def test_spectrum_pdf_fonts_are_truetype(tmp_path):
    import matplotlib

    from lqmodel.plotting.spectra import plot_spectrum

    before = matplotlib.rcParams["pdf.fonttype"]
    plot_spectrum("xenonnt", "e", 0.0, mu_muB=2e-11, path=tmp_path / "s.pdf")
    pdf = (tmp_path / "s.pdf").read_bytes()
    assert b"/Type3" not in pdf and re.search(rb"/Subtype\s*/(TrueType|CIDFontType2)", pdf)
    assert matplotlib.rcParams["pdf.fonttype"] == before
