"""The on-disk cache of the observables package (surrogates, flavio SM covariances, moment fits).

Location: ``$LQMODEL_CACHE_DIR/<sub>`` if the environment variable is set, else
``~/.cache/lqmodel/<sub>``. Entries are keyed by their inputs and the versions/data that produced them
(each caller builds its key); writes are atomic, so an interrupted write never leaves a half file.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["cache_dir", "write_atomic"]


def cache_dir(sub: str) -> Path:
    """Folder ``sub`` of the cache (not created here)."""
    root = os.environ.get("LQMODEL_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "lqmodel")
    return Path(root) / sub


def write_atomic(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Create ``path`` by calling ``write(fh)`` on a temporary file in the same folder, then renaming it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
