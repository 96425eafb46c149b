"""Drawing a process chain: containers and the parameters that flow between them."""
from __future__ import annotations

from pathlib import Path

import networkx as nx

from ..platform.chain import ProcessChain
from .style import DOMAIN_COLOURS


def layout(chain: ProcessChain) -> dict[str, tuple[float, float]]:
    """Left-to-right layers in topological order: containers and their outputs line up."""
    g = chain.graph
    for layer, nodes in enumerate(nx.topological_generations(g)):
        for n in nodes:
            g.nodes[n]["layer"] = layer
    return _lines_apart(chain, nx.multipartite_layout(g, subset_key="layer", align="vertical", scale=1.0))


def _lines_apart(chain: ProcessChain, pos: dict) -> dict:
    """In a chain of several lines, every line in a horizontal band of its own (the first on top)
    and the steps where the lines meet in a band between them; each column keeps its order."""
    lines = list(chain.catalog.lines)
    if not lines:
        return pos
    groups = [lines[0], "", *lines[1:]]  # the shared nodes ("" line) between the first and the others
    height = 2.0 / len(groups)
    columns: dict[tuple[float, str], list[str]] = {}
    for n, (x, _) in pos.items():
        columns.setdefault((round(float(x), 9), chain.graph.nodes[n].get("line", "")), []).append(n)
    out = {}
    for (_, line), nodes in columns.items():
        top = 1.0 - groups.index(line) * height
        nodes = sorted(nodes, key=lambda n: -pos[n][1])
        for k, n in enumerate(nodes):
            out[n] = (pos[n][0], top - height * (k + 0.5) / len(nodes))
    return out


def _colour(chain: ProcessChain, node: str) -> str:
    data = chain.graph.nodes[node]
    return DOMAIN_COLOURS["container" if data["kind"] == "container" else data.get("domain", "unknown")]


def draw(chain: ProcessChain, path: str | Path, title: str = "") -> Path:
    """Write the chain graph to PNG, SVG (matplotlib) or HTML (plotly), by file suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg", ".html"):
        raise ValueError(f"graph file {str(path)!r}: suffix must be .png, .svg or .html")
    path.parent.mkdir(parents=True, exist_ok=True)
    pos = layout(chain)
    g = chain.graph
    if suffix == ".html":
        return _draw_html(chain, pos, path, title)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Sized for a report page (about 14 in wide shown at ~1100 px): labels stay >= 10 pt there.
    # Parameter names sit below their dots on a white ground, container names inside their boxes.
    tallest = max(sum(1 for _, d in g.nodes(data=True) if d["layer"] == k)
                  for k in {d["layer"] for _, d in g.nodes(data=True)})
    fig, ax = plt.subplots(figsize=(14, max(6.5, 0.62 * tallest)))
    containers = [n for n in g if g.nodes[n]["kind"] == "container"]
    params = [n for n in g if g.nodes[n]["kind"] != "container"]
    nx.draw_networkx_edges(g, pos, ax=ax, arrows=True, arrowsize=9, edge_color="#b0b0b0", width=0.7,
                           node_size=700)
    nx.draw_networkx_nodes(g, pos, nodelist=params, node_color=[_colour(chain, n) for n in params],
                           node_size=140, ax=ax)
    nx.draw_networkx_nodes(g, pos, nodelist=containers, node_color=DOMAIN_COLOURS["container"],
                           node_shape="s", node_size=3300, edgecolors="#333333", ax=ax)
    below = {n: (x, y - 0.035) for n, (x, y) in pos.items() if n in params}
    nx.draw_networkx_labels(g, below, labels={n: n for n in params}, font_size=10, ax=ax,
                            bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8),
                            verticalalignment="top")
    nx.draw_networkx_labels(g, pos, labels={n: n for n in containers}, font_size=10, font_weight="bold", ax=ax)
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=d) for d, c in DOMAIN_COLOURS.items()
               if d != "unknown"]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles), fontsize=10,
              frameon=False)
    ax.set_title(title or "process chain", fontsize=13)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=150 if suffix == ".png" else None)
    plt.close(fig)
    return path


def _draw_html(chain: ProcessChain, pos, path: Path, title: str) -> Path:
    import plotly.graph_objects as go

    g = chain.graph
    ex, ey = [], []
    for a, b in g.edges:
        ex += [pos[a][0], pos[b][0], None]
        ey += [pos[a][1], pos[b][1], None]
    nodes = list(g.nodes)
    text = [f"{n} [{g.nodes[n].get('unit', '')}]" if g.nodes[n]["kind"] != "container" else n for n in nodes]
    fig = go.Figure([
        go.Scatter(x=ex, y=ey, mode="lines", line=dict(color="#aaaaaa", width=1), hoverinfo="skip"),
        go.Scatter(x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes], mode="markers+text",
                   text=nodes, hovertext=text, hoverinfo="text", textposition="top center",
                   marker=dict(size=[22 if g.nodes[n]["kind"] == "container" else 12 for n in nodes],
                               symbol=["square" if g.nodes[n]["kind"] == "container" else "circle" for n in nodes],
                               color=[_colour(chain, n) for n in nodes], line=dict(width=1, color="#333"))),
    ])
    fig.update_layout(title=title or "process chain", showlegend=False, xaxis_visible=False,
                      yaxis_visible=False, plot_bgcolor="white", height=700)
    fig.write_html(path, include_plotlyjs=True, full_html=True)
    return path
