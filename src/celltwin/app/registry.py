"""The scenarios the server holds, by key; a browser only ever sends a key, never a path.

Keys: ``builtin:NAME`` (a scenario shipped with celltwin), ``file:NAME`` (the file given on the
command line, which is trusted) and ``upload:HASH`` (a TOML file uploaded through the page,
parsed from its content). An uploaded scenario may not name files (``data``, ``bpx``,
``metamodel``): the server would open a path a browser sent. At most :data:`MAX_HELD`
scenarios are held; the oldest upload is dropped first.
"""
from __future__ import annotations

import hashlib
import threading
import tomllib
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from ..containers.scenario import ElectrodeScenario
from ..platform.errors import ScenarioError
from ..platform.scenario import builtin_scenarios
from .workbench import Workbench

#: scenarios held at once (each holds its chains and, with a cell, a fitted surrogate)
MAX_HELD = 8
#: the largest scenario file accepted from a browser
MAX_UPLOAD_BYTES = 256 * 1024
#: keys whose string value names a file to open (KDE data, BPX cell file, drying metamodel)
FILE_KEYS = ("data", "bpx", "metamodel")


def refuse_files(table: Mapping[str, Any], where: str = "") -> None:
    """Raise :class:`ScenarioError` if an uploaded scenario names a file anywhere."""
    for key, value in table.items():
        here = f"{where}.{key}" if where else str(key)
        if isinstance(value, Mapping):
            refuse_files(value, here)
        elif key in FILE_KEYS and isinstance(value, str) and value != "builtin":
            raise ScenarioError(f"{here} = {value[:80]!r}: an uploaded scenario may not name files (the server never "
                                "opens a path a browser sent); start `celltwin app FILE` with it instead",
                                parameter=str(key), path=here)


def parse_upload(content: bytes, filename: str = "upload.toml") -> ElectrodeScenario:
    """A scenario from an uploaded file's bytes (checked in full, as a file on disk would be)."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise ScenarioError(f"uploaded file is {len(content)} bytes; at most {MAX_UPLOAD_BYTES} are accepted")
    name = Path(str(filename)).name[:80] or "upload.toml"  # a label only, never opened
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"uploaded file {name!r} is not valid TOML: {exc}", path=name) from None
    refuse_files(data)
    return ElectrodeScenario.from_dict(data, source=f"upload:{name}", base=None)


class Registry:
    """Workbenches by key, created on first use."""

    def __init__(self, scenario: str | None = None, *, samples: int | None = None):
        self._held: OrderedDict[str, Workbench] = OrderedDict()
        self._lock = threading.Lock()
        self._samples = samples
        self._file: ElectrodeScenario | None = None
        self.default = "builtin:reference-cathode" if "reference-cathode" in builtin_scenarios() else \
            f"builtin:{builtin_scenarios()[0]}"
        if scenario is not None:
            if scenario in builtin_scenarios():
                self.default = f"builtin:{scenario}"
            else:  # a path given on the command line: trusted, loaded once here
                self._file = cast(ElectrodeScenario, ElectrodeScenario.load(scenario))
                self.default = f"file:{self._file.name}"

    def options(self) -> list[dict[str, str]]:
        """The scenarios a page may choose (label, key)."""
        out = [{"label": n, "value": f"builtin:{n}"} for n in builtin_scenarios()]
        if self._file is not None:
            out.insert(0, {"label": f"{self._file.name} ({self._file.source})", "value": f"file:{self._file.name}"})
        return out + [{"label": f"{wb.base.name} (uploaded)", "value": k} for k, wb in self._held.items()
                      if k.startswith("upload:")]

    def _make(self, key: str) -> Workbench:
        kind, _, name = key.partition(":")
        kwargs = {} if self._samples is None else {"samples": self._samples}
        if kind == "builtin" and name in builtin_scenarios():
            return Workbench(name, **kwargs)
        if kind == "file" and self._file is not None and name == self._file.name:
            return Workbench(self._file, **kwargs)
        raise ScenarioError(f"no scenario {key[:80]!r} is loaded; choose one of the list or upload it again",
                            parameter="scenario")

    def get(self, key: Any) -> Workbench:
        """The workbench of ``key`` (a browser's value: checked, never used as a path)."""
        if not isinstance(key, str) or len(key) > 200:
            raise ScenarioError("scenario key must be a short string", parameter="scenario")
        with self._lock:
            if key in self._held:
                self._held.move_to_end(key)
                return self._held[key]
        wb = self._make(key)
        with self._lock:
            return self._hold(key, wb)

    def _hold(self, key: str, wb: Workbench) -> Workbench:
        wb = self._held.setdefault(key, wb)
        self._held.move_to_end(key)
        while len(self._held) > MAX_HELD:
            self._held.popitem(last=False)
        return wb

    def upload(self, content: bytes, filename: str) -> str:
        """Load an uploaded scenario; its key."""
        sc = parse_upload(content, filename)
        key = "upload:" + hashlib.sha256(content).hexdigest()[:16]
        wb = Workbench(sc, **({} if self._samples is None else {"samples": self._samples}))
        with self._lock:
            self._hold(key, wb)
        return key

    def by_name(self, name: Any) -> Workbench:
        """The API's lookup: a built-in scenario's name, or the name of the scenario given on the command line."""
        if not isinstance(name, str) or len(name) > 100:
            raise ScenarioError("'scenario' must be a scenario name (a string)", parameter="scenario")
        if self._file is not None and name == self._file.name:
            return self.get(f"file:{name}")
        if name not in builtin_scenarios():
            from ..platform.errors import unknown

            raise ScenarioError(unknown("scenario", name, builtin_scenarios()), parameter="scenario", value=name)
        return self.get(f"builtin:{name}")
