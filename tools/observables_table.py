"""Regenerate the table of docs/observables.md from observables.registry and the default measurement vintage.

Run: ``python tools/observables_table.py`` (rewrites the part of docs/observables.md between the markers
``<!-- table -->`` and ``<!-- /table -->``; tests/test_groups.py checks that every registered observable is in it).
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "observables.md"
START, END = "<!-- table -->", "<!-- /table -->"


def table() -> str:
    from observables.measurements import load
    from observables.registry import OBSERVABLES

    m = load()
    rows = ["| toolkit name | flavio name | group | route | measurement (" + m.vintage + ") | source |",
            "|---|---|---|---|---|---|"]
    for s in OBSERVABLES.values():
        basis = getattr(s, "basis", "WET")
        route = f"surrogate ({s.form})" + ("" if basis in ("", "WET", None) else f", {basis} (Warsaw) coefficients")
        try:
            c = m.constraint_for(s.name)
        except KeyError:
            meas, src = "— (prediction only)", s.citation
        else:
            if c.kind == "upper_limit":
                meas = f"< {c.limit:g} ({round(c.cl * 100)}% CL)"
            else:
                i = c.observables.index(s.name)
                meas = f"{c.values[i]:.4g} ± {c.uncertainties[i]:.2g}"
            src = c.source.split(";")[0]
        fl = s.flavio_name + (f" {list(s.args)}" if s.args else "")
        rows.append(f"| `{s.name}` | `{fl}` | {s.group} | {route} | {meas} | {src.replace('|', '/')} |")
    return "\n".join(rows)


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(head + START + "\n" + table() + "\n" + END + tail, encoding="utf-8")


if __name__ == "__main__":
    main()
