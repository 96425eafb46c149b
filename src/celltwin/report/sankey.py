"""Sankey diagram of sensitivities across parameter domains (seed 004, Figure 10).

Nodes are parameters, placed in columns by domain (process -> structural ->
performance); a link from input to output carries the input's sensitivity index for
that output. Indices of different models are not multiplied along the path: the
models are non-linear, so what flows into a node need not equal what flows out
(seed 004, §3.4). Negative indices (a correlated share can be negative) cannot be drawn
as a flow and are left out, as are flows below ``min_flow``.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..analysis.uq.study import CELL_INPUTS
from ..platform.errors import MissingDependencyError
from .style import DOMAIN_COLOURS as COLORS
from .style import unit_label

COLUMNS = {"formulation": 0, "raw-material": 0, "process": 0, "structural": 1,
           "battery-model": 2, "performance": 3}
"""Column of each catalog domain, left to right."""


def study_figure(study):
    """The Sankey of a study: the structural parameters that feed the cell model and the
    performance they drive (seed 004, Fig. 10)."""
    s = study.sensitivity
    cell_inputs = set(CELL_INPUTS) | set(s.loc[s["stage"] == "structure-performance", "input"])  # e.g. both lines'
    keep = ((s["stage"] == "structure-performance")
            | ((s["stage"] == "process-structure") & s["output"].isin(cell_inputs)))
    catalog = study.scenario.catalog
    names = set(s["input"]) | set(s["output"])
    return figure(links(s[keep]), {n: catalog[n].domain for n in names if n in catalog},
                  units={n: catalog[n].unit for n in names if n in catalog},
                  title=f"{study.scenario.name}: ANCOVA indices S, process -> structure -> performance")


def links(indices: pd.DataFrame, *, index: str = "S", min_flow: float = 0.01) -> pd.DataFrame:
    """The flows ``source -> target: value`` from a long sensitivity table.

    ``indices`` has columns ``output``, ``input`` and ``index`` (as in
    ``sensitivity.csv``); rows whose value is below ``min_flow`` are dropped.
    """
    table = indices.rename(columns={"input": "source", "output": "target", index: "value"})
    table = table[table["value"] >= min_flow]
    return table[["source", "target", "value"]].reset_index(drop=True)


def figure(flows: pd.DataFrame, domains: Mapping[str, str], *, title: str = "", units: Mapping[str, str] | None = None):
    """A plotly Sankey figure of ``flows`` with nodes coloured and labelled by domain."""
    try:
        import plotly.graph_objects as go
    except ImportError as err:  # pragma: no cover - plotly is a core dependency
        raise MissingDependencyError("the Sankey diagram needs plotly: pip install plotly") from err
    units = units or {}
    names = _nodes(flows, domains)
    pos = {n: i for i, n in enumerate(names)}
    domain = [domains.get(n, "process") for n in names]
    label = [f"{n} [{unit_label(units[n])}]" if units.get(n) not in (None, "", "1") else n for n in names]
    link_color = [_rgba(COLORS.get(domains.get(s, "process"), "#999999"), 0.35) for s in flows["source"]]
    trace = go.Sankey(
        arrangement="snap", valueformat=".2f",
        node=dict(label=label, color=[COLORS.get(d, "#999999") for d in domain], pad=14, thickness=16,
                  customdata=domain, hovertemplate="%{label}<br>%{customdata}<extra></extra>"),
        link=dict(source=[pos[s] for s in flows["source"]], target=[pos[t] for t in flows["target"]],
                  value=list(flows["value"]), color=link_color,
                  hovertemplate="%{source.label} -> %{target.label}: S = %{value:.3f}<extra></extra>"))
    fig = go.Figure(trace)
    legend = "   ".join(f"<span style='color:{COLORS[d]}'>■</span> {d}" for d in COLORS if d in domain)
    fig.add_annotation(text=legend, x=0, y=-0.06, xref="paper", yref="paper", showarrow=False,
                       xanchor="left", font=dict(size=12))
    fig.update_layout(title=title or None, font=dict(size=13), width=1000, height=580,
                      margin=dict(l=20, r=20, t=50 if title else 20, b=40))
    return fig


def save(fig, directory: str | Path, stem: str = "sankey") -> dict[str, Path]:
    """Write ``<stem>.html`` (interactive, plotly.js inlined, works offline) and ``<stem>.png``.

    The PNG is rendered by kaleido in a headless Chrome/Chromium (found on ``PATH`` or
    through ``BROWSER_PATH``); without one it is drawn with matplotlib from the same
    flows, and ``paths["png_renderer"]`` says which was used.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    html, png = directory / f"{stem}.html", directory / f"{stem}.png"
    fig.write_html(html, include_plotlyjs=True, full_html=True)
    try:
        fig.write_image(png, scale=2)
        renderer = "kaleido"
    except Exception:  # no browser for kaleido: draw the same flows with matplotlib
        draw_png(fig, png)
        renderer = "matplotlib"
    return {"html": html, "png": png, "png_renderer": renderer}


def draw_png(fig, path: str | Path) -> Path:
    """Static drawing of a plotly Sankey figure with matplotlib (same nodes, flows, colours)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MPath

    t = fig.data[0]
    labels, colors = list(t.node.label), list(t.node.color)
    src, tgt, val = list(t.link.source), list(t.link.target), list(t.link.value)
    n = len(labels)
    size = [max(sum(v for s, v in zip(src, val, strict=True) if s == i),
                sum(v for d, v in zip(tgt, val, strict=True) if d == i)) for i in range(n)]
    col = _depths(n, src, tgt)
    ncol = max(col) + 1
    gap = 0.04
    scale = min((1 - gap * (sum(c == k for c in col) - 1)) / max(sum(size[i] for i in range(n) if col[i] == k), 1e-12)
                for k in range(ncol))
    y0, y = [0.0] * n, {k: 1.0 for k in range(ncol)}
    for i in range(n):  # stack nodes top-down within their column
        y0[i] = y[col[i]] - size[i] * scale
        y[col[i]] = y0[i] - gap
    x = [c / max(ncol - 1, 1) for c in col]
    w = 0.015
    # Bands leave a node in the vertical order of their targets and enter in that of
    # their sources, as plotly does, so they do not cross at the nodes.
    top = {i: y0[i] + size[i] * scale for i in range(n)}
    edges = list(zip(src, tgt, val, strict=False))
    start, end = {}, {}
    for i in range(n):
        off = 0.0
        for e in sorted((e for e in edges if e[0] == i), key=lambda e: -y0[e[1]]):
            start[e], off = top[i] - off, off + e[2] * scale
        off = 0.0
        for e in sorted((e for e in edges if e[1] == i), key=lambda e: -y0[e[0]]):
            end[e], off = top[i] - off, off + e[2] * scale
    fig_m, ax = plt.subplots(figsize=(10, 5.6))
    for e in edges:
        s, d, v = e
        h, ys, yd = v * scale, start[e], end[e]
        xs, xd = x[s] + w, x[d]
        xm = (xs + xd) / 2
        verts = [(xs, ys), (xm, ys), (xm, yd), (xd, yd), (xd, yd - h), (xm, yd - h), (xm, ys - h), (xs, ys - h),
                 (xs, ys)]
        codes = [MPath.MOVETO, MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.LINETO,
                 MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.CLOSEPOLY]
        ax.add_patch(PathPatch(MPath(verts, codes), facecolor=colors[s], alpha=0.35, lw=0))
    for i in range(n):
        ax.add_patch(Rectangle((x[i], y0[i]), w, size[i] * scale, color=colors[i]))
        right = col[i] == ncol - 1
        ax.text(x[i] - 0.005 if right else x[i] + w + 0.005, y0[i] + size[i] * scale / 2, labels[i],
                ha="right" if right else "left", va="center", fontsize=9)
    domains = list(dict.fromkeys(t.node.customdata))
    ax.legend(handles=[Rectangle((0, 0), 1, 1, color=COLORS.get(d, "#999999")) for d in domains], labels=domains,
              loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(domains), frameon=False, fontsize=9)
    ax.set_xlim(-0.02, 1.05)
    ax.set_ylim(min(y0) - 0.02, 1.02)
    ax.axis("off")
    if fig.layout.title.text:
        ax.set_title(fig.layout.title.text)
    fig_m.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig_m)
    return Path(path)


def _nodes(flows: pd.DataFrame, domains: Mapping[str, str]) -> list[str]:
    """Node names ordered by domain column, then by first appearance."""
    seen = list(dict.fromkeys(list(flows["source"]) + list(flows["target"])))
    return sorted(seen, key=lambda n: COLUMNS.get(domains.get(n, "process"), 0))


def _depths(n: int, src: list[int], tgt: list[int]) -> list[int]:
    """Column of each node: sources at 0, every other node one right of its furthest parent."""
    depth = [0] * n
    for _ in range(n):
        for s, d in zip(src, tgt, strict=False):
            depth[d] = max(depth[d], depth[s] + 1)
    sinks = {d for d in tgt} - {s for s in src}
    last = max(depth) if depth else 0
    return [last if i in sinks else depth[i] for i in range(n)]


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[k:k + 2], 16) for k in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
