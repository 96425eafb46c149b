"""A scenario's Monte Carlo sample evaluated in chunks on an execution backend
(:mod:`celltwin.platform.execution`): this process, local processes, or an existing
Dask distributed cluster.

The whole sample is drawn first, in the calling process, and only then split into
chunks, so neither the chunk size nor the backend nor the number of workers can change
which values are sampled: a run gives the same frame, bit for bit, as
:func:`celltwin.analysis.propagation.propagate` with the same seed. Every chunk is
evaluated by :func:`evaluate_chunk`, which keeps per-step timings and turns an exception
inside a chunk into rejected rows with their reason, so a long run carries on.

Finished chunks can be written to a :class:`~celltwin.analysis.checkpoint.Checkpoint`
as they arrive; a resumed run then evaluates only the chunks that are missing.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..platform.execution import Backend, DaskBackend, LocalBackend, SerialBackend, backend, chunk_bounds
from ..platform.scenario import Scenario

__all__ = ["propagate_chunked", "evaluate_chunk", "ChunkResult", "scenario_fingerprint", "DEFAULT_CHUNK_SIZE",
           # the backends, re-exported from celltwin.platform.execution
           "Backend", "SerialBackend", "LocalBackend", "DaskBackend", "backend", "chunk_bounds"]

#: default number of samples per chunk: large enough to amortise the per-task overhead
#: (a pickled scenario and a frame), small enough to keep both workers busy to the end
DEFAULT_CHUNK_SIZE = 256


# -- work done in a worker -----------------------------------------------------------------
@dataclass
class ChunkResult:
    """One evaluated chunk: the rows (inputs, outputs, ``valid``, ``rejected``) and its record."""

    index: int
    frame: pd.DataFrame
    rejections: dict[str, int]
    step_seconds: dict[str, float]
    failures: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    worker: str = ""


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
    """Evaluate the chain on one chunk of sampled inputs (runs inside a worker).

    With ``mark_failed`` a sample whose performance output is not finite (a failed cell
    simulation) is marked invalid with its reason, as :func:`celltwin.analysis.study.monte_carlo`
    does; without it the rows equal those of ``propagate``.

    An exception that escapes the chain (a crashed solver, say) does not end the run:
    every row of the chunk is marked invalid with the exception as its reason.
    """
    t0 = time.perf_counter()
    chain, clock = _timed_chain(scenario, with_cell, key or scenario_fingerprint(scenario, with_cell))
    clock.clear()
    frame = inputs.copy()
    failures: dict[str, int] = {}
    try:
        result = chain.evaluate({k: inputs[k].to_numpy() for k in inputs.columns if k != "segment"},
                                on_invalid="mask")
        for name in chain.outputs:
            frame[name] = result[name]
        valid, reasons = result.valid.copy(), result.reasons.copy()
        rejections = dict(result.rejections)
        if mark_failed:  # the rule of celltwin.analysis.study.monte_carlo, row by row
            for name in [o for o in chain.outputs if scenario.catalog[o].domain == "performance"]:
                failed = valid & ~np.isfinite(np.asarray(result[name], dtype=float))
                if failed.any():
                    key = f"{name}: cell simulation failed"
                    rejections[key] = rejections.get(key, 0) + int(failed.sum())
                    reasons[failed] = key
                    valid &= ~failed
        frame["valid"] = valid
        frame["rejected"] = reasons
        for c in chain.containers:  # failures a numerical container recorded itself (NaN outputs)
            lost = getattr(c, "last_failures", None)
            if lost is not None and len(lost):
                for reason, count in lost["reason"].astype(str).value_counts().items():
                    failures[f"{c.name}: {reason}"] = failures.get(f"{c.name}: {reason}", 0) + int(count)
    except Exception as exc:  # noqa: BLE001 - recorded with its reason, the run carries on
        reason = f"chunk failed: {type(exc).__name__}: {exc}"
        for name in chain.outputs:
            frame[name] = np.nan
        frame["valid"] = False
        frame["rejected"] = reason
        rejections = {f"chunk failed: {type(exc).__name__}": len(frame)}
    frame["rejected"] = frame["rejected"].astype("str")
    return ChunkResult(index, frame, rejections, dict(clock), failures,
                       time.perf_counter() - t0, f"{os.uname().nodename}:{os.getpid()}")


# -- a whole run -----------------------------------------------------------------------------
def propagate_chunked(scenario: Scenario | str, n: int | None = None, seed: int | None = None, *,
                      method: str | None = None, with_cell: bool = True, chunk_size: int | None = None,
                      scheduler: Any = None, workers: int | None = None, checkpoint: Any = None,
                      resume: bool = False, progress: bool | Callable[[int, int], None] = False,
                      mark_failed: bool = True) -> pd.DataFrame:
    """:func:`~celltwin.analysis.propagation.propagate`, evaluated in chunks on a backend.

    Parameters
    ----------
    scenario, n, seed, method, with_cell
        As for ``propagate``; the result is the same frame for the same seed.
    chunk_size
        Samples per task (default :data:`DEFAULT_CHUNK_SIZE`).
    scheduler
        ``"tcp://HOST:PORT"`` of a Dask scheduler (or a ``distributed.Client``); None runs
        on local processes.
    workers
        Local processes (default: all cores; 1 = in this process). Ignored with Dask.
    checkpoint
        A folder (or :class:`~celltwin.analysis.checkpoint.Checkpoint`) where each finished
        chunk is written as it arrives.
    resume
        Keep the chunks already in ``checkpoint`` (after an interrupt) and evaluate only
        the missing ones; the scenario, samples, seed and chunk size must match.
    progress
        True for a rich progress bar, or a callable ``(chunks done, chunks in all)``.
    mark_failed
        Mark samples whose performance output is not finite (failed cell simulations)
        invalid with their reason, as the study does (see :func:`evaluate_chunk`).

    The frame's ``attrs`` hold ``rejections`` and ``execution``: backend, chunks computed
    and reused, wall time, summed per-step seconds and failure counts.
    """
    from .checkpoint import Checkpoint

    sc = Scenario.load(scenario) if isinstance(scenario, str) else scenario
    n = int(n if n is not None else sc.study["samples"])
    seed = int(seed if seed is not None else sc.study["seed"])
    method = method or sc.study["method"]
    chunk_size = int(chunk_size or DEFAULT_CHUNK_SIZE)
    started = time.time()
    t0 = time.perf_counter()
    inputs = sc.sample(n, seed, method)  # sample first, then split: chunking cannot change the draws
    t_sample = time.perf_counter() - t0
    bounds = chunk_bounds(n, chunk_size)
    key = scenario_fingerprint(sc, with_cell)

    store = None
    results: dict[int, ChunkResult] = {}
    if checkpoint is not None:
        store = checkpoint if isinstance(checkpoint, Checkpoint) else Checkpoint(checkpoint)
        plan = {"scenario": key, "samples": n, "seed": seed, "method": method, "chunk_size": chunk_size,
                "chunks": len(bounds), "with_cell": bool(with_cell), "mark_failed": bool(mark_failed),
                "name": sc.name}
        for i in store.start(plan, resume=resume):
            results[i] = store.read(i)
    reused = len(results)
    todo = [i for i in range(len(bounds)) if i not in results]

    bar, report = _progress(progress, len(bounds), reused)
    with (backend(scheduler, workers) if todo else SerialBackend()) as be:
        tasks = ((sc, inputs.iloc[a:b], i, with_cell, key, mark_failed) for i, (a, b) in enumerate(bounds) if i not in results)
        try:
            for res in be.map(evaluate_chunk, tasks):
                results[res.index] = res
                if store is not None:
                    store.write(res)
                report(len(results))
        finally:
            if bar is not None:
                bar.stop()
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
    frame.attrs["rejections"] = rejections
    frame.attrs["n"] = len(frame)
    frame.attrs["execution"] = {
        "backend": described, "chunk_size": chunk_size, "chunks": len(bounds), "computed_chunks": len(todo),
        "reused_chunks": reused, "wall_seconds": time.perf_counter() - t0, "started": started,
        "finished": time.time(), "step_seconds": step_seconds, "failures": failures, "seed": seed,
        "samples": n, "method": method, "workers": sorted({r.worker for r in results.values()})}
    if store is not None:
        store.finish()
    return frame


def _progress(progress, total: int, done: int):
    if callable(progress):
        return None, lambda k: progress(k, total)
    if not progress:
        return None, lambda k: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), transient=False)
    task = bar.add_task("chunks", total=total, completed=done)
    bar.start()
    return bar, lambda k: bar.update(task, completed=k)
