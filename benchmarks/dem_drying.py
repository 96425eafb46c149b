"""Benchmark: one reference DEM drying run on LAMMPS against the fitted drying metamodel.

Prints the particle count, steps/s and wall time of one run at the reference loading
(m_wet = 20.5 mg/cm^2, default settings), and how much faster the shipped metamodel
answers the same question, as ``Rx`` (DEM wall time / metamodel time per evaluation),
both measured in this run.

    python benchmarks/dem_drying.py [--seed 1] [--side 60]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from celltwin.metamodels.dem_drying import DemSettings, run_drying
from celltwin.metamodels.drying_model import load_drying_metamodel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--side", type=float, default=DemSettings().side)
    args = parser.parse_args()

    cpu0 = time.process_time()
    result = run_drying(20.5, args.seed, DemSettings(side=args.side))
    cpu = time.process_time() - cpu0
    print(f"DEM run: m_wet 20.5 mg/cm^2, seed {args.seed}, cell {result.side:.1f} µm")
    print(f"  particles      {result.n_particles} ({result.n_active} active, {result.n_agglomerates} agglomerates)")
    print(f"  steps          {result.steps}")
    print(f"  steps/s        {result.steps_per_second:.0f}")
    print(f"  wall time      {result.wall_time:.1f} s (CPU {cpu:.1f} s)")
    print(f"  porosity       {result.porosity:.4f}")

    model = load_drying_metamodel()
    x = np.array([20.5])
    n = 2000
    t0 = time.perf_counter()
    for _ in range(n):
        model(x)
    single = (time.perf_counter() - t0) / n
    batch = np.linspace(15.0, 35.0, 100_000)
    t0 = time.perf_counter()
    model(batch)
    per_sample = (time.perf_counter() - t0) / batch.size
    print(f"metamodel ({model.kind}): {single * 1e6:.1f} µs per call, {per_sample * 1e9:.1f} ns per sample "
          f"in a batch of {batch.size}")
    print(f"metamodel vs one DEM run, one call:      {result.wall_time / single:.3g}x")
    print(f"metamodel vs one DEM run, batched sample: {result.wall_time / per_sample:.3g}x")


if __name__ == "__main__":
    main()
