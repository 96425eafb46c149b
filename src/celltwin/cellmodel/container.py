"""The "half-cell" container: calendered structure -> effective parameters -> P2D performance."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..containers.formulation import ElectrodeContainer
from ..materials import material
from ..platform.container import per_component
from ..platform.errors import ParameterError, SolverError
from ..platform.registry import containers
from ._batch import wants_compile
from .parameters import TABLE_A2, check_parameter_set
from .solid_state import COUNTER_ELECTRODES, LIQUID_CONDUCTIVITY, PORES, contact_share, ionic_path
from .structure import (
    CBM_ASPECT_RATIO,
    PERCOLATION_EXPONENT,
    PERCOLATION_THRESHOLD,
    TORTUOSITY_MODELS,
    active_surface_area,
    effective_parameters,
    structure_problems,
)


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
    structure surrogate; a_s is the P2D reaction area (``reaction_area = "structure"``, fed
    through the exchange current, see :mod:`celltwin.cellmodel.halfcell`; "spheres" keeps
    PyBaMM's 3 X_AM / R_p). With a component ``SE`` the cell is a solid-state composite
    cathode (:mod:`celltwin.cellmodel.solid_state`): the SE is the ionic path, a single-ion
    conductor of conductivity ``kappa_SE`` (S/m; None = the library's value of the material
    ``solid_electrolyte``) whose network conducts ``kappa_ion_eff`` by the percolation law
    (``se_threshold``, ``se_exponent``); ``pores`` "empty" (default) or "liquid"
    (``kappa_liquid`` S/m); ``counter_electrode`` "Li" or "In-Li"; ``separator_thickness``
    (um, dense SE; None = the set's 25 um); ``kappa_AM``/``kappa_CBM`` (S/m, the electronic
    conductivities of the textbook models; None = Table A2's). Options: ``parameter_set``
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
               "compile": "auto", "chunk_size": 256, "bpx": None, "material": None, "override": False,
               "reaction_area": "structure", "solid_electrolyte": None, "kappa_SE": None, "pores": "empty",
               "kappa_liquid": LIQUID_CONDUCTIVITY, "se_threshold": PERCOLATION_THRESHOLD,
               "se_exponent": PERCOLATION_EXPONENT, "counter_electrode": "Li", "separator_thickness": None,
               "kappa_AM": None, "kappa_CBM": None}
    choices = {"tortuosity": TORTUOSITY_MODELS, "double_layer": (False, True), "compile": ("auto", False, True),
               "override": (False, True), "reaction_area": ("structure", "spheres"), "pores": PORES,
               "counter_electrode": COUNTER_ELECTRODES}

    def __init__(self, components=None, **options):
        super().__init__(components, **options)
        if "AM" not in self.components:
            raise ParameterError(f"container 'half-cell' needs an active material component 'AM'; "
                                 f"got components {', '.join(self.components)}")
        s = self.settings
        for key, low in (("current_density", 0.0), ("cbm_aspect_ratio", 0.0), ("particle_radius", 0.0),
                         ("rtol", 0.0), ("atol", 0.0), ("kappa_SE", 0.0), ("kappa_liquid", 0.0),
                         ("separator_thickness", 0.0), ("kappa_AM", 0.0), ("kappa_CBM", 0.0)):
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
        self.kappa_SE = self._se_conductivity()
        if self.solid_state:  # the percolation law checks its own parameters, before any solve
            ionic_path(0.0, 0.5, self.kappa_SE, pores=s["pores"], kappa_liquid=s["kappa_liquid"],
                       threshold=s["se_threshold"], exponent=s["se_exponent"])

    @property
    def solid_state(self) -> bool:
        """A solid-state composite cathode: the formulation has a solid electrolyte ``SE``."""
        return "SE" in self.components

    def _se_conductivity(self) -> float | None:
        """kappa_SE (S/m): the option, else the library's ionic conductivity of ``solid_electrolyte``."""
        s = self.settings
        if not self.solid_state:
            solid_only = {"solid_electrolyte": None, "kappa_SE": None, "counter_electrode": "Li",
                          "separator_thickness": None, "pores": "empty"}
            for key, default in solid_only.items():
                if s[key] != default:
                    raise ParameterError(f"container 'half-cell': option {key} = {s[key]!r} is for a solid-state "
                                         "cathode and needs a solid electrolyte component 'SE'; got components "
                                         f"{', '.join(self.components)}", parameter=key, value=s[key])
            return None
        if s["kappa_SE"] is not None:
            return float(s["kappa_SE"])
        if s["solid_electrolyte"] is None:
            raise ParameterError("container 'half-cell': the component SE needs its ionic conductivity: name the "
                                 "material ([materials] SE = \"Li6PS5Cl\") or give [containers.half-cell] kappa_SE "
                                 "in S/m", parameter="kappa_SE", unit="S/m", valid="(0, inf)")
        m = material(s["solid_electrolyte"], kind="electrolyte")
        if "ionic_conductivity" not in m.facts:
            raise ParameterError(f"container 'half-cell': the materials library has no ionic conductivity of "
                                 f"{m.name}; give [containers.half-cell] kappa_SE in S/m", parameter="kappa_SE",
                                 unit="S/m", valid="(0, inf)")
        return m.facts["ionic_conductivity"].value

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
        out = {"capacity": "mA*h/cm^2", "energy_density": "W*h/L", "specific_capacity": "mA*h/g",
               "mean_voltage": "V", "capacity_theoretical": "mA*h/cm^2",
               "kappa_s_eff": "S/m", "a_s": "1/m", "tau_e": "1"}
        if self.solid_state:
            out["kappa_ion_eff"] = "S/m"
        return out

    def constraints(self, inputs):
        return self._problems(inputs)

    def _problems(self, x: Mapping) -> list[tuple[np.ndarray, str]]:
        """Impossible structures, and solid electrolyte networks that carry no ions."""
        out = structure_problems(x["eps_cal"], self._fractions(x), thickness=np.asarray(x["h_cal"]) * 1e-6)
        if self.solid_state and self.settings["pores"] == "empty":
            X = np.asarray(x["X_SE"], dtype=float)
            bad = X <= self.settings["se_threshold"]
            if np.any(bad):
                out.append((bad, f"solid electrolyte volume fraction X_SE = {float(X[bad].flat[0]):.6g} (unit 1) is "
                                 f"at or below the percolation threshold X_c = {self.settings['se_threshold']:g}: "
                                 "the SE network carries no ions (valid range (X_c, 1))"))
        return out

    # -- evaluation -----------------------------------------------------------------
    @property
    def failure_count(self) -> int:
        return len(self.last_failures)

    def cell(self, n_samples: int = 1):
        """The built :class:`~celltwin.cellmodel.halfcell.HalfCell` for these options (cached)."""
        from .halfcell import CellSettings, half_cell
        s = self.settings
        compile_ = wants_compile(s["compile"], n_samples)
        solid = {}
        if self.solid_state:
            bulk = ionic_path(0.0, 1.0, self.kappa_SE, pores=s["pores"], kappa_liquid=s["kappa_liquid"])["kappa_bulk"]
            sep = s["separator_thickness"]
            solid = {"electrolyte": "single-ion", "electrolyte_conductivity": bulk,
                     "counter_electrode": s["counter_electrode"],
                     "separator_thickness": None if sep is None else sep * 1e-6}  # um -> m
        return half_cell(CellSettings(parameter_set=self.source, double_layer=bool(s["double_layer"]),
                                      v_min=float(s["v_min"]), mesh=tuple(int(n) for n in s["mesh"]),
                                      rtol=float(s["rtol"]), atol=float(s["atol"]),
                                      threads=int(s["threads"]), compile=bool(compile_), **solid))

    def _fractions(self, inputs: Mapping) -> dict[str, np.ndarray]:
        return {f"X_{c}": np.asarray(inputs[f"X_{c}"], dtype=float) for c in self.components}

    def _cell_samples(self, x: Mapping[str, np.ndarray], ok: np.ndarray) -> dict[str, np.ndarray]:
        """HalfCell inputs (SI) of the selected samples: the structure surrogate's job."""
        cell = self.cell(int(ok.sum()))
        radius = (self.settings["particle_radius"] * 1e-6 if self.settings["particle_radius"] is not None
                  else cell.default_radius)
        m = int(ok.sum())
        s = self.settings
        kappas = {k: s[k] if s[k] is not None else TABLE_A2[k] for k in ("kappa_AM", "kappa_CBM")}
        eps = x["eps_cal"][ok]
        eff = effective_parameters(eps, {k: v[ok] for k, v in self._fractions(x).items()}, radius,
                                   tortuosity=s["tortuosity"], cbm_aspect_ratio=s["cbm_aspect_ratio"], **kappas)
        out = {"L_p": x["h_cal"][ok] * 1e-6, "eps": eps, "X_AM": x["X_AM"][ok],
               "R_p": np.full(m, radius), "kappa_s_eff": np.broadcast_to(eff["kappa_s_eff"], (m,)),
               "tau_e": np.broadcast_to(eff["tau_e"], (m,)), "a_s": np.broadcast_to(eff["a_s"], (m,)),
               "i_app": np.full(m, s["current_density"] * 10.0)}  # mA/cm^2 -> A/m^2
        if self.solid_state:  # the SE is the electrolyte phase of the P2D model
            X_SE = x["X_SE"][ok]
            ion = ionic_path(eps, X_SE, self.kappa_SE, pores=s["pores"], kappa_liquid=s["kappa_liquid"],
                             threshold=s["se_threshold"], exponent=s["se_exponent"])
            # the surrogate's a_s is the CBM-free AM surface, next to pores and SE; spheres touch everything
            rest = eps if s["tortuosity"] == "resolved" else 1.0 - out["X_AM"] - X_SE
            out.update(eps=ion["eps_e"], tau_e=ion["tau_e"], kappa_ion_eff=ion["kappa_ion_eff"],
                       a_s=out["a_s"] * contact_share(X_SE, rest, s["pores"]))
        if s["reaction_area"] == "spheres":
            out["a_s"] = active_surface_area(out["X_AM"], radius)
        return out

    def _flat(self, inputs: Mapping) -> tuple[tuple, dict[str, np.ndarray]]:
        names = list(self.inputs())
        arrays = np.broadcast_arrays(*(np.asarray(inputs[n], dtype=float) for n in names))
        return arrays[0].shape, {n: a.reshape(-1) for n, a in zip(names, arrays, strict=True)}

    def _checked(self, inputs: Mapping) -> dict[str, np.ndarray]:
        """Flattened inputs, or a ParameterError naming the first impossible structure."""
        _, x = self._flat(inputs)
        for _, message in self._problems(x):
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
                  if k not in ("i_app", "kappa_ion_eff")}
        return self.cell().rate_sweep(sample, current_densities)

    def evaluate(self, inputs):
        shape, x = self._flat(inputs)
        n = x["eps_cal"].size
        upstream_nan = np.any([~np.isfinite(v) for v in x.values()], axis=0)

        # impossible structures never reach the solver
        reasons = np.full(n, "", dtype=object)
        for bad, message in self._problems(x):
            bad = bad.reshape(-1) & (reasons == "") & ~upstream_nan
            if not shape and bad.any():
                raise ParameterError(f"container 'half-cell': {message}")
            reasons[bad] = message

        ok = (reasons == "") & ~upstream_nan
        cell = self.cell(int(ok.sum()))
        samples = self._cell_samples(x, ok)
        out = {k: np.full(n, np.nan) for k in self.outputs()}
        for k in ("kappa_s_eff", "tau_e", "a_s", "kappa_ion_eff"):
            if k in out:
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
