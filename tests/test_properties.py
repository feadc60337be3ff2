"""Property-based tests (hypothesis) of everything a user can hand lqmodel: point files, scan configs and a
damaged scan folder (issue 15, "Also").

Properties, for every generated input:

* the command exits 0 with finite output, or exits 2 with ONE line on stderr; it never raises (a raised
  exception — a traceback for the user — fails the test);
* never a changed number: a point file accepted as YAML is accepted as JSON with the same output; the
  couplings and masses the command echoes are those of the file; |mu| of a Voloshin point is
  |y1 y2| times the moment at unit couplings (the moment is linear in the coupling product, c_R = c_S;
  docs/normalisation.md) computed through the Python API; a damaged scan folder rebuilds to the table of
  the undamaged scan (:func:`lqmodel.scan.tables_identical`).

Budget: derandomized (reproducible in CI), ``max_examples`` bounded, about 30 s in total.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lqmodel.cli import main
from lqmodel.scan import ScanConfig, run_scan, tables_identical

SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _check_exit(code: int, err: str, cmd: str) -> None:
    assert code in (0, 2), (code, err)
    if code == 2:
        assert err.startswith(f"lqmodel {cmd}: error: ") and err.count("\n") == 1, err
        assert "Traceback" not in err and len(err) < 2100


# ---- strategies ----------------------------------------------------------------------------------
weird = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-(10**40), max_value=10**40),
    st.text(max_size=12), st.booleans(), st.none(), st.lists(st.integers(0, 3), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
masses = st.floats(min_value=5.0, max_value=1e5)
couplings = st.floats(min_value=-3.0, max_value=3.0, allow_subnormal=False)
KEYS = ("label", "model", "lepton", "m_S1", "m_R2", "m_LQ", "m_R2_23", "y1", "y2", "y1p", "m_b", "m_b_scheme",
        "quark_basis", "N_type", "M_N", "M_N_keV", "kappa", "y_LL", "mb", "y3", "")


@st.composite
def point_files(draw):
    """A valid Voloshin point, then 0-2 mutations (a weird value, a removed key, an unknown key)."""
    d = {"model": "voloshin", "m_LQ": draw(masses), "y1": draw(couplings), "y2": draw(couplings),
         "lepton": draw(st.sampled_from(["e", "mu", "tau"]))}
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(["set", "delete", "set"]))
        key = draw(st.sampled_from(KEYS))
        if op == "delete":
            d.pop(key, None)
        else:
            d[key] = draw(weird)
    return d


def _yaml_text(d: dict) -> str:
    # JSON scalars are YAML flow scalars; NaN/Infinity become YAML strings (refused, as they should be)
    return "".join(f"{json.dumps(k)}: {json.dumps(v)}\n" for k, v in d.items())


@pytest.fixture(scope="module")
def unit_moment():
    """|mu_{alpha N1}| [mu_B] at y1 = y2 = 1 through the Python API, per (m_LQ, lepton)."""
    from lqmodel.models import voloshin
    from lqmodel.moments import compute_moments

    cache: dict = {}

    def get(m: float, lepton: str) -> float:
        if (m, lepton) not in cache:
            mom = compute_moments(voloshin(m, 1.0, 1.0, lepton))
            cache[(m, lepton)] = float(np.abs(np.asarray(mom.mu_muB))[..., ["e", "mu", "tau"].index(lepton), 0])
        return cache[(m, lepton)]

    return get


@settings(max_examples=60, **SETTINGS)
@given(d=point_files())
def test_point_files(tmp_path_factory, unit_moment, d):
    folder = tmp_path_factory.mktemp("pf")
    y, j = folder / "p.yaml", folder / "p.json"
    y.write_text(_yaml_text(d))
    j.write_text(json.dumps(d))
    code_y, out_y, err_y = _cli("point", str(y), "--json")
    code_j, out_j, err_j = _cli("point", str(j), "--json")
    _check_exit(code_y, err_y, "point")
    _check_exit(code_j, err_j, "point")
    if any(isinstance(v, float) and not math.isfinite(v) for v in d.values()):
        return  # NaN/inf: JSON reads them as numbers, YAML as strings; both refuse, maybe differently
    assert code_y == code_j and out_y == out_j  # the format does not change a number
    event(f"point exit {code_y}")
    if code_y != 0:
        return
    res = json.loads(out_y)
    for block in ("mu_nu_muB", "m_nuN_GeV"):
        assert all(v is None or math.isfinite(v) for v in res[block].values())
    inputs = res["inputs"]
    if "m_LQ" in d and isinstance(d["m_LQ"], (int, float)):
        assert inputs["m_S1"] == inputs["m_R2"] == float(d["m_LQ"])
    if d.get("model") == "voloshin" and {"m_LQ", "y1", "y2", "lepton"} <= set(d) <= {
            "model", "m_LQ", "y1", "y2", "lepton", "label"}:
        lepton = d["lepton"]
        li = ["e", "mu", "tau"].index(lepton)
        assert inputs["ybar_RR"][2][0] == float(d["y1"]) and inputs["y_LL"][2][li] == float(d["y2"])
        expected = abs(d["y1"] * d["y2"]) * unit_moment(float(d["m_LQ"]), lepton)
        assert res["mu_nu_muB"][lepton] == pytest.approx(expected, rel=1e-12, abs=1e-300)


# ---- scan configs ---------------------------------------------------------------------------------
#: the moments only (no flavour, neutrino-side, collider or neutrino-mass columns): fast scans
CHEAP_EVALUATION = {"observables": None, "neutrino": False, "collider": False, "neutrino_mass": False}
GOOD_BASE = {"model": "voloshin", "m_LQ": 1000.0, "y1": 0.05, "y2": 1.0, "lepton": "mu"}
RANGE = st.fixed_dictionaries({"min": st.sampled_from([0.01, 0.01, 0.1, 0.5, -1.0, 0.0]),
                               "max": st.sampled_from([1.0, 2.0, 3.0, 0.05]),
                               "n": st.sampled_from([1, 2, 3, 2, 3, 0, 2.0, 2.5, "3"])},
                              optional={"scale": st.sampled_from(["log", "lin", "exp", 1])})
TOP = ("sampling", "n_samples", "seed", "chunk_size", "workers", "y1_over_y2", "title", "plot", "evaluation",
       "allow_large", "colour", "base", "parameters")
EVAL = st.one_of(
    st.just(CHEAP_EVALUATION),
    st.fixed_dictionaries({"observables": st.sampled_from([None, [], "all", ["R_Dx"], [1]]),
                           "neutrino": st.sampled_from([False, "no", 0, None]),
                           "cl": st.sampled_from([0.9, 1.5, "high", float("nan")]),
                           "flavour_delta_chi2_max": st.sampled_from([4.0, float("nan"), "four"])}),
)


@st.composite
def scan_configs(draw):
    d = {"base": dict(GOOD_BASE),
         "parameters": {draw(st.sampled_from(["y1", "y2", "y1", "y2", "m_LQ", "y1y2", "m_b", "yy1"])): draw(RANGE)},
         "executor": "serial", "chunk_size": draw(st.sampled_from([1, 2, 5])),
         "evaluation": dict(CHEAP_EVALUATION)}
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        key = draw(st.sampled_from(TOP))
        d[key] = draw(EVAL) if key == "evaluation" else draw(weird)
    return d


@settings(max_examples=80, **SETTINGS)
@given(d=scan_configs())
def test_scan_configs(tmp_path_factory, d):
    folder = tmp_path_factory.mktemp("sc")
    cfg = folder / "c.yaml"
    cfg.write_text(_yaml_text(d))
    code, _, err = _cli("map", str(cfg), "--out", str(folder / "o"), "--no-plot")
    _check_exit(code, err, "map")
    event(f"map exit {code}")
    if code == 2:
        assert not (folder / "o").exists()  # refused before anything was created
        return
    import pyarrow.parquet as pq

    t = pq.read_table(folder / "o" / "map.parquet")
    config = ScanConfig.from_dict(d)
    assert t.num_rows == config.n_points
    mu = t.column("mu_mu_N1_muB").to_numpy()
    assert np.all(np.isfinite(mu)) and np.all(mu >= 0)
    # the scanned values in the table are the configured grid, bit for bit
    name = config.parameter_names[0]
    assert np.array_equal(t.column(name).to_numpy(), config.parameters[0].grid())


# ---- scan-folder damage ---------------------------------------------------------------------------
def toy(base, a):
    """f = y1 y2 / m^2 [GeV^-2] (closed form)."""
    y1 = np.asarray(a.get("y1", base["y1"]))
    m = np.asarray(a.get("m_LQ", base["m_LQ"]))
    y1, m = np.broadcast_arrays(y1, m)
    return {"f_GeVm2": y1 * base["y2"] / m**2}


toy.units = {"f_GeVm2": "GeV^-2"}
TOY_CFG = {"base": GOOD_BASE, "executor": "serial", "chunk_size": 3,
           "parameters": {"y1": {"min": 0.01, "max": 1.0, "n": 4, "scale": "log"},
                          "m_LQ": {"min": 500.0, "max": 3000.0, "n": 3}}}
N_CHUNKS = 4

damage_ops = st.lists(st.one_of(
    st.tuples(st.just("flip"), st.integers(0, N_CHUNKS - 1), st.integers(0, 5000), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, N_CHUNKS - 1), st.integers(0, 3000)),
    st.tuples(st.just("copy"), st.integers(0, N_CHUNKS - 1), st.integers(0, N_CHUNKS - 1)),
    st.tuples(st.just("delete"), st.integers(0, N_CHUNKS - 1)),
    st.tuples(st.just("append"), st.integers(0, N_CHUNKS - 1), st.binary(min_size=1, max_size=20)),
    st.tuples(st.just("forget"), st.integers(0, N_CHUNKS - 1)),
    st.tuples(st.just("extra"), st.integers(N_CHUNKS, N_CHUNKS + 3)),
    st.tuples(st.just("tmp"), st.sampled_from([".map.parquet.x.tmp", "chunks/.chunk-000001.parquet.y.tmp"])),
    st.tuples(st.just("table"), st.binary(max_size=50)),
    st.tuples(st.just("manifest"), st.binary(max_size=30)),
), min_size=1, max_size=3)


@pytest.fixture(scope="module")
def toy_reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("toyref") / "ref"
    return folder, run_scan(ScanConfig.from_dict(TOY_CFG), folder, toy).table()


def _apply(out: Path, op: tuple) -> None:
    chunk = lambda i: out / "chunks" / f"chunk-{i:06d}.parquet"  # noqa: E731
    kind = op[0]
    if kind == "flip" and chunk(op[1]).exists():
        data = bytearray(chunk(op[1]).read_bytes())
        if data:
            data[op[2] % len(data)] ^= op[3]
            chunk(op[1]).write_bytes(bytes(data))
    elif kind == "truncate" and chunk(op[1]).exists():
        data = chunk(op[1]).read_bytes()
        chunk(op[1]).write_bytes(data[: op[2] % max(len(data), 1)])
    elif kind == "copy" and chunk(op[1]).exists():
        chunk(op[2]).write_bytes(chunk(op[1]).read_bytes())
    elif kind == "delete":
        chunk(op[1]).unlink(missing_ok=True)
    elif kind == "append" and chunk(op[1]).exists():
        chunk(op[1]).write_bytes(chunk(op[1]).read_bytes() + op[2])
    elif kind == "forget":
        try:
            m = json.loads((out / "manifest.json").read_bytes())
        except ValueError:  # already damaged by an earlier op
            return
        if isinstance(m, dict) and isinstance(m.get("chunks"), dict):
            m["chunks"].pop(str(op[1]), None)
            (out / "manifest.json").write_text(json.dumps(m))
    elif kind == "extra":
        shutil.copy(chunk(0) if chunk(0).exists() else out / "manifest.json", chunk(op[1]))
    elif kind == "tmp":
        (out / op[1]).write_bytes(b"PAR1 half")
    elif kind == "table":
        (out / "map.parquet").write_bytes(op[1])
    elif kind == "manifest":
        (out / "manifest.json").write_bytes(op[1])


@settings(max_examples=50, **SETTINGS)
@given(ops=damage_ops)
def test_damaged_scan_folder_rebuilds_the_same_table_or_refuses_in_one_line(tmp_path_factory, toy_reference, ops):
    from lqmodel.errors import LqmodelError

    ref_dir, ref = toy_reference
    out = tmp_path_factory.mktemp("dmg") / "o"
    shutil.copytree(ref_dir, out)
    for op in ops:
        _apply(out, op)
    try:
        res = run_scan(ScanConfig.from_dict(TOY_CFG), out, toy)
    except LqmodelError as exc:  # only a damaged manifest may be refused (results could not be trusted)
        assert any(op[0] == "manifest" for op in ops), exc
        assert "\n" not in str(exc)
        event("refused")
        return
    event(f"rebuilt, {len(res.recomputed_chunks)} chunk files recomputed")
    assert tables_identical(res.table(), ref)
    assert not list(out.glob("*.tmp")) and not list((out / "chunks").glob("*.tmp"))


@st.composite
def valid_scan_configs(draw):
    """Grids that must run: one or two of y1, y2 (log or lin, positive ranges), a leptoquark mass grid."""
    names = draw(st.lists(st.sampled_from(["y1", "y2", "m_LQ"]), min_size=1, max_size=2, unique=True))
    params = {}
    for n in names:
        lo = draw(st.floats(0.01, 0.5)) if n != "m_LQ" else draw(st.floats(200.0, 5000.0))
        hi = lo * draw(st.floats(1.5, 20.0))
        hi = hi if n == "m_LQ" else min(hi, 3.0)  # below sqrt(4 pi): no perturbativity warning
        params[n] = {"min": lo, "max": hi, "n": draw(st.integers(1, 3)),
                     "scale": draw(st.sampled_from(["lin", "log"]))}
    return {"base": dict(GOOD_BASE), "parameters": params, "executor": "serial",
            "chunk_size": draw(st.integers(1, 4)), "evaluation": dict(CHEAP_EVALUATION)}


@settings(max_examples=15, **SETTINGS)
@given(d=valid_scan_configs())
def test_valid_scan_configs_give_the_linear_moment(tmp_path_factory, d):
    """mu_mu is linear in y1 y2 (Voloshin point, c_R = c_S): mu / (y1 y2) depends on m_LQ only."""
    folder = tmp_path_factory.mktemp("vsc")
    (folder / "c.yaml").write_text(_yaml_text(d))
    code, _, err = _cli("map", str(folder / "c.yaml"), "--out", str(folder / "o"), "--no-plot")
    assert code == 0, err
    import pyarrow.parquet as pq

    t = pq.read_table(folder / "o" / "map.parquet").to_pandas()
    assert len(t) == math.prod(r["n"] for r in d["parameters"].values())
    y1 = t["y1"] if "y1" in t else GOOD_BASE["y1"]
    y2 = t["y2"] if "y2" in t else GOOD_BASE["y2"]
    ratio = np.asarray(t["mu_mu_N1_muB"] / (y1 * y2))
    m = np.asarray(t["m_LQ"]) if "m_LQ" in t else np.full(len(t), GOOD_BASE["m_LQ"])
    for mass in np.unique(m):
        r = ratio[m == mass]
        assert np.all(np.isfinite(r)) and np.allclose(r, r[0], rtol=1e-12, atol=0)
