"""The spread band of discharge curves: capacity quantiles at each voltage (known answers on
synthetic curves; the P2D curves themselves are tested with the cell model)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from celltwin.analysis.uq.discharge import band
from celltwin.platform.errors import ParameterError


def _linear(q_end: float, v0: float = 4.2, v_cut: float = 3.0, points: int = 50) -> pd.DataFrame:
    """A curve falling linearly from v0 to the cut-off over a capacity q_end (mAh/cm^2)."""
    q = np.linspace(0.0, q_end, points)
    return pd.DataFrame({"capacity": q, "voltage": v0 - (v0 - v_cut) * q / q_end})


def test_band_is_the_capacity_quantiles_at_each_voltage():
    """Capacities 1.0 ... 2.0: at the cut-off the band is their 5/50/95 % quantiles; half-way down in
    voltage it is half of that (every curve is linear)."""
    ends = np.linspace(1.0, 2.0, 21)
    b = band([_linear(q) for q in ends])
    assert b["voltage"].iloc[0] == pytest.approx(4.2) and b["voltage"].iloc[-1] == pytest.approx(3.0)
    last = b.iloc[-1]
    np.testing.assert_allclose([last["capacity_q05"], last["capacity_q50"], last["capacity_q95"]],
                               np.quantile(ends, [0.05, 0.5, 0.95]), rtol=1e-12)
    mid = b.iloc[np.argmin(np.abs(b["voltage"] - 3.6))]
    frac = (4.2 - mid["voltage"]) / 1.2
    assert mid["capacity_q50"] == pytest.approx(frac * np.median(ends), rel=1e-9)
    assert (b["capacity_q05"] <= b["capacity_q50"]).all() and (b["capacity_q50"] <= b["capacity_q95"]).all()


def test_band_spans_only_the_voltages_every_curve_reaches():
    """A cell that stops at 3.2 V (e.g. a higher cut-off) bounds the band; a solver wiggle in
    voltage does not make capacity multivalued."""
    wiggly = _linear(1.5)
    wiggly.loc[10, "voltage"] += 1e-4
    b = band([_linear(1.0), wiggly, _linear(2.0, v_cut=3.2)])
    assert b["voltage"].min() == pytest.approx(3.2)
    assert np.all(np.diff(b["capacity_q50"]) >= 0)
    with pytest.raises(ParameterError, match="at least 2 curves"):
        band([_linear(1.0)])
