"""Name -> container class, with closest-match errors and entry-point plug-ins.

Third-party packages add containers through the entry-point group
``celltwin.containers`` (``name = "package.module:ContainerClass"``); they are
loaded the first time a name is looked up.
"""
from __future__ import annotations

from importlib.metadata import entry_points

from .errors import RegistryError, unknown


class Registry:
    """A registry of container classes for one entry-point group."""

    def __init__(self, group: str):
        self.group = group
        self._items: dict[str, type] = {}
        self._plugins_loaded = False

    def register(self, cls: type | None = None, *, name: str | None = None):
        """Class decorator: ``@registry.register`` or ``@registry.register(name=...)``."""

        def add(c: type) -> type:
            key = name or getattr(c, "name", "") or c.__name__
            if key in self._items and self._items[key] is not c:
                raise RegistryError(f"container name {key!r} is already registered to {self._items[key]!r}")
            self._items[key] = c
            return c

        return add(cls) if cls is not None else add

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for ep in entry_points(group=self.group):
            if ep.name not in self._items:
                self._items[ep.name] = ep.load()

    def get(self, name: str) -> type:
        if name not in self._items:
            self._load_plugins()
        if name not in self._items:
            raise RegistryError(unknown("container", name, self._items))
        return self._items[name]

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        self._load_plugins()
        return name in self._items


containers = Registry("celltwin.containers")
