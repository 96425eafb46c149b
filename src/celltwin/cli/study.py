"""The full study: ``run``, and its summary in the terminal."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from ..platform.errors import CelltwinError
from .common import catches, console, err, load_scenario, print_json, print_table, progress_bar

if TYPE_CHECKING:
    from rich.console import Group

    from ..analysis.uq.study import Study

app = typer.Typer()


@app.command("run")
@catches()
def run_cmd(scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
            output: Path | None = typer.Option(None, "-o", "--output", help="study folder (default out/SCENARIO)"),
            samples: int | None = typer.Option(None, "--samples", help="Monte Carlo samples (default: scenario)"),
            seed: int | None = typer.Option(None, "--seed", help="random seed (default: scenario)"),
            scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler tcp://HOST:PORT "
                                                    "(default: this machine)"),
            workers: int | None = typer.Option(None, "--workers", help="local worker processes "
                                                  "(default 1: this process, the cell solver uses the cores)"),
            resume: bool = typer.Option(False, "--resume", help="finish an interrupted run of the same folder: "
                                        "evaluate only the missing chunks"),
            overwrite: bool = typer.Option(False, "--overwrite", help="replace a study already in the folder "
                                           "(files celltwin did not write are kept)"),
            record: bool = typer.Option(True, "--record/--no-record", help="record the run in the run store"),
            store: Path | None = typer.Option(None, "--store", help="run store (default "
                                                 "$CELLTWIN_HOME/runs.duckdb, else ~/.celltwin/runs.duckdb)"),
            as_json: bool = typer.Option(False, "--json", help="print the study's summary.json (with the folder "
                                         "and run id) instead of the tables")):
    """Run the full study: Monte Carlo through chain and cell model, ANCOVA, Sankey, report."""
    from ..analysis.uq.checkpoint import Checkpoint
    from ..analysis.uq.study import check_folder, folder_lock, run_study

    sc = load_scenario(scenario)
    folder = check_folder(output or Path("out") / sc.name, overwrite=overwrite, resume=resume)  # before any work
    with folder_lock(folder):  # a second run into the same folder is refused at once
        with progress_bar() as progress:
            study = run_study(sc, samples=samples, seed=seed, progress=progress, scheduler=scheduler,
                              workers=workers, checkpoint=folder, resume=resume)  # chunks in FOLDER/chunks
        out = study.save(folder, overwrite=overwrite or resume)
        Checkpoint(folder).discard()  # the finished study no longer needs its resume points
    if not as_json:
        for table in console_summary(study).renderables:
            print_table(table)
    notes = [w for w in study.warnings if w["kind"] != "rejected-samples" or as_json]  # else in the table above
    for w in notes:
        err.print(f"[yellow]warning:[/] {escape(w['message'])}", soft_wrap=True)
    if not as_json:
        console.print(f"wrote the study folder {out}/ (open {out / 'report.html'})"
                      + (f"; {len(study.warnings)} warning(s) listed in summary.json" if study.warnings else ""))
    run_id = None
    if record:  # scale-out and traceability: the run store
        from ..store.runs import record_study

        try:
            run_id = record_study(study, out, store)
        except (CelltwinError, OSError) as exc:  # the study is written; a store problem only warns
            err.print(f"[yellow]warning:[/] the run was not recorded in the run store: {exc}")
    if as_json:
        print_json({**study.summary(), "folder": str(out), "run_id": run_id})
    elif run_id is not None:
        console.print(f"recorded as run {run_id}")


def console_summary(study: Study) -> Group:
    """Rich renderables for the terminal: performance spread and the cell-stage indices."""
    from rich.console import Group
    from rich.table import Table

    from ..report.html import KEY_PERFORMANCE

    cat = study.scenario.catalog
    spread = Table("parameter", "nominal", "mean", "std", "q05", "q95", "unit",
                   title=f"{study.scenario.name}: {study.n_valid} valid of {len(study.samples)} samples")
    for name in [n for n in KEY_PERFORMANCE + ("m_dry", "rho_cal") if n in study.statistics.index]:
        row = study.statistics.loc[name]
        spread.add_row(name, f"{study.nominal.get(name, float('nan')):.5g}", f"{row['mean']:.5g}",
                       f"{row['std']:.3g}", f"{row['q05']:.5g}", f"{row['q95']:.5g}", cat[name].unit)
    for reason, count in study.monte_carlo.rejections.items():
        spread.add_row(f"[yellow]rejected: {reason}", str(count), "", "", "", "", "samples")
    parts: list = [spread]
    b = study.indices("structure-performance")
    if len(b):
        idx = Table("output", "input", "S", "S_U", "S_C", "Q² (LOO)", title="ANCOVA: structure -> performance")
        for (output, name), row in b.iterrows():
            q2 = f"{row['Q2']:.4f}" + ("" if row["Q2"] >= 0.95 else " [red]low")
            idx.add_row(output, name, *(f"{(v if round(v, 3) else 0.0):.3f}" for v in row[["S", "S_U", "S_C"]]), q2)
        parts.append(idx)
    return Group(*parts)
