"""The sensitivity Sankey: flows from the index table, HTML checked in a real headless browser."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest

import celltwin as ct
from celltwin.report import sankey, style

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
    assert ("w_CA" not in set(flows["source"]))
    assert ("rho_cal", "capacity") not in set(zip(flows.source, flows.target, strict=True))


def test_figure_orders_nodes_by_domain_and_keeps_values():
    fig = sankey.figure(sankey.links(INDICES), DOMAINS, units={"m_dry": "mg/cm^2", "w_AM": "1"})
    t = fig.data[0]
    labels = list(t.node.label)
    assert labels[:3] == ["w_AM", "x_solids", "q_L"]
    assert "m_dry [mg/cm²]" in labels and labels[-2:] == ["capacity", "energy_density"]
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


def test_one_colour_map_for_every_figure():
    assert sankey.COLORS is style.DOMAIN_COLOURS
    assert {"formulation", "process", "structural", "performance", "container"} <= set(style.DOMAIN_COLOURS)
    fig = sankey.figure(sankey.links(INDICES), DOMAINS)
    colours = dict(zip(fig.data[0].node.label, fig.data[0].node.color, strict=True))
    assert colours["w_AM"] == style.DOMAIN_COLOURS["formulation"]
    assert colours["capacity"] == style.DOMAIN_COLOURS["performance"]


def test_study_figure_draws_the_cell_inputs_and_what_they_drive():
    """sankey.study_figure(study) (was Study.sankey_figure): the structure -> performance stage and the
    process -> structure rows of the cell-model inputs only, with catalog domains and units."""
    stage_a = [("process-structure", o, i, s) for o, i, s in ROWS if o in ("m_dry", "rho_cal")]
    stage_a.append(("process-structure", "h_cal", "q_L", 0.9))  # not a cell-model input: not drawn
    stage_b = [("structure-performance", o, i, s) for o, i, s in ROWS if o in ("capacity", "energy_density")]
    sensitivity = pd.DataFrame(stage_a + stage_b, columns=["stage", "output", "input", "S"])
    study = SimpleNamespace(sensitivity=sensitivity, scenario=ct.Scenario.load("reference-cathode"))
    t = sankey.study_figure(study).data[0]
    labels = [label.split(" [")[0] for label in t.node.label]
    assert "h_cal" not in labels
    assert {"w_AM", "x_solids", "q_L", "m_dry", "rho_cal", "capacity", "energy_density"} == set(labels)
    assert "m_dry [mg/cm²]" in t.node.label
    assert len(t.link.value) == 9  # as links(INDICES): w_CA's and the negative flow dropped
