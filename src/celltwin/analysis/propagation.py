"""Monte Carlo propagation of a scenario's uncertainty through its chain."""
from __future__ import annotations

import pandas as pd

from ..platform.scenario import Scenario


def propagate(scenario: Scenario | str, n: int | None = None, seed: int | None = None, *,
              method: str | None = None, with_cell: bool = True) -> pd.DataFrame:
    """Sample the scenario and evaluate the whole chain, one row per sample.

    Samples outside the valid range of any parameter are kept as rows with NaN
    outputs, ``valid = False`` and their reason in ``rejected``; the counts by reason
    are in ``frame.attrs["rejections"]``. Nothing is clipped.
    """
    sc = Scenario.load(scenario) if isinstance(scenario, str) else scenario
    inputs = sc.sample(n, seed, method)
    chain = sc.build_chain(with_cell=with_cell)
    result = chain.evaluate({k: inputs[k].to_numpy() for k in inputs.columns if k != "segment"},
                            on_invalid="mask")
    frame = inputs.copy()
    for name in chain.outputs:
        frame[name] = result[name]
    frame["valid"] = result.valid
    frame["rejected"] = result.reasons
    frame.attrs["rejections"] = dict(result.rejections)
    frame.attrs["n"] = len(frame)
    return frame
