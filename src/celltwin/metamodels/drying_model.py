"""The shipped drying metamodel: eps_dry = f(m_wet), fitted to this project's own DEM design.

``data/drying_doe.csv`` holds the LAMMPS runs (seed 004's design: seven wet loadings
from 14.2 to 35.4 mg/cm^2, five random placements each), ``data/drying_doe.provenance.json``
the DEM settings and engine that made them, and ``data/drying_porosity.json`` the
selected metamodel with every candidate's metrics. :func:`refit_shipped` regenerates
the JSON from the CSV.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..platform.errors import ParameterError
from .metamodel import Metamodel, load_metamodel

DATA = "data"
DESIGN_CSV = "drying_doe.csv"
MODEL_JSON = "drying_porosity.json"


def data_path(name: str) -> Path:
    return Path(str(resources.files("celltwin.metamodels").joinpath(DATA, name)))


def load_drying_metamodel(source: str = "builtin", extrapolation: str = "warn") -> Metamodel:
    """The drying metamodel from the package (``"builtin"``) or a metamodel JSON path."""
    path = data_path(MODEL_JSON) if source == "builtin" else Path(source)
    if not path.is_file():
        raise ParameterError(f"drying metamodel file {str(path)!r} does not exist; use \"builtin\" or the "
                             f"JSON written by `celltwin fit-metamodel`", parameter="metamodel", path=str(path))
    model = load_metamodel(path, extrapolation)
    if model.inputs != ["m_wet"] or model.output != "eps_dry":
        raise ParameterError(f"drying metamodel {str(path)!r} maps {model.inputs} -> {model.output}; "
                             f"the drying container needs ['m_wet'] (mg/cm^2) -> eps_dry")
    return model


def refit_shipped(seed: int = 0) -> None:
    """Refit the shipped metamodel JSON (and its plot) from the shipped design CSV."""
    import pandas as pd

    from .fitting import design_provenance, plot, select

    csv = data_path(DESIGN_CSV)
    data = pd.read_csv(csv)
    sel = select(data, ["m_wet"], "eps_dry", seed=seed, provenance=design_provenance(csv))
    sel.save(data_path(MODEL_JSON))
    plot(sel, data, data_path("drying_porosity.png"))
