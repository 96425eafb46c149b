"""Scenario loading: validation with suggestions, units, distributions, balance,
correlations, segments and seeded reproducibility."""
import numpy as np
import pytest

import celltwin as ct
from celltwin.platform.errors import ParameterError, ScenarioError
from celltwin.platform.scenario import Scenario

BASE = {
    "scenario": {"name": "t", "chain": ["mixing", "dispersion", "coating", "drying", "calendering"]},
    "parameters": {
        "w_AM": {"value": 0.94, "rel_std": 0.01}, "w_CA": 0.03, "w_PB": "balance",
        "x_solids": 0.7, "rho_AM": 4.75, "rho_CA": 1.8, "rho_PB": 1.7, "rho_solvent": 1.03,
        "V_dot": 696, "v_web": 1.0, "w_coat": 125, "eps_dry": 0.439, "q_L": 84, "eps_min": 0.176, "gamma_c": 129,
    },
}


def scenario(**changes):
    import copy

    data = copy.deepcopy(BASE)
    for section, values in changes.items():
        data.setdefault(section, {}).update(values)
    return Scenario.from_dict(data)


def test_builtin_listed():
    assert "reference-cathode" in ct.builtin_scenarios()


def test_unknown_scenario_suggests():
    with pytest.raises(ScenarioError, match="did you mean 'reference-cathode'"):
        Scenario.load("reference-cathod")


def test_unknown_parameter_suggests():
    with pytest.raises(ScenarioError, match=r"unknown parameter 'q_l' \(did you mean 'q_L'\?\)"):
        scenario(parameters={"q_l": 80})


def test_unknown_key_suggests():
    with pytest.raises(ScenarioError, match="did you mean 'rel_std'"):
        scenario(parameters={"V_dot": {"value": 696, "rel_sd": 0.01}})
    with pytest.raises(ScenarioError, match="did you mean 'samples'"):
        scenario(study={"sample": 10})


def test_percent_and_unit_conversion():
    sc = scenario(parameters={"eps_dry": {"value": 43.9, "unit": "%", "std": 0.3},
                              "v_web": {"value": 60, "unit": "m/h"}, "w_coat": {"value": 12.5, "unit": "cm"}})
    nom = sc.nominal()
    assert nom["eps_dry"] == pytest.approx(0.439)
    assert sc.uncertain["eps_dry"].std == pytest.approx(0.003)
    assert nom["v_web"] == pytest.approx(1.0) and nom["w_coat"] == pytest.approx(125.0)


def test_incompatible_unit():
    with pytest.raises(ParameterError, match="cannot convert 'kg' to 'N/mm'"):
        scenario(parameters={"q_L": {"value": 84, "unit": "kg"}})


@pytest.mark.parametrize("name,value,match", [
    ("w_CA", 1.2, r"w_CA = 1.2 is outside its valid range \[0, 1\]"),
    ("eps_dry", 1.0, r"eps_dry = 1 is outside its valid range \[0, 1\)"),
    ("V_dot", 0.0, r"V_dot = 0 cm\^3/h is outside its valid range \(0, 1e\+07\] cm\^3/h"),
    ("v_web", -1.0, r"v_web = -1 m/min is outside"),
    ("w_coat", 0.0, r"w_coat = 0 mm is outside"),
    ("rho_AM", 0.0, r"rho_AM = 0 g/cm\^3 is outside"),
])
def test_bad_values_refused_at_load(name, value, match):
    with pytest.raises(ParameterError, match=match):
        scenario(parameters={name: value})


def test_mass_fractions_must_sum_to_one():
    sc = scenario(parameters={"w_PB": 0.05})
    with pytest.raises(ParameterError, match="must sum to 1"):
        sc.build_chain().evaluate(sc.nominal())


def test_balance_exact_in_every_sample():
    sc = scenario(parameters={"w_CA": {"value": 0.03, "rel_std": 0.05}})
    s = sc.sample(500, seed=3)
    assert np.abs(s["w_AM"] + s["w_CA"] + s["w_PB"] - 1.0).max() <= 2e-16


def test_same_seed_bit_identical_and_other_seed_differs():
    sc = ct.Scenario.load("reference-cathode")
    for method in ("mc", "lhs", "sobol"):
        a, b = sc.sample(300, 11, method), sc.sample(300, 11, method)
        assert a.equals(b)
    assert not sc.sample(300, 11).equals(sc.sample(300, 12))


@pytest.mark.parametrize("spec,mean,std", [
    ({"value": 84, "std": 2.0}, 84, 2.0),
    ({"value": 84, "rel_std": 0.02, "distribution": "lognormal"}, 84, 1.68),
    ({"distribution": "uniform", "low": 80, "high": 90}, 85, 10 / np.sqrt(12)),
])
def test_distributions_moments(spec, mean, std):
    sc = scenario(parameters={"q_L": spec})
    s = sc.sample(20000, seed=1, method="lhs")["q_L"]
    assert s.mean() == pytest.approx(mean, rel=2e-3)
    assert s.std() == pytest.approx(std, rel=2e-2)


def test_truncated_normal_respects_bounds():
    sc = scenario(parameters={"q_L": {"value": 84, "std": 5, "distribution": "truncated-normal", "low": 82, "high": 95}})
    s = sc.sample(5000, seed=2)["q_L"]
    assert s.min() >= 82 and s.max() <= 95


def test_kde_from_csv(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "m.csv").write_text("q\n" + "\n".join(f"{v:.4f}" for v in rng.normal(84, 1.5, 200)))
    data = {**BASE, "parameters": {**BASE["parameters"],
                                   "q_L": {"distribution": "kde", "data": "m.csv", "column": "q"}}}
    path = tmp_path / "s.toml"
    import tomli_w

    path.write_text(tomli_w.dumps(data))
    sc = Scenario.load(path)
    s = sc.sample(5000, seed=4)["q_L"]
    assert s.mean() == pytest.approx(84, abs=0.3)
    assert 1.3 < s.std() < 2.0  # KDE widens the data's spread by its bandwidth


def test_correlation_through_copula():
    sc = scenario(parameters={"V_dot": {"value": 696, "rel_std": 0.01}, "v_web": {"value": 1.0, "rel_std": 0.01}},
                  correlations={"V_dot": {"v_web": 0.8}})
    s = sc.sample(20000, seed=5)
    assert np.corrcoef(s["V_dot"], s["v_web"])[0, 1] == pytest.approx(0.8, abs=0.02)


def test_correlation_must_be_valid():
    with pytest.raises(ScenarioError, match=r"outside the valid range \(-1, 1\)"):
        scenario(parameters={"V_dot": {"value": 696, "rel_std": 0.01}, "v_web": {"value": 1.0, "rel_std": 0.01}},
                 correlations={"V_dot": {"v_web": 1.5}})


def test_segments_between_spread_and_drift():
    sc = scenario(parameters={"q_L": {"value": 84, "std": 0.1}},
                  segments={"count": 10, "between": {"V_dot": {"rel_std": 0.01}},
                            "drift": {"q_L": {"per_segment": 0.5}}})
    s = sc.sample(10000, seed=6)
    by_seg = s.groupby("segment")
    assert by_seg.ngroups == 10
    assert by_seg["V_dot"].std().max() == pytest.approx(0.0, abs=1e-9)  # V_dot fixed within a segment
    assert by_seg["V_dot"].mean().std() > 2.0                             # but moves between segments
    slope = np.polyfit(np.arange(10), by_seg["q_L"].mean(), 1)[0]
    assert slope == pytest.approx(0.5, abs=0.01)


def test_resolved_scenario_round_trips(tmp_path):
    sc = ct.Scenario.load("reference-cathode")
    path = tmp_path / "resolved.toml"
    path.write_text(sc.to_toml())
    back = Scenario.load(path)
    assert back.nominal() == pytest.approx(sc.nominal())
    assert back.sample(100, 1).equals(sc.sample(100, 1))


def test_four_component_solid_state_recipe():
    data = {
        "scenario": {"name": "ssb", "components": ["AM", "SE", "CA", "PB"]},
        "parameters": {"w_AM": 0.70, "w_SE": {"value": 0.25, "rel_std": 0.01}, "w_CA": 0.02, "w_PB": "balance",
                       "x_solids": 0.6, "rho_AM": 4.75, "rho_SE": 1.87, "rho_CA": 1.8, "rho_PB": 1.1,
                       "rho_solvent": 0.87, "V_dot": 696, "v_web": 1.0, "w_coat": 125, "eps_dry": 0.45,
                       "q_L": 84, "eps_min": 0.10, "gamma_c": 129},
    }
    sc = Scenario.from_dict(data)
    out = sc.build_chain().evaluate(sc.nominal())
    assert out["X_AM"] + out["X_SE"] + out["X_CA"] + out["X_PB"] + out["eps_cal"] == pytest.approx(1.0)
    ref = 1 / (0.70 / 4.75 + 0.25 / 1.87 + 0.02 / 1.8 + 0.03 / 1.1)
    assert out["rho_solids"] == pytest.approx(ref)
    frame = ct.propagate(sc, 200, seed=1)
    assert frame["valid"].all() and "X_SE" in frame
