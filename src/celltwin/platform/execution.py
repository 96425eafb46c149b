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
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from .errors import MissingDependencyError, ParameterError, SolverError
from .schema import integer

#: how long to wait for a Dask scheduler to answer
CONNECT_TIMEOUT = "20s"
#: how often a Dask run checks that its workers are still there (s)
POLL_SECONDS = 1.0


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

    def __init__(self, scheduler: Any, *, worker_timeout: float = 60.0, task_timeout: float | None = None):
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - distributed is a dependency
            raise MissingDependencyError("the Dask backend needs 'distributed': pip install distributed") from exc
        for key, v in (("worker_timeout", worker_timeout), ("task_timeout", task_timeout)):
            if v is not None and not (isinstance(v, int | float) and v > 0):
                raise ParameterError(f"{key} = {v!r} s must be positive", parameter=key, value=v, unit="s",
                                     valid="(0, inf)")
        self.worker_timeout, self.task_timeout = float(worker_timeout), task_timeout
        if not isinstance(scheduler, Client):
            check_scheduler(scheduler)
        if isinstance(scheduler, Client):
            self.client, self._own = scheduler, False
        else:
            try:
                self.client, self._own = Client(str(scheduler), timeout=CONNECT_TIMEOUT), True
            except (OSError, ValueError, TypeError) as exc:
                raise ParameterError(f"scheduler = {scheduler!r}: no Dask scheduler answers there ({exc}); "
                                     "start one with 'dask scheduler' and 'dask worker ADDRESS'",
                                     parameter="scheduler", value=scheduler) from None
        self.address = str(getattr(self.client.scheduler, "address", scheduler))
        self.workers = max(1, sum(w.get("nthreads", 1)
                                  for w in self.client.scheduler_info(n_workers=-1)["workers"].values()))

    def describe(self) -> str:
        return f"dask {self.address} ({self.workers} worker threads)"

    def map(self, fn, tasks):
        """Yield results as tasks finish. A run never waits forever: with no worker for
        ``worker_timeout`` seconds, a lost scheduler, or (if set) no task finishing for
        ``task_timeout`` seconds, it raises :class:`SolverError` saying what happened; the
        caller keeps every result it was given (checkpointed chunks survive for a resume)."""
        from distributed import wait

        # pure=False: identical chunks are still evaluated (and timed) separately
        pending = {self.client.submit(fn, *args, pure=False, key=f"celltwin-task-{i}-{os.urandom(4).hex()}")
                   for i, args in enumerate(tasks)}
        all_futures = list(pending)
        last_progress = last_worker = time.monotonic()
        try:
            while pending:
                done, pending = self._wait(wait, pending)
                now = time.monotonic()
                for fut in done:
                    last_progress = now
                    yield fut.result()
                if done:
                    continue
                if self._has_workers():
                    last_worker = now
                elif now - last_worker > self.worker_timeout:
                    raise SolverError(f"the Dask cluster at {self.address} has had no worker for "
                                      f"{self.worker_timeout:g} s (all workers lost); {len(pending)} task(s) did "
                                      "not finish. Finished chunks are kept if a checkpoint was given: restart "
                                      "workers and rerun with resume=True / --resume")
                if self.task_timeout is not None and now - last_progress > self.task_timeout:
                    raise SolverError(f"no task finished on the Dask cluster at {self.address} for "
                                      f"{self.task_timeout:g} s (a stalled task); {len(pending)} task(s) pending. "
                                      "Finished chunks are kept if a checkpoint was given: rerun with "
                                      "resume=True / --resume")
        finally:
            self.client.cancel(all_futures)

    def _wait(self, wait, pending):
        try:
            done, rest = wait(pending, timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return set(), pending
        except OSError as exc:
            raise SolverError(f"lost the Dask scheduler at {self.address} ({exc}); finished chunks are kept "
                              "if a checkpoint was given: rerun with resume=True / --resume") from exc
        return set(done), set(rest)

    def _has_workers(self) -> bool:
        try:
            return bool(self.client.scheduler_info(n_workers=-1).get("workers"))
        except (OSError, TimeoutError) as exc:
            raise SolverError(f"lost the Dask scheduler at {self.address} ({exc}); finished chunks are kept "
                              "if a checkpoint was given: rerun with resume=True / --resume") from exc

    def close(self):
        if self._own:
            self.client.close()


def check_scheduler(scheduler: Any) -> None:
    """Refuse, before any work, a scheduler that is not ``None``, a ``distributed.Client`` or an
    address ``PROTOCOL://...`` (``tcp://HOST:PORT``, or Dask's ``inproc://`` in tests)."""
    if scheduler is None or type(scheduler).__name__ == "Client":
        return
    if not (isinstance(scheduler, str) and "://" in scheduler and scheduler.split("://", 1)[1]):
        raise ParameterError(f"scheduler = {scheduler!r} is not a Dask scheduler address; write tcp://HOST:PORT",
                             parameter="scheduler", value=scheduler)


def backend(scheduler: Any = None, workers: int | None = None, *, timeout: float = 60.0) -> Backend:
    """The backend for a run: Dask if ``scheduler`` is given (``timeout``: seconds without a
    worker before the run fails), else local processes (``workers=1`` runs in this process)."""
    if scheduler:
        return DaskBackend(scheduler, worker_timeout=timeout)
    if workers is not None:
        workers = integer("workers", workers, 1)
    if workers == 1:
        return SerialBackend()
    return LocalBackend(workers)
