"""Built-in coupling-map benchmarks: scan configurations shipped in ``lqmodel/data/maps/*.yaml``.

``default`` is the map the README's main-job command draws (:data:`DEFAULT`).

>>> "voloshin_1TeV_y1y2" in list_map_benchmarks()
True
>>> map_benchmark("default").parameter_names
('m_LQ', 'y1y2')
"""
from __future__ import annotations

from importlib import resources

from lqmodel.vocabulary import did_you_mean

from .config import ScanConfig, ScanConfigError

__all__ = ["DEFAULT", "list_map_benchmarks", "map_benchmark", "map_benchmark_text"]

#: the benchmark called ``default`` (README main job): the (m_LQ, y1*y2) plane from 1 to 5 TeV, where the LHC
#: pair-production limits end and the flavour, electroweak and neutrino constraints take over
DEFAULT = "voloshin_mLQ1to5TeV_y1y2"


def _folder():
    return resources.files("lqmodel").joinpath("data/maps")


def list_map_benchmarks() -> list[str]:
    """Names of the built-in map benchmarks (sorted; ``default`` is an alias of :data:`DEFAULT`)."""
    return sorted(p.name[: -len(".yaml")] for p in _folder().iterdir() if p.name.endswith(".yaml"))


def map_benchmark_text(name: str) -> str:
    """The YAML text of a built-in map benchmark."""
    real = DEFAULT if name == "default" else name
    names = list_map_benchmarks()
    if real not in names:
        hint = did_you_mean(name, names + ["default"], style="paren")
        raise ScanConfigError(f"unknown map benchmark {name!r}{hint}; available: default, {', '.join(names)}")
    return _folder().joinpath(f"{real}.yaml").read_text(encoding="utf-8")


def map_benchmark(name: str) -> ScanConfig:
    """The validated :class:`ScanConfig` of a built-in map benchmark."""
    from lqmodel.safe_load import loads_yaml

    return ScanConfig.from_dict(loads_yaml(map_benchmark_text(name), name=f"map benchmark {name!r}"))
