"""The process chain: containers wired by name into a validated networkx graph.

Edges are inferred from declarations: wherever one container's output is another's
input, including across skipped steps. Building checks everything and raises one
:class:`ChainError` listing every problem with the container and parameter it
concerns. Unit conversions are resolved here, once, into affine maps, so
evaluation runs on plain float arrays.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import networkx as nx
import numpy as np

from .catalog import Catalog, qualified
from .container import Arrays, Container, Limit
from .errors import ChainError, ParameterError, UnitError, closest, first_offending
from .units import affine


class ChainResult(dict):
    """Every parameter's value after a chain evaluation.

    ``valid`` marks the samples that passed every check (all True for a nominal run);
    ``reasons`` holds each rejected sample's first reason (``""`` when valid) and
    ``rejections`` counts them by kind. Rejected samples hold NaN in every computed
    parameter: they are reported, never silently clipped.
    """

    valid: np.ndarray
    reasons: np.ndarray
    rejections: dict[str, int]


class ProcessChain:
    """A validated, evaluable chain of containers."""

    def __init__(self, containers: Sequence[Container], given: Iterable[str], catalog: Catalog):
        self.containers = list(containers)
        self.given = set(given)
        self.catalog = catalog
        self.graph = nx.DiGraph()
        self._producer: dict[str, Container] = {}
        self._convert_in: dict[str, dict[str, tuple[float, float]]] = {}
        self._convert_out: dict[str, dict[str, tuple[float, float]]] = {}
        self._build()

    # -- building -----------------------------------------------------------------
    def _build(self) -> None:
        problems: list[str] = []
        producers: dict[str, list[str]] = {}
        g = self.graph
        for c in self.containers:
            g.add_node(c.name, kind="container", container_kind=c.kind, label=c.name,
                       line=getattr(c, "line", ""))
            self._convert_in[c.name] = self._conversions(c, c.inputs(), "input", problems)
            self._convert_out[c.name] = self._conversions(c, c.outputs(), "output", problems)
            for p in c.outputs():
                producers.setdefault(p, []).append(c.name)
                self._producer.setdefault(p, c)
                g.add_edge(c.name, p)
        for c in self.containers:
            for p in c.inputs():
                g.add_edge(p, c.name)
        for p in list(g.nodes):
            if g.nodes[p].get("kind") != "container":
                entry = self.catalog.entries.get(p)
                line = p.split(".", 1)[0] if p.split(".", 1)[0] in self.catalog.lines else ""
                g.nodes[p].update(kind="parameter", domain=entry.domain if entry else "unknown",
                                  unit=entry.unit if entry else "", label=p, line=line)
        for p, names in producers.items():
            if len(names) > 1:
                problems.append(f"parameter {p!r} is produced by more than one container: {', '.join(names)}")
            if p in self.given:
                problems.append(f"parameter {p!r} is given by the scenario but also produced by "
                                f"container {names[0]!r}; remove one of them")
        for c in self.containers:
            for p in c.inputs():
                if p not in producers and p not in self.given and p in self.catalog:
                    problems.append(f"container {c.name!r}: input {p!r} is produced by no container and "
                                    "not given by the scenario")
        for p in self.given:
            if p not in self.catalog:
                problems.append(f"scenario: unknown parameter {p!r}{closest(p, self.catalog)}")
        cycles = list(nx.simple_cycles(g))
        for cyc in cycles:
            names = [n for n in cyc if g.nodes[n]["kind"] == "container"]
            problems.append("cycle between containers " + " -> ".join(names + names[:1]))
        if problems:
            raise ChainError(problems)
        self.order = [n for n in nx.topological_sort(g) if g.nodes[n]["kind"] == "container"]
        self._by_name = {c.name: c for c in self.containers}

    def _conversions(self, c: Container, declared: Mapping[str, str], role: str, problems: list[str]):
        conv = {}
        for p, unit in declared.items():
            if p not in self.catalog:
                problems.append(f"container {c.name!r}: {role} {p!r} is not in the catalog"
                                f"{closest(p, self.catalog)}")
                continue
            cat_unit = self.catalog[p].unit
            src, dst = (cat_unit, unit) if role == "input" else (unit, cat_unit)
            try:
                conv[p] = affine(src, dst)
            except UnitError:
                problems.append(f"container {c.name!r}: {role} {p!r} is declared in {unit!r}, which is "
                                f"incompatible with its catalog unit {cat_unit!r}")
        return conv

    # -- introspection --------------------------------------------------------------
    @property
    def inputs(self) -> list[str]:
        """The independent inputs: parameters that no container produces."""
        return sorted({p for c in self.containers for p in c.inputs()} - set(self._producer))

    @property
    def outputs(self) -> list[str]:
        return [p for name in self.order for p in self._by_name[name].outputs()]

    def container(self, name: str) -> Container:
        return self._by_name[name]

    def unit_maps(self, name: str) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
        """Container ``name``'s affine ``(scale, offset)`` maps: catalog -> declared unit for
        each input, declared -> catalog unit for each output."""
        return self._convert_in[name], self._convert_out[name]

    # -- evaluation -----------------------------------------------------------------
    def evaluate(self, values: Mapping[str, object], *, on_invalid: str = "raise") -> ChainResult:
        """Run every container in order on nominal floats or Monte Carlo arrays.

        ``on_invalid="raise"`` stops at the first value outside its valid range with a
        :class:`ParameterError`; ``"mask"`` marks those samples invalid, counts them by
        reason in ``result.rejections`` and carries on with the rest.
        """
        if on_invalid not in ("raise", "mask"):
            raise ParameterError(f"on_invalid = {on_invalid!r} must be 'raise' or 'mask'")
        missing = [p for p in self.inputs if p not in values]
        if missing:
            raise ParameterError(f"missing input value(s) {', '.join(missing)}", parameter=missing[0])
        strange = [k for k in values if k not in self.catalog]
        if strange:
            raise ParameterError(f"unknown parameter {strange[0]!r}{closest(strange[0], self.inputs)}; inputs of "
                                 f"this chain: {', '.join(self.inputs)}", parameter=strange[0])
        data = {}
        for k, v in values.items():
            try:
                data[k] = np.asarray(v, dtype=float)
            except (TypeError, ValueError):
                raise ParameterError(f"{k} = {v!r} must be a number or an array of numbers", parameter=k,
                                     value=v) from None
        scalar = all(v.ndim == 0 for v in data.values())
        try:
            shape = np.broadcast_shapes(*(v.shape for v in data.values()))
        except ValueError:
            sizes = {k: v.shape for k, v in data.items() if v.ndim}
            raise ParameterError(f"the input arrays have different lengths: {sizes}; give one value or one array "
                                 "of the same length per input") from None
        valid = np.ones(shape, dtype=bool)
        reasons = np.full(shape, "", dtype=object)
        rejections: dict[str, int] = {}

        def reject(bad: np.ndarray, message: str) -> None:
            bad = np.broadcast_to(bad, shape) & valid
            if on_invalid == "raise" or not shape:
                raise ParameterError(message)
            n = int(bad.sum())
            if n:
                key = message.split(" = ")[0] + " out of range" if " = " in message else message
                rejections[key] = rejections.get(key, 0) + n
                reasons[bad] = message
                valid[bad] = False

        for p in self.inputs:
            self._check_bounds(p, data[p], reject)
        for name in self.order:
            c = self._by_name[name]
            conv = self._convert_in[name]
            args = {p: data[p] * s + o if (s, o) != (1.0, 0.0) else data[p] for p, (s, o) in conv.items()}
            for bad, message in c.constraints(args):
                reject(np.asarray(bad), f"container {name!r}: {message}")
            if on_invalid == "mask" and not valid.all():
                args = {p: np.where(valid, np.broadcast_to(v, shape), np.nan) for p, v in args.items()}
            out = c.evaluate(args)
            for p, (s, o) in self._convert_out[name].items():
                raw = np.asarray(out[p], dtype=float)
                data[p] = raw * s + o if (s, o) != (1.0, 0.0) else raw
                self._check_bounds(p, data[p], reject, produced_by=name)
        if not valid.all():
            for p in self._producer:
                data[p] = np.where(valid, data[p], np.nan)
        result = ChainResult({k: (float(v) if scalar else v) for k, v in data.items()})
        result.valid = valid
        result.reasons = reasons
        result.rejections = rejections
        return result

    def _check_bounds(self, p: str, v: np.ndarray, reject, produced_by: str | None = None) -> None:
        entry = self.catalog[p]
        bad = entry.invalid_mask(v)
        if produced_by is not None:
            bad &= ~np.isnan(v)  # NaN here comes from an already rejected sample or a failed solve
        if np.any(bad):
            where = f" (computed by {produced_by!r})" if produced_by else ""
            reject(bad, entry.message(first_offending(v, bad)) + where)

    def producer(self, name: str) -> Container:
        """The container that computes ``name``."""
        if name not in self._producer:
            raise ParameterError(f"{name!r} is not computed by this chain{closest(name, self._producer)}",
                                 parameter=name)
        return self._producer[name]

    def limits(self, state: Mapping[str, float]) -> dict[str, list[Limit]]:
        """Every container's physical limits at a chain state (scalars, catalog units), by
        parameter, with each bound converted to the parameter's catalog unit."""
        out: dict[str, list[Limit]] = {}
        for name in self.order:
            c = self._by_name[name]
            if not all(p in state for p in c.inputs()):
                continue
            args = {p: float(state[p]) * s + o for p, (s, o) in self._convert_in[name].items()}
            for lim in c.limits(args):
                s_, o_ = self._convert_out[name][lim.parameter]
                out.setdefault(lim.parameter, []).append(replace(lim, bound=lim.bound * s_ + o_))
        return out

    def design_spaces(self) -> dict[str, dict[str, tuple[float, float]]]:
        """Each container's design space (:meth:`Container.design_space`) in catalog units."""
        out: dict[str, dict[str, tuple[float, float]]] = {}
        for name in self.order:
            space = self._by_name[name].design_space()
            if space:
                conv = self._convert_in[name]
                out[name] = {}
                for p, (lo, hi) in space.items():
                    a, b = sorted(((lo - conv[p][1]) / conv[p][0], (hi - conv[p][1]) / conv[p][0]))
                    out[name][p] = (a, b)
        return out

    # -- in a notebook: short views --------------------------------------------------------
    @property
    def units(self) -> dict[str, str]:
        """Catalog unit of every parameter the chain reads or computes (its results are in these units)."""
        return {p: d["unit"] for p, d in self.graph.nodes(data=True) if d.get("kind") == "parameter"}

    def __repr__(self) -> str:
        return (f"ProcessChain({' -> '.join(self.order)}: {len(self.inputs)} independent inputs, "
                f"{len(self.outputs)} outputs)")

    def _repr_html_(self) -> str:
        import html

        import pandas as pd

        units = self.units
        rows = [{"container": name, "kind": self._by_name[name].kind,
                 "inputs": ", ".join(f"{p} [{units.get(p, '')}]" for p in self._by_name[name].inputs()),
                 "outputs": ", ".join(f"{p} [{units.get(p, '')}]" for p in self._by_name[name].outputs())}
                for name in self.order]
        return (f"<b>{html.escape(repr(self))}</b>"
                + pd.DataFrame(rows).set_index("container").to_html())

    def function(self, inputs: Sequence[str], outputs: Sequence[str] | None = None, *,
                 fixed: Mapping[str, float], complete: Callable[[dict], dict] | None = None) -> NestedChain:
        """Collapse the chain into f(X) over ``inputs``; see :class:`NestedChain`."""
        return NestedChain(self, inputs, outputs, fixed, complete)


class LineContainer(Container):
    """A container of one line in a scenario with several lines: every parameter it reads or
    writes is the line's own, ``line.name``, so that two lines of the same steps wire into one
    chain without meeting; the containers after the lines read ``line.name`` explicitly.

    Everything else (options, physical limits, design space, recorded failures) is the wrapped
    container's, with the names qualified.
    """

    def __init__(self, inner: Container, line: str):
        self.inner, self.line = inner, line
        self.name = qualified(line, inner.name)  # type: ignore[misc]  # the instance's own name
        self.kind = inner.kind  # type: ignore[misc]
        self.components, self.settings = inner.components, inner.settings

    def __getattr__(self, attr: str):
        if attr == "inner":  # not yet set (unpickling): no recursion
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    def _own(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """This line's values, by the names the wrapped container knows."""
        cut = len(self.line) + 1
        return {k[cut:]: v for k, v in values.items() if k.startswith(self.line + ".")}

    def inputs(self) -> dict[str, str]:
        return {qualified(self.line, p): u for p, u in self.inner.inputs().items()}

    def outputs(self) -> dict[str, str]:
        return {qualified(self.line, p): u for p, u in self.inner.outputs().items()}

    def evaluate(self, inputs: Arrays) -> dict[str, np.ndarray]:
        return {qualified(self.line, k): v for k, v in self.inner.evaluate(self._own(inputs)).items()}

    def constraints(self, inputs: Arrays) -> list[tuple[np.ndarray, str]]:
        return [(bad, f"{self.line} line: {message}") for bad, message in self.inner.constraints(self._own(inputs))]

    def limits(self, inputs: Mapping[str, float]) -> list[Limit]:
        return [replace(lim, parameter=qualified(self.line, lim.parameter),
                        depends=tuple(qualified(self.line, d) for d in lim.depends))
                for lim in self.inner.limits(self._own(inputs))]

    def design_space(self) -> dict[str, tuple[float, float]]:
        return {qualified(self.line, p): r for p, r in self.inner.design_space().items()}

    def corrections(self) -> dict[str, float]:
        return self.inner.corrections()

    def describe(self) -> str:
        return f"{self.line} line: {self.inner.describe()}"

    def __repr__(self) -> str:
        return f"LineContainer({self.line!r}, {self.inner!r})"


class NestedChain:
    """The chain as a function of some of its independent inputs (the nested model).

    ``f(X)`` maps an (N, d) array of the ``inputs`` to an (N, k) array of the ``outputs``;
    :meth:`evaluate` gives the whole :class:`ChainResult` of the batch. ``fixed`` supplies
    every other input; ``complete`` (e.g. a scenario's balance rule) fills in dependent
    inputs of each batch. Rejected samples give NaN rows. ``evaluations`` counts sample
    points, ``calls`` batches. This is the only nested-chain implementation: the
    sensitivity stage and the inverse runs use it.
    """

    def __init__(self, chain: ProcessChain, inputs: Sequence[str], outputs: Sequence[str] | None,
                 fixed: Mapping[str, float], complete: Callable[[dict], dict] | None = None):
        self.chain, self.inputs = chain, list(inputs)
        self.outputs = list(outputs) if outputs is not None else list(chain.outputs)
        unknown_out = [o for o in self.outputs if o not in chain.outputs and o not in chain.inputs]
        if unknown_out:
            raise ParameterError(f"not computed by this chain: {', '.join(unknown_out)}", parameter=unknown_out[0])
        self.fixed, self.complete = dict(fixed), complete
        self.evaluations = 0
        self.calls = 0

    def evaluate(self, X) -> ChainResult:
        """The chain on the rows of ``X`` (every input broadcast to a full batch)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        n = X.shape[0]
        values: dict = {**self.fixed, **{name: X[:, i] for i, name in enumerate(self.inputs)}}
        if self.complete is not None:
            values = self.complete(values)
        self.evaluations += n
        self.calls += 1
        # every input as a full batch: containers then never see scalars mixed with arrays
        return self.chain.evaluate({k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in values.items()},
                                   on_invalid="mask")

    def __call__(self, X) -> np.ndarray:
        res = self.evaluate(X)
        return np.column_stack([np.asarray(res[o], dtype=float) for o in self.outputs])
