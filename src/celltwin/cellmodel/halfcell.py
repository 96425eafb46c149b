"""The P2D (DFN) cathode half-cell against lithium metal, built once and solved in batches.

Every quantity that varies between Monte Carlo samples is a PyBaMM ``InputParameter``,
including the electrode thickness and the particle radius: the electrode, separator and
particle domains use ``pybamm.SymbolicUniform1DSubMesh`` (PyBaMM >= 25.1), whose nodes are
scaled by a symbolic length at solve time. The model is therefore discretised and its
CasADi functions are generated once; the IDAKLU solver then integrates chunks of samples
on several threads. A galvanostatic discharge runs from the initial state to the lower
cut-off voltage; the discharge capacity and energy are integrated by the solver itself
(PyBaMM's ``calculate discharge energy`` option), so no output is interpolated.

The reaction area per electrode volume ``a_s`` is a sample input too. PyBaMM 26 knows only
spherical particles (option "particle shape": "spherical" or "no particles"), whose area is
3 X_AM / R_p and also sets the particle diffusion length; so ``a_s`` enters through the
exchange-current density, scaled by a_s / (3 X_AM / R_p): the kinetic overpotential sees the
area ``a_s``, the particles keep their radius for solid diffusion and their volume X_AM for
capacity. Without ``a_s`` a sample has the spheres' area (factor 1).

``CellSettings.electrolyte = "single-ion"`` turns the electrolyte into a single-ion conductor
for solid-state composite cathodes (:mod:`celltwin.cellmodel.solid_state`): transference
number 1, a constant conductivity, a dense separator of the same conductor; the sample's
``eps`` is then the conductor's volume fraction and ``tau_e`` its tortuosity factor. The
counter electrode may be In-Li, whose potential is subtracted from the voltage.

PyBaMM fails a whole batch when one of its samples fails. :meth:`HalfCell.solve` then
re-runs every sample of that chunk alone, records the ones that still fail as NaN with
their reason, and carries on.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..platform.errors import ParameterError
from ._batch import build, failure_reason, solve_isolated
from ._pybamm import import_pybamm
from .parameters import FARADAY, base_parameter_values, positive_concentrations
from .solid_state import COUNTER_ELECTRODES, ELECTROLYTES, single_ion_parameters

#: Sample columns of :meth:`HalfCell.solve`, with their SI unit and PyBaMM parameter.
SAMPLE_COLUMNS = {
    "L_p": ("m", "Positive electrode thickness [m]"),
    "eps": ("1", "Positive electrode porosity"),
    "X_AM": ("1", "Positive electrode active material volume fraction"),
    "R_p": ("m", "Positive particle radius [m]"),
    "kappa_s_eff": ("S/m", "Positive electrode conductivity [S.m-1]"),
    "tau_e": ("1", "Positive electrode tortuosity factor (electrolyte)"),
    "i_app": ("A/m^2", "Current function [A]"),
    "a_s": ("1/m", "Positive electrode exchange-current density [A.m-2]"),  # scales j0, see module doc
}
#: Sample columns that may be left out: the set's particle radius, the spheres' reaction area.
OPTIONAL_COLUMNS = ("R_p", "a_s")
OUTPUT_VARIABLES = ["Voltage [V]", "Discharge capacity [A.h]", "Discharge energy [W.h]"]
#: 1 A h/m^2 = 0.1 mA h/cm^2
AH_PER_M2_TO_MAH_PER_CM2 = 0.1
#: Units of the columns of a half-cell batch result (:class:`CellResult` ``values``)
RESULT_UNITS = {"capacity": "mA*h/cm^2", "energy": "mW*h/cm^2", "mean_voltage": "V", "energy_density": "W*h/L",
                "capacity_theoretical": "mA*h/cm^2"}
#: Units of the columns of a discharge curve (:meth:`HalfCell.discharge_curves`)
DISCHARGE_UNITS = {"time_s": "s", "capacity": "mA*h/cm^2", "voltage": "V"}


@dataclass(frozen=True)
class CellSettings:
    """Everything that changes the built model (one cached :class:`HalfCell` per value).

    ``mesh`` is the number of finite volumes in (separator, electrode, particle).
    The defaults were chosen with ``benchmarks/cell_throughput.py``: 3e-4 relative error
    in capacity and energy density against a 20/80/80-point, rtol = 1e-9 reference; the
    mesh, not the tolerance, sets that error (rtol 1e-6 gives the same).
    """

    parameter_set: str = "table-a2"
    double_layer: bool = False
    v_min: float = 3.0       # V, lower cut-off (Table A2 gives none; 3.0 V is usual for NMC)
    v_max: float = 4.4       # V, upper cut-off, only a guard for the initial state
    mesh: tuple[int, int, int] = (5, 10, 10)
    rtol: float = 1e-5
    atol: float = 1e-6
    threads: int = 2
    compile: bool = False    # ahead-of-time compile the CasADi functions (needs a C compiler)
    electrolyte: str = "liquid"                    # or "single-ion" (solid electrolyte, t+ = 1)
    electrolyte_conductivity: float | None = None  # S/m, the single-ion conductor's bulk value
    separator_thickness: float | None = None       # m, None: the parameter set's (25 um, Xu2019)
    counter_electrode: str = "Li"                  # or "In-Li" (single-ion only)

    def __post_init__(self):
        if self.electrolyte not in ELECTROLYTES:
            raise ParameterError(f"electrolyte = {self.electrolyte!r}; valid: {', '.join(ELECTROLYTES)}",
                                 parameter="electrolyte", value=self.electrolyte, valid=", ".join(ELECTROLYTES))
        if self.counter_electrode not in COUNTER_ELECTRODES:
            raise ParameterError(f"counter_electrode = {self.counter_electrode!r}; valid: "
                                 f"{', '.join(COUNTER_ELECTRODES)}", parameter="counter_electrode",
                                 value=self.counter_electrode, valid=", ".join(COUNTER_ELECTRODES))
        single = self.electrolyte == "single-ion"
        if single and not (self.electrolyte_conductivity is not None and self.electrolyte_conductivity > 0):
            raise ParameterError(f"a single-ion electrolyte needs electrolyte_conductivity in (0, inf) S/m; got "
                                 f"{self.electrolyte_conductivity!r}", parameter="electrolyte_conductivity",
                                 value=self.electrolyte_conductivity, unit="S/m", valid="(0, inf)")
        if not single and (self.counter_electrode != "Li" or self.electrolyte_conductivity is not None
                           or self.separator_thickness is not None):
            raise ParameterError("counter_electrode, electrolyte_conductivity and separator_thickness are options "
                                 "of the single-ion "
                                 "(solid-state) half-cell; the liquid half-cell has its set's electrolyte and Li",
                                 parameter="electrolyte", value=self.electrolyte, valid="single-ion")

    @property
    def voltage_offset(self) -> float:
        """Potential of the counter electrode against Li/Li+ (V), subtracted from the cell voltage."""
        return single_ion_parameters(self).get("offset", 0.0) if self.electrolyte == "single-ion" else 0.0

    def model_options(self) -> dict:
        opts = {"working electrode": "positive", "transport efficiency": "tortuosity factor",
                "calculate discharge energy": "true"}
        if self.double_layer:
            opts["surface form"] = "differential"
        return opts


@dataclass
class CellResult:
    """Per-sample results of a batch: ``values`` (DataFrame, NaN where a sample failed)
    and ``failures`` (DataFrame with the sample ``index`` and its ``reason``)."""

    values: pd.DataFrame
    failures: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["index", "reason"]))
    units: dict[str, str] = field(default_factory=dict)  # unit of each column of ``values``

    @property
    def failure_count(self) -> int:
        return len(self.failures)


class HalfCell:
    """A DFN cathode half-cell (lithium counter electrode), built once for batched solves.

    Samples are given in SI units as columns of :data:`SAMPLE_COLUMNS`: thickness ``L_p``
    (m), porosity ``eps``, active volume fraction ``X_AM``, particle radius ``R_p`` (m),
    effective solid conductivity ``kappa_s_eff`` (S/m), electrolyte tortuosity factor
    ``tau_e``, applied current density ``i_app`` (A/m^2, discharge positive) and, optionally,
    the reaction area ``a_s`` (1/m; default the spheres' 3 X_AM / R_p). In the single-ion mode
    ``eps`` and ``tau_e`` are the solid electrolyte's volume fraction and tortuosity factor.
    """

    def __init__(self, settings: CellSettings = CellSettings()):
        self.settings = settings
        pybamm = import_pybamm()
        self._pybamm = pybamm
        self.base = base_parameter_values(settings.parameter_set)
        self.c_max, self.c_0 = positive_concentrations(self.base)
        self.default_radius = float(self.base["Positive particle radius [m]"])
        inputs = {k: pybamm.InputParameter(k) for k in SAMPLE_COLUMNS}
        self.sim = self._simulation(inputs, symbolic=True)

    # -- building -------------------------------------------------------------------
    def _parameter_values(self, s: Mapping):
        """Base values with one sample's structure; ``s`` holds numbers or InputParameters."""
        pv = self.base.copy()
        pv.update({SAMPLE_COLUMNS[k][1]: s[k] for k in ("L_p", "eps", "X_AM", "R_p", "tau_e", "i_app")})
        # the reaction area a_s through the exchange-current density (module docstring)
        j0 = self.base[SAMPLE_COLUMNS["a_s"][1]]
        factor = s["a_s"] * s["R_p"] / (3.0 * s["X_AM"])
        pv[SAMPLE_COLUMNS["a_s"][1]] = ((lambda c_e, c_s, c_max, T: j0(c_e, c_s, c_max, T) * factor)
                                        if callable(j0) else j0 * factor)
        # PyBaMM scales the electrode conductivity by (1 - eps) / tau_s with tau_s = 1; undo
        # that so the model sees exactly the surrogate's effective conductivity.
        offset = self.settings.voltage_offset  # cut-offs are against the counter electrode
        pv.update({SAMPLE_COLUMNS["kappa_s_eff"][1]: s["kappa_s_eff"] / (1 - s["eps"]),
                   "Lower voltage cut-off [V]": self.settings.v_min + offset,
                   "Upper voltage cut-off [V]": self.settings.v_max + offset})
        if self.settings.electrolyte == "single-ion":
            pv.update(single_ion_parameters(self.settings)["pybamm"], check_already_exists=False)
        return pv

    def _simulation(self, s: Mapping, symbolic: bool):
        pybamm, st = self._pybamm, self.settings
        model = pybamm.lithium_ion.DFN(st.model_options())
        submesh = dict(model.default_submesh_types)
        if symbolic:
            for dom in ("separator", "positive electrode", "positive particle"):
                submesh[dom] = pybamm.SymbolicUniform1DSubMesh
        var_pts = dict(model.default_var_pts)
        var_pts.update(x_s=st.mesh[0], x_p=st.mesh[1], r_p=st.mesh[2])
        solver = pybamm.IDAKLUSolver(rtol=st.rtol, atol=st.atol, output_variables=OUTPUT_VARIABLES,
                                     options={"num_threads": st.threads, "compile": st.compile,
                                              "silence_sundials_errors": True})
        return pybamm.Simulation(model, parameter_values=self._parameter_values(s),
                                 submesh_types=submesh, var_pts=var_pts, solver=solver)

    # -- helpers --------------------------------------------------------------------
    def theoretical_capacity(self, L_p, X_AM):
        """(c_max - c_0) X_AM L F: all lithium the particles can still take up, mAh/cm^2."""
        return (self.c_max - self.c_0) * np.asarray(X_AM) * np.asarray(L_p) * FARADAY / 3600.0 \
            * AH_PER_M2_TO_MAH_PER_CM2

    def _frame(self, samples: Mapping) -> pd.DataFrame:
        missing = [k for k in SAMPLE_COLUMNS if k not in samples and k not in OPTIONAL_COLUMNS]
        if missing:
            raise ParameterError(f"half-cell samples miss {', '.join(missing)}; "
                                 f"needed: {', '.join(SAMPLE_COLUMNS)}")
        data = {k: np.asarray(samples.get(k, self.default_radius), dtype=float) for k in SAMPLE_COLUMNS
                if k != "a_s"}
        data["a_s"] = (np.asarray(samples["a_s"], dtype=float) if "a_s" in samples
                       else 3.0 * data["X_AM"] / data["R_p"])  # the spheres' own area: factor 1
        shape = np.broadcast_shapes(*(v.shape for v in data.values()))
        return pd.DataFrame({k: np.broadcast_to(v, shape).reshape(-1) for k, v in data.items()})

    @staticmethod
    def problems(df: pd.DataFrame) -> pd.Series:
        """The first reason each sample cannot be solved ("" when it can)."""
        reasons = pd.Series("", index=df.index, dtype=object)
        rules = [
            ("L_p", 1e6, "um", lambda v: v > 0, "(0, inf)"),
            ("eps", 1, "(unit 1)", lambda v: (v > 0) & (v < 1), "(0, 1)"),
            ("X_AM", 1, "(unit 1)", lambda v: (v > 0) & (v < 1), "(0, 1)"),
            ("R_p", 1e6, "um", lambda v: v > 0, "(0, inf)"),
            ("kappa_s_eff", 1, "S/m", lambda v: v > 0, "(0, inf)"),
            ("tau_e", 1, "(unit 1)", lambda v: v >= 1, "[1, inf)"),
            ("i_app", 0.1, "mA/cm^2", lambda v: v > 0, "(0, inf)"),
            ("a_s", 1, "1/m", lambda v: v > 0, "(0, inf)"),
        ]
        for name, scale, unit, ok, rng in rules:
            v = df[name].to_numpy()
            bad = ~ok(v) & (reasons == "").to_numpy()
            unit_r = "" if unit.startswith("(") else f" {unit}"
            for i in np.flatnonzero(bad):
                reasons.iloc[i] = f"{name} = {v[i] * scale:.6g} {unit} is outside the valid range {rng}{unit_r}"
        over = (df["eps"] + df["X_AM"] > 1).to_numpy() & (reasons == "").to_numpy()
        for i in np.flatnonzero(over):
            reasons.iloc[i] = (f"eps + X_AM = {df['eps'].iloc[i] + df['X_AM'].iloc[i]:.6g} (unit 1) exceeds 1: "
                               "porosity plus solid volume fractions cannot fill more than the coating")
        return reasons

    def _t_end(self, df: pd.DataFrame) -> float:
        """A time (s) no sample can outlast: 3x the longest theoretical discharge."""
        q = self.theoretical_capacity(df["L_p"], df["X_AM"]) / AH_PER_M2_TO_MAH_PER_CM2 * 3600.0
        return float(3.0 * np.max(q / df["i_app"]))

    def _extract(self, sol) -> tuple[float, float, str]:
        if "event" not in sol.termination:
            return np.nan, np.nan, f"stopped by {sol.termination!r} before the {self.settings.v_min} V cut-off"
        q = float(sol["Discharge capacity [A.h]"].entries[-1])
        # energy against the counter electrode: the Li-referenced energy less offset x charge
        e = float(sol["Discharge energy [W.h]"].entries[-1]) - self.settings.voltage_offset * q
        if not q > 0:
            return np.nan, np.nan, f"no capacity before {sol.termination!r}"
        return q, e, ""

    # -- solving --------------------------------------------------------------------
    def solve(self, samples: Mapping, *, chunk_size: int = 256,
              progress: Callable[[int, int], None] | None = None, on_invalid: str = "nan") -> CellResult:
        """Discharge every sample to the cut-off; per-sample results and failures.

        ``on_invalid="raise"`` raises :class:`ParameterError` for the first impossible
        sample, ``"nan"`` records it as a failure without calling the solver.
        Results: ``capacity`` (mAh/cm^2), ``energy`` (mWh/cm^2), ``mean_voltage`` (V),
        ``energy_density`` (Wh/L of coating), ``capacity_theoretical`` (mAh/cm^2).
        ``progress(done, total)`` is called after each chunk of solves.
        """
        if on_invalid not in ("nan", "raise"):
            raise ParameterError(f"on_invalid = {on_invalid!r} must be 'nan' or 'raise'")
        df = self._frame(samples)
        reasons = self.problems(df)
        if on_invalid == "raise" and (reasons != "").any():
            raise ParameterError(f"half-cell sample {int(np.flatnonzero(reasons != '')[0])}: "
                                 f"{reasons[reasons != ''].iloc[0]}")
        q = np.full(len(df), np.nan)
        e = np.full(len(df), np.nan)
        todo = np.flatnonzero((reasons == "").to_numpy())
        chunks = [todo[i:i + chunk_size] for i in range(0, len(todo), chunk_size)]
        done = 0
        for idx in chunks:
            self._solve_chunk(df.iloc[idx], idx, q, e, reasons)
            done += len(idx)
            if progress is not None:
                progress(done, len(todo))
        return self._result(df, q, e, reasons)

    def _solve_chunk(self, part: pd.DataFrame, idx: np.ndarray, q, e, reasons) -> None:
        inputs = part.to_dict("records")
        t_end = self._t_end(part)
        sols = solve_isolated(self.sim, [0.0, t_end], inputs)
        for j, sol in zip(idx, sols, strict=True):
            if isinstance(sol, str):
                reasons.iloc[j] = sol
            else:
                q[j], e[j], reasons.iloc[j] = self._extract(sol)

    def solve_rebuilt(self, samples: Mapping) -> CellResult:
        """The slow, obvious way: build, discretise and solve a fresh model per sample.

        Same physics, mesh and tolerances as :meth:`solve`, with plain numbers instead of
        input parameters and an ordinary uniform mesh. The reference for tests and the
        benchmark.
        """
        df = self._frame(samples)
        reasons = self.problems(df)
        q = np.full(len(df), np.nan)
        e = np.full(len(df), np.nan)
        for j in np.flatnonzero((reasons == "").to_numpy()):
            row = df.iloc[j]
            try:
                sol = self._simulation(row.to_dict(), symbolic=False).solve([0.0, self._t_end(df.iloc[[j]])])
                q[j], e[j], reasons.iloc[j] = self._extract(sol)
            except Exception as exc:  # noqa: BLE001
                reasons.iloc[j] = failure_reason(exc)
        return self._result(df, q, e, reasons)

    def _result(self, df, q, e, reasons) -> CellResult:
        cap = q * AH_PER_M2_TO_MAH_PER_CM2            # A h/m^2 -> mA h/cm^2
        energy = e * AH_PER_M2_TO_MAH_PER_CM2         # W h/m^2 -> mW h/cm^2
        with np.errstate(invalid="ignore", divide="ignore"):
            values = pd.DataFrame({
                "capacity": cap,
                "energy": energy,
                "mean_voltage": energy / cap,
                # mWh/cm^2 / cm = mWh/cm^3 = Wh/L
                "energy_density": energy / (df["L_p"].to_numpy() * 100.0),
                "capacity_theoretical": self.theoretical_capacity(df["L_p"].to_numpy(), df["X_AM"].to_numpy()),
            })
        bad = (reasons != "").to_numpy()
        failures = pd.DataFrame({"index": np.flatnonzero(bad), "reason": reasons[bad].to_list()})
        return CellResult(values, failures, {c: RESULT_UNITS[c] for c in values.columns})

    def discharge_curves(self, samples: Mapping) -> list[pd.DataFrame]:
        """Full discharge curves: time (s), capacity (mAh/cm^2) and voltage (V) per sample
        (:data:`DISCHARGE_UNITS`)."""
        df = self._frame(samples)
        reasons = self.problems(df)
        if (reasons != "").any():
            raise ParameterError(reasons[reasons != ""].iloc[0])
        sols = self.sim.solve([0.0, self._t_end(df)], inputs=df.to_dict("records"))
        sols = sols if isinstance(sols, list) else [sols]
        return [pd.DataFrame({"time_s": s.t,
                              "capacity": s["Discharge capacity [A.h]"].entries * AH_PER_M2_TO_MAH_PER_CM2,
                              "voltage": s["Voltage [V]"].entries - self.settings.voltage_offset}) for s in sols]

    def rate_sweep(self, sample: Mapping, current_densities) -> pd.DataFrame:
        """One structure discharged at several current densities (mA/cm^2).

        Returns the batch results with ``current_density`` and ``c_rate`` (the current over
        the theoretical capacity, 1/h) columns.
        """
        i = np.asarray(current_densities, dtype=float)
        samples = {k: np.broadcast_to(np.asarray(v, dtype=float), i.shape) for k, v in sample.items()}
        samples["i_app"] = i * 10.0  # mA/cm^2 -> A/m^2
        res = self.solve(samples)
        out = res.values.copy()
        out.insert(0, "current_density", i)
        out.insert(1, "c_rate", i / out["capacity_theoretical"])
        return out


@functools.lru_cache(maxsize=8)
def half_cell(settings: CellSettings = CellSettings()) -> HalfCell:
    """The built half-cell for these settings, cached for the life of the process."""
    return build(HalfCell, settings, "half-cell")

