"""The what-if workbench without the web page: a scenario, the engineer's edits and every answer
the page shows (nominal chain, sampled KPIs, yield, drivers, inverse targets, TOML export).

Edits arrive from a browser, so every one is untrusted: :meth:`Workbench.edit` parses each
entry on its own, refuses it with the catalog's message (through
:meth:`~celltwin.platform.scenario.Scenario.varied`, the one way a scenario changes) and
keeps the others, so one bad field never blanks the page. Sample sizes are capped.

An update runs the chain on the whole sample through its numpy arrays and the cell stage
through the PCE of :mod:`celltwin.app.surrogate`; the nominal point always runs the exact
chain and P2D cell, so the nominal numbers equal ``celltwin chain --set``.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from ..analysis.design.inverse import InverseResult, inverse
from ..analysis.design.targets import with_targets
from ..analysis.uq.sensitivity import SensitivityResult, ancova
from ..analysis.uq.specs import YieldResult, as_specs, yield_of
from ..containers.scenario import ElectrodeScenario
from ..platform.errors import CelltwinError, ParameterError
from ..platform.scenario import STD_DISTRIBUTIONS
from .surrogate import CellSurrogate, cell_surrogate

#: samples of one what-if update, and the most a browser may ask for
WHATIF_SAMPLES = 10_000
MAX_SAMPLES = 50_000
#: samples of the drivers' ANCOVA (the study's process -> structure stage uses 1,000 too)
DRIVER_SAMPLES = 1000
#: share of samples outside the cell surrogate's training box above which it is refitted about the edits
REFIT_SHARE = 0.01
#: structural KPIs shown besides the scenario's specified outputs and the cell's performance
KPIS = ("m_dry", "h_cal", "eps_cal", "rho_cal")
#: how the page shows a setting's value and spread; an entry equal to what is shown is no edit
VALUE_FORMAT, SPREAD_FORMAT = ".6g", ".4g"
PERFORMANCE = ("capacity", "energy_density")


@dataclass(frozen=True)
class Setting:
    """One editable row: a scenario input with its unit, valid range and spread."""

    name: str
    unit: str
    valid: str
    domain: str
    description: str
    value: float
    distribution: str          # "fixed", "balance" or the distribution kind
    spread: float | None       # std (catalog unit) or scale (1), per ``spread_kind``
    spread_kind: str           # "std" or "scale"; "" for the balance parameter

    @property
    def editable(self) -> bool:
        return self.distribution != "balance"


@dataclass
class Edits:
    """Parsed browser edits: new nominal values, std or scale changes, parameters to fix, and the
    message of each refused entry (by ``("value" | "spread", name)``)."""

    values: dict[str, float] = field(default_factory=dict)
    stds: dict[str, float] = field(default_factory=dict)
    scales: dict[str, float] = field(default_factory=dict)
    fix: list[str] = field(default_factory=list)
    errors: dict[tuple[str, str], str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"values": self.values, "stds": self.stds, "scales": self.scales, "fix": self.fix}


@dataclass
class WhatIf:
    """One update: the nominal point, the sampled KPIs, the yield and how they were computed."""

    scenario: ElectrodeScenario
    nominal: dict[str, float]
    samples: pd.DataFrame                 # KPI columns and ``valid``
    units: dict[str, str]
    yield_: YieldResult | None
    method: str
    surrogate: CellSurrogate | None
    outside: float                        # share of valid samples outside the surrogate's training box
    refitted: bool
    seconds: float

    def yield_summary(self) -> dict[str, Any] | None:
        if self.yield_ is None:
            return None
        return {**self.yield_.summary(), "method": self.method}


def parse_number(name: str, raw: Any, unit: str, valid: str) -> float:
    """A browser's entry as a finite float, or a :class:`ParameterError` that names the parameter."""
    if isinstance(raw, bool) or raw is None:
        raise ParameterError(f"{name} = {raw!r} is not a number (unit {unit}, valid range {valid})", parameter=name,
                             value=raw, unit=unit, valid=valid)
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str) and len(raw) <= 64:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ParameterError(f"{name} = {raw!r} is not a number (unit {unit}, valid range {valid})",
                                 parameter=name, value=raw, unit=unit, valid=valid) from None
    else:
        raise ParameterError(f"{name}: the entry is not a number (unit {unit}, valid range {valid})", parameter=name,
                             unit=unit, valid=valid)
    if not math.isfinite(value):
        raise ParameterError(f"{name} = {value!r} must be a finite number (unit {unit}, valid range {valid})",
                             parameter=name, value=value, unit=unit, valid=valid)
    return value


def capped(name: str, raw: Any, default: int, cap: int, low: int = 1) -> int:
    """A browser's sample size or seed as an int in ``[low, cap]``."""
    if raw is None or raw == "":
        return default
    value = parse_number(name, raw, "1", f"[{low}, {cap}]")
    if value != int(value) or not low <= value <= cap:
        raise ParameterError(f"{name} = {raw!r} must be a whole number in [{low}, {cap}]", parameter=name, value=raw,
                             valid=f"[{low}, {cap}]")
    return int(value)


class Workbench:
    """One loaded scenario (its ``[targets]`` solved first, as ``celltwin chain`` does) and its chains."""

    def __init__(self, scenario: ElectrodeScenario | str, *, samples: int = WHATIF_SAMPLES, seed: int | None = None):
        self.raw = cast(ElectrodeScenario, ElectrodeScenario.resolve(scenario))
        self.base = with_targets(self.raw)
        self.samples = capped("samples", samples, WHATIF_SAMPLES, MAX_SAMPLES)
        self.seed = int(seed if seed is not None else self.base.study["seed"])
        self.chain = self.base.build_chain()  # options do not change with the edits: built once
        self.process = self.base.build_chain(with_cell=False)
        self._surrogate: CellSurrogate | None = None
        #: held around every computation: the chains (and the P2D solver in them) serve one request at a time
        self.lock = threading.RLock()

    # -- the settings table -----------------------------------------------------------------
    def settings(self) -> list[Setting]:
        """Every input of the scenario, in the order of the file's sections (given values first)."""
        nominal = self.base.nominal()
        rows = []
        for name in [*self.base.uncertain, *self.base.fixed, *([self.base.balance] if self.base.balance else [])]:
            entry = self.base.catalog[name]
            u = self.base.uncertain.get(name)
            if name == self.base.balance:
                dist, spread, kind = "balance", None, ""
            elif u is None:
                dist, spread, kind = "fixed", None, "std"
            elif u.distribution in STD_DISTRIBUTIONS:
                dist, spread, kind = u.distribution, u.std, "std"
            else:
                dist, spread, kind = u.distribution, 1.0, "scale"
            rows.append(Setting(name, entry.unit, entry.range_text, entry.domain, entry.description,
                                float(nominal[name]), dist, spread, kind))
        return rows

    def edit(self, values: Mapping[str, Any] | None = None, spreads: Mapping[str, Any] | None = None) -> Edits:
        """Parse and check the browser's entries one by one; an entry equal to the scenario's is no edit,
        an empty one means "as in the scenario", a spread of 0 fixes the parameter."""
        rows = {s.name: s for s in self.settings()}
        out = Edits()
        for kind, table in (("value", values or {}), ("spread", spreads or {})):
            if not isinstance(table, Mapping):
                raise ParameterError(f"the {kind} edits must be a table of NAME: VALUE", parameter=kind)
            for name, raw in table.items():
                if not isinstance(name, str) or name not in rows or not rows[name].editable:
                    settable = ", ".join(n for n, s in rows.items() if s.editable)
                    raise ParameterError(f"{str(name)[:64]!r} is not a setting of scenario {self.base.name!r}; "
                                         f"settings: {settable}", parameter=str(name)[:64])
                if raw is None or (isinstance(raw, str) and not raw.strip()):
                    continue
                row = rows[name]
                try:
                    self._one(out, kind, row, raw)
                except CelltwinError as exc:
                    out.errors[(kind, name)] = str(exc)
        return out

    def _one(self, out: Edits, kind: str, row: Setting, raw: Any) -> None:
        if kind == "value":
            v = parse_number(row.name, raw, row.unit, row.valid)
            if v not in (row.value, float(format(row.value, VALUE_FORMAT))):
                self.base.varied({row.name: v})  # the catalog's check and message
                out.values[row.name] = v
            return
        unit = row.unit if row.spread_kind == "std" else "1"
        v = parse_number(f"{row.spread_kind} of {row.name}", raw, unit, "[0, inf)")
        shown = 0.0 if row.spread is None else row.spread
        if v in (shown, float(format(shown, SPREAD_FORMAT))):
            return
        if v == 0:
            out.fix.append(row.name)
        elif row.spread_kind == "std":
            self.base.varied(stds={row.name: v})
            out.stds[row.name] = v
        else:
            self.base.varied(scales={row.name: v})
            out.scales[row.name] = v

    def scenario(self, edits: Edits | None = None) -> ElectrodeScenario:
        """The scenario with the accepted edits; a scenario with ``[targets]`` has them solved again after
        the edits, as ``celltwin chain --set`` does."""
        if edits is None:
            return self.base
        if self.raw.targets:
            return with_targets(cast(ElectrodeScenario, self.raw.varied(edits.values, stds=edits.stds,
                                                                        scales=edits.scales, fix=edits.fix)))
        # varied keeps the class (dataclasses.replace)
        return cast(ElectrodeScenario, self.base.varied(edits.values, stds=edits.stds, scales=edits.scales,
                                                        fix=edits.fix))

    # -- answers ------------------------------------------------------------------------------
    def nominal(self, sc: ElectrodeScenario) -> dict[str, float]:
        """Every parameter at the nominal point: the exact chain and cell model."""
        return {k: float(v) for k, v in self.chain.evaluate(sc.nominal()).items()}

    def kpis(self, sc: ElectrodeScenario) -> list[str]:
        """The outputs the page shows: specified ones first, then the structure, then the performance."""
        names = [*sc.specs, *KPIS, *(PERFORMANCE if sc.cell else ())]
        return [n for n in dict.fromkeys(names) if n in self.chain.outputs]

    def surrogate(self, sc: ElectrodeScenario, structure: Mapping[str, np.ndarray] | None = None
                  ) -> tuple[CellSurrogate | None, bool]:
        """The cell surrogate for ``sc`` and whether it was (re)fitted now: the one in use, unless more than
        :data:`REFIT_SHARE` of ``structure`` leaves its training box (then one about ``sc``, cached)."""
        if not sc.cell:
            return None, False
        if self._surrogate is None:
            self._surrogate = cell_surrogate(sc)
            return self._surrogate, True
        if structure is not None:
            valid = np.asarray(structure["valid"], dtype=bool)
            if valid.any() and self._surrogate.outside(structure)[valid].mean() > REFIT_SHARE:
                self._surrogate = cell_surrogate(sc)
                return self._surrogate, True
        return self._surrogate, False

    def whatif(self, sc: ElectrodeScenario, *, samples: int | None = None, seed: int | None = None,
               exact_nominal: bool = True) -> WhatIf:
        """Nominal point, sampled KPIs and yield of ``sc`` (chain arrays + cell surrogate). The nominal
        point runs the exact chain and P2D cell, or with ``exact_nominal=False`` the exact chain and
        the surrogate (about 40 ms less: one P2D discharge)."""
        t0 = time.perf_counter()
        n = self.samples if samples is None else capped("samples", samples, self.samples, MAX_SAMPLES)
        seed = self.seed if seed is None else int(seed)
        if exact_nominal:
            point = self.nominal(sc)
        else:
            point = {k: float(v) for k, v in self.process.evaluate(sc.nominal()).items()}
            s, _ = self.surrogate(sc)
            if s is not None:
                point.update({k: float(v[0]) for k, v in s.predict({k: np.array([v]) for k, v in point.items()}
                                                                  ).items()})
        x = sc.sample(n, seed).drop(columns="segment")
        res = self.process.evaluate({k: x[k].to_numpy() for k in x.columns}, on_invalid="mask")
        values: dict[str, np.ndarray] = {k: np.asarray(v, dtype=float) for k, v in res.items()}
        values["valid"] = np.asarray(res.valid, dtype=bool)
        surrogate, refitted = self.surrogate(sc, values)
        outside = 0.0
        if surrogate is not None:
            values.update(surrogate.predict(values))
            if values["valid"].any():
                outside = float(surrogate.outside(values)[values["valid"]].mean())
        kpis = self.kpis(sc)
        frame = pd.DataFrame({k: np.broadcast_to(values[k], (n,)) for k in kpis})
        frame["valid"] = values["valid"]
        specs = as_specs(dict(sc.specs), sc.catalog)
        result = yield_of(values, specs, valid=values["valid"], catalog=sc.catalog) if specs else None
        method = self._method(sc, n, seed, specs, surrogate, outside)
        units = {k: sc.catalog[k].unit for k in kpis}
        return WhatIf(sc, point, frame, units, result, method, surrogate, outside, refitted,
                      time.perf_counter() - t0)

    def _method(self, sc, n, seed, specs, surrogate, outside) -> str:
        text = f"Monte Carlo, {n} samples (seed {seed}) through the process chain (exact, numpy arrays)"
        used = [s.name for s in specs if s.name in PERFORMANCE] if specs else list(PERFORMANCE)
        if surrogate is not None and used:
            q2 = ", ".join(f"{k} {v:.4f}" for k, v in surrogate.q2.items())
            text += (f"; {', '.join(used)} from the cell surrogate (PCE of {surrogate.n_train} P2D runs, "
                     f"leave-one-out Q² {q2}")
            text += f"; {100 * outside:.2g} % of the samples extrapolate it)" if outside else ")"
        return text + "; Wilson 95 % interval"

    def drivers(self, sc: ElectrodeScenario, *, samples: int = DRIVER_SAMPLES) -> SensitivityResult | None:
        """ANCOVA indices of the KPIs against the uncertain inputs (seed 004, eqs. 4-7) through the
        nested chain and the cell surrogate; ``None`` when no input is uncertain."""
        if not sc.uncertain:
            return None
        kpis = self.kpis(sc)
        surrogate, _ = self.surrogate(sc)
        run = self.process.function(list(sc.uncertain), fixed=sc.nominal(), complete=sc.close_balance)

        def f(X: np.ndarray) -> np.ndarray:
            res = run.evaluate(X)
            values = {k: np.asarray(v, dtype=float) for k, v in res.items()}
            if surrogate is not None:
                values.update(surrogate.predict(values))
            return np.column_stack([np.broadcast_to(values[k], (len(X),)) for k in kpis])

        import warnings

        from ..analysis.uq.sensitivity import SurrogateWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SurrogateWarning)  # the page shows each PCE's Q² itself
            return ancova(f, sc.distribution(), n=samples, seed=self.seed, output_names=kpis, max_degree=3)

    def inverse(self, sc: ElectrodeScenario, targets: Mapping[str, Any], free: list[str]) -> InverseResult:
        """Settings of ``free`` that hit ``targets`` (browser entries, checked here) from ``sc``'s nominal."""
        if not isinstance(free, list) or not free or not all(isinstance(f, str) for f in free):
            raise ParameterError("choose at least one free setting", parameter="free")
        rows = {s.name: s for s in self.settings()}
        for f in free:
            if f not in rows or not rows[f].editable:
                raise ParameterError(f"free: {f[:64]!r} is not a setting of this scenario", parameter="free")
        checked = {}
        for name, raw in targets.items():
            if not isinstance(name, str) or name not in self.chain.outputs:
                raise ParameterError(f"target: {str(name)[:64]!r} is not an output of this scenario's chain",
                                     parameter="targets")
            entry = sc.catalog[name]
            checked[name] = parse_number(name, raw, entry.unit, entry.range_text)
        return inverse(sc, checked, free, raise_unreachable=False)

    def to_toml(self, sc: ElectrodeScenario) -> str:
        """The edited scenario as a TOML file (as resolved, catalog units)."""
        return sc.to_toml()
