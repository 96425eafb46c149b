"""Calendering: porosity by the Meyer law (eq. 15), thickness, density, volume fractions (eq. 16)."""
from __future__ import annotations

import numpy as np

from ..platform.container import Container, per_component
from ..platform.errors import first_offending
from ..platform.registry import containers
from .drying import compacted
from .formulation import specific_volume


def meyer_porosity(eps_dry, eps_min, q_L, gamma_c):
    """eps_cal = eps_min + (eps_dry - eps_min) * exp(-q_L / gamma_c) (eq. 15, Meyer et al. 2017)."""
    return eps_min + (eps_dry - eps_min) * np.exp(-q_L / gamma_c)


@containers.register
class Calendering(Container):
    """Calendering: Meyer compaction law (eq. 15) and the calendered structure (eqs. 13, 14, 16).

    ``compaction = "constant"`` takes gamma_c as given. ``compaction = "linear"``
    computes it as gamma_c = gamma_c0 + k_gamma_m * m_dry - k_gamma_T * T_roll: Meyer et al.
    found the compaction resistance rises linearly with mass loading (J. Energy Storage
    18, 2018) and falls linearly with roll temperature (Energy Technol. 8, 2019).
    """

    name = "calendering"
    options = {"compaction": "constant"}
    choices = {"compaction": ("constant", "linear")}

    def inputs(self):
        base = {"eps_dry": "1", "eps_min": "1", "q_L": "N/mm", "m_dry": "g/cm^2",
                "rho_solids": "g/cm^3",
                **per_component("w_{c}", self.components, "1"),
                **per_component("rho_{c}", self.components, "g/cm^3")}
        if self.settings["compaction"] == "constant":
            base["gamma_c"] = "N/mm"
        else:
            base.update({"gamma_c0": "N/mm", "k_gamma_m": "(N/mm)/(mg/cm^2)",
                         "k_gamma_T": "(N/mm)/K", "T_roll": "degC"})
        return base

    def outputs(self):
        out = {"eps_cal": "1", "h_cal": "cm", "rho_cal": "g/cm^3",
               **per_component("X_{c}", self.components, "1")}
        if self.settings["compaction"] == "linear":
            out["gamma_c"] = "N/mm"
        return out

    def compaction_resistance(self, inputs):
        if self.settings["compaction"] == "constant":
            return inputs["gamma_c"]
        m_dry_mg = inputs["m_dry"] * 1e3  # g/cm^2 -> mg/cm^2, the unit of k_gamma_m
        return inputs["gamma_c0"] + inputs["k_gamma_m"] * m_dry_mg - inputs["k_gamma_T"] * inputs["T_roll"]

    def constraints(self, inputs):
        bad = np.asarray(inputs["eps_dry"] <= inputs["eps_min"])
        problems = []
        if np.any(bad):
            e_d = first_offending(inputs["eps_dry"], bad)
            e_m = first_offending(inputs["eps_min"], bad)
            problems.append((bad, f"eps_dry = {e_d:.6g} (unit 1) must exceed eps_min = {e_m:.6g}: "
                                  "calendering cannot compact below the minimal porosity "
                                  "(valid range: eps_min < eps_dry < 1)"))
        if self.settings["compaction"] == "linear":
            gamma = np.asarray(self.compaction_resistance(inputs))
            low = gamma <= 0
            if np.any(low):
                g = first_offending(gamma, low)
                problems.append((low, f"gamma_c = {g:.6g} N/mm from the linear compaction model "
                                      "must be positive (valid range (0, inf) N/mm)"))
        return problems

    def evaluate(self, inputs):
        gamma_c = self.compaction_resistance(inputs)
        eps_cal = meyer_porosity(inputs["eps_dry"], inputs["eps_min"], inputs["q_L"], gamma_c)
        h_cal, rho_cal = compacted(inputs["m_dry"], inputs["rho_solids"], eps_cal)
        out = {"eps_cal": eps_cal, "h_cal": h_cal, "rho_cal": rho_cal}
        out.update(volume_fractions(inputs, self.components, eps_cal))
        if self.settings["compaction"] == "linear":
            out["gamma_c"] = gamma_c
        return out


def volume_fractions(inputs, components, porosity):
    """X_i = (1 - eps) * (w_i/rho_i) / sum_j (w_j/rho_j) (eq. 16); they sum to 1 - eps."""
    solid = (1.0 - porosity) / specific_volume(inputs, components)
    return {f"X_{c}": solid * inputs[f"w_{c}"] / inputs[f"rho_{c}"] for c in components}
