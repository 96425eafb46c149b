"""The resolved structure surrogate: algebraic fits of the 3D properties over the virtual DoE.

Each property y in (tau_e, kappa_s_eff, a_s) is fitted as ln y = f(ln eps_cal,
ln X_CBD, ln R_p) with the candidates of :func:`celltwin.metamodels.fitting.select`. In
logarithms the ``linear`` candidate is the Bruggeman/Archie power law with a CBD term,
y = c eps^a X_CBD^b R_p^d; ``quadratic``, ``pce`` (Legendre chaos) and ``kriging`` are
the richer forms; all are ranked by AICc on the same log outputs and scored on held-out
structures. ``data/structure_surrogate.json`` holds the selections, ``data/structure_doe.csv``
the design; :func:`refit_shipped` regenerates the JSON from the CSV. The pore-only
tortuosity ``tau_pore`` stays in the design for the record but is not fitted: with the
CBD in the necks the macro pores are near their percolation threshold (infinite in some
structures), and the P2D model's electrolyte uses the CBD nanopores too.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..metamodels.metamodel import Metamodel
from ..platform.errors import ParameterError
from .doe import FACTORS

#: the fitted properties
OUTPUTS = ("tau_e", "kappa_s_eff", "a_s")

DESIGN_CSV = "structure_doe.csv"
MODEL_JSON = "structure_surrogate.json"
#: log-space inputs of the fits, in the order of :data:`FACTORS`
LOG_INPUTS = [f"ln_{k}" for k in FACTORS]
#: the candidate forms: algebraic equations, as seed 004 (section 3.3) fits to its 3D results; kriging is left
#: out because it is not one (and OpenTURNS evaluates it at ~1e5 samples/s, too slow for the Monte Carlo)
ALGEBRAIC = ("linear", "exponential", "quadratic", "pce")


def data_path(name: str) -> Path:
    return Path(str(resources.files("celltwin.microstructure").joinpath("data", name)))


def log_frame(data: pd.DataFrame) -> pd.DataFrame:
    """The design in the fits' variables: ln of every factor and every output."""
    with np.errstate(divide="ignore"):
        return pd.DataFrame({**{f"ln_{k}": np.log(data[k]) for k in FACTORS},
                             **{f"ln_{k}": np.log(data[k]) for k in OUTPUTS if k in data}})


@dataclass
class StructureSurrogate:
    """tau_e, kappa_s_eff (S/m) and a_s (1/m) from eps_cal, X_CBD and R_p (µm)."""

    models: dict[str, Metamodel]
    extrapolation: str = "warn"

    @property
    def name(self) -> str:
        return "resolved (" + ", ".join(f"{k}: {m.kind}" for k, m in self.models.items()) + ")"

    def design_space(self) -> dict[str, tuple[float, float]]:
        """Factor -> (low, high) in natural units (eps_cal 1, X_CBD 1, R_p µm)."""
        m = next(iter(self.models.values()))
        return {k: (float(np.exp(m.design_space[f"ln_{k}"][0])), float(np.exp(m.design_space[f"ln_{k}"][1])))
                for k in FACTORS}

    def inside(self, eps_cal, X_CBD, R_p) -> np.ndarray:
        """True where a point lies in the design space."""
        ok = np.ones(np.broadcast_shapes(np.shape(eps_cal), np.shape(X_CBD), np.shape(R_p)), dtype=bool)
        for v, (lo, hi) in zip((eps_cal, X_CBD, R_p), self.design_space().values(), strict=True):
            ok &= (np.asarray(v) >= lo * (1 - 1e-9)) & (np.asarray(v) <= hi * (1 + 1e-9))
        return ok

    def __call__(self, eps_cal, X_CBD, R_p, extrapolation: str | None = None) -> dict[str, np.ndarray]:
        """Vectorized prediction; outside the design space warns (ExtrapolationWarning) or raises."""
        arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (eps_cal, X_CBD, R_p)))
        if np.any(~(arrays[0] > 0) | ~(arrays[1] > 0) | ~(arrays[2] > 0)):
            raise ParameterError("the structure surrogate needs eps_cal, X_CBD and R_p > 0",
                                 parameter="eps_cal", valid="(0, inf)")
        x = {n: np.log(a) for n, a in zip(LOG_INPUTS, arrays, strict=True)}
        out = {}
        for k, m in self.models.items():
            out[k] = np.exp(m(x, extrapolation or self.extrapolation))
        out["tau_e"] = np.maximum(out["tau_e"], 1.0)
        return out

    def to_dict(self) -> dict:
        return {k: m.to_dict() for k, m in self.models.items()}

    @classmethod
    def from_dict(cls, data: Mapping, extrapolation: str = "warn") -> StructureSurrogate:
        return cls({k: Metamodel.from_dict(v.get("selected_model", v)) for k, v in data.items()}, extrapolation)


def load_surrogate(source: str | Path = "builtin", extrapolation: str = "warn") -> StructureSurrogate:
    """The shipped surrogate (``"builtin"``) or one written by :func:`fit`."""
    path = data_path(MODEL_JSON) if source == "builtin" else Path(source)
    if not path.exists():
        raise ParameterError(f"structure surrogate file {str(path)!r} does not exist; run `celltwin structure-doe`",
                             parameter="surrogate", path=str(path))
    return _load(path.resolve(), path.stat().st_mtime_ns, extrapolation)


@functools.lru_cache(maxsize=8)
def _load(path: Path, mtime: int, extrapolation: str) -> StructureSurrogate:
    """Parsed once per file version: the half-cell asks for the surrogate on every call."""
    return StructureSurrogate.from_dict(json.loads(path.read_text())["models"], extrapolation)


def fit(csv: str | Path, out: str | Path, seed: int = 0) -> dict:
    """Select a surrogate per property from a design CSV and write the JSON (selections + provenance)."""
    from ..metamodels.fitting import design_provenance, select

    frame = log_frame(pd.read_csv(csv))
    prov = design_provenance(csv)
    doc = {"models": {}, "provenance": prov}
    for k in OUTPUTS:
        rows = frame[np.isfinite(frame[f"ln_{k}"])]
        sel = select(rows, LOG_INPUTS, f"ln_{k}", candidates=ALGEBRAIC, seed=seed, provenance=prov)
        doc["models"][k] = sel.document()
    Path(out).write_text(json.dumps(doc, indent=2))
    return doc


def refit_shipped(seed: int = 0) -> dict:
    """Refit the shipped surrogate JSON from the shipped design CSV."""
    return fit(data_path(DESIGN_CSV), data_path(MODEL_JSON), seed)
