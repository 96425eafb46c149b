"""`celltwin app`: its refusals before any server starts (the page itself: tests/app)."""
import sys

from typer.testing import CliRunner

from celltwin.cli import app


def test_bad_port_is_refused():
    out = CliRunner().invoke(app, ["app", "--port", "70000"])
    assert out.exit_code == 2
    assert "port = 70000 is outside its valid range [1, 65535]" in out.output


def test_missing_dash_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "dash", None)  # import dash raises ImportError
    out = CliRunner().invoke(app, ["app", "reference-cathode"])
    assert out.exit_code == 2
    assert "pip install 'celltwin[app]'" in out.output
