"""Scenarios and the chain: ``scenarios``, ``catalog``, ``chain``, ``graph``."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ..platform.errors import ParameterError
from .common import catches, console, err, load_scenario, print_json, print_table, working

app = typer.Typer()


@app.command("scenarios")
@catches()
def scenarios_cmd(as_json: bool = typer.Option(False, "--json", help="print a JSON list of the scenarios")):
    """List the built-in scenarios."""
    from ..containers import ElectrodeScenario
    from ..platform.scenario import builtin_scenarios

    rows = []
    with working("loading the built-in scenarios"):
        for name in builtin_scenarios():
            sc = ElectrodeScenario.load(name)
            rows.append({"name": name, "chain": sc.chain_steps, "cell": sc.cell, "description": sc.description,
                         **({"lines": {n: line.chain_steps for n, line in sc.lines.items()}} if sc.lines else {})})
    if as_json:
        print_json(rows)
        return
    table = Table("name", "chain", "cell", "description")
    for r in rows:
        lines = [f"{n}: {' -> '.join(steps)}" for n, steps in r.get("lines", {}).items()]  # then the steps after them
        table.add_row(r["name"], "\n".join([*lines, " -> ".join(r["chain"])]), r["cell"] or "-", r["description"])
    print_table(table)


@app.command("catalog")
@catches()
def catalog_cmd(domain: str | None = typer.Option(None, help="only this domain, e.g. process"),
                components: str = typer.Option("AM,CA,PB", help="formulation components, comma-separated"),
                as_json: bool = typer.Option(False, "--json", help="print a JSON list of the entries")):
    """The parameter catalog: name, unit, domain, valid range, description."""
    from ..platform.catalog import DOMAINS, default_catalog
    from ..platform.errors import unknown

    if domain is not None and domain not in DOMAINS:
        raise ParameterError(unknown("domain", domain, DOMAINS))
    frame = default_catalog([c.strip() for c in components.split(",") if c.strip()]).table()
    if domain:
        frame = frame[frame["domain"] == domain]
    if as_json:
        print_json([{k: (None if v is None or v != v else v) for k, v in row.items()}
                    for row in frame.to_dict("records")])
        return
    table = Table(*frame.columns, title="celltwin parameter catalog")
    for row in frame.itertuples(index=False):
        table.add_row(*("" if v is None or v != v else str(v) for v in row))
    print_table(table)


@app.command("chain")
@catches()
def chain_cmd(scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
              as_json: bool = typer.Option(False, "--json", help="print a flat JSON object {name: value}"),
              set_: list[str] = typer.Option(None, "--set", help="override a value: NAME=VALUE (catalog unit)")):
    """Nominal value of every parameter through the chain (and the cell model, if named).

    A scenario's [targets] are solved first; what was solved, and any doubt about the cell
    parameters, is printed as a warning on stderr."""
    from ..analysis.design.targets import with_targets

    with working("the nominal chain and cell model"):
        sc = with_targets(load_scenario(scenario, set_))
        chain = sc.build_chain()
        values = dict(chain.evaluate(sc.nominal()))
    for note in sc.report_notes(chain):
        err.print(f"[yellow]warning:[/] {escape(note['message'])}", soft_wrap=True)
    if as_json:
        print_json(values)
        return
    print_table(nominal_table(sc, values))


def nominal_table(sc, values) -> Table:
    """A rich table of nominal values with unit, domain and description from the scenario's catalog."""
    table = Table("parameter", "value", "unit", "domain", "description", title=f"nominal chain: {sc.name}")
    for name, v in values.items():
        entry = sc.catalog[name]
        table.add_row(name, f"{v:.6g}", entry.unit, entry.domain, entry.description)
    return table


@app.command("graph")
@catches(ValueError)
def graph_cmd(scenario: str = typer.Argument(..., help="built-in scenario name or TOML path"),
              output: Path = typer.Option(..., "-o", "--output", help="file .png, .svg or .html")):
    """Draw the chain: containers and the parameters flowing between them."""
    from ..report.chain_graph import draw

    sc = load_scenario(scenario)
    with working("drawing the chain"):
        path = draw(sc.build_chain(), output, title=f"{sc.name}: process chain")
    console.print(f"wrote {path}")
