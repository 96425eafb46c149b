"""3D voxel microstructures of the calendered electrode, their effective properties and the
resolved structure surrogate fitted to them (floor I -> II; see docs/structure-surrogate.md).

Generating structures needs numpy and scipy; the transport solvers need TauFactor and torch
(``pip install 'celltwin[structure]'``); evaluating the shipped surrogate needs numpy alone.

Modules: ``generate`` (structures), ``properties`` (the 3D solvers), ``doe`` (the virtual
design), ``surrogate`` (the fitted, shipped surrogate), ``render`` (a picture). Nothing is
imported here, so ``celltwin.cellmodel`` pays only for what it uses.
"""
from __future__ import annotations
