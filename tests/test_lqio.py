"""_lqio, the one implementation of atomic output and cache locations under loops, observables and lqmodel."""
from __future__ import annotations

import os
import stat

import pytest

import _lqio


def test_one_implementation_behind_every_public_name():
    from loops import cache as loops_cache
    from lqmodel import atomic
    from observables import cache as obs_cache

    assert atomic.atomic_path is _lqio.atomic_path and atomic.write_bytes_atomic is _lqio.write_bytes_atomic
    assert atomic.temp_name_pattern is _lqio.temp_name_pattern
    assert obs_cache.write_atomic is _lqio.write_atomic and obs_cache.cache_dir is _lqio.cache_dir
    assert loops_cache.write_atomic is _lqio.write_atomic


def test_cache_location_follows_the_environment(tmp_path, monkeypatch):
    from loops import cache as loops_cache
    from observables.surrogate import cache_dir as surrogate_dir

    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path / "c"))
    assert _lqio.cache_dir("x") == tmp_path / "c" / "x"
    assert loops_cache.cache_dir() == tmp_path / "c" / "loops" and surrogate_dir() == tmp_path / "c" / "surrogates"
    assert not (tmp_path / "c").exists()  # never created by asking
    monkeypatch.setenv("LQMODEL_CACHE_DIR", "")  # empty = unset
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _lqio.cache_root() == tmp_path / "home" / ".cache" / "lqmodel"


def test_cache_writer_creates_its_folder_user_output_does_not(tmp_path):
    _lqio.write_atomic(tmp_path / "a" / "b" / "e.bin", lambda fh: fh.write(b"x"))
    assert (tmp_path / "a" / "b" / "e.bin").read_bytes() == b"x"
    with pytest.raises(FileNotFoundError):
        _lqio.write_bytes_atomic(tmp_path / "missing" / "point.yaml", b"x")
    assert not (tmp_path / "missing").exists()


def test_failing_writer_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "entry.json"
    target.write_bytes(b"old")

    def half(fh):
        fh.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        _lqio.write_atomic(target, half)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.json"]
    assert not list(tmp_path.glob(_lqio.temp_name_pattern("entry.json")))


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o077, 0o600)])
def test_new_files_get_the_umask_mode(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        _lqio.write_bytes_atomic(tmp_path / "p.yaml", b"x")
        with _lqio.atomic_path(tmp_path / "t.parquet") as tmp, open(tmp, "wb") as fh:
            fh.write(b"y")
    finally:
        os.umask(old)
    for name in ("p.yaml", "t.parquet"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode
