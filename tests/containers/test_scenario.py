"""The electrode line's scenario (containers/scenario.py): seed 004's components and chain by
default, the mass balance closed by one fraction, and the cell's current density."""
import copy
import math
from typing import Any

import numpy as np
import pytest

import celltwin as ct
from celltwin.containers.formulation import DEFAULT_COMPONENTS
from celltwin.containers.scenario import ELECTRODE_CHAIN, ElectrodeScenario
from celltwin.platform.errors import ParameterError, ScenarioError
from celltwin.platform.scenario import Scenario

BASE: dict[str, Any] = {
    "scenario": {"name": "t"},
    "parameters": {
        "w_AM": {"value": 0.94, "rel_std": 0.01}, "w_CA": 0.03, "w_PB": "balance",
        "x_solids": 0.7, "rho_AM": 4.75, "rho_CA": 1.8, "rho_PB": 1.7, "rho_solvent": 1.03,
        "V_dot": 696, "v_web": 1.0, "w_coat": 125, "eps_dry": 0.439, "q_L": 84, "eps_min": 0.176, "gamma_c": 129,
    },
}


def scenario(**changes):
    data = copy.deepcopy(BASE)
    for section, values in changes.items():
        data.setdefault(section, {}).update(values)
    return ElectrodeScenario.from_dict(data)


def test_is_the_package_scenario_and_a_platform_scenario():
    assert ct.Scenario is ElectrodeScenario and issubclass(ElectrodeScenario, Scenario)
    assert isinstance(ct.Scenario.load("reference-cathode"), ElectrodeScenario)


def test_defaults_are_seed_004s_components_and_chain():
    sc = scenario()
    assert DEFAULT_COMPONENTS == ("AM", "CA", "PB")
    assert ELECTRODE_CHAIN == ("mixing", "dispersion", "coating", "drying", "calendering")
    assert sc.components == DEFAULT_COMPONENTS and sc.chain_steps == list(ELECTRODE_CHAIN)
    assert sc.cell is None and sc.balance == "w_PB"
    assert [c.name for c in sc.containers()] == list(ELECTRODE_CHAIN)
    assert all(c.components == DEFAULT_COMPONENTS for c in sc.containers())


def test_balance_group_is_the_mass_fractions():
    assert ElectrodeScenario.balance_group(("AM", "SE", "CA", "PB")) == ["w_AM", "w_SE", "w_CA", "w_PB"]
    assert scenario().nominal()["w_PB"] == pytest.approx(1 - 0.94 - 0.03, rel=1e-12)
    with pytest.raises(ScenarioError, match='q_L = "balance" is only allowed for exactly one of w_AM, w_CA, w_PB'):
        scenario(parameters={"q_L": "balance"})
    with pytest.raises(ScenarioError, match="only allowed for exactly one of") as info:
        scenario(parameters={"w_CA": "balance"})  # and w_PB: the second one named is refused
    assert info.value.parameter == "w_PB"


def test_mass_fractions_must_sum_to_one():
    sc = scenario(parameters={"w_PB": 0.05})
    with pytest.raises(ParameterError, match="must sum to 1"):
        sc.build_chain().evaluate(sc.nominal())


def test_balance_exact_in_every_sample():
    sc = scenario(parameters={"w_CA": {"value": 0.03, "rel_std": 0.05}})
    s = sc.sample(500, seed=3)
    assert np.abs(s["w_AM"] + s["w_CA"] + s["w_PB"] - 1.0).max() <= 2e-16


def test_current_density_default_given_and_checked():
    assert scenario().current_density == 1.0
    sc = scenario(scenario={"current_density": 2.5})
    assert sc.current_density == 2.5 == sc.cell_options["current_density"]
    assert sc.to_dict()["scenario"]["current_density"] == 2.5
    assert ct.Scenario.load("reference-cathode").current_density == 1.0
    with pytest.raises(ScenarioError, match=r"current_density = 0 mA/cm\^2 must be a number in \(0, inf\)") as info:
        scenario(scenario={"current_density": 0})
    assert (info.value.parameter, info.value.unit, info.value.valid) == ("current_density", "mA/cm^2", "(0, inf)")
    with pytest.raises(ScenarioError, match="current_density = 'fast'"):
        scenario(scenario={"current_density": "fast"})


def test_the_cell_container_gets_the_current_density():
    sc = scenario(scenario={"cell": "half-cell", "current_density": 2.0})
    cell = sc.cell_container()
    assert cell.name == "half-cell" and cell.settings["current_density"] == 2.0
    assert cell.components == DEFAULT_COMPONENTS
    with pytest.raises(ScenarioError, match="has no cell model"):
        scenario().cell_container()


def test_a_value_for_the_balance_fixes_it_and_the_balance_must_then_hold():
    sc = scenario().with_values(w_PB=0.05)
    assert sc.balance is None and sc.nominal()["w_PB"] == 0.05
    with pytest.raises(ParameterError, match=r"w_AM \+ w_CA \+ w_PB = 1.02 \(unit 1\) must sum to 1"):
        sc.build_chain().evaluate(sc.nominal())


def test_round_trip_keeps_the_electrode_settings(tmp_path):
    sc = scenario(scenario={"current_density": 3.0})
    path = tmp_path / "s.toml"
    path.write_text(sc.to_toml())
    back = ElectrodeScenario.load(path)
    assert back.current_density == 3.0 and back.balance == "w_PB" and back.components == DEFAULT_COMPONENTS
    assert back.nominal() == pytest.approx(sc.nominal())


def test_four_component_solid_state_recipe():
    data = {
        "scenario": {"name": "ssb", "components": ["AM", "SE", "CA", "PB"]},
        "parameters": {"w_AM": 0.70, "w_SE": {"value": 0.25, "rel_std": 0.01}, "w_CA": 0.02, "w_PB": "balance",
                       "x_solids": 0.6, "rho_AM": 4.75, "rho_SE": 1.87, "rho_CA": 1.8, "rho_PB": 1.1,
                       "rho_solvent": 0.87, "V_dot": 696, "v_web": 1.0, "w_coat": 125, "eps_dry": 0.45,
                       "q_L": 84, "eps_min": 0.10, "gamma_c": 129},
    }
    sc = ElectrodeScenario.from_dict(data)
    out = sc.build_chain().evaluate(sc.nominal())
    assert out["X_AM"] + out["X_SE"] + out["X_CA"] + out["X_PB"] + out["eps_cal"] == pytest.approx(1.0)
    ref = 1 / (0.70 / 4.75 + 0.25 / 1.87 + 0.02 / 1.8 + 0.03 / 1.1)
    assert out["rho_solids"] == pytest.approx(ref)
    frame = ct.propagate(sc, 200, seed=1)
    assert frame["valid"].all() and "X_SE" in frame


# -- [materials], [cell], [targets] (the scenario's own sections) ---------------------------------
def named(**changes):
    """BASE with its densities named from the library instead of typed."""
    data = copy.deepcopy(BASE)
    for k in ("rho_AM", "rho_CA", "rho_PB", "rho_solvent"):
        del data["parameters"][k]
    data["materials"] = {"AM": "NMC111", "CA": "carbon-black", "PB": "PVDF", "solvent": "NMP"}
    for section, values in changes.items():
        data.setdefault(section, {}).update(values)
    return data


def test_materials_fill_densities_as_fixed_values():
    sc = ElectrodeScenario.from_dict(named())
    assert {k: sc.fixed[k] for k in ("rho_AM", "rho_CA", "rho_PB", "rho_solvent")} == \
        {"rho_AM": 4.75, "rho_CA": 1.80, "rho_PB": 1.70, "rho_solvent": 1.03}
    assert sc.notes == [] and sc.to_dict()["materials"]["AM"] == "NMC111"
    again = ElectrodeScenario.from_dict(sc.to_dict())
    assert again.nominal() == sc.nominal() and again.notes == []


def test_parameters_win_over_materials_and_the_difference_is_said():
    sc = ElectrodeScenario.from_dict(named(parameters={"rho_AM": {"value": 4.8, "rel_std": 0.01}}))
    assert sc.uncertain["rho_AM"].value == 4.8
    (note,) = sc.notes
    assert note["parameter"] == "rho_AM" and note["library"] == 4.75 and "+1.1 %" in note["message"]
    same = ElectrodeScenario.from_dict(named(parameters={"rho_AM": 4.75}))
    assert same.notes == []


def test_materials_errors_name_the_key_and_the_choices():
    with pytest.raises(ParameterError, match=r"unknown active material 'NMC81' \(did you mean 'NMC811'\?\)"):
        ElectrodeScenario.from_dict(named(materials={"AM": "NMC81"}))
    with pytest.raises(ScenarioError, match=r"\[materials\]: unknown key 'SE'"):
        ElectrodeScenario.from_dict(named(materials={"SE": "LLZO"}))
    with pytest.raises(ScenarioError, match="no density with a source for CMC.*give rho_PB in"):
        ElectrodeScenario.from_dict(named(materials={"PB": "CMC"}))


def test_cell_section_becomes_the_cell_container_s_options():
    sc = ElectrodeScenario.from_dict(named(scenario={"cell": "half-cell"}, materials={"AM": "NMC811"},
                                           cell={"parameter_set": "Chen2020"}))
    assert sc.container_options["half-cell"] == {"parameter_set": "Chen2020", "material": "NMC811"}
    assert [n["kind"] for n in sc.report_notes()] == ["cell-parameters", "cell-parameters"]
    assert ElectrodeScenario.from_dict(sc.to_dict()).container_options == sc.container_options
    with pytest.raises(ScenarioError, match=r"\[cell\] chooses the cell model's parameters, but the scenario has no"):
        ElectrodeScenario.from_dict(named(cell={"parameter_set": "Chen2020"}))
    with pytest.raises(ScenarioError, match=r"\[cell\]: unknown key 'set'"):
        ElectrodeScenario.from_dict(named(scenario={"cell": "half-cell"}, cell={"set": "Chen2020"}))


def test_a_set_for_another_material_is_refused_naming_the_contradiction():
    data = named(scenario={"cell": "half-cell"}, materials={"AM": "LFP"}, cell={"parameter_set": "Chen2020"})
    with pytest.raises(ParameterError) as info:
        ElectrodeScenario.from_dict(data)
    msg = str(info.value)
    assert "parameter set 'Chen2020' describes NMC811" in msg and "not LFP" in msg
    assert "gives 343 mAh/g of LFP" in msg and "above the theoretical 169.9 mAh/g" in msg
    assert "override = true" in msg and info.value.parameter == "parameter_set"
    data["cell"]["override"] = True
    sc = ElectrodeScenario.from_dict(data)
    assert any(n["kind"] == "cell-override" and "describes NMC811" in n["message"] for n in sc.report_notes())


def test_targets_are_checked_and_not_refused_as_chain_outputs():
    sc = ElectrodeScenario.from_dict(named(targets={"m_dry": 25, "rho_cal": {"value": 3300, "unit": "kg/m^3"},
                                                    "free": {"V_dot": [600, 1400]}}))
    assert sc.targets["m_dry"] == 25
    with pytest.raises(ScenarioError, match=r"\[targets\] needs free"):
        ElectrodeScenario.from_dict(named(targets={"m_dry": 25}))
    with pytest.raises(ScenarioError, match=r"\[targets\] free: 'V_do' is not a setting.*'V_dot'"):
        ElectrodeScenario.from_dict(named(targets={"m_dry": 25, "free": ["V_do"]}))
    with pytest.raises(ScenarioError, match=r"\[targets\] m_dry2: |unknown parameter 'm_dry2'"):
        ElectrodeScenario.from_dict(named(targets={"m_dry2": 25, "free": ["V_dot"]}))
    with pytest.raises(ScenarioError, match=r"\[targets\] q_L: a target is a value the chain computes"):
        ElectrodeScenario.from_dict(named(targets={"q_L": 25, "free": ["V_dot"]}))


# -- scenarios with two lines (issue 15) ---------------------------------------------------------
NEG_LINE: dict[str, Any] = {
    "components": ["AM", "CA", "CMC", "SBR"],
    "materials": {"AM": "graphite", "CA": "carbon-black", "solvent": "water"},
    "parameters": {"w_AM": 0.95, "w_CA": 0.01, "w_CMC": {"value": 0.02, "rel_std": 0.05}, "w_SBR": "balance",
                   "rho_CMC": 1.6, "rho_SBR": 0.94, "x_solids": 0.5, "V_dot": 748, "v_web": 1.0, "w_coat": 125,
                   "eps_dry": 0.45, "q_L": 40, "eps_min": 0.2, "gamma_c": 60}}


def two_lines(**top) -> ElectrodeScenario:
    pos = {"parameters": copy.deepcopy(BASE["parameters"]), "materials": {"AM": "NMC111"}}
    return ElectrodeScenario.from_dict({"scenario": {"name": "two"}, "lines": {"cathode": pos, "anode": NEG_LINE},
                                        **top})


def test_lines_take_q_am_and_densities_from_the_library():
    sc = two_lines()
    nominal = sc.nominal()
    assert nominal["cathode.q_AM"] == 163.0      # NMC111 practical capacity (library)
    assert nominal["anode.q_AM"] == 371.9        # graphite, LiC6 theoretical (no practical one recorded)
    assert nominal["anode.rho_AM"] == 2.27 and nominal["anode.rho_solvent"] == 0.997
    assert "q_AM" not in ct.Scenario.load("graphite-anode").given  # a single line is unchanged


def test_each_line_closes_its_own_balance():
    sc = two_lines()
    assert sc.line_balances == {"cathode.w_PB": ("cathode.w_AM", "cathode.w_CA"),
                                "anode.w_SBR": ("anode.w_AM", "anode.w_CA", "anode.w_CMC")}
    frame = sc.sample(200, seed=4)
    for line, fractions in (("cathode", ("AM", "CA", "PB")), ("anode", ("AM", "CA", "CMC", "SBR"))):
        total = sum(frame[f"{line}.w_{c}"] for c in fractions)
        assert np.allclose(total, 1.0, atol=1e-12)
    assert frame["anode.w_SBR"].std() > 0
    fixed = sc.varied({"anode.w_SBR": 0.02})
    assert "anode.w_SBR" not in fixed.line_balances and "cathode.w_PB" in fixed.line_balances


def test_two_lines_refuse_top_level_materials_and_name_their_notes():
    with pytest.raises(ScenarioError, match=r"per line, in \[lines.NAME.materials\]"):
        two_lines(materials={"AM": "NMC111"})
    pos = {"parameters": {**copy.deepcopy(BASE["parameters"]), "rho_AM": 4.70}, "materials": {"AM": "NMC111"}}
    sc = ElectrodeScenario.from_dict({"scenario": {"name": "two"}, "lines": {"cathode": pos, "anode": NEG_LINE}})
    (note,) = sc.notes
    assert note["parameter"] == "cathode.rho_AM" and note["message"].startswith("cathode line: ")


def test_cell_stage_of_two_lines():
    sc = two_lines()
    assert sc.cell_stage(("w_AM", "m_dry"), ("capacity",)) == (["w_AM", "m_dry"], ["capacity"])  # no cell model
    single = scenario()
    assert single.cell_stage(("w_AM",), ("capacity",)) == (["w_AM"], ["capacity"])
    assert math.isnan(sc.current_density)


FORMAT = {"cathode.t_foil": 15, "cathode.rho_foil": 2.70, "anode.t_foil": 10, "anode.rho_foil": 8.96, "A_el": 80.0,
          "f_overhang": 1.0455, "n_layers": 20, "t_sep": 25, "eps_sep": 0.39, "rho_sep": 0.92, "f_el": 1.2,
          "rho_el": 1.20, "m_housing": 8.0, "A_pouch": 144.84, "t_pouch": 153, "li_loss": {"value": 0.08, "std": 0.01}}


def test_structure_outputs_where_the_lines_meet():
    sc = two_lines(scenario={"name": "two", "chain": ["assembly", "formation"]}, parameters=FORMAT)
    chain = sc.build_chain(with_cell=False)
    structural = [o for o in chain.outputs if sc.catalog[o].domain == "structural"]
    chosen = sc.structure_outputs(structural, keep=("rho_cal",))
    assert {"cathode.m_dry", "anode.h_cal", "cathode.eps_cal", "cathode.rho_cal", "anode.rho_cal", "np_ratio",
            "m_cell", "capacity_balanced"} <= set(chosen)
    assert not {"cathode.h_wet", "anode.rho_slurry", "cathode.rho_dry"} & set(chosen)  # intermediates of a line
    assert chosen == [o for o in structural if o in chosen]                            # in the chain's order
    assert sc.structure_outputs(structural, keep=("cathode.rho_cal",)) == [o for o in chosen if o != "anode.rho_cal"]
    assert scenario().structure_outputs(["h_wet", "m_dry"]) == ["h_wet", "m_dry"]       # one line: all


def test_targets_of_two_lines_are_line_qualified():
    sc = two_lines(scenario={"name": "two", "chain": ["assembly", "formation"]}, parameters=FORMAT,
                   targets={"np_ratio": 1.1, "free": ["w_CMC"]})
    assert sc.targets == {"np_ratio": 1.1, "free": ["anode.w_CMC"]}
    with pytest.raises(ScenarioError, match=r"\[targets\]: .*'cathode.V_dot' or 'anode.V_dot'"):
        two_lines(scenario={"name": "two", "chain": ["assembly", "formation"]}, parameters=FORMAT,
                  targets={"np_ratio": 1.1, "free": ["V_dot"]})
    from celltwin.analysis.design.targets import with_targets

    solved = with_targets(two_lines(scenario={"name": "two", "chain": ["assembly", "formation"]},
                                    parameters=FORMAT, targets={"np_ratio": 1.1, "free": ["anode.V_dot"]}))
    assert solved.build_chain().evaluate(solved.nominal())["np_ratio"] == pytest.approx(1.1, rel=1e-4)
