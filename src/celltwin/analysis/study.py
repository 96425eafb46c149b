"""The full study of a scenario, as seed 004 §3.4 does it.

1. The nominal chain (and cell model).
2. Monte Carlo: seeded samples of the uncertain inputs through the chain and the cell
   model (:func:`celltwin.analysis.execution.propagate_chunked`); failed samples are kept
   with their reason.
3. Summary statistics and the correlation matrix of the structural parameters that
   feed the cell model (eq. 17).
4. Sensitivity, stage ``process-structure``: ANCOVA of every structural parameter the
   chain computes against the independent uncertain inputs, through the nested chain
   (independent inputs, so S_U = S).
5. Sensitivity, stage ``structure-performance``: ANCOVA of the performance outputs
   against the correlated cell-model inputs (w_AM, w_CA, m_dry, rho_cal), on a PCE fitted
   to the Monte Carlo runs of the cell model, with their joint distribution fitted to
   the same samples (normal marginals, normal copula).
6. The Sankey diagram of both stages and the report.
"""
from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..platform.errors import ParameterError
from ..platform.scenario import Scenario
from ..platform.units import convert
from . import sankey
from .execution import propagate_chunked
from .sensitivity import ancova

CELL_INPUTS = ("w_AM", "w_CA", "m_dry", "rho_cal")
"""Structural parameters that carry the cell model's spread (seed 004, eq. 17; w_PB = 1 - w_AM - w_CA)."""
PERFORMANCE = ("capacity", "energy_density")
QUANTILES = (0.01, 0.05, 0.5, 0.95, 0.99)
STAGES = ("process-structure", "structure-performance")
CHUNK = 100
"""Monte Carlo samples per chain call (the unit of the progress bar)."""


@dataclass
class Study:
    """Everything a study computed; :meth:`save` writes the study folder."""

    scenario: Scenario
    seed: int
    nominal: dict[str, float]
    samples: pd.DataFrame
    statistics: pd.DataFrame
    correlation: pd.DataFrame
    sensitivity: pd.DataFrame
    validation: dict[str, dict]
    cell_distribution: Any = None
    surrogates: dict[str, Any] = field(default_factory=dict)
    discharge: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)
    corrections: dict[str, dict[str, float]] = field(default_factory=dict)
    """Bias corrections the chain's containers applied, by container (e.g. the drying anchor)."""

    # -- views ----------------------------------------------------------------------
    @property
    def n_valid(self) -> int:
        return int(self.samples["valid"].sum())

    def indices(self, stage: str) -> pd.DataFrame:
        """One stage's indices, indexed by (output, input)."""
        table = self.sensitivity[self.sensitivity["stage"] == stage]
        return table.set_index(["output", "input"]).drop(columns="stage")

    def summary(self) -> dict[str, Any]:
        """Flat headline numbers (what ``summary.json`` holds)."""
        out: dict[str, Any] = {"scenario": self.scenario.name, "seed": self.seed, "samples": len(self.samples),
                               "valid_samples": self.n_valid}
        for name in [p for p in PERFORMANCE + CELL_INPUTS if p in self.statistics.index]:
            row = self.statistics.loc[name]
            unit = self.scenario.catalog[name].unit
            out[f"{name}_nominal"] = self.nominal.get(name)
            out[f"{name}_mean"] = row["mean"]
            out[f"{name}_std"] = row["std"]
            out[f"{name}_unit"] = unit
        for stage in STAGES:
            table = self.indices(stage)
            for output in table.index.get_level_values("output").unique():
                S = table.loc[output, "S"].dropna()
                if len(S) and output in PERFORMANCE + CELL_INPUTS:
                    out[f"top_driver_{output}"] = str(S.idxmax())
                    out[f"top_driver_{output}_S"] = float(S.max())
        for output, v in self.validation.items():
            out[f"Q2_{output}"] = v["Q2"]
        for container, info in self.corrections.items():
            out.update({f"{container}_{k}": v for k, v in info.items()})
        out["surrogates_ok"] = all(v["ok"] for v in self.validation.values())
        out["time_total_s"] = round(sum(self.timings.values()), 3)
        return _plain(out)

    def sankey_figure(self):
        """The Sankey of the structural parameters that feed the cell model (seed 004, Fig. 10)."""
        s = self.sensitivity
        keep = ((s["stage"] == "structure-performance")
                | ((s["stage"] == "process-structure") & s["output"].isin(CELL_INPUTS)))
        catalog = self.scenario.catalog
        names = set(s["input"]) | set(s["output"])
        return sankey.figure(sankey.links(s[keep]), {n: catalog[n].domain for n in names if n in catalog},
                             units={n: catalog[n].unit for n in names if n in catalog},
                             title=f"{self.scenario.name}: ANCOVA indices S, process -> structure -> performance")

    def manifest(self) -> dict[str, Any]:
        from importlib.metadata import PackageNotFoundError, version

        versions = {"python": sys.version.split()[0]}
        for pkg in ("celltwin", "numpy", "scipy", "pandas", "openturns", "pybamm", "plotly", "kaleido",
                    "matplotlib", "networkx", "pint"):
            try:
                versions[pkg] = version(pkg)
            except PackageNotFoundError:
                versions[pkg] = None
        if versions["celltwin"] is None:
            from .. import __version__
            versions["celltwin"] = __version__
        return {"scenario": self.scenario.name, "source": self.scenario.source, "seed": self.seed,
                "samples": len(self.samples), "valid_samples": self.n_valid,
                "rejections": self.samples.attrs.get("rejections", {}),
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "platform": platform.platform(), "versions": versions,
                "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
                "surrogates": self.validation, "corrections": self.corrections,
                "cell_input_distribution": _describe(self.cell_distribution)}

    # -- output -----------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write the study folder (see DESIGN.md) and return its path."""
        from .report import write_report

        start = time.perf_counter()
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.samples.to_parquet(out / "samples.parquet")
        self.sensitivity.to_csv(out / "sensitivity.csv", index=False)
        (out / "scenario.toml").write_text(self.scenario.to_toml())
        fig = self.sankey_figure()
        paths = sankey.save(fig, out)
        write_report(self, out / "report.html", sankey_figure=fig)
        self.timings["save"] = time.perf_counter() - start
        manifest = self.manifest()
        manifest["sankey_png_renderer"] = paths["png_renderer"]
        (out / "summary.json").write_text(json.dumps(_plain(self.summary()), indent=1) + "\n")
        (out / "manifest.json").write_text(json.dumps(_plain(manifest), indent=1) + "\n")
        return out


def run_study(scenario: Scenario | str, *, samples: int | None = None, seed: int | None = None,
              progress: bool = True, cell_inputs: Sequence[str] = CELL_INPUTS,
              performance: Sequence[str] = PERFORMANCE, scheduler: Any = None, workers: int | None = None,
              checkpoint: str | Path | None = None, resume: bool = False) -> Study:
    """Run the full study of a scenario (see the module docstring for the steps).

    Parameters
    ----------
    scenario
        A :class:`Scenario` or a built-in name / TOML path.
    samples, seed
        Monte Carlo size and seed; default to the scenario's ``[study]`` table.
    progress
        Show a rich progress bar on the terminal.
    cell_inputs, performance
        The structural inputs and performance outputs of the cell-model stage.
    scheduler, workers, checkpoint, resume
        Scale-out (see :func:`celltwin.analysis.execution.propagate_chunked`): the Monte
        Carlo runs in chunks on a Dask cluster (``scheduler="tcp://HOST:PORT"``) or on
        ``workers`` local processes, each finished chunk written to ``checkpoint``;
        ``resume`` evaluates only the chunks missing there. Same samples for the same seed.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    sc = Scenario.load(scenario) if isinstance(scenario, (str, Path)) else scenario
    n = int(samples if samples is not None else sc.study["samples"])
    seed = int(seed if seed is not None else sc.study["seed"])
    if n < 20:
        raise ParameterError(f"samples = {n} is too few for a study (at least 20; the PCE needs them)")
    timings: dict[str, float] = {}
    columns = [TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn()]
    with Progress(*columns, disable=not progress, transient=False) as bar:
        clock = time.perf_counter()
        chain = sc.build_chain()
        nominal = dict(chain.evaluate(sc.nominal()))
        timings["nominal"] = time.perf_counter() - clock

        clock = time.perf_counter()
        task = bar.add_task(f"Monte Carlo through the chain{' and ' + sc.cell if sc.cell else ''}", total=n)
        # --- scale-out hook (celltwin.analysis.execution) ---
        # In this process by default (workers=1): the cell model's solver already uses both
        # cores. Failed cell simulations come back as invalid rows with their reason.
        frame = propagate_chunked(sc, n, seed, chunk_size=CHUNK, scheduler=scheduler,
                                  workers=1 if workers is None and scheduler is None else workers,
                                  checkpoint=checkpoint, resume=resume,
                                  progress=lambda k, total: bar.update(task, completed=n * k // total))
        # --- end scale-out hook ---
        timings["monte_carlo"] = time.perf_counter() - clock

        clock = time.perf_counter()
        valid = frame[frame["valid"]]
        statistics = summary_statistics(valid, [c for c in frame.columns if c in sc.catalog])
        present = [p for p in cell_inputs if p in valid]
        correlation = valid[present].corr()
        timings["statistics"] = time.perf_counter() - clock

        task = bar.add_task("ANCOVA: process -> structure (nested chain)", total=1)
        clock = time.perf_counter()
        stage_a = process_structure(sc, max(n, 1000), seed)
        timings["ancova_process_structure"] = time.perf_counter() - clock
        bar.advance(task)

        outputs = [p for p in performance if p in valid]
        tables, validation, surrogates, dist = [stage_a], dict(stage_a.attrs["validation"]), {}, None
        if outputs:
            task = bar.add_task("PCE + ANCOVA: structure -> performance", total=1)
            clock = time.perf_counter()
            varying = [p for p in present if valid[p].std() > 1e-12 * abs(valid[p].mean())]  # a fixed input has no share
            stage_b, dist, surrogates = structure_performance(valid, varying, outputs, seed)
            timings["ancova_structure_performance"] = time.perf_counter() - clock
            bar.advance(task)
            tables.append(stage_b)
            validation.update(stage_b.attrs["validation"])
        discharge = None
        if sc.cell:
            clock = time.perf_counter()
            discharge = discharge_curve(sc, chain, nominal)
            timings["discharge_curve"] = time.perf_counter() - clock
    sensitivity = pd.concat(tables, ignore_index=True)
    return Study(scenario=sc, seed=seed, nominal=nominal, samples=frame, statistics=statistics,
                 correlation=correlation, sensitivity=sensitivity, validation=validation,
                 cell_distribution=dist, surrogates=surrogates, discharge=discharge, timings=timings,
                 corrections={c.name: info for c in chain.containers if (info := c.corrections())})


def summary_statistics(frame: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Mean, std and the 1/5/50/95/99 % quantiles of every varying column."""
    names = [c for c in names if frame[c].std() > 1e-12 * abs(frame[c].mean())]  # constants drop out
    stats = pd.DataFrame({"mean": frame[names].mean(), "std": frame[names].std()})
    for q in QUANTILES:
        stats[f"q{round(100 * q):02d}"] = frame[names].quantile(q)
    stats.index.name = "parameter"
    return stats


def nested_chain(sc: Scenario, outputs: Sequence[str]):
    """The chain (without cell model) as f: uncertain inputs (N, d) -> outputs (N, k).

    Other inputs stay at their nominal values; the balance mass fraction is closed in
    every row, as in the Monte Carlo samples.
    """
    chain = sc.build_chain(with_cell=False)
    names = list(sc.uncertain)
    nominal = sc.nominal()

    def f(X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        values = {k: np.full(len(X), v) for k, v in nominal.items()}
        values.update({name: X[:, i] for i, name in enumerate(names)})
        res = chain.evaluate(sc.close_balance(values), on_invalid="mask")
        return np.column_stack([res[o] for o in outputs])

    return f


def process_structure(sc: Scenario, n: int, seed: int) -> pd.DataFrame:
    """Stage (a): ANCOVA of every computed structural parameter against the uncertain inputs.

    The inputs follow the scenario's joint distribution (its correlations included);
    production-segment offsets and drifts are not part of it: they shift the Monte Carlo
    sample, not the sensitivity of the chain to the inputs' spread.
    """
    chain = sc.build_chain(with_cell=False)
    outputs = [o for o in chain.outputs if sc.catalog[o].domain == "structural"]
    df = ancova(nested_chain(sc, outputs), sc.distribution(), n=n, seed=seed, output_names=outputs)
    return _long(df, "process-structure")


def fit_joint(sample: pd.DataFrame):
    """Joint distribution of correlated samples: normal marginals and a normal copula.

    The copula's correlation comes from the sample's Spearman rank correlation
    (OpenTURNS ``NormalCopulaFactory``).
    """
    import openturns as ot

    data = ot.Sample(sample.to_numpy(dtype=float))
    marginals = [ot.NormalFactory().build(data.getMarginal(j)) for j in range(data.getDimension())]
    joint = ot.JointDistribution(marginals, ot.NormalCopulaFactory().build(data))
    joint.setDescription(list(sample.columns))
    return joint


def structure_performance(valid: pd.DataFrame, inputs: Sequence[str], outputs: Sequence[str],
                          seed: int) -> tuple[pd.DataFrame, Any, dict]:
    """Stage (b): ANCOVA of the performance outputs on a PCE of the Monte Carlo cell runs."""
    X = valid[list(inputs)]
    dist = fit_joint(X)
    surrogates: dict = {}
    df = ancova(None, dist, X=X, Y=valid[list(outputs)], seed=seed, surrogates=surrogates)
    return _long(df, "structure-performance"), dist, surrogates


def discharge_curve(sc: Scenario, chain, nominal: dict[str, float]) -> pd.DataFrame | None:
    """Discharge curve (time_s, capacity, voltage) of the nominal cell, if its container draws one."""
    cell = chain.container(sc.cell)
    curves = getattr(cell, "discharge_curves", None)
    if curves is None:
        return None
    values = {p: convert(nominal[p], sc.catalog[p].unit, unit) for p, unit in cell.inputs().items()}
    return curves(values)[0]


def _long(df: pd.DataFrame, stage: str) -> pd.DataFrame:
    table = df.reset_index()
    table["stage"] = stage
    table = table[["output", "input", "S", "S_U", "S_C", "Q2", "stage"]]
    table.attrs = dict(df.attrs)
    return table


def _describe(dist) -> dict | None:
    """The fitted joint distribution of the cell inputs: normal marginals and copula correlation."""
    if dist is None:
        return None
    names = [str(n) for n in dist.getDescription()]
    marginals = {n: {"distribution": "normal", "mean": dist.getMarginal(i).getMean()[0],
                     "std": dist.getMarginal(i).getStandardDeviation()[0]} for i, n in enumerate(names)}
    shape = dist.getCopula().getShapeMatrix()
    return {"marginals": marginals, "copula": "normal",
            "correlation": [[shape[i, j] for j in range(len(names))] for i in range(len(names))]}


def _plain(obj):
    """JSON-safe copy: numpy scalars to Python, NaN to None."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
