"""One version source: ``lqmodel.__version__`` (lqmodel/__init__.py); pyproject declares the version dynamic
and setuptools reads it from there, so the installed metadata, ``lqmodel --version`` and the attribute
cannot disagree."""
from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import lqmodel

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_pyproject_has_no_literal_version():
    cfg = _pyproject()
    assert "version" not in cfg["project"]
    assert "version" in cfg["project"]["dynamic"]
    assert cfg["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "lqmodel.__version__"}


def test_version_is_one_pep440_literal_in_one_file():
    # setuptools reads the attribute statically (without importing lqmodel): it must be a plain literal
    tree = ast.parse((ROOT / "lqmodel" / "__init__.py").read_text(encoding="utf-8"))
    values = [n.value.value for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
              and any(isinstance(t, ast.Name) and t.id == "__version__" for t in n.targets)]
    assert values == [lqmodel.__version__]
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", lqmodel.__version__)
    others = [str(p.relative_to(ROOT)) for pkg in ("lqmodel", "loops", "observables", "_lqio")
              for p in (ROOT / pkg).rglob("*.py")
              if p != ROOT / "lqmodel" / "__init__.py"
              and re.search(r"^__version__\s*=", p.read_text(encoding="utf-8"), re.M)]
    assert others == []


def test_setuptools_resolves_the_same_version():
    from setuptools.config.pyprojecttoml import read_configuration

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # setuptools calls [tool.setuptools] "beta" in some versions
        cfg = read_configuration(ROOT / "pyproject.toml", expand=True)
    assert cfg["project"]["version"] == lqmodel.__version__


def test_installed_metadata_and_cli_agree():
    assert importlib.metadata.version("lqmodel") == lqmodel.__version__, (
        "the installed metadata is stale: reinstall (python -m pip install -e '.[test]')")
    out = subprocess.run([sys.executable, "-m", "lqmodel", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == f"lqmodel {lqmodel.__version__}"
