"""The electrode line's scenario: seed 004's conventions on top of the generic scenario.

Seed 004 ("A digitalization platform for mechanistic modeling of battery cell production",
Thomitzek et al., Sustainability 2022) fixes them: the formulation AM, CA, PB; the chain
mixing -> dispersion -> coating -> drying -> calendering; one mass fraction may close the
mass balance; the cell model discharges at a current density given in ``[scenario]``.
"""
from __future__ import annotations

from collections.abc import Sequence

from ..platform.scenario import CellSetting, Scenario
from .formulation import DEFAULT_COMPONENTS, mass_fractions

#: the default electrode chain (seed 004, Figure 5)
ELECTRODE_CHAIN = ("mixing", "dispersion", "coating", "drying", "calendering")


class ElectrodeScenario(Scenario):
    """A scenario of one electrode line (``ct.Scenario``)."""

    default_components = DEFAULT_COMPONENTS
    default_chain = ELECTRODE_CHAIN
    cell_settings = {"current_density": CellSetting(1.0, "mA/cm^2", 0.0, "discharge current density")}

    @classmethod
    def balance_group(cls, components: Sequence[str]) -> list[str]:
        return mass_fractions(components)

    @property
    def current_density(self) -> float:
        """Discharge current density of the cell model (mA/cm^2)."""
        return self.cell_options["current_density"]
