"""[targets] solved before a run (analysis/design/targets.py): through the inverse core and the
one variation path, recorded as a note, and an unreachable target fails before the study."""
import copy
import json

import pytest
from typer.testing import CliRunner

import celltwin as ct
from celltwin.analysis.design.targets import with_targets
from celltwin.cli import app
from celltwin.platform.errors import UnreachableTargetError

LINE = {
    "scenario": {"name": "targets-line"},
    "materials": {"AM": "NMC811", "CA": "carbon-black", "PB": "PVDF", "solvent": "NMP"},
    "parameters": {"w_AM": {"value": 0.96, "rel_std": 0.005}, "w_CA": 0.02, "w_PB": "balance", "x_solids": 0.7,
                   "V_dot": {"value": 1000, "rel_std": 0.01}, "v_web": 1.0, "w_coat": 125, "eps_dry": 0.439,
                   "q_L": {"value": 100, "rel_std": 0.01}, "eps_min": 0.176, "gamma_c": 129},
    "targets": {"m_dry": 25, "rho_cal": 3.3, "free": ["V_dot", "q_L"]},
}


def line(**targets):
    data = copy.deepcopy(LINE)
    data["targets"].update(targets)
    return ct.Scenario.from_dict(data)


def test_no_targets_is_the_scenario_itself():
    sc = ct.Scenario.load("reference-cathode")
    assert with_targets(sc) is sc


def test_targets_are_met_and_recorded():
    sc = line()
    solved = with_targets(sc)
    got = solved.build_chain().evaluate(solved.nominal())
    assert float(got["m_dry"]) == pytest.approx(25, rel=1e-4) and float(got["rho_cal"]) == pytest.approx(3.3, rel=1e-4)
    # moved through Scenario.varied: the spreads keep their size, only the nominal moved
    assert solved.uncertain["V_dot"].std == sc.uncertain["V_dot"].std
    assert solved.uncertain["V_dot"].value != sc.uncertain["V_dot"].value
    (note,) = solved.notes
    assert note["kind"] == "targets" and set(note["settings"]) == {"V_dot", "q_L"}
    assert note["message"].startswith("[targets] solved before the run: V_dot = ")
    assert sc.targets == solved.targets  # kept for to_dict


def test_bounds_are_respected():
    with pytest.raises(UnreachableTargetError, match="at its upper bound"):
        with_targets(line(free={"V_dot": [600, 900], "q_L": [50, 200]}))


def test_an_unreachable_target_fails_before_the_study_with_the_reason():
    with pytest.raises(UnreachableTargetError, match=r"rho_cal = 4\.5 g/cm\^3 is unreachable: calendering cannot "
                                                      r"compact below the minimal porosity"):
        ct.run_study(line(rho_cal=4.5), samples=20)


def test_chain_command_applies_targets(tmp_path):
    import tomli_w

    path = tmp_path / "line.toml"
    path.write_text(tomli_w.dumps(LINE))
    res = CliRunner().invoke(app, ["chain", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["m_dry"] == pytest.approx(25, rel=1e-4)
    assert "[targets] solved before the run" in res.stderr
