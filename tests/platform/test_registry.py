"""The container registry (platform/registry.py): closest-name errors, duplicate names
refused, and third-party containers through the entry-point group."""
import pytest

import celltwin.containers  # noqa: F401  (registers the electrode line's containers)
from celltwin.platform.container import Container
from celltwin.platform.errors import RegistryError
from celltwin.platform.registry import Registry, containers


def test_registry_suggests_closest():
    with pytest.raises(RegistryError, match="did you mean 'calendering'"):
        containers.get("calendaring")


def test_entry_point_plugin(monkeypatch):
    """Third-party containers come in through the entry-point group celltwin.containers."""
    from importlib.metadata import EntryPoint

    reg = Registry("celltwin.containers")
    ep = EntryPoint(name="my-dryer", value="celltwin.containers.drying:Drying", group="celltwin.containers")
    monkeypatch.setattr("celltwin.platform.registry.entry_points", lambda group: [ep] if group == reg.group else [])
    assert reg.get("my-dryer").__name__ == "Drying"


def test_built_in_names():
    names = containers.names()
    assert names == sorted(names)
    assert {"mixing", "dispersion", "coating", "drying", "calendering", "compacted-structure",
            "half-cell"} <= set(names)
    assert "half-cell" in containers  # the cell model comes in lazily through the entry point


def test_register_by_class_name_and_explicit_name_and_duplicates(monkeypatch):
    monkeypatch.setattr("celltwin.platform.registry.entry_points", lambda group: [])
    reg = Registry("test.group")

    @reg.register
    class Named(Container):
        name = "named"

    @reg.register(name="alias")
    class Other(Container):
        pass

    class Anonymous:
        pass

    reg.register(Anonymous)
    assert reg.get("named") is Named and reg.get("alias") is Other and reg.get("Anonymous") is Anonymous
    assert reg.register(Named) is Named  # the same class again: no error
    assert reg.names() == ["Anonymous", "alias", "named"]
    with pytest.raises(RegistryError, match="container name 'named' is already registered"):
        reg.register(type("Impostor", (Container,), {"name": "named"}))
    with pytest.raises(RegistryError) as info:
        reg.get("nmed")
    assert str(info.value) == "unknown container 'nmed' (did you mean 'named'?); valid: Anonymous, alias, named"
    assert isinstance(info.value, KeyError)
