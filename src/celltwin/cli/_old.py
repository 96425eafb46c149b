"""The ``celltwin`` command."""
from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .platform.errors import CelltwinError, ParameterError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="celltwin: digital twin of a battery electrode production line.")
console = Console()
err = Console(stderr=True)


def _fail(exc: Exception, code: int = 2):
    err.print(f"[bold red]error:[/] {escape(str(exc))}")
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


@contextlib.contextmanager
def _progress_bar():
    """A rich bar, one row per stage, fed by a computation's ``progress(stage, done, total)`` callback."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    tasks: dict[str, int] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=False) as bar:
        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _scenario(name: str, sets: list[str] | None = None):
    from .containers import ElectrodeScenario as Scenario

    sc = Scenario.load(name)
    overrides = _parse_sets(sets or [])
    return sc.with_values(**overrides) if overrides else sc


@app.command("scenarios")
def scenarios_cmd():
    """List the built-in scenarios."""
    from .containers import ElectrodeScenario as Scenario
    from .platform.scenario import builtin_scenarios

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
    from .report.chain_graph import draw

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
            seed: Optional[int] = typer.Option(None, "--seed", help="random seed (default: scenario)"),
            scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler tcp://HOST:PORT "
                                                    "(default: this machine)"),
            workers: Optional[int] = typer.Option(None, "--workers", help="local worker processes "
                                                  "(default 1: this process, the cell solver uses the cores)"),
            resume: bool = typer.Option(False, "--resume", help="finish an interrupted run of the same folder: "
                                        "evaluate only the missing chunks"),
            record: bool = typer.Option(True, "--record/--no-record", help="record the run in the run store"),
            store: Optional[Path] = typer.Option(None, "--store", help="run store (default "
                                                 "$CELLTWIN_HOME/runs.duckdb, else ~/.celltwin/runs.duckdb)")):
    """Run the full study: Monte Carlo through chain and cell model, ANCOVA, Sankey, report."""
    # --- study --- (body: celltwin.analysis.study / report)
    from .report.html import console_summary
    from .analysis.uq.checkpoint import Checkpoint
    from .analysis.uq.study import run_study

    try:
        sc = _scenario(scenario)
        folder = output or Path("out") / sc.name
        with _progress_bar() as progress:
            study = run_study(sc, samples=samples, seed=seed, progress=progress, scheduler=scheduler,
                              workers=workers, checkpoint=folder, resume=resume)  # chunks in FOLDER/chunks
        out = study.save(folder)
        Checkpoint(folder).discard()  # the finished study no longer needs its resume points
    except CelltwinError as exc:
        _fail(exc)
    console.print(console_summary(study))
    console.print(f"wrote the study folder {out}/ (open {out / 'report.html'})")
    if record:  # scale-out and traceability: the run store
        from .store.runs import record_study

        try:
            console.print(f"recorded as run {record_study(study, out, store)}")
        except (CelltwinError, OSError) as exc:
            err.print(f"[yellow]warning:[/] the run was not recorded in the run store: {exc}")
    # --- end study ---


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
    scheduler: Optional[str] = typer.Option(None, "--scheduler",
                                            help="run on an existing Dask cluster, tcp://HOST:PORT"),
):
    """Virtual design of experiments on the DEM drying run, resumable."""
    from .metamodels.commands import dem_doe
    try:
        dem_doe(output, (loading_min, loading_max), loadings, (speed_min, speed_max), speeds, reps, seed,
                workers, side, limit, console, scheduler)
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


# --- inverse and robust ---
def _free_args(items: list[str]) -> dict[str, tuple[float, float] | None]:
    """--free NAME or NAME=LOW:HIGH (catalog unit)."""
    out: dict[str, tuple[float, float] | None] = {}
    for item in items or []:
        name, _, box = item.partition("=")
        if not box:
            out[name.strip()] = None
            continue
        try:
            low, high = (float(x) for x in box.split(":"))
        except ValueError:
            raise ParameterError(f"--free {item!r}: write NAME or NAME=LOW:HIGH, e.g. --free q_L=40:200") from None
        out[name.strip()] = (low, high)
    return out


def _targets(items: list[str]) -> tuple[dict[str, float], dict[str, tuple[float | None, float | None]]]:
    """--target NAME=VALUE (equalities) and NAME>=VALUE / NAME<=VALUE (requirements)."""
    equal: dict[str, float] = {}
    bounds: dict[str, tuple[float | None, float | None]] = {}
    for item in items or []:
        for op in (">=", "<=", "="):
            if op in item:
                name, value = (s.strip() for s in item.split(op, 1))
                break
        else:
            raise ParameterError(f"--target {item!r}: write NAME=VALUE, NAME>=VALUE or NAME<=VALUE")
        try:
            v = float(value)
        except ValueError:
            raise ParameterError(f"--target {item!r}: value {value!r} is not a number") from None
        if op == "=":
            equal[name] = v
        else:
            low, high = bounds.get(name, (None, None))
            bounds[name] = (v, high) if op == ">=" else (low, v)
    return equal, bounds


def _print_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=1, default=float) + "\n")


@app.command("inverse")
def inverse_cmd(
    scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
    target: list[str] = typer.Option(..., "--target", help="NAME=VALUE (catalog unit); NAME>=VALUE or NAME<=VALUE "
                                                           "for performance requirements (repeat)"),
    free: list[str] = typer.Option(..., "--free", help="free process parameter NAME or NAME=LOW:HIGH; default "
                                                       "bounds ±50 % of nominal inside the valid range (repeat)"),
    maximize: Optional[str] = typer.Option(None, "--maximize", help="product-oriented: performance to maximise"),
    minimize: Optional[str] = typer.Option(None, "--minimize", help="product-oriented: performance to minimise"),
    rtol: float = typer.Option(1e-4, "--rtol", help="relative tolerance for a target to count as reached"),
    as_json: bool = typer.Option(False, "--json", help="print a flat JSON object of settings and achieved values"),
    set_: list[str] = typer.Option(None, "--set", help="override a nominal value: NAME=VALUE (catalog unit)"),
):
    """Process settings that hit target values (structure, or performance through the scenario's
    cell model); with NAME>=/<= requirements or --maximize/--minimize, a two-stage
    product-oriented design: cell model -> structural targets -> process settings."""
    from .analysis.design.inverse import inverse
    from .platform.errors import UnreachableTargetError
    from .analysis.design.product import product_design

    try:
        sc = _scenario(scenario, set_)
        equal, ranges = _targets(target)
        performance = [k for k in equal if k in sc.catalog and sc.catalog[k].domain == "performance"]
        if maximize or minimize or ranges or (performance and not sc.cell):
            if maximize and minimize:
                raise ParameterError("give either --maximize or --minimize, not both")
            reqs = {**ranges, **{k: (v, v) for k, v in equal.items()}}
            design = product_design(sc, reqs, _free_args(free), objective=maximize or minimize or "energy_density",
                                    maximize=minimize is None, rtol=rtol)
            flat, rows = design.flat(), [("structure target " + k, v) for k, v in design.structure.items()]
            rows += [(k, v) for k, v in design.process.settings.items()]
            rows += [("achieved " + k, v) for k, v in design.achieved.items()]
            evaluations = f"{design.cell_solves} cell solves, {design.process.evaluations} chain evaluations"
            at_bound = design.process.at_bound
        else:
            res = inverse(sc, equal, _free_args(free), rtol=rtol)
            flat, at_bound = res.flat(), res.at_bound
            rows = [(k, v) for k, v in res.settings.items()]
            rows += [(f"achieved {k}", v) for k, v in res.achieved.items()]
            rows += [(f"residual {k} (%)", 100 * v) for k, v in res.residuals.items()]
            evaluations = f"{res.evaluations} chain evaluations in {res.calls} batched calls"
    except UnreachableTargetError as exc:
        _fail(exc, code=3)
    except CelltwinError as exc:
        _fail(exc)
    if as_json:
        _print_json(flat)
        return
    table = Table("quantity", "value", "unit", title=f"inverse run: {sc.name}")
    for name, v in rows:
        key = name.split(" ")[-1] if not name.startswith("residual") else ""
        unit = sc.catalog[key].unit if key in sc.catalog else ""
        table.add_row(name, f"{v:.6g}", unit)
    console.print(table)
    console.print(f"{evaluations}" + (f"; at a bound: {', '.join(f'{k} ({s})' for k, s in at_bound.items())}"
                                      if at_bound else ""))


def _specs_or_scenario(sc, spec: list[str] | None):
    from .analysis.uq.specs import as_specs

    specs = as_specs(spec if spec else dict(sc.specs), sc.catalog)
    if not specs:
        raise ParameterError("no specification windows: give --spec NAME=VALUE+-TOL% (or NAME>=MIN, NAME<=MAX, "
                             "NAME=LOW:HIGH) or a [specs] table in the scenario")
    return specs


@app.command("yield")
def yield_cmd(
    scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
    spec: list[str] = typer.Option(None, "--spec", help="NAME=VALUE+-TOL%, NAME=VALUE+-ABS, NAME>=MIN, NAME<=MAX "
                                                        "or NAME=LOW:HIGH (default: the scenario's [specs])"),
    samples: Optional[int] = typer.Option(None, "--samples", help="Monte Carlo samples (default: scenario)"),
    seed: Optional[int] = typer.Option(None, "--seed", help="random seed (default: scenario)"),
    confidence: float = typer.Option(0.95, "--confidence", help="confidence level of the intervals"),
    ci: str = typer.Option("wilson", "--ci", help="interval: wilson or clopper-pearson"),
    as_json: bool = typer.Option(False, "--json", help="print a JSON summary"),
    set_: list[str] = typer.Option(None, "--set", help="override a nominal value: NAME=VALUE (catalog unit)"),
):
    """Probability of being in spec and expected scrap rate, from the Monte Carlo samples."""
    from .analysis.uq.specs import scenario_yield

    try:
        sc = _scenario(scenario, set_)
        res = scenario_yield(sc, _specs_or_scenario(sc, spec), samples, seed, confidence=confidence, method=ci)
    except CelltwinError as exc:
        _fail(exc)
    if as_json:
        _print_json(res.summary())
        return
    table = Table("spec", "in spec %", f"{100 * confidence:g} % CI", title=f"yield: {sc.name}, {res.n} samples")
    for _, row in res.per_spec.iterrows():
        table.add_row(row["spec"], f"{100 * row['fraction_in']:.2f}",
                      f"[{100 * row['ci_low']:.2f}, {100 * row['ci_high']:.2f}]")
    table.add_row("[bold]all specs (yield)", f"{100 * res.p_in:.2f}", f"[{100 * res.ci[0]:.2f}, {100 * res.ci[1]:.2f}]")
    table.add_row("[bold]scrap", f"{100 * res.scrap:.2f}",
                  f"[{100 * res.scrap_ci[0]:.2f}, {100 * res.scrap_ci[1]:.2f}]")
    console.print(table)
    if res.n_invalid:
        console.print(f"[yellow]{res.n_invalid} samples rejected by the chain count as scrap")


@app.command("robust")
def robust_cmd(
    scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
    free: list[str] = typer.Option(..., "--free", help="free nominal setting NAME or NAME=LOW:HIGH (repeat)"),
    spec: list[str] = typer.Option(None, "--spec", help="maximise the yield of these windows (default: [specs])"),
    min_std: Optional[str] = typer.Option(None, "--min-std", help="instead: minimise this output's std"),
    mean: list[str] = typer.Option(None, "--mean", help="with --min-std: hold this output's mean, NAME=VALUE"),
    samples: int = typer.Option(2000, "--samples", help="Monte Carlo samples (common random numbers)"),
    seed: Optional[int] = typer.Option(None, "--seed", help="random seed (default: scenario)"),
    as_json: bool = typer.Option(False, "--json", help="print a flat JSON object"),
    set_: list[str] = typer.Option(None, "--set", help="override a nominal value: NAME=VALUE (catalog unit)"),
):
    """Robust nominal settings: maximise the in-spec probability or minimise an output's spread."""
    from .analysis.design.robust import robust_design

    try:
        sc = _scenario(scenario, set_)
        specs = None if min_std else _specs_or_scenario(sc, spec)
        res = robust_design(sc, _free_args(free), specs=specs, minimize_std=min_std,
                            mean_targets=_parse_sets(mean) if mean else None, n=samples, seed=seed)
    except CelltwinError as exc:
        _fail(exc)
    if as_json:
        _print_json(res.flat())
        return
    table = Table("quantity", "start", "robust", title=f"robust run ({res.objective}): {sc.name}")
    for k, v in res.settings.items():
        table.add_row(f"{k} [{sc.catalog[k].unit}]", f"{res.start[k]:.6g}", f"{v:.6g}")
    for k, v in res.after.items():
        table.add_row(k, f"{res.before[k]:.6g}", f"{v:.6g}")
    if res.yield_after is not None:
        table.add_row("yield 95 % CI", f"[{res.yield_before.ci[0]:.4f}, {res.yield_before.ci[1]:.4f}]",
                      f"[{res.yield_after.ci[0]:.4f}, {res.yield_after.ci[1]:.4f}]")
    console.print(table)
    console.print(f"{res.evaluations} chain evaluations in {res.calls} batches, {res.wall_time:.2f} s"
                  + (f"; at a bound: {', '.join(res.at_bound)}" if res.at_bound else ""))


@app.command("tolerances")
def tolerances_cmd(
    scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
    spec: list[str] = typer.Option(None, "--spec", help="specification windows (default: the scenario's [specs])"),
    target: float = typer.Option(0.99, "--yield-target", help="in-spec probability to keep, e.g. 0.99"),
    param: list[str] = typer.Option(None, "--param", help="parameter to give a tolerance (default: every uncertain "
                                                          "process parameter; repeat)"),
    samples: int = typer.Option(4000, "--samples", help="Monte Carlo samples (common random numbers)"),
    seed: Optional[int] = typer.Option(None, "--seed", help="random seed (default: scenario)"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="folder for tolerances.csv/.png "
                                                                       "(default out/SCENARIO)"),
    as_json: bool = typer.Option(False, "--json", help="print the table as JSON"),
    set_: list[str] = typer.Option(None, "--set", help="override a nominal value: NAME=VALUE (catalog unit)"),
):
    """Production tolerances: the largest spread of each parameter that keeps the yield at the target."""
    from .analysis.design.tolerances import production_tolerances

    try:
        sc = _scenario(scenario, set_)
        res = production_tolerances(sc, _specs_or_scenario(sc, spec), target=target, parameters=param or None,
                                    n=samples, seed=seed)
    except CelltwinError as exc:
        _fail(exc)
    out = output or Path("out") / sc.name
    csv, png = res.to_csv(out / "tolerances.csv"), res.plot(out / "tolerances.png")
    if as_json:
        _print_json({"joint_factor": res.joint_factor, "yield_scenario": res.yield_scenario.p_in,
                     "table": res.table.reset_index().to_dict(orient="records")})
        return
    table = Table("parameter", "unit", "std now", "allowed alone", "allowed w/ others", "allowed joint",
                  *[f"{c[len('share_'):-2]} var. %" for c in res.table.columns if c.startswith("share_")],
                  title=f"tolerances for yield >= {100 * target:g} %: {sc.name} (yield now "
                        f"{100 * res.yield_scenario.p_in:.2f} %)")
    for k, row in res.table.iterrows():
        table.add_row(k, row["unit"], f"{row['std']:.4g}", f"{row['alone_std']:.4g}", f"{row['with_others_std']:.4g}",
                      f"{row['joint_std']:.4g}", *[f"{row[c]:.1f}" for c in res.table.columns if c.startswith("share_")])
    console.print(table)
    console.print(f"wrote {csv} and {png}")
# --- end inverse ---


# --- scale-out and traceability ---
runs_app = typer.Typer(no_args_is_help=True, help="The run store: every recorded study with its provenance.")
app.add_typer(runs_app, name="runs")
_STORE_HELP = "run store file or folder (default $CELLTWIN_HOME/runs.duckdb, else ~/.celltwin/runs.duckdb)"


@runs_app.command("list")
def runs_list_cmd(store: Optional[Path] = typer.Option(None, "--store", help=_STORE_HELP),
                  limit: int = typer.Option(30, "--limit", help="newest N runs"),
                  name: Optional[str] = typer.Option(None, "--name", help="only runs of this scenario"),
                  as_json: bool = typer.Option(False, "--json", help="print JSON records")):
    """List the recorded runs, newest first."""
    from .store.runs import RunStore

    try:
        rs = RunStore(store)
        runs = rs.list(limit=limit, name=name)
    except CelltwinError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(runs.to_json(orient="records", date_format="iso", indent=1) + "\n")
        return
    table = Table(title=f"runs in {rs.path}")
    table.add_column("run", no_wrap=True, min_width=22)
    for col in ("scenario", "time s", "samples", "seed", "valid/rej./failed", "backend", "git"):
        table.add_column(col, overflow="fold")
    for r in runs.itertuples():
        table.add_row(r.run_id, r.name, f"{r.wall_seconds:.1f}", str(r.samples), str(r.seed),
                      f"{r.n_valid}/{r.n_rejected}/{r.n_failed}", r.backend.split(" (")[0], (r.git_revision or "-")[:7])
    console.print(table)


@runs_app.command("show")
def runs_show_cmd(run: str = typer.Argument(..., help="run id, a unique prefix of one, or 'last'"),
                  store: Optional[Path] = typer.Option(None, "--store", help=_STORE_HELP),
                  scenario_toml: bool = typer.Option(False, "--scenario", help="print the resolved scenario TOML")):
    """One run: provenance, per-step timings, failures and output statistics."""
    from .store.runs import RunStore

    try:
        r = RunStore(store).get(run)
    except CelltwinError as exc:
        _fail(exc)
    if scenario_toml:
        sys.stdout.write(r["scenario_toml"])
        return
    head = Table("field", "value", title=f"run {r['run_id']}", show_header=False)
    for key in ("name", "source", "status", "started", "finished", "wall_seconds", "samples", "seed", "method",
                "n_valid", "n_rejected", "n_failed", "backend", "chunks", "reused_chunks", "git_revision",
                "git_dirty", "host", "user_name", "output_dir", "samples_path", "command"):
        head.add_row(key, str(r.get(key)))
    head.add_row("versions", ", ".join(f"{k} {v}" for k, v in r["versions"].items()))
    for reason, count in {**r["rejections"], **r["failures"]}.items():
        head.add_row("[yellow]failure", f"{count} x {reason}")
    console.print(head)
    steps = Table("step", "seconds", title="timings (mc:NAME = summed evaluation time of a container)")
    for s in r["steps"].itertuples():
        steps.add_row(s.step, f"{s.seconds:.3f}")
    console.print(steps)
    stats = Table("parameter", "role", "mean", "std", "5 %", "95 %", "unit", title="statistics of the valid samples")
    for s in r["stats"].itertuples():
        if s.std > 0 or s.role == "output":
            stats.add_row(s.name, s.role, f"{s.mean:.6g}", f"{s.std:.3g}", f"{s.p05:.6g}", f"{s.p95:.6g}", s.unit)
    console.print(stats)


@runs_app.command("compare")
def runs_compare_cmd(a: str = typer.Argument(..., help="first run (id, prefix or 'last')"),
                     b: str = typer.Argument(..., help="second run"),
                     store: Optional[Path] = typer.Option(None, "--store", help=_STORE_HELP),
                     as_json: bool = typer.Option(False, "--json", help="print JSON {inputs, outputs}")):
    """Compare two runs: which inputs differ, and how the outputs moved (mean and std)."""
    from .store.runs import RunStore

    try:
        c = RunStore(store).compare(a, b)
    except CelltwinError as exc:
        _fail(exc)
    if as_json:
        _emit = {"a": c.a["run_id"], "b": c.b["run_id"], "inputs": c.inputs.to_dict(orient="records"),
                 "outputs": c.outputs.to_dict(orient="records")}
        sys.stdout.write(json.dumps(_emit, indent=1, default=str) + "\n")
        return
    ti = Table("input", "A", "B", title=f"inputs that differ: A = {c.a['run_id']}, B = {c.b['run_id']}")
    for r in c.inputs.itertuples():
        ti.add_row(r.key, str(r.a), str(r.b))
    console.print(ti if len(c.inputs) else "[green]same scenario, seed and samples")
    to = Table("parameter", "mean A", "mean B", "Δ mean %", "z", "std A", "std B", "Δ std %", "unit",
               title="how the outputs moved (z = Δ mean / its Monte Carlo standard error)")
    for r in c.outputs.itertuples():
        style = "bold" if abs(r.z) > 3 else ""
        to.add_row(r.name, f"{r.mean_a:.6g}", f"{r.mean_b:.6g}", f"{r.d_mean_pct:+.3f}", f"{r.z:+.1f}",
                   f"{r.std_a:.3g}", f"{r.std_b:.3g}", f"{r.d_std_pct:+.1f}", r.unit, style=style)
    console.print(to)


def _noise_args(items: list[str] | None, catalog) -> dict[str, float]:
    """--noise NAME=STD (catalog unit) or NAME=STD[unit], e.g. h_cal=0.5[um], eps_cal=0.3[%]."""
    from .platform.units import convert

    out = {}
    for item in items or []:
        name, _, value = item.partition("=")
        name, value = name.strip(), value.strip()
        unit = None
        if value.endswith("]") and "[" in value:
            value, unit = value[:-1].split("[", 1)
        if name not in catalog:
            raise ParameterError(f"--noise {item!r}: unknown parameter {name!r}")
        try:
            std = float(value)
        except ValueError:
            raise ParameterError(f"--noise {item!r}: write NAME=STD or NAME=STD[unit], e.g. h_cal=0.5[um]") from None
        if unit:  # a spread converts by the scale only (percent points -> fraction)
            std = float(convert(std, unit, catalog[name].unit) - convert(0.0, unit, catalog[name].unit))
        out[name] = std
    return out


@app.command("compare-measurements")
def compare_measurements_cmd(
    scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
    measurements: Path = typer.Argument(..., help="CSV: segment, then catalog names (NAME[unit] headers)"),
    output: Path = typer.Option(Path("out/measurements"), "-o", "--output", help="folder for CSV tables and PNG"),
    level: float = typer.Option(0.9, "--level", help="central prediction interval for coverage"),
    noise: list[str] = typer.Option(None, "--noise", help="gauge noise NAME=STD or NAME=STD[unit] (repeat)"),
    samples: Optional[int] = typer.Option(None, "--samples", help="Monte Carlo samples (default 200 per segment)"),
    seed: Optional[int] = typer.Option(None, "--seed", help="random seed (default: scenario)"),
):
    """Measured segments against the twin's prediction: residuals, interval coverage, plot."""
    from .analysis.design.measurements import compare, read_measurements

    try:
        sc = _scenario(scenario)
        measured = read_measurements(measurements, sc.catalog)
        comp = compare(sc, measured, level=level, n=samples, seed=seed, noise=_noise_args(noise, sc.catalog))
        output.mkdir(parents=True, exist_ok=True)
        comp.table.to_csv(output / "residuals.csv", index=False)
        comp.summary.to_csv(output / "coverage.csv", index=False)
        png = comp.plot(output / "measurements.png", units=measured.units)
    except CelltwinError as exc:
        _fail(exc)
    table = Table("quantity", "n", "bias", "RMSE", "mean z", "std z", f"coverage ({100 * level:g} % PI)", "unit",
                  title=f"{measured.source} against {sc.name}")
    for r in comp.summary.itertuples():
        flag = "" if r.coverage_ok else " [red](low)"
        table.add_row(r.quantity, str(r.n), f"{r.bias:.4g}", f"{r.rmse:.4g}", f"{r.mean_z:+.2f}", f"{r.std_z:.2f}",
                      f"{100 * r.coverage:.0f} %{flag}", r.unit)
    console.print(table)
    console.print(f"wrote {output / 'residuals.csv'}, {output / 'coverage.csv'} and {png}")


@app.command("calibrate")
def calibrate_cmd(
    scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
    measurements: Path = typer.Argument(..., help="CSV: segment, then catalog names (NAME[unit] headers)"),
    free: list[str] = typer.Option(..., "--free", help="NAME (nominal value) or NAME.std (spread) (repeat)"),
    output: Path = typer.Option(Path("calibrated.toml"), "-o", "--output", help="calibrated scenario TOML"),
    noise: list[str] = typer.Option(None, "--noise", help="gauge noise NAME=STD or NAME=STD[unit] (repeat)"),
    samples: Optional[int] = typer.Option(None, "--samples", help="Monte Carlo samples per evaluation"),
    seed: Optional[int] = typer.Option(None, "--seed", help="random seed (default: scenario)"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="PNG: measurements against the twin before/after"),
):
    """Calibrate settings (means, spreads) to measured segments; write the calibrated scenario."""
    from .analysis.design.calibration import calibrate
    from .analysis.design.measurements import compare, plot_comparison, read_measurements

    try:
        sc = _scenario(scenario)
        measured = read_measurements(measurements, sc.catalog)
        gauge = _noise_args(noise, sc.catalog)
        with console.status("calibrating (simulated maximum likelihood)"):
            cal = calibrate(sc, measured, free, noise=gauge, n=samples, seed=seed)
        path = cal.write(output)
        if plot:
            before = compare(sc, measured, noise=gauge, seed=seed)
            after = compare(cal.scenario, measured, noise=gauge, seed=seed)
            plot_comparison(before, plot, units=measured.units, other=after)
    except CelltwinError as exc:
        _fail(exc)
    table = Table("parameter", "before", "estimate", "± std. error", "95 % interval", "unit",
                  title=f"calibration of {sc.name} to {len(measured)} measured rows "
                        f"({cal.evaluations} evaluations, {cal.seconds:.1f} s)")
    for r in cal.estimates.itertuples():
        table.add_row(r.parameter, f"{r.initial:.6g}", f"{r.estimate:.6g}", f"{r.std_error:.3g}",
                      f"[{r.lower95:.6g}, {r.upper95:.6g}]", r.unit)
    console.print(table)
    if not cal.converged:
        err.print(f"[yellow]warning:[/] the optimiser did not converge: {cal.message}")
    console.print(f"wrote {path}" + (f" and {plot}" if plot else ""))
# --- end scale-out ---
