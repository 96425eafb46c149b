"""The Dash app and its server: the page, the callbacks and the JSON API on one Flask server,
bound to 127.0.0.1 unless told otherwise."""
from __future__ import annotations

from pathlib import Path

from .registry import Registry

#: the largest request body (an uploaded scenario arrives base64-encoded in a callback)
MAX_REQUEST_BYTES = 1024 * 1024


def create_app(scenario: str | None = None, *, samples: int | None = None, store: str | Path | None = None):
    """The Dash app of the workbench for ``scenario`` (a built-in name or a TOML path; default the
    reference cathode); ``samples`` per what-if update, ``store`` the run store to browse."""
    from dash import Dash

    from . import api, callbacks, layout

    registry = Registry(scenario, samples=samples)
    wb = registry.get(registry.default)  # load errors surface here, before the server starts
    with wb.lock:
        wb.whatif(wb.base)  # and the cell surrogate is fitted (once, cached) before the first page
    app = Dash(__name__, title="celltwin what-if", assets_folder=str(Path(__file__).with_name("assets")),
               suppress_callback_exceptions=True)
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.layout = layout.page(registry)
    callbacks.register(app, registry, store)
    api.register(app.server, registry)
    app.registry = registry  # type: ignore[attr-defined]  # for tests and embedding
    return app


def serve(app, host: str = "127.0.0.1", port: int = 8050, debug: bool = False) -> None:
    """Run the app's server (Flask's threaded server: a local tool for one engineer, not a public site)."""
    app.run(host=host, port=port, debug=debug)
