r"""The model's parameter vocabulary, in one table: names, units, kinds, LaTeX labels and conversions.

Every place that reads or shows a parameter of the S1 + R2~ + N_R model uses this table:
:func:`lqmodel.point.vary` (what can be varied), point files (:mod:`lqmodel.pointfile`), scan
configurations (:mod:`lqmodel.scan.config`: names, units, range rules) and plots
(:mod:`lqmodel.plotting.maps`: axis labels, displayed units). It also holds the lepton flavour names, the
sterile-mass unit conversion keV <-> GeV, and the one "did you mean" helper of the package's error
messages. (Named ``vocabulary``, not ``parameters``: :mod:`observables.parameters` and
:mod:`lqmodel.constants` already mean the *physical constants*; this module is about the model's
*input names*.) It imports nothing of lqmodel but :mod:`lqmodel.errors`, so any module may use it.

Kinds (:attr:`Parameter.kind`): ``"mass"`` (strictly positive, GeV), ``"nonnegative_mass"`` (M_N),
``"coupling"`` (dimensionless Yukawa; perturbativity bound :math:`\sqrt{4\pi}` on plots),
``"coupling_product"`` (y1 y2; bound :math:`4\pi`), ``"trilinear"`` (kappa, GeV, any sign),
``"ratio"`` (delta_m2 > -1).

Adding a parameter: one :class:`Parameter` row in :data:`PARAMETERS` (``field`` says which Point field it
sets; ``scale`` converts its unit to the field's), plus, if it is a shorthand that sets several fields,
its expansion in :func:`lqmodel.point.vary` or :func:`lqmodel.scan.config.to_assignments`.

>>> PARAMETERS["M_N_keV"].to_field(2.0), PARAMETERS["M_N"].display(1e-6)
(2e-06, 1.0)
>>> parse_matrix_entry("y_LL[2, 1]")
('y_LL', 2, 1)
>>> did_you_mean("m_lq", ["m_LQ", "kappa"])
" Did you mean 'm_LQ'?"
>>> did_you_mean("chunk_sise", ["chunk_size", "seed"], style="paren")
" (did you mean 'chunk_size'?)"
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "LEPTONS", "LEPTON_INDEX", "LEPTON_LATEX", "KEV_PER_GEV", "keV_to_GeV", "GeV_to_keV", "Parameter",
    "PARAMETERS", "MatrixField", "MATRIX_FIELDS", "QUARK_MATRIX_FIELDS", "LEPTON_MATRIX_FIELDS",
    "SCALAR_FIELDS", "SHORTHAND", "POINT_SHORTHAND", "parse_matrix_entry", "matrix_entry_name", "unit",
    "latex_label", "display_value", "is_coupling", "did_you_mean", "M_B_SCHEMES", "QUARK_BASES",
    "N_TYPES", "MODELS",
]

#: lepton flavour names, in matrix-index order (second index of the LQ couplings, first of y_nu)
LEPTONS: tuple[str, ...] = ("e", "mu", "tau")
LEPTON_INDEX: Mapping[str, int] = {name: i for i, name in enumerate(LEPTONS)}
#: mathtext of each flavour
LEPTON_LATEX: Mapping[str, str] = {"e": "e", "mu": r"\mu", "tau": r"\tau"}

#: the sterile mass is GeV in a Point and keV at the direct-detection boundary (``M_N_keV``, ``--m-N``)
KEV_PER_GEV: float = 1e6

#: m_b scheme -> name of its reference value in observables/data/parameters.yaml (None: user-given value)
M_B_SCHEMES: Mapping[str, str | None] = {
    "MSbar(mb)": "m_b_MSbar",
    "MSbar(1TeV)": "m_b_MSbar_1TeV",
    "pole": "m_b_pole",
    "custom": None,
}
QUARK_BASES: tuple[str, ...] = ("down", "up")
N_TYPES: tuple[str, ...] = ("dirac", "majorana")
#: model tags: "general" (any matrices), "s1" (no R2~ couplings), "voloshin" (SU(2)_H relation of §a.4)
MODELS: tuple[str, ...] = ("general", "s1", "voloshin")


def keV_to_GeV(m_keV):
    """Sterile mass keV -> GeV (numbers or arrays): ``m / 1e6`` (point files, the CLI's ``--m-N``). Scan
    configurations convert ``M_N_keV`` with :meth:`Parameter.to_field`, ``m * 1e-6``, which can differ by
    one ulp; both are kept bit for bit so that stored point files and scan tables do not change."""
    return m_keV / KEV_PER_GEV


def GeV_to_keV(m_GeV):
    """Sterile mass GeV -> keV (numbers or arrays): ``m * 1e6``."""
    return m_GeV * KEV_PER_GEV


@dataclass(frozen=True)
class Parameter:
    """One named model parameter.

    ``unit``: the unit the name is given in ("1" = dimensionless); ``kind``: see the module docstring;
    ``latex``: mathtext symbol (no unit); ``field``: the Point field it sets (itself for a field, None for
    shorthand expanded elsewhere); ``scale``: field value = ``scale`` × given value; ``display_unit`` /
    ``display_scale``: the unit plots show (value on the axis = ``display_scale`` × value in ``unit``);
    ``point_field``: a :class:`~lqmodel.point.Point` field; ``scan_only``: understood by scan/fit configs
    (and point files) but not by :func:`lqmodel.point.vary`."""

    name: str
    unit: str
    kind: str
    latex: str
    field: str | None = None
    scale: float = 1.0
    display_unit: str | None = None
    display_scale: float = 1.0
    point_field: bool = False
    scan_only: bool = False
    doc: str = ""

    def to_field(self, value):
        """The value in the unit of the Point field it sets (``M_N_keV`` -> GeV)."""
        return value * self.scale if self.scale != 1.0 else value

    def display(self, value):
        """The value in the unit plots show (LQ masses in TeV, M_N in keV)."""
        if self.display_scale == 1.0:
            return value
        # GeV -> TeV as a division by 1000 (bit-identical to the plots' former v / 1e3)
        return value / (1.0 / self.display_scale) if self.display_scale < 1.0 else value * self.display_scale

    @property
    def axis_label(self) -> str:
        """``$symbol$ [unit]`` (no unit for dimensionless parameters)."""
        u = self.display_unit or self.unit
        return f"${self.latex}$" + (f" [{u}]" if u not in ("1", "") else "")


def _p(name, unit, kind, latex, **kw) -> tuple[str, Parameter]:
    return name, Parameter(name, unit, kind, latex, **kw)


#: every scalar parameter name (Point fields first, then the shorthand), in the order messages list them
PARAMETERS: Mapping[str, Parameter] = dict((
    _p("m_S1", "GeV", "mass", r"m_{S_1}", field="m_S1", point_field=True, display_unit="TeV", display_scale=1e-3),
    _p("m_R2", "GeV", "mass", r"m_{\tilde R_2^{-1/3}}", field="m_R2", point_field=True, display_unit="TeV",
       display_scale=1e-3),
    _p("m_R2_23", "GeV", "mass", r"m_{\tilde R_2^{2/3}}", field="m_R2_23", point_field=True, display_unit="TeV",
       display_scale=1e-3),
    _p("m_b", "GeV", "mass", r"m_b", field="m_b", point_field=True),
    _p("M_N", "GeV", "nonnegative_mass", r"M_N", field="M_N", point_field=True, display_unit="keV",
       display_scale=KEV_PER_GEV),
    _p("kappa", "GeV", "trilinear", r"\kappa", field="kappa", point_field=True),
    _p("m_LQ", "GeV", "mass", r"m_{\rm LQ}", display_unit="TeV", display_scale=1e-3,
       doc="m_S1 = m_R2 (= m_R2_23 when set)"),
    _p("y1", "1", "coupling", r"y_1", doc="ybar_RR[b, N1] (and, Voloshin, yt_RL[b, lepton] = -conj(y1))"),
    _p("y2", "1", "coupling", r"y_2", doc="y_LL[b, lepton] (and, Voloshin, yt_LR[b, N1] = -conj(y2))"),
    _p("y1p", "1", "coupling", r"y_1'", doc="y_RR[t, lepton]"),
    _p("y1y2", "1", "coupling_product", r"y_1 y_2", scan_only=True,
       doc="the product y1 y2 (split by y1_over_y2, lqmodel.scan.config.to_assignments)"),
    _p("M_N_keV", "keV", "nonnegative_mass", r"M_N", field="M_N", scale=1.0 / KEV_PER_GEV, scan_only=True),
    _p("delta_m2", "1", "ratio", r"\delta = m_{\tilde R_2}^2/m_{S_1}^2 - 1",
       doc="m_R2 = m_S1 sqrt(1 + delta), delta > -1"),
))


@dataclass(frozen=True)
class MatrixField:
    """A coupling matrix of a Point: ``rows``/``cols`` name its indices, ``latex`` its symbol."""

    name: str
    latex: str
    rows: str = "quark"
    cols: str = "lepton/N"


#: the coupling matrices of a Point, in field order
MATRIX_FIELDS: Mapping[str, MatrixField] = {
    "y_LL": MatrixField("y_LL", "y^{LL}"),
    "y_RR": MatrixField("y_RR", "y^{RR}"),
    "ybar_RR": MatrixField("ybar_RR", r"\bar y^{RR}"),
    "yt_RL": MatrixField("yt_RL", r"\tilde y^{RL}"),
    "yt_LR": MatrixField("yt_LR", r"\tilde y^{LR}"),
    "y_nu": MatrixField("y_nu", r"y_\nu", rows="lepton", cols="N"),
}
#: the leptoquark coupling matrices [quark, lepton/N]
QUARK_MATRIX_FIELDS: tuple[str, ...] = tuple(n for n, m in MATRIX_FIELDS.items() if m.rows == "quark")
#: coupling matrices without a quark index: the tree-level Dirac Yukawa y_nu [lepton, N]
LEPTON_MATRIX_FIELDS: tuple[str, ...] = tuple(n for n, m in MATRIX_FIELDS.items() if m.rows != "quark")
#: scalar Point fields
SCALAR_FIELDS: tuple[str, ...] = tuple(n for n, p in PARAMETERS.items() if p.point_field)
#: shorthand names (not Point fields): those of vary (POINT_SHORTHAND) and the scan-only ones
SHORTHAND: tuple[str, ...] = tuple(n for n, p in PARAMETERS.items() if not p.point_field)
POINT_SHORTHAND: tuple[str, ...] = tuple(n for n in SHORTHAND if not PARAMETERS[n].scan_only)

_MATRIX_ENTRY = re.compile(r"^(" + "|".join(MATRIX_FIELDS) + r")\[(-?\d+),(-?\d+)\]$")


def parse_matrix_entry(name: str) -> tuple[str, int, int] | None:
    """``"y_LL[2, 1]"`` -> ``("y_LL", 2, 1)`` (spaces ignored; indices 0-based, not range-checked);
    None if ``name`` is not a matrix entry."""
    m = _MATRIX_ENTRY.match(name.replace(" ", "")) if isinstance(name, str) else None
    return None if m is None else (m.group(1), int(m.group(2)), int(m.group(3)))


def matrix_entry_name(field: str, i: int, j: int) -> str:
    """Canonical name of a matrix entry: ``y_LL[2,1]``."""
    return f"{field}[{i},{j}]"


def _known(name: str) -> Parameter | tuple[str, int, int] | None:
    if name in PARAMETERS:
        return PARAMETERS[name]
    return parse_matrix_entry(name)


def unit(name: str) -> str:
    """Unit of a parameter name ("1" for couplings and matrix entries); KeyError for unknown names.

    >>> unit("m_LQ"), unit("M_N_keV"), unit("yt_LR[2,0]")
    ('GeV', 'keV', '1')
    """
    p = _known(name)
    if p is None:
        raise KeyError(f"unknown parameter {name!r}")
    return p.unit if isinstance(p, Parameter) else "1"


def latex_label(name: str) -> str | None:
    """Axis label with its displayed unit (``$m_{\\rm LQ}$ [TeV]``, ``$y^{LL}_{21}$``), None if unknown."""
    p = _known(name)
    if p is None:
        return None
    if isinstance(p, Parameter):
        return p.axis_label
    field, i, j = p
    return f"${MATRIX_FIELDS[field].latex}_{{{i}{j}}}$"


def display_value(name: str, value):
    """A value of ``name`` (given in :func:`unit`) in the unit plots show (TeV, keV); unknown names as is."""
    p = PARAMETERS.get(name)
    return value if p is None else p.display(value)


def is_coupling(name: str) -> str | None:
    """"coupling" for a coupling (shorthand or matrix entry), "coupling_product" for y1 y2, else None."""
    p = PARAMETERS.get(name)
    if p is not None:
        return p.kind if p.kind in ("coupling", "coupling_product") else None
    return "coupling" if parse_matrix_entry(name) is not None else None


def did_you_mean(name: object, choices: Iterable[object], *, style: str = "sentence") -> str:
    """The "did you mean" hint of an error message: case/space slips first, then up to three close
    matches (:func:`difflib.get_close_matches`, cutoff 0.5); ``""`` when nothing is close.

    ``style="sentence"``: ``" Did you mean 'a' or 'b'?"``; ``style="paren"``: ``" (did you mean 'a', 'b'?)"``.
    A huge input is compared by its first 100 characters only.
    """
    opts = [str(c) for c in choices]
    text = str(name)[:100]
    folded = text.strip().lower()
    exact = [c for c in opts if c.lower() == folded]
    close = (exact + [c for c in difflib.get_close_matches(text, opts, n=3, cutoff=0.5) if c not in exact])[:3]
    if not close:
        return ""
    if style == "paren":
        return f" (did you mean {', '.join(repr(c) for c in close)}?)"
    return f" Did you mean {' or '.join(repr(c) for c in close)}?"
