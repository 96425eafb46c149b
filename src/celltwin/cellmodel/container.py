"""The "half-cell" container: calendered structure -> effective parameters -> P2D performance."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..platform.container import Container, per_component
from ..platform.errors import ParameterError
from ..platform.registry import containers
from .structure import CBM_ASPECT_RATIO, TORTUOSITY_MODELS, effective_parameters, structure_problems

PERFORMANCE = ("capacity", "energy_density", "specific_capacity", "mean_voltage")


@containers.register
class HalfCellContainer(Container):
    """Cathode half-cell: structure surrogate and PyBaMM DFN discharge (seed 004, sections 2.3, 3.3).

    Inputs are the structure at the end of the process chain; outputs are the effective
    parameters (kappa_s_eff, a_s, tau_e), the theoretical capacity and the performance
    at ``current_density`` (mA/cm^2): capacity, energy_density, specific_capacity,
    mean_voltage. Scalar inputs run one discharge; arrays of N samples run in threaded
    IDAKLU batches on a model built once per setting. Samples that fail in the solver
    come back as NaN; ``last_failures`` lists them (sample index and reason) after each
    call. Options: ``parameter_set`` ("table-a2" or any PyBaMM set name, e.g. "Xu2019"),
    ``tortuosity`` (see :mod:`celltwin.cellmodel.structure`), ``particle_radius`` (um;
    None = the parameter set's, 5.5 um for Table A2), ``double_layer``, ``v_min`` (V),
    ``mesh`` (finite volumes in separator, electrode, particle), ``rtol``/``atol``,
    ``threads``, ``compile`` (AOT-compile the model), ``chunk_size``.
    """

    name = "half-cell"
    kind = "numerical"
    options = {"current_density": 1.0, "parameter_set": "table-a2", "tortuosity": "bruggeman",
               "cbm_aspect_ratio": CBM_ASPECT_RATIO, "particle_radius": None, "double_layer": False,
               "v_min": 3.0, "mesh": (5, 10, 10), "rtol": 1e-5, "atol": 1e-6, "threads": 2,
               "compile": False, "chunk_size": 256}
    choices = {"tortuosity": TORTUOSITY_MODELS, "double_layer": (False, True), "compile": (False, True)}

    def __init__(self, components=("AM", "CA", "PB"), **options):
        super().__init__(components, **options)
        if "AM" not in self.components:
            raise ParameterError(f"container 'half-cell' needs an active material component 'AM'; "
                                 f"got components {', '.join(self.components)}")
        s = self.settings
        for key, low in (("current_density", 0.0), ("cbm_aspect_ratio", 0.0), ("particle_radius", 0.0),
                         ("rtol", 0.0), ("atol", 0.0)):
            v = s[key]
            if v is not None and not (isinstance(v, int | float) and v > low):
                raise ParameterError(f"container 'half-cell': option {key} = {v!r} is outside its valid "
                                     f"range ({low:g}, inf)")
        if not (isinstance(s["threads"], int) and s["threads"] >= 1):
            raise ParameterError(f"container 'half-cell': option threads = {s['threads']!r} must be an integer >= 1")
        if not (isinstance(s["chunk_size"], int) and s["chunk_size"] >= 1):
            raise ParameterError(f"container 'half-cell': option chunk_size = {s['chunk_size']!r} "
                                 "must be an integer >= 1")
        self.last_failures = pd.DataFrame(columns=["index", "reason"])

    # -- declarations ---------------------------------------------------------------
    def inputs(self):
        return {"eps_cal": "1", "h_cal": "um", "m_dry": "mg/cm^2", "w_AM": "1",
                **per_component("X_{c}", self.components, "1")}

    def outputs(self):
        return {"capacity": "mA*h/cm^2", "energy_density": "W*h/L", "specific_capacity": "mA*h/g",
                "mean_voltage": "V", "capacity_theoretical": "mA*h/cm^2",
                "kappa_s_eff": "S/m", "a_s": "1/m", "tau_e": "1"}

    def constraints(self, inputs):
        return structure_problems(inputs["eps_cal"], self._fractions(inputs),
                                  thickness=np.asarray(inputs["h_cal"]) * 1e-6)

    # -- evaluation -----------------------------------------------------------------
    @property
    def failure_count(self) -> int:
        return len(self.last_failures)

    def cell(self):
        """The built :class:`~celltwin.cellmodel.halfcell.HalfCell` for these options (cached)."""
        from .halfcell import CellSettings, half_cell
        s = self.settings
        return half_cell(CellSettings(parameter_set=s["parameter_set"], double_layer=bool(s["double_layer"]),
                                      v_min=float(s["v_min"]), mesh=tuple(int(n) for n in s["mesh"]),
                                      rtol=float(s["rtol"]), atol=float(s["atol"]),
                                      threads=int(s["threads"]), compile=bool(s["compile"])))

    def _fractions(self, inputs: Mapping) -> dict[str, np.ndarray]:
        return {f"X_{c}": np.asarray(inputs[f"X_{c}"], dtype=float) for c in self.components}

    def evaluate(self, inputs):
        names = list(self.inputs())
        arrays = np.broadcast_arrays(*(np.asarray(inputs[n], dtype=float) for n in names))
        shape = arrays[0].shape
        x = {n: a.reshape(-1) for n, a in zip(names, arrays, strict=True)}
        n = x["eps_cal"].size
        upstream_nan = np.any([~np.isfinite(v) for v in x.values()], axis=0)

        # impossible structures never reach the solver
        reasons = np.full(n, "", dtype=object)
        for bad, message in structure_problems(x["eps_cal"], self._fractions(x), thickness=x["h_cal"] * 1e-6):
            bad = bad.reshape(-1) & (reasons == "") & ~upstream_nan
            if not shape and bad.any():
                raise ParameterError(f"container 'half-cell': {message}")
            reasons[bad] = message

        cell = self.cell()
        radius = (self.settings["particle_radius"] * 1e-6 if self.settings["particle_radius"] is not None
                  else cell.default_radius)
        eff = effective_parameters(x["eps_cal"], self._fractions(x), radius,
                                   tortuosity=self.settings["tortuosity"],
                                   cbm_aspect_ratio=self.settings["cbm_aspect_ratio"])
        ok = (reasons == "") & ~upstream_nan
        out = {k: np.full(n, np.nan) for k in self.outputs()}
        out["kappa_s_eff"][ok] = np.broadcast_to(eff["kappa_s_eff"], (n,))[ok]
        out["a_s"][ok] = np.broadcast_to(eff["a_s"], (n,))[ok]
        out["tau_e"][ok] = np.broadcast_to(eff["tau_e"], (n,))[ok]
        if ok.any():
            samples = {"L_p": x["h_cal"][ok] * 1e-6, "eps": x["eps_cal"][ok], "X_AM": x["X_AM"][ok],
                       "R_p": np.full(int(ok.sum()), radius), "kappa_s_eff": out["kappa_s_eff"][ok],
                       "tau_e": out["tau_e"][ok], "i_app": np.full(int(ok.sum()), self.settings["current_density"] * 10.0)}
            res = cell.solve(samples, chunk_size=self.settings["chunk_size"])
            for k in ("capacity", "energy_density", "mean_voltage", "capacity_theoretical"):
                out[k][ok] = res.values[k].to_numpy()
            # mAh/cm^2 over mg AM/cm^2 = mAh/mg -> x 1000 mAh/g
            out["specific_capacity"][ok] = out["capacity"][ok] / (x["w_AM"][ok] * x["m_dry"][ok]) * 1e3
            where = np.flatnonzero(ok)
            reasons[where[res.failures["index"].to_numpy(dtype=int)]] = res.failures["reason"].to_list()
        bad = reasons != ""
        self.last_failures = pd.DataFrame({"index": np.flatnonzero(bad), "reason": reasons[bad].tolist()})
        if not shape and bad.any():
            from ..platform.errors import SolverError
            raise SolverError(f"container 'half-cell': the discharge failed: {reasons[0]}")
        return {k: (v.reshape(shape) if shape else v.reshape(())) for k, v in out.items()}
