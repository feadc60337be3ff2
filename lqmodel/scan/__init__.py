"""Coupling-map scans: configurations, samplers, the chunked parallel runner and its Parquet storage.

Usage::

    from lqmodel.scan import ScanConfig, run_scan
    result = run_scan(ScanConfig.from_dict(cfg), "out/", evaluator)   # table: out/map.parquet

See :mod:`lqmodel.scan.config` for the configuration format and :mod:`lqmodel.scan.runner` for the
evaluator protocol. Importing this package is light (numpy only); pyarrow, scipy, tqdm and dask are
imported when a scan runs.
"""
from .config import ParameterRange, ScanConfig, ScanConfigError, load_config, parameter_unit
from .runner import ScanResult, run_scan
from .samplers import Sampler
from .storage import ScanMismatchError, load_table, read_units, tables_identical

__all__ = [
    "ScanConfig", "ScanConfigError", "ParameterRange", "load_config", "parameter_unit",
    "ScanResult", "run_scan", "Sampler", "ScanMismatchError", "load_table", "read_units", "tables_identical",
]
