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
    """Run the study of a scenario: nominal chain and Monte Carlo summary."""
    from .analysis.propagation import propagate

    try:
        sc = _scenario(scenario)
        values = dict(sc.build_chain().evaluate(sc.nominal()))
        console.print(nominal_table(sc, values))
        with console.status(f"Monte Carlo: {samples or sc.study['samples']} samples"):
            frame = propagate(sc, samples, seed)
    except CelltwinError as exc:
        _fail(exc)
    console.print(summary_table(frame, sc))
    out = output or Path("out") / sc.name
    out.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(out / "samples.parquet")
    console.print(f"wrote {out / 'samples.parquet'}")


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
