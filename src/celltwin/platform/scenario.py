"""Scenarios: a TOML file that names the chain, the parameters and their uncertainty.

Everything is checked when the file is loaded, before any model runs: unknown keys and
parameter names (with the closest valid name), units, bounds of every nominal value,
distribution arguments, correlations and production segments.

This module knows no domain. A domain (the electrode line in :mod:`celltwin.containers`)
subclasses :class:`Scenario` and sets its conventions as class attributes: the default
components and chain, the group of parameters a ``"balance"`` entry closes to 1, and the
``[scenario]`` settings that are handed to the cell container as options.

Varying a scenario
------------------
:meth:`Scenario.varied` is the one way to change a scenario's nominal values and spreads;
every analysis that moves settings (``--set``, inverse, product, robust, tolerances,
calibration) goes through it. A parameter with nominal ``v0`` moved to ``v`` (shift
``d = v - v0``) with its spread scaled by ``k`` becomes:

==================  ==========================================================
fixed               the value ``v``
normal              mean ``v``, standard deviation ``k * std``
lognormal           mean ``v``, standard deviation ``k * std`` (``v > 0``)
uniform             ``[v + k (low - v0), v + k (high - v0)]``: the interval moves
                    with the nominal and stretches about it
truncated-normal    mean ``v``, std ``k * std``, each bound ``v + k (b - v0)``
kde                 every datum ``x`` becomes ``v + k (x - v0)``
==================  ==========================================================

So a distribution keeps its shape and its position relative to the nominal. A new
standard deviation (``stds``) sets ``std`` directly; for a fixed parameter it makes the
parameter normal. A value given for the balance parameter fixes it (it no longer closes
the balance). ``fix`` drops a parameter's distribution and keeps its (new) nominal.

Several lines in one scenario
-----------------------------
A ``[lines.NAME]`` table holds one line: its ``chain``, ``components``, ``parameters``,
``containers`` and the domain's line sections (:attr:`Scenario.line_sections`). Each line
is loaded as a scenario of its own and its parameters become ``NAME.parameter`` in the
whole scenario; its containers are wrapped (:class:`~celltwin.platform.chain.LineContainer`)
so that two lines of the same steps never share a parameter. ``[scenario] chain`` then
names the steps after the lines, whose inputs are line-qualified names, and the scenario's
own ``[parameters]``, ``[correlations]``, ``[segments]`` and ``[specs]`` may name any
parameter of any line. An unqualified name means the one line that has it; a name two
lines have is refused naming both (:meth:`Catalog.qualify`).
"""
from __future__ import annotations

import copy
import dataclasses
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from . import schema
from .catalog import Catalog, default_catalog, qualified
from .chain import LineContainer, ProcessChain
from .errors import ParameterError, ScenarioError, UnitError, closest, unknown
from .registry import containers as registry
from .uncertainty import DISTRIBUTIONS, METHODS, Uncertain, check_correlation, joint_distribution, read_column, sample
from .units import affine, convert, unit_suffix

SECTIONS = ("scenario", "parameters", "containers", "correlations", "segments", "study", "specs", "lines")
#: keys of a ``[lines.NAME]`` table (besides the domain's :attr:`Scenario.line_sections`)
LINE_KEYS = ("chain", "components", "description", "parameters", "containers")
SCENARIO_KEYS = ("name", "description", "chain", "cell", "components")
PARAM_KEYS = ("value", "unit", "std", "rel_std", "distribution", "low", "high", "data", "column")


@dataclass(frozen=True)
class CellSetting:
    """A ``[scenario]`` key that is handed to the cell container as an option of the same name."""

    default: float
    unit: str
    low: float = 0.0
    description: str = ""

    def check(self, key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                or not value > self.low:
            raise ScenarioError(f"[scenario] {key} = {value!r} {self.unit} must be a number in ({self.low:g}, inf) "
                                f"{self.unit}", parameter=key, value=value, unit=self.unit,
                                valid=f"({self.low:g}, inf)")
        return float(value)


def check_keys(where: str, table: Mapping, allowed) -> None:
    """Refuse a key of ``table`` that is not ``allowed``, naming the closest valid one."""
    for key in table:
        if key not in allowed:
            raise ScenarioError(f"{where}: " + unknown("key", key, allowed), parameter=key)


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
    """A resolved scenario: every value in catalog units.

    Subclasses set the domain's conventions (see the module docstring).
    """

    #: formulation components when ``[scenario] components`` is not given
    default_components: ClassVar[tuple[str, ...]] = ()
    #: container names when ``[scenario] chain`` is not given
    default_chain: ClassVar[tuple[str, ...]] = ()
    #: ``[scenario]`` keys handed to the cell container as options
    cell_settings: ClassVar[dict[str, CellSetting]] = {}
    #: further sections a domain reads (translated by :meth:`expand`, kept in ``extras``)
    extra_sections: ClassVar[tuple[str, ...]] = ()
    #: of those, the ones a ``[lines.NAME]`` table may hold
    line_sections: ClassVar[tuple[str, ...]] = ()

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
    cell_options: dict[str, float] = field(default_factory=dict)
    description: str = ""
    source: str = ""
    specs: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (low, high), catalog unit
    extras: dict[str, Any] = field(default_factory=dict)  # the domain's own sections, as given
    #: the lines of a scenario with several (their steps, components and container options;
    #: their values live in this scenario, qualified ``line.name``)
    lines: dict[str, Scenario] = field(default_factory=dict)
    #: each line's balance parameter (qualified) -> the rest of its group (qualified)
    line_balances: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def balance_group(cls, components: Sequence[str]) -> list[str]:
        """The parameters that sum to 1 and one of which may be given as ``"balance"`` (none here)."""
        return []

    @classmethod
    def expand(cls, data: dict[str, Any], base: Path | None) -> dict[str, Any]:
        """The file's data with the domain's own sections (:attr:`extra_sections`) translated
        into the generic ones, e.g. named materials into parameter values; nothing here."""
        return data

    @classmethod
    def load_line(cls, name: str, table: Mapping[str, Any], base: Path | None) -> Scenario:
        """The ``[lines.NAME]`` table loaded as a scenario of its own (its names unqualified)."""
        where = f"[lines.{name}]"
        if not isinstance(table, Mapping):
            raise ScenarioError(f"{where} must be a table, got {table!r}", path=where)
        if not name.isidentifier():
            raise ScenarioError(f"{where}: a line's name must be an identifier (letters, digits, _)", parameter=name)
        check_keys(where, table, LINE_KEYS + cls.line_sections)
        raw = {"scenario": {"name": name, **{k: table[k] for k in ("chain", "components", "description")
                                              if k in table}},
               **{k: table[k] for k in ("parameters", "containers", *cls.line_sections) if k in table}}
        try:
            return cls.from_dict(raw, source=where, base=base)
        except (ScenarioError, ParameterError) as exc:
            fields = {k: getattr(exc, k, None) for k in ("parameter", "value", "unit", "valid")}
            raise type(exc)(f"{where} {exc}", **fields, path=where) from None

    # -- loading ------------------------------------------------------------------
    @classmethod
    def resolve(cls, scenario: Scenario | str | Path) -> Scenario:
        """``scenario`` itself, or the scenario that name or path loads."""
        return scenario if isinstance(scenario, Scenario) else cls.load(scenario)

    @classmethod
    def load(cls, name_or_path: str | Path) -> Scenario:
        """Load a built-in scenario by name, or a TOML file by path."""
        path = Path(name_or_path)
        if path.suffix == ".toml" or path.exists():
            if not path.is_file():
                raise ScenarioError(f"scenario file {str(path)!r} does not exist or is not a file", path=str(path))
            try:
                data = tomllib.loads(path.read_text())
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ScenarioError(f"scenario file {str(path)!r} is not valid TOML: {exc}", path=str(path)) from None
            return cls.from_dict(data, source=str(path), base=path.parent)
        builtin = builtin_scenarios()
        if str(name_or_path) not in builtin:
            raise ScenarioError(unknown("scenario", str(name_or_path), builtin))
        text = resources.files("celltwin").joinpath("scenarios", f"{name_or_path}.toml").read_text()
        return cls.from_dict(tomllib.loads(text), source=f"builtin:{name_or_path}")

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str = "", base: Path | None = None) -> Scenario:
        data: dict[str, Any] = copy.deepcopy(dict(raw))
        check_keys("scenario file", data, SECTIONS + cls.extra_sections)
        for section in SECTIONS + cls.extra_sections:
            if section in data and not isinstance(data[section], Mapping):
                raise ScenarioError(f"[{section}] must be a table, got {data[section]!r}", path=f"[{section}]")
        extras = {k: data[k] for k in cls.extra_sections if k in data}
        lines = {name: cls.load_line(name, table, base) for name, table in data.get("lines", {}).items()}
        check_keys("[scenario]", data.get("scenario", {}), SCENARIO_KEYS + tuple(cls.cell_settings))
        schema.check(schema.ScenarioHead, "[scenario]", data.get("scenario", {}))  # before the domain reads it
        data = cls.expand(data, base)
        head = data.get("scenario", {})
        parsed = schema.check(schema.ScenarioHead, "[scenario]", head)
        steps = list(parsed.chain if parsed.chain is not None else () if lines else cls.default_chain)
        for s in steps:
            registry.get(s)  # raises with the closest name
        cell = parsed.cell
        if cell is not None:
            registry.get(cell)
        if lines and parsed.components is not None:
            raise ScenarioError("[scenario] components: a scenario with [lines] gives the components of each line "
                                "in its table", parameter="components")
        components = () if lines else tuple(parsed.components if parsed.components is not None
                                            else cls.default_components)
        twice = sorted({c for c in components if components.count(c) > 1})
        if twice:
            raise ScenarioError(f"[scenario] components: {', '.join(map(repr, twice))} listed more than once; each "
                                "component appears once", parameter="components", value=list(components))
        if len(set(steps)) < len(steps):
            raise ScenarioError(f"[scenario] chain: a step is listed more than once: {steps}", parameter="chain")
        catalog = default_catalog(components)
        if lines:
            catalog = catalog.with_lines({name: line.catalog for name, line in lines.items()},
                                         {name: line.names() for name, line in lines.items()})
        # with lines, a setting the file does not give is left to the cell container's own default
        cell_options = {k: setting.check(k, head.get(k, setting.default)) for k, setting in cls.cell_settings.items()
                        if k in head or not lines}
        group = cls.balance_group(components)

        fixed: dict[str, float] = {}
        uncertain: dict[str, Uncertain] = {}
        balance = None
        line_balances: dict[str, tuple[str, ...]] = {}
        for name, line in lines.items():
            fixed.update({qualified(name, k): v for k, v in line.fixed.items()})
            uncertain.update({qualified(name, k): dataclasses.replace(u, name=qualified(name, k))
                              for k, u in line.uncertain.items()})
            if line.balance:
                line_balances[qualified(name, line.balance)] = tuple(
                    qualified(name, w) for w in line.balance_group(line.components) if w != line.balance)
        for raw_name, spec in data.get("parameters", {}).items():
            pname = _qualify(catalog, raw_name, "[parameters]")
            if pname in fixed or pname in uncertain or pname in line_balances:
                raise ScenarioError(f"[parameters]: {pname} is given twice, in [parameters] and in its line's "
                                    "table; give it once", parameter=pname)
            entry = catalog[pname]
            if spec == "balance":
                if pname not in group or balance is not None:
                    raise ScenarioError(f"[parameters]: {pname} = \"balance\" is only allowed for exactly one of "
                                        f"{', '.join(group) or '(none in this kind of scenario)'}", parameter=pname)
                balance = pname
            elif isinstance(spec, (int, float)) and not isinstance(spec, bool):
                if not math.isfinite(spec):
                    raise ScenarioError(f"[parameters] {pname} = {spec!r} must be a finite number", parameter=pname,
                                        value=spec)
                fixed[pname] = float(spec)
            elif isinstance(spec, Mapping):
                value, unc = _parse_param(pname, spec, entry.unit, base)
                if unc is None:
                    fixed[pname] = value
                else:
                    uncertain[pname] = unc
            else:
                raise ScenarioError(f"[parameters]: {pname} = {spec!r} must be a number, \"balance\" or a table "
                                    f"with keys {', '.join(PARAM_KEYS)}", parameter=pname, value=spec)
        nominal = {**fixed, **{k: u.value for k, u in uncertain.items()}}
        for pname, v in nominal.items():
            catalog[pname].validate(v)

        for cname, table in data.get("containers", {}).items():
            if not isinstance(table, Mapping):
                raise ScenarioError(f"[containers.{cname}] must be a table of options, got {table!r}",
                                    parameter=cname)
        options = {k: dict(v) for k, v in data.get("containers", {}).items()}
        for cname in options:
            if cname not in steps and cname != cell:
                raise ScenarioError(f"[containers]: {cname!r} is not in this scenario's chain"
                                    f"{closest(cname, steps + ([cell] if cell else []))}")

        correlation = None
        pairs: dict[tuple[str, str], float] = {}
        for a, row in data.get("correlations", {}).items():
            if not isinstance(row, Mapping):
                raise ScenarioError(f"[correlations] {a} = {row!r}: write {a} = {{ OTHER = rho }}", parameter=a)
            a = _qualify(catalog, a, "[correlations]") if lines else a
            for b, rho in row.items():
                b = _qualify(catalog, b, "[correlations]") if lines else b
                for n in (a, b):
                    if n not in uncertain:
                        raise ScenarioError(f"[correlations]: {n!r} is not an uncertain parameter"
                                            f"{closest(n, uncertain)}", parameter=n)
                if isinstance(rho, bool) or not isinstance(rho, int | float) or not math.isfinite(rho):
                    raise ScenarioError(f"[correlations] {a}-{b} = {rho!r} must be a number in (-1, 1)",
                                        parameter=f"{a}-{b}", value=rho, valid="(-1, 1)")
                if a == b:
                    raise ScenarioError(f"[correlations] {a}-{b} = {rho!r}: a parameter's correlation with itself "
                                        "is 1 by definition; give pairs of two different parameters",
                                        parameter=f"{a}-{b}", value=rho)
                other = pairs.get((b, a), pairs.get((a, b)))
                if other is not None and other != float(rho):
                    raise ScenarioError(f"[correlations] {a}-{b} is given twice with different values "
                                        f"({other:g} and {float(rho):g}); give each pair once",
                                        parameter=f"{a}-{b}", value=rho)
                pairs[(a, b)] = float(rho)
        if pairs:
            correlation = check_correlation(list(uncertain), pairs)

        seg = schema.check(schema.SegmentsTable, "[segments]", data.get("segments", {}))
        segments = Segments(count=seg.count)
        for pname, spread in seg.between.items():
            pname = _qualify(catalog, pname, "[segments.between]") if lines else pname
            segments.between[pname] = _spread(f"[segments.between] {pname}", pname, spread.model_dump(),
                                              catalog, nominal, "std")
        for pname, drift in seg.drift.items():
            pname = _qualify(catalog, pname, "[segments.drift]") if lines else pname
            segments.drift[pname] = _spread(f"[segments.drift] {pname}", pname, drift.model_dump(), catalog,
                                            nominal, "per_segment")
        study = schema.check(schema.StudyTable, "[study]", data.get("study", {})).model_dump()

        sc = cls(name=head.get("name", Path(source).stem if source else "scenario"), chain_steps=steps,
                 components=components, catalog=catalog, fixed=fixed, uncertain=uncertain, balance=balance,
                 container_options=options, correlation=correlation, segments=segments, study=study,
                 cell=cell, cell_options=cell_options, description=head.get("description", ""), source=source,
                 specs={(_qualify(catalog, k, "[specs]") if lines else k): spec_window(
                     _qualify(catalog, k, "[specs]") if lines else k, v, catalog)
                     for k, v in data.get("specs", {}).items()},
                 extras=extras, lines=lines, line_balances=line_balances)
        sc.build_chain()  # every structural problem is reported at load time
        return sc

    # -- what the scenario gives --------------------------------------------------
    def close_balance(self, values: dict[str, Any]) -> dict[str, Any]:
        """Set the "balance" parameter to 1 - the rest of its group, in place (floats or arrays)."""
        if self.balance:
            others = [w for w in self.balance_group(self.components) if w != self.balance]
            values[self.balance] = 1.0 - sum(values[w] for w in others)
        for name, group in self.line_balances.items():
            values[name] = 1.0 - sum(values[w] for w in group)
        return values

    def nominal(self) -> dict[str, float]:
        """Nominal value of every scenario input (catalog units), the balance closed."""
        return self.close_balance({**self.fixed, **{k: u.value for k, u in self.uncertain.items()}})

    def names(self) -> set[str]:
        """Every parameter this scenario gives or its chain (with the cell model) reads or computes."""
        return self.given | {p for c in self.containers() for p in (*c.inputs(), *c.outputs())}

    @property
    def given(self) -> set[str]:
        return set(self.fixed) | set(self.uncertain) | ({self.balance} if self.balance else set()) \
            | set(self.line_balances)

    def containers(self, with_cell: bool = True) -> list:
        out = [LineContainer(c, name) for name, line in self.lines.items() for c in line.containers(with_cell=False)]
        out += [registry.get(n)(self.components, **self.container_options.get(n, {})) for n in self.chain_steps]
        return out + [self.cell_container()] if with_cell and self.cell else out

    def cell_container(self, name: str | None = None):
        """The scenario's cell container (or the registered container ``name``) with the scenario's options;
        in a scenario with lines its components are given per line (``{line: components}``)."""
        name = name or self.cell
        if name is None:
            raise ScenarioError(f"scenario {self.name!r} has no cell model: set [scenario] cell")
        opts = {**self.cell_options, **self.container_options.get(name, {})}
        components = {n: line.components for n, line in self.lines.items()} if self.lines else self.components
        return registry.get(name)(components, **opts)

    def build_chain(self, with_cell: bool = True) -> ProcessChain:
        """The validated chain of this scenario (with its cell model unless told not to)."""
        return ProcessChain(self.containers(with_cell), self.given, self.catalog)

    def distribution(self):
        """OpenTURNS joint distribution of the uncertain parameters (description = names)."""
        return joint_distribution(list(self.uncertain.values()), self.correlation)

    def sample(self, n: int | None = None, seed: int | None = None, method: str | None = None):
        """Seeded sample of every input as a DataFrame (one row per sample, column ``segment``)."""
        import pandas as pd

        n = schema.integer("samples", n if n is not None else self.study["samples"], 1)
        seed = schema.integer("seed", seed if seed is not None else self.study["seed"], 0, schema.MAX_SEED)
        method = self.study["method"] if method is None else method
        if method not in METHODS:
            raise ParameterError(unknown("sampling method", str(method), METHODS), parameter="method", value=method)
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
        line_names = {qualified(name, k) for name, line in self.lines.items() for k in line.catalog}
        params = _parameter_table({k: v for k, v in self.fixed.items() if k not in line_names},
                                  {k: u for k, u in self.uncertain.items() if k not in line_names},
                                  [self.balance] if self.balance else [])
        head = {"name": self.name, "chain": self.chain_steps, "components": list(self.components),
                **self.cell_options}
        if self.lines:
            del head["components"]
        if self.cell:
            head["cell"] = self.cell
        if self.description:
            head["description"] = self.description
        out = {"scenario": head, "parameters": params, "study": dict(self.study), **copy.deepcopy(self.extras)}
        if self.container_options:
            out["containers"] = self.container_options
        if self.lines:
            out["lines"] = {name: self._line_table(name) for name in self.lines}
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

    def _line_table(self, name: str) -> dict[str, Any]:
        """A line's ``[lines.NAME]`` table as resolved, with this scenario's (maybe varied) values."""
        line = self.lines[name].to_dict()
        head = line.pop("scenario")
        prefix = qualified(name, "")
        table: dict[str, Any] = {"chain": head["chain"], "components": head["components"]}
        if head.get("description"):
            table["description"] = head["description"]
        table["parameters"] = _parameter_table(
            {k[len(prefix):]: v for k, v in self.fixed.items() if k.startswith(prefix)},
            {k[len(prefix):]: dataclasses.replace(u, name=k[len(prefix):])
             for k, u in self.uncertain.items() if k.startswith(prefix)},
            [b[len(prefix):] for b in self.line_balances if b.startswith(prefix)])
        table.update({k: line[k] for k in ("containers", *self.line_sections) if k in line})
        return table

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(self.to_dict())

    # -- in a notebook: short views (the catalog, ~10 kB, stays out) ---------------------
    @property
    def units(self) -> dict[str, str]:
        """Catalog unit of every parameter the scenario gives (its values are in these units)."""
        return {k: self.catalog[k].unit for k in sorted(self.given) if k in self.catalog}

    def __repr__(self) -> str:
        cell = f" -> {self.cell}" if self.cell else ""
        return (f"{type(self).__name__}({self.name!r}: {' -> '.join(self.chain_steps)}{cell}; "
                f"{len(self.given)} inputs, {len(self.uncertain)} uncertain, {len(self.specs)} specs)")

    def uncertain_frame(self):
        """The uncertain inputs as a DataFrame: distribution, nominal, spread (std, or [low, high]) and unit."""
        import pandas as pd

        rows = [{"parameter": k, "distribution": u.distribution, "nominal": u.value,
                 "spread": f"{u.std:.4g}" if u.std is not None else
                 (f"[{u.low:.4g}, {u.high:.4g}]" if u.low is not None and u.high is not None else ""),
                 "unit": self.catalog[k].unit} for k, u in self.uncertain.items()]
        return pd.DataFrame(rows, columns=["parameter", "distribution", "nominal", "spread", "unit"]
                            ).set_index("parameter")

    def _repr_html_(self) -> str:
        import html

        import pandas as pd

        cell = f" &rarr; {html.escape(self.cell)}" if self.cell else ""
        out = [f"<b>{html.escape(type(self).__name__)} {html.escape(self.name)}</b>: "
               f"{' &rarr; '.join(html.escape(s) for s in self.chain_steps)}{cell}; {len(self.given)} inputs"]
        if self.description:
            out.append(f"<br><i>{html.escape(self.description)}</i>")
        out.append(self.uncertain_frame().to_html(float_format=lambda v: f"{v:.6g}"))
        if self.specs:
            specs = pd.DataFrame([{"spec": k, "min": lo, "max": hi, "unit": self.catalog[k].unit}
                                  for k, (lo, hi) in self.specs.items()]).set_index("spec")
            out.append(specs.to_html(float_format=lambda v: f"{v:.6g}"))
        return "\n".join(out)

    def with_values(self, **values: float) -> Scenario:
        """A copy with some nominal values replaced (see :meth:`varied` for the rule)."""
        return self.varied(values)

    def varied(self, values: Mapping[str, float] | None = None, *, scales: Mapping[str, float] | None = None,
               stds: Mapping[str, float] | None = None, fix: Iterable[str] = ()) -> Scenario:
        """A copy with nominal values moved, spreads scaled or set, or parameters fixed.

        The one path by which celltwin changes a scenario; the rule for every distribution
        kind is in the module docstring. ``values`` are in catalog units and validated
        against the catalog; ``scales`` multiply a spread (> 0); ``stds`` set a standard
        deviation (catalog unit, > 0); ``fix`` drops the distribution of the named inputs.
        The order of the uncertain inputs is kept (it decides which uniform of a seeded
        sample feeds which input); a newly uncertain input comes last.
        """
        values, scales, stds = (_numbers(kind, table, self.catalog) for kind, table in
                                (("value", values), ("scale", scales), ("std", stds)))
        fix = {self.catalog.qualify(k) if self.lines else k for k in fix}
        for k in [*values, *scales, *stds, *fix]:
            if k not in self.catalog:
                raise ParameterError(f"unknown parameter {k!r}{closest(k, self.catalog)}", parameter=k)
            if k not in self.given:
                raise ParameterError(f"{k!r} is computed by the chain, not set by the scenario; settings: "
                                     f"{', '.join(sorted(self.given))}", parameter=k)
        for k, v in values.items():
            self.catalog[k].validate(v)
        for kind, table in (("scale", scales), ("std", stds)):
            for k, v in table.items():
                if not (v > 0 and math.isfinite(v)):
                    unit = "1" if kind == "scale" else self.catalog[k].unit
                    raise ParameterError(f"{kind} of {k} = {v:g}{unit_suffix(unit)} must be positive "
                                         "(valid range (0, inf))", parameter=k, value=v, unit=unit,
                                         valid="(0, inf)")
        fixed, uncertain = dict(self.fixed), dict(self.uncertain)
        balance = None if self.balance in values or self.balance in fix else self.balance
        line_balances = {k: v for k, v in self.line_balances.items() if k not in values and k not in fix}
        for k in dict.fromkeys([*values, *scales, *stds, *fix]):
            u = uncertain.get(k)
            if u is None:
                if k in scales:
                    raise ParameterError(f"{k!r} has no spread to scale: it is fixed in this scenario; uncertain: "
                                         f"{', '.join(self.uncertain)}", parameter=k)
                v = values[k] if k in values else fixed[k] if k in fixed else self.nominal()[k]  # k: the balance
                if k in stds and k not in fix:
                    uncertain[k] = Uncertain(k, "normal", v, std=stds[k])
                    fixed.pop(k, None)
                else:
                    fixed[k] = v
                continue
            if k in fix:
                fixed[k] = values.get(k, u.value)
                del uncertain[k]
                continue
            uncertain[k] = moved(u, values.get(k), scales.get(k), stds.get(k))
        return dataclasses.replace(self, fixed=fixed, uncertain=uncertain, balance=balance,
                                   line_balances=line_balances, correlation=self._correlation_of(list(uncertain)))

    def _correlation_of(self, names: Sequence[str]) -> np.ndarray | None:
        """The correlation matrix over ``names``: this scenario's pairs kept, a new name uncorrelated."""
        if self.correlation is None:
            return None
        old = {n: i for i, n in enumerate(self.uncertain)}
        out = np.eye(len(names))
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                if a in old and b in old:
                    out[i, j] = self.correlation[old[a], old[b]]
        return out if (out != np.eye(len(names))).any() else None


def _numbers(kind: str, table: Mapping[str, Any] | None, catalog: Catalog) -> dict[str, float]:
    """``name -> float`` for :meth:`Scenario.varied`; a non-number is refused naming the parameter.
    In a scenario with lines an unqualified name becomes its line's (ambiguous ones are refused)."""
    out = {}
    for k, v in (table or {}).items():
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            raise ParameterError(f"{kind} of {k} = {v!r} must be a number", parameter=k, value=v)
        out[catalog.qualify(k) if catalog.lines else k] = float(v)
    return out


def _qualify(catalog: Catalog, name: str, where: str) -> str:
    """:meth:`Catalog.qualify` with the scenario table named in the error."""
    try:
        return catalog.qualify(name)
    except ParameterError as exc:
        raise ScenarioError(f"{where}: {exc}", parameter=name, valid=exc.valid) from None


def _parameter_table(fixed: Mapping[str, float], uncertain: Mapping[str, Uncertain],
                     balances: Sequence[str]) -> dict[str, Any]:
    """A ``[parameters]`` table as resolved (catalog units) from values and distributions."""
    params: dict[str, Any] = dict(fixed)
    for k, u in uncertain.items():
        spec = {"value": u.value, "distribution": u.distribution}
        spec.update({key: getattr(u, key) for key in ("std", "low", "high") if getattr(u, key) is not None})
        if u.data is not None:
            spec["data"] = list(u.data)
        params[k] = spec
    for b in balances:
        params[b] = "balance"
    return params


#: distributions with a standard deviation that :meth:`Scenario.varied` can set
STD_DISTRIBUTIONS = ("normal", "lognormal", "truncated-normal")


def moved(u: Uncertain, value: float | None = None, scale: float | None = None,
          std: float | None = None) -> Uncertain:
    """``u`` with its nominal moved to ``value``, its spread scaled by ``scale`` or its
    standard deviation set to ``std`` (the rule of the module docstring)."""
    v = u.value if value is None else float(value)
    k = 1.0 if scale is None else float(scale)
    if std is not None:
        if u.distribution not in STD_DISTRIBUTIONS:
            raise ParameterError(f"{u.name}: a {u.distribution} distribution has no standard deviation to set "
                                 f"(possible for {', '.join(STD_DISTRIBUTIONS)})", parameter=u.name)
        k = float(std) / float(u.std or 1.0)

    def around(x):
        return None if x is None else v + k * (x - u.value) if math.isfinite(x) else x

    if u.distribution == "kde":
        return dataclasses.replace(u, value=v, data=tuple(v + k * (x - u.value) for x in u.data or ()))
    if u.distribution == "uniform":
        return dataclasses.replace(u, value=v, low=around(u.low), high=around(u.high))
    new_std = float(std) if std is not None else (None if u.std is None else u.std * k)
    if u.distribution == "truncated-normal":
        return dataclasses.replace(u, value=v, std=new_std, low=around(u.low), high=around(u.high))
    if u.distribution == "lognormal" and not v > 0:
        raise ParameterError(f"{u.name} = {v:g}: a lognormal needs a positive nominal value", parameter=u.name,
                             value=v, valid="(0, inf)")
    return dataclasses.replace(u, value=v, std=new_std)


def _parse_param(pname: str, spec: Mapping, cat_unit: str, base: Path | None):
    """A [parameters] table -> (nominal, Uncertain or None), in catalog units; the distribution is
    built once here so that one OpenTURNS cannot represent is refused at load, not mid-run."""
    value, unc = _read_param(pname, spec, cat_unit, base)
    if unc is not None:
        try:
            q = np.asarray(unc.marginal().computeQuantile([1e-12, 0.5, 1.0 - 1e-12]), dtype=float)
        except Exception as exc:  # noqa: BLE001 - OpenTURNS raises its own kinds
            raise ScenarioError(f"[parameters] {pname}: this {unc.distribution} distribution cannot be built "
                                f"({type(exc).__name__}: {exc}); check its spread", parameter=pname) from None
        if not np.isfinite(q).all():
            raise ScenarioError(f"[parameters] {pname}: this {unc.distribution} distribution has non-finite "
                                "quantiles; check its spread", parameter=pname)
    return value, unc


def _read_param(pname: str, spec: Mapping, cat_unit: str, base: Path | None):
    where = f"[parameters] {pname}"
    dist = spec.get("distribution")
    if dist is None:
        dist = "normal" if ("std" in spec or "rel_std" in spec) else None
    elif dist not in DISTRIBUTIONS:
        raise ScenarioError(f"{where}: " + unknown("distribution", str(dist), DISTRIBUTIONS), parameter=pname,
                            value=dist)
    table: Any = schema.check(schema.PARAMETER_TABLES[dist], where, spec, kind=dist or "fixed", known=PARAM_KEYS,
                              parameter=pname)
    unit = table.unit or cat_unit
    scale = _unit_scale(where, pname, unit, cat_unit)

    def conv(x):
        return float(convert(float(x), unit, cat_unit))

    if isinstance(table, schema.KdeParam):
        data_path = Path(table.data)
        if base is not None and not data_path.is_absolute():
            data_path = base / data_path
        data = tuple(conv(x) for x in read_column(data_path, table.column or pname))
        return float(np.mean(data)), Uncertain(pname, "kde", float(np.mean(data)), data=data)
    if isinstance(table, schema.UniformParam):
        low, high = conv(table.low), conv(table.high)
        if not low < high:
            raise ScenarioError(f"{where}: low = {table.low} must be below high = {table.high} {unit}",
                                parameter=pname, value=(table.low, table.high), unit=unit)
        value = conv(table.value) if table.value is not None else 0.5 * (low + high)
        if not low <= value <= high:
            raise ScenarioError(f"{where}: value = {table.value} {unit} lies outside its own uniform interval "
                                f"[{table.low}, {table.high}] {unit}", parameter=pname, value=table.value,
                                unit=unit, valid=f"[{table.low}, {table.high}]")
        return value, Uncertain(pname, "uniform", value, low=low, high=high)
    value = conv(table.value)
    if isinstance(table, schema.FixedParam):
        return value, None
    if table.std is not None and table.rel_std is not None:
        raise ScenarioError(f"{where}: give either 'std' or 'rel_std', not both", parameter=pname)
    if table.std is not None:
        std = float(table.std) * abs(scale)
    elif table.rel_std is not None:
        std = float(table.rel_std) * abs(value)
    else:
        raise ScenarioError(f"{where}: a {dist} distribution needs 'std' or 'rel_std'", parameter=pname)
    if not std > 0:
        given = f"std = {table.std}" if table.std is not None else f"rel_std = {table.rel_std}"
        raise ScenarioError(f"{where}: {given} gives a standard deviation of {std:g} {cat_unit}; it must be "
                            "positive (valid range (0, inf))", parameter=pname, value=std, unit=cat_unit,
                            valid="(0, inf)")
    if dist == "lognormal" and value <= 0:
        raise ScenarioError(f"{where}: a lognormal needs a positive value, got {value:g} {cat_unit}", parameter=pname,
                            value=value, unit=cat_unit, valid="(0, inf)")
    if isinstance(table, schema.TruncatedNormalParam):
        low = conv(table.low) if table.low is not None else -math.inf
        high = conv(table.high) if table.high is not None else math.inf
        if not low < value < high:
            raise ScenarioError(f"{where}: value {value:g} must lie between low {low:g} and high {high:g} {cat_unit}",
                                parameter=pname, value=value, unit=cat_unit, valid=f"({low:g}, {high:g})")
        low = low if math.isfinite(low) else value - 40 * std
        high = high if math.isfinite(high) else value + 40 * std
        return value, Uncertain(pname, str(dist), value, std=std, low=low, high=high)
    return value, Uncertain(pname, str(dist), value, std=std)


def _unit_scale(where: str, name: str, unit: str, cat_unit: str) -> float:
    """The factor from ``unit`` to the catalog unit; a unit that cannot express ``name`` names it."""
    try:
        return affine(unit, cat_unit)[0]
    except UnitError:
        raise UnitError(f"{where}: cannot convert {unit!r} to {cat_unit!r} (the catalog unit of {name})",
                        parameter=name, unit=unit, valid=cat_unit) from None


def spec_window(name: str, table: Mapping, catalog: Catalog) -> tuple[float, float]:
    """A specification window ``{value, rel_tol | abs_tol}`` or ``{min, max}`` -> (low, high) in
    the catalog unit; an open side is infinite. Used by ``[specs]`` and by the yield analysis."""
    where = f"[specs] {name}"
    if name not in catalog:
        raise ScenarioError(f"{where}: unknown parameter {name!r}{closest(name, catalog)}", parameter=name)
    if not isinstance(table, Mapping):
        raise ScenarioError(f"{where}: give a table such as {{ value = 14.3, rel_tol = 0.02 }} or {{ min = 2.3 }}",
                            parameter=name)
    t = schema.check(schema.SpecTable, where, table, parameter=name)
    cat_unit = catalog[name].unit
    unit = t.unit or cat_unit
    scale = _unit_scale(where, name, unit, cat_unit)
    has_value, has_window = t.value is not None, t.min is not None or t.max is not None
    if has_value == has_window:
        raise ScenarioError(f"{where}: give either 'value' with 'rel_tol' or 'abs_tol', or 'min' and/or 'max'",
                            parameter=name)
    if t.value is not None:
        if (t.rel_tol is None) == (t.abs_tol is None):
            raise ScenarioError(f"{where}: 'value' needs exactly one of 'rel_tol' or 'abs_tol'", parameter=name)
        value = float(convert(float(t.value), unit, cat_unit))
        tol = float(t.rel_tol) * abs(value) if t.rel_tol is not None else float(t.abs_tol or 0.0) * abs(scale)
        if not (tol > 0 and math.isfinite(tol)):
            raise ScenarioError(f"{where}: the tolerance must be positive (valid range (0, inf)), got {tol:g}",
                                parameter=name, value=tol, valid="(0, inf)")
        return value - tol, value + tol
    low = float(convert(float(t.min), unit, cat_unit)) if t.min is not None else -math.inf
    high = float(convert(float(t.max), unit, cat_unit)) if t.max is not None else math.inf
    if not low < high:
        raise ScenarioError(f"{where}: min = {low:g} must be below max = {high:g} {cat_unit}", parameter=name,
                            value=(low, high), unit=cat_unit)
    return low, high


def _spread(where: str, pname: str, spec, catalog: Catalog, nominal: Mapping[str, float], abs_key: str) -> float:
    if pname not in catalog:
        raise ScenarioError(f"{where}: unknown parameter {pname!r}{closest(pname, catalog)}", parameter=pname)
    if pname not in nominal:
        raise ScenarioError(f"{where}: {pname!r} has no value in [parameters]", parameter=pname)
    rel_key = "rel_std" if abs_key == "std" else "rel_per_segment"
    given = {k: v for k, v in spec.items() if v is not None}
    if len(given) != 1:
        raise ScenarioError(f"{where}: give a table with exactly one of '{abs_key}' or '{rel_key}'", parameter=pname)
    key, val = next(iter(given.items()))
    return float(val) * (abs(nominal[pname]) if key == rel_key else 1.0)


def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped in ``celltwin/scenarios``."""
    folder = resources.files("celltwin").joinpath("scenarios")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))
