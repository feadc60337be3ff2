"""Lint and types: ``ruff check`` and ``mypy`` on the tree, configured in pyproject.toml ([tool.ruff],
[tool.mypy]); both are in the ``test`` extra.

Part of every test run (the README's test command, ``.ci/run``): the tree is clean under both, and a new
violation fails the suite. mypy takes about 10–35 s on two cores.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow]


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_ruff_check():
    ruff = shutil.which("ruff")
    cmd = (ruff,) if ruff else (sys.executable, "-m", "ruff")
    out = _run(*cmd, "check", "--no-cache", ".")
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]


def test_mypy():
    out = _run(sys.executable, "-m", "mypy", "--cache-dir", os.devnull)  # files and options: pyproject.toml
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
