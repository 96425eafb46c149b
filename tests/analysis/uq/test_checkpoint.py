"""Resumable studies: a run really killed (SIGKILL) or interrupted (SIGINT, i.e. Ctrl-C)
after its first chunks are on disk resumes, evaluates only the missing chunks, and
gives the frame of an uninterrupted run with the same seed."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import celltwin as ct
from celltwin.analysis.uq.checkpoint import Checkpoint, ChunkResult
from celltwin.analysis.uq.sampling import monte_carlo
from celltwin.platform.errors import ScenarioError

N, SEED, CHUNK = 400, 21, 50  # 8 chunks

# The child runs the real code; only the chain is slowed down (0.4 s per chunk) so that
# the parent can interrupt it between chunks.
CHILD = textwrap.dedent("""
    import sys, time
    import celltwin as ct
    from celltwin.platform.chain import ProcessChain
    from celltwin.analysis.uq.sampling import monte_carlo

    slow = ProcessChain.evaluate
    def evaluate(self, *a, **k):
        time.sleep(0.4)
        return slow(self, *a, **k)
    ProcessChain.evaluate = evaluate
    monte_carlo(ct.Scenario.load("reference-cathode"), {n}, {seed}, with_cell=False, chunk_size={chunk},
                workers=1, checkpoint=sys.argv[1])
    print("finished")
""").format(n=N, seed=SEED, chunk=CHUNK)


@pytest.fixture(scope="module")
def reference():
    return ct.propagate("reference-cathode", N, SEED, with_cell=False)


def _start_and_interrupt(folder: Path, sig: int) -> int:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(folder)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    ck = Checkpoint(folder)
    deadline = time.monotonic() + 120
    while len(ck.done()) < 2:
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before it could be interrupted: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("no chunk appeared within 120 s")
        time.sleep(0.02)
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    assert "finished" not in out
    return proc.returncode


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_interrupted_run_resumes_to_the_same_result(tmp_path, reference, sig):
    code = _start_and_interrupt(tmp_path, sig)
    assert code != 0
    ck = Checkpoint(tmp_path)
    done = ck.done()
    assert 2 <= len(done) < 8
    assert ck.manifest()["status"] == "running"

    run = monte_carlo("reference-cathode", N, SEED, with_cell=False, chunk_size=CHUNK, workers=1,
                      checkpoint=tmp_path, resume=True)
    ex = run.execution
    assert ex["reused_chunks"] == len(done)
    assert ex["computed_chunks"] == 8 - len(done)
    pd.testing.assert_frame_equal(run.frame, reference)
    manifest = json.loads((tmp_path / "chunks" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["resumed"][0]["chunks_found"] == len(done)


def test_resume_refuses_a_different_run(tmp_path):
    monte_carlo("reference-cathode", 100, 1, with_cell=False, chunk_size=50, workers=1, checkpoint=tmp_path)
    with pytest.raises(ScenarioError) as info:
        monte_carlo("reference-cathode", 100, 2, with_cell=False, chunk_size=25, workers=1,
                    checkpoint=tmp_path, resume=True)
    assert "seed: checkpoint has 1, this run 2" in str(info.value)
    assert "chunk_size: checkpoint has 50, this run 25" in str(info.value)


def test_fresh_run_clears_old_chunks_and_resume_of_complete_run_computes_nothing(tmp_path, reference):
    monte_carlo("reference-cathode", 100, 1, with_cell=False, chunk_size=50, workers=1, checkpoint=tmp_path)
    run = monte_carlo("reference-cathode", N, SEED, with_cell=False, chunk_size=CHUNK, workers=1,
                      checkpoint=tmp_path)
    assert Checkpoint(tmp_path).done() == list(range(8))
    again = monte_carlo("reference-cathode", N, SEED, with_cell=False, chunk_size=CHUNK, workers=1,
                        checkpoint=tmp_path, resume=True)
    assert again.execution["computed_chunks"] == 0
    pd.testing.assert_frame_equal(run.frame, reference)
    pd.testing.assert_frame_equal(again.frame, reference)
    assert again.rejections == run.rejections and again.execution["reused_chunks"] == 8


def test_chunk_result_round_trips_through_a_checkpoint(tmp_path):
    """A ChunkResult written and read back: rows and record (the record rides in the Parquet metadata)."""
    frame = pd.DataFrame({"m_dry": [14.3, 14.4], "valid": [True, False], "rejected": ["", "capacity: lost"]})
    res = ChunkResult(3, frame, {"capacity: lost": 1}, {"mixing": 0.5}, {"half-cell: lost": 1}, 1.5, "host:1")
    ck = Checkpoint(tmp_path)
    assert ck.start({"seed": 1}) == [] and ck.manifest()["status"] == "running"
    ck.write(res)
    assert ck.done() == [3] and not list(ck.folder.glob("*.tmp"))
    back = ck.read(3)
    pd.testing.assert_frame_equal(back.frame, frame)
    assert back.frame.attrs == {}
    assert (back.index, back.rejections, back.step_seconds, back.failures, back.seconds, back.worker) == \
        (3, {"capacity: lost": 1}, {"mixing": 0.5}, {"half-cell: lost": 1}, 1.5, "host:1")
    ck.finish()
    assert ck.manifest()["status"] == "complete"
    ck.discard()
    assert ck.done() == []


@pytest.mark.slow
def test_cli_run_killed_and_resumed(tmp_path):
    """`celltwin run` (chain + P2D half-cell, full study) killed after its first chunks,
    then `celltwin run --resume`: the samples equal those of an uninterrupted run."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
           "CELLTWIN_HOME": str(tmp_path / "home")}
    cmd = [str(Path(sys.executable).parent / "celltwin"), "run", "reference-cathode", "--samples", "600", "--seed", "4"]
    first = tmp_path / "killed"
    proc = subprocess.Popen(cmd + ["-o", str(first)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ck = Checkpoint(first)
    while len(ck.done()) < 1:
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    done = ck.done()
    assert 1 <= len(done) < 6 and not (first / "samples.parquet").exists()
    subprocess.run(cmd + ["-o", str(first), "--resume"], env=env, check=True, capture_output=True)
    subprocess.run(cmd + ["-o", str(tmp_path / "whole")], env=env, check=True, capture_output=True)
    pd.testing.assert_frame_equal(pd.read_parquet(first / "samples.parquet"),
                                  pd.read_parquet(tmp_path / "whole" / "samples.parquet"))
    from celltwin.store.runs import RunStore

    store = RunStore(tmp_path / "home")
    runs = {store.get(r)["output_dir"]: store.get(r) for r in store.list()["run_id"]}
    assert runs[str(first.resolve())]["reused_chunks"] == len(done)
    assert runs[str((tmp_path / "whole").resolve())]["reused_chunks"] == 0
