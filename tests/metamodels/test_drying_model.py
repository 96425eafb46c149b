"""The shipped drying metamodel (metamodels/drying_model.py): tied to the shipped two-factor DEM design."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from celltwin.metamodels.doe import file_hash
from celltwin.metamodels.drying_model import DESIGN_CSV, INPUTS, MODEL_JSON, data_path, load_drying_metamodel
from celltwin.platform.errors import ParameterError


def test_shipped_metamodel_is_tied_to_the_shipped_design():
    doc = json.loads(data_path(MODEL_JSON).read_text())
    assert doc["provenance"]["design_sha256"] == file_hash(data_path(DESIGN_CSV))
    assert doc["provenance"]["engine"].startswith("LAMMPS")
    assert doc["inputs"] == list(INPUTS) == ["m_wet", "drying_rate"]
    design = pd.read_csv(data_path(DESIGN_CSV))
    ok = design[design.error.isna()]
    assert doc["design_space"]["m_wet"] == [ok.m_wet.min(), ok.m_wet.max()]
    assert doc["design_space"]["drying_rate"] == [ok.drying_rate.min(), ok.drying_rate.max()]
    assert ok.drying_rate.nunique() >= 2 and ok.m_wet.nunique() >= 2  # two factors
    assert set(doc["metrics"]) == {"linear", "quadratic", "exponential", "pce", "kriging"}
    model = load_drying_metamodel()
    assert 0.2 < float(model({"m_wet": 20.5, "drying_rate": 1.0})) < 0.6


def test_a_one_input_metamodel_is_refused(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"kind": "linear", "inputs": ["m_wet"], "output": "eps_dry",
                                "coefficients": {"terms": [[], [0]], "values": [0.5, -0.001]},
                                "design_space": {"m_wet": [14.2, 35.4]}}))
    with pytest.raises(ParameterError, match=r"needs \['m_wet', 'drying_rate'\]"):
        load_drying_metamodel(str(path))
