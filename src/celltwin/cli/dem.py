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
from .common import catches, console, print_json, progress_bar

if TYPE_CHECKING:
    from ..metamodels.dem_drying import DemSettings

app = typer.Typer()


def dem_settings(side: float | None = None, plate_speed: float | None = None,
                 drying_rate: float | None = None) -> DemSettings:
    """The default DEM settings with the options that were given."""
    from ..metamodels.dem_drying import DemSettings

    given = {"side": side, "plate_speed": plate_speed, "drying_rate": drying_rate}
    return DemSettings(**{k: v for k, v in given.items() if v is not None})


@app.command("dem-drying")
@catches()
def dem_drying_cmd(
    loading: float = typer.Option(20.5, "--loading", help="wet mass loading m_wet, mg/cm^2"),
    seed: int = typer.Option(1, "--seed", help="seed of the random particle placement"),
    drying_rate: float | None = typer.Option(None, "--drying-rate",
                                             help="solvent evaporation rate, g/(m^2 s) (default 1.0)"),
    side: float | None = typer.Option(None, "--side", help="edge of the periodic cell, µm (default 25)"),
    plate_speed: float | None = typer.Option(None, "--plate-speed",
                                             help="numerical film-surface speed, mm/s (default 0.5)"),
    as_json: bool = typer.Option(False, "--json", help="print the run as JSON (no plate curve)"),
    output: str | None = typer.Option(None, "-o", "--output", help="JSON with the run and its plate-pressure curve"),
):
    """One LAMMPS DEM drying run, unanchored: porosity (overall, bulk), final thickness, binder migration."""
    from ..metamodels.dem_drying import run_drying

    settings = dem_settings(side, plate_speed, drying_rate)
    if as_json:
        result = run_drying(loading, seed, settings)
    else:
        with console.status(f"LAMMPS drying run, m_wet = {loading} mg/cm^2, seed {seed} ..."):
            result = run_drying(loading, seed, settings)
    if output:
        record = result.row() | {"plate_z": result.plate_z.tolist(), "plate_pressure": result.plate_pressure.tolist(),
                                 "capillary_pressure": result.capillary_pressure.tolist(),
                                 "settings": result.settings, "inside": result.inside}
        Path(output).write_text(json.dumps(record, indent=2))
    if as_json:
        print_json(result.row())
        return
    bottom, middle, top = result.cbd_thirds
    console.print(f"porosity: {result.porosity:.4f} (overall = bulk {result.bulk_porosity:.4f} "
                  f"+ CBD nanopores {result.nano_porosity:.4f}; not anchored)")
    console.print(f"final thickness: {result.h_dry:.2f} µm (wet film {result.h_wet:.2f} µm)")
    console.print(f"drying rate: {result.drying_rate:g} g/(m^2 s); end of shrinkage at a network pressure of "
                  f"{result.stop_pressure:.1f} kPa (capillary pressure)")
    console.print(f"CBD share bottom/middle/top third: {bottom:.3f} / {middle:.3f} / {top:.3f}; "
                  f"migration index (top/bottom): {result.migration_index:.3f}")
    console.print(f"particles: {result.n_particles} ({result.n_active} active, {result.n_cbd} CBD) "
                  f"in a {result.side:.1f} µm cell")
    console.print(f"steps: {result.steps} ({result.steps_per_second:.0f} steps/s)")
    console.print(f"wall time: {result.wall_time:.1f} s")
    console.print(f"seed: {result.seed}")
    if output:
        console.print(f"wrote {output}")


@app.command("dem-doe")
@catches()
def dem_doe_cmd(
    output: str = typer.Argument(..., help="design CSV (appended to; an existing file resumes)"),
    loading_min: float = typer.Option(14.2, "--loading-min", help="mg/cm^2"),
    loading_max: float = typer.Option(35.4, "--loading-max", help="mg/cm^2"),
    loadings: int = typer.Option(4, "--loadings", help="number of loading levels"),
    rate_min: float = typer.Option(0.5, "--rate-min", help="drying rate, g/(m^2 s)"),
    rate_max: float = typer.Option(2.0, "--rate-max", help="drying rate, g/(m^2 s)"),
    rates: int = typer.Option(3, "--rates", help="number of drying-rate levels (1: --rate-min only)"),
    reps: int = typer.Option(2, "--reps", help="repetitions (random placements) per point"),
    seed: int = typer.Option(1, "--seed", help="seed of the first repetition"),
    workers: int | None = typer.Option(None, "--workers", help="parallel processes (default: all cores)"),
    side: float | None = typer.Option(None, "--side", help="edge of the periodic cell, µm"),
    limit: int | None = typer.Option(None, "--limit", help="stop after this many new runs"),
    scheduler: str | None = typer.Option(None, "--scheduler",
                                            help="run on an existing Dask cluster, tcp://HOST:PORT"),
):
    """Virtual design of experiments on the DEM drying run (wet loading x drying rate), resumable."""
    from ..metamodels.doe import levels, run_design

    m_levels = levels(loading_min, loading_max, loadings)
    r_levels = levels(rate_min, rate_max, rates)  # one level: --rate-min alone, run once per repetition
    console.print(f"design: m_wet {m_levels} mg/cm^2 x drying rate {r_levels} g/(m^2 s) x {reps} repetitions "
                  f"-> {output}")
    with progress_bar() as progress:
        frame = run_design(output, m_levels, r_levels, reps=reps, seed=seed, settings=dem_settings(side),
                           workers=workers, limit=limit, scheduler=scheduler, progress=progress)
    ok = frame[frame["error"].isna() | (frame["error"] == "")]
    table = Table("m_wet (mg/cm^2)", "drying rate (g/(m^2 s))", "runs", "eps_dry mean", "eps_dry std",
                  "migration index mean", title=f"{len(ok)} finished runs, {len(frame) - len(ok)} failed")
    for (m, v), g in ok.groupby(["m_wet", "drying_rate"]):
        table.add_row(f"{m:.2f}", f"{v:g}", str(len(g)), f"{g.eps_dry.mean():.4f}",
                      f"{g.eps_dry.std():.4f}" if len(g) > 1 else "-", f"{g.migration_index.mean():.3f}")
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
