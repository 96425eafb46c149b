"""One colour per catalog domain (and for containers), shared by every figure."""
from __future__ import annotations

DOMAIN_COLOURS = {"formulation": "#4c72b0", "raw-material": "#8172b3", "process": "#55a868",
                  "structural": "#dd8452", "battery-model": "#937860", "performance": "#c44e52",
                  "container": "#f2e394", "unknown": "#d9d9d9"}

SPEC_COLOUR = "#c0392b"
"""Spec limits (LSL/USL) on every figure."""


def unit_label(unit: str) -> str:
    """A catalog unit as engineers write it: ``mA*h/cm^2`` -> ``mAh/cm²``, ``1`` -> ``1``.

    pint's pretty format (``~P``) was considered: it reorders factors (``h·mA/cm²``), which no
    data sheet writes.
    """
    text = str(unit).strip()
    if text in ("", "dimensionless"):
        return "1"
    if text[:1] == "u" and text[1:2] in ("m", "s", "A", "V", "g"):  # um, us, uA: micro
        text = "µ" + text[1:]
    for a, b in (("mA*h", "mAh"), ("W*h", "Wh"), ("A*h", "Ah"), ("^2", "²"), ("^3", "³"), ("*", "·")):
        text = text.replace(a, b)
    return text
