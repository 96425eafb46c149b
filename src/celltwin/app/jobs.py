"""The exact P2D Monte Carlo behind the page's button, with progress.

It runs in a child process (``spawn``), not a thread of the web server: the P2D solver of a
running batch is then never shared with the exact nominal solves of the what-if updates, and
the page stays responsive. The child runs :func:`~celltwin.analysis.uq.sampling.monte_carlo`
in chunks and reports each finished chunk on a queue; a thread of the server reads it. One run
at a time, at most :data:`MAX_EXACT` samples. Dash's background callbacks would need a
diskcache or Celery service; a process and a queue need nothing.
"""
from __future__ import annotations

import multiprocessing
import threading
import time
from typing import Any

import numpy as np

from ..analysis.uq.specs import as_specs, yield_of
from ..containers.scenario import ElectrodeScenario
from ..platform.errors import ParameterError
from .surrogate import CellSurrogate

#: the largest exact run the page starts (about 10 ms per P2D sample on two cores)
MAX_EXACT = 500


def _child(sc: ElectrodeScenario, n: int, seed: int, columns: list[str], queue) -> None:
    """In the child process: the Monte Carlo, progress per chunk, then the KPI columns."""
    from ..analysis.uq.sampling import monte_carlo

    try:
        run = monte_carlo(sc, n, seed, workers=1, chunk_size=max(5, n // 20), checks=False,
                          progress=lambda done, total: queue.put(("progress", done, total)))
        frame = run.frame
        data = {k: frame[k].to_numpy(dtype=float) for k in columns if k in frame}
        data["valid"] = frame["valid"].to_numpy(dtype=bool)
        queue.put(("done", data, dict(run.rejections), run.execution.get("wall_seconds")))
    except Exception as exc:  # noqa: BLE001 - the page shows the reason
        queue.put(("error", f"{type(exc).__name__}: {exc}"))


class ExactRun:
    """The state of the page's exact run: ``idle``, ``running`` (with progress), ``done`` or ``error``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state: dict[str, Any] = {"status": "idle"}

    def start(self, sc: ElectrodeScenario, n: int, seed: int, kpis: list[str],
              surrogate: CellSurrogate | None) -> None:
        """Start a run of ``n`` samples; refused while one runs or above :data:`MAX_EXACT`."""
        if not 1 <= n <= MAX_EXACT:
            raise ParameterError(f"exact samples = {n} must lie in [1, {MAX_EXACT}]", parameter="samples", value=n,
                                 valid=f"[1, {MAX_EXACT}]")
        with self._lock:
            if self.state["status"] == "running":
                raise ParameterError("an exact run is already under way; wait for it to finish")
            self.state = {"status": "running", "done": 0, "total": 1, "samples": n, "started": time.time()}
        columns = sorted({*kpis, *(("h_cal", "eps_cal", "w_AM", "m_dry") + tuple(f"X_{c}" for c in sc.components))})
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_child, args=(sc, n, seed, columns, queue), daemon=True)
        proc.start()
        threading.Thread(target=self._follow, args=(sc, proc, queue, kpis, surrogate), daemon=True).start()

    def _follow(self, sc, proc, queue, kpis, surrogate) -> None:
        while True:
            try:
                msg = queue.get(timeout=1.0)
            except Exception:  # noqa: BLE001 - queue.Empty: check the child is alive
                if not proc.is_alive():
                    self._set(status="error", message=f"the exact run's process ended (exit code {proc.exitcode})")
                    return
                continue
            if msg[0] == "progress":
                self._set(done=msg[1], total=msg[2])
            elif msg[0] == "error":
                self._set(status="error", message=msg[1])
                return
            else:
                self._set(**self._result(sc, msg[1], msg[2], msg[3], kpis, surrogate))
                proc.join(timeout=5)
                return

    def _set(self, **kw) -> None:
        with self._lock:
            self.state = {**self.state, **kw}

    def _result(self, sc, data, rejections, wall, kpis, surrogate) -> dict[str, Any]:
        valid = data["valid"]
        out: dict[str, Any] = {"status": "done", "seconds": wall, "n_valid": int(valid.sum()),
                               "rejections": rejections,
                               "stats": {k: {"mean": float(np.nanmean(data[k][valid])),
                                             "std": float(np.nanstd(data[k][valid], ddof=1)) if valid.sum() > 1
                                             else float("nan")}
                                         for k in kpis if k in data and valid.any()}}
        specs = as_specs(dict(sc.specs), sc.catalog)
        if specs:
            out["yield"] = yield_of(data, specs, valid=valid, catalog=sc.catalog).summary()
        if surrogate is not None and valid.any():
            predicted = surrogate.predict(data)
            out["surrogate_error"] = {k: float(np.nanmax(np.abs(predicted[k][valid] / data[k][valid] - 1.0)))
                                      for k in surrogate.pces if k in data}
        return out

    def poll(self) -> dict[str, Any]:
        with self._lock:
            return dict(self.state)
