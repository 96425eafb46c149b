"""Execution backends: chunk bounds, the one map() interface in this process, on local
processes and (failing clearly) on a Dask scheduler that is not there or is misnamed."""
from __future__ import annotations

import pytest

from celltwin.platform.errors import ParameterError
from celltwin.platform.execution import DaskBackend, LocalBackend, SerialBackend, backend, chunk_bounds


def test_chunk_bounds_cover_every_sample_once():
    assert chunk_bounds(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert chunk_bounds(3, 100) == [(0, 3)]
    with pytest.raises(ParameterError, match="chunk_size = 0"):
        chunk_bounds(10, 0)


def test_backend_choice_and_workers_checked():
    assert isinstance(backend(workers=1), SerialBackend)
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ParameterError, match="workers") as info:
            backend(workers=bad)
        assert info.value.parameter == "workers"


@pytest.mark.parametrize("scheduler", ["garbage", "127.0.0.1:8786", 42])
def test_a_scheduler_that_is_not_an_address_is_refused_at_once(scheduler):
    with pytest.raises(ParameterError, match="not a Dask scheduler address; write tcp://HOST:PORT") as info:
        DaskBackend(scheduler)
    assert info.value.parameter == "scheduler"


@pytest.mark.parametrize("key", ["worker_timeout", "task_timeout"])
def test_timeouts_must_be_positive(key):
    with pytest.raises(ParameterError, match=f"{key} = 0 s must be positive"):
        DaskBackend("tcp://127.0.0.1:9", **{key: 0})


def test_unreachable_scheduler_is_reported(monkeypatch):
    monkeypatch.setattr("celltwin.platform.execution.CONNECT_TIMEOUT", "1s")
    with pytest.raises(ParameterError, match="no Dask scheduler answers"):
        backend("tcp://127.0.0.1:9")


def test_backends_map_any_task():
    """The generic interface (what a DEM design uses): any picklable function, any tasks."""
    tasks = [(2, k) for k in range(6)]
    with SerialBackend() as be:
        assert list(be.map(pow, tasks)) == [1, 2, 4, 8, 16, 32]
    with LocalBackend(2) as be:
        assert sorted(be.map(pow, tasks)) == [1, 2, 4, 8, 16, 32]
