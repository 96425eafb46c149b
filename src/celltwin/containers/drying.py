"""Drying: dry mass loading, thickness and density after drying (seed 004, eqs. 12-14)."""
from __future__ import annotations

import numpy as np

from ..platform.container import Limit
from ..platform.errors import ParameterError
from ..platform.registry import containers
from .formulation import ElectrodeContainer


def compacted(m_dry, rho_solids, porosity):
    """Thickness and density of a layer of dry mass m_dry at a porosity (eqs. 13-14).

    Units: m_dry in g/cm^2 and rho_solids in g/cm^3 give thickness in cm.
    """
    h = m_dry / (rho_solids * (1.0 - porosity))
    return h, m_dry / h


@containers.register
class Drying(ElectrodeContainer):
    """Drying: m_dry = m_wet * x_solids (eq. 12); h_dry, rho_dry from the porosity (eqs. 13-14).

    ``porosity = "given"`` reads eps_dry from the scenario (a measured value);
    ``porosity = "metamodel"`` predicts it from the wet mass loading and the drying rate
    (input ``drying_rate``, g/(m^2 s)) with the DEM-backed drying metamodel: ``metamodel``
    is ``"builtin"`` (the one fitted to this project's own LAMMPS design, shipped in
    ``celltwin/metamodels/data``) or the path of
    a metamodel JSON. The metamodel predicts without a measured point; optionally
    ``anchor_m_wet`` (mg/cm^2) and ``anchor_eps_dry`` (fraction) anchor it to one by an
    additive bias correction (evaluated at the reference drying rate of the scenario's
    ``drying_rate`` input); :meth:`anchor_bias` reports the correction applied.
    ``extrapolation`` = ``"warn"`` or ``"raise"`` outside the design space.
    """

    name = "drying"
    options = {"porosity": "given", "metamodel": "builtin", "anchor_m_wet": None, "anchor_eps_dry": None,
               "anchor_drying_rate": 1.0, "extrapolation": "warn"}
    choices = {"porosity": ("given", "metamodel"), "extrapolation": ("warn", "raise")}

    def __init__(self, components=None, **options):
        super().__init__(components, **options)
        self._model = None
        self._anchor: dict | None = None
        anchors = (self.settings["anchor_m_wet"], self.settings["anchor_eps_dry"])
        for key, v, unit in (("anchor_m_wet", anchors[0], "mg/cm^2"), ("anchor_eps_dry", anchors[1], "1"),
                             ("anchor_drying_rate", self.settings["anchor_drying_rate"], "g/(m^2 s)")):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v)
                                  or not v > 0):
                raise ParameterError(f"container 'drying': option {key} = {v!r} must be a positive number ({unit})",
                                     parameter=key, value=v, unit=unit)
        if not isinstance(self.settings["metamodel"], str):
            raise ParameterError(f"container 'drying': option metamodel = {self.settings['metamodel']!r} must be "
                                 "\"builtin\" or the path of a metamodel JSON", parameter="metamodel")
        if (anchors[0] is None) != (anchors[1] is None):
            raise ParameterError("container 'drying': give both anchor_m_wet (mg/cm^2) and anchor_eps_dry (1) "
                                 f"or neither; got anchor_m_wet = {anchors[0]!r}, anchor_eps_dry = {anchors[1]!r}")
        if anchors[1] is not None and not 0 < float(anchors[1]) < 1:
            raise ParameterError(f"container 'drying': anchor_eps_dry = {anchors[1]!r} (unit 1) is out of "
                                 f"range (0, 1)", parameter="anchor_eps_dry", value=anchors[1], valid="(0, 1)")
        if self.settings["porosity"] == "metamodel":
            self.metamodel  # noqa: B018 - load it now: a missing or broken file is refused at build, not mid-run

    @property
    def metamodel(self):
        """The drying metamodel eps_dry = f(m_wet in mg/cm^2, drying_rate in g/(m^2 s)), loaded once."""
        if self._model is None:
            from ..metamodels.drying_model import load_drying_metamodel
            self._model = load_drying_metamodel(self.settings["metamodel"], self.settings["extrapolation"])
        return self._model

    def anchor_bias(self) -> dict | None:
        """The bias correction applied to the metamodel, or None when it is not anchored.

        ``{"m_wet": mg/cm^2, "eps_dry_measured": .., "eps_dry_metamodel": .., "bias": measured - metamodel}``
        """
        if self.settings["porosity"] != "metamodel" or self.settings["anchor_m_wet"] is None:
            return None
        if self._anchor is None:  # settings are fixed after construction: evaluate the anchor once
            m = float(self.settings["anchor_m_wet"])
            rate = float(self.settings["anchor_drying_rate"])
            raw = float(self.metamodel({"m_wet": m, "drying_rate": rate}))
            measured = float(self.settings["anchor_eps_dry"])
            self._anchor = {"m_wet": m, "drying_rate": rate, "eps_dry_measured": measured, "eps_dry_metamodel": raw,
                            "bias": measured - raw}
        return dict(self._anchor)

    def design_space(self) -> dict[str, tuple[float, float]]:
        """The drying metamodel's design space: wet loading in this container's g/cm^2, drying rate in g/(m^2 s)."""
        if self.settings["porosity"] != "metamodel":
            return {}
        lo, hi = self.metamodel.design_space["m_wet"]  # mg/cm^2, the design's unit
        return {"m_wet": (lo * 1e-3, hi * 1e-3), "drying_rate": tuple(self.metamodel.design_space["drying_rate"])}

    def corrections(self) -> dict[str, float]:
        return self.anchor_bias() or {}

    @property
    def bias(self) -> float:
        """Additive correction on eps_dry (0 when not anchored)."""
        info = self.anchor_bias()
        return info["bias"] if info else 0.0

    def inputs(self):
        base = {"m_wet": "g/cm^2", "x_solids": "1", "rho_solids": "g/cm^3"}
        if self.settings["porosity"] == "given":
            base["eps_dry"] = "1"
        else:
            base["drying_rate"] = "g/(m^2*s)"
        return base

    def outputs(self):
        out = {"m_dry": "g/cm^2", "h_dry": "cm", "rho_dry": "g/cm^3"}
        if self.settings["porosity"] == "metamodel":
            out["eps_dry"] = "1"
        return out

    def porosity(self, inputs):
        if self.settings["porosity"] == "given":
            return inputs["eps_dry"]
        m_wet = np.asarray(inputs["m_wet"], dtype=float) * 1e3  # g/cm^2 -> mg/cm^2, the design's unit
        return self.metamodel({"m_wet": m_wet, "drying_rate": inputs["drying_rate"]}) + self.bias

    def limits(self, inputs):
        rs = float(inputs["rho_solids"])
        return [Limit("rho_dry", "upper", rs, f"a dry coating cannot be denser than its solids, "
                                            f"rho_solids = {rs:.4g} g/cm^3", ("rho_solids",))]

    def evaluate(self, inputs):
        eps = self.porosity(inputs)
        m_dry = inputs["m_wet"] * inputs["x_solids"]
        h_dry, rho_dry = compacted(m_dry, inputs["rho_solids"], eps)
        out = {"m_dry": m_dry, "h_dry": h_dry, "rho_dry": rho_dry}
        if self.settings["porosity"] == "metamodel":
            out["eps_dry"] = eps
        return out
