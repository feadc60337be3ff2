"""_lqio — the one low-level module for atomic file output and cache locations (internal).

It sits *below* the three packages: ``loops``, ``observables`` and ``lqmodel`` may all import it, and it
imports nothing but the standard library (tests/test_architecture.py checks both), so the layering
(loops imports nothing of ours, observables neither loops nor lqmodel) holds while the code exists once.
Public homes of these functions stay where users and the other modules import them:
:mod:`lqmodel.atomic` (point files, WCxf exports, scan chunks), :mod:`observables.cache` (surrogates, SM
covariances, dd-fits) and :mod:`loops.cache` (derivations).

Atomic output: a file appears complete under its final name or not at all. The data go to a temporary file
``.<name>.<12 hex>.tmp`` in the target's folder, which is renamed onto the target (``os.replace``) on
success and removed on any exception (``KeyboardInterrupt`` included). The temporary file is created by
``os.open(..., 0o666)``, so the kernel gives it ``0o666 & ~umask`` like any file ``open()`` creates
(``tempfile.mkstemp`` would make it owner-only ``0o600``); ``os.replace`` keeps that mode.

Cache location: ``$LQMODEL_CACHE_DIR/<sub>`` if the environment variable is set (and not empty), else
``~/.cache/lqmodel/<sub>``; read at every call (never cached in a global), created only by a write.

>>> import os, tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     write_bytes_atomic(os.path.join(d, "a.txt"), b"x")
...     sorted(os.listdir(d))
['a.txt']
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["cache_root", "cache_dir", "temp_name_pattern", "atomic_path", "write_atomic", "write_bytes_atomic"]

#: environment variable naming the cache root
CACHE_ENV = "LQMODEL_CACHE_DIR"


def cache_root() -> Path:
    """Root of the on-disk caches: ``$LQMODEL_CACHE_DIR`` if set and not empty, else ``~/.cache/lqmodel``."""
    root = os.environ.get(CACHE_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "lqmodel")
    return Path(root)


def cache_dir(sub: str) -> Path:
    """Folder ``sub`` of the cache root (not created here)."""
    return cache_root() / sub


def temp_name_pattern(name: str) -> str:
    """Glob pattern of the temporary files created for a target called ``name`` (left behind only if the
    process was killed; safe to delete when no writer runs)."""
    return f".{name}.*.tmp"


def _create_temp(target: Path) -> tuple[int, str]:
    """Open a new temporary file next to ``target`` with mode ``0o666`` filtered by the umask (by the
    kernel, as ``open()`` does). Returns ``(fd, name)``."""
    for _ in range(100):
        tmp = str(target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
    raise FileExistsError(  # pragma: no cover
        f"cannot create a temporary file for {target.name!r} in {str(target.parent)!r}"
    )


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """Yield the name of a new, empty temporary file in the folder of ``path`` (which must exist); on
    normal exit rename it to ``path``, on any exception remove it and re-raise. For writers that want a
    file name (pyarrow, json dumps through ``open``)."""
    target = Path(path)
    fd, tmp = _create_temp(target)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomic(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> None:
    """Create ``path`` by calling ``write(fh)`` on a binary temporary file in the same folder, then renaming
    it. The folder is created if missing (cache entries). Raises ``OSError`` if it cannot be created or
    written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(target)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (the folder must exist: user-facing output is never written
    into a folder the user did not make)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
