"""celltwin: a digital twin of a battery electrode production line.

Process models (mixing, dispersion, coating, drying, calendering) linked by a typed
parameter catalog into a chain, Monte Carlo propagation of production uncertainty
into a P2D cell model, and sensitivity, inverse and robust analyses on top.
"""
from __future__ import annotations

from importlib import import_module

from . import containers  # noqa: F401  (registers the process containers)
from .analysis import propagate
from .platform import (ChainError, CelltwinError, ParameterError, ProcessChain, Scenario, ScenarioError,
                       builtin_scenarios, default_catalog)

__version__ = "0.1.0"


def __getattr__(name: str):
    """Heavy parts (PyBaMM cell model, LAMMPS) load on first use, not on import."""
    if name in ("cellmodel", "metamodels"):
        return import_module(f".{name}", __name__)
    if name == "run_study":
        return import_module(".analysis.study", __name__).run_study
    raise AttributeError(f"module 'celltwin' has no attribute {name!r}")


__all__ = ["Scenario", "ProcessChain", "propagate", "default_catalog", "builtin_scenarios",
           "CelltwinError", "ParameterError", "ScenarioError", "ChainError", "run_study", "__version__"]
