"""The electrode line's scenario: seed 004's conventions on top of the generic scenario.

Seed 004 ("A digitalization platform for mechanistic modeling of battery cell production",
Thomitzek et al., Sustainability 2022) fixes them: the formulation AM, CA, PB; the chain
mixing -> dispersion -> coating -> drying -> calendering; one mass fraction may close the
mass balance; the cell model discharges at a current density given in ``[scenario]``.

Three sections of its own, translated through the generic scenario's hook (:meth:`expand`):

- ``[materials]`` names library materials per component (and the solvent); each fills
  ``rho_<component>`` as a fixed value unless ``[parameters]`` gives it. ``[parameters]``
  wins; a value that differs from the library's is listed in :attr:`notes`.
- ``[cell]`` chooses the cell parameters (``parameter_set`` or ``bpx``, and ``override``);
  they become options of the cell container, which checks the set against ``[materials] AM``.
- ``[targets]`` states structural or performance targets and the free settings; they are
  checked here and solved by :func:`celltwin.analysis.design.targets.with_targets`.

A scenario with two lines (``[lines.cathode]``, ``[lines.anode]``, see
:mod:`celltwin.platform.scenario`) names its materials per line; there the active material's
reversible specific capacity ``q_AM`` comes from the library too (the practical capacity
where the library has one, else the theoretical), for the assembly's N/P ratio.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..materials import material
from ..platform.catalog import qualified
from ..platform.chain import LineContainer
from ..platform.errors import ParameterError, ScenarioError, closest
from ..platform.registry import containers as registry
from ..platform.scenario import CellSetting, Scenario, check_keys
from ..platform.units import convert
from .formulation import DEFAULT_COMPONENTS, mass_fractions

if TYPE_CHECKING:
    from ..platform.chain import ProcessChain

#: the default electrode chain (seed 004, Figure 5)
ELECTRODE_CHAIN = ("mixing", "dispersion", "coating", "drying", "calendering")
CELL_KEYS = ("parameter_set", "bpx", "override")
DENSITY_UNIT = "g/cm^3"
CAPACITY_UNIT = "mA*h/g"


@dataclass(repr=False)  # the short repr of Scenario, not the generated one with the catalog
class ElectrodeScenario(Scenario):
    """A scenario of one electrode line (``ct.Scenario``)."""

    default_components = DEFAULT_COMPONENTS
    default_chain = ELECTRODE_CHAIN
    cell_settings = {"current_density": CellSetting(1.0, "mA/cm^2", 0.0, "discharge current density")}
    extra_sections = ("materials", "cell", "targets")
    line_sections = ("materials",)

    #: what the scenario's own sections did that a study should report (warning records)
    notes: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def balance_group(cls, components: Sequence[str]) -> list[str]:
        return mass_fractions(components)

    @property
    def current_density(self) -> float:
        """Discharge current density of the cell model (mA/cm^2); NaN in a scenario with lines that
        leaves the discharge to its cell container (the full cell's C-rate)."""
        return self.cell_options.get("current_density", math.nan)

    def report_notes(self, chain: ProcessChain | None = None) -> list[dict[str, Any]]:
        """:attr:`notes` and the cell container's (its parameter-set check): what a study lists as
        warnings. The cell container is taken from ``chain`` when the caller built one already."""
        if not self.cell:
            return list(self.notes)
        cell = chain.container(self.cell) if chain is not None else self.cell_container()
        return [*self.notes, *getattr(cell, "notes", [])]

    def cell_stage(self, cell_inputs: Sequence[str], performance: Sequence[str]) -> tuple[list[str], list[str]]:
        """The inputs and outputs of a study's structure -> performance stage. One line: as given.
        With lines: each of ``cell_inputs`` of every line (``cathode.m_dry``, ``anode.m_dry``, ...)
        and the uncertain cell-level inputs of the cell model (the formation loss), against the
        cell model's outputs named in ``performance`` or, when it has none of them, all its
        performance outputs (the full cell's capacity, energies and plating margin)."""
        if not self.lines or not self.cell:
            return list(cell_inputs), list(performance)
        cell = self.cell_container()
        structure = [qualified(line, p) for line in self.lines for p in cell_inputs
                     if qualified(line, p) in self.catalog]
        shared = [p for p in cell.inputs() if p in self.uncertain and p not in structure]
        outputs = [p for p in performance if p in cell.outputs()] or \
            [p for p in cell.outputs() if self.catalog[p].domain == "performance"]
        return structure + shared, outputs

    def structure_outputs(self, outputs: Sequence[str], keep: Sequence[str] = ()) -> list[str]:
        """The structural ``outputs`` a study's process -> structure stage analyses. One line: all.
        With lines: where the lines meet (each line's outputs that the steps after the lines or
        the cell model read), the outputs of those steps, and each line's ``keep`` names (the
        structure -> performance stage's inputs, qualified or not), not every intermediate of both lines."""
        if not self.lines:
            return list(outputs)
        containers = self.containers()
        read = {p for c in containers if not isinstance(c, LineContainer) for p in c.inputs()}
        kept = set(keep) | {qualified(line, k) for line in self.lines for k in keep}  # line's or already qualified
        own = {p for c in containers if isinstance(c, LineContainer) for p in c.outputs()}
        varying, before = set(self.uncertain), set[str]()  # what an uncertain input reaches (the rest is constant)
        while varying != before:  # steps may be listed in any order
            before = set(varying)
            varying |= {p for c in containers if varying & set(c.inputs()) for p in c.outputs()}
        return [o for o in outputs if o in varying and (o not in own or o in read or o in kept)]

    @property
    def targets(self) -> dict[str, Any]:
        """The ``[targets]`` table as given (empty without one)."""
        return dict(self.extras.get("targets", {}))

    @classmethod
    def load_line(cls, name: str, table: Mapping[str, Any], base: Path | None) -> ElectrodeScenario:
        """A line with ``q_AM`` from the library when its active material is named and has a capacity."""
        if not isinstance(table, Mapping):
            return cast(ElectrodeScenario, super().load_line(name, table, base))  # refused there, naming the table
        raw: dict[str, Any] = copy.deepcopy(dict(table))
        am = raw.get("materials", {}).get("AM")
        if isinstance(am, str):
            capacity = specific_capacity(am)
            if capacity is not None:
                raw.setdefault("parameters", {}).setdefault("q_AM", {"value": capacity, "unit": CAPACITY_UNIT})
        return cast(ElectrodeScenario, super().load_line(name, raw, base))

    @classmethod
    def expand(cls, data: dict[str, Any], base: Path | None) -> dict[str, Any]:
        data = copy.deepcopy(data)
        if data.get("lines") and data.get("materials"):
            raise ScenarioError("[materials]: a scenario with [lines] names its materials per line, in "
                                "[lines.NAME.materials]", parameter="materials")
        params = data.setdefault("parameters", {})
        for key, rho in _densities(data).items():
            params.setdefault(key, {"value": rho, "unit": DENSITY_UNIT})
        cell_table = data.get("cell", {})
        check_keys("[cell]", cell_table, CELL_KEYS)
        am = data.get("materials", {}).get("AM")
        if cell_table or am is not None:
            cell = data.get("scenario", {}).get("cell")
            if cell is None:
                if cell_table:
                    raise ScenarioError("[cell] chooses the cell model's parameters, but the scenario has no cell "
                                        "model: set [scenario] cell = \"half-cell\"", parameter="cell")
                return data
            options = data.setdefault("containers", {}).setdefault(cell, {})
            given = _cell_options(cell_table, am, base)
            se = data.get("materials", {}).get("SE")
            if se is not None and cell in registry and "solid_electrolyte" in registry.get(cell).options:
                given["solid_electrolyte"] = se  # [materials] SE names the ionic conductor once
            for key, value in given.items():
                if key in options and options[key] != value:
                    raise ScenarioError(f"[cell] {key} = {value!r} contradicts [containers.{cell}] {key} = "
                                        f"{options[key]!r}; give it once", parameter=key, value=value)
                options[key] = value
        return data

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str = "", base: Path | None = None) -> ElectrodeScenario:
        sc = cast(ElectrodeScenario, super().from_dict(raw, source=source, base=base))
        if sc.lines and "targets" in sc.extras:  # names as the scenario knows them: line-qualified
            sc.extras["targets"] = _qualified_targets(sc.catalog, sc.extras["targets"])
        sc.notes = _density_notes(dict(raw)) + [
            {**note, "parameter": f"{name}.{note['parameter']}", "message": f"{name} line: {note['message']}"}
            for name, line in sc.lines.items() for note in cast(ElectrodeScenario, line).notes]
        _check_targets(sc)
        return sc


def specific_capacity(name: str) -> float | None:
    """The library's reversible specific capacity of active material ``name`` (mAh/g): the
    practical one where recorded, else the theoretical; None when it has neither."""
    m = material(name, kind="active")
    fact = m.facts.get("capacity_practical") or m.facts.get("capacity_theoretical")
    return None if fact is None else float(convert(fact.value, fact.unit, CAPACITY_UNIT))


def _named(data: Mapping[str, Any]) -> dict[str, str]:
    """``[materials]`` as component (or "solvent") -> material name, checked against the components."""
    table = data.get("materials", {})
    components = tuple(data.get("scenario", {}).get("components", DEFAULT_COMPONENTS))
    check_keys("[materials]", table, (*components, "solvent"))
    for key, name in table.items():
        if not isinstance(name, str):
            raise ScenarioError(f"[materials] {key} = {name!r} must be a library material's name",
                                parameter=key, value=name)
    return dict(table)


def _densities(data: Mapping[str, Any]) -> dict[str, float]:
    """rho_<component> (and rho_solvent) -> the library's density, g/cm^3, for every named material."""
    out = {}
    for key, name in _named(data).items():
        kind = "active" if key == "AM" else "solvent" if key == "solvent" else None
        m = material(name, kind=kind)
        pname = f"rho_{key}"
        if m.rho is None and pname not in data.get("parameters", {}):
            raise ScenarioError(f"[materials] {key} = {name!r}: the library has no density with a source for "
                                f"{name} ({m.note or 'none recorded'}); give {pname} in [parameters]",
                                parameter=pname, unit=DENSITY_UNIT)
        if m.rho is not None:
            out[pname] = m.rho
    return out


def _density_notes(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A note for each [parameters] density that differs from the named material's library value."""
    notes = []
    params = data.get("parameters", {})
    named = _named(data)
    for pname, rho in _densities(data).items():
        spec = params.get(pname)
        if spec is None:
            continue
        value, unit = (spec.get("value"), spec.get("unit", DENSITY_UNIT)) if isinstance(spec, Mapping) else (spec,
                                                                                                             DENSITY_UNIT)
        given = float(convert(value, unit, DENSITY_UNIT))
        if not math.isclose(given, rho, rel_tol=1e-9):
            name = named[pname.removeprefix("rho_")]
            notes.append({"kind": "material-density", "parameter": pname, "value": given, "library": rho,
                          "unit": DENSITY_UNIT, "material": name,
                          "message": f"[parameters] {pname} = {given:.4g} {DENSITY_UNIT} is used, not the library's "
                                     f"{rho:.4g} {DENSITY_UNIT} for {name} ({100 * (given / rho - 1):+.1f} %)"})
    return notes


def _cell_options(table: Mapping[str, Any], am: str | None, base: Path | None) -> dict[str, Any]:
    """[cell] and [materials] AM as options of the cell container."""
    if "parameter_set" in table and "bpx" in table:
        raise ScenarioError("[cell]: give parameter_set or bpx, not both", parameter="bpx")
    out: dict[str, Any] = {}
    if "parameter_set" in table:
        out["parameter_set"] = table["parameter_set"]
    if "bpx" in table:
        path = Path(table["bpx"])
        out["bpx"] = str(path if path.is_absolute() or base is None else base / path)
    if "override" in table:
        if not isinstance(table["override"], bool):
            raise ScenarioError(f"[cell] override = {table['override']!r} must be true or false",
                                parameter="override", value=table["override"], valid="true, false")
        out["override"] = table["override"]
    if am is not None:
        out["material"] = am
    return out


def _qualified_targets(catalog, table: Mapping[str, Any]) -> dict[str, Any]:
    """[targets] with every name line-qualified (``anode.V_dot`` for ``V_dot`` when only the anode
    line has it; a name both lines have is refused naming both)."""
    def q(name: Any) -> Any:
        if not isinstance(name, str):
            return name
        try:
            return catalog.qualify(name)
        except ParameterError as exc:
            raise ScenarioError(f"[targets]: {exc}", parameter=name, valid=exc.valid) from None

    out = {q(k): v for k, v in table.items() if k != "free"}
    free = table.get("free")
    if isinstance(free, Mapping):
        out["free"] = {q(k): v for k, v in free.items()}
    elif isinstance(free, list):
        out["free"] = [q(k) for k in free]
    elif free is not None:
        out["free"] = q(free)
    return out


def _check_targets(sc: ElectrodeScenario) -> None:
    """[targets]: catalog outputs with numbers, ``free`` settings of this scenario (optional bounds)."""
    table = sc.targets
    if not table:
        return
    free = table.get("free")
    if not free:
        raise ScenarioError("[targets] needs free = [\"NAME\", ...]: the settings the targets are solved for",
                            parameter="free")
    names = list(free) if isinstance(free, list | Mapping) else [free]
    for name in names:
        if name not in sc.given:
            raise ScenarioError(f"[targets] free: {name!r} is not a setting of this scenario"
                                f"{closest(str(name), sc.given)}", parameter=str(name))
        bounds = free[name] if isinstance(free, Mapping) else None
        if bounds is not None and not (isinstance(bounds, list) and len(bounds) == 2 and bounds[0] < bounds[1]):
            raise ScenarioError(f"[targets] free.{name} = {bounds!r} must be [low, high] with low < high",
                                parameter=name, value=bounds)
    for name, spec in table.items():
        if name == "free":
            continue
        if name not in sc.catalog:
            raise ScenarioError(f"[targets]: unknown parameter {name!r}{closest(name, sc.catalog)}", parameter=name)
        if name in sc.given:
            raise ScenarioError(f"[targets] {name}: a target is a value the chain computes; {name} is a setting "
                                "of this scenario", parameter=name)
        value = spec.get("value") if isinstance(spec, Mapping) else spec
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ScenarioError(f"[targets] {name} = {spec!r} must be a number (catalog unit "
                                f"{sc.catalog[name].unit}) or {{ value, unit }}", parameter=name, value=spec)


def target_values(sc: ElectrodeScenario) -> dict[str, float]:
    """The [targets] values in catalog units."""
    out = {}
    for name, spec in sc.targets.items():
        if name == "free":
            continue
        if isinstance(spec, Mapping):
            out[name] = float(convert(spec["value"], spec.get("unit", sc.catalog[name].unit), sc.catalog[name].unit))
        else:
            out[name] = float(spec)
    return out
