"""Answers that explain themselves: first-order variance shares (known answer for a product of
inputs), the windows that bind, the nominal misses, and the sentences of tolerances and robust runs."""
from __future__ import annotations

import pytest

from celltwin.analysis.design.explain import binding_windows, nominal_misses, variance_shares
from celltwin.analysis.design.robust import robust_design
from celltwin.analysis.design.tolerances import production_tolerances
from celltwin.analysis.uq.specs import as_specs, yield_of
from celltwin.containers.scenario import ElectrodeScenario

from ..scenarios import only_v_dot, reference_data


def two_inputs() -> ElectrodeScenario:
    """V_dot (1 % std) and v_web (2 % std) the only uncertain inputs; m_dry = c V_dot / v_web."""
    data = reference_data("V_dot", 6.96)
    data["parameters"]["v_web"] = {"value": 1.0, "std": 0.02}
    return ElectrodeScenario.from_dict(data)


def test_variance_shares_of_a_ratio_are_the_squared_relative_spreads():
    """For m_dry = c V_dot / v_web, first order: var share_i = r_i^2 / sum r^2 with r = (1 %, 2 %)."""
    sc = two_inputs()
    specs = as_specs(["m_dry=14.3+-3%", "rho_cal=2.95+-2%"], sc.catalog)
    shares = variance_shares(sc, sc.build_chain(with_cell=False), specs, {}, sc.nominal())
    assert shares["m_dry"]["V_dot"] == pytest.approx(1 / 5, rel=1e-4)
    assert shares["m_dry"]["v_web"] == pytest.approx(4 / 5, rel=1e-4)
    # scaling a spread by k scales its variance by k^2
    scaled = variance_shares(sc, sc.build_chain(with_cell=False), specs, {"v_web": 0.5}, sc.nominal())
    assert scaled["m_dry"]["V_dot"] == pytest.approx(0.5, rel=1e-4)


def test_binding_windows_tightest_first_with_their_drivers():
    sc = two_inputs()
    chain = sc.build_chain(with_cell=False)
    specs = as_specs(["m_dry=14.3+-1%", "rho_cal=2.95+-20%"], sc.catalog)
    res = yield_of(chain.evaluate(sc.sample(2000, 1).drop(columns="segment").to_dict("series"),
                                  on_invalid="mask"), specs, catalog=sc.catalog)
    binding = binding_windows(res, variance_shares(sc, chain, specs, {}, sc.nominal()))
    assert [b.name for b in binding] == ["m_dry"]  # rho_cal's wide window holds every sample
    assert binding[0].drivers[0][0] == "v_web" and binding[0].drivers[0][1] == pytest.approx(0.8, rel=1e-4)
    assert binding[0].fraction_in == pytest.approx(res.per_spec.loc[0, "fraction_in"])
    assert "v_web 80 %, V_dot 20 %" in binding[0].sentence()


def test_a_window_the_nominal_misses_is_named_with_its_value():
    sc = only_v_dot()
    misses = nominal_misses(sc, sc.build_chain(with_cell=False), as_specs(["m_dry=20+-1%"], sc.catalog),
                            sc.nominal())
    assert len(misses) == 1 and misses[0].startswith("nominal m_dry = 14.3") and "mg/cm^2" in misses[0]


def test_tolerances_explain_a_target_the_left_out_parameters_prevent():
    """The reference cathode at 99 %: its process parameters cannot reach it while w_AM, w_CA and x_solids
    keep their spread; the explanation gives the yield with all four held exact and the binding windows."""
    res = production_tolerances("reference-cathode", n=400, seed=1)
    assert res.joint_factor == 0 and (res.table["with_others_std"] == 0).all()
    assert res.others == ["w_AM", "w_CA", "x_solids"]
    floor = res.yield_floor
    assert floor is not None and res.yield_scenario.p_in < floor.p_in < 0.99
    # held exact one at a time, no parameter does better than all held exact
    assert (res.table["yield_if_exact_%"] <= 100 * floor.p_in + 1e-9).all()
    text = "\n".join(res.explain())
    assert "'allowed joint' is 0" in text and f"{100 * floor.p_in:.1f} %" in text
    assert "not analysed (w_AM, w_CA, x_solids)" in text
    drivers = {b.name: b.drivers[0][0] for b in res.binding}
    assert drivers == {"m_dry": "x_solids", "rho_cal": "w_AM"}  # the left-out spreads fill the windows


def test_tolerances_that_are_met_need_no_explanation():
    sc = only_v_dot(7.0)
    res = production_tolerances(sc, ["m_dry=14.3+-3%"], parameters=["V_dot"], n=1000, seed=1)
    assert res.joint_factor > 0 and res.yield_floor is None and res.explain() == []


def test_tolerances_say_when_the_nominal_is_out_of_spec():
    sc = only_v_dot(7.0)
    res = production_tolerances(sc, ["m_dry=20+-1%"], parameters=["V_dot"], n=200, seed=1)
    assert res.table.loc["V_dot", "alone_std"] == 0
    assert res.explain()[0].startswith("nominal m_dry = 14.3")


def test_robust_explains_the_yield_it_reaches():
    sc = two_inputs()
    res = robust_design(sc, ["V_dot"], specs=["m_dry=14.3+-1%"], n=1000, seed=3, max_iterations=20)
    lines = res.explain()
    assert lines[0].startswith("best reachable yield with V_dot free: ")
    assert f"{100 * res.yield_after.p_in:.1f} %" in lines[0]
    assert res.binding[0].name == "m_dry" and res.binding[0].drivers[0][0] == "v_web"  # a spread no setting moves


def test_tolerance_plot_has_plain_log_ticks(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from celltwin.analysis.design.tolerances import _plain_log_ticks

    fig, ax = plt.subplots()
    ax.barh([0, 1], [1.0, 6.0])
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.xaxis.get_ticklabels(which="both") if t.get_text()]
    plt.close(fig)
    assert "2" in labels and "5" in labels and not any("10^" in x or "×" in x or "times" in x for x in labels)


def test_tolerance_result_shows_itself_briefly():
    res = production_tolerances(only_v_dot(7.0), ["m_dry=20+-1%"], parameters=["V_dot"], n=200, seed=1)
    assert repr(res) == "ToleranceResult(1 parameters for yield >= 99 %: joint factor 0, yield now 0.0 %)"
    page = res._repr_html_()
    assert "cm^3/h" in page and "<li>nominal m_dry = 14.3" in page
