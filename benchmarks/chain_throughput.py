"""Monte Carlo samples per second through the five-step chain of the reference cathode:
one vectorized call on arrays against a per-sample Python loop over the same
containers, both measured in this run, on one core.

    python benchmarks/chain_throughput.py [--samples 1000000] [--loop-samples 20000]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import celltwin as ct  # noqa: E402


def per_sample_loop(chain, frame, n):
    """The obvious slow way: each sample on its own, container by container, unit conversion and all."""
    rows = frame.iloc[:n].to_dict("records")
    for row in rows:
        data = dict(row)
        for name in chain.order:
            c = chain.container(name)
            convert_in, convert_out = chain.unit_maps(name)
            args = {p: data[p] * s + o for p, (s, o) in convert_in.items()}
            out = c.evaluate(args)
            for p, (s, o) in convert_out.items():
                data[p] = out[p] * s + o
    return data


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--loop-samples", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    sc = ct.Scenario.load("reference-cathode")
    chain = sc.build_chain(with_cell=False)
    frame = sc.sample(args.samples, seed=1).drop(columns="segment")
    arrays = {k: frame[k].to_numpy() for k in frame.columns}

    best = np.inf
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = chain.evaluate(arrays, on_invalid="mask")
        best = min(best, time.perf_counter() - t0)
    vec_rate = args.samples / best

    t0 = time.perf_counter()
    last = per_sample_loop(chain, frame, args.loop_samples)
    loop_rate = args.loop_samples / (time.perf_counter() - t0)

    # both ways must agree before their speeds mean anything
    i = args.loop_samples - 1
    assert abs(last["rho_cal"] - res["rho_cal"][i]) <= 1e-12 * res["rho_cal"][i]

    print(f"chain: {' -> '.join(chain.order)}; {res.valid.sum()} of {args.samples} samples valid")
    print(f"vectorized: {vec_rate:,.0f} samples/s (best of {args.repeat}, {args.samples} samples, validation included)")
    print(f"per-sample loop: {loop_rate:,.0f} samples/s ({args.loop_samples} samples)")
    print(f"speed-up: {vec_rate / loop_rate:.0f}x")


if __name__ == "__main__":
    main()
