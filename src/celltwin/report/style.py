"""One colour per catalog domain (and for containers), shared by every figure."""
from __future__ import annotations

DOMAIN_COLOURS = {"formulation": "#4c72b0", "raw-material": "#8172b3", "process": "#55a868",
                  "structural": "#dd8452", "battery-model": "#937860", "performance": "#c44e52",
                  "container": "#f2e394", "unknown": "#d9d9d9"}
