"""The solid-state cathode scenario swept over its SE fraction and its calendering degree.

For each structure (the nominal chain of ``solid-state-cathode`` with one setting changed):
X_SE, kappa_ion_eff, kappa_s_eff, and the half-cell's capacity at 0.1, 0.2, 0.5 and 1 C
(C = the structure's theoretical capacity per hour). Prints markdown tables for
docs/solid-state.md and, with ``--plot``, writes docs/solid-state.png.

    python benchmarks/solid_state.py [--plot]
"""
from __future__ import annotations

import argparse
import math

import pandas as pd

import celltwin as ct

C_RATES = (0.1, 0.2, 0.5, 1.0)
W_SE = (0.15, 0.20, 0.276, 0.35, 0.45)       # dry mass fraction of Li6PS5Cl; AM closes the balance
DEGREES = (0.0, 0.10, 0.20, 0.30, 0.35)      # calendering degree = thickness reduction


def line_load(degree: float, eps_dry: float, gamma_c: float) -> float:
    """q_L (N/mm) that reduces the thickness by ``degree`` under the Meyer law with eps_min = 0."""
    eps = 1.0 - (1.0 - eps_dry) / (1.0 - degree)
    return gamma_c * math.log(eps_dry / eps)


def row(sc, cell, values: dict, label: dict, pores: str) -> dict:
    p = {**sc.nominal(), **values}
    s = sc.build_chain(with_cell=False).evaluate(p)
    x = {k: float(s[k]) if k in s else float(p[k]) for k in cell.inputs()}  # catalog units: um, mg/cm^2
    eff = cell.evaluate(x)
    th = float(eff["capacity_theoretical"])
    sweep = cell.rate_sweep(x, [c * th for c in C_RATES])
    out = {**label, "pores": pores, "X_AM": float(s["X_AM"]), "X_SE": float(s["X_SE"]), "eps_cal": float(s["eps_cal"]),
           "kappa_ion_eff_mS_cm": float(eff["kappa_ion_eff"]) * 10, "kappa_s_eff": float(eff["kappa_s_eff"]),
           "q_th_mAh_cm2": th}
    out.update({f"q_{c:g}C": float(q) / (x["w_AM"] * x["m_dry"]) * 1e3  # mAh/cm^2 / mg/cm^2 -> mAh/g of AM
                for c, q in zip(C_RATES, sweep["capacity"], strict=True)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", action="store_true")
    args = parser.parse_args()
    sc = ct.Scenario.load("solid-state-cathode")
    nominal = sc.nominal()
    rows = []
    for pores in ("empty", "liquid"):
        cell = sc.cell_container()
        if pores == "liquid":  # the same cell with liquid-filled pores (a "hybrid" cathode)
            cell = type(cell)(sc.components, **{**cell.settings, "pores": "liquid"})
        for w in W_SE:
            rest = 1 - w - nominal["w_CA"] - nominal["w_PB"]
            rows.append(row(sc, cell, {"w_SE": w, "w_AM": rest}, {"sweep": "w_SE", "w_SE": w, "degree": 0.24},
                            pores))
        for d in DEGREES:
            q = line_load(d, nominal["eps_dry"], nominal["gamma_c"]) if d > 0 else 0.0
            rows.append(row(sc, cell, {"q_L": q}, {"sweep": "calendering", "w_SE": nominal["w_SE"], "degree": d},
                            pores))
    table = pd.DataFrame(rows)
    print("| " + " | ".join(table.columns) + " |")
    print("|" + "---|" * len(table.columns))
    for _, r in table.iterrows():
        print("| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in r) + " |")
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        t = table[(table["sweep"] == "w_SE") & (table["pores"] == "empty")]
        axes[0].plot(t["X_SE"], t["kappa_ion_eff_mS_cm"], "o-")
        axes[0].set(xlabel="X_SE (volume fraction)", ylabel="kappa_ion_eff (mS/cm)", yscale="log",
                    title="SE network, percolation law")
        for c in C_RATES:
            axes[1].plot(t["X_SE"], t[f"q_{c:g}C"], "o-", label=f"{c:g} C")
        axes[1].set(xlabel="X_SE (volume fraction)", ylabel="capacity (mAh/g AM)", title="single-ion half-cell")
        axes[1].legend()
        fig.tight_layout()
        fig.savefig("docs/solid-state.png", dpi=120)
        print("wrote docs/solid-state.png")


if __name__ == "__main__":
    main()
