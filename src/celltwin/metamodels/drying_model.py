"""The shipped drying metamodel: eps_dry = f(m_wet, drying_rate), fitted to this project's own DEM design.

``data/drying_doe.csv`` holds the LAMMPS runs (a two-factor design: wet loading in mg/cm^2
x drying rate in g/(m^2 s), with random placements as repetitions), ``data/drying_doe.provenance.json``
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
#: the metamodel's inputs: wet mass loading (mg/cm^2) and drying rate (g/(m^2 s))
INPUTS = ("m_wet", "drying_rate")


def data_path(name: str) -> Path:
    return Path(str(resources.files("celltwin.metamodels").joinpath(DATA, name)))


def load_drying_metamodel(source: str = "builtin", extrapolation: str = "warn") -> Metamodel:
    """The drying metamodel from the package (``"builtin"``) or a metamodel JSON path."""
    path = data_path(MODEL_JSON) if source == "builtin" else Path(source)
    if not path.is_file():
        raise ParameterError(f"drying metamodel file {str(path)!r} does not exist; use \"builtin\" or the "
                             f"JSON written by `celltwin fit-metamodel`", parameter="metamodel", path=str(path))
    model = load_metamodel(path, extrapolation)
    if model.inputs != list(INPUTS) or model.output != "eps_dry":
        raise ParameterError(f"drying metamodel {str(path)!r} maps {model.inputs} -> {model.output}; "
                             f"the drying container needs {list(INPUTS)} (mg/cm^2, g/(m^2 s)) -> eps_dry",
                             parameter="metamodel", path=str(path))
    return model


def refit_shipped(seed: int = 0) -> None:
    """Refit the shipped metamodel JSON (and its plot) from the shipped design CSV."""
    import pandas as pd

    from .fitting import design_provenance, plot, select

    csv = data_path(DESIGN_CSV)
    data = pd.read_csv(csv)
    sel = select(data, list(INPUTS), "eps_dry", seed=seed, provenance=design_provenance(csv))
    sel.save(data_path(MODEL_JSON))
    plot(sel, data, data_path("drying_porosity.png"))
