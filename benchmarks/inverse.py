"""Model evaluations and wall time of each inverse and robust run, against the obvious slow way.

- inverse: our batched finite-difference Jacobian (one chain call per Jacobian) against
  scipy's own ``jac="2-point"`` calling the chain once per point;
- product design: cell solves and wall time of the two-stage run (P2D half-cell);
- robust: common random numbers against fresh random numbers per candidate (the
  optimiser then chases sampling noise): evaluations, time, and the spread of the
  optimum over repeated runs with different seeds;
- tolerances: bisection on common random numbers against a grid scan of the spread
  at the same resolution.

Run: ``python benchmarks/inverse.py``. Prints Rx = slow / fast.
"""
from __future__ import annotations

import time

import numpy as np
from scipy.optimize import least_squares, minimize

import celltwin as ct
from celltwin.analysis.design.inverse import inverse
from celltwin.analysis.design.product import product_design
from celltwin.analysis.design.robust import robust_design, smooth_in_spec
from celltwin.analysis.design.space import DesignSpace
from celltwin.analysis.design.tolerances import EXACT, production_tolerances
from celltwin.analysis.uq.sampling import CommonRandomNumbers
from celltwin.analysis.uq.specs import as_specs, in_spec


def line(name: str, evals, wall: float, extra: str = "") -> None:
    print(f"{name:<58s} {evals!s:>10s} evals {wall:9.3f} s  {extra}")


def slow_inverse(sc, targets, free, start):
    """scipy's own finite differences, one scalar chain evaluation per point."""
    chain = sc.build_chain(with_cell=False)
    base = {**sc.nominal(), **start}
    bounds = DesignSpace.of(sc, free, base).bounds
    names = list(bounds)
    calls = 0

    def f(x):
        nonlocal calls
        calls += 1
        r = chain.evaluate({**base, **dict(zip(names, x, strict=False))})
        return [(r[k] - t) / t for k, t in targets.items()]

    t0 = time.perf_counter()
    sol = least_squares(f, [base[n] for n in names], bounds=([bounds[n][0] for n in names],
                                                             [bounds[n][1] for n in names]),
                        jac="2-point", xtol=1e-14, ftol=1e-14, gtol=1e-14)
    return dict(zip(names, sol.x, strict=False)), calls, time.perf_counter() - t0


def main() -> None:
    sc = ct.Scenario.load("reference-cathode")
    nom = sc.nominal()
    print("== inverse runs (reference cathode, analytical chain)")
    cases = [("round trip m_dry=14.3, rho_cal=2.95 (V_dot, q_L +10 %)", {"m_dry": 14.3, "rho_cal": 2.95},
              ["V_dot", "q_L"], {"V_dot": 1.1 * nom["V_dot"], "q_L": 1.1 * nom["q_L"]}),
             ("eps_cal=0.30 by q_L (Meyer law)", {"eps_cal": 0.30}, ["q_L"], {}),
             ("m_dry=16, rho_cal=3.0 by V_dot, q_L, x_solids (underdetermined)", {"m_dry": 16.0, "rho_cal": 3.0},
              ["V_dot", "q_L", "x_solids"], {})]
    for name, targets, free, start in cases:
        best = float("inf")
        for _ in range(5):
            res = inverse(sc, targets, free, start=start)
            best = min(best, res.wall_time)
        slow_best = float("inf")
        for _ in range(5):
            x, calls, wall = slow_inverse(sc, targets, free, start)
            slow_best = min(slow_best, wall)
        agree = max(abs(x[k] - res.settings[k]) / abs(res.settings[k]) for k in x)
        line(name, res.evaluations, best, f"({res.calls} batched calls)")
        line("   slow: scipy 2-point, one chain call per point", calls, slow_best,
             f"R{slow_best / best:.1f}x  (settings agree to {agree:.1e})")

    print("== product-oriented two-stage run (P2D half-cell)")
    product_design(sc, {"capacity": (2.3, 2.35)}, ["V_dot", "q_L"])  # builds the cell model once
    t0 = time.perf_counter()
    d = product_design(sc, {"capacity": (2.3, 2.35)}, ["V_dot", "q_L"])
    line("capacity in [2.3, 2.35] mAh/cm^2, max energy density", f"{d.cell_solves}+{d.process.evaluations}",
         time.perf_counter() - t0, "(cell solves + chain evaluations; model build excluded)")

    print("== robust runs (2000 samples, common random numbers)")
    specs = as_specs(["m_dry=14.3+-2%", "rho_cal=2.95+-1%"], sc.catalog)
    optima = []
    t0 = time.perf_counter()
    for seed in range(5):
        r = robust_design(sc, ["V_dot", "q_L"], specs=specs, n=2000, seed=seed)
        optima.append([r.settings["V_dot"], r.settings["q_L"]])
    wall = (time.perf_counter() - t0) / 5
    line("max yield, free V_dot and q_L", r.evaluations, wall,
         f"yield {r.before['yield']:.3f} -> {r.after['yield']:.3f}; optimum spread over 5 seeds: "
         f"V_dot {np.std([o[0] for o in optima]):.2f} cm^3/h, q_L {np.std([o[1] for o in optima]):.3f} N/mm")
    # slow way: fresh random numbers for every candidate
    bounds = DesignSpace.of(sc, ["V_dot", "q_L"], nom).bounds
    lo, hi = np.array([bounds[k][0] for k in bounds]), np.array([bounds[k][1] for k in bounds])
    fresh_optima, evals = [], 0
    t0 = time.perf_counter()
    for seed in range(5):
        counter = iter(range(10 ** 6))

        def objective(z, seed=seed, counter=counter):
            crn = CommonRandomNumbers(sc, 2000, seed=1000 * seed + next(counter))
            values = dict(zip(bounds, lo + z * (hi - lo), strict=True))
            return -float(np.mean(smooth_in_spec(crn.evaluate(values), specs)))

        z0 = (np.array([nom["V_dot"], nom["q_L"]]) - lo) / (hi - lo)
        sol = minimize(objective, z0, method="Nelder-Mead", bounds=[(0, 1)] * 2,
                       options={"maxiter": 200, "xatol": 1e-5, "fatol": 1e-7})
        evals += 2000 * sol.nfev
        fresh_optima.append(lo + sol.x * (hi - lo))
    fwall = (time.perf_counter() - t0) / 5
    line("   slow: fresh random numbers per candidate", evals // 5, fwall,
         f"R{fwall / wall:.1f}x; optimum spread over 5 seeds: V_dot {np.std([o[0] for o in fresh_optima]):.2f}"
         f" cm^3/h, q_L {np.std([o[1] for o in fresh_optima]):.3f} N/mm")
    t0 = time.perf_counter()
    r = robust_design(sc, ["V_dot", "q_L"], minimize_std="rho_cal", mean_targets={"m_dry": 14.3}, n=2000, seed=1)
    line("min std(rho_cal), mean m_dry held, free V_dot and q_L", r.evaluations, time.perf_counter() - t0,
         f"std {r.before['std_rho_cal']:.4f} -> {r.after['std_rho_cal']:.4f} g/cm^3")

    print("== production tolerances (4000 samples, common random numbers)")
    specs3 = ["m_dry=14.3+-3%", "rho_cal=2.95+-2%"]
    t0 = time.perf_counter()
    tol = production_tolerances(sc, specs3, n=4000, seed=1)
    wall = time.perf_counter() - t0
    line("4 process parameters x (alone, with others) + joint", tol.evaluations, wall)
    # slow way: scan the spread factor of one parameter on a grid with the bisection's resolution
    crn = CommonRandomNumbers(sc, 4000, seed=1)
    sp = as_specs(specs3, sc.catalog)
    k_alone = tol.table.loc["V_dot", "alone_std"] / tol.table.loc["V_dot", "std"]
    grid = np.arange(1, 1001) * 2 * k_alone / 1000  # resolution 1e-3 of the answer, up to twice it
    t0 = time.perf_counter()
    others = {o: EXACT for o in sc.uncertain}
    ok = [np.mean(in_spec(crn.evaluate(scales={**others, "V_dot": k}), sp)) >= 0.99 for k in grid]
    gwall = time.perf_counter() - t0
    k_grid = grid[np.flatnonzero(ok)[-1]]
    per_param = wall / (2 * 4 + 1)
    line("   slow: grid scan of V_dot alone at the same resolution", 4000 * len(grid), gwall,
         f"R{gwall / per_param:.1f}x per search; k = {k_grid:.4f} vs bisection {k_alone:.4f}")


if __name__ == "__main__":
    main()
