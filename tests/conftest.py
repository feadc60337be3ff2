"""Shared test configuration.

* On-disk caches (symbolic derivations, flavio surrogates) go to one temporary folder per test session
  (``LQMODEL_CACHE_DIR``), so tests never read a cache left by an earlier run or by the user.
"""
from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _session_cache_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("lqmodel-cache")
    old = os.environ.get("LQMODEL_CACHE_DIR")
    os.environ["LQMODEL_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("LQMODEL_CACHE_DIR", None)
    else:
        os.environ["LQMODEL_CACHE_DIR"] = old
