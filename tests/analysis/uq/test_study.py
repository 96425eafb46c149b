"""The full study of the reference cathode: folder complete and readable, indices as the paper ranks them."""
from __future__ import annotations

import json
import tomllib

import numpy as np
import pandas as pd
import pytest

import celltwin as ct
from celltwin.analysis.uq.sampling import Propagation
from celltwin.analysis.uq.sensitivity import SensitivityResult
from celltwin.analysis.uq.study import CELL_INPUTS, QUANTILES, Study, fit_joint, run_study

FILES = ("summary.json", "samples.parquet", "sensitivity.csv", "sankey.html", "sankey.png", "report.html",
         "scenario.toml", "manifest.json")


@pytest.fixture(scope="module")
def progress_calls():
    """Every ``progress(stage, done, total)`` call of the module's study."""
    return []


@pytest.fixture(scope="module")
def study(progress_calls):
    return run_study("reference-cathode", samples=120, seed=7,
                     progress=lambda stage, done, total: progress_calls.append((stage, done, total)))


@pytest.fixture(scope="module")
def folder(study, tmp_path_factory):
    return study.save(tmp_path_factory.mktemp("study") / "reference-cathode")


def test_study_folder_is_complete_and_readable(study, folder):
    assert set(FILES) <= {p.name for p in folder.iterdir()}
    summary = json.loads((folder / "summary.json").read_text())
    # flat, but for the list of warning records (run warnings, rejected samples) the study now carries
    assert all(not isinstance(v, (dict, list)) for k, v in summary.items() if k != "warnings")
    assert summary["warnings"] == study.warnings
    assert summary["samples"] == 120 and summary["seed"] == 7
    assert summary["capacity_mean"] == pytest.approx(study.statistics.loc["capacity", "mean"])
    samples = pd.read_parquet(folder / "samples.parquet")
    assert len(samples) == 120 and {"w_AM", "m_dry", "rho_cal", "capacity", "energy_density", "valid"} <= set(samples)
    sens = pd.read_csv(folder / "sensitivity.csv")
    assert list(sens.columns[:6]) == ["output", "input", "S", "S_U", "S_C", "Q2"] and "stage" in sens
    assert set(sens["stage"]) == {"process-structure", "structure-performance"}
    # eq. 7 holds row by row; stage (a) has independent inputs, so S_U = S there
    np.testing.assert_allclose(sens["S_U"] + sens["S_C"], sens["S"], atol=1e-12)
    a = sens[sens["stage"] == "process-structure"]
    np.testing.assert_allclose(a["S_C"], 0.0, atol=0.02)
    assert set(a["input"]) == set(ct.Scenario.load("reference-cathode").uncertain)
    assert {"m_dry", "rho_cal", "eps_cal", "h_cal"} <= set(a["output"])
    resolved = tomllib.loads((folder / "scenario.toml").read_text())
    assert ct.Scenario.from_dict(resolved).nominal() == pytest.approx(study.scenario.nominal())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["versions"]["openturns"] and "monte_carlo" in manifest["timings_s"]
    html = (folder / "report.html").read_text()
    for heading in ("Scenario", "Nominal chain", "chain graph", "Distributions", "Correlation",
                    "Sensitivity indices", "Sankey", "Discharge curve", "Run manifest"):
        assert heading in html, heading
    assert "<script src=" not in html and "No discharge curve" not in html
    assert (folder / "sankey.png").read_bytes()[:4] == b"\x89PNG"


def test_statistics_and_eq17_correlation(study):
    valid = study.samples[study.samples["valid"]]
    assert study.n_valid == len(valid) > 100
    stats = study.statistics
    assert list(stats.columns) == ["mean", "std"] + [f"q{round(100 * q):02d}" for q in QUANTILES] + ["unit"]
    assert stats.loc["m_dry", "unit"] == "mg/cm^2" and stats.loc["capacity", "unit"] == study.units["capacity"]
    assert stats.loc["m_dry", "mean"] == pytest.approx(valid["m_dry"].mean())
    assert stats.loc["m_dry", "q50"] == pytest.approx(valid["m_dry"].median())
    assert "rho_AM" not in stats.index  # fixed inputs are not statistics
    R = study.correlation
    assert list(R.index) == list(CELL_INPUTS)
    np.testing.assert_allclose(np.diag(R), 1.0)
    np.testing.assert_allclose(R, R.T)
    # w_AM sets the solids density and so the calendered density (+0.99 here, seed 004 eq. 17: -0.965)
    assert abs(R.loc["w_AM", "rho_cal"]) > 0.9


def test_reference_indices_rank_inputs_as_the_paper(study):
    """Seed 004 Table 1: capacity is driven by m_dry then w_AM; energy density by w_AM and rho_cal;
    w_CA does not matter. (Our order of w_AM and rho_cal for energy density differs: see docs.)"""
    b = study.indices("structure-performance")
    cap = b.loc["capacity", "S"]
    assert list(cap.sort_values(ascending=False).index[:2]) == ["m_dry", "w_AM"]
    assert cap["m_dry"] > 0.6 and cap["w_CA"] < 0.02 and abs(cap["rho_cal"]) < 0.02
    ed = b.loc["energy_density", "S"]
    assert set(ed.sort_values(ascending=False).index[:2]) == {"w_AM", "rho_cal"}
    assert ed[["w_AM", "rho_cal"]].sum() > 0.95 and abs(ed["w_CA"]) < 0.02 and abs(ed["m_dry"]) < 0.05
    for output in ("capacity", "energy_density"):
        assert b.loc[output, "S"].sum() == pytest.approx(1.0, abs=0.02)
        assert study.validation[output]["Q2"] > 0.99


def test_study_is_reproducible_from_seed(study):
    again = run_study("reference-cathode", samples=120, seed=7)
    pd.testing.assert_frame_equal(again.sensitivity, study.sensitivity)
    pd.testing.assert_frame_equal(again.statistics, study.statistics)


def test_fit_joint_recovers_marginals_and_correlation():
    import openturns as ot

    R = ot.CorrelationMatrix(2)
    R[0, 1] = -0.8
    true = ot.JointDistribution([ot.Normal(2.0, 0.1), ot.Normal(14.0, 0.4)], ot.NormalCopula(R))
    ot.RandomGenerator.SetSeed(3)
    sample = pd.DataFrame(np.asarray(true.getSample(4000)), columns=["a", "b"])
    fitted = fit_joint(sample)
    assert list(fitted.getDescription()) == ["a", "b"]
    assert fitted.getMarginal(1).getMean()[0] == pytest.approx(14.0, abs=0.03)
    assert fitted.getMarginal(1).getStandardDeviation()[0] == pytest.approx(0.4, rel=0.05)
    rho = fitted.getCopula().getShapeMatrix()[0, 1]  # the normal copula's correlation parameter
    assert rho == pytest.approx(sample.corr().loc["a", "b"], abs=0.01)
    assert rho == pytest.approx(-0.8, abs=0.03)


def test_cli_run_writes_the_folder(tmp_path):
    from typer.testing import CliRunner

    from celltwin.cli import app

    result = CliRunner().invoke(app, ["run", "reference-cathode", "-o", str(tmp_path / "out"),
                                      "--samples", "40", "--seed", "3", "--no-record"])
    assert result.exit_code == 0, result.output
    assert set(FILES) <= {p.name for p in (tmp_path / "out").iterdir()}
    assert "structure -> performance" in result.output


def test_drying_anchor_bias_is_reported(tmp_path):
    """The DEM metamodel's bias correction (anchored at 43.9 % for 20.5 mg/cm^2) reaches the study output."""
    from celltwin.containers.drying import Drying

    sc = ct.Scenario.load("reference-cathode")
    sc.cell = None
    study = ct.run_study(sc, samples=40, seed=1, progress=None)
    bias = study.corrections["drying"]
    expected = Drying(**sc.container_options["drying"]).anchor_bias()
    assert bias["bias"] == pytest.approx(expected["bias"]) and bias["eps_dry_measured"] == 0.439
    out = study.save(tmp_path / "s")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["drying_bias"] == pytest.approx(bias["bias"])
    assert "Bias correction in <b>drying</b>" in (out / "report.html").read_text()


def test_study_holds_result_objects(study):
    """The Monte Carlo is a Propagation (samples its frame); each ANCOVA stage is a SensitivityResult
    whose validation and surrogates the study keeps."""
    assert isinstance(study, Study) and isinstance(study.monte_carlo, Propagation)
    assert study.samples is study.monte_carlo.frame
    assert study.n_valid == study.monte_carlo.n_valid
    assert study.units["m_dry"] == "mg/cm^2" and study.units["capacity"] == study.scenario.catalog["capacity"].unit
    assert study.monte_carlo.execution["seed"] == 7 and study.monte_carlo.execution["samples"] == 120
    assert set(study.surrogates) == {"capacity", "energy_density"}
    assert {"m_dry", "rho_cal", "capacity", "energy_density"} <= set(study.validation)
    assert study.manifest()["rejections"] == study.monte_carlo.rejections


def test_progress_reports_every_stage(study, progress_calls):
    stages = list(dict.fromkeys(stage for stage, _, _ in progress_calls))
    assert stages == ["Monte Carlo through the chain and half-cell", "ANCOVA: process -> structure (nested chain)",
                      "PCE + ANCOVA: structure -> performance", "bootstrap intervals and convergence of the indices"]
    mc = [(done, total) for stage, done, total in progress_calls if stage == stages[0]]
    assert mc[0] == (0, 120) and mc[-1] == (120, 120)
    assert all(b >= a for (a, _), (b, _) in zip(mc, mc[1:], strict=False))
    for stage in stages[1:]:
        assert [(d, t) for s, d, t in progress_calls if s == stage] == [(0, 1), (1, 1)]


def test_process_structure_is_ancova_of_the_nested_chain(study):
    """Stage (a) through chain.function(...): a SensitivityResult over the independent uncertain inputs."""
    from celltwin.analysis.uq.study import process_structure

    sc = study.scenario
    res = process_structure(sc, 200, 3)
    assert isinstance(res, SensitivityResult) and res.seed == 3
    assert res.indices.index.names == ["output", "input"]
    assert set(res.indices.index.get_level_values("input")) == set(sc.uncertain)
    assert {"m_dry", "rho_cal", "eps_cal", "h_cal"} <= set(res.surrogates) == set(res.validation)
    # the nested chain the stage samples is chain.function(inputs, outputs, fixed=nominal, balance closed)
    chain = sc.build_chain(with_cell=False)
    f = chain.function(list(sc.uncertain), ["m_dry", "w_PB"], fixed=sc.nominal(), complete=sc.close_balance)
    X = np.array([[sc.uncertain[k].value for k in sc.uncertain]])
    y = f(X)
    assert y.shape == (1, 2)
    assert y[0, 0] == pytest.approx(study.nominal["m_dry"], rel=1e-12)
    assert y[0, 1] == pytest.approx(sc.nominal()["w_PB"], rel=1e-12)
    assert f.evaluations == 1 and f.calls == 1
