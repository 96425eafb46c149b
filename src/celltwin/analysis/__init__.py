"""(III) Analyses on top of the chain, by role: :mod:`~celltwin.analysis.uq` (sampling runs,
checkpoints, sensitivity, specs and yield, studies) and :mod:`~celltwin.analysis.design`
(design space, inverse, product, robust, tolerances, calibration)."""
from ..platform.errors import UnreachableTargetError
from .design.inverse import InverseResult, inverse
from .design.product import product_design
from .design.robust import robust_design
from .design.space import DesignSpace
from .design.tolerances import production_tolerances
from .uq.sampling import Propagation, monte_carlo, propagate
from .uq.sensitivity import SensitivityResult, ancova, sobol
from .uq.specs import Spec, scenario_yield, yield_of

__all__ = ["propagate", "monte_carlo", "Propagation", "ancova", "sobol", "SensitivityResult", "inverse",
           "InverseResult", "UnreachableTargetError", "DesignSpace", "product_design", "robust_design", "Spec",
           "scenario_yield", "yield_of", "production_tolerances"]
