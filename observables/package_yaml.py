"""Reading the YAML data files shipped with the package (measurements, limits, detectors, cross sections).

:func:`load_yaml` is :func:`yaml.safe_load` with PyYAML's C loader (libyaml's ``CSafeLoader``) where PyYAML
was built with it, else the pure-Python ``SafeLoader``. Both are PyYAML's *safe* loaders: the same resolver
and the same constructors of plain data (mappings, lists, strings, numbers, booleans, null, dates); no Python
object is ever constructed. The C scanner is about 10x faster: the measurement vintage and the limit tables
took about 0.4 s of pure-Python parsing in every fresh worker process of a scan (2026-12-02). The files read
this way are the package's own; user configuration files go through :mod:`lqmodel.safe_load` (YAML 1.2
numbers, duplicate keys refused, size limits). ``tests/test_package_yaml.py`` checks that both loaders give
the same data for every shipped YAML file.
"""
from __future__ import annotations

from typing import Any

__all__ = ["load_yaml", "safe_loader"]


def safe_loader() -> type:
    """PyYAML's C safe loader if available, else the pure-Python one."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """The data of one YAML document (``yaml.safe_load`` semantics, C scanner where available)."""
    import yaml

    return yaml.load(text, Loader=safe_loader())
