r"""Sympy expressions as JSON trees of node names, read back by a parser that can only build allowed objects.

This is how :mod:`loops.cache` stores derivations and how :func:`loops.export.from_json` reads an exported
expression: **text from disk is never evaluated** (no ``sympify``/``eval``/``srepr`` parsing, which run
arbitrary Python). A tree is plain JSON:

* ``{"f": "Symbol", "name": "x", "assumptions": {"positive": true}}`` — the name and the assumptions the
  symbol was created with (only sympy's assumption names, boolean values);
* ``{"f": "Integer", "v": "-12"}``, ``{"f": "Rational", "p": "1", "q": "3"}`` — decimal digit strings;
* ``{"f": "Float", "man": "5", "exp": "-1", "prec": "53"}`` — exactly :math:`\mathrm{man}\cdot 2^{\mathrm{exp}}`
  at ``prec`` bits (finite values only);
* constants ``{"f": "pi"}`` (also ``E``, ``I``, ``EulerGamma``, ``Catalan``, ``GoldenRatio``, ``oo``,
  ``-oo``, ``zoo``, ``nan``);
* operators and functions ``{"f": "Add", "a": [tree, ...]}`` for the names in :data:`OPERATORS`.

Compound nodes are rebuilt with ``evaluate=False``, so the object read back is structurally the one that
was written (``from_tree(to_tree(e)) == e``). Anything else — an unknown node name, an extra field, a
string where a node should be, a non-digit number, a tree deeper than :data:`MAX_DEPTH` or larger than
:data:`MAX_NODES` — raises :class:`InvalidTreeError` (a ``ValueError``) without building anything.

>>> import sympy as sp
>>> x = sp.Symbol("x", positive=True)
>>> t = to_tree(sp.log(x) / (x - 1))
>>> from_tree(t) == sp.log(x) / (x - 1)
True
>>> from_tree({"f": "__import__", "a": []})
Traceback (most recent call last):
...
loops.expr_tree.InvalidTreeError: node 1: unknown node name '__import__'
"""
from __future__ import annotations

import re
from typing import Any

__all__ = ["InvalidTreeError", "UnsupportedExpressionError", "to_tree", "from_tree", "OPERATORS", "MAX_DEPTH",
           "MAX_NODES"]

#: deepest nesting :func:`from_tree` accepts
MAX_DEPTH = 200
#: most nodes :func:`from_tree` accepts
MAX_NODES = 200_000
_MAX_DIGITS = 4000  # below Python's int/str conversion limit (4300)
_MAX_PREC = 100_000
_INT = re.compile(rf"^-?[0-9]{{1,{_MAX_DIGITS}}}$")
_NAME = re.compile(r"^[^\x00-\x1f]{1,200}$")

#: operator / function node names (sympy class names) allowed in a tree
OPERATORS = (
    "Add", "Mul", "Pow",
    "log", "exp", "sin", "cos", "tan", "asin", "acos", "atan", "atan2",
    "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    "Abs", "re", "im", "conjugate", "sign", "polylog", "zeta", "Min", "Max",
)
_CONSTANTS = ("pi", "E", "I", "EulerGamma", "Catalan", "GoldenRatio", "oo", "-oo", "zoo", "nan")


class InvalidTreeError(ValueError):
    """A JSON tree that is not a well-formed expression of allowed nodes."""


class UnsupportedExpressionError(ValueError):
    """An expression containing a node :func:`to_tree` cannot represent (the caller keeps it in memory)."""


def _operator_classes() -> dict[str, Any]:
    import sympy as sp

    return {name: getattr(sp, name) for name in OPERATORS}


def _constants() -> dict[str, Any]:
    import sympy as sp

    return {"pi": sp.pi, "E": sp.E, "I": sp.I, "EulerGamma": sp.EulerGamma, "Catalan": sp.Catalan,
            "GoldenRatio": sp.GoldenRatio, "oo": sp.oo, "-oo": -sp.oo, "zoo": sp.zoo, "nan": sp.nan}


def _assumption_names() -> frozenset[str]:
    from sympy.core.assumptions import _assume_defined

    return frozenset(_assume_defined)


def to_tree(expr: Any) -> dict[str, Any]:
    """The JSON tree of sympy expression ``expr``; :class:`UnsupportedExpressionError` for other nodes."""
    import sympy as sp

    ops = _operator_classes()
    consts = [(v, k) for k, v in _constants().items()]

    def walk(e: Any, depth: int) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            raise UnsupportedExpressionError(f"expression deeper than {MAX_DEPTH}")
        if not isinstance(e, sp.Basic):
            raise UnsupportedExpressionError(f"not a sympy expression: {type(e).__name__}")
        for value, name in consts:
            if e is value:
                return {"f": name}
        if type(e) is sp.Symbol:  # not Dummy/Wild (their identity is not their name)
            assumptions = getattr(e, "_assumptions_orig", None)
            if assumptions is None:  # pragma: no cover - older sympy
                assumptions = e.assumptions0
            flags = {str(k): bool(v) for k, v in sorted(assumptions.items())}
            return {"f": "Symbol", "name": e.name, "assumptions": flags}
        if isinstance(e, sp.Integer):
            return {"f": "Integer", "v": str(int(e))}
        if isinstance(e, sp.Rational):
            return {"f": "Rational", "p": str(int(e.p)), "q": str(int(e.q))}
        if isinstance(e, sp.Float):
            sign, man, exp, _ = e._mpf_
            if man == 0 and exp != 0:  # inf / nan as Float
                raise UnsupportedExpressionError(f"non-finite Float {e}")
            return {"f": "Float", "man": str(-man if sign else man), "exp": str(int(exp)), "prec": str(int(e._prec))}
        name = type(e).__name__
        if name in ops and type(e) is ops[name]:
            return {"f": name, "a": [walk(a, depth + 1) for a in e.args]}
        raise UnsupportedExpressionError(f"node {name} is not in the allow-list of loops.expr_tree")

    return walk(expr, 0)


def from_tree(tree: Any) -> Any:
    """Build the sympy expression of JSON ``tree`` (see the module docstring); :class:`InvalidTreeError` otherwise.

    Only the classes named in the allow-list are ever constructed; no text is evaluated.
    """
    import sympy as sp
    from mpmath.libmp import from_man_exp

    ops = _operator_classes()
    consts = _constants()
    assumption_names = _assumption_names()
    count = 0

    def bad(msg: str) -> InvalidTreeError:
        return InvalidTreeError(f"node {count}: {msg}")

    def digits(node: dict, field: str) -> int:
        s = node.get(field)
        if not isinstance(s, str) or not _INT.match(s):
            raise bad(f"{field!r} must be a string of at most {_MAX_DIGITS} decimal digits")
        return int(s)

    def fields(node: dict, allowed: set[str]) -> None:
        extra = set(node) - allowed
        missing = allowed - set(node)
        if extra or missing:
            raise bad(f"node {node.get('f')!r} has fields {sorted(node)}; expected {sorted(allowed)}")

    def build(node: Any, depth: int) -> Any:
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise bad(f"more than {MAX_NODES} nodes")
        if depth > MAX_DEPTH:
            raise bad(f"deeper than {MAX_DEPTH}")
        if not isinstance(node, dict):
            raise bad(f"expected a node object, got {type(node).__name__}")
        f = node.get("f")
        if not isinstance(f, str):
            raise bad("missing node name 'f'")
        if f in consts:
            fields(node, {"f"})
            return consts[f]
        if f == "Symbol":
            fields(node, {"f", "name", "assumptions"})
            name, assumptions = node["name"], node["assumptions"]
            if not isinstance(name, str) or not _NAME.match(name):
                raise bad("a Symbol name must be a string of 1-200 printable characters")
            if not isinstance(assumptions, dict) or any(
                k not in assumption_names or not isinstance(v, bool) for k, v in assumptions.items()
            ):
                raise bad("Symbol assumptions must map sympy assumption names to true/false")
            return sp.Symbol(name, **assumptions)
        if f == "Integer":
            fields(node, {"f", "v"})
            return sp.Integer(digits(node, "v"))
        if f == "Rational":
            fields(node, {"f", "p", "q"})
            p, q = digits(node, "p"), digits(node, "q")
            if q <= 0:
                raise bad("a Rational needs a positive denominator")
            return sp.Rational(p, q)
        if f == "Float":
            fields(node, {"f", "man", "exp", "prec"})
            man, exp, prec = digits(node, "man"), digits(node, "exp"), digits(node, "prec")
            if not (1 <= prec <= _MAX_PREC) or abs(exp) > 10**7 or abs(man).bit_length() > prec:
                raise bad("Float mantissa, exponent or precision out of range")
            return sp.Float._new(from_man_exp(man, exp, prec), prec, zero=False)
        if f in ops:
            fields(node, {"f", "a"})
            args = node["a"]
            if not isinstance(args, list):
                raise bad("'a' must be a list of nodes")
            built = [build(a, depth + 1) for a in args]
            try:
                return ops[f](*built, evaluate=False)
            except (TypeError, ValueError, ArithmeticError) as exc:
                raise bad(f"{f} rejected its arguments: {exc}") from None
        raise bad(f"unknown node name {f!r}")

    try:
        return build(tree, 0)
    except RecursionError:  # pragma: no cover - MAX_DEPTH is far below Python's limit
        raise InvalidTreeError("tree too deep") from None
