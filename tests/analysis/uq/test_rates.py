"""The structure -> performance sensitivity at several rates: the same samples discharged at each
current density, the study's stage (b) refitted per rate."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import celltwin as ct
from celltwin.analysis.uq.rates import rate_sensitivity
from celltwin.analysis.uq.study import CELL_INPUTS, PERFORMANCE, structure_performance


@pytest.fixture(scope="module")
def table():
    sc = ct.Scenario.load("reference-cathode")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = ct.propagate(sc, 60, 3)
    valid = frame[frame["valid"]]
    done = []
    out = rate_sensitivity(sc, valid, list(CELL_INPUTS), list(PERFORMANCE), [0.5, 4.0], 3, structure_performance,
                           progress=lambda k, n: done.append((k, n)))
    return out, valid, done


def test_one_block_per_rate_with_its_c_rate(table):
    out, valid, done = table
    assert done == [(1, 2), (2, 2)]
    assert sorted(out["current_density"].unique()) == [0.5, 4.0]
    assert len(out) == 2 * len(PERFORMANCE) * len(CELL_INPUTS)
    for i in (0.5, 4.0):  # C-rate = current density / theoretical areal capacity, averaged over the samples
        expected = float((i / valid["capacity_theoretical"]).mean())
        assert out.loc[out["current_density"] == i, "c_rate"].iloc[0] == pytest.approx(expected, rel=1e-12)


def test_capacity_falls_with_the_rate_and_the_indices_are_valid(table):
    out, _, _ = table
    cap = out[out["output"] == "capacity"].groupby("current_density")["mean"].first()
    assert cap[4.0] < cap[0.5]
    assert np.isfinite(out["S"]).all() and (out["Q2"] > 0.9).all()
