"""Memory of the evaluation path (issue 10 goal 4): string columns cost a pointer per point, a large call
holds its table once plus one sub-batch of temporaries, and the tables are the same as before.

References: per-point reimplementations written here (the verdict join, numpy '<U' strings), the Parquet
round trip, a single unsplit call, and tracemalloc's own accounting.
"""
from __future__ import annotations

import tracemalloc

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lqmodel import evaluate
from lqmodel.scan import ScanConfig, run_scan, tables_identical
from lqmodel.scan.storage import chunk_bytes

BASE = {"model": "voloshin", "m_LQ": 1000.0, "y1": 0.05, "y2": 1.0, "lepton": "mu"}
#: no flavour (no flavio in these tests); the neutrino-side and collider steps make the string columns
EV = evaluate.PointEvaluator(observables=None, neutrino=True, collider=True, neutrino_mass=True)


def _assignments(n, seed=7):
    rng = np.random.default_rng(seed)
    return {"y1": 10 ** rng.uniform(-3, 0.5, n), "y2": 10 ** rng.uniform(-2, 0.5, n),
            "M_N": rng.choice([1e-5, 3e-5, 1e-4], n)}  # GeV (10, 30, 100 keV)


@pytest.fixture(scope="module")
def cols():
    return EV(BASE, _assignments(400))


def test_string_columns_are_pointers_to_shared_labels(cols):
    strings = [k for k, v in cols.items() if v.dtype.kind in "OUS"]
    assert {"verdict", "limit_name", "lab_limit_name", "pair_channel_S1"} <= set(strings)
    for k in strings:
        v = cols[k]
        assert v.dtype == object and v.nbytes == 8 * v.size, k
        assert all(isinstance(s, str) for s in v), k
        distinct = {id(s) for s in v}
        assert len(distinct) == len(set(v.tolist())), f"{k}: equal labels are not one shared object"
    assert len(set(cols["verdict"].tolist())) > 1  # the sample has several verdicts


def test_verdicts_are_the_per_point_join():
    rng = np.random.default_rng(3)
    labels = ["below XENON1T band", "above XENON1T band", "XENONnT", "flavour", "LHC Drell-Yan"]
    masks = [rng.random(500) < p for p in (0.3, 0.1, 0.5, 0.2, 0.4)]
    got = evaluate._verdict_strings(500, list(zip(masks, labels, strict=True)))
    for i in range(500):
        want = "; ".join(l for m, l in zip(masks, labels, strict=True) if m[i]) or "viable"
        assert got[i] == want


def test_parquet_gives_the_same_strings_as_numpy_unicode(cols):
    """The object columns and the former numpy '<U' columns write the same Parquet table."""
    units = dict.fromkeys(cols, "")
    as_unicode = {k: (v.astype(str) if v.dtype == object else v) for k, v in cols.items()}
    assert any(v.dtype.kind == "U" for v in as_unicode.values())
    a = pq.read_table(pa.BufferReader(chunk_bytes(cols, units, {})))
    b = pq.read_table(pa.BufferReader(chunk_bytes(as_unicode, units, {})))
    assert tables_identical(a, b)
    for k, v in cols.items():
        if v.dtype == object:
            assert a.schema.field(k).type == pa.string()
            assert a.column(k).to_pylist() == v.tolist() == as_unicode[k].tolist()


def test_a_scan_table_holds_the_evaluators_strings(tmp_path):
    cfg = ScanConfig.from_dict({
        "base": BASE, "chunk_size": 24, "executor": "serial",
        "parameters": {"y1": {"min": 1e-3, "max": 3.0, "n": 8, "scale": "log"},
                       "y2": {"min": 1e-2, "max": 3.0, "n": 6, "scale": "log"}},
        "evaluation": {"observables": None}})
    t = run_scan(cfg, tmp_path / "o", EV).table()
    direct = EV(BASE, {"y1": t["y1"].to_numpy(), "y2": t["y2"].to_numpy()})
    for k in ("verdict", "limit_name", "lab_limit_name", "pair_channel_S1", "pair_channel_R2t13"):
        assert t.schema.field(k).type == pa.string()
        assert t[k].to_pylist() == direct[k].tolist()


def test_a_split_call_is_the_single_call(monkeypatch):
    a = _assignments(50, seed=11)
    monkeypatch.setattr(evaluate, "SUB_BATCH", 10**6)
    one = EV(BASE, a)
    monkeypatch.setattr(evaluate, "SUB_BATCH", 7)
    split = EV(BASE, a)
    assert list(one) == list(split)
    for k in one:
        assert one[k].dtype == split[k].dtype, k
        if k.startswith("dchi2_dy_"):
            # the same numbers up to rounding: the Drell-Yan products stack the kernel nodes a batch uses, so
            # a 7-point batch sums in another order than a 50-point one (1 ulp seen); a scan's chunks and
            # sub-batches are the same for every executor and on resume, so its tables stay identical
            x = one[k]
            scale = np.max(np.abs(x[np.isfinite(x)]), initial=0.0)
            np.testing.assert_allclose(split[k], x, rtol=1e-13, atol=1e-13 * scale, err_msg=k)
        elif one[k].dtype.kind == "f":
            assert np.array_equal(one[k], split[k], equal_nan=True), k
        else:
            assert np.array_equal(one[k], split[k]), k


def _held_on_top(n: int) -> float:
    """tracemalloc peak of one call minus the bytes of the table it returns."""
    a = _assignments(n, seed=5)
    tracemalloc.start()
    try:
        out = EV(BASE, a)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - sum(v.nbytes for v in out.values()), sum(v.nbytes for v in out.values())


def test_a_large_call_holds_its_table_once_plus_one_sub_batch(monkeypatch):
    """Before: the sub-batches' columns were kept in lists and concatenated at the end, so the call held
    the table twice (the memory on top of the table grew like N). Now the temporaries of one sub-batch are
    all it holds on top, whatever N."""
    monkeypatch.setattr(evaluate, "SUB_BATCH", 1000)
    EV(BASE, _assignments(1200))  # warm (detector fits, caches)
    small, table_small = _held_on_top(2000)
    large, table_large = _held_on_top(8000)
    # the old concatenation held the sub-batches' columns on top of the table: its excess grew by the
    # table's growth (table_large - table_small); now it does not grow with N
    assert large - small < 0.3 * (table_large - table_small)
