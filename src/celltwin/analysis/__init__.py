"""Analysis on top of the chain: propagation, sensitivity, studies and reports."""
from .propagation import propagate

__all__ = ["propagate"]
