"""The run store: provenance recorded, runs listed, shown and compared; two processes
recording at the same moment both land; a database held by another process is waited for."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest
from typer.testing import CliRunner

import celltwin as ct
from celltwin.analysis.uq.sampling import Propagation, monte_carlo
from celltwin.platform.errors import CelltwinWarning, ParameterError, RunStoreError
from celltwin.store.runs import RunComparison, RunStore, default_path, record_run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A store with two runs: the reference and one with a higher line load q_L."""
    store = RunStore(tmp_path_factory.mktemp("store"))
    sc = ct.Scenario.load("reference-cathode")
    run = monte_carlo(sc, 400, 5, with_cell=False, workers=1, chunk_size=100)
    frame = run.frame
    path = store.path.parent / "samples-a.parquet"
    frame.to_parquet(path)
    a = store.record(sc, run, samples_path=path, note="reference")
    pressed = sc.with_values(q_L=95.0)
    b = store.record(pressed, monte_carlo(pressed, 400, 5, with_cell=False, workers=1))
    return store, a, b, frame


def test_record_keeps_provenance(runs):
    store, a, _, frame = runs
    r = store.get(a)
    assert r["seed"] == 5 and r["samples"] == 400 and r["n_valid"] == 400 and r["n_rejected"] == 0
    assert r["name"] == "reference-cathode" and r["note"] == "reference"
    assert ct.Scenario.from_dict(__import__("tomllib").loads(r["scenario_toml"])).nominal() == \
        ct.Scenario.load("reference-cathode").nominal()
    assert r["versions"]["celltwin"] and r["versions"]["duckdb"] and r["versions"]["openturns"]
    assert r["backend"].startswith("serial") and r["chunks"] == 4
    assert r["finished"] >= r["started"]
    assert set(r["steps"]["step"]) >= {"sampling", "mixing", "dispersion", "coating", "drying", "calendering"}
    stats = r["stats"].set_index("name")
    assert stats.loc["m_dry", "mean"] == pytest.approx(frame["m_dry"].mean(), rel=1e-12)
    assert stats.loc["m_dry", "role"] == "output" and stats.loc["V_dot", "role"] == "input"
    pd.testing.assert_frame_equal(store.samples(a), frame)


def test_list_resolve_and_errors(runs):
    store, a, b, _ = runs
    listed = store.list()
    assert set(listed["run_id"]) == {a, b} and len(listed) == 2
    assert store.resolve(a[:-3]) == a
    assert store.resolve("last") in (a, b)
    with pytest.raises(RunStoreError, match="no run 'nope'"):
        store.get("nope")
    with pytest.raises(RunStoreError, match="ambiguous"):
        store.resolve("20")


def test_compare_names_inputs_and_output_moves(runs):
    store, a, b, _ = runs
    c = store.compare(a, b)
    assert isinstance(c, RunComparison)
    assert c.inputs.to_dict(orient="records") == [{"key": "parameters.q_L.value", "a": 84.0, "b": 95.0}]
    out = c.outputs.set_index("name")
    # a higher line load compacts more (eq. 15): porosity and thickness fall, the mass loading stays
    assert out.loc["eps_cal", "d_mean"] < 0 and abs(out.loc["eps_cal", "z"]) > 10
    assert out.loc["h_cal", "d_mean"] < 0
    assert out.loc["m_dry", "d_mean"] == 0 and out.loc["m_dry", "d_std"] == 0
    assert "rho_AM" not in out.index  # fixed and unchanged inputs are not listed


def test_default_location_follows_celltwin_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CELLTWIN_HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / "runs.duckdb"
    assert RunStore().path == tmp_path / "home" / "runs.duckdb"
    assert RunStore(tmp_path / "x.duckdb").path == tmp_path / "x.duckdb"


WRITER = textwrap.dedent("""
    import sys, time
    import celltwin as ct
    from celltwin.analysis.uq.sampling import monte_carlo
    from celltwin.store.runs import RunStore
    sc = ct.Scenario.load("reference-cathode")
    run = monte_carlo(sc, 100, int(sys.argv[2]), with_cell=False, workers=1)
    store = RunStore(sys.argv[1])
    while time.time() < float(sys.argv[3]):
        time.sleep(0.001)
    print(" ".join(store.record(sc, run, seed=int(sys.argv[2])) for _ in range(4)))
""")


def _env():
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


def test_two_processes_recording_at_once(tmp_path):
    start = time.time() + 6  # both children wait for the same instant after their imports
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(seed), str(start)], env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for seed in (1, 2)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_out, errs) in zip(procs, outs, strict=True):
        assert p.returncode == 0, errs
    ids = " ".join(o for o, _ in outs).split()
    assert len(ids) == len(set(ids)) == 8
    listed = RunStore(tmp_path).list()
    assert sorted(listed["run_id"]) == sorted(ids)
    assert sorted(listed["seed"].tolist()) == [1] * 4 + [2] * 4


HOLDER = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])   # a process outside celltwin's lock holds the file
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
""")


def test_store_held_by_another_process_is_waited_for(tmp_path):
    store = RunStore(tmp_path)
    sc = ct.Scenario.load("reference-cathode")
    run = monte_carlo(sc, 50, 1, with_cell=False, workers=1)
    store.record(sc, run)  # creates the file
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(store.path), "2.0"], env=_env(),
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    run_id = store.record(sc, run)  # retries until the holder lets go
    holder.wait(timeout=30)
    assert run_id in set(store.list()["run_id"])


def test_runs_cli(runs):
    from celltwin.cli import app

    store, a, b, _ = runs
    cli = CliRunner()
    r = cli.invoke(app, ["runs", "list", "--store", str(store.path), "--json"])
    assert r.exit_code == 0, r.output
    assert {x["run_id"] for x in json.loads(r.stdout)} == {a, b}
    r = cli.invoke(app, ["runs", "show", a[:-2], "--store", str(store.path)])
    assert r.exit_code == 0 and "git_revision" in r.output and "calendering" in r.output
    r = cli.invoke(app, ["runs", "compare", a, b, "--store", str(store.path), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["inputs"][0]["key"] == "parameters.q_L.value"
    assert any(o["name"] == "eps_cal" and o["d_mean"] < 0 for o in data["outputs"])
    r = cli.invoke(app, ["runs", "compare", a, b, "--store", str(store.path)])
    assert r.exit_code == 0 and "q_L" in r.output
    r = cli.invoke(app, ["runs", "show", "missing", "--store", str(store.path)])
    assert r.exit_code == 2 and "no run 'missing'" in r.output


def test_record_run_accepts_a_path(tmp_path):
    sc = ct.Scenario.load("reference-cathode")
    run_id = record_run(sc, Propagation(ct.propagate(sc, 30, 1, with_cell=False)), tmp_path / "s.duckdb")
    r = RunStore(tmp_path / "s.duckdb").get(run_id)
    assert r["samples"] == 30 and pd.isna(r["seed"])  # propagate() does not say its seed: not guessed
    assert r["backend"] == "in-process"  # a bare frame has no execution record


def test_monte_carlo_run_records_its_seed_and_method(tmp_path):
    sc = ct.Scenario.load("reference-cathode")
    run_id = record_run(sc, monte_carlo(sc, 30, 1, with_cell=False, workers=1), tmp_path / "s.duckdb")
    r = RunStore(tmp_path / "s.duckdb").get(run_id)
    assert r["samples"] == 30 and r["seed"] == 1 and r["method"] == "mc" and r["chunks"] == 1


def test_record_run_refuses_a_store_that_is_not_one(tmp_path):
    sc = ct.Scenario.load("reference-cathode")
    with pytest.raises(ParameterError, match="must be a RunStore or a path") as info:
        record_run(sc, Propagation(ct.propagate(sc, 5, 1, with_cell=False)), store=42)
    assert info.value.parameter == "store"


def test_record_keeps_rejections_of_the_propagation(tmp_path):
    store = RunStore(tmp_path)
    sc = ct.Scenario.load("reference-cathode").with_values(w_AM=0.969)  # w_PB = 0.001: half the samples < 0
    with pytest.warns(CelltwinWarning, match="w_PB out of range"):  # the preflight pilot sees it coming
        run = monte_carlo(sc, 40, 2, with_cell=False, workers=1)
    r = store.get(store.record(sc, run))
    assert r["rejections"] == run.rejections
    assert r["n_valid"] == run.n_valid and r["n_rejected"] == 40 - run.n_valid
