"""One app per test module: loading it fits the cell surrogate (about 5 s of P2D runs)."""
import pytest

pytest.importorskip("dash", reason="the what-if app needs Dash: pip install 'celltwin[app]'")


@pytest.fixture(scope="module")
def web():
    from celltwin.app import create_app

    return create_app("reference-cathode", samples=4000)


@pytest.fixture(scope="module")
def wb(web):
    """The workbench of the app's scenario (the surrogate already fitted)."""
    return web.registry.get(web.registry.default)
