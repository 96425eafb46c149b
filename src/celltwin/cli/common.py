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
#: exit code of ``inverse`` when the free parameters cannot reach a target
EXIT_UNREACHABLE = 3

#: every exit code of ``celltwin``, for the ``--help`` epilog and docs/cli.md
EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "an unexpected error (a bug: the traceback is printed; please report it)",
    EXIT_ERROR: "bad input: a usage error or a refused value (one line 'error: ...' on stderr)",
    EXIT_UNREACHABLE: "inverse: a target the free parameters cannot reach (the closest point is printed)",
    130: "interrupted (Ctrl-C)",
}
#: the epilog of ``celltwin --help`` and of every command's help
EPILOG = "Exit codes: " + "; ".join(f"{code} {text.split(' (')[0]}" for code, text in EXIT_CODES.items()) + "."

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
    """``data`` as indented JSON on stdout (numpy numbers as numbers, times and paths as text)."""
    sys.stdout.write(json.dumps(data, indent=1, default=_json_value) + "\n")


def _json_value(value: Any) -> Any:
    if hasattr(value, "item") and not hasattr(value, "isoformat"):  # a numpy scalar
        return value.item()
    if hasattr(value, "tolist"):  # a numpy array
        return value.tolist()
    return str(value)


@contextlib.contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner with the elapsed time on stderr while a computation without a progress callback runs
    (an optimiser: its number of steps is not known in advance)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    if not err.is_terminal:  # a log or a pipe: a spinner leaves only blank lines there
        yield
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        bar.add_task(message, total=None)
        yield


def print_table(table: Any) -> None:
    """Print a rich table so that it stays readable in a narrow terminal (e.g. 80 columns).

    Cells wrap at their spaces, never inside a word or number (rich would otherwise cut a token
    to share the width, or end it in "…"). A table whose words cannot all fit side by side is
    split into several tables of fewer columns, each repeating the first (key) column, as pandas
    prints a wide frame; a table that cannot fit even so is printed as ``column  value`` blocks.
    """
    words = _longest_words(table)
    for column, word in zip(table.columns, words, strict=True):
        column.overflow = "fold"
        column.min_width = max(column.min_width or 0, word)
    pad = table.padding[1] + table.padding[3]
    need = [w + pad + (1 if table.box else 0) for w in words]  # a column with its separator
    edge = 1 if table.box else 0
    if edge + sum(need) <= console.width:
        console.print(table)
        return
    groups: list[list[int]] = []
    for j in range(1, len(need)):
        if groups and edge + need[0] + sum(need[k] for k in groups[-1]) + need[j] <= console.width:
            groups[-1].append(j)
        else:
            groups.append([j])
    if all(edge + need[0] + sum(need[k] for k in g) <= console.width for g in groups):
        for n, group in enumerate(groups, 1):
            console.print(_columns(table, [0, *group], f"{table.title or ''} ({n}/{len(groups)})".strip()))
        return
    _print_vertical(table)


def _columns(table: Any, keep: list[int], title: str) -> Any:
    """A copy of ``table`` with only the columns ``keep`` (their headers, widths and cells, row styles)."""
    from rich.table import Table

    out = Table(title=title, box=table.box, padding=table.padding, show_header=table.show_header)
    for k in keep:
        c = table.columns[k]
        out.add_column(c.header, overflow="fold", min_width=c.min_width, justify=c.justify, style=c.style,
                       no_wrap=c.no_wrap)
    cells = [list(table.columns[k].cells) for k in keep]
    for i, row in enumerate(table.rows):
        out.add_row(*(col[i] for col in cells), style=row.style)
    return out


def _print_vertical(table: Any) -> None:
    """One block per row, ``column  value`` per line (for a table too wide for any column split)."""
    from rich import box
    from rich.table import Table

    if table.title:
        console.print(table.title, style="italic")
    cells = [list(column.cells) for column in table.columns]
    for i in range(table.row_count):
        block = Table(show_header=False, box=box.SIMPLE, pad_edge=False)
        block.add_column(style="bold", overflow="fold")
        block.add_column(overflow="fold")
        for column, values in zip(table.columns, cells, strict=True):
            block.add_row(column.header, values[i])
        console.print(block)


def _longest_words(table: Any) -> list[int]:
    """Per column, the longest word of its header and cells (characters)."""
    from rich.text import Text

    def longest(cell: Any) -> int:
        text = Text.from_markup(cell) if isinstance(cell, str) else cell
        plain = getattr(text, "plain", "")
        return max((len(word) for word in plain.split()), default=1)

    return [max([longest(column.header), *(longest(c) for c in column.cells)]) for column in table.columns]
