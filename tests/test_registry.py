"""observables.registry: names, metadata and every flavio / WCxf name checked against flavio 2.7.1 and
wilson 2.5.2 (independent reference: the installed packages' own name tables)."""
from __future__ import annotations

import pytest

from observables.registry import OBSERVABLES, all_wc_names, get

REQUIRED = ["R_D", "R_Dstar", "R_K[0.1,1.1]", "R_K[1.1,6.0]", "R_Kstar[0.1,1.1]", "R_Kstar[1.1,6.0]",
            "Delta_a_mu", "BR_B+_Knunu", "BR_B0_Kstarnunu", "BR_tau_mugamma", "DeltaM_s", "BR_Bc_taunu"]


def test_required_observables_present():
    assert set(REQUIRED) <= set(OBSERVABLES)


def test_unknown_name_lists_close_matches():
    with pytest.raises(KeyError, match="R_Dstar"):
        get("R_Dstr")
    with pytest.raises(KeyError, match="Known:"):
        get("completely-unknown")


def test_lookup_by_unique_flavio_name():
    assert get("Rtaul(B->D*lnu)").name == "R_Dstar"


def test_lhcb_2022_bins():
    assert get("R_K[0.1,1.1]").args == (0.1, 1.1)
    assert get("R_Kstar[1.1,6.0]").args == (1.1, 6.0)
    assert get("R_K[1.1,6.0]").flavio_name == "<Rmue>(B+->Kll)"
    assert get("R_Kstar[0.1,1.1]").flavio_name == "<Rmue>(B0->K*ll)"


def test_wc_names_exist_in_wilson_wet_flavio_basis():
    from wilson import wcxf

    basis = set(wcxf.Basis["WET", "flavio"].all_wcs)
    missing = [n for n in all_wc_names() if n not in basis]
    assert missing == []


def test_parts_partition_their_coefficients():
    for spec in OBSERVABLES.values():
        for part in (spec.numerator, spec.denominator):
            if part is None:
                continue
            assert set(part.wc_names) <= set(spec.wc_names)
            for t in part.terms:
                assert t.wc_names is None or set(t.wc_names) <= set(part.wc_names)


@pytest.mark.flavio
def test_flavio_names_and_arguments_exist():
    from observables.charm import TOOLKIT_QUANTITIES
    from observables.flavio_backend import _LFU_INTEGRALS, EW_QUANTITIES, _import_flavio

    flavio = _import_flavio()
    inst = flavio.classes.Observable.instances
    for spec in OBSERVABLES.values():
        if spec.flavio_name in TOOLKIT_QUANTITIES:  # the toolkit's own formula (BR(D0 -> mu mu))
            assert spec.flavio_name not in inst and not spec.args, spec.name
            continue
        assert spec.flavio_name in inst, spec.flavio_name
        expected_args = inst[spec.flavio_name].arguments or []
        assert len(spec.args) == len(expected_args), spec.name
        for part in (spec.numerator, spec.denominator):
            for t in (part.terms if part else ()):
                assert t.quantity in inst or t.quantity in _LFU_INTEGRALS or t.quantity in EW_QUANTITIES, t.quantity
