r"""The column schema of a scan table: every column :class:`lqmodel.evaluate.PointEvaluator` writes, with
its unit, meaning, the evaluator step that makes it and the map layers that draw it.

One table for the evaluator and the plots (:mod:`lqmodel.plotting.maps`): a map layer names the columns it
needs here (:data:`MAP_LAYERS`), so renaming a column is an error in the tests and at plot time, not a
layer silently missing from every map. Names are templates with placeholders (their values come from the
modules that define them, read lazily):

=============  =========================================================================
``{lepton}``   e, mu, tau (:data:`lqmodel.vocabulary.LEPTONS`)
``{obs}``      a toolkit observable name (:data:`observables.registry.OBSERVABLES`)
``{group}``    a constraint-group slug (:func:`observables.registry.group_slug` of ``GROUPS``)
``{field}``    a leptoquark component key (:data:`lqmodel.collider.summary.FIELD_KEYS`)
``{channel}``  a decay channel of that field (``BR_COLUMN_CHANNELS``, spaces -> ``_``)
``{search}``   a Drell-Yan search (:data:`observables.collider.drell_yan.SEARCHES`)
=============  =========================================================================

Adding a column: a :class:`Column` row in :data:`COLUMNS` (and the step that computes it in
``lqmodel.evaluate``); a column a map draws also goes into the layer's entry of :data:`MAP_LAYERS` and the
layer's drawing function in :mod:`lqmodel.plotting.maps`. ``tests/test_vocabulary.py`` checks that a real
evaluation writes only schema columns and that every layer's columns are written.

>>> find("mu_tau_N1_muB").unit, find("dchi2_group_b_s_ll").step
('mu_B', 'flavour')
>>> find("no_such_column") is None
True
>>> layer_columns("xenonnt", lepton="mu")
('mu_mu_N1_muB', 'xenonnt_limit_muB')
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache

from lqmodel.errors import InputError

__all__ = ["Column", "COLUMNS", "MapLayer", "MAP_LAYERS", "STEPS", "find", "layer_columns", "expected_layers",
           "MissingColumnError", "placeholder_values"]

#: evaluator steps (PointEvaluator options that switch them on; "moments" and "verdict" always run)
STEPS: Mapping[str, str | None] = {
    "moments": None, "flavour": "observables", "neutrino": "neutrino", "collider": "collider",
    "neutrino_mass": "neutrino_mass", "verdict": None,
}


class MissingColumnError(InputError, KeyError):
    """A map layer needs a column the table does not have (the message names the layer and the column)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Column:
    """One column (or family of columns, ``name`` with placeholders) of a scan table."""

    name: str
    unit: str
    meaning: str
    step: str


def _c(name: str, unit: str, meaning: str, step: str) -> Column:
    return Column(name, unit, meaning, step)


#: every column the evaluator writes (units as in :attr:`lqmodel.evaluate.PointEvaluator.units`;
#: "" = boolean or text, "1" = dimensionless number)
COLUMNS: tuple[Column, ...] = (
    _c("mu_{lepton}_N1_muB", "mu_B", "|mu_{alpha N_1}|, transition magnetic moment", "moments"),
    _c("m_nuN_{lepton}_N1_GeV", "GeV", "|m_{nu_alpha N_1}| radiative Dirac mass (NaN: UV-divergent)", "moments"),
    _c("{obs}", "(spec)", "flavour prediction (unit of the registry spec)", "flavour"),
    _c("chi2_{obs}", "1", "chi2 of one observable (lqmodel.flavour.chi2)", "flavour"),
    _c("dchi2_{obs}", "1", "chi2 - chi2_SM of one observable", "flavour"),
    _c("chi2_total", "1", "chi2 of all flavour observables", "flavour"),
    _c("dchi2_total", "1", "chi2 - chi2_SM of all flavour observables", "flavour"),
    _c("chi2_group_{group}", "1", "chi2 of one constraint group", "flavour"),
    _c("dchi2_group_{group}", "1", "chi2 - chi2_SM of one constraint group", "flavour"),
    _c("excluded_{group}", "", "Delta chi2 of the group > flavour_delta_chi2_max", "flavour"),
    _c("flavour_allowed", "", "Delta chi2_total <= flavour_delta_chi2_max", "flavour"),
    _c("xenon1t_low_muB", "mu_B", "XENON1T-level band, lower edge at this M_N (cl)", "neutrino"),
    _c("xenon1t_high_muB", "mu_B", "XENON1T-level band, upper edge at this M_N (cl)", "neutrino"),
    _c("in_xenon1t_band", "", "two-sided band and low <= mu <= high", "neutrino"),
    _c("xenonnt_limit_muB", "mu_B", "XENONnT upper limit at this M_N (cl)", "neutrino"),
    _c("excluded_xenonnt", "", "mu > xenonnt_limit_muB", "neutrino"),
    _c("limit_muB", "mu_B", "strongest applicable published limit, any kind", "neutrino"),
    _c("limit_name", "", "its name", "neutrino"),
    _c("lab_limit_muB", "mu_B", "strongest applicable laboratory limit", "neutrino"),
    _c("lab_limit_name", "", "its name", "neutrino"),
    _c("excluded_by_limit", "", "excluded by any applicable published limit", "neutrino"),
    _c("width_{field}_GeV", "GeV", "total tree-level width", "collider"),
    _c("Gamma_over_m_{field}", "", "width over mass", "collider"),
    _c("BR_{field}_{channel}", "", "branching ratio", "collider"),
    _c("m_limit_pair_{field}_GeV", "GeV", "strongest pair-production mass limit recast to the BRs", "collider"),
    _c("pair_channel_{field}", "", "final state of that limit", "collider"),
    _c("excluded_pair_{field}", "", "pair-production verdict of one field", "collider"),
    _c("broad_width", "", "some Gamma/m > 0.1", "collider"),
    _c("pair_margin", "", "max over fields of log10(m_limit/m) (> 0: excluded)", "collider"),
    _c("excluded_pair", "", "excluded by pair production (any field)", "collider"),
    _c("dchi2_dy_{search}", "", "Delta chi2 of one Drell-Yan search", "collider"),
    _c("excluded_drell_yan", "", "any Drell-Yan search excludes", "collider"),
    _c("excluded_collider", "", "any LHC exclusion", "collider"),
    _c("tuning", "1", "fine tuning Delta = |m_loop|/m_D_max", "neutrino_mass"),
    _c("tuning_S1_same_mu", "1", "Delta of S1 alone at the same mu", "neutrino_mass"),
    _c("m_D_max_eV", "eV", "largest allowed |m_D| at this M_N", "neutrino_mass"),
    _c("m_loop_N1_eV", "eV", "|one-loop m_nuN1| (MSbar where divergent)", "neutrino_mass"),
    _c("m_light_max_eV", "eV", "heaviest light mass of the exact spectrum", "neutrino_mass"),
    _c("M_heavy_eV", "eV", "sterile-like state", "neutrino_mass"),
    _c("uv_divergent_loop", "", "loop mass UV-divergent: MSbar(mu = m_LQ)", "neutrino_mass"),
    _c("nu_mass_allowed", "", "the spectrum passes the light-mass and |U|^2 bounds", "neutrino_mass"),
    _c("m_D_{lepton}_N1_eV", "eV", "|y_nu v/sqrt2 + m_nuN| (total Dirac mass)", "neutrino_mass"),
    _c("U2_{lepton}_N1", "1", "|U_{alpha N_1}|^2", "neutrino_mass"),
    _c("viable", "", "passes every verdict", "verdict"),
    _c("verdict", "", "'viable' or the reasons", "verdict"),
)


@dataclass(frozen=True)
class MapLayer:
    """A layer of the coupling map: ``requires`` (column templates, all needed), ``optional`` (used when
    there), ``triggers`` (any present in a table -> the layer is drawn, and then every required column must
    be there; default: the required ones without ``{lepton}``), ``step``: the evaluator step that writes its
    columns; ``per_group``: one instance per constraint group (``{group}``)."""

    name: str
    requires: tuple[str, ...]
    step: str
    optional: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    per_group: bool = False
    doc: str = ""
    #: required column -> a column older tables have instead (accepted when the layers are not given)
    alternatives: Mapping[str, str] = field(default_factory=dict)
    #: drawn only when every trigger column is there (default: any)
    trigger_all: bool = False

    def trigger_columns(self) -> tuple[str, ...]:
        return self.triggers or tuple(c for c in self.requires if "{lepton}" not in c)


_MU = "mu_{lepton}_N1_muB"
#: the map layers, in drawing order (their functions: lqmodel.plotting.maps.LAYER_FUNCTIONS)
MAP_LAYERS: Mapping[str, MapLayer] = {ly.name: ly for ly in (
    MapLayer("rd", ("chi2_R_Dstar",), "flavour", optional=("chi2_R_D",),
             doc="R(D)-R(D*) 1 and 2 sigma regions (2 dof with both, 1 dof with R(D*) alone)"),
    MapLayer("xenon1t_band", (_MU, "xenon1t_low_muB", "xenon1t_high_muB"), "neutrino",
             triggers=("xenon1t_low_muB", "xenon1t_high_muB"), doc="XENON1T-level band (+- m_b scheme)"),
    MapLayer("flavour_total", ("dchi2_total",), "flavour", doc="all flavour observables, Delta chi2 > 4"),
    MapLayer("flavour_groups", ("dchi2_group_{group}",), "flavour", optional=("excluded_{group}",),
             triggers=("dchi2_group_{group}", "excluded_{group}"), per_group=True,
             doc="one hatched exclusion per constraint group"),
    MapLayer("flavour_observables", (), "flavour",
             optional=("dchi2_{obs}",), doc="tables without group columns: R_K(*), (g-2)_mu, B->K(*)nunu"),
    MapLayer("xenonnt", (_MU, "xenonnt_limit_muB"), "neutrino", doc="mu > XENONnT limit"),
    MapLayer("lab_limit", (_MU, "lab_limit_muB"), "neutrino", optional=("lab_limit_name",),
             triggers=("lab_limit_muB", "limit_muB"), alternatives={"lab_limit_muB": "limit_muB"},
             doc="strongest laboratory limit (tables without it: limit_muB)"),
    MapLayer("strongest_limit", (_MU, "limit_muB", "lab_limit_muB"), "neutrino", optional=("limit_name",),
             triggers=("limit_muB", "lab_limit_muB"), trigger_all=True,
             doc="strongest bound of any kind, shaded with a dash-dotted edge"),
    MapLayer("lhc_pair", ("pair_margin",), "collider", optional=("excluded_pair",),
             triggers=("pair_margin", "excluded_pair"), alternatives={"pair_margin": "excluded_pair"},
             doc="LHC pair production"),
    MapLayer("lhc_drell_yan", ("excluded_drell_yan",), "collider", doc="LHC Drell-Yan"),
    MapLayer("mu_isolines", (_MU,), "moments", triggers=(_MU,), doc="iso-lines of |mu|"),
    MapLayer("tuning", ("tuning",), "neutrino_mass", doc="contours of the fine tuning Delta"),
    MapLayer("tuning_s1", ("tuning_S1_same_mu",), "neutrino_mass", doc="Delta of S1 alone (dashed)"),
    MapLayer("viable", ("viable",), "verdict", doc="'no point survives' when nothing is viable"),
)}


@lru_cache(maxsize=1)
def placeholder_values() -> dict[str, tuple[str, ...]]:
    """The values of each placeholder (read from the modules that define them)."""
    from lqmodel.collider.summary import BR_COLUMN_CHANNELS, FIELD_KEYS
    from lqmodel.vocabulary import LEPTONS
    from observables.collider.drell_yan import SEARCHES
    from observables.registry import GROUPS, OBSERVABLES, group_slug

    channels = tuple(sorted({c.replace(" ", "_") for chs in BR_COLUMN_CHANNELS.values() for c in chs}))
    return {"lepton": LEPTONS, "obs": tuple(OBSERVABLES), "group": tuple(group_slug(g) for g in GROUPS),
            "field": tuple(FIELD_KEYS.values()), "channel": channels, "search": tuple(SEARCHES)}


@cache
def _regex(template: str) -> re.Pattern:
    values = placeholder_values()
    parts = re.split(r"(\{\w+\})", template)
    rx = "".join(
        f"(?P<{p[1:-1]}>{'|'.join(re.escape(v) for v in sorted(values[p[1:-1]], key=len, reverse=True))})"
        if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{rx}$")


def find(name: str) -> Column | None:
    """The schema entry of a column name (None if the schema does not know it). Exact names win over
    templates; ``{obs}`` alone matches only registry names."""
    for c in COLUMNS:
        if "{" not in c.name and c.name == name:
            return c
    for c in COLUMNS:
        if "{" in c.name and _regex(c.name).match(name):
            return c
    return None


def layer_columns(layer: str, *, lepton: str | None = None, group: str | None = None,
                  optional: bool = False) -> tuple[str, ...]:
    """The column names a layer requires (``optional=True``: its optional ones), placeholders filled."""
    spec = MAP_LAYERS[layer]
    out = []
    for t in (spec.optional if optional else spec.requires):
        if "{lepton}" in t:
            if lepton is None:
                continue
            t = t.replace("{lepton}", lepton)
        if "{group}" in t:
            if group is None:
                continue
            t = t.replace("{group}", group)
        out.append(t)
    return tuple(out)


def expected_layers(evaluator) -> tuple[str, ...]:
    """The layers a table of ``evaluator`` (a :class:`~lqmodel.evaluate.PointEvaluator`) must be able to
    draw: those whose step it runs (the R(D) region when it evaluates R_Dstar; the per-observable
    fallback layer never, its tables have group columns)."""
    out = []
    for name, ly in MAP_LAYERS.items():
        flag = STEPS[ly.step]
        if flag == "observables":
            if evaluator.observables is None or name == "flavour_observables":
                continue
            if name == "rd" and "R_Dstar" not in evaluator.observable_names():
                continue
        elif flag is not None and not getattr(evaluator, flag):
            continue
        out.append(name)
    return tuple(out)


def unknown_columns(names: Iterable[str]) -> list[str]:
    """The names the schema does not describe."""
    return [n for n in names if find(n) is None]
