"""Suite-wide isolation: runs are recorded in a temporary run store, never in ~/.celltwin."""
import pytest


@pytest.fixture(autouse=True)
def _isolated_run_store(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("CELLTWIN_HOME", str(tmp_path_factory.mktemp("celltwin-home")))
