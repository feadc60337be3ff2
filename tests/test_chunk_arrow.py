"""lqmodel.scan.storage._to_arrow: the columns of a chunk file built from their buffers equal what
``pyarrow.array`` builds (the reference), for every kind of column a scan writes and for the cases that go
back to ``pyarrow.array``; a chunk written in a fresh interpreter does not import pandas."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lqmodel.scan.storage import _schema, _to_arrow, chunk_bytes, parquet_options

_RNG = np.random.default_rng(7)
_LABELS = np.array(["allowed", "excluded: R(D*)", "μ_ν above XENONnT", ""], dtype=object)


def _columns():
    n = 1001
    shared = _LABELS[_RNG.integers(0, 4, n)]
    return {
        "float64": _RNG.normal(size=n),
        "float64 with nan and inf": np.where(_RNG.random(n) < 0.2, np.nan, _RNG.normal(size=n)) * np.where(
            _RNG.random(n) < 0.05, np.inf, 1.0),
        "float32": _RNG.normal(size=n).astype(np.float32),
        "int64": np.arange(n, dtype=np.int64) - 500,
        "int32": _RNG.integers(-9, 9, n).astype(np.int32),
        "uint8": _RNG.integers(0, 255, n).astype(np.uint8),
        "bool": _RNG.random(n) < 0.3,
        "bool, 7 rows": np.array([True, False, True, True, False, False, True]),
        "strided float": _RNG.normal(size=2 * n)[::2],
        "strided bool": (_RNG.random(2 * n) < 0.5)[1::2],
        "shared labels": shared,
        "distinct str objects, equal values": np.array(["".join(["al", "lowed"]) for _ in range(50)], dtype=object),
        "unicode array": shared.astype("U"),
        "empty float": np.empty(0),
        "empty labels": np.empty(0, dtype=object),
        # back to pyarrow.array:
        "labels with None": np.array(["a", None, "b"], dtype=object),
        "labels and a number": np.array(["a", 1.5, "b"], dtype=object),
    }


_COLUMNS = _columns()


@pytest.mark.parametrize(("name", "a"), list(_COLUMNS.items()), ids=list(_COLUMNS))
def test_equals_pyarrow_array(name, a):
    typ = pa.string() if a.dtype.kind in "OU" else pa.from_numpy_dtype(a.dtype)
    if name == "labels and a number":
        with pytest.raises(pa.ArrowException):  # pyarrow.array refuses it, and so does the column
            pa.array(a, type=typ)
        with pytest.raises(pa.ArrowException):
            _to_arrow(a, typ)
        return
    ours = _to_arrow(a, typ)
    ours.validate(full=True)
    ref = pa.array(a, type=typ)
    assert ours.type == ref.type and len(ours) == len(ref) and ours.null_count == ref.null_count
    if a.dtype.kind == "f":  # NaN compares unequal in Array.equals: compare the values bit for bit
        assert np.array_equal(np.asarray(ours).view(np.uint8), np.asarray(ref).view(np.uint8))
    else:
        assert ours.equals(ref)


def test_chunk_file_is_the_one_pyarrow_array_gives():
    cols = {k: v for k, v in _COLUMNS.items() if len(v) == 1001 and "strided" not in k}
    cols["point"] = np.arange(1001, dtype=np.int64)
    units = dict.fromkeys(cols, "1")
    meta = {"parameters": ["float64"]}
    schema = _schema(cols, units, meta)
    table = pa.Table.from_arrays([pa.array(v, type=f.type) for v, f in zip(cols.values(), schema, strict=True)],
                                 schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **parquet_options(schema, statistics=True))
    assert chunk_bytes(cols, units, meta) == sink.getvalue().to_pybytes()


def test_a_chunk_written_in_a_fresh_interpreter_does_not_import_pandas(tmp_path):
    script = f"""
import sys
import numpy as np
from lqmodel.scan.storage import write_chunk_temp
labels = np.array(["allowed", "excluded"], dtype=object)
cols = {{"point": np.arange(100), "x": np.linspace(0, 1, 100), "ok": np.arange(100) % 3 == 0,
        "limit_name": labels[np.arange(100) % 2]}}
write_chunk_temp({str(tmp_path)!r}, 0, cols, {{"x": "GeV"}}, {{"parameters": ["x"]}})
print("pandas" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"
