"""The JSON API for other tools on the line, served beside the page by the same Flask server.

``POST /api/whatif`` with ``{"scenario": NAME, "set": {NAME: VALUE}}`` (values in catalog units;
optional ``"samples"`` up to :data:`~celltwin.app.workbench.MAX_SAMPLES` and ``"seed"``) returns
the nominal value of every parameter (the exact chain and cell model, as ``celltwin chain NAME
--set NAME=VALUE`` prints them), their units, and the yield against the scenario's ``[specs]``
with its confidence interval and the method that estimated it. ``GET /api/scenarios`` lists the
names. A refused request answers 400 with ``{"error": MESSAGE, "parameter", "value", "unit",
"valid"}``: the catalog's message, as the command line gives it.
"""
from __future__ import annotations

import math
from typing import Any

from ..platform.errors import CelltwinError, ParameterError
from ..platform.scenario import builtin_scenarios
from .registry import Registry
from .workbench import MAX_SAMPLES, capped

REQUEST_KEYS = ("scenario", "set", "samples", "seed")


def _plain(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def error_body(exc: CelltwinError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": str(exc)}
    for key in ("parameter", "value", "unit", "valid"):
        v = getattr(exc, key, None)
        body[key] = v if v is None or isinstance(v, str | int | float | bool) else str(v)
    return body


def whatif(registry: Registry, request: Any) -> dict[str, Any]:
    """The answer to one ``/api/whatif`` request body (already decoded JSON, untrusted)."""
    if not isinstance(request, dict):
        raise ParameterError('the request body must be a JSON object {"scenario": NAME, "set": {NAME: VALUE}}')
    extra = [str(k)[:40] for k in request if k not in REQUEST_KEYS]
    if extra:
        raise ParameterError(f"unknown request key(s) {', '.join(extra)}; keys: {', '.join(REQUEST_KEYS)}",
                             parameter=extra[0])
    wb = registry.by_name(request.get("scenario"))
    sets = request.get("set") or {}
    if not isinstance(sets, dict):
        raise ParameterError('"set" must be an object {NAME: VALUE} (catalog units)', parameter="set")
    samples = capped("samples", request.get("samples"), wb.samples, MAX_SAMPLES)
    seed = capped("seed", request.get("seed"), wb.seed, 2**31 - 1, 0)
    with wb.lock:
        edits = wb.edit(values=sets)
        if edits.errors:
            (_, name), message = next(iter(edits.errors.items()))
            entry = wb.base.catalog[name]
            raise ParameterError(message, parameter=name, value=sets.get(name), unit=entry.unit,
                                 valid=entry.range_text)
        sc = wb.scenario(edits)
        result = wb.whatif(sc, samples=samples, seed=seed)
    units = {k: sc.catalog[k].unit for k in result.nominal}
    return {"scenario": sc.name, "set": edits.values, "nominal": {k: _plain(v) for k, v in result.nominal.items()},
            "units": units, "yield": result.yield_summary(), "samples": samples, "seed": seed,
            "seconds": round(result.seconds, 4)}


def register(server: Any, registry: Registry) -> None:
    """Add the API routes to the Flask ``server``."""
    from flask import jsonify, request

    @server.post("/api/whatif")
    def api_whatif():
        body = request.get_json(silent=True)
        if body is None:
            return jsonify({"error": "the request body must be JSON (Content-Type: application/json)"}), 400
        try:
            return jsonify(whatif(registry, body))
        except CelltwinError as exc:
            return jsonify(error_body(exc)), 400

    @server.get("/api/scenarios")
    def api_scenarios():
        return jsonify(builtin_scenarios())
