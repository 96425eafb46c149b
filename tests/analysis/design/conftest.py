"""The twin and its synthetic measured line, for the measurement and calibration tests."""
from __future__ import annotations

import pytest

import celltwin as ct
from celltwin.analysis.design.calibration import with_settings
from celltwin.analysis.design.measurements import synthetic_line

from .line import NOISE, TRUE


@pytest.fixture(scope="module")
def twin(reference_given):
    """eps_dry held at 0.439 so that eq. 15 alone carries an eps_min shift into eps_cal."""
    data = reference_given.to_dict()
    data["segments"] = {"count": 10}
    return ct.Scenario.from_dict(data)


@pytest.fixture(scope="module")
def line_csv(twin, tmp_path_factory):
    """A synthetic measured line: 10 segments x 20 measurements, known true settings."""
    truth = with_settings(twin, TRUE)
    line = synthetic_line(truth, per_segment=20, noise=NOISE, seed=5, units={"eps_cal": "%", "h_cal": "µm"})
    path = tmp_path_factory.mktemp("line") / "line.csv"
    line.to_csv(path, index=False)
    return path
