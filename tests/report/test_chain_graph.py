"""The chain graph: layered layout, PNG/SVG/HTML by suffix, domain colours from the shared style."""
from __future__ import annotations

import pytest

import celltwin as ct
from celltwin.report import chain_graph
from celltwin.report.style import DOMAIN_COLOURS


@pytest.fixture(scope="module")
def chain():
    return ct.Scenario.load("reference-cathode").build_chain(with_cell=False)


def test_layout_places_every_node_left_to_right(chain):
    pos = chain_graph.layout(chain)
    assert set(pos) == set(chain.graph.nodes)
    # a container's outputs lie right of it, its inputs left of it
    x = {n: p[0] for n, p in pos.items()}
    assert x["V_dot"] < x["coating"] < x["m_dry"]
    assert x["m_dry"] < x["calendering"] < x["rho_cal"]


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".html", b"<html")])
def test_draw_writes_the_format_of_its_suffix(chain, tmp_path, suffix, magic):
    path = chain_graph.draw(chain, tmp_path / "sub" / f"chain{suffix}", title="t")
    assert path.exists() and magic in path.read_bytes()[:200]


def test_colours_come_from_the_domain_map(chain):
    assert chain_graph._colour(chain, "coating") == DOMAIN_COLOURS["container"]
    assert chain_graph._colour(chain, "m_dry") == DOMAIN_COLOURS[chain.catalog["m_dry"].domain]


def test_unknown_suffix_is_refused(chain, tmp_path):
    with pytest.raises(ValueError, match="suffix must be .png, .svg or .html"):
        chain_graph.draw(chain, tmp_path / "chain.pdf")
