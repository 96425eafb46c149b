"""The ``celltwin`` command: one module per area, each a typer app whose commands are added here.

Every command follows one pattern (see :mod:`celltwin.cli.common`): a
:class:`~celltwin.platform.errors.CelltwinError` raised in its body ends in
:func:`~celltwin.cli.common.fail`, one line on stderr and exit code 2.
"""
from __future__ import annotations

import typer
from rich.markup import escape

from . import app as app_cmd
from . import bpx, dem, design, measurements, scenario, store, structure, study

__all__ = ["app", "main"]

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


for area in (scenario, study, structure, dem, design, measurements, store, bpx,
             app_cmd):  # the order of `celltwin --help`
    app.add_typer(area.app)


def _with_exit_codes(typer_app: typer.Typer) -> None:
    """Every command's ``--help`` ends with the exit codes (set here once, for every area's commands)."""
    from .common import EPILOG

    typer_app.info.epilog = typer_app.info.epilog or EPILOG
    for command in typer_app.registered_commands:
        command.epilog = command.epilog or EPILOG
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _with_exit_codes(group.typer_instance)


def main() -> None:
    """The console entry point: ``app``, with the parser's own usage errors (an option value it
    cannot read, a missing argument) in celltwin's one-line form, exit code 2."""
    import sys

    from .common import err

    # typer's usage errors derive from BadParameter's base (typer vendors click; the base is not exported)
    usage_error = typer.BadParameter.__mro__[1]
    try:
        code = app(standalone_mode=False)
    except usage_error as exc:
        if not exc.format_message():  # no arguments at all: the help was printed
            sys.exit(exc.exit_code)
        ctx = getattr(exc, "ctx", None)
        path = ctx.command_path.split(" ", 1) if ctx is not None else []
        hint = f" (see celltwin {path[1]} -h)" if len(path) > 1 else " (see celltwin -h)"
        err.print(f"[bold red]error:[/] {escape(exc.format_message())}{hint}", soft_wrap=True)
        sys.exit(2)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


_with_exit_codes(app)  # last: after every area (and any added above) is registered
