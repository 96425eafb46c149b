"""The page's figures: spec limits and nominal drawn on the KPI histograms, the drivers' indices."""
import math

import numpy as np


def test_kpi_histograms_carry_spec_limits_and_nominal(wb):
    from celltwin.app.figures import BINS, kpi_figure

    result = wb.whatif(wb.base, samples=2000)
    fig = kpi_figure(result)
    names = [c for c in result.samples.columns if c != "valid"]
    assert len(fig.data) == len(names)
    valid = result.samples["valid"].to_numpy(bool)
    for trace, name in zip(fig.data, names, strict=True):
        assert len(trace.y) == BINS and sum(trace.y) == np.isfinite(result.samples[name][valid]).sum()
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    low, high = wb.base.specs["rho_cal"]
    xs = sorted(s.x0 for s in lines)
    for v in (low, high, result.nominal["rho_cal"], result.nominal["capacity"]):
        assert any(math.isclose(x, v, rel_tol=1e-12) for x in xs)
    titles = [a.text for a in fig.layout.annotations]
    assert "rho_cal (g/cm^3)" in titles and "capacity (mA*h/cm^2) · surrogate" in titles


def test_drivers_heatmap_shows_the_indices(wb):
    from celltwin.app.figures import drivers_figure

    d = wb.drivers(wb.base, samples=300)
    fig = drivers_figure(d)
    heat = fig.data[0]
    S = d.indices["S"].unstack("output")
    j = [x.split("<br>")[0] for x in heat.x].index("eps_cal")
    i = list(heat.y).index("q_L")
    assert heat.z[i][j] == S.loc["q_L", "eps_cal"]
    assert all("Q² " in x for x in heat.x)
    assert not any(t == "-0.00" for row in heat.text for t in row)
