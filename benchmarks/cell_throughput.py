"""P2D half-cell solves per second: the batched input-parameter model against rebuilding a
model per sample, both measured in this run, plus the accuracy of the settings used.

The samples are a seeded Monte Carlo of the reference-cathode scenario pushed through the
process chain and the structure surrogate, so thickness, porosity, X_AM and the effective
parameters all vary as in a real study. The batched path builds the model once
(symbolic meshes, input parameters) and solves chunks with IDAKLU on ``--threads``
threads; the slow way builds, discretises and solves a fresh model for each sample.
Accuracy: capacity and energy density against a fine-mesh (20/80/80), tight-tolerance
(rtol 1e-9, atol 1e-11) solve of the same samples.

    python benchmarks/cell_throughput.py [--samples 1000] [--rebuild-samples 20] [--threads 2]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

import celltwin as ct
from celltwin.cellmodel import CellSettings, HalfCell, effective_parameters


def structure_samples(n: int, seed: int) -> dict[str, np.ndarray]:
    """HalfCell inputs (SI) for n Monte Carlo samples of the reference cathode."""
    sc = ct.Scenario.load("reference-cathode")
    chain = sc.build_chain(with_cell=False)
    x = sc.sample(n, seed=seed).drop(columns="segment")
    r = chain.evaluate({k: x[k].to_numpy() for k in x.columns}, on_invalid="mask")
    X = {f"X_{c}": np.asarray(r[f"X_{c}"]) for c in sc.components}
    eff = effective_parameters(np.asarray(r["eps_cal"]), X, 5.5e-6)
    return {"L_p": np.asarray(r["h_cal"]) * 1e-6, "eps": np.asarray(r["eps_cal"]), "X_AM": X["X_AM"],
            "R_p": np.full(n, 5.5e-6), "kappa_s_eff": eff["kappa_s_eff"], "tau_e": eff["tau_e"],
            "i_app": np.full(n, sc.current_density * 10.0)}


def take(s: dict, k: int) -> dict:
    return {key: v[:k] for key, v in s.items()}


def batched_rate(cell: HalfCell, samples: dict, chunk: int, repeat: int) -> tuple[float, object]:
    n = len(samples["L_p"])
    best, res = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = cell.solve(samples, chunk_size=chunk)
        best = min(best, time.perf_counter() - t0)
    return n / best, res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--rebuild-samples", type=int, default=20)
    ap.add_argument("--accuracy-samples", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-compile", action="store_true", help="skip the AOT-compiled variant")
    args = ap.parse_args()

    settings = CellSettings(threads=args.threads)
    samples = structure_samples(args.samples, args.seed)

    t0 = time.perf_counter()
    cell = HalfCell(settings)
    build = time.perf_counter() - t0
    cell.solve(take(samples, 4))  # first solve sets up the solver
    rate, res = batched_rate(cell, samples, args.chunk, args.repeat)

    t0 = time.perf_counter()
    slow = cell.solve_rebuilt(take(samples, args.rebuild_samples))
    rebuild_rate = args.rebuild_samples / (time.perf_counter() - t0)
    # both ways must agree before their speeds mean anything
    k = args.rebuild_samples
    agree = np.max(np.abs(res.values["capacity"][:k] / slow.values["capacity"] - 1))

    m = args.accuracy_samples
    fine = HalfCell(CellSettings(mesh=(20, 80, 80), rtol=1e-9, atol=1e-11, threads=args.threads))
    ref = fine.solve(take(samples, m)).values
    err = {q: float(np.max(np.abs(res.values[q][:m] / ref[q] - 1))) for q in ("capacity", "energy_density")}

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end "
          "(solves/s are wall-clock; other processes on the machine lower them)")
    print(f"settings: mesh (separator, electrode, particle) = {settings.mesh}, rtol = {settings.rtol:g}, "
          f"atol = {settings.atol:g}, {args.threads} threads, chunks of {args.chunk}")
    print(f"samples: {args.samples} Monte Carlo samples of the reference cathode (seed {args.seed}), "
          f"{res.failure_count} failed; capacity {res.values['capacity'].mean():.4f} "
          f"+- {res.values['capacity'].std():.4f} mAh/cm^2")
    print(f"batched (built once in {build:.2f} s): {rate:.0f} solves/s (best of {args.repeat})")
    print(f"rebuilt per sample: {rebuild_rate:.1f} solves/s ({args.rebuild_samples} samples, "
          f"max capacity difference to batched {agree:.1e})")
    print(f"speed-up: {rate / rebuild_rate:.0f}x")
    print(f"accuracy vs 20/80/80-point, rtol 1e-9 reference ({m} samples): max relative error "
          f"capacity {err['capacity']:.1e}, energy density {err['energy_density']:.1e}")

    if not args.no_compile:
        t0 = time.perf_counter()
        compiled = HalfCell(CellSettings(threads=args.threads, compile=True))
        compiled.solve(take(samples, 4))
        ctime = time.perf_counter() - t0
        crate, cres = batched_rate(compiled, samples, args.chunk, args.repeat)
        cdiff = float(np.nanmax(np.abs(cres.values["capacity"] / res.values["capacity"] - 1)))
        print(f"batched, AOT-compiled (build + compile {ctime:.1f} s, cached on disk afterwards): "
              f"{crate:.0f} solves/s; speed-up over rebuilt: {crate / rebuild_rate:.0f}x "
              f"(max difference to the uncompiled batch {cdiff:.1e})")


if __name__ == "__main__":
    main()
