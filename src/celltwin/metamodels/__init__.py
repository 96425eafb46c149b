"""Metamodels backed by numerical models: the LAMMPS DEM drying run, its virtual design
of experiments, and fitting, validation and selection of metamodels (seed 004, §2.2.1, §3.2).

LAMMPS is imported only when a DEM run starts; fitting needs OpenTURNS only for the
polynomial-chaos and Kriging candidates, and evaluating a saved metamodel needs numpy alone.
"""
from __future__ import annotations

from .dem_drying import DemSettings, DryingResult, run_drying
from .doe import levels, run_design
from .drying_model import load_drying_metamodel
from .fitting import Selection, select
from .metamodel import ExtrapolationWarning, Metamodel, load_metamodel
from .particles import Formulation

__all__ = ["DemSettings", "DryingResult", "ExtrapolationWarning", "Formulation", "Metamodel", "Selection",
           "levels", "load_drying_metamodel", "load_metamodel", "run_design", "run_drying", "select"]
