"""Scenario builders shared by the analysis tests (imported, not collected)."""
from __future__ import annotations

import tomllib
from importlib import resources

from celltwin.containers.scenario import ElectrodeScenario


def reference_data(only: str | None = None, std: float | None = None) -> dict:
    """The reference-cathode TOML as a dict; with ``only``, that parameter alone is uncertain (absolute std)."""
    data = tomllib.loads(resources.files("celltwin").joinpath("scenarios", "reference-cathode.toml").read_text())
    if only:
        for v in data["parameters"].values():
            if isinstance(v, dict):
                v.pop("rel_std", None)
        data["parameters"][only]["std"] = std
    return data


def only_v_dot(std: float = 7.0) -> ElectrodeScenario:
    """Reference cathode with V_dot the only uncertain parameter (normal, absolute std): m_dry = c V_dot."""
    return ElectrodeScenario.from_dict(reference_data("V_dot", std))
