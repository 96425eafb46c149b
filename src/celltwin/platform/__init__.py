"""Generic machinery of celltwin: catalog, units, containers, registry, chain,
uncertainty and scenarios. Nothing here knows about batteries."""
from .catalog import Catalog, Parameter, default_catalog
from .chain import ChainResult, ProcessChain
from .container import Container
from .errors import (ChainError, CelltwinError, MissingDependencyError, ParameterError, RegistryError,
                     ScenarioError, SolverError, UnitError)
from .registry import containers
from .scenario import Scenario, builtin_scenarios

__all__ = ["Catalog", "Parameter", "default_catalog", "ChainResult", "ProcessChain", "Container",
           "ChainError", "CelltwinError", "MissingDependencyError", "ParameterError", "RegistryError",
           "ScenarioError", "SolverError", "UnitError", "containers", "Scenario", "builtin_scenarios"]
