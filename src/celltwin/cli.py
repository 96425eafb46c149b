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
    """Process settings that hit target structure values, or (with performance targets or
    --maximize/--minimize) a two-stage product-oriented design through the cell model."""
    from .analysis.inverse import UnreachableTargetError, inverse
    from .analysis.product import product_design

    try:
        sc = _scenario(scenario, set_)
        equal, ranges = _targets(target)
        performance = [k for k in [*equal, *ranges] if k in sc.catalog and sc.catalog[k].domain == "performance"]
        if performance or maximize or minimize or ranges:
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
    from .analysis.specs import as_specs

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
    from .analysis.specs import scenario_yield

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
    from .analysis.robust import robust_design

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
    from .analysis.tolerances import production_tolerances

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
                  *[c for c in res.table.columns if c.startswith("share_")],
                  title=f"tolerances for yield >= {100 * target:g} %: {sc.name} (yield now "
                        f"{100 * res.yield_scenario.p_in:.2f} %)")
    for k, row in res.table.iterrows():
        table.add_row(k, row["unit"], f"{row['std']:.4g}", f"{row['alone_std']:.4g}", f"{row['with_others_std']:.4g}",
                      f"{row['joint_std']:.4g}", *[f"{row[c]:.1f}" for c in res.table.columns if c.startswith("share_")])
    console.print(table)
    console.print(f"wrote {csv} and {png}")
# --- end inverse ---
