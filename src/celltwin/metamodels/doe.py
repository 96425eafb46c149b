"""Virtual design of experiments on the DEM drying simulation.

Factors are the wet mass loading (mg/cm^2) and the drying rate (solvent evaporation rate,
g/(m^2 s)); each design point is repeated with different random particle
placements (seeds). Runs go to a pool of processes, one LAMMPS instance each, and
every finished run is appended to the CSV at once, so an interrupted design resumes
where it stopped: points already in the CSV are not run again. A run that fails is
recorded with its reason and the design carries on.
"""
from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..platform.errors import ParameterError
from .dem_drying import DemSettings, run_drying
from .particles import Formulation

#: seed 004 §3.2: seven wet loadings from 14.2 to 35.4 mg/cm^2, five repetitions
PAPER_LOADINGS = (14.2, 35.4, 7)
COLUMNS = ["m_wet", "drying_rate", "rep", "seed", "eps_dry", "eps_bulk", "eps_nano", "h_dry", "h_wet", "h_loaded",
           "cbd_bottom", "cbd_middle", "cbd_top", "migration_index", "stop_pressure", "n_particles", "n_active",
           "n_cbd", "side", "steps", "wall_time", "wall_overlap", "stokes", "capillary", "sedimentation", "error"]

DesignProgress = Callable[[str, int, int], None]
"""A progress callback: ``(stage description, runs done, runs in all)``."""


def levels(low: float, high: float, n: int) -> list[float]:
    """``n`` equally spaced levels from ``low`` to ``high``: min, max, the medium when n is odd, and between."""
    if n < 1 or (n > 1 and not high > low):
        raise ParameterError(f"levels: need n >= 1 and high > low, got low={low}, high={high}, n={n}")
    return [float(v) for v in np.round(np.linspace(low, high, n), 6)] if n > 1 else [float(low)]


@dataclass(frozen=True)
class Point:
    m_wet: float
    drying_rate: float
    rep: int
    seed: int

    @property
    def key(self) -> tuple:
        return (round(self.m_wet, 6), round(self.drying_rate, 6), self.rep)


def design(loadings: Sequence[float], rates: Sequence[float], reps: int, seed: int = 1) -> list[Point]:
    """Full factorial points, repetition-major so a partial design already spans every level."""
    points = []
    for rep in range(reps):
        for v in rates:
            for m in loadings:
                points.append(Point(float(m), float(v), rep, seed + rep))
    return points


def done_keys(path: Path) -> set[tuple]:
    """Design points already recorded in the CSV (finished or failed)."""
    if not path.exists() or path.stat().st_size == 0:
        return set()
    table = pd.read_csv(path)
    rows = zip(table.m_wet, table.drying_rate, table.rep, strict=True)
    return {(round(m, 6), round(v, 6), int(r)) for m, v, r in rows}


def _run_point(point: Point, settings: DemSettings, formulation: Formulation) -> dict:
    """Worker: one DEM run, returned as a CSV row; a failure becomes a row with its reason."""
    s = replace(settings, drying_rate=point.drying_rate)
    try:
        row = run_drying(point.m_wet, point.seed, s, formulation).row()
        row["error"] = ""
    except Exception as exc:  # recorded with its reason; the design carries on
        row = {"m_wet": point.m_wet, "drying_rate": point.drying_rate, "seed": point.seed,
               "eps_dry": float("nan"), "error": f"{type(exc).__name__}: {exc}"}
    row["rep"] = point.rep
    return {c: row.get(c, "") for c in COLUMNS}


def _append(path: Path, row: dict) -> None:
    new = not path.exists() or path.stat().st_size == 0
    with path.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        if new:
            writer.writeheader()
        writer.writerow(row)
        fh.flush()
        os.fsync(fh.fileno())


def file_hash(path: str | Path) -> str:
    """sha256 of a file, the provenance key that ties a metamodel to its design."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def provenance_path(csv_path: str | Path) -> Path:
    p = Path(csv_path)
    return p.with_name(p.stem + ".provenance.json")


def write_provenance(csv_path: Path, settings: DemSettings, formulation: Formulation,
                     points: Sequence[Point]) -> dict:
    """The settings that generated a design, next to its CSV (``<name>.provenance.json``)."""
    from .engine import engine_version

    info = {"dem_settings": asdict(settings), "formulation": asdict(formulation),
            "engine": engine_version(),
            "design": {"loadings": sorted({p.m_wet for p in points}),
                       "drying_rates": sorted({p.drying_rate for p in points}),
                       "repetitions": len({p.rep for p in points}),
                       "seeds": sorted({p.seed for p in points})}}
    provenance_path(csv_path).write_text(json.dumps(info, indent=2))
    return info


def run_design(path: str | Path, loadings: Sequence[float], rates: Sequence[float] = (1.0,),
               reps: int = 5, seed: int = 1, settings: DemSettings | None = None,
               formulation: Formulation | None = None, workers: int | None = None,
               progress: DesignProgress | None = None,
               runner: Callable[[Point, DemSettings, Formulation], dict] = _run_point,
               limit: int | None = None, scheduler=None) -> pd.DataFrame:
    """Run (or resume) a design; returns the whole CSV as a DataFrame.

    ``workers`` defaults to the number of available cores; ``limit`` stops after that
    many new runs (for a partial design); ``scheduler`` (``"tcp://HOST:PORT"``) sends
    the runs to an existing Dask cluster instead of local processes; ``progress`` is
    called as ``progress("DEM design", runs done, new runs in all)`` after every finished
    run (the CLI draws a bar). Settings, formulation and engine version
    are written to ``<name>.provenance.json`` beside the CSV; resuming with other
    settings is refused, since the CSV would then mix two models.
    """
    path = Path(path)
    s = settings or DemSettings()
    f = formulation or Formulation()
    s.validate()
    points = design(loadings, rates, reps, seed)
    prov = provenance_path(path)
    if prov.exists() and path.exists():
        old = json.loads(prov.read_text())
        if old.get("dem_settings", {}) | {"drying_rate": None} != asdict(s) | {"drying_rate": None} \
                or old.get("formulation") != asdict(f):
            raise ParameterError(f"{path} was generated with other DEM settings or formulation "
                                 f"(see {prov}); write the design to a new file")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_provenance(path, s, f, points)
    done = done_keys(path)
    todo = [p for p in points if p.key not in done]
    if limit is not None:
        todo = todo[:limit]
    workers = max(1, min(workers or len(os.sched_getaffinity(0)), len(todo) or 1))
    if todo:
        _execute(path, todo, s, f, workers, progress, runner, scheduler)
    return pd.read_csv(path)


def _execute(path, todo, settings, formulation, workers, progress, runner, scheduler=None) -> None:
    report = progress or (lambda stage, done, total: None)
    done = 0

    def record(row):
        nonlocal done
        _append(path, row)
        done += 1
        report("DEM design", done, len(todo))

    report("DEM design", 0, len(todo))
    if scheduler is not None:  # an existing Dask cluster: one task per DEM run
        from ..platform.execution import DaskBackend

        with DaskBackend(scheduler) as cluster:
            for row in cluster.map(runner, ((p, settings, formulation) for p in todo)):
                record(row)
        return
    if workers == 1:  # in this process: no start-up cost, and a debugger sees the run
        for p in todo:
            record(runner(p, settings, formulation))
        return
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter per worker: one MPI/LAMMPS each
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        pending = {pool.submit(runner, p, settings, formulation) for p in todo}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                record(fut.result())
