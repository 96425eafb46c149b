"""Full-cell DFN solves per second: the batched input-parameter model against rebuilding a model
per sample, both measured in this run; the chosen mesh against a fine reference; and the time
of a 1000-sample evaluation of the "full-cell" container.

Samples: the nominal pair of the built-in ``full-cell`` scenario (seed 004's reference cathode,
the graphite anode sized for N/P = 1.1, 8 % formation loss), its structures rebuilt with the
chain's own compaction and volume-fraction equations, with seeded normal spread on both
electrodes' loading and porosity and on the formation loss (1 % relative on loadings, 0.01 on
porosities and li_loss). Every sample runs both experiments: a C/3 discharge and a 2C CC
charge, so one sample is two solves. The slow way builds, discretises and solves a fresh model
for each experiment of each sample.

The timed study is ``celltwin.propagate`` of ``--scenario`` (default the built-in ``full-cell``)
when that scenario uses the "full-cell" container.

    python benchmarks/full_cell.py [--samples 512] [--rebuild-samples 6] [--threads 2] [--scenario PATH]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from celltwin.cellmodel.fullcell import FullCell, FullCellSettings
from celltwin.cellmodel.fullcell_container import FullCellContainer
from celltwin.containers.calendering import volume_fractions
from celltwin.containers.drying import compacted
from celltwin.containers.formulation import specific_volume

#: the lines of scenarios/full-cell.toml at their nominal values (recipe, densities, dry loading)
LINES = {
    "cathode": ({"w_AM": 0.94, "w_CA": 0.03, "w_PB": 0.03, "rho_AM": 4.75, "rho_CA": 1.80, "rho_PB": 1.70},
                14.3, 0.315),
    # m_dry for N/P = 1.1 on the assembly's capacities: 1.1 x 0.94 x 14.3 x 163 / (0.95 x 371.9) mg/cm^2
    "anode": ({"w_AM": 0.95, "w_CA": 0.01, "w_CMC": 0.02, "w_SBR": 0.02, "rho_AM": 2.27, "rho_CA": 1.80,
               "rho_CMC": 1.6, "rho_SBR": 0.94}, 1.1 * 0.94 * 14.3 * 163 / (0.95 * 371.9), 0.33),
}
CELL = {"A_cell": 3200.0, "m_cell": 100.0, "V_cell": 50.0, "t_sep": 25.0, "eps_sep": 0.39}
COMPONENTS = {"cathode": ("AM", "CA", "PB"), "anode": ("AM", "CA", "CMC", "SBR")}


def container_inputs(n: int, seed: int) -> dict[str, np.ndarray]:
    """Inputs of the "full-cell" container: n seeded samples around the nominal pair."""
    rng = np.random.default_rng(seed)
    x: dict[str, np.ndarray] = {}
    for line, (recipe, m_dry, eps) in LINES.items():
        comps = COMPONENTS[line]
        m = m_dry * (1 + 0.01 * rng.standard_normal(n))
        e = eps + 0.01 * rng.standard_normal(n)
        h_cm, _ = compacted(m * 1e-3, 1.0 / specific_volume(recipe, comps), e)
        x[f"{line}.eps_cal"], x[f"{line}.h_cal"] = e, np.asarray(h_cm) * 1e4
        x.update({f"{line}.{k}": np.asarray(v) for k, v in volume_fractions(recipe, comps, e).items()})
    x.update({k: np.full(n, v) for k, v in CELL.items()})
    x["li_loss"] = 0.08 + 0.01 * rng.standard_normal(n)
    return x


def take(s: dict, k: int) -> dict:
    return {key: v[:k] for key, v in s.items()}


class Clock:
    """Wall-clock and CPU seconds (all threads of this process) of a block: on a shared machine
    the CPU seconds are the load-independent cost, the wall-clock the one a user waits."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def rate(cell: FullCell, samples: dict, repeat: int) -> tuple[float, float, object]:
    """Samples per wall-clock second and per CPU second, best of ``repeat``."""
    best, res = None, None
    for _ in range(repeat):
        with Clock() as c:
            res = cell.solve(samples)
        best = c if best is None or c.wall < best.wall else best
    n = len(samples["L_n"])
    return n / best.wall, n / best.cpu, res


def rel(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) / np.asarray(b) - 1)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=512)
    ap.add_argument("--rebuild-samples", type=int, default=6)
    ap.add_argument("--accuracy-samples", type=int, default=6)
    ap.add_argument("--study-samples", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--meshes", default="4,3,4,6,6;6,4,6,8,8;8,5,8,10,10;12,6,12,15,15",
                    help="candidate meshes (anode, separator, cathode, anode particle, cathode particle)")
    ap.add_argument("--reference-mesh", default="40,20,40,60,60")
    ap.add_argument("--no-mesh-study", action="store_true")
    ap.add_argument("--scenario", default="full-cell",
                    help="scenario (name or path) of the timed Monte Carlo study; it must use the full-cell container")
    args = ap.parse_args()

    box = FullCellContainer(COMPONENTS)
    x = container_inputs(args.samples, args.seed)
    samples = box.cell_samples(x, np.ones(args.samples, bool))
    default = FullCellSettings(threads=args.threads)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start "
          "(rates are wall-clock; other processes on the machine lower them)")

    if not args.no_mesh_study:
        mesh_study(samples, args, default)
    speed(samples, box, args, default)
    study(args)


def mesh_study(samples: dict, args, default: FullCellSettings) -> None:
    """Capacity, energy and plating margin of candidate meshes against a fine, tight reference."""
    m = args.accuracy_samples
    ref_mesh = tuple(int(v) for v in args.reference_mesh.split(","))
    t0 = time.perf_counter()
    ref = FullCell(FullCellSettings(mesh=ref_mesh, rtol=1e-8, atol=1e-10, threads=args.threads)) \
        .solve(take(samples, m)).values
    print(f"reference: mesh {ref_mesh}, rtol 1e-8, atol 1e-10 ({m} samples, {time.perf_counter() - t0:.0f} s): "
          f"capacity {ref['capacity'].mean():.4f} mAh/cm^2, energy {ref['energy'].mean():.4f} mWh/cm^2, "
          f"plating margin {1e3 * ref['plating_margin'].mean():.2f} mV")
    for spec in args.meshes.split(";"):
        mesh = tuple(int(v) for v in spec.split(","))
        v = FullCell(FullCellSettings(mesh=mesh, threads=args.threads)).solve(take(samples, m)).values
        print(f"  mesh {mesh}{' (default)' if mesh == default.mesh else ''}: max relative error capacity "
              f"{rel(v['capacity'], ref['capacity']):.1e}, energy {rel(v['energy'], ref['energy']):.1e}; "
              f"plating margin max |error| {1e3 * np.max(np.abs(v['plating_margin'] - ref['plating_margin'])):.2f} mV")



def speed(samples: dict, box: FullCellContainer, args, default: FullCellSettings) -> None:
    """Batched against rebuilt, compiled, and a 1000-sample evaluation of the container."""
    n_all = len(samples["L_n"])
    t0 = time.perf_counter()
    cell = FullCell(default)
    build = time.perf_counter() - t0
    cell.solve(take(samples, 4))  # first solve sets up the solver
    per_s, per_cpu, res = rate(cell, samples, args.repeat)
    k = args.rebuild_samples
    with Clock() as c:
        slow = cell.solve_rebuilt(take(samples, k))
    rebuilt_s, rebuilt_cpu = k / c.wall, k / c.cpu
    agree = max(rel(res.values[q][:k], slow.values[q]) for q in ("capacity", "energy"))
    margin = float(np.max(np.abs(res.values["plating_margin"][:k] - slow.values["plating_margin"])))
    v = res.values
    print(f"settings: mesh {default.mesh}, rtol {default.rtol:g}, atol {default.atol:g}, {args.threads} threads; "
          f"{n_all} samples, {res.failure_count} failed")
    print(f"  capacity {v['capacity'].mean():.4f} +- {v['capacity'].std():.4f} mAh/cm^2, mean voltage "
          f"{v['mean_voltage'].mean():.4f} V, N/P (model) {v['np_ratio'].mean():.3f}, plating margin "
          f"{1e3 * v['plating_margin'].mean():.1f} +- {1e3 * v['plating_margin'].std():.1f} mV")
    print("one sample = two solves (discharge, charge); rates per wall-clock second [per CPU second]")
    print(f"batched (built once in {build:.2f} s): {2 * per_s:.0f} solves/s [{2 * per_cpu:.0f}] (best of "
          f"{args.repeat})")
    print(f"rebuilt per sample and experiment: {2 * rebuilt_s:.2f} solves/s [{2 * rebuilt_cpu:.2f}] "
          f"({k} samples; max relative difference to batched {agree:.1e} in capacity/energy, "
          f"{1e3 * margin:.2f} mV in plating margin)")
    print(f"speed-up: {per_s / rebuilt_s:.0f}x [{per_cpu / rebuilt_cpu:.0f}x]")

    t0 = time.perf_counter()
    compiled = FullCell(FullCellSettings(threads=args.threads, compile=True))
    compiled.solve(take(samples, 4))
    ctime = time.perf_counter() - t0
    c_s, c_cpu, cres = rate(compiled, samples, args.repeat)
    cdiff = rel(cres.values["capacity"], res.values["capacity"])
    print(f"batched, AOT-compiled (build + compile {ctime:.1f} s, cached on disk afterwards): {2 * c_s:.0f} "
          f"solves/s [{2 * c_cpu:.0f}]; speed-up over rebuilt {c_s / rebuilt_s:.0f}x [{c_cpu / rebuilt_cpu:.0f}x] "
          f"(max difference to the uncompiled batch {cdiff:.1e})")

    n = args.study_samples
    xs = container_inputs(n, args.seed + 1)
    with Clock() as c:
        out = box.evaluate(xs)
    print(f"{n}-sample evaluation of the full-cell container (structure relations, inventory, both experiments, "
          f"compile='auto'): {c.wall:.1f} s wall-clock, {c.cpu:.1f} CPU s, {box.failure_count} failed; capacity_cell "
          f"{np.nanmean(out['capacity_cell']):.3f} +- {np.nanstd(out['capacity_cell']):.3f} A h, plating margin "
          f"{1e3 * np.nanmean(out['plating_margin']):.1f} +- {1e3 * np.nanstd(out['plating_margin']):.1f} mV")
    print(f"machine: load average {os.getloadavg()[0]:.1f} at the end")


def study(args) -> None:
    """A Monte Carlo of the scenario through both lines, assembly, formation and the full cell."""
    import celltwin as ct
    from celltwin.platform.errors import CelltwinError
    try:
        sc = ct.Scenario.load(args.scenario)
    except CelltwinError as exc:
        print(f"study: scenario {args.scenario!r} does not load ({exc}); not timed")
        return
    if sc.cell != "full-cell":
        print(f"study: scenario {args.scenario!r} has cell = {sc.cell!r}, not 'full-cell'; not timed")
        return
    n = args.study_samples
    with Clock() as c:
        frame = ct.propagate(sc, n=n, seed=args.seed)
    ok = frame["valid"].to_numpy(dtype=bool)
    print(f"{n}-sample Monte Carlo of {sc.name!r} (sampling, both lines, assembly, formation, full cell): "
          f"{c.wall:.1f} s wall-clock, {c.cpu:.1f} CPU s, {int(ok.sum())} valid; specific_energy "
          f"{frame['specific_energy'][ok].mean():.1f} +- {frame['specific_energy'][ok].std():.1f} W h/kg, "
          f"plating margin {1e3 * frame['plating_margin'][ok].mean():.1f} +- "
          f"{1e3 * frame['plating_margin'][ok].std():.1f} mV")


if __name__ == "__main__":
    main()
