"""Calendering (containers/calendering.py): the Meyer law (eq. 15), the linear compaction
resistance, the calendered structure (eqs. 13, 14, 16), its limits, and the same structure
at a given porosity (compacted-structure)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from celltwin.containers import Calendering, CompactedStructure
from celltwin.containers.calendering import meyer_porosity
from celltwin.platform.registry import containers

frac = st.floats(0.01, 0.98)
dens = st.floats(0.5, 8.0)

#: Table A1 after drying, in the units calendering declares (g/cm^2, g/cm^3)
DRIED = {"eps_dry": 0.439, "eps_min": 0.176, "q_L": 84.0, "gamma_c": 129.0, "m_dry": 0.01431442,
         "rho_solids": 4.306475, "w_AM": 0.94, "w_CA": 0.03, "w_PB": 0.03, "rho_AM": 4.75, "rho_CA": 1.80,
         "rho_PB": 1.70}


def test_linear_compaction_resistance():
    c = containers.get("calendering")(compaction="linear")
    x = {"gamma_c0": 100.0, "k_gamma_m": 2.0, "T_roll": 60.0, "k_gamma_T": 0.5, "m_dry": 0.0143}
    # 100 + 2 (N/mm)/(mg/cm^2) * 14.3 mg/cm^2 - 0.5 (N/mm)/K * 60 K
    assert c.compaction_resistance(x) == pytest.approx(100 + 28.6 - 30.0)


def test_meyer_law_limits():
    assert meyer_porosity(0.44, 0.18, 0.0, 100.0) == pytest.approx(0.44)
    assert meyer_porosity(0.44, 0.18, 1e6, 100.0) == pytest.approx(0.18)
    assert meyer_porosity(0.44, 0.18, 100.0, 100.0) == pytest.approx(0.18 + 0.26 / np.e)


def test_reference_structure_by_hand():
    out = Calendering().evaluate(DRIED)
    eps = 0.176 + (0.439 - 0.176) * np.exp(-84 / 129)
    assert out["eps_cal"] == pytest.approx(eps, rel=1e-14)
    assert out["eps_cal"] == pytest.approx(0.3131385, rel=1e-6)
    h = 0.01431442 / (4.306475 * (1 - eps))
    assert out["h_cal"] == pytest.approx(h, rel=1e-14) and out["rho_cal"] == pytest.approx(0.01431442 / h, rel=1e-14)
    v = 0.94 / 4.75 + 0.03 / 1.80 + 0.03 / 1.70
    assert out["X_AM"] == pytest.approx((1 - eps) * (0.94 / 4.75) / v, rel=1e-14)
    assert "gamma_c" not in out


def test_linear_mode_declares_and_returns_gamma_c():
    c = Calendering(compaction="linear")
    assert {"gamma_c0", "k_gamma_m", "k_gamma_T", "T_roll"} <= set(c.inputs()) and "gamma_c" not in c.inputs()
    assert c.outputs()["gamma_c"] == "N/mm" and c.inputs()["T_roll"] == "degC"
    x = {**DRIED, "gamma_c0": 100.0, "k_gamma_m": 3.0, "k_gamma_T": 0.2, "T_roll": 50.0}
    del x["gamma_c"]
    out = c.evaluate(x)
    gamma = 100.0 + 3.0 * 14.31442 - 0.2 * 50.0
    assert out["gamma_c"] == pytest.approx(gamma, rel=1e-12)
    assert out["eps_cal"] == pytest.approx(meyer_porosity(0.439, 0.176, 84.0, gamma), rel=1e-14)
    (bad, message), = c.constraints({**x, "T_roll": np.array([50.0, 1000.0])})  # 100 + 42.94 - 200
    assert bad.tolist() == [False, True]
    assert "gamma_c = -57.0567 N/mm from the linear compaction model must be positive" in message


def test_cannot_compact_below_the_minimal_porosity():
    (bad, message), = Calendering().constraints({**DRIED, "eps_dry": np.array([0.439, 0.15])})
    assert bad.tolist() == [False, True]
    assert message.startswith("eps_dry = 0.15 (unit 1) must exceed eps_min = 0.176")


def test_limits_by_hand():
    lim = {(x.parameter, x.side): x for x in Calendering().limits(DRIED)}
    rs, em, ed, md = 4.306475, 0.176, 0.439, 0.01431442
    assert lim["rho_cal", "upper"].bound == pytest.approx(rs * (1 - em), rel=1e-15)  # 3.5485 g/cm^3
    assert lim["rho_cal", "lower"].bound == pytest.approx(rs * (1 - ed), rel=1e-15)
    assert lim["eps_cal", "lower"].bound == em and lim["eps_cal", "upper"].bound == ed
    assert lim["h_cal", "lower"].bound == pytest.approx(md / (rs * (1 - em)), rel=1e-15)  # cm, declared unit
    out = Calendering().evaluate({**DRIED, "q_L": 1e5})  # a line load beyond any machine: at the limits
    assert out["rho_cal"] == pytest.approx(lim["rho_cal", "upper"].bound, rel=1e-12)
    assert out["h_cal"] == pytest.approx(lim["h_cal", "lower"].bound, rel=1e-12)
    assert lim["h_cal", "lower"].depends == ("m_dry", "rho_solids", "eps_min")


def test_compacted_structure_is_calendering_at_a_given_porosity():
    fixed = Calendering().at_porosity()
    assert isinstance(fixed, CompactedStructure) and containers.get("compacted-structure") is CompactedStructure
    assert fixed.components == ("AM", "CA", "PB")
    assert Calendering(("AM", "SE")).at_porosity().components == ("AM", "SE")
    assert "eps_cal" in fixed.inputs() and "q_L" not in fixed.inputs()
    assert fixed.outputs() == {"h_cal": "cm", "rho_cal": "g/cm^3", "X_AM": "1", "X_CA": "1", "X_PB": "1"}
    full = Calendering().evaluate(DRIED)
    same = fixed.evaluate({**{k: DRIED[k] for k in fixed.inputs() if k != "eps_cal"}, "eps_cal": full["eps_cal"]})
    for k in fixed.outputs():
        assert same[k] == full[k], k


@settings(max_examples=200, deadline=None)
@given(w=st.lists(frac, min_size=2, max_size=5), rho=st.lists(dens, min_size=5, max_size=5),
       eps_dry=st.floats(0.2, 0.8), eps_min=st.floats(0.05, 0.19), q_L=st.floats(0.0, 500.0),
       gamma=st.floats(10.0, 500.0), m_dry=st.floats(1e-3, 0.1))
def test_volume_fractions_plus_porosity_is_one(w, rho, eps_dry, eps_min, q_L, gamma, m_dry):
    comps = [f"C{i}" for i in range(len(w))]
    w = np.array(w) / sum(w)
    x = {"eps_dry": eps_dry, "eps_min": eps_min, "q_L": q_L, "gamma_c": gamma, "m_dry": m_dry}
    x.update({f"w_{c}": w[i] for i, c in enumerate(comps)})
    x.update({f"rho_{c}": rho[i] for i, c in enumerate(comps)})
    x["rho_solids"] = 1.0 / sum(w[i] / rho[i] for i in range(len(comps)))
    out = Calendering(comps).evaluate(x)
    total = out["eps_cal"] + sum(out[f"X_{c}"] for c in comps)
    assert abs(total - 1.0) < 1e-12
    assert eps_min - 1e-12 <= out["eps_cal"] <= eps_dry + 1e-12
