"""On-disk cache of symbolic derivations (sympy expressions stored as JSON trees, never evaluated).

Location: ``$LQMODEL_CACHE_DIR/loops`` if the environment variable is set, else ``~/.cache/lqmodel/loops``.

Each entry is one JSON file ``<name>-<digest>.json`` holding

* ``key``: the derivation's name, its inputs (``repr``), :data:`DERIVATION_VERSION` and the sympy version
  (the file name is a digest of it, so a change of any of them re-derives);
* ``result``: each expression as a :mod:`loops.expr_tree` tree (read back by a parser that builds only
  allow-listed sympy nodes; nothing read from disk is ever passed to ``sympify``/``eval``);
* ``sha256``: the SHA-256 of the canonical JSON of ``key`` and ``result``.

On load the stored key must equal the expected one, the hash must match and every tree must parse; an entry
failing any check (altered, truncated, swapped with another entry, written by another version, too large)
is re-derived and overwritten, with a ``logging`` debug note. The hash detects damage, not an attacker (who
can recompute it): safety against a hostile file comes from the parser, which cannot run code.

Writes are atomic (temporary file + ``os.replace``, by the package-independent :mod:`_lqio`, which also
gives the location) and the file gets the permissions of an ordinary new file (``0o666 & ~umask``). If the cache
folder cannot be written, derivations still work, uncached.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _lqio import cache_dir as _cache_dir
from _lqio import write_atomic

from .expr_tree import UnsupportedExpressionError, from_tree, to_tree

__all__ = ["cache_dir", "cached_derivation", "DERIVATION_VERSION", "ENTRY_FORMAT", "MAX_ENTRY_BYTES"]

#: bump when any derivation in loops changes its result
DERIVATION_VERSION = "loops-2"
#: ``format`` field of an entry
ENTRY_FORMAT = "lqmodel-derivation/2"
#: larger entry files are not read (treated as corrupt)
MAX_ENTRY_BYTES = 16 * 2**20

_log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """Directory of the derivation cache (created on first write)."""
    return _cache_dir("loops")


def _full_key(name: str, inputs: Any) -> dict[str, str]:
    import sympy

    return {"name": name, "inputs": repr(inputs), "version": DERIVATION_VERSION, "sympy": sympy.__version__}


def _digest(key: dict[str, str]) -> str:
    text = json.dumps([key["name"], key["inputs"], key["version"], key["sympy"]])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _content_hash(key: dict[str, str], result: dict[str, Any]) -> str:
    canonical = json.dumps({"key": key, "result": result}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _load(path: Path, key: dict[str, str]) -> dict[str, Any] | None:
    """The verified entry at ``path``, or None (with the reason logged) if it is missing or fails a check."""
    try:
        if path.stat().st_size > MAX_ENTRY_BYTES:
            raise ValueError(f"larger than {MAX_ENTRY_BYTES} bytes")
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or raw.get("format") != ENTRY_FORMAT:
            raise ValueError("not a derivation-cache entry of this format")
        if raw.get("key") != key:
            raise ValueError("its stored key is not the key looked up")
        result = raw.get("result")
        if not isinstance(result, dict) or raw.get("sha256") != _content_hash(key, result):
            raise ValueError("content hash mismatch")
        return {k: from_tree(v) for k, v in result.items()}
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - any damage means: re-derive, never use
        _log.debug("derivation cache entry %s rejected (%s: %s); re-deriving", path, type(exc).__name__, exc)
        return None


def cached_derivation(name: str, inputs: Any, derive: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Return ``derive()`` (a dict of sympy expressions), from the disk cache when possible.

    ``inputs`` must have a deterministic ``repr`` that fully identifies the derivation. Results containing
    nodes :mod:`loops.expr_tree` cannot store are returned but not cached.
    """
    key = _full_key(name, inputs)
    path = cache_dir() / f"{name}-{_digest(key)}.json"
    hit = _load(path, key)
    if hit is not None:
        return hit
    result = derive()
    try:
        trees = {k: to_tree(v) for k, v in result.items()}
    except UnsupportedExpressionError as exc:
        _log.debug("derivation %s not cached: %s", name, exc)
        return result
    payload = {"format": ENTRY_FORMAT, "key": key, "result": trees, "sha256": _content_hash(key, trees)}
    try:
        write_atomic(path, lambda fh: fh.write(json.dumps(payload).encode("utf-8")))
    except OSError as exc:  # read-only cache location: derivations still work, just uncached
        _log.debug("derivation cache not writable (%s); %s not cached", exc, name)
    return result
