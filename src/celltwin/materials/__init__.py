"""The materials library (floor I): densities and cell facts of named materials, with sources."""
from .library import Fact, Material, ParameterSetInfo, library, material, parameter_set

__all__ = ["Fact", "Material", "ParameterSetInfo", "library", "material", "parameter_set"]
