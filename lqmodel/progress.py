"""Progress lines of long preparation steps (flavio import, SM covariances, surrogate builds), on stderr.

The library never prints: the steps log one INFO record each on the standard-library loggers
:data:`LOGGERS` (``observables.progress`` in :mod:`observables.likelihood`, :mod:`observables.surrogate`
and :mod:`observables.flavio_backend`; ``lqmodel.progress`` in :mod:`lqmodel.evaluate`). The CLI shows them
with :func:`progress_lines` for the duration of a command; without it (library use, pytest) they stay
silent unless the caller attaches a handler to these loggers. They do not propagate to the root logger
(flavio's import configures a root handler at level INFO, which would otherwise print every line).

>>> import io, logging
>>> buf = io.StringIO()
>>> with progress_lines(True, stream=buf):
...     logging.getLogger("lqmodel.progress").info("lqmodel: step (1/2)")
>>> buf.getvalue()
'lqmodel: step (1/2)\\n'
>>> logging.getLogger("lqmodel.progress").info("not shown")  # handler removed again
"""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["LOGGERS", "progress_lines", "enabled_by_default"]

#: the loggers whose INFO records are progress lines
LOGGERS = ("observables.progress", "lqmodel.progress")


def enabled_by_default(stream: TextIO | None = None) -> bool:
    """On when ``LQMODEL_PROGRESS=1``, off when ``LQMODEL_PROGRESS=0``, else when ``stream`` (default
    stderr) is a terminal."""
    env = os.environ.get("LQMODEL_PROGRESS", "").strip()
    if env in ("0", "1"):
        return env == "1"
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress_lines(enabled: bool | None = None, stream: TextIO | None = None) -> Iterator[None]:
    """While active, write each INFO record of :data:`LOGGERS` as one line on ``stream`` (default
    stderr). ``enabled=None``: :func:`enabled_by_default`. The loggers' levels and handlers are restored
    on exit."""
    if enabled is None:
        enabled = enabled_by_default(stream)
    if not enabled:
        yield
        return
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.setLevel(logging.INFO)
    saved = []
    for name in LOGGERS:
        lg = logging.getLogger(name)
        saved.append((lg, lg.level))
        lg.setLevel(logging.INFO)
        lg.propagate = False  # never to the root logger (flavio's import configures one): no second copy
        lg.addHandler(handler)
    try:
        yield
    finally:
        for lg, level in saved:
            lg.removeHandler(handler)
            lg.setLevel(level)
        handler.flush()
