"""The local what-if workbench (``celltwin app``): a Dash page and a small JSON API.

Dash, because plotly is already the project's plotting library and Dash serves plotly figures
with Python callbacks and a Flask server, to which the JSON API is added as plain routes.
The computation lives in :mod:`.workbench` and :mod:`.surrogate` (no Dash there); the page in
:mod:`.layout` and :mod:`.callbacks`; the API in :mod:`.api`; :mod:`.server` puts them together.
"""
from __future__ import annotations

__all__ = ["create_app"]


def create_app(*args, **kwargs):
    """The Dash app (see :func:`celltwin.app.server.create_app`); imports Dash only when called."""
    from .server import create_app as create

    return create(*args, **kwargs)
