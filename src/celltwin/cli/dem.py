"""DEM drying and metamodels: ``dem-drying``, ``dem-doe``, ``fit-metamodel``.

The computation lives in :mod:`celltwin.metamodels` (``run_drying``, ``run_design``,
``select``); this module only wires options to it and prints.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from ..platform.errors import ParameterError
from .common import catches, console, progress_bar

if TYPE_CHECKING:
    from ..metamodels.dem_drying import DemSettings

app = typer.Typer()


def dem_settings(side: float | None = None, plate_speed: float | None = None) -> DemSettings:
    """The default DEM settings with the options that were given."""
    from ..metamodels.dem_drying import DemSettings

    kw = {k: v for k, v in {"side": side, "plate_speed": plate_speed}.items() if v is not None}
    return DemSettings(**kw)


@app.command("dem-drying")
@catches()
def dem_drying_cmd(
    loading: float = typer.Option(20.5, "--loading", help="wet mass loading m_wet, mg/cm^2"),
    seed: int = typer.Option(1, "--seed", help="seed of the random particle placement"),
    side: float | None = typer.Option(None, "--side", help="edge of the periodic cell, µm (default 60)"),
    plate_speed: float | None = typer.Option(None, "--plate-speed", help="plate speed, mm/s (default 0.2)"),
    output: str | None = typer.Option(None, "-o", "--output", help="JSON with the run and its plate-force curve"),
):
    """One LAMMPS DEM drying run: prints porosity, final thickness and wall time."""
    from ..metamodels.dem_drying import run_drying

    settings = dem_settings(side, plate_speed)
    with console.status(f"LAMMPS drying run, m_wet = {loading} mg/cm^2, seed {seed} ..."):
        result = run_drying(loading, seed, settings)
    console.print(f"porosity: {result.porosity:.4f}")
    console.print(f"final thickness: {result.h_dry:.2f} µm (wet film {result.h_wet:.2f} µm)")
    console.print(f"particles: {result.n_particles} ({result.n_active} active, {result.n_agglomerates} "
                  f"agglomerates) in a {result.side:.1f} µm cell")
    console.print(f"steps: {result.steps} ({result.steps_per_second:.0f} steps/s)")
    console.print(f"wall time: {result.wall_time:.1f} s")
    console.print(f"seed: {result.seed}")
    if output:
        record = result.row() | {"plate_z": result.plate_z.tolist(), "plate_force": result.plate_force.tolist(),
                                 "settings": result.settings, "inside": result.inside}
        Path(output).write_text(json.dumps(record, indent=2))
        console.print(f"wrote {output}")


@app.command("dem-doe")
@catches()
def dem_doe_cmd(
    output: str = typer.Argument(..., help="design CSV (appended to; an existing file resumes)"),
    loading_min: float = typer.Option(14.2, "--loading-min", help="mg/cm^2"),
    loading_max: float = typer.Option(35.4, "--loading-max", help="mg/cm^2"),
    loadings: int = typer.Option(7, "--loadings", help="number of loading levels"),
    speed_min: float = typer.Option(0.2, "--speed-min", help="plate speed, mm/s"),
    speed_max: float = typer.Option(0.2, "--speed-max", help="plate speed, mm/s"),
    speeds: int = typer.Option(1, "--speeds", help="number of plate-speed levels"),
    reps: int = typer.Option(5, "--reps", help="repetitions (random placements) per point"),
    seed: int = typer.Option(1, "--seed", help="seed of the first repetition"),
    workers: int | None = typer.Option(None, "--workers", help="parallel processes (default: all cores)"),
    side: float | None = typer.Option(None, "--side", help="edge of the periodic cell, µm"),
    limit: int | None = typer.Option(None, "--limit", help="stop after this many new runs"),
    scheduler: str | None = typer.Option(None, "--scheduler",
                                            help="run on an existing Dask cluster, tcp://HOST:PORT"),
):
    """Virtual design of experiments on the DEM drying run, resumable."""
    from ..metamodels.doe import levels, run_design

    m_levels = levels(loading_min, loading_max, loadings)
    # one level: the plate speed given (both ends, if they differ), each design point run once
    v_levels = levels(speed_min, speed_max, speeds) if speeds > 1 else sorted({speed_min, speed_max})
    console.print(f"design: m_wet {m_levels} mg/cm^2 x plate speed {v_levels} mm/s x {reps} repetitions "
                  f"-> {output}")
    with progress_bar() as progress:
        frame = run_design(output, m_levels, v_levels, reps=reps, seed=seed, settings=dem_settings(side),
                           workers=workers, limit=limit, scheduler=scheduler, progress=progress)
    ok = frame[frame["error"].isna() | (frame["error"] == "")]
    table = Table("m_wet (mg/cm^2)", "plate speed (mm/s)", "runs", "eps_dry mean", "eps_dry std",
                  title=f"{len(ok)} finished runs, {len(frame) - len(ok)} failed")
    for (m, v), g in ok.groupby(["m_wet", "plate_speed"]):
        table.add_row(f"{m:.2f}", f"{v:g}", str(len(g)), f"{g.eps_dry.mean():.4f}",
                      f"{g.eps_dry.std():.4f}" if len(g) > 1 else "-")
    console.print(table)


@app.command("fit-metamodel")
@catches()
def fit_metamodel_cmd(
    design: str = typer.Argument(..., help="design CSV (e.g. from dem-doe)"),
    inputs: list[str] = typer.Option(..., "--input", help="input column (repeat for several)"),
    output: str = typer.Option(..., "--output", help="output column"),
    model: str = typer.Option(..., "-o", help="metamodel JSON to write"),
    plot: str | None = typer.Option(None, "--plot", help="PNG of data, fits and design space"),
    candidates: list[str] | None = typer.Option(None, "--candidate",
                                                   help="linear|quadratic|exponential|pce|kriging (repeat)"),
    test_fraction: float = typer.Option(0.2, "--test-fraction", help="share of points held out for testing"),
    seed: int = typer.Option(0, "--seed", help="seed of the train/test split"),
):
    """Fit, rank and select metamodels on a design; write the selected one as JSON."""
    import pandas as pd

    from ..metamodels.fitting import KINDS, design_provenance, select
    from ..metamodels.fitting import plot as plot_fits

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
    sel.save(model)
    console.print(f"wrote {model}")
    if plot:
        plot_fits(sel, data, plot)
        console.print(f"wrote {plot}")
