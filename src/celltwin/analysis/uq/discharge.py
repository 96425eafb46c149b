"""Discharge curves of sampled cells, and the spread band of a study's Monte Carlo cells.

The spread is a band of delivered capacity at each voltage: every sampled cell's curve is read
as capacity against voltage (voltage falls monotonically in a constant-current discharge, so
the inverse is well defined down to the cut-off), and the 5 / 50 / 95 % quantiles of capacity
are taken at each voltage. At the cut-off voltage the band is the spread of the capacity
itself, the same quantity as the capacity histogram; a band of voltage at each capacity would
be undefined past the first cell to reach its cut-off.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...platform.errors import ParameterError
from ...platform.scenario import Scenario
from ...platform.units import convert

BAND_QUANTILES = (0.05, 0.5, 0.95)


def sampled_curves(sc: Scenario, chain, rows: pd.DataFrame) -> list[pd.DataFrame] | None:
    """Discharge curves of the cells whose structures are the ``rows`` (catalog units), or None
    when the scenario's cell container draws no curves."""
    cell = chain.container(sc.cell)
    curves = getattr(cell, "discharge_curves", None)
    if curves is None:
        return None
    values = {p: convert(rows[p].to_numpy(dtype=float), sc.catalog[p].unit, unit) for p, unit in cell.inputs().items()}
    return curves(values)


def band(curves: Sequence[pd.DataFrame], quantiles: Sequence[float] = BAND_QUANTILES,
         points: int = 200) -> pd.DataFrame:
    """Quantiles of capacity (mAh/cm^2) at each voltage (V) over ``curves`` (``capacity``, ``voltage``
    columns), on ``points`` voltages spanning the range every curve covers.

    Returns columns ``voltage`` and ``capacity_qNN`` per quantile (e.g. ``capacity_q05``).
    """
    if len(curves) < 2:
        raise ParameterError(f"a band needs at least 2 curves, got {len(curves)}", parameter="curves",
                             value=len(curves), valid="[2, inf)")
    # running minimum: a solver wiggle of a few µV must not make the inverse multivalued
    monotone = [(np.minimum.accumulate(c["voltage"].to_numpy(dtype=float)), c["capacity"].to_numpy(dtype=float))
                for c in curves]
    high = min(v[0] for v, _ in monotone)
    low = max(v[-1] for v, _ in monotone)
    voltage = np.linspace(high, low, points)
    capacity = np.array([np.interp(voltage, v[::-1], q[::-1]) for v, q in monotone])
    out = pd.DataFrame({"voltage": voltage})
    for q in quantiles:
        out[f"capacity_q{round(100 * q):02d}"] = np.quantile(capacity, q, axis=0)
    return out


def study_band(sc: Scenario, chain, valid: pd.DataFrame, n_curves: int = 100) -> tuple[pd.DataFrame | None, int]:
    """The band of the first ``n_curves`` valid Monte Carlo cells (a random subset: the rows are
    independent draws), and the number of curves it holds; (None, 0) without curves."""
    rows = valid.head(n_curves)
    if len(rows) < 2:
        return None, 0
    curves = sampled_curves(sc, chain, rows)
    return (None, 0) if curves is None else (band(curves), len(curves))
