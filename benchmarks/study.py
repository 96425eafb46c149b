"""Wall time of the full reference study and the accuracy of its PCE against brute force.

1. The study as ``celltwin run reference-cathode`` runs it: N samples through the chain
   and the P2D half-cell, statistics, two ANCOVA stages on PCEs, Sankey, report; wall
   time split by step (target: under 2 minutes on 2 cores for N = 1000).
2. The cell-stage PCE (fitted on the study's N runs) against brute-force Monte Carlo:
   a fresh, independent sample of N runs through the chain and the P2D model. Reported:
   holdout R² and errors of the PCE's predictions, mean and std of capacity and
   energy density from the PCE (propagated on 10^5 draws of the fitted joint
   distribution) against the brute-force sample and the study's own runs, the indices
   re-estimated from the fresh runs, and Rx = time per sample of the P2D model / of the
   PCE, both measured here.

    python benchmarks/study.py [--samples 1000] [--seed 2022] [-o out/bench-study]
"""
from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=2022)
    ap.add_argument("-o", "--output", default=None, help="study folder (default: a temporary one)")
    args = ap.parse_args()

    from celltwin.analysis.uq.sampling import monte_carlo
    from celltwin.analysis.uq.study import PERFORMANCE, run_study, structure_performance

    t0 = time.perf_counter()
    study = run_study("reference-cathode", samples=args.samples, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        study.save(args.output or tmp)
    total = time.perf_counter() - t0
    print(f"\n== full reference study, {args.samples} samples (seed {args.seed}) ==")
    import_and_build = total - sum(study.timings.values())
    for step, seconds in list(study.timings.items()) + [("other (imports, model build)", import_and_build)]:
        print(f"  {step:32s} {seconds:7.2f} s  {100 * seconds / total:5.1f} %")
    print(f"  {'total':32s} {total:7.2f} s  (target < 120 s: {'met' if total < 120 else 'NOT met'})")

    # -- brute force: a fresh sample through chain and P2D ----------------------------
    t0 = time.perf_counter()
    fresh = monte_carlo(study.scenario, args.samples, args.seed + 1, chunk_size=100, workers=1).frame
    t_p2d = time.perf_counter() - t0
    fresh = fresh[fresh["valid"]]
    inputs = list(study.cell_distribution.getDescription())
    X = fresh[inputs].to_numpy()
    print(f"\n== PCE of the cell stage vs brute-force Monte Carlo ({len(fresh)} fresh runs) ==")
    print(f"  {'output':16s} {'holdout R2':>11s} {'RMSE':>9s} {'max |err|':>10s}   "
          f"{'mean PCE':>10s} {'mean MC':>10s} {'std PCE':>9s} {'std MC':>9s} {'std study':>9s}")
    draws = np.asarray(study.cell_distribution.getSample(100_000))
    t_pce = 0.0
    for name in PERFORMANCE:
        s = study.surrogates[name]
        y = fresh[name].to_numpy()
        t1 = time.perf_counter()
        yhat = s.predict(X)
        t_pce += time.perf_counter() - t1
        r2 = 1 - np.mean((y - yhat) ** 2) / np.var(y)
        prop = s.predict(draws)
        print(f"  {name:16s} {r2:11.6f} {np.sqrt(np.mean((y - yhat) ** 2)):9.3g} {np.max(np.abs(y - yhat)):10.3g}   "
              f"{prop.mean():10.5g} {y.mean():10.5g} {prop.std():9.3g} {y.std(ddof=1):9.3g} "
              f"{study.statistics.loc[name, 'std']:9.3g}")
    print("  (PCE columns: the PCE on 1e5 draws of the joint distribution fitted to the study's runs;\n"
          "   MC: the fresh runs; std study: the study's own runs. The std of N runs scatters by ~1/sqrt(2N).)")
    per_p2d = t_p2d / args.samples
    per_pce = t_pce / (len(PERFORMANCE) * len(X))
    print(f"  brute force: {t_p2d:.1f} s for {args.samples} runs through chain + P2D "
          f"({1e3 * per_p2d:.1f} ms per sample); PCE {1e6 * per_pce:.2f} us per sample and output")
    print(f"  Rx (P2D per sample / PCE per sample and output) = {per_p2d / per_pce:,.0f}")

    fresh_indices, _ = structure_performance(fresh, inputs, list(PERFORMANCE), args.seed)
    ours = study.indices("structure-performance")["S"]
    again = fresh_indices["S"]
    print("\n== ANCOVA S, study sample vs fresh sample ==")
    for key in ours.index:
        print(f"  {key[0]:16s} {key[1]:8s} {ours[key]:8.4f} {again[key]:8.4f}")
    print(f"  largest difference: {np.max(np.abs(ours - again.reindex(ours.index))):.4f}")


if __name__ == "__main__":
    main()
