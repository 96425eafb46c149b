"""Scenarios: a TOML file that names the chain, the parameters and their uncertainty.

Everything is checked when the file is loaded, before any model runs: unknown keys and
parameter names (with the closest valid name), units, bounds of every nominal value,
distribution arguments, correlations and production segments.
"""
from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .catalog import Catalog, default_catalog
from .chain import ProcessChain
from .errors import ParameterError, ScenarioError, closest, unknown
from .registry import containers as registry
from .units import affine, convert
from .uncertainty import DISTRIBUTIONS, METHODS, Uncertain, check_correlation, joint_distribution, read_column, sample

SECTIONS = ("scenario", "parameters", "containers", "correlations", "segments", "study", "specs")
SCENARIO_KEYS = ("name", "description", "chain", "cell", "current_density", "components")
PARAM_KEYS = ("value", "unit", "std", "rel_std", "distribution", "low", "high", "data", "column")
STUDY_KEYS = ("samples", "seed", "method")
SEGMENT_KEYS = ("count", "between", "drift")
SPEC_KEYS = ("value", "rel_tol", "abs_tol", "min", "max", "unit")
DEFAULT_COMPONENTS = ("AM", "CA", "PB")


def _check_keys(where: str, table: Mapping, allowed) -> None:
    for key in table:
        if key not in allowed:
            raise ScenarioError(f"{where}: " + unknown("key", key, allowed))


@dataclass
class Segments:
    """Production segments: within-segment spread comes from each parameter's own
    distribution; ``between`` adds one normal offset per segment (cell-to-cell spread);
    ``drift`` adds a linear change per segment (a warming machine)."""

    count: int = 1
    between: dict[str, float] = field(default_factory=dict)  # name -> std (catalog unit)
    drift: dict[str, float] = field(default_factory=dict)    # name -> change per segment


@dataclass
class Scenario:
    """A resolved scenario: every value in catalog units."""

    name: str
    chain_steps: list[str]
    components: tuple[str, ...]
    catalog: Catalog
    fixed: dict[str, float]
    uncertain: dict[str, Uncertain]
    balance: str | None
    container_options: dict[str, dict[str, Any]]
    correlation: np.ndarray | None = None
    segments: Segments = field(default_factory=Segments)
    study: dict[str, Any] = field(default_factory=lambda: {"samples": 1000, "seed": 2022, "method": "mc"})
    cell: str | None = None
    current_density: float = 1.0
    description: str = ""
    source: str = ""
    specs: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (low, high), catalog unit

    # -- loading ------------------------------------------------------------------
    @classmethod
    def load(cls, name_or_path: str | Path) -> Scenario:
        """Load a built-in scenario by name, or a TOML file by path."""
        path = Path(name_or_path)
        if path.suffix == ".toml" or path.exists():
            if not path.exists():
                raise ScenarioError(f"scenario file {str(path)!r} does not exist")
            return cls.from_dict(tomllib.loads(path.read_text()), source=str(path), base=path.parent)
        builtin = builtin_scenarios()
        if str(name_or_path) not in builtin:
            raise ScenarioError(unknown("scenario", str(name_or_path), builtin))
        text = resources.files("celltwin").joinpath("scenarios", f"{name_or_path}.toml").read_text()
        return cls.from_dict(tomllib.loads(text), source=f"builtin:{name_or_path}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "", base: Path | None = None) -> Scenario:
        data = copy.deepcopy(dict(data))
        _check_keys("scenario file", data, SECTIONS)
        head = data.get("scenario", {})
        _check_keys("[scenario]", head, SCENARIO_KEYS)
        steps = list(head.get("chain", ["mixing", "dispersion", "coating", "drying", "calendering"]))
        for s in steps:
            registry.get(s)  # raises with the closest name
        cell = head.get("cell")
        if cell is not None:
            registry.get(cell)
        components = tuple(head.get("components", DEFAULT_COMPONENTS))
        catalog = default_catalog(components)
        current = float(head.get("current_density", 1.0))
        if not current > 0:
            raise ScenarioError(f"current_density = {current} mA/cm^2 must be positive (valid range (0, inf))")

        fixed: dict[str, float] = {}
        uncertain: dict[str, Uncertain] = {}
        balance = None
        for pname, spec in data.get("parameters", {}).items():
            if pname not in catalog:
                raise ScenarioError(f"[parameters]: unknown parameter {pname!r}{closest(pname, catalog)}")
            entry = catalog[pname]
            if spec == "balance":
                if not pname.startswith("w_") or balance is not None:
                    raise ScenarioError(f"[parameters]: {pname} = \"balance\" is only allowed for exactly one "
                                        "mass fraction w_<component>")
                balance = pname
            elif isinstance(spec, (int, float)) and not isinstance(spec, bool):
                fixed[pname] = float(spec)
            elif isinstance(spec, Mapping):
                value, unc = _parse_param(pname, spec, entry.unit, base)
                if unc is None:
                    fixed[pname] = value
                else:
                    uncertain[pname] = unc
            else:
                raise ScenarioError(f"[parameters]: {pname} = {spec!r} must be a number, \"balance\" or a table "
                                    f"with keys {', '.join(PARAM_KEYS)}")
        nominal = {**fixed, **{k: u.value for k, u in uncertain.items()}}
        for pname, v in nominal.items():
            catalog[pname].validate(v)

        options = {k: dict(v) for k, v in data.get("containers", {}).items()}
        for cname in options:
            if cname not in steps and cname != cell:
                raise ScenarioError(f"[containers]: {cname!r} is not in this scenario's chain"
                                    f"{closest(cname, steps + ([cell] if cell else []))}")

        correlation = None
        pairs = {}
        for a, row in data.get("correlations", {}).items():
            for b, rho in row.items():
                for n in (a, b):
                    if n not in uncertain:
                        raise ScenarioError(f"[correlations]: {n!r} is not an uncertain parameter"
                                            f"{closest(n, uncertain)}")
                pairs[(a, b)] = float(rho)
        if pairs:
            correlation = check_correlation(list(uncertain), pairs)

        seg = data.get("segments", {})
        _check_keys("[segments]", seg, SEGMENT_KEYS)
        segments = Segments(count=int(seg.get("count", 1)))
        if segments.count < 1:
            raise ScenarioError(f"[segments] count = {segments.count} must be at least 1")
        for pname, spec in seg.get("between", {}).items():
            segments.between[pname] = _spread(f"[segments.between] {pname}", pname, spec, catalog, nominal, "std")
        for pname, spec in seg.get("drift", {}).items():
            segments.drift[pname] = _spread(f"[segments.drift] {pname}", pname, spec, catalog, nominal,
                                            "per_segment")

        study = {"samples": 1000, "seed": 2022, "method": "mc", **data.get("study", {})}
        _check_keys("[study]", study, STUDY_KEYS)
        if study["method"] not in METHODS:
            raise ScenarioError(f"[study] method = {study['method']!r} is not one of {', '.join(METHODS)}")
        if int(study["samples"]) < 1:
            raise ScenarioError(f"[study] samples = {study['samples']} must be at least 1")

        sc = cls(name=head.get("name", Path(source).stem if source else "scenario"), chain_steps=steps,
                 components=components, catalog=catalog, fixed=fixed, uncertain=uncertain, balance=balance,
                 container_options=options, correlation=correlation, segments=segments, study=study,
                 cell=cell, current_density=current, description=head.get("description", ""), source=source,
                 specs={k: spec_window(k, v, catalog) for k, v in data.get("specs", {}).items()})
        sc.build_chain()  # every structural problem is reported at load time
        return sc

    # -- what the scenario gives --------------------------------------------------
    def close_balance(self, values: dict[str, Any]) -> dict[str, Any]:
        """Set the "balance" mass fraction to 1 - the others, in place (floats or arrays)."""
        if self.balance:
            others = [f"w_{c}" for c in self.components if f"w_{c}" != self.balance]
            values[self.balance] = 1.0 - sum(values[w] for w in others)
        return values

    def nominal(self) -> dict[str, float]:
        """Nominal value of every scenario input (catalog units), the balance closed."""
        return self.close_balance({**self.fixed, **{k: u.value for k, u in self.uncertain.items()}})

    @property
    def given(self) -> set[str]:
        return set(self.fixed) | set(self.uncertain) | ({self.balance} if self.balance else set())

    def containers(self, with_cell: bool = True) -> list:
        names = self.chain_steps + ([self.cell] if with_cell and self.cell else [])
        out = []
        for n in names:
            opts = dict(self.container_options.get(n, {}))
            if n == self.cell:
                opts.setdefault("current_density", self.current_density)
            out.append(registry.get(n)(self.components, **opts))
        return out

    def build_chain(self, with_cell: bool = True) -> ProcessChain:
        """The validated chain of this scenario (with its cell model unless told not to)."""
        return ProcessChain(self.containers(with_cell), self.given, self.catalog)

    def distribution(self):
        """OpenTURNS joint distribution of the uncertain parameters (description = names)."""
        return joint_distribution(list(self.uncertain.values()), self.correlation)

    def sample(self, n: int | None = None, seed: int | None = None, method: str | None = None):
        """Seeded sample of every input as a DataFrame (one row per sample, column ``segment``)."""
        import pandas as pd

        n = int(n if n is not None else self.study["samples"])
        seed = int(seed if seed is not None else self.study["seed"])
        method = method or self.study["method"]
        if n < 1:
            raise ParameterError(f"samples = {n} must be at least 1")
        draws = sample(list(self.uncertain.values()), n, seed, method, self.correlation)
        values = {k: np.full(n, v) for k, v in self.fixed.items()}
        values.update(draws)
        segment = np.arange(n) * self.segments.count // n
        if self.segments.between:
            rng = np.random.default_rng([seed, 1])
            for pname, std in self.segments.between.items():
                values[pname] = values[pname] + rng.normal(0.0, std, self.segments.count)[segment]
        for pname, per in self.segments.drift.items():
            values[pname] = values[pname] + per * segment
        frame = pd.DataFrame(self.close_balance(values))
        frame.insert(0, "segment", segment)
        return frame

    def to_dict(self) -> dict[str, Any]:
        """The scenario as resolved: defaults filled in, values in catalog units."""
        params: dict[str, Any] = dict(self.fixed)
        for k, u in self.uncertain.items():
            spec = {"value": u.value, "distribution": u.distribution}
            spec.update({key: getattr(u, key) for key in ("std", "low", "high") if getattr(u, key) is not None})
            if u.data is not None:
                spec["data"] = list(u.data)
            params[k] = spec
        if self.balance:
            params[self.balance] = "balance"
        head = {"name": self.name, "chain": self.chain_steps, "components": list(self.components),
                "current_density": self.current_density}
        if self.cell:
            head["cell"] = self.cell
        if self.description:
            head["description"] = self.description
        out = {"scenario": head, "parameters": params, "study": dict(self.study)}
        if self.container_options:
            out["containers"] = self.container_options
        if self.correlation is not None:
            names = list(self.uncertain)
            out["correlations"] = {a: {b: float(self.correlation[i, j]) for j, b in enumerate(names)
                                       if j > i and self.correlation[i, j] != 0}
                                   for i, a in enumerate(names)}
            out["correlations"] = {k: v for k, v in out["correlations"].items() if v}
        if self.specs:
            out["specs"] = {k: {key: v for key, v in (("min", lo), ("max", hi)) if math.isfinite(v)}
                            for k, (lo, hi) in self.specs.items()}
        if self.segments.count > 1 or self.segments.between or self.segments.drift:
            out["segments"] = {"count": self.segments.count,
                               "between": {k: {"std": v} for k, v in self.segments.between.items()},
                               "drift": {k: {"per_segment": v} for k, v in self.segments.drift.items()}}
        return out

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(self.to_dict())

    def with_values(self, **values: float) -> Scenario:
        """A copy with some nominal values replaced (uncertainty kept, std unchanged)."""
        new = copy.deepcopy(self)
        for k, v in values.items():
            if k not in self.catalog:
                raise ParameterError(f"unknown parameter {k!r}{closest(k, self.catalog)}")
            self.catalog[k].validate(v)
            if k in new.uncertain:
                u = new.uncertain[k]
                new.uncertain[k] = Uncertain(**{**u.__dict__, "value": float(v)})
            else:
                new.fixed[k] = float(v)
                if k == new.balance:
                    new.balance = None
        new.build_chain()
        return new


def _parse_param(pname: str, spec: Mapping, cat_unit: str, base: Path | None):
    """A [parameters] table -> (nominal, Uncertain or None), in catalog units."""
    _check_keys(f"[parameters] {pname}", spec, PARAM_KEYS)
    unit = spec.get("unit", cat_unit)
    where = f"[parameters] {pname}"
    scale, _ = affine(unit, cat_unit)

    def conv(x):
        return float(convert(float(x), unit, cat_unit))

    dist = spec.get("distribution")
    if dist is None:
        dist = "normal" if ("std" in spec or "rel_std" in spec) else None
    if dist is not None and dist not in DISTRIBUTIONS:
        raise ScenarioError(f"{where}: " + unknown("distribution", dist, DISTRIBUTIONS))
    if dist == "kde":
        data_path = Path(spec.get("data", ""))
        if base is not None and not data_path.is_absolute():
            data_path = base / data_path
        data = tuple(conv(x) for x in read_column(data_path, spec.get("column", pname)))
        return float(np.mean(data)), Uncertain(pname, "kde", float(np.mean(data)), data=data)
    if dist == "uniform":
        if "low" not in spec or "high" not in spec:
            raise ScenarioError(f"{where}: a uniform distribution needs 'low' and 'high'")
        low, high = conv(spec["low"]), conv(spec["high"])
        if not low < high:
            raise ScenarioError(f"{where}: low = {spec['low']} must be below high = {spec['high']} {unit}")
        value = conv(spec["value"]) if "value" in spec else 0.5 * (low + high)
        return value, Uncertain(pname, "uniform", value, low=low, high=high)
    if "value" not in spec:
        raise ScenarioError(f"{where}: needs 'value'")
    value = conv(spec["value"])
    if dist is None:
        return value, None
    if "std" in spec and "rel_std" in spec:
        raise ScenarioError(f"{where}: give either 'std' or 'rel_std', not both")
    if "std" in spec:
        std = float(spec["std"]) * abs(scale)
    elif "rel_std" in spec:
        std = float(spec["rel_std"]) * abs(value)
    else:
        raise ScenarioError(f"{where}: a {dist} distribution needs 'std' or 'rel_std'")
    if not (std > 0 and math.isfinite(std)):
        raise ScenarioError(f"{where}: standard deviation {std:g} {cat_unit} must be positive (valid range (0, inf))")
    if dist == "lognormal" and value <= 0:
        raise ScenarioError(f"{where}: a lognormal needs a positive value, got {value:g} {cat_unit}")
    if dist == "truncated-normal":
        low = conv(spec["low"]) if "low" in spec else -math.inf
        high = conv(spec["high"]) if "high" in spec else math.inf
        if not low < value < high:
            raise ScenarioError(f"{where}: value {value:g} must lie between low {low:g} and high {high:g} {cat_unit}")
        low = low if math.isfinite(low) else value - 40 * std
        high = high if math.isfinite(high) else value + 40 * std
        return value, Uncertain(pname, dist, value, std=std, low=low, high=high)
    return value, Uncertain(pname, dist, value, std=std)


def spec_window(name: str, table: Mapping, catalog: Catalog) -> tuple[float, float]:
    """A specification window ``{value, rel_tol | abs_tol}`` or ``{min, max}`` -> (low, high) in
    the catalog unit; an open side is infinite. Used by ``[specs]`` and by the yield analysis."""
    where = f"[specs] {name}"
    if name not in catalog:
        raise ScenarioError(f"{where}: unknown parameter {name!r}{closest(name, catalog)}")
    if not isinstance(table, Mapping):
        raise ScenarioError(f"{where}: give a table such as {{ value = 14.3, rel_tol = 0.02 }} or {{ min = 2.3 }}")
    _check_keys(where, table, SPEC_KEYS)
    unit = table.get("unit", catalog[name].unit)
    scale, _ = affine(unit, catalog[name].unit)
    has_value, has_window = "value" in table, "min" in table or "max" in table
    if has_value == has_window:
        raise ScenarioError(f"{where}: give either 'value' with 'rel_tol' or 'abs_tol', or 'min' and/or 'max'")
    if has_value:
        if ("rel_tol" in table) == ("abs_tol" in table):
            raise ScenarioError(f"{where}: 'value' needs exactly one of 'rel_tol' or 'abs_tol'")
        value = float(convert(float(table["value"]), unit, catalog[name].unit))
        tol = (float(table["rel_tol"]) * abs(value) if "rel_tol" in table
               else float(table["abs_tol"]) * abs(scale))
        if not (tol > 0 and math.isfinite(tol)):
            raise ScenarioError(f"{where}: the tolerance must be positive (valid range (0, inf)), got {tol:g}")
        return value - tol, value + tol
    low = float(convert(float(table["min"]), unit, catalog[name].unit)) if "min" in table else -math.inf
    high = float(convert(float(table["max"]), unit, catalog[name].unit)) if "max" in table else math.inf
    if not low < high:
        raise ScenarioError(f"{where}: min = {low:g} must be below max = {high:g} {catalog[name].unit}")
    return low, high


def _spread(where: str, pname: str, spec, catalog: Catalog, nominal: Mapping[str, float], abs_key: str) -> float:
    if pname not in catalog:
        raise ScenarioError(f"{where}: unknown parameter {pname!r}{closest(pname, catalog)}")
    if pname not in nominal:
        raise ScenarioError(f"{where}: {pname!r} has no value in [parameters]")
    rel_key = "rel_std" if abs_key == "std" else "rel_per_segment"
    if not isinstance(spec, Mapping) or len(spec) != 1 or next(iter(spec)) not in (abs_key, rel_key):
        raise ScenarioError(f"{where}: give a table with exactly one of '{abs_key}' or '{rel_key}'")
    key, val = next(iter(spec.items()))
    return float(val) * (abs(nominal[pname]) if key == rel_key else 1.0)


def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped in ``celltwin/scenarios``."""
    folder = resources.files("celltwin").joinpath("scenarios")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))
