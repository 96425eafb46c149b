"""The command-line conventions every command keeps: help on every argument and option, the exit
codes in every --help, --json on every command that prints results, tables readable at 80 columns."""
from __future__ import annotations

import re

import pytest
import typer
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from celltwin.cli import app, common
from celltwin.cli.common import EXIT_CODES, print_table

runner = CliRunner()


def _commands(group=None, path=()):
    """(path, click command) of every leaf command of ``celltwin``."""
    group = group or typer.main.get_command(app)
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


COMMANDS = dict(_commands())
#: commands that print results (and so take --json); graph, bpx's file and structure-doe write files
RESULTS = ["scenarios", "catalog", "chain", "run", "structure", "rate", "inverse", "yield", "robust", "tolerances",
           "compare-measurements", "calibrate", "runs list", "runs show", "runs compare", "bpx"]


def test_every_argument_and_option_has_help():
    missing = [f"celltwin {' '.join(path)} {p.name}" for path, cmd in COMMANDS.items() for p in cmd.params
               if not getattr(p, "help", None)]
    assert missing == []


@pytest.mark.parametrize("path", [(), ("run",), ("tolerances",), ("runs", "show")])
def test_help_ends_with_every_exit_code(path):
    r = runner.invoke(app, [*path, "-h"], env={"COLUMNS": "200"})
    assert r.exit_code == 0
    text = " ".join(r.output.split())
    for code in EXIT_CODES:
        assert re.search(rf"\b{code} ", text.split("Exit codes:")[1]), code


def test_every_command_has_the_exit_codes_in_its_epilog():
    assert all(cmd.epilog == common.EPILOG for cmd in COMMANDS.values())


@pytest.mark.parametrize("name", RESULTS)
def test_commands_that_print_results_take_json(name):
    assert "--json" in [o for p in COMMANDS[tuple(name.split())].params for o in p.opts]


def _printed(table: Table, width: int, monkeypatch) -> str:
    narrow = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    monkeypatch.setattr(common, "console", narrow)
    print_table(table)
    return narrow.export_text()


def test_a_table_that_fits_keeps_every_word_whole(monkeypatch):
    """rich alone cuts 'parameter' into 'paramet/er' at 80 columns in this table; print_table does not."""
    t = Table("parameter", "unit", "std now", "allowed alone", "allowed w/ others", "allowed joint",
              "m_dry var. %", "rho_cal var. %")
    t.add_row("V_dot", "cm^3/h", "6.96", "8.951", "0", "0", "12.7", "0.1")
    t.add_row("v_web", "m/min", "0.01", "0.01327", "0", "0", "12.7", "0.1")
    out = _printed(t, 80, monkeypatch)
    assert max(len(line) for line in out.splitlines()) <= 80
    for word in ("parameter", "0.01327", "cm^3/h", "allowed", "rho_cal"):
        assert word in out


def test_a_wide_table_splits_into_column_groups_repeating_the_key(monkeypatch):
    t = Table("parameter", "mean A", "mean B", "Δ mean %", "z", "std A", "std B", "Δ std %", "unit", title="moved")
    t.add_row("capacity_theoretical", "2.10842", "2.10843", "+0.000", "+0.0", "0.0637", "0.0637", "+0.0",
              "mA*h/cm^2")
    t.add_row("energy_density", "1570.23", "1570.24", "+0.001", "+0.1", "40.4", "40.4", "+0.0", "W*h/L")
    out = _printed(t, 60, monkeypatch)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 60
    parts = int(re.search(r"moved \(1/(\d)\)", out).group(1))
    assert parts > 1 and f"moved ({parts}/{parts})" in out
    assert out.count("capacity_theoretical") == parts == out.count("energy_density")  # the key, in each part
    for token in ("2.10842", "1570.24", "mA*h/cm^2", "W*h/L", "+0.001"):
        assert token in out  # every number whole


def test_a_table_too_wide_for_any_split_prints_vertically(monkeypatch):
    t = Table("name", "description")
    t.add_row("a_very_long_parameter_name", "a_long_unbreakable_token")
    out = _printed(t, 45, monkeypatch)
    assert max(len(line) for line in out.splitlines()) <= 45
    assert "a_very_long_parameter_name" in out and "a_long_unbreakable_token" in out and "description" in out
