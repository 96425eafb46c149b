"""Structure -> performance sensitivity at several discharge rates.

The study's valid Monte Carlo structures are discharged again at each current density
(same samples, so the indices differ only by the rate), and stage (b) of the study (PCE +
ANCOVA on the cell inputs) is refitted per rate. The table is written as
``sensitivity_rates.csv``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from ...platform.scenario import Scenario
from ...platform.units import convert


def rate_sensitivity(sc: Scenario, valid: pd.DataFrame, inputs: Sequence[str], outputs: Sequence[str],
                     current_densities: Sequence[float], seed: int, fit: Callable[..., tuple[Any, Any]],
                     progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """ANCOVA indices of ``outputs`` on ``inputs`` per current density (mA/cm^2), long format.

    ``fit(frame, inputs, outputs, seed)`` is the study's stage (b) (PCE + ANCOVA), returning
    a result with ``indices``. Columns: current_density, c_rate (mean over the samples,
    1/h), output, input, S, S_U, S_C, Q2, mean and std of the output at that rate.
    """
    base = sc.cell_container()
    values = {p: convert(valid[p].to_numpy(float), sc.catalog[p].unit, unit) for p, unit in base.inputs().items()}
    tables = []
    for k, i in enumerate(current_densities):
        cell = type(base)(sc.components, **{**base.settings, "current_density": float(i)})
        out = cell.evaluate(values)
        frame = valid[list(inputs)].assign(**{o: out[o] for o in outputs})
        frame = frame.dropna()
        result, _ = fit(frame, inputs, outputs, seed)
        table = result.indices.reset_index()[["output", "input", "S", "S_U", "S_C", "Q2"]]
        table.insert(0, "c_rate", float((i / out["capacity_theoretical"]).mean()))
        table.insert(0, "current_density", float(i))
        table["mean"] = table["output"].map({o: float(frame[o].mean()) for o in outputs})
        table["std"] = table["output"].map({o: float(frame[o].std()) for o in outputs})
        tables.append(table)
        if progress:
            progress(k + 1, len(current_densities))
    return pd.concat(tables, ignore_index=True)
