"""Scenarios with several lines (platform/scenario.py, catalog.py, chain.py): line-qualified
names, one chain from the lines' containers, correlations and segments across lines, the
resolved scenario round trip, and unqualified names (resolved, or refused naming both)."""
import copy
from typing import Any

import numpy as np
import pytest

from celltwin.platform.chain import LineContainer
from celltwin.platform.errors import ParameterError, ScenarioError
from celltwin.platform.scenario import Scenario

STEPS = ["mixing", "dispersion", "coating", "drying", "calendering"]
LINE: dict[str, Any] = {
    "chain": STEPS, "components": ["AM", "CA", "PB"],
    "parameters": {"w_AM": {"value": 0.94, "rel_std": 0.01}, "w_CA": 0.03, "w_PB": 0.03, "x_solids": 0.7,
                   "rho_AM": 4.75, "rho_CA": 1.8, "rho_PB": 1.7, "rho_solvent": 1.03,
                   "V_dot": {"value": 696, "rel_std": 0.01}, "v_web": 1.0, "w_coat": 125, "eps_dry": 0.439,
                   "q_L": 84, "eps_min": 0.176, "gamma_c": 129}}
NEG: dict[str, Any] = {
    "chain": STEPS, "components": ["AM", "CA", "SBR"],
    "parameters": {"w_AM": 0.95, "w_CA": 0.02, "w_SBR": 0.03, "x_solids": 0.5, "rho_AM": 2.27, "rho_CA": 1.8,
                   "rho_SBR": 0.94, "rho_solvent": 0.997, "V_dot": {"value": 750, "rel_std": 0.01},
                   "v_web": 1.0, "w_coat": 125, "eps_dry": {"value": 0.45, "std": 0.01}, "q_L": 40,
                   "eps_min": 0.2, "gamma_c": 60}}
TWO: dict[str, Any] = {"scenario": {"name": "two", "chain": []}, "lines": {"pos": LINE, "neg": NEG}}


def two(**changes) -> Scenario:
    data = copy.deepcopy(TWO)
    for section, values in changes.items():
        data.setdefault(section, {}).update(values)
    return Scenario.from_dict(data)


def one_line(name: str, table: dict) -> Scenario:
    return Scenario.from_dict({"scenario": {"name": name, "chain": table["chain"],
                                            "components": table["components"]},
                               "parameters": table["parameters"]})


def test_each_line_computes_what_it_computes_alone():
    sc = two()
    got = sc.build_chain().evaluate(sc.nominal())
    for line, table in (("pos", LINE), ("neg", NEG)):
        alone = one_line(line, table)
        ref = alone.build_chain().evaluate(alone.nominal())
        for name in ("m_dry", "h_cal", "eps_cal", "rho_cal", "X_AM"):
            assert got[f"{line}.{name}"] == pytest.approx(ref[name], rel=1e-14)
    assert got["neg.X_SBR"] > 0 and "pos.X_SBR" not in got


def test_names_are_line_qualified():
    sc = two()
    assert "pos.V_dot" in sc.uncertain and "neg.eps_dry" in sc.uncertain
    assert sc.uncertain["neg.V_dot"].name == "neg.V_dot"
    assert sc.catalog["neg.V_dot"].unit == "cm^3/h"
    assert "V_dot" not in sc.catalog  # a line's parameter is only known qualified
    assert sc.components == ()
    chain = sc.build_chain()
    assert {c.name for c in chain.containers} == {f"{line}.{s}" for line in ("pos", "neg") for s in STEPS}
    assert all(isinstance(c, LineContainer) for c in chain.containers)
    assert chain.graph.nodes["neg.coating"]["line"] == "neg"
    assert chain.graph.nodes["pos.m_dry"]["line"] == "pos"


def test_an_ambiguous_name_is_refused_naming_both():
    sc = two()
    with pytest.raises(ParameterError) as err:
        sc.varied({"V_dot": 700.0})
    msg = str(err.value)
    assert "'pos.V_dot'" in msg and "'neg.V_dot'" in msg and "ambiguous" in msg
    assert err.value.parameter == "V_dot"
    with pytest.raises(ParameterError, match="pos.q_L' or 'neg.q_L"):
        sc.catalog.qualify("q_L")


def test_a_name_of_one_line_needs_no_qualifier():
    sc = two()
    assert sc.catalog.qualify("w_SBR") == "neg.w_SBR"
    moved = sc.varied({"w_SBR": 0.04, "neg.V_dot": 800.0})
    assert moved.nominal()["neg.w_SBR"] == 0.04
    assert moved.nominal()["neg.V_dot"] == 800.0 and moved.nominal()["pos.V_dot"] == 696.0
    with pytest.raises(ParameterError, match="unknown parameter 'w_XYZ'"):
        sc.varied({"w_XYZ": 1.0})


def test_correlations_and_segments_reach_across_lines():
    sc = two(correlations={"pos.V_dot": {"neg.V_dot": 0.8}},
             segments={"count": 4, "drift": {"neg.eps_dry": {"per_segment": 0.01}},
                       "between": {"w_SBR": {"std": 0.001}}})  # only the neg line has w_SBR
    frame = sc.sample(4000, seed=3)
    rho = np.corrcoef(frame["pos.V_dot"], frame["neg.V_dot"])[0, 1]
    assert rho == pytest.approx(0.8, abs=0.03)
    assert sc.segments.drift == {"neg.eps_dry": 0.01}
    assert sc.segments.between == {"neg.w_SBR": 0.001}
    means = frame.groupby("segment")["neg.eps_dry"].mean()
    assert means.diff().dropna().to_numpy() == pytest.approx(0.01, abs=0.003)
    with pytest.raises(ScenarioError, match=r"\[correlations\].*ambiguous"):
        two(correlations={"V_dot": {"neg.V_dot": 0.5}})


def test_top_level_parameters_and_their_checks():
    with pytest.raises(ScenarioError, match="neg.q_L is given twice"):
        two(parameters={"neg.q_L": 45})
    with pytest.raises(ScenarioError, match=r"\[parameters\]: parameter 'V_dot' is ambiguous"):
        two(parameters={"V_dot": 45})
    sc = two(parameters={"neg.t_foil": {"value": 10, "std": 0.5}, "A_el": 80.0})  # read by steps after the lines
    assert sc.uncertain["neg.t_foil"].value == 10 and sc.fixed["A_el"] == 80.0
    with pytest.raises(ScenarioError, match="components"):
        two(scenario={"components": ["AM"]})
    with pytest.raises(ScenarioError, match=r"\[lines.neg\].*'chian'"):
        Scenario.from_dict({**copy.deepcopy(TWO), "lines": {"pos": LINE, "neg": {**NEG, "chian": STEPS}}})
    with pytest.raises(ScenarioError, match="identifier"):
        Scenario.from_dict({**copy.deepcopy(TWO), "lines": {"pos": LINE, "n-eg": NEG}})
    with pytest.raises(ParameterError, match=r"\[lines.neg\] V_dot = -1"):
        bad = copy.deepcopy(NEG)
        bad["parameters"]["V_dot"] = {"value": -1.0}
        Scenario.from_dict({**copy.deepcopy(TWO), "lines": {"pos": LINE, "neg": bad}})


def test_resolved_scenario_round_trips():
    sc = two(correlations={"pos.V_dot": {"neg.V_dot": 0.5}}).varied({"neg.V_dot": 820.0}, fix=["pos.w_AM"])
    data = sc.to_dict()
    assert set(data["lines"]) == {"pos", "neg"}
    assert data["lines"]["neg"]["parameters"]["V_dot"]["value"] == 820.0
    assert data["lines"]["pos"]["parameters"]["w_AM"] == 0.94
    again = Scenario.from_dict(data)
    assert again.nominal() == sc.nominal()
    assert list(again.uncertain) == list(sc.uncertain)
    assert np.allclose(again.correlation, sc.correlation)
    a, b = again.sample(50, seed=1), sc.sample(50, seed=1)
    assert sorted(a.columns) == sorted(b.columns)
    assert a[sorted(a.columns)].equals(b[sorted(b.columns)])


def test_line_container_qualifies_limits_and_design_space():
    sc = two()
    chain = sc.build_chain()
    cal = chain.container("neg.calendering")
    assert cal.line == "neg" and cal.inner.name == "calendering"
    assert set(cal.inputs()) >= {"neg.q_L", "neg.eps_dry", "neg.w_SBR"}
    state = dict(chain.evaluate(sc.nominal()))
    limits = chain.limits(state)
    assert "neg.eps_cal" in limits and "eps_cal" not in limits
    assert all(d.startswith("neg.") for lim in limits["neg.eps_cal"] for d in lim.depends)
    import pickle
    clone = pickle.loads(pickle.dumps(cal))
    assert clone.name == "neg.calendering" and clone.inputs() == cal.inputs()
