"""Read and validate BPX files (the ``bpx`` package, then PyBaMM), shared by the parameter sets and the export."""
from __future__ import annotations

from pathlib import Path

from ..platform.errors import MissingDependencyError, ParameterError
from ._pybamm import import_pybamm


def import_bpx():
    """The ``bpx`` module, or a message saying how to install it."""
    try:
        import bpx
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MissingDependencyError("BPX files need the bpx package: pip install 'bpx>=1.1'") from exc
    return bpx


def validate_bpx(path: str | Path) -> None:
    """Check a file with ``bpx``'s own parser; a ParameterError says what is wrong."""
    try:
        import_bpx().parse_bpx_file(str(path))
    except Exception as exc:  # noqa: BLE001 - pydantic or JSON errors, reported with the file
        raise ParameterError(f"BPX file {str(path)!r} is not valid BPX: {exc}", parameter="bpx",
                             value=str(path)) from None


def read_bpx(path: str | Path):
    """PyBaMM ``ParameterValues`` of a BPX file, validated by ``bpx`` first."""
    validate_bpx(path)
    return import_pybamm().ParameterValues.create_from_bpx(str(path))
