"""The ``celltwin`` command."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from .platform.errors import CelltwinError, ParameterError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="celltwin: digital twin of a battery electrode production line.")
console = Console()
err = Console(stderr=True)


def _fail(exc: Exception, code: int = 2):
    err.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code)


def _parse_sets(sets: list[str]) -> dict[str, float]:
    out = {}
    for item in sets or []:
        if "=" not in item:
            raise ParameterError(f"--set {item!r}: write NAME=VALUE, e.g. --set q_L=90")
        name, value = item.split("=", 1)
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ParameterError(f"--set {item!r}: value {value!r} is not a number") from None
    return out


def _scenario(name: str, sets: list[str] | None = None):
    from .platform.scenario import Scenario

    sc = Scenario.load(name)
    overrides = _parse_sets(sets or [])
    return sc.with_values(**overrides) if overrides else sc


@app.command("scenarios")
def scenarios_cmd():
    """List the built-in scenarios."""
    from .platform.scenario import Scenario, builtin_scenarios

    table = Table("name", "chain", "cell", "description")
    for name in builtin_scenarios():
        sc = Scenario.load(name)
        table.add_row(name, " -> ".join(sc.chain_steps), sc.cell or "-", sc.description)
    console.print(table)


@app.command("catalog")
def catalog_cmd(domain: Optional[str] = typer.Option(None, help="only this domain, e.g. process"),
                components: str = typer.Option("AM,CA,PB", help="formulation components, comma-separated")):
    """The parameter catalog: name, unit, domain, valid range, description."""
    from .platform.catalog import DOMAINS, default_catalog

    if domain is not None and domain not in DOMAINS:
        from .platform.errors import unknown

        _fail(ParameterError(unknown("domain", domain, DOMAINS)))
    frame = default_catalog([c.strip() for c in components.split(",") if c.strip()]).table()
    if domain:
        frame = frame[frame["domain"] == domain]
    table = Table(*frame.columns, title="celltwin parameter catalog")
    for row in frame.itertuples(index=False):
        table.add_row(*("" if v is None or v != v else str(v) for v in row))
    console.print(table)


@app.command("chain")
def chain_cmd(scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
              as_json: bool = typer.Option(False, "--json", help="print a flat JSON object {name: value}"),
              set_: list[str] = typer.Option(None, "--set", help="override a value: NAME=VALUE (catalog unit)")):
    """Nominal value of every parameter through the chain (and the cell model, if named)."""
    try:
        sc = _scenario(scenario, set_)
        values = dict(sc.build_chain().evaluate(sc.nominal()))
    except CelltwinError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(json.dumps(values, indent=1) + "\n")
        return
    console.print(nominal_table(sc, values))


def nominal_table(sc, values) -> Table:
    table = Table("parameter", "value", "unit", "domain", "description", title=f"nominal chain: {sc.name}")
    for name, v in values.items():
        entry = sc.catalog[name]
        table.add_row(name, f"{v:.6g}", entry.unit, entry.domain, entry.description)
    return table


@app.command("graph")
def graph_cmd(scenario: str, output: Path = typer.Option(..., "-o", "--output", help="file .png, .svg or .html")):
    """Draw the chain: containers and the parameters flowing between them."""
    from .analysis.chain_graph import draw

    try:
        sc = _scenario(scenario)
        path = draw(sc.build_chain(), output, title=f"{sc.name}: process chain")
    except (CelltwinError, ValueError) as exc:
        _fail(exc)
    console.print(f"wrote {path}")


@app.command("run")
def run_cmd(scenario: str,
            output: Optional[Path] = typer.Option(None, "-o", "--output", help="study folder (default out/SCENARIO)"),
            samples: Optional[int] = typer.Option(None, "--samples", help="Monte Carlo samples (default: scenario)"),
            seed: Optional[int] = typer.Option(None, "--seed", help="random seed (default: scenario)")):
    """Run the full study: Monte Carlo through chain and cell model, ANCOVA, Sankey, report."""
    # --- study --- (body: celltwin.analysis.study / report)
    from .analysis.report import console_summary
    from .analysis.study import run_study

    try:
        sc = _scenario(scenario)
        study = run_study(sc, samples=samples, seed=seed, progress=True)
        out = study.save(output or Path("out") / sc.name)
    except CelltwinError as exc:
        _fail(exc)
    console.print(console_summary(study))
    console.print(f"wrote the study folder {out}/ (open {out / 'report.html'})")
    # --- end study ---


def summary_table(frame, sc) -> Table:
    valid = frame[frame["valid"]]
    table = Table("parameter", "mean", "std", "rel. std %", "5 %", "95 %", "unit",
                  title=f"Monte Carlo: {len(valid)} valid of {len(frame)} samples")
    for name in frame.columns:
        if name in sc.catalog and valid[name].std() > 0:
            col = valid[name]
            table.add_row(name, f"{col.mean():.5g}", f"{col.std():.3g}", f"{100 * col.std() / abs(col.mean()):.2f}",
                          f"{col.quantile(0.05):.5g}", f"{col.quantile(0.95):.5g}", sc.catalog[name].unit)
    for reason, count in frame.attrs.get("rejections", {}).items():
        table.add_row(f"[yellow]rejected: {reason}", str(count), "", "", "", "", "samples")
    return table


def main():  # pragma: no cover - console entry point
    app()


# --- DEM drying and metamodels ---
@app.command("dem-drying")
def dem_drying_cmd(
    loading: float = typer.Option(20.5, "--loading", help="wet mass loading m_wet, mg/cm^2"),
    seed: int = typer.Option(1, "--seed", help="seed of the random particle placement"),
    side: Optional[float] = typer.Option(None, "--side", help="edge of the periodic cell, µm (default 60)"),
    plate_speed: Optional[float] = typer.Option(None, "--plate-speed", help="plate speed, mm/s (default 0.2)"),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="JSON with the run and its plate-force curve"),
):
    """One LAMMPS DEM drying run: prints porosity, final thickness and wall time."""
    from .metamodels.commands import dem_drying
    try:
        dem_drying(loading, seed, side, plate_speed, output, console)
    except CelltwinError as exc:
        _fail(exc)


@app.command("dem-doe")
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
    workers: Optional[int] = typer.Option(None, "--workers", help="parallel processes (default: all cores)"),
    side: Optional[float] = typer.Option(None, "--side", help="edge of the periodic cell, µm"),
    limit: Optional[int] = typer.Option(None, "--limit", help="stop after this many new runs"),
):
    """Virtual design of experiments on the DEM drying run, resumable."""
    from .metamodels.commands import dem_doe
    try:
        dem_doe(output, (loading_min, loading_max), loadings, (speed_min, speed_max), speeds, reps, seed,
                workers, side, limit, console)
    except CelltwinError as exc:
        _fail(exc)


@app.command("fit-metamodel")
def fit_metamodel_cmd(
    design: str = typer.Argument(..., help="design CSV (e.g. from dem-doe)"),
    inputs: list[str] = typer.Option(..., "--input", help="input column (repeat for several)"),
    output: str = typer.Option(..., "--output", help="output column"),
    model: str = typer.Option(..., "-o", help="metamodel JSON to write"),
    plot: Optional[str] = typer.Option(None, "--plot", help="PNG of data, fits and design space"),
    candidates: Optional[list[str]] = typer.Option(None, "--candidate",
                                                   help="linear|quadratic|exponential|pce|kriging (repeat)"),
    test_fraction: float = typer.Option(0.2, "--test-fraction", help="share of points held out for testing"),
    seed: int = typer.Option(0, "--seed", help="seed of the train/test split"),
):
    """Fit, rank and select metamodels on a design; write the selected one as JSON."""
    from .metamodels.commands import fit_metamodel
    try:
        fit_metamodel(design, inputs, output, model, plot, candidates, test_fraction, seed, console)
    except CelltwinError as exc:
        _fail(exc)
# --- end DEM ---
