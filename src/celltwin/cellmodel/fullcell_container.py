"""The "full-cell" container: both lines' calendered structures and the cell format -> cell KPIs."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..containers.formulation import ElectrodeContainer
from ..platform.catalog import qualified
from ..platform.container import per_component
from ..platform.errors import ParameterError, SolverError
from ..platform.registry import containers
from ._batch import wants_compile
from .structure import CBM_ASPECT_RATIO, TORTUOSITY_MODELS, effective_parameters, structure_problems

#: the two lines, in the order of their names in the inputs
LINES = ("cathode", "anode")
#: structure models of the graphite anode: the 3D surrogate was fitted to NMC-like spheres, so
#: "resolved" is not offered for it (docs/full-cell.md)
ANODE_TORTUOSITY_MODELS = ("bruggeman", "mixed-shape")
#: the cell format's inputs, with their units
CELL_INPUTS = {"A_cell": "cm^2", "m_cell": "g", "V_cell": "cm^3", "t_sep": "um", "eps_sep": "1", "li_loss": "1"}


@containers.register
class FullCellContainer(ElectrodeContainer):
    """Full cell: both electrodes through their structure relations into a PyBaMM DFN (issue 15).

    Inputs: each line's calendered structure as ``cathode.eps_cal``, ``cathode.h_cal`` (um),
    ``cathode.X_<c>`` and the same for ``anode.``, the cell format's facing cathode area
    ``A_cell`` (cm^2), mass ``m_cell`` (g) and volume ``V_cell`` (cm^3), the separator's
    thickness ``t_sep`` (um) and porosity ``eps_sep`` (1), and the formation loss
    ``li_loss`` (fraction of the first charge lost to the SEI). Outputs: ``capacity_cell``
    (A h) and ``energy_cell`` (W h) of a discharge at ``c_rate`` (1/h of the cycling lithium)
    or ``current_density`` (mA/cm^2, overrides the C-rate) to ``v_min``; ``specific_energy``
    (W h/kg of the whole cell), ``energy_density_cell`` (W h/L of the whole cell),
    ``capacity_areal`` (mA h/cm^2), ``mean_voltage_cell`` (V) and ``plating_margin`` (V: the
    lowest anode surface potential against Li/Li+ during a CC charge at ``charge_c_rate``;
    below 0 lithium can plate). See :mod:`celltwin.cellmodel.fullcell` for the lithium
    inventory and the experiments. Impossible structures or formats are refused before the
    solver (a ParameterError for scalar inputs); in a batch they and solver failures come back
    as NaN, listed with their reasons in ``last_failures`` after each call.

    ``components``: one sequence for both lines or ``{"cathode": (...), "anode": (...)}``.
    Options: ``parameter_set`` (cathode, electrolyte, separator: as the half-cell's),
    ``anode_set`` (a PyBaMM set with a graphite anode, default Chen2020), ``anode_material``
    (library material giving the anode's c_max), ``bpx`` (a BPX file that gives the whole cell
    instead of the three), ``tortuosity`` (cathode, as the half-cell's,
    default the 3D surrogate), ``anode_tortuosity`` ("bruggeman" or "mixed-shape"),
    ``particle_radius`` / ``anode_particle_radius`` (um; None = the sets'), ``v_min`` (V), ``mesh`` (volumes in
    anode, separator, cathode, anode particle, cathode particle), ``rtol``/``atol``,
    ``threads``, ``compile`` ("auto" as the half-cell's), ``chunk_size``.
    """

    name = "full-cell"
    kind = "numerical"
    options = {"c_rate": 1 / 3, "current_density": None, "charge_c_rate": 2.0, "parameter_set": "table-a2",
               "anode_set": "Chen2020", "anode_material": "graphite", "bpx": None, "tortuosity": "resolved",
               "anode_tortuosity": "bruggeman", "cbm_aspect_ratio": CBM_ASPECT_RATIO, "particle_radius": None,
               "anode_particle_radius": None, "v_min": 3.0,
               "mesh": (6, 4, 6, 8, 8), "rtol": 1e-5, "atol": 1e-6, "threads": 2, "compile": "auto",
               "chunk_size": 256}
    choices = {"tortuosity": TORTUOSITY_MODELS, "anode_tortuosity": ANODE_TORTUOSITY_MODELS,
               "compile": ("auto", False, True)}

    def __init__(self, components: Sequence[str] | Mapping[str, Sequence[str]] | None = None, **options):
        per_line = dict(components) if isinstance(components, Mapping) else dict.fromkeys(LINES, components)
        unknown_lines = set(per_line) - set(LINES)
        if unknown_lines:
            raise ParameterError(f"container 'full-cell': components are given per line {', '.join(LINES)}; "
                                 f"got {', '.join(sorted(unknown_lines))}", parameter="components",
                                 valid=", ".join(LINES))
        super().__init__(per_line.get("cathode"), **options)
        self.line_components: dict[str, tuple[str, ...]] = {
            line: self.default_components if per_line.get(line) is None else tuple(per_line[line] or ())
            for line in LINES}
        for line, comps in self.line_components.items():
            if "AM" not in comps:
                raise ParameterError(f"container 'full-cell': the {line} line needs an active material component "
                                     f"'AM'; got components {', '.join(comps)}", parameter="components")
        s = self.settings
        for key, low in (("c_rate", 0.0), ("current_density", 0.0), ("charge_c_rate", 0.0),
                         ("cbm_aspect_ratio", 0.0), ("particle_radius", 0.0), ("anode_particle_radius", 0.0),
                         ("rtol", 0.0), ("atol", 0.0)):
            v = s[key]
            if v is not None and not (isinstance(v, int | float) and v > low):
                raise ParameterError(f"container 'full-cell': option {key} = {v!r} is outside its valid range "
                                     f"({low:g}, inf)", parameter=key, value=v, valid=f"({low:g}, inf)")
        mesh = s["mesh"]
        if not (isinstance(mesh, Sequence) and len(mesh) == 5 and all(isinstance(n, int) and n >= 2 for n in mesh)):
            raise ParameterError(f"container 'full-cell': option mesh = {mesh!r} must be 5 integers >= 2 (finite "
                                 "volumes in anode, separator, cathode, anode particle, cathode particle)",
                                 parameter="mesh", value=str(mesh), valid="5 integers >= 2")
        for key in ("threads", "chunk_size"):
            if not (isinstance(s[key], int) and s[key] >= 1):
                raise ParameterError(f"container 'full-cell': option {key} = {s[key]!r} must be an integer >= 1",
                                     parameter=key, value=s[key], valid="an integer >= 1")
        if s["bpx"] is not None:
            if (s["parameter_set"], s["anode_set"], s["anode_material"]) != ("table-a2", "Chen2020", "graphite"):
                raise ParameterError("container 'full-cell': a BPX file gives the whole cell; give bpx or "
                                     "parameter_set/anode_set/anode_material, not both", parameter="bpx")
            if not (str(s["bpx"]).endswith(".json") and Path(s["bpx"]).is_file()):
                raise ParameterError(f"container 'full-cell': bpx = {s['bpx']!r} is not a BPX file (*.json)",
                                     parameter="bpx", value=s["bpx"], valid="an existing *.json file")
        self.last_failures = pd.DataFrame(columns=["index", "reason"])

    # -- declarations ---------------------------------------------------------------
    def _line_inputs(self, line: str) -> dict[str, str]:
        names = {"eps_cal": "1", "h_cal": "um", **per_component("X_{c}", self.line_components[line], "1")}
        return {qualified(line, k): u for k, u in names.items()}

    def inputs(self):
        return {**self._line_inputs("cathode"), **self._line_inputs("anode"), **CELL_INPUTS}

    def outputs(self):
        return {"capacity_cell": "A*h", "energy_cell": "W*h", "specific_energy": "W*h/kg",
                "energy_density_cell": "W*h/L", "capacity_areal": "mA*h/cm^2", "mean_voltage_cell": "V",
                "plating_margin": "V"}

    def constraints(self, inputs):
        return self._problems(inputs)

    def _fractions(self, x: Mapping, line: str) -> dict[str, np.ndarray]:
        return {f"X_{c}": np.asarray(x[qualified(line, f"X_{c}")], dtype=float) for c in self.line_components[line]}

    def _problems(self, x: Mapping) -> list[tuple[np.ndarray, str]]:
        """Impossible structures of either line and impossible cell-format values, as (mask, message)."""
        out = []
        for line in LINES:
            for bad, message in structure_problems(x[qualified(line, "eps_cal")], self._fractions(x, line),
                                                   thickness=np.asarray(x[qualified(line, "h_cal")]) * 1e-6):
                out.append((bad, f"{line} line: {message}"))
        for name, unit in (("A_cell", "cm^2"), ("m_cell", "g"), ("V_cell", "cm^3"), ("t_sep", "um")):
            v = np.asarray(x[name], dtype=float)
            bad = ~(v > 0) & ~np.isnan(v)
            if np.any(bad):
                out.append((bad, f"{name} = {v[bad].flat[0]:.6g} {unit} is outside the valid range (0, inf) {unit}"))
        eps = np.asarray(x["eps_sep"], dtype=float)
        bad = ~((eps > 0) & (eps < 1)) & ~np.isnan(eps)
        if np.any(bad):
            out.append((bad, f"eps_sep = {eps[bad].flat[0]:.6g} (unit 1) is outside the valid range (0, 1)"))
        li = np.asarray(x["li_loss"], dtype=float)
        bad = ~((li >= 0) & (li < 1)) & ~np.isnan(li)
        if np.any(bad):
            out.append((bad, f"li_loss = {li[bad].flat[0]:.6g} (unit 1) is outside the valid range [0, 1): "
                             "the fraction of the first charge lost to the SEI"))
        return out

    # -- evaluation -----------------------------------------------------------------
    @property
    def failure_count(self) -> int:
        return len(self.last_failures)

    def cell(self, n_samples: int = 1):
        """The built :class:`~celltwin.cellmodel.fullcell.FullCell` for these options (cached)."""
        from .fullcell import FullCellSettings, full_cell
        s = self.settings
        compile_ = wants_compile(s["compile"], n_samples)
        mesh = [int(n) for n in s["mesh"]]
        sets = ({"parameter_set": str(s["bpx"]), "anode_set": None, "anode_material": None} if s["bpx"] else
                {k: s[k] for k in ("parameter_set", "anode_set", "anode_material")})
        return full_cell(FullCellSettings(**sets, v_min=float(s["v_min"]),
                                          mesh=(mesh[0], mesh[1], mesh[2], mesh[3], mesh[4]), rtol=float(s["rtol"]),
                                          atol=float(s["atol"]), threads=int(s["threads"]),
                                          compile=bool(compile_)))

    def cell_samples(self, x: Mapping[str, np.ndarray], ok: np.ndarray) -> dict[str, np.ndarray]:
        """FullCell inputs (SI) of the selected samples: the structure relations' job.

        Cathode: :func:`~celltwin.cellmodel.structure.effective_parameters` with ``tortuosity`` as
        the half-cell. Anode: the same function with ``anode_tortuosity`` and the anode set's
        graphite conductivity as the active phase's (the carbon-binder phase keeps Table A2's).
        """
        cell = self.cell(int(ok.sum()))
        s, m = self.settings, int(ok.sum())
        radius = {"cathode": s["particle_radius"] * 1e-6 if s["particle_radius"] else cell.defaults["R_p"],
                  "anode": (s["anode_particle_radius"] * 1e-6 if s["anode_particle_radius"]
                            else cell.defaults["R_n"])}
        out: dict[str, np.ndarray] = {}
        for line, d in (("cathode", "p"), ("anode", "n")):
            eps = np.asarray(x[qualified(line, "eps_cal")], dtype=float)[ok]
            fr = {k: v[ok] for k, v in self._fractions(x, line).items()}
            kw = ({"tortuosity": s["tortuosity"]} if line == "cathode" else
                  {"tortuosity": s["anode_tortuosity"], "kappa_AM": cell.anode_conductivity})
            eff = effective_parameters(eps, fr, radius[line], cbm_aspect_ratio=s["cbm_aspect_ratio"], **kw)
            out.update({f"L_{d}": np.asarray(x[qualified(line, "h_cal")], dtype=float)[ok] * 1e-6,
                        f"eps_{d}": eps, f"X_{d}": fr["X_AM"], f"R_{d}": np.full(m, radius[line]),
                        f"kappa_{d}": np.broadcast_to(eff["kappa_s_eff"], (m,)),
                        f"tau_{d}": np.broadcast_to(eff["tau_e"], (m,))})
        out["L_s"] = np.asarray(x["t_sep"], dtype=float)[ok] * 1e-6
        out["eps_s"] = np.asarray(x["eps_sep"], dtype=float)[ok]
        out["li_loss"] = np.asarray(x["li_loss"], dtype=float)[ok]
        q = cell.cyclable_capacity(out)                                     # mAh/cm^2
        i_dis = (np.full(m, s["current_density"]) if s["current_density"] else s["c_rate"] * q)
        out["i_dis"] = i_dis * 10.0                                         # mA/cm^2 -> A/m^2
        out["i_chg"] = s["charge_c_rate"] * q * 10.0
        return out

    def _flat(self, inputs: Mapping) -> tuple[tuple, dict[str, np.ndarray]]:
        names = list(self.inputs())
        missing = [n for n in names if n not in inputs]
        if missing:
            raise ParameterError(f"container 'full-cell' misses inputs {', '.join(missing)}",
                                 parameter=missing[0], valid=", ".join(names))
        arrays = np.broadcast_arrays(*(np.asarray(inputs[n], dtype=float) for n in names))
        return arrays[0].shape, {n: a.reshape(-1) for n, a in zip(names, arrays, strict=True)}

    def evaluate(self, inputs):
        shape, x = self._flat(inputs)
        n = x["li_loss"].size
        upstream_nan = np.any([~np.isfinite(v) for v in x.values()], axis=0)

        # impossible structures and formats never reach the solver
        reasons = np.full(n, "", dtype=object)
        for bad, message in self._problems(x):
            bad = np.broadcast_to(bad, (n,)) & (reasons == "") & ~upstream_nan
            if not shape and bad.any():
                raise ParameterError(f"container 'full-cell': {message}")
            reasons[bad] = message

        ok = (reasons == "") & ~upstream_nan
        out = {k: np.full(n, np.nan) for k in self.outputs()}
        if ok.any():
            cell = self.cell(int(ok.sum()))
            res = cell.solve(self.cell_samples(x, ok), chunk_size=self.settings["chunk_size"])
            v = res.values
            area = x["A_cell"][ok]
            out["capacity_areal"][ok] = v["capacity"].to_numpy()
            out["capacity_cell"][ok] = v["capacity"].to_numpy() * area * 1e-3      # mAh/cm^2 * cm^2 -> A h
            out["energy_cell"][ok] = v["energy"].to_numpy() * area * 1e-3          # mWh/cm^2 * cm^2 -> W h
            out["specific_energy"][ok] = out["energy_cell"][ok] / (x["m_cell"][ok] * 1e-3)        # W h / kg
            out["energy_density_cell"][ok] = out["energy_cell"][ok] / (x["V_cell"][ok] * 1e-3)    # W h / L
            out["mean_voltage_cell"][ok] = v["mean_voltage"].to_numpy()
            out["plating_margin"][ok] = v["plating_margin"].to_numpy()
            where = np.flatnonzero(ok)
            reasons[where[res.failures["index"].to_numpy(dtype=int)]] = res.failures["reason"].to_list()
        bad = reasons != ""
        self.last_failures = pd.DataFrame({"index": np.flatnonzero(bad), "reason": reasons[bad].tolist()})
        if not shape and bad.any():
            raise SolverError(f"container 'full-cell': the cell model failed: {reasons[0]}")
        return {k: (v.reshape(shape) if shape else v.reshape(())) for k, v in out.items()}
