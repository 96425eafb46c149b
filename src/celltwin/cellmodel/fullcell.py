"""The P2D (DFN) full cell, graphite against the cathode, built once and solved in batches.

The half-cell's method (:mod:`celltwin.cellmodel.halfcell`) carried over to both electrodes:
every quantity that varies between samples is a PyBaMM ``InputParameter`` (both electrodes'
and the separator's thicknesses through ``pybamm.SymbolicUniform1DSubMesh`` on all five
domains, porosities, active fractions, effective conductivities, tortuosities, particle
radii, the initial lithium of each electrode, the current and the cut-off voltages), so the
model is discretised once and IDAKLU solves chunks of samples on several threads.

Each sample runs two experiments on the same built model:

1. a galvanostatic **discharge** from the charged state to ``v_min``; the solver integrates
   capacity and energy (PyBaMM's ``calculate discharge energy``);
2. a galvanostatic **CC charge** from the relaxed end of that discharge (each electrode
   uniform at its mean stoichiometry) to the charged state's open-circuit voltage, the
   CC phase of a CC-CV charge. The **plating margin** is the lowest anode surface
   potential phi_s - phi_e (against Li/Li+, PyBaMM's "Negative electrode surface potential
   difference") anywhere in the anode during that charge; below 0 V lithium can plate.

Lithium inventory (see docs/full-cell.md): the cell is assembled with a fully lithiated
cathode (stoichiometry 1) and an empty anode. Formation charges the cathode's window
(c_max - c_0) X_AM L F of the half-cell's set into the anode and loses the fraction
``li_loss`` of it to the SEI. The charged state therefore has the cathode at c_0 and the
anode at x_n = (1 - li_loss) / NP, with NP = Q_n / Q_p the ratio of the model's areal
capacities. An anode too small for that lithium (NP < 1 - li_loss) is filled to
:data:`X_N_MAX` and the rest stays in the cathode: the charge stops when the anode is full.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..materials import material
from ..platform.errors import ParameterError, unknown
from ._batch import build, failure_reason, solve_isolated
from ._pybamm import import_pybamm
from .halfcell import AH_PER_M2_TO_MAH_PER_CM2, CellResult
from .parameters import FARADAY, base_parameter_values, positive_concentrations

#: Sample columns of :meth:`FullCell.solve`, with their SI unit and PyBaMM parameter (None: not one).
SAMPLE_COLUMNS = {
    "L_n": ("m", "Negative electrode thickness [m]"),
    "L_s": ("m", "Separator thickness [m]"),
    "eps_s": ("1", "Separator porosity"),
    "L_p": ("m", "Positive electrode thickness [m]"),
    "eps_n": ("1", "Negative electrode porosity"),
    "eps_p": ("1", "Positive electrode porosity"),
    "X_n": ("1", "Negative electrode active material volume fraction"),
    "X_p": ("1", "Positive electrode active material volume fraction"),
    "R_n": ("m", "Negative particle radius [m]"),
    "R_p": ("m", "Positive particle radius [m]"),
    "kappa_n": ("S/m", "Negative electrode conductivity [S.m-1]"),
    "kappa_p": ("S/m", "Positive electrode conductivity [S.m-1]"),
    "tau_n": ("1", "Negative electrode tortuosity factor (electrolyte)"),
    "tau_p": ("1", "Positive electrode tortuosity factor (electrolyte)"),
    "li_loss": ("1", None),
    "i_dis": ("A/m^2", None),
    "i_chg": ("A/m^2", None),
}
#: Input parameters of the built model besides the structure: initial lithium, current, cut-offs.
STATE_INPUTS = {
    "c_n0": "Initial concentration in negative electrode [mol.m-3]",
    "c_p0": "Initial concentration in positive electrode [mol.m-3]",
    "i_app": "Current function [A]",
    "v_lo": "Lower voltage cut-off [V]",
    "v_hi": "Upper voltage cut-off [V]",
}
MIN_ANODE_POTENTIAL = "Minimum negative electrode surface potential difference [V]"
OUTPUT_VARIABLES = ["Voltage [V]", "Discharge capacity [A.h]", "Discharge energy [W.h]",
                    "Average negative particle concentration", "Average positive particle concentration",
                    MIN_ANODE_POTENTIAL]
#: Highest anode stoichiometry of the charged state: at c_s = c_max the exchange current
#: vanishes and the DFN is singular, so an anode too small for the lithium starts just below.
X_N_MAX = 0.99
#: Domains whose mesh scales with a per-sample length.
SYMBOLIC_DOMAINS = ("negative electrode", "separator", "positive electrode", "negative particle", "positive particle")


@dataclass(frozen=True)
class FullCellSettings:
    """Everything that changes the built full cell (one cached :class:`FullCell` per value).

    ``mesh`` is the number of finite volumes in (anode, separator, cathode, anode particle,
    cathode particle); the default was chosen with ``benchmarks/full_cell.py`` (docs/full-cell.md).
    ``parameter_set`` supplies the cathode, electrolyte and separator exactly as for the
    half-cell (a path ending in ``.json`` is a BPX file); ``anode_set`` the graphite electrode
    (OCP, kinetics, diffusivity, radius, conductivity; None keeps the anode of
    ``parameter_set``, e.g. of a BPX file); ``anode_material`` the library material whose
    density and molar mass give the anode's c_max (one Li per C6 for graphite: 372 mAh/g;
    None keeps the set's).
    """

    parameter_set: str = "table-a2"
    anode_set: str | None = "Chen2020"
    anode_material: str | None = "graphite"
    v_min: float = 3.0       # V, discharge cut-off
    v_max: float = 4.4       # V, only a guard for the discharge's initial state
    mesh: tuple[int, int, int, int, int] = (6, 4, 6, 8, 8)
    rtol: float = 1e-5
    atol: float = 1e-6
    threads: int = 2
    compile: bool = False    # ahead-of-time compile the CasADi functions (needs a C compiler)


def full_cell_parameter_values(parameter_set: str = "table-a2", anode_set: str | None = "Chen2020",
                               anode_material: str | None = "graphite"):
    """PyBaMM ``ParameterValues`` of the full cell, before per-sample structure and state.

    The half-cell's set (:func:`~celltwin.cellmodel.parameters.base_parameter_values`: cathode,
    electrolyte, separator; or a BPX file's whole cell) with every "Negative ..." entry of
    ``anode_set`` except current collectors (None: the set's own anode); the anode's c_max
    from the library's ``anode_material`` (rho / M per host formula unit) when the library has
    both, so that the model's anode capacity is the material's theoretical one.
    """
    pybamm = import_pybamm()
    pv = base_parameter_values(parameter_set)
    source = parameter_set
    if anode_set is not None:
        try:
            neg = pybamm.ParameterValues(anode_set)
        except Exception as exc:  # PyBaMM raises ValueError/KeyError for unknown names
            raise ParameterError(unknown("PyBaMM parameter set", anode_set, list(pybamm.parameter_sets.keys())),
                                 parameter="anode_set", value=anode_set) from exc
        pv.update({k: v for k, v in neg.items() if k.startswith("Negative") and "current collector" not in k},
                  check_already_exists=False)
        source = anode_set
    if not callable(pv["Negative electrode OCP [V]"]):  # Xu2019's lithium metal: a constant 0 V
        raise ParameterError(f"{source!r} has no intercalation anode (its negative electrode OCP is not a function "
                             "of stoichiometry)", parameter="anode_set", value=source,
                             valid="a set with a graphite anode, e.g. Chen2020, Ecker2015, Mohtat2020, or a BPX file")
    if anode_material is not None:
        m = material(anode_material, kind="active")
        if m.rho is not None and "molar_mass" in m.facts:
            # g/cm^3 / (g/mol) = mol/cm^3 -> x 1e6 mol/m^3
            pv.update({"Maximum concentration in negative electrode [mol.m-3]":
                       m.rho / m.facts["molar_mass"].value * 1e6})
    pv.update({"Negative electrode tortuosity factor (electrode)": 1.0}, check_already_exists=False)
    return pv


class FullCell:
    """A DFN full cell (graphite anode, cathode of the half-cell's set) built once for batched solves.

    Samples are given in SI units as columns of :data:`SAMPLE_COLUMNS`: thicknesses ``L_n``,
    ``L_s``, ``L_p`` (m), porosities ``eps_n``, ``eps_s``, ``eps_p`` (separator: default the
    set's), active volume fractions ``X_n``,
    ``X_p``, particle radii ``R_n``, ``R_p`` (m; default the sets'), effective solid
    conductivities ``kappa_n``, ``kappa_p`` (S/m), electrolyte tortuosity factors ``tau_n``,
    ``tau_p``, the formation loss ``li_loss`` (fraction of the first charge), and the
    discharge and charge current densities ``i_dis``, ``i_chg`` (A/m^2, both positive).
    """

    def __init__(self, settings: FullCellSettings = FullCellSettings()):
        self.settings = settings
        pybamm = import_pybamm()
        self._pybamm = pybamm
        self.base = full_cell_parameter_values(settings.parameter_set, settings.anode_set, settings.anode_material)
        self.c_max_p, self.c_0_p = positive_concentrations(self.base)
        self.c_max_n = float(self.base["Maximum concentration in negative electrode [mol.m-3]"])
        #: values a sample may leave out: the sets' particle radii and separator
        self.defaults = {"R_n": float(self.base["Negative particle radius [m]"]),
                         "R_p": float(self.base["Positive particle radius [m]"]),
                         "L_s": float(self.base["Separator thickness [m]"]),
                         "eps_s": float(self.base["Separator porosity"])}
        #: the anode set's solid conductivity (S/m), the graphite phase of the anode's surrogate
        self.anode_conductivity = float(self.base["Negative electrode conductivity [S.m-1]"])
        self._ocp_x = np.linspace(0.0, 1.0, 4001)
        self._ocp = {d: self._tabulate_ocp(d) for d in ("Negative", "Positive")}
        inputs = {k: pybamm.InputParameter(k) for k in (*SAMPLE_COLUMNS, *STATE_INPUTS)}
        self.sim = self._simulation(inputs, symbolic=True)

    # -- building -------------------------------------------------------------------
    def _tabulate_ocp(self, domain: str) -> np.ndarray:
        """The set's open-circuit potential (V vs Li/Li+) on a stoichiometry grid, for the initial states."""
        pybamm = self._pybamm
        f = pybamm.FunctionParameter(f"{domain} electrode OCP [V]",
                                     {f"{domain} particle stoichiometry": pybamm.Vector(self._ocp_x)})
        return np.asarray(self.base.process_symbol(f).evaluate(), dtype=float).ravel()

    def ocp(self, domain: str, x) -> np.ndarray:
        """Open-circuit potential of ``domain`` ("Negative" or "Positive") at stoichiometry ``x`` (V)."""
        return np.interp(x, self._ocp_x, self._ocp[domain])

    def _parameter_values(self, s: Mapping):
        """Base values with one sample's structure and state; ``s`` holds numbers or InputParameters."""
        pv = self.base.copy()
        pv.update({SAMPLE_COLUMNS[k][1]: s[k] for k in SAMPLE_COLUMNS
                   if SAMPLE_COLUMNS[k][1] is not None and not k.startswith("kappa")})
        # PyBaMM scales the electrode conductivity by (1 - eps) / tau_s with tau_s = 1; undo
        # that so the model sees exactly the surrogate's effective conductivity.
        pv.update({SAMPLE_COLUMNS[f"kappa_{d}"][1]: s[f"kappa_{d}"] / (1 - s[f"eps_{d}"]) for d in "np"})
        pv.update({name: s[k] for k, name in STATE_INPUTS.items()}, check_already_exists=False)
        return pv

    def _simulation(self, s: Mapping, symbolic: bool):
        pybamm, st = self._pybamm, self.settings
        model = pybamm.lithium_ion.DFN({"transport efficiency": "tortuosity factor",
                                        "calculate discharge energy": "true"})
        phi = model.variables["Negative electrode surface potential difference [V]"]
        # the lowest value on the mesh or at the separator face (extrapolated), where plating starts
        model.variables[MIN_ANODE_POTENTIAL] = pybamm.minimum(pybamm.min(phi), pybamm.boundary_value(phi, "right"))
        submesh = dict(model.default_submesh_types)
        if symbolic:
            submesh.update(dict.fromkeys(SYMBOLIC_DOMAINS, pybamm.SymbolicUniform1DSubMesh))
        var_pts = dict(model.default_var_pts)
        var_pts.update(dict(zip(("x_n", "x_s", "x_p", "r_n", "r_p"), st.mesh, strict=True)))
        solver = pybamm.IDAKLUSolver(rtol=st.rtol, atol=st.atol, output_variables=OUTPUT_VARIABLES,
                                     options={"num_threads": st.threads, "compile": st.compile,
                                              "silence_sundials_errors": True})
        return pybamm.Simulation(model, parameter_values=self._parameter_values(s),
                                 submesh_types=submesh, var_pts=var_pts, solver=solver)

    # -- lithium inventory ------------------------------------------------------------
    def inventory(self, df: pd.DataFrame) -> pd.DataFrame:
        """Areal capacities, N/P and the charged state of each sample (see the module docstring).

        Columns: ``q_p`` and ``q_n`` (A h/m^2: the cathode's window (c_max - c_0) X L F and the
        anode's c_max X L F), ``np_ratio``, ``q_cyc`` (A h/m^2, the lithium that cycles after
        formation), ``c_n0``, ``c_p0`` (mol/m^3, the charged state) and ``v_charged`` (V, the end
        of the CC charge: the open-circuit voltage with the cathode at c_0 and the anode holding
        the cycling lithium, or full; an anode too small for the lithium fills before the
        cathode reaches c_0, so its charge goes on until the anode saturates and plates).

        PyBaMM's ``ElectrodeSOHSolver`` (``set_initial_stoichiometries``) was considered: it
        places the window between two voltages and solves one sample at a time, whereas here
        the window is the half-cell set's c_0 (Table A2) less the formation loss, for a whole
        batch at once in closed form.
        """
        to_ah = FARADAY / 3600.0
        lith_p = (self.c_max_p - self.c_0_p) * df["X_p"].to_numpy() * df["L_p"].to_numpy()    # mol/m^2
        host_n = self.c_max_n * df["X_n"].to_numpy() * df["L_n"].to_numpy()                  # mol/m^2
        cyclable = (1.0 - df["li_loss"].to_numpy()) * lith_p
        x_n = np.minimum(cyclable / host_n, X_N_MAX)
        excess = cyclable - x_n * host_n                                                      # stays in the cathode
        x_p = self.c_0_p / self.c_max_p + excess / (self.c_max_p * df["X_p"].to_numpy() * df["L_p"].to_numpy())
        return pd.DataFrame({
            "q_p": lith_p * to_ah, "q_n": host_n * to_ah, "np_ratio": host_n / lith_p,
            "q_cyc": x_n * host_n * to_ah, "c_n0": x_n * self.c_max_n, "c_p0": x_p * self.c_max_p,
            # the cathode at its top of charge and the anode holding the cycling lithium, or full
            "v_charged": self.ocp("Positive", self.c_0_p / self.c_max_p)
            - self.ocp("Negative", np.minimum(cyclable / host_n, 1.0))}, index=df.index)

    # -- helpers --------------------------------------------------------------------
    def _frame(self, samples: Mapping) -> pd.DataFrame:
        missing = [k for k in SAMPLE_COLUMNS if k not in samples and k not in self.defaults]
        if missing:
            raise ParameterError(f"full-cell samples miss {', '.join(missing)}; needed: {', '.join(SAMPLE_COLUMNS)}")
        data = {k: np.asarray(samples.get(k, self.defaults.get(k)), dtype=float) for k in SAMPLE_COLUMNS}
        shape = np.broadcast_shapes(*(v.shape for v in data.values()))
        return pd.DataFrame({k: np.broadcast_to(v, shape).reshape(-1) for k, v in data.items()})

    @staticmethod
    def problems(df: pd.DataFrame) -> pd.Series:
        """The first reason each sample cannot be solved ("" when it can)."""
        reasons = pd.Series("", index=df.index, dtype=object)
        positive = lambda v: v > 0  # noqa: E731
        fraction = lambda v: (v > 0) & (v < 1)  # noqa: E731
        rules = [(k, 1e6, "um", positive, "(0, inf)") for k in ("L_n", "L_s", "L_p", "R_n", "R_p")]
        rules += [(k, 1, "(unit 1)", fraction, "(0, 1)") for k in ("eps_n", "eps_s", "eps_p", "X_n", "X_p")]
        rules += [(k, 1, "S/m", positive, "(0, inf)") for k in ("kappa_n", "kappa_p")]
        rules += [(k, 1, "(unit 1)", lambda v: v >= 1, "[1, inf)") for k in ("tau_n", "tau_p")]
        rules += [("li_loss", 1, "(unit 1)", lambda v: (v >= 0) & (v < 1), "[0, 1)")]
        rules += [(k, 0.1, "mA/cm^2", positive, "(0, inf)") for k in ("i_dis", "i_chg")]
        for name, scale, unit, ok, rng in rules:
            v = df[name].to_numpy()
            bad = ~ok(v) & (reasons == "").to_numpy()
            unit_r = "" if unit.startswith("(") else f" {unit}"
            for i in np.flatnonzero(bad):
                reasons.iloc[int(i)] = f"{name} = {v[i] * scale:.6g} {unit} is outside the valid range {rng}{unit_r}"
        for d in "np":
            total = df[f"eps_{d}"] + df[f"X_{d}"]
            for i in np.flatnonzero((total > 1).to_numpy() & (reasons == "").to_numpy()):
                reasons.iloc[int(i)] = (f"eps_{d} + X_{d} = {total.iloc[i]:.6g} (unit 1) exceeds 1: porosity plus "
                                   "solid volume fractions cannot fill more than the coating")
        return reasons

    def _inputs(self, df: pd.DataFrame, inv: pd.DataFrame, charge: bool, start=None) -> list[dict]:
        """Model inputs of the discharge (from the charged state) or of the charge (from ``start``)."""
        rows = df.assign(c_n0=inv["c_n0"], c_p0=inv["c_p0"], i_app=df["i_dis"],
                         v_lo=self.settings.v_min, v_hi=self.settings.v_max)
        if charge:
            rows = rows.assign(c_n0=start[:, 0] * self.c_max_n, c_p0=start[:, 1] * self.c_max_p,
                               i_app=-df["i_chg"], v_lo=0.0, v_hi=inv["v_charged"])
        return rows.to_dict("records")

    @staticmethod
    def _t_end(inv: pd.DataFrame, current: pd.Series) -> float:
        """A time (s) no sample can outlast: 3x the longest full (dis)charge of the cycling lithium."""
        return float(3.0 * np.max(inv["q_cyc"].to_numpy() * 3600.0 / current.to_numpy()))

    def _extract_discharge(self, sol) -> tuple[float, float, float, float, str]:
        if isinstance(sol, str):
            return np.nan, np.nan, np.nan, np.nan, f"discharge: {sol}"
        if "event" not in sol.termination:
            return np.nan, np.nan, np.nan, np.nan, (f"discharge stopped by {sol.termination!r} before the "
                                                    f"{self.settings.v_min} V cut-off")
        q = float(sol["Discharge capacity [A.h]"].entries[-1])
        e = float(sol["Discharge energy [W.h]"].entries[-1])
        x_n = float(sol["Average negative particle concentration"].entries[-1])
        x_p = float(sol["Average positive particle concentration"].entries[-1])
        if not q > 0:
            return np.nan, np.nan, np.nan, np.nan, f"no discharge capacity before {sol.termination!r}"
        return q, e, x_n, x_p, ""

    @staticmethod
    def _extract_charge(sol) -> tuple[float, str]:
        if isinstance(sol, str):
            return np.nan, f"charge: {sol}"
        if "event" not in sol.termination:
            return np.nan, f"charge stopped by {sol.termination!r} before its end"
        return float(np.min(sol[MIN_ANODE_POTENTIAL].entries)), ""

    # -- solving --------------------------------------------------------------------
    def solve(self, samples: Mapping, *, chunk_size: int = 256,
              progress: Callable[[int, int], None] | None = None, on_invalid: str = "nan") -> CellResult:
        """Discharge and then charge every sample; per-sample results and failures.

        ``on_invalid="raise"`` raises :class:`ParameterError` for the first impossible sample,
        ``"nan"`` records it as a failure without calling the solver. Results: ``capacity``
        (mAh/cm^2), ``energy`` (mWh/cm^2), ``mean_voltage`` (V), ``plating_margin`` (V), the
        mean stoichiometries at the end of the discharge ``sto_n_discharged``, ``sto_p_discharged``
        (which electrode ran out), and the inventory's ``capacity_cathode``, ``capacity_anode``, ``capacity_cyclable``
        (mAh/cm^2), ``np_ratio`` and ``v_charged`` (V). ``progress(done, total)`` is called
        after each chunk.
        """
        if on_invalid not in ("nan", "raise"):
            raise ParameterError(f"on_invalid = {on_invalid!r} must be 'nan' or 'raise'", parameter="on_invalid",
                                 value=on_invalid, valid="nan, raise")
        df = self._frame(samples)
        reasons = self.problems(df)
        if on_invalid == "raise" and (reasons != "").any():
            raise ParameterError(f"full-cell sample {int(np.flatnonzero(reasons != '')[0])}: "
                                 f"{reasons[reasons != ''].iloc[0]}")
        with np.errstate(invalid="ignore", divide="ignore"):
            inv = self.inventory(df)
        out = np.full((len(df), 5), np.nan)  # q, e, plating margin, discharged x_n, x_p
        todo = np.flatnonzero((reasons == "").to_numpy())
        done = 0
        for start in range(0, len(todo), chunk_size):
            idx = todo[start:start + chunk_size]
            self._solve_chunk(df.iloc[idx], inv.iloc[idx], idx, out, reasons, self.sim)
            done += len(idx)
            if progress is not None:
                progress(done, len(todo))
        return self._result(inv, out, reasons)

    def _solve_chunk(self, part, inv, idx, out, reasons, sim) -> None:
        """Both experiments of one chunk on ``sim``; results into ``out`` and ``reasons`` at ``idx``."""
        sols = solve_isolated(sim, [0.0, self._t_end(inv, part["i_dis"])], self._inputs(part, inv, charge=False))
        dis = [self._extract_discharge(s) for s in sols]
        for j, (q, e, x_n, x_p, why) in zip(idx, dis, strict=True):
            out[j, [0, 1, 3, 4]], reasons.iloc[j] = (q, e, x_n, x_p), why
        ok = np.array([d[4] == "" for d in dis])
        if not ok.any():
            return
        start = np.array([d[2:4] for d in dis])[ok]
        sols = solve_isolated(sim, [0.0, self._t_end(inv[ok], part["i_chg"][ok])],
                              self._inputs(part[ok], inv[ok], charge=True, start=start))
        for j, sol in zip(idx[ok], sols, strict=True):
            out[j, 2], reasons.iloc[j] = self._extract_charge(sol)

    def solve_rebuilt(self, samples: Mapping) -> CellResult:
        """The slow, obvious way: build, discretise and solve a fresh model per sample and experiment.

        Same physics, mesh and tolerances as :meth:`solve`, with plain numbers instead of input
        parameters and an ordinary uniform mesh. The reference for tests and the benchmark.
        """
        df = self._frame(samples)
        reasons = self.problems(df)
        with np.errstate(invalid="ignore", divide="ignore"):
            inv = self.inventory(df)
        out = np.full((len(df), 5), np.nan)
        for j in map(int, np.flatnonzero((reasons == "").to_numpy())):
            part, pinv = df.iloc[[j]], inv.iloc[[j]]
            try:
                row = self._inputs(part, pinv, charge=False)[0]
                sol = self._simulation(row, symbolic=False).solve([0.0, self._t_end(pinv, part["i_dis"])])
                q, e, x_n, x_p, reasons.iloc[j] = self._extract_discharge(sol)
                out[j, [0, 1, 3, 4]] = q, e, x_n, x_p
                if reasons.iloc[j]:
                    continue
                row = self._inputs(part, pinv, charge=True, start=np.array([[x_n, x_p]]))[0]
                sol = self._simulation(row, symbolic=False).solve([0.0, self._t_end(pinv, part["i_chg"])])
                out[j, 2], reasons.iloc[j] = self._extract_charge(sol)
            except Exception as exc:  # noqa: BLE001 - recorded, the run carries on
                reasons.iloc[j] = failure_reason(exc)
        return self._result(inv, out, reasons)

    @staticmethod
    def _result(inv: pd.DataFrame, out: np.ndarray, reasons: pd.Series) -> CellResult:
        cap = out[:, 0] * AH_PER_M2_TO_MAH_PER_CM2      # A h/m^2 -> mA h/cm^2
        energy = out[:, 1] * AH_PER_M2_TO_MAH_PER_CM2   # W h/m^2 -> mW h/cm^2
        with np.errstate(invalid="ignore", divide="ignore"):
            values = pd.DataFrame({
                "capacity": cap, "energy": energy, "mean_voltage": energy / cap, "plating_margin": out[:, 2],
                "sto_n_discharged": out[:, 3], "sto_p_discharged": out[:, 4],
                "capacity_cathode": inv["q_p"].to_numpy() * AH_PER_M2_TO_MAH_PER_CM2,
                "capacity_anode": inv["q_n"].to_numpy() * AH_PER_M2_TO_MAH_PER_CM2,
                "capacity_cyclable": inv["q_cyc"].to_numpy() * AH_PER_M2_TO_MAH_PER_CM2,
                "np_ratio": inv["np_ratio"].to_numpy(), "v_charged": inv["v_charged"].to_numpy()})
        bad = (reasons != "").to_numpy()
        failures = pd.DataFrame({"index": np.flatnonzero(bad), "reason": reasons[bad].to_list()})
        return CellResult(values, failures)

    def cyclable_capacity(self, samples: Mapping) -> np.ndarray:
        """The lithium that cycles after formation, mAh/cm^2: the 1C reference of C-rates."""
        df = self._frame({"i_dis": 1.0, "i_chg": 1.0, **samples})
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.inventory(df)["q_cyc"].to_numpy() * AH_PER_M2_TO_MAH_PER_CM2


@functools.lru_cache(maxsize=8)
def full_cell(settings: FullCellSettings = FullCellSettings()) -> FullCell:
    """The built full cell for these settings, cached for the life of the process."""
    return build(FullCell, settings, "full cell")
