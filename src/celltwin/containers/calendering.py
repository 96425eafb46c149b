"""Calendering: porosity by the Meyer law (eq. 15), thickness, density, volume fractions (eq. 16)."""
from __future__ import annotations

import numpy as np

from ..platform.container import Limit, per_component
from ..platform.errors import first_offending
from ..platform.registry import containers
from .drying import compacted
from .formulation import ElectrodeContainer, specific_volume


def meyer_porosity(eps_dry, eps_min, q_L, gamma_c):
    """eps_cal = eps_min + (eps_dry - eps_min) * exp(-q_L / gamma_c) (eq. 15, Meyer et al. 2017)."""
    return eps_min + (eps_dry - eps_min) * np.exp(-q_L / gamma_c)


@containers.register
class Calendering(ElectrodeContainer):
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
        out = {"eps_cal": eps_cal, **calendered_structure(inputs, self.components, eps_cal)}
        if self.settings["compaction"] == "linear":
            out["gamma_c"] = gamma_c
        return out

    def limits(self, inputs):
        """What no line load can get past (eq. 15 runs from eps_dry at q_L = 0 to eps_min as q_L -> inf)."""
        rs, em, ed, md = (float(inputs[k]) for k in ("rho_solids", "eps_min", "eps_dry", "m_dry"))
        dense, h_min = rs * (1 - em), md / (rs * (1 - em))  # g/cm^3, cm
        return [
            Limit("rho_cal", "upper", dense,
                  f"calendering cannot compact below the minimal porosity eps_min = {em:.4g}, so rho_cal < "
                  f"rho_solids*(1-eps_min) = {rs:.4g}*(1-{em:.4g}) = {dense:.4g} g/cm^3 however high the line load q_L",
                  ("rho_solids", "eps_min", "eps_dry")),
            Limit("rho_cal", "lower", rs * (1 - ed),
                  f"calendering only compacts: rho_cal >= rho_dry = rho_solids*(1-eps_dry) = {rs:.4g}*(1-{ed:.4g}) "
                  f"= {rs * (1 - ed):.4g} g/cm^3 (q_L = 0)", ("rho_solids", "eps_min", "eps_dry")),
            Limit("eps_cal", "lower", em,
                  f"the Meyer law (eq. 15) approaches eps_min = {em:.4g} only as q_L -> infinity",
                  ("eps_min", "eps_dry")),
            Limit("eps_cal", "upper", ed, f"calendering only compacts: eps_cal <= eps_dry = {ed:.4g} (q_L = 0)",
                  ("eps_min", "eps_dry")),
            Limit("h_cal", "lower", h_min,
                  f"at the minimal porosity eps_min = {em:.4g} a loading of m_dry = {md * 1e3:.4g} mg/cm^2 is "
                  f"{h_min * 1e4:.4g} um thick; no line load goes below", ("m_dry", "rho_solids", "eps_min")),
        ]

    def at_porosity(self) -> CompactedStructure:
        """This step with its porosity given instead of computed: what a product design searches over."""
        return CompactedStructure(self.components)


@containers.register
class CompactedStructure(ElectrodeContainer):
    """The calendered structure of a dry loading at a given porosity (eqs. 13, 14, 16), as
    calendering computes it once eps_cal is known."""

    name = "compacted-structure"

    def inputs(self):
        return {"m_dry": "g/cm^2", "eps_cal": "1", "rho_solids": "g/cm^3",
                **per_component("w_{c}", self.components, "1"),
                **per_component("rho_{c}", self.components, "g/cm^3")}

    def outputs(self):
        return {"h_cal": "cm", "rho_cal": "g/cm^3", **per_component("X_{c}", self.components, "1")}

    def evaluate(self, inputs):
        return calendered_structure(inputs, self.components, inputs["eps_cal"])


def calendered_structure(inputs, components, eps_cal):
    """Thickness, density (eqs. 13-14) and volume fractions (eq. 16) at porosity ``eps_cal``."""
    h_cal, rho_cal = compacted(inputs["m_dry"], inputs["rho_solids"], eps_cal)
    return {"h_cal": h_cal, "rho_cal": rho_cal, **volume_fractions(inputs, components, eps_cal)}


def volume_fractions(inputs, components, porosity):
    """X_i = (1 - eps) * (w_i/rho_i) / sum_j (w_j/rho_j) (eq. 16); they sum to 1 - eps."""
    solid = (1.0 - porosity) / specific_volume(inputs, components)
    return {f"X_{c}": solid * inputs[f"w_{c}"] / inputs[f"rho_{c}"] for c in components}
