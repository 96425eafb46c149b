"""The run store: ``runs list``, ``runs show``, ``runs compare``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from .common import catches, console, print_json, print_table

app = typer.Typer()
runs_app = typer.Typer(no_args_is_help=True, help="The run store: every recorded study with its provenance.")
app.add_typer(runs_app, name="runs")

STORE_HELP = "run store file or folder (default $CELLTWIN_HOME/runs.duckdb, else ~/.celltwin/runs.duckdb)"


@runs_app.command("list")
@catches()
def runs_list_cmd(store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
                  limit: int = typer.Option(30, "--limit", help="newest N runs (at least 1)"),
                  name: str | None = typer.Option(None, "--name", help="only runs of this scenario"),
                  as_json: bool = typer.Option(False, "--json", help="print JSON records")):
    """List the recorded runs, newest first."""
    from ..store.runs import RunStore

    rs = RunStore(store)
    runs = rs.list(limit=limit, name=name)
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
    print_table(table)


@runs_app.command("show")
@catches()
def runs_show_cmd(run: str = typer.Argument(..., help="run id, a unique prefix of one, or 'last'"),
                  store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
                  scenario_toml: bool = typer.Option(False, "--scenario", help="print the resolved scenario TOML"),
                  as_json: bool = typer.Option(False, "--json", help="print the run as JSON (provenance, "
                                               "timings, statistics)")):
    """One run: provenance, per-step timings, failures and output statistics."""
    from ..store.runs import RunStore

    r = RunStore(store).get(run)
    if scenario_toml:
        sys.stdout.write(r["scenario_toml"])
        return
    if as_json:
        print_json({k: (v.to_dict(orient="records") if hasattr(v, "to_dict") else v) for k, v in r.items()
                    if k != "scenario_toml"})
        return
    head = Table("field", "value", title=f"run {r['run_id']}", show_header=False)
    for key in ("name", "source", "status", "started", "finished", "wall_seconds", "samples", "seed", "method",
                "n_valid", "n_rejected", "n_failed", "backend", "chunks", "reused_chunks", "git_revision",
                "git_dirty", "host", "user_name", "output_dir", "samples_path", "command"):
        head.add_row(key, str(r.get(key)))
    head.add_row("versions", ", ".join(f"{k} {v}" for k, v in r["versions"].items()))
    for reason, count in {**r["rejections"], **r["failures"]}.items():
        head.add_row("[yellow]failure", f"{count} x {reason}")
    print_table(head)
    steps = Table("step", "seconds", title="timings (mc:NAME = summed evaluation time of a container)")
    for s in r["steps"].itertuples():
        steps.add_row(s.step, f"{s.seconds:.3f}")
    print_table(steps)
    stats = Table("parameter", "role", "mean", "std", "5 %", "95 %", "unit", title="statistics of the valid samples")
    for s in r["stats"].itertuples():
        if s.std > 0 or s.role == "output":
            stats.add_row(s.name, s.role, f"{s.mean:.6g}", f"{s.std:.3g}", f"{s.p05:.6g}", f"{s.p95:.6g}", s.unit)
    print_table(stats)


@runs_app.command("compare")
@catches()
def runs_compare_cmd(a: str = typer.Argument(..., help="first run (id, prefix or 'last')"),
                     b: str = typer.Argument(..., help="second run"),
                     store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
                     as_json: bool = typer.Option(False, "--json", help="print JSON {inputs, outputs}")):
    """Compare two runs: which inputs differ, and how the outputs moved (mean and std)."""
    from ..store.runs import RunStore

    c = RunStore(store).compare(a, b)
    if as_json:
        emit = {"a": c.a["run_id"], "b": c.b["run_id"], "inputs": c.inputs.to_dict(orient="records"),
                "outputs": c.outputs.to_dict(orient="records")}
        sys.stdout.write(json.dumps(emit, indent=1, default=str) + "\n")
        return
    ti = Table("input", "A", "B", title=f"inputs that differ: A = {c.a['run_id']}, B = {c.b['run_id']}")
    for r in c.inputs.itertuples():
        ti.add_row(r.key, str(r.a), str(r.b))
    if len(c.inputs):
        print_table(ti)
    else:
        console.print("[green]same scenario, seed and samples")
    to = Table("parameter", "mean A", "mean B", "Δ mean %", "z", "std A", "std B", "Δ std %", "unit",
               title="how the outputs moved (z = Δ mean / its Monte Carlo standard error)")
    for r in c.outputs.itertuples():
        style = "bold" if abs(r.z) > 3 else ""
        to.add_row(r.name, f"{r.mean_a:.6g}", f"{r.mean_b:.6g}", f"{r.d_mean_pct:+.3f}", f"{r.z:+.1f}",
                   f"{r.std_a:.3g}", f"{r.std_b:.3g}", f"{r.d_std_pct:+.1f}", r.unit, style=style)
    print_table(to)
