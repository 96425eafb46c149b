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

HEADINGS = ("1. Yield and capability against the specs", "2. Main drivers", "3. Scenario", "4. Nominal chain",
            "5. Process chain graph", "6. Distributions", "7. Correlation", "8. Sensitivity indices",
            "9. Sankey diagram", "10. Discharge curve", "11. Run manifest")
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
    dom = rendered_dom(folder / "report.html")  # the engineer's sections survive the browser's parse
    for anchor in ('id="warnings"', 'id="specs"', 'id="tornado"', 'id="histograms"', 'id="convergence"',
                   'id="discharge-band"', 'id="manifest"'):
        assert anchor in dom, anchor


def test_numbers_are_formatted_for_reading():
    """Significant digits, no negative zero, percentages and engineers' units."""
    from celltwin.report.html import fixed, num, pct, plus_minus
    from celltwin.report.style import unit_label

    assert fixed(-0.0001, 3) == "0.000" and fixed(0.5, 3) == "0.500" and fixed(-0.25, 2) == "-0.25"
    assert num(-0.0) == "0" and num(-1e-20) == "-1e-20" and num(float("nan")) == "–"
    assert num(14.729000000000001, 5) == "14.729"  # a spec limit as the TOML round trip leaves it
    assert pct(0.6083) == "60.8 %" and pct(-0.0001) == "0.0 %"
    assert plus_minus(14.3251, 0.3861) == "14.33 ± 0.39" and plus_minus(1570.21, 40.4) == "1570 ± 40"
    assert unit_label("mA*h/cm^2") == "mAh/cm²" and unit_label("g/cm^3") == "g/cm³" and unit_label("1") == "1"


def test_the_rate_section_plots_and_tabulates_the_indices(chain_only_study, tmp_path):
    """With [study] current_densities the report shows S against the C-rate, one column per rate."""
    from dataclasses import replace

    from celltwin.report.html import _rates

    assert _rates(chain_only_study) is None  # no rate study: no section
    rates = pd.DataFrame({"current_density": [1.0, 1.0, 5.0, 5.0], "c_rate": [0.47, 0.47, 2.4, 2.4],
                          "output": ["capacity"] * 4, "input": ["m_dry", "rho_cal"] * 2,
                          "S": [0.84, -0.0001, 0.84, 0.0]})
    html = write_report(replace(chain_only_study, rates=rates), tmp_path / "r.html").read_text()
    assert "Sensitivity against the discharge rate" in html and "indices against the C-rate" in html
    assert "S at 1 mA/cm²" in html and "S at 5 mA/cm²" in html and "-0.000" not in html


def test_the_engineers_sections(study, folder):
    """Warnings box first, yield/scrap/Cpk per spec with intervals, spec lines, tornado with intervals,
    convergence in N, the discharge band, and the manifest collapsed at the end."""
    from celltwin.analysis.uq.specs import as_specs, yield_of
    from celltwin.report.html import pct

    html = (folder / "report.html").read_text()
    assert html.index('id="warnings"') < html.index('<h2 id="specs">') < html.index('<h2 id="manifest">')
    assert "anchor</b>: the drying container is anchored" in html  # the reference's drying anchor
    # the yield of the scenario's [specs] (m_dry +- 3 %, rho_cal +- 2 %), as specs.yield_of computes it
    specs = as_specs(dict(study.scenario.specs), study.scenario.catalog)
    res = yield_of(study.samples, specs, method="clopper-pearson", catalog=study.scenario.catalog)
    assert f"{pct(res.p_in)}</td>" in html and f"{pct(res.ci[0])} – {pct(res.ci[1])}" in html
    assert "Clopper-Pearson" in html and "Bissell (1990)" in html and "Cpk" in html
    assert "Red dashed lines: spec limits (LSL, USL) of m_dry: m_dry = 14.3 ± 0.429 (3 %)" in html
    assert 'id="tornado"' in html and "bootstrap confidence intervals (50 replicates" in html
    assert 'id="convergence"' in html and "S CI" in html
    assert 'id="discharge-band"' in html and "5 % to 95 % quantiles of the capacity" in html
    assert study.discharge_band is not None and study.band_curves == 100
    tail = html[html.index('<h2 id="manifest">'):]
    assert "<details><summary>Run manifest" in tail and "&#34;seed&#34;: 7" in tail  # JSON, HTML-escaped
    visible = re.sub(r"<pre>.*?</pre>", "", html, flags=re.S)  # the scenario.toml and manifest dumps are verbatim
    assert "-0.000" not in visible and "14.729000000000001" not in visible and "14.729" in visible


def test_bootstrap_intervals_of_the_study_hold_the_indices(study):
    """The study's index intervals: one row per shown (stage, output, input), centred on sensitivity.csv's S."""
    ci = study.index_intervals
    merged = ci.merge(study.sensitivity, on=["stage", "output", "input"], suffixes=("", "_csv"))
    assert len(merged) == len(ci) > 0
    assert ((merged["S_low"] <= merged["S"]) & (merged["S"] <= merged["S_high"])).all()
    assert (merged["S"] == merged["S_csv"]).all()
    assert {"capacity", "energy_density", "m_dry", "rho_cal"} <= set(ci["output"])
    conv = study.index_convergence
    # 120 runs halved three times; 15 < 4 (d + 1) = 20 rows is too few for a PCE in d = 4 inputs
    assert sorted(set(conv[conv["stage"] == "structure-performance"]["n"])) == [30, 60, 120]
