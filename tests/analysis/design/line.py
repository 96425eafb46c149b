"""A synthetic measured line with known true settings (shared by the measurement and calibration tests)."""
from __future__ import annotations

from celltwin.analysis.design.calibration import Free

NOISE = {"m_dry": 0.05, "h_cal": 0.5, "eps_cal": 0.003}  # gauge std, catalog units
TRUE = {Free("V_dot"): 720.0, Free("V_dot", "std"): 14.4, Free("eps_min"): 0.19}
