"""Hardening of the command line (issue 11): every bad input ends in exit code 2 and a short
message that says what is wrong, before any work, never a traceback.

celltwin's own errors are one line ``error: MESSAGE`` (:func:`celltwin.cli.common.fail`); a
value typer cannot parse (``--samples 10.5``) ends in typer's usage error, which names the
option. A study that fails inside its progress bar prints an empty line before the error.
"""
from __future__ import annotations

import os
import stat
import time

import pytest
from typer.testing import CliRunner

import celltwin as ct
from celltwin.analysis.uq.study import check_folder
from celltwin.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("CELLTWIN_HOME", str(tmp_path / "home"))


def refused(args: list[str], *needles: str) -> str:
    """Run the command; assert exit 2 and one line ``error: ...`` holding every needle; return it."""
    r = runner.invoke(app, args)
    text = r.output.strip()
    assert r.exit_code == 2, (r.exit_code, r.output, r.exception)
    assert "Traceback" not in r.output
    assert text.startswith("error: ") and len(text.splitlines()) == 1, r.output
    for needle in needles:
        assert needle in text, (needle, text)
    return text


def usage_error(args: list[str], option: str) -> str:
    """typer's own refusal of a value it cannot parse: exit 2, the option named, no traceback."""
    r = runner.invoke(app, args)
    assert r.exit_code == 2, (r.exit_code, r.output, r.exception)
    assert "Traceback" not in r.output and f"Invalid value for '{option}'" in r.output, r.output
    return r.output


# -- celltwin run: the output folder -------------------------------------------------------------
def test_run_into_a_regular_file(tmp_path):
    target = tmp_path / "study.txt"
    target.write_text("not a folder\n")
    refused(["run", "reference-cathode", "-o", str(target), "--samples", "40", "--no-record"],
            "is a file, not a folder", "--output")
    assert target.read_text() == "not a folder\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.txt"]


def test_run_under_a_read_only_folder(tmp_path):
    """Non-root: refused before any work, nothing created. Root ignores permission bits: the
    0o500 folder is writable to it, so the check lets the run through (shown here with
    --samples 5, which the study then refuses, after the lock file was written into the folder)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        args = ["run", "reference-cathode", "-o", str(locked / "study"), "--no-record"]
        if os.geteuid() != 0:
            refused([*args, "--samples", "40"], "cannot be written", str(locked))
            assert list(locked.iterdir()) == []
        else:
            assert check_folder(locked / "study") == locked / "study"
            refused([*args, "--samples", "5"], "samples = 5 is too few")
            assert (locked / ".study.lock").exists() and not (locked / "study").exists()
    finally:
        locked.chmod(stat.S_IRWXU)


def test_run_into_a_folder_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    """The refusal itself, for any user (root included): os.access says no."""
    import celltwin.analysis.uq.study as study

    monkeypatch.setattr(study.os, "access", lambda *a, **k: False)
    refused(["run", "reference-cathode", "-o", str(tmp_path / "study"), "--samples", "40", "--no-record"],
            "cannot be written", "not writable")
    assert not (tmp_path / "study").exists()


# -- the run store -------------------------------------------------------------------------------
def test_runs_list_with_a_negative_limit(tmp_path):
    refused(["runs", "list", "--limit", "-1", "--store", str(tmp_path / "runs.duckdb")], "--limit")


# -- celltwin run: the scheduler -----------------------------------------------------------------
def test_run_with_a_garbage_scheduler_is_refused_quickly(tmp_path):
    """Exit 2 within seconds; the error is the last line (today the Monte Carlo progress row
    comes first: the address is checked late, see the next test)."""
    t0 = time.monotonic()
    r = runner.invoke(app, ["run", "reference-cathode", "--scheduler", "garbage", "-o", str(tmp_path / "study"),
                            "--samples", "40", "--no-record"])
    assert time.monotonic() - t0 < 15
    lines = r.output.strip().splitlines()
    assert r.exit_code == 2 and "Traceback" not in r.output and len(lines) <= 2, r.output
    assert lines[-1].startswith("error: scheduler = 'garbage' is not a Dask scheduler address")
    assert "tcp://HOST:PORT" in lines[-1] and "--scheduler" in lines[-1]


def test_run_with_a_garbage_scheduler_is_refused_before_any_work(tmp_path):
    r = runner.invoke(app, ["run", "reference-cathode", "--scheduler", "garbage", "-o", str(tmp_path / "study"),
                            "--samples", "40", "--no-record"])
    assert r.exit_code == 2
    assert not (tmp_path / "study").exists(), sorted(str(p) for p in (tmp_path / "study").rglob("*"))
    assert "Monte Carlo" not in r.output  # no stage of the study began


# -- --samples and --seed ------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["run", "yield"])
def test_fractional_samples(tmp_path, command):
    usage_error([command, "reference-cathode", "--samples", "10.5", *(["-o", str(tmp_path / "study")]
                                                                      if command == "run" else [])], "--samples")
    assert not (tmp_path / "study").exists()


@pytest.mark.parametrize("command", ["run", "yield"])
def test_negative_seed(tmp_path, command):
    extra = ["-o", str(tmp_path / "study"), "--no-record"] if command == "run" else []
    t0 = time.monotonic()
    refused([command, "reference-cathode", "--seed", "-1", "--samples", "40", *extra],
            "seed = -1 is outside its valid range", "--seed")
    assert time.monotonic() - t0 < 15
    assert not (tmp_path / "study").exists()


# -- --set and scenario files --------------------------------------------------------------------
@pytest.mark.parametrize(("item", "needles"), [
    ("q_L=abc", ("--set 'q_L=abc'", "'abc' is not a number")),
    ("q_L", ("--set 'q_L'", "NAME=VALUE")),
    ("q_LL=1", ("unknown parameter 'q_LL'", "did you mean 'q_L'")),
], ids=["not-a-number", "no-value", "misspelt"])
def test_chain_set(item, needles):
    refused(["chain", "reference-cathode", "--set", item], *needles)


def test_chain_missing_scenario_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    refused(["chain", "missing.toml"], "'missing.toml' does not exist")


def test_chain_scenario_with_a_toml_syntax_error(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(ct.Scenario.load("reference-cathode").to_toml().replace("[study]", "[study", 1))
    text = refused(["chain", str(path)], "is not valid TOML", str(path))
    assert "line " in text


# -- measurement CSVs ----------------------------------------------------------------------------
CSVS = {
    "header-only": ("segment,m_dry,h_cal[um],eps_cal[%]\n", "no measurement rows"),
    "ragged": ("segment,m_dry,h_cal[um],eps_cal[%]\n0,14.2,48.1,31.2\n0,14.5,48.9\n0,14.3,48.4,31.4\n",
               "line 3: 3 fields, but the header has 4"),
    "duplicate-column": ("segment,m_dry,h_cal[um],m_dry\n0,14.2,48.1,14.3\n0,14.5,48.9,14.4\n",
                         "'m_dry' appear more than once"),
}


@pytest.fixture
def scenario_toml(tmp_path):
    path = tmp_path / "line.toml"
    path.write_text(ct.Scenario.load("reference-cathode").to_toml())
    return path


@pytest.mark.parametrize("case", list(CSVS))
@pytest.mark.parametrize("command", ["compare-measurements", "calibrate"])
def test_bad_measurement_csv(tmp_path, scenario_toml, command, case):
    body, needle = CSVS[case]
    csv = tmp_path / f"{case}.csv"
    csv.write_text(body)
    out = tmp_path / ("cal.toml" if command == "calibrate" else "cmp")
    extra = ["--free", "V_dot"] if command == "calibrate" else []
    refused([command, str(scenario_toml), str(csv), *extra, "-o", str(out)], needle, csv.name)
    assert not out.exists()


# -- metamodel designs ---------------------------------------------------------------------------
def test_fit_metamodel_with_inf_in_the_output(tmp_path):
    design = tmp_path / "design.csv"
    design.write_text("m_wet,plate_speed,eps_dry\n14.2,0.2,0.45\n17.7,0.2,0.44\n21.2,0.2,inf\n24.8,0.2,0.43\n"
                      "28.3,0.2,0.42\n31.8,0.2,0.41\n35.4,0.2,0.40\n")
    model = tmp_path / "model.json"
    text = refused(["fit-metamodel", str(design), "--input", "m_wet", "--output", "eps_dry", "-o", str(model)],
                   "non-finite", "eps_dry")
    assert "inf" in text and "21.2" in text
    assert not model.exists()
