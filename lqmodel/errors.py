"""The exceptions lqmodel raises for things a user can cause: one family, :class:`LqmodelError`.

Everything a user can get wrong (a bad point file or scan config, an output folder that holds another scan
or is in use, a scan too large to run without asking) raises a subclass of :class:`LqmodelError`. The
command line (:mod:`lqmodel.cli`) prints these as one line ``lqmodel CMD: error: ...`` with exit status 2;
any other exception is a bug and is shown with its traceback. Subclasses that replace a former
``ValueError``/``KeyError`` still derive from it, so ``except ValueError`` in user code keeps working.

Hierarchy::

    LqmodelError
    ├── InputError (ValueError)          a point file, scan config or option that cannot be used
    │   ├── lqmodel.point.PointError, lqmodel.pointfile.PointFileError, lqmodel.scan.ScanConfigError
    │   ├── lqmodel.point.UnknownNameError (also KeyError)
    │   └── ParseError                   malformed / oversized / duplicate-key YAML or JSON
    ├── ScanFolderError (ValueError)     the --out folder holds another scan or is not a scan folder
    │   ├── lqmodel.scan.ScanMismatchError
    │   └── LockedError                  another run is using the folder
    ├── ResourceLimitError (ValueError)  the scan needs more points/memory/disk than allowed without
    │                                    ``--force-large`` / ``allow_large: true``
    └── WorkerError (RuntimeError)       a worker process died; rerunning resumes the scan

>>> issubclass(ParseError, ValueError) and issubclass(ParseError, LqmodelError)
True
"""
from __future__ import annotations

__all__ = [
    "LqmodelError", "InputError", "ParseError", "ScanFolderError", "LockedError", "ResourceLimitError",
    "WorkerError", "shorten",
]


class LqmodelError(Exception):
    """Base of every error a user can cause; its message is one line saying what is wrong and what is
    allowed."""


class InputError(LqmodelError, ValueError):
    """A point, scan configuration, option or input file that cannot be used."""


class ParseError(InputError):
    """A YAML/JSON file that cannot be read safely: malformed, duplicate keys, too deep, too large."""

    #: (line, column, problem) of a YAML syntax error, set by :mod:`lqmodel.safe_load`; None otherwise
    malformed: tuple[int, int, str] | None = None


class ScanFolderError(LqmodelError, ValueError):
    """The output folder of a scan cannot be used (another scan, not a scan folder, damaged)."""


class LockedError(ScanFolderError):
    """Another lqmodel run holds the output folder's lock."""


class ResourceLimitError(LqmodelError, ValueError):
    """The requested work exceeds a safety limit; the message gives the estimate and how to go ahead."""


class WorkerError(LqmodelError, RuntimeError):
    """A worker process of a scan died; the chunks already written are kept and a rerun resumes."""


def shorten(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters (with "…" and the full length), for echoing user input
    in error messages without flooding the terminal.

    >>> shorten("x" * 1000, limit=10)
    "'xxxxxxxx… (1002 characters)"
    >>> shorten(0.5)
    '0.5'
    """
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a repr that fails is shown by its type
        text = f"<{type(value).__name__}>"
    if len(text) <= limit:
        return text
    return f"{text[:limit - 1]}… ({len(text)} characters)"
