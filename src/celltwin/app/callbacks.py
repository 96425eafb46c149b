"""The page's callbacks. Every value a browser sends is untrusted: the scenario is looked up by
key (:class:`~celltwin.app.registry.Registry`), the edits are parsed again from the fields on
every callback (:meth:`~celltwin.app.workbench.Workbench.edit`), sizes are capped; an error ends
as its message on the page, never as a traceback."""
from __future__ import annotations

import base64
import binascii
import math
from pathlib import Path
from typing import Any

from ..platform.errors import CelltwinError
from . import figures, layout
from .jobs import MAX_EXACT, ExactRun
from .registry import Registry
from .workbench import capped


def _current(registry: Registry, key: Any, ids: list, values: list, spread_ids: list, spreads: list):
    """(workbench, edits, edited scenario) from the fields of the page."""
    wb = registry.get(key)
    names: list[Any] = [i.get("name") if isinstance(i, dict) else None for i in ids or []]
    spread_names: list[Any] = [i.get("name") if isinstance(i, dict) else None for i in spread_ids or []]
    edits = wb.edit(dict(zip(names, values or [], strict=False)), dict(zip(spread_names, spreads or [], strict=False)))
    return wb, edits, wb.scenario(edits)


def _pct(p: float) -> str:
    return f"{100 * p:.3g} %"


def register(app, registry: Registry, runs_store: str | Path | None = None) -> None:
    from dash import ALL, Input, Output, State, html, no_update
    from dash.exceptions import PreventUpdate

    job = ExactRun()
    fields = [State({"type": "nominal", "name": ALL}, "id"), State({"type": "nominal", "name": ALL}, "value"),
              State({"type": "spread", "name": ALL}, "id"), State({"type": "spread", "name": ALL}, "value")]

    @app.callback(Output("scenario-key", "options"), Output("scenario-key", "value"),
                  Output("load-status", "children", allow_duplicate=True),
                  Input("upload", "contents"), State("upload", "filename"), prevent_initial_call=True)
    def upload(contents, filename):
        if not isinstance(contents, str) or "," not in contents:
            raise PreventUpdate
        try:
            content = base64.b64decode(contents.split(",", 1)[1], validate=True)
            key = registry.upload(content, str(filename or "upload.toml"))
        except (binascii.Error, ValueError, CelltwinError) as exc:
            return no_update, no_update, f"upload refused: {exc}"
        return registry.options(), key, f"loaded {filename}"

    @app.callback(Output("settings", "children"), Output("chain-graph", "figure"),
                  Output("load-status", "children"), Output("target-name", "options"), Output("free", "options"),
                  Input("scenario-key", "value"))
    def load(key):
        try:
            wb = registry.get(key)
        except CelltwinError as exc:
            return html.P(str(exc), className="error"), no_update, f"error: {exc}", [], []
        sc = wb.base
        targets = [{"label": f"{n} ({sc.catalog[n].unit})", "value": n} for n in wb.chain.outputs
                   if sc.catalog[n].domain in ("structural", "performance")]
        free = [{"label": f"{s.name} ({s.unit})", "value": s.name} for s in wb.settings() if s.editable]
        status = f"{sc.name}: {sc.description or sc.source}"
        return (layout.settings_table(wb), figures.chain_figure(wb.chain, f"{sc.name}: process chain"), status,
                targets, free)

    @app.callback(Output({"type": "error", "name": ALL}, "children"),
                  Output({"type": "nominal", "name": ALL}, "className"),
                  Output({"type": "spread", "name": ALL}, "className"),
                  Output("nominal", "children"), Output("yield", "children"), Output("scrap", "children"),
                  Output("yield-method", "children"), Output("surrogate", "children"), Output("kpi-graph", "figure"),
                  Input({"type": "nominal", "name": ALL}, "value"), Input({"type": "spread", "name": ALL}, "value"),
                  State({"type": "nominal", "name": ALL}, "id"), State({"type": "spread", "name": ALL}, "id"),
                  State("scenario-key", "value"))
    def update(values, spreads, ids, spread_ids, key):
        if not ids:
            raise PreventUpdate
        try:
            wb, edits, sc = _current(registry, key, ids, values, spread_ids, spreads)
            with wb.lock:
                result = wb.whatif(sc)
        except CelltwinError as exc:
            n = len(ids)
            return ([str(exc)] + [""] * (n - 1), ["num"] * n, ["num"] * len(spread_ids), no_update, "",
                    "", "", "", no_update)
        names = [i["name"] for i in ids]
        messages = [" ".join(m for m in (edits.errors.get(("value", n)), edits.errors.get(("spread", n))) if m)
                    for n in names]
        value_class = ["num invalid" if ("value", n) in edits.errors else "num" for n in names]
        spread_class = ["num invalid" if ("spread", i["name"]) in edits.errors else "num" for i in spread_ids]
        y = result.yield_
        if y is None:
            yield_text, scrap_text = "no [specs] in this scenario: no yield", ""
        else:
            yield_text = f"yield {_pct(y.p_in)} [{_pct(y.ci[0])}, {_pct(y.ci[1])}]"
            scrap_text = f"scrap {_pct(y.scrap)}" + (f" ({_pct(y.n_invalid / y.n)} rejected by the chain)"
                                                     if y.n_invalid else "")
        s = result.surrogate
        surrogate = "" if s is None else (s.describe() + (" — refitted about these settings" if result.refitted
                                                          else "") + f"; update took {result.seconds * 1e3:.0f} ms")
        return (messages, value_class, spread_class, layout.nominal_table(wb, result.nominal, wb.kpis(sc)),
                yield_text, scrap_text, result.method, surrogate, figures.kpi_figure(result))

    @app.callback(Output("drivers-graph", "figure"), Input("kpi-graph", "figure"), State("scenario-key", "value"),
                  *fields, prevent_initial_call=True)
    def drivers(_, key, ids, values, spread_ids, spreads):
        try:
            wb, _edits, sc = _current(registry, key, ids, values, spread_ids, spreads)
            with wb.lock:
                return figures.drivers_figure(wb.drivers(sc))
        except CelltwinError:
            raise PreventUpdate from None

    @app.callback(Output("download", "data"), Output("load-status", "children", allow_duplicate=True),
                  Input("export", "n_clicks"), State("scenario-key", "value"), *fields, prevent_initial_call=True)
    def export(_, key, ids, values, spread_ids, spreads):
        try:
            wb, _edits, sc = _current(registry, key, ids, values, spread_ids, spreads)
        except CelltwinError as exc:
            return no_update, f"export refused: {exc}"
        return {"content": wb.to_toml(sc), "filename": f"{sc.name}-edited.toml"}, "exported the edited scenario"

    @app.callback(Output("inverse-result", "children"), Output("inverse-found", "data"), Output("apply", "disabled"),
                  Input("solve", "n_clicks"), State("target-name", "value"), State("target-value", "value"),
                  State("free", "value"), State("scenario-key", "value"), *fields, prevent_initial_call=True)
    def solve(_, target, value, free, key, ids, values, spread_ids, spreads):
        try:
            wb, _edits, sc = _current(registry, key, ids, values, spread_ids, spreads)
            if not isinstance(target, str):
                return html.P("choose a target output", className="error"), None, True
            with wb.lock:
                res = wb.inverse(sc, {target: value}, list(free or []))
        except CelltwinError as exc:
            return html.P(str(exc), className="error"), None, True
        return _inverse_table(res, sc, html), res.settings, not res.reachable

    @app.callback(Output({"type": "nominal", "name": ALL}, "value", allow_duplicate=True), Input("apply", "n_clicks"),
                  State("inverse-found", "data"), State({"type": "nominal", "name": ALL}, "id"),
                  State({"type": "nominal", "name": ALL}, "value"), prevent_initial_call=True)
    def apply(_, found, ids, values):
        """The settings found go into the fields, where the update checks them like any entry."""
        if not isinstance(found, dict):
            raise PreventUpdate
        return [format(found[i["name"]], ".10g") if isinstance(found.get(i["name"]), int | float) else v
                for i, v in zip(ids, values, strict=True)]

    @app.callback(Output("exact-result", "children", allow_duplicate=True), Input("exact-run", "n_clicks"),
                  State("exact-samples", "value"), State("scenario-key", "value"), *fields, prevent_initial_call=True)
    def exact(_, n, key, ids, values, spread_ids, spreads):
        try:
            wb, _edits, sc = _current(registry, key, ids, values, spread_ids, spreads)
            samples = capped("exact samples", n, 200, MAX_EXACT)
            with wb.lock:
                surrogate, _ = wb.surrogate(sc)
            job.start(sc, samples, wb.seed, wb.kpis(sc), surrogate)
        except CelltwinError as exc:
            return html.P(str(exc), className="error")
        return html.P(f"started: {samples} samples through the chain and the P2D cell", className="hint")

    @app.callback(Output("exact-progress", "value"), Output("exact-progress", "max"),
                  Output("exact-result", "children"), Input("poll", "n_intervals"), prevent_initial_call=True)
    def poll(_):
        st = job.poll()
        if st["status"] == "idle":
            raise PreventUpdate
        if st["status"] == "running":
            return str(st["done"]), str(st["total"]), html.P(
                f"running: {st['done']} of {st['total']} chunks of {st['samples']} samples", className="hint")
        if st["status"] == "error":
            return "0", "1", html.P(f"the exact run failed: {st['message']}", className="error")
        return "1", "1", _exact_table(st, html)

    @app.callback(Output("runs", "children"), Output("run-a", "options"), Output("run-b", "options"),
                  Input("runs-refresh", "n_clicks"))
    def runs(_):
        from ..store.runs import RunStore

        try:
            table = RunStore(runs_store).list(limit=50)
        except CelltwinError as exc:
            return html.P(str(exc), className="error"), [], []
        if table.empty:
            return html.P("no studies recorded yet (celltwin run ... records them)", className="hint"), [], []
        cols = ["run_id", "name", "started", "samples", "seed", "n_valid", "n_rejected", "wall_seconds"]
        options = [{"label": f"{r.run_id} {r.name}", "value": r.run_id} for r in table.itertuples()]
        return _frame_table(table[cols], html), options, options

    @app.callback(Output("runs-comparison", "children"), Input("runs-compare", "n_clicks"), State("run-a", "value"),
                  State("run-b", "value"), prevent_initial_call=True)
    def compare(_, a, b):
        from ..store.runs import RunStore

        if not (isinstance(a, str) and isinstance(b, str)):
            return html.P("choose two runs", className="error")
        try:
            cmp = RunStore(runs_store).compare(a[:64], b[:64])
        except CelltwinError as exc:
            return html.P(str(exc), className="error")
        return [html.H3("settings that differ"), _frame_table(cmp.inputs, html),
                html.H3("outputs (z: change of the mean over its Monte Carlo standard error)"),
                _frame_table(cmp.outputs, html)]


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}" if abs(v) >= 5e-7 or v == 0 else f"{v:.2e}"
    return str(v)


def _frame_table(frame, html):
    return html.Table([html.Tr([html.Th(c) for c in frame.columns])] +
                      [html.Tr([html.Td(_fmt(v)) for v in row]) for row in frame.itertuples(index=False)])


def _inverse_table(res, sc, html):
    table = res.table(sc.catalog)
    status = html.P(("reached: " if res.reachable else "not reached: ") + res.message,
                    className="hint" if res.reachable else "error", id="inverse-status")
    rows = [html.Tr([html.Th(h) for h in ("", "name", "start", "found", "target", "residual %", "unit", "note")])]
    for r in table.itertuples(index=False):
        rows.append(html.Tr([html.Td(r.kind), html.Td(r.name), html.Td(_fmt(r.start)),
                             html.Td(_fmt(r.value), id=f"inverse-{r.name}", className="num"), html.Td(_fmt(r.target)),
                             html.Td(_fmt(r._5)), html.Td(r.unit), html.Td(r.note)]))
    return [status, html.Table(rows)]


def _exact_table(st, html):
    rows = [html.Tr([html.Th(h) for h in ("KPI", "mean", "std", "surrogate max. rel. error")])]
    for k, v in st.get("stats", {}).items():
        err = st.get("surrogate_error", {}).get(k)
        rows.append(html.Tr([html.Td(k), html.Td(_fmt(v["mean"])), html.Td(_fmt(v["std"])),
                             html.Td("" if err is None else f"{err:.2e}")]))
    y = st.get("yield")
    text = f"exact run: {st['n_valid']} of {st['samples']} samples valid in {st.get('seconds') or 0:.1f} s"
    if y:
        text += f"; yield {_pct(y['yield'])} [{_pct(y['yield_low'])}, {_pct(y['yield_high'])}]"
    return [html.P(text, id="exact-summary"), html.Table(rows)]
