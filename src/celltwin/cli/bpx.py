"""BPX: ``bpx`` writes a scenario's electrode as a BPX file."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from .common import catches, console, load_scenario, working

app = typer.Typer()


@app.command("bpx")
@catches()
def bpx_cmd(scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
            output: Path = typer.Option(..., "-o", "--output", help="the BPX file to write (.json)"),
            sample: int | None = typer.Option(None, "--sample", help="write Monte Carlo sample K instead of the "
                                              "nominal electrode"),
            as_json: bool = typer.Option(False, "--json", help="print the written structure as JSON")):
    """The scenario's electrode as a BPX file (positive electrode from the chain, the rest from the set)."""
    from ..analysis.design.targets import with_targets
    from ..cellmodel.bpx import scenario_bpx

    with working("the electrode through the chain, written as BPX"):
        sc = with_targets(load_scenario(scenario))
        path, values = scenario_bpx(sc, output, sample=sample)
    record = {"path": str(path), "sample": sample, **{k: values[k] for k in ("h_cal", "eps_cal", "X_AM")}}
    if as_json:
        sys.stdout.write(json.dumps(record, indent=1) + "\n")
        return
    console.print(f"wrote {path}: h_cal = {values['h_cal']:.6g} um, eps_cal = {values['eps_cal']:.6g}, "
                  f"X_AM = {values['X_AM']:.6g}")
