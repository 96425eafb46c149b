"""Chunked, failure-isolated solves of one built PyBaMM simulation over many input sets.

PyBaMM's IDAKLU solver integrates a list of input sets on several threads, but fails the
whole call when one set fails. :func:`solve_isolated` then re-runs each set alone, so one
bad sample costs its own result and not its chunk's.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence


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
