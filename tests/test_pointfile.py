"""Point files: the issue-2 shorthand, full matrices, complex encodings, lossless YAML/JSON round trips,
and clear one-line errors for bad files."""
from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from lqmodel.models import couplings_cS_cR, s1_only, voloshin
from lqmodel.point import MATRIX_FIELDS, PerturbativityWarning, Point, PointError, UnknownNameError
from lqmodel.pointfile import PointFileError, decode_matrix, encode_matrix, load_point, loads_point

ISSUE2_EXAMPLE = """\
model: voloshin      # voloshin | s1 | general
m_S1: 1000.0         # GeV
m_R2: 1000.0         # GeV, mass of R~2^(-1/3); not used for model: s1
y1: 0.05             # b_R N_R S1 coupling
y2: 1.0              # Q_3 L S1 coupling, lepton flavour given by `lepton`
lepton: mu           # e | mu | tau
m_b: 4.18            # GeV
"""


def test_issue2_shorthand_equals_constructor():
    p = loads_point(ISSUE2_EXAMPLE)
    assert p == voloshin(1000.0, 0.05, 1.0, "mu", m_b=4.18)
    cS, cR = couplings_cS_cR(p)
    assert cS[1, 0] == cR[1, 0] == pytest.approx(0.05)


def test_s1_shorthand_with_y1p_and_keV():
    p = loads_point("model: s1\nm_S1: 1500\ny1: 0.1\ny2: 0.7\ny1p: 0.02\nlepton: tau\nM_N_keV: 100\n")
    assert p == s1_only(1500.0, 0.1, 0.7, "tau", y1p=0.02, M_N=1e-4)
    assert p.m_R2 == 1500.0  # irrelevant for model s1, set to m_S1


def test_full_matrices_and_complex_encodings():
    text = """
model: general
m_LQ: 1200
m_R2_23: 1300
quark_basis: up
N_type: majorana
m_b_scheme: pole
y_LL: [[0, 0, 0], [0, [0.1, -0.2], 0], [0, "0.3-0.4j", 1e-3]]
yt_RL: [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]
"""
    p = loads_point(text)
    assert ((p.m_S1, p.m_R2, p.m_R2_23, p.quark_basis, p.N_type, p.m_b_scheme)
            == (1200, 1200, 1300, "up", "majorana", "pole"))
    assert p.m_b == 4.78
    assert p.y_LL[1, 1] == 0.1 - 0.2j and p.y_LL[2, 1] == 0.3 - 0.4j and p.y_LL[2, 2] == 1e-3
    assert p.yt_RL[2, 0] == 0.7 and np.all(p.ybar_RR == 0)


def test_round_trip_random_complex_matrices_bit_exact(tmp_path):
    rng = np.random.default_rng(123)
    mats = {m: (rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))) * 10.0 ** rng.uniform(-12, 0.4, (3, 3))
            for m in MATRIX_FIELDS}
    mats["y_RR"][0, 0] = 0.3 - 0.0j  # negative zero imaginary part survives too
    mats["y_RR"][0, 1] = -0.0
    p = Point(m_S1=1234.5678901234567, m_R2=np.pi * 1e3, m_R2_23=2718.281828459045, m_b=4.18 + 1e-15,
              m_b_scheme="custom", quark_basis="up", N_type="majorana", M_N=1.23456789e-5, kappa=-0.1,
              label="random ✓", **mats)
    for suffix in (".yaml", ".json", ".yml"):
        f = tmp_path / f"p{suffix}"
        p.save(f)
        q = Point.load(f)
        assert q == p
        for m in MATRIX_FIELDS:  # bit-exact, including the sign of zero
            assert getattr(q, m).tobytes() == getattr(p, m).tobytes(), (suffix, m)
    assert Point.from_dict(p.to_dict()) == p
    json.loads((tmp_path / "p.json").read_text())  # plain JSON


def test_encode_decode():
    m = np.array([[1, -0.0, 2j], [0.5 + 0.5j, 0, 0], [0, 0, -1e-300 - 1e300j]])
    enc = encode_matrix(m)
    assert enc[0][0] == 1.0 and enc[0][2] == [0.0, 2.0] and enc[2][2] == [-1e-300, -1e300]
    assert decode_matrix("y", enc).tobytes() == m.astype(complex).tobytes()


def test_example_point_files_load():
    folder = resources.files("lqmodel").joinpath("data/points")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".yaml"))
    assert {"bp2.yaml", "s1_only.yaml", "general.yaml"} <= set(names)
    for n in names:
        with resources.as_file(folder.joinpath(n)) as path:
            load_point(path)
    with resources.as_file(folder.joinpath("general.yaml")) as path:
        g = load_point(path)
    cS, cR = couplings_cS_cR(g)
    assert cS[1, 0] == pytest.approx(cR[1, 0], rel=1e-15)  # as its comment says


@pytest.mark.parametrize("text, err, pattern", [
    ("m_S1: 1000\nm_R2: 1000\nmb: 4.18\n", UnknownNameError, r"unknown key 'mb'. Did you mean 'm_b'"),
    ("m_S1: 1000\nm_R2: 1000\ny_ll: [[0,0,0],[0,0,0],[0,0,0]]\n", UnknownNameError, r"Did you mean 'y_LL'"),
    ("model: voloshn\nm_S1: 1000\n", UnknownNameError, r"unknown model 'voloshn'. Did you mean 'voloshin'"),
    ("model: voloshin\nm_LQ: 1000\ny1: 0.1\ny2: 1\nlepton: muon\n", UnknownNameError,
     r"unknown lepton 'muon'.*Allowed: 'e', 'mu', 'tau'"),
    ("model: voloshin\nm_LQ: 1000\ny1: 0.1\ny2: 1\n", PointError, r"needs lepton"),
    ("model: general\nm_LQ: 1000\ny1: 0.1\n", PointError, r"shorthand y1 needs model 's1' or 'voloshin'"),
    ("model: s1\nm_S1: -1000\n", PointError, r"m_S1 must be a positive, finite mass"),
    ("model: s1\nm_S1: .inf\n", PointError, r"m_S1 must be a positive, finite mass"),
    ("model: s1\nm_S1: 1000\ny2: .nan\nlepton: mu\n", PointError, r"y2 must be finite"),
    ("model: s1\nm_S1: 1000\ny2: abc\nlepton: mu\n", PointError, r"y2 must be a number"),
    ("m_S1: 1000\nm_R2: 1000\ny_LL: [[0, 0], [0, 0]]\n", PointError, r"y_LL must be a 3x3 list"),
    ("m_S1: 1000\nm_R2: 1000\ny_LL: [[0,0,0],[0,0,0],[0,0,'1+x']]\n", PointError, r"y_LL\[2\]\[2\]: cannot read"),
    ("m_S1: 1000\nm_R2: 1000\nm_b: 2.4\n", PointError, r"does not match m_b_scheme 'MSbar\(mb\)'.*custom"),
    ("m_S1: 1000\nm_R2: 1000\nm_b_scheme: custom\n", PointError, r"needs an explicit m_b"),
    ("m_S1: 1000\n", PointError, r"m_R2 .* is required for model 'general'"),
    ("m_R2: 1000\n", PointError, r"m_S1 \(GeV\) is required"),
    ("m_LQ: 1000\nm_S1: 1000\n", PointError, r"either m_LQ or m_S1/m_R2"),
    ("m_LQ: 1000\nM_N: 0\nM_N_keV: 10\n", PointError, r"either M_N"),
    ("m_LQ: yes\n", PointError, r"m_LQ must be a real number"),
    ("- 1\n- 2\n", PointFileError, r"must be a mapping"),
    ("", PointFileError, r"empty"),
    ("m_S1: [1, 2\n", PointFileError, r"malformed YAML \(line 2"),
    ("model: voloshin\nlepton: mu\nm_LQ: 1000\nyt_RL: [[0,0,0],[0,0,0],[0,1,0]]\ny2: 1\n", PointError,
     r"SU\(2\)_H relation"),
])
def test_bad_point_files(text, err, pattern, tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(err, match=pattern) as info:
        load_point(f)
    msg = str(info.value)
    assert "\n" not in msg and str(f) in msg  # one line, names the file


def test_malformed_json_and_missing_file(tmp_path):
    f = tmp_path / "p.json"
    f.write_text('{"m_S1": 1000,}')
    with pytest.raises(PointFileError, match=r"p.json: malformed JSON"):
        load_point(f)
    with pytest.raises(PointFileError, match="no such point file"):
        load_point(tmp_path / "missing.yaml")
    with pytest.raises(PointFileError, match="unknown point-file extension"):
        voloshin(1000.0, 0.05, 1.0, "mu").save(tmp_path / "p.txt")


def test_batched_points_are_not_serialised():
    p = voloshin(np.array([1000.0, 2000.0]), 0.05, 1.0, "mu")
    with pytest.raises(PointError, match="scalar points only"):
        p.to_dict()


def test_perturbativity_warning_from_file():
    with pytest.warns(PerturbativityWarning):
        loads_point("model: s1\nm_S1: 1000\ny1: 4.0\n")
