"""The ``lqmodel`` command line.

Each sub-command lives in its own module of this package, which defines ``register(subparsers)``
(adding an argparse sub-parser whose ``func`` default is the command's ``run(args) -> int``). Modules
must be light to import: heavy work (flavio, sympy) is imported inside ``run``.

Errors a user can cause (bad files, bad values, unknown names, an output folder in use) are
:class:`lqmodel.errors.LqmodelError` (plus :class:`OSError` of files the user named: missing, unreadable,
disk full): they exit with status 2 and a one-line message on stderr. Anything else is a bug in lqmodel and
raises with its traceback. ``lqmodel --debug CMD ...`` shows the traceback for user errors too.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import sys
import threading
from collections.abc import Sequence

from lqmodel.errors import InputError, LqmodelError, WorkerError

__all__ = ["main", "console_main", "CLIError", "COMMANDS"]

#: sub-command name -> module implementing it (``register`` + ``run``)
COMMANDS: dict[str, str] = {
    "point": "lqmodel.cli.point",
    "export": "lqmodel.cli.export",
    "dd-fit": "lqmodel.cli.ddfit",
    "map": "lqmodel.cli.map",
    "fit": "lqmodel.cli.fit",
}


#: longest error line printed (a message echoing a huge input value is cut here as a last resort)
_MAX_MESSAGE = 2000


class CLIError(InputError):
    """A usage error on the command line; printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    from lqmodel import __version__

    parser = argparse.ArgumentParser(
        prog="lqmodel",
        description="Leptoquark model building in the neutrino magnetic moment portal "
        "(S1 + R2~ + N_R). Units: GeV, Bohr magnetons (mu_B), keV for recoil energies.",
    )
    parser.add_argument("--version", action="version", version=f"lqmodel {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback for user errors too (they are one line otherwise)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for modname in COMMANDS.values():
        importlib.import_module(modname).register(sub)
    return parser


def _one_line(exc: BaseException) -> str:
    msg = exc.args[0] if (isinstance(exc, KeyError) and exc.args) else str(exc)
    line = " ".join(str(msg).split()) or type(exc).__name__
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 1] + "…"


def _user_error(exc: BaseException) -> bool:
    """Errors printed as one line: the LqmodelError family and OS errors about files (a missing or
    unreadable file, a full disk: ``OSError`` with an errno). Not TypeError, KeyError, plain ValueError:
    those are bugs and keep their traceback."""
    if isinstance(exc, LqmodelError):
        return True
    return isinstance(exc, OSError) and exc.errno is not None and not isinstance(exc, BrokenPipeError)


def _broken_pool(exc: BaseException) -> bool:
    from concurrent.futures.process import BrokenProcessPool

    return isinstance(exc, BrokenProcessPool)


class Terminated(KeyboardInterrupt):
    """SIGTERM received: handled like Ctrl-C (clean exit; a scan keeps its chunks and resumes)."""


def _raise_terminated(signum, frame):  # pragma: no cover - exercised in a subprocess
    raise Terminated()


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """While a command runs, SIGTERM raises :class:`Terminated` in the main thread (so ``finally``
    blocks run, workers are stopped and the manifest says "interrupted"); restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def console_main() -> int:
    """The ``lqmodel`` script and ``python -m lqmodel``: :func:`main` in a process of its own, with the
    allocator kept warm between sub-batches (:func:`lqmodel.scan.executors.tune_allocator`; process-wide,
    hence not done by :func:`main`, which tests and scripts also call in their own processes)."""
    from lqmodel.scan.executors import tune_allocator

    tune_allocator()
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lqmodel`` script; returns the exit status (0 ok, 2 user error, 130 Ctrl-C,
    143 SIGTERM)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from lqmodel.progress import progress_lines

        # one stderr line per long preparation step (flavio import, SM covariances, surrogate builds):
        # on with the map's --progress, else when stderr is a terminal (LQMODEL_PROGRESS=0/1 overrides)
        with _sigterm_as_interrupt(), progress_lines(getattr(args, "progress", None)):
            return int(args.func(args) or 0)
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly, as Unix tools do
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        hint = "; the chunks written so far are kept: rerun the same command to resume" if args.command == "map" else ""
        print(f"lqmodel {args.command}: {what}{hint}", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except Exception as exc:
        if _broken_pool(exc):  # a worker process died (killed, out of memory): say so in one line
            exc = WorkerError(f"a worker process died ({_one_line(exc)}); the chunks already written are "
                              "kept: rerun the same command to resume")
        if args.debug or not _user_error(exc):
            raise
        print(f"lqmodel {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
