"""The on-disk cache of the observables package (surrogates, flavio SM covariances, dark-matter-detector fits).

Location: ``$LQMODEL_CACHE_DIR/<sub>`` if the environment variable is set, else
``~/.cache/lqmodel/<sub>``. Each caller builds the full key of an entry (its inputs and the versions/data
that produced it, a JSON-able mapping); the file name is a digest of it, and the key itself is stored
**inside** the entry with a SHA-256 content hash:

* array entries (``.npz``, :func:`load_arrays` / :func:`store_arrays`): the arrays plus ``__key__`` (the
  canonical JSON of the key) and ``__sha256__`` (hash of every array's name, dtype, shape and bytes). Read
  with ``allow_pickle=False``; before any array is read, the zip directory and every ``.npy`` header are
  checked against the expected names, dtypes and shapes (so a hostile header cannot make it allocate);
* JSON entries (:func:`load_json` / :func:`store_json`): ``{"format", "key", "payload", "sha256"}``.

On load, anything that is not exactly a valid entry for the key looked up — missing, truncated, empty,
random bytes, another entry's file, other arrays, wrong shapes, non-finite numbers, a hash mismatch, a file
larger than :data:`MAX_ENTRY_BYTES` — gives ``None`` (the caller rebuilds and overwrites it), with a
``logging`` debug note. Nothing read is ever unpickled or evaluated; the hash detects damage (an attacker
could recompute it, but could then only supply numbers of the right shape, never code).

Writes are atomic (temporary file in the same folder + ``os.replace``; :func:`write_atomic`, from the
package-independent :mod:`_lqio`, as is :func:`cache_dir`) and the file gets the permissions of an ordinary
new file, ``0o666 & ~umask``. If the folder cannot be written (read-only, or not a folder),
:func:`store_arrays` / :func:`store_json` emit one :class:`CacheWriteWarning` (once per process and cache
folder) and keep the entry in this process's memory instead, so a run still computes everything once and gives
the same numbers.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import struct
import warnings
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from _lqio import cache_dir, write_atomic

__all__ = [
    "cache_dir",
    "write_atomic",
    "digest",
    "load_arrays",
    "store_arrays",
    "load_json",
    "store_json",
    "CacheWriteWarning",
    "MAX_ENTRY_BYTES",
]

#: larger entry files are not read (treated as corrupt)
MAX_ENTRY_BYTES = 64 * 2**20
JSON_FORMAT = "lqmodel-cache/1"
_KEY, _HASH = "__key__", "__sha256__"
_MEMORY_ENTRIES = 4096  # entries kept in memory when the cache folder is not writable

_log = logging.getLogger(__name__)
# Fallback store (path -> encoded entry) used only when a write to disk failed. It holds exactly the
# bytes that would have been written and is read through the same verification, so it never changes a
# number; it only avoids recomputing within one process.
_memory: OrderedDict[str, bytes] = OrderedDict()
_warned_roots: set[str] = set()  # cache folders already reported unwritable (warn once per process)


class CacheWriteWarning(UserWarning):
    """The cache folder cannot be written: results are computed and kept in memory for this run only."""


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str, allow_nan=True)


def digest(key: Mapping[str, Any], n: int = 24) -> str:
    """Hex digest (first ``n`` characters of the SHA-256) of the canonical JSON of ``key``: the file name."""
    return hashlib.sha256(_canonical(key).encode()).hexdigest()[:n]


# ------------------------------------------------------------------------------------------ writing
def _store(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, lambda fh: fh.write(data))
    except OSError as exc:
        _memory[str(path)] = data
        _memory.move_to_end(str(path))
        while len(_memory) > _MEMORY_ENTRIES:
            _memory.popitem(last=False)
        root = path.parent.parent
        if str(root) in _warned_roots:
            return
        _warned_roots.add(str(root))
        warnings.warn(
            f"the lqmodel cache folder {root} cannot be written ({exc.strerror or type(exc).__name__}); "
            "results are computed without the disk cache (kept in memory for this run only, so a "
            "first evaluation is slower) — set LQMODEL_CACHE_DIR to a writable folder to keep them",
            CacheWriteWarning,
            stacklevel=3,
        )


def _candidates(path: Path) -> list[tuple[str, bytes]]:
    """The bytes of the entry on disk (if readable) and in memory (if a write to ``path`` failed)."""
    out = []
    try:
        if path.stat().st_size > MAX_ENTRY_BYTES:
            _log.debug("cache entry %s rejected: larger than %d bytes", path, MAX_ENTRY_BYTES)
        else:
            out.append(("disk", path.read_bytes()))
    except FileNotFoundError:
        pass
    except OSError as exc:
        _log.debug("cache entry %s unreadable: %s", path, exc)
    if str(path) in _memory:
        out.append(("memory", _memory[str(path)]))
    return out


def _array_hash(arrays: Mapping[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(_canonical([name, a.dtype.str, list(a.shape)]).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def store_arrays(path: Path, key: Mapping[str, Any], arrays: Mapping[str, Any]) -> None:
    """Write the ``.npz`` entry ``path`` holding ``arrays`` (numbers or strings; never objects) and ``key``."""
    if _KEY in arrays or _HASH in arrays:
        raise ValueError(f"array names {_KEY!r} and {_HASH!r} are reserved")
    out = {name: np.asarray(a) for name, a in arrays.items()}
    for name, a in out.items():
        if a.dtype.kind not in "biufcU":
            raise TypeError(f"cache array {name!r} has dtype {a.dtype}; only numbers and strings are stored")
    out[_KEY] = np.asarray(_canonical(key))
    out[_HASH] = np.asarray(_array_hash(out))
    buf = io.BytesIO()
    np.savez(buf, **out)  # type: ignore[arg-type]  # numpy's stub types **kwds as the allow_pickle flag
    _store(path, buf.getvalue())


def store_json(path: Path, key: Mapping[str, Any], payload: Any) -> None:
    """Write the JSON entry ``path`` holding ``payload`` (JSON-able) and ``key``."""
    normal_key = json.loads(_canonical(key))
    normal = json.loads(_canonical(payload))
    entry = {"format": JSON_FORMAT, "key": normal_key, "payload": normal,
             "sha256": hashlib.sha256(_canonical([normal_key, normal]).encode()).hexdigest()}
    _store(path, json.dumps(entry).encode("utf-8"))


# ------------------------------------------------------------------------------------------ reading
class _Invalid(ValueError):
    pass


# the header numpy writes (numpy.lib.format, versions 1.0 and 2.0): a dict literal with exactly these keys,
# in this order, padded with spaces to a multiple of 64 bytes and ended by a newline
_NPY_HEADER = re.compile(r"\{'descr': '([<>|=][a-zA-Z]\d*)', 'fortran_order': (True|False), "
                         r"'shape': \(((?:\d+, )*(?:\d+,?)?)\), \} *\n")


def _npy_header(fh: IO[bytes], name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, Fortran order, dtype) of the ``.npy`` member open in ``fh``, which is left at its data.

    The header numpy writes is matched as text (a regular expression; its dtype string goes to
    ``numpy.dtype``); anything else is read by numpy's own header reader (``ast.literal_eval``). Neither
    evaluates code. Matching instead of numpy's reader: 0.1 s less for the ~1,700 arrays a map's first
    chunk reads (measured 2026-12-02)."""
    magic = fh.read(8)
    if len(magic) != 8 or magic[:6] != b"\x93NUMPY" or magic[6:] not in (b"\x01\x00", b"\x02\x00"):
        raise _Invalid(f"{name}: not a .npy array of version 1.0 or 2.0")
    size = 2 if magic[6] == 1 else 4
    raw_len = fh.read(size)
    if len(raw_len) != size:
        raise _Invalid(f"{name}: truncated .npy header")
    (hlen,) = struct.unpack("<H" if size == 2 else "<I", raw_len)
    header = fh.read(hlen)
    if len(header) != hlen:
        raise _Invalid(f"{name}: truncated .npy header")
    m = _NPY_HEADER.fullmatch(header.decode("latin1"))
    if m is not None:
        shape = tuple(int(x) for x in m.group(3).split(",") if x.strip())
        return shape, m.group(2) == "True", np.dtype(m.group(1))
    reread = io.BytesIO(magic + raw_len + header)  # another writer's layout: numpy's reader decides
    np.lib.format.read_magic(reread)
    reader = np.lib.format.read_array_header_1_0 if size == 2 else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = reader(reread)
    return tuple(shape), bool(fortran), dtype


def _read_members(data: bytes, expected: Mapping[str, tuple[str, tuple[int | None, ...]]]) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` entry, read in one pass over the zip: names, declared sizes, and each
    member's ``.npy`` header (dtype kind, no objects, shape) are checked before its data are read, and the
    data must have exactly the size the header declares (``numpy.load`` is not used: it would parse the zip a
    second time)."""
    wanted = {**expected, _KEY: ("U", ()), _HASH: ("U", ())}
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        if sorted(names) != sorted(f"{n}.npy" for n in wanted):
            raise _Invalid(f"holds {sorted(names)}, expected the arrays {sorted(wanted)}")
        if sum(i.file_size for i in infos) > MAX_ENTRY_BYTES:
            raise _Invalid("declared sizes too large")
        for info in infos:
            name = info.filename[:-4]
            kind, shape = wanted[name]
            with zf.open(info) as fh:
                got_shape, fortran, dtype = _npy_header(fh, name)
                if dtype.kind != kind or dtype.hasobject:
                    raise _Invalid(f"{name}: dtype {dtype}, expected kind {kind!r}")
                if len(got_shape) != len(shape) or any(
                        s is not None and g != s for g, s in zip(got_shape, shape, strict=True)):
                    raise _Invalid(f"{name}: shape {got_shape}, expected {shape}")
                nbytes = dtype.itemsize * int(np.prod(got_shape, dtype=np.int64))
                if nbytes > info.file_size:
                    raise _Invalid(f"{name}: header declares more data than the member holds")
                raw = fh.read(nbytes + 1)
            if len(raw) != nbytes:
                raise _Invalid(f"{name}: {len(raw)} data bytes, the header declares {nbytes}")
            a = np.frombuffer(raw, dtype=dtype)
            arrays[name] = a.reshape(got_shape[::-1]).T.copy() if fortran else a.reshape(got_shape).copy()
    return arrays


def _decode_arrays(data: bytes, key: Mapping[str, Any],
                   expected: Mapping[str, tuple[str, tuple[int | None, ...]]]) -> dict[str, np.ndarray]:
    arrays = _read_members(data, expected)
    if str(arrays[_KEY]) != _canonical(key):
        raise _Invalid("its stored key is not the key looked up")
    stored_hash = str(arrays.pop(_HASH))
    if stored_hash != _array_hash(arrays):
        raise _Invalid("content hash mismatch")
    del arrays[_KEY]
    for name, a in arrays.items():
        if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
            raise _Invalid(f"{name}: non-finite values")
    return arrays


def load_arrays(path: Path, key: Mapping[str, Any],
                expected: Mapping[str, tuple[str, tuple[int | None, ...]]]) -> dict[str, np.ndarray] | None:
    """The arrays of the ``.npz`` entry ``path`` if it is a valid entry for ``key``, else ``None``.

    ``expected`` maps each array name to ``(dtype kind, shape)``: kind ``"f"`` (float) or ``"U"`` (string),
    shape a tuple whose ``None`` entries are free. The entry must hold exactly these arrays; float arrays
    must be finite.
    """
    for where, data in _candidates(path):
        try:
            return _decode_arrays(data, key, expected)
        except Exception as exc:  # noqa: BLE001 - any damage means: rebuild, never use
            _log.debug("cache entry %s (%s) rejected (%s: %s); rebuilding", path, where, type(exc).__name__, exc)
    return None


def load_json(path: Path, key: Mapping[str, Any]) -> Any | None:
    """The payload of the JSON entry ``path`` if it is a valid entry for ``key``, else ``None``."""
    want_key = json.loads(_canonical(key))
    for where, data in _candidates(path):
        try:
            entry = json.loads(data.decode("utf-8"))
            if not isinstance(entry, dict) or entry.get("format") != JSON_FORMAT:
                raise _Invalid("not a cache entry of this format")
            if entry.get("key") != want_key:
                raise _Invalid("its stored key is not the key looked up")
            payload = entry.get("payload")
            if entry.get("sha256") != hashlib.sha256(_canonical([want_key, payload]).encode()).hexdigest():
                raise _Invalid("content hash mismatch")
            return payload
        except Exception as exc:  # noqa: BLE001 - any damage means: rebuild, never use
            _log.debug("cache entry %s (%s) rejected (%s: %s); rebuilding", path, where, type(exc).__name__, exc)
    return None
