"""Execution backends: where independent tasks run.

In the calling process (:class:`SerialBackend`), on a pool of local processes
(:class:`LocalBackend`, the embedded default: nothing to set up) or on an existing Dask
distributed cluster (:class:`DaskBackend`, ``"tcp://HOST:PORT"``). All three expose one
method, ``map(fn, tasks)``, yielding ``fn(*args)`` for each task in completion order, so
a caller (Monte Carlo chunks, DEM runs of a design of experiments) writes its loop once.
Nothing here knows about batteries.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from .errors import MissingDependencyError, ParameterError, SolverError

#: how long to wait for a Dask scheduler to answer
CONNECT_TIMEOUT = "20s"


def chunk_bounds(n: int, chunk_size: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` covering ``range(n)`` in pieces of ``chunk_size``."""
    if n < 1:
        raise ParameterError(f"samples = {n} must be at least 1")
    if chunk_size < 1:
        raise ParameterError(f"chunk_size = {chunk_size} must be at least 1")
    return [(a, min(a + chunk_size, n)) for a in range(0, n, chunk_size)]


class Backend:
    """Where tasks run. ``map`` yields ``fn(*args)`` results in completion order."""

    name = "serial"
    workers = 1

    def map(self, fn: Callable, tasks: Iterable[tuple]) -> Iterator[Any]:
        for args in tasks:
            yield fn(*args)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def describe(self) -> str:
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"


class SerialBackend(Backend):
    """In the calling process: no pickling, no start-up (and the reference for speed-ups)."""


class LocalBackend(Backend):
    """A pool of local processes (``concurrent.futures``), started from a clean
    ``forkserver`` so that threads of the calling process (OpenMP, PyBaMM) never leak
    into a forked worker."""

    name = "local"

    def __init__(self, workers: int | None = None):
        import multiprocessing as mp

        self.workers = int(workers or os.cpu_count() or 1)
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["celltwin"])
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)

    def map(self, fn, tasks):
        from concurrent.futures.process import BrokenProcessPool

        futures = [self._pool.submit(fn, *args) for args in tasks]
        try:
            for fut in as_completed(futures):
                try:
                    yield fut.result()
                except BrokenProcessPool as exc:
                    raise SolverError(
                        "a local worker process died before finishing its chunk (out of memory, killed, or a "
                        "script that starts workers without the `if __name__ == \"__main__\":` guard, which "
                        "multiprocessing needs); finished chunks are kept if a checkpoint was given, rerun with "
                        "resume=True / --resume") from exc
        finally:
            for fut in futures:
                fut.cancel()

    def close(self):
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskBackend(Backend):
    """Chunks sent to an existing Dask distributed cluster (``tcp://HOST:PORT``), or to a
    :class:`distributed.Client` the caller already holds."""

    name = "dask"

    def __init__(self, scheduler: Any):
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - distributed is a dependency
            raise MissingDependencyError("the Dask backend needs 'distributed': pip install distributed") from exc
        if isinstance(scheduler, Client):
            self.client, self._own = scheduler, False
        else:
            try:
                self.client, self._own = Client(str(scheduler), timeout=CONNECT_TIMEOUT), True
            except OSError as exc:
                raise ParameterError(f"scheduler = {scheduler!r}: no Dask scheduler answers there ({exc}); "
                                     "start one with 'dask scheduler' and 'dask worker ADDRESS'") from None
        self.address = str(getattr(self.client.scheduler, "address", scheduler))
        self.workers = max(1, sum(w.get("nthreads", 1)
                                  for w in self.client.scheduler_info(n_workers=-1)["workers"].values()))

    def describe(self) -> str:
        return f"dask {self.address} ({self.workers} worker threads)"

    def map(self, fn, tasks):
        from distributed import as_completed as dask_completed

        # pure=False: identical chunks are still evaluated (and timed) separately
        futures = [self.client.submit(fn, *args, pure=False, key=f"celltwin-task-{i}-{os.urandom(4).hex()}")
                   for i, args in enumerate(tasks)]
        try:
            for fut in dask_completed(futures):
                yield fut.result()
        finally:
            self.client.cancel(futures)

    def close(self):
        if self._own:
            self.client.close()


def backend(scheduler: Any = None, workers: int | None = None) -> Backend:
    """The backend for a run: Dask if ``scheduler`` is given, else local processes
    (``workers=1`` runs in the calling process)."""
    if scheduler:
        return DaskBackend(scheduler)
    if workers is not None and workers < 1:
        raise ParameterError(f"workers = {workers} must be at least 1")
    if workers == 1:
        return SerialBackend()
    return LocalBackend(workers)
