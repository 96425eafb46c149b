"""Benchmark: one reference DEM drying run on LAMMPS against the fitted drying metamodel.

Prints the particle count, steps/s and wall time of one run at the reference loading
(m_wet = 20.5 mg/cm^2, drying rate 1 g/(m^2 s), default settings), and how much faster the
shipped metamodel answers the same question, as ``Rx`` (DEM wall time / metamodel time per
evaluation), both measured in this run; and the wall time of the shipped two-factor design
as recorded in its CSV (its runs' wall times and the number of workers that ran them).

    python benchmarks/dem_drying.py [--seed 1] [--side 30]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from celltwin.metamodels.dem_drying import DemSettings, run_drying
from celltwin.metamodels.drying_model import DESIGN_CSV, data_path, load_drying_metamodel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--side", type=float, default=DemSettings().side)
    args = parser.parse_args()

    cpu0 = time.process_time()
    result = run_drying(20.5, args.seed, DemSettings(side=args.side))
    cpu = time.process_time() - cpu0
    print(f"DEM run: m_wet 20.5 mg/cm^2, seed {args.seed}, cell {result.side:.1f} µm")
    print(f"  particles      {result.n_particles} ({result.n_active} active, {result.n_cbd} CBD)")
    print(f"  steps          {result.steps}")
    print(f"  steps/s        {result.steps_per_second:.0f}")
    print(f"  wall time      {result.wall_time:.1f} s (CPU {cpu:.1f} s)")
    print(f"  porosity       {result.porosity:.4f} (bulk {result.bulk_porosity:.4f}, not anchored)")
    print(f"  migration      {result.migration_index:.3f} (CBD top/bottom third)")

    model = load_drying_metamodel()
    x = {"m_wet": np.array([20.5]), "drying_rate": np.array([1.0])}
    n = 2000
    t0 = time.perf_counter()
    for _ in range(n):
        model(x)
    single = (time.perf_counter() - t0) / n
    m = np.linspace(15.0, 35.0, 100_000)
    batch = {"m_wet": m, "drying_rate": np.linspace(0.6, 1.9, m.size)}
    t0 = time.perf_counter()
    model(batch)
    per_sample = (time.perf_counter() - t0) / m.size
    print(f"metamodel ({model.kind}): {single * 1e6:.1f} µs per call, {per_sample * 1e9:.1f} ns per sample "
          f"in a batch of {m.size}")
    print(f"metamodel vs one DEM run, one call:      {result.wall_time / single:.3g}x")
    print(f"metamodel vs one DEM run, batched sample: {result.wall_time / per_sample:.3g}x")
    design = pd.read_csv(data_path(DESIGN_CSV))
    print(f"shipped design: {len(design)} runs, {design.wall_time.sum() / 60:.1f} min of DEM wall time in all "
          f"(divide by the workers for the elapsed time; docs/dem-drying.md gives the measured one)")


if __name__ == "__main__":
    main()
