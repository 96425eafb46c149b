"""The measurement loop: ``compare-measurements`` and ``calibrate``."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..platform.errors import ParameterError
from .common import catches, console, err, load_scenario, print_json, print_table, working

app = typer.Typer()


def noise_args(items: list[str] | None, catalog) -> dict[str, float]:
    """--noise NAME=STD (catalog unit) or NAME=STD[unit], e.g. h_cal=0.5[um], eps_cal=0.3[%]."""
    from ..platform.units import convert

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
@catches()
def compare_measurements_cmd(
    scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
    measurements: Path = typer.Argument(..., help="CSV: segment, then catalog names (NAME[unit] headers)"),
    output: Path = typer.Option(Path("out/measurements"), "-o", "--output", help="folder for CSV tables and PNG"),
    level: float = typer.Option(0.9, "--level", help="central prediction interval for coverage"),
    noise: list[str] = typer.Option(None, "--noise", help="gauge noise NAME=STD or NAME=STD[unit] (repeat)"),
    samples: int | None = typer.Option(None, "--samples", help="Monte Carlo samples (default 200 per segment)"),
    seed: int | None = typer.Option(None, "--seed", help="random seed (default: scenario)"),
    as_json: bool = typer.Option(False, "--json", help="print the coverage summary as JSON records"),
):
    """Measured segments against the twin's prediction: residuals, interval coverage, plot."""
    from ..analysis.design.measurements import compare, read_measurements

    sc = load_scenario(scenario)
    measured = read_measurements(measurements, sc.catalog)
    with working("the twin's prediction of every measured segment"):
        comp = compare(sc, measured, level=level, n=samples, seed=seed, noise=noise_args(noise, sc.catalog))
    output.mkdir(parents=True, exist_ok=True)
    comp.table.to_csv(output / "residuals.csv", index=False)
    comp.summary.to_csv(output / "coverage.csv", index=False)
    png = comp.plot(output / "measurements.png", units=measured.units)
    if as_json:
        print_json({"summary": comp.summary.to_dict(orient="records"), "level": level,
                    "files": [str(output / "residuals.csv"), str(output / "coverage.csv"), str(png)]})
        return
    table = Table("quantity", "n", "bias", "RMSE", "mean z", "std z", f"coverage ({100 * level:g} % PI)", "unit",
                  title=f"{measured.source} against {sc.name}")
    for r in comp.summary.itertuples():
        flag = "" if r.coverage_ok else " [red](low)"
        table.add_row(r.quantity, str(r.n), f"{r.bias:.4g}", f"{r.rmse:.4g}", f"{r.mean_z:+.2f}", f"{r.std_z:.2f}",
                      f"{100 * r.coverage:.0f} %{flag}", r.unit)
    print_table(table)
    console.print(f"wrote {output / 'residuals.csv'}, {output / 'coverage.csv'} and {png}")


@app.command("calibrate")
@catches()
def calibrate_cmd(
    scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
    measurements: Path = typer.Argument(..., help="CSV: segment, then catalog names (NAME[unit] headers)"),
    free: list[str] = typer.Option(..., "--free", help="NAME (nominal value) or NAME.std (spread) (repeat)"),
    output: Path = typer.Option(Path("calibrated.toml"), "-o", "--output", help="calibrated scenario TOML"),
    noise: list[str] = typer.Option(None, "--noise", help="gauge noise NAME=STD or NAME=STD[unit] (repeat)"),
    samples: int | None = typer.Option(None, "--samples", help="Monte Carlo samples per evaluation"),
    seed: int | None = typer.Option(None, "--seed", help="random seed (default: scenario)"),
    plot: Path | None = typer.Option(None, "--plot", help="PNG: measurements against the twin before/after"),
    as_json: bool = typer.Option(False, "--json", help="print the estimates as JSON"),
):
    """Calibrate settings (means, spreads) to measured segments; write the calibrated scenario."""
    from ..analysis.design.calibration import calibrate
    from ..analysis.design.measurements import compare, plot_comparison, read_measurements

    sc = load_scenario(scenario)
    measured = read_measurements(measurements, sc.catalog)
    gauge = noise_args(noise, sc.catalog)
    with working("calibrating (simulated maximum likelihood)"):
        cal = calibrate(sc, measured, free, noise=gauge, n=samples, seed=seed)
    path = cal.write(output)
    if plot:
        before = compare(sc, measured, noise=gauge, seed=seed)
        after = compare(cal.scenario, measured, noise=gauge, seed=seed)
        plot_comparison(before, plot, units=measured.units, other=after)
    if as_json:
        print_json({"estimates": cal.estimates.to_dict(orient="records"), "converged": cal.converged,
                    "message": cal.message, "evaluations": cal.evaluations, "seconds": cal.seconds,
                    "scenario": str(path), "plot": str(plot) if plot else None})
        return
    table = Table("parameter", "before", "estimate", "± std. error", "95 % interval", "unit",
                  title=f"calibration of {sc.name} to {len(measured)} measured rows "
                        f"({cal.evaluations} evaluations, {cal.seconds:.1f} s)")
    for r in cal.estimates.itertuples():
        table.add_row(r.parameter, f"{r.initial:.6g}", f"{r.estimate:.6g}", f"{r.std_error:.3g}",
                      f"[{r.lower95:.6g}, {r.upper95:.6g}]", r.unit)
    print_table(table)
    if not cal.converged:
        err.print(f"[yellow]warning:[/] the optimiser did not converge: {cal.message}")
    console.print(f"wrote {path}" + (f" and {plot}" if plot else ""))
