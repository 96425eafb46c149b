"""The ``celltwin`` command: one module per area, each a typer app whose commands are added here.

Every command follows one pattern (see :mod:`celltwin.cli.common`): a
:class:`~celltwin.platform.errors.CelltwinError` raised in its body ends in
:func:`~celltwin.cli.common.fail`, one line on stderr and exit code 2.
"""
from __future__ import annotations

import typer

from . import bpx, dem, design, measurements, scenario, store, structure, study

__all__ = ["app"]

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="celltwin: digital twin of a battery electrode production line.")


def _version(value: bool) -> None:
    if value:
        from .._version import __version__

        typer.echo(f"celltwin {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="print the version and exit")) -> None:
    """celltwin: digital twin of a battery electrode production line."""


for area in (scenario, study, structure, dem, design, measurements, store, bpx):  # the order of `celltwin --help`
    app.add_typer(area.app)
