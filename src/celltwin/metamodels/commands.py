"""Command implementations for ``celltwin dem-drying``, ``dem-doe`` and ``fit-metamodel``.

Plain functions with plain arguments, so the CLI only wires options to them.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..platform.errors import ParameterError
from .dem_drying import DemSettings


def _settings(side: float | None = None, plate_speed: float | None = None) -> DemSettings:
    kw = {k: v for k, v in {"side": side, "plate_speed": plate_speed}.items() if v is not None}
    return DemSettings(**kw)


def dem_drying(loading: float = 20.5, seed: int = 1, side: float | None = None, plate_speed: float | None = None,
               output: str | None = None, console: Console | None = None) -> dict:
    """One DEM drying run; prints porosity, thickness, particle count, wall time; optional JSON with the force curve."""
    from .dem_drying import run_drying

    console = console or Console()
    settings = _settings(side, plate_speed)
    with console.status(f"LAMMPS drying run, m_wet = {loading} mg/cm^2, seed {seed} ..."):
        result = run_drying(loading, seed, settings)
    console.print(f"porosity: {result.porosity:.4f}")
    console.print(f"final thickness: {result.h_dry:.2f} µm (wet film {result.h_wet:.2f} µm)")
    console.print(f"particles: {result.n_particles} ({result.n_active} active, {result.n_agglomerates} "
                  f"agglomerates) in a {result.side:.1f} µm cell")
    console.print(f"steps: {result.steps} ({result.steps_per_second:.0f} steps/s)")
    console.print(f"wall time: {result.wall_time:.1f} s")
    console.print(f"seed: {result.seed}")
    record = result.row() | {"plate_z": result.plate_z.tolist(), "plate_force": result.plate_force.tolist(),
                             "settings": result.settings, "inside": result.inside}
    if output:
        Path(output).write_text(json.dumps(record, indent=2))
        console.print(f"wrote {output}")
    return record


def dem_doe(output: str, loadings: Sequence[float] = (14.2, 35.4), n_loadings: int = 7,
            speeds: Sequence[float] = (0.2,), n_speeds: int = 1, reps: int = 5, seed: int = 1,
            workers: int | None = None, side: float | None = None, limit: int | None = None,
            console: Console | None = None, scheduler: str | None = None):
    """Run or resume a DEM design: loadings (min, max) in n levels, speeds (min, max) in n levels;
    on local processes, or on a Dask cluster when ``scheduler`` is ``"tcp://HOST:PORT"``."""
    from .doe import levels, run_design

    console = console or Console()
    m_levels = levels(loadings[0], loadings[-1], n_loadings) if len(loadings) == 2 else list(loadings)
    v_levels = levels(speeds[0], speeds[-1], n_speeds) if len(speeds) == 2 and n_speeds > 1 else list(speeds)
    console.print(f"design: m_wet {m_levels} mg/cm^2 x plate speed {v_levels} mm/s x {reps} repetitions "
                  f"-> {output}")
    frame = run_design(output, m_levels, v_levels, reps=reps, seed=seed, settings=_settings(side),
                       workers=workers, limit=limit, scheduler=scheduler)
    ok = frame[frame["error"].isna() | (frame["error"] == "")]
    table = Table("m_wet (mg/cm^2)", "plate speed (mm/s)", "runs", "eps_dry mean", "eps_dry std",
                  title=f"{len(ok)} finished runs, {len(frame) - len(ok)} failed")
    for (m, v), g in ok.groupby(["m_wet", "plate_speed"]):
        table.add_row(f"{m:.2f}", f"{v:g}", str(len(g)), f"{g.eps_dry.mean():.4f}",
                      f"{g.eps_dry.std():.4f}" if len(g) > 1 else "-")
    console.print(table)
    return frame


def fit_metamodel(design: str, inputs: Sequence[str], output: str, model_path: str,
                  plot_path: str | None = None, candidates: Sequence[str] | None = None,
                  test_fraction: float = 0.2, seed: int = 0, console: Console | None = None):
    """Fit all candidates to a design CSV, print the ranking, write the JSON (and optionally a PNG)."""
    import pandas as pd

    from .fitting import KINDS, design_provenance, plot, select

    console = console or Console()
    if not Path(design).exists():
        raise ParameterError(f"design file {design!r} does not exist")
    data = pd.read_csv(design)
    sel = select(data, list(inputs), output, candidates=candidates or KINDS, test_fraction=test_fraction,
                 seed=seed, provenance=design_provenance(design))
    table = Table("rank", "candidate", "k", "R² train", "RMSE train", "AICc train", "R² test", "RMSE test",
                  title=f"{output} = f({', '.join(inputs)}): candidates ranked by training AICc")
    for row in sel.table.itertuples(index=False):
        test = (f"{row.R2_test:.4f}", f"{row.RMSE_test:.5f}") if hasattr(row, "R2_test") else ("-", "-")
        table.add_row(str(row.rank), row.candidate, f"{row.k:.2f}", f"{row.R2_train:.4f}",
                      f"{row.RMSE_train:.5f}", f"{row.AICc_train:.2f}", *test)
    console.print(table)
    console.print(f"selected: {sel.selected.kind}: {sel.selected.formula()}")
    console.print(f"why: {sel.reason}")
    sel.save(model_path)
    console.print(f"wrote {model_path}")
    if plot_path:
        plot(sel, data, plot_path)
        console.print(f"wrote {plot_path}")
    return sel
