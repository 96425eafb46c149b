"""Analysis on top of the chain: propagation, sensitivity, inverse and robust runs,
yield and tolerances, studies and reports."""
from .inverse import InverseResult, UnreachableTargetError, inverse
from .product import product_design
from .propagation import propagate
from .robust import robust_design
from .sensitivity import ancova, sobol
from .specs import Spec, scenario_yield, yield_of
from .tolerances import production_tolerances

__all__ = ["propagate", "ancova", "sobol", "inverse", "InverseResult", "UnreachableTargetError",
           "product_design", "robust_design", "Spec", "scenario_yield", "yield_of", "production_tolerances"]
