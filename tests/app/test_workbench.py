"""The workbench without a browser: edits checked one by one, the what-if, drivers, inverse targets."""
import pytest


def test_edits_are_refused_one_by_one_with_the_catalog_message(wb):
    e = wb.edit({"q_L": "90", "w_AM": 2, "x_solids": "abc"}, {"V_dot": -1, "v_web": 0, "rho_AM": 0.05})
    assert e.values == {"q_L": 90.0}
    assert e.errors[("value", "w_AM")] == wb.base.catalog["w_AM"].message(2)
    assert "not a number" in e.errors[("value", "x_solids")]
    assert "must be positive" in e.errors[("spread", "V_dot")]
    assert e.fix == ["v_web"] and e.stds == {"rho_AM": 0.05}
    sc = wb.scenario(e)
    assert sc.nominal()["q_L"] == 90.0 and "v_web" in sc.fixed and sc.uncertain["rho_AM"].std == 0.05



def test_whatif_yield_and_drivers(wb):
    result = wb.whatif(wb.scenario(wb.edit({"q_L": 84})))
    y = result.yield_
    assert y.n == 4000 and 0.4 < y.p_in < 0.75  # the reference cathode: about 57 % (celltwin yield)
    assert result.nominal["rho_cal"] == pytest.approx(2.9578318259124727, rel=1e-9)
    d = wb.drivers(wb.base, samples=300)
    S = d.indices["S"]
    assert S.loc[("eps_cal", "q_L")] > 0.3  # the line load sets the porosity
    assert S.loc[("m_dry", "q_L")] == pytest.approx(0, abs=0.02)  # and not the loading


def test_inverse_target(wb):
    r = wb.inverse(wb.base, {"rho_cal": "3.0"}, ["q_L"])
    assert r.reachable and r.achieved["rho_cal"] == pytest.approx(3.0, rel=1e-4)
    assert 84 < r.settings["q_L"] < 120


def test_the_shown_values_are_no_edit(wb):
    """The page shows 6 (value) and 4 (spread) significant digits; sending them back changes nothing."""
    from celltwin.app.workbench import SPREAD_FORMAT, VALUE_FORMAT

    rows = [s for s in wb.settings() if s.editable]
    e = wb.edit({s.name: format(s.value, VALUE_FORMAT) for s in rows},
                {s.name: "" if s.spread is None else format(s.spread, SPREAD_FORMAT) for s in rows})
    assert not e.errors and e.as_dict() == {"values": {}, "stds": {}, "scales": {}, "fix": []}
    assert wb.scenario(e).to_dict() == wb.base.to_dict()
