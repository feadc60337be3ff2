"""observables.package_yaml: the C safe loader gives the same data as PyYAML's pure-Python safe loader for
every YAML file shipped in the package."""
from __future__ import annotations

from importlib import resources

import pytest
import yaml

from observables.package_yaml import load_yaml, safe_loader


def _shipped_yaml_files():
    root = resources.files("observables").joinpath("data")
    stack, out = [root], []
    while stack:
        node = stack.pop()
        for child in node.iterdir():
            if child.is_dir():
                stack.append(child)
            elif child.name.endswith((".yaml", ".yml")):
                out.append(child)
    return sorted(out, key=lambda p: str(p))


def test_there_are_shipped_yaml_files():
    assert len(_shipped_yaml_files()) >= 5


@pytest.mark.parametrize("node", _shipped_yaml_files(), ids=lambda p: p.name)
def test_c_loader_same_data(node):
    text = node.read_text(encoding="utf-8")
    assert load_yaml(text) == yaml.load(text, Loader=yaml.SafeLoader)


def test_loader_is_a_safe_loader():
    """No Python objects: a python/object tag is refused by whichever loader is used."""
    assert issubclass(safe_loader(), (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    with pytest.raises(yaml.constructor.ConstructorError):
        load_yaml("!!python/object/apply:os.system ['echo hi']")
