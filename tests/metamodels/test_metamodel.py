"""Saved metamodels: the JSON round trip of every kind reproduces the fitted model, keeps its
provenance and design space, warns (with the fields of the record) or refuses outside it."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from celltwin.metamodels.fitting import select
from celltwin.metamodels.metamodel import load_metamodel
from celltwin.platform.errors import ExtrapolationWarning, ParameterError

M = np.repeat(np.linspace(14.2, 35.4, 7), 5)


@pytest.mark.parametrize("kind", ["linear", "quadratic", "exponential", "pce", "kriging"])
def test_json_round_trip_and_design_space(tmp_path, kind):
    rng = np.random.default_rng(5)
    y = 0.38 + 0.25 * np.exp(-0.08 * M) + 0.002 * rng.standard_normal(M.size)
    sel = select(pd.DataFrame({"m_wet": M, "eps_dry": y}), ["m_wet"], "eps_dry", candidates=[kind],
                 provenance={"design_sha256": "abc"})
    path = tmp_path / "m.json"
    sel.save(path)
    loaded = load_metamodel(path)
    xs = np.linspace(14.2, 35.4, 11)
    np.testing.assert_allclose(loaded(xs), sel.selected(xs), rtol=1e-12)
    assert loaded.design_space == {"m_wet": [14.2, 35.4]}
    assert loaded.provenance["design_sha256"] == "abc"
    with pytest.warns(ExtrapolationWarning, match=r"m_wet = 40 .* outside the design space \[14.2, 35.4\]"):
        loaded(np.array([40.0]))
    with pytest.raises(ParameterError, match="must not extrapolate"):
        loaded(np.array([10.0]), extrapolation="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded({"m_wet": np.array([14.2, 35.4])})  # the bounds themselves are inside


def test_extrapolation_warning_carries_its_fields():
    sel = select(pd.DataFrame({"m_wet": M, "eps_dry": 0.4 - 0.002 * M}), ["m_wet"], "eps_dry", candidates=["linear"])
    with pytest.warns(ExtrapolationWarning) as record:
        sel.selected(np.array([10.0, 12.0, 20.0]))
    w = record[0].message
    assert (w.input, w.output, w.count) == ("m_wet", "eps_dry", 2)
    assert (w.low, w.high) == pytest.approx((14.2, 35.4)) and (w.lowest, w.highest) == (10.0, 12.0)
    assert w.as_dict()["kind"] == "ExtrapolationWarning"


@pytest.mark.parametrize("kind", ["linear", "quadratic", "exponential", "pce", "kriging"])
def test_two_input_drying_metamodel_round_trip_refusal_and_vectorization(tmp_path, kind):
    """eps_dry = f(m_wet, drying_rate), the shape of the shipped drying metamodel."""
    rng = np.random.default_rng(7)
    m, rate = (a.reshape(-1) for a in np.meshgrid(np.linspace(14.2, 35.4, 4), np.linspace(0.5, 2.0, 3)))
    m, rate = np.repeat(m, 2), np.repeat(rate, 2)
    y = 0.40 + 0.2 * np.exp(-0.07 * m) - 0.01 * rate + 0.002 * rng.standard_normal(m.size)
    data = pd.DataFrame({"m_wet": m, "drying_rate": rate, "eps_dry": y})
    sel = select(data, ["m_wet", "drying_rate"], "eps_dry", candidates=[kind], provenance={"design_sha256": "x"})
    path = tmp_path / "m2.json"
    sel.save(path)
    loaded = load_metamodel(path)
    assert loaded.inputs == ["m_wet", "drying_rate"]
    assert loaded.design_space == {"m_wet": [14.2, 35.4], "drying_rate": [0.5, 2.0]}
    mm, rr = np.linspace(15, 35, 7), np.linspace(0.6, 1.9, 7)
    vec = loaded({"m_wet": mm, "drying_rate": rr})
    np.testing.assert_allclose(vec, sel.selected(np.column_stack([mm, rr])), rtol=1e-12)
    scalar = [float(loaded({"m_wet": a, "drying_rate": b})) for a, b in zip(mm, rr, strict=True)]
    np.testing.assert_allclose(vec, scalar, rtol=1e-13)
    with pytest.raises(ParameterError, match=r"drying_rate = 3 .* outside the design space \[0.5, 2\]"):
        loaded({"m_wet": 20.0, "drying_rate": 3.0}, extrapolation="raise")
    with pytest.raises(ParameterError, match="missing input"):
        loaded({"m_wet": 20.0})
