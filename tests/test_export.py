"""Export of derived expressions: LaTeX, Python/numpy, C (compiled with the system cc), Fortran, JSON;
and the `lqmodel export` command (through lqmodel.cli.main and once via a subprocess).

The reference value of every exported function is the sympy expression evaluated by mpmath (sp.N),
an evaluation path independent of the generated source.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

from loops import export
from lqmodel import derivation
from lqmodel.cli import main

# physical values for every symbol the registry uses
VALUES = {
    "m_b": 4.18, "m_S1": 1000.0, "m_R2": 1100.0, "m_LQ": 1500.0, "m_e": 0.51099895e-3, "m_t": 172.57,
    "m_mu": 0.1056583755, "c_S": 0.05, "c_R": 0.045, "c": 0.05, "l": 0.3, "r": -0.2, "delta": 1e-3,
    "Delta": 0.0, "mu": 91.1876, "x": 1.7e-5,
}
NAMES = sorted(derivation.list_expressions())


def _reference(expr: sp.Expr) -> float:
    subs = {s: sp.Float(VALUES[s.name], 30) for s in expr.free_symbols}
    return float(sp.N(expr.subs(subs), 30))


@pytest.mark.parametrize("name", NAMES)
def test_python_export_evaluates_like_sympy(name):
    expr = derivation.expression(name)
    src = export.to_python(expr, name)
    ns: dict = {}
    exec(compile(src, f"<export {name}>", "exec"), ns)
    args = [VALUES[a.name] for a in export.arguments(expr)]
    assert float(ns[name](*args)) == pytest.approx(_reference(expr), rel=1e-12)


def test_python_export_is_vectorised():
    expr = derivation.expression("mu_nu_voloshin")
    ns: dict = {}
    exec(export.to_python(expr, "f"), ns)
    m = np.geomspace(500.0, 5e4, 7)
    out = ns["f"](0.05, m, 4.18, 0.51099895e-3)
    assert out.shape == (7,) and np.all(np.diff(out) < 0)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no system C compiler")
def test_c_export_compiles_and_agrees(tmp_path):
    names = list(NAMES)
    exprs = {n: derivation.expression(n) for n in names}
    sources, calls = [], []
    for n, e in exprs.items():
        code = export.to_c(e, n)
        sources.append(code.replace("#include <math.h>\n", ""))
        args = ", ".join(repr(VALUES[a.name]) for a in export.arguments(e))
        calls.append(f'   printf("%s %.17g\\n", "{n}", {n}({args}));')
    prog = ("#include <math.h>\n#include <stdio.h>\n" + "\n".join(sources)
            + "\nint main(void) {\n" + "\n".join(calls) + "\n   return 0;\n}\n")
    (tmp_path / "t.c").write_text(prog)
    subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", "-O0", "-o", str(tmp_path / "t"), str(tmp_path / "t.c"),
                    "-lm"], check=True, capture_output=True)
    out = subprocess.run([str(tmp_path / "t")], check=True, capture_output=True, text=True).stdout
    got = {line.split()[0]: float(line.split()[1]) for line in out.splitlines()}
    for n, e in exprs.items():
        assert got[n] == pytest.approx(_reference(e), rel=1e-12), n


def test_fortran_export_structure():
    src = export.to_fortran(derivation.expression("m_nuN_symmetric"), "mnun")
    lines = src.splitlines()
    assert lines[1].startswith("real(8) function mnun(c, m_R2, m_S1, m_b)")
    assert "implicit none" in src and "real(8), parameter :: pi = 3.1415926535897932d0" in src
    assert lines[-1] == "end function mnun"
    assert "parameter (" not in src  # the sympy form would be rejected under implicit none
    with pytest.raises(ValueError, match="case-insensitive"):
        x, X = sp.Symbol("x"), sp.Symbol("X")
        export.to_fortran(x + X, "f")


@pytest.mark.skipif(shutil.which("gfortran") is None, reason="no Fortran compiler")
def test_fortran_export_compiles(tmp_path):  # pragma: no cover - gfortran is absent on the CI machine
    e = derivation.expression("mu_nu_voloshin")
    src = export.to_fortran(e, "mu") + (
        "program t\n   real(8) :: mu\n   print '(es25.17)', mu(0.05d0, 1500d0, 4.18d0, 0.51099895d-3)\nend program t\n"
    )
    (tmp_path / "t.f90").write_text(src)
    subprocess.run(["gfortran", "-o", str(tmp_path / "t"), str(tmp_path / "t.f90")], check=True)
    out = subprocess.run([str(tmp_path / "t")], check=True, capture_output=True, text=True).stdout
    assert float(out) == pytest.approx(_reference(e), rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_json_round_trip_is_exact(name):
    expr = derivation.expression(name)
    text = export.to_json(expr, name)
    assert export.from_json(text) == expr
    payload = json.loads(text)
    assert payload["arguments"] == [a.name for a in export.arguments(expr)]


def test_latex_and_errors():
    assert "\\log" in export.to_latex(derivation.expression("g"))
    with pytest.raises(ValueError, match="unknown export format"):
        export.export(derivation.expression("g"), "rust")
    with pytest.raises(ValueError, match="real expressions only"):
        export.to_c(sp.I * sp.Symbol("x"), "f")
    with pytest.raises(ValueError, match="not a valid identifier"):
        export.to_c(sp.Symbol("x"), "2f")
    with pytest.raises(ValueError, match="not an lqmodel/loops JSON"):
        export.from_json("{}")


def test_cli_export_formats(capsys):
    for fmt in ("latex", "python", "c", "fortran", "json"):
        assert main(["export", "mu_nu", "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert out.strip()
    assert main(["export", "mu_nu", "-f", "json"]) == 0
    assert export.from_json(capsys.readouterr().out) == derivation.expression("mu_nu")
    assert main(["export", "--list"]) == 0
    assert "mu_nu_voloshin" in capsys.readouterr().out


def test_cli_unknown_expression_one_line_exit_2(capsys):
    assert main(["export", "mu_nu_volshin", "--format", "c"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "mu_nu_voloshin" in err and "Traceback" not in err


def test_cli_subprocess():
    r = subprocess.run([sys.executable, "-m", "lqmodel", "export", "g", "--format", "c"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "double g(double x)" in r.stdout
    r = subprocess.run([sys.executable, "-m", "lqmodel", "export", "nope"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "unknown expression" in r.stderr
