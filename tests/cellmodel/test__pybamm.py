"""PyBaMM loads lazily with its telemetry off, unless the user chose otherwise."""
from __future__ import annotations

import os

from celltwin.cellmodel._pybamm import import_pybamm


def test_pybamm_loads_with_telemetry_off_by_default(monkeypatch):
    monkeypatch.delenv("PYBAMM_DISABLE_TELEMETRY", raising=False)
    pybamm = import_pybamm()
    assert os.environ["PYBAMM_DISABLE_TELEMETRY"] == "true" and hasattr(pybamm.lithium_ion, "DFN")


def test_a_users_choice_is_kept(monkeypatch):
    monkeypatch.setenv("PYBAMM_DISABLE_TELEMETRY", "false")
    import_pybamm()
    assert os.environ["PYBAMM_DISABLE_TELEMETRY"] == "false"
