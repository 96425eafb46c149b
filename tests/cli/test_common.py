"""What every command shares: errors as one line with exit code 2 and the flag that the
error's parameter names, --set parsing, scenario loading, the progress bar, -h and --version."""
import pytest
import typer
from typer.testing import CliRunner

import celltwin as ct
from celltwin.cli import app, common
from celltwin.cli.common import FLAGS, catches, error_text, fail, load_scenario, parse_sets, progress_bar
from celltwin.platform.errors import ParameterError, ScenarioError, UnreachableTargetError

runner = CliRunner()


def _lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


# -- the flag mapping ----------------------------------------------------------------------------------
@pytest.mark.parametrize("parameter, flag", [("targets", "--target"), ("free", "--free"), ("specs", "--spec"),
                                             ("samples", "--samples"), ("seed", "--seed")])
def test_an_error_names_the_flag_of_its_parameter(parameter, flag):
    assert FLAGS[parameter] == flag
    text = error_text(ParameterError("no targets: give at least one target NAME=VALUE", parameter=parameter))
    assert text.endswith(f"(flag {flag})")


def test_no_flag_for_catalog_parameters_or_when_the_message_names_it():
    assert error_text(ParameterError("q_L = -5 N/mm is outside", parameter="q_L")) == "q_L = -5 N/mm is outside"
    assert error_text(ParameterError("bad --seed", parameter="seed")) == "bad --seed"
    assert error_text(ValueError("plain")) == "plain"


def test_fail_prints_one_line_with_the_flag_and_exits_2(capsys):
    with pytest.raises(typer.Exit) as info:
        fail(ParameterError("no targets: give at least one target NAME=VALUE", parameter="targets"))
    assert info.value.exit_code == 2
    err = capsys.readouterr().err
    assert _lines(err) == ["error: no targets: give at least one target NAME=VALUE (flag --target)"]


def test_catches_maps_error_classes_to_exit_codes():
    @catches(codes={UnreachableTargetError: 3})
    def command(exc):
        raise exc

    for exc, code in ((UnreachableTargetError("cannot reach"), 3), (ParameterError("bad"), 2),
                      (ScenarioError("malformed"), 2)):
        with pytest.raises(typer.Exit) as info:
            command(exc)
        assert info.value.exit_code == code
    with pytest.raises(ValueError):  # not a celltwin error: not caught unless named
        command(ValueError("other"))


def test_catches_keeps_the_signature_typer_reads():
    import inspect

    from celltwin.cli.scenario import chain_cmd

    assert list(inspect.signature(chain_cmd).parameters) == ["scenario", "as_json", "set_"]


# -- bad input on the command line: exit 2, one or two lines, no traceback ----------------------------
@pytest.mark.parametrize("args, expected", [
    (["chain", "reference-cathode", "--set", "q_L=-5"], "q_L = -5 N/mm is outside its valid range"),
    (["inverse", "reference-cathode", "--free", "V_dot"], "no targets"),
    (["inverse", "reference-cathode", "--free", "V_dot", "--maximize", "energy_density"], "no targets"),
    (["chain", "reference-cathode", "--set", "q_L"], "--set 'q_L': write NAME=VALUE"),
    (["chain", "reference-cathode", "--set", "q_L=high"], "is not a number"),
    (["run", "reference-cathode", "--samples", "5", "--no-record", "-o", "{tmp}"], "too few"),
])
def test_bad_input_is_one_or_two_lines_and_exit_2(args, expected, tmp_path):
    r = runner.invoke(app, [a.format(tmp=tmp_path / "study") for a in args])
    assert r.exit_code == 2, r.output
    assert isinstance(r.exception, SystemExit) and "Traceback" not in r.output
    lines = _lines(r.output)
    assert 1 <= len(lines) <= 2 and lines[0].startswith("error: ")
    assert expected in " ".join(lines)


def test_missing_target_names_the_flag():
    r = runner.invoke(app, ["inverse", "reference-cathode", "--free", "V_dot"])
    assert r.exit_code == 2 and "(flag --target)" in r.output


def test_too_few_samples_names_the_flag(tmp_path):
    r = runner.invoke(app, ["run", "reference-cathode", "--samples", "5", "--no-record", "-o", str(tmp_path / "s")])
    assert r.exit_code == 2 and "--samples" in r.output


def test_error_keeps_bracketed_section_names(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[segments]\ncount = 0\n")
    r = runner.invoke(app, ["chain", str(path)])
    # rich would read "[segments]" as markup; fail() escapes the message
    assert r.exit_code == 2 and "[segments]" in r.output and "count = 0" in r.output


# -- --set and scenarios -------------------------------------------------------------------------------
def test_parse_sets():
    assert parse_sets(["q_L=90", " V_dot = 700"]) == {"q_L": 90.0, "V_dot": 700.0}
    assert parse_sets(None) == {}
    with pytest.raises(ParameterError, match="write NAME=VALUE"):
        parse_sets(["q_L"])
    with pytest.raises(ParameterError, match="is not a number"):
        parse_sets(["q_L=a"])


def test_load_scenario_applies_the_overrides_through_with_values():
    sc = load_scenario("reference-cathode", ["q_L=90"])
    assert sc.nominal()["q_L"] == 90
    assert sc.nominal() == ct.Scenario.load("reference-cathode").with_values(q_L=90).nominal()
    assert load_scenario("reference-cathode").nominal()["q_L"] == pytest.approx(84)


# -- progress bar, help, version -----------------------------------------------------------------------
def test_progress_bar_one_row_per_stage(monkeypatch):
    import io

    from rich.console import Console

    out = io.StringIO()
    monkeypatch.setattr(common, "err", Console(file=out, width=100))
    with progress_bar() as progress:  # the signature of the computations' progress(stage, done, total)
        for done in range(4):
            progress("Monte Carlo", done, 3)
        progress("cell model", 1, 2)
    text = out.getvalue()
    assert "Monte Carlo" in text and "3/3" in text and "cell model" in text and "1/2" in text


@pytest.mark.parametrize("command", ["scenarios", "catalog", "chain", "graph", "run", "dem-drying", "dem-doe",
                                     "fit-metamodel", "inverse", "yield", "robust", "tolerances",
                                     "compare-measurements", "calibrate", "runs", "runs list", "runs show",
                                     "runs compare"])
def test_every_command_has_help(command):
    for flag in ("-h", "--help"):
        r = runner.invoke(app, [*command.split(), flag])
        assert r.exit_code == 0, r.output
        assert "Usage:" in r.output


def test_top_level_help_lists_the_commands_and_version():
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0
    for name in ("scenarios", "chain", "run", "inverse", "dem-doe", "compare-measurements", "runs"):
        assert name in r.output
    v = runner.invoke(app, ["--version"])
    assert v.exit_code == 0 and v.output.strip() == f"celltwin {ct.__version__}"


def test_console_entry_point_runs_the_app():
    from importlib.metadata import entry_points

    from celltwin.cli import main

    (ep,) = [e for e in entry_points(group="console_scripts") if e.name == "celltwin"]
    assert ep.value == "celltwin.cli:main" and ep.load() is main


def test_the_console_entry_point_gives_parser_errors_in_one_line():
    """An option value the parser cannot read, an unknown command, a missing argument: one line,
    exit 2, no traceback (the `celltwin` console script is ``celltwin.cli:main``)."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    exe = shutil.which("celltwin", path=str(Path(sys.executable).parent))
    for args, text in ((["run", "reference-cathode", "--samples", "10.5"], "Invalid value for '--samples'"),
                       (["nosuch"], "No such command 'nosuch'"),
                       (["chain"], "Missing argument 'scenario'")):
        r = subprocess.run([exe, *args], capture_output=True, text=True, timeout=120)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
        assert lines[0].startswith("error: ") and text in lines[0] and "-h)" in lines[0]
