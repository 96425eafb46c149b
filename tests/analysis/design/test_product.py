"""Two-stage product-oriented design through the P2D half-cell (a few dozen batched solves)."""
import math

import pytest

import celltwin as ct
from celltwin.analysis.design.inverse import inverse as inverse_run
from celltwin.analysis.design.product import product_design
from celltwin.platform.errors import ParameterError, UnreachableTargetError

from ..scenarios import reference_data

pytest.importorskip("pybamm")


@pytest.fixture(scope="module")
def sc(reference_given):
    """eps_dry held at 0.439: the stage-1 structure box is then exactly the Meyer law below. (With the
    DEM metamodel eps_dry falls with loading, so m_dry and eps_cal are coupled; see docs/inverse-and-robust.md.)"""
    return reference_given


def meyer(q_L):
    return 0.176 + (0.439 - 0.176) * math.exp(-q_L / 129.0)


def test_capacity_window_maximising_energy_density(sc):
    d = product_design(sc, {"capacity": (2.3, 2.35)}, ["V_dot", "q_L"])
    # stage-1 bounds: what the chain makes within V_dot, q_L = nominal ± 50 %, pulled in by 1 % of the span
    lo, hi = d.structure_bounds["eps_cal"]
    span = meyer(42.0) - meyer(126.0)
    assert lo == pytest.approx(meyer(126.0) + 0.01 * span, rel=1e-9)
    assert hi == pytest.approx(meyer(42.0) - 0.01 * span, rel=1e-9)
    # denser is better for energy density: the porosity goes to its lowest reachable value and the
    # loading only as high as the capacity window allows (the upper requirement is active)
    assert d.structure["eps_cal"] == pytest.approx(lo, abs=1e-6)
    assert d.predicted["capacity"] == pytest.approx(2.35, rel=1e-3)
    # stage 2 reaches the structure, and the whole chain with the cell model confirms the performance
    assert d.process.reachable
    assert d.achieved["m_dry"] == pytest.approx(d.structure["m_dry"], rel=1e-6)
    assert d.achieved["capacity"] == pytest.approx(d.predicted["capacity"], rel=1e-4)
    assert d.achieved["energy_density"] == pytest.approx(d.predicted["energy_density"], rel=1e-4)
    assert d.cell_solves < 80


@pytest.mark.slow  # SLSQP spends its iterations against the infeasible requirement: ~15 s of solves
def test_capacity_beyond_the_reachable_loading_is_unreachable(sc):
    with pytest.raises(UnreachableTargetError, match=r"requirement capacity >= 5 mA\*h/cm\^2 is unreachable"):
        product_design(sc, {"capacity": (5.0, None)}, ["V_dot", "q_L"])


def test_single_stage_performance_target_through_the_cell_in_the_chain(sc):
    """With ``cell = "half-cell"`` in the scenario, a performance target is reached directly."""
    assert sc.cell == "half-cell"
    res = inverse_run(sc, {"energy_density": 1600.0}, ["q_L"])
    assert res.reachable and abs(res.residuals["energy_density"]) < 1e-4
    assert res.evaluations < 40
    # denser than the reference (1571 Wh/L at q_L = 84): more line load
    assert res.settings["q_L"] > 84


def test_performance_target_without_a_cell_model_says_so():
    data = reference_data()
    data["scenario"].pop("cell", None)
    with pytest.raises(ParameterError, match="performance needs a cell model"):
        inverse_run(ct.Scenario.from_dict(data), {"capacity": 2.3}, ["V_dot"])


def test_cli_two_stage_json(reference_given_toml):
    import json

    from typer.testing import CliRunner

    from celltwin.cli import app

    r = CliRunner().invoke(app, ["inverse", str(reference_given_toml), "--target", "capacity>=2.3", "--target",
                                 "capacity<=2.35", "--maximize", "energy_density", "--free", "V_dot", "--free", "q_L",
                                 "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["capacity"] == pytest.approx(2.35, rel=1e-3) and out["reachable"] is True
    assert {"V_dot", "q_L", "target_m_dry", "target_eps_cal", "energy_density"} <= set(out)


def test_two_stage_with_the_drying_metamodel_stays_reachable():
    """With the DEM metamodel eps_dry falls with loading, so (m_dry, eps_cal) are coupled; stage 1
    searches the region the line can make, and stage 2 reaches the structure it picks."""
    import warnings

    sc = ct.Scenario.load("reference-cathode")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the corner of the process box lies past the DEM design space
        d = product_design(sc, {"capacity": (2.3, 2.35)}, ["V_dot", "q_L"])
    assert d.process.reachable
    assert d.achieved["capacity"] == pytest.approx(2.35, rel=1e-3)
    assert d.achieved["eps_cal"] == pytest.approx(d.structure["eps_cal"], rel=1e-6)
    assert d.structure["eps_cal"] > d.structure_bounds["eps_cal"][0]  # the box corner is not reachable here
