"""Atomic file output: a file appears complete under its final name or not at all.

Used by point files, WCxf exports and the scan's Parquet chunks, table and manifest (an interrupted write
must never leave a file that a resumed scan or a reader would take for a finished one).
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "write_bytes_atomic", "temp_name_pattern"]


def temp_name_pattern(name: str) -> str:
    """Glob pattern of the temporary files :func:`atomic_path` creates for a target called ``name``
    (left behind only if the process was killed; safe to delete when no writer runs)."""
    return f".{name}.*.tmp"


def _create_temp(folder: Path, name: str) -> str:
    """Create an empty temporary file next to the target with the permissions any new file gets
    (0o666 minus the umask, as ``open()`` does; ``tempfile.mkstemp`` would make it owner-only 0600)."""
    for _ in range(100):
        tmp = folder / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
        os.close(fd)
        return str(tmp)
    raise FileExistsError(f"cannot create a temporary file for {name!r} in {str(folder)!r}")  # pragma: no cover


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """Yield a temporary path in the folder of ``path``; on normal exit rename it to ``path``, on any
    exception (KeyboardInterrupt included) remove it and re-raise. The file gets the usual permissions
    (0o666 minus the umask)."""
    target = Path(path)
    tmp = _create_temp(target.parent, target.name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
