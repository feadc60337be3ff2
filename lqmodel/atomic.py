"""Atomic file output: a file appears complete under its final name or not at all.

Used by point files, WCxf exports and the scan's Parquet chunks, table and manifest (an interrupted write
must never leave a file that a resumed scan or a reader would take for a finished one). New files get
``0o666 & ~umask``. The implementation is the package-independent :mod:`_lqio` (shared with the caches of
:mod:`loops` and :mod:`observables`); this module is its public name inside ``lqmodel``.
"""
from __future__ import annotations

from _lqio import atomic_path, temp_name_pattern, write_bytes_atomic

__all__ = ["atomic_path", "write_bytes_atomic", "temp_name_pattern"]
