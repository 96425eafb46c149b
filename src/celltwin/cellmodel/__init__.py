"""Cell model: structure surrogate (effective parameters), the PyBaMM P2D cathode half-cell and full cell.

Importing this package registers the "half-cell" and "full-cell" containers; PyBaMM itself
loads only when a cell is first built.
"""
from .container import HalfCellContainer
from .fullcell import FullCell, FullCellSettings, full_cell
from .fullcell_container import FullCellContainer
from .halfcell import CellResult, CellSettings, HalfCell, half_cell
from .parameters import M_REF_TABLE_A2, TABLE_A2, exchange_current_table_a2
from .reference import PAPER, reference_cathode, reference_structure
from .solid_state import IN_LI_POTENTIAL, ionic_path
from .structure import (
                        KAPPA_AM,
                        KAPPA_CBM,
                        TORTUOSITY_MODELS,
                        active_surface_area,
                        bruggeman_tortuosity,
                        effective_conductivity,
                        effective_parameters,
                        mixed_shape_tortuosity,
                        percolation_conductivity,
                        structure_problems,
)

__all__ = ["HalfCellContainer", "HalfCell", "CellSettings", "CellResult", "half_cell", "TABLE_A2",
           "FullCellContainer", "FullCell", "FullCellSettings", "full_cell",
           "M_REF_TABLE_A2", "exchange_current_table_a2", "PAPER", "reference_cathode", "reference_structure",
           "KAPPA_AM", "KAPPA_CBM", "TORTUOSITY_MODELS", "active_surface_area", "bruggeman_tortuosity",
           "effective_conductivity", "effective_parameters", "mixed_shape_tortuosity", "structure_problems",
           "percolation_conductivity", "ionic_path", "IN_LI_POTENTIAL"]
