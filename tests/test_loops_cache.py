"""loops.cache: derivations are stored under LQMODEL_CACHE_DIR, keyed by inputs and versions, written
atomically, and a corrupt entry is re-derived (never trusted)."""
from __future__ import annotations

import json

import sympy as sp

from loops import cache


def test_round_trip_and_keying(tmp_path, monkeypatch):
    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path))
    calls = []
    x = sp.Symbol("x", positive=True)

    def derive():
        calls.append(1)
        return {"e": sp.log(x) / (x - 1)}

    a = cache.cached_derivation("t", ("a",), derive)
    b = cache.cached_derivation("t", ("a",), derive)
    assert a == b == {"e": sp.log(x) / (x - 1)} and len(calls) == 1
    assert b["e"].free_symbols == {x}  # assumptions survive (expression tree)
    cache.cached_derivation("t", ("b",), derive)  # other inputs: other entry
    assert len(calls) == 2
    files = sorted((tmp_path / "loops").glob("t-*.json"))
    assert len(files) == 2 and not list((tmp_path / "loops").glob("*.tmp"))
    payload = json.loads(files[0].read_text())
    assert payload["key"]["sympy"] == sp.__version__ and payload["key"]["version"] == cache.DERIVATION_VERSION
    assert payload["format"] == cache.ENTRY_FORMAT and len(payload["sha256"]) == 64


def test_corrupt_entry_is_rederived(tmp_path, monkeypatch):
    monkeypatch.setenv("LQMODEL_CACHE_DIR", str(tmp_path))
    cache.cached_derivation("t", (1,), lambda: {"e": sp.Integer(2)})
    (f,) = (tmp_path / "loops").glob("t-*.json")
    f.write_text("{not json")
    assert cache.cached_derivation("t", (1,), lambda: {"e": sp.Integer(3)}) == {"e": sp.Integer(3)}
    assert cache.cache_dir() == tmp_path / "loops"
