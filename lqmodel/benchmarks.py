r"""Built-in benchmark points with their source and the numbers the specification publishes for them.

The table lives in ``lqmodel/data/benchmarks.yaml`` (point-file format of :mod:`lqmodel.pointfile`, plus
``source`` and ``expected``). Expected numbers are those printed in docs/theory.md (§b.5 table for BP2 and
BP2', the |y1 y2| table of §b.5 for the 1.5 and 2 TeV Voloshin points, §f.1 for S1 alone) with
tolerances reflecting their quoted digits; units GeV and Bohr magnetons.

>>> from lqmodel.benchmarks import get, list_benchmarks, info
>>> "BP2" in list_benchmarks()
True
>>> p = get("BP2")
>>> p.model, p.lepton, p.m_S1, p.m_b
('voloshin', 'mu', 1000.0, 4.18)
>>> info("BP2").expected["mu_nu_muB"]["value"]
2.69314e-11
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from lqmodel.point import Point, UnknownNameError, _did_you_mean

__all__ = ["Benchmark", "get", "info", "list_benchmarks"]


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: name, description, source, the point-file mapping and the expected numbers."""

    name: str
    description: str
    source: str
    point_spec: Mapping[str, Any]
    expected: Mapping[str, Any]

    def point(self) -> Point:
        """The benchmark as a validated :class:`~lqmodel.point.Point`."""
        from lqmodel.pointfile import point_from_mapping

        return point_from_mapping(dict(self.point_spec), source=f"benchmark {self.name}")


@lru_cache(maxsize=1)
def _table() -> Mapping[str, Benchmark]:
    from lqmodel.safe_load import loads_yaml

    text = resources.files("lqmodel").joinpath("data/benchmarks.yaml").read_text(encoding="utf-8")
    raw = loads_yaml(text, name="lqmodel/data/benchmarks.yaml")
    out = {
        name: Benchmark(name, str(e["description"]), str(e["source"]), MappingProxyType(dict(e["point"])),
                        MappingProxyType(dict(e.get("expected") or {})))
        for name, e in raw["benchmarks"].items()
    }
    return MappingProxyType(out)


def list_benchmarks() -> list[str]:
    """Names of the built-in benchmarks, in file order."""
    return list(_table())


def info(name: str) -> Benchmark:
    """The :class:`Benchmark` record ``name`` (unknown names raise UnknownNameError with close matches)."""
    table = _table()
    if name not in table:
        raise UnknownNameError(
            f"unknown benchmark {name!r}.{_did_you_mean(name, table)} Known: {', '.join(table)}"
        )
    return table[name]


def get(name: str) -> Point:
    """The built-in benchmark ``name`` as a :class:`~lqmodel.point.Point` (label = its name in the file)."""
    return info(name).point()
