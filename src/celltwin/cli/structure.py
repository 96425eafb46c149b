"""Structure -> performance: ``structure``, ``structure-doe`` and ``rate``."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from ..platform.errors import ParameterError
from .common import catches, console, load_scenario, print_json, print_table, progress_bar, working

app = typer.Typer()


@app.command("structure")
@catches()
def structure_cmd(porosity: float = typer.Option(..., "--porosity", help="eps_cal (1)"),
                  x_am: float = typer.Option(..., "--x-am", help="active material volume fraction X_AM (1)"),
                  x_cbd: float = typer.Option(..., "--x-cbd", help="solid carbon-binder volume fraction X_CBD (1)"),
                  radius: float = typer.Option(5.5, "--radius", help="median particle radius R_p (um)"),
                  surrogate: str = typer.Option("builtin", "--surrogate", help="surrogate JSON or 'builtin'"),
                  as_json: bool = typer.Option(False, "--json", help="print JSON"),
                  render: Path | None = typer.Option(None, "--render", help="write a slice of one generated "
                                                                             "structure (PNG)")):
    """Effective properties of one structure: the resolved surrogate beside Bruggeman."""
    from ..cellmodel.structure import bruggeman_tortuosity, structure_problems
    from ..microstructure.surrogate import load_surrogate

    for _, message in structure_problems(porosity, {"X_AM": x_am, "X_CBD": x_cbd}, radius=radius * 1e-6):
        raise ParameterError(message, parameter="porosity")
    with working("effective properties from the structure surrogate"):
        model = load_surrogate(surrogate)
        values = {k: float(v) for k, v in model(porosity, x_cbd, radius, extrapolation="warn").items()}
    out = {"surrogate": model.name, "in_design_space": bool(model.inside(porosity, x_cbd, radius)),
           "design_space": model.design_space(), **values,
           "tau_e_bruggeman": float(bruggeman_tortuosity(porosity))}
    if render is not None:
        from ..microstructure.render import render_slice

        with working("generating and drawing a 3D structure"):
            out["render"] = str(render_slice(porosity, x_cbd, radius, render))
    if as_json:
        print_json(out)
        return
    table = Table("quantity", "value", "unit", title=f"structure eps={porosity:g}, X_AM={x_am:g}, X_CBD={x_cbd:g}, "
                                                     f"R_p={radius:g} um")
    for key, unit in (("tau_e", "1"), ("kappa_s_eff", "S/m"), ("a_s", "1/m"),
                      ("tau_e_bruggeman", "1")):
        table.add_row(key, f"{out[key]:.4g}", unit)
    print_table(table)
    console.print(f"surrogate: {out['surrogate']}; in its design space: {'yes' if out['in_design_space'] else 'NO'}")
    if render is not None:
        console.print(f"wrote {out['render']}")


@app.command("structure-doe")
@catches()
def structure_doe_cmd(output: Path = typer.Option(..., "-o", "--output", help="folder for the design CSV and "
                                                                               "the surrogate JSON"),
                      points: int = typer.Option(30, help="Latin-hypercube points"),
                      reps: int = typer.Option(2, help="random structures per point"),
                      seed: int = typer.Option(2024, help="seed of the design"),
                      workers: int = typer.Option(1, help="processes")):
    """Run (or resume) the virtual DoE of 3D structures and fit the structure surrogate."""
    from ..microstructure.doe import run_design
    from ..microstructure.surrogate import DESIGN_CSV, MODEL_JSON, fit

    if points < 2 or reps < 1 or workers < 1:
        raise ParameterError(f"points = {points}, reps = {reps}, workers = {workers}: need points >= 2, "
                             "reps >= 1, workers >= 1", parameter="points", value=points, valid="[2, inf)")
    output.mkdir(parents=True, exist_ok=True)
    with progress_bar() as bar:
        run_design(output / DESIGN_CSV, points, reps, seed, workers=workers,
                   progress=lambda done, total: bar("3D structures", done, total))
    doc = fit(output / DESIGN_CSV, output / MODEL_JSON)
    for name, sel in doc["models"].items():
        console.print(f"{name}: {sel['reason']}")
    console.print(f"wrote {output / DESIGN_CSV} and {output / MODEL_JSON}")


@app.command("rate", context_settings={"allow_extra_args": True})
@catches()
def rate_cmd(ctx: typer.Context, scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
             current_density: list[float] = typer.Option(..., "--current-density",
                                                         help="current densities (mA/cm^2), e.g. 0.5 1 2 5 10"),
             as_json: bool = typer.Option(False, "--json", help="print JSON records")):
    """Rate capability: the nominal electrode discharged at each current density."""
    try:  # `--current-density 0.5 1 2`: the values after the first arrive as extra arguments
        i = np.asarray([*current_density, *(float(a) for a in ctx.args)], dtype=float)
    except ValueError:
        raise ParameterError(f"current densities must be numbers (mA/cm^2), got {ctx.args}",
                             parameter="current_density", unit="mA/cm^2") from None
    sc = load_scenario(scenario)
    if not np.all(i > 0):
        raise ParameterError(f"current densities must be > 0 mA/cm^2, got {list(i)}", parameter="current_density",
                             valid="(0, inf)", unit="mA/cm^2")
    structure = sc.build_chain(with_cell=False).evaluate(sc.nominal())
    with working(f"P2D discharges at {len(i)} current densities"):
        frame = sc.cell_container().rate_sweep(structure, i)
    cols = ["current_density", "c_rate", "capacity", "energy_density", "mean_voltage"]
    if as_json:
        print_json(frame[[c for c in cols if c in frame]].to_dict("records"))
        return
    table = Table("current density (mA/cm^2)", "C-rate (1/h)", "capacity (mAh/cm^2)", "energy density (Wh/L)",
                  "mean voltage (V)", title=f"rate capability: {sc.name}")
    for r in frame.itertuples():
        table.add_row(*(f"{getattr(r, c):.4g}" for c in cols))
    print_table(table)
    sys.stdout.flush()
