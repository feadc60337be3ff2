"""lqmodel.scan.parquet_footer: Parquet files concatenated by copying row groups and writing one footer.

Checked against pyarrow itself: the footer codec reproduces pyarrow's footers byte for byte, and the
concatenation of files equals byte for byte the file pyarrow's ParquetWriter writes from the same tables
with the same options; pyarrow reads it back to the same table, and its statistics filter row groups.
"""
from __future__ import annotations

import struct

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lqmodel.scan.parquet_footer import (
    FooterError,
    concatenated_footer,
    decode_struct,
    encode_struct,
    split_parquet,
)
from lqmodel.scan.storage import _schema, parquet_options, tables_identical


def _table(start: int, n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    labels = np.array(["allowed", "excluded: R(D*)", "excluded: LHC"], dtype=object)
    cols = {
        "point": np.arange(start, start + n, dtype=np.int64),
        "y2": rng.uniform(-3, 3, n),
        "chi2": np.where(rng.random(n) < 0.1, np.nan, rng.exponential(3.0, n)),
        "n_sigma": rng.integers(-5, 5, n).astype(np.int32),
        "allowed": rng.random(n) < 0.5,
        "verdict": labels[rng.integers(0, 3, n)],
    }
    schema = _schema(cols, {"y2": "1", "chi2": "1", "n_sigma": "1"}, {"parameters": ["y2"], "fingerprint": "f"})
    return pa.Table.from_arrays([pa.array(v, type=f.type) for v, f in zip(cols.values(), schema, strict=True)],
                                schema=schema)


def _file(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **parquet_options(table.schema, statistics=True))
    return sink.getvalue().to_pybytes()


def _concatenate(files: list[bytes]) -> bytes:
    out = bytearray(b"PAR1")
    starts, footers = [], []
    for data in files:
        parts = split_parquet(data)
        starts.append(len(out))
        out += parts.body
        footers.append(parts.footer)
    footer = concatenated_footer(footers, starts)
    return bytes(out + footer + struct.pack("<I", len(footer)) + b"PAR1")


def test_compact_protocol_known_bytes():
    """Hand-encoded per the Thrift compact-protocol spec: field 1 i32 -1 -> 0x15 0x01 (delta 1, type 5,
    zigzag(-1) = 1); field 2 true -> 0x11; field 20 i64 300 -> 0x06, zigzag(20) = 0x28, zigzag(300) = 600 =
    0xd8 0x04; field 21 binary "ab" -> 0x18 0x02 'a' 'b'; stop 0x00."""
    data = bytes([0x15, 0x01, 0x11, 0x06, 0x28, 0xD8, 0x04, 0x18, 0x02, 0x61, 0x62, 0x00])
    fields = decode_struct(data)
    assert fields == [(1, 5, -1), (2, 1, True), (20, 6, 300), (21, 8, b"ab")]
    assert encode_struct(fields) == data


def test_compact_protocol_round_trip_of_edge_cases():
    long_list = (6, [-(2**62), -1, 0, 1, 2**62] * 4)  # 20 elements: the size goes into a varint
    nested = [(1, 12, [(3, 2, False), (200, 4, -300)]), (2, 9, long_list), (3, 9, (1, [1, 2, 1])),
              (4, 7, struct.pack("<d", -2.5)), (5, 3, 255), (6, 9, (8, []))]
    data = encode_struct(nested)
    assert decode_struct(data) == nested


@pytest.mark.parametrize("sizes", [(1000, 1000, 17), (1,), (5000, 3, 1)])
def test_footer_round_trip_and_concatenation_equal_pyarrow_bytes(sizes):
    tables, start = [], 0
    for k, n in enumerate(sizes):
        tables.append(_table(start, n, seed=k))
        start += n
    files = [_file(t) for t in tables]
    for data in files:  # the codec reproduces pyarrow's footer exactly
        (n,) = struct.unpack("<I", data[-8:-4])
        assert encode_struct(split_parquet(data).footer) == data[-8 - n:-8]
    sink = pa.BufferOutputStream()
    schema = tables[0].schema
    with pq.ParquetWriter(sink, schema, **parquet_options(schema, statistics=True)) as writer:
        for t in tables:
            writer.write_table(t)
    reference = sink.getvalue().to_pybytes()
    joined = _concatenate(files)
    assert joined == reference
    back = pq.read_table(pa.BufferReader(joined))
    assert tables_identical(back, pa.concat_tables(tables))
    meta = pq.ParquetFile(pa.BufferReader(joined)).metadata
    assert meta.num_row_groups == len(sizes) and meta.num_rows == sum(sizes)


def test_statistics_of_concatenated_file_filter_row_groups():
    tables = [_table(0, 100, 1), _table(100, 100, 2), _table(200, 50, 3)]
    joined = _concatenate([_file(t) for t in tables])
    meta = pq.ParquetFile(pa.BufferReader(joined)).metadata
    assert [(meta.row_group(k).column(0).statistics.min, meta.row_group(k).column(0).statistics.max)
            for k in range(3)] == [(0, 99), (100, 199), (200, 249)]
    got = pq.read_table(pa.BufferReader(joined), filters=[("point", ">=", 190)])
    assert got.column("point").to_pylist() == list(range(190, 250))


def test_refuses_what_it_cannot_concatenate():
    good = _file(_table(0, 10, 0))
    with pytest.raises(FooterError, match="not a Parquet file"):
        split_parquet(b"hello world, not parquet")
    with pytest.raises(FooterError, match="encrypted"):
        split_parquet(good[:-4] + b"PARE")
    with pytest.raises(FooterError, match="points before"):
        split_parquet(good[:-8] + struct.pack("<I", len(good)) + b"PAR1")
    with pytest.raises(FooterError):
        split_parquet(good[:4] + good[-8:])  # footer cut away
    other = _table(10, 10, 1).rename_columns(["point", "y1", "chi2", "n_sigma", "allowed", "verdict"])
    a, b = split_parquet(good), split_parquet(_file(other))
    with pytest.raises(FooterError, match="another schema"):
        concatenated_footer([a.footer, b.footer], [4, 4 + len(a.body)])


# ---- the scan's combined table ------------------------------------------------------------------------
def ratio(base, a):
    """A toy evaluator: y1 / m_LQ^2 [GeV^-2] and a string label per point."""
    f = np.asarray(a["y1"]) / np.asarray(a["m_LQ"]) ** 2
    return {"f_GeVm2": f, "label": np.where(f > 1e-7, "big", "small").astype(object)}


ratio.units = {"f_GeVm2": "GeV^-2", "label": ""}

_SCAN = {"base": {"model": "voloshin", "m_S1": 1000.0, "m_R2": 1000.0, "y1": 0.1, "y2": 0.5, "lepton": "mu"},
         "parameters": {"y1": {"min": 0.01, "max": 1.0, "n": 7, "scale": "log"},
                        "m_LQ": {"min": 500.0, "max": 3000.0, "n": 5}},
         "chunk_size": 4, "executor": "serial"}


def test_scan_table_is_the_file_the_decoding_combine_writes(tmp_path, monkeypatch):
    """map.parquet built by copying row groups is byte for byte the file of the decoding path (pyarrow's
    ParquetWriter on the decoded chunks), which the combiner falls back to when a chunk's footer is one it
    does not handle (forced here from the fourth chunk on)."""
    import lqmodel.scan.parquet_footer as pf
    from lqmodel.scan import run_scan

    copied = run_scan(_SCAN, tmp_path / "copy", ratio).table_path.read_bytes()
    real, calls = pf.split_parquet, []

    def refuse_late(data):
        calls.append(1)
        if len(calls) > 3:
            raise FooterError("refused by the test")
        return real(data)

    monkeypatch.setattr(pf, "split_parquet", refuse_late)
    decoded = run_scan(_SCAN, tmp_path / "decode", ratio).table_path.read_bytes()
    assert len(calls) == 4  # three chunks copied, the fourth refused: from then on every chunk is decoded
    assert copied == decoded
    table = pq.read_table(pa.BufferReader(copied))
    assert table.column("point").to_pylist() == list(range(35))
    y1 = np.repeat(np.logspace(-2, 0, 7), 5)
    m = np.tile(np.linspace(500.0, 3000.0, 5), 7)
    np.testing.assert_allclose(table.column("f_GeVm2").to_numpy(), y1 / m**2, rtol=1e-15)


def test_copy_without_copy_file_range_gives_the_same_table(tmp_path, monkeypatch):
    """Where the kernel copy is refused (another file system, not Linux), the bytes are written instead."""
    import errno
    import os

    from lqmodel.scan import run_scan

    copied = run_scan(_SCAN, tmp_path / "kernel", ratio).table_path.read_bytes()

    def refuse(*args, **kwargs):
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    written = run_scan(_SCAN, tmp_path / "write", ratio).table_path.read_bytes()
    assert copied == written
    monkeypatch.delattr(os, "copy_file_range", raising=False)
    assert run_scan(_SCAN, tmp_path / "none", ratio).table_path.read_bytes() == copied


def test_a_chunk_that_changes_while_it_is_combined_is_refused(tmp_path):
    from lqmodel.errors import ScanFolderError
    from lqmodel.scan.storage import _mapped

    path = tmp_path / "chunk.parquet"
    path.write_bytes(_file(_table(0, 10, 0)))
    with pytest.raises(ScanFolderError, match="changed while it was read"), _mapped(path) as (data, _):
        assert bytes(data[:4]) == b"PAR1"
        with open(path, "ab") as fh:
            fh.write(b"more")


def test_chunks_written_without_statistics_join_the_same_table(tmp_path):
    """A scan resumed from chunks of an earlier version (written without min/max statistics) mixes row groups
    with and without statistics: the values are those of an uninterrupted run."""
    import hashlib
    import json

    from lqmodel.scan import run_scan

    whole = run_scan(_SCAN, tmp_path / "a", ratio).table()
    folder = tmp_path / "a"
    (folder / "map.parquet").unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    for i in (0, 3):  # rewrite two chunks as the earlier version did
        path = folder / "chunks" / f"chunk-{i:06d}.parquet"
        t = pq.read_table(path)
        sink = pa.BufferOutputStream()
        pq.write_table(t, sink, **parquet_options(t.schema, statistics=False))
        data = sink.getvalue().to_pybytes()
        path.write_bytes(data)
        manifest["chunks"][str(i)]["sha256"] = hashlib.sha256(data).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    resumed = run_scan(_SCAN, folder, ratio)
    assert resumed.computed_chunks == 0 and resumed.skipped_chunks == 9
    meta = pq.ParquetFile(resumed.table_path).metadata
    assert meta.row_group(0).column(0).statistics is None and meta.row_group(1).column(0).statistics is not None
    assert tables_identical(resumed.table(), whole)


def test_files_of_several_row_groups_concatenate_like_pyarrow():
    """Row groups are renumbered (ordinal) across files that each hold several."""
    tables = [_table(0, 1000, 1), _table(1000, 700, 2)]
    files = []
    for t in tables:
        sink = pa.BufferOutputStream()
        pq.write_table(t, sink, row_group_size=300, **parquet_options(t.schema, statistics=True))
        files.append(sink.getvalue().to_pybytes())
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, tables[0].schema, **parquet_options(tables[0].schema, statistics=True)) as w:
        for t in tables:
            w.write_table(t, row_group_size=300)
    joined = _concatenate(files)
    assert joined == sink.getvalue().to_pybytes()
    assert pq.ParquetFile(pa.BufferReader(joined)).metadata.num_row_groups == 4 + 3


def test_malformed_footers_are_refused_not_crashed_on():
    good = _file(_table(0, 10, 0))
    (n,) = struct.unpack("<I", good[-8:-4])
    footer = good[-8 - n:-8]
    for cut in (1, 7, len(footer) // 2, len(footer) - 1):
        with pytest.raises(FooterError):
            decode_struct(footer[:cut])
    with pytest.raises(FooterError):
        decode_struct(bytes([0x1C]) * 5000)  # structs nested in structs, never closed


def test_encrypted_column_chunks_are_refused_when_split():
    data = _file(_table(0, 10, 0))
    (n,) = struct.unpack("<I", data[-8:-4])
    footer = decode_struct(data[-8 - n:-8])
    marked = []
    for fid, typ, v in footer:  # give the first column chunk a crypto_metadata field (8), as encryption does
        if fid == 4:
            rg = v[1][0]
            rg = [(f, t, (c[0], [c[1][0] + [(8, 12, [])], *c[1][1:]])) if f == 1 else (f, t, c) for f, t, c in rg]
            v = (v[0], [rg, *v[1][1:]])
        marked.append((fid, typ, v))
    new = encode_struct(marked)
    with pytest.raises(FooterError, match="encrypted"):
        split_parquet(data[:-8 - n] + new + struct.pack("<I", len(new)) + b"PAR1")
