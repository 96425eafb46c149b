"""The shipped structure surrogate: JSON round trip, design space, vectorized = scalar."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from celltwin.microstructure.surrogate import StructureSurrogate, data_path, load_surrogate
from celltwin.platform.errors import ExtrapolationWarning, ParameterError


@pytest.fixture(scope="module")
def model():
    return load_surrogate()


def test_json_round_trip(model, tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"models": model.to_dict()}))
    again = load_surrogate(path)
    x = (np.array([0.25, 0.315, 0.42]), np.array([0.06, 0.101, 0.14]), np.array([4.0, 5.5, 7.5]))
    for k, v in model(*x).items():
        np.testing.assert_array_equal(again(*x)[k], v)


def test_vectorized_equals_scalar(model):
    eps, xc, r = np.array([0.25, 0.315, 0.42]), np.array([0.06, 0.101, 0.14]), np.array([4.0, 5.5, 7.5])
    batch = model(eps, xc, r)
    for i in range(3):
        one = model(float(eps[i]), float(xc[i]), float(r[i]))
        for k in batch:
            assert float(one[k]) == pytest.approx(batch[k][i], rel=1e-12)


def test_design_space_is_recorded_and_enforced(model):
    space = model.design_space()
    assert set(space) == {"eps_cal", "X_CBD", "R_p"}
    assert model.inside(0.315, 0.101, 5.5)
    assert not model.inside(0.6, 0.101, 5.5)
    with pytest.warns(ExtrapolationWarning):
        model(0.6, 0.101, 5.5)
    with pytest.raises(ParameterError, match="outside the design space"):
        model(0.6, 0.101, 5.5, extrapolation="raise")
    strict = load_surrogate(extrapolation="raise")
    with pytest.raises(ParameterError):
        strict(0.315, 0.101, 20.0)


def test_reference_point_is_inside_and_physical(model):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExtrapolationWarning)
        p = model(0.315, 0.101, 5.5)
    assert p["tau_e"] >= 1.0
    assert 0.0309 < p["kappa_s_eff"] < 760.0
    assert p["a_s"] > 0


def test_shipped_files_carry_provenance():
    doc = json.loads(data_path("structure_surrogate.json").read_text())
    assert doc["provenance"]["design_sha256"]
    assert data_path("structure_doe.csv").exists()
    for sel in doc["models"].values():
        assert sel["reason"] and sel["metrics"]


def test_non_positive_inputs_are_refused(model):
    with pytest.raises(ParameterError):
        StructureSurrogate(model.models)(0.0, 0.1, 5.5)
