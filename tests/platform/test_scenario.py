"""The generic scenario (platform/scenario.py): loading with suggestions, units, distributions,
correlations, segments and seeded reproducibility; and the one variation path, ``varied``.

The generic class knows no domain: these scenarios name their chain and components
explicitly and give every mass fraction (the electrode rules, the balance and
``current_density``, are tested in tests/containers/test_scenario.py)."""
import math
from typing import Any

import numpy as np
import pytest

import celltwin as ct
from celltwin.platform.errors import ParameterError, ScenarioError, UnitError
from celltwin.platform.scenario import CellSetting, Scenario, moved, spec_window
from celltwin.platform.uncertainty import Uncertain

BASE: dict[str, Any] = {
    "scenario": {"name": "t", "chain": ["mixing", "dispersion", "coating", "drying", "calendering"],
                 "components": ["AM", "CA", "PB"]},
    "parameters": {
        "w_AM": {"value": 0.94, "rel_std": 0.01}, "w_CA": 0.03, "w_PB": 0.03,
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
    with pytest.raises(ScenarioError, match="did you mean 'high'"):
        scenario(parameters={"q_L": {"value": 84, "std": 2.0, "distribution": "truncated-normal", "hihg": 90}})


def test_percent_and_unit_conversion():
    sc = scenario(parameters={"eps_dry": {"value": 43.9, "unit": "%", "std": 0.3},
                              "v_web": {"value": 60, "unit": "m/h"}, "w_coat": {"value": 12.5, "unit": "cm"}})
    nom = sc.nominal()
    assert nom["eps_dry"] == pytest.approx(0.439)
    assert sc.uncertain["eps_dry"].std == pytest.approx(0.003)
    assert nom["v_web"] == pytest.approx(1.0) and nom["w_coat"] == pytest.approx(125.0)


def test_incompatible_unit():
    with pytest.raises(UnitError, match=r"'kg'.*'N/mm'") as info:
        scenario(parameters={"q_L": {"value": 84, "unit": "kg"}})
    assert isinstance(info.value, ParameterError) and info.value.parameter == "q_L" and info.value.unit == "kg"


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
    sc = scenario(parameters={"q_L": {"value": 84, "std": 5, "distribution": "truncated-normal",
                                      "low": 82, "high": 95}})
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
    back = type(sc).load(path)
    assert back.nominal() == pytest.approx(sc.nominal())
    assert back.sample(100, 1).equals(sc.sample(100, 1))


# -- the generic class knows no domain ----------------------------------------------------
def test_generic_scenario_has_no_components_chain_balance_or_cell_settings():
    assert Scenario.default_components == () and Scenario.default_chain == () and Scenario.cell_settings == {}
    assert Scenario.balance_group(("AM", "CA", "PB")) == []
    sc = Scenario.from_dict({"scenario": {"name": "empty"}, "parameters": {"q_L": 84}})
    assert sc.chain_steps == [] and sc.components == () and "w_AM" not in sc.catalog
    assert sc.nominal() == {"q_L": 84.0} and sc.cell_options == {}
    with pytest.raises(ScenarioError, match=r"unknown parameter 'w_AM'"):
        Scenario.from_dict({"parameters": {"w_AM": 0.94}})
    with pytest.raises(ScenarioError, match=r"only allowed for exactly one of \(none in this kind of scenario\)"):
        scenario(parameters={"w_PB": "balance"})
    with pytest.raises(ScenarioError, match="unknown key 'current_density'; valid: cell, chain, components"):
        scenario(scenario={"current_density": 1.0})


def test_cell_setting_checks_its_value():
    setting = CellSetting(1.0, "mA/cm^2", 0.0, "discharge current density")
    assert setting.check("rate", 2) == 2.0 and isinstance(setting.check("rate", 2), float)
    for bad in (0.0, -1.0, float("nan"), float("inf"), True, "2"):
        with pytest.raises(ScenarioError, match=r"\[scenario\] rate = .* must be a number in \(0, inf\)") as info:
            setting.check("rate", bad)
        assert info.value.parameter == "rate" and info.value.unit == "mA/cm^2" and info.value.valid == "(0, inf)"


def test_spec_windows():
    cat = scenario().catalog
    assert spec_window("m_dry", {"value": 14.3, "rel_tol": 0.03}, cat) == pytest.approx((14.3 * 0.97, 14.3 * 1.03))
    assert spec_window("h_cal", {"value": 0.0485, "abs_tol": 0.001, "unit": "mm"}, cat) == pytest.approx((47.5, 49.5))
    low, high = spec_window("rho_cal", {"min": 2.9}, cat)
    assert low == 2.9 and high == float("inf")
    with pytest.raises(ScenarioError, match="exactly one of 'rel_tol' or 'abs_tol'"):
        spec_window("m_dry", {"value": 14.3}, cat)
    with pytest.raises(ScenarioError, match=r"unknown parameter 'm_dyr' \(did you mean 'm_dry'\?\)"):
        spec_window("m_dyr", {"min": 1.0}, cat)


# -- varied: the one variation path (the rule of the module docstring) --------------------
VARIATION_TOML = """
[scenario]
name = "variation"
chain = ["mixing", "dispersion", "coating", "drying", "calendering"]
components = ["AM", "CA", "PB"]

[parameters]
w_AM = { value = 0.94, rel_std = 0.01 }                                          # normal
w_CA = 0.03
w_PB = "balance"
x_solids = { distribution = "kde", data = "x_solids.csv", column = "x_solids" }   # kde
rho_AM = 4.75
rho_CA = 1.80
rho_PB = 1.70
rho_solvent = 1.03
V_dot = { value = 696, unit = "cm^3/h", rel_std = 0.01, distribution = "lognormal" }
v_web = { distribution = "uniform", value = 1.0, low = 0.95, high = 1.08, unit = "m/min" }
w_coat = { value = 125, unit = "mm", rel_std = 0.01 }
q_L = { distribution = "truncated-normal", value = 84, std = 3.0, low = 80, high = 95 }
eps_min = { value = 17.6, unit = "%" }
gamma_c = 129
eps_dry = 0.439

[containers.drying]
porosity = "given"
"""
KINDS = {"w_AM": "normal", "V_dot": "lognormal", "v_web": "uniform", "q_L": "truncated-normal", "x_solids": "kde"}
# new nominal and spread scale of each kind
MOVES = {"w_AM": (0.93, 2.0), "V_dot": (720.0, 0.5), "v_web": (1.1, 2.0), "q_L": (90.0, 1.5), "x_solids": (0.65, 0.5)}


@pytest.fixture(scope="module")
def variation(tmp_path_factory):
    """The reference cathode's parameters with one parameter of every distribution kind."""
    folder = tmp_path_factory.mktemp("variation")
    data = np.round(np.random.default_rng(3).normal(0.70, 0.007, 40), 5)
    (folder / "x_solids.csv").write_text("x_solids\n" + "\n".join(f"{x:.5f}" for x in data))
    (folder / "variation.toml").write_text(VARIATION_TOML)
    sc = ct.Scenario.load(folder / "variation.toml")
    assert {k: sc.uncertain[k].distribution for k in KINDS} == KINDS
    return sc


def marginal(sc, name):
    m = sc.uncertain[name].marginal()
    r = m.getRange()
    return m.getMean()[0], m.getStandardDeviation()[0], r.getLowerBound()[0], r.getUpperBound()[0]


@pytest.mark.parametrize("move,scale", [(True, False), (True, True), (False, True)],
                         ids=["moved", "moved-and-scaled", "scaled"])
def test_varied_follows_the_documented_rule_for_every_kind(variation, move, scale):
    sc = variation
    values = {k: v for k, (v, _) in MOVES.items()} if move else {}
    scales = {k: s for k, (_, s) in MOVES.items()} if scale else {}
    new = sc.varied(values, scales=scales)
    for name, kind in KINDS.items():
        u0 = sc.uncertain[name]
        v0, v, k = u0.value, values.get(name, u0.value), scales.get(name, 1.0)
        mean0, std0, low0, high0 = marginal(sc, name)
        mean, std, low, high = marginal(new, name)
        u = new.uncertain[name]
        assert u.distribution == kind and u.value == pytest.approx(v, rel=1e-12)
        assert std == pytest.approx(k * std0, rel=1e-9), name                  # every spread scales by k
        if kind in ("normal", "lognormal"):
            assert mean == pytest.approx(v, rel=1e-9), name                    # the mean moves to v
            assert u.std == pytest.approx(k * u0.std, rel=1e-12)
        if kind == "lognormal":
            assert low == 0.0
            continue
        # normal, uniform, truncated normal, kde: the affine image x -> v + k (x - v0)
        assert mean == pytest.approx(v + k * (mean0 - v0), rel=1e-9), name
        assert low == pytest.approx(v + k * (low0 - v0), rel=1e-9), name
        assert high == pytest.approx(v + k * (high0 - v0), rel=1e-9), name
    # the bounds of the rule, by hand
    if move and scale:
        assert (new.uncertain["v_web"].low, new.uncertain["v_web"].high) == pytest.approx((1.0, 1.26), rel=1e-12)
        assert (new.uncertain["q_L"].low, new.uncertain["q_L"].high) == pytest.approx((84.0, 106.5), rel=1e-12)
        assert new.uncertain["q_L"].std == pytest.approx(4.5, rel=1e-12)
        data0 = np.array(sc.uncertain["x_solids"].data)
        np.testing.assert_allclose(new.uncertain["x_solids"].data,
                                   0.65 + 0.5 * (data0 - sc.uncertain["x_solids"].value), rtol=1e-12)
    if move and not scale:  # the interval moves with the nominal and keeps its width
        assert (new.uncertain["v_web"].low, new.uncertain["v_web"].high) == pytest.approx((1.05, 1.18), rel=1e-12)
        assert (new.uncertain["q_L"].low, new.uncertain["q_L"].high) == pytest.approx((86.0, 101.0), rel=1e-12)


def test_varied_keeps_the_order_so_a_seed_draws_the_affine_image(variation):
    sc = variation
    new = sc.varied({k: v for k, (v, _) in MOVES.items()}, scales={k: s for k, (_, s) in MOVES.items()})
    assert list(new.uncertain) == list(sc.uncertain)
    a, b = sc.sample(400, seed=8), new.sample(400, seed=8)
    for name in ("w_AM", "v_web", "q_L"):  # exact quantile maps: the same uniform feeds the same input
        v, k = MOVES[name]
        np.testing.assert_allclose(b[name], v + k * (a[name] - sc.uncertain[name].value), rtol=1e-9)
    np.testing.assert_allclose(b["x_solids"], 0.65 + 0.5 * (a["x_solids"] - sc.uncertain["x_solids"].value),
                               rtol=1e-6)
    np.testing.assert_allclose(b["w_PB"], 1 - b["w_AM"] - b["w_CA"], rtol=0, atol=1e-15)  # still the balance


def test_varied_leaves_the_original_alone_and_with_values_is_varied(variation):
    sc = variation
    before = (dict(sc.fixed), dict(sc.uncertain), sc.balance)
    a = sc.varied({"q_L": 90.0, "gamma_c": 140.0})
    assert (dict(sc.fixed), dict(sc.uncertain), sc.balance) == before
    b = sc.with_values(q_L=90.0, gamma_c=140.0)
    assert a.fixed == b.fixed and a.uncertain == b.uncertain and a.balance == b.balance
    assert a.fixed["gamma_c"] == 140.0 and a.nominal()["q_L"] == 90.0
    assert type(a) is type(sc)


def test_stds_set_a_standard_deviation_and_make_a_fixed_parameter_normal(variation):
    sc = variation
    new = sc.varied(stds={"gamma_c": 3.0, "q_L": 6.0})
    g = new.uncertain["gamma_c"]
    assert g.distribution == "normal" and g.value == 129.0 and g.std == 3.0 and "gamma_c" not in new.fixed
    assert list(new.uncertain) == [*sc.uncertain, "gamma_c"]  # a newly uncertain input comes last
    mean, std, _, _ = marginal(new, "gamma_c")
    assert mean == pytest.approx(129.0, rel=1e-12) and std == pytest.approx(3.0, rel=1e-12)
    q = new.uncertain["q_L"]  # truncated normal: std set, bounds stretched by k = 6 / 3 about the nominal
    assert q.std == 6.0 and (q.low, q.high) == pytest.approx((76.0, 106.0), rel=1e-12)
    moved_value = sc.varied({"gamma_c": 120.0}, stds={"gamma_c": 2.0}).uncertain["gamma_c"]
    assert (moved_value.value, moved_value.std) == (120.0, 2.0)
    with pytest.raises(ParameterError, match="a uniform distribution has no standard deviation to set"):
        sc.varied(stds={"v_web": 0.01})


def test_a_value_for_the_balance_fixes_it(variation):
    sc = variation
    new = sc.varied({"w_PB": 0.025})
    assert sc.balance == "w_PB" and new.balance is None
    assert new.fixed["w_PB"] == 0.025 and new.nominal()["w_PB"] == 0.025
    assert "w_PB" in new.given
    fixed_at_nominal = sc.varied(fix=["w_PB"])
    assert fixed_at_nominal.balance is None
    assert fixed_at_nominal.fixed["w_PB"] == pytest.approx(1 - 0.94 - 0.03, rel=1e-12)


def test_fix_drops_a_distribution(variation):
    sc = variation
    new = sc.varied(fix=["q_L", "x_solids"])
    assert "q_L" not in new.uncertain and "x_solids" not in new.uncertain
    assert new.fixed["q_L"] == 84.0 and new.fixed["x_solids"] == sc.uncertain["x_solids"].value
    assert list(new.uncertain) == [k for k in sc.uncertain if k not in ("q_L", "x_solids")]
    assert sc.varied({"q_L": 88.0}, fix=["q_L"]).fixed["q_L"] == 88.0
    assert sc.varied(fix=["gamma_c"]).fixed["gamma_c"] == 129.0  # already fixed: stays


def test_varied_refuses_what_it_cannot_do(variation):
    sc = variation
    with pytest.raises(ParameterError, match="'gamma_c' has no spread to scale: it is fixed") as info:
        sc.varied(scales={"gamma_c": 2.0})
    assert info.value.parameter == "gamma_c"
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ParameterError, match=r"scale of q_L = .* must be positive \(valid range \(0, inf\)\)") \
                as info:
            sc.varied(scales={"q_L": bad})
        assert info.value.parameter == "q_L" and info.value.valid == "(0, inf)" and info.value.unit == "1"
    with pytest.raises(ParameterError, match=r"std of q_L = -1 N/mm must be positive") as info:
        sc.varied(stds={"q_L": -1.0})
    assert info.value.unit == "N/mm"
    with pytest.raises(ParameterError, match=r"unknown parameter 'q_l' \(did you mean 'q_L'\?\)") as info:
        sc.varied({"q_l": 90.0})
    assert info.value.parameter == "q_l"
    with pytest.raises(ParameterError, match="'rho_cal' is computed by the chain, not set by the scenario") as info:
        sc.varied({"rho_cal": 3.0})
    assert info.value.parameter == "rho_cal"
    with pytest.raises(ParameterError, match=r"eps_min = 1.2 is outside its valid range \[0, 1\)") as info:
        sc.varied({"eps_min": 1.2})
    assert (info.value.parameter, info.value.value) == ("eps_min", 1.2)


def test_moved_on_its_own():
    u = Uncertain("x", "uniform", 1.0, low=0.5, high=2.0)
    m = moved(u, 3.0, 2.0)
    assert (m.value, m.low, m.high) == (3.0, 2.0, 5.0)
    assert moved(u) == u
    t = Uncertain("x", "truncated-normal", 0.0, std=1.0, low=-math.inf, high=2.0)
    m = moved(t, 1.0, 3.0)
    assert (m.value, m.std, m.low, m.high) == (1.0, 3.0, -math.inf, 7.0)  # an open side stays open
    n = moved(Uncertain("x", "normal", 5.0, std=0.5), std=2.0)
    assert (n.value, n.std) == (5.0, 2.0)
    with pytest.raises(ParameterError, match="x = -1: a lognormal needs a positive nominal value") as info:
        moved(Uncertain("x", "lognormal", 5.0, std=0.5), -1.0)
    assert info.value.valid == "(0, inf)"
