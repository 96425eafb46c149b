"""Yield: spec windows (Python, CLI strings, TOML [specs]), binomial intervals, and the Monte
Carlo yield of a linear output against the analytic normal CDF."""
import json
import math

import numpy as np
import pytest
from scipy.stats import norm
from typer.testing import CliRunner

import celltwin as ct
from celltwin.analysis.uq.sampling import monte_carlo
from celltwin.analysis.uq.specs import Spec, as_specs, in_spec, proportion_ci, scenario_yield, yield_of
from celltwin.platform.errors import ParameterError, ScenarioError

from ..scenarios import reference_data

Scenario = ct.Scenario  # the electrode scenario: the reference cathode closes its mass balance


@pytest.fixture(scope="module")
def catalog():
    return ct.default_catalog()


def test_spec_forms(catalog):
    s = Spec.parse("m_dry=14.3+-2%", catalog)
    assert (s.low, s.high) == pytest.approx((14.3 * 0.98, 14.3 * 1.02))
    assert Spec.parse("rho_cal = 2.95 ± 0.03", catalog).high == pytest.approx(2.98)
    assert Spec.parse("capacity>=2.3", catalog) == Spec("capacity", 2.3, math.inf)
    assert Spec.parse("h_cal<=50", catalog) == Spec("h_cal", -math.inf, 50.0)
    assert Spec.parse("eps_cal=0.30:0.33", catalog) == Spec("eps_cal", 0.30, 0.33)
    # a unit in a table: 1.43 g/m^2 ... is 0.143 mg/cm^2
    assert Spec.from_table("m_dry", {"value": 143, "unit": "g/m^2", "rel_tol": 0.1}, catalog).low == \
        pytest.approx(12.87)
    with pytest.raises(ParameterError, match="NAME=VALUE"):
        Spec.parse("m_dry~14", catalog)
    with pytest.raises(ScenarioError, match="did you mean 'm_dry'"):
        Spec.parse("m_dri=14+-1%", catalog)
    assert as_specs({"m_dry": (14.0, None)}, catalog) == [Spec("m_dry", 14.0, math.inf)]


def test_specs_table_in_a_scenario():
    data = reference_data()
    data["specs"] = {"m_dry": {"value": 14.3, "rel_tol": 0.02}, "rho_cal": {"min": 2.92, "max": 2.98}}
    sc = Scenario.from_dict(data)
    assert sc.specs["m_dry"] == pytest.approx((14.014, 14.586))
    assert sc.specs["rho_cal"] == (2.92, 2.98)
    assert Scenario.from_dict(sc.to_dict()).specs == sc.specs  # written back as min/max
    data["specs"] = {"m_dry": {"value": 14.3, "rel_tl": 0.02}}
    with pytest.raises(ScenarioError, match="did you mean 'rel_tol'"):
        Scenario.from_dict(data)
    data["specs"] = {"m_dry": {"value": 14.3, "min": 14}}
    with pytest.raises(ScenarioError, match="either 'value'"):
        Scenario.from_dict(data)


def test_wilson_and_clopper_pearson_known_values():
    lo, hi = proportion_ci(50, 100, 0.95, "wilson")
    assert (lo, hi) == pytest.approx((0.40383, 0.59617), abs=1e-5)
    lo, hi = proportion_ci(0, 10, 0.95, "clopper-pearson")
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** 0.1, rel=1e-9)
    lo, hi = proportion_ci(10, 10, 0.95, "clopper-pearson")
    assert hi == 1.0 and lo == pytest.approx(0.025 ** 0.1, rel=1e-9)
    with pytest.raises(ParameterError, match="not one of wilson, clopper-pearson"):
        proportion_ci(1, 2, method="exact")


def test_rejected_samples_are_scrap(catalog):
    res = yield_of({"m_dry": np.array([14.3, 14.3, 20.0, np.nan])}, ["m_dry=14.3+-2%"],
                   valid=np.array([True, False, True, False]), catalog=catalog)
    assert (res.n, res.n_in, res.n_invalid) == (4, 1, 2)
    assert res.scrap == 0.75


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson"])
def test_yield_of_a_linear_output_matches_the_normal_cdf(method):
    """Only V_dot uncertain (normal, std 7 cm^3/h): m_dry = c * V_dot exactly, so P(in spec) is a normal CDF."""
    sc = Scenario.from_dict(reference_data("V_dot", 7.0))
    m0 = sc.build_chain().evaluate(sc.nominal())["m_dry"]
    c = m0 / 696.0
    low, high = 14.0, 14.45
    p = norm.cdf((high / c - 696) / 7.0) - norm.cdf((low / c - 696) / 7.0)
    n = 20000
    res = scenario_yield(sc, [f"m_dry={low}:{high}"], n=n, seed=7, method=method)
    assert abs(res.p_in - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert res.ci[0] < p < res.ci[1]
    assert res.scrap == pytest.approx(1 - res.p_in)


def test_cli_yield_json_uses_scenario_specs(tmp_path):
    """The built-in reference cathode carries [specs] windows; yield reads them without --spec."""
    from celltwin.cli import app

    r = CliRunner().invoke(app, ["yield", "reference-cathode", "--samples", "500", "--seed", "3", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["samples"] == 500 and 0 < out["yield"] < 1
    assert out["yield_low"] < out["yield"] < out["yield_high"]
    assert out["scrap"] == pytest.approx(1 - out["yield"])


def test_yield_of_a_propagation_equals_that_of_its_frame(catalog):
    """A Propagation stands where a chain result or a frame is expected (``in_spec``, ``yield_of``)."""
    run = monte_carlo("reference-cathode", 300, 2, with_cell=False, workers=1)
    specs = as_specs(["m_dry=14.3+-1%", "rho_cal=2.95+-1%"], catalog)
    of_run = yield_of(run, specs, valid=run.valid, catalog=catalog)
    of_frame = yield_of(run.frame, specs, catalog=catalog)
    assert (of_run.n, of_run.n_in, of_run.n_invalid) == (of_frame.n, of_frame.n_in, of_frame.n_invalid)
    assert of_run.ci == of_frame.ci and 0 < of_run.p_in < 1
    assert int(in_spec(run, specs).sum()) == of_run.n_in


def test_clopper_pearson_known_binomial_case():
    """50 of 100 in spec: R's binom.test(50, 100) gives [0.3983211, 0.6016789]; the bounds are the
    p at which P(X >= 50) and P(X <= 50) are alpha/2 (Clopper & Pearson 1934)."""
    from scipy.stats import binom

    lo, hi = proportion_ci(50, 100, 0.95, "clopper-pearson")
    assert (lo, hi) == pytest.approx((0.3983211, 0.6016789), abs=1e-7)
    assert binom.sf(49, 100, lo) == pytest.approx(0.025, rel=1e-6)
    assert binom.cdf(50, 100, hi) == pytest.approx(0.025, rel=1e-6)
    with pytest.raises(ParameterError, match="confidence = 1.5") as err:
        proportion_ci(1, 2, confidence=1.5)
    assert err.value.parameter == "confidence"


def _normal_sample(n, mean, std, seed=3):
    z = np.random.default_rng(seed).standard_normal(n)
    return mean + std * (z - z.mean()) / z.std(ddof=1)  # sample mean and std exactly as given


def test_cp_and_cpk_against_a_hand_calculation():
    """n = 50, mean 10, s = 0.5 in [8, 13]: Cp = 5/3, Cpk = min(3, 2)/1.5 = 4/3.
    By hand: Cp interval 5/3 sqrt(chi2(0.025|0.975, 49)/49) = 5/3 sqrt(31.555/49), 5/3 sqrt(70.222/49);
    Bissell: 4/3 -+ 1.95996 sqrt(1/450 + (16/9)/98) = 4/3 -+ 0.27968."""
    from celltwin.analysis.uq.specs import capability

    c = capability(_normal_sample(50, 10.0, 0.5), Spec("x", 8.0, 13.0))
    assert (c["n"], c["mean"], c["std"]) == (50, pytest.approx(10.0), pytest.approx(0.5))
    assert (c["Cp"], c["Cpk"]) == pytest.approx((5 / 3, 4 / 3), rel=1e-12)
    assert (c["Cp_low"], c["Cp_high"]) == pytest.approx((1.3375, 1.9952), abs=2e-4)
    assert (c["Cpk_low"], c["Cpk_high"]) == pytest.approx((4 / 3 - 0.27968, 4 / 3 + 0.27968), abs=1e-5)
    one_sided = capability(_normal_sample(50, 10.0, 0.5), Spec("x", 8.0, math.inf))
    assert math.isnan(one_sided["Cp"]) and one_sided["Cpk"] == pytest.approx(4 / 3)  # (10 - 8) / 1.5


def test_bissell_interval_covers_the_true_cpk():
    """Seeded coverage check: normal samples of 50 with true Cpk = 1; the 95 % interval holds it in
    95 +- 2 % of 1000 repeats (Bissell's approximation is good to about a percent at this n)."""
    from celltwin.analysis.uq.specs import capability

    rng = np.random.default_rng(11)
    spec = Spec("x", -3.0, 3.0)
    hits = [(c := capability(rng.standard_normal(50), spec))["Cpk_low"] <= 1.0 <= c["Cpk_high"]
            for _ in range(1000)]
    assert abs(np.mean(hits) - 0.95) < 0.02


def test_per_spec_table_carries_units_and_capability(catalog):
    """yield_of's per-spec rows: the window's unit, the in-spec fraction, and Cp/Cpk of the accepted samples."""
    m = _normal_sample(400, 14.3, 0.1)
    res = yield_of({"m_dry": m}, ["m_dry=14.3+-3%"], catalog=catalog, method="clopper-pearson")
    row = res.per_spec.iloc[0]
    assert row["unit"] == catalog["m_dry"].unit
    assert row["Cp"] == pytest.approx(2 * 0.03 * 14.3 / 0.6, rel=1e-9)
    assert row["Cpk"] == pytest.approx(row["Cp"], rel=1e-9)  # centred
    assert row["fraction_in"] == 1.0 and row["ci_high"] == 1.0 and row["ci_low"] == pytest.approx(0.025 ** (1 / 400))
