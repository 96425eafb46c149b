"""What every command shares: the consoles, errors, ``--set`` overrides, scenarios, progress bars.

The one pattern of a command::

    @app.command("chain")
    @catches()
    def chain_cmd(...):
        sc = load_scenario(scenario, set_)   # a CelltwinError anywhere in the body ends in fail()
        ...

:func:`catches` turns a :class:`~celltwin.platform.errors.CelltwinError` into :func:`fail`:
one line ``error: MESSAGE`` on stderr and exit code 2 (or the code given for its class).
Library messages speak of parameters; :data:`FLAGS` maps an error's ``parameter`` field to
the flag a user of the command line types, and :func:`fail` names it.
"""
from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import typer
from rich.console import Console
from rich.markup import escape

from ..platform.errors import CelltwinError, ParameterError

if TYPE_CHECKING:
    from ..containers import ElectrodeScenario

#: standard output: tables and results
console = Console(soft_wrap=True)  # paths and messages stay whole, copyable
#: standard error: errors, warnings, progress bars
err = Console(stderr=True)

#: an error's ``parameter`` field -> the command-line flag that sets it
FLAGS: dict[str, str] = {
    "targets": "--target",
    "free": "--free",
    "specs": "--spec",
    "samples": "--samples",
    "limit": "--limit",
    "n": "--samples",
    "seed": "--seed",
    "workers": "--workers",
    "scheduler": "--scheduler",
    "store": "--store",
    "output": "--output",
    "overwrite": "--overwrite",
    "confidence": "--confidence",
    "level": "--level",
    "noise": "--noise",
    "rtol": "--rtol",
    "test_fraction": "--test-fraction",
    "candidates": "--candidate",
}

#: exit code of a command that fails on its input (typer's usage errors use it too)
EXIT_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])


def flag_of(exc: BaseException) -> str | None:
    """The command-line flag an error's ``parameter`` field names, or ``None``."""
    parameter = getattr(exc, "parameter", None)
    return FLAGS.get(parameter) if isinstance(parameter, str) else None


def error_text(exc: BaseException) -> str:
    """The message of an error, with ``(flag --X)`` appended when it names a parameter that is a flag."""
    text = str(exc)
    flag = flag_of(exc)
    in_file = str(getattr(exc, "path", "") or "").startswith("[")  # a key of a scenario file, not a flag
    if flag and flag not in text and not in_file:
        text += f" (flag {flag})"
    return text


def fail(exc: BaseException, code: int = EXIT_ERROR) -> NoReturn:
    """Print ``error: MESSAGE`` on stderr (no traceback) and leave with ``code``."""
    err.print(f"[bold red]error:[/] {escape(error_text(exc))}", soft_wrap=True)  # one line, however long
    raise typer.Exit(code)


def catches(*also: type[BaseException], codes: Mapping[type[BaseException], int] | None = None) -> Callable[[F], F]:
    """Decorator of a command: a :class:`CelltwinError` (or an error of a class in ``also``)
    raised in its body ends in :func:`fail`, with exit code 2 or the code that ``codes`` gives
    for the error's class (the first class that matches, in order)."""
    kinds: tuple[type[BaseException], ...] = (CelltwinError, *also)

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return command(*args, **kwargs)
            except kinds as exc:
                code = next((c for cls, c in (codes or {}).items() if isinstance(exc, cls)), EXIT_ERROR)
                fail(exc, code)

        return run  # type: ignore[return-value]

    return decorate


def parse_sets(sets: list[str] | None) -> dict[str, float]:
    """``--set NAME=VALUE`` items -> {name: value}."""
    out = {}
    for item in sets or []:
        if "=" not in item:
            raise ParameterError(f"--set {item!r}: write NAME=VALUE, e.g. --set q_L=90")
        name, value = item.split("=", 1)
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ParameterError(f"--set {item!r}: value {value!r} is not a number") from None
    return out


def load_scenario(name: str, sets: list[str] | None = None) -> ElectrodeScenario:
    """A built-in scenario or TOML file, with the ``--set NAME=VALUE`` overrides applied."""
    from ..containers import ElectrodeScenario

    sc = cast("ElectrodeScenario", ElectrodeScenario.load(name))
    overrides = parse_sets(sets)
    return cast("ElectrodeScenario", sc.with_values(**overrides)) if overrides else sc


@contextlib.contextmanager
def progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A rich bar on stderr, one row per stage, fed by a computation's ``progress(stage, done, total)`` callback."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    tasks: dict[str, Any] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=False) as bar:
        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (numpy numbers as floats)."""
    sys.stdout.write(json.dumps(data, indent=1, default=float) + "\n")
