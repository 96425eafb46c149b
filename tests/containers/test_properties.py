"""Property-based identities: mass balance through the chain, volume fractions + porosity = 1."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from celltwin.containers.calendering import Calendering
from celltwin.containers.drying import Drying

frac = st.floats(0.01, 0.98)
dens = st.floats(0.5, 8.0)


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


@settings(max_examples=200, deadline=None)
@given(m_wet=st.floats(1e-3, 0.1), x_solids=st.floats(0.3, 0.9), rho_solids=st.floats(1.0, 6.0),
       eps=st.floats(0.1, 0.8))
def test_mass_balance_through_drying(m_wet, x_solids, rho_solids, eps):
    """Solids in the wet film = dry coating mass; the dry layer's solid volume = mass / density."""
    out = Drying().evaluate({"m_wet": m_wet, "x_solids": x_solids, "rho_solids": rho_solids, "eps_dry": eps})
    assert abs(out["m_dry"] - m_wet * x_solids) <= 1e-15
    solid_volume = out["h_dry"] * (1 - eps)  # cm^3 of solids per cm^2
    assert abs(solid_volume * rho_solids - out["m_dry"]) <= 1e-12 * out["m_dry"]
