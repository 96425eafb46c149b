"""Generic machinery of celltwin: catalog, units, containers, registry, chain,
uncertainty and scenarios. Nothing here knows about batteries."""
from .catalog import Catalog, Parameter, default_catalog
from .chain import ChainResult, NestedChain, ProcessChain
from .container import Container, Limit
from .errors import (
                     CelltwinError,
                     ChainError,
                     MissingDependencyError,
                     ParameterError,
                     RegistryError,
                     RunStoreError,
                     ScenarioError,
                     SolverError,
                     UnitError,
                     UnreachableTargetError,
)
from .registry import containers
from .scenario import CellSetting, Scenario, builtin_scenarios

__all__ = ["Catalog", "Parameter", "default_catalog", "ChainResult", "NestedChain", "ProcessChain", "Container",
           "Limit", "ChainError", "CelltwinError", "MissingDependencyError", "ParameterError", "RegistryError",
           "RunStoreError", "ScenarioError", "SolverError", "UnitError", "UnreachableTargetError", "containers",
           "CellSetting", "Scenario", "builtin_scenarios"]
