"""Running the chain backwards and designing for yield: ``inverse``, ``yield``, ``robust``, ``tolerances``."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ..platform.errors import ParameterError, UnreachableTargetError
from .common import (
    EXIT_UNREACHABLE,
    catches,
    console,
    load_scenario,
    parse_sets,
    print_json,
    print_table,
    progress_bar,
    working,
)

app = typer.Typer()


def free_args(items: list[str] | None) -> dict[str, tuple[float, float] | None]:
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


def target_args(items: list[str] | None) -> tuple[dict[str, float], dict[str, tuple[float | None, float | None]]]:
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


def line_qualified(sc, table: dict) -> dict:
    """In a scenario with several lines, each name as its line's (``V_dot`` -> ``anode.V_dot`` when only
    the anode line has it; a name two lines have is refused naming both)."""
    return {sc.catalog.qualify(k): v for k, v in table.items()} if sc.catalog.lines else table


def specs_or_scenario(sc, spec: list[str] | None):
    """The --spec windows, else the scenario's [specs] table; neither is an error."""
    from ..analysis.uq.specs import as_specs

    specs = as_specs(spec if spec else dict(sc.specs), sc.catalog)
    if not specs:
        raise ParameterError("no specification windows: give --spec NAME=VALUE+-TOL% (or NAME>=MIN, NAME<=MAX, "
                             "NAME=LOW:HIGH) or a [specs] table in the scenario")
    return specs


@app.command("inverse")
@catches(codes={UnreachableTargetError: EXIT_UNREACHABLE})
def inverse_cmd(
    scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
    target: list[str] = typer.Option(None, "--target", help="NAME=VALUE (catalog unit); NAME>=VALUE or NAME<=VALUE "
                                                            "for performance requirements (repeat; at least one)"),
    free: list[str] = typer.Option(..., "--free", help="free process parameter NAME or NAME=LOW:HIGH; default "
                                                       "bounds ±50 % of nominal inside the valid range (repeat)"),
    maximize: str | None = typer.Option(None, "--maximize", help="product-oriented: performance to maximise"),
    minimize: str | None = typer.Option(None, "--minimize", help="product-oriented: performance to minimise"),
    rtol: float = typer.Option(1e-4, "--rtol", help="relative tolerance for a target to count as reached"),
    as_json: bool = typer.Option(False, "--json", help="print a flat JSON object of settings and achieved values"),
    set_: list[str] = typer.Option(None, "--set", help="override a nominal value: NAME=VALUE (catalog unit)"),
):
    """Process settings that hit target values (structure, or performance through the scenario's
    cell model); with NAME>=/<= requirements or --maximize/--minimize, a two-stage
    product-oriented design: cell model -> structural targets -> process settings."""
    from ..analysis.design.inverse import inverse
    from ..analysis.design.product import product_design

    sc = load_scenario(scenario, set_)
    equal, ranges = (line_qualified(sc, table) for table in target_args(target))
    box = line_qualified(sc, free_args(free))
    performance = [k for k in equal if k in sc.catalog and sc.catalog[k].domain == "performance"]
    # without any target the plain inverse run says so (the library's "no targets" error)
    if ranges or (equal and (maximize or minimize or (performance and not sc.cell))):
        if maximize and minimize:
            raise ParameterError("give either --maximize or --minimize, not both")
        reqs = {**ranges, **{k: (v, v) for k, v in equal.items()}}
        with working("product-oriented design (cell model, then the chain)"):
            design = product_design(sc, reqs, box, objective=maximize or minimize or "energy_density",
                                    maximize=minimize is None, rtol=rtol)
        flat, rows = design.flat(), [("structure target " + k, v) for k, v in design.structure.items()]
        rows += [(k, v) for k, v in design.process.settings.items()]
        rows += [("achieved " + k, v) for k, v in design.achieved.items()]
        evaluations = f"{design.cell_solves} cell solves, {design.process.evaluations} chain evaluations"
        at_bound = design.process.at_bound
    else:
        with working("inverse run"):
            try:
                res = inverse(sc, equal, box, rtol=rtol)
            except UnreachableTargetError as exc:  # --json: the closest point found, then the error line
                if as_json and exc.result is not None:
                    print_json({**exc.result.flat(), "message": str(exc)})
                raise
        flat, at_bound = res.flat(), res.at_bound
        rows = [(k, v) for k, v in res.settings.items()]
        rows += [(f"achieved {k}", v) for k, v in res.achieved.items()]
        rows += [(f"residual {k} (%)", 100 * v) for k, v in res.residuals.items()]
        evaluations = f"{res.evaluations} chain evaluations in {res.calls} batched calls"
    if as_json:
        print_json(flat)
        return
    table = Table("quantity", "value", "unit", title=f"inverse run: {sc.name}")
    for name, v in rows:
        key = name.split(" ")[-1] if not name.startswith("residual") else ""
        unit = sc.catalog[key].unit if key in sc.catalog else ""
        table.add_row(name, f"{v:.6g}", unit)
    print_table(table)
    console.print(f"{evaluations}" + (f"; at a bound: {', '.join(f'{k} ({s})' for k, s in at_bound.items())}"
                                      if at_bound else ""))


@app.command("yield")
@catches()
def yield_cmd(
    scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
    spec: list[str] = typer.Option(None, "--spec", help="NAME=VALUE+-TOL%, NAME=VALUE+-ABS, NAME>=MIN, NAME<=MAX "
                                                        "or NAME=LOW:HIGH (default: the scenario's [specs])"),
    samples: int | None = typer.Option(None, "--samples", help="Monte Carlo samples (default: scenario)"),
    seed: int | None = typer.Option(None, "--seed", help="random seed (default: scenario)"),
    confidence: float = typer.Option(0.95, "--confidence", help="confidence level of the intervals"),
    ci: str = typer.Option("wilson", "--ci", help="interval: wilson or clopper-pearson"),
    as_json: bool = typer.Option(False, "--json", help="print a JSON summary"),
    set_: list[str] = typer.Option(None, "--set", help="override a nominal value: NAME=VALUE (catalog unit)"),
):
    """Probability of being in spec and expected scrap rate, from the Monte Carlo samples."""
    from ..analysis.uq.specs import scenario_yield

    sc = load_scenario(scenario, set_)
    specs = specs_or_scenario(sc, spec)
    with working("yield (Monte Carlo)"):
        res = scenario_yield(sc, specs, samples, seed, confidence=confidence, method=ci)
        why = yield_reasons(sc, specs, res)
    if as_json:
        print_json({**res.summary(), "explanation": why})
        return
    table = Table("spec", "in spec %", f"{100 * confidence:g} % CI", title=f"yield: {sc.name}, {res.n} samples")
    for _, row in res.per_spec.iterrows():
        table.add_row(row["spec"], f"{100 * row['fraction_in']:.2f}",
                      f"[{100 * row['ci_low']:.2f}, {100 * row['ci_high']:.2f}]")
    table.add_row("[bold]all specs (yield)", f"{100 * res.p_in:.2f}", f"[{100 * res.ci[0]:.2f}, {100 * res.ci[1]:.2f}]")
    table.add_row("[bold]scrap", f"{100 * res.scrap:.2f}",
                  f"[{100 * res.scrap_ci[0]:.2f}, {100 * res.scrap_ci[1]:.2f}]")
    print_table(table)
    if res.n_invalid:
        console.print(f"[yellow]{res.n_invalid} samples rejected by the chain count as scrap")
    explain(why)


@app.command("robust")
@catches()
def robust_cmd(
    scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
    free: list[str] = typer.Option(..., "--free", help="free nominal setting NAME or NAME=LOW:HIGH (repeat)"),
    spec: list[str] = typer.Option(None, "--spec", help="maximise the yield of these windows (default: [specs])"),
    min_std: str | None = typer.Option(None, "--min-std", help="instead: minimise this output's std"),
    mean: list[str] = typer.Option(None, "--mean", help="with --min-std: hold this output's mean, NAME=VALUE"),
    samples: int = typer.Option(2000, "--samples", help="Monte Carlo samples (common random numbers)"),
    seed: int | None = typer.Option(None, "--seed", help="random seed (default: scenario)"),
    as_json: bool = typer.Option(False, "--json", help="print a flat JSON object"),
    set_: list[str] = typer.Option(None, "--set", help="override a nominal value: NAME=VALUE (catalog unit)"),
):
    """Robust nominal settings: maximise the in-spec probability or minimise an output's spread."""
    from ..analysis.design.robust import robust_design

    sc = load_scenario(scenario, set_)
    specs = None if min_std else specs_or_scenario(sc, spec)
    with working(f"robust design ({samples} samples per candidate)"):
        res = robust_design(sc, free_args(free), specs=specs, minimize_std=min_std,
                            mean_targets=parse_sets(mean) if mean else None, n=samples, seed=seed)
    if as_json:
        print_json({**res.flat(), "explanation": res.explain()})
        return
    table = Table("quantity", "start", "robust", title=f"robust run ({res.objective}): {sc.name}")
    for k, v in res.settings.items():
        table.add_row(f"{k} [{sc.catalog[k].unit}]", f"{res.start[k]:.6g}", f"{v:.6g}")
    for k, v in res.after.items():
        table.add_row(k, f"{res.before[k]:.6g}", f"{v:.6g}")
    if res.yield_after is not None:
        table.add_row("yield 95 % CI", f"[{res.yield_before.ci[0]:.4f}, {res.yield_before.ci[1]:.4f}]",
                      f"[{res.yield_after.ci[0]:.4f}, {res.yield_after.ci[1]:.4f}]")
    print_table(table)
    console.print(f"{res.evaluations} chain evaluations in {res.calls} batches, {res.wall_time:.2f} s"
                  + (f"; at a bound: {', '.join(res.at_bound)}" if res.at_bound else ""))
    explain(res.explain())


@app.command("tolerances")
@catches()
def tolerances_cmd(
    scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
    spec: list[str] = typer.Option(None, "--spec", help="specification windows (default: the scenario's [specs])"),
    target: float = typer.Option(0.99, "--yield-target", help="in-spec probability to keep, e.g. 0.99"),
    param: list[str] = typer.Option(None, "--param", help="parameter to give a tolerance (default: every uncertain "
                                                          "process parameter; repeat)"),
    samples: int = typer.Option(4000, "--samples", help="Monte Carlo samples (common random numbers)"),
    seed: int | None = typer.Option(None, "--seed", help="random seed (default: scenario)"),
    output: Path | None = typer.Option(None, "-o", "--output", help="folder for tolerances.csv/.png "
                                                                       "(default out/SCENARIO)"),
    as_json: bool = typer.Option(False, "--json", help="print the table as JSON"),
    set_: list[str] = typer.Option(None, "--set", help="override a nominal value: NAME=VALUE (catalog unit)"),
):
    """Production tolerances: the largest spread of each parameter that keeps the yield at the target."""
    from ..analysis.design.tolerances import production_tolerances

    sc = load_scenario(scenario, set_)
    specs = specs_or_scenario(sc, spec)
    with progress_bar() as progress:
        res = production_tolerances(sc, specs, target=target, parameters=param or None, n=samples, seed=seed,
                                    progress=progress)
    out = output or Path("out") / sc.name
    csv, png = res.to_csv(out / "tolerances.csv"), res.plot(out / "tolerances.png")
    if as_json:
        print_json({"joint_factor": res.joint_factor, "yield_scenario": res.yield_scenario.p_in,
                    "yield_floor": None if res.yield_floor is None else res.yield_floor.p_in,
                    "not_analysed": res.others, "explanation": res.explain(),
                    "table": res.table.reset_index().to_dict(orient="records")})
        return
    table = Table("parameter", "unit", "std now", "allowed alone", "allowed w/ others", "allowed joint",
                  *[f"{c[len('share_'):-2]} var. %" for c in res.table.columns if c.startswith("share_")],
                  title=f"tolerances for yield >= {100 * target:g} %: {sc.name} (yield now "
                        f"{100 * res.yield_scenario.p_in:.2f} %)")
    shares = [c for c in res.table.columns if c.startswith("share_")]
    for k, row in res.table.iterrows():
        table.add_row(str(k), row["unit"], f"{row['std']:.4g}", f"{row['alone_std']:.4g}",
                      f"{row['with_others_std']:.4g}", f"{row['joint_std']:.4g}", *[f"{row[c]:.1f}" for c in shares])
    print_table(table)
    explain(res.explain())
    console.print(f"wrote {csv} and {png}")


def yield_reasons(sc, specs, res) -> list[str]:
    """Why a yield is below 100 %: the windows samples miss, tightest first, and the spreads behind
    each (first-order variance shares at the nominal point)."""
    from ..analysis.design.explain import binding_windows, variance_shares

    if res.p_in >= 1.0:
        return []
    with_cell = any(sc.catalog[s.name].domain in ("performance", "battery-model") for s in specs)
    shares = variance_shares(sc, sc.build_chain(with_cell=with_cell), specs, {}, sc.nominal())
    return [b.sentence() for b in binding_windows(res, shares)]


def explain(lines: list[str]) -> None:
    """An answer's explanation under its table (why a target is out of reach), one item per line."""
    if lines:
        console.print("[bold]why:[/]")
        for line in lines:
            console.print(f"  {escape(line)}")
