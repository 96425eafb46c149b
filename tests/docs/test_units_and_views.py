"""Results that know their units and show themselves briefly in a notebook: ``.units`` on the scenario,
the chain, propagations, studies and design results; short ``repr``; ``_repr_html_`` summaries that
leave the catalog out; ``help(Study)`` says what a study holds."""
from __future__ import annotations

import pydoc

import pytest

import celltwin as ct
from celltwin.analysis.design.inverse import inverse
from celltwin.analysis.design.robust import robust_design
from celltwin.analysis.uq.sampling import monte_carlo
from celltwin.analysis.uq.study import Study


@pytest.fixture(scope="module")
def sc():
    return ct.Scenario.load("reference-cathode")


def test_scenario_units_repr_and_html(sc):
    assert sc.units["q_L"] == "N/mm" and sc.units["V_dot"] == "cm^3/h" and set(sc.units) == set(sc.given)
    text = repr(sc)
    assert text == ("ElectrodeScenario('reference-cathode': mixing -> dispersion -> coating -> drying -> "
                    "calendering -> half-cell; 15 inputs, 7 uncertain, 2 specs)")
    frame = sc.uncertain_frame()
    assert list(frame.index) == list(sc.uncertain) and frame.loc["q_L", "unit"] == "N/mm"
    assert frame.loc["q_L", "nominal"] == 84.0 and frame.loc["q_L", "spread"] == "0.84"
    page = sc._repr_html_()
    assert len(page) < 5000 and "N/mm" in page and "rho_cal" in page  # the specs table
    assert "density of the solvent" not in page  # no catalog descriptions


def test_chain_units_repr_and_html(sc):
    chain = sc.build_chain()
    assert chain.units["rho_cal"] == "g/cm^3" and chain.units["capacity"] == "mA*h/cm^2"
    assert set(chain.units) >= set(chain.outputs) | set(chain.inputs)
    assert repr(chain).startswith("ProcessChain(mixing -> dispersion -> coating -> drying -> calendering -> half-cell")
    page = chain._repr_html_()
    assert len(page) < 5000 and "q_L [N/mm]" in page and "calendering" in page


def test_propagation_units_and_html(sc):
    run = monte_carlo(sc, 200, 1, with_cell=False, workers=1)
    assert run.units["m_dry"] == "mg/cm^2" and run.units["eps_cal"] == "1"
    page = run._repr_html_()
    assert "mg/cm^2" in page and len(page) < 8000


def test_design_results_know_their_units(sc):
    res = inverse(sc, {"m_dry": 15.0}, ["V_dot"])
    assert res.units == {"V_dot": "cm^3/h", "m_dry": "mg/cm^2"}
    rob = robust_design(sc, ["q_L"], specs=["rho_cal=2.95+-2%"], n=200, seed=1, max_iterations=5)
    assert rob.units == {"q_L": "N/mm", "rho_cal": "g/cm^3"}


def test_help_on_a_study_says_what_it_holds():
    text = pydoc.render_doc(Study, renderer=pydoc.plaintext)
    for word in ("statistics", "sensitivity", "monte_carlo", "units", "catalog unit", "discharge_units"):
        assert word in text


def test_docs_cli_lists_every_exit_code():
    from pathlib import Path

    from celltwin.cli.common import EXIT_CODES

    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | " in text and meaning.split(" (")[0].split(":")[-1].strip() in text


def test_cell_results_and_discharge_curves_know_their_units(sc):
    from celltwin.cellmodel.halfcell import DISCHARGE_UNITS, RESULT_UNITS

    for name in ("capacity", "energy_density", "mean_voltage", "capacity_theoretical"):
        assert RESULT_UNITS[name] == sc.catalog[name].unit  # the cell's numbers are in the catalog's units
    assert DISCHARGE_UNITS["capacity"] == sc.catalog["capacity"].unit
    sample = {"L_p": [48.5e-6], "eps": [0.315], "X_AM": [0.58], "kappa_s_eff": [10.0], "tau_e": [2.5],
              "i_app": [10.0]}  # SI: the reference structure at 1 mA/cm^2
    result = sc.cell_container().cell().solve(sample)
    assert result.values["capacity"].iloc[0] == pytest.approx(2.0, rel=0.15)
    assert set(result.units) == set(result.values.columns) and result.units["energy"] == "mW*h/cm^2"
