"""Reading YAML and JSON input files safely: one loader for point files, scan configs and data files.

What it guarantees (every violation raises :class:`lqmodel.errors.ParseError` with one line naming the
file and, where known, the line):

* **Nothing is executed.** YAML is read with a subclass of PyYAML's ``SafeLoader`` (plain data only: no
  Python tags); JSON with :func:`json.loads`.
* **Duplicate keys are refused**, naming the key and both lines (YAML) or the key (JSON; the stdlib
  parser has no line numbers in ``object_pairs_hook``, so the line is searched for in the text).
  PyYAML and ``json`` would silently keep the last value.
* **YAML 1.2 floats.** PyYAML implements YAML 1.1, which reads ``1e-3`` and ``1e30`` (no dot, or no sign
  in the exponent) as *strings*; here every float of the YAML 1.2 core schema is a float
  (``1e-3``, ``1E30``, ``.5``, ``-2.``, ``.inf``, ``.nan``).
* **Bounded size.** Text at most :data:`MAX_TEXT_BYTES`; nesting at most :data:`MAX_DEPTH`; at most
  :data:`MAX_NODES` nodes after alias expansion (a "billion laughs" file of a few hundred bytes is refused
  in milliseconds) and :data:`MAX_ALIASES` alias uses; strings at most :data:`MAX_STRING` characters;
  integers at most :data:`MAX_INT_DIGITS` digits (no ``OverflowError`` later when they become floats).

>>> loads_yaml("y1: 1e-3\\nm_S1: 1E3\\nlabel: x")
{'y1': 0.001, 'm_S1': 1000.0, 'label': 'x'}
>>> loads_yaml("y1: 0.05\\ny1: 0.5\\n", name="p.yaml")
Traceback (most recent call last):
...
lqmodel.errors.ParseError: p.yaml: duplicate key 'y1' (line 1 and line 2)
>>> loads_json('{"a": 1, "a": 2}', name="p.json")
Traceback (most recent call last):
...
lqmodel.errors.ParseError: p.json: duplicate key 'a' (line 1 and line 1)
"""
from __future__ import annotations

import functools
import json
import os
import re
from typing import Any

from lqmodel.errors import ParseError, shorten

__all__ = [
    "loads_yaml", "loads_json", "loads", "load_config_file", "MAX_TEXT_BYTES", "MAX_DEPTH", "MAX_NODES", "MAX_ALIASES",
    "MAX_STRING", "MAX_INT_DIGITS",
]

#: largest input text (characters) read at all
MAX_TEXT_BYTES = 5_000_000
#: deepest nesting of mappings/lists
MAX_DEPTH = 50
#: most nodes (scalars, lists, mappings) a document may build, counting every alias expansion
MAX_NODES = 200_000
#: most alias uses (``*name``) in one YAML document
MAX_ALIASES = 1000
#: longest string value or key (characters)
MAX_STRING = 10_000
#: most digits of an integer
MAX_INT_DIGITS = 30

# YAML 1.2 core-schema float (plus PyYAML's sexagesimal-free YAML 1.1 forms it already knew)
_FLOAT_RE = re.compile(
    r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_INT_RE = re.compile(r"^[-+]?[0-9]+$")


def _yaml_loader() -> type:
    import yaml

    class Loader(yaml.SafeLoader):
        """SafeLoader with YAML 1.2 floats, duplicate-key detection and size limits."""

        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            self._aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self._aliases += 1
                if self._aliases > MAX_ALIASES:
                    raise ParseError(f"more than {MAX_ALIASES} YAML aliases")
            return super().compose_node(parent, index)

        def construct_document(self, node: Any) -> Any:
            _expanded_size(node)  # before building anything: aliases are expanded by later copies
            return super().construct_document(node)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: dict[Any, int] = {}
                for key_node, _ in node.value:
                    key = self.construct_object(key_node, deep=True)
                    try:
                        hash(key)
                    except TypeError:
                        raise ParseError(f"line {key_node.start_mark.line + 1}: a mapping key must be a "
                                         f"scalar, got {shorten(key)}") from None
                    line = key_node.start_mark.line + 1
                    if key in seen:
                        raise ParseError(f"duplicate key {shorten(key)} (line {seen[key]} and line {line})")
                    seen[key] = line
            return super().construct_mapping(node, deep=deep)

        def construct_yaml_str(self, node: Any) -> Any:
            value = super().construct_yaml_str(node)
            if len(value) > MAX_STRING:
                raise ParseError(f"line {node.start_mark.line + 1}: a string of {len(value)} characters "
                                 f"(at most {MAX_STRING})")
            return value

        def construct_yaml_int(self, node: Any) -> Any:
            text = str(node.value).replace("_", "")
            if len(text.lstrip("+-")) > MAX_INT_DIGITS:
                raise ParseError(f"line {node.start_mark.line + 1}: an integer of {len(text)} digits "
                                 f"(at most {MAX_INT_DIGITS}; write large numbers as floats, e.g. 1e30)")
            return super().construct_yaml_int(node)

    Loader.add_constructor("tag:yaml.org,2002:str", Loader.construct_yaml_str)
    Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_yaml_int)
    # YAML 1.2 floats: replace the 1.1 implicit float resolver (which misses 1e-3, 1e30)
    Loader.yaml_implicit_resolvers = {k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:float"]
                                      for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_RE, list("-+0123456789."))
    return Loader


@functools.lru_cache(maxsize=1)
def _loader() -> type:
    """The loader class (built once; never modified afterwards)."""
    return _yaml_loader()


def _expanded_size(root: Any) -> int:
    """Number of nodes of the document with every alias expanded (what a copy of the data would hold),
    computed on the node graph without expanding it; refuses recursive aliases and documents above
    MAX_NODES."""
    import yaml

    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ParseError(f"line {node.start_mark.line + 1}: a recursive YAML alias (a value containing itself)")
        active.add(key)
        n = 1
        if isinstance(node, yaml.SequenceNode):
            n += sum(size(v) for v in node.value)
        elif isinstance(node, yaml.MappingNode):
            n += sum(size(k) + size(v) for k, v in node.value)
        active.discard(key)
        sizes[key] = n
        if n > MAX_NODES:
            raise ParseError(f"the document expands to more than {MAX_NODES} values (nested YAML aliases?)")
        return n

    return size(root)


_SPECIAL = re.compile(r"""[\[\]{}"'\\\n]""")


def _check_depth_text(text: str, name: str) -> None:
    """Refuse flow nesting (``[``/``{``) deeper than MAX_DEPTH before parsing (the parsers recurse per
    level). Brackets inside quoted strings do not count; only the special characters are visited."""
    depth = 0
    in_str: str | None = None
    skip = -1  # position of a character escaped by a backslash inside a double-quoted string
    for m in _SPECIAL.finditer(text):
        ch, pos = m.group(), m.start()
        if pos == skip:
            continue
        if in_str:
            if ch == "\\" and in_str == '"':
                skip = pos + 1
            elif ch == in_str or ch == "\n":
                in_str = None  # quotes do not span lines in the flow forms this guards against
            continue
        if ch in "\"'":
            in_str = ch
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ParseError(f"{name}: nested more than {MAX_DEPTH} levels deep")
        elif ch in "]}":
            depth = max(depth - 1, 0)


def _check_depth_obj(obj: Any, name: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ParseError(f"{name}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(obj, dict):
        for v in obj.values():
            _check_depth_obj(v, name, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            _check_depth_obj(v, name, depth + 1)


def _check_size(text: str, name: str) -> None:
    if not isinstance(text, str):
        raise ParseError(f"{name}: expected text, got {type(text).__name__}")
    if len(text) > MAX_TEXT_BYTES:
        raise ParseError(f"{name}: {len(text)} characters is larger than an input file may be ({MAX_TEXT_BYTES})")


def loads_yaml(text: str, *, name: str = "<string>") -> Any:
    """Parse YAML text safely (see the module docstring); ``name`` (the file) starts every message."""
    import yaml

    _check_size(text, name)
    _check_depth_text(text, name)
    loader = _loader()(text)
    try:
        data = loader.get_single_data()
    except ParseError as exc:
        raise ParseError(f"{name}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["cannot parse"])[0]
        err = ParseError(f"{name}: malformed YAML{where}: {problem}")
        err.malformed = (mark.line + 1, mark.column + 1, problem) if mark is not None else None
        raise err from None
    except (RecursionError, OverflowError, MemoryError) as exc:
        raise ParseError(f"{name}: cannot read the YAML ({type(exc).__name__}: too deep or too large)") from None
    finally:
        loader.dispose()
    _check_depth_obj(data, name)
    return data


def loads_json(text: str, *, name: str = "<string>") -> Any:
    """Parse JSON text safely: duplicate keys, depth, string and integer sizes are checked."""
    _check_size(text, name)
    _check_depth_text(text, name)

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if len(k) > MAX_STRING or (isinstance(v, str) and len(v) > MAX_STRING):
                raise ParseError(f"{name}: a string of more than {MAX_STRING} characters")
            if k in out:
                lines = _key_lines(text, k)
                where = f" (line {lines[0]} and line {lines[1]})" if len(lines) >= 2 else ""
                raise ParseError(f"{name}: duplicate key {shorten(k)}{where}")
            out[k] = v
        return out

    def integer(s: str) -> int:
        if len(s.lstrip("-")) > MAX_INT_DIGITS:
            raise ParseError(f"{name}: an integer of {len(s)} digits (at most {MAX_INT_DIGITS}; write large "
                             "numbers as floats, e.g. 1e30)")
        return int(s)

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_int=integer)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{name}: malformed JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    except (RecursionError, OverflowError, MemoryError) as exc:
        raise ParseError(f"{name}: cannot read the JSON ({type(exc).__name__}: too deep or too large)") from None
    _check_depth_obj(data, name)
    _check_strings(data, name)
    return data


def _check_strings(obj: Any, name: str) -> None:
    if isinstance(obj, str):
        if len(obj) > MAX_STRING:
            raise ParseError(f"{name}: a string of {len(obj)} characters (at most {MAX_STRING})")
    elif isinstance(obj, dict):
        for v in obj.values():
            _check_strings(v, name)
    elif isinstance(obj, list):
        for v in obj:
            _check_strings(v, name)


def _key_lines(text: str, key: str) -> list[int]:
    """Line numbers (1-based) where ``key`` appears as a JSON object key, once per occurrence."""
    rx = re.compile(re.escape(json.dumps(key)) + r"\s*:")
    return [i + 1 for i, line in enumerate(text.splitlines()) for _ in rx.finditer(line)]


def loads(text: str, *, name: str = "<string>", fmt: str = "yaml") -> Any:
    """:func:`loads_json` for ``fmt="json"``, else :func:`loads_yaml`."""
    return loads_json(text, name=name) if fmt == "json" else loads_yaml(text, name=name)


def load_config_file(path: str | os.PathLike[str], what: str, error: type[Exception]) -> Any:
    """Read and parse a configuration file (``.json`` as JSON, anything else as YAML) with :func:`loads`.

    Every problem — missing file, a folder, not UTF-8, malformed or refused content — becomes one
    ``error(message)`` naming ``what`` (e.g. "scan configuration") and the path. Shared by the scan and fit
    configuration loaders.
    """
    from pathlib import Path

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{what} {str(file)!r} does not exist") from None
    except IsADirectoryError:
        raise error(f"{what} {str(file)!r} is a folder, not a file") from None
    except UnicodeDecodeError:
        raise error(f"{what} {str(file)!r} is not a text (UTF-8) file") from None
    try:
        return loads(text, name=repr(str(file)), fmt="json" if file.suffix.lower() == ".json" else "yaml")
    except ParseError as exc:
        malformed = getattr(exc, "malformed", None)
        if malformed:
            line, column, problem = malformed
            raise error(f"malformed YAML in {str(file)!r} at line {line}, column {column}: {problem}") from None
        raise error(str(exc)) from None
