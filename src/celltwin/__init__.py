"""celltwin: a digital twin of a battery electrode production line.

Process models (mixing, dispersion, coating, drying, calendering) linked by a typed
parameter catalog into a chain, Monte Carlo propagation of production uncertainty
into a P2D cell model, and sensitivity, inverse and robust analyses on top.
"""
from __future__ import annotations

from importlib import import_module

from . import report  # noqa: F401  (registers the study-folder writers: Sankey, report.html)
from ._version import __version__
from .analysis import propagate
from .containers import ElectrodeScenario as Scenario
from .containers import default_catalog
from .platform import CelltwinError, ChainError, ParameterError, ProcessChain, ScenarioError, builtin_scenarios


def __getattr__(name: str):
    """Heavy parts (PyBaMM cell model, LAMMPS) load on first use, not on import."""
    if name in ("cellmodel", "metamodels"):
        return import_module(f".{name}", __name__)
    if name == "run_study":
        return import_module(".analysis.uq.study", __name__).run_study
    raise AttributeError(f"module 'celltwin' has no attribute {name!r}")


__all__ = ["Scenario", "ProcessChain", "propagate", "default_catalog", "builtin_scenarios",
           "CelltwinError", "ParameterError", "ScenarioError", "ChainError", "run_study", "__version__"]
