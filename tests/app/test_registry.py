"""Scenarios by key; uploads parsed from their content and refused when they name files."""
import pytest

from celltwin.app.registry import parse_upload
from celltwin.platform.errors import ScenarioError


def test_upload_parses_content_and_refuses_files():
    from importlib import resources

    text = resources.files("celltwin").joinpath("scenarios", "reference-cathode.toml").read_text()
    sc = parse_upload(text.encode(), "/etc/evil/../x.toml")
    assert sc.name == "reference-cathode" and sc.source == "upload:x.toml"
    for bad in ('[parameters]\nq_L = { distribution = "kde", data = "/etc/passwd" }\n',
                '[cell]\nbpx = "/root/cell.json"\n',
                '[containers.drying]\nmetamodel = "../model.json"\n'):
        with pytest.raises(ScenarioError, match="may not name files"):
            parse_upload((text + "\n" + bad).encode() if "cell]" in bad else bad.encode())
    with pytest.raises(ScenarioError, match="not valid TOML"):
        parse_upload(b"[scenario\n")
    with pytest.raises(ScenarioError, match="bytes"):
        parse_upload(b"#" * 300_000)


def test_keys_never_become_paths(tmp_path):
    from celltwin.app.registry import Registry

    registry = Registry("reference-cathode", samples=100)
    for key in ("/etc/passwd", "file:/etc/passwd", "builtin:../../etc/passwd", "upload:0000", None, 42, "x" * 500):
        with pytest.raises(ScenarioError):
            registry.get(key)
    with pytest.raises(ScenarioError, match="unknown scenario"):
        registry.by_name(str(tmp_path / "a.toml"))
    assert {o["value"] for o in registry.options()} >= {"builtin:reference-cathode", "builtin:lfp-cathode"}
