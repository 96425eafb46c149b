"""Drying (containers/drying.py): eqs. 12-14 with a given porosity, its limit, and the
``porosity = "metamodel"`` mode on the shipped DEM-backed metamodel (anchored or not)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import celltwin as ct
from celltwin.containers.drying import Drying, compacted
from celltwin.metamodels.metamodel import ExtrapolationWarning
from celltwin.platform.errors import ParameterError

ANCHOR = {"anchor_m_wet": 20.5, "anchor_eps_dry": 0.439}


def inputs(m_wet_mg, rate=1.0):
    m = np.atleast_1d(np.asarray(m_wet_mg, dtype=float))
    return {"m_wet": m * 1e-3, "x_solids": np.full(m.shape, 0.7), "rho_solids": np.full(m.shape, 4.31),
            "drying_rate": np.broadcast_to(np.asarray(rate, dtype=float), m.shape)}


def raw(c, m_wet_mg, rate=1.0):
    """The metamodel itself at loadings in mg/cm^2 and a drying rate in g/(m^2 s)."""
    return c.metamodel({"m_wet": np.asarray(m_wet_mg, dtype=float), "drying_rate": rate})


def test_given_porosity_by_hand():
    """Table A1: m_wet 20.45 mg/cm^2, x_solids 0.70, rho_solids 4.306 g/cm^3, eps_dry 0.439."""
    c = Drying()
    assert c.settings["porosity"] == "given" and "eps_dry" in c.inputs() and "eps_dry" not in c.outputs()
    out = c.evaluate({"m_wet": 0.02044917, "x_solids": 0.70, "rho_solids": 4.306475, "eps_dry": 0.439})
    assert out["m_dry"] == pytest.approx(0.02044917 * 0.70, rel=1e-15)                  # eq. 12
    assert out["h_dry"] == pytest.approx(out["m_dry"] / (4.306475 * (1 - 0.439)), rel=1e-15)  # eq. 13
    assert out["h_dry"] * 1e4 == pytest.approx(59.25009, rel=1e-6)                       # um; Table A1: 59.2
    assert out["rho_dry"] == pytest.approx(4.306475 * (1 - 0.439), rel=1e-14)            # eq. 14
    assert c.corrections() == {} and c.anchor_bias() is None


def test_compacted_layer_identity():
    h, rho = compacted(0.0143, 4.3, 0.3)
    assert h == pytest.approx(0.0143 / (4.3 * 0.7), rel=1e-15) and rho == pytest.approx(4.3 * 0.7, rel=1e-15)


def test_limit_no_denser_than_the_solids():
    (lim,) = Drying().limits({"m_wet": 0.02, "x_solids": 0.7, "rho_solids": 4.306475, "eps_dry": 0.439})
    assert (lim.parameter, lim.side, lim.bound, lim.depends) == ("rho_dry", "upper", 4.306475, ("rho_solids",))


@settings(max_examples=200, deadline=None)
@given(m_wet=st.floats(1e-3, 0.1), x_solids=st.floats(0.3, 0.9), rho_solids=st.floats(1.0, 6.0),
       eps=st.floats(0.1, 0.8))
def test_mass_balance_through_drying(m_wet, x_solids, rho_solids, eps):
    """Solids in the wet film = dry coating mass; the dry layer's solid volume = mass / density."""
    out = Drying().evaluate({"m_wet": m_wet, "x_solids": x_solids, "rho_solids": rho_solids, "eps_dry": eps})
    assert abs(out["m_dry"] - m_wet * x_solids) <= 1e-15
    solid_volume = out["h_dry"] * (1 - eps)  # cm^3 of solids per cm^2
    assert abs(solid_volume * rho_solids - out["m_dry"]) <= 1e-12 * out["m_dry"]


# -- porosity = "metamodel" (moved from tests/metamodels/test_drying_container.py) ---------
def test_unanchored_mode_returns_the_metamodel():
    c = Drying(porosity="metamodel")
    assert c.inputs()["drying_rate"] == "g/(m^2*s)" and "eps_dry" not in c.inputs()
    out = c.evaluate(inputs([14.2, 20.5, 35.4]))
    np.testing.assert_allclose(out["eps_dry"], raw(c, [14.2, 20.5, 35.4]), rtol=1e-12)
    assert c.anchor_bias() is None and c.bias == 0.0
    m_dry = 20.5e-3 * 0.7
    assert out["h_dry"][1] == pytest.approx(m_dry / (4.31 * (1 - out["eps_dry"][1])), rel=1e-12)


def test_anchor_reproduces_the_measured_point_and_reports_its_bias():
    c = Drying(porosity="metamodel", **ANCHOR)
    out = c.evaluate(inputs(20.5))
    assert out["eps_dry"][0] == pytest.approx(0.439, abs=1e-12)
    info = c.anchor_bias()
    at = float(raw(c, 20.5))
    assert info == {"m_wet": 20.5, "drying_rate": 1.0, "eps_dry_measured": 0.439, "eps_dry_metamodel": at,
                    "bias": 0.439 - at}
    # the correction is a shift: differences between loadings and drying rates are the DEM's
    far = c.evaluate(inputs(30.0, 1.5))["eps_dry"][0]
    assert far - 0.439 == pytest.approx(float(raw(c, 30.0, 1.5)) - at, rel=1e-10)


def test_metamodel_vectorized_equals_scalar():
    c = Drying(porosity="metamodel", **ANCHOR)
    m = np.linspace(15, 35, 9)
    rate = np.linspace(0.6, 1.9, 9)
    vec = c.evaluate(inputs(m, rate))["eps_dry"]
    scal = [c.evaluate(inputs(v, r))["eps_dry"][0] for v, r in zip(m, rate, strict=True)]
    np.testing.assert_allclose(vec, scal, rtol=1e-13)


def test_outside_the_design_space_warns_or_raises():
    with pytest.warns(ExtrapolationWarning, match="m_wet = 50"):
        Drying(porosity="metamodel").evaluate(inputs(50.0))
    with pytest.raises(ParameterError, match="outside the design space"):
        Drying(porosity="metamodel", extrapolation="raise").evaluate(inputs(10.0))
    with pytest.raises(ParameterError, match=r"drying_rate = 9 .* outside the design space"):
        Drying(porosity="metamodel", extrapolation="raise").evaluate(inputs(20.0, 9.0))
    lo, hi = Drying(porosity="metamodel").design_space()["drying_rate"]
    assert 0 < lo < 1.0 < hi  # g/(m^2 s): the reference drying rate lies inside the design


def test_bad_options_are_named():
    with pytest.raises(ParameterError, match="anchor_eps_dry"):
        Drying(porosity="metamodel", anchor_m_wet=20.5)
    with pytest.raises(ParameterError, match=r"anchor_eps_dry = 43.9"):
        Drying(porosity="metamodel", anchor_m_wet=20.5, anchor_eps_dry=43.9)
    with pytest.raises(ParameterError, match="does not exist"):
        _ = Drying(porosity="metamodel", metamodel="/nonexistent.json").metamodel


def test_reference_cathode_on_the_anchored_metamodel_keeps_table_a1():
    sc = ct.Scenario.load("reference-cathode")
    sc.container_options["drying"] = {"porosity": "metamodel", **ANCHOR}
    assert "drying_rate" in sc.fixed or "drying_rate" in sc.uncertain
    sc.fixed.pop("eps_dry", None)
    sc.uncertain.pop("eps_dry", None)
    chain = sc.build_chain(with_cell=False)
    out = chain.evaluate(sc.nominal())
    # the chain's m_wet is 20.4x, not exactly the anchor's 20.5: eps_dry moves by the DEM slope only
    assert out["eps_dry"] == pytest.approx(0.439, abs=1e-3)
    assert out["h_dry"] == pytest.approx(59.2, abs=0.3)
    assert out["rho_dry"] == pytest.approx(2.42, abs=0.01)
    assert out["rho_cal"] == pytest.approx(2.95, abs=0.01)
