"""On-disk cache of symbolic derivations (sympy expressions stored as ``srepr`` JSON).

Location: ``$LQMODEL_CACHE_DIR/loops`` if the environment variable is set, else ``~/.cache/lqmodel/loops``.
The key hashes the derivation's name, its inputs (``repr``), :data:`DERIVATION_VERSION` and the sympy
version, so a change of any of them re-derives. Writes are atomic (temporary file + ``os.replace``);
a corrupt or unreadable entry is ignored and re-derived.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "cached_derivation", "DERIVATION_VERSION"]

#: bump when any derivation in loops changes its result
DERIVATION_VERSION = "loops-1"


def cache_dir() -> Path:
    """Directory of the derivation cache (created on first write)."""
    base = os.environ.get("LQMODEL_CACHE_DIR")
    root = Path(base) if base else Path.home() / ".cache" / "lqmodel"
    return root / "loops"


def _key(name: str, inputs: Any) -> str:
    import sympy

    text = json.dumps([name, repr(inputs), DERIVATION_VERSION, sympy.__version__])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cached_derivation(name: str, inputs: Any, derive: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Return ``derive()`` (a dict of sympy expressions), from the disk cache when possible.

    ``inputs`` must have a deterministic ``repr`` that fully identifies the derivation.
    """
    import sympy

    path = cache_dir() / f"{name}-{_key(name, inputs)}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {k: sympy.sympify(v) if isinstance(v, str) else v for k, v in raw["result"].items()}
    except (OSError, ValueError, KeyError, TypeError, SyntaxError, sympy.SympifyError):
        pass
    result = derive()
    payload = {
        "name": name,
        "inputs": repr(inputs),
        "version": DERIVATION_VERSION,
        "sympy": sympy.__version__,
        "result": {k: sympy.srepr(v) for k, v in result.items()},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh)
        os.replace(tmp, path)
    except OSError:  # read-only cache location: derivations still work, just uncached
        pass
    return result
