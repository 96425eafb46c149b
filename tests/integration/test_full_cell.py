"""The built-in ``full-cell`` scenario end to end (issue 15): two electrode lines, assembly and
formation through ``celltwin chain`` (--json, --set with line-qualified names), the inverse run
to N/P = 1.1 re-checked by the chain, and the refusal of a name both lines have.

The hand calculation of the nominal cell is in docs/full-cell.md; the assembly formulas are
tested in tests/containers/test_assembly.py."""
import json

import pytest
from typer.testing import CliRunner

import celltwin as ct
from celltwin.cli import app
from celltwin.platform.errors import ParameterError

runner = CliRunner()


def chain(*args: str) -> dict:
    r = runner.invoke(app, ["chain", "full-cell", "--json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def nominal() -> dict:
    return chain()


def test_both_lines_and_the_cell(nominal):
    for line in ("cathode", "anode"):
        for name in ("m_dry", "h_cal", "eps_cal", "rho_cal", "X_AM", "q_areal"):
            assert f"{line}.{name}" in nominal
    assert nominal["anode.X_CMC"] > 0 and "cathode.X_CMC" not in nominal
    assert nominal["cathode.m_dry"] == pytest.approx(14.314, abs=1e-3)   # seed 004, Table A1: 14.3
    assert nominal["cathode.q_AM"] == 163.0 and nominal["anode.q_AM"] == 371.9  # the materials library
    assert nominal["np_ratio"] == pytest.approx(1.1, abs=2e-3)            # the anode is sized for it
    assert nominal["A_cell"] == 3200.0
    # the hand calculation of docs/full-cell.md
    assert nominal["cathode.q_areal"] == pytest.approx(0.94 * nominal["cathode.m_dry"] * 0.163, rel=1e-12)
    assert nominal["capacity_balanced"] == pytest.approx(3200 * nominal["cathode.q_areal"] * 0.92e-3, rel=1e-12)


def test_cell_kpis_from_the_dfn(nominal):
    """The full-cell DFN's KPIs on the assembled cell: energy over the cell's mass and volume."""
    assert nominal["specific_energy"] == pytest.approx(nominal["energy_cell"] / nominal["m_cell"] * 1e3, rel=1e-9)
    assert nominal["energy_density_cell"] == pytest.approx(nominal["energy_cell"] / nominal["V_cell"] * 1e3,
                                                           rel=1e-9)
    assert nominal["capacity_cell"] == pytest.approx(nominal["capacity_areal"] * nominal["A_cell"] * 1e-3, rel=1e-9)
    # below the balance estimate: the DFN's cathode window is 157, not 163 mAh/g (docs/full-cell.md)
    assert 0.8 * nominal["capacity_balanced"] < nominal["capacity_cell"] < nominal["capacity_balanced"]
    assert nominal["plating_margin"] > 0  # N/P 1.1 charges at 2C without plating


def test_anode_flow_moves_np_as_by_hand(nominal):
    """N/P is proportional to the anode's active loading: +10 % anode.V_dot, +10 % N/P."""
    up = chain("--set", f"anode.V_dot={1.1 * nominal['anode.V_dot']}")
    assert up["anode.m_dry"] / nominal["anode.m_dry"] == pytest.approx(1.1, rel=1e-12)
    assert up["np_ratio"] / nominal["np_ratio"] == pytest.approx(1.1, rel=1e-12)
    assert up["cathode.q_areal"] == nominal["cathode.q_areal"]


def test_ambiguous_name_is_refused_with_both_candidates():
    r = runner.invoke(app, ["chain", "full-cell", "--set", "V_dot=700"])
    assert r.exit_code == 2
    assert "'cathode.V_dot' or 'anode.V_dot'" in r.output
    with pytest.raises(ParameterError, match="'cathode.q_L' or 'anode.q_L'"):
        ct.Scenario.load("full-cell").varied({"q_L": 50.0})
    # a name only one line has needs no qualifier
    assert ct.Scenario.load("full-cell").varied({"w_CMC": 0.021}).nominal()["anode.w_CMC"] == 0.021


def test_inverse_to_np_is_rechecked_by_the_chain():
    r = runner.invoke(app, ["inverse", "full-cell", "--target", "np_ratio=1.1", "--free", "anode.V_dot", "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    flow = res["anode.V_dot"]
    assert res["np_ratio"] == pytest.approx(1.1, rel=1e-6)
    again = chain("--set", f"anode.V_dot={flow!r}")
    assert again["np_ratio"] == pytest.approx(1.1, rel=1e-6)
    r = runner.invoke(app, ["inverse", "full-cell", "--target", "np_ratio=1.1", "--free", "V_dot"])
    assert r.exit_code == 2 and "ambiguous" in r.output


def test_single_line_scenarios_keep_unqualified_names():
    sc = ct.Scenario.load("graphite-anode")
    assert not sc.lines and sc.catalog.lines == ()
    assert sc.varied({"V_dot": 700.0}).nominal()["V_dot"] == 700.0


def test_scenarios_lists_both_lines():
    r = runner.invoke(app, ["scenarios", "--json"])
    assert r.exit_code == 0, r.output
    row = next(x for x in json.loads(r.stdout) if x["name"] == "full-cell")
    steps = ["mixing", "dispersion", "coating", "drying", "calendering"]
    assert row["lines"] == {"cathode": steps, "anode": steps}
    assert row["chain"] == ["assembly", "formation"] and row["cell"] == "full-cell"
    assert "lines" not in next(x for x in json.loads(r.stdout) if x["name"] == "reference-cathode")
