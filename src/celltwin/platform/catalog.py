"""The parameter catalog: the typed interface between containers.

Each entry carries a unit, a domain, valid bounds and a description. Validation
happens here, once, and produces messages that name the parameter, the value, the
unit and the valid range.
"""
from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import ParameterError, closest, first_offending, unknown
from .units import check_unit, unit_suffix

DOMAINS = ("formulation", "raw-material", "process", "structural", "battery-model", "performance")

#: joins a line's name to a parameter's: ``line.name``
LINE_SEPARATOR = "."


@dataclass(frozen=True)
class Parameter:
    """One catalog entry."""

    name: str
    unit: str
    domain: str
    description: str = ""
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    step: str | None = None
    reference: float | None = None

    @property
    def range_text(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def invalid_mask(self, values) -> np.ndarray:
        """True where a value lies outside the valid range (or is not finite)."""
        v = np.asarray(values, dtype=float)
        bad = ~np.isfinite(v)
        bad |= (v <= self.low) if self.low_open else (v < self.low)
        bad |= (v >= self.high) if self.high_open else (v > self.high)
        return bad

    def message(self, value) -> str:
        unit = unit_suffix(self.unit)
        return (f"{self.name} = {float(value):.6g}{unit} is outside its valid range "
                f"{self.range_text}{unit} ({self.description})")

    def validate(self, values) -> None:
        """Raise :class:`ParameterError` naming the first offending value."""
        bad = self.invalid_mask(values)
        if np.any(bad):
            value = first_offending(values, bad)
            raise ParameterError(self.message(value), parameter=self.name, value=value, unit=self.unit,
                                 valid=self.range_text)


@dataclass
class Catalog:
    """Catalog entries by name, with component templates for the formulation."""

    entries: dict[str, Parameter] = field(default_factory=dict)
    templates: dict[str, dict] = field(default_factory=dict)
    component_names: dict[str, str] = field(default_factory=dict)
    #: names of the lines whose entries this catalog holds as ``line.name`` (none for one line)
    lines: tuple[str, ...] = ()

    @classmethod
    def from_toml(cls, path: str | Path | None = None) -> Catalog:
        """Load a catalog file; by default the one shipped with celltwin."""
        if path is None:
            text = resources.files("celltwin").joinpath("catalog.toml").read_text()
        else:
            text = Path(path).read_text()
        data = tomllib.loads(text)
        cat = cls()
        comps = dict(data.get("components", {}))
        cat.templates = comps.pop("templates", {})
        cat.component_names = {k: v for k, v in comps.items() if isinstance(v, str)}
        for name, spec in data.get("parameters", {}).items():
            cat.add(_entry(name, spec))
        return cat

    def add(self, param: Parameter) -> None:
        if param.domain not in DOMAINS:
            raise ParameterError(unknown("domain", param.domain, DOMAINS) + f" for parameter {param.name!r}")
        check_unit(param.unit)
        self.entries[param.name] = param

    def with_components(self, components: Sequence[str]) -> Catalog:
        """A copy that also holds the per-component entries of the catalog's templates."""
        cat = Catalog(dict(self.entries), dict(self.templates), dict(self.component_names))
        for c in components:
            if not c.isidentifier():
                raise ParameterError(f"component name {c!r} must be an identifier (letters, digits, _)")
            label = self.component_names.get(c, f"component {c}")
            for template, spec in self.templates.items():
                name = template.format(c=c)
                spec = dict(spec, description=spec.get("description", "").format(name=label))
                cat.add(_entry(name, spec))
        return cat

    def with_lines(self, lines: Mapping[str, Catalog], used: Mapping[str, Iterable[str]]) -> Catalog:
        """The catalog of a scenario with several lines: every entry of each line's catalog as
        ``line.name``, and of its own entries only those no line ``used`` (the names a line
        gives or computes are the line's, so that an unqualified one is resolved by
        :meth:`qualify`)."""
        taken = {name for names in used.values() for name in names}
        cat = Catalog({k: v for k, v in self.entries.items() if k not in taken}, dict(self.templates),
                      dict(self.component_names), tuple(lines))
        for line, sub in lines.items():
            if not line.isidentifier():
                raise ParameterError(f"line name {line!r} must be an identifier (letters, digits, _)",
                                     parameter=line, valid="an identifier")
            for name, entry in sub.entries.items():
                q = qualified(line, name)
                cat.entries[q] = replace(entry, name=q, description=f"{entry.description} ({line} line)")
        return cat

    def qualify(self, name: str) -> str:
        """The entry a name means: itself if the catalog holds it, else the one line's ``line.name``;
        a name that two lines hold is refused naming both, an unknown one naming the closest."""
        if name in self.entries:
            return name
        candidates = [qualified(line, name) for line in self.lines if qualified(line, name) in self.entries]
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            raise ParameterError(f"parameter {name!r} is ambiguous in a scenario with lines "
                                 f"{', '.join(self.lines)}: write {' or '.join(map(repr, candidates))}",
                                 parameter=name, valid=", ".join(candidates))
        raise ParameterError(f"unknown parameter {name!r}{closest(name, self.entries)}", parameter=name)

    def __contains__(self, name: str) -> bool:
        return name in self.entries

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self.entries[name]
        except KeyError:
            raise ParameterError(unknown("parameter", name, self.entries)) from None

    def __iter__(self):
        return iter(self.entries)

    def names(self, domain: str | None = None) -> list[str]:
        return [n for n, p in self.entries.items() if domain is None or p.domain == domain]

    def table(self):
        """The catalog as a DataFrame (for docs and the CLI)."""
        import pandas as pd

        rows = [{"name": p.name, "unit": p.unit, "domain": p.domain, "step": p.step or "",
                 "valid range": p.range_text, "reference": p.reference, "description": p.description}
                for p in self.entries.values()]
        return pd.DataFrame(rows)


def qualified(line: str, name: str) -> str:
    """``line.name``: the name of a line's parameter in a scenario with several lines."""
    return f"{line}{LINE_SEPARATOR}{name}"


def _entry(name: str, spec: Mapping) -> Parameter:
    fields = {k: spec[k] for k in ("unit", "domain", "description", "low", "high", "low_open",
                                    "high_open", "step", "reference") if k in spec}
    return Parameter(name=name, **fields)


_DEFAULT: Catalog | None = None


def default_catalog(components: Sequence[str] = ()) -> Catalog:
    """The shipped catalog, expanded for the formulation ``components``."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Catalog.from_toml()
    return _DEFAULT.with_components(components)

