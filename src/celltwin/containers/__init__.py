"""The process models of the electrode line, each registered under its step name."""
from .calendering import Calendering
from .coating import Coating
from .dispersion import Dispersion
from .drying import Drying
from .mixing import Mixing

__all__ = ["Mixing", "Dispersion", "Coating", "Drying", "Calendering"]
