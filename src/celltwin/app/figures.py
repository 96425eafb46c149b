"""The page's plotly figures: the chain graph, the KPI distributions with their spec limits, the drivers."""
from __future__ import annotations

import math

import numpy as np

from ..analysis.uq.sensitivity import SensitivityResult
from ..platform.chain import ProcessChain
from ..platform.units import unit_suffix
from ..report.chain_graph import layout
from ..report.style import DOMAIN_COLOURS
from .workbench import PERFORMANCE, WhatIf

#: histogram bins: counted here, so an update sends 40 numbers per KPI instead of every sample
BINS = 40
COLUMNS = 3


def chain_figure(chain: ProcessChain, title: str):
    """The chain as a left-to-right graph (the report's layout and colours), labels readable at 11 px."""
    import plotly.graph_objects as go

    g, pos = chain.graph, layout(chain)
    ex, ey = [], []
    for a, b in g.edges:
        ex += [pos[a][0], pos[b][0], None]
        ey += [pos[a][1], pos[b][1], None]
    nodes = list(g.nodes)
    kind = {n: "container" if g.nodes[n]["kind"] == "container" else g.nodes[n].get("domain", "unknown")
            for n in nodes}
    fig = go.Figure([
        go.Scatter(x=ex, y=ey, mode="lines", line=dict(color="#bbbbbb", width=1), hoverinfo="skip"),
        go.Scatter(x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes], mode="markers+text", text=nodes,
                   textposition="top center", textfont=dict(size=11),
                   hovertext=[f"{n} ({kind[n]}){unit_suffix(g.nodes[n].get('unit', ''))}" for n in nodes],
                   hoverinfo="text",
                   marker=dict(size=[20 if kind[n] == "container" else 11 for n in nodes],
                               symbol=["square" if kind[n] == "container" else "circle" for n in nodes],
                               color=[DOMAIN_COLOURS.get(kind[n], DOMAIN_COLOURS["unknown"]) for n in nodes],
                               line=dict(width=1, color="#333")))])
    fig.update_layout(title=title, showlegend=False, xaxis_visible=False, yaxis_visible=False,
                      plot_bgcolor="white", height=460, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def kpi_figure(result: WhatIf):
    """One histogram per KPI (valid samples), the nominal value and the spec window drawn on it."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    sc, frame = result.scenario, result.samples
    names = [c for c in frame.columns if c != "valid"]
    rows = max(1, math.ceil(len(names) / COLUMNS))
    titles = [f"{n} ({result.units[n]}){' · surrogate' if n in PERFORMANCE else ''}" for n in names]
    fig = make_subplots(rows=rows, cols=COLUMNS, subplot_titles=titles, vertical_spacing=0.16, horizontal_spacing=0.08)
    valid = frame["valid"].to_numpy(bool)
    for i, name in enumerate(names):
        r, c = divmod(i, COLUMNS)
        v = frame[name].to_numpy(dtype=float)[valid]
        v = v[np.isfinite(v)]
        if not len(v):
            continue
        low, high = sc.specs.get(name, (-math.inf, math.inf))
        counts, edges = np.histogram(v, bins=BINS)
        centres = 0.5 * (edges[1:] + edges[:-1])
        inside = (centres >= low) & (centres <= high)
        fig.add_trace(go.Bar(x=centres, y=counts, width=np.diff(edges), marker_color=np.where(
            inside, "#4c78a8", "#e45756").tolist(), showlegend=False, hovertemplate="%{x:.4g}: %{y}<extra></extra>"),
            row=r + 1, col=c + 1)
        for bound in (low, high):
            if math.isfinite(bound):
                fig.add_vline(x=bound, line=dict(color="#e45756", dash="dash", width=2), row=r + 1, col=c + 1)
        if name in result.nominal:
            fig.add_vline(x=result.nominal[name], line=dict(color="#222", width=1.5), row=r + 1, col=c + 1)
        fig.update_yaxes(title_text="samples", row=r + 1, col=c + 1, title_standoff=2)
        fig.update_xaxes(tickformat=".4~g", nticks=5, row=r + 1, col=c + 1)
    fig.update_layout(height=250 * rows + 40, bargap=0, plot_bgcolor="white", margin=dict(l=50, r=10, t=40, b=30),
                      title=dict(text="KPI distributions: spec limits dashed red, nominal black, out-of-spec bins red",
                                 font=dict(size=13)))
    fig.update_annotations(font_size=12)
    return fig


def drivers_figure(result: SensitivityResult | None):
    """ANCOVA total index S of each input (rows) for each KPI (columns), with each PCE's Q²."""
    import plotly.graph_objects as go

    if result is None:
        return go.Figure().update_layout(title="no uncertain input: nothing drives a spread", height=200)
    table = result.indices["S"].unstack("output")
    outputs = list(dict.fromkeys(result.indices.index.get_level_values("output")))
    table = table[outputs]
    labels = [f"{o}<br>Q² {result.validation[o]['Q2']:.4f}" if o in result.validation else o for o in outputs]
    z = table.to_numpy(dtype=float)
    fig = go.Figure(go.Heatmap(z=z, x=labels, y=list(table.index), zmin=0, zmax=1, colorscale="Blues",
                               text=[[_two(v) for v in row] for row in z],
                               texttemplate="%{text}", colorbar=dict(title="S")))
    fig.update_layout(title=dict(text="Main drivers: ANCOVA index S (share of each KPI's variance; seed 004 eqs. 4-7)",
                                 font=dict(size=13)), height=90 + 34 * len(table.index),
                      margin=dict(l=80, r=10, t=40, b=60), yaxis_autorange="reversed")
    return fig


def _two(v: float) -> str:
    """Two decimals, no "-0.00" (an index that is zero up to its estimation noise)."""
    if not np.isfinite(v):
        return ""
    text = f"{v:.2f}"
    return "0.00" if text == "-0.00" else text
