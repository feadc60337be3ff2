"""The ``lqmodel`` command line.

Each sub-command lives in its own module of this package, which defines ``register(subparsers)``
(adding an argparse sub-parser whose ``func`` default is the command's ``run(args) -> int``). Modules
must be light to import: heavy work (flavio, sympy) is imported inside ``run``.

Errors a user can cause (bad files, bad values, unknown names) exit with status 2 and a one-line message
on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

__all__ = ["main", "CLIError", "COMMANDS"]

#: sub-command name -> module implementing it (``register`` + ``run``)
COMMANDS: dict[str, str] = {
    "point": "lqmodel.cli.point",
    "export": "lqmodel.cli.export",
    "dd-fit": "lqmodel.cli.ddfit",
    "map": "lqmodel.cli.map",
}


class CLIError(Exception):
    """An error caused by the user's input; printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    from lqmodel import __version__

    parser = argparse.ArgumentParser(
        prog="lqmodel",
        description="Leptoquark model building in the neutrino magnetic moment portal "
        "(S1 + R2~ + N_R). Units: GeV, Bohr magnetons (mu_B), keV for recoil energies.",
    )
    parser.add_argument("--version", action="version", version=f"lqmodel {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for modname in COMMANDS.values():
        if importlib.util.find_spec(modname) is None:  # pragma: no cover - during development only
            continue
        importlib.import_module(modname).register(sub)
    return parser


def _one_line(exc: BaseException) -> str:
    msg = exc.args[0] if (isinstance(exc, KeyError) and exc.args) else str(exc)
    return " ".join(str(msg).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lqmodel`` script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly, as Unix tools do
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (CLIError, ValueError, KeyError, TypeError, OSError) as exc:
        print(f"lqmodel {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"lqmodel {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
