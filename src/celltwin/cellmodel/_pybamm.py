"""Import PyBaMM lazily, with its telemetry off, or say how to install it."""
from __future__ import annotations

import os


def import_pybamm():
    """The ``pybamm`` module; telemetry (posthog) is disabled before the first import.

    PyBaMM 26 reads ``PYBAMM_DISABLE_TELEMETRY`` (any value but "false" disables it) in
    ``pybamm.config``; a user who set it explicitly keeps their choice.
    """
    os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")
    try:
        import pybamm
    except ImportError as exc:  # pragma: no cover - pybamm is a declared dependency
        from ..platform.errors import MissingDependencyError
        raise MissingDependencyError("the cell model needs PyBaMM >= 25.1 with its IDAKLU solver: "
                                     "pip install 'pybamm>=25.1'") from exc
    return pybamm
