"""Issue 15, the cache side: nothing a cache file says runs code or silently changes a number.

* loops derivation cache: an entry whose expression is the code-execution exploit of issue 15 is neither
  evaluated (no file appears) nor used (the expression returned equals the published closed form of
  arXiv:1603.04993 typed independently below, and the BP2 benchmark number) and is rebuilt;
* the expression-tree parser (loops.expr_tree) builds only allow-listed nodes;
* corrupt surrogate / SM-covariance ``.npz`` files and swapped dd-fit files are rebuilt (results compared
  with a fresh, uncached computation);
* m_nuN stays finite and correct (mpmath at 50 digits) up to m_LQ = 1e15 GeV;
* cache files get the permissions of an ordinary file (umask), and an unwritable cache folder still gives
  correct results (computed in memory, one warning).
"""
from __future__ import annotations

import json
import os

import pytest
import sympy as sp

from loops import cache as loops_cache
from loops import expr_tree

EXPLOIT = "__import__('os').system('touch pwned') or Integer(0)"


# ------------------------------------------------------------------------------ 1. derivation cache
def _voloshin_closed_form() -> sp.Expr:
    # mu_nu/mu_B = 2 * m_e m_b c g(x) / (8 pi^2 m_LQ^2), x = m_b^2/m_LQ^2 (two equal loops, exact SU(2)_H
    # limit), with g(x) = 1/(x-1) - ln x/(x-1)^2 (arXiv:1603.04993, as in tests/test_loops_symbolic.py)
    m_e, m_b, m_LQ = sp.symbols("m_e m_b m_LQ", positive=True)
    c = sp.Symbol("c", real=True)
    x = m_b**2 / m_LQ**2
    g = 1 / (x - 1) - sp.log(x) / (x - 1) ** 2
    return 2 * m_e * m_b * c * g / (8 * sp.pi**2 * m_LQ**2)


def _voloshin_entry(cache_root):
    files = [f for f in (cache_root / "loops").glob("lqmodel-expression-*.json") if "mu_nu_voloshin" in f.read_text()]
    assert len(files) == 1
    return files[0]


def _equals_closed_form(expr: sp.Expr) -> bool:
    return sp.simplify(sp.expand_log(expr - _voloshin_closed_form(), force=True)) == 0


@pytest.fixture(scope="module")
def derived_cache(tmp_path_factory):
    """A cache folder in which mu_nu_voloshin was derived from scratch (cold), and that expression."""
    from lqmodel import derivation

    root = tmp_path_factory.mktemp("derived")
    old = os.environ.get("LQMODEL_CACHE_DIR")
    os.environ["LQMODEL_CACHE_DIR"] = str(root)
    try:
        fresh = derivation.expression("mu_nu_voloshin")
    finally:
        if old is None:
            os.environ.pop("LQMODEL_CACHE_DIR", None)
        else:
            os.environ["LQMODEL_CACHE_DIR"] = old
    assert _equals_closed_form(fresh)
    return root, fresh


@pytest.mark.parametrize("damage", ["exploit_string", "exploit_string_rehashed", "exploit_tree_rehashed"])
def test_derivation_cache_exploit_never_runs_and_is_rebuilt(tmp_path, monkeypatch, capsys, derived_cache, damage):
    import shutil

    from lqmodel import derivation
    from lqmodel.cli import main

    cache_root = tmp_path / "cache"
    shutil.copytree(derived_cache[0], cache_root)
    fresh = derived_cache[1]
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(cache_root))
    monkeypatch.chdir(work)
    entry = _voloshin_entry(cache_root)
    payload = json.loads(entry.read_text())
    if damage == "exploit_tree_rehashed":
        payload["result"]["expr"] = {"f": "__import__", "a": [{"f": "Symbol", "name": "os", "assumptions": {}}]}
    else:
        payload["result"]["expr"] = EXPLOIT
    if damage.endswith("rehashed"):  # an attacker can recompute the hash: the parser alone must refuse
        payload["sha256"] = loops_cache._content_hash(payload["key"], payload["result"])
    entry.write_text(json.dumps(payload))

    assert main(["export", "mu_nu_voloshin", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert not (work / "pwned").exists() and not (tmp_path / "pwned").exists()
    from loops.export import from_json

    exported = from_json(out)
    assert exported == fresh and _equals_closed_form(exported)
    assert exported != 0
    # the BP2 number (m_b = 4.18, c = 0.05, m_LQ = 1 TeV): 2.69314e-11 mu_B (tests/test_derivation.py)
    S = derivation.SYMBOLS
    val = float(exported.subs({S["m_e"]: 0.51099895e-3, S["m_b"]: 4.18, S["c"]: 0.05, S["m_LQ"]: 1000.0}))
    assert val == pytest.approx(2.69314e-11, rel=2e-6)
    # rebuilt: the entry on disk is again a valid, verified entry of the correct expression
    rebuilt = json.loads(entry.read_text())
    assert rebuilt["result"]["expr"] != EXPLOIT
    assert rebuilt["sha256"] == loops_cache._content_hash(rebuilt["key"], rebuilt["result"])
    assert expr_tree.from_tree(rebuilt["result"]["expr"]) == fresh


def test_swapped_or_altered_derivation_entries_are_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path))
    x = sp.Symbol("x", positive=True)
    a = loops_cache.cached_derivation("t", ("a",), lambda: {"e": sp.log(x)})
    b = loops_cache.cached_derivation("t", ("b",), lambda: {"e": sp.sqrt(x)})
    fa, fb = (next((tmp_path / "loops").glob(f"t-{loops_cache._digest(loops_cache._full_key('t', (k,)))}.json"))
              for k in ("a", "b"))
    ta, tb = fa.read_bytes(), fb.read_bytes()
    fa.write_bytes(tb)
    fb.write_bytes(ta)  # swapped: each file carries the other's key
    assert loops_cache.cached_derivation("t", ("a",), lambda: {"e": sp.log(x)}) == a
    assert loops_cache.cached_derivation("t", ("b",), lambda: {"e": sp.sqrt(x)}) == b
    assert fa.read_bytes() == ta and fb.read_bytes() == tb  # both rebuilt
    # a changed number with the old hash: rebuilt, not used
    payload = json.loads(ta)
    payload["result"]["e"] = {"f": "log", "a": [{"f": "Integer", "v": "7"}]}
    fa.write_text(json.dumps(payload))
    assert loops_cache.cached_derivation("t", ("a",), lambda: {"e": sp.log(x)}) == a
    assert fa.read_bytes() == ta


@pytest.mark.parametrize("tree", [
    EXPLOIT,
    {"f": "eval", "a": [{"f": "Integer", "v": "1"}]},
    {"f": "Function", "a": []},
    {"f": "Symbol", "name": "x", "assumptions": {"__class__": True}},
    {"f": "Symbol", "name": "x", "assumptions": {"positive": "yes"}},
    {"f": "Symbol", "name": "x", "assumptions": {}, "extra": 1},
    {"f": "Integer", "v": "1e5"},
    {"f": "Integer", "v": "9" * 5000},
    {"f": "Integer", "v": 3},
    {"f": "Rational", "p": "1", "q": "0"},
    {"f": "Float", "man": "1", "exp": "0", "prec": "0"},
    {"f": "Add", "a": "x"},
    {"f": "log", "a": [{"f": "Integer", "v": "1"}] * 3},
    {"f": "Add", "a": [[{"f": "pi"}]]},
])
def test_expression_tree_parser_refuses_anything_outside_the_allow_list(tree):
    with pytest.raises(expr_tree.InvalidTreeError):
        expr_tree.from_tree(tree)


def test_expression_tree_depth_and_size_are_bounded():
    deep: dict = {"f": "pi"}
    for _ in range(expr_tree.MAX_DEPTH + 5):
        deep = {"f": "log", "a": [deep]}
    with pytest.raises(expr_tree.InvalidTreeError, match="deeper"):
        expr_tree.from_tree(deep)


@pytest.mark.parametrize("name", ["mu_nu", "m_nuN", "delta_amu_S1", "B0_zero", "g", "f_S"])
def test_expression_tree_round_trip_is_exact(name):
    from lqmodel import derivation

    expr = derivation.expression(name)
    back = expr_tree.from_tree(json.loads(json.dumps(expr_tree.to_tree(expr))))
    assert back == expr and sp.srepr(back) == sp.srepr(expr)


def test_expression_tree_numbers_round_trip_exactly():
    x = sp.Symbol("x", positive=True)
    for e in (sp.Float("1.2345678901234567890123", 40), sp.Float(-0.1), sp.Float(0.0), sp.Rational(-7, 3),
              -sp.oo, sp.I * x + sp.pi, sp.sqrt(x), sp.polylog(2, x), sp.Integer(10) ** 40 + 1):
        back = expr_tree.from_tree(json.loads(json.dumps(expr_tree.to_tree(e))))
        assert back == e and sp.srepr(back) == sp.srepr(e)
    with pytest.raises(expr_tree.UnsupportedExpressionError):
        expr_tree.to_tree(sp.Dummy("d"))


def test_export_json_reads_no_srepr(tmp_path):
    """The JSON export still carries srepr for humans, but from_json ignores it (reads the tree only)."""
    from loops import export

    x = sp.Symbol("x", positive=True)
    payload = json.loads(export.to_json(sp.log(x) / (x - 1), "f"))
    assert "srepr" in payload and "tree" in payload
    payload["srepr"] = EXPLOIT
    assert export.from_json(json.dumps(payload)) == sp.log(x) / (x - 1)
    payload["tree"] = EXPLOIT
    with pytest.raises(ValueError, match="not an lqmodel/loops JSON"):
        export.from_json(json.dumps(payload))
    with pytest.raises(ValueError, match="not an lqmodel/loops JSON"):
        export.from_json(json.dumps({"srepr": "Integer(1)"}))


# ------------------------------------------------------------------------------ 11. h(x) and m_nuN at huge masses
M_LQ_GRID = [1e2, 1e4, 1e6, 1e8, 5.6e8, 1e9, 1e11, 1e13, 1e15]


@pytest.mark.parametrize("M", M_LQ_GRID + [1e30, 1e100, 1e153, 1e200, 1e300])
def test_h_and_F_are_finite_and_correct_at_huge_masses(M):
    import mpmath
    import numpy as np

    from loops import highprec, numeric

    m_b = 4.18
    x = (m_b / M) ** 2
    got_h = float(numeric.h(x))
    ref_h = 0.0 if x == 0.0 else float(highprec.h(mpmath.mpf(x), 50))  # the float x taken exactly; h(0) = 0
    assert np.isfinite(got_h)
    assert got_h == pytest.approx(ref_h, rel=1e-14, abs=1e-320)
    got_F = float(numeric.F(m_b, M))
    assert got_F == pytest.approx(float(highprec.F(m_b, M, 50)), rel=1e-14)


@pytest.mark.parametrize("x", [0.0, 1e-300, 1e-30, 1e-17, 1e-16, 2e-16, 1e-8, 0.3, 0.5, 0.75, 1.0, 1.25,
                               1.5, 1.7, 10.0, 1e8, 1e300])
def test_h_on_both_sides_of_every_branch(x):
    import mpmath

    from loops import highprec, numeric

    ref = 0.0 if x == 0.0 else float(highprec.h(mpmath.mpf(x), 50))
    assert float(numeric.h(x)) == pytest.approx(ref, rel=4e-16, abs=1e-320)


@pytest.mark.parametrize("M", M_LQ_GRID + [1e100, 1e200, 1e300])
@pytest.mark.parametrize("rel", [0.0, 1e-9, 1e-3, 0.5])
def test_m_nuN_finite_and_correct_up_to_huge_masses(M, rel):
    """m_nuN = -(3 c m_b/16 pi^2) [F(m_S1) - F(m_R2)] for c_R = c_S = c (finite; docs/theory.md §b.2), against
    mpmath at 50 digits; before the fix it was NaN (flagged UV-divergent) above m_LQ ~ 4e8 GeV."""
    import math

    import mpmath
    import numpy as np

    from loops import highprec
    from lqmodel.moments import m_nuN_GeV

    m_b, c = 4.18, 0.05
    M2 = M * (1 + rel)
    m, div = m_nuN_GeV(c, c, m_b, M, M2)
    assert not bool(div) and np.isfinite(m.real) and m.imag == 0.0
    ref = -3 * c * m_b / (16 * math.pi**2) * float(highprec.delta_F(mpmath.mpf(m_b), mpmath.mpf(M), mpmath.mpf(M2), 50))
    if rel == 0.0:
        assert m.real == 0.0
    else:
        assert m.real == pytest.approx(ref, rel=1e-12)
    # unequal couplings: still flagged divergent (NaN), never a number
    m_bad, div_bad = m_nuN_GeV(c, 2 * c, m_b, M, M2)
    assert bool(div_bad) and np.isnan(m_bad.real)


def test_point_api_m_nuN_at_1e9_GeV_is_not_reported_divergent():
    import numpy as np

    from lqmodel.models import voloshin_split
    from lqmodel.moments import compute_moments

    p = voloshin_split(1e9, 1.1e9, 0.05, 1.0, "mu")
    mom = compute_moments(p)
    m = np.asarray(mom.m_nuN_GeV)
    assert np.all(np.isfinite(m))


# ------------------------------------------------------------------------------ 2. corrupt .npz entries
def _npz_bytes(**arrays) -> bytes:
    import io

    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _huge_header_npz() -> bytes:
    """A zip whose 'cov.npy' member declares a (1e6, 1e6) float array but holds 16 bytes."""
    import io
    import zipfile

    import numpy as np

    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    member.write(b"\0" * 16)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("cov.npy", member.getvalue())
        zf.writestr("__key__.npy", _npy(np.asarray("{}")))
        zf.writestr("__sha256__.npy", _npy(np.asarray("0")))
    return buf.getvalue()


def _npy(a) -> bytes:
    import io

    import numpy as np

    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _damage(path, kind: str, other: bytes) -> None:
    """Overwrite the entry at ``path`` with one kind of damage."""
    import io

    import numpy as np

    good = path.read_bytes()
    if kind == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "random":
        path.write_bytes(np.random.default_rng(1).bytes(len(good)))
    elif kind == "wrong_arrays":
        path.write_bytes(_npz_bytes(x=np.arange(3.0)))
    elif kind == "pickled_object":
        path.write_bytes(_npz_bytes(cov=np.array([{"a": 1}], dtype=object)))
    elif kind == "other_key":  # a valid entry of another key, copied over this one
        path.write_bytes(other)
    elif kind == "huge_header":
        path.write_bytes(_huge_header_npz())
    elif kind in ("altered_number", "nan_rehashed"):
        from observables import cache as oc

        with np.load(io.BytesIO(good), allow_pickle=False) as d:
            arrays = {n: np.array(d[n]) for n in d.files}
        name = next(n for n in sorted(arrays) if arrays[n].dtype.kind == "f" and np.any(arrays[n] != 0))
        arrays[name] = arrays[name] * 1.001 if kind == "altered_number" else np.full_like(arrays[name], np.nan)
        if kind == "nan_rehashed":  # consistent hash: only the finiteness check catches it
            del arrays["__sha256__"]
            arrays["__sha256__"] = np.asarray(oc._array_hash(arrays))
        path.write_bytes(_npz_bytes(**arrays))
    else:  # pragma: no cover
        raise ValueError(kind)


NPZ_DAMAGE = ["truncated", "empty", "random", "wrong_arrays", "pickled_object", "other_key", "huge_header",
              "altered_number", "nan_rehashed"]


@pytest.fixture(scope="module")
def flavio_loaded():
    pytest.importorskip("flavio")
    from observables import flavio_backend

    flavio_backend._import_flavio()


@pytest.mark.flavio
@pytest.mark.parametrize("kind", NPZ_DAMAGE)
def test_corrupt_surrogate_file_is_rebuilt(tmp_path, monkeypatch, flavio_loaded, kind):
    import numpy as np

    from observables import surrogate

    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path))
    fresh = surrogate.get_surrogate("BR_tau_mugamma", 1000.0)
    (path,) = (tmp_path / "surrogates").glob("*.npz")
    key_text = _entry_key_text(path)
    other_dir = tmp_path / "other"
    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(other_dir))
    surrogate.get_surrogate("BR_tau_mugamma", 2000.0)  # another valid entry (other scale)
    (other,) = (other_dir / "surrogates").glob("*.npz")
    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path))
    _damage(path, kind, other.read_bytes())

    again = surrogate.get_surrogate("BR_tau_mugamma", 1000.0)
    assert again.numerator.constant == fresh.numerator.constant
    np.testing.assert_array_equal(again.linear, fresh.linear)
    np.testing.assert_array_equal(again.quadratic, fresh.quadratic)
    assert np.any(fresh.quadratic != 0)
    _assert_valid_entry(path, key_text)


def _entry_key_text(path) -> str:
    import numpy as np

    with np.load(path, allow_pickle=False) as d:
        return str(d["__key__"])


def _assert_valid_entry(path, key_text: str) -> None:
    """The file at ``path`` was rewritten as a verified entry of the original key."""
    import numpy as np

    from observables import cache as oc

    with np.load(path, allow_pickle=False) as d:
        expected = {n: (d[n].dtype.kind, d[n].shape) for n in d.files if not n.startswith("__")}
    assert oc.load_arrays(path, json.loads(key_text), expected) is not None


@pytest.mark.flavio
@pytest.mark.parametrize("kind", NPZ_DAMAGE)
def test_corrupt_sm_covariance_file_is_rebuilt(tmp_path, monkeypatch, flavio_loaded, kind):
    import numpy as np

    from observables.likelihood import theory_covariance

    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path))
    fresh = theory_covariance(["DeltaM_s"], N=3)
    assert fresh.shape == (1, 1) and fresh[0, 0] > 0
    (path,) = (tmp_path / "theory_covariance").glob("*.npz")
    theory_covariance(["DeltaM_s"], N=3, seed=7)  # another valid entry (other seed)
    (other,) = [p for p in (tmp_path / "theory_covariance").glob("*.npz") if p != path]
    key_text = _entry_key_text(path)
    _damage(path, kind, other.read_bytes())
    np.testing.assert_array_equal(theory_covariance(["DeltaM_s"], N=3), fresh)
    _assert_valid_entry(path, key_text)


def test_array_entries_check_key_hash_names_and_shapes(tmp_path):
    """observables.cache.load_arrays directly (no flavio): every kind of damage gives None."""
    import numpy as np

    from observables import cache as oc

    key = {"what": "test", "n": 2}
    path = tmp_path / "e.npz"
    arrays = {"a": np.array([[1.0, 2.0], [3.0, 4.0]]), "s": "text"}
    expected = {"a": ("f", (2, 2)), "s": ("U", ())}
    oc.store_arrays(path, key, arrays)
    got = oc.load_arrays(path, key, expected)
    assert got is not None and np.array_equal(got["a"], arrays["a"]) and str(got["s"]) == "text"
    assert oc.load_arrays(path, {"what": "test", "n": 3}, expected) is None  # other key
    assert oc.load_arrays(path, key, {"a": ("f", (3, 3)), "s": ("U", ())}) is None  # other shape
    assert oc.load_arrays(path, key, {"a": ("f", (2, 2))}) is None  # other names
    assert oc.load_arrays(tmp_path / "missing.npz", key, expected) is None
    for kind in NPZ_DAMAGE:
        oc.store_arrays(path, key, arrays)
        _damage(path, kind, _npz_bytes(a=np.zeros((2, 2)), s=np.asarray("x")))
        assert oc.load_arrays(path, key, expected) is None, kind
    with pytest.raises(TypeError, match="only numbers and strings"):
        oc.store_arrays(path, key, {"o": np.array([None], dtype=object)})



def test_array_entries_read_like_numpy_load_and_refuse_short_members(tmp_path):
    """The one-pass reader of observables.cache gives what numpy.load gives (C and Fortran order, 0-d and
    string arrays) and refuses a member whose data are shorter than its header declares."""
    import io
    import zipfile

    import numpy as np

    from observables import cache as oc

    key = {"what": "order"}
    a = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    arrays = {"f": a, "c": np.arange(6.0).reshape(2, 3), "z": np.float64(2.5), "s": np.asarray("text")}
    expected = {"f": ("f", (3, 4)), "c": ("f", (2, 3)), "z": ("f", ()), "s": ("U", ())}
    path = tmp_path / "o.npz"
    oc.store_arrays(path, key, arrays)
    got = oc.load_arrays(path, key, expected)
    with np.load(path, allow_pickle=False) as ref:
        for name in arrays:
            assert got is not None and got[name].dtype == ref[name].dtype and np.array_equal(got[name], ref[name])
    # cut the last 8 bytes of the Fortran member's data, keeping a valid zip
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(buf, "w") as zout:
        for info in zin.infolist():
            raw = zin.read(info)
            zout.writestr(info, raw[:-8] if info.filename == "f.npy" else raw)
    path.write_bytes(buf.getvalue())
    assert oc.load_arrays(path, key, expected) is None

# ------------------------------------------------------------------------------ 3. dd-fit cache
def _ddfit(capsys, m_N, *extra):
    from lqmodel.cli import main

    assert main(["dd-fit", "--experiment", "xenon1t", "--lepton", "all", "--m-N", str(m_N), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)["interval_muB"]


def test_swapped_ddfit_files_are_recomputed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path))
    ref0, ref100 = _ddfit(capsys, 0, "--no-cache"), _ddfit(capsys, 100, "--no-cache")
    # XENON1T (arXiv:2006.09721): (1.4, 2.9)e-11 mu_B at 90% CL for M_N = 0 (B0 only)
    assert ref0[0] == pytest.approx(1.4e-11, rel=0.1) and ref0[1] == pytest.approx(2.9e-11, rel=0.1)
    assert ref100 != ref0
    assert _ddfit(capsys, 0) == ref0 and _ddfit(capsys, 100) == ref100  # writes the cache
    files = sorted((tmp_path / "ddfit").glob("*.json"))
    assert len(files) == 4  # two templates, two fits
    by_kind_mass = {}
    for f in files:
        entry = json.loads(f.read_text())
        by_kind_mass[(entry["key"]["kind"], entry["key"]["M_N_keV"])] = f
    for kind in ("fit", "template"):  # swap each pair: every file now holds the other mass's entry
        a, b = by_kind_mass[(kind, 0.0)], by_kind_mass[(kind, 100.0)]
        ta, tb = a.read_bytes(), b.read_bytes()
        a.write_bytes(tb)
        b.write_bytes(ta)
    assert _ddfit(capsys, 0) == ref0
    assert _ddfit(capsys, 100) == ref100
    # a changed number with the old hash is not used either
    f = by_kind_mass[("fit", 0.0)]
    entry = json.loads(f.read_text())
    entry["payload"]["interval_muB"] = [0.0, 1e-10]
    f.write_text(json.dumps(entry))
    assert _ddfit(capsys, 0) == ref0


# ------------------------------------------------------------------------------ 14. file modes, unwritable cache
@pytest.fixture
def umask():
    """Set the process umask for one test, restored afterwards."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda mask: os.umask(mask)
    os.umask(old)


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_cache_files_respect_the_umask(tmp_path, monkeypatch, umask, mask, mode):
    import stat

    import numpy as np

    from observables import cache as oc

    umask(mask)
    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path))
    x = sp.Symbol("x", positive=True)
    loops_cache.cached_derivation("t", ("mode",), lambda: {"e": sp.log(x)})
    oc.store_arrays(tmp_path / "a" / "e.npz", {"k": 1}, {"v": np.arange(3.0)})
    oc.store_json(tmp_path / "j" / "e.json", {"k": 1}, {"v": [1, 2]})
    oc.write_atomic(tmp_path / "w" / "e.bin", lambda fh: fh.write(b"x"))
    files = [*(tmp_path / "loops").glob("*.json"), tmp_path / "a" / "e.npz", tmp_path / "j" / "e.json",
             tmp_path / "w" / "e.bin"]
    assert len(files) == 4
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == mode, f
    assert not list(tmp_path.rglob("*.tmp"))


def _unwritable_cache(tmp_path, monkeypatch):
    """LQMODEL_CACHE_DIR below a regular file: every mkdir/read fails, also for root (which chmod cannot stop)."""
    from observables import cache as oc

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(oc, "_memory", type(oc._memory)())  # start with an empty in-memory fallback
    monkeypatch.setattr(oc, "_warned_roots", set())


def test_unwritable_cache_gives_the_same_numbers_with_one_warning(tmp_path, monkeypatch, recwarn):
    """loops derivations and dd-fit (no flavio) with an unwritable cache folder."""
    from observables import cache as oc
    from observables.neutrino.fit import fit_moment

    ref_fit = fit_moment("xenon1t", "all", 0.0, 0.9, use_cache=False)
    x = sp.Symbol("x", positive=True)
    _unwritable_cache(tmp_path, monkeypatch)
    assert loops_cache.cached_derivation("t", ("ro",), lambda: {"e": sp.log(x)}) == {"e": sp.log(x)}
    calls = []
    import observables.neutrino.fit as fitmod

    real = fitmod.fit_template
    monkeypatch.setattr(fitmod, "fit_template", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(3):
        r = fit_moment("xenon1t", "all", 0.0, 0.9)
        assert r.interval_muB == ref_fit.interval_muB and r.best_fit_muB == ref_fit.best_fit_muB
    assert len(calls) == 1  # computed once, then served from memory
    caught = [w for w in recwarn.list if issubclass(w.category, oc.CacheWriteWarning)]
    assert len(caught) == 1 and "cannot be written" in str(caught[0].message)


@pytest.mark.flavio
def test_unwritable_cache_surrogate_and_covariance(tmp_path, monkeypatch, flavio_loaded, recwarn):
    import numpy as np

    from observables import cache as oc
    from observables.likelihood import theory_covariance
    from observables.surrogate import get_surrogate

    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path / "ok"))
    ref_s = get_surrogate("BR_tau_mugamma", 1000.0)
    ref_c = theory_covariance(["DeltaM_s"], N=3)
    _unwritable_cache(tmp_path, monkeypatch)
    for _ in range(2):
        s = get_surrogate("BR_tau_mugamma", 1000.0)
        np.testing.assert_array_equal(s.quadratic, ref_s.quadratic)
        np.testing.assert_array_equal(theory_covariance(["DeltaM_s"], N=3), ref_c)
    caught = [w for w in recwarn.list if issubclass(w.category, oc.CacheWriteWarning)]
    assert len(caught) == 1


MAP_CONFIG = """\
base: BP2
parameters:
  y1: {min: 0.1, max: 1.0, n: 3}
executor: serial
evaluation: {observables: [BR_tau_mugamma], neutrino: false}
"""


@pytest.mark.flavio
def test_map_with_an_unwritable_cache_runs_and_gives_the_same_table(tmp_path, monkeypatch, flavio_loaded, capsys):
    import pandas as pd

    from lqmodel.cli import main
    from observables import cache as oc

    cfg = tmp_path / "c.yaml"
    cfg.write_text(MAP_CONFIG)
    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path / "ok"))
    assert main(["map", str(cfg), "--out", str(tmp_path / "ref")]) == 0
    _unwritable_cache(tmp_path, monkeypatch)
    with pytest.warns(oc.CacheWriteWarning, match="cannot be written"):
        code = main(["map", str(cfg), "--out", str(tmp_path / "ro")])
    assert code == 0, capsys.readouterr().err
    ref = pd.read_parquet(tmp_path / "ref" / "map.parquet")
    got = pd.read_parquet(tmp_path / "ro" / "map.parquet")
    pd.testing.assert_frame_equal(got, ref)
    assert "BR_tau_mugamma" in " ".join(ref.columns)


# ------------------------------------------------------------------------------ property: random cache damage
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_DAMAGE = st.one_of(
    st.tuples(st.just("flip"), st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=4)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6)),
    st.tuples(st.just("append"), st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("replace"), st.binary(max_size=256)),
)


def _apply(data: bytes, damage) -> bytes:
    kind, arg = damage
    if kind == "flip":
        b = bytearray(data)
        for pos, xor in arg:
            b[pos % len(b)] ^= xor
        return bytes(b)
    if kind == "truncate":
        return data[: arg % len(data)]
    if kind == "append":
        return data + arg
    return arg


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=_DAMAGE)
def test_random_damage_never_changes_a_number(tmp_path, damage):
    """Any damage to an array, JSON or derivation entry gives either the exact original or a rebuild."""
    import numpy as np

    from observables import cache as oc

    key = {"what": "property", "n": 3}
    arrays = {"a": np.array([[1.5, -2.0, 3.25]] * 3), "s": "info"}
    expected = {"a": ("f", (3, 3)), "s": ("U", ())}
    npz = tmp_path / "p.npz"
    oc.store_arrays(npz, key, arrays)
    npz.write_bytes(_apply(npz.read_bytes(), damage))
    got = oc.load_arrays(npz, key, expected)
    assert got is None or (np.array_equal(got["a"], arrays["a"]) and str(got["s"]) == "info")

    js = tmp_path / "p.json"
    oc.store_json(js, key, {"v": [0.1, 2.5e-11], "k": "x"})
    js.write_bytes(_apply(js.read_bytes(), damage))
    assert oc.load_json(js, key) in (None, {"v": [0.1, 2.5e-11], "k": "x"})

    x = sp.Symbol("x", positive=True)
    expr = sp.log(x) / (x - 1) + sp.Rational(7, 3)
    old = os.environ.get("LQMODEL_CACHE_DIR")  # (monkeypatch is function-scoped: set by hand per example)
    os.environ["LQMODEL_CACHE_DIR"] = str(tmp_path)
    try:
        loops_cache.cached_derivation("prop", (1,), lambda: {"e": expr})
        (f,) = (tmp_path / "loops").glob("prop-*.json")
        f.write_bytes(_apply(f.read_bytes(), damage))
        assert loops_cache.cached_derivation("prop", (1,), lambda: {"e": expr}) == {"e": expr}
    finally:
        if old is None:
            os.environ.pop("LQMODEL_CACHE_DIR", None)
        else:
            os.environ["LQMODEL_CACHE_DIR"] = old


@pytest.mark.flavio
@pytest.mark.slow
def test_point_flavour_with_a_read_only_cache(tmp_path, monkeypatch, flavio_loaded, capsys):
    """``lqmodel point --flavour`` with a populated cache that cannot be written (as for a read-only
    folder; simulated because root bypasses chmod) and an entry missing: same JSON, one warning.
    The first call fills the session cache (what tests/test_point_cli_flavour.py needs anyway)."""
    import shutil

    import numpy as np

    from lqmodel.cli import main
    from observables import cache as oc

    argv = ["point", "--benchmark", "BP2", "--flavour", "--json"]
    assert main(argv) == 0
    ref = json.loads(capsys.readouterr().out)
    copy = tmp_path / "ro"
    shutil.copytree(os.environ["LQMODEL_CACHE_DIR"], copy)
    # --flavour calls flavio directly; its cache use is flavio's SM covariance per measurement group:
    # remove the smallest group's entry, which must then be rebuilt (in memory)
    entries = []
    for f in (copy / "theory_covariance").glob("*.npz"):
        with np.load(f, allow_pickle=False) as d:
            entries.append((len(json.loads(str(d["__key__"]))["names"]), f.name, f))
    assert entries
    min(entries)[2].unlink()

    def refuse(path, write):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(copy))
    monkeypatch.setattr(oc, "write_atomic", refuse)
    monkeypatch.setattr(oc, "_memory", type(oc._memory)())
    monkeypatch.setattr(oc, "_warned_roots", set())
    with pytest.warns(oc.CacheWriteWarning, match="Permission denied") as record:
        assert main(argv) == 0
    assert sum(issubclass(w.category, oc.CacheWriteWarning) for w in record) == 1
    assert json.loads(capsys.readouterr().out) == ref
    assert len(list((copy / "theory_covariance").glob("*"))) == len(entries) - 1  # nothing written
