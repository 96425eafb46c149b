"""The sensitivity Sankey: flows from the index table, HTML checked in a real headless browser."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from celltwin.analysis import sankey

DOMAINS = {"w_AM": "formulation", "x_solids": "formulation", "w_CA": "formulation", "q_L": "process",
           "m_dry": "structural", "rho_cal": "structural", "capacity": "performance",
           "energy_density": "performance"}
ROWS = [("m_dry", "w_AM", 0.3), ("m_dry", "x_solids", 0.6), ("rho_cal", "w_AM", 0.7), ("rho_cal", "q_L", 0.02),
        ("rho_cal", "x_solids", 0.2), ("capacity", "m_dry", 0.75), ("capacity", "w_AM", 0.25),
        ("energy_density", "w_AM", 0.76), ("energy_density", "rho_cal", 0.24),
        ("energy_density", "w_CA", 0.004), ("capacity", "rho_cal", -0.02)]
INDICES = pd.DataFrame(ROWS, columns=["output", "input", "S"])


def test_links_drop_small_and_negative_flows():
    flows = sankey.links(INDICES, min_flow=0.01)
    assert len(flows) == 9
    assert flows["value"].min() >= 0.01
    assert ("w_CA" not in set(flows["source"])) and ("rho_cal", "capacity") not in set(zip(flows.source, flows.target))


def test_figure_orders_nodes_by_domain_and_keeps_values():
    fig = sankey.figure(sankey.links(INDICES), DOMAINS, units={"m_dry": "mg/cm^2", "w_AM": "1"})
    t = fig.data[0]
    labels = list(t.node.label)
    assert labels[:3] == ["w_AM", "x_solids", "q_L"]
    assert "m_dry [mg/cm^2]" in labels and labels[-2:] == ["capacity", "energy_density"]
    assert sum(t.link.value) == pytest.approx(0.3 + 0.6 + 0.7 + 0.02 + 0.2 + 0.75 + 0.25 + 0.76 + 0.24)


def test_without_a_browser_the_png_is_drawn_with_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))  # kaleido cannot start
    paths = sankey.save(sankey.figure(sankey.links(INDICES), DOMAINS, title="t"), tmp_path)
    assert paths["png_renderer"] == "matplotlib"
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["html"].stat().st_size > 1_000_000  # plotly.js inlined


def test_html_renders_in_headless_chromium(tmp_path, rendered_dom):
    paths = sankey.save(sankey.figure(sankey.links(INDICES), DOMAINS), tmp_path)
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["png_renderer"] == "kaleido"  # a browser is present, so kaleido can use it
    html = paths["html"].read_text()
    assert "<script src=" not in html and "plotly.js v" in html  # plotly.js inlined: works offline
    dom = rendered_dom(paths["html"])
    assert len(re.findall(r'class="sankey-node"', dom)) == 7   # w_CA's flow was below min_flow
    assert len(re.findall(r'class="sankey-link"', dom)) == 9
    for name in ("w_AM", "m_dry", "rho_cal", "capacity", "energy_density"):
        assert re.search(rf">{name}<", dom), name
