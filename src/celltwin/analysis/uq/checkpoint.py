"""Checkpoints of a running study: one Parquet file per finished chunk and a manifest.

A chunk file is written under a temporary name and renamed into place, so a run killed
at any moment leaves only whole chunks behind. The manifest records the plan (scenario
fingerprint, samples, seed, method, chunk size); a resumed run must match it, otherwise
its chunks would come from a different sample.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ...platform.errors import ScenarioError

CHUNK_FILE = re.compile(r"^chunk-(\d{6})\.parquet$")


@dataclass
class ChunkResult:
    """One evaluated chunk: the rows (inputs, outputs, ``valid``, ``rejected``) and its record."""

    index: int
    frame: pd.DataFrame
    rejections: dict[str, int]
    step_seconds: dict[str, float]
    failures: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    worker: str = ""


class Checkpoint:
    """Finished chunks of one study, in ``FOLDER/chunks/``."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder) / "chunks"
        self.manifest_path = self.folder / "manifest.json"

    # -- the plan ---------------------------------------------------------------------
    def manifest(self) -> dict[str, Any] | None:
        if not self.manifest_path.exists():
            return None
        return json.loads(self.manifest_path.read_text())

    def start(self, plan: dict[str, Any], *, resume: bool = False) -> list[int]:
        """Begin (or resume) a run; returns the indices of the chunks already done.

        Without ``resume`` any earlier chunks in the folder are removed. With it, the
        plan must equal the recorded one; every difference is reported at once.
        """
        old = self.manifest()
        if resume and old is not None:
            diff = [f"{k}: checkpoint has {old['plan'].get(k)!r}, this run {v!r}"
                    for k, v in plan.items() if old["plan"].get(k) != v]
            if diff:
                raise ScenarioError(f"cannot resume from {self.folder}: the run differs from the interrupted one\n"
                                    + "\n".join(f"  - {d}" for d in diff))
            for leftover in self.folder.glob("*.tmp"):  # a chunk being written when the run died
                leftover.unlink()
            done = self.done()
            old["resumed"] = old.get("resumed", []) + [{"at": time.time(), "chunks_found": len(done)}]
            old["status"] = "running"
            self._write_manifest(old)
            return done
        self.discard()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write_manifest({"plan": plan, "status": "running", "created": time.time(), "resumed": []})
        return []

    def done(self) -> list[int]:
        """Indices of the chunks on disk."""
        if not self.folder.exists():
            return []
        return sorted(int(m.group(1)) for p in self.folder.iterdir() if (m := CHUNK_FILE.match(p.name)))

    def finish(self) -> None:
        m = self.manifest() or {}
        m.update(status="complete", finished=time.time())
        self._write_manifest(m)

    def discard(self) -> None:
        """Remove the chunks and the manifest (and the folder, once empty): only files a
        checkpoint writes, never anything else a user put there."""
        if not self.folder.is_dir():
            return
        for p in self.folder.iterdir():
            if CHUNK_FILE.match(p.name) or p.name == "manifest.json" or p.name.endswith((".tmp", ".damaged")):
                p.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.folder.rmdir()

    # -- chunks -----------------------------------------------------------------------
    def path(self, index: int) -> Path:
        return self.folder / f"chunk-{index:06d}.parquet"

    def write(self, result) -> Path:
        """Write one :class:`ChunkResult` atomically."""
        frame = result.frame.copy()
        frame.attrs = {"chunk": {"index": result.index, "rejections": result.rejections,
                                 "step_seconds": result.step_seconds, "failures": result.failures,
                                 "seconds": result.seconds, "worker": result.worker}}
        final = self.path(result.index)
        tmp = final.with_name(final.name + f".{os.getpid()}.tmp")
        frame.to_parquet(tmp)
        with open(tmp, "rb") as fh:  # on disk before the rename: a power loss leaves no empty chunk
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        return final

    def read(self, index: int, rows: int | None = None) -> ChunkResult | None:
        """A chunk written earlier, or None when its file is damaged or is not that chunk (its
        recorded index or row count differ): the file is moved aside (``.damaged``) and the
        chunk is computed again."""
        path = self.path(index)
        try:
            frame = pd.read_parquet(path)
            meta = frame.attrs.get("chunk", {})
            ok = meta.get("index") == index and (rows is None or len(frame) == rows)
        except Exception:  # noqa: BLE001 - pyarrow raises its own kinds for a damaged file
            ok = False
        if not ok:
            os.replace(path, path.with_name(path.name + ".damaged"))
            return None
        frame.attrs = {}
        return ChunkResult(index, frame, meta.get("rejections", {}), meta.get("step_seconds", {}),
                           meta.get("failures", {}), meta.get("seconds", 0.0), meta.get("worker", ""))

    def _write_manifest(self, data: dict[str, Any]) -> None:
        tmp = self.manifest_path.with_name(f"manifest.json.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, self.manifest_path)
