"""One self-contained HTML page per study, readable without celltwin at hand.

The page is a jinja2 template (``templates/report.html.j2``) filled from a context that this
module computes from the :class:`~celltwin.analysis.uq.study.Study`: numbers formatted here
(significant digits, units, no "-0.000"), figures embedded (PNG/SVG as data URIs, the Sankey
as an interactive plotly div with plotly.js inlined), so the page opens offline and can be
mailed as one file. The statistics themselves come from the analysis floor (yield and
capability: :mod:`celltwin.analysis.uq.specs`; index intervals: :mod:`~celltwin.analysis.uq.sensitivity`).
"""
from __future__ import annotations

import base64
import io
import json
import math
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ..analysis.uq.specs import CAPABILITY_METHOD, as_specs, yield_of
from ..platform.errors import MissingDependencyError
from .style import DOMAIN_COLOURS, SPEC_COLOUR, unit_label

if TYPE_CHECKING:
    from ..analysis.uq.study import Study

KEY_STRUCTURAL = ("m_dry", "rho_cal", "eps_cal", "h_cal", "X_AM", "rho_dry")
KEY_PERFORMANCE = ("capacity", "energy_density", "specific_capacity", "mean_voltage")
CONFIDENCE = 0.95
YIELD_METHOD = "clopper-pearson"


# -- number formats (also the template's filters) --------------------------------------
def num(value: Any, digits: int = 4) -> str:
    """``digits`` significant digits; "0" for a zero of either sign, "–" for a missing value."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    text = f"{x:.{digits}g}"
    return "0" if float(text) == 0 else text


def fixed(value: Any, decimals: int = 3) -> str:
    """``decimals`` decimals, without a negative zero ("-0.000" reads as a finding)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return num(x)
    return f"{0.0 if round(x, decimals) == 0 else x:.{decimals}f}"


def pct(value: Any, decimals: int = 1) -> str:
    """A fraction as a percentage."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "–" if not math.isfinite(x) else f"{fixed(100 * x, decimals)} %"


def plus_minus(mean: float, std: float) -> str:
    """``mean ± std`` with std to two significant digits and the mean to the same decimal."""
    if not (math.isfinite(mean) and math.isfinite(std)) or std <= 0:
        return f"{num(mean, 5)} ± {num(std, 2)}"
    decimals = max(0, 1 - math.floor(math.log10(std)))
    return f"{fixed(mean, decimals)} ± {fixed(std, decimals)}"


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("celltwin.report", "templates"),
                      autoescape=select_autoescape(("html", "j2")), trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=num, fixed=fixed, pct=pct, unit=unit_label)
    return env


# -- the page ----------------------------------------------------------------------------
def write_report(study: Study, path: str | Path, *, sankey_figure=None) -> Path:
    """Write ``report.html`` for a study."""
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError as err:  # pragma: no cover - matplotlib is a core dependency
        raise MissingDependencyError("the report needs matplotlib: pip install matplotlib") from err
    if sankey_figure is None:
        from .sankey import study_figure
        sankey_figure = study_figure(study)
    page = _environment().get_template("report.html.j2").render(**context(study, sankey_figure))
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path


def context(study: Study, sankey_figure) -> dict[str, Any]:
    """Everything the template shows, formatted: one entry per section."""
    sc = study.scenario
    return {"name": sc.name, "description": sc.description, "warnings": study.warnings,
            "cards": _cards(study), "n_valid": study.n_valid, "n": len(study.samples), "seed": study.seed,
            "rejections": study.monte_carlo.rejections, "specs": _specs(study), "drivers": _drivers(study),
            "tornado": _tornado(study), "scenario": _scenario(study), "nominal": _nominal(study),
            "chain_graph": _chain_graph(study), "distributions": _distributions(study),
            "correlation": _correlation(study), "indices": _indices(study),
            "sankey": Markup(sankey_figure.to_html(full_html=False, include_plotlyjs=True)),
            "discharge": _discharge(study), "rates": _rates(study),
            "manifest": json.dumps(study.manifest(), indent=1, default=str)}


# -- sections ----------------------------------------------------------------------------
def _unit(study: Study, name: str) -> str:
    return study.scenario.catalog[name].unit if name in study.scenario.catalog else ""


def _cards(study: Study) -> list[dict[str, str]]:
    cards = []
    for name in KEY_PERFORMANCE[:2] + ("m_dry", "rho_cal"):
        if name in study.statistics.index:
            row = study.statistics.loc[name]
            cards.append({"name": name, "value": plus_minus(row["mean"], row["std"]),
                          "unit": unit_label(_unit(study, name)), "note": "mean ± std"})
    return cards


def _spec_objects(study: Study):
    return as_specs(dict(study.scenario.specs), study.scenario.catalog)


def _specs(study: Study) -> dict[str, Any] | None:
    """Yield, scrap and capability per spec of the scenario's ``[specs]``, and of all specs at once."""
    specs = _spec_objects(study)
    if not specs:
        return None
    present = [s for s in specs if s.name in study.samples]
    missing = [s.name for s in specs if s.name not in study.samples]
    if not present:
        return {"rows": [], "missing": missing, "joint": None}
    res = yield_of(study.samples, present, confidence=CONFIDENCE, method=YIELD_METHOD,
                   catalog=study.scenario.catalog)
    rows = []
    for s, (_, r) in zip(present, res.per_spec.iterrows(), strict=True):
        window = (f"{num(s.low, 5)} … {num(s.high, 5)}" if math.isfinite(s.low) and math.isfinite(s.high) else
                  f"≥ {num(s.low, 5)}" if math.isfinite(s.low) else f"≤ {num(s.high, 5)}")
        rows.append({"name": s.name, "spec": s.text, "window": window, "unit": unit_label(r["unit"]),
                     "mean_std": plus_minus(r["mean"], r["std"]),
                     "yield": pct(r["fraction_in"]), "yield_ci": f"{pct(r['ci_low'])} – {pct(r['ci_high'])}",
                     "scrap": pct(1 - r["fraction_in"]),
                     "scrap_ci": f"{pct(1 - r['ci_high'])} – {pct(1 - r['ci_low'])}",
                     "cp": num(r["Cp"], 3), "cp_ci": f"{num(r['Cp_low'], 3)} – {num(r['Cp_high'], 3)}",
                     "cpk": num(r["Cpk"], 3), "cpk_ci": f"{num(r['Cpk_low'], 3)} – {num(r['Cpk_high'], 3)}",
                     "capable": bool(r["Cpk_low"] >= 1.33) if math.isfinite(r["Cpk_low"]) else False})
    joint = {"yield": pct(res.p_in), "yield_ci": f"{pct(res.ci[0])} – {pct(res.ci[1])}", "scrap": pct(res.scrap),
             "scrap_ci": f"{pct(res.scrap_ci[0])} – {pct(res.scrap_ci[1])}", "n": res.n, "n_in": res.n_in,
             "rejected": res.n_invalid}
    return {"rows": rows, "missing": missing, "joint": joint, "confidence": pct(CONFIDENCE, 0),
            "yield_method": "Clopper-Pearson (exact binomial, scipy.stats.binomtest)",
            "capability_method": CAPABILITY_METHOD}


def _drivers(study: Study) -> list[dict[str, Any]]:
    """The answer in words: which inputs drive each output's spread (largest ANCOVA S first)."""
    items = []
    for stage, outputs in (("structure-performance", KEY_PERFORMANCE), ("process-structure", ("m_dry", "rho_cal"))):
        table = study.indices(stage)
        for output in [o for o in outputs if o in table.index.get_level_values("output")]:
            S = table.loc[output, "S"].dropna().sort_values(ascending=False)
            top = [(name, fixed(value, 2)) for name, value in S.items() if value >= 0.05][:3]
            if top:
                items.append({"output": output, "top": top})
    return items


def _interval_table(study: Study) -> pd.DataFrame:
    """Every index with its bootstrap interval where the study has one (NaN otherwise)."""
    s = study.sensitivity[["stage", "output", "input", "S"]]
    if study.index_intervals is None or not len(study.index_intervals):
        return s.assign(S_low=np.nan, S_high=np.nan)
    ci = study.index_intervals[["stage", "output", "input", "S_low", "S_high"]]
    return s.merge(ci, on=["stage", "output", "input"], how="left")


def _tornado_outputs(study: Study) -> list[tuple[str, str]]:
    """(stage, output) pairs of the tornado chart: those with intervals, performance first."""
    if study.index_intervals is not None and len(study.index_intervals):
        pairs = list(dict.fromkeys(zip(study.index_intervals["stage"], study.index_intervals["output"], strict=True)))
    else:
        pairs = [(st, o) for st, o in dict.fromkeys(zip(study.sensitivity["stage"], study.sensitivity["output"],
                                                        strict=True)) if o in KEY_PERFORMANCE + ("m_dry", "rho_cal")]
    return sorted(pairs, key=lambda p: p[0] != "structure-performance")


def _tornado(study: Study) -> dict[str, Any] | None:
    """Bars of the ANCOVA index S per output, largest on top, with their bootstrap intervals."""
    import matplotlib.pyplot as plt

    pairs = _tornado_outputs(study)
    if not pairs:
        return None
    table = _interval_table(study)
    cols = 2 if len(pairs) > 1 else 1
    rows = -(-len(pairs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 2.9 * rows), squeeze=False)
    hidden = 0
    for ax, (stage, output) in zip(axes.flat, pairs, strict=False):
        part = table[(table["stage"] == stage) & (table["output"] == output)].dropna(subset=["S"])
        shown = part[part["S"].abs() >= 0.005].sort_values("S")
        hidden += len(part) - len(shown)
        colour = DOMAIN_COLOURS["performance" if stage == "structure-performance" else "structural"]
        err = np.vstack([(shown["S"] - shown["S_low"]).clip(lower=0).fillna(0),
                         (shown["S_high"] - shown["S"]).clip(lower=0).fillna(0)])
        ax.barh(shown["input"], shown["S"], xerr=err, color=colour, ecolor="#222222", capsize=3)
        for y, v in enumerate(shown["S"]):
            ax.text(max(v, 0) + 0.02, y, fixed(v, 3), va="center", fontsize=9)
        ax.set_xlim(min(0.0, float(shown["S"].min()) - 0.05) if len(shown) else 0.0, 1.12)
        ax.set_title(f"{output} [{unit_label(_unit(study, output))}]", fontsize=11)
        ax.set_xlabel("ANCOVA index S (share of the variance, 1)")
        ax.tick_params(labelsize=10)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(pairs):]:
        ax.axis("off")
    fig.tight_layout()
    has_ci = study.index_intervals is not None and len(study.index_intervals) > 0
    n_boot = int(study.index_intervals["n_boot"].iloc[0]) if has_ci else 0
    return {"png": _png(fig, "tornado chart of the sensitivity indices"), "hidden": hidden, "n_boot": n_boot,
            "confidence": pct(CONFIDENCE, 0)}


def _scenario(study: Study) -> dict[str, Any]:
    sc = study.scenario
    rows = []
    for name, u in sc.uncertain.items():
        spread = (f"std {num(u.std, 4)}" + (f" ({pct(u.std / abs(u.value), 2)})" if u.value else "")
                  if u.std is not None else f"{num(u.low, 5)} … {num(u.high, 5)}")
        rows.append([name, u.distribution, num(u.value, 6), spread, unit_label(sc.catalog[name].unit),
                     sc.catalog[name].domain])
    corrections = [{"container": name, "text": ", ".join(f"{k} = {num(v, 4)}" for k, v in info.items())}
                   for name, info in study.corrections.items()]
    return {"steps": " → ".join(sc.chain_steps + ([sc.cell] if sc.cell else [])),
            "current_density": num(sc.current_density), "rows": rows, "corrections": corrections,
            "toml": sc.to_toml()}


def _nominal(study: Study) -> list[list[str]]:
    cat = study.scenario.catalog
    return [[k, num(v, 5), unit_label(cat[k].unit), cat[k].domain, cat[k].description]
            for k, v in study.nominal.items() if k in cat]


def _chain_graph(study: Study) -> str:
    from .chain_graph import draw

    with tempfile.TemporaryDirectory() as tmp:
        path = draw(study.scenario.build_chain(), Path(tmp) / "chain.svg", title=f"{study.scenario.name}: chain")
        svg = path.read_bytes()
    return f"data:image/svg+xml;base64,{base64.b64encode(svg).decode()}"


def _distributions(study: Study) -> dict[str, Any]:
    """Histograms with spec limits, units and axis labels; the summary table of every varying column."""
    import matplotlib.pyplot as plt

    stats = study.statistics
    specs = {s.name: s for s in _spec_objects(study)}
    names = [n for n in dict.fromkeys(list(specs) + list(KEY_STRUCTURAL) + list(KEY_PERFORMANCE)) if n in stats.index]
    valid = study.samples[study.samples["valid"]]
    cols = 4
    rows = max(1, -(-len(names) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(13, 2.9 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        domain = study.scenario.catalog[name].domain
        ax.hist(valid[name].dropna(), bins=40, color=DOMAIN_COLOURS.get(domain, "#4c72b0"))
        ax.axvline(stats.loc[name, "mean"], color="k", lw=1)
        if name in specs:
            for limit, label in ((specs[name].low, "LSL"), (specs[name].high, "USL")):
                if math.isfinite(limit):
                    ax.axvline(limit, color=SPEC_COLOUR, lw=1.6, ls="--")
                    ax.annotate(label, (limit, 1), xycoords=("data", "axes fraction"), ha="center", va="bottom",
                                color=SPEC_COLOUR, fontsize=8)
        ax.set_xlabel(f"{name} [{unit_label(_unit(study, name))}]", fontsize=9)
        ax.set_ylabel("samples", fontsize=9)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.tight_layout()
    table = []
    for name, row in stats.iterrows():
        unit = row["unit"] if "unit" in stats.columns else _unit(study, name)
        rel = row["std"] / abs(row["mean"]) if row["mean"] else math.nan
        table.append([name, unit_label(unit), num(row["mean"], 5), num(row["std"], 3), pct(rel, 2),
                      *(num(row[q], 5) for q in ("q01", "q05", "q50", "q95", "q99"))])
    limits = [f"{n}: {specs[n].text}" for n in names if n in specs]
    return {"png": _png(fig, "histograms of the Monte Carlo outputs with spec limits"), "table": table,
            "limits": limits}


def _correlation(study: Study) -> dict[str, Any]:
    corr = study.correlation
    return {"columns": list(corr.columns),
            "rows": [(name, [(fixed(v, 3), _shade(v)) for v in row]) for name, row in corr.iterrows()]}


def _indices(study: Study) -> dict[str, Any]:
    out: dict[str, Any] = {"process": None, "cell": [], "convergence": _convergence(study),
                           "pce": _pce_validation(study),
                           "unreliable": [k for k, v in study.validation.items() if not v["ok"]]}
    a = study.indices("process-structure")
    if len(a):
        pivot = a["S"].unstack("input")
        inputs = list(dict.fromkeys(a.index.get_level_values("input")))
        q2 = a["Q2"].groupby(level="output").first()
        out["process"] = {"inputs": inputs,
                          "rows": [[o, unit_label(_unit(study, o)), *(fixed(pivot.loc[o, i], 3) for i in inputs),
                                    fixed(q2[o], 4)] for o in dict.fromkeys(a.index.get_level_values("output"))]}
    b = study.indices("structure-performance")
    intervals = _interval_table(study).set_index(["stage", "output", "input"])
    for output in dict.fromkeys(b.index.get_level_values("output")):
        t = b.loc[output]
        rows = []
        for name, r in t.iterrows():
            key = ("structure-performance", output, name)
            lo, hi = (intervals.loc[key, "S_low"], intervals.loc[key, "S_high"]) if key in intervals.index else \
                (math.nan, math.nan)
            rows.append([name, fixed(r["S"], 3), f"{fixed(lo, 3)} – {fixed(hi, 3)}" if math.isfinite(lo) else "–",
                         fixed(r["S_U"], 3), fixed(r["S_C"], 3)])
        rows.append(["Σ", fixed(t["S"].sum(), 3), "", fixed(t["S_U"].sum(), 3), fixed(t["S_C"].sum(), 3)])
        v = study.validation[output]
        out["cell"].append({"output": output, "unit": unit_label(_unit(study, output)), "rows": rows,
                            "degree": v["degree"], "basis": v["basis_size"], "n_train": v["n_train"],
                            "q2": fixed(v["Q2"], 4), "ok": v["ok"]})
    if study.index_intervals is not None and len(study.index_intervals):
        ps = study.index_intervals[study.index_intervals["stage"] == "process-structure"]
        out["process_intervals"] = [[o, i, fixed(r["S"], 3), f"{fixed(r['S_low'], 3)} – {fixed(r['S_high'], 3)}"]
                                    for (o, i), r in ps.set_index(["output", "input"]).iterrows()
                                    if abs(r["S"]) >= 0.005]
        out["n_boot"] = int(study.index_intervals["n_boot"].iloc[0])
    return out


def _convergence(study: Study) -> str | None:
    """The indices refitted on growing subsamples: flat lines mean N is large enough."""
    import matplotlib.pyplot as plt

    table = study.index_convergence
    if table is None or not len(table):
        return None
    pairs = list(dict.fromkeys(zip(table["stage"], table["output"], strict=True)))
    pairs.sort(key=lambda p: p[0] != "structure-performance")
    cols = 2 if len(pairs) > 1 else 1
    rows = -(-len(pairs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 2.9 * rows), squeeze=False)
    for ax, (stage, output) in zip(axes.flat, pairs, strict=False):
        part = table[(table["stage"] == stage) & (table["output"] == output)]
        full = part[part["n"] == part["n"].max()].set_index("input")["S"]
        for name in full[full.abs() >= 0.01].sort_values(ascending=False).index:
            rows_ = part[part["input"] == name]
            ax.plot(rows_["n"], rows_["S"], "o-", label=name)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(set(part["n"])), [str(n) for n in sorted(set(part["n"]))])
        ax.minorticks_off()
        ax.set_title(f"{output} [{unit_label(_unit(study, output))}]", fontsize=11)
        ax.set_xlabel("model runs N (first N of the sample)")
        ax.set_ylabel("ANCOVA index S (1)")
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="center right")
    for ax in list(axes.flat)[len(pairs):]:
        ax.axis("off")
    fig.tight_layout()
    return _png(fig, "convergence of the sensitivity indices in N")


def _pce_validation(study: Study) -> str | None:
    """Leave-one-out PCE predictions against the cell model (cf. seed 004, Figure 9)."""
    import matplotlib.pyplot as plt
    import openturns as ot

    if not study.surrogates:
        return None
    fig, axes = plt.subplots(1, len(study.surrogates), figsize=(4.2 * len(study.surrogates), 4), squeeze=False)
    for ax, (name, s) in zip(axes.flat, study.surrogates.items(), strict=False):
        val = ot.FunctionalChaosValidation(s.result)
        y = np.asarray(val.getOutputSample())[:, 0]
        yhat = np.asarray(val.getMetamodelPredictions())[:, 0]
        ax.scatter(y, yhat, s=6, alpha=0.6)
        lo, hi = min(y.min(), yhat.min()), max(y.max(), yhat.max())
        ax.plot([lo, hi], [lo, hi], "k-", lw=0.8)
        unit = unit_label(_unit(study, name))
        ax.set_xlabel(f"cell model {name} [{unit}]")
        ax.set_ylabel(f"PCE, leave-one-out [{unit}]")
        ax.set_title(f"{name}: Q² = {fixed(s.q2, 4)}", fontsize=10)
    fig.tight_layout()
    return _png(fig, "PCE validation")


def _discharge(study: Study) -> dict[str, Any]:
    """The nominal discharge curve and the 5-95 % band of the Monte Carlo cells around it."""
    import matplotlib.pyplot as plt

    curve = study.discharge
    if curve is None:
        reason = "the scenario has no cell model" if not study.scenario.cell else \
            "the cell model offers no discharge curve"
        return {"png": None, "reason": reason}
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    band = study.discharge_band
    if band is not None:
        ax.fill_betweenx(band["voltage"], band["capacity_q05"], band["capacity_q95"], color="#c44e52", alpha=0.25,
                         lw=0, label=f"5–95 % of {study.band_curves} Monte Carlo cells")
        ax.plot(band["capacity_q50"], band["voltage"], color="#c44e52", lw=1, ls="--",
                label="median of the Monte Carlo cells")
    ax.plot(curve["capacity"], curve["voltage"], color="k", lw=1.6, label="nominal cathode")
    ax.set_xlabel(f"capacity [{unit_label('mA*h/cm^2')}]")
    ax.set_ylabel("voltage [V]")
    ax.set_title(f"discharge at {num(study.scenario.current_density)} mA/cm²", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="lower left")
    fig.tight_layout()
    end = None
    if band is not None:
        last = band.iloc[-1]
        end = {"voltage": num(last["voltage"], 3), "q05": num(last["capacity_q05"], 4),
               "q95": num(last["capacity_q95"], 4)}
    return {"png": _png(fig, "discharge curve with its 5-95 % band"), "band": band is not None,
            "curves": study.band_curves, "end": end}


def _rates(study: Study) -> dict[str, Any] | None:
    """The structure -> performance indices against the discharge rate (``[study] current_densities``)."""
    table = study.rates
    if table is None or not len(table):
        return None
    import matplotlib.pyplot as plt

    outputs = list(dict.fromkeys(table["output"]))
    fig, axes = plt.subplots(1, len(outputs), figsize=(4.6 * len(outputs), 3.6), squeeze=False)
    for ax, output in zip(axes[0], outputs, strict=True):
        part = table[table["output"] == output]
        for name, rows in part.groupby("input", sort=False):
            ax.plot(rows["c_rate"], rows["S"], "o-", label=str(name))
        ax.set_xlabel("C-rate [1/h]")
        ax.set_ylabel(f"ANCOVA index S of {output} (1)")
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    pivot = table.pivot_table(index=["output", "input"], columns="current_density", values="S")
    return {"png": _png(fig, "indices against the C-rate"),
            "columns": [f"S at {num(c)} mA/cm²" for c in pivot.columns],
            "rows": [[o, i, *(fixed(v, 3) for v in r)] for (o, i), r in pivot.iterrows()]}


# -- helpers -----------------------------------------------------------------------------
def _png(fig, alt: str) -> dict[str, str]:
    """A matplotlib figure as an embedded PNG (closed after)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return {"src": f"data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}", "alt": alt}


def _shade(v: float) -> str:
    a = min(abs(float(v)), 1.0) * 0.6
    return f"rgba(196,78,82,{a:.2f})" if v > 0 else f"rgba(76,114,176,{a:.2f})"
