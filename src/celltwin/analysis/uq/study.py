"""The full study of a scenario, as seed 004 §3.4 does it.

1. The nominal chain (and cell model).
2. Monte Carlo: seeded samples of the uncertain inputs through the chain and the cell
   model (:func:`celltwin.analysis.uq.sampling.monte_carlo`); failed samples are kept
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
6. :meth:`Study.save` writes the study folder; the figures and the report are written by
   the artifact writers that :mod:`celltwin.report` registers (:func:`artifact`), so this
   module draws nothing and imports nothing above the analysis floor.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..._version import __version__
from ...containers.scenario import ElectrodeScenario
from ...metamodels.pce import Q2_THRESHOLD
from ...platform.chain import ProcessChain
from ...platform.errors import ExtrapolationWarning, ParameterError
from ...platform.execution import check_scheduler
from ...platform.scenario import Scenario
from ..design.targets import with_targets
from .discharge import sampled_curves, study_band
from .rates import rate_sensitivity
from .sampling import Propagation, monte_carlo, preflight
from .sensitivity import SensitivityResult, ancova, bootstrap, convergence

CELL_INPUTS = ("w_AM", "w_CA", "m_dry", "rho_cal")
"""Structural parameters that carry the cell model's spread (seed 004, eq. 17; w_PB = 1 - w_AM - w_CA)."""
PERFORMANCE = ("capacity", "energy_density")
QUANTILES = (0.01, 0.05, 0.5, 0.95, 0.99)
STAGES = ("process-structure", "structure-performance")
CHUNK = 100
"""Monte Carlo samples per chain call (the unit of progress)."""
MAX_REJECTED = 0.5
"""A study whose pilot run rejects more than this share of samples is refused before it runs."""
BOOTSTRAP = 50
"""Bootstrap replicates of the indices of the cell inputs, the specified and the performance outputs."""
BAND_CURVES = 100
"""Monte Carlo cells discharged for the spread band of the discharge curve."""

StudyProgress = Callable[[str, int, int], None]
"""A progress callback: ``(stage description, done, total)``."""

#: functions that write a study's figures and report into its folder (see :func:`artifact`)
ARTIFACTS: list[Callable[[Study, Path], dict]] = []


def artifact(writer: Callable[[Study, Path], dict]) -> Callable[[Study, Path], dict]:
    """Register ``writer(study, folder) -> record`` to run on every :meth:`Study.save`
    (:mod:`celltwin.report` registers the Sankey and the HTML report). The record goes into
    the manifest."""
    if writer not in ARTIFACTS:
        ARTIFACTS.append(writer)
    return writer


@dataclass
class Study:
    """Everything a study computed; :meth:`save` writes the study folder.

    Every number is in its parameter's catalog unit: ``units`` maps each sample column to it,
    ``statistics`` carries a ``unit`` column, ``discharge_units`` names the discharge curve's.

    What it holds: ``scenario`` (as resolved) and ``seed``; ``nominal`` (every parameter of the
    nominal chain and cell); ``monte_carlo`` (a :class:`Propagation`: the sample rows with
    ``valid``/``rejected``, counts of rejections and failures, how the run went), also as
    ``samples``; ``statistics`` (mean, std, 1/5/50/95/99 % quantiles of every varying column of
    the valid samples); ``correlation`` (eq. 17, of the cell model's inputs); ``sensitivity``
    (ANCOVA indices S, S_U, S_C with the PCE's Q² per stage, output and input; one stage as a
    table with :meth:`indices`); ``validation`` (each surrogate's leave-one-out Q²);
    ``discharge`` (the nominal cell's curve); ``warnings`` (validity limits met on the way);
    ``timings`` (s per step). :meth:`summary` gives the headline numbers, :meth:`save` the folder.
    """

    scenario: Scenario
    seed: int
    nominal: dict[str, float]
    monte_carlo: Propagation
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
    warnings: list[dict[str, Any]] = field(default_factory=list)
    """Validity limits met on the way (rejected samples, doubtful settings), as records."""
    rates: pd.DataFrame | None = None
    """Structure -> performance indices per current density (``[study] current_densities``)."""
    index_intervals: pd.DataFrame | None = None
    """Bootstrap intervals of the indices (stage, output, input, S, S_low, S_high, S_boot_std, n_boot)."""
    index_convergence: pd.DataFrame | None = None
    """The indices refitted on growing subsamples (stage, output, input, n, S, Q2, degree)."""
    discharge_band: pd.DataFrame | None = None
    """Capacity quantiles (5/50/95 %) at each voltage over ``band_curves`` Monte Carlo cells."""
    band_curves: int = 0

    # -- views ----------------------------------------------------------------------
    @property
    def samples(self) -> pd.DataFrame:
        """The Monte Carlo rows (inputs, outputs, ``valid``, ``rejected``)."""
        return self.monte_carlo.frame

    @property
    def n_valid(self) -> int:
        return self.monte_carlo.n_valid

    @property
    def units(self) -> dict[str, str]:
        """Catalog unit of every parameter column."""
        return dict(self.monte_carlo.units)

    def indices(self, stage: str) -> pd.DataFrame:
        """One stage's indices, indexed by (output, input)."""
        table = self.sensitivity[self.sensitivity["stage"] == stage]
        return table.set_index(["output", "input"]).drop(columns="stage")

    # -- in a notebook: short views (the scenario's catalog stays out) ---------------------------
    @property
    def discharge_units(self) -> dict[str, str]:
        """Units of the columns of ``discharge`` (the cell model's curve: time, capacity, voltage)."""
        from ...cellmodel.halfcell import DISCHARGE_UNITS

        return dict(DISCHARGE_UNITS)

    def __repr__(self) -> str:
        return (f"Study({self.scenario.name!r}: {len(self.samples)} samples, {self.n_valid} valid, seed {self.seed}; "
                f"{len(self.sensitivity)} indices, {len(self.warnings)} warnings)")

    def key_statistics(self) -> pd.DataFrame:
        """Nominal, mean, std, 5 and 95 % quantiles and unit of the performance outputs and the cell's inputs."""
        names = [p for p in PERFORMANCE + CELL_INPUTS if p in self.statistics.index]
        table = self.statistics.loc[names, ["mean", "std", "q05", "q95"]].copy()
        table.insert(0, "nominal", [self.nominal.get(n, math.nan) for n in names])
        table["unit"] = [self.units.get(n, "") for n in names]
        return table

    def top_drivers(self) -> pd.DataFrame:
        """Per output of the key statistics, its largest index of each stage (input, S)."""
        rows = []
        for stage in STAGES:
            table = self.indices(stage)
            outputs = table.index.get_level_values("output").unique()
            for output in [o for o in outputs if o in PERFORMANCE + CELL_INPUTS]:
                S = table.loc[output, "S"].dropna()
                if len(S):
                    rows.append({"stage": stage, "output": output, "top input": str(S.idxmax()), "S": float(S.max())})
        return pd.DataFrame(rows, columns=["stage", "output", "top input", "S"])

    def _repr_html_(self) -> str:
        import html

        fmt = {"float_format": lambda v: f"{v:.5g}"}
        warn = (f"<br>{len(self.warnings)} warnings: " + "; ".join(html.escape(w["message"]) for w in self.warnings[:3])
                + (" …" if len(self.warnings) > 3 else "")) if self.warnings else ""
        return (f"<b>{html.escape(repr(self))}</b>{warn}" + self.key_statistics().to_html(**fmt)
                + self.top_drivers().to_html(index=False, **fmt))

    def summary(self) -> dict[str, Any]:
        """Headline numbers (flat) and the ``warnings`` list of records: what ``summary.json`` holds."""
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
        out["warnings"] = list(self.warnings)
        out["time_total_s"] = round(sum(self.timings.values()), 3)
        return _plain(out)

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
            versions["celltwin"] = __version__
        return {"scenario": self.scenario.name, "source": self.scenario.source, "seed": self.seed,
                "samples": len(self.samples), "valid_samples": self.n_valid,
                "rejections": self.monte_carlo.rejections, "failures": self.monte_carlo.failures,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "platform": platform.platform(), "versions": versions,
                "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
                "surrogates": self.validation, "corrections": self.corrections, "warnings": self.warnings,
                "cell_input_distribution": _describe(self.cell_distribution)}

    # -- output -----------------------------------------------------------------------
    def save(self, directory: str | Path, *, overwrite: bool = False) -> Path:
        """Write the study folder and return its path.

        The folder is written aside and swapped into place in one step, so an interrupted
        save leaves either the old folder or the new one, whole. A folder that already
        holds a study is replaced only with ``overwrite``; files in it that the new study
        does not write (a user's notes, resume chunks) are kept.
        """
        start = time.perf_counter()
        out = check_folder(directory, overwrite=overwrite)
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_dead_saves(out)
        tmp = out.with_name(f".{out.name}.saving-{os.getpid()}")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        self.samples.to_parquet(tmp / "samples.parquet")
        self.sensitivity.to_csv(tmp / "sensitivity.csv", index=False)
        if self.rates is not None:
            self.rates.to_csv(tmp / "sensitivity_rates.csv", index=False)
        if self.index_intervals is not None:
            self.index_intervals.to_csv(tmp / "sensitivity_intervals.csv", index=False)
            self.index_convergence.to_csv(tmp / "sensitivity_convergence.csv", index=False)
        (tmp / "scenario.toml").write_text(self.scenario.to_toml())
        records = {}
        for writer in ARTIFACTS:
            records.update(writer(self, tmp) or {})
        self.timings["save"] = time.perf_counter() - start
        manifest = {**self.manifest(), **records}
        (tmp / "summary.json").write_text(json.dumps(_plain(self.summary()), indent=1) + "\n")
        (tmp / "manifest.json").write_text(json.dumps(_plain(manifest), indent=1) + "\n")
        _replace_folder(tmp, out)
        return out


#: files of a study folder (what :meth:`Study.save` writes; a folder holding any is a study)
STUDY_FILES = ("summary.json", "manifest.json", "samples.parquet", "sensitivity.csv", "scenario.toml",
               "report.html", "sankey.html", "sankey.png")


def check_folder(directory: str | Path, *, overwrite: bool = False, resume: bool = False) -> Path:
    """Refuse, before any work, a study folder that cannot be written: a regular file, a folder
    that is not writable, or one that already holds a study (unless ``overwrite`` or ``resume``)."""
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"output folder {str(out)!r} is a file, not a folder", parameter="output",
                             path=str(out))
    probe = out if out.is_dir() else next((p for p in out.parents if p.exists()), Path("."))
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ParameterError(f"output folder {str(out)!r} cannot be written ({str(probe)!r} is not writable)",
                             parameter="output", path=str(out))
    if out.is_dir() and not (overwrite or resume) and any((out / f).exists() for f in STUDY_FILES):
        raise ParameterError(f"output folder {str(out)!r} already holds a study; choose another folder, or "
                             "replace it with overwrite (files celltwin did not write are kept)",
                             parameter="overwrite", path=str(out))
    return out


@contextlib.contextmanager
def folder_lock(directory: str | Path) -> Iterator[Path]:
    """Hold a study folder for one run: a second run into the same folder is refused at once
    instead of mixing files (an advisory ``flock`` on ``.NAME.lock`` beside the folder)."""
    import fcntl

    out = Path(directory)
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_path = out.with_name(f".{out.name}.lock")
    with open(lock_path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ParameterError(f"output folder {str(out)!r} is in use by another celltwin run (lock "
                                 f"{str(lock_path)!r}); wait for it or choose another folder",
                                 parameter="output", path=str(out)) from None
        try:
            yield out
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _replace_folder(new: Path, target: Path) -> None:
    """Put the finished folder ``new`` at ``target`` in one step. Files of an old folder that
    the new study does not write (e.g. a user's notes, resume chunks) are moved over first,
    never deleted; then the two folders are exchanged atomically (Linux ``renameat2``) and
    the old one removed. Where the exchange is not available, two renames are used."""
    if not target.exists():
        os.replace(new, target)
        return
    for item in target.iterdir():  # hard links: a kill before the exchange leaves them in the old folder too
        if not (new / item.name).exists():
            if item.is_dir() and not item.is_symlink():
                shutil.copytree(item, new / item.name, copy_function=os.link, symlinks=True)
            else:
                os.link(item, new / item.name, follow_symlinks=False)
    if _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the old study
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def _remove_dead_saves(out: Path) -> None:
    """Remove what a killed save left beside the folder (``.NAME.saving-PID``, ``.NAME.old-PID``
    of a process that no longer runs): the study in the folder itself is whole either way."""
    for p in out.parent.glob(f".{out.name}.*-*"):
        kind, _, pid = p.name[len(out.name) + 2:].partition("-")
        if kind in ("saving", "old") and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with ``renameat2(RENAME_EXCHANGE)``; False where unsupported.
    Python's os module has no exchange (os.replace cannot replace a non-empty folder), hence ctypes."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def run_study(scenario: Scenario | str, *, samples: int | None = None, seed: int | None = None,
              progress: StudyProgress | None = None, cell_inputs: Sequence[str] = CELL_INPUTS,
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
        Called as ``progress(stage, done, total)`` while the study runs (the CLI draws a bar).
    cell_inputs, performance
        The structural inputs and performance outputs of the cell-model stage.
    scheduler, workers, checkpoint, resume
        Scale-out (see :func:`celltwin.analysis.uq.sampling.monte_carlo`): the Monte
        Carlo runs in chunks on a Dask cluster (``scheduler="tcp://HOST:PORT"``) or on
        ``workers`` local processes, each finished chunk written to ``checkpoint``;
        ``resume`` evaluates only the chunks missing there. Same samples for the same seed.
    """
    check_scheduler(scheduler)  # before any work
    sc = with_targets(ElectrodeScenario.resolve(scenario))  # [targets] solved first (an unreachable one fails here)
    if isinstance(sc, ElectrodeScenario):  # with lines: both lines' structures and the cell's outputs
        cell_inputs, performance = sc.cell_stage(cell_inputs, performance)
    if tuple(cell_inputs) == CELL_INPUTS and sc.balance is not None:
        # the formulation's free mass fractions (e.g. a solid electrolyte's w_SE), never the balance
        free = [f"w_{c}" for c in sc.components]
        cell_inputs = [p for p in dict.fromkeys([*free, *cell_inputs]) if p != sc.balance]
    n = int(samples if samples is not None else sc.study["samples"])
    seed = int(seed if seed is not None else sc.study["seed"])
    if n < 20:
        raise ParameterError(f"samples = {n} is too few for a study (at least 20; the PCE needs them)",
                             parameter="samples", value=n, valid="[20, inf)")
    # built once: the full chain for the nominal point, its process part for the pilot, the
    # nested chain of the sensitivity stage and the design spaces (the Monte Carlo workers build their own)
    chain = sc.build_chain()
    process = ProcessChain([c for c in chain.containers if c.name != sc.cell], sc.given, sc.catalog)
    # the PCE of the process -> structure stage trains on max(n, 1000) samples, up to degree 3
    d = len(sc.uncertain)
    check = preflight(sc, n, seed=seed, warn=False, chain=process,
                      extra_bytes_per_sample=16.0 * math.comb(d + 3, 3) * max(1.0, 1000 / n))
    if check.rejected > MAX_REJECTED:
        reason = max(check.reasons.items(), key=lambda kv: kv[1])[0]
        raise ParameterError(f"{100 * check.rejected:.3g} % of a {check.pilot}-sample pilot run are rejected by "
                             f"the chain (most for '{reason}'): a study of such a line would describe the "
                             "rejections, not the line; narrow the spreads", parameter=reason.split(" ")[0],
                             value=round(check.rejected, 4))
    report = progress or (lambda stage, done, total: None)
    with warnings.catch_warnings(record=True) as caught:
        # the study reports what Python warnings would print once per chunk: as records in `warnings`
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ExtrapolationWarning)  # counted from the samples instead (all backends)
        study = _run(sc, chain, process, n, seed, report, cell_inputs, performance, scheduler, workers, checkpoint,
                     resume)
    study.warnings = ([w.as_dict() for w in check.warnings] + _anchors(study) + _extrapolation(study, chain)
                      + _rejection_warnings(study.monte_carlo) + _surrogate_warnings(study) + _other_warnings(caught)
                      + (sc.report_notes(chain) if isinstance(sc, ElectrodeScenario) else []))
    return study


def _run(sc, chain, process, n, seed, report, cell_inputs, performance, scheduler, workers, checkpoint,
         resume) -> Study:
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    nominal = dict(chain.evaluate(sc.nominal()))
    timings["nominal"] = time.perf_counter() - clock

    clock = time.perf_counter()
    stage = f"Monte Carlo through the chain{' and ' + sc.cell if sc.cell else ''}"
    # In this process by default (workers=1): the cell model's solver already uses both
    # cores. Failed cell simulations come back as invalid rows with their reason.
    mc = monte_carlo(sc, n, seed, chunk_size=CHUNK, scheduler=scheduler,
                     workers=1 if workers is None and scheduler is None else workers,
                     checkpoint=checkpoint, resume=resume, checks=False,
                     progress=lambda k, total: report(stage, n * k // total, n))
    timings["monte_carlo"] = time.perf_counter() - clock

    clock = time.perf_counter()
    frame = mc.frame
    valid = frame[frame["valid"]]
    statistics = summary_statistics(valid, [c for c in frame.columns if c in sc.catalog], units=mc.units)
    present = [p for p in cell_inputs if p in valid]
    correlation = valid[present].corr()
    timings["statistics"] = time.perf_counter() - clock

    stage = "ANCOVA: process -> structure (nested chain)"
    report(stage, 0, 1)
    clock = time.perf_counter()
    stage_a = process_structure(sc, max(n, 1000), seed, process, keep=cell_inputs)
    timings["ancova_process_structure"] = time.perf_counter() - clock
    report(stage, 1, 1)

    outputs = [p for p in performance if p in valid]
    tables, validation, surrogates, dist = [_long(stage_a, "process-structure")], dict(stage_a.validation), {}, None
    if outputs:
        stage = "PCE + ANCOVA: structure -> performance"
        report(stage, 0, 1)
        clock = time.perf_counter()
        varying = [p for p in present if valid[p].std() > 1e-12 * abs(valid[p].mean())]  # a fixed input has no share
        stage_b, dist = structure_performance(valid, varying, outputs, seed)
        timings["ancova_structure_performance"] = time.perf_counter() - clock
        report(stage, 1, 1)
        tables.append(_long(stage_b, "structure-performance"))
        validation.update(stage_b.validation)
        surrogates = dict(stage_b.surrogates)
    stage = "bootstrap intervals and convergence of the indices"
    report(stage, 0, 1)
    clock = time.perf_counter()
    shown = list(dict.fromkeys([*cell_inputs, *sc.specs]))  # the process -> structure outputs the report shows
    intervals = [_stage(bootstrap(stage_a, n_boot=BOOTSTRAP, seed=seed, outputs=shown), "process-structure")]
    converging = [convergence(stage_a, seed=seed, outputs=shown).assign(stage="process-structure")]
    if outputs:
        intervals.append(_stage(bootstrap(stage_b, n_boot=BOOTSTRAP, seed=seed), "structure-performance"))
        converging.append(convergence(stage_b, seed=seed).assign(stage="structure-performance"))
    timings["index_intervals"] = time.perf_counter() - clock
    report(stage, 1, 1)
    rates = None
    if outputs and sc.study.get("current_densities"):
        stage = "PCE + ANCOVA per current density"
        clock = time.perf_counter()
        rates = rate_sensitivity(sc, valid, varying, outputs, sc.study["current_densities"], seed,
                                 structure_performance, progress=lambda k, total: report(stage, k, total))
        timings["rates"] = time.perf_counter() - clock
    discharge, band, band_curves = None, None, 0
    if sc.cell:
        clock = time.perf_counter()
        discharge = discharge_curve(sc, chain, nominal)
        timings["discharge_curve"] = time.perf_counter() - clock
        if discharge is not None:
            clock = time.perf_counter()
            band, band_curves = study_band(sc, chain, valid, BAND_CURVES)
            timings["discharge_band"] = time.perf_counter() - clock
    sensitivity = pd.concat(tables, ignore_index=True)
    return Study(scenario=sc, seed=seed, nominal=nominal, monte_carlo=mc, statistics=statistics,
                 correlation=correlation, sensitivity=sensitivity, validation=validation,
                 cell_distribution=dist, surrogates=surrogates, discharge=discharge, timings=timings,
                 corrections={c.name: info for c in chain.containers if (info := c.corrections())}, rates=rates,
                 index_intervals=pd.concat(intervals, ignore_index=True),
                 index_convergence=pd.concat(converging, ignore_index=True)[
                     ["stage", "output", "input", "n", "S", "Q2", "degree"]],
                 discharge_band=band, band_curves=band_curves)


def _extrapolation(study: Study, chain: ProcessChain) -> list[dict[str, Any]]:
    """Samples outside a container's design space (e.g. the drying metamodel's loadings)."""
    frame, catalog = study.samples, study.scenario.catalog
    out = []
    for container, space in chain.design_spaces().items():
        for p, (lo, hi) in space.items():
            if p not in frame:
                continue
            v = frame[p].to_numpy(dtype=float)
            bad = (v < lo * (1 - 1e-9)) | (v > hi * (1 + 1e-9))
            if bad.any():
                unit = catalog[p].unit
                out.append({"kind": "extrapolation", "container": container, "input": p, "unit": unit,
                            "design_range": [lo, hi], "samples": int(bad.sum()), "of": len(v),
                            "lowest": float(v[bad].min()), "highest": float(v[bad].max()),
                            "message": f"{int(bad.sum())} of {len(v)} samples extrapolate the {container} "
                                       f"container: {p} from {v[bad].min():.4g} to {v[bad].max():.4g} {unit}, "
                                       f"outside its design range [{lo:.4g}, {hi:.4g}] {unit}"})
    return out


def _anchors(study: Study) -> list[dict[str, Any]]:
    """Bias corrections the containers applied (e.g. the drying metamodel anchored to a measured point)."""
    return [{"kind": "anchor", "container": name, **info,
             "message": f"the {name} container is anchored to a measured point: "
                        + ", ".join(f"{k} = {v:.4g}" for k, v in info.items())}
            for name, info in study.corrections.items()]


def _surrogate_warnings(study: Study) -> list[dict[str, Any]]:
    return [{"kind": "surrogate", "output": name, "Q2": v["Q2"],
             "message": f"the PCE of {name} has leave-one-out Q2 = {v['Q2']:.3f} < {Q2_THRESHOLD}: its "
                        "sensitivity indices are unreliable"} for name, v in study.validation.items() if not v["ok"]]


def _other_warnings(caught) -> list[dict[str, Any]]:
    """Any other warning raised while the study ran, once per kind and message, with its count."""
    from .sensitivity import SurrogateWarning

    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for w in caught:
        if issubclass(w.category, SurrogateWarning):
            continue  # reported from the validation
        key = (w.category.__name__, str(w.message))
        rec = seen.setdefault(key, {"kind": w.category.__name__, "message": str(w.message), "count": 0})
        rec["count"] += 1
    return list(seen.values())


def _rejection_warnings(mc: Propagation) -> list[dict[str, Any]]:
    """The samples the run rejected or lost, by reason, as warning records."""
    out = [{"kind": "rejected-samples", "message": f"{count} of {mc.n} samples rejected: {reason}",
            "reason": reason, "count": int(count)} for reason, count in mc.rejections.items()]
    out += [{"kind": "failed-samples", "message": f"{count} of {mc.n} samples failed: {reason}",
             "reason": reason, "count": int(count)} for reason, count in mc.failures.items()]
    return out


def summary_statistics(frame: pd.DataFrame, names: Sequence[str],
                       units: dict[str, str] | None = None) -> pd.DataFrame:
    """Mean, std and the 1/5/50/95/99 % quantiles of every varying column; with ``units``, a last
    ``unit`` column (the catalog unit every number of the row is in)."""
    names = [c for c in names if frame[c].std() > 1e-12 * abs(frame[c].mean())]  # constants drop out
    stats = pd.DataFrame({"mean": frame[names].mean(), "std": frame[names].std()})
    for q in QUANTILES:
        stats[f"q{round(100 * q):02d}"] = frame[names].quantile(q)
    if units is not None:
        stats["unit"] = [units.get(c, "") for c in names]
    stats.index.name = "parameter"
    return stats


def process_structure(sc: Scenario, n: int, seed: int, chain: ProcessChain | None = None, *,
                      keep: Sequence[str] = ()) -> SensitivityResult:
    """Stage (a): ANCOVA of every computed structural parameter against the uncertain inputs,
    through the nested chain (other inputs at their nominal values, the balance closed in
    every row, as in the Monte Carlo samples).

    The inputs follow the scenario's joint distribution (its correlations included);
    production-segment offsets and drifts are not part of it: they shift the Monte Carlo
    sample, not the sensitivity of the chain to the inputs' spread.
    """
    chain = chain or sc.build_chain(with_cell=False)
    outputs = [o for o in chain.outputs if sc.catalog[o].domain == "structural"]
    if isinstance(sc, ElectrodeScenario):  # with lines: where they meet, not every intermediate of both
        outputs = sc.structure_outputs(outputs, keep)
    f = chain.function(list(sc.uncertain), outputs, fixed=sc.nominal(), complete=sc.close_balance)
    return ancova(f, sc.distribution(), n=n, seed=seed, output_names=outputs)


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
                          seed: int) -> tuple[SensitivityResult, Any]:
    """Stage (b): ANCOVA of the performance outputs on a PCE of the Monte Carlo cell runs,
    under the inputs' joint distribution fitted to the same runs."""
    X = valid[list(inputs)]
    dist = fit_joint(X)
    return ancova(None, dist, X=X, Y=valid[list(outputs)], seed=seed), dist


def discharge_curve(sc: Scenario, chain, nominal: dict[str, float]) -> pd.DataFrame | None:
    """Discharge curve (time_s, capacity, voltage) of the nominal cell, if its container draws one."""
    curves = sampled_curves(sc, chain, pd.DataFrame([nominal]))
    return None if curves is None else curves[0]


def _stage(table: pd.DataFrame, stage: str) -> pd.DataFrame:
    """A (output, input)-indexed table as long rows with the stage first."""
    out = table.reset_index()
    out.insert(0, "stage", stage)
    return out


def _long(result: SensitivityResult, stage: str) -> pd.DataFrame:
    table = result.indices.reset_index()
    table["stage"] = stage
    return table[["output", "input", "S", "S_U", "S_C", "Q2", "stage"]]


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
