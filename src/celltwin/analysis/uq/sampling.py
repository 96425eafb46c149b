"""Monte Carlo through the chain: the one sample -> evaluate -> frame routine.

:func:`evaluate_frame` turns sampled inputs into the rows of a run: every input, every
output, ``valid`` and ``rejected`` (the first reason a sample was refused: a value outside
its valid range, a failed cell simulation with the solver's own message). Everything that
samples a scenario goes through it: :func:`propagate`, :func:`monte_carlo` (chunks on a
backend, with checkpoints), studies, robust and tolerance runs (common random numbers) and
calibration.

:func:`monte_carlo` draws the whole sample first, in the calling process, and only then
splits it into chunks, so neither the chunk size nor the backend nor the number of workers
can change which values are sampled: a run gives the same frame, bit for bit, locally, on
local processes or on a Dask cluster. An exception inside a chunk turns its rows into
rejected rows with the reason, so a long run carries on; finished chunks can be written to
a :class:`~celltwin.analysis.uq.checkpoint.Checkpoint` as they arrive and a resumed run
evaluates only the missing ones.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...containers.scenario import ElectrodeScenario
from ...platform import schema
from ...platform.chain import ProcessChain
from ...platform.errors import CelltwinWarning, ParameterError
from ...platform.execution import SerialBackend, backend, check_scheduler, chunk_bounds
from ...platform.scenario import Scenario
from .checkpoint import Checkpoint, ChunkResult

#: default number of samples per chunk: large enough to amortise the per-task overhead
#: (a pickled scenario and a frame), small enough to keep both workers busy to the end
DEFAULT_CHUNK_SIZE = 256

#: columns of a run's frame that are not catalog parameters
SEGMENT, VALID, REJECTED = "segment", "valid", "rejected"

Progress = Callable[[int, int], None]
"""A progress callback: ``(done, total)``."""


@dataclass
class Propagation:
    """Samples of a scenario through its chain: one row per sample.

    ``frame`` holds every input and output, ``valid`` and ``rejected`` (the reason, ``""``
    when valid); ``rejections`` counts the rejected samples by reason, ``failures`` the
    samples a numerical container lost (solver failures), ``execution`` how the run went
    (backend, chunks, timings). ``units`` maps each parameter column to its catalog unit.
    ``result[name]`` is one column as an array, so a propagation can stand where a chain
    result is expected (``in_spec``, ``yield_of``).
    """

    frame: pd.DataFrame
    rejections: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    execution: dict[str, Any] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> np.ndarray:
        return self.frame[VALID].to_numpy(dtype=bool)

    @property
    def reasons(self) -> np.ndarray:
        return self.frame[REJECTED].to_numpy()

    @property
    def n(self) -> int:
        return len(self.frame)

    @property
    def n_valid(self) -> int:
        return int(self.valid.sum())

    def __getitem__(self, name: str) -> np.ndarray:
        return self.frame[name].to_numpy()

    def __contains__(self, name: str) -> bool:
        return name in self.frame

    def __len__(self) -> int:
        return len(self.frame)

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame (a copy)."""
        return self.frame.copy()

    def __repr__(self) -> str:
        return (f"Propagation({self.n} samples, {self.n_valid} valid, {len(self.frame.columns)} columns, "
                f"rejections={self.rejections})")

    def _repr_html_(self) -> str:
        import html

        varying = [c for c in self.units if self.frame[c].nunique() > 1][:12]
        table = self.frame.loc[self.valid, varying].describe().T[["mean", "std", "min", "max"]]
        table["unit"] = [self.units[c] for c in varying]
        more = len([c for c in self.units if self.frame[c].nunique() > 1]) - len(varying)
        return (f"<b>{html.escape(repr(self))}</b>" + table.to_html(float_format=lambda v: f"{v:.5g}")
                + (f"<i>… and {more} more columns (.frame, .units)</i>" if more > 0 else ""))


def evaluate_frame(chain: ProcessChain, inputs: pd.DataFrame, *, mark_failed: bool = True) -> ChunkResult:
    """Evaluate the chain on sampled inputs and build the rows of a run.

    A sample whose performance output is not finite (a failed cell simulation) is marked
    invalid with the failing container's own reason when ``mark_failed``; samples a
    numerical container lost are also counted in ``failures``.
    """
    frame = inputs.copy()
    result = chain.evaluate({k: inputs[k].to_numpy() for k in inputs.columns if k != SEGMENT}, on_invalid="mask")
    for name in chain.outputs:
        frame[name] = np.broadcast_to(np.asarray(result[name], dtype=float), (len(frame),))
    valid, reasons = np.array(result.valid, dtype=bool), np.array(result.reasons, dtype=object)
    rejections = dict(result.rejections)
    failures: dict[str, int] = {}
    lost_reason = np.full(len(frame), "", dtype=object)
    for c in chain.containers:  # failures a numerical container recorded itself (NaN outputs)
        lost = getattr(c, "last_failures", None)
        if lost is not None and len(lost):
            for idx, reason in zip(lost["index"].astype(int), lost["reason"].astype(str), strict=True):
                lost_reason[idx] = f"{c.name}: {reason}"
            for reason, count in lost["reason"].astype(str).value_counts().items():
                failures[f"{c.name}: {reason}"] = failures.get(f"{c.name}: {reason}", 0) + int(count)
    if mark_failed:
        for name in [o for o in chain.outputs if chain.catalog[o].domain == "performance"]:
            failed = valid & ~np.isfinite(frame[name].to_numpy(dtype=float))
            if failed.any():
                key = f"{name}: cell simulation failed"
                rejections[key] = rejections.get(key, 0) + int(failed.sum())
                reasons[failed] = [lost_reason[i] or key for i in np.flatnonzero(failed)]
                valid &= ~failed
    frame[VALID] = valid
    frame[REJECTED] = reasons.astype(str)
    return ChunkResult(0, frame, rejections, {}, failures)


# -- work done in a worker -----------------------------------------------------------------
_CHAINS: dict[str, Any] = {}  # per worker process: built chains, by scenario fingerprint


def scenario_fingerprint(scenario: Scenario, with_cell: bool = True) -> str:
    """A hash of the resolved scenario; equal scenarios give equal fingerprints."""
    text = pickle.dumps((scenario.to_dict(), bool(with_cell)), protocol=4)
    return hashlib.sha256(text).hexdigest()[:16]


def _timed_chain(scenario: Scenario, with_cell: bool, key: str):
    """The scenario's chain, built once per process, each container's evaluate timed."""
    if key in _CHAINS:
        return _CHAINS[key]
    chain = scenario.build_chain(with_cell=with_cell)
    clock: dict[str, float] = {}
    for c in chain.containers:
        def timed(inputs, _f=c.evaluate, _name=c.name):
            t0 = time.perf_counter()
            try:
                return _f(inputs)
            finally:
                clock[_name] = clock.get(_name, 0.0) + time.perf_counter() - t0
        c.evaluate = timed  # instance attribute: shadows the method for this chain only
    _CHAINS[key] = (chain, clock)
    return _CHAINS[key]


def evaluate_chunk(scenario: Scenario, inputs: pd.DataFrame, index: int, with_cell: bool = True,
                   key: str | None = None, mark_failed: bool = True) -> ChunkResult:
    """:func:`evaluate_frame` on one chunk inside a worker, timed per step.

    An exception that escapes the chain (a crashed solver, say) does not end the run:
    every row of the chunk is marked invalid with the exception as its reason.
    """
    t0 = time.perf_counter()
    chain, clock = _timed_chain(scenario, with_cell, key or scenario_fingerprint(scenario, with_cell))
    clock.clear()
    try:
        res = evaluate_frame(chain, inputs, mark_failed=mark_failed)
    except Exception as exc:  # noqa: BLE001 - recorded with its reason, the run carries on
        reason = f"chunk failed: {type(exc).__name__}: {exc}"
        frame = inputs.copy()
        for name in chain.outputs:
            frame[name] = np.nan
        frame[VALID] = False
        frame[REJECTED] = reason
        res = ChunkResult(index, frame, {f"chunk failed: {type(exc).__name__}": len(frame)}, {})
    res.index, res.step_seconds = index, dict(clock)
    res.seconds, res.worker = time.perf_counter() - t0, f"{os.uname().nodename}:{os.getpid()}"
    return res


# -- before a run ----------------------------------------------------------------------------
#: a pilot sample that rejects more than this share warns, naming the parameter behind it
WARN_REJECTED = 0.02
#: share of the machine's available memory a run may plan to use
MEMORY_SHARE = 0.8


@dataclass
class Preflight:
    """What a cheap pilot run (the chain without the cell model) says before the real one."""

    pilot: int
    rejected: float                 # share of the pilot's samples the chain rejects
    reasons: dict[str, int]         # pilot rejections by reason
    memory_bytes: float             # estimated peak memory of the run
    available_bytes: float          # memory available on this machine
    warnings: list[CelltwinWarning] = field(default_factory=list)


def preflight(sc: Scenario, n: int, *, seed: int = 0, pilot: int = 2000, extra_bytes_per_sample: float = 0.0,
              warn: bool = True, chain: ProcessChain | None = None) -> Preflight:
    """Check a run before it starts: refuse one that needs more memory than the machine has
    (:class:`ParameterError` naming both figures), and warn (:class:`CelltwinWarning`) when
    a pilot sample of the chain rejects more than :data:`WARN_REJECTED` of its samples, naming
    the parameter behind most rejections, or when there are more production segments than
    samples. ``extra_bytes_per_sample`` adds a caller's own per-sample memory (e.g. a PCE);
    ``chain`` is the scenario's chain without the cell model, if the caller built it already."""
    import psutil

    chain = chain or sc.build_chain(with_cell=False)
    columns = len(sc.given) + len(chain.outputs) + (16 if sc.cell else 0) + 3
    # inputs, chunk frames, the concatenated frame and a copy: four float copies, plus the reason strings
    need = n * (4 * 8 * columns + 80 + extra_bytes_per_sample)
    available = float(psutil.virtual_memory().available)
    if need > MEMORY_SHARE * available:
        raise ParameterError(
            f"samples = {n} needs about {need / 2**30:.3g} GiB of memory, more than {100 * MEMORY_SHARE:.0f} % of "
            f"the {available / 2**30:.3g} GiB available on this machine; use fewer samples",
            parameter="samples", value=n, valid=f"[1, {int(MEMORY_SHARE * available / (need / n))}]")
    m = int(min(n, pilot))
    found: list[CelltwinWarning] = []
    try:
        res = evaluate_frame(chain, sc.sample(m, seed))
    except Exception as exc:  # noqa: BLE001 - the run records failing chunks itself; say so and go on
        found.append(CelltwinWarning(f"the {m}-sample pilot run failed ({type(exc).__name__}: {exc}); failing "
                                     "chunks will be recorded as rejected", pilot=m))
        res = ChunkResult(0, pd.DataFrame({VALID: np.ones(m, dtype=bool)}), {}, {})
    rejected = 1.0 - res.frame[VALID].to_numpy(dtype=bool).mean()
    if rejected > WARN_REJECTED:
        reason, count = max(res.rejections.items(), key=lambda kv: kv[1])
        name = reason.split(" ")[0]
        found.append(CelltwinWarning(
            f"{100 * rejected:.3g} % of a {m}-sample pilot run are rejected by the chain, most for '{reason}' "
            f"({count}); check the spread or range of {name} and what feeds it", parameter=name,
            rejected_share=round(float(rejected), 4), pilot=m))
    if sc.segments.count > n:
        found.append(CelltwinWarning(
            f"[segments] count = {sc.segments.count} is more than the {n} samples: some segments get no sample",
            parameter="segments.count", value=sc.segments.count))
    if warn:
        for w in found:
            warnings.warn(w, stacklevel=3)
    return Preflight(m, float(rejected), dict(res.rejections), need, available, found)


# -- a whole run -----------------------------------------------------------------------------
def monte_carlo(scenario: Scenario | str, n: int | None = None, seed: int | None = None, *,
                method: str | None = None, with_cell: bool = True, chunk_size: int | None = None,
                scheduler: Any = None, workers: int | None = None, checkpoint: Any = None,
                resume: bool = False, progress: Progress | None = None, mark_failed: bool = True,
                checks: bool = True, timeout: float = 60.0) -> Propagation:
    """Sample the scenario and evaluate its chain in chunks on a backend.

    Parameters
    ----------
    scenario
        A scenario, or a built-in name / TOML path.
    n, seed, method
        Samples, seed and sampling method (default: the scenario's ``[study]`` table).
    with_cell
        Include the scenario's cell model.
    chunk_size
        Samples per task (default :data:`DEFAULT_CHUNK_SIZE`).
    scheduler
        ``"tcp://HOST:PORT"`` of a Dask scheduler (or a ``distributed.Client``); None runs
        on local processes.
    workers
        Local processes (default: all cores; 1 = in this process). Ignored with Dask.
    checkpoint
        A folder (or :class:`~celltwin.analysis.uq.checkpoint.Checkpoint`) where each
        finished chunk is written as it arrives.
    resume
        Keep the chunks already in ``checkpoint`` (after an interrupt) and evaluate only
        the missing ones; the scenario, samples, seed and chunk size must match.
    progress
        Called as ``progress(chunks done, chunks in all)``.
    mark_failed
        Mark samples whose performance output is not finite (failed cell simulations)
        invalid with their reason (see :func:`evaluate_frame`).
    timeout
        On Dask: seconds without any worker before the run fails with a clear error
        (finished chunks stay in the checkpoint for ``resume``).
    checks
        Run :func:`preflight` first: refuse a run that does not fit in memory, warn about
        settings that reject many samples.
    """
    sc = ElectrodeScenario.resolve(scenario)
    check_scheduler(scheduler)
    n = schema.integer("samples", n if n is not None else sc.study["samples"], 1)
    seed = schema.integer("seed", seed if seed is not None else sc.study["seed"], 0, schema.MAX_SEED)
    method = method or sc.study["method"]
    chunk_size = schema.integer("chunk_size", DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size, 1)
    if checks:
        preflight(sc, n, seed=seed)
    started = time.time()
    t0 = time.perf_counter()
    bounds = chunk_bounds(n, chunk_size)
    inputs = sc.sample(n, seed, method)  # sample first, then split: chunking cannot change the draws
    t_sample = time.perf_counter() - t0
    key = scenario_fingerprint(sc, with_cell)

    store = None
    results: dict[int, ChunkResult] = {}
    if checkpoint is not None:
        store = checkpoint if isinstance(checkpoint, Checkpoint) else Checkpoint(checkpoint)
        plan = {"scenario": key, "samples": n, "seed": seed, "method": method, "chunk_size": chunk_size,
                "chunks": len(bounds), "with_cell": bool(with_cell), "mark_failed": bool(mark_failed),
                "name": sc.name}
        for i in store.start(plan, resume=resume):
            chunk = store.read(i, rows=bounds[i][1] - bounds[i][0])
            if chunk is not None:  # a damaged chunk is computed again
                results[i] = chunk
    reused = len(results)
    todo = [i for i in range(len(bounds)) if i not in results]
    report = progress or (lambda done, total: None)
    report(reused, len(bounds))
    with (backend(scheduler, workers, timeout=timeout) if todo else SerialBackend()) as be:
        tasks = ((sc, inputs.iloc[a:b], i, with_cell, key, mark_failed) for i, (a, b) in enumerate(bounds)
                 if i not in results)
        for res in be.map(evaluate_chunk, tasks):
            results[res.index] = res
            if store is not None:
                store.write(res)
            report(len(results), len(bounds))
        described = be.describe()

    frame = pd.concat([results[i].frame for i in range(len(bounds))])
    frame.index = pd.RangeIndex(len(frame))
    rejections: dict[str, int] = {}
    step_seconds: dict[str, float] = {"sampling": t_sample}
    failures: dict[str, int] = {}
    for r in results.values():
        for d, src in ((rejections, r.rejections), (step_seconds, r.step_seconds), (failures, r.failures)):
            for k, v in src.items():
                d[k] = d.get(k, 0) + v
    execution = {
        "backend": described, "chunk_size": chunk_size, "chunks": len(bounds), "computed_chunks": len(todo),
        "reused_chunks": reused, "wall_seconds": time.perf_counter() - t0, "started": started,
        "finished": time.time(), "step_seconds": step_seconds, "failures": failures, "seed": seed,
        "samples": n, "method": method, "workers": sorted({r.worker for r in results.values()})}
    if store is not None:
        store.finish()
    return Propagation(frame, rejections, failures, execution, _units(sc, frame))


def propagate(scenario: Scenario | str, n: int | None = None, seed: int | None = None, *,
              method: str | None = None, with_cell: bool = True) -> pd.DataFrame:
    """Sample the scenario and evaluate the whole chain in this process, one row per sample.

    Samples outside the valid range of any parameter, and failed cell simulations, are kept
    as rows with NaN outputs, ``valid = False`` and their reason in ``rejected``; nothing is
    clipped. :func:`monte_carlo` gives the same rows with the counts and the run's record.
    """
    return monte_carlo(scenario, n, seed, method=method, with_cell=with_cell, workers=1,
                       chunk_size=max(1, int(n or ElectrodeScenario.resolve(scenario).study["samples"]))).frame


class CommonRandomNumbers:
    """Seeded samples of a scenario whose nominal values or spreads are changed, always from
    the same underlying uniforms (same ``n``, ``seed``, ``method``): common random numbers.

    ``evaluate(values, scales)`` varies the scenario (:meth:`Scenario.varied`) and runs
    :func:`evaluate_frame` on its sample; ``evaluations`` counts sample points.
    """

    def __init__(self, sc: Scenario, n: int = 2000, seed: int | None = None, method: str = "mc",
                 with_cell: bool = False):
        self.sc, self.n, self.method = sc, int(n), method
        self.seed = int(seed if seed is not None else sc.study["seed"])
        self.chain = sc.build_chain(with_cell=with_cell)
        self.evaluations = 0
        self.calls = 0

    def evaluate(self, values: Mapping[str, float] | None = None, scales: Mapping[str, float] | None = None,
                 stds: Mapping[str, float] | None = None) -> Propagation:
        varied = self.sc.varied(values, scales=scales, stds=stds)
        self.evaluations += self.n
        self.calls += 1
        res = evaluate_frame(self.chain, varied.sample(self.n, self.seed, self.method))
        return Propagation(res.frame, res.rejections, res.failures)


def _units(sc: Scenario, frame: pd.DataFrame) -> dict[str, str]:
    return {c: sc.catalog[c].unit for c in frame.columns if c in sc.catalog}
