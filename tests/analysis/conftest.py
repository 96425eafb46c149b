"""Fixtures shared by the analysis tests (uq/ and design/)."""
from __future__ import annotations

import pytest

import celltwin as ct
from celltwin.platform.scenario import Scenario


@pytest.fixture(scope="module")
def reference_cathode():
    """The built-in reference cathode (a fresh copy per test module: do not mutate)."""
    return ct.Scenario.load("reference-cathode")


@pytest.fixture
def count_varied(monkeypatch):
    """Counts calls of :meth:`Scenario.varied` (the one variation path); returns the list of
    ``(values, scales, stds, fix)`` it was called with."""
    calls = []
    original = Scenario.varied

    def varied(self, values=None, *, scales=None, stds=None, fix=()):
        calls.append((dict(values or {}), dict(scales or {}), dict(stds or {}), set(fix)))
        return original(self, values, scales=scales, stds=stds, fix=fix)

    monkeypatch.setattr("celltwin.platform.scenario.Scenario.varied", varied)
    return calls
