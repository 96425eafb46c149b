"""The "half-cell" container: calendered structure -> effective parameters -> P2D performance."""
from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..containers.formulation import ElectrodeContainer
from ..platform.container import per_component
from ..platform.errors import ParameterError, SolverError
from ..platform.registry import containers
from .parameters import check_parameter_set
from .structure import (
    CBM_ASPECT_RATIO,
    TORTUOSITY_MODELS,
    effective_parameters,
    structure_problems,
)

#: "auto" compiles the model for batches of at least this many samples.
COMPILE_MIN_SAMPLES = 1000


@containers.register
class HalfCellContainer(ElectrodeContainer):
    """Cathode half-cell: structure surrogate and PyBaMM DFN discharge (seed 004, sections 2.3, 3.3).

    Inputs are the structure at the end of the process chain; outputs are the effective
    parameters (kappa_s_eff, a_s, tau_e), the theoretical capacity and the performance
    at ``current_density`` (mA/cm^2): capacity, energy_density, specific_capacity,
    mean_voltage. Scalar inputs run one discharge; arrays of N samples run in threaded
    IDAKLU batches on a model built once per setting. Samples that fail in the solver
    come back as NaN; ``last_failures`` lists them (sample index and reason) after each
    call. ``tortuosity`` "resolved" (default) takes tau_e, kappa_s_eff and a_s from the 3D
    structure surrogate; the P2D reaction area stays 3 X_AM / R_p (PyBaMM's spherical
    particles), so a_s is reported, not fed to the discharge. Options: ``parameter_set``
    ("table-a2" or any PyBaMM set name, e.g. "Xu2019"),
    ``tortuosity`` (see :mod:`celltwin.cellmodel.structure`), ``particle_radius`` (um;
    None = the parameter set's, 5.5 um for Table A2), ``double_layer``, ``v_min`` (V),
    ``mesh`` (finite volumes in separator, electrode, particle), ``rtol``/``atol``,
    ``threads``, ``compile`` (AOT-compile the model with gcc: about twice the solves/s
    after a one-off ~10 s compile cached on disk; "auto" compiles for batches of at least
    1000 samples when gcc is on the PATH), ``chunk_size``; ``bpx`` (a BPX file whose
    positive electrode replaces ``parameter_set``); ``material`` (the library name of the
    active material: the set is checked against it, see
    :func:`~celltwin.cellmodel.parameters.check_parameter_set`, and a contradiction is
    refused unless ``override``). ``notes`` lists the check's doubts and any override.
    """

    name = "half-cell"
    kind = "numerical"
    options = {"current_density": 1.0, "parameter_set": "table-a2", "tortuosity": "resolved",
               "cbm_aspect_ratio": CBM_ASPECT_RATIO, "particle_radius": None, "double_layer": False,
               "v_min": 3.0, "mesh": (5, 10, 10), "rtol": 1e-5, "atol": 1e-6, "threads": 2,
               "compile": "auto", "chunk_size": 256, "bpx": None, "material": None, "override": False}
    choices = {"tortuosity": TORTUOSITY_MODELS, "double_layer": (False, True), "compile": ("auto", False, True),
               "override": (False, True)}

    def __init__(self, components=None, **options):
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
        self.notes = self._check_set()

    @property
    def source(self) -> str:
        """The cell parameters: the BPX file if one is given, else the parameter set's name."""
        return self.settings["bpx"] or self.settings["parameter_set"]

    def _check_set(self) -> list[dict]:
        """Refuse cell parameters that contradict the active material (unless overridden); doubts as notes."""
        s = self.settings
        if s["bpx"] is not None:
            if s["parameter_set"] != "table-a2":
                raise ParameterError("container 'half-cell': give parameter_set or bpx, not both", parameter="bpx")
            if not (str(s["bpx"]).endswith(".json") and Path(s["bpx"]).is_file()):
                raise ParameterError(f"container 'half-cell': bpx = {s['bpx']!r} is not a BPX file (*.json)",
                                     parameter="bpx", value=s["bpx"], valid="an existing *.json file")
        if s["material"] is None:
            return []
        check = check_parameter_set(self.source, s["material"])
        notes = [{"kind": "cell-parameters", "parameter": "parameter_set", "value": self.source, "message": d}
                 for d in check.doubts]
        if check.contradictions and not s["override"]:
            raise ParameterError(f"[cell] {'; '.join(check.contradictions)}. Choose cell parameters for "
                                 f"{s['material']}, or set [cell] override = true to use them anyway",
                                 parameter="parameter_set", value=self.source,
                                 valid=f"cell parameters of {s['material']}")
        notes += [{"kind": "cell-override", "parameter": "parameter_set", "value": self.source,
                   "message": f"[cell] override = true: {c}"} for c in check.contradictions]
        return notes

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

    def cell(self, n_samples: int = 1):
        """The built :class:`~celltwin.cellmodel.halfcell.HalfCell` for these options (cached)."""
        from .halfcell import CellSettings, half_cell
        s = self.settings
        compile_ = s["compile"] if s["compile"] != "auto" else (
            n_samples >= COMPILE_MIN_SAMPLES and shutil.which("gcc") is not None)
        return half_cell(CellSettings(parameter_set=self.source, double_layer=bool(s["double_layer"]),
                                      v_min=float(s["v_min"]), mesh=tuple(int(n) for n in s["mesh"]),
                                      rtol=float(s["rtol"]), atol=float(s["atol"]),
                                      threads=int(s["threads"]), compile=bool(compile_)))

    def _fractions(self, inputs: Mapping) -> dict[str, np.ndarray]:
        return {f"X_{c}": np.asarray(inputs[f"X_{c}"], dtype=float) for c in self.components}

    def _cell_samples(self, x: Mapping[str, np.ndarray], ok: np.ndarray) -> dict[str, np.ndarray]:
        """HalfCell inputs (SI) of the selected samples: the structure surrogate's job."""
        cell = self.cell(int(ok.sum()))
        radius = (self.settings["particle_radius"] * 1e-6 if self.settings["particle_radius"] is not None
                  else cell.default_radius)
        m = int(ok.sum())
        eff = effective_parameters(x["eps_cal"][ok], {k: v[ok] for k, v in self._fractions(x).items()}, radius,
                                   tortuosity=self.settings["tortuosity"],
                                   cbm_aspect_ratio=self.settings["cbm_aspect_ratio"])
        return {"L_p": x["h_cal"][ok] * 1e-6, "eps": x["eps_cal"][ok], "X_AM": x["X_AM"][ok],
                "R_p": np.full(m, radius), "kappa_s_eff": np.broadcast_to(eff["kappa_s_eff"], (m,)),
                "tau_e": np.broadcast_to(eff["tau_e"], (m,)), "a_s": np.broadcast_to(eff["a_s"], (m,)),
                "i_app": np.full(m, self.settings["current_density"] * 10.0)}  # mA/cm^2 -> A/m^2

    def _flat(self, inputs: Mapping) -> tuple[tuple, dict[str, np.ndarray]]:
        names = list(self.inputs())
        arrays = np.broadcast_arrays(*(np.asarray(inputs[n], dtype=float) for n in names))
        return arrays[0].shape, {n: a.reshape(-1) for n, a in zip(names, arrays, strict=True)}

    def _checked(self, inputs: Mapping) -> dict[str, np.ndarray]:
        """Flattened inputs, or a ParameterError naming the first impossible structure."""
        _, x = self._flat(inputs)
        for _, message in structure_problems(x["eps_cal"], self._fractions(x), thickness=x["h_cal"] * 1e-6):
            raise ParameterError(f"container 'half-cell': {message}")
        return x

    def discharge_curves(self, inputs: Mapping) -> list[pd.DataFrame]:
        """Full discharge curves (time s, capacity mAh/cm^2, voltage V) of each structure."""
        x = self._checked(inputs)
        return self.cell().discharge_curves(self._cell_samples(x, np.ones(x["eps_cal"].size, bool)))

    def rate_sweep(self, inputs: Mapping, current_densities) -> pd.DataFrame:
        """One structure (scalar inputs) discharged at several current densities (mA/cm^2)."""
        x = self._checked(inputs)
        if x["eps_cal"].size != 1:
            raise ParameterError("rate_sweep takes one structure (scalar inputs)")
        sample = {k: float(v[0]) for k, v in self._cell_samples(x, np.ones(1, bool)).items()
                  if k not in ("i_app", "a_s")}
        return self.cell().rate_sweep(sample, current_densities)

    def evaluate(self, inputs):
        shape, x = self._flat(inputs)
        n = x["eps_cal"].size
        upstream_nan = np.any([~np.isfinite(v) for v in x.values()], axis=0)

        # impossible structures never reach the solver
        reasons = np.full(n, "", dtype=object)
        for bad, message in structure_problems(x["eps_cal"], self._fractions(x), thickness=x["h_cal"] * 1e-6):
            bad = bad.reshape(-1) & (reasons == "") & ~upstream_nan
            if not shape and bad.any():
                raise ParameterError(f"container 'half-cell': {message}")
            reasons[bad] = message

        ok = (reasons == "") & ~upstream_nan
        cell = self.cell(int(ok.sum()))
        samples = self._cell_samples(x, ok)
        out = {k: np.full(n, np.nan) for k in self.outputs()}
        for k in ("kappa_s_eff", "tau_e", "a_s"):
            out[k][ok] = samples[k]
        if ok.any():
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
            raise SolverError(f"container 'half-cell': the discharge failed: {reasons[0]}")
        return {k: (v.reshape(shape) if shape else v.reshape(())) for k, v in out.items()}
