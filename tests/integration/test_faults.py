"""Fault injection (issue 11: no study ever lost or mixed, no run that hangs).

Every test injects one fault into a real run (a SIGKILL at some moment, a second run racing
for the same folder, a held or damaged run store, a corrupt resume chunk, a lost Dask
worker, a run too large for the machine) and its docstring states the expected outcome.
The killed-resume case of ``celltwin run`` lives in
``tests/analysis/uq/test_checkpoint.py::test_cli_run_killed_and_resumed`` (slow).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import psutil
import pytest
from typer.testing import CliRunner

import celltwin as ct
from celltwin.analysis.uq.checkpoint import Checkpoint
from celltwin.analysis.uq.sampling import monte_carlo
from celltwin.cli import app
from celltwin.platform.errors import CelltwinError, ParameterError, RunStoreError, SolverError, StoreBusyError
from celltwin.store.runs import RunStore

from .conftest import child_env

runner = CliRunner()

CELLTWIN = str(Path(sys.executable).parent / "celltwin")
OLD_SEED, NEW_SEED = 11, 12
#: a small real study (chain + P2D half-cell, 40 samples), not recorded in any store
STUDY = ["run", "reference-cathode", "--samples", "40", "--no-record"]
#: what a whole study folder holds
WHOLE = ("summary.json", "manifest.json", "samples.parquet", "sensitivity.csv", "scenario.toml", "report.html",
         "sankey.html", "sankey.png")
NOTES = "a user's own notes: celltwin must never remove or move them\n"
LIMIT = 300  # s: no single child may take longer than this (a hang fails the test instead of the suite)


# -- helpers -------------------------------------------------------------------------------
def start(args: list[str], env: dict[str, str], log: Path, executable: list[str] | None = None) -> subprocess.Popen:
    """Start ``celltwin ARGS`` (or ``executable ARGS``) in a session of its own, stderr to ``log``."""
    with open(log, "wb") as err:
        return subprocess.Popen([*(executable or [CELLTWIN]), *args], env=env, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True)


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL a run with everything it started (its session), then reap it."""
    try:
        kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        kids = []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    for kid in kids:  # a child that left the session (a browser, say)
        with contextlib.suppress(psutil.NoSuchProcess):
            kid.kill()
    proc.wait(timeout=60)


def wait(proc: subprocess.Popen, timeout: float = LIMIT) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(proc)
        raise AssertionError(f"the run did not end within {timeout} s (a hang)") from None


def fingerprint(folder: Path) -> dict[str, str]:
    """sha256 of every file of a study folder (the user's files and chunks excluded)."""
    return {f: hashlib.sha256((folder / f).read_bytes()).hexdigest() for f in WHOLE if (folder / f).exists()}


def check_whole(folder: Path) -> dict:
    """Assert that ``folder`` holds one whole study, every file from the same run; return its summary."""
    missing = [f for f in WHOLE if not (folder / f).is_file()]
    assert not missing, f"{folder} lacks {missing}: {sorted(p.name for p in folder.iterdir())}"
    summary = json.loads((folder / "summary.json").read_text())
    manifest = json.loads((folder / "manifest.json").read_text())
    samples = pd.read_parquet(folder / "samples.parquet")
    sensitivity = pd.read_csv(folder / "sensitivity.csv")
    tomllib.loads((folder / "scenario.toml").read_text())
    report = (folder / "report.html").read_text()
    assert len(samples) == summary["samples"] == manifest["samples"]
    assert summary["seed"] == manifest["seed"] and summary["scenario"] == manifest["scenario"]
    valid = samples[samples["valid"]]
    assert len(valid) == summary["valid_samples"] == manifest["valid_samples"]
    # the samples are the ones the summary was computed from (not another run's)
    assert abs(valid["capacity"].mean() - summary["capacity_mean"]) <= 1e-12
    assert abs(valid["energy_density"].mean() - summary["energy_density_mean"]) <= 1e-9
    for output in ("capacity", "energy_density"):  # the sensitivity table is that study's as well
        rows = sensitivity[(sensitivity["stage"] == "structure-performance") & (sensitivity["output"] == output)]
        top = rows.loc[rows["S"].idxmax()]
        assert top["input"] == summary[f"top_driver_{output}"]
        assert top["S"] == pytest.approx(summary[f"top_driver_{output}_S"], rel=1e-12)
    assert re.search(rf"samples, seed {summary['seed']}\b", report) and report.rstrip().endswith("</html>")
    return summary


def put_notes(folder: Path) -> None:
    (folder / "chunks").mkdir(exist_ok=True)
    (folder / "notes.txt").write_text(NOTES)
    (folder / "chunks" / "my_notes.txt").write_text(NOTES)


def notes_intact(folder: Path) -> bool:
    return all((folder / p).is_file() and (folder / p).read_text() == NOTES
               for p in ("notes.txt", "chunks/my_notes.txt"))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """One real study (seed OLD_SEED) run through the CLI in a subprocess; how long it took and
    when its save began (the moment ``.study.saving-PID`` appears beside the folder)."""
    root = tmp_path_factory.mktemp("baseline")
    folder = root / "study"
    t0 = time.monotonic()
    proc = start([*STUDY, "--seed", str(OLD_SEED), "-o", str(folder)], child_env(root / "home"), root / "err.log")
    save_start = None
    while proc.poll() is None:
        now = time.monotonic() - t0
        if save_start is None and any(root.glob(".study.saving-*")):
            save_start = now
        if now > LIMIT:
            kill(proc)
            raise AssertionError("the baseline study took too long")
        time.sleep(0.02)
    duration = time.monotonic() - t0
    assert proc.returncode == 0, (root / "err.log").read_text()
    assert check_whole(folder)["seed"] == OLD_SEED
    assert save_start is not None and 0 < save_start < duration
    return SimpleNamespace(folder=folder, duration=duration, save_start=save_start, hashes=fingerprint(folder))


def old_study(baseline, folder: Path) -> Path:
    """A copy of the baseline study (times kept) with the user's notes in it and in chunks/."""
    shutil.copytree(baseline.folder, folder)
    put_notes(folder)
    return folder


# -- 1. killed while it runs and saves ------------------------------------------------------
def _kill_repeatedly(baseline, tmp_path, env, moments) -> list[str]:
    """Start ``celltwin run --overwrite`` (seed NEW_SEED) into a folder holding the baseline study,
    SIGKILL it at each of ``moments`` (``("start" | "save", delay s)``), check the folder after
    every kill, then let one run finish. Returns what each kill left ("old" / "new")."""
    folder = old_study(baseline, tmp_path / "study")
    args = [*STUDY, "--seed", str(NEW_SEED), "--overwrite", "-o", str(folder)]
    outcomes, before = [], fingerprint(folder)
    for k, (trigger, delay) in enumerate(moments):
        log = tmp_path / f"kill-{k}.log"
        proc = start(args, env, log)
        t0 = time.monotonic()
        if trigger == "save":  # the moment this run starts writing its new folder aside
            aside = tmp_path / f".study.saving-{proc.pid}"
            while not aside.exists():
                assert proc.poll() is None, f"the run ended before its save: {log.read_text()}"
                assert time.monotonic() - t0 < LIMIT, "no save began"
                time.sleep(0.005)
        time.sleep(delay)
        ended = proc.poll()
        kill(proc)
        assert ended in (None, 0), f"kill {k}: the run failed on its own: {log.read_text()}"
        summary = check_whole(folder)  # old or new, whole: never a mix, never nothing
        now = fingerprint(folder)
        if now == before:
            outcomes.append("old")
        else:  # replaced: then by a whole study of this run
            assert summary["seed"] == NEW_SEED, f"kill {k}: the folder changed but holds seed {summary['seed']}"
            outcomes.append("new" if ended is None else "finished")
        if summary["seed"] == OLD_SEED:
            assert now == baseline.hashes, f"kill {k}: the old study was altered"
        assert notes_intact(folder), f"kill {k} ({trigger} + {delay:.2f} s): the user's notes are gone"
        before = now
    done = subprocess.run([CELLTWIN, *args], env=env, capture_output=True, text=True, timeout=LIMIT)
    assert done.returncode == 0, done.stderr
    assert check_whole(folder)["seed"] == NEW_SEED and fingerprint(folder) != before
    assert notes_intact(folder)
    assert not list((folder / "chunks").glob("chunk-*")), "the finished run left its resume chunks"
    return outcomes


def test_killed_during_save_leaves_old_or_new_study_whole(baseline, tmp_path, cli_env):
    """Fault: `celltwin run --overwrite` into a folder holding a study, SIGKILLed twice at seeded
    random moments of its save (after `.study.saving-PID` appears), then run to the end.
    Expected: after each kill the folder holds the old study (byte for byte) or the new one,
    every file of it from the same run; DIR/notes.txt and DIR/chunks/my_notes.txt survive
    every kill and the final run, which leaves a whole new study and no resume chunks."""
    rng = random.Random(2024)
    save = max(baseline.duration - baseline.save_start, 0.5)
    moments = [("save", rng.uniform(0.0, 0.5) * save), ("save", rng.uniform(0.5, 0.95) * save)]
    outcomes = _kill_repeatedly(baseline, tmp_path, cli_env, moments)
    print("two kills in the save left:", outcomes)
    assert len(outcomes) == 2


@pytest.mark.slow
def test_killed_at_five_random_moments_leaves_old_or_new_study_whole(baseline, tmp_path, cli_env):
    """Fault: five SIGKILLs of `celltwin run --overwrite` spread over the whole run (seeded: two
    in start-up and Monte Carlo, three over the save, by the baseline's timing).
    Expected: as for two kills in the save: old or new study, whole, notes kept, then a whole new study."""
    rng = random.Random(5)
    save = max(baseline.duration - baseline.save_start, 0.5)
    moments = ([("start", baseline.save_start * (0.2 + 0.8 * (k + rng.random()) / 2)) for k in range(2)]
               + [("save", save * 0.95 * (k + rng.random()) / 3) for k in range(3)])
    outcomes = _kill_repeatedly(baseline, tmp_path, cli_env, moments)
    print("five kills left:", outcomes)
    assert len(outcomes) == 5


# The child runs `celltwin run` and SIGKILLs itself at one exact point of the folder exchange.
EXCHANGE_CHILD = textwrap.dedent("""
    import os, signal, sys
    import celltwin.analysis.uq.study as study

    exchange, when = study._exchange, sys.argv[1]
    def killed(a, b):
        if when == "after":
            exchange(a, b)
        os.kill(os.getpid(), signal.SIGKILL)
    study._exchange = killed
    from celltwin.cli import app
    sys.argv = ["celltwin", *sys.argv[2:]]
    app()
""")


@pytest.mark.parametrize("when", [
    "before",
    pytest.param("after", marks=pytest.mark.slow)])
def test_killed_at_the_folder_exchange(baseline, tmp_path, cli_env, when):
    """Fault: `celltwin run --overwrite` SIGKILLed exactly before (or exactly after) the atomic
    exchange of the new study folder with the old one.
    Expected: before: the old study, byte for byte; after: the new study, whole. In both cases
    DIR/notes.txt and DIR/chunks/my_notes.txt are still in the folder."""
    folder = old_study(baseline, tmp_path / "study")
    proc = start([when, *STUDY, "--seed", str(NEW_SEED), "--overwrite", "-o", str(folder)], cli_env,
                 tmp_path / "err.log", executable=[sys.executable, "-c", EXCHANGE_CHILD])
    assert wait(proc) == -signal.SIGKILL, (tmp_path / "err.log").read_text()
    summary = check_whole(folder)
    if when == "before":
        assert fingerprint(folder) == baseline.hashes
    else:
        assert summary["seed"] == NEW_SEED
    aside = [str(p.relative_to(tmp_path)) for p in tmp_path.glob(".study.saving-*/**/*notes.txt")]
    assert notes_intact(folder), f"the user's notes were left in {aside}"


@pytest.mark.slow
def test_a_later_run_clears_what_a_killed_save_left_aside(baseline, tmp_path, cli_env):
    """Fault: `celltwin run --overwrite` SIGKILLed in its save (at the exchange), then run again to the end.
    Expected: the finished run leaves a whole new study and no `.study.saving-*` folder beside it."""
    folder = old_study(baseline, tmp_path / "study")
    args = [*STUDY, "--seed", str(NEW_SEED), "--overwrite", "-o", str(folder)]
    proc = start(["before", *args], cli_env, tmp_path / "err.log", executable=[sys.executable, "-c", EXCHANGE_CHILD])
    assert wait(proc) == -signal.SIGKILL, (tmp_path / "err.log").read_text()
    assert list(tmp_path.glob(".study.saving-*"))
    done = subprocess.run([CELLTWIN, *args], env=cli_env, capture_output=True, text=True, timeout=LIMIT)
    assert done.returncode == 0, done.stderr
    assert check_whole(folder)["seed"] == NEW_SEED
    assert not list(tmp_path.glob(".study.saving-*"))


# -- 2. two runs into one folder --------------------------------------------------------------
def test_two_runs_into_one_folder_at_once(tmp_path, cli_env):
    """Fault: two `celltwin run -o DIR` started at the same moment.
    Expected: exactly one fails (exit 2, one line: the folder is in use by another
    celltwin run) while the other is still running; the other writes a whole study."""
    folder = tmp_path / "study"
    args = [*STUDY, "--seed", str(NEW_SEED), "-o", str(folder)]
    t0 = time.monotonic()
    procs = [start(args, cli_env, tmp_path / f"err-{i}.log") for i in range(2)]
    try:
        while all(p.poll() is None for p in procs):
            assert time.monotonic() - t0 < LIMIT, "neither run ended"
            time.sleep(0.01)
        loser = next(i for i, p in enumerate(procs) if p.returncode is not None)
        winner = 1 - loser
        assert procs[winner].poll() is None, "both runs ended at once"
        assert procs[loser].returncode == 2
        message = (tmp_path / f"err-{loser}.log").read_text().strip()
        assert len(message.splitlines()) == 1 and message.startswith("error: ")
        assert "is in use by another celltwin run" in message and str(folder) in message
        assert wait(procs[winner]) == 0, (tmp_path / f"err-{winner}.log").read_text()
    finally:
        for p in procs:
            if p.poll() is None:
                kill(p)
    assert check_whole(folder)["seed"] == NEW_SEED


# -- 3. a study already there, no --overwrite --------------------------------------------------
def test_run_over_a_study_without_overwrite_is_refused_before_any_work(baseline, tmp_path, cli_env):
    """Fault: `celltwin run -o DIR` where DIR holds a study, without --overwrite.
    Expected: exit 2 before any computation, one line naming --overwrite; no chunks written,
    every file untouched (content and mtime)."""
    folder = old_study(baseline, tmp_path / "study")
    before = {p.relative_to(folder): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
              for p in folder.rglob("*") if p.is_file()}
    r = subprocess.run([CELLTWIN, *STUDY, "--seed", str(NEW_SEED), "-o", str(folder)], env=cli_env,
                       capture_output=True, text=True, timeout=LIMIT)
    assert r.returncode == 2
    message = r.stderr.strip()
    assert len(message.splitlines()) == 1 and message.startswith("error: ")
    assert "already holds a study" in message and "--overwrite" in message
    # "before any work" is shown by what was not written (below), not by a wall time: the machines are noisy
    after = {p.relative_to(folder): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
             for p in folder.rglob("*") if p.is_file()}
    assert after == before
    assert not list((folder / "chunks").glob("chunk-*")) and not (folder / "chunks" / "manifest.json").exists()
    assert not list(tmp_path.glob(".study.saving-*"))


# -- 4. a run store held by another process ----------------------------------------------------
HOLDER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])   # a process outside celltwin's lock holds the file
    print("holding", flush=True)
    sys.stdin.read()                    # until the test closes our stdin
    con.close()
""")


def test_held_store_queues_the_record_and_adds_it_later(tmp_path, cli_env):
    """Fault: runs.duckdb held open by another process (duckdb) while a run is recorded with
    `RunStore(path, timeout=2)`.
    Expected: StoreBusyError within the timeout (+ a few s) carrying .run_id; the record waits
    in runs.duckdb.pending/RUN_ID/; once the holder has exited, the next `list()` shows the run
    with its statistics and the queue is gone: nothing lost.
    (`celltwin run --store` has no timeout option: it waits the default 120 s; see the report.)"""
    path = tmp_path / "store" / "runs.duckdb"
    RunStore(path).list()  # a store with its tables
    sc = ct.Scenario.load("reference-cathode")
    run = monte_carlo(sc, 50, 3, with_cell=False, workers=1)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], env=cli_env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        t0 = time.monotonic()
        with pytest.raises(StoreBusyError) as info:
            RunStore(path, timeout=2).record(sc, run, note="held")
        elapsed = time.monotonic() - t0
        run_id = info.value.run_id
        queued = path.with_name("runs.duckdb.pending") / run_id
        assert run_id in str(info.value) and str(queued) in str(info.value)
        assert sorted(p.name for p in queued.iterdir()) == ["runs.parquet", "stats.parquet", "steps.parquet"]
        assert elapsed >= 2, elapsed  # it waited for the store (no upper limit: the machines are noisy)
    finally:
        holder.stdin.close()
        try:
            holder.wait(timeout=30)
        except subprocess.TimeoutExpired:
            holder.kill()
            holder.wait()
    store = RunStore(path)
    assert run_id in set(store.list()["run_id"])
    assert not path.with_name("runs.duckdb.pending").exists()
    got = store.get(run_id)
    assert got["samples"] == 50 and got["seed"] == 3 and got["note"] == "held" and len(got["stats"])


# -- 5. a damaged run store --------------------------------------------------------------------
def test_damaged_store_is_reported_at_once(tmp_path, cli_env):
    """Fault: garbage bytes in runs.duckdb.
    Expected: `RunStore(path).list()` raises RunStoreError (not "busy") naming the path in well
    under a second, no retries; `celltwin runs list --store PATH` exits 2 with that one line."""
    import duckdb  # noqa: F401  (imported before the clock starts)

    path = tmp_path / "runs.duckdb"
    path.write_bytes(random.Random(0).randbytes(8192))
    t0 = time.monotonic()
    with pytest.raises(RunStoreError) as info:
        RunStore(path).list()
    elapsed = time.monotonic() - t0
    assert not isinstance(info.value, StoreBusyError)
    assert str(path) in str(info.value) and "damaged" in str(info.value)
    assert elapsed < 1.0, elapsed
    r = runner.invoke(app, ["runs", "list", "--store", str(path)])
    assert r.exit_code == 2, r.output
    assert r.output.startswith("error: ") and len(r.output.strip().splitlines()) == 1
    assert str(path) in r.output and "damaged" in r.output and "Traceback" not in r.output
    assert path.read_bytes() == random.Random(0).randbytes(8192)  # the damaged file is left for a look


# -- 6. a corrupt resume chunk -----------------------------------------------------------------
N6, SEED6, CHUNK6 = 400, 21, 50  # 8 chunks


@pytest.fixture(scope="module")
def serial_400():
    return monte_carlo("reference-cathode", N6, SEED6, with_cell=False, chunk_size=CHUNK6, workers=1).frame


@pytest.mark.parametrize("damage", ["garbage", "empty", "other-chunk"])
def test_corrupt_resume_chunk_is_recomputed_or_named(tmp_path, serial_400, damage):
    """Fault: an interrupted checkpointed run (chunks 5-7 missing) whose chunk 3 is then damaged:
    garbage bytes, an empty file, or a whole Parquet file of another chunk.
    Expected: `monte_carlo(..., resume=True)` recomputes chunk 3 (and returns exactly the rows of an
    uninterrupted run) or fails with a celltwin error naming chunk-000003.parquet; never wrong
    rows, never another library's exception."""
    monte_carlo("reference-cathode", N6, SEED6, with_cell=False, chunk_size=CHUNK6, workers=1, checkpoint=tmp_path)
    ck = Checkpoint(tmp_path)
    for i in (5, 6, 7):  # as if the run had been killed after chunk 4
        ck.path(i).unlink()
    bad = ck.path(3)
    if damage == "garbage":
        bad.write_bytes(random.Random(3).randbytes(bad.stat().st_size))
    elif damage == "empty":
        bad.write_bytes(b"")
    else:
        shutil.copyfile(ck.path(2), bad)
    try:
        run = monte_carlo("reference-cathode", N6, SEED6, with_cell=False, chunk_size=CHUNK6, workers=1,
                          checkpoint=tmp_path, resume=True)
    except CelltwinError as exc:
        assert bad.name in str(exc)
        return
    pd.testing.assert_frame_equal(run.frame, serial_400, check_exact=True)
    assert run.execution["computed_chunks"] >= 4


# -- 7. a Dask worker lost mid-run ---------------------------------------------------------------
# run in the worker process: every chain evaluation sleeps 0.3 s, so the run can be hit mid-way
SLOW_CHAIN = textwrap.dedent("""
    import time
    from celltwin.platform.chain import ProcessChain
    _evaluate = ProcessChain.evaluate
    def evaluate(self, *args, **kwargs):
        time.sleep(0.3)
        return _evaluate(self, *args, **kwargs)
    ProcessChain.evaluate = evaluate
""")


def test_dask_worker_killed_mid_run_fails_in_time_and_resumes_bit_identically(tmp_path, cli_env):
    """Fault: the only Dask worker of a run (a `dask worker` with its nanny, in a process group of
    its own) SIGKILLed after the first chunks are on disk.
    Expected: SolverError naming the lost workers and --resume within timeout (5 s) + a few s;
    the finished chunks stay on disk; a resume on a fresh LocalCluster evaluates only the missing
    chunks and gives, bit for bit, the frame of an uninterrupted serial run.
    (A LocalCluster's nannies live in this process and restart a killed worker, so the worker to
    kill is started as `python -m distributed.cli.dask_worker`.)"""
    distributed = pytest.importorskip("distributed")
    sc = ct.Scenario.load("reference-cathode")
    n, chunk, timeout = 3000, 100, 5.0
    killed: dict[str, float] = {}

    def kill_worker(worker: subprocess.Popen, ck: Checkpoint, stop: threading.Event) -> None:
        while len(ck.done()) < 3 and not stop.is_set():
            time.sleep(0.01)
        if not stop.is_set():
            killed["chunks"] = len(ck.done())
            kill(worker)
            killed["at"] = time.monotonic()

    with distributed.LocalCluster(n_workers=0, processes=True, host="127.0.0.1", dashboard_address=None) as cluster:
        worker = start([cluster.scheduler_address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1",
                        "--local-directory", str(tmp_path / "dask")],
                       cli_env, tmp_path / "worker.log",
                       executable=[sys.executable, "-m", "distributed.cli.dask_worker"])
        stop = threading.Event()
        try:
            with distributed.Client(cluster) as client:
                client.wait_for_workers(1, timeout=60)
                client.run(exec, SLOW_CHAIN, {})
                killer = threading.Thread(target=kill_worker, args=(worker, Checkpoint(tmp_path), stop))
                killer.start()
                with pytest.raises(SolverError) as info:
                    monte_carlo(sc, n, 1, chunk_size=chunk, scheduler=client, checkpoint=tmp_path,
                                timeout=timeout, with_cell=False)
                failed_after = time.monotonic() - killed["at"]
        finally:
            stop.set()
            if worker.poll() is None:
                kill(worker)
    message = str(info.value)
    assert "all workers lost" in message and "--resume" in message
    assert failed_after < timeout + 10, failed_after
    done = Checkpoint(tmp_path).done()
    assert killed["chunks"] <= len(done) < n // chunk
    assert Checkpoint(tmp_path).manifest()["status"] == "running"

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        resumed = monte_carlo(sc, n, 1, chunk_size=chunk, scheduler=client, checkpoint=tmp_path, resume=True,
                              timeout=30, with_cell=False)
    assert resumed.execution["reused_chunks"] == len(done)
    assert resumed.execution["computed_chunks"] == n // chunk - len(done)
    serial = monte_carlo(sc, n, 1, chunk_size=chunk, workers=1, with_cell=False)
    pd.testing.assert_frame_equal(resumed.frame, serial.frame, check_exact=True)
    assert resumed.rejections == serial.rejections and resumed.failures == serial.failures


# -- 9. a run too large for the machine ---------------------------------------------------------
def test_memory_guard_refuses_a_run_that_cannot_fit(tmp_path, cli_env):
    """Fault: 10**9 samples.
    Expected: ParameterError (.parameter == "samples") naming the GiB needed and this machine's
    available memory, in under 2 s; `celltwin run --samples 1000000000 -o DIR` exits 2 with that
    one line and writes nothing (DIR is not created; only the lock file beside it, see the report)."""
    sc = ct.Scenario.load("reference-cathode")
    t0 = time.monotonic()
    with pytest.raises(ParameterError) as info:
        monte_carlo(sc, 10**9, 1, with_cell=False)
    elapsed = time.monotonic() - t0
    assert elapsed < 2.0, elapsed
    assert info.value.parameter == "samples"
    m = re.search(r"needs about ([\d.e+]+) GiB of memory.* the ([\d.e+]+) GiB available", str(info.value))
    assert m, str(info.value)
    need, available = float(m.group(1)), float(m.group(2))
    assert need > available
    assert available == pytest.approx(psutil.virtual_memory().available / 2**30, rel=0.3)

    folder = tmp_path / "big"
    t0 = time.monotonic()
    r = runner.invoke(app, ["run", "reference-cathode", "--samples", "1000000000", "-o", str(folder)])
    assert r.exit_code == 2, r.output
    # (an empty line comes first: the progress bar that the study had opened, see the report)
    assert r.output.strip().startswith("error: ") and len(r.output.strip().splitlines()) == 1
    assert "GiB of memory" in r.output and "GiB available" in r.output and "--samples" in r.output
    assert time.monotonic() - t0 < 15
    assert not folder.exists()
    assert {p.name for p in tmp_path.iterdir()} <= {".big.lock", "home"}
    assert not (tmp_path / "home" / "runs.duckdb").exists()


# -- 10. a DEM run too large --------------------------------------------------------------------
def test_dem_guard_refuses_before_lammps(monkeypatch):
    """Fault: `celltwin dem-drying --loading 20.5 --side 1e6` (about 2.6e11 particles).
    Expected: exit 2 at once naming the particle count and the 50,000 limit, before LAMMPS is
    imported (an import of lammps fails in this test)."""
    monkeypatch.setitem(sys.modules, "lammps", None)  # `import lammps` raises ImportError from here on
    t0 = time.monotonic()
    r = runner.invoke(app, ["dem-drying", "--loading", "20.5", "--side", "1e6"])
    assert r.exit_code == 2, r.output
    assert time.monotonic() - t0 < 5
    assert r.output.startswith("error: ") and len(r.output.strip().splitlines()) == 1
    assert re.search(r"holds about [\d,]+ particles", r.output) and "50,000" in r.output
    assert "Traceback" not in r.output and "lammps" not in r.output.lower()
