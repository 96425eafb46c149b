"""(I) The process models of the electrode line, each registered under its step name, and
the battery rules they share: components, the mass balance, the default chain."""
from .assembly import Assembly, Formation
from .calendering import Calendering, CompactedStructure
from .coating import Coating
from .dispersion import Dispersion
from .drying import Drying
from .formulation import DEFAULT_COMPONENTS, default_catalog
from .mixing import Mixing
from .scenario import ELECTRODE_CHAIN, ElectrodeScenario

__all__ = ["Assembly", "Formation",
           "Mixing", "Dispersion", "Coating", "Drying", "Calendering", "CompactedStructure", "DEFAULT_COMPONENTS",
           "default_catalog", "ELECTRODE_CHAIN", "ElectrodeScenario"]
