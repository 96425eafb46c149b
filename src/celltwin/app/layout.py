"""The page: a static skeleton and the parts rebuilt per scenario (settings table, nominal table)."""
from __future__ import annotations

import math
from collections.abc import Mapping

from .jobs import MAX_EXACT
from .registry import MAX_UPLOAD_BYTES, Registry
from .workbench import PERFORMANCE, SPREAD_FORMAT, VALUE_FORMAT, Workbench


def _id(kind: str, name: str) -> dict[str, str]:
    return {"type": kind, "name": name}


def settings_table(wb: Workbench):
    """One row per scenario input: nominal and spread inputs with unit, valid range and a message cell."""
    from dash import dcc, html

    head = html.Tr([html.Th(h) for h in ("setting", "nominal", "unit", "valid range", "spread", "", "")])
    rows = [head]
    for s in wb.settings():
        spread_label = {"std": f"std ({s.unit})", "scale": "× spread", "": ""}[s.spread_kind]
        rows.append(html.Tr([
            html.Td(html.Abbr(s.name, title=f"{s.description} ({s.domain}; {s.distribution})")),
            html.Td(dcc.Input(id=_id("nominal", s.name), value=format(s.value, VALUE_FORMAT), type="text",
                              debounce=True, className="num", style={"width": "90px"}) if s.editable else
                    html.Span(f"{format(s.value, VALUE_FORMAT)} (balance)", className="num")),
            html.Td(s.unit, className="unit"),
            html.Td(s.valid, className="unit"),
            html.Td(dcc.Input(id=_id("spread", s.name),
                              value="" if s.spread is None else format(s.spread, SPREAD_FORMAT), type="text",
                              debounce=True, className="num", placeholder="fixed",
                              style={"width": "80px"})
                    if s.editable else ""),
            html.Td(spread_label, className="unit"),
            html.Td(html.Span(id=_id("error", s.name), className="error") if s.editable else ""),
        ]))
    note = html.P("Values in the catalog unit shown. Spread: a standard deviation (normal, lognormal, truncated "
                  "normal; a fixed setting becomes normal), or a factor on a uniform or KDE spread; 0 fixes the "
                  "setting. Press Enter or leave the field to apply.", className="hint")
    return [html.Table(rows, className="settings"), note]


def nominal_table(wb: Workbench, nominal: Mapping[str, float], kpis: list[str]):
    """The nominal structure and performance (exact chain and P2D cell), spec windows beside them."""
    from dash import html

    sc = wb.base
    rows = [html.Tr([html.Th(h) for h in ("output", "nominal", "unit", "spec", "from")])]
    for name in kpis:
        low, high = sc.specs.get(name, (-math.inf, math.inf))
        spec = "" if name not in sc.specs else (f"[{low:.4g}, {high:.4g}]" if math.isfinite(low) and
                                                math.isfinite(high) else f"≥ {low:.4g}" if math.isfinite(low)
                                                else f"≤ {high:.4g}")
        rows.append(html.Tr([html.Td(name), html.Td(f"{nominal[name]:.6g}", id=f"nominal-{name}", className="num"),
                             html.Td(sc.catalog[name].unit, className="unit"), html.Td(spec, className="unit"),
                             html.Td("exact P2D" if name in PERFORMANCE else "chain", className="unit")]))
    return html.Table(rows, className="nominal")


def page(registry: Registry):
    """The whole page."""
    from dash import dcc, html

    section = "section"
    return html.Div([
        html.Header([
            html.H1("celltwin what-if workbench"),
            dcc.Dropdown(id="scenario-key", options=registry.options(), value=registry.default, clearable=False,
                         className="scenario"),
            dcc.Upload(html.Button("upload scenario TOML"), id="upload", max_size=MAX_UPLOAD_BYTES, multiple=False),
            html.Button("export TOML", id="export"), dcc.Download(id="download"),
            html.Span(id="load-status", className="status"),
        ]),
        html.Div([
            html.Div([html.H2("Settings"), dcc.Loading(html.Div(id="settings"))], className="left"),
            html.Div([
                html.H2("Nominal (exact chain and P2D cell)"), html.Div(id="nominal"),
                html.H2("Yield against the scenario's specs"),
                html.Div([html.Span(id="yield", className="big"), html.Span(id="scrap", className="big")]),
                html.P(id="yield-method", className="hint"), html.P(id="surrogate", className="hint"),
                dcc.Graph(id="kpi-graph", config={"displaylogo": False}),
                dcc.Loading(dcc.Graph(id="drivers-graph", config={"displaylogo": False})),
            ], className="right"),
        ], className="main"),
        html.Div([
            html.H2("Inverse target"),
            html.Div([dcc.Dropdown(id="target-name", placeholder="target output", className="pick"),
                      dcc.Input(id="target-value", type="text", placeholder="value (catalog unit)", debounce=False,
                                className="num", style={"width": "140px"}),
                      dcc.Dropdown(id="free", multi=True, placeholder="free settings", className="pick wide"),
                      html.Button("solve", id="solve"),
                      html.Button("apply the settings found", id="apply", disabled=True)], className="row"),
            dcc.Loading(html.Div(id="inverse-result")), dcc.Store(id="inverse-found"),
        ], className=section),
        html.Div([
            html.H2("Exact P2D Monte Carlo"),
            html.Div([dcc.Input(id="exact-samples", type="text", value="200", className="num", style={"width": "80px"}),
                      html.Span(f"samples (at most {MAX_EXACT}), through the chain and the P2D cell model",
                                className="hint"),
                      html.Button("run exact", id="exact-run")], className="row"),
            html.Progress(id="exact-progress", value="0", max="1"), html.Div(id="exact-result"),
            dcc.Interval(id="poll", interval=1000),
        ], className=section),
        html.Div([
            html.H2("Recorded studies (run store)"),
            html.Div([html.Button("refresh", id="runs-refresh"),
                      dcc.Dropdown(id="run-a", placeholder="run A", className="pick wide"),
                      dcc.Dropdown(id="run-b", placeholder="run B", className="pick wide"),
                      html.Button("compare", id="runs-compare")], className="row"),
            html.Div(id="runs"), html.Div(id="runs-comparison"),
        ], className=section),
        html.Div([html.H2("Process chain"), dcc.Graph(id="chain-graph", config={"displaylogo": False})],
                 className=section),
    ])
