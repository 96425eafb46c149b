"""Execution backends: chunked propagation equals propagate() for the same seed, in this
process, on local processes and on a Dask LocalCluster; a failing chunk is recorded."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import celltwin as ct
from celltwin.analysis.execution import backend, chunk_bounds, propagate_chunked
from celltwin.platform.container import Container
from celltwin.platform.errors import ParameterError, SolverError
from celltwin.platform.registry import containers

N, SEED = 600, 11


@pytest.fixture(scope="module")
def sc():
    return ct.Scenario.load("reference-cathode")


@pytest.fixture(scope="module")
def reference(sc):
    return ct.propagate(sc, N, SEED, with_cell=False)


def test_chunk_bounds_cover_every_sample_once():
    assert chunk_bounds(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert chunk_bounds(3, 100) == [(0, 3)]
    with pytest.raises(ParameterError, match="chunk_size = 0"):
        chunk_bounds(10, 0)


@pytest.mark.parametrize("chunk_size", [1, 97, 600, 5000])
def test_serial_chunks_equal_propagate(sc, reference, chunk_size):
    n = 50 if chunk_size == 1 else N
    ref = reference if n == N else ct.propagate(sc, n, SEED, with_cell=False)
    frame = propagate_chunked(sc, n, SEED, with_cell=False, chunk_size=chunk_size, workers=1)
    pd.testing.assert_frame_equal(frame, ref)
    ex = frame.attrs["execution"]
    assert ex["chunks"] == -(-n // chunk_size) and ex["computed_chunks"] == ex["chunks"]
    assert set(ex["step_seconds"]) >= {"sampling", "mixing", "coating", "calendering"}


def test_local_processes_equal_propagate(sc, reference):
    frame = propagate_chunked(sc, N, SEED, with_cell=False, chunk_size=100, workers=2)
    pd.testing.assert_frame_equal(frame, reference)
    ex = frame.attrs["execution"]
    assert ex["backend"].startswith("local (2 workers)")
    assert len(ex["workers"]) >= 1


def test_dask_local_cluster_equals_local(sc, reference):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        frame = propagate_chunked(sc, N, SEED, with_cell=False, chunk_size=100, scheduler=cluster.scheduler_address)
        with distributed.Client(cluster) as client:  # an existing client is accepted as well
            again = propagate_chunked(sc, N, SEED, with_cell=False, chunk_size=250, scheduler=client)
    pd.testing.assert_frame_equal(frame, reference)
    pd.testing.assert_frame_equal(again, reference)
    assert frame.attrs["execution"]["backend"].startswith("dask tcp://127.0.0.1:")
    assert frame.attrs["execution"]["computed_chunks"] == 6


def test_unreachable_scheduler_is_reported(monkeypatch):
    monkeypatch.setattr("celltwin.platform.execution.CONNECT_TIMEOUT", "1s")
    with pytest.raises(ParameterError, match="no Dask scheduler answers"):
        backend("tcp://127.0.0.1:9")


def _with_step(sc, step: str):
    """``sc`` with a test container appended to its chain, without the cell model."""
    data = sc.to_dict()
    data["scenario"]["chain"] = data["scenario"]["chain"] + [step]
    data["scenario"].pop("cell", None)
    return ct.Scenario.from_dict(data)


class _Gauge(Container):
    """Test cell stand-in: capacity from the calendered thickness alone."""

    kind = "numerical"

    def inputs(self):
        return {"h_cal": "um"}

    def outputs(self):
        return {"capacity": "mA*h/cm^2"}


@containers.register
class _FragileGauge(_Gauge):
    """Fails (like a crashed solver) on a chunk holding a thick coating."""

    name = "test-fragile-gauge"

    def evaluate(self, inputs):
        h = np.asarray(inputs["h_cal"])
        if np.nanmax(h) > 50.0:
            raise SolverError(f"gauge crashed at h_cal = {np.nanmax(h):.3g} um")
        return {"capacity": 0.05 * h}


def test_failing_chunk_is_recorded_and_run_carries_on(sc):
    fragile = _with_step(sc, "test-fragile-gauge")
    frame = propagate_chunked(fragile, 200, 3, chunk_size=10, workers=1)
    h_cal = ct.propagate(sc, 200, 3, with_cell=False)["h_cal"]  # the same sample, without the gauge
    chunk_max = h_cal.groupby(np.arange(200) // 10).max()
    crashed = chunk_max[chunk_max > 50].index
    assert 0 < len(crashed) < 20
    bad = np.isin(np.arange(200) // 10, crashed)
    assert not frame["valid"][bad].any() and frame["valid"][~bad].all()
    assert frame["rejected"][bad].str.startswith("chunk failed: SolverError: gauge crashed").all()
    assert frame.attrs["rejections"] == {"chunk failed: SolverError": int(bad.sum())}
    assert frame.loc[bad, "h_cal"].isna().all()  # nothing of a crashed chunk is kept
    np.testing.assert_allclose(frame["capacity"][~bad], 0.05 * h_cal[~bad], rtol=1e-12)


def test_failed_cell_simulations_marked_invalid(sc):
    """A NaN performance output of a valid sample becomes a rejection with its reason."""
    from celltwin.analysis.execution import evaluate_chunk

    @containers.register
    class _Gap(_Gauge):
        name = "test-gap"

        def evaluate(self, inputs):
            h = np.asarray(inputs["h_cal"], dtype=float)
            return {"capacity": np.where(h > 49.0, np.nan, 0.05 * h)}

    gap = _with_step(sc, "test-gap")
    inputs = gap.sample(100, 5)
    res = evaluate_chunk(gap, inputs, 0, True)
    lost = res.frame["h_cal"] > 49.0
    assert lost.any() and not res.frame["valid"][lost].any() and res.frame["valid"][~lost].all()
    assert res.rejections == {"capacity: cell simulation failed": int(lost.sum())}
    kept = evaluate_chunk(gap, inputs, 0, True, mark_failed=False)
    assert kept.frame["valid"].all()


def test_backends_map_any_task(sc):
    """The generic interface (what a DEM design uses): any picklable function, any tasks."""
    from celltwin.platform.execution import LocalBackend, SerialBackend

    tasks = [(2, k) for k in range(6)]
    with SerialBackend() as be:
        assert list(be.map(pow, tasks)) == [1, 2, 4, 8, 16, 32]
    with LocalBackend(2) as be:
        assert sorted(be.map(pow, tasks)) == [1, 2, 4, 8, 16, 32]
