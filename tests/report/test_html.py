"""The study report (report.html): sections, embedded figures, and the page rendered in a real
headless browser."""
from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

import celltwin as ct
from celltwin.analysis.uq.study import run_study
from celltwin.report import sankey
from celltwin.report.html import write_report

HEADINGS = ("1. Scenario", "2. Nominal chain", "3. Process chain graph", "4. Distributions",
            "5. Correlation", "6. Sensitivity indices", "7. Sankey diagram", "8. Discharge curve", "9. Run manifest")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(scope="module")
def chain_only_study():
    """A small study without the cell model (no structure -> performance stage, no discharge curve)."""
    sc = ct.Scenario.load("reference-cathode")
    sc.cell = None
    return run_study(sc, samples=40, seed=1)


def test_report_has_every_section_and_works_offline(chain_only_study, tmp_path):
    path = write_report(chain_only_study, tmp_path / "report.html")
    html = path.read_text()
    for heading in HEADINGS:
        assert heading in html, heading
    assert "<script src=" not in html and "plotly.js v" in html  # plotly.js inlined: opens offline
    assert "data:image/png;base64," in html  # figures embedded
    assert "data:image/svg+xml;base64," in html  # the chain graph as SVG
    assert "No discharge curve: the scenario has no cell model." in html
    assert "Bias correction in <b>drying</b>" in html
    assert "40 valid of 40 Monte Carlo samples, seed 1." in html


def test_report_takes_a_given_sankey_figure(chain_only_study, tmp_path):
    fig = sankey.study_figure(chain_only_study)
    fig.update_layout(title="a title only this figure has")
    html = write_report(chain_only_study, tmp_path / "r.html", sankey_figure=fig).read_text()
    assert "a title only this figure has" in html


@pytest.fixture(scope="module")
def study():
    return run_study("reference-cathode", samples=120, seed=7)


@pytest.fixture(scope="module")
def folder(study, tmp_path_factory):
    return study.save(tmp_path_factory.mktemp("study") / "reference-cathode")


@pytest.mark.skipif(CHROMIUM is None, reason="needs a headless Chromium (Debian: apt-get install chromium)")
def test_report_and_sankey_render_in_headless_chromium(rendered_dom, study, folder):
    trace = sankey.study_figure(study).data[0]
    labels = [label.split(" [")[0] for label in trace.node.label]
    assert {"x_solids", "w_AM", "m_dry", "rho_cal", "capacity", "energy_density"} <= set(labels)
    for page in ("sankey.html", "report.html"):  # the report embeds the same interactive Sankey
        dom = rendered_dom(folder / page)
        assert len(re.findall(r'class="sankey-node"', dom)) == len(labels), page
        assert len(re.findall(r'class="sankey-link"', dom)) == len(trace.link.value), page


def test_tables_never_show_a_negative_zero():
    from celltwin.report.html import _html_table

    html = _html_table(pd.DataFrame({"input": ["a", "b"], "S": [-0.0001, 0.5]}), digits=3, fixed=True)
    assert "-0.000" not in html and ">0.000<" in html and ">0.500<" in html


def test_the_rate_section_plots_and_tabulates_the_indices(chain_only_study):
    """With [study] current_densities the report shows S against the C-rate, one column per rate."""
    from dataclasses import replace

    from celltwin.report.html import _rates

    assert _rates(chain_only_study) == ""  # no rate study: no section
    rates = pd.DataFrame({"current_density": [1.0, 1.0, 5.0, 5.0], "c_rate": [0.47, 0.47, 2.4, 2.4],
                          "output": ["capacity"] * 4, "input": ["m_dry", "rho_cal"] * 2,
                          "S": [0.84, -0.0001, 0.84, 0.0]})
    html = _rates(replace(chain_only_study, rates=rates))
    assert "Sensitivity against the discharge rate" in html and "data:image/png;base64," in html
    assert "S at 1 mA/cm²" in html and "S at 5 mA/cm²" in html and "-0.000" not in html
