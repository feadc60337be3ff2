"""On-disk layout of a scan: resumable Parquet chunks, the configuration and a manifest.

Output folder::

    DIR/config.yaml              the full scan configuration (defaults filled in) + its fingerprint
    DIR/manifest.json            fingerprint, package versions, columns with units, chunk counts, status
    DIR/chunks/chunk-000000.parquet ...   one file per completed chunk (written to a temp file, then
                                          os.replace'd: a partially written chunk never counts)
    DIR/map.parquet              all chunks concatenated in point order (written when the scan completes)

Every Parquet file has one row per point and units in its schema: each field carries the metadata
``{"unit": ...}`` ("1" = dimensionless number, "" = no unit: flags, labels, the point index) and the schema metadata key ``lqmodel`` holds a JSON object
``{"units": {column: unit}, "fingerprint": ..., "parameters": [...]}``.
"""
from __future__ import annotations

import json
import platform
import re
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from lqmodel.atomic import atomic_path, write_bytes_atomic
from lqmodel.errors import ScanFolderError

__all__ = ["ScanStore", "ScanMismatchError", "package_versions", "read_units", "load_table", "tables_identical"]

_CHUNK_RE = re.compile(r"^chunk-(\d{6,})\.parquet$")
_VERSIONED = ("lqmodel", "numpy", "scipy", "pyarrow", "flavio", "wilson", "sympy", "mpmath")


class ScanMismatchError(ScanFolderError):
    """The output folder holds a different scan; refuse to mix the two."""


def package_versions() -> dict[str, str]:
    """Versions of the packages that determine a scan's numbers (and Python's)."""
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _schema(columns: Mapping[str, np.ndarray], units: Mapping[str, str], extra_meta: Mapping[str, Any]):
    import pyarrow as pa

    fields = []
    for name, arr in columns.items():
        fields.append(pa.field(name, pa.from_numpy_dtype(arr.dtype), metadata={"unit": units.get(name, "")}))
    meta = {"lqmodel": json.dumps({"units": {k: units.get(k, "") for k in columns}, **extra_meta}, sort_keys=True)}
    return pa.schema(fields, metadata=meta)


def read_units(path: str | Path) -> dict[str, str]:
    """Column -> unit of a scan Parquet file (from its schema metadata)."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    return json.loads(schema.metadata[b"lqmodel"])["units"]


def load_table(out_dir: str | Path):
    """The combined table of a completed scan (``DIR/map.parquet``) as a pyarrow Table."""
    import pyarrow.parquet as pq

    path = Path(out_dir) / "map.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{str(path)!r} does not exist: the scan in {str(out_dir)!r} has not completed")
    return pq.read_table(path)


def tables_identical(a, b) -> bool:
    """True if two pyarrow Tables have the same schema (with metadata, i.e. units) and the same values,
    NaN counting as equal to NaN (pyarrow's ``Table.equals`` treats NaN != NaN, so a table with a NaN
    column — e.g. a chi2 of an observable without a measurement — is not ``equals`` to itself).

    >>> import pyarrow as pa
    >>> t = pa.table({"x": [1.0, float("nan")]})
    >>> t.equals(t), tables_identical(t, t)
    (False, True)
    """
    if not a.schema.equals(b.schema, check_metadata=True) or a.num_rows != b.num_rows:
        return False
    for name in a.column_names:
        x, y = a[name].to_numpy(zero_copy_only=False), b[name].to_numpy(zero_copy_only=False)
        if x.dtype.kind in "fc":
            if not np.array_equal(x, y, equal_nan=True):
                return False
        elif not np.array_equal(x, y):
            return False
    return True


class ScanStore:
    """The output folder of one scan."""

    def __init__(self, out_dir: str | Path):
        self.dir = Path(out_dir)
        self.chunk_dir = self.dir / "chunks"
        self.config_path = self.dir / "config.yaml"
        self.manifest_path = self.dir / "manifest.json"
        self.table_path = self.dir / "map.parquet"

    # ---- configuration ------------------------------------------------------------------------
    def open(self, config_dict: dict, fingerprint: str, versions: dict[str, str]) -> None:
        """Create the folder for this scan, or check that it already holds the same scan.

        Raises :class:`ScanMismatchError` if the folder holds a scan with another fingerprint (other
        base point, parameters, sampling, seed, chunking or evaluator) or made with other package
        versions."""
        import yaml

        if self.dir.exists() and not self.dir.is_dir():
            raise ScanMismatchError(f"output path {str(self.dir)!r} exists and is not a folder")
        if self.manifest_path.exists():
            old = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            if old.get("fingerprint") != fingerprint:
                raise ScanMismatchError(
                    f"{str(self.dir)!r} holds a different scan (config fingerprint {str(old.get('fingerprint'))[:12]} "
                    f"!= {fingerprint[:12]}); use a new --out folder or delete the old one"
                )
            if old.get("versions") != versions:
                diff = sorted(k for k in set(versions) | set(old.get("versions", {}))
                              if versions.get(k) != old.get("versions", {}).get(k))
                raise ScanMismatchError(
                    f"{str(self.dir)!r} was started with other package versions ({', '.join(diff)}); "
                    f"resuming would mix them: use a new --out folder"
                )
            return
        if self.dir.exists() and any(self.dir.iterdir()):
            raise ScanMismatchError(
                f"{str(self.dir)!r} is not empty and holds no scan manifest; use a new or empty --out folder"
            )
        self.chunk_dir.mkdir(parents=True, exist_ok=True)
        header = "# lqmodel scan configuration (full, defaults filled in); fingerprint " + fingerprint + "\n"
        write_bytes_atomic(
            self.config_path, (header + yaml.safe_dump(config_dict, sort_keys=False)).encode("utf-8")
        )
        self.write_manifest({"fingerprint": fingerprint, "versions": versions, "status": "running"})

    def write_manifest(self, updates: dict) -> None:
        data = {}
        if self.manifest_path.exists():
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        data.update(updates)
        write_bytes_atomic(self.manifest_path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())

    def manifest(self) -> dict:
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    # ---- chunks -------------------------------------------------------------------------------
    def chunk_path(self, i: int) -> Path:
        return self.chunk_dir / f"chunk-{i:06d}.parquet"

    def completed_chunks(self) -> set[int]:
        """Indices of chunks whose files exist (complete by construction). Left-over temp files of an
        interrupted write are removed."""
        done: set[int] = set()
        if not self.chunk_dir.exists():
            return done
        for p in self.chunk_dir.iterdir():
            m = _CHUNK_RE.match(p.name)
            if m:
                done.add(int(m.group(1)))
            elif p.name.endswith(".tmp"):
                p.unlink(missing_ok=True)
        return done

    def write_chunk(self, i: int, columns: Mapping[str, np.ndarray], units: Mapping[str, str],
                    extra_meta: Mapping[str, Any]) -> None:
        """Write chunk ``i`` atomically (temp file in the same folder, then os.replace)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = _schema(columns, units, extra_meta)
        table = pa.Table.from_arrays([pa.array(np.asarray(v)) for v in columns.values()], schema=schema)
        path = self.chunk_path(i)
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)

    def combine(self, n_chunks: int) -> Path:
        """Concatenate chunks 0..n_chunks-1 in order into ``map.parquet`` (streamed, atomic)."""
        import pyarrow.parquet as pq

        missing = [i for i in range(n_chunks) if not self.chunk_path(i).exists()]
        if missing:
            raise FileNotFoundError(f"cannot combine: chunk {missing[0]} of {n_chunks} is missing")
        schema = pq.read_schema(self.chunk_path(0))
        with atomic_path(self.table_path) as tmp, pq.ParquetWriter(tmp, schema) as writer:
            for i in range(n_chunks):
                t = pq.read_table(self.chunk_path(i))
                if not t.schema.equals(schema, check_metadata=True):
                    raise ValueError(f"chunk {i} has another schema than chunk 0: {t.schema} vs {schema}")
                writer.write_table(t)
        return self.table_path
