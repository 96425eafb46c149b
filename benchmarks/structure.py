"""The structure surrogate against the 3D computation it replaces, all measured in this run
except the virtual DoE, whose time is read from the shipped design (measured when it ran).

1. One 3D property computation at the converged resolutions (generate a structure and solve
   tau_pore, tau_e and a_s at the DoE's grid, 48^3 voxels of R_p/6, and kappa_s_eff on the
   same structure at 128^3 voxels of R_p/16), and all four at the coarse grid alone.
2. The virtual DoE: the sum of the per-structure times stored in ``structure_doe.csv``.
3. The surrogate's throughput on a Monte Carlo batch, and its ratio to one 3D computation.

    python benchmarks/structure.py [--samples 1000000]
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from celltwin.microstructure.doe import DOE_GRID, ELECTRONIC_GRID
from celltwin.microstructure.generate import Grid, Recipe, generate
from celltwin.microstructure.properties import properties
from celltwin.microstructure.surrogate import DESIGN_CSV, data_path, load_surrogate


def one_structure(grid: Grid, electronic: Grid | None) -> float:
    recipe = Recipe()
    t0 = time.perf_counter()
    fine = None if electronic is None else generate(recipe, electronic, seed=0)
    properties(generate(recipe, grid, seed=0), grid.voxel_size(recipe) * 1e-6, electronic=fine)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    args = parser.parse_args()

    times = {"converged": one_structure(DOE_GRID, ELECTRONIC_GRID), "coarse": one_structure(DOE_GRID, None)}
    print(f"one 3D computation at the converged resolutions ({DOE_GRID.n}^3 at R_p/6, kappa_s_eff at "
          f"{ELECTRONIC_GRID.n}^3 at R_p/16; one core): {times['converged']:.1f} s (target <= 30 s)")
    print(f"the same with kappa_s_eff at {DOE_GRID.n}^3 too (not converged): {times['coarse']:.1f} s")
    doe = pd.read_csv(data_path(DESIGN_CSV))
    print(f"virtual DoE (shipped, measured when run): {len(doe)} structures, "
          f"{doe['seconds'].sum() / 60:.1f} min of single-structure time")

    model = load_surrogate()
    rng = np.random.default_rng(0)
    eps = rng.normal(0.315, 0.01, args.samples)
    xc = rng.normal(0.101, 0.002, args.samples)
    r = np.full(args.samples, 5.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        model(eps, xc, r)
        dt = time.perf_counter() - t0
    rate = args.samples / dt
    print(f"surrogate: {rate:.3g} samples/s ({args.samples} samples in {dt:.3f} s); target >= 1e6/s")
    print(f"ratio surrogate sample / one converged 3D computation: {times['converged'] * rate:.3g}")


if __name__ == "__main__":
    main()
