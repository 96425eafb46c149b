"""The design space of inverse, product and robust runs: bounds in catalog units (default ±50 %
of the start, a given box, always inside the catalog range with open ends kept open), the unit
box the optimisers work in, which parameters ended at a bound, and errors that carry fields."""
from __future__ import annotations

import numpy as np
import pytest

from celltwin.analysis import DesignSpace as reexported
from celltwin.analysis.design.space import DEFAULT_SPAN, DesignSpace
from celltwin.platform.errors import ParameterError


@pytest.fixture(scope="module")
def sc(reference_cathode):
    return reference_cathode


@pytest.fixture(scope="module")
def start(sc):
    return sc.nominal()


def test_default_box_is_half_the_start_either_side(sc, start):
    space = DesignSpace.of(sc, ["V_dot", "q_L"], start)
    assert DEFAULT_SPAN == 0.5 and reexported is DesignSpace
    assert space.names == ["V_dot", "q_L"] and space.dimension == 2
    assert space.bounds["V_dot"] == pytest.approx((348.0, 1044.0))
    assert space.bounds["q_L"] == pytest.approx((42.0, 126.0))
    assert space.units == ["cm^3/h", "N/mm"]
    # around a moved start, not the nominal; a mapping with None means the default box as well
    moved = DesignSpace.of(sc, {"V_dot": None}, {**start, "V_dot": 800.0})
    assert moved.bounds["V_dot"] == pytest.approx((400.0, 1200.0))
    assert DesignSpace.of(sc, ["q_L"], start, span=0.1).bounds["q_L"] == pytest.approx((75.6, 92.4))


def test_given_box_is_kept(sc, start):
    space = DesignSpace.of(sc, {"V_dot": None, "q_L": (40, 200)}, start)
    assert space.bounds["q_L"] == (40.0, 200.0) and isinstance(space.bounds["q_L"][0], float)
    assert space.bounds["V_dot"] == pytest.approx((348.0, 1044.0))


def test_box_clipped_to_the_catalog_range_open_ends_kept_open(sc, start):
    # x_solids: (0, 1] - the default box of 0.7 reaches 1.05 and is cut at the closed end 1
    assert DesignSpace.of(sc, ["x_solids"], start).bounds["x_solids"] == pytest.approx((0.35, 1.0), abs=0)
    # q_L: [0, 10000], both ends closed: cut exactly at them
    assert DesignSpace.of(sc, {"q_L": (-10.0, 20000.0)}, start).bounds["q_L"] == (0.0, 10000.0)
    # eps_min: [0, 1) - the open upper end stays open: the bound lies strictly below 1
    low, high = DesignSpace.of(sc, {"eps_min": (0.1, 1.5)}, start).bounds["eps_min"]
    assert low == 0.1 and 1.0 - 1e-8 < high < 1.0
    # x_solids: open lower end 0 stays open
    low, high = DesignSpace.of(sc, {"x_solids": (-0.5, 0.9)}, start).bounds["x_solids"]
    assert 0.0 < low < 1e-8 and high == 0.9
    assert not sc.catalog["eps_min"].invalid_mask(high) and not sc.catalog["x_solids"].invalid_mask(low)


def test_unit_box_round_trip(sc, start):
    space = DesignSpace.of(sc, {"V_dot": None, "q_L": (40, 200)}, start)
    x = np.array([696.0, 84.0])
    z = space.to_unit(x)
    np.testing.assert_allclose(z, [0.5, 44.0 / 160.0], rtol=1e-15)
    np.testing.assert_allclose(space.from_unit(z), x, rtol=1e-15)
    np.testing.assert_allclose(space.from_unit([[0.0, 1.0], [1.0, 0.0]]), [[348.0, 200.0], [1044.0, 40.0]])
    # to_unit does not clip, from_unit does
    assert space.to_unit([1044.0 + 696.0, 40.0])[0] == pytest.approx(2.0)
    np.testing.assert_allclose(space.from_unit([-0.5, 1.5]), [348.0, 200.0])
    np.testing.assert_allclose(space.clip([0.0, 500.0]), [348.0, 200.0])
    assert space.values([0.5, 0.0]) == pytest.approx({"V_dot": 696.0, "q_L": 40.0})


def test_at_bound_report(sc, start):
    space = DesignSpace.of(sc, ["V_dot", "v_web", "q_L"], start)
    assert space.at_bound([0.0, 0.5, 1.0]) == {"V_dot": "lower", "q_L": "upper"}
    assert space.at_bound([1e-8, 0.5, 1 - 1e-8]) == {"V_dot": "lower", "q_L": "upper"}
    assert space.at_bound([1e-3, 0.5, 0.999]) == {}
    assert space.at_bound([1e-3, 0.5, 0.999], tol=1e-2) == {"V_dot": "lower", "q_L": "upper"}
    assert space.describe_at_bound({"q_L": "upper", "V_dot": "lower"}) == \
        "q_L sits at its upper bound 126 N/mm, V_dot sits at its lower bound 348 cm^3/h"


def test_unknown_name_suggests_and_carries_the_parameter(sc, start):
    with pytest.raises(ParameterError, match=r"unknown parameter 'q_l' \(did you mean 'q_L'\?\)") as info:
        DesignSpace.of(sc, ["q_l"], start)
    assert info.value.parameter == "q_l"


@pytest.mark.parametrize("name", ["m_dry", "eps_cal"])
def test_a_computed_parameter_is_not_free(sc, start, name):
    with pytest.raises(ParameterError, match=f"free parameter '{name}' is not an input of this scenario") as info:
        DesignSpace.of(sc, [name], start)
    assert info.value.parameter == name
    assert "computed by the chain" in str(info.value) and "V_dot" in str(info.value)


def test_the_balance_parameter_is_not_free(sc, start):
    assert sc.balance == "w_PB"
    with pytest.raises(ParameterError, match="closes the mass balance") as info:
        DesignSpace.of(sc, ["w_PB"], start)
    assert info.value.parameter == "w_PB"
    assert "w_PB" not in str(info.value).split("free inputs:")[1]  # not offered as a free input either


def test_low_must_lie_below_high(sc, start):
    with pytest.raises(ParameterError, match="q_L: low = 200 must be below high = 40 N/mm") as info:
        DesignSpace.of(sc, {"q_L": (200, 40)}, start)
    err = info.value
    assert (err.parameter, err.value, err.unit) == ("q_L", (200.0, 40.0), "N/mm")
    with pytest.raises(ParameterError, match="low = 84 must be below high = 84") as info:
        DesignSpace.of(sc, {"q_L": (84, 84)}, start)
    assert info.value.parameter == "q_L"


def test_box_outside_the_valid_range_and_no_free_parameters(sc, start):
    with pytest.raises(ParameterError, match=r"bounds leave nothing of its valid range \[0, 1\)") as info:
        DesignSpace.of(sc, {"eps_min": (1.5, 2.0)}, start)
    assert (info.value.parameter, info.value.valid) == ("eps_min", "[0, 1)")
    with pytest.raises(ParameterError, match="no free parameters") as info:
        DesignSpace.of(sc, [], start)
    assert info.value.parameter == "free"
