"""Sampling runs: the one sample -> evaluate -> frame routine (evaluate_frame), propagate and
monte_carlo; chunked runs equal propagate() for the same seed, in this process, on local
processes and on a Dask LocalCluster; a failing chunk is recorded; common random numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import celltwin as ct
from celltwin.analysis.uq.sampling import (
    CommonRandomNumbers,
    Propagation,
    evaluate_chunk,
    evaluate_frame,
    monte_carlo,
    propagate,
)
from celltwin.platform.container import Container
from celltwin.platform.errors import CelltwinWarning, ParameterError, SolverError
from celltwin.platform.registry import containers

N, SEED = 600, 11


@pytest.fixture(scope="module")
def sc():
    return ct.Scenario.load("reference-cathode")


@pytest.fixture(scope="module")
def reference(sc):
    return ct.propagate(sc, N, SEED, with_cell=False)


@pytest.mark.parametrize("chunk_size", [1, 97, 600, 5000])
def test_serial_chunks_equal_propagate(sc, reference, chunk_size):
    n = 50 if chunk_size == 1 else N
    ref = reference if n == N else ct.propagate(sc, n, SEED, with_cell=False)
    run = monte_carlo(sc, n, SEED, with_cell=False, chunk_size=chunk_size, workers=1)
    pd.testing.assert_frame_equal(run.frame, ref)
    ex = run.execution
    assert ex["chunks"] == -(-n // chunk_size) and ex["computed_chunks"] == ex["chunks"]
    assert set(ex["step_seconds"]) >= {"sampling", "mixing", "coating", "calendering"}


def test_local_processes_equal_propagate(sc, reference):
    run = monte_carlo(sc, N, SEED, with_cell=False, chunk_size=100, workers=2)
    pd.testing.assert_frame_equal(run.frame, reference)
    ex = run.execution
    assert ex["backend"].startswith("local (2 workers)")
    assert len(ex["workers"]) >= 1


def test_dask_local_cluster_equals_local(sc, reference):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        run = monte_carlo(sc, N, SEED, with_cell=False, chunk_size=100, scheduler=cluster.scheduler_address)
        with distributed.Client(cluster) as client:  # an existing client is accepted as well
            again = monte_carlo(sc, N, SEED, with_cell=False, chunk_size=250, scheduler=client)
    pd.testing.assert_frame_equal(run.frame, reference)
    pd.testing.assert_frame_equal(again.frame, reference)
    assert run.execution["backend"].startswith("dask tcp://127.0.0.1:")
    assert run.execution["computed_chunks"] == 6


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


@containers.register
class _GapGauge(_Gauge):
    """Loses (NaN, like a failed cell simulation) every sample thicker than 49 um."""

    name = "test-gap"

    def evaluate(self, inputs):
        h = np.asarray(inputs["h_cal"], dtype=float)
        return {"capacity": np.where(h > 49.0, np.nan, 0.05 * h)}


def test_failing_chunk_is_recorded_and_run_carries_on(sc):
    fragile = _with_step(sc, "test-fragile-gauge")
    run = monte_carlo(fragile, 200, 3, chunk_size=10, workers=1, checks=False)
    frame = run.frame
    h_cal = ct.propagate(sc, 200, 3, with_cell=False)["h_cal"]  # the same sample, without the gauge
    chunk_max = h_cal.groupby(np.arange(200) // 10).max()
    crashed = chunk_max[chunk_max > 50].index
    assert 0 < len(crashed) < 20
    bad = np.isin(np.arange(200) // 10, crashed)
    assert not frame["valid"][bad].any() and frame["valid"][~bad].all()
    assert frame["rejected"][bad].str.startswith("chunk failed: SolverError: gauge crashed").all()
    assert run.rejections == {"chunk failed: SolverError": int(bad.sum())}
    assert frame.loc[bad, "h_cal"].isna().all()  # nothing of a crashed chunk is kept
    np.testing.assert_allclose(frame["capacity"][~bad], 0.05 * h_cal[~bad], rtol=1e-12)


def test_preflight_does_not_abort_a_run_whose_chain_raises(sc):
    fragile = _with_step(sc, "test-fragile-gauge")
    with pytest.warns(CelltwinWarning, match="pilot run failed"):
        run = monte_carlo(fragile, 200, 3, chunk_size=10, workers=1)
    assert 0 < run.n_valid < 200 and "chunk failed: SolverError" in run.rejections


def test_failed_cell_simulations_marked_invalid(sc):
    """A NaN performance output of a valid sample becomes a rejection with its reason."""
    gap = _with_step(sc, "test-gap")
    inputs = gap.sample(100, 5)
    res = evaluate_chunk(gap, inputs, 0, True)
    lost = res.frame["h_cal"] > 49.0
    assert lost.any() and not res.frame["valid"][lost].any() and res.frame["valid"][~lost].all()
    assert res.rejections == {"capacity: cell simulation failed": int(lost.sum())}
    kept = evaluate_chunk(gap, inputs, 0, True, mark_failed=False)
    assert kept.frame["valid"].all()


def test_evaluate_frame_marks_a_failed_performance_output_with_its_reason(sc):
    """evaluate_frame itself (no worker, no chunk): every input and output in the frame, a NaN
    performance output of an otherwise valid sample invalid with the reason in ``rejected``."""
    gap = _with_step(sc, "test-gap")
    chain = gap.build_chain()
    inputs = gap.sample(100, 5)
    res = evaluate_frame(chain, inputs)
    frame = res.frame
    assert list(frame.columns[:len(inputs.columns)]) == list(inputs.columns)
    assert set(chain.outputs) <= set(frame) and {"valid", "rejected"} <= set(frame)
    pd.testing.assert_frame_equal(frame[inputs.columns], inputs)
    lost = (frame["h_cal"] > 49.0).to_numpy()
    assert 0 < lost.sum() < 100
    assert not frame["valid"][lost].any() and frame["valid"][~lost].all()
    assert (frame["rejected"][lost] == "capacity: cell simulation failed").all()
    assert (frame["rejected"][~lost] == "").all()
    assert res.rejections == {"capacity: cell simulation failed": int(lost.sum())}
    kept = evaluate_frame(chain, inputs, mark_failed=False)
    assert kept.frame["valid"].all() and kept.rejections == {}
    assert np.isnan(kept.frame["capacity"][lost]).all()


def test_propagate_equals_monte_carlo_frame(sc):
    """propagate() is monte_carlo() in this process, the frame alone; the Propagation carries the rest."""
    frame = propagate(sc, 300, 4, with_cell=False)
    run = monte_carlo(sc, 300, 4, with_cell=False, chunk_size=64, workers=1)
    assert isinstance(frame, pd.DataFrame) and isinstance(run, Propagation)
    pd.testing.assert_frame_equal(frame, run.frame)
    pd.testing.assert_frame_equal(run.to_frame(), frame)
    assert run.n_valid == len(run) == 300 and run.valid.all() and (run.reasons == "").all()
    np.testing.assert_array_equal(run["m_dry"], frame["m_dry"].to_numpy())
    assert run.units["m_dry"] == "mg/cm^2" and "valid" not in run.units
    assert run.execution["seed"] == 4 and run.execution["samples"] == 300 and run.execution["chunks"] == 5


def test_propagate_marks_failed_cell_simulations_invalid(sc):
    """Like the study, propagate() now refuses samples whose performance output is NaN."""
    gap = _with_step(sc, "test-gap")
    with pytest.warns(CelltwinWarning, match="pilot run are rejected by the chain, most for 'capacity: cell"):
        frame = propagate(gap, 100, 5)
    lost = (frame["h_cal"] > 49.0).to_numpy()
    assert lost.any() and not frame["valid"][lost].any() and frame["valid"][~lost].all()
    assert (frame["rejected"][lost] == "capacity: cell simulation failed").all()


def test_common_random_numbers_shift_and_stretch():
    sc = ct.Scenario.load("reference-cathode")
    crn = CommonRandomNumbers(sc, 500, seed=3)
    a, b = crn.evaluate(), crn.evaluate({"V_dot": 700.0, "q_L": 90.0})
    assert isinstance(a, Propagation)
    assert np.allclose(b["V_dot"] - a["V_dot"], 4.0) and np.allclose(b["q_L"] - a["q_L"], 6.0)
    assert np.array_equal(a["w_AM"], b["w_AM"])  # the other draws are untouched
    c = crn.evaluate(scales={"q_L": 3.0})
    assert np.allclose(c["q_L"] - 84.0, 3.0 * (a["q_L"] - 84.0))
    # a free mass fraction keeps the balance closed in every sample
    d = crn.evaluate({"w_AM": 0.93})
    assert np.allclose(d["w_AM"] + d["w_CA"] + d["w_PB"], 1.0)
    assert crn.calls == 4 and crn.evaluations == 4 * 500
    with pytest.raises(ParameterError, match="has no spread to scale") as info:
        crn.evaluate(scales={"rho_AM": 2.0})
    assert info.value.parameter == "rho_AM"


def test_common_random_numbers_move_a_normal_by_exactly_the_shift():
    """Moving V_dot's nominal by +1 shifts every V_dot sample by exactly +1 (same uniforms, a
    normal keeps its absolute std), and the sample equals the scenario's own seeded sample."""
    sc = ct.Scenario.load("reference-cathode")
    crn = CommonRandomNumbers(sc, 400, seed=8)
    a, b = crn.evaluate(), crn.evaluate({"V_dot": 697.0})
    np.testing.assert_allclose(b["V_dot"] - a["V_dot"], 1.0, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(a["V_dot"], sc.sample(400, 8, "mc")["V_dot"].to_numpy())
    for name in set(sc.uncertain) - {"V_dot"}:
        np.testing.assert_array_equal(a[name], b[name])
    # m_dry is linear in V_dot: the loading moves by the same relative step in every sample both accept
    both = a.valid & b.valid
    assert both.sum() > 300
    np.testing.assert_allclose(b["m_dry"][both] / a["m_dry"][both], b["V_dot"][both] / a["V_dot"][both], rtol=1e-12)
