r"""``lqmodel export EXPRESSION --format latex|python|c|fortran|json``: print a derived expression.

EXPRESSION is one of the named expressions of :mod:`lqmodel.derivation` (``lqmodel export --list``
prints them with one-line descriptions). LaTeX (and the JSON ``latex`` field) is the paper form: an
``aligned`` block with dimensionless mass ratios, named loop functions defined once by their closed
forms, ``\ln`` and roman subscripts; ``--expanded`` prints sympy's log-expanded form instead. The
generated function's arguments are the expression's symbols sorted by name (masses in GeV, moments in Bohr
magnetons; see each description). Unknown names exit with status 2 and a one-line message naming the closest matches.
"""
from __future__ import annotations

import argparse

__all__ = ["register", "run"]

_FORMATS = ("latex", "python", "c", "fortran", "json")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export",
        help="print a derived expression as LaTeX, Python/numpy, C, Fortran or JSON",
        description=__doc__.split("\n\n")[0].replace("``", ""),  # no RST markup in --help
    )
    p.add_argument("expression", nargs="?", help="name of the expression (see --list)")
    p.add_argument("--format", "-f", choices=_FORMATS, default="latex", help="output format (default: latex)")
    p.add_argument("--expanded", action="store_true",
                   help="LaTeX / JSON latex field: sympy's expanded form instead of the paper form "
                        "(ratios, named loop functions)")
    p.add_argument("--name", default=None, help="function name in generated code (default: the expression name)")
    p.add_argument("--list", action="store_true", help="list the available expressions and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lqmodel import derivation

    if args.list:
        for name, desc in derivation.list_expressions().items():
            print(f"{name:24s} {desc}")
        return 0
    from lqmodel.cli import CLIError

    if not args.expression:
        raise CLIError("missing EXPRESSION; run `lqmodel export --list` to see the available names")
    try:  # an unknown name: KeyError with close matches, a user error
        derivation.describe(args.expression)
    except KeyError as exc:
        raise CLIError(str(exc.args[0])) from None
    text = derivation.export(args.expression, args.format, function_name=args.name, expanded=args.expanded)
    print(text.rstrip("\n"))
    return 0
