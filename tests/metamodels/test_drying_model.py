"""The shipped drying metamodel (metamodels/drying_model.py): tied to the shipped DEM design."""
from __future__ import annotations

import json

import numpy as np

from celltwin.metamodels.doe import file_hash
from celltwin.metamodels.drying_model import DESIGN_CSV, MODEL_JSON, data_path, load_drying_metamodel


def test_shipped_metamodel_is_tied_to_the_shipped_design():
    doc = json.loads(data_path(MODEL_JSON).read_text())
    assert doc["provenance"]["design_sha256"] == file_hash(data_path(DESIGN_CSV))
    assert doc["provenance"]["engine"].startswith("LAMMPS")
    assert doc["design_space"]["m_wet"] == [14.2, 35.4]
    assert set(doc["metrics"]) == {"linear", "quadratic", "exponential", "pce", "kriging"}
    model = load_drying_metamodel()
    assert 0.25 < float(model(np.array([20.5]))[0]) < 0.6
