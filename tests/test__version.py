"""The version lives in one place and agrees with the distribution's metadata."""
from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import celltwin
from celltwin._version import __version__


def test_one_version_everywhere():
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert celltwin.__version__ == __version__ == pyproject["project"]["version"] == version("celltwin")
