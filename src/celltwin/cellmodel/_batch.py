"""Chunked, failure-isolated solves of one built PyBaMM simulation over many input sets.

PyBaMM's IDAKLU solver integrates a list of input sets on several threads, but fails the
whole call when one set fails. :func:`solve_isolated` then re-runs each set alone, so one
bad sample costs its own result and not its chunk's.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from ..platform.errors import ParameterError, SolverError

#: "auto" compiles the model for batches of at least this many samples.
COMPILE_MIN_SAMPLES = 1000
T = TypeVar("T")


def wants_compile(option, n_samples: int) -> bool:
    """The ``compile`` option resolved: "auto" compiles large batches when gcc is on the PATH."""
    if option != "auto":
        return bool(option)
    return n_samples >= COMPILE_MIN_SAMPLES and shutil.which("gcc") is not None


def build(cls: Callable[..., T], settings, what: str) -> T:
    """``cls(settings)``; a PyBaMM failure while building becomes a SolverError naming ``what``."""
    try:
        return cls(settings)
    except ParameterError:
        raise
    except Exception as exc:  # a PyBaMM failure while building is not the user's input
        raise SolverError(f"could not build the PyBaMM {what} for {settings}: {exc}") from exc


def solve_isolated(sim, t_span: Sequence[float], inputs: Sequence[Mapping]) -> list:
    """One PyBaMM solution per input set, or the failure reason (a string) of a set that fails alone."""
    try:
        sols = sim.solve(list(t_span), inputs=list(inputs))
        return sols if isinstance(sols, list) else [sols]
    except Exception:  # one bad sample fails the batch: isolate it
        out = []
        for row in inputs:
            try:
                out.append(sim.solve(list(t_span), inputs=row))
            except Exception as exc:  # noqa: BLE001 - recorded, the run carries on
                out.append(failure_reason(exc))
        return out


def failure_reason(exc: Exception) -> str:
    """A solver exception as a one-line failure reason: its type and its message."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"
