"""observables.cache._npy_header: the .npy headers of the cache entries, read as text, against numpy's own
header reader (numpy.lib.format), and what it does with headers numpy would not write."""
from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from observables.cache import _Invalid, _npy_header

ARRAYS = [np.zeros(()), np.arange(5.0), np.ones((3, 4)), np.asfortranarray(np.ones((3, 4))),
          np.array(["ab", "cde"]), np.zeros((0, 3)), np.zeros((2, 3, 4), dtype=">f4"), np.array([True]),
          np.zeros((70000, 1), dtype=np.int8)]


def _npy(a: np.ndarray, version=None) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a, version=version)
    return buf.getvalue()


@pytest.mark.parametrize("version", [(1, 0), (2, 0)])
@pytest.mark.parametrize("a", ARRAYS, ids=lambda a: f"{a.dtype.str}{a.shape}")
def test_matches_numpys_reader(a, version, monkeypatch):
    raw = _npy(a, version)
    ref = io.BytesIO(raw)
    assert np.lib.format.read_magic(ref) == version
    reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = reader(ref)

    def unused(*args):
        raise AssertionError("numpy's reader used for a header numpy wrote")

    monkeypatch.setattr(np.lib.format, "read_array_header_1_0", unused)
    monkeypatch.setattr(np.lib.format, "read_array_header_2_0", unused)
    fh = io.BytesIO(raw)
    assert _npy_header(fh, "x") == (tuple(shape), fortran, dtype)
    assert fh.tell() == ref.tell()  # left at the data
    assert np.array_equal(np.frombuffer(fh.read(), dtype=dtype).reshape(shape, order="F" if fortran else "C"), a)


def _with_header(text: str) -> bytes:
    body = text.encode("latin1")
    body += b" " * (-(len(body) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body


def test_other_layouts_go_to_numpys_reader_and_code_is_never_run():
    shape, fortran, dtype = _npy_header(io.BytesIO(_with_header("{'shape': (2,), 'fortran_order': False, "
                                                                "'descr': '<f8'}")), "x")
    assert (shape, fortran, dtype) == ((2,), False, np.dtype("<f8"))
    with pytest.raises(ValueError):  # numpy's literal_eval refuses it: nothing is called
        _npy_header(io.BytesIO(_with_header("{'descr': __import__('os').getcwd(), 'fortran_order': False, "
                                            "'shape': (2,)}")), "x")
    with pytest.raises(_Invalid, match=r"not a \.npy"):
        _npy_header(io.BytesIO(b"PK\x03\x04 not numpy"), "x")
    with pytest.raises(_Invalid, match="truncated"):
        _npy_header(io.BytesIO(_npy(np.ones(3))[:20]), "x")
