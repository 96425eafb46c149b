"""The virtual design of experiments of the structure surrogate: random structures -> 3D properties.

Factors: porosity eps_cal, the solid CBD fraction X_CBD and the median particle radius R_p
(µm), drawn as a seeded Latin hypercube; each point is built ``reps`` times with different
random seeds. Rows are appended to a CSV as they finish, so an interrupted design resumes
where it stopped (as :mod:`celltwin.metamodels.doe` does for the DEM drying design).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc

from ..metamodels.doe import file_hash, provenance_path
from ..platform.execution import backend
from .generate import Grid, Recipe, fractions, generate
from .properties import properties

#: the design space: factor -> (low, high)
FACTORS = {"eps_cal": (0.22, 0.45), "X_CBD": (0.05, 0.15), "R_p": (3.5, 8.0)}
#: the grid of the shipped design for tau_e and a_s (voxel size R_p/6; box 8 R_p, see docs/structure-surrogate.md)
DOE_GRID = Grid(n=48, voxels_per_radius=6.0)
#: the same box at R_p/16 for kappa_s_eff, which is converged only there (to ~3 %, docs/structure-surrogate.md)
ELECTRONIC_GRID = Grid(n=128, voxels_per_radius=16.0)
OUTPUTS = ("tau_pore", "tau_e", "kappa_s_eff", "a_s")


def design(points: int, reps: int, seed: int = 2024) -> pd.DataFrame:
    """Latin hypercube over :data:`FACTORS`, each point repeated ``reps`` times (column ``rep``)."""
    u = qmc.LatinHypercube(d=len(FACTORS), seed=seed).random(points)
    lo, hi = (np.array([v[i] for v in FACTORS.values()]) for i in (0, 1))
    x = pd.DataFrame(lo + u * (hi - lo), columns=list(FACTORS))
    x.insert(0, "point", range(points))
    return x.loc[x.index.repeat(reps)].assign(rep=np.tile(np.arange(reps), points)).reset_index(drop=True)


def evaluate_row(row: dict, grid: Grid = DOE_GRID, electronic_grid: Grid | None = ELECTRONIC_GRID) -> dict:
    """Build one structure of the design and compute its 3D properties (plus the measured fractions).

    ``electronic_grid`` rebuilds the same structure (same seed, the same box in units of R_p)
    finer for kappa_s_eff; None computes it on ``grid``.
    """
    recipe = Recipe(porosity=float(row["eps_cal"]), x_cbd=float(row["X_CBD"]), radius=float(row["R_p"]))
    seed = int(row["point"]) * 1000 + int(row["rep"])
    t0 = time.perf_counter()
    img = generate(recipe, grid, seed=seed)
    fine = None if electronic_grid is None else generate(recipe, electronic_grid, seed=seed)
    props = properties(img, grid.voxel_size(recipe) * 1e-6, recipe.eps_nano, electronic=fine)
    measured = {f"voxel_{k}": v for k, v in fractions(img, recipe.eps_nano).items()}
    return {**row, "seed": seed, **props, **measured, "seconds": time.perf_counter() - t0}


def run_design(path: str | Path, points: int = 30, reps: int = 2, seed: int = 2024, grid: Grid = DOE_GRID,
               workers: int = 1, progress: Callable[[int, int], None] | None = None,
               electronic_grid: Grid | None = ELECTRONIC_GRID) -> pd.DataFrame:
    """Run (or resume) the design into the CSV at ``path``; ``progress(done, total)`` after each row.

    ``workers`` > 1 builds structures in that many local processes (the project's execution
    backend; rows arrive and are written in completion order); rows are written by this one.
    """
    path = Path(path)
    plan = design(points, reps, seed)
    done = set()
    if path.exists():
        old = pd.read_csv(path)
        done = set(zip(old["point"], old["rep"], strict=True))
    total = len(plan)
    n_done = sum((p, r) in done for p, r in zip(plan["point"], plan["rep"], strict=True))
    if progress:
        progress(n_done, total)
    todo = [r for r in plan.to_dict("records") if (r["point"], r["rep"]) not in done]
    with backend(workers=workers) as be:  # this process for 1 worker, else a pool of local processes
        for result in be.map(evaluate_row, ((r, grid, electronic_grid) for r in todo)):
            pd.DataFrame([result]).to_csv(path, mode="a", header=not path.exists(), index=False)
            n_done += 1
            if progress:
                progress(n_done, total)
    provenance_path(path).write_text(json.dumps(
        {"design": {"points": points, "reps": reps, "seed": seed, "factors": FACTORS},
         "grid": asdict(grid), "electronic_grid": None if electronic_grid is None else asdict(electronic_grid),
         "recipe_defaults": asdict(Recipe()), "solver": _solver_version(),
         "design_sha256": file_hash(path)}, indent=2))
    return pd.read_csv(path)


def _solver_version() -> dict:
    from importlib.metadata import version
    return {"taufactor": version("taufactor"), "torch": version("torch")}
