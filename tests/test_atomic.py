"""lqmodel.atomic: a file appears complete under its final name or not at all."""
from __future__ import annotations

import pytest

from lqmodel.atomic import atomic_path, write_bytes_atomic


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "table.parquet"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.parquet"]


def test_successful_write_replaces(tmp_path):
    target = tmp_path / "manifest.json"
    write_bytes_atomic(target, b"{}\n")
    write_bytes_atomic(target, b'{"a": 1}\n')
    assert target.read_bytes() == b'{"a": 1}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]
