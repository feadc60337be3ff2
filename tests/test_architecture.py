"""Layering and import-weight rules of ARCHITECTURE.md, checked on the source tree.

* _lqio (atomic files, cache locations) is the lowest layer: standard library only, none of ours;
  loops imports neither lqmodel nor observables; observables never imports lqmodel or loops (all three may
  import _lqio); notebooks import lqmodel only (checked in test_notebooks).
* every package of the layering is shipped (pyproject's package list) with its ``py.typed``.
* ``import lqmodel`` is light: it imports neither flavio nor sympy.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

OURS = {"_lqio", "loops", "observables", "lqmodel"}
FORBIDDEN = {
    "_lqio": OURS - {"_lqio"},
    "loops": {"lqmodel", "observables"},
    "observables": {"lqmodel", "loops"},
}


def _imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_one_way_layers(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no sources found for {package}"
    offenders = {
        str(f.relative_to(ROOT)): sorted(_imported_top_levels(f) & FORBIDDEN[package]) for f in files
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}, f"{package} must not import {sorted(FORBIDDEN[package])}: {offenders}"


def test_import_lqmodel_is_light():
    code = (
        "import sys, lqmodel, lqmodel.cli; "
        "heavy = sorted(m for m in ('flavio', 'sympy', 'wilson', 'matplotlib') if m in sys.modules); "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import lqmodel pulled in heavy modules: {out.stdout.strip()}"


def test_lqio_uses_the_standard_library_only():
    offenders = {
        str(f.relative_to(ROOT)): sorted(_imported_top_levels(f) - set(sys.stdlib_module_names) - {"_lqio"})
        for f in sorted((ROOT / "_lqio").rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_every_layer_is_packaged_and_typed():
    import tomllib

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    include = cfg["packages"]["find"]["include"]
    for pkg in sorted(OURS):
        assert f"{pkg}*" in include, f"{pkg} is not in pyproject's package list"
        assert (ROOT / pkg / "py.typed").is_file(), f"{pkg}/py.typed missing"
        assert "py.typed" in cfg["package-data"][pkg], f"{pkg}/py.typed is not shipped as package data"
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "tools", "benchmarks", "notebooks"}
    assert on_disk <= OURS, f"top-level packages not in the layering: {sorted(on_disk - OURS)}"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # everything below 0x20 except TAB and LF, and DEL
_DOC_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # in docstrings TAB too (``"\tilde"`` in a non-raw string)


@pytest.mark.parametrize("package", sorted(OURS))
def test_sources_hold_no_control_characters(package):
    """No source file holds control characters (CR, BS, VT, ... as left by a LaTeX docstring that was not a
    raw string), and no docstring evaluates to one (``\\tilde``, ``\\begin``, ``\\rangle`` in a non-raw
    string give TAB, BS, CR)."""
    bad_files, bad_docs = [], []
    for f in sorted((ROOT / package).rglob("*.py")):
        text = f.read_text(encoding="utf-8")
        rel = str(f.relative_to(ROOT))
        bad_files += [f"{rel}:{i}" for i, line in enumerate(text.split("\n"), 1)
                      if _CONTROL.search(line) or "\t" in line]
        for node in ast.walk(ast.parse(text, filename=rel)):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node, clean=False)
                if doc and _DOC_CONTROL.search(doc):
                    bad_docs.append(f"{rel}:{getattr(node, 'name', '<module>')}")
    assert bad_files == [] and bad_docs == [], {"lines": bad_files, "docstrings": bad_docs}
