"""One colour per catalog domain, shared by every figure (the Sankey and the chain graph)."""
from __future__ import annotations

import re

from celltwin.platform.catalog import DOMAINS
from celltwin.report import chain_graph, sankey
from celltwin.report.style import DOMAIN_COLOURS


def test_every_domain_and_the_containers_have_one_distinct_colour():
    assert set(DOMAINS) | {"container", "unknown"} == set(DOMAIN_COLOURS)
    assert len(set(DOMAIN_COLOURS.values())) == len(DOMAIN_COLOURS)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in DOMAIN_COLOURS.values())


def test_the_figures_use_the_shared_map():
    assert sankey.COLORS is DOMAIN_COLOURS and chain_graph.DOMAIN_COLOURS is DOMAIN_COLOURS
