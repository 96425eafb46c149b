"""Fault-injection suite (issue 11): real `celltwin` processes started, killed and raced.

Every subprocess gets its own ``CELLTWIN_HOME`` (nothing touches ``~/.celltwin``) and is
started in a session of its own, so a test can SIGKILL the run together with whatever it
started (kaleido's browser, a Dask nanny's worker) and leave nothing behind.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest


def child_env(home: Path) -> dict[str, str]:
    """The environment of a child process: this interpreter's path, ``CELLTWIN_HOME=home``."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "CELLTWIN_HOME": str(home)}


@pytest.fixture
def cli_env(tmp_path, monkeypatch) -> dict[str, str]:
    """``CELLTWIN_HOME`` set to this test's tmp_path (here and in every child process)."""
    home = tmp_path / "home"
    monkeypatch.setenv("CELLTWIN_HOME", str(home))
    return child_env(home)
