"""A scenario's ``[targets]`` solved before it runs: the settings that hit the stated structure.

A process engineer states a loading and a density, not a flow and a line load; the inverse
core (:func:`celltwin.analysis.design.inverse.inverse`) finds the free settings, and the
scenario is varied to them through :meth:`~celltwin.platform.scenario.Scenario.varied`, the one
variation path. The solved settings and residuals join the scenario's ``notes``, which a
study lists among its warnings.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import cast

from ...containers.scenario import ElectrodeScenario, target_values
from ...platform.units import unit_suffix
from .inverse import inverse


def with_targets(scenario: ElectrodeScenario | str | Path) -> ElectrodeScenario:
    """The scenario with its ``[targets]`` met by its free settings (itself when it has none).

    Raises :class:`~celltwin.platform.errors.UnreachableTargetError` with the inverse core's
    explanation when a target cannot be met.
    """
    sc = ElectrodeScenario.resolve(scenario)
    if not isinstance(sc, ElectrodeScenario) or not sc.targets:
        return cast(ElectrodeScenario, sc)  # a scenario of another domain has no [targets]
    free = sc.targets["free"]
    result = inverse(sc, target_values(sc), {k: tuple(v) for k, v in free.items()} if isinstance(free, dict)
                     else list(free))
    solved = cast(ElectrodeScenario, sc.varied(result.settings))
    catalog = sc.catalog
    settings = ", ".join(f"{k} = {v:.6g}{unit_suffix(catalog[k].unit)}" for k, v in result.settings.items())
    residuals = ", ".join(f"{k} {100 * r:+.1e} %" for k, r in result.residuals.items())
    note = {"kind": "targets", "settings": result.settings, "targets": result.targets, "residuals": result.residuals,
            "message": f"[targets] solved before the run: {settings} (residuals {residuals})"}
    return dataclasses.replace(solved, notes=[*sc.notes, note])
