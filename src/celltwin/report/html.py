"""One self-contained HTML page per study, readable without celltwin at hand.

Figures are embedded (PNG/SVG as data URIs, the Sankey as an interactive plotly div
with plotly.js inlined), so the page opens offline and can be mailed as one file.
"""
from __future__ import annotations

import base64
import html
import io
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..platform.errors import MissingDependencyError

if TYPE_CHECKING:
    from ..analysis.uq.study import Study

KEY_STRUCTURAL = ("m_dry", "rho_cal", "eps_cal", "h_cal", "X_AM", "rho_dry")
KEY_PERFORMANCE = ("capacity", "energy_density", "specific_capacity", "mean_voltage")

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left}th{background:#f4f4f4}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.92em}.warn{color:#a33;font-weight:bold}.ok{color:#262}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em}
.card b{font-size:1.4em;display:block}pre{background:#f7f7f7;padding:.8em;overflow:auto;font-size:.85em}
img{max-width:100%}
.box{border-radius:6px;padding:.6em 1em;margin:1em 0}.warnbox{background:#fff4e5;border:1px solid #f0b45b}
.box.ok{background:#eef7ee;border:1px solid #9c9}
"""


def write_report(study: Study, path: str | Path, *, sankey_figure=None) -> Path:
    """Write ``report.html`` for a study."""
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError as err:  # pragma: no cover - matplotlib is a core dependency
        raise MissingDependencyError("the report needs matplotlib: pip install matplotlib") from err
    sc = study.scenario
    if sankey_figure is None:
        from .sankey import study_figure
        sankey_figure = study_figure(study)
    fig = sankey_figure
    parts = [f"<h1>Study: {_e(sc.name)}</h1>",
             f"<p class='note'>{_e(sc.description)}</p>",
             _warnings(study), _headline(study), _findings(study),
             "<h2>1. Scenario</h2>", _scenario(study),
             "<h2>2. Nominal chain</h2>", _nominal(study),
             "<h2>3. Process chain graph</h2>", _chain_graph(study),
             "<h2>4. Distributions (Monte Carlo)</h2>", _distributions(study),
             "<h2>5. Correlation of the cell-model inputs (seed 004, eq. 17)</h2>", _correlation(study),
             "<h2>6. Sensitivity indices</h2>", _indices(study),
             "<h2>7. Sankey diagram of the sensitivities</h2>",
             "<p class='note'>Flows are ANCOVA indices S of each stage; they are not multiplied along "
             "paths (the models are non-linear), so what flows into a node need not equal what flows "
             "out. Negative and tiny (&lt; 0.01) indices are not drawn. Hover for values.</p>",
             fig.to_html(full_html=False, include_plotlyjs=True),
             "<h2>8. Discharge curve (nominal cell)</h2>", _discharge(study), _rates(study),
             "<h2>9. Run manifest</h2>", f"<pre>{_e(json.dumps(study.manifest(), indent=1, default=str))}</pre>"]
    page = ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>celltwin study: {_e(sc.name)}</title><style>{CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>")
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path


# -- sections -------------------------------------------------------------------------
def _warnings(study: Study) -> str:
    """The validity limits met on the way, first thing on the page (they qualify every number below)."""
    if not study.warnings:
        return "<div class='box ok'>No validity limit was met: no extrapolation, no rejected sample.</div>"
    items = "".join(f"<li><b>{_e(w['kind'])}</b>: {_e(w['message'])}</li>" for w in study.warnings)
    return f"<div class='box warnbox'><b>Validity limits ({len(study.warnings)})</b><ul>{items}</ul></div>"



def _headline(study: Study) -> str:
    cards = []
    for name in KEY_PERFORMANCE[:2] + ("m_dry", "rho_cal"):
        if name in study.statistics.index:
            row = study.statistics.loc[name]
            unit = study.scenario.catalog[name].unit
            cards.append(f"<div class='card'>{_e(name)}<b>{row['mean']:.4g} ± {row['std']:.2g}</b>{_e(unit)} "
                         f"(mean ± std)</div>")
    rej = study.monte_carlo.rejections
    rejected = "".join(f"<li>{_e(k)}: {v}</li>" for k, v in rej.items())
    return (f"<div class='cards'>{''.join(cards)}</div>"
            f"<p>{study.n_valid} valid of {len(study.samples)} Monte Carlo samples, seed {study.seed}."
            + (f" Rejected samples, by reason:<ul>{rejected}</ul>" if rejected else "") + "</p>")


def _findings(study: Study) -> str:
    """The answer in words: which inputs drive each output's spread (largest ANCOVA S first)."""
    items = []
    for stage, outputs in (("structure-performance", KEY_PERFORMANCE), ("process-structure", ("m_dry", "rho_cal"))):
        table = study.indices(stage)
        for output in [o for o in outputs if o in table.index.get_level_values("output")]:
            S = table.loc[output, "S"].dropna().sort_values(ascending=False)
            top = [f"<b>{_e(name)}</b> ({value:.2f})" for name, value in S.items() if value >= 0.05][:3]
            if top:
                items.append(f"<li>The spread of <b>{_e(output)}</b> comes from {', '.join(top)}.</li>")
    note = ("<p class='note'>Numbers are ANCOVA indices S: the share of the output's variance due to the "
            "input, its correlations with the other inputs included (S = S<sup>U</sup> + S<sup>C</sup>). "
            "Reducing the spread of an input with a large S reduces the output's spread most. They hold for "
            "these nominal values and spreads only.</p>")
    return f"<h3>Main drivers of the spread</h3><ul>{''.join(items)}</ul>{note}" if items else ""


def _scenario(study: Study) -> str:
    sc = study.scenario
    rows = []
    for name, u in sc.uncertain.items():
        spread = f"std {u.std:.4g}" if u.std is not None else f"[{u.low:.4g}, {u.high:.4g}]"
        rows.append([name, u.distribution, f"{u.value:.6g}", spread, sc.catalog[name].unit, sc.catalog[name].domain])
    table = _html_table(pd.DataFrame(rows, columns=["parameter", "distribution", "nominal", "spread", "unit",
                                                    "domain"]))
    steps = " → ".join(sc.chain_steps + ([sc.cell] if sc.cell else []))
    corrections = "".join(
        f"<p>Bias correction in <b>{_e(name)}</b>: "
        + ", ".join(f"{_e(k)} = {v:.6g}" for k, v in info.items()) + "</p>"
        for name, info in study.corrections.items())
    return (f"<p>Chain: <b>{_e(steps)}</b>; current density {sc.current_density:g} mA/cm². "
            f"Uncertain inputs:</p>{table}{corrections}"
            f"<details><summary>Scenario as resolved (scenario.toml)</summary><pre>{_e(sc.to_toml())}</pre></details>")


def _nominal(study: Study) -> str:
    cat = study.scenario.catalog
    rows = [[k, f"{v:.6g}", cat[k].unit, cat[k].domain, cat[k].description]
            for k, v in study.nominal.items() if k in cat]
    return _html_table(pd.DataFrame(rows, columns=["parameter", "value", "unit", "domain", "description"]))


def _chain_graph(study: Study) -> str:
    from .chain_graph import draw

    with tempfile.TemporaryDirectory() as tmp:
        path = draw(study.scenario.build_chain(), Path(tmp) / "chain.svg", title=f"{study.scenario.name}: chain")
        svg = path.read_bytes()
    return f"<img alt='process chain graph' src='data:image/svg+xml;base64,{base64.b64encode(svg).decode()}'>"


def _distributions(study: Study) -> str:
    import matplotlib.pyplot as plt

    stats = study.statistics
    cat = study.scenario.catalog
    names = [n for n in KEY_STRUCTURAL + KEY_PERFORMANCE if n in stats.index]
    valid = study.samples[study.samples["valid"]]
    cols = 4
    rows = max(1, -(-len(names) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(12, 2.6 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        ax.hist(valid[name].dropna(), bins=40, color="#4c72b0" if cat[name].domain != "performance" else "#c44e52")
        ax.axvline(stats.loc[name, "mean"], color="k", lw=1)
        ax.set_title(f"{name} [{cat[name].unit}]", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.tight_layout()
    table = stats.copy()
    table.insert(0, "unit", [cat[n].unit for n in table.index])
    table.insert(3, "rel. std %", 100 * table["std"] / table["mean"].abs())
    return (_png(fig) + "<p class='note'>Summary over the valid samples (quantiles q01 … q99 in %):</p>"
            + _html_table(table.reset_index(), digits=5))


def _correlation(study: Study) -> str:
    corr = study.correlation
    cells = "".join(f"<th>{_e(c)}</th>" for c in corr.columns)
    body = ""
    for name, row in corr.iterrows():
        tds = "".join(f"<td class='n' style='background:{_shade(v)}'>{v:.3f}</td>" for v in row)
        body += f"<tr><th>{_e(name)}</th>{tds}</tr>"
    return (f"<table><tr><th></th>{cells}</tr>{body}</table><p class='note'>Pearson correlation over the "
            "valid Monte Carlo samples. The cell-model stage of the sensitivity analysis takes these "
            "correlations into account (normal copula fitted to the samples).</p>")


def _indices(study: Study) -> str:
    out = []
    a = study.indices("process-structure")
    if len(a):
        pivot = a["S"].unstack("output")
        q2 = a["Q2"].groupby(level="output").first()
        pivot.loc["Q² (LOO)"] = q2
        out.append("<h3>Process → structure (nested chain, independent inputs: S = S<sup>U</sup>)</h3>"
                   "<p class='note'>Rows: uncertain inputs; columns: structural parameters; entries: "
                   "ANCOVA index S.</p>"
                   + _html_table(pivot.reset_index().rename(columns={"input": ""}), digits=3, fixed=True))
    b = study.indices("structure-performance")
    if len(b):
        out.append("<h3>Structure → performance (cell model, correlated inputs)</h3>"
                   "<p class='note'>S<sup>U</sup>: the input's own (uncorrelated) share; S<sup>C</sup>: the share it "
                   "carries through its correlation with the other inputs (may be negative). The PCE surrogate "
                   "was fitted to the Monte Carlo runs of the cell model; Q² is its leave-one-out accuracy.</p>")
        for output in b.index.get_level_values("output").unique():
            t = b.loc[output, ["S", "S_U", "S_C"]].copy()
            t.loc["Σ"] = t.sum()
            v = study.validation[output]
            flag = ("<span class='ok'>ok</span>" if v["ok"] else
                    "<span class='warn'>below 0.95: indices unreliable</span>")
            out.append(f"<h4>{_e(output)}</h4>" + _html_table(t.reset_index(), digits=3, fixed=True)
                       + f"<p class='note'>PCE degree {v['degree']} ({v['basis_size']} terms) on {v['n_train']} "
                         f"samples, leave-one-out Q² = {v['Q2']:.4f} {flag}</p>")
        out.append(_pce_validation(study))
    bad = [k for k, v in study.validation.items() if not v["ok"]]
    if bad:
        out.append(f"<p class='warn'>Surrogates with Q² below 0.95: {', '.join(map(_e, bad))}.</p>")
    return "\n".join(out)


def _pce_validation(study: Study) -> str:
    """Leave-one-out PCE predictions against the cell model (cf. seed 004, Figure 9)."""
    import matplotlib.pyplot as plt
    import openturns as ot

    if not study.surrogates:
        return ""
    fig, axes = plt.subplots(1, len(study.surrogates), figsize=(4.2 * len(study.surrogates), 4), squeeze=False)
    for ax, (name, s) in zip(axes.flat, study.surrogates.items(), strict=False):
        val = ot.FunctionalChaosValidation(s.result)
        y = np.asarray(val.getOutputSample())[:, 0]
        yhat = np.asarray(val.getMetamodelPredictions())[:, 0]
        ax.scatter(y, yhat, s=6, alpha=0.6)
        lo, hi = min(y.min(), yhat.min()), max(y.max(), yhat.max())
        ax.plot([lo, hi], [lo, hi], "k-", lw=0.8)
        unit = study.scenario.catalog[name].unit
        ax.set_xlabel(f"cell model {name} [{unit}]")
        ax.set_ylabel("PCE, leave-one-out")
        ax.set_title(f"{name}: Q² = {s.q2:.4f}", fontsize=10)
    fig.tight_layout()
    return "<h4>PCE validation (leave-one-out predictions vs the cell model)</h4>" + _png(fig)


def _discharge(study: Study) -> str:
    import matplotlib.pyplot as plt

    curve = study.discharge
    if curve is None:
        reason = "the scenario has no cell model" if not study.scenario.cell else \
            "the cell model offers no discharge curve"
        return f"<p class='note'>No discharge curve: {reason}.</p>"
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(curve["capacity"], curve["voltage"])
    ax.set_xlabel("capacity [mAh/cm²]")
    ax.set_ylabel("voltage [V]")
    ax.set_title(f"nominal cathode at {study.scenario.current_density:g} mA/cm²", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def _rates(study: Study) -> str:
    """The structure -> performance indices against the discharge rate (``[study] current_densities``)."""
    table = study.rates
    if table is None or not len(table):
        return ""
    import matplotlib.pyplot as plt

    outputs = list(dict.fromkeys(table["output"]))
    fig, axes = plt.subplots(1, len(outputs), figsize=(4.6 * len(outputs), 3.6), squeeze=False)
    for ax, output in zip(axes[0], outputs, strict=True):
        part = table[table["output"] == output]
        for name, rows in part.groupby("input", sort=False):
            ax.plot(rows["c_rate"], rows["S"], "o-", label=str(name))
        ax.set_xlabel("C-rate (1/h)")
        ax.set_ylabel(f"ANCOVA index S of {output} (1)")
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    pivot = table.pivot_table(index=["output", "input"], columns="current_density", values="S").reset_index()
    pivot.columns = [c if isinstance(c, str) else f"S at {c:g} mA/cm²" for c in pivot.columns]
    return ("<h2>Sensitivity against the discharge rate</h2><p class='note'>The same Monte Carlo structures "
            "discharged at each current density; the PCE and ANCOVA of the cell stage refitted per rate.</p>"
            + _png(fig) + _html_table(pivot, digits=3, fixed=True))


# -- helpers --------------------------------------------------------------------------
def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return f"<img alt='figure' src='data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}'>"


def _html_table(df: pd.DataFrame, digits: int = 6, fixed: bool = False) -> str:
    """Numbers right-aligned (``digits`` significant, or decimals if ``fixed``), text left."""
    def cell(v):
        if isinstance(v, (float, np.floating, int, np.integer)) and not isinstance(v, bool):
            if fixed and np.isfinite(v) and round(float(v), digits) == 0:
                v = 0.0  # no "-0.000"
            text = "–" if not np.isfinite(v) else (f"{v:.{digits}f}" if fixed else f"{v:.{digits}g}")
            return f"<td class='n'>{text}</td>"
        return f"<td>{_e(str(v))}</td>"

    head = "".join(f"<th>{_e(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in df.itertuples(index=False))
    return f"<table><tr>{head}</tr>{body}</table>"


def _shade(v: float) -> str:
    a = min(abs(float(v)), 1.0) * 0.6
    return f"rgba(196,78,82,{a:.2f})" if v > 0 else f"rgba(76,114,176,{a:.2f})"


def _e(text: str) -> str:
    return html.escape(str(text))
